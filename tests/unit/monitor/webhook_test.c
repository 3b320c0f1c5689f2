/* tests/unit/monitor/webhook_test.c — lib/monitor/webhook against a
 * scripted HTTP/1.1 receiver on 127.0.0.1 (http_receiver.h): exact body and
 * content type, retries with growing gaps, permanent 4xx, refused
 * connections exhausting the attempts, Retry-After, stop() during a long
 * backoff and during a hanging request, URL checks, queue overflow.
 * Timing bounds are generous: they tell behaviours apart, not speeds.
 */
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

#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/monitor/webhook.h"
#include "tests/unit/monitor/http_receiver.h"

#define MS(ns) ((ns) / 1000000)

static aia_webhook *start(int attempts, int backoff_ms, int timeout_ms, size_t cap)
{
    aia_webhook_options o = {.max_attempts = attempts,
                             .initial_backoff_ms = backoff_ms,
                             .timeout_ms = timeout_ms,
                             .queue_capacity = cap,
                             .user_agent = "webhook-test/1"};
    aia_webhook *w = NULL;
    aia_error err;
    aia_status st = aia_webhook_start(&o, &w, &err);
    if (st != AIA_OK) fail_msg("start: %s: %s", aia_status_name(st), err.message);
    return w;
}

typedef struct counts {
    uint64_t delivered, failed, dropped, pending;
} counts;

static counts stats(aia_webhook *w)
{
    counts c;
    aia_webhook_stats(w, &c.delivered, &c.failed, &c.dropped, &c.pending);
    return c;
}

static void post(aia_webhook *w, const char *url, const char *body)
{
    assert_int_equal(aia_webhook_post(w, url, body, strlen(body)), AIA_OK);
}

static void receiver(rcv *r, const rcv_reply *script, size_t n, char *url, size_t size)
{
    assert_int_equal(rcv_start(r, script, n), 0);
    rcv_url(r, url, size);
}

static void test_delivers_body_and_content_type(void **state)
{
    rcv r;
    char url[128];
    receiver(&r, NULL, 0, url, sizeof url);
    aia_webhook *w = start(0, 0, 0, 0);
    const char body[] = "{\"alert\":\"drift\",\"features\":[\"f2\",\"f5\"],\"share\":0.4}";
    post(w, url, body);
    assert_int_equal(aia_webhook_flush(w, 10000), 0);
    counts c = stats(w);
    assert_int_equal(c.delivered, 1);
    assert_int_equal(c.failed + c.dropped + c.pending, 0);
    assert_int_equal(aia_webhook_attempts(w), 1);
    assert_int_equal(rcv_count(&r), 1);
    assert_string_equal(r.req[0].method, "POST");
    assert_string_equal(r.req[0].path, "/hook");
    assert_string_equal(r.req[0].content_type, "application/json");
    assert_string_equal(r.req[0].user_agent, "webhook-test/1");
    assert_int_equal(r.req[0].body_len, strlen(body));
    assert_memory_equal(r.req[0].body, body, strlen(body));
    aia_webhook_stop(w);
    rcv_stop(&r);
}

/* A body over 1 KiB, where libcurl would otherwise send Expect: 100-continue,
 * arrives whole and promptly; several posts arrive in order. */
static void test_large_body_and_order(void **state)
{
    rcv r;
    char url[128];
    receiver(&r, NULL, 0, url, sizeof url);
    aia_webhook *w = start(0, 0, 0, 0);
    static char big[20000];
    memset(big, 'x', sizeof big - 1);
    big[0] = '"';
    big[sizeof big - 2] = '"';
    int64_t t0 = aia_time_mono_ns();
    post(w, url, big);
    post(w, url, "1");
    post(w, url, "2");
    assert_int_equal(aia_webhook_flush(w, 10000), 0);
    assert_true(MS(aia_time_mono_ns() - t0) < 900); /* no 1 s Expect stall */
    assert_int_equal(rcv_count(&r), 3);
    assert_int_equal(r.req[0].body_len, strlen(big));
    assert_string_equal(r.req[1].body, "1");
    assert_string_equal(r.req[2].body, "2");
    assert_int_equal(stats(w).delivered, 3);
    aia_webhook_stop(w);
    rcv_stop(&r);
}

static void test_503_503_200_retries_with_growing_gaps(void **state)
{
    rcv r;
    char url[128];
    rcv_reply script[] = {{.status = 503}, {.status = 503}, {.status = 200}};
    receiver(&r, script, 3, url, sizeof url);
    aia_webhook *w = start(5, 100, 0, 0);
    post(w, url, "{}");
    assert_int_equal(aia_webhook_flush(w, 20000), 0);
    counts c = stats(w);
    assert_int_equal(c.delivered, 1);
    assert_int_equal(c.failed, 0);
    assert_int_equal(aia_webhook_attempts(w), 3);
    assert_int_equal(rcv_count(&r), 3);
    int64_t gap1 = MS(r.req[1].at_ns - r.req[0].at_ns), gap2 = MS(r.req[2].at_ns - r.req[1].at_ns);
    /* 100 ms ±20%, then 200 ms ±20% */
    assert_true(gap1 >= 70 && gap1 < 3000);
    assert_true(gap2 >= 150 && gap2 < 5000);
    assert_true(gap2 > gap1);
    aia_webhook_stop(w);
    rcv_stop(&r);
}

static void test_400_is_permanent(void **state)
{
    rcv r;
    char url[128];
    rcv_reply script[] = {{.status = 400}, {.status = 200}};
    receiver(&r, script, 2, url, sizeof url);
    aia_webhook *w = start(5, 10, 0, 0);
    post(w, url, "{\"bad\":true}");
    assert_int_equal(aia_webhook_flush(w, 10000), 0);
    counts c = stats(w);
    assert_int_equal(c.failed, 1);
    assert_int_equal(c.delivered, 0);
    assert_int_equal(aia_webhook_attempts(w), 1);
    usleep(100000); /* a retry, if any, would have arrived by now */
    assert_int_equal(rcv_count(&r), 1);
    aia_webhook_stop(w);
    rcv_stop(&r);
}

/* A port nothing listens on: bind one, note it, close it. */
static int closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_connection_refused_exhausts_attempts(void **state)
{
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", closed_port());
    aia_webhook *w = start(3, 10, 2000, 0);
    post(w, url, "{}");
    assert_int_equal(aia_webhook_flush(w, 10000), 0);
    counts c = stats(w);
    assert_int_equal(c.failed, 1);
    assert_int_equal(c.delivered, 0);
    assert_int_equal(aia_webhook_attempts(w), 3);
    aia_webhook_stop(w);
}

static void test_retry_after_is_honoured(void **state)
{
    rcv r;
    char url[128];
    rcv_reply script[] = {{.status = 429, .extra_header = "Retry-After: 1"}, {.status = 200}};
    receiver(&r, script, 2, url, sizeof url);
    aia_webhook *w = start(5, 10, 0, 0); /* without Retry-After the retry would come after ~10 ms */
    post(w, url, "{}");
    assert_int_equal(aia_webhook_flush(w, 10000), 0);
    assert_int_equal(stats(w).delivered, 1);
    assert_int_equal(rcv_count(&r), 2);
    int64_t gap = MS(r.req[1].at_ns - r.req[0].at_ns);
    assert_true(gap >= 900 && gap < 5000);
    aia_webhook_stop(w);
    rcv_stop(&r);
}

static void test_stop_during_long_backoff(void **state)
{
    rcv r;
    char url[128];
    rcv_reply script[] = {{.status = 503}};
    receiver(&r, script, 1, url, sizeof url);
    aia_webhook *w = start(5, 20000, 0, 0);
    post(w, url, "{}");
    post(w, url, "{\"queued\":1}");
    assert_int_equal(rcv_wait(&r, 1, 10000), 0);
    usleep(100000); /* into the 16..24 s backoff */
    counts c = stats(w);
    assert_int_equal(c.pending, 2);
    assert_int_equal(aia_webhook_flush(w, 50), -1);
    int64_t t0 = aia_time_mono_ns();
    aia_webhook_stop(w);
    assert_true(MS(aia_time_mono_ns() - t0) < 1000);
    assert_int_equal(rcv_count(&r), 1);
    rcv_stop(&r);
}

static void test_stop_during_hanging_request(void **state)
{
    rcv r;
    char url[128];
    rcv_reply script[] = {{.status = 200, .hold = 1}};
    receiver(&r, script, 1, url, sizeof url);
    aia_webhook *w = start(5, 10, 60000, 0);
    post(w, url, "{}");
    assert_int_equal(rcv_wait(&r, 1, 10000), 0);
    int64_t t0 = aia_time_mono_ns();
    aia_webhook_stop(w);
    /* libcurl polls the stop flag about once a second */
    assert_true(MS(aia_time_mono_ns() - t0) < 2500);
    rcv_stop(&r);
}

static void expect_bad_url(const char *url, const char *why)
{
    aia_error err;
    assert_int_equal(aia_webhook_check_url(url, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(err.code, AIA_INVALID_ARGUMENT);
    if (url && *url && !strstr(err.message, url)) fail_msg("message does not name %s: %s", url, err.message);
    if (!strstr(err.message, why)) fail_msg("message for \"%s\" does not say \"%s\": %s", url, why, err.message);
}

static void test_check_url(void **state)
{
    expect_bad_url("ftp://x", "http:// or https://");
    expect_bad_url("", "empty");
    expect_bad_url(NULL, "missing");
    expect_bad_url("http://", "no host");
    expect_bad_url("https:///path", "no host");
    expect_bad_url("example.com/hook", "http:// or https://");
    expect_bad_url("http://exa mple.com/", "space");
    aia_error err;
    assert_int_equal(aia_webhook_check_url("http://127.0.0.1:8080/hook", &err), AIA_OK);
    assert_int_equal(aia_webhook_check_url("https://hooks.example.com/a/b?c=d", &err), AIA_OK);
    assert_int_equal(aia_webhook_check_url("HTTPS://example.com", &err), AIA_OK);

    /* post refuses them too, counted as failed, nothing sent */
    aia_webhook *w = start(0, 0, 0, 0);
    assert_int_equal(aia_webhook_post(w, "ftp://x", "{}", 2), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_webhook_post(w, NULL, "{}", 2), AIA_INVALID_ARGUMENT);
    counts c = stats(w);
    assert_int_equal(c.failed, 2);
    assert_int_equal(c.pending, 0);
    assert_int_equal(aia_webhook_attempts(w), 0);
    aia_webhook_stop(w);
}

static void test_queue_overflow_is_dropped(void **state)
{
    rcv r;
    char url[128];
    rcv_reply script[] = {{.status = 200, .hold = 1}};
    receiver(&r, script, 1, url, sizeof url);
    aia_webhook *w = start(0, 0, 10000, 2);
    post(w, url, "{\"n\":0}");
    assert_int_equal(rcv_wait(&r, 1, 10000), 0); /* item 0 in flight, queue empty */
    post(w, url, "{\"n\":1}");
    post(w, url, "{\"n\":2}");
    assert_int_equal(aia_webhook_post(w, url, "{\"n\":3}", 7), AIA_RESOURCE_EXHAUSTED);
    assert_int_equal(aia_webhook_post(w, url, "{\"n\":4}", 7), AIA_RESOURCE_EXHAUSTED);
    counts c = stats(w);
    assert_int_equal(c.dropped, 2);
    assert_int_equal(c.pending, 3);
    rcv_release(&r);
    assert_int_equal(aia_webhook_flush(w, 10000), 0);
    c = stats(w);
    assert_int_equal(c.delivered, 3);
    assert_int_equal(c.dropped, 2);
    assert_int_equal(c.pending, 0);
    assert_int_equal(rcv_count(&r), 3);
    assert_string_equal(r.req[1].body, "{\"n\":1}");
    assert_string_equal(r.req[2].body, "{\"n\":2}");
    aia_webhook_stop(w);
    rcv_stop(&r);
}

static void test_bad_options_and_null_stop(void **state)
{
    aia_webhook *w = (aia_webhook *)1;
    aia_error err;
    aia_webhook_options o = {.timeout_ms = -1};
    assert_int_equal(aia_webhook_start(&o, &w, &err), AIA_INVALID_ARGUMENT);
    assert_null(w);
    assert_non_null(strstr(err.message, "timeout_ms"));
    o = (aia_webhook_options){.max_attempts = -2};
    assert_int_equal(aia_webhook_start(&o, &w, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "max_attempts"));
    o = (aia_webhook_options){.queue_capacity = (size_t)AIA_WEBHOOK_MAX_QUEUE + 1};
    assert_int_equal(aia_webhook_start(&o, &w, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "queue_capacity"));
    aia_webhook_stop(NULL);
    /* defaults with NULL options; stop with nothing queued is prompt */
    assert_int_equal(aia_webhook_start(NULL, &w, &err), AIA_OK);
    aia_webhook_stop(w);
}

int main(void)
{
    /* failures are logged by design; keep the test output readable */
    aia_log_configure(AIA_LOG_ERROR, AIA_LOG_TEXT, 2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delivers_body_and_content_type),
        cmocka_unit_test(test_large_body_and_order),
        cmocka_unit_test(test_503_503_200_retries_with_growing_gaps),
        cmocka_unit_test(test_400_is_permanent),
        cmocka_unit_test(test_connection_refused_exhausts_attempts),
        cmocka_unit_test(test_retry_after_is_honoured),
        cmocka_unit_test(test_stop_during_long_backoff),
        cmocka_unit_test(test_stop_during_hanging_request),
        cmocka_unit_test(test_check_url),
        cmocka_unit_test(test_queue_overflow_is_dropped),
        cmocka_unit_test(test_bad_options_and_null_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
