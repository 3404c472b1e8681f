%% The benchmark workloads. Each runs with one module under test on both
%% ends of every connection (sockport_bench_api) and returns its figures.
%% Durations are in milliseconds, sizes in bytes, latencies in
%% microseconds.
-module(sockport_bench_work).

-export([pingpong_op/2, bulk/3, nop_op/1, conn_rate/2, udp_lockstep/2]).
-export([many/3, idle/2, shards/3]).
-export([wait_until/1, pair/1]).

-import(sockport_bench_api, [listen/1, connect/2, accept/2, give/3, send/3,
                             recv/3, close/2]).

now_us() -> erlang:monotonic_time(microsecond).

%% A connected pair {Client, Server}, both owned by the caller (the
%% listener is closed).
-spec pair(atom()) -> {term(), term()}.
pair(M) ->
    {L, Port} = listen(M),
    Self = self(),
    spawn_link(fun() -> Self ! {accepted, accepted(M, L, Self)} end),
    C = connect(M, Port),
    S = receive {accepted, A} -> A end,
    close(M, L),
    {C, S}.

%% Accepts a connection for Owner.
accepted(M, L, Owner) ->
    S = accept(M, L),
    give(M, S, Owner),
    S.

%% A ping-pong of Size bytes on a fresh connection as an operation: one
%% round trip per call, the echo at the other end.
-spec pingpong_op(atom(), pos_integer()) -> sockport_bench_slices:op().
pingpong_op(M, Size) ->
    {C, S} = pair(M),
    Echo = spawn_link(fun() -> echo(M, S, Size) end),
    Msg = binary:copy(<<"p">>, Size),
    {fun() -> send(M, C, Msg), recv(M, C, Size) end,
     fun() -> close(M, C), unlink(Echo), close(M, S) end}.

pp_loop(M, C, Msg, Deadline, Acc) ->
    T0 = now_us(),
    send(M, C, Msg),
    _ = recv(M, C, byte_size(Msg)),
    T1 = now_us(),
    case T1 > Deadline of
        true -> [T1 - T0 | Acc];
        false -> pp_loop(M, C, Msg, Deadline, [T1 - T0 | Acc])
    end.

echo(M, S, Size) ->
    case catch recv(M, S, Size) of
        B when is_binary(B) ->
            send(M, S, B),
            echo(M, S, Size);
        _ ->
            ok
    end.

%% Streams Bytes in writes of Size one way; the receiver counts and
%% checksums what arrives. MB/s from the first write to the last byte.
-spec bulk(atom(), pos_integer(), pos_integer()) -> #{atom() => number()}.
bulk(M, Size, Bytes) ->
    {C, S} = pair(M),
    N = max(1, Bytes div Size),
    Chunk = block(Size),
    Self = self(),
    Rcv = spawn_link(fun() -> Self ! {received, drain(M, S, Size, N, 0)} end),
    T0 = now_us(),
    [send(M, C, Chunk) || _ <- lists:seq(1, N)],
    Sum = receive {received, X} -> X end,
    T1 = now_us(),
    unlink(Rcv),
    close(M, C),
    close(M, S),
    Want = lists:foldl(fun(_, A) -> erlang:crc32(A, Chunk) end, 0,
                       lists:seq(1, N)),
    Sum =:= Want orelse error({corrupt_stream, M, Size}),
    #{mbps => N * Size / (T1 - T0)}.

%% A block whose bytes differ, so a reordering would change the checksum.
block(Size) ->
    << <<(I rem 251)>> || I <- lists:seq(1, Size) >>.

%% Reads the writes back in units of their size, as a receiver of
%% fixed-size messages does.
drain(_M, _S, _Size, 0, Sum) -> Sum;
drain(M, S, Size, N, Sum) ->
    B = recv(M, S, Size),
    drain(M, S, Size, N - 1, erlang:crc32(Sum, B)).

%% One call that does no I/O, on a fresh connection, as an operation
%% (the benchmark takes the median of single calls, as the floors are
%% medians too).
-spec nop_op(atom()) -> sockport_bench_slices:op().
nop_op(M) ->
    {C, S} = pair(M),
    {fun() -> sockport_bench_api:nop(M, C) end,
     fun() -> close(M, C), close(M, S) end}.

%% connect + accept + close of both ends, per second.
-spec conn_rate(atom(), pos_integer()) -> #{atom() => number()}.
conn_rate(M, Ms) ->
    {L, Port} = listen(M),
    Self = self(),
    Acc = spawn_link(fun() -> acceptor(M, L, Self) end),
    T0 = now_us(),
    N = conn_loop(M, Port, T0 + Ms * 1000, 0),
    T1 = now_us(),
    unlink(Acc),
    exit(Acc, kill),
    close(M, L),
    #{per_s => N * 1.0e6 / (T1 - T0)}.

acceptor(M, L, Parent) ->
    S = accept(M, L),
    Parent ! accepted,
    close(M, S),
    acceptor(M, L, Parent).

conn_loop(M, Port, Deadline, N) ->
    C = connect(M, Port),
    receive accepted -> ok end,
    close(M, C),
    case now_us() > Deadline of
        true -> N + 1;
        false -> conn_loop(M, Port, Deadline, N + 1)
    end.

%% UDP 64-byte lock-step exchanges per second.
-spec udp_lockstep(atom(), pos_integer()) -> #{atom() => number()}.
udp_lockstep(M, Ms) ->
    {A, PA} = sockport_bench_api:udp_open(M),
    {B, PB} = sockport_bench_api:udp_open(M),
    Echo = spawn_link(fun() -> udp_echo(M, B, PA) end),
    Msg = binary:copy(<<"u">>, 64),
    T0 = now_us(),
    N = udp_loop(M, A, PB, Msg, T0 + Ms * 1000, 0),
    T1 = now_us(),
    unlink(Echo),
    exit(Echo, kill),
    close(M, A),
    close(M, B),
    #{per_s => N * 1.0e6 / (T1 - T0)}.

udp_echo(M, S, Peer) ->
    B = sockport_bench_api:udp_recv(M, S),
    sockport_bench_api:udp_send(M, S, Peer, B),
    udp_echo(M, S, Peer).

udp_loop(M, S, Peer, Msg, Deadline, N) ->
    sockport_bench_api:udp_send(M, S, Peer, Msg),
    _ = sockport_bench_api:udp_recv(M, S),
    case now_us() > Deadline of
        true -> N + 1;
        false -> udp_loop(M, S, Peer, Msg, Deadline, N + 1)
    end.

%% Conns connections, each a process doing 64-byte ping-pong for Ms:
%% aggregate round trips per second and their p99.
-spec many(atom(), pos_integer(), pos_integer()) -> #{atom() => number()}.
many(M, Conns, Ms) ->
    {L, Port} = listen(M),
    Self = self(),
    Pairs = [begin
                 spawn_link(fun() -> Self ! {accepted, accepted(M, L, Self)} end),
                 C = connect(M, Port),
                 S = receive {accepted, A} -> A end,
                 {C, S}
             end || _ <- lists:seq(1, Conns)],
    close(M, L),
    Msg = binary:copy(<<"m">>, 64),
    Echoes = [spawn_link(fun() -> echo(M, S, 64) end) || {_, S} <- Pairs],
    Start = now_us() + 100000,
    Deadline = Start + Ms * 1000,
    Clients = [spawn_link(fun() ->
                                  wait_until(Start),
                                  Self ! {samples, pp_loop(M, C, Msg, Deadline, [])}
                          end) || {C, _} <- Pairs],
    Ts = lists:append([receive {samples, X} -> X end || _ <- Clients]),
    [unlink(P) || P <- Echoes],
    [begin close(M, C), close(M, S) end || {C, S} <- Pairs],
    #{per_s => length(Ts) * 1.0e6 / (Ms * 1000),
      p99_us => sockport_bench_slices:pct(Ts, 99)}.

%% Sleeps until monotonic microsecond T.
-spec wait_until(integer()) -> ok.
wait_until(T) ->
    case T - now_us() of
        D when D > 1000 -> timer:sleep(D div 1000), wait_until(T);
        _ -> ok
    end.

%% Memory per idle connected socket: the VM's, and (sockport) the daemon's
%% resident set, over Conns connections (2 * Conns sockets).
-spec idle(atom(), pos_integer()) -> #{atom() => number()}.
idle(M, Conns) ->
    erlang:garbage_collect(),
    Vm0 = erlang:memory(total),
    Rss0 = daemon_rss(M),
    {L, Port} = listen(M),
    Self = self(),
    Acc = spawn_link(fun() -> accept_n(M, L, Conns, Self) end),
    Cs = [connect(M, Port) || _ <- lists:seq(1, Conns)],
    Ss = receive {all_accepted, X} -> X end,
    erlang:garbage_collect(),
    Vm1 = erlang:memory(total),
    Rss1 = daemon_rss(M),
    [close(M, S) || S <- Cs ++ Ss],
    close(M, L),
    unlink(Acc),
    exit(Acc, kill),
    Socks = 2 * Conns,
    Base = #{vm_bytes => (Vm1 - Vm0) / Socks},
    case M of
        sockport -> Base#{daemon_bytes => (Rss1 - Rss0) * 1024 / Socks};
        _ -> Base
    end.

accept_n(M, L, N, Parent) ->
    Parent ! {all_accepted, [accept(M, L) || _ <- lists:seq(1, N)]},
    receive never -> ok end.

%% VmRSS of shard 0's daemon in KiB (0 when M has no daemon).
daemon_rss(sockport) ->
    Pid = sockport_port:os_pid(0),
    {ok, Bin} = file:read_file("/proc/" ++ integer_to_list(Pid) ++ "/status"),
    [Kb] = [binary_to_integer(hd(binary:split(V, <<" ">>)))
            || <<"VmRSS:", Rest/binary>> <- binary:split(Bin, <<"\n">>, [global]),
               V <- [string:trim(Rest)]],
    Kb;
daemon_rss(_) ->
    0.

%% Two bulk streams of 64 KiB writes at once, one per scheduler: their
%% total MB/s. With two shards each stream has a daemon of its own.
-spec shards(atom(), pos_integer(), pos_integer()) -> #{atom() => number()}.
shards(M, Streams, Bytes) ->
    Self = self(),
    Scheds = erlang:system_info(schedulers_online),
    T0 = now_us(),
    [spawn_opt(fun() -> Self ! {done, bulk(M, 65536, Bytes)} end,
               [link, {scheduler, 1 + I rem Scheds}])
     || I <- lists:seq(1, Streams)],
    [receive {done, _} -> ok end || _ <- lists:seq(1, Streams)],
    T1 = now_us(),
    #{mbps => Streams * Bytes / (T1 - T0)}.
