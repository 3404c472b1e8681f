%% Writes the seed corpus of fuzz_daemon: each file is one chunk-size byte
%% and then {packet,4} frames of real commands (PROTOCOL.md) that open,
%% connect, move data and wait in every mode, so the fuzzer starts from
%% inputs that reach deep into the daemon.
%%
%%   erl -noshell -pa build/erl/ebin -run fuzz_corpus main DIR
-module(fuzz_corpus).

-export([main/1]).

-include("sockport_ops.hrl").

-spec main([string()]) -> no_return().
main([Dir]) ->
    ok = filelib:ensure_dir(filename:join(Dir, "x")),
    [ok = file:write_file(filename:join(Dir, Name), [Chunk | frames(Cmds)])
     || {Name, Chunk, Cmds} <- seeds()],
    halt(0).

frames(Cmds) ->
    [begin
         B = iolist_to_binary(C),
         [<<(byte_size(B)):32>>, B]
     end || C <- Cmds].

cmd(Op, Id, Args) ->
    term_to_binary(list_to_tuple([Op, self(), make_ref(), Id | Args])).

cmd(Op, Id, Args, Tail) ->
    [cmd(Op, Id, Args), Tail].

lo4() -> {inet, {127, 0, 0, 1}, 0}.

seeds() ->
    Tcp = [cmd(?SP_OP_OPEN, 0, [inet, stream, tcp, []]),
           cmd(?SP_OP_BIND, 1, [lo4()]),
           cmd(?SP_OP_LISTEN, 1, [5]),
           cmd(?SP_OP_SOCKNAME, 1, []),
           cmd(?SP_OP_OPEN, 0, [inet, stream, tcp, []]),
           cmd(?SP_OP_CONNECT, 2, [{inet, {127, 0, 0, 1}, 1}, 100]),
           cmd(?SP_OP_ACCEPT, 1, [{nowait, make_ref()}]),
           cmd(?SP_OP_SEND, 2, [0, infinity, false], <<"hello">>),
           cmd(?SP_OP_RECV, 2, [0, 0, 50, false]),
           cmd(?SP_OP_GETOPT, 2, [socket, type]),
           cmd(?SP_OP_SETOPT, 2, [socket, reuseaddr, true]),
           cmd(?SP_OP_GETOPT_NATIVE, 2, [1, 3, integer]),
           cmd(?SP_OP_SHUTDOWN, 2, [write]),
           cmd(?SP_OP_MONITOR, 2, []),
           cmd(?SP_OP_CLOSE, 2, [])],
    Udp = [cmd(?SP_OP_OPEN, 0, [inet, dgram, udp, []]),
           cmd(?SP_OP_BIND, 1, [loopback]),
           cmd(?SP_OP_SENDTO, 1, [{inet, {127, 0, 0, 1}, 9}, 0, 0, false], <<"x">>),
           cmd(?SP_OP_RECVFROM, 1, [0, 0, {nowait, make_ref()}]),
           cmd(?SP_OP_CANCEL, 1, [recv, make_ref()]),
           cmd(?SP_OP_PID_DOWN, 0, [])],
    Local = [cmd(?SP_OP_OPEN, 0, [local, stream, default, []]),
             cmd(?SP_OP_BIND, 1, [{local, <<0, "fuzz">>}]),
             cmd(?SP_OP_LISTEN, 1, [1]),
             cmd(?SP_OP_OPEN, 0, [local, stream, 0, [{debug, true}]]),
             cmd(?SP_OP_CONNECT, 2, [{local, <<0, "fuzz">>}, infinity]),
             cmd(?SP_OP_CONNECT_FINISH, 2, []),
             cmd(?SP_OP_PEERNAME, 2, [])],
    Six = [cmd(?SP_OP_OPEN, 0, [inet6, dgram, 0, []]),
           cmd(?SP_OP_BIND, 1, [{inet6, {0, 0, 0, 0, 0, 0, 0, 1}, 0, 0, 0}]),
           cmd(?SP_OP_SENDTO, 1, [{inet6, {0, 0, 0, 0, 0, 0, 0, 1}, 9, 0, 0},
                                  0, infinity, true], <<"y">>)],
    Msg = [cmd(?SP_OP_OPEN, 0, [inet, dgram, udp, []]),
           cmd(?SP_OP_BIND, 1, [lo4()]),
           cmd(?SP_OP_SOCKNAME, 1, []),
           cmd(?SP_OP_SENDMSG, 1, [{inet, {127, 0, 0, 1}, 9},
                                   [{0, 1, {int, 16}}, {0, 2, {timeval, 1, 2}}],
                                   2, 0, infinity, false], <<"ab">>),
           cmd(?SP_OP_RECVMSG, 1, [0, 64, 0, 0]),
           cmd(?SP_OP_RECVMSG, 1, [16, 0, 0, {nowait, make_ref()}]),
           cmd(?SP_OP_INFO, 1, []),
           cmd(?SP_OP_SOCKETS, 0, []),
           cmd(?SP_OP_GLOBAL, 0, [[{debug, true}]]),
           cmd(?SP_OP_IOCTL, 1, [gifname, 1, undefined]),
           cmd(?SP_OP_IOCTL, 1, [gifconf, undefined, undefined]),
           cmd(?SP_OP_IOCTL, 1, [gifmtu, <<"lo">>, undefined]),
           cmd(?SP_OP_OPEN_FD, 0, [3, true, undefined, undefined, undefined, []]),
           cmd(?SP_OP_SENDFILE, 1, [{1, 0, 0, 0}, 0, 10, 0])],
    Kinds = [cmd(?SP_OP_OPEN, 0, [17, raw, 16#0300, []]),
             cmd(?SP_OP_SOCKNAME, 1, []),
             cmd(?SP_OP_BIND, 1, [{native, 17, <<0, 3, 1:32/native, 0:32, 0:64>>}]),
             cmd(?SP_OP_RECVFROM, 1, [0, 0, 0]),
             cmd(?SP_OP_OPEN, 0, [2, 2, 17, []]),
             cmd(?SP_OP_CONNECT, 2, [{native, 2, <<0, 9, 127, 0, 0, 1, 0:64>>}, 0]),
             cmd(?SP_OP_CONNECT, 2, [{unspec, <<>>}, 0]),
             cmd(?SP_OP_PEERNAME, 2, []),
             cmd(?SP_OP_OPEN, 0, [16, raw, 0, []]),
             cmd(?SP_OP_SOCKNAME, 3, []),
             cmd(?SP_OP_OPEN, 0, [local, seqpacket, 0, []]),
             cmd(?SP_OP_BIND, 4, [{native, 1, <<0, "fuzz-seq">>}])],
    [{"tcp-bytes", 0, Tcp}, {"kinds", 2, Kinds}, {"msg-info-ioctl", 5, Msg}, {"tcp-chunks", 7, Tcp}, {"udp", 3, Udp},
     {"local", 63, Local}, {"inet6", 1, Six},
     {"bad-frame", 0, [<<131, 104, 1, 97>>, <<"not a term">>]}].
