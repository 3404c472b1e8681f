%% The daemon's limits: sockets per daemon (emfile for open, accept and
%% open from a descriptor) and waiting calls per socket and kind (enomem),
%% the data waiting sends hold (enomem), configured through the
%% application environment; and the frame size,
%% which a command that cannot be split answers with enomem.
-module(sockport_limits_SUITE).

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1]).
-export([max_sockets/1, max_waiters/1, max_parked_bytes/1, frame_too_large/1,
         max_frame/1]).

suite() -> [{timetrap, {seconds, 60}}].

all() -> [max_sockets, max_waiters, max_parked_bytes, frame_too_large, max_frame].

init_per_suite(Config) ->
    Saved = application:get_all_env(sockport),
    sockport_test_lib:restart(Saved ++ [{max_sockets, 4}, {max_waiters, 3},
                                        {max_parked_bytes, 3 bsl 20}]),
    [{saved, Saved} | Config].

end_per_suite(Config) ->
    application:stop(sockport),
    sockport_test_lib:set_env(proplists:get_value(saved, Config)).

%% Four sockets, then emfile from open, accept and open/2 alike; a close
%% makes room again, and the refused connection is still in the backlog.
max_sockets(_Config) ->
    {ok, L} = sockport:open(inet, stream, tcp),
    ok = sockport:bind(L, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    ok = sockport:listen(L),
    {ok, Addr} = sockport:sockname(L),
    {ok, C} = sockport:open(inet, stream, tcp),
    ok = sockport:connect(C, Addr),
    {ok, A} = sockport:accept(L),
    {ok, U} = sockport:open(inet, dgram, udp),
    {error, emfile} = sockport:open(inet, dgram, udp),
    {ok, C2} = socket:open(inet, stream, tcp),
    ok = socket:connect(C2, Addr),
    {error, emfile} = sockport:accept(L, 1000),
    {ok, Fd} = sockport:getopt(U, {otp, fd}),
    {error, emfile} = sockport:open(Fd, #{}),
    ok = sockport:close(U),
    {ok, A2} = sockport:accept(L, 1000),
    {ok, _} = sockport:peername(A2),
    [ok = sockport:close(S) || S <- [L, C, A, A2]],
    socket:close(C2).

%% Three calls may wait to receive on one socket; the fourth is refused,
%% and sending still works (another kind).
max_waiters(_Config) ->
    {ok, U} = sockport:open(inet, dgram, udp),
    ok = sockport:bind(U, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    {ok, Addr} = sockport:sockname(U),
    Self = self(),
    Waiters = [spawn_link(fun() -> Self ! {got, sockport:recvfrom(U, 0, [], 5000)} end)
               || _ <- lists:seq(1, 3)],
    [sockport_test_lib:wait_blocked(W) || W <- Waiters],
    {error, enomem} = sockport:recvfrom(U, 0, [], 5000),
    ok = sockport:sendto(U, <<"one">>, Addr),
    {ok, {_, <<"one">>}} = receive {got, R} -> R after 5000 -> error(none) end,
    ok = sockport:close(U),
    [receive {got, {error, closed}} -> ok after 5000 -> error(W) end
     || W <- tl(Waiters)],
    ok.

%% A command whose arguments alone pass the frame cap (a 17 MiB meta
%% value, a sendmsg whose control data and iov together do) is answered
%% at once, not dropped unanswered by the daemon; the socket is unharmed.
frame_too_large(_Config) ->
    {ok, U} = sockport:open(inet, dgram, udp),
    ok = sockport:bind(U, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    {ok, Addr} = sockport:sockname(U),
    Big = binary:copy(<<"m">>, 17 bsl 20),
    ok = sockport:setopt(U, {otp, meta}, small),
    {error, enomem} = sockport:setopt(U, {otp, meta}, Big),
    {ok, small} = sockport:getopt(U, {otp, meta}),
    Ctrl = [#{level => ip, type => tos, data => binary:copy(<<0>>, 1 bsl 20)}],
    {error, enomem} = sockport:sendmsg(U, #{addr => Addr, iov => [Big], ctrl => Ctrl}),
    ok = sockport:sendto(U, <<"still">>, Addr),
    {ok, {_, <<"still">>}} = sockport:recvfrom(U, 0, [], 5000),
    ok = sockport:close(U).

%% With 3 MiB for the data of waiting sends: one 2 MiB send waits on a
%% full socket, a second one behind it would pass the limit and answers
%% enomem at once; once the first is through, its room is free again.
max_parked_bytes(_Config) ->
    {L, C, A, Sent} = sockport_test_lib:full_pair(sockport, inet, #{},
                                                  sockport_test_lib:big()),
    Two = binary:copy(<<"p">>, 2 bsl 20),
    Self = self(),
    First = spawn_link(fun() -> Self ! {first, sockport:send(C, Two)} end),
    sockport_test_lib:wait_blocked(First),
    {error, enomem} = sockport:send(C, Two, 5000),
    #{limit_hits := #{max_parked_bytes := Hits}} = sockport:daemon_info(0),
    true = Hits >= 1,
    All = sockport_test_lib:recv_all(sockport, A, Sent + byte_size(Two), <<>>),
    Two = binary:part(All, Sent, byte_size(Two)),
    ok = receive {first, R1} -> R1 after 10000 -> error(first_send_stuck) end,
    Again = spawn_link(fun() -> Self ! {again, sockport:send(C, Two)} end),
    Two = sockport_test_lib:recv_all(sockport, A, byte_size(Two), <<>>),
    ok = receive {again, R2} -> R2 after 10000 -> error({second_send_stuck, Again}) end,
    [ok = sockport:close(S) || S <- [L, C, A]],
    ok.

%% max_frame set to 1 MiB: a 3 MiB stream send goes in three frames and
%% arrives whole; a datagram that does not fit one frame is emsgsize; a
%% command that cannot be split is enomem; a frame over the cap written
%% straight to the port is dropped by the daemon, which goes on; a
%% max_frame out of range stops the application from starting.
max_frame(_Config) ->
    Env = application:get_all_env(sockport),
    sockport_test_lib:restart([{max_frame, 1 bsl 20} | Env]),
    try
        1048576 = sockport_cmd:frame_max(),
        {ok, L} = socket:open(inet, stream, tcp),
        ok = socket:bind(L, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
        ok = socket:listen(L),
        {ok, Addr} = socket:sockname(L),
        {ok, C} = sockport:open(inet, stream, tcp),
        ok = sockport:connect(C, Addr),
        {ok, A} = socket:accept(L),
        Three = crypto_free_bytes(3 bsl 20),
        Self = self(),
        spawn_link(fun() -> Self ! {sent, sockport:send(C, Three)} end),
        {ok, Three} = socket:recv(A, byte_size(Three), 10000),
        ok = receive {sent, R} -> R after 10000 -> error(send_stuck) end,
        {error, enomem} = sockport:setopt(C, {otp, meta}, binary:copy(<<"m">>, 2 bsl 20)),
        {ok, U} = sockport:open(local, dgram),
        ok = sockport:bind(U, #{family => local,
                                path => <<0, "sp-frame-", (integer_to_binary(erlang:unique_integer([positive])))/binary>>}),
        {ok, UA} = sockport:sockname(U),
        {error, emsgsize} = sockport:sendto(U, binary:copy(<<"d">>, (1 bsl 20) + 1), UA),
        {error, emsgsize} = sockport:sendmsg(U, #{addr => UA, iov => [binary:copy(<<"d">>, (1 bsl 20) + 1)]}),
        #{dropped_frames := D0} = sockport:daemon_info(0),
        true = erlang:port_command(sockport_port:port(0), binary:copy(<<0>>, (3 bsl 19))),
        true = sockport_test_lib:until(
                 fun() -> maps:get(dropped_frames, sockport:daemon_info(0)) =:= D0 + 1 end, 5000),
        ok = sockport:sendto(U, <<"alive">>, UA),
        {ok, {_, <<"alive">>}} = sockport:recvfrom(U, 0, [], 5000),
        [ok = sockport:close(S) || S <- [C, U]],
        [ok = socket:close(S) || S <- [A, L]]
    after
        sockport_test_lib:restart(Env)
    end,
    application:stop(sockport),
    application:set_env(sockport, max_frame, 100),
    {error, {{invalid, {max_frame, 100}}, _}} = application:start(sockport),
    application:unset_env(sockport, max_frame),
    sockport_test_lib:restart(Env),
    16777216 = sockport_cmd:frame_max(),
    ok.

%% Bytes that differ along the stream (not one repeated byte).
crypto_free_bytes(N) ->
    binary:part(iolist_to_binary([<<I:32>> || I <- lists:seq(1, N div 4 + 1)]), 0, N).
