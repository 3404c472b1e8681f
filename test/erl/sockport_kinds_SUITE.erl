%% Socket kinds beyond stream and dgram over inet, inet6 and local, through
%% both modules: every domain, type and protocol form of open (atoms and
%% integers, rdm, SCTP), ICMP echo ("ping") over raw sockets to 127.0.0.1
%% and ::1 and over the ICMP datagram socket, a hand-built IPv4 header
%% sent with {ip, hdrincl}, seqpacket over local paths and abstract names,
%% SCTP one-to-one and one-to-many sockets where the kernel has SCTP, and
%% the address forms beside inet, inet6 and local: sockaddr_unspec() and
%% sockaddr_native() given (connect to unspec dissolves a UDP association)
%% and returned (netlink). Packet sockets have a suite of their own
%% (sockport_packet_SUITE). Raw sockets need CAP_NET_RAW and the ICMP
%% datagram case writes net.ipv4.ping_group_range: the suites run as root
%% in CI (the privilege suite covers the unprivileged VM).
-module(sockport_kinds_SUITE).

-export([suite/0]).
-export([open_forms/1, open_forms/2]).
-export([ping_raw_inet/1, ping_raw_inet/2]).
-export([ping_raw_inet6/1, ping_raw_inet6/2]).
-export([ping_dgram_icmp/1, ping_dgram_icmp/2]).
-export([hdrincl_udp/1, hdrincl_udp/2]).
-export([seqpacket_local/1, seqpacket_local/2]).
-export([sctp_one_to_one/1, sctp_one_to_one/2]).
-export([sctp_one_to_many/1, sctp_one_to_many/2]).
-export([addr_unspec_native/1, addr_unspec_native/2]).
-export([addr_netlink/1, addr_netlink/2]).
-export([seed_addr_forms/1]).

-include("sockport_diff.hrl").

-define(PING_RANGE, "/proc/sys/net/ipv4/ping_group_range").

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 60}}].

%% Cases that need raw sockets, or to write ping_group_range, in this VM
%% as in the daemon (the `socket' side is the oracle): skipped, with the
%% reason, where the VM lacks the privilege.
-define(RAW_DIFF(Name, Doc),
        Name(Config) ->
               doc(Doc),
               case raw_allowed() of
                   true -> compare(Config, fun Name/2);
                   Skip -> Skip
               end).
-define(RANGE_DIFF(Name, Doc),
        Name(Config) ->
               doc(Doc),
               case ping_range_writable() of
                   true -> compare(Config, fun Name/2);
                   Skip -> Skip
               end).

raw_allowed() ->
    case socket:open(inet, raw, icmp) of
        {ok, S} -> socket:close(S), true;
        {error, Reason} -> {skip, io_lib:format("no raw sockets in this VM: ~p", [Reason])}
    end.

ping_range_writable() ->
    case file:open(?PING_RANGE, [read, write]) of
        {ok, F} -> file:close(F), true;
        {error, Reason} -> {skip, io_lib:format("cannot write ~s: ~p", [?PING_RANGE, Reason])}
    end.

diff_cases() ->
    [open_forms, ping_raw_inet, ping_raw_inet6, ping_dgram_icmp,
     hdrincl_udp, seqpacket_local, sctp_one_to_one, sctp_one_to_many,
     addr_unspec_native, addr_netlink].

seed_cases() ->
    [seed_addr_forms].

%% ---------------------------------------------------------------------------
%% open

?DIFF(open_forms,
      "Ensure that open takes domains, types and protocols as atoms and as integers (the platform's AF_*, SOCK_*, IPPROTO_* and ETH_P_* numbers) as socket does, rdm only as a number, and that each socket reports them alike.").
open_forms(M, _X) ->
    Forms = [{2, 2, 17}, {2, 1, 6}, {inet, raw, 1}, {10, 3, 58},
             {inet6, raw, 'ipv6-icmp'}, {inet6, raw, icmp6}, {inet, raw, 255},
             {inet, raw, {raw, 2}}, {local, 5, 0}, {1, seqpacket, default},
             {local, rdm, default}, {local, 4, 0}, {30, rdm, 0}, {30, 4, 0},
             {inet, stream, sctp}, {inet, seqpacket, sctp}, {inet6, 5, 132},
             {16, raw, 0}, {16, 2, 15}, {17, raw, 16#0300}, {17, 2, 0},
             {unspec, dgram, 0}, {99, dgram, 0}, {inet, 99, 0},
             {inet, dgram, 99999}, {inet, raw, 256}, {inet, stream, udp}],
    [rec({open, F}, facts(M, M:open(D, T, P))) || {D, T, P} = F <- Forms],
    rec(open2, [facts(M, M:open(D, T)) || {D, T} <- [{2, 2}, {local, 5}, {16, 3}]]).

%% What a socket opened says of itself, then closed.
facts(M, {ok, S}) ->
    Facts = [M:getopt(S, {otp, domain}), M:getopt(S, {socket, type}),
             M:getopt(S, {socket, protocol}),
             maps:with([domain, type, protocol], M:info(S))],
    ok = M:close(S),
    {ok, Facts};
facts(_M, Error) ->
    Error.

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

?RAW_DIFF(ping_raw_inet,
      "Ensure that an ICMP echo request on a raw inet socket (protocol icmp, or 1) to 127.0.0.1 gets its reply, with a valid checksum, behind the IPv4 header.").
ping_raw_inet(M, _X) ->
    [ping_inet(M, Protocol) || Protocol <- [icmp, 1]].

ping_inet(M, Protocol) ->
    {ok, S} = M:open(inet, raw, Protocol),
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

?RAW_DIFF(ping_raw_inet6,
      "Ensure that an ICMPv6 echo request on a raw inet6 socket (protocol 'ipv6-icmp', or 58) to ::1 gets its reply (the kernel computes ICMPv6 checksums).").
ping_raw_inet6(M, _X) ->
    [ping_inet6(M, Protocol) || Protocol <- ['ipv6-icmp', 58]].

ping_inet6(M, Protocol) ->
    {ok, S} = M:open(inet6, raw, Protocol),
    Lo = #{family => inet6, addr => {0, 0, 0, 0, 0, 0, 0, 1}},
    Payload = <<"sockport ping6">>,
    ok = M:sendto(S, <<?ECHO6_REQUEST:8, 0:8, 0:16, 16#5351:16, 2:16,
                       Payload/binary>>, Lo),
    Reply = until_reply(M, S, fun(Icmp) -> Icmp end, ?ECHO6_REPLY),
    <<?ECHO6_REPLY:8, 0:8, _Csum:16, 16#5351:16, 2:16, Payload/binary>> = Reply,
    rec(reply, {byte_size(Reply), Payload}),
    ok = M:close(S).

?RANGE_DIFF(ping_dgram_icmp,
      "Ensure that the ICMP datagram socket (no raw privilege) pings 127.0.0.1: the kernel sets the id, the reply has no IP header.").
ping_dgram_icmp(M, _X) ->
    %% Another test run on this host may change the range too.
    sockport_test_lib:with_host_lock("ping_group_range",
                                     fun() -> ping_with_range(M) end).

ping_with_range(M) ->
    %% net.ipv4.ping_group_range (per network namespace) says which groups
    %% may open it; let every group for the case, then put it back.
    Range = ?PING_RANGE,
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

%% ---------------------------------------------------------------------------
%% {ip, hdrincl}

-define(SRC_PORT, 40001).

?RAW_DIFF(hdrincl_udp,
      "Ensure that with {ip, hdrincl} (set on a raw udp socket, and the default of protocol 255) a hand-built IPv4 header and UDP datagram, checksums computed here, reach a UDP socket on 127.0.0.1, and one with a wrong UDP checksum does not.").
hdrincl_udp(M, _X) ->
    {ok, U} = M:open(inet, dgram, udp),
    ok = M:bind(U, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    {ok, #{port := Port}} = M:sockname(U),
    {ok, R} = M:open(inet, raw, udp),
    rec(udp_default, M:getopt(R, {ip, hdrincl})),
    rec(set, M:setopt(R, {ip, hdrincl}, true)),
    rec(udp_set, M:getopt(R, {ip, hdrincl})),
    {ok, Raw} = M:open(inet, raw, 255),
    rec(raw_default, M:getopt(Raw, {ip, hdrincl})),
    Lo = #{family => inet, addr => {127, 0, 0, 1}, port => 0},
    ok = M:sendto(R, ip_udp(Port, <<"wrong checksum">>, 1), Lo),
    ok = M:sendto(R, ip_udp(Port, <<"hand-built 1">>, 0), Lo),
    ok = M:sendto(Raw, ip_udp(Port, <<"hand-built 2">>, 0), Lo),
    %% the kernel may take the two from two CPUs' queues: sorted
    rec(received, lists:sort([M:recvfrom(U, 0, [], ?LONG) || _ <- [1, 2]])),
    rec(no_more, M:recv(U, 0, 200)),
    [ok = M:close(S) || S <- [U, R, Raw]].

%% An IPv4 header (20 bytes) and a UDP datagram from 127.0.0.1:?SRC_PORT
%% to 127.0.0.1:Port; Skew added to the UDP checksum (0: correct).
ip_udp(Port, Payload, Skew) ->
    Lo = <<127, 0, 0, 1>>,
    UdpLen = 8 + byte_size(Payload),
    Pseudo = <<Lo/binary, Lo/binary, 0, 17, UdpLen:16>>,
    Udp0 = <<?SRC_PORT:16, Port:16, UdpLen:16, 0:16, Payload/binary>>,
    UdpSum = case checksum(<<Pseudo/binary, Udp0/binary>>) of
                 0 -> 16#ffff;
                 Sum -> Sum
             end,
    Udp = <<?SRC_PORT:16, Port:16, UdpLen:16,
            ((UdpSum + Skew) band 16#ffff):16, Payload/binary>>,
    Ip0 = <<4:4, 5:4, 0, (20 + UdpLen):16, 16#5350:16, 0:16, 64, 17, 0:16,
            Lo/binary, Lo/binary>>,
    <<Head:10/binary, 0:16, Tail/binary>> = Ip0,
    <<Head/binary, (checksum(Ip0)):16, Tail/binary, Udp/binary>>.

%% ---------------------------------------------------------------------------
%% SCTP (where the kernel has it)

%% false where SCTP works, else why not (the case is then skipped).
sctp_missing() ->
    case {sockport:is_supported(sctp), socket:open(inet, stream, sctp)} of
        {true, {ok, S}} ->
            ok = socket:close(S),
            false;
        {false, _} ->
            "sockport:is_supported(sctp) is false";
        {true, Error} ->
            lists:flatten(
              io_lib:format("the kernel has no SCTP: socket:open(inet, "
                            "stream, sctp) is ~w", [Error]))
    end.

-define(SCTP_DIFF(Name, Doc),
        Name(Config) ->
               doc(Doc),
               case sctp_missing() of
                   false -> compare(Config, fun Name/2);
                   Why -> {skip, Why}
               end).

?SCTP_DIFF(sctp_one_to_one,
           "Ensure that SCTP one-to-one (stream) sockets on 127.0.0.1 accept, connect, keep message boundaries both ways and see the peer close.").
sctp_one_to_one(M, _X) ->
    {ok, L} = M:open(inet, stream, sctp),
    ok = M:bind(L, #{family => inet, addr => {127, 0, 0, 1}, port => 0}),
    ok = M:listen(L),
    {ok, LA} = M:sockname(L),
    {ok, C} = M:open(inet, stream, sctp),
    rec(connect, M:connect(C, LA)),
    {ok, A} = M:accept(L, ?LONG),
    rec(facts, [M:getopt(A, {socket, type}), M:getopt(A, {socket, protocol})]),
    [ok = M:send(C, Msg) || Msg <- [<<"one">>, <<"two!">>]],
    rec(msgs, [M:recv(A, 0, ?LONG) || _ <- [1, 2]]),
    ok = M:send(A, <<"back">>),
    rec(back, M:recvmsg(C, 0, 0, [], ?LONG)),
    ok = M:close(C),
    rec(eof, M:recv(A, 0, ?LONG)),
    [ok = M:close(S) || S <- [A, L]].

?SCTP_DIFF(sctp_one_to_many,
           "Ensure that SCTP one-to-many (seqpacket) sockets on 127.0.0.1 set up an association by sending, and answer the sender at the address recvfrom gives.").
sctp_one_to_many(M, _X) ->
    Lo = #{family => inet, addr => {127, 0, 0, 1}, port => 0},
    {ok, S} = M:open(inet, seqpacket, sctp),
    ok = M:bind(S, Lo),
    ok = M:listen(S),
    {ok, SA} = M:sockname(S),
    {ok, C} = M:open(inet, seqpacket, sctp),
    ok = M:bind(C, Lo),
    {ok, CA} = M:sockname(C),
    rec(sendto, M:sendto(C, <<"hello">>, SA)),
    {ok, {From, Data}} = M:recvfrom(S, 0, [], ?LONG),
    rec(first, {From =:= CA, Data}),
    rec(reply, M:sendto(S, <<"hello back">>, From)),
    rec(answer, M:recvfrom(C, 0, [], ?LONG)),
    [ok = M:close(X) || X <- [C, S]].

%% ---------------------------------------------------------------------------
%% sockaddr_unspec() and sockaddr_native()

%% Addresses as sockaddr_native(): the bytes after sa_family.
native(#{family := inet, addr := {A, B, C, D}, port := Port}) ->
    #{family => 2, addr => <<Port:16, A, B, C, D, 0:64>>};
native(#{family := local, path := Path}) ->
    #{family => 1, addr => <<Path/binary, 0>>}.

?DIFF(addr_unspec_native,
      "Ensure that sockaddr_unspec() and sockaddr_native() go to the kernel as their bytes: connect to unspec (or family 0) dissolves a UDP association, native inet and local addresses connect, bind and send as the maps do, a short one is the kernel's einval, and malformed ones are invalid.").
addr_unspec_native(M, X) ->
    {U1, U1A} = dgram(M, inet, X),
    {U2, U2A} = dgram(M, inet, X),
    {C, _} = dgram(M, inet, X),
    rec(connect, M:connect(C, U1A)),
    rec(peer, M:peername(C)),
    [rec({dissolve, Addr}, {M:connect(C, Addr), M:peername(C),
                            M:send(C, <<"x">>)})
     || Addr <- [#{family => unspec, addr => <<>>}, #{family => unspec},
                 #{family => 0, addr => <<>>}]],
    %% as in C, dissolving gives up a port the kernel chose
    rec(dissolved_name, M:sockname(C)),
    ok = M:sendto(C, <<"to u2">>, U2A),
    {ok, CA} = M:sockname(C),
    rec(u2, M:recvfrom(U2, 0, [], ?LONG)),
    rec(connect_native, M:connect(C, native(U1A))),
    rec(peer_native, M:peername(C)),
    ok = M:send(C, <<"to u1">>),
    rec(u1, M:recvfrom(U1, 0, [], ?LONG)),
    ok = M:sendto(U1, <<"from u1">>, native(CA)),
    rec(from_u1, M:recv(C, 0, ?LONG)),
    ok = M:sendmsg(U1, #{addr => native(CA), iov => [<<"msg">>]}),
    rec(sendmsg, M:recvmsg(C, ?LONG)),
    Bad = [#{family => 2, addr => <<0, 9, 127, 0, 0, 1>>},
           #{family => 2}, #{family => 2 - 65536, addr => <<0:112>>},
           #{family => 10, addr => <<0:208>>},
           #{family => 2, addr => {127, 0, 0, 1}},
           #{family => 2, addr => <<0:127/unit:8>>},
           #{family => 2, addr => <<>>, port => 1},
           #{family => unspec, addr => <<0:127/unit:8>>},
           #{family => 1 bsl 40, addr => <<>>},
           #{family => packet, addr => <<>>},
           #{family => link, index => 1, type => 0, nlen => 0, alen => 0,
             slen => 0, data => <<>>}],
    [rec({bad, A}, {M:connect(C, A), M:sendto(C, <<"x">>, A)}) || A <- Bad],
    %% bind: a native inet address, a native local path
    {ok, B} = M:open(inet, dgram, udp),
    rec(bind_native, M:bind(B, #{family => 2, addr => <<0:16, 127, 0, 0, 1, 0:64>>})),
    rec(bound, M:sockname(B)),
    #{tmp := Tmp} = X,
    Path = <<Tmp/binary, "/native">>,
    {ok, L} = M:open(local, dgram, default),
    rec(bind_local, M:bind(L, native(#{family => local, path => Path}))),
    rec(bound_local, M:sockname(L)),
    %% a stream socket: unspec before connecting is no error
    {ok, T} = M:open(inet, stream, tcp),
    rec(tcp_unspec, {M:connect(T, #{family => unspec}), M:bind(T, #{family => unspec})}),
    [ok = M:close(S) || S <- [U1, U2, C, B, L, T]].

-define(AF_NETLINK, 16).

%% A netlink port id of this VM's own, unique among runs at once (pids
%% are below 2^22) and apart from the ids the kernel gives (pids, and
%% negative numbers).
nl_pid(N) ->
    16#40000000 + (list_to_integer(os:getpid()) band 16#3fffff) * 4 + N.

nl_addr(Pid) ->
    #{family => ?AF_NETLINK, addr => <<0:16, Pid:32/native, 0:32>>}.

?DIFF(addr_netlink,
      "Ensure that addresses of a family without a map (netlink) come back as sockaddr_native(): sockname before and after bind, and the source of a message from another netlink socket.").
addr_netlink(M, _X) ->
    {ok, A} = M:open(?AF_NETLINK, raw, 0),
    {ok, B} = M:open(?AF_NETLINK, raw, 0),
    rec(unbound, M:sockname(A)),
    rec(bind, [M:bind(A, nl_addr(nl_pid(1))), M:bind(B, nl_addr(nl_pid(2)))]),
    rec(bound, M:sockname(A) =:= {ok, nl_addr(nl_pid(1))}),
    ok = M:sendto(B, <<"netlink message">>, nl_addr(nl_pid(1))),
    {ok, {From, Data}} = M:recvfrom(A, 0, [], ?LONG),
    rec(from, {From =:= nl_addr(nl_pid(2)), Data}),
    [ok = M:close(S) || S <- [A, B]].

-spec seed_addr_forms(list()) -> ok.
seed_addr_forms(_Config) ->
    doc("Ensure that every address form the daemon returns becomes the seed's sockaddr_recv(): sockaddr_ll, sockaddr_native (family named or a number), sockaddr_unspec, and the bare binary of an address too short to hold its family"),
    #{family := packet, protocol := 16#88B5, ifindex := 2, hatype := ether,
      pkttype := host, addr := <<1, 2, 3, 4, 5, 6>>} =
        sockport_addr:decode({packet, 16#88B5, 2, ether, host, <<1, 2, 3, 4, 5, 6>>}),
    #{family := packet, hatype := 16#1234, pkttype := 99} =
        sockport_addr:decode({packet, 0, 2, 16#1234, 99, <<>>}),
    #{family := packet, addr := <<0, 3>>} = sockport_addr:decode({native, packet, <<0, 3>>}),
    #{family := 16, addr := <<1>>} = sockport_addr:decode({native, 16, <<1>>}),
    #{family := unspec, addr := <<>>} = sockport_addr:decode({unspec, <<>>}),
    <<2>> = sockport_addr:decode(<<2>>),
    ok.
