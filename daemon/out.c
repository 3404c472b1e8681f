/* Output frames towards the VM: routes, replies and events, queued on one
 * queue (outq.h) so that everything leaves in the order it was produced.
 * Large payload tails are queued by reference where the caller hands them
 * over. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "sp_tables.h"

void sp_route_reply(struct sp_enc *e, struct sp_raw pid, struct sp_raw ref)
{
    sp_enc_version(e);
    sp_enc_tuple(e, 2);
    sp_enc_raw(e, pid);
    sp_enc_raw(e, ref);
    sp_enc_version(e);
}

void sp_route_armed(struct sp_enc *e, const struct sp_op *op)
{
    sp_enc_version(e);
    sp_enc_tuple(e, 3);
    sp_enc_raw(e, sp_pid_raw(op->pid));
    sp_enc_raw(e, op->ref);
    sp_enc_tuple(e, 3);
    sp_enc_atom(e, "armed");
    sp_enc_u64(e, op->sock->id);
    sp_enc_raw(e, op->handle);
    sp_enc_version(e);
}

/* Payloads up to this size are copied into the queue and freed at once:
 * cheaper than a segment of their own, and a turn's replies stay one
 * iovec. */
#define SP_COPY_TAIL_MAX 4096

/* Nothing can be said to the VM any more: stop, so that it sees the
 * daemon die and every caller hears of it, rather than wait for a reply
 * that was never queued. */
static void out_of_memory(struct sp_daemon *d)
{
    fprintf(stderr, "sockportd: out of memory queueing output\n");
    d->done = true;
    event_base_loopbreak(d->base);
}

static void note_level(struct sp_daemon *d)
{
    if (!d->out_high && sp_outq_len(&d->out) > d->limits.out_high) {
        d->out_high = true;
        sp_limit_hit(d, SP_LIMIT_OUT_HIGH);
    }
}

/* Writes the frame's length and the term e holds at p (room for 4 +
 * e->idx bytes); the frame's tail of n bytes follows. */
static char *put_head(char *p, const struct sp_enc *e, size_t n)
{
    size_t len = (size_t)e->idx + n;
    p[0] = (char)(unsigned char)(len >> 24);
    p[1] = (char)(unsigned char)(len >> 16);
    p[2] = (char)(unsigned char)(len >> 8);
    p[3] = (char)(unsigned char)len;
    memcpy(p + 4, e->buf, (size_t)e->idx);
    return p + 4 + e->idx;
}

/* A frame goes on the queue whole or not at all: a length without its
 * bytes would make the VM read the next frames as this one's tail. Once
 * the daemon is stopping (out of memory, or the VM gone) nothing more is
 * queued; what is queued is whole, and is still written. */
void sp_emit(struct sp_daemon *d, const struct sp_enc *e, const void *tail,
             size_t n)
{
    if (e->err) {
        /* Only a term larger than SP_HDR_BUF gets here: a bug, not input. */
        fprintf(stderr, "sockportd: output term too large, dropped\n");
        return;
    }
    if (d->done)
        return;
    size_t size = 4 + (size_t)e->idx + n;
    char *p = sp_outq_reserve(&d->out, size);
    if (!p) {
        out_of_memory(d);
        return;
    }
    char *q = put_head(p, e, n);
    if (n > 0) /* tail may be NULL then */
        memcpy(q, tail, n);
    if (sp_outq_commit(&d->out, size) != 0) {
        out_of_memory(d);
        return;
    }
    note_level(d);
}

void sp_emit_owned(struct sp_daemon *d, const struct sp_enc *e, void *tail,
                   size_t n)
{
    if (n <= SP_COPY_TAIL_MAX || e->err) {
        sp_emit(d, e, tail, n);
        free(tail);
        return;
    }
    if (d->done) {
        free(tail);
        return;
    }
    /* the head's segment and the tail's: neither append can fail after */
    char *p = sp_outq_reserve_segs(&d->out, 2) == 0
                  ? sp_outq_reserve(&d->out, 4 + (size_t)e->idx)
                  : NULL;
    if (!p) {
        free(tail);
        out_of_memory(d);
        return;
    }
    put_head(p, e, n);
    (void)sp_outq_commit(&d->out, 4 + (size_t)e->idx);
    (void)sp_outq_add_owned(&d->out, tail, n);
    note_level(d);
}

void sp_reply_ok(struct sp_daemon *d, struct sp_raw pid, struct sp_raw ref)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, pid, ref);
    sp_enc_atom(&e, "ok");
    sp_emit(d, &e, NULL, 0);
}

void sp_reply_ok_id(struct sp_daemon *d, struct sp_raw pid, struct sp_raw ref,
                    uint64_t id)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, pid, ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "ok");
    sp_enc_u64(&e, id);
    sp_emit(d, &e, NULL, 0);
}

void sp_reply_atom_error(struct sp_daemon *d, struct sp_raw pid,
                         struct sp_raw ref, const char *reason)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, pid, ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "error");
    sp_enc_atom(&e, reason);
    sp_emit(d, &e, NULL, 0);
}

void sp_reply_errno(struct sp_daemon *d, struct sp_raw pid, struct sp_raw ref,
                    int err)
{
    sp_reply_atom_error(d, pid, ref, sp_errno_name(err));
}

void sp_reply_invalid(struct sp_daemon *d, struct sp_raw pid,
                      struct sp_raw ref, const char *what, const char *atom)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, pid, ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "error");
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "invalid");
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, what);
    sp_enc_atom(&e, atom);
    sp_emit(d, &e, NULL, 0);
}

/* {Tag, Pid, Id, Handle[, Reason]} with no body. */
static void event(struct sp_daemon *d, const char *tag, const struct sp_op *op,
                  const char *reason)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_enc_version(&e);
    sp_enc_tuple(&e, reason ? 5 : 4);
    sp_enc_atom(&e, tag);
    sp_enc_raw(&e, sp_pid_raw(op->pid));
    sp_enc_u64(&e, op->sock->id);
    sp_enc_raw(&e, op->handle);
    if (reason)
        sp_enc_atom(&e, reason);
    sp_emit(d, &e, NULL, 0);
}

void sp_reply_tag_invalid(struct sp_daemon *d, struct sp_raw pid,
                          struct sp_raw ref, const char *tag,
                          const char *what)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, pid, ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, tag);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "invalid");
    sp_enc_atom(&e, what);
    sp_emit(d, &e, NULL, 0);
}

void sp_reply_invalid_state(struct sp_daemon *d, struct sp_raw pid,
                            struct sp_raw ref, bool raise)
{
    sp_reply_tag_invalid(d, pid, ref, raise ? "raise" : "error", "state");
}

void sp_event_select(struct sp_daemon *d, const struct sp_op *op)
{
    event(d, "select", op, NULL);
}

void sp_event_abort(struct sp_daemon *d, const struct sp_op *op,
                    const char *reason)
{
    event(d, "abort", op, reason);
}

void sp_event_disarmed(struct sp_daemon *d, const struct sp_op *op)
{
    event(d, "disarmed", op, NULL);
}

void sp_event_watch(struct sp_daemon *d, const struct sp_pid *p, bool watch)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_enc_version(&e);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, watch ? "watch" : "unwatch");
    sp_enc_raw(&e, sp_pid_raw(p));
    sp_emit(d, &e, NULL, 0);
}

void sp_event_closed(struct sp_daemon *d, uint64_t id)
{
    char buf[64];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_enc_version(&e);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "closed");
    sp_enc_u64(&e, id);
    sp_emit(d, &e, NULL, 0);
}

void sp_log(struct sp_daemon *d, const char *level, const char *fmt, ...)
{
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof text)
        n = sizeof text - 1;

    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_enc_version(&e);
    sp_enc_tuple(&e, 3);
    sp_enc_atom(&e, "log");
    sp_enc_atom(&e, level);
    sp_enc_binary(&e, text, (size_t)n);
    sp_emit(d, &e, NULL, 0);
}

static void write_out(struct sp_daemon *d)
{
    while (sp_outq_len(&d->out) > 0) {
        ssize_t n = sp_outq_write(&d->out, STDOUT_FILENO);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                /* The VM is gone: nothing more can be said to anyone. */
                d->done = true;
                event_base_loopbreak(d->base);
            }
            return;
        }
    }
}

/* A socket that reads ahead may have lost its read event while the VM
 * was behind without being marked stalled (its event fired, or its last
 * read filled the queue): serve every such socket too. */
static void resume(struct sp_daemon *d, struct sp_sock *s, void *arg)
{
    (void)arg;
    if (s->stalled || sp_inet_reads_ahead(s)) {
        s->stalled = false;
        sp_queue_service(d, s, SP_Q_ACCEPT);
        sp_queue_service(d, s, SP_Q_READ);
        sp_inet_service(d, s);
    }
}

void sp_out_flush(struct sp_daemon *d)
{
    write_out(d);
    if (d->out_high && sp_outq_len(&d->out) < d->limits.out_low) {
        d->out_high = false;
        sp_sock_each(d, resume, NULL);
        write_out(d);
    }
    if (d->done)
        return;
    bool waiting = sp_outq_len(&d->out) > 0;
    if (waiting != d->out_waiting) {
        /* watch stdout only while the pipe is full */
        if (waiting ? event_add(d->ev_out, NULL) : event_del(d->ev_out))
            return;
        d->out_waiting = waiting;
    }
}
