%% Privilege separation: what the daemon may do that the VM may not. Run by
%% scripts/test (as root) in four deployments, named by the environment
%% variable SOCKPORT_PRIV_MODE:
%%
%%   filecaps  the VM runs as an ordinary user; the daemon binary carries
%%             file capabilities (setcap ...+ep): raw sockets and low
%%             ports work through sockport and fail through socket;
%%   none      the same, but the application keeps no capabilities
%%             (`caps' none): sockport fails exactly as socket does;
%%   drop      the VM runs as root and the daemon, started as root,
%%             becomes `user' keeping only `caps';
%%   sudo      the VM runs as an ordinary user and starts the daemon as
%%             root through the launch prefix `sudo -n'; the daemon becomes
%%             `user' keeping only `caps' (README, "Privileges").
%%
%% SOCKPORT_PRIV_NETNS names a network namespace file that scripts/test
%% made for the netns case.
-module(sockport_priv_SUITE).

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1]).
-export([raw_icmp/1, readme_ping/1, low_port/1, netns/1, daemon_identity/1,
         sendfile_reach/1]).

-define(NET_RAW, 13).
-define(NET_BIND_SERVICE, 10).

suite() -> [{timetrap, {seconds, 60}}].

all() -> [daemon_identity, raw_icmp, readme_ping, low_port, netns, sendfile_reach].

init_per_suite(Config) ->
    case os:getenv("SOCKPORT_PRIV_MODE") of
        false ->
            {skip, "SOCKPORT_PRIV_MODE not set (scripts/test sets it)"};
        Mode ->
            {ok, _} = application:ensure_all_started(sockport),
            [{mode, list_to_atom(Mode)} | Config]
    end.

end_per_suite(_Config) ->
    application:stop(sockport).

mode(Config) -> proplists:get_value(mode, Config).

%% The daemon runs as the user and with the capabilities the deployment
%% gives it, and nothing more, in its sandbox.
daemon_identity(Config) ->
    Status = daemon_status(),
    Uid = list_to_integer(hd(string:lexemes(maps:get("Uid", Status), "\t "))),
    Eff = list_to_integer(maps:get("CapEff", Status), 16),
    Bnd = list_to_integer(maps:get("CapBnd", Status), 16),
    Both = (1 bsl ?NET_RAW) bor (1 bsl ?NET_BIND_SERVICE),
    %% whatever it keeps, it runs under its seccomp filter (on by default)
    "2" = maps:get("Seccomp", Status),
    case mode(Config) of
        filecaps ->
            true = Uid =/= 0,
            Both = Eff band Both;
        none ->
            true = Uid =/= 0,
            0 = Eff;
        M when M =:= drop; M =:= sudo ->
            {Uid, Uid} = {Uid, nobody_uid()},
            {Both, Both} = {Eff, Both},
            %% the bounding set kept nothing else either
            {Both, Both} = {Bnd, Both}
    end,
    ok.

%% An ICMP raw socket needs CAP_NET_RAW.
raw_icmp(Config) ->
    Sp = open_raw(sockport),
    So = open_raw(socket),
    case mode(Config) of
        filecaps -> {ok, {error, eperm}} = {Sp, So};
        none -> {{error, eperm}, {error, eperm}} = {Sp, So};
        drop -> ok = Sp;
        sudo -> {ok, {error, eperm}} = {Sp, So}
    end.

%% README, "Example: ping as an ordinary user", step by step: where the
%% daemon keeps cap_net_raw, the unprivileged VM pings 127.0.0.1 through
%% it; where it keeps nothing, the open fails as socket's does.
readme_ping(Config) ->
    case mode(Config) of
        none ->
            {error, eperm} = sockport:open(inet, raw, icmp);
        _ ->
            Sum = fun S(<<W:16, R/binary>>, A) -> S(R, A + W);
                      S(<<B:8>>, A) -> S(<<>>, A + (B bsl 8));
                      S(<<>>, A) when A > 16#ffff -> S(<<>>, (A band 16#ffff) + (A bsr 16));
                      S(<<>>, A) -> bnot A band 16#ffff end,
            Req = <<8, 0, 0:16, 1:16, 1:16, "hello">>,
            Echo = <<8, 0, (Sum(Req, 0)):16, 1:16, 1:16, "hello">>,
            {ok, S} = sockport:open(inet, raw, icmp),
            ok = sockport:sendto(S, Echo, #{family => inet, addr => {127,0,0,1}}),
            {ok, {_, <<_:20/binary, 8, _/binary>>}} =
                sockport:recvfrom(S, 0, [], 1000),
            {ok, {_, <<_:20/binary, 0, 0, _:16, 1:16, 1:16, "hello">>}} =
                sockport:recvfrom(S, 0, [], 1000),
            ok = sockport:close(S)
    end,
    %% the VM itself has no raw sockets (in drop mode it runs as root)
    case mode(Config) of
        drop -> ok;
        _ -> {error, eperm} = socket:open(inet, raw, icmp), ok
    end.

%% sendfile: the daemon opens the VM's file as /proc/<VM pid>/fd/<n>. It
%% may while it runs as the VM's user, with or without capabilities; a
%% daemon that became another user may not: {error, eperm}, nothing sent.
sendfile_reach(Config) ->
    Tmp = sockport_test_lib:mktemp(),
    try
        Path = <<Tmp/binary, "/f">>,
        ok = file:write_file(Path, <<"0123456789">>),
        {ok, F} = file:open(Path, [raw, read, binary]),
        {ok, L} = sockport:open(inet, stream, tcp),
        ok = sockport:bind(L, #{family => inet, addr => {127, 0, 0, 1},
                                port => 0}),
        ok = sockport:listen(L),
        {ok, LA} = sockport:sockname(L),
        {ok, C} = sockport:open(inet, stream, tcp),
        ok = sockport:connect(C, LA),
        {ok, S} = sockport:accept(L),
        case mode(Config) of
            drop ->
                {error, eperm} = sockport:sendfile(C, F),
                {error, timeout} = sockport:recv(S, 0, 200);
            _ ->
                {ok, 10} = sockport:sendfile(C, F),
                {ok, <<"0123456789">>} = sockport:recv(S, 10, 5000)
        end,
        ok = file:close(F),
        [ok = sockport:close(X) || X <- [C, S, L]],
        ok
    after
        sockport_test_lib:rmtemp(Tmp)
    end.

open_raw(M) ->
    case M:open(inet, raw, icmp) of
        {ok, S} -> ok = M:close(S);
        Error -> Error
    end.

%% Binding a port below 1024 needs CAP_NET_BIND_SERVICE.
low_port(Config) ->
    Port = free_low_port(),
    Sp = bind_low(sockport, Port),
    So = bind_low(socket, Port),
    case mode(Config) of
        filecaps -> {ok, {error, eacces}} = {Sp, So};
        none -> {{error, eacces}, {error, eacces}} = {Sp, So};
        drop -> ok = Sp;
        sudo -> {ok, {error, eacces}} = {Sp, So}
    end.

bind_low(M, Port) ->
    {ok, S} = M:open(inet, stream, tcp),
    R = M:bind(S, #{family => inet, addr => {127, 0, 0, 1}, port => Port}),
    ok = M:close(S),
    R.

%% Entering a network namespace needs CAP_SYS_ADMIN, which the file
%% capabilities give and the dropping daemon does not keep.
netns(Config) ->
    case os:getenv("SOCKPORT_PRIV_NETNS") of
        false ->
            error("SOCKPORT_PRIV_NETNS not set");
        Path ->
            Sp = open_in_ns(sockport, Path),
            case mode(Config) of
                filecaps -> {ok, {error, eperm}} = {Sp, open_in_ns(socket, Path)};
                none -> {{error, eperm}, {error, eperm}} = {Sp, open_in_ns(socket, Path)};
                drop -> {error, eperm} = Sp;
                sudo -> {{error, eperm}, {error, eperm}} = {Sp, open_in_ns(socket, Path)}
            end
    end.

open_in_ns(M, Path) ->
    case M:open(inet, stream, tcp, #{netns => Path}) of
        {ok, S} -> ok = M:close(S);
        Error -> Error
    end.

%% A port below 1024 nobody listens on: connecting to it is refused.
free_low_port() ->
    hd([P || P <- lists:seq(1000, 900, -1),
             gen_tcp:connect({127, 0, 0, 1}, P, []) =:= {error, econnrefused}]).

daemon_status() ->
    Pid = sockport_port:os_pid(0),
    {ok, Bin} = file:read_file("/proc/" ++ integer_to_list(Pid) ++ "/status"),
    maps:from_list([{binary_to_list(K), string:trim(binary_to_list(V))}
                    || Line <- binary:split(Bin, <<"\n">>, [global]),
                       [K, V] <- [binary:split(Line, <<":">>)]]).

nobody_uid() ->
    list_to_integer(string:trim(os:cmd("id -u nobody"))).
