/* The protocol's declarative tables: errno names, domains, socket types,
 * protocols, message flags and socket options, one row per thing, plus
 * their lookups. The daemon, the generated Erlang module
 * (sockport_tables.erl, written by gen_erl) and supports/0..2 read these
 * same rows. Where Linux and OTP 25 disagree, the rows follow OTP, because
 * sockport must answer what `socket` answers: errno names are those of
 * erts' erl_errno_id() (ENOTSUP == EOPNOTSUPP is "enotsup", EWOULDBLOCK is
 * "eagain", and the Linux errnos OTP has no name for are "unknown");
 * protocols are the names getprotoent() gives OTP on Debian (netbase's
 * /etc/protocols, aliases included); message flags are exactly those
 * socket:supports(msg_flags) lists on Linux (OTP 25 refuses waitall). */
#include "sp_tables.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>

#define N(t) (sizeof(t) / sizeof((t)[0]))

struct errno_row {
    int value;
    const char *name;
    bool otp; /* erl_errno_id() knows it; otherwise OTP says "unknown" */
};

/* Numeric order; the first row of a value names it, so the aliases
 * (EWOULDBLOCK, EDEADLOCK, EOPNOTSUPP) come last. */
static const struct errno_row errnos[] = {
#ifdef EPERM
    {EPERM, "eperm", true},
#endif
#ifdef ENOENT
    {ENOENT, "enoent", true},
#endif
#ifdef ESRCH
    {ESRCH, "esrch", true},
#endif
#ifdef EINTR
    {EINTR, "eintr", true},
#endif
#ifdef EIO
    {EIO, "eio", true},
#endif
#ifdef ENXIO
    {ENXIO, "enxio", true},
#endif
#ifdef E2BIG
    {E2BIG, "e2big", true},
#endif
#ifdef ENOEXEC
    {ENOEXEC, "enoexec", true},
#endif
#ifdef EBADF
    {EBADF, "ebadf", true},
#endif
#ifdef ECHILD
    {ECHILD, "echild", true},
#endif
#ifdef EAGAIN
    {EAGAIN, "eagain", true},
#endif
#ifdef ENOMEM
    {ENOMEM, "enomem", true},
#endif
#ifdef EACCES
    {EACCES, "eacces", true},
#endif
#ifdef EFAULT
    {EFAULT, "efault", true},
#endif
#ifdef ENOTBLK
    {ENOTBLK, "enotblk", true},
#endif
#ifdef EBUSY
    {EBUSY, "ebusy", true},
#endif
#ifdef EEXIST
    {EEXIST, "eexist", true},
#endif
#ifdef EXDEV
    {EXDEV, "exdev", true},
#endif
#ifdef ENODEV
    {ENODEV, "enodev", true},
#endif
#ifdef ENOTDIR
    {ENOTDIR, "enotdir", true},
#endif
#ifdef EISDIR
    {EISDIR, "eisdir", true},
#endif
#ifdef EINVAL
    {EINVAL, "einval", true},
#endif
#ifdef ENFILE
    {ENFILE, "enfile", true},
#endif
#ifdef EMFILE
    {EMFILE, "emfile", true},
#endif
#ifdef ENOTTY
    {ENOTTY, "enotty", true},
#endif
#ifdef ETXTBSY
    {ETXTBSY, "etxtbsy", true},
#endif
#ifdef EFBIG
    {EFBIG, "efbig", true},
#endif
#ifdef ENOSPC
    {ENOSPC, "enospc", true},
#endif
#ifdef ESPIPE
    {ESPIPE, "espipe", true},
#endif
#ifdef EROFS
    {EROFS, "erofs", true},
#endif
#ifdef EMLINK
    {EMLINK, "emlink", true},
#endif
#ifdef EPIPE
    {EPIPE, "epipe", true},
#endif
#ifdef EDOM
    {EDOM, "edom", true},
#endif
#ifdef ERANGE
    {ERANGE, "erange", true},
#endif
#ifdef EDEADLK
    {EDEADLK, "edeadlk", true},
#endif
#ifdef ENAMETOOLONG
    {ENAMETOOLONG, "enametoolong", true},
#endif
#ifdef ENOLCK
    {ENOLCK, "enolck", true},
#endif
#ifdef ENOSYS
    {ENOSYS, "enosys", true},
#endif
#ifdef ENOTEMPTY
    {ENOTEMPTY, "enotempty", true},
#endif
#ifdef ELOOP
    {ELOOP, "eloop", true},
#endif
#ifdef ENOMSG
    {ENOMSG, "enomsg", true},
#endif
#ifdef EIDRM
    {EIDRM, "eidrm", true},
#endif
#ifdef ECHRNG
    {ECHRNG, "echrng", true},
#endif
#ifdef EL2NSYNC
    {EL2NSYNC, "el2nsync", true},
#endif
#ifdef EL3HLT
    {EL3HLT, "el3hlt", true},
#endif
#ifdef EL3RST
    {EL3RST, "el3rst", true},
#endif
#ifdef ELNRNG
    {ELNRNG, "elnrng", true},
#endif
#ifdef EUNATCH
    {EUNATCH, "eunatch", true},
#endif
#ifdef ENOCSI
    {ENOCSI, "enocsi", true},
#endif
#ifdef EL2HLT
    {EL2HLT, "el2hlt", true},
#endif
#ifdef EBADE
    {EBADE, "ebade", true},
#endif
#ifdef EBADR
    {EBADR, "ebadr", true},
#endif
#ifdef EXFULL
    {EXFULL, "exfull", true},
#endif
#ifdef ENOANO
    {ENOANO, "enoano", true},
#endif
#ifdef EBADRQC
    {EBADRQC, "ebadrqc", true},
#endif
#ifdef EBADSLT
    {EBADSLT, "ebadslt", true},
#endif
#ifdef EBFONT
    {EBFONT, "ebfont", true},
#endif
#ifdef ENOSTR
    {ENOSTR, "enostr", true},
#endif
#ifdef ENODATA
    {ENODATA, "enodata", true},
#endif
#ifdef ETIME
    {ETIME, "etime", true},
#endif
#ifdef ENOSR
    {ENOSR, "enosr", true},
#endif
#ifdef ENONET
    {ENONET, "enonet", true},
#endif
#ifdef ENOPKG
    {ENOPKG, "enopkg", true},
#endif
#ifdef EREMOTE
    {EREMOTE, "eremote", true},
#endif
#ifdef ENOLINK
    {ENOLINK, "enolink", true},
#endif
#ifdef EADV
    {EADV, "eadv", true},
#endif
#ifdef ESRMNT
    {ESRMNT, "esrmnt", true},
#endif
#ifdef ECOMM
    {ECOMM, "ecomm", true},
#endif
#ifdef EPROTO
    {EPROTO, "eproto", true},
#endif
#ifdef EMULTIHOP
    {EMULTIHOP, "emultihop", true},
#endif
#ifdef EDOTDOT
    {EDOTDOT, "edotdot", true},
#endif
#ifdef EBADMSG
    {EBADMSG, "ebadmsg", true},
#endif
#ifdef EOVERFLOW
    {EOVERFLOW, "eoverflow", true},
#endif
#ifdef ENOTUNIQ
    {ENOTUNIQ, "enotuniq", true},
#endif
#ifdef EBADFD
    {EBADFD, "ebadfd", true},
#endif
#ifdef EREMCHG
    {EREMCHG, "eremchg", true},
#endif
#ifdef ELIBACC
    {ELIBACC, "elibacc", true},
#endif
#ifdef ELIBBAD
    {ELIBBAD, "elibbad", true},
#endif
#ifdef ELIBSCN
    {ELIBSCN, "elibscn", true},
#endif
#ifdef ELIBMAX
    {ELIBMAX, "elibmax", true},
#endif
#ifdef ELIBEXEC
    {ELIBEXEC, "elibexec", true},
#endif
#ifdef EILSEQ
    {EILSEQ, "eilseq", true},
#endif
#ifdef ERESTART
    {ERESTART, "erestart", false},
#endif
#ifdef ESTRPIPE
    {ESTRPIPE, "estrpipe", false},
#endif
#ifdef EUSERS
    {EUSERS, "eusers", true},
#endif
#ifdef ENOTSOCK
    {ENOTSOCK, "enotsock", true},
#endif
#ifdef EDESTADDRREQ
    {EDESTADDRREQ, "edestaddrreq", true},
#endif
#ifdef EMSGSIZE
    {EMSGSIZE, "emsgsize", true},
#endif
#ifdef EPROTOTYPE
    {EPROTOTYPE, "eprototype", true},
#endif
#ifdef ENOPROTOOPT
    {ENOPROTOOPT, "enoprotoopt", true},
#endif
#ifdef EPROTONOSUPPORT
    {EPROTONOSUPPORT, "eprotonosupport", true},
#endif
#ifdef ESOCKTNOSUPPORT
    {ESOCKTNOSUPPORT, "esocktnosupport", true},
#endif
#ifdef ENOTSUP
    {ENOTSUP, "enotsup", true},
#endif
#ifdef EPFNOSUPPORT
    {EPFNOSUPPORT, "epfnosupport", true},
#endif
#ifdef EAFNOSUPPORT
    {EAFNOSUPPORT, "eafnosupport", true},
#endif
#ifdef EADDRINUSE
    {EADDRINUSE, "eaddrinuse", true},
#endif
#ifdef EADDRNOTAVAIL
    {EADDRNOTAVAIL, "eaddrnotavail", true},
#endif
#ifdef ENETDOWN
    {ENETDOWN, "enetdown", true},
#endif
#ifdef ENETUNREACH
    {ENETUNREACH, "enetunreach", true},
#endif
#ifdef ENETRESET
    {ENETRESET, "enetreset", true},
#endif
#ifdef ECONNABORTED
    {ECONNABORTED, "econnaborted", true},
#endif
#ifdef ECONNRESET
    {ECONNRESET, "econnreset", true},
#endif
#ifdef ENOBUFS
    {ENOBUFS, "enobufs", true},
#endif
#ifdef EISCONN
    {EISCONN, "eisconn", true},
#endif
#ifdef ENOTCONN
    {ENOTCONN, "enotconn", true},
#endif
#ifdef ESHUTDOWN
    {ESHUTDOWN, "eshutdown", true},
#endif
#ifdef ETOOMANYREFS
    {ETOOMANYREFS, "etoomanyrefs", true},
#endif
#ifdef ETIMEDOUT
    {ETIMEDOUT, "etimedout", true},
#endif
#ifdef ECONNREFUSED
    {ECONNREFUSED, "econnrefused", true},
#endif
#ifdef EHOSTDOWN
    {EHOSTDOWN, "ehostdown", true},
#endif
#ifdef EHOSTUNREACH
    {EHOSTUNREACH, "ehostunreach", true},
#endif
#ifdef EALREADY
    {EALREADY, "ealready", true},
#endif
#ifdef EINPROGRESS
    {EINPROGRESS, "einprogress", true},
#endif
#ifdef ESTALE
    {ESTALE, "estale", true},
#endif
#ifdef EUCLEAN
    {EUCLEAN, "euclean", true},
#endif
#ifdef ENOTNAM
    {ENOTNAM, "enotnam", true},
#endif
#ifdef ENAVAIL
    {ENAVAIL, "enavail", true},
#endif
#ifdef EISNAM
    {EISNAM, "eisnam", false},
#endif
#ifdef EREMOTEIO
    {EREMOTEIO, "eremoteio", true},
#endif
#ifdef EDQUOT
    {EDQUOT, "edquot", true},
#endif
#ifdef ENOMEDIUM
    {ENOMEDIUM, "enomedium", false},
#endif
#ifdef EMEDIUMTYPE
    {EMEDIUMTYPE, "emediumtype", false},
#endif
#ifdef ECANCELED
    {ECANCELED, "ecanceled", false},
#endif
#ifdef ENOKEY
    {ENOKEY, "enokey", false},
#endif
#ifdef EKEYEXPIRED
    {EKEYEXPIRED, "ekeyexpired", false},
#endif
#ifdef EKEYREVOKED
    {EKEYREVOKED, "ekeyrevoked", false},
#endif
#ifdef EKEYREJECTED
    {EKEYREJECTED, "ekeyrejected", false},
#endif
#ifdef EOWNERDEAD
    {EOWNERDEAD, "eownerdead", false},
#endif
#ifdef ENOTRECOVERABLE
    {ENOTRECOVERABLE, "enotrecoverable", false},
#endif
#ifdef ERFKILL
    {ERFKILL, "erfkill", false},
#endif
#ifdef EHWPOISON
    {EHWPOISON, "ehwpoison", false},
#endif
#ifdef EWOULDBLOCK
    {EWOULDBLOCK, "ewouldblock", true},
#endif
#ifdef EDEADLOCK
    {EDEADLOCK, "edeadlock", true},
#endif
#ifdef EOPNOTSUPP
    {EOPNOTSUPP, "eopnotsupp", true},
#endif
};

const char *sp_errno_name(int err)
{
    for (size_t i = 0; i < N(errnos); i++)
        if (errnos[i].value == err)
            return errnos[i].otp ? errnos[i].name : "unknown";
    return "unknown";
}

const struct sp_name sp_domains[] = {
    {"inet", AF_INET},
    {"inet6", AF_INET6},
    {"local", AF_UNIX},
    {"unspec", AF_UNSPEC},
};

const struct sp_name sp_types[] = {
    {"stream", SOCK_STREAM},
    {"dgram", SOCK_DGRAM},
    {"raw", SOCK_RAW},
    {"rdm", SOCK_RDM},
    {"seqpacket", SOCK_SEQPACKET},
};

/* IANA numbers under netbase's names; "ip" precedes "default" so that
 * protocol 0 is named ip. */
const struct sp_name sp_protocols[] = {
    {"ip", IPPROTO_IP},
    {"default", 0},
    {"IP", IPPROTO_IP},
    {"hopopt", IPPROTO_IP},
    {"HOPOPT", IPPROTO_IP},
    {"icmp", IPPROTO_ICMP},
    {"ICMP", IPPROTO_ICMP},
    {"igmp", IPPROTO_IGMP},
    {"IGMP", IPPROTO_IGMP},
    {"ggp", 3},
    {"GGP", 3},
    {"ipencap", IPPROTO_IPIP},
    {"IP-ENCAP", IPPROTO_IPIP},
    {"st", 5},
    {"ST", 5},
    {"tcp", IPPROTO_TCP},
    {"TCP", IPPROTO_TCP},
    {"egp", IPPROTO_EGP},
    {"EGP", IPPROTO_EGP},
    {"igp", 9},
    {"IGP", 9},
    {"pup", IPPROTO_PUP},
    {"PUP", IPPROTO_PUP},
    {"udp", IPPROTO_UDP},
    {"UDP", IPPROTO_UDP},
    {"hmp", 20},
    {"HMP", 20},
    {"xns-idp", IPPROTO_IDP},
    {"XNS-IDP", IPPROTO_IDP},
    {"rdp", 27},
    {"RDP", 27},
    {"iso-tp4", IPPROTO_TP},
    {"ISO-TP4", IPPROTO_TP},
    {"dccp", IPPROTO_DCCP},
    {"DCCP", IPPROTO_DCCP},
    {"xtp", 36},
    {"XTP", 36},
    {"ddp", 37},
    {"DDP", 37},
    {"idpr-cmtp", 38},
    {"IDPR-CMTP", 38},
    {"ipv6", IPPROTO_IPV6},
    {"IPv6", IPPROTO_IPV6},
    {"ipv6-route", IPPROTO_ROUTING},
    {"IPv6-Route", IPPROTO_ROUTING},
    {"ipv6-frag", IPPROTO_FRAGMENT},
    {"IPv6-Frag", IPPROTO_FRAGMENT},
    {"idrp", 45},
    {"IDRP", 45},
    {"rsvp", IPPROTO_RSVP},
    {"RSVP", IPPROTO_RSVP},
    {"gre", IPPROTO_GRE},
    {"GRE", IPPROTO_GRE},
    {"esp", IPPROTO_ESP},
    {"IPSEC-ESP", IPPROTO_ESP},
    {"ah", IPPROTO_AH},
    {"IPSEC-AH", IPPROTO_AH},
    {"skip", 57},
    {"SKIP", 57},
    {"ipv6-icmp", IPPROTO_ICMPV6},
    {"IPv6-ICMP", IPPROTO_ICMPV6},
    {"ipv6-nonxt", IPPROTO_NONE},
    {"IPv6-NoNxt", IPPROTO_NONE},
    {"ipv6-opts", IPPROTO_DSTOPTS},
    {"IPv6-Opts", IPPROTO_DSTOPTS},
    {"rspf", 73},
    {"RSPF", 73},
    {"CPHB", 73},
    {"vmtp", 81},
    {"VMTP", 81},
    {"eigrp", 88},
    {"EIGRP", 88},
    {"ospf", 89},
    {"OSPFIGP", 89},
    {"ax.25", 93},
    {"AX.25", 93},
    {"ipip", 94},
    {"IPIP", 94},
    {"etherip", 97},
    {"ETHERIP", 97},
    {"encap", IPPROTO_ENCAP},
    {"ENCAP", IPPROTO_ENCAP},
    {"pim", IPPROTO_PIM},
    {"PIM", IPPROTO_PIM},
    {"ipcomp", IPPROTO_COMP},
    {"IPCOMP", IPPROTO_COMP},
    {"vrrp", 112},
    {"VRRP", 112},
    {"l2tp", 115},
    {"L2TP", 115},
    {"isis", 124},
    {"ISIS", 124},
    {"sctp", IPPROTO_SCTP},
    {"SCTP", IPPROTO_SCTP},
    {"fc", 133},
    {"FC", 133},
    {"mobility-header", IPPROTO_MH},
    {"Mobility-Header", IPPROTO_MH},
    {"udplite", IPPROTO_UDPLITE},
    {"UDPLite", IPPROTO_UDPLITE},
    {"mpls-in-ip", IPPROTO_MPLS},
    {"MPLS-in-IP", IPPROTO_MPLS},
    {"manet", 138},
    {"hip", 139},
    {"HIP", 139},
    {"shim6", 140},
    {"Shim6", 140},
    {"wesp", 141},
    {"WESP", 141},
    {"rohc", 142},
    {"ROHC", 142},
    {"ethernet", IPPROTO_ETHERNET},
    {"Ethernet", IPPROTO_ETHERNET},
    {"mptcp", IPPROTO_MPTCP},
    {"MPTCP", IPPROTO_MPTCP},
};

const struct sp_name sp_msg_flags[] = {
    {"cmsg_cloexec", MSG_CMSG_CLOEXEC},
    {"confirm", MSG_CONFIRM},
    {"ctrunc", MSG_CTRUNC},
    {"dontroute", MSG_DONTROUTE},
    {"eor", MSG_EOR},
    {"errqueue", MSG_ERRQUEUE},
    {"more", MSG_MORE},
    {"nosignal", MSG_NOSIGNAL},
    {"oob", MSG_OOB},
    {"peek", MSG_PEEK},
    {"trunc", MSG_TRUNC},
};

const size_t sp_domains_n = N(sp_domains);
const size_t sp_types_n = N(sp_types);
const size_t sp_protocols_n = N(sp_protocols);
const size_t sp_msg_flags_n = N(sp_msg_flags);

int sp_name_lookup(const struct sp_name *t, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, name) == 0)
            return t[i].value;
    return -1;
}

const char *sp_name_of(const struct sp_name *t, size_t n, int value)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].value == value)
            return t[i].name;
    return NULL;
}
