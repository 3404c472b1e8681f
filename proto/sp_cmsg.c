/* The codec of control buffers (see sp_cmsg.h): the wire list of a
 * sendmsg into the bytes of its control buffer, and a received control
 * buffer into its wire list, with the values of the rows of
 * sp_cmsg_types.c decoded. SCM_RIGHTS is decoded into the descriptors'
 * numbers, which OTP leaves to the caller (the descriptors are the
 * daemon's: PROTOCOL.md). */
#include "sp_cmsg.h"

#include <ei.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>

#include "sp_addr.h"
#include "sp_tables.h"

/* ---- sendmsg: wire list -> control buffer --------------------------------- */

/* The bytes of one Payload into out (at most `cap'): 0, SP_CMSG_BAD or
 * SP_CMSG_FULL. */
static int payload(struct sp_dec *dec, unsigned char *out, size_t cap,
                   size_t *len)
{
    char a[SP_ATOM_MAX];
    if (sp_dec_peek_type(dec) != ERL_SMALL_TUPLE_EXT) {
        const char *p;
        if (sp_dec_binary(dec, &p, len, UINT32_MAX) != 0)
            return SP_CMSG_BAD;
        if (*len > cap)
            return SP_CMSG_FULL;
        if (*len > 0)
            memcpy(out, p, *len);
        return 0;
    }
    int arity;
    if (sp_dec_tuple(dec, &arity) != 0 || sp_dec_atom(dec, a) != 0)
        return SP_CMSG_BAD;
    if (arity == 2 && strcmp(a, "int") == 0) {
        long v;
        int i;
        if (sp_dec_range(dec, INT32_MIN, INT32_MAX, &v) != 0)
            return SP_CMSG_BAD;
        if (cap < sizeof i)
            return SP_CMSG_FULL;
        i = (int)v;
        memcpy(out, &i, sizeof i);
        *len = sizeof i;
        return 0;
    }
    if (arity == 3 && strcmp(a, "timeval") == 0) {
        struct timeval tv;
        long sec, usec;
        if (sp_dec_long(dec, &sec) != 0 || sp_dec_long(dec, &usec) != 0)
            return SP_CMSG_BAD;
        if (cap < sizeof tv)
            return SP_CMSG_FULL;
        memset(&tv, 0, sizeof tv);
        tv.tv_sec = sec;
        tv.tv_usec = usec;
        memcpy(out, &tv, sizeof tv);
        *len = sizeof tv;
        return 0;
    }
    return SP_CMSG_BAD;
}

int sp_cmsg_build(struct sp_dec *dec, void *buf, size_t cap, size_t *len)
{
    int n, rc = 0;
    size_t used = 0;
    *len = 0;
    if (sp_dec_list(dec, &n) != 0)
        return SP_CMSG_BAD;
    for (int i = 0; i < n; i++) {
        long level, type;
        if (sp_dec_tuple_n(dec, 3) != 0 ||
            sp_dec_range(dec, INT32_MIN, INT32_MAX, &level) != 0 ||
            sp_dec_range(dec, INT32_MIN, INT32_MAX, &type) != 0)
            return SP_CMSG_BAD;
        if (rc == SP_CMSG_FULL || used + CMSG_SPACE(0) > cap) {
            /* Full: read on only to tell a malformed list apart. */
            size_t ignored;
            rc = SP_CMSG_FULL;
            if (payload(dec, NULL, 0, &ignored) == SP_CMSG_BAD)
                return SP_CMSG_BAD;
            continue;
        }
        struct cmsghdr *c = (struct cmsghdr *)((char *)buf + used);
        size_t dlen = 0;
        int prc = payload(dec, CMSG_DATA(c), cap - used - CMSG_LEN(0), &dlen);
        if (prc == SP_CMSG_BAD)
            return SP_CMSG_BAD;
        if (prc == SP_CMSG_FULL || used + CMSG_SPACE(dlen) > cap) {
            rc = SP_CMSG_FULL;
            continue;
        }
        c->cmsg_level = (int)level;
        c->cmsg_type = (int)type;
        c->cmsg_len = CMSG_LEN(dlen);
        /* The padding after the data is zero, as the kernel likes it. */
        memset((char *)CMSG_DATA(c) + dlen, 0,
               CMSG_SPACE(dlen) - CMSG_LEN(dlen));
        used += CMSG_SPACE(dlen);
    }
    if (n > 0 && sp_dec_nil(dec) != 0)
        return SP_CMSG_BAD;
    if (rc != 0)
        return rc;
    *len = used;
    return 0;
}

/* ---- walking a control buffer --------------------------------------------- */

/* The first cmsg of buf, or NULL; cmsg_len is trusted only as far as the
 * buffer goes. */
static struct cmsghdr *first(const void *buf, size_t len)
{
    if (len < CMSG_LEN(0))
        return NULL;
    struct cmsghdr *c = (struct cmsghdr *)buf;
    return c->cmsg_len >= CMSG_LEN(0) ? c : NULL;
}

static struct cmsghdr *next(const void *buf, size_t len, struct cmsghdr *c)
{
    size_t off = (size_t)((char *)c - (const char *)buf);
    size_t step = CMSG_ALIGN(c->cmsg_len);
    if (step > len - off || len - off - step < CMSG_LEN(0))
        return NULL;
    struct cmsghdr *n = (struct cmsghdr *)((char *)c + step);
    return n->cmsg_len >= CMSG_LEN(0) ? n : NULL;
}

/* The bytes of c's data that are inside the buffer. */
static size_t data_len(const void *buf, size_t len, const struct cmsghdr *c)
{
    size_t off = (size_t)((const char *)c - (const char *)buf);
    size_t clen = c->cmsg_len < len - off ? c->cmsg_len : len - off;
    return clen - CMSG_LEN(0);
}

int sp_cmsg_each_fd(void *control, size_t len,
                    int (*fn)(void *arg, int *fd), void *arg)
{
    for (struct cmsghdr *c = first(control, len); c;
         c = next(control, len, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = data_len(control, len, c) / sizeof(int);
        unsigned char *p = CMSG_DATA(c);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, p + i * sizeof fd, sizeof fd);
            int rc = fn(arg, &fd);
            memcpy(p + i * sizeof fd, &fd, sizeof fd);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

/* ---- recvmsg: control buffer -> wire list --------------------------------- */

static void enc_in_addr(struct sp_enc *e, const struct in_addr *a)
{
    const unsigned char *b = (const unsigned char *)&a->s_addr;
    sp_enc_tuple(e, 4);
    for (int i = 0; i < 4; i++)
        sp_enc_long(e, b[i]);
}

static void enc_in6_addr(struct sp_enc *e, const struct in6_addr *a)
{
    sp_enc_tuple(e, 8);
    for (int i = 0; i < 8; i++)
        sp_enc_long(e, a->s6_addr[2 * i] << 8 | a->s6_addr[2 * i + 1]);
}

static bool enc_int(struct sp_enc *e, const unsigned char *p, size_t n)
{
    int v;
    if (n < sizeof v)
        return false;
    memcpy(&v, p, sizeof v);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "int");
    sp_enc_long(e, v);
    return true;
}

static bool enc_tos(struct sp_enc *e, const unsigned char *p, size_t n)
{
    int v;
    if (n >= sizeof v)
        memcpy(&v, p, sizeof v);
    else if (n == 1)
        v = p[0]; /* IP_TOS arrives as one byte */
    else
        return false;
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "ip_tos");
    sp_enc_long(e, v);
    return true;
}

static bool enc_timeval(struct sp_enc *e, const unsigned char *p, size_t n)
{
    struct timeval tv;
    if (n < sizeof tv)
        return false;
    memcpy(&tv, p, sizeof tv);
    sp_enc_tuple(e, 3);
    sp_enc_atom(e, "timeval");
    sp_enc_long(e, (long)tv.tv_sec);
    sp_enc_long(e, (long)tv.tv_usec);
    return true;
}

static bool enc_fds(struct sp_enc *e, const unsigned char *p, size_t n)
{
    size_t k = n / sizeof(int);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "fds");
    sp_enc_list(e, (int)k);
    for (size_t i = 0; i < k; i++) {
        int fd;
        memcpy(&fd, p + i * sizeof fd, sizeof fd);
        sp_enc_long(e, fd);
    }
    if (k > 0) /* a list of none is [] already */
        sp_enc_nil(e);
    return true;
}

static bool enc_pktinfo(struct sp_enc *e, const unsigned char *p, size_t n)
{
    struct in_pktinfo pi;
    if (n < sizeof pi)
        return false;
    memcpy(&pi, p, sizeof pi);
    sp_enc_tuple(e, 4);
    sp_enc_atom(e, "pktinfo");
    sp_enc_long(e, pi.ipi_ifindex);
    enc_in_addr(e, &pi.ipi_spec_dst);
    enc_in_addr(e, &pi.ipi_addr);
    return true;
}

static bool enc_in6_pktinfo(struct sp_enc *e, const unsigned char *p,
                            size_t n)
{
    struct in6_pktinfo pi;
    if (n < sizeof pi)
        return false;
    memcpy(&pi, p, sizeof pi);
    sp_enc_tuple(e, 3);
    sp_enc_atom(e, "in6_pktinfo");
    enc_in6_addr(e, &pi.ipi6_addr);
    sp_enc_long(e, (long)pi.ipi6_ifindex);
    return true;
}

static bool enc_sockaddr(struct sp_enc *e, const unsigned char *p, size_t n)
{
    struct sockaddr_storage ss;
    if (n < sizeof(sa_family_t))
        return false;
    if (n > sizeof ss)
        n = sizeof ss;
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, p, n);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "sockaddr");
    sp_addr_encode(e, (const struct sockaddr *)&ss, (socklen_t)n);
    return true;
}

/* struct sock_extended_err, then the offender's address (SO_EE_OFFENDER). */
static bool enc_extended_err(struct sp_enc *e, const unsigned char *p,
                             size_t n)
{
    struct sock_extended_err ee;
    struct sockaddr_storage ss;
    if (n < sizeof ee)
        return false;
    memcpy(&ee, p, sizeof ee);
    size_t alen = n - sizeof ee;
    if (alen > sizeof ss)
        alen = sizeof ss;
    memset(&ss, 0, sizeof ss);
    memcpy(&ss, p + sizeof ee, alen);
    sp_enc_tuple(e, 8);
    sp_enc_atom(e, "extended_err");
    sp_enc_atom(e, sp_errno_name((int)ee.ee_errno));
    sp_enc_long(e, ee.ee_origin);
    sp_enc_long(e, ee.ee_type);
    sp_enc_long(e, ee.ee_code);
    sp_enc_u64(e, ee.ee_info);
    sp_enc_u64(e, ee.ee_data);
    sp_addr_encode(e, (const struct sockaddr *)&ss, (socklen_t)alen);
    return true;
}

static bool (*const decoders[SP_CMV__MAX])(struct sp_enc *,
                                            const unsigned char *, size_t) = {
    [SP_CMV_INT] = enc_int,
    [SP_CMV_IP_TOS] = enc_tos,
    [SP_CMV_TIMEVAL] = enc_timeval,
    [SP_CMV_FDS] = enc_fds,
    [SP_CMV_PKTINFO] = enc_pktinfo,
    [SP_CMV_IN6_PKTINFO] = enc_in6_pktinfo,
    [SP_CMV_SOCKADDR] = enc_sockaddr,
    [SP_CMV_EXTENDED_ERR] = enc_extended_err,
};

static void enc_one(struct sp_enc *e, const void *buf, size_t len,
                    const struct cmsghdr *c)
{
    const struct sp_cmsg_type *row = sp_cmsg_find(c->cmsg_level, c->cmsg_type);
    const char *level = sp_cmsg_level_name(c->cmsg_level);
    size_t n = data_len(buf, len, c);
    const unsigned char *p = CMSG_DATA(c);
    sp_enc_tuple(e, 4);
    if (level)
        sp_enc_atom(e, level);
    else
        sp_enc_long(e, c->cmsg_level);
    if (row)
        sp_enc_atom(e, row->name);
    else
        sp_enc_long(e, c->cmsg_type);
    sp_enc_binary(e, p, n);
    if (!row || !decoders[row->recv] || !decoders[row->recv](e, p, n))
        sp_enc_atom(e, "undefined");
}

void sp_cmsg_encode(struct sp_enc *e, const void *control, size_t len)
{
    int count = 0;
    for (struct cmsghdr *c = first(control, len); c;
         c = next(control, len, c))
        count++;
    sp_enc_list(e, count);
    for (struct cmsghdr *c = first(control, len); c;
         c = next(control, len, c))
        enc_one(e, control, len, c);
    if (count > 0) /* a list of none is [] already */
        sp_enc_nil(e);
}

size_t sp_cmsg_encode_bound(size_t len)
{
    /* Every message takes CMSG_LEN(0) bytes of buffer at least and gives
     * its data once as a binary and once decoded (descriptors: at most 5
     * bytes of term per 4 of data), plus a bounded amount of tuple, atoms
     * and address around them (well under 512 bytes). */
    size_t msgs = len / CMSG_LEN(0) + 1;
    return 16 + 3 * len + msgs * 512;
}
