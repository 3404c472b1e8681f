/* The {packet, 4} frame reader: bytes in, whole frames out, whatever the
 * reads split. Oversized frames are skipped, not buffered. */
#ifndef SP_FRAME_H
#define SP_FRAME_H

#include <stddef.h>
#include <stdint.h>

struct sp_frame_reader {
    char *buf;        /* bytes received; [off, len) not consumed yet */
    size_t off;
    size_t len;
    size_t cap;
    size_t max;       /* largest frame accepted */
    size_t skip;      /* bytes of an oversized frame still to drop */
    uint64_t skipped; /* oversized frames dropped so far */
};

void sp_frame_reader_init(struct sp_frame_reader *r, size_t max);
void sp_frame_reader_free(struct sp_frame_reader *r);

/* Room for at least `want` more bytes at *p; returns the room, 0 on ENOMEM.
 * The caller reads into it and calls sp_frame_commit. */
size_t sp_frame_space(struct sp_frame_reader *r, size_t want, char **p);
void sp_frame_commit(struct sp_frame_reader *r, size_t n);

/* The next whole frame, or 0 if none yet. *frame stays valid until the
 * next call to any sp_frame_* function. Returns 1 and sets *frame, *len. */
int sp_frame_next(struct sp_frame_reader *r, const char **frame, size_t *len);

#endif
