/* sendfile: bytes of a file that the VM has open go to a socket with the
 * kernel's sendfile(2), never through the VM or a buffer of ours. The VM
 * names its file by its OS pid, the descriptor number and the file's
 * device and inode; the daemon opens /proc/<pid>/fd/<n> read-only for the
 * call (as OTP's NIF dups the descriptor) and checks that it is that file.
 * The call waits in the writers' queue like send, in every mode, and is
 * answered with the results OTP 25's socket.erl builds around its NIF
 * (PROTOCOL.md, SENDFILE): a call that waits holds the open file, so its
 * continuation (`cont`) goes on from where the caller says. Nothing is
 * kept between calls but that file of a call in progress. As OTP's NIF,
 * a sendfile that fails takes the writers waiting behind it along, with
 * its reason. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ei.h>

#include "daemon.h"
#include "sp_tables.h"

/* Bytes asked of one sendfile(2), as OTP's NIF asks (so that a datagram
 * socket says emsgsize for "to the end" as it does). */
#define SF_CHUNK ((size_t)0x20000000)
/* Bytes one attempt sends before it lets other sockets run; the call then
 * goes on as if the socket had been full. */
#define SF_BUDGET ((uint64_t)16 * 1024 * 1024)

struct sp_sfile {
    int fd;            /* the file, opened here; -1 before and after */
    /* the caller's file, for a call that starts */
    long ospid, vmfd;
    uint64_t dev, ino; /* as the VM's file_info has them (32 bits) */
    char *error;       /* {error, Reason} found by the VM: Reason's ETF */
    int error_len;
    char error_atom[SP_ATOM_MAX]; /* Reason, if an atom; else "" */
    /* the transfer */
    off_t offset;      /* the next byte of the file */
    uint64_t left;     /* bytes still to send, unless to_end */
    bool to_end;       /* Count 0: until the end of the file */
    bool cont;         /* continues an earlier call (its file is ours) */
    bool nowait;
    unsigned rounds;   /* attempts of this call that ended waiting */
    uint64_t sent;     /* bytes those attempts sent */
    uint64_t last;     /* bytes the latest attempt sent */
};

void sp_sfile_free(struct sp_sfile *sf)
{
    if (!sf)
        return;
    if (sf->fd >= 0)
        close(sf->fd);
    free(sf->error);
    free(sf);
}

/* ---- replies ------------------------------------------------------------ */

enum sf_reply { SF_OK, SF_SELECT, SF_SELECT_N, SF_ERROR, SF_ERROR_N };

static void reply(struct sp_daemon *d, const struct sp_op *op, enum sf_reply r,
                  const char *reason, uint64_t n)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    if (r == SF_SELECT || r == SF_SELECT_N)
        sp_route_armed(&e, op);
    else
        sp_route_reply(&e, op->pidraw, op->ref);
    switch (r) {
    case SF_OK:
        sp_enc_tuple(&e, 2);
        sp_enc_atom(&e, "ok");
        sp_enc_u64(&e, n);
        break;
    case SF_SELECT:
        sp_enc_atom(&e, "select");
        break;
    case SF_SELECT_N:
        sp_enc_tuple(&e, 2);
        sp_enc_atom(&e, "select");
        sp_enc_u64(&e, n);
        break;
    case SF_ERROR:
    case SF_ERROR_N:
        sp_enc_tuple(&e, r == SF_ERROR ? 2 : 3);
        sp_enc_atom(&e, "error");
        sp_enc_atom(&e, reason);
        if (r == SF_ERROR_N)
            sp_enc_u64(&e, n);
        break;
    }
    sp_emit(d, &e, NULL, 0);
}

/* The {error, Reason} the VM sent for a file it could not name. */
static void reply_vm_error(struct sp_daemon *d, const struct sp_op *op)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, op->pidraw, op->ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "error");
    sp_enc_raw(&e, (struct sp_raw){op->sf->error, op->sf->error_len});
    sp_emit(d, &e, NULL, 0);
}

/* An attempt failed with `reason`. As socket.erl: the first attempt of a
 * call that starts says only the reason, later ones (and continuations)
 * add what the attempts before this one sent; a nowait call never does. */
static void reply_failed(struct sp_daemon *d, const struct sp_op *op,
                         const char *reason)
{
    const struct sp_sfile *sf = op->sf;
    if (sf->nowait || (!sf->cont && sf->rounds == 0))
        reply(d, op, SF_ERROR, reason, 0);
    else
        reply(d, op, SF_ERROR_N, reason, sf->sent);
}

/* ---- the caller's file --------------------------------------------------- */

/* The access mode the VM opened its descriptor with (fdinfo's flags), or
 * -errno. */
static int vm_access_mode(const struct sp_sfile *sf)
{
    char path[64], text[512];
    snprintf(path, sizeof path, "/proc/%ld/fdinfo/%ld", sf->ospid, sf->vmfd);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, text, sizeof text - 1);
    int err = errno;
    close(fd);
    if (n < 0)
        return -err;
    text[n] = '\0';
    const char *f = strstr(text, "flags:");
    unsigned long flags;
    if (!f || sscanf(f + 6, "%lo", &flags) != 1)
        return -EBADF;
    return (int)(flags & O_ACCMODE);
}

/* Why the daemon cannot reach the caller's file, as the reply says it:
 * eperm when the kernel does not let this daemon into the VM's
 * descriptors (another user, no ptrace access), ebadf when the VM has no
 * such descriptor or it is another file (the daemon sees another /proc). */
static int unreachable(int err)
{
    switch (err) {
    case EACCES:
    case EPERM:
        return EPERM;
    case ENOENT:
    case ESRCH:
    case ENOTDIR:
        return EBADF;
    default:
        return err;
    }
}

/* Opens the caller's file for this call; 0 or an errno. */
static int open_file(struct sp_sfile *sf)
{
    int mode = vm_access_mode(sf);
    if (mode < 0)
        return unreachable(-mode);
    if (mode == O_WRONLY) /* not readable: what sendfile(2) says of it */
        return EBADF;
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/fd/%ld", sf->ospid, sf->vmfd);
    /* O_NONBLOCK: a FIFO must not stop the daemon in open() */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return unreachable(errno);
    struct stat st;
    if (fstat(fd, &st) != 0 || (uint32_t)st.st_dev != sf->dev ||
        (uint32_t)st.st_ino != sf->ino) {
        close(fd);
        return EBADF;
    }
    sf->fd = fd;
    return 0;
}

/* ---- the operation ------------------------------------------------------- */

/* One attempt: sendfile(2) until the count is sent, the socket is full
 * or the budget is spent. Counted as counters.h says. A failure takes
 * the writers waiting behind it along, as OTP's NIF fails them. */
enum sp_res sp_sendfile_attempt(struct sp_daemon *d, struct sp_op *op)
{
    struct sp_sfile *sf = op->sf;
    struct sp_sock *s = op->sock;
    if (sf->fd < 0) { /* the call starts: its turn has come */
        if (sf->error) {
            sp_cnt_sendfile_fail(d, s);
            reply_vm_error(d, op);
            if (sf->error_atom[0])
                sp_queue_fail_others(d, op, sf->error_atom);
            return SP_DONE;
        }
        int err = open_file(sf);
        if (err) {
            sp_cnt_sendfile_fail(d, s);
            reply(d, op, SF_ERROR, sp_errno_name(err), 0);
            sp_queue_fail_others(d, op, sp_errno_name(err));
            return SP_DONE;
        }
        sp_cnt_sendfile_try(d, s);
    }
    uint64_t n = 0;
    for (;;) {
        size_t chunk = SF_CHUNK;
        if (!sf->to_end && sf->left < chunk)
            chunk = (size_t)sf->left;
        off_t at = sf->offset;
        /* no MSG_NOSIGNAL here: main() ignores SIGPIPE */
        ssize_t r = sendfile(s->fd, sf->fd, &sf->offset, chunk);
        int err = r < 0 ? errno : 0;
        uint64_t moved = (uint64_t)(sf->offset - at);
        n += moved;
        sp_cnt_sendfile_call(d, s, moved, n);
        if (r < 0) {
            if (err == EINTR)
                continue;
            if (err == EAGAIN || err == EWOULDBLOCK)
                break;
            sp_cnt_sendfile_fail(d, s);
            reply_failed(d, op, sp_errno_name(err));
            sp_queue_fail_others(d, op, sp_errno_name(err));
            return SP_DONE;
        }
        if (moved == 0 || (!sf->to_end && (sf->left -= moved) == 0)) {
            /* the end of the file, or of the range */
            sp_cnt_sendfile_done(d, s);
            reply(d, op, SF_OK, NULL, sf->sent + n);
            return SP_DONE;
        }
        if (n >= SF_BUDGET)
            break;
    }
    sp_cnt_sendfile_wait(d, s);
    sf->last = n;
    sf->sent += n;
    sf->rounds++;
    return SP_AGAIN;
}

/* A waiting call timed out or its socket closed. */
void sp_sendfile_fail(struct sp_daemon *d, struct sp_op *op,
                      const char *reason)
{
    if (op->sf->fd < 0) /* still in line: nothing was sent */
        reply(d, op, SF_ERROR, reason, 0);
    else
        reply(d, op, SF_ERROR_N, reason, op->sf->sent);
}

void sp_sendfile_armed(struct sp_daemon *d, struct sp_op *op)
{
    if (op->sf->fd < 0) /* in line behind another writer */
        reply(d, op, SF_SELECT, NULL, 0);
    else
        reply(d, op, SF_SELECT_N, NULL, op->sf->last);
}

/* ---- the command ----------------------------------------------------------- */

/* The caller's own sendfile that holds the writers' queue with its file
 * open (a nowait call that waits for its continuation), or NULL. */
static struct sp_op *own_open_sendfile(const struct sp_cmd *c)
{
    struct sp_op *h = TAILQ_FIRST(&c->sock->q[SP_Q_WRITE]);
    if (h && h->kind == SP_K_SENDFILE && h->armed && h->sf->fd >= 0 &&
        h->pidraw.len == c->pid.len &&
        memcmp(h->pidraw.p, c->pid.p, (size_t)c->pid.len) == 0)
        return h;
    return NULL;
}

/* File: cont | {error, Reason} | {OsPid, Fd, Dev, Ino}. */
static int dec_file(struct sp_dec *dec, struct sp_sfile *sf)
{
    if (sp_dec_take_atom(dec, "cont")) {
        sf->cont = true;
        return 0;
    }
    struct sp_dec save = *dec;
    int arity;
    if (sp_dec_tuple(dec, &arity) != 0)
        return -1;
    if (arity == 2) {
        struct sp_raw r;
        if (!sp_dec_take_atom(dec, "error") ||
            sp_dec_raw(dec, &r) != 0 || r.len > SP_RAW_MAX ||
            !(sf->error = malloc((size_t)r.len))) {
            *dec = save;
            return -1;
        }
        memcpy(sf->error, r.p, (size_t)r.len);
        sf->error_len = r.len;
        struct sp_dec rd;
        sp_dec_init(&rd, r.p, (size_t)r.len);
        if (sp_dec_atom(&rd, sf->error_atom) != 0)
            sf->error_atom[0] = '\0';
        return 0;
    }
    long pid, fd;
    if (arity != 4 || sp_dec_range(dec, 1, 0x7fffffffL, &pid) != 0 ||
        sp_dec_range(dec, 0, 0x7fffffffL, &fd) != 0 ||
        sp_dec_u64(dec, &sf->dev) != 0 || sp_dec_u64(dec, &sf->ino) != 0) {
        *dec = save;
        return -1;
    }
    sf->ospid = pid;
    sf->vmfd = fd;
    return 0;
}

int sp_cmd_sendfile(struct sp_daemon *d, struct sp_cmd *c)
{
    struct sp_sfile *sf = calloc(1, sizeof *sf);
    if (!sf) {
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return 0;
    }
    sf->fd = -1;
    long offset;
    uint64_t count;
    struct sp_mode mode;
    if (dec_file(&c->dec, sf) != 0 ||
        sp_dec_range(&c->dec, INT64_MIN, INT64_MAX, &offset) != 0 ||
        sp_dec_u64(&c->dec, &count) != 0 ||
        sp_dec_mode(&c->dec, &mode) != 0 || sp_dec_end(&c->dec) != 0) {
        sp_sfile_free(sf);
        return -1;
    }
    sf->offset = (off_t)offset;
    sf->left = count;
    sf->to_end = count == 0;
    sf->nowait = mode.kind == SP_WAIT_NOWAIT;
    struct sp_op *mine = own_open_sendfile(c);
    if (c->sock->connecting) {
        /* connect and write share the socket's write readiness */
        sp_reply_invalid_state(d, c->pid, c->ref, false);
    } else if (sf->cont && !mine) {
        /* no sendfile of the caller to continue: OTP's NIF raises */
        sp_reply_invalid_state(d, c->pid, c->ref, true);
    } else if (!sf->cont && mine) {
        /* the caller's earlier call still holds its file */
        sp_reply_invalid_state(d, c->pid, c->ref, false);
    } else {
        struct sp_op *op = sp_op_begin(d, c, SP_K_SENDFILE, &mode);
        if (op) {
            op->sf = sf;
            if (sf->cont) { /* take over the file; mine is replaced */
                sf->fd = mine->sf->fd;
                mine->sf->fd = -1;
            }
            sp_op_submit(d, op, &mode);
            return 0;
        }
    }
    sp_sfile_free(sf);
    return 0;
}
