%% recv and recvfrom: the argument checks of socket.erl for the
%% full-arity forms, and the engine that cuts a long recv into frames and
%% returns what came before an error or timeout with it.
-module(sockport_recv).

-include("sockport_ops.hrl").
-include("sockport_int.hrl").

-export([recv/4, recvfrom/4]).

-spec recv(sockport:socket(), non_neg_integer(), list(),
           sockport:timeout_or_handle()) -> term().
recv(?socket(Port, Id), Length, [], infinity)
  when ?IS_SOCKET(Port, Id), is_integer(Length), Length >= 0 ->
    %% recv/1,2's defaults, the commonest call: what the general clause
    %% below makes of them, without building it
    recv_loop(Port, Id, Length, 0, infinity, <<>>);
recv(?socket(Port, Id), Length, Flags, Timeout)
  when ?IS_SOCKET(Port, Id),
       is_integer(Length), Length >= 0,
       is_list(Flags) ->
    sockport_cmd:with_flags(
      Timeout, Flags,
      fun(Deadline, EFlags) ->
              recv_loop(Port, Id, Length, EFlags, Deadline, <<>>)
      end);
recv(Socket, Length, Flags, Timeout) ->
    erlang:error(badarg, [Socket, Length, Flags, Timeout]).

%% A recv longer than a frame is made of several, each waiting for what is
%% left of the time.
recv_loop(Port, Id, Length, EFlags, Deadline, Acc) ->
    Chunk = min(Length, ?SP_FRAME_MAX),
    %% More: further frames of this call follow, the daemon keeps the
    %% readers' queue for it meanwhile.
    Args = [Chunk, EFlags, sockport_cmd:mode(Deadline), Length > Chunk],
    {Term, Data} = sockport_cmd:request_data(Port, ?SP_OP_RECV, Id, Args, []),
    case Term of
        ok when Length > Chunk, byte_size(Data) =:= Chunk ->
            recv_loop(Port, Id, Length - Chunk, EFlags, Deadline,
                      sockport_cmd:bincat(Acc, Data));
        ok ->
            {ok, sockport_cmd:bincat(Acc, Data)};
        select ->
            SelectInfo = sockport_cmd:select_info(recv, Deadline),
            case sockport_cmd:bincat(Acc, Data) of
                <<>> -> {select, SelectInfo};
                Bin -> {select, {SelectInfo, Bin}}
            end;
        {error, Reason} ->
            case sockport_cmd:bincat(Acc, Data) of
                <<>> -> {error, Reason};
                Bin -> {error, {Reason, Bin}}
            end
    end.

%% ---------------------------------------------------------------------------
%% recvfrom

-spec recvfrom(sockport:socket(), non_neg_integer(), list(),
               sockport:timeout_or_handle()) -> term().
recvfrom(?socket(Port, Id), BufSz, Flags, Timeout)
  when ?IS_SOCKET(Port, Id),
       is_integer(BufSz), 0 =< BufSz,
       is_list(Flags) ->
    sockport_cmd:with_flags(
      Timeout, Flags,
      fun(Deadline, EFlags) ->
              Args = [BufSz, EFlags, sockport_cmd:mode(Deadline)],
              recvfrom_result(
                sockport_cmd:request_data(Port, ?SP_OP_RECVFROM, Id, Args, []),
                Deadline)
      end);
recvfrom(Socket, BufSz, Flags, Timeout) ->
    erlang:error(badarg, [Socket, BufSz, Flags, Timeout]).

recvfrom_result({{ok, Source}, Data}, _Deadline) ->
    {ok, {sockport_addr:decode(Source), Data}};
recvfrom_result({select, _}, Deadline) ->
    {select, sockport_cmd:select_info(recvfrom, Deadline)};
recvfrom_result({{error, _} = Error, _}, _Deadline) ->
    Error.
