/* The daemon's state and the interfaces between its parts: the event loop
 * and stdio (io.c), output frames (out.c), the pid table (pids.c), the
 * socket table (socks.c), the operation queues (opq.c) and the command
 * handlers (cmd_*.c). All state lives in one struct sp_daemon passed
 * around; there are no other globals. */
#ifndef SP_DAEMON_H
#define SP_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/queue.h>

#include <event2/event.h>

#include "counters.h"
#include "outq.h"
#include "sp_addr.h"
#include "sp_etf.h"
#include "sp_frame.h"

#define SP_RAW_MAX 512      /* ETF bytes of a pid, ref or handle we accept */
#define SP_HDR_BUF 4096     /* room for the ETF part of one output frame */
#define SP_PID_IDLE_S 1     /* a pid with nothing here is unwatched after 1-2 periods */
#define SP_RCVBUF_DEFAULT 8192
#define SP_CTRLBUF_DEFAULT 1024 /* {otp, rcvctrlbuf | sndctrlbuf} */
#define SP_OUT_HIGH (8u * 1024u * 1024u) /* stop reading sockets above */
#define SP_OUT_LOW (1u * 1024u * 1024u)  /* and resume below */
#define SP_RECV_MAX (64L * 1024 * 1024) /* largest recv Length in one call */
#define SP_BUDGET 16        /* operations completed per socket wakeup */

/* ---- pids (pids.c) ---------------------------------------------------- */

/* A VM process the daemon cares about: it owns sockets or waits on them.
 * Counted; the router monitors it while the count is above zero. */
struct sp_pid {
    struct sp_pid *hnext;
    unsigned refs;
    bool down;      /* PID_DOWN being handled: no unwatch */
    bool idle_seen; /* no refs at the last sweep: unwatched at the next */
    int len;
    char bytes[];
};

struct sp_pid_table {
    struct sp_pid **slots;
    size_t nslots;
    size_t count;
    size_t idle;         /* entries with no refs, kept a while */
    struct event *sweep; /* unwatches entries idle for a sweep period */
};

struct sp_daemon;

/* The entry for `raw`, created (and watched) if new, with one more ref. */
struct sp_pid *sp_pid_get(struct sp_daemon *d, struct sp_raw raw);
struct sp_pid *sp_pid_find(struct sp_daemon *d, struct sp_raw raw);
void sp_pid_ref(struct sp_daemon *d, struct sp_pid *p);
/* Drops a ref. An entry with none is kept, still watched, until a sweep
 * finds it idle for a whole period: a process that parks a call now and
 * then costs no watch and unwatch each time. */
void sp_pid_unref(struct sp_daemon *d, struct sp_pid *p);
/* What the sweep timer does each period: unwatches and frees the entries
 * idle since the last sweep, marks those idle now. */
void sp_pid_sweep(struct sp_daemon *d);
bool sp_pid_is(const struct sp_pid *p, struct sp_raw raw);
struct sp_raw sp_pid_raw(const struct sp_pid *p);
void sp_pid_table_free(struct sp_pid_table *t);

/* ---- operations and their queues (opq.c) ------------------------------ */

struct sp_cmd;

/* Acceptors and readers wait on the read event, connectors and writers on
 * the write event. A connect has a queue of its own, as OTP's connector. */
enum sp_queue { SP_Q_ACCEPT, SP_Q_CONNECT, SP_Q_WRITE, SP_Q_READ, SP_Q__MAX };

/* Whether queue q waits for writability (else readability). */
static inline bool sp_queue_writes(enum sp_queue q)
{
    return q == SP_Q_CONNECT || q == SP_Q_WRITE;
}

enum sp_opkind {
    SP_K_ACCEPT, SP_K_CONNECT, SP_K_SEND, SP_K_SENDTO, SP_K_RECV,
    SP_K_RECVFROM, SP_K_SENDMSG, SP_K_RECVMSG, SP_K_SENDFILE,
    SP_K_IRECV, /* sockport_tcp/udp's framed recv (active.c) */
    SP_K__MAX
};

enum sp_wait { SP_WAIT_INFINITY, SP_WAIT_MS, SP_WAIT_NOWAIT };

struct sp_mode {
    enum sp_wait kind;
    long ms;
    struct sp_raw handle; /* nowait: the select handle */
};

/* The result of one attempt at an operation. */
enum sp_res {
    SP_DONE,  /* answered; the operation is over */
    SP_AGAIN, /* would block; nothing answered */
    SP_HOLD,  /* answered, and more frames of the same call follow: its
               * caller keeps the queue until the next one comes */
};

struct sp_sock;
struct sp_sfile; /* a sendfile's file and progress (cmd_sendfile.c) */
struct sp_inet;  /* sockport_tcp/udp's options and read-ahead (active.c) */

/* One call waiting on (or being tried on) a socket. */
struct sp_op {
    TAILQ_ENTRY(sp_op) link;
    struct sp_sock *sock;
    enum sp_opkind kind;
    struct sp_raw pidraw; /* the caller; these three point into raw[] */
    struct sp_raw ref;    /* reply tag */
    struct sp_raw handle; /* select handle of a nowait call */
    struct sp_pid *pid;   /* counted while queued */
    bool queued;
    bool armed;     /* a nowait call: the caller waits for a select event */
    bool signalled; /* its select event has been sent */
    bool more;      /* not the last frame of a call split by the VM */
    bool hold;      /* a finished frame keeping the queue for the rest */
    bool skipped;   /* parked without the read OTP would try (counters.h) */
    struct timeval skipped_at; /* the loop pass that skipped it */
    struct event *timer;
    /* arguments */
    int flags;
    size_t length;          /* recv: wanted bytes (0: what is there) */
    struct sp_addr to;      /* sendto; sendmsg when has_to */
    bool has_to;            /* sendmsg: a destination was given */
    char *cbuf;             /* sendmsg: its control buffer (owned) */
    size_t clen;            /* sendmsg: bytes in cbuf */
    size_t ctrl_size;       /* recvmsg: control buffer (0: the socket's) */
    /* data gathered or to send */
    char *buf;              /* recv: gathered; send: copy of the data */
    size_t buf_len;
    size_t kept;            /* send: bytes of buf counted in d->parked */
    const char *data;       /* send: the bytes (in the frame, or buf) */
    size_t data_len;
    size_t done;            /* send: bytes written */
    struct sp_sfile *sf;    /* sendfile: owned, freed with the op */
    bool spare_size;        /* raw[] has the room of a reusable op */
    char raw[];
};

TAILQ_HEAD(sp_opq, sp_op);

/* How each kind is tried and answered; rows in opq.c's table. */
struct sp_opclass {
    enum sp_queue queue;
    /* Tries once: answers and returns SP_DONE, or returns SP_AGAIN. */
    enum sp_res (*attempt)(struct sp_daemon *d, struct sp_op *op);
    /* Answers a blocked call whose deadline passed or whose socket closed. */
    void (*fail)(struct sp_daemon *d, struct sp_op *op, const char *reason);
    /* Answers a nowait call that would block (the `select` reply). */
    void (*armed)(struct sp_daemon *d, struct sp_op *op);
    /* Answers a call with timeout 0 that would block. */
    void (*zero)(struct sp_daemon *d, struct sp_op *op);
};

/* A call of `kind` on s; NULL when out of memory. */
struct sp_op *sp_op_new(struct sp_daemon *d, struct sp_sock *s,
                        enum sp_opkind kind, const struct sp_cmd *c,
                        const struct sp_mode *mode);
/* sp_op_new for command c on its socket, answering enomem when it fails. */
struct sp_op *sp_op_begin(struct sp_daemon *d, const struct sp_cmd *c,
                          enum sp_opkind kind, const struct sp_mode *mode);
void sp_op_free(struct sp_daemon *d, struct sp_op *op);
/* Frees the ops sp_op_free kept for reuse (at exit). */
void sp_op_spares_free(struct sp_daemon *d);
/* Frees what a send op holds of its data (and unaccounts it). */
void sp_op_drop_data(struct sp_daemon *d, struct sp_op *op);
/* Runs a new call through its socket's queue with the given mode. */
void sp_op_submit(struct sp_daemon *d, struct sp_op *op,
                  const struct sp_mode *mode);
/* The socket is ready for queue q: serve the head(s). */
void sp_queue_service(struct sp_daemon *d, struct sp_sock *s, enum sp_queue q);
/* Cancels the caller's armed op with this handle; 0 or -1 if none. */
int sp_queue_cancel(struct sp_daemon *d, struct sp_sock *s, enum sp_queue q,
                    struct sp_raw pid, struct sp_raw handle);
/* Drops the head of q if it is a signalled armed op (its caller finished
 * the call another way). */
void sp_queue_drop_signalled(struct sp_daemon *d, struct sp_sock *s,
                             enum sp_queue q);
/* Drops every op of this pid on the socket, serving who is next. */
void sp_queue_drop_pid(struct sp_daemon *d, struct sp_sock *s,
                       const struct sp_pid *p);
/* Answers every op on the socket: parked ones fail with `reason`, armed
 * ones get an abort. */
void sp_queue_flush(struct sp_daemon *d, struct sp_sock *s, const char *reason);
/* Answers every other op in op's queue as sp_queue_flush does (OTP's NIF
 * fails the waiting writers when the current writer's send fails). */
void sp_queue_fail_others(struct sp_daemon *d, const struct sp_op *op,
                          const char *reason);
const struct sp_opclass *sp_opclass_of(enum sp_opkind kind);

/* ---- sockets (socks.c) ------------------------------------------------- */

struct sp_sock {
    struct sp_sock *hnext;
    struct sp_daemon *d; /* for the event callbacks */
    uint64_t id;
    int fd;
    int domain, type, protocol;
    struct sp_pid *owner;
    struct event *ev_read;
    struct event *ev_write;
    bool reading, writing; /* ev_read, ev_write are added (sp_sock_watch) */
    struct sp_opq q[SP_Q__MAX];
    unsigned nq[SP_Q__MAX];
    size_t rcvbuf;      /* {otp, rcvbuf}: bytes read for recv(S, 0) */
    unsigned rcvbuf_n;  /* {otp, rcvbuf} {N, Size}: N (kept, not used) */
    size_t rcvctrlbuf, sndctrlbuf; /* {otp, rcv|sndctrlbuf} (kept) */
    bool debug, iow, use_registry; /* {otp, debug | iow | use_registry} */
    char *meta;         /* {otp, meta}: the term's ETF bytes, or NULL */
    int meta_len;
    bool connecting;    /* a non-blocking connect is in progress */
    bool listening;
    bool stalled;       /* reads paused by output back-pressure */
    bool monitored;     /* the router wants to hear of its close */
    struct sp_counters cnt; /* info/1: counters and states (counters.h) */
    struct sp_inet *inet; /* gen_tcp-style options, or NULL (active.c) */
    int *rights;        /* descriptors received with SCM_RIGHTS, held */
    size_t nrights, caprights;
};

struct sp_sock_table {
    struct sp_sock **slots;
    size_t nslots;
    size_t count;
    uint64_t next_id;
};

/* A socket for an open descriptor, owned by `owner` (one ref taken). */
struct sp_sock *sp_sock_add(struct sp_daemon *d, int fd, int domain, int type,
                            int protocol, struct sp_pid *owner);
struct sp_sock *sp_sock_find(struct sp_daemon *d, uint64_t id);
/* Answers everything waiting, closes the descriptor, frees the socket. */
void sp_sock_close(struct sp_daemon *d, struct sp_sock *s);
/* Adds or deletes the socket's read or write event, if not so already. */
void sp_sock_watch(struct sp_sock *s, bool writes, bool on);
/* Arms or disarms the socket's readiness event for queue q. */
void sp_sock_want(struct sp_daemon *d, struct sp_sock *s, enum sp_queue q,
                  bool on);
void sp_sock_set_owner(struct sp_daemon *d, struct sp_sock *s,
                       struct sp_pid *owner);
void sp_sock_table_close_all(struct sp_daemon *d);
/* Calls fn for every socket; fn may close the socket it is given. */
void sp_sock_each(struct sp_daemon *d,
                  void (*fn)(struct sp_daemon *, struct sp_sock *, void *),
                  void *arg);

/* ---- the daemon --------------------------------------------------------- */

/* Configurable caps (command line, README "Limits"). */
struct sp_limits {
    size_t max_sockets;   /* sockets at once: OPEN/accept beyond get emfile */
    unsigned max_waiters; /* calls queued per socket and kind: enomem */
    size_t out_high;      /* bytes queued for the VM above which sockets */
    size_t out_low;       /* are not read, until below out_low */
    size_t max_parked;    /* bytes of data waiting sends hold: enomem */
};

/* The limits whose hits are counted and said (cmd_stats.c). */
enum sp_limit {
    SP_LIMIT_SOCKETS,  /* max_sockets: OPEN, OPEN_FD or accept refused */
    SP_LIMIT_WAITERS,  /* max_waiters: a call refused with enomem */
    SP_LIMIT_OUT_HIGH, /* out_high: the daemon stopped reading sockets */
    SP_LIMIT_PARKED,   /* max_parked_bytes: a waiting send refused */
    SP_LIMIT__MAX
};

/* At most one limit event a second per limit after its first hit. */
#define SP_LIMIT_EVENT_MS 1000

/* The daemon's own statistics (STATS; cmd_stats.c). */
struct sp_stats {
    uint64_t commands;       /* frames dispatched */
    uint64_t malformed;      /* of which were no valid command */
    uint64_t dropped_frames; /* over the frame limit, dropped unread */
    uint64_t sockets_peak;   /* most sockets held at once */
    uint64_t limit_hits[SP_LIMIT__MAX];
    int64_t limit_said[SP_LIMIT__MAX]; /* when its event went, in ms */
};

#define SP_MAX_SOCKETS_DEFAULT 1048576
#define SP_MAX_WAITERS_DEFAULT 65536
#define SP_MAX_PARKED_DEFAULT (256u * 1024u * 1024u)
#define SP_BUSY_POLL_DEFAULT_US 15

struct sp_daemon {
    struct event_base *base;
    struct event *ev_in;
    struct event *ev_out;
    struct sp_frame_reader in;
    struct sp_outq out;
    struct sp_op *spare_ops; /* freed ops kept for reuse (opq.c) */
    unsigned nspare_ops;
    bool out_waiting; /* ev_out is added: the pipe took not all of out */
    bool out_high;    /* above SP_OUT_HIGH: sockets are not read */
    size_t parked; /* bytes held by waiting sends (limits.max_parked) */
    bool done;     /* stdin closed or fatal stdout error */
    struct sp_pid_table pids;
    bool seccomp; /* the sandbox is on */
    int landlock; /* its Landlock ABI, 0 if none */
    struct sp_sock_table socks;
    bool netns_open; /* netns_fd holds our own network namespace */
    int netns_fd;    /* for going back after opening a socket in another */
    struct sp_limits limits;
    unsigned busy_poll_us; /* polling before each sleep (loop.c), 0: none */
    uint64_t num[SP_NUM__MAX]; /* info/0 counters (counters.h) */
    bool debug;                /* debug/1: log every command */
    struct sp_tomb *tombs;     /* info/1 of recently closed sockets */
    size_t ntombs, tomb_next;
    struct sp_stats stats;
};

/* The defaults of struct sp_limits. */
void sp_limits_default(struct sp_limits *l);
/* Whether another socket may be opened (else answer emfile). */
bool sp_sock_room(const struct sp_daemon *d);
/* Counts a hit of a limit and tells the VM (rate-limited). */
void sp_limit_hit(struct sp_daemon *d, enum sp_limit which);

/* ---- output frames (out.c) ---------------------------------------------- */

/* The route {Pid, Ref} then the version byte of the reply term: the
 * caller encodes the reply term into `e` and calls sp_emit. */
void sp_route_reply(struct sp_enc *e, struct sp_raw pid, struct sp_raw ref);
/* The same for a nowait call that armed a select. */
void sp_route_armed(struct sp_enc *e, const struct sp_op *op);
/* Queues one frame: the ETF in `e` followed by `n` bytes of tail. */
void sp_emit(struct sp_daemon *d, const struct sp_enc *e, const void *tail,
             size_t n);
/* Like sp_emit, but takes ownership of a malloc'd tail (no copy). */
void sp_emit_owned(struct sp_daemon *d, const struct sp_enc *e, void *tail,
                   size_t n);
void sp_reply_ok(struct sp_daemon *d, struct sp_raw pid, struct sp_raw ref);
/* {ok, Id} for a new socket */
void sp_reply_ok_id(struct sp_daemon *d, struct sp_raw pid, struct sp_raw ref,
                    uint64_t id);
void sp_reply_atom_error(struct sp_daemon *d, struct sp_raw pid,
                         struct sp_raw ref, const char *reason);
void sp_reply_errno(struct sp_daemon *d, struct sp_raw pid, struct sp_raw ref,
                    int err);
/* {error, {invalid, {What, Atom}}} */
void sp_reply_invalid(struct sp_daemon *d, struct sp_raw pid,
                      struct sp_raw ref, const char *what, const char *atom);
/* {error, {invalid, state}}, or {raise, {invalid, state}} where OTP's NIF
 * raises it. */
/* {Tag, {invalid, What}}: Tag error (returned) or raise (raised). */
void sp_reply_tag_invalid(struct sp_daemon *d, struct sp_raw pid,
                          struct sp_raw ref, const char *tag,
                          const char *what);
void sp_reply_invalid_state(struct sp_daemon *d, struct sp_raw pid,
                            struct sp_raw ref, bool raise);
void sp_event_select(struct sp_daemon *d, const struct sp_op *op);
void sp_event_abort(struct sp_daemon *d, const struct sp_op *op,
                    const char *reason);
void sp_event_disarmed(struct sp_daemon *d, const struct sp_op *op);
void sp_event_watch(struct sp_daemon *d, const struct sp_pid *p, bool watch);
/* {closed, Id}: a monitored socket is gone. */
void sp_event_closed(struct sp_daemon *d, uint64_t id);
void sp_log(struct sp_daemon *d, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Writes what it can of the output now; arms EV_WRITE for the rest. */
void sp_out_flush(struct sp_daemon *d);

/* ---- the event loop (loop.c) -------------------------------------------- */

/* One turn of the event loop, then one flush of all it produced: callbacks
 * never write, so a turn that serves many sockets or commands answers them
 * all in one writev instead of one each. With busy_poll_us, the turn polls
 * without sleeping for up to that long first. event_base_loop's result. */
int sp_run_pass(struct sp_daemon *d);

/* ---- commands (dispatch.c, cmd_*.c) ------------------------------------- */

struct sp_cmd {
    long op;
    struct sp_raw pid;
    struct sp_raw ref;
    uint64_t id;
    struct sp_sock *sock; /* for commands on a socket */
    struct sp_dec dec;    /* positioned at the first argument */
};

/* Handlers decode their arguments, answer, and return 0; -1 means the
 * arguments were malformed (the dispatcher answers {error, einval}). */
typedef int (*sp_handler)(struct sp_daemon *d, struct sp_cmd *c);

void sp_dispatch(struct sp_daemon *d, const char *frame, size_t len);
int sp_dec_mode(struct sp_dec *dec, struct sp_mode *m);
int sp_dec_bool(struct sp_dec *dec, bool *b);

int sp_cmd_pid_down(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_open(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_bind(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_listen(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_close(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_shutdown(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_sockname(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_peername(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_getopt(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_setopt(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_getopt_native(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_setopt_native(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_ioctl(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_open_fd(struct sp_daemon *d, struct sp_cmd *c);

/* ---- opening (cmd_open.c) ------------------------------------------------ */

/* OPEN's socket(2) with its options (PROTOCOL.md): in the network
 * namespace `netns' names, if any. 0 with *fd and *debug set, an errno, or
 * -1 if the options are malformed. */
int sp_open_socket(struct sp_daemon *d, struct sp_raw opts, int domain,
                   int type, int protocol, int *fd, bool *debug);
/* Lets go of the daemon's handle on its own network namespace. */
void sp_netns_close(struct sp_daemon *d);

/* ---- option values (optval.c) ------------------------------------------ */

#define SP_OPTVAL_MAX 1024 /* bytes of one option value the codecs handle */

/* The wire value of an option of type t (PROTOCOL.md) into buf; -1 if
 * malformed. */
int sp_optval_decode(struct sp_dec *dec, int type, void *buf, size_t cap,
                     socklen_t *len);
/* The bytes getsockopt should be offered for type t (size: the row's). */
socklen_t sp_optval_getsize(int type, int size);
/* What getsockopt returned, as its wire value. */
void sp_optval_encode(struct sp_enc *e, int type, const void *buf,
                      socklen_t len);
int sp_cmd_cancel(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_monitor(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_connect(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_connect_finish(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_accept(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_send(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_sendto(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_recv(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_recvfrom(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_sendmsg(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_recvmsg(struct sp_daemon *d, struct sp_cmd *c);

/* ---- descriptors received with SCM_RIGHTS (cmd_msg.c) -------------------- */

/* A received descriptor belongs to the socket it came on and is closed
 * with it, unless taken: sp_rights_take hands fd over to the caller (to
 * adopt it as a socket), 0, or -1 if no socket holds it. */
int sp_rights_take(struct sp_daemon *d, int fd);
/* Closes the descriptors a closing socket holds. */
void sp_rights_close(struct sp_sock *s);

/* introspection (cmd_info.c) */
int sp_cmd_info(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_sockets(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_global(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_stats(struct sp_daemon *d, struct sp_cmd *c);
/* OPEN's Opts the daemon acts on: debug, use_registry; -1 if malformed. */
int sp_open_opts(struct sp_sock *s, struct sp_raw opts);
/* A closed socket's info/1, kept for a while (SP_TOMBS of them). */
void sp_tomb_keep(struct sp_daemon *d, const struct sp_sock *s);
void sp_tombs_free(struct sp_daemon *d);
/* debug/1 and {otp, debug}: a log line per command (c->sock is looked up
 * already for a command on a socket). */
void sp_debug_cmd(struct sp_daemon *d, const struct sp_cmd *c,
                  bool on_socket);
int sp_cmd_sendfile(struct sp_daemon *d, struct sp_cmd *c);

/* attempt/fail/armed of each kind, for opq.c's class table */
enum sp_res sp_accept_attempt(struct sp_daemon *d, struct sp_op *op);
enum sp_res sp_connect_attempt(struct sp_daemon *d, struct sp_op *op);
enum sp_res sp_send_attempt(struct sp_daemon *d, struct sp_op *op);
enum sp_res sp_recv_attempt(struct sp_daemon *d, struct sp_op *op);
enum sp_res sp_sendmsg_attempt(struct sp_daemon *d, struct sp_op *op);
enum sp_res sp_recvmsg_attempt(struct sp_daemon *d, struct sp_op *op);
void sp_send_fail(struct sp_daemon *d, struct sp_op *op, const char *reason);
/* A send that the kernel refused with err: answered, counted, and the
 * writers behind it failed too unless err is EINVAL (OTP's NIF). */
void sp_send_refused(struct sp_daemon *d, struct sp_op *op, int err);
void sp_recv_fail(struct sp_daemon *d, struct sp_op *op, const char *reason);
void sp_plain_fail(struct sp_daemon *d, struct sp_op *op, const char *reason);
void sp_send_armed(struct sp_daemon *d, struct sp_op *op);
/* A frame of a send the VM split (More) on a message socket, where a
 * message cannot be split: answers it emsgsize (true). */
bool sp_split_message(struct sp_daemon *d, const struct sp_cmd *c, bool more);
void sp_recv_armed(struct sp_daemon *d, struct sp_op *op);
void sp_plain_armed(struct sp_daemon *d, struct sp_op *op);
void sp_plain_zero(struct sp_daemon *d, struct sp_op *op);
void sp_recv_zero(struct sp_daemon *d, struct sp_op *op);
enum sp_res sp_sendfile_attempt(struct sp_daemon *d, struct sp_op *op);
void sp_sendfile_fail(struct sp_daemon *d, struct sp_op *op,
                      const char *reason);
void sp_sendfile_armed(struct sp_daemon *d, struct sp_op *op);
/* Closes a sendfile's file (if open) and frees it; NULL is fine. */
void sp_sfile_free(struct sp_sfile *sf);

/* ---- the inet layer of sockport_tcp and sockport_udp (active.c) ---------- */

int sp_cmd_inet_opts(struct sp_daemon *d, struct sp_cmd *c);
int sp_cmd_inet_recv(struct sp_daemon *d, struct sp_cmd *c);
enum sp_res sp_inet_recv_attempt(struct sp_daemon *d, struct sp_op *op);
void sp_inet_recv_fail(struct sp_daemon *d, struct sp_op *op,
                       const char *reason);
void sp_inet_recv_zero(struct sp_daemon *d, struct sp_op *op);
/* An active socket reads ahead and delivers to its owner, as far as the
 * VM keeps up; a no-op for others. */
void sp_inet_service(struct sp_daemon *d, struct sp_sock *s);
/* An active socket the daemon reads ahead for, whatever the VM's pace. */
bool sp_inet_reads_ahead(const struct sp_sock *s);
/* Whether an active socket wants its read event now (not while the VM
 * is behind). */
bool sp_inet_wants(const struct sp_sock *s);
/* An accepted socket takes its listener's options (as inet's do). */
void sp_inet_inherit(struct sp_daemon *d, struct sp_sock *n,
                     const struct sp_sock *l);
void sp_inet_free(struct sp_sock *s);
/* Puts the {packet, 1 | 2 | 4} header in front of a send's data (a copy
 * in op->buf); 0, or an errno for data too long for the header. */
int sp_inet_frame_send(struct sp_op *op);
/* What a send answers once the connection ended (exit_on_close), or NULL. */
const char *sp_inet_send_err(const struct sp_sock *s);

#endif
