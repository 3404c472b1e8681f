/* Option value codecs: one per value type of the option table (proto/
 * sp_options.c), never one per option. Each turns the wire form of
 * PROTOCOL.md ("Option values") into the C value setsockopt takes, and
 * what getsockopt returns into the wire form. The VM maps the Erlang
 * forms (atoms, maps) to and from these wire forms. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <ei.h>

#include "daemon.h"
#include "sp_cmsg.h"
#include "sp_tables.h"

/* ---- decoders: wire term -> C value ------------------------------------ */

static int dec_int(struct sp_dec *d, void *buf, size_t cap, socklen_t *len)
{
    long v;
    int i;

    if (cap < sizeof i || sp_dec_range(d, -0x7fffffffL - 1, 0x7fffffffL, &v))
        return -1;
    i = (int)v;
    memcpy(buf, &i, sizeof i);
    *len = sizeof i;
    return 0;
}

static int dec_linger(struct sp_dec *d, void *buf, size_t cap, socklen_t *len)
{
    struct linger l;
    long on, secs;

    if (cap < sizeof l || sp_dec_tuple_n(d, 2) != 0 ||
        sp_dec_range(d, 0, 1, &on) != 0 ||
        sp_dec_range(d, 0, 0x7fffffffL, &secs) != 0)
        return -1;
    l.l_onoff = (int)on;
    l.l_linger = (int)secs;
    memcpy(buf, &l, sizeof l);
    *len = sizeof l;
    return 0;
}

static int dec_timeval(struct sp_dec *d, void *buf, size_t cap, socklen_t *len)
{
    struct timeval tv;
    long sec, usec;

    if (cap < sizeof tv || sp_dec_tuple_n(d, 2) != 0 ||
        sp_dec_long(d, &sec) != 0 || sp_dec_long(d, &usec) != 0)
        return -1;
    tv.tv_sec = sec;
    tv.tv_usec = usec;
    memcpy(buf, &tv, sizeof tv);
    *len = sizeof tv;
    return 0;
}

/* A binary of exactly n bytes, copied to p. */
static int dec_bytes_n(struct sp_dec *d, void *p, size_t n)
{
    const char *b;
    size_t blen;

    if (sp_dec_binary(d, &b, &blen, n) != 0 || blen != n)
        return -1;
    memcpy(p, b, n);
    return 0;
}

static int dec_in_addr(struct sp_dec *d, void *buf, size_t cap, socklen_t *len)
{
    if (cap < sizeof(struct in_addr) || dec_bytes_n(d, buf, 4) != 0)
        return -1;
    *len = sizeof(struct in_addr);
    return 0;
}

static int dec_ip_mreq(struct sp_dec *d, void *buf, size_t cap, socklen_t *len)
{
    struct ip_mreq m;

    if (cap < sizeof m || sp_dec_tuple_n(d, 2) != 0 ||
        dec_bytes_n(d, &m.imr_multiaddr, 4) != 0 ||
        dec_bytes_n(d, &m.imr_interface, 4) != 0)
        return -1;
    memcpy(buf, &m, sizeof m);
    *len = sizeof m;
    return 0;
}

static int dec_ip_mreq_source(struct sp_dec *d, void *buf, size_t cap,
                              socklen_t *len)
{
    struct ip_mreq_source m;

    if (cap < sizeof m || sp_dec_tuple_n(d, 3) != 0 ||
        dec_bytes_n(d, &m.imr_multiaddr, 4) != 0 ||
        dec_bytes_n(d, &m.imr_interface, 4) != 0 ||
        dec_bytes_n(d, &m.imr_sourceaddr, 4) != 0)
        return -1;
    memcpy(buf, &m, sizeof m);
    *len = sizeof m;
    return 0;
}

/* null (a NULL pointer and size 0) or {Multi, If, Mode, [Src]}. */
static int dec_ip_msfilter(struct sp_dec *d, void *buf, size_t cap,
                           socklen_t *len)
{
    struct ip_msfilter *f = buf;
    long mode;
    int n;

    if (sp_dec_take_atom(d, "null")) {
        *len = 0;
        return 0;
    }
    if (sp_dec_tuple_n(d, 4) != 0 || cap < IP_MSFILTER_SIZE(0))
        return -1;
    memset(f, 0, IP_MSFILTER_SIZE(0));
    if (dec_bytes_n(d, &f->imsf_multiaddr, 4) != 0 ||
        dec_bytes_n(d, &f->imsf_interface, 4) != 0 ||
        sp_dec_range(d, 0, 0x7fffffffL, &mode) != 0 ||
        sp_dec_list(d, &n) != 0 || n < 0 ||
        IP_MSFILTER_SIZE((size_t)n) > cap)
        return -1;
    f->imsf_fmode = (uint32_t)mode;
    f->imsf_numsrc = (uint32_t)n;
    for (int i = 0; i < n; i++)
        if (dec_bytes_n(d, &f->imsf_slist[i], 4) != 0)
            return -1;
    if (n > 0 && sp_dec_nil(d) != 0)
        return -1;
    *len = IP_MSFILTER_SIZE((size_t)n);
    return 0;
}

static int dec_ipv6_mreq(struct sp_dec *d, void *buf, size_t cap,
                         socklen_t *len)
{
    struct ipv6_mreq m;
    long ifindex;

    if (cap < sizeof m || sp_dec_tuple_n(d, 2) != 0 ||
        dec_bytes_n(d, &m.ipv6mr_multiaddr, 16) != 0 ||
        sp_dec_range(d, 0, 0xffffffffL, &ifindex) != 0)
        return -1;
    m.ipv6mr_interface = (unsigned)ifindex;
    memcpy(buf, &m, sizeof m);
    *len = sizeof m;
    return 0;
}

static int dec_binary(struct sp_dec *d, void *buf, size_t cap, socklen_t *len)
{
    const char *b;
    size_t blen;

    if (sp_dec_binary(d, &b, &blen, cap) != 0)
        return -1;
    memcpy(buf, b, blen);
    *len = (socklen_t)blen;
    return 0;
}

/* ---- encoders: getsockopt's bytes -> wire term ------------------------- */

static void enc_int(struct sp_enc *e, const void *buf, socklen_t len)
{
    int i = 0;

    /* Some options fill less than an int (ipv6 hops on old kernels). */
    if (len >= (socklen_t)sizeof i)
        memcpy(&i, buf, sizeof i);
    else if (len > 0)
        i = *(const unsigned char *)buf;
    sp_enc_long(e, i);
}

static void enc_linger(struct sp_enc *e, const void *buf, socklen_t len)
{
    struct linger l = {0, 0};

    memcpy(&l, buf, len < (socklen_t)sizeof l ? (size_t)len : sizeof l);
    sp_enc_tuple(e, 2);
    sp_enc_long(e, l.l_onoff != 0);
    sp_enc_long(e, l.l_linger);
}

static void enc_timeval(struct sp_enc *e, const void *buf, socklen_t len)
{
    struct timeval tv = {0, 0};

    memcpy(&tv, buf, len < (socklen_t)sizeof tv ? (size_t)len : sizeof tv);
    sp_enc_tuple(e, 2);
    sp_enc_long(e, (long)tv.tv_sec);
    sp_enc_long(e, (long)tv.tv_usec);
}

static void enc_binary(struct sp_enc *e, const void *buf, socklen_t len)
{
    sp_enc_binary(e, buf, (size_t)len);
}

static void enc_name(struct sp_enc *e, const struct sp_name *t, size_t n,
                     const void *buf, socklen_t len)
{
    int v = 0;
    const char *name;

    if (len >= (socklen_t)sizeof v)
        memcpy(&v, buf, sizeof v);
    name = sp_name_of(t, n, v);
    if (name)
        sp_enc_atom(e, name);
    else
        sp_enc_long(e, v);
}

static void enc_sock_type(struct sp_enc *e, const void *buf, socklen_t len)
{
    enc_name(e, sp_types, sp_types_n, buf, len);
}

static void enc_sock_domain(struct sp_enc *e, const void *buf, socklen_t len)
{
    enc_name(e, sp_domains, sp_domains_n, buf, len);
}

static void enc_sock_protocol(struct sp_enc *e, const void *buf,
                              socklen_t len)
{
    int v = 0;

    if (len >= (socklen_t)sizeof v)
        memcpy(&v, buf, sizeof v);
    /* 0 names no protocol: OTP says `default`, not the first 0 row. */
    if (v == 0)
        sp_enc_atom(e, "default");
    else
        enc_name(e, sp_protocols, sp_protocols_n, buf, len);
}

/* ip pktoptions: the control messages of the last packet received, as
 * recvmsg gives them (the reply buffer is sized for it: cmd_opt.c). */
static void enc_cmsgs(struct sp_enc *e, const void *buf, socklen_t len)
{
    sp_cmsg_encode(e, buf, (size_t)len);
}

/* ---- the codec of each type -------------------------------------------- */

struct codec {
    int (*dec)(struct sp_dec *d, void *buf, size_t cap, socklen_t *len);
    void (*enc)(struct sp_enc *e, const void *buf, socklen_t len);
    socklen_t getsize; /* 0: the row's size */
};

#define INTC {dec_int, enc_int, sizeof(int)}
#define BINC(sz) {dec_binary, enc_binary, (sz)}

static const struct codec codecs[SP_OPT__MAX] = {
    [SP_OPT_BOOL] = INTC,
    [SP_OPT_INT] = INTC,
    [SP_OPT_LINGER] = {dec_linger, enc_linger, sizeof(struct linger)},
    [SP_OPT_TIMEVAL] = {dec_timeval, enc_timeval, sizeof(struct timeval)},
    [SP_OPT_IN_ADDR] = {dec_in_addr, enc_binary, sizeof(struct in_addr)},
    [SP_OPT_IP_MREQ] = {dec_ip_mreq, enc_binary, 0},
    [SP_OPT_IP_MREQ_SOURCE] = {dec_ip_mreq_source, enc_binary, 0},
    [SP_OPT_IP_MSFILTER] = {dec_ip_msfilter, enc_binary, 0},
    [SP_OPT_IPV6_MREQ] = {dec_ipv6_mreq, enc_binary, 0},
    [SP_OPT_IP_TOS] = INTC,
    [SP_OPT_IP_PMTUDISC] = INTC,
    [SP_OPT_IPV6_PMTUDISC] = INTC,
    [SP_OPT_IPV6_HOPS] = INTC,
    [SP_OPT_STRING] = BINC(0),
    [SP_OPT_DOMAIN] = INTC,
    [SP_OPT_CMSGS] = {dec_binary, enc_cmsgs, SP_OPTVAL_MAX},
    [SP_OPT_SOCK_TYPE] = {dec_int, enc_sock_type, sizeof(int)},
    [SP_OPT_SOCK_DOMAIN] = {dec_int, enc_sock_domain, sizeof(int)},
    [SP_OPT_SOCK_PROTOCOL] = {dec_int, enc_sock_protocol, sizeof(int)},
    [SP_OPT_SCTP_ASSOCPARAMS] = BINC(20),
    [SP_OPT_SCTP_EVENTS] = BINC(14),
    [SP_OPT_SCTP_INITMSG] = BINC(8),
    [SP_OPT_SCTP_RTOINFO] = BINC(16),
};

int sp_optval_decode(struct sp_dec *dec, int type, void *buf, size_t cap,
                     socklen_t *len)
{
    if (type < 0 || type >= SP_OPT__MAX || !codecs[type].dec)
        return -1;
    return codecs[type].dec(dec, buf, cap, len);
}

socklen_t sp_optval_getsize(int type, int size)
{
    if (type < 0 || type >= SP_OPT__MAX)
        return 0;
    if (size > 0)
        return (socklen_t)size;
    return codecs[type].getsize;
}

void sp_optval_encode(struct sp_enc *e, int type, const void *buf,
                      socklen_t len)
{
    if (type >= 0 && type < SP_OPT__MAX && codecs[type].enc)
        codecs[type].enc(e, buf, len);
    else
        sp_enc_binary(e, buf, (size_t)len);
}
