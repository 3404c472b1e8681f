%% The SCTP option structures of <linux/sctp.h> as the bytes the daemon
%% passes to setsockopt/getsockopt unchanged (wire type: binary), so that
%% the daemon needs no SCTP headers. enc/2 raises on a bad value (the
%% caller makes that {invalid, ...}).
-module(sockport_sctp).

-export([enc/2]).
-export([dec/2]).

-define(EVENTS, [data_io, association, address, send_failure, peer_error,
                 shutdown, partial_delivery, adaptation_layer,
                 authentication, sender_dry]).

-spec enc(atom(), term()) -> binary().
enc(sctp_initmsg, #{num_ostreams := O, max_instreams := I,
                    max_attempts := A, max_init_timeo := T}) ->
    <<(u16(O)):16/native, (u16(I)):16/native, (u16(A)):16/native,
      (u16(T)):16/native>>;
enc(sctp_rtoinfo, #{assoc_id := Id, initial := I, max := Mx, min := Mn}) ->
    <<(i32(Id)):32/native-signed, (u32(I)):32/native, (u32(Mx)):32/native,
      (u32(Mn)):32/native>>;
enc(sctp_assocparams, #{assoc_id := Id, asocmaxrxt := R,
                        numbe_peer_destinations := N, peer_rwnd := P,
                        local_rwnd := L, cookie_life := C}) ->
    <<(i32(Id)):32/native-signed, (u16(R)):16/native, (u16(N)):16/native,
      (u32(P)):32/native, (u32(L)):32/native, (u32(C)):32/native>>;
enc(sctp_event_subscribe, #{} = M) ->
    %% The first seven are mandatory, the rest default to false.
    Mandatory = lists:sublist(?EVENTS, 7),
    true = lists:all(fun(K) -> is_boolean(maps:get(K, M)) end, Mandatory),
    << <<(b(maps:get(K, M, false)))>> || K <- ?EVENTS >>.

-spec dec(atom(), binary()) -> term().
dec(sctp_initmsg, <<O:16/native, I:16/native, A:16/native, T:16/native>>) ->
    #{num_ostreams => O, max_instreams => I, max_attempts => A,
      max_init_timeo => T};
dec(sctp_rtoinfo, <<Id:32/native-signed, I:32/native, Mx:32/native,
                    Mn:32/native>>) ->
    #{assoc_id => Id, initial => I, max => Mx, min => Mn};
dec(sctp_assocparams, <<Id:32/native-signed, R:16/native, N:16/native,
                        P:32/native, L:32/native, C:32/native>>) ->
    #{assoc_id => Id, asocmaxrxt => R, numbe_peer_destinations => N,
      peer_rwnd => P, local_rwnd => L, cookie_life => C};
dec(_Type, Bin) ->
    Bin.

u16(V) when is_integer(V), V >= 0, V =< 16#ffff -> V.
u32(V) when is_integer(V), V >= 0, V =< 16#ffffffff -> V.
i32(V) when is_integer(V), V >= -16#80000000, V =< 16#7fffffff -> V.
b(true) -> 1;
b(false) -> 0.
