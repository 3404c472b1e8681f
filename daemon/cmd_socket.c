/* Commands on a socket's life and names: open, bind, listen, close,
 * shutdown, sockname, peername, cancel, and the death of a VM process
 * (PID_DOWN), which closes what it owned and drops what it waited for. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ei.h>

#include "daemon.h"
#include "sp_tables.h"

/* An atom from table t or an integer. 1 answered (unknown atom), 0 ok, -1
 * malformed. */
static int dec_named(struct sp_daemon *d, struct sp_cmd *c,
                     const struct sp_name *t, size_t n, const char *what,
                     int *value)
{
    int type = sp_dec_peek_type(&c->dec);
    if (type == ERL_ATOM_EXT || type == ERL_SMALL_ATOM_EXT ||
        type == ERL_ATOM_UTF8_EXT || type == ERL_SMALL_ATOM_UTF8_EXT) {
        char a[SP_ATOM_MAX];
        if (sp_dec_atom(&c->dec, a) != 0)
            return -1;
        int v = sp_name_lookup(t, n, a);
        if (v < 0) {
            sp_reply_invalid(d, c->pid, c->ref, what, a);
            return 1;
        }
        *value = v;
        return 0;
    }
    long v;
    if (sp_dec_range(&c->dec, -0x7fffffffL - 1, 0x7fffffffL, &v) != 0)
        return -1;
    *value = (int)v;
    return 0;
}

int sp_cmd_open(struct sp_daemon *d, struct sp_cmd *c)
{
    int domain, type, protocol, r;
    struct sp_raw opts;
    if ((r = dec_named(d, c, sp_domains, sp_domains_n, "domain", &domain)))
        return r < 0 ? -1 : 0;
    if ((r = dec_named(d, c, sp_types, sp_types_n, "type", &type)))
        return r < 0 ? -1 : 0;
    if ((r = dec_named(d, c, sp_protocols, sp_protocols_n, "protocol",
                       &protocol)))
        return r < 0 ? -1 : 0;
    if (sp_dec_raw(&c->dec, &opts) != 0 || sp_dec_end(&c->dec) != 0)
        return -1;

    int fd, err;
    bool debug;
    if (!sp_sock_room(d)) {
        sp_limit_hit(d, SP_LIMIT_SOCKETS);
        sp_reply_errno(d, c->pid, c->ref, EMFILE);
        return 0;
    }
    if ((err = sp_open_socket(d, opts, domain, type, protocol, &fd, &debug)))
    {
        if (err < 0)
            return -1;
        sp_reply_errno(d, c->pid, c->ref, err);
        return 0;
    }
    struct sp_pid *owner = sp_pid_get(d, c->pid);
    struct sp_sock *s =
        owner ? sp_sock_add(d, fd, domain, type, protocol, owner) : NULL;
    if (owner)
        sp_pid_unref(d, owner);
    if (!s) {
        close(fd);
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return 0;
    }
    s->debug = debug;
    (void)sp_open_opts(s, opts); /* unknown or odd options are ignored */
    sp_reply_ok_id(d, c->pid, c->ref, s->id);
    return 0;
}

static void reply_status(struct sp_daemon *d, struct sp_cmd *c, int rc)
{
    if (rc == 0)
        sp_reply_ok(d, c->pid, c->ref);
    else
        sp_reply_errno(d, c->pid, c->ref, errno);
}

int sp_cmd_bind(struct sp_daemon *d, struct sp_cmd *c)
{
    struct sp_addr a;
    if (sp_addr_decode(&c->dec, c->sock->domain, &a) != 0 ||
        sp_dec_end(&c->dec) != 0)
        return -1;
    int rc = bind(c->sock->fd, (struct sockaddr *)&a.ss, a.len);
    if (rc == 0)
        sp_state_set(c->sock, false, SP_ST_BOUND);
    reply_status(d, c, rc);
    return 0;
}

int sp_cmd_listen(struct sp_daemon *d, struct sp_cmd *c)
{
    long backlog;
    if (sp_dec_range(&c->dec, -0x7fffffffL, 0x7fffffffL, &backlog) != 0 ||
        sp_dec_end(&c->dec) != 0)
        return -1;
    int rc = listen(c->sock->fd, (int)backlog);
    if (rc == 0) {
        c->sock->listening = true;
        sp_state_set(c->sock, false, SP_ST_LISTENING);
    }
    reply_status(d, c, rc);
    return 0;
}

int sp_cmd_close(struct sp_daemon *d, struct sp_cmd *c)
{
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    sp_sock_close(d, c->sock);
    sp_reply_ok(d, c->pid, c->ref);
    return 0;
}

static const struct sp_name shutdown_hows[] = {
    {"read", SHUT_RD}, {"write", SHUT_WR}, {"read_write", SHUT_RDWR}};

int sp_cmd_shutdown(struct sp_daemon *d, struct sp_cmd *c)
{
    char how[SP_ATOM_MAX];
    if (sp_dec_atom(&c->dec, how) != 0 || sp_dec_end(&c->dec) != 0)
        return -1;
    int h = sp_name_lookup(shutdown_hows, 3, how);
    if (h < 0)
        return -1;
    int rc = shutdown(c->sock->fd, h);
    if (rc == 0)
        sp_state_shutdown(c->sock, h);
    reply_status(d, c, rc);
    return 0;
}

static int reply_name(struct sp_daemon *d, struct sp_cmd *c,
                      int (*get)(int, struct sockaddr *, socklen_t *))
{
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    if (sp_inet_send_err(c->sock)) { /* as inet's once exit_on_close acted */
        sp_reply_errno(d, c->pid, c->ref, EINVAL);
        return 0;
    }
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (get(c->sock->fd, (struct sockaddr *)&ss, &len) != 0) {
        sp_reply_errno(d, c->pid, c->ref, errno);
        return 0;
    }
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, c->pid, c->ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "ok");
    sp_addr_encode(&e, (struct sockaddr *)&ss, len);
    sp_emit(d, &e, NULL, 0);
    return 0;
}

int sp_cmd_sockname(struct sp_daemon *d, struct sp_cmd *c)
{
    return reply_name(d, c, getsockname);
}

int sp_cmd_peername(struct sp_daemon *d, struct sp_cmd *c)
{
    return reply_name(d, c, getpeername);
}

static const struct sp_name cancel_kinds[] = {
    {"accept", SP_Q_ACCEPT}, {"connect", SP_Q_CONNECT}, {"send", SP_Q_WRITE},
    {"recv", SP_Q_READ}};

int sp_cmd_cancel(struct sp_daemon *d, struct sp_cmd *c)
{
    char kind[SP_ATOM_MAX];
    struct sp_raw handle;
    if (sp_dec_atom(&c->dec, kind) != 0 || sp_dec_raw(&c->dec, &handle) != 0 ||
        sp_dec_end(&c->dec) != 0)
        return -1;
    int q = sp_name_lookup(cancel_kinds, 4, kind);
    if (q < 0)
        return -1;
    if (sp_queue_cancel(d, c->sock, (enum sp_queue)q, c->pid, handle) == 0) {
        if (q == SP_Q_CONNECT) /* as OTP: a later connect tries again */
            c->sock->connecting = false;
        sp_reply_ok(d, c->pid, c->ref);
    }
    else
        sp_reply_atom_error(d, c->pid, c->ref, "invalid");
    return 0;
}

int sp_cmd_monitor(struct sp_daemon *d, struct sp_cmd *c)
{
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    /* Not on a socket row: a socket that never existed is nosock (the
     * seed's 'DOWN' reason), one that is gone is closed. */
    c->sock = sp_sock_find(d, c->id);
    if (!c->sock) {
        bool never = c->id == 0 || c->id > d->socks.next_id;
        sp_reply_atom_error(d, c->pid, c->ref, never ? "nosock" : "closed");
        return 0;
    }
    c->sock->monitored = true;
    sp_reply_ok(d, c->pid, c->ref);
    return 0;
}

static void pid_down_one(struct sp_daemon *d, struct sp_sock *s, void *arg)
{
    struct sp_pid *p = arg;
    if (s->owner == p)
        sp_sock_close(d, s);
    else
        sp_queue_drop_pid(d, s, p);
}

int sp_cmd_pid_down(struct sp_daemon *d, struct sp_cmd *c)
{
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    struct sp_pid *p = sp_pid_find(d, c->pid);
    if (!p)
        return 0; /* nothing of it left */
    /* Hold it while its sockets and calls go, and send no unwatch: the
     * router already forgot it. */
    p->down = true;
    sp_pid_ref(d, p);
    sp_sock_each(d, pid_down_one, p);
    sp_pid_unref(d, p);
    return 0;
}
