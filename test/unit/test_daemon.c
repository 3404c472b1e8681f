/* Unit tests of sockportd's core (daemon/): a real struct sp_daemon (event
 * base, output evbuffer, zeroed tables) built in-process, fed command
 * frames made with ei through sp_dispatch(), its loop run with
 * event_base_loop() where readiness or deadlines matter, and every output
 * frame decoded and compared with the expected route and reply. Sockets are
 * real (127.0.0.1 TCP and AF_UNIX stream), opened, bound, connected and
 * accepted through commands. Commands and expected frames are written in a
 * small Erlang-like notation: P1 is a pid, R10 a reference, a frame prints
 * as `Route [Reply] [+"tail"]`, and `*` in an expected frame matches
 * anything. Output the loop flushes goes to a pipe dup2'd onto fd 1; what is
 * still queued is taken from d->out, after it. After every step
 * check_invariants() checks the daemon's tables (libevent's
 * evbuffer_validate spirit) and check_router() checks that what a router
 * knows from the frames so far (watched pids, armed selects) agrees. */
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <ei.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "daemon.h"
#include "sp_proto.h"

#define N(t) (sizeof(t) / sizeof((t)[0]))
#define MAXPID 64   /* pids P0..P63 */
#define MAXF 16     /* frames compared per step */
#define FSTR 1024   /* bytes of one printed frame */
#define NONE NULL   /* a step that must produce no frame */

/* ---- the harness ---------------------------------------------------------- */

struct armed_sel {
    int pid, id;
    char handle[64]; /* printed */
};

static struct harness {
    struct sp_daemon d;
    int pipefd[2];
    int saved_stdout;
    struct evbuffer *got; /* output not yet compared, in order */
    bool local;           /* AF_UNIX instead of TCP */
    int port;
    char dir[64], path[100];
    char addr[160], bind[160], fam[32]; /* $addr, $bind, $fam */
    char file[96];        /* $file: {OsPid,Fd,Dev,Ino} of a file of ours */
    char ospid[16];       /* $ospid: our pid */
    char fpath[64];
    int ffd;
    int peers[8];
    int npeers;
    char last[MAXF][FSTR]; /* the frames of the last step */
    /* what a router knows */
    bool watched[MAXPID];
    struct armed_sel armed[64];
    int narmed;
} H;

static erlang_pid mkpid(unsigned n)
{
    erlang_pid p;
    memset(&p, 0, sizeof p);
    strcpy(p.node, "t@h");
    p.num = n;
    p.creation = 1;
    return p;
}

static erlang_ref mkref(unsigned n)
{
    erlang_ref r;
    memset(&r, 0, sizeof r);
    strcpy(r.node, "t@h");
    r.len = 3;
    r.n[0] = n;
    r.creation = 1;
    return r;
}

static void on_stdout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sp_out_flush(arg);
}

static void setup(void)
{
    memset(&H, 0, sizeof H);
    sp_limits_default(&H.d.limits);
    H.d.base = event_base_new();
    sp_outq_init(&H.d.out);
    H.got = evbuffer_new();
    ck_assert(H.d.base && H.got);
    ck_assert_int_eq(pipe2(H.pipefd, O_CLOEXEC | O_NONBLOCK), 0);
    fflush(stdout);
    H.saved_stdout = dup(STDOUT_FILENO);
    ck_assert_int_eq(dup2(H.pipefd[1], STDOUT_FILENO), STDOUT_FILENO);
    H.d.ev_out = event_new(H.d.base, STDOUT_FILENO, EV_WRITE | EV_PERSIST,
                           on_stdout, &H.d);
    ck_assert_ptr_nonnull(H.d.ev_out);
    /* a file for SENDFILE, named as the VM names its own */
    strcpy(H.fpath, "/tmp/sp-dtest-file-XXXXXX");
    H.ffd = mkstemp(H.fpath);
    ck_assert_int_ge(H.ffd, 0);
    ck_assert_int_eq(write(H.ffd, "0123456789abcdefghij", 20), 20);
    struct stat st;
    ck_assert_int_eq(fstat(H.ffd, &st), 0);
    snprintf(H.ospid, sizeof H.ospid, "%ld", (long)getpid());
    snprintf(H.file, sizeof H.file, "{%ld,%d,%u,%u}", (long)getpid(), H.ffd,
             (unsigned)(uint32_t)st.st_dev, (unsigned)(uint32_t)st.st_ino);
}

static void teardown(void)
{
    sp_sock_table_close_all(&H.d);
    sp_op_spares_free(&H.d);
    sp_pid_table_free(&H.d.pids);
    event_free(H.d.ev_out);
    sp_outq_free(&H.d.out);
    event_base_free(H.d.base);
    evbuffer_free(H.got);
    dup2(H.saved_stdout, STDOUT_FILENO);
    close(H.saved_stdout);
    close(H.pipefd[0]);
    close(H.pipefd[1]);
    for (int i = 0; i < H.npeers; i++)
        close(H.peers[i]);
    close(H.ffd);
    unlink(H.fpath);
    if (H.dir[0]) {
        unlink(H.path);
        rmdir(H.dir);
    }
}

/* Addresses for the family under test ($port is known after SOCKNAME). */
static void set_family(bool local)
{
    H.local = local;
    if (local) {
        strcpy(H.dir, "/tmp/sp-dtest-XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(H.dir));
        snprintf(H.path, sizeof H.path, "%s/s", H.dir);
        snprintf(H.addr, sizeof H.addr, "{local,<<\"%s\">>}", H.path);
        strcpy(H.bind, H.addr);
        strcpy(H.fam, "local,stream,default");
    } else {
        strcpy(H.bind, "{inet,{127,0,0,1},0}");
        strcpy(H.fam, "inet,stream,tcp");
    }
}

/* ---- terms from text, and frames to text ------------------------------- */

static void skip_ws(const char **s)
{
    while (**s == ' ')
        (*s)++;
}

static void build(ei_x_buff *x, const char **s)
{
    skip_ws(s);
    const char *p = *s;
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        ei_x_buff kids;
        int n = 0;
        ei_x_new(&kids);
        for ((*s)++, skip_ws(s); **s != close; n++) {
            ck_assert_msg(**s != '\0', "unterminated term");
            build(&kids, s);
            skip_ws(s);
            if (**s == ',')
                (*s)++;
            skip_ws(s);
        }
        (*s)++;
        if (close == '}')
            ei_x_encode_tuple_header(x, n);
        else if (n > 0)
            ei_x_encode_list_header(x, n);
        ei_x_append_buf(x, kids.buff, kids.index);
        if (close == ']')
            ei_x_encode_empty_list(x);
        ei_x_free(&kids);
    } else if (strncmp(p, "<<\"", 3) == 0) {
        char bin[256];
        size_t n = 0;
        for (p += 3; *p != '"'; p++) {
            ck_assert(*p && n < sizeof bin);
            bin[n++] = *p;
        }
        ck_assert(strncmp(p, "\">>", 3) == 0);
        ei_x_encode_binary(x, bin, (long)n);
        *s = p + 3;
    } else if ((*p == 'P' || *p == 'R') && isdigit((unsigned char)p[1])) {
        char *end;
        unsigned n = (unsigned)strtoul(p + 1, &end, 10);
        if (*p == 'P') {
            erlang_pid pid = mkpid(n);
            ei_x_encode_pid(x, &pid);
        } else {
            erlang_ref ref = mkref(n);
            ei_x_encode_ref(x, &ref);
        }
        *s = end;
    } else if (*p == '-' || isdigit((unsigned char)*p)) {
        char *end;
        ei_x_encode_longlong(x, strtoll(p, &end, 10));
        *s = end;
    } else if (islower((unsigned char)*p)) {
        char a[256];
        size_t n = 0;
        while (isalnum((unsigned char)*p) || *p == '_')
            a[n++] = *p++;
        a[n] = '\0';
        ei_x_encode_atom(x, a);
        *s = p;
    } else {
        ck_abort_msg("bad term text at '%s'", p);
    }
}

struct sbuf {
    char *p;
    size_t len, cap;
};

static void sb_add(struct sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        b->len = b->len + (size_t)n < b->cap ? b->len + (size_t)n : b->cap - 1;
}

static void sb_bytes(struct sbuf *b, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (isprint(c) && c != '"' && c != '\\')
            sb_add(b, "%c", c);
        else
            sb_add(b, "\\x%02x", c);
    }
}

/* Prints the term at buf[*idx] in the notation of the tables. */
static bool print_term(struct sbuf *b, const char *buf, int *idx)
{
    int type, size, n;
    if (ei_get_type(buf, idx, &type, &size) < 0)
        return false;
    switch (type) {
    case ERL_SMALL_INTEGER_EXT: case ERL_INTEGER_EXT:
    case ERL_SMALL_BIG_EXT: case ERL_LARGE_BIG_EXT: {
        long long v;
        if (ei_decode_longlong(buf, idx, &v) < 0)
            return false;
        sb_add(b, "%lld", v);
        return true;
    }
    case ERL_ATOM_EXT: case ERL_SMALL_ATOM_EXT:
    case ERL_ATOM_UTF8_EXT: case ERL_SMALL_ATOM_UTF8_EXT: {
        char a[MAXATOMLEN_UTF8];
        if (ei_decode_atom_as(buf, idx, a, sizeof a, ERLANG_UTF8, NULL,
                              NULL) < 0)
            return false;
        sb_add(b, "%s", a);
        return true;
    }
    case ERL_SMALL_TUPLE_EXT: case ERL_LARGE_TUPLE_EXT:
        if (ei_decode_tuple_header(buf, idx, &n) < 0)
            return false;
        sb_add(b, "{");
        for (int i = 0; i < n; i++) {
            sb_add(b, i ? "," : "");
            if (!print_term(b, buf, idx))
                return false;
        }
        sb_add(b, "}");
        return true;
    case ERL_NIL_EXT: case ERL_LIST_EXT:
        if (ei_decode_list_header(buf, idx, &n) < 0)
            return false;
        sb_add(b, "[");
        for (int i = 0; i < n; i++) {
            sb_add(b, i ? "," : "");
            if (!print_term(b, buf, idx))
                return false;
        }
        sb_add(b, "]");
        return n == 0 || ei_skip_term(buf, idx) == 0;
    case ERL_BINARY_EXT: {
        char *bin = malloc((size_t)size + 1);
        long len;
        bool ok = bin && ei_decode_binary(buf, idx, bin, &len) == 0;
        if (ok) {
            sb_add(b, "<<\"");
            sb_bytes(b, bin, (size_t)len);
            sb_add(b, "\">>");
        }
        free(bin);
        return ok;
    }
    case ERL_PID_EXT: case ERL_NEW_PID_EXT: {
        erlang_pid p;
        if (ei_decode_pid(buf, idx, &p) < 0)
            return false;
        sb_add(b, "P%u", p.num);
        return true;
    }
    case ERL_NEW_REFERENCE_EXT: case ERL_NEWER_REFERENCE_EXT: {
        erlang_ref r;
        if (ei_decode_ref(buf, idx, &r) < 0)
            return false;
        sb_add(b, "R%u", r.n[0]);
        return true;
    }
    default:
        return false;
    }
}

/* One frame body: Route [Reply] [+"tail"]. */
static void frame_str(const char *p, size_t len, char *out)
{
    struct sbuf b = {out, 0, FSTR};
    int idx = 0, v;
    out[0] = '\0';
    if (ei_decode_version(p, &idx, &v) < 0 || !print_term(&b, p, &idx)) {
        sb_add(&b, "<undecodable route>");
        return;
    }
    if ((size_t)idx < len) {
        sb_add(&b, " ");
        if (ei_decode_version(p, &idx, &v) < 0 || !print_term(&b, p, &idx)) {
            sb_add(&b, "<undecodable reply>");
            return;
        }
    }
    if ((size_t)idx < len) {
        sb_add(&b, " +\"");
        sb_bytes(&b, p + idx, len - (size_t)idx);
        sb_add(&b, "\"");
    }
}

static bool glob(const char *pat, const char *s)
{
    if (*pat == '*') {
        for (;; s++) {
            if (glob(pat + 1, s))
                return true;
            if (!*s)
                return false;
        }
    }
    return *pat == *s && (*pat == '\0' || glob(pat + 1, s + 1));
}

/* ---- what a router learns from the frames ------------------------------ */

static void forget_armed(int pid, int id, const char *handle)
{
    for (int i = 0; i < H.narmed; i++)
        if (H.armed[i].pid == pid &&
            (id < 0 || (H.armed[i].id == id &&
                        strcmp(H.armed[i].handle, handle) == 0)))
            H.armed[i--] = H.armed[--H.narmed];
}

static void track(const char *f)
{
    int p, r, id;
    char h[64];
    if (sscanf(f, "{watch,P%d}", &p) == 1) {
        ck_assert_msg(p < MAXPID && !H.watched[p], "second watch: %s", f);
        H.watched[p] = true;
    } else if (sscanf(f, "{unwatch,P%d}", &p) == 1) {
        ck_assert_msg(p < MAXPID && H.watched[p], "unwatch unwatched: %s", f);
        H.watched[p] = false;
    } else if (sscanf(f, "{P%d,R%d,{armed,%d,%63[^}]}}", &p, &r, &id, h) ==
               4) {
        ck_assert_int_lt(H.narmed, (int)N(H.armed));
        H.armed[H.narmed] = (struct armed_sel){.pid = p, .id = id};
        strcpy(H.armed[H.narmed++].handle, h);
    } else if (sscanf(f, "{select,P%d,%d,%63[^}]}", &p, &id, h) == 3 ||
               sscanf(f, "{abort,P%d,%d,%63[^,]", &p, &id, h) == 3 ||
               sscanf(f, "{disarmed,P%d,%d,%63[^}]}", &p, &id, h) == 3) {
        forget_armed(p, id, h);
    }
}

/* The router's own part of PID_DOWN: it forgot the pid before sending. */
static void note_pid_down(const char *term)
{
    int p;
    if (sscanf(term, "{1,P%d,", &p) == 1 && p < MAXPID) {
        H.watched[p] = false;
        forget_armed(p, -1, "");
    }
}

/* ---- output ---------------------------------------------------------------- */

static void collect(void)
{
    char buf[65536];
    ssize_t n;
    while ((n = read(H.pipefd[0], buf, sizeof buf)) > 0)
        evbuffer_add(H.got, buf, (size_t)n);
    while ((n = (ssize_t)sp_outq_take(&H.d.out, buf, sizeof buf)) > 0)
        evbuffer_add(H.got, buf, (size_t)n);
}

static int count_frames(void)
{
    size_t len = evbuffer_get_length(H.got), off = 0;
    const unsigned char *p = evbuffer_pullup(H.got, -1);
    int n = 0;
    while (len - off >= 4) {
        size_t flen = (size_t)p[off] << 24 | (size_t)p[off + 1] << 16 |
                      (size_t)p[off + 2] << 8 | p[off + 3];
        if (len - off - 4 < flen)
            break;
        off += 4 + flen;
        n++;
    }
    return n;
}

/* Takes every complete frame out as text; more than MAXF are counted. */
static int take_frames(char out[MAXF][FSTR])
{
    collect();
    int n = 0;
    for (;;) {
        size_t len = evbuffer_get_length(H.got);
        unsigned char *p = evbuffer_pullup(H.got, len < 4 ? -1 : 4);
        if (len < 4)
            break;
        size_t flen = (size_t)p[0] << 24 | (size_t)p[1] << 16 |
                      (size_t)p[2] << 8 | p[3];
        ck_assert_msg(len - 4 >= flen, "a frame left incomplete");
        p = evbuffer_pullup(H.got, (ssize_t)(4 + flen));
        char tmp[FSTR];
        frame_str((const char *)p + 4, flen, n < MAXF ? out[n] : tmp);
        track(n < MAXF ? out[n] : tmp);
        evbuffer_drain(H.got, 4 + flen);
        n++;
    }
    return n;
}

/* Compares the frames produced since the last check with `expect`. */
static void expect_frames(const char *const *expect, int nexpect,
                          const char *where)
{
    int n = take_frames(H.last);
    bool ok = n == nexpect;
    for (int i = 0; ok && i < n; i++)
        ok = glob(expect[i], H.last[i]);
    if (ok)
        return;
    char msg[8192];
    struct sbuf b = {msg, 0, sizeof msg};
    sb_add(&b, "%s: expected %d frames:", where, nexpect);
    for (int i = 0; i < nexpect; i++)
        sb_add(&b, "\n    %s", expect[i]);
    sb_add(&b, "\n  got %d:", n);
    for (int i = 0; i < n && i < MAXF; i++)
        sb_add(&b, "\n    %s", H.last[i]);
    ck_abort_msg("%s", msg);
}

/* ---- invariants -------------------------------------------------------------- */

static void count_ref(struct sp_pid **pids, unsigned *want, size_t np,
                      const struct sp_pid *p, const char *what)
{
    for (size_t i = 0; i < np; i++)
        if (pids[i] == p) {
            want[i]++;
            return;
        }
    ck_abort_msg("%s holds a pid that is not in the table", what);
}

static void check_queue(struct sp_daemon *d, struct sp_sock *s, int q,
                        struct sp_pid **pids, unsigned *want, size_t np)
{
    unsigned n = 0;
    struct sp_op *op, *head = TAILQ_FIRST(&s->q[q]);
    TAILQ_FOREACH(op, &s->q[q], link) {
        n++;
        ck_assert_ptr_eq(op->sock, s);
        ck_assert(op->queued);
        ck_assert_int_eq((int)sp_opclass_of(op->kind)->queue, q);
        ck_assert_ptr_nonnull(op->pid);
        ck_assert(sp_pid_is(op->pid, op->pidraw));
        count_ref(pids, want, np, op->pid, "a queued op");
        ck_assert_msg(!op->signalled || (op == head && op->armed),
                      "socket %lu queue %d: a signalled op that is not an "
                      "armed head", (unsigned long)s->id, q);
        ck_assert(op->armed == (op->handle.len > 0));
        ck_assert_msg(!(op->armed && op->timer), "an armed op with a timer");
        ck_assert_msg(!op->hold || (op == head && !op->armed && !op->timer &&
                                    !op->buf && !op->data),
                      "socket %lu queue %d: a hold that is not a bare head",
                      (unsigned long)s->id, q);
    }
    ck_assert_uint_eq(n, s->nq[q]);
    /* A head that waits for readiness has its event armed (a hold waits
     * for its caller's next frame, not for the socket). */
    if (head && !head->signalled && !head->hold && !s->stalled) {
        bool w = q == SP_Q_WRITE;
        ck_assert_msg(event_pending(w ? s->ev_write : s->ev_read,
                                    w ? EV_WRITE : EV_READ, NULL),
                      "socket %lu queue %d: head waits, event off",
                      (unsigned long)s->id, q);
    }
    (void)d;
}

static void check_invariants(struct sp_daemon *d)
{
    struct sp_pid *pids[256];
    unsigned want[256];
    size_t np = 0, ns = 0, nidle = 0;
    for (size_t i = 0; i < d->pids.nslots; i++)
        for (struct sp_pid *p = d->pids.slots[i]; p; p = p->hnext) {
            ck_assert_uint_lt(np, N(pids));
            nidle += p->refs == 0;
            ck_assert_ptr_eq(sp_pid_find(d, sp_pid_raw(p)), p);
            pids[np] = p;
            want[np++] = 0;
        }
    ck_assert_uint_eq(np, d->pids.count);
    ck_assert_uint_eq(nidle, d->pids.idle);
    for (size_t i = 0; i < d->socks.nslots; i++)
        for (struct sp_sock *s = d->socks.slots[i]; s; s = s->hnext) {
            ns++;
            ck_assert_ptr_eq(sp_sock_find(d, s->id), s);
            ck_assert_ptr_eq(s->d, d);
            ck_assert(s->id > 0 && s->id <= d->socks.next_id);
            count_ref(pids, want, np, s->owner, "a socket's owner");
            for (int q = 0; q < SP_Q__MAX; q++)
                check_queue(d, s, q, pids, want, np);
        }
    ck_assert_uint_eq(ns, d->socks.count);
    for (size_t i = 0; i < np; i++)
        ck_assert_msg(pids[i]->refs == want[i],
                      "a pid has %u refs for %u sockets and ops",
                      pids[i]->refs, want[i]);
}

static int pid_num(struct sp_raw raw)
{
    int idx = 0;
    erlang_pid p;
    return ei_decode_pid(raw.p, &idx, &p) == 0 ? (int)p.num : -1;
}

/* The router's view agrees with the daemon: it watches exactly the pids
 * the daemon counts, and knows exactly the armed selects not signalled. */
static void check_router(struct sp_daemon *d)
{
    size_t nwatched = 0;
    for (int n = 0; n < MAXPID; n++)
        nwatched += H.watched[n];
    ck_assert_msg(nwatched == d->pids.count,
                  "the router watches %zu pids, the daemon counts %zu",
                  nwatched, d->pids.count);
    for (size_t i = 0; i < d->pids.nslots; i++)
        for (struct sp_pid *p = d->pids.slots[i]; p; p = p->hnext) {
            int n = pid_num(sp_pid_raw(p));
            ck_assert_msg(n >= 0 && n < MAXPID && H.watched[n] && !p->down,
                          "P%d is counted but not watched", n);
        }
    int narmed = 0;
    for (size_t i = 0; i < d->socks.nslots; i++)
        for (struct sp_sock *s = d->socks.slots[i]; s; s = s->hnext)
            for (int q = 0; q < SP_Q__MAX; q++) {
                struct sp_op *op;
                TAILQ_FOREACH(op, &s->q[q], link) {
                    if (!op->armed || op->signalled)
                        continue;
                    int p = pid_num(op->pidraw), idx = 0;
                    char h[64];
                    struct sbuf b = {h, 0, sizeof h};
                    ck_assert(print_term(&b, op->handle.p, &idx));
                    bool known = false;
                    for (int k = 0; k < H.narmed; k++)
                        known |= H.armed[k].pid == p &&
                                 H.armed[k].id == (int)s->id &&
                                 strcmp(H.armed[k].handle, h) == 0;
                    ck_assert_msg(known, "armed P%d/%lu/%s never announced",
                                  p, (unsigned long)s->id, h);
                    narmed++;
                }
            }
    ck_assert_int_eq(narmed, H.narmed);
}

/* ---- steps ----------------------------------------------------------------- */

enum act { A_END, A_CMD, A_RUN, A_PEER, A_DIAL, A_GATHER, A_SWEEP };

struct step {
    enum act act;
    const char *term; /* A_CMD: the command ($addr, $bind, $fam expand) */
    const char *data; /* A_CMD: its tail; A_PEER: bytes socket 2 sends */
    unsigned n;       /* A_GATHER: bytes socket 3's read head must hold */
    bool defer;       /* A_CMD: check its frames with the next step's */
    bool capture;     /* learn the listener's port from this reply */
    const char *expect[10];
};

#define CMD(t, ...) {.act = A_CMD, .term = (t), .expect = {__VA_ARGS__}}
#define CMDT(t, tail, ...)                                                   \
    {.act = A_CMD, .term = (t), .data = (tail), .expect = {__VA_ARGS__}}
#define LATER(t) {.act = A_CMD, .term = (t), .defer = true}
#define RUN(...) {.act = A_RUN, .expect = {__VA_ARGS__}}
#define PEER(bytes) {.act = A_PEER, .data = (bytes)}
#define DIAL() {.act = A_DIAL}
#define GATHER(k) {.act = A_GATHER, .n = (k)}
#define SWEEP(...) {.act = A_SWEEP, .expect = {__VA_ARGS__}} /* the pid timer */

static void nap(void)
{
    nanosleep(&(struct timespec){0, 1000000}, NULL);
}

static void dispatch(const char *bytes, size_t len)
{
    /* An exact-size copy, freed after: the daemon must keep nothing that
     * points into a frame (ASan watches). */
    char *f = malloc(len ? len : 1);
    ck_assert_ptr_nonnull(f);
    memcpy(f, bytes, len);
    sp_dispatch(&H.d, f, len);
    free(f);
}

static void expand(const char *in, char *out, size_t cap)
{
    static const struct { const char *var; size_t off; } vars[] = {
        {"$addr", offsetof(struct harness, addr)},
        {"$bind", offsetof(struct harness, bind)},
        {"$fam", offsetof(struct harness, fam)},
        {"$file", offsetof(struct harness, file)},
        {"$ospid", offsetof(struct harness, ospid)},
    };
    size_t n = 0;
    while (*in) {
        size_t k = 0;
        while (k < N(vars) && strncmp(in, vars[k].var, strlen(vars[k].var)))
            k++;
        const char *rep = k < N(vars) ? (const char *)&H + vars[k].off : NULL;
        size_t l = rep ? strlen(rep) : 1;
        ck_assert_uint_lt(n + l, cap);
        memcpy(out + n, rep ? rep : in, l);
        n += l;
        in += rep ? strlen(vars[k].var) : 1;
    }
    out[n] = '\0';
}

static void encode_text(ei_x_buff *x, const char *term)
{
    char text[1024];
    const char *p = text;
    expand(term, text, sizeof text);
    ei_x_new_with_version(x);
    build(x, &p);
    skip_ws(&p);
    ck_assert_msg(*p == '\0', "trailing text in '%s'", term);
}

static void send_text(const char *term, const char *tail)
{
    ei_x_buff x;
    encode_text(&x, term);
    if (tail)
        ei_x_append_buf(&x, tail, (int)strlen(tail));
    note_pid_down(term);
    dispatch(x.buff, (size_t)x.index);
    ei_x_free(&x);
}

static void on_guard(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    *(bool *)arg = true;
}

/* Runs the loop until n frames are out (5 s at most), then a few more
 * turns so that anything else ready now shows up too. */
static void run_until(int n)
{
    bool fired = false;
    struct event *guard = evtimer_new(H.d.base, on_guard, &fired);
    struct timeval five = {5, 0};
    ck_assert_int_eq(evtimer_add(guard, &five), 0);
    collect();
    for (int i = 0; n == 0 && i < 20; i++) {
        event_base_loop(H.d.base, EVLOOP_NONBLOCK);
        nap();
    }
    while (count_frames() < n && !fired) {
        event_base_loop(H.d.base, EVLOOP_ONCE);
        collect();
    }
    for (int i = 0; i < 3; i++)
        event_base_loop(H.d.base, EVLOOP_NONBLOCK);
    collect();
    event_free(guard);
}

static struct sp_sock *sock(uint64_t id)
{
    struct sp_sock *s = sp_sock_find(&H.d, id);
    ck_assert_msg(s != NULL, "socket %lu is not open", (unsigned long)id);
    return s;
}

static void wait_readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ck_assert_int_eq(poll(&p, 1, 2000), 1);
}

/* Socket 2 sends; socket 3 (its accepted peer) has the bytes. */
static void peer_write(const char *data)
{
    size_t len = strlen(data);
    ck_assert_int_eq(send(sock(2)->fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
    wait_readable(sock(3)->fd);
}

/* A client of the listener (socket 1) that the test holds. */
static void dial(void)
{
    int fd;
    if (H.local) {
        struct sockaddr_un a = {.sun_family = AF_UNIX};
        strcpy(a.sun_path, H.path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    } else {
        struct sockaddr_in a = {.sin_family = AF_INET,
                                .sin_port = htons((uint16_t)H.port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    }
    ck_assert_int_lt(H.npeers, (int)N(H.peers));
    H.peers[H.npeers++] = fd;
    wait_readable(sock(1)->fd);
}

static void gather(unsigned n)
{
    for (int i = 0; i < 5000; i++) {
        struct sp_op *h = TAILQ_FIRST(&sock(3)->q[SP_Q_READ]);
        if (h && h->buf_len >= n)
            return;
        event_base_loop(H.d.base, EVLOOP_NONBLOCK);
        nap();
    }
    ck_abort_msg("socket 3's read head never held %u bytes", n);
}

static void run_steps(const struct step *steps, size_t max, const char *name)
{
    for (size_t i = 0; i < max && steps[i].act != A_END; i++) {
        const struct step *st = &steps[i];
        int ne = 0;
        while (ne < (int)N(st->expect) && st->expect[ne])
            ne++;
        switch (st->act) {
        case A_CMD: send_text(st->term, st->data); break;
        case A_RUN: run_until(ne); break;
        case A_PEER: peer_write(st->data); break;
        case A_DIAL: dial(); break;
        case A_GATHER: gather(st->n); break;
        case A_SWEEP: sp_pid_sweep(&H.d); break;
        case A_END: break;
        }
        if (st->defer)
            continue;
        char where[160];
        snprintf(where, sizeof where, "%s, step %zu (%s%s)", name, i + 1,
                 H.local ? "local" : "inet", "");
        expect_frames(st->expect, ne, where);
        if (st->capture && !H.local) {
            ck_assert_int_eq(sscanf(H.last[0],
                                    "{P9,R4} {ok,{inet,{127,0,0,1},%d}}",
                                    &H.port), 1);
            snprintf(H.addr, sizeof H.addr, "{inet,{127,0,0,1},%d}", H.port);
        }
        check_invariants(&H.d);
        check_router(&H.d);
    }
}

/* Socket 1 listens, 2 is a client connected to it, 3 the accepted end;
 * P9 owns all three. */
static const struct step pair_steps[] = {
    CMD("{16,P9,R1,0,$fam,[]}", "{watch,P9}", "{P9,R1} {ok,1}"),
    CMD("{17,P9,R2,1,$bind}", "{P9,R2} ok"),
    CMD("{18,P9,R3,1,5}", "{P9,R3} ok"),
    {.act = A_CMD, .term = "{21,P9,R4,1}", .capture = true,
     .expect = {"{P9,R4} {ok,*}"}},
    CMD("{16,P9,R5,0,$fam,[]}", "{P9,R5} {ok,2}"),
    LATER("{32,P9,R6,2,$addr,infinity}"), /* TCP waits, AF_UNIX does not */
    RUN("{P9,R6} ok"),
    LATER("{34,P9,R7,1,infinity}"),
    RUN("{P9,R7} {ok,3}"),
};

static void pair(bool local)
{
    set_family(local);
    run_steps(pair_steps, N(pair_steps), "pair");
}

/* Closes everything as the daemon does at exit: no pid may keep a ref,
 * and two sweeps let every idle one go. */
static void finish(void)
{
    sp_sock_table_close_all(&H.d);
    ck_assert_uint_eq(H.d.socks.count, 0);
    ck_assert_uint_eq(H.d.pids.count, H.d.pids.idle);
    sp_pid_sweep(&H.d);
    sp_pid_sweep(&H.d);
    ck_assert_uint_eq(H.d.pids.count, 0);
    ck_assert_uint_eq(H.d.pids.idle, 0);
}

/* ---- scenarios on a connected pair (run for inet and local) ----------------- */

#define SEL(p, r, id, h) "{" p "," r ",{armed," id "," h "}} select"

struct scenario {
    const char *name;
    struct step steps[24];
};

static const struct scenario scenarios[] = {
    {"watch: one per pid, unwatch once idle for a whole sweep period", {
        CMD("{16,P1,R10,0,$fam,[]}", "{watch,P1}", "{P1,R10} {ok,4}"),
        SWEEP(NONE), /* P1 owns sockets: not idle */
        CMD("{16,P1,R11,0,$fam,[]}", "{P1,R11} {ok,5}"),
        CMD("{16,P2,R12,0,foo,stream,default,[]}",
            "{P2,R12} {error,{invalid,{domain,foo}}}"),
        CMD("{16,P2,R13,0,inet,bogus,default,[]}",
            "{P2,R13} {error,{invalid,{type,bogus}}}"),
        CMD("{16,P2,R14,0,9999,stream,0,[]}", "{P2,R14} {error,eafnosupport}"),
        CMD("{19,P1,R15,4}", "{P1,R15} ok"),
        CMD("{19,P2,R16,5}", "{P2,R16} ok"), /* anyone closes */
        SWEEP(NONE),           /* P1 owns nothing: marked */
        SWEEP("{unwatch,P1}"), /* still idle a period later: let go */
        CMD("{19,P1,R17,5}", "{P1,R17} {error,closed}"),
        CMD("{80,P1,R18,3}", "{P1,R18} ok"),
        CMD("{19,P1,R19,3}", "{closed,3}", "{P1,R19} ok"),
        CMD("{1,P2,R20,0}", NONE), /* a pid the daemon never counted */
    }},
    {"fifo: two parked recvs of two pids served in order", {
        CMD("{50,P1,R10,3,5,0,infinity,false}", "{watch,P1}"),
        CMD("{50,P2,R11,3,0,0,infinity,false}", "{watch,P2}"),
        PEER("helloworld"),
        RUN("{P1,R10} ok +\"hello\"",
            "{P2,R11} ok +\"world\""),
    }},
    {"nowait recv: select, then the pid holds the queue", {
        CMD("{50,P1,R10,3,0,0,{nowait,R100},false}", "{watch,P1}",
            SEL("P1", "R10", "3", "R100")),
        CMD("{50,P2,R11,3,0,0,infinity,false}", "{watch,P2}"),
        PEER("abc"),
        RUN("{select,P1,3,R100}"),
        RUN(NONE), /* P2 waits: P1 holds the queue */
        CMD("{50,P1,R12,3,0,0,{nowait,R101},false}", /* signalled: no disarmed */
            "{P1,R12} ok +\"abc\""),
        PEER("de"),
        RUN("{P2,R11} ok +\"de\""),
    }},
    {"nowait recv replaced by the same pid, then cancelled", {
        CMD("{50,P1,R10,3,0,0,{nowait,R100},false}", "{watch,P1}",
            SEL("P1", "R10", "3", "R100")),
        CMD("{50,P1,R11,3,0,0,{nowait,R101},false}", "{disarmed,P1,3,R100}",
            SEL("P1", "R11", "3", "R101")),
        CMD("{64,P2,R12,3,recv,R101}", "{P2,R12} {error,invalid}"),
        CMD("{64,P1,R13,3,accept,R101}", "{P1,R13} {error,invalid}"),
        CMD("{64,P1,R14,3,recv,R100}", "{P1,R14} {error,invalid}"),
        CMD("{64,P1,R15,3,recv,R101}", "{disarmed,P1,3,R101}", "{P1,R15} ok"),
        CMD("{64,P1,R16,3,recv,R101}", "{P1,R16} {error,invalid}"),
        PEER("x"),
        RUN(NONE), /* nobody waits: nothing is read */
        CMD("{50,P1,R17,3,0,0,{nowait,R102},false}", "{P1,R17} ok +\"x\""),
    }},
    {"cancel of a signalled select, serving the next waiter", {
        CMD("{50,P1,R10,3,0,0,{nowait,R100},false}", "{watch,P1}",
            SEL("P1", "R10", "3", "R100")),
        CMD("{50,P2,R11,3,0,0,infinity,false}", "{watch,P2}"),
        PEER("abc"),
        RUN("{select,P1,3,R100}"),
        CMD("{64,P1,R12,3,recv,R100}", /* signalled: no disarmed */
            "{P2,R11} ok +\"abc\"",
            "{P1,R12} ok"),
    }},
    {"nowait accept replaced before its select: abort cancelled", {
        CMD("{34,P1,R10,1,{nowait,R100}}", "{watch,P1}",
            SEL("P1", "R10", "1", "R100")),
        CMD("{34,P1,R11,1,{nowait,R101}}", "{abort,P1,1,R100,cancelled}",
            SEL("P1", "R11", "1", "R101")),
        DIAL(),
        RUN("{select,P1,1,R101}"),
        CMD("{34,P1,R12,1,{nowait,R102}}", "{P1,R12} {ok,4}"),
        CMD("{19,P1,R13,4}", "{P1,R13} ok"),
        CMD("{34,P2,R14,1,0}", "{P2,R14} {error,timeout}"),
    }},
    {"accept: parked acceptors served in order", {
        CMD("{34,P1,R10,1,infinity}", "{watch,P1}"),
        CMD("{34,P2,R11,1,{nowait,R100}}", "{watch,P2}",
            SEL("P2", "R11", "1", "R100")),
        DIAL(),
        RUN("{P1,R10} {ok,4}", "{select,P2,1,R100}"),
        CMD("{34,P2,R12,1,0}", "{P2,R12} {error,timeout}"),
    }},
    {"close: an armed head and a parked waiter", {
        CMD("{50,P1,R10,3,0,0,{nowait,R100},false}", "{watch,P1}",
            SEL("P1", "R10", "3", "R100")),
        CMD("{50,P2,R11,3,10,0,infinity,false}", "{watch,P2}"),
        CMD("{19,P3,R12,3}", "{abort,P1,3,R100,closed}",
            "{P2,R11} {error,closed}", "{P3,R12} ok"),
        CMD("{50,P1,R13,3,0,0,infinity,false}", "{P1,R13} {error,closed}"),
    }},
    {"close: a parked head holding data, an armed waiter", {
        CMD("{50,P2,R10,3,10,0,infinity,false}", "{watch,P2}"),
        CMD("{50,P1,R11,3,0,0,{nowait,R100},false}", "{watch,P1}",
            SEL("P1", "R11", "3", "R100")),
        PEER("ab"),
        GATHER(2),
        CMD("{19,P9,R12,3}", "{P2,R10} {error,closed} +\"ab\"", "{abort,P1,3,R100,closed}",
            "{P9,R12} ok"),
    }},
    {"timed recv: timeout, timeout with data, zero timeout", {
        CMD("{50,P1,R10,3,0,0,50,false}", "{watch,P1}"),
        RUN("{P1,R10} {error,timeout}"),
        CMD("{50,P1,R11,3,10,0,50,false}", NONE), /* P1 is still watched */
        PEER("abc"),
        GATHER(3),
        RUN("{P1,R11} {error,timeout} +\"abc\""),
        PEER("defgh"),
        CMD("{50,P1,R12,3,10,0,0,false}", "{P1,R12} ok +\"defgh\""),
        CMD("{50,P1,R13,3,0,0,0,false}", "{P1,R13} {error,timeout}"),
        PEER("ij"),
        CMD("{50,P1,R14,3,0,0,0,false}", "{P1,R14} ok +\"ij\""),
        CMD("{50,P2,R15,3,0,0,infinity,false}", "{watch,P2}"),
        CMD("{50,P1,R16,3,0,0,0,false}", "{P1,R16} {error,timeout}"),
        CMD("{50,P1,R17,3,0,0,50,false}", NONE),
        RUN("{P1,R17} {error,timeout}"),
        PEER("k"),
        RUN("{P2,R15} ok +\"k\""),
    }},
    {"send: the tail is the data", {
        CMDT("{48,P1,R10,2,0,infinity,false}", "hi there", "{P1,R10} ok"),
        CMD("{50,P1,R11,3,8,0,infinity,false}", "{P1,R11} ok +\"hi there\""),
        CMDT("{48,P1,R12,2,0,{nowait,R100},false}", "", "{P1,R12} ok"),
    }},
    {"a call sent in frames keeps the writers' queue between its frames", {
        CMDT("{48,P1,R10,2,0,infinity,true}", "ab", "{P1,R10} ok",
             "{watch,P1}"),
        CMDT("{48,P2,R11,2,0,infinity,false}", "XY", "{watch,P2}"),
        CMDT("{48,P1,R12,2,0,infinity,false}", "cd", "{P1,R12} ok", "{P2,R11} ok"),
        CMD("{50,P1,R13,3,6,0,infinity,false}", "{P1,R13} ok +\"abcdXY\""),
    }},
    {"sendfile: ranges, modes, errors; the file's bytes arrive", {
        CMD("{54,P1,R10,2,$file,0,5,infinity}", "{P1,R10} {ok,5}"),
        CMD("{50,P1,R11,3,5,0,infinity,false}", "{P1,R11} ok +\"01234\""),
        CMD("{54,P1,R12,2,$file,15,0,{nowait,R100}}", "{P1,R12} {ok,5}"),
        CMD("{54,P1,R13,2,$file,18,100,0}", "{P1,R13} {ok,2}"),
        CMD("{54,P1,R14,2,$file,30,0,5000}", "{P1,R14} {ok,0}"),
        CMD("{54,P1,R15,2,$file,-1,0,infinity}", "{P1,R15} {error,einval}"),
        CMD("{50,P1,R16,3,7,0,infinity,false}", "{P1,R16} ok +\"fghijij\""),
        CMD("{54,P1,R17,2,cont,0,0,infinity}",
            "{P1,R17} {raise,{invalid,state}}"),
        CMD("{54,P1,R18,2,{error,{invalid,efile}},0,0,0}",
            "{P1,R18} {error,{invalid,efile}}"),
        CMD("{54,P1,R19,2,{$ospid,999999,0,0},0,0,infinity}",
            "{P1,R19} {error,ebadf}"), /* a descriptor we do not have */
        CMD("{54,P1,R20,1,$file,0,0,infinity}", "{P1,R20} {error,*}"),
        CMD("{50,P1,R21,3,0,0,0,false}", "{P1,R21} {error,timeout}"),
    }},
    {"sendfile waits in the writers' queue behind a split send", {
        CMDT("{48,P1,R10,2,0,infinity,true}", "ab", "{P1,R10} ok",
             "{watch,P1}"),
        CMD("{54,P2,R11,2,$file,0,3,infinity}", "{watch,P2}"),
        CMD("{54,P3,R12,2,$file,3,3,{nowait,R100}}", "{watch,P3}",
            "{P3,R12,{armed,2,R100}} select"),
        CMD("{54,P4,R13,2,$file,0,3,0}", "{P4,R13} {error,timeout}"),
        CMDT("{48,P1,R14,2,0,infinity,false}", "cd", "{P1,R14} ok", "{P2,R11} {ok,3}",
             "{select,P3,2,R100}"),
        CMD("{54,P3,R15,2,$file,3,3,{nowait,R101}}", "{P3,R15} {ok,3}"),
        CMD("{50,P1,R16,3,10,0,infinity,false}",
            "{P1,R16} ok +\"abcd012345\""),
    }},
    {"pid down: owned sockets closed, queued ops dropped, no unwatch", {
        CMD("{24,P9,R10,3,otp,controlling_process,P1}", "{watch,P1}",
            "{P9,R10} ok"),
        CMD("{24,P9,R11,3,otp,controlling_process,P2}",
            "{P9,R11} {error,not_owner}"),
        CMD("{50,P2,R12,3,0,0,infinity,false}", "{watch,P2}"),
        CMD("{34,P1,R13,1,infinity}", NONE),
        CMD("{34,P3,R14,1,infinity}", "{watch,P3}"),
        CMD("{50,P1,R15,2,0,0,{nowait,R100},false}", SEL("P1", "R15", "2", "R100")),
        CMD("{1,P1,R16,0}", "{disarmed,P1,2,R100}", "{P2,R12} {error,closed}"),
        CMD("{1,P1,R17,0}", NONE),
        CMD("{50,P1,R18,3,0,0,0,false}", "{P1,R18} {error,closed}"),
        DIAL(),
        RUN("{P3,R14} {ok,4}"), /* P3 now heads the acceptors */
        CMD("{50,P4,R19,2,0,0,0,false}", "{P4,R19} {error,closed}"), /* 3's EOF */
    }},
    {"pid down of a signalled head: the next waiter is served", {
        CMD("{50,P1,R10,3,0,0,{nowait,R100},false}", "{watch,P1}",
            SEL("P1", "R10", "3", "R100")),
        CMD("{50,P2,R11,3,0,0,infinity,false}", "{watch,P2}"),
        PEER("abc"),
        RUN("{select,P1,3,R100}"),
        CMD("{1,P1,R12,0}", "{P2,R11} ok +\"abc\""),
    }},
    {"pid down after an owner change closes nothing of the new owner", {
        CMD("{24,P9,R10,3,otp,controlling_process,P1}", "{watch,P1}",
            "{P9,R10} ok"),
        CMD("{1,P9,R11,0}", NONE),
        LATER("{50,P1,R12,3,0,0,infinity,false}"), /* its peer 2 closed */
        RUN("{P1,R12} {error,closed}"),
        CMD("{19,P1,R13,3}", "{P1,R13} ok"),
    }},
};

START_TEST(test_scenario)
{
    const struct scenario *sc = &scenarios[_i / 2];
    pair(_i % 2);
    run_steps(sc->steps, N(sc->steps), sc->name);
    finish();
}
END_TEST

/* ---- the dispatcher ---------------------------------------------------------- */

#define LOG "{log,error,<<\"malformed command*\">>}"
#define EINVAL_P1 "{P1,R1} {error,einval}"

/* Commands on the TCP pair (socket 3 open): the term, a tail, the frames. */
static const struct step dispatch_rows[] = {
    CMD("{99,P1,R1,0}", LOG, EINVAL_P1),               /* unknown opcode */
    CMD("{0,P1,R1,0}", LOG, EINVAL_P1),
    CMD("{-1,P1,R1,0}", LOG, EINVAL_P1),
    CMD("{50,P1,R1,3,0,0}", LOG, EINVAL_P1),           /* wrong arity */
    CMD("{50,P1,R1,3,0,0,infinity,x}", LOG, EINVAL_P1),
    CMD("{19,P1,R1,3,x}", LOG, EINVAL_P1),
    CMD("{16,P1,R1,0,inet,stream,tcp}", LOG, EINVAL_P1),
    CMD("{19,P1,R1}", LOG),                            /* no Id */
    CMD("{19,P1}", LOG),
    CMD("{}", LOG),
    CMD("{19,foo,R1,3}", LOG),                         /* Pid no pid */
    CMD("{19,R1,P1,3}", LOG),
    CMD("{19,<<\"P1\">>,R1,3}", LOG),
    CMD("{close,P1,R1,3}", LOG),                       /* Op no integer */
    CMD("{19,P1,R1,-3}", LOG, EINVAL_P1),              /* bad Id */
    CMD("{19,P1,R1,abc}", LOG, EINVAL_P1),
    CMD("[19,P1,R1,3]", LOG),                          /* no tuple */
    CMD("foo", LOG),
    CMD("{19,P1,R1,77}", "{P1,R1} {error,closed}"),    /* unknown socket */
    CMD("{19,P1,R1,0}", "{P1,R1} {error,closed}"),
    CMD("{50,P1,R1,9223372036854775807,0,0,0,false}", "{P1,R1} {error,closed}"),
    CMDT("{19,P1,R1,3}", "xx", LOG, EINVAL_P1),        /* trailing bytes */
    CMDT("{19,P1,R1,3}", "\x83j", LOG, EINVAL_P1),     /* a second term */
    CMDT("{16,P1,R1,0,inet,stream,tcp,[]}", "z", LOG, EINVAL_P1),
    CMDT("{1,P1,R1,0}", "z", LOG, EINVAL_P1),
    CMD("{21,P1,R1,3}", "{P1,R1} {ok,{inet,{127,0,0,1},*}}"), /* 3 lives */
    CMD("{50,P1,R1,3,0,0,{nowait},false}", LOG, EINVAL_P1),  /* bad Mode */
    CMD("{50,P1,R1,3,0,0,{later,R5},false}", LOG, EINVAL_P1),
    CMD("{50,P1,R1,3,0,0,{nowait,R5,x},false}", LOG, EINVAL_P1),
    CMD("{50,P1,R1,3,0,0,{nowait,[]},false}", "{watch,P1}",  /* any handle */
        "{P1,R1,{armed,3,[]}} select"),
    CMD("{50,P1,R1,3,0,0,-1,false}", LOG, EINVAL_P1),
    CMD("{50,P1,R1,3,0,0,4294967296,false}", LOG, EINVAL_P1),
    CMD("{50,P1,R1,3,0,0,forever,false}", LOG, EINVAL_P1),
    CMD("{50,P1,R1,3,67108865,0,0,false}", LOG, EINVAL_P1),  /* bad Length */
    CMD("{50,P1,R1,3,0,-1,0,false}", LOG, EINVAL_P1),        /* bad Flags */
    CMD("{64,P1,R1,3,bogus,R5}", LOG, EINVAL_P1),      /* bad Kind */
    CMD("{20,P1,R1,3,sideways}", LOG, EINVAL_P1),      /* bad How */
    CMD("{18,P1,R1,3,x}", LOG, EINVAL_P1),             /* bad Backlog */
    CMD("{17,P1,R1,3,{inet,{1,2,3},0}}", LOG, EINVAL_P1), /* bad Addr */
    CMD("{17,P1,R1,3,{inet,{1,2,3,4},65536}}", LOG, EINVAL_P1),
    /* SENDMSG: the VM's marks answered in the NIF's order */
    CMDT("{52,P1,R1,3,undefined,[],1,0,infinity,false}", "hi", "{P1,R1} ok"),
    CMD("{52,P1,R1,3,invalid,invalid,invalid,0,infinity,false}",
        "{P1,R1} {error,{invalid,addr}}"),
    CMD("{52,P1,R1,3,undefined,invalid,invalid,0,infinity,false}",
        "{P1,R1} {error,{invalid,iov}}"),
    CMD("{52,P1,R1,3,undefined,invalid,1,0,infinity,false}",
        "{P1,R1} {error,{invalid,ctrl}}"),
    CMD("{52,P1,R1,3,{error,eacces},[{0,1,{int,0}}],1,0,infinity,false}",
        "{P1,R1} {error,eacces}"),
    CMD("{52,P1,R1,3,undefined,[{1,1,{int,0}}],1,0,infinity,false}",
        "{P1,R1} {error,ebadf}"),                      /* stdin: not ours */
    CMDT("{52,P1,R1,3,undefined,[{0,1,{int,16}},{0,2,{timeval,1,2}}],2,0,0,false}",
         "ab", "{P1,R1} ok"),                          /* tcp ignores them */
    CMD("{52,P1,R1,3,undefined,[{0,1,foo}],1,0,infinity,false}", LOG, EINVAL_P1),
    CMD("{52,P1,R1,3,undefined,[{0,1}],1,0,infinity,false}", LOG, EINVAL_P1),
    CMD("{52,P1,R1,3,undefined,[{0,1,{int,2147483648}}],1,0,0,false}", LOG, EINVAL_P1),
    CMD("{52,P1,R1,3,undefined,[],-1,0,infinity,false}", LOG, EINVAL_P1),
    CMD("{52,P1,R1,3,nowhere,[],1,0,infinity,false}", LOG, EINVAL_P1),
    CMD("{52,P1,R1,3,undefined,[],1,0,infinity}", LOG, EINVAL_P1),
    /* RECVMSG */
    CMD("{53,P1,R1,3,0,0,0,0}", "{P1,R1} {error,timeout}"),
    CMD("{53,P1,R1,3,67108865,0,0,0}", EINVAL_P1),     /* BufSz over 64 MiB */
    CMD("{53,P1,R1,3,-1,0,0,0}", LOG, EINVAL_P1),       /* bad BufSz */
    CMD("{53,P1,R1,3,0,-1,0,0}", LOG, EINVAL_P1),       /* bad CtrlSz */
    CMD("{53,P1,R1,3,0,0,2147483648,0}", LOG, EINVAL_P1),
    CMD("{53,P1,R1,3,0,0,0,0,x}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,cont,0,0}", LOG, EINVAL_P1),      /* SENDFILE */
    CMD("{54,P1,R1,3,foo,0,0,infinity}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,{1,2,3},0,0,infinity}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,{0,2,3,4},0,0,infinity}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,{1,-2,3,4},0,0,infinity}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,{1,2,-3,4},0,0,infinity}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,{error},0,0,infinity}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,{oops,x},0,0,infinity}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,cont,x,0,infinity}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,cont,0,-1,infinity}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,cont,0,0,forever}", LOG, EINVAL_P1),
    CMD("{54,P1,R1,3,cont,0,0,infinity}", "{P1,R1} {raise,{invalid,state}}"),
    CMD("{54,P1,R1,3,{error,einval},0,0,infinity}", "{P1,R1} {error,einval}"),
    CMD("{54,P1,R1,3,{1,999999,0,0},0,0,nowait}", LOG, EINVAL_P1),
    CMD("{16,P1,R1,0,inet,stream,tcp,[]}", "{watch,P1}", "{P1,R1} {ok,4}"),
    /* IOCTL: Request, Arg1, Arg2 */
    CMD("{27,P1,R1,3,gifmtu,<<\"lo\">>,undefined}", "{P1,R1} {ok,*}"),
    CMD("{27,P1,R1,3,nread,undefined,undefined}", "{P1,R1} {ok,0}"),
    CMD("{27,P1,R1,3,gifmtu,invalid,undefined}", "{P1,R1} {raise,badarg}"),
    CMD("{27,P1,R1,3,sifmtu,<<\"nosuch0\">>,invalid}", "{P1,R1} {invalid,mtu}"),
    CMD("{27,P1,R1,3,sifmtu,invalid,invalid}", "{P1,R1} {raise,badarg}"),
    CMD("{27,P1,R1,3,rcvall,undefined,undefined}",
        "{P1,R1} {error,{invalid,{ioctl_request,rcvall}}}"),
    CMD("{27,P1,R1,77,gifmtu,invalid,undefined}", "{P1,R1} {error,closed}"),
    CMD("{27,P1,R1,3,gifmtu,lo,undefined}", LOG, EINVAL_P1),
    CMD("{27,P1,R1,3,gifmtu,<<\"lo\">>,x}", LOG, EINVAL_P1),
    CMD("{27,P1,R1,3,gifmtu,<<\"lo\">>}", LOG, EINVAL_P1),
    CMD("{27,P1,R1,3,nread,x,undefined}", LOG, EINVAL_P1),
    CMD("{27,P1,R1,3,gifname,4294967296,undefined}", LOG, EINVAL_P1),
    CMD("{27,P1,R1,3,sifflags,<<\"lo\">>,{1,65536}}", LOG, EINVAL_P1),
    CMD("{27,P1,R1,3,sifaddr,<<\"lo\">>,{inet,{1,2,3},0}}", LOG, EINVAL_P1),
    CMD("{27,P1,R1,3,<<\"gifmtu\">>,<<\"lo\">>,undefined}", LOG, EINVAL_P1),
    /* OPEN_FD: FD, Dup, Domain, Type, Protocol, Opts */
    CMD("{28,P1,R1,0,-1,true,undefined,undefined,undefined,[]}",
        "{P1,R1} {error,{invalid,domain}}"),
    CMD("{28,P1,R1,0,-1,true,2,invalid,undefined,[]}",
        "{P1,R1} {error,{invalid,type}}"),
    CMD("{28,P1,R1,0,0,true,2,1,6,[]}", "{P1,R1} {error,ebadf}"),
    CMD("{28,P1,R1,0,1073741824,false,2,1,undefined,[]}", "{P1,R1} {error,ebadf}"),
    CMD("{28,P1,R1,0,3,x,undefined,undefined,undefined,[]}", LOG, EINVAL_P1),
    CMD("{28,P1,R1,0,4294967296,true,2,1,6,[]}", LOG, EINVAL_P1),
    CMD("{28,P1,R1,0,-1,true,2,stream,6,[]}", LOG, EINVAL_P1),
    CMD("{28,P1,R1,0,-1,true,2,1,6}", LOG, EINVAL_P1),
};

START_TEST(test_dispatch_row)
{
    pair(false);
    run_steps(&dispatch_rows[_i], 1, "dispatch row");
    finish();
}
END_TEST

/* Every proper prefix of a valid command: a log, and {error, einval} once
 * Op, Pid and Ref are whole; nothing else changes. */
static const char *const truncated[] = {
    "{16,P1,R1,0,inet,stream,tcp,[{debug,true}]}",
    "{50,P1,R1,3,5,0,{nowait,R100},false}",
    "{50,P1,R1,3,0,0,4294967295,false}",
    "{64,P1,R1,3,recv,R100}",
    "{17,P1,R1,3,{inet,{127,0,0,1},0}}",
    "{32,P1,R1,2,{inet6,{0,0,0,0,0,0,0,1},80,0,0},5000}",
    "{17,P1,R1,3,{local,<<\"/tmp/x\">>}}",
    "{20,P1,R1,3,read_write}",
    "{19,P1,R1,3}",
    "{1,P1,R1,0}",
};

START_TEST(test_truncated)
{
    pair(false);
    ei_x_buff x, from;
    long op;
    encode_text(&x, truncated[_i]);
    ck_assert_int_eq(sscanf(truncated[_i], "{%ld,", &op), 1);
    /* where Op, Pid and Ref end */
    erlang_pid p1 = mkpid(1);
    erlang_ref r1 = mkref(1);
    ei_x_new_with_version(&from);
    ei_x_encode_tuple_header(&from, 4);
    ei_x_encode_long(&from, op);
    ei_x_encode_pid(&from, &p1);
    ei_x_encode_ref(&from, &r1);
    for (int cut = 0; cut < x.index; cut++) {
        const char *with[] = {LOG, EINVAL_P1}, *without[] = {LOG};
        char where[64];
        snprintf(where, sizeof where, "cut at %d of %d", cut, x.index);
        dispatch(x.buff, (size_t)cut);
        if (cut >= from.index)
            expect_frames(with, 2, where);
        else
            expect_frames(without, 1, where);
        check_invariants(&H.d);
        check_router(&H.d);
        ck_assert_uint_eq(H.d.socks.count, 3);
        ck_assert_uint_eq(H.d.pids.count, 1);
    }
    ei_x_free(&from);
    ei_x_free(&x);
    finish();
}
END_TEST

/* ---- hostile terms built byte by byte ------------------------------------- */

static void put(ei_x_buff *x, const void *p, size_t n)
{
    ei_x_append_buf(x, p, (int)n);
}

static void put_be(ei_x_buff *x, uint32_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        unsigned char c = (unsigned char)(v >> (8 * i));
        put(x, &c, 1);
    }
}

/* A NEW_PID_EXT whose node is an ATOM_UTF8_EXT of n bytes: 16 + n bytes. */
static void put_big_pid(ei_x_buff *x, size_t n, unsigned num)
{
    put(x, "X" "v", 2);
    put_be(x, (uint32_t)n, 2);
    for (size_t i = 0; i < n; i++)
        put(x, "a", 1);
    put_be(x, num, 4);
    put_be(x, 0, 4);
    put_be(x, 1, 4);
}

static void head(ei_x_buff *x, int arity, long op)
{
    erlang_pid p = mkpid(1);
    erlang_ref r = mkref(1);
    ei_x_new_with_version(x);
    ei_x_encode_tuple_header(x, arity);
    ei_x_encode_long(x, op);
    ei_x_encode_pid(x, &p);
    ei_x_encode_ref(x, &r);
}

static void h_pid_513(ei_x_buff *x)
{
    erlang_ref r = mkref(1);
    ei_x_new_with_version(x);
    ei_x_encode_tuple_header(x, 4);
    ei_x_encode_long(x, 99);
    put_big_pid(x, 497, 1);
    ei_x_encode_ref(x, &r);
    ei_x_encode_long(x, 0);
}

static void h_pid_512(ei_x_buff *x)
{
    erlang_ref r = mkref(1);
    ei_x_new_with_version(x);
    ei_x_encode_tuple_header(x, 4);
    ei_x_encode_long(x, 99);
    put_big_pid(x, 496, 7);
    ei_x_encode_ref(x, &r);
    ei_x_encode_long(x, 0);
}

static void h_pid_opened(ei_x_buff *x) /* a 512-byte pid owns a socket */
{
    erlang_ref r = mkref(1);
    ei_x_new_with_version(x);
    ei_x_encode_tuple_header(x, 8);
    ei_x_encode_long(x, SP_OP_OPEN);
    put_big_pid(x, 496, 7);
    ei_x_encode_ref(x, &r);
    ei_x_encode_long(x, 0);
    ei_x_encode_atom(x, "inet");
    ei_x_encode_atom(x, "stream");
    ei_x_encode_atom(x, "tcp");
    ei_x_encode_empty_list(x);
}

static void h_ref_huge(ei_x_buff *x) /* NEWER_REFERENCE_EXT of 200 words */
{
    erlang_pid p = mkpid(1);
    ei_x_new_with_version(x);
    ei_x_encode_tuple_header(x, 4);
    ei_x_encode_long(x, 99);
    ei_x_encode_pid(x, &p);
    put(x, "Z", 1);
    put_be(x, 200, 2);
    put(x, "w\x03t@h", 5);
    put_be(x, 1, 4);
    for (int i = 0; i < 200; i++)
        put_be(x, (uint32_t)i, 4);
    ei_x_encode_long(x, 0);
}

static void h_handle_huge(ei_x_buff *x)
{
    static char big[600];
    head(x, 7, SP_OP_RECV);
    ei_x_encode_long(x, 3);
    ei_x_encode_long(x, 0);
    ei_x_encode_long(x, 0);
    ei_x_encode_tuple_header(x, 2);
    ei_x_encode_atom(x, "nowait");
    ei_x_encode_binary(x, big, sizeof big);
}

/* OPEN whose Opts nest `depth` lists, closed by `nils` []: built in one
 * buffer (ei_x grows in small steps, slow under ASan). */
static void deep_open(ei_x_buff *x, size_t depth, size_t nils)
{
    char *b = malloc(depth * 5 + nils);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < depth; i++)
        memcpy(b + 5 * i, "l\0\0\0\1", 5);
    memset(b + 5 * depth, ERL_NIL_EXT, nils);
    head(x, 8, SP_OP_OPEN);
    ei_x_encode_long(x, 0);
    ei_x_encode_atom(x, "inet");
    ei_x_encode_atom(x, "stream");
    ei_x_encode_atom(x, "tcp");
    put(x, b, depth * 5 + nils);
    free(b);
}

static void h_deep_opts(ei_x_buff *x)
{
    deep_open(x, 100000, 100001);
}

static void h_deep_unclosed(ei_x_buff *x) /* one [] short */
{
    deep_open(x, 100000, 100000);
}

static void h_tuple_huge(ei_x_buff *x) /* LARGE_TUPLE of 2^32-1 */
{
    ei_x_new_with_version(x);
    put(x, "i\xff\xff\xff\xff", 5);
    ei_x_encode_long(x, 19);
}

static void h_list_huge(ei_x_buff *x) /* Opts: LIST_EXT of 2^32-1 */
{
    head(x, 8, SP_OP_OPEN);
    ei_x_encode_long(x, 0);
    ei_x_encode_atom(x, "inet");
    ei_x_encode_atom(x, "stream");
    ei_x_encode_atom(x, "tcp");
    put(x, "l\xff\xff\xff\xff", 5);
    ei_x_encode_empty_list(x);
}

static void h_binary_huge(ei_x_buff *x) /* a local path of 2^32-1 bytes */
{
    head(x, 5, SP_OP_BIND);
    ei_x_encode_long(x, 3);
    ei_x_encode_tuple_header(x, 2);
    ei_x_encode_atom(x, "local");
    put(x, "m\xff\xff\xff\xff" "abc", 8);
}

static void h_big_id(ei_x_buff *x) /* Id: a 100-byte bignum */
{
    head(x, 4, SP_OP_CLOSE);
    put(x, "n\x64\x00", 3);
    for (int i = 0; i < 100; i++)
        put(x, "\xff", 1);
}

static void h_big_op(ei_x_buff *x)
{
    erlang_pid p = mkpid(1);
    erlang_ref r = mkref(1);
    ei_x_new_with_version(x);
    ei_x_encode_tuple_header(x, 4);
    put(x, "n\x10\x00", 3);
    for (int i = 0; i < 16; i++)
        put(x, "\x01", 1);
    ei_x_encode_pid(x, &p);
    ei_x_encode_ref(x, &r);
    ei_x_encode_long(x, 3);
}

static void h_atom_long(ei_x_buff *x) /* How: 255 two-byte characters */
{
    head(x, 5, SP_OP_SHUTDOWN);
    ei_x_encode_long(x, 3);
    put(x, "v\x01\xfe", 3);
    for (int i = 0; i < 255; i++)
        put(x, "\xc3\xa9", 2);
}

static void h_compressed(ei_x_buff *x)
{
    ei_x_new_with_version(x);
    put(x, "P\x00\x00\x00\x10" "xxxx", 9);
}

static void h_version_only(ei_x_buff *x)
{
    ei_x_new_with_version(x);
}

static const struct hostile {
    const char *name;
    void (*build)(ei_x_buff *x);
    const char *expect[4];
} hostile[] = {
    {"pid of 513 bytes", h_pid_513, {LOG}},
    {"pid of 512 bytes", h_pid_512, {LOG, "{P7,R1} {error,einval}"}},
    {"512-byte pid opens", h_pid_opened, {"{watch,P7}", "{P7,R1} {ok,4}"}},
    {"ref of 800 bytes", h_ref_huge, {LOG}},
    {"handle of 605 bytes", h_handle_huge, {LOG, EINVAL_P1}},
    {"opts 100000 deep", h_deep_opts, {"{watch,P1}", "{P1,R1} {ok,4}"}},
    {"opts 100000 deep, unclosed", h_deep_unclosed, {LOG, EINVAL_P1}},
    {"tuple of 2^32-1", h_tuple_huge, {LOG}},
    {"list of 2^32-1", h_list_huge, {LOG, EINVAL_P1}},
    {"binary of 2^32-1", h_binary_huge, {LOG, EINVAL_P1}},
    {"Id of 100 bytes", h_big_id, {LOG, EINVAL_P1}},
    {"Op of 16 bytes", h_big_op, {LOG}},
    {"atom of 510 bytes", h_atom_long, {LOG, EINVAL_P1}},
    {"compressed term", h_compressed, {LOG}},
    {"version byte only", h_version_only, {LOG}},
};

START_TEST(test_hostile)
{
    const struct hostile *h = &hostile[_i];
    ei_x_buff x;
    int ne = 0;
    pair(false);
    h->build(&x);
    dispatch(x.buff, (size_t)x.index);
    ei_x_free(&x);
    while (ne < (int)N(h->expect) && h->expect[ne])
        ne++;
    expect_frames(h->expect, ne, h->name);
    check_invariants(&H.d);
    check_router(&H.d);
    dispatch("", 0); /* an empty frame, too */
    expect_frames((const char *[]){LOG}, 1, "empty frame");
    finish();
}
END_TEST

/* ---- introspection: counters, INFO, SOCKETS, GLOBAL, MONITOR --------------- */

#define INFO_HEAD "{ok,[{domain,inet},{type,stream},{protocol,tcp},{owner,P9}," \
                  "{ctype,normal},{counters,["
#define SOCK "{*,inet,stream,tcp,P9}"

/* On the TCP pair, socket 3's read_byte set 2 below its wrap. */
static const struct step info_steps[] = {
    CMD("{24,P9,R10,3,otp,iow,true}", "{P9,R10} ok"),
    CMD("{50,P9,R11,3,3,0,infinity,false}", NONE), /* parks: one try */
    PEER("abc"),
    RUN("{counter_wrap,P9,3,read_byte}", "{P9,R11} ok +\"abc\""),
    CMD("{81,P9,R12,3}",
        "{P9,R12} " INFO_HEAD "{read_byte,1},{read_fails,0},{read_pkg,1},"
        "{read_pkg_max,3},{read_tries,2},{read_waits,0},{write_byte,0},*"
        "{num_readers,0},{num_writers,0},{num_acceptors,0},"
        "{rstates,[selected]},{wstates,[]},{readable,true},{writable,true}]}"),
    /* The read event is still registered: the next blocking recv waits
     * for it without a read, and counts the read OTP would have made. */
    CMD("{50,P9,R40,3,2,0,infinity,false}", NONE),
    PEER("de"),
    RUN("{P9,R40} ok +\"de\""),
    CMD("{81,P9,R41,3}",
        "{P9,R41} " INFO_HEAD "{read_byte,3},{read_fails,0},{read_pkg,2},"
        "{read_pkg_max,3},{read_tries,4},*"),
    CMDT("{48,P9,R13,2,0,infinity,false}", "hi there", "{P9,R13} ok"),
    CMD("{81,P9,R14,2}",
        "{P9,R14} " INFO_HEAD "{read_byte,0},*,{write_byte,8},"
        "{write_fails,0},{write_pkg,1},{write_pkg_max,8},{write_tries,1},"
        "{write_waits,0},{acc_success,0},*{wstates,[connected*]},*"),
    CMD("{81,P9,R15,1}",
        "{P9,R15} " INFO_HEAD "*{acc_success,1},{acc_fails,0},*"
        "{rstates,[bound,listening*]},{wstates,[connected]},*"),
    CMD("{82,P9,R16,0}", "{P9,R16} {ok,[" SOCK "," SOCK "," SOCK "]}"),
    CMD("{16,P9,R17,0,inet,dgram,udp,[{use_registry,false},{debug,x},{y,1}]}",
        "{P9,R17} {ok,4}"),
    CMD("{82,P9,R18,0}", "{P9,R18} {ok,[" SOCK "," SOCK "," SOCK "]}"),
    CMD("{83,P9,R19,0,[]}",
        "{P9,R19} {ok,[{counters,[{num_cnt_bits,64},{num_dinet,4},"
        "{num_dinet6,0},{num_dlocal,0},{num_pip,0},{num_psctp,0},{num_ptcp,3},"
        "{num_pudp,1},{num_sockets,4},{num_tdgrams,1},{num_tseqpkgs,0},"
        "{num_tstreams,3}]},{iov_max,*},{debug,false}]}"),
    CMD("{83,P9,R20,0,[{debug,true}]}", "{P9,R20} {ok,[*{debug,true}]}"),
    CMD("{21,P9,R21,3}", "{log,debug,<<\"command SOCKNAME on socket 3\">>}",
        "{P9,R21} {ok,*}"),
    CMD("{19,P9,R22,77}", "{log,debug,<<\"command CLOSE on socket 77 (not open)\">>}",
        "{P9,R22} {error,closed}"),
    CMD("{83,P9,R23,0,[{debug,false}]}",
        "{log,debug,<<\"command GLOBAL on socket 0\">>}",
        "{P9,R23} {ok,[*{debug,false}]}"),
    CMD("{83,P9,R24,0,[{debug,maybe}]}", LOG, "{P9,R24} {error,einval}"),
    CMD("{83,P9,R24,0,[{other,true}]}", LOG, "{P9,R24} {error,einval}"),
    CMD("{83,P9,R24,0,foo}", LOG, "{P9,R24} {error,einval}"),
    CMD("{81,P9,R24,3,x}", LOG, "{P9,R24} {error,einval}"),
    CMD("{82,P9,R24,0,x}", LOG, "{P9,R24} {error,einval}"),
    CMD("{80,P9,R25,99}", "{P9,R25} {error,nosock}"),
    CMD("{80,P9,R25,0}", "{P9,R25} {error,nosock}"),
    CMD("{19,P9,R26,4}", "{P9,R26} ok"),
    CMD("{80,P9,R27,4}", "{P9,R27} {error,closed}"),
    CMD("{81,P9,R28,4}",
        "{P9,R28} {ok,[{domain,inet},{type,dgram},{protocol,udp},"
        "{owner,undefined},{ctype,normal},*{num_readers,0},{num_writers,0},"
        "{num_acceptors,0},{rstates,[closing,closed]},"
        "{wstates,[closing,closed]},{readable,false},{writable,false}]}"),
    CMD("{20,P9,R29,3,write}", "{P9,R29} ok"),
    CMD("{81,P9,R30,3}", "{P9,R30} {ok,*{readable,true},{writable,false}]}"),
};

START_TEST(test_info)
{
    pair(false);
    sock(3)->cnt.v[SP_CNT_READ_BYTE] = UINT64_MAX - 1;
    run_steps(info_steps, N(info_steps), "info");
    /* A wrap without {otp, iow}: no event, the counter still wraps. */
    sock(2)->cnt.v[SP_CNT_WRITE_TRIES] = UINT64_MAX;
    sp_cnt_write_try(&H.d, sock(2));
    ck_assert_uint_eq(sock(2)->cnt.v[SP_CNT_WRITE_TRIES], 0);
    expect_frames(NULL, 0, "wrap without iow");
    /* The closed socket 4 is forgotten after 1024 later closes. */
    struct sp_sock fake;
    memset(&fake, 0, sizeof fake);
    for (uint64_t id = 1000; id < 1000 + 1024; id++) {
        fake.id = id;
        sp_tomb_keep(&H.d, &fake);
    }
    run_steps((const struct step[]){
                  CMD("{81,P9,R31,4}", "{P9,R31} {error,closed}"),
                  CMD("{81,P9,R32,1000}", "{P9,R32} {ok,[{domain,unspec},{type,0},*"),
              }, 2, "info of forgotten sockets");
    finish();
}
END_TEST

/* ---- STATS and limit events ------------------------------------------------ */

#define STATS_LIMITS                                                          \
    "{limits,[{max_sockets,4},{max_waiters,65536},{out_high,*},"                \
    "{max_parked_bytes,268435456}]}"

START_TEST(test_stats)
{
    pair(false); /* sockets 1, 2 and 3 */
    H.d.limits.max_sockets = 4;
    run_steps((const struct step[]){
        CMD("{84,P9,R1,0}",
            "{P9,R1} {ok,[{sockets,3},{sockets_peak,3},{pids,*},{out_queue,*},"
            "{commands,*},{malformed_commands,0},{dropped_frames,0},{seccomp,false},{landlock,0},{busy_poll_us,0},"
            STATS_LIMITS ",{limit_hits,[{max_sockets,0},{max_waiters,0},"
            "{out_high,0},{max_parked_bytes,0}]}]}"),
        CMD("{16,P9,R2,0,inet,dgram,udp,[]}", "{P9,R2} {ok,4}"),
        /* the first hit is said at once */
        CMD("{16,P9,R3,0,inet,dgram,udp,[]}", "{limit,max_sockets,4,1}",
            "{P9,R3} {error,emfile}"),
    }, 3, "stats, first hit");
    /* Within a second of the last event: counted, not said. */
    H.d.stats.limit_said[SP_LIMIT_SOCKETS] = INT64_MAX / 2;
    run_steps((const struct step[]){
        CMD("{16,P9,R4,0,inet,dgram,udp,[]}", "{P9,R4} {error,emfile}"),
    }, 1, "stats, hit within the second");
    /* Later: said with every hit so far. */
    H.d.stats.limit_said[SP_LIMIT_SOCKETS] = 0;
    run_steps((const struct step[]){
        CMD("{16,P9,R5,0,inet,dgram,udp,[]}", "{limit,max_sockets,4,3}",
            "{P9,R5} {error,emfile}"),
        CMD("{84,P9,R6,0,x}", LOG, "{P9,R6} {error,einval}"),
        CMD("{19,P9,R7,4}", "{P9,R7} ok"),
        CMD("{84,P9,R8,0}",
            "{P9,R8} {ok,[{sockets,3},{sockets_peak,4},{pids,*},{out_queue,*},"
            "{commands,*},{malformed_commands,1},{dropped_frames,0},{seccomp,false},{landlock,0},{busy_poll_us,0},"
            STATS_LIMITS ",{limit_hits,[{max_sockets,3},{max_waiters,0},"
            "{out_high,0},{max_parked_bytes,0}]}]}"),
    }, 4, "stats, later hit");
    finish();
}
END_TEST

/* ---- output: one write per turn of the loop ---------------------------------- */

static bool pipe_empty(void)
{
    struct pollfd p = {.fd = H.pipefd[0], .events = POLLIN};
    return poll(&p, 1, 0) == 0;
}

/* Callbacks only queue their frames, so that a turn of the loop serving
 * many sockets leaves in one write; sp_run_pass writes at the turn's end. */
START_TEST(test_flush_per_pass)
{
    pair(false);
    run_steps((const struct step[]){
        CMD("{50,P1,R10,3,0,0,infinity,false}", "{watch,P1}"),
    }, 1, "a parked recv");
    peer_write("abc");
    event_base_loop(H.d.base, EVLOOP_ONCE);
    ck_assert_msg(pipe_empty(), "a callback wrote its frame itself");
    ck_assert_uint_gt(sp_outq_len(&H.d.out), 0);
    sp_out_flush(&H.d);
    collect();
    expect_frames((const char *const[]){"{P1,R10} ok +\"abc\""}, 1,
                  "the queued reply");

    run_steps((const struct step[]){
        CMD("{50,P1,R11,3,0,0,infinity,false}", NONE),
    }, 1, "a second parked recv");
    peer_write("def");
    ck_assert_int_eq(sp_run_pass(&H.d), 0);
    ck_assert_uint_eq(sp_outq_len(&H.d.out), 0);
    ck_assert_msg(!pipe_empty(), "the turn ended without writing");
    collect();
    expect_frames((const char *const[]){"{P1,R11} ok +\"def\""}, 1,
                  "the turn's reply");
    finish();
}
END_TEST

/* ---- busy polling --------------------------------------------------------- */

static void write_peer_later(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    ck_assert_int_eq(send(sock(2)->fd, "jkl", 3, MSG_NOSIGNAL), 3);
}

static double mono_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A turn that polls ends as soon as the poll finds work: here data that
 * arrives 50 ms into a 5 s poll, for a parked recv. */
START_TEST(test_busy_poll_finds_work)
{
    pair(false);
    run_steps((const struct step[]){
        CMD("{50,P1,R12,3,0,0,infinity,false}", "{watch,P1}"),
    }, 1, "a parked recv");
    H.d.busy_poll_us = 5000000;
    struct timeval later = {0, 50000};
    ck_assert_int_eq(event_base_once(H.d.base, -1, EV_TIMEOUT,
                                     write_peer_later, NULL, &later), 0);
    double t0 = mono_s();
    /* the timer's turn finds nothing to say; the data's turn does */
    while (pipe_empty() && mono_s() - t0 < 4)
        ck_assert_int_eq(sp_run_pass(&H.d), 0);
    ck_assert_double_lt(mono_s() - t0, 2);
    collect();
    expect_frames((const char *const[]){"{P1,R12} ok +\"jkl\""}, 1,
                  "the reply found by polling");
    H.d.busy_poll_us = 0;
    finish();
}
END_TEST

static void ignore_input(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

/* A descriptor that stays readable because its callback does not read (a
 * socket while the VM is behind) must not keep a polling turn going: the
 * turn ends, and its flush is what lets such sockets be read again. */
START_TEST(test_busy_poll_ends)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    struct event *ev = event_new(H.d.base, fds[0], EV_READ | EV_PERSIST,
                                 ignore_input, NULL);
    ck_assert_ptr_nonnull(ev);
    ck_assert_int_eq(event_add(ev, NULL), 0);
    H.d.busy_poll_us = 1000;
    double t0 = mono_s();
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(sp_run_pass(&H.d), 0);
    ck_assert_double_lt(mono_s() - t0, 5);
    H.d.busy_poll_us = 0;
    event_free(ev);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

static Suite *daemon_suite(void)
{
    Suite *s = suite_create("daemon");
    TCase *tc = tcase_create("daemon");
    tcase_set_timeout(tc, 60);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_dispatch_row, 0, (int)N(dispatch_rows));
    tcase_add_loop_test(tc, test_truncated, 0, (int)N(truncated));
    tcase_add_loop_test(tc, test_hostile, 0, (int)N(hostile));
    tcase_add_loop_test(tc, test_scenario, 0, (int)(2 * N(scenarios)));
    tcase_add_test(tc, test_info);
    tcase_add_test(tc, test_stats);
    tcase_add_test(tc, test_flush_per_pass);
    tcase_add_test(tc, test_busy_poll_finds_work);
    tcase_add_test(tc, test_busy_poll_ends);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    ei_init();
    /* as sockportd's main: sendfile(2) has no MSG_NOSIGNAL */
    signal(SIGPIPE, SIG_IGN);
    SRunner *sr = srunner_create(daemon_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
