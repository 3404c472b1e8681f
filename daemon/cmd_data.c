/* Moving data: send and sendto (the payload is the command's tail, sent
 * from the frame it arrived in unless the call must wait), recv and
 * recvfrom (read into a buffer that becomes the reply's tail without
 * another copy). Partial progress is kept in the operation, so a blocked
 * call resumes where it stopped and a timeout reports what was done. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon.h"
#include "sp_tables.h"

/* ---- send, sendto --------------------------------------------------------- */

static void reply_sent(struct sp_daemon *d, const struct sp_op *op,
                       const char *tag, const char *reason)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    if (strcmp(tag, "select") == 0)
        sp_route_armed(&e, op);
    else
        sp_route_reply(&e, op->pidraw, op->ref);
    if (reason && op->done == 0) { /* {error, R} */
        sp_enc_tuple(&e, 2);
        sp_enc_atom(&e, tag);
        sp_enc_atom(&e, reason);
    } else if (reason) { /* {error, R, Written} */
        sp_enc_tuple(&e, 3);
        sp_enc_atom(&e, tag);
        sp_enc_atom(&e, reason);
        sp_enc_u64(&e, op->done);
    } else if (strcmp(tag, "select") == 0) { /* {select, Written} */
        sp_enc_tuple(&e, 2);
        sp_enc_atom(&e, tag);
        sp_enc_u64(&e, op->done);
    } else {
        sp_enc_atom(&e, tag);
    }
    sp_emit(d, &e, NULL, 0);
}

enum sp_res sp_send_attempt(struct sp_daemon *d, struct sp_op *op)
{
    struct sp_sock *s = op->sock;
    bool stream = s->type == SOCK_STREAM;
    size_t start = op->done;
    sp_cnt_write_try(d, s);
    do {
        ssize_t n;
        if (op->kind == SP_K_SENDTO)
            n = sendto(s->fd, op->data + op->done, op->data_len - op->done,
                       op->flags | MSG_NOSIGNAL,
                       (struct sockaddr *)&op->to.ss, op->to.len);
        else
            n = send(s->fd, op->data + op->done, op->data_len - op->done,
                     op->flags | MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                sp_cnt_write_wait(d, s, op->done - start);
                return SP_AGAIN;
            }
            sp_send_refused(d, op, errno);
            return SP_DONE;
        }
        op->done += (size_t)n;
    } while (stream && op->done < op->data_len);
    sp_cnt_write_done(d, s, op->done - start);
    reply_sent(d, op, "ok", NULL);
    return op->more ? SP_HOLD : SP_DONE;
}

/* Anything but invalid input leaves the socket unable to send: as OTP's
 * NIF, the writers waiting behind op fail with the same reason. */
void sp_send_refused(struct sp_daemon *d, struct sp_op *op, int err)
{
    const char *reason = sp_errno_name(err);
    sp_cnt_write_fail(d, op->sock);
    reply_sent(d, op, "error", reason);
    if (err != EINVAL)
        sp_queue_fail_others(d, op, reason);
}

void sp_send_fail(struct sp_daemon *d, struct sp_op *op, const char *reason)
{
    reply_sent(d, op, "error", reason);
}

void sp_send_armed(struct sp_daemon *d, struct sp_op *op)
{
    reply_sent(d, op, "select", NULL);
    /* The caller keeps the rest and calls again; we keep nothing. */
    sp_op_drop_data(d, op);
}

bool sp_split_message(struct sp_daemon *d, const struct sp_cmd *c, bool more)
{
    if (!more || c->sock->type == SOCK_STREAM)
        return false;
    /* a message must go whole, in one frame: it is too long for one */
    sp_reply_errno(d, c->pid, c->ref, EMSGSIZE);
    return true;
}

static int start_send(struct sp_daemon *d, struct sp_cmd *c,
                      enum sp_opkind kind)
{
    struct sp_addr to;
    long flags;
    struct sp_mode mode;
    if (kind == SP_K_SENDTO &&
        sp_addr_decode(&c->dec, c->sock->domain, &to) != 0)
        return -1;
    bool more;
    if (sp_dec_range(&c->dec, 0, 0x7fffffffL, &flags) != 0 ||
        sp_dec_mode(&c->dec, &mode) != 0 || sp_dec_bool(&c->dec, &more) != 0)
        return -1;
    const char *data;
    size_t len = sp_dec_rest(&c->dec, &data);
    if (sp_split_message(d, c, more))
        return 0;
    const char *ended = sp_inet_send_err(c->sock);
    if (ended) { /* sockport_tcp's connection ended (exit_on_close) */
        sp_reply_atom_error(d, c->pid, c->ref, ended);
        return 0;
    }
    /* The last frame of a call the VM split: the frame before it holds
     * the queue for the same caller. */
    struct sp_op *head = TAILQ_FIRST(&c->sock->q[SP_Q_WRITE]);
    bool split = more || (head && head->hold && head->pidraw.len == c->pid.len &&
                          memcmp(head->pidraw.p, c->pid.p,
                                 (size_t)c->pid.len) == 0);
    struct sp_op *op = sp_op_begin(d, c, kind, &mode);
    if (!op)
        return 0;
    if (kind == SP_K_SENDTO)
        op->to = to;
    op->flags = (int)flags;
    op->more = more;
    op->data = data;
    op->data_len = len;
    int err = kind == SP_K_SEND && !split ? sp_inet_frame_send(op) : 0;
    if (err) {
        sp_reply_errno(d, c->pid, c->ref, err);
        sp_op_free(d, op);
        return 0;
    }
    sp_op_submit(d, op, &mode);
    return 0;
}

int sp_cmd_send(struct sp_daemon *d, struct sp_cmd *c)
{
    return start_send(d, c, SP_K_SEND);
}

int sp_cmd_sendto(struct sp_daemon *d, struct sp_cmd *c)
{
    return start_send(d, c, SP_K_SENDTO);
}

/* ---- recv, recvfrom ------------------------------------------------------- */

/* Answers `tag` (ok | select | {error, Reason}) with the gathered bytes. */
static void reply_data(struct sp_daemon *d, struct sp_op *op, const char *tag,
                       const char *reason, const struct sp_addr *from)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    if (strcmp(tag, "select") == 0)
        sp_route_armed(&e, op);
    else
        sp_route_reply(&e, op->pidraw, op->ref);
    if (reason) {
        sp_enc_tuple(&e, 2);
        sp_enc_atom(&e, tag);
        sp_enc_atom(&e, reason);
    } else if (from) {
        sp_enc_tuple(&e, 2);
        sp_enc_atom(&e, tag);
        sp_addr_encode(&e, (const struct sockaddr *)&from->ss, from->len);
    } else {
        sp_enc_atom(&e, tag);
    }
    sp_emit_owned(d, &e, op->buf, op->buf_len);
    op->buf = NULL;
    op->buf_len = 0;
}

/* Makes room for `want` more bytes after what is gathered. */
static char *room(struct sp_op *op, size_t want)
{
    char *b = realloc(op->buf, op->buf_len + want);
    if (!b)
        return NULL;
    op->buf = b;
    return b + op->buf_len;
}

static enum sp_res recvfrom_attempt(struct sp_daemon *d, struct sp_op *op)
{
    struct sp_sock *s = op->sock;
    size_t want = op->length ? op->length : s->rcvbuf;
    sp_cnt_read_try(d, s);
    char *p = room(op, want);
    if (!p) {
        sp_cnt_read_fail(d, s);
        reply_data(d, op, "error", "enomem", NULL);
        return SP_DONE;
    }
    struct sp_addr from;
    memset(&from, 0, sizeof from);
    from.len = sizeof from.ss;
    ssize_t n;
    do
        n = recvfrom(s->fd, p, want, op->flags, (struct sockaddr *)&from.ss,
                     &from.len);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return SP_AGAIN;
        sp_cnt_read_fail(d, s);
        reply_data(d, op, "error", sp_errno_name(errno), NULL);
        return SP_DONE;
    }
    if (n == 0 && s->type == SOCK_STREAM) {
        sp_cnt_read_fail(d, s);
        reply_data(d, op, "error", "closed", NULL);
        return SP_DONE;
    }
    op->buf_len = (size_t)n < want ? (size_t)n : want; /* MSG_TRUNC: n is the
                                                         * datagram's size */
    sp_cnt_read_bytes(d, s, (uint64_t)op->buf_len);
    sp_cnt_read_done(d, s, (uint64_t)op->buf_len, false);
    reply_data(d, op, "ok", NULL, &from);
    return SP_DONE;
}

enum sp_res sp_recv_attempt(struct sp_daemon *d, struct sp_op *op)
{
    if (op->kind == SP_K_RECVFROM)
        return recvfrom_attempt(d, op);
    struct sp_sock *s = op->sock;
    bool stream = s->type == SOCK_STREAM;
    size_t start = op->buf_len;
    sp_cnt_read_try(d, s);
    for (;;) {
        size_t want = op->length ? op->length - op->buf_len : s->rcvbuf;
        char *p = room(op, want);
        if (!p) {
            sp_cnt_read_fail(d, s);
            reply_data(d, op, "error", "enomem", NULL);
            return SP_DONE;
        }
        ssize_t n = recv(s->fd, p, want, op->flags);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return SP_AGAIN;
            sp_cnt_read_fail(d, s);
            reply_data(d, op, "error", sp_errno_name(errno), NULL);
            return SP_DONE;
        }
        if (n == 0 && stream) {
            sp_cnt_read_fail(d, s);
            reply_data(d, op, "error", "closed", NULL);
            return SP_DONE;
        }
        size_t got = (size_t)n < want ? (size_t)n : want; /* MSG_TRUNC */
        op->buf_len += got;
        sp_cnt_read_bytes(d, s, (uint64_t)got);
        /* A datagram, or "what is there" (one read, at most rcvbuf, as
         * OTP's), or all of Length. A peek reads the same bytes again on
         * every call, so it takes what one read gives. */
        if (!stream || !op->length || op->buf_len >= op->length ||
            (op->flags & MSG_PEEK))
            break;
    }
    bool whole = op->length && op->buf_len >= op->length;
    sp_cnt_read_done(d, s, op->buf_len - start, true);
    reply_data(d, op, "ok", NULL, NULL);
    return op->more && whole ? SP_HOLD : SP_DONE;
}

void sp_recv_fail(struct sp_daemon *d, struct sp_op *op, const char *reason)
{
    reply_data(d, op, "error", reason, NULL);
}

void sp_recv_zero(struct sp_daemon *d, struct sp_op *op)
{
    /* A zero timeout takes what there is, as OTP's does. */
    if (op->buf_len > 0) {
        sp_cnt_read_done(d, op->sock, op->buf_len, true);
        reply_data(d, op, "ok", NULL, NULL);
    }
    else
        reply_data(d, op, "error", "timeout", NULL);
}

void sp_recv_armed(struct sp_daemon *d, struct sp_op *op)
{
    reply_data(d, op, "select", NULL, NULL);
}

static int start_recv(struct sp_daemon *d, struct sp_cmd *c,
                      enum sp_opkind kind)
{
    long length, flags;
    struct sp_mode mode;
    if (sp_dec_range(&c->dec, 0, SP_RECV_MAX, &length) != 0 ||
        sp_dec_range(&c->dec, 0, 0x7fffffffL, &flags) != 0 ||
        sp_dec_mode(&c->dec, &mode) != 0)
        return -1;
    bool more = false;
    if (kind == SP_K_RECV && sp_dec_bool(&c->dec, &more) != 0)
        return -1;
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    struct sp_op *op = sp_op_begin(d, c, kind, &mode);
    if (!op)
        return 0;
    op->length = (size_t)length;
    op->more = more;
    op->flags = (int)flags;
    sp_op_submit(d, op, &mode);
    return 0;
}

int sp_cmd_recv(struct sp_daemon *d, struct sp_cmd *c)
{
    return start_recv(d, c, SP_K_RECV);
}

int sp_cmd_recvfrom(struct sp_daemon *d, struct sp_cmd *c)
{
    return start_recv(d, c, SP_K_RECVFROM);
}
