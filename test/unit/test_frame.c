/* Unit tests of the {packet, 4} reader (proto/sp_frame.c): a stream of
 * frames fed through the reader split at every byte position and in
 * every chunk size, many frames in one read, zero-length frames, oversized
 * frames skipped (counted, never buffered) with the next frame intact,
 * truncated frames waiting for more, and an invariant check of the reader
 * after every step (memcached/libevent style). */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "sp_frame.h"

#define N(t) (sizeof(t) / sizeof((t)[0]))
#define MAX 64

static void reader_validate(const struct sp_frame_reader *r)
{
    ck_assert_uint_le(r->off, r->len);
    ck_assert_uint_le(r->len, r->cap);
    ck_assert_uint_le(r->cap, r->max + 4);
    ck_assert(r->cap == 0 || r->buf != NULL);
}

/* A stream: frames of these lengths (each filled with its index), where a
 * length > MAX is an oversized frame the reader must skip. */
struct stream {
    const char *what;
    size_t lens[8];
    size_t n;
};

static const struct stream streams[] = {
    {"one", {5}, 1},
    {"empty frame", {0}, 1},
    {"empty between", {3, 0, 0, 4}, 4},
    {"max sized", {MAX, 1, MAX}, 3},
    {"oversized first", {MAX + 1, 7}, 2},
    {"oversized between", {2, 200, 3}, 3},
    {"two oversized", {1000, MAX + 1, 0, 9}, 4},
    {"many", {1, 2, 3, 4, 5, 6, 7, 8}, 8},
};

static size_t build(const struct stream *s, unsigned char *buf)
{
    size_t k = 0;

    for (size_t i = 0; i < s->n; i++) {
        size_t n = s->lens[i];

        buf[k++] = (unsigned char)(n >> 24);
        buf[k++] = (unsigned char)(n >> 16);
        buf[k++] = (unsigned char)(n >> 8);
        buf[k++] = (unsigned char)n;
        memset(buf + k, 'a' + (int)i, n);
        k += n;
    }
    return k;
}

/* Feeds `bytes` in chunks (the sizes cycle through `chunks`) and checks
 * that exactly the frames <= MAX come out, in order, with their bytes. */
static void feed(const struct stream *s, const unsigned char *bytes, size_t len,
                 const size_t *chunks, size_t nchunks)
{
    struct sp_frame_reader r;
    size_t pos = 0, next = 0, c = 0;
    uint64_t oversized = 0;

    for (size_t i = 0; i < s->n; i++)
        oversized += s->lens[i] > MAX;
    sp_frame_reader_init(&r, MAX);
    while (pos < len) {
        size_t want = chunks[c++ % nchunks], room;
        char *p;
        const char *frame;
        size_t flen;

        if (want > len - pos)
            want = len - pos;
        room = sp_frame_space(&r, want, &p);
        ck_assert_uint_gt(room, 0);
        if (want > room)
            want = room;
        memcpy(p, bytes + pos, want);
        sp_frame_commit(&r, want);
        pos += want;
        reader_validate(&r);
        while (sp_frame_next(&r, &frame, &flen) == 1) {
            while (next < s->n && s->lens[next] > MAX)
                next++;
            ck_assert_msg(next < s->n, "%s: extra frame", s->what);
            ck_assert_uint_eq(flen, s->lens[next]);
            for (size_t k = 0; k < flen; k++)
                ck_assert_int_eq(frame[k], 'a' + (int)next);
            next++;
            reader_validate(&r);
        }
    }
    while (next < s->n && s->lens[next] > MAX)
        next++;
    ck_assert_msg(next == s->n, "%s: %zu frames missing", s->what, s->n - next);
    ck_assert_uint_eq(r.skipped, oversized);
    ck_assert_uint_eq(r.len - r.off, 0);
    sp_frame_reader_free(&r);
}

START_TEST(test_split_everywhere)
{
    const struct stream *s = &streams[_i];
    unsigned char bytes[4096] = {0};
    size_t len = build(s, bytes);

    /* all at once, byte by byte, and every two-piece split */
    feed(s, bytes, len, &len, 1);
    feed(s, bytes, len, (const size_t[]){1}, 1);
    for (size_t cut = 1; cut < len; cut++)
        feed(s, bytes, len, (const size_t[]){cut, len}, 2);
    /* every chunk size */
    for (size_t chunk = 2; chunk < len; chunk++)
        feed(s, bytes, len, &chunk, 1);
    /* uneven chunks */
    feed(s, bytes, len, (const size_t[]){3, 1, 7, 2, 64, 5}, 6);
}
END_TEST

START_TEST(test_truncated_waits)
{
    static const unsigned char bytes[] = {0, 0, 0, 3, 'x', 'y', 'z'};
    struct sp_frame_reader r;
    const char *frame;
    size_t flen;

    sp_frame_reader_init(&r, MAX);
    ck_assert_int_eq(sp_frame_next(&r, &frame, &flen), 0);
    for (size_t i = 0; i < sizeof bytes; i++) {
        char *p;

        ck_assert_int_eq(sp_frame_next(&r, &frame, &flen), 0);
        ck_assert_uint_gt(sp_frame_space(&r, 1, &p), 0);
        *p = (char)bytes[i];
        sp_frame_commit(&r, 1);
        reader_validate(&r);
    }
    ck_assert_int_eq(sp_frame_next(&r, &frame, &flen), 1);
    ck_assert_uint_eq(flen, 3);
    ck_assert(memcmp(frame, "xyz", 3) == 0);
    ck_assert_int_eq(sp_frame_next(&r, &frame, &flen), 0);
    sp_frame_reader_free(&r);
}
END_TEST

/* An oversized frame's bytes never accumulate: the buffer stays within
 * max + 4 however much of it arrives. */
START_TEST(test_oversized_not_buffered)
{
    struct sp_frame_reader r;
    const size_t big = 10 * 1000 * 1000;
    size_t sent = 0;
    const char *frame;
    size_t flen;
    char *p;

    sp_frame_reader_init(&r, MAX);
    ck_assert_uint_ge(sp_frame_space(&r, 4, &p), 4);
    memcpy(p, (const char[]){0, (char)(big >> 16), (char)(big >> 8), (char)big}, 4);
    sp_frame_commit(&r, 4);
    ck_assert_int_eq(sp_frame_next(&r, &frame, &flen), 0);
    ck_assert_uint_eq(r.skipped, 1);
    while (sent < big) {
        size_t room = sp_frame_space(&r, 1 << 20, &p);

        ck_assert_uint_gt(room, 0);
        if (room > big - sent)
            room = big - sent;
        memset(p, 'z', room);
        sp_frame_commit(&r, room);
        sent += room;
        reader_validate(&r);
        ck_assert_int_eq(sp_frame_next(&r, &frame, &flen), 0);
    }
    ck_assert_uint_eq(r.skip, 0);
    ck_assert_uint_le(r.cap, MAX + 4);
    ck_assert_uint_ge(sp_frame_space(&r, 5, &p), 5);
    memcpy(p, "\0\0\0\1!", 5);
    sp_frame_commit(&r, 5);
    ck_assert_int_eq(sp_frame_next(&r, &frame, &flen), 1);
    ck_assert_uint_eq(flen, 1);
    ck_assert_int_eq(frame[0], '!');
    sp_frame_reader_free(&r);
}
END_TEST

/* The buffer grows to hold one whole max-sized frame and no more. */
START_TEST(test_growth_bounded)
{
    struct sp_frame_reader r;
    const size_t max = 1 << 20;
    size_t got = 0;
    char *p;
    const char *frame;
    size_t flen;

    sp_frame_reader_init(&r, max);
    ck_assert_uint_ge(sp_frame_space(&r, 4, &p), 4);
    memcpy(p, (const char[]){0, 0x10, 0, 0}, 4);
    sp_frame_commit(&r, 4);
    while (got < max) {
        size_t room = sp_frame_space(&r, 3 * max, &p);

        ck_assert_uint_gt(room, 0);
        ck_assert_uint_le(r.cap, max + 4);
        if (room > max - got)
            room = max - got;
        memset(p, 'm', room);
        sp_frame_commit(&r, room);
        got += room;
    }
    ck_assert_int_eq(sp_frame_next(&r, &frame, &flen), 1);
    ck_assert_uint_eq(flen, max);
    ck_assert_int_eq(frame[max - 1], 'm');
    sp_frame_reader_free(&r);
    /* free leaves a reusable reader */
    ck_assert_ptr_null(r.buf);
    ck_assert_uint_eq(r.max, max);
}
END_TEST

static Suite *frame_suite(void)
{
    Suite *s = suite_create("frame");
    TCase *tc = tcase_create("frame");

    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_split_everywhere, 0, N(streams));
    tcase_add_test(tc, test_truncated_waits);
    tcase_add_test(tc, test_oversized_not_buffered);
    tcase_add_test(tc, test_growth_bounded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(frame_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
