%% Socket option checks made in the VM, as prim_socket and the NIF make
%% them: the option's shape, the otp level's names and values, and the
%% value types of the generated option table. Whether an option of a
%% protocol level exists at all is the daemon's table's to say.
-module(sockport_opt).

-export([check/1]).
-export([check_value/3]).

-define(OTP_SOCKET_OPTIONS,
        [debug, iow, controlling_process, rcvbuf, rcvctrlbuf, sndctrlbuf,
         fd, meta, use_registry, domain]).

%% prim_socket:enc_sockopt/2 for a non-native option: a malformed option
%% is thrown (out of getopt/setopt, as in OTP), an unknown otp option is
%% invalid.
-spec check(SocketOption :: term()) -> {atom(), atom()} | invalid.
check({otp, Opt} = Option) ->
    case lists:member(Opt, ?OTP_SOCKET_OPTIONS) of
        true -> Option;
        false -> invalid
    end;
check({Level, Opt} = Option) when is_atom(Level), is_atom(Opt) ->
    Option;
check(Option) ->
    throw({invalid, {socket_option, Option}}).

%% The value checks of the NIF's setopt.
-spec check_value(Level :: atom(), Opt :: atom(), Value :: term()) ->
          valid | invalid.
check_value(otp, Opt, Value) ->
    otp_value(Opt, Value);
check_value(Level, Opt, Value) ->
    case sockport_tables:option(Level, Opt) of
        {_CLevel, _CName, boolean, _Access} ->
            valid_if(is_boolean(Value));
        {_CLevel, _CName, integer, _Access} ->
            valid_if(is_integer(Value) andalso
                     -16#80000000 =< Value andalso Value =< 16#7fffffff);
        _ ->
            valid
    end.

otp_value(Opt, Value)
  when Opt =:= debug; Opt =:= iow; Opt =:= use_registry ->
    valid_if(is_boolean(Value));
otp_value(controlling_process, Value) ->
    valid_if(is_pid(Value));
otp_value(rcvbuf, {N, Size}) ->
    valid_if(is_integer(N) andalso N > 0 andalso
             is_integer(Size) andalso Size > 0);
otp_value(Opt, Value)
  when Opt =:= rcvbuf; Opt =:= rcvctrlbuf; Opt =:= sndctrlbuf ->
    valid_if(Value =:= default orelse (is_integer(Value) andalso Value > 0));
otp_value(fd, _Value) ->
    %% Read-only; the NIF raises with its internal option number.
    erlang:error({invalid, {otp_socket_option, 1008}});
otp_value(domain, _Value) ->
    erlang:error({invalid, {otp_socket_option, 1999}});
otp_value(meta, _Value) ->
    valid.

valid_if(true) -> valid;
valid_if(false) -> invalid.
