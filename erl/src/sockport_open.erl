%% open/2 of a descriptor, and open/4's netns option: what prim_socket and
%% the NIF check before they make a socket, on the wire of OPEN_FD and
%% OPEN (PROTOCOL.md).
%%
%% The descriptor is a descriptor of the daemon (as `{otp, fd}' reports
%% them), in the first daemon when there are several shards. The daemon
%% asks the descriptor for its domain, type and protocol, and uses the
%% options only where it cannot say (not a socket, or not open); then it
%% refuses, as it adopts sockets only. `dup => false' gives the new socket
%% the descriptor itself: see sockportd's cmd_open.c and the README.
-module(sockport_open).

-include("sockport_ops.hrl").
-include("sockport_int.hrl").

-export([open_fd/2]).
-export([enc_netns/1]).

-define(INT32(V), (is_integer(V) andalso -16#80000000 =< V
                   andalso V =< 16#7fffffff)).

%% prim_socket:open/2 and the NIF's open with a descriptor.
-spec open_fd(integer(), map()) ->
          {ok, sockport:socket()} | {error, term()}.
open_fd(FD, Opts) ->
    try opt_protocol(Opts) of
        Protocol when ?INT32(FD) ->
            open_in(sockport_port:port(0), FD, Opts, Protocol);
        _Protocol ->
            %% The NIF's {invalid, fd} has no clause in prim_socket's if.
            erlang:error(if_clause)
    catch
        throw:Reason ->
            {error, Reason}
    end.

open_in(undefined, _FD, _Opts, _Protocol) ->
    {error, closed};
open_in(Port, FD, Opts, Protocol) ->
    Args = [FD,
            maps:get(dup, Opts, true) =/= false,
            opt_domain(Opts),
            opt_type(Opts),
            Protocol,
            [{debug, D} || #{debug := D} <- [Opts], is_boolean(D)]],
    case sockport_cmd:request(Port, ?SP_OP_OPEN_FD, 0, Args) of
        {ok, Id} ->
            {ok, ?socket(Port, Id)};
        {error, {invalid, What}} when What =:= domain; What =:= type ->
            {error, {invalid, {options, What, Opts}}};
        {error, _} = Error ->
            Error
    end.

%% prim_socket:enc_protocol/1 of the protocol option; the NIF reads it as a
%% C int and takes 0 for anything else.
opt_protocol(#{protocol := Protocol}) ->
    case enc_protocol(Protocol) of
        P when ?INT32(P) -> P;
        _ -> undefined
    end;
opt_protocol(#{}) ->
    undefined.

enc_protocol({raw, ProtoNum}) when is_integer(ProtoNum) ->
    ProtoNum;
enc_protocol(default) ->
    0;
enc_protocol(Proto) when is_atom(Proto) ->
    case lists:keyfind(Proto, 1, sockport_tables:protocols()) of
        {_, Num} -> Num;
        false -> throw({invalid, {protocol, Proto}})
    end;
enc_protocol(Proto) when is_integer(Proto) ->
    Proto;
enc_protocol(Proto) ->
    erlang:error({invalid, {protocol, Proto}}).

%% The NIF's esock_decode_domain and esock_decode_type: the names it
%% knows (rdm is not one) or a C int; `invalid' otherwise.
opt_domain(Opts) ->
    opt_named(domain, Opts, [inet, inet6, local, unspec],
              sockport_tables:domains()).

opt_type(Opts) ->
    opt_named(type, Opts, [stream, dgram, raw, seqpacket],
              sockport_tables:types()).

opt_named(Key, Opts, Names, Table) ->
    case Opts of
        #{Key := V} when ?INT32(V) ->
            V;
        #{Key := V} when is_atom(V) ->
            case lists:member(V, Names) of
                true -> element(2, lists:keyfind(V, 1, Table));
                false -> invalid
            end;
        #{Key := _} ->
            invalid;
        #{} ->
            undefined
    end.

%% open/4's netns: a string is encoded as a file name (or the error is
%% {invalid, {path, Path}}), a binary passed on; anything else the NIF
%% ignores.
-spec enc_netns(map()) -> [{netns, binary()}].
enc_netns(#{netns := Path}) when is_list(Path) ->
    case unicode:characters_to_binary(Path, file:native_name_encoding()) of
        Bin when is_binary(Bin) -> [{netns, Bin}];
        _ -> throw({invalid, {path, Path}})
    end;
enc_netns(#{netns := Path}) when is_binary(Path) ->
    [{netns, Path}];
enc_netns(#{}) ->
    [].
