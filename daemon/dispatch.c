/* The command table and the dispatcher: every frame from the VM is
 * decoded here up to its common header {Op, Pid, Ref, Id}, checked
 * against its row (arity, whether it names a socket), and handed to the
 * row's handler with a cursor on its arguments. Bad input is answered,
 * logged, and never fatal. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#ifdef SP_TEST_COMMANDS
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include <ei.h>

#include "daemon.h"
#include "sp_proto.h"

struct sp_cmd_row {
    long op;
    int nargs;      /* arguments after Id */
    bool on_socket; /* Id names an open socket */
    sp_handler exec;
};

#ifdef SP_TEST_COMMANDS
/* Only in the daemon built for the tests (sockportd_test; not protocol
 * opcodes). SP_OP_TEST_FORBIDDEN makes a system call the sandbox forbids,
 * and answers ok if it is still alive. SP_OP_TEST_COUNTER {Index, Value}
 * sets one of a socket's counters, so that a test can see it wrap.
 * SP_OP_TEST_OPEN_DIR opens / as a directory, read-only (the seccomp
 * filter lets it through, Landlock does not), and answers ok or the
 * error. */
#define SP_OP_TEST_FORBIDDEN 250
#define SP_OP_TEST_COUNTER 251
#define SP_OP_TEST_OPEN_DIR 252
static int cmd_test_forbidden(struct sp_daemon *d, struct sp_cmd *c)
{
    syscall(SYS_getppid);
    sp_reply_ok(d, c->pid, c->ref);
    return 0;
}

static int cmd_test_open_dir(struct sp_daemon *d, struct sp_cmd *c)
{
    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        sp_reply_errno(d, c->pid, c->ref, errno);
    } else {
        close(fd);
        sp_reply_ok(d, c->pid, c->ref);
    }
    return 0;
}

static int cmd_test_counter(struct sp_daemon *d, struct sp_cmd *c)
{
    long idx;
    uint64_t v;
    if (sp_dec_range(&c->dec, 0, SP_CNT__MAX - 1, &idx) != 0 ||
        sp_dec_u64(&c->dec, &v) != 0 || sp_dec_end(&c->dec) != 0)
        return -1;
    c->sock->cnt.v[idx] = v;
    sp_reply_ok(d, c->pid, c->ref);
    return 0;
}
#endif

static const struct sp_cmd_row rows[] = {
#ifdef SP_TEST_COMMANDS
    {SP_OP_TEST_FORBIDDEN, 0, false, cmd_test_forbidden},
    {SP_OP_TEST_COUNTER, 2, true, cmd_test_counter},
    {SP_OP_TEST_OPEN_DIR, 0, false, cmd_test_open_dir},
#endif
    {SP_OP_PID_DOWN, 0, false, sp_cmd_pid_down},
    {SP_OP_OPEN, 4, false, sp_cmd_open},
    {SP_OP_BIND, 1, true, sp_cmd_bind},
    {SP_OP_LISTEN, 1, true, sp_cmd_listen},
    {SP_OP_CLOSE, 0, true, sp_cmd_close},
    {SP_OP_SHUTDOWN, 1, true, sp_cmd_shutdown},
    {SP_OP_SOCKNAME, 0, true, sp_cmd_sockname},
    {SP_OP_PEERNAME, 0, true, sp_cmd_peername},
    {SP_OP_GETOPT, 2, true, sp_cmd_getopt},
    {SP_OP_SETOPT, 3, true, sp_cmd_setopt},
    {SP_OP_GETOPT_NATIVE, 3, true, sp_cmd_getopt_native},
    {SP_OP_SETOPT_NATIVE, 3, true, sp_cmd_setopt_native},
    {SP_OP_IOCTL, 3, true, sp_cmd_ioctl},
    {SP_OP_OPEN_FD, 6, false, sp_cmd_open_fd},
    {SP_OP_CONNECT, 2, true, sp_cmd_connect},
    {SP_OP_CONNECT_FINISH, 0, true, sp_cmd_connect_finish},
    {SP_OP_ACCEPT, 1, true, sp_cmd_accept},
    {SP_OP_SEND, 3, true, sp_cmd_send},
    {SP_OP_SENDTO, 4, true, sp_cmd_sendto},
    {SP_OP_RECV, 4, true, sp_cmd_recv},
    {SP_OP_RECVFROM, 3, true, sp_cmd_recvfrom},
    {SP_OP_SENDMSG, 6, true, sp_cmd_sendmsg},
    {SP_OP_RECVMSG, 4, true, sp_cmd_recvmsg},
    {SP_OP_SENDFILE, 4, true, sp_cmd_sendfile},
    {SP_OP_INET_OPTS, 1, true, sp_cmd_inet_opts},
    {SP_OP_INET_RECV, 2, true, sp_cmd_inet_recv},
    {SP_OP_CANCEL, 2, true, sp_cmd_cancel},
    {SP_OP_MONITOR, 0, false, sp_cmd_monitor},
    {SP_OP_INFO, 0, false, sp_cmd_info},
    {SP_OP_SOCKETS, 0, false, sp_cmd_sockets},
    {SP_OP_GLOBAL, 1, false, sp_cmd_global},
    {SP_OP_STATS, 0, false, sp_cmd_stats},
};

#define SP_OP(name, num) \
    _Static_assert((num) >= 0 && (num) < 256, "opcode " #name " beyond 255");
#include "sp_ops.def"
#undef SP_OP

/* Rows by opcode (every opcode is below 256), filled at the first
 * command. */
static const struct sp_cmd_row *row_of(long op)
{
    static const struct sp_cmd_row *by_op[256];
    static bool ready;

    if (!ready) {
        for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
            by_op[rows[i].op] = &rows[i];
        ready = true;
    }
    return op >= 0 && op < 256 ? by_op[op] : NULL;
}

static int dec_pid(struct sp_dec *dec, struct sp_raw *raw)
{
    if (sp_dec_raw(dec, raw) != 0 || raw->len > SP_RAW_MAX)
        return -1;
    return raw->p[0] == ERL_PID_EXT || raw->p[0] == ERL_NEW_PID_EXT ? 0 : -1;
}

static int dec_small_raw(struct sp_dec *dec, struct sp_raw *raw)
{
    return sp_dec_raw(dec, raw) == 0 && raw->len <= SP_RAW_MAX ? 0 : -1;
}

int sp_dec_bool(struct sp_dec *dec, bool *b)
{
    if (sp_dec_take_atom(dec, "true"))
        *b = true;
    else if (sp_dec_take_atom(dec, "false"))
        *b = false;
    else
        return -1;
    return 0;
}

int sp_dec_mode(struct sp_dec *dec, struct sp_mode *m)
{
    memset(m, 0, sizeof *m);
    if (sp_dec_take_atom(dec, "infinity")) {
        m->kind = SP_WAIT_INFINITY;
        return 0;
    }
    if (sp_dec_peek_type(dec) == ERL_SMALL_TUPLE_EXT) {
        struct sp_dec save = *dec;
        if (sp_dec_tuple_n(dec, 2) != 0 || !sp_dec_take_atom(dec, "nowait") ||
            dec_small_raw(dec, &m->handle) != 0 || m->handle.len == 0) {
            *dec = save;
            return -1;
        }
        m->kind = SP_WAIT_NOWAIT;
        return 0;
    }
    m->kind = SP_WAIT_MS;
    /* Erlang's timeouts stop at 2^32-1 ms; so do we. */
    return sp_dec_range(dec, 0, 4294967295L, &m->ms);
}

void sp_dispatch(struct sp_daemon *d, const char *frame, size_t len)
{
    struct sp_cmd c;
    memset(&c, 0, sizeof c);
    sp_dec_init(&c.dec, frame, len);
    int arity;
    bool have_from = false;
    const struct sp_cmd_row *row = NULL;

    d->stats.commands++;
    if (sp_dec_version(&c.dec) != 0 || sp_dec_tuple(&c.dec, &arity) != 0 ||
        arity < 4 || sp_dec_long(&c.dec, &c.op) != 0)
        goto bad;
    if (dec_pid(&c.dec, &c.pid) != 0 || dec_small_raw(&c.dec, &c.ref) != 0)
        goto bad;
    have_from = true;
    if (sp_dec_u64(&c.dec, &c.id) != 0)
        goto bad;
    row = row_of(c.op);
    if (!row || arity != 4 + row->nargs)
        goto bad;
    if (row->on_socket)
        c.sock = sp_sock_find(d, c.id);
    sp_debug_cmd(d, &c, row->on_socket);
    if (row->on_socket) {
        if (!c.sock) {
            /* closed, or never ours: what OTP says of a closed socket */
            sp_reply_atom_error(d, c.pid, c.ref, "closed");
            return;
        }
    }
    if (row->exec(d, &c) == 0)
        return;
bad:
    d->stats.malformed++;
    sp_log(d, "error", "malformed command (op %ld %s, %zu bytes)", c.op,
           sp_op_to_str(c.op) ? sp_op_to_str(c.op) : "unknown", len);
    if (have_from)
        sp_reply_errno(d, c.pid, c.ref, EINVAL);
}
