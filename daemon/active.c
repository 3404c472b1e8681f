/* The inet layer of sockport_tcp and sockport_udp (PROTOCOL.md, "Active
 * sockets"): per-socket options that gen_tcp keeps in its port (active,
 * packet, packet_size, buffer, mode), the read-ahead that delivers an
 * active socket's data as events to its owner, and the passive recv that
 * frames packets. Both read through one buffer, so bytes read ahead for
 * an active socket are the first a later passive recv gets. Reading ahead
 * stops when the VM is behind (out_high), as queued reads do, and resumes
 * with them (out.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ei.h>

#include "daemon.h"
#include "framing.h"
#include "sp_tables.h"

enum { SP_ACT_FALSE, SP_ACT_TRUE, SP_ACT_ONCE, SP_ACT_N };

#define ACTIVE_MIN (-32768L) /* inet's range for {active, N} */
#define ACTIVE_MAX 32767L
#define TCP_BUFFER_DEFAULT 1460
#define UDP_BUFFER_DEFAULT 8192

struct sp_inet {
    int active;          /* SP_ACT_* */
    long count;          /* SP_ACT_N: messages left */
    int packet;          /* enum sp_packet */
    size_t packet_size;  /* 0: no limit */
    size_t buffer;       /* read size; long lines are cut at it */
    bool buffer_set;     /* given explicitly: recbuf/sndbuf leave it */
    bool list;           /* deliver lists (mode list), not binaries */
    bool udp;            /* {udp, ...} messages, else {tcp, ...} */
    const char *recv_err; /* once the connection ended (exit_on_close): */
    const char *send_err; /* what recv and send answer; NULL before */
    char *buf;           /* bytes read and not yet delivered */
    size_t len, cap;
};

static struct sp_inet *inet_new(bool udp)
{
    struct sp_inet *in = calloc(1, sizeof *in);
    if (!in)
        return NULL;
    in->udp = udp;
    in->buffer = udp ? UDP_BUFFER_DEFAULT : TCP_BUFFER_DEFAULT;
    in->list = true; /* gen_tcp's defaults: list, passive until told */
    return in;
}

void sp_inet_free(struct sp_sock *s)
{
    if (s->inet) {
        free(s->inet->buf);
        free(s->inet);
        s->inet = NULL;
    }
}

const char *sp_inet_send_err(const struct sp_sock *s)
{
    return s->inet ? s->inet->send_err : NULL;
}

bool sp_inet_reads_ahead(const struct sp_sock *s)
{
    const struct sp_inet *in = s->inet;
    return in && in->active != SP_ACT_FALSE && !s->listening &&
           !in->recv_err && TAILQ_EMPTY(&s->q[SP_Q_READ]);
}

bool sp_inet_wants(const struct sp_sock *s)
{
    return !s->d->out_high && sp_inet_reads_ahead(s);
}

void sp_inet_inherit(struct sp_daemon *d, struct sp_sock *n,
                     const struct sp_sock *l)
{
    if (!l->inet || !(n->inet = inet_new(l->inet->udp)))
        return;
    struct sp_inet *in = n->inet;
    *in = *l->inet;
    in->buf = NULL;
    in->len = in->cap = 0;
    in->recv_err = in->send_err = NULL;
    sp_sock_want(d, n, SP_Q_READ, false); /* arms it if active */
}

/* ---- events to the owner -------------------------------------------------- */

static const char *kind(const struct sp_inet *in)
{
    return in->udp ? "udp" : "tcp";
}

/* The route {inet, Owner, Id, Msg} with Msg's tuple header. */
static void begin_event(struct sp_enc *e, char *buf, size_t cap,
                        const struct sp_sock *s, int arity)
{
    sp_enc_init(e, buf, cap);
    sp_enc_version(e);
    sp_enc_tuple(e, 4);
    sp_enc_atom(e, "inet");
    sp_enc_raw(e, sp_pid_raw(s->owner));
    sp_enc_u64(e, s->id);
    sp_enc_tuple(e, arity);
}

static void event_simple(struct sp_daemon *d, const struct sp_sock *s,
                         const char *tag, const char *reason)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    begin_event(&e, buf, sizeof buf, s, reason ? 3 : 2);
    sp_enc_atom(&e, tag);
    sp_enc_atom(&e, kind(s->inet));
    if (reason)
        sp_enc_atom(&e, reason);
    sp_emit(d, &e, NULL, 0);
}

static void event_data(struct sp_daemon *d, const struct sp_sock *s,
                       const char *p, size_t n, const struct sp_addr *from)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    begin_event(&e, buf, sizeof buf, s, from ? 3 : 2);
    sp_enc_atom(&e, kind(s->inet));
    sp_enc_atom(&e, s->inet->list ? "list" : "binary");
    if (from)
        sp_addr_encode(&e, (const struct sockaddr *)&from->ss, from->len);
    sp_emit(d, &e, p, n);
}

/* One message delivered: once and N count down; N's last sends passive. */
static void count_down(struct sp_daemon *d, struct sp_sock *s)
{
    struct sp_inet *in = s->inet;
    if (in->active == SP_ACT_ONCE) {
        in->active = SP_ACT_FALSE;
    } else if (in->active == SP_ACT_N && --in->count <= 0) {
        in->active = SP_ACT_FALSE;
        event_simple(d, s, "passive", NULL);
    }
}

static void consume(struct sp_inet *in, size_t n)
{
    memmove(in->buf, in->buf + n, in->len - n);
    in->len -= n;
}

/* Room for `want` more bytes after what is buffered; NULL if none. */
static char *room(struct sp_inet *in, size_t want)
{
    if (in->cap - in->len < want) {
        size_t cap = in->len + want;
        char *b = realloc(in->buf, cap);
        if (!b)
            return NULL;
        in->buf = b;
        in->cap = cap;
    }
    return in->buf + in->len;
}

/* The connection ended (gen_tcp's exit_on_close): later calls answer
 * recv_err and send_err, and the peer sees the socket close. */
static void end_connection(struct sp_sock *s, const char *recv_err,
                           const char *send_err)
{
    struct sp_inet *in = s->inet;
    in->recv_err = recv_err;
    in->send_err = send_err;
    free(in->buf);
    in->buf = NULL;
    in->len = in->cap = 0;
    shutdown(s->fd, SHUT_RDWR);
}

/* An active socket's connection ended: its error (if any), then closed. */
static void active_end(struct sp_daemon *d, struct sp_sock *s,
                       const char *reason)
{
    if (reason)
        event_simple(d, s, "error", reason);
    event_simple(d, s, "closed", NULL);
    end_connection(s, "closed", "closed");
}

/* How many bytes the next read asks for. */
static size_t read_size(const struct sp_inet *in, size_t at_least)
{
    size_t n = in->buffer ? in->buffer : 1;
    return n > at_least ? n : at_least;
}

static void udp_service(struct sp_daemon *d, struct sp_sock *s)
{
    struct sp_inet *in = s->inet;
    for (int n = 0; n < SP_BUDGET && in->active != SP_ACT_FALSE; n++) {
        if (d->out_high) {
            s->stalled = true;
            break;
        }
        size_t want = read_size(in, 1);
        char *p = room(in, want);
        if (!p)
            break;
        struct sp_addr from;
        memset(&from, 0, sizeof from);
        from.len = sizeof from.ss;
        ssize_t r = recvfrom(s->fd, p, want, 0, (struct sockaddr *)&from.ss,
                             &from.len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                event_simple(d, s, "error", sp_errno_name(errno));
            break;
        }
        sp_cnt_read_bytes(d, s, (uint64_t)r);
        event_data(d, s, p, (size_t)r < want ? (size_t)r : want, &from);
        count_down(d, s);
    }
}

void sp_inet_service(struct sp_daemon *d, struct sp_sock *s)
{
    struct sp_inet *in = s->inet;
    if (!in || in->active == SP_ACT_FALSE || s->listening || in->recv_err ||
        !TAILQ_EMPTY(&s->q[SP_Q_READ]))
        return;
    if (in->udp) {
        udp_service(d, s);
        sp_sock_want(d, s, SP_Q_READ, false);
        return;
    }
    for (int reads = 0; reads < SP_BUDGET;) {
        size_t hdr;
        long len;
        while (in->active != SP_ACT_FALSE &&
               (len = sp_packet_len(in->packet, in->buf, in->len,
                                    in->packet_size, in->buffer, &hdr)) != 0) {
            if (len < 0) {
                active_end(d, s, "emsgsize");
                sp_sock_want(d, s, SP_Q_READ, false);
                return;
            }
            event_data(d, s, in->buf + hdr, (size_t)len - hdr, NULL);
            consume(in, (size_t)len);
            count_down(d, s);
        }
        if (in->active == SP_ACT_FALSE)
            break;
        if (d->out_high) {
            s->stalled = true;
            break;
        }
        size_t need = sp_packet_need(in->packet, in->buf, in->len);
        size_t want = read_size(in, need - in->len);
        char *p = room(in, want);
        if (!p)
            break;
        ssize_t r = recv(s->fd, p, want, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (r <= 0) {
            /* show_econnreset is off by default: a reset is a close */
            active_end(d, s, r < 0 && errno != ECONNRESET
                                 ? sp_errno_name(errno) : NULL);
            break;
        }
        sp_cnt_read_bytes(d, s, (uint64_t)r);
        in->len += (size_t)r;
        reads++;
    }
    sp_sock_want(d, s, SP_Q_READ, false);
}

/* ---- INET_OPTS ------------------------------------------------------------ */

struct inet_set {
    bool has_active, has_packet, has_psize, has_buffer, has_hint, has_mode;
    bool active_int;
    int active;
    long active_n;
    int packet;
    long psize, buffer, hint;
    bool list;
};

static int dec_opt(struct sp_dec *dec, struct inet_set *set, bool *udp)
{
    char key[SP_ATOM_MAX], a[SP_ATOM_MAX];
    if (sp_dec_tuple_n(dec, 2) != 0 || sp_dec_atom(dec, key) != 0)
        return -1;
    bool is_atom = sp_dec_peek_type(dec) == ERL_SMALL_ATOM_UTF8_EXT ||
                   sp_dec_peek_type(dec) == ERL_ATOM_UTF8_EXT ||
                   sp_dec_peek_type(dec) == ERL_SMALL_ATOM_EXT ||
                   sp_dec_peek_type(dec) == ERL_ATOM_EXT;
    if (strcmp(key, "active") == 0) {
        set->has_active = true;
        if (!is_atom) {
            set->active_int = true;
            return sp_dec_range(dec, ACTIVE_MIN, ACTIVE_MAX, &set->active_n);
        }
        if (sp_dec_atom(dec, a) != 0)
            return -1;
        if (strcmp(a, "true") == 0)
            set->active = SP_ACT_TRUE;
        else if (strcmp(a, "false") == 0)
            set->active = SP_ACT_FALSE;
        else if (strcmp(a, "once") == 0)
            set->active = SP_ACT_ONCE;
        else
            return -1;
        return 0;
    }
    if (strcmp(key, "packet") == 0) {
        set->has_packet = true;
        if (is_atom) {
            set->packet = SP_PKT_LINE;
            return sp_dec_take_atom(dec, "line") ? 0 : -1;
        }
        long p;
        if (sp_dec_range(dec, 0, 4, &p) != 0 || p == 3)
            return -1;
        set->packet = (int)p;
        return 0;
    }
    if (strcmp(key, "packet_size") == 0) {
        set->has_psize = true;
        return sp_dec_range(dec, 0, SP_PACKET_MAX, &set->psize);
    }
    if (strcmp(key, "buffer") == 0) {
        set->has_buffer = true;
        return sp_dec_range(dec, 1, SP_PACKET_MAX, &set->buffer);
    }
    if (strcmp(key, "buffer_hint") == 0) { /* recbuf or sndbuf was set */
        set->has_hint = true;
        return sp_dec_range(dec, 0, SP_PACKET_MAX, &set->hint);
    }
    if (strcmp(key, "mode") == 0) {
        set->has_mode = true;
        if (sp_dec_atom(dec, a) != 0)
            return -1;
        set->list = strcmp(a, "list") == 0;
        return set->list || strcmp(a, "binary") == 0 ? 0 : -1;
    }
    if (strcmp(key, "kind") == 0) {
        if (sp_dec_atom(dec, a) != 0)
            return -1;
        *udp = strcmp(a, "udp") == 0;
        return *udp || strcmp(a, "tcp") == 0 ? 0 : -1;
    }
    return -1;
}

static void enc_active(struct sp_enc *e, int active, long count)
{
    switch (active) {
    case SP_ACT_TRUE: sp_enc_atom(e, "true"); break;
    case SP_ACT_ONCE: sp_enc_atom(e, "once"); break;
    case SP_ACT_N: sp_enc_long(e, count); break;
    default: sp_enc_atom(e, "false"); break;
    }
}

/* {ok, {Active, Packet, PacketSize, Buffer, Mode, Ended, ActiveBefore}} */
static void reply_state(struct sp_daemon *d, const struct sp_cmd *c,
                        const struct sp_inet *in, int was, long was_count)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, c->pid, c->ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "ok");
    sp_enc_tuple(&e, 7);
    enc_active(&e, in->active, in->count);
    if (in->packet == SP_PKT_LINE)
        sp_enc_atom(&e, "line");
    else
        sp_enc_long(&e, in->packet);
    sp_enc_u64(&e, in->packet_size);
    sp_enc_u64(&e, in->buffer);
    sp_enc_atom(&e, in->list ? "list" : "binary");
    sp_enc_atom(&e, in->recv_err ? "true" : "false");
    enc_active(&e, was, was_count);
    sp_emit(d, &e, NULL, 0);
}

int sp_cmd_inet_opts(struct sp_daemon *d, struct sp_cmd *c)
{
    struct sp_sock *s = c->sock;
    struct inet_set set;
    memset(&set, 0, sizeof set);
    bool udp = s->inet ? s->inet->udp : s->type != SOCK_STREAM;
    int n;
    if (sp_dec_list(&c->dec, &n) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        if (dec_opt(&c->dec, &set, &udp) != 0)
            return -1;
    if (n > 0 && sp_dec_nil(&c->dec) != 0)
        return -1;
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    if (!s->inet && !(s->inet = inet_new(udp))) {
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return 0;
    }
    struct sp_inet *in = s->inet;
    in->udp = udp;
    int was = in->active;
    long was_count = in->count, count = 0;
    if (set.has_active && set.active_int) {
        count = (in->active == SP_ACT_N ? in->count : 0) + set.active_n;
        if (count > ACTIVE_MAX) { /* inet refuses, and changes nothing */
            sp_reply_errno(d, c->pid, c->ref, EINVAL);
            return 0;
        }
    }
    if (set.has_packet)
        in->packet = set.packet;
    if (set.has_psize)
        in->packet_size = (size_t)set.psize;
    if (set.has_buffer) {
        in->buffer = (size_t)set.buffer;
        in->buffer_set = true;
    } else if (set.has_hint && !in->buffer_set &&
               (size_t)set.hint > in->buffer) {
        in->buffer = (size_t)set.hint;
    }
    if (set.has_mode)
        in->list = set.list;
    if (set.has_active && set.active_int) {
        if (count <= 0) {
            in->active = SP_ACT_FALSE;
            event_simple(d, s, "passive", NULL);
        } else {
            in->active = SP_ACT_N;
            in->count = count;
        }
    } else if (set.has_active) {
        in->active = set.active;
    }
    reply_state(d, c, in, was, was_count);
    sp_inet_service(d, s);
    return 0;
}

/* ---- INET_RECV ------------------------------------------------------------ */

static void reply_recv(struct sp_daemon *d, const struct sp_op *op,
                       const char *p, size_t n, const struct sp_addr *from)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, op->pidraw, op->ref);
    sp_enc_tuple(&e, from ? 3 : 2);
    sp_enc_atom(&e, "ok");
    sp_enc_atom(&e, op->sock->inet->list ? "list" : "binary");
    if (from)
        sp_addr_encode(&e, (const struct sockaddr *)&from->ss, from->len);
    sp_emit(d, &e, p, n);
}

static enum sp_res udp_recv(struct sp_daemon *d, struct sp_op *op)
{
    struct sp_sock *s = op->sock;
    struct sp_inet *in = s->inet;
    size_t want = read_size(in, op->length);
    char *p = room(in, want);
    if (!p) {
        sp_reply_errno(d, op->pidraw, op->ref, ENOMEM);
        return SP_DONE;
    }
    struct sp_addr from;
    memset(&from, 0, sizeof from);
    from.len = sizeof from.ss;
    ssize_t r;
    do
        r = recvfrom(s->fd, p, want, 0, (struct sockaddr *)&from.ss,
                     &from.len);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return SP_AGAIN;
        sp_reply_errno(d, op->pidraw, op->ref, errno);
        return SP_DONE;
    }
    sp_cnt_read_bytes(d, s, (uint64_t)r);
    reply_recv(d, op, p, (size_t)r < want ? (size_t)r : want, &from);
    return SP_DONE;
}

enum sp_res sp_inet_recv_attempt(struct sp_daemon *d, struct sp_op *op)
{
    struct sp_sock *s = op->sock;
    struct sp_inet *in = s->inet;
    if (in && in->recv_err) {
        sp_reply_atom_error(d, op->pidraw, op->ref, in->recv_err);
        return SP_DONE;
    }
    if (!in || in->active != SP_ACT_FALSE ||
        (in->packet != SP_PKT_RAW && op->length != 0 && !in->udp)) {
        sp_reply_errno(d, op->pidraw, op->ref, EINVAL);
        return SP_DONE;
    }
    if (in->udp)
        return udp_recv(d, op);
    for (;;) {
        size_t hdr = 0, need;
        if (in->packet == SP_PKT_RAW) {
            size_t take = op->length ? op->length : in->len;
            if (in->len > 0 && in->len >= take) {
                reply_recv(d, op, in->buf, take, NULL);
                consume(in, take);
                return SP_DONE;
            }
            need = op->length ? op->length : in->len + 1;
        } else {
            long len = sp_packet_len(in->packet, in->buf, in->len,
                                     in->packet_size, in->buffer, &hdr);
            if (len < 0) {
                sp_reply_atom_error(d, op->pidraw, op->ref, "emsgsize");
                end_connection(s, "enotconn", "enotconn");
                return SP_DONE;
            }
            if (len > 0) {
                reply_recv(d, op, in->buf + hdr, (size_t)len - hdr, NULL);
                consume(in, (size_t)len);
                return SP_DONE;
            }
            need = sp_packet_need(in->packet, in->buf, in->len);
        }
        size_t want = in->packet == SP_PKT_RAW && op->length
                          ? need - in->len
                          : read_size(in, need - in->len);
        char *p = room(in, want);
        if (!p) {
            sp_reply_errno(d, op->pidraw, op->ref, ENOMEM);
            return SP_DONE;
        }
        ssize_t r = recv(s->fd, p, want, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return SP_AGAIN;
        if (r <= 0) {
            const char *reason = r < 0 && errno != ECONNRESET
                                     ? sp_errno_name(errno) : "closed";
            sp_reply_atom_error(d, op->pidraw, op->ref, reason);
            end_connection(s, "enotconn", "closed");
            return SP_DONE;
        }
        sp_cnt_read_bytes(d, s, (uint64_t)r);
        in->len += (size_t)r;
    }
}

void sp_inet_recv_fail(struct sp_daemon *d, struct sp_op *op,
                       const char *reason)
{
    sp_reply_atom_error(d, op->pidraw, op->ref, reason);
}

void sp_inet_recv_zero(struct sp_daemon *d, struct sp_op *op)
{
    sp_reply_atom_error(d, op->pidraw, op->ref, "timeout");
}

int sp_cmd_inet_recv(struct sp_daemon *d, struct sp_cmd *c)
{
    long length;
    struct sp_mode mode;
    if (sp_dec_range(&c->dec, 0, SP_PACKET_MAX, &length) != 0 ||
        sp_dec_mode(&c->dec, &mode) != 0 || sp_dec_end(&c->dec) != 0 ||
        mode.kind == SP_WAIT_NOWAIT)
        return -1;
    struct sp_op *op = sp_op_begin(d, c, SP_K_IRECV, &mode);
    if (!op)
        return 0;
    op->length = (size_t)length;
    sp_op_submit(d, op, &mode);
    return 0;
}

/* ---- send ------------------------------------------------------------------ */

int sp_inet_frame_send(struct sp_op *op)
{
    const struct sp_inet *in = op->sock->inet;
    if (!in || in->udp ||
        (in->packet != SP_PKT_1 && in->packet != SP_PKT_2 &&
         in->packet != SP_PKT_4))
        return 0;
    size_t h = (size_t)in->packet, n = op->data_len;
    if (h < sizeof n && n >> (8 * h) != 0)
        return EMSGSIZE;
    char *b = malloc(h + n);
    if (!b)
        return ENOMEM;
    for (size_t i = 0; i < h; i++)
        b[i] = (char)(n >> (8 * (h - 1 - i)));
    if (n)
        memcpy(b + h, op->data, n);
    free(op->buf);
    op->buf = b;
    op->data = b;
    op->data_len = h + n;
    return 0;
}
