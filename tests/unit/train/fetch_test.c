/* tests/unit/train/fetch_test.c — http:// training data through libcurl,
 * against a minimal HTTP/1.0 server on a thread of this test: a download
 * trains and its hash is the file's; a 404 names the URL and the status;
 * an oversized body is refused; a closed port is UNAVAILABLE.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/sha.h>

#include "lib/train/train.h"
#include "tests/unit/train/train_fixture.h"

typedef struct server {
    int fd, port;
    volatile int stop;
    const char *body;
    size_t body_len;
    pthread_t thread;
} server;

static void serve_one(server *s, int c)
{
    char req[4096];
    size_t n = 0;
    /* read up to the end of the headers */
    while (n + 1 < sizeof req) {
        ssize_t k = recv(c, req + n, sizeof req - 1 - n, 0);
        if (k <= 0) break;
        n += (size_t)k;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n")) break;
    }
    req[n] = '\0';
    char head[256];
    if (strncmp(req, "GET /data.csv ", 14) == 0) {
        int h = snprintf(head, sizeof head, "HTTP/1.0 200 OK\r\nContent-Type: text/csv\r\nContent-Length: %zu\r\n\r\n",
                         s->body_len);
        if (send(c, head, (size_t)h, MSG_NOSIGNAL) < 0) return;
        size_t off = 0;
        while (off < s->body_len) {
            ssize_t k = send(c, s->body + off, s->body_len - off, MSG_NOSIGNAL);
            if (k <= 0) break;
            off += (size_t)k;
        }
    } else {
        static const char nf[] = "HTTP/1.0 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found";
        if (send(c, nf, sizeof nf - 1, MSG_NOSIGNAL) < 0) return;
    }
}

static void *serve(void *arg)
{
    server *s = arg;
    while (!s->stop) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0) continue;
        int c = accept(s->fd, NULL, NULL);
        if (c < 0) continue;
        serve_one(s, c);
        close(c);
    }
    return NULL;
}

static void server_start(server *s, const char *body, size_t len)
{
    memset(s, 0, sizeof *s);
    s->body = body;
    s->body_len = len;
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = 0};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 8), 0);
    socklen_t al = sizeof a;
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
    s->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(server *s)
{
    s->stop = 1;
    pthread_join(s->thread, NULL);
    close(s->fd);
}

static aia_status run_uri(const char *uri, int64_t cap, aia_train_result *r, aia_error *err)
{
    char scratch[512];
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", uri, "label");
    fix_spec_param(&f, "n_estimators", "20");
    aia_train_options o = {.scratch_dir = fix_tmp_path("http-scratch", scratch, sizeof scratch),
                           .threads = 1,
                           .http_timeout_ms = 20000,
                           .max_download_bytes = cap};
    aia_error_clear(err);
    return aia_train_run(&f.spec, "job-http", &o, NULL, r, err);
}

static void test_http(void **state)
{
    char path[512];
    fix_write_classification(fix_tmp_path("http.csv", path, sizeof path), 300, 17);
    size_t len = 0;
    char *body = fix_read_file(path, &len);
    assert_non_null(body);
    server s;
    server_start(&s, body, len);
    char uri[128];

    /* a download trains, and the lineage has the bytes' hash */
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/data.csv", s.port);
    aia_train_result r;
    aia_error err;
    aia_status st = run_uri(uri, 0, &r, &err);
    if (st != AIA_OK) fail_msg("%s: %s", aia_status_name(st), err.message);
    unsigned char md[32];
    SHA256((const unsigned char *)body, len, md);
    char hex[65];
    for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", md[i]);
    assert_string_equal(r.version.lineage->training_data_sha256, hex);
    assert_string_equal(r.version.lineage->training_data_uri, uri);
    assert_true(r.job.n_metrics > 0);
    aia_train_result_free(&r);

    /* a 404 names the URL and the status */
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/missing.csv", s.port);
    st = run_uri(uri, 0, &r, &err);
    assert_int_equal(st, AIA_NOT_FOUND);
    char want[256];
    snprintf(want, sizeof want, "training_data_uri: fetching %s: HTTP 404", uri);
    if (!strstr(err.message, want)) fail_msg("message: %s", err.message);

    /* the size cap */
    snprintf(uri, sizeof uri, "http://127.0.0.1:%d/data.csv", s.port);
    st = run_uri(uri, 1000, &r, &err);
    assert_int_equal(st, AIA_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(err.message, "limit"));
    server_stop(&s);

    /* nobody listens any more */
    st = run_uri(uri, 0, &r, &err);
    assert_int_equal(st, AIA_UNAVAILABLE);
    assert_non_null(strstr(err.message, uri));
    free(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
