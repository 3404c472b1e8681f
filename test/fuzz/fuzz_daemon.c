/* libFuzzer target: bytes from the VM, as the daemon reads them. The input
 * goes through the {packet,4} frame reader in chunks whose sizes the input
 * chooses, and every whole frame through the dispatcher of a fresh daemon,
 * whose event loop then runs a few turns (parked calls, deadlines, socket
 * readiness). Sockets are real: run it in a network namespace of its own
 * (test/fuzz/run does). The daemon must answer or log, never crash, leak or
 * trip a sanitizer. */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "daemon.h"
#include "sp_proto.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* The daemon writes its frames to stdout: keep them out of the log. */
    int null = open("/dev/null", O_WRONLY);
    if (null >= 0) {
        dup2(null, STDOUT_FILENO);
        close(null);
    }
    return 0;
}

static void on_stdout(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    sp_out_flush(arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sp_daemon d;
    memset(&d, 0, sizeof d);
    sp_limits_default(&d.limits);
    d.base = event_base_new();
    sp_outq_init(&d.out);
    if (!d.base)
        abort();
    d.ev_out = event_new(d.base, STDOUT_FILENO, EV_WRITE | EV_PERSIST,
                         on_stdout, &d);
    /* A small frame limit, so that oversized frames are reachable. */
    sp_frame_reader_init(&d.in, 4096);
    /* The first byte picks the chunk size the reads deliver. */
    size_t chunk = size > 0 ? 1 + data[0] % 64 : 1;
    size_t at = size > 0 ? 1 : 0;
    while (at < size && !d.done) {
        size_t n = size - at < chunk ? size - at : chunk;
        char *p;
        size_t room = sp_frame_space(&d.in, n, &p);
        if (room < n)
            abort();
        memcpy(p, data + at, n);
        sp_frame_commit(&d.in, n);
        at += n;
        const char *frame;
        size_t len;
        while (sp_frame_next(&d.in, &frame, &len))
            sp_dispatch(&d, frame, len);
        event_base_loop(d.base, EVLOOP_NONBLOCK);
    }
    for (int i = 0; i < 3; i++)
        event_base_loop(d.base, EVLOOP_NONBLOCK);
    sp_sock_table_close_all(&d);
    sp_op_spares_free(&d);
    sp_pid_table_free(&d.pids);
    sp_frame_reader_free(&d.in);
    event_free(d.ev_out);
    sp_outq_free(&d.out);
    event_base_free(d.base);
    return 0;
}
