/* Unit tests of the sockaddr codec (proto/sp_addr.c): rows of {wire term
 * bytes, family, expected rc, expected re-encoding} decoded and encoded
 * back, checks of the struct sockaddr each special form produces (abstract
 * and unnamed local addresses, byte order of ports and flowinfo), and rows
 * of kernel addresses encoded into the terms OTP 25 shows for them
 * (recvfrom from an unbound unix dgram sender: {unspec, <<>>}; sockname of
 * an unbound local socket: {local, <<>>}; sockaddr_ll; addresses too short
 * for their family as {native, ...}). */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_packet.h>
#include <net/if_arp.h>
#include <sys/un.h>

#include "sp_addr.h"

#define N(t) (sizeof(t) / sizeof((t)[0]))
#define B(...) (const unsigned char[]){__VA_ARGS__}, sizeof((const unsigned char[]){__VA_ARGS__})
#define NONE NULL, 0

#define A_INET 100, 0, 4, 'i', 'n', 'e', 't'
#define A_INET6 100, 0, 5, 'i', 'n', 'e', 't', '6'
#define A_LOCAL 100, 0, 5, 'l', 'o', 'c', 'a', 'l'
#define A_UNSPEC 100, 0, 6, 'u', 'n', 's', 'p', 'e', 'c'
#define A_ANY 100, 0, 3, 'a', 'n', 'y'
#define A_LOOPBACK 100, 0, 8, 'l', 'o', 'o', 'p', 'b', 'a', 'c', 'k'
#define A_BROADCAST 100, 0, 9, 'b', 'r', 'o', 'a', 'd', 'c', 'a', 's', 't'
#define A_NATIVE 100, 0, 6, 'n', 'a', 't', 'i', 'v', 'e'
#define SI(x) 97, (x)
#define INT16(x) 98, 0, 0, ((x) >> 8) & 255, (x) & 255
#define T(n) 104, (n)
#define BIN(n) 109, 0, 0, 0, (n)

/* What the encoder writes for the same addresses (small atoms in UTF-8). */
#define E_INET 119, 4, 'i', 'n', 'e', 't'
#define E_INET6 119, 5, 'i', 'n', 'e', 't', '6'
#define E_LOCAL 119, 5, 'l', 'o', 'c', 'a', 'l'
#define E_UNSPEC 119, 6, 'u', 'n', 's', 'p', 'e', 'c'
#define E_NATIVE 119, 6, 'n', 'a', 't', 'i', 'v', 'e'
#define E_PACKET 119, 6, 'p', 'a', 'c', 'k', 'e', 't'
#define E_LOOPBACK 119, 8, 'l', 'o', 'o', 'p', 'b', 'a', 'c', 'k'
#define E_ETHER 119, 5, 'e', 't', 'h', 'e', 'r'
#define E_HOST 119, 4, 'h', 'o', 's', 't'
#define E_OUTGOING 119, 8, 'o', 'u', 't', 'g', 'o', 'i', 'n', 'g'

struct drow {
    const char *what;
    const unsigned char *in;
    size_t in_n;
    int family;
    int rc;
    const unsigned char *out; /* the encoding of the decoded address */
    size_t out_n;
};

static const struct drow drows[] = {
    {"inet", B(T(3), A_INET, T(4), SI(127), SI(0), SI(0), SI(1), INT16(8080)), AF_INET, 0,
     B(T(3), E_INET, T(4), SI(127), SI(0), SI(0), SI(1), INT16(8080))},
    {"inet port 0 family ignored", B(T(3), A_INET, T(4), SI(10), SI(1), SI(2), SI(3), SI(0)), AF_INET6, 0,
     B(T(3), E_INET, T(4), SI(10), SI(1), SI(2), SI(3), SI(0))},
    {"inet port 65536", B(T(3), A_INET, T(4), SI(1), SI(1), SI(1), SI(1), 98, 0, 1, 0, 0), AF_INET, -1, NONE},
    {"inet byte 256", B(T(3), A_INET, T(4), SI(1), INT16(256), SI(1), SI(1), SI(0)), AF_INET, -1, NONE},
    {"inet negative byte", B(T(3), A_INET, T(4), SI(1), 98, 255, 255, 255, 255, SI(1), SI(1), SI(0)), AF_INET, -1, NONE},
    {"inet 3-tuple address", B(T(3), A_INET, T(3), SI(1), SI(1), SI(1), SI(0)), AF_INET, -1, NONE},
    {"inet wrong arity", B(T(2), A_INET, T(4), SI(1), SI(1), SI(1), SI(1)), AF_INET, -1, NONE},
    {"inet address as list", B(T(3), A_INET, 106, SI(0)), AF_INET, -1, NONE},
    {"inet6 flowinfo scope", B(T(5), A_INET6, T(8), INT16(0xfe80), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(1),
                               INT16(443), SI(7), SI(2)), AF_INET6, 0,
     B(T(5), E_INET6, T(8), INT16(0xfe80), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(1), INT16(443), SI(7), SI(2))},
    {"inet6 max flowinfo", B(T(5), A_INET6, T(8), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(1), SI(0),
                             110, 4, 0, 255, 255, 255, 255, SI(0)), AF_INET6, 0,
     B(T(5), E_INET6, T(8), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(1), SI(0), 110, 4, 0, 255, 255, 255, 255, SI(0))},
    {"inet6 flowinfo 2^32", B(T(5), A_INET6, T(8), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(1), SI(0),
                              110, 5, 0, 0, 0, 0, 0, 1, SI(0)), AF_INET6, -1, NONE},
    {"inet6 word 65536", B(T(5), A_INET6, T(8), 98, 0, 1, 0, 0, SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(1),
                           SI(0), SI(0), SI(0)), AF_INET6, -1, NONE},
    {"inet6 as 3-tuple", B(T(3), A_INET6, T(8), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(1), SI(0)), AF_INET6, -1, NONE},
    {"local path", B(T(2), A_LOCAL, BIN(3), '/', 't', 'm'), AF_UNIX, 0, B(T(2), E_LOCAL, BIN(3), '/', 't', 'm')},
    {"local abstract", B(T(2), A_LOCAL, BIN(4), 0, 'a', 'b', 's'), AF_UNIX, 0, B(T(2), E_LOCAL, BIN(4), 0, 'a', 'b', 's')},
    {"local unnamed", B(T(2), A_LOCAL, BIN(0)), AF_UNIX, 0, B(T(2), E_LOCAL, BIN(0))},
    /* OTP passes an embedded NUL on; the kernel (and so sockname) stops
     * at it. */
    {"local embedded nul", B(T(2), A_LOCAL, BIN(3), 'a', 0, 'b'), AF_UNIX, 0, B(T(2), E_LOCAL, BIN(1), 'a')},
    {"local path as atom", B(T(2), A_LOCAL, A_ANY), AF_UNIX, -1, NONE},
    {"local path as string", B(T(2), A_LOCAL, 107, 0, 1, 'a'), AF_UNIX, -1, NONE},
    {"unspec empty", B(T(2), A_UNSPEC, BIN(0)), AF_INET, 0, B(T(2), E_UNSPEC, BIN(0))},
    {"unspec bytes", B(T(2), A_UNSPEC, BIN(2), 1, 2), AF_INET, 0, B(T(2), E_UNSPEC, BIN(2), 1, 2)},
    /* native: the family as a number, the bytes after it as given */
    {"native inet", B(T(3), A_NATIVE, SI(2), BIN(14), 0, 9, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0), AF_INET, 0,
     B(T(3), E_INET, T(4), SI(127), SI(0), SI(0), SI(1), SI(9))},
    {"native short inet", B(T(3), A_NATIVE, SI(2), BIN(5), 0, 9, 127, 0, 0), AF_INET, 0,
     B(T(3), E_NATIVE, E_INET, BIN(5), 0, 9, 127, 0, 0)},
    {"native unspec empty", B(T(3), A_NATIVE, SI(0), BIN(0)), AF_INET, 0, B(T(2), E_UNSPEC, BIN(0))},
    {"native other family", B(T(3), A_NATIVE, INT16(300), BIN(2), 7, 8), AF_INET, 0,
     B(T(3), E_NATIVE, INT16(300), BIN(2), 7, 8)},
    {"native family 65536", B(T(3), A_NATIVE, 98, 0, 1, 0, 0, BIN(0)), AF_INET, -1, NONE},
    {"native negative family", B(T(3), A_NATIVE, 98, 255, 255, 255, 255, BIN(0)), AF_INET, -1, NONE},
    {"native family atom", B(T(3), A_NATIVE, A_INET, BIN(0)), AF_INET, -1, NONE},
    {"native wrong arity", B(T(2), A_NATIVE, SI(2)), AF_INET, -1, NONE},
    {"any inet", B(A_ANY), AF_INET, 0, B(T(3), E_INET, T(4), SI(0), SI(0), SI(0), SI(0), SI(0))},
    {"loopback inet", B(A_LOOPBACK), AF_INET, 0, B(T(3), E_INET, T(4), SI(127), SI(0), SI(0), SI(1), SI(0))},
    {"broadcast inet", B(A_BROADCAST), AF_INET, 0, B(T(3), E_INET, T(4), SI(255), SI(255), SI(255), SI(255), SI(0))},
    {"any inet6", B(A_ANY), AF_INET6, 0,
     B(T(5), E_INET6, T(8), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0))},
    {"loopback inet6", B(A_LOOPBACK), AF_INET6, 0,
     B(T(5), E_INET6, T(8), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(0), SI(1), SI(0), SI(0), SI(0))},
    {"broadcast inet6", B(A_BROADCAST), AF_INET6, -1, NONE},
    {"any local", B(A_ANY), AF_UNIX, -EAFNOSUPPORT, NONE},
    {"loopback local", B(A_LOOPBACK), AF_UNIX, -EAFNOSUPPORT, NONE},
    {"other atom", B(A_INET), AF_INET, -1, NONE},
    {"unknown family tag", B(T(2), 100, 0, 3, 'f', 'o', 'o', BIN(0)), AF_INET, -1, NONE},
    {"integer", B(SI(1)), AF_INET, -1, NONE},
    {"empty tuple", B(T(0)), AF_INET, -1, NONE},
};

START_TEST(test_decode_rows)
{
    const struct drow *r = &drows[_i];
    char *in = malloc(r->in_n), out[256];
    struct sp_dec d;
    struct sp_enc e;
    struct sp_addr a;
    int rc;

    memcpy(in, r->in, r->in_n);
    sp_dec_init(&d, in, r->in_n);
    rc = sp_addr_decode(&d, r->family, &a);
    ck_assert_msg(rc == r->rc, "%s: rc %d", r->what, rc);
    if (rc < 0) {
        ck_assert_msg(d.idx == 0, "%s: cursor moved", r->what);
        free(in);
        return;
    }
    ck_assert_int_eq(sp_dec_end(&d), 0);
    sp_enc_init(&e, out, sizeof out);
    sp_addr_encode(&e, (struct sockaddr *)&a.ss, a.len);
    ck_assert_int_eq(e.err, 0);
    ck_assert_msg((size_t)e.idx == r->out_n && memcmp(out, r->out, r->out_n) == 0,
                  "%s: re-encoding differs", r->what);
    /* Every strict prefix fails. */
    for (size_t k = 0; k < r->in_n; k++) {
        char *p = malloc(k > 0 ? k : 1);

        memcpy(p, r->in, k);
        sp_dec_init(&d, p, k);
        ck_assert_msg(sp_addr_decode(&d, r->family, &a) < 0, "%s: prefix %zu",
                      r->what, k);
        ck_assert_int_eq(d.idx, 0);
        free(p);
    }
    free(in);
}
END_TEST

static int decode_bytes(const unsigned char *p, size_t n, int family,
                        struct sp_addr *a)
{
    struct sp_dec d;

    sp_dec_init(&d, p, n);
    return sp_addr_decode(&d, family, a);
}

START_TEST(test_decode_structs)
{
    struct sp_addr a;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&a.ss;
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&a.ss;
    const struct sockaddr_un *sun = (const struct sockaddr_un *)&a.ss;

    ck_assert_int_eq(decode_bytes(drows[0].in, drows[0].in_n, AF_INET, &a), 0);
    ck_assert_int_eq(sin->sin_family, AF_INET);
    ck_assert_uint_eq(a.len, sizeof *sin);
    ck_assert_uint_eq(ntohs(sin->sin_port), 8080);
    ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001);

    ck_assert_int_eq(decode_bytes(drows[8].in, drows[8].in_n, AF_INET6, &a), 0);
    ck_assert_int_eq(sin6->sin6_family, AF_INET6);
    ck_assert_uint_eq(a.len, sizeof *sin6);
    ck_assert_uint_eq(ntohs(sin6->sin6_port), 443);
    ck_assert_uint_eq(ntohl(sin6->sin6_flowinfo), 7);
    ck_assert_uint_eq(sin6->sin6_scope_id, 2);
    ck_assert_uint_eq(sin6->sin6_addr.s6_addr[0], 0xfe);
    ck_assert_uint_eq(sin6->sin6_addr.s6_addr[15], 1);

    /* path: NUL-terminated, socklen counts the NUL */
    ck_assert_int_eq(decode_bytes(drows[13].in, drows[13].in_n, AF_UNIX, &a), 0);
    ck_assert_int_eq(sun->sun_family, AF_UNIX);
    ck_assert_uint_eq(a.len, offsetof(struct sockaddr_un, sun_path) + 4);
    ck_assert_str_eq(sun->sun_path, "/tm");
    /* abstract: every byte, no NUL */
    ck_assert_int_eq(decode_bytes(drows[14].in, drows[14].in_n, AF_UNIX, &a), 0);
    ck_assert_uint_eq(a.len, offsetof(struct sockaddr_un, sun_path) + 4);
    ck_assert(memcmp(sun->sun_path, "\0abs", 4) == 0);
    /* unnamed: just the family (bind autobinds) */
    ck_assert_int_eq(decode_bytes(drows[15].in, drows[15].in_n, AF_UNIX, &a), 0);
    ck_assert_uint_eq(a.len, sizeof(sa_family_t));
    /* unspec */
    ck_assert_int_eq(decode_bytes(drows[19].in, drows[19].in_n, AF_INET, &a), 0);
    ck_assert_int_eq(a.ss.ss_family, AF_UNSPEC);
    ck_assert_uint_eq(a.len, sizeof(sa_family_t));
    /* native: the family and exactly the bytes given */
    ck_assert_int_eq(decode_bytes(drows[22].in, drows[22].in_n, AF_INET6, &a), 0);
    ck_assert_int_eq(a.ss.ss_family, AF_INET);
    ck_assert_uint_eq(a.len, sizeof(sa_family_t) + 5);
    ck_assert_uint_eq(ntohs(sin->sin_port), 9);
}
END_TEST

/* Local paths at and beyond the size of sun_path. */
START_TEST(test_local_sizes)
{
    const size_t max = sizeof(((struct sockaddr_un *)0)->sun_path);
    static const struct {
        size_t n;
        int abstract;
        int rc;
    } cases[] = {
        {107, 0, 0}, {108, 0, -1}, {109, 0, -1}, {108, 1, 0}, {109, 1, -1},
        {1, 1, 0}, {65536, 0, -1},
    };

    for (size_t i = 0; i < N(cases); i++) {
        size_t n = cases[i].n;
        unsigned char *buf = malloc(n + 20);
        static const unsigned char head[] = {T(2), A_LOCAL};
        struct sp_addr a;
        size_t k = sizeof head;

        memcpy(buf, head, k);
        buf[k++] = 109;
        buf[k++] = (unsigned char)(n >> 24);
        buf[k++] = (unsigned char)(n >> 16);
        buf[k++] = (unsigned char)(n >> 8);
        buf[k++] = (unsigned char)n;
        memset(buf + k, 'p', n);
        if (cases[i].abstract)
            buf[k] = 0;
        ck_assert_msg(decode_bytes(buf, k + n, AF_UNIX, &a) == cases[i].rc,
                      "case %zu", i);
        if (cases[i].rc == 0) {
            ck_assert_uint_le(a.len, sizeof(struct sockaddr_un));
            ck_assert_uint_eq(a.len, offsetof(struct sockaddr_un, sun_path) + n +
                                         (cases[i].abstract ? 0 : 1));
            ck_assert_uint_le(n, max);
        }
        free(buf);
    }
}
END_TEST

/* Kernel addresses -> wire terms. */
struct erow {
    const char *what;
    struct sockaddr_storage ss;
    socklen_t len;
    const unsigned char *out;
    size_t out_n;
};

#define SUN_OFF offsetof(struct sockaddr_un, sun_path)

static struct erow erows[] = {
    {"recvfrom of an unbound unix sender (len 0)", {.ss_family = AF_UNIX}, 0, B(T(2), E_UNSPEC, BIN(0))},
    {"unnamed local (sockname unbound)", {.ss_family = AF_UNIX}, sizeof(sa_family_t), B(T(2), E_LOCAL, BIN(0))},
    {"path stops at its NUL", {0}, 0, B(T(2), E_LOCAL, BIN(2), '/', 'x')},
    {"path without NUL in socklen", {0}, 0, B(T(2), E_LOCAL, BIN(2), '/', 'x')},
    {"abstract keeps every byte", {0}, 0, B(T(2), E_LOCAL, BIN(4), 0, 'a', 0, 'b')},
    {"unknown family: native with its number", {.ss_family = AF_NETLINK}, 6, B(T(3), E_NATIVE, SI(16), BIN(4), 0, 0, 0, 0)},
    {"AF_UNSPEC", {.ss_family = AF_UNSPEC}, sizeof(struct sockaddr), B(T(2), E_UNSPEC, BIN(14), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
    {"short inet", {.ss_family = AF_INET}, 4, B(T(3), E_NATIVE, E_INET, BIN(2), 0, 0)},
    {"inet without padding", {.ss_family = AF_INET}, 8, B(T(3), E_INET, T(4), SI(0), SI(0), SI(0), SI(0), SI(0))},
    {"short inet6", {.ss_family = AF_INET6}, 27, B(T(3), E_NATIVE, E_INET6, BIN(25), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)},
    {"len 1: the bytes", {.ss_family = AF_INET}, 1, B(BIN(1), AF_INET)},
    {"packet (sockaddr_ll)", {0}, 0, B(T(6), E_PACKET, INT16(0x0800), SI(1), E_LOOPBACK, E_OUTGOING, BIN(6), 0, 0, 0, 0, 0, 0)},
    {"packet, numbers for unnamed types", {0}, 0, B(T(6), E_PACKET, SI(3), SI(7), INT16(0x1234), SI(99), BIN(0))},
    {"packet, halen past what was returned", {0}, 0, B(T(6), E_PACKET, SI(0), SI(2), E_ETHER, E_HOST, BIN(8), 1, 2, 3, 4, 5, 6, 7, 8)},
    {"short packet: native", {0}, 0, B(T(3), E_NATIVE, E_PACKET, BIN(10), 0, 3, 0, 0, 0, 0, 0, 0, 0, 0)},
};

static void fill_erows(void)
{
    struct sockaddr_un *sun;

    sun = (struct sockaddr_un *)&erows[2].ss;
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, "/x\0garbage", 10);
    erows[2].len = SUN_OFF + 10;
    sun = (struct sockaddr_un *)&erows[3].ss;
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, "/xyz", 4);
    erows[3].len = SUN_OFF + 2;
    sun = (struct sockaddr_un *)&erows[4].ss;
    sun->sun_family = AF_UNIX;
    memcpy(sun->sun_path, "\0a\0b", 4);
    erows[4].len = SUN_OFF + 4;

    struct sockaddr_ll *sll = (struct sockaddr_ll *)&erows[11].ss;
    *sll = (struct sockaddr_ll){.sll_family = AF_PACKET,
                                .sll_protocol = htons(0x0800),
                                .sll_ifindex = 1,
                                .sll_hatype = ARPHRD_LOOPBACK,
                                .sll_pkttype = PACKET_OUTGOING,
                                .sll_halen = 6};
    erows[11].len = sizeof *sll;
    sll = (struct sockaddr_ll *)&erows[12].ss;
    *sll = (struct sockaddr_ll){.sll_family = AF_PACKET,
                                .sll_protocol = htons(3),
                                .sll_ifindex = 7,
                                .sll_hatype = 0x1234,
                                .sll_pkttype = 99};
    erows[12].len = sizeof *sll;
    /* halen 20 (infiniband) in a 20-byte sockaddr_ll: 8 bytes were
     * returned */
    sll = (struct sockaddr_ll *)&erows[13].ss;
    *sll = (struct sockaddr_ll){.sll_family = AF_PACKET,
                                .sll_ifindex = 2,
                                .sll_hatype = ARPHRD_ETHER,
                                .sll_pkttype = PACKET_HOST,
                                .sll_halen = 20,
                                .sll_addr = {1, 2, 3, 4, 5, 6, 7, 8}};
    memset((char *)sll + sizeof *sll, 0xee, 12);
    erows[13].len = sizeof *sll;
    /* an unbound packet socket's sockname: 12 bytes */
    sll = (struct sockaddr_ll *)&erows[14].ss;
    *sll = (struct sockaddr_ll){.sll_family = AF_PACKET,
                                .sll_protocol = htons(3)};
    erows[14].len = offsetof(struct sockaddr_ll, sll_addr);
}

START_TEST(test_encode_rows)
{
    const struct erow *r = &erows[_i];
    char out[256];
    struct sp_enc e;

    fill_erows();
    sp_enc_init(&e, out, sizeof out);
    sp_addr_encode(&e, (const struct sockaddr *)&r->ss, r->len);
    ck_assert_int_eq(e.err, 0);
    ck_assert_msg((size_t)e.idx == r->out_n && memcmp(out, r->out, r->out_n) == 0,
                  "%s: got %d bytes", r->what, e.idx);
    /* too small a buffer: err, never an overflow */
    sp_enc_init(&e, out, r->out_n - 1);
    sp_addr_encode(&e, (const struct sockaddr *)&r->ss, r->len);
    ck_assert_int_eq(e.err, -1);
}
END_TEST

/* Real kernel addresses round trip through the codec. */
START_TEST(test_kernel_round_trip)
{
    struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(1),
                                .sin6_flowinfo = htonl(0xfffff),
                                .sin6_scope_id = 0xffffffffu};
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    const struct sockaddr *sas[] = {(struct sockaddr *)&sin6,
                                    (struct sockaddr *)&sun};
    const socklen_t lens[] = {sizeof sin6, sizeof sun};
    char out[512];

    inet_pton(AF_INET6, "2001:db8::ff00:42:8329", &sin6.sin6_addr);
    memset(sun.sun_path, 'q', sizeof sun.sun_path);
    sun.sun_path[0] = '\0'; /* abstract, all 108 bytes */
    for (size_t i = 0; i < N(sas); i++) {
        struct sp_enc e;
        struct sp_dec d;
        struct sp_addr a;

        sp_enc_init(&e, out, sizeof out);
        sp_addr_encode(&e, sas[i], lens[i]);
        ck_assert_int_eq(e.err, 0);
        sp_dec_init(&d, out, (size_t)e.idx);
        ck_assert_int_eq(sp_addr_decode(&d, AF_INET6, &a), 0);
        ck_assert_uint_eq(a.len, lens[i]);
        ck_assert(memcmp(&a.ss, sas[i], lens[i]) == 0);
    }
}
END_TEST

static Suite *addr_suite(void)
{
    Suite *s = suite_create("addr");
    TCase *tc = tcase_create("addr");

    tcase_add_loop_test(tc, test_decode_rows, 0, N(drows));
    tcase_add_test(tc, test_decode_structs);
    tcase_add_test(tc, test_local_sizes);
    tcase_add_loop_test(tc, test_encode_rows, 0, N(erows));
    tcase_add_test(tc, test_kernel_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(addr_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
