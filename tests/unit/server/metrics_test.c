/* tests/unit/server/metrics_test.c — server/metrics: call and error counts,
 * per-code counters, cumulative histogram buckets in the Prometheus text,
 * quantile estimates for known inputs, the unknown-method row and the
 * process statistics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/base/strbuf.h"
#include "server/metrics.h"

#define MS(x) ((int64_t)((x) * 1000000.0))

static aia_method g_methods[2];

static int setup(void **state)
{
    (void)state;
    memset(g_methods, 0, sizeof g_methods);
    snprintf(g_methods[0].path, sizeof g_methods[0].path, "/test.v1.Svc/Get");
    g_methods[0].service = "test.v1.Svc";
    g_methods[0].name = "Get";
    g_methods[0].kind = AIA_METHOD_UNARY;
    g_methods[0].index = 0;
    snprintf(g_methods[1].path, sizeof g_methods[1].path, "/test.v1.Svc/Watch");
    g_methods[1].service = "test.v1.Svc";
    g_methods[1].name = "Watch";
    g_methods[1].kind = AIA_METHOD_SERVER_STREAMING;
    g_methods[1].index = 1;
    return 0;
}

static char *render(const aia_metrics *m)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_metrics_render(m, &sb);
    assert_int_equal(sb.oom, 0);
    return aia_strbuf_release(&sb, NULL);
}

static void assert_line(const char *text, const char *line)
{
    /* whole line: preceded by a newline (or start) and followed by one */
    size_t n = strlen(line);
    for (const char *p = text; (p = strstr(p, line)); p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n') return;
    fail_msg("line not found: %s\n--- in ---\n%s", line, text);
}

static void test_counts_and_codes(void **state)
{
    (void)state;
    aia_metrics *m = aia_metrics_create(g_methods, 2);
    assert_non_null(m);
    assert_int_equal(aia_metrics_unknown_row(m), 2);
    for (int i = 0; i < 3; i++) aia_metrics_started(m, 0);
    aia_metrics_handled(m, 0, AIA_OK, MS(1));
    aia_metrics_handled(m, 0, AIA_OK, MS(1));
    aia_metrics_handled(m, 0, AIA_NOT_FOUND, MS(1));
    aia_metrics_started(m, 1);
    aia_metrics_handled(m, 1, AIA_CANCELLED, MS(30));
    /* out-of-range codes count as UNKNOWN; negative durations as 0 */
    aia_metrics_handled(m, 1, (aia_status)99, -5);

    aia_method_stats st;
    aia_metrics_method_stats(m, 0, &st);
    assert_int_equal(st.calls, 3);
    assert_int_equal(st.errors, 1);
    aia_metrics_method_stats(m, 1, &st);
    assert_int_equal(st.calls, 2);
    assert_int_equal(st.errors, 2);
    aia_metrics_method_stats(m, 2, &st);
    assert_int_equal(st.calls, 0);
    assert_true(st.p50_ms == 0 && st.p99_ms == 0);

    char *text = render(m);
    assert_line(text, "# TYPE grpc_server_started_total counter");
    assert_line(text,
                "grpc_server_started_total{grpc_type=\"unary\",grpc_service=\"test.v1.Svc\",grpc_method=\"Get\"} 3");
    assert_line(text, "grpc_server_started_total{grpc_type=\"server_stream\",grpc_service=\"test.v1.Svc\","
                      "grpc_method=\"Watch\"} 1");
    assert_line(text, "grpc_server_started_total{grpc_type=\"unknown\",grpc_service=\"unknown\","
                      "grpc_method=\"unknown\"} 0");
    assert_line(text, "# TYPE grpc_server_handled_total counter");
    assert_line(text, "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"test.v1.Svc\","
                      "grpc_method=\"Get\",grpc_code=\"OK\"} 2");
    assert_line(text, "grpc_server_handled_total{grpc_type=\"unary\",grpc_service=\"test.v1.Svc\","
                      "grpc_method=\"Get\",grpc_code=\"NOT_FOUND\"} 1");
    assert_line(text, "grpc_server_handled_total{grpc_type=\"server_stream\",grpc_service=\"test.v1.Svc\","
                      "grpc_method=\"Watch\",grpc_code=\"CANCELLED\"} 1");
    assert_line(text, "grpc_server_handled_total{grpc_type=\"server_stream\",grpc_service=\"test.v1.Svc\","
                      "grpc_method=\"Watch\",grpc_code=\"UNKNOWN\"} 1");
    /* codes never seen are not rendered */
    assert_null(strstr(text, "grpc_method=\"Get\",grpc_code=\"INTERNAL\""));
    free(text);
    aia_metrics_destroy(m);
}

static void test_unknown_row(void **state)
{
    (void)state;
    aia_metrics *m = aia_metrics_create(g_methods, 2);
    size_t row = aia_metrics_unknown_row(m);
    aia_metrics_started(m, row);
    aia_metrics_handled(m, row, AIA_UNIMPLEMENTED, MS(0.05));
    aia_method_stats st;
    aia_metrics_method_stats(m, row, &st);
    assert_int_equal(st.calls, 1);
    assert_int_equal(st.errors, 1);
    char *text = render(m);
    assert_line(text, "grpc_server_started_total{grpc_type=\"unknown\",grpc_service=\"unknown\","
                      "grpc_method=\"unknown\"} 1");
    assert_line(text, "grpc_server_handled_total{grpc_type=\"unknown\",grpc_service=\"unknown\","
                      "grpc_method=\"unknown\",grpc_code=\"UNIMPLEMENTED\"} 1");
    assert_line(text, "grpc_server_handling_seconds_count{grpc_type=\"unknown\",grpc_service=\"unknown\","
                      "grpc_method=\"unknown\"} 1");
    free(text);
    aia_metrics_destroy(m);

    /* A table with no methods at all has just the unknown row. */
    m = aia_metrics_create(NULL, 0);
    assert_non_null(m);
    assert_int_equal(aia_metrics_unknown_row(m), 0);
    aia_metrics_handled(m, 0, AIA_OK, 1);
    text = render(m);
    assert_non_null(strstr(text, "grpc_method=\"unknown\""));
    free(text);
    aia_metrics_destroy(m);
    aia_metrics_destroy(NULL);
}

static void test_histogram_is_cumulative(void **state)
{
    (void)state;
    aia_metrics *m = aia_metrics_create(g_methods, 2);
    aia_metrics_handled(m, 0, AIA_OK, MS(0.05)); /* le 0.0001 */
    aia_metrics_handled(m, 0, AIA_OK, MS(0.3));  /* le 0.0005 */
    aia_metrics_handled(m, 0, AIA_OK, MS(1));    /* exactly on the 0.001 bound: le 0.001 */
    aia_metrics_handled(m, 0, AIA_OK, MS(2));    /* le 0.0025 */
    aia_metrics_handled(m, 0, AIA_OK, MS(20000)); /* past the last bound: +Inf only */
    char *text = render(m);
    const char *L = "grpc_type=\"unary\",grpc_service=\"test.v1.Svc\",grpc_method=\"Get\"";
    struct {
        const char *le;
        int count;
    } want[] = {
        {"0.0001", 1}, {"0.00025", 1}, {"0.0005", 2}, {"0.001", 3}, {"0.0025", 4}, {"0.005", 4},
        {"0.01", 4},   {"0.025", 4},   {"0.05", 4},   {"0.1", 4},   {"0.25", 4},   {"0.5", 4},
        {"1", 4},      {"2.5", 4},     {"5", 4},      {"10", 4},    {"+Inf", 5},
    };
    char line[512];
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        snprintf(line, sizeof line, "grpc_server_handling_seconds_bucket{%s,le=\"%s\"} %d", L, want[i].le,
                 want[i].count);
        assert_line(text, line);
    }
    snprintf(line, sizeof line, "grpc_server_handling_seconds_count{%s} 5", L);
    assert_line(text, line);
    snprintf(line, sizeof line, "grpc_server_handling_seconds_sum{%s} 20.003350000", L);
    assert_line(text, line);
    assert_line(text, "# TYPE grpc_server_handling_seconds histogram");
    /* Buckets appear in increasing order of le and never decrease. */
    const char *p = text;
    long last = -1;
    int seen = 0;
    snprintf(line, sizeof line, "grpc_server_handling_seconds_bucket{%s,le=", L);
    while ((p = strstr(p, line))) {
        const char *v = strchr(p, '}');
        assert_non_null(v);
        long n = strtol(v + 2, NULL, 10);
        assert_true(n >= last);
        last = n;
        seen++;
        p = v;
    }
    assert_int_equal(seen, 17);
    /* A method without observations renders no histogram. */
    assert_null(strstr(text, "grpc_server_handling_seconds_count{grpc_type=\"server_stream\""));
    free(text);
    aia_metrics_destroy(m);
}

static void test_quantiles_for_known_inputs(void **state)
{
    (void)state;
    aia_metrics *m = aia_metrics_create(g_methods, 2);
    aia_method_stats st;

    /* 100 calls of 2 ms, all in (1 ms, 2.5 ms]: linear interpolation. */
    for (int i = 0; i < 100; i++) aia_metrics_handled(m, 0, AIA_OK, MS(2));
    aia_metrics_method_stats(m, 0, &st);
    assert_int_equal(st.calls, 100);
    assert_int_equal(st.errors, 0);
    assert_float_equal(st.p50_ms, 1.0 + 1.5 * 0.5, 1e-9);
    assert_float_equal(st.p99_ms, 1.0 + 1.5 * 0.99, 1e-9);

    /* Half fast (50 µs), half slow (7 ms). */
    for (int i = 0; i < 50; i++) aia_metrics_handled(m, 1, AIA_OK, MS(0.05));
    for (int i = 0; i < 50; i++) aia_metrics_handled(m, 1, AIA_OK, MS(7));
    aia_metrics_method_stats(m, 1, &st);
    assert_float_equal(st.p50_ms, 0.1, 1e-9);            /* top of the first bucket */
    assert_float_equal(st.p99_ms, 5.0 + 5.0 * 49.0 / 50.0, 1e-9); /* inside (5, 10] ms */
    assert_true(st.p50_ms <= st.p99_ms);
    aia_metrics_destroy(m);

    /* Everything past the last bound: reported as the last finite bound. */
    m = aia_metrics_create(g_methods, 2);
    for (int i = 0; i < 10; i++) aia_metrics_handled(m, 0, AIA_OK, MS(60000));
    aia_metrics_method_stats(m, 0, &st);
    assert_float_equal(st.p50_ms, 10000.0, 1e-9);
    assert_float_equal(st.p99_ms, 10000.0, 1e-9);
    aia_metrics_destroy(m);
}

static void test_process_stats(void **state)
{
    (void)state;
    aia_process_stats ps;
    aia_process_stats_read(&ps);
    assert_true(ps.rss_bytes > 0);
    assert_true(ps.threads >= 1);
    assert_true(ps.open_fds >= 3); /* stdin, stdout, stderr at least */
    assert_true(ps.max_fds > 0);
    assert_true(ps.cpu_seconds >= 0);
    double now = (double)time(NULL);
    assert_true(ps.start_time_seconds > now - 86400 && ps.start_time_seconds <= now + 5);

    aia_metrics *m = aia_metrics_create(g_methods, 2);
    char *text = render(m);
    assert_non_null(strstr(text, "\nprocess_resident_memory_bytes "));
    assert_non_null(strstr(text, "\nprocess_cpu_seconds_total "));
    assert_non_null(strstr(text, "\nprocess_open_fds "));
    assert_non_null(strstr(text, "\nprocess_threads "));
    assert_int_equal(text[strlen(text) - 1], '\n');
    free(text);
    aia_metrics_destroy(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_counts_and_codes, setup),
        cmocka_unit_test_setup(test_unknown_row, setup),
        cmocka_unit_test_setup(test_histogram_is_cumulative, setup),
        cmocka_unit_test_setup(test_quantiles_for_known_inputs, setup),
        cmocka_unit_test_setup(test_process_stats, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
