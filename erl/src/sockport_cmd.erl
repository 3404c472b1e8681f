%% The call path of the sockport API: one command to a daemon's port, one
%% reply back (PROTOCOL.md), plus the waiting modes and message flags that
%% every waiting call shares.
%%
%% A caller writes its command straight to the port and waits for the
%% reply that the router (sockport_port) forwards to it; the router is
%% never a hop on this path. The monitor on the port is the request's
%% reference, so one receive waits for the reply and for the daemon's
%% death.
-module(sockport_cmd).

-include("sockport_ops.hrl").

%% The external term format's version byte and the tag the daemon writes
%% short atoms with (SMALL_ATOM_UTF8_EXT).
-define(ETF_VERSION, 131).
-define(ETF_SMALL_ATOM_UTF8, 119).

-export([request/4]).
-export([request/5]).
-export([request_data/5]).
-export([deadline/1]).
-export([mode/1]).
-export([with_flags/3]).
-export([select_info/2]).
-export([enc_msg_flags/1]).
-export([bincat/2]).
-export([frame_max/0]).
-export([configure_frame_max/0]).

-export_type([deadline/0]).

%% A waiting mode as the API functions keep it: nowait calls keep their
%% select handle, timed calls an absolute deadline (so that a call made of
%% several requests waits no longer in total).
-type deadline() ::
        {nowait, sockport:select_handle()} |
        infinity |
        {until, integer()}.

%% ===========================================================================
%% Requests

%% The reply term of one command; Data is the command's raw tail.
-spec request(port(), Op :: integer(), Id :: non_neg_integer(),
              Args :: [term()]) -> term().
request(Port, Op, Id, Args) ->
    request(Port, Op, Id, Args, []).

-spec request(port(), Op :: integer(), Id :: non_neg_integer(),
              Args :: [term()], Data :: iodata()) -> term().
request(Port, Op, Id, Args, Data) ->
    {Term, _Tail} = request_data(Port, Op, Id, Args, Data),
    Term.

%% The reply term and the raw tail after it (a sub-binary of the reply).
%% A dead daemon is `{error, closed}'.
-spec request_data(port(), Op :: integer(), Id :: non_neg_integer(),
                   Args :: [term()], Data :: iodata()) ->
          {term(), binary()}.
request_data(Port, Op, Id, Args, Data) ->
    %% The monitor is also the reply's address: an alias that dies with
    %% the monitor, so a reply that comes after 'DOWN' is dropped.
    MRef = erlang:monitor(port, Port, [{alias, demonitor}]),
    Header = term_to_binary(list_to_tuple([Op, self(), MRef, Id | Args])),
    case byte_size(Header) + iolist_size(Data) of
        Size when Size > ?SP_HEADER_MAX ->
            too_large(Port, MRef, Header, Data, Size);
        _ ->
            send_command(Port, MRef, Header, Data)
    end.

%% Only a frame with a big tail gets here: is it over the cap?
too_large(Port, MRef, Header, Data, Size) ->
    case Size > frame_max() + ?SP_HEADER_MAX of
        true ->
            %% The daemon would skip it unanswered (PROTOCOL.md, Limits).
            erlang:demonitor(MRef, [flush]),
            {{error, enomem}, <<>>};
        false ->
            send_command(Port, MRef, Header, Data)
    end.

send_command(Port, MRef, Header, Data) ->
    try erlang:port_command(Port, [Header, Data]) of
        true ->
            receive
                {MRef, Body} ->
                    erlang:demonitor(MRef, [flush]),
                    reply(Body);
                {'DOWN', MRef, port, _, _} ->
                    {{error, closed}, <<>>}
            end
    catch
        error:badarg ->
            %% The daemon of this handle is gone.
            erlang:demonitor(MRef, [flush]),
            {{error, closed}, <<>>}
    end.

%% The reply term and the tail after it. `ok', alone or before the data
%% of a recv, is most replies, and is taken without a decode.
reply(<<?ETF_VERSION, ?ETF_SMALL_ATOM_UTF8, 2, "ok", Tail/binary>>) ->
    {ok, Tail};
reply(Body) ->
    case binary_to_term(Body, [used]) of
        {{raise, Reason}, _} ->
            %% where the NIF raises rather than returns
            erlang:error(Reason);
        {Term, Used} ->
            {Term, binary_part(Body, Used, byte_size(Body) - Used)}
    end.

%% The most payload bytes one command carries: the application's
%% `max_frame' (?SP_FRAME_MIN to ?SP_FRAME_MAX), which its daemons are
%% started with; sends larger than it go in several frames.
-spec frame_max() -> pos_integer().
frame_max() ->
    persistent_term:get({?MODULE, frame_max}, ?SP_FRAME_MAX).

%% Takes `max_frame' from the environment (at application start).
-spec configure_frame_max() -> ok | {error, {invalid, {max_frame, term()}}}.
configure_frame_max() ->
    case application:get_env(sockport, max_frame, ?SP_FRAME_MAX) of
        N when is_integer(N), N >= ?SP_FRAME_MIN, N =< ?SP_FRAME_MAX ->
            %% a put of the same value costs nothing
            N =:= frame_max() orelse persistent_term:put({?MODULE, frame_max}, N),
            ok;
        Bad ->
            {error, {invalid, {max_frame, Bad}}}
    end.

%% ===========================================================================
%% Waiting modes

%% socket:deadline/1, keeping the handle of a nowait call.
-spec deadline(Timeout :: term()) -> deadline() | invalid.
deadline(Timeout) ->
    case Timeout of
        nowait ->
            {nowait, make_ref()};
        infinity ->
            infinity;
        SelectHandle when is_reference(SelectHandle) ->
            {nowait, SelectHandle};
        _ when is_integer(Timeout), 0 =< Timeout ->
            {until, timestamp() + Timeout};
        _ ->
            invalid
    end.

%% The Mode argument of a command (PROTOCOL.md, "Waiting mode").
-spec mode(deadline()) ->
          {nowait, sockport:select_handle()} | infinity | non_neg_integer().
mode({nowait, _} = Mode) ->
    Mode;
mode(infinity) ->
    infinity;
mode({until, Deadline}) ->
    case Deadline - timestamp() of
        %% beyond the daemon's timers (49 days): no timer at all
        Ms when Ms > 16#ffffffff -> infinity;
        Ms -> max(0, Ms)
    end.

%% The preamble of a waiting call with message flags: an invalid timeout
%% raises as OTP's, an unknown flag is the call's `{error, Reason}';
%% otherwise Call gets the deadline and the encoded flags.
-spec with_flags(Timeout :: term(), Flags :: list(),
                 Call :: fun((deadline(), integer()) -> term())) -> term().
with_flags(Timeout, Flags, Call) ->
    case deadline(Timeout) of
        invalid ->
            erlang:error({invalid, {timeout, Timeout}});
        Deadline ->
            try enc_msg_flags(Flags) of
                EFlags -> Call(Deadline, EFlags)
            catch
                throw:Reason -> {error, Reason}
            end
    end.

%% Only a nowait call can be answered with a select.
-spec select_info(sockport:select_tag(), deadline()) ->
          sockport:select_info().
select_info(Tag, {nowait, SelectHandle}) ->
    {select_info, Tag, SelectHandle}.

timestamp() ->
    erlang:monotonic_time(millisecond).

-spec bincat(binary(), binary()) -> binary().
bincat(<<>>, <<_/binary>> = B) -> B;
bincat(<<_/binary>> = A, <<>>) -> A;
bincat(<<_/binary>> = A, <<_/binary>> = B) -> <<A/binary, B/binary>>.

%% ===========================================================================
%% Message flags

%% prim_socket:enc_msg_flags/1 with the generated table: an unknown flag
%% is thrown (the caller returns it), a malformed list raised.
-spec enc_msg_flags([sockport:msg_flag() | integer()]) -> integer().
enc_msg_flags([]) ->
    0;
enc_msg_flags([_ | _] = Flags) ->
    enc_msg_flags(Flags, 0).

enc_msg_flags([], Val) ->
    Val;
enc_msg_flags([Flag | Flags], Val) when is_atom(Flag) ->
    case sockport_tables:msg_flag(Flag) of
        V when is_integer(V) ->
            enc_msg_flags(Flags, Val bor V);
        undefined ->
            throw({invalid, {msg_flag, Flag}})
    end;
enc_msg_flags([Flag | Flags], Val) when is_integer(Flag), 0 =< Flag ->
    enc_msg_flags(Flags, Val bor Flag);
enc_msg_flags(Flags, _Val) ->
    erlang:error({invalid, {msg_flags, Flags}}).
