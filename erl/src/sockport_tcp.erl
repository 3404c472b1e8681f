%% @doc gen_tcp's API over sockport: the same functions, options, results and
%% messages ({tcp, S, Data}, {tcp_closed, S}, {tcp_error, S, Reason},
%% {tcp_passive, S}), with the socket in sockportd. A socket is
%% {sockport_tcp, Socket}, Socket a sockport socket. Active delivery and
%% packet framing happen in the daemon (sockport_inet, daemon/active.c);
%% README, "Moving from gen_tcp", says what differs.
-module(sockport_tcp).

-include("sockport_ops.hrl").
-include("sockport_int.hrl").

-export([connect/3]).
-export([connect/4]).
-export([listen/2]).
-export([accept/1]).
-export([accept/2]).
-export([send/2]).
-export([recv/2]).
-export([recv/3]).
-export([close/1]).
-export([shutdown/2]).
-export([controlling_process/2]).
-export([setopts/2]).
-export([getopts/2]).
-export([sockname/1]).
-export([peername/1]).
-export([port/1]).

-export_type([socket/0]).

-type socket() :: {sockport_tcp, sockport:socket()}.
%% A socket of sockport_tcp: what the functions that open one return,
%% and what the others take (where gen_tcp has a port).

%% @doc Connects to Address:Port (an IP address, a host name, or {local,
%% Path} with Port 0) with gen_tcp's options.
-spec connect(term(), inet:port_number(), list()) ->
          {ok, socket()} | {error, term()}.
connect(Address, Port, Opts) ->
    connect(Address, Port, Opts, infinity).

%% @doc connect/3 with a time limit (ms) or infinity.
-spec connect(term(), inet:port_number(), list(), timeout()) ->
          {ok, socket()} | {error, term()}.
connect(Address, Port, Opts, Timeout) when is_integer(Port), Port >= 0 ->
    T = sockport_inet:timeout(Timeout),
    P = sockport_inet:open_opts(tcp, Opts, family_of(Address)),
    Result = case sockport_inet:to_sockaddr(Address, Port, maps:get(family, P)) of
                 {ok, Dest} ->
                     with_socket(P, fun (Sock) -> connected(Sock, P, Dest, T) end);
                 {error, _} = E ->
                     E
             end,
    case Result of
        %% as gen_tcp:connect/4 (a netns that is no namespace, say)
        {error, einval} -> exit(badarg);
        _ -> Result
    end;
connect(_Address, _Port, _Opts, _Timeout) ->
    exit(badarg).

family_of({local, _}) -> #{family => local};
family_of({_, _, _, _, _, _, _, _}) -> #{family => inet6};
family_of(_) -> #{}.

connected(Sock, P, Dest, Timeout) ->
    case bind(Sock, P, false) of
        ok ->
            case sockport:connect(Sock, Dest, Timeout) of
                ok -> sockport_inet:start(Sock, P);
                {error, _} = E -> E
            end;
        {error, _} = E ->
            E
    end.

%% @doc Listens on Port (0: any free one) with gen_tcp's options.
-spec listen(inet:port_number(), list()) -> {ok, socket()} | {error, term()}.
listen(Port, Opts) when is_integer(Port), Port >= 0, Port =< 65535 ->
    P = sockport_inet:open_opts(tcp, Opts, #{port => Port}),
    with_socket(P, fun (Sock) ->
                           case bind(Sock, P, true) of
                               ok ->
                                   case sockport:listen(Sock,
                                                        maps:get(backlog, P)) of
                                       ok -> sockport_inet:start(Sock, P);
                                       {error, _} = E -> E
                                   end;
                               {error, _} = E ->
                                   E
                           end
                   end);
listen(_Port, _Opts) ->
    exit(badarg).

%% Opens a socket with P's family, options and namespace, runs F on it,
%% and closes it unless F says ok.
with_socket(P, F) ->
    #{family := Family, netns := NS, sock := SockOpts} = P,
    Extra = case NS of
                undefined -> #{};
                _ -> #{netns => NS}
            end,
    Proto = case Family of local -> default; _ -> tcp end,
    case sockport:open(Family, stream, Proto, Extra) of
        {ok, Sock} ->
            R = case set_all(Sock, SockOpts) of
                    ok -> F(Sock);
                    {error, _} = E0 -> E0
                end,
            case R of
                ok ->
                    {ok, ?TCP(Sock)};
                {error, _} = E ->
                    _ = sockport:close(Sock),
                    E
            end;
        {error, _} = E ->
            E
    end.

set_all(_Sock, []) ->
    ok;
set_all(Sock, [{SO, V} | Rest]) ->
    case sockport:setopt(Sock, SO, V) of
        ok -> set_all(Sock, Rest);
        {error, {invalid, _}} -> {error, einval};
        {error, _} = E -> E
    end.

%% A listener binds always (any address by default); a connecting socket
%% only when ip or port is given.
bind(Sock, #{family := Family, ip := IP, port := Port}, Always) ->
    case {IP, Port, Always} of
        {undefined, 0, false} ->
            ok;
        {undefined, _, _} when Family =:= local ->
            ok;
        {undefined, _, _} ->
            bind_to(Sock, any, Port, Family);
        _ ->
            bind_to(Sock, IP, Port, Family)
    end.

bind_to(Sock, IP, Port, Family) ->
    case sockport_inet:to_sockaddr(IP, Port, Family) of
        {ok, Addr} -> sockport:bind(Sock, Addr);
        {error, _} = E -> E
    end.

%% @doc Accepts a connection; the new socket takes the listener's options and
%% belongs to the caller.
-spec accept(socket()) -> {ok, socket()} | {error, term()}.
accept(L) ->
    accept(L, infinity).

%% @doc accept/1 with a time limit (ms) or infinity.
-spec accept(socket(), timeout()) -> {ok, socket()} | {error, term()}.
accept(?TCP(L), Timeout) ->
    case sockport:accept(L, sockport_inet:timeout(Timeout)) of
        {ok, S} -> {ok, ?TCP(S)};
        {error, _} = E -> E
    end;
accept(_, _) ->
    exit(badarg).

%% @doc Sends a packet (with its {packet, 1 | 2 | 4} header, which the daemon
%% adds).
-spec send(socket(), iodata()) -> ok | {error, term()}.
send(?TCP(S), Packet) ->
    case try iolist_size(Packet) catch error:badarg -> invalid end of
        invalid ->
            {error, einval};
        Size ->
            case Size > sockport_cmd:frame_max() of
                true -> send_large(S, Packet, Size);
                false -> result(sockport:send(S, Packet))
            end
    end;
send(_, _) ->
    exit(badarg).

%% A send the VM splits into frames: the header goes in front here.
send_large(S, Packet, Size) ->
    case sockport_inet:inet_opts(S, []) of
        {ok, {_, N, _, _, _, _, _}} when N =:= 1; N =:= 2; N =:= 4 ->
            case Size < 1 bsl (8 * N) of
                true -> result(sockport:send(S, [<<Size:(8 * N)>>, Packet]));
                false -> {error, emsgsize}
            end;
        {ok, _} ->
            result(sockport:send(S, Packet));
        {error, _} = E ->
            E
    end.

result(ok) -> ok;
result({error, {Reason, _Rest}}) -> {error, Reason};
result({error, epipe}) -> {error, closed};
result({error, econnreset}) -> {error, closed};
result({error, _} = E) -> E.

%% @doc A passive socket's next packet (raw: Length bytes, 0 for what is
%% there).
-spec recv(socket(), non_neg_integer()) -> {ok, iodata()} | {error, term()}.
recv(S, Length) ->
    recv(S, Length, infinity).

%% @doc recv/2 with a time limit (ms) or infinity.
-spec recv(socket(), non_neg_integer(), timeout()) ->
          {ok, iodata()} | {error, term()}.
recv(?TCP(S), Length, Timeout) when is_integer(Length), Length >= 0 ->
    sockport_inet:recv(S, Length, sockport_inet:timeout(Timeout));
recv(S, Length, Timeout) ->
    erlang:error(function_clause, [S, Length, Timeout]).

%% @doc Closes the socket.
-spec close(socket()) -> ok.
close(?TCP(S)) ->
    _ = sockport:close(S),
    ok.

%% @doc Shuts down one or both directions of the connection.
-spec shutdown(socket(), read | write | read_write) -> ok | {error, term()}.
shutdown(?TCP(S), How) when How =:= read; How =:= write;
                            How =:= read_write ->
    case sockport:shutdown(S, How) of
        {error, enotconn} -> {error, enotconn};
        Other -> Other
    end;
shutdown(S, How) ->
    erlang:error(function_clause, [S, How]).

%% @doc Gives the socket to Pid; only its owner may. Messages of the socket
%% already in the caller's mailbox go along, in order.
-spec controlling_process(socket(), pid()) -> ok | {error, term()}.
controlling_process(?TCP(S), Pid) when is_pid(Pid) ->
    sockport_inet:controlling_process(tcp, S, Pid);
controlling_process(S, Pid) ->
    erlang:error(function_clause, [S, Pid]).

%% @doc Sets gen_tcp options (inet-style), as inet:setopts/2.
-spec setopts(socket(), list()) -> ok | {error, term()}.
setopts(?TCP(S), Opts) ->
    sockport_inet:setopts({tcp, S}, Opts).

%% @doc Reads gen_tcp options (inet-style), as inet:getopts/2.
-spec getopts(socket(), [atom()]) -> {ok, list()} | {error, term()}.
getopts(?TCP(S), Keys) ->
    sockport_inet:getopts({tcp, S}, Keys).

%% @doc The local address and port, {ok, {IP, Port}}, as inet:sockname/1.
-spec sockname(socket()) -> {ok, term()} | {error, term()}.
sockname(?TCP(S)) ->
    sockport_inet:sockname(S).

%% @doc The peer's address and port, {ok, {IP, Port}}, as inet:peername/1.
-spec peername(socket()) -> {ok, term()} | {error, term()}.
peername(?TCP(S)) ->
    sockport_inet:peername(S).

%% @doc The local port number, as inet:port/1.
-spec port(socket()) -> {ok, inet:port_number()} | {error, term()}.
port(?TCP(S)) ->
    sockport_inet:port(S).
