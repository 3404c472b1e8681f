/* Unit tests of the daemon's output queue (daemon/outq.c): random runs of
 * copied and owned appends, drained through a small non-blocking pipe
 * (so writes stop part way through segments and the queue compacts while
 * it holds bytes) or taken out directly, must deliver exactly the bytes
 * appended, in order. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "outq.h"

/* realloc, made to fail on demand (linked with --wrap=realloc): fail_in
 * counts down the calls that still succeed; below 0, all do. */
static int fail_in = -1;

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_realloc(void *p, size_t n)
{
    if (fail_in == 0)
        return NULL;
    if (fail_in > 0)
        fail_in--;
    return __real_realloc(p, n);
}

#define TOTAL (4u << 20)

static uint32_t rnd_state;

static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state >> 8;
}

/* Appends a copy of n bytes, as the daemon does: reserve, fill, commit. */
static int copy_in(struct sp_outq *q, const void *data, size_t n)
{
    char *p = sp_outq_reserve(q, n);
    if (!p)
        return -1;
    memcpy(p, data, n);
    return sp_outq_commit(q, n);
}

struct run {
    unsigned char *want; /* every byte appended, in order */
    size_t appended;
    unsigned char *got; /* every byte delivered */
    size_t delivered;
};

static void append(struct sp_outq *q, struct run *r)
{
    size_t n = rnd() % 8 == 0 ? 1 + rnd() % 70000 : 1 + rnd() % 300;
    if (r->appended + n > TOTAL)
        n = TOTAL - r->appended;
    unsigned char *src = r->want + r->appended;
    for (size_t i = 0; i < n; i++)
        src[i] = (unsigned char)rnd();
    switch (rnd() % 3) {
    case 0: {
        unsigned char *block = malloc(n);
        ck_assert_ptr_nonnull(block);
        memcpy(block, src, n);
        ck_assert_int_eq(sp_outq_add_owned(q, block, n), 0);
        break;
    }
    case 1: {
        char *p = sp_outq_reserve(q, n + 16);
        ck_assert_ptr_nonnull(p);
        memcpy(p, src, n);
        ck_assert_int_eq(sp_outq_commit(q, n), 0);
        break;
    }
    default:
        ck_assert_int_eq(copy_in(q, src, n), 0);
    }
    r->appended += n;
}

static void drain_pipe(int fd, struct run *r)
{
    ssize_t n;
    while ((n = read(fd, r->got + r->delivered, TOTAL - r->delivered)) > 0)
        r->delivered += (size_t)n;
}

static void check_run(bool through_pipe)
{
    int p[2];
    ck_assert_int_eq(pipe2(p, O_NONBLOCK), 0);
    (void)fcntl(p[1], F_SETPIPE_SZ, 4096);
    struct run r = {malloc(TOTAL), 0, malloc(TOTAL), 0};
    ck_assert(r.want && r.got);
    struct sp_outq q;
    sp_outq_init(&q);
    while (r.appended < TOTAL || sp_outq_len(&q) > 0) {
        if (r.appended < TOTAL && rnd() % 3 != 0)
            append(&q, &r);
        if (through_pipe) {
            ssize_t n = sp_outq_write(&q, p[1]);
            ck_assert(n >= 0 || errno == EAGAIN);
            if (rnd() % 2)
                drain_pipe(p[0], &r);
        } else {
            size_t max = rnd() % 5000;
            r.delivered += sp_outq_take(&q, r.got + r.delivered, max);
        }
        /* what is queued is what is neither delivered nor in the pipe */
        if (through_pipe)
            ck_assert_uint_le(r.delivered + sp_outq_len(&q), r.appended);
        else
            ck_assert_uint_eq(r.delivered + sp_outq_len(&q), r.appended);
    }
    drain_pipe(p[0], &r);
    ck_assert_uint_eq(r.delivered, TOTAL);
    ck_assert_int_eq(memcmp(r.want, r.got, TOTAL), 0);
    sp_outq_free(&q);
    free(r.want);
    free(r.got);
    close(p[0]);
    close(p[1]);
}

START_TEST(test_through_pipe)
{
    rnd_state = (uint32_t)_i + 1;
    check_run(true);
}
END_TEST

START_TEST(test_take)
{
    rnd_state = (uint32_t)_i + 100;
    check_run(false);
}
END_TEST

/* Freeing a queue that still holds owned blocks frees them (the
 * sanitizer build's leak check sees it). */
START_TEST(test_free_owned)
{
    struct sp_outq q;
    sp_outq_init(&q);
    ck_assert_int_eq(copy_in(&q, "abc", 3), 0);
    ck_assert_int_eq(sp_outq_add_owned(&q, malloc(10000), 10000), 0);
    ck_assert_int_eq(sp_outq_add_owned(&q, malloc(1), 0), 0);
    ck_assert_uint_eq(sp_outq_len(&q), 10003);
    char two[2];
    ck_assert_uint_eq(sp_outq_take(&q, two, 2), 2);
    ck_assert_int_eq(memcmp(two, "ab", 2), 0);
    sp_outq_free(&q);
    ck_assert_uint_eq(sp_outq_len(&q), 0);
}
END_TEST

/* With realloc failing from its k-th call on, every append either takes
 * all its bytes or none, and what was taken comes out whole and in
 * order once memory is back. */
START_TEST(test_alloc_failure)
{
    static unsigned char want[1 << 20], got[1 << 20];
    size_t kept = 0;
    struct sp_outq q;
    sp_outq_init(&q);
    rnd_state = (uint32_t)_i + 7;
    fail_in = _i;
    for (int step = 0; step < 200; step++) {
        size_t n = 1 + rnd() % (step % 5 == 0 ? 20000 : 200);
        unsigned char *src = want + kept;
        for (size_t i = 0; i < n; i++)
            src[i] = (unsigned char)rnd();
        size_t before = sp_outq_len(&q);
        int rc;
        if (rnd() % 2) {
            unsigned char *block = malloc(n);
            ck_assert_ptr_nonnull(block);
            memcpy(block, src, n);
            rc = sp_outq_add_owned(&q, block, n);
            if (rc != 0)
                free(block);
        } else {
            rc = copy_in(&q, src, n);
        }
        ck_assert_uint_eq(sp_outq_len(&q), rc == 0 ? before + n : before);
        if (rc == 0)
            kept += n;
        if (kept > sizeof want - 20000)
            break;
        if (rnd() % 4 == 0) {
            size_t k = sp_outq_take(&q, got, rnd() % 3000);
            ck_assert_int_eq(memcmp(got, want, k), 0);
            memmove(want, want + k, kept - k);
            kept -= k;
        }
    }
    fail_in = -1;
    ck_assert_uint_eq(sp_outq_len(&q), kept);
    ck_assert_uint_eq(sp_outq_take(&q, got, sizeof got), kept);
    ck_assert_int_eq(memcmp(got, want, kept), 0);
    sp_outq_free(&q);
}
END_TEST

/* Segments reserved ahead let a commit that starts a segment and an owned
 * append succeed with no memory to be had (the daemon's frame with a
 * payload by pointer relies on it). */
START_TEST(test_reserved_segments)
{
    struct sp_outq q;
    sp_outq_init(&q);
    for (int i = 0; i < 40; i++) {
        ck_assert_int_eq(sp_outq_add_owned(&q, malloc(8), 8), 0);
        ck_assert_int_eq(sp_outq_reserve_segs(&q, 2), 0);
        char *p = sp_outq_reserve(&q, 4);
        ck_assert_ptr_nonnull(p);
        memcpy(p, "head", 4);
        fail_in = 0;
        ck_assert_int_eq(sp_outq_commit(&q, 4), 0);
        ck_assert_int_eq(sp_outq_add_owned(&q, malloc(8), 8), 0);
        fail_in = -1;
    }
    ck_assert_uint_eq(sp_outq_len(&q), 40 * 20);
    sp_outq_free(&q);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("outq");
    TCase *tc = tcase_create("outq");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_through_pipe, 0, 4);
    tcase_add_loop_test(tc, test_take, 0, 4);
    tcase_add_test(tc, test_free_owned);
    tcase_add_loop_test(tc, test_alloc_failure, 0, 12);
    tcase_add_test(tc, test_reserved_segments);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
