%% Counter wrap ({otp, iow}): with sockportd_test, whose test-only command
%% sets a socket's counter, a counter is put just below 2^64 and traffic
%% makes it wrap. The owner gets {'$socket', S, counter_wrap, Name} when
%% iow is on and nothing when it is off; the counter goes on from 0
%% either way, as OTP's do.
-module(sockport_wrap_SUITE).

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1]).
-export([wrap_with_iow/1, wrap_without_iow/1]).

-define(TEST_COUNTER, 251).
%% counters.h: the index of write_byte and read_byte
-define(WRITE_BYTE, 6).
-define(READ_BYTE, 0).
-define(MAX, 16#ffffffffffffffff).

suite() -> [{timetrap, {seconds, 60}}].

all() -> [wrap_with_iow, wrap_without_iow].

init_per_suite(Config) ->
    Daemon = filename:join(filename:dirname(code:which(?MODULE)), "sockportd_test"),
    case filelib:is_regular(Daemon) of
        false ->
            {error, {missing, Daemon}};
        true ->
            Saved = application:get_all_env(sockport),
            sockport_test_lib:restart(Saved ++ [{daemon_path, Daemon}]),
            [{saved, Saved} | Config]
    end.

end_per_suite(Config) ->
    application:stop(sockport),
    sockport_test_lib:set_env(proplists:get_value(saved, Config)).

wrap_with_iow(_Config) ->
    {S, R, RA} = pair(),
    ok = sockport:setopt(S, {otp, iow}, true),
    {ok, true} = sockport:getopt(S, {otp, iow}),
    ok = set_counter(S, ?WRITE_BYTE, ?MAX - 3),
    ok = sockport:sendto(S, <<"12345">>, RA),
    {ok, {_, <<"12345">>}} = socket:recvfrom(R, 0, [], 5000),
    receive {'$socket', S, counter_wrap, write_byte} -> ok
    after 5000 -> error(no_counter_wrap)
    end,
    #{counters := #{write_byte := 1}} = sockport:info(S),
    %% once is once: the next send does not wrap
    ok = sockport:sendto(S, <<"6">>, RA),
    {ok, {_, <<"6">>}} = socket:recvfrom(R, 0, [], 5000),
    receive {'$socket', S, counter_wrap, _} = M -> error({again, M})
    after 200 -> ok
    end,
    %% a read counter wraps the same way
    {ok, SA} = sockport:sockname(S),
    ok = set_counter(S, ?READ_BYTE, ?MAX),
    ok = socket:sendto(R, <<"in">>, SA),
    {ok, {_, <<"in">>}} = sockport:recvfrom(S, 0, [], 5000),
    receive {'$socket', S, counter_wrap, read_byte} -> ok
    after 5000 -> error(no_counter_wrap)
    end,
    #{counters := #{read_byte := 1}} = sockport:info(S),
    close(S, R).

wrap_without_iow(_Config) ->
    {S, R, RA} = pair(),
    {ok, false} = sockport:getopt(S, {otp, iow}),
    ok = set_counter(S, ?WRITE_BYTE, ?MAX),
    ok = sockport:sendto(S, <<"xy">>, RA),
    {ok, {_, <<"xy">>}} = socket:recvfrom(R, 0, [], 5000),
    #{counters := #{write_byte := 1}} = sockport:info(S),
    receive {'$socket', S, counter_wrap, _} = M -> error({unasked, M})
    after 200 -> ok
    end,
    close(S, R).

pair() ->
    {ok, S} = sockport:open(inet, dgram, udp),
    ok = sockport:bind(S, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    {ok, R} = socket:open(inet, dgram, udp),
    ok = socket:bind(R, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    {ok, RA} = socket:sockname(R),
    {S, R, RA}.

set_counter({'$socket', {sockport, Port, Id}}, Index, Value) ->
    sockport_cmd:request(Port, ?TEST_COUNTER, Id, [Index, Value]).

close(S, R) ->
    ok = sockport:close(S),
    ok = socket:close(R).
