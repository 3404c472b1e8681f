/* Checked reading and writing of Erlang external term format on top of ei.
 *
 * sp_dec is a cursor over one frame: every getter checks ei's return, the
 * term type and the bytes left, caps sizes, and leaves the cursor unchanged
 * on failure (returning -1); sp_dec_end fails on trailing bytes. Handlers
 * never touch ei buffers directly.
 *
 * sp_enc writes terms into a caller-owned buffer; the first failure (no
 * room) sticks in `err`, so a sequence of writes is checked once at the
 * end. */
#ifndef SP_ETF_H
#define SP_ETF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SP_ATOM_MAX 256 /* bytes of an atom's name, with the NUL */

struct sp_dec {
    const char *buf;
    int idx; /* next byte to read */
    int len; /* bytes in buf */
};

/* A term kept as its ETF bytes (a pid, a reference, a select handle). */
struct sp_raw {
    const char *p;
    int len;
};

void sp_dec_init(struct sp_dec *d, const void *buf, size_t len);
/* The version byte 131 that starts every term_to_binary/1 output. */
int sp_dec_version(struct sp_dec *d);
int sp_dec_tuple(struct sp_dec *d, int *arity);
/* A tuple of exactly `arity` elements. */
int sp_dec_tuple_n(struct sp_dec *d, int arity);
/* A proper list's header; 0 for []. After the `arity` elements of a
 * non-empty list comes its tail []: read it with sp_dec_nil (or sp_dec_list
 * again, which then gives 0). STRING_EXT (a list of small integers as
 * term_to_binary packs it) is not accepted. */
int sp_dec_list(struct sp_dec *d, int *arity);
int sp_dec_nil(struct sp_dec *d);
int sp_dec_long(struct sp_dec *d, long *v);
int sp_dec_u64(struct sp_dec *d, uint64_t *v);
/* An integer in [lo, hi]. */
int sp_dec_range(struct sp_dec *d, long lo, long hi, long *v);
int sp_dec_atom(struct sp_dec *d, char name[SP_ATOM_MAX]);
/* A binary: *p points into the frame; at most `max` bytes. */
int sp_dec_binary(struct sp_dec *d, const char **p, size_t *len, size_t max);
/* Any term, returned as its bytes (no copy). */
int sp_dec_raw(struct sp_dec *d, struct sp_raw *raw);
/* Steps over any term. */
int sp_dec_skip(struct sp_dec *d);
/* The next term's ei type (ERL_*_EXT) without consuming it, or -1. */
int sp_dec_peek_type(const struct sp_dec *d);
bool sp_dec_is_atom(const struct sp_dec *d, const char *name);
/* Steps over the atom `name` if it is next; false (cursor unmoved) if not. */
bool sp_dec_take_atom(struct sp_dec *d, const char *name);
/* Fails unless every byte has been read. */
int sp_dec_end(const struct sp_dec *d);
/* Bytes not read yet (a command's payload tail). */
size_t sp_dec_rest(const struct sp_dec *d, const char **p);

struct sp_enc {
    char *buf;
    int idx;
    int cap;
    int err; /* -1 once a write did not fit */
};

void sp_enc_init(struct sp_enc *e, void *buf, size_t cap);
void sp_enc_version(struct sp_enc *e);
void sp_enc_tuple(struct sp_enc *e, int arity);
void sp_enc_list(struct sp_enc *e, int arity); /* header; end with sp_enc_nil */
void sp_enc_nil(struct sp_enc *e);
void sp_enc_atom(struct sp_enc *e, const char *name);
void sp_enc_long(struct sp_enc *e, long v);
void sp_enc_u64(struct sp_enc *e, uint64_t v);
void sp_enc_binary(struct sp_enc *e, const void *p, size_t len);
void sp_enc_raw(struct sp_enc *e, struct sp_raw raw);
/* The header of a binary of `len` bytes whose bytes the caller appends
 * itself (received data written straight behind it). */
void sp_enc_binary_header(struct sp_enc *e, size_t len);

#endif
