/* tests/unit/base/status_test.c — lib/base/status: names, parsing, error
 * formatting, prefixing and truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/base/status.h"

static const char *const k_expected[AIA_STATUS_COUNT] = {
    "OK",        "CANCELLED",         "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",
    "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
};

static void test_names_match_grpc(void **state)
{
    (void)state;
    for (int i = 0; i < AIA_STATUS_COUNT; i++) assert_string_equal(aia_status_name((aia_status)i), k_expected[i]);
    /* A few values pinned to gRPC's numbering, independently of the table. */
    assert_int_equal(AIA_INVALID_ARGUMENT, 3);
    assert_int_equal(AIA_UNIMPLEMENTED, 12);
    assert_int_equal(AIA_UNAUTHENTICATED, 16);
}

static void test_name_out_of_range_is_unknown(void **state)
{
    (void)state;
    assert_string_equal(aia_status_name((aia_status)-1), "UNKNOWN");
    assert_string_equal(aia_status_name((aia_status)AIA_STATUS_COUNT), "UNKNOWN");
    assert_string_equal(aia_status_name((aia_status)1000), "UNKNOWN");
}

static void test_from_name_round_trip(void **state)
{
    (void)state;
    for (int i = 0; i < AIA_STATUS_COUNT; i++) {
        int ok = -1;
        assert_int_equal(aia_status_from_name(k_expected[i], &ok), i);
        assert_int_equal(ok, 1);
    }
    /* ok may be NULL */
    assert_int_equal(aia_status_from_name("NOT_FOUND", NULL), AIA_NOT_FOUND);
}

static void test_from_name_rejects_others(void **state)
{
    (void)state;
    const char *bad[] = {"", "not_found", "NOT FOUND", "NOT_FOUND ", "OKAY", "12"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int ok = -1;
        assert_int_equal(aia_status_from_name(bad[i], &ok), AIA_UNKNOWN);
        assert_int_equal(ok, 0);
    }
    int ok = -1;
    assert_int_equal(aia_status_from_name(NULL, &ok), AIA_UNKNOWN);
    assert_int_equal(ok, 0);
    assert_int_equal(aia_status_from_name("nope", NULL), AIA_UNKNOWN);
}

static void test_error_set_returns_code_and_formats(void **state)
{
    (void)state;
    aia_error err;
    aia_error_clear(&err);
    assert_int_equal(aia_error_set(&err, AIA_NOT_FOUND, "model %s@%d not found", "churn", 3), AIA_NOT_FOUND);
    assert_int_equal(err.code, AIA_NOT_FOUND);
    assert_string_equal(err.message, "model churn@3 not found");
    /* NULL err: still returns the code */
    assert_int_equal(aia_error_set(NULL, AIA_INTERNAL, "x %d", 1), AIA_INTERNAL);
    aia_error_clear(&err);
    assert_int_equal(err.code, AIA_OK);
    assert_string_equal(err.message, "");
    aia_error_clear(NULL);
}

static void test_error_set_truncates(void **state)
{
    (void)state;
    char longtext[2000];
    memset(longtext, 'a', sizeof longtext - 1);
    longtext[sizeof longtext - 1] = '\0';
    aia_error err;
    memset(&err, 0x55, sizeof err);
    aia_error_set(&err, AIA_INVALID_ARGUMENT, "%s", longtext);
    assert_int_equal(err.code, AIA_INVALID_ARGUMENT);
    assert_int_equal(strlen(err.message), AIA_ERROR_MESSAGE_MAX - 1);
    assert_memory_equal(err.message, longtext, AIA_ERROR_MESSAGE_MAX - 1);
}

static void test_error_prefix(void **state)
{
    (void)state;
    aia_error err;
    aia_error_set(&err, AIA_INVALID_ARGUMENT, "line 3: unknown key");
    aia_error_prefix(&err, "config %s", "a.conf");
    assert_int_equal(err.code, AIA_INVALID_ARGUMENT);
    assert_string_equal(err.message, "config a.conf: line 3: unknown key");
    aia_error_prefix(NULL, "x"); /* no crash */
}

static void test_error_prefix_truncates_long_message(void **state)
{
    (void)state;
    char body[AIA_ERROR_MESSAGE_MAX];
    memset(body, 'm', sizeof body - 1);
    body[sizeof body - 1] = '\0';
    aia_error err;
    aia_error_set(&err, AIA_DATA_LOSS, "%s", body); /* exactly full */
    assert_int_equal(strlen(err.message), AIA_ERROR_MESSAGE_MAX - 1);
    aia_error_prefix(&err, "ctx");
    assert_int_equal(err.code, AIA_DATA_LOSS);
    assert_int_equal(strlen(err.message), AIA_ERROR_MESSAGE_MAX - 1);
    assert_memory_equal(err.message, "ctx: mmm", 8);
    assert_int_equal(err.message[AIA_ERROR_MESSAGE_MAX - 2], 'm');
}

static void test_error_prefix_truncates_long_prefix(void **state)
{
    (void)state;
    char prefix[3 * AIA_ERROR_MESSAGE_MAX];
    memset(prefix, 'p', sizeof prefix - 1);
    prefix[sizeof prefix - 1] = '\0';
    aia_error err;
    aia_error_set(&err, AIA_INTERNAL, "tail");
    aia_error_prefix(&err, "%s", prefix);
    assert_int_equal(strlen(err.message), AIA_ERROR_MESSAGE_MAX - 1);
    /* The prefix alone overflows the message: only its first bytes remain. */
    for (size_t i = 0; i < AIA_ERROR_MESSAGE_MAX - 1; i++)
        if (err.message[i] != 'p') fail_msg("unexpected byte %d at %zu", err.message[i], i);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_match_grpc),
        cmocka_unit_test(test_name_out_of_range_is_unknown),
        cmocka_unit_test(test_from_name_round_trip),
        cmocka_unit_test(test_from_name_rejects_others),
        cmocka_unit_test(test_error_set_returns_code_and_formats),
        cmocka_unit_test(test_error_set_truncates),
        cmocka_unit_test(test_error_prefix),
        cmocka_unit_test(test_error_prefix_truncates_long_message),
        cmocka_unit_test(test_error_prefix_truncates_long_prefix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
