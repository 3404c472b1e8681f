%% Deployment: the documentation the shell shows (h/2), the daemons'
%% statistics (sockport:daemon_info/0,1), the logger events of starts,
%% deaths, restarts, sandbox kills, limits and protocol errors, and
%% starting the daemon through a launch prefix (`ip netns exec NAME',
%% `unshare --net'), which needs root; without it those cases are skipped
%% with the reason.
-module(sockport_deploy_SUITE).

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([doc_every_export/1, doc_h_open/1, daemon_info_counts/1,
         idle_pid_let_go/1, busy_poll/1,
         log_restart/1, log_limits/1, log_out_high/1, log_protocol_error/1,
         log_sandbox_kill/1, launch_ip_netns_exec/1, launch_unshare/1,
         launch_errors/1]).
%% logger handler
-export([log/2]).

-import(sockport_test_lib, [doc/1]).

-define(TEST_FORBIDDEN, 250).
-define(WAIT, 10000).

-spec suite() -> list().
suite() -> [{timetrap, {seconds, 120}}].

-spec all() -> [atom()].
all() ->
    [doc_every_export, doc_h_open, daemon_info_counts, idle_pid_let_go,
     busy_poll, log_restart,
     log_limits, log_out_high, log_protocol_error, log_sandbox_kill,
     launch_ip_netns_exec, launch_unshare, launch_errors].

-spec init_per_suite(list()) -> list() | {skip, string()} | {error, term()}.
init_per_suite(Config) ->
    case sockport_test_lib:start_sockport() of
        ok -> [{saved, application:get_all_env(sockport)} | Config];
        Other -> Other
    end.

-spec end_per_suite(list()) -> ok.
end_per_suite(Config) ->
    restart(proplists:get_value(saved, Config), []),
    ok.

-spec init_per_testcase(atom(), list()) -> list().
init_per_testcase(_Case, Config) ->
    %% The events come here; the console shows none of them.
    ok = logger:add_handler(sockport_deploy_capture, ?MODULE,
                            #{level => all, config => #{pid => self()}}),
    #{level := Level} = logger:get_primary_config(),
    ok = logger:set_primary_config(level, info),
    _ = logger:add_handler_filter(default, sockport_deploy_quiet,
                                  {fun logger_filters:domain/2,
                                   {stop, sub, [sockport]}}),
    [{level, Level} | Config].

-spec end_per_testcase(atom(), list()) -> ok.
end_per_testcase(_Case, Config) ->
    restart(proplists:get_value(saved, Config), []),
    _ = logger:remove_handler_filter(default, sockport_deploy_quiet),
    ok = logger:set_primary_config(level, proplists:get_value(level, Config)),
    _ = logger:remove_handler(sockport_deploy_capture),
    ok.

%% ===========================================================================
%% Documentation

-spec doc_every_export(list()) -> ok.
doc_every_export(_Config) ->
    doc("Ensure that the doc chunks of sockport, sockport_tcp and sockport_udp document the module, every exported function and every exported type."),
    [documented(M, Min) || {M, Min} <- [{sockport, 50}, {sockport_tcp, 15},
                                        {sockport_udp, 15}]],
    ok.

documented(Mod, Min) ->
    {ok, {docs_v1, _, erlang, _, ModDoc, _, Docs}} = code:get_doc(Mod),
    true = has_text(ModDoc),
    Funs = [{function, F, A} || {F, A} <- Mod:module_info(exports),
                                F =/= module_info],
    {ok, {Mod, [{abstract_code, {raw_abstract_v1, Forms}}]}} =
        beam_lib:chunks(code:which(Mod), [abstract_code]),
    Types = [{type, T, A} || {attribute, _, export_type, L} <- Forms,
                             {T, A} <- L],
    true = length(Funs) >= Min,
    Documented = [Key || {Key, _, _, D, _} <- Docs, has_text(D)],
    {Mod, []} = {Mod, (Funs ++ Types) -- Documented},
    ok.

-spec doc_h_open(list()) -> ok.
doc_h_open(_Config) ->
    doc("Ensure that h(sockport, open) shows the documentation of open/1..4 and that the chunk sits in the application's doc/chunks."),
    Chunk = filename:join([filename:dirname(filename:dirname(
                                              code:which(sockport))),
                           "doc", "chunks", "sockport.chunk"]),
    true = filelib:is_regular(Chunk),
    {ok, Docs} = code:get_doc(sockport),
    Text = unicode:characters_to_list(shell_docs:render(sockport, open,
                                                        Docs)),
    [true = string:find(Text, Part) =/= nomatch
     || Part <- ["open(FD)", "open(Domain, Type, Protocol, Opts)",
                 "Opens a socket", "network namespace"]],
    ok.

has_text(#{<<"en">> := Doc}) -> Doc =/= [] andalso Doc =/= <<>>;
has_text(_) -> false.

%% ===========================================================================
%% Statistics

-spec daemon_info_counts(list()) -> ok.
daemon_info_counts(_Config) ->
    doc("Ensure that daemon_info/0,1 count the sockets a daemon holds, the most it held and the commands it read."),
    [#{shard := 0, status := up, sockets := N0, commands := C0}] =
        sockport:daemon_info(),
    Ss = [element(2, {ok, _} = sockport:open(inet, dgram, udp))
          || _ <- lists:seq(1, 5)],
    #{sockets := N5, sockets_peak := Peak, commands := C5, pids := Pids} =
        sockport:daemon_info(0),
    N5 = N0 + 5,
    true = Peak >= N5 andalso Pids >= 1,
    true = C5 >= C0 + 5,
    [ok = sockport:close(S) || S <- Ss],
    #{sockets := N0, sockets_peak := Peak} = sockport:daemon_info(0),
    {'EXIT', {badarg, _}} = (catch sockport:daemon_info(1)),
    {'EXIT', {badarg, _}} = (catch sockport:daemon_info(x)),
    ok.

-spec idle_pid_let_go(list()) -> ok.
idle_pid_let_go(_Config) ->
    doc("Ensure that a process parking calls on a socket it does not own is watched (the router monitors it) from its first call, stays watched between and after its calls, and is let go within two sweep periods once it stops."),
    {ok, S} = sockport:open(inet, dgram, udp),
    ok = sockport:bind(S, #{family => inet, addr => loopback, port => 0}),
    Self = self(),
    Caller = spawn_link(fun() ->
                                [{error, timeout} = sockport:recvfrom(S, 0, [], 20)
                                 || _ <- lists:seq(1, 10)],
                                Self ! {done, self()},
                                receive stop -> ok end
                        end),
    receive {done, Caller} -> ok end,
    %% The router is the only process that monitors Caller (a watch; the
    %% watch frame came before the first reply). After its last call it
    %% stays watched...
    {monitored_by, [Router]} = process_info(Caller, monitored_by),
    true = is_pid(Router),
    %% ...until a sweep has found it idle a whole period (1 to 2 s)
    true = sockport_test_lib:until(
             fun() -> process_info(Caller, monitored_by) =:= {monitored_by, []} end,
             5000),
    unlink(Caller),
    Caller ! stop,
    ok = sockport:close(S).

%% ===========================================================================
%% Logger events

-spec log_restart(list()) -> ok.
log_restart(_Config) ->
    doc("Ensure that a killed daemon is logged down, its successor logged started, and daemon_info/1 counts both."),
    listen(),
    #{os_pid := P0, starts := St0, deaths := D0, restarts := R0} =
        sockport:daemon_info(0),
    kill(P0),
    #{reason := {exit_status, 137}, os_pid := P0, shard := 0,
      restart_in_ms := _} = event([sockport, daemon], daemon_down),
    #{os_pid := P1, restarts := R1, path := Path} = started(),
    true = P1 =/= P0 andalso R1 =:= R0 + 1,
    #{status := up, os_pid := P1, path := Path, starts := St1,
      deaths := D1, last_down := {exit_status, 137}} = sockport:daemon_info(0),
    {St1, D1} = {St0 + 1, D0 + 1},
    {ok, S} = until_open(100),
    ok = sockport:close(S).

-spec busy_poll(list()) -> ok.
busy_poll(Config) ->
    doc("Ensure that busy_poll reaches the daemon (15 us unless set, 0 turns it off, values out of range are ignored), that a daemon stays awake for that long after a call, and that it then sleeps."),
    Saved = proplists:get_value(saved, Config),
    #{busy_poll_us := 15} = sockport:daemon_info(0),
    [begin
         restart(Saved, [{busy_poll, Bad}]),
         #{busy_poll_us := 15} = sockport:daemon_info(0)
     end || Bad <- [-1, 1000001, fifteen]],
    restart(Saved, [{busy_poll, 0}]),
    #{busy_poll_us := 0} = sockport:daemon_info(0),
    %% (times come in ticks of 10 ms: a tick may land on the call itself)
    {Awake0, Asleep} = awake_after_call(),
    true = (Awake0 =< 10 andalso Asleep < 50) orelse {cpu_ms, Awake0, Asleep},
    %% 200 ms of polling: the daemon spends (much of) it on the CPU, and
    %% none of the second after it.
    restart(Saved, [{busy_poll, 200000}]),
    #{busy_poll_us := 200000} = sockport:daemon_info(0),
    {Awake, Asleep2} = awake_after_call(),
    true = Awake >= 20 orelse {awake_ms, Awake},
    true = Asleep2 < 50 orelse {asleep_ms, Asleep2}.

%% The daemon's CPU time in ms in the 0.5 s after a call, and in the second
%% after that.
awake_after_call() ->
    #{os_pid := Pid} = sockport:daemon_info(0),
    {ok, S} = sockport:open(inet, stream, tcp),
    timer:sleep(1000),
    T0 = cpu_ms(Pid),
    {ok, stream} = sockport:getopt(S, {socket, type}),
    timer:sleep(500),
    T1 = cpu_ms(Pid),
    timer:sleep(1000),
    T2 = cpu_ms(Pid),
    ok = sockport:close(S),
    {T1 - T0, T2 - T1}.

%% User and system time of an OS process, in ms (clock ticks of 10 ms).
cpu_ms(Pid) ->
    Fields = sockport_test_lib:proc_stat(Pid),
    Ticks = list_to_integer(lists:nth(12, Fields)) +
        list_to_integer(lists:nth(13, Fields)),
    Ticks * 10.

-spec log_limits(list()) -> ok.
log_limits(Config) ->
    doc("Ensure that max_sockets and max_waiters refusals are logged under [sockport, limit] and counted by daemon_info/1."),
    listen(),
    restart(proplists:get_value(saved, Config),
            [{max_sockets, 2}, {max_waiters, 1}]),
    _ = started(),
    {ok, A} = sockport:open(inet, stream, tcp),
    {ok, B} = sockport:open(inet, dgram, udp),
    {error, emfile} = sockport:open(inet, dgram, udp),
    #{limit := max_sockets, value := 2, hits := 1, shard := 0} =
        event([sockport, limit], limit_hit),
    ok = sockport:bind(B, #{family => inet, addr => {127,0,0,1}, port => 0}),
    Self = self(),
    Waiter = spawn_link(fun () -> Self ! {waited, sockport:recv(B, 0, 3000)} end),
    ok = sockport_test_lib:wait_blocked(Waiter),
    {error, enomem} = sockport:recv(B, 0, 3000),
    #{limit := max_waiters, value := 1, hits := 1} =
        event([sockport, limit], limit_hit),
    ok = sockport:close(B),
    receive {waited, {error, closed}} -> ok after ?WAIT -> error(waiter) end,
    #{limits := #{max_sockets := 2, max_waiters := 1},
      limit_hits := #{max_sockets := 1, max_waiters := 1, out_high := 0},
      sockets := 1, sockets_peak := 2} = sockport:daemon_info(0),
    ok = sockport:close(A).

-spec log_out_high(list()) -> ok.
log_out_high(Config) ->
    doc("Ensure that output towards the VM passing out_high is logged under [sockport, limit] and counted, and that the data still arrives whole."),
    listen(),
    restart(proplists:get_value(saved, Config), [{out_high, 4096}]),
    _ = started(),
    {ok, L} = sockport:open(inet, stream, tcp),
    ok = sockport:bind(L, #{family => inet, addr => {127,0,0,1}, port => 0}),
    ok = sockport:listen(L),
    {ok, Addr} = sockport:sockname(L),
    {ok, C} = socket:open(inet, stream, tcp),
    ok = socket:connect(C, Addr),
    {ok, A} = sockport:accept(L),
    Data = binary:copy(<<"o">>, 64 bsl 10),
    ok = socket:send(C, Data),
    {ok, Data} = sockport:recv(A, byte_size(Data), ?WAIT),
    #{limit := out_high, value := 4096, shard := 0} =
        event([sockport, limit], limit_hit),
    #{limits := #{out_high := 4096}, limit_hits := #{out_high := Hits}} =
        sockport:daemon_info(0),
    true = Hits >= 1,
    ok = socket:close(C),
    [ok = sockport:close(S) || S <- [A, L]],
    ok.

-spec log_protocol_error(list()) -> ok.
log_protocol_error(_Config) ->
    doc("Ensure that a frame that is no command is logged under [sockport, protocol] and counted, and the daemon goes on."),
    listen(),
    #{malformed_commands := M0, os_pid := P} = sockport:daemon_info(0),
    true = erlang:port_command(sockport_port:port(0),
                               term_to_binary({not_a_command})),
    #{error := malformed_command, text := <<"malformed command", _/binary>>,
      os_pid := P} = event([sockport, protocol], protocol_error),
    #{malformed_commands := M1, os_pid := P} = sockport:daemon_info(0),
    M1 = M0 + 1,
    ok.

-spec log_sandbox_kill(list()) -> ok.
log_sandbox_kill(Config) ->
    doc("Ensure that a daemon killed by its sandbox is logged under [sockport, sandbox] and counted as a sandbox kill."),
    listen(),
    Forbidden = filename:join(filename:dirname(code:which(?MODULE)),
                              "sockportd_test"),
    true = filelib:is_regular(Forbidden),
    restart(proplists:get_value(saved, Config),
            [{daemon_path, Forbidden}, {sandbox, true}]),
    _ = started(),
    #{os_pid := P, sandbox_kills := 0} = sockport:daemon_info(0),
    {error, closed} = sockport_cmd:request(sockport_port:port(0),
                                           ?TEST_FORBIDDEN, 0, []),
    #{os_pid := P, reason := {exit_status, 159}} =
        event([sockport, sandbox], sandbox_kill),
    #{reason := {exit_status, 159}} = event([sockport, daemon], daemon_down),
    _ = started(),
    #{sandbox_kills := 1, deaths := 1, last_down := {exit_status, 159}} =
        sockport:daemon_info(0),
    ok.

%% ===========================================================================
%% Launch prefixes

-spec launch_ip_netns_exec(list()) -> ok | {skip, string()}.
launch_ip_netns_exec(Config) ->
    doc("Ensure that with launch [\"ip\", \"netns\", \"exec\", NS] the daemon runs in NS, serves sockets there, and is killed and restarted there."),
    listen(),
    case sockport_netns:setup("deploy") of
        {skip, _} = Skip ->
            Skip;
        {ok, #{a := NS, if_a := If} = Pair} ->
            try
                launch_ip_netns_exec(Config, NS, If)
            after
                restart(proplists:get_value(saved, Config), []),
                sockport_netns:teardown(Pair)
            end
    end.

launch_ip_netns_exec(Config, NS, If) ->
    Launch = ["ip", "netns", "exec", NS],
    restart(proplists:get_value(saved, Config), [{launch, Launch}]),
    #{launch := Launch} = started(),
    NsFile = sockport_netns:path(NS),
    #{os_pid := P0, launcher_os_pid := P0, launch := Launch} =
        sockport:daemon_info(0),
    true = same_netns(P0, NsFile),
    %% The namespace's own interface is there; not in the VM's.
    {ok, U} = sockport:open(inet, dgram, udp),
    {ok, _} = sockport:ioctl(U, gifindex, If),
    {ok, H} = socket:open(inet, dgram, udp),
    {error, _} = socket:ioctl(H, gifindex, If),
    ok = socket:close(H),
    ok = sockport:close(U),
    ok = echo(),
    kill(P0),
    #{os_pid := P0} = event([sockport, daemon], daemon_down),
    #{os_pid := P1, launch := Launch} = started(),
    #{os_pid := P1, launcher_os_pid := P1, restarts := 1} =
        sockport:daemon_info(0),
    true = same_netns(P1, NsFile),
    ok = echo().

-spec launch_unshare(list()) -> ok | {skip, string()}.
launch_unshare(Config) ->
    doc("Ensure that with launch \"unshare --net\" the daemon runs in a network namespace of its own (loopback down), and is killed and restarted in a new one."),
    listen(),
    case os:find_executable("unshare") of
        false ->
            {skip, "no unshare(1)"};
        _ ->
            case os:cmd("unshare --net true 2>&1 && echo ok") of
                "ok\n" -> launch_unshare_run(Config);
                Out -> {skip, "unshare --net fails here: " ++ Out}
            end
    end.

launch_unshare_run(Config) ->
    restart(proplists:get_value(saved, Config), [{launch, "unshare --net"}]),
    #{launch := ["unshare", "--net"]} = started(),
    #{os_pid := P0, launcher_os_pid := P0, launch := ["unshare", "--net"]} =
        sockport:daemon_info(0),
    Mine = netns_id("self"),
    true = netns_id(integer_to_list(P0)) =/= Mine,
    false = lo_up(),
    {ok, S} = socket:open(inet, dgram, udp),
    {ok, HostFlags} = socket:ioctl(S, gifflags, "lo"),
    true = lists:member(up, HostFlags),
    ok = socket:close(S),
    kill(P0),
    _ = event([sockport, daemon], daemon_down),
    #{os_pid := P1} = started(),
    true = netns_id(integer_to_list(P1)) =/= Mine,
    false = lo_up(),
    ok.

-spec launch_errors(list()) -> ok.
launch_errors(Config) ->
    doc("Ensure that a launch prefix that is missing or no command fails the application's start with the reason, logged."),
    listen(),
    Saved = proplists:get_value(saved, Config),
    Cases = [{["/nonexistent/launcher"], enoent},
             {"no-such-launcher-here --x", {launch_not_found,
                                            "no-such-launcher-here"}},
             {42, {bad_launch, 42}},
             {[[1, 2, 3]], {bad_launch, [[1, 2, 3]]}}],
    lists:foreach(
      fun ({Launch, Reason}) ->
              application:stop(sockport),
              sockport_test_lib:set_env(Saved ++ [{launch, Launch}]),
              {error, Error} = application:ensure_all_started(sockport),
              {sockportd, _, Reason} = find_sockportd(Error),
              #{reason := Reason} =
                  event([sockport, daemon], daemon_cannot_start)
      end, Cases),
    restart(Saved, []),
    ok = echo().

%% ===========================================================================
%% Helpers

%% Restarts the application with the saved environment and Extra on top.
restart(Saved, Extra) ->
    sockport_test_lib:restart(Saved ++ Extra).

%% The {sockportd, Path, Reason} inside an application start error.
find_sockportd({sockportd, _, _} = T) -> T;
find_sockportd(T) when is_tuple(T) -> find_sockportd(tuple_to_list(T));
find_sockportd([H | R]) ->
    case find_sockportd(H) of
        false -> find_sockportd(R);
        T -> T
    end;
find_sockportd(_) -> false.

kill(OsPid) ->
    [] = os:cmd("kill -KILL " ++ integer_to_list(OsPid)),
    ok.

until_open(0) ->
    error(daemon_not_back);
until_open(N) ->
    case sockport:open(inet, stream, tcp) of
        {ok, _} = Ok -> Ok;
        {error, closed} -> timer:sleep(50), until_open(N - 1)
    end.

%% A TCP echo on 127.0.0.1 through sockport.
echo() ->
    {ok, L} = until_open(100),
    ok = sockport:bind(L, #{family => inet, addr => {127,0,0,1}, port => 0}),
    ok = sockport:listen(L),
    {ok, Addr} = sockport:sockname(L),
    {ok, C} = sockport:open(inet, stream, tcp),
    ok = sockport:connect(C, Addr),
    {ok, A} = sockport:accept(L),
    ok = sockport:send(C, <<"deploy">>),
    {ok, <<"deploy">>} = sockport:recv(A, 6, ?WAIT),
    [ok = sockport:close(X) || X <- [C, A, L]],
    ok.

%% Whether the daemon's loopback is up, through ioctl gifflags.
lo_up() ->
    {ok, S} = until_open(100),
    {ok, Flags} = sockport:ioctl(S, gifflags, "lo"),
    ok = sockport:close(S),
    lists:member(up, Flags).

%% The network namespace of a process, as the kernel names it.
netns_id(Proc) ->
    {ok, Link} = file:read_link("/proc/" ++ Proc ++ "/ns/net"),
    Link.

same_netns(OsPid, NsFile) ->
    {ok, #{inode := A}} = inode("/proc/" ++ integer_to_list(OsPid) ++ "/ns/net"),
    {ok, #{inode := B}} = inode(NsFile),
    A =:= B.

inode(Path) ->
    case file:read_file_info(Path) of
        {ok, Info} -> {ok, #{inode => element(12, Info)}};
        Error -> Error
    end.

%% The events come to the calling process (each case runs in its own).
listen() ->
    ok = logger:update_handler_config(sockport_deploy_capture, config,
                                      #{pid => self()}).

started() ->
    event([sockport, daemon], daemon_started).

%% The next event of this kind (what) under Domain.
event(Domain, What) ->
    receive
        {sockport_deploy_log, Domain, #{what := What} = Report} -> Report
    after ?WAIT ->
            error({no_event, Domain, What, flush()})
    end.

flush() ->
    receive {sockport_deploy_log, D, R} -> [{D, R} | flush()] after 0 -> [] end.

%% logger handler callback: forwards sockport's reports with their domain.
-spec log(logger:log_event(), map()) -> ok.
log(#{msg := {report, Report}, meta := #{domain := [sockport | _] = Domain}},
    #{config := #{pid := Pid}}) ->
    Pid ! {sockport_deploy_log, Domain, Report},
    ok;
log(_, _) ->
    ok.
