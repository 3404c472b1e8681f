%% The few socket operations the benchmark workloads need, for each module
%% under test: `socket' and `sockport' (the same API), and `gen' (gen_tcp
%% and gen_udp, passive, binary). Every call asserts success: a benchmark
%% that measures failures measures nothing. The calls the workloads time
%% name their module, as an application would: a call through a module
%% variable looks the function up on every call.
-module(sockport_bench_api).

-export([listen/1, connect/2, accept/2, give/3, send/3, recv/3, close/2]).
-export([udp_open/1, udp_send/4, udp_recv/2, nop/2]).

-type mod() :: socket | sockport | gen.
-type sock() :: term().
-export_type([mod/0, sock/0]).

-define(LOOPBACK, {127, 0, 0, 1}).

%% A listening TCP socket on 127.0.0.1 and its port.
-spec listen(mod()) -> {sock(), inet:port_number()}.
listen(gen) ->
    {ok, L} = gen_tcp:listen(0, [binary, {active, false}, {ip, ?LOOPBACK},
                                 {backlog, 1024}, {reuseaddr, true}]),
    {ok, Port} = inet:port(L),
    {L, Port};
listen(M) ->
    {ok, L} = M:open(inet, stream, tcp),
    ok = M:setopt(L, {socket, reuseaddr}, true),
    ok = M:bind(L, #{family => inet, addr => ?LOOPBACK, port => 0}),
    ok = M:listen(L, 1024),
    {ok, #{port := Port}} = M:sockname(L),
    {L, Port}.

%% A TCP connection to 127.0.0.1:Port, with Nagle off.
-spec connect(mod(), inet:port_number()) -> sock().
connect(gen, Port) ->
    {ok, S} = gen_tcp:connect(?LOOPBACK, Port,
                              [binary, {active, false}, {nodelay, true}]),
    S;
connect(M, Port) ->
    {ok, S} = M:open(inet, stream, tcp),
    ok = M:connect(S, #{family => inet, addr => ?LOOPBACK, port => Port}),
    ok = M:setopt(S, {tcp, nodelay}, true),
    S.

-spec accept(mod(), sock()) -> sock().
accept(gen, L) ->
    {ok, S} = gen_tcp:accept(L),
    ok = inet:setopts(S, [{nodelay, true}]),
    S;
accept(M, L) ->
    {ok, S} = M:accept(L),
    ok = M:setopt(S, {tcp, nodelay}, true),
    S.

%% Makes Pid the owner (a socket closes when its owner exits).
-spec give(mod(), sock(), pid()) -> ok.
give(gen, S, Pid) -> ok = gen_tcp:controlling_process(S, Pid);
give(M, S, Pid) -> ok = M:setopt(S, {otp, controlling_process}, Pid).

-spec send(mod(), sock(), iodata()) -> ok.
send(gen, S, Data) -> ok = gen_tcp:send(S, Data);
send(socket, S, Data) -> ok = socket:send(S, Data);
send(sockport, S, Data) -> ok = sockport:send(S, Data).

%% N bytes exactly, or (N = 0) what is there.
-spec recv(mod(), sock(), non_neg_integer()) -> binary().
recv(gen, S, N) ->
    {ok, B} = gen_tcp:recv(S, N),
    B;
recv(socket, S, N) ->
    {ok, B} = socket:recv(S, N),
    B;
recv(sockport, S, N) ->
    {ok, B} = sockport:recv(S, N),
    B.

-spec close(mod(), sock()) -> ok.
close(gen, S) -> gen_tcp:close(S);
close(M, S) -> M:close(S).

%% A UDP socket on 127.0.0.1 and its port.
-spec udp_open(mod()) -> {sock(), inet:port_number()}.
udp_open(gen) ->
    {ok, S} = gen_udp:open(0, [binary, {active, false}, {ip, ?LOOPBACK}]),
    {ok, Port} = inet:port(S),
    {S, Port};
udp_open(M) ->
    {ok, S} = M:open(inet, dgram, udp),
    ok = M:bind(S, #{family => inet, addr => ?LOOPBACK, port => 0}),
    {ok, #{port := Port}} = M:sockname(S),
    {S, Port}.

-spec udp_send(mod(), sock(), inet:port_number(), iodata()) -> ok.
udp_send(gen, S, Port, Data) ->
    ok = gen_udp:send(S, ?LOOPBACK, Port, Data);
udp_send(socket, S, Port, Data) ->
    ok = socket:sendto(S, Data, #{family => inet, addr => ?LOOPBACK, port => Port});
udp_send(sockport, S, Port, Data) ->
    ok = sockport:sendto(S, Data, #{family => inet, addr => ?LOOPBACK, port => Port}).

-spec udp_recv(mod(), sock()) -> binary().
udp_recv(gen, S) ->
    {ok, {_, _, B}} = gen_udp:recv(S, 0),
    B;
udp_recv(socket, S) ->
    {ok, {_, B}} = socket:recvfrom(S),
    B;
udp_recv(sockport, S) ->
    {ok, {_, B}} = sockport:recvfrom(S),
    B.

%% One call that does no I/O: the module's cheapest option read.
-spec nop(mod(), sock()) -> term().
nop(gen, S) ->
    {ok, _} = inet:getopts(S, [reuseaddr]);
nop(socket, S) ->
    {ok, stream} = socket:getopt(S, {socket, type});
nop(sockport, S) ->
    {ok, stream} = sockport:getopt(S, {socket, type}).
