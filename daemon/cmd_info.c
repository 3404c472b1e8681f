/* Introspection: INFO (socket:info/1 of one socket, open or recently
 * closed), SOCKETS (the registered sockets, for which_sockets, number_of
 * and i), GLOBAL (the daemon's part of socket:info/0, and debug/1), the
 * OPEN options the daemon keeps, and the debug log of commands. The VM
 * turns the key-value lists answered here into OTP's maps. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "sp_proto.h"
#include "sp_tables.h"

/* How many closed sockets info/1 still knows, per daemon. */
#define SP_TOMBS 1024

struct sp_tomb {
    uint64_t id;
    int domain, type, protocol;
    struct sp_counters cnt;
};

/* ---- encoding ------------------------------------------------------------- */

static void enc_name(struct sp_enc *e, const struct sp_name *t, size_t n,
                     int v)
{
    const char *name = sp_name_of(t, n, v);
    if (name)
        sp_enc_atom(e, name);
    else
        sp_enc_long(e, v);
}

static void enc_kind(struct sp_enc *e, int domain, int type, int protocol)
{
    enc_name(e, sp_domains, sp_domains_n, domain);
    enc_name(e, sp_types, sp_types_n, type);
    enc_name(e, sp_protocols, sp_protocols_n, protocol);
}

static void enc_pair_atom(struct sp_enc *e, const char *key, const char *v)
{
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, key);
    sp_enc_atom(e, v);
}

static void enc_pair_u64(struct sp_enc *e, const char *key, uint64_t v)
{
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, key);
    sp_enc_u64(e, v);
}

static const struct {
    unsigned bit;
    const char *name;
} state_names[] = {
    {SP_ST_BOUND, "bound"},         {SP_ST_LISTENING, "listening"},
    {SP_ST_ACCEPTING, "accepting"}, {SP_ST_CONNECTING, "connecting"},
    {SP_ST_CONNECTED, "connected"}, {SP_ST_SELECTED, "selected"},
    {SP_ST_CLOSING, "closing"},     {SP_ST_CLOSED, "closed"},
};

static void enc_states(struct sp_enc *e, const char *key, unsigned bits)
{
    int n = 0;
    for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
        n += (bits & state_names[i].bit) != 0;
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, key);
    if (n > 0) {
        sp_enc_list(e, n);
        for (size_t i = 0; i < sizeof state_names / sizeof state_names[0];
             i++)
            if (bits & state_names[i].bit)
                sp_enc_atom(e, state_names[i].name);
    }
    sp_enc_nil(e);
}

static void enc_counters(struct sp_enc *e, const struct sp_counters *cnt)
{
    int n = cnt->sendfile_used ? SP_CNT__MAX : SP_CNT_FIRST_SENDFILE;
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "counters");
    sp_enc_list(e, n);
    for (int i = 0; i < n; i++)
        enc_pair_u64(e, sp_cnt_names[i], cnt->v[i]);
    sp_enc_nil(e);
}

struct info_view {
    int domain, type, protocol;
    struct sp_raw owner; /* .len 0: closed (undefined) */
    const struct sp_counters *cnt;
    unsigned nr, nw, na, rstate, wstate;
    bool readable, writable;
};

/* {ok, [{Key, Value}]} with the keys of socket_info(). */
static void enc_info(struct sp_enc *e, const struct info_view *v)
{
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "ok");
    sp_enc_list(e, 13);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "domain");
    enc_name(e, sp_domains, sp_domains_n, v->domain);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "type");
    enc_name(e, sp_types, sp_types_n, v->type);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "protocol");
    enc_name(e, sp_protocols, sp_protocols_n, v->protocol);
    sp_enc_tuple(e, 2);
    sp_enc_atom(e, "owner");
    if (v->owner.len > 0)
        sp_enc_raw(e, v->owner);
    else
        sp_enc_atom(e, "undefined");
    if (v->cnt->ctype == SP_CTYPE_FROMFD_N) {
        sp_enc_tuple(e, 2);
        sp_enc_atom(e, "ctype");
        sp_enc_tuple(e, 2);
        sp_enc_atom(e, "fromfd");
        sp_enc_long(e, v->cnt->fromfd);
    } else {
        enc_pair_atom(e, "ctype", v->cnt->ctype == SP_CTYPE_FROMFD ? "fromfd"
                                                                  : "normal");
    }
    enc_counters(e, v->cnt);
    enc_pair_u64(e, "num_readers", v->nr);
    enc_pair_u64(e, "num_writers", v->nw);
    enc_pair_u64(e, "num_acceptors", v->na);
    enc_states(e, "rstates", v->rstate);
    enc_states(e, "wstates", v->wstate);
    enc_pair_atom(e, "readable", v->readable ? "true" : "false");
    enc_pair_atom(e, "writable", v->writable ? "true" : "false");
    sp_enc_nil(e);
}

/* ---- INFO ----------------------------------------------------------------- */

static const struct sp_tomb *tomb_find(const struct sp_daemon *d,
                                       uint64_t id)
{
    for (size_t i = 0; i < d->ntombs; i++)
        if (d->tombs[i].id == id)
            return &d->tombs[i];
    return NULL;
}

void sp_tomb_keep(struct sp_daemon *d, const struct sp_sock *s)
{
    if (!d->tombs) {
        d->tombs = calloc(SP_TOMBS, sizeof *d->tombs);
        if (!d->tombs)
            return; /* info/1 of it will say what it says of the unknown */
    }
    struct sp_tomb *t = &d->tombs[d->tomb_next];
    d->tomb_next = (d->tomb_next + 1) % SP_TOMBS;
    if (d->ntombs < SP_TOMBS)
        d->ntombs++;
    t->id = s->id;
    t->domain = s->domain;
    t->type = s->type;
    t->protocol = s->protocol;
    t->cnt = s->cnt;
}

void sp_tombs_free(struct sp_daemon *d)
{
    free(d->tombs);
    d->tombs = NULL;
    d->ntombs = d->tomb_next = 0;
}

int sp_cmd_info(struct sp_daemon *d, struct sp_cmd *c)
{
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    struct info_view v;
    memset(&v, 0, sizeof v);
    struct sp_sock *s = sp_sock_find(d, c->id);
    const struct sp_tomb *t = s ? NULL : tomb_find(d, c->id);
    if (s) {
        v.domain = s->domain;
        v.type = s->type;
        v.protocol = s->protocol;
        v.owner = sp_pid_raw(s->owner);
        v.cnt = &s->cnt;
        v.nr = s->nq[SP_Q_READ];
        v.nw = s->nq[SP_Q_WRITE];
        v.na = s->nq[SP_Q_ACCEPT];
        v.rstate = s->cnt.rstate | (v.na > 0 ? SP_ST_ACCEPTING : 0);
        v.wstate = s->cnt.wstate | (s->connecting ? SP_ST_CONNECTING : 0);
        v.readable = !s->cnt.shut_rd;
        v.writable = !s->cnt.shut_wr;
    } else if (t) {
        v.domain = t->domain;
        v.type = t->type;
        v.protocol = t->protocol;
        v.cnt = &t->cnt;
        v.rstate = t->cnt.rstate | SP_ST_CLOSING | SP_ST_CLOSED;
        v.wstate = t->cnt.wstate | SP_ST_CLOSING | SP_ST_CLOSED;
    } else {
        /* never ours, or closed too long ago */
        sp_reply_atom_error(d, c->pid, c->ref, "closed");
        return 0;
    }
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, c->pid, c->ref);
    enc_info(&e, &v);
    sp_emit(d, &e, NULL, 0);
    return 0;
}

/* ---- SOCKETS -------------------------------------------------------------- */

struct walk {
    struct sp_enc *e;
    int n;
};

static void count_one(struct sp_daemon *d, struct sp_sock *s, void *arg)
{
    (void)d;
    struct walk *w = arg;
    w->n += s->use_registry;
}

static void enc_one(struct sp_daemon *d, struct sp_sock *s, void *arg)
{
    (void)d;
    struct walk *w = arg;
    if (!s->use_registry)
        return;
    sp_enc_tuple(w->e, 5);
    sp_enc_u64(w->e, s->id);
    enc_kind(w->e, s->domain, s->type, s->protocol);
    sp_enc_raw(w->e, sp_pid_raw(s->owner));
}

int sp_cmd_sockets(struct sp_daemon *d, struct sp_cmd *c)
{
    if (sp_dec_end(&c->dec) != 0)
        return -1;
    struct walk w = {0};
    sp_sock_each(d, count_one, &w);
    /* An entry is at most a pid, an id and three small terms. */
    size_t cap = SP_HDR_BUF + (size_t)w.n * (SP_RAW_MAX + 128);
    char *buf = malloc(cap);
    if (!buf) {
        sp_reply_atom_error(d, c->pid, c->ref, "enomem");
        return 0;
    }
    struct sp_enc e;
    sp_enc_init(&e, buf, cap);
    sp_route_reply(&e, c->pid, c->ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "ok");
    if (w.n > 0) {
        sp_enc_list(&e, w.n);
        w.e = &e;
        sp_sock_each(d, enc_one, &w);
    }
    sp_enc_nil(&e);
    sp_emit(d, &e, NULL, 0);
    free(buf);
    return 0;
}

/* ---- GLOBAL --------------------------------------------------------------- */

/* Settings: [{debug, Bool}]; anything else is malformed. */
static int apply_settings(struct sp_daemon *d, struct sp_dec *dec)
{
    int n;
    if (sp_dec_list(dec, &n) != 0)
        return -1;
    while (n > 0) {
        for (int i = 0; i < n; i++) {
            char key[SP_ATOM_MAX];
            bool on;
            if (sp_dec_tuple_n(dec, 2) != 0 || sp_dec_atom(dec, key) != 0 ||
                strcmp(key, "debug") != 0 || sp_dec_bool(dec, &on) != 0)
                return -1;
            d->debug = on;
        }
        if (sp_dec_list(dec, &n) != 0)
            return -1;
    }
    return 0;
}

int sp_cmd_global(struct sp_daemon *d, struct sp_cmd *c)
{
    if (apply_settings(d, &c->dec) != 0 || sp_dec_end(&c->dec) != 0)
        return -1;
    long iov_max = sysconf(_SC_IOV_MAX);
    char buf[SP_HDR_BUF];
    struct sp_enc e;
    sp_enc_init(&e, buf, sizeof buf);
    sp_route_reply(&e, c->pid, c->ref);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "ok");
    sp_enc_list(&e, 3);
    sp_enc_tuple(&e, 2);
    sp_enc_atom(&e, "counters");
    sp_enc_list(&e, SP_NUM__MAX + 1);
    enc_pair_u64(&e, "num_cnt_bits", 64);
    for (int i = 0; i < SP_NUM__MAX; i++)
        enc_pair_u64(&e, sp_num_names[i], d->num[i]);
    sp_enc_nil(&e);
    enc_pair_u64(&e, "iov_max", iov_max > 0 ? (uint64_t)iov_max : 16);
    enc_pair_atom(&e, "debug", d->debug ? "true" : "false");
    sp_enc_nil(&e);
    sp_emit(d, &e, NULL, 0);
    return 0;
}

/* ---- OPEN options, debug log ---------------------------------------------- */

int sp_open_opts(struct sp_sock *s, struct sp_raw opts)
{
    struct sp_dec dec;
    int n;
    sp_dec_init(&dec, opts.p, (size_t)opts.len);
    if (sp_dec_list(&dec, &n) != 0)
        return -1;
    while (n > 0) {
        for (int i = 0; i < n; i++) {
            char key[SP_ATOM_MAX];
            bool on;
            if (sp_dec_tuple_n(&dec, 2) != 0 || sp_dec_atom(&dec, key) != 0)
                return -1;
            if (strcmp(key, "debug") == 0 && sp_dec_bool(&dec, &on) == 0)
                s->debug = on;
            else if (strcmp(key, "use_registry") == 0 &&
                     sp_dec_bool(&dec, &on) == 0)
                s->use_registry = on;
            else if (sp_dec_skip(&dec) != 0) /* unknown keys are ignored */
                return -1;
        }
        if (sp_dec_list(&dec, &n) != 0)
            return -1;
    }
    return sp_dec_end(&dec);
}

void sp_debug_cmd(struct sp_daemon *d, const struct sp_cmd *c,
                  bool on_socket)
{
    if (!d->debug && !(c->sock && c->sock->debug))
        return;
    const char *name = sp_op_to_str(c->op);
    sp_log(d, "debug", "command %s on socket %" PRIu64 "%s",
           name ? name : "unknown", c->id,
           on_socket && !c->sock ? " (not open)" : "");
}
