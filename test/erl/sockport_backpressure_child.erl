%% The VM that sockport_backpressure_SUITE stops and resumes: it connects
%% N sockport sockets to the suite's listener, says which OS processes it
%% and its daemon are, and reads every connection to the end. Passive:
%% 8 readers each, 1 MiB per recv (8 MiB asked at once per connection).
%% Active: one sockport_tcp socket per connection in {active, true}, the
%% daemon pushing what it reads. Each 1 MiB chunk must be the sender's
%% block. Then it prints, per connection, the chunks it got and how many
%% were wrong, and halts.
%%
%%   erl -noshell -pa ... -run sockport_backpressure_child main Port N passive|active
-module(sockport_backpressure_child).

-export([main/1, block/0]).

-define(READERS, 8).
-define(CHUNK, (1 bsl 20)).

%% The 1 MiB block the suite sends over and over.
-spec block() -> binary().
block() ->
    << <<(I rem 251)>> || I <- lists:seq(1, ?CHUNK) >>.

-spec main([string()]) -> no_return().
main([PortStr, NStr, Mode]) ->
    {ok, _} = application:ensure_all_started(sockport),
    Port = list_to_integer(PortStr),
    N = list_to_integer(NStr),
    Self = self(),
    Block = block(),
    Readers =
        case Mode of
            "passive" ->
                Socks = [connect(Port) || _ <- lists:seq(1, N)],
                [{S, fun() -> read_all(S, Block, 0, 0) end}
                 || S <- Socks, _ <- lists:seq(1, ?READERS)];
            "active" ->
                Socks = [connect_active(Port) || _ <- lists:seq(1, N)],
                [{S, fun() -> take_active(S, Block) end} || S <- Socks]
        end,
    PerConn = length(Readers) div N,
    io:format("pids ~s ~b~n", [os:getpid(), sockport_port:os_pid(0)]),
    [begin
         Pid = spawn_link(fun() -> receive go -> Self ! {got, I, F()} end end),
         own(Mode, S, Pid),
         Pid ! go
     end || {I, {S, F}} <- lists:zip([(J - 1) div PerConn + 1
                                      || J <- lists:seq(1, length(Readers))],
                                     Readers)],
    [begin
         Counts = [receive {got, I, C} -> C end || _ <- lists:seq(1, PerConn)],
         io:format("got ~b ~b ~b~n", [I, lists:sum([G || {G, _} <- Counts]),
                                      lists:sum([B || {_, B} <- Counts])])
     end || I <- lists:seq(1, N)],
    halt(0).

%% An active socket's messages go to its controlling process.
own("active", S, Pid) ->
    ok = sockport_tcp:controlling_process(S, Pid);
own(_, _, _) ->
    ok.

connect_active(Port) ->
    {ok, S} = sockport_tcp:connect({127, 0, 0, 1}, Port,
                                   [binary, {active, true}]),
    S.

%% Chunks of the active stream and how many were not the block.
take_active(S, Block) ->
    take_active(S, Block, <<>>, 0, 0).

take_active(S, Block, Buf, Got, Bad) when byte_size(Buf) >= ?CHUNK ->
    <<Chunk:?CHUNK/binary, Rest/binary>> = Buf,
    take_active(S, Block, Rest, Got + 1, Bad + bad(Chunk, Block));
take_active({sockport_tcp, _} = S, Block, Buf, Got, Bad) ->
    receive
        {tcp, S, Data} ->
            take_active(S, Block, <<Buf/binary, Data/binary>>, Got, Bad);
        {tcp_closed, S} ->
            {Got, Bad + byte_size(Buf)};
        {tcp_error, S, _} ->
            {Got, Bad + 1}
    end.

bad(Block, Block) -> 0;
bad(_, _) -> 1.

connect(Port) ->
    {ok, S} = sockport:open(inet, stream, tcp),
    ok = sockport:connect(S, #{family => inet, addr => {127, 0, 0, 1},
                               port => Port}),
    S.

%% Chunks read and how many of them were not the block.
read_all(S, Block, Got, Bad) ->
    case sockport:recv(S, ?CHUNK) of
        {ok, Block} -> read_all(S, Block, Got + 1, Bad);
        {ok, _} -> read_all(S, Block, Got + 1, Bad + 1);
        {error, {closed, _}} -> {Got, Bad + 1};
        {error, closed} -> {Got, Bad}
    end.
