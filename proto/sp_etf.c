/* The checked ETF decode cursor and the encoder of sp_etf.h, on top of ei.
 * ei does not bounds-check its input, so before any ei_decode_* call the
 * cursor measures the next term with its own bounded walker (term_size):
 * only a term that lies wholly inside [idx, len) is handed to ei, and ei
 * must then consume exactly the bytes the walker measured. The walker is
 * iterative (a count of terms still to skip, no recursion), so a deeply
 * nested hostile term cannot exhaust the stack. Encoders measure each write
 * with ei first (ei_encode_X(NULL, ...)) and record -1 in `err` instead of
 * overflowing the caller's buffer. The commonest terms (small integers and
 * atoms in; headers, atoms and small integers out) skip ei: they are read
 * and written here, bounds-checked, byte for byte as ei would. */
#include "sp_etf.h"

#include <ei.h>
#include <limits.h>
#include <string.h>

#define ETF_VERSION 131
#define TAG_NEW_FLOAT 70 /* not in ei.h as ERL_*; ei reports ERL_FLOAT_EXT */

static uint32_t get_be(const unsigned char *p, int n)
{
    uint32_t v = 0;

    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Bytes of a leaf atom at buf[i..len), or -1. */
static long atom_size(const unsigned char *buf, long i, long len)
{
    if (i >= len)
        return -1;
    switch (buf[i]) {
    case ERL_SMALL_ATOM_EXT:
    case ERL_SMALL_ATOM_UTF8_EXT:
        if (len - i < 2)
            return -1;
        return 2 + (long)buf[i + 1] <= len - i ? 2 + (long)buf[i + 1] : -1;
    case ERL_ATOM_EXT:
    case ERL_ATOM_UTF8_EXT:
        if (len - i < 3)
            return -1;
        return 3 + (long)get_be(buf + i + 1, 2) <= len - i
                   ? 3 + (long)get_be(buf + i + 1, 2) : -1;
    default:
        return -1;
    }
}

/* How one tag is laid out: `head` fixed bytes (tag included), then an
 * atom (`atom`), then `after` fixed bytes; `lenw` bytes at offset 1 hold a
 * count of bytes or subterms. */
struct tag_shape {
    unsigned char head;  /* bytes from the tag up to the atom / payload;
                            0: a tag we do not accept */
    unsigned char atom;  /* an atom follows the head */
    unsigned char after; /* fixed bytes after the atom */
    unsigned char lenw;  /* width of the count at offset 1 (0: none) */
    unsigned char terms; /* the count is of subterms (else of bytes) */
    unsigned char per;   /* bytes or subterms per count unit */
    unsigned char extra; /* subterms that follow regardless of count */
};

/* Indexed by tag: the walker looks a tag up once per term. */
static const struct tag_shape shapes[256] = {
    [ERL_SMALL_INTEGER_EXT] = {2, 0, 0, 0, 0, 0, 0},
    [ERL_INTEGER_EXT] = {5, 0, 0, 0, 0, 0, 0},
    [ERL_FLOAT_EXT] = {32, 0, 0, 0, 0, 0, 0},
    [TAG_NEW_FLOAT] = {9, 0, 0, 0, 0, 0, 0},
    [ERL_SMALL_ATOM_EXT] = {2, 0, 0, 1, 0, 1, 0},
    [ERL_SMALL_ATOM_UTF8_EXT] = {2, 0, 0, 1, 0, 1, 0},
    [ERL_ATOM_EXT] = {3, 0, 0, 2, 0, 1, 0},
    [ERL_ATOM_UTF8_EXT] = {3, 0, 0, 2, 0, 1, 0},
    [ERL_REFERENCE_EXT] = {1, 1, 5, 0, 0, 0, 0},
    [ERL_NEW_REFERENCE_EXT] = {3, 1, 1, 2, 0, 4, 0},
    [ERL_NEWER_REFERENCE_EXT] = {3, 1, 4, 2, 0, 4, 0},
    [ERL_PORT_EXT] = {1, 1, 5, 0, 0, 0, 0},
    [ERL_NEW_PORT_EXT] = {1, 1, 8, 0, 0, 0, 0},
    [ERL_V4_PORT_EXT] = {1, 1, 12, 0, 0, 0, 0},
    [ERL_PID_EXT] = {1, 1, 9, 0, 0, 0, 0},
    [ERL_NEW_PID_EXT] = {1, 1, 12, 0, 0, 0, 0},
    [ERL_SMALL_TUPLE_EXT] = {2, 0, 0, 1, 1, 1, 0},
    [ERL_LARGE_TUPLE_EXT] = {5, 0, 0, 4, 1, 1, 0},
    [ERL_MAP_EXT] = {5, 0, 0, 4, 1, 2, 0},
    [ERL_NIL_EXT] = {1, 0, 0, 0, 0, 0, 0},
    [ERL_STRING_EXT] = {3, 0, 0, 2, 0, 1, 0},
    [ERL_LIST_EXT] = {5, 0, 0, 4, 1, 1, 1},
    [ERL_BINARY_EXT] = {5, 0, 0, 4, 0, 1, 0},
    [ERL_BIT_BINARY_EXT] = {6, 0, 0, 4, 0, 1, 0},
    [ERL_SMALL_BIG_EXT] = {3, 0, 0, 1, 0, 1, 0},
    [ERL_LARGE_BIG_EXT] = {6, 0, 0, 4, 0, 1, 0},
    [ERL_EXPORT_EXT] = {1, 0, 0, 0, 0, 0, 3},
};

/* Size in bytes of the term at buf[i..len), or -1 if it is not wholly
 * there or uses a tag we do not accept (compressed, old funs, atom cache,
 * LOCAL_EXT). NEW_FUN_EXT carries its own total size. */
static long term_size(const char *cbuf, long i, long len)
{
    const unsigned char *buf = (const unsigned char *)cbuf;
    long start = i;
    uint64_t todo = 1; /* terms still to skip */

    while (todo > 0) {
        const struct tag_shape *s;
        uint64_t count = 0;

        if (i >= len)
            return -1;
        /* Every term is at least one byte: a count beyond the bytes left
         * is a lie, stop before looping over it. */
        if (todo > (uint64_t)(len - i))
            return -1;
        todo--;
        if (buf[i] == ERL_NEW_FUN_EXT) {
            uint32_t sz;

            if (len - i < 5)
                return -1;
            sz = get_be(buf + i + 1, 4);
            if (sz < 4 || (uint64_t)sz + 1 > (uint64_t)(len - i))
                return -1;
            i += 1 + (long)sz;
            continue;
        }
        s = &shapes[buf[i]];
        if (s->head == 0)
            return -1;
        if (len - i < s->head)
            return -1;
        if (s->lenw > 0)
            count = get_be(buf + i + 1, s->lenw);
        i += s->head;
        if (s->atom) {
            long a = atom_size(buf, i, len);

            if (a < 0)
                return -1;
            i += a;
        }
        if (s->after > len - i)
            return -1;
        i += s->after;
        if (s->terms) {
            todo += count * s->per + s->extra;
        } else {
            uint64_t bytes = count * s->per;

            if (bytes > (uint64_t)(len - i))
                return -1;
            i += (long)bytes;
            todo += s->extra;
        }
    }
    return i - start;
}

void sp_dec_init(struct sp_dec *d, const void *buf, size_t len)
{
    d->buf = buf;
    d->idx = 0;
    d->len = len > INT_MAX ? INT_MAX : (int)len;
}

static int left(const struct sp_dec *d)
{
    return d->len - d->idx;
}

static int tag(const struct sp_dec *d)
{
    return left(d) > 0 ? (unsigned char)d->buf[d->idx] : -1;
}

/* The size of the next term if it lies wholly in the frame, else -1. */
static int next_size(const struct sp_dec *d)
{
    long n = term_size(d->buf, d->idx, d->len);

    return n > 0 && n <= INT_MAX ? (int)n : -1;
}

/* Commits an ei decode that ran on a temporary index: it must have
 * succeeded and consumed exactly `size` bytes. */
static int commit(struct sp_dec *d, int rc, int idx, int size)
{
    if (rc < 0 || idx != d->idx + size)
        return -1;
    d->idx = idx;
    return 0;
}

int sp_dec_version(struct sp_dec *d)
{
    if (tag(d) != ETF_VERSION)
        return -1;
    d->idx++;
    return 0;
}

int sp_dec_tuple(struct sp_dec *d, int *arity)
{
    int idx = d->idx, t = tag(d), a, hdr;

    if (t == ERL_SMALL_TUPLE_EXT)
        hdr = 2;
    else if (t == ERL_LARGE_TUPLE_EXT)
        hdr = 5;
    else
        return -1;
    if (left(d) < hdr)
        return -1;
    if (ei_decode_tuple_header(d->buf, &idx, &a) < 0 || idx != d->idx + hdr)
        return -1;
    /* Each element takes at least one byte. */
    if (a < 0 || a > d->len - idx)
        return -1;
    d->idx = idx;
    *arity = a;
    return 0;
}

int sp_dec_tuple_n(struct sp_dec *d, int arity)
{
    struct sp_dec save = *d;
    int a;

    if (sp_dec_tuple(d, &a) < 0)
        return -1;
    if (a != arity) {
        *d = save;
        return -1;
    }
    return 0;
}

int sp_dec_list(struct sp_dec *d, int *arity)
{
    int idx = d->idx, t = tag(d), a;

    if (t == ERL_NIL_EXT) {
        d->idx++;
        *arity = 0;
        return 0;
    }
    if (t != ERL_LIST_EXT || left(d) < 5)
        return -1;
    if (ei_decode_list_header(d->buf, &idx, &a) < 0 || idx != d->idx + 5)
        return -1;
    if (a < 0 || a > d->len - idx)
        return -1;
    /* Proper: the tail after the elements must be []. */
    {
        long i = idx;

        for (int k = 0; k < a; k++) {
            long n = term_size(d->buf, i, d->len);

            if (n < 0)
                return -1;
            i += n;
        }
        if (i >= d->len || (unsigned char)d->buf[i] != ERL_NIL_EXT)
            return -1;
    }
    d->idx = idx;
    *arity = a;
    return 0;
}

int sp_dec_nil(struct sp_dec *d)
{
    if (tag(d) != ERL_NIL_EXT)
        return -1;
    d->idx++;
    return 0;
}

static bool is_integer_tag(int t)
{
    return t == ERL_SMALL_INTEGER_EXT || t == ERL_INTEGER_EXT ||
           t == ERL_SMALL_BIG_EXT || t == ERL_LARGE_BIG_EXT;
}

/* SMALL_INTEGER_EXT and INTEGER_EXT, nearly every integer of a command,
 * read without ei: 1 if read into *v, 0 if the term is another kind. */
static int small_int(struct sp_dec *d, int32_t *v)
{
    const unsigned char *b = (const unsigned char *)d->buf + d->idx;

    if (tag(d) == ERL_SMALL_INTEGER_EXT && left(d) >= 2) {
        *v = b[1];
        d->idx += 2;
        return 1;
    }
    if (tag(d) == ERL_INTEGER_EXT && left(d) >= 5) {
        *v = (int32_t)get_be(b + 1, 4);
        d->idx += 5;
        return 1;
    }
    return 0;
}

int sp_dec_long(struct sp_dec *d, long *v)
{
    int idx = d->idx, n, rc;
    int32_t small;
    long x;

    if (small_int(d, &small)) {
        *v = small;
        return 0;
    }
    if (!is_integer_tag(tag(d)) || (n = next_size(d)) < 0)
        return -1;
    rc = ei_decode_long(d->buf, &idx, &x);
    if (commit(d, rc, idx, n) < 0)
        return -1;
    *v = x;
    return 0;
}

int sp_dec_u64(struct sp_dec *d, uint64_t *v)
{
    struct sp_dec save = *d;
    int idx = d->idx, n, rc;
    int32_t small;
    EI_ULONGLONG x;

    if (small_int(d, &small)) {
        if (small < 0) {
            *d = save;
            return -1;
        }
        *v = (uint64_t)small;
        return 0;
    }
    if (!is_integer_tag(tag(d)) || (n = next_size(d)) < 0)
        return -1;
    rc = ei_decode_ulonglong(d->buf, &idx, &x);
    if (commit(d, rc, idx, n) < 0)
        return -1;
    *v = (uint64_t)x;
    return 0;
}

int sp_dec_range(struct sp_dec *d, long lo, long hi, long *v)
{
    struct sp_dec save = *d;
    long x;

    if (sp_dec_long(d, &x) < 0)
        return -1;
    if (x < lo || x > hi) {
        *d = save;
        return -1;
    }
    *v = x;
    return 0;
}

/* The name of the atom at the cursor, in bounds: its bytes and whether
 * they are Latin-1 (else UTF-8; `latin1` may be NULL). The atom's size in
 * the frame, or -1. */
static int atom_name(const struct sp_dec *d, const unsigned char **p,
                     int *n, bool *latin1)
{
    const unsigned char *b = (const unsigned char *)d->buf + d->idx;
    int t = tag(d), hdr;

    if (t == ERL_SMALL_ATOM_EXT || t == ERL_SMALL_ATOM_UTF8_EXT)
        hdr = 2;
    else if (t == ERL_ATOM_EXT || t == ERL_ATOM_UTF8_EXT)
        hdr = 3;
    else
        return -1;
    if (left(d) < hdr)
        return -1;
    *n = (int)get_be(b + 1, hdr - 1);
    if (*n > left(d) - hdr)
        return -1;
    *p = b + hdr;
    if (latin1)
        *latin1 = t == ERL_SMALL_ATOM_EXT || t == ERL_ATOM_EXT;
    return hdr + *n;
}

static bool ascii(const unsigned char *p, int n)
{
    for (int i = 0; i < n; i++)
        if (p[i] >= 0x80)
            return false;
    return true;
}

int sp_dec_atom(struct sp_dec *d, char name[SP_ATOM_MAX])
{
    const unsigned char *p;
    int idx = d->idx, n, size, rc;
    bool latin1;
    char tmp[SP_ATOM_MAX];

    if ((size = atom_name(d, &p, &n, &latin1)) < 0)
        return -1;
    if (!latin1 || ascii(p, n)) {
        /* already UTF-8: the bytes are the name */
        if (n >= SP_ATOM_MAX)
            return -1;
        memcpy(name, p, (size_t)n);
        name[n] = '\0';
        d->idx += size;
        return 0;
    }
    /* Latin-1 beyond ASCII: ei converts, and fails if the UTF-8 name
     * would not fit in SP_ATOM_MAX bytes with the NUL. */
    rc = ei_decode_atom_as(d->buf, &idx, tmp, sizeof tmp, ERLANG_UTF8, NULL,
                           NULL);
    if (commit(d, rc, idx, size) < 0)
        return -1;
    memcpy(name, tmp, strlen(tmp) + 1);
    return 0;
}

int sp_dec_binary(struct sp_dec *d, const char **p, size_t *len, size_t max)
{
    int n;
    uint32_t blen;

    if (tag(d) != ERL_BINARY_EXT || (n = next_size(d)) < 0)
        return -1;
    blen = get_be((const unsigned char *)d->buf + d->idx + 1, 4);
    if (blen > max)
        return -1;
    *p = d->buf + d->idx + 5;
    *len = blen;
    d->idx += n;
    return 0;
}

/* The size of the pid or reference at the cursor, measured as term_size
 * would but without its walk (every command carries one of each), or -1
 * if the term is something else or not wholly there. */
static long pid_ref_size(const struct sp_dec *d)
{
    const unsigned char *b = (const unsigned char *)d->buf + d->idx;
    long len = left(d), a, n;

    switch (tag(d)) {
    case ERL_NEW_PID_EXT: /* tag, node, id, serial, creation */
        a = atom_size(b, 1, len);
        n = 1 + a + 12;
        break;
    case ERL_NEWER_REFERENCE_EXT: /* tag, count, node, creation, ids */
        if (len < 3)
            return -1;
        a = atom_size(b, 3, len);
        n = 3 + a + 4 + 4 * (long)get_be(b + 1, 2);
        break;
    default:
        return -1;
    }
    return a < 0 || n > len ? -1 : n;
}

int sp_dec_raw(struct sp_dec *d, struct sp_raw *raw)
{
    long quick = pid_ref_size(d);
    int n = quick > 0 ? (int)quick : next_size(d);

    if (n < 0)
        return -1;
    raw->p = d->buf + d->idx;
    raw->len = n;
    d->idx += n;
    return 0;
}

int sp_dec_peek_type(const struct sp_dec *d)
{
    int type, size;

    if (next_size(d) < 0)
        return -1;
    if (ei_get_type(d->buf, &d->idx, &type, &size) < 0)
        return -1;
    return type;
}

bool sp_dec_take_atom(struct sp_dec *d, const char *name)
{
    const unsigned char *p;
    int n, size = atom_name(d, &p, &n, NULL);

    /* `name` is ASCII, the same bytes in Latin-1 and in UTF-8 */
    if (size < 0 || (size_t)n != strlen(name) ||
        memcmp(p, name, (size_t)n) != 0)
        return false;
    d->idx += size;
    return true;
}

bool sp_dec_is_atom(const struct sp_dec *d, const char *name)
{
    struct sp_dec tmp = *d;

    return sp_dec_take_atom(&tmp, name);
}

int sp_dec_skip(struct sp_dec *d)
{
    struct sp_raw raw;

    return sp_dec_raw(d, &raw);
}

int sp_dec_end(const struct sp_dec *d)
{
    return d->idx == d->len ? 0 : -1;
}

size_t sp_dec_rest(const struct sp_dec *d, const char **p)
{
    *p = d->buf + d->idx;
    return (size_t)left(d);
}

void sp_enc_init(struct sp_enc *e, void *buf, size_t cap)
{
    e->buf = buf;
    e->idx = 0;
    e->cap = cap > INT_MAX ? INT_MAX : (int)cap;
    e->err = 0;
}

/* Room for `n` more bytes? Records the failure otherwise. */
static bool room(struct sp_enc *e, long n)
{
    if (e->err == 0 && n >= 0 && n <= (long)e->cap - e->idx)
        return true;
    e->err = -1;
    return false;
}

/* Runs one ei encoder twice: once to measure (NULL buffer), then for real
 * if it fits. */
#define ENC(e, call_with_buf)                                               \
    do {                                                                    \
        int idx_ = (e)->idx;                                                \
        char *buf_ = NULL;                                                  \
        if ((e)->err != 0)                                                  \
            break;                                                          \
        if ((call_with_buf) < 0) {                                          \
            (e)->err = -1;                                                  \
            break;                                                          \
        }                                                                   \
        if (!room((e), (long)idx_ - (e)->idx))                              \
            break;                                                          \
        idx_ = (e)->idx;                                                    \
        buf_ = (e)->buf;                                                    \
        if ((call_with_buf) < 0) {                                          \
            (e)->err = -1;                                                  \
            break;                                                          \
        }                                                                   \
        (e)->idx = idx_;                                                    \
    } while (0)

/* Writes `n` bytes at the end, or records that they do not fit. The
 * commonest terms are written directly; ei writes the rest. */
static void put(struct sp_enc *e, const void *p, size_t n)
{
    if (!room(e, (long)n))
        return;
    memcpy(e->buf + e->idx, p, n);
    e->idx += (int)n;
}

static void put_tag32(struct sp_enc *e, unsigned char tag, uint32_t v)
{
    unsigned char b[5] = {tag, (unsigned char)(v >> 24),
                          (unsigned char)(v >> 16), (unsigned char)(v >> 8),
                          (unsigned char)v};

    put(e, b, sizeof b);
}

void sp_enc_version(struct sp_enc *e)
{
    unsigned char v = ETF_VERSION;

    put(e, &v, 1);
}

void sp_enc_tuple(struct sp_enc *e, int arity)
{
    if (arity < 0) {
        e->err = -1;
    } else if (arity <= 255) {
        unsigned char b[2] = {ERL_SMALL_TUPLE_EXT, (unsigned char)arity};

        put(e, b, sizeof b);
    } else {
        put_tag32(e, ERL_LARGE_TUPLE_EXT, (uint32_t)arity);
    }
}

void sp_enc_list(struct sp_enc *e, int arity)
{
    ENC(e, ei_encode_list_header(buf_, &idx_, arity));
}

void sp_enc_nil(struct sp_enc *e)
{
    unsigned char nil = ERL_NIL_EXT;

    put(e, &nil, 1);
}

void sp_enc_atom(struct sp_enc *e, const char *name)
{
    size_t n = strlen(name);
    unsigned char hdr[2] = {ERL_SMALL_ATOM_UTF8_EXT, (unsigned char)n};

    /* SP_ATOM_MAX - 1 <= 255: a small atom always */
    if (n >= SP_ATOM_MAX) {
        e->err = -1;
        return;
    }
    if (!room(e, 2 + (long)n))
        return;
    put(e, hdr, 2);
    put(e, name, n);
}

void sp_enc_long(struct sp_enc *e, long v)
{
    if (v >= 0 && v <= 255) {
        unsigned char b[2] = {ERL_SMALL_INTEGER_EXT, (unsigned char)v};

        put(e, b, sizeof b);
    } else if (v >= -(1L << 27) && v < (1L << 27)) {
        /* ei's range for INTEGER_EXT (a fixnum of old 32-bit VMs) */
        put_tag32(e, ERL_INTEGER_EXT, (uint32_t)(int32_t)v);
    } else {
        ENC(e, ei_encode_long(buf_, &idx_, v));
    }
}

void sp_enc_u64(struct sp_enc *e, uint64_t v)
{
    if (v < (1u << 27))
        sp_enc_long(e, (long)v);
    else
        ENC(e, ei_encode_ulonglong(buf_, &idx_, (EI_ULONGLONG)v));
}

void sp_enc_binary(struct sp_enc *e, const void *p, size_t len)
{
    if (len > (size_t)INT_MAX) {
        e->err = -1;
        return;
    }
    ENC(e, ei_encode_binary(buf_, &idx_, p, (long)len));
}

void sp_enc_raw(struct sp_enc *e, struct sp_raw raw)
{
    if (raw.len < 0 || !room(e, raw.len))
        return;
    memcpy(e->buf + e->idx, raw.p, (size_t)raw.len);
    e->idx += raw.len;
}

void sp_enc_binary_header(struct sp_enc *e, size_t len)
{
    unsigned char *p;

    if (len > UINT32_MAX) {
        e->err = -1;
        return;
    }
    if (!room(e, 5))
        return;
    p = (unsigned char *)e->buf + e->idx;
    p[0] = ERL_BINARY_EXT;
    p[1] = (unsigned char)(len >> 24);
    p[2] = (unsigned char)(len >> 16);
    p[3] = (unsigned char)(len >> 8);
    p[4] = (unsigned char)len;
    e->idx += 5;
}
