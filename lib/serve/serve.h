/* lib/serve/serve.h — online serving: resolving model references to loaded
 * models, endpoints with traffic splits and rollback, per-deployment
 * statistics, prediction ids, and the sampled prediction log.
 *
 * Resolution. "churn@3" is version 3; "churn@production" the version the
 * alias points to; a bare "churn" the production alias if set, else the
 * latest READY version; "churn@latest" the latest READY version unless an
 * alias of that name is set. Loaded models are cached by (model_id, version)
 * and shared (refcounted aia_served handles); name → version answers are
 * cached too and dropped when aia_store_generation() moves, so the hot
 * path takes no SQLite lock. Artifacts are verified on load
 * (lib/store/artifacts.h); a corrupt one is DATA_LOSS naming the version.
 *
 * Endpoints. Changes validate, then write a new revision through
 * aia_store_endpoint_update(); rollback rewrites an earlier revision as a
 * new one. Routing: with a routing key, the arm is chosen by a hash of the
 * key into the cumulative split (sticky while the split is unchanged);
 * without one, by smooth weighted round-robin, so N requests follow the
 * split to within one request per arm.
 *
 * Statistics: per deployment (and per model version for direct calls)
 * request/row counts, errors and a latency histogram, lock-free to record.
 *
 * Prediction log: JSON lines under <data_dir>/predictions/<model_id>/,
 * sampled at `log_sample_rate`, rotated at `log_max_file_bytes`, the oldest
 * files removed beyond `log_max_files` per model (bounded disk). Each line:
 * {"prediction_id","time","model_id","version","deployment_id",
 *  "inputs":{feature: value|null},"label"|"value","probabilities":{...}}.
 * Writing happens off the request path (a bounded queue and a writer
 * thread); when the queue is full, entries are dropped and counted.
 *
 * Thread-safety: every function is thread-safe. Handles are immutable.
 *
 * Model input order is the preprocessing's input order, which is the
 * recorded lineage.features order (checked at load: a model whose inputs
 * differ from its record is DATA_LOSS rather than served wrongly).
 * Booleans are logged as true/false, missing and non-finite values as
 * null. Endpoints hold at most 64 deployments.
 */
#ifndef AIA_SERVE_SERVE_H
#define AIA_SERVE_SERVE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/base/strbuf.h"
#include "lib/ml/model.h"
#include "lib/store/store.h"

typedef struct aia_serve aia_serve;
typedef struct aia_served aia_served;

typedef struct aia_serve_options {
    aia_store *store;            /* borrowed; outlives the serve */
    const char *data_dir;
    size_t max_cached_models;    /* 0 = 64; least recently used unloaded */
    double log_sample_rate;      /* 0..1; share of rows logged */
    int64_t log_max_file_bytes;  /* 0 = 64 MiB */
    int log_max_files;           /* per model; 0 = 8 */
} aia_serve_options;

aia_status aia_serve_open(const aia_serve_options *opt, aia_serve **out, aia_error *err);
/* Flushes the prediction log and frees everything; no handle may be held. */
void aia_serve_close(aia_serve *s);

/* ---- resolution ---------------------------------------------------------- */

/* "id", "id@N" or "id@alias" → a loaded model, which the caller releases
 * with aia_served_release(). NOT_FOUND names the model, version or alias;
 * FAILED_PRECONDITION when the version is deleted; INVALID_ARGUMENT for a
 * malformed reference (id per aia_store_check_id; N in 1..2^31-1; an
 * alias per aia_store_alias_set's rule, at most 64 characters);
 * DATA_LOSS when the artifact fails its SHA-256 or the model file its
 * checks, or the file's inputs differ from the recorded features. A cache
 * hit is two hash lookups and a reference count under one short lock; no
 * SQLite, no allocation. */
aia_status aia_serve_acquire(aia_serve *s, const char *model_ref, aia_served **out, aia_error *err);

/* The same with the version apart: version 0 = the default (production
 * alias, else latest). For the Open Inference Protocol. */
aia_status aia_serve_acquire_version(aia_serve *s, const char *model_id, int version, aia_served **out,
                                     aia_error *err);

/* Chooses an arm of an endpoint's split (see above) and acquires its
 * model (release it). *deployment_id ("model@version") points into the
 * handle and lives as long as it. Arms at 0 % are never chosen. The split
 * is re-read from the store only after aia_store_generation() moved.
 * NOT_FOUND names the endpoint; FAILED_PRECONDITION when nothing is
 * deployed (or nothing receives traffic). */
aia_status aia_serve_route(aia_serve *s, const char *endpoint_id, const char *routing_key, aia_served **out,
                           const char **deployment_id, aia_error *err);

void aia_served_release(aia_served *h);

const aia_model *aia_served_model(const aia_served *h);
const char *aia_served_model_id(const aia_served *h);
int aia_served_version(const aia_served *h);
/* "model_id@version": the deployment id this version has on any endpoint. */
const char *aia_served_deployment_id(const aia_served *h);
/* The version record: features (name, type, categories) and class_labels. */
const aia_version_record *aia_served_record(const aia_served *h);
/* Index of a feature in model input order, -1 when unknown. O(log n). */
long aia_served_feature_index(const aia_served *h, const char *name);

/* ---- endpoints ----------------------------------------------------------- */

/* endpoint_id "" or NULL = generated ("ep-" + 12 random hex). Same id
 * rules as model_id (aia_store_check_id). display_name and description may
 * be NULL; label keys must be non-empty. *out (may be NULL) receives the
 * stored endpoint (revision 1). Every change below also returns the
 * stored record through *out (may be NULL), caller frees with
 * aia_store_record_free(). */
aia_status aia_serve_endpoint_create(aia_serve *s, const char *endpoint_id, const char *display_name,
                                     const char *description, const char *const *label_keys,
                                     const char *const *label_values, size_t n_labels, aia_endpoint_record **out,
                                     aia_error *err);

/* Deploys the version model_ref resolves to with traffic_percent (0..100;
 * the others shrink proportionally, largest remainder; alone it gets 100).
 * ALREADY_EXISTS when that version is deployed there already. */
aia_status aia_serve_deploy(aia_serve *s, const char *endpoint_id, const char *model_ref, int traffic_percent,
                            aia_endpoint_record **out, aia_error *err);

/* Replaces the split: every deployment named, each 0..100, summing to 100;
 * INVALID_ARGUMENT names the offending entry or the sum. expected_revision
 * 0 = any; otherwise ABORTED when it moved. */
aia_status aia_serve_split(aia_serve *s, const char *endpoint_id, const char *const *deployment_ids,
                           const int *percents, size_t n, int expected_revision, aia_endpoint_record **out,
                           aia_error *err);

/* Removes a deployment; n = 0 lets the rest grow proportionally, otherwise
 * the given split must cover the rest and sum to 100. */
aia_status aia_serve_undeploy(aia_serve *s, const char *endpoint_id, const char *deployment_id,
                              const char *const *deployment_ids, const int *percents, size_t n,
                              aia_endpoint_record **out, aia_error *err);

/* Restores revision (0 = the one before the current) as a new revision:
 * its deployments and split; display name, description and labels stay
 * as they are now. FAILED_PRECONDITION when there is no earlier revision
 * or a version it deploys was deleted since (naming the deployment);
 * INVALID_ARGUMENT for a revision not before the current one. */
aia_status aia_serve_rollback(aia_serve *s, const char *endpoint_id, int revision, aia_endpoint_record **out,
                              aia_error *err);

/* ---- statistics ---------------------------------------------------------- */

typedef struct aia_serve_stats {
    int64_t requests, rows, errors;
    int64_t rows_last_hour;
    double latency_p50_ms, latency_p99_ms;
    int64_t last_time_ns; /* 0 = never */
} aia_serve_stats;

/* Records one request: into h's version and model totals (h may be NULL
 * for a request that failed before a model was chosen), and into the
 * deployment's when deployment_id is given (NULL for direct calls).
 * rows_last_hour counts per minute; latency percentiles are exact to one
 * histogram bucket (about 19 %). Lock-free but for finding the deployment's
 * counters (a short lock, no allocation after the first request).
 *
 * A deployment id ("model@version") names a deployment on every endpoint
 * that deploys that version, so aia_serve_record() cannot tell endpoints
 * apart: its deployment figures are that version's endpoint traffic on any
 * endpoint. aia_serve_record_at() (added) keeps endpoints apart; the
 * service layer should call it with the endpoint it routed through. */
void aia_serve_record(aia_serve *s, const aia_served *h, const char *deployment_id, size_t rows,
                      int64_t latency_ns, int ok);
void aia_serve_record_at(aia_serve *s, const aia_served *h, const char *endpoint_id, const char *deployment_id,
                         size_t rows, int64_t latency_ns, int ok);

/* Totals of a deployment ("model@version" on endpoint_id: what
 * aia_serve_record_at() recorded there, else what aia_serve_record()
 * recorded for that deployment id on any endpoint); with
 * endpoint_id NULL, of one version (deployment_id "model@version", direct
 * calls and endpoints together) or of a model's every version
 * (deployment_id = model_id). All zero when nothing was recorded. */
void aia_serve_stats_get(aia_serve *s, const char *endpoint_id, const char *deployment_id, aia_serve_stats *out);

/* Appends the statistics as Prometheus text: per model version and per
 * endpoint deployment, request/row/error counters and a latency histogram
 * (aia_model_predictions_*, aia_endpoint_predictions_*), and the prediction
 * log's written/dropped counters. */
void aia_serve_metrics_render(aia_serve *s, aia_strbuf *out);

/* ---- prediction ids and log ---------------------------------------------- */

#define AIA_PREDICTION_ID_LEN 32 /* hex characters */

/* Fresh, unique prediction ids: n ids of AIA_PREDICTION_ID_LEN + 1 bytes. */
void aia_serve_prediction_ids(aia_serve *s, size_t n, char (*ids)[AIA_PREDICTION_ID_LEN + 1]);

/* One served row, for the log. */
typedef struct aia_served_row {
    const char *prediction_id;
    const aia_preprocess_cell *cells; /* model input order */
    const double *outputs;            /* n_outputs values */
} aia_served_row;

/* Samples and queues rows for the prediction log; never blocks. */
void aia_serve_log(aia_serve *s, const aia_served *h, const char *deployment_id, const aia_served_row *rows,
                   size_t n);

/* Rows written; rows dropped because the writer fell behind (queue of
 * 8,192 lines full) or the write failed (disk full: that file ends and the
 * next line starts a new one). Either pointer may be NULL. */
void aia_serve_log_counts(aia_serve *s, int64_t *written, int64_t *dropped);

/* Waits until every row queued so far is written (or dropped). For tests
 * and orderly shutdown; aia_serve_close() does it too. */
void aia_serve_log_flush(aia_serve *s);

#endif
