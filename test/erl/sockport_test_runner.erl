%% A small runner for the Erlang suites (no Common Test needed). It runs
%% the Common Test subset the suites use: all/0, groups/0, suite/0,
%% init/end_per_suite, init/end_per_group and a function per case, each
%% case in its own process under a time trap. Groups named after a module
%% under test (`socket`, `sockport`) run only when that module is asked
%% for. It prints a line per case and ends with
%% `SUMMARY passed=N failed=N skipped=N`; the VM's exit status is 0 only
%% when nothing failed.
%%
%%   erl -noshell -pa build/erl/ebin -pa build/test/erl \
%%       -run sockport_test_runner main socket,sockport [Suite ...]
-module(sockport_test_runner).

-export([main/1]).

-define(SUITES, [sockport_norm_SUITE, sockport_diff_SUITE, sockport_diff_stream_SUITE,
                 sockport_diff_dgram_SUITE, sockport_diff_select_SUITE,
                 sockport_sendfile_SUITE, sockport_bulk_SUITE,
                 sockport_crash_SUITE, sockport_opt_SUITE, sockport_info_SUITE,
                 sockport_msg_SUITE, sockport_ioctl_SUITE, sockport_open_SUITE,
                 sockport_sandbox_SUITE, sockport_wrap_SUITE, sockport_args_SUITE,
                 sockport_limits_SUITE, sockport_soak_SUITE,
                 sockport_kinds_SUITE, sockport_packet_SUITE,
                 sockport_backpressure_SUITE,
                 sockport_tcp_SUITE, sockport_udp_SUITE,
                 sockport_deploy_SUITE]).
-define(MOD_GROUPS, [socket, sockport]).

-spec main([string()]) -> no_return().
main([ModsArg | SuiteArgs]) ->
    Mods = [list_to_atom(M) || M <- string:lexemes(ModsArg, ",")],
    Suites = case SuiteArgs of
                 [] -> ?SUITES;
                 _ -> [list_to_atom(S) || S <- SuiteArgs]
             end,
    Counts = lists:foldl(fun(S, Acc) -> run_suite(S, Mods, Acc) end,
                         #{passed => 0, failed => 0, skipped => 0}, Suites),
    #{passed := P, failed := F, skipped := Sk} = Counts,
    io:format("SUMMARY passed=~b failed=~b skipped=~b~n", [P, F, Sk]),
    halt(case F of 0 -> 0; _ -> 1 end).

run_suite(Suite, Mods, Acc) ->
    io:format("~n--- ~s~n", [Suite]),
    case code:ensure_loaded(Suite) of
        {module, _} ->
            Trap = timetrap(Suite),
            Items = expand(Suite, Suite:all(), Mods),
            case fixture(Suite, init_per_suite, [[]]) of
                {ok, Config} ->
                    Acc1 = run_items(Suite, Items, Config, Trap, Acc),
                    _ = fixture(Suite, end_per_suite, [Config]),
                    Acc1;
                {skip, Why} ->
                    skip_items(Suite, Items, Why, Acc);
                {error, Why} ->
                    fail_items(Suite, Items, {init_per_suite, Why}, Acc)
            end;
        Error ->
            io:format("  FAIL ~s: cannot load: ~p~n", [Suite, Error]),
            bump(failed, Acc)
    end.

%% Items: [{Group | none, [Case]}] in order, module groups filtered.
expand(Suite, All, Mods) ->
    Groups = case erlang:function_exported(Suite, groups, 0) of
                 true -> Suite:groups();
                 false -> []
             end,
    lists:flatmap(
      fun({group, G}) ->
              case lists:member(G, ?MOD_GROUPS) andalso not lists:member(G, Mods) of
                  true -> [];
                  false ->
                      {G, _Props, Cases} = lists:keyfind(G, 1, Groups),
                      [{G, Cases}]
              end;
         (Case) when is_atom(Case) ->
              [{none, [Case]}]
      end, All).

run_items(_Suite, [], _Config, _Trap, Acc) ->
    Acc;
run_items(Suite, [{none, Cases} | Rest], Config, Trap, Acc) ->
    run_items(Suite, Rest, Config, Trap, run_cases(Suite, none, Cases, Config, Trap, Acc));
run_items(Suite, [{G, Cases} | Rest], Config, Trap, Acc) ->
    Acc1 = case fixture(Suite, init_per_group, [G, Config]) of
               {ok, GConfig} ->
                   A = run_cases(Suite, G, Cases, GConfig, Trap, Acc),
                   _ = fixture(Suite, end_per_group, [G, GConfig]),
                   A;
               {skip, Why} ->
                   skip_items(Suite, [{G, Cases}], Why, Acc);
               {error, Why} ->
                   fail_items(Suite, [{G, Cases}], {init_per_group, Why}, Acc)
           end,
    run_items(Suite, Rest, Config, Trap, Acc1).

run_cases(Suite, G, Cases, Config, Trap, Acc) ->
    lists:foldl(fun(C, A) -> run_case(Suite, G, C, Config, Trap, A) end, Acc, Cases).

run_case(Suite, G, Case, Config0, Trap, Acc) ->
    Name = name(Suite, G, Case),
    T0 = erlang:monotonic_time(millisecond),
    Result = case fixture(Suite, init_per_testcase, [Case, Config0]) of
                 {ok, Config} ->
                     R = in_process(fun() -> Suite:Case(Config) end, Trap),
                     _ = fixture(Suite, end_per_testcase, [Case, Config]),
                     R;
                 {skip, Why} -> {skip, Why};
                 {error, Why} -> {fail, {init_per_testcase, Why}, undefined}
             end,
    Ms = erlang:monotonic_time(millisecond) - T0,
    case Result of
        {ok, _} ->
            io:format("  ok   ~s (~b ms)~n", [Name, Ms]),
            bump(passed, Acc);
        {skip, Reason} ->
            io:format("  SKIP ~s: ~s~n", [Name, to_text(Reason)]),
            bump(skipped, Acc);
        {fail, Reason, Doc} ->
            io:format("  FAIL ~s (~b ms)~n       doc: ~s~n       ~p~n",
                      [Name, Ms, to_text(Doc), Reason]),
            bump(failed, Acc)
    end.

%% Run F in a fresh process; {ok, V} | {skip, R} | {fail, Reason, Doc}.
in_process(F, Trap) ->
    Self = self(),
    {Pid, Mon} = spawn_monitor(
                   fun() ->
                           R = try F() of
                                   {skip, Why} -> {skip, Why};
                                   V -> {ok, V}
                               catch C:E:St ->
                                       {fail, {C, E, St}, get('$sockport_doc')}
                               end,
                           Self ! {self(), R}
                   end),
    receive
        {Pid, R} ->
            erlang:demonitor(Mon, [flush]),
            R;
        {'DOWN', Mon, process, Pid, Why} ->
            {fail, {died, Why}, undefined}
    after Trap ->
            exit(Pid, kill),
            erlang:demonitor(Mon, [flush]),
            {fail, {timetrap, Trap}, undefined}
    end.

%% Optional fixture: {ok, Config} | {skip, R} | {error, R}.
fixture(Suite, F, Args) ->
    Default = case Args of [] -> []; _ -> lists:last(Args) end,
    case erlang:function_exported(Suite, F, length(Args)) of
        false when F =:= end_per_suite; F =:= end_per_group; F =:= end_per_testcase ->
            {ok, Default};
        false ->
            {ok, Default};
        true ->
            case in_process(fun() -> apply(Suite, F, Args) end, 120000) of
                {ok, {skip, Why}} -> {skip, Why};
                {ok, Config} when is_list(Config) -> {ok, Config};
                {ok, Other} -> {ok, Other};
                {skip, Why} -> {skip, Why};
                {fail, Why, _} -> {error, Why}
            end
    end.

timetrap(Suite) ->
    Props = case erlang:function_exported(Suite, suite, 0) of
                true -> Suite:suite();
                false -> []
            end,
    case proplists:get_value(timetrap, Props, {seconds, 60}) of
        {seconds, S} -> S * 1000;
        {minutes, M} -> M * 60000;
        Ms when is_integer(Ms) -> Ms
    end.

skip_items(Suite, Items, Why, Acc) ->
    lists:foldl(fun({G, Cases}, A0) ->
                        lists:foldl(fun(C, A) ->
                                            io:format("  SKIP ~s: ~s~n",
                                                      [name(Suite, G, C), to_text(Why)]),
                                            bump(skipped, A)
                                    end, A0, Cases)
                end, Acc, Items).

fail_items(Suite, Items, Why, Acc) ->
    lists:foldl(fun({G, Cases}, A0) ->
                        lists:foldl(fun(C, A) ->
                                            io:format("  FAIL ~s~n       ~p~n",
                                                      [name(Suite, G, C), Why]),
                                            bump(failed, A)
                                    end, A0, Cases)
                end, Acc, Items).

name(Suite, none, Case) -> io_lib:format("~s:~s", [Suite, Case]);
name(Suite, G, Case) -> io_lib:format("~s[~s]:~s", [Suite, G, Case]).

to_text(undefined) -> "-";
to_text(T) when is_list(T) ->
    try unicode:characters_to_list(T) of
        L when is_list(L) -> L;
        _ -> io_lib:format("~p", [T])
    catch _:_ -> io_lib:format("~p", [T])
    end;
to_text(T) -> io_lib:format("~p", [T]).

bump(K, Acc) ->
    maps:update_with(K, fun(V) -> V + 1 end, Acc).
