/* The table of VM processes the daemon cares about, keyed by the ETF bytes
 * of the pid. A process is counted once per socket it owns and once per
 * operation it has queued; the first count asks the router to monitor it
 * (watch). An entry whose count falls to zero stays, still watched, until
 * a sweep finds it idle for a whole period; then the router lets it go
 * (unwatch). So a process that is not a socket's owner but calls recv on
 * it (a worker of a pool, the other end of a ping-pong) costs two frames
 * and a monitor once, not at every call it parks. */
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "daemon.h"

static size_t hash(const char *p, int len)
{
    size_t h = 14695981039346656037u;
    for (int i = 0; i < len; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211u;
    return h;
}

static int grow(struct sp_pid_table *t)
{
    size_t n = t->nslots ? t->nslots * 2 : 64;
    struct sp_pid **slots = calloc(n, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < t->nslots; i++) {
        struct sp_pid *p = t->slots[i];
        while (p) {
            struct sp_pid *next = p->hnext;
            size_t j = hash(p->bytes, p->len) & (n - 1);
            p->hnext = slots[j];
            slots[j] = p;
            p = next;
        }
    }
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
    return 0;
}

bool sp_pid_is(const struct sp_pid *p, struct sp_raw raw)
{
    return p->len == raw.len && memcmp(p->bytes, raw.p, (size_t)raw.len) == 0;
}

struct sp_raw sp_pid_raw(const struct sp_pid *p)
{
    return (struct sp_raw){.p = p->bytes, .len = p->len};
}

struct sp_pid *sp_pid_find(struct sp_daemon *d, struct sp_raw raw)
{
    struct sp_pid_table *t = &d->pids;
    if (!t->nslots)
        return NULL;
    for (struct sp_pid *p = t->slots[hash(raw.p, raw.len) & (t->nslots - 1)];
         p; p = p->hnext)
        if (sp_pid_is(p, raw))
            return p;
    return NULL;
}

struct sp_pid *sp_pid_get(struct sp_daemon *d, struct sp_raw raw)
{
    struct sp_pid *p = sp_pid_find(d, raw);
    if (p) {
        sp_pid_ref(d, p);
        return p;
    }
    struct sp_pid_table *t = &d->pids;
    if (t->count >= t->nslots && grow(t) != 0)
        return NULL;
    p = malloc(sizeof *p + (size_t)raw.len);
    if (!p)
        return NULL;
    p->refs = 1;
    p->down = false;
    p->idle_seen = false;
    p->len = raw.len;
    memcpy(p->bytes, raw.p, (size_t)raw.len);
    size_t j = hash(raw.p, raw.len) & (t->nslots - 1);
    p->hnext = t->slots[j];
    t->slots[j] = p;
    t->count++;
    sp_event_watch(d, p, true);
    return p;
}

void sp_pid_ref(struct sp_daemon *d, struct sp_pid *p)
{
    if (p->refs++ == 0) {
        d->pids.idle--;
        p->idle_seen = false;
    }
}

static void drop(struct sp_daemon *d, struct sp_pid *p)
{
    struct sp_pid_table *t = &d->pids;
    struct sp_pid **pp = &t->slots[hash(p->bytes, p->len) & (t->nslots - 1)];
    while (*pp != p)
        pp = &(*pp)->hnext;
    *pp = p->hnext;
    t->count--;
    if (!p->down)
        sp_event_watch(d, p, false);
    free(p);
}

static void arm_sweep(struct sp_pid_table *t)
{
    struct timeval period = {SP_PID_IDLE_S, 0};
    evtimer_add(t->sweep, &period);
}

static void sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sp_pid_sweep(arg);
}

void sp_pid_sweep(struct sp_daemon *d)
{
    struct sp_pid_table *t = &d->pids;
    for (size_t i = 0; i < t->nslots && t->idle > 0; i++) {
        struct sp_pid *p = t->slots[i];
        while (p) {
            struct sp_pid *next = p->hnext;
            if (p->refs == 0) {
                if (p->idle_seen) {
                    t->idle--;
                    drop(d, p);
                } else {
                    p->idle_seen = true;
                }
            }
            p = next;
        }
    }
    if (t->idle > 0 && t->sweep)
        arm_sweep(t);
}

void sp_pid_unref(struct sp_daemon *d, struct sp_pid *p)
{
    if (--p->refs > 0)
        return;
    struct sp_pid_table *t = &d->pids;
    if (p->down) {
        drop(d, p);
        return;
    }
    t->idle++;
    if (!t->sweep && !(t->sweep = evtimer_new(d->base, sweep, d))) {
        t->idle--;
        drop(d, p); /* no timer: no keeping */
        return;
    }
    if (!evtimer_pending(t->sweep, NULL))
        arm_sweep(t);
}

void sp_pid_table_free(struct sp_pid_table *t)
{
    for (size_t i = 0; i < t->nslots; i++) {
        struct sp_pid *p = t->slots[i];
        while (p) {
            struct sp_pid *next = p->hnext;
            free(p);
            p = next;
        }
    }
    free(t->slots);
    t->slots = NULL;
    t->nslots = t->count = t->idle = 0;
    if (t->sweep)
        event_free(t->sweep);
    t->sweep = NULL;
}
