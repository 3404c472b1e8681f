%% sendmsg and recvmsg: the argument checks of socket.erl and
%% prim_socket.erl, the engine that sends a message's iov in frames of at
%% most sockport_cmd:frame_max() bytes and turns partial progress into OTP's rest of
%% the iov, and the continuation of a sendmsg after its select message.
-module(sockport_msg).

-include("sockport_ops.hrl").
-include("sockport_int.hrl").

-export([sendmsg/4]).
-export([recvmsg/5]).

%% The most a C int flags argument holds; the NIF refuses more in a way
%% socket.erl has no clause for.
-define(FLAGS_MAX, 16#7fffffff).

%% ===========================================================================
%% sendmsg

%% sendmsg(Socket, Msg, Flags, Timeout), and sendmsg(Socket, RestData,
%% Cont, Timeout) after a select.
-spec sendmsg(sockport:socket(), sockport:msg_send() | erlang:iovec(),
              list() | sockport:select_info(),
              sockport:timeout_or_handle()) -> term().
sendmsg(?socket(Port, Id) = Socket, RestData,
        ?SELECT_INFO(SelectTag, _) = Cont, Timeout)
  when ?IS_SOCKET(Port, Id) ->
    case SelectTag of
        {sendmsg, ContData} ->
            case RestData of
                #{iov := IOV} ->
                    sendmsg_cont(Port, Id, IOV, ContData, Timeout);
                IOV when is_list(IOV) ->
                    sendmsg_cont(Port, Id, IOV, ContData, Timeout);
                _ ->
                    erlang:error(badarg, [Socket, RestData, Cont, Timeout])
            end;
        _ ->
            {error, {invalid, Cont}}
    end;
sendmsg(?socket(Port, Id), #{iov := IOV} = Msg, Flags, Timeout)
  when ?IS_SOCKET(Port, Id), is_list(Flags) ->
    case sockport_cmd:deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        Deadline ->
            try {sockport_cmsg:enc_msg(Msg),
                 sockport_cmd:enc_msg_flags(Flags)} of
                {{EMsg, Addr}, EFlags} ->
                    start(Port, Id, IOV, {Msg, EMsg, EFlags}, Addr, Deadline)
            catch
                throw:Reason ->
                    {error, Reason}
            end
    end;
sendmsg(Socket, Msg, Flags, Timeout) ->
    erlang:error(badarg, [Socket, Msg, Flags, Timeout]).

sendmsg_cont(Port, Id, IOV, ContData, Timeout) ->
    case sockport_cmd:deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        Deadline ->
            case ContData of
                {_, EMsg, _EFlags} when is_map(EMsg) ->
                    %% As prim_socket: the EMsg goes to the NIF as it is.
                    start(Port, Id, IOV, ContData,
                          sockport_cmsg:wire_addr(EMsg), Deadline);
                _ ->
                    %% prim_socket:sendmsg/4 has no clause for it
                    erlang:error(function_clause)
            end
    end.

start(_Port, _Id, _IOV, {_, _, EFlags}, _Addr, _Deadline)
  when not is_integer(EFlags); EFlags > ?FLAGS_MAX ->
    %% The NIF says {invalid, flags}; prim_socket:sendmsg_invalid/3 has no
    %% branch for it.
    erlang:error(if_clause);
start(Port, Id, IOV, {_, EMsg, _} = Cont, Addr, Deadline) ->
    Ctrl = case EMsg of
               #{ctrl := Cmsgs} -> sockport_cmsg:wire_cmsgs(Cmsgs);
               #{} -> []
           end,
    case sockport_cmsg:iov_count(IOV) of
        invalid ->
            frame(Port, Id, IOV, Cont, [Addr, Ctrl, invalid], <<>>, 0,
                  false, Deadline);
        N ->
            Size = iolist_size(IOV),
            FrameMax = sockport_cmd:frame_max(),
            Args = [Addr, Ctrl, N],
            if
                Size =< FrameMax ->
                    frame(Port, Id, IOV, Cont, Args, IOV, 0, false, Deadline);
                true ->
                    frames(Port, Id, IOV, Cont, Args,
                           iolist_to_binary(IOV), 0, Deadline)
            end
    end.

%% A message larger than a frame goes in several; the first carries the
%% control messages, every one the address.
frames(Port, Id, IOV, Cont, [Addr | _] = Args, Bin, Off, Deadline) ->
    Chunk = min(byte_size(Bin) - Off, sockport_cmd:frame_max()),
    More = Off + Chunk < byte_size(Bin),
    case frame(Port, Id, IOV, Cont, Args, binary_part(Bin, Off, Chunk), Off,
               More, Deadline) of
        more ->
            frames(Port, Id, IOV, Cont, [Addr, [], 0], Bin, Off + Chunk,
                   Deadline);
        Result ->
            Result
    end.

%% One SENDMSG frame; Off is how much of the iov went in earlier frames,
%% a frame's `Written' counts its own bytes.
frame(Port, Id, IOV, {_, _, EFlags} = Cont, Args, Data, Off, More,
      Deadline) ->
    Mode = sockport_cmd:mode(Deadline),
    case sockport_cmd:request(Port, ?SP_OP_SENDMSG, Id,
                              Args ++ [EFlags, Mode, More], Data) of
        ok when More ->
            more;
        ok ->
            ok;
        {select, Written} ->
            SelectInfo = sockport_cmd:select_info({sendmsg, Cont}, Deadline),
            case Off + Written of
                0 -> {select, SelectInfo};
                Done -> {select, {SelectInfo, sockport_cmsg:rest_iov(Done, IOV)}}
            end;
        {error, {invalid, Cause}} when is_atom(Cause) ->
            {error, {invalid, invalid(Cause, IOV, Cont)}};
        {error, Reason} ->
            send_error(Reason, IOV, Off);
        {error, Reason, Written} ->
            send_error(Reason, IOV, Off + Written)
    end.

%% prim_socket:sendmsg_invalid/3
invalid(iov, IOV, _Cont) ->
    {iov, sockport_cmsg:invalid_iov(IOV, 0)};
invalid(Cause, _IOV, {Msg, _, _}) ->
    {msg, Cause, maps:with([Cause], Msg)}.

%% socket:send_common_error/3: no rest unless something was written.
send_error(Reason, _IOV, 0) ->
    {error, Reason};
send_error(Reason, IOV, Done) ->
    {error, {Reason, sockport_cmsg:rest_iov(Done, IOV)}}.

%% ===========================================================================
%% recvmsg

-spec recvmsg(sockport:socket(), non_neg_integer(), non_neg_integer(),
              list(), sockport:timeout_or_handle()) -> term().
recvmsg(?socket(Port, Id), BufSz, CtrlSz, Flags, Timeout)
  when ?IS_SOCKET(Port, Id),
       is_integer(BufSz), 0 =< BufSz,
       is_integer(CtrlSz), 0 =< CtrlSz,
       is_list(Flags) ->
    sockport_cmd:with_flags(
      Timeout, Flags,
      fun(_Deadline, EFlags) when EFlags > ?FLAGS_MAX ->
              %% The NIF's answer, which socket.erl does not expect.
              erlang:error({case_clause, {invalid, {integer_range, EFlags}}});
         (Deadline, EFlags) ->
              Args = [BufSz, CtrlSz, EFlags, sockport_cmd:mode(Deadline)],
              recvmsg_result(
                sockport_cmd:request_data(Port, ?SP_OP_RECVMSG, Id, Args, []),
                Deadline)
      end);
recvmsg(Socket, BufSz, CtrlSz, Flags, Timeout) ->
    erlang:error(badarg, [Socket, BufSz, CtrlSz, Flags, Timeout]).

recvmsg_result({{ok, Addr, MsgFlags, Ctrl}, Data}, _Deadline) ->
    {ok, sockport_cmsg:dec_msg(Addr, MsgFlags, Ctrl, Data)};
recvmsg_result({select, _}, Deadline) ->
    {select, sockport_cmd:select_info(recvmsg, Deadline)};
recvmsg_result({{error, _} = Error, _}, _Deadline) ->
    Error.
