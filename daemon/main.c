/* sockportd: the socket daemon of sockport. It reads commands from the VM
 * on stdin ({packet, 4} frames, see PROTOCOL.md), drives the sockets with
 * libevent, and writes replies and events to stdout. It never outlives the
 * VM: when stdin closes it closes every socket and exits. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "privs.h"
#include "sandbox.h"
#include "sp_proto.h"

/* What one read of stdin takes at most, and the pipe size asked for. */
#define SP_PIPE_SIZE (1024 * 1024)

static void on_stdin(evutil_socket_t fd, short what, void *arg)
{
    (void)what;
    struct sp_daemon *d = arg;
    char *p;
    size_t room = sp_frame_space(&d->in, SP_PIPE_SIZE, &p);
    if (room == 0) {
        fprintf(stderr, "sockportd: out of memory reading commands\n");
        d->done = true;
        event_base_loopbreak(d->base);
        return;
    }
    ssize_t n = read(fd, p, room);
    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN)) {
        d->done = true; /* the VM closed the port, or died */
        event_base_loopbreak(d->base);
        return;
    }
    if (n < 0)
        return;
    sp_frame_commit(&d->in, (size_t)n);
    const char *frame;
    size_t len;
    uint64_t skipped = d->in.skipped;
    while (sp_frame_next(&d->in, &frame, &len))
        sp_dispatch(d, frame, len);
    if (d->in.skipped != skipped) {
        d->stats.dropped_frames += d->in.skipped - skipped;
        sp_log(d, "error", "dropped %llu frame(s) over %zu bytes",
               (unsigned long long)(d->in.skipped - skipped), d->in.max);
    }
}

/* The pipe takes output again: the flush that ends this turn writes it. */
static void on_stdout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
}

/* Payload buffers of tens of KiB come and go with every large send and
 * recv. glibc gives the top of its heap back once 128 KiB of it is free,
 * so a stream of 64 KiB recvs cost a brk down and up per buffer, and fresh
 * zeroed pages each time. Keep up to 8 MiB of freed memory instead; a
 * buffer of 1 MiB or more is mapped on its own and unmapped when freed. */
static void tune_malloc(void)
{
    (void)mallopt(M_MMAP_THRESHOLD, 1 << 20);
    (void)mallopt(M_TRIM_THRESHOLD, 8 << 20);
}

/* The VM's pipes hold 64 KiB by default: less than one large frame, so
 * each would cost the writer several wakeups. A bigger pipe where the
 * system allows it (unprivileged: up to fs.pipe-max-size); if not, the
 * default still works. */
static void widen_pipe(int fd)
{
    (void)fcntl(fd, F_SETPIPE_SZ, SP_PIPE_SIZE);
}

static int set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void hello(struct sp_daemon *d)
{
    char buf[64];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_enc_version(&e);
    sp_enc_tuple(&e, 3);
    sp_enc_atom(&e, "hello");
    sp_enc_long(&e, SP_PROTOCOL_VERSION);
    sp_enc_long(&e, (long)getpid());
    sp_emit(d, &e, NULL, 0);
}

static int usage(void)
{
    fprintf(stderr, "usage: sockportd [--user NAME] [--caps CAP,... | none] "
                    "[--sandbox on | off | landlock]\n"
                    "       [--max-sockets N] [--max-waiters N] "
                    "[--out-high BYTES] [--max-parked-bytes BYTES]\n"
                    "       [--max-frame BYTES] [--busy-poll USEC]\n"
                    "(started by the sockport application as an Erlang "
                    "port)\n");
    return 2;
}

/* A positive number in [1, max]; 0 if it is not one. */
static unsigned long long number(const char *s, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    return errno || *end || s[0] == '-' || v == 0 || v > max ? 0 : v;
}

/* Microseconds in [0, SP_BUSY_POLL_MAX_US] into *us; false if not. */
static bool microseconds(const char *s, unsigned *us)
{
    unsigned long long v = number(s, SP_BUSY_POLL_MAX_US);
    if (v == 0 && strcmp(s, "0") != 0)
        return false;
    *us = (unsigned)v;
    return true;
}

int main(int argc, char **argv)
{
    struct sp_privs privs = {0};
    struct sp_limits limits;
    sp_limits_default(&limits);
    size_t max_frame = SP_FRAME_MAX; /* payload bytes of one command frame */
    unsigned busy_poll_us = SP_BUSY_POLL_DEFAULT_US;
    /* On unless turned off (a sanitizer build gets a wider filter). */
    bool sandbox = true;
    bool landlock = false; /* and Landlock too (sandbox.c) */
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 == argc)
            return usage();
        if (strcmp(argv[i], "--user") == 0)
            privs.user = argv[i + 1];
        else if (strcmp(argv[i], "--caps") == 0)
            privs.caps = argv[i + 1];
        else if (strcmp(argv[i], "--sandbox") == 0 &&
                 (strcmp(argv[i + 1], "on") == 0 ||
                  strcmp(argv[i + 1], "off") == 0 ||
                  strcmp(argv[i + 1], "landlock") == 0)) {
            sandbox = strcmp(argv[i + 1], "off") != 0;
            landlock = strcmp(argv[i + 1], "landlock") == 0;
        }
        else if (strcmp(argv[i], "--max-sockets") == 0 &&
                 (limits.max_sockets = number(argv[i + 1], SIZE_MAX)))
            ;
        else if (strcmp(argv[i], "--max-waiters") == 0 &&
                 (limits.max_waiters = number(argv[i + 1], UINT_MAX)))
            ;
        else if (strcmp(argv[i], "--out-high") == 0 &&
                 (limits.out_high = number(argv[i + 1], SIZE_MAX)))
            limits.out_low = limits.out_high / 8;
        else if (strcmp(argv[i], "--max-parked-bytes") == 0 &&
                 (limits.max_parked = number(argv[i + 1], SIZE_MAX)))
            ;
        else if (strcmp(argv[i], "--busy-poll") == 0 &&
                 microseconds(argv[i + 1], &busy_poll_us))
            ;
        else if (strcmp(argv[i], "--max-frame") == 0 &&
                 (max_frame = number(argv[i + 1], SP_FRAME_MAX)) >= SP_FRAME_MIN)
            ;
        else
            return usage();
    }
    char err[256];
    if (sp_privs_apply(&privs, err, sizeof err) != 0) {
        fprintf(stderr, "sockportd: %s\n", err);
        return 1;
    }
    tune_malloc();
    /* A peer that went away must be an EPIPE, not our death. */
    signal(SIGPIPE, SIG_IGN);
    widen_pipe(STDIN_FILENO);
    widen_pipe(STDOUT_FILENO);
    if (set_nonblocking(STDIN_FILENO) != 0 ||
        set_nonblocking(STDOUT_FILENO) != 0) {
        fprintf(stderr, "sockportd: stdio: %s\n", strerror(errno));
        return 1;
    }

    struct sp_daemon d;
    memset(&d, 0, sizeof d);
    d.limits = limits;
    d.busy_poll_us = busy_poll_us;
    d.base = event_base_new();
    sp_outq_init(&d.out);
    if (!d.base) {
        fprintf(stderr, "sockportd: cannot set up the event loop\n");
        return 1;
    }
    sp_frame_reader_init(&d.in, max_frame + SP_HEADER_MAX);
    d.ev_in = event_new(d.base, STDIN_FILENO, EV_READ | EV_PERSIST, on_stdin,
                        &d);
    d.ev_out = event_new(d.base, STDOUT_FILENO, EV_WRITE | EV_PERSIST,
                         on_stdout, &d);
    if (!d.ev_in || !d.ev_out || event_add(d.ev_in, NULL) != 0) {
        fprintf(stderr, "sockportd: cannot watch stdio\n");
        return 1;
    }

    d.seccomp = sandbox;
    if (sandbox &&
        sp_sandbox_enter(landlock, &d.landlock, err, sizeof err) != 0) {
        fprintf(stderr, "sockportd: %s\n", err);
        return 1;
    }
    hello(&d);
    sp_out_flush(&d);
    while (!d.done && sp_run_pass(&d) == 0)
        ;

    /* The VM is gone: answer nobody, close everything, free everything. */
    sp_sock_table_close_all(&d);
    sp_op_spares_free(&d);
    sp_netns_close(&d);
    sp_pid_table_free(&d.pids);
    sp_frame_reader_free(&d.in);
    event_free(d.ev_in);
    event_free(d.ev_out);
    sp_outq_free(&d.out);
    event_base_free(d.base);
    return 0;
}
