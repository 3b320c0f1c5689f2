/* lib/serve/serve_stats.c — request statistics, cheap enough for the
 * request path.
 *
 * A cell per deployment ("d:<endpoint>/<model>@<version>"), per model
 * version ("v:<model>@<version>") and per model ("m:<model>"). Cells are
 * found under a short lock (the version and model cells once, when a
 * model is loaded; the handle keeps them) and live until the serve closes,
 * so recording is a handful of relaxed atomic adds.
 *
 * Latency goes into a log-linear histogram: four buckets per power of two
 * of microseconds, so a percentile is known to within one bucket (about
 * 19 %), whatever the scale. Rows of the last hour are counted in sixty
 * per-minute slots, each stamped with the minute it counts; a slot from
 * an older minute is reset by the first writer of the new one (a row
 * recorded by a racing thread at that instant may be lost: the figure is
 * a gauge, not an account). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/serve/serve_internal.h"

void serve_stats_init(serve_stats_table *t)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->mu, NULL);
}

void serve_stats_destroy(serve_stats_table *t)
{
    for (size_t b = 0; b < SERVE_STATS_BUCKETS; b++) {
        for (serve_stats_cell *c = t->buckets[b], *next; c; c = next) {
            next = c->next;
            free(c->key);
            free(c);
        }
        t->buckets[b] = NULL;
    }
    pthread_mutex_destroy(&t->mu);
}

serve_stats_cell *serve_stats_cell_get(serve_stats_table *t, const char *key, int create)
{
    size_t b = serve_hash(key) % SERVE_STATS_BUCKETS;
    pthread_mutex_lock(&t->mu);
    serve_stats_cell *c = t->buckets[b];
    while (c && strcmp(c->key, key) != 0) c = c->next;
    if (!c && create) {
        c = calloc(1, sizeof *c); /* zeroed atomics are valid zero values */
        if (c && !(c->key = serve_strdup(key))) {
            free(c);
            c = NULL;
        }
        if (c) {
            c->next = t->buckets[b];
            t->buckets[b] = c;
        }
    }
    pthread_mutex_unlock(&t->mu);
    return c;
}

static int latency_bucket(int64_t ns)
{
    if (ns < 1000) return 0;
    uint64_t us4 = (uint64_t)ns * 4 / 1000; /* quarter microseconds, >= 4 */
    int e = 63 - __builtin_clzll(us4);       /* >= 2 */
    int sub = (int)((us4 >> (e - 2)) & 3);   /* the two bits after the leading one */
    int b = 1 + (e - 2) * 4 + sub;
    return b < SERVE_LAT_BUCKETS ? b : SERVE_LAT_BUCKETS - 1;
}

/* A representative latency of bucket b (its middle), in ms. */
static double bucket_ms(int b)
{
    if (b == 0) return 0.0005;
    int e = (b - 1) / 4 + 2, sub = (b - 1) % 4;
    double lo = (double)(1ull << e) * (1.0 + sub / 4.0), hi = (double)(1ull << e) * (1.0 + (sub + 1) / 4.0);
    return (lo + hi) / 2 / 4 / 1000.0; /* quarter µs → ms */
}

void serve_stats_cell_add(serve_stats_cell *c, size_t rows, int64_t latency_ns, int ok, int64_t now_ns)
{
    if (!c) return;
    atomic_fetch_add_explicit(&c->requests, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->rows, (int64_t)rows, memory_order_relaxed);
    if (!ok) atomic_fetch_add_explicit(&c->errors, 1, memory_order_relaxed);
    atomic_store_explicit(&c->last_time_ns, now_ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->latency_ns_sum, latency_ns < 0 ? 0 : latency_ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->latency[latency_bucket(latency_ns < 0 ? 0 : latency_ns)], 1, memory_order_relaxed);
    int64_t minute = now_ns / 60000000000LL;
    size_t slot = (size_t)(minute % SERVE_MINUTES);
    int64_t seen = atomic_load_explicit(&c->minute_of[slot], memory_order_relaxed);
    if (seen != minute && atomic_compare_exchange_strong(&c->minute_of[slot], &seen, minute))
        atomic_store(&c->minute_rows[slot], 0);
    atomic_fetch_add_explicit(&c->minute_rows[slot], (int64_t)rows, memory_order_relaxed);
}

static double percentile(const int64_t *counts, int64_t total, double q)
{
    if (total <= 0) return 0;
    int64_t rank = (int64_t)(q * (double)total + 0.999999), seen = 0;
    if (rank < 1) rank = 1;
    for (int b = 0; b < SERVE_LAT_BUCKETS; b++) {
        seen += counts[b];
        if (seen >= rank) return bucket_ms(b);
    }
    return bucket_ms(SERVE_LAT_BUCKETS - 1);
}

static void cell_read(serve_stats_cell *c, aia_serve_stats *out)
{
    int64_t counts[SERVE_LAT_BUCKETS], total = 0;
    out->requests = atomic_load(&c->requests);
    out->rows = atomic_load(&c->rows);
    out->errors = atomic_load(&c->errors);
    out->last_time_ns = atomic_load(&c->last_time_ns);
    for (int b = 0; b < SERVE_LAT_BUCKETS; b++) total += counts[b] = atomic_load(&c->latency[b]);
    out->latency_p50_ms = percentile(counts, total, 0.50);
    out->latency_p99_ms = percentile(counts, total, 0.99);
    int64_t minute = aia_time_now_ns() / 60000000000LL;
    out->rows_last_hour = 0;
    for (size_t i = 0; i < SERVE_MINUTES; i++) {
        int64_t m = atomic_load(&c->minute_of[i]);
        if (m > minute - SERVE_MINUTES && m <= minute) out->rows_last_hour += atomic_load(&c->minute_rows[i]);
    }
}

void aia_serve_record_at(aia_serve *s, const aia_served *h, const char *endpoint_id, const char *deployment_id,
                         size_t rows, int64_t latency_ns, int ok)
{
    int64_t now = aia_time_now_ns();
    if (h) {
        serve_stats_cell_add(h->version_stats, rows, latency_ns, ok, now);
        serve_stats_cell_add(h->model_stats, rows, latency_ns, ok, now);
    }
    if (deployment_id) {
        char key[2 * SERVE_REF_MAX + 4];
        snprintf(key, sizeof key, "d:%s/%s", endpoint_id ? endpoint_id : "", deployment_id);
        serve_stats_cell_add(serve_stats_cell_get(&s->stats, key, 1), rows, latency_ns, ok, now);
    }
}

void aia_serve_record(aia_serve *s, const aia_served *h, const char *deployment_id, size_t rows,
                      int64_t latency_ns, int ok)
{
    aia_serve_record_at(s, h, NULL, deployment_id, rows, latency_ns, ok);
}

void aia_serve_stats_get(aia_serve *s, const char *endpoint_id, const char *deployment_id, aia_serve_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!deployment_id) return;
    char key[2 * SERVE_REF_MAX + 4];
    serve_stats_cell *c;
    if (endpoint_id) {
        snprintf(key, sizeof key, "d:%s/%s", endpoint_id, deployment_id);
        c = serve_stats_cell_get(&s->stats, key, 0);
        if (!c) { /* recorded without its endpoint */
            snprintf(key, sizeof key, "d:/%s", deployment_id);
            c = serve_stats_cell_get(&s->stats, key, 0);
        }
    } else {
        snprintf(key, sizeof key, "%c:%s", strchr(deployment_id, '@') ? 'v' : 'm', deployment_id);
        c = serve_stats_cell_get(&s->stats, key, 0);
    }
    if (c) cell_read(c, out);
}
