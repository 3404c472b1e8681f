#!/usr/bin/env escript
%% The sockport demo: the `socket` API, served by sockportd.
%%   escript test/demo/sockport_demo.escript build/erl/ebin
-mode(compile).

main([Ebin]) ->
    true = code:add_patha(Ebin),
    {ok, _} = application:ensure_all_started(sockport),
    tcp_echo(),
    udp_over_ipv6(),
    unix_stream(),
    unix_abstract_dgram(),
    io:format("demo: done~n").

%% A TCP echo server and a client, both on 127.0.0.1.
tcp_echo() ->
    {ok, L} = sockport:open(inet, stream, tcp),
    ok = sockport:bind(L, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    ok = sockport:listen(L),
    {ok, Addr} = sockport:sockname(L),
    io:format("tcp: echo server listening on ~s~n", [fmt(Addr)]),
    Main = self(),
    spawn_link(fun() -> {ok, S} = sockport:accept(L), echo(S), Main ! echo_done end),
    {ok, C} = sockport:open(inet, stream, tcp),
    ok = sockport:connect(C, Addr),
    ok = sockport:send(C, <<"hello, sockport">>),
    {ok, Echo} = sockport:recv(C, 15, 5000),
    io:format("tcp: client sent \"hello, sockport\", got back ~p~n", [Echo]),
    ok = sockport:close(C),
    receive echo_done -> ok end,
    ok = sockport:close(L).

echo(S) ->
    case sockport:recv(S, 0) of
        {ok, Data} -> ok = sockport:send(S, Data), echo(S);
        {error, closed} -> io:format("tcp: server saw the client close~n")
    end.

%% Two UDP sockets on ::1.
udp_over_ipv6() ->
    Lo6 = #{family => inet6, addr => {0, 0, 0, 0, 0, 0, 0, 1}, port => 0},
    {ok, A} = sockport:open(inet6, dgram, udp),
    {ok, B} = sockport:open(inet6, dgram, udp),
    ok = sockport:bind(A, Lo6),
    ok = sockport:bind(B, Lo6),
    {ok, AddrA} = sockport:sockname(A),
    ok = sockport:sendto(B, <<"datagram over ::1">>, AddrA),
    {ok, {From, Data}} = sockport:recvfrom(A, 0, 5000),
    io:format("udp: ~s got ~p from ~s~n", [fmt(AddrA), Data, fmt(From)]),
    [ok = sockport:close(S) || S <- [A, B]].

%% A unix stream socket on a path in a temporary directory.
unix_stream() ->
    Dir = string:trim(os:cmd("mktemp -d")),
    Path = list_to_binary(filename:join(Dir, "demo.sock")),
    {ok, L} = sockport:open(local, stream),
    ok = sockport:bind(L, #{family => local, path => Path}),
    ok = sockport:listen(L),
    {ok, C} = sockport:open(local, stream),
    ok = sockport:connect(C, #{family => local, path => Path}),
    {ok, S} = sockport:accept(L),
    ok = sockport:send(C, <<"over a unix path">>),
    {ok, Data} = sockport:recv(S, 0, 5000),
    io:format("unix: stream on ~s: got ~p~n", [Path, Data]),
    [ok = sockport:close(X) || X <- [C, S, L]],
    ok = file:del_dir_r(Dir).

%% Unix datagrams on abstract names (a leading 0 byte: no file at all).
unix_abstract_dgram() ->
    Name = fun(N) -> #{family => local,
                       path => iolist_to_binary([0, "sockport-demo-", os:getpid(), N])} end,
    {ok, A} = sockport:open(local, dgram),
    {ok, B} = sockport:open(local, dgram),
    ok = sockport:bind(A, Name("-a")),
    ok = sockport:bind(B, Name("-b")),
    ok = sockport:sendto(B, <<"over an abstract name">>, Name("-a")),
    {ok, {#{path := <<0, From/binary>>}, Data}} = sockport:recvfrom(A, 0, 5000),
    io:format("unix: dgram on abstract name @~s: got ~p from @~s~n",
              [tl(binary_to_list(maps:get(path, Name("-a")))), Data, From]),
    [ok = sockport:close(X) || X <- [A, B]].

fmt(#{family := inet, addr := A, port := P}) -> inet:ntoa(A) ++ ":" ++ integer_to_list(P);
fmt(#{family := inet6, addr := A, port := P}) -> "[" ++ inet:ntoa(A) ++ "]:" ++ integer_to_list(P).
