%% Differential tests of datagram sockets (see sockport_diff_SUITE): sendto,
%% recvfrom, connected datagram sockets, their waits and errors.
-module(sockport_diff_dgram_SUITE).

-export([suite/0]).
%% Cases (Name/1) and their scenarios (Name/2).
-export([sendto_recvfrom/1, sendto_recvfrom/2]).
-export([dgram_connected/1, dgram_connected/2]).
-export([sendto_errors/1, sendto_errors/2]).
-export([recvfrom_blocking/1, recvfrom_blocking/2]).
-export([waiters_fifo_recvfrom/1, waiters_fifo_recvfrom/2]).
-export([sendto_full_queue/1, sendto_full_queue/2]).
-export([close_wakes_sendto/1, close_wakes_sendto/2]).

-include("sockport_diff.hrl").

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 120}}].

seed_cases() ->
    [].

diff_cases() ->
    [sendto_recvfrom, dgram_connected, sendto_errors,
     recvfrom_blocking, waiters_fifo_recvfrom, sendto_full_queue, close_wakes_sendto].

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
%% Waiting
%% ===================================================================

?DIFF(recvfrom_blocking,
      "Ensure that recvfrom/1..4 and recv on a datagram socket, waiting with infinity or a ms timeout, get a datagram that arrives in time.").
recvfrom_blocking(M, X) ->
    [begin
         {A, AA} = dgram(M, K, X),
         {B, _BA} = dgram(M, K, X),
         [begin
              W = async(fun() -> apply(M, F, [A | Args]) end),
              rec({waiting, K, F, Args}, wait_blocked(element(1, W))),
              ok = M:sendto(B, <<"dgram">>, AA),
              rec({got, K, F, Args}, await(W)),
              case lists:member([peek], Args) of
                  true -> rec({peeked_still_there, K}, M:recvfrom(A, 0, 0));
                  false -> ok
              end
          end || {F, Args} <- [{recvfrom, []}, {recvfrom, [0]}, {recvfrom, [3]},
                               {recvfrom, [0, ?LONG]}, {recvfrom, [0, [], infinity]},
                               {recvfrom, [0, [], ?LONG]}, {recvfrom, [0, [peek], ?LONG]},
                               {recv, [0]}, {recv, [0, ?LONG]}, {recv, [0, [], infinity]}]],
         rec({nothing_left, K}, M:recvfrom(A, 0, 0))
     end || K <- ?DGRAM_KINDS].

?DIFF(waiters_fifo_recvfrom,
      "Ensure that processes blocked in recvfrom on one datagram socket are served in FIFO order, one datagram each.").
waiters_fifo_recvfrom(M, X) ->
    [begin
         {A, AA} = dgram(M, K, X),
         {B, _} = dgram(M, K, X),
         Ws = [blocked(fun() -> M:recvfrom(A, 0, T) end) || T <- [infinity, ?LONG, infinity]],
         [ok = M:sendto(B, D, AA) || D <- [<<"d1">>, <<"d2">>, <<"d3">>]],
         rec({results, K}, [await(W) || W <- Ws])
     end || K <- ?DGRAM_KINDS].

?DIFF(sendto_full_queue,
      "Ensure that sendto to a full unix datagram queue times out (0, ms), and waits (infinity, ms) until the receiver takes a datagram; likewise send on a connected one.").
sendto_full_queue(M, X) ->
    [begin
         {R, RA, S, _SA, Filled} = full_dgram(M, K, X),
         rec({filled, K}, Filled),
         rec({sendto4_ms, K}, M:sendto(S, <<"late">>, RA, 200)),
         rec({sendto5_0, K}, M:sendto(S, <<"late">>, RA, [], 0)),
         [begin
              W = async(fun() -> apply(M, sendto, [S, <<"waited">>, RA | Args]) end),
              rec({waiting, K, Args}, wait_blocked(element(1, W))),
              rec({take_one, K, Args}, element(1, M:recvfrom(R, 0, 0))),
              rec({sent, K, Args}, await(W))
          end || Args <- [[], [?LONG], [infinity], [[], ?LONG], [[], infinity]]],
         rec({connect, K}, M:connect(S, RA)),
         rec({send_ms, K}, M:send(S, <<"late">>, 200)),
         W2 = async(fun() -> M:send(S, <<"waited">>, [], ?LONG) end),
         rec({send_waiting, K}, wait_blocked(element(1, W2))),
         rec({take_one_more, K}, element(1, M:recvfrom(R, 0, 0))),
         rec({send_sent, K}, await(W2)),
         %% Drain: the waited datagrams came last, in order.
         rec({tail, K}, lists:last(drain(M, R)))
     end || K <- [path, abstract]].

drain(M, R) ->
    case M:recvfrom(R, 0, 0) of
        {ok, {_, D}} -> [D | drain(M, R)];
        _ -> []
    end.

?DIFF(close_wakes_sendto,
      "Ensure that close wakes processes waiting in sendto on a full unix datagram queue as OTP does.").
close_wakes_sendto(M, X) ->
    [begin
         {_R, RA, S, _SA, _Filled} = full_dgram(M, K, X),
         W1 = blocked(fun() -> M:sendto(S, <<"w1">>, RA) end),
         W2 = blocked(fun() -> M:sendto(S, <<"w2">>, RA, 30000) end),
         rec({close, K}, M:close(S)),
         rec({waiter1, K}, await(W1)),
         rec({waiter2, K}, await(W2))
     end || K <- [path, abstract]].
