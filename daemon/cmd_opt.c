/* getopt and setopt: level otp (the daemon's own per-socket settings and
 * the owner), every row of the option table in proto/ for the OS levels
 * (values through the codec of the row's type, optval.c), and the native
 * forms (integer level and option, value given as a spec). The VM has
 * already refused malformed and unknown options; it sends the atom
 * `invalid` as the value it found invalid, so that a closed socket still
 * answers `closed` first, as OTP's NIF does. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <ei.h>

#include "daemon.h"
#include "sp_cmsg.h"
#include "sp_tables.h"

#define NATIVE_MAX 2048 /* bytes a native getopt reads at most */

static void begin_ok(struct sp_enc *e, char *buf, size_t cap,
                     const struct sp_cmd *c)
{
    sp_enc_init(e, buf, cap);
    sp_route_reply(e, c->pid, c->ref);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "ok");
}

/* {error, {invalid, What}}: What is socket_option (the option is not
 * there, or not for this direction) or value; the VM adds the option. */
static int reply_invalid(struct sp_daemon *d, const struct sp_cmd *c,
                         const char *what)
{
    sp_reply_tag_invalid(d, c->pid, c->ref, "error", what);
    return 0;
}

static int dec_bool(struct sp_dec *dec, bool *v)
{
    char a[SP_ATOM_MAX];
    if (sp_dec_atom(dec, a) != 0)
        return -1;
    if (strcmp(a, "true") == 0)
        *v = true;
    else if (strcmp(a, "false") == 0)
        *v = false;
    else
        return -1;
    return 0;
}

/* ---- level otp ----------------------------------------------------------- */

static void get_debug(struct sp_enc *e, struct sp_sock *s)
{
    sp_enc_atom(e, s->debug ? "true" : "false");
}

static void get_iow(struct sp_enc *e, struct sp_sock *s)
{
    sp_enc_atom(e, s->iow ? "true" : "false");
}

static void get_owner(struct sp_enc *e, struct sp_sock *s)
{
    sp_enc_raw(e, sp_pid_raw(s->owner));
}

static void get_rcvbuf(struct sp_enc *e, struct sp_sock *s)
{
    sp_enc_tuple(e, 2);
    sp_enc_long(e, s->rcvbuf_n);
    sp_enc_u64(e, s->rcvbuf);
}

static void get_rcvctrlbuf(struct sp_enc *e, struct sp_sock *s)
{
    sp_enc_u64(e, s->rcvctrlbuf);
}

static void get_sndctrlbuf(struct sp_enc *e, struct sp_sock *s)
{
    sp_enc_u64(e, s->sndctrlbuf);
}

static void get_fd(struct sp_enc *e, struct sp_sock *s)
{
    sp_enc_long(e, s->fd);
}

static void get_meta(struct sp_enc *e, struct sp_sock *s)
{
    if (s->meta)
        sp_enc_raw(e, (struct sp_raw){s->meta, s->meta_len});
    else
        sp_enc_atom(e, "undefined");
}

static void get_use_registry(struct sp_enc *e, struct sp_sock *s)
{
    sp_enc_atom(e, s->use_registry ? "true" : "false");
}

static void get_domain(struct sp_enc *e, struct sp_sock *s)
{
    const char *name = sp_name_of(sp_domains, sp_domains_n, s->domain);
    if (name)
        sp_enc_atom(e, name);
    else
        sp_enc_long(e, s->domain);
}

/* The set handlers return -1 on a malformed command, 1 on an invalid
 * value, 0 when done (the reply is ok unless they answered themselves). */
static int set_debug(struct sp_daemon *d, struct sp_cmd *c)
{
    (void)d;
    return dec_bool(&c->dec, &c->sock->debug) == 0 ? 0 : 1;
}

static int set_iow(struct sp_daemon *d, struct sp_cmd *c)
{
    (void)d;
    return dec_bool(&c->dec, &c->sock->iow) == 0 ? 0 : 1;
}

static int set_owner(struct sp_daemon *d, struct sp_cmd *c)
{
    struct sp_raw pid;
    int t = sp_dec_peek_type(&c->dec);
    if (t != ERL_PID_EXT && t != ERL_NEW_PID_EXT)
        return 1;
    if (sp_dec_raw(&c->dec, &pid) != 0 || pid.len > SP_RAW_MAX ||
        sp_dec_end(&c->dec) != 0)
        return -1;
    if (!sp_pid_is(c->sock->owner, c->pid)) {
        sp_reply_atom_error(d, c->pid, c->ref, "not_owner");
        return 2;
    }
    struct sp_pid *p = sp_pid_get(d, pid);
    if (!p) {
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return 2;
    }
    sp_sock_set_owner(d, c->sock, p);
    sp_pid_unref(d, p);
    return 0;
}

/* {N, Size}; Size 0 is default. */
static int set_rcvbuf(struct sp_daemon *d, struct sp_cmd *c)
{
    long n, size;
    (void)d;
    if (sp_dec_tuple_n(&c->dec, 2) != 0 ||
        sp_dec_range(&c->dec, 1, 0x7fffffffL, &n) != 0 ||
        sp_dec_range(&c->dec, 0, 0x7fffffffL, &size) != 0)
        return 1;
    c->sock->rcvbuf_n = (unsigned)n;
    c->sock->rcvbuf = size == 0 ? SP_RCVBUF_DEFAULT : (size_t)size;
    return 0;
}

static int dec_ctrlbuf(struct sp_dec *dec, size_t *v)
{
    long n;
    if (sp_dec_range(dec, 0, 0x7fffffffL, &n) != 0)
        return 1;
    *v = n == 0 ? SP_CTRLBUF_DEFAULT : (size_t)n;
    return 0;
}

static int set_rcvctrlbuf(struct sp_daemon *d, struct sp_cmd *c)
{
    (void)d;
    return dec_ctrlbuf(&c->dec, &c->sock->rcvctrlbuf);
}

static int set_sndctrlbuf(struct sp_daemon *d, struct sp_cmd *c)
{
    (void)d;
    return dec_ctrlbuf(&c->dec, &c->sock->sndctrlbuf);
}

static int set_meta(struct sp_daemon *d, struct sp_cmd *c)
{
    struct sp_raw raw;
    char *copy;
    (void)d;
    if (sp_dec_raw(&c->dec, &raw) != 0)
        return -1;
    copy = malloc(raw.len > 0 ? (size_t)raw.len : 1);
    if (!copy) {
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return 2;
    }
    memcpy(copy, raw.p, (size_t)raw.len);
    free(c->sock->meta);
    c->sock->meta = copy;
    c->sock->meta_len = raw.len;
    return 0;
}

/* OTP only ever turns the registry on. */
static int set_use_registry(struct sp_daemon *d, struct sp_cmd *c)
{
    bool on;
    (void)d;
    if (dec_bool(&c->dec, &on) != 0 || !on)
        return 1;
    c->sock->use_registry = true;
    return 0;
}

static const struct otp_opt {
    const char *name;
    void (*get)(struct sp_enc *e, struct sp_sock *s);
    int (*set)(struct sp_daemon *d, struct sp_cmd *c);
} otp_opts[] = {
    {"debug", get_debug, set_debug},
    {"iow", get_iow, set_iow},
    {"controlling_process", get_owner, set_owner},
    {"rcvbuf", get_rcvbuf, set_rcvbuf},
    {"rcvctrlbuf", get_rcvctrlbuf, set_rcvctrlbuf},
    {"sndctrlbuf", get_sndctrlbuf, set_sndctrlbuf},
    {"fd", get_fd, NULL},
    {"meta", get_meta, set_meta},
    {"use_registry", get_use_registry, set_use_registry},
    {"domain", get_domain, NULL},
};

static const struct otp_opt *otp_find(const char *name)
{
    for (size_t i = 0; i < sizeof otp_opts / sizeof otp_opts[0]; i++)
        if (strcmp(otp_opts[i].name, name) == 0)
            return &otp_opts[i];
    return NULL;
}

/* ---- GETOPT / SETOPT ----------------------------------------------------- */

/* Domain, type and protocol are fixed for a socket's life and known to
 * the table: no system call for the commonest getopt. The protocol only
 * where the kernel keeps the one the socket was opened with (a packet
 * socket's SO_PROTOCOL is 0, whatever ethertype it was opened for). */
static bool fixed(const struct sp_sock *s, const struct sp_option *o,
                  char *bytes, socklen_t *len)
{
    int v;
    if (o->c_level != SOL_SOCKET || *len < (socklen_t)sizeof v)
        return false;
    if (o->c_name == SO_TYPE)
        v = s->type;
    else if (o->c_name == SO_DOMAIN)
        v = s->domain;
    else if (o->c_name == SO_PROTOCOL && s->protocol != 0 &&
             (s->domain == AF_INET || s->domain == AF_INET6 ||
              s->domain == AF_UNIX))
        v = s->protocol;
    else
        return false;
    memcpy(bytes, &v, sizeof v);
    *len = sizeof v;
    return true;
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
        const struct otp_opt *o = otp_find(opt);
        if (!o)
            return reply_invalid(d, c, "socket_option");
        begin_ok(&e, buf, sizeof buf, c);
        o->get(&e, c->sock);
        sp_emit(d, &e, NULL, 0);
        return 0;
    }
    const struct sp_option *o = sp_option_find(level, opt);
    if (!o || o->c_name == SP_OPT_NONE || !(o->access & SP_OPT_GET))
        return reply_invalid(d, c, "socket_option");
    union {
        char bytes[SP_OPTVAL_MAX];
        long align;
    } v;
    socklen_t len = sp_optval_getsize(o->type, o->size);
    memset(&v, 0, sizeof v);
    if (len == 0 || len > sizeof v.bytes)
        len = sizeof v.bytes;
    if (fixed(c->sock, o, v.bytes, &len)) {
        /* answered from the table */
    } else if (getsockopt(c->sock->fd, o->c_level, o->c_name, v.bytes,
                          &len) != 0) {
        sp_reply_errno(d, c->pid, c->ref, errno);
        return 0;
    }
    /* Control messages decode to much more than their bytes. */
    size_t cap = o->type == SP_OPT_CMSGS
                     ? SP_HDR_BUF + sp_cmsg_encode_bound((size_t)len)
                     : sizeof buf;
    char *big = cap > sizeof buf ? malloc(cap) : NULL;
    if (cap > sizeof buf && !big) {
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return 0;
    }
    begin_ok(&e, big ? big : buf, big ? cap : sizeof buf, c);
    if (o->type == SP_OPT_SOCK_PROTOCOL && c->sock->domain != AF_UNIX &&
        len >= (socklen_t)sizeof(int) && *(int *)v.bytes == 0) {
        /* OTP says `default` for protocol 0 of a local socket only;
         * elsewhere (packet, netlink) it names 0 from the protocol
         * table. */
        sp_enc_atom(&e, "ip");
    } else {
        sp_optval_encode(&e, o->type, v.bytes, len);
    }
    sp_emit(d, &e, NULL, 0);
    free(big);
    return 0;
}

int sp_cmd_setopt(struct sp_daemon *d, struct sp_cmd *c)
{
    char level[SP_ATOM_MAX], opt[SP_ATOM_MAX];
    int rc;
    if (sp_dec_atom(&c->dec, level) != 0 || sp_dec_atom(&c->dec, opt) != 0)
        return -1;
    if (strcmp(level, "otp") == 0) {
        const struct otp_opt *o = otp_find(opt);
        if (!o || !o->set)
            return reply_invalid(d, c, "socket_option");
        rc = o->set(d, c);
        if (rc < 0)
            return -1;
        if (rc == 1)
            return reply_invalid(d, c, "value");
        if (rc == 0)
            sp_reply_ok(d, c->pid, c->ref);
        return 0;
    }
    const struct sp_option *o = sp_option_find(level, opt);
    if (!o || o->c_name == SP_OPT_NONE || !(o->access & SP_OPT_SET))
        return reply_invalid(d, c, "socket_option");
    union {
        char bytes[SP_OPTVAL_MAX];
        long align;
    } v;
    socklen_t len = 0;
    if (sp_dec_is_atom(&c->dec, "invalid") ||
        sp_optval_decode(&c->dec, o->type, v.bytes, sizeof v.bytes, &len) != 0)
        return reply_invalid(d, c, "value");
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    if (setsockopt(c->sock->fd, o->c_level, o->c_name, len ? v.bytes : NULL,
                   len) == 0)
        sp_reply_ok(d, c->pid, c->ref);
    else
        sp_reply_errno(d, c->pid, c->ref, errno);
    return 0;
}

/* ---- native: GETOPT_NATIVE CLevel COpt Spec, SETOPT_NATIVE CLevel COpt V */

static int dec_native_level(struct sp_dec *dec, long *level, long *opt)
{
    if (sp_dec_range(dec, -0x7fffffffL - 1, 0x7fffffffL, level) != 0 ||
        sp_dec_range(dec, -0x7fffffffL - 1, 0x7fffffffL, opt) != 0)
        return -1;
    return 0;
}

int sp_cmd_getopt_native(struct sp_daemon *d, struct sp_cmd *c)
{
    long level, opt, size = 0;
    char spec[SP_ATOM_MAX] = "";
    if (dec_native_level(&c->dec, &level, &opt) != 0)
        return -1;
    if (sp_dec_is_atom(&c->dec, "invalid"))
        return reply_invalid(d, c, "value");
    if (sp_dec_peek_type(&c->dec) == ERL_BINARY_EXT) {
        /* a buffer given as a binary: its size; an empty one reads
         * nothing, as OTP's NIF */
        const char *b;
        size_t blen;
        if (sp_dec_binary(&c->dec, &b, &blen, NATIVE_MAX) != 0 ||
            sp_dec_end(&c->dec) != 0)
            return -1;
        size = blen == 0 ? -2 : (long)blen; /* -2: a zero-length buffer */
    } else if (sp_dec_peek_type(&c->dec) == ERL_ATOM_EXT ||
        sp_dec_peek_type(&c->dec) == ERL_SMALL_ATOM_UTF8_EXT ||
        sp_dec_peek_type(&c->dec) == ERL_ATOM_UTF8_EXT ||
        sp_dec_peek_type(&c->dec) == ERL_SMALL_ATOM_EXT) {
        if (sp_dec_atom(&c->dec, spec) != 0 ||
            (strcmp(spec, "integer") != 0 && strcmp(spec, "boolean") != 0))
            return -1;
    } else if (sp_dec_long(&c->dec, &size) != 0) {
        return -1;
    }
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    if (spec[0] == '\0' && size < 0 && size != -2) {
        sp_reply_errno(d, c->pid, c->ref, EINVAL);
        return 0;
    }
    if (spec[0] == '\0' && size == 0) {
        /* OTP passes no buffer at all */
        sp_reply_errno(d, c->pid, c->ref, EFAULT);
        return 0;
    }
    socklen_t len = spec[0]      ? (socklen_t)sizeof(int)
                    : size == -2 ? 0
                                 : (socklen_t)(size > NATIVE_MAX ? NATIVE_MAX
                                                                 : size);
    char *v = calloc(1, len ? len : 1);
    if (!v) {
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return 0;
    }
    if (getsockopt(c->sock->fd, (int)level, (int)opt, v, &len) != 0) {
        sp_reply_errno(d, c->pid, c->ref, errno);
        free(v);
        return 0;
    }
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    begin_ok(&e, buf, sizeof buf, c);
    if (spec[0]) {
        int i = 0;
        memcpy(&i, v, len < (socklen_t)sizeof i ? (size_t)len : sizeof i);
        if (strcmp(spec, "boolean") == 0)
            sp_enc_atom(&e, i ? "true" : "false");
        else
            sp_enc_long(&e, i);
        sp_emit(d, &e, NULL, 0);
        free(v);
        return 0;
    }
    sp_enc_binary(&e, v, len);
    sp_emit(d, &e, NULL, 0);
    free(v);
    return 0;
}

int sp_cmd_setopt_native(struct sp_daemon *d, struct sp_cmd *c)
{
    long level, opt;
    union {
        char bytes[SP_OPTVAL_MAX];
        long align;
    } v;
    socklen_t len = 0;
    if (dec_native_level(&c->dec, &level, &opt) != 0)
        return -1;
    if (sp_dec_is_atom(&c->dec, "invalid"))
        return reply_invalid(d, c, "value");
    if (sp_dec_peek_type(&c->dec) == ERL_BINARY_EXT) {
        if (sp_optval_decode(&c->dec, SP_OPT_STRING, v.bytes, sizeof v.bytes,
                             &len) != 0)
            return -1;
    } else if (sp_optval_decode(&c->dec, SP_OPT_INT, v.bytes, sizeof v.bytes,
                                &len) != 0) {
        return -1;
    }
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    if (setsockopt(c->sock->fd, (int)level, (int)opt, v.bytes, len) == 0)
        sp_reply_ok(d, c->pid, c->ref);
    else
        sp_reply_errno(d, c->pid, c->ref, errno);
    return 0;
}
