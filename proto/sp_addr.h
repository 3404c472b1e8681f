/* Socket addresses: the wire terms of PROTOCOL.md <-> struct sockaddr. */
#ifndef SP_ADDR_H
#define SP_ADDR_H

#include <sys/socket.h>

#include "sp_etf.h"

struct sp_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* Decodes {inet, ...}, {inet6, ...}, {local, Path}, {unspec, Bytes},
 * {native, Family, Bytes} (Family 0..65535, the bytes after sa_family); -1 if
 * malformed (the cursor is then unchanged). The atoms any | loopback |
 * broadcast are resolved in `family` (AF_INET or AF_INET6) with port 0;
 * broadcast has no inet6 meaning (-1), and in any other family the atoms
 * give -EAFNOSUPPORT, which is what OTP answers for bind(LocalSock, any).
 * {local, <<>>} is the unnamed address (socklen = sizeof(sa_family_t); bind
 * autobinds). */
int sp_addr_decode(struct sp_dec *d, int family, struct sp_addr *a);
/* Encodes what the kernel returned: {inet, ...}, {inet6, ...},
 * {local, Path}, {packet, Protocol, IfIndex, HaType, PktType, Addr}
 * (sockaddr_ll), {unspec, Bytes} (AF_UNSPEC, or length 0); an address too
 * short for its family, or of another family, {native, Family, Bytes}
 * (Family an atom where OTP names it, else its number); one shorter than
 * sa_family a binary of its bytes. */
void sp_addr_encode(struct sp_enc *e, const struct sockaddr *sa, socklen_t len);

#endif
