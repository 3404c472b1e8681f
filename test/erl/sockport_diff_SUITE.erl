%% Differential tests: each scenario is a function of the module under test
%% (`socket` or `sockport`) that returns a trace of results. A case runs the
%% scenario against `socket` (the oracle) and against the module of its
%% group, normalises both traces (sockport_norm) and asserts they are equal.
%% In the `socket` group the second run is `socket` again: that checks the
%% scenario itself is deterministic. Both ends of every connection use the
%% module under test; all traffic stays on loopback.
%%
%% Cases named seed_* hold behaviour where the seed (OTP 26 documentation)
%% differs from the installed OTP 25: they assert the seed's behaviour for
%% sockport only.
-module(sockport_diff_SUITE).

-export([all/0, groups/0, suite/0]).
-export([init_per_group/2, end_per_group/2]).
-export([run/2]).
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
-export([accept_blocking/1, accept_blocking/2]).
-export([accept_timeout/1, accept_timeout/2]).
-export([accept_nowait/1, accept_nowait/2]).
-export([accept_errors/1, accept_errors/2]).
-export([connect_each_domain/1, connect_each_domain/2]).
-export([connect_refused/1, connect_refused/2]).
-export([connect_nowait/1, connect_nowait/2]).
-export([connect_bad_args/1, connect_bad_args/2]).
-export([send_recv_basic/1, send_recv_basic/2]).
-export([recv_peek/1, recv_peek/2]).
-export([recv_timeouts/1, recv_timeouts/2]).
-export([recv_nowait/1, recv_nowait/2]).
-export([recv_nowait_handle/1, recv_nowait_handle/2]).
-export([recv_replace_nowait/1, recv_replace_nowait/2]).
-export([recv_peer_close/1, recv_peer_close/2]).
-export([recv_bad_args/1, recv_bad_args/2]).
-export([send_errors/1, send_errors/2]).
-export([send_full_buffer/1, send_full_buffer/2]).
-export([sendto_recvfrom/1, sendto_recvfrom/2]).
-export([recvfrom_nowait/1, recvfrom_nowait/2]).
-export([dgram_connected/1, dgram_connected/2]).
-export([sendto_errors/1, sendto_errors/2]).
-export([close_wakes_recv/1, close_wakes_recv/2]).
-export([close_wakes_accept/1, close_wakes_accept/2]).
-export([close_aborts_selects/1, close_aborts_selects/2]).
-export([close_by_other_process/1, close_by_other_process/2]).
-export([shutdown_directions/1, shutdown_directions/2]).
-export([names_errors/1, names_errors/2]).
-export([cancel_recv/1, cancel_recv/2]).
-export([cancel_accept/1, cancel_accept/2]).
-export([cancel_bad_args/1, cancel_bad_args/2]).
-export([owner_get_set/1, owner_get_set/2]).
-export([owner_death_closes/1, owner_death_closes/2]).
-export([waiters_fifo_recv/1, waiters_fifo_recv/2]).
-export([waiters_fifo_accept/1, waiters_fifo_accept/2]).
-export([waiters_fifo_nowait/1, waiters_fifo_nowait/2]).
-export([readme_example/1, readme_example/2]).
-export([seed_accept_replaced_nowait_aborts/1]).
-export([seed_timed_out_head_serves_next/1]).

-import(sockport_test_lib, [doc/1, x/1, wait_blocked/1, msgs/1]).

-define(STREAM_KINDS, [inet, inet6, path, abstract]).
-define(DGRAM_KINDS, [inet, inet6, path, abstract]).
-define(LONG, 10000).

%% A differential case: run scenario Name/2 with both modules, compare.
-define(DIFF(Name, Doc), Name(Config) -> doc(Doc), compare(Config, fun Name/2)).

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 120}}].

-spec all() -> list().
all() ->
    [{group, socket}, {group, sockport}].

-spec groups() -> list().
groups() ->
    [{socket, [], diff_cases()},
     {sockport, [], diff_cases() ++ seed_cases()}].

diff_cases() ->
    [open_domains_types, open_protocols, open_opts, open_bad_args,
     bind_maps, bind_atoms, bind_eaddrinuse, bind_bad_addresses,
     listen_backlogs,
     accept_blocking, accept_timeout, accept_nowait, accept_errors,
     connect_each_domain, connect_refused, connect_nowait, connect_bad_args,
     send_recv_basic, recv_peek, recv_timeouts, recv_nowait, recv_nowait_handle,
     recv_replace_nowait, recv_peer_close, recv_bad_args, send_errors, send_full_buffer,
     sendto_recvfrom, recvfrom_nowait, dgram_connected, sendto_errors,
     close_wakes_recv, close_wakes_accept, close_aborts_selects, close_by_other_process,
     shutdown_directions, names_errors,
     cancel_recv, cancel_accept, cancel_bad_args,
     owner_get_set, owner_death_closes,
     waiters_fifo_recv, waiters_fifo_accept, waiters_fifo_nowait,
     readme_example].

seed_cases() ->
    [seed_accept_replaced_nowait_aborts, seed_timed_out_head_serves_next].

-spec init_per_group(atom(), list()) -> list() | {skip, string()}.
init_per_group(socket, Config) ->
    [{mod, socket} | Config];
init_per_group(sockport, Config) ->
    case sockport_test_lib:start_sockport() of
        ok -> [{mod, sockport} | Config];
        {skip, _} = Skip -> Skip;
        {error, Reason} -> error({cannot_start_sockport, Reason})
    end.

-spec end_per_group(atom(), list()) -> ok.
end_per_group(_, _) ->
    ok.

%% ===================================================================
%% Running and comparing
%% ===================================================================

compare(Config, Scenario) ->
    Mod = proplists:get_value(mod, Config),
    Expected = run(Scenario, socket),
    Got = run(Scenario, Mod),
    case Expected =:= Got of
        true -> ok;
        false ->
            error({traces_differ,
                   shorten(#{diff => sockport_norm:diff(Expected, Got),
                             socket => Expected, Mod => Got})})
    end.

%% For reports only: long binaries cut to their first 32 bytes and size.
shorten(B) when is_binary(B), byte_size(B) > 64 ->
    {binary:part(B, 0, 32), '...', {bytes, byte_size(B)}};
shorten(L) when is_list(L) -> [shorten(E) || E <- L];
shorten(T) when is_tuple(T) -> list_to_tuple(shorten(tuple_to_list(T)));
shorten(M) when is_map(M) -> maps:map(fun(_, V) -> shorten(V) end, M);
shorten(Other) -> Other.

%% Run a scenario in a fresh process with its own temp dir and abstract-name
%% tag; return its normalised trace. The process is killed at the end, so
%% that its helpers (linked) die and its sockets are closed.
-spec run(fun((module(), map()) -> term()), module()) -> list().
run(Scenario, Mod) ->
    Tmp = sockport_test_lib:mktemp(),
    Tag = <<"spt", (integer_to_binary(erlang:unique_integer([positive])))/binary>>,
    Self = self(),
    {Pid, MRef} =
        spawn_monitor(
          fun() ->
                  put(trace, []),
                  put(uniq, 0),
                  End = try Scenario(Mod, #{mod => Mod, tmp => Tmp, tag => Tag}) of
                            _ -> []
                        catch C:E:St -> [{crashed, C, E, where(St)}]
                        end,
                  Self ! {self(), lists:reverse(get(trace)) ++ End},
                  receive stop -> ok end
          end),
    Trace = receive
                {Pid, T} -> T;
                {'DOWN', MRef, process, Pid, Why} -> [{died, Why}]
            after 60000 -> [scenario_timeout]
            end,
    exit(Pid, kill),
    receive {'DOWN', MRef, process, Pid, _} -> ok end,
    sockport_test_lib:rmtemp(Tmp),
    sockport_norm:normalise(Trace, [{Tmp, <<"$TMP">>}, {Tag, <<"$TAG">>}]).

%% The innermost frame of this module in a stack trace.
where(St) ->
    case [{F, A, proplists:get_value(line, L)} || {?MODULE, F, A, L} <- St] of
        [W | _] -> W;
        [] -> lists:sublist(St, 1)
    end.

%% ===================================================================
%% Scenario helpers
%% ===================================================================

rec(Label, Value) ->
    put(trace, [{Label, Value} | get(trace)]),
    Value.

%% Record the result of F, or the exception it raises.
call(Label, F) ->
    rec(Label, x(F)).

%% Run F in a linked helper process; await/1 gets its result.
async(F) ->
    Self = self(),
    Tag = make_ref(),
    P = spawn_link(fun() -> Self ! {Tag, x(F)} end),
    {P, Tag}.

await({_P, Tag}) ->
    receive {Tag, V} -> V
    after ?LONG -> no_result_within_10s
    end.

%% The next message, or no_message after Ms.
msg(Ms) ->
    receive M -> M
    after Ms -> no_message
    end.

uniq() ->
    N = get(uniq) + 1,
    put(uniq, N),
    integer_to_binary(N).

dom(inet) -> inet;
dom(inet6) -> inet6;
dom(path) -> local;
dom(abstract) -> local.

%% A fresh address of kind K (port 0, a new path, a new abstract name).
addr(inet, _) -> #{family => inet, addr => {127, 0, 0, 1}, port => 0};
addr(inet6, _) -> #{family => inet6, addr => {0, 0, 0, 0, 0, 0, 0, 1}, port => 0};
addr(path, #{tmp := Tmp}) -> #{family => local, path => <<Tmp/binary, "/s", (uniq())/binary>>};
addr(abstract, #{tag := Tag}) -> #{family => local, path => <<0, Tag/binary, "-", (uniq())/binary>>}.

open(M, K, Type) ->
    {ok, S} = M:open(dom(K), Type),
    S.

%% A listening socket of kind K and its address.
listener(M, K, X) ->
    L = open(M, K, stream),
    ok = M:bind(L, addr(K, X)),
    ok = M:listen(L),
    {ok, LA} = M:sockname(L),
    {L, LA}.

%% A connected stream pair {Listener, Client, Accepted}.
pair(M, K, X) ->
    {L, LA} = listener(M, K, X),
    C = open(M, K, stream),
    ok = M:connect(C, LA),
    {ok, A} = M:accept(L, ?LONG),
    {L, C, A}.

%% A bound datagram socket and its address.
dgram(M, K, X) ->
    S = open(M, K, dgram),
    ok = M:bind(S, addr(K, X)),
    {ok, SA} = M:sockname(S),
    {S, SA}.

%% An address of kind K where nothing listens.
dead_addr(M, inet, X) -> closed_port(M, inet, X);
dead_addr(M, inet6, X) -> closed_port(M, inet6, X);
dead_addr(_M, K, X) -> addr(K, X).

closed_port(M, K, X) ->
    S = open(M, K, stream),
    ok = M:bind(S, addr(K, X)),
    {ok, SA} = M:sockname(S),
    ok = M:close(S),
    SA.

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

close_ok(M, {ok, S}) -> M:close(S);
close_ok(_, _) -> ok.

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
%% accept
%% ===================================================================

?DIFF(accept_blocking,
      "Ensure that accept/1 and accept/2 (infinity, ms) block until a client connects.").
accept_blocking(M, X) ->
    Self = self(),
    [begin
         {L, LA} = listener(M, K, X),
         [begin
              W = async(fun() -> accept_for(M, L, T, Self) end),
              rec({blocked, K, T}, wait_blocked(element(1, W))),
              C = open(M, K, stream),
              rec({connect, K, T}, M:connect(C, LA)),
              R = rec({accepted, K, T}, await(W)),
              {ok, A} = R,
              {ok, CN} = M:sockname(C),
              {ok, AP} = M:peername(A),
              rec({peer_is_client, K, T}, {CN =:= AP, AP}),
              rec({accepted_sockname, K, T}, M:sockname(A))
          end || T <- [infinity, ?LONG]],
         W1 = async(fun() -> accept_for(M, L, infinity, Self) end),
         wait_blocked(element(1, W1)),
         C1 = open(M, K, stream),
         ok = M:connect(C1, LA),
         rec({accept1, K}, await(W1))
     end || K <- ?STREAM_KINDS].

%% Accept in a helper process and hand the socket to Owner (a socket dies
%% with its owner, and the helper ends right after).
accept_for(M, L, Timeout, Owner) ->
    case M:accept(L, Timeout) of
        {ok, S} ->
            ok = M:setopt(S, {otp, controlling_process}, Owner),
            {ok, S};
        Other ->
            Other
    end.

?DIFF(accept_timeout,
      "Ensure that accept/2 with a timeout (0 or ms) answers {error, timeout} when nobody connects.").
accept_timeout(M, X) ->
    [begin
         {L, LA} = listener(M, K, X),
         rec({accept_0, K}, M:accept(L, 0)),
         rec({accept_200, K}, M:accept(L, 200)),
         C = open(M, K, stream),
         ok = M:connect(C, LA),
         rec({accept_pending_0, K}, element(1, M:accept(L, 0)))
     end || K <- ?STREAM_KINDS].

?DIFF(accept_nowait,
      "Ensure that accept(L, nowait) selects, the select message comes on connect, and accept then succeeds.").
accept_nowait(M, X) ->
    [begin
         {L, LA} = listener(M, K, X),
         rec({select, K}, M:accept(L, nowait)),
         rec({no_msg_yet, K}, msgs(200)),
         C = open(M, K, stream),
         ok = M:connect(C, LA),
         rec({select_msg, K}, msg(?LONG)),
         rec({accept_again, K}, M:accept(L, nowait)),
         rec({ready_now, K}, begin
                                 C2 = open(M, K, stream),
                                 ok = M:connect(C2, LA),
                                 element(1, M:accept(L, nowait))
                             end),
         rec({no_more_msgs, K}, msgs(200))
     end || K <- ?STREAM_KINDS].

?DIFF(accept_errors,
      "Ensure that accept on a non-listening, dgram or closed socket and with bad timeouts fails as OTP does.").
accept_errors(M, X) ->
    [begin
         S = open(M, K, stream),
         rec({not_listening, K}, M:accept(S, 100)),
         D = open(M, K, dgram),
         rec({dgram, K}, M:accept(D, 100)),
         {L, _} = listener(M, K, X),
         call({bad_timeout, K}, fun() -> M:accept(L, foo) end),
         call({negative_timeout, K}, fun() -> M:accept(L, -1) end),
         ok = M:close(L),
         rec({closed, K}, M:accept(L)),
         rec({closed_nowait, K}, M:accept(L, nowait))
     end || K <- ?STREAM_KINDS],
    call(not_a_socket, fun() -> M:accept(foo) end).

%% ===================================================================
%% connect
%% ===================================================================

?DIFF(connect_each_domain,
      "Ensure that connect/2,3 connect stream sockets and set sockname and peername.").
connect_each_domain(M, X) ->
    [begin
         {L, LA} = listener(M, K, X),
         C = open(M, K, stream),
         rec({peername_before, K}, M:peername(C)),
         rec({connect2, K}, M:connect(C, LA)),
         rec({peername, K}, M:peername(C)),
         {ok, A} = M:accept(L),
         rec({accepted_peername, K}, M:peername(A)),
         C3 = open(M, K, stream),
         rec({connect3, K}, M:connect(C3, LA, ?LONG)),
         C4 = open(M, K, stream),
         rec({connect3_infinity, K}, M:connect(C4, LA, infinity)),
         rec({connect_again, K}, M:connect(C4, LA))
     end || K <- ?STREAM_KINDS].

?DIFF(connect_refused,
      "Ensure that connecting where nothing listens gives econnrefused (or OTP's error for the path).").
connect_refused(M, X) ->
    [begin
         Dead = dead_addr(M, K, X),
         C = open(M, K, stream),
         rec({connect, K}, M:connect(C, Dead)),
         C2 = open(M, K, stream),
         rec({connect3, K}, M:connect(C2, Dead, ?LONG))
     end || K <- ?STREAM_KINDS],
    %% A path that exists but where nobody listens.
    B = open(M, path, stream),
    BA = addr(path, X),
    ok = M:bind(B, BA),
    C = open(M, path, stream),
    rec(connect_bound_not_listening, M:connect(C, BA)).

?DIFF(connect_nowait,
      "Ensure that connect(S, A, nowait|Handle) selects, the select message comes, and connect/1 finishes it.").
connect_nowait(M, X) ->
    [begin
         {L, LA} = listener(M, K, X),
         C = open(M, K, stream),
         R = rec({connect_nowait, K}, M:connect(C, LA, nowait)),
         case R of
             {select, _} ->
                 rec({select_msg, K}, msg(?LONG)),
                 rec({connect1, K}, M:connect(C));
             _ -> ok
         end,
         rec({peername, K}, M:peername(C)),
         {ok, _} = M:accept(L),
         H = make_ref(),
         C2 = open(M, K, stream),
         R2 = rec({connect_handle, K}, M:connect(C2, LA, H)),
         case R2 of
             {select, _} ->
                 rec({select_msg_handle, K}, msg(?LONG)),
                 rec({connect1_handle, K}, M:connect(C2));
             _ -> ok
         end,
         Dead = dead_addr(M, K, X),
         C3 = open(M, K, stream),
         R3 = rec({connect_nowait_refused, K}, M:connect(C3, Dead, nowait)),
         case R3 of
             {select, _} ->
                 rec({select_msg_refused, K}, msg(?LONG)),
                 rec({connect1_refused, K}, M:connect(C3));
             _ -> ok
         end
     end || K <- [inet, inet6]].

?DIFF(connect_bad_args,
      "Ensure that connect with bad addresses or timeouts, or on closed/connected sockets, fails as OTP does.").
connect_bad_args(M, X) ->
    {L, LA} = listener(M, inet, X),
    S = open(M, inet, stream),
    call(bad_addr_atom, fun() -> M:connect(S, foo) end),
    call(bad_addr_tuple, fun() -> M:connect(S, LA#{addr := {1, 2, 3}}) end),
    call(bad_timeout, fun() -> M:connect(S, LA, foo) end),
    call(negative_timeout, fun() -> M:connect(S, LA, -5) end),
    call(inet6_addr_on_inet, fun() -> M:connect(S, (addr(inet6, X))#{port := 1}) end),
    call(local_addr_on_inet, fun() -> M:connect(S, addr(path, X)) end),
    call(connect1_without_connect, fun() -> M:connect(S) end),
    ok = M:connect(S, LA),
    {ok, _} = M:accept(L),
    rec(already_connected, M:connect(S, LA)),
    ok = M:close(S),
    rec(closed, M:connect(S, LA)),
    call(not_a_socket, fun() -> M:connect(foo, LA) end).

%% ===================================================================
%% send and recv
%% ===================================================================

?DIFF(send_recv_basic,
      "Ensure that send/2,3,4 and recv/1,2,3,4 move bytes both ways on every stream domain.").
send_recv_basic(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         rec({send2, K}, M:send(C, <<"hello">>)),
         rec({recv2, K}, M:recv(A, 5)),
         rec({send_iolist, K}, M:send(A, [<<"a">>, "bc", [$d | <<"e">>]])),
         rec({recv1, K}, M:recv(C)),
         rec({send3_flags, K}, M:send(C, <<"12345">>, [])),
         rec({recv3_flags, K}, M:recv(A, 5, [])),
         rec({send3_timeout, K}, M:send(C, <<"abc">>, ?LONG)),
         rec({recv3_timeout, K}, M:recv(A, 3, ?LONG)),
         rec({send4, K}, M:send(C, <<"xyz">>, [], infinity)),
         rec({recv4, K}, M:recv(A, 3, [], infinity)),
         rec({send_empty, K}, M:send(C, <<>>)),
         Big = binary:copy(<<"0123456789">>, 20000),
         W = async(fun() -> recv_all(M, A, byte_size(Big), <<>>) end),
         rec({send_big, K}, M:send(C, Big)),
         rec({recv_big, K}, await(W) =:= Big)
     end || K <- ?STREAM_KINDS].

recv_all(_M, _S, 0, Acc) ->
    Acc;
recv_all(M, S, N, Acc) ->
    case M:recv(S, 0, ?LONG) of
        {ok, B} -> recv_all(M, S, N - byte_size(B), <<Acc/binary, B/binary>>);
        Other -> {Other, Acc}
    end.

?DIFF(recv_peek,
      "Ensure that recv with [peek] returns data without consuming it.").
recv_peek(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         ok = M:send(C, <<"hello world">>),
         rec({peek3, K}, M:recv(A, 5, [peek])),
         rec({peek4, K}, M:recv(A, 5, [peek], ?LONG)),
         rec({recv, K}, M:recv(A, 11)),
         call({bad_flag, K}, fun() -> M:recv(A, 5, [not_a_flag]) end)
     end || K <- ?STREAM_KINDS].

?DIFF(recv_timeouts,
      "Ensure that recv with a timeout answers {error, timeout} or {error, {timeout, Data}} with partial data.").
recv_timeouts(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         rec({timeout_0, K}, M:recv(A, 0, 0)),
         rec({timeout_200, K}, M:recv(A, 0, 200)),
         rec({timeout_len_200, K}, M:recv(A, 4, 200)),
         ok = M:send(C, <<"abc">>),
         rec({partial_timeout, K}, M:recv(A, 10, 300)),
         ok = M:send(C, <<"def">>),
         rec({len0_with_data, K}, M:recv(A, 0, 300)),
         ok = M:send(C, <<"ghi">>),
         rec({partial_zero, K}, M:recv(A, 10, 0)),
         ok = M:send(C, <<"jkl">>),
         rec({exact_zero, K}, M:recv(A, 3, 0))
     end || K <- ?STREAM_KINDS].

?DIFF(recv_nowait,
      "Ensure that recv(S, L, nowait) selects, partial data comes as {select, {SelectInfo, Data}}, and the select message follows.").
recv_nowait(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         rec({select, K}, M:recv(A, 0, nowait)),
         rec({no_msg_yet, K}, msgs(200)),
         ok = M:send(C, <<"abc">>),
         rec({select_msg, K}, msg(?LONG)),
         rec({recv_after_select, K}, M:recv(A, 0, nowait)),
         ok = M:send(C, <<"def">>),
         rec({data_ready, K}, M:recv(A, 0, nowait)),
         ok = M:send(C, <<"ghi">>),
         rec({partial, K}, M:recv(A, 10, nowait)),
         ok = M:send(C, <<"1234567">>),
         rec({select_msg_2, K}, msg(?LONG)),
         rec({rest, K}, M:recv(A, 7, nowait)),
         rec({no_more_msgs, K}, msgs(200))
     end || K <- ?STREAM_KINDS].

?DIFF(recv_nowait_handle,
      "Ensure that a caller-supplied reference is the select handle in the SelectInfo and the '$socket' select message.").
recv_nowait_handle(M, X) ->
    [begin
         {L, C, A} = pair(M, K, X),
         H = make_ref(),
         rec({select, K}, M:recv(A, 0, H)),
         ok = M:send(C, <<"x">>),
         rec({select_msg, K}, receive {'$socket', _, select, H} = Msg -> Msg after ?LONG -> none end),
         rec({recv, K}, M:recv(A, 0, H)),
         H2 = make_ref(),
         rec({accept_handle, K}, M:accept(L, H2)),
         {ok, LA} = M:sockname(L),
         C2 = open(M, K, stream),
         ok = M:connect(C2, LA),
         rec({accept_msg, K}, receive {'$socket', _, select, H2} = Msg2 -> Msg2 after ?LONG -> none end),
         rec({accept, K}, element(1, M:accept(L, H2)))
     end || K <- ?STREAM_KINDS].

?DIFF(recv_replace_nowait,
      "Ensure that a second nowait recv by the same process replaces the first as OTP does (messages included).").
recv_replace_nowait(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         rec({first, K}, M:recv(A, 0, nowait)),
         rec({second, K}, M:recv(A, 0, nowait)),
         rec({msgs_before_data, K}, msgs(200)),
         ok = M:send(C, <<"data">>),
         rec({msgs_after_data, K}, msgs(300)),
         rec({recv, K}, M:recv(A, 0, nowait))
     end || K <- ?STREAM_KINDS].

?DIFF(recv_peer_close,
      "Ensure that after the peer closes, buffered data is delivered and then {error, closed} in every mode.").
recv_peer_close(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         ok = M:send(C, <<"bye">>),
         ok = M:close(C),
         rec({data, K}, M:recv(A, 0)),
         rec({infinity, K}, M:recv(A, 0)),
         rec({timeout, K}, M:recv(A, 0, 1000)),
         rec({nowait, K}, M:recv(A, 0, nowait)),
         rec({send_after_close, K}, send_until_error(M, A, 20)),
         {_L2, C2, A2} = pair(M, K, X),
         ok = M:send(C2, <<"abc">>),
         W = async(fun() -> M:recv(A2, 10) end),
         wait_blocked(element(1, W)),
         ok = M:close(C2),
         rec({partial_then_closed, K}, await(W))
     end || K <- ?STREAM_KINDS].

%% The first error of repeated sends (the first send may still succeed).
send_until_error(_M, _S, 0) ->
    no_error;
send_until_error(M, S, N) ->
    case M:send(S, <<"x">>) of
        ok -> timer:sleep(20), send_until_error(M, S, N - 1);
        Error -> Error
    end.

?DIFF(recv_bad_args,
      "Ensure that recv with bad lengths, flags or timeouts raises as OTP does.").
recv_bad_args(M, X) ->
    {_L, _C, A} = pair(M, inet, X),
    [call({recv, Args}, fun() -> apply(M, recv, [A | Args]) end)
     || Args <- [[-1], [foo], [0, [foo]], [0, foo], [0, -1], [0, [peek], -1],
                 [0, [peek], foo], [1.5], [0, [], 1.5]]],
    call(not_a_socket, fun() -> M:recv(foo, 0) end),
    ok = M:close(A),
    rec(closed, M:recv(A, 0)),
    rec(closed_nowait, M:recv(A, 0, nowait)).

?DIFF(send_errors,
      "Ensure that send on unconnected, shut-down or closed sockets and with bad arguments fails as OTP does.").
send_errors(M, X) ->
    [begin
         S = open(M, K, stream),
         rec({unconnected, K}, M:send(S, <<"x">>)),
         {_L, C, _A} = pair(M, K, X),
         ok = M:shutdown(C, write),
         rec({after_shutdown_write, K}, M:send(C, <<"x">>)),
         call({bad_data, K}, fun() -> M:send(C, foo) end),
         call({bad_flags, K}, fun() -> M:send(C, <<"x">>, [foo]) end),
         call({bad_timeout, K}, fun() -> M:send(C, <<"x">>, [], foo) end),
         ok = M:close(C),
         rec({closed, K}, M:send(C, <<"x">>))
     end || K <- ?STREAM_KINDS].

?DIFF(send_full_buffer,
      "Ensure that send with nowait and with a timeout to a peer that does not read gives the rest of the data back.").
send_full_buffer(M, X) ->
    Big = binary:copy(<<"0123456789abcdef">>, 1 bsl 20),   % 16 MiB
    [begin
         {_L, C, A} = pair(M, K, X),
         R1 = M:send(C, Big, nowait),
         rec({nowait_shape, K}, shape(R1, Big)),
         case R1 of
             {select, {_, Rest}} ->
                 W = async(fun() -> recv_all(M, A, byte_size(Big) - byte_size(Rest), <<>>) end),
                 rec({select_msg, K}, socket_msg(?LONG)),
                 rec({drained, K}, byte_size(await(W)) =:= byte_size(Big) - byte_size(Rest));
             _ -> ok
         end,
         rec({timeout_shape, K}, shape(M:send(C, Big, 300), Big)),
         %% Whether a few more bytes fit by now depends on the kernel's
         %% buffer tuning, so only the kind of answer is compared.
         rec({timeout_0_kind, K}, case shape(M:send(C, Big, 0), Big) of
                                      {error, timeout} -> timed_out;
                                      {error, {timeout, proper_suffix}} -> timed_out;
                                      Other -> Other
                                  end)
     end || K <- [inet, path]].

%% The form of a send result with the size of the rest replaced by whether
%% it is a proper, non-empty suffix of what was sent.
shape({select, {SI, Rest}}, Sent) -> {select, {SI, suffix(Rest, Sent)}};
shape({error, {R, Rest}}, Sent) when is_binary(Rest) -> {error, {R, suffix(Rest, Sent)}};
shape(Other, _) -> Other.

suffix(Rest, Sent) ->
    N = byte_size(Rest),
    N > 0 andalso N < byte_size(Sent) andalso
        binary:part(Sent, byte_size(Sent) - N, N) =:= Rest andalso proper_suffix.

%% ===================================================================
%% datagrams
%% ===================================================================

?DIFF(sendto_recvfrom,
      "Ensure that sendto/3,4,5 and recvfrom/1..4 exchange datagrams with the right source, truncation, peek and timeouts.").
sendto_recvfrom(M, X) ->
    [begin
         {A, AA} = dgram(M, K, X),
         {B, BA} = dgram(M, K, X),
         rec({sendto3, K}, M:sendto(B, <<"one">>, AA)),
         rec({recvfrom1, K}, M:recvfrom(A)),
         rec({sendto4, K}, M:sendto(B, <<"two-long-datagram">>, AA, [])),
         rec({recvfrom2_trunc, K}, M:recvfrom(A, 3)),
         rec({sendto5, K}, M:sendto(B, <<"three">>, AA, [], ?LONG)),
         rec({recvfrom3_peek, K}, M:recvfrom(A, 0, [peek])),
         rec({recvfrom4, K}, M:recvfrom(A, 0, [], ?LONG)),
         rec({recvfrom_timeout, K}, M:recvfrom(A, 0, [], 200)),
         rec({recvfrom_timeout_0, K}, M:recvfrom(A, 0, 0)),
         rec({sendto_reply, K}, M:sendto(A, <<"back">>, BA)),
         rec({recv_on_dgram, K}, M:recv(B, 0)),
         rec({sendto_empty, K}, M:sendto(A, <<>>, BA)),
         rec({recvfrom_empty, K}, M:recvfrom(B, 0, ?LONG)),
         U = open(M, K, dgram),
         rec({sendto_unbound, K}, M:sendto(U, <<"anon">>, AA)),
         rec({recvfrom_unbound_source, K}, M:recvfrom(A, 0, ?LONG))
     end || K <- ?DGRAM_KINDS].

?DIFF(recvfrom_nowait,
      "Ensure that recvfrom(S, 0, nowait|Handle) selects and the select message follows a datagram.").
recvfrom_nowait(M, X) ->
    [begin
         {A, AA} = dgram(M, K, X),
         {B, _} = dgram(M, K, X),
         rec({select, K}, M:recvfrom(A, 0, nowait)),
         rec({no_msg_yet, K}, msgs(200)),
         ok = M:sendto(B, <<"d1">>, AA),
         rec({select_msg, K}, msg(?LONG)),
         rec({recvfrom, K}, M:recvfrom(A, 0, nowait)),
         H = make_ref(),
         rec({select_handle, K}, M:recvfrom(A, 0, [], H)),
         ok = M:sendto(B, <<"d2">>, AA),
         rec({select_msg_handle, K}, msg(?LONG)),
         rec({recvfrom_handle, K}, M:recvfrom(A, 0, [], H)),
         rec({no_more_msgs, K}, msgs(200))
     end || K <- ?DGRAM_KINDS].

?DIFF(dgram_connected,
      "Ensure that a connected datagram socket sends with send/2 and reports its peer.").
dgram_connected(M, X) ->
    [begin
         {A, AA} = dgram(M, K, X),
         {B, BA} = dgram(M, K, X),
         rec({connect, K}, M:connect(B, AA)),
         rec({peername, K}, M:peername(B)),
         rec({send, K}, M:send(B, <<"hi">>)),
         rec({recvfrom, K}, M:recvfrom(A)),
         rec({sendto_back, K}, M:sendto(A, <<"yo">>, BA)),
         rec({recv, K}, M:recv(B, 0, ?LONG))
     end || K <- ?DGRAM_KINDS].

?DIFF(sendto_errors,
      "Ensure that sendto with bad or foreign addresses, oversize datagrams and closed sockets fails as OTP does.").
sendto_errors(M, X) ->
    {A, AA} = dgram(M, inet, X),
    call(bad_addr, fun() -> M:sendto(A, <<"x">>, foo) end),
    call(bad_tuple, fun() -> M:sendto(A, <<"x">>, AA#{addr := {1, 2}}) end),
    call(inet6_on_inet, fun() -> M:sendto(A, <<"x">>, (addr(inet6, X))#{port := 9}) end),
    call(bad_flags, fun() -> M:sendto(A, <<"x">>, AA, [foo]) end),
    call(bad_timeout, fun() -> M:sendto(A, <<"x">>, AA, [], foo) end),
    rec(too_big, M:sendto(A, binary:copy(<<"z">>, 70000), AA)),
    {P, _} = dgram(M, path, X),
    rec(local_no_such_path, M:sendto(P, <<"x">>, addr(path, X))),
    rec(local_no_such_abstract, M:sendto(P, <<"x">>, addr(abstract, X))),
    ok = M:close(A),
    rec(closed, M:sendto(A, <<"x">>, AA)),
    rec(recvfrom_closed, M:recvfrom(A)).

%% ===================================================================
%% close and shutdown
%% ===================================================================

?DIFF(close_wakes_recv,
      "Ensure that close wakes every process blocked in recv (infinity and timeout) with {error, closed}.").
close_wakes_recv(M, X) ->
    [begin
         {_L, _C, A} = pair(M, K, X),
         W1 = async(fun() -> M:recv(A, 0) end),
         rec({blocked1, K}, wait_blocked(element(1, W1))),
         W2 = async(fun() -> M:recv(A, 0, 30000) end),
         rec({blocked2, K}, wait_blocked(element(1, W2))),
         rec({close, K}, M:close(A)),
         rec({waiter1, K}, await(W1)),
         rec({waiter2, K}, await(W2)),
         rec({close_again, K}, M:close(A))
     end || K <- ?STREAM_KINDS],
    [begin
         {D, _} = dgram(M, K, X),
         W = async(fun() -> M:recvfrom(D) end),
         wait_blocked(element(1, W)),
         rec({dgram_close, K}, M:close(D)),
         rec({dgram_waiter, K}, await(W))
     end || K <- ?DGRAM_KINDS].

?DIFF(close_wakes_accept,
      "Ensure that close of a listening socket wakes blocked acceptors with {error, closed}.").
close_wakes_accept(M, X) ->
    [begin
         {L, _} = listener(M, K, X),
         W1 = async(fun() -> M:accept(L) end),
         wait_blocked(element(1, W1)),
         W2 = async(fun() -> M:accept(L, 30000) end),
         wait_blocked(element(1, W2)),
         rec({close, K}, M:close(L)),
         rec({acceptor1, K}, await(W1)),
         rec({acceptor2, K}, await(W2))
     end || K <- ?STREAM_KINDS].

?DIFF(close_aborts_selects,
      "Ensure that close sends {'$socket', S, abort, {Handle, closed}} for pending nowait selects, to every waiting process.").
close_aborts_selects(M, X) ->
    [begin
         {L, _C, A} = pair(M, K, X),
         rec({recv_select, K}, M:recv(A, 0, nowait)),
         rec({accept_select, K}, M:accept(L, nowait)),
         Self = self(),
         Other = spawn_link(fun() ->
                                    R = M:recv(A, 0, nowait),
                                    Self ! {other_selected, R},
                                    Self ! {other_got, receive Msg -> Msg after ?LONG -> none end}
                            end),
         rec({other_queued, K}, receive {other_selected, R} -> R after ?LONG -> none end),
         rec({close_a, K}, M:close(A)),
         rec({abort_recv, K}, socket_msg(?LONG)),
         rec({other_abort, K}, receive {other_got, G} -> G after ?LONG -> none end),
         rec({close_l, K}, M:close(L)),
         rec({abort_accept, K}, socket_msg(?LONG)),
         unlink(Other),
         rec({no_more_msgs, K}, msgs(200))
     end || K <- ?STREAM_KINDS].

socket_msg(Ms) ->
    receive {'$socket', _, _, _} = M -> M
    after Ms -> no_message
    end.

?DIFF(close_by_other_process,
      "Ensure that any process may close a socket and the owner then sees {error, closed}.").
close_by_other_process(M, X) ->
    [begin
         {_L, _C, A} = pair(M, K, X),
         rec({close_other, K}, await(async(fun() -> M:close(A) end))),
         rec({owner_recv, K}, M:recv(A, 0, 100)),
         rec({owner_close, K}, M:close(A))
     end || K <- ?STREAM_KINDS],
    call(close_not_socket, fun() -> M:close(foo) end).

?DIFF(shutdown_directions,
      "Ensure that shutdown/2 (read, write, read_write) behaves as OTP does, and fails on bad input.").
shutdown_directions(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         rec({shutdown_write, K}, M:shutdown(C, write)),
         rec({peer_sees_eof, K}, M:recv(A, 0, ?LONG)),
         ok = M:send(A, <<"still">>),
         rec({read_after_write_shutdown, K}, M:recv(C, 5, ?LONG)),
         rec({shutdown_read, K}, M:shutdown(C, read)),
         rec({recv_after_shutdown_read, K}, M:recv(C, 0, 200)),
         rec({shutdown_read_write, K}, M:shutdown(A, read_write)),
         call({bad_how, K}, fun() -> M:shutdown(A, sideways) end),
         S = open(M, K, stream),
         rec({unconnected, K}, M:shutdown(S, write)),
         ok = M:close(S),
         rec({closed, K}, M:shutdown(S, write))
     end || K <- ?STREAM_KINDS].

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
%% cancel
%% ===================================================================

?DIFF(cancel_recv,
      "Ensure that cancel/2 of a recv select is ok, sends no message, frees the socket, and a second cancel is {error, {invalid, SelectInfo}}.").
cancel_recv(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         {select, SI} = rec({select, K}, M:recv(A, 0, nowait)),
         rec({cancel, K}, M:cancel(A, SI)),
         ok = M:send(C, <<"after">>),
         rec({no_msg, K}, msgs(200)),
         rec({cancel_again, K}, M:cancel(A, SI)),
         rec({recv, K}, M:recv(A, 0, ?LONG)),
         {select, SI2} = M:recv(A, 0, nowait),
         rec({cancel_other_process, K}, await(async(fun() -> M:cancel(A, SI2) end))),
         rec({cancel_owner, K}, M:cancel(A, SI2)),
         rec({cancel_unknown, K}, M:cancel(A, {select_info, recv, make_ref()}))
     end || K <- ?STREAM_KINDS].

?DIFF(cancel_accept,
      "Ensure that cancel/2 of an accept select is ok and the connection is then accepted normally.").
cancel_accept(M, X) ->
    [begin
         {L, LA} = listener(M, K, X),
         {select, SI} = rec({select, K}, M:accept(L, nowait)),
         rec({cancel, K}, M:cancel(L, SI)),
         C = open(M, K, stream),
         ok = M:connect(C, LA),
         rec({no_msg, K}, msgs(200)),
         rec({accept, K}, element(1, M:accept(L, ?LONG))),
         rec({cancel_again, K}, M:cancel(L, SI))
     end || K <- ?STREAM_KINDS].

?DIFF(cancel_bad_args,
      "Ensure that cancel/2 with bad select infos or on closed sockets fails as OTP does.").
cancel_bad_args(M, X) ->
    {_L, _C, A} = pair(M, inet, X),
    call(not_select_info, fun() -> M:cancel(A, foo) end),
    call(bad_tag, fun() -> M:cancel(A, {select_info, bogus, make_ref()}) end),
    call(not_socket, fun() -> M:cancel(foo, {select_info, recv, make_ref()}) end),
    {select, SI} = M:recv(A, 0, nowait),
    ok = M:close(A),
    rec(abort, msg(?LONG)),
    rec(closed, M:cancel(A, SI)).

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

owner_loop(M) ->
    receive
        {From, {give, S, To}} ->
            From ! {owner_reply, M:setopt(S, {otp, controlling_process}, To)},
            owner_loop(M);
        {From, {open, K}} ->
            From ! {owner_reply, M:open(dom(K), stream)},
            owner_loop(M);
        stop ->
            ok
    end.

owner_call(P, Req) ->
    P ! {self(), Req},
    receive {owner_reply, R} -> R after ?LONG -> no_reply end.

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

%% Wait (up to 5 s) for a socket to be closed; the last sockname result.
closed_within(M, S) ->
    sockport_test_lib:until(fun() -> M:sockname(S) =:= {error, closed} end, 5000),
    M:sockname(S).

%% ===================================================================
%% several waiters
%% ===================================================================

?DIFF(waiters_fifo_recv,
      "Ensure that processes blocked in recv on one socket are served in FIFO order.").
waiters_fifo_recv(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         Ws = [begin
                   W = async(fun() -> M:recv(A, 3) end),
                   wait_blocked(element(1, W)),
                   W
               end || _ <- [1, 2, 3]],
         ok = M:send(C, <<"aaabbbccc">>),
         rec({results, K}, [await(W) || W <- Ws])
     end || K <- ?STREAM_KINDS].

?DIFF(waiters_fifo_accept,
      "Ensure that processes blocked in accept are served in FIFO order, in connection order.").
waiters_fifo_accept(M, X) ->
    Self = self(),
    [begin
         {L, LA} = listener(M, K, X),
         Ws = [begin
                   W = async(fun() -> accept_for(M, L, infinity, Self) end),
                   wait_blocked(element(1, W)),
                   W
               end || _ <- [1, 2]],
         Cs = [begin
                   C = open(M, K, stream),
                   ok = M:connect(C, LA),
                   {ok, CN} = M:sockname(C),
                   CN
               end || _ <- [1, 2]],
         Peers = [case await(W) of
                      {ok, S} -> element(2, M:peername(S));
                      Other -> Other
                  end || W <- Ws],
         rec({order, K}, {Peers =:= Cs, Peers})
     end || K <- ?STREAM_KINDS].

?DIFF(waiters_fifo_nowait,
      "Ensure that a nowait recv queued behind another process's select gets its select only after the first completes.").
waiters_fifo_nowait(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         Self = self(),
         Reader = fun(Name) ->
                          fun() ->
                                  R1 = M:recv(A, 3, nowait),
                                  Self ! {Name, selected, R1},
                                  Msg = receive {'$socket', _, _, _} = S -> S after ?LONG -> none end,
                                  Self ! {Name, message, Msg},
                                  receive go -> ok end,
                                  Self ! {Name, recv, M:recv(A, 3, nowait)},
                                  receive stop -> ok end
                          end
                  end,
         P1 = spawn_link(Reader(p1)),
         rec({p1_selected, K}, from(p1, selected, ?LONG)),
         P2 = spawn_link(Reader(p2)),
         rec({p2_selected, K}, from(p2, selected, ?LONG)),
         ok = M:send(C, <<"aaabbb">>),
         rec({p1_message, K}, from(p1, message, ?LONG)),
         rec({p2_no_message_yet, K}, from(p2, message, 200)),
         P1 ! go,
         rec({p1_recv, K}, from(p1, recv, ?LONG)),
         rec({p2_message, K}, from(p2, message, ?LONG)),
         P2 ! go,
         rec({p2_recv, K}, from(p2, recv, ?LONG)),
         P1 ! stop, P2 ! stop
     end || K <- ?STREAM_KINDS].

from(Name, What, Ms) ->
    receive {Name, What, R} -> R
    after Ms -> none
    end.

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
