/* The {packet, 4} frame reader of sp_frame.h. Bytes are read into one
 * growable buffer; [off, len) is what has not been consumed. Consumed bytes
 * are dropped (the rest moved to the front) when the caller next asks for
 * space, so a returned frame stays in place until then. The buffer never
 * grows beyond max + 4 (one whole frame with its header): a frame longer
 * than `max` is not buffered at all, its bytes are dropped as they arrive
 * (`skip`) and it is counted in `skipped`. */
#include "sp_frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define HDR 4
#define MIN_CAP 4096

void sp_frame_reader_init(struct sp_frame_reader *r, size_t max)
{
    memset(r, 0, sizeof *r);
    r->max = max;
}

void sp_frame_reader_free(struct sp_frame_reader *r)
{
    free(r->buf);
    sp_frame_reader_init(r, r->max);
}

static size_t limit(const struct sp_frame_reader *r)
{
    return r->max > SIZE_MAX - HDR ? SIZE_MAX : r->max + HDR;
}

/* Drops what an oversized frame still owes from the unconsumed bytes. */
static void drop_skipped(struct sp_frame_reader *r)
{
    size_t n = r->len - r->off;

    if (r->skip == 0)
        return;
    if (n > r->skip)
        n = r->skip;
    r->off += n;
    r->skip -= n;
}

size_t sp_frame_space(struct sp_frame_reader *r, size_t want, char **p)
{
    size_t lim = limit(r), need, cap;

    if (r->off > 0) {
        memmove(r->buf, r->buf + r->off, r->len - r->off);
        r->len -= r->off;
        r->off = 0;
    }
    if (want == 0)
        want = 1;
    need = want > lim - r->len ? lim : r->len + want;
    if (need > r->cap) {
        char *nb;

        /* Doubling, but never past one whole frame with its header. */
        cap = r->cap < MIN_CAP ? MIN_CAP : r->cap;
        while (cap < need)
            cap = cap > lim / 2 ? lim : cap * 2;
        if (cap > lim)
            cap = lim;
        nb = realloc(r->buf, cap);
        if (nb == NULL) {
            errno = ENOMEM;
            return 0;
        }
        r->buf = nb;
        r->cap = cap;
    }
    if (r->cap == r->len) {
        /* Full with a whole frame the caller has not taken. */
        errno = ENOBUFS;
        return 0;
    }
    *p = r->buf + r->len;
    return r->cap - r->len;
}

void sp_frame_commit(struct sp_frame_reader *r, size_t n)
{
    if (n > r->cap - r->len)
        n = r->cap - r->len;
    r->len += n;
    drop_skipped(r);
}

int sp_frame_next(struct sp_frame_reader *r, const char **frame, size_t *len)
{
    for (;;) {
        const unsigned char *h;
        size_t n;

        drop_skipped(r);
        if (r->skip > 0 || r->len - r->off < HDR)
            return 0;
        h = (const unsigned char *)r->buf + r->off;
        n = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
        if (n > r->max) {
            r->off += HDR;
            r->skip = n;
            r->skipped++;
            continue;
        }
        if (r->len - r->off - HDR < n)
            return 0;
        *frame = r->buf + r->off + HDR;
        *len = n;
        r->off += HDR + n;
        return 1;
    }
}
