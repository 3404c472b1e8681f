%% supports/0,1,2 and is_supported/1,2,3, answered from the generated
%% tables (sockport_tables) without a daemon, in the shapes and orders of
%% prim_socket: the keyed tables are maps folded as prim_socket folds its
%% own, so lists come out in the order socket's do. The ioctl requests and
%% flags are the daemon's table (proto/sp_ioctl.c).
-module(sockport_supports).

-export([supports/0]).
-export([supports/1]).
-export([supports/2]).
-export([is_supported/1]).
-export([is_supported/2]).
-export([levels/0]).

%% What this build of sockport and sockportd can do, in nif_supports()
%% order. sctp is true as in OTP when the option table has it (the
%% kernel may still refuse to open SCTP sockets: esocktnosupport).
platform() ->
    [{sctp, true},
     {ipv6, true},
     {local, true},
     {netns, true},
     {sendfile, true}].

-spec supports() -> [{atom(), term()}].
supports() ->
    [{Key1, supports(Key1)}
     || Key1 <- [ioctl_requests, ioctl_flags, options, msg_flags, protocols]]
        ++ platform().

-spec supports(term()) -> [{term(), boolean()}].
supports(protocols) ->
    maps:fold(fun(Name, _Num, Acc) when is_atom(Name) -> [{Name, true} | Acc];
                 (_Num, _Names, Acc) -> Acc
              end, [], protocols_map());
supports(ioctl_requests) ->
    maps:fold(fun(Name, true, Acc) -> [{Name, true} | Acc] end,
              [], ioctl_requests_map());
supports(options) ->
    maps:fold(fun(Option, Rep, Acc) -> [{Option, Rep} | Acc] end,
              [], options_map());
supports(msg_flags) ->
    maps:fold(fun(Name, Num, Acc) -> [{Name, Num =/= 0} | Acc] end,
              [], maps:from_list(sockport_tables:msg_flags()));
supports(ioctl_flags) ->
    maps:fold(fun(Name, Num, Acc) -> [{Name, Num =/= 0} | Acc] end,
              [], maps:from_list(sockport_tables:ioctl_flags()));
supports(_Key) ->
    [].

-spec supports(term(), term()) -> [{term(), boolean()}].
supports(options, Level) when is_atom(Level) ->
    maps:fold(fun({L, Opt}, Rep, Acc) when L =:= Level -> [{Opt, Rep} | Acc];
                 (_, _, Acc) -> Acc
              end, [], options_map());
supports(_Key1, _Key2) ->
    [].

-spec is_supported(term()) -> boolean().
is_supported(Key1) ->
    get_is_supported(Key1, platform()).

-spec is_supported(term(), term()) -> boolean().
is_supported(ioctl_requests, Name) when is_atom(Name) ->
    maps:is_key(Name, ioctl_requests_map());
is_supported(ioctl_requests, _Name) ->
    false;
is_supported(ioctl_flags, Flag) ->
    case lists:keyfind(Flag, 1, sockport_tables:ioctl_flags()) of
        {_, Num} -> Num =/= 0;
        false -> false
    end;
is_supported(protocols, Name) when is_atom(Name) ->
    maps:is_key(Name, protocols_map());
is_supported(protocols, _Name) ->
    false;
is_supported(options, {_Level, _Opt} = Option) ->
    maps:get(Option, options_map(), false);
is_supported(options, _Option) ->
    false;
is_supported(msg_flags, Flag) ->
    case lists:keyfind(Flag, 1, sockport_tables:msg_flags()) of
        {_, Num} -> Num =/= 0;
        false -> false
    end;
is_supported(_Key1, _Key2) ->
    false.

%% The levels of the option table: socket, ip, ipv6, tcp, udp, sctp.
-spec levels() -> [atom()].
levels() ->
    lists:usort([L || {{L, _}, _} <- sockport_tables:options()]).

get_is_supported(Key, Supported) ->
    case lists:keyfind(Key, 1, Supported) of
        false -> false;
        {_, Value} when is_boolean(Value) -> Value
    end.

ioctl_requests_map() ->
    maps:from_list([{Name, true}
                    || {Name, _Arg, _Kind} <- sockport_tables:ioctl_requests()]).

%% #{{Level, Opt} => Reported} for every level name and alias ('IP').
options_map() ->
    Protocols = sockport_tables:protocols(),
    maps:from_list(
      [{{Alias, Opt}, Rep}
       || {{Level, Opt}, {_CL, _CN, _T, _A, Rep}} <- sockport_tables:options(),
          Alias <- aliases(Level, Protocols)]).

aliases(socket, _Protocols) ->
    [socket];
aliases(Level, Protocols) ->
    {_, Num} = lists:keyfind(Level, 1, Protocols),
    [Name || {Name, N} <- Protocols, N =:= Num, Name =/= default,
             string:lowercase(atom_to_list(Name)) =:= atom_to_list(Level)].

%% prim_socket's protocols table: Name => Num for every name, Num =>
%% Names for every number.
protocols_map() ->
    Names = [P || {Name, _} = P <- sockport_tables:protocols(),
                  Name =/= default],
    ByNum = lists:foldr(fun({Name, Num}, Acc) ->
                                maps:update_with(Num, fun(L) -> [Name | L] end,
                                                 [Name], Acc)
                        end, #{}, Names),
    maps:merge(ByNum, maps:from_list(Names)).
