%% The public header of the sockport application:
%% -include_lib("sockport/include/sockport.hrl").
%%
%% sockport logs through logger with structured reports (maps) whose
%% metadata has a domain under ?SOCKPORT_LOG_DOMAIN, for example
%% [sockport, daemon] for daemon starts, deaths and restarts (the README's
%% "Logging" lists them). A handler or primary filter can pick them out:
%%
%%   logger:add_handler_filter(default, sockport,
%%       {fun logger_filters:domain/2,
%%        {stop, sub, ?SOCKPORT_LOG_DOMAIN}}).
-ifndef(SOCKPORT_HRL).
-define(SOCKPORT_HRL, true).

-define(SOCKPORT_LOG_DOMAIN, [sockport]).
-define(SOCKPORT_LOG_DOMAIN(Sub), [sockport, Sub]).

-endif.
