/* The daemon's system call allow-list (sandbox.c). */
#ifndef SP_SANDBOX_H
#define SP_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

/* Installs the filter; from then on a call outside the list kills the
 * process. Before it, if asked for and the kernel has Landlock, a ruleset
 * (its ABI in *landlock_abi, else 0). -1 with a message in err if either
 * cannot be installed. */
int sp_sandbox_enter(bool landlock, int *landlock_abi, char *err,
                     size_t errlen);

#endif
