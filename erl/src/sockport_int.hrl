%% Internal term formats and OTP's defaults, shared by the modules that
%% implement the sockport API.

-define(socket(Port, Id), {'$socket', {sockport, (Port), (Id)}}).
-define(IS_SOCKET(Port, Id), (is_port(Port) andalso is_integer(Id))).
-define(socket_msg(Socket, Tag, Info), {'$socket', (Socket), (Tag), (Info)}).
-define(SELECT_INFO(Tag, SelectHandle), {select_info, (Tag), (SelectHandle)}).

-define(ESOCK_LISTEN_BACKLOG_DEFAULT, 5).
-define(ESOCK_ACCEPT_TIMEOUT_DEFAULT, infinity).
-define(ESOCK_SEND_FLAGS_DEFAULT, []).
-define(ESOCK_SEND_TIMEOUT_DEFAULT, infinity).
-define(ESOCK_SENDTO_FLAGS_DEFAULT, []).
-define(ESOCK_SENDTO_TIMEOUT_DEFAULT, ?ESOCK_SEND_TIMEOUT_DEFAULT).
-define(ESOCK_SENDMSG_FLAGS_DEFAULT, []).
-define(ESOCK_SENDMSG_TIMEOUT_DEFAULT, ?ESOCK_SEND_TIMEOUT_DEFAULT).
-define(ESOCK_RECV_FLAGS_DEFAULT, []).
-define(ESOCK_RECV_TIMEOUT_DEFAULT, infinity).

%% The sockets of sockport_tcp and sockport_udp: a sockport socket tagged
%% with its module, as gen_tcp and gen_udp users match and print them.
-define(TCP(Socket), {sockport_tcp, (Socket)}).
-define(UDP(Socket), {sockport_udp, (Socket)}).
