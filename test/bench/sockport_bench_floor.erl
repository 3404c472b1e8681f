%% The floors, measured in the same run as the workloads with the
%% bench_floor port program: a port round trip (echo), and the relay, a
%% port program owning both ends of a loopback TCP connection, so that its
%% ping-pong and bulk stream cross the port and TCP exactly as often as
%% sockport's must, with nothing else in the way; and the api relay, the
%% same with the socket API's calls: a reply for every send once the kernel
%% has the data, a request for every recv, each routed to its caller, and
%% nothing else.
-module(sockport_bench_floor).

-export([measure/3, op/2]).

now_us() -> erlang:monotonic_time(microsecond).

%% One floor of the program Exe, measured now (each row of the table
%% measures its own right before its workloads, so that a bound and the
%% figures it bounds see the machine in the same state). P: the run's
%% parameters (ms per latency or rate figure, bytes per bulk stream, and
%% `many', the processes or connections of the concurrent floors).
-spec measure(atom(), file:filename(), #{atom() => term()}) -> number().
measure(port_calls_per_s, Exe, #{ms := Ms, many := Procs}) ->
    concurrent_calls(Exe, Procs, Ms);
measure(port_oneway64k_mbps, Exe, #{bulk := Bytes}) ->
    one_way(Exe, 65536, Bytes);
measure(relay_bulk4k_mbps, Exe, #{bulk := Bytes}) ->
    with_relay(Exe, fun(R) -> relay_bulk(R, 4096, Bytes) end);
measure(relay_bulk64k_mbps, Exe, #{bulk := Bytes}) ->
    with_relay(Exe, fun(R) -> relay_bulk(R, 65536, Bytes) end);
measure(api_bulk4k_mbps, Exe, #{bulk := Bytes}) ->
    with_api(Exe, ["tcp"], fun(P) -> api_bulk(P, 4096, Bytes) end);
measure(api_bulk64k_mbps, Exe, #{bulk := Bytes}) ->
    with_api(Exe, ["tcp"], fun(P) -> api_bulk(P, 65536, Bytes) end);
measure(api_udp_per_s, Exe, #{ms := Ms}) ->
    with_api(Exe, ["udp"], fun(P) -> api_udp(P, Ms) end);
measure(api_many_per_s, Exe, #{many := Conns, many_ms := Ms}) ->
    api_many(Exe, Conns, Ms);
measure(Latency, Exe, #{ms := Ms}) ->
    %% the floors that are operations (op/2)
    #{Latency := Samples} =
        sockport_bench_slices:run([{Latency, op(Latency, Exe)}], Ms, Ms),
    median(Samples).

%% A latency floor as an operation, one round trip per call, to be timed
%% side by side with the workloads it bounds (sockport_bench_slices).
-spec op(atom(), file:filename()) -> sockport_bench_slices:op().
op(port_rtt64_us, Exe) ->
    Echo = open(Exe, "echo"),
    {fun() ->
             true = port_command(Echo, <<0:512>>),
             receive {Echo, {data, _}} -> ok end
     end,
     fun() -> port_close(Echo) end};
op(api_nop_us, Exe) ->
    %% a call of the api relay that does no I/O: routed as every sockport
    %% call is, and answered by a program that waits on its sockets and
    %% its input together
    {P, Router} = router(Exe, ["api", "tcp"]),
    {fun() -> {$n, _} = api_call(P, 0, 0, $n, <<>>) end,
     fun() -> Router ! stop end};
op(relay_rtt64_us, Exe) ->
    relay_op(Exe, 64);
op(relay_rtt16k_us, Exe) ->
    relay_op(Exe, 16384);
op(api_rtt64_us, Exe) ->
    api_op(Exe, 64);
op(api_rtt16k_us, Exe) ->
    api_op(Exe, 16384).

open(Exe, Mode) ->
    open_port({spawn_executable, Exe},
              [{packet, 4}, binary, use_stdio, {args, [Mode]}]).

%% MB/s of Size-byte frames into a port that only takes them: what a VM
%% can push through a port at all, so through any port design's socket.
one_way(Exe, Size, Bytes) ->
    P = open(Exe, "sink"),
    Frame = binary:copy(<<"s">>, Size),
    N = max(1, Bytes div Size),
    T0 = now_us(),
    [true = port_command(P, Frame) || _ <- lists:seq(1, N)],
    true = port_command(P, <<>>),
    receive {P, {data, <<>>}} -> ok end,
    T1 = now_us(),
    port_close(P),
    N * Size / (T1 - T0).

%% A port of Exe with Args whose owner routes replies as sockport's router
%% does.
router(Exe, Args) ->
    Self = self(),
    Router = spawn_link(fun() ->
                                P = open_port({spawn_executable, Exe},
                                              [{packet, 4}, binary, use_stdio,
                                               {args, Args}]),
                                Self ! {router, P},
                                route_calls(P)
                        end),
    receive {router, P} -> {P, Router} end.

call(P) ->
    MRef = erlang:monitor(port, P, [{alias, demonitor}]),
    true = port_command(P, [term_to_binary({self(), MRef}), <<0:512>>]),
    receive {MRef, _} -> erlang:demonitor(MRef, [flush]) end.

%% Port round trips per second when Procs processes each make them as fast
%% as they can through one echo port, the replies routed to their callers
%% by the port's owner as sockport's router does. Every call of a sockport
%% socket is at least one such round trip, so this bounds any workload of
%% many concurrent calls (a ping-pong through the socket API makes four:
%% send and recv at each end).
concurrent_calls(Exe, Procs, Ms) ->
    {P, Router} = router(Exe, ["echo"]),
    Self = self(),
    T0 = now_us(),
    Deadline = T0 + Ms * 1000,
    Callers = [spawn_link(fun() -> Self ! {calls, calls(P, Deadline, 0)} end)
               || _ <- lists:seq(1, Procs)],
    N = lists:sum([receive {calls, C} -> C end || _ <- Callers]),
    T1 = now_us(),
    Router ! stop,
    N * 1.0e6 / (T1 - T0).

calls(P, Deadline, N) ->
    case now_us() > Deadline of
        true ->
            N;
        false ->
            call(P),
            calls(P, Deadline, N + 1)
    end.

route_calls(P) ->
    receive
        {P, {data, Frame}} ->
            %% as sockport's router: the caller gets what follows the route
            {{_Pid, Ref}, Used} = binary_to_term(Frame, [used]),
            Body = binary_part(Frame, Used, byte_size(Frame) - Used),
            erlang:send(Ref, {Ref, Body}),
            route_calls(P);
        stop ->
            port_close(P)
    end.

%% F of a relay port, closed after.
with_relay(Exe, F) ->
    {P, Router} = relay(Exe),
    try F(P)
    after
        Router ! stop
    end.

%% The relay port, owned by a router process that hands frames coming out
%% at end B to a server process, which sends them back (as sockport's
%% router hands replies to the server process of a ping-pong), and those
%% coming out at end A to whoever is the client.
relay(Exe) ->
    Self = self(),
    Router = spawn_link(fun() ->
                                P = open(Exe, "relay"),
                                Self ! {relay, P},
                                Server = spawn_link(fun() -> server(P) end),
                                route(P, Server, Self)
                        end),
    receive {relay, P} -> {P, Router} end.

route(P, Server, Client) ->
    receive
        {P, {data, <<$B, D/binary>>}} -> Server ! {b, D};
        {P, {data, <<$A, D/binary>>}} -> Client ! {a, D};
        stop -> port_close(P), unlink(Server), exit(Server, kill), exit(normal)
    end,
    route(P, Server, Client).

%% Bulk frames are checksummed, as the bulk workload's receiver checks
%% every byte: the same work at the receiving end, so that the floor
%% compares.
server(P) ->
    receive
        {b, <<"echo", _/binary>> = D} -> true = port_command(P, [$b, D]);
        {b, D} -> _ = erlang:crc32(D)
    end,
    server(P).

%% Client -> port -> TCP -> port -> router -> server -> port -> TCP ->
%% port -> router -> client: the path of one sockport ping-pong.
relay_op(Exe, Size) ->
    {P, Router} = relay(Exe),
    Msg = <<"echo", (binary:copy(<<"r">>, Size - 4))/binary>>,
    {fun() ->
             true = port_command(P, [$a, Msg]),
             receive {a, _} -> ok end
     end,
     fun() -> Router ! stop end}.

%% One-way, end A to end B: MB/s until the server has had the last frame
%% (counted here as the frames the router has seen come out: the server
%% drops them).
relay_bulk(P, Size, Bytes) ->
    N = max(1, Bytes div Size),
    Msg = binary:copy(<<"b">>, Size),
    T0 = now_us(),
    [true = port_command(P, [$a, Msg]) || _ <- lists:seq(1, N - 1)],
    %% the last frame is echoed back, so its return marks the end
    true = port_command(P, [$a, <<"echo", Msg/binary>>]),
    receive {a, _} -> ok end,
    T1 = now_us(),
    N * Size / (T1 - T0).

%% ---------------------------------------------------------------------------
%% The api relay. Its calls are made and answered as sockport's are: the
%% caller monitors the port with an alias (so that it hears of the
%% program's death and a late reply is dropped), puts {self(), Alias} in
%% front of its command, and the port's owner hands the reply to that
%% alias. End 0 is end A of connection C, 1 its end B.

with_api(Exe, Args, F) ->
    {P, Router} = router(Exe, ["api" | Args]),
    try F(P)
    after
        Router ! stop
    end.

%% {Code, Data} of the reply to one call.
api_call(P, C, End, Op, Rest) ->
    MRef = erlang:monitor(port, P, [{alias, demonitor}]),
    Route = term_to_binary({self(), MRef}),
    true = port_command(P, [byte_size(Route), Route, Op, <<C:32, End>>, Rest]),
    receive
        {MRef, <<Code, _EndLetter, Data/binary>>} ->
            erlang:demonitor(MRef, [flush]),
            {Code, Data}
    end.

api_send(P, C, End, Data) ->
    {$k, _} = api_call(P, C, End, $s, Data),
    ok.

%% Exactly N bytes, as recv(S, N) returns them.
api_recv(P, C, End, N) ->
    api_recv(P, C, End, N, []).

api_recv(_P, _C, _End, 0, Acc) ->
    iolist_to_binary(lists:reverse(Acc));
api_recv(P, C, End, N, Acc) ->
    {$d, D} = api_call(P, C, End, $r, <<N:32>>),
    api_recv(P, C, End, N - byte_size(D), [D | Acc]).

api_recv_dgram(P, End) ->
    {$d, D} = api_call(P, 0, End, $r, <<65536:32>>),
    D.

stop_peer(Pid) ->
    unlink(Pid),
    exit(Pid, kill).

%% A ping-pong through the api relay: A sends, B echoes, A receives.
api_op(Exe, Size) ->
    {P, Router} = router(Exe, ["api", "tcp"]),
    Peer = spawn_link(fun() -> api_echo(P, 0, Size) end),
    Msg = binary:copy(<<"r">>, Size),
    {fun() -> api_send(P, 0, 0, Msg), api_recv(P, 0, 0, Size) end,
     fun() -> stop_peer(Peer), Router ! stop end}.

api_echo(P, C, Size) ->
    api_send(P, C, 1, api_recv(P, C, 1, Size)),
    api_echo(P, C, Size).

%% A's writes of Size bytes until B, reading them in units of their size
%% and checksumming each as the bulk workload's receiver does, has had
%% them all.
api_bulk(P, Size, Bytes) ->
    N = max(1, Bytes div Size),
    Self = self(),
    Peer = spawn_link(fun() ->
                              [erlang:crc32(api_recv(P, 0, 1, Size))
                               || _ <- lists:seq(1, N)],
                              Self ! drained
                      end),
    Msg = binary:copy(<<"b">>, Size),
    T0 = now_us(),
    [api_send(P, 0, 0, Msg) || _ <- lists:seq(1, N)],
    receive drained -> ok end,
    T1 = now_us(),
    stop_peer(Peer),
    N * Size / (T1 - T0).

%% 64-byte datagram exchanges per second, each end sending and then
%% receiving as the lock-step workload does.
api_udp(P, Ms) ->
    Peer = spawn_link(fun() -> api_udp_echo(P) end),
    Msg = binary:copy(<<"u">>, 64),
    T0 = now_us(),
    Deadline = T0 + Ms * 1000,
    N = api_udp_loop(P, Msg, Deadline, 0),
    T1 = now_us(),
    stop_peer(Peer),
    N * 1.0e6 / (T1 - T0).

api_udp_echo(P) ->
    api_send(P, 0, 1, api_recv_dgram(P, 1)),
    api_udp_echo(P).

api_udp_loop(P, Msg, Deadline, N) ->
    api_send(P, 0, 0, Msg),
    _ = api_recv_dgram(P, 0),
    case now_us() > Deadline of
        true -> N + 1;
        false -> api_udp_loop(P, Msg, Deadline, N + 1)
    end.

%% The api relay with Conns connections, each doing the ping-pong of
%% sockport_bench_work:many/3 (a client process sends and receives at end
%% A, an echo process at end B): round trips per second. What no port
%% design with the socket API's calls does better here, TCP's own cost
%% included.
api_many(Exe, Conns, Ms) ->
    with_api(Exe, ["tcp", integer_to_list(Conns)],
             fun(P) -> many(P, Conns, Ms) end).

many(P, Conns, Ms) ->
    Self = self(),
    Msg = binary:copy(<<"m">>, 64),
    Echoes = [spawn_link(fun() -> api_echo(P, C, 64) end)
              || C <- lists:seq(0, Conns - 1)],
    Start = now_us() + 100000,
    Deadline = Start + Ms * 1000,
    Clients = [spawn_link(fun() ->
                                  sockport_bench_work:wait_until(Start),
                                  Self ! {round_trips,
                                          many_loop(P, C, Msg, Deadline, 0)}
                          end) || C <- lists:seq(0, Conns - 1)],
    N = lists:sum([receive {round_trips, X} -> X end || _ <- Clients]),
    [stop_peer(E) || E <- Echoes],
    N * 1.0e6 / (Ms * 1000).

many_loop(P, C, Msg, Deadline, N) ->
    api_send(P, C, 0, Msg),
    _ = api_recv(P, C, 0, byte_size(Msg)),
    case now_us() > Deadline of
        true -> N + 1;
        false -> many_loop(P, C, Msg, Deadline, N + 1)
    end.
median(L) ->
    sockport_bench_slices:pct(L, 50).
