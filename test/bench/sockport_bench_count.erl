%% The daemon's own work per call, counted in instructions: the daemon
%% runs under valgrind's callgrind (through the `launch' prefix), once
%% with a connection set up and nothing done on it, and once more for each
%% workload (the benchmark's own operations, sockport_bench_work), and the
%% difference of the totals is divided by the calls the workload made.
%% Times move by a third from run to run on a shared machine; the counts
%% by a percent or two (how many commands one turn of the daemon's loop
%% serves depends on timing), so they show what a change to the daemon
%% costs or saves.
%%
%% erl ... -run sockport_bench_count main N OutDir
-module(sockport_bench_count).

-export([main/1]).

-spec main([string()]) -> no_return().
main([NArg, OutDir]) ->
    process_flag(trap_exit, false),
    logger:set_primary_config(level, warning),
    case os:find_executable("valgrind") of
        false ->
            io:format("valgrind is not installed (Debian: valgrind)~n"),
            halt(2);
        Valgrind ->
            N = list_to_integer(NArg),
            ok = filelib:ensure_dir(filename:join(OutDir, "x")),
            Count = fun(Name, MakeOp, Times) ->
                            count(Valgrind, OutDir, Name, MakeOp, Times)
                    end,
            Base = Count("base", fun setopt_op/0, 0),
            io:format("daemon instructions per call (callgrind), each "
                      "workload repeated ~b times:~n", [N]),
            [io:format("  ~-34s ~8b~n",
                       [Label, round((Count(Name, MakeOp, N) - Base) /
                                         (N * Calls))])
             || {Name, Label, Calls, MakeOp} <- workloads()],
            halt(0)
    end.

%% {Name, Label, Calls per operation, fun() -> Op}.
workloads() ->
    W = sockport_bench_work,
    [{"pingpong", "64 B ping-pong, per call (4 each)", 4,
      fun() -> W:pingpong_op(sockport, 64) end},
     {"getopt", "getopt {socket, type}", 1,
      fun() -> W:nop_op(sockport) end},
     {"setopt", "setopt {socket, keepalive}", 1, fun setopt_op/0}].

setopt_op() ->
    {C, S} = sockport_bench_work:pair(sockport),
    {fun() -> ok = sockport:setopt(C, {socket, keepalive}, true) end,
     fun() -> sockport:close(C), sockport:close(S) end}.

times(0, _) -> ok;
times(N, F) -> F(), times(N - 1, F).

%% The daemon's instructions from its start to its exit, with the
%% operation MakeOp() sets up run Times times.
count(Valgrind, OutDir, Name, MakeOp, Times) ->
    Out = filename:absname(filename:join(OutDir, "callgrind." ++ Name)),
    ok = application:set_env(sockport, launch,
                             [Valgrind, "-q", "--tool=callgrind",
                              "--callgrind-out-file=" ++ Out]),
    %% valgrind makes system calls the daemon's filter does not allow
    ok = application:set_env(sockport, sandbox, false),
    ok = application:set_env(sockport, start_timeout, 60000),
    %% polling for the next command is waiting, not work
    ok = application:set_env(sockport, busy_poll, 0),
    {ok, _} = application:ensure_all_started(sockport),
    [#{launcher_os_pid := OsPid}] = sockport:daemon_info(),
    {Op, Stop} = MakeOp(),
    times(Times, Op),
    Stop(),
    ok = application:stop(sockport),
    wait_exit(OsPid),
    totals(Out).

%% callgrind writes its file as the daemon exits (on the end of its
%% input): wait until the process is gone or a zombie.
wait_exit(OsPid) ->
    case file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/stat") of
        {ok, Stat} ->
            [_, After] = binary:split(Stat, <<") ">>),
            case After of
                <<"Z", _/binary>> -> ok;
                _ -> timer:sleep(100), wait_exit(OsPid)
            end;
        {error, _} ->
            ok
    end.

totals(File) ->
    {ok, Bin} = file:read_file(File),
    {match, [T]} = re:run(Bin, "^(?:totals|summary): *([0-9]+)",
                          [multiline, {capture, all_but_first, binary}]),
    binary_to_integer(T).
