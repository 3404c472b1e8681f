/* The daemon's own statistics: STATS (the VM's sockport:daemon_info/0,1)
 * and the limit events. A limit that refuses a call (max_sockets,
 * max_waiters) or that stops the reading of sockets (out_high) is counted
 * here and said to the VM as a {limit, Name, Value, Hits} frame, which the
 * router logs: at once for the first hit, then at most once a second
 * with the hits counted so far, so that a flood of refusals is a trickle
 * of log events. */
#include <stdint.h>
#include <sys/time.h>

#include <event2/event.h>

#include "daemon.h"
#include "sp_proto.h"

static const char *const limit_names[SP_LIMIT__MAX] = {
    [SP_LIMIT_SOCKETS] = "max_sockets",
    [SP_LIMIT_WAITERS] = "max_waiters",
    [SP_LIMIT_OUT_HIGH] = "out_high",
    [SP_LIMIT_PARKED] = "max_parked_bytes",
};

static uint64_t limit_value(const struct sp_daemon *d, enum sp_limit which)
{
    switch (which) {
    case SP_LIMIT_SOCKETS: return d->limits.max_sockets;
    case SP_LIMIT_WAITERS: return d->limits.max_waiters;
    case SP_LIMIT_OUT_HIGH: return d->limits.out_high;
    case SP_LIMIT_PARKED: return d->limits.max_parked;
    case SP_LIMIT__MAX: break;
    }
    return 0;
}

/* Milliseconds of the event loop's clock (0 without a loop, as in unit
 * tests: every hit is then said). */
static int64_t now_ms(struct sp_daemon *d)
{
    struct timeval tv;
    if (!d->base || event_base_gettimeofday_cached(d->base, &tv) != 0)
        return 0;
    return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void sp_limit_hit(struct sp_daemon *d, enum sp_limit which)
{
    struct sp_stats *st = &d->stats;
    st->limit_hits[which]++;
    int64_t now = now_ms(d);
    if (st->limit_hits[which] > 1 && now != 0 &&
        now - st->limit_said[which] < SP_LIMIT_EVENT_MS)
        return;
    st->limit_said[which] = now;
    char buf[128];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_enc_version(&e);
    sp_enc_tuple(&e, 4);
    sp_enc_atom(&e, "limit");
    sp_enc_atom(&e, limit_names[which]);
    sp_enc_u64(&e, limit_value(d, which));
    sp_enc_u64(&e, st->limit_hits[which]);
    sp_emit(d, &e, NULL, 0);
}

static void enc_pair(struct sp_enc *e, const char *key, uint64_t v)
{
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, key);
    sp_enc_u64(e, v);
}

int sp_cmd_stats(struct sp_daemon *d, struct sp_cmd *c)
{
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    const struct sp_stats *st = &d->stats;
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, c->pid, c->ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "ok");
    sp_enc_list(&e, 12);
    enc_pair(&e, "sockets", d->socks.count);
    enc_pair(&e, "sockets_peak", st->sockets_peak);
    enc_pair(&e, "pids", d->pids.count);
    enc_pair(&e, "out_queue", sp_outq_len(&d->out));
    enc_pair(&e, "commands", st->commands);
    enc_pair(&e, "malformed_commands", st->malformed);
    enc_pair(&e, "dropped_frames", st->dropped_frames);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "seccomp");
    sp_enc_atom(&e, d->seccomp ? "true" : "false");
    enc_pair(&e, "landlock", (uint64_t)d->landlock);
    enc_pair(&e, "busy_poll_us", d->busy_poll_us);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "limits");
    sp_enc_list(&e, SP_LIMIT__MAX);
    for (int i = 0; i < SP_LIMIT__MAX; i++)
        enc_pair(&e, limit_names[i], limit_value(d, (enum sp_limit)i));
    sp_enc_nil(&e);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "limit_hits");
    sp_enc_list(&e, SP_LIMIT__MAX);
    for (int i = 0; i < SP_LIMIT__MAX; i++)
        enc_pair(&e, limit_names[i], st->limit_hits[i]);
    sp_enc_nil(&e);
    sp_enc_nil(&e);
    sp_emit(d, &e, NULL, 0);
    return 0;
}
