%% Back-pressure towards a VM that stops reading: a second VM
%% (sockport_backpressure_child) reads 8 connections through its daemon,
%% 8 readers each asking 1 MiB at a time (64 MiB asked at once), while this
%% one pushes 1 GiB into them with `socket'. The child VM is
%% stopped (SIGSTOP) early on: its daemon must stop reading the sockets
%% once what it holds for the VM passes `out_high', so its resident set
%% stays bounded while the rest of the gigabyte waits in the senders and
%% the kernel. Resumed (SIGCONT), the child gets every byte, in order.
%% The child's out_high is small (256 KiB), so that it is passed often
%% while the child still runs and recv calls are still on their way to
%% the daemon: those must wait in line too, not read.
-module(sockport_backpressure_SUITE).

-export([all/0, suite/0]).
-export([stopped_vm_bounds_daemon/1, stopped_vm_bounds_active/1]).

-define(CONNS, 8).
-define(PER_CONN, (128 bsl 20)). % 8 x 128 MiB = 1 GiB
-define(CHUNK, (1 bsl 20)).
-define(OUT_HIGH, (256 bsl 10)).
%% What the daemon may add to its resident set meanwhile: its output
%% queue stops near out_high and the recv at the head of each of
%% the 8 connections may hold up to its 1 MiB; the rest is slack. Without
%% back-pressure it would take in all 64 MiB that the readers ask for.
-define(BOUND_KIB, (48 * 1024)).

suite() -> [{timetrap, {minutes, 5}}].

all() -> [stopped_vm_bounds_daemon, stopped_vm_bounds_active].

stopped_vm_bounds_daemon(_Config) ->
    stopped_vm_bounds("passive").

%% The same with sockport_tcp sockets in {active, true}: the daemon reads
%% ahead for them on its own, and must stop at out_high just the same.
stopped_vm_bounds_active(_Config) ->
    stopped_vm_bounds("active").

stopped_vm_bounds(Mode) ->
    _ = application:load(sockport), % for the environment the child gets
    {ok, L} = socket:open(inet, stream, tcp),
    ok = socket:bind(L, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    ok = socket:listen(L, ?CONNS),
    {ok, #{port := PortNo}} = socket:sockname(L),
    Child = start_child(PortNo, Mode),
    Conns = [begin {ok, A} = socket:accept(L, 10000), A end
             || _ <- lists:seq(1, ?CONNS)],
    {VmPid, DaemonPid} = receive_pids(Child),
    Rss0 = rss(DaemonPid),
    Sanitized = sanitized(DaemonPid),
    Self = self(),
    Block = sockport_backpressure_child:block(),
    Senders = [spawn_link(fun() -> Self ! {sent, I, push(A, Block)} end)
               || {I, A} <- lists:zip(lists:seq(1, ?CONNS), Conns)],
    timer:sleep(200),
    kill("STOP", VmPid),
    %% the senders go on until the sockets are full; the daemon must not
    %% take in what its VM does not read
    timer:sleep(500),
    Stalled = rss(DaemonPid),
    Peak = lists:max([begin timer:sleep(250), rss(DaemonPid) end
                      || _ <- lists:seq(1, 12)]),
    kill("CONT", VmPid),
    [receive {sent, I, ok} -> ok end || I <- lists:seq(1, ?CONNS)],
    Want = [{I, ?PER_CONN div ?CHUNK, 0} || I <- lists:seq(1, ?CONNS)],
    Got = receive_got(Child, ?CONNS, []),
    [socket:close(S) || S <- [L | Conns]],
    unlink_all(Senders),
    {Want, Want} = {Want, lists:sort(Got)},
    io:format("~s: daemon VmRSS KiB: before ~b, stopped ~b, peak ~b~n",
              [Mode, Rss0, Stalled, Peak]),
    %% stopped, it holds still
    (Peak - Stalled) < 4096 orelse error({grew_while_stopped_kib, Stalled, Peak}),
    %% and what it took in before is bounded; an ASan daemon keeps what it
    %% freed in its quarantine (LeakSanitizer checks it at exit instead)
    case Sanitized of
        true -> ok;
        false -> (Peak - Rss0) < ?BOUND_KIB orelse
                     error({daemon_grew_kib, Rss0, Peak})
    end,
    ok.

sanitized(OsPid) ->
    {ok, Maps} = file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/maps"),
    binary:match(Maps, <<"libasan">>) =/= nomatch.

%% Sends PER_CONN bytes in blocks, then shuts down its side.
push(S, Block) ->
    [ok = socket:send(S, Block) || _ <- lists:seq(1, ?PER_CONN div ?CHUNK)],
    socket:shutdown(S, write).

start_child(PortNo, Mode) ->
    Erl = os:find_executable("erl"),
    Paths = lists:append([["-pa", D] || D <- [filename:dirname(code:which(sockport)),
                                              filename:dirname(code:which(?MODULE))]]),
    %% the daemon this VM's suites run against
    DaemonArgs = [["-sockport", "out_high", integer_to_list(?OUT_HIGH)]
                  | [["-sockport", "daemon_path", io_lib:format("~p", [V])]
                     || {ok, V} <- [application:get_env(sockport, daemon_path)]]],
    open_port({spawn_executable, Erl},
              [{args, ["-noshell" | Paths] ++
                   [lists:flatten(A) || A <- lists:append(DaemonArgs)] ++
                   ["-run", "sockport_backpressure_child", "main",
                    integer_to_list(PortNo), integer_to_list(?CONNS), Mode]},
               {line, 1024}, exit_status, use_stdio]).

receive_pids(Child) ->
    receive
        {Child, {data, {eol, "pids " ++ Rest}}} ->
            [Vm, Daemon] = [list_to_integer(X) || X <- string:lexemes(Rest, " ")],
            {Vm, Daemon};
        {Child, {data, {eol, _Other}}} ->
            receive_pids(Child);
        {Child, {exit_status, St}} ->
            error({child_exited, St})
    after 30000 ->
            error(no_pids)
    end.

receive_got(_Child, 0, Acc) ->
    Acc;
receive_got(Child, N, Acc) ->
    receive
        {Child, {data, {eol, "got " ++ Rest}}} ->
            [I, Chunks, Bad] = [list_to_integer(X) || X <- string:lexemes(Rest, " ")],
            receive_got(Child, N - 1, [{I, Chunks, Bad} | Acc]);
        {Child, {data, {eol, _Other}}} ->
            receive_got(Child, N, Acc);
        {Child, {exit_status, St}} ->
            error({child_exited, St, Acc})
    after 120000 ->
            error({child_silent, Acc})
    end.

kill(Sig, Pid) ->
    [] = os:cmd("kill -" ++ Sig ++ " " ++ integer_to_list(Pid)).

unlink_all(Pids) ->
    [unlink(P) || P <- Pids].

rss(OsPid) ->
    {ok, B} = file:read_file("/proc/" ++ integer_to_list(OsPid) ++ "/status"),
    [Kb] = [binary_to_integer(hd(binary:split(string:trim(V), <<" ">>)))
            || <<"VmRSS:", V/binary>> <- binary:split(B, <<"\n">>, [global])],
    Kb.
