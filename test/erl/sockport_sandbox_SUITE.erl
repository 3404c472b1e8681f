%% The daemon's seccomp sandbox, with sockportd_test: the daemon built
%% with test-only commands, one of which makes a system call the sandbox
%% forbids (getppid). The suite runs the application on that daemon whatever
%% daemon the other suites use, except in configured_daemon_filtered, which
%% checks that daemon (under the sanitizers: the wider filter of their
%% build, never none).
-module(sockport_sandbox_SUITE).

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1,
         init_per_testcase/2, end_per_testcase/2]).
-export([filter_installed/1, forbidden_call_kills/1, off_switch/1,
         configured_daemon_filtered/1, landlock/1]).


-define(TEST_FORBIDDEN, 250).
-define(TEST_OPEN_DIR, 252).

suite() -> [{timetrap, {seconds, 60}}].

all() -> [filter_installed, forbidden_call_kills, off_switch,
          configured_daemon_filtered, landlock].

init_per_suite(Config) ->
    Daemon = filename:join(filename:dirname(code:which(?MODULE)),
                           "sockportd_test"),
    case filelib:is_regular(Daemon) of
        false -> {error, {missing, Daemon}};
        true -> [{daemon, Daemon}, {saved, application:get_all_env(sockport)}
                 | Config]
    end.

end_per_suite(Config) ->
    application:stop(sockport),
    sockport_test_lib:set_env(proplists:get_value(saved, Config)).

init_per_testcase(configured_daemon_filtered, Config) ->
    sockport_test_lib:restart(proplists:get_value(saved, Config)),
    Config;
init_per_testcase(Case, Config) ->
    Sandbox = case Case of
                  off_switch -> false;
                  landlock -> landlock;
                  _ -> true
              end,
    sockport_test_lib:restart(proplists:get_value(saved, Config) ++
                                  [{daemon_path, proplists:get_value(daemon, Config)},
                                   {sandbox, Sandbox}]),
    Config.

end_per_testcase(_Case, _Config) ->
    application:stop(sockport).

%% The running daemon is under a seccomp filter, and says so.
filter_installed(_Config) ->
    #{"Seccomp" := "2"} = status(sockport_port:os_pid(0)),
    #{seccomp := true} = sockport:daemon_info(0),
    ok.

%% With `sandbox' set to `landlock', and where the kernel has it, the
%% daemon is confined by Landlock too: it cannot open a directory, which
%% its seccomp filter alone lets it do (off_switch shows the same call
%% succeeding), nor reach the VM's files for sendfile (eperm, as the
%% README says, where the default sandbox sends them), while sockets work
%% as ever.
landlock(_Config) ->
    case sockport:daemon_info(0) of
        #{landlock := 0} ->
            {skip, "the kernel has no Landlock"};
        #{landlock := Abi, seccomp := true} when Abi >= 1 ->
            #{"Seccomp" := "2"} = status(sockport_port:os_pid(0)),
            {error, eacces} =
                sockport_cmd:request(sockport_port:port(0), ?TEST_OPEN_DIR, 0, []),
            {error, eperm} = sendfile_10(),
            %% the default sandbox has no Landlock
            ok = application:stop(sockport),
            ok = application:set_env(sockport, sandbox, true),
            {ok, _} = application:ensure_all_started(sockport),
            #{landlock := 0} = sockport:daemon_info(0),
            ok = sockport_cmd:request(sockport_port:port(0), ?TEST_OPEN_DIR, 0, []),
            {ok, 10} = sendfile_10()
    end.

%% sendfile of 10 bytes of a file of the VM's on a connected TCP pair.
sendfile_10() ->
    {L, C, A} = sockport_test_lib:pair(sockport, inet, #{}),
    {ok, File} = file:open(code:which(?MODULE), [read, raw, binary]),
    R = sockport:sendfile(C, File, 0, 10, infinity),
    ok = file:close(File),
    [ok = sockport:close(S) || S <- [L, C, A]],
    R.

%% A forbidden system call kills the daemon: the caller gets
%% {error, closed}, so do the sockets of that daemon and their monitors,
%% and a new daemon (also sandboxed) serves new sockets.
forbidden_call_kills(_Config) ->
    OsPid = sockport_port:os_pid(0),
    {ok, S} = sockport:open(inet, stream, tcp),
    MRef = sockport:monitor(S),
    Port = sockport_port:port(0),
    {error, closed} = sockport_cmd:request(Port, ?TEST_FORBIDDEN, 0, []),
    receive {'DOWN', MRef, socket, S, closed} -> ok
    after 5000 -> error(no_down)
    end,
    {error, closed} = sockport:getopt(S, {socket, type}),
    {ok, S2} = until_open(50),
    true = sockport_port:os_pid(0) =/= OsPid,
    #{"Seccomp" := "2"} = status(sockport_port:os_pid(0)),
    ok = sockport:close(S2).

%% The daemon every other suite runs on is sandboxed too, and serves.
configured_daemon_filtered(_Config) ->
    #{"Seccomp" := "2"} = status(sockport_port:os_pid(0)),
    {ok, S} = sockport:open(inet, dgram, udp),
    ok = sockport:close(S).

%% With the sandbox off, the same call is harmless: the kill above is the
%% filter's doing.
off_switch(_Config) ->
    #{"Seccomp" := "0"} = status(sockport_port:os_pid(0)),
    #{seccomp := false, landlock := 0} = sockport:daemon_info(0),
    ok = sockport_cmd:request(sockport_port:port(0), ?TEST_FORBIDDEN, 0, []),
    ok = sockport_cmd:request(sockport_port:port(0), ?TEST_OPEN_DIR, 0, []).

until_open(0) ->
    error(daemon_not_back);
until_open(N) ->
    case sockport:open(inet, stream, tcp) of
        {ok, _} = Ok -> Ok;
        {error, closed} -> timer:sleep(100), until_open(N - 1)
    end.

status(Pid) ->
    {ok, Bin} = file:read_file("/proc/" ++ integer_to_list(Pid) ++ "/status"),
    maps:from_list([{binary_to_list(K), string:trim(binary_to_list(V))}
                    || Line <- binary:split(Bin, <<"\n">>, [global]),
                       [K, V] <- [binary:split(Line, <<":">>)]]).
