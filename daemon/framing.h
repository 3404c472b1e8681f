/* inet's packet framing ({packet, raw | 1 | 2 | 4 | line}), as a pure
 * function over the bytes read so far, so that the active delivery and
 * the passive recv of sockport_tcp share it and unit tests can drive it. */
#ifndef SP_FRAMING_H
#define SP_FRAMING_H

#include <stddef.h>

enum sp_packet {
    SP_PKT_RAW = 0,
    SP_PKT_1 = 1,
    SP_PKT_2 = 2,
    SP_PKT_4 = 4,
    SP_PKT_LINE = 5,
};

/* The largest packet the framer accepts whatever packet_size says. */
#define SP_PACKET_MAX (64L * 1024 * 1024)

/* The first packet in p[0..n): its length in bytes, header included (> 0),
 * 0 when more bytes are needed, or -1 when it is larger than max_plen
 * (emsgsize; max_plen 0 is no limit). *hdr is set to its header's size
 * (the payload starts there). A line ends at '\n' (included); a line of
 * trunc_len bytes without one is delivered as it is (inet's `buffer`
 * truncation; trunc_len 0 is no truncation). raw takes everything. */
long sp_packet_len(int packet, const char *p, size_t n, size_t max_plen,
                   size_t trunc_len, size_t *hdr);

/* Bytes to have read before the first packet in p[0..n) can be complete
 * (at least n + 1 when sp_packet_len said 0). */
size_t sp_packet_need(int packet, const char *p, size_t n);

#endif
