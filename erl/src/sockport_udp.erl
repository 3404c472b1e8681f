%% @doc gen_udp's API over sockport: the same functions, options, results and
%% messages ({udp, S, IP, Port, Data}, {udp_passive, S}), with the socket
%% in sockportd. A socket is {sockport_udp, Socket}, Socket a sockport
%% socket; active delivery happens in the daemon (sockport_inet,
%% daemon/active.c).
-module(sockport_udp).

-include("sockport_int.hrl").

-export([open/1]).
-export([open/2]).
-export([send/2]).
-export([send/3]).
-export([send/4]).
-export([recv/2]).
-export([recv/3]).
-export([connect/3]).
-export([close/1]).
-export([controlling_process/2]).
-export([setopts/2]).
-export([getopts/2]).
-export([sockname/1]).
-export([peername/1]).
-export([port/1]).

-export_type([socket/0]).

-type socket() :: {sockport_udp, sockport:socket()}.
%% A socket of sockport_udp: what the functions that open one return,
%% and what the others take (where gen_udp has a port).

%% @doc Opens a socket bound to Port (0: any free one) with gen_udp's options.
-spec open(inet:port_number()) -> {ok, socket()} | {error, term()}.
open(Port) ->
    open(Port, []).

%% @doc open/1 with gen_udp's options.
-spec open(inet:port_number(), list()) -> {ok, socket()} | {error, term()}.
open(Port, Opts) when is_integer(Port), Port >= 0, Port =< 65535 ->
    P = sockport_inet:open_opts(udp, Opts, #{port => Port}),
    #{family := Family, netns := NS, sock := SockOpts, ip := IP} = P,
    Extra = case NS of
                undefined -> #{};
                _ -> #{netns => NS}
            end,
    Proto = case Family of local -> default; _ -> udp end,
    case sockport:open(Family, dgram, Proto, Extra) of
        {ok, Sock} ->
            case setup(Sock, SockOpts, IP, Port, Family, P) of
                ok ->
                    {ok, ?UDP(Sock)};
                {error, _} = E ->
                    _ = sockport:close(Sock),
                    E
            end;
        {error, _} = E ->
            E
    end;
open(_Port, _Opts) ->
    exit(badarg).

setup(Sock, [{SO, V} | Rest], IP, Port, Family, P) ->
    case sockport:setopt(Sock, SO, V) of
        ok -> setup(Sock, Rest, IP, Port, Family, P);
        {error, {invalid, _}} -> {error, einval};
        {error, _} = E -> E
    end;
setup(Sock, [], IP, Port, Family, P) ->
    Bind = case {IP, Family} of
               {undefined, local} -> ok;
               {undefined, _} -> bind(Sock, any, Port, Family);
               _ -> bind(Sock, IP, Port, Family)
           end,
    case Bind of
        ok -> sockport_inet:start(Sock, P);
        {error, _} = E -> E
    end.

bind(Sock, IP, Port, Family) ->
    case sockport_inet:to_sockaddr(IP, Port, Family) of
        {ok, Addr} -> sockport:bind(Sock, Addr);
        {error, _} = E -> E
    end.

%% @doc Sends on a connected socket.
-spec send(socket(), iodata()) -> ok | {error, term()}.
send(?UDP(S), Packet) ->
    result(sockport:send(S, Packet)).

%% @doc Sends to Destination, {IP, Port} (or {local, Path}).
-spec send(socket(), term(), iodata()) -> ok | {error, term()}.
send(S, {local, _} = Dest, Packet) ->
    send(S, Dest, 0, Packet);
send(S, {Host, Port}, Packet) ->
    send(S, Host, Port, Packet);
send(_, _, _) ->
    exit(badarg).

%% @doc Sends to Host:Port (an IP address or a host name).
-spec send(socket(), term(), inet:port_number(), iodata()) ->
          ok | {error, term()}.
send(?UDP(S), Host, Port, Packet) when is_integer(Port), Port >= 0 ->
    case sockport:getopt(S, {otp, domain}) of
        {ok, Domain} ->
            case sockport_inet:to_sockaddr(Host, Port, Domain) of
                {ok, To} -> result(sockport:sendto(S, Packet, To));
                {error, _} = E -> E
            end;
        {error, _} = E ->
            E
    end;
send(S, Host, Port, Packet) ->
    erlang:error(function_clause, [S, Host, Port, Packet]).

result(ok) -> ok;
result({error, {Reason, _}}) -> {error, Reason};
result({error, _} = E) -> E.

%% @doc A passive socket's next datagram, {ok, {IP, Port, Data}}.
-spec recv(socket(), non_neg_integer()) -> {ok, tuple()} | {error, term()}.
recv(S, Length) ->
    recv(S, Length, infinity).

%% @doc recv/2 with a time limit (ms) or infinity.
-spec recv(socket(), non_neg_integer(), timeout()) ->
          {ok, tuple()} | {error, term()}.
recv(?UDP(S), Length, Timeout) when is_integer(Length), Length >= 0 ->
    sockport_inet:recv(S, Length, sockport_inet:timeout(Timeout));
recv(?UDP(_), _Length, _Timeout) ->
    {error, einval}.

%% @doc Sets the default destination (and the only source).
-spec connect(socket(), term(), inet:port_number()) -> ok | {error, term()}.
connect(?UDP(S), Host, Port) ->
    case sockport:getopt(S, {otp, domain}) of
        {ok, Domain} ->
            case sockport_inet:to_sockaddr(Host, Port, Domain) of
                {ok, To} -> sockport:connect(S, To);
                {error, _} = E -> E
            end;
        {error, _} = E ->
            E
    end.

%% @doc Closes the socket.
-spec close(socket()) -> ok.
close(?UDP(S)) ->
    _ = sockport:close(S),
    ok.

%% @doc Gives the socket to Pid; only its owner may. Messages of the socket
%% already in the caller's mailbox go along, in order.
-spec controlling_process(socket(), pid()) -> ok | {error, term()}.
controlling_process(?UDP(S), Pid) when is_pid(Pid) ->
    sockport_inet:controlling_process(udp, S, Pid);
controlling_process(S, Pid) ->
    erlang:error(function_clause, [S, Pid]).

%% @doc Sets gen_udp options (inet-style), as inet:setopts/2.
-spec setopts(socket(), list()) -> ok | {error, term()}.
setopts(?UDP(S), Opts) ->
    sockport_inet:setopts({udp, S}, Opts).

%% @doc Reads gen_udp options (inet-style), as inet:getopts/2.
-spec getopts(socket(), [atom()]) -> {ok, list()} | {error, term()}.
getopts(?UDP(S), Keys) ->
    sockport_inet:getopts({udp, S}, Keys).

%% @doc The local address and port, {ok, {IP, Port}}, as inet:sockname/1.
-spec sockname(socket()) -> {ok, term()} | {error, term()}.
sockname(?UDP(S)) ->
    sockport_inet:sockname(S).

%% @doc The peer's address and port of a connected socket, as inet:peername/1.
-spec peername(socket()) -> {ok, term()} | {error, term()}.
peername(?UDP(S)) ->
    sockport_inet:peername(S).

%% @doc The local port number, as inet:port/1.
-spec port(socket()) -> {ok, inet:port_number()} | {error, term()}.
port(?UDP(S)) ->
    sockport_inet:port(S).
