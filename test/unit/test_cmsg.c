/* Unit tests of the control message codec (proto/sp_cmsg.c): rows of
 * sendmsg wire lists built into control buffers and compared with buffers
 * made with the CMSG_* macros (exact fits, one byte short, malformed
 * terms); rows of received control buffers (every decoded kind, truncated
 * and unknown messages, hostile lengths) encoded and printed as terms;
 * the descriptor walk; and the encoder's size bound on a full buffer of
 * descriptors. Buffers are exactly sized copies, so ASan sees overreads. */
#include <arpa/inet.h>
#include <check.h>
#include <ei.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "sp_cmsg.h"

#define N(t) (sizeof(t) / sizeof((t)[0]))

/* ---- building: wire list -> control buffer -------------------------------- */

/* A control buffer made with the macros: up to 4 messages. */
struct want_msg {
    int level, type;
    const void *data;
    size_t len;
};

static size_t make_ctrl(void *buf, size_t cap, const struct want_msg *m,
                        size_t n)
{
    struct msghdr h;
    memset(&h, 0, sizeof h);
    memset(buf, 0, cap);
    h.msg_control = buf;
    h.msg_controllen = cap;
    size_t used = 0;
    struct cmsghdr *c = CMSG_FIRSTHDR(&h);
    for (size_t i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(c);
        c->cmsg_level = m[i].level;
        c->cmsg_type = m[i].type;
        c->cmsg_len = CMSG_LEN(m[i].len);
        if (m[i].len > 0)
            memcpy(CMSG_DATA(c), m[i].data, m[i].len);
        used += CMSG_SPACE(m[i].len);
        c = (struct cmsghdr *)((char *)c + CMSG_SPACE(m[i].len));
    }
    return used;
}

enum wkind { W_END, W_BIN, W_INT, W_TIMEVAL, W_RAW };

/* One element of a wire list: {Level, Type, Payload}. */
struct wire_msg {
    enum wkind kind;
    long level, type;
    const char *bin; /* W_BIN bytes */
    size_t len;      /* W_BIN length */
    long a, b;       /* W_INT value, W_TIMEVAL sec and usec */
};

static int build(const struct wire_msg *w, size_t cap, void *out,
                 size_t *len, bool improper)
{
    ei_x_buff x;
    ei_x_new(&x);
    size_t n = 0;
    while (w[n].kind != W_END)
        n++;
    if (n > 0)
        ei_x_encode_list_header(&x, (long)n);
    for (size_t i = 0; i < n; i++) {
        ei_x_encode_tuple_header(&x, 3);
        ei_x_encode_long(&x, w[i].level);
        ei_x_encode_long(&x, w[i].type);
        switch (w[i].kind) {
        case W_BIN:
            ei_x_encode_binary(&x, w[i].bin, (long)w[i].len);
            break;
        case W_INT:
            ei_x_encode_tuple_header(&x, 2);
            ei_x_encode_atom(&x, "int");
            ei_x_encode_long(&x, w[i].a);
            break;
        case W_TIMEVAL:
            ei_x_encode_tuple_header(&x, 3);
            ei_x_encode_atom(&x, "timeval");
            ei_x_encode_long(&x, w[i].a);
            ei_x_encode_long(&x, w[i].b);
            break;
        default:
            ei_x_encode_atom(&x, "bogus");
            break;
        }
    }
    if (improper)
        ei_x_encode_atom(&x, "tail");
    else
        ei_x_encode_empty_list(&x);
    char *copy = malloc((size_t)x.index);
    memcpy(copy, x.buff, (size_t)x.index);
    struct sp_dec d;
    sp_dec_init(&d, copy, (size_t)x.index);
    int rc = sp_cmsg_build(&d, out, cap, len);
    if (rc == 0)
        ck_assert_int_eq(sp_dec_end(&d), 0);
    free(copy);
    ei_x_free(&x);
    return rc;
}

START_TEST(test_build_empty)
{
    char buf[64];
    size_t len = 99;
    struct wire_msg w[] = {{W_END, 0, 0, NULL, 0, 0, 0}};
    ck_assert_int_eq(build(w, sizeof buf, buf, &len, false), 0);
    ck_assert_uint_eq(len, 0);
    /* no room at all is fine for no messages */
    ck_assert_int_eq(build(w, 0, buf, &len, false), 0);
}
END_TEST

START_TEST(test_build_forms)
{
    int seven = 7, neg = -2147483647 - 1;
    struct timeval tv = {.tv_sec = 5, .tv_usec = 6};
    unsigned char tos = 16;
    struct wire_msg w[] = {
        {W_BIN, IPPROTO_IP, IP_TOS, (const char *)&tos, 1, 0, 0},
        {W_INT, IPPROTO_IP, IP_TTL, NULL, 0, 7, 0},
        {W_TIMEVAL, SOL_SOCKET, SO_TIMESTAMP, NULL, 0, 5, 6},
        {W_INT, -1, -2147483647 - 1, NULL, 0, -2147483647 - 1, 0},
        {W_END, 0, 0, NULL, 0, 0, 0}};
    struct want_msg m[] = {{IPPROTO_IP, IP_TOS, &tos, 1},
                           {IPPROTO_IP, IP_TTL, &seven, sizeof seven},
                           {SOL_SOCKET, SO_TIMESTAMP, &tv, sizeof tv},
                           {-1, -2147483647 - 1, &neg, sizeof neg}};
    size_t need = CMSG_SPACE(1) + CMSG_SPACE(sizeof(int)) +
                  CMSG_SPACE(sizeof tv) + CMSG_SPACE(sizeof(int));
    char *got = malloc(need), *want = malloc(need);
    size_t len;
    ck_assert_uint_eq(make_ctrl(want, need, m, N(m)), need);
    /* exactly the room needed */
    memset(got, 0x55, need);
    ck_assert_int_eq(build(w, need, got, &len, false), 0);
    ck_assert_uint_eq(len, need);
    ck_assert_mem_eq(got, want, need);
    /* one byte short */
    ck_assert_int_eq(build(w, need - 1, got, &len, false), SP_CMSG_FULL);
    free(got);
    free(want);
}
END_TEST

/* {otp, sndctrlbuf} as OTP counts it: CMSG_SPACE of every message. */
struct fit_row {
    size_t cap, data;
    int rc;
};

static const struct fit_row fit_rows[] = {
    {16, 0, 0}, {15, 0, SP_CMSG_FULL}, {17, 1, SP_CMSG_FULL},
    {24, 1, 0}, {19, 4, SP_CMSG_FULL}, {24, 4, 0},
    {23, 8, SP_CMSG_FULL}, {24, 8, 0}, {24, 9, SP_CMSG_FULL},
    {1024, 1008, 0}, {1024, 1009, SP_CMSG_FULL}, {1024, 2000, SP_CMSG_FULL},
};

START_TEST(test_build_fit)
{
    const struct fit_row *r = &fit_rows[_i];
    char *data = calloc(1, r->data + 1);
    char *buf = malloc(r->cap);
    size_t len;
    struct wire_msg w[] = {{W_BIN, 99, 1, data, r->data, 0, 0},
                           {W_END, 0, 0, NULL, 0, 0, 0}};
    ck_assert_int_eq(build(w, r->cap, buf, &len, false), r->rc);
    if (r->rc == 0)
        ck_assert_uint_eq(len, CMSG_SPACE(r->data));
    free(data);
    free(buf);
}
END_TEST

START_TEST(test_build_malformed)
{
    char buf[256];
    size_t len;
    struct wire_msg bogus[] = {{W_RAW, 0, 1, NULL, 0, 0, 0},
                               {W_END, 0, 0, NULL, 0, 0, 0}};
    ck_assert_int_eq(build(bogus, sizeof buf, buf, &len, false), SP_CMSG_BAD);
    struct wire_msg big_level[] = {{W_BIN, 1L << 31, 1, "", 0, 0, 0},
                                   {W_END, 0, 0, NULL, 0, 0, 0}};
    ck_assert_int_eq(build(big_level, sizeof buf, buf, &len, false), SP_CMSG_BAD);
    struct wire_msg big_type[] = {{W_BIN, 0, -(1L << 31) - 1, "", 0, 0, 0},
                                  {W_END, 0, 0, NULL, 0, 0, 0}};
    ck_assert_int_eq(build(big_type, sizeof buf, buf, &len, false), SP_CMSG_BAD);
    struct wire_msg big_int[] = {{W_INT, 0, 2, NULL, 0, 1L << 31, 0},
                                 {W_END, 0, 0, NULL, 0, 0, 0}};
    ck_assert_int_eq(build(big_int, sizeof buf, buf, &len, false), SP_CMSG_BAD);
    struct wire_msg ok[] = {{W_INT, 0, 2, NULL, 0, 1, 0},
                            {W_END, 0, 0, NULL, 0, 0, 0}};
    ck_assert_int_eq(build(ok, sizeof buf, buf, &len, true), SP_CMSG_BAD);
    /* full first, malformed later: malformed (a bug, not a limit) */
    struct wire_msg full_then_bad[] = {{W_INT, 0, 2, NULL, 0, 1, 0},
                                       {W_RAW, 0, 1, NULL, 0, 0, 0},
                                       {W_END, 0, 0, NULL, 0, 0, 0}};
    ck_assert_int_eq(build(full_then_bad, 8, buf, &len, false), SP_CMSG_BAD);
    /* not a list, a tuple of two */
    static const unsigned char not_list[] = {104, 2, 97, 0, 97, 1};
    static const unsigned char pair[] = {108, 0, 0, 0, 1, 104, 2, 97, 0, 97, 1, 106};
    struct sp_dec d;
    sp_dec_init(&d, not_list, sizeof not_list);
    ck_assert_int_eq(sp_cmsg_build(&d, buf, sizeof buf, &len), SP_CMSG_BAD);
    sp_dec_init(&d, pair, sizeof pair);
    ck_assert_int_eq(sp_cmsg_build(&d, buf, sizeof buf, &len), SP_CMSG_BAD);
}
END_TEST

/* ---- encoding: control buffer -> wire list -------------------------------- */

/* The printed wire list of `len' bytes of control buffer (an exact copy). */
static char *encoded(const void *ctrl, size_t len)
{
    void *copy = malloc(len ? len : 1);
    memcpy(copy, ctrl, len);
    size_t cap = sp_cmsg_encode_bound(len);
    char *out = malloc(cap);
    struct sp_enc e;
    sp_enc_init(&e, out, cap);
    sp_enc_version(&e);
    sp_cmsg_encode(&e, copy, len);
    ck_assert_int_eq(e.err, 0);
    char *s = NULL;
    int idx = 1;
    ck_assert_int_ge(ei_s_print_term(&s, out, &idx), 0);
    ck_assert_int_eq(idx, e.idx);
    free(out);
    free(copy);
    return s;
}

struct enc_row {
    const char *what;
    struct want_msg m[3];
    size_t n;
    const char *printed;
};

static const int ttl64 = 64, fds[] = {3, 4}, one = 1;
static const unsigned char tos_byte = 0xb8;
static const struct timeval tv56 = {.tv_sec = 5, .tv_usec = 6};
static const unsigned char ucred[12] = {1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0};

static struct in_pktinfo pktinfo(void)
{
    struct in_pktinfo p;
    memset(&p, 0, sizeof p);
    p.ipi_ifindex = 1;
    p.ipi_spec_dst.s_addr = htonl(0x7f000001);
    p.ipi_addr.s_addr = htonl(0x7f000002);
    return p;
}

static const struct enc_row enc_rows[] = {
    {"none", {{0, 0, NULL, 0}}, 0, "[]"},
    {"ttl", {{IPPROTO_IP, IP_TTL, &ttl64, 4}}, 1,
     "[{ip, ttl, #Bin<64,0,0,0>, {int, 64}}]"},
    {"tos as a byte", {{IPPROTO_IP, IP_TOS, &tos_byte, 1}}, 1,
     "[{ip, tos, #Bin<184>, {ip_tos, 184}}]"},
    {"tos as an int", {{IPPROTO_IP, IP_TOS, &ttl64, 4}}, 1,
     "[{ip, tos, #Bin<64,0,0,0>, {ip_tos, 64}}]"},
    {"ttl cut short (ctrunc)", {{IPPROTO_IP, IP_TTL, &ttl64, 0}}, 1,
     "[{ip, ttl, #Bin<>, undefined}]"},
    {"ttl of 2 bytes", {{IPPROTO_IP, IP_TTL, &ttl64, 2}}, 1,
     "[{ip, ttl, #Bin<64,0>, undefined}]"},
    {"timestamp", {{SOL_SOCKET, SO_TIMESTAMP, &tv56, sizeof tv56}}, 1,
     "[{socket, timestamp, #Bin<5,0,0,0,0,0,0,0,6,0,0,0,0,0,0,0>, {timeval, 5, 6}}]"},
    {"rights", {{SOL_SOCKET, SCM_RIGHTS, fds, sizeof fds}}, 1,
     "[{socket, rights, #Bin<3,0,0,0,4,0,0,0>, {fds, [3, 4]}}]"},
    {"rights of none", {{SOL_SOCKET, SCM_RIGHTS, fds, 0}}, 1,
     "[{socket, rights, #Bin<>, {fds, []}}]"},
    {"rights with a partial int", {{SOL_SOCKET, SCM_RIGHTS, fds, 6}}, 1,
     "[{socket, rights, #Bin<3,0,0,0,4,0>, {fds, [3]}}]"},
    {"credentials: no value", {{SOL_SOCKET, SCM_CREDENTIALS, ucred, 12}}, 1,
     "[{socket, credentials, #Bin<1,0,0,0,2,0,0,0,3,0,0,0>, undefined}]"},
    {"unknown socket type", {{SOL_SOCKET, 35, &one, 4}}, 1,
     "[{socket, 35, #Bin<1,0,0,0>, undefined}]"},
    {"unknown level", {{17, 5, &one, 4}}, 1,
     "[{17, 5, #Bin<1,0,0,0>, undefined}]"},
    {"ipv6 tclass and hoplimit",
     {{IPPROTO_IPV6, IPV6_TCLASS, &ttl64, 4}, {IPPROTO_IPV6, IPV6_HOPLIMIT, &one, 4}}, 2,
     "[{ipv6, tclass, #Bin<64,0,0,0>, {int, 64}}, {ipv6, hoplimit, #Bin<1,0,0,0>, {int, 1}}]"},
    {"recvtclass: no value", {{IPPROTO_IPV6, IPV6_RECVTCLASS, &one, 4}}, 1,
     "[{ipv6, recvtclass, #Bin<1,0,0,0>, undefined}]"},
};

START_TEST(test_encode_rows)
{
    const struct enc_row *r = &enc_rows[_i];
    char buf[512];
    size_t len = make_ctrl(buf, sizeof buf, r->m, r->n);
    char *s = encoded(buf, len);
    ck_assert_msg(strcmp(s, r->printed) == 0, "%s: %s", r->what, s);
    free(s);
}
END_TEST

START_TEST(test_encode_structs)
{
    char buf[512];
    struct in_pktinfo pi = pktinfo();
    struct want_msg m1 = {IPPROTO_IP, IP_PKTINFO, &pi, sizeof pi};
    size_t len = make_ctrl(buf, sizeof buf, &m1, 1);
    char *s = encoded(buf, len);
    ck_assert_str_eq(s, "[{ip, pktinfo, #Bin<1,0,0,0,127,0,0,1,127,0,0,2>, "
                        "{pktinfo, 1, {127, 0, 0, 1}, {127, 0, 0, 2}}}]");
    free(s);

    struct in6_pktinfo pi6;
    memset(&pi6, 0, sizeof pi6);
    pi6.ipi6_addr.s6_addr[15] = 1;
    pi6.ipi6_addr.s6_addr[0] = 0xfe;
    pi6.ipi6_addr.s6_addr[1] = 0x80;
    pi6.ipi6_ifindex = 2;
    struct want_msg m2 = {IPPROTO_IPV6, IPV6_PKTINFO, &pi6, sizeof pi6};
    len = make_ctrl(buf, sizeof buf, &m2, 1);
    s = encoded(buf, len);
    ck_assert_str_eq(s, "[{ipv6, pktinfo, #Bin<254,128,0,0,0,0,0,0,0,0,0,0,0,0,0,1,2,0,0,0>, "
                        "{in6_pktinfo, {65152, 0, 0, 0, 0, 0, 0, 1}, 2}}]");
    free(s);

    struct sockaddr_in sin;
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_port = htons(8080);
    sin.sin_addr.s_addr = htonl(0x7f000001);
    struct want_msg m3 = {IPPROTO_IP, IP_ORIGDSTADDR, &sin, sizeof sin};
    len = make_ctrl(buf, sizeof buf, &m3, 1);
    s = encoded(buf, len);
    ck_assert_str_eq(s, "[{ip, origdstaddr, #Bin<2,0,31,144,127,0,0,1,0,0,0,0,0,0,0,0>, "
                        "{sockaddr, {inet, {127, 0, 0, 1}, 8080}}}]");
    free(s);
}
END_TEST

START_TEST(test_encode_extended_err)
{
    char buf[512];
    struct {
        struct sock_extended_err ee;
        struct sockaddr_in off;
    } e4;
    memset(&e4, 0, sizeof e4);
    e4.ee.ee_errno = ECONNREFUSED;
    e4.ee.ee_origin = SO_EE_ORIGIN_ICMP;
    e4.ee.ee_type = 3;
    e4.ee.ee_code = 3;
    e4.ee.ee_info = 7;
    e4.ee.ee_data = 4294967295u;
    e4.off.sin_family = AF_INET;
    e4.off.sin_addr.s_addr = htonl(0x7f000001);
    struct want_msg m = {IPPROTO_IP, IP_RECVERR, &e4, sizeof e4};
    size_t len = make_ctrl(buf, sizeof buf, &m, 1);
    char *s = encoded(buf, len);
    ck_assert_msg(strstr(s, ", {extended_err, econnrefused, 2, 3, 3, 7, 4294967295, "
                            "{inet, {127, 0, 0, 1}, 0}}}]") != NULL, "%s", s);
    free(s);

    struct {
        struct sock_extended_err ee;
        struct sockaddr_in6 off;
    } e6;
    memset(&e6, 0, sizeof e6);
    e6.ee.ee_errno = EMSGSIZE;
    e6.ee.ee_origin = SO_EE_ORIGIN_ICMP6;
    e6.ee.ee_type = 2;
    e6.ee.ee_info = 1280;
    e6.off.sin6_family = AF_INET6;
    e6.off.sin6_addr.s6_addr[15] = 1;
    struct want_msg m6 = {IPPROTO_IPV6, IPV6_RECVERR, &e6, sizeof e6};
    len = make_ctrl(buf, sizeof buf, &m6, 1);
    s = encoded(buf, len);
    ck_assert_msg(strstr(s, "{extended_err, emsgsize, 3, 2, 0, 1280, 0, "
                            "{inet6, {0, 0, 0, 0, 0, 0, 0, 1}, 0, 0, 0}}}]") != NULL,
                  "%s", s);
    free(s);

    /* no offender: an unspec address; shorter than the struct: no value */
    struct want_msg m0 = {IPPROTO_IP, IP_RECVERR, &e4, sizeof e4.ee};
    len = make_ctrl(buf, sizeof buf, &m0, 1);
    s = encoded(buf, len);
    ck_assert_msg(strstr(s, "{unspec, #Bin<>}}}]") != NULL, "%s", s);
    free(s);
    struct want_msg ms = {IPPROTO_IP, IP_RECVERR, &e4, sizeof e4.ee - 1};
    len = make_ctrl(buf, sizeof buf, &ms, 1);
    s = encoded(buf, len);
    ck_assert_msg(strstr(s, ">, undefined}]") != NULL, "%s", s);
    free(s);
}
END_TEST

/* Lengths from a peer or a short buffer never read past the buffer. */
START_TEST(test_encode_hostile)
{
    char buf[256];
    struct want_msg two[] = {{IPPROTO_IP, IP_TTL, &ttl64, 4},
                             {IPPROTO_IP, IP_TTL, &one, 4}};
    size_t len = make_ctrl(buf, sizeof buf, two, 2);
    char *s;
    /* every prefix: whole messages only, the last one clipped */
    for (size_t cut = 0; cut <= len; cut++) {
        s = encoded(buf, cut);
        free(s);
    }
    s = encoded(buf, CMSG_SPACE(4) + CMSG_LEN(0) + 2);
    ck_assert_str_eq(s, "[{ip, ttl, #Bin<64,0,0,0>, {int, 64}}, {ip, ttl, #Bin<1,0>, undefined}]");
    free(s);
    /* a length past the end of the buffer */
    ((struct cmsghdr *)buf)->cmsg_len = 4096;
    s = encoded(buf, len);
    ck_assert_msg(strncmp(s, "[{ip, ttl, #Bin<64,0,0,0,0,0,0,0,20,", 36) == 0 &&
                      strstr(s, "}, {") == NULL && strstr(s, ">, {int, 64}}]") != NULL,
                  "%s", s);
    free(s);
    /* a length shorter than a header ends the walk */
    ((struct cmsghdr *)buf)->cmsg_len = 3;
    s = encoded(buf, len);
    ck_assert_str_eq(s, "[]");
    free(s);
    make_ctrl(buf, sizeof buf, two, 2);
    ((struct cmsghdr *)(buf + CMSG_SPACE(4)))->cmsg_len = 0;
    s = encoded(buf, len);
    ck_assert_str_eq(s, "[{ip, ttl, #Bin<64,0,0,0>, {int, 64}}]");
    free(s);
}
END_TEST

/* The bound holds for the densest buffers: all descriptors, all tiny. */
START_TEST(test_encode_bound)
{
    size_t len = 64 * 1024;
    char *buf = calloc(1, len);
    size_t k = (len - CMSG_LEN(0)) / sizeof(int);
    int *fdv = malloc(k * sizeof *fdv);
    for (size_t i = 0; i < k; i++)
        fdv[i] = 2000000000;
    struct want_msg m = {SOL_SOCKET, SCM_RIGHTS, fdv, k * sizeof(int)};
    make_ctrl(buf, len, &m, 1);
    char *s = encoded(buf, CMSG_LEN(k * sizeof(int)));
    free(s);
    /* many empty messages, each decoded to `undefined' */
    struct cmsghdr *c = (struct cmsghdr *)buf;
    for (size_t off = 0; off + CMSG_SPACE(0) <= len; off += CMSG_SPACE(0)) {
        c = (struct cmsghdr *)(buf + off);
        c->cmsg_level = IPPROTO_IPV6;
        c->cmsg_type = IPV6_RECVERR;
        c->cmsg_len = CMSG_LEN(0);
    }
    s = encoded(buf, len);
    free(s);
    free(fdv);
    free(buf);
}
END_TEST

static int bump(void *arg, int *fd)
{
    int *seen = arg;
    (*seen)++;
    *fd += 100;
    return *fd == 104 ? 7 : 0;
}

START_TEST(test_each_fd)
{
    char buf[256];
    struct want_msg m[] = {{IPPROTO_IP, IP_TTL, &ttl64, 4},
                           {SOL_SOCKET, SCM_RIGHTS, fds, sizeof fds},
                           {SOL_SOCKET, SCM_RIGHTS, &one, 4}};
    size_t len = make_ctrl(buf, sizeof buf, m, 3);
    int seen = 0;
    /* stops at the fd its callback fails, after rewriting it */
    ck_assert_int_eq(sp_cmsg_each_fd(buf, len, bump, &seen), 7);
    ck_assert_int_eq(seen, 2);
    char *s = encoded(buf, len);
    ck_assert_str_eq(s, "[{ip, ttl, #Bin<64,0,0,0>, {int, 64}}, "
                        "{socket, rights, #Bin<103,0,0,0,104,0,0,0>, {fds, [103, 104]}}, "
                        "{socket, rights, #Bin<1,0,0,0>, {fds, [1]}}]");
    free(s);
    seen = 0;
    ck_assert_int_eq(sp_cmsg_each_fd(buf, 0, bump, &seen), 0);
    ck_assert_int_eq(seen, 0);
}
END_TEST

START_TEST(test_table)
{
    ck_assert_str_eq(sp_cmsg_level_name(SOL_SOCKET), "socket");
    ck_assert_str_eq(sp_cmsg_level_name(IPPROTO_IPV6), "ipv6");
    ck_assert_ptr_null(sp_cmsg_level_name(IPPROTO_UDP));
    const struct sp_cmsg_type *t = sp_cmsg_find(IPPROTO_IP, IP_TOS);
    ck_assert_ptr_nonnull(t);
    ck_assert_str_eq(t->name, "tos");
    ck_assert_int_eq(t->send, SP_CMV_IP_TOS);
    ck_assert_ptr_null(sp_cmsg_find(IPPROTO_IP, 99));
    /* every row: a name, a level with that name, unique (level, type) */
    for (size_t i = 0; i < sp_cmsg_types_n; i++) {
        const struct sp_cmsg_type *r = &sp_cmsg_types[i];
        ck_assert_ptr_eq(sp_cmsg_find(r->level, r->type), r);
        ck_assert_str_eq(sp_cmsg_level_name(r->level), r->level_name);
        ck_assert_str_ne(sp_cmsg_val_name(r->recv), "");
    }
}
END_TEST

static Suite *cmsg_suite(void)
{
    Suite *s = suite_create("cmsg");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_build_empty);
    tcase_add_test(tc, test_build_forms);
    tcase_add_loop_test(tc, test_build_fit, 0, N(fit_rows));
    tcase_add_test(tc, test_build_malformed);
    tcase_add_loop_test(tc, test_encode_rows, 0, N(enc_rows));
    tcase_add_test(tc, test_encode_structs);
    tcase_add_test(tc, test_encode_extended_err);
    tcase_add_test(tc, test_encode_hostile);
    tcase_add_test(tc, test_encode_bound);
    tcase_add_test(tc, test_each_fd);
    tcase_add_test(tc, test_table);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cmsg_suite());
    int failed;
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
