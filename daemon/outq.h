/* The queue of bytes the daemon owes the VM: small terms copied into one
 * flat buffer, large payloads handed over by pointer and freed once
 * written, all written in order with writev. Not an evbuffer: its chain
 * of malloc'd blocks cost more than the rest of a reply. */
#ifndef SP_OUTQ_H
#define SP_OUTQ_H

#include <stddef.h>
#include <sys/types.h>

/* A run of bytes: [off, off + len) of the flat buffer, or, if owned is
 * set, the malloc'd block owned (freed when written). */
struct sp_outq_seg {
    size_t off;
    size_t len;
    void *owned;
};

struct sp_outq {
    char *buf;   /* the flat buffer: [0, used) holds queued and written bytes */
    size_t cap;
    size_t used;
    struct sp_outq_seg *segs; /* [head, nsegs) still to write, in order */
    size_t nsegs;
    size_t segs_cap;
    size_t head;
    size_t head_done; /* bytes of segs[head] already written */
    size_t len;       /* bytes still to write */
};

void sp_outq_init(struct sp_outq *q);
void sp_outq_free(struct sp_outq *q);

/* Room for n more bytes at the end of the queue, to be filled and then
 * committed with sp_outq_commit (at most n); NULL, or -1 from the
 * commit, when out of memory. */
char *sp_outq_reserve(struct sp_outq *q, size_t n);
int sp_outq_commit(struct sp_outq *q, size_t n);

/* Room for k more segments: the next k commits and owned appends cannot
 * fail. -1 when out of memory. */
int sp_outq_reserve_segs(struct sp_outq *q, size_t k);

/* Appends block, which the queue frees once written (or when freed
 * itself); -1 when out of memory, and block is then the caller's. */
int sp_outq_add_owned(struct sp_outq *q, void *block, size_t n);

/* Writes what the descriptor takes: bytes written, or -1 with errno
 * (EAGAIN when it took nothing). */
ssize_t sp_outq_write(struct sp_outq *q, int fd);

/* Moves up to max queued bytes into dst: the bytes moved. */
size_t sp_outq_take(struct sp_outq *q, void *dst, size_t max);

static inline size_t sp_outq_len(const struct sp_outq *q)
{
    return q->len;
}

#endif
