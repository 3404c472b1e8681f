/* Opening sockets beyond a plain socket(2): OPEN's options (`netns': the
 * socket is created in the network namespace of a file, and the daemon
 * goes back to its own, as OTP does), and OPEN_FD, which makes a socket of
 * a descriptor the daemon already has (another socket's, or one received
 * in a message).
 *
 * OPEN_FD adopts sockets only. The daemon's own descriptors (stdio, and
 * the handle on its network namespace) answer as a descriptor that is not
 * open would; any other descriptor that is not a socket answers enotsock.
 * With dup (the default) the new socket gets a duplicate; without it the
 * new socket takes the descriptor itself and closes it when it is closed:
 * a sockport socket that had it is closed (its waiters get `closed'), but
 * its descriptor stays open for the new one. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ei.h>

#include "daemon.h"

struct open_opts {
    bool debug;
    const char *netns; /* the path's bytes in the frame, or NULL */
    size_t netns_len;
};

/* [{Key, Value}]: what is not such a pair, and keys the daemon does not
 * act on, are skipped (the VM validates options); a netns that is not a
 * binary is ignored, as the NIF ignores it. Only a term that does not
 * decode is malformed (-1). */
static int dec_open_opts(struct sp_raw raw, struct open_opts *o)
{
    struct sp_dec dec;
    int n;
    memset(o, 0, sizeof *o);
    sp_dec_init(&dec, raw.p, (size_t)raw.len);
    if (sp_dec_list(&dec, &n) != 0)
        return 0;
    for (int i = 0; i < n; i++) {
        struct sp_dec pair = dec;
        char key[SP_ATOM_MAX];
        if (sp_dec_tuple_n(&pair, 2) != 0 || sp_dec_atom(&pair, key) != 0) {
            if (sp_dec_skip(&dec) != 0)
                return -1;
            continue;
        }
        dec = pair;
        if (strcmp(key, "debug") == 0 && sp_dec_bool(&dec, &o->debug) == 0)
            continue;
        if (strcmp(key, "netns") == 0 &&
            sp_dec_peek_type(&dec) == ERL_BINARY_EXT) {
            if (sp_dec_binary(&dec, &o->netns, &o->netns_len, 65536) != 0)
                return -1;
            continue;
        }
        if (sp_dec_skip(&dec) != 0)
            return -1;
    }
    return 0;
}

/* ---- network namespaces ------------------------------------------------- */

/* Enters the namespace of the file at path, holding a descriptor of our
 * own namespace for the way back. 0 or an errno. */
static int netns_enter(struct sp_daemon *d, const char *p, size_t len)
{
    char path[PATH_MAX];
    size_t n = len > 0 ? strnlen(p, len) : 0; /* a C string, as OTP's */
    if (n >= sizeof path)
        return ENAMETOOLONG;
    memcpy(path, p, n);
    path[n] = '\0';
    if (!d->netns_open) {
        int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        if (self < 0)
            return errno;
        d->netns_fd = self;
        d->netns_open = true;
    }
    int ns = open(path, O_RDONLY | O_CLOEXEC);
    if (ns < 0)
        return errno;
    int rc = setns(ns, CLONE_NEWNET);
    int err = errno;
    close(ns);
    return rc == 0 ? 0 : err;
}

static int netns_leave(struct sp_daemon *d)
{
    if (setns(d->netns_fd, CLONE_NEWNET) == 0)
        return 0;
    int err = errno;
    sp_log(d, "error", "cannot go back to the daemon's network namespace: %s",
           strerror(err));
    return err;
}

void sp_netns_close(struct sp_daemon *d)
{
    if (d->netns_open)
        close(d->netns_fd);
    d->netns_open = false;
}

int sp_open_socket(struct sp_daemon *d, struct sp_raw opts, int domain,
                   int type, int protocol, int *fd, bool *debug)
{
    struct open_opts o;
    if (dec_open_opts(opts, &o) != 0)
        return -1;
    *debug = o.debug;
    if (o.netns) {
        int err = netns_enter(d, o.netns, o.netns_len);
        if (err)
            return err;
    }
    int s = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    int err = s < 0 ? errno : 0;
    if (o.netns) {
        int back = netns_leave(d);
        if (back && s >= 0) {
            close(s);
            return back;
        }
    }
    if (s < 0)
        return err;
    *fd = s;
    return 0;
}

/* ---- OPEN_FD ------------------------------------------------------------- */

/* A domain or type option: an integer, `undefined' (not given) or
 * `invalid' (given, but not one the NIF takes). */
static int dec_opt_int(struct sp_dec *dec, bool *given, int *v)
{
    *given = false;
    if (sp_dec_take_atom(dec, "undefined") || sp_dec_take_atom(dec, "invalid"))
        return 0;
    long l;
    if (sp_dec_range(dec, -0x7fffffffL - 1, 0x7fffffffL, &l) != 0)
        return -1;
    *given = true;
    *v = (int)l;
    return 0;
}

static bool own_fd(const struct sp_daemon *d, int fd)
{
    return fd <= STDERR_FILENO || (d->netns_open && fd == d->netns_fd);
}

static bool is_socket(int fd)
{
    struct stat st;
    return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
}

static bool sockopt_int(int fd, int opt, int *v)
{
    socklen_t len = sizeof *v;
    return getsockopt(fd, SOL_SOCKET, opt, v, &len) == 0;
}

/* {error, {invalid, domain | type}}: the VM adds the options. */
static void reply_invalid_opt(struct sp_daemon *d, struct sp_cmd *c,
                              const char *what)
{
    sp_reply_tag_invalid(d, c->pid, c->ref, "error", what);
}

struct fd_owner {
    int fd;
    struct sp_sock *sock;
};

static void find_fd(struct sp_daemon *d, struct sp_sock *s, void *arg)
{
    (void)d;
    struct fd_owner *o = arg;
    if (s->fd == o->fd)
        o->sock = s;
}

int sp_cmd_open_fd(struct sp_daemon *d, struct sp_cmd *c)
{
    long fd;
    bool want_dup, has_domain, has_type, has_protocol;
    int domain = 0, type = 0, protocol = 0;
    struct sp_raw opts;
    if (sp_dec_range(&c->dec, -0x7fffffffL - 1, 0x7fffffffL, &fd) != 0 ||
        sp_dec_bool(&c->dec, &want_dup) != 0 ||
        dec_opt_int(&c->dec, &has_domain, &domain) != 0 ||
        dec_opt_int(&c->dec, &has_type, &type) != 0 ||
        dec_opt_int(&c->dec, &has_protocol, &protocol) != 0 ||
        sp_dec_raw(&c->dec, &opts) != 0 || sp_dec_end(&c->dec) != 0)
        return -1;
    struct open_opts o;
    if (dec_open_opts(opts, &o) != 0)
        return -1;
    if (!sp_sock_room(d)) {
        sp_limit_hit(d, SP_LIMIT_SOCKETS);
        sp_reply_errno(d, c->pid, c->ref, EMFILE);
        return 0;
    }

    /* As the NIF: the system's word first, the options' if it has none. */
    bool adoptable = fd >= 0 && !own_fd(d, (int)fd) && is_socket((int)fd);
    int v;
    if (adoptable && sockopt_int((int)fd, SO_DOMAIN, &v))
        domain = v;
    else if (!has_domain) {
        reply_invalid_opt(d, c, "domain");
        return 0;
    }
    if (adoptable && sockopt_int((int)fd, SO_TYPE, &v))
        type = v;
    else if (!has_type) {
        reply_invalid_opt(d, c, "type");
        return 0;
    }
    if (adoptable && sockopt_int((int)fd, SO_PROTOCOL, &v))
        protocol = v;
    else if (!has_protocol)
        protocol = 0;
    if (!adoptable) {
        bool open_fd = fd >= 0 && fcntl((int)fd, F_GETFD) >= 0;
        sp_reply_errno(d, c->pid, c->ref,
                       open_fd && !own_fd(d, (int)fd) ? ENOTSOCK : EBADF);
        return 0;
    }

    int nfd = (int)fd;
    if (want_dup) {
        nfd = fcntl((int)fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
        if (nfd < 0) {
            sp_reply_errno(d, c->pid, c->ref, errno);
            return 0;
        }
    } else {
        /* The new socket takes the descriptor: whoever had it lets go
         * (a socket it belongs to, or one holding it as received). */
        (void)sp_rights_take(d, (int)fd);
        struct fd_owner owner = {(int)fd, NULL};
        sp_sock_each(d, find_fd, &owner);
        if (owner.sock) {
            owner.sock->fd = -1;
            sp_sock_close(d, owner.sock);
        }
        (void)fcntl(nfd, F_SETFD, FD_CLOEXEC);
    }
    int fl = fcntl(nfd, F_GETFL);
    if (fl < 0 || fcntl(nfd, F_SETFL, fl | O_NONBLOCK) != 0) {
        int err = errno;
        close(nfd);
        sp_reply_errno(d, c->pid, c->ref, err);
        return 0;
    }
    struct sp_pid *owner = sp_pid_get(d, c->pid);
    struct sp_sock *s =
        owner ? sp_sock_add(d, nfd, domain, type, protocol, owner) : NULL;
    if (owner)
        sp_pid_unref(d, owner);
    if (!s) {
        close(nfd);
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return 0;
    }
    int listening = 0;
    s->listening = sockopt_int(nfd, SO_ACCEPTCONN, &listening) && listening;
    s->debug = o.debug;
    s->cnt.ctype = want_dup ? SP_CTYPE_FROMFD_N : SP_CTYPE_FROMFD;
    s->cnt.fromfd = (int)fd;
    sp_reply_ok_id(d, c->pid, c->ref, s->id);
    return 0;
}
