%% Uses sockport as an application would: starts it, echoes a line over
%% TCP on 127.0.0.1 and checks that the documentation of sockport:open/3
%% is there for h/2. Prints "consumer: ok" and halts with 0, or the
%% reason and 1.
-module(consumer).

-include_lib("sockport/include/sockport.hrl").

-export([main/0]).

-spec main() -> no_return().
main() ->
    try run() of
        ok ->
            io:format("consumer: ok~n"),
            halt(0)
    catch
        C:E:ST ->
            io:format("consumer: FAILED ~p:~p~n~p~n", [C, E, ST]),
            halt(1)
    end.

run() ->
    {ok, _} = application:ensure_all_started(consumer),
    [sockport] = ?SOCKPORT_LOG_DOMAIN,
    {ok, L} = sockport:open(inet, stream, tcp),
    ok = sockport:bind(L, #{family => inet, addr => {127,0,0,1}, port => 0}),
    ok = sockport:listen(L),
    {ok, Addr} = sockport:sockname(L),
    {ok, C} = sockport:open(inet, stream, tcp),
    ok = sockport:connect(C, Addr),
    {ok, S} = sockport:accept(L),
    ok = sockport:send(C, <<"hello">>),
    {ok, <<"hello">>} = sockport:recv(S, 5, 5000),
    [ok = sockport:close(X) || X <- [C, S, L]],
    %% The daemon is the one this build put in sockport's priv/.
    Priv = code:priv_dir(sockport),
    true = filelib:is_regular(filename:join(Priv, "sockportd")),
    %% h(sockport, open, 3) finds its documentation: what h/3 prints.
    {ok, Docs} = code:get_doc(sockport),
    Text = unicode:characters_to_list(shell_docs:render(sockport, open, 3,
                                                        Docs)),
    case string:find(Text, "Opens a socket") of
        nomatch -> error({no_doc, Text});
        _ -> ok
    end.
