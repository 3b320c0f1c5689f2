/* lib/serve/serve.c — the serve object's life cycle and prediction ids.
 *
 * Prediction ids are 32 hex digits: a random 64-bit prefix drawn once per
 * serve from the kernel, then a 64-bit counter. Unique within a process by
 * the counter, across processes and restarts by the prefix (a collision
 * needs two prefixes to meet, about 2^-32 after 2^16 restarts), and free:
 * one atomic add per batch. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "lib/base/timeutil.h"
#include "lib/serve/serve_internal.h"

uint64_t serve_random64(void)
{
    uint64_t v = 0;
    if (getrandom(&v, sizeof v, 0) == (ssize_t)sizeof v) return v;
    /* No entropy call (old kernel, seccomp): time and address bits still
     * make two processes' prefixes differ. */
    v = (uint64_t)aia_time_now_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&v;
    v ^= v >> 31;
    v *= 0x9e3779b97f4a7c15ull;
    return v ^ (v >> 29);
}

aia_status aia_serve_open(const aia_serve_options *opt, aia_serve **out, aia_error *err)
{
    *out = NULL;
    if (!opt || !opt->store) return aia_error_set(err, AIA_INVALID_ARGUMENT, "serve options: store is required");
    if (!opt->data_dir || !*opt->data_dir)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "serve options: data_dir is required");
    if (!(opt->log_sample_rate >= 0 && opt->log_sample_rate <= 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "serve options: log_sample_rate %g is outside 0..1",
                             opt->log_sample_rate);
    if (opt->log_max_file_bytes < 0 || opt->log_max_files < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "serve options: log_max_file_bytes and log_max_files must not be negative");
    aia_serve *s = calloc(1, sizeof *s);
    if (!s || !(s->data_dir = serve_strdup(opt->data_dir))) {
        free(s);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "serve: out of memory");
    }
    s->store = opt->store;
    s->max_cached = opt->max_cached_models ? opt->max_cached_models : 64;
    s->sample_rate = opt->log_sample_rate;
    s->max_file_bytes = opt->log_max_file_bytes ? opt->log_max_file_bytes : 64ll << 20;
    s->max_files = opt->log_max_files ? opt->log_max_files : 8;
    s->names_gen = aia_store_generation(s->store);
    pthread_mutex_init(&s->cache_mu, NULL);
    pthread_mutex_init(&s->route_mu, NULL);
    serve_stats_init(&s->stats);
    s->id_prefix = serve_random64();
    atomic_init(&s->id_counter, 0);
    if (serve_log_start(s) != 0) {
        aia_serve_close(s);
        return aia_error_set(err, AIA_INTERNAL, "serve: cannot start the prediction log writer thread");
    }
    *out = s;
    return AIA_OK;
}

void aia_serve_close(aia_serve *s)
{
    if (!s) return;
    serve_log_stop(s);
    serve_cache_destroy(s);
    serve_routes_destroy(s);
    serve_stats_destroy(&s->stats);
    pthread_mutex_destroy(&s->cache_mu);
    pthread_mutex_destroy(&s->route_mu);
    free(s->data_dir);
    free(s);
}

static void hex64(char *out, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4) out[i] = digits[v & 15];
}

void aia_serve_prediction_ids(aia_serve *s, size_t n, char (*ids)[AIA_PREDICTION_ID_LEN + 1])
{
    if (n == 0) return;
    uint64_t first = atomic_fetch_add_explicit(&s->id_counter, (uint64_t)n, memory_order_relaxed);
    char prefix[16];
    hex64(prefix, s->id_prefix);
    for (size_t i = 0; i < n; i++) {
        memcpy(ids[i], prefix, 16);
        hex64(ids[i] + 16, first + i);
        ids[i][AIA_PREDICTION_ID_LEN] = '\0';
    }
}
