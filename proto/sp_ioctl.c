/* The ioctl tables (see sp_ioctl.h). The requests are those of the seed
 * (gifconf, nread, nwrite, nspace, atmark, tcp_info and the interface
 * get and set requests) plus gifmap, which OTP 25 has. Linux has no
 * FIONWRITE or FIONSPACE: nwrite is SIOCOUTQ (bytes in the send queue)
 * and nspace is SO_SNDBUF less that. The rcvall requests are Windows
 * only and have no row, as in OTP on Linux. */
#include "sp_ioctl.h"

#include <net/if.h>
#include <net/if_arp.h>
#include <string.h>
#include <sys/ioctl.h>

#define N(t) (sizeof(t) / sizeof((t)[0]))

/* <linux/if.h> flags that glibc's <net/if.h> leaves out. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#ifndef IFF_DORMANT
#define IFF_DORMANT 0x20000
#endif
#ifndef IFF_ECHO
#define IFF_ECHO 0x40000
#endif

/* <linux/sockios.h>: SIOCOUTQ is TIOCOUTQ. */
#ifndef SIOCOUTQ
#define SIOCOUTQ TIOCOUTQ
#endif

#define GET(name, req, val) {name, req, SP_IOA_NAME, SP_IOV_##val, NULL}
#define SET(name, req, val, what) \
    {name, req, SP_IOA_NAME_VALUE, SP_IOV_##val, what}

const struct sp_ioctl sp_ioctls[] = {
    {"gifconf", SIOCGIFCONF, SP_IOA_NONE, SP_IOV_IFCONF, NULL},
    {"nread", FIONREAD, SP_IOA_NONE, SP_IOV_INT, NULL},
    {"nwrite", SIOCOUTQ, SP_IOA_NONE, SP_IOV_INT, NULL},
    {"nspace", SIOCOUTQ, SP_IOA_NONE, SP_IOV_NSPACE, NULL},
    {"atmark", SIOCATMARK, SP_IOA_NONE, SP_IOV_BOOL, NULL},
    {"tcp_info", 0, SP_IOA_NONE, SP_IOV_TCP_INFO, NULL},
    {"gifname", SIOCGIFNAME, SP_IOA_INDEX, SP_IOV_IFNAME, NULL},
    GET("gifindex", SIOCGIFINDEX, IFINT),
    GET("gifaddr", SIOCGIFADDR, IFADDR),
    GET("gifdstaddr", SIOCGIFDSTADDR, IFADDR),
    GET("gifbrdaddr", SIOCGIFBRDADDR, IFADDR),
    GET("gifnetmask", SIOCGIFNETMASK, IFADDR),
    GET("gifhwaddr", SIOCGIFHWADDR, IFHWADDR),
    GET("gifmtu", SIOCGIFMTU, IFINT),
    GET("giftxqlen", SIOCGIFTXQLEN, IFINT),
    GET("gifflags", SIOCGIFFLAGS, IFFLAGS),
    GET("gifmap", SIOCGIFMAP, IFMAP),
    SET("sifflags", SIOCSIFFLAGS, SETFLAGS, NULL),
    SET("sifaddr", SIOCSIFADDR, SETADDR, "sockaddr"),
    SET("sifdstaddr", SIOCSIFDSTADDR, SETADDR, "sockaddr"),
    SET("sifbrdaddr", SIOCSIFBRDADDR, SETADDR, "sockaddr"),
    SET("sifnetmask", SIOCSIFNETMASK, SETADDR, "sockaddr"),
    SET("sifmtu", SIOCSIFMTU, SETINT, "mtu"),
    SET("siftxqlen", SIOCSIFTXQLEN, SETINT, "txqlen"),
};

const size_t sp_ioctls_n = N(sp_ioctls);

/* OTP's order, which gifflags keeps. */
const struct sp_name sp_ioctl_flags[] = {
    {"up", IFF_UP},
    {"broadcast", IFF_BROADCAST},
    {"debug", IFF_DEBUG},
    {"loopback", IFF_LOOPBACK},
    {"pointopoint", IFF_POINTOPOINT},
    {"notrailers", IFF_NOTRAILERS},
    {"knowsepoch", 0},
    {"running", IFF_RUNNING},
    {"noarp", IFF_NOARP},
    {"promisc", IFF_PROMISC},
    {"allmulti", IFF_ALLMULTI},
    {"master", IFF_MASTER},
    {"oactive", 0},
    {"slave", IFF_SLAVE},
    {"simplex", 0},
    {"link0", 0},
    {"link1", 0},
    {"link2", 0},
    {"multicast", IFF_MULTICAST},
    {"portsel", IFF_PORTSEL},
    {"automedia", IFF_AUTOMEDIA},
    {"cantconfig", 0},
    {"ppromisc", 0},
    {"dynamic", IFF_DYNAMIC},
    {"monitor", 0},
    {"staticarp", 0},
    {"dying", 0},
    {"renaming", 0},
    {"nogroup", 0},
    {"lower_up", IFF_LOWER_UP},
    {"dormant", IFF_DORMANT},
    {"echo", IFF_ECHO},
};

const size_t sp_ioctl_flags_n = N(sp_ioctl_flags);

const struct sp_name sp_hatypes[] = {
    {"netrom", ARPHRD_NETROM},
    {"ether", ARPHRD_ETHER},
    {"ieee802", ARPHRD_IEEE802},
    {"dlci", ARPHRD_DLCI},
    {"ieee1394", ARPHRD_IEEE1394},
    {"loopback", ARPHRD_LOOPBACK},
    {"none", ARPHRD_NONE},
};

const size_t sp_hatypes_n = N(sp_hatypes);

const struct sp_ioctl *sp_ioctl_find(const char *name)
{
    for (size_t i = 0; i < sp_ioctls_n; i++)
        if (strcmp(sp_ioctls[i].name, name) == 0)
            return &sp_ioctls[i];
    return NULL;
}

const char *sp_ioctl_arg_name(enum sp_ioctl_arg a)
{
    static const char *const names[SP_IOA__MAX] = {
        [SP_IOA_NONE] = "none",
        [SP_IOA_INDEX] = "index",
        [SP_IOA_NAME] = "name",
        [SP_IOA_NAME_VALUE] = "name_value",
    };
    return (unsigned)a < SP_IOA__MAX ? names[a] : "unknown";
}

const char *sp_ioctl_val_name(enum sp_ioctl_val v)
{
    static const char *const names[SP_IOV__MAX] = {
        [SP_IOV_IFCONF] = "ifconf",
        [SP_IOV_INT] = "int",
        [SP_IOV_BOOL] = "bool",
        [SP_IOV_NSPACE] = "int",
        [SP_IOV_TCP_INFO] = "tcp_info",
        [SP_IOV_IFNAME] = "name",
        [SP_IOV_IFINT] = "int",
        [SP_IOV_IFADDR] = "addr",
        [SP_IOV_IFHWADDR] = "hwaddr",
        [SP_IOV_IFFLAGS] = "flags",
        [SP_IOV_IFMAP] = "ifmap",
        [SP_IOV_SETFLAGS] = "flags",
        [SP_IOV_SETADDR] = "addr",
        [SP_IOV_SETINT] = "int",
    };
    return (unsigned)v < SP_IOV__MAX ? names[v] : "unknown";
}
