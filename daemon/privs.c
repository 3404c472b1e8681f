/* Privileges: before it reads its first command the daemon becomes the
 * configured user (when started as root) and keeps only the configured
 * capabilities, in its permitted and effective sets; the inheritable set
 * and, where it may, the bounding set lose everything else, so nothing it
 * could ever run regains them. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privs.h"

/* Parses "a,b,c" (names as cap_from_name takes them, with or without the
 * cap_ prefix) or "none" into caps[]; the count, or -1. */
static int parse_caps(const char *list, cap_value_t *caps, int max,
                      char *err, size_t errlen)
{
    if (strcmp(list, "none") == 0 || list[0] == '\0')
        return 0;
    char *copy = strdup(list);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(copy, ",", &save); t;
         t = strtok_r(NULL, ",", &save)) {
        char name[64];
        snprintf(name, sizeof name, "%s%s",
                 strncmp(t, "cap_", 4) == 0 ? "" : "cap_", t);
        cap_value_t v;
        if (n == max || cap_from_name(name, &v) != 0) {
            snprintf(err, errlen, "unknown capability %s", t);
            free(copy);
            return -1;
        }
        caps[n++] = v;
    }
    free(copy);
    return n;
}

static int become(const char *user, char *err, size_t errlen)
{
    errno = 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        snprintf(err, errlen, "no user %s", user);
        return -1;
    }
    /* Keep the permitted set across setuid; the effective set is rebuilt
     * below from the list. */
    if (prctl(PR_SET_KEEPCAPS, 1L, 0L, 0L, 0L) != 0 ||
        initgroups(pw->pw_name, pw->pw_gid) != 0 ||
        setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0 ||
        prctl(PR_SET_KEEPCAPS, 0L, 0L, 0L, 0L) != 0) {
        snprintf(err, errlen, "cannot become %s: %s", user, strerror(errno));
        return -1;
    }
    if (setuid(0) == 0) { /* must be impossible now */
        snprintf(err, errlen, "could regain root after becoming %s", user);
        return -1;
    }
    return 0;
}

/* Drops from the bounding set every capability not kept; needs
 * CAP_SETPCAP, which a daemon started without it does not have (its
 * bounding set then cannot grant it anything more either: file
 * capabilities are bounded by the set it already has). */
static void bound(const cap_value_t *keep, int n)
{
    cap_t now = cap_get_proc();
    cap_flag_value_t setpcap = CAP_CLEAR;
    if (now)
        cap_get_flag(now, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
    cap_free(now);
    if (setpcap != CAP_SET)
        return;
    for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++) {
        bool kept = false;
        for (int i = 0; i < n; i++)
            kept |= keep[i] == c;
        if (!kept)
            prctl(PR_CAPBSET_DROP, (long)c, 0L, 0L, 0L);
    }
}

int sp_privs_apply(const struct sp_privs *p, char *err, size_t errlen)
{
    if (!p->user && !p->caps)
        return 0; /* keep what the daemon was started with */
    cap_value_t keep[64];
    int n = parse_caps(p->caps ? p->caps : "none", keep, 64, err, errlen);
    if (n < 0)
        return -1;
    /* Only what the daemon has can be kept. */
    cap_t have = cap_get_proc();
    if (!have) {
        snprintf(err, errlen, "cap_get_proc: %s", strerror(errno));
        return -1;
    }
    for (int i = 0; i < n; i++) {
        cap_flag_value_t v = CAP_CLEAR;
        cap_get_flag(have, keep[i], CAP_PERMITTED, &v);
        if (v != CAP_SET) {
            char *name = cap_to_name(keep[i]);
            snprintf(err, errlen, "capability %s is not permitted",
                     name ? name : "?");
            cap_free(name);
            cap_free(have);
            return -1;
        }
    }
    cap_free(have);
    bound(keep, n);
    if (p->user && become(p->user, err, errlen) != 0)
        return -1;
    cap_t want = cap_init();
    if (!want) {
        snprintf(err, errlen, "cap_init: %s", strerror(errno));
        return -1;
    }
    if (n > 0 && (cap_set_flag(want, CAP_PERMITTED, n, keep, CAP_SET) != 0 ||
                  cap_set_flag(want, CAP_EFFECTIVE, n, keep, CAP_SET) != 0)) {
        snprintf(err, errlen, "cap_set_flag: %s", strerror(errno));
        cap_free(want);
        return -1;
    }
    int rc = cap_set_proc(want);
    cap_free(want);
    if (rc != 0) {
        snprintf(err, errlen, "cap_set_proc: %s", strerror(errno));
        return -1;
    }
    /* Ambient capabilities would survive an exec: none. */
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0L, 0L, 0L);
    return 0;
}
