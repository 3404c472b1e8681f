%% Normalise terms for the differential tests. Two runs of one scenario, one
%% against `socket` and one against `sockport`, give traces that differ in
%% things the OS or the VM chooses: socket handles, references, pids, ports,
%% ephemeral port numbers, and the temporary paths and abstract names a run
%% makes. normalise/2 replaces each of these by a stable placeholder,
%% numbered per kind in order of first appearance (depth first, left to
%% right, map keys in term order), so that equal structure compares equal
%% and the same value seen twice gets the same placeholder.
-module(sockport_norm).

-export([normalise/1]).
-export([normalise/2]).
-export([diff/2]).

-type subst() :: [{binary(), binary()}].
-export_type([subst/0]).

-spec normalise(term()) -> term().
normalise(Term) ->
    normalise(Term, []).

%% Subst: binary fragments (temp dir, abstract-name tag) replaced wherever
%% they occur inside binaries, longest first.
-spec normalise(term(), subst()) -> term().
normalise(Term, Subst) ->
    Sorted = lists:sort(fun({A, _}, {B, _}) -> byte_size(A) >= byte_size(B) end,
                        [S || {From, _} = S <- Subst, From =/= <<>>]),
    {T, _} = norm(Term, #{subst => Sorted, seen => #{}, next => #{}}),
    T.

norm({'$socket', _} = S, St) ->
    placeholder(socket, S, St);
norm(R, St) when is_reference(R) ->
    placeholder(ref, R, St);
norm(P, St) when is_pid(P) ->
    placeholder(pid, P, St);
norm(P, St) when is_port(P) ->
    placeholder(port, P, St);
norm(B, #{subst := Subst} = St) when is_binary(B) ->
    {lists:foldl(fun({From, To}, Acc) -> binary:replace(Acc, From, To, [global]) end,
                 B, Subst), St};
norm(#{family := F, port := Port} = M, St0)
  when (F =:= inet orelse F =:= inet6), is_integer(Port), Port > 0 ->
    {PortP, St1} = placeholder(port_number, Port, St0),
    norm_map(M#{port := PortP}, St1);
norm(M, St) when is_map(M) ->
    norm_map(M, St);
norm(L, St) when is_list(L) ->
    norm_list(L, St);
norm(T, St0) when is_tuple(T) ->
    {L, St} = norm_list(tuple_to_list(T), St0),
    {list_to_tuple(L), St};
norm(Other, St) ->
    {Other, St}.

%% Improper lists are kept improper.
norm_list([], St) ->
    {[], St};
norm_list([H | T], St0) ->
    {H1, St1} = norm(H, St0),
    {T1, St2} = norm_list(T, St1),
    {[H1 | T1], St2};
norm_list(Tail, St) ->
    norm(Tail, St).

norm_map(M, St0) ->
    {KVs, St} = lists:foldl(
                  fun({K, V}, {Acc, S0}) ->
                          {K1, S1} = norm(K, S0),
                          {V1, S2} = norm(V, S1),
                          {[{K1, V1} | Acc], S2}
                  end, {[], St0}, lists:sort(maps:to_list(M))),
    {maps:from_list(KVs), St}.

placeholder(Kind, Value, #{seen := Seen, next := Next} = St) ->
    case Seen of
        #{{Kind, Value} := P} ->
            {P, St};
        #{} ->
            N = maps:get(Kind, Next, 1),
            P = {Kind, N},
            {P, St#{seen := Seen#{{Kind, Value} => P}, next := Next#{Kind => N + 1}}}
    end.

%% A readable description of how two traces (lists) differ: the first index
%% where they differ and both elements there, plus the lengths.
-spec diff(list(), list()) -> term().
diff(A, B) ->
    diff(A, B, 1).

diff([X | A], [X | B], N) ->
    diff(A, B, N + 1);
diff([], [], _) ->
    equal;
diff(A, B, N) ->
    #{first_difference_at => N,
      expected => lists:sublist(A, 3),
      got => lists:sublist(B, 3)}.
