/* The socket table: ids (never reused in the life of a daemon) to sockets,
 * and each socket's readiness events. A socket's read event serves its
 * acceptors and readers, its write event its connector and writers. */
#include <stdlib.h>
#include <unistd.h>

#include "daemon.h"

static size_t slot_of(size_t nslots, uint64_t id)
{
    return (size_t)((id * 11400714819323198485u) >> 17) & (nslots - 1);
}

static int grow(struct sp_sock_table *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 256;
    struct sp_sock **slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < t->nslots; i++) {
        struct sp_sock *s = t->slots[i];
        while (s) {
            struct sp_sock *next = s->hnext;
            size_t j = slot_of(n, s->id);
            s->hnext = slots[j];
            slots[j] = s;
            s = next;
        }
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
    return 0;
}

/* Whether any queue served by the read (or write) event has a head that
 * waits for it. */
static bool wanted(const struct sp_sock *s, bool writes)
{
    for (int q = 0; q < SP_Q__MAX; q++) {
        struct sp_op *h = TAILQ_FIRST(&s->q[q]);
        if (sp_queue_writes((enum sp_queue)q) == writes && h &&
            !h->signalled && !h->hold)
            return true;
    }
    return !writes && sp_inet_wants(s);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sp_sock *s = arg;
    struct sp_daemon *d = s->d;
    uint64_t id = s->id;
    if (!wanted(s, false)) { /* kept after its last reader: drop it now */
        sp_sock_watch(s, false, false);
        return;
    }
    /* Serving acceptors or readers may close nothing, but be safe: look the
     * socket up again between the queues. */
    if (s->listening || !TAILQ_EMPTY(&s->q[SP_Q_ACCEPT]))
        sp_queue_service(d, s, SP_Q_ACCEPT);
    if ((s = sp_sock_find(d, id)))
        sp_queue_service(d, s, SP_Q_READ);
    if ((s = sp_sock_find(d, id)))
        sp_inet_service(d, s);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct sp_sock *s = arg;
    struct sp_daemon *d = s->d;
    uint64_t id = s->id;
    if (!TAILQ_EMPTY(&s->q[SP_Q_CONNECT]))
        sp_queue_service(d, s, SP_Q_CONNECT);
    if ((s = sp_sock_find(d, id)))
        sp_queue_service(d, s, SP_Q_WRITE);
}

struct sp_sock *sp_sock_add(struct sp_daemon *d, int fd, int domain, int type,
                            int protocol, struct sp_pid *owner)
{
    struct sp_sock_table *t = &d->socks;
    if (t->count >= t->nslots && grow(t) != 0)
        return NULL;
    struct sp_sock *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->d = d;
    s->fd = fd;
    s->domain = domain;
    s->type = type;
    s->protocol = protocol;
    s->rcvbuf = SP_RCVBUF_DEFAULT;
    s->rcvbuf_n = 1;
    s->rcvctrlbuf = SP_CTRLBUF_DEFAULT;
    s->sndctrlbuf = SP_CTRLBUF_DEFAULT;
    s->use_registry = true;
    s->ev_read = event_new(d->base, fd, EV_READ | EV_PERSIST, on_readable, s);
    s->ev_write = event_new(d->base, fd, EV_WRITE | EV_PERSIST, on_writable, s);
    if (!s->ev_read || !s->ev_write) {
        if (s->ev_read)
            event_free(s->ev_read);
        if (s->ev_write)
            event_free(s->ev_write);
        free(s);
        return NULL;
    }
    for (int q = 0; q < SP_Q__MAX; q++)
        TAILQ_INIT(&s->q[q]);
    s->id = ++t->next_id;
    size_t j = slot_of(t->nslots, s->id);
    s->hnext = t->slots[j];
    t->slots[j] = s;
    t->count++;
    if (t->count > d->stats.sockets_peak)
        d->stats.sockets_peak = t->count;
    s->owner = owner;
    sp_pid_ref(d, owner);
    sp_num_sock_added(d, s);
    return s;
}

void sp_limits_default(struct sp_limits *l)
{
    l->max_sockets = SP_MAX_SOCKETS_DEFAULT;
    l->max_waiters = SP_MAX_WAITERS_DEFAULT;
    l->out_high = SP_OUT_HIGH;
    l->out_low = SP_OUT_LOW;
    l->max_parked = SP_MAX_PARKED_DEFAULT;
}

bool sp_sock_room(const struct sp_daemon *d)
{
    return d->socks.count < d->limits.max_sockets;
}

struct sp_sock *sp_sock_find(struct sp_daemon *d, uint64_t id)
{
    struct sp_sock_table *t = &d->socks;
    if (!t->nslots)
        return NULL;
    for (struct sp_sock *s = t->slots[slot_of(t->nslots, id)]; s; s = s->hnext)
        if (s->id == id)
            return s;
    return NULL;
}

void sp_sock_watch(struct sp_sock *s, bool writes, bool on)
{
    /* kept here rather than asked of libevent (event_pending), which
     * costs more than the rest of a short call's bookkeeping */
    bool *added = writes ? &s->writing : &s->reading;
    struct event *ev = writes ? s->ev_write : s->ev_read;
    if (*added != on && (on ? event_add(ev, NULL) : event_del(ev)) == 0)
        *added = on;
}

void sp_sock_want(struct sp_daemon *d, struct sp_sock *s, enum sp_queue q,
                  bool on)
{
    bool writes = sp_queue_writes(q);
    /* Each event serves two queues: keep it while either wants it. */
    on = on || wanted(s, writes);
    if (on) /* waiting for readiness is OTP's select */
        sp_state_set(s, writes, SP_ST_SELECTED);
    if (on || writes || d->out_high)
        sp_sock_watch(s, writes, on);
    /* A read event nobody wants stays registered until it fires: a reader
     * that comes next (the usual case) then costs no epoll_ctl. A write
     * event would fire at once, so it goes now. */
}

void sp_sock_set_owner(struct sp_daemon *d, struct sp_sock *s,
                       struct sp_pid *owner)
{
    sp_pid_ref(d, owner);
    struct sp_pid *old = s->owner;
    s->owner = owner;
    sp_pid_unref(d, old);
}

void sp_sock_close(struct sp_daemon *d, struct sp_sock *s)
{
    sp_queue_flush(d, s, "closed");
    sp_num_sock_removed(d, s);
    sp_tomb_keep(d, s);
    if (s->monitored)
        sp_event_closed(d, s->id);
    struct sp_sock_table *t = &d->socks;
    struct sp_sock **pp = &t->slots[slot_of(t->nslots, s->id)];
    while (*pp != s)
        pp = &(*pp)->hnext;
    *pp = s->hnext;
    t->count--;
    event_free(s->ev_read);
    event_free(s->ev_write);
    if (s->fd >= 0) /* -1: another socket took the descriptor */
        close(s->fd);
    sp_rights_close(s);
    sp_inet_free(s);
    sp_pid_unref(d, s->owner);
    free(s->meta);
    free(s);
}

void sp_sock_each(struct sp_daemon *d,
                  void (*fn)(struct sp_daemon *, struct sp_sock *, void *),
                  void *arg)
{
    /* fn may close sockets or accept new ones (which can grow the table),
     * so walk a snapshot of the ids. */
    struct sp_sock_table *t = &d->socks;
    size_t n = 0;
    uint64_t *ids = malloc((t->count ? t->count : 1) * sizeof *ids);
    if (!ids)
        return;
    for (size_t i = 0; i < t->nslots; i++)
        for (struct sp_sock *s = t->slots[i]; s; s = s->hnext)
            ids[n++] = s->id;
    for (size_t i = 0; i < n; i++) {
        struct sp_sock *s = sp_sock_find(d, ids[i]);
        if (s)
            fn(d, s, arg);
    }
    free(ids);
}

static void close_one(struct sp_daemon *d, struct sp_sock *s, void *arg)
{
    (void)arg;
    sp_sock_close(d, s);
}

void sp_sock_table_close_all(struct sp_daemon *d)
{
    sp_sock_each(d, close_one, NULL);
    sp_tombs_free(d);
    free(d->socks.slots);
    d->socks.slots = NULL;
    d->socks.nslots = 0;
}
