/* The daemon's output queue (outq.h). Segments run in order; a flat
 * segment is a range of the flat buffer, so growing that buffer moves no
 * segment, and adjacent copies extend one segment: a turn of small
 * replies leaves in a single iovec. */
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "outq.h"

/* iovecs per writev: owned payloads are large, so a few cover a pipe. */
#define SP_OUTQ_IOV 64
/* A flat buffer grown past this is let go once emptied. */
#define SP_OUTQ_KEEP (1024 * 1024)

void sp_outq_init(struct sp_outq *q)
{
    memset(q, 0, sizeof *q);
}

void sp_outq_free(struct sp_outq *q)
{
    for (size_t i = q->head; i < q->nsegs; i++)
        free(q->segs[i].owned);
    free(q->segs);
    free(q->buf);
    sp_outq_init(q);
}

int sp_outq_reserve_segs(struct sp_outq *q, size_t k)
{
    if (q->segs_cap - q->nsegs >= k)
        return 0;
    if (q->head > 0) {
        memmove(q->segs, q->segs + q->head,
                (q->nsegs - q->head) * sizeof *q->segs);
        q->nsegs -= q->head;
        q->head = 0;
    }
    size_t cap = q->segs_cap ? q->segs_cap : 16;
    while (cap - q->nsegs < k)
        cap *= 2;
    if (cap != q->segs_cap) {
        struct sp_outq_seg *s = realloc(q->segs, cap * sizeof *s);
        if (!s)
            return -1;
        q->segs = s;
        q->segs_cap = cap;
    }
    return 0;
}

static int push_seg(struct sp_outq *q, struct sp_outq_seg seg)
{
    if (sp_outq_reserve_segs(q, 1) != 0)
        return -1;
    q->segs[q->nsegs++] = seg;
    return 0;
}

/* Moves the flat bytes still queued to the front of the buffer. */
static void compact(struct sp_outq *q)
{
    size_t lo = q->used;
    for (size_t i = q->head; i < q->nsegs; i++) {
        if (!q->segs[i].owned) {
            lo = q->segs[i].off + (i == q->head ? q->head_done : 0);
            break;
        }
    }
    if (lo == 0)
        return;
    memmove(q->buf, q->buf + lo, q->used - lo);
    q->used -= lo;
    for (size_t i = q->head; i < q->nsegs; i++) {
        if (!q->segs[i].owned) {
            if (i == q->head) {
                /* its written part went with the move */
                q->segs[i].len -= q->head_done;
                q->head_done = 0;
                q->segs[i].off = 0;
            } else {
                q->segs[i].off -= lo;
            }
        }
    }
}

char *sp_outq_reserve(struct sp_outq *q, size_t n)
{
    if (q->cap - q->used >= n)
        return q->buf + q->used;
    if (q->used > q->cap / 2)
        compact(q);
    if (q->cap - q->used < n) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap - q->used < n)
            cap *= 2;
        char *b = realloc(q->buf, cap);
        if (!b)
            return NULL;
        q->buf = b;
        q->cap = cap;
    }
    return q->buf + q->used;
}

int sp_outq_commit(struct sp_outq *q, size_t n)
{
    struct sp_outq_seg *last = q->nsegs > q->head ? &q->segs[q->nsegs - 1]
                                                  : NULL;
    if (last && !last->owned && last->off + last->len == q->used) {
        last->len += n;
    } else if (push_seg(q, (struct sp_outq_seg){.off = q->used, .len = n})
               != 0) {
        /* reserve made the bytes' room, but not a segment for them */
        return -1;
    }
    q->used += n;
    q->len += n;
    return 0;
}

int sp_outq_add_owned(struct sp_outq *q, void *block, size_t n)
{
    if (n == 0) {
        free(block);
        return 0;
    }
    if (push_seg(q, (struct sp_outq_seg){.len = n, .owned = block}) != 0)
        return -1;
    q->len += n;
    return 0;
}

/* Drops the first n queued bytes. */
static void consume(struct sp_outq *q, size_t n)
{
    q->len -= n;
    while (n > 0) {
        struct sp_outq_seg *s = &q->segs[q->head];
        size_t rest = s->len - q->head_done;
        if (n < rest) {
            q->head_done += n;
            return;
        }
        n -= rest;
        free(s->owned);
        q->head++;
        q->head_done = 0;
    }
    if (q->head == q->nsegs) {
        q->head = q->nsegs = 0;
        q->used = 0;
        if (q->cap > SP_OUTQ_KEEP) {
            free(q->buf);
            q->buf = NULL;
            q->cap = 0;
        }
    }
}

static const char *seg_start(const struct sp_outq *q, size_t i)
{
    const struct sp_outq_seg *s = &q->segs[i];
    const char *p = s->owned ? s->owned : q->buf + s->off;
    return i == q->head ? p + q->head_done : p;
}

static size_t seg_left(const struct sp_outq *q, size_t i)
{
    return q->segs[i].len - (i == q->head ? q->head_done : 0);
}

ssize_t sp_outq_write(struct sp_outq *q, int fd)
{
    if (q->len == 0)
        return 0;
    struct iovec iov[SP_OUTQ_IOV];
    int cnt = 0;
    for (size_t i = q->head; i < q->nsegs && cnt < SP_OUTQ_IOV; i++, cnt++) {
        iov[cnt].iov_base = (void *)seg_start(q, i);
        iov[cnt].iov_len = seg_left(q, i);
    }
    ssize_t n = writev(fd, iov, cnt);
    if (n > 0)
        consume(q, (size_t)n);
    return n;
}

size_t sp_outq_take(struct sp_outq *q, void *dst, size_t max)
{
    size_t done = 0;
    for (size_t i = q->head; i < q->nsegs && done < max; i++) {
        size_t k = seg_left(q, i);
        if (k > max - done)
            k = max - done;
        memcpy((char *)dst + done, seg_start(q, i), k);
        done += k;
    }
    consume(q, done);
    return done;
}
