%% Bulk integrity: a large stream each way at once over TCP loopback, with
%% sockport at both ends, and a SHA-256 of what each side sent compared
%% with one of what the other side received. The data are slices of a
%% random buffer at changing offsets and of changing sizes (1 byte to
%% beyond one frame), so that a byte lost, doubled or moved shows. Three
%% ways to move them: blocking send and recv; nowait send and recv that go
%% on after each select message (send continuations); sendfile of a file
%% (blocking one way, nowait continuations the other) of a file a quarter
%% of that size.
%%
%% SOCKPORT_BULK_MIB sets the MiB sent each way (default 256); the
%% sanitizer run of scripts/test uses less.
-module(sockport_bulk_SUITE).

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1]).
-export([bulk_blocking/1, bulk_nowait/1, bulk_sendfile/1]).

-define(MiB, (1 bsl 20)).
-define(SRC, (32 * ?MiB)).
-define(LONG, 60000).
%% Slice sizes in turn: small, odd, one frame and a bit more (16 MiB is a
%% frame: such a send goes as two).
-define(SIZES, [?MiB, 65536, 7, 300001, 4 * ?MiB + 3, 17 * ?MiB, 1,
                2 * ?MiB - 1]).

-spec suite() -> list().
suite() ->
    [{timetrap, {minutes, 8}}].

-spec all() -> list().
all() ->
    [bulk_blocking, bulk_nowait, bulk_sendfile].

-spec init_per_suite(list()) -> list() | {skip, string()}.
init_per_suite(Config) ->
    case sockport_test_lib:start_sockport() of
        ok ->
            [{src, crypto:strong_rand_bytes(?SRC)}, {bytes, bytes()} | Config];
        {skip, _} = Skip ->
            Skip;
        {error, Reason} ->
            error({cannot_start_sockport, Reason})
    end.

-spec end_per_suite(list()) -> ok.
end_per_suite(_Config) ->
    ok.

bytes() ->
    case os:getenv("SOCKPORT_BULK_MIB") of
        false -> 256 * ?MiB;
        "" -> 256 * ?MiB;
        N -> list_to_integer(N) * ?MiB
    end.

%% ===================================================================
%% Cases
%% ===================================================================

-spec bulk_blocking(list()) -> ok.
bulk_blocking(Config) ->
    sockport_test_lib:doc("Ensure that blocking sends and recvs move a large stream each way at once, every byte in order."),
    both_ways(Config, fun send_blocking/2, fun recv_blocking/2).

-spec bulk_nowait(list()) -> ok.
bulk_nowait(Config) ->
    sockport_test_lib:doc("Ensure that nowait sends and recvs, continued after each select message, move a large stream each way at once, every byte in order."),
    both_ways(Config, fun send_nowait/2, fun recv_nowait/2).

-spec bulk_sendfile(list()) -> ok.
bulk_sendfile(Config) ->
    sockport_test_lib:doc("Ensure that sendfile (blocking one way, nowait continuations the other) moves a file each way at once, every byte in order."),
    Src = proplists:get_value(src, Config),
    %% a quarter of the stream size, to spare the disk
    Bytes = max(?MiB, proplists:get_value(bytes, Config) div 4),
    Tmp = sockport_test_lib:mktemp(),
    try
        %% the file: the source buffer again and again, cut at Bytes
        Path = <<Tmp/binary, "/bulk">>,
        {ok, W} = file:open(Path, [raw, write, binary]),
        ok = write_file(W, Src, Bytes),
        ok = file:close(W),
        Want = stream_hash(fun(Emit) -> file_slices(Src, Bytes, Emit) end),
        {C, A} = pair(),
        Ways = [{C, A, fun(S) -> sendfile_blocking(S, Path, Bytes) end},
                {A, C, fun(S) -> sendfile_nowait(S, Path, Bytes) end}],
        Results = run_ways([{From, To, Send, fun recv_blocking/2}
                            || {From, To, Send} <- Ways], Bytes),
        [{ok, Bytes, Want, {Bytes, Want}}, {ok, Bytes, Want, {Bytes, Want}}] =
            [{R, Bytes, Want, Got} || {R, Got} <- Results],
        ok
    after
        sockport_test_lib:rmtemp(Tmp)
    end.

%% ===================================================================
%% Streams
%% ===================================================================

%% A connected TCP pair of sockport sockets on 127.0.0.1.
pair() ->
    {ok, L} = sockport:open(inet, stream, tcp),
    ok = sockport:bind(L, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    ok = sockport:listen(L),
    {ok, LA} = sockport:sockname(L),
    {ok, C} = sockport:open(inet, stream, tcp),
    ok = sockport:connect(C, LA),
    {ok, A} = sockport:accept(L),
    ok = sockport:close(L),
    %% recv(S, 0) takes up to this much at once
    [ok = sockport:setopt(S, {otp, rcvbuf}, ?MiB) || S <- [C, A]],
    {C, A}.

%% Each way its own slices of the source (Seed picks the offsets); both
%% ways at once; the hash each sender computed must be the receiver's.
both_ways(Config, Send, Recv) ->
    Src = proplists:get_value(src, Config),
    Bytes = proplists:get_value(bytes, Config),
    {C, A} = pair(),
    Ways = [{From, To, Seed} || {From, To, Seed} <- [{C, A, 1}, {A, C, 2}]],
    Results = run_ways(
                [{From, To,
                  fun(S) ->
                          stream_hash(fun(Emit) ->
                                              slices(Src, Bytes, Seed,
                                                     fun(B) -> Send(S, B),
                                                               Emit(B)
                                                     end)
                                      end)
                  end,
                  Recv} || {From, To, Seed} <- Ways], Bytes),
    [{Sent, {Bytes, Sent}} = {Sent, Got} || {Sent, Got} <- Results],
    [ok = sockport:close(S) || S <- [C, A]],
    ok.

%% Runs every way's sender and receiver at once; [{SenderResult,
%% {BytesReceived, Hash}}].
run_ways(Ways, Bytes) ->
    Self = self(),
    Pids = [begin
                Tag = make_ref(),
                S = spawn_link(fun() -> Self ! {Tag, send, Send(From)} end),
                R = spawn_link(fun() -> Self ! {Tag, recv, receive_all(To, Bytes, Recv)} end),
                {Tag, S, R}
            end || {From, To, Send, Recv} <- Ways],
    [begin
         SR = receive {Tag, send, V} -> V after 5 * ?LONG -> send_timeout end,
         RR = receive {Tag, recv, V2} -> V2 after 5 * ?LONG -> recv_timeout end,
         {SR, RR}
     end || {Tag, _, _} <- Pids].

%% Feeds Emit the slices of one way: Bytes in all, sizes from ?SIZES,
%% offsets into Src from a generator seeded with Seed.
slices(Src, Bytes, Seed, Emit) ->
    St = rand:seed_s(exsss, {Seed, 7, 11}),
    slices(Src, Bytes, St, ?SIZES, Emit).

slices(_Src, 0, _St, _Sizes, _Emit) ->
    ok;
slices(Src, Left, St, [], Emit) ->
    slices(Src, Left, St, ?SIZES, Emit);
slices(Src, Left, St0, [Size | Sizes], Emit) ->
    N = min(Size, Left),
    {Off, St} = rand:uniform_s(byte_size(Src) - N + 1, St0),
    Emit(binary:part(Src, Off - 1, N)),
    slices(Src, Left - N, St, Sizes, Emit).

%% The slices of the bulk file: Src again and again, cut at Bytes.
file_slices(Src, Bytes, Emit) when Bytes > byte_size(Src) ->
    Emit(Src),
    file_slices(Src, Bytes - byte_size(Src), Emit);
file_slices(Src, Bytes, Emit) ->
    Emit(binary:part(Src, 0, Bytes)).

write_file(W, Src, Bytes) ->
    file_slices(Src, Bytes, fun(B) -> ok = file:write(W, B) end).

%% The SHA-256 of what Gen emits.
stream_hash(Gen) ->
    put(bulk_hash, crypto:hash_init(sha256)),
    Gen(fun(B) -> put(bulk_hash, crypto:hash_update(get(bulk_hash), B)) end),
    crypto:hash_final(erase(bulk_hash)).

%% Receives Bytes with Recv; {Bytes, Hash} (or what went wrong).
receive_all(S, Bytes, Recv) ->
    receive_all(S, Bytes, Recv, 0, crypto:hash_init(sha256)).

receive_all(_S, Bytes, _Recv, Bytes, H) ->
    {Bytes, crypto:hash_final(H)};
receive_all(S, Bytes, Recv, Got, H) ->
    case Recv(S, Bytes - Got) of
        {ok, B} -> receive_all(S, Bytes, Recv, Got + byte_size(B),
                               crypto:hash_update(H, B));
        Other -> {Other, Got}
    end.

%% ===================================================================
%% Ways to send and receive
%% ===================================================================

send_blocking(S, B) ->
    ok = sockport:send(S, B).

recv_blocking(S, Left) ->
    sockport:recv(S, min(Left, ?MiB), ?LONG).

%% A nowait send, and its continuations after each select message.
send_nowait(S, B) ->
    sent(S, sockport:send(S, B, nowait), B).

sent(_S, ok, _B) ->
    ok;
sent(S, {select, {{select_info, _, H} = SI, Rest}}, _B) ->
    await_select(S, H),
    sent(S, sockport:send(S, Rest, SI, nowait), Rest);
sent(S, {select, {select_info, _, H} = SI}, B) ->
    await_select(S, H),
    sent(S, sockport:send(S, B, SI, nowait), B).

%% A nowait recv of what is there; after a select message, again.
recv_nowait(S, Left) ->
    case sockport:recv(S, 0, nowait) of
        {ok, B} when byte_size(B) =< Left ->
            {ok, B};
        {select, {select_info, _, H}} ->
            await_select(S, H),
            recv_nowait(S, Left);
        {select, {{select_info, _, H}, B}} ->
            await_select(S, H),
            {ok, B};
        Other ->
            Other
    end.

await_select(S, H) ->
    receive
        {'$socket', S, select, H} -> ok
    after ?LONG ->
            error({no_select_message, S, H})
    end.

sendfile_blocking(S, Path, Bytes) ->
    {ok, F} = file:open(Path, [raw, read, binary]),
    {ok, Bytes} = sockport:sendfile(S, F),
    ok = file:close(F).

sendfile_nowait(S, Path, Bytes) ->
    {ok, F} = file:open(Path, [raw, read, binary]),
    Bytes = sendfile_cont(S, sockport:sendfile(S, F, 0, 0, nowait), 0),
    ok = file:close(F).

sendfile_cont(S, {select, {{select_info, _, H} = SI, N}}, Off) ->
    await_select(S, H),
    sendfile_cont(S, sockport:sendfile(S, SI, Off + N, 0, nowait), Off + N);
sendfile_cont(_S, {ok, N}, Off) ->
    Off + N.
