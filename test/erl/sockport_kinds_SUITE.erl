%% Socket kinds beyond stream and dgram over inet, inet6 and local, through
%% both modules: ICMP echo ("ping") over raw sockets to 127.0.0.1 and ::1
%% and over the ICMP datagram socket, and seqpacket over local paths and
%% abstract names. Raw sockets need CAP_NET_RAW and the ICMP datagram
%% case writes net.ipv4.ping_group_range: the suites run as root in CI (the
%% privilege suite covers the unprivileged VM).
-module(sockport_kinds_SUITE).

-export([suite/0]).
-export([ping_raw_inet/1, ping_raw_inet/2]).
-export([ping_raw_inet6/1, ping_raw_inet6/2]).
-export([ping_dgram_icmp/1, ping_dgram_icmp/2]).
-export([seqpacket_local/1, seqpacket_local/2]).

-include("sockport_diff.hrl").

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 60}}].

diff_cases() ->
    [ping_raw_inet, ping_raw_inet6, ping_dgram_icmp, seqpacket_local].

seed_cases() ->
    [].

%% ---------------------------------------------------------------------------
%% ICMP echo

-define(ECHO_REQUEST, 8).
-define(ECHO_REPLY, 0).
-define(ECHO6_REQUEST, 128).
-define(ECHO6_REPLY, 129).

%% RFC 1071: the ones' complement of the ones' complement sum.
checksum(Bin) ->
    checksum(Bin, 0).

checksum(<<W:16, Rest/binary>>, Sum) -> checksum(Rest, Sum + W);
checksum(<<B:8>>, Sum) -> checksum(<<>>, Sum + (B bsl 8));
checksum(<<>>, Sum) when Sum > 16#ffff -> checksum(<<>>, (Sum band 16#ffff) + (Sum bsr 16));
checksum(<<>>, Sum) -> bnot Sum band 16#ffff.

echo_request(Type, Id, Seq, Payload) ->
    Csum = checksum(<<Type:8, 0:8, 0:16, Id:16, Seq:16, Payload/binary>>),
    <<Type:8, 0:8, Csum:16, Id:16, Seq:16, Payload/binary>>.

?DIFF(ping_raw_inet,
      "Ensure that an ICMP echo request on a raw inet socket to 127.0.0.1 gets its reply, with a valid checksum, behind the IPv4 header.").
ping_raw_inet(M, _X) ->
    {ok, S} = M:open(inet, raw, icmp),
    Lo = #{family => inet, addr => {127, 0, 0, 1}},
    Payload = <<"sockport ping">>,
    ok = M:sendto(S, echo_request(?ECHO_REQUEST, 16#5350, 1, Payload), Lo),
    %% the request itself comes back on a raw socket too: find the reply
    Reply = until_reply(M, S, fun(<<_:4, Ihl:4, _/binary>> = Pkt) ->
                                      <<_:Ihl/unit:32, Icmp/binary>> = Pkt,
                                      Icmp
                              end, ?ECHO_REPLY),
    <<?ECHO_REPLY:8, 0:8, _Csum:16, 16#5350:16, 1:16, Payload/binary>> = Reply,
    rec(reply_checksum, checksum(Reply)),
    rec(reply, {byte_size(Reply), Payload}),
    ok = M:close(S).

?DIFF(ping_raw_inet6,
      "Ensure that an ICMPv6 echo request on a raw inet6 socket to ::1 gets its reply (the kernel computes ICMPv6 checksums).").
ping_raw_inet6(M, _X) ->
    {ok, S} = M:open(inet6, raw, 'ipv6-icmp'),
    Lo = #{family => inet6, addr => {0, 0, 0, 0, 0, 0, 0, 1}},
    Payload = <<"sockport ping6">>,
    ok = M:sendto(S, <<?ECHO6_REQUEST:8, 0:8, 0:16, 16#5351:16, 2:16,
                       Payload/binary>>, Lo),
    Reply = until_reply(M, S, fun(Icmp) -> Icmp end, ?ECHO6_REPLY),
    <<?ECHO6_REPLY:8, 0:8, _Csum:16, 16#5351:16, 2:16, Payload/binary>> = Reply,
    rec(reply, {byte_size(Reply), Payload}),
    ok = M:close(S).

?DIFF(ping_dgram_icmp,
      "Ensure that the ICMP datagram socket (no raw privilege) pings 127.0.0.1: the kernel sets the id, the reply has no IP header.").
ping_dgram_icmp(M, _X) ->
    %% net.ipv4.ping_group_range (per network namespace) says which groups
    %% may open it; let every group for the case, then put it back.
    Range = "/proc/sys/net/ipv4/ping_group_range",
    {ok, Old} = file:read_file(Range),
    ok = file:write_file(Range, <<"0 2147483647">>),
    try
        {ok, S} = M:open(inet, dgram, icmp),
        Lo = #{family => inet, addr => {127, 0, 0, 1}, port => 0},
        Payload = <<"dgram ping">>,
        ok = M:sendto(S, echo_request(?ECHO_REQUEST, 0, 3, Payload), Lo),
        {ok, {From, Reply}} = M:recvfrom(S, 0, [], 5000),
        <<?ECHO_REPLY:8, 0:8, _:16, _Id:16, 3:16, Payload/binary>> = Reply,
        rec(reply, {maps:get(addr, From), byte_size(Reply)}),
        ok = M:close(S)
    after
        file:write_file(Range, Old)
    end,
    %% with the range back to the default, both refuse
    rec(refused, M:open(inet, dgram, icmp)).

until_reply(M, S, Strip, Type) ->
    {ok, {_, Pkt}} = M:recvfrom(S, 0, [], 5000),
    case Strip(Pkt) of
        <<Type:8, _/binary>> = Icmp -> Icmp;
        _ -> until_reply(M, S, Strip, Type)
    end.

%% ---------------------------------------------------------------------------
%% seqpacket

?DIFF(seqpacket_local,
      "Ensure that local seqpacket sockets (path and abstract) accept, connect, keep message boundaries and truncate a message bigger than the read.").
seqpacket_local(M, X) ->
    [begin
         Addr = addr(K, X),
         {ok, L} = M:open(local, seqpacket, default),
         ok = M:bind(L, Addr),
         ok = M:listen(L),
         {ok, C} = M:open(local, seqpacket, default),
         ok = M:connect(C, Addr),
         {ok, A} = M:accept(L, ?LONG),
         [ok = M:send(C, Msg) || Msg <- [<<"one">>, <<"two!">>, <<"three">>]],
         rec({msgs, K}, [M:recv(A, 0, ?LONG) || _ <- [1, 2]]),
         rec({trunc, K}, M:recvmsg(A, 2, 0, [], ?LONG)),
         ok = M:send(A, <<"back">>),
         rec({back, K}, M:recv(C, 0, ?LONG)),
         ok = M:close(C),
         rec({eof, K}, M:recv(A, 0, ?LONG)),
         [M:close(S) || S <- [A, L]]
     end || K <- [path, abstract]].
