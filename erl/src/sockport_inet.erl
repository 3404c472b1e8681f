%% What sockport_tcp and sockport_udp share: gen_tcp/gen_udp options
%% (parsed for connect, listen and open; setopts and getopts), the
%% daemon's inet layer (INET_OPTS, INET_RECV: PROTOCOL.md, "Active
%% sockets"), the messages the router makes of its events, addresses in
%% inet's forms, and controlling_process.
-module(sockport_inet).

-include("sockport_ops.hrl").
-include("sockport_int.hrl").

-export([message/4]).
-export([open_opts/3]).
-export([start/2]).
-export([setopts/2]).
-export([getopts/2]).
-export([inet_opts/2]).
-export([recv/3]).
-export([controlling_process/3]).
-export([sockname/1]).
-export([peername/1]).
-export([port/1]).
-export([to_sockaddr/3]).
-export([from_sockaddr/1]).
-export([timeout/1]).

-export_type([kind/0]).
-export_type([parsed/0]).

-type kind() :: tcp | udp.
-type parsed() :: #{family := inet | inet6 | local,
                    ip := term(),
                    port := non_neg_integer(),
                    backlog := non_neg_integer(),
                    netns := undefined | string() | binary(),
                    sock := [{sockport:socket_option(), term()}],
                    inet := [{atom(), term()}]}.


%% ===========================================================================
%% Messages of the daemon's inet events (sockport_port routes them)

%% The message the owner of socket Id gets for an inet event; Data is the
%% frame's tail.
-spec message(term(), port(), pos_integer(), binary()) -> tuple().
message({tcp, Mode}, Port, Id, Data) ->
    {tcp, ?TCP(?socket(Port, Id)), data(Mode, Data)};
message({udp, Mode, Addr}, Port, Id, Data) ->
    {IP, P} = from_sockaddr(sockport_addr:decode(Addr)),
    {udp, ?UDP(?socket(Port, Id)), IP, P, data(Mode, Data)};
message({closed, Kind}, Port, Id, _) ->
    {tag(Kind, "_closed"), wrap(Kind, ?socket(Port, Id))};
message({passive, Kind}, Port, Id, _) ->
    {tag(Kind, "_passive"), wrap(Kind, ?socket(Port, Id))};
message({error, Kind, Reason}, Port, Id, _) ->
    {tag(Kind, "_error"), wrap(Kind, ?socket(Port, Id)), Reason}.

tag(tcp, "_closed") -> tcp_closed;
tag(tcp, "_passive") -> tcp_passive;
tag(tcp, "_error") -> tcp_error;
tag(udp, "_closed") -> udp_closed;
tag(udp, "_passive") -> udp_passive;
tag(udp, "_error") -> udp_error.

wrap(tcp, S) -> ?TCP(S);
wrap(udp, S) -> ?UDP(S).

data(list, Data) -> binary_to_list(Data);
data(binary, Data) -> Data.

%% ===========================================================================
%% Options

%% The options of connect, listen or open; exit(badarg) for a bad one, as
%% gen_tcp and gen_udp.
-spec open_opts(kind(), list(), map()) -> parsed().
open_opts(Kind, Opts, Base) when is_list(Opts) ->
    %% gen_udp asks for an 8 KiB receive buffer unless told otherwise
    Sock0 = case Kind of udp -> [{{socket, rcvbuf}, 8192}]; tcp -> [] end,
    P0 = maps:merge(#{family => inet, ip => undefined, port => 0,
                      backlog => 5, netns => undefined, sock => Sock0,
                      inet => [{kind, Kind}, {mode, list}, {active, true},
                               {packet, 0}, {packet_size, 0}]}, Base),
    P = lists:foldl(fun (Opt, Acc) -> open_opt(Kind, Opt, Acc) end, P0, Opts),
    P#{sock := lists:reverse(maps:get(sock, P))};
open_opts(_Kind, _Opts, _Base) ->
    exit(badarg).

open_opt(_, inet, P) -> P#{family := inet};
open_opt(_, inet6, P) -> P#{family := inet6};
open_opt(_, local, P) -> P#{family := local};
open_opt(_, {ip, {local, _} = Addr}, P) -> P#{ip := Addr, family := local};
open_opt(K, {ifaddr, Addr}, P) -> open_opt(K, {ip, Addr}, P);
open_opt(_, {ip, Addr}, P) ->
    case Addr of
        {_, _, _, _} -> P#{ip := Addr, family := inet};
        {_, _, _, _, _, _, _, _} -> P#{ip := Addr, family := inet6};
        any -> P#{ip := any};
        loopback -> P#{ip := loopback};
        _ -> exit(badarg)
    end;
open_opt(_, {port, N}, P) when is_integer(N), N >= 0, N =< 65535 ->
    P#{port := N};
open_opt(tcp, {backlog, N}, P) when is_integer(N), N >= 0 ->
    P#{backlog := N};
open_opt(_, {netns, NS}, P) when is_list(NS); is_binary(NS) ->
    P#{netns := NS};
open_opt(_, {tcp_module, _}, P) -> P;
open_opt(_, {udp_module, _}, P) -> P;
open_opt(K, Opt, #{sock := Sock, inet := Inet} = P) ->
    case opt(K, Opt) of
        {sock, SO, V} -> P#{sock := [{SO, V} | Sock]};
        {sock, SO, V, Hint} -> P#{sock := [{SO, V} | Sock],
                                  inet := Inet ++ [Hint]};
        {inet, {mode_keep, true}} -> P;
        {inet, I} -> P#{inet := Inet ++ [I]};
        invalid -> exit(badarg)
    end.

%% One setopts option: a socket option, an option of the daemon's inet
%% layer, or invalid.
opt(tcp, {exit_on_close, true}) -> {inet, {mode_keep, true}};
opt(_, binary) -> {inet, {mode, binary}};
opt(_, list) -> {inet, {mode, list}};
opt(_, {mode, M}) when M =:= binary; M =:= list -> {inet, {mode, M}};
opt(_, {active, A}) when is_boolean(A); A =:= once -> {inet, {active, A}};
opt(_, {active, N}) when is_integer(N), N >= -32768, N =< 32767 ->
    {inet, {active, N}};
opt(tcp, {packet, P}) ->
    case P of
        raw -> {inet, {packet, 0}};
        line -> {inet, {packet, line}};
        _ when P =:= 0; P =:= 1; P =:= 2; P =:= 4 -> {inet, {packet, P}};
        _ -> invalid
    end;
opt(tcp, {packet_size, N}) when is_integer(N), N >= 0, N =< 16#4000000 ->
    {inet, {packet_size, N}};
opt(_, {buffer, N}) when is_integer(N), N > 0, N =< 16#4000000 ->
    {inet, {buffer, N}};
opt(_, {buffer, N}) when is_integer(N), N =< 0 ->
    {inet, {mode_keep, true}}; % taken and ignored, as inet does
opt(tcp, {nodelay, B}) when is_boolean(B) -> {sock, {tcp, nodelay}, B};
opt(_, {reuseaddr, B}) when is_boolean(B) -> {sock, {socket, reuseaddr}, B};
opt(tcp, {keepalive, B}) when is_boolean(B) -> {sock, {socket, keepalive}, B};
opt(_, {recbuf, N}) when is_integer(N), N >= 0 ->
    {sock, {socket, rcvbuf}, N, {buffer_hint, N}};
opt(_, {sndbuf, N}) when is_integer(N), N >= 0 ->
    {sock, {socket, sndbuf}, N};
opt(_, _) -> invalid.

%% The socket options, then the inet layer's (after connect or listen, so
%% that an active socket reads only once it is connected).
-spec start(sockport:socket(), parsed()) -> ok | {error, term()}.
start(Sock, #{inet := Inet}) ->
    case inet_opts(Sock, Inet) of
        {ok, _} -> ok;
        {error, _} = Error -> Error
    end.

%% setopts/2 of both modules: every option checked first (einval), then
%% the socket options, then the inet layer's.
-spec setopts({kind(), sockport:socket()}, term()) -> ok | {error, term()}.
setopts({Kind, Sock}, Opts) when is_list(Opts) ->
    Parsed = [opt(Kind, O) || O <- Opts],
    case lists:member(invalid, Parsed) of
        true ->
            {error, einval};
        false ->
            SockOpts = [{element(2, T), element(3, T)}
                        || T <- Parsed, element(1, T) =:= sock],
            InetOpts = [I || {inet, I} <- Parsed, I =/= {mode_keep, true}] ++
                [H || {sock, _, _, H} <- Parsed],
            case set_sock(Sock, SockOpts) of
                ok ->
                    case inet_opts(Sock, InetOpts) of
                        {ok, _} -> ok;
                        {error, closed} -> {error, einval};
                        {error, _} = E -> E
                    end;
                {error, _} = E ->
                    E
            end
    end;
setopts(_, _) ->
    {error, einval}.

-spec set_sock(sockport:socket(), list()) -> ok | {error, term()}.
set_sock(_Sock, []) ->
    ok;
set_sock(Sock, [{SO, V} | Rest]) ->
    case sockport:setopt(Sock, SO, V) of
        ok -> set_sock(Sock, Rest);
        {error, closed} -> {error, einval};
        {error, {invalid, _}} -> {error, einval};
        {error, _} = E -> E
    end.

%% getopts/2 of both modules, in the order asked.
-spec getopts({kind(), sockport:socket()}, term()) ->
          {ok, list()} | {error, term()}.
getopts({_Kind, Sock}, Keys) when is_list(Keys) ->
    case inet_opts(Sock, []) of
        {ok, {_, _, _, _, _, true, _}} ->
            {error, einval};
        {ok, {Active, Packet, PSize, Buffer, Mode, false, _}} ->
            Inet = #{active => Active, packet => Packet,
                     packet_size => PSize, buffer => Buffer, mode => Mode},
            get_each(Sock, Keys, Inet, []);
        {error, closed} ->
            {error, einval};
        {error, _} = E ->
            E
    end;
getopts(_, _) ->
    {error, einval}.

get_each(_Sock, [], _Inet, Acc) ->
    {ok, lists:reverse(Acc)};
get_each(Sock, [K | Ks], Inet, Acc) ->
    case Inet of
        #{K := V} ->
            get_each(Sock, Ks, Inet, [{K, V} | Acc]);
        #{} ->
            case sock_key(K) of
                undefined ->
                    {error, einval};
                SO ->
                    case sockport:getopt(Sock, SO) of
                        {ok, V} -> get_each(Sock, Ks, Inet, [{K, V} | Acc]);
                        {error, _} -> {error, einval}
                    end
            end
    end.

sock_key(nodelay) -> {tcp, nodelay};
sock_key(reuseaddr) -> {socket, reuseaddr};
sock_key(keepalive) -> {socket, keepalive};
sock_key(recbuf) -> {socket, rcvbuf};
sock_key(sndbuf) -> {socket, sndbuf};
sock_key(_) -> undefined.

%% INET_OPTS: sets the given options of the daemon's inet layer, answers
%% its state {Active, Packet, PacketSize, Buffer, Mode, Ended, ActiveBefore}
%% (Ended: the connection ended, as exit_on_close has it; ActiveBefore:
%% active before this change).
-spec inet_opts(sockport:socket(), list()) -> {ok, tuple()} | {error, term()}.
inet_opts(?socket(Port, Id), Opts) ->
    sockport_cmd:request(Port, ?SP_OP_INET_OPTS, Id, [Opts]).

%% INET_RECV: a framed passive recv. {ok, Data} for tcp, {ok, {IP, Port,
%% Data}} for udp.
-spec recv(sockport:socket(), non_neg_integer(), timeout()) -> term().
recv(?socket(Port, Id), Length, Timeout) ->
    Mode = case Timeout of
               infinity -> infinity;
               _ -> Timeout
           end,
    case sockport_cmd:request_data(Port, ?SP_OP_INET_RECV, Id,
                                   [Length, Mode], []) of
        {{ok, M}, Data} ->
            {ok, data(M, Data)};
        {{ok, M, Addr}, Data} ->
            {IP, P} = from_sockaddr(sockport_addr:decode(Addr)),
            {ok, {IP, P, data(M, Data)}};
        {{error, _} = Error, _} ->
            Error
    end.

-spec timeout(term()) -> timeout().
timeout(infinity) -> infinity;
timeout(T) when is_integer(T), T >= 0 -> T;
timeout(T) -> erlang:error(function_clause, [T]).

%% ===========================================================================
%% controlling_process

%% As inet's: only the owner may give a socket away. Delivery is paused
%% ({active, false}), the socket's messages already in the caller's
%% mailbox are passed on in their order, the owner changes, and the
%% active state is restored: the new owner gets every message once, in
%% order.
-spec controlling_process(kind(), sockport:socket(), pid()) ->
          ok | {error, term()}.
controlling_process(Kind, Sock, NewOwner) ->
    Self = self(),
    case sockport:getopt(Sock, {otp, controlling_process}) of
        {ok, NewOwner} ->
            ok;
        {ok, Self} ->
            case inet_opts(Sock, [{active, false}]) of
                {ok, {_, _, _, _, _, true, _}} ->
                    {error, closed};
                {ok, {_, _, _, _, _, false, Active}} ->
                    S = wrap(Kind, Sock),
                    pass_on(S, NewOwner),
                    case sockport:setopt(Sock, {otp, controlling_process},
                                         NewOwner) of
                        ok when Active =:= false ->
                            ok;
                        ok ->
                            case inet_opts(Sock, [{active, Active}]) of
                                {ok, _} -> ok;
                                {error, _} = E -> E
                            end;
                        {error, _} = E ->
                            E
                    end;
                {error, _} = E ->
                    E
            end;
        {ok, _} ->
            {error, not_owner};
        {error, _} = E ->
            E
    end.

pass_on(S, Owner) ->
    receive
        {tcp, S, _} = M -> Owner ! M, pass_on(S, Owner);
        {tcp_closed, S} = M -> Owner ! M, pass_on(S, Owner);
        {tcp_error, S, _} = M -> Owner ! M, pass_on(S, Owner);
        {tcp_passive, S} = M -> Owner ! M, pass_on(S, Owner);
        {udp, S, _, _, _} = M -> Owner ! M, pass_on(S, Owner);
        {udp_error, S, _} = M -> Owner ! M, pass_on(S, Owner);
        {udp_passive, S} = M -> Owner ! M, pass_on(S, Owner)
    after 0 ->
            ok
    end.

%% ===========================================================================
%% Names and addresses

-spec sockname(sockport:socket()) -> {ok, term()} | {error, term()}.
sockname(Sock) ->
    name(sockport:sockname(Sock)).

-spec peername(sockport:socket()) -> {ok, term()} | {error, term()}.
peername(Sock) ->
    name(sockport:peername(Sock)).

-spec port(sockport:socket()) -> {ok, non_neg_integer()} | {error, term()}.
port(Sock) ->
    case sockname(Sock) of
        {ok, {local, _}} -> {ok, 0};
        {ok, {_, Port}} -> {ok, Port};
        Error -> Error
    end.

name({ok, #{family := local, path := Path}}) -> {ok, {local, Path}};
name({ok, Addr}) -> {ok, from_sockaddr(Addr)};
name({error, closed}) -> {error, einval};
name({error, _} = E) -> E.

%% inet's {IP, Port} (or {local, Path}, 0) of a sockport address.
-spec from_sockaddr(map()) -> {term(), non_neg_integer()} | {term(), term()}.
from_sockaddr(#{family := local, path := Path}) -> {{local, Path}, 0};
from_sockaddr(#{family := F, addr := A, port := P})
  when F =:= inet; F =:= inet6 -> {A, P};
from_sockaddr(#{family := unspec, addr := A}) -> {{unspec, A}, 0};
from_sockaddr(Other) -> {Other, 0}.

%% The sockport address of inet's address and port (a host name is looked
%% up as inet does).
-spec to_sockaddr(term(), non_neg_integer(), inet | inet6 | local) ->
          {ok, map()} | {error, term()}.
to_sockaddr({local, Path}, _Port, _Family) ->
    {ok, #{family => local, path => Path}};
to_sockaddr(any, Port, Family) ->
    {ok, #{family => Family, addr => any, port => Port}};
to_sockaddr(loopback, Port, Family) ->
    {ok, #{family => Family, addr => loopback, port => Port}};
to_sockaddr({_, _, _, _} = A, Port, _Family) ->
    {ok, #{family => inet, addr => A, port => Port}};
to_sockaddr({_, _, _, _, _, _, _, _} = A, Port, _Family) ->
    {ok, #{family => inet6, addr => A, port => Port}};
to_sockaddr(Host, Port, Family) when is_list(Host); is_atom(Host) ->
    case inet:getaddr(Host, Family) of
        {ok, A} -> to_sockaddr(A, Port, Family);
        {error, _} = E -> E
    end;
to_sockaddr(_, _, _) ->
    {error, einval}.
