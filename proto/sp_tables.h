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

enum sp_optval {
    SP_OPT_BOOL,  /* boolean() <-> int 0/1 */
    SP_OPT_INT,   /* integer() <-> int */
};

#define SP_OPT_GET 1
#define SP_OPT_SET 2

struct sp_option {
    const char *level; /* socket | ip | ipv6 | tcp | udp */
    const char *name;  /* reuseaddr, ... */
    int c_level;       /* SOL_SOCKET, IPPROTO_IP, ... */
    int c_name;        /* SO_REUSEADDR, ... */
    enum sp_optval type;
    int access;        /* SP_OPT_GET | SP_OPT_SET */
};

extern const struct sp_option sp_options[];
extern const size_t sp_options_n;

/* The row for level/name, or NULL. */
const struct sp_option *sp_option_find(const char *level, const char *name);

#endif
