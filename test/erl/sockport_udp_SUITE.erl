%% Differential tests of sockport_udp against gen_udp (as
%% sockport_tcp_SUITE does for gen_tcp): open and its options, the send
%% forms, passive recv, active delivery ({udp, S, IP, Port, Data}, once,
%% {active, N} with udp_passive), controlling_process, names, close.
-module(sockport_udp_SUITE).

-export([all/0, groups/0, suite/0, init_per_group/2, end_per_group/2]).
-export([send_recv/1, send_recv/2]).
-export([active_modes/1, active_modes/2]).
-export([options/1, options/2]).
-export([controlling_process/1, controlling_process/2]).
-export([names_and_close/1, names_and_close/2]).
-export([families/1, families/2]).
-export([netns_option/1, netns_option/2]).

-import(sockport_test_lib, [doc/1, rec/2, call/2, msgs/1, run/2]).

-define(LONG, 10000).
-define(LO, {127, 0, 0, 1}).

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 60}}].

-spec all() -> list().
all() ->
    [{group, socket}, {group, sockport}].

-spec groups() -> list().
groups() ->
    [{socket, [], cases()}, {sockport, [], cases()}].

cases() ->
    [send_recv, active_modes, options, controlling_process, names_and_close,
     families, netns_option].

-spec init_per_group(atom(), list()) -> list() | {skip, string()}.
init_per_group(Group, Config) ->
    sockport_test_lib:init_per_group(Group, Config).

-spec end_per_group(atom(), list()) -> ok.
end_per_group(_, _) ->
    ok.

compare(Config, Scenario) ->
    Mod = case proplists:get_value(mod, Config) of
              socket -> gen_udp;
              sockport -> sockport_udp
          end,
    Expected = sockport_tcp_SUITE:canon(run(Scenario, gen_udp)),
    Got = sockport_tcp_SUITE:canon(run(Scenario, Mod)),
    case Expected =:= Got of
        true -> ok;
        false -> error({traces_differ, #{diff => sockport_norm:diff(Expected, Got),
                                         gen_udp => Expected, Mod => Got}})
    end.

-define(DIFF(Name, Doc), Name(Config) -> doc(Doc), compare(Config, fun Name/2)).

setopts(gen_udp, S, O) -> inet:setopts(S, O);
setopts(M, S, O) -> M:setopts(S, O).
getopts(gen_udp, S, O) -> inet:getopts(S, O);
getopts(M, S, O) -> M:getopts(S, O).
sockname(gen_udp, S) -> inet:sockname(S);
sockname(M, S) -> M:sockname(S).
peername(gen_udp, S) -> inet:peername(S);
peername(M, S) -> M:peername(S).
port(gen_udp, S) -> inet:port(S);
port(M, S) -> M:port(S).

udp(M, Opts) ->
    {ok, S} = M:open(0, [{ip, ?LO} | Opts]),
    {ok, P} = port(M, S),
    {S, P}.

next() ->
    receive Msg -> Msg after ?LONG -> no_message end.

next(0) ->
    msgs(200);
next(N) ->
    Msg = next(),
    [Msg | next(N - 1)].

%% The sender's port is the OS's: keep whether it is the one expected.
from(P, {udp, S, IP, P, D}) -> {udp, S, IP, sender, D};
from(_, Other) -> Other.

?DIFF(send_recv,
      "Ensure that send/2,3,4 and passive recv/2,3 (with timeouts, and refused while active) work as gen_udp's.").
send_recv(M, _X) ->
    {R, RP} = udp(M, [binary, {active, false}]),
    {S, SP} = udp(M, [binary, {active, false}]),
    rec(send4, M:send(S, ?LO, RP, <<"four">>)),
    rec(send3, M:send(S, {?LO, RP}, [<<"th">>, "ree"])),
    rec(send_host, M:send(S, "localhost", RP, <<"host">>)),
    [rec({recv, N}, case M:recv(R, 0, ?LONG) of
                        {ok, {?LO, SP, D}} -> {ok, D};
                        Other -> Other
                    end) || N <- [1, 2, 3]],
    rec(timeout, M:recv(R, 0, 100)),
    ok = M:send(S, ?LO, RP, <<"abcdef">>),
    rec(length_is_a_hint, element(3, element(2, M:recv(R, 2, ?LONG)))),
    rec(connect, M:connect(S, ?LO, RP)),
    rec(send2, M:send(S, <<"connected">>)),
    rec(recv_connected, element(3, element(2, M:recv(R, 0, ?LONG)))),
    rec(active_recv, {setopts(M, R, [{active, true}]), M:recv(R, 0, 100)}),
    ok = setopts(M, R, [{active, false}, list]),
    ok = M:send(S, <<"as list">>),
    rec(list, element(3, element(2, M:recv(R, 0, ?LONG)))),
    call(bad_port, fun() -> M:send(S, ?LO, -1, <<"x">>) end),
    call(bad_length, fun() -> M:recv(R, -1) end).

?DIFF(active_modes,
      "Ensure that active true, once and {active, N} deliver {udp, S, IP, Port, Data} in order and udp_passive at the end of N.").
active_modes(M, _X) ->
    {R, RP} = udp(M, [{active, true}]),
    {S, SP} = udp(M, [binary, {active, false}]),
    [ok = M:send(S, ?LO, RP, <<"d", I>>) || I <- lists:seq($1, $4)],
    rec(true, [from(SP, Msg) || Msg <- next(4)]),
    ok = setopts(M, R, [{active, once}, binary]),
    [ok = M:send(S, ?LO, RP, <<"e", I>>) || I <- lists:seq($1, $2)],
    rec(once, [from(SP, Msg) || Msg <- next(1)]),
    rec(once_after, getopts(M, R, [active])),
    ok = setopts(M, R, [{active, 2}]),
    rec(n_first, [from(SP, Msg) || Msg <- next(1)]),
    ok = M:send(S, ?LO, RP, <<"f">>),
    ok = M:send(S, ?LO, RP, <<"g">>),
    rec(n_then_passive, [from(SP, Msg) || Msg <- next(2)]),
    rec(n_after, getopts(M, R, [active])),
    rec(left, element(3, element(2, M:recv(R, 0, ?LONG)))),
    rec(zero, {setopts(M, R, [{active, 0}]), msgs(100)}),
    rec(over, setopts(M, R, [{active, 40000}])).

?DIFF(options,
      "Ensure that open's options and getopts/setopts are as gen_udp's, and bad ones refused alike.").
options(M, _X) ->
    Keys = [active, mode, buffer, recbuf, sndbuf, reuseaddr, packet],
    {S, _} = udp(M, []),
    rec(defaults, getopts(M, S, Keys)),
    {S2, _} = udp(M, [binary, {active, once}, {reuseaddr, true}, {recbuf, 20000},
                      {sndbuf, 30000}, {buffer, 4000}]),
    rec(given, getopts(M, S2, Keys)),
    [rec({set, O}, {setopts(M, S, [O]), getopts(M, S, Keys)})
     || O <- [{recbuf, 50000}, {buffer, 100}, list, {active, 3}, {reuseaddr, true}]],
    [rec({bad_set, O}, setopts(M, S, [O])) || O <- [foo, {active, x}, {buffer, 0}]],
    rec(bad_get, getopts(M, S, [foo])),
    [call({bad_open, O}, fun() -> M:open(0, [O]) end) || O <- [foo, {active, x}, {mode, text}]],
    call(bad_port, fun() -> M:open(-1, []) end).

?DIFF(controlling_process,
      "Ensure that controlling_process moves the waiting datagrams in order to the new owner, and only the owner may call it.").
controlling_process(M, _X) ->
    {R, RP} = udp(M, [binary, {active, true}]),
    {S, SP} = udp(M, [binary, {active, false}]),
    [ok = M:send(S, ?LO, RP, <<I>>) || I <- [1, 2, 3]],
    timer:sleep(200),
    Self = self(),
    New = spawn_link(fun() -> receive go -> Self ! {got, next(4)} end end),
    spawn_link(fun() -> Self ! {other, M:controlling_process(R, self())} end),
    rec(not_owner, receive {other, Res} -> Res after ?LONG -> none end),
    rec(give, M:controlling_process(R, New)),
    rec(left_here, msgs(100)),
    ok = M:send(S, ?LO, RP, <<4>>),
    New ! go,
    rec(new_owner_got, receive {got, G} -> [from(SP, Msg) || Msg <- G] after ?LONG -> none end).

?DIFF(names_and_close,
      "Ensure that sockname, peername and port are as gen_udp's, and a closed socket answers alike.").
names_and_close(M, _X) ->
    {S, P} = udp(M, []),
    rec(name, sockname(M, S) =:= {ok, {?LO, P}}),
    rec(peer_unconnected, peername(M, S)),
    {R, RP} = udp(M, []),
    ok = M:connect(S, ?LO, RP),
    rec(peer, peername(M, S) =:= {ok, {?LO, RP}}),
    rec(close, [M:close(R), M:close(R)]),
    rec(after_close, [M:send(R, ?LO, P, <<"x">>), M:recv(R, 0, 100), sockname(M, R),
                      setopts(M, R, [{active, true}]), getopts(M, R, [active])]),
    {ok, Busy} = M:open(0, [{ip, ?LO}]),
    {ok, BP} = port(M, Busy),
    rec(in_use, M:open(BP, [{ip, ?LO}])).

?DIFF(families,
      "Ensure that inet6 and local (unix path) datagram sockets work as gen_udp's.").
families(M, #{tmp := Tmp}) ->
    Six = {0, 0, 0, 0, 0, 0, 0, 1},
    {ok, R} = M:open(0, [inet6, {ip, Six}, binary, {active, false}]),
    {ok, RP} = port(M, R),
    {ok, S} = M:open(0, [inet6, {ip, Six}, binary]),
    {ok, SP} = port(M, S),
    ok = M:send(S, Six, RP, <<"six">>),
    rec(v6, M:recv(R, 0, ?LONG) =:= {ok, {Six, SP, <<"six">>}}),
    Path = <<Tmp/binary, "/udp">>,
    {ok, LR} = M:open(0, [{ifaddr, {local, Path}}, binary, {active, true}]),
    rec(local_name, sockname(M, LR)),
    {ok, LS} = M:open(0, [local, binary]),
    rec(local_send, M:send(LS, {local, Path}, 0, <<"unix">>)),
    rec(local_msg, next(1)).

%% {netns, Path}: two sockets in a namespace of the test's own (lo up)
%% exchange datagrams there; the namespace's ports are its own; a path
%% that names no namespace fails as gen_udp's.
netns_option(Config) ->
    doc("Ensure that {netns, Path} opens sockets in that namespace, as gen_udp's."),
    sockport_netns:with("un", fun() -> compare(Config, fun netns_option/2) end).

netns_option(M, _X) ->
    #{a := A} = sockport_netns:names("un"),
    NS = {netns, sockport_netns:path(A)},
    {R, RP} = udp(M, [NS, binary, {active, false}]),
    {S, SP} = udp(M, [NS, binary, {active, false}]),
    rec(send_inside, M:send(S, ?LO, RP, <<"inside">>)),
    rec(recv_inside, case M:recv(R, 0, ?LONG) of
                         {ok, {?LO, SP, D}} -> {ok, D};
                         Other -> Other
                     end),
    %% the namespace has a port space of its own: a port this test holds
    %% in the VM's namespace is free in it (the other way round would
    %% depend on what else on the host holds ports)
    {Out, OP} = udp(M, [binary, {active, false}]),
    rec(inside_free, case M:open(OP, [NS, {ip, ?LO}]) of
                         {ok, In} -> M:close(In);
                         Refused -> Refused
                     end),
    ok = M:close(Out),
    rec(missing_ns, M:open(0, [{netns, "/nonexistent/ns"}])),
    rec(not_a_ns, M:open(0, [{netns, "/etc/passwd"}])),
    ok = M:close(S),
    ok = M:close(R).
