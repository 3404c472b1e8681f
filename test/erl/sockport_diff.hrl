%% What every differential suite shares: the scenario helpers of
%% sockport_test_lib, the address kinds, and the DIFF case macro.
-import(sockport_test_lib, [doc/1, x/1, wait_blocked/1, msgs/1]).
-import(sockport_test_lib, [compare/2, run/2, rec/2, call/2, async/1, await/1, msg/1]).
-import(sockport_test_lib, [dom/1, addr/2, open/3, listener/3, pair/3, dgram/3, dead_addr/3]).
-import(sockport_test_lib, [close_ok/2, accept_for/4, recv_all/4, send_until_error/3, shape/2]).
-import(sockport_test_lib, [socket_msg/1, owner_loop/1, owner_call/2, closed_within/2, from/3]).
-import(sockport_test_lib, [blocked/1, fill_dgram/3, bounded/2, runs/1]).
-import(sockport_test_lib, [full_listener/3, full_pair/4, big/0, full_dgram/3, full_dgram_connected/3]).

-define(STREAM_KINDS, [inet, inet6, path, abstract]).
-define(DGRAM_KINDS, [inet, inet6, path, abstract]).
-define(LONG, 10000).

%% A differential case: run scenario Name/2 with both modules, compare.
-define(DIFF(Name, Doc), Name(Config) -> doc(Doc), compare(Config, fun Name/2)).

%% The groups of a differential suite: `socket' runs diff_cases() against
%% socket itself (proving each deterministic), `sockport' runs them against
%% sockport and adds the suite's seed_cases() (documented behaviour only
%% sockport is held to).
-export([all/0, groups/0, init_per_group/2, end_per_group/2]).

-spec all() -> list().
all() ->
    [{group, socket}, {group, sockport}].

-spec groups() -> list().
groups() ->
    [{socket, [], diff_cases()},
     {sockport, [], diff_cases() ++ seed_cases()}].

-spec init_per_group(atom(), list()) -> list() | {skip, string()}.
init_per_group(Group, Config) ->
    sockport_test_lib:init_per_group(Group, Config).

-spec end_per_group(atom(), list()) -> ok.
end_per_group(_, _) ->
    ok.
