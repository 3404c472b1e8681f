%% Fault tests. kill -9 of the daemon while processes are blocked in recv
%% and accept or wait on nowait selects: every caller must return
%% {error, closed} promptly, selects get abort messages, monitors fire, the
%% VM and the application keep running, a new daemon starts and works, and
%% handles of the dead daemon answer {error, closed} and never reach a
%% socket of the new one. Also callers and owners dying: these cases run
%% against `socket` too, as the reference.
%%
%% "Promptly" is a generous 5 s: these are not timing tests.
-module(sockport_crash_SUITE).

-export([all/0, groups/0, suite/0]).
-export([init_per_group/2, end_per_group/2]).
-export([init_per_testcase/2, end_per_testcase/2]).
-export([kill_wakes_blocked_callers/1]).
-export([kill_aborts_selects/1]).
-export([kill_fires_monitors/1]).
-export([kill_mid_traffic/1]).
-export([kill_new_daemon_works/1]).
-export([kill_old_handles_closed/1]).
-export([kill_repeatedly_app_survives/1]).
-export([caller_killed_in_recv_next_reader_gets_data/1]).
-export([caller_killed_in_accept_next_acceptor_served/1]).
-export([owner_death_closes_sockets/1]).
-export([caller_killed_nowait_armed_next_served/1]).
-export([monitor_down_on_close_and_owner_death/1]).

-import(sockport_test_lib, [doc/1, wait_blocked/1, until/2]).

-define(PROMPT, 5000).
-define(ROUNDS, 50).

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 300}}].

-spec all() -> list().
all() ->
    [{group, socket}, {group, sockport}].

-spec groups() -> list().
groups() ->
    Both = [caller_killed_in_recv_next_reader_gets_data,
            caller_killed_in_accept_next_acceptor_served,
            owner_death_closes_sockets,
            caller_killed_nowait_armed_next_served,
            monitor_down_on_close_and_owner_death],
    [{socket, [], Both},
     {sockport, [], [kill_wakes_blocked_callers, kill_aborts_selects, kill_fires_monitors,
                     kill_mid_traffic, kill_new_daemon_works, kill_old_handles_closed,
                     kill_repeatedly_app_survives | Both]}].

-spec init_per_group(atom(), list()) -> list() | {skip, string()}.
init_per_group(Group, Config) ->
    sockport_test_lib:init_per_group(Group, Config).

-spec end_per_group(atom(), list()) -> ok.
end_per_group(_, _) ->
    ok.

%% A case may start right after another one killed the daemon: wait (up to
%% 15 s) until the restarted daemon opens sockets again.
-spec init_per_testcase(atom(), list()) -> list().
init_per_testcase(_Case, Config) ->
    M = mod(Config),
    true = until(fun() ->
                         case M:open(inet, stream, tcp) of
                             {ok, S} -> M:close(S), true;
                             _ -> false
                         end
                 end, 15000),
    Config.

-spec end_per_testcase(atom(), list()) -> ok.
end_per_testcase(_Case, _Config) ->
    ok.

%% ===================================================================
%% Helpers
%% ===================================================================

mod(Config) ->
    proplists:get_value(mod, Config).

lo() ->
    #{family => inet, addr => {127, 0, 0, 1}, port => 0}.

listener(M) ->
    {ok, L} = M:open(inet, stream, tcp),
    ok = M:bind(L, lo()),
    ok = M:listen(L),
    {ok, LA} = M:sockname(L),
    {L, LA}.

pair(M) ->
    {L, LA} = listener(M),
    {ok, C} = M:open(inet, stream, tcp),
    ok = M:connect(C, LA),
    {ok, A} = M:accept(L, 5000),
    {L, C, A}.

%% Run F in a process; the result is sent back tagged.
async(F) ->
    Self = self(),
    Tag = make_ref(),
    P = spawn(fun() -> Self ! {Tag, F()} end),
    {P, Tag}.

await({_, Tag}, Ms) ->
    receive {Tag, V} -> V
    after Ms -> {no_result_within_ms, Ms}
    end.

blocked(F) ->
    W = async(F),
    ok = wait_blocked(element(1, W)),
    W.

%% The one daemon of this VM (waits up to 10 s for it to be there).
daemon() ->
    true = until(fun() -> length(sockport_test_lib:daemon_ospids()) =:= 1 end, 10000),
    [Pid] = sockport_test_lib:daemon_ospids(),
    Pid.

kill_daemon() ->
    Pid = daemon(),
    [] = os:cmd("kill -9 " ++ Pid),
    Pid.

%% Wait until a daemon other than Old runs and a socket can be opened.
new_daemon(M, Old) ->
    true = until(fun() ->
                         case sockport_test_lib:daemon_ospids() of
                             [New] when New =/= Old -> true;
                             _ -> false
                         end
                 end, 15000),
    true = until(fun() ->
                         case M:open(inet, stream, tcp) of
                             {ok, S} -> M:close(S), true;
                             _ -> false
                         end
                 end, 15000),
    daemon().

app_running() ->
    lists:keymember(sockport, 1, application:which_applications()).

%% A full exchange over fresh sockets.
exchange(M) ->
    {L, C, A} = pair(M),
    ok = M:send(C, <<"ping">>),
    {ok, <<"ping">>} = M:recv(A, 4, 5000),
    ok = M:send(A, <<"pong">>),
    {ok, <<"pong">>} = M:recv(C, 4, 5000),
    [ok = M:close(S) || S <- [A, C, L]],
    ok.

%% ===================================================================
%% Daemon death
%% ===================================================================

-spec kill_wakes_blocked_callers(list()) -> ok.
kill_wakes_blocked_callers(Config) ->
    doc("Ensure that kill -9 of the daemon makes every caller blocked in recv/accept/recvfrom return {error, closed} promptly."),
    M = mod(Config),
    {L, C, A} = pair(M),
    {L2, _} = listener(M),
    {ok, D} = M:open(inet, dgram, udp),
    ok = M:bind(D, lo()),
    Ws = [blocked(fun() -> M:recv(A, 0) end),
          blocked(fun() -> M:recv(C, 10, 60000) end),
          blocked(fun() -> M:accept(L) end),
          blocked(fun() -> M:accept(L2, 60000) end),
          blocked(fun() -> M:recvfrom(D) end),
          blocked(fun() -> M:recv(A, 0) end)],   % queued behind the first
    _ = kill_daemon(),
    Results = [await(W, ?PROMPT) || W <- Ws],
    [{error, closed}] = lists:usort(Results),
    true = app_running(),
    ok.

-spec kill_aborts_selects(list()) -> ok.
kill_aborts_selects(Config) ->
    doc("Ensure that on daemon death pending nowait selects get {'$socket', S, abort, {H, closed}}."),
    M = mod(Config),
    {L, _C, A} = pair(M),
    {select, {select_info, recv, H1}} = M:recv(A, 0, nowait),
    H2 = make_ref(),
    {select, {select_info, accept, H2}} = M:accept(L, H2),
    _ = kill_daemon(),
    Got = [receive {'$socket', A, abort, {H1, R1}} -> {abort, R1} after ?PROMPT -> none end,
           receive {'$socket', L, abort, {H2, R2}} -> {abort, R2} after ?PROMPT -> none end],
    [{abort, closed}, {abort, closed}] = Got,
    {error, closed} = M:recv(A, 0, nowait),
    true = app_running(),
    ok.

-spec kill_fires_monitors(list()) -> ok.
kill_fires_monitors(Config) ->
    doc("Ensure that on daemon death every socket monitor gets its 'DOWN', and a later monitor fires at once."),
    M = mod(Config),
    {L, _C, A} = pair(M),
    MonA = M:monitor(A),
    MonL = M:monitor(L),
    _ = kill_daemon(),
    Got = [receive {'DOWN', MonA, socket, A, _} -> down after ?PROMPT -> none end,
           receive {'DOWN', MonL, socket, L, _} -> down after ?PROMPT -> none end],
    [down, down] = Got,
    MonLate = M:monitor(A),
    down = receive {'DOWN', MonLate, socket, A, _} -> down after ?PROMPT -> none end,
    true = app_running(),
    ok.

-spec kill_mid_traffic(list()) -> ok.
kill_mid_traffic(Config) ->
    doc("Ensure that a sender and a receiver in mid-transfer both end with a closed error when the daemon dies."),
    M = mod(Config),
    {_L, C, A} = pair(M),
    Chunk = binary:copy(<<"x">>, 65536),
    Sender = async(fun() -> send_loop(M, C, Chunk) end),
    Receiver = async(fun() -> recv_loop(M, A, 0) end),
    %% Let some traffic flow first.
    timer:sleep(300),
    _ = kill_daemon(),
    {send_ended, SendErr} = await(Sender, ?PROMPT),
    {recv_ended, RecvErr, Bytes} = await(Receiver, ?PROMPT),
    true = is_closed_error(SendErr),
    true = is_closed_error(RecvErr),
    true = Bytes > 0,
    true = app_running(),
    ok.

send_loop(M, S, Chunk) ->
    case M:send(S, Chunk) of
        ok -> send_loop(M, S, Chunk);
        Error -> {send_ended, Error}
    end.

recv_loop(M, S, N) ->
    case M:recv(S, 0) of
        {ok, B} -> recv_loop(M, S, N + byte_size(B));
        Error -> {recv_ended, Error, N}
    end.

is_closed_error({error, closed}) -> true;
is_closed_error({error, {closed, _}}) -> true;
is_closed_error(_) -> false.

-spec kill_new_daemon_works(list()) -> ok.
kill_new_daemon_works(Config) ->
    doc("Ensure that after the daemon dies a new one starts and new sockets of every kind work."),
    M = mod(Config),
    ok = exchange(M),
    Old = kill_daemon(),
    New = new_daemon(M, Old),
    true = New =/= Old,
    ok = exchange(M),
    {ok, U1} = M:open(inet6, dgram, udp),
    ok = M:bind(U1, #{family => inet6, addr => {0, 0, 0, 0, 0, 0, 0, 1}, port => 0}),
    {ok, U1A} = M:sockname(U1),
    {ok, U2} = M:open(inet6, dgram, udp),
    ok = M:sendto(U2, <<"dgram">>, U1A),
    {ok, {_, <<"dgram">>}} = M:recvfrom(U1, 0, 5000),
    true = app_running(),
    ok.

-spec kill_old_handles_closed(list()) -> ok.
kill_old_handles_closed(Config) ->
    doc("Ensure that handles of a dead daemon answer {error, closed} and never reach sockets of the new one."),
    M = mod(Config),
    {L, C, A} = pair(M),
    Olds = [L, C, A] ++ [begin {ok, S} = M:open(inet, dgram, udp), S end || _ <- lists:seq(1, 5)],
    Old = kill_daemon(),
    _ = new_daemon(M, Old),
    %% More new sockets than old ones, so that any id reuse would collide.
    News = [begin {ok, S} = M:open(inet, dgram, udp), ok = M:bind(S, lo()), S end
            || _ <- lists:seq(1, 20)],
    {NL, NC, NA} = pair(M),
    [begin
         {error, closed} = M:sockname(S),
         {error, closed} = M:recv(S, 0, 1000),
         {error, closed} = M:recv(S, 0, nowait),
         {error, closed} = M:send(S, <<"x">>),
         {error, closed} = M:shutdown(S, read_write),
         {error, closed} = M:setopt(S, {otp, controlling_process}, self()),
         {error, closed} = M:close(S)
     end || S <- Olds],
    {error, closed} = M:accept(L, 1000),
    %% The new sockets are untouched.
    [{ok, _} = M:sockname(S) || S <- News],
    ok = M:send(NC, <<"still here">>),
    {ok, <<"still here">>} = M:recv(NA, 10, 5000),
    [ok = M:close(S) || S <- [NL, NC, NA | News]],
    ok.

-spec kill_repeatedly_app_survives(list()) -> ok.
kill_repeatedly_app_survives(Config) ->
    doc("Ensure that 50 kills in a row, each with a blocked caller, never stop the application."),
    M = mod(Config),
    lists:foreach(
      fun(_) ->
              {_L, _C, A} = pair(M),
              W = blocked(fun() -> M:recv(A, 0) end),
              Old = kill_daemon(),
              {error, closed} = await(W, ?PROMPT),
              true = app_running(),
              _ = new_daemon(M, Old)
      end, lists:seq(1, ?ROUNDS)),
    ok = exchange(M),
    true = app_running(),
    ok.

%% ===================================================================
%% Callers and owners dying (socket and sockport)
%% ===================================================================

-spec caller_killed_in_recv_next_reader_gets_data(list()) -> ok.
caller_killed_in_recv_next_reader_gets_data(Config) ->
    doc("Ensure that a caller killed while parked in recv has its operation cancelled, so the next reader gets the data."),
    M = mod(Config),
    {_L, C, A} = pair(M),
    %% One parked reader killed; a later reader gets the data.
    W1 = blocked(fun() -> M:recv(A, 0) end),
    dead = kill_proc(element(1, W1)),
    ok = M:send(C, <<"first">>),
    {ok, <<"first">>} = M:recv(A, 0, 5000),
    %% A parked head killed with another reader queued behind it.
    W2 = blocked(fun() -> M:recv(A, 0) end),
    W3 = blocked(fun() -> M:recv(A, 0, 30000) end),
    dead = kill_proc(element(1, W2)),
    ok = M:send(C, <<"second">>),
    {ok, <<"second">>} = await(W3, ?PROMPT),
    %% A timed recv killed: nothing is lost either.
    W4 = blocked(fun() -> M:recv(A, 6, 30000) end),
    dead = kill_proc(element(1, W4)),
    ok = M:send(C, <<"third!">>),
    {ok, <<"third!">>} = M:recv(A, 6, 5000),
    ok.

-spec caller_killed_in_accept_next_acceptor_served(list()) -> ok.
caller_killed_in_accept_next_acceptor_served(Config) ->
    doc("Ensure that an acceptor killed while parked does not take the next connection."),
    M = mod(Config),
    {L, LA} = listener(M),
    W1 = blocked(fun() -> M:accept(L) end),
    W2 = blocked(fun() -> element(1, M:accept(L, 30000)) end),
    dead = kill_proc(element(1, W1)),
    {ok, C} = M:open(inet, stream, tcp),
    ok = M:connect(C, LA),
    ok = await(W2, ?PROMPT),
    ok.

kill_proc(P) ->
    Mon = monitor(process, P),
    exit(P, kill),
    receive {'DOWN', Mon, process, P, _} -> dead after ?PROMPT -> alive end.

-spec owner_death_closes_sockets(list()) -> ok.
owner_death_closes_sockets(Config) ->
    doc("Ensure that killing an owner closes all its sockets: sockname gives {error, closed}, connects are refused, waiters wake."),
    M = mod(Config),
    Self = self(),
    Owner = spawn(fun() ->
                          {L, LA} = listener(M),
                          {ok, D} = M:open(inet, dgram, udp),
                          {ok, S} = M:open(inet6, stream, tcp),
                          Self ! {owned, [L, D, S], LA},
                          receive stop -> ok end
                  end),
    {Socks, LA} = receive {owned, Ss, Addr} -> {Ss, Addr} after 5000 -> error(no_owner) end,
    [L | _] = Socks,
    W = blocked(fun() -> M:accept(L) end),
    dead = kill_proc(Owner),
    {error, closed} = await(W, ?PROMPT),
    true = until(fun() -> [M:sockname(S) || S <- Socks] =:= [{error, closed} || _ <- Socks] end,
                 ?PROMPT),
    {ok, C} = M:open(inet, stream, tcp),
    {error, econnrefused} = M:connect(C, LA),
    ok.

-spec caller_killed_nowait_armed_next_served(list()) -> ok.
caller_killed_nowait_armed_next_served(Config) ->
    doc("Ensure that a process that armed a nowait recv or accept and then died has its select cancelled, so the next reader or acceptor is served."),
    M = mod(Config),
    {L, LA} = listener(M),
    {ok, C} = M:open(inet, stream, tcp),
    ok = M:connect(C, LA),
    {ok, A} = M:accept(L, 5000),
    Self = self(),
    Arm = fun(F) ->
                  P = spawn(fun() -> Self ! {armed, F()}, receive after infinity -> ok end end),
                  {select, _} = receive {armed, R} -> R after ?PROMPT -> none end,
                  dead = kill_proc(P)
          end,
    Arm(fun() -> M:recv(A, 0, nowait) end),
    W = blocked(fun() -> M:recv(A, 0, 30000) end),
    ok = M:send(C, <<"for the next">>),
    {ok, <<"for the next">>} = await(W, ?PROMPT),
    Arm(fun() -> M:recv(A, 0, make_ref()) end),
    ok = M:send(C, <<"direct">>),
    {ok, <<"direct">>} = M:recv(A, 0, 5000),
    Arm(fun() -> M:accept(L, nowait) end),
    W2 = blocked(fun() -> element(1, M:accept(L, 30000)) end),
    {ok, C2} = M:open(inet, stream, tcp),
    ok = M:connect(C2, LA),
    ok = await(W2, ?PROMPT),
    %% And our own nowait select afterwards gets its message.
    {select, {select_info, recv, H}} = M:recv(A, 0, nowait),
    ok = M:send(C, <<"mine">>),
    receive {'$socket', A, select, H} -> ok after ?PROMPT -> error(no_select) end,
    {ok, <<"mine">>} = M:recv(A, 0, nowait),
    ok.

-spec monitor_down_on_close_and_owner_death(list()) -> ok.
monitor_down_on_close_and_owner_death(Config) ->
    doc("Ensure that socket monitors get {'DOWN', Ref, socket, S, closed} when the socket is closed (by anyone) or its owner dies."),
    M = mod(Config),
    {L, C, A} = pair(M),
    MonA = M:monitor(A),
    ok = await(async(fun() -> M:close(A) end), ?PROMPT),
    receive {'DOWN', MonA, socket, A, closed} -> ok after ?PROMPT -> error(no_down_close) end,
    MonC = M:monitor(C),
    MonC2 = M:monitor(C),
    ok = M:close(C),
    [receive {'DOWN', Mon, socket, C, closed} -> ok after ?PROMPT -> error(no_down) end
     || Mon <- [MonC, MonC2]],
    Self = self(),
    Owner = spawn(fun() -> {ok, S} = M:open(inet, dgram, udp), Self ! {sock, S},
                           receive after infinity -> ok end end),
    S = receive {sock, S0} -> S0 after ?PROMPT -> error(no_owner) end,
    MonS = M:monitor(S),
    dead = kill_proc(Owner),
    receive {'DOWN', MonS, socket, S, closed} -> ok after ?PROMPT -> error(no_down_owner) end,
    MonL = M:monitor(L),
    true = M:cancel_monitor(MonL),
    ok = M:close(L),
    receive {'DOWN', MonL, _, _, _} -> error(down_after_cancel) after 300 -> ok end,
    ok.
