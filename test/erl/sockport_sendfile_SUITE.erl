%% Differential tests of sendfile (see sockport_diff_SUITE): offsets and
%% counts, every waiting mode, continuations under a full send buffer with
%% a slow reader, errors of sockets and files, waiters mixing send and
%% sendfile, cancel; then what only sockport has: a file the daemon cannot
%% reach, and the seed's behaviour after a timeout or cancel.
-module(sockport_sendfile_SUITE).

-export([suite/0]).
%% Cases (Name/1) and their scenarios (Name/2).
-export([sendfile_ranges/1, sendfile_ranges/2]).
-export([sendfile_bad_args/1, sendfile_bad_args/2]).
-export([sendfile_files/1, sendfile_files/2]).
-export([sendfile_socket_kinds/1, sendfile_socket_kinds/2]).
-export([sendfile_nowait_full/1, sendfile_nowait_full/2]).
-export([sendfile_blocking_full/1, sendfile_blocking_full/2]).
-export([sendfile_cont_blocking/1, sendfile_cont_blocking/2]).
-export([sendfile_timeouts/1, sendfile_timeouts/2]).
-export([sendfile_peer_close/1, sendfile_peer_close/2]).
-export([sendfile_close_socket/1, sendfile_close_socket/2]).
-export([sendfile_waiters_fifo/1, sendfile_waiters_fifo/2]).
-export([sendfile_queued_nowait/1, sendfile_queued_nowait/2]).
-export([sendfile_cancel/1, sendfile_cancel/2]).
-export([sendfile_cancel_cont/1, sendfile_cancel_cont/2]).
-export([sendfile_connecting/1, sendfile_connecting/2]).
-export([readme_sendfile/1, readme_sendfile/2]).
-export([sendfile_counters/1, sendfile_counters/2]).
-export([sendfile_error_fails_waiters/1, sendfile_error_fails_waiters/2]).
-export([seed_sendfile_after_timeout/1]).
-export([seed_sendfile_after_cancel/1]).
-export([sendfile_unreachable_fd/1]).
-export([sendfile_other_user/1]).

-include_lib("kernel/include/file.hrl").
-include("sockport_diff.hrl").

-define(MiB, (1 bsl 20)).
%% Socket buffers of the full pairs (the kernel doubles them).
-define(BUF, 65536).

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 180}}].

diff_cases() ->
    [sendfile_ranges, sendfile_bad_args, sendfile_files, sendfile_socket_kinds,
     sendfile_nowait_full, sendfile_blocking_full, sendfile_cont_blocking,
     sendfile_timeouts, sendfile_peer_close, sendfile_close_socket,
     sendfile_waiters_fifo, sendfile_queued_nowait, sendfile_cancel,
     sendfile_cancel_cont, sendfile_connecting, readme_sendfile,
     sendfile_counters, sendfile_error_fails_waiters].

seed_cases() ->
    [seed_sendfile_after_timeout, seed_sendfile_after_cancel,
     sendfile_unreachable_fd, sendfile_other_user].

%% ===================================================================
%% Helpers
%% ===================================================================

%% N bytes that differ at every offset (SHA-256 of a counter, block after
%% block), so that a byte from the wrong place shows.
content(N) ->
    Blocks = (N + 31) div 32,
    Bin = << <<(crypto:hash(sha256, <<I:32>>))/binary>>
             || I <- lists:seq(1, Blocks) >>,
    binary:part(Bin, 0, N).

%% A file in the scenario's temp dir; its path and its bytes.
mkfile(#{tmp := Tmp}, Name, Data) ->
    Path = <<Tmp/binary, "/", Name/binary>>,
    ok = file:write_file(Path, Data),
    Path.

raw(Path) ->
    {ok, F} = file:open(Path, [raw, read, binary]),
    F.

%% The bytes sendfile(S, F, Offset, Count) sends from Data.
slice(_Data, Offset, _Count) when Offset < 0 ->
    <<>>;
slice(Data, Offset, Count) ->
    Start = min(Offset, byte_size(Data)),
    Avail = byte_size(Data) - Start,
    binary:part(Data, Start, case Count of 0 -> Avail; _ -> min(Count, Avail) end).

%% A result with its byte counts (which depend on the kernel's buffers)
%% replaced by `bytes`.
sfshape({select, {SI, N}}) when is_integer(N), N >= 0 -> {select, {SI, bytes}};
sfshape({error, {R, N}}) when is_integer(N), N >= 0 -> {error, {R, bytes}};
sfshape(Other) -> Other.

%% Continues a nowait sendfile until it ends: after each select message
%% the continuation with what is left (each with a handle of its own).
%% {Final, BytesSentInTotal}.
finish(M, C, {select, {{select_info, sendfile, H} = SI, N}}, Off, Cnt, Acc) ->
    receive
        {'$socket', C, select, H} ->
            Cnt1 = case Cnt of 0 -> 0; _ -> Cnt - N end,
            R = M:sendfile(C, SI, Off + N, Cnt1, make_ref()),
            finish(M, C, R, Off + N, Cnt1, Acc + N)
    after ?LONG ->
            {no_select_message, Acc + N}
    end;
finish(_M, _C, {ok, N}, _Off, _Cnt, Acc) ->
    {ok, Acc + N};
finish(_M, _C, Other, _Off, _Cnt, Acc) ->
    {Other, Acc}.

%% ===================================================================
%% Ranges and modes with room in the buffers
%% ===================================================================

?DIFF(sendfile_ranges,
      "Ensure that sendfile/2,3,4,5 send the bytes of Offset and Count (0: to the end), beyond the end nothing, a negative offset einval, in every waiting mode.").
sendfile_ranges(M, X) ->
    Data = content(100000),
    Path = mkfile(X, <<"f">>, Data),
    [begin
         {_L, C, A} = pair(M, K, X),
         F = raw(Path),
         [begin
              R = rec({K, Args}, apply(M, sendfile, [C, F | Args])),
              {Off, Cnt} = case Args of
                               [_, _ | _] -> {hd(Args), hd(tl(Args))};
                               _ -> {0, 0}
                           end,
              Exp = case R of
                        {ok, _} -> slice(Data, Off, Cnt);
                        {select, {_, _}} -> slice(Data, Off, Cnt);
                        _ -> <<>>
                    end,
              case Exp of
                  <<>> -> ok;
                  _ -> rec({K, Args, data}, recv_all(M, A, byte_size(Exp), <<>>) =:= Exp)
              end
          end || Args <- [[], [?LONG], [infinity], [0, 10], [99990, 100],
                          [100000, 5], [200000, 0], [200000, 10], [5, 0],
                          [0, (1 bsl 64) - 1], [99999, 1 bsl 63],
                          [-1, 0], [-1, 10], [0, 1 bsl 40], [12345, 1],
                          [50000, 0, ?LONG], [7, 3, infinity], [99999, 1, 0],
                          [3, 4, nowait], [70000, 0, nowait],
                          [20, 30, make_ref()], [(1 bsl 63) - 1, 10],
                          [-(1 bsl 63), 10, nowait]]],
         rec({K, nothing_more}, M:recv(A, 0, 100)),
         ok = file:close(F)
     end || K <- ?STREAM_KINDS].

?DIFF(sendfile_bad_args,
      "Ensure that sendfile with bad sockets, files, offsets, counts, timeouts and continuations fails as socket's does.").
sendfile_bad_args(M, X) ->
    Path = mkfile(X, <<"f">>, content(1000)),
    {_L, C, A} = pair(M, inet, X),
    F = raw(Path),
    call(bad_socket, fun() -> M:sendfile(foo, F) end),
    call(bad_socket5, fun() -> M:sendfile({'$socket', foo}, F, 0, 0, infinity) end),
    call(bad_file, fun() -> M:sendfile(C, foo) end),
    call(bad_file_tuple, fun() -> M:sendfile(C, {file_descriptor, nomod, x}, 0, 1) end),
    {ok, IoServer} = file:open(Path, [read]),
    call(not_raw, fun() -> M:sendfile(C, IoServer) end),
    call(float_offset, fun() -> M:sendfile(C, F, 0.5, 10) end),
    call(negative_count, fun() -> M:sendfile(C, F, 0, -1) end),
    call(atom_count, fun() -> M:sendfile(C, F, 0, all) end),
    call(bad_timeout, fun() -> M:sendfile(C, F, 0, 10, foo) end),
    call(negative_timeout, fun() -> M:sendfile(C, F, 0, 10, -1) end),
    call(float_timeout3, fun() -> M:sendfile(C, F, 1.5) end),
    call(offset_high_nowait, fun() -> M:sendfile(C, F, 1 bsl 63, 10, nowait) end),
    call(offset_low_nowait, fun() -> M:sendfile(C, F, -(1 bsl 63) - 1, 10, nowait) end),
    call(count_high_nowait, fun() -> M:sendfile(C, F, 0, 1 bsl 64, make_ref()) end),
    call(offset_high, fun() -> M:sendfile(C, F, 1 bsl 63, 10) end),
    call(count_high_timeout, fun() -> M:sendfile(C, F, 0, 1 bsl 64, 1000) end),
    call(cont_recv_tag, fun() -> M:sendfile(C, {select_info, recv, make_ref()}, 0, 10) end),
    call(cont_send_tag, fun() -> M:sendfile(C, {select_info, {send, 0}, make_ref()}, 0, 10, nowait) end),
    call(cont_bad_info, fun() -> M:sendfile(C, {select_info, sendfile}, 0, 10) end),
    call(cont_nothing, fun() -> M:sendfile(C, {select_info, sendfile, make_ref()}, 0, 10) end),
    call(cont_nothing_nowait, fun() -> M:sendfile(C, {select_info, sendfile, make_ref()}, 0, 10, nowait) end),
    call(cont_nothing_zero, fun() -> M:sendfile(C, {select_info, sendfile, make_ref()}, 0, 10, 0) end),
    call(cont_range, fun() -> M:sendfile(C, {select_info, sendfile, make_ref()}, 0, 1 bsl 64, nowait) end),
    call(tag_no_ref, fun() -> M:sendfile(C, {select_info, {sendfile, foo}, make_ref()}, 0, 10) end),
    call(tag_no_ref_range, fun() -> M:sendfile(C, {select_info, {sendfile, foo}, make_ref()}, 0, 1 bsl 64, nowait) end),
    call(tag_no_file, fun() -> M:sendfile(C, {select_info, {sendfile, make_ref()}, make_ref()}, 0, 10) end),
    call(tag_no_file_nowait, fun() -> M:sendfile(C, {select_info, {sendfile, make_ref()}, make_ref()}, 0, 10, nowait) end),
    rec(nothing_sent, M:recv(A, 0, 100)),
    ok = M:close(C),
    call(closed_socket, fun() -> M:sendfile(C, F, 0, 10) end),
    call(closed_socket_nowait, fun() -> M:sendfile(C, F, 0, 10, nowait) end),
    call(closed_socket_cont, fun() -> M:sendfile(C, {select_info, sendfile, make_ref()}, 0, 10, ?LONG) end),
    call(closed_socket_cont_nowait, fun() -> M:sendfile(C, {select_info, sendfile, make_ref()}, 0, 10, nowait) end),
    call(closed_socket_range, fun() -> M:sendfile(C, F, 0, 1 bsl 64, 100) end),
    call(closed_socket_bad_timeout, fun() -> M:sendfile(C, F, 0, 1, x) end),
    ok = file:close(F),
    call(closed_socket_closed_file, fun() -> M:sendfile(C, F, 0, 10) end).

?DIFF(sendfile_files,
      "Ensure that sendfile takes raw files in binary and list mode, refuses compressed, write-only and closed ones, and another process's file, as socket's does.").
sendfile_files(M, X) ->
    Data = content(5000),
    Path = mkfile(X, <<"f">>, Data),
    {_L, C, A} = pair(M, inet, X),
    {ok, List} = file:open(Path, [raw, read]),
    call(list_mode, fun() -> M:sendfile(C, List, 0, 10) end),
    {ok, RW} = file:open(Path, [raw, read, write, binary]),
    call(read_write, fun() -> M:sendfile(C, RW, 10, 10) end),
    {ok, RA} = file:open(Path, [raw, read, binary, {read_ahead, 4096}]),
    {ok, _} = file:read(RA, 3),
    call(read_ahead, fun() -> M:sendfile(C, RA, 20, 10) end),
    rec(received, recv_all(M, A, 30, <<>>) =:= binary:part(Data, 0, 30)),
    {ok, Z} = file:open(Path, [raw, read, compressed]),
    call(compressed, fun() -> M:sendfile(C, Z) end),
    {ok, W} = file:open(<<Path/binary, "w">>, [raw, write, binary]),
    call(write_only, fun() -> M:sendfile(C, W, 0, 10) end),
    call(write_only_nowait, fun() -> M:sendfile(C, W, 0, 10, nowait) end),
    F = raw(Path),
    FRef = prim_file:internal_get_nif_resource(F),
    call(other_process, fun() -> await(async(fun() -> M:sendfile(C, F, 0, 10) end)) end),
    %% a select tag's file resource works from any process
    call(tag_other_process,
         fun() -> await(async(fun() -> M:sendfile(C, {select_info, {sendfile, FRef}, make_ref()}, 40, 5) end)) end),
    rec(received_tag, recv_all(M, A, 5, <<>>) =:= binary:part(Data, 40, 5)),
    ok = file:close(F),
    call(closed_file, fun() -> M:sendfile(C, F, 0, 10) end),
    call(closed_file_nowait, fun() -> M:sendfile(C, F, 0, 10, nowait) end),
    call(closed_file_tag, fun() -> M:sendfile(C, {select_info, {sendfile, FRef}, make_ref()}, 0, 10, 100) end),
    %% a file that was deleted is still the open file
    G = raw(Path),
    ok = file:delete(Path),
    call(deleted, fun() -> M:sendfile(C, G, 100, 20) end),
    rec(received_deleted, recv_all(M, A, 20, <<>>) =:= binary:part(Data, 100, 20)),
    rec(nothing_more, M:recv(A, 0, 100)).

?DIFF(sendfile_socket_kinds,
      "Ensure that sendfile on datagram, listening, unconnected and shut down sockets gives socket's results.").
sendfile_socket_kinds(M, X) ->
    Data = content(100000),
    Path = mkfile(X, <<"f">>, Data),
    F = raw(Path),
    [begin
         {D, _} = dgram(M, K, X),
         rec({dgram_unconnected, K}, M:sendfile(D, F, 0, 10)),
         {R, RA} = dgram(M, K, X),
         ok = M:connect(D, RA),
         rec({dgram_connected, K}, M:sendfile(D, F, 0, 10)),
         rec({dgram_received, K}, M:recv(R, 0, ?LONG) =:= {ok, binary:part(Data, 0, 10)}),
         rec({dgram_too_big, K}, M:sendfile(D, F, 0, 0)),
         rec({dgram_nothing_more, K}, M:recv(R, 0, 100))
     end || K <- [inet, inet6]],
    [begin
         {L, _} = listener(M, K, X),
         rec({listening, K}, M:sendfile(L, F, 0, 10)),
         U = open(M, K, stream),
         rec({unconnected, K}, M:sendfile(U, F, 0, 10, nowait)),
         {_L, C, _A} = pair(M, K, X),
         ok = M:shutdown(C, write),
         rec({shut_down, K}, M:sendfile(C, F, 0, 10))
     end || K <- ?STREAM_KINDS].

%% ===================================================================
%% A full send buffer
%% ===================================================================

?DIFF(sendfile_nowait_full,
      "Ensure that a nowait sendfile on a full buffer selects, and its continuations after each select message, with a slow reader, send exactly the range.").
sendfile_nowait_full(M, X) ->
    Data = content(3 * ?MiB),
    Path = mkfile(X, <<"f">>, Data),
    [begin
         {_L, C, A, Sent} = full(M, K, X),
         F = raw(Path),
         R = M:sendfile(C, F, Off, Cnt, nowait),
         rec({first, K, Off, Cnt}, sfshape(R)),
         Exp = slice(Data, Off, Cnt),
         Reader = async(fun() -> slow_drain(M, A, Sent, byte_size(Exp)) end),
         rec({final, K, Off, Cnt}, finish(M, C, R, Off, Cnt, 0)),
         rec({data, K, Off, Cnt}, await(Reader) =:= Exp),
         rec({no_msgs, K, Off, Cnt}, msgs(100))
     end || K <- [inet, path], {Off, Cnt} <- [{100, 2 * ?MiB}, {?MiB + 7, 0}]].

%% Reads Skip + Len bytes in small pieces with pauses (a slow reader, so
%% that the sender waits several times); the Len bytes after Skip.
slow_drain(M, A, Skip, Len) ->
    slow_drain(M, A, Skip + Len, Skip, []).

slow_drain(_M, _A, 0, Skip, Acc) ->
    All = iolist_to_binary(lists:reverse(Acc)),
    binary:part(All, Skip, byte_size(All) - Skip);
slow_drain(M, A, Left, Skip, Acc) ->
    case M:recv(A, min(Left, 65536), ?LONG) of
        {ok, B} ->
            timer:sleep(1),
            slow_drain(M, A, Left - byte_size(B), Skip, [B | Acc]);
        Other ->
            Other
    end.

%% A connected pair {Listener, Client, Accepted, Sent} whose buffers have
%% a fixed size (no autotuning, so that reading them empty makes the
%% client writable again for sure) and whose client's buffer is full:
%% Sent bytes are in flight.
full(M, K, X) ->
    L = open(M, K, stream),
    ok = M:setopt(L, {socket, rcvbuf}, ?BUF),
    ok = M:bind(L, addr(K, X)),
    ok = M:listen(L),
    {ok, LA} = M:sockname(L),
    C = open(M, K, stream),
    ok = M:setopt(C, {socket, sndbuf}, ?BUF),
    ok = M:connect(C, LA),
    {ok, A} = M:accept(L, ?LONG),
    {L, C, A, fill(M, C, 0)}.

%% Makes a drained pair full again; what full/3 says in flight.
refill(M, C) ->
    fill(M, C, 0).

%% Sends with timeout 0 until a send writes nothing twice, 50 ms apart.
fill(M, C, Sent) ->
    fill(M, C, Sent, false).

fill(M, C, Sent, Again) ->
    Big = binary:copy(<<"full">>, 1 bsl 18),
    case M:send(C, Big, 0) of
        {error, {timeout, Rest}} ->
            fill(M, C, Sent + byte_size(Big) - byte_size(Rest), false);
        {error, timeout} when Again ->
            Sent;
        {error, timeout} ->
            timer:sleep(50),
            fill(M, C, Sent, true)
    end.

?DIFF(sendfile_blocking_full,
      "Ensure that a sendfile waiting on a full buffer (infinity, ms, sendfile/2,3,4) completes when the peer reads, with every byte of the range.").
sendfile_blocking_full(M, X) ->
    Data = content(?MiB),
    Path = mkfile(X, <<"f">>, Data),
    [begin
         [begin
              {_L, C, A, Sent} = full(M, K, X),
              W = async(fun() ->
                                F = raw(Path),
                                apply(M, sendfile, [C, F | Args])
                        end),
              rec({waiting, K, Args}, wait_blocked(element(1, W))),
              {Off, Cnt} = case Args of
                               [O, N | _] -> {O, N};
                               _ -> {0, 0}
                           end,
              Exp = slice(Data, Off, Cnt),
              Got = slow_drain(M, A, Sent, byte_size(Exp)),
              rec({result, K, Args}, await(W)),
              rec({data, K, Args}, Got =:= Exp)
          end || Args <- [[], [infinity], [?LONG], [5, 700000],
                          [1000, 0, infinity], [3, 500000, ?LONG]]]
     end || K <- [inet, path]].

?DIFF(sendfile_cont_blocking,
      "Ensure that a sendfile continued with infinity or a timeout after a nowait select completes the range when the peer reads.").
sendfile_cont_blocking(M, X) ->
    Data = content(2 * ?MiB),
    Path = mkfile(X, <<"f">>, Data),
    [begin
         [begin
              {_L, C, A, Sent} = full(M, K, X),
              F = raw(Path),
              Cnt = 1500000,
              R = M:sendfile(C, F, 10, Cnt, nowait),
              rec({first, K, T}, sfshape(R)),
              {select, {SI, N}} = R,
              Reader = async(fun() -> slow_drain(M, A, Sent, Cnt) end),
              rec({select_msg, K, T}, sfshape(msg(?LONG))),
              R2 = M:sendfile(C, SI, 10 + N, Cnt - N, T),
              rec({cont, K, T}, case R2 of
                                    {ok, N2} -> {ok, N + N2 =:= Cnt};
                                    Other -> Other
                                end),
              rec({data, K, T}, await(Reader) =:= slice(Data, 10, Cnt))
          end || T <- [infinity, ?LONG]]
     end || K <- [inet, path]].

?DIFF(sendfile_timeouts,
      "Ensure that a timed sendfile on a full buffer (ms, 0, and a timed continuation) times out with the bytes it sent.").
sendfile_timeouts(M, X) ->
    Path = mkfile(X, <<"f">>, content(?MiB)),
    %% OTP 25 keeps a timed-out sendfile's file (no later sendfile on that
    %% socket works), so each case has a pair of its own.
    [begin
         [begin
              {_L, C, _A, _} = full(M, K, X),
              F = raw(Path),
              rec({timed, K, Args}, sfshape(apply(M, sendfile, [C, F | Args])))
          end || Args <- [[0, 0, 300], [0, 0, 0], [5, 10, 200], [300]]],
         %% a continuation that times out, after the reader took all
         {_L, C, A, Sent} = full(M, K, X),
         F = raw(Path),
         R = M:sendfile(C, F, 0, 0, nowait),
         rec({nowait, K}, sfshape(R)),
         {select, {SI, N}} = R,
         rec({drained, K}, byte_size(recv_all(M, A, Sent + N, <<>>)) >= Sent + N),
         rec({select_msg, K}, sfshape(msg(?LONG))),
         rec({cont_timed, K}, sfshape(M:sendfile(C, SI, N, 0, 300)))
     end || K <- [inet, path]].

?DIFF(sendfile_peer_close,
      "Ensure that a sendfile waiting on a full buffer (infinity, nowait) learns of a peer that closes as socket's does.").
sendfile_peer_close(M, X) ->
    Path = mkfile(X, <<"f">>, content(?MiB)),
    [begin
         {_L, C, A, _} = full(M, K, X),
         W = async(fun() -> sfshape(M:sendfile(C, raw(Path))) end),
         rec({waiting, K}, wait_blocked(element(1, W))),
         ok = M:close(A),
         rec({blocking, K}, await(W)),
         {_L2, C2, A2, _} = full(M, K, X),
         F = raw(Path),
         R = M:sendfile(C2, F, 0, 0, nowait),
         rec({nowait, K}, sfshape(R)),
         ok = M:close(A2),
         rec({select_msg, K}, sfshape(msg(?LONG))),
         {select, {SI, N}} = R,
         rec({cont, K}, M:sendfile(C2, SI, N, 0, nowait))
     end || K <- [inet, path]].

?DIFF(sendfile_close_socket,
      "Ensure that closing the socket ends waiting sendfiles: the started one with its bytes, the queued one with closed, a nowait one with an abort message.").
sendfile_close_socket(M, X) ->
    Path = mkfile(X, <<"f">>, content(?MiB)),
    [begin
         {_L, C, _A, _} = full(M, K, X),
         W1 = async(fun() -> sfshape(M:sendfile(C, raw(Path))) end),
         rec({blocked1, K}, wait_blocked(element(1, W1))),
         W2 = async(fun() -> sfshape(M:sendfile(C, raw(Path), 0, 0, 30000)) end),
         rec({blocked2, K}, wait_blocked(element(1, W2))),
         rec({close, K}, M:close(C)),
         rec({waiter1, K}, await(W1)),
         rec({waiter2, K}, await(W2)),
         {_L2, C2, _A2, _} = full(M, K, X),
         rec({nowait, K}, sfshape(M:sendfile(C2, raw(Path), 0, 0, nowait))),
         rec({close2, K}, M:close(C2)),
         rec({abort_msg, K}, msg(?LONG)),
         rec({no_more_msgs, K}, msgs(100))
     end || K <- [inet, path]].

%% ===================================================================
%% Several writers
%% ===================================================================

?DIFF(sendfile_waiters_fifo,
      "Ensure that waiting send and sendfile calls on one socket are served in FIFO order, each whole.").
sendfile_waiters_fifo(M, X) ->
    Size = ?MiB,
    PathB = mkfile(X, <<"b">>, binary:copy(<<$B>>, Size)),
    PathD = mkfile(X, <<"d">>, binary:copy(<<$D>>, Size)),
    [begin
         {_L, C, A, Sent} = full(M, K, X),
         Ws = [begin
                   W = async(F),
                   wait_blocked(element(1, W)),
                   W
               end || F <- [fun() -> M:send(C, binary:copy(<<$A>>, Size)) end,
                            fun() -> M:sendfile(C, raw(PathB)) end,
                            fun() -> M:send(C, binary:copy(<<$C>>, Size), ?LONG) end,
                            fun() -> M:sendfile(C, raw(PathD), 0, 0, ?LONG) end,
                            fun() -> M:send(C, binary:copy(<<$E>>, Size), infinity) end]],
         All = recv_all(M, A, Sent + 5 * Size, <<>>),
         rec({results, K}, [await(W) || W <- Ws]),
         <<_:Sent/binary, Tail/binary>> = All,
         rec({order, K}, runs(Tail))
     end || K <- [inet, path]].

?DIFF(sendfile_error_fails_waiters,
      "Ensure that when a waiting sendfile fails (the peer closed), the writers waiting behind it fail with its reason, as socket's do.").
sendfile_error_fails_waiters(M, X) ->
    Path = mkfile(X, <<"f">>, content(?MiB)),
    [begin
         {_L, C, A, _} = full(M, K, X),
         W1 = async(fun() -> sfshape(M:sendfile(C, raw(Path))) end),
         rec({blocked1, K}, wait_blocked(element(1, W1))),
         W2 = async(fun() -> M:send(C, <<"x">>) end),
         rec({blocked2, K}, wait_blocked(element(1, W2))),
         W3 = async(fun() -> M:sendfile(C, raw(Path), 0, 10, ?LONG) end),
         rec({blocked3, K}, wait_blocked(element(1, W3))),
         rec({queued_nowait, K}, M:send(C, <<"y">>, nowait)),
         ok = M:close(A),
         rec({sendfile, K}, await(W1)),
         rec({send, K}, await(W2)),
         rec({queued_sendfile, K}, await(W3)),
         rec({abort_msg, K}, msg(?LONG)),
         rec({no_more_msgs, K}, msgs(100))
     end || K <- [inet, path]].

?DIFF(sendfile_queued_nowait,
      "Ensure that a nowait sendfile behind another writer selects with {sendfile, File}, gets its select message in turn, and starts when called again with that select info.").
sendfile_queued_nowait(M, X) ->
    Size = ?MiB,
    PathB = mkfile(X, <<"b">>, binary:copy(<<$B>>, Size)),
    [begin
         {_L, C, A, Sent} = full(M, K, X),
         W = async(fun() -> M:send(C, binary:copy(<<$A>>, Size)) end),
         rec({blocked, K}, wait_blocked(element(1, W))),
         F = raw(PathB),
         R = rec({queued, K}, M:sendfile(C, F, 0, 0, nowait)),
         rec({no_msg_yet, K}, msgs(200)),
         Reader = async(fun() -> recv_all(M, A, Sent + 2 * Size, <<>>) end),
         rec({send_done, K}, await(W)),
         rec({select_msg, K}, msg(?LONG)),
         {select, SI} = R,
         R2 = M:sendfile(C, SI, 0, 0, nowait),
         rec({started, K}, case R2 of
                               {ok, _} -> ok;
                               _ -> sfshape(R2)
                           end),
         rec({final, K}, finish(M, C, R2, 0, 0, 0)),
         All = await(Reader),
         <<_:Sent/binary, Tail/binary>> = All,
         rec({order, K}, runs(Tail))
     end || K <- [inet, path]].

?DIFF(sendfile_cancel,
      "Ensure that cancel/2 ends a started nowait sendfile and a queued one, the next writer then goes on, and no message stays behind.").
sendfile_cancel(M, X) ->
    Data = content(?MiB),
    Path = mkfile(X, <<"f">>, Data),
    [begin
         {_L, C, A, Sent} = full(M, K, X),
         F = raw(Path),
         R = M:sendfile(C, F, 0, 0, nowait),
         rec({started, K}, sfshape(R)),
         {select, {SI, N}} = R,
         W = async(fun() -> M:send(C, <<"after">>) end),
         rec({blocked, K}, wait_blocked(element(1, W))),
         rec({cancel, K}, M:cancel(C, SI)),
         rec({cancel_again, K}, M:cancel(C, SI)),
         All = recv_all(M, A, Sent + N + 5, <<>>),
         rec({send_after_cancel, K}, await(W)),
         rec({data, K}, binary:part(All, Sent, N + 5) =:=
                            <<(binary:part(Data, 0, N))/binary, "after">>),
         rec({no_msgs, K}, msgs(200)),
         %% a queued one
         Sent2 = refill(M, C),
         W2 = async(fun() -> M:send(C, <<"first">>) end),
         rec({blocked2, K}, wait_blocked(element(1, W2))),
         G = raw(Path),
         R2 = rec({queued, K}, M:sendfile(C, G, 0, 0, nowait)),
         {select, SI2} = R2,
         rec({cancel_queued, K}, M:cancel(C, SI2)),
         All2 = recv_all(M, A, Sent2 + 5, <<>>),
         rec({first_sent, K}, await(W2)),
         rec({data2, K}, binary:part(All2, Sent2, 5)),
         rec({no_msgs2, K}, msgs(200)),
         rec({nothing_more, K}, M:recv(A, 0, 200))
     end || K <- [inet, path]].

?DIFF(sendfile_cancel_cont,
      "Ensure that cancel/2 ends a sendfile continuation, and what both calls sent is the start of the range, also after the file was closed.").
sendfile_cancel_cont(M, X) ->
    Data = content(4 * ?MiB),
    Path = mkfile(X, <<"f">>, Data),
    [begin
         {_L, C, A, Sent} = full(M, K, X),
         F = raw(Path),
         R = M:sendfile(C, F, 64, 0, nowait),
         rec({first, K}, sfshape(R)),
         {select, {SI, N}} = R,
         %% the continuation reads the file the first call opened
         ok = file:close(F),
         All1 = recv_all(M, A, Sent + N, <<>>),
         rec({select_msg, K}, sfshape(msg(?LONG))),
         R2 = M:sendfile(C, SI, 64 + N, 0, nowait),
         rec({cont, K}, sfshape(R2)),
         {select, {SI2, N2}} = R2,
         rec({cancel, K}, M:cancel(C, SI2)),
         rec({cancel_first, K}, M:cancel(C, SI)),
         Left = Sent + N + N2 - byte_size(All1),
         All = <<All1/binary, (recv_all(M, A, Left, <<>>))/binary>>,
         rec({data, K}, binary:part(All, Sent, N + N2) =:= binary:part(Data, 64, N + N2)),
         rec({nothing_more, K}, M:recv(A, 0, 200)),
         rec({no_msgs, K}, msgs(100))
     end || K <- [inet, path]].

?DIFF(sendfile_connecting,
      "Ensure that sendfile on a socket whose connect is in progress fails with {invalid, state}.").
sendfile_connecting(M, X) ->
    Path = mkfile(X, <<"f">>, content(100)),
    F = raw(Path),
    [begin
         {_L, LA} = full_listener(M, K, X),
         C = open(M, K, stream),
         rec({connect, K}, M:connect(C, LA, nowait)),
         call({sendfile_nowait, K}, fun() -> M:sendfile(C, F, 0, 10, nowait) end),
         call({sendfile, K}, fun() -> M:sendfile(C, F, 0, 10, 1000) end),
         call({cont, K}, fun() -> M:sendfile(C, {select_info, sendfile, make_ref()}, 0, 10, nowait) end),
         ok = M:close(C)
     end || K <- [inet, inet6]].

?DIFF(readme_sendfile,
      "Ensure that the README's sendfile example runs as written.").
readme_sendfile(M, X) ->
    Data = content(3 * ?MiB),
    Path = mkfile(X, <<"big.iso">>, Data),
    {_L, C, A, Sent} = full(M, inet, X),
    Reader = async(fun() -> slow_drain(M, A, Sent, 2 * byte_size(Data) + 100) end),
    %% the README's example, with M for sockport and Path for "big.iso"
    {ok, F} = file:open(Path, [raw, read, binary]),
    {ok, Size} = M:sendfile(C, F),                     % the whole file
    {ok, 100} = M:sendfile(C, F, 4096, 100),           % 100 bytes from 4096
    Loop = fun Loop({select, {{select_info, _, Handle} = SelectInfo, Sent1}}, Off) ->
                   receive {'$socket', C, select, Handle} -> ok end,
                   Loop(M:sendfile(C, SelectInfo, Off + Sent1, 0, nowait),
                        Off + Sent1);
               Loop({ok, Sent1}, Off) ->
                   {ok, Off + Sent1}
           end,
    {ok, Size} = Loop(M:sendfile(C, F, 0, 0, nowait), 0),
    rec(size, Size),
    rec(data, await(Reader) =:= <<Data/binary, (binary:part(Data, 4096, 100))/binary,
                                  Data/binary>>).

?DIFF(sendfile_counters,
      "Ensure that info/1's sendfile and write counters after known sendfiles (one at a time, failing ones, one that waits many times) are socket's.").
sendfile_counters(M, X) ->
    Path = mkfile(X, <<"f">>, content(?MiB)),
    Keys = fun(Prefixes, Cs) ->
                   maps:filter(fun(Key, _) ->
                                       lists:any(fun(P) -> lists:prefix(P, atom_to_list(Key)) end,
                                                 Prefixes)
                               end, Cs)
           end,
    [begin
         {_L, C, A} = pair(M, K, X),
         F = raw(Path),
         rec({results, K},
             [M:sendfile(C, F, 0, 10), M:sendfile(C, F, ?MiB - 1000, 0),
              M:sendfile(C, F, -1, 5), M:sendfile(C, F, 2 * ?MiB, 0),
              M:sendfile(C, F, 50, 100, nowait), M:sendfile(C, F, 7, 3, 0)]),
         rec({received, K}, byte_size(recv_all(M, A, 1113, <<>>))),
         ok = file:close(F),
         rec({closed_file, K}, M:sendfile(C, F, 0, 10)),
         rec({counters, K}, Keys(["sendfile", "write"], maps:get(counters, M:info(C)))),
         %% one call that waits many times: one try, its bytes in max
         {_L2, C2, A2, Sent} = full(M, K, X),
         W = async(fun() -> M:sendfile(C2, raw(Path), 0, 700000) end),
         rec({waiting, K}, wait_blocked(element(1, W))),
         rec({drained, K}, slow_drain(M, A2, Sent, 700000) =:= slice(content(?MiB), 0, 700000)),
         rec({waited, K}, await(W)),
         rec({counters_waited, K},
             maps:with([sendfile_tries, sendfile_byte, sendfile_max, sendfile_fails],
                       maps:get(counters, M:info(C2))))
     end || K <- [inet, path]].

%% ===================================================================
%% sockport only
%% ===================================================================

%% OTP 25 keeps the file of a sendfile that timed out or was cancelled,
%% so every later sendfile on the socket fails with {invalid, state}; the
%% seed's cancel/2 and timeouts end the call, and sockport closes the
%% file with it (README, "Differences from socket").
-spec seed_sendfile_after_timeout(list()) -> ok.
seed_sendfile_after_timeout(Config) ->
    doc("Ensure that after a sendfile timed out on a full buffer, the next sendfile on the socket works."),
    Mod = proplists:get_value(mod, Config),
    [{timed_out, {error, {timeout, bytes}}},
     {next, {ok, 10}},
     {data, true}] = run(fun seed_after_timeout/2, Mod),
    ok.

seed_after_timeout(M, X) ->
    Data = content(?MiB),
    Path = mkfile(X, <<"f">>, Data),
    {_L, C, A, Sent} = full(M, inet, X),
    F = raw(Path),
    R = M:sendfile(C, F, 0, 0, 200),
    rec(timed_out, sfshape(R)),
    {error, {timeout, N}} = R,
    _ = recv_all(M, A, Sent + N, <<>>),
    rec(next, M:sendfile(C, F, 5, 10, ?LONG)),
    rec(data, recv_all(M, A, 10, <<>>) =:= binary:part(Data, 5, 10)).

-spec seed_sendfile_after_cancel(list()) -> ok.
seed_sendfile_after_cancel(Config) ->
    doc("Ensure that after a started nowait sendfile was cancelled, the next sendfile on the socket works."),
    Mod = proplists:get_value(mod, Config),
    [{started, {select, {{select_info, sendfile, {ref, 1}}, bytes}}},
     {cancel, ok},
     {next, {ok, 10}},
     {data, true}] = run(fun seed_after_cancel/2, Mod),
    ok.

seed_after_cancel(M, X) ->
    Data = content(?MiB),
    Path = mkfile(X, <<"f">>, Data),
    {_L, C, A, Sent} = full(M, inet, X),
    F = raw(Path),
    R = M:sendfile(C, F, 0, 0, nowait),
    rec(started, sfshape(R)),
    {select, {SI, N}} = R,
    rec(cancel, M:cancel(C, SI)),
    _ = recv_all(M, A, Sent + N, <<>>),
    rec(next, M:sendfile(C, F, 5, 10, ?LONG)),
    rec(data, recv_all(M, A, 10, <<>>) =:= binary:part(Data, 5, 10)).

%% The daemon opens /proc/<VM pid>/fd/<n> and checks the file's device
%% and inode: a descriptor the VM does not have, or one that is another
%% file than the VM says, is {error, ebadf}, and nothing is sent.
-spec sendfile_unreachable_fd(list()) -> ok.
sendfile_unreachable_fd(_Config) ->
    doc("Ensure that SENDFILE for a descriptor the VM does not have, or for another file than the one named, answers ebadf and sends nothing."),
    Tmp = sockport_test_lib:mktemp(),
    try unreachable_fd(Tmp)
    after sockport_test_lib:rmtemp(Tmp)
    end.

unreachable_fd(Tmp) ->
    X = #{tmp => Tmp},
    Path = mkfile(X, <<"f">>, content(1000)),
    {_L, C, A} = pair(sockport, inet, X),
    {'$socket', {sockport, Port, Id}} = C,
    F = raw(Path),
    {ok, #file_info{major_device = Dev, inode = Ino}} = file:read_file_info(F),
    <<Fd:32/signed-native>> = prim_file:get_handle(F),
    OsPid = list_to_integer(os:getpid()),
    Op = sockport_ops(),
    Req = fun(File) ->
                  sockport_cmd:request(Port, Op, Id, [File, 0, 10, ?LONG])
          end,
    {ok, 10} = Req({OsPid, Fd, Dev, Ino}),
    {ok, _} = sockport:recv(A, 10, ?LONG),
    {error, ebadf} = Req({OsPid, 1 bsl 30, Dev, Ino}),
    {error, ebadf} = Req({OsPid, Fd, Dev, Ino + 1}),
    {error, ebadf} = Req({OsPid, Fd, Dev + 1, Ino}),
    %% the daemon's own pid: a /proc entry that is not the VM's
    [DaemonPid | _] = sockport_test_lib:daemon_ospids(),
    {error, ebadf} = Req({list_to_integer(DaemonPid), 0, Dev, Ino}),
    {error, ebadf} = Req({(1 bsl 31) - 1, Fd, Dev, Ino}),
    {error, {invalid, efile}} = Req({error, {invalid, efile}}),
    {error, timeout} = sockport:recv(A, 0, 200),
    ok = file:close(F),
    ok.

sockport_ops() ->
    %% SENDFILE, as sockport_ops.hrl has it
    54.

%% A daemon that runs as another user cannot open the VM's descriptors:
%% {error, eperm}. Needs root (to start it as nobody) and a daemon binary
%% that user may run.
-spec sendfile_other_user(list()) -> ok | {skip, string()}.
sendfile_other_user(_Config) ->
    doc("Ensure that a daemon running as another user answers a sendfile with {error, eperm} and keeps working."),
    Daemon = daemon_path(),
    case {os:cmd("id -u"), os:find_executable("setpriv")} of
        {"0\n", SetPriv} when is_list(SetPriv) ->
            case os:cmd("setpriv --reuid=65534 --regid=65534 --clear-groups "
                        "test -x " ++ Daemon ++ " && echo ok") of
                "ok\n" -> other_user(SetPriv, Daemon);
                _ -> {skip, "user nobody cannot run " ++ Daemon}
            end;
        {"0\n", false} ->
            {skip, "no setpriv to start the daemon as another user"};
        _ ->
            {skip, "not root: cannot start the daemon as another user"}
    end.

%% The binary of the running daemon.
daemon_path() ->
    {ok, Exe} = file:read_link("/proc/" ++ integer_to_list(sockport_port:os_pid(0))
                               ++ "/exe"),
    Exe.

other_user(SetPriv, Daemon) ->
    Tmp = sockport_test_lib:mktemp(),
    ok = file:change_mode(Tmp, 8#755),
    Wrapper = binary_to_list(<<Tmp/binary, "/as-nobody">>),
    ok = file:write_file(Wrapper,
                         ["#!/bin/sh\nexec ", SetPriv,
                          " --reuid=65534 --regid=65534 --clear-groups -- ",
                          Daemon, " \"$@\"\n"]),
    ok = file:change_mode(Wrapper, 8#755),
    Old = application:get_env(sockport, daemon_path),
    %% no reports of the application's stops and starts
    #{level := Level} = logger:get_primary_config(),
    ok = logger:set_primary_config(level, warning),
    ok = application:stop(sockport),
    try
        ok = application:set_env(sockport, daemon_path, Wrapper),
        {ok, _} = application:ensure_all_started(sockport),
        X = #{tmp => Tmp},
        Path = mkfile(X, <<"f">>, content(1000)),
        {_L, C, A} = pair(sockport, inet, X),
        F = raw(Path),
        {error, eperm} = sockport:sendfile(C, F, 0, 10),
        {error, eperm} = sockport:sendfile(C, F, 0, 10, nowait),
        ok = sockport:send(C, <<"still here">>),
        {ok, <<"still here">>} = sockport:recv(A, 10, ?LONG),
        ok = file:close(F),
        ok
    after
        _ = application:stop(sockport),
        case Old of
            {ok, P} -> application:set_env(sockport, daemon_path, P);
            undefined -> application:unset_env(sockport, daemon_path)
        end,
        {ok, _} = application:ensure_all_started(sockport),
        ok = logger:set_primary_config(level, Level),
        sockport_test_lib:rmtemp(Tmp)
    end.
