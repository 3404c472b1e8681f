/* The socket option table: one row per option that OTP 25's `socket`
 * knows at levels socket, ip, ipv6, tcp, udp and sctp, with its C level
 * and name, value type and access. Rows whose C name is SP_OPT_NONE are
 * options OTP knows but does not have on Linux (supports/0..2 lists them
 * as false, getopt/setopt answer {invalid, {socket_option, Opt}}), so
 * that supports(options) lists exactly the names socket's does. Adding an
 * option is adding a row: the daemon's codec is chosen by the type, the
 * VM's checks by the generated sockport_tables.erl.
 *
 * The seed's options that OTP 25 does not list and Linux does not have
 * under those names (socket bsp_state, exclusiveaddruse, maxdg and
 * max_msg_size, which are Windows'; ipv6 pktinfo, which Linux calls
 * recvpktinfo; sctp auth_asconf) are rows without a C name as well:
 * listed as unsupported.
 *
 * Where Linux, the seed and OTP 25 disagree the rows follow OTP 25:
 * acceptconn may be set (the kernel refuses it), tclass is an integer,
 * ipv6 mtu may be set, peek_off works but is reported unsupported. Two
 * departures, both the seed's: tcp keepcnt, keepidle and keepintvl are
 * supported (OTP 25 lacks them on Linux), and rcvtimeo/sndtimeo exist
 * only when built with -DSP_RCVSNDTIMEO, as OTP's
 * --enable-esock-rcvsndtimeo. */
#include "sp_tables.h"

#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define N(t) (sizeof(t) / sizeof((t)[0]))

/* The SCTP option names of <linux/sctp.h> (kernel ABI), which cannot be
 * included next to glibc's headers without lksctp's <netinet/sctp.h>. */
#ifndef SCTP_RTOINFO
#define SCTP_RTOINFO 0
#define SCTP_ASSOCINFO 1
#define SCTP_INITMSG 2
#define SCTP_NODELAY 3
#define SCTP_AUTOCLOSE 4
#define SCTP_DISABLE_FRAGMENTS 8
#define SCTP_EVENTS 11
#define SCTP_MAXSEG 13
#endif

/* <linux/in6.h>, which glibc's <netinet/in.h> leaves out. */
#ifndef IPV6_FLOWINFO
#define IPV6_FLOWINFO 11
#endif

#define G SP_OPT_GET
#define S SP_OPT_SET
#define GS (SP_OPT_GET | SP_OPT_SET)
#define NO SP_OPT_NONE

#ifdef SP_RCVSNDTIMEO
#define SP_SO_RCVTIMEO SO_RCVTIMEO
#define SP_SO_SNDTIMEO SO_SNDTIMEO
#else
#define SP_SO_RCVTIMEO NO
#define SP_SO_SNDTIMEO NO
#endif

#define SOCK(name, c, t, a) {"socket", name, SOL_SOCKET, c, SP_OPT_##t, a, 0}
#define IP(name, c, t, a) {"ip", name, IPPROTO_IP, c, SP_OPT_##t, a, 0}
#define IP6(name, c, t, a) {"ipv6", name, IPPROTO_IPV6, c, SP_OPT_##t, a, 0}
#define TCP(name, c, t, a) {"tcp", name, IPPROTO_TCP, c, SP_OPT_##t, a, 0}
#define UDP(name, c, t, a) {"udp", name, IPPROTO_UDP, c, SP_OPT_##t, a, 0}
#define SCTP(name, c, t, a) {"sctp", name, IPPROTO_SCTP, c, SP_OPT_##t, a, 0}

const struct sp_option sp_options[] = {
    SOCK("acceptconn", SO_ACCEPTCONN, BOOL, GS),
    SOCK("acceptfilter", NO, INT, GS),
    {"socket", "bindtodevice", SOL_SOCKET, SO_BINDTODEVICE, SP_OPT_STRING, GS,
     16 /* IFNAMSIZ */},
    SOCK("broadcast", SO_BROADCAST, BOOL, GS),
    SOCK("bsp_state", NO, INT, G),
    SOCK("busy_poll", NO, INT, GS),
    SOCK("debug", SO_DEBUG, INT, GS),
    SOCK("domain", SO_DOMAIN, SOCK_DOMAIN, G),
    SOCK("dontroute", SO_DONTROUTE, BOOL, GS),
    SOCK("error", NO, INT, G),
    SOCK("exclusiveaddruse", NO, BOOL, GS),
    SOCK("keepalive", SO_KEEPALIVE, BOOL, GS),
    SOCK("linger", SO_LINGER, LINGER, GS),
    SOCK("mark", NO, INT, GS),
    SOCK("max_msg_size", NO, INT, G),
    SOCK("maxdg", NO, INT, G),
    SOCK("oobinline", SO_OOBINLINE, BOOL, GS),
    SOCK("passcred", SO_PASSCRED, BOOL, GS),
    SOCK("peek_off", SO_PEEK_OFF, INT, GS | SP_OPT_HIDE),
    SOCK("peercred", NO, INT, G),
    SOCK("priority", SO_PRIORITY, INT, GS),
    SOCK("protocol", SO_PROTOCOL, SOCK_PROTOCOL, G),
    SOCK("rcvbuf", SO_RCVBUF, INT, GS),
    SOCK("rcvbufforce", NO, INT, GS),
    SOCK("rcvlowat", SO_RCVLOWAT, INT, GS),
    SOCK("rcvtimeo", SP_SO_RCVTIMEO, TIMEVAL, GS),
    SOCK("reuseaddr", SO_REUSEADDR, BOOL, GS),
    SOCK("reuseport", SO_REUSEPORT, BOOL, GS),
    SOCK("rxq_ovfl", NO, INT, GS),
    SOCK("setfib", NO, INT, S),
    SOCK("sndbuf", SO_SNDBUF, INT, GS),
    SOCK("sndbufforce", NO, INT, GS),
    SOCK("sndlowat", SO_SNDLOWAT, INT, GS),
    SOCK("sndtimeo", SP_SO_SNDTIMEO, TIMEVAL, GS),
    SOCK("timestamp", SO_TIMESTAMP, BOOL, GS),
    SOCK("type", SO_TYPE, SOCK_TYPE, G),

    IP("add_membership", IP_ADD_MEMBERSHIP, IP_MREQ, S),
    IP("add_source_membership", IP_ADD_SOURCE_MEMBERSHIP, IP_MREQ_SOURCE, S),
    IP("block_source", IP_BLOCK_SOURCE, IP_MREQ_SOURCE, S),
    IP("dontfrag", NO, BOOL, GS),
    IP("drop_membership", IP_DROP_MEMBERSHIP, IP_MREQ, S),
    IP("drop_source_membership", IP_DROP_SOURCE_MEMBERSHIP, IP_MREQ_SOURCE, S),
    IP("freebind", IP_FREEBIND, BOOL, GS),
    IP("hdrincl", IP_HDRINCL, BOOL, GS),
    IP("minttl", IP_MINTTL, INT, GS),
    IP("msfilter", IP_MSFILTER, IP_MSFILTER, S),
    IP("mtu", IP_MTU, INT, G),
    IP("mtu_discover", IP_MTU_DISCOVER, IP_PMTUDISC, GS),
    IP("multicast_all", IP_MULTICAST_ALL, BOOL, GS),
    IP("multicast_if", IP_MULTICAST_IF, IN_ADDR, GS),
    IP("multicast_loop", IP_MULTICAST_LOOP, BOOL, GS),
    IP("multicast_ttl", IP_MULTICAST_TTL, INT, GS),
    IP("nodefrag", IP_NODEFRAG, BOOL, GS),
    IP("options", NO, INT, GS),
    IP("pktinfo", IP_PKTINFO, BOOL, GS),
    IP("pktoptions", IP_PKTOPTIONS, CMSGS, G),
    IP("recvdstaddr", NO, BOOL, GS),
    IP("recverr", IP_RECVERR, BOOL, GS),
    IP("recvif", NO, BOOL, GS),
    IP("recvopts", IP_RECVOPTS, BOOL, GS),
    IP("recvorigdstaddr", IP_RECVORIGDSTADDR, BOOL, GS),
    IP("recvtos", IP_RECVTOS, BOOL, GS),
    IP("recvttl", IP_RECVTTL, BOOL, GS),
    IP("retopts", IP_RETOPTS, BOOL, GS),
    IP("router_alert", IP_ROUTER_ALERT, INT, GS),
    IP("sendsrcaddr", NO, BOOL, GS),
    IP("tos", IP_TOS, IP_TOS, GS),
    IP("transparent", IP_TRANSPARENT, BOOL, GS),
    IP("ttl", IP_TTL, INT, GS),
    IP("unblock_source", IP_UNBLOCK_SOURCE, IP_MREQ_SOURCE, S),

    IP6("add_membership", IPV6_ADD_MEMBERSHIP, IPV6_MREQ, S),
    IP6("addrform", IPV6_ADDRFORM, DOMAIN, S),
    IP6("auth_level", NO, INT, GS),
    IP6("authhdr", IPV6_AUTHHDR, BOOL, GS),
    IP6("checksum", NO, INT, GS),
    IP6("drop_membership", IPV6_DROP_MEMBERSHIP, IPV6_MREQ, S),
    IP6("dstopts", IPV6_DSTOPTS, BOOL, GS),
    IP6("esp_network_level", NO, INT, GS),
    IP6("esp_trans_level", NO, INT, GS),
    IP6("faith", NO, BOOL, GS),
    IP6("flowinfo", IPV6_FLOWINFO, BOOL, GS),
    IP6("hoplimit", IPV6_HOPLIMIT, BOOL, GS),
    IP6("hopopts", IPV6_HOPOPTS, BOOL, GS),
    IP6("ipcomp_level", NO, INT, GS),
    IP6("join_group", NO, IPV6_MREQ, S),
    IP6("leave_group", NO, IPV6_MREQ, S),
    IP6("mtu", IPV6_MTU, INT, GS),
    IP6("mtu_discover", IPV6_MTU_DISCOVER, IPV6_PMTUDISC, GS),
    IP6("multicast_hops", IPV6_MULTICAST_HOPS, IPV6_HOPS, GS),
    IP6("multicast_if", IPV6_MULTICAST_IF, INT, GS),
    IP6("multicast_loop", IPV6_MULTICAST_LOOP, BOOL, GS),
    IP6("pktinfo", NO, BOOL, GS),
    IP6("pktoptions", NO, CMSGS, G),
    IP6("portrange", NO, INT, GS),
    IP6("recverr", IPV6_RECVERR, BOOL, GS),
    IP6("recvhoplimit", IPV6_RECVHOPLIMIT, BOOL, GS),
    IP6("recvpktinfo", IPV6_RECVPKTINFO, BOOL, GS),
    IP6("recvtclass", IPV6_RECVTCLASS, BOOL, GS),
    IP6("router_alert", IPV6_ROUTER_ALERT, INT, GS),
    IP6("rthdr", IPV6_RTHDR, BOOL, GS),
    IP6("tclass", IPV6_TCLASS, INT, GS),
    IP6("unicast_hops", IPV6_UNICAST_HOPS, IPV6_HOPS, GS),
    IP6("use_min_mtu", NO, BOOL, GS),
    IP6("v6only", IPV6_V6ONLY, BOOL, GS),

    {"tcp", "congestion", IPPROTO_TCP, TCP_CONGESTION, SP_OPT_STRING, GS,
     15 /* TCP_CA_NAME_MAX - 1, as OTP reads it */},
    TCP("cork", TCP_CORK, BOOL, GS),
    TCP("info", NO, INT, G),
    TCP("keepcnt", TCP_KEEPCNT, INT, GS),
    TCP("keepidle", TCP_KEEPIDLE, INT, GS),
    TCP("keepintvl", TCP_KEEPINTVL, INT, GS),
    TCP("maxseg", TCP_MAXSEG, INT, GS),
    TCP("md5sig", NO, INT, GS),
    TCP("nodelay", TCP_NODELAY, BOOL, GS),
    TCP("noopt", NO, BOOL, GS),
    TCP("nopush", NO, BOOL, GS),
    TCP("syncnt", NO, INT, GS),
    TCP("user_timeout", NO, INT, GS),

    UDP("cork", UDP_CORK, BOOL, GS),

    SCTP("adaption_layer", NO, INT, GS),
    SCTP("associnfo", SCTP_ASSOCINFO, SCTP_ASSOCPARAMS, GS),
    SCTP("auth_active_key", NO, INT, GS),
    SCTP("auth_asconf", NO, INT, GS),
    SCTP("auth_chunk", NO, INT, S),
    SCTP("auth_delete_key", NO, INT, S),
    SCTP("auth_key", NO, INT, S),
    SCTP("autoclose", SCTP_AUTOCLOSE, INT, GS),
    SCTP("context", NO, INT, GS),
    SCTP("default_send_params", NO, INT, GS),
    SCTP("delayed_ack_time", NO, INT, GS),
    SCTP("disable_fragments", SCTP_DISABLE_FRAGMENTS, BOOL, GS),
    SCTP("events", SCTP_EVENTS, SCTP_EVENTS, S),
    SCTP("explicit_eor", NO, BOOL, GS),
    SCTP("fragment_interleave", NO, INT, GS),
    SCTP("get_peer_addr_info", NO, INT, G),
    SCTP("hmac_ident", NO, INT, GS),
    SCTP("i_want_mapped_v4_addr", NO, BOOL, GS),
    SCTP("initmsg", SCTP_INITMSG, SCTP_INITMSG, GS),
    SCTP("local_auth_chunks", NO, INT, G),
    SCTP("maxburst", NO, INT, GS),
    SCTP("maxseg", SCTP_MAXSEG, INT, GS),
    SCTP("nodelay", SCTP_NODELAY, BOOL, GS),
    SCTP("partial_delivery_point", NO, INT, GS),
    SCTP("peer_addr_params", NO, INT, GS),
    SCTP("peer_auth_chunks", NO, INT, G),
    SCTP("primary_addr", NO, INT, GS),
    SCTP("reset_streams", NO, INT, S),
    SCTP("rtoinfo", SCTP_RTOINFO, SCTP_RTOINFO, 0 /* OTP 25: listed, refused */),
    SCTP("set_peer_primary_addr", NO, INT, S),
    SCTP("status", NO, INT, G),
    SCTP("use_ext_recvinfo", NO, BOOL, GS),
};

const size_t sp_options_n = N(sp_options);

const struct sp_optconst sp_optconsts[] = {
    {SP_OPT_IP_TOS, "lowdelay", IPTOS_LOWDELAY},
    {SP_OPT_IP_TOS, "throughput", IPTOS_THROUGHPUT},
    {SP_OPT_IP_TOS, "reliability", IPTOS_RELIABILITY},
    {SP_OPT_IP_TOS, "mincost", IPTOS_MINCOST},
    {SP_OPT_IP_PMTUDISC, "dont", IP_PMTUDISC_DONT},
    {SP_OPT_IP_PMTUDISC, "want", IP_PMTUDISC_WANT},
    {SP_OPT_IP_PMTUDISC, "do", IP_PMTUDISC_DO},
    {SP_OPT_IP_PMTUDISC, "probe", IP_PMTUDISC_PROBE},
    {SP_OPT_IPV6_PMTUDISC, "dont", IPV6_PMTUDISC_DONT},
    {SP_OPT_IPV6_PMTUDISC, "want", IPV6_PMTUDISC_WANT},
    {SP_OPT_IPV6_PMTUDISC, "do", IPV6_PMTUDISC_DO},
    {SP_OPT_IPV6_PMTUDISC, "probe", IPV6_PMTUDISC_PROBE},
    {SP_OPT_IP_MSFILTER, "include", MCAST_INCLUDE},
    {SP_OPT_IP_MSFILTER, "exclude", MCAST_EXCLUDE},
};

const size_t sp_optconsts_n = N(sp_optconsts);

const char *sp_optval_name(enum sp_optval t)
{
    static const char *const names[SP_OPT__MAX] = {
        [SP_OPT_BOOL] = "boolean",
        [SP_OPT_INT] = "integer",
        [SP_OPT_LINGER] = "linger",
        [SP_OPT_TIMEVAL] = "timeval",
        [SP_OPT_IN_ADDR] = "in_addr",
        [SP_OPT_IP_MREQ] = "ip_mreq",
        [SP_OPT_IP_MREQ_SOURCE] = "ip_mreq_source",
        [SP_OPT_IP_MSFILTER] = "ip_msfilter",
        [SP_OPT_IPV6_MREQ] = "ipv6_mreq",
        [SP_OPT_IP_TOS] = "ip_tos",
        [SP_OPT_IP_PMTUDISC] = "ip_pmtudisc",
        [SP_OPT_IPV6_PMTUDISC] = "ipv6_pmtudisc",
        [SP_OPT_IPV6_HOPS] = "ipv6_hops",
        [SP_OPT_STRING] = "string",
        [SP_OPT_DOMAIN] = "domain",
        [SP_OPT_CMSGS] = "cmsgs",
        [SP_OPT_SOCK_TYPE] = "sock_type",
        [SP_OPT_SOCK_DOMAIN] = "sock_domain",
        [SP_OPT_SOCK_PROTOCOL] = "sock_protocol",
        [SP_OPT_SCTP_ASSOCPARAMS] = "sctp_assocparams",
        [SP_OPT_SCTP_EVENTS] = "sctp_event_subscribe",
        [SP_OPT_SCTP_INITMSG] = "sctp_initmsg",
        [SP_OPT_SCTP_RTOINFO] = "sctp_rtoinfo",
    };

    return (unsigned)t < SP_OPT__MAX && names[t] ? names[t] : "unknown";
}

/* FNV-1a of level, a NUL, and name. */
static uint32_t option_hash(const char *level, const char *name)
{
    uint32_t h = 2166136261u;

    for (const char *p = level; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h *= 16777619u;
    for (const char *p = name; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    return h;
}

#define OPTION_SLOTS 1024 /* a power of two, over twice the rows */
_Static_assert(2 * N(sp_options) <= OPTION_SLOTS, "option hash too full");

/* A hash table of the rows, open addressing, built at the first lookup:
 * a getopt or setopt looks its option up every time. */
const struct sp_option *sp_option_find(const char *level, const char *name)
{
    static const struct sp_option *slots[OPTION_SLOTS];
    static bool ready;
    const uint32_t mask = OPTION_SLOTS - 1;

    if (!ready) {
        for (size_t i = 0; i < N(sp_options); i++) {
            const struct sp_option *row = &sp_options[i];
            uint32_t h = option_hash(row->level, row->name) & mask;

            while (slots[h] != NULL)
                h = (h + 1) & mask;
            slots[h] = row;
        }
        ready = true;
    }
    for (uint32_t h = option_hash(level, name) & mask; slots[h] != NULL;
         h = (h + 1) & mask) {
        if (strcmp(slots[h]->name, name) == 0 &&
            strcmp(slots[h]->level, level) == 0)
            return slots[h];
    }
    return NULL;
}
