%% sendfile: the argument checks of socket.erl and prim_socket for
%% sendfile/5 and its continuations, the naming of the caller's raw file
%% for the daemon, and the results socket.erl builds around its NIF.
%%
%% The daemon is another OS process, so the file travels by name: this
%% VM's OS pid, the descriptor number of the raw file (prim_file's handle)
%% and the file's device and inode, which the daemon checks after it opened
%% /proc/<pid>/fd/<n>. A file the VM cannot name (closed, not a file
%% resource) goes as {error, Reason}, which the daemon answers when the
%% call's turn in the writers' queue comes, where OTP's NIF finds it.
-module(sockport_sendfile).

-include_lib("kernel/include/file.hrl").
-include("sockport_ops.hrl").
-include("sockport_int.hrl").

-export([sendfile/5]).

%% What a call sends: a file to start with (its prim_file resource, as in
%% OTP's select tag {sendfile, FRef}), or the rest of the caller's call in
%% progress.
-type what() :: {start, FRef :: term()} | cont.

-spec sendfile(sockport:socket(), file:fd() | sockport:select_info(),
               integer(), non_neg_integer(),
               sockport:timeout_or_handle()) -> term().
sendfile(?socket(Port, Id) = Socket, FileHandle_Cont, Offset, Count, Timeout)
  when ?IS_SOCKET(Port, Id), is_integer(Offset), is_integer(Count),
       0 =< Count ->
    Args = [Socket, FileHandle_Cont, Offset, Count, Timeout],
    case FileHandle_Cont of
        {file_descriptor, Module, _} = FileHandle ->
            GetFRef = internal_get_nif_resource,
            try Module:GetFRef(FileHandle) of
                FRef ->
                    sendfile_int(Port, Id, {start, FRef}, Offset, Count,
                                 Timeout, Args)
            catch
                %% as socket.erl: a file that is not raw is a badarg
                Class:Reason:Stacktrace
                  when Class =:= error, Reason =:= undef ->
                    case Stacktrace of
                        [{Module, GetFRef, A, _} | _]
                          when A =:= 1; tl(A) =:= [] ->
                            erlang:error(badarg, Args);
                        _ ->
                            erlang:raise(Class, Reason, Stacktrace)
                    end
            end;
        ?SELECT_INFO(SelectTag, _) = Cont ->
            case SelectTag of
                {sendfile, FRef} ->
                    sendfile_int(Port, Id, {start, FRef}, Offset, Count,
                                 Timeout, Args);
                sendfile ->
                    sendfile_int(Port, Id, cont, Offset, Count, Timeout,
                                 Args);
                _ ->
                    {error, {invalid, Cont}}
            end;
        _ ->
            erlang:error(badarg, Args)
    end;
sendfile(Socket, FileHandle_Cont, Offset, Count, Timeout) ->
    erlang:error(badarg, [Socket, FileHandle_Cont, Offset, Count, Timeout]).

sendfile_int(Port, Id, What, Offset, Count, Timeout, Args) ->
    case sockport_cmd:deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        Deadline ->
            %% What prim_socket's NIF checks first: an offset or count out
            %% of its C range is returned as {invalid, ...}, which
            %% socket.erl's waiting loop does not expect (OTP 25 then fails
            %% with a case_clause) and its nowait path passes on.
            case range(Offset, Count) of
                ok ->
                    File = file_arg(What, Args),
                    Mode = sockport_cmd:mode(Deadline),
                    Reply = sockport_cmd:request(Port, ?SP_OP_SENDFILE, Id,
                                                 [File, Offset, Count, Mode]),
                    result(Reply, What, Deadline);
                Invalid ->
                    case Deadline of
                        {nowait, _} -> Invalid;
                        _ -> erlang:error({case_clause, Invalid})
                    end
            end
    end.

range(Offset, _Count)
  when Offset < -(1 bsl 63); Offset >= 1 bsl 63 ->
    {invalid, {integer_range, Offset}};
range(_Offset, Count) when Count >= 1 bsl 64 ->
    {invalid, {integer_range, Count}};
range(_Offset, _Count) ->
    ok.

%% The daemon's reply (PROTOCOL.md, SENDFILE) as socket:sendfile/5 has it.
-spec result(term(), what(), sockport_cmd:deadline()) -> term().
result({ok, _} = Ok, _What, _Deadline) ->
    Ok;
result(select, {start, FRef}, Deadline) ->
    %% in line behind another writer: the select message lets the caller
    %% start again with this file
    {select, sockport_cmd:select_info({sendfile, FRef}, Deadline)};
result({select, BytesSent}, _What, Deadline) ->
    {select, {sockport_cmd:select_info(sendfile, Deadline), BytesSent}};
result({error, Reason, BytesSent}, _What, _Deadline) ->
    {error, {Reason, BytesSent}};
result({error, _} = Error, _What, {nowait, _}) ->
    Error;
result({error, Reason}, cont, _Deadline) ->
    %% socket.erl's waiting loop adds what it sent before a continuation
    %% failed: nothing, when the daemon answers at once
    {error, {Reason, 0}};
result({error, _} = Error, _What, _Deadline) ->
    Error.

%% ---------------------------------------------------------------------------
%% Naming the file

%% The daemon's File argument. A file resource that is no
%% reference is what the NIF refuses with badarg; a reference that is no
%% open file becomes the error the NIF gives for it.
file_arg(cont, _Args) ->
    cont;
file_arg({start, FRef}, _Args) when is_reference(FRef) ->
    %% prim_file's functions take the resource in a descriptor owned by
    %% the caller (OTP's NIF takes it from any process, as here).
    Fd = {file_descriptor, prim_file, #{owner => self(), handle => FRef}},
    case prim_file:get_handle(Fd) of
        <<N:32/signed-native>> ->
            case prim_file:read_handle_info(Fd, [{time, posix}]) of
                {ok, #file_info{major_device = Dev, inode = Ino}} ->
                    {os_pid(), N, Dev, Ino};
                {error, _} = Error ->
                    Error
            end;
        {error, badarg} ->
            {error, {invalid, efile}};
        {error, _} = Error ->
            Error
    end;
file_arg({start, _FRef}, Args) ->
    erlang:error(badarg, Args).

os_pid() ->
    list_to_integer(os:getpid()).
