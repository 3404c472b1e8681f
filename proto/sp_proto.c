/* Names of the opcodes of sp_ops.def, for logs. */
#include "sp_proto.h"

#include <stddef.h>

static const struct {
    long op;
    const char *name;
} ops[] = {
#define SP_OP(name, num) {(num), #name},
#include "sp_ops.def"
#undef SP_OP
};

const char *sp_op_to_str(long op)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].op == op)
            return ops[i].name;
    return NULL;
}
