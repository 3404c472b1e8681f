/* IOCTL: the ioctl requests of sockport:ioctl/2,3,4, one row each in
 * proto/sp_ioctl.c. The command names its row; the arguments are decoded
 * by the row's argument shape and the request made and answered by its
 * value kind, so a new request is a row, not code. Arguments the VM found
 * invalid arrive as the atom `invalid' and are answered where OTP's NIF
 * notices them: after the socket's own state (a closed socket is
 * `closed' first), with `{raise, badarg}' for an interface name or index
 * and `{invalid, What}' for a value. */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <ei.h>

#include "daemon.h"
#include "sp_ioctl.h"

/* The decoded arguments of one request. */
struct ioctl_args {
    bool bad_key;          /* the name or index was `invalid' */
    bool bad_value;        /* the value was `invalid' */
    struct ifreq ifr;      /* name or index filled in */
    long value;            /* SETINT */
    unsigned long set, clear; /* SETFLAGS */
    struct sp_addr addr;   /* SETADDR */
};

/* ---- replies ------------------------------------------------------------ */

static void reply_raise_badarg(struct sp_daemon *d, struct sp_cmd *c)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, c->pid, c->ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "raise");
    sp_enc_atom(&e, "badarg");
    sp_emit(d, &e, NULL, 0);
}

/* {invalid, What}: returned as it is, as the NIF returns it. */
static void reply_invalid(struct sp_daemon *d, struct sp_cmd *c,
                          const char *what)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, c->pid, c->ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "invalid");
    sp_enc_atom(&e, what);
    sp_emit(d, &e, NULL, 0);
}


/* The envelope of {ok, Value}: the caller encodes Value and emits. */
static void begin_ok(struct sp_enc *e, struct sp_cmd *c)
{
    sp_route_reply(e, c->pid, c->ref);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "ok");
}

static void reply_ok_long(struct sp_daemon *d, struct sp_cmd *c, long v)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    begin_ok(&e, c);
    sp_enc_long(&e, v);
    sp_emit(d, &e, NULL, 0);
}

/* ---- argument decoding ------------------------------------------------ */

static int dec_invalid(struct sp_dec *dec, bool *bad)
{
    if (!sp_dec_take_atom(dec, "invalid"))
        return 1;
    *bad = true;
    return 0;
}

static int dec_undefined(struct sp_dec *dec)
{
    return sp_dec_take_atom(dec, "undefined") ? 0 : -1;
}

/* An interface name, as the NIF takes it: a C string (so up to a NUL),
 * cut to IFNAMSIZ - 1 bytes. */
static int dec_name(struct sp_dec *dec, struct ioctl_args *a)
{
    int r = dec_invalid(dec, &a->bad_key);
    if (r <= 0)
        return r;
    const char *p;
    size_t len;
    if (sp_dec_binary(dec, &p, &len, 65536) != 0)
        return -1;
    size_t n = len > 0 ? strnlen(p, len) : 0;
    if (n > IFNAMSIZ - 1)
        n = IFNAMSIZ - 1;
    memcpy(a->ifr.ifr_name, p, n);
    return 0;
}

static int dec_index(struct sp_dec *dec, struct ioctl_args *a)
{
    int r = dec_invalid(dec, &a->bad_key);
    if (r <= 0)
        return r;
    long v;
    if (sp_dec_range(dec, -0x7fffffffL - 1, 0x7fffffffL, &v) != 0)
        return -1;
    a->ifr.ifr_ifindex = (int)v;
    return 0;
}

static int dec_value(struct sp_dec *dec, int domain,
                     const struct sp_ioctl *row, struct ioctl_args *a)
{
    int r = dec_invalid(dec, &a->bad_value);
    if (r <= 0)
        return r;
    long set, clear;
    switch (row->val) {
    case SP_IOV_SETFLAGS:
        if (sp_dec_tuple_n(dec, 2) != 0 ||
            sp_dec_range(dec, 0, 0xffff, &set) != 0 ||
            sp_dec_range(dec, 0, 0xffff, &clear) != 0)
            return -1;
        a->set = (unsigned long)set;
        a->clear = (unsigned long)clear;
        return 0;
    case SP_IOV_SETADDR:
        return sp_addr_decode(dec, domain, &a->addr);
    case SP_IOV_SETINT:
        return sp_dec_range(dec, -0x7fffffffL - 1, 0x7fffffffL, &a->value);
    default:
        return -1;
    }
}

static int dec_args(struct sp_cmd *c, const struct sp_ioctl *row,
                    struct ioctl_args *a)
{
    struct sp_dec *dec = &c->dec;
    switch (row->arg) {
    case SP_IOA_NONE:
        return dec_undefined(dec) == 0 && dec_undefined(dec) == 0 ? 0 : -1;
    case SP_IOA_INDEX:
        return dec_index(dec, a) == 0 && dec_undefined(dec) == 0 ? 0 : -1;
    case SP_IOA_NAME:
        return dec_name(dec, a) == 0 && dec_undefined(dec) == 0 ? 0 : -1;
    case SP_IOA_NAME_VALUE:
        return dec_name(dec, a) == 0 &&
                       dec_value(dec, c->sock->domain, row, a) == 0
                   ? 0
                   : -1;
    default:
        return -1;
    }
}

/* ---- requests without an interface ------------------------------------- */

/* The interfaces' addresses: ask for the size first, then the list. */
static void do_ifconf(struct sp_daemon *d, struct sp_cmd *c, int fd)
{
    struct ifconf ifc;
    memset(&ifc, 0, sizeof ifc);
    if (ioctl(fd, SIOCGIFCONF, &ifc) != 0) {
        sp_reply_errno(d, c->pid, c->ref, errno);
        return;
    }
    /* Room for a few more, in case interfaces appear in between. */
    size_t cap = (size_t)ifc.ifc_len + 8 * sizeof(struct ifreq);
    struct ifreq *reqs = calloc(1, cap);
    if (!reqs) {
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return;
    }
    ifc.ifc_len = (int)cap;
    ifc.ifc_req = reqs;
    if (ioctl(fd, SIOCGIFCONF, &ifc) != 0) {
        int err = errno;
        free(reqs);
        sp_reply_errno(d, c->pid, c->ref, err);
        return;
    }
    size_t n = (size_t)ifc.ifc_len / sizeof(struct ifreq);
    size_t bufsz = SP_HDR_BUF + n * 128;
    char *buf = malloc(bufsz);
    if (!buf) {
        free(reqs);
        sp_reply_errno(d, c->pid, c->ref, ENOMEM);
        return;
    }
    struct sp_enc e;
    sp_enc_init(&e, buf, bufsz);
    begin_ok(&e, c);
    if (n > 0)
        sp_enc_list(&e, (int)n);
    for (size_t i = 0; i < n; i++) {
        sp_enc_tuple(&e, 2);
        sp_enc_binary(&e, reqs[i].ifr_name,
                      strnlen(reqs[i].ifr_name, IFNAMSIZ));
        sp_addr_encode(&e, &reqs[i].ifr_addr, sizeof reqs[i].ifr_addr);
    }
    sp_enc_nil(&e);
    sp_emit(d, &e, NULL, 0);
    free(buf);
    free(reqs);
}

/* Linux has no FIONSPACE: the send buffer less what is queued in it. */
static void do_nspace(struct sp_daemon *d, struct sp_cmd *c,
                      const struct sp_ioctl *row, int fd)
{
    int sndbuf, queued;
    socklen_t len = sizeof sndbuf;
    if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) != 0 ||
        ioctl(fd, row->req, &queued) != 0) {
        sp_reply_errno(d, c->pid, c->ref, errno);
        return;
    }
    reply_ok_long(d, c, sndbuf > queued ? (long)sndbuf - queued : 0);
}

/* tcp_info(7) as [{Key, Value}]: the fields of struct tcp_info without
 * their tcpi_ prefix; state is the TCP state's name. */
#define U8(f) {#f, offsetof(struct tcp_info, tcpi_##f), 1}
#define U32(f) {#f, offsetof(struct tcp_info, tcpi_##f), 4}

static const struct tcpi_field {
    const char *name;
    size_t off;
    size_t size;
} tcpi_fields[] = {
    U8(ca_state), U8(retransmits), U8(probes), U8(backoff), U8(options),
    U32(rto), U32(ato), U32(snd_mss), U32(rcv_mss), U32(unacked),
    U32(sacked), U32(lost), U32(retrans), U32(fackets), U32(last_data_sent),
    U32(last_ack_sent), U32(last_data_recv), U32(last_ack_recv), U32(pmtu),
    U32(rcv_ssthresh), U32(rtt), U32(rttvar), U32(snd_ssthresh),
    U32(snd_cwnd), U32(advmss), U32(reordering), U32(rcv_rtt),
    U32(rcv_space), U32(total_retrans),
};

static const struct sp_name tcp_states[] = {
    {"established", TCP_ESTABLISHED}, {"syn_sent", TCP_SYN_SENT},
    {"syn_recv", TCP_SYN_RECV},       {"fin_wait1", TCP_FIN_WAIT1},
    {"fin_wait2", TCP_FIN_WAIT2},     {"time_wait", TCP_TIME_WAIT},
    {"closed", TCP_CLOSE},            {"close_wait", TCP_CLOSE_WAIT},
    {"last_ack", TCP_LAST_ACK},       {"listen", TCP_LISTEN},
    {"closing", TCP_CLOSING},
};

static void do_tcp_info(struct sp_daemon *d, struct sp_cmd *c, int fd)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0) {
        sp_reply_errno(d, c->pid, c->ref, errno);
        return;
    }
    size_t nfields = sizeof tcpi_fields / sizeof tcpi_fields[0];
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    begin_ok(&e, c);
    sp_enc_list(&e, (int)nfields + 3);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "state");
    const char *state = sp_name_of(tcp_states, sizeof tcp_states /
                                   sizeof tcp_states[0], ti.tcpi_state);
    if (state)
        sp_enc_atom(&e, state);
    else
        sp_enc_long(&e, ti.tcpi_state);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "snd_wscale");
    sp_enc_long(&e, ti.tcpi_snd_wscale);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "rcv_wscale");
    sp_enc_long(&e, ti.tcpi_rcv_wscale);
    for (size_t i = 0; i < nfields; i++) {
        const unsigned char *p = (const unsigned char *)&ti + tcpi_fields[i].off;
        uint32_t v32;
        sp_enc_tuple(&e, 2);
        sp_enc_atom(&e, tcpi_fields[i].name);
        if (tcpi_fields[i].size == 1) {
            sp_enc_long(&e, *p);
        } else {
            memcpy(&v32, p, sizeof v32);
            sp_enc_u64(&e, v32);
        }
    }
    sp_enc_nil(&e);
    sp_emit(d, &e, NULL, 0);
}

/* ---- requests on an interface ------------------------------------------- */

static void reply_ifreq(struct sp_daemon *d, struct sp_cmd *c,
                        const struct sp_ioctl *row, const struct ifreq *ifr)
{
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    begin_ok(&e, c);
    switch (row->val) {
    case SP_IOV_IFNAME:
        sp_enc_binary(&e, ifr->ifr_name, strnlen(ifr->ifr_name, IFNAMSIZ));
        break;
    case SP_IOV_IFINT:
        /* ifr_ifindex, ifr_mtu and ifr_qlen are the same int of the union */
        sp_enc_long(&e, ifr->ifr_ifindex);
        break;
    case SP_IOV_IFADDR:
        sp_addr_encode(&e, &ifr->ifr_addr, sizeof ifr->ifr_addr);
        break;
    case SP_IOV_IFHWADDR: {
        const char *family = sp_name_of(sp_hatypes, sp_hatypes_n,
                                        ifr->ifr_hwaddr.sa_family);
        sp_enc_tuple(&e, 2);
        if (family)
            sp_enc_atom(&e, family);
        else
            sp_enc_long(&e, ifr->ifr_hwaddr.sa_family);
        sp_enc_binary(&e, ifr->ifr_hwaddr.sa_data,
                      sizeof ifr->ifr_hwaddr.sa_data);
        break;
    }
    case SP_IOV_IFFLAGS:
        sp_enc_long(&e, (unsigned short)ifr->ifr_flags);
        break;
    case SP_IOV_IFMAP:
        sp_enc_tuple(&e, 6);
        sp_enc_u64(&e, ifr->ifr_map.mem_start);
        sp_enc_u64(&e, ifr->ifr_map.mem_end);
        sp_enc_long(&e, ifr->ifr_map.base_addr);
        sp_enc_long(&e, ifr->ifr_map.irq);
        sp_enc_long(&e, ifr->ifr_map.dma);
        sp_enc_long(&e, ifr->ifr_map.port);
        break;
    default:
        sp_enc_atom(&e, "undefined");
        break;
    }
    sp_emit(d, &e, NULL, 0);
}

/* Set requests: the value goes into the ifreq the name is in. */
static void do_set(struct sp_daemon *d, struct sp_cmd *c,
                   const struct sp_ioctl *row, struct ioctl_args *a, int fd)
{
    if (row->val == SP_IOV_SETFLAGS) {
        /* As the NIF: read the flags first (so a missing interface is
         * enodev even with bad flags), change them, write them back. */
        if (ioctl(fd, SIOCGIFFLAGS, &a->ifr) != 0) {
            sp_reply_errno(d, c->pid, c->ref, errno);
            return;
        }
        if (a->bad_value) {
            sp_reply_atom_error(d, c->pid, c->ref, "invalid");
            return;
        }
        unsigned long flags = (unsigned short)a->ifr.ifr_flags;
        a->ifr.ifr_flags = (short)((flags | a->set) & ~a->clear);
    } else if (a->bad_value) {
        reply_invalid(d, c, row->invalid);
        return;
    } else if (row->val == SP_IOV_SETADDR) {
        /* Only what the union holds: the kernel checks the family. */
        size_t room = sizeof a->ifr - offsetof(struct ifreq, ifr_addr);
        size_t n = a->addr.len < room ? a->addr.len : room;
        memcpy(&a->ifr.ifr_addr, &a->addr.ss, n);
    } else {
        a->ifr.ifr_mtu = (int)a->value; /* ifr_qlen is the same int */
    }
    if (ioctl(fd, row->req, &a->ifr) != 0)
        sp_reply_errno(d, c->pid, c->ref, errno);
    else
        sp_reply_ok(d, c->pid, c->ref);
}

int sp_cmd_ioctl(struct sp_daemon *d, struct sp_cmd *c)
{
    char req[SP_ATOM_MAX];
    if (sp_dec_atom(&c->dec, req) != 0)
        return -1;
    const struct sp_ioctl *row = sp_ioctl_find(req);
    if (!row) {
        if (sp_dec_skip(&c->dec) != 0 || sp_dec_skip(&c->dec) != 0 ||
            sp_dec_end(&c->dec) != 0)
            return -1;
        /* no row for it here */
        sp_reply_invalid(d, c->pid, c->ref, "ioctl_request", req);
        return 0;
    }
    struct ioctl_args a;
    memset(&a, 0, sizeof a);
    if (dec_args(c, row, &a) != 0 || sp_dec_end(&c->dec) != 0)
        return -1;
    if (a.bad_key) {
        reply_raise_badarg(d, c);
        return 0;
    }
    int fd = c->sock->fd;
    switch (row->val) {
    case SP_IOV_IFCONF:
        do_ifconf(d, c, fd);
        return 0;
    case SP_IOV_NSPACE:
        do_nspace(d, c, row, fd);
        return 0;
    case SP_IOV_TCP_INFO:
        do_tcp_info(d, c, fd);
        return 0;
    case SP_IOV_INT:
    case SP_IOV_BOOL: {
        int v = 0;
        if (ioctl(fd, row->req, &v) != 0) {
            sp_reply_errno(d, c->pid, c->ref, errno);
        } else if (row->val == SP_IOV_INT) {
            reply_ok_long(d, c, v);
        } else {
            char buf[SP_HDR_BUF];
            struct sp_enc e;
            sp_enc_init(&e, buf, sizeof buf);
            begin_ok(&e, c);
            sp_enc_atom(&e, v ? "true" : "false");
            sp_emit(d, &e, NULL, 0);
        }
        return 0;
    }
    case SP_IOV_SETFLAGS:
    case SP_IOV_SETADDR:
    case SP_IOV_SETINT:
        do_set(d, c, row, &a, fd);
        return 0;
    default:
        if (ioctl(fd, row->req, &a.ifr) != 0)
            sp_reply_errno(d, c->pid, c->ref, errno);
        else
            reply_ifreq(d, c, row, &a.ifr);
        return 0;
    }
}
