/* Connections: connect (blocking, timed, nowait and its completion by
 * connect/1) and accept. Both run through the socket's queues: connect is
 * a writer, accept has its own queue. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon.h"

void sp_plain_fail(struct sp_daemon *d, struct sp_op *op, const char *reason)
{
    sp_reply_atom_error(d, op->pidraw, op->ref, reason);
}

void sp_plain_armed(struct sp_daemon *d, struct sp_op *op)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_armed(&e, op);
    sp_enc_atom(&e, "select");
    sp_emit(d, &e, NULL, 0);
}

void sp_plain_zero(struct sp_daemon *d, struct sp_op *op)
{
    sp_opclass_of(op->kind)->fail(d, op, "timeout");
}

static void start_op(struct sp_daemon *d, struct sp_cmd *c,
                     enum sp_opkind kind, const struct sp_mode *mode,
                     const struct sp_addr *to)
{
    struct sp_op *op = sp_op_begin(d, c, kind, mode);
    if (!op)
        return;
    if (to)
        op->to = *to;
    sp_op_submit(d, op, mode);
}

enum sp_res sp_connect_attempt(struct sp_daemon *d, struct sp_op *op)
{
    struct sp_sock *s = op->sock;
    if (!s->connecting) {
        if (connect(s->fd, (struct sockaddr *)&op->to.ss, op->to.len) == 0) {
            sp_state_set(s, true, SP_ST_CONNECTED);
            sp_reply_ok(d, op->pidraw, op->ref);
            return SP_DONE;
        }
        if (errno == EINPROGRESS || errno == EAGAIN || errno == EINTR) {
            s->connecting = true;
            return SP_AGAIN;
        }
        sp_reply_errno(d, op->pidraw, op->ref, errno);
        return SP_DONE;
    }
    struct pollfd p = {.fd = s->fd, .events = POLLOUT};
    if (poll(&p, 1, 0) == 0)
        return SP_AGAIN;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    s->connecting = false;
    if (err == 0) {
        sp_state_set(s, true, SP_ST_CONNECTED);
        sp_reply_ok(d, op->pidraw, op->ref);
    } else {
        sp_reply_errno(d, op->pidraw, op->ref, err);
    }
    return SP_DONE;
}

static bool own_connect_armed(const struct sp_cmd *c)
{
    const struct sp_op *h = TAILQ_FIRST(&c->sock->q[SP_Q_CONNECT]);
    return h && h->kind == SP_K_CONNECT && h->armed &&
           h->pidraw.len == c->pid.len &&
           memcmp(h->pidraw.p, c->pid.p, (size_t)c->pid.len) == 0;
}

/* The caller of a pending nowait connect calls connect again (connect/1,
 * or connect/2,3): as OTP 25, the connection's state is read once, now,
 * and the call is answered with it, even if the handshake is still on. */
static void connect_finish_now(struct sp_daemon *d, struct sp_cmd *c)
{
    struct sp_sock *s = c->sock;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = errno;
    s->connecting = false;
    sp_queue_drop_signalled(d, s, SP_Q_CONNECT);
    if (err == 0)
        sp_state_set(s, true, SP_ST_CONNECTED);
    if (err == 0)
        sp_reply_ok(d, c->pid, c->ref);
    else
        sp_reply_errno(d, c->pid, c->ref, err);
}

int sp_cmd_connect(struct sp_daemon *d, struct sp_cmd *c)
{
    struct sp_addr to;
    struct sp_mode mode;
    if (sp_addr_decode(&c->dec, c->sock->domain, &to) != 0 ||
        sp_dec_mode(&c->dec, &mode) != 0 || sp_dec_end(&c->dec) != 0)
        return -1;
    if (c->sock->connecting) {
        if (own_connect_armed(c))
            connect_finish_now(d, c);
        else
            sp_reply_atom_error(d, c->pid, c->ref, "already");
        return 0;
    }
    start_op(d, c, SP_K_CONNECT, &mode, &to);
    return 0;
}

int sp_cmd_connect_finish(struct sp_daemon *d, struct sp_cmd *c)
{
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    if (!c->sock->connecting || !own_connect_armed(c)) {
        /* OTP's connect/1 raises {invalid, state} here */
        sp_reply_invalid_state(d, c->pid, c->ref, true);
        return 0;
    }
    connect_finish_now(d, c);
    return 0;
}

enum sp_res sp_accept_attempt(struct sp_daemon *d, struct sp_op *op)
{
    struct sp_sock *s = op->sock;
    if (!sp_sock_room(d)) { /* the connection waits in the backlog */
        sp_limit_hit(d, SP_LIMIT_SOCKETS);
        sp_reply_errno(d, op->pidraw, op->ref, EMFILE);
        return SP_DONE;
    }
    sp_cnt_acc_try(d, s);
    int fd = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
            errno == ECONNABORTED) {
            sp_cnt_acc_again(d, s);
            return SP_AGAIN;
        }
        sp_cnt_acc_fail(d, s);
        sp_reply_errno(d, op->pidraw, op->ref, errno);
        return SP_DONE;
    }
    struct sp_pid *owner = sp_pid_get(d, op->pidraw);
    struct sp_sock *n =
        owner ? sp_sock_add(d, fd, s->domain, s->type, s->protocol, owner)
              : NULL;
    if (owner)
        sp_pid_unref(d, owner);
    if (!n) {
        close(fd);
        sp_cnt_acc_fail(d, s);
        sp_reply_errno(d, op->pidraw, op->ref, ENOMEM);
        return SP_DONE;
    }
    n->debug = s->debug; /* as OTP, the new socket inherits these two */
    n->use_registry = s->use_registry;
    sp_inet_inherit(d, n, s);
    sp_cnt_acc_success(d, s);
    sp_reply_ok_id(d, op->pidraw, op->ref, n->id);
    return SP_DONE;
}

int sp_cmd_accept(struct sp_daemon *d, struct sp_cmd *c)
{
    struct sp_mode mode;
    if (sp_dec_mode(&c->dec, &mode) != 0 || sp_dec_end(&c->dec) != 0)
        return -1;
    start_op(d, c, SP_K_ACCEPT, &mode, NULL);
    return 0;
}
