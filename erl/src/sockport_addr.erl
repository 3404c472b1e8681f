%% Socket addresses: sockaddr() maps <-> the wire terms of PROTOCOL.md.
%%
%% Encoding follows OTP 25 in two steps, so that every malformed address
%% gives the very term `socket' gives: first prim_socket's enc_sockaddr
%% (fill in defaults, reject unknown keys and bad paths), then the checks
%% the NIF makes while it builds the C struct (tuple shapes, ranges, path
%% length), whose failure is `{invalid, {sockaddr, Addr}}' with the
%% address as the caller gave it. The atoms any/loopback/broadcast inside
%% a map are resolved here; the daemon only ever sees numeric addresses.
%% A map with an integer family (sockaddr_native()) or family unspec goes
%% to the kernel as its bytes, as the NIF passes it.
-module(sockport_addr).

-export([encode/1]).
-export([decode/1]).
-export([enc_sockaddr/1]).
-export([wire/1]).

%% Defaults, as prim_socket fills them in.
-define(IN_DEFAULTS, #{family => inet, port => 0, addr => any}).
-define(IN6_DEFAULTS,
        #{family => inet6, port => 0, addr => any,
          flowinfo => 0, scope_id => 0}).
-define(LOCAL_DEFAULTS, #{family => local, path => <<"">>}).
-define(UNSPEC_DEFAULTS, #{family => unspec, addr => <<>>}).
-define(NATIVE_DEFAULTS, #{family => 0, addr => <<>>}).

%% Linux: sizeof(((struct sockaddr_un *)0)->sun_path)
-define(SUN_PATH_MAX, 108).
%% The bytes after sa_family that a struct sockaddr_storage holds.
-define(SA_DATA_MAX, 126).

-define(IS_U8(X), (is_integer(X) andalso 0 =< X andalso X =< 255)).
-define(IS_U16(X), (is_integer(X) andalso 0 =< X andalso X =< 16#ffff)).
-define(IS_U32(X), (is_integer(X) andalso 0 =< X andalso X =< 16#ffffffff)).
-define(IS_INT32(X), (is_integer(X) andalso -16#80000000 =< X
                      andalso X =< 16#7fffffff)).

-type wire() ::
        {inet, socket:in_addr(), socket:port_number()} |
        {inet6, socket:in6_addr(), socket:port_number(),
         non_neg_integer(), non_neg_integer()} |
        {local, binary()} |
        {unspec, binary()} |
        {native, 0..16#ffff, binary()}.

-export_type([wire/0]).

%% ===========================================================================
%% encode

%% Returns the wire term and the map with defaults filled in (OTP keeps the
%% latter in a sendto continuation). A non-map raises, as in OTP.
-spec encode(Addr :: term()) ->
          {ok, wire(), map()} | {error, term()}.
encode(Addr) ->
    try enc_sockaddr(Addr) of
        Merged ->
            case wire(Merged) of
                {ok, Wire} ->
                    {ok, Wire, Merged};
                invalid ->
                    {error, {invalid, {sockaddr, Addr}}}
            end
    catch
        throw:Reason ->
            {error, Reason}
    end.

%% prim_socket:enc_sockaddr/1, clause for clause: the map with defaults
%% filled in, or it throws (ioctl lets the throw escape, as socket.erl).
-spec enc_sockaddr(term()) -> map().
enc_sockaddr(#{family := inet, addr := _, port := _} = SockAddr)
  when map_size(SockAddr) =:= 3 ->
    %% every key given, none other: what the merge below would return
    SockAddr;
enc_sockaddr(#{family := inet} = SockAddr) ->
    merge_sockaddr(?IN_DEFAULTS, SockAddr);
enc_sockaddr(#{family := inet6} = SockAddr) ->
    merge_sockaddr(?IN6_DEFAULTS, SockAddr);
enc_sockaddr(#{family := local, path := Path} = SockAddr) ->
    if
        is_list(Path), 0 =< length(Path), length(Path) =< 255 ->
            BinPath = enc_path(Path),
            enc_sockaddr(SockAddr#{path => BinPath});
        is_binary(Path), 0 =< byte_size(Path), byte_size(Path) =< 255 ->
            merge_sockaddr(?LOCAL_DEFAULTS, SockAddr);
        true ->
            throw({invalid, {sockaddr, path, SockAddr}})
    end;
enc_sockaddr(#{family := local} = SockAddr) ->
    throw({invalid, {sockaddr, path, SockAddr}});
enc_sockaddr(#{family := unspec} = SockAddr) ->
    merge_sockaddr(?UNSPEC_DEFAULTS, SockAddr);
enc_sockaddr(#{family := Native} = SockAddr) when is_integer(Native) ->
    merge_sockaddr(?NATIVE_DEFAULTS, SockAddr);
enc_sockaddr(#{family := _} = SockAddr) ->
    SockAddr;
enc_sockaddr(#{} = SockAddr) ->
    throw({invalid, {sockaddr, family, SockAddr}});
enc_sockaddr(SockAddr) ->
    erlang:error({invalid, {sockaddr, SockAddr}}).

merge_sockaddr(Default, SockAddr) ->
    case
        maps:fold(
          fun (Key, _, Acc) ->
                  case is_map_key(Key, Default) of
                      true -> Acc;
                      false -> [Key | Acc]
                  end
          end, [], SockAddr)
    of
        [] ->
            maps:merge(Default, SockAddr);
        InvalidKeys ->
            throw({invalid, {sockaddr, {keys, InvalidKeys}, SockAddr}})
    end.

enc_path(Path) ->
    case unicode:characters_to_binary(Path, file:native_name_encoding()) of
        {error, _Bin, _Rest} ->
            throw({invalid, {path, Path}});
        {incomplete, _Bin1, _Bin2} ->
            throw({invalid, {path, Path}});
        BinPath when is_binary(BinPath) ->
            BinPath
    end.

%% What the NIF checks while it fills in the C struct.
-spec wire(map()) -> {ok, wire()} | invalid.
wire(#{family := inet, addr := Addr, port := Port}) ->
    case {in_addr(Addr), port(Port)} of
        {{ok, A}, {ok, P}} -> {ok, {inet, A, P}};
        _ -> invalid
    end;
wire(#{family := inet6, addr := Addr, port := Port,
       flowinfo := FlowInfo, scope_id := ScopeId}) ->
    case {in6_addr(Addr), port(Port)} of
        {{ok, A}, {ok, P}} when ?IS_U32(FlowInfo), ?IS_U32(ScopeId) ->
            {ok, {inet6, A, P, FlowInfo, ScopeId}};
        _ ->
            invalid
    end;
wire(#{family := local, path := Path}) ->
    case local_path_fits(Path) of
        true -> {ok, {local, Path}};
        false -> invalid
    end;
wire(#{family := unspec, addr := Bin})
  when is_binary(Bin), byte_size(Bin) =< ?SA_DATA_MAX ->
    {ok, {unspec, Bin}};
wire(#{family := Native, addr := Bin})
  when ?IS_INT32(Native), is_binary(Bin), byte_size(Bin) =< ?SA_DATA_MAX ->
    %% The NIF reads the family as a C int and casts it to sa_family_t.
    {ok, {native, Native band 16#ffff, Bin}};
wire(#{}) ->
    invalid.

in_addr(any) -> {ok, {0, 0, 0, 0}};
in_addr(loopback) -> {ok, {127, 0, 0, 1}};
in_addr(broadcast) -> {ok, {255, 255, 255, 255}};
in_addr({A, B, C, D} = Addr)
  when ?IS_U8(A), ?IS_U8(B), ?IS_U8(C), ?IS_U8(D) ->
    {ok, Addr};
in_addr(_) ->
    invalid.

in6_addr(any) -> {ok, {0, 0, 0, 0, 0, 0, 0, 0}};
in6_addr(loopback) -> {ok, {0, 0, 0, 0, 0, 0, 0, 1}};
in6_addr({_, _, _, _, _, _, _, _} = Addr) ->
    case lists:all(fun (W) -> ?IS_U16(W) end, tuple_to_list(Addr)) of
        true -> {ok, Addr};
        false -> invalid
    end;
in6_addr(_) ->
    invalid.

%% The NIF reads the port as a C int and stores htons() of it: any 32-bit
%% integer is accepted and truncated to 16 bits.
port(Port)
  when is_integer(Port), -16#80000000 =< Port, Port =< 16#7fffffff ->
    {ok, Port band 16#ffff};
port(_) ->
    invalid.

%% A Linux abstract name (leading 0) needs no terminating 0 byte.
local_path_fits(<<0, _/binary>> = Path) ->
    byte_size(Path) =< ?SUN_PATH_MAX;
local_path_fits(Path) ->
    byte_size(Path) + 1 =< ?SUN_PATH_MAX.

%% ===========================================================================
%% decode

%% A wire address from the daemon as the sockaddr_recv() map OTP gives.
-spec decode(Wire :: term()) -> socket:sockaddr_recv().
decode({inet, Addr, Port}) ->
    #{family => inet, addr => Addr, port => Port};
decode({inet6, Addr, Port, FlowInfo, ScopeId}) ->
    #{family => inet6, addr => Addr, port => Port,
      flowinfo => FlowInfo, scope_id => ScopeId};
decode({local, Path}) ->
    #{family => local, path => Path};
decode({unspec, Bin}) ->
    #{family => unspec, addr => Bin};
decode({native, Family, Bin}) ->
    #{family => Family, addr => Bin};
decode({packet, Protocol, IfIndex, HaType, PktType, Addr}) ->
    #{family => packet, protocol => Protocol, ifindex => IfIndex,
      hatype => HaType, pkttype => PktType, addr => Addr};
decode(Bin) when is_binary(Bin) ->
    %% Too short to hold its family: sockaddr_recv()'s binary().
    Bin.
