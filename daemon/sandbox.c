/* The sandbox: once set up, the daemon allows itself only the system calls
 * a socket server needs (libseccomp); any other kills it, and the VM sees a
 * daemon death like any other. No exec, no fork, no new files: the only
 * paths it opens are read-only ones (the files sendfile sends from, the
 * network namespaces it enters); unix socket paths go through bind and
 * connect.
 *
 * A daemon built with AddressSanitizer gets a wider filter, never none:
 * its runtime must still be able to report. The leak checker stops the
 * world at exit with a ptracing clone of itself, reads the thread list
 * and memory map, and a report is written to a file it creates (and may
 * be symbolized by a helper program it starts). */
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

static const int allowed[] = {
    /* stdio, the event loop, timers */
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
    SCMP_SYS(close), SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait),
    SCMP_SYS(epoll_ctl), SCMP_SYS(poll), SCMP_SYS(ppoll),
    SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep),
    SCMP_SYS(restart_syscall), SCMP_SYS(rt_sigreturn),
    /* memory */
    SCMP_SYS(brk), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap),
    SCMP_SYS(madvise), SCMP_SYS(mprotect),
    /* sockets */
    SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(bind),
    SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4),
    SCMP_SYS(connect), SCMP_SYS(shutdown), SCMP_SYS(getsockname),
    SCMP_SYS(getpeername), SCMP_SYS(getsockopt), SCMP_SYS(setsockopt),
    SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(sendmsg),
    SCMP_SYS(recvmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvmmsg),
    SCMP_SYS(sendfile), SCMP_SYS(ioctl), SCMP_SYS(setns),
    /* descriptors */
    SCMP_SYS(fcntl), SCMP_SYS(dup), SCMP_SYS(dup3), SCMP_SYS(fstat),
    SCMP_SYS(newfstatat), SCMP_SYS(lseek),
    /* identity, ending */
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getuid),
    SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
    SCMP_SYS(getrandom), SCMP_SYS(uname), SCMP_SYS(sched_yield),
    SCMP_SYS(futex), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZER_RUNTIME 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZER_RUNTIME 1
#endif
#endif

#ifdef SANITIZER_RUNTIME
static const int sanitizer[] = {
    SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(fork), SCMP_SYS(vfork),
    SCMP_SYS(execve), SCMP_SYS(wait4), SCMP_SYS(waitid), SCMP_SYS(ptrace),
    SCMP_SYS(prctl), SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask),
    SCMP_SYS(sigaltstack), SCMP_SYS(kill), SCMP_SYS(tgkill),
    SCMP_SYS(tkill), SCMP_SYS(getppid), SCMP_SYS(getdents),
    SCMP_SYS(getdents64),
    SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(pipe),
    SCMP_SYS(pipe2), SCMP_SYS(dup2), SCMP_SYS(openat), SCMP_SYS(open),
    SCMP_SYS(stat), SCMP_SYS(lstat), SCMP_SYS(statx), SCMP_SYS(access),
    SCMP_SYS(faccessat), SCMP_SYS(prlimit64), SCMP_SYS(getrlimit),
    SCMP_SYS(setrlimit), SCMP_SYS(sched_getaffinity),
    SCMP_SYS(set_robust_list), SCMP_SYS(rseq), SCMP_SYS(munlock),
    SCMP_SYS(mlock), SCMP_SYS(pread64), SCMP_SYS(getcwd),
};
#endif

static int allow_all(scmp_filter_ctx ctx, const int *calls, size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
    return rc;
}

int sp_sandbox_enter(char *err, size_t errlen)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        snprintf(err, errlen, "seccomp_init failed");
        return -1;
    }
    int rc = allow_all(ctx, allowed, sizeof allowed / sizeof allowed[0]);
#ifdef SANITIZER_RUNTIME
    if (rc == 0)
        rc = allow_all(ctx, sanitizer, sizeof sanitizer / sizeof sanitizer[0]);
#endif
    /* open only to read, never to create or write */
    const scmp_datum_t wmask = O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND;
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                              SCMP_A2(SCMP_CMP_MASKED_EQ, wmask, O_RDONLY));
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(open), 1,
                              SCMP_A1(SCMP_CMP_MASKED_EQ, wmask, O_RDONLY));
    if (rc == 0)
        rc = seccomp_load(ctx); /* sets no_new_privs */
    seccomp_release(ctx);
    if (rc != 0) {
        snprintf(err, errlen, "seccomp: %s", strerror(-rc));
        return -1;
    }
    return 0;
}
