%% Socket options in the VM: what prim_socket.erl does before it calls the
%% NIF (the option's shape and its row in the generated option table, level
%% aliases included), and the conversion of values between their Erlang
%% forms and the wire forms of PROTOCOL.md, chosen by the row's value type.
%% Whether a value is valid is decided here; the daemon is told `invalid'
%% instead of the value, so that it still answers `closed' for a closed
%% socket first, as the NIF does.
-module(sockport_opt).

-include("sockport_ops.hrl").

-export([getopt/3]).
-export([setopt/4]).
-export([getopt_native/4]).
-export([setopt_native/4]).

-define(OTP_SOCKET_OPTIONS,
        [debug, iow, controlling_process, rcvbuf, rcvctrlbuf, sndctrlbuf,
         fd, meta, use_registry, domain]).
-define(INT32(V), (is_integer(V) andalso -16#80000000 =< V
                   andalso V =< 16#7fffffff)).
-define(UINT32(V), (is_integer(V) andalso 0 =< V andalso V =< 16#ffffffff)).
-define(UINT16(V), (is_integer(V) andalso 0 =< V andalso V =< 16#ffff)).
-define(SOL_SOCKET, 1).

%% getopt/2 of an open socket handle.
-spec getopt(port(), pos_integer(), term()) ->
          {ok, term()} | {error, term()}.
getopt(Port, Id, Option) ->
    case enc_sockopt(Option) of
        invalid ->
            {error, {invalid, {socket_option, Option}}};
        {otp, Opt} ->
            case sockport_cmd:request(Port, ?SP_OP_GETOPT, Id, [otp, Opt]) of
                {ok, V} -> {ok, dec_otp(Opt, V)};
                Error -> error_result(Error, Option, none)
            end;
        {Level, Opt, Type} ->
            case sockport_cmd:request(Port, ?SP_OP_GETOPT, Id, [Level, Opt]) of
                {ok, V} -> {ok, dec_value(Type, V)};
                Error -> error_result(Error, Option, none)
            end
    end.

%% setopt/3 of an open socket handle.
-spec setopt(port(), pos_integer(), term(), term()) -> ok | {error, term()}.
setopt(Port, Id, Option, Value) ->
    case enc_sockopt(Option) of
        invalid ->
            {error, {invalid, {socket_option, Option}}};
        {otp, Opt} ->
            Wire = enc_otp(Opt, Value),
            result(sockport_cmd:request(Port, ?SP_OP_SETOPT, Id,
                                        [otp, Opt, Wire]), Option, Value);
        {Level, Opt, Type} ->
            Wire = enc_value(Type, Value),
            result(sockport_cmd:request(Port, ?SP_OP_SETOPT, Id,
                                        [Level, Opt, Wire]), Option, Value)
    end.

%% getopt_native/3: malformed options are returned, not thrown.
-spec getopt_native(port(), pos_integer(), term(), term()) ->
          {ok, term()} | {error, term()}.
getopt_native(Port, Id, Option, ValueSpec) ->
    try enc_native(Option) of
        invalid ->
            {error, {invalid, {socket_option, Option}}};
        {NumLevel, NumOpt} ->
            Spec = enc_spec(ValueSpec),
            case sockport_cmd:request(Port, ?SP_OP_GETOPT_NATIVE, Id,
                                      [NumLevel, NumOpt, Spec]) of
                {ok, _} = Ok -> Ok;
                {error, {invalid, value}} ->
                    {error, {invalid, {value_spec, ValueSpec}}};
                {error, _} = Error -> Error
            end
    catch
        throw:Reason -> {error, Reason}
    end.

%% setopt_native/3: malformed options are thrown, as in OTP.
-spec setopt_native(port(), pos_integer(), term(), term()) ->
          ok | {error, term()}.
setopt_native(Port, Id, Option, Value) ->
    case enc_native(Option) of
        invalid ->
            {error, {invalid, {socket_option, Option}}};
        {NumLevel, NumOpt} ->
            Wire = if
                       Value =:= true -> 1;
                       Value =:= false -> 0;
                       ?INT32(Value) -> Value;
                       is_binary(Value) -> Value;
                       true -> invalid
                   end,
            case sockport_cmd:request(Port, ?SP_OP_SETOPT_NATIVE, Id,
                                      [NumLevel, NumOpt, Wire]) of
                ok -> ok;
                {error, {invalid, socket_option}} ->
                    {error, {invalid, {socket_option, Option}}};
                {error, _} = Error -> Error
            end
    end.

result(ok, _Option, _Value) -> ok;
result(Error, Option, Value) -> error_result(Error, Option, Value).

error_result({error, {invalid, socket_option}}, Option, _Value) ->
    {error, {invalid, {socket_option, Option}}};
error_result({error, {invalid, value}}, Option, Value) ->
    {error, {invalid, {socket_option, Option, Value}}};
error_result({error, not_owner}, _Option, _Value) ->
    {error, {invalid, not_owner}};
error_result({error, _} = Error, _Option, _Value) ->
    Error.

%% ===================================================================
%% Options: prim_socket:enc_sockopt/2

%% {otp, Opt} | {Level, Opt, Type} (Level the table's own name for an
%% alias such as 'IP') | invalid; a malformed option is thrown.
enc_sockopt({otp, Opt}) ->
    case lists:member(Opt, ?OTP_SOCKET_OPTIONS) of
        true -> {otp, Opt};
        false -> invalid
    end;
enc_sockopt({Level, Opt}) when is_atom(Level), is_atom(Opt) ->
    case row(Level, Opt) of
        {Canon, {_CLevel, CName, Type, _Access, _Rep}}
          when is_integer(CName) ->
            {Canon, Opt, Type};
        _ ->
            invalid
    end;
enc_sockopt(Option) ->
    throw({invalid, {socket_option, Option}}).

%% NativeValue =/= 0: {NumLevel, NumOpt} | invalid; throws when malformed.
enc_native({NumLevel, NumOpt} = Option)
  when is_integer(NumLevel), is_integer(NumOpt) ->
    Option;
enc_native({socket, NumOpt}) when is_integer(NumOpt) ->
    {?SOL_SOCKET, NumOpt};
enc_native({Level, NumOpt}) when is_atom(Level), is_integer(NumOpt) ->
    case protocol_number(Level) of
        undefined -> invalid;
        NumLevel -> {NumLevel, NumOpt}
    end;
enc_native({Level, Opt}) when is_atom(Level), is_atom(Opt) ->
    case row(Level, Opt) of
        {_Canon, {CLevel, CName, _Type, _Access, _Rep}}
          when is_integer(CName) ->
            {CLevel, CName};
        _ ->
            invalid
    end;
enc_native(Option) ->
    throw({invalid, {socket_option, Option}}).

enc_spec(Spec) when Spec =:= integer; Spec =:= boolean -> Spec;
enc_spec(Size) when is_integer(Size) -> Size;
enc_spec(Buf) when is_binary(Buf) -> Buf;
enc_spec(_) -> invalid.

%% The row of {Level, Opt}, looking through level aliases ('IP', 'TCP').
row(Level, Opt) ->
    case sockport_tables:option(Level, Opt) of
        undefined ->
            case canonical_level(Level) of
                undefined -> undefined;
                Canon -> row_of(Canon, sockport_tables:option(Canon, Opt))
            end;
        Spec ->
            {Level, Spec}
    end.

row_of(_Canon, undefined) -> undefined;
row_of(Canon, Spec) -> {Canon, Spec}.

%% The level of the table that Level (a protocol name) is an alias of:
%% a name of the same protocol number that lower-cases to it.
canonical_level(Level) ->
    case protocol_number(Level) of
        undefined ->
            undefined;
        Num ->
            Lower = list_to_atom(string:lowercase(atom_to_list(Level))),
            case [L || L <- sockport_supports:levels(),
                       L =:= Lower, protocol_number(L) =:= Num] of
                [Canon] -> Canon;
                [] -> undefined
            end
    end.

protocol_number(default) ->
    undefined;
protocol_number(Name) ->
    case lists:keyfind(Name, 1, sockport_tables:protocols()) of
        {_, Num} -> Num;
        false -> undefined
    end.

%% ===================================================================
%% Values of level otp

enc_otp(Opt, Value) when Opt =:= debug; Opt =:= iow; Opt =:= use_registry ->
    bool_or_invalid(Value);
enc_otp(controlling_process, Pid) when is_pid(Pid) ->
    Pid;
enc_otp(rcvbuf, {N, Size}) when is_integer(N), N > 0, N =< 16#7fffffff ->
    case ctrl_size(Size) of
        invalid -> invalid;
        S -> {N, S}
    end;
enc_otp(rcvbuf, Size) ->
    case ctrl_size(Size) of
        invalid -> invalid;
        S -> {1, S}
    end;
enc_otp(Opt, Size) when Opt =:= rcvctrlbuf; Opt =:= sndctrlbuf ->
    ctrl_size(Size);
enc_otp(fd, _Value) ->
    %% Read-only; the NIF raises with its internal option number.
    erlang:error({invalid, {otp_socket_option, 1008}});
enc_otp(domain, _Value) ->
    erlang:error({invalid, {otp_socket_option, 1999}});
enc_otp(meta, Value) ->
    Value;
enc_otp(_Opt, _Value) ->
    invalid.

ctrl_size(default) -> 0;
ctrl_size(N) when is_integer(N), N > 0, N =< 16#7fffffff -> N;
ctrl_size(_) -> invalid.

bool_or_invalid(B) when is_boolean(B) -> B;
bool_or_invalid(_) -> invalid.

dec_otp(rcvbuf, {1, Size}) -> Size;
dec_otp(rcvbuf, {N, Size}) -> {N, Size};
dec_otp(_Opt, V) -> V.

%% ===================================================================
%% Values of the OS levels, by the row's type (PROTOCOL.md wire forms)

enc_value(boolean, true) -> 1;
enc_value(boolean, false) -> 0;
enc_value(integer, V) when ?INT32(V) -> V;
enc_value(linger, abort) -> {1, 0};
enc_value(linger, #{onoff := OnOff, linger := L})
  when is_boolean(OnOff), is_integer(L), L >= 0, L =< 16#7fffffff ->
    {b2i(OnOff), L};
enc_value(timeval, #{sec := S, usec := U})
  when is_integer(S), is_integer(U),
       abs(S) < 16#8000000000000000, abs(U) < 16#8000000000000000 ->
    {S, U};
enc_value(in_addr, A) ->
    in_addr(A);
enc_value(ip_mreq, #{multiaddr := M, interface := I}) ->
    all_or_invalid({in_addr(M), in_addr(I)});
enc_value(ip_mreq_source, #{multiaddr := M, interface := I,
                            sourceaddr := S}) ->
    all_or_invalid({in_addr(M), in_addr(I), in_addr(S)});
enc_value(ip_msfilter, null) ->
    null;
enc_value(ip_msfilter, #{multiaddr := M, interface := I, mode := Mode,
                         slist := SList}) when is_list(SList) ->
    Srcs = [in_addr(S) || S <- SList],
    case {const(ip_msfilter, Mode), lists:member(invalid, Srcs)} of
        {undefined, _} -> invalid;
        {_, true} -> invalid;
        {ModeNum, false} -> all_or_invalid({in_addr(M), in_addr(I), ModeNum,
                                            Srcs})
    end;
enc_value(ipv6_mreq, #{multiaddr := M, interface := I}) when ?UINT32(I) ->
    all_or_invalid({in6_addr(M), I});
enc_value(Type, V)
  when Type =:= ip_tos; Type =:= ip_pmtudisc; Type =:= ipv6_pmtudisc ->
    if
        ?INT32(V) -> V;
        is_atom(V) ->
            case const(Type, V) of
                undefined -> invalid;
                Num -> Num
            end;
        true -> invalid
    end;
enc_value(ipv6_hops, default) -> -1;
enc_value(ipv6_hops, V) when is_integer(V), 0 =< V, V =< 255 -> V;
enc_value(string, V) when is_list(V) ->
    try list_to_binary(V)
    catch error:badarg -> invalid
    end;
enc_value(domain, V) when ?INT32(V) -> V;
enc_value(domain, V) when is_atom(V) ->
    case lists:keyfind(V, 1, sockport_tables:domains()) of
        {_, Num} -> Num;
        false -> invalid
    end;
enc_value(Type, V)
  when Type =:= sctp_assocparams; Type =:= sctp_event_subscribe;
       Type =:= sctp_initmsg; Type =:= sctp_rtoinfo ->
    try sockport_sctp:enc(Type, V)
    catch error:_ -> invalid
    end;
enc_value(_Type, _V) ->
    invalid.

dec_value(boolean, V) -> V =/= 0;
dec_value(linger, {OnOff, L}) -> #{onoff => OnOff =/= 0, linger => L};
dec_value(timeval, {S, U}) -> #{sec => S, usec => U};
dec_value(in_addr, <<A, B, C, D>>) -> {A, B, C, D};
dec_value(Type, V)
  when Type =:= ip_tos; Type =:= ip_pmtudisc; Type =:= ipv6_pmtudisc ->
    case lists:keyfind(V, 2, sockport_tables:optconsts(Type)) of
        {Name, _} -> Name;
        false -> V
    end;
dec_value(string, V) -> binary_to_list(V);
dec_value(cmsgs, Wire) when is_list(Wire) ->
    %% as recvmsg's, but OTP gives these levels as the C numbers
    [(sockport_cmsg:dec_cmsg(W))#{level := c_level(L)}
     || {L, _, _, _} = W <- Wire];
dec_value(Type, V)
  when Type =:= sctp_assocparams; Type =:= sctp_event_subscribe;
       Type =:= sctp_initmsg; Type =:= sctp_rtoinfo ->
    sockport_sctp:dec(Type, V);
dec_value(_Type, V) -> V.

const(Type, Name) ->
    case lists:keyfind(Name, 1, sockport_tables:optconsts(Type)) of
        {_, Num} -> Num;
        false -> undefined
    end.

in_addr(any) -> <<0, 0, 0, 0>>;
in_addr(loopback) -> <<127, 0, 0, 1>>;
in_addr(broadcast) -> <<255, 255, 255, 255>>;
in_addr({A, B, C, D} = T) when ?UINT32(A), ?UINT32(B), ?UINT32(C), ?UINT32(D) ->
    case lists:all(fun(X) -> X =< 255 end, tuple_to_list(T)) of
        true -> <<A, B, C, D>>;
        false -> invalid
    end;
in_addr(_) -> invalid.

in6_addr(any) -> <<0:128>>;
in6_addr(loopback) -> <<0:120, 1>>;
in6_addr(T) when tuple_size(T) =:= 8 ->
    L = tuple_to_list(T),
    case lists:all(fun(X) -> ?UINT16(X) end, L) of
        true -> << <<X:16>> || X <- L >>;
        false -> invalid
    end;
in6_addr(_) -> invalid.

all_or_invalid(T) ->
    case lists:member(invalid, tuple_to_list(T)) of
        true -> invalid;
        false -> T
    end.

b2i(true) -> 1;
b2i(false) -> 0.

%% A level the daemon names (a row of the cmsg table) as its C number.
c_level(L) when is_atom(L) -> sockport_tables:cmsg_level(L);
c_level(L) -> L.
