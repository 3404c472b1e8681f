/* The fixed facts of the sockport wire protocol: version, frame limits and
 * the opcode enum (rows in sp_ops.def). PROTOCOL.md describes every frame. */
#ifndef SP_PROTO_H
#define SP_PROTO_H

#define SP_PROTOCOL_VERSION 5

/* Largest payload tail of one command; the Erlang side splits larger sends. */
#define SP_FRAME_MAX (16u * 1024u * 1024u)
/* The smallest frame cap a daemon takes (--max-frame): above any datagram
 * the kernel sends by default, so that one always fits one frame. */
#define SP_FRAME_MIN (1024u * 1024u)
/* The longest a daemon polls before it sleeps (--busy-poll), in us. */
#define SP_BUSY_POLL_MAX_US 1000000u
/* Room for the ETF header in front of the tail. */
#define SP_HEADER_MAX (64u * 1024u)

enum sp_opcode {
#define SP_OP(name, num) SP_OP_##name = (num),
#include "sp_ops.def"
#undef SP_OP
};

/* "OPEN", ... or NULL for a number that is no opcode. */
const char *sp_op_to_str(long op);

#endif
