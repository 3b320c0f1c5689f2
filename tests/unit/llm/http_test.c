/* tests/unit/llm/http_test.c — the event-driven HTTP client against the test
 * upstream (tests/llm_upstream/upstream.py): streaming bytes, statuses,
 * connection errors, cancel (the upstream sees the disconnect), deadlines,
 * delayed starts, bounded concurrency, and 200 concurrent streams served by
 * the one HTTP thread. */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "lib/base/strbuf.h"
#include "lib/base/timeutil.h"
#include "lib/llm/http.h"
#include "tests/llm_upstream/upstream_proc.h"

static upstream up;

typedef struct collector {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    aia_status status;
    long http_status;
    long response_status;
    char content_type[128];
    aia_error err;
    aia_strbuf body;
    int64_t first_data_ns, done_ns;
    int fail_on_data; /* make on_data fail with FAILED_PRECONDITION */
    size_t max_active_seen;
    aia_http_client *client;
} collector;

static void col_init(collector *c) {
    memset(c, 0, sizeof *c);
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    aia_strbuf_init(&c->body);
}

static void col_free(collector *c) {
    aia_strbuf_free(&c->body);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
}

static aia_status on_response(void *user, long status, const char *ct, aia_error *err) {
    collector *c = user;
    c->response_status = status;
    snprintf(c->content_type, sizeof c->content_type, "%s", ct ? ct : "");
    return AIA_OK;
}

static aia_status on_data(void *user, const char *bytes, size_t n, aia_error *err) {
    collector *c = user;
    if (c->client) {
        size_t a = aia_http_active(c->client);
        if (a > c->max_active_seen) c->max_active_seen = a;
    }
    if (c->fail_on_data) return aia_error_set(err, AIA_FAILED_PRECONDITION, "test callback refuses data");
    pthread_mutex_lock(&c->mu);
    if (!c->first_data_ns) c->first_data_ns = aia_time_mono_ns();
    aia_strbuf_append(&c->body, bytes, n);
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    return AIA_OK;
}

static void on_done(void *user, aia_status st, long http_status, const aia_error *err) {
    collector *c = user;
    pthread_mutex_lock(&c->mu);
    c->status = st;
    c->http_status = http_status;
    c->err = *err;
    c->done = 1;
    c->done_ns = aia_time_mono_ns();
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Waits until done (or first data when want_data), at most timeout_ms. */
static int col_wait(collector *c, int want_data, int timeout_ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
    pthread_mutex_lock(&c->mu);
    while (!(c->done || (want_data && c->first_data_ns)))
        if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) != 0) break;
    int ok = c->done || (want_data && c->first_data_ns);
    pthread_mutex_unlock(&c->mu);
    return ok;
}

static const char *const gemini_headers[] = {"x-goog-api-key: test-api-key", "Content-Type: application/json"};

static aia_http_request *submit_model(aia_http_client *cl, collector *c, const char *model, int64_t timeout_ms,
                                      int64_t delay_ms) {
    char url[256];
    snprintf(url, sizeof url, "%s/v1beta/models/%s:streamGenerateContent?alt=sse", up.base_url, model);
    aia_http_call call = {"POST", url, gemini_headers, 2, "{}", 2, timeout_ms, delay_ms};
    aia_http_callbacks cb = {on_response, on_data, on_done, c};
    aia_http_request *h = NULL;
    aia_error err;
    aia_status st = aia_http_submit(cl, &call, &cb, &h, &err);
    assert_int_equal(st, AIA_OK);
    return h;
}

static aia_http_client *new_client(size_t max_active) {
    aia_http_options o = {.max_active = max_active};
    aia_http_client *cl = NULL;
    aia_error err;
    assert_int_equal(aia_http_client_new(&o, &cl, &err), AIA_OK);
    return cl;
}

static void test_stream_bytes(void **state) {
    aia_http_client *cl = new_client(0);
    collector c;
    col_init(&c);
    aia_http_request *h = submit_model(cl, &c, "gemini-test", 10000, 0);
    assert_true(col_wait(&c, 0, 10000));
    assert_int_equal(c.status, AIA_OK);
    assert_int_equal(c.http_status, 200);
    assert_int_equal(c.response_status, 200);
    assert_string_equal(c.content_type, "text/event-stream");
    const char *b = aia_strbuf_cstr(&c.body);
    const char *hello = strstr(b, "\"Hello\""), *world = strstr(b, "\"world\"");
    assert_non_null(hello);
    assert_non_null(world);
    assert_true(hello < world);
    aia_http_cancel(h); /* after on_done: a no-op */
    aia_http_request_release(h);
    aia_http_client_free(cl);
    col_free(&c);
}

static void test_http_error_status(void **state) {
    aia_http_client *cl = new_client(0);
    collector c;
    col_init(&c);
    aia_http_request_release(submit_model(cl, &c, "err-404", 10000, 0));
    assert_true(col_wait(&c, 0, 10000));
    assert_int_equal(c.status, AIA_OK); /* the transfer worked; the caller maps statuses */
    assert_int_equal(c.http_status, 404);
    assert_non_null(strstr(aia_strbuf_cstr(&c.body), "was not found"));
    aia_http_client_free(cl);
    col_free(&c);
}

static int closed_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    getsockname(fd, (struct sockaddr *)&a, &len);
    close(fd);
    return ntohs(a.sin_port);
}

static void test_connection_refused(void **state) {
    aia_http_client *cl = new_client(0);
    collector c;
    col_init(&c);
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/x", closed_port());
    aia_http_call call = {.method = "GET", .url = url, .timeout_ms = 5000};
    aia_http_callbacks cb = {on_response, on_data, on_done, &c};
    aia_error err;
    assert_int_equal(aia_http_submit(cl, &call, &cb, NULL, &err), AIA_OK);
    assert_true(col_wait(&c, 0, 10000));
    assert_int_equal(c.status, AIA_UNAVAILABLE);
    assert_int_equal(c.http_status, 0);
    assert_non_null(strstr(c.err.message, url));
    aia_http_client_free(cl);
    col_free(&c);
}

static void test_cancel_closes_upstream(void **state) {
    aia_http_client *cl = new_client(0);
    collector c;
    col_init(&c);
    aia_http_request *h = submit_model(cl, &c, "slow-cancel-http", 60000, 0);
    assert_true(col_wait(&c, 1, 10000));
    int64_t t0 = aia_time_mono_ns();
    aia_http_cancel(h);
    assert_true(col_wait(&c, 0, 5000));
    int64_t ms = (c.done_ns - t0) / 1000000;
    assert_int_equal(c.status, AIA_CANCELLED);
    assert_true(ms < 500); /* "at once": generous bound */
    /* The upstream notices at its next write (every 100 ms). */
    double seen = -1;
    for (int i = 0; i < 60 && seen < 0; i++) {
        seen = upstream_stat(&up, "disconnects", "slow-cancel-http");
        if (seen < 0) usleep(50000);
    }
    assert_true(seen > 0);
    aia_http_request_release(h);
    aia_http_client_free(cl);
    col_free(&c);
}

static void test_deadline(void **state) {
    aia_http_client *cl = new_client(0);
    collector c;
    col_init(&c);
    int64_t t0 = aia_time_mono_ns();
    aia_http_request_release(submit_model(cl, &c, "slow-deadline", 300, 0));
    assert_true(col_wait(&c, 0, 10000));
    assert_int_equal(c.status, AIA_DEADLINE_EXCEEDED);
    int64_t ms = (c.done_ns - t0) / 1000000;
    assert_true(ms >= 250 && ms < 3000);
    aia_http_client_free(cl);
    col_free(&c);
}

static void test_callback_abort(void **state) {
    aia_http_client *cl = new_client(0);
    collector c;
    col_init(&c);
    c.fail_on_data = 1;
    aia_http_request_release(submit_model(cl, &c, "gemini-test", 10000, 0));
    assert_true(col_wait(&c, 0, 10000));
    assert_int_equal(c.status, AIA_FAILED_PRECONDITION);
    assert_string_equal(c.err.message, "test callback refuses data");
    aia_http_client_free(cl);
    col_free(&c);
}

static void test_delayed_start(void **state) {
    aia_http_client *cl = new_client(0);
    collector c;
    col_init(&c);
    int64_t t0 = aia_time_mono_ns();
    aia_http_request_release(submit_model(cl, &c, "gemini-test", 10000, 300));
    assert_true(col_wait(&c, 0, 10000));
    assert_int_equal(c.status, AIA_OK);
    assert_true((c.done_ns - t0) / 1000000 >= 300);
    /* Cancelled while still waiting for its start. */
    collector d;
    col_init(&d);
    aia_http_request *h = submit_model(cl, &d, "gemini-test", 10000, 60000);
    t0 = aia_time_mono_ns();
    aia_http_cancel(h);
    assert_true(col_wait(&d, 0, 5000));
    assert_int_equal(d.status, AIA_CANCELLED);
    assert_true((d.done_ns - t0) / 1000000 < 500);
    aia_http_request_release(h);
    aia_http_client_free(cl);
    col_free(&c);
    col_free(&d);
}

static void test_bounded_concurrency(void **state) {
    aia_http_client *cl = new_client(2);
    enum { N = 12 };
    collector c[N];
    for (int i = 0; i < N; i++) {
        col_init(&c[i]);
        c[i].client = cl;
        aia_http_request_release(submit_model(cl, &c[i], "gemini-test", 20000, 0));
    }
    for (int i = 0; i < N; i++) {
        assert_true(col_wait(&c[i], 0, 20000));
        assert_int_equal(c[i].status, AIA_OK);
        assert_true(c[i].max_active_seen <= 2);
        assert_non_null(strstr(aia_strbuf_cstr(&c[i].body), "\"world\""));
    }
    aia_http_client_free(cl);
    for (int i = 0; i < N; i++) col_free(&c[i]);
}

static int count_threads(void) {
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

/* 200 concurrent slow streams all flowing at once, on one HTTP thread; then
 * all cancelled together. */
static void test_200_concurrent_streams(void **state) {
    enum { N = 200 };
    aia_http_client *cl = new_client(0);
    int threads_before = count_threads();
    collector *c = calloc(N, sizeof *c);
    aia_http_request *h[N];
    for (int i = 0; i < N; i++) {
        col_init(&c[i]);
        h[i] = submit_model(cl, &c[i], "slow-200", 60000, 0);
    }
    for (int i = 0; i < N; i++) assert_true(col_wait(&c[i], 1, 30000));
    assert_int_equal(aia_http_active(cl), N);
    assert_int_equal(count_threads(), threads_before); /* no thread per stream */
    for (int i = 0; i < N; i++) aia_http_cancel(h[i]);
    for (int i = 0; i < N; i++) {
        assert_true(col_wait(&c[i], 0, 10000));
        assert_int_equal(c[i].status, AIA_CANCELLED);
        aia_http_request_release(h[i]);
    }
    assert_int_equal(aia_http_active(cl), 0);
    aia_http_client_free(cl);
    for (int i = 0; i < N; i++) col_free(&c[i]);
    free(c);
}

/* 200 complete streams at once: every body whole and in order. */
static void test_200_complete_streams(void **state) {
    enum { N = 200 };
    aia_http_client *cl = new_client(0);
    collector *c = calloc(N, sizeof *c);
    for (int i = 0; i < N; i++) {
        col_init(&c[i]);
        aia_http_request_release(submit_model(cl, &c[i], "bursty", 60000, 0));
    }
    for (int i = 0; i < N; i++) {
        assert_true(col_wait(&c[i], 0, 60000));
        assert_int_equal(c[i].status, AIA_OK);
        const char *b = aia_strbuf_cstr(&c[i].body);
        assert_non_null(strstr(b, "\"b0 \""));
        assert_true(strstr(b, "\"b0 \"") < strstr(b, "\"b199 \""));
    }
    aia_http_client_free(cl);
    for (int i = 0; i < N; i++) col_free(&c[i]);
    free(c);
}

static void test_free_cancels_pending(void **state) {
    aia_http_client *cl = new_client(0);
    collector c;
    col_init(&c);
    aia_http_request *h = submit_model(cl, &c, "slow-free", 60000, 0);
    assert_true(col_wait(&c, 1, 10000));
    aia_http_client_free(cl);
    assert_true(c.done);
    assert_int_equal(c.status, AIA_CANCELLED);
    aia_http_cancel(h); /* the handle outlives the client until released */
    aia_http_request_release(h);
    col_free(&c);
}

static void test_bad_submit(void **state) {
    aia_http_client *cl = new_client(0);
    collector c;
    col_init(&c);
    aia_http_callbacks cb = {NULL, NULL, on_done, &c};
    aia_http_callbacks no_done = {NULL, NULL, NULL, &c};
    aia_http_call put = {.method = "PUT", .url = "http://127.0.0.1:1/"};
    aia_http_call no_url = {.method = "GET"};
    aia_http_call ok = {.method = "GET", .url = "http://127.0.0.1:1/"};
    aia_error err;
    assert_int_equal(aia_http_submit(cl, &put, &cb, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "PUT"));
    assert_int_equal(aia_http_submit(cl, &no_url, &cb, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_http_submit(cl, &ok, &no_done, NULL, &err), AIA_INVALID_ARGUMENT);
    aia_http_client_free(cl);
    assert_false(c.done); /* refused submissions never call back */
    col_free(&c);
}

static int setup(void **state) { return upstream_start(&up, NULL); }
static int teardown(void **state) {
    upstream_stop(&up);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_bytes),           cmocka_unit_test(test_http_error_status),
        cmocka_unit_test(test_connection_refused),     cmocka_unit_test(test_cancel_closes_upstream),
        cmocka_unit_test(test_deadline),               cmocka_unit_test(test_callback_abort),
        cmocka_unit_test(test_delayed_start),          cmocka_unit_test(test_bounded_concurrency),
        cmocka_unit_test(test_200_concurrent_streams), cmocka_unit_test(test_200_complete_streams),
        cmocka_unit_test(test_free_cancels_pending),   cmocka_unit_test(test_bad_submit),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
