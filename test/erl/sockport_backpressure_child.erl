%% The VM that sockport_backpressure_SUITE stops and resumes: it connects
%% N sockport sockets to the suite's listener, says which OS processes it
%% and its daemon are, and reads every connection to the end with 8
%% readers each, 1 MiB per recv (8 MiB asked at once per connection); each
%% chunk must be the sender's block. Then it prints, per connection, the
%% chunks it got and how many were wrong, and halts.
%%
%%   erl -noshell -pa ... -run sockport_backpressure_child main Port N
-module(sockport_backpressure_child).

-export([main/1, block/0]).

-define(READERS, 8).
-define(CHUNK, (1 bsl 20)).

%% The 1 MiB block the suite sends over and over.
-spec block() -> binary().
block() ->
    << <<(I rem 251)>> || I <- lists:seq(1, ?CHUNK) >>.

-spec main([string()]) -> no_return().
main([PortStr, NStr]) ->
    {ok, _} = application:ensure_all_started(sockport),
    Port = list_to_integer(PortStr),
    Socks = [connect(Port) || _ <- lists:seq(1, list_to_integer(NStr))],
    io:format("pids ~s ~b~n", [os:getpid(), sockport_port:os_pid(0)]),
    Self = self(),
    Block = block(),
    [spawn_link(fun() -> Self ! {got, I, read_all(S, Block, 0, 0)} end)
     || {I, S} <- lists:zip(lists:seq(1, length(Socks)), Socks),
        _ <- lists:seq(1, ?READERS)],
    [begin
         Counts = [receive {got, I, C} -> C end || _ <- lists:seq(1, ?READERS)],
         io:format("got ~b ~b ~b~n", [I, lists:sum([G || {G, _} <- Counts]),
                                      lists:sum([B || {_, B} <- Counts])])
     end || I <- lists:seq(1, length(Socks))],
    halt(0).

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
