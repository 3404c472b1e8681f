/* The daemon's system call allow-list (sandbox.c). */
#ifndef SP_SANDBOX_H
#define SP_SANDBOX_H

#include <stddef.h>

/* Installs the filter; from then on a call outside the list kills the
 * process. -1 with a message in err if it cannot be installed. */
int sp_sandbox_enter(char *err, size_t errlen);

#endif
