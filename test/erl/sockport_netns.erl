%% Network namespaces for the suites that need interfaces of their own: two
%% namespaces joined by a veth pair, made with ip(8) and named after the
%% VM's OS pid and a tag, so that runs in parallel never share them. The
%% suites open sockets in them with open/4's netns option (`socket' and
%% `sockport' alike); nothing outside them is touched.
-module(sockport_netns).

-export([names/1]).
-export([setup/1]).
-export([teardown/1]).
-export([path/1]).
-export([ip/1]).
-export([with/2]).

%% What setup/1 made: the namespaces' names and the veth ends in them.
-type pair() :: #{a := string(), b := string(),
                  if_a := string(), if_b := string()}.

-export_type([pair/0]).

%% Two namespaces A and B with lo up and a veth pair between them (its ends
%% down, without addresses); {skip, Why} where namespaces cannot be made
%% (no ip(8), no privileges).
-spec setup(string()) -> {ok, pair()} | {skip, string()}.
setup(Tag) ->
    Pair = names(Tag),
    #{a := A, b := B, if_a := IfA, if_b := IfB} = Pair,
    _ = teardown(Pair),
    Steps = [["netns", "add", A],
             ["netns", "add", B],
             ["-n", A, "link", "set", "lo", "up"],
             ["-n", B, "link", "set", "lo", "up"],
             ["-n", A, "link", "add", IfA, "type", "veth", "peer", "name", IfB],
             ["-n", A, "link", "set", IfB, "netns", B]],
    case run_all(Steps) of
        ok ->
            {ok, Pair};
        {error, Why} ->
            _ = teardown(Pair),
            {skip, "cannot make network namespaces: " ++ Why}
    end.

%% The names setup/1 uses for Tag (a short tag: interface names have at
%% most 15 bytes).
-spec names(string()) -> pair().
names(Tag) ->
    Base = "sp" ++ os:getpid() ++ Tag,
    #{a => Base ++ "a", b => Base ++ "b",
      if_a => "v" ++ Tag ++ "a", if_b => "v" ++ Tag ++ "b"}.

%% Runs F with the namespaces of Tag made for it, removed after; the
%% case's {skip, Why} where they cannot be made.
-spec with(string(), fun(() -> Result)) -> Result | {skip, string()}.
with(Tag, F) ->
    case setup(Tag) of
        {ok, Pair} ->
            try F()
            after teardown(Pair)
            end;
        {skip, _} = Skip ->
            Skip
    end.

-spec teardown(pair()) -> ok.
teardown(#{a := A, b := B}) ->
    _ = ip(["netns", "del", A]),
    _ = ip(["netns", "del", B]),
    ok.

%% The file open/4's netns option names for a namespace.
-spec path(string()) -> string().
path(Name) ->
    "/run/netns/" ++ Name.

%% Runs ip(8) with Args: ok or {error, Output}.
-spec ip([string()]) -> ok | {error, string()}.
ip(Args) ->
    case os:find_executable("ip") of
        false ->
            {error, "no ip(8)"};
        Ip ->
            Port = open_port({spawn_executable, Ip},
                             [{args, Args}, exit_status, stderr_to_stdout,
                              binary]),
            collect(Port, <<>>)
    end.

collect(Port, Acc) ->
    receive
        {Port, {data, D}} ->
            collect(Port, <<Acc/binary, D/binary>>);
        {Port, {exit_status, 0}} ->
            ok;
        {Port, {exit_status, _}} ->
            {error, string:trim(binary_to_list(Acc))}
    after 30000 ->
            {error, "ip(8) did not finish"}
    end.

run_all([]) ->
    ok;
run_all([Args | Rest]) ->
    case ip(Args) of
        ok -> run_all(Rest);
        {error, Why} -> {error, string:join(Args, " ") ++ ": " ++ Why}
    end.
