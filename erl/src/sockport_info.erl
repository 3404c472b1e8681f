%% Introspection of the sockport API: info/0,1, number_of/0,
%% which_sockets/0,1, i/0,1,2 and the global switches debug/1,
%% socket_debug/1 and use_registry/1, as OTP's socket has them.
%%
%% The daemons keep the counters and states (INFO, SOCKETS and GLOBAL in
%% PROTOCOL.md); this module asks every shard and builds OTP's maps and
%% tables. The global switches live here, in persistent_term: use_registry
%% and socket_debug are the defaults of new sockets (sent with OPEN), debug
%% is sent to every daemon and again to one that restarts.
-module(sockport_info).

-include_lib("kernel/include/logger.hrl").
-include("sockport_ops.hrl").
-include("sockport_int.hrl").

-export([info/0]).
-export([info/1]).
-export([number_of/0]).
-export([which_sockets/0]).
-export([which_sockets/1]).
-export([i/0]).
-export([i/1]).
-export([i/2]).
-export([debug/1]).
-export([socket_debug/1]).
-export([use_registry/1]).
-export([open_opts/1]).
-export([startup_commands/0]).

%% A socket as the daemon lists it (SOCKETS).
-type entry() :: {sockport:socket(), Domain :: atom() | integer(),
                  Type :: atom() | integer(), Protocol :: atom() | integer(),
                  Owner :: pid()}.

%% What info/0 says of iov_max when no daemon runs (Linux's value).
-define(IOV_MAX_DEFAULT, 1024).

%% ===========================================================================
%% info

%% socket:info/0: the daemons' counters summed, and the global switches.
-spec info() -> map().
info() ->
    Replies = [maps:from_list(KVs)
               || Port <- ports(),
                  {ok, KVs} <- [sockport_cmd:request(Port, ?SP_OP_GLOBAL, 0,
                                                     [[]])]],
    Zero = maps:from_list([{K, 0} || K <- [num_dinet, num_dinet6, num_dlocal,
                                           num_pip, num_psctp, num_ptcp,
                                           num_pudp, num_sockets, num_tdgrams,
                                           num_tseqpkgs, num_tstreams]]),
    Counters = lists:foldl(fun (#{counters := C}, Acc) -> add_counters(C, Acc)
                           end, Zero#{num_cnt_bits => 64}, Replies),
    IovMax = case Replies of
                 [#{iov_max := N} | _] -> N;
                 [] -> ?IOV_MAX_DEFAULT
             end,
    #{counters => Counters,
      iov_max => IovMax,
      use_registry => setting(use_registry),
      debug => setting(debug),
      socket_debug => setting(socket_debug),
      iow => false,
      io_backend => #{name => sockportd}}.

add_counters(KVs, Acc) ->
    lists:foldl(fun ({num_cnt_bits, _}, A) -> A;
                    ({K, V}, A) -> maps:update_with(K, fun (X) -> X + V end,
                                                    V, A)
                end, Acc, KVs).

%% socket:info/1. A socket closed long ago (or of a dead daemon) is
%% answered with what is known of any closed socket.
-spec info(sockport:socket()) -> map().
info(?socket(Port, Id)) when ?IS_SOCKET(Port, Id) ->
    case sockport_cmd:request(Port, ?SP_OP_INFO, Id, []) of
        {ok, KVs} ->
            Info = maps:from_list(KVs),
            Info#{counters := maps:from_list(maps:get(counters, Info))};
        {error, _} ->
            unknown_closed()
    end;
info(Socket) ->
    erlang:error(badarg, [Socket]).

unknown_closed() ->
    Zero = [read_byte, read_fails, read_pkg, read_pkg_max, read_tries,
            read_waits, write_byte, write_fails, write_pkg, write_pkg_max,
            write_tries, write_waits, acc_success, acc_fails, acc_tries,
            acc_waits],
    #{domain => unspec, type => 0, protocol => 0, owner => undefined,
      ctype => normal, counters => maps:from_list([{K, 0} || K <- Zero]),
      num_readers => 0, num_writers => 0, num_acceptors => 0,
      rstates => [closing, closed], wstates => [closing, closed],
      readable => false, writable => false}.

%% ===========================================================================
%% number_of, which_sockets

%% The registered sockets (use_registry true) of every daemon.
-spec number_of() -> non_neg_integer().
number_of() ->
    length(entries()).

-spec which_sockets() -> [sockport:socket()].
which_sockets() ->
    [S || {S, _, _, _, _} <- entries()].

%% socket:which_sockets/1, clause for clause.
-spec which_sockets(term()) -> [sockport:socket()].
which_sockets(Domain)
  when Domain =:= inet; Domain =:= inet6; Domain =:= local ->
    [S || {S, D, _, _, _} <- entries(), D =:= Domain];
which_sockets(Type)
  when Type =:= stream; Type =:= dgram; Type =:= seqpacket ->
    [S || {S, _, T, _, _} <- entries(), T =:= Type];
which_sockets(Proto)
  when Proto =:= sctp; Proto =:= tcp; Proto =:= udp ->
    [S || {S, _, _, P, _} <- entries(), P =:= Proto];
which_sockets(Owner) when is_pid(Owner) ->
    [S || {S, _, _, _, O} <- entries(), O =:= Owner];
which_sockets(Filter) when is_function(Filter, 1) ->
    try
        [S || {S, _, _, _, _} <- entries(), Filter(info(S)) =:= true]
    catch
        C:E:ST ->
            %% As OTP's registry: the filter failed.
            ?LOG_ERROR("sockport which_sockets: filter failed: ~p:~p~n~p",
                       [C, E, ST]),
            erlang:error(badarg, [Filter])
    end;
which_sockets(Other) ->
    erlang:error(badarg, [Other]).

-spec entries() -> [entry()].
entries() ->
    lists:append(
      [[{?socket(Port, Id), D, T, P, O} || {Id, D, T, P, O} <- lists:sort(L)]
       || Port <- ports(),
          {ok, L} <- [sockport_cmd:request(Port, ?SP_OP_SOCKETS, 0, [])]]).

ports() ->
    [P || Shard <- lists:seq(0, sockport_port:shards() - 1),
          P <- [sockport_port:port(Shard)], P =/= undefined].

%% ===========================================================================
%% i - the table of socket:i/0,1,2

-spec i() -> ok.
i() ->
    do_i(which_sockets(), default_info_keys()).

-spec i(term()) -> ok.
i(InfoKeys) when is_list(InfoKeys) ->
    do_i(which_sockets(), InfoKeys);
i(Domain) when Domain =:= inet; Domain =:= inet6; Domain =:= local ->
    do_i(which_sockets(Domain), default_info_keys());
i(Proto) when Proto =:= tcp; Proto =:= udp; Proto =:= sctp ->
    do_i(which_sockets(Proto), default_info_keys());
i(Type) when Type =:= dgram; Type =:= seqpacket; Type =:= stream ->
    do_i(which_sockets(Type), default_info_keys()).

-spec i(atom(), list()) -> ok.
i(Domain, InfoKeys)
  when (Domain =:= inet orelse Domain =:= inet6 orelse Domain =:= local)
       andalso is_list(InfoKeys) ->
    do_i(which_sockets(Domain), InfoKeys);
i(Proto, InfoKeys)
  when (Proto =:= tcp orelse Proto =:= udp orelse Proto =:= sctp)
       andalso is_list(InfoKeys) ->
    do_i(which_sockets(Proto), InfoKeys);
i(Type, InfoKeys)
  when (Type =:= dgram orelse Type =:= seqpacket orelse Type =:= stream)
       andalso is_list(InfoKeys) ->
    do_i(which_sockets(Type), InfoKeys).

default_info_keys() ->
    [domain, type, protocol, fd, owner, local_address, remote_address,
     recv, sent, state].

%% socket:do_i/2: a header line and one line per socket, each column as
%% wide as its widest cell.
do_i(Sockets, InfoKeys) ->
    Lines = case [i_socket(S, InfoKeys) || S <- Sockets] of
                [] -> [];
                InfoLines -> [header_line(InfoKeys) | InfoLines]
            end,
    Maxs = lists:foldl(fun (Line, Max0) -> smax(Max0, Line) end,
                       lists:duplicate(length(InfoKeys), 0), Lines),
    Fmt = lists:append(["~-" ++ integer_to_list(N) ++ "s " || N <- Maxs])
        ++ "~n",
    lists:foreach(fun (Line) -> io:format(Fmt, Line) end, Lines).

header_line(Fields) ->
    [header_field(atom_to_list(F)) || F <- Fields].

header_field([C | Cs]) ->
    [string:to_upper(C) | header_field_rest(Cs)].

header_field_rest([$_, C | Cs]) ->
    [$\s, string:to_upper(C) | header_field_rest(Cs)];
header_field_rest([C | Cs]) ->
    [C | header_field_rest(Cs)];
header_field_rest([]) ->
    [].

smax([Max | Ms], [Str | Strs]) ->
    N = length(Str),
    [if N > Max -> N; true -> Max end | smax(Ms, Strs)];
smax([], []) ->
    [].

i_socket(Socket, InfoKeys) ->
    Info = #{protocol := Proto} = info(Socket),
    [i_socket_info(Proto, Socket, Info, Key) || Key <- InfoKeys].

i_socket_info(_Proto, _Socket, #{domain := Domain}, domain) ->
    atom_to_list(Domain);
i_socket_info(_Proto, _Socket, #{type := Type}, type) ->
    string:to_upper(atom_to_list(Type));
i_socket_info(Proto, _Socket, _Info, protocol) ->
    string:to_upper(atom_to_list(Proto));
i_socket_info(_Proto, Socket, _Info, fd) ->
    case sockport:getopt(Socket, {otp, fd}) of
        {ok, FD} -> integer_to_list(FD);
        {error, _} -> " "
    end;
i_socket_info(_Proto, _Socket, #{owner := Pid}, owner) ->
    pid_to_list(Pid);
i_socket_info(Proto, Socket, _Info, local_address) ->
    case sockport:sockname(Socket) of
        {ok, Addr} -> fmt_sockaddr(Addr, Proto);
        {error, _} -> " "
    end;
i_socket_info(Proto, Socket, _Info, remote_address) ->
    case sockport:peername(Socket) of
        {ok, Addr} -> fmt_sockaddr(Addr, Proto);
        {error, _} -> " "
    end;
i_socket_info(_Proto, _Socket, #{counters := #{read_byte := N}}, recv) ->
    integer_to_list(N);
i_socket_info(_Proto, _Socket, #{counters := #{write_byte := N}}, sent) ->
    integer_to_list(N);
i_socket_info(_Proto, _Socket, #{rstates := RStates, wstates := WStates},
              state) ->
    fmt_states(RStates, WStates);
i_socket_info(_Proto, _Socket, _Info, _Key) ->
    " ".

fmt_states([], []) ->
    " ";
fmt_states(RStates, []) ->
    fmt_states(RStates) ++ ", -";
fmt_states([], WStates) ->
    " - , " ++ fmt_states(WStates);
fmt_states(RStates, WStates) ->
    fmt_states(RStates) ++ " , " ++ fmt_states(WStates).

fmt_states([H]) ->
    fmt_state(H);
fmt_states([H | T]) ->
    fmt_state(H) ++ ":" ++ fmt_states(T).

fmt_state(accepting) -> "A";
fmt_state(bound) -> "BD";
fmt_state(busy) -> "BY";
fmt_state(connected) -> "CD";
fmt_state(connecting) -> "CG";
fmt_state(listen) -> "LN";
fmt_state(listening) -> "LG";
fmt_state(open) -> "O";
fmt_state(selected) -> "SD";
fmt_state(X) when is_atom(X) -> string:uppercase(atom_to_list(X)).

fmt_sockaddr(#{family := Fam, addr := Addr, port := Port}, Proto)
  when Fam =:= inet; Fam =:= inet6 ->
    case Addr of
        {0, 0, 0, 0} -> "*:" ++ fmt_port(Port, Proto);
        {0, 0, 0, 0, 0, 0, 0, 0} -> "*:" ++ fmt_port(Port, Proto);
        {127, 0, 0, 1} -> "localhost:" ++ fmt_port(Port, Proto);
        {0, 0, 0, 0, 0, 0, 0, 1} -> "localhost:" ++ fmt_port(Port, Proto);
        IP -> inet_parse:ntoa(IP) ++ ":" ++ fmt_port(Port, Proto)
    end;
fmt_sockaddr(#{family := local, path := Path}, _Proto) ->
    "local:" ++ if
                    is_list(Path) -> Path;
                    is_binary(Path) -> binary_to_list(Path)
                end.

fmt_port(N, Proto) ->
    case inet:getservbyport(N, Proto) of
        {ok, Name} -> lists:flatten(io_lib:format("~s (~w)", [Name, N]));
        _ -> integer_to_list(N)
    end.

%% ===========================================================================
%% Global switches

%% Turns the daemons' debug log on or off: every command is logged through
%% the router at level debug.
-spec debug(boolean()) -> ok.
debug(D) when is_boolean(D) ->
    persistent_term:put({?MODULE, debug}, D),
    _ = [sockport_cmd:request(Port, ?SP_OP_GLOBAL, 0, [[{debug, D}]])
         || Port <- ports()],
    ok;
debug(D) ->
    erlang:error(badarg, [D]).

%% The default {otp, debug} of sockets opened from now on.
-spec socket_debug(boolean()) -> ok.
socket_debug(D) when is_boolean(D) ->
    persistent_term:put({?MODULE, socket_debug}, D),
    ok;
socket_debug(D) ->
    erlang:error(badarg, [D]).

%% The default use_registry of sockets opened from now on.
-spec use_registry(boolean()) -> ok.
use_registry(D) when is_boolean(D) ->
    persistent_term:put({?MODULE, use_registry}, D),
    ok.

setting(use_registry) -> persistent_term:get({?MODULE, use_registry}, true);
setting(debug) -> persistent_term:get({?MODULE, debug}, false);
setting(socket_debug) -> persistent_term:get({?MODULE, socket_debug}, false).

%% The OPEN options: debug and use_registry of Opts, else the defaults.
-spec open_opts(map()) -> [{debug | use_registry, boolean()}].
open_opts(Opts) ->
    [{debug, bool_opt(debug, Opts, setting(socket_debug))},
     {use_registry, bool_opt(use_registry, Opts, setting(use_registry))}].

bool_opt(Key, Opts, Default) ->
    case Opts of
        #{Key := V} when is_boolean(V) -> V;
        #{} -> Default
    end.

%% Commands for a daemon that just started (the router sends them).
-spec startup_commands() -> [binary()].
startup_commands() ->
    case setting(debug) of
        true -> [term_to_binary({?SP_OP_GLOBAL, self(), make_ref(), 0,
                                 [{debug, true}]})];
        false -> []
    end.
