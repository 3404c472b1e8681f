%% Differential tests of stream sockets (see sockport_diff_SUITE): accept,
%% connect, send and recv in the blocking and timed modes, shutdown, close,
%% and several processes blocked on one socket.
-module(sockport_diff_stream_SUITE).

-export([suite/0]).
%% Cases (Name/1) and their scenarios (Name/2).
-export([accept_blocking/1, accept_blocking/2]).
-export([accept_timeout/1, accept_timeout/2]).
-export([accept_errors/1, accept_errors/2]).
-export([connect_each_domain/1, connect_each_domain/2]).
-export([connect_refused/1, connect_refused/2]).
-export([connect_bad_args/1, connect_bad_args/2]).
-export([send_recv_basic/1, send_recv_basic/2]).
-export([recv_peek/1, recv_peek/2]).
-export([recv_timeouts/1, recv_timeouts/2]).
-export([recv_peer_close/1, recv_peer_close/2]).
-export([recv_bad_args/1, recv_bad_args/2]).
-export([send_errors/1, send_errors/2]).
-export([send_full_buffer/1, send_full_buffer/2]).
-export([close_wakes_recv/1, close_wakes_recv/2]).
-export([close_wakes_accept/1, close_wakes_accept/2]).
-export([close_by_other_process/1, close_by_other_process/2]).
-export([shutdown_directions/1, shutdown_directions/2]).
-export([waiters_fifo_recv/1, waiters_fifo_recv/2]).
-export([waiters_fifo_accept/1, waiters_fifo_accept/2]).
-export([connect_timeout/1, connect_timeout/2]).
-export([send_blocking/1, send_blocking/2]).
-export([waiters_fifo_send/1, waiters_fifo_send/2]).
-export([close_wakes_send/1, close_wakes_send/2]).
-export([reset_fails_writers/1, reset_fails_writers/2]).
-export([recv_blocking_modes/1, recv_blocking_modes/2]).
-export([seed_recv_peek_one_read/1]).

-include("sockport_diff.hrl").

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 120}}].

seed_cases() ->
    [seed_recv_peek_one_read].

diff_cases() ->
    [accept_blocking, accept_timeout, accept_errors,
     connect_each_domain, connect_refused, connect_bad_args,
     send_recv_basic, recv_peek, recv_timeouts, recv_peer_close, recv_bad_args, send_errors, send_full_buffer,
     close_wakes_recv, close_wakes_accept, close_by_other_process, shutdown_directions,
     waiters_fifo_recv, waiters_fifo_accept,
     connect_timeout, send_blocking, waiters_fifo_send, close_wakes_send, reset_fails_writers,
     recv_blocking_modes].

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
      "Ensure that processes blocked in accept are served in FIFO order, and that two connections arriving together reach both.").
waiters_fifo_accept(M, X) ->
    [begin
         {L, LA} = listener(M, K, X),
         %% One connection at a time: the kernel queues two connects in the
         %% order their handshakes end, which need not be the order in
         %% which connect returned; the order of the waiters is ours.
         Ws = blocked_acceptors(M, L, 2),
         Served = [begin
                       CN = connected_name(M, K, LA),
                       Peer = accepted_peer(M, await(W)),
                       {Peer =:= CN, Peer}
                   end || W <- Ws],
         rec({fifo, K}, Served),
         Ws2 = blocked_acceptors(M, L, 2),
         Cs = lists:sort([connected_name(M, K, LA) || _ <- [1, 2]]),
         Peers = lists:sort([accepted_peer(M, await(W)) || W <- Ws2]),
         rec({both_served, K}, {Peers =:= Cs, Peers})
     end || K <- ?STREAM_KINDS].

blocked_acceptors(M, L, N) ->
    Self = self(),
    [blocked(fun() -> accept_for(M, L, infinity, Self) end)
     || _ <- lists:seq(1, N)].

connected_name(M, K, LA) ->
    C = open(M, K, stream),
    ok = M:connect(C, LA),
    {ok, CN} = M:sockname(C),
    CN.

accepted_peer(M, {ok, S}) -> element(2, M:peername(S));
accepted_peer(_M, Other) -> Other.

%% ===================================================================
%% Waiting in connect and send
%% ===================================================================

?DIFF(connect_timeout,
      "Ensure that connect/3 with a timeout answers {error, timeout} when the listener's queue is full, and a waiting connect (ms or infinity) completes once it is accepted.").
connect_timeout(M, X) ->
    [begin
         {L, LA} = full_listener(M, K, X),
         C1 = open(M, K, stream),
         rec({connect_timeout, K}, M:connect(C1, LA, 300)),
         C0 = open(M, K, stream),
         rec({connect_timeout_0, K}, M:connect(C0, LA, 0)),
         %% Both still retry their SYN: closed, they cannot take the slot
         %% the accept below frees from the connect that waits for it.
         ok = M:close(C1),
         ok = M:close(C0),
         [begin
              C = open(M, K, stream),
              W = async(fun() -> M:connect(C, LA, T) end),
              rec({waiting, K, T}, wait_blocked(element(1, W))),
              rec({first_accepted, K, T}, element(1, M:accept(L, ?LONG))),
              rec({connected, K, T}, await(W)),
              rec({peername, K, T}, element(1, M:peername(C)))
          end || T <- [?LONG, infinity]],
         rec({last_accepted, K}, element(1, M:accept(L, ?LONG)))
     end || K <- [inet, inet6]].

?DIFF(send_blocking,
      "Ensure that a send waiting on a full buffer (infinity, ms) completes when the peer reads, and send/4 with a timeout returns {error, {timeout, Rest}}.").
send_blocking(M, X) ->
    Big = big(),
    Data = binary:copy(<<"z">>, 1 bsl 20),
    [begin
         [begin
              {_L, C, A, Sent} = full_pair(M, K, X, Big),
              W = async(fun() -> apply(M, send, [C, Data | Args]) end),
              rec({waiting, K, Args}, wait_blocked(element(1, W))),
              All = recv_all(M, A, Sent + byte_size(Data), <<>>),
              rec({sent, K, Args}, await(W)),
              rec({received, K, Args},
                  is_binary(All) andalso binary:part(All, Sent, byte_size(Data)) =:= Data)
          end || Args <- [[], [infinity], [?LONG], [[], ?LONG], [[], infinity]]],
         {_L, C, _A, _} = full_pair(M, K, X, Big),
         rec({send4_timeout, K}, shape(M:send(C, Big, [], 300), Big))
     end || K <- [inet, path]].

?DIFF(waiters_fifo_send,
      "Ensure that processes blocked in send on one socket are served in FIFO order, each message whole.").
waiters_fifo_send(M, X) ->
    Big = big(),
    Size = 1 bsl 20,
    [begin
         {_L, C, A, Sent} = full_pair(M, K, X, Big),
         Ws = [begin
                   W = async(fun() -> M:send(C, binary:copy(<<B>>, Size)) end),
                   wait_blocked(element(1, W)),
                   W
               end || B <- [$A, $B, $C]],
         All = recv_all(M, A, Sent + 3 * Size, <<>>),
         rec({results, K}, [await(W) || W <- Ws]),
         <<_:Sent/binary, Tail/binary>> = All,
         rec({order, K}, runs(Tail))
     end || K <- [inet, path]].

?DIFF(close_wakes_send,
      "Ensure that close wakes every process blocked in send (infinity and ms) as OTP does.").
close_wakes_send(M, X) ->
    Big = big(),
    [begin
         {_L, C, _A, _Sent} = full_pair(M, K, X, Big),
         W1 = async(fun() -> shape(M:send(C, Big), Big) end),
         rec({blocked1, K}, wait_blocked(element(1, W1))),
         W2 = async(fun() -> shape(M:send(C, Big, 30000), Big) end),
         rec({blocked2, K}, wait_blocked(element(1, W2))),
         rec({close, K}, M:close(C)),
         rec({waiter1, K}, await(W1)),
         rec({waiter2, K}, await(W2))
     end || K <- [inet, path]].

?DIFF(reset_fails_writers,
      "Ensure that when the peer resets a full connection, the writer in progress and every writer waiting behind it fail with the same reason, as OTP's NIF fails them.").
reset_fails_writers(M, X) ->
    Big = big(),
    [begin
         {_L, C, A, _Sent} = full_pair(M, K, X, Big),
         W1 = async(fun() -> shape(M:send(C, Big), Big) end),
         rec({blocked1, K}, wait_blocked(element(1, W1))),
         W2 = async(fun() -> shape(M:send(C, Big, 30000), Big) end),
         rec({blocked2, K}, wait_blocked(element(1, W2))),
         ok = M:setopt(A, {socket, linger}, #{onoff => true, linger => 0}),
         rec({reset, K}, M:close(A)),
         rec({waiter1, K}, await(W1)),
         rec({waiter2, K}, await(W2)),
         rec({after_reset, K}, M:send(C, <<"x">>))
     end || K <- [inet, inet6]].

?DIFF(recv_blocking_modes,
      "Ensure that recv waiting with infinity or a ms timeout (Length 0 and > 0) gets data that arrives in time, and recv/4 times out with partial data.").
recv_blocking_modes(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         [begin
              W = async(fun() -> apply(M, recv, [A | Args]) end),
              rec({waiting, K, Args}, wait_blocked(element(1, W))),
              ok = M:send(C, <<"abc">>),
              timer:sleep(50),
              ok = M:send(C, <<"def">>),
              rec({got, K, Args}, await(W)),
              _ = M:recv(A, 0, 200)
          end || Args <- [[6], [6, ?LONG], [6, [], ?LONG], [6, [], infinity], [0, ?LONG],
                          [0, [], infinity]]],
         ok = M:send(C, <<"ab">>),
         rec({partial_recv4, K}, M:recv(A, 5, [], 300)),
         ok = M:send(C, <<"cd">>),
         rec({after_partial, K}, M:recv(A, 2, 0))
     end || K <- ?STREAM_KINDS].

%% OTP 25 repeats a peek until it has Length bytes, so a peek of 5 with
%% "cd" waiting returns <<"cdcdc">>; sockport returns what one read gives
%% (README, "Differences from socket").
seed_recv_peek_one_read(Config) ->
    doc("Ensure that a timed recv with peek and a Length above what is waiting answers with the waiting bytes once, without consuming them."),
    Expected = lists:append([[{{peek, K}, {ok, <<"cd">>}},
                              {{after_peek, K}, {ok, <<"cd">>}}]
                             || K <- ?STREAM_KINDS]),
    Expected = run(fun seed_recv_peek/2, proplists:get_value(mod, Config)),
    ok.

seed_recv_peek(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         ok = M:send(C, <<"cd">>),
         timer:sleep(50),
         rec({peek, K}, M:recv(A, 5, [peek], 300)),
         rec({after_peek, K}, M:recv(A, 2, 0))
     end || K <- ?STREAM_KINDS].
