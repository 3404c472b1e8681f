/* The floors of any design that moves socket traffic through an Erlang
 * port, measured by a port program that does nothing else:
 *   bench_floor echo   answers every {packet,4} frame with itself;
 *   bench_floor sink   takes frames without answering, except an empty
 *                      one, answered with an empty frame (one-way flow);
 *   bench_floor relay  owns both ends of a loopback TCP connection and
 *                      carries frames <<Dir, Payload>> across it: Dir 'a'
 *                      goes from end A to end B and comes back out as
 *                      <<'B', Payload>>, 'b' the other way as <<'A', ...>>;
 *   bench_floor api tcp|udp [CONNS]
 *                      owns both ends of CONNS (default 1) loopback TCP
 *                      connections (or connected UDP pairs) and serves
 *                      them as the socket API must, every call routed as
 *                      sockport's are: a command <<RouteLen, Route, Op,
 *                      Conn:32, End (0: A, 1: B), Rest>> is answered with
 *                      Route in front of the reply, for the port's owner
 *                      to route by. Op 's' sends Rest at that end and is
 *                      answered <<Route, 'k', EndLetter>> once the kernel
 *                      has it all; 'r' with Rest = Max:32 asks for what the
 *                      end receives next, answered <<Route, 'd',
 *                      EndLetter, Data>> (at most Max bytes) when it comes;
 *                      'n' does no I/O and is answered <<Route, 'n',
 *                      EndLetter>> at once (the call without I/O of a
 *                      program that waits on its sockets and its input
 *                      together, as any that serves sockets must).
 * A sockport ping-pong can be no faster than the relay's, and a sockport
 * bulk stream need be no slower: both cross the port and TCP as often.
 * The api program adds what the socket API itself asks of any design, a
 * reply for each send and a request for each recv, each routed to its
 * caller, who must hear of the program's death, and nothing else. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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
#define API_ROUTE_MAX 255

/* One end of a connection: the recv asked for, the rest of a send that did
 * not fit at once, and the route its replies go back with. Ends
 * are epolled edge-triggered from the start, so that serving a call costs
 * that call's own system call and nothing else. */
struct api_end {
    int fd;
    int readable, writable; /* no EAGAIN seen since the last edge */
    size_t want;            /* the most the asked-for recv takes */
    char *out;
    size_t outlen, outoff;
    unsigned char route[API_ROUTE_MAX];
    size_t routelen;
};

struct api {
    struct api_end *ends; /* 2 per connection: A, then B */
    size_t nends;
    char *in; /* commands read and not yet served */
    size_t inlen;
    char *out; /* the replies of one loop pass, written at its end */
    size_t outlen, outcap;
};

/* Room at the end of the output for the reply <<Route, Code, EndLetter,
 * Data>> with up to n bytes of Data, its route and code written: where
 * Data goes, or NULL. reply_end() then counts it in with Data's length,
 * so that a recv reads straight into its reply. */
static char *reply_start(struct api *a, size_t i, char code, size_t n)
{
    struct api_end *e = &a->ends[i];
    size_t need = a->outlen + 4 + e->routelen + 2 + n;
    if (need > a->outcap) {
        size_t cap = a->outcap ? a->outcap : 65536;
        while (cap < need)
            cap *= 2;
        char *p = realloc(a->out, cap);
        if (!p)
            return NULL;
        a->out = p;
        a->outcap = cap;
    }
    char *p = a->out + a->outlen + 4;
    memcpy(p, e->route, e->routelen);
    p[e->routelen] = code;
    p[e->routelen + 1] = (char)('a' + i % 2);
    return p + e->routelen + 2;
}

static void reply_end(struct api *a, size_t i, size_t n)
{
    size_t len = a->ends[i].routelen + 2 + n;
    uint32_t be = htonl((uint32_t)len);
    memcpy(a->out + a->outlen, &be, 4);
    a->outlen += 4 + len;
}

static int api_flush(struct api *a)
{
    for (size_t off = 0; off < a->outlen;) {
        ssize_t w = write(1, a->out + off, a->outlen - off);
        if (w <= 0)
            return -1;
        off += (size_t)w;
    }
    a->outlen = 0;
    return 0;
}

/* Serves end i's recv, if it asked for one and data is there. */
static int api_recv(struct api *a, size_t i)
{
    struct api_end *e = &a->ends[i];
    if (!e->want || !e->readable)
        return 0;
    char *data = reply_start(a, i, 'd', e->want);
    if (!data)
        return -1;
    ssize_t r = recv(e->fd, data, e->want, MSG_DONTWAIT);
    if (r < 0) {
        e->readable = 0;
        return 0;
    }
    e->want = 0;
    reply_end(a, i, (size_t)r);
    return 0;
}

/* Sends what the socket of end e takes of n bytes now: how many. */
static size_t send_now(struct api_end *e, const char *data, size_t n)
{
    size_t off = 0;
    while (off < n && e->writable) {
        ssize_t w = send(e->fd, data + off, n - off,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w <= 0)
            e->writable = 0; /* full: the next edge says when to go on */
        else
            off += (size_t)w;
    }
    return off;
}

/* A reply of its code alone: a send's ack 'k', or a no-I/O call's 'n'. */
static int answer(struct api *a, size_t i, char code)
{
    if (!reply_start(a, i, code, 0))
        return -1;
    reply_end(a, i, 0);
    return 0;
}

/* Sends what end i kept of a send; once all of it is out, the ack. */
static int api_send_more(struct api *a, size_t i)
{
    struct api_end *e = &a->ends[i];
    if (!e->out)
        return 0;
    e->outoff += send_now(e, e->out + e->outoff, e->outlen - e->outoff);
    if (e->outoff < e->outlen)
        return 0;
    free(e->out);
    e->out = NULL;
    return answer(a, i, 'k');
}

/* A call of end i: a recv ('r', Rest = Max:32), a send ('s', Rest = the
 * payload, sent from the command itself; only what does not fit at once is
 * copied and kept, so that the loop goes on serving the other ends), or
 * one without I/O ('n'). */
static int api_call(struct api *a, size_t i, char op, const char *rest,
                    size_t n)
{
    struct api_end *e = &a->ends[i];
    if (op == 'n')
        return answer(a, i, 'n');
    if (op == 'r' && n == 4) {
        uint32_t max;
        memcpy(&max, rest, 4);
        max = ntohl(max);
        e->want = max < 1 ? 1 : max > API_RECV_MAX ? API_RECV_MAX : max;
        return api_recv(a, i);
    }
    if (op != 's' || e->out)
        return -1;
    size_t sent = send_now(e, rest, n);
    if (sent == n)
        return answer(a, i, 'k');
    if (!(e->out = malloc(n - sent)))
        return -1;
    memcpy(e->out, rest + sent, n - sent);
    e->outlen = n - sent;
    e->outoff = 0;
    return 0;
}

/* One command frame: <<RouteLen, Route, Op, Conn:32, End, Rest>>. */
static int api_command(struct api *a, const char *buf, size_t n)
{
    const unsigned char *u = (const unsigned char *)buf;
    size_t rlen = n > 0 ? u[0] : 0;
    if (n < 1 + rlen + 6)
        return -1;
    uint32_t conn;
    memcpy(&conn, buf + 2 + rlen, 4);
    size_t i = 2 * (size_t)ntohl(conn) + (u[6 + rlen] ? 1 : 0);
    if (i >= a->nends)
        return -1;
    memcpy(a->ends[i].route, buf + 1, rlen);
    a->ends[i].routelen = rlen;
    return api_call(a, i, buf[1 + rlen], buf + 7 + rlen, n - 7 - rlen);
}

/* Reads what stdin has and serves every whole command in it; 1 once the
 * VM closed the port. */
static int api_input(struct api *a)
{
    ssize_t r = read(0, a->in + a->inlen, FRAME_MAX + 4 - a->inlen);
    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0)
        return 1;
    a->inlen += (size_t)r;
    size_t off = 0;
    while (a->inlen - off >= 4) {
        uint32_t be;
        memcpy(&be, a->in + off, 4);
        size_t n = ntohl(be);
        if (n > FRAME_MAX)
            return -1;
        if (a->inlen - off < 4 + n)
            break;
        if (api_command(a, a->in + off + 4, n) != 0)
            return -1;
        off += 4 + n;
    }
    memmove(a->in, a->in + off, a->inlen - off);
    a->inlen -= off;
    return 0;
}

static int api(const char *kind, size_t conns)
{
    struct api a = {.nends = 2 * conns};
    a.ends = calloc(a.nends, sizeof *a.ends);
    a.in = malloc(FRAME_MAX + 4);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0};
    if (!a.ends || !a.in || ep < 0 ||
        epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev) != 0)
        return 1;
    int udp = strcmp(kind, "udp") == 0;
    for (size_t c = 0; c < conns; c++) {
        struct api_end *e = &a.ends[2 * c];
        if ((udp ? udp_pair(&e[0].fd, &e[1].fd)
                 : loopback_pair(&e[0].fd, &e[1].fd)) != 0) {
            perror("bench_floor: api pair");
            return 1;
        }
        for (size_t j = 0; j < 2; j++) {
            e[j].readable = e[j].writable = 1;
            ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
            ev.data.u64 = 2 * c + j + 1;
            if (epoll_ctl(ep, EPOLL_CTL_ADD, e[j].fd, &ev) != 0)
                return 1;
        }
    }
    for (;;) {
        struct epoll_event evs[256];
        int n = epoll_wait(ep, evs, 256, -1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return 1;
        for (int k = 0; k < n; k++) {
            uint32_t what = evs[k].events;
            if (evs[k].data.u64 == 0) {
                int r = api_input(&a);
                if (r != 0)
                    return r < 0;
                continue;
            }
            size_t i = (size_t)evs[k].data.u64 - 1;
            if (what & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
                a.ends[i].readable = 1;
                if (api_recv(&a, i) != 0)
                    return 1;
            }
            if (what & (EPOLLOUT | EPOLLERR | EPOLLHUP)) {
                a.ends[i].writable = 1;
                if (api_send_more(&a, i) != 0)
                    return 1;
            }
        }
        if (api_flush(&a) != 0)
            return 1;
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
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "api") == 0) {
        long conns = argc == 4 ? strtol(argv[3], NULL, 10) : 1;
        if (conns >= 1 && conns <= 100000)
            return api(argv[2], (size_t)conns);
    }
    fprintf(stderr,
            "usage: bench_floor echo | sink | relay | api tcp|udp [CONNS]\n");
    return 2;
}
