%% ioctl/2,3,4: socket.erl's clauses (the seed's: OTP 26 adds nread,
%% nwrite, nspace, atmark and tcp_info to OTP 25's), prim_socket's request
%% and flag encoding with the generated tables (sockport_tables), and the
%% conversion of the daemon's answers to the terms the NIF gives.
%%
%% What the NIF checks only after it has looked at the socket (an
%% interface name that is no latin-1 string, an index or value beyond a C
%% int, flags it does not know) travels to the daemon as `invalid', so
%% that a closed socket is `{error, closed}' first, as with `socket'.
-module(sockport_ioctl).

-include("sockport_ops.hrl").
-include("sockport_int.hrl").

-export([ioctl/2]).
-export([ioctl/3]).
-export([ioctl/4]).

-define(INT32(V), (is_integer(V) andalso -16#80000000 =< V
                   andalso V =< 16#7fffffff)).

-define(IS_NAME_GET(R),
        (R =:= gifindex orelse R =:= gifaddr orelse R =:= gifdstaddr orelse
         R =:= gifbrdaddr orelse R =:= gifnetmask orelse R =:= gifmtu orelse
         R =:= gifhwaddr orelse R =:= giftxqlen orelse R =:= gifflags orelse
         R =:= gifmap)).
-define(IS_ADDR_SET(R),
        (R =:= sifaddr orelse R =:= sifdstaddr orelse R =:= sifbrdaddr orelse
         R =:= sifnetmask)).

%% ===========================================================================
%% The API's clauses

%% ioctl/2: gifconf, nread, nwrite, nspace, atmark, tcp_info.
-spec ioctl(sockport:socket(), atom()) -> {ok, term()} | {error, term()}.
ioctl(?socket(Port, Id), gifconf = Req) when ?IS_SOCKET(Port, Id) ->
    get(Port, Id, Req, undefined);
ioctl(?socket(Port, Id), Req)
  when ?IS_SOCKET(Port, Id),
       (Req =:= nread orelse Req =:= nwrite orelse Req =:= nspace) ->
    get(Port, Id, Req, undefined);
ioctl(?socket(Port, Id), atmark = Req) when ?IS_SOCKET(Port, Id) ->
    get(Port, Id, Req, undefined);
ioctl(Socket, tcp_info = Req) ->
    ioctl(Socket, Req, 0);
ioctl(Socket, Req) ->
    erlang:error(badarg, [Socket, Req]).

%% ioctl/3: the interface get requests (by index or name), tcp_info with
%% its version (0), and the Windows-only rcvall requests.
-spec ioctl(sockport:socket(), atom(), term()) ->
          {ok, term()} | {error, term()}.
ioctl(?socket(Port, Id), gifname = Req, Index)
  when ?IS_SOCKET(Port, Id), is_integer(Index) ->
    get(Port, Id, Req, int32(Index));
ioctl(?socket(Port, Id), Req, Name)
  when ?IS_SOCKET(Port, Id), ?IS_NAME_GET(Req), is_list(Name) ->
    get(Port, Id, Req, name(Name));
ioctl(?socket(Port, Id), tcp_info = Req, Version)
  when ?IS_SOCKET(Port, Id), Version =:= 0 ->
    get(Port, Id, Req, undefined);
ioctl(?socket(Port, Id), rcvall = Req, Value)
  when ?IS_SOCKET(Port, Id),
       (Value =:= off orelse Value =:= on orelse Value =:= iplevel) ->
    get(Port, Id, Req, undefined);
ioctl(?socket(Port, Id), Req, Value)
  when ?IS_SOCKET(Port, Id),
       (Req =:= rcvall_igmpmcast orelse Req =:= rcvall_mcast),
       (Value =:= off orelse Value =:= on) ->
    get(Port, Id, Req, undefined);
ioctl(Socket, Req, Arg) ->
    erlang:error(badarg, [Socket, Req, Arg]).

%% ioctl/4: the interface set requests.
-spec ioctl(sockport:socket(), atom(), term(), term()) ->
          ok | {error, term()} | {invalid, atom()}.
ioctl(?socket(Port, Id), sifflags = Req, Name, Flags)
  when ?IS_SOCKET(Port, Id), is_list(Name), is_map(Flags) ->
    case known(Req) of
        false ->
            no_request(Req);
        true ->
            case enc_flags(Flags) of
                {error, Reason} ->
                    case set(Port, Id, Req, Name, invalid) of
                        {error, invalid} -> {error, Reason};
                        Other -> Other
                    end;
                Masks ->
                    set(Port, Id, Req, Name, Masks)
            end
    end;
ioctl(?socket(Port, Id), Req, Name, Addr)
  when ?IS_SOCKET(Port, Id), ?IS_ADDR_SET(Req), is_list(Name), is_map(Addr) ->
    %% socket.erl encodes the address first: its throw escapes.
    Merged = sockport_addr:enc_sockaddr(Addr),
    case known(Req) of
        false ->
            no_request(Req);
        true ->
            Wire = case sockport_addr:wire(Merged) of
                       {ok, W} -> W;
                       _ -> invalid
                   end,
            set(Port, Id, Req, Name, Wire)
    end;
ioctl(?socket(Port, Id), Req, Name, Value)
  when ?IS_SOCKET(Port, Id), (Req =:= sifmtu orelse Req =:= siftxqlen),
       is_list(Name), is_integer(Value) ->
    case known(Req) of
        false -> no_request(Req);
        true -> set(Port, Id, Req, Name, int32(Value))
    end;
ioctl(Socket, Req, Arg1, Arg2) ->
    erlang:error(badarg, [Socket, Req, Arg1, Arg2]).

%% ===========================================================================
%% Requests

get(Port, Id, Req, Arg) ->
    case lists:keyfind(Req, 1, sockport_tables:ioctl_requests()) of
        false ->
            no_request(Req);
        {_, _, Kind} ->
            Reply = sockport_cmd:request(Port, ?SP_OP_IOCTL, Id,
                                         [Req, Arg, undefined]),
            dec_reply(Kind, Reply)
    end.

set(Port, Id, Req, Name, Value) ->
    sockport_cmd:request(Port, ?SP_OP_IOCTL, Id, [Req, name(Name), Value]).

%% prim_socket: a request its table lacks (the rcvall requests on Linux).
no_request(Req) ->
    {error, {invalid, {ioctl_request, Req}}}.

known(Req) ->
    lists:keymember(Req, 1, sockport_tables:ioctl_requests()).

%% The NIF reads names as latin-1 C strings and indexes and values as C
%% ints.
name(Name) ->
    try list_to_binary(Name) of
        Bin -> Bin
    catch
        error:badarg -> invalid
    end.

int32(V) when ?INT32(V) -> V;
int32(_) -> invalid.

%% prim_socket:enc_ioctl_flags/1: #{Flag => boolean()} to the bits to set
%% and to clear; a flag the table lacks, or a value that is no boolean, is
%% {error, {invalid, {ioctl_flag, What}}}.
enc_flags(Flags) ->
    Table = sockport_tables:ioctl_flags(),
    F = fun(Flag, SetOrReset, {Set, Clear}) when is_boolean(SetOrReset) ->
                case lists:keyfind(Flag, 1, Table) of
                    {_, V} when SetOrReset -> {Set bor V, Clear band bnot V};
                    {_, V} -> {Set band bnot V, Clear bor V};
                    false -> throw({invalid, {ioctl_flag, Flag}})
                end;
           (Flag, BadSetOrReset, _) ->
                throw({invalid, {ioctl_flag, {Flag, BadSetOrReset}}})
        end,
    try maps:fold(F, {0, 0}, Flags)
    catch throw:Reason -> {error, Reason}
    end.

%% ===========================================================================
%% Answers, by the value kind of the request's row

dec_reply(ifconf, {ok, IfConf}) ->
    {ok, [#{name => binary_to_list(Name), addr => sockport_addr:decode(Addr)}
          || {Name, Addr} <- IfConf]};
dec_reply(name, {ok, Name}) ->
    {ok, binary_to_list(Name)};
dec_reply(addr, {ok, Addr}) ->
    {ok, sockport_addr:decode(Addr)};
dec_reply(hwaddr, {ok, {Family, Data}}) ->
    {ok, #{family => Family, addr => Data}};
dec_reply(flags, {ok, Flags}) ->
    {ok, dec_flags(Flags, sockport_tables:ioctl_flags())};
dec_reply(ifmap, {ok, {MemStart, MemEnd, BaseAddr, Irq, Dma, IfPort}}) ->
    {ok, #{mem_start => MemStart, mem_end => MemEnd, base_addr => BaseAddr,
           irq => Irq, dma => Dma, port => IfPort}};
dec_reply(tcp_info, {ok, Info}) ->
    {ok, maps:from_list(Info)};
dec_reply(_Kind, Reply) ->
    Reply.

%% The NIF's encode_ioctl_flags: names in table order, and what no name
%% covers as one integer at the end.
dec_flags(0, _Table) ->
    [];
dec_flags(Flags, []) ->
    [Flags];
dec_flags(Flags, [{Name, V} | Table])
  when V =/= 0, Flags band V =:= V ->
    [Name | dec_flags(Flags band bnot V, Table)];
dec_flags(Flags, [_ | Table]) ->
    dec_flags(Flags, Table).
