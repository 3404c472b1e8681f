/* The floors of any design that moves socket traffic through an Erlang
 * port, measured by a port program that does nothing else:
 *   bench_floor echo   answers every {packet,4} frame with itself;
 *   bench_floor sink   takes frames without answering, except an empty
 *                      one, answered with an empty frame (one-way flow);
 *   bench_floor relay  owns both ends of a loopback TCP connection and
 *                      carries frames <<Dir, Payload>> across it: Dir 'a'
 *                      goes from end A to end B and comes back out as
 *                      <<'B', Payload>>, 'b' the other way as <<'A', ...>>;
 *   bench_floor api tcp|udp
 *                      owns both ends of a loopback TCP connection (or a
 *                      connected UDP pair) and serves them as the socket
 *                      API must: <<'s', End, Payload>> sends at End and is
 *                      answered <<'k', End>> once the kernel has it all;
 *                      <<'r', End, Max:32>> asks for what End receives
 *                      next, answered <<'d', End, Data>> (at most Max
 *                      bytes) when it comes.
 * A sockport ping-pong can be no faster than the relay's, and a sockport
 * bulk stream need be no slower: both cross the port and TCP as often.
 * The api program adds what the socket API itself asks of any design, a
 * reply for each send and a request for each recv, and nothing else. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define FRAME_MAX (4u << 20)

static int read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0)
            return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Writes the 4-byte header and the frame in one system call. */
static int write_frame(const char *buf, size_t n)
{
    uint32_t be = htonl((uint32_t)n);
    struct iovec v[2] = {{&be, 4}, {(void *)buf, n}};
    size_t want = 4 + n;
    ssize_t w = writev(1, v, 2);
    return w == (ssize_t)want ? 0 : -1;
}

/* Reads one frame into buf; its length, or -1 at EOF or a bad length. */
static long read_frame(char *buf)
{
    uint32_t be;
    if (read_full(0, &be, 4) != 0)
        return -1;
    size_t n = ntohl(be);
    if (n > FRAME_MAX || read_full(0, buf, n) != 0)
        return -1;
    return (long)n;
}

static int echo(char *buf)
{
    long n;
    while ((n = read_frame(buf)) >= 0)
        if (write_frame(buf, (size_t)n) != 0)
            return 1;
    return 0;
}

static int sink(char *buf)
{
    long n;
    while ((n = read_frame(buf)) >= 0)
        if (n == 0 && write_frame(buf, 0) != 0)
            return 1;
    return 0;
}

/* Sends n bytes into `out` while draining the same n bytes from `in`, so a
 * payload larger than the socket buffers cannot wedge. */
static int carry(int out, int in, const char *data, size_t n, char *sink)
{
    size_t sent = 0, got = 0;
    while (got < n) {
        ssize_t w = 0, r;
        if (sent < n) {
            w = send(out, data + sent, n - sent, MSG_DONTWAIT);
            if (w > 0)
                sent += (size_t)w;
        }
        r = recv(in, sink, n - got, MSG_DONTWAIT);
        if (r > 0)
            got += (size_t)r;
        if (r == 0)
            return -1;
        if (w <= 0 && r < 0) {
            struct pollfd p[2] = {{in, POLLIN, 0},
                                  {out, sent < n ? POLLOUT : 0, 0}};
            poll(p, 2, -1);
        }
    }
    return 0;
}

static int loopback_pair(int *a, int *b)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int one = 1;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&sa, len) != 0 ||
        listen(l, 1) != 0 || getsockname(l, (struct sockaddr *)&sa, &len) != 0)
        return -1;
    *a = socket(AF_INET, SOCK_STREAM, 0);
    if (*a < 0 || connect(*a, (struct sockaddr *)&sa, len) != 0)
        return -1;
    *b = accept(l, NULL, NULL);
    close(l);
    if (*b < 0)
        return -1;
    setsockopt(*a, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(*b, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return 0;
}

static int relay(char *buf)
{
    int a, b;
    if (loopback_pair(&a, &b) != 0) {
        perror("bench_floor: loopback pair");
        return 1;
    }
    char *sink = malloc(FRAME_MAX);
    if (!sink)
        return 1;
    long n;
    while ((n = read_frame(buf)) >= 1) {
        int to_b = buf[0] == 'a';
        if (carry(to_b ? a : b, to_b ? b : a, buf + 1, (size_t)n - 1, sink))
            return 1;
        buf[0] = to_b ? 'B' : 'A';
        if (write_frame(buf, (size_t)n) != 0)
            return 1;
    }
    free(sink);
    return 0;
}

static int udp_pair(int *a, int *b)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct sockaddr_in sb = sa;
    socklen_t len = sizeof sa;
    *a = socket(AF_INET, SOCK_DGRAM, 0);
    *b = socket(AF_INET, SOCK_DGRAM, 0);
    if (*a < 0 || *b < 0 || bind(*a, (struct sockaddr *)&sa, len) != 0 ||
        bind(*b, (struct sockaddr *)&sb, len) != 0 ||
        getsockname(*a, (struct sockaddr *)&sa, &len) != 0 ||
        getsockname(*b, (struct sockaddr *)&sb, &len) != 0 ||
        connect(*a, (struct sockaddr *)&sb, len) != 0 ||
        connect(*b, (struct sockaddr *)&sa, len) != 0)
        return -1;
    return 0;
}

#define API_RECV_MAX 65536

struct api {
    int fd[2];
    size_t want[2]; /* the most a recv asked for at this end takes */
    char *out[2];   /* the rest of a send that did not fit at once */
    size_t outlen[2], outoff[2];
    char *rbuf;     /* <<'d', End, Data>> */
};

/* Serves the asked-for recvs whose ends are readable; -1 if the VM is
 * gone. */
static int api_recv(struct api *a, int i)
{
    ssize_t r = recv(a->fd[i], a->rbuf + 2, a->want[i], MSG_DONTWAIT);
    if (r < 0)
        return 0;
    a->want[i] = 0;
    a->rbuf[0] = 'd';
    a->rbuf[1] = (char)('a' + i);
    return write_frame(a->rbuf, 2 + (size_t)r);
}

/* Sends what end i has left; once all of it is out, the ack. */
static int api_send_more(struct api *a, int i)
{
    while (a->outoff[i] < a->outlen[i]) {
        ssize_t w = send(a->fd[i], a->out[i] + a->outoff[i],
                         a->outlen[i] - a->outoff[i], MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w <= 0)
            return 0; /* full: POLLOUT says when to go on */
        a->outoff[i] += (size_t)w;
    }
    free(a->out[i]);
    a->out[i] = NULL;
    char ack[2] = {'k', (char)('a' + i)};
    return write_frame(ack, 2);
}

/* One command frame: a recv asked for, or a send (kept until it is all
 * out, so that the loop goes on serving the other end meanwhile). */
static int api_command(struct api *a, const char *buf, long n)
{
    if (n < 2)
        return -1;
    int i = buf[1] == 'b';
    if (buf[0] == 'r' && n == 6) {
        uint32_t max;
        memcpy(&max, buf + 2, 4);
        max = ntohl(max);
        a->want[i] = max < 1 ? 1 : max > API_RECV_MAX ? API_RECV_MAX : max;
        return 0;
    }
    if (buf[0] != 's' || a->out[i])
        return -1;
    a->outlen[i] = (size_t)n - 2;
    a->outoff[i] = 0;
    if (!(a->out[i] = malloc(a->outlen[i] + 1)))
        return -1;
    memcpy(a->out[i], buf + 2, a->outlen[i]);
    return api_send_more(a, i);
}

static int api(char *buf, const char *kind)
{
    struct api a = {.rbuf = malloc(2 + API_RECV_MAX)};
    int udp = strcmp(kind, "udp") == 0;
    if (!a.rbuf || (udp ? udp_pair(&a.fd[0], &a.fd[1])
                        : loopback_pair(&a.fd[0], &a.fd[1])) != 0) {
        perror("bench_floor: api pair");
        return 1;
    }
    for (;;) {
        struct pollfd p[3] = {{0, POLLIN, 0}, {a.fd[0], 0, 0}, {a.fd[1], 0, 0}};
        for (int i = 0; i < 2; i++)
            p[i + 1].events = (short)((a.want[i] ? POLLIN : 0) |
                                      (a.out[i] ? POLLOUT : 0));
        if (poll(p, 3, -1) < 0)
            return 1;
        for (int i = 0; i < 2; i++) {
            short rev = p[i + 1].revents;
            if (a.out[i] && (rev & (POLLOUT | POLLERR | POLLHUP)) &&
                api_send_more(&a, i) != 0)
                return 1;
            if (a.want[i] && (rev & (POLLIN | POLLERR | POLLHUP)) &&
                api_recv(&a, i) != 0)
                return 1;
        }
        if (p[0].revents & (POLLIN | POLLHUP)) {
            long n = read_frame(buf);
            if (n < 0)
                return 0; /* the VM closed the port */
            if (api_command(&a, buf, n) != 0)
                return 1;
        }
    }
}

int main(int argc, char **argv)
{
    /* 1 MiB pipes, as sockportd asks for: the floor of a design that
     * does so too */
    (void)fcntl(0, F_SETPIPE_SZ, 1 << 20);
    (void)fcntl(1, F_SETPIPE_SZ, 1 << 20);
    char *buf = malloc(FRAME_MAX);
    if (!buf)
        return 1;
    if (argc == 2 && strcmp(argv[1], "echo") == 0)
        return echo(buf);
    if (argc == 2 && strcmp(argv[1], "sink") == 0)
        return sink(buf);
    if (argc == 2 && strcmp(argv[1], "relay") == 0)
        return relay(buf);
    if (argc == 3 && strcmp(argv[1], "api") == 0)
        return api(buf, argv[2]);
    fprintf(stderr, "usage: bench_floor echo | sink | relay | api tcp|udp\n");
    return 2;
}
