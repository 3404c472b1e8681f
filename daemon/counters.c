/* The counting of counters.h: one function per event, the wrap of a
 * 64-bit counter (and its counter_wrap event), the derived-free state bits,
 * and the daemon-wide counters of info/0. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "daemon.h"

const char *const sp_cnt_names[SP_CNT__MAX] = {
    [SP_CNT_READ_BYTE] = "read_byte",
    [SP_CNT_READ_FAILS] = "read_fails",
    [SP_CNT_READ_PKG] = "read_pkg",
    [SP_CNT_READ_PKG_MAX] = "read_pkg_max",
    [SP_CNT_READ_TRIES] = "read_tries",
    [SP_CNT_READ_WAITS] = "read_waits",
    [SP_CNT_WRITE_BYTE] = "write_byte",
    [SP_CNT_WRITE_FAILS] = "write_fails",
    [SP_CNT_WRITE_PKG] = "write_pkg",
    [SP_CNT_WRITE_PKG_MAX] = "write_pkg_max",
    [SP_CNT_WRITE_TRIES] = "write_tries",
    [SP_CNT_WRITE_WAITS] = "write_waits",
    [SP_CNT_ACC_SUCCESS] = "acc_success",
    [SP_CNT_ACC_FAILS] = "acc_fails",
    [SP_CNT_ACC_TRIES] = "acc_tries",
    [SP_CNT_ACC_WAITS] = "acc_waits",
    [SP_CNT_SENDFILE] = "sendfile",
    [SP_CNT_SENDFILE_BYTE] = "sendfile_byte",
    [SP_CNT_SENDFILE_FAILS] = "sendfile_fails",
    [SP_CNT_SENDFILE_MAX] = "sendfile_max",
    [SP_CNT_SENDFILE_PKG] = "sendfile_pkg",
    [SP_CNT_SENDFILE_PKG_MAX] = "sendfile_pkg_max",
    [SP_CNT_SENDFILE_TRIES] = "sendfile_tries",
    [SP_CNT_SENDFILE_WAITS] = "sendfile_waits",
};

const char *const sp_num_names[SP_NUM__MAX] = {
    [SP_NUM_DINET] = "num_dinet",
    [SP_NUM_DINET6] = "num_dinet6",
    [SP_NUM_DLOCAL] = "num_dlocal",
    [SP_NUM_PIP] = "num_pip",
    [SP_NUM_PSCTP] = "num_psctp",
    [SP_NUM_PTCP] = "num_ptcp",
    [SP_NUM_PUDP] = "num_pudp",
    [SP_NUM_SOCKETS] = "num_sockets",
    [SP_NUM_TDGRAMS] = "num_tdgrams",
    [SP_NUM_TSEQPKGS] = "num_tseqpkgs",
    [SP_NUM_TSTREAMS] = "num_tstreams",
};

/* {counter_wrap, Owner, Id, Name}: the router tells the owner. */
static void wrap_event(struct sp_daemon *d, const struct sp_sock *s,
                       enum sp_cnt c)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_enc_version(&e);
    sp_enc_tuple(&e, 4);
    sp_enc_atom(&e, "counter_wrap");
    sp_enc_raw(&e, sp_pid_raw(s->owner));
    sp_enc_u64(&e, s->id);
    sp_enc_atom(&e, sp_cnt_names[c]);
    sp_emit(d, &e, NULL, 0);
}

void sp_cnt_add(struct sp_daemon *d, struct sp_sock *s, enum sp_cnt c,
                uint64_t n)
{
    uint64_t old = s->cnt.v[c];
    s->cnt.v[c] = old + n; /* modulo 2^64, as OTP's counters */
    if (c >= SP_CNT_FIRST_SENDFILE)
        s->cnt.sendfile_used = true;
    if (s->cnt.v[c] < old && s->iow)
        wrap_event(d, s, c);
}

/* A maximum is not a sum: it never wraps. */
static void cnt_max(struct sp_sock *s, enum sp_cnt c, uint64_t n)
{
    if (n > s->cnt.v[c])
        s->cnt.v[c] = n;
}

void sp_cnt_sendfile_try(struct sp_daemon *d, struct sp_sock *s)
{
    sp_cnt_add(d, s, SP_CNT_SENDFILE_TRIES, 1);
    s->cnt.sendfile_run = 0;
}

void sp_cnt_sendfile_call(struct sp_daemon *d, struct sp_sock *s,
                          uint64_t moved, uint64_t run)
{
    sp_cnt_add(d, s, SP_CNT_SENDFILE, 1);
    if (moved == 0)
        return;
    sp_cnt_add(d, s, SP_CNT_SENDFILE_BYTE, moved);
    sp_cnt_add(d, s, SP_CNT_SENDFILE_PKG, 1);
    cnt_max(s, SP_CNT_SENDFILE_PKG_MAX, run);
    s->cnt.sendfile_run += moved;
    cnt_max(s, SP_CNT_SENDFILE_MAX, s->cnt.sendfile_run);
}

void sp_cnt_sendfile_wait(struct sp_daemon *d, struct sp_sock *s)
{
    sp_cnt_add(d, s, SP_CNT_SENDFILE_WAITS, 1);
}

void sp_cnt_sendfile_fail(struct sp_daemon *d, struct sp_sock *s)
{
    sp_cnt_add(d, s, SP_CNT_SENDFILE_FAILS, 1);
}

void sp_cnt_sendfile_done(struct sp_daemon *d, struct sp_sock *s)
{
    (void)d;
    s->cnt.write_pkg_run = 0;
}

void sp_cnt_read_try(struct sp_daemon *d, struct sp_sock *s)
{
    sp_cnt_add(d, s, SP_CNT_READ_TRIES, 1);
}

void sp_cnt_read_bytes(struct sp_daemon *d, struct sp_sock *s, uint64_t n)
{
    sp_cnt_add(d, s, SP_CNT_READ_BYTE, n);
}

void sp_cnt_read_done(struct sp_daemon *d, struct sp_sock *s, uint64_t n,
                      bool with_max)
{
    sp_cnt_add(d, s, SP_CNT_READ_PKG, 1);
    if (with_max)
        cnt_max(s, SP_CNT_READ_PKG_MAX, n);
}

void sp_cnt_read_fail(struct sp_daemon *d, struct sp_sock *s)
{
    sp_cnt_add(d, s, SP_CNT_READ_FAILS, 1);
}

void sp_cnt_read_skipped(struct sp_daemon *d, struct sp_op *op)
{
    sp_cnt_read_try(d, op->sock);
    op->skipped = true;
    event_base_gettimeofday_cached(d->base, &op->skipped_at);
}

void sp_cnt_read_resumed(struct sp_daemon *d, struct sp_op *op)
{
    if (!op->skipped)
        return;
    op->skipped = false;
    struct timeval now;
    event_base_gettimeofday_cached(d->base, &now);
    uint64_t *tries = &op->sock->cnt.v[SP_CNT_READ_TRIES];
    if (timercmp(&now, &op->skipped_at, ==) && *tries > 0)
        (*tries)--;
}

void sp_cnt_write_try(struct sp_daemon *d, struct sp_sock *s)
{
    sp_cnt_add(d, s, SP_CNT_WRITE_TRIES, 1);
}

void sp_cnt_write_wait(struct sp_daemon *d, struct sp_sock *s, uint64_t n)
{
    s->cnt.write_pkg_run += n;
    sp_cnt_add(d, s, SP_CNT_WRITE_WAITS, 1);
}

void sp_cnt_write_done(struct sp_daemon *d, struct sp_sock *s, uint64_t n)
{
    sp_cnt_add(d, s, SP_CNT_WRITE_PKG, 1);
    sp_cnt_add(d, s, SP_CNT_WRITE_BYTE, n);
    cnt_max(s, SP_CNT_WRITE_PKG_MAX, s->cnt.write_pkg_run + n);
    s->cnt.write_pkg_run = 0;
}

void sp_cnt_write_fail(struct sp_daemon *d, struct sp_sock *s)
{
    sp_cnt_add(d, s, SP_CNT_WRITE_FAILS, 1);
}

void sp_cnt_acc_try(struct sp_daemon *d, struct sp_sock *s)
{
    sp_cnt_add(d, s, SP_CNT_ACC_TRIES, 1);
}

void sp_cnt_acc_again(struct sp_daemon *d, struct sp_sock *s)
{
    (void)d;
    s->cnt.rstate |= SP_ST_SELECTED;
}

void sp_cnt_acc_success(struct sp_daemon *d, struct sp_sock *s)
{
    sp_cnt_add(d, s, SP_CNT_ACC_SUCCESS, 1);
    /* OTP 25 marks the listening socket (not the new one) connected. */
    s->cnt.wstate |= SP_ST_CONNECTED;
}

void sp_cnt_acc_fail(struct sp_daemon *d, struct sp_sock *s)
{
    sp_cnt_add(d, s, SP_CNT_ACC_FAILS, 1);
}

void sp_state_set(struct sp_sock *s, bool write_half, unsigned bits)
{
    if (write_half)
        s->cnt.wstate |= bits;
    else
        s->cnt.rstate |= bits;
}

void sp_state_shutdown(struct sp_sock *s, int how)
{
    if (how == SHUT_RD || how == SHUT_RDWR)
        s->cnt.shut_rd = true;
    if (how == SHUT_WR || how == SHUT_RDWR)
        s->cnt.shut_wr = true;
}

/* The counters one socket is counted in, as OTP 25 counts: a local socket
 * counts as inet6 (num_dlocal stays 0), protocol 0 (default) as ip. */
static int num_slots(const struct sp_sock *s, enum sp_num out[3])
{
    int n = 0;
    if (s->domain == AF_INET)
        out[n++] = SP_NUM_DINET;
    else if (s->domain == AF_INET6 || s->domain == AF_LOCAL)
        out[n++] = SP_NUM_DINET6;
    if (s->type == SOCK_STREAM)
        out[n++] = SP_NUM_TSTREAMS;
    else if (s->type == SOCK_DGRAM)
        out[n++] = SP_NUM_TDGRAMS;
    else if (s->type == SOCK_SEQPACKET)
        out[n++] = SP_NUM_TSEQPKGS;
    int p = s->cnt.num_protocol;
    if (p == IPPROTO_IP)
        out[n++] = SP_NUM_PIP;
    else if (p == IPPROTO_TCP)
        out[n++] = SP_NUM_PTCP;
    else if (p == IPPROTO_UDP)
        out[n++] = SP_NUM_PUDP;
    else if (p == IPPROTO_SCTP)
        out[n++] = SP_NUM_PSCTP;
    return n;
}

void sp_num_sock_added(struct sp_daemon *d, struct sp_sock *s)
{
    /* Counted as opened (default is ip), shown by info/1 as the kernel
     * chose, as OTP does. OTP 25 then uncounts the chosen protocol at
     * close, so that its num_pip only grows; here what was counted is
     * uncounted. */
    s->cnt.num_protocol = s->protocol;
    if (s->protocol == 0) {
        int p = 0;
        socklen_t len = sizeof p;
        if (getsockopt(s->fd, SOL_SOCKET, SO_PROTOCOL, &p, &len) == 0)
            s->protocol = p;
    }
    enum sp_num slots[3];
    int n = num_slots(s, slots);
    d->num[SP_NUM_SOCKETS]++;
    for (int i = 0; i < n; i++)
        d->num[slots[i]]++;
}

void sp_num_sock_removed(struct sp_daemon *d, const struct sp_sock *s)
{
    enum sp_num slots[3];
    int n = num_slots(s, slots);
    if (d->num[SP_NUM_SOCKETS] > 0)
        d->num[SP_NUM_SOCKETS]--;
    for (int i = 0; i < n; i++)
        if (d->num[slots[i]] > 0)
            d->num[slots[i]]--;
}
