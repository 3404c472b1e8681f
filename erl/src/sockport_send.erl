%% send and sendto: the argument checks of socket.erl for the full-arity
%% forms and continuations, and the engine that cuts a send into frames of
%% at most sockport_cmd:frame_max() bytes and turns partial progress into
%% RestData.
-module(sockport_send).

-include("sockport_ops.hrl").
-include("sockport_int.hrl").

-export([send/4, sendto/5, sendto_cont/4]).

-spec send(sockport:socket(), iodata(), list() | sockport:select_info(),
           sockport:timeout_or_handle()) -> term().
send(?socket(Port, Id), Data, ?SELECT_INFO(SelectTag, _) = Cont, Timeout)
  when ?IS_SOCKET(Port, Id), is_binary(Data) ->
    case SelectTag of
        {send, ContData} ->
            case sockport_cmd:deadline(Timeout) of
                invalid ->
                    erlang:error({invalid, {timeout, Timeout}});
                Deadline ->
                    send_flags(Port, Id, Data, ContData, Deadline)
            end;
        _ ->
            {error, {invalid, Cont}}
    end;
send(?socket(Port, Id), Data, [], infinity)
  when ?IS_SOCKET(Port, Id), is_binary(Data) ->
    %% send/2's defaults, the commonest call: what the general clause
    %% below makes of them, without building it
    send_loop(Port, Id, ?SP_OP_SEND, [], {send, 0}, 0, Data, 0, infinity);
send(?socket(Port, Id), Data, Flags, Timeout)
  when ?IS_SOCKET(Port, Id), is_binary(Data), is_list(Flags) ->
    case sockport_cmd:deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        Deadline ->
            send_flags(Port, Id, Data, Flags, Deadline)
    end;
send(?socket(Port, Id) = Socket, [Bin], Flags, Timeout)
  when ?IS_SOCKET(Port, Id), is_binary(Bin) ->
    send(Socket, Bin, Flags, Timeout);
send(?socket(Port, Id) = Socket, Data, Flags, Timeout)
  when ?IS_SOCKET(Port, Id), is_list(Data) ->
    try erlang:list_to_binary(Data) of
        Bin ->
            send(Socket, Bin, Flags, Timeout)
    catch
        error:badarg ->
            erlang:error({invalid, {data, Data}})
    end;
send(Socket, Data, Flags, Timeout) ->
    erlang:error(badarg, [Socket, Data, Flags, Timeout]).

%% Flags are a list on a first call, the encoded integer in a
%% continuation (as in prim_socket:send/4).
send_flags(Port, Id, Bin, Flags, Deadline) ->
    try cont_flags(Flags) of
        EFlags ->
            send_loop(Port, Id, ?SP_OP_SEND, [], {send, EFlags}, EFlags,
                      Bin, 0, Deadline)
    catch
        throw:Reason ->
            {error, Reason}
    end.

cont_flags(EFlags) when is_integer(EFlags) -> EFlags;
cont_flags(Flags) -> sockport_cmd:enc_msg_flags(Flags).

%% One SEND/SENDTO frame per frame_max() bytes. Off is how much of Bin
%% went out in earlier frames; a frame's `Written' counts its own tail.
send_loop(Port, Id, Op, AddrArgs, Tag, EFlags, Bin, Off, Deadline) ->
    Size = byte_size(Bin),
    Chunk = min(Size - Off, sockport_cmd:frame_max()),
    Part = binary_part(Bin, Off, Chunk),
    %% More: further frames of this call follow, the daemon keeps the
    %% writers' queue for it meanwhile.
    Args = AddrArgs ++ [EFlags, sockport_cmd:mode(Deadline), Off + Chunk < Size],
    case sockport_cmd:request(Port, Op, Id, Args, Part) of
        ok when Off + Chunk < Size ->
            send_loop(Port, Id, Op, AddrArgs, Tag, EFlags, Bin, Off + Chunk,
                      Deadline);
        ok ->
            ok;
        {select, Written} ->
            SelectInfo = sockport_cmd:select_info(Tag, Deadline),
            case Off + Written of
                0 -> {select, SelectInfo};
                Done -> {select, {SelectInfo, rest(Bin, Done)}}
            end;
        {error, Reason} ->
            send_error(Reason, Bin, Off);
        {error, Reason, Written} ->
            send_error(Reason, Bin, Off + Written)
    end.

%% socket:send_common_error/3: no rest unless something was written.
send_error(Reason, _Bin, 0) ->
    {error, Reason};
send_error(Reason, Bin, Done) ->
    {error, {Reason, rest(Bin, Done)}}.

rest(Bin, Done) ->
    binary_part(Bin, Done, byte_size(Bin) - Done).

%% ---------------------------------------------------------------------------
%% sendto

-spec sendto(sockport:socket(), iodata(), sockport:sockaddr(), list(),
             sockport:timeout_or_handle()) -> term().
sendto(?socket(Port, Id), Data, Dest, Flags, Timeout)
  when ?IS_SOCKET(Port, Id), is_binary(Data), is_list(Flags) ->
    case sockport_cmd:deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        Deadline ->
            %% prim_socket's order: the address's throw comes before
            %% the flags' error, the NIF's check of the address after.
            try {sockport_addr:enc_sockaddr(Dest),
                 sockport_cmd:enc_msg_flags(Flags)} of
                {ETo, EFlags} ->
                    case sockport_addr:wire(ETo) of
                        {ok, Wire} ->
                            %% OTP 25 keeps {To, ETo, EFlags} in the
                            %% select tag.
                            Tag = {sendto, {Dest, ETo, EFlags}},
                            send_loop(Port, Id, ?SP_OP_SENDTO, [Wire], Tag,
                                      EFlags, Data, 0, Deadline);
                        invalid ->
                            {error, {invalid, {sockaddr, Dest}}}
                    end
            catch
                throw:Reason ->
                    {error, Reason}
            end
    end;
sendto(?socket(Port, Id) = Socket, [Bin], Dest, Flags, Timeout)
  when ?IS_SOCKET(Port, Id), is_binary(Bin) ->
    sendto(Socket, Bin, Dest, Flags, Timeout);
sendto(?socket(Port, Id) = Socket, Data, Dest, Flags, Timeout)
  when ?IS_SOCKET(Port, Id), is_list(Data) ->
    try erlang:list_to_binary(Data) of
        Bin ->
            sendto(Socket, Bin, Dest, Flags, Timeout)
    catch
        error:badarg ->
            erlang:error({invalid, {data, Data}})
    end;
sendto(Socket, Data, Dest, Flags, Timeout) ->
    erlang:error(badarg, [Socket, Data, Dest, Flags, Timeout]).

sendto_in(Port, Id, Bin, Cont, Timeout) ->
    case sockport_cmd:deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        Deadline ->
            case Cont of
                {To, ETo, EFlags} when is_integer(EFlags) ->
                    case sockport_addr:encode(ETo) of
                        {ok, Wire, _} ->
                            send_loop(Port, Id, ?SP_OP_SENDTO, [Wire],
                                      {sendto, Cont}, EFlags, Bin, 0,
                                      Deadline);
                        {error, _} ->
                            {error, {invalid, {sockaddr, To}}}
                    end;
                _ ->
                    {error, {invalid, {sendto_cont, Cont}}}
            end
    end.

%% sendto(Socket, Data, Cont, Timeout): continues a sendto after its select.
-spec sendto_cont(sockport:socket(), iodata(), sockport:select_info(),
                  sockport:timeout_or_handle()) -> term().
sendto_cont(?socket(Port, Id) = Socket, Data,
            ?SELECT_INFO(SelectTag, _) = Cont, Timeout)
  when ?IS_SOCKET(Port, Id) ->
    case SelectTag of
        {sendto, ContData} ->
            case Data of
                Bin when is_binary(Bin) ->
                    sendto_in(Port, Id, Bin, ContData, Timeout);
                [Bin] when is_binary(Bin) ->
                    sendto_in(Port, Id, Bin, ContData, Timeout);
                IOV when is_list(IOV) ->
                    try erlang:list_to_binary(IOV) of
                        Bin ->
                            sendto_in(Port, Id, Bin, ContData, Timeout)
                    catch
                        error:badarg ->
                            erlang:error({invalid, {data, Data}})
                    end;
                _ ->
                    erlang:error(badarg, [Socket, Data, Cont, Timeout])
            end;
        _ ->
            {error, {invalid, Cont}}
    end;
sendto_cont(Socket, Data, Cont, Timeout) ->
    sendto(Socket, Data, Cont, ?ESOCK_SENDTO_FLAGS_DEFAULT, Timeout).
