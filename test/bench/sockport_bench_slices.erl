%% Timed operations run side by side: each in turn for a slice of time,
%% until each has run as long as asked. On a shared machine the speed of
%% a round trip changes from one quarter of a second to the next (medians
%% of 250 ms windows of one run flip between two levels half apart), so a
%% figure and the bound it is compared with must be measured in the same
%% stretch of time, not one after the other.
-module(sockport_bench_slices).

-export([run/3, latency/1, pct/2]).

-export_type([op/0]).

%% {Op, Stop}: Op() does one timed operation; Stop() tears it down.
-type op() :: {fun(() -> term()), fun(() -> term())}.

%% #{Key => [microseconds of each Op()]}: every {Key, {Op, Stop}} runs Ms
%% in all, SliceMs at a time, in turn; then every Stop() runs. Ops run in
%% the calling process.
-spec run([{term(), op()}], pos_integer(), pos_integer()) ->
          #{term() => [float()]}.
run(Ops, Ms, SliceMs) ->
    try rounds(Ops, Ms * 1000000, SliceMs * 1000000, #{})
    after
        [Stop() || {_, {_, Stop}} <- Ops]
    end.

rounds(_Ops, Left, _Slice, Acc) when Left =< 0 ->
    Acc;
rounds(Ops, Left, Slice, Acc) ->
    T = min(Slice, Left),
    Acc1 = lists:foldl(fun({K, {Op, _}}, A) ->
                               A#{K => slice(Op, now_ns() + T, maps:get(K, A, []))}
                       end, Acc, Ops),
    rounds(Ops, Left - T, Slice, Acc1).

slice(Op, Deadline, Acc) ->
    T0 = now_ns(),
    _ = Op(),
    T1 = now_ns(),
    Acc1 = [(T1 - T0) / 1000 | Acc],
    case T1 > Deadline of
        true -> Acc1;
        false -> slice(Op, Deadline, Acc1)
    end.

now_ns() -> erlang:monotonic_time(nanosecond).

%% The figures of a latency workload from its samples.
-spec latency([number()]) -> #{atom() => number()}.
latency(Samples) ->
    #{median_us => pct(Samples, 50), p99_us => pct(Samples, 99),
      n => length(Samples)}.

%% The P-th percentile of L.
-spec pct([number()], number()) -> number().
pct(L, P) ->
    S = lists:sort(L),
    lists:nth(max(1, min(length(S), round(length(S) * P / 100))), S).
