%% The benchmark: every workload with OTP `socket', gen_tcp/gen_udp and
%% sockport in one run, the port floors measured in the same run, one table
%% of figures and ratios with the targets sockport must meet, and the same
%% table as CSV (and a PNG chart where gnuplot is installed).
%%
%% erl ... -run sockport_bench main quick|full FloorExe OutDir
-module(sockport_bench).

-export([main/1]).

-define(MODS, [socket, gen, sockport]).
%% The slice of time each module or floor of a latency row runs in turn.
-define(SLICE_MS, 100).

-spec main([string()]) -> no_return().
main([Mode, FloorExe, OutDir]) ->
    %% -run runs this in init's boot process, which traps exits: every
    %% linked helper's end would pile up in this mailbox as an 'EXIT'
    %% message and slow each later receive that scans it.
    process_flag(trap_exit, false),
    P = params(list_to_atom(Mode)),
    %% the shard rows restart the application: no reports of that
    logger:set_primary_config(level, warning),
    {ok, _} = application:ensure_all_started(sockport),
    io:format("sockport benchmark, ~s mode, ~b schedulers~n",
              [Mode, erlang:system_info(schedulers_online)]),
    %% first uses (code loading, the daemon's first buffers) are no
    %% module's figure
    sockport_bench_slices:run([{M, sockport_bench_work:pingpong_op(M, 64)}
                               || M <- ?MODS], 300, 100),
    Rounds = [round(R, maps:get(rounds, P), FloorExe, P)
              || R <- lists:seq(1, maps:get(rounds, P))],
    Results = [{Row, [{M, median_map([maps:get({I, M}, Rd) || Rd <- Rounds])}
                      || M <- mods(Row)],
                median_map([maps:get({I, floors}, Rd) || Rd <- Rounds])}
               || {I, Row} <- lists:enumerate(rows())],
    Lines = table(Results),
    ok = filelib:ensure_dir(filename:join(OutDir, "x")),
    Csv = filename:join(OutDir, "bench.csv"),
    ok = file:write_file(Csv, csv(Lines)),
    io:format("~ncsv: ~s~n", [Csv]),
    chart(Lines, OutDir),
    halt(0).

%% A full run measures everything five times in turn and reports each
%% figure's median: on a shared machine a figure of one go varies by a
%% third.
params(quick) ->
    #{rounds => 1, ms => 1000, bulk => 64 bsl 20, many => 1000,
      many_ms => 1000, idle => 2000, shard_bytes => 128 bsl 20};
params(full) ->
    #{rounds => 5, ms => 2000, bulk => 512 bsl 20, many => 1000,
      many_ms => 2000, idle => 5000, shard_bytes => 512 bsl 20}.

%% One round: every row, #{{I, M} => its figures, {I, floors} => its
%% floors}. A latency row times its modules and floors side by side, in
%% slices of ?SLICE_MS in turn; any other row measures its floors right
%% before sockport's run. Either way a bound and the figure it bounds see
%% the machine alike.
round(R, N, FloorExe, P) ->
    N > 1 andalso io:format("round ~b of ~b~n", [R, N]),
    maps:from_list(lists:append([row_round(I, Row, FloorExe, P)
                                 || {I, Row} <- lists:enumerate(rows())])).

row_round(I, {Name, _, _, _, {side_by_side, OpOf}, Mods, _} = Row, FloorExe,
          #{ms := Ms}) ->
    Keys = floor_keys(Row),
    Samples = step(io_lib:format("~s, side by side", [Name]),
                   fun() ->
                           Ops = [{M, OpOf(M)} || M <- Mods] ++
                               [{K, sockport_bench_floor:op(K, FloorExe)}
                                || K <- Keys],
                           sockport_bench_slices:run(Ops, Ms, ?SLICE_MS)
                   end),
    Figs = [{M, sockport_bench_slices:latency(maps:get(M, Samples))}
            || M <- Mods],
    %% for the rows that read other figures of this run (`same')
    [put({last, Name, M}, F) || {M, F} <- Figs],
    Floors = maps:from_list(
               [{K, sockport_bench_slices:pct(maps:get(K, Samples), 50)}
                || K <- Keys]),
    [{{I, floors}, Floors} | [{{I, M}, F} || {M, F} <- Figs]];
row_round(I, Row, FloorExe, P) ->
    Run = fun(M) -> {{I, M}, step(io_lib:format("~s ~s", [name(Row), M]),
                                 fun() -> (fun_of(Row))(M, P) end)}
          end,
    Others = [Run(M) || M <- mods(Row), M =/= sockport],
    Floors = maps:from_list(
               [{K, step(io_lib:format("~s ~s", [name(Row), K]),
                         fun() -> sockport_bench_floor:measure(K, FloorExe, P) end)}
                || K <- floor_keys(Row)]),
    Others ++ [{{I, floors}, Floors} | [Run(sockport) || lists:member(sockport, mods(Row))]].

%% The floors a row's targets refer to.
floor_keys({_, _, _, _, _, _, Targets}) ->
    lists:usort([K || T <- Targets, K <- floor_key(T)]).

floor_key({bound, Ref}) -> floor_key(Ref);
floor_key({_Ratio, _Op, Ref}) -> floor_key(Ref);
floor_key({calls, _}) -> [port_rtt64_us];
floor_key({per_round_trips, _}) -> [port_rtt64_us];
floor_key({calls_per, _}) -> [port_calls_per_s];
floor_key(K) when K =:= gen; K =:= socket; K =:= bytes -> [];
floor_key(K) when is_atom(K) -> [K].

%% Each key's median over the rounds' maps.
median_map([M | _] = Maps) ->
    maps:map(fun(K, V0) ->
                     case [maps:get(K, X) || X <- Maps, is_number(maps:get(K, X))] of
                         [] -> V0;
                         Vs -> lists:nth((length(Vs) + 1) div 2, lists:sort(Vs))
                     end
             end, M).

step(Label, F) ->
    io:format("  ~-28s", [Label]),
    T0 = erlang:monotonic_time(millisecond),
    R = F(),
    io:format(" ~6.1f s~n", [(erlang:monotonic_time(millisecond) - T0) / 1000]),
    R.

%% ---------------------------------------------------------------------------
%% The workloads: {Name, Metric, Unit, Better, Fun, Modules, Target}. Fun
%% is fun(Module, Params) -> Figures, `same' (another metric of the row
%% before), or {side_by_side, fun(Module) -> Op} for a latency workload
%% timed one operation at a time beside its floors.
%% A target is {Ratio, Op, Reference}: sockport / Reference Op Ratio,
%% where Reference is a floor key, a module, or {calls, K}: `socket' plus K
%% port round trips per operation. {bound, Reference} is what no port
%% design with the socket API's calls can pass here, measured (a ceiling
%% of a rate, a floor of a time): a target beyond it is out of reach, and
%% the row is judged by how near sockport comes to the bound instead.

rows() ->
    W = sockport_bench_work,
    [{"rtt 64 B median", median_us, "us", lower,
      {side_by_side, fun(M) -> W:pingpong_op(M, 64) end},
      ?MODS, [{1.15, '=<', relay_rtt64_us}, {bound, api_rtt64_us}]},
     {"rtt 64 B p99", p99_us, "us", lower, same, ?MODS, []},
     {"rtt 16 KiB median", median_us, "us", lower,
      {side_by_side, fun(M) -> W:pingpong_op(M, 16384) end},
      ?MODS, [{1.15, '=<', relay_rtt16k_us}, {bound, api_rtt16k_us}]},
     {"rtt 16 KiB p99", p99_us, "us", lower, same, ?MODS, []},
     {"bulk 64 KiB writes", mbps, "MB/s", higher,
      fun(M, P) -> W:bulk(M, 65536, maps:get(bulk, P)) end,
      ?MODS, [{1.0, '>=', relay_bulk64k_mbps}, {2.0, '>=', gen},
              {bound, port_oneway64k_mbps}, {bound, api_bulk64k_mbps}]},
     {"bulk 4 KiB writes", mbps, "MB/s", higher,
      fun(M, P) -> W:bulk(M, 4096, maps:get(bulk, P)) end,
      ?MODS, [{1.0, '>=', relay_bulk4k_mbps}, {bound, api_bulk4k_mbps}]},
     {"call without I/O", median_us, "us", lower,
      {side_by_side, fun(M) -> W:nop_op(M) end},
      ?MODS, [{1.15, '=<', port_rtt64_us}, {bound, api_nop_us}]},
     {"connect+accept+close", per_s, "1/s", higher,
      fun(M, P) -> W:conn_rate(M, maps:get(ms, P)) end,
      ?MODS, [{0.9, '>=', {calls, 7}}]},
     {"udp 64 B lock-step", per_s, "1/s", higher,
      fun(M, P) -> W:udp_lockstep(M, maps:get(ms, P)) end,
      ?MODS, [{0.9, '>=', {per_round_trips, 2}}, {bound, api_udp_per_s}]},
     {"1000 conns ping-pong", per_s, "1/s", higher,
      fun(M, P) -> W:many(M, maps:get(many, P), maps:get(many_ms, P)) end,
      ?MODS, [{1.0, '>=', gen}, {bound, {calls_per, 4}}, {bound, api_many_per_s}]},
     {"1000 conns p99", p99_us, "us", lower, same, ?MODS, []},
     {"idle socket, VM", vm_bytes, "B", lower,
      fun(M, P) -> fresh(1, fun() -> W:idle(M, maps:get(idle, P)) end) end,
      ?MODS, []},
     {"idle socket, daemon", daemon_bytes, "B", lower, same, [sockport],
      [{2048, '=<', bytes}]},
     {"2 bulk streams, 1 shard", mbps, "MB/s", higher,
      fun(M, P) -> fresh(1, fun() -> W:shards(M, 2, maps:get(shard_bytes, P)) end)
      end,
      [sockport], []},
     %% Measured, without a target: what two daemons give depends on the
     %% cores left beside the VM (README, Performance).
     {"2 bulk streams, 2 shards", mbps, "MB/s", higher,
      fun(M, P) -> fresh(2, fun() -> W:shards(M, 2, maps:get(shard_bytes, P)) end)
      end,
      [sockport], []}].

name({Name, _, _, _, _, _, _}) -> Name.
mods({_, _, _, _, _, Mods, _}) -> Mods.

%% Rows marked `same' read another metric of the previous row's run.
fun_of({Name, _, _, _, same, _, _}) ->
    fun(M, _P) -> erase({last, prev(Name), M}) end;
fun_of({Name, _, _, _, F, _, _}) ->
    fun(M, P) -> R = F(M, P), put({last, Name, M}, R), R end.

prev(Name) ->
    Names = [name(R) || R <- rows()],
    lists:nth(index(Name, Names) - 1, Names).

index(X, [X | _]) -> 1;
index(X, [_ | T]) -> 1 + index(X, T).

%% Restarts sockport with N daemons for F: fresh daemons, whose heaps hold
%% nothing of the rows before (a daemon keeps memory it freed for reuse,
%% which would hide what new sockets take).
fresh(N, F) ->
    ok = application:stop(sockport),
    ok = application:set_env(sockport, shards, N),
    {ok, _} = application:ensure_all_started(sockport),
    try F()
    after
        ok = application:stop(sockport),
        ok = application:set_env(sockport, shards, 1),
        {ok, _} = application:ensure_all_started(sockport)
    end.

%% ---------------------------------------------------------------------------
%% The table

table(Results) ->
    io:format("~n"),
    Head = ["workload", "unit", "socket", "gen", "sockport",
            "sp/socket", "sp/gen", "target", "of target", "of bound",
            "result"],
    Lines = [line(Row, Figs, Floors) || {Row, Figs, Floors} <- Results],
    Widths = [lists:max([string:length(lists:nth(I, L)) || L <- [Head | Lines]])
              || I <- lists:seq(1, length(Head))],
    [io:format("~s~n", [fmt_line(L, Widths)]) || L <- [Head | Lines]],
    [Head | Lines].

line({Name, Metric, Unit, Better, _F, _Mods, Targets} = Row, Figs, Floors) ->
    V = fun(M) -> value(Metric, M, Figs) end,
    SP = V(sockport),
    Checks = [target(T, SP, V, Row, Floors) || T <- Targets],
    [Name, Unit, num(V(socket)), num(V(gen)), num(SP),
     ratio(SP, V(socket)), ratio(SP, V(gen)),
     string:join([T || {T, _, _} <- Checks], "; "),
     share(SP, Targets, Checks),
     bound_share(SP, Better, Checks),
     result(SP, Better, Checks)].

%% How near sockport comes to the tightest measured bound (1.00: at it).
bound_share(SP, Better, Checks) ->
    case tightest(SP, Better, Checks) of
        {_, Share} -> float_to_list(Share, [{decimals, 2}]);
        none -> "-"
    end.

%% The tightest measured bound of a row (the lowest ceiling of a rate,
%% the highest floor of a time) and sockport's share of it, or none.
tightest(SP, Better, Checks) ->
    case [B || {_, bound, B} <- Checks, is_number(B), B > 0] of
        [_ | _] = Bounds when is_number(SP), SP > 0 ->
            case Better of
                higher -> B = lists:min(Bounds), {B, SP / B};
                lower -> B = lists:max(Bounds), {B, B / SP}
            end;
        _ ->
            none
    end.

%% How far sockport is towards its hardest target: 1.00 or more is met
%% (a rate over the limit, or a time under it).
share(SP, Targets, Checks) ->
    Shares = [case Op of
                  '>=' -> SP / Limit;
                  '=<' -> Limit / SP
              end
              || {{_, Op, _}, {_, Ok, Limit}} <- lists:zip(Targets, Checks),
                 is_boolean(Ok), is_number(Limit), is_number(SP), SP > 0, Limit > 0],
    case Shares of
        [] -> "-";
        _ -> float_to_list(lists:min(Shares), [{decimals, 2}])
    end.

%% met, MISSED, or, where every missed target lies beyond the measured
%% bound, "ceiling" or "floor" with the share of it that sockport reaches.
result(SP, Better, Checks) ->
    Missed = [Limit || {_, false, Limit} <- Checks],
    case {[X || {_, X, _} <- Checks, is_boolean(X)], Missed,
          tightest(SP, Better, Checks)} of
        {[], _, _} -> "";
        {_, [], _} -> "met";
        {_, _, {B, Share}} ->
            {Beyond, Label} = case Better of
                                  higher -> {fun(L) -> L > B end, "ceiling"};
                                  lower -> {fun(L) -> L < B end, "floor"}
                              end,
            case lists:all(fun(L) -> is_number(L) andalso Beyond(L) end, Missed) of
                true -> lists:flatten(io_lib:format("~s (~b%)",
                                                    [Label, round(100 * Share)]));
                false -> "MISSED"
            end;
        _ -> "MISSED"
    end.

value(Metric, M, Figs) ->
    case lists:keyfind(M, 1, Figs) of
        {M, #{Metric := X}} -> X;
        _ -> undefined
    end.

target({bound, Ref}, _SP, V, Row, Floors) ->
    {RefText, RefVal} = reference(Ref, V, Floors),
    Label = case element(4, Row) of higher -> "ceiling"; lower -> "floor" end,
    {lists:flatten(io_lib:format("~s ~s (~s)", [Label, RefText, num(RefVal)])),
     bound, RefVal};
target({Ratio, Op, Ref}, SP, V, _Row, Floors) ->
    {RefText, RefVal} = reference(Ref, V, Floors),
    Text = lists:flatten(io_lib:format("~s ~s x ~s", [Op, num(Ratio), RefText])),
    Limit = case RefVal of undefined -> undefined; _ -> Ratio * RefVal end,
    Ok = SP =/= undefined andalso Limit =/= undefined andalso
        erlang:Op(SP, Limit),
    {Text ++ io_lib:format(" (~s)", [num(Limit)]), Ok, Limit}.

reference(bytes, _V, _) ->
    {"1 B", 1};
reference(M, V, _) when M =:= gen; M =:= socket ->
    {atom_to_list(M), V(M)};
reference({calls, K}, V, Floors) ->
    %% socket's rate with K more port round trips per operation
    Rtt = maps:get(port_rtt64_us, Floors),
    {io_lib:format("socket + ~b port rtt", [K]),
     case V(socket) of
         undefined -> undefined;
         S -> 1.0e6 / (1.0e6 / S + K * Rtt)
     end};
reference({per_round_trips, K}, _V, Floors) ->
    {io_lib:format("1/(~b port rtt)", [K]),
     1.0e6 / (K * maps:get(port_rtt64_us, Floors))};
reference({calls_per, K}, _V, Floors) ->
    %% concurrent port round trips, K per operation
    {io_lib:format("port calls/~b", [K]), maps:get(port_calls_per_s, Floors) / K};
reference(Floor, _V, Floors) ->
    {atom_to_list(Floor), maps:get(Floor, Floors)}.

num(undefined) -> "-";
num(X) when is_integer(X) -> integer_to_list(X);
num(X) when abs(X) >= 100 -> integer_to_list(round(X));
num(X) -> float_to_list(float(X), [{decimals, 2}]).

ratio(A, B) when is_number(A), is_number(B), B /= 0 ->
    float_to_list(A / B, [{decimals, 2}]);
ratio(_, _) ->
    "-".

fmt_line(L, Widths) ->
    string:trim(lists:flatten(
                  [io_lib:format("~-*s  ", [W, C]) || {C, W} <- lists:zip(L, Widths)]),
                trailing).

csv(Lines) ->
    [[lists:join(",", [csv_cell(C) || C <- L]), "\n"] || L <- Lines].

csv_cell(C) ->
    case lists:member($,, C) orelse lists:member($", C) of
        true -> [$", string:replace(C, "\"", "\"\"", all), $"];
        false -> C
    end.

%% A bar chart of how far sockport is towards each row's target and its
%% measured bound (1.0: just met, or at the bound), if gnuplot is
%% installed.
chart([_Head | Lines], OutDir) ->
    case os:find_executable("gnuplot") of
        false ->
            io:format("no gnuplot: no chart~n");
        Gnuplot ->
            Data = filename:join(OutDir, "ratios.dat"),
            Png = filename:join(OutDir, "bench.png"),
            Rows = [[$", Name, $", " ", Share, " ", dash_nan(Bound), "\n"]
                    || [Name, _, _, _, _, _, _, _, Share, Bound, _] <- Lines,
                       Share =/= "-"],
            ok = file:write_file(Data, Rows),
            Script = filename:join(OutDir, "bench.gp"),
            ok = file:write_file(Script, gnuplot_script(Data, Png)),
            _ = os:cmd(Gnuplot ++ " " ++ Script),
            io:format("chart: ~s~n", [Png])
    end.

dash_nan("-") -> "NaN";
dash_nan(X) -> X.

gnuplot_script(Data, Png) ->
    ["set terminal png size 1100,550\n",
     "set output '", Png, "'\n",
     "set termoption noenhanced\n",
     "set title 'sockport against its targets and the measured bounds "
     "(1.0 = met, or at the bound; above is better; bars cut at 2)'\n",
     "set style data histograms\nset style histogram clustered gap 1\n",
     "set style fill solid border -1\nset boxwidth 0.9\n",
     "set yrange [0:2]\nset xtics rotate by -30\nset key top left\n",
     "set datafile missing 'NaN'\n",
     "plot '", Data, "' using 2:xtic(1) title 'of target', "
     "'' using 3 title 'of bound (the API over one port)', "
     "1 with lines lw 2 notitle\n"].
