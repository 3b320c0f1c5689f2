/* lib/serve/serve_metrics.c — the serving statistics as Prometheus text,
 * for SystemService.GetMetrics (and so the gateway's /metrics).
 *
 * Two families of series: per model version ("v:" cells: every Predict and
 * ModelInfer served by that version, direct or through an endpoint) and per
 * endpoint deployment ("d:" cells). Latency is a Prometheus histogram whose
 * fixed `le` bounds are fed from the cell's finer log-linear buckets: each
 * fine bucket counts under the first bound at or above its upper edge, so a
 * request is never counted under a bound below its latency (at worst one
 * fine bucket, about 19 %, too high). Model and endpoint ids are URL-safe
 * names (lib/store), so label values need no escaping. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "lib/serve/serve_internal.h"

static const double k_le_seconds[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                      0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5};
#define N_LE (sizeof k_le_seconds / sizeof k_le_seconds[0])

/* Upper edge of fine bucket b in seconds (serve_stats.c's layout: bucket 0
 * is under 1 µs, then four per power of two of quarter microseconds). */
static double bucket_upper_seconds(int b)
{
    if (b == 0) return 1e-6;
    int e = (b - 1) / 4 + 2, sub = (b - 1) % 4;
    return (double)(1ull << e) * (1.0 + (sub + 1) / 4.0) / 4.0 * 1e-6;
}

typedef struct family {
    char prefix;         /* 'v' or 'd' */
    const char *name;    /* metric name stem */
    const char *what;    /* HELP text subject */
} family;

static const family k_families[] = {
    {'v', "aia_model_predictions", "model version"},
    {'d', "aia_endpoint_predictions", "endpoint deployment"},
};

/* Labels of a cell key: "v:<model>@<version>" or "d:<endpoint>/<model>@<version>". */
static void labels_of(const char *key, char *out, size_t size)
{
    const char *ref = key + 2, *slash = key[0] == 'd' ? strchr(ref, '/') : NULL;
    const char *dep = slash ? slash + 1 : ref, *at = strrchr(dep, '@');
    int model_len = at ? (int)(at - dep) : (int)strlen(dep);
    if (key[0] == 'd')
        snprintf(out, size, "endpoint_id=\"%.*s\",model_id=\"%.*s\",version=\"%s\"", slash ? (int)(slash - ref) : 0, ref,
                 model_len, dep, at ? at + 1 : "");
    else
        snprintf(out, size, "model_id=\"%.*s\",version=\"%s\"", model_len, dep, at ? at + 1 : "");
}

static void render_cell(aia_strbuf *sb, const family *f, serve_stats_cell *c)
{
    char labels[3 * SERVE_REF_MAX];
    labels_of(c->key, labels, sizeof labels);
    aia_strbuf_printf(sb, "%s_requests_total{%s} %" PRId64 "\n", f->name, labels, atomic_load(&c->requests));
    aia_strbuf_printf(sb, "%s_rows_total{%s} %" PRId64 "\n", f->name, labels, atomic_load(&c->rows));
    aia_strbuf_printf(sb, "%s_errors_total{%s} %" PRId64 "\n", f->name, labels, atomic_load(&c->errors));
    int64_t cum[N_LE] = {0}, total = 0;
    for (int b = 0; b < SERVE_LAT_BUCKETS; b++) {
        int64_t n = atomic_load(&c->latency[b]);
        total += n;
        double up = bucket_upper_seconds(b);
        for (size_t i = 0; i < N_LE; i++)
            if (up <= k_le_seconds[i] * (1 + 1e-9)) cum[i] += n;
    }
    for (size_t i = 0; i < N_LE; i++)
        aia_strbuf_printf(sb, "%s_latency_seconds_bucket{%s,le=\"%g\"} %" PRId64 "\n", f->name, labels,
                          k_le_seconds[i], cum[i]);
    aia_strbuf_printf(sb, "%s_latency_seconds_bucket{%s,le=\"+Inf\"} %" PRId64 "\n", f->name, labels, total);
    aia_strbuf_printf(sb, "%s_latency_seconds_sum{%s} %.9f\n", f->name, labels,
                      (double)atomic_load(&c->latency_ns_sum) * 1e-9);
    aia_strbuf_printf(sb, "%s_latency_seconds_count{%s} %" PRId64 "\n", f->name, labels, total);
}

static void render_family(aia_serve *s, aia_strbuf *sb, const family *f)
{
    aia_strbuf_printf(sb,
                      "# HELP %s_requests_total Prediction requests served, per %s.\n"
                      "# TYPE %s_requests_total counter\n"
                      "# HELP %s_rows_total Rows predicted, per %s.\n"
                      "# TYPE %s_rows_total counter\n"
                      "# HELP %s_errors_total Prediction requests that failed, per %s.\n"
                      "# TYPE %s_errors_total counter\n"
                      "# HELP %s_latency_seconds Prediction request latency, per %s.\n"
                      "# TYPE %s_latency_seconds histogram\n",
                      f->name, f->what, f->name, f->name, f->what, f->name, f->name, f->what, f->name, f->name,
                      f->what, f->name);
    serve_stats_table *t = &s->stats;
    pthread_mutex_lock(&t->mu); /* cells are never freed before close; the lock keeps chains stable */
    for (size_t b = 0; b < SERVE_STATS_BUCKETS; b++)
        for (serve_stats_cell *c = t->buckets[b]; c; c = c->next)
            if (c->key[0] == f->prefix && c->key[1] == ':') render_cell(sb, f, c);
    pthread_mutex_unlock(&t->mu);
}

void aia_serve_metrics_render(aia_serve *s, aia_strbuf *out)
{
    for (size_t i = 0; i < sizeof k_families / sizeof k_families[0]; i++) render_family(s, out, &k_families[i]);
    int64_t written = 0, dropped = 0;
    aia_serve_log_counts(s, &written, &dropped);
    aia_strbuf_printf(out,
                      "# HELP aia_prediction_log_rows_total Rows written to the prediction log.\n"
                      "# TYPE aia_prediction_log_rows_total counter\n"
                      "aia_prediction_log_rows_total %" PRId64 "\n"
                      "# HELP aia_prediction_log_dropped_total Rows the prediction log dropped (writer behind).\n"
                      "# TYPE aia_prediction_log_dropped_total counter\n"
                      "aia_prediction_log_dropped_total %" PRId64 "\n",
                      written, dropped);
}
