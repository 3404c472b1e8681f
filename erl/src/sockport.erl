%% @doc The sockport API: OTP's `socket' module, served by sockportd.
%%
%% Every function takes and returns what the same function of `socket'
%% does: the same arguments, results, error terms and ``{'$socket', ...}''
%% messages, so OTP's `socket' documentation is the reference, and the
%% README's "Differences from `socket'" lists where sockport departs from
%% it. The sockets live in `sockportd', a separate program that the
%% application starts (one per shard) and restarts when it dies; a
%% crash there cannot take the VM down.
%%
%% Where socket.erl calls its NIF, this module writes one command to the
%% daemon's port and waits for one reply: the daemon does the waiting for
%% blocking and timed calls, and answers nowait calls at once. The
%% argument checks are socket.erl's and prim_socket.erl's, clause for
%% clause, so that bad input gives the same badarg, `{invalid, ...}' or
%% error tuple.
%%
%% A socket is ``{'$socket', {sockport, Port, Id}}'': the port of the daemon
%% that holds it and the daemon's id for it. A handle of a dead daemon
%% names a dead port, so it can only ever get `{error, closed}'.
%%
%% Besides `socket''s functions, {@link daemon_info/0} gives the state and
%% statistics of each daemon.
-module(sockport).

-include("sockport_ops.hrl").

%% accept
-export([accept/1]).
-export([accept/2]).
%% bind
-export([bind/2]).
%% cancel
-export([cancel/2]).
%% cancel_monitor
-export([cancel_monitor/1]).
%% close
-export([close/1]).
%% connect
-export([connect/1]).
-export([connect/2]).
-export([connect/3]).
%% daemon_info
-export([daemon_info/0]).
-export([daemon_info/1]).
%% debug
-export([debug/1]).
-export([socket_debug/1]).
%% getopt
-export([getopt/2]).
-export([getopt/3]).
-export([getopt_native/3]).
%% i
-export([i/0]).
-export([i/1]).
-export([i/2]).
%% info
-export([info/0]).
-export([info/1]).
%% ioctl
-export([ioctl/2]).
-export([ioctl/3]).
-export([ioctl/4]).
%% listen
-export([listen/1]).
-export([listen/2]).
%% monitor
-export([monitor/1]).
%% number_of
-export([number_of/0]).
%% open
-export([open/1]).
-export([open/2]).
-export([open/3]).
-export([open/4]).
%% peername
-export([peername/1]).
%% recv
-export([recv/1]).
-export([recv/2]).
-export([recv/3]).
-export([recv/4]).
%% recvfrom
-export([recvfrom/1]).
-export([recvfrom/2]).
-export([recvfrom/3]).
-export([recvfrom/4]).
%% recvmsg
-export([recvmsg/1]).
-export([recvmsg/2]).
-export([recvmsg/3]).
-export([recvmsg/4]).
-export([recvmsg/5]).
%% send
-export([send/2]).
-export([send/3]).
-export([send/4]).
%% sendmsg
-export([sendmsg/2]).
-export([sendmsg/3]).
-export([sendmsg/4]).
%% sendto
-export([sendfile/2]).
-export([sendfile/3]).
-export([sendfile/4]).
-export([sendfile/5]).

-export([sendto/3]).
-export([sendto/4]).
-export([sendto/5]).
%% setopt
-export([setopt/3]).
-export([setopt/4]).
-export([setopt_native/3]).
%% supports
-export([supports/0]).
-export([supports/1]).
-export([supports/2]).
-export([is_supported/1]).
-export([is_supported/2]).
-export([is_supported/3]).
%% shutdown
-export([shutdown/2]).
%% sockname
-export([sockname/1]).
%% use_registry
-export([use_registry/1]).
%% which_sockets
-export([which_sockets/0]).
-export([which_sockets/1]).

-export_type([socket/0]).
-export_type([socket_handle/0]).
-export_type([timeout_or_handle/0]).
-export_type([select_tag/0]).
-export_type([select_handle/0]).
-export_type([select_info/0]).
-export_type([completion_tag/0]).
-export_type([completion_handle/0]).
-export_type([completion_info/0]).
-export_type([invalid/0]).
-export_type([eei/0]).
-export_type([domain/0]).
-export_type([type/0]).
-export_type([protocol/0]).
-export_type([port_number/0]).
-export_type([in_addr/0]).
-export_type([in6_addr/0]).
-export_type([in6_flow_info/0]).
-export_type([in6_scope_id/0]).
-export_type([sockaddr/0]).
-export_type([sockaddr_recv/0]).
-export_type([sockaddr_in/0]).
-export_type([sockaddr_in6/0]).
-export_type([sockaddr_un/0]).
-export_type([sockaddr_ll/0]).
-export_type([sockaddr_dl/0]).
-export_type([sockaddr_unspec/0]).
-export_type([sockaddr_native/0]).
-export_type([packet_type/0]).
-export_type([hatype/0]).
-export_type([msg_flag/0]).
-export_type([level/0]).
-export_type([otp_socket_option/0]).
-export_type([socket_option/0]).
-export_type([linger/0]).
-export_type([timeval/0]).
-export_type([ip_mreq/0]).
-export_type([ip_mreq_source/0]).
-export_type([ip_msfilter/0]).
-export_type([ip_pmtudisc/0]).
-export_type([ip_tos/0]).
-export_type([ip_pktinfo/0]).
-export_type([ipv6_mreq/0]).
-export_type([ipv6_pmtudisc/0]).
-export_type([ipv6_hops/0]).
-export_type([ipv6_pktinfo/0]).
-export_type([sctp_assocparams/0]).
-export_type([sctp_event_subscribe/0]).
-export_type([sctp_initmsg/0]).
-export_type([sctp_rtoinfo/0]).
-export_type([msg/0]).
-export_type([msg_send/0]).
-export_type([msg_recv/0]).
-export_type([native_value/0]).
-export_type([cmsg/0]).
-export_type([cmsg_send/0]).
-export_type([cmsg_recv/0]).
-export_type([ee_origin/0]).
-export_type([icmp_dest_unreach/0]).
-export_type([icmpv6_dest_unreach/0]).
-export_type([extended_err/0]).
-export_type([posix/0]).
-export_type([info_keys/0]).
-export_type([socket_counters/0]).
-export_type([socket_info/0]).
-export_type([daemon_info/0]).

%% ===========================================================================
%% Types (the seed's; where OTP 25's socket module has the same type, it is
%% reused rather than copied)

-type socket_handle() :: {sockport, port(), pos_integer()}.
%% The daemon's port and its id for the socket. Opaque to users (a plain
%% type so that the modules of the application can look inside).
-type socket() :: {'$socket', socket_handle()}.
%% A socket of sockport: what `open', `accept' and the others return, and
%% what every other function takes.

-type select_tag() ::
        accept | connect |
        recv | recvfrom | recvmsg | send | sendto | sendmsg | sendfile |
        {recv | recvfrom | recvmsg | send | sendto | sendmsg | sendfile,
         ContData :: term()}.
%% What a select operation was: the function, with the continuation data a
%% later call of send, sendto, sendmsg or sendfile takes.
-type select_handle() :: reference().
%% The reference of a select operation, in its `select' and `abort'
%% messages.
-type select_info() ::
        {select_info, SelectTag :: select_tag(),
         SelectHandle :: select_handle()}.
%% What a nowait call returns: `{select, SelectInfo}'; a
%% ``{'$socket', Socket, select, SelectHandle}'' message follows when the socket is ready.
-type completion_tag() ::
        accept | connect |
        recv | recvfrom | recvmsg | send | sendto | sendmsg.
%% As `socket''s (completion operations are Windows-only; never returned
%% here).
-type completion_handle() :: reference().
%% As `socket''s (Windows-only).
-type completion_info() ::
        {completion_info, CompletionTag :: completion_tag(),
         CompletionHandle :: completion_handle()}.
%% As `socket''s (Windows-only).
-type invalid() :: {invalid, What :: term()}.
%% An argument or state that the call cannot take, as `socket' reports it.
-type eei() ::
        #{info := econnreset | econnaborted | netname_deleted |
                  too_many_cmds | atom(),
          raw_info := term()}.
%% Extended error information, as `socket''s (Windows-only).

-type domain() :: socket:domain().
%% The address family: `inet', `inet6', `local' or `unspec'.
-type type() :: socket:type().
%% The socket type: `stream', `dgram', `raw', `rdm' or `seqpacket'.
-type protocol() :: socket:protocol().
%% A protocol by name (`tcp', `udp', `sctp', `icmp', ..., as the system's
%% protocol table names them).
-type port_number() :: socket:port_number().
%% A port number of inet and inet6 addresses.
-type in_addr() :: socket:in_addr().
%% An IPv4 address.
-type in6_addr() :: socket:in6_addr().
%% An IPv6 address.
-type in6_flow_info() :: 0..16#FFFFF.
%% The flow information of an IPv6 address.
-type in6_scope_id() :: 0..16#FFFFFFFF.
%% The scope id (interface index) of an IPv6 address.
-type sockaddr() :: socket:sockaddr().
%% A socket address of any family.
-type sockaddr_recv() :: socket:sockaddr_recv().
%% A socket address as received: a sockaddr(), or the bytes of one of an
%% unknown family.
-type sockaddr_in() :: socket:sockaddr_in().
%% An inet (IPv4) socket address.
-type sockaddr_in6() :: socket:sockaddr_in6().
%% An inet6 (IPv6) socket address.
-type sockaddr_un() :: socket:sockaddr_un().
%% A local (unix) socket address: a path, or an abstract name (starting with
%% a 0 byte).
-type sockaddr_ll() :: socket:sockaddr_ll().
%% A link-level (packet) socket address.
-type sockaddr_dl() :: socket:sockaddr_dl().
%% A link-level socket address of the BSDs.
-type sockaddr_unspec() :: socket:sockaddr_unspec().
%% A socket address of the unspec family: raw bytes.
-type sockaddr_native() :: socket:sockaddr_native().
%% A socket address of a family given by number, with raw bytes.
-type packet_type() ::
        host | broadcast | multicast | otherhost | outgoing |
        loopback | user | kernel | fastroute | non_neg_integer().
%% The packet type of a link-level address.
-type hatype() ::
        netrom | eether | ether | ax25 | pronet | chaos | ieee802 |
        arcnet | appletlk | dlci | atm | metricom | ieee1394 | eui64 |
        infiniband | tunnel | tunnel6 | loopback | localtlk | none |
        void | non_neg_integer().
%% The hardware address type of an interface (`ioctl(S, gifhwaddr, Name)').
-type msg_flag() :: socket:msg_flag().
%% A message flag of send, recv and their relatives.
-type level() :: socket:level().
%% A protocol level of socket options: `socket', `ip', `ipv6', `tcp', `udp',
%% `sctp', ...
-type otp_socket_option() :: socket:otp_socket_option().
%% An option of level `otp': settings of the socket itself rather than of
%% the system's socket.
-type socket_option() :: socket:socket_option().
%% A socket option: `{Level, Opt}'.
-type linger() :: socket:linger().
%% The value of `{socket, linger}'.
-type timeval() :: socket:timeval().
%% A time as seconds and microseconds (option values, timestamps).
-type ip_mreq() :: socket:ip_mreq().
%% The value of `{ip, add_membership}' and `{ip, drop_membership}'.
-type ip_mreq_source() :: socket:ip_mreq_source().
%% The value of the `{ip, *_source_membership}' and `{ip, *block_source}'
%% options.
-type ip_msfilter() :: socket:ip_msfilter().
%% The value of `{ip, msfilter}'.
-type ip_pmtudisc() :: socket:ip_pmtudisc().
%% The value of `{ip, mtu_discover}'.
-type ip_tos() :: socket:ip_tos().
%% The value of `{ip, tos}'.
-type ip_pktinfo() :: socket:ip_pktinfo().
%% The value of an `{ip, pktinfo}' control message.
-type ipv6_mreq() :: socket:ipv6_mreq().
%% The value of `{ipv6, add_membership}' and `{ipv6, drop_membership}'.
-type ipv6_pmtudisc() :: socket:ipv6_pmtudisc().
%% The value of `{ipv6, mtu_discover}'.
-type ipv6_hops() :: socket:ipv6_hops().
%% The value of `{ipv6, unicast_hops}' and `{ipv6, multicast_hops}'.
-type ipv6_pktinfo() :: socket:ipv6_pktinfo().
%% The value of an `{ipv6, pktinfo}' control message.
-type sctp_assocparams() :: socket:sctp_assocparams().
%% The value of `{sctp, associnfo}'.
-type sctp_event_subscribe() :: socket:sctp_event_subscribe().
%% The value of `{sctp, events}'.
-type sctp_initmsg() :: socket:sctp_initmsg().
%% The value of `{sctp, initmsg}'.
-type sctp_rtoinfo() :: socket:sctp_rtoinfo().
%% The value of `{sctp, rtoinfo}'.
-type msg() :: socket:msg().
%% A message of sendmsg or recvmsg.
-type msg_send() :: socket:msg_send().
%% The message sendmsg sends: `iov', and optionally `addr' and `ctrl'.
-type msg_recv() :: socket:msg_recv().
%% The message recvmsg returns: `iov', `flags', and `addr' and `ctrl' when
%% there are any.
-type native_value() :: integer() | boolean() | binary().
%% An option value of getopt_native and setopt_native.
-type cmsg() :: socket:cmsg().
%% A control message.
-type cmsg_send() :: socket:cmsg_send().
%% A control message to send: a known `{Level, Type}' with a `value', or raw
%% `data'.
-type cmsg_recv() :: socket:cmsg_recv().
%% A received control message: its `data', and its decoded `value' where it
%% has one.
-type ee_origin() :: socket:ee_origin().
%% The origin of an extended error.
-type icmp_dest_unreach() :: socket:icmp_dest_unreach().
%% The code of an ICMP destination unreachable error.
-type icmpv6_dest_unreach() :: socket:icmpv6_dest_unreach().
%% The code of an ICMPv6 destination unreachable error.
-type extended_err() :: socket:extended_err().
%% An error from the error queue (`recvmsg(S, [errqueue], ...)' with
%% `recverr' set).
-type posix() :: inet:posix().
%% An error of the system, as inet names it (`econnrefused', `eagain', ...).
-type info_keys() :: socket:info_keys().
%% The columns of i/0,1,2.
-type socket_counters() :: socket:socket_counters().
%% The counters of info/1.
-type socket_info() :: socket:socket_info().
%% What info/1 returns of a socket.

-type daemon_info() ::
        #{shard := non_neg_integer(),
          status := starting | up | down,
          path => file:filename(),
          launch => [string()],
          os_pid => non_neg_integer() | undefined,
          launcher_os_pid => non_neg_integer() | undefined,
          up_since => integer() | undefined,
          starts => non_neg_integer(),
          restarts => non_neg_integer(),
          deaths => non_neg_integer(),
          sandbox_kills => non_neg_integer(),
          last_down => term(),
          sockets => non_neg_integer(),
          sockets_peak => non_neg_integer(),
          pids => non_neg_integer(),
          out_queue => non_neg_integer(),
          commands => non_neg_integer(),
          malformed_commands => non_neg_integer(),
          dropped_frames => non_neg_integer(),
          seccomp => boolean(),
          landlock => non_neg_integer(),
          busy_poll_us => non_neg_integer(),
          limits => #{max_sockets | max_waiters | out_high | max_parked_bytes =>
                          non_neg_integer()},
          limit_hits => #{max_sockets | max_waiters | out_high |
                          max_parked_bytes =>
                              non_neg_integer()}}.
%% The state and statistics of one daemon (daemon_info/0,1). From the
%% router: `status', the daemon's `path' and `launch' prefix, `os_pid' (the
%% daemon's pid as it reports it), `launcher_os_pid' (the pid of the
%% program the port started: the daemon's own, or the launcher's with a
%% prefix that forks), `up_since' (system time in ms), how many daemons
%% `starts', `restarts' (starts after the first), `deaths',
%% `sandbox_kills' (deaths by the sandbox) and `last_down' (why the last
%% one died). From a daemon that is up: the `sockets' it holds and the
%% most it held (`sockets_peak'), the processes it watches (`pids'), the
%% bytes queued for the VM (`out_queue'), the `commands' it read,
%% `malformed_commands', `dropped_frames' (over the frame limit), whether
%% its `seccomp' filter is on and the `landlock' ABI it is confined by (0:
%% none), how long it polls for work before it sleeps (`busy_poll_us'),
%% its `limits' and how often each refused a call or stopped reading
%% (`limit_hits').

-type timeout_or_handle() ::
        infinity | non_neg_integer() | nowait | select_handle().
%% How long a call may wait: milliseconds, `infinity', or `nowait' (or a
%% select handle of the caller's choosing) for a `{select, SelectInfo}'
%% answer at once.

%% ===========================================================================
%% Internal term formats

-include("sockport_int.hrl").


%% ===========================================================================
%% accept - accept a connection on a socket

%% @doc Waits for a connection on a listening socket; the new socket lives
%% in the listener's daemon.
-spec accept(ListenSocket) -> {ok, Socket} | {error, Reason} when
      ListenSocket :: socket(),
      Socket :: socket(),
      Reason :: posix() | closed | invalid().
accept(ListenSocket) ->
    accept(ListenSocket, ?ESOCK_ACCEPT_TIMEOUT_DEFAULT).

%% @doc accept/1 with a time limit (ms), infinity, or nowait / a select
%% handle for a select message.
-spec accept(ListenSocket, Timeout) ->
          {ok, Socket} | {select, SelectInfo} | {error, Reason} when
      ListenSocket :: socket(),
      Timeout :: timeout_or_handle(),
      Socket :: socket(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
accept(?socket(Port, Id), Timeout) when ?IS_SOCKET(Port, Id) ->
    case sockport_cmd:deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        Deadline ->
            Mode = sockport_cmd:mode(Deadline),
            case sockport_cmd:request(Port, ?SP_OP_ACCEPT, Id, [Mode]) of
                {ok, NewId} ->
                    %% The new socket lives in the listener's daemon.
                    {ok, ?socket(Port, NewId)};
                select ->
                    {select, sockport_cmd:select_info(accept, Deadline)};
                {error, _} = Error ->
                    Error
            end
    end;
accept(ListenSocket, Timeout) ->
    erlang:error(badarg, [ListenSocket, Timeout]).

%% ===========================================================================
%% bind - bind a name (an address) to a socket

%% @doc Binds a name to a socket; any, broadcast and loopback name the
%% address of that kind in the socket's domain.
-spec bind(Socket, Addr) -> ok | {error, Reason} when
      Socket :: socket(),
      Addr :: sockaddr() | any | broadcast | loopback,
      Reason :: posix() | closed | invalid().
bind(?socket(Port, Id), Addr) when ?IS_SOCKET(Port, Id) ->
    if
        Addr =:= any;
        Addr =:= broadcast;
        Addr =:= loopback ->
            %% As socket.erl: resolve the atom in the socket's domain.
            case sockport_cmd:request(Port, ?SP_OP_GETOPT, Id,
                                      [otp, domain]) of
                {ok, Domain} when Domain =:= inet; Domain =:= inet6 ->
                    bind_addr(Port, Id, #{family => Domain, addr => Addr});
                {ok, _Domain} ->
                    {error, eafnosupport};
                {error, closed} = Error ->
                    Error;
                {error, _} ->
                    %% A daemon without {otp, domain}: let it resolve.
                    simple(sockport_cmd:request(Port, ?SP_OP_BIND, Id, [Addr]))
            end;
        is_atom(Addr) ->
            {error, {invalid, {sockaddr, Addr}}};
        true ->
            bind_addr(Port, Id, Addr)
    end;
bind(Socket, Addr) ->
    erlang:error(badarg, [Socket, Addr]).

bind_addr(Port, Id, Addr) ->
    case sockport_addr:encode(Addr) of
        {ok, Wire, _} ->
            simple(sockport_cmd:request(Port, ?SP_OP_BIND, Id, [Wire]));
        {error, _} = Error ->
            Error
    end.

%% ===========================================================================
%% cancel - cancel an operation resulting in a select

%% @doc Cancels the caller's select operation, flushing its select or abort
%% message if one came.
-spec cancel(Socket, SelectInfo) -> ok | {error, Reason} when
      Socket :: socket(),
      SelectInfo :: select_info(),
      Reason :: closed | invalid().
cancel(?socket(Port, Id) = Socket,
       ?SELECT_INFO(SelectTag, SelectHandle) = SelectInfo)
  when ?IS_SOCKET(Port, Id) ->
    Op = case SelectTag of
             {Op0, _} when is_atom(Op0) -> Op0;
             Op0 when is_atom(Op0) -> Op0
         end,
    case cancel_kind(Op) of
        undefined ->
            erlang:error(badarg, [Socket, SelectInfo]);
        Kind ->
            case cancel(Socket, Kind, SelectHandle) of
                ok -> ok;
                invalid -> {error, {invalid, SelectInfo}};
                Result -> Result
            end
    end;
cancel(Socket, SelectInfo) ->
    erlang:error(badarg, [Socket, SelectInfo]).

%% ===========================================================================
%% cancel_monitor - cancel a socket monitor

%% @doc Turns off a monitor made by monitor/1; true if it was found (no 'DOWN'
%% will come), false if not (its 'DOWN' may be in the mailbox already).
-spec cancel_monitor(MRef) -> boolean() when
      MRef :: reference().
cancel_monitor(MRef) when is_reference(MRef) ->
    case sockport_port:cancel_monitor(MRef, self()) of
        {error, not_owner} ->
            erlang:error(badarg, [MRef]);
        Found ->
            Found
    end;
cancel_monitor(MRef) ->
    erlang:error(badarg, [MRef]).

%% The daemon's queue an operation of each select tag waits in.
cancel_kind(accept) -> accept;
cancel_kind(connect) -> connect;
cancel_kind(recv) -> recv;
cancel_kind(recvfrom) -> recv;
cancel_kind(recvmsg) -> recv;
cancel_kind(send) -> send;
cancel_kind(sendto) -> send;
cancel_kind(sendmsg) -> send;
cancel_kind(sendfile) -> send;
cancel_kind(_) -> undefined.

%% As socket:cancel/3: after the daemon has let go of the operation, no
%% select or abort message for it may stay in the caller's mailbox. Both
%% travel the same ordered path as the reply, so they are here already.
cancel(?socket(Port, Id) = Socket, Kind, SelectHandle) ->
    case sockport_cmd:request(Port, ?SP_OP_CANCEL, Id, [Kind, SelectHandle]) of
        ok ->
            flush_select_msg(Socket, SelectHandle),
            _ = flush_abort_msg(Socket, SelectHandle),
            ok;
        {error, invalid} ->
            _ = flush_abort_msg(Socket, SelectHandle),
            invalid;
        {error, {invalid, _}} ->
            _ = flush_abort_msg(Socket, SelectHandle),
            invalid;
        Result ->
            _ = flush_abort_msg(Socket, SelectHandle),
            Result
    end.

flush_select_msg(Socket, Ref) ->
    receive
        ?socket_msg(Socket, select, Ref) -> ok
    after 0 ->
            ok
    end.

flush_abort_msg(Socket, Ref) ->
    receive
        ?socket_msg(Socket, abort, {Ref, Reason}) -> Reason
    after 0 ->
            ok
    end.

%% ===========================================================================
%% close - close a file descriptor

%% @doc Closes the socket; any process may close it.
-spec close(Socket) -> ok | {error, Reason} when
      Socket :: socket(),
      Reason :: posix() | closed | timeout.
close(?socket(Port, Id)) when ?IS_SOCKET(Port, Id) ->
    simple(sockport_cmd:request(Port, ?SP_OP_CLOSE, Id, []));
close(Socket) ->
    erlang:error(badarg, [Socket]).

%% ===========================================================================
%% connect - initiate a connection on a socket

%% @doc Completes a connect that was started with nowait or a select handle,
%% after its select message.
-spec connect(Socket) -> ok | {error, Reason} when
      Socket :: socket(),
      Reason :: posix() | closed | invalid().
connect(?socket(Port, Id)) when ?IS_SOCKET(Port, Id) ->
    simple(sockport_cmd:request(Port, ?SP_OP_CONNECT_FINISH, Id, []));
connect(Socket) ->
    erlang:error(badarg, [Socket]).

%% @doc Connects the socket, waiting as long as it takes.
-spec connect(Socket, SockAddr) -> ok | {error, Reason} when
      Socket :: socket(),
      SockAddr :: sockaddr(),
      Reason :: posix() | closed | invalid() | already.
connect(Socket, SockAddr) ->
    connect(Socket, SockAddr, infinity).

%% @doc Connects with a time limit, or nowait / a select handle.
-spec connect(Socket, SockAddr, Timeout) ->
          ok | {select, SelectInfo} | {error, Reason} when
      Socket :: socket(),
      SockAddr :: sockaddr(),
      Timeout :: timeout_or_handle(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | already | timeout.
connect(?socket(Port, Id), SockAddr, Timeout) when ?IS_SOCKET(Port, Id) ->
    case sockport_cmd:deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        Deadline ->
            case sockport_addr:encode(SockAddr) of
                {ok, Wire, _} ->
                    case sockport_cmd:request(Port, ?SP_OP_CONNECT, Id,
                                 [Wire, sockport_cmd:mode(Deadline)]) of
                        select ->
                            {select,
                             sockport_cmd:select_info(connect, Deadline)};
                        Result ->
                            simple(Result)
                    end;
                {error, _} = Error ->
                    Error
            end
    end;
connect(Socket, SockAddr, Timeout) ->
    erlang:error(badarg, [Socket, SockAddr, Timeout]).

%% ===========================================================================
%% daemon_info - the daemons (sockport's own)

%% @doc The state and statistics of every daemon, one map per shard (see
%% {@link daemon_info()}).
-spec daemon_info() -> [daemon_info()].
daemon_info() ->
    sockport_daemon:daemon_info().

%% @doc The state and statistics of one shard's daemon (shards count from
%% 0, up to the `shards' setting less one).
-spec daemon_info(Shard :: non_neg_integer()) -> daemon_info().
daemon_info(Shard) ->
    sockport_daemon:daemon_info(Shard).

%% ===========================================================================
%% debug - the daemons' debug log; the debug default of new sockets

%% @doc Turns on or off the daemons' log of every command (logged by the router
%% at level debug), as OTP's debug/1 turns on the NIF's debug printouts.
-spec debug(D :: boolean()) -> ok.
debug(D) ->
    sockport_info:debug(D).

%% @doc Sets the {otp, debug} that sockets opened from now on start with.
-spec socket_debug(D :: boolean()) -> ok.
socket_debug(D) ->
    sockport_info:socket_debug(D).

%% ===========================================================================
%% getopt - get value for a socket option

%% @doc Reads a socket option.
-spec getopt(Socket, SocketOption) ->
          {ok, Value :: term()} | {error, Reason} when
      Socket :: socket(),
      SocketOption :: {Level :: otp, Opt :: otp_socket_option()} |
                      socket_option(),
      Reason :: posix() | invalid() | closed.
getopt(?socket(Port, Id), SocketOption) when ?IS_SOCKET(Port, Id) ->
    sockport_opt:getopt(Port, Id, SocketOption).

%% @doc Backwards compatibility: getopt(S, Level, Opt) and the native
%% getopt(S, Level, {NativeOpt, ValueSpec}).
-spec getopt(Socket, Level, Opt) ->
          {ok, Value :: term()} | {error, Reason} when
      Socket :: socket(),
      Level :: atom() | integer(),
      Opt :: atom() | {integer(), term()},
      Reason :: posix() | invalid() | closed.
getopt(Socket, Level, {NativeOpt, ValueSpec}) when is_integer(NativeOpt) ->
    getopt_native(Socket, {Level, NativeOpt}, ValueSpec);
getopt(Socket, Level, Opt) ->
    getopt(Socket, {Level, Opt}).

%% @doc Reads an option given by its C level and name (or a table option),
%% as an integer, a boolean or the bytes of a buffer of the given size.
-spec getopt_native(Socket, SocketOption, ValueSpec) ->
          {ok, Value :: term()} | {error, Reason} when
      Socket :: socket(),
      SocketOption :: socket_option() |
                      {Level :: level() | integer(), NativeOpt :: integer()},
      ValueSpec :: integer | boolean | non_neg_integer() | binary(),
      Reason :: posix() | invalid() | closed.
getopt_native(?socket(Port, Id), SocketOption, ValueSpec)
  when ?IS_SOCKET(Port, Id) ->
    sockport_opt:getopt_native(Port, Id, SocketOption, ValueSpec).

%% ===========================================================================
%% i - list sockets

%% @doc Prints a table of every registered socket with the default columns.
-spec i() -> ok.
i() ->
    sockport_info:i().

%% @doc The table with these columns, or of the sockets of one domain, protocol
%% or type.
-spec i(InfoKeys) -> ok when
      InfoKeys :: info_keys();
       (Domain) -> ok when
      Domain :: inet | inet6 | local;
       (Proto) -> ok when
      Proto :: sctp | tcp | udp;
       (Type) -> ok when
      Type :: dgram | seqpacket | stream.
i(Arg) ->
    sockport_info:i(Arg).

%% @doc The table of the sockets of one domain, protocol or type, with these
%% columns.
-spec i(Domain | Proto | Type, InfoKeys) -> ok when
      Domain :: inet | inet6 | local,
      Proto :: sctp | tcp | udp,
      Type :: dgram | seqpacket | stream,
      InfoKeys :: info_keys().
i(Selection, InfoKeys) ->
    sockport_info:i(Selection, InfoKeys).

%% ===========================================================================
%% info - counters and states of a socket, or of all of them

%% @doc The counters of every daemon summed, iov_max, and the global switches.
-spec info() -> map().
info() ->
    sockport_info:info().

%% @doc The counters, queues and states of a socket; for a closed one, those
%% it had when it closed.
-spec info(Socket) -> socket_info() when
      Socket :: socket().
info(Socket) ->
    sockport_info:info(Socket).

%% ===========================================================================
%% ioctl - control device

%% @doc Gets a socket or interface parameter: gifconf, nread, nwrite, nspace,
%% atmark or tcp_info.
-spec ioctl(Socket, GetRequest) -> {ok, Result} | {error, Reason} when
      Socket :: socket(),
      GetRequest :: gifconf | nread | nwrite | nspace | atmark | tcp_info,
      Result :: [#{name := string(), addr := sockaddr()}] |
                non_neg_integer() | boolean() | map(),
      Reason :: posix() | closed.
ioctl(Socket, GetRequest) ->
    sockport_ioctl:ioctl(Socket, GetRequest).

%% @doc Gets a parameter of the interface with the given index (gifname) or
%% name (the other get requests), or tcp_info of version 0.
-spec ioctl(Socket, GetRequest, NameOrIndex) ->
          {ok, Result} | {error, Reason} when
      Socket :: socket(),
      GetRequest :: gifname | gifindex | gifaddr | gifdstaddr | gifbrdaddr |
                    gifnetmask | gifhwaddr | gifmtu | giftxqlen | gifflags |
                    gifmap | tcp_info,
      NameOrIndex :: string() | integer(),
      Result :: term(),
      Reason :: posix() | closed | invalid();
          (Socket, SetRequest, Value) -> ok | {error, Reason} when
      Socket :: socket(),
      SetRequest :: rcvall | rcvall_igmpmcast | rcvall_mcast,
      Value :: off | on | iplevel,
      Reason :: posix() | closed | invalid().
ioctl(Socket, Request, Arg) ->
    sockport_ioctl:ioctl(Socket, Request, Arg).

%% @doc Sets a parameter of the interface with the given name (a privileged
%% operation): flags, addresses, MTU, transmit queue length.
-spec ioctl(Socket, SetRequest, Name, Value) -> ok | {error, Reason} when
      Socket :: socket(),
      SetRequest :: sifflags | sifaddr | sifdstaddr | sifbrdaddr |
                    sifnetmask | sifmtu | siftxqlen,
      Name :: string(),
      Value :: term(),
      Reason :: posix() | closed | invalid().
ioctl(Socket, SetRequest, Name, Value) ->
    sockport_ioctl:ioctl(Socket, SetRequest, Name, Value).

%% ===========================================================================
%% listen - listen for connections on a socket

%% @doc Makes the socket a listening socket with OTP's default backlog (5).
-spec listen(Socket) -> ok | {error, Reason} when
      Socket :: socket(),
      Reason :: posix() | closed.
listen(Socket) ->
    listen(Socket, ?ESOCK_LISTEN_BACKLOG_DEFAULT).

%% @doc Makes the socket a listening socket.
-spec listen(Socket, Backlog) ->
          ok | {error, Reason} | {invalid, {integer_range, integer()}} when
      Socket :: socket(),
      Backlog :: integer(),
      Reason :: posix() | closed.
listen(?socket(Port, Id), Backlog)
  when ?IS_SOCKET(Port, Id), is_integer(Backlog),
       -16#80000000 =< Backlog, Backlog =< 16#7fffffff ->
    simple(sockport_cmd:request(Port, ?SP_OP_LISTEN, Id, [Backlog]));
listen(?socket(Port, Id), Backlog)
  when ?IS_SOCKET(Port, Id), is_integer(Backlog) ->
    %% what OTP 25's NIF returns (not an error tuple) for a Backlog it
    %% cannot take as a C int, before it looks at the socket
    {invalid, {integer_range, Backlog}};
listen(Socket, Backlog) ->
    erlang:error(badarg, [Socket, Backlog]).

%% ===========================================================================
%% monitor - monitor a socket

%% @doc Starts monitoring Socket: when it closes (or its daemon dies) the caller
%% gets {'DOWN', MRef, socket, Socket, closed}; at once if it is closed.
-spec monitor(Socket) -> reference() when
      Socket :: socket().
monitor(?socket(Port, Id)) when ?IS_SOCKET(Port, Id) ->
    sockport_port:monitor(Port, Id, self());
monitor(Socket) ->
    erlang:error(badarg, [Socket]).

%% ===========================================================================
%% number_of - how many sockets

%% @doc How many registered sockets (use_registry true) the daemons hold.
-spec number_of() -> non_neg_integer().
number_of() ->
    sockport_info:number_of().

%% ===========================================================================
%% open - create an endpoint for communication

%% @doc Makes a socket of a descriptor of the daemon (see open/2).
-spec open(FD) -> {ok, Socket} | {error, Reason} when
      FD :: integer(),
      Socket :: socket(),
      Reason :: posix() | domain | type | protocol.
open(FD) when is_integer(FD) ->
    open(FD, #{});
open(FD) ->
    erlang:error(badarg, [FD]).

%% @doc Makes a socket of a descriptor of the daemon (one `{otp, fd}' gave, or
%% one received in a message), a duplicate of it unless dup is false; or
%% opens a socket of the domain and type (default protocol).
-spec open(FD, Opts) -> {ok, Socket} | {error, Reason} when
      FD :: integer(),
      Opts :: #{domain => domain() | integer(),
                type => type() | integer(),
                protocol => default | protocol() | integer(),
                dup => boolean(),
                debug => boolean(),
                use_registry => boolean()},
      Socket :: socket(),
      Reason :: posix() | domain | type | protocol;
          (Domain, Type) -> {ok, Socket} | {error, Reason} when
      Domain :: domain() | integer(),
      Type :: type() | integer(),
      Socket :: socket(),
      Reason :: posix() | protocol.
open(FD, Opts) when is_map(Opts) ->
    if
        is_integer(FD) ->
            sockport_open:open_fd(FD, Opts);
        true ->
            erlang:error(badarg, [FD, Opts])
    end;
open(Domain, Type) ->
    open(Domain, Type, 0).

%% @doc Opens a socket of the domain, type and protocol (or options).
-spec open(Domain, Type, Opts) -> {ok, Socket} | {error, Reason} when
      Domain :: domain() | integer(),
      Type :: type() | integer(),
      Opts :: map(),
      Socket :: socket(),
      Reason :: posix() | protocol;
          (Domain, Type, Protocol) -> {ok, Socket} | {error, Reason} when
      Domain :: domain() | integer(),
      Type :: type() | integer(),
      Protocol :: default | protocol() | integer(),
      Socket :: socket(),
      Reason :: posix() | protocol.
open(Domain, Type, Opts) when is_map(Opts) ->
    open(Domain, Type, 0, Opts);
open(Domain, Type, Protocol) ->
    open(Domain, Type, Protocol, #{}).

%% @doc Opens a socket, in the network namespace of the file netns names if
%% given; of the other options, debug is passed on and use_registry is
%% accepted (sockport sockets are never in OTP's registry).
-spec open(Domain, Type, Protocol, Opts) ->
          {ok, Socket} | {error, Reason} when
      Domain :: domain() | integer(),
      Type :: type() | integer(),
      Protocol :: default | protocol() | integer(),
      Opts :: #{netns => string(), debug => boolean(),
                use_registry => boolean()},
      Socket :: socket(),
      Reason :: posix() | protocol.
open(Domain, Type, Protocol, Opts) when is_map(Opts) ->
    try {enc_protocol(Protocol), sockport_open:enc_netns(Opts)} of
        {EProtocol, NetNs} ->
            %% in the NIF's order: domain, then type
            case {named(Domain, sockport_tables:domains()),
                  named(Type, open_types())} of
                {false, _} ->
                    {error, {invalid, {domain, Domain}}};
                {_, false} ->
                    {error, {invalid, {type, Type}}};
                _ ->
                    open_in(sockport_port:any_port(), Domain, Type,
                            EProtocol, NetNs ++ enc_open_opts(Opts))
            end
    catch
        throw:Reason ->
            {error, Reason}
    end;
open(Domain, Type, Protocol, Opts) ->
    erlang:error(badarg, [Domain, Type, Protocol, Opts]).

open_in(undefined, _Domain, _Type, _Protocol, _Opts) ->
    {error, closed};
open_in(Port, Domain, Type, Protocol, Opts) ->
    Args = [Domain, Type, Protocol, Opts],
    case sockport_cmd:request(Port, ?SP_OP_OPEN, 0, Args) of
        {ok, Id} -> {ok, ?socket(Port, Id)};
        {error, _} = Error -> Error
    end.

%% The type names the NIF's open takes: rdm is a type() that info/1 and
%% getopt show, but OTP opens it only by its number (the atom is
%% {invalid, {type, rdm}}).
open_types() ->
    [T || {Name, _} = T <- sockport_tables:types(), Name =/= rdm].

%% A domain or type: a name in its table, or a C int.
named(X, Table) when is_atom(X) ->
    lists:keymember(X, 1, Table);
named(X, _Table) ->
    is_integer(X) andalso -16#80000000 =< X andalso X =< 16#7fffffff.

%% prim_socket:enc_protocol/1 with the generated protocol table; checked
%% before the domain and type, as OTP's open does. A protocol number the
%% NIF cannot take as a C int fails as it does in OTP 25.
enc_protocol({raw, ProtoNum}) when is_integer(ProtoNum) ->
    enc_protocol(ProtoNum);
enc_protocol(default) ->
    0;
enc_protocol(Proto) when is_atom(Proto) ->
    case lists:keyfind(Proto, 1, sockport_tables:protocols()) of
        {_, Num} -> Num;
        false -> throw({invalid, {protocol, Proto}})
    end;
enc_protocol(Proto)
  when is_integer(Proto), -16#80000000 =< Proto, Proto =< 16#7fffffff ->
    Proto;
enc_protocol(Proto) when is_integer(Proto) ->
    erlang:error({case_clause, {integer_range, Proto}});
enc_protocol(Proto) ->
    erlang:error({invalid, {protocol, Proto}}).

%% The options the daemon acts on (debug, use_registry, with the global
%% defaults); OTP ignores unknown keys, so do we.
enc_open_opts(Opts) ->
    sockport_info:open_opts(Opts).

%% ===========================================================================
%% peername - return the address of the peer connected to the socket

%% @doc The address of the connected peer.
-spec peername(Socket) -> {ok, SockAddr} | {error, Reason} when
      Socket :: socket(),
      SockAddr :: sockaddr_recv(),
      Reason :: posix() | closed.
peername(?socket(Port, Id)) when ?IS_SOCKET(Port, Id) ->
    addr_result(sockport_cmd:request(Port, ?SP_OP_PEERNAME, Id, []));
peername(Socket) ->
    erlang:error(badarg, [Socket]).

%% ===========================================================================
%% recv - receive a message from a socket

%% @doc Receives what is there, waiting for at least one byte.
-spec recv(Socket) -> {ok, Data} | {error, Reason} | {error, {Reason, Data}}
              when
      Socket :: socket(),
      Data :: binary(),
      Reason :: posix() | closed | invalid().
recv(Socket) ->
    recv(Socket, 0, ?ESOCK_RECV_FLAGS_DEFAULT, ?ESOCK_RECV_TIMEOUT_DEFAULT).

%% @doc Receives Length bytes (0: what is there), or with Flags.
-spec recv(Socket, Flags | Length) ->
          {ok, Data} | {error, Reason} | {error, {Reason, Data}} when
      Socket :: socket(),
      Flags :: [msg_flag() | integer()],
      Length :: non_neg_integer(),
      Data :: binary(),
      Reason :: posix() | closed | invalid().
recv(Socket, Flags) when is_list(Flags) ->
    recv(Socket, 0, Flags, ?ESOCK_RECV_TIMEOUT_DEFAULT);
recv(Socket, Length) ->
    recv(Socket, Length,
         ?ESOCK_RECV_FLAGS_DEFAULT, ?ESOCK_RECV_TIMEOUT_DEFAULT).

%% @doc recv/2 with Flags or a time limit / nowait / select handle.
-spec recv(Socket, Flags | Length, Timeout | Flags) ->
          {ok, Data} |
          {select, SelectInfo} | {select, {SelectInfo, Data}} |
          {error, Reason} | {error, {Reason, Data}} when
      Socket :: socket(),
      Flags :: [msg_flag() | integer()],
      Length :: non_neg_integer(),
      Timeout :: timeout_or_handle(),
      Data :: binary(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
recv(Socket, Flags, Timeout) when is_list(Flags) ->
    recv(Socket, 0, Flags, Timeout);
recv(Socket, Length, Flags) when is_list(Flags) ->
    recv(Socket, Length, Flags, ?ESOCK_RECV_TIMEOUT_DEFAULT);
recv(Socket, Length, Timeout) ->
    recv(Socket, Length, ?ESOCK_RECV_FLAGS_DEFAULT, Timeout).

%% @doc Receives Length bytes (0: what is there) with flags and a waiting
%% mode; data that came before an error or timeout is returned with it.
-spec recv(Socket, Length, Flags, Timeout) ->
          {ok, Data} |
          {select, SelectInfo} | {select, {SelectInfo, Data}} |
          {error, Reason} | {error, {Reason, Data}} when
      Socket :: socket(),
      Length :: non_neg_integer(),
      Flags :: [msg_flag() | integer()],
      Timeout :: timeout_or_handle(),
      Data :: binary(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
recv(Socket, Length, Flags, Timeout) ->
    sockport_recv:recv(Socket, Length, Flags, Timeout).

%% ===========================================================================
%% recvfrom - receive a message from a socket

%% @doc Receives a datagram and its source.
-spec recvfrom(Socket) -> {ok, {Source, Data}} | {error, Reason} when
      Socket :: socket(),
      Source :: sockaddr_recv(),
      Data :: binary(),
      Reason :: posix() | closed | invalid().
recvfrom(Socket) ->
    recvfrom(Socket, 0).

%% @doc recvfrom/1 with a buffer size or flags.
-spec recvfrom(Socket, Flags | BufSz) ->
          {ok, {Source, Data}} | {error, Reason} when
      Socket :: socket(),
      Flags :: [msg_flag() | integer()],
      BufSz :: non_neg_integer(),
      Source :: sockaddr_recv(),
      Data :: binary(),
      Reason :: posix() | closed | invalid().
recvfrom(Socket, Flags) when is_list(Flags) ->
    recvfrom(Socket, 0, Flags, ?ESOCK_RECV_TIMEOUT_DEFAULT);
recvfrom(Socket, BufSz) ->
    recvfrom(Socket, BufSz,
             ?ESOCK_RECV_FLAGS_DEFAULT, ?ESOCK_RECV_TIMEOUT_DEFAULT).

%% @doc recvfrom/2 with flags or a waiting mode.
-spec recvfrom(Socket, Flags | BufSz, Timeout | Flags) ->
          {ok, {Source, Data}} | {select, SelectInfo} | {error, Reason} when
      Socket :: socket(),
      Flags :: [msg_flag() | integer()],
      BufSz :: non_neg_integer(),
      Timeout :: timeout_or_handle(),
      Source :: sockaddr_recv(),
      Data :: binary(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
recvfrom(Socket, Flags, Timeout) when is_list(Flags) ->
    recvfrom(Socket, 0, Flags, Timeout);
recvfrom(Socket, BufSz, Flags) when is_list(Flags) ->
    recvfrom(Socket, BufSz, Flags, ?ESOCK_RECV_TIMEOUT_DEFAULT);
recvfrom(Socket, BufSz, Timeout) ->
    recvfrom(Socket, BufSz, ?ESOCK_RECV_FLAGS_DEFAULT, Timeout).

%% @doc Receives a datagram of at most BufSz bytes (0: the default) and its
%% source.
-spec recvfrom(Socket, BufSz, Flags, Timeout) ->
          {ok, {Source, Data}} | {select, SelectInfo} | {error, Reason} when
      Socket :: socket(),
      BufSz :: non_neg_integer(),
      Flags :: [msg_flag() | integer()],
      Timeout :: timeout_or_handle(),
      Source :: sockaddr_recv(),
      Data :: binary(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
recvfrom(Socket, BufSz, Flags, Timeout) ->
    sockport_recv:recvfrom(Socket, BufSz, Flags, Timeout).

%% ===========================================================================
%% recvmsg - receive a message from a socket, with its control messages

%% @doc Receives a message (a datagram, or what is there on a stream), its
%% source, flags and control messages.
-spec recvmsg(Socket) -> {ok, Msg} | {error, Reason} when
      Socket :: socket(),
      Msg :: msg_recv(),
      Reason :: posix() | closed | invalid().
recvmsg(Socket) ->
    recvmsg(Socket, 0, 0, ?ESOCK_RECV_FLAGS_DEFAULT,
            ?ESOCK_RECV_TIMEOUT_DEFAULT).

%% @doc recvmsg/1 with flags or a waiting mode.
-spec recvmsg(Socket, Flags | Timeout) ->
          {ok, Msg} | {select, SelectInfo} | {error, Reason} when
      Socket :: socket(),
      Flags :: [msg_flag() | integer()],
      Timeout :: timeout_or_handle(),
      Msg :: msg_recv(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
recvmsg(Socket, Flags) when is_list(Flags) ->
    recvmsg(Socket, 0, 0, Flags, ?ESOCK_RECV_TIMEOUT_DEFAULT);
recvmsg(Socket, Timeout) ->
    recvmsg(Socket, 0, 0, ?ESOCK_RECV_FLAGS_DEFAULT, Timeout).

%% @doc recvmsg/2 with flags and a waiting mode, or with buffer sizes.
-spec recvmsg(Socket, Flags, Timeout) ->
          {ok, Msg} | {select, SelectInfo} | {error, Reason} when
      Socket :: socket(),
      Flags :: [msg_flag() | integer()],
      Timeout :: timeout_or_handle(),
      Msg :: msg_recv(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout;
             (Socket, BufSz, CtrlSz) -> {ok, Msg} | {error, Reason} when
      Socket :: socket(),
      BufSz :: non_neg_integer(),
      CtrlSz :: non_neg_integer(),
      Msg :: msg_recv(),
      Reason :: posix() | closed | invalid().
recvmsg(Socket, Flags, Timeout) when is_list(Flags) ->
    recvmsg(Socket, 0, 0, Flags, Timeout);
recvmsg(Socket, BufSz, CtrlSz) when is_integer(BufSz), is_integer(CtrlSz) ->
    recvmsg(Socket, BufSz, CtrlSz, ?ESOCK_RECV_FLAGS_DEFAULT,
            ?ESOCK_RECV_TIMEOUT_DEFAULT).

%% @doc recvmsg/3 with buffer sizes and a waiting mode.
-spec recvmsg(Socket, BufSz, CtrlSz, Timeout) ->
          {ok, Msg} | {select, SelectInfo} | {error, Reason} when
      Socket :: socket(),
      BufSz :: non_neg_integer(),
      CtrlSz :: non_neg_integer(),
      Timeout :: timeout_or_handle(),
      Msg :: msg_recv(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
recvmsg(Socket, BufSz, CtrlSz, Timeout) ->
    recvmsg(Socket, BufSz, CtrlSz, ?ESOCK_RECV_FLAGS_DEFAULT, Timeout).

%% @doc Receives a message into buffers of BufSz and CtrlSz bytes (0: the
%% socket's {otp, rcvbuf} and {otp, rcvctrlbuf}); a message that does not
%% fit is truncated and says so in its flags (trunc, ctrunc).
-spec recvmsg(Socket, BufSz, CtrlSz, Flags, Timeout) ->
          {ok, Msg} | {select, SelectInfo} | {error, Reason} when
      Socket :: socket(),
      BufSz :: non_neg_integer(),
      CtrlSz :: non_neg_integer(),
      Flags :: [msg_flag() | integer()],
      Timeout :: timeout_or_handle(),
      Msg :: msg_recv(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
recvmsg(Socket, BufSz, CtrlSz, Flags, Timeout) ->
    sockport_msg:recvmsg(Socket, BufSz, CtrlSz, Flags, Timeout).

%% ===========================================================================
%% send - send a message on a socket

%% @doc Sends all of Data on a connected socket.
-spec send(Socket, Data) ->
          ok | {ok, RestData} | {error, Reason} | {error, {Reason, RestData}}
              when
      Socket :: socket(),
      Data :: iodata(),
      RestData :: binary(),
      Reason :: posix() | closed | invalid().
send(Socket, Data) ->
    send(Socket, Data, ?ESOCK_SEND_FLAGS_DEFAULT, ?ESOCK_SEND_TIMEOUT_DEFAULT).

%% @doc send/2 with flags, a waiting mode, or a continuation.
-spec send(Socket, Data, Flags | Cont | Timeout) ->
          ok | {ok, RestData} |
          {select, SelectInfo} | {select, {SelectInfo, RestData}} |
          {error, Reason} | {error, {Reason, RestData}} when
      Socket :: socket(),
      Data :: iodata(),
      Flags :: [msg_flag() | integer()],
      Cont :: select_info(),
      Timeout :: timeout_or_handle(),
      RestData :: binary(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
send(Socket, Data, Flags_Cont)
  when is_list(Flags_Cont);
       is_tuple(Flags_Cont) ->
    send(Socket, Data, Flags_Cont, ?ESOCK_SEND_TIMEOUT_DEFAULT);
send(Socket, Data, Timeout) ->
    send(Socket, Data, ?ESOCK_SEND_FLAGS_DEFAULT, Timeout).

%% @doc Sends Data with flags (or continues a send after its select message)
%% and a waiting mode; what was not sent comes back as RestData.
-spec send(Socket, Data, Flags | Cont, Timeout) ->
          ok | {ok, RestData} |
          {select, SelectInfo} | {select, {SelectInfo, RestData}} |
          {error, Reason} | {error, {Reason, RestData}} when
      Socket :: socket(),
      Data :: iodata(),
      Flags :: [msg_flag() | integer()],
      Cont :: select_info(),
      Timeout :: timeout_or_handle(),
      RestData :: binary(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
send(Socket, Data, Flags_Cont, Timeout) ->
    sockport_send:send(Socket, Data, Flags_Cont, Timeout).

%% ===========================================================================
%% sendfile - send a file on a socket

%% @doc Sends the whole file (a raw file:fd() of the caller), waiting as long
%% as it takes.
-spec sendfile(Socket, FileHandle) ->
          {ok, BytesSent} | {error, Reason} | {error, {Reason, BytesSent}}
              when
      Socket :: socket(),
      FileHandle :: file:fd(),
      BytesSent :: non_neg_integer(),
      Reason :: posix() | closed | invalid().
sendfile(Socket, FileHandle) ->
    sendfile(Socket, FileHandle, 0, 0, infinity).

%% @doc Sends the whole file with a time limit, or nowait / a select handle.
-spec sendfile(Socket, FileHandle, Timeout) ->
          {ok, BytesSent} |
          {select, SelectInfo} | {select, {SelectInfo, BytesSent}} |
          {error, Reason} | {error, {Reason, BytesSent}} when
      Socket :: socket(),
      FileHandle :: file:fd(),
      Timeout :: timeout_or_handle(),
      BytesSent :: non_neg_integer(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
sendfile(Socket, FileHandle, Timeout) ->
    sendfile(Socket, FileHandle, 0, 0, Timeout).

%% @doc Sends Count bytes (0: up to the end) from Offset, or continues a
%% sendfile after its select message, waiting as long as it takes.
-spec sendfile(Socket, FileHandle | Cont, Offset, Count) ->
          {ok, BytesSent} | {error, Reason} | {error, {Reason, BytesSent}}
              when
      Socket :: socket(),
      FileHandle :: file:fd(),
      Cont :: select_info(),
      Offset :: integer(),
      Count :: non_neg_integer(),
      BytesSent :: non_neg_integer(),
      Reason :: posix() | closed | invalid().
sendfile(Socket, FileHandle_Cont, Offset, Count) ->
    sendfile(Socket, FileHandle_Cont, Offset, Count, infinity).

%% @doc Sends Count bytes (0: up to the end) of the file from Offset, or
%% continues a sendfile after its select message, with a waiting mode.
%% The daemon reads the file itself with sendfile(2): the file must be
%% one it can open as /proc/&lt;VM pid&gt;/fd/&lt;n&gt; (see the README).
-spec sendfile(Socket, FileHandle | Cont, Offset, Count, Timeout) ->
          {ok, BytesSent} |
          {select, SelectInfo} | {select, {SelectInfo, BytesSent}} |
          {error, Reason} | {error, {Reason, BytesSent}} when
      Socket :: socket(),
      FileHandle :: file:fd(),
      Cont :: select_info(),
      Offset :: integer(),
      Count :: non_neg_integer(),
      Timeout :: timeout_or_handle(),
      BytesSent :: non_neg_integer(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
sendfile(Socket, FileHandle_Cont, Offset, Count, Timeout) ->
    sockport_sendfile:sendfile(Socket, FileHandle_Cont, Offset, Count,
                               Timeout).

%% ===========================================================================
%% sendmsg - send a message, with control messages, on a socket

%% @doc Sends the iov of Msg (to its addr, if any) with its control messages.
-spec sendmsg(Socket, Msg) ->
          ok | {ok, RestData} | {error, Reason} | {error, {Reason, RestData}}
              when
      Socket :: socket(),
      Msg :: msg_send(),
      RestData :: erlang:iovec(),
      Reason :: posix() | closed | invalid().
sendmsg(Socket, Msg) ->
    sendmsg(Socket, Msg, ?ESOCK_SENDMSG_FLAGS_DEFAULT,
            ?ESOCK_SENDMSG_TIMEOUT_DEFAULT).

%% @doc sendmsg/2 with flags, a waiting mode, or a continuation.
-spec sendmsg(Socket, Msg | RestData, Flags | Cont | Timeout) ->
          ok | {ok, RestData} |
          {select, SelectInfo} | {select, {SelectInfo, RestData}} |
          {error, Reason} | {error, {Reason, RestData}} when
      Socket :: socket(),
      Msg :: msg_send(),
      Flags :: [msg_flag() | integer()],
      Cont :: select_info(),
      Timeout :: timeout_or_handle(),
      RestData :: erlang:iovec(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
sendmsg(Socket, Data, Flags_Cont)
  when is_list(Flags_Cont);
       is_tuple(Flags_Cont) ->
    sendmsg(Socket, Data, Flags_Cont, ?ESOCK_SENDMSG_TIMEOUT_DEFAULT);
sendmsg(Socket, Msg, Timeout) ->
    sendmsg(Socket, Msg, ?ESOCK_SENDMSG_FLAGS_DEFAULT, Timeout).

%% @doc Sends Msg with flags (or continues a sendmsg after its select message
%% with the rest of its iov, a list or a msg_send()) and a waiting mode;
%% what was not sent comes back as the rest of the iov.
-spec sendmsg(Socket, Msg | RestData, Flags | Cont, Timeout) ->
          ok | {ok, RestData} |
          {select, SelectInfo} | {select, {SelectInfo, RestData}} |
          {error, Reason} | {error, {Reason, RestData}} when
      Socket :: socket(),
      Msg :: msg_send(),
      Flags :: [msg_flag() | integer()],
      Cont :: select_info(),
      Timeout :: timeout_or_handle(),
      RestData :: erlang:iovec() | msg_send(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
sendmsg(Socket, Msg_Rest, Flags_Cont, Timeout) ->
    sockport_msg:sendmsg(Socket, Msg_Rest, Flags_Cont, Timeout).

%% ===========================================================================
%% sendto - send a message on a socket

%% @doc Sends Data to Dest, or continues a sendto that selected (Cont, the
%% SelectInfo it returned; OTP 25 takes Cont only with a timeout).
-spec sendto(Socket, Data, Dest | Cont) ->
          ok | {ok, RestData} | {error, Reason} | {error, {Reason, RestData}}
              when
      Socket :: socket(),
      Data :: iodata(),
      Dest :: sockaddr(),
      Cont :: select_info(),
      RestData :: binary(),
      Reason :: posix() | closed | invalid().
sendto(Socket, Data, ?SELECT_INFO({sendto, _}, _) = Cont) ->
    %% other select infos go on as addresses, refused as OTP 25 does
    sendto(Socket, Data, Cont, ?ESOCK_SENDTO_TIMEOUT_DEFAULT);
sendto(Socket, Data, Dest) ->
    sendto(Socket, Data, Dest, ?ESOCK_SENDTO_FLAGS_DEFAULT).

%% @doc sendto/3 with flags or a waiting mode, or continues a sendto.
-spec sendto(Socket, Data, Dest | Cont, Flags | Timeout) ->
          ok | {ok, RestData} |
          {select, SelectInfo} | {select, {SelectInfo, RestData}} |
          {error, Reason} | {error, {Reason, RestData}} when
      Socket :: socket(),
      Data :: iodata(),
      Dest :: sockaddr(),
      Cont :: select_info(),
      Flags :: [msg_flag() | integer()],
      Timeout :: timeout_or_handle(),
      RestData :: binary(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
sendto(Socket, Data, Dest, Flags) when is_list(Flags) ->
    sendto(Socket, Data, Dest, Flags, ?ESOCK_SENDTO_TIMEOUT_DEFAULT);
sendto(Socket, Data, ?SELECT_INFO(_, _) = Cont, Timeout) ->
    sockport_send:sendto_cont(Socket, Data, Cont, Timeout);
sendto(Socket, Data, Dest, Timeout) ->
    sendto(Socket, Data, Dest, ?ESOCK_SENDTO_FLAGS_DEFAULT, Timeout).

%% @doc Sends Data to Dest with flags and a waiting mode.
-spec sendto(Socket, Data, Dest, Flags, Timeout) ->
          ok | {ok, RestData} |
          {select, SelectInfo} | {select, {SelectInfo, RestData}} |
          {error, Reason} | {error, {Reason, RestData}} when
      Socket :: socket(),
      Data :: iodata(),
      Dest :: sockaddr(),
      Flags :: [msg_flag() | integer()],
      Timeout :: timeout_or_handle(),
      RestData :: binary(),
      SelectInfo :: select_info(),
      Reason :: posix() | closed | invalid() | timeout.
sendto(Socket, Data, Dest, Flags, Timeout) ->
    sockport_send:sendto(Socket, Data, Dest, Flags, Timeout).

%% ===========================================================================
%% setopt - set value on a socket option

%% @doc Sets a socket option.
-spec setopt(Socket, SocketOption, Value) -> ok | {error, Reason} when
      Socket :: socket(),
      SocketOption :: {Level :: otp, Opt :: otp_socket_option()} |
                      socket_option(),
      Value :: term(),
      Reason :: posix() | invalid() | closed.
setopt(?socket(Port, Id), SocketOption, Value) when ?IS_SOCKET(Port, Id) ->
    sockport_opt:setopt(Port, Id, SocketOption, Value);
setopt(Socket, SocketOption, Value) ->
    erlang:error(badarg, [Socket, SocketOption, Value]).

%% @doc Backwards compatibility: setopt(S, Level, Opt, Value), native when Opt
%% is an integer and Value a binary.
-spec setopt(Socket, Level, Opt, Value) -> ok | {error, Reason} when
      Socket :: socket(),
      Level :: atom() | integer(),
      Opt :: atom() | integer(),
      Value :: term(),
      Reason :: posix() | invalid() | closed.
setopt(Socket, Level, Opt, Value) when is_integer(Opt), is_binary(Value) ->
    setopt_native(Socket, {Level, Opt}, Value);
setopt(Socket, Level, Opt, Value) ->
    setopt(Socket, {Level, Opt}, Value).

%% @doc Sets an option given by its C level and name (or a table option) to an
%% integer, a boolean or raw bytes.
-spec setopt_native(Socket, SocketOption, Value) -> ok | {error, Reason} when
      Socket :: socket(),
      SocketOption :: socket_option() |
                      {Level :: level() | integer(), NativeOpt :: integer()},
      Value :: native_value(),
      Reason :: posix() | invalid() | closed.
setopt_native(?socket(Port, Id), SocketOption, Value)
  when ?IS_SOCKET(Port, Id) ->
    sockport_opt:setopt_native(Port, Id, SocketOption, Value);
setopt_native(Socket, SocketOption, Value) ->
    erlang:error(badarg, [Socket, SocketOption, Value]).

%% ===========================================================================
%% supports - what the platform (this build of sockport) supports

%% @doc Everything supports/1 knows, and the platform flags.
-spec supports() -> [{Key1 :: term(), boolean() | [{term(), term()}]}].
supports() ->
    sockport_supports:supports().

%% @doc One table: options, msg_flags, protocols, ioctl_requests, ioctl_flags.
-spec supports(Key1 :: term()) -> [{Key2 :: term(), term()}].
supports(Key1) ->
    sockport_supports:supports(Key1).

%% @doc The options of one level.
-spec supports(Key1 :: term(), Key2 :: term()) -> [{term(), boolean()}].
supports(Key1, Key2) ->
    sockport_supports:supports(Key1, Key2).

%% @doc One platform flag (sctp, ipv6, local, netns, sendfile).
-spec is_supported(Key1 :: term()) -> boolean().
is_supported(Key1) ->
    sockport_supports:is_supported(Key1).

%% @doc One entry of a table.
-spec is_supported(Key1 :: term(), Key2 :: term()) -> boolean().
is_supported(Key1, Key2) ->
    sockport_supports:is_supported(Key1, Key2).

%% @doc Undocumented legacy form of is_supported(options, {Level, Opt}).
-spec is_supported(options, Level :: atom(), Opt :: atom()) -> boolean().
is_supported(options, Level, Opt) when is_atom(Level), is_atom(Opt) ->
    is_supported(options, {Level, Opt}).

%% ===========================================================================
%% shutdown - shut down part of a full-duplex connection

%% @doc Shuts down reading, writing or both.
-spec shutdown(Socket, How) -> ok | {error, Reason} when
      Socket :: socket(),
      How :: read | write | read_write,
      Reason :: posix() | closed.
shutdown(?socket(Port, Id), How) when ?IS_SOCKET(Port, Id) ->
    case How of
        _ when How =:= read; How =:= write; How =:= read_write ->
            simple(sockport_cmd:request(Port, ?SP_OP_SHUTDOWN, Id, [How]));
        _ ->
            %% The NIF raises this before it looks at the socket.
            erlang:error({invalid, {how, How}})
    end;
shutdown(Socket, How) ->
    erlang:error(badarg, [Socket, How]).

%% ===========================================================================
%% sockname - return the current address of the socket

%% @doc The address the socket is bound to.
-spec sockname(Socket) -> {ok, SockAddr} | {error, Reason} when
      Socket :: socket(),
      SockAddr :: sockaddr_recv(),
      Reason :: posix() | closed.
sockname(?socket(Port, Id)) when ?IS_SOCKET(Port, Id) ->
    addr_result(sockport_cmd:request(Port, ?SP_OP_SOCKNAME, Id, []));
sockname(Socket) ->
    erlang:error(badarg, [Socket]).

%% ===========================================================================
%% use_registry, which_sockets - the registered sockets

%% @doc Whether sockets opened from now on are registered (listed by
%% which_sockets/0,1, number_of/0 and i/0,1,2) unless open/4 says.
-spec use_registry(D :: boolean()) -> ok.
use_registry(D) when is_boolean(D) ->
    sockport_info:use_registry(D).

%% @doc Every registered socket of every daemon.
-spec which_sockets() -> [socket()].
which_sockets() ->
    sockport_info:which_sockets().

%% @doc The registered sockets of a domain, type, protocol or owner, or those
%% for which Filter(info(Socket)) is true.
-spec which_sockets(FilterRule) -> [socket()] when
      FilterRule :: inet | inet6 | local | stream | dgram | seqpacket |
                    sctp | tcp | udp | pid() |
                    fun((socket_info()) -> boolean()).
which_sockets(FilterRule) ->
    sockport_info:which_sockets(FilterRule).

%% ===========================================================================
%% Reply shapes

simple(ok) -> ok;
simple({error, _} = Error) -> Error.

addr_result({ok, Addr}) -> {ok, sockport_addr:decode(Addr)};
addr_result({error, _} = Error) -> Error.
