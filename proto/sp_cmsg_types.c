/* The table of named control messages (see sp_cmsg.h), kept apart from
 * the codec so that the build's table generator can read it without ei.
 * The rows are OTP 25's on Linux: sendmsg takes a `value' for the rows
 * with a send kind and `data' for every row; recvmsg decodes a `value' for
 * the rows with a recv kind, and names the rest by number. */
#include "sp_cmsg.h"

#include <netinet/in.h>

#define N(t) (sizeof(t) / sizeof((t)[0]))

#define SOCK(name, type, send, recv) \
    {"socket", SOL_SOCKET, name, type, SP_CMV_##send, SP_CMV_##recv}
#define IP(name, type, send, recv) \
    {"ip", IPPROTO_IP, name, type, SP_CMV_##send, SP_CMV_##recv}
#define IP6(name, type, send, recv) \
    {"ipv6", IPPROTO_IPV6, name, type, SP_CMV_##send, SP_CMV_##recv}

const struct sp_cmsg_type sp_cmsg_types[] = {
    SOCK("timestamp", SO_TIMESTAMP, TIMEVAL, TIMEVAL),
    SOCK("rights", SCM_RIGHTS, NONE, FDS),
    SOCK("credentials", SCM_CREDENTIALS, NONE, NONE),
    IP("tos", IP_TOS, IP_TOS, IP_TOS),
    IP("recvtos", IP_RECVTOS, NONE, IP_TOS),
    IP("ttl", IP_TTL, INT, INT),
    IP("recvttl", IP_RECVTTL, NONE, INT),
    IP("pktinfo", IP_PKTINFO, NONE, PKTINFO),
    IP("origdstaddr", IP_ORIGDSTADDR, NONE, SOCKADDR),
    IP("recverr", IP_RECVERR, NONE, EXTENDED_ERR),
    IP6("hoplimit", IPV6_HOPLIMIT, INT, INT),
    IP6("pktinfo", IPV6_PKTINFO, NONE, IN6_PKTINFO),
    IP6("recverr", IPV6_RECVERR, NONE, EXTENDED_ERR),
    IP6("tclass", IPV6_TCLASS, INT, INT),
    IP6("recvtclass", IPV6_RECVTCLASS, NONE, NONE),
};

const size_t sp_cmsg_types_n = N(sp_cmsg_types);

const struct sp_cmsg_type *sp_cmsg_find(int level, int type)
{
    for (size_t i = 0; i < sp_cmsg_types_n; i++)
        if (sp_cmsg_types[i].level == level && sp_cmsg_types[i].type == type)
            return &sp_cmsg_types[i];
    return NULL;
}

const char *sp_cmsg_level_name(int level)
{
    for (size_t i = 0; i < sp_cmsg_types_n; i++)
        if (sp_cmsg_types[i].level == level)
            return sp_cmsg_types[i].level_name;
    return NULL;
}

const char *sp_cmsg_val_name(enum sp_cmsg_val v)
{
    static const char *const names[SP_CMV__MAX] = {
        [SP_CMV_NONE] = "none",
        [SP_CMV_INT] = "int",
        [SP_CMV_IP_TOS] = "ip_tos",
        [SP_CMV_TIMEVAL] = "timeval",
        [SP_CMV_FDS] = "fds",
        [SP_CMV_PKTINFO] = "pktinfo",
        [SP_CMV_IN6_PKTINFO] = "in6_pktinfo",
        [SP_CMV_SOCKADDR] = "sockaddr",
        [SP_CMV_EXTENDED_ERR] = "extended_err",
    };
    return v < SP_CMV__MAX ? names[v] : "none";
}

