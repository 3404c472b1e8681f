#!/usr/bin/env escript
%% Writes ebin/sockport.app from erl/src/sockport.app.src: the same term
%% with the modules of the build. The version must be the build's (meson's
%% project version), so that the two can never disagree.
%%
%% usage: app_file.escript APP_SRC OUT VERSION MODULE...
-mode(compile).

main([AppSrc, Out, Version | Modules]) ->
    {ok, [{application, App, Props}]} = file:consult(AppSrc),
    case proplists:get_value(vsn, Props) of
        Version ->
            ok;
        Other ->
            io:format(standard_error,
                      "~ts: vsn ~p, but the project's version is ~p~n",
                      [AppSrc, Other, Version]),
            halt(1)
    end,
    Props1 = lists:keystore(modules, 1, Props,
                            {modules, [list_to_atom(M) || M <- Modules]}),
    Text = io_lib:format("~p.~n", [{application, App, Props1}]),
    ok = file:write_file(Out, unicode:characters_to_binary(Text));
main(_) ->
    io:format(standard_error,
              "usage: app_file.escript APP_SRC OUT VERSION MODULE...~n", []),
    halt(2).
