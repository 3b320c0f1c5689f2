/* server/metrics.h — per-method RPC metrics and process statistics.
 *
 * Counters and latency histograms per method of the method table (plus one
 * row for unknown methods), updated with relaxed atomics so recording costs
 * a few uncontended instructions on the hot path and never takes a lock.
 * Rendered as Prometheus text (exposition format 0.0.4) with the metric
 * names of go-grpc-prometheus, so existing dashboards work unchanged.
 * Thread-safe after creation.
 */
#ifndef AIA_SERVER_METRICS_H
#define AIA_SERVER_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/base/strbuf.h"
#include "server/method.h"

typedef struct aia_metrics aia_metrics;

/* `methods` must outlive the metrics. Row n_methods counts unknown methods. */
aia_metrics *aia_metrics_create(const aia_method *methods, size_t n_methods);
void aia_metrics_destroy(aia_metrics *m);

/* Row index for calls to methods that are not in the table. */
size_t aia_metrics_unknown_row(const aia_metrics *m);

void aia_metrics_started(aia_metrics *m, size_t row);
void aia_metrics_handled(aia_metrics *m, size_t row, aia_status code, int64_t duration_ns);

typedef struct aia_method_stats {
    uint64_t calls;  /* handled calls */
    uint64_t errors; /* handled with a code other than OK */
    double p50_ms, p99_ms; /* estimated from the histogram, as Prometheus does */
} aia_method_stats;

void aia_metrics_method_stats(const aia_metrics *m, size_t row, aia_method_stats *out);

typedef struct aia_process_stats {
    int64_t rss_bytes;
    double cpu_seconds; /* user + system */
    double start_time_seconds; /* Unix time */
    int threads;
    int open_fds;
    int64_t max_fds;
} aia_process_stats;

/* Reads /proc/self; fields it cannot read are left 0. */
void aia_process_stats_read(aia_process_stats *out);

/* Appends the Prometheus exposition of all metrics to `out`. */
void aia_metrics_render(const aia_metrics *m, aia_strbuf *out);

#endif
