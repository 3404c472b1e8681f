%% The top supervisor: one router (sockport_port) per shard.
%%
%% A router survives its daemon's deaths and restarts the daemon itself, so
%% the intensity below only ever counts router crashes (bugs), never
%% daemon kills.
-module(sockport_sup).
-behaviour(supervisor).

-export([start_link/0]).
-export([init/1]).

-spec start_link() -> {ok, pid()} | ignore | {error, term()}.
start_link() ->
    supervisor:start_link({local, ?MODULE}, ?MODULE, []).

-spec init([]) ->
          {ok, {supervisor:sup_flags(), [supervisor:child_spec()]}}.
init([]) ->
    Shards = shards(),
    ok = sockport_port:set_shards(Shards),
    Flags = #{strategy => one_for_one, intensity => 10, period => 10},
    Children = [#{id => {sockport_port, Shard},
                  start => {sockport_port, start_link, [Shard]},
                  restart => permanent,
                  shutdown => 5000,
                  type => worker,
                  modules => [sockport_port]}
                || Shard <- lists:seq(0, Shards - 1)],
    {ok, {Flags, Children}}.

shards() ->
    case application:get_env(sockport, shards, 1) of
        N when is_integer(N), N >= 1 -> N;
        _ -> 1
    end.
