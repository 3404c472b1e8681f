/* getopt and setopt: level otp (the daemon's own per-socket settings and
 * the owner), the socket's identity (type, domain, protocol), and every
 * row of the option table in proto/ for the OS levels. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include <ei.h>

#include "daemon.h"
#include "sp_tables.h"

static void begin_ok(struct sp_enc *e, char *buf, size_t cap,
                     const struct sp_cmd *c)
{
    sp_enc_init(e, buf, cap);
    sp_route_reply(e, c->pid, c->ref);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "ok");
}

/* {error, {invalid, {socket_option, {Level, Opt}}}} */
static void reply_unknown(struct sp_daemon *d, const struct sp_cmd *c,
                          const char *level, const char *opt)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, c->pid, c->ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "error");
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "invalid");
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "socket_option");
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, level);
    sp_enc_atom(&e, opt);
    sp_emit(d, &e, NULL, 0);
}

static int get_identity(struct sp_daemon *d, const struct sp_cmd *c,
                        const char *opt)
{
    const struct sp_sock *s = c->sock;
    const char *name = NULL;
    int value = 0;
    if (strcmp(opt, "type") == 0) {
        value = s->type;
        name = sp_name_of(sp_types, sp_types_n, value);
    } else if (strcmp(opt, "domain") == 0) {
        value = s->domain;
        name = sp_name_of(sp_domains, sp_domains_n, value);
    } else if (strcmp(opt, "protocol") == 0) {
        int p = 0;
        socklen_t len = sizeof p;
        value = getsockopt(s->fd, SOL_SOCKET, SO_PROTOCOL, &p, &len) == 0
                    ? p
                    : s->protocol;
        /* 0 names no protocol: OTP says `default`, not the first 0 row. */
        name = value == 0 ? "default"
                          : sp_name_of(sp_protocols, sp_protocols_n, value);
    } else {
        return -1;
    }
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    begin_ok(&e, buf, sizeof buf, c);
    if (name)
        sp_enc_atom(&e, name);
    else
        sp_enc_long(&e, value);
    sp_emit(d, &e, NULL, 0);
    return 0;
}

int sp_cmd_getopt(struct sp_daemon *d, struct sp_cmd *c)
{
    char level[SP_ATOM_MAX], opt[SP_ATOM_MAX];
    if (sp_dec_atom(&c->dec, level) != 0 || sp_dec_atom(&c->dec, opt) != 0 ||
        sp_dec_end(&c->dec) != 0)
        return -1;
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    if (strcmp(level, "otp") == 0) {
        begin_ok(&e, buf, sizeof buf, c);
        if (strcmp(opt, "controlling_process") == 0)
            sp_enc_raw(&e, sp_pid_raw(c->sock->owner));
        else if (strcmp(opt, "rcvbuf") == 0)
            sp_enc_u64(&e, c->sock->rcvbuf);
        else if (strcmp(opt, "fd") == 0)
            sp_enc_long(&e, c->sock->fd);
        else if (strcmp(opt, "domain") == 0)
            return get_identity(d, c, "domain");
        else {
            reply_unknown(d, c, level, opt);
            return 0;
        }
        sp_emit(d, &e, NULL, 0);
        return 0;
    }
    if (strcmp(level, "socket") == 0 && get_identity(d, c, opt) == 0)
        return 0;
    const struct sp_option *o = sp_option_find(level, opt);
    if (!o || !(o->access & SP_OPT_GET)) {
        reply_unknown(d, c, level, opt);
        return 0;
    }
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(c->sock->fd, o->c_level, o->c_name, &v, &len) != 0) {
        sp_reply_errno(d, c->pid, c->ref, errno);
        return 0;
    }
    begin_ok(&e, buf, sizeof buf, c);
    if (o->type == SP_OPT_BOOL)
        sp_enc_atom(&e, v ? "true" : "false");
    else
        sp_enc_long(&e, v);
    sp_emit(d, &e, NULL, 0);
    return 0;
}

static int set_owner(struct sp_daemon *d, struct sp_cmd *c)
{
    struct sp_raw pid;
    int t = sp_dec_peek_type(&c->dec);
    if ((t != ERL_PID_EXT && t != ERL_NEW_PID_EXT) ||
        sp_dec_raw(&c->dec, &pid) != 0 || pid.len > SP_RAW_MAX ||
        sp_dec_end(&c->dec) != 0)
        return -1;
    if (!sp_pid_is(c->sock->owner, c->pid)) {
        sp_reply_atom_error(d, c->pid, c->ref, "not_owner");
        return 0;
    }
    struct sp_pid *p = sp_pid_get(d, pid);
    if (!p) {
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return 0;
    }
    sp_sock_set_owner(d, c->sock, p);
    sp_pid_unref(d, p);
    sp_reply_ok(d, c->pid, c->ref);
    return 0;
}

int sp_cmd_setopt(struct sp_daemon *d, struct sp_cmd *c)
{
    char level[SP_ATOM_MAX], opt[SP_ATOM_MAX];
    if (sp_dec_atom(&c->dec, level) != 0 || sp_dec_atom(&c->dec, opt) != 0)
        return -1;
    if (strcmp(level, "otp") == 0) {
        if (strcmp(opt, "controlling_process") == 0)
            return set_owner(d, c);
        if (strcmp(opt, "rcvbuf") == 0) {
            long n;
            if (sp_dec_range(&c->dec, 1, 0x7fffffffL, &n) != 0 ||
                sp_dec_end(&c->dec) != 0)
                return -1;
            c->sock->rcvbuf = (size_t)n;
            sp_reply_ok(d, c->pid, c->ref);
            return 0;
        }
        reply_unknown(d, c, level, opt);
        return 0;
    }
    const struct sp_option *o = sp_option_find(level, opt);
    if (!o || !(o->access & SP_OPT_SET)) {
        reply_unknown(d, c, level, opt);
        return 0;
    }
    int v;
    if (o->type == SP_OPT_BOOL) {
        char a[SP_ATOM_MAX];
        if (sp_dec_atom(&c->dec, a) != 0)
            return -1;
        if (strcmp(a, "true") == 0)
            v = 1;
        else if (strcmp(a, "false") == 0)
            v = 0;
        else
            return -1;
    } else {
        long n;
        if (sp_dec_range(&c->dec, -0x7fffffffL - 1, 0x7fffffffL, &n) != 0)
            return -1;
        v = (int)n;
    }
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    if (setsockopt(c->sock->fd, o->c_level, o->c_name, &v, sizeof v) == 0)
        sp_reply_ok(d, c->pid, c->ref);
    else
        sp_reply_errno(d, c->pid, c->ref, errno);
    return 0;
}
