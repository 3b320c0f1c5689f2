/* tests/unit/client_args_test.c — the `aia` command line: commands,
 * options anywhere, flag > environment > default, and the exact usage
 * errors (which make the CLI exit 2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "client/cli_args.h"

/* A fake environment: NAME=value pairs, NULL-terminated. */
static const char *const *g_env;

static const char *fake_env(const char *name)
{
    size_t n = strlen(name);
    for (const char *const *e = g_env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=') return *e + n + 1;
    return NULL;
}

#define ARGV(...) ((char *const[]){"aia", __VA_ARGS__, NULL})
#define ARGC(argv) ((int)(sizeof(argv) / sizeof(argv[0])) - 1)

static aia_cli_args parse_ok_env(int argc, char *const *argv, const char *const *env)
{
    aia_cli_args a;
    aia_error err;
    g_env = env;
    aia_status st = aia_cli_parse_args(argc, argv, fake_env, &a, &err);
    if (st != AIA_OK) fail_msg("parse failed: %s", err.message);
    return a;
}

static aia_cli_args parse_ok(int argc, char *const *argv)
{
    return parse_ok_env(argc, argv, NULL);
}

static void expect_usage_error_env(int argc, char *const *argv, const char *const *env, const char *want)
{
    aia_cli_args a;
    aia_error err;
    g_env = env;
    aia_status st = aia_cli_parse_args(argc, argv, fake_env, &a, &err);
    if (st != AIA_INVALID_ARGUMENT || strcmp(err.message, want) != 0)
        fail_msg("want usage error \"%s\", got %s \"%s\"", want, aia_status_name(st), st ? err.message : "");
}

#define PARSE(...) parse_ok(ARGC(ARGV(__VA_ARGS__)), ARGV(__VA_ARGS__))
#define USAGE_ERROR(want, ...) expect_usage_error_env(ARGC(ARGV(__VA_ARGS__)), ARGV(__VA_ARGS__), NULL, want)

static void test_defaults(void **state)
{
    (void)state;
    aia_cli_args a = PARSE("health");
    assert_int_equal(a.command, AIA_CMD_HEALTH);
    assert_string_equal(a.server, "127.0.0.1:50051");
    assert_true(a.timeout_seconds == 10.0);
    assert_false(a.json);
    assert_false(a.pretty);
    assert_null(a.request_id);
    assert_null(a.caller);
    assert_null(a.method);
}

static void test_commands(void **state)
{
    (void)state;
    assert_int_equal(PARSE("metrics").command, AIA_CMD_METRICS);
    assert_int_equal(PARSE("version").command, AIA_CMD_VERSION);
    assert_int_equal(PARSE("help").command, AIA_CMD_HELP);
    assert_int_equal(PARSE("--help").command, AIA_CMD_HELP);
    assert_int_equal(PARSE("-h").command, AIA_CMD_HELP);
    assert_int_equal(PARSE("health", "--help").command, AIA_CMD_HELP);
    assert_int_equal(PARSE("frobnicate", "--help").command, AIA_CMD_HELP); /* help wins */
    assert_int_equal(PARSE("--version").command, AIA_CMD_VERSION);

    aia_cli_args a = PARSE("call", "aia.v1.SystemService/GetHealth");
    assert_int_equal(a.command, AIA_CMD_CALL);
    assert_string_equal(a.method, "aia.v1.SystemService/GetHealth");
    assert_string_equal(a.body, "{}");
    a = PARSE("call", "/aia.v1.ModelService/GetModel", "{\"modelId\": \"m\"}");
    assert_string_equal(a.method, "/aia.v1.ModelService/GetModel");
    assert_string_equal(a.body, "{\"modelId\": \"m\"}");
    a = PARSE("call", "grpc.health.v1.Health/Check", "-");
    assert_string_equal(a.body, "-");
    /* "-5" is a JSON document, not an option. */
    a = PARSE("call", "x.Y/Z", "-5");
    assert_string_equal(a.body, "-5");
    /* "--" ends the options. */
    a = PARSE("call", "--", "x.Y/Z", "--json");
    assert_string_equal(a.method, "x.Y/Z");
    assert_string_equal(a.body, "--json");
    assert_false(a.json);
}

static void test_options_anywhere(void **state)
{
    (void)state;
    aia_cli_args a = PARSE("--server", "10.0.0.1:9000", "--timeout", "2.5", "--json", "--request-id", "req-1",
                           "--caller", "alice", "health");
    assert_string_equal(a.server, "10.0.0.1:9000");
    assert_true(a.timeout_seconds == 2.5);
    assert_true(a.json);
    assert_string_equal(a.request_id, "req-1");
    assert_string_equal(a.caller, "alice");
    a = PARSE("health", "--json", "--pretty", "--server=h:1", "--timeout=0.25", "--request-id=r", "--caller=bob");
    assert_int_equal(a.command, AIA_CMD_HEALTH);
    assert_true(a.json);
    assert_true(a.pretty);
    assert_string_equal(a.server, "h:1");
    assert_true(a.timeout_seconds == 0.25);
    assert_string_equal(a.request_id, "r");
    assert_string_equal(a.caller, "bob");
    a = PARSE("call", "x.Y/Z", "--timeout", "3", "{}");
    assert_string_equal(a.body, "{}");
    assert_true(a.timeout_seconds == 3);
}

static void test_environment(void **state)
{
    (void)state;
    static const char *const env[] = {"AIA_SERVER=envhost:7", "AIA_TIMEOUT=30", "AIA_CALLER=svc-a", "USER=root",
                                      NULL};
    aia_cli_args a = parse_ok_env(ARGC(ARGV("health")), ARGV("health"), env);
    assert_string_equal(a.server, "envhost:7");
    assert_true(a.timeout_seconds == 30);
    assert_string_equal(a.caller, "svc-a");
    /* flags beat the environment */
    a = parse_ok_env(ARGC(ARGV("--server", "flag:1", "--timeout", "1", "--caller", "me", "health")),
                     ARGV("--server", "flag:1", "--timeout", "1", "--caller", "me", "health"), env);
    assert_string_equal(a.server, "flag:1");
    assert_true(a.timeout_seconds == 1);
    assert_string_equal(a.caller, "me");
    /* USER names the caller when AIA_CALLER does not; empty means unset */
    static const char *const env2[] = {"AIA_SERVER=", "AIA_CALLER=", "USER=carol", NULL};
    a = parse_ok_env(ARGC(ARGV("health")), ARGV("health"), env2);
    assert_string_equal(a.server, "127.0.0.1:50051");
    assert_string_equal(a.caller, "carol");
    static const char *const bad[] = {"AIA_TIMEOUT=soon", NULL};
    expect_usage_error_env(ARGC(ARGV("health")), ARGV("health"), bad,
                           "invalid AIA_TIMEOUT \"soon\": expected a positive number of seconds");
    /* a good --timeout makes a bad AIA_TIMEOUT irrelevant */
    a = parse_ok_env(ARGC(ARGV("--timeout", "4", "health")), ARGV("--timeout", "4", "health"), bad);
    assert_true(a.timeout_seconds == 4);
}

static void test_usage_errors(void **state)
{
    (void)state;
    aia_cli_args a;
    aia_error err;
    char *none[] = {"aia", NULL};
    g_env = NULL;
    assert_int_equal(aia_cli_parse_args(1, none, fake_env, &a, &err), AIA_INVALID_ARGUMENT);
    assert_string_equal(err.message, "no command given (see aia --help)");
    USAGE_ERROR("unknown command \"frobnicate\" (see aia --help)", "frobnicate");
    USAGE_ERROR("unknown option \"--bogus\" (see aia --help)", "--bogus", "health");
    USAGE_ERROR("unknown option \"-x\" (see aia --help)", "health", "-x");
    USAGE_ERROR("unknown option \"--jsonx\" (see aia --help)", "--jsonx", "health");
    USAGE_ERROR("unknown option \"--servers\" (see aia --help)", "--servers", "a:1", "health");
    USAGE_ERROR("call needs a METHOD, e.g. aia call aia.v1.SystemService/GetHealth '{}'", "call");
    USAGE_ERROR("call takes METHOD and one JSON request (quote it), got 3 arguments", "call", "x.Y/Z", "{", "}");
    USAGE_ERROR("too many arguments (\"e\")", "call", "b", "c", "d", "e");
    USAGE_ERROR("health takes no arguments (got \"now\")", "health", "now");
    USAGE_ERROR("metrics takes no arguments (got \"x\")", "metrics", "x");
    USAGE_ERROR("--server needs an address, e.g. --server 127.0.0.1:50051", "--server");
    USAGE_ERROR("--server needs an address, e.g. --server 127.0.0.1:50051", "--server=", "health");
    USAGE_ERROR("--timeout needs a number of seconds, e.g. --timeout 30", "health", "--timeout");
    USAGE_ERROR("invalid --timeout \"soon\": expected a positive number of seconds", "--timeout", "soon", "health");
    USAGE_ERROR("invalid --timeout \"0\": expected a positive number of seconds", "--timeout", "0", "health");
    USAGE_ERROR("invalid --timeout \"-1\": expected a positive number of seconds", "--timeout=-1", "health");
    USAGE_ERROR("invalid --timeout \"inf\": expected a positive number of seconds", "--timeout", "inf", "health");
    USAGE_ERROR("invalid --timeout \"nan\": expected a positive number of seconds", "--timeout", "nan", "health");
    USAGE_ERROR("invalid --timeout \"5s\": expected a positive number of seconds", "--timeout", "5s", "health");
    USAGE_ERROR("--request-id needs a value", "health", "--request-id");
    USAGE_ERROR("--caller needs a name", "health", "--caller=");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_options_anywhere),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_usage_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
