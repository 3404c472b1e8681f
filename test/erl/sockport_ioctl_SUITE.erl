%% ioctl/2,3,4. Differential where OTP 25 has the request: the interface
%% get requests on lo and gifconf, argument errors and a closed socket,
%% supports, and the set requests on a veth end in a network namespace the
%% suite makes (both modules open their socket there with netns). The
%% seed's requests OTP 25 lacks (nread, nwrite, nspace, atmark, tcp_info,
%% sifnetmask) and where OTP 25 misbehaves (bad sifflags flags, addresses
%% of another family) get seed_* cases against the documented behaviour.
-module(sockport_ioctl_SUITE).

-export([suite/0]).
-export([init_per_suite/1, end_per_suite/1]).
%% Cases (Name/1) and their scenarios (Name/2).
-export([get_lo/1, get_lo/2]).
-export([gifconf/1, gifconf/2]).
-export([get_errors/1, get_errors/2]).
-export([bad_requests/1, bad_requests/2]).
-export([closed_socket/1, closed_socket/2]).
-export([supports_ioctl/1, supports_ioctl/2]).
-export([set_flags/1, set_flags/2]).
-export([set_mtu_txqlen/1, set_mtu_txqlen/2]).
-export([set_addrs/1, set_addrs/2]).
-export([set_errors/1, set_errors/2]).
-export([seed_nread/1]).
-export([seed_nwrite_nspace/1]).
-export([seed_queue_errors/1]).
-export([seed_atmark/1]).
-export([seed_tcp_info/1]).
-export([seed_hwaddr_zero_filled/1]).
-export([seed_sifnetmask/1]).
-export([seed_bad_flags/1]).
-export([seed_set_addr_other_family/1]).
-export([seed_supports_requests/1]).
-export([seed_rcvall/1]).

-include("sockport_diff.hrl").

-define(TAG, "io").
%% The seed's requests that OTP 25 does not have.
-define(SEED_ONLY, [nread, nwrite, nspace, atmark, tcp_info, sifnetmask]).

-spec suite() -> list().
suite() ->
    [{timetrap, {seconds, 120}}].

diff_cases() ->
    [get_lo, gifconf, get_errors, bad_requests, closed_socket, supports_ioctl,
     set_flags, set_mtu_txqlen, set_addrs, set_errors].

seed_cases() ->
    [seed_nread, seed_nwrite_nspace, seed_queue_errors, seed_atmark,
     seed_tcp_info, seed_hwaddr_zero_filled, seed_sifnetmask, seed_bad_flags,
     seed_set_addr_other_family, seed_supports_requests, seed_rcvall].

-spec init_per_suite(list()) -> list().
init_per_suite(Config) ->
    case sockport_netns:setup(?TAG) of
        {ok, Pair} -> [{netns, Pair} | Config];
        {skip, Why} -> [{netns_skip, Why} | Config]
    end.

-spec end_per_suite(list()) -> ok.
end_per_suite(Config) ->
    case proplists:get_value(netns, Config) of
        undefined -> ok;
        Pair -> sockport_netns:teardown(Pair)
    end.

%% A differential case that needs the suite's namespaces.
-define(NS_DIFF(Name, Doc),
        Name(Config) ->
               doc(Doc),
               case proplists:get_value(netns, Config) of
                   undefined -> {skip, proplists:get_value(netns_skip, Config)};
                   _ -> compare(Config, fun Name/2)
               end).

%% ===================================================================
%% Get requests on lo and the interface list
%% ===================================================================

?DIFF(get_lo,
      "Ensure that the interface get requests on lo answer as OTP's on every kind of socket.").
get_lo(M, _X) ->
    [begin
         {ok, S} = M:open(D, T),
         rec({gifname, D, T}, M:ioctl(S, gifname, 1)),
         [rec({R, D, T}, M:ioctl(S, R, "lo"))
          || R <- [gifindex, gifaddr, gifdstaddr, gifbrdaddr, gifnetmask,
                   gifmtu, giftxqlen, gifflags, gifmap]],
         rec({gifhwaddr, D, T}, hw(M:ioctl(S, gifhwaddr, "lo"))),
         ok = M:close(S)
     end || {D, T} <- [{inet, dgram}, {inet, stream}, {inet6, dgram},
                       {local, stream}, {local, dgram}]].

%% OTP leaves the bytes of sa_data past the hardware address as they were
%% in its buffer (seed_hwaddr_zero_filled): compare the address only.
hw({ok, #{family := F, addr := A} = Map}) ->
    {ok, F, binary:part(A, 0, 6), byte_size(A), lists:sort(maps:keys(Map))};
hw(Other) ->
    Other.

?DIFF(gifconf, "Ensure that gifconf lists the interfaces as OTP does.").
gifconf(M, _X) ->
    [begin
         {ok, S} = M:open(D, T),
         rec({gifconf, D}, M:ioctl(S, gifconf)),
         ok = M:close(S)
     end || {D, T} <- [{inet, dgram}, {inet6, stream}, {local, stream}]].

?DIFF(get_errors,
      "Ensure that get requests on unknown interfaces and with bad names or indexes fail as OTP's.").
get_errors(M, _X) ->
    {ok, S} = M:open(inet, dgram),
    [rec({nosuch, R}, M:ioctl(S, R, "nosuch0"))
     || R <- [gifindex, gifaddr, gifdstaddr, gifbrdaddr, gifnetmask, gifmtu,
              gifhwaddr, giftxqlen, gifflags, gifmap]],
    rec(gifname_unknown, M:ioctl(S, gifname, 99999)),
    rec(gifname_negative, M:ioctl(S, gifname, -1)),
    call(gifname_huge, fun() -> M:ioctl(S, gifname, 1 bsl 40) end),
    call(gifname_atom, fun() -> M:ioctl(S, gifname, lo) end),
    call(name_not_latin1, fun() -> M:ioctl(S, gifmtu, [256]) end),
    call(name_atoms, fun() -> M:ioctl(S, gifmtu, [foo]) end),
    call(name_binary, fun() -> M:ioctl(S, gifmtu, <<"lo">>) end),
    rec(name_empty, M:ioctl(S, gifmtu, "")),
    rec(name_too_long, M:ioctl(S, gifmtu, "loooooooooooooooooooooong")),
    rec(name_cut_at_nul, M:ioctl(S, gifmtu, [$l, $o, 0, $x])),
    rec(no_address, M:ioctl(S, gifaddr, "nosuch0")),
    ok = M:close(S).

?DIFF(bad_requests,
      "Ensure that unknown requests, bad sockets and bad arguments fail as OTP's.").
bad_requests(M, _X) ->
    {ok, S} = M:open(inet, dgram),
    [call(R, F)
     || {R, F} <- [{req2, fun() -> M:ioctl(S, foo) end},
                   {req3, fun() -> M:ioctl(S, foo, "lo") end},
                   {req4, fun() -> M:ioctl(S, foo, "lo", 1) end},
                   {gifconf_arg, fun() -> M:ioctl(S, gifconf, "lo") end},
                   {get_as_set, fun() -> M:ioctl(S, gifmtu, "lo", 1) end},
                   {set_as_get, fun() -> M:ioctl(S, sifmtu, "lo") end},
                   {sock2, fun() -> M:ioctl(foo, gifconf) end},
                   {sock3, fun() -> M:ioctl(foo, gifmtu, "lo") end},
                   {sock4, fun() -> M:ioctl(foo, sifmtu, "lo", 1) end},
                   {rcvall_bad, fun() -> M:ioctl(S, rcvall, foo) end},
                   {rcvall_igmp_bad, fun() -> M:ioctl(S, rcvall_igmpmcast, iplevel) end},
                   {sifmtu_name, fun() -> M:ioctl(S, sifmtu, lo, 1) end},
                   {sifmtu_value, fun() -> M:ioctl(S, sifmtu, "lo", foo) end},
                   {sifaddr_value, fun() -> M:ioctl(S, sifaddr, "lo", 1) end},
                   {sifflags_value, fun() -> M:ioctl(S, sifflags, "lo", [up]) end},
                   {sifaddr_keys, fun() -> M:ioctl(S, sifaddr, "lo",
                                                   #{family => inet, foo => 1}) end},
                   {sifaddr_family, fun() -> M:ioctl(S, sifaddr, "lo", #{addr => any}) end}]],
    ok = M:close(S).

?DIFF(closed_socket,
      "Ensure that every request on a closed socket is {error, closed}, even with bad arguments.").
closed_socket(M, _X) ->
    {ok, S} = M:open(inet, dgram),
    ok = M:close(S),
    [call(L, F)
     || {L, F} <- [{gifconf, fun() -> M:ioctl(S, gifconf) end},
                   {gifname, fun() -> M:ioctl(S, gifname, 1) end},
                   {gifname_huge, fun() -> M:ioctl(S, gifname, 1 bsl 40) end},
                   {gifmtu, fun() -> M:ioctl(S, gifmtu, "lo") end},
                   {gifmtu_bad_name, fun() -> M:ioctl(S, gifmtu, [256]) end},
                   {gifflags, fun() -> M:ioctl(S, gifflags, "lo") end},
                   {sifmtu, fun() -> M:ioctl(S, sifmtu, "lo", 1500) end},
                   {sifmtu_huge, fun() -> M:ioctl(S, sifmtu, "lo", 1 bsl 40) end},
                   {sifflags_bad, fun() -> M:ioctl(S, sifflags, "lo", #{foo => true}) end},
                   {sifaddr_bad, fun() -> M:ioctl(S, sifaddr, "lo",
                                                  #{family => inet, addr => foo}) end},
                   {sifaddr_keys, fun() -> M:ioctl(S, sifaddr, "lo",
                                                   #{family => inet, foo => 1}) end}]].

?DIFF(supports_ioctl,
      "Ensure that supports and is_supported say of ioctl requests, flags and netns what OTP's do (the seed's extra requests aside).").
supports_ioctl(M, _X) ->
    rec(flags, M:supports(ioctl_flags)),
    rec(requests, [E || {R, _} = E <- M:supports(ioctl_requests),
                        not lists:member(R, ?SEED_ONLY)]),
    rec(is_flag, [M:is_supported(ioctl_flags, F)
                  || F <- [up, running, echo, staticarp, foo, "up"]]),
    rec(is_request, [M:is_supported(ioctl_requests, R)
                     || R <- [gifconf, gifmap, sifflags, rcvall, foo, "x", 1]]),
    rec(netns, M:is_supported(netns)),
    rec(all, [{K, V} || {K, V} <- M:supports(),
                        lists:member(K, [ioctl_flags, netns])]).

%% ===================================================================
%% Set requests, in the suite's namespace A on its veth end
%% ===================================================================

%% A socket in namespace A and its veth end, put back as ip(8) made it:
%% down, no address, MTU 1500, transmit queue 1000.
ns_socket(M) ->
    #{a := A, if_a := If} = sockport_netns:names(?TAG),
    [ok = sockport_netns:ip(["-n", A | Args])
     || Args <- [["addr", "flush", "dev", If],
                 ["link", "set", If, "down", "mtu", "1500", "txqueuelen", "1000"]]],
    {ok, S} = M:open(inet, dgram, udp, #{netns => sockport_netns:path(A)}),
    {S, If}.

?NS_DIFF(set_flags,
         "Ensure that sifflags sets and clears flags as gifflags then shows, as OTP's.").
set_flags(M, _X) ->
    {S, If} = ns_socket(M),
    rec(index, M:ioctl(S, gifindex, If)),
    rec(flags0, M:ioctl(S, gifflags, If)),
    rec(up, M:ioctl(S, sifflags, If, #{up => true})),
    rec(flags_up, M:ioctl(S, gifflags, If)),
    rec(promisc, M:ioctl(S, sifflags, If, #{promisc => true, noarp => true})),
    rec(flags_promisc, M:ioctl(S, gifflags, If)),
    rec(unset, M:ioctl(S, sifflags, If, #{promisc => false, noarp => false})),
    rec(flags_unset, M:ioctl(S, gifflags, If)),
    rec(no_such_flag_here, M:ioctl(S, sifflags, If, #{staticarp => true})),
    rec(flags_same, M:ioctl(S, gifflags, If)),
    rec(empty, M:ioctl(S, sifflags, If, #{})),
    rec(down, M:ioctl(S, sifflags, If, #{up => false})),
    rec(flags_down, M:ioctl(S, gifflags, If)),
    rec(hwaddr, hw(M:ioctl(S, gifhwaddr, If))),
    rec(map, M:ioctl(S, gifmap, If)),
    ok = M:close(S).

?NS_DIFF(set_mtu_txqlen,
         "Ensure that sifmtu and siftxqlen set what gifmtu and giftxqlen show, and refuse bad values, as OTP's.").
set_mtu_txqlen(M, _X) ->
    {S, If} = ns_socket(M),
    rec(mtu0, M:ioctl(S, gifmtu, If)),
    rec(set_mtu, M:ioctl(S, sifmtu, If, 1400)),
    rec(mtu, M:ioctl(S, gifmtu, If)),
    rec(mtu_too_small, M:ioctl(S, sifmtu, If, 10)),
    rec(mtu_huge, M:ioctl(S, sifmtu, If, 1 bsl 40)),
    rec(mtu_back, M:ioctl(S, sifmtu, If, 1500)),
    rec(txqlen0, M:ioctl(S, giftxqlen, If)),
    rec(set_txqlen, M:ioctl(S, siftxqlen, If, 77)),
    rec(txqlen, M:ioctl(S, giftxqlen, If)),
    rec(txqlen_huge, M:ioctl(S, siftxqlen, If, 1 bsl 40)),
    rec(txqlen_negative, M:ioctl(S, siftxqlen, If, -1)),
    rec(txqlen_back, M:ioctl(S, siftxqlen, If, 1000)),
    ok = M:close(S).

?NS_DIFF(set_addrs,
         "Ensure that sifaddr, sifbrdaddr and sifdstaddr set what the get requests and gifconf show, as OTP's.").
set_addrs(M, _X) ->
    {S, If} = ns_socket(M),
    In = fun(A) -> #{family => inet, addr => A} end,
    rec(addr0, M:ioctl(S, gifaddr, If)),
    rec(conf0, M:ioctl(S, gifconf)),
    rec(set_addr, M:ioctl(S, sifaddr, If, In({10, 201, 0, 1}))),
    [rec({R, 1}, M:ioctl(S, R, If))
     || R <- [gifaddr, gifnetmask, gifbrdaddr, gifdstaddr]],
    rec(conf1, M:ioctl(S, gifconf)),
    rec(set_brd, M:ioctl(S, sifbrdaddr, If, In({10, 201, 0, 3}))),
    rec(set_dst, M:ioctl(S, sifdstaddr, If, In({10, 201, 0, 2}))),
    [rec({R, 2}, M:ioctl(S, R, If))
     || R <- [gifaddr, gifnetmask, gifbrdaddr, gifdstaddr]],
    rec(set_addr_port, M:ioctl(S, sifaddr, If,
                               #{family => inet, addr => {10, 201, 0, 5}, port => 99})),
    rec(addr_port, M:ioctl(S, gifaddr, If)),
    rec(remove, M:ioctl(S, sifaddr, If, In({0, 0, 0, 0}))),
    rec(addr_removed, M:ioctl(S, gifaddr, If)),
    ok = M:close(S).

?NS_DIFF(set_errors,
         "Ensure that set requests on unknown interfaces, with bad names and bad values fail as OTP's.").
set_errors(M, _X) ->
    {S, If} = ns_socket(M),
    rec(flags_nosuch, M:ioctl(S, sifflags, "nosuch0", #{up => true})),
    rec(mtu_nosuch, M:ioctl(S, sifmtu, "nosuch0", 1400)),
    rec(txqlen_nosuch, M:ioctl(S, siftxqlen, "nosuch0", 10)),
    rec(addr_nosuch, M:ioctl(S, sifaddr, "nosuch0", #{family => inet, addr => {10, 9, 9, 9}})),
    call(mtu_bad_name, fun() -> M:ioctl(S, sifmtu, [256], 1400) end),
    call(mtu_bad_name_and_value, fun() -> M:ioctl(S, sifmtu, [256], 1 bsl 40) end),
    call(flags_bad_name, fun() -> M:ioctl(S, sifflags, [foo], #{up => true}) end),
    call(addr_bad_name, fun() -> M:ioctl(S, sifaddr, [256], #{family => inet}) end),
    rec(addr_bad_value, M:ioctl(S, sifaddr, If, #{family => inet, addr => foo})),
    rec(addr_bad_port, M:ioctl(S, sifaddr, If, #{family => inet, port => 1 bsl 40})),
    call(addr_keys, fun() -> M:ioctl(S, sifaddr, If, #{family => inet, foo => 1}) end),
    call(addr_no_family, fun() -> M:ioctl(S, sifaddr, If, #{addr => {1, 2, 3, 4}}) end),
    rec(addr_inet6, M:ioctl(S, sifaddr, If, #{family => inet6, addr => {0, 0, 0, 0, 0, 0, 0, 1}})),
    rec(flags_still, M:ioctl(S, gifflags, If)),
    rec(addr_still, M:ioctl(S, gifaddr, If)),
    ok = M:close(S).

%% ===================================================================
%% The seed's requests that OTP 25 lacks, and where OTP 25 misbehaves
%% ===================================================================

-define(WAIT, 5000).

%% A connected TCP pair on loopback: {Listener, Client, Accepted}.
tcp_pair() ->
    {ok, L} = sockport:open(inet, stream),
    ok = sockport:bind(L, #{family => inet, addr => loopback, port => 0}),
    ok = sockport:listen(L),
    {ok, LA} = sockport:sockname(L),
    {ok, C} = sockport:open(inet, stream),
    ok = sockport:connect(C, LA),
    {ok, A} = sockport:accept(L, ?WAIT),
    {L, C, A}.

%% Waits (up to 5 s) until ioctl(S, Req) answers {ok, V}; the last answer.
wait_for(S, Req, V) ->
    sockport_test_lib:until(fun() -> sockport:ioctl(S, Req) =:= {ok, V} end, ?WAIT),
    sockport:ioctl(S, Req).

-spec seed_nread(list()) -> ok.
seed_nread(_Config) ->
    doc("Ensure that nread is the number of bytes queued for reading (the first datagram's size for UDP)"),
    {_L, C, A} = tcp_pair(),
    {ok, 0} = sockport:ioctl(A, nread),
    ok = sockport:send(C, binary:copy(<<"x">>, 1000)),
    {ok, 1000} = wait_for(A, nread, 1000),
    {ok, <<_:400/binary>>} = sockport:recv(A, 400),
    {ok, 600} = sockport:ioctl(A, nread),
    {ok, 600} = sockport:ioctl(A, nread),
    {ok, R} = sockport:open(inet, dgram),
    ok = sockport:bind(R, #{family => inet, addr => loopback, port => 0}),
    {ok, RA} = sockport:sockname(R),
    {ok, U} = sockport:open(inet, dgram),
    {ok, 0} = sockport:ioctl(R, nread),
    ok = sockport:sendto(U, <<"0123456789">>, RA),
    ok = sockport:sendto(U, binary:copy(<<"y">>, 20), RA),
    {ok, 10} = wait_for(R, nread, 10),
    {ok, {_, <<"0123456789">>}} = sockport:recvfrom(R, 0, ?WAIT),
    {ok, 20} = wait_for(R, nread, 20),
    ok.

-spec seed_nwrite_nspace(list()) -> ok.
seed_nwrite_nspace(_Config) ->
    doc("Ensure that nwrite is what the send queue holds and nspace the send buffer less that"),
    {_L, C, A} = tcp_pair(),
    {ok, SndBuf} = sockport:getopt(C, {socket, sndbuf}),
    {ok, 0} = wait_for(C, nwrite, 0),
    {ok, SndBuf} = sockport:ioctl(C, nspace),
    %% A receiver that reads nothing: what the client sent is either in
    %% the receiver's queue or still in the client's send queue.
    Sent = fill(C, binary:copy(<<"z">>, 1 bsl 20), 0, 50),
    true = Sent > 0,
    Settled = sockport_test_lib:until(
                fun() ->
                        {ok, W} = sockport:ioctl(C, nwrite),
                        {ok, R} = sockport:ioctl(A, nread),
                        W > 0 andalso W + R =:= Sent
                end, ?WAIT),
    {ok, W} = sockport:ioctl(C, nwrite),
    {ok, R} = sockport:ioctl(A, nread),
    {true, Sent, W, R} = {Settled, W + R, W, R},
    %% The kernel may still be growing the send buffer: read it around.
    true = sockport_test_lib:until(
             fun() ->
                     {ok, B1} = sockport:getopt(C, {socket, sndbuf}),
                     {ok, Space} = sockport:ioctl(C, nspace),
                     {ok, Wn} = sockport:ioctl(C, nwrite),
                     {ok, B2} = sockport:getopt(C, {socket, sndbuf}),
                     B1 =:= B2 andalso Wn > 0 andalso Space =:= max(0, B1 - Wn)
             end, ?WAIT),
    ok.

%% Sends with timeout 0 until the send queue takes no more; bytes sent.
fill(_C, _Big, Sent, 0) ->
    Sent;
fill(C, Big, Sent, N) ->
    case sockport:send(C, Big, 0) of
        ok -> fill(C, Big, Sent + byte_size(Big), N - 1);
        {error, {timeout, Rest}} -> Sent + byte_size(Big) - byte_size(Rest);
        {error, timeout} -> Sent
    end.

-spec seed_queue_errors(list()) -> ok.
seed_queue_errors(_Config) ->
    doc("Ensure that nread, nwrite and nspace give the kernel's error where it has none, and closed on a closed socket"),
    {L, _C, _A} = tcp_pair(),
    [{error, einval} = sockport:ioctl(L, R) || R <- [nread, nwrite, nspace]],
    {ok, false} = sockport:ioctl(L, atmark),
    ok = sockport:close(L),
    [{error, closed} = sockport:ioctl(L, R)
     || R <- [nread, nwrite, nspace, atmark, tcp_info]],
    {'EXIT', {badarg, _}} = (catch sockport:ioctl(L, nread, 1)),
    ok.

-spec seed_atmark(list()) -> ok.
seed_atmark(_Config) ->
    doc("Ensure that atmark is true when the next byte to read is the out-of-band mark"),
    {_L, C, A} = tcp_pair(),
    {ok, false} = sockport:ioctl(A, atmark),
    ok = sockport:send(C, <<"ab">>),
    ok = sockport:send(C, <<"c">>, [oob]),
    {ok, 2} = wait_for(A, nread, 2),
    {ok, false} = sockport:ioctl(A, atmark),
    {ok, <<"ab">>} = sockport:recv(A, 2, ?WAIT),
    {ok, true} = sockport:ioctl(A, atmark),
    {ok, <<"c">>} = sockport:recv(A, 1, [oob], ?WAIT),
    ok.

-define(TCP_INFO_KEYS,
        [advmss, ato, backoff, ca_state, fackets, last_ack_recv, last_ack_sent,
         last_data_recv, last_data_sent, lost, options, pmtu, probes, rcv_mss,
         rcv_rtt, rcv_space, rcv_ssthresh, rcv_wscale, reordering, retrans,
         retransmits, rto, rtt, rttvar, sacked, snd_cwnd, snd_mss,
         snd_ssthresh, snd_wscale, state, total_retrans, unacked]).

-spec seed_tcp_info(list()) -> ok.
seed_tcp_info(_Config) ->
    doc("Ensure that tcp_info (ioctl/2, and ioctl/3 with version 0) is a map of the tcp_info fields with the state named"),
    {L, C, A} = tcp_pair(),
    {ok, Info} = sockport:ioctl(C, tcp_info),
    ?TCP_INFO_KEYS = lists:sort(maps:keys(Info)),
    #{state := established, snd_mss := Mss, rto := Rto} = Info,
    true = Mss > 0 andalso Rto > 0,
    true = lists:all(fun({state, _}) -> true;
                        ({_, V}) -> is_integer(V) andalso V >= 0
                     end, maps:to_list(Info)),
    {ok, #{state := established}} = sockport:ioctl(A, tcp_info, 0),
    {ok, #{state := listen}} = sockport:ioctl(L, tcp_info),
    {'EXIT', {badarg, _}} = (catch sockport:ioctl(C, tcp_info, 1)),
    {'EXIT', {badarg, _}} = (catch sockport:ioctl(foo, tcp_info)),
    ok = sockport:close(A),
    true = sockport_test_lib:until(
             fun() ->
                     {ok, #{state := St}} = sockport:ioctl(C, tcp_info),
                     St =:= close_wait
             end, ?WAIT),
    {ok, U} = sockport:open(inet, dgram),
    {error, enotsup} = sockport:ioctl(U, tcp_info),
    ok.

-spec seed_hwaddr_zero_filled(list()) -> ok.
seed_hwaddr_zero_filled(_Config) ->
    doc("Ensure that gifhwaddr's addr is all of sa_data, zero past the hardware address"),
    {ok, S} = sockport:open(inet, dgram),
    {ok, #{family := loopback, addr := <<0:14/unit:8>>}} =
        sockport:ioctl(S, gifhwaddr, "lo"),
    ok.

%% Runs F(Socket, Interface) on a socket in namespace A, or skips.
with_ns(Config, F) ->
    case proplists:get_value(netns, Config) of
        undefined ->
            {skip, proplists:get_value(netns_skip, Config)};
        _ ->
            {S, If} = ns_socket(sockport),
            try F(S, If) after sockport:close(S) end
    end.

-spec seed_sifnetmask(list()) -> ok.
seed_sifnetmask(Config) ->
    doc("Ensure that sifnetmask sets the mask gifnetmask then shows"),
    with_ns(Config,
            fun(S, If) ->
                    In = fun(A) -> #{family => inet, addr => A} end,
                    true = sockport:is_supported(ioctl_requests, sifnetmask),
                    ok = sockport:ioctl(S, sifaddr, If, In({10, 202, 0, 1})),
                    {ok, #{addr := {255, 0, 0, 0}}} = sockport:ioctl(S, gifnetmask, If),
                    ok = sockport:ioctl(S, sifnetmask, If, In({255, 255, 255, 252})),
                    {ok, #{family := inet, addr := {255, 255, 255, 252}, port := 0}} =
                        sockport:ioctl(S, gifnetmask, If),
                    {ok, #{addr := {10, 202, 0, 1}}} = sockport:ioctl(S, gifaddr, If),
                    {error, einval} =
                        sockport:ioctl(S, sifnetmask, If, In({255, 0, 255, 0})),
                    {error, enodev} =
                        sockport:ioctl(S, sifnetmask, "nosuch0", In({255, 0, 0, 0})),
                    {invalid, sockaddr} =
                        sockport:ioctl(S, sifnetmask, If, #{family => inet, addr => x}),
                    ok = sockport:ioctl(S, sifaddr, If, In({0, 0, 0, 0})),
                    ok
            end).

-spec seed_bad_flags(list()) -> ok.
seed_bad_flags(Config) ->
    doc("Ensure that sifflags with flags it does not know is {error, {invalid, {ioctl_flag, F}}} and changes nothing"),
    with_ns(Config,
            fun(S, If) ->
                    {ok, Before} = sockport:ioctl(S, gifflags, If),
                    {error, {invalid, {ioctl_flag, foo}}} =
                        sockport:ioctl(S, sifflags, If, #{up => true, foo => true}),
                    {error, {invalid, {ioctl_flag, {up, 1}}}} =
                        sockport:ioctl(S, sifflags, If, #{up => 1}),
                    {ok, Before} = sockport:ioctl(S, gifflags, If),
                    %% As the NIF: the interface is looked up first.
                    {error, enodev} =
                        sockport:ioctl(S, sifflags, "nosuch0", #{foo => true}),
                    {'EXIT', {badarg, _}} =
                        (catch sockport:ioctl(S, sifflags, [256], #{foo => true})),
                    ok
            end).

-spec seed_set_addr_other_family(list()) -> ok.
seed_set_addr_other_family(Config) ->
    doc("Ensure that set requests with an address of another family are refused (OTP 25's VM crashes)"),
    with_ns(Config,
            fun(S, If) ->
                    {error, einval} = sockport:ioctl(S, sifaddr, If,
                                                     #{family => local, path => <<"/tmp/x">>}),
                    {error, einval} = sockport:ioctl(S, sifaddr, If,
                                                     #{family => unspec, addr => <<1, 2, 3>>}),
                    %% sockaddr_native(): its bytes go to the kernel too
                    {error, einval} = sockport:ioctl(S, sifaddr, If,
                                                     #{family => 99, addr => <<1, 2>>}),
                    {invalid, sockaddr} = sockport:ioctl(S, sifaddr, If,
                                                         #{family => 99, addr => <<0:127/unit:8>>}),
                    {error, eaddrnotavail} = sockport:ioctl(S, gifaddr, If),
                    ok
            end).

-spec seed_supports_requests(list()) -> ok.
seed_supports_requests(_Config) ->
    doc("Ensure that supports(ioctl_requests) lists every request ioctl serves, the seed's included"),
    Requests = [R || {R, true} <- sockport:supports(ioctl_requests)],
    Expected = [atmark, gifaddr, gifbrdaddr, gifconf, gifdstaddr, gifflags,
                gifhwaddr, gifindex, gifmap, gifmtu, gifname, gifnetmask,
                giftxqlen, nread, nspace, nwrite, sifaddr, sifbrdaddr,
                sifdstaddr, sifflags, sifmtu, sifnetmask, siftxqlen, tcp_info],
    Expected = lists:sort(Requests),
    true = lists:all(fun(R) -> sockport:is_supported(ioctl_requests, R) end, Expected),
    false = sockport:is_supported(ioctl_requests, rcvall),
    {ok, S} = sockport:open(inet, stream),
    {ok, SndBuf} = sockport:getopt(S, {socket, sndbuf}),
    {ok, [_ | _]} = sockport:ioctl(S, gifconf),
    {ok, 0} = sockport:ioctl(S, nread),
    {ok, 0} = sockport:ioctl(S, nwrite),
    {ok, SndBuf} = sockport:ioctl(S, nspace),
    {ok, false} = sockport:ioctl(S, atmark),
    {ok, #{state := closed}} = sockport:ioctl(S, tcp_info),
    ok = sockport:close(S).

-spec seed_rcvall(list()) -> ok.
seed_rcvall(_Config) ->
    doc("Ensure that the Windows-only rcvall requests are taken and answered as OTP answers them on Linux"),
    {ok, S} = sockport:open(inet, dgram),
    [{error, {invalid, {ioctl_request, R}}} = sockport:ioctl(S, R, V)
     || {R, V} <- [{rcvall, off}, {rcvall, on}, {rcvall, iplevel},
                   {rcvall_igmpmcast, on}, {rcvall_mcast, off}]],
    [{'EXIT', {badarg, _}} = (catch sockport:ioctl(S, R, V))
     || {R, V} <- [{rcvall, foo}, {rcvall_mcast, iplevel}, {rcvall, "on"}]],
    ok = sockport:close(S),
    {error, {invalid, {ioctl_request, rcvall}}} = sockport:ioctl(S, rcvall, on),
    false = sockport:is_supported(ioctl_requests, rcvall),
    ok.
