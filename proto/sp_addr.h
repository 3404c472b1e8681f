/* Socket addresses: the wire terms of PROTOCOL.md <-> struct sockaddr. */
#ifndef SP_ADDR_H
#define SP_ADDR_H

#include <sys/socket.h>

#include "sp_etf.h"

struct sp_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

/* Decodes {inet, ...}, {inet6, ...}, {local, Path}, {unspec, Bytes}; -1 if
 * malformed (the cursor is then unchanged). The atoms any | loopback |
 * broadcast are resolved in `family` (AF_INET or AF_INET6) with port 0;
 * broadcast has no inet6 meaning (-1), and in any other family the atoms
 * give -EAFNOSUPPORT, which is what OTP answers for bind(LocalSock, any).
 * {local, <<>>} is the unnamed address (socklen = sizeof(sa_family_t); bind
 * autobinds). */
int sp_addr_decode(struct sp_dec *d, int family, struct sp_addr *a);
/* Encodes what the kernel returned; an unknown or empty family becomes
 * {unspec, Bytes}. */
void sp_addr_encode(struct sp_enc *e, const struct sockaddr *sa, socklen_t len);

#endif
