/* The declarative tables of the protocol: errno names, domains, types,
 * protocols, message flags and socket options. One row per thing; encode,
 * decode, the generated Erlang module and supports/0..2 all read them. */
#ifndef SP_TABLES_H
#define SP_TABLES_H

#include <stddef.h>

struct sp_name {
    const char *name;
    int value;
};

/* Lower-case posix atom for an errno value ("econnrefused"), or "unknown". */
const char *sp_errno_name(int err);

extern const struct sp_name sp_domains[];   /* inet, inet6, local, unspec */
extern const struct sp_name sp_types[];     /* stream, dgram, raw, rdm, seqpacket */
extern const struct sp_name sp_protocols[]; /* default, ip, ipv6, tcp, udp, ... */
extern const struct sp_name sp_msg_flags[]; /* peek, oob, ... */
extern const size_t sp_domains_n, sp_types_n, sp_protocols_n, sp_msg_flags_n;

/* Value of `name` in a table, or -1. */
int sp_name_lookup(const struct sp_name *t, size_t n, const char *name);
/* Name of `value` in a table, or NULL. */
const char *sp_name_of(const struct sp_name *t, size_t n, int value);

/* The value type of a socket option: how the VM checks and converts the
 * Erlang value and which codec the daemon uses (PROTOCOL.md, "Option
 * values"). One codec per type, never per option. */
enum sp_optval {
    SP_OPT_BOOL,         /* boolean() */
    SP_OPT_INT,          /* integer() (a C int) */
    SP_OPT_LINGER,       /* abort | linger() */
    SP_OPT_TIMEVAL,      /* timeval() */
    SP_OPT_IN_ADDR,      /* any | loopback | broadcast | in_addr() */
    SP_OPT_IP_MREQ,      /* ip_mreq() */
    SP_OPT_IP_MREQ_SOURCE, /* ip_mreq_source() */
    SP_OPT_IP_MSFILTER,  /* null | ip_msfilter() */
    SP_OPT_IPV6_MREQ,    /* ipv6_mreq() */
    SP_OPT_IP_TOS,       /* ip_tos() | integer() */
    SP_OPT_IP_PMTUDISC,  /* ip_pmtudisc() | integer() */
    SP_OPT_IPV6_PMTUDISC, /* ipv6_pmtudisc() | integer() */
    SP_OPT_IPV6_HOPS,    /* default | 0..255 */
    SP_OPT_STRING,       /* string() of at most `size` bytes read back */
    SP_OPT_DOMAIN,       /* domain() | integer() (ipv6 addrform) */
    SP_OPT_CMSGS,        /* [cmsg_recv()] (ip pktoptions) */
    SP_OPT_SOCK_TYPE,    /* the socket's type(), get only */
    SP_OPT_SOCK_DOMAIN,  /* the socket's domain(), get only */
    SP_OPT_SOCK_PROTOCOL, /* the socket's protocol(), get only */
    SP_OPT_SCTP_ASSOCPARAMS, /* sctp_assocparams() (bytes on the wire) */
    SP_OPT_SCTP_EVENTS,  /* sctp_event_subscribe() (bytes on the wire) */
    SP_OPT_SCTP_INITMSG, /* sctp_initmsg() (bytes on the wire) */
    SP_OPT_SCTP_RTOINFO, /* sctp_rtoinfo() (bytes on the wire) */
    SP_OPT__MAX
};

#define SP_OPT_GET 1
#define SP_OPT_SET 2
#define SP_OPT_HIDE 4 /* works, but supports/is_supported say false (OTP) */

/* An option this build does not have: OTP knows the name, but
 * getopt/setopt answer {invalid, {socket_option, Opt}}. */
#define SP_OPT_NONE (-1)

struct sp_option {
    const char *level; /* socket | ip | ipv6 | tcp | udp | sctp */
    const char *name;  /* reuseaddr, ... */
    int c_level;       /* SOL_SOCKET, IPPROTO_IP, ... */
    int c_name;        /* SO_REUSEADDR, ...; SP_OPT_NONE if absent */
    enum sp_optval type;
    int access;        /* SP_OPT_GET | SP_OPT_SET | SP_OPT_HIDE */
    int size;          /* bytes getsockopt reads (SP_OPT_STRING), or 0 */
};

extern const struct sp_option sp_options[];
extern const size_t sp_options_n;

/* Named constants of option values (ip_tos(), ip_pmtudisc(), ...). */
struct sp_optconst {
    enum sp_optval type;
    const char *name;
    int value;
};

extern const struct sp_optconst sp_optconsts[];
extern const size_t sp_optconsts_n;

/* The name of a value type ("boolean", "linger", ...). */
const char *sp_optval_name(enum sp_optval t);

/* The row for level/name, or NULL. */
const struct sp_option *sp_option_find(const char *level, const char *name);

#endif
