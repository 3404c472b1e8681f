/* Unit tests of the ETF cursor and encoder (proto/sp_etf.c): tables of
 * {ETF bytes, expected} rows for every getter, including bytes captured from
 * erl (term_to_binary/1 of OTP 25), every prefix of every valid term (which
 * must fail without reading past the copy, sized exactly so that ASan sees
 * any overread), oversized and hostile headers, trailing bytes, and every
 * encoder at its exact size and one byte short. */
#include <check.h>
#include <ei.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sp_etf.h"

#define N(t) (sizeof(t) / sizeof((t)[0]))
#define B(...) (const unsigned char[]){__VA_ARGS__}, sizeof((const unsigned char[]){__VA_ARGS__})

/* A private, exactly sized copy, so that ASan catches a read past it. */
static char *copy(const void *p, size_t n)
{
    char *c = malloc(n > 0 ? n : 1);

    ck_assert_ptr_nonnull(c);
    if (n > 0)
        memcpy(c, p, n);
    return c;
}

enum kind { K_LONG, K_U64, K_ATOM, K_BIN, K_TUPLE, K_LIST, K_RAW, K_TYPE };

struct row {
    const char *what;
    const unsigned char *bytes; /* with the version byte */
    size_t n;
    enum kind kind;
    int ok;
    long l;          /* K_LONG value, K_TUPLE/K_LIST arity, K_RAW size, K_TYPE */
    uint64_t u;      /* K_U64 value */
    const char *s;   /* K_ATOM name, K_BIN bytes (with `l` as length) */
};

static const struct row rows[] = {
    /* integers */
    {"small int", B(131, 97, 255), K_LONG, 1, 255, 0, NULL},
    {"int -1", B(131, 98, 255, 255, 255, 255), K_LONG, 1, -1, 0, NULL},
    {"int 256", B(131, 98, 0, 0, 1, 0), K_LONG, 1, 256, 0, NULL},
    {"big 2^40", B(131, 110, 6, 0, 0, 0, 0, 0, 0, 1), K_LONG, 1, 1L << 40, 0, NULL},
    {"big -2^40", B(131, 110, 6, 1, 0, 0, 0, 0, 0, 1), K_LONG, 1, -(1L << 40), 0, NULL},
    {"big -2^63", B(131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128), K_LONG, 1, LONG_MIN, 0, NULL},
    {"big 2^63 not a long", B(131, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 128), K_LONG, 0, 0, 0, NULL},
    {"big 2^64 not a long", B(131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), K_LONG, 0, 0, 0, NULL},
    {"large big 2^40", B(131, 111, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 1), K_LONG, 1, 1L << 40, 0, NULL},
    {"atom is no long", B(131, 100, 0, 1, 97), K_LONG, 0, 0, 0, NULL},
    {"float is no long", B(131, 70, 63, 248, 0, 0, 0, 0, 0, 0), K_LONG, 0, 0, 0, NULL},
    {"u64 small", B(131, 97, 7), K_U64, 1, 0, 7, NULL},
    {"u64 2^63", B(131, 110, 8, 0, 0, 0, 0, 0, 0, 0, 0, 128), K_U64, 1, 0, 1ULL << 63, NULL},
    {"u64 max", B(131, 110, 8, 0, 255, 255, 255, 255, 255, 255, 255, 255), K_U64, 1, 0, UINT64_MAX, NULL},
    {"u64 2^64", B(131, 110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), K_U64, 0, 0, 0, NULL},
    {"u64 -1", B(131, 98, 255, 255, 255, 255), K_U64, 0, 0, 0, NULL},
    {"u64 -2^40", B(131, 110, 6, 1, 0, 0, 0, 0, 0, 1), K_U64, 0, 0, 0, NULL},
    {"u64 of a binary", B(131, 109, 0, 0, 0, 0), K_U64, 0, 0, 0, NULL},
    /* atoms (OTP 25 writes ATOM_EXT; OTP 26 the UTF-8 forms) */
    {"atom ok", B(131, 100, 0, 2, 111, 107), K_ATOM, 1, 0, 0, "ok"},
    {"small atom", B(131, 115, 2, 111, 107), K_ATOM, 1, 0, 0, "ok"},
    {"utf8 atom", B(131, 118, 0, 2, 111, 107), K_ATOM, 1, 0, 0, "ok"},
    {"small utf8 atom", B(131, 119, 4, 240, 159, 152, 128), K_ATOM, 1, 0, 0, "\xf0\x9f\x98\x80"},
    {"latin1 atom to utf8", B(131, 100, 0, 3, 104, 233, 108), K_ATOM, 1, 0, 0, "h\xc3\xa9l"},
    {"empty atom", B(131, 100, 0, 0), K_ATOM, 1, 0, 0, ""},
    {"binary is no atom", B(131, 109, 0, 0, 0, 2, 111, 107), K_ATOM, 0, 0, 0, NULL},
    {"nil is no atom", B(131, 106), K_ATOM, 0, 0, 0, NULL},
    /* binaries (max 8 in these rows) */
    {"binary", B(131, 109, 0, 0, 0, 3, 1, 2, 3), K_BIN, 1, 3, 0, "\1\2\3"},
    {"empty binary", B(131, 109, 0, 0, 0, 0), K_BIN, 1, 0, 0, ""},
    {"binary at max", B(131, 109, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8), K_BIN, 1, 8, 0, "\1\2\3\4\5\6\7\10"},
    {"binary over max", B(131, 109, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9), K_BIN, 0, 0, 0, NULL},
    {"bitstring", B(131, 77, 0, 0, 0, 1, 3, 32), K_BIN, 0, 0, 0, NULL},
    {"string is no binary", B(131, 107, 0, 3, 1, 2, 3), K_BIN, 0, 0, 0, NULL},
    /* tuples and lists (headers) */
    {"small tuple", B(131, 104, 2, 97, 1, 97, 2), K_TUPLE, 1, 2, 0, NULL},
    {"empty tuple", B(131, 104, 0), K_TUPLE, 1, 0, 0, NULL},
    {"large tuple", B(131, 105, 0, 0, 0, 1, 106), K_TUPLE, 1, 1, 0, NULL},
    {"tuple arity beyond bytes", B(131, 104, 3, 97, 1), K_TUPLE, 0, 0, 0, NULL},
    {"huge large tuple", B(131, 105, 255, 255, 255, 255, 106), K_TUPLE, 0, 0, 0, NULL},
    {"list is no tuple", B(131, 106), K_TUPLE, 0, 0, 0, NULL},
    {"nil", B(131, 106), K_LIST, 1, 0, 0, NULL},
    {"list [a,b]", B(131, 108, 0, 0, 0, 2, 115, 1, 97, 115, 1, 98, 106), K_LIST, 1, 2, 0, NULL},
    {"improper [a|b]", B(131, 108, 0, 0, 0, 1, 115, 1, 97, 115, 1, 98), K_LIST, 0, 0, 0, NULL},
    {"string ext", B(131, 107, 0, 3, 1, 2, 3), K_LIST, 0, 0, 0, NULL},
    {"huge list", B(131, 108, 127, 255, 255, 255, 106), K_LIST, 0, 0, 0, NULL},
    /* whole terms as raw bytes: size includes the tag, not the version */
    {"pid", B(131, 88, 100, 0, 13, 110, 111, 110, 111, 100, 101, 64, 110, 111, 104, 111, 115, 116, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0), K_RAW, 1, 29, 0, NULL},
    {"ref", B(131, 90, 0, 3, 100, 0, 13, 110, 111, 110, 111, 100, 101, 64, 110, 111, 104, 111, 115, 116, 0, 0, 0, 0, 0, 1, 39, 199, 73, 208, 0, 2, 95, 140, 72, 90), K_RAW, 1, 35, 0, NULL},
    {"map", B(131, 116, 0, 0, 0, 1, 100, 0, 1, 97, 97, 1), K_RAW, 1, 11, 0, NULL},
    {"export fun", B(131, 113, 100, 0, 6, 101, 114, 108, 97, 110, 103, 100, 0, 4, 110, 111, 100, 101, 97, 0), K_RAW, 1, 19, 0, NULL},
    {"inet addr", B(131, 104, 3, 100, 0, 4, 105, 110, 101, 116, 104, 4, 97, 127, 97, 0, 97, 0, 97, 1, 98, 0, 0, 31, 144), K_RAW, 1, 24, 0, NULL},
    {"float", B(131, 70, 63, 248, 0, 0, 0, 0, 0, 0), K_RAW, 1, 9, 0, NULL},
    {"compressed refused", B(131, 80, 0, 0, 0, 1, 120, 156), K_RAW, 0, 0, 0, NULL},
    {"unknown tag", B(131, 1, 2, 3), K_RAW, 0, 0, 0, NULL},
    {"map pairs beyond bytes", B(131, 116, 0, 0, 0, 2, 97, 1, 97, 2), K_RAW, 0, 0, 0, NULL},
    {"pid with a non-atom node", B(131, 88, 97, 1, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0), K_RAW, 0, 0, 0, NULL},
    {"pid with a small utf8 node", B(131, 88, 119, 1, 110, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0), K_RAW, 1, 16, 0, NULL},
    {"pid node beyond bytes", B(131, 88, 119, 9, 110, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0), K_RAW, 0, 0, 0, NULL},
    {"ref with a non-atom node", B(131, 90, 0, 1, 97, 1, 0, 0, 0, 0, 0, 0, 0, 1), K_RAW, 0, 0, 0, NULL},
    {"ref ids beyond bytes", B(131, 90, 0, 2, 119, 1, 110, 0, 0, 0, 0, 0, 0, 0, 1), K_RAW, 0, 0, 0, NULL},
    {"ref with no ids", B(131, 90, 0, 0, 119, 1, 110, 0, 0, 0, 0), K_RAW, 1, 10, 0, NULL},
    /* types */
    {"type small atom", B(131, 115, 1, 97), K_TYPE, 1, ERL_ATOM_EXT, 0, NULL},
    {"type binary", B(131, 109, 0, 0, 0, 0), K_TYPE, 1, ERL_BINARY_EXT, 0, NULL},
    {"type tuple", B(131, 104, 0), K_TYPE, 1, ERL_SMALL_TUPLE_EXT, 0, NULL},
    {"type truncated binary", B(131, 109, 0, 0, 0, 1), K_TYPE, 0, 0, 0, NULL},
};

/* Runs the getter of a row; returns its rc and checks the value on
 * success. */
static int run_row(const struct row *r, struct sp_dec *d)
{
    char atom[SP_ATOM_MAX];
    const char *p = NULL;
    size_t len = 0;
    long l = 0;
    uint64_t u = 0;
    int a = 0, rc = -1;
    struct sp_raw raw;

    switch (r->kind) {
    case K_LONG:
        rc = sp_dec_long(d, &l);
        if (rc == 0)
            ck_assert_int_eq(l, r->l);
        break;
    case K_U64:
        rc = sp_dec_u64(d, &u);
        if (rc == 0)
            ck_assert_uint_eq(u, r->u);
        break;
    case K_ATOM:
        rc = sp_dec_atom(d, atom);
        if (rc == 0)
            ck_assert_str_eq(atom, r->s);
        break;
    case K_BIN:
        rc = sp_dec_binary(d, &p, &len, 8);
        if (rc == 0) {
            ck_assert_uint_eq(len, (size_t)r->l);
            ck_assert(memcmp(p, r->s, len) == 0);
        }
        break;
    case K_TUPLE:
        rc = sp_dec_tuple(d, &a);
        if (rc == 0)
            ck_assert_int_eq(a, r->l);
        break;
    case K_LIST:
        rc = sp_dec_list(d, &a);
        if (rc == 0)
            ck_assert_int_eq(a, r->l);
        break;
    case K_RAW:
        rc = sp_dec_raw(d, &raw);
        if (rc == 0) {
            ck_assert_int_eq(raw.len, r->l);
            ck_assert_ptr_eq(raw.p, d->buf + 1);
        }
        break;
    case K_TYPE:
        rc = sp_dec_peek_type(d);
        if (rc >= 0) {
            ck_assert_int_eq(rc, r->l);
            rc = 0;
        }
        break;
    }
    return rc < 0 ? -1 : 0;
}

START_TEST(test_rows)
{
    const struct row *r = &rows[_i];
    char *buf = copy(r->bytes, r->n);
    struct sp_dec d;
    int rc;

    sp_dec_init(&d, buf, r->n);
    ck_assert_int_eq(sp_dec_version(&d), 0);
    rc = run_row(r, &d);
    ck_assert_msg(rc == (r->ok ? 0 : -1), "%s: rc %d", r->what, rc);
    if (rc < 0)
        ck_assert_msg(d.idx == 1, "%s: cursor moved on failure", r->what);
    else if (r->kind == K_RAW || r->kind == K_LONG || r->kind == K_U64 ||
             r->kind == K_ATOM || r->kind == K_BIN)
        ck_assert_msg(sp_dec_end(&d) == 0, "%s: bytes left", r->what);
    free(buf);
}
END_TEST

/* Every strict prefix of a term that decodes must fail, cursor unchanged,
 * without reading past the prefix. */
START_TEST(test_truncated)
{
    const struct row *r = &rows[_i];

    if (!r->ok || r->kind == K_TUPLE || r->kind == K_LIST)
        return; /* headers alone may fit in a prefix; covered below */
    for (size_t k = 1; k < r->n; k++) {
        char *buf = copy(r->bytes, k);
        struct sp_dec d;

        sp_dec_init(&d, buf, k);
        ck_assert_int_eq(sp_dec_version(&d), 0);
        ck_assert_msg(run_row(r, &d) == -1, "%s: prefix %zu decoded",
                      r->what, k);
        ck_assert_int_eq(d.idx, 1);
        {
            struct sp_raw raw;

            ck_assert_int_eq(sp_dec_raw(&d, &raw), -1);
            ck_assert_int_eq(sp_dec_peek_type(&d), -1);
        }
        free(buf);
    }
}
END_TEST

/* A pid from erl, without its version byte. */
static const unsigned char pid_bytes[] = {
    88, 100, 0, 13, 110, 111, 110, 111, 100, 101, 64, 110, 111, 104, 111,
    115, 116, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0};

/* A whole command as the daemon reads it, then every prefix of it. */
static size_t make_command(char *buf, size_t cap)
{
    struct sp_enc e;
    static const char tail[] = "payload";

    sp_enc_init(&e, buf, cap);
    sp_enc_version(&e);
    sp_enc_tuple(&e, 6);
    sp_enc_long(&e, 48);
    sp_enc_raw(&e, (struct sp_raw){(const char *)pid_bytes, sizeof pid_bytes});
    sp_enc_atom(&e, "ref");
    sp_enc_u64(&e, 1ULL << 40);
    sp_enc_list(&e, 2);
    sp_enc_atom(&e, "peek");
    sp_enc_binary(&e, "ab", 2);
    sp_enc_nil(&e);
    sp_enc_atom(&e, "infinity");
    ck_assert_int_eq(e.err, 0);
    ck_assert_uint_ge(cap - (size_t)e.idx, sizeof tail - 1);
    memcpy(buf + e.idx, tail, sizeof tail - 1);
    return (size_t)e.idx + sizeof tail - 1;
}

static int read_command(struct sp_dec *d)
{
    char atom[SP_ATOM_MAX];
    struct sp_raw pid;
    long op;
    uint64_t id;
    int n;
    const char *p;
    size_t len;

    if (sp_dec_version(d) < 0 || sp_dec_tuple_n(d, 6) < 0 ||
        sp_dec_range(d, 0, 255, &op) < 0 || sp_dec_raw(d, &pid) < 0 ||
        sp_dec_atom(d, atom) < 0 || sp_dec_u64(d, &id) < 0 ||
        sp_dec_list(d, &n) < 0 || n != 2 || !sp_dec_is_atom(d, "peek") ||
        sp_dec_skip(d) < 0 || sp_dec_binary(d, &p, &len, 16) < 0 ||
        sp_dec_nil(d) < 0 || sp_dec_atom(d, atom) < 0)
        return -1;
    ck_assert_int_eq(op, 48);
    ck_assert_uint_eq(id, 1ULL << 40);
    ck_assert_str_eq(atom, "infinity");
    ck_assert_uint_eq(len, 2);
    return 0;
}

START_TEST(test_command_and_prefixes)
{
    char full[256];
    size_t n = make_command(full, sizeof full);
    const char *tail;

    {
        char *buf = copy(full, n);
        struct sp_dec d;

        sp_dec_init(&d, buf, n);
        ck_assert_int_eq(read_command(&d), 0);
        ck_assert_int_eq(sp_dec_end(&d), -1); /* the tail is left */
        ck_assert_uint_eq(sp_dec_rest(&d, &tail), 7);
        ck_assert(memcmp(tail, "payload", 7) == 0);
        free(buf);
    }
    for (size_t k = 0; k < n - 7; k++) {
        char *buf = copy(full, k);
        struct sp_dec d;

        sp_dec_init(&d, buf, k);
        ck_assert_msg(read_command(&d) == -1, "prefix %zu", k);
        free(buf);
    }
}
END_TEST

START_TEST(test_trailing_and_end)
{
    char *buf = copy(B(131, 97, 1, 0));
    struct sp_dec d;
    long v;

    sp_dec_init(&d, buf, 4);
    ck_assert_int_eq(sp_dec_version(&d), 0);
    ck_assert_int_eq(sp_dec_long(&d, &v), 0);
    ck_assert_int_eq(sp_dec_end(&d), -1);
    d.idx = 0;
    ck_assert_int_eq(sp_dec_long(&d, &v), -1); /* 131 is no term */
    free(buf);
    sp_dec_init(&d, "", 0);
    ck_assert_int_eq(sp_dec_end(&d), 0);
    ck_assert_int_eq(sp_dec_version(&d), -1);
    ck_assert_int_eq(sp_dec_peek_type(&d), -1);
    ck_assert(!sp_dec_is_atom(&d, "ok"));
}
END_TEST

START_TEST(test_range_and_arity)
{
    char *buf = copy(B(131, 104, 2, 97, 200, 98, 0, 0, 1, 0));
    struct sp_dec d;
    long v;

    sp_dec_init(&d, buf, 10);
    sp_dec_version(&d);
    ck_assert_int_eq(sp_dec_tuple_n(&d, 3), -1);
    ck_assert_int_eq(d.idx, 1);
    ck_assert_int_eq(sp_dec_tuple_n(&d, 2), 0);
    ck_assert_int_eq(sp_dec_range(&d, 0, 199, &v), -1);
    ck_assert_int_eq(d.idx, 3);
    ck_assert_int_eq(sp_dec_range(&d, 200, 200, &v), 0);
    ck_assert_int_eq(sp_dec_range(&d, 0, 255, &v), -1);
    ck_assert_int_eq(sp_dec_range(&d, 256, 256, &v), 0);
    ck_assert_int_eq(sp_dec_end(&d), 0);
    free(buf);
}
END_TEST

/* An atom of `n` bytes in ATOM_UTF8_EXT. */
START_TEST(test_atom_sizes)
{
    static const size_t sizes[] = {255, 256, 300, 65535};

    for (size_t i = 0; i < N(sizes); i++) {
        size_t n = sizes[i];
        char *buf = malloc(n + 4);
        char atom[SP_ATOM_MAX];
        struct sp_dec d;

        buf[0] = (char)131;
        buf[1] = 118;
        buf[2] = (char)(n >> 8);
        buf[3] = (char)n;
        memset(buf + 4, 'x', n);
        sp_dec_init(&d, buf, n + 4);
        sp_dec_version(&d);
        ck_assert_int_eq(sp_dec_atom(&d, atom), n < SP_ATOM_MAX ? 0 : -1);
        if (n < SP_ATOM_MAX)
            ck_assert_uint_eq(strlen(atom), n);
        else
            ck_assert_int_eq(d.idx, 1);
        free(buf);
    }
}
END_TEST

/* Deep nesting is walked without recursion. */
START_TEST(test_deep_nesting)
{
    size_t depth = 1000000, n = 1 + 2 * depth + 1;
    char *buf = malloc(n);
    struct sp_dec d;
    struct sp_raw raw;

    buf[0] = (char)131;
    for (size_t i = 0; i < depth; i++) {
        buf[1 + 2 * i] = 104;
        buf[2 + 2 * i] = 1;
    }
    buf[n - 1] = 106;
    sp_dec_init(&d, buf, n);
    sp_dec_version(&d);
    ck_assert_int_eq(sp_dec_raw(&d, &raw), 0);
    ck_assert_int_eq(raw.len, (int)(n - 1));
    sp_dec_init(&d, buf, n - 1);
    sp_dec_version(&d);
    ck_assert_int_eq(sp_dec_raw(&d, &raw), -1);
    free(buf);
}
END_TEST

/* Encoders: exact size works, one byte short sets err and writes nothing
 * past the buffer; the result decodes back. */
enum ekind { E_VERSION, E_TUPLE, E_LIST, E_NIL, E_ATOM, E_LONG, E_U64, E_BIN,
             E_RAW, E_BINHDR };

struct erow {
    const char *what;
    enum ekind kind;
    long l;
    uint64_t u;
    const char *s;
    const unsigned char *bytes; /* expected output */
    size_t n;
};

static const struct erow erows[] = {
    {"version", E_VERSION, 0, 0, NULL, B(131)},
    {"tuple 3", E_TUPLE, 3, 0, NULL, B(104, 3)},
    {"tuple 300", E_TUPLE, 300, 0, NULL, B(105, 0, 0, 1, 44)},
    {"list 2", E_LIST, 2, 0, NULL, B(108, 0, 0, 0, 2)},
    {"nil", E_NIL, 0, 0, NULL, B(106)},
    {"atom ok", E_ATOM, 0, 0, "ok", B(119, 2, 111, 107)},
    {"long 5", E_LONG, 5, 0, NULL, B(97, 5)},
    {"long -1", E_LONG, -1, 0, NULL, B(98, 255, 255, 255, 255)},
    {"long 2^40", E_LONG, 1L << 40, 0, NULL, B(110, 6, 0, 0, 0, 0, 0, 0, 1)},
    {"long min", E_LONG, LONG_MIN, 0, NULL, B(110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128)},
    {"u64 max", E_U64, 0, UINT64_MAX, NULL, B(110, 8, 0, 255, 255, 255, 255, 255, 255, 255, 255)},
    {"u64 7", E_U64, 0, 7, NULL, B(97, 7)},
    {"binary", E_BIN, 3, 0, "abc", B(109, 0, 0, 0, 3, 97, 98, 99)},
    {"empty binary", E_BIN, 0, 0, "", B(109, 0, 0, 0, 0)},
    {"raw", E_RAW, 2, 0, "\141\1", B(97, 1)},
    {"binary header", E_BINHDR, 0x01020304, 0, NULL, B(109, 1, 2, 3, 4)},
};

static void run_erow(const struct erow *r, struct sp_enc *e)
{
    switch (r->kind) {
    case E_VERSION: sp_enc_version(e); break;
    case E_TUPLE: sp_enc_tuple(e, (int)r->l); break;
    case E_LIST: sp_enc_list(e, (int)r->l); break;
    case E_NIL: sp_enc_nil(e); break;
    case E_ATOM: sp_enc_atom(e, r->s); break;
    case E_LONG: sp_enc_long(e, r->l); break;
    case E_U64: sp_enc_u64(e, r->u); break;
    case E_BIN: sp_enc_binary(e, r->s, (size_t)r->l); break;
    case E_RAW: sp_enc_raw(e, (struct sp_raw){r->s, (int)r->l}); break;
    case E_BINHDR: sp_enc_binary_header(e, (size_t)r->l); break;
    }
}

START_TEST(test_encoders)
{
    const struct erow *r = &erows[_i];
    char *buf = malloc(r->n);
    struct sp_enc e;

    sp_enc_init(&e, buf, r->n);
    run_erow(r, &e);
    ck_assert_msg(e.err == 0, "%s", r->what);
    ck_assert_int_eq(e.idx, (int)r->n);
    ck_assert_msg(memcmp(buf, r->bytes, r->n) == 0, "%s bytes", r->what);
    free(buf);

    buf = malloc(r->n); /* a short buffer inside an exact allocation */
    sp_enc_init(&e, buf, r->n - 1);
    run_erow(r, &e);
    ck_assert_int_eq(e.err, -1);
    ck_assert_int_eq(e.idx, 0);
    /* sticky: nothing more is written */
    sp_enc_nil(&e);
    ck_assert_int_eq(e.idx, 0);
    free(buf);
}
END_TEST

START_TEST(test_encode_limits)
{
    char buf[512], name[SP_ATOM_MAX + 1];
    struct sp_enc e;

    memset(name, 'a', SP_ATOM_MAX);
    name[SP_ATOM_MAX] = '\0';
    sp_enc_init(&e, buf, sizeof buf);
    sp_enc_atom(&e, name); /* 256 bytes: too long for an atom */
    ck_assert_int_eq(e.err, -1);
    sp_enc_init(&e, buf, sizeof buf);
    name[SP_ATOM_MAX - 1] = '\0';
    sp_enc_atom(&e, name);
    ck_assert_int_eq(e.err, 0);
    sp_enc_init(&e, buf, sizeof buf);
    sp_enc_binary_header(&e, (size_t)UINT32_MAX + 1);
    ck_assert_int_eq(e.err, -1);
}
END_TEST

/* Encoded terms decode back to what was written. */
START_TEST(test_round_trip)
{
    static const long longs[] = {0, 1, 255, 256, -1, -256, 134217727,
                                 134217728, -134217729, INT_MAX, INT_MIN,
                                 1L << 40, LONG_MAX, LONG_MIN};
    static const uint64_t u64s[] = {0, 255, 1ULL << 31, 1ULL << 32,
                                    1ULL << 63, UINT64_MAX};
    char buf[64];

    for (size_t i = 0; i < N(longs); i++) {
        struct sp_enc e;
        struct sp_dec d;
        long v;

        sp_enc_init(&e, buf, sizeof buf);
        sp_enc_version(&e);
        sp_enc_long(&e, longs[i]);
        ck_assert_int_eq(e.err, 0);
        sp_dec_init(&d, buf, (size_t)e.idx);
        ck_assert_int_eq(sp_dec_version(&d), 0);
        ck_assert_int_eq(sp_dec_long(&d, &v), 0);
        ck_assert_int_eq(v, longs[i]);
        ck_assert_int_eq(sp_dec_end(&d), 0);
    }
    for (size_t i = 0; i < N(u64s); i++) {
        struct sp_enc e;
        struct sp_dec d;
        uint64_t v;

        sp_enc_init(&e, buf, sizeof buf);
        sp_enc_u64(&e, u64s[i]);
        sp_dec_init(&d, buf, (size_t)e.idx);
        ck_assert_int_eq(sp_dec_u64(&d, &v), 0);
        ck_assert_uint_eq(v, u64s[i]);
        ck_assert_int_eq(sp_dec_end(&d), 0);
    }
}
END_TEST

/* sp_dec_is_atom compares the whole name in every atom encoding, and
 * leaves the cursor where it was. */
START_TEST(test_is_atom)
{
    const struct {
        const unsigned char *bytes;
        size_t n;
        const char *name;
        bool is;
    } cases[] = {
        {B(100, 0, 4, 116, 114, 117, 101), "true", true},
        {B(115, 4, 116, 114, 117, 101), "true", true},
        {B(118, 0, 4, 116, 114, 117, 101), "true", true},
        {B(119, 4, 116, 114, 117, 101), "true", true},
        {B(119, 4, 116, 114, 117, 101), "tru", false},
        {B(119, 4, 116, 114, 117, 101), "truex", false},
        {B(119, 5, 116, 114, 117, 101, 0), "true", false},
        {B(100, 0, 3, 104, 233, 108), "hel", false},
        {B(119, 5, 116, 114, 117, 101), "true", false},  /* truncated */
        {B(109, 0, 0, 0, 4, 116, 114, 117, 101), "true", false},
        {B(100, 0, 0), "", true},
    };

    for (size_t i = 0; i < N(cases); i++) {
        char *buf = copy(cases[i].bytes, cases[i].n);
        struct sp_dec d;

        sp_dec_init(&d, buf, cases[i].n);
        ck_assert_msg(sp_dec_is_atom(&d, cases[i].name) == cases[i].is,
                      "case %zu", i);
        ck_assert_int_eq(d.idx, 0);
        free(buf);
    }
}
END_TEST

/* Runs one of our encoders on e_ and the ei encoder it stands for on
 * theirs_ and idx_, and checks that both wrote the same bytes. */
#define SAME_AS_EI(ours, theirs)                                            \
    do {                                                                    \
        char ours_[64], theirs_[64];                                        \
        struct sp_enc e_;                                                   \
        int idx_ = 0;                                                       \
        sp_enc_init(&e_, ours_, sizeof ours_);                              \
        ours;                                                               \
        ck_assert_int_eq((theirs), 0);                                      \
        ck_assert_int_eq(e_.err, 0);                                        \
        ck_assert_int_eq(e_.idx, idx_);                                     \
        ck_assert(memcmp(ours_, theirs_, (size_t)idx_) == 0);               \
    } while (0)

/* The encoders that write without ei write what ei writes. */
START_TEST(test_encoders_match_ei)
{
    static const long longs[] = {0, 1, 255, 256, -1, -256, 134217727,
                                 134217728, -134217728, -134217729, INT_MAX,
                                 INT_MIN, (long)INT_MAX + 1,
                                 (long)INT_MIN - 1, LONG_MAX, LONG_MIN};
    static const uint64_t u64s[] = {0, 255, 256, 134217728, INT32_MAX,
                                    (uint64_t)INT32_MAX + 1, UINT64_MAX};
    static const int arities[] = {0, 1, 255, 256, 70000};
    static const char *const atoms[] = {"", "ok", "infinity", "caf\xc3\xa9"};

    for (size_t i = 0; i < N(longs); i++)
        SAME_AS_EI(sp_enc_long(&e_, longs[i]),
                   ei_encode_long(theirs_, &idx_, longs[i]));
    for (size_t i = 0; i < N(u64s); i++)
        SAME_AS_EI(sp_enc_u64(&e_, u64s[i]),
                   ei_encode_ulonglong(theirs_, &idx_, u64s[i]));
    for (size_t i = 0; i < N(arities); i++)
        SAME_AS_EI(sp_enc_tuple(&e_, arities[i]),
                   ei_encode_tuple_header(theirs_, &idx_, arities[i]));
    for (size_t i = 0; i < N(atoms); i++)
        SAME_AS_EI(sp_enc_atom(&e_, atoms[i]),
                   ei_encode_atom_len_as(theirs_, &idx_, atoms[i],
                                         (int)strlen(atoms[i]), ERLANG_UTF8,
                                         ERLANG_UTF8));
    SAME_AS_EI((sp_enc_version(&e_), sp_enc_nil(&e_)),
               ei_encode_version(theirs_, &idx_) |
                   ei_encode_empty_list(theirs_, &idx_));
}
END_TEST

static Suite *etf_suite(void)
{
    Suite *s = suite_create("etf");
    TCase *tc = tcase_create("etf");

    tcase_add_loop_test(tc, test_rows, 0, N(rows));
    tcase_add_loop_test(tc, test_truncated, 0, N(rows));
    tcase_add_test(tc, test_command_and_prefixes);
    tcase_add_test(tc, test_trailing_and_end);
    tcase_add_test(tc, test_range_and_arity);
    tcase_add_test(tc, test_atom_sizes);
    tcase_add_test(tc, test_deep_nesting);
    tcase_add_loop_test(tc, test_encoders, 0, N(erows));
    tcase_add_test(tc, test_encode_limits);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_is_atom);
    tcase_add_test(tc, test_encoders_match_ei);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(etf_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
