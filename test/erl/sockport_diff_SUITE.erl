%% Differential tests: each scenario is a function of the module under test
%% (`socket` or `sockport`) that returns a trace of results. A case runs the
%% scenario against `socket` (the oracle) and against the module of its
%% group, normalises both traces (sockport_norm) and asserts they are equal.
%% In the `socket` group the second run is `socket` again: that checks the
%% scenario itself is deterministic. Both ends of every connection use the
%% module under test; all traffic stays on loopback. The running and the
%% scenario helpers are in sockport_test_lib; the scenarios are split by
%% family: this suite (open, bind, listen, names, ownership, monitors,
%% argument and closed-socket errors of every function, the README's
%% example), sockport_diff_stream_SUITE (accept, connect, send, recv,
%% shutdown, close of stream sockets), sockport_diff_dgram_SUITE (datagrams)
%% and sockport_diff_select_SUITE (nowait calls, select handles, cancel,
%% abort messages, several waiters).
%%
%% Cases named seed_* hold behaviour where the seed (OTP 26 documentation)
%% differs from the installed OTP 25: they assert the seed's behaviour for
%% sockport only.
-module(sockport_diff_SUITE).

-export([suite/0]).
%% Cases (Name/1) and their scenarios (Name/2).
-export([open_domains_types/1, open_domains_types/2]).
-export([open_protocols/1, open_protocols/2]).
-export([open_opts/1, open_opts/2]).
-export([open_bad_args/1, open_bad_args/2]).
-export([bind_maps/1, bind_maps/2]).
-export([bind_atoms/1, bind_atoms/2]).
-export([bind_eaddrinuse/1, bind_eaddrinuse/2]).
-export([bind_bad_addresses/1, bind_bad_addresses/2]).
-export([listen_backlogs/1, listen_backlogs/2]).
-export([names_errors/1, names_errors/2]).
-export([owner_get_set/1, owner_get_set/2]).
-export([owner_death_closes/1, owner_death_closes/2]).
-export([readme_example/1, readme_example/2]).
-export([owner_transfer_then_old_owner_dies/1, owner_transfer_then_old_owner_dies/2]).
-export([owner_not_owner_third_party/1, owner_not_owner_third_party/2]).
-export([monitor_down/1, monitor_down/2]).
-export([closed_everywhere/1, closed_everywhere/2]).
-export([not_socket_everywhere/1, not_socket_everywhere/2]).
-export([bad_args_everywhere/1, bad_args_everywhere/2]).
-export([seed_accept_replaced_nowait_aborts/1]).
-export([seed_timed_out_head_serves_next/1]).

-include("sockport_diff.hrl").

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 120}}].

diff_cases() ->
    [open_domains_types, open_protocols, open_opts, open_bad_args,
     bind_maps, bind_atoms, bind_eaddrinuse, bind_bad_addresses,
     listen_backlogs,
     names_errors,
     owner_get_set, owner_death_closes,
     readme_example,
     owner_transfer_then_old_owner_dies, owner_not_owner_third_party, monitor_down,
     closed_everywhere, not_socket_everywhere, bad_args_everywhere].

seed_cases() ->
    [seed_accept_replaced_nowait_aborts, seed_timed_out_head_serves_next].

%% ===================================================================
%% open
%% ===================================================================

?DIFF(open_domains_types,
      "Ensure that open/2 works for every domain and type and reports them back.").
open_domains_types(M, _X) ->
    [begin
         R = rec({open, D, T}, M:open(D, T)),
         case R of
             {ok, S} ->
                 call({type, D, T}, fun() -> M:getopt(S, {socket, type}) end),
                 call({domain, D, T}, fun() -> M:getopt(S, {socket, domain}) end),
                 call({protocol, D, T}, fun() -> M:getopt(S, {socket, protocol}) end),
                 rec({sockname, D, T}, M:sockname(S)),
                 rec({close, D, T}, M:close(S));
             _ -> ok
         end
     end || D <- [inet, inet6, local], T <- [stream, dgram, seqpacket]].

?DIFF(open_protocols,
      "Ensure that open/3 accepts default, protocol atoms and integers and refuses mismatches.").
open_protocols(M, _X) ->
    [begin
         R = rec({open, D, T, P}, x(fun() -> M:open(D, T, P) end)),
         case R of
             {ok, S} -> rec({close, D, T, P}, M:close(S));
             _ -> ok
         end
     end || {D, T, P} <- [{inet, stream, default}, {inet, stream, tcp}, {inet, stream, 6},
                          {inet, dgram, udp}, {inet, dgram, 17}, {inet, dgram, default},
                          {inet, stream, udp}, {inet, dgram, tcp}, {inet6, stream, tcp},
                          {inet6, dgram, udp}, {local, stream, default}, {local, dgram, 0},
                          {local, stream, tcp}, {inet, stream, 0}, {inet, stream, 4242}]].

?DIFF(open_opts,
      "Ensure that open/3,4 take an options map with debug and use_registry and reject bad ones.").
open_opts(M, _X) ->
    Opts = [#{}, #{debug => false}, #{use_registry => false}, #{use_registry => true},
            #{debug => false, use_registry => false}, #{foo => 1},
            #{debug => maybe}, #{use_registry => 7}],
    [begin
         R4 = rec({open4, O}, x(fun() -> M:open(inet, stream, tcp, O) end)),
         close_ok(M, R4),
         R3 = rec({open3, O}, x(fun() -> M:open(inet6, dgram, O) end)),
         close_ok(M, R3)
     end || O <- Opts],
    call(open4_not_map, fun() -> M:open(inet, stream, tcp, [debug]) end).

?DIFF(open_bad_args,
      "Ensure that open with a bad domain, type or protocol fails as OTP does (error or exception).").
open_bad_args(M, _X) ->
    [call({open, A}, fun() -> apply(M, open, A) end)
     || A <- [[foo, stream], [inet, foo], [inet, stream, foo], ["inet", stream],
              [inet, "stream"], [inet, stream, "tcp"], [12345, stream], [inet, 999],
              [inet, stream, -1], [local, stream, udp], [inet6, dgram, tcp]]].

%% ===================================================================
%% bind
%% ===================================================================

?DIFF(bind_maps,
      "Ensure that bind/2 with a sockaddr map works for inet, inet6, path and abstract, stream and dgram.").
bind_maps(M, X) ->
    [begin
         S = open(M, K, T),
         rec({bind, K, T}, M:bind(S, addr(K, X))),
         rec({sockname, K, T}, M:sockname(S)),
         rec({close, K, T}, M:close(S))
     end || K <- ?STREAM_KINDS, T <- [stream, dgram]].

?DIFF(bind_atoms,
      "Ensure that bind/2 accepts any, loopback and broadcast as OTP does, per domain.").
bind_atoms(M, _X) ->
    [begin
         {ok, S} = M:open(D, T),
         R = rec({bind, D, T, A}, x(fun() -> M:bind(S, A) end)),
         case R of
             ok -> rec({sockname, D, T, A}, M:sockname(S));
             _ -> ok
         end,
         M:close(S)
     end || D <- [inet, inet6, local], T <- [stream, dgram], A <- [any, loopback, broadcast]].

?DIFF(bind_eaddrinuse,
      "Ensure that binding an address in use gives eaddrinuse, and rebinding a bound socket einval.").
bind_eaddrinuse(M, X) ->
    [begin
         {L, LA} = listener(M, K, X),
         S = open(M, K, stream),
         rec({bind_same, K}, M:bind(S, LA)),
         rec({rebind, K}, M:bind(L, addr(K, X))),
         M:close(S), M:close(L)
     end || K <- ?STREAM_KINDS],
    [begin
         {D, DA} = dgram(M, K, X),
         S2 = open(M, K, dgram),
         rec({dgram_bind_same, K}, M:bind(S2, DA)),
         M:close(S2), M:close(D)
     end || K <- ?DGRAM_KINDS].

?DIFF(bind_bad_addresses,
      "Ensure that bad or foreign addresses in bind/2 give OTP's errors or exceptions.").
bind_bad_addresses(M, X) ->
    Lo = addr(inet, X),
    Bad = [foo, "127.0.0.1", #{}, #{family => inet}, Lo#{addr := {1, 2, 3}},
           Lo#{port := 70000}, Lo#{port := -1}, Lo#{addr := {256, 0, 0, 1}},
           Lo#{addr := {10, 255, 255, 1}}, addr(inet6, X), #{family => local, path => <<"x">>},
           #{family => local, path => 'x'}, Lo#{addr := any}, Lo#{addr := loopback}],
    [begin
         {ok, S} = M:open(inet, dgram),
         call({bind_inet, A}, fun() -> M:bind(S, A) end),
         M:close(S)
     end || A <- Bad],
    {ok, L} = M:open(local, stream),
    call(bind_local_too_long,
         fun() -> M:bind(L, #{family => local, path => binary:copy(<<"a">>, 200)}) end),
    call(bind_local_bad_dir,
         fun() -> M:bind(L, #{family => local, path => <<"/nonexistent-dir-spt/x">>}) end),
    {ok, I6} = M:open(inet6, stream),
    call(bind_inet6_with_inet, fun() -> M:bind(I6, Lo) end),
    ok = M:close(I6),
    call(bind_closed, fun() -> M:bind(I6, addr(inet6, X)) end),
    call(bind_not_socket, fun() -> M:bind(not_a_socket, Lo) end).

%% ===================================================================
%% listen
%% ===================================================================

?DIFF(listen_backlogs,
      "Ensure that listen/1,2 work, and fail as OTP does on dgram, closed, unbound and bad backlogs.").
listen_backlogs(M, X) ->
    [begin
         S1 = open(M, K, stream),
         ok = M:bind(S1, addr(K, X)),
         rec({listen1, K}, M:listen(S1)),
         S2 = open(M, K, stream),
         ok = M:bind(S2, addr(K, X)),
         rec({listen2, K}, M:listen(S2, 5)),
         rec({listen_again, K}, M:listen(S2, 10)),
         D = open(M, K, dgram),
         rec({listen_dgram, K}, M:listen(D)),
         U = open(M, K, stream),
         rec({listen_unbound, K}, M:listen(U)),
         call({listen_bad_backlog, K}, fun() -> M:listen(S1, foo) end),
         call({listen_negative_backlog, K}, fun() -> M:listen(S1, -1) end),
         ok = M:close(S1),
         rec({listen_closed, K}, M:listen(S1))
     end || K <- ?STREAM_KINDS].

%% ===================================================================
%% sockname and peername
%% ===================================================================

?DIFF(names_errors,
      "Ensure that sockname/peername fail as OTP does on unconnected, closed and non-sockets, and name unnamed peers.").
names_errors(M, X) ->
    [begin
         S = open(M, K, stream),
         rec({sockname_unbound, K}, M:sockname(S)),
         rec({peername_unconnected, K}, M:peername(S)),
         {_L, C, A} = pair(M, K, X),
         rec({client_sockname, K}, M:sockname(C)),
         rec({accepted_peername, K}, M:peername(A)),
         ok = M:close(S),
         rec({sockname_closed, K}, M:sockname(S)),
         rec({peername_closed, K}, M:peername(S))
     end || K <- ?STREAM_KINDS],
    call(sockname_not_socket, fun() -> M:sockname(foo) end),
    call(peername_not_socket, fun() -> M:peername({'$socket', foo}) end).

%% ===================================================================
%% controlling process
%% ===================================================================

?DIFF(owner_get_set,
      "Ensure that {otp, controlling_process} reads and moves ownership, and only the owner may move it.").
owner_get_set(M, X) ->
    {_L, _C, A} = pair(M, inet, X),
    Self = self(),
    Other = spawn_link(fun() -> owner_loop(M) end),
    rec(owner, M:getopt(A, {otp, controlling_process})),
    rec(owner_is_self, M:getopt(A, {otp, controlling_process}) =:= {ok, Self}),
    rec(give_away, M:setopt(A, {otp, controlling_process}, Other)),
    rec(new_owner, M:getopt(A, {otp, controlling_process})),
    rec(not_owner, M:setopt(A, {otp, controlling_process}, Self)),
    rec(other_gives_back, owner_call(Other, {give, A, Self})),
    rec(back, M:getopt(A, {otp, controlling_process}) =:= {ok, Self}),
    call(not_a_pid, fun() -> M:setopt(A, {otp, controlling_process}, foo) end),
    Dead = spawn(fun() -> ok end),
    Mon = monitor(process, Dead),
    receive {'DOWN', Mon, _, _, _} -> ok end,
    rec(to_dead_pid, M:setopt(A, {otp, controlling_process}, Dead)),
    rec(owner_after_dead, M:getopt(A, {otp, controlling_process})),
    rec(close, M:close(A)),
    rec(closed_get, M:getopt(A, {otp, controlling_process})),
    rec(closed_set, M:setopt(A, {otp, controlling_process}, Other)).

?DIFF(owner_death_closes,
      "Ensure that when the owner dies its sockets close (also after a transfer), waking other users with {error, closed}.").
owner_death_closes(M, X) ->
    [begin
         %% A socket opened by a process that then dies.
         O1 = spawn(fun() -> owner_loop(M) end),
         {ok, S1} = owner_call(O1, {open, K}),
         O1 ! stop,
         rec({opened_by_dead_owner, K}, closed_within(M, S1)),
         %% A socket given to a process that then dies, while we wait in recv.
         {_L, _C, A} = pair(M, K, X),
         O2 = spawn(fun() -> owner_loop(M) end),
         ok = M:setopt(A, {otp, controlling_process}, O2),
         W = async(fun() -> M:recv(A, 0) end),
         wait_blocked(element(1, W)),
         exit(O2, kill),
         rec({waiter_sees, K}, await(W)),
         rec({transferred_to_dead_owner, K}, closed_within(M, A))
     end || K <- ?STREAM_KINDS].

%% ===================================================================
%% Ownership, monitors
%% ===================================================================

?DIFF(owner_transfer_then_old_owner_dies,
      "Ensure that a socket given away keeps working when its old owner dies, and dies with its new owner.").
owner_transfer_then_old_owner_dies(M, X) ->
    Self = self(),
    [begin
         %% Opened by O1, given to us, then O1 dies: still open.
         O1 = spawn(fun() -> owner_loop(M) end),
         {ok, S} = owner_call(O1, {open, K}),
         rec({give_to_us, K}, owner_call(O1, {give, S, Self})),
         dead = stop_and_wait(O1),
         rec({open_after_old_owner_died, K}, element(1, M:sockname(S))),
         rec({owner_is_us, K}, M:getopt(S, {otp, controlling_process}) =:= {ok, Self}),
         rec({bind_works, K}, M:bind(S, addr(K, X))),
         %% An accepted socket given to O2: we, the old owner, may still
         %% use it; when O2 dies it closes.
         {_L, C, A} = pair(M, K, X),
         O2 = spawn(fun() -> owner_loop(M) end),
         rec({give_to_o2, K}, M:setopt(A, {otp, controlling_process}, O2)),
         rec({send_by_non_owner, K}, M:send(A, <<"hi">>)),
         rec({peer_gets, K}, M:recv(C, 2, ?LONG)),
         dead = stop_and_wait(O2),
         rec({closed_with_new_owner, K}, closed_within(M, A)),
         rec({peer_sees_close, K}, M:recv(C, 0, ?LONG))
     end || K <- ?STREAM_KINDS],
    %% A datagram socket given away to O3 closes when O3 stops.
    O3 = spawn(fun() -> owner_loop(M) end),
    {D, _} = dgram(M, inet, X),
    rec(dgram_give, M:setopt(D, {otp, controlling_process}, O3)),
    rec(dgram_open, element(1, M:sockname(D))),
    dead = stop_and_wait(O3),
    rec(dgram_closed_with_o3, closed_within(M, D)).

stop_and_wait(P) ->
    Mon = monitor(process, P),
    P ! stop,
    receive {'DOWN', Mon, process, P, _} -> dead after ?LONG -> alive end.

?DIFF(owner_not_owner_third_party,
      "Ensure that only the owner may move ownership: a third process gets {error, not_owner}, and ownership moves on only from the new owner.").
owner_not_owner_third_party(M, X) ->
    [begin
         {ok, S} = M:open(dom(K), T),
         O = spawn_link(fun() -> owner_loop(M) end),
         Third = async(fun() -> M:setopt(S, {otp, controlling_process}, self()) end),
         rec({third_party, K, T}, await(Third)),
         rec({give, K, T}, M:setopt(S, {otp, controlling_process}, O)),
         rec({give_again, K, T}, M:setopt(S, {otp, controlling_process}, O)),
         rec({o_gives_to_o, K, T}, owner_call(O, {give, S, O})),
         rec({o_gives_back, K, T}, owner_call(O, {give, S, self()})),
         rec({get, K, T}, M:getopt(S, {otp, controlling_process}) =:= {ok, self()}),
         call({get_bad, K, T}, fun() -> M:getopt(S, {otp, controlling_proces}) end),
         M:close(S)
     end || K <- [inet, path], T <- [stream, dgram]],
    _ = X.

?DIFF(monitor_down,
      "Ensure that monitor/1 gives a 'DOWN' on close, on owner death and at once on a closed socket, and cancel_monitor/1 stops it.").
monitor_down(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         MonA = M:monitor(A),
         rec({monitor_ref, K}, is_reference(MonA)),
         rec({no_down_yet, K}, msgs(100)),
         rec({close, K}, M:close(A)),
         rec({down_on_close, K}, down(MonA)),
         rec({monitor_closed, K}, down(M:monitor(A))),
         MonC = M:monitor(C),
         rec({cancel_monitor, K}, M:cancel_monitor(MonC)),
         rec({cancel_again, K}, M:cancel_monitor(MonC)),
         ok = M:close(C),
         rec({no_down_after_cancel, K}, msgs(200)),
         %% A monitor from another process; the owner dies.
         O = spawn(fun() -> owner_loop(M) end),
         {ok, S} = owner_call(O, {open, K}),
         Self = self(),
         W = async(fun() -> Mon = M:monitor(S), Self ! monitoring, down_for(Mon) end),
         receive monitoring -> ok after ?LONG -> error(no_monitor) end,
         MonS = M:monitor(S),
         exit(O, kill),
         rec({down_owner_death, K}, down(MonS)),
         rec({down_other_process, K}, await(W))
     end || K <- ?STREAM_KINDS],
    call(monitor_not_socket, fun() -> M:monitor(foo) end),
    call(cancel_monitor_not_ref, fun() -> M:cancel_monitor(foo) end),
    call(cancel_monitor_unknown, fun() -> M:cancel_monitor(make_ref()) end).

down(Mon) ->
    receive {'DOWN', Mon, _, _, _} = D -> D
    after ?LONG -> no_down
    end.

down_for(Mon) ->
    down(Mon).

%% ===================================================================
%% Every function on closed sockets and with bad arguments
%% ===================================================================

?DIFF(closed_everywhere,
      "Ensure that every function in every mode answers a closed socket as OTP does ({error, closed} or otherwise).").
closed_everywhere(M, X) ->
    [begin
         {L, LA} = listener(M, K, X),
         {D, DA} = dgram(M, K, X),
         {_L2, C, A} = pair(M, K, X),
         [ok = M:close(S) || S <- [L, D, C, A]],
         H = make_ref(),
         B = <<"x">>,
         Calls =
             [{bind, fun() -> M:bind(A, addr(K, X)) end},
              {listen1, fun() -> M:listen(L) end},
              {listen2, fun() -> M:listen(L, 5) end},
              {accept1, fun() -> M:accept(L) end},
              {accept_0, fun() -> M:accept(L, 0) end},
              {accept_ms, fun() -> M:accept(L, 100) end},
              {accept_nowait, fun() -> M:accept(L, nowait) end},
              {accept_handle, fun() -> M:accept(L, H) end},
              {connect1, fun() -> M:connect(C) end},
              {connect2, fun() -> M:connect(C, LA) end},
              {connect_ms, fun() -> M:connect(C, LA, 100) end},
              {connect_infinity, fun() -> M:connect(C, LA, infinity) end},
              {connect_nowait, fun() -> M:connect(C, LA, nowait) end},
              {connect_handle, fun() -> M:connect(C, LA, H) end},
              {send2, fun() -> M:send(C, B) end},
              {send3_flags, fun() -> M:send(C, B, []) end},
              {send3_ms, fun() -> M:send(C, B, 100) end},
              {send3_nowait, fun() -> M:send(C, B, nowait) end},
              {send4_handle, fun() -> M:send(C, B, [], H) end},
              {send_iolist, fun() -> M:send(C, [B, "y"]) end},
              {sendto3, fun() -> M:sendto(D, B, DA) end},
              {sendto4, fun() -> M:sendto(D, B, DA, []) end},
              {sendto4_ms, fun() -> M:sendto(D, B, DA, 100) end},
              {sendto4_nowait, fun() -> M:sendto(D, B, DA, nowait) end},
              {sendto5_handle, fun() -> M:sendto(D, B, DA, [], H) end},
              {recv1, fun() -> M:recv(A) end},
              {recv2, fun() -> M:recv(A, 4) end},
              {recv3_flags, fun() -> M:recv(A, 0, []) end},
              {recv3_ms, fun() -> M:recv(A, 0, 100) end},
              {recv3_nowait, fun() -> M:recv(A, 0, nowait) end},
              {recv4_handle, fun() -> M:recv(A, 4, [], H) end},
              {recvfrom1, fun() -> M:recvfrom(D) end},
              {recvfrom2, fun() -> M:recvfrom(D, 0) end},
              {recvfrom3_ms, fun() -> M:recvfrom(D, 0, 100) end},
              {recvfrom3_nowait, fun() -> M:recvfrom(D, 0, nowait) end},
              {recvfrom4_handle, fun() -> M:recvfrom(D, 0, [], H) end},
              {close, fun() -> M:close(A) end},
              {shutdown_read, fun() -> M:shutdown(A, read) end},
              {shutdown_write, fun() -> M:shutdown(A, write) end},
              {shutdown_read_write, fun() -> M:shutdown(A, read_write) end},
              {sockname, fun() -> M:sockname(A) end},
              {peername, fun() -> M:peername(A) end},
              {cancel, fun() -> M:cancel(A, {select_info, recv, H}) end},
              {cancel_accept, fun() -> M:cancel(L, {select_info, accept, H}) end},
              {getopt_owner, fun() -> M:getopt(A, {otp, controlling_process}) end},
              {setopt_owner, fun() -> M:setopt(A, {otp, controlling_process}, self()) end},
              {getopt_type, fun() -> M:getopt(D, {socket, type}) end}],
         [call({C1, K}, F) || {C1, F} <- Calls],
         rec({no_msgs, K}, msgs(200))
     end || K <- ?STREAM_KINDS].

?DIFF(not_socket_everywhere,
      "Ensure that every function given something that is not a socket fails as OTP does.").
not_socket_everywhere(M, X) ->
    Lo = addr(inet, X),
    H = make_ref(),
    [begin
         Calls =
             [{bind, fun() -> M:bind(S, Lo) end},
              {listen1, fun() -> M:listen(S) end},
              {listen2, fun() -> M:listen(S, 5) end},
              {accept1, fun() -> M:accept(S) end},
              {accept2, fun() -> M:accept(S, 100) end},
              {accept_nowait, fun() -> M:accept(S, nowait) end},
              {connect1, fun() -> M:connect(S) end},
              {connect2, fun() -> M:connect(S, Lo) end},
              {connect3, fun() -> M:connect(S, Lo, 100) end},
              {connect_handle, fun() -> M:connect(S, Lo, H) end},
              {send2, fun() -> M:send(S, <<"x">>) end},
              {send3, fun() -> M:send(S, <<"x">>, 100) end},
              {send4, fun() -> M:send(S, <<"x">>, [], nowait) end},
              {sendto3, fun() -> M:sendto(S, <<"x">>, Lo) end},
              {sendto4, fun() -> M:sendto(S, <<"x">>, Lo, 100) end},
              {sendto5, fun() -> M:sendto(S, <<"x">>, Lo, [], H) end},
              {recv1, fun() -> M:recv(S) end},
              {recv2, fun() -> M:recv(S, 0) end},
              {recv3, fun() -> M:recv(S, 0, nowait) end},
              {recv4, fun() -> M:recv(S, 0, [], 100) end},
              {recvfrom1, fun() -> M:recvfrom(S) end},
              {recvfrom2, fun() -> M:recvfrom(S, 0) end},
              {recvfrom3, fun() -> M:recvfrom(S, 0, 100) end},
              {recvfrom4, fun() -> M:recvfrom(S, 0, [], H) end},
              {close, fun() -> M:close(S) end},
              {shutdown, fun() -> M:shutdown(S, read_write) end},
              {sockname, fun() -> M:sockname(S) end},
              {peername, fun() -> M:peername(S) end},
              {cancel, fun() -> M:cancel(S, {select_info, recv, H}) end},
              {getopt, fun() -> M:getopt(S, {otp, controlling_process}) end},
              {setopt, fun() -> M:setopt(S, {otp, controlling_process}, self()) end},
              {monitor, fun() -> M:monitor(S) end}],
         [call({C1, S}, F) || {C1, F} <- Calls]
     end || S <- [foo, {'$socket', foo}, {'$socket', make_ref(), 1}, 42]].

?DIFF(bad_args_everywhere,
      "Ensure that bad timeouts, lengths, flags and data raise or fail as OTP does in every call that takes them.").
bad_args_everywhere(M, X) ->
    {L, _LA} = listener(M, inet, X),
    {_L2, C, A} = pair(M, inet, X),
    {D, DA} = dgram(M, inet, X),
    LA2 = element(2, listener(M, inet, X)),
    C2 = open(M, inet, stream),
    BadTimeouts = [-1, foo, 1.5, {0}, [0]],
    [begin
         bounded({accept, T}, fun() -> M:accept(L, T) end),
         bounded({connect, T}, fun() -> M:connect(C2, LA2, T) end),
         bounded({send3, T}, fun() -> M:send(C, <<"x">>, T) end),
         bounded({send4, T}, fun() -> M:send(C, <<"x">>, [], T) end),
         bounded({sendto4, T}, fun() -> M:sendto(D, <<"x">>, DA, T) end),
         bounded({sendto5, T}, fun() -> M:sendto(D, <<"x">>, DA, [], T) end),
         bounded({recv3, T}, fun() -> M:recv(A, 0, T) end),
         bounded({recv4, T}, fun() -> M:recv(A, 0, [], T) end),
         bounded({recvfrom3, T}, fun() -> M:recvfrom(D, 0, T) end),
         bounded({recvfrom4, T}, fun() -> M:recvfrom(D, 0, [], T) end)
     end || T <- BadTimeouts],
    [begin
         bounded({recv2_len, N}, fun() -> M:recv(A, N) end),
         bounded({recv4_len, N}, fun() -> M:recv(A, N, [], 0) end),
         bounded({recvfrom2_len, N}, fun() -> M:recvfrom(D, N) end),
         bounded({recvfrom4_len, N}, fun() -> M:recvfrom(D, N, [], 0) end)
     end || N <- [-1, foo, 1.5, "1"]],
    [begin
         bounded({send_flags, F}, fun() -> M:send(C, <<"x">>, F, 0) end),
         bounded({sendto_flags, F}, fun() -> M:sendto(D, <<"x">>, DA, F, 0) end),
         bounded({recv_flags, F}, fun() -> M:recv(A, 0, F, 0) end),
         bounded({recvfrom_flags, F}, fun() -> M:recvfrom(D, 0, F, 0) end)
     end || F <- [foo, [foo], [peek | foo], [oob, 1]]],
    [begin
         bounded({send_data, B}, fun() -> M:send(C, B, [], 0) end),
         bounded({sendto_data, B}, fun() -> M:sendto(D, B, DA, [], 0) end)
     end || B <- [foo, [foo], 1, [<<"a">> | <<"b">>], [256]]],
    rec(msgs, msgs(200)).

%% ===================================================================
%% The README's example
%% ===================================================================

?DIFF(readme_example,
      "Ensure that the example in README.md runs and gives what it says.").
readme_example(M, _X) ->
    %% Keep in step with README.md, "A small example".
    {ok, L} = M:open(inet, stream, tcp),
    ok = M:bind(L, #{family => inet, addr => {127,0,0,1}, port => 0}),
    ok = M:listen(L),
    {ok, Addr} = M:sockname(L),

    {ok, C} = M:open(inet, stream, tcp),
    ok = M:connect(C, Addr),
    {ok, S} = M:accept(L),

    ok = M:send(C, <<"hello">>),
    {ok, <<"hello">>} = M:recv(S, 5, 5000),
    {error, timeout} = M:recv(S, 0, 100),

    {select, {select_info, recv, Handle}} = M:recv(S, 0, nowait),
    ok = M:send(C, <<"later">>),
    receive {'$socket', S, select, Handle} -> ok end,
    {ok, <<"later">>} = M:recv(S, 0, nowait),

    [ok = M:close(X) || X <- [C, S, L]],
    rec(done, ok).

%% ===================================================================
%% Where the seed (OTP 26) says otherwise than OTP 25
%% ===================================================================

%% Seed, accept/2: "if multiple calls are made only the last call is
%% valid ... the first call is automatically cancelled and an abort
%% message sent, when the second call is made". OTP 25 sends no abort.
-spec seed_accept_replaced_nowait_aborts(list()) -> ok.
seed_accept_replaced_nowait_aborts(Config) ->
    doc("Ensure that a second nowait accept by the same process aborts the first (abort message), as the seed says."),
    Mod = proplists:get_value(mod, Config),
    Trace = run(fun seed_accept_replace/2, Mod),
    [{first, {select, {select_info, accept, {ref, 1}}}},
     {second, {select, {select_info, accept, {ref, 2}}}},
     {msgs_after_second, [{'$socket', {socket, 1}, abort, {{ref, 1}, Reason}}]},
     {select_msg, {'$socket', {socket, 1}, select, {ref, 2}}},
     {accept, ok},
     {timeout_call_first, {select, {select_info, accept, {ref, 3}}}},
     {timeout_call, {error, timeout}},
     {msgs_after_timeout, [{'$socket', {socket, 1}, abort, {{ref, 3}, Reason}}]},
     {no_active_accept, []}] = Trace,
    true = is_atom(Reason),
    ok.

seed_accept_replace(M, X) ->
    {L, LA} = listener(M, inet, X),
    rec(first, M:accept(L, nowait)),
    rec(second, M:accept(L, nowait)),
    rec(msgs_after_second, msgs(300)),
    C = open(M, inet, stream),
    ok = M:connect(C, LA),
    rec(select_msg, msg(?LONG)),
    rec(accept, element(1, M:accept(L, nowait))),
    rec(timeout_call_first, M:accept(L, nowait)),
    rec(timeout_call, M:accept(L, 500)),
    rec(msgs_after_timeout, msgs(300)),
    C2 = open(M, inet, stream),
    ok = M:connect(C2, LA),
    rec(no_active_accept, msgs(300)).

seed_timed_out_head_serves_next(Config) ->
    doc("Ensure that when a timed recv at the head of the queue times out, the nowait waiter behind it gets its select message and then the data, as the seed's cancel/2 describes."),
    Mod = proplists:get_value(mod, Config),
    [{queued, {select, {select_info, recv, {ref, 1}}}},
     {head, {error, timeout}},
     {next_selected, {'$socket', {socket, 1}, select, {ref, 1}}},
     {next_recv, {ok, <<"data">>}}] = run(fun seed_timed_out_head/2, Mod),
    ok.

seed_timed_out_head(M, X) ->
    {_L, C, A} = pair(M, inet, X),
    Self = self(),
    Head = spawn(fun () -> Self ! {head, M:recv(A, 0, 300)} end),
    wait_blocked(Head),
    rec(queued, M:recv(A, 0, nowait)),
    rec(head, receive {head, R} -> R after ?LONG -> no_answer end),
    rec(next_selected, msg(?LONG)),
    ok = M:send(C, <<"data">>),
    rec(next_recv, M:recv(A, 0, ?LONG)).
