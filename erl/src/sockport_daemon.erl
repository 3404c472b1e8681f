%% sockport:daemon_info/0,1: the state and statistics of each shard's
%% daemon, from its router (starts, deaths, sandbox kills, pids, the
%% launch prefix) and from the daemon itself (STATS in PROTOCOL.md:
%% sockets, pids watched, commands, limit hits, output queue).
-module(sockport_daemon).

-include("sockport_ops.hrl").

-export([daemon_info/0]).
-export([daemon_info/1]).

%% ===========================================================================
%% API

%% One map per shard, in shard order.
-spec daemon_info() -> [map()].
daemon_info() ->
    [daemon_info(Shard) || Shard <- lists:seq(0, sockport_port:shards() - 1)].

%% The router's map of the shard, with the daemon's statistics when it is
%% up (and answers).
-spec daemon_info(non_neg_integer()) -> map().
daemon_info(Shard)
  when is_integer(Shard), Shard >= 0 ->
    case Shard < sockport_port:shards() of
        true ->
            Router = try sockport_port:stats(Shard)
                     catch exit:_ -> #{shard => Shard, status => down}
                     end,
            maps:merge(Router, daemon_stats(sockport_port:port(Shard)));
        false ->
            erlang:error(badarg, [Shard])
    end;
daemon_info(Shard) ->
    erlang:error(badarg, [Shard]).

%% ===========================================================================
%% The daemon's side

daemon_stats(undefined) ->
    #{};
daemon_stats(Port) ->
    case sockport_cmd:request(Port, ?SP_OP_STATS, 0, []) of
        {ok, KVs} ->
            maps:map(fun (limits, L) -> maps:from_list(L);
                         (limit_hits, L) -> maps:from_list(L);
                         (_, V) -> V
                     end, maps:from_list(KVs));
        {error, _} ->
            #{}
    end.
