/* Unit tests of the ioctl tables (proto/sp_ioctl.c): every request row is
 * found by its name and is whole (a C request where it is an ioctl, names
 * for the generated Erlang module, What for the set requests that answer
 * {invalid, What}); the interface flags are OTP's names in OTP's order
 * with distinct single bits; hardware types name the ARPHRD values. */
#include <check.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "sp_ioctl.h"

START_TEST(test_rows)
{
    const struct sp_ioctl *r = &sp_ioctls[_i];
    ck_assert_ptr_eq(sp_ioctl_find(r->name), r);
    ck_assert_str_ne(sp_ioctl_arg_name(r->arg), "unknown");
    ck_assert_str_ne(sp_ioctl_val_name(r->val), "unknown");
    if (r->val != SP_IOV_TCP_INFO)
        ck_assert_msg(r->req != 0, "%s has no request", r->name);
    bool set = r->val == SP_IOV_SETADDR || r->val == SP_IOV_SETINT;
    ck_assert_msg(set == (r->invalid != NULL), "%s: invalid", r->name);
    bool with_value = r->val == SP_IOV_SETADDR || r->val == SP_IOV_SETINT ||
                      r->val == SP_IOV_SETFLAGS;
    ck_assert_msg(with_value == (r->arg == SP_IOA_NAME_VALUE), "%s: arg",
                  r->name);
    for (size_t j = 0; j < sp_ioctls_n; j++)
        if (j != (size_t)_i)
            ck_assert_str_ne(sp_ioctls[j].name, r->name);
}
END_TEST

START_TEST(test_unknown_requests)
{
    ck_assert_ptr_null(sp_ioctl_find("rcvall"));
    ck_assert_ptr_null(sp_ioctl_find("rcvall_mcast"));
    ck_assert_ptr_null(sp_ioctl_find(""));
    ck_assert_ptr_null(sp_ioctl_find("GIFCONF"));
    ck_assert_str_eq(sp_ioctl_arg_name(SP_IOA__MAX), "unknown");
    ck_assert_str_eq(sp_ioctl_val_name(SP_IOV__MAX), "unknown");
}
END_TEST

/* The seed's requests, all served. */
START_TEST(test_seed_requests)
{
    static const char *const seed[] = {
        "gifconf", "nread", "nwrite", "nspace", "atmark", "tcp_info",
        "gifname", "gifindex", "gifaddr", "gifdstaddr", "gifbrdaddr",
        "gifnetmask", "gifhwaddr", "gifmtu", "giftxqlen", "gifflags",
        "sifflags", "sifaddr", "sifdstaddr", "sifbrdaddr", "sifnetmask",
        "sifmtu", "siftxqlen"};
    for (size_t i = 0; i < sizeof seed / sizeof seed[0]; i++)
        ck_assert_msg(sp_ioctl_find(seed[i]) != NULL, "%s missing", seed[i]);
    ck_assert_int_eq(sp_ioctl_find("gifmtu")->req, SIOCGIFMTU);
    ck_assert_int_eq(sp_ioctl_find("sifflags")->req, SIOCSIFFLAGS);
    ck_assert_str_eq(sp_ioctl_find("sifmtu")->invalid, "mtu");
    ck_assert_str_eq(sp_ioctl_find("siftxqlen")->invalid, "txqlen");
    ck_assert_str_eq(sp_ioctl_find("sifnetmask")->invalid, "sockaddr");
}
END_TEST

START_TEST(test_flags)
{
    static const char *const otp[] = {
        "up", "broadcast", "debug", "loopback", "pointopoint", "notrailers",
        "knowsepoch", "running", "noarp", "promisc", "allmulti", "master",
        "oactive", "slave", "simplex", "link0", "link1", "link2",
        "multicast", "portsel", "automedia", "cantconfig", "ppromisc",
        "dynamic", "monitor", "staticarp", "dying", "renaming", "nogroup",
        "lower_up", "dormant", "echo"};
    ck_assert_uint_eq(sp_ioctl_flags_n, sizeof otp / sizeof otp[0]);
    unsigned seen = 0;
    for (size_t i = 0; i < sp_ioctl_flags_n; i++) {
        int v = sp_ioctl_flags[i].value;
        ck_assert_str_eq(sp_ioctl_flags[i].name, otp[i]);
        if (v == 0)
            continue;
        ck_assert_msg((v & (v - 1)) == 0, "%s is not one bit", otp[i]);
        ck_assert_msg(((unsigned)v & seen) == 0, "%s repeats a bit", otp[i]);
        seen |= (unsigned)v;
    }
    ck_assert_int_eq(sp_name_lookup(sp_ioctl_flags, sp_ioctl_flags_n, "up"),
                     IFF_UP);
    ck_assert_int_eq(sp_name_lookup(sp_ioctl_flags, sp_ioctl_flags_n,
                                    "multicast"), IFF_MULTICAST);
    ck_assert_int_eq(sp_name_lookup(sp_ioctl_flags, sp_ioctl_flags_n,
                                    "staticarp"), 0);
}
END_TEST

START_TEST(test_hatypes)
{
    ck_assert_str_eq(sp_name_of(sp_hatypes, sp_hatypes_n, ARPHRD_ETHER),
                     "ether");
    ck_assert_str_eq(sp_name_of(sp_hatypes, sp_hatypes_n, ARPHRD_LOOPBACK),
                     "loopback");
    ck_assert_str_eq(sp_name_of(sp_hatypes, sp_hatypes_n, ARPHRD_NONE),
                     "none");
    ck_assert_ptr_null(sp_name_of(sp_hatypes, sp_hatypes_n, ARPHRD_PPP));
}
END_TEST

static Suite *ioctl_suite(void)
{
    Suite *s = suite_create("ioctl");
    TCase *tc = tcase_create("ioctl");
    tcase_add_loop_test(tc, test_rows, 0, (int)sp_ioctls_n);
    tcase_add_test(tc, test_unknown_requests);
    tcase_add_test(tc, test_seed_requests);
    tcase_add_test(tc, test_flags);
    tcase_add_test(tc, test_hatypes);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ioctl_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
