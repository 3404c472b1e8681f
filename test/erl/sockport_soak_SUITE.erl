%% Faults over time: the daemon killed at random moments of mixed traffic,
%% sockets opened and closed in waves while their owners and callers are
%% killed, and malformed frames written straight to the daemon's port.
%% Every caller returns, the VM lives, old handles reach nothing, and the
%% daemon's descriptors and memory come back to where they were.
%%
%% SOCKPORT_SOAK_ROUNDS sets the kill rounds (CI: 200; the long run in the
%% README: 1000).
-module(sockport_soak_SUITE).

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1]).
-export([kills_in_traffic/1, waves/1, malformed_frames/1]).

suite() -> [{timetrap, {minutes, 15}}].

all() -> [malformed_frames, waves, kills_in_traffic].

%% Restarts are immediate here (no back-off), so that the rounds measure
%% the faults and not the waits between restarts.
init_per_suite(Config) ->
    Saved = application:get_env(sockport, restart_backoff_max),
    application:stop(sockport),
    application:set_env(sockport, restart_backoff_max, 1),
    case sockport_test_lib:start_sockport() of
        ok -> [{saved_backoff, Saved} | Config];
        Other -> Other
    end.

end_per_suite(Config) ->
    application:stop(sockport),
    case proplists:get_value(saved_backoff, Config) of
        {ok, V} -> application:set_env(sockport, restart_backoff_max, V);
        undefined -> application:unset_env(sockport, restart_backoff_max)
    end,
    ok.

rounds() ->
    list_to_integer(os:getenv("SOCKPORT_SOAK_ROUNDS", "200")).

%% ---------------------------------------------------------------------------
%% Malformed frames

%% Random bytes, terms that are no command, and commands with wrong
%% arities, types and ids go straight to the port: the daemon answers or
%% logs each and stays the same process, serving as before.
malformed_frames(_Config) ->
    rand:seed(exsss, {3, 1, 4}),
    OsPid = sockport_port:os_pid(0),
    Port = sockport_port:port(0),
    %% the frames name a socket and a caller of their own: what they do to
    %% them (close, give away, PID_DOWN) is not what is tested
    Victim = spawn(fun() -> receive stop -> ok end end),
    {ok, {'$socket', {sockport, Port, Id}}} =
        sockport:open(inet, dgram, udp),
    [true = erlang:port_command(Port, frame(Id, Victim))
     || _ <- lists:seq(1, 3000)],
    %% a round trip after them all: the daemon read every one
    {ok, S} = sockport:open(inet, stream, tcp),
    {ok, stream} = sockport:getopt(S, {socket, type}),
    OsPid = sockport_port:os_pid(0),
    ok = sockport:close(S),
    %% what the frames made for the victim goes with it
    MRef = erlang:monitor(process, Victim),
    Victim ! stop,
    receive {'DOWN', MRef, process, Victim, _} -> ok end,
    ok.

frame(Id, Pid) ->
    case rand:uniform(4) of
        1 -> rand:bytes(rand:uniform(64) - 1);
        2 -> term_to_binary(junk());
        3 -> term_to_binary(list_to_tuple([op(), Pid, make_ref(),
                                           pick([Id, 0, 999999, -1, foo])
                                           | [junk() || _ <- lists:seq(1, rand:uniform(7) - 1)]]));
        4 -> %% a good header, a body cut short
            B = term_to_binary({op(), Pid, make_ref(), Id, junk(), junk()}),
            binary:part(B, 0, rand:uniform(byte_size(B)) - 1)
    end.

op() ->
    pick([1, 16, 17, 18, 20, 21, 22, 23, 24, 25, 26, 27, 28, 32, 33, 34,
          48, 49, 50, 51, 52, 53, 54, 64, 80, 81, 82, 83, 0, 99, 255,
          1 bsl 40, foo]).

junk() ->
    pick([0, -1, 1 bsl 70, 3.0, foo, infinity, nowait, true, [], [1, 2],
          <<"bin">>, {}, {nowait, make_ref()}, {inet, {127, 0, 0, 1}, 9},
          {local, <<0, "x">>}, #{a => 1}, "str", self(), make_ref(),
          [{0, 1, {int, 1}}], {1, 2, 3, 4}]).

pick(L) -> lists:nth(rand:uniform(length(L)), L).

%% ---------------------------------------------------------------------------
%% Waves

%% 10,000 sockets in waves of 1,000: opened by short-lived owners, some
%% with callers parked in accept or recv; owners and callers are killed
%% at random, the rest close. After each wave the daemon holds as many
%% descriptors as before, and after all of them its memory is back near
%% where it started.
waves(_Config) ->
    rand:seed(exsss, {2, 7, 1}),
    OsPid = sockport_port:os_pid(0),
    Fds0 = steady(fun() -> fds(OsPid) end),
    Rss0 = rss(OsPid),
    [wave(1000) || _ <- lists:seq(1, 10)],
    OsPid = sockport_port:os_pid(0),
    Fds0 = settle(fun() -> fds(OsPid) end, Fds0),
    Rss1 = rss(OsPid),
    %% Freed memory stays in the allocator's arenas; it must not grow with
    %% the number of sockets that came and went. A daemon built with ASan
    %% keeps freed memory in its quarantine on purpose; there LeakSanitizer,
    %% at the daemon's exit, is the (stricter) check instead.
    case sanitized(OsPid) of
        true -> ok;
        false -> true = Rss1 - Rss0 < 8 * 1024 orelse error({rss_kib, Rss0, Rss1})
    end,
    ok.

sanitized(OsPid) ->
    {ok, Maps} = file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/maps"),
    binary:match(Maps, <<"libasan">>) =/= nomatch.

wave(N) ->
    Self = self(),
    Owners = [spawn(fun() -> owner(Self) end) || _ <- lists:seq(1, N div 10)],
    Socks = lists:append([receive {socks, O, Ss} -> Ss end || O <- Owners]),
    length(Socks) =:= N orelse error({socks, length(Socks)}),
    %% kill half the owners (their sockets close), close the rest's
    {Killed, Kept} = lists:split(length(Owners) div 2, Owners),
    [exit(O, kill) || O <- Killed],
    [O ! close || O <- Kept],
    [receive {closed, O} -> ok after 10000 -> error({owner_stuck, O}) end
     || O <- Kept],
    ok.

%% Ten sockets: a listener with a parked acceptor, a UDP socket with a
%% parked reader, and eight plain ones; then it waits to be killed or
%% told to close them.
owner(Parent) ->
    {ok, L} = sockport:open(inet, stream, tcp),
    ok = sockport:bind(L, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    ok = sockport:listen(L),
    {ok, U} = sockport:open(inet, dgram, udp),
    Plain = [begin {ok, S} = sockport:open(inet, stream, tcp), S end
             || _ <- lists:seq(1, 8)],
    Callers = [spawn(fun() -> sockport:accept(L, infinity) end),
               spawn(fun() -> sockport:recvfrom(U, 0, [], infinity) end)],
    Parent ! {socks, self(), [L, U | Plain]},
    receive
        close ->
            %% one caller killed, the other woken by the close
            exit(hd(Callers), kill),
            [ok = sockport:close(S) || S <- [L, U | Plain]],
            Parent ! {closed, self()}
    end.

%% ---------------------------------------------------------------------------
%% Kills in traffic

%% Rounds of: echo pairs busy with traffic in several modes, the daemon
%% killed after a random delay. Every caller returns (with a result or
%% {error, closed}), old handles answer {error, closed}, and the VM's own
%% descriptors do not grow with the rounds.
kills_in_traffic(_Config) ->
    rand:seed(exsss, {9, 9, 9}),
    VmFds0 = fds(list_to_integer(os:getpid())),
    Old = lists:append([kill_round() || _ <- lists:seq(1, rounds())]),
    [{error, closed} = sockport:getopt(S, {socket, type}) || S <- Old],
    VmFds = settle(fun() -> fds(list_to_integer(os:getpid())) end, VmFds0),
    true = VmFds =< VmFds0 + 5 orelse error({vm_fds, VmFds0, VmFds}),
    %% the last new daemon holds no socket of the old ones, and what it
    %% opens for new sockets it gives back
    0 = sockport:number_of(),
    Daemon = sockport_port:os_pid(0),
    DFds0 = fds(Daemon),
    {ok, {C, A, U}} = pair(),
    [ok = sockport:close(S) || S <- [C, A, U]],
    DFds0 = settle(fun() -> fds(Daemon) end, DFds0),
    ok.

kill_round() ->
    Self = self(),
    Socks = up_pair(),
    Workers = [spawn_monitor(fun() -> Self ! {done, self(), traffic(Socks, K)} end)
               || K <- [blocking, timed, nowait, dgram]],
    timer:sleep(rand:uniform(30)),
    OsPid = sockport_port:os_pid(0),
    os:cmd("kill -9 " ++ integer_to_list(OsPid)),
    [receive
         {'DOWN', MRef, process, P, Reason} ->
             Reason =:= normal orelse error({worker_died, Reason})
     after 15000 -> error({caller_hung, P})
     end || {P, MRef} <- Workers],
    flush(),
    new_daemon(OsPid),
    [S || S <- tuple_to_list(Socks), S =/= dead].

%% A connected TCP pair and a UDP socket; {error, closed} all round if the
%% daemon is already gone.
up_pair() ->
    case catch pair() of
        {ok, T} -> T;
        _ -> {dead, dead, dead}
    end.

pair() ->
    {ok, L} = sockport:open(inet, stream, tcp),
    ok = sockport:bind(L, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    ok = sockport:listen(L),
    {ok, Addr} = sockport:sockname(L),
    {ok, C} = sockport:open(inet, stream, tcp),
    ok = sockport:connect(C, Addr),
    {ok, A} = sockport:accept(L),
    ok = sockport:close(L),
    {ok, U} = sockport:open(inet, dgram, udp),
    ok = sockport:bind(U, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    {ok, {C, A, U}}.

%% Traffic until the daemon dies; every call must return.
traffic({dead, _, _}, _) ->
    ok;
traffic({C, A, U} = Socks, Kind) ->
    R = case Kind of
            blocking ->
                _ = sockport:send(C, <<0:8192>>),
                sockport:recv(A, 1024);
            timed ->
                _ = sockport:send(A, <<1:800>>, 100),
                sockport:recv(C, 0, 100);
            nowait ->
                case sockport:recv(A, 0, nowait) of
                    {select, SI} ->
                        receive {'$socket', A, _, _} -> ok
                        after 50 -> sockport:cancel(A, SI)
                        end;
                    Other -> Other
                end;
            dgram ->
                {ok, Me} = ok_or_closed(sockport:sockname(U)),
                _ = sockport:sendto(U, <<"d">>, Me),
                sockport:recvfrom(U, 0, [], 100)
        end,
    case R of
        {error, closed} -> ok;
        _ -> traffic(Socks, Kind)
    end.

ok_or_closed({ok, _} = Ok) -> Ok;
ok_or_closed({error, closed}) -> {ok, #{family => inet, addr => {127, 0, 0, 1}, port => 9}}.

new_daemon(Old) ->
    settle(fun() ->
                   case catch sockport_port:os_pid(0) of
                       P when is_integer(P), P =/= Old -> up;
                       _ -> down
                   end
           end, up).

flush() ->
    receive _ -> flush() after 0 -> ok end.

%% ---------------------------------------------------------------------------
%% /proc

fds(OsPid) ->
    {ok, L} = file:list_dir("/proc/" ++ integer_to_list(OsPid) ++ "/fd"),
    length(L).

rss(OsPid) ->
    {ok, B} = file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/status"),
    [Kb] = [binary_to_integer(hd(binary:split(string:trim(V), <<" ">>)))
            || <<"VmRSS:", V/binary>> <- binary:split(B, <<"\n">>, [global])],
    Kb.

%% F's value once two samples 200 ms apart agree (earlier cases' sockets
%% may still be closing).
steady(F) ->
    steady(F, F(), 50).

steady(_F, V, 0) ->
    V;
steady(F, V, N) ->
    timer:sleep(200),
    case F() of
        V -> V;
        V2 -> steady(F, V2, N - 1)
    end.

%% F's value once it is Want (or what it is after 10 s).
settle(F, Want) ->
    settle(F, Want, 100).

settle(F, _Want, 0) ->
    F();
settle(F, Want, N) ->
    case F() of
        Want -> Want;
        _ -> timer:sleep(100), settle(F, Want, N - 1)
    end.
