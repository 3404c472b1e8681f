/* Per-socket counters and states as OTP's socket keeps them (info/1), and
 * the daemon-wide counters (info/0). Every event is counted by one call of
 * one function below, made where the work happens (cmd_*.c): a new data
 * path adds one line per event. Counters are 64-bit and wrap; a wrap tells
 * the owner with {'$socket', S, counter_wrap, Name} when {otp, iow} is on.
 *
 * What each counts is what OTP 25's NIF counts (checked against it):
 * tries: one per attempt of a call (a call that waits for readiness is
 * tried again when the socket is ready); read_byte: every byte read, also
 * those of a call that ends in a timeout; read_pkg, read_pkg_max: calls
 * that return data, and the most bytes one such attempt read (not for
 * recvfrom, as OTP); write_byte: the bytes of the attempt that finishes a
 * send; write_pkg_max: the largest finished send counted from its first
 * attempt; write_waits: attempts that would block; fails: errors
 * (timeouts are not errors). read_waits and acc_waits are never counted
 * by OTP 25 and stay 0. */
#ifndef SP_COUNTERS_H
#define SP_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sp_cnt {
    SP_CNT_READ_BYTE, SP_CNT_READ_FAILS, SP_CNT_READ_PKG, SP_CNT_READ_PKG_MAX,
    SP_CNT_READ_TRIES, SP_CNT_READ_WAITS,
    SP_CNT_WRITE_BYTE, SP_CNT_WRITE_FAILS, SP_CNT_WRITE_PKG,
    SP_CNT_WRITE_PKG_MAX, SP_CNT_WRITE_TRIES, SP_CNT_WRITE_WAITS,
    SP_CNT_ACC_SUCCESS, SP_CNT_ACC_FAILS, SP_CNT_ACC_TRIES, SP_CNT_ACC_WAITS,
    /* Shown only once a sendfile counter moved (OTP's optional keys). */
    SP_CNT_SENDFILE, SP_CNT_SENDFILE_BYTE, SP_CNT_SENDFILE_FAILS,
    SP_CNT_SENDFILE_MAX, SP_CNT_SENDFILE_PKG, SP_CNT_SENDFILE_PKG_MAX,
    SP_CNT_SENDFILE_TRIES, SP_CNT_SENDFILE_WAITS,
    SP_CNT__MAX
};
#define SP_CNT_FIRST_SENDFILE SP_CNT_SENDFILE

/* The atom of each counter (info/1's counters map keys). */
extern const char *const sp_cnt_names[SP_CNT__MAX];

/* State bits, in the order OTP lists them in rstates/wstates. */
enum {
    SP_ST_BOUND = 0x1,      /* read half */
    SP_ST_LISTENING = 0x2,  /* read half */
    SP_ST_ACCEPTING = 0x4,  /* read half */
    SP_ST_CONNECTING = 0x10, /* write half */
    SP_ST_CONNECTED = 0x20, /* write half */
    SP_ST_SELECTED = 0x100, /* either half */
    SP_ST_CLOSING = 0x200,  /* both halves, for a closed socket */
    SP_ST_CLOSED = 0x400,
};

struct sp_counters {
    uint64_t v[SP_CNT__MAX];
    uint64_t write_pkg_run; /* bytes of the unfinished send so far */
    uint64_t sendfile_run;  /* bytes of the sendfile call so far */
    bool sendfile_used;
    unsigned rstate, wstate; /* SP_ST_* kept bits (the rest are derived) */
    bool shut_rd, shut_wr;   /* shut down: not readable, not writable */
    int num_protocol;        /* the protocol info/0 counts it under */
    /* info/1's ctype: normal; fromfd (adopted without dup); {fromfd, N}
     * (a duplicate of descriptor N) */
    enum { SP_CTYPE_NORMAL, SP_CTYPE_FROMFD, SP_CTYPE_FROMFD_N } ctype;
    int fromfd;
};

/* Daemon-wide counters (info/0), named as OTP's. */
enum sp_num {
    SP_NUM_DINET, SP_NUM_DINET6, SP_NUM_DLOCAL, SP_NUM_PIP, SP_NUM_PSCTP,
    SP_NUM_PTCP, SP_NUM_PUDP, SP_NUM_SOCKETS, SP_NUM_TDGRAMS,
    SP_NUM_TSEQPKGS, SP_NUM_TSTREAMS, SP_NUM__MAX
};
extern const char *const sp_num_names[SP_NUM__MAX];

struct sp_daemon;
struct sp_sock;

/* Adds n to counter c of s: wraps at 2^64 and, with {otp, iow} on, tells
 * the owner. The generic entry; the helpers below say what an event is. */
void sp_cnt_add(struct sp_daemon *d, struct sp_sock *s, enum sp_cnt c,
                uint64_t n);

/* Reading (recv, recvfrom, recvmsg). */
void sp_cnt_read_try(struct sp_daemon *d, struct sp_sock *s);
void sp_cnt_read_bytes(struct sp_daemon *d, struct sp_sock *s, uint64_t n);
/* A call returns data; `n` is what its last attempt read. recvfrom-like
 * calls pass with_max false (OTP does not update read_pkg_max for them). */
void sp_cnt_read_done(struct sp_daemon *d, struct sp_sock *s, uint64_t n,
                      bool with_max);
void sp_cnt_read_fail(struct sp_daemon *d, struct sp_sock *s);
/* A blocking reader parked without a read (its socket's read event was
 * registered): the read OTP's NIF would make is counted; if the socket
 * turns out to be ready in the same loop pass, that read would have been
 * the only one and is taken back when the op is tried. */
struct sp_op;
void sp_cnt_read_skipped(struct sp_daemon *d, struct sp_op *op);
void sp_cnt_read_resumed(struct sp_daemon *d, struct sp_op *op);

/* Writing (send, sendto, sendmsg). */
void sp_cnt_write_try(struct sp_daemon *d, struct sp_sock *s);
/* An attempt wrote n bytes and would block for the rest. */
void sp_cnt_write_wait(struct sp_daemon *d, struct sp_sock *s, uint64_t n);
/* An attempt wrote n bytes and finished the send. */
void sp_cnt_write_done(struct sp_daemon *d, struct sp_sock *s, uint64_t n);
void sp_cnt_write_fail(struct sp_daemon *d, struct sp_sock *s);

/* sendfile, as OTP 25's NIF counts it (its source, checked against it):
 * sendfile_tries per call that starts (its file open; a continuation, or
 * the daemon's next attempt of a waiting call, is no try); sendfile per
 * sendfile(2), also one that would block; for one that moved bytes
 * sendfile_byte and sendfile_pkg; sendfile_pkg_max the most bytes one
 * attempt moved, sendfile_max the most one call moved; sendfile_waits
 * per attempt that would block; sendfile_fails per error answered (the
 * file not opened included, timeouts not). A call that ends ok forgets
 * the running size of a send (write_pkg_max's), as OTP's does. */
void sp_cnt_sendfile_try(struct sp_daemon *d, struct sp_sock *s);
/* One sendfile(2) moved `moved` bytes, the attempt `run` so far. */
void sp_cnt_sendfile_call(struct sp_daemon *d, struct sp_sock *s,
                          uint64_t moved, uint64_t run);
void sp_cnt_sendfile_wait(struct sp_daemon *d, struct sp_sock *s);
void sp_cnt_sendfile_fail(struct sp_daemon *d, struct sp_sock *s);
void sp_cnt_sendfile_done(struct sp_daemon *d, struct sp_sock *s);

/* Accepting. */
void sp_cnt_acc_try(struct sp_daemon *d, struct sp_sock *s);
/* Would block: OTP selects (even for a zero timeout). */
void sp_cnt_acc_again(struct sp_daemon *d, struct sp_sock *s);
void sp_cnt_acc_success(struct sp_daemon *d, struct sp_sock *s);
void sp_cnt_acc_fail(struct sp_daemon *d, struct sp_sock *s);

/* States that are not derived from the queues. */
void sp_state_set(struct sp_sock *s, bool write_half, unsigned bits);
/* A successful shutdown (how: SHUT_RD, SHUT_WR, SHUT_RDWR). */
void sp_state_shutdown(struct sp_sock *s, int how);

/* The daemon-wide counters follow the socket table. */
void sp_num_sock_added(struct sp_daemon *d, struct sp_sock *s);
void sp_num_sock_removed(struct sp_daemon *d, const struct sp_sock *s);

#endif
