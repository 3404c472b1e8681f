%% The daemon's own work per call, counted in instructions: the daemon
%% runs under valgrind's callgrind (through the `launch' prefix), once
%% with nothing but a connected pair and once more for each workload, and
%% the difference of the totals is divided by the calls the workload made.
%% Unlike times, the counts do not move with the load of the machine, so
%% they show what a change to the daemon costs or saves.
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
            Count = fun(Name, F) -> count(Valgrind, OutDir, Name, F) end,
            Base = Count("base", fun(_, _) -> ok end),
            io:format("daemon instructions per call (callgrind), each "
                      "workload repeated ~b times:~n", [N]),
            [io:format("  ~-34s ~8b~n",
                       [Label, round((Count(Name, F) - Base) / (N * Calls))])
             || {Name, Label, Calls, F} <- workloads(N)],
            halt(0)
    end.

%% {Name, Label, Calls per repetition, F(Client, Server)}.
workloads(N) ->
    Msg = binary:copy(<<"p">>, 64),
    [{"pingpong", "64 B ping-pong, per call (4 each)", 4,
      fun(C, S) -> times(N, fun() -> pingpong(C, S, Msg) end) end},
     {"getopt", "getopt {socket, type}", 1,
      fun(C, _) ->
              times(N, fun() -> {ok, stream} = sockport:getopt(C, {socket, type}) end)
      end},
     {"setopt", "setopt {socket, keepalive}", 1,
      fun(C, _) ->
              times(N, fun() -> ok = sockport:setopt(C, {socket, keepalive}, true) end)
      end}].

%% One round trip, both ends driven from here: the server's recv waits in
%% the daemon while the client sends, as in the benchmark's ping-pong.
pingpong(C, S, Msg) ->
    Self = self(),
    Server = spawn_link(fun() -> {ok, B} = sockport:recv(S, 64), Self ! {got, B} end),
    ok = sockport:send(C, Msg),
    receive {got, B} -> ok = sockport:send(S, B) end,
    {ok, _} = sockport:recv(C, 64),
    unlink(Server).

times(0, _) -> ok;
times(N, F) -> F(), times(N - 1, F).

%% The daemon's instructions from its start to its exit, with a connected
%% pair and F(Client, Server) run on it.
count(Valgrind, OutDir, Name, F) ->
    Out = filename:absname(filename:join(OutDir, "callgrind." ++ Name)),
    ok = application:set_env(sockport, launch,
                             [Valgrind, "-q", "--tool=callgrind",
                              "--callgrind-out-file=" ++ Out]),
    %% valgrind makes system calls the daemon's filter does not allow
    ok = application:set_env(sockport, sandbox, false),
    ok = application:set_env(sockport, start_timeout, 60000),
    {ok, _} = application:ensure_all_started(sockport),
    [#{launcher_os_pid := OsPid}] = sockport:daemon_info(),
    {C, S} = pair(),
    F(C, S),
    ok = application:stop(sockport),
    wait_exit(OsPid),
    totals(Out).

pair() ->
    {ok, L} = sockport:open(inet, stream, tcp),
    ok = sockport:bind(L, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    ok = sockport:listen(L, 1),
    {ok, Addr} = sockport:sockname(L),
    {ok, C} = sockport:open(inet, stream, tcp),
    ok = sockport:connect(C, Addr),
    {ok, S} = sockport:accept(L),
    ok = sockport:close(L),
    {C, S}.

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
