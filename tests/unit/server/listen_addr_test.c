/* tests/unit/server/listen_addr_test.c — server/listen_addr: parsing of
 * host:port, [v6]:port and :port, the errors for each wrong part, and
 * explain_bind_failure on a port this test holds. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/listen_addr.h"

static void test_host_port(void **state)
{
    (void)state;
    aia_listen_addr a;
    aia_error err;
    assert_int_equal(aia_listen_addr_parse("127.0.0.1:50051", &a, &err), AIA_OK);
    assert_string_equal(a.host, "127.0.0.1");
    assert_int_equal(a.port, 50051);
    assert_int_equal(a.ipv6, 0);
    assert_int_equal(aia_listen_addr_parse("0.0.0.0:0", &a, &err), AIA_OK);
    assert_string_equal(a.host, "0.0.0.0");
    assert_int_equal(a.port, 0);
    assert_int_equal(aia_listen_addr_parse("localhost:65535", &a, &err), AIA_OK);
    assert_string_equal(a.host, "localhost");
    assert_int_equal(a.port, 65535);
}

static void test_ipv6(void **state)
{
    (void)state;
    aia_listen_addr a;
    aia_error err;
    assert_int_equal(aia_listen_addr_parse("[::1]:8080", &a, &err), AIA_OK);
    assert_string_equal(a.host, "::1");
    assert_int_equal(a.port, 8080);
    assert_int_equal(a.ipv6, 1);
    assert_int_equal(aia_listen_addr_parse("[::]:0", &a, &err), AIA_OK);
    assert_string_equal(a.host, "::");
    assert_int_equal(a.ipv6, 1);
}

static void test_all_interfaces(void **state)
{
    (void)state;
    aia_listen_addr a;
    aia_error err;
    assert_int_equal(aia_listen_addr_parse(":9000", &a, &err), AIA_OK);
    assert_string_equal(a.host, "");
    assert_int_equal(a.port, 9000);
    assert_int_equal(a.ipv6, 0);
}

static void expect_error(const char *text, const char *needle)
{
    aia_listen_addr a;
    aia_error err;
    aia_error_clear(&err);
    assert_int_equal(aia_listen_addr_parse(text, &a, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(err.code, AIA_INVALID_ARGUMENT);
    if (!strstr(err.message, needle)) fail_msg("'%s': message '%s' lacks '%s'", text, err.message, needle);
    if (!strstr(err.message, text) && strlen(text) < 100)
        fail_msg("'%s': message '%s' does not quote the address", text, err.message);
}

static void test_bad_port(void **state)
{
    (void)state;
    expect_error("127.0.0.1:65536", "port must be 0..65535");
    expect_error("127.0.0.1:-1", "port must be 0..65535");
    expect_error("127.0.0.1:", "port must be 0..65535");
    expect_error("127.0.0.1:80x", "port must be 0..65535");
    expect_error("127.0.0.1:99999999999999999999", "port must be 0..65535");
    expect_error("[::1]:http", "port must be 0..65535");
}

static void test_missing_colon_and_v6_forms(void **state)
{
    (void)state;
    expect_error("localhost", "expected host:port");
    expect_error("", "expected host:port");
    expect_error("::1:80", "[addr]:port");
    expect_error("[::1]80", "expected [ipv6]:port");
    expect_error("[::1", "expected [ipv6]:port");
}

static void test_host_too_long(void **state)
{
    (void)state;
    char text[400];
    memset(text, 'h', 300);
    snprintf(text + 300, sizeof text - 300, ":80");
    expect_error(text, "host too long");
    char v6[400] = "[";
    memset(v6 + 1, '1', 300);
    snprintf(v6 + 301, sizeof v6 - 301, "]:80");
    expect_error(v6, "host too long");
}

static void test_unresolvable_host(void **state)
{
    (void)state;
    /* .invalid never resolves (RFC 2606). */
    expect_error("no-such-host.invalid:80", "does not resolve");
    aia_listen_addr a;
    aia_error err;
    assert_int_equal(aia_listen_addr_parse("no-such-host.invalid:80", &a, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "'no-such-host.invalid'"));
}

/* Binds 127.0.0.1:0 and returns the socket (listening) and its port. */
static int hold_port(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = 0;
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 1), 0);
    socklen_t len = sizeof sa;
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

static void test_explain_port_in_use(void **state)
{
    (void)state;
    int port = 0;
    int fd = hold_port(&port);
    char text[64];
    snprintf(text, sizeof text, "127.0.0.1:%d", port);
    aia_listen_addr a;
    aia_error err;
    assert_int_equal(aia_listen_addr_parse(text, &a, &err), AIA_OK);
    aia_error_clear(&err);
    aia_listen_addr_explain_bind_failure(&a, text, &err);
    assert_int_equal(err.code, AIA_UNAVAILABLE);
    assert_non_null(strstr(err.message, "already in use"));
    assert_non_null(strstr(err.message, text));
    close(fd);

    /* Once released, the probe binds fine and says gRPC refused it. */
    aia_error_clear(&err);
    aia_listen_addr_explain_bind_failure(&a, text, &err);
    assert_int_equal(err.code, AIA_UNAVAILABLE);
    assert_null(strstr(err.message, "already in use"));
    assert_non_null(strstr(err.message, text));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_port),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_all_interfaces),
        cmocka_unit_test(test_bad_port),
        cmocka_unit_test(test_missing_colon_and_v6_forms),
        cmocka_unit_test(test_host_too_long),
        cmocka_unit_test(test_unresolvable_host),
        cmocka_unit_test(test_explain_port_in_use),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
