/* Socket addresses between the wire terms of PROTOCOL.md and struct
 * sockaddr: {inet, {A,B,C,D}, Port}, {inet6, {8 x 16 bits}, Port, FlowInfo,
 * ScopeId}, {local, Path}, {unspec, Bytes}, {native, Family, Bytes} and the
 * atoms any | loopback | broadcast going in; the same, {packet, ...}
 * (sockaddr_ll) and a bare binary coming out. Each family is one row of a
 * decode table (tag, arity, decoder) and one row of an encode table (AF_*,
 * encoder). The edge cases follow what OTP's socket does on Linux: an
 * empty local path is the unnamed address (bind autobinds), a leading 0
 * byte is an abstract name, a local path is passed to the kernel as given
 * (OTP does not reject an embedded NUL; the kernel stops at it), an
 * address the kernel returns with length 0 (an unbound unix dgram sender)
 * is {unspec, <<>>}, one too short for its family or of a family without
 * a row is {native, Family, SaDataBytes}, and one too short to hold even
 * its family is the binary of its bytes. */
#include "sp_addr.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>

#include "sp_tables.h"

#define SUN_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)
#define SA_DATA_OFF offsetof(struct sockaddr, sa_data)

/* Decodes the elements after the family atom. */
typedef int (*addr_dec_fn)(struct sp_dec *d, struct sp_addr *a);

static int dec_port(struct sp_dec *d, in_port_t *port)
{
    long v;

    if (sp_dec_range(d, 0, 65535, &v) < 0)
        return -1;
    *port = htons((uint16_t)v);
    return 0;
}

static int dec_inet(struct sp_dec *d, struct sp_addr *a)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
    unsigned char *b = (unsigned char *)&sin->sin_addr;
    long v;

    if (sp_dec_tuple_n(d, 4) < 0)
        return -1;
    for (int i = 0; i < 4; i++) {
        if (sp_dec_range(d, 0, 255, &v) < 0)
            return -1;
        b[i] = (unsigned char)v;
    }
    if (dec_port(d, &sin->sin_port) < 0)
        return -1;
    sin->sin_family = AF_INET;
    a->len = sizeof *sin;
    return 0;
}

static int dec_inet6(struct sp_dec *d, struct sp_addr *a)
{
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;
    unsigned char *b = sin6->sin6_addr.s6_addr;
    long v;

    if (sp_dec_tuple_n(d, 8) < 0)
        return -1;
    for (int i = 0; i < 8; i++) {
        if (sp_dec_range(d, 0, 65535, &v) < 0)
            return -1;
        b[2 * i] = (unsigned char)(v >> 8);
        b[2 * i + 1] = (unsigned char)v;
    }
    if (dec_port(d, &sin6->sin6_port) < 0)
        return -1;
    if (sp_dec_range(d, 0, 0xffffffffL, &v) < 0)
        return -1;
    sin6->sin6_flowinfo = htonl((uint32_t)v);
    if (sp_dec_range(d, 0, 0xffffffffL, &v) < 0)
        return -1;
    sin6->sin6_scope_id = (uint32_t)v;
    sin6->sin6_family = AF_INET6;
    a->len = sizeof *sin6;
    return 0;
}

static int dec_local(struct sp_dec *d, struct sp_addr *a)
{
    struct sockaddr_un *sun = (struct sockaddr_un *)&a->ss;
    const char *p;
    size_t n;

    if (sp_dec_binary(d, &p, &n, SUN_PATH_MAX) < 0)
        return -1;
    sun->sun_family = AF_UNIX;
    if (n == 0) {
        /* The unnamed address: bind autobinds, as with OTP. */
        a->len = offsetof(struct sockaddr_un, sun_path);
    } else if (p[0] == '\0') {
        /* Abstract: every byte counts, no terminator. */
        memcpy(sun->sun_path, p, n);
        a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    } else {
        if (n >= SUN_PATH_MAX)
            return -1; /* no room for the NUL */
        memcpy(sun->sun_path, p, n);
        sun->sun_path[n] = '\0';
        a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
    }
    return 0;
}

static int dec_unspec(struct sp_dec *d, struct sp_addr *a)
{
    struct sockaddr *sa = (struct sockaddr *)&a->ss;
    const char *p;
    size_t n;

    if (sp_dec_binary(d, &p, &n, sizeof a->ss - SA_DATA_OFF) < 0)
        return -1;
    sa->sa_family = AF_UNSPEC;
    memcpy((char *)&a->ss + SA_DATA_OFF, p, n);
    a->len = (socklen_t)(SA_DATA_OFF + n);
    return 0;
}

/* {native, Family, Bytes}: sockaddr_native(), a family number (cut to
 * sa_family_t, as OTP casts it) and the bytes after it, passed to the
 * kernel as they are. */
static int dec_native(struct sp_dec *d, struct sp_addr *a)
{
    struct sockaddr *sa = (struct sockaddr *)&a->ss;
    const char *p;
    size_t n;
    long family;

    if (sp_dec_range(d, 0, 65535, &family) < 0 ||
        sp_dec_binary(d, &p, &n, sizeof a->ss - SA_DATA_OFF) < 0)
        return -1;
    sa->sa_family = (sa_family_t)family;
    memcpy((char *)&a->ss + SA_DATA_OFF, p, n);
    a->len = (socklen_t)(SA_DATA_OFF + n);
    return 0;
}

static const struct {
    const char *tag;
    int arity; /* with the tag */
    addr_dec_fn dec;
} addr_decoders[] = {
    {"inet", 3, dec_inet},
    {"inet6", 5, dec_inet6},
    {"local", 2, dec_local},
    {"unspec", 2, dec_unspec},
    {"native", 3, dec_native},
};

/* The address atoms, per family. */
static const struct {
    const char *name;
    int family;
    unsigned char addr[16]; /* network order; 4 bytes used for AF_INET */
} addr_atoms[] = {
    {"any", AF_INET, {0, 0, 0, 0}},
    {"loopback", AF_INET, {127, 0, 0, 1}},
    {"broadcast", AF_INET, {255, 255, 255, 255}},
    {"any", AF_INET6, {0}},
    {"loopback", AF_INET6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
};

static bool is_address_atom(const char *name)
{
    for (size_t i = 0; i < sizeof addr_atoms / sizeof addr_atoms[0]; i++)
        if (strcmp(addr_atoms[i].name, name) == 0)
            return true;
    return false;
}

static int dec_atom(const char *name, int family, struct sp_addr *a)
{
    for (size_t i = 0; i < sizeof addr_atoms / sizeof addr_atoms[0]; i++) {
        if (addr_atoms[i].family != family ||
            strcmp(addr_atoms[i].name, name) != 0)
            continue;
        if (family == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;

            sin->sin_family = AF_INET;
            memcpy(&sin->sin_addr, addr_atoms[i].addr, 4);
            a->len = sizeof *sin;
        } else {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&a->ss;

            sin6->sin6_family = AF_INET6;
            memcpy(&sin6->sin6_addr, addr_atoms[i].addr, 16);
            a->len = sizeof *sin6;
        }
        return 0;
    }
    /* OTP: bind(LocalSocket, any) is {error, eafnosupport}; broadcast in
     * inet6 is an invalid address. */
    if (family != AF_INET && family != AF_INET6 && is_address_atom(name))
        return -EAFNOSUPPORT;
    return -1;
}

int sp_addr_decode(struct sp_dec *d, int family, struct sp_addr *a)
{
    struct sp_dec save = *d;
    char name[SP_ATOM_MAX];
    int arity, rc = -1;

    memset(a, 0, sizeof *a);
    if (sp_dec_atom(d, name) == 0) {
        rc = dec_atom(name, family, a);
    } else if (sp_dec_tuple(d, &arity) == 0 && sp_dec_atom(d, name) == 0) {
        for (size_t i = 0; i < sizeof addr_decoders / sizeof addr_decoders[0];
             i++) {
            if (strcmp(addr_decoders[i].tag, name) == 0 &&
                addr_decoders[i].arity == arity) {
                rc = addr_decoders[i].dec(d, a);
                break;
            }
        }
    }
    if (rc < 0) {
        *d = save;
        memset(a, 0, sizeof *a);
    }
    return rc;
}

typedef void (*addr_enc_fn)(struct sp_enc *e, const struct sockaddr *sa,
                            socklen_t len);

/* The names OTP gives the family of an address it shows as
 * sockaddr_native() (too short for its family); other families are
 * numbers. */
static const struct sp_name native_families[] = {
    {"unspec", AF_UNSPEC},
    {"local", AF_UNIX},
    {"inet", AF_INET},
    {"inet6", AF_INET6},
    {"packet", AF_PACKET},
};

/* The bytes after sa_family, as many as `len` says (at most a
 * sockaddr_storage). */
static size_t sa_data_len(socklen_t len)
{
    if (len > sizeof(struct sockaddr_storage))
        len = sizeof(struct sockaddr_storage);
    return len > SA_DATA_OFF ? len - SA_DATA_OFF : 0;
}

static void enc_native(struct sp_enc *e, const struct sockaddr *sa,
                       socklen_t len)
{
    const char *name =
        sp_name_of(native_families,
                   sizeof native_families / sizeof native_families[0],
                   sa->sa_family);
    size_t n = sa_data_len(len);

    sp_enc_tuple(e, 3);
    sp_enc_atom(e, "native");
    if (name != NULL)
        sp_enc_atom(e, name);
    else
        sp_enc_long(e, sa->sa_family);
    sp_enc_binary(e, n > 0 ? (const char *)sa + SA_DATA_OFF : "", n);
}

static void enc_unspec(struct sp_enc *e, const struct sockaddr *sa,
                       socklen_t len)
{
    size_t n = sa == NULL ? 0 : sa_data_len(len);

    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "unspec");
    sp_enc_binary(e, n > 0 ? (const char *)sa + SA_DATA_OFF : "", n);
}

static void enc_inet(struct sp_enc *e, const struct sockaddr *sa,
                     socklen_t len)
{
    struct sockaddr_in sin;
    const unsigned char *b = (const unsigned char *)&sin.sin_addr;

    /* OTP wants the port and the address, not the padding. */
    if (len < offsetof(struct sockaddr_in, sin_zero)) {
        enc_native(e, sa, len);
        return;
    }
    memset(&sin, 0, sizeof sin);
    memcpy(&sin, sa, len < sizeof sin ? len : sizeof sin);
    sp_enc_tuple(e, 3);
    sp_enc_atom(e, "inet");
    sp_enc_tuple(e, 4);
    for (int i = 0; i < 4; i++)
        sp_enc_long(e, b[i]);
    sp_enc_long(e, ntohs(sin.sin_port));
}

static void enc_inet6(struct sp_enc *e, const struct sockaddr *sa,
                      socklen_t len)
{
    struct sockaddr_in6 sin6;
    const unsigned char *b = sin6.sin6_addr.s6_addr;

    if (len < sizeof sin6) {
        enc_native(e, sa, len);
        return;
    }
    memcpy(&sin6, sa, sizeof sin6);
    sp_enc_tuple(e, 5);
    sp_enc_atom(e, "inet6");
    sp_enc_tuple(e, 8);
    for (int i = 0; i < 8; i++)
        sp_enc_long(e, (long)b[2 * i] << 8 | b[2 * i + 1]);
    sp_enc_long(e, ntohs(sin6.sin6_port));
    sp_enc_long(e, (long)ntohl(sin6.sin6_flowinfo));
    sp_enc_long(e, (long)sin6.sin6_scope_id);
}

static void enc_local(struct sp_enc *e, const struct sockaddr *sa,
                      socklen_t len)
{
    const char *path = ((const struct sockaddr_un *)sa)->sun_path;
    size_t n = 0;

    if (len > offsetof(struct sockaddr_un, sun_path))
        n = len - offsetof(struct sockaddr_un, sun_path);
    if (n > SUN_PATH_MAX)
        n = SUN_PATH_MAX;
    /* A pathname ends at its NUL; an abstract name (leading 0) is all of
     * its bytes. An unnamed socket has no path bytes at all. */
    if (n > 0 && path[0] != '\0')
        n = strnlen(path, n);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "local");
    sp_enc_binary(e, n > 0 ? path : "", n);
}

/* sockaddr_ll()'s hatype() and packet_type() names, as OTP has them;
 * other values are numbers. */
static const struct sp_name packet_hatypes[] = {
    {"netrom", ARPHRD_NETROM},     {"ether", ARPHRD_ETHER},
    {"eether", ARPHRD_EETHER},     {"ax25", ARPHRD_AX25},
    {"pronet", ARPHRD_PRONET},     {"chaos", ARPHRD_CHAOS},
    {"ieee802", ARPHRD_IEEE802},   {"arcnet", ARPHRD_ARCNET},
    {"appletlk", ARPHRD_APPLETLK}, {"dlci", ARPHRD_DLCI},
    {"atm", ARPHRD_ATM},           {"metricom", ARPHRD_METRICOM},
    {"ieee1394", ARPHRD_IEEE1394}, {"eui64", ARPHRD_EUI64},
    {"infiniband", ARPHRD_INFINIBAND},
    {"tunnel", ARPHRD_TUNNEL},     {"tunnel6", ARPHRD_TUNNEL6},
    {"loopback", ARPHRD_LOOPBACK}, {"localtlk", ARPHRD_LOCALTLK},
    {"none", ARPHRD_NONE},         {"void", ARPHRD_VOID},
};

static const struct sp_name packet_types[] = {
    {"host", PACKET_HOST},           {"broadcast", PACKET_BROADCAST},
    {"multicast", PACKET_MULTICAST}, {"otherhost", PACKET_OTHERHOST},
    {"outgoing", PACKET_OUTGOING},   {"loopback", PACKET_LOOPBACK},
    {"user", PACKET_USER},           {"kernel", PACKET_KERNEL},
};

static void enc_named(struct sp_enc *e, const struct sp_name *t, size_t n,
                      int value)
{
    const char *name = sp_name_of(t, n, value);

    if (name != NULL)
        sp_enc_atom(e, name);
    else
        sp_enc_long(e, value);
}

static void enc_packet(struct sp_enc *e, const struct sockaddr *sa,
                       socklen_t len)
{
    struct sockaddr_ll sll;
    const size_t addr_off = offsetof(struct sockaddr_ll, sll_addr);
    size_t halen;

    if (len < sizeof sll) {
        enc_native(e, sa, len);
        return;
    }
    memcpy(&sll, sa, sizeof sll);
    /* The kernel may write a longer hardware address than sll_addr holds
     * when the buffer has room; never read past what it returned. */
    halen = sll.sll_halen;
    if (len > sizeof(struct sockaddr_storage))
        len = sizeof(struct sockaddr_storage);
    if (halen > len - addr_off)
        halen = len - addr_off;
    sp_enc_tuple(e, 6);
    sp_enc_atom(e, "packet");
    sp_enc_long(e, ntohs(sll.sll_protocol));
    sp_enc_long(e, sll.sll_ifindex);
    enc_named(e, packet_hatypes,
              sizeof packet_hatypes / sizeof packet_hatypes[0],
              sll.sll_hatype);
    enc_named(e, packet_types, sizeof packet_types / sizeof packet_types[0],
              sll.sll_pkttype);
    sp_enc_binary(e, halen > 0 ? (const char *)sa + addr_off : "", halen);
}

static const struct {
    int family;
    addr_enc_fn enc;
} addr_encoders[] = {
    {AF_INET, enc_inet},
    {AF_INET6, enc_inet6},
    {AF_UNIX, enc_local},
    {AF_UNSPEC, enc_unspec},
    {AF_PACKET, enc_packet},
};

void sp_addr_encode(struct sp_enc *e, const struct sockaddr *sa, socklen_t len)
{
    if (sa == NULL || len == 0) {
        enc_unspec(e, NULL, 0);
        return;
    }
    if (len < SA_DATA_OFF) {
        /* Not even a family: the bytes (sockaddr_recv()'s binary()). */
        sp_enc_binary(e, sa, len);
        return;
    }
    for (size_t i = 0; i < sizeof addr_encoders / sizeof addr_encoders[0];
         i++) {
        if (addr_encoders[i].family == sa->sa_family) {
            addr_encoders[i].enc(e, sa, len);
            return;
        }
    }
    enc_native(e, sa, len);
}
