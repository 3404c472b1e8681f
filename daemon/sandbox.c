/* The sandbox: once set up, the daemon allows itself only the system calls
 * a socket server needs (libseccomp); any other kills it, and the VM sees a
 * daemon death like any other. No exec, no fork, no new files: the only
 * paths it opens are read-only ones (the files sendfile sends from, the
 * network namespaces it enters); unix socket paths go through bind and
 * connect.
 *
 * Asked for (--sandbox landlock) and where the kernel has Landlock, a
 * ruleset goes on first that allows, on the whole file system, only
 * reading files and making unix sockets: no directory listing, no
 * writing, creating, removing or truncating, no ioctl on a device. It is
 * not the default because it ends sendfile: a Landlock domain may not
 * inspect processes outside it, so the VM's /proc/<pid>/fd links, the
 * daemon's only way to the files it sends, answer eperm.
 *
 * A daemon built with AddressSanitizer gets a wider filter, never none:
 * its runtime must still be able to report. The leak checker stops the
 * world at exit with a ptracing clone of itself, reads the thread list
 * and memory map, and a report is written to a file it creates (and may
 * be symbolized by a helper program it starts). */
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* Rights of later ABIs than the headers may know (values are fixed). */
#define FS_REFER (1ULL << 13)     /* ABI 2 */
#define FS_TRUNCATE (1ULL << 14)  /* ABI 3 */
#define FS_IOCTL_DEV (1ULL << 15) /* ABI 5 */

/* The Landlock ABI the daemon is confined by, or 0 if the kernel has
 * none. */
static int landlock(char *err, size_t errlen)
{
#ifdef SYS_landlock_create_ruleset
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
                       LANDLOCK_CREATE_RULESET_VERSION);
    if (abi < 1)
        return 0;
    uint64_t handled = (1ULL << 13) - 1; /* ABI 1: execute .. make_sym */
    if (abi >= 2)
        handled |= FS_REFER;
    if (abi >= 3)
        handled |= FS_TRUNCATE;
    if (abi >= 5)
        handled |= FS_IOCTL_DEV;
    uint64_t allowed = LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_MAKE_SOCK;
#ifdef SANITIZER_RUNTIME
    /* the thread list, the report file, the symbolizer */
    allowed |= LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_WRITE_FILE |
               LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_EXECUTE |
               (handled & FS_TRUNCATE);
#endif
    struct landlock_ruleset_attr attr = {.handled_access_fs = handled};
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    int root = open("/", O_PATH | O_CLOEXEC);
    struct landlock_path_beneath_attr beneath = {.allowed_access = allowed,
                                                 .parent_fd = root};
    int rc = rs < 0 || root < 0 ? -1
             : (int)syscall(SYS_landlock_add_rule, rs,
                            LANDLOCK_RULE_PATH_BENEATH, &beneath, 0);
    if (rc == 0)
        rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (rc == 0)
        rc = (int)syscall(SYS_landlock_restrict_self, rs, 0);
    int saved = errno;
    if (root >= 0)
        close(root);
    if (rs >= 0)
        close(rs);
    if (rc != 0) {
        snprintf(err, errlen, "landlock: %s", strerror(saved));
        return -1;
    }
    return (int)abi;
#else
    (void)err;
    (void)errlen;
    return 0;
#endif
}

static int allow_all(scmp_filter_ctx ctx, const int *calls, size_t n)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, calls[i], 0);
    return rc;
}

int sp_sandbox_enter(bool with_landlock, int *landlock_abi, char *err,
                     size_t errlen)
{
    *landlock_abi = with_landlock ? landlock(err, errlen) : 0;
    if (*landlock_abi < 0)
        return -1;
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
