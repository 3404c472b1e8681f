/* The privileges the daemon keeps (privs.c). */
#ifndef SP_PRIVS_H
#define SP_PRIVS_H

#include <stdbool.h>
#include <stddef.h>

struct sp_privs {
    const char *user; /* become this user (the daemon must be root), or NULL */
    const char *caps; /* "a,b" or "none": keep only these; NULL: keep all
                       * (unless user is set: then none) */
};

/* Applies p; -1 with a message in err if the daemon cannot, in which case
 * it must not go on. */
int sp_privs_apply(const struct sp_privs *p, char *err, size_t errlen);

#endif
