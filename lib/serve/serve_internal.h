/* lib/serve/serve_internal.h — what the files of lib/serve share: the
 * serve object, loaded-model handles, the statistics cells, the endpoint
 * routing table and the prediction-log writer. Not a public header. */
#ifndef AIA_SERVE_INTERNAL_H
#define AIA_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/serve/serve.h"

/* Store record names we build ourselves (map entries, times). */
typedef AiaStore__V1__Endpoint__TrafficSplitEntry serve_split_entry;
typedef AiaStore__V1__Endpoint__LabelsEntry serve_label_entry;
typedef AiaStore__V1__Time serve_time;

/* "model_id@alias" or "model_id@2147483647" fits. */
#define SERVE_REF_MAX (AIA_STORE_ID_MAX + 80)

/* ---- statistics ------------------------------------------------------------ */

/* Latency buckets: four per power of two of microseconds (about 19 %
 * apart), bucket 0 below 1 µs, the last one open-ended. */
#define SERVE_LAT_BUCKETS 128
#define SERVE_MINUTES 60

/* One counter set. Cells are created under the stats lock and never freed
 * before aia_serve_close(), so recording is plain atomic adds. */
typedef struct serve_stats_cell {
    struct serve_stats_cell *next; /* hash chain */
    char *key;
    _Atomic int64_t requests, rows, errors, last_time_ns;
    _Atomic int64_t latency_ns_sum; /* for the Prometheus histogram's _sum */
    _Atomic int64_t minute_of[SERVE_MINUTES]; /* which minute a slot counts */
    _Atomic int64_t minute_rows[SERVE_MINUTES];
    _Atomic int64_t latency[SERVE_LAT_BUCKETS];
} serve_stats_cell;

#define SERVE_STATS_BUCKETS 256

typedef struct serve_stats_table {
    pthread_mutex_t mu;
    serve_stats_cell *buckets[SERVE_STATS_BUCKETS];
} serve_stats_table;

void serve_stats_init(serve_stats_table *t);
void serve_stats_destroy(serve_stats_table *t);
/* The cell of `key` (created when `create`), NULL when absent or out of
 * memory. */
serve_stats_cell *serve_stats_cell_get(serve_stats_table *t, const char *key, int create);
void serve_stats_cell_add(serve_stats_cell *c, size_t rows, int64_t latency_ns, int ok, int64_t now_ns);

/* ---- loaded models ------------------------------------------------------------ */

typedef struct serve_input_ref {
    const char *name;
    size_t index;
} serve_input_ref;

struct aia_served {
    struct aia_served *next;     /* hash chain of the model cache */
    _Atomic long refs;           /* the cache's reference + holders' */
    uint64_t last_use;           /* LRU tick, under the cache lock */
    int cached;                  /* still in the cache (under the lock) */
    char *key;                   /* "model_id@version": also the deployment id */
    char *model_id;
    int version;
    aia_model *model;
    aia_version_record *record;
    size_t n_inputs;
    const char **input_names;    /* model input order, borrowed from the model */
    struct serve_input_ref *by_name; /* inputs sorted by name */
    uint8_t *input_kind;         /* aia_preprocess_kind of each input */
    serve_stats_cell *version_stats, *model_stats;
};

/* Loads model_id@version from the store and the artifact store. */
aia_status serve_load(aia_serve *s, const char *model_id, int version, aia_served **out, aia_error *err);
void serve_served_free(aia_served *h);

/* ---- names and models cache --------------------------------------------------- */

#define SERVE_CACHE_BUCKETS 256
#define SERVE_NAMES_MAX 4096

typedef struct serve_name {
    struct serve_name *next;
    char *ref;    /* "id", "id@N" or "id@alias" */
    int version;  /* what it resolved to at `gen` */
} serve_name;

/* ---- endpoints routing --------------------------------------------------------- */

typedef struct serve_arm {
    char *model_id;
    int version;
    int percent;
    int64_t current; /* smooth weighted round-robin state */
} serve_arm;

typedef struct serve_route {
    struct serve_route *next;
    char *endpoint_id;
    int revision;
    uint64_t gen;     /* store generation the arms were read at */
    serve_arm *arms;
    size_t n_arms;
} serve_route;

/* ---- prediction log ------------------------------------------------------------- */

/* A sampled row waiting for the writer: the version that served it (a
 * reference, released once written) and a copy of the row (serve_log.c). */
typedef struct serve_log_entry {
    aia_served *h;
    struct serve_logged_row *row;
} serve_log_entry;

typedef struct serve_log_file {
    struct serve_log_file *next;
    char *model_id;
    int fd;
    int64_t size;
    uint64_t seq;
} serve_log_file;

#define SERVE_LOG_QUEUE 8192

typedef struct serve_log {
    pthread_mutex_t mu;
    pthread_cond_t wake, idle;
    serve_log_entry queue[SERVE_LOG_QUEUE];
    size_t head, count;
    int busy; /* the writer holds popped entries */
    int stop;
    pthread_t thread;
    int started;
    serve_log_file *files; /* writer thread only */
    _Atomic int64_t written, dropped;
    _Atomic uint64_t sampled; /* rows seen by the sampler */
} serve_log;

struct aia_serve {
    aia_store *store;
    char *data_dir;
    size_t max_cached;
    double sample_rate;
    int64_t max_file_bytes;
    int max_files;

    pthread_mutex_t cache_mu;
    aia_served *models[SERVE_CACHE_BUCKETS];
    size_t n_models;
    uint64_t tick;
    serve_name *names[SERVE_CACHE_BUCKETS];
    size_t n_names;
    uint64_t names_gen;

    pthread_mutex_t route_mu;
    serve_route *routes;

    serve_stats_table stats;

    uint64_t id_prefix;
    _Atomic uint64_t id_counter;

    serve_log log;
};

uint64_t serve_hash(const char *s);
char *serve_strdup(const char *s);

/* Model cache (serve_cache.c). */
aia_status serve_acquire_parsed(aia_serve *s, const char *model_id, const char *alias, int version,
                                aia_served **out, aia_error *err);
void serve_cache_destroy(aia_serve *s);

/* Endpoint routing table (serve_route.c). */
void serve_routes_destroy(aia_serve *s);

/* Prediction log (serve_log.c). */
int serve_log_start(aia_serve *s);
void serve_log_stop(aia_serve *s);

/* Random bytes from the kernel (ids). */
uint64_t serve_random64(void);

#endif
