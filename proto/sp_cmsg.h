/* Control messages (ancillary data) of sendmsg and recvmsg: the table of
 * the (level, type) pairs that have names (OTP 25's, on Linux), and the
 * codec between the wire forms of PROTOCOL.md ("Control messages") and the
 * bytes of a msghdr's control buffer. The VM resolves names and checks
 * values with the generated copy of the table; the C side only ever sees
 * numbers, bytes and already checked values, and owns the C layouts
 * (struct timeval, in_pktinfo, sock_extended_err, ...). */
#ifndef SP_CMSG_H
#define SP_CMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "sp_etf.h"

/* How the `value' of a control message of a row is made. */
enum sp_cmsg_val {
    SP_CMV_NONE,         /* none: `data' only */
    SP_CMV_INT,          /* integer() (a C int) */
    SP_CMV_IP_TOS,       /* ip_tos() | integer() (received as a byte) */
    SP_CMV_TIMEVAL,      /* timeval() (struct timeval) */
    SP_CMV_FDS,          /* [integer()]: descriptors (SCM_RIGHTS) */
    SP_CMV_PKTINFO,      /* ip_pktinfo() (struct in_pktinfo) */
    SP_CMV_IN6_PKTINFO,  /* ipv6_pktinfo() (struct in6_pktinfo) */
    SP_CMV_SOCKADDR,     /* sockaddr_recv() */
    SP_CMV_EXTENDED_ERR, /* extended_err() (struct sock_extended_err) */
    SP_CMV__MAX
};

struct sp_cmsg_type {
    const char *level_name; /* socket | ip | ipv6 */
    int level;              /* SOL_SOCKET, IPPROTO_IP, IPPROTO_IPV6 */
    const char *name;       /* timestamp, tos, ... */
    int type;               /* SO_TIMESTAMP, IP_TOS, ... */
    enum sp_cmsg_val send;  /* the value sendmsg accepts (NONE: data only) */
    enum sp_cmsg_val recv;  /* the value recvmsg decodes (NONE: none) */
};

extern const struct sp_cmsg_type sp_cmsg_types[];
extern const size_t sp_cmsg_types_n;

/* The row of (level, type), or NULL. */
const struct sp_cmsg_type *sp_cmsg_find(int level, int type);
/* The name of a level that has rows ("socket", "ip", "ipv6"), or NULL. */
const char *sp_cmsg_level_name(int level);
/* The name of a value kind ("int", "ip_tos", ...). */
const char *sp_cmsg_val_name(enum sp_cmsg_val v);

/* Results of sp_cmsg_build. */
#define SP_CMSG_BAD (-1)  /* a malformed term */
#define SP_CMSG_FULL (-2) /* more than `cap' bytes of control buffer */

/* Builds a control buffer from the wire list [{Level, Type, Payload}]
 * (Payload: Bytes | {int, I} | {timeval, Sec, Usec}) into buf (aligned
 * for struct cmsghdr, `cap' bytes), setting *len; 0, SP_CMSG_BAD (the
 * cursor is then anywhere) or SP_CMSG_FULL, which is what the VM reports
 * as an invalid ctrl (OTP's {otp, sndctrlbuf} limit). */
int sp_cmsg_build(struct sp_dec *dec, void *buf, size_t cap, size_t *len);

/* Calls fn for every descriptor of every SCM_RIGHTS message in a control
 * buffer (`fds' points at it, so fn may rewrite it); stops and returns
 * fn's result when it is not 0. */
int sp_cmsg_each_fd(void *control, size_t len,
                    int (*fn)(void *arg, int *fd), void *arg);

/* The wire list [{Level, Type, Data, Value}] of a received control buffer
 * (msg_control, msg_controllen after recvmsg). Level is an atom for a
 * level with rows, else an integer; Type an atom for a row, else an
 * integer; Value `undefined' when the row has none or the data is too
 * short to decode (a truncated message). */
void sp_cmsg_encode(struct sp_enc *e, const void *control, size_t len);
/* An upper bound of the bytes sp_cmsg_encode writes for `len' bytes of
 * control buffer. */
size_t sp_cmsg_encode_bound(size_t len);

#endif
