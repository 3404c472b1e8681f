/* The operation queues: OTP's per-socket "current user" lock and FIFO of
 * waiters, for acceptors, the connector, writers and readers. A call on an
 * empty queue is tried at once; if it would block it becomes the head,
 * parked (blocking, maybe with a deadline) or armed (nowait: the caller gets
 * a select event when the socket is ready and holds the queue until it
 * calls again).
 * Waiters behind the head are not tried before their turn. Parking,
 * readiness, deadlines, cancel, caller death and close all go through the
 * few functions here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon.h"

static const struct sp_opclass classes[SP_K__MAX] = {
    [SP_K_ACCEPT] = {SP_Q_ACCEPT, sp_accept_attempt, sp_plain_fail,
                     sp_plain_armed, sp_plain_zero},
    [SP_K_CONNECT] = {SP_Q_CONNECT, sp_connect_attempt, sp_plain_fail,
                      sp_plain_armed, sp_plain_zero},
    [SP_K_SEND] = {SP_Q_WRITE, sp_send_attempt, sp_send_fail, sp_send_armed,
                   sp_plain_zero},
    [SP_K_SENDTO] = {SP_Q_WRITE, sp_send_attempt, sp_send_fail,
                     sp_send_armed, sp_plain_zero},
    [SP_K_RECV] = {SP_Q_READ, sp_recv_attempt, sp_recv_fail, sp_recv_armed,
                   sp_recv_zero},
    [SP_K_RECVFROM] = {SP_Q_READ, sp_recv_attempt, sp_recv_fail,
                       sp_recv_armed, sp_recv_zero},
    [SP_K_SENDMSG] = {SP_Q_WRITE, sp_sendmsg_attempt, sp_send_fail,
                      sp_send_armed, sp_plain_zero},
    [SP_K_RECVMSG] = {SP_Q_READ, sp_recvmsg_attempt, sp_plain_fail,
                      sp_plain_armed, sp_plain_zero},
    [SP_K_SENDFILE] = {SP_Q_WRITE, sp_sendfile_attempt, sp_sendfile_fail,
                       sp_sendfile_armed, sp_plain_zero},
    [SP_K_IRECV] = {SP_Q_READ, sp_inet_recv_attempt, sp_inet_recv_fail,
                    sp_plain_armed, sp_inet_recv_zero},
};

const struct sp_opclass *sp_opclass_of(enum sp_opkind kind)
{
    return &classes[kind];
}

static struct sp_raw keep(char **at, struct sp_raw r)
{
    if (r.len > 0) /* an absent handle has no bytes, and no pointer */
        memcpy(*at, r.p, (size_t)r.len);
    struct sp_raw out = {.p = *at, .len = r.len};
    *at += r.len;
    return out;
}

/* Room for the raw terms of an op kept for reuse: a pid, a reference and
 * a select handle of the usual sizes. */
#define SP_OP_RAW 128
/* Freed ops kept for reuse: a call makes one and frees it, and calloc and
 * free cost more than the rest of a short call's op. Not under the
 * address sanitizer, which should see every use after free. */
#if defined(__SANITIZE_ADDRESS__)
#define SP_OP_SPARE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SP_OP_SPARE 0
#endif
#endif
#ifndef SP_OP_SPARE
#define SP_OP_SPARE 64
#endif

static struct sp_op *alloc_op(struct sp_daemon *d, size_t raw)
{
    if (raw > SP_OP_RAW)
        return calloc(1, sizeof(struct sp_op) + raw);
    struct sp_op *op = d->spare_ops;
    if (!op) {
        op = calloc(1, sizeof *op + SP_OP_RAW);
    } else {
        /* spare ops are chained through their queue link */
        d->spare_ops = TAILQ_NEXT(op, link);
        d->nspare_ops--;
        memset(op, 0, sizeof *op);
    }
    if (op)
        op->spare_size = true;
    return op;
}

void sp_op_spares_free(struct sp_daemon *d)
{
    while (d->spare_ops) {
        struct sp_op *op = d->spare_ops;
        d->spare_ops = TAILQ_NEXT(op, link);
        free(op);
    }
    d->nspare_ops = 0;
}

struct sp_op *sp_op_new(struct sp_daemon *d, struct sp_sock *s,
                        enum sp_opkind kind, const struct sp_cmd *c,
                        const struct sp_mode *mode)
{
    struct sp_raw handle = {0};
    if (mode && mode->kind == SP_WAIT_NOWAIT)
        handle = mode->handle;
    struct sp_op *op = alloc_op(d, (size_t)c->pid.len + (size_t)c->ref.len +
                                       (size_t)handle.len);
    if (!op)
        return NULL;
    char *at = op->raw;
    op->pidraw = keep(&at, c->pid);
    op->ref = keep(&at, c->ref);
    op->handle = keep(&at, handle);
    op->sock = s;
    op->kind = kind;
    op->armed = handle.len > 0;
    return op;
}

struct sp_op *sp_op_begin(struct sp_daemon *d, const struct sp_cmd *c,
                          enum sp_opkind kind, const struct sp_mode *mode)
{
    if (c->sock->nq[classes[kind].queue] >= d->limits.max_waiters) {
        sp_limit_hit(d, SP_LIMIT_WAITERS);
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return NULL;
    }
    struct sp_op *op = sp_op_new(d, c->sock, kind, c, mode);
    if (!op)
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
    return op;
}

void sp_op_free(struct sp_daemon *d, struct sp_op *op)
{
    if (op->timer)
        event_free(op->timer);
    if (op->pid)
        sp_pid_unref(d, op->pid);
    sp_sfile_free(op->sf);
    d->parked -= op->kept;
    free(op->buf);
    free(op->cbuf);
#if SP_OP_SPARE > 0
    if (op->spare_size && d->nspare_ops < SP_OP_SPARE) {
        TAILQ_NEXT(op, link) = d->spare_ops;
        d->spare_ops = op;
        d->nspare_ops++;
        return;
    }
#endif
    free(op);
}

static bool same_pid(const struct sp_op *a, struct sp_raw pid)
{
    return a->pidraw.len == pid.len &&
           memcmp(a->pidraw.p, pid.p, (size_t)pid.len) == 0;
}

/* An armed call ends without a select or abort: the router forgets it.
 * One that was signalled already ended for the router with its select. */
static void end_armed(struct sp_daemon *d, const struct sp_op *op)
{
    if (op->armed && !op->signalled)
        sp_event_disarmed(d, op);
}

static void dequeue(struct sp_op *op)
{
    struct sp_sock *s = op->sock;
    enum sp_queue q = classes[op->kind].queue;
    TAILQ_REMOVE(&s->q[q], op, link);
    s->nq[q]--;
    op->queued = false;
}

/* Takes the counted pid for a queued op; -1 when out of memory. */
static int hold_pid(struct sp_daemon *d, struct sp_op *op)
{
    if (!op->pid)
        op->pid = sp_pid_get(d, op->pidraw);
    return op->pid ? 0 : -1;
}

/* A blocking send keeps its bytes: the frame they came in is reused. All
 * of them, so that `done` keeps counting from the start of the frame, as
 * the caller's RestData does. What all waiting sends keep is bounded by
 * max_parked_bytes. */
static int keep_data(struct sp_daemon *d, struct sp_op *op)
{
    if (!op->data || op->data == op->buf)
        return 0;
    if (op->data_len > d->limits.max_parked - d->parked) {
        sp_limit_hit(d, SP_LIMIT_PARKED);
        return -1;
    }
    char *copy = malloc(op->data_len ? op->data_len : 1);
    if (!copy)
        return -1;
    memcpy(copy, op->data, op->data_len);
    op->buf = copy;
    op->data = copy;
    op->kept = op->data_len;
    d->parked += op->kept;
    return 0;
}

void sp_op_drop_data(struct sp_daemon *d, struct sp_op *op)
{
    d->parked -= op->kept;
    op->kept = 0;
    free(op->buf);
    op->buf = NULL;
    op->data = NULL;
    op->buf_len = op->data_len = op->done = 0;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sp_op *op = arg;
    struct sp_sock *s = op->sock;
    struct sp_daemon *d = s->d;
    enum sp_queue q = classes[op->kind].queue;
    bool was_head = TAILQ_FIRST(&s->q[q]) == op;
    dequeue(op);
    classes[op->kind].fail(d, op, "timeout");
    sp_op_free(d, op);
    if (was_head)
        sp_queue_service(d, s, q);
    if (q == SP_Q_READ)
        sp_inet_service(d, s);
}

/* A frame of a split call is done and more follow: op stays at the head,
 * doing nothing, so no other caller slips in between the frames. */
static void hold(struct sp_daemon *d, struct sp_op *op)
{
    struct sp_sock *s = op->sock;
    enum sp_queue q = classes[op->kind].queue;
    if (op->timer) {
        event_free(op->timer);
        op->timer = NULL;
    }
    sp_op_drop_data(d, op);
    op->hold = true;
    if (!op->queued) {
        if (hold_pid(d, op) != 0) { /* cannot hold: let the queue go */
            sp_op_free(d, op);
            return;
        }
        TAILQ_INSERT_HEAD(&s->q[q], op, link);
        s->nq[q]++;
        op->queued = true;
    }
    sp_sock_want(d, s, q, false);
}

/* Queues op (at the head or the tail) and answers or times it as its mode
 * says; on failure answers enomem and frees op. True if op was queued. */
static bool park(struct sp_daemon *d, struct sp_op *op,
                 const struct sp_mode *mode, bool at_head)
{
    struct sp_sock *s = op->sock;
    enum sp_queue q = classes[op->kind].queue;
    if (hold_pid(d, op) != 0 || (!op->armed && keep_data(d, op) != 0))
        goto nomem;
    if (mode->kind == SP_WAIT_MS) {
        struct timeval tv = {.tv_sec = mode->ms / 1000,
                             .tv_usec = (mode->ms % 1000) * 1000};
        op->timer = evtimer_new(d->base, on_deadline, op);
        if (!op->timer || evtimer_add(op->timer, &tv) != 0)
            goto nomem;
    }
    if (at_head)
        TAILQ_INSERT_HEAD(&s->q[q], op, link);
    else
        TAILQ_INSERT_TAIL(&s->q[q], op, link);
    s->nq[q]++;
    op->queued = true;
    if (op->armed)
        classes[op->kind].armed(d, op);
    if (at_head)
        sp_sock_want(d, s, q, true);
    return true;
nomem:
    classes[op->kind].fail(d, op, "enomem");
    sp_op_free(d, op);
    return false;
}

/* The op is at the front: try it now, then park it if it must wait. */
static void try_first(struct sp_daemon *d, struct sp_op *op,
                      const struct sp_mode *mode)
{
    struct sp_sock *s = op->sock;
    enum sp_queue q = classes[op->kind].queue;
    bool zero = mode->kind == SP_WAIT_MS && mode->ms == 0;
    if (!sp_queue_writes(q) && d->out_high && !op->armed && !zero) {
        /* The VM is not reading its replies: a caller that waits anyway
         * waits in line until it does (sp_out_flush resumes the queue),
         * so calls already on their way cannot pile up data here. */
        park(d, op, mode, true);
        return;
    }
    if (q == SP_Q_READ && !op->armed && !zero && op->kind != SP_K_IRECV &&
        !(op->flags & (MSG_OOB | MSG_ERRQUEUE)) && s->reading) {
        /* The read event is registered, so the loop reports the socket
         * readable if it is: a blocking reader can wait for that instead
         * of trying a read that would most likely fail. Not so for urgent
         * data and the error queue, which readability does not report
         * (and whose reads fail at once when there is nothing). */
        sp_cnt_read_skipped(d, op);
        park(d, op, mode, true);
        return;
    }
    switch (classes[op->kind].attempt(d, op)) {
    case SP_DONE:
        sp_op_free(d, op);
        if (!TAILQ_EMPTY(&s->q[q]))
            sp_queue_service(d, s, q);
        return;
    case SP_HOLD:
        hold(d, op);
        return;
    case SP_AGAIN:
        break;
    }
    if (zero) {
        classes[op->kind].zero(d, op);
        sp_op_free(d, op);
        if (!TAILQ_EMPTY(&s->q[q]))
            sp_queue_service(d, s, q);
        return;
    }
    park(d, op, mode, true);
}

void sp_op_submit(struct sp_daemon *d, struct sp_op *op,
                  const struct sp_mode *mode)
{
    struct sp_sock *s = op->sock;
    enum sp_queue q = classes[op->kind].queue;
    struct sp_op *head = TAILQ_FIRST(&s->q[q]);

    if (head && (head->armed || head->hold) && head->kind == op->kind &&
        same_pid(head, op->pidraw)) {
        /* The caller's own nowait call (or the frame before this one)
         * holds the queue: this call takes its place. A select not yet
         * signalled is aborted for accept, as the seed documents;
         * otherwise it just ends. */
        if (q == SP_Q_ACCEPT && !head->signalled)
            sp_event_abort(d, head, "cancelled");
        else
            end_armed(d, head);
        /* Keep the caller counted across the swap: no unwatch/watch. */
        op->pid = head->pid;
        head->pid = NULL;
        dequeue(head);
        sp_op_free(d, head);
        try_first(d, op, mode);
        return;
    }
    if (!head) {
        try_first(d, op, mode);
        return;
    }
    /* Someone else is current: wait in line. An armed call of the same
     * caller further back is replaced where it stands. */
    struct sp_op *old;
    TAILQ_FOREACH(old, &s->q[q], link)
        if (old->armed && old->kind == op->kind && same_pid(old, op->pidraw))
            break;
    if (mode->kind == SP_WAIT_MS && mode->ms == 0) {
        classes[op->kind].zero(d, op);
        sp_op_free(d, op);
        return;
    }
    struct sp_op *mark = NULL;
    if (old) {
        /* The old call ends before the new one is armed, so the router
         * never forgets a select that is still armed (even for a reused
         * handle). The new call takes the old one's place in line. */
        end_armed(d, old);
        op->pid = old->pid;
        old->pid = NULL;
        mark = TAILQ_NEXT(old, link);
        dequeue(old);
        sp_op_free(d, old);
    }
    if (park(d, op, mode, false) && mark) {
        TAILQ_REMOVE(&s->q[q], op, link);
        TAILQ_INSERT_BEFORE(mark, op, link);
    }
}

void sp_queue_service(struct sp_daemon *d, struct sp_sock *s, enum sp_queue q)
{
    for (int n = 0; n < SP_BUDGET;) {
        struct sp_op *head = TAILQ_FIRST(&s->q[q]);
        if (!head) {
            sp_sock_want(d, s, q, false);
            return;
        }
        if (head->hold) { /* the next frame of its call will come */
            sp_sock_want(d, s, q, false);
            return;
        }
        if (head->armed) {
            if (!head->signalled) {
                sp_event_select(d, head);
                head->signalled = true;
                if (head->kind == SP_K_CONNECT && !s->connecting) {
                    /* finished early by its caller (connect/1): the
                     * select still comes, as OTP's, and that is all */
                    dequeue(head);
                    sp_op_free(d, head);
                    continue;
                }
            }
            sp_sock_want(d, s, q, false);
            return;
        }
        if (!sp_queue_writes(q) && d->out_high) {
            /* The VM is not reading: stop reading sockets for it. */
            s->stalled = true;
            sp_sock_want(d, s, q, false);
            return;
        }
        n++;
        sp_cnt_read_resumed(d, head);
        enum sp_res r = classes[head->kind].attempt(d, head);
        if (r == SP_AGAIN) {
            sp_sock_want(d, s, q, true);
            return;
        }
        if (r == SP_HOLD) {
            hold(d, head);
            return;
        }
        dequeue(head);
        sp_op_free(d, head);
    }
    sp_sock_want(d, s, q, true);
}

int sp_queue_cancel(struct sp_daemon *d, struct sp_sock *s, enum sp_queue q,
                    struct sp_raw pid, struct sp_raw handle)
{
    struct sp_op *op;
    TAILQ_FOREACH(op, &s->q[q], link)
        if (op->armed && same_pid(op, pid) && op->handle.len == handle.len &&
            memcmp(op->handle.p, handle.p, (size_t)handle.len) == 0)
            break;
    if (!op)
        return -1;
    bool was_head = TAILQ_FIRST(&s->q[q]) == op;
    end_armed(d, op);
    dequeue(op);
    sp_op_free(d, op);
    if (was_head)
        sp_queue_service(d, s, q);
    return 0;
}

void sp_queue_drop_signalled(struct sp_daemon *d, struct sp_sock *s,
                             enum sp_queue q)
{
    struct sp_op *head = TAILQ_FIRST(&s->q[q]);
    if (!head || !head->signalled)
        return;
    dequeue(head);
    sp_op_free(d, head);
    sp_queue_service(d, s, q);
}

void sp_queue_drop_pid(struct sp_daemon *d, struct sp_sock *s,
                       const struct sp_pid *p)
{
    for (int q = 0; q < SP_Q__MAX; q++) {
        bool head_gone = false;
        struct sp_op *op = TAILQ_FIRST(&s->q[q]);
        while (op) {
            struct sp_op *next = TAILQ_NEXT(op, link);
            if (op->pid == p) {
                head_gone |= TAILQ_FIRST(&s->q[q]) == op;
                end_armed(d, op); /* every armed select ends in one event */
                dequeue(op);
                sp_op_free(d, op);
            }
            op = next;
        }
        if (head_gone)
            sp_queue_service(d, s, (enum sp_queue)q);
    }
}

void sp_queue_fail_others(struct sp_daemon *d, const struct sp_op *op,
                          const char *reason)
{
    struct sp_sock *s = op->sock;
    enum sp_queue q = classes[op->kind].queue;
    struct sp_op *w = TAILQ_FIRST(&s->q[q]);
    while (w) {
        struct sp_op *next = TAILQ_NEXT(w, link);
        if (w != op) {
            dequeue(w);
            if (w->armed)
                sp_event_abort(d, w, reason);
            else if (!w->hold)
                classes[w->kind].fail(d, w, reason);
            sp_op_free(d, w);
        }
        w = next;
    }
}

void sp_queue_flush(struct sp_daemon *d, struct sp_sock *s, const char *reason)
{
    for (int q = 0; q < SP_Q__MAX; q++) {
        struct sp_op *op;
        while ((op = TAILQ_FIRST(&s->q[q]))) {
            dequeue(op);
            if (op->armed)
                sp_event_abort(d, op, reason);
            else if (!op->hold) /* a hold's caller was answered already */
                classes[op->kind].fail(d, op, reason);
            sp_op_free(d, op);
        }
    }
}
