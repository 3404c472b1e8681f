%% Random malformed (and some well-formed) arguments at every function that
%% `socket' and `sockport' both export: each call runs once with each
%% module on fresh sockets of its own, and the outcomes must match after
%% normalisation: the same return value, or an exception of the same class
%% and reason, or both still blocked after a while. The generator is seeded,
%% so a failure names a call that can be replayed.
-module(sockport_args_SUITE).

-export([all/0, suite/0, init_per_suite/1, end_per_suite/1]).
-export([random_args/1]).

-define(TRIALS, 60).  % per function and arity
-define(BLOCK_MS, 300).

suite() -> [{timetrap, {minutes, 10}}].

all() -> [random_args].

init_per_suite(Config) ->
    case sockport_test_lib:start_sockport() of
        ok -> Config;
        Other -> Other
    end.

end_per_suite(_Config) ->
    ok.

%% Functions that print, or change global state of the whole VM or
%% application, are left out.
skip(i) -> true;
skip(use_registry) -> true;
skip(debug) -> true;
skip(socket_debug) -> true;
skip(which_sockets) -> true;
skip(number_of) -> true;
skip(info) -> true;
skip(module_info) -> true;
skip(_) -> false.

random_args(_Config) ->
    %% SOCKPORT_ARGS_SEED=N explores other inputs; CI uses the fixed one.
    Seed = list_to_integer(os:getenv("SOCKPORT_ARGS_SEED", "2027")),
    rand:seed(exsss, {17, 4, Seed}),
    {module, _} = code:ensure_loaded(sockport),
    Funs = [{F, A} || {F, A} <- socket:module_info(exports),
                      A > 0, not skip(F),
                      erlang:function_exported(sockport, F, A)],
    true = length(Funs) > 30,
    Diffs = lists:append([trials(F, A) || {F, A} <- lists:sort(Funs)]),
    case Diffs of
        [] -> ok;
        _ -> error({differ, length(Diffs), Diffs})
    end.

trials(F, A) ->
    lists:filtermap(
      fun(I) ->
              Args = spare_the_vm(F, [arg(P) || P <- lists:seq(1, A)]),
              Expected = outcome(socket, F, Args),
              Got = outcome(sockport, F, Args),
              case Expected =:= Got of
                  true -> false;
                  false -> {true, #{call => {F, I, Args}, socket => Expected,
                                    sockport => Got}}
              end
      end, lists:seq(1, ?TRIALS)).

%% OTP 25's NIF aborts the whole VM when a receive buffer of a huge size
%% cannot be allocated (socket:recvfrom(S, 1 bsl 40)); such sizes are
%% tested with sockport alone (sockport_diff_stream_SUITE, seed cases).
spare_the_vm(F, Args) when F =:= recv; F =:= recvfrom; F =:= recvmsg ->
    [case A of
         N when is_integer(N), N > 1 bsl 30 -> 65536;
         _ -> A
     end || A <- Args];
spare_the_vm(_F, Args) ->
    Args.

%% Placeholders for sockets are made real per module: '$stream' a fresh
%% TCP socket, '$dgram' a UDP socket bound to 127.0.0.1, '$closed' a
%% closed one.
arg(1) -> pick([{sock, stream}, {sock, dgram}, {sock, closed}, {sock, stream},
                term()]);
arg(_) -> term().

term() ->
    pick([0, 1, -1, 7, 65535, 65536, 1 bsl 40, -(1 bsl 40), 3.5,
          inet, inet6, local, unspec, stream, dgram, raw, seqpacket, tcp, udp,
          default, foo, true, false, infinity, nowait, undefined, socket, ip,
          ipv6, otp, read, write, read_write, accept, recv, send,
          [], [peek], [foo], [1 | 2], "abc", <<>>, <<"data">>, <<0:8000>>,
          {}, {a, b}, {socket, type}, {socket, foo}, {otp, rcvbuf},
          {ip, tos}, {tcp, nodelay}, {select_info, recv, make_ref()},
          #{}, #{family => inet}, #{family => foo},
          #{family => inet, addr => loopback, port => 0},
          #{family => inet, addr => {127, 0, 0, 1}, port => 1},
          #{family => local, path => <<"/nonexistent/x">>},
          rdm, #{family => unspec}, #{family => 16, addr => <<0:96>>},
          #{family => 2, addr => <<0, 9, 127, 0, 0, 1, 0:64>>},
          #{iov => [<<"x">>]}, #{iov => foo}, #{dup => false},
          make_ref(), self(), {sock, closed}]).

pick(L) -> lists:nth(rand:uniform(length(L)), L).

%% The call's outcome in a process of its own, on fresh sockets.
outcome(M, F, Args0) ->
    Self = self(),
    {Pid, MRef} =
        spawn_monitor(
          fun() ->
                  {Args, Socks} = realise(M, Args0),
                  R = try apply(M, F, Args) of
                          V -> {return, V}
                      catch
                          C:E -> {C, E}
                      end,
                  Self ! {self(), R},
                  receive stop -> ok end,
                  [catch M:close(S) || S <- Socks]
          end),
    R = result(Pid, ?BLOCK_MS, 5000),
    exit(Pid, kill),
    receive {'DOWN', MRef, process, Pid, _} -> ok end,
    flush_socket_msgs(),
    sockport_norm:normalise(R).

%% The call's result; `blocked' if after Ms it waits in a receive (not
%% merely slow on a busy machine: then it gets up to Max more).
result(Pid, Ms, Max) ->
    receive
        {Pid, Res} -> Res
    after Ms ->
            case erlang:process_info(Pid, status) of
                {status, waiting} ->
                    %% (it may have answered and be waiting to be stopped)
                    receive {Pid, Res} -> Res after 0 -> blocked end;
                _ when Max > 0 -> result(Pid, 100, Max - 100);
                _ -> blocked
            end
    end.

realise(M, Args) ->
    lists:mapfoldl(fun({sock, Kind}, Acc) ->
                           S = sock(M, Kind),
                           {S, [S | Acc]};
                      (T, Acc) ->
                           {T, Acc}
                   end, [], Args).

sock(M, stream) ->
    {ok, S} = M:open(inet, stream, tcp),
    S;
sock(M, dgram) ->
    {ok, S} = M:open(inet, dgram, udp),
    ok = M:bind(S, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    S;
sock(M, closed) ->
    {ok, S} = M:open(inet, stream, tcp),
    ok = M:close(S),
    S.

flush_socket_msgs() ->
    receive {'$socket', _, _, _} -> flush_socket_msgs()
    after 0 -> ok
    end.
