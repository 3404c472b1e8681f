/* The daemon's event loop: a turn of libevent, then one flush.
 *
 * A caller that waits for each reply sends its next command a few
 * microseconds after the reply reaches it. A daemon that sleeps in
 * epoll_wait between the two pays a wakeup for every call, most of a
 * call's cost in the daemon; one that polls for a little while first
 * finds the command already there. So before it sleeps, a turn polls
 * without blocking for up to busy_poll_us, yielding the CPU between polls
 * to anything else runnable on it (the VM's schedulers share the cores).
 * An idle daemon polls once for that long and then sleeps. */
#include <sched.h>
#include <stdint.h>
#include <time.h>

#include <event2/event.h>

#include "daemon.h"

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Whether polling found work: a command read or output produced. Not
 * while the VM is behind on reading: there is no hurry then, and output
 * that is waiting for the pipe would count as found on every poll. */
static bool busy_poll(struct sp_daemon *d, int *r)
{
    if (d->out_waiting)
        return false;
    int64_t end = now_ns() + (int64_t)d->busy_poll_us * 1000;
    uint64_t commands = d->stats.commands;
    do {
        /* NONBLOCK alone goes on while callbacks run: a readable socket
         * that is not being read would keep it turning for ever */
        *r = event_base_loop(d->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
        if (*r != 0 || d->done || d->stats.commands != commands ||
            sp_outq_len(&d->out) > 0)
            return true;
        sched_yield();
    } while (now_ns() < end);
    return false;
}

int sp_run_pass(struct sp_daemon *d)
{
    int r;
    if (d->busy_poll_us == 0 || !busy_poll(d, &r))
        r = event_base_loop(d->base, EVLOOP_ONCE);
    sp_out_flush(d);
    return r;
}
