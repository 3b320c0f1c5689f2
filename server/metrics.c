/* server/metrics.c — see metrics.h. */
#include "server/metrics.h"

#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* Upper bounds in seconds; a final implicit +Inf bucket follows. Chosen to
 * resolve the 100 µs–5 ms range where unary RPCs live. */
static const double k_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                  0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
#define N_BOUNDS (sizeof k_bounds / sizeof k_bounds[0])
#define N_BUCKETS (N_BOUNDS + 1)

typedef struct metric_row {
    _Atomic uint64_t started;
    _Atomic uint64_t handled[AIA_STATUS_COUNT];
    _Atomic uint64_t buckets[N_BUCKETS]; /* non-cumulative */
    _Atomic uint64_t sum_ns;
} metric_row;

struct aia_metrics {
    const aia_method *methods;
    size_t n_methods;
    metric_row *rows; /* n_methods + 1 */
};

aia_metrics *aia_metrics_create(const aia_method *methods, size_t n_methods)
{
    aia_metrics *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->rows = calloc(n_methods + 1, sizeof *m->rows);
    if (!m->rows) {
        free(m);
        return NULL;
    }
    m->methods = methods;
    m->n_methods = n_methods;
    return m;
}

void aia_metrics_destroy(aia_metrics *m)
{
    if (!m) return;
    free(m->rows);
    free(m);
}

size_t aia_metrics_unknown_row(const aia_metrics *m)
{
    return m->n_methods;
}

void aia_metrics_started(aia_metrics *m, size_t row)
{
    atomic_fetch_add_explicit(&m->rows[row].started, 1, memory_order_relaxed);
}

static size_t bucket_of(int64_t duration_ns)
{
    double s = (double)duration_ns / 1e9;
    size_t b = 0;
    while (b < N_BOUNDS && s > k_bounds[b]) b++;
    return b;
}

void aia_metrics_handled(aia_metrics *m, size_t row, aia_status code, int64_t duration_ns)
{
    metric_row *r = &m->rows[row];
    if ((int)code < 0 || (int)code >= AIA_STATUS_COUNT) code = AIA_UNKNOWN;
    if (duration_ns < 0) duration_ns = 0;
    atomic_fetch_add_explicit(&r->handled[code], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->buckets[bucket_of(duration_ns)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->sum_ns, (uint64_t)duration_ns, memory_order_relaxed);
}

static uint64_t load(const _Atomic uint64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

/* Linear interpolation inside the bucket holding quantile q, as
 * Prometheus' histogram_quantile() does; the +Inf bucket reports the last
 * finite bound. */
static double quantile_ms(const uint64_t *counts, uint64_t total, double q)
{
    if (total == 0) return 0;
    double rank = q * (double)total, seen = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        if (seen + (double)counts[b] >= rank && counts[b] > 0) {
            if (b == N_BOUNDS) return k_bounds[N_BOUNDS - 1] * 1e3;
            double lo = b == 0 ? 0 : k_bounds[b - 1], hi = k_bounds[b];
            return (lo + (hi - lo) * ((rank - seen) / (double)counts[b])) * 1e3;
        }
        seen += (double)counts[b];
    }
    return k_bounds[N_BOUNDS - 1] * 1e3;
}

void aia_metrics_method_stats(const aia_metrics *m, size_t row, aia_method_stats *out)
{
    const metric_row *r = &m->rows[row];
    uint64_t counts[N_BUCKETS], total = 0;
    for (size_t b = 0; b < N_BUCKETS; b++) total += counts[b] = load(&r->buckets[b]);
    memset(out, 0, sizeof *out);
    for (int c = 0; c < AIA_STATUS_COUNT; c++) {
        uint64_t n = load(&r->handled[c]);
        out->calls += n;
        if (c != AIA_OK) out->errors += n;
    }
    out->p50_ms = quantile_ms(counts, total, 0.5);
    out->p99_ms = quantile_ms(counts, total, 0.99);
}

static void row_labels(const aia_metrics *m, size_t row, char *buf, size_t size)
{
    if (row == m->n_methods) {
        snprintf(buf, size, "grpc_type=\"unknown\",grpc_service=\"unknown\",grpc_method=\"unknown\"");
        return;
    }
    const aia_method *md = &m->methods[row];
    snprintf(buf, size, "grpc_type=\"%s\",grpc_service=\"%s\",grpc_method=\"%s\"", aia_method_kind_name(md->kind),
             md->service, md->name);
}

static void render_started(const aia_metrics *m, aia_strbuf *out)
{
    aia_strbuf_puts(out, "# HELP grpc_server_started_total Total number of RPCs started on the server.\n"
                         "# TYPE grpc_server_started_total counter\n");
    char labels[384];
    for (size_t i = 0; i <= m->n_methods; i++) {
        row_labels(m, i, labels, sizeof labels);
        aia_strbuf_printf(out, "grpc_server_started_total{%s} %llu\n", labels,
                          (unsigned long long)load(&m->rows[i].started));
    }
}

static void render_handled(const aia_metrics *m, aia_strbuf *out)
{
    aia_strbuf_puts(out, "# HELP grpc_server_handled_total Total number of RPCs completed on the server, "
                         "regardless of success or failure.\n"
                         "# TYPE grpc_server_handled_total counter\n");
    char labels[384];
    for (size_t i = 0; i <= m->n_methods; i++) {
        row_labels(m, i, labels, sizeof labels);
        for (int c = 0; c < AIA_STATUS_COUNT; c++) {
            uint64_t n = load(&m->rows[i].handled[c]);
            if (n)
                aia_strbuf_printf(out, "grpc_server_handled_total{%s,grpc_code=\"%s\"} %llu\n", labels,
                                  aia_status_name((aia_status)c), (unsigned long long)n);
        }
    }
}

static void render_histograms(const aia_metrics *m, aia_strbuf *out)
{
    aia_strbuf_puts(out, "# HELP grpc_server_handling_seconds Histogram of response latency (seconds) of "
                         "gRPC that had been application-level handled by the server.\n"
                         "# TYPE grpc_server_handling_seconds histogram\n");
    char labels[384];
    for (size_t i = 0; i <= m->n_methods; i++) {
        const metric_row *r = &m->rows[i];
        uint64_t cumulative = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) cumulative += load(&r->buckets[b]);
        if (cumulative == 0) continue;
        row_labels(m, i, labels, sizeof labels);
        cumulative = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            cumulative += load(&r->buckets[b]);
            if (b < N_BOUNDS)
                aia_strbuf_printf(out, "grpc_server_handling_seconds_bucket{%s,le=\"%g\"} %llu\n", labels,
                                  k_bounds[b], (unsigned long long)cumulative);
            else
                aia_strbuf_printf(out, "grpc_server_handling_seconds_bucket{%s,le=\"+Inf\"} %llu\n", labels,
                                  (unsigned long long)cumulative);
        }
        aia_strbuf_printf(out, "grpc_server_handling_seconds_sum{%s} %.9f\n", labels,
                          (double)load(&r->sum_ns) / 1e9);
        aia_strbuf_printf(out, "grpc_server_handling_seconds_count{%s} %llu\n", labels,
                          (unsigned long long)cumulative);
    }
}

static void render_process(aia_strbuf *out)
{
    aia_process_stats ps;
    aia_process_stats_read(&ps);
    aia_strbuf_printf(out,
                      "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n"
                      "# TYPE process_cpu_seconds_total counter\n"
                      "process_cpu_seconds_total %.6f\n"
                      "# HELP process_resident_memory_bytes Resident memory size in bytes.\n"
                      "# TYPE process_resident_memory_bytes gauge\n"
                      "process_resident_memory_bytes %lld\n"
                      "# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.\n"
                      "# TYPE process_start_time_seconds gauge\n"
                      "process_start_time_seconds %.3f\n"
                      "# HELP process_open_fds Number of open file descriptors.\n"
                      "# TYPE process_open_fds gauge\n"
                      "process_open_fds %d\n"
                      "# HELP process_max_fds Maximum number of open file descriptors.\n"
                      "# TYPE process_max_fds gauge\n"
                      "process_max_fds %lld\n"
                      "# HELP process_threads Number of OS threads in the process.\n"
                      "# TYPE process_threads gauge\n"
                      "process_threads %d\n",
                      ps.cpu_seconds, (long long)ps.rss_bytes, ps.start_time_seconds, ps.open_fds,
                      (long long)ps.max_fds, ps.threads);
}

void aia_metrics_render(const aia_metrics *m, aia_strbuf *out)
{
    render_started(m, out);
    render_handled(m, out);
    render_histograms(m, out);
    render_process(out);
}

/* /proc/self/stat fields after the parenthesised command name: state is
 * field 3; utime 14, stime 15, num_threads 20, starttime 22 (1-based). */
static void read_proc_stat(aia_process_stats *out)
{
    FILE *f = fopen("/proc/self/stat", "r");
    if (!f) return;
    char buf[2048];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (!p) return;
    unsigned long long utime = 0, stime = 0, starttime = 0;
    long threads = 0;
    if (sscanf(p + 2,
               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld %*d %llu",
               &utime, &stime, &threads, &starttime) != 4)
        return;
    double tick = (double)sysconf(_SC_CLK_TCK);
    /* utime/stime count whole clock ticks (10 ms), so a young process reads
     * 0; the process CPU clock has nanosecond resolution. */
    struct timespec cpu;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu) == 0)
        out->cpu_seconds = (double)cpu.tv_sec + (double)cpu.tv_nsec * 1e-9;
    else
        out->cpu_seconds = (double)(utime + stime) / tick;
    out->threads = (int)threads;
    FILE *up = fopen("/proc/stat", "r");
    if (!up) return;
    char line[256];
    while (fgets(line, sizeof line, up)) {
        unsigned long long btime;
        if (sscanf(line, "btime %llu", &btime) == 1) {
            out->start_time_seconds = (double)btime + (double)starttime / tick;
            break;
        }
    }
    fclose(up);
}

static void read_rss(aia_process_stats *out)
{
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) return;
    long long size = 0, resident = 0;
    if (fscanf(f, "%lld %lld", &size, &resident) == 2) out->rss_bytes = resident * sysconf(_SC_PAGESIZE);
    fclose(f);
}

static void count_fds(aia_process_stats *out)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    closedir(d);
    out->open_fds = n - 1; /* the directory stream's own descriptor */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) out->max_fds = (int64_t)rl.rlim_cur;
}

void aia_process_stats_read(aia_process_stats *out)
{
    memset(out, 0, sizeof *out);
    read_proc_stat(out);
    read_rss(out);
    count_fds(out);
}
