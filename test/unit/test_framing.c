/* Unit tests of inet's packet framing (daemon/framing.c): a table of
 * {packet type, bytes, limits, expected length and header} rows, then a
 * stream of packets fed in every split (as reads may cut them) that must
 * come out whole and in order. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"

#define N(t) (sizeof(t) / sizeof((t)[0]))

struct row {
    const char *what;
    int packet;
    const char *bytes;
    size_t n;
    size_t max_plen, trunc;
    long len;   /* expected sp_packet_len */
    size_t hdr; /* and header (when len > 0) */
};

static const struct row rows[] = {
    {"raw empty", SP_PKT_RAW, "", 0, 0, 0, 0, 0},
    {"raw takes all", SP_PKT_RAW, "abc", 3, 0, 0, 3, 0},
    {"1 no header", SP_PKT_1, "", 0, 0, 0, 0, 0},
    {"1 short", SP_PKT_1, "\x03" "ab", 3, 0, 0, 0, 0},
    {"1 whole", SP_PKT_1, "\x03" "abc", 4, 0, 0, 4, 1},
    {"1 whole and more", SP_PKT_1, "\x01" "ab", 3, 0, 0, 2, 1},
    {"1 empty packet", SP_PKT_1, "\x00" "x", 2, 0, 0, 1, 1},
    {"2 half header", SP_PKT_2, "\x00", 1, 0, 0, 0, 0},
    {"2 whole", SP_PKT_2, "\x00\x02" "hi", 4, 0, 0, 4, 2},
    {"2 over packet_size", SP_PKT_2, "\x00\x05" "hello", 7, 4, 0, -1, 0},
    {"2 at packet_size", SP_PKT_2, "\x00\x04" "hell", 6, 4, 0, 6, 2},
    {"2 over before body", SP_PKT_2, "\x01\x00", 2, 10, 0, -1, 0},
    {"4 whole", SP_PKT_4, "\x00\x00\x00\x01" "z", 5, 0, 0, 5, 4},
    {"4 three header bytes", SP_PKT_4, "\x00\x00\x00", 3, 0, 0, 0, 0},
    {"4 beyond the cap", SP_PKT_4, "\x7f\x00\x00\x00", 4, 0, 0, -1, 0},
    {"line none", SP_PKT_LINE, "abc", 3, 0, 0, 0, 0},
    {"line one", SP_PKT_LINE, "ab\ncd", 5, 0, 0, 3, 0},
    {"line empty", SP_PKT_LINE, "\n", 1, 0, 0, 1, 0},
    {"line cut at buffer", SP_PKT_LINE, "abcdefgh", 8, 0, 4, 4, 0},
    {"line long with nl cut", SP_PKT_LINE, "abcdef\n", 7, 0, 4, 4, 0},
    {"line fits buffer", SP_PKT_LINE, "abc\n", 4, 0, 4, 4, 0},
    {"line over packet_size", SP_PKT_LINE, "abcdef\n", 7, 5, 0, -1, 0},
    {"line no nl over size", SP_PKT_LINE, "abcdef", 6, 5, 0, -1, 0},
    {"line no nl at size", SP_PKT_LINE, "abcde", 5, 5, 0, 0, 0},
};

START_TEST(test_rows)
{
    const struct row *r = &rows[_i];
    size_t hdr = 99;
    long len = sp_packet_len(r->packet, r->bytes, r->n, r->max_plen, r->trunc,
                             &hdr);
    ck_assert_msg(len == r->len, "%s: len %ld, expected %ld", r->what, len,
                  r->len);
    if (len > 0)
        ck_assert_msg(hdr == r->hdr, "%s: hdr %zu", r->what, hdr);
    if (len == 0) /* what is needed is always more than what is there */
        ck_assert_msg(sp_packet_need(r->packet, r->bytes, r->n) > r->n,
                      "%s: need", r->what);
}
END_TEST

/* Packets of sizes 0..20 (framed by type), fed in chunks of every size:
 * each comes out once, whole, in order, whatever the split. */
static size_t build(int packet, char *buf, size_t *count)
{
    size_t k = 0;
    *count = 0;
    for (size_t len = 0; len <= 20; len++) {
        if (packet == SP_PKT_LINE) {
            memset(buf + k, 'a' + (int)(len % 26), len);
            k += len;
            buf[k++] = '\n';
        } else {
            size_t h = (size_t)packet;
            for (size_t i = 0; i < h; i++)
                buf[k++] = (char)(len >> (8 * (h - 1 - i)));
            memset(buf + k, 'a' + (int)(len % 26), len);
            k += len;
        }
        (*count)++;
    }
    return k;
}

static void feed(int packet, size_t chunk)
{
    char stream[2048], held[2048];
    size_t count, total = build(packet, stream, &count), at = 0, have = 0;
    size_t next = 0; /* the packet expected next (its payload length) */
    while (at < total || have > 0) {
        size_t take = total - at < chunk ? total - at : chunk;
        memcpy(held + have, stream + at, take);
        have += take;
        at += take;
        size_t hdr;
        long len;
        while ((len = sp_packet_len(packet, held, have, 0, 0, &hdr)) > 0) {
            size_t payload = (size_t)len - hdr;
            size_t want = packet == SP_PKT_LINE ? next + 1 : next;
            ck_assert_uint_eq(payload, want);
            for (size_t i = 0; i < next; i++)
                ck_assert_int_eq(held[hdr + i], 'a' + (int)(next % 26));
            memmove(held, held + len, have - (size_t)len);
            have -= (size_t)len;
            next++;
        }
        ck_assert_int_eq(len, 0);
        if (take == 0)
            break;
    }
    ck_assert_uint_eq(next, count);
    ck_assert_uint_eq(have, 0);
}

START_TEST(test_splits)
{
    static const int types[] = {SP_PKT_1, SP_PKT_2, SP_PKT_4, SP_PKT_LINE};
    for (size_t t = 0; t < N(types); t++)
        for (size_t chunk = 1; chunk <= 30; chunk++)
            feed(types[t], chunk);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("framing");
    TCase *tc = tcase_create("framing");
    tcase_add_loop_test(tc, test_rows, 0, (int)N(rows));
    tcase_add_test(tc, test_splits);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
