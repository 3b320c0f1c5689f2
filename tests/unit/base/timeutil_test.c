/* tests/unit/base/timeutil_test.c — lib/base/timeutil: RFC 3339 formatting
 * of known instants and sanity of the two clocks. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/base/timeutil.h"

static void check(int64_t unix_ns, const char *want)
{
    char buf[64];
    memset(buf, 'X', sizeof buf);
    aia_time_format_rfc3339(unix_ns, buf, sizeof buf);
    assert_string_equal(buf, want);
}

static void test_known_instants(void **state)
{
    (void)state;
    check(0, "1970-01-01T00:00:00.000Z");
    /* 2025-11-26T05:44:32.123456789Z: milliseconds truncate, never round up */
    check(1764135872123456789LL, "2025-11-26T05:44:32.123Z");
    check(1764135872999999999LL, "2025-11-26T05:44:32.999Z");
    /* a leap day, last millisecond */
    check(1709251199999000000LL, "2024-02-29T23:59:59.999Z");
    /* year 2038 and beyond (64-bit time_t) */
    check(2147483648LL * 1000000000LL, "2038-01-19T03:14:08.000Z");
    check(4102444800LL * 1000000000LL, "2100-01-01T00:00:00.000Z");
}

/* Instants before 1970 must format as the right calendar time too (the
 * last millisecond of 1969 is not 1970-01-01T00:00:00.000Z). */
static void test_before_epoch(void **state)
{
    (void)state;
    check(-1000000000LL, "1969-12-31T23:59:59.000Z");
    check(-1, "1969-12-31T23:59:59.999Z");
    check(-1500000000LL, "1969-12-31T23:59:58.500Z");
}

/* Consecutive calls in one thread, across and back over second
 * boundaries, each give their own instant. */
static void test_consecutive_calls(void **state)
{
    (void)state;
    int64_t t = 1764135872000000000LL; /* 2025-11-26T05:44:32Z */
    check(t, "2025-11-26T05:44:32.000Z");
    check(t + 999000000LL, "2025-11-26T05:44:32.999Z");
    check(t + 1000000000LL, "2025-11-26T05:44:33.000Z");
    check(t, "2025-11-26T05:44:32.000Z");
    check(t + 86400000000000LL, "2025-11-27T05:44:32.000Z");
    check(t + 1000000LL, "2025-11-26T05:44:32.001Z");
}

typedef struct first_call {
    int64_t ns;
    char out[64];
} first_call;

static void *format_in_new_thread(void *arg)
{
    first_call *fc = arg;
    aia_time_format_rfc3339(fc->ns, fc->out, sizeof fc->out);
    return NULL;
}

/* The first call on a thread must be right for every instant, including
 * the last second of 1969 (time_t -1). */
static void test_first_call_on_a_thread(void **state)
{
    (void)state;
    struct {
        int64_t ns;
        const char *want;
    } cases[] = {
        {1764135872123456789LL, "2025-11-26T05:44:32.123Z"},
        {0, "1970-01-01T00:00:00.000Z"},
        {-1000000000LL, "1969-12-31T23:59:59.000Z"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        first_call fc = {cases[i].ns, ""};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, format_in_new_thread, &fc), 0);
        pthread_join(t, NULL);
        assert_string_equal(fc.out, cases[i].want);
    }
}

static void test_small_buffer_truncates(void **state)
{
    (void)state;
    char buf[11];
    aia_time_format_rfc3339(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01");
    char exact[25]; /* 24 characters and the NUL */
    aia_time_format_rfc3339(1764135872123456789LL, exact, sizeof exact);
    assert_string_equal(exact, "2025-11-26T05:44:32.123Z");
}

static void test_clocks(void **state)
{
    (void)state;
    int64_t now = aia_time_now_ns();
    assert_true(now > 1577836800LL * 1000000000LL); /* after 2020-01-01 */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int64_t libc = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    assert_true(libc - now >= 0 && libc - now < 5000000000LL);
    int64_t a = aia_time_mono_ns();
    struct timespec ten_ms = {0, 10000000L};
    nanosleep(&ten_ms, NULL);
    int64_t b = aia_time_mono_ns();
    assert_true(b - a >= 10000000LL);
    assert_true(b - a < 5000000000LL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_instants),
        cmocka_unit_test(test_before_epoch),
        cmocka_unit_test(test_consecutive_calls),
        cmocka_unit_test(test_first_call_on_a_thread),
        cmocka_unit_test(test_small_buffer_truncates),
        cmocka_unit_test(test_clocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
