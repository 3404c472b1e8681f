%% Packet sockets (AF_PACKET, domain 17) through both modules, in two
%% network namespaces the suite makes (sockport_netns: lo up in each, a
%% veth pair between them), so that no frame leaves them and no other
%% traffic reaches the sockets. The sockets filter on a local
%% experimental ethertype (0x88B5), which nothing else in the namespaces
%% sends. What the cases look at: sockaddr_ll() addresses (family packet,
%% protocol, ifindex, pkttype, hatype, addr) as recvfrom and recvmsg give
%% them, the short addresses sockname gives as sockaddr_native(), binding
%% and sending with a sockaddr_native() of family 17, raw frames on lo
%% (seen leaving and arriving) and cooked (dgram) frames across the veth
%% pair with real hardware addresses. Needs root (namespaces, CAP_NET_RAW);
%% without it the cases are skipped with the reason.
-module(sockport_packet_SUITE).

-export([suite/0]).
-export([init_per_suite/1, end_per_suite/1]).
-export([packet_raw_lo/1, packet_raw_lo/2]).
-export([packet_dgram_veth/1, packet_dgram_veth/2]).
-export([packet_names/1, packet_names/2]).
-export([packet_errors/1, packet_errors/2]).

-include("sockport_diff.hrl").

-define(TAG, "pk").
-define(AF_PACKET, 17).
%% IEEE 802 local experimental ethertype 1.
-define(ETH_P, 16#88B5).
%% Every frame, leaving ones included (only ETH_P_ALL taps see those).
-define(ETH_P_ALL, 16#0003).
%% socket(2) and sockaddr_ll take the protocol in network byte order.
-define(HTONS(X), (((X) band 16#ff) bsl 8 bor ((X) bsr 8))).

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 120}}].

diff_cases() ->
    [packet_raw_lo, packet_dgram_veth, packet_names, packet_errors].

seed_cases() ->
    [].

-spec init_per_suite(list()) -> list().
init_per_suite(Config) ->
    case sockport_netns:setup(?TAG) of
        {ok, #{a := A, b := B, if_a := IfA, if_b := IfB} = Pair} ->
            Steps = [["-n", A, "link", "set", IfA, "up"],
                     ["-n", B, "link", "set", IfB, "up"]],
            case lists:usort([sockport_netns:ip(S) || S <- Steps]) of
                [ok] ->
                    %% frames sent before the pair has its carrier are lost
                    true = sockport_test_lib:until(
                             fun() -> up(A, IfA) andalso up(B, IfB) end, 10000),
                    [{netns, Pair} | Config];
                Errors ->
                    sockport_netns:teardown(Pair),
                    [{netns_skip, io_lib:format("ip(8): ~p", [Errors])} | Config]
            end;
        {skip, Why} ->
            [{netns_skip, Why} | Config]
    end.

-spec end_per_suite(list()) -> ok.
end_per_suite(Config) ->
    case proplists:get_value(netns, Config) of
        undefined -> ok;
        Pair -> sockport_netns:teardown(Pair)
    end.

up(Ns, If) ->
    string:find(os:cmd("ip -n " ++ Ns ++ " -o link show " ++ If),
                "state UP") =/= nomatch.

-define(NS_DIFF(Name, Doc),
        Name(Config) ->
               doc(Doc),
               case proplists:get_value(netns, Config) of
                   undefined -> {skip, proplists:get_value(netns_skip, Config)};
                   _ -> compare(Config, fun Name/2)
               end).

%% ===================================================================
%% Helpers
%% ===================================================================

%% A packet socket of Type in namespace Which (a or b) for ?ETH_P (or
%% EthP).
open_in(M, Which, Type) ->
    open_in(M, Which, Type, ?ETH_P).

open_in(M, Which, Type, EthP) ->
    #{Which := Name} = sockport_netns:names(?TAG),
    M:open(?AF_PACKET, Type, ?HTONS(EthP),
           #{netns => sockport_netns:path(Name)}).

ifname(Which) ->
    Key = case Which of a -> if_a; b -> if_b end,
    #{Key := If} = sockport_netns:names(?TAG),
    If.

%% struct sockaddr_ll after sll_family, as sockaddr_native() carries it
%% (sll_protocol in network byte order).
sll(Protocol, IfIndex, HwAddr) ->
    Pad = 8 - byte_size(HwAddr),
    #{family => ?AF_PACKET,
      addr => <<Protocol:16, IfIndex:32/native, 0:16, 0:8,
                (byte_size(HwAddr)):8, HwAddr/binary, 0:Pad/unit:8>>}.

%% The hardware address of an interface (gifhwaddr's first 6 bytes).
hwaddr(M, S, If) ->
    {ok, #{addr := <<Mac:6/binary, _/binary>>}} = M:ioctl(S, gifhwaddr, If),
    Mac.

drain(M, S) ->
    case M:recv(S, 0, 0) of
        {ok, _} -> drain(M, S);
        {error, timeout} -> ok
    end.

payload(N) ->
    %% 46 bytes or more: no padding to the Ethernet minimum anywhere
    <<"sockport packet ", (integer_to_binary(N))/binary, ": ",
      (binary:copy(<<"0123456789">>, 5))/binary>>.

%% ===================================================================
%% Cases
%% ===================================================================

?NS_DIFF(packet_raw_lo,
         "Ensure that a raw packet socket bound to lo sends whole Ethernet frames (send, and sendto a sockaddr_native() of family 17) that an ETH_P_ALL one reads leaving (outgoing) and arriving (host), with sockaddr_ll addresses from recvfrom and recvmsg; the sender sees only the arrival.").
packet_raw_lo(M, _X) ->
    {ok, S} = open_in(M, a, raw),
    {ok, L} = open_in(M, a, raw, ?ETH_P_ALL),
    {ok, IfIndex} = rec(lo_index, M:ioctl(S, gifindex, "lo")),
    rec(bind, [M:bind(S, sll(?ETH_P, IfIndex, <<>>)),
               M:bind(L, sll(?ETH_P_ALL, IfIndex, <<>>))]),
    %% Until it was bound to lo, L took frames of the veth end too (IPv6
    %% neighbour discovery): those are in its queue already.
    drain(M, L),
    Frame = fun(N) ->
                    <<0:48, 0:48, ?ETH_P:16, (payload(N))/binary>>
            end,
    ok = M:send(S, Frame(1)),
    %% Both copies; which comes first is the kernel's business.
    rec(recvfrom, lists:sort([M:recvfrom(L, 0, [], ?LONG) || _ <- [1, 2]])),
    rec(sender_recvfrom, M:recvfrom(S, 0, [], ?LONG)),
    ok = M:sendto(S, Frame(2), sll(?ETH_P, IfIndex, <<0:48>>)),
    rec(recvmsg, lists:sort([M:recvmsg(L, 0, 0, [], ?LONG) || _ <- [1, 2]])),
    rec(sender_recvmsg, M:recvmsg(S, 0, 0, [], ?LONG)),
    rec(nothing_more, [M:recv(X, 0, 100) || X <- [S, L]]),
    [ok = M:close(X) || X <- [S, L]].

?NS_DIFF(packet_dgram_veth,
         "Ensure that a cooked (dgram) packet socket sends to a hardware address given as a sockaddr_native() of family 17, and the peer across a veth pair gets the payload with the sender's address as sockaddr_ll (ether, host).").
packet_dgram_veth(M, _X) ->
    {ok, R} = open_in(M, b, dgram),
    {ok, S} = open_in(M, a, dgram),
    {ok, IdxA} = M:ioctl(S, gifindex, ifname(a)),
    {ok, IdxB} = M:ioctl(R, gifindex, ifname(b)),
    MacA = hwaddr(M, S, ifname(a)),
    MacB = hwaddr(M, R, ifname(b)),
    rec(bind, M:bind(R, sll(?ETH_P, IdxB, <<>>))),
    ok = M:sendto(S, payload(3), sll(?ETH_P, IdxA, MacB)),
    {ok, {From, Data}} = M:recvfrom(R, 0, [], ?LONG),
    rec(data, Data),
    rec(from, From =:= #{family => packet, protocol => ?ETH_P,
                         ifindex => IdxB, hatype => ether,
                         pkttype => host, addr => MacA}
        orelse {unexpected, From, IdxA, IdxB}),
    %% a frame to another host's address: the veth peer delivers it to a
    %% packet socket as otherhost
    ok = M:sendto(S, payload(4), sll(?ETH_P, IdxA, <<2, 0, 0, 0, 0, 1>>)),
    {ok, {#{pkttype := PktType}, Data4}} = M:recvfrom(R, 0, [], ?LONG),
    rec(otherhost, {PktType, Data4}),
    [ok = M:close(X) || X <- [S, R]].

?NS_DIFF(packet_names,
         "Ensure that sockname of a packet socket, unbound and bound, is a sockaddr_native() of family packet (shorter than a sockaddr_ll), and that the socket reports its domain, type and protocol as integers where they have no name.").
packet_names(M, _X) ->
    [begin
         {ok, S} = open_in(M, a, Type),
         rec({unbound, Type}, M:sockname(S)),
         {ok, IfIndex} = M:ioctl(S, gifindex, "lo"),
         ok = M:bind(S, sll(?ETH_P, IfIndex, <<>>)),
         rec({bound, Type}, M:sockname(S)),
         rec({peer, Type}, M:peername(S)),
         rec({facts, Type},
             [M:getopt(S, {otp, domain}), M:getopt(S, {socket, type}),
              M:getopt(S, {socket, protocol}), M:getopt(S, {socket, domain}),
              maps:with([domain, type, protocol], M:info(S))]),
         ok = M:close(S)
     end || Type <- [raw, dgram, 3, 2]].

?NS_DIFF(packet_errors,
         "Ensure that a sockaddr_ll() map is no address to give (OTP's NIF refuses it), that a short or foreign sockaddr_native() is the kernel's error, and that a packet socket refuses what the kernel refuses.").
packet_errors(M, _X) ->
    {ok, S} = open_in(M, a, raw),
    {ok, IfIndex} = M:ioctl(S, gifindex, "lo"),
    Ll = #{family => packet, protocol => ?ETH_P, ifindex => IfIndex,
           pkttype => host, hatype => loopback, addr => <<0:48>>},
    rec(bind_ll, M:bind(S, Ll)),
    rec(sendto_ll, M:sendto(S, <<0:112>>, Ll)),
    rec(bind_short, M:bind(S, #{family => ?AF_PACKET, addr => <<1, 2>>})),
    rec(bind_no_if, M:bind(S, sll(?ETH_P, 999999, <<>>))),
    rec(bind_inet, M:bind(S, #{family => inet, addr => {127, 0, 0, 1}, port => 0})),
    rec(bind_atoms, [M:bind(S, A) || A <- [any, loopback, broadcast]]),
    rec(connect, M:connect(S, sll(?ETH_P, IfIndex, <<>>))),
    rec(listen, M:listen(S)),
    rec(send_unbound, M:send(S, <<0:112>>)),
    rec(sendto_big, M:sendto(S, <<0:112>>, #{family => ?AF_PACKET,
                                              addr => <<0:127/unit:8>>})),
    ok = M:close(S).
