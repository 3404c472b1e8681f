%% Helpers shared by the Erlang suites: per-case docs, temp dirs, waiting
%% for a process to block, collecting messages, finding the daemon.
-module(sockport_test_lib).

-export([init_per_group/2]).
-export([doc/1]).
-export([x/1]).
-export([mktemp/0]).
-export([rmtemp/1]).
-export([wait_blocked/1]).
-export([msgs/1]).
-export([until/2]).
-export([start_sockport/0]).
-export([set_env/1]).
-export([proc_stat/1]).
-export([restart/1]).
-export([daemon_ospids/0]).
-export([with_host_lock/2]).

%% The differential suites (sockport_diff*_SUITE): running a scenario
%% against both modules and the helpers scenarios are written with.
-export([compare/2, run/2]).
-export([rec/2, call/2, async/1, await/1, msg/1, uniq/0]).
-export([dom/1, addr/2, open/3, listener/3, pair/3, dgram/3, dead_addr/3]).
-export([close_ok/2, accept_for/4, recv_all/4, send_until_error/3, shape/2]).
-export([socket_msg/1, owner_loop/1, owner_call/2, closed_within/2, from/3]).
-export([blocked/1, fill_dgram/3, bounded/2, runs/1]).
-export([full_listener/3, full_pair/4, big/0, full_dgram/3, full_dgram_connected/3]).

-define(LONG, 10000).

%% Every case opens with doc("Ensure that ..."); the runner prints it when
%% the case fails.
-spec doc(string()) -> ok.
doc(Text) ->
    put('$sockport_doc', Text),
    ok.

%% Evaluate F; an exception becomes {raised, Class, Reason} (no stack), so
%% that exceptions compare like results.
-spec x(fun(() -> term())) -> term().
x(F) ->
    try F()
    catch Class:Reason -> {raised, Class, Reason}
    end.

%% Replaces the application's whole environment with Env.
-spec set_env([{atom(), term()}]) -> ok.
set_env(Env) ->
    [application:unset_env(sockport, K) || {K, _} <- application:get_all_env(sockport)],
    [application:set_env(sockport, K, V) || {K, V} <- Env],
    ok.

%% Stops the application, gives it Env, and starts it again.
-spec restart([{atom(), term()}]) -> ok.
restart(Env) ->
    application:stop(sockport),
    set_env(Env),
    {ok, _} = application:ensure_all_started(sockport),
    ok.

%% A fresh short directory (unix paths are limited to 108 bytes).
-spec mktemp() -> binary().
mktemp() ->
    Base = case os:getenv("TMPDIR") of
               false -> "/tmp";
               "" -> "/tmp";
               D -> D
           end,
    N = erlang:unique_integer([positive]),
    Dir = filename:join(Base, "spt-" ++ os:getpid() ++ "-" ++ integer_to_list(N)),
    ok = file:make_dir(Dir),
    list_to_binary(Dir).

-spec rmtemp(binary()) -> ok.
rmtemp(Dir) ->
    _ = file:del_dir_r(Dir),
    ok.

%% Wait (up to 5 s) until P is blocked in a receive, then a little more so
%% that whatever it asked for has been registered.
-spec wait_blocked(pid()) -> ok | not_blocked.
wait_blocked(P) ->
    Blocked = until(fun() -> erlang:process_info(P, status) =:= {status, waiting} end,
                    5000),
    timer:sleep(100),
    case Blocked of
        true -> ok;
        false -> not_blocked
    end.

%% All messages that arrive within Ms of each other.
-spec msgs(non_neg_integer()) -> [term()].
msgs(Ms) ->
    receive M -> [M | msgs(Ms)]
    after Ms -> []
    end.

%% Poll F every 10 ms until it returns true or Ms have passed.
-spec until(fun(() -> boolean()), non_neg_integer()) -> boolean().
until(F, Ms) ->
    Deadline = erlang:monotonic_time(millisecond) + Ms,
    until_loop(F, Deadline).

until_loop(F, Deadline) ->
    case F() of
        true -> true;
        _ ->
            case erlang:monotonic_time(millisecond) >= Deadline of
                true -> false;
                false -> timer:sleep(10), until_loop(F, Deadline)
            end
    end.

%% ok, {skip, Reason} when sockport is not built, or {error, Reason}.
-spec start_sockport() -> ok | {skip, string()} | {error, term()}.
start_sockport() ->
    case code:which(sockport) of
        non_existing ->
            {skip, "sockport is not built"};
        _ ->
            case application:ensure_all_started(sockport) of
                {ok, _} -> ok;
                {error, _} = E -> E
            end
    end.

%% Runs F holding a lock of this host named Name: for a case that changes
%% something every VM on the host shares (a sysctl), so that test runs side
%% by side do not trip each other. The lock is a directory holding its
%% holder's OS pid; a lock whose holder is gone is taken over.
-spec with_host_lock(string(), fun(() -> T)) -> T.
with_host_lock(Name, F) ->
    Dir = filename:join("/tmp", "sockport-lock-" ++ Name),
    lock(Dir, erlang:monotonic_time(millisecond) + 120000),
    try F()
    after
        _ = file:delete(filename:join(Dir, "pid")),
        _ = file:del_dir(Dir)
    end.

lock(Dir, Deadline) ->
    case file:make_dir(Dir) of
        ok ->
            ok = file:write_file(filename:join(Dir, "pid"), os:getpid());
        {error, eexist} ->
            Holder = case file:read_file(filename:join(Dir, "pid")) of
                         {ok, Pid} -> binary_to_list(Pid);
                         {error, _} -> ""
                     end,
            case Holder =/= "" andalso not filelib:is_dir("/proc/" ++ Holder) of
                true ->
                    %% its holder died holding it
                    _ = file:delete(filename:join(Dir, "pid")),
                    _ = file:del_dir(Dir);
                false ->
                    erlang:monotonic_time(millisecond) < Deadline orelse
                        error({lock_timeout, Dir, Holder}),
                    timer:sleep(50)
            end,
            lock(Dir, Deadline)
    end.

%% OS pids of the sockportd processes that descend from this VM.
-spec daemon_ospids() -> [string()].
daemon_ospids() ->
    VM = os:getpid(),
    {ok, Entries} = file:list_dir("/proc"),
    Pids = [E || E <- Entries, lists:all(fun(C) -> C >= $0 andalso C =< $9 end, E)],
    lists:sort([P || P <- Pids, comm(P) =:= "sockportd", descends(P, VM, 10)]).

comm(P) ->
    case file:read_file("/proc/" ++ P ++ "/comm") of
        {ok, B} -> string:trim(binary_to_list(B));
        _ -> ""
    end.

descends(_, _, 0) ->
    false;
descends(P, VM, N) ->
    case ppid(P) of
        VM -> true;
        "0" -> false;
        "1" -> false;
        undefined -> false;
        Parent -> descends(Parent, VM, N - 1)
    end.

ppid(P) ->
    case proc_stat(P) of
        [_State, PPid | _] -> PPid;
        undefined -> undefined
    end.

%% The fields of /proc/Pid/stat after the command name (state, ppid, ...;
%% utime and stime are the 12th and 13th), or undefined if it is gone.
-spec proc_stat(string() | integer()) -> [string()] | undefined.
proc_stat(P) when is_integer(P) ->
    proc_stat(integer_to_list(P));
proc_stat(P) ->
    case file:read_file("/proc/" ++ P ++ "/stat") of
        {ok, B} ->
            %% comm may hold spaces; fields after the last ')' are fixed.
            [_, Rest] = string:split(binary_to_list(B), ")", trailing),
            string:lexemes(Rest, " ");
        _ ->
            undefined
    end.

%% ===================================================================
%% Differential scenarios
%% ===================================================================

compare(Config, Scenario) ->
    Mod = proplists:get_value(mod, Config),
    Expected = run(Scenario, socket),
    Got = run(Scenario, Mod),
    case Expected =:= Got of
        true ->
            %% a scenario that crashes with both modules proves nothing
            case lists:reverse(Expected) of
                [{crashed, _, _, _} = Crash | _] ->
                    error({scenario_crashed, shorten(Crash)});
                _ ->
                    ok
            end;
        false ->
            error({traces_differ,
                   shorten(#{diff => sockport_norm:diff(Expected, Got),
                             socket => Expected, Mod => Got})})
    end.

%% For reports only: long binaries cut to their first 32 bytes and size.
shorten(B) when is_binary(B), byte_size(B) > 64 ->
    {binary:part(B, 0, 32), '...', {bytes, byte_size(B)}};
shorten([H | T]) -> [shorten(H) | shorten(T)];
shorten(T) when is_tuple(T) -> list_to_tuple(shorten(tuple_to_list(T)));
shorten(M) when is_map(M) -> maps:map(fun(_, V) -> shorten(V) end, M);
shorten(Other) -> Other.

%% Run a scenario in a fresh process with its own temp dir and abstract-name
%% tag; return its normalised trace. The process is killed at the end, so
%% that its helpers (linked) die and its sockets are closed.
-spec run(fun((module(), map()) -> term()), module()) -> list().
run(Scenario, Mod) ->
    Tmp = sockport_test_lib:mktemp(),
    %% Abstract names are shared by every VM of the network namespace: the
    %% OS pid keeps two test runs at once apart.
    Tag = <<"spt", (list_to_binary(os:getpid()))/binary, "x",
            (integer_to_binary(erlang:unique_integer([positive])))/binary>>,
    Self = self(),
    {Pid, MRef} =
        spawn_monitor(
          fun() ->
                  put(trace, []),
                  put(uniq, 0),
                  End = try Scenario(Mod, #{mod => Mod, tmp => Tmp, tag => Tag}) of
                            _ -> []
                        catch C:E:St -> [{crashed, C, E, where(St)}]
                        end,
                  Self ! {self(), lists:reverse(get(trace)) ++ End},
                  receive stop -> ok end
          end),
    Trace = receive
                {Pid, T} -> T;
                {'DOWN', MRef, process, Pid, Why} -> [{died, Why}]
            after 60000 -> [scenario_timeout]
            end,
    exit(Pid, kill),
    receive {'DOWN', MRef, process, Pid, _} -> ok end,
    sockport_test_lib:rmtemp(Tmp),
    sockport_norm:normalise(Trace, [{Tmp, <<"$TMP">>}, {Tag, <<"$TAG">>}]).

%% The innermost frame of a suite in a stack trace.
where(St) ->
    case [{Mod, F, A, proplists:get_value(line, L)}
          || {Mod, F, A, L} <- St, Mod =/= ?MODULE, is_suite(Mod)] of
        [W | _] -> W;
        [] -> lists:sublist(St, 1)
    end.

is_suite(Mod) ->
    lists:suffix("_SUITE", atom_to_list(Mod)).

%% ===================================================================
%% Scenario helpers
%% ===================================================================

rec(Label, Value) ->
    put(trace, [{Label, Value} | get(trace)]),
    Value.

%% Record the result of F, or the exception it raises.
call(Label, F) ->
    rec(Label, x(F)).

%% Run F in a linked helper process; await/1 gets its result.
async(F) ->
    Self = self(),
    Tag = make_ref(),
    P = spawn_link(fun() -> Self ! {Tag, x(F)} end),
    {P, Tag}.

await({_P, Tag}) ->
    receive {Tag, V} -> V
    after ?LONG -> no_result_within_10s
    end.

%% The next message, or no_message after Ms.
msg(Ms) ->
    receive M -> M
    after Ms -> no_message
    end.

uniq() ->
    N = get(uniq) + 1,
    put(uniq, N),
    integer_to_binary(N).

dom(inet) -> inet;
dom(inet6) -> inet6;
dom(path) -> local;
dom(abstract) -> local.

%% A fresh address of kind K (port 0, a new path, a new abstract name).
addr(inet, _) -> #{family => inet, addr => {127, 0, 0, 1}, port => 0};
addr(inet6, _) -> #{family => inet6, addr => {0, 0, 0, 0, 0, 0, 0, 1}, port => 0};
addr(path, #{tmp := Tmp}) -> #{family => local, path => <<Tmp/binary, "/s", (uniq())/binary>>};
addr(abstract, #{tag := Tag}) -> #{family => local, path => <<0, Tag/binary, "-", (uniq())/binary>>}.

open(M, K, Type) ->
    {ok, S} = M:open(dom(K), Type),
    S.

%% A listening socket of kind K and its address.
listener(M, K, X) ->
    L = open(M, K, stream),
    ok = M:bind(L, addr(K, X)),
    ok = M:listen(L),
    {ok, LA} = M:sockname(L),
    {L, LA}.

%% A connected stream pair {Listener, Client, Accepted}.
pair(M, K, X) ->
    {L, LA} = listener(M, K, X),
    C = open(M, K, stream),
    ok = M:connect(C, LA),
    {ok, A} = M:accept(L, ?LONG),
    {L, C, A}.

%% A bound datagram socket and its address.
dgram(M, K, X) ->
    S = open(M, K, dgram),
    ok = M:bind(S, addr(K, X)),
    {ok, SA} = M:sockname(S),
    {S, SA}.

%% An address of kind K where nothing listens.
dead_addr(M, inet, X) -> closed_port(M, inet, X);
dead_addr(M, inet6, X) -> closed_port(M, inet6, X);
dead_addr(_M, K, X) -> addr(K, X).

closed_port(M, K, X) ->
    S = open(M, K, stream),
    ok = M:bind(S, addr(K, X)),
    {ok, SA} = M:sockname(S),
    ok = M:close(S),
    SA.

%% ===================================================================

close_ok(M, {ok, S}) -> M:close(S);
close_ok(_, _) -> ok.

%% Accept in a helper process and hand the socket to Owner (a socket dies
%% with its owner, and the helper ends right after).
accept_for(M, L, Timeout, Owner) ->
    case M:accept(L, Timeout) of
        {ok, S} ->
            ok = M:setopt(S, {otp, controlling_process}, Owner),
            {ok, S};
        Other ->
            Other
    end.

recv_all(_M, _S, 0, Acc) ->
    Acc;
recv_all(M, S, N, Acc) ->
    case M:recv(S, 0, ?LONG) of
        {ok, B} -> recv_all(M, S, N - byte_size(B), <<Acc/binary, B/binary>>);
        Other -> {Other, Acc}
    end.

%% The first error of repeated sends (the first send may still succeed).
send_until_error(_M, _S, 0) ->
    no_error;
send_until_error(M, S, N) ->
    case M:send(S, <<"x">>) of
        ok -> timer:sleep(20), send_until_error(M, S, N - 1);
        Error -> Error
    end.

%% The form of a send result with the size of the rest replaced by whether
%% it is a proper, non-empty suffix of what was sent.
shape({select, {SI, Rest}}, Sent) -> {select, {SI, suffix(Rest, Sent)}};
shape({error, {R, Rest}}, Sent) when is_binary(Rest) -> {error, {R, suffix(Rest, Sent)}};
shape(Other, _) -> Other.

suffix(Rest, Sent) ->
    N = byte_size(Rest),
    N > 0 andalso N < byte_size(Sent) andalso
        binary:part(Sent, byte_size(Sent) - N, N) =:= Rest andalso proper_suffix.

socket_msg(Ms) ->
    receive {'$socket', _, _, _} = M -> M
    after Ms -> no_message
    end.

owner_loop(M) ->
    receive
        {From, {give, S, To}} ->
            From ! {owner_reply, M:setopt(S, {otp, controlling_process}, To)},
            owner_loop(M);
        {From, {open, K}} ->
            From ! {owner_reply, M:open(dom(K), stream)},
            owner_loop(M);
        stop ->
            ok
    end.

owner_call(P, Req) ->
    P ! {self(), Req},
    receive {owner_reply, R} -> R after ?LONG -> no_reply end.

%% Wait (up to 5 s) for a socket to be closed; the last sockname result.
closed_within(M, S) ->
    sockport_test_lib:until(fun() -> M:sockname(S) =:= {error, closed} end, 5000),
    M:sockname(S).

from(Name, What, Ms) ->
    receive {Name, What, R} -> R
    after Ms -> none
    end.

%% Run F in a linked helper and wait until it blocks (in the daemon or the
%% NIF); the helper as async/1 gives it.
blocked(F) ->
    W = async(F),
    _ = wait_blocked(element(1, W)),
    W.

%% Fill the receive queue of the datagram socket at To by sending 10-byte
%% datagrams from S with timeout 0 until one times out; the count sent
%% (as `{filled, N}` when it is full) or what else the send said.
fill_dgram(M, S, To) ->
    fill_dgram(M, S, To, 0).

fill_dgram(_M, _S, _To, N) when N >= 100000 ->
    {never_full, N};
fill_dgram(M, S, To, N) ->
    case M:sendto(S, <<"0123456789">>, To, 0) of
        ok -> fill_dgram(M, S, To, N + 1);
        {error, timeout} -> {filled, N};
        Other -> {N, Other}
    end.

%% Record the result of F, run in a helper; a call still waiting after
%% 500 ms is recorded as `still_waiting` and its helper killed (for calls
%% that OTP takes as valid and waits in).
bounded(Label, F) ->
    Tag = make_ref(),
    Self = self(),
    {P, Mon} = spawn_monitor(fun() -> Self ! {Tag, x(F)} end),
    R = receive
            {Tag, V} -> V
        after 500 ->
                exit(P, kill),
                still_waiting
        end,
    receive {'DOWN', Mon, process, P, _} -> ok end,
    receive {Tag, _} -> ok after 0 -> ok end,
    rec(Label, R).

%% A listener with backlog 0 and one connection waiting in its queue: the
%% kernel drops further SYNs, so a connect waits.
full_listener(M, K, X) ->
    L = open(M, K, stream),
    ok = M:bind(L, addr(K, X)),
    ok = M:listen(L, 0),
    {ok, LA} = M:sockname(L),
    C0 = open(M, K, stream),
    ok = M:connect(C0, LA),
    {L, LA}.

%% A connected pair whose client's send buffer is full, and how much of
%% what was sent (copies of a prefix of Big) is in the buffers. Sends with
%% timeout 0 until one writes nothing, 200 ms apart, as the kernel may
%% still grow the buffers a little after the first one.
full_pair(M, K, X, Big) ->
    {L, C, A} = pair(M, K, X),
    {L, C, A, fill_stream(M, C, Big, 0, 20)}.

fill_stream(_M, _C, _Big, Sent, 0) ->
    Sent;
fill_stream(M, C, Big, Sent, N) ->
    case M:send(C, Big, 0) of
        {error, {timeout, Rest}} ->
            timer:sleep(200),
            fill_stream(M, C, Big, Sent + byte_size(Big) - byte_size(Rest), N - 1);
        {error, timeout} when Sent > 0 ->
            Sent;
        {error, timeout} ->
            timer:sleep(200),
            fill_stream(M, C, Big, Sent, N - 1)
    end.

big() ->
    binary:copy(<<"0123456789abcdef">>, 1 bsl 20).   % 16 MiB

%% A bound datagram socket R whose receive queue is full, and a bound
%% socket S that filled it (unix datagram sockets: the sender then waits).
full_dgram(M, K, X) ->
    {R, RA} = dgram(M, K, X),
    {S, SA} = dgram(M, K, X),
    Filled = case fill_dgram(M, S, RA) of
                 {filled, N} when N > 0 -> filled;
                 Other -> Other
             end,
    {R, RA, S, SA, Filled}.

%% As full_dgram/3, with S connected to R first: the kernel then wakes S
%% only when R's queue has room (an unconnected sender polls writable at
%% once, so its select message would come at once, racing what follows).
full_dgram_connected(M, K, X) ->
    {R, RA} = dgram(M, K, X),
    {S, SA} = dgram(M, K, X),
    ok = M:connect(S, RA),
    Filled = case fill_dgram(M, S, RA) of
                 {filled, N} when N > 0 -> filled;
                 Other -> Other
             end,
    {R, RA, S, SA, Filled}.

%% The groups of every suite: `socket' runs the scenarios against OTP's
%% socket, `sockport' against sockport (started here).
-spec init_per_group(atom(), list()) -> list() | {skip, string()}.
init_per_group(socket, Config) ->
    [{mod, socket} | Config];
init_per_group(sockport, Config) ->
    case sockport_test_lib:start_sockport() of
        ok -> [{mod, sockport} | Config];
        {skip, _} = Skip -> Skip;
        {error, Reason} -> error({cannot_start_sockport, Reason})
    end.

%% Run-length encoding of a binary: [{Byte, Count}] (the order in which
%% whole messages of one repeated byte each arrived).
runs(<<>>) -> [];
runs(<<B, _/binary>> = Bin) ->
    N = run_length(Bin, B, 0),
    <<_:N/binary, Rest/binary>> = Bin,
    [{B, N} | runs(Rest)].

run_length(<<B, Rest/binary>>, B, N) -> run_length(Rest, B, N + 1);
run_length(_, _, N) -> N.
