%% The sockport application: starts one daemon and its router per shard.
-module(sockport_app).
-behaviour(application).

-export([start/2]).
-export([stop/1]).

-spec start(application:start_type(), term()) ->
          {ok, pid()} | {error, term()}.
start(_Type, _Args) ->
    case sockport_cmd:configure_frame_max() of
        ok -> sockport_sup:start_link();
        {error, _} = Error -> Error
    end.

-spec stop(term()) -> ok.
stop(_State) ->
    ok.
