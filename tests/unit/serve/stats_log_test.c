/* Unit tests for lib/serve statistics, prediction ids and the prediction
 * log: counts and percentiles (also from several threads), unique ids,
 * log lines that are strict JSON with the documented fields, the sampling
 * rate, size rotation keeping at most log_max_files, and drop
 * accounting. */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "tests/unit/serve/serve_fixture.h"

/* ---- a strict JSON checker (RFC 8259 grammar, no extensions) ----------------- */

static const char *ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

static const char *json_value(const char *p);

static const char *json_string(const char *p)
{
    if (*p++ != '"') return NULL;
    for (; *p != '"'; p++) {
        if ((unsigned char)*p < 0x20) return NULL;
        if (*p == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i]) return NULL;
                p += 4;
            } else if (!*p || !strchr("\"\\/bfnrt", *p)) {
                return NULL;
            }
        }
    }
    return p + 1;
}

static const char *json_number(const char *p)
{
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (*p >= '0' && *p <= '9') p++;
    else return NULL;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return NULL;
        while (*p >= '0' && *p <= '9') p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!(*p >= '0' && *p <= '9')) return NULL;
        while (*p >= '0' && *p <= '9') p++;
    }
    return p;
}

static const char *json_members(const char *p, char open, char close, int keyed)
{
    if (*p++ != open) return NULL;
    p = ws(p);
    if (*p == close) return p + 1;
    for (;;) {
        if (keyed) {
            if (!(p = json_string(ws(p)))) return NULL;
            p = ws(p);
            if (*p++ != ':') return NULL;
        }
        if (!(p = json_value(p))) return NULL;
        p = ws(p);
        if (*p == close) return p + 1;
        if (*p++ != ',') return NULL;
    }
}

static const char *json_value(const char *p)
{
    p = ws(p);
    if (*p == '{') return json_members(p, '{', '}', 1);
    if (*p == '[') return json_members(p, '[', ']', 0);
    if (*p == '"') return json_string(p);
    if (!strncmp(p, "true", 4)) return p + 4;
    if (!strncmp(p, "false", 5)) return p + 5;
    if (!strncmp(p, "null", 4)) return p + 4;
    return json_number(p);
}

static int json_ok(const char *line)
{
    const char *end = json_value(line);
    return end && *ws(end) == '\0';
}

/* ---- helpers -------------------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) fail_msg("cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
    buf[n] = '\0';
    fclose(fp);
    if (len) *len = (size_t)n;
    return buf;
}

/* Log files of model_id, sorted by name (malloc'd names). */
static size_t log_files(const fx *f, const char *model_id, char names[][1300], size_t max)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/predictions/%s", f->dir, model_id);
    DIR *d = opendir(dir);
    if (!d) return 0;
    size_t n = 0;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (de->d_name[0] == '.') continue;
        assert_true(n < max);
        snprintf(names[n++], 1300, "%s/%s", dir, de->d_name);
    }
    closedir(d);
    qsort(names, n, 1300, (int (*)(const void *, const void *))strcmp);
    return n;
}

/* ---- statistics ------------------------------------------------------------------------- */

static void stats_count_and_estimate_percentiles(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    fx_publish(&f, "churn", 1);
    fx_publish(&f, "churn", 2);
    aia_served *h1, *h2;
    FX_OK(aia_serve_acquire(f.serve, "churn@1", &h1, &err));
    FX_OK(aia_serve_acquire(f.serve, "churn@2", &h2, &err));
    aia_serve_stats st;
    aia_serve_stats_get(f.serve, NULL, "churn@1", &st);
    assert_int_equal(st.requests, 0);
    assert_int_equal(st.last_time_ns, 0);
    for (int i = 0; i < 100; i++)
        aia_serve_record_at(f.serve, h1, "web", "churn@1", 3, i < 98 ? 100000 : 10000000, i % 20 != 0);
    aia_serve_record(f.serve, h2, NULL, 7, 50000, 1);
    aia_serve_stats_get(f.serve, NULL, "churn@1", &st);
    assert_int_equal(st.requests, 100);
    assert_int_equal(st.rows, 300);
    assert_int_equal(st.errors, 5);
    assert_int_equal(st.rows_last_hour, 300);
    assert_true(st.last_time_ns > 0);
    print_message("p50 %.4f ms, p99 %.4f ms\n", st.latency_p50_ms, st.latency_p99_ms);
    assert_true(fabs(st.latency_p50_ms - 0.1) <= 0.02);
    assert_true(fabs(st.latency_p99_ms - 10.0) <= 2.0);
    aia_serve_stats_get(f.serve, "web", "churn@1", &st);
    assert_int_equal(st.requests, 100);
    aia_serve_stats_get(f.serve, "api", "churn@1", &st);
    assert_int_equal(st.requests, 0);
    aia_serve_stats_get(f.serve, NULL, "churn", &st); /* every version */
    assert_int_equal(st.requests, 101);
    assert_int_equal(st.rows, 307);
    aia_serve_stats_get(f.serve, NULL, "churn@2", &st);
    assert_int_equal(st.requests, 1);
    assert_true(fabs(st.latency_p50_ms - 0.05) <= 0.01);
    /* recorded without its endpoint: counts for the deployment on any endpoint */
    aia_serve_record(f.serve, h2, "churn@2", 1, 1000, 1);
    aia_serve_stats_get(f.serve, "api", "churn@2", &st);
    assert_int_equal(st.requests, 1);
    /* a failure before any model was chosen */
    aia_serve_record_at(f.serve, NULL, "web", "churn@1", 0, 1000, 0);
    aia_serve_stats_get(f.serve, "web", "churn@1", &st);
    assert_int_equal(st.errors, 6);
    aia_serve_stats_get(f.serve, NULL, "unknown", &st);
    assert_int_equal(st.requests, 0);
    aia_served_release(h1);
    aia_served_release(h2);
    fx_close(&f);
}

static void metrics_render_counters_and_cumulative_histogram(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    fx_publish(&f, "churn", 1);
    aia_served *h;
    FX_OK(aia_serve_acquire(f.serve, "churn@1", &h, &err));
    /* 3 requests at 80 µs (one failed), 1 at 3 ms, through endpoint web. */
    for (int i = 0; i < 3; i++) aia_serve_record_at(f.serve, h, "web", "churn@1", 2, 80000, i != 1);
    aia_serve_record_at(f.serve, h, "web", "churn@1", 1, 3000000, 1);
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_serve_metrics_render(f.serve, &sb);
    aia_strbuf_putc(&sb, '\0');
    const char *text = sb.data;
    assert_non_null(strstr(text, "# TYPE aia_model_predictions_latency_seconds histogram\n"));
    assert_non_null(strstr(text, "aia_model_predictions_requests_total{model_id=\"churn\",version=\"1\"} 4\n"));
    assert_non_null(strstr(text, "aia_model_predictions_rows_total{model_id=\"churn\",version=\"1\"} 7\n"));
    assert_non_null(strstr(text, "aia_model_predictions_errors_total{model_id=\"churn\",version=\"1\"} 1\n"));
    /* 80 µs is above the 50 µs bound and within 100 µs; 3 ms within 5 ms. */
    assert_non_null(strstr(text, "aia_model_predictions_latency_seconds_bucket{model_id=\"churn\",version=\"1\",le=\"5e-05\"} 0\n"));
    assert_non_null(strstr(text, "aia_model_predictions_latency_seconds_bucket{model_id=\"churn\",version=\"1\",le=\"0.0001\"} 3\n"));
    assert_non_null(strstr(text, "aia_model_predictions_latency_seconds_bucket{model_id=\"churn\",version=\"1\",le=\"0.0025\"} 3\n"));
    assert_non_null(strstr(text, "aia_model_predictions_latency_seconds_bucket{model_id=\"churn\",version=\"1\",le=\"0.005\"} 4\n"));
    assert_non_null(strstr(text, "aia_model_predictions_latency_seconds_bucket{model_id=\"churn\",version=\"1\",le=\"+Inf\"} 4\n"));
    assert_non_null(strstr(text, "aia_model_predictions_latency_seconds_sum{model_id=\"churn\",version=\"1\"} 0.003240000\n"));
    assert_non_null(strstr(text, "aia_endpoint_predictions_requests_total{endpoint_id=\"web\",model_id=\"churn\",version=\"1\"} 4\n"));
    assert_non_null(strstr(text, "aia_prediction_log_dropped_total 0\n"));
    aia_strbuf_free(&sb);
    aia_served_release(h);
    fx_close(&f);
}

typedef struct recorder {
    aia_serve *serve;
    aia_served *h;
} recorder;

static void *record_many(void *arg)
{
    recorder *r = arg;
    for (int i = 0; i < 20000; i++) aia_serve_record_at(r->serve, r->h, "web", "churn@1", 1, 1000 + i, 1);
    return NULL;
}

static void stats_are_exact_under_threads(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    fx_publish(&f, "churn", 1);
    recorder r = {f.serve, NULL};
    FX_OK(aia_serve_acquire(f.serve, "churn@1", &r.h, &err));
    pthread_t t[4];
    for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, record_many, &r), 0);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    aia_serve_stats st;
    aia_serve_stats_get(f.serve, "web", "churn@1", &st);
    assert_int_equal(st.requests, 80000);
    assert_int_equal(st.rows, 80000);
    aia_serve_stats_get(f.serve, NULL, "churn@1", &st);
    assert_int_equal(st.requests, 80000);
    aia_served_release(r.h);
    fx_close(&f);
}

/* ---- prediction ids ---------------------------------------------------------------------- */

static int cmp_id(const void *a, const void *b) { return memcmp(a, b, AIA_PREDICTION_ID_LEN); }

static void prediction_ids_are_unique(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    size_t n = 100000;
    char(*ids)[AIA_PREDICTION_ID_LEN + 1] = malloc(n * sizeof *ids);
    for (size_t done = 0, batch = 1; done < n; done += batch, batch = batch % 97 + 1) {
        if (batch > n - done) batch = n - done;
        aia_serve_prediction_ids(f.serve, batch, ids + done);
    }
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(strlen(ids[i]), AIA_PREDICTION_ID_LEN);
        assert_int_equal(strspn(ids[i], "0123456789abcdef"), AIA_PREDICTION_ID_LEN);
    }
    char first[AIA_PREDICTION_ID_LEN + 1];
    memcpy(first, ids[0], sizeof first);
    qsort(ids, n, sizeof *ids, cmp_id);
    for (size_t i = 1; i < n; i++) assert_true(memcmp(ids[i - 1], ids[i], AIA_PREDICTION_ID_LEN) != 0);
    /* another serve (another process's) draws another prefix */
    fx g;
    fx_open(&g, NULL);
    char other[1][AIA_PREDICTION_ID_LEN + 1];
    aia_serve_prediction_ids(g.serve, 1, other);
    assert_true(memcmp(first, other[0], 16) != 0);
    fx_close(&g);
    free(ids);
    fx_close(&f);
}

/* ---- the prediction log ------------------------------------------------------------------ */

static void log_rows(fx *f, aia_served *h, const char *deployment, size_t n, int x0)
{
    aia_error err;
    aia_served_row rows[100];
    aia_preprocess_cell cells[100][3];
    double out[100][2], scratch[64];
    char ids[100][AIA_PREDICTION_ID_LEN + 1];
    static const char *const colors[] = {"red", "gr\"een\n", NULL};
    for (size_t done = 0; done < n;) {
        size_t k = n - done < 100 ? n - done : 100;
        aia_serve_prediction_ids(f->serve, k, ids);
        for (size_t i = 0; i < k; i++) {
            int j = x0 + (int)(done + i);
            cells[i][0] = (aia_preprocess_cell){NULL, j % 7 == 3 ? NAN : (double)(j % 10)};
            cells[i][1] = (aia_preprocess_cell){colors[j % 3], 0};
            cells[i][2] = (aia_preprocess_cell){NULL, j % 5 == 4 ? NAN : (double)(j % 2)};
            FX_OK(aia_model_predict_row(aia_served_model(h), cells[i], scratch, out[i], &err));
            rows[i] = (aia_served_row){ids[i], cells[i], out[i]};
        }
        aia_serve_log(f->serve, h, deployment, rows, k);
        done += k;
    }
}

static void log_lines_are_json_with_every_field(void **state)
{
    (void)state;
    aia_serve_options o = {0};
    o.log_sample_rate = 1;
    fx f;
    fx_open(&f, &o);
    aia_error err;
    fx_publish(&f, "churn", 1);
    aia_served *h;
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err));
    log_rows(&f, h, "churn@1", 30, 0);
    log_rows(&f, h, NULL, 3, 0);
    aia_serve_log_flush(f.serve);
    int64_t written, dropped;
    aia_serve_log_counts(f.serve, &written, &dropped);
    assert_int_equal(written, 33);
    assert_int_equal(dropped, 0);
    char names[16][1300];
    assert_int_equal(log_files(&f, "churn", names, 16), 1);
    char *text = read_all(names[0], NULL);
    size_t lines = 0, with_null_input = 0, booleans = 0;
    for (char *line = text, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        if (!json_ok(line)) fail_msg("line %zu is not JSON: %s", lines, line);
        assert_non_null(strstr(line, "{\"prediction_id\":\""));
        assert_non_null(strstr(line, "\"model_id\":\"churn\",\"version\":1,"));
        assert_non_null(strstr(line, lines < 30 ? "\"deployment_id\":\"churn@1\"" : "\"deployment_id\":null"));
        assert_non_null(strstr(line, "\"time\":\"20"));
        assert_non_null(strstr(line, "\"inputs\":{\"x\":"));
        assert_non_null(strstr(line, "\"label\":\""));
        assert_non_null(strstr(line, "\"probabilities\":{\"hi\":"));
        if (lines % 3 == 1) assert_non_null(strstr(line, "\"color\":\"gr\\\"een\\n\""));
        if (lines % 3 == 2) assert_non_null(strstr(line, "\"color\":null"));
        with_null_input += strstr(line, "\"x\":null") != NULL;
        booleans += strstr(line, "\"flag\":true") != NULL || strstr(line, "\"flag\":false") != NULL;
        lines++;
    }
    assert_int_equal(lines, 33);
    assert_true(with_null_input >= 4);
    assert_true(booleans >= 20);
    free(text);
    aia_served_release(h);
    fx_close(&f);
}

static void log_samples_at_the_rate(void **state)
{
    (void)state;
    aia_serve_options o = {0};
    o.log_sample_rate = 0.1;
    fx f;
    fx_open(&f, &o);
    aia_error err;
    fx_publish(&f, "churn", 1);
    aia_served *h;
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err));
    log_rows(&f, h, NULL, 2000, 0);
    aia_serve_log_flush(f.serve);
    int64_t written, dropped;
    aia_serve_log_counts(f.serve, &written, &dropped);
    print_message("rate 0.1: %lld of 2000 written\n", (long long)written);
    assert_in_range(written, 180, 220);
    assert_int_equal(dropped, 0);
    aia_served_release(h);
    fx_close(&f);
    /* rate 0 logs nothing and creates nothing */
    fx_open(&f, NULL);
    fx_publish(&f, "churn", 1);
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err));
    log_rows(&f, h, NULL, 100, 0);
    aia_serve_log_flush(f.serve);
    aia_serve_log_counts(f.serve, &written, NULL);
    assert_int_equal(written, 0);
    char names[4][1300];
    assert_int_equal(log_files(&f, "churn", names, 4), 0);
    aia_served_release(h);
    fx_close(&f);
}

static void log_rotates_and_keeps_at_most_max_files(void **state)
{
    (void)state;
    aia_serve_options o = {0};
    o.log_sample_rate = 1;
    o.log_max_file_bytes = 4096;
    o.log_max_files = 3;
    fx f;
    fx_open(&f, &o);
    aia_error err;
    fx_publish(&f, "churn", 1);
    aia_served *h;
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err));
    log_rows(&f, h, "churn@1", 600, 0);
    aia_serve_log_flush(f.serve);
    int64_t written, dropped;
    aia_serve_log_counts(f.serve, &written, &dropped);
    assert_int_equal(written + dropped, 600);
    assert_int_equal(dropped, 0);
    char names[16][1300];
    size_t n = log_files(&f, "churn", names, 16);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *text = read_all(names[i], &len);
        assert_true(len > 0 && len <= 4096);
        assert_int_equal(text[len - 1], '\n'); /* whole lines only */
        free(text);
    }
    /* the newest rows are kept: the last file holds the last row's id */
    char *last = read_all(names[n - 1], NULL);
    assert_non_null(strstr(last, "\"x\":9,")); /* row 599: x = 599 % 10 */
    free(last);
    aia_served_release(h);
    fx_close(&f);
}

static void log_accounts_for_every_row(void **state)
{
    (void)state;
    aia_serve_options o = {0};
    o.log_sample_rate = 1;
    fx f;
    fx_open(&f, &o);
    aia_error err;
    fx_publish(&f, "churn", 1);
    aia_served *h;
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err));
    log_rows(&f, h, NULL, 20000, 0); /* may outrun the writer: drops are counted, never block */
    aia_serve_log_flush(f.serve);
    int64_t written, dropped;
    aia_serve_log_counts(f.serve, &written, &dropped);
    print_message("20000 rows: %lld written, %lld dropped\n", (long long)written, (long long)dropped);
    assert_int_equal(written + dropped, 20000);
    assert_true(written >= 8192);
    aia_served_release(h);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stats_count_and_estimate_percentiles),
        cmocka_unit_test(stats_are_exact_under_threads),
        cmocka_unit_test(metrics_render_counters_and_cumulative_histogram),
        cmocka_unit_test(prediction_ids_are_unique),
        cmocka_unit_test(log_lines_are_json_with_every_field),
        cmocka_unit_test(log_samples_at_the_rate),
        cmocka_unit_test(log_rotates_and_keeps_at_most_max_files),
        cmocka_unit_test(log_accounts_for_every_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
