%% Differential tests of the nowait mode (see sockport_diff_SUITE): select
%% infos and their tags, caller-supplied handles, '$socket' select and abort
%% messages, cancel/2, replaced selects and several waiters on one socket.
-module(sockport_diff_select_SUITE).

-export([suite/0]).
%% Cases (Name/1) and their scenarios (Name/2).
-export([accept_nowait/1, accept_nowait/2]).
-export([connect_nowait/1, connect_nowait/2]).
-export([recv_nowait/1, recv_nowait/2]).
-export([recv_nowait_handle/1, recv_nowait_handle/2]).
-export([recv_replace_nowait/1, recv_replace_nowait/2]).
-export([recvfrom_nowait/1, recvfrom_nowait/2]).
-export([close_aborts_selects/1, close_aborts_selects/2]).
-export([cancel_recv/1, cancel_recv/2]).
-export([cancel_accept/1, cancel_accept/2]).
-export([cancel_bad_args/1, cancel_bad_args/2]).
-export([waiters_fifo_nowait/1, waiters_fifo_nowait/2]).
-export([send_nowait_handle/1, send_nowait_handle/2]).
-export([sendto_nowait_handle/1, sendto_nowait_handle/2]).
-export([connect_nowait_pending/1, connect_nowait_pending/2]).
-export([recv4_nowait_handle/1, recv4_nowait_handle/2]).
-export([close_aborts_more/1, close_aborts_more/2]).
-export([cancel_more/1, cancel_more/2]).
-export([waiters_fifo_accept_nowait/1, waiters_fifo_accept_nowait/2]).
-export([waiters_mixed_modes/1, waiters_mixed_modes/2]).
-export([recvfrom_replace_nowait/1, recvfrom_replace_nowait/2]).
-export([send_continuations/1, send_continuations/2]).
-export([sendto_continuations/1, sendto_continuations/2]).
-export([cancel_send_continuation/1, cancel_send_continuation/2]).
-export([seed_sendto3_cont/1, seed_sendto3_cont/2]).

-include("sockport_diff.hrl").

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 120}}].

seed_cases() ->
    [seed_sendto3_cont].

diff_cases() ->
    [accept_nowait, connect_nowait, recv_nowait, recv_nowait_handle, recv_replace_nowait, recvfrom_nowait,
     close_aborts_selects,
     cancel_recv, cancel_accept, cancel_bad_args,
     waiters_fifo_nowait,
     send_nowait_handle, sendto_nowait_handle, connect_nowait_pending, recv4_nowait_handle,
     close_aborts_more, cancel_more, waiters_fifo_accept_nowait, waiters_mixed_modes, recvfrom_replace_nowait,
     send_continuations, sendto_continuations, cancel_send_continuation].

%% ===================================================================
%% nowait
%% ===================================================================

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

%% ===================================================================
%% close and abort
%% ===================================================================

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
%% several waiters
%% ===================================================================

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

%% ===================================================================
%% More nowait calls: send, sendto, connect, recv/4
%% ===================================================================

?DIFF(send_nowait_handle,
      "Ensure that send/3,4 with nowait or a reference on a full buffer selects (select_info send, the rest of the data), the select message follows the peer's read, and the rest then goes.").
send_nowait_handle(M, X) ->
    Big = big(),
    Data = binary:copy(<<"n">>, 1 bsl 20),
    [begin
         [begin
              {_L, C, A, Sent} = full_pair(M, K, X, Big),
              H = make_ref(),
              Args = case Mode of
                         nowait3 -> [nowait];
                         nowait4 -> [[], nowait];
                         handle3 -> [H];
                         handle4 -> [[], H]
                     end,
              R = apply(M, send, [C, Data | Args]),
              rec({select, K, Mode}, shape(R, Data)),
              rec({handle_is_ours, K, Mode},
                  case R of
                      {select, {{select_info, _, RH}, _}} -> RH =:= H;
                      {select, {select_info, _, RH}} -> RH =:= H;
                      _ -> no_select
                  end),
              rec({no_msg_yet, K, Mode}, msgs(200)),
              W = async(fun() -> recv_all(M, A, Sent + byte_size(Data), <<>>) end),
              rec({select_msg, K, Mode}, socket_msg(?LONG)),
              Rest = case R of
                         {select, {_, Rst}} -> Rst;
                         {select, _} -> Data;
                         _ -> <<>>
                     end,
              rec({send_rest, K, Mode}, M:send(C, Rest, ?LONG)),
              All = await(W),
              rec({all_there, K, Mode},
                  is_binary(All) andalso binary:part(All, Sent, byte_size(Data)) =:= Data),
              rec({no_more_msgs, K, Mode}, msgs(200))
          end || Mode <- [nowait3, nowait4, handle3, handle4]]
     end || K <- [inet, path]].

?DIFF(sendto_nowait_handle,
      "Ensure that sendto/4,5 with nowait or a reference to a full unix datagram queue selects (select_info sendto) and the select message follows the receiver's read.").
sendto_nowait_handle(M, X) ->
    [begin
         {R, RA, S, _SA, Filled} = full_dgram_connected(M, K, X),
         rec({filled, K}, Filled),
         [begin
              H = make_ref(),
              Args = case Mode of
                         nowait4 -> [nowait];
                         nowait5 -> [[], nowait];
                         handle4 -> [H];
                         handle5 -> [[], H]
                     end,
              Sel = apply(M, sendto, [S, <<"late">>, RA | Args]),
              rec({select, K, Mode}, Sel),
              rec({handle_is_ours, K, Mode},
                  case Sel of
                      {select, {select_info, _, RH}} -> RH =:= H;
                      _ -> no_select
                  end),
              rec({no_msg_yet, K, Mode}, msgs(200)),
              rec({take_one, K, Mode}, element(1, M:recvfrom(R, 0, 0))),
              rec({select_msg, K, Mode}, socket_msg(?LONG)),
              rec({sendto_again, K, Mode}, apply(M, sendto, [S, <<"late">>, RA | Args])),
              rec({no_more_msgs, K, Mode}, msgs(200))
          end || Mode <- [nowait4, nowait5, handle4, handle5]],
         rec({tail, K}, lists:last(drain(M, R)))
     end || K <- [path, abstract]].

?DIFF(send_continuations,
      "Ensure that send/3,4 with a Cont (the SelectInfo of a partial nowait send) goes on with the rest in every waiting mode: a timeout with its rest, then nowait and handle selects followed to the end, and plain and timed forms that finish.").
send_continuations(M, X) ->
    Big = big(),
    Data = binary:copy(<<"c">>, 1 bsl 20),
    [begin
         [begin
              {_L, C, A, Sent} = full_pair(M, K, X, Big),
              Sel = M:send(C, Data, nowait),
              rec({first, K, Mode}, shape(Sel, Data)),
              {SI, Rest} = cont_of(Sel, Data),
              %% nobody reads yet: a timed continuation times out with
              %% what it could not send
              rec({cont_timeout, K, Mode},
                  case M:send(C, Rest, SI, 100) of
                      {error, {timeout, Rest1}} -> {timeout, suffix_of(Rest1, Rest)};
                      Other -> Other
                  end),
              rec({stale_select, K, Mode}, msgs(200)),
              W = async(fun() -> recv_all(M, A, Sent + byte_size(Data), <<>>) end),
              rec({cont_to_end, K, Mode}, cont_send(M, C, Rest, SI, Mode, [])),
              All = await(W),
              rec({all_there, K, Mode},
                  is_binary(All) andalso binary:part(All, Sent, byte_size(Data)) =:= Data),
              rec({no_more_msgs, K, Mode}, msgs(200))
          end || Mode <- modes(K)]
     end || K <- [inet, path]].

%% Every mode on inet; one on a unix stream (the same path in the daemon).
modes(inet) -> [infinity3, infinity4, long, nowait, handle];
modes(path) -> [nowait].

%% The SelectInfo of a send that selected and what it left to send.
cont_of({select, {SI, Rest}}, _Data) -> {SI, Rest};
cont_of({select, SI}, Data) -> {SI, Data}.

%% Sends Rest on with continuations until it is all gone: the results'
%% shapes (each select followed by its select message).
cont_send(M, C, Rest, SI, Mode, Acc) ->
    H = make_ref(),
    R = case Mode of
            infinity3 -> M:send(C, Rest, SI);
            infinity4 -> M:send(C, Rest, SI, infinity);
            long -> M:send(C, Rest, SI, ?LONG);
            nowait -> M:send(C, Rest, SI, nowait);
            handle -> M:send(C, Rest, SI, H)
        end,
    Selected = case R of
                   {select, {{select_info, _, _} = SI1, Rest1}} -> {SI1, Rest1};
                   {select, {select_info, _, _} = SI1} -> {SI1, Rest};
                   _ -> done
               end,
    case Selected of
        {{select_info, Tag, Ref} = SI2, Rest2} ->
            Ours = Mode =:= nowait orelse Ref =:= H,
            Msg = case socket_msg(?LONG) of
                      {'$socket', _, select, Ref} -> select_msg;
                      Other -> Other
                  end,
            Step = {select, Tag, Ours, suffix_of(Rest2, Rest), Msg},
            cont_send(M, C, Rest2, SI2, Mode, [Step | Acc]);
        done ->
            %% how many selects it took depends on the reader's pace;
            %% their kinds do not
            {lists:usort(Acc), R}
    end.

suffix_of(Rest2, Rest) ->
    N = byte_size(Rest2),
    N > 0 andalso N =< byte_size(Rest) andalso
        binary:part(Rest, byte_size(Rest) - N, N) =:= Rest2.

?DIFF(sendto_continuations,
      "Ensure that sendto/4 with a Cont (the SelectInfo of a nowait sendto to a full unix datagram queue) sends in every waiting mode once there is room, and times out while there is none.").
sendto_continuations(M, X) ->
    [begin
         {R, RA, S, _SA, Filled} = full_dgram_connected(M, K, X),
         rec({filled, K}, Filled),
         [begin
              {select, SI} = Sel = M:sendto(S, <<"cont">>, RA, nowait),
              rec({select, K, Mode}, element(1, Sel)),
              rec({cont_timeout, K, Mode}, M:sendto(S, <<"cont">>, SI, 100)),
              rec({take_one, K, Mode}, element(1, M:recvfrom(R, 0, 0))),
              %% the timed continuation took the place of the nowait
              %% select: whether its message still comes is OTP's to say
              rec({select_msg, K, Mode}, case socket_msg(300) of
                                             {'$socket', _, select, _} -> select;
                                             None -> None
                                         end),
              H = make_ref(),
              rec({cont, K, Mode},
                  case Mode of
                      long -> M:sendto(S, <<"cont">>, SI, ?LONG);
                      nowait -> M:sendto(S, <<"cont">>, SI, nowait);
                      handle -> M:sendto(S, <<"cont">>, SI, H)
                  end),
              rec({no_more_msgs, K, Mode}, msgs(200))
          end || Mode <- [long, nowait, handle]],
         rec({tail, K}, lists:last(drain(M, R)))
     end || K <- [path, abstract]].

?DIFF(cancel_send_continuation,
      "Ensure that cancel/2 of a partial send's SelectInfo (and of a continuation's) leaves no select message behind, and the rest can still be sent.").
cancel_send_continuation(M, X) ->
    Big = big(),
    Data = binary:copy(<<"k">>, 1 bsl 20),
    [begin
         {_L, C, A, Sent} = full_pair(M, K, X, Big),
         {SI, Rest} = cont_of(M:send(C, Data, nowait), Data),
         rec({cancel, K}, M:cancel(C, SI)),
         rec({cancel_again, K}, M:cancel(C, SI)),
         Sel2 = M:send(C, Rest, SI, nowait),
         rec({cont_select, K}, shape(Sel2, Rest)),
         {SI2, Rest2} = cont_of(Sel2, Rest),
         rec({cancel_cont, K}, M:cancel(C, SI2)),
         W = async(fun() -> recv_all(M, A, Sent + byte_size(Data), <<>>) end),
         rec({no_msgs_after_cancel, K}, msgs(500)),
         rec({rest_goes, K}, M:send(C, Rest2, ?LONG)),
         All = await(W),
         rec({all_there, K},
             is_binary(All) andalso binary:part(All, Sent, byte_size(Data)) =:= Data)
     end || K <- [inet, path]].

-spec seed_sendto3_cont(list()) -> ok.
seed_sendto3_cont(_Config) ->
    doc("Ensure that sendto/3 with a Cont (the seed's form; OTP 25 lacks it) waits for room as sendto(S, Data, Cont, infinity) and sends to the destination of the first call."),
    [{sent, ok}, {waited, true}, {read, ok}, {last, <<"cont">>}] =
        run(fun seed_sendto3_cont/2, sockport),
    ok.

seed_sendto3_cont(M, X) ->
    {R, RA, S, _SA, filled} = full_dgram_connected(M, path, X),
    {select, SI} = M:sendto(S, <<"cont">>, RA, nowait),
    Self = self(),
    %% the continuation blocks this process until the reader makes room
    Reader = spawn_link(fun() ->
                                receive go -> ok end,
                                timer:sleep(300),
                                Self ! {read, element(1, M:recvfrom(R, 0, 0))}
                        end),
    Reader ! go,
    T0 = erlang:monotonic_time(millisecond),
    rec(sent, M:sendto(S, <<"cont">>, SI)),
    rec(waited, erlang:monotonic_time(millisecond) - T0 >= 250),
    rec(read, receive {read, Read} -> Read after ?LONG -> no_reply end),
    rec(last, lists:last(drain(M, R))).

drain(M, R) ->
    case M:recvfrom(R, 0, 0) of
        {ok, {_, D}} -> [D | drain(M, R)];
        _ -> []
    end.

?DIFF(connect_nowait_pending,
      "Ensure that a nowait connect that must wait (full listen queue) selects, a second connect answers as OTP does, and the select message comes once the queue has room.").
connect_nowait_pending(M, X) ->
    Self = self(),
    [begin
         {L, LA} = full_listener(M, K, X),
         %% The connecting process reports each step, so that a call that
         %% waits where OTP's does not shows as `none` and the scenario
         %% goes on (accepting lets such a wait end).
         Connector =
             fun(Steps) ->
                     fun() ->
                             C = open(M, K, stream),
                             H = make_ref(),
                             Sel = M:connect(C, LA, H),
                             Self ! {connector, select, Sel},
                             Self ! {connector, handle_is_ours,
                                     case Sel of
                                         {select, {select_info, connect, H}} -> true;
                                         _ -> Sel
                                     end},
                             Self ! {connector, other_connect,
                                     await(async(fun() -> x(fun() -> M:connect(C, LA, nowait) end) end))},
                             Self ! {connector, other_connect1,
                                     await(async(fun() -> x(fun() -> M:connect(C) end) end))},
                             [Self ! {connector, Step, x(F)} || {Step, F} <- Steps(C)],
                             Self ! {connector, msgs, msgs(2000)},
                             Self ! {connector, peername, element(1, M:peername(C))},
                             receive stop -> ok end
                     end
             end,
         Variants =
             [{connect3_again, fun(C) -> [{connect3_again, fun() -> M:connect(C, LA, nowait) end},
                                          {connect1_after, fun() -> M:connect(C) end}] end},
              {connect1_early, fun(C) -> [{connect1_early, fun() -> M:connect(C) end},
                                          {connect1_again, fun() -> M:connect(C) end}] end}],
         [begin
              P = spawn_link(Connector(Steps)),
              [rec({V, Step, K}, from(connector, Step, 3000))
               || Step <- [select, handle_is_ours, other_connect, other_connect1]],
              [rec({V, Step, K}, from(connector, Step, 3000))
               || {Step, _} <- Steps(dummy)],
              rec({V, accept, K}, element(1, M:accept(L, ?LONG))),
              rec({V, msgs, K}, from(connector, msgs, ?LONG)),
              rec({V, peername, K}, from(connector, peername, ?LONG)),
              P ! stop
          end || {V, Steps} <- Variants]
     end || K <- [inet, inet6]].

?DIFF(recv4_nowait_handle,
      "Ensure that recv/4 with nowait or a reference selects, gives partial data with the select info when Length > 0, and the select message carries the handle.").
recv4_nowait_handle(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         rec({select4, K}, M:recv(A, 0, [], nowait)),
         ok = M:send(C, <<"abc">>),
         rec({select_msg4, K}, socket_msg(?LONG)),
         rec({recv4, K}, M:recv(A, 0, [], nowait)),
         H = make_ref(),
         ok = M:send(C, <<"de">>),
         rec({partial_handle, K}, M:recv(A, 5, [], H)),
         ok = M:send(C, <<"fgh">>),
         rec({select_msg_handle, K},
             receive {'$socket', _, select, H} = Msg -> Msg after ?LONG -> none end),
         rec({rest_handle, K}, M:recv(A, 3, [], H)),
         rec({peek_handle, K}, M:recv(A, 0, [peek], H)),
         ok = M:send(C, <<"ij">>),
         rec({select_msg_peek, K}, socket_msg(?LONG)),
         rec({peeked, K}, M:recv(A, 0, [peek], H)),
         rec({taken, K}, M:recv(A, 0, [], H)),
         rec({no_more_msgs, K}, msgs(200))
     end || K <- ?STREAM_KINDS].

%% ===================================================================
%% Close and cancel of every kind of select
%% ===================================================================

?DIFF(close_aborts_more,
      "Ensure that close sends {'$socket', S, abort, {Handle, closed}} for pending recvfrom, send, sendto and connect selects.").
close_aborts_more(M, X) ->
    [begin
         {D, _} = dgram(M, K, X),
         rec({recvfrom_select, K}, M:recvfrom(D, 0, nowait)),
         rec({recvfrom_close, K}, M:close(D)),
         rec({recvfrom_abort, K}, socket_msg(?LONG)),
         rec({recvfrom_after, K}, M:recvfrom(D, 0, nowait))
     end || K <- ?DGRAM_KINDS],
    Big = big(),
    [begin
         {_L, C, _A, _} = full_pair(M, K, X, Big),
         rec({send_select, K}, shape(M:send(C, Big, nowait), Big)),
         rec({send_close, K}, M:close(C)),
         rec({send_abort, K}, socket_msg(?LONG)),
         rec({send_after, K}, M:send(C, <<"x">>, nowait))
     end || K <- [inet, path]],
    [begin
         {_R, RA, S, _, _} = full_dgram_connected(M, K, X),
         rec({sendto_select, K}, M:sendto(S, <<"x">>, RA, nowait)),
         rec({sendto_close, K}, M:close(S)),
         rec({sendto_abort, K}, socket_msg(?LONG)),
         rec({sendto_after, K}, M:sendto(S, <<"x">>, RA, nowait))
     end || K <- [path, abstract]],
    [begin
         {_L, LA} = full_listener(M, K, X),
         C = open(M, K, stream),
         rec({connect_select, K}, M:connect(C, LA, nowait)),
         rec({connect_close, K}, M:close(C)),
         rec({connect_abort, K}, socket_msg(?LONG)),
         rec({connect_after, K}, M:connect(C, LA, nowait))
     end || K <- [inet, inet6]],
    rec(no_more_msgs, msgs(200)).

?DIFF(cancel_more,
      "Ensure that cancel/2 of recvfrom, send, sendto and connect selects is ok, no message follows, and a second cancel answers as OTP does.").
cancel_more(M, X) ->
    [begin
         {D, DA} = dgram(M, K, X),
         {B, _} = dgram(M, K, X),
         {select, SI} = rec({recvfrom_select, K}, M:recvfrom(D, 0, nowait)),
         rec({recvfrom_cancel, K}, M:cancel(D, SI)),
         ok = M:sendto(B, <<"x">>, DA),
         rec({recvfrom_no_msg, K}, msgs(200)),
         rec({recvfrom_cancel_again, K}, M:cancel(D, SI)),
         rec({recvfrom_data_kept, K}, element(2, element(2, M:recvfrom(D, 0, 0))))
     end || K <- ?DGRAM_KINDS],
    Big = big(),
    [begin
         {_L, C, A, Sent} = full_pair(M, K, X, Big),
         Sel = M:send(C, Big, nowait),
         rec({send_select, K}, shape(Sel, Big)),
         {SI, Rest} = case Sel of
                          {select, {SI0, Rest0}} when is_binary(Rest0) -> {SI0, Rest0};
                          {select, SI0} -> {SI0, Big}
                      end,
         rec({send_cancel, K}, M:cancel(C, SI)),
         W = async(fun() -> recv_all(M, A, Sent + byte_size(Big) - byte_size(Rest), <<>>) end),
         rec({send_drained, K}, is_binary(await(W))),
         rec({send_no_msg, K}, msgs(200)),
         rec({send_cancel_again, K}, M:cancel(C, SI)),
         rec({send_after_cancel, K}, M:send(C, <<"x">>, ?LONG))
     end || K <- [inet, path]],
    [begin
         {R, RA, S, _, _} = full_dgram_connected(M, K, X),
         {select, SI} = rec({sendto_select, K}, M:sendto(S, <<"x">>, RA, nowait)),
         rec({sendto_cancel, K}, M:cancel(S, SI)),
         {ok, _} = M:recvfrom(R, 0, 0),
         rec({sendto_no_msg, K}, msgs(200)),
         rec({sendto_cancel_again, K}, M:cancel(S, SI)),
         rec({sendto_after_cancel, K}, M:sendto(S, <<"x">>, RA, ?LONG))
     end || K <- [path, abstract]],
    [begin
         {L, LA} = full_listener(M, K, X),
         C = open(M, K, stream),
         {select, SI} = rec({connect_select, K}, M:connect(C, LA, nowait)),
         rec({connect_cancel, K}, M:cancel(C, SI)),
         rec({connect_cancel_again, K}, M:cancel(C, SI)),
         {ok, _} = M:accept(L, ?LONG),
         rec({connect_no_msg, K}, msgs(200)),
         rec({connect_after_cancel, K}, M:connect(C, LA, 200))
     end || K <- [inet, inet6]].

%% ===================================================================
%% Several waiters, replaced selects
%% ===================================================================

?DIFF(waiters_fifo_accept_nowait,
      "Ensure that nowait accepts of several processes are served in FIFO order: only the first gets a select message per connection.").
waiters_fifo_accept_nowait(M, X) ->
    Self = self(),
    [begin
         {L, LA} = listener(M, K, X),
         Acceptor = fun(Name) ->
                            fun() ->
                                    Self ! {Name, selected, M:accept(L, nowait)},
                                    Msg = socket_msg(?LONG),
                                    Self ! {Name, message, Msg},
                                    receive go -> ok end,
                                    Self ! {Name, accept, element(1, M:accept(L, nowait))},
                                    receive stop -> ok end
                            end
                    end,
         P1 = spawn_link(Acceptor(p1)),
         rec({p1_selected, K}, from(p1, selected, ?LONG)),
         P2 = spawn_link(Acceptor(p2)),
         rec({p2_selected, K}, from(p2, selected, ?LONG)),
         ok = M:connect(open(M, K, stream), LA),
         rec({p1_message, K}, from(p1, message, ?LONG)),
         rec({p2_no_message_yet, K}, from(p2, message, 200)),
         P1 ! go,
         rec({p1_accept, K}, from(p1, accept, ?LONG)),
         ok = M:connect(open(M, K, stream), LA),
         rec({p2_message, K}, from(p2, message, ?LONG)),
         P2 ! go,
         rec({p2_accept, K}, from(p2, accept, ?LONG)),
         P1 ! stop, P2 ! stop
     end || K <- ?STREAM_KINDS].

?DIFF(waiters_mixed_modes,
      "Ensure that a blocking recv (infinity, ms) queued ahead of a nowait recv is served first, and the nowait one gets its select message after.").
waiters_mixed_modes(M, X) ->
    [begin
         {_L, C, A} = pair(M, K, X),
         W1 = blocked(fun() -> M:recv(A, 3) end),
         W2 = blocked(fun() -> M:recv(A, 3, ?LONG) end),
         rec({nowait, K}, M:recv(A, 3, nowait)),
         ok = M:send(C, <<"aaa">>),
         rec({first, K}, await(W1)),
         ok = M:send(C, <<"bbb">>),
         rec({second, K}, await(W2)),
         ok = M:send(C, <<"ccc">>),
         rec({select_msg, K}, socket_msg(?LONG)),
         rec({third, K}, M:recv(A, 3, nowait)),
         rec({no_more_msgs, K}, msgs(200))
     end || K <- ?STREAM_KINDS].

?DIFF(recvfrom_replace_nowait,
      "Ensure that a second nowait recvfrom by the same process replaces the first as OTP does (messages included).").
recvfrom_replace_nowait(M, X) ->
    [begin
         {A, AA} = dgram(M, K, X),
         {B, _} = dgram(M, K, X),
         rec({first, K}, M:recvfrom(A, 0, nowait)),
         rec({second, K}, M:recvfrom(A, 0, make_ref())),
         rec({msgs_before_data, K}, msgs(200)),
         ok = M:sendto(B, <<"data">>, AA),
         rec({msgs_after_data, K}, msgs(300)),
         rec({recvfrom, K}, element(2, element(2, M:recvfrom(A, 0, nowait))))
     end || K <- ?DGRAM_KINDS].
