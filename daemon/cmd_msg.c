/* sendmsg and recvmsg, and the descriptors that arrive with SCM_RIGHTS.
 *
 * sendmsg takes the iov's bytes as the command's tail (the VM has joined
 * them) with the control messages already named and checked by the VM;
 * here they become a control buffer no larger than the socket's
 * {otp, sndctrlbuf}. The checks the NIF makes after the socket is known
 * to be open are made here in its order: the address, the iov (at most
 * IOV_MAX elements unless the socket is a stream, which OTP then sends in
 * turns), the control messages. A call that writes part of its data sends
 * its control messages with the first bytes only. Waiting, partial
 * progress and replies are the send path's (cmd_data.c, opq.c).
 *
 * recvmsg reads one message into a buffer that becomes the reply's tail,
 * and answers its source, flags and control messages (decoded by
 * proto/sp_cmsg.c). Descriptors received with SCM_RIGHTS stay open in the
 * daemon, held by the socket they came on, and are closed with it unless
 * taken (sp_rights_take). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ei.h>

#include "daemon.h"
#include "sp_cmsg.h"
#include "sp_tables.h"

/* The largest control buffer of one call either way. The kernel takes at
 * most net.core.optmem_max (20 KiB by default) on a send. */
#define SP_CTRL_MAX (64u * 1024u)

/* ---- descriptors received with SCM_RIGHTS --------------------------------- */

static int keep_right(struct sp_sock *s, int fd)
{
    if (s->nrights == s->caprights) {
        size_t n = s->caprights ? s->caprights * 2 : 8;
        int *r = realloc(s->rights, n * sizeof *r);
        if (!r)
            return -1;
        s->rights = r;
        s->caprights = n;
    }
    s->rights[s->nrights++] = fd;
    return 0;
}

void sp_rights_close(struct sp_sock *s)
{
    for (size_t i = 0; i < s->nrights; i++)
        close(s->rights[i]);
    free(s->rights);
    s->rights = NULL;
    s->nrights = s->caprights = 0;
}

/* The socket that holds fd as a received descriptor, and where. */
static struct sp_sock *holder(struct sp_daemon *d, int fd, size_t *at)
{
    struct sp_sock_table *t = &d->socks;
    for (size_t i = 0; i < t->nslots; i++)
        for (struct sp_sock *s = t->slots[i]; s; s = s->hnext)
            for (size_t k = 0; k < s->nrights; k++)
                if (s->rights[k] == fd) {
                    *at = k;
                    return s;
                }
    return NULL;
}

int sp_rights_take(struct sp_daemon *d, int fd)
{
    size_t k;
    struct sp_sock *s = holder(d, fd, &k);
    if (!s)
        return -1;
    s->rights[k] = s->rights[--s->nrights];
    return 0;
}

/* A descriptor the VM may name in SCM_RIGHTS: one it has been given, a
 * socket's or a received one; never the daemon's own (stdio, event loop). */
static int handed_out(void *arg, int *fd)
{
    struct sp_daemon *d = arg;
    struct sp_sock_table *t = &d->socks;
    size_t k;
    for (size_t i = 0; i < t->nslots; i++)
        for (struct sp_sock *s = t->slots[i]; s; s = s->hnext)
            if (s->fd == *fd)
                return 0;
    return holder(d, *fd, &k) ? 0 : -1;
}

/* Keeps a descriptor that just arrived; one that cannot be kept is closed
 * and shows as -1. */
static int arrived(void *arg, int *fd)
{
    struct sp_sock *s = arg;
    if (*fd >= 0 && keep_right(s, *fd) != 0) {
        close(*fd);
        *fd = -1;
    }
    return 0;
}

/* ---- sendmsg -------------------------------------------------------------- */

enum sp_res sp_sendmsg_attempt(struct sp_daemon *d, struct sp_op *op)
{
    struct sp_sock *s = op->sock;
    bool stream = s->type == SOCK_STREAM;
    size_t start = op->done;
    sp_cnt_write_try(d, s);
    do {
        struct iovec iov = {.iov_base = (void *)(op->data + op->done),
                            .iov_len = op->data_len - op->done};
        struct msghdr m;
        memset(&m, 0, sizeof m);
        if (op->has_to) {
            m.msg_name = &op->to.ss;
            m.msg_namelen = op->to.len;
        }
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        if (op->done == 0 && op->clen > 0) {
            m.msg_control = op->cbuf;
            m.msg_controllen = op->clen;
        }
        ssize_t n = sendmsg(s->fd, &m, op->flags | MSG_NOSIGNAL);
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
    sp_reply_ok(d, op->pidraw, op->ref);
    return op->more ? SP_HOLD : SP_DONE;
}

/* {error, {invalid, What}}: what the NIF finds invalid (addr, iov, ctrl);
 * the VM turns it into OTP's error term. */
static void reply_invalid(struct sp_daemon *d, const struct sp_cmd *c,
                          const char *what)
{
    sp_reply_tag_invalid(d, c->pid, c->ref, "error", what);
}

/* {error, Reason}: what the VM knows the kernel will answer. */
static int dec_error(struct sp_dec *dec, char reason[SP_ATOM_MAX])
{
    struct sp_dec save = *dec;
    if (sp_dec_tuple_n(dec, 2) == 0 && sp_dec_take_atom(dec, "error") &&
        sp_dec_atom(dec, reason) == 0)
        return 0;
    *dec = save;
    reason[0] = '\0';
    return -1;
}

/* The control buffer of a sendmsg: 0 with *cbuf set (NULL when empty), 1
 * when answered, -1 when malformed. */
static int build_ctrl(struct sp_daemon *d, struct sp_cmd *c,
                      struct sp_dec *dec, char **cbuf, size_t *clen)
{
    size_t want = c->sock->sndctrlbuf;
    size_t cap = want < SP_CTRL_MAX ? want : SP_CTRL_MAX;
    char *buf = malloc(cap ? cap : 1);
    if (!buf) {
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return 1;
    }
    int rc = sp_cmsg_build(dec, buf, cap, clen);
    if (rc == SP_CMSG_BAD) {
        free(buf);
        return -1;
    }
    if (rc == SP_CMSG_FULL) {
        /* Over {otp, sndctrlbuf}: invalid, as OTP says; over our own cap
         * only: what the kernel says of too much control data. */
        free(buf);
        if (cap == want)
            reply_invalid(d, c, "ctrl");
        else
            sp_reply_errno(d, c->pid, c->ref, ENOBUFS);
        return 1;
    }
    if (sp_cmsg_each_fd(buf, *clen, handed_out, d) != 0) {
        free(buf);
        sp_reply_errno(d, c->pid, c->ref, EBADF);
        return 1;
    }
    if (*clen == 0) {
        free(buf);
        buf = NULL;
    }
    *cbuf = buf;
    return 0;
}

/* {Addr, Ctrl, NIov, Flags, Mode, More} and the data as the tail. */
int sp_cmd_sendmsg(struct sp_daemon *d, struct sp_cmd *c)
{
    struct sp_sock *s = c->sock;
    struct sp_addr to;
    bool has_to = false, bad_addr = false, bad_ctrl = false, bad_iov = false;
    char addr_err[SP_ATOM_MAX] = "";
    struct sp_dec ctrl;
    long niov = 0, flags;
    struct sp_mode mode;
    bool more;

    if (sp_dec_take_atom(&c->dec, "invalid"))
        bad_addr = true;
    else if (sp_dec_peek_type(&c->dec) == ERL_SMALL_TUPLE_EXT &&
             dec_error(&c->dec, addr_err) == 0)
        ; /* an address the kernel will refuse: answered in its place */
    else if (!sp_dec_take_atom(&c->dec, "undefined")) {
        if (sp_addr_decode(&c->dec, s->domain, &to) != 0)
            return -1;
        has_to = true;
    }
    ctrl = c->dec;
    if (sp_dec_take_atom(&c->dec, "invalid"))
        bad_ctrl = true;
    else if (sp_dec_skip(&c->dec) != 0)
        return -1;
    if (sp_dec_take_atom(&c->dec, "invalid"))
        bad_iov = true;
    else if (sp_dec_range(&c->dec, 0, LONG_MAX, &niov) != 0)
        return -1;
    if (sp_dec_range(&c->dec, 0, 0x7fffffffL, &flags) != 0 ||
        sp_dec_mode(&c->dec, &mode) != 0 || sp_dec_bool(&c->dec, &more) != 0)
        return -1;
    const char *data;
    size_t len = sp_dec_rest(&c->dec, &data);
    if (sp_split_message(d, c, more))
        return 0;

    /* The NIF's order: the address, the iov, the control messages. */
    if (bad_addr) {
        reply_invalid(d, c, "addr");
        return 0;
    }
    if (bad_iov || (s->type != SOCK_STREAM && niov > IOV_MAX)) {
        reply_invalid(d, c, "iov");
        return 0;
    }
    if (bad_ctrl) {
        reply_invalid(d, c, "ctrl");
        return 0;
    }
    char *cbuf = NULL;
    size_t clen = 0;
    int rc = build_ctrl(d, c, &ctrl, &cbuf, &clen);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    if (addr_err[0] != '\0') {
        free(cbuf);
        sp_reply_atom_error(d, c->pid, c->ref, addr_err);
        return 0;
    }
    struct sp_op *op = sp_op_begin(d, c, SP_K_SENDMSG, &mode);
    if (!op) {
        free(cbuf);
        return 0;
    }
    op->has_to = has_to;
    if (has_to)
        op->to = to;
    op->cbuf = cbuf;
    op->clen = clen;
    op->flags = (int)flags;
    op->more = more;
    op->data = data;
    op->data_len = len;
    sp_op_submit(d, op, &mode);
    return 0;
}

/* ---- recvmsg -------------------------------------------------------------- */

/* {ok, Addr | undefined, Flags, Ctrl} with the data as the tail. */
static void reply_msg(struct sp_daemon *d, struct sp_op *op,
                      const struct msghdr *m, char *data, size_t n)
{
    size_t cap = SP_HDR_BUF + sp_cmsg_encode_bound(m->msg_controllen);
    char *buf = malloc(cap);
    if (!buf) {
        free(data);
        sp_reply_errno(d, op->pidraw, op->ref, ENOMEM);
        return;
    }
    struct sp_enc e;
    sp_enc_init(&e, buf, cap);
    sp_route_reply(&e, op->pidraw, op->ref);
    sp_enc_tuple(&e, 4);
    sp_enc_atom(&e, "ok");
    if (m->msg_namelen > 0)
        sp_addr_encode(&e, m->msg_name, m->msg_namelen);
    else
        sp_enc_atom(&e, "undefined");
    sp_enc_long(&e, m->msg_flags);
    sp_cmsg_encode(&e, m->msg_control, m->msg_controllen);
    sp_emit_owned(d, &e, data, n);
    free(buf);
}

enum sp_res sp_recvmsg_attempt(struct sp_daemon *d, struct sp_op *op)
{
    struct sp_sock *s = op->sock;
    size_t want = op->length ? op->length : s->rcvbuf;
    size_t csz = op->ctrl_size ? op->ctrl_size : s->rcvctrlbuf;
    if (csz > SP_CTRL_MAX)
        csz = SP_CTRL_MAX;
    sp_cnt_read_try(d, s);
    char *data = malloc(want ? want : 1);
    char *cbuf = malloc(csz);
    if (!data || !cbuf) {
        free(data);
        free(cbuf);
        sp_cnt_read_fail(d, s);
        sp_reply_errno(d, op->pidraw, op->ref, ENOMEM);
        return SP_DONE;
    }
    struct sp_addr from;
    struct iovec iov = {.iov_base = data, .iov_len = want};
    struct msghdr m;
    memset(&m, 0, sizeof m);
    memset(&from, 0, sizeof from);
    m.msg_name = &from.ss;
    m.msg_namelen = sizeof from.ss;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = cbuf;
    m.msg_controllen = csz;
    ssize_t n;
    do
        n = recvmsg(s->fd, &m, op->flags);
    while (n < 0 && errno == EINTR);
    if (n < 0 || (n == 0 && s->type == SOCK_STREAM)) {
        int err = n < 0 ? errno : 0;
        free(data);
        free(cbuf);
        if (err == EAGAIN || err == EWOULDBLOCK)
            return SP_AGAIN;
        sp_cnt_read_fail(d, s);
        if (err)
            sp_reply_errno(d, op->pidraw, op->ref, err);
        else
            sp_reply_atom_error(d, op->pidraw, op->ref, "closed");
        return SP_DONE;
    }
    sp_cmsg_each_fd(cbuf, m.msg_controllen, arrived, s);
    sp_cnt_read_bytes(d, s, (uint64_t)n);
    sp_cnt_read_done(d, s, (uint64_t)n, false); /* no read_pkg_max, as OTP */
    /* With MSG_TRUNC the kernel says how long the message was. */
    reply_msg(d, op, &m, data, (size_t)n < want ? (size_t)n : want);
    free(cbuf);
    return SP_DONE;
}

/* {BufSz, CtrlSz, Flags, Mode} */
int sp_cmd_recvmsg(struct sp_daemon *d, struct sp_cmd *c)
{
    long bufsz, ctrlsz, flags;
    struct sp_mode mode;
    if (sp_dec_range(&c->dec, 0, LONG_MAX, &bufsz) != 0 ||
        sp_dec_range(&c->dec, 0, LONG_MAX, &ctrlsz) != 0 ||
        sp_dec_range(&c->dec, 0, 0x7fffffffL, &flags) != 0 ||
        sp_dec_mode(&c->dec, &mode) != 0 || sp_dec_end(&c->dec) != 0)
        return -1;
    if (bufsz > SP_RECV_MAX) { /* a documented limit, not bad input */
        sp_reply_errno(d, c->pid, c->ref, EINVAL);
        return 0;
    }
    struct sp_op *op = sp_op_begin(d, c, SP_K_RECVMSG, &mode);
    if (!op)
        return 0;
    op->length = (size_t)bufsz;
    op->ctrl_size = (size_t)ctrlsz;
    op->flags = (int)flags;
    sp_op_submit(d, op, &mode);
    return 0;
}
