%% Helpers shared by the Erlang suites: per-case docs, temp dirs, waiting
%% for a process to block, collecting messages, finding the daemon.
-module(sockport_test_lib).

-export([doc/1]).
-export([x/1]).
-export([mktemp/0]).
-export([rmtemp/1]).
-export([wait_blocked/1]).
-export([msgs/1]).
-export([until/2]).
-export([start_sockport/0]).
-export([daemon_ospids/0]).

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
    case file:read_file("/proc/" ++ P ++ "/stat") of
        {ok, B} ->
            %% comm may hold spaces; fields after the last ')' are fixed.
            [_, Rest] = string:split(binary_to_list(B), ")", trailing),
            [_State, PPid | _] = string:lexemes(Rest, " "),
            PPid;
        _ ->
            undefined
    end.
