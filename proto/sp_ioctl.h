/* The ioctl tables: one row per ioctl request sockport serves (its name,
 * the C request, the shape of its arguments and of its value), the
 * interface flags of gifflags/sifflags, and the hardware address types of
 * gifhwaddr. The daemon's handler (daemon/cmd_ioctl.c), the generated
 * Erlang module and supports(ioctl_requests | ioctl_flags) read these
 * same rows. */
#ifndef SP_IOCTL_H
#define SP_IOCTL_H

#include <stddef.h>

#include "sp_tables.h"

/* What follows the request on the wire (PROTOCOL.md, IOCTL). */
enum sp_ioctl_arg {
    SP_IOA_NONE,       /* ioctl/2 (and tcp_info's version 0) */
    SP_IOA_INDEX,      /* an interface index */
    SP_IOA_NAME,       /* an interface name */
    SP_IOA_NAME_VALUE, /* an interface name and the value to set */
    SP_IOA__MAX
};

/* How the request is made and what it answers. */
enum sp_ioctl_val {
    SP_IOV_IFCONF,   /* [{Name, Addr}] of every configured interface */
    SP_IOV_INT,      /* ioctl(fd, req, &int): an integer */
    SP_IOV_BOOL,     /* ioctl(fd, req, &int): a boolean */
    SP_IOV_NSPACE,   /* SO_SNDBUF less what SIOCOUTQ says is queued */
    SP_IOV_TCP_INFO, /* getsockopt TCP_INFO: [{Key, Value}] */
    SP_IOV_IFNAME,   /* ifr_name of an index: a binary */
    SP_IOV_IFINT,    /* ifr_ifindex, ifr_mtu, ifr_qlen: an integer */
    SP_IOV_IFADDR,   /* ifr_addr and its union siblings: an address */
    SP_IOV_IFHWADDR, /* ifr_hwaddr: {Family, SaData} */
    SP_IOV_IFFLAGS,  /* ifr_flags: an integer */
    SP_IOV_IFMAP,    /* ifr_map: a 6-tuple */
    SP_IOV_SETFLAGS, /* read ifr_flags, set and clear bits, write back */
    SP_IOV_SETADDR,  /* an address into ifr_addr */
    SP_IOV_SETINT,   /* an int into ifr_mtu or ifr_qlen */
    SP_IOV__MAX
};

struct sp_ioctl {
    const char *name;       /* gifconf, nread, ... (the request atom) */
    unsigned long req;      /* SIOCGIFCONF, ...; 0 when not an ioctl */
    enum sp_ioctl_arg arg;
    enum sp_ioctl_val val;
    const char *invalid;    /* set requests: What of {invalid, What} */
};

extern const struct sp_ioctl sp_ioctls[];
extern const size_t sp_ioctls_n;

/* Interface flags in OTP's order (gifflags lists them in this order);
 * a flag Linux lacks has the value 0 and is reported unsupported. */
extern const struct sp_name sp_ioctl_flags[];
extern const size_t sp_ioctl_flags_n;

/* ARPHRD_* types that gifhwaddr names (others are integers). */
extern const struct sp_name sp_hatypes[];
extern const size_t sp_hatypes_n;

/* The row for a request name, or NULL. */
const struct sp_ioctl *sp_ioctl_find(const char *name);
/* The names gen_erl writes for the Erlang side. */
const char *sp_ioctl_arg_name(enum sp_ioctl_arg a);
const char *sp_ioctl_val_name(enum sp_ioctl_val v);

#endif
