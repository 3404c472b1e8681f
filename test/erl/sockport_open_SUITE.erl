%% open/1,2 of a descriptor and open/4 in a network namespace.
%% Differential: adopting a socket's descriptor ({otp, fd}) of every kind
%% and state, the option and argument errors, and sockets opened in two
%% namespaces the suite makes (joined by a veth pair with an address at
%% each end) talking to each other. The seed_* cases check what sockport
%% documents where a daemon's descriptors differ from the VM's: dup =>
%% false hands the descriptor over, and the daemon's own descriptors and
%% descriptors that are no sockets are refused.
-module(sockport_open_SUITE).

-export([suite/0]).
-export([init_per_suite/1, end_per_suite/1]).
%% Cases (Name/1) and their scenarios (Name/2).
-export([adopt_listener/1, adopt_listener/2]).
-export([adopt_connected/1, adopt_connected/2]).
-export([adopt_dgram/1, adopt_dgram/2]).
-export([adopt_errors/1, adopt_errors/2]).
-export([netns_udp/1, netns_udp/2]).
-export([netns_tcp/1, netns_tcp/2]).
-export([netns_errors/1, netns_errors/2]).
-export([seed_dup_false_takes_descriptor/1]).
-export([seed_bad_descriptor_without_dup/1]).
-export([seed_daemon_descriptors/1]).
-export([seed_debug_option/1]).
-export([readme_example/1]).

-include("sockport_diff.hrl").

-define(TAG, "op").
-define(ADDR_A, {10, 203, 0, 1}).
-define(ADDR_B, {10, 203, 0, 2}).
%% Open in no process of the VM or the daemon (beyond RLIMIT_NOFILE).
-define(BAD_FD, (1 bsl 30)).

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 120}}].

diff_cases() ->
    [adopt_listener, adopt_connected, adopt_dgram, adopt_errors,
     netns_udp, netns_tcp, netns_errors].

seed_cases() ->
    [seed_dup_false_takes_descriptor, seed_bad_descriptor_without_dup,
     seed_daemon_descriptors, seed_debug_option, readme_example].

-spec init_per_suite(list()) -> list().
init_per_suite(Config) ->
    case sockport_netns:setup(?TAG) of
        {ok, #{a := A, b := B, if_a := IfA, if_b := IfB} = Pair} ->
            Steps = [["-n", A, "addr", "add", "10.203.0.1/24", "dev", IfA],
                     ["-n", B, "addr", "add", "10.203.0.2/24", "dev", IfB],
                     ["-n", A, "link", "set", IfA, "up"],
                     ["-n", B, "link", "set", IfB, "up"]],
            case lists:usort([sockport_netns:ip(S) || S <- Steps]) of
                [ok] ->
                    [{netns, Pair} | Config];
                Errors ->
                    sockport_netns:teardown(Pair),
                    [{netns_skip, io_lib:format("ip(8): ~p", [Errors])} | Config]
            end;
        {skip, Why} ->
            [{netns_skip, Why} | Config]
    end.

-spec end_per_suite(list()) -> ok.
end_per_suite(Config) ->
    case proplists:get_value(netns, Config) of
        undefined -> ok;
        Pair -> sockport_netns:teardown(Pair)
    end.

-define(NS_DIFF(Name, Doc),
        Name(Config) ->
               doc(Doc),
               case proplists:get_value(netns, Config) of
                   undefined -> {skip, proplists:get_value(netns_skip, Config)};
                   _ -> compare(Config, fun Name/2)
               end).

%% ===================================================================
%% Adopting a descriptor
%% ===================================================================

fd(M, S) ->
    {ok, FD} = M:getopt(S, {otp, fd}),
    FD.

%% What a socket says of itself.
facts(M, S) ->
    [M:getopt(S, {otp, domain}), M:getopt(S, {socket, type}),
     M:getopt(S, {socket, protocol}), M:getopt(S, {socket, acceptconn})].

?DIFF(adopt_listener,
      "Ensure that open/1,2 make a socket of a listener's descriptor that accepts, and that closing it leaves the listener open.").
adopt_listener(M, X) ->
    [begin
         {L, LA} = listener(M, K, X),
         FD = fd(M, L),
         {ok, L2} = rec({open1, K}, M:open(FD)),
         rec({same_name, K}, M:sockname(L2) =:= {ok, LA}),
         rec({other_fd, K}, fd(M, L2) =/= FD),
         rec({facts, K}, facts(M, L2)),
         C = open(M, K, stream),
         ok = M:connect(C, LA),
         {ok, A} = rec({accept_adopted, K}, M:accept(L2, ?LONG)),
         ok = M:send(C, <<"hello">>),
         rec({recv, K}, M:recv(A, 5, ?LONG)),
         rec({close_adopted, K}, M:close(L2)),
         rec({listener_open, K}, M:sockname(L) =:= {ok, LA}),
         C2 = open(M, K, stream),
         ok = M:connect(C2, LA),
         rec({accept_original, K}, element(1, M:accept(L, ?LONG))),
         %% open/2: the descriptor's own domain and type win over options
         {ok, L3} = rec({open2, K}, M:open(FD, #{domain => inet6, type => dgram,
                                               protocol => udp, dup => true})),
         rec({facts2, K}, facts(M, L3)),
         ok = M:close(L3),
         ok = M:close(L)
     end || K <- ?STREAM_KINDS].

?DIFF(adopt_connected,
      "Ensure that a socket made of a connected socket's descriptor sends and receives on that connection.").
adopt_connected(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         {ok, C2} = rec({open, K}, M:open(fd(M, C))),
         rec({peer, K}, M:peername(C2) =:= M:peername(C)),
         rec({facts, K}, facts(M, C2)),
         ok = M:send(C2, <<"from adopted">>),
         rec({recv_peer, K}, M:recv(A, 12, ?LONG)),
         ok = M:send(A, <<"to adopted">>),
         rec({recv_adopted, K}, M:recv(C2, 10, ?LONG)),
         ok = M:close(C),
         ok = M:send(C2, <<"after close">>),
         rec({recv_after_close, K}, M:recv(A, 11, ?LONG)),
         ok = M:close(C2),
         rec({peer_sees_close, K}, M:recv(A, 0, ?LONG))
     end || K <- ?STREAM_KINDS].

?DIFF(adopt_dgram,
      "Ensure that a socket made of a datagram socket's descriptor receives what is sent to its address.").
adopt_dgram(M, X) ->
    [begin
         {D, DA} = dgram(M, K, X),
         {S, _SA} = dgram(M, K, X),
         {ok, D2} = rec({open, K}, M:open(fd(M, D), #{})),
         rec({same_name, K}, M:sockname(D2) =:= {ok, DA}),
         rec({facts, K}, facts(M, D2)),
         ok = M:sendto(S, <<"datagram">>, DA),
         {ok, {_From, Data}} = M:recvfrom(D2, 0, ?LONG),
         rec({recvfrom, K}, Data),
         ok = M:close(D2),
         ok = M:sendto(S, <<"again">>, DA),
         rec({original_still, K}, element(2, element(2, M:recvfrom(D, 0, ?LONG))))
     end || K <- ?DGRAM_KINDS].

?DIFF(adopt_errors,
      "Ensure that open/1,2 with bad descriptors, options and arguments fail as OTP's.").
adopt_errors(M, X) ->
    {L, _} = listener(M, inet, X),
    FD = fd(M, L),
    [call(Label, F)
     || {Label, F} <-
            [{not_open, fun() -> M:open(?BAD_FD) end},
             {not_open_opts, fun() -> M:open(?BAD_FD, #{}) end},
             {negative, fun() -> M:open(-1) end},
             {not_open_domain, fun() -> M:open(?BAD_FD, #{domain => inet}) end},
             {not_open_domain_type, fun() -> M:open(?BAD_FD, #{domain => inet, type => stream}) end},
             {not_open_ints, fun() -> M:open(?BAD_FD, #{domain => 2, type => 1, protocol => 6}) end},
             {not_open_local, fun() -> M:open(?BAD_FD, #{domain => local, type => seqpacket}) end},
             {not_open_unspec_raw, fun() -> M:open(?BAD_FD, #{domain => unspec, type => raw}) end},
             {bad_domain, fun() -> M:open(?BAD_FD, #{domain => foo, type => stream}) end},
             {bad_domain_str, fun() -> M:open(?BAD_FD, #{domain => "inet", type => stream}) end},
             {huge_domain, fun() -> M:open(?BAD_FD, #{domain => 1 bsl 40, type => stream}) end},
             {rdm, fun() -> M:open(?BAD_FD, #{domain => inet, type => rdm}) end},
             {huge_type, fun() -> M:open(?BAD_FD, #{domain => inet, type => 1 bsl 40}) end},
             {huge_protocol, fun() -> M:open(?BAD_FD, #{domain => inet, type => stream,
                                                        protocol => 1 bsl 40}) end},
             {bad_protocol, fun() -> M:open(FD, #{protocol => foo}) end},
             {bad_protocol_str, fun() -> M:open(FD, #{protocol => "tcp"}) end},
             {bad_protocol_not_open, fun() -> M:open(?BAD_FD, #{protocol => foo}) end},
             {raw_protocol, fun() -> close_ok(M, M:open(FD, #{protocol => {raw, 6}})) end},
             {default_protocol, fun() -> close_ok(M, M:open(FD, #{protocol => default})) end},
             {bad_options_ignored, fun() -> close_ok(M, M:open(FD, #{dup => foo, debug => 1,
                                                                     foo => bar})) end},
             {huge_fd, fun() -> M:open(1 bsl 40) end},
             {huge_fd_opts, fun() -> M:open(1 bsl 40, #{domain => inet, type => stream}) end},
             {huge_fd_bad_protocol, fun() -> M:open(1 bsl 40, #{protocol => foo}) end},
             {not_integer, fun() -> M:open(foo) end},
             {not_integer2, fun() -> M:open(foo, #{}) end},
             {float, fun() -> M:open(1.0) end},
             {opts_not_map, fun() -> M:open(FD, foo) end}]],
    ok = M:close(L).

%% ===================================================================
%% Network namespaces
%% ===================================================================

in_ns(M, Which, Type, Protocol) ->
    #{Which := Name} = sockport_netns:names(?TAG),
    M:open(inet, Type, Protocol, #{netns => sockport_netns:path(Name)}).

?NS_DIFF(netns_udp,
         "Ensure that sockets opened in two namespaces bind to their namespace's address and talk over the veth pair.").
netns_udp(M, _X) ->
    {ok, A} = rec(open_a, in_ns(M, a, dgram, udp)),
    {ok, B} = rec(open_b, in_ns(M, b, dgram, udp)),
    rec(bind_b_in_a, M:bind(A, #{family => inet, addr => ?ADDR_B, port => 0})),
    rec(bind_a, M:bind(A, #{family => inet, addr => ?ADDR_A, port => 0})),
    rec(bind_b, M:bind(B, #{family => inet, addr => ?ADDR_B, port => 0})),
    {ok, AA} = rec(name_a, M:sockname(A)),
    {ok, BA} = rec(name_b, M:sockname(B)),
    rec(send_ab, M:sendto(A, <<"a to b">>, BA)),
    rec(recv_b, M:recvfrom(B, 0, ?LONG)),
    rec(send_ba, M:sendto(B, <<"b to a">>, AA)),
    rec(recv_a, M:recvfrom(A, 0, ?LONG)),
    rec(conf_a, M:ioctl(A, gifconf)),
    rec(conf_b, M:ioctl(B, gifconf)),
    %% the process went back to its own namespace
    {ok, Home} = M:open(inet, dgram, udp),
    rec(bind_home, M:bind(Home, #{family => inet, addr => ?ADDR_A, port => 0})),
    rec(conf_home, lists:member(#{name => "lo", addr => #{family => inet, port => 0,
                                                          addr => {127, 0, 0, 1}}},
                                element(2, M:ioctl(Home, gifconf)))),
    [ok = M:close(S) || S <- [A, B, Home]].

?NS_DIFF(netns_tcp,
         "Ensure that a client in one namespace connects to a listener in the other and they exchange data.").
netns_tcp(M, _X) ->
    {ok, L} = in_ns(M, b, stream, tcp),
    ok = M:bind(L, #{family => inet, addr => ?ADDR_B, port => 0}),
    ok = M:listen(L),
    {ok, LA} = M:sockname(L),
    {ok, C} = rec(open_client, in_ns(M, a, stream, default)),
    rec(protocol, M:getopt(C, {socket, protocol})),
    rec(connect, M:connect(C, LA, ?LONG)),
    {ok, S} = rec(accept, M:accept(L, ?LONG)),
    rec(peer, M:peername(S) =:= M:sockname(C)),
    ok = M:send(C, <<"over the veth">>),
    rec(recv, M:recv(S, 13, ?LONG)),
    ok = M:send(S, <<"and back">>),
    rec(recv_back, M:recv(C, 8, ?LONG)),
    [ok = M:close(X) || X <- [C, S, L]].

?NS_DIFF(netns_errors,
         "Ensure that open/4 with a netns that is missing, no namespace or malformed fails as OTP's, and other errors come first.").
netns_errors(M, _X) ->
    #{a := A} = sockport_netns:names(?TAG),
    Path = sockport_netns:path(A),
    [call(Label, F)
     || {Label, F} <-
            [{missing, fun() -> M:open(inet, dgram, udp, #{netns => "/nonexistent/ns"}) end},
             {missing_bin, fun() -> M:open(inet, dgram, udp, #{netns => <<"/nonexistent/ns">>}) end},
             {empty, fun() -> M:open(inet, dgram, udp, #{netns => ""}) end},
             {not_a_namespace, fun() -> M:open(inet, dgram, udp, #{netns => "/etc/passwd"}) end},
             {bad_path, fun() -> M:open(inet, dgram, udp, #{netns => [1000000000]}) end},
             {ignored, fun() -> close_ok(M, M:open(inet, dgram, udp, #{netns => foo})) end},
             {bad_domain, fun() -> M:open(foo, dgram, udp, #{netns => "/nonexistent"}) end},
             {bad_type, fun() -> M:open(inet, foo, udp, #{netns => "/nonexistent"}) end},
             {bad_protocol, fun() -> M:open(inet, dgram, foo, #{netns => "/nonexistent"}) end},
             {bad_protocol_term, fun() -> M:open(inet, dgram, "udp", #{netns => Path}) end},
             {no_such_protocol, fun() -> M:open(inet, stream, udp, #{netns => Path}) end},
             {local_in_ns, fun() -> close_ok(M, M:open(local, stream, default,
                                                       #{netns => Path})) end},
             {open3_opts, fun() -> close_ok(M, M:open(inet, dgram, #{netns => Path})) end}]],
    %% after each of them the process is back in its own namespace
    {ok, S} = M:open(inet, dgram, udp),
    rec(home, M:bind(S, #{family => inet, addr => ?ADDR_A, port => 0})),
    ok = M:close(S).

%% ===================================================================
%% What only sockport has: the daemon's descriptors
%% ===================================================================

-spec seed_dup_false_takes_descriptor(list()) -> ok.
seed_dup_false_takes_descriptor(_Config) ->
    doc("Ensure that open with dup => false gives the new socket the descriptor itself: the socket that had it is closed, the new one works and closes it"),
    {ok, L} = sockport:open(inet, stream),
    ok = sockport:bind(L, #{family => inet, addr => loopback, port => 0}),
    ok = sockport:listen(L),
    {ok, LA} = sockport:sockname(L),
    {ok, FD} = sockport:getopt(L, {otp, fd}),
    MRef = sockport:monitor(L),
    Self = self(),
    Waiter = spawn_link(fun() -> Self ! {waiter, sockport:accept(L)} end),
    ok = sockport_test_lib:wait_blocked(Waiter),
    {ok, L2} = sockport:open(FD, #{dup => false}),
    {ok, FD} = sockport:getopt(L2, {otp, fd}),
    receive {waiter, {error, closed}} -> ok after 5000 -> error(waiter_not_told) end,
    receive {'DOWN', MRef, socket, L, closed} -> ok after 5000 -> error(no_down) end,
    {error, closed} = sockport:sockname(L),
    {ok, LA} = sockport:sockname(L2),
    {ok, true} = sockport:getopt(L2, {socket, acceptconn}),
    {ok, C} = sockport:open(inet, stream),
    ok = sockport:connect(C, LA),
    {ok, A} = sockport:accept(L2, 5000),
    ok = sockport:close(L2),
    %% the descriptor was closed with it
    {error, {invalid, {options, domain, #{}}}} = sockport:open(FD),
    [ok = sockport:close(S) || S <- [A, C]],
    ok.

-spec seed_bad_descriptor_without_dup(list()) -> ok.
seed_bad_descriptor_without_dup(_Config) ->
    doc("Ensure that open with dup => false of a descriptor that is not open is ebadf (OTP 25 makes a socket of it)"),
    {error, ebadf} = sockport:open(?BAD_FD, #{domain => inet, type => stream, dup => false}),
    {error, {invalid, {options, domain, #{dup := false}}}} =
        sockport:open(?BAD_FD, #{dup => false}),
    ok.

-spec seed_daemon_descriptors(list()) -> ok.
seed_daemon_descriptors(_Config) ->
    doc("Ensure that the daemon's own descriptors and descriptors that are no sockets are refused"),
    [{error, {invalid, {options, domain, #{}}}} = sockport:open(FD) || FD <- [0, 1, 2]],
    [{error, ebadf} = sockport:open(FD, #{domain => inet, type => stream})
     || FD <- [0, 1, 2]],
    %% The daemon's other descriptors: its event loop is no socket.
    [Daemon] = sockport_test_lib:daemon_ospids(),
    Dir = "/proc/" ++ Daemon ++ "/fd",
    {ok, Names} = file:list_dir(Dir),
    Links = [{list_to_integer(N), file:read_link(filename:join(Dir, N))} || N <- Names],
    [EventFd | _] = [FD || {FD, {ok, "anon_inode:" ++ _}} <- Links, FD > 2],
    {error, {invalid, {options, domain, #{}}}} = sockport:open(EventFd),
    {error, enotsock} = sockport:open(EventFd, #{domain => inet, type => stream}),
    {error, enotsock} = sockport:open(EventFd, #{domain => inet, type => stream,
                                                 dup => false}),
    %% and once it has been in a namespace, its handle on its own one
    case sockport:open(inet, dgram, udp, #{netns => "/proc/self/ns/net"}) of
        {ok, S} ->
            ok = sockport:close(S),
            {ok, Names2} = file:list_dir(Dir),
            [NsFd] = [list_to_integer(N) || N <- Names2,
                                            {ok, "net:" ++ _} <- [file:read_link(filename:join(Dir, N))]],
            {error, ebadf} = sockport:open(NsFd, #{domain => inet, type => stream}),
            ok;
        {error, eperm} ->
            {skip, "the daemon may not enter network namespaces"}
    end.

-spec seed_debug_option(list()) -> ok.
seed_debug_option(_Config) ->
    doc("Ensure that the debug option of open/2,4 is kept ({otp, debug}; OTP prints a trace where sockport prints nothing)"),
    {ok, S} = sockport:open(inet, stream, tcp, #{debug => true}),
    {ok, true} = sockport:getopt(S, {otp, debug}),
    {ok, FD} = sockport:getopt(S, {otp, fd}),
    {ok, S2} = sockport:open(FD, #{debug => true}),
    {ok, true} = sockport:getopt(S2, {otp, debug}),
    {ok, S3} = sockport:open(FD),
    {ok, false} = sockport:getopt(S3, {otp, debug}),
    [ok = sockport:close(X) || X <- [S, S2, S3]],
    ok.

-spec readme_example(list()) -> ok | {skip, term()}.
readme_example(Config) ->
    doc("Ensure that the README's example of netns, gifconf and open/1 runs as written (in the suite's namespace)"),
    case proplists:get_value(netns, Config) of
        undefined ->
            {skip, proplists:get_value(netns_skip, Config)};
        _ ->
            #{a := A} = sockport_netns:names(?TAG),
            Path = sockport_netns:path(A),
            {ok, S} = sockport:open(inet, dgram, udp, #{netns => Path}),
            {ok, [#{name := "lo"} | _]} = sockport:ioctl(S, gifconf),
            {ok, FD} = sockport:getopt(S, {otp, fd}),
            {ok, S2} = sockport:open(FD),
            {ok, #{addr := {10, 203, 0, 1}}} = sockport:ioctl(S2, gifaddr, "v" ++ ?TAG ++ "a"),
            [ok = sockport:close(X) || X <- [S, S2]],
            ok
    end.
