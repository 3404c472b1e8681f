/* Unit tests of the protocol tables (proto/sp_tables.c, sp_proto.c): errno
 * names as OTP 25 reports them (rows checked against erts' erl_errno_id and
 * the oracle: listen on a UDP socket is {error, enotsup}), name <-> value
 * round trips of every table, unknown names, and option lookups. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sp_proto.h"
#include "sp_tables.h"

#define N(t) (sizeof(t) / sizeof((t)[0]))

static const struct {
    int err;
    const char *name;
} errno_rows[] = {
    {EPERM, "eperm"},
    {ENOENT, "enoent"},
    {EAGAIN, "eagain"},
    {EWOULDBLOCK, "eagain"},
    {EDEADLK, "edeadlk"},
    {EDEADLOCK, "edeadlk"},
    {EOPNOTSUPP, "enotsup"}, /* == ENOTSUP on Linux; OTP says enotsup */
    {ENOTSUP, "enotsup"},
    {ECONNREFUSED, "econnrefused"},
    {EADDRINUSE, "eaddrinuse"},
    {EINPROGRESS, "einprogress"},
    {ETIMEDOUT, "etimedout"},
    {EAFNOSUPPORT, "eafnosupport"},
    {EMSGSIZE, "emsgsize"},
    {ENOTNAM, "enotnam"},
    {EREMOTEIO, "eremoteio"},
    {EDQUOT, "edquot"},
    /* Linux errnos erl_errno_id has no name for */
    {ECANCELED, "unknown"},
    {EOWNERDEAD, "unknown"},
    {EHWPOISON, "unknown"},
    {ERESTART, "unknown"},
    {EISNAM, "unknown"}, /* erts tests #ifdef EISNAME */
    {0, "unknown"},
    {-1, "unknown"},
    {4096, "unknown"},
};

START_TEST(test_errno_rows)
{
    ck_assert_str_eq(sp_errno_name(errno_rows[_i].err), errno_rows[_i].name);
}
END_TEST

/* Every errno Linux has gets a lower-case name or "unknown". */
START_TEST(test_errno_all)
{
    int named = 0;

    for (int e = 1; e < 134; e++) {
        const char *n = sp_errno_name(e);

        ck_assert_ptr_nonnull(n);
        ck_assert_msg(n[0] == 'e' || strcmp(n, "unknown") == 0, "%d: %s", e, n);
        for (const char *p = n; *p; p++)
            ck_assert(*p < 'A' || *p > 'Z');
        named += strcmp(n, "unknown") != 0;
    }
    ck_assert_int_ge(named, 110);
}
END_TEST

static const struct {
    const char *what;
    const struct sp_name *t;
    const size_t *n;
} tables[] = {
    {"domains", sp_domains, &sp_domains_n},
    {"types", sp_types, &sp_types_n},
    {"protocols", sp_protocols, &sp_protocols_n},
    {"msg_flags", sp_msg_flags, &sp_msg_flags_n},
};

/* Names are unique and look up to their value; the value's name looks up
 * to the same value. */
START_TEST(test_table_round_trip)
{
    const struct sp_name *t = tables[_i].t;
    size_t n = *tables[_i].n;

    ck_assert_uint_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        const char *name;

        ck_assert_int_eq(sp_name_lookup(t, n, t[i].name), t[i].value);
        name = sp_name_of(t, n, t[i].value);
        ck_assert_ptr_nonnull(name);
        ck_assert_int_eq(sp_name_lookup(t, n, name), t[i].value);
        for (size_t j = i + 1; j < n; j++)
            ck_assert_msg(strcmp(t[i].name, t[j].name) != 0, "%s: %s twice",
                          tables[_i].what, t[i].name);
    }
    ck_assert_int_eq(sp_name_lookup(t, n, "no_such_name"), -1);
    ck_assert_int_eq(sp_name_lookup(t, n, ""), -1);
    ck_assert_ptr_null(sp_name_of(t, n, -12345));
}
END_TEST

static const struct {
    const struct sp_name *t;
    const size_t *n;
    const char *name;
    int value;
} lookups[] = {
    {sp_domains, &sp_domains_n, "inet", AF_INET},
    {sp_domains, &sp_domains_n, "inet6", AF_INET6},
    {sp_domains, &sp_domains_n, "local", AF_UNIX},
    {sp_domains, &sp_domains_n, "unspec", AF_UNSPEC},
    {sp_domains, &sp_domains_n, "unix", -1},
    {sp_types, &sp_types_n, "stream", SOCK_STREAM},
    {sp_types, &sp_types_n, "seqpacket", SOCK_SEQPACKET},
    {sp_protocols, &sp_protocols_n, "default", 0},
    {sp_protocols, &sp_protocols_n, "ip", IPPROTO_IP},
    {sp_protocols, &sp_protocols_n, "tcp", IPPROTO_TCP},
    {sp_protocols, &sp_protocols_n, "TCP", IPPROTO_TCP},
    {sp_protocols, &sp_protocols_n, "udp", IPPROTO_UDP},
    {sp_protocols, &sp_protocols_n, "sctp", IPPROTO_SCTP},
    {sp_protocols, &sp_protocols_n, "icmp", IPPROTO_ICMP},
    {sp_protocols, &sp_protocols_n, "ipv6-icmp", IPPROTO_ICMPV6},
    {sp_protocols, &sp_protocols_n, "udplite", IPPROTO_UDPLITE},
    {sp_protocols, &sp_protocols_n, "mptcp", 262},
    {sp_protocols, &sp_protocols_n, "icmp6", -1}, /* OTP 25: invalid */
    {sp_protocols, &sp_protocols_n, "raw", -1},   /* OTP 25: invalid */
    {sp_msg_flags, &sp_msg_flags_n, "peek", MSG_PEEK},
    {sp_msg_flags, &sp_msg_flags_n, "oob", MSG_OOB},
    {sp_msg_flags, &sp_msg_flags_n, "nosignal", MSG_NOSIGNAL},
    {sp_msg_flags, &sp_msg_flags_n, "cmsg_cloexec", MSG_CMSG_CLOEXEC},
    {sp_msg_flags, &sp_msg_flags_n, "errqueue", MSG_ERRQUEUE},
    {sp_msg_flags, &sp_msg_flags_n, "waitall", -1}, /* OTP 25: invalid */
    {sp_msg_flags, &sp_msg_flags_n, "dontwait", -1},
};

START_TEST(test_lookups)
{
    ck_assert_int_eq(sp_name_lookup(lookups[_i].t, *lookups[_i].n,
                                    lookups[_i].name),
                     lookups[_i].value);
}
END_TEST

START_TEST(test_names_of)
{
    ck_assert_str_eq(sp_name_of(sp_protocols, sp_protocols_n, 0), "ip");
    ck_assert_str_eq(sp_name_of(sp_protocols, sp_protocols_n, 6), "tcp");
    ck_assert_str_eq(sp_name_of(sp_domains, sp_domains_n, AF_UNIX), "local");
    ck_assert_str_eq(sp_name_of(sp_types, sp_types_n, SOCK_DGRAM), "dgram");
}
END_TEST

static const struct {
    const char *level, *name;
    int found, c_level, c_name;
    enum sp_optval type;
    int access;
} options[] = {
    {"socket", "reuseaddr", 1, SOL_SOCKET, SO_REUSEADDR, SP_OPT_BOOL, SP_OPT_GET | SP_OPT_SET},
    /* OTP 25 lets acceptconn be set (the kernel refuses) */
    {"socket", "acceptconn", 1, SOL_SOCKET, SO_ACCEPTCONN, SP_OPT_BOOL, SP_OPT_GET | SP_OPT_SET},
    {"socket", "rcvbuf", 1, SOL_SOCKET, SO_RCVBUF, SP_OPT_INT, SP_OPT_GET | SP_OPT_SET},
    {"socket", "debug", 1, SOL_SOCKET, SO_DEBUG, SP_OPT_INT, SP_OPT_GET | SP_OPT_SET},
    {"ip", "ttl", 1, IPPROTO_IP, IP_TTL, SP_OPT_INT, SP_OPT_GET | SP_OPT_SET},
    {"ipv6", "v6only", 1, IPPROTO_IPV6, IPV6_V6ONLY, SP_OPT_BOOL, SP_OPT_GET | SP_OPT_SET},
    {"tcp", "nodelay", 1, IPPROTO_TCP, TCP_NODELAY, SP_OPT_BOOL, SP_OPT_GET | SP_OPT_SET},
    {"tcp", "cork", 1, IPPROTO_TCP, TCP_CORK, SP_OPT_BOOL, SP_OPT_GET | SP_OPT_SET},
    {"udp", "cork", 1, IPPROTO_UDP, 1, SP_OPT_BOOL, SP_OPT_GET | SP_OPT_SET},
    {"socket", "type", 1, SOL_SOCKET, SO_TYPE, SP_OPT_SOCK_TYPE, SP_OPT_GET},
    {"socket", "linger", 1, SOL_SOCKET, SO_LINGER, SP_OPT_LINGER, SP_OPT_GET | SP_OPT_SET},
    {"socket", "rcvtimeo", 1, SOL_SOCKET, SP_OPT_NONE, SP_OPT_TIMEVAL, SP_OPT_GET | SP_OPT_SET},
    {"socket", "peek_off", 1, SOL_SOCKET, SO_PEEK_OFF, SP_OPT_INT, SP_OPT_GET | SP_OPT_SET | SP_OPT_HIDE},
    {"ip", "add_membership", 1, IPPROTO_IP, IP_ADD_MEMBERSHIP, SP_OPT_IP_MREQ, SP_OPT_SET},
    {"ip", "mtu", 1, IPPROTO_IP, IP_MTU, SP_OPT_INT, SP_OPT_GET},
    {"ip", "tos", 1, IPPROTO_IP, IP_TOS, SP_OPT_IP_TOS, SP_OPT_GET | SP_OPT_SET},
    {"ipv6", "unicast_hops", 1, IPPROTO_IPV6, IPV6_UNICAST_HOPS, SP_OPT_IPV6_HOPS, SP_OPT_GET | SP_OPT_SET},
    {"tcp", "congestion", 1, IPPROTO_TCP, TCP_CONGESTION, SP_OPT_STRING, SP_OPT_GET | SP_OPT_SET},
    {"socket", "nodelay", 0, 0, 0, 0, 0},
    {"tcp", "reuseaddr", 0, 0, 0, 0, 0},
    {"", "", 0, 0, 0, 0, 0},
};

START_TEST(test_option_find)
{
    const struct sp_option *o = sp_option_find(options[_i].level, options[_i].name);

    if (!options[_i].found) {
        ck_assert_ptr_null(o);
        return;
    }
    ck_assert_ptr_nonnull(o);
    ck_assert_int_eq(o->c_level, options[_i].c_level);
    ck_assert_int_eq(o->c_name, options[_i].c_name);
    ck_assert_int_eq(o->type, options[_i].type);
    ck_assert_int_eq(o->access, options[_i].access);
}
END_TEST

/* Rows are unique per {level, name} and each finds itself. */
START_TEST(test_options_unique)
{
    for (size_t i = 0; i < sp_options_n; i++) {
        ck_assert_ptr_eq(sp_option_find(sp_options[i].level, sp_options[i].name),
                         &sp_options[i]);
        ck_assert(sp_options[i].access != 0 ||
                  strcmp(sp_options[i].name, "rtoinfo") == 0);
        ck_assert_int_lt(sp_options[i].type, SP_OPT__MAX);
        ck_assert_str_ne(sp_optval_name(sp_options[i].type), "unknown");
    }
}
END_TEST

/* What no row is finds nothing: names of one level asked at another,
 * unknown names and levels, and a name split differently across the two. */
START_TEST(test_options_miss)
{
    ck_assert_ptr_null(sp_option_find("socket", "nodelay"));
    ck_assert_ptr_null(sp_option_find("tcp", "reuseaddr"));
    ck_assert_ptr_null(sp_option_find("socket", "no_such_option"));
    ck_assert_ptr_null(sp_option_find("no_such_level", "type"));
    ck_assert_ptr_null(sp_option_find("", ""));
    ck_assert_ptr_null(sp_option_find("sockettype", ""));
    ck_assert_ptr_null(sp_option_find("socke", "ttype"));
    ck_assert_ptr_nonnull(sp_option_find("socket", "type"));
}
END_TEST

START_TEST(test_ops)
{
    ck_assert_str_eq(sp_op_to_str(SP_OP_OPEN), "OPEN");
    ck_assert_str_eq(sp_op_to_str(SP_OP_PID_DOWN), "PID_DOWN");
    ck_assert_str_eq(sp_op_to_str(SP_OP_CANCEL), "CANCEL");
    ck_assert_ptr_null(sp_op_to_str(0));
    ck_assert_ptr_null(sp_op_to_str(-1));
    ck_assert_ptr_null(sp_op_to_str(1000));
}
END_TEST

static Suite *tables_suite(void)
{
    Suite *s = suite_create("tables");
    TCase *tc = tcase_create("tables");

    tcase_add_loop_test(tc, test_errno_rows, 0, N(errno_rows));
    tcase_add_test(tc, test_errno_all);
    tcase_add_loop_test(tc, test_table_round_trip, 0, N(tables));
    tcase_add_loop_test(tc, test_lookups, 0, N(lookups));
    tcase_add_test(tc, test_names_of);
    tcase_add_loop_test(tc, test_option_find, 0, N(options));
    tcase_add_test(tc, test_options_unique);
    tcase_add_test(tc, test_options_miss);
    tcase_add_test(tc, test_ops);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(tables_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
