%% The router of one shard: owns the port to one sockportd, routes its
%% output, and outlives it.
%%
%% Callers never go through this process: they find the shard's port with
%% persistent_term, write commands straight to it and get their replies
%% from here as `{Ref, Body}' messages. The router decodes only the route
%% term in front of each frame (PROTOCOL.md, "Output") and forwards the rest
%% as a sub-binary. It monitors the pids the daemon asks it to watch and
%% tells the daemon when one dies; it remembers armed selects so that a
%% dying daemon still ends each of them with an abort. A dead daemon is
%% restarted here, with a back-off, so that no number of daemon deaths ever
%% reaches the supervisor; only a daemon that cannot start at all on the
%% first try stops the application from starting.
%%
%% The daemon may be started through a launch prefix (the `launch' key: a
%% command such as `sudo -n' or `ip netns exec NAME' that runs the
%% daemon's command line), so that it lives as another user, in another
%% namespace or on another host. Starts, deaths, sandbox kills, limits the
%% daemon hit and protocol errors are logged as structured reports (maps)
%% under the domain [sockport, ...]; stats/1 gives this router's side of
%% sockport:daemon_info/0,1.
-module(sockport_port).
-behaviour(gen_server).

-include_lib("kernel/include/logger.hrl").
-include("sockport_ops.hrl").
-include("sockport.hrl").

%% API
-export([start_link/1]).
-export([port/1]).
-export([any_port/0]).
-export([shards/0]).
-export([set_shards/1]).
-export([os_pid/1]).
-export([stats/1]).
-export([monitor/3]).
-export([cancel_monitor/2]).

%% gen_server
-export([init/1]).
-export([handle_call/3]).
-export([handle_cast/2]).
-export([handle_info/2]).
-export([terminate/2]).

%% How long a new daemon may take to say hello (start_timeout).
-define(HELLO_TIMEOUT, 5000).
%% The exit status of a process killed by SIGSYS: what the sandbox does to
%% a daemon that makes a forbidden system call.
-define(SIGSYS_STATUS, (128 + 31)).
%% A daemon that lived less than this is a fast death: back off more.
-define(FAST_DEATH_MS, 5000).
-define(BACKOFF_MAX_MS, 200).
%% How often a daemon that cannot be started at all is tried again.
-define(CANNOT_START_RETRY_MS, 5000).
-define(BUSY_RETRY_MS, 10).
-define(DEFAULT_BUSY_LIMITS, {256 * 1024, 1024 * 1024}).

-record(state, {
          shard :: non_neg_integer(),
          path :: file:filename(),
          args :: [string()],
          %% the launch prefix: the command that runs the daemon's
          launch = [] :: [string()],
          port :: port() | undefined,
          %% the daemon's pid as it says it (hello), and the pid of the
          %% program the port started (the launcher's, with a prefix that
          %% does not exec the daemon)
          os_pid :: non_neg_integer() | undefined,
          port_os_pid :: non_neg_integer() | undefined,
          %% starting: port open, waiting for hello; up: published;
          %% down: waiting for the restart timer
          status = down :: starting | up | down,
          started_at :: integer() | undefined,
          %% statistics: when the daemon said hello (system time, ms), how
          %% many started, died, were killed by the sandbox, and why the
          %% last one died
          up_since :: integer() | undefined,
          starts = 0 :: non_neg_integer(),
          deaths = 0 :: non_neg_integer(),
          sandbox_kills = 0 :: non_neg_integer(),
          last_down :: term(),
          fast_deaths = 0 :: non_neg_integer(),
          %% the last start failed before the daemon ran (no binary, ...)
          cannot_start = false :: boolean(),
          timer :: reference() | undefined,
          %% Pid => monitor reference, for pids the daemon watches
          watched = #{} :: #{pid() => reference()},
          %% {Id, Handle} => Pid, for every armed select
          armed = #{} :: #{{pos_integer(), term()} => pid()},
          %% socket monitors: MRef => {Pid, Id}, and Id => [MRef]
          monitors = #{} :: #{reference() => {pid(), pos_integer()}},
          monitored = #{} :: #{pos_integer() => #{reference() => true}},
          %% processes holding socket monitors: Pid => {its monitor, count}
          mon_owners = #{} :: #{pid() => {reference(), pos_integer()}},
          %% commands the router could not write to a busy port yet
          backlog = [] :: [binary()]
         }).

%% ===========================================================================
%% API

-spec start_link(Shard :: non_neg_integer()) -> {ok, pid()} | {error, term()}.
start_link(Shard) ->
    gen_server:start_link({local, name(Shard)}, ?MODULE, Shard, []).

%% The port of a shard's live daemon, or undefined while there is none.
-spec port(Shard :: non_neg_integer()) -> port() | undefined.
port(Shard) ->
    persistent_term:get({?MODULE, Shard}, undefined).

%% The port of the shard for the calling scheduler (where `open' puts a
%% new socket).
-spec any_port() -> port() | undefined.
any_port() ->
    case shards() of
        0 -> undefined;
        N -> port(erlang:system_info(scheduler_id) rem N)
    end.

-spec shards() -> non_neg_integer().
shards() ->
    persistent_term:get({?MODULE, shards}, 0).

-spec set_shards(non_neg_integer()) -> ok.
set_shards(N) ->
    case shards() of
        N -> ok;
        _ -> persistent_term:put({?MODULE, shards}, N)
    end.

%% The OS pid of a shard's daemon (for tests that kill it).
-spec os_pid(Shard :: non_neg_integer()) -> non_neg_integer() | undefined.
os_pid(Shard) ->
    gen_server:call(name(Shard), os_pid).

%% The router's statistics of a shard's daemon (sockport:daemon_info/1).
-spec stats(Shard :: non_neg_integer()) -> map().
stats(Shard) ->
    gen_server:call(name(Shard), stats).

%% A socket monitor (socket:monitor/1) for Pid on socket Id of the daemon
%% behind Port: {'DOWN', MRef, socket, Socket, closed} reaches Pid when the
%% socket closes or the daemon dies.
-spec monitor(port(), pos_integer(), pid()) -> reference().
monitor(Port, Id, Pid) ->
    case erlang:port_info(Port, connected) of
        {connected, Router} ->
            try gen_server:call(Router, {monitor, Port, Id, Pid}, infinity)
            catch exit:_ -> down_now(Pid, Port, Id)
            end;
        undefined ->
            down_now(Pid, Port, Id)
    end.

%% true if this caller's monitor was found and removed; {error, not_owner}
%% for another process's monitor.
-spec cancel_monitor(reference(), pid()) -> boolean() | {error, not_owner}.
cancel_monitor(MRef, Pid) ->
    cancel_monitor(MRef, Pid, shards() - 1).

cancel_monitor(_MRef, _Pid, -1) ->
    false;
cancel_monitor(MRef, Pid, Shard) ->
    case catch gen_server:call(name(Shard), {cancel_monitor, MRef, Pid},
                               infinity) of
        false -> cancel_monitor(MRef, Pid, Shard - 1);
        {'EXIT', _} -> cancel_monitor(MRef, Pid, Shard - 1);
        Found -> Found
    end.

down_now(Pid, Port, Id) ->
    MRef = make_ref(),
    Pid ! {'DOWN', MRef, socket, socket(Port, Id), closed},
    MRef.

%% ===========================================================================
%% gen_server

-spec init(non_neg_integer()) -> {ok, #state{}} | {stop, term()}.
init(Shard) ->
    process_flag(trap_exit, true),
    S0 = #state{shard = Shard,
                path = daemon_path(),
                args = config_args() ++
                    application:get_env(sockport, daemon_args, [])},
    %% The first start is synchronous: a daemon that cannot start at all
    %% fails the application's start with the reason.
    case launch() of
        {ok, Launch} ->
            init_start(S0#state{launch = Launch});
        {error, Reason} ->
            log_cannot_start(Reason, S0),
            {stop, {sockportd, S0#state.path, Reason}}
    end.

init_start(S0) ->
    case open_daemon(S0) of
        {ok, S1} ->
            case await_hello(S1) of
                {ok, S2} ->
                    {ok, S2};
                {error, Reason} ->
                    close_port(S1),
                    log_cannot_start(Reason, S1),
                    {stop, {sockportd, S0#state.path, Reason}}
            end;
        {error, Reason} ->
            log_cannot_start(Reason, S0),
            {stop, {sockportd, S0#state.path, Reason}}
    end.

-spec handle_call(term(), gen_server:from(), #state{}) ->
          {reply, term(), #state{}}.
handle_call(os_pid, _From, #state{status = up, os_pid = OsPid} = S) ->
    {reply, OsPid, S};
handle_call(os_pid, _From, S) ->
    {reply, undefined, S};
handle_call(stats, _From, S) ->
    {reply, router_stats(S), S};
handle_call({monitor, Port, Id, Pid}, _From, #state{port = Port} = S) ->
    %% The daemon's answer comes back to this alias: ok, or closed if the
    %% socket is already gone.
    MRef = alias([explicit_unalias]),
    S1 = command(term_to_binary({?SP_OP_MONITOR, self(), MRef, Id}), S),
    {reply, MRef, add_monitor(MRef, Pid, Id, S1)};
handle_call({monitor, Port, Id, Pid}, _From, S) ->
    {reply, down_now(Pid, Port, Id), S};
handle_call({cancel_monitor, MRef, Pid}, _From, S) ->
    case S#state.monitors of
        #{MRef := {Pid, _}} -> {reply, true, drop_monitor(MRef, S)};
        #{MRef := _} -> {reply, {error, not_owner}, S};
        #{} -> {reply, false, S}
    end;
handle_call(_Request, _From, S) ->
    {reply, {error, badarg}, S}.

-spec handle_cast(term(), #state{}) -> {noreply, #state{}}.
handle_cast(_Msg, S) ->
    {noreply, S}.

-spec handle_info(term(), #state{}) -> {noreply, #state{}}.
handle_info({Port, {data, Frame}}, #state{port = Port, status = up} = S) ->
    {noreply, route(Frame, S)};
handle_info({Port, {data, Frame}},
            #state{port = Port, status = starting} = S) ->
    case hello(Frame, S) of
        {ok, S1} ->
            {noreply, S1};
        {error, Reason} ->
            close_port(S),
            {noreply, daemon_down(Reason, S)}
    end;
handle_info({MRef, Body}, S) when is_reference(MRef), is_binary(Body) ->
    %% The daemon's answer to a MONITOR command of ours.
    unalias(MRef),
    case {binary_to_term(Body), S#state.monitors} of
        {{error, Reason}, #{MRef := {_, Id}}} when Reason =:= closed;
                                                  Reason =:= nosock ->
            {noreply, fire_monitors(Id, Reason, S)};
        _ -> {noreply, S}
    end;
handle_info({Port, {exit_status, Status}}, #state{port = Port} = S) ->
    {noreply, daemon_down({exit_status, Status}, S)};
handle_info({'EXIT', Port, Reason}, #state{port = Port} = S) ->
    {noreply, daemon_down({port_exit, Reason}, S)};
handle_info({'DOWN', MRef, process, Pid, _}, #state{watched = W} = S) ->
    %% The daemon ends the dead pid's armed selects itself (disarmed or
    %% abort), so the armed table needs no sweep here.
    S1 = case W of
             #{Pid := MRef} ->
                 command(pid_down(Pid), S#state{watched = maps:remove(Pid, W)});
             #{} ->
                 S
         end,
    case S1#state.mon_owners of
        #{Pid := {MRef, _}} -> {noreply, owner_down(Pid, S1)};
        #{} -> {noreply, S1}
    end;
handle_info({timeout, TRef, restart}, #state{timer = TRef} = S) ->
    {noreply, restart(S#state{timer = undefined})};
handle_info({timeout, TRef, hello}, #state{timer = TRef,
                                           status = starting} = S) ->
    close_port(S),
    {noreply, daemon_down(no_hello, S#state{timer = undefined})};
handle_info({timeout, _, backlog}, S) ->
    {noreply, flush_backlog(S)};
handle_info(_Stale, S) ->
    %% Frames and exits of an earlier daemon, stale timers.
    {noreply, S}.

-spec terminate(term(), #state{}) -> ok.
terminate(_Reason, #state{shard = Shard} = S) ->
    %% Stopping the router is the daemon's death too: tell everyone.
    persistent_term:erase({?MODULE, Shard}),
    close_port(S),
    notify_closed(S),
    ok.

%% ===========================================================================
%% Starting and restarting the daemon

name(Shard) ->
    list_to_atom("sockport_port_" ++ integer_to_list(Shard)).

daemon_path() ->
    case application:get_env(sockport, daemon_path) of
        {ok, Path} ->
            Path;
        undefined ->
            filename:join(priv_dir(), "sockportd")
    end.

%% The daemon's --user, --caps and --sandbox from the `user', `caps' and
%% `sandbox' keys: the user a daemon started as root becomes, the
%% capabilities it keeps (a list of names such as net_raw, or `none'; unset:
%% it keeps what it was started with, or nothing once it has become
%% `user'), whether it confines itself to its system calls (and, with
%% `landlock', its file access), its limits, and how long it polls before
%% it sleeps (`busy_poll', in microseconds).
config_args() ->
    User = case application:get_env(sockport, user) of
               {ok, U} -> ["--user", to_list(U)];
               undefined -> []
           end,
    Caps = case application:get_env(sockport, caps) of
               {ok, none} -> ["--caps", "none"];
               {ok, []} -> ["--caps", "none"];
               {ok, L} when is_list(L) ->
                   ["--caps", lists:join(",", [to_list(C) || C <- L])];
               undefined -> []
           end,
    Sandbox = case application:get_env(sockport, sandbox) of
                  {ok, false} -> ["--sandbox", "off"];
                  {ok, true} -> ["--sandbox", "on"];
                  {ok, landlock} -> ["--sandbox", "landlock"];
                  _ -> []
              end,
    Limits = [[Flag, integer_to_list(N)]
              || {Key, Flag} <- [{max_sockets, "--max-sockets"},
                                 {max_waiters, "--max-waiters"},
                                 {out_high, "--out-high"},
                                 {max_parked_bytes, "--max-parked-bytes"}],
                 {ok, N} <- [application:get_env(sockport, Key)],
                 is_integer(N), N > 0],
    BusyPoll = case application:get_env(sockport, busy_poll) of
                   {ok, Us} when is_integer(Us), Us >= 0,
                                 Us =< ?SP_BUSY_POLL_MAX_US ->
                       ["--busy-poll", integer_to_list(Us)];
                   _ -> []
               end,
    Frame = case sockport_cmd:frame_max() of
                ?SP_FRAME_MAX -> [];
                F -> ["--max-frame", integer_to_list(F)]
            end,
    User ++ [lists:flatten(A) || A <- Caps] ++ Sandbox ++ lists:append(Limits)
        ++ BusyPoll ++ Frame.

to_list(A) when is_atom(A) -> atom_to_list(A);
to_list(B) when is_binary(B) -> binary_to_list(B);
to_list(L) when is_list(L) -> L.

%% code:priv_dir/1 finds an application directory only by its name
%% (sockport or sockport-Vsn); the build tree's is erl/, so fall back to
%% the priv/ next to this module's ebin/.
priv_dir() ->
    case code:priv_dir(sockport) of
        {error, bad_name} ->
            Ebin = filename:dirname(code:which(?MODULE)),
            filename:join(filename:dirname(Ebin), "priv");
        Priv ->
            Priv
    end.

%% The launch prefix: a list of strings (a program and its arguments), or
%% one string of words separated by blanks; [] runs the daemon directly.
launch() ->
    case application:get_env(sockport, launch, []) of
        L when is_list(L) ->
            case io_lib:printable_unicode_list(L) of
                true ->
                    {ok, string:lexemes(L, " \t")};
                false ->
                    case lists:all(fun is_word/1, L) of
                        true -> {ok, [to_list(W) || W <- L]};
                        false -> {error, {bad_launch, L}}
                    end
            end;
        B when is_binary(B) ->
            {ok, string:lexemes(binary_to_list(B), " \t")};
        Other ->
            {error, {bad_launch, Other}}
    end.

is_word(W) when is_binary(W); is_atom(W) -> true;
is_word(W) -> is_list(W) andalso io_lib:printable_unicode_list(W).

%% The program the port runs and its arguments: the daemon, or the launch
%% prefix followed by the daemon's command line.
argv(#state{path = Path, args = Args, launch = []}) ->
    {ok, Path, Args};
argv(#state{path = Path, args = Args, launch = [Prog | PArgs]}) ->
    Exe = case lists:member($/, Prog) of
              true -> Prog;
              false -> os:find_executable(Prog)
          end,
    case Exe of
        false -> {error, {launch_not_found, Prog}};
        _ -> {ok, Exe, PArgs ++ [Path | Args]}
    end.

open_daemon(S) ->
    case argv(S) of
        {ok, Exe, Args} -> open_daemon(Exe, Args, S);
        {error, _} = Error -> Error
    end.

open_daemon(Exe, Args, S) ->
    Base = [{packet, 4}, binary, exit_status, use_stdio, {args, Args}],
    Limits = application:get_env(sockport, busy_limits_port,
                                 ?DEFAULT_BUSY_LIMITS),
    %% Not {parallelism, true}: a caller's command is then queued as a
    %% port task instead of written at once, and measured slower on every
    %% workload of the benchmark, many callers included.
    Tuned = [{busy_limits_port, Limits}],
    try open_port({spawn_executable, Exe}, Base ++ Tuned) of
        Port ->
            {ok, started(Port, S)}
    catch
        error:badarg ->
            %% An OTP without busy_limits_port: run untuned.
            try open_port({spawn_executable, Exe}, Base) of
                Port ->
                    {ok, started(Port, S)}
            catch
                error:Reason -> {error, Reason}
            end;
        error:Reason ->
            {error, Reason}
    end.

started(Port, S) ->
    PortOsPid = case erlang:port_info(Port, os_pid) of
                    {os_pid, P} -> P;
                    undefined -> undefined
                end,
    S#state{port = Port, status = starting, os_pid = undefined,
            port_os_pid = PortOsPid,
            started_at = erlang:monotonic_time(millisecond)}.

hello_timeout() ->
    case application:get_env(sockport, start_timeout) of
        {ok, T} when is_integer(T), T > 0 -> T;
        _ -> ?HELLO_TIMEOUT
    end.

await_hello(#state{port = Port} = S) ->
    receive
        {Port, {data, Frame}} ->
            hello(Frame, S);
        {Port, {exit_status, Status}} ->
            {error, {exit_status, Status}};
        {'EXIT', Port, Reason} ->
            {error, {port_exit, Reason}}
    after hello_timeout() ->
            {error, no_hello}
    end.

hello(Frame, #state{port = Port, shard = Shard} = S) ->
    try binary_to_term(Frame) of
        {hello, ?SP_PROTOCOL_VERSION, OsPid} ->
            cancel_timer(S#state.timer),
            persistent_term:put({?MODULE, Shard}, Port),
            S1 = S#state{status = up, os_pid = OsPid, timer = undefined,
                         up_since = erlang:system_time(millisecond),
                         starts = S#state.starts + 1},
            ?LOG_INFO(#{what => daemon_started, shard => Shard,
                        os_pid => OsPid,
                        launcher_os_pid => S1#state.port_os_pid,
                        path => S1#state.path, launch => S1#state.launch,
                        restarts => S1#state.starts - 1},
                      #{domain => ?SOCKPORT_LOG_DOMAIN(daemon)}),
            {ok, lists:foldl(fun command/2, S1,
                             sockport_info:startup_commands())};
        {hello, Version, _OsPid} ->
            protocol_error(bad_hello, #{version => Version,
                                        expected => ?SP_PROTOCOL_VERSION}, S),
            {error, {protocol_version, Version, ?SP_PROTOCOL_VERSION}};
        Other ->
            protocol_error(bad_hello, #{frame => Other}, S),
            {error, {no_hello, Other}}
    catch
        error:badarg ->
            protocol_error(bad_hello, #{bytes => byte_size(Frame)}, S),
            {error, {bad_frame, byte_size(Frame)}}
    end.

%% The daemon is gone (or never said hello): every armed select gets its
%% abort, the socket monitors go, and a new daemon is started after a
%% back-off. Callers waiting for a reply see the port's 'DOWN'.
daemon_down(Reason, #state{shard = Shard} = S) ->
    persistent_term:put({?MODULE, Shard}, undefined),
    notify_closed(S),
    maps:foreach(fun (_Pid, MRef) -> erlang:demonitor(MRef, [flush]) end,
                 S#state.watched),
    maps:foreach(fun (_Pid, {PRef, _}) -> erlang:demonitor(PRef, [flush]) end,
                 S#state.mon_owners),
    cancel_timer(S#state.timer),
    Now = erlang:monotonic_time(millisecond),
    Fast = case S#state.started_at of
               undefined -> true;
               T -> Now - T < ?FAST_DEATH_MS
           end,
    FastDeaths = case Fast of
                     true -> S#state.fast_deaths;
                     false -> 0
                 end,
    Backoff = backoff(FastDeaths),
    Report = #{shard => Shard, os_pid => S#state.os_pid, reason => Reason,
               uptime_ms => case S#state.started_at of
                                undefined -> 0;
                                T0 -> Now - T0
                            end,
               restart_in_ms => Backoff},
    SandboxKill = sandbox_kill(Reason),
    SandboxKill andalso
        ?LOG_ERROR(Report#{what => sandbox_kill},
                   #{domain => ?SOCKPORT_LOG_DOMAIN(sandbox)}),
    ?LOG_ERROR(Report#{what => daemon_down},
               #{domain => ?SOCKPORT_LOG_DOMAIN(daemon)}),
    TRef = erlang:start_timer(Backoff, self(), restart),
    S#state{port = undefined, status = down, os_pid = undefined,
            port_os_pid = undefined, up_since = undefined,
            deaths = S#state.deaths + 1, last_down = Reason,
            sandbox_kills = S#state.sandbox_kills +
                case SandboxKill of true -> 1; false -> 0 end,
            watched = #{}, armed = #{}, backlog = [],
            monitors = #{}, monitored = #{}, mon_owners = #{},
            fast_deaths = FastDeaths + 1, timer = TRef}.

%% Every armed select gets its abort and every socket monitor its 'DOWN':
%% the sockets of this daemon are gone.
notify_closed(#state{port = Port} = S) ->
    maps:foreach(
      fun ({Id, Handle}, Pid) ->
              Pid ! {'$socket', socket(Port, Id), abort, {Handle, closed}}
      end, S#state.armed),
    maps:foreach(fun (MRef, {Pid, Id}) ->
                         Pid ! {'DOWN', MRef, socket, socket(Port, Id), closed}
                 end, S#state.monitors).

backoff(0) ->
    0;
backoff(N) ->
    Max = application:get_env(sockport, restart_backoff_max, ?BACKOFF_MAX_MS),
    min(Max, 10 bsl min(N, 10)).

restart(S) ->
    case open_daemon(S) of
        {ok, S1} ->
            TRef = erlang:start_timer(hello_timeout(), self(), hello),
            S1#state{timer = TRef, cannot_start = false};
        {error, Reason} ->
            %% The binary is gone or not executable: no restart loop. Say
            %% it once and look again now and then; callers get closed.
            S#state.cannot_start orelse log_cannot_start(Reason, S),
            TRef = erlang:start_timer(?CANNOT_START_RETRY_MS, self(), restart),
            S#state{timer = TRef, cannot_start = true}
    end.

close_port(#state{port = undefined}) ->
    ok;
close_port(#state{port = Port}) ->
    try port_close(Port) of
        true -> ok
    catch
        error:badarg -> ok
    end.

cancel_timer(undefined) -> ok;
cancel_timer(TRef) -> _ = erlang:cancel_timer(TRef), ok.

%% A daemon that a seccomp filter killed dies of SIGSYS.
sandbox_kill({exit_status, ?SIGSYS_STATUS}) -> true;
sandbox_kill(_) -> false.

log_cannot_start(Reason, S) ->
    ?LOG_ERROR(#{what => daemon_cannot_start, shard => S#state.shard,
                 path => S#state.path, launch => S#state.launch,
                 reason => Reason, retry_ms => ?CANNOT_START_RETRY_MS},
               #{domain => ?SOCKPORT_LOG_DOMAIN(daemon)}).

%% A frame of the daemon that breaks the protocol.
protocol_error(What, Report, S) ->
    ?LOG_ERROR(Report#{what => protocol_error, error => What,
                       shard => S#state.shard, os_pid => S#state.os_pid},
               #{domain => ?SOCKPORT_LOG_DOMAIN(protocol)}).

router_stats(S) ->
    #{shard => S#state.shard,
      status => S#state.status,
      path => S#state.path,
      launch => S#state.launch,
      os_pid => case S#state.status of
                    up -> S#state.os_pid;
                    _ -> undefined
                end,
      launcher_os_pid => S#state.port_os_pid,
      up_since => S#state.up_since,
      starts => S#state.starts,
      restarts => max(S#state.starts - 1, 0),
      deaths => S#state.deaths,
      sandbox_kills => S#state.sandbox_kills,
      last_down => S#state.last_down}.

%% ===========================================================================
%% Routing

route(Frame, S) ->
    try binary_to_term(Frame, [used]) of
        {Route, Used} ->
            Body = binary_part(Frame, Used, byte_size(Frame) - Used),
            route(Route, Body, S)
    catch
        error:badarg ->
            protocol_error(undecodable_frame, #{bytes => byte_size(Frame)},
                           S),
            S
    end.

route({Pid, Ref}, Body, S) when is_pid(Pid) ->
    reply(Ref, Body),
    S;
route({Pid, Ref, {armed, Id, Handle}}, Body, S) when is_pid(Pid) ->
    reply(Ref, Body),
    S#state{armed = maps:put({Id, Handle}, Pid, S#state.armed)};
route({select, Pid, Id, Handle}, _, #state{port = Port} = S) ->
    Pid ! {'$socket', socket(Port, Id), select, Handle},
    S#state{armed = maps:remove({Id, Handle}, S#state.armed)};
route({abort, Pid, Id, Handle, Reason}, _, #state{port = Port} = S) ->
    Pid ! {'$socket', socket(Port, Id), abort, {Handle, Reason}},
    S#state{armed = maps:remove({Id, Handle}, S#state.armed)};
route({disarmed, _Pid, Id, Handle}, _, S) ->
    S#state{armed = maps:remove({Id, Handle}, S#state.armed)};
route({watch, Pid}, _, #state{watched = W} = S) when is_pid(Pid) ->
    case W of
        #{Pid := _} ->
            S;
        #{} when node(Pid) =:= node() ->
            case is_process_alive(Pid) of
                true ->
                    S#state{watched = W#{Pid => erlang:monitor(process, Pid)}};
                false ->
                    %% Already dead (a socket given to a dead pid): say so
                    %% before the reply that follows reaches its caller, as
                    %% OTP's socket is closed by the time setopt returns.
                    command(pid_down(Pid), S)
            end;
        #{} ->
            S#state{watched = W#{Pid => erlang:monitor(process, Pid)}}
    end;
route({unwatch, Pid}, _, #state{watched = W} = S) ->
    case maps:take(Pid, W) of
        {MRef, W1} ->
            erlang:demonitor(MRef, [flush]),
            S#state{watched = W1};
        error ->
            S
    end;
route({closed, Id}, _, S) ->
    fire_monitors(Id, closed, S);
route({inet, Pid, Id, Event}, Body, #state{port = Port} = S) ->
    Pid ! sockport_inet:message(Event, Port, Id, Body),
    S;
route({counter_wrap, Pid, Id, Counter}, _, #state{port = Port} = S) ->
    Pid ! {'$socket', socket(Port, Id), counter_wrap, Counter},
    S;
route({limit, Name, Value, Hits}, _, S) ->
    ?LOG_WARNING(#{what => limit_hit, shard => S#state.shard,
                   os_pid => S#state.os_pid, limit => Name, value => Value,
                   hits => Hits},
                 #{domain => ?SOCKPORT_LOG_DOMAIN(limit)}),
    S;
route({log, Level, Text}, _, S) ->
    daemon_log(log_level(Level), Text, S),
    S;
route(Route, _, S) ->
    protocol_error(unknown_route, #{route => Route}, S),
    S.

%% A line of the daemon's log: its command trace (debug/1) under
%% [sockport, debug]; a command or frame it could not take under
%% [sockport, protocol]; anything else under [sockport, daemon].
daemon_log(debug, Text, S) ->
    ?LOG_DEBUG(#{what => daemon_debug, shard => S#state.shard, text => Text},
               #{domain => ?SOCKPORT_LOG_DOMAIN(debug)});
daemon_log(Level, <<"malformed command", _/binary>> = Text, S) ->
    logger:log(Level, #{what => protocol_error, error => malformed_command,
                        shard => S#state.shard, os_pid => S#state.os_pid,
                        text => Text},
               ?LOCATION#{domain => ?SOCKPORT_LOG_DOMAIN(protocol)});
daemon_log(Level, <<"dropped ", _/binary>> = Text, S) ->
    logger:log(Level, #{what => protocol_error, error => dropped_frames,
                        shard => S#state.shard, os_pid => S#state.os_pid,
                        text => Text},
               ?LOCATION#{domain => ?SOCKPORT_LOG_DOMAIN(protocol)});
daemon_log(Level, Text, S) ->
    logger:log(Level, #{what => daemon_log, shard => S#state.shard,
                        os_pid => S#state.os_pid, text => Text},
               ?LOCATION#{domain => ?SOCKPORT_LOG_DOMAIN(daemon)}).

%% The caller's reference is an alias of its monitor on the port: once the
%% caller stops waiting (its call returned, or the daemon died) a late
%% reply is dropped instead of landing in its mailbox.
reply(Ref, Body) when is_reference(Ref) ->
    erlang:send(Ref, {Ref, Body});
reply(_, _) ->
    ok.

add_monitor(MRef, Pid, Id, #state{mon_owners = Owners} = S) ->
    %% The monitoring process is monitored too, so that its monitors go
    %% with it.
    Owners1 = case Owners of
                  #{Pid := {PRef, N}} -> Owners#{Pid := {PRef, N + 1}};
                  #{} -> Owners#{Pid => {erlang:monitor(process, Pid), 1}}
              end,
    S#state{monitors = maps:put(MRef, {Pid, Id}, S#state.monitors),
            monitored = maps:update_with(Id, fun (M) -> M#{MRef => true} end,
                                         #{MRef => true}, S#state.monitored),
            mon_owners = Owners1}.

drop_monitor(MRef, S) ->
    {{Pid, Id}, Monitors} = maps:take(MRef, S#state.monitors),
    Monitored = case maps:remove(MRef, maps:get(Id, S#state.monitored)) of
                    M when map_size(M) =:= 0 -> maps:remove(Id, S#state.monitored);
                    M -> maps:put(Id, M, S#state.monitored)
                end,
    release_owner(Pid, S#state{monitors = Monitors, monitored = Monitored}).

release_owner(Pid, #state{mon_owners = Owners} = S) ->
    case Owners of
        #{Pid := {PRef, 1}} ->
            erlang:demonitor(PRef, [flush]),
            S#state{mon_owners = maps:remove(Pid, Owners)};
        #{Pid := {PRef, N}} ->
            S#state{mon_owners = Owners#{Pid := {PRef, N - 1}}}
    end.

%% Every monitor of socket Id gets its 'DOWN'.
fire_monitors(Id, Reason, #state{port = Port} = S) ->
    case maps:take(Id, S#state.monitored) of
        {MRefs, Monitored} ->
            maps:fold(
              fun (MRef, true, Acc) ->
                      {{Pid, _}, Monitors} = maps:take(MRef, Acc#state.monitors),
                      Pid ! {'DOWN', MRef, socket, socket(Port, Id), Reason},
                      release_owner(Pid, Acc#state{monitors = Monitors})
              end, S#state{monitored = Monitored}, MRefs);
        error ->
            S
    end.

%% A process with socket monitors died: its monitors go.
owner_down(Pid, S) ->
    Mine = maps:fold(fun (MRef, {P, _}, Acc) when P =:= Pid -> [MRef | Acc];
                         (_, _, Acc) -> Acc
                     end, [], S#state.monitors),
    lists:foldl(fun drop_monitor/2, S, Mine).

log_level(Level) when Level =:= error; Level =:= warning; Level =:= info;
                      Level =:= debug ->
    Level;
log_level(_) ->
    notice.

socket(Port, Id) ->
    {'$socket', {sockport, Port, Id}}.

pid_down(Pid) ->
    term_to_binary({?SP_OP_PID_DOWN, Pid, make_ref(), 0}).

%% The router must never be suspended by a busy port: write with
%% nosuspend and keep what did not go for a timer to retry.
command(Cmd, #state{backlog = []} = S) ->
    case write(Cmd, S) of
        true ->
            S;
        false ->
            _ = erlang:start_timer(?BUSY_RETRY_MS, self(), backlog),
            S#state{backlog = [Cmd]}
    end;
command(Cmd, #state{backlog = Backlog} = S) ->
    S#state{backlog = Backlog ++ [Cmd]}.

flush_backlog(#state{backlog = []} = S) ->
    S;
flush_backlog(#state{backlog = [Cmd | Rest]} = S) ->
    case write(Cmd, S) of
        true ->
            flush_backlog(S#state{backlog = Rest});
        false ->
            _ = erlang:start_timer(?BUSY_RETRY_MS, self(), backlog),
            S
    end.

write(_Cmd, #state{status = Status}) when Status =/= up ->
    %% The daemon is gone; it forgot the pid with everything else.
    true;
write(Cmd, #state{port = Port}) ->
    try
        erlang:port_command(Port, Cmd, [nosuspend])
    catch
        error:badarg -> true
    end.
