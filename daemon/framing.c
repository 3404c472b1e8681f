/* inet's packet framing (framing.h): the rules of erts' packet parser for
 * the packet types gen_tcp users set most, raw, 1, 2, 4 and line. */
#include <string.h>

#include "framing.h"

static size_t header_size(int packet)
{
    return packet == SP_PKT_1 || packet == SP_PKT_2 || packet == SP_PKT_4
               ? (size_t)packet
               : 0;
}

static size_t header_value(int packet, const unsigned char *u)
{
    switch (packet) {
    case SP_PKT_1:
        return u[0];
    case SP_PKT_2:
        return (size_t)u[0] << 8 | u[1];
    default:
        return (size_t)u[0] << 24 | (size_t)u[1] << 16 | (size_t)u[2] << 8 |
               u[3];
    }
}

long sp_packet_len(int packet, const char *p, size_t n, size_t max_plen,
                   size_t trunc_len, size_t *hdr)
{
    *hdr = 0;
    if (packet == SP_PKT_RAW)
        return n > 0 ? (long)(n > SP_PACKET_MAX ? SP_PACKET_MAX : n) : 0;
    if (packet == SP_PKT_LINE) {
        const char *nl = n ? memchr(p, '\n', n) : NULL;
        if (!nl) {
            if (max_plen && n > max_plen)
                return -1;
            if (trunc_len && n >= trunc_len)
                return (long)trunc_len;
            if (n >= (size_t)SP_PACKET_MAX)
                return -1;
            return 0;
        }
        size_t len = (size_t)(nl - p) + 1;
        if (max_plen && len > max_plen)
            return -1;
        if (trunc_len && len > trunc_len)
            return (long)trunc_len;
        return (long)len;
    }
    size_t h = header_size(packet);
    if (h == 0 || n < h)
        return 0;
    size_t plen = header_value(packet, (const unsigned char *)p);
    if ((max_plen && plen > max_plen) || plen > (size_t)SP_PACKET_MAX)
        return -1;
    *hdr = h;
    return n >= h + plen ? (long)(h + plen) : 0;
}

size_t sp_packet_need(int packet, const char *p, size_t n)
{
    size_t h = header_size(packet);
    if (h == 0)
        return n + 1;
    if (n < h)
        return h;
    size_t plen = header_value(packet, (const unsigned char *)p);
    return h + plen > n ? h + plen : n + 1;
}
