%% The messages of sendmsg and recvmsg: msg_send() maps to the wire forms
%% of a SENDMSG command, and the reply of a RECVMSG to msg_recv() maps
%% (PROTOCOL.md, "Control messages").
%%
%% A msg_send() goes through OTP's two steps, so that every malformed
%% message gives the term `socket' gives: first prim_socket's enc_msg/1
%% (the address's defaults, protocol names of levels to numbers; its
%% throws are the call's `{error, Reason}'), which is also the EMsg a
%% sendmsg continuation carries; then the checks the NIF makes while it
%% builds the struct msghdr, whose failures are `invalid' markers the
%% daemon reports in the NIF's order once it knows the socket is open.
%% Control messages are named with the generated table
%% (sockport_tables:cmsg/2); the daemon makes their bytes.
-module(sockport_cmsg).

-export([enc_msg/1]).
-export([wire_addr/1]).
-export([wire_cmsgs/1]).
-export([iov_count/1]).
-export([invalid_iov/2]).
-export([rest_iov/2]).
-export([dec_msg/4]).
-export([dec_cmsg/1]).

-export_type([wire_cmsg/0]).

-define(INT32(X), (is_integer(X) andalso -16#80000000 =< X andalso X =< 16#7fffffff)).

%% A control message on the wire: C level and type, and the data's bytes
%% or a value the daemon lays out.
-type wire_cmsg() ::
        {integer(), integer(),
         binary() | {int, integer()} | {timeval, integer(), integer()}}.

%% ===========================================================================
%% sendmsg

%% prim_socket:enc_msg/1 for a map with an iov: the encoded message (OTP's
%% EMsg) and the wire address (`undefined' without one, `invalid' where
%% the NIF would refuse it, or the error the NIF's decoding gives).
-spec enc_msg(map()) ->
          {map(), sockport_addr:wire() | undefined | invalid |
                  {error, atom()}}.
enc_msg(#{ctrl := []} = M) ->
    enc_msg(maps:remove(ctrl, M));
enc_msg(#{} = M) ->
    %% maps:map in OTP's order, so that the first of several errors wins.
    EMsg0 = maps:map(fun(addr, Addr) -> enc_addr(Addr);
                        (ctrl, Cmsgs) -> enc_cmsgs(Cmsgs);
                        (_, V) -> V
                     end, M),
    case EMsg0 of
        #{addr := {EAddr, Wire}} -> {EMsg0#{addr := EAddr}, Wire};
        #{} -> {EMsg0, undefined}
    end.

enc_addr(Addr) ->
    case sockport_addr:encode(Addr) of
        {ok, Wire, Merged} ->
            {Merged, Wire};
        {error, {invalid, {sockaddr, Addr}}} ->
            %% What the NIF finds while it builds the sockaddr.
            {Addr, invalid};
        {error, Posix} when is_atom(Posix) ->
            {Addr, {error, Posix}};
        {error, Reason} ->
            %% prim_socket:enc_sockaddr/1's throw
            throw(Reason)
    end.

%% prim_socket:enc_cmsgs/2: a level's protocol name becomes its number,
%% `socket' stays; elements without a level are dropped, as OTP's list
%% comprehension drops them (and fails on a non-list the same way).
enc_cmsgs(Cmsgs) ->
    [if
         is_atom(Level) ->
             case Level of
                 socket ->
                     Cmsg;
                 _ ->
                     case protocol(Level) of
                         undefined -> throw({invalid, {protocol, Level}});
                         L -> Cmsg#{level := L}
                     end
             end;
         true ->
             Cmsg
     end || #{level := Level} = Cmsg <- Cmsgs].

protocol(default) ->
    %% sockport's open/3 alias, not a getprotoent() name
    undefined;
protocol(Name) ->
    case lists:keyfind(Name, 1, sockport_tables:protocols()) of
        {_, Num} -> Num;
        false -> undefined
    end.

%% The address of an EMsg (a continuation's), as the NIF reads it.
-spec wire_addr(map()) -> sockport_addr:wire() | undefined | invalid.
wire_addr(#{addr := Addr}) ->
    try sockport_addr:encode(Addr) of
        {ok, Wire, _} -> Wire;
        {error, _} -> invalid
    catch
        error:_ -> invalid
    end;
wire_addr(#{}) ->
    undefined.

%% The control messages of an EMsg as the NIF builds them, or `invalid'
%% (any one of them unknown, malformed, or with a value its type has not).
-spec wire_cmsgs(term()) -> [wire_cmsg()] | invalid.
wire_cmsgs(Cmsgs) when is_list(Cmsgs) ->
    try [wire_cmsg(C) || C <- Cmsgs]
    catch
        throw:invalid -> invalid
    end;
wire_cmsgs(_) ->
    invalid.

wire_cmsg(#{level := Level, type := Type} = Cmsg) ->
    L = if
            Level =:= socket -> sockport_tables:cmsg_level(socket);
            ?INT32(Level) -> Level;
            true -> throw(invalid)
        end,
    {T, Kind} = if
                    is_atom(Type) ->
                        case sockport_tables:cmsg(L, Type) of
                            undefined -> throw(invalid);
                            Row -> Row
                        end;
                    ?INT32(Type) ->
                        {Type, none};
                    true ->
                        throw(invalid)
                end,
    Payload = case Cmsg of
                  #{value := _, data := _} -> throw(invalid);
                  #{value := V} -> value(Kind, V);
                  #{data := D} -> data(D);
                  #{} -> throw(invalid)
              end,
    {L, T, Payload};
wire_cmsg(_) ->
    throw(invalid).

value(int, V) when ?INT32(V) ->
    {int, V};
value(ip_tos, V) when ?INT32(V) ->
    {int, V};
value(ip_tos, V) when is_atom(V) ->
    case lists:keyfind(V, 1, sockport_tables:optconsts(ip_tos)) of
        {_, Num} -> {int, Num};
        false -> throw(invalid)
    end;
value(timeval, #{sec := Sec, usec := USec}) ->
    %% The NIF reads what it can; the kernel refuses SO_TIMESTAMP on send.
    {timeval, long(Sec), long(USec)};
value(_Kind, _V) ->
    throw(invalid).

long(I) when is_integer(I), -16#8000000000000000 =< I,
             I =< 16#7fffffffffffffff -> I;
long(_) -> 0.

%% native_value(): bytes, or a C int.
data(D) when is_binary(D) -> D;
data(D) when ?INT32(D) -> {int, D};
data(true) -> {int, 1};
data(false) -> {int, 0};
data(D) when is_list(D) ->
    try iolist_to_binary(D)
    catch
        error:_ -> throw(invalid)
    end;
data(_) -> throw(invalid).

%% The elements of an iov the NIF takes (a proper list of binaries), or
%% `invalid'.
-spec iov_count(term()) -> non_neg_integer() | invalid.
iov_count(IOV) ->
    iov_count(IOV, 0).

iov_count([], N) -> N;
iov_count([B | IOV], N) when is_binary(B) -> iov_count(IOV, N + 1);
iov_count(_, _) -> invalid.

%% prim_socket:invalid_iov/2: what is wrong with an iov.
-spec invalid_iov(term(), non_neg_integer()) ->
          {list | element_not_binary | improper_list, non_neg_integer()}.
invalid_iov([], N) ->
    {list, N};
invalid_iov([H | IOV], N) ->
    if
        is_binary(H) -> invalid_iov(IOV, N + 1);
        true -> {element_not_binary, N + 1}
    end;
invalid_iov(_, N) ->
    {improper_list, N}.

%% prim_socket:rest_iov/2: what is left of an iov after Written bytes.
-spec rest_iov(non_neg_integer(), [binary()]) -> [binary()].
rest_iov(0, []) ->
    [];
rest_iov(Written, [B | IOV]) when Written >= byte_size(B) ->
    rest_iov(Written - byte_size(B), IOV);
rest_iov(Written, [B | IOV]) ->
    <<_:Written/binary, Rest/binary>> = B,
    [Rest | IOV].

%% ===========================================================================
%% recvmsg

%% The msg_recv() of a RECVMSG reply and its data.
-spec dec_msg(sockport_addr:wire() | undefined, integer(), list(),
              binary()) -> map().
dec_msg(Addr, Flags, Ctrl, Data) ->
    Msg = #{iov => [Data],
            ctrl => [dec_cmsg(C) || C <- Ctrl],
            flags => dec_flags(Flags)},
    case Addr of
        undefined -> Msg;
        _ -> Msg#{addr => sockport_addr:decode(Addr)}
    end.

%% One control message of the wire list (recvmsg, ip pktoptions).
-spec dec_cmsg(tuple()) -> map().
dec_cmsg({Level, Type, Data, Value}) ->
    Cmsg = #{level => dec_level(Level), type => Type, data => Data},
    case Value of
        undefined -> Cmsg;
        _ -> Cmsg#{value => dec_value(Value)}
    end.

%% prim_socket:dec_cmsgs/2: a level the daemon has no name for is named
%% after its protocol when it has one.
dec_level(Level) when is_integer(Level) ->
    case lists:keyfind(Level, 2, sockport_tables:protocols()) of
        {Name, _} when Name =/= default -> Name;
        _ -> Level
    end;
dec_level(Level) ->
    Level.

dec_value({int, I}) ->
    I;
dec_value({ip_tos, Tos}) ->
    %% As the NIF: the TOS bits (IPTOS_TOS) name it, or the byte as it came.
    case lists:keyfind(Tos band 16#1e, 2, sockport_tables:optconsts(ip_tos)) of
        {Name, _} -> Name;
        false -> Tos
    end;
dec_value({timeval, Sec, USec}) ->
    #{sec => Sec, usec => USec};
dec_value({fds, Fds}) ->
    Fds;
dec_value({pktinfo, IfIndex, SpecDst, Addr}) ->
    #{ifindex => IfIndex, spec_dst => SpecDst, addr => Addr};
dec_value({in6_pktinfo, Addr, IfIndex}) ->
    #{addr => Addr, ifindex => IfIndex};
dec_value({sockaddr, Wire}) ->
    sockport_addr:decode(Wire);
dec_value({extended_err, Error, Origin, Type, Code, Info, Data, Offender}) ->
    {O, T, C} = ee_names(Origin, Type, Code),
    #{error => Error, origin => O, type => T, code => C,
      info => Info, data => Data,
      offender => sockport_addr:decode(Offender)}.

%% extended_err()'s names (linux/errqueue.h, linux/icmp.h, linux/icmpv6.h).
ee_names(2, 3, Code) ->
    {icmp, dest_unreach, name(Code, [{0, net_unreach}, {1, host_unreach},
                                     {3, port_unreach}, {4, frag_needed},
                                     {6, net_unknown}, {7, host_unknown}])};
ee_names(2, 11, Code) ->
    {icmp, time_exceeded, Code};
ee_names(3, 1, Code) ->
    {icmp6, dest_unreach, name(Code, [{0, noroute}, {1, adm_prohibited},
                                      {2, not_neighbour}, {3, addr_unreach},
                                      {4, port_unreach}, {5, policy_fail},
                                      {6, reject_route}])};
ee_names(3, 2, Code) ->
    {icmp6, pkt_toobig, Code};
ee_names(3, 3, Code) ->
    {icmp6, time_exceeded, Code};
ee_names(Origin, Type, Code) ->
    {name(Origin, [{0, none}, {1, local}, {2, icmp}, {3, icmp6}]), Type, Code}.

name(N, Names) ->
    case lists:keyfind(N, 1, Names) of
        {_, Name} -> Name;
        false -> N
    end.

%% msg_flag()s in the table's order, unknown bits last as one integer.
dec_flags(Flags) ->
    {Names, Rest} =
        lists:foldr(fun({Name, V}, {Acc, Left}) when Flags band V =/= 0 ->
                            {[Name | Acc], Left band bnot V};
                       (_, Acc) ->
                            Acc
                    end, {[], Flags}, sockport_tables:msg_flags()),
    case Rest of
        0 -> Names;
        _ -> Names ++ [Rest]
    end.
