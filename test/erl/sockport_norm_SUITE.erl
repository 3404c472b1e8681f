%% Tests of the trace normaliser that the differential suite relies on.
-module(sockport_norm_SUITE).

-export([all/0]).
-export([norm_socket_placeholders_in_order/1]).
-export([norm_same_value_same_placeholder/1]).
-export([norm_kinds_numbered_separately/1]).
-export([norm_ephemeral_ports_in_sockaddrs/1]).
-export([norm_port_zero_and_local_untouched/1]).
-export([norm_binaries_substituted/1]).
-export([norm_structure_preserved/1]).
-export([norm_distinguishes_structure/1]).
-export([norm_diff_reports_first_difference/1]).

-import(sockport_test_lib, [doc/1]).

-spec all() -> [atom()].
all() ->
    [norm_socket_placeholders_in_order, norm_same_value_same_placeholder,
     norm_kinds_numbered_separately, norm_ephemeral_ports_in_sockaddrs,
     norm_port_zero_and_local_untouched, norm_binaries_substituted,
     norm_structure_preserved, norm_distinguishes_structure,
     norm_diff_reports_first_difference].

n(T) -> sockport_norm:normalise(T).

-spec norm_socket_placeholders_in_order(list()) -> ok.
norm_socket_placeholders_in_order(_) ->
    doc("Ensure that sockets of both modules become {socket, N} numbered by first appearance."),
    R1 = make_ref(), R2 = make_ref(),
    [{ok, {socket, 1}}, {ok, {socket, 2}}] =
        n([{ok, {'$socket', R2}}, {ok, {'$socket', R1}}]),
    [{socket, 1}, {socket, 2}] = n([{'$socket', {7, 1, <<"x">>}}, {'$socket', {7, 2, <<"x">>}}]),
    %% The reference inside a socket is part of the socket, not a ref of its own.
    [{socket, 1}, {ref, 1}] = n([{'$socket', R1}, R2]),
    ok.

-spec norm_same_value_same_placeholder(list()) -> ok.
norm_same_value_same_placeholder(_) ->
    doc("Ensure that one value seen twice gets one placeholder and different values different ones."),
    R = make_ref(), S = {'$socket', make_ref()},
    [{socket, 1}, {select_info, recv, {ref, 1}}, {'$socket', {socket, 1}, select, {ref, 1}}] =
        n([S, {select_info, recv, R}, {'$socket', S, select, R}]),
    {{ref, 1}, {ref, 2}, {ref, 1}} = n({R, make_ref(), R}),
    Self = self(), Other = spawn(fun() -> ok end),
    [{pid, 1}, {pid, 2}, {pid, 1}] = n([Self, Other, Self]),
    ok.

-spec norm_kinds_numbered_separately(list()) -> ok.
norm_kinds_numbered_separately(_) ->
    doc("Ensure that each kind (socket, ref, pid, port, port number) has its own counter."),
    [P | _] = erlang:ports(),
    {{ref, 1}, {pid, 1}, {port, 1}, {ref, 2}, {pid, 1}} =
        n({make_ref(), self(), P, make_ref(), self()}),
    ok.

-spec norm_ephemeral_ports_in_sockaddrs(list()) -> ok.
norm_ephemeral_ports_in_sockaddrs(_) ->
    doc("Ensure that port numbers in inet/inet6 sockaddrs are placeholders shared across families."),
    A = #{family => inet, addr => {127, 0, 0, 1}, port => 40001},
    B = #{family => inet6, addr => {0, 0, 0, 0, 0, 0, 0, 1}, port => 40002,
          flowinfo => 0, scope_id => 0},
    C = A#{port => 40002},
    [#{family := inet, port := {port_number, 1}},
     #{family := inet6, port := {port_number, 2}, flowinfo := 0},
     #{port := {port_number, 2}},
     {ok, {#{port := {port_number, 1}}, <<"d">>}}] =
        n([A, B, C, {ok, {A, <<"d">>}}]),
    %% A bare integer is not a port: it is kept.
    [40001, #{port := {port_number, 1}}] = n([40001, A]),
    ok.

-spec norm_port_zero_and_local_untouched(list()) -> ok.
norm_port_zero_and_local_untouched(_) ->
    doc("Ensure that port 0, non-sockaddr maps and local addresses are kept as they are."),
    Z = #{family => inet, addr => {0, 0, 0, 0}, port => 0},
    Z = n(Z),
    L = #{family => local, path => <<"/x">>},
    L = n(L),
    M = #{port => 5, other => 1},
    M = n(M),
    ok.

-spec norm_binaries_substituted(list()) -> ok.
norm_binaries_substituted(_) ->
    doc("Ensure that temp dirs and tags are replaced inside binaries, longest first, everywhere."),
    Subst = [{<<"/tmp/a">>, <<"$TMP">>}, {<<"/tmp/a/b">>, <<"$SUB">>}, {<<"tag9">>, <<"$TAG">>}],
    [#{family := local, path := <<"$TMP/s1">>},
     #{family := local, path := <<0, "$TAG-1">>},
     <<"$SUB/c">>, <<"x$TAGy$TAG">>, <<"/tmp/b">>] =
        sockport_norm:normalise(
          [#{family => local, path => <<"/tmp/a/s1">>},
           #{family => local, path => <<0, "tag9-1">>},
           <<"/tmp/a/b/c">>, <<"xtag9ytag9">>, <<"/tmp/b">>], Subst),
    <<"x">> = sockport_norm:normalise(<<"x">>, [{<<>>, <<"never">>}]),
    ok.

-spec norm_structure_preserved(list()) -> ok.
norm_structure_preserved(_) ->
    doc("Ensure that atoms, numbers, strings, improper lists and nested maps survive unchanged."),
    T = [{a, 1, 2.5, "str", <<"bin">>}, [1 | 2], #{k => #{j => [x]}}, {}, []],
    T = n(T),
    ok.

-spec norm_distinguishes_structure(list()) -> ok.
norm_distinguishes_structure(_) ->
    doc("Ensure that traces differing in order of identities or in results stay different."),
    R1 = make_ref(), R2 = make_ref(),
    true = n([R1, R2, R1]) =/= n([R1, R2, R2]),
    true = n({ok, {'$socket', R1}}) =/= n({error, closed}),
    A = #{family => inet, addr => {127, 0, 0, 1}, port => 1000},
    true = n([A, A]) =/= n([A, A#{port => 1001}]),
    true = n([A, A]) =:= n([A#{port => 2000}, A#{port => 2000}]),
    ok.

-spec norm_diff_reports_first_difference(list()) -> ok.
norm_diff_reports_first_difference(_) ->
    doc("Ensure that diff/2 names the first differing step."),
    equal = sockport_norm:diff([a, b], [a, b]),
    #{first_difference_at := 2, expected := [b], got := [c]} = sockport_norm:diff([a, b], [a, c]),
    #{first_difference_at := 3, expected := [], got := [x]} = sockport_norm:diff([a, b], [a, b, x]),
    ok.
