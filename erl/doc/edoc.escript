#!/usr/bin/env escript
%% Runs edoc over the public modules of sockport.
%%
%%   edoc.escript html|chunks OUTDIR INCLUDE_DIRS SOURCE...
%%
%% html: the HTML pages (index.html, one page per module) in OUTDIR;
%% chunks: the EEP-48 doc chunks (MODULE.chunk) in OUTDIR, which the
%% shell's h/1,2,3 read from the application's doc/chunks directory.
%% INCLUDE_DIRS is a list separated by colons. Any edoc error fails the
%% build.
-mode(compile).

main([Kind, OutDir, Includes | Sources]) when Kind =:= "html";
                                              Kind =:= "chunks" ->
    Common = [{preprocess, true},
              {includes, string:lexemes(Includes, ":")},
              {app_default, "https://www.erlang.org/doc/man"},
              {report_missing_types, true}],
    Opts = case Kind of
               "html" ->
                   [{dir, OutDir}, {application, sockport},
                    {title, "sockport"} | Common];
               "chunks" ->
                   %% edoc_doclet_chunks writes into DIR/chunks.
                   [{dir, filename:dirname(OutDir)},
                    {doclet, edoc_doclet_chunks},
                    {layout, edoc_layout_chunks} | Common]
           end,
    try edoc:run(Sources, Opts) of
        ok -> ok
    catch
        Class:Reason ->
            io:format(standard_error, "edoc failed: ~p:~p~n",
                      [Class, Reason]),
            halt(1)
    end;
main(_) ->
    io:format(standard_error,
              "usage: edoc.escript html|chunks OUTDIR INCLUDE_DIRS SOURCE...~n",
              []),
    halt(2).
