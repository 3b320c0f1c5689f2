/* lib/store/store.h — the platform's persistent state: registered models,
 * their versions and aliases, training jobs and their HPO trials, endpoints
 * with the history of their revisions.
 *
 * Design. Records are the protobuf-c messages of records.proto (each
 * wire-compatible with its aia.v1 namesake). A table row holds the record
 * as a blob plus the columns queries need (ids, state, times, foreign
 * keys), so the schema stays small and portable: plain CREATE TABLE /
 * INDEX, INTEGER/TEXT/BLOB, no SQLite-only syntax beyond what migrations
 * need, so a PostgreSQL backend (libpq) can implement this header later.
 * The embedded backend is SQLite in `<data_dir>/aia.db`, WAL mode,
 * synchronous=NORMAL... FULL for commits that publish, schema in numbered
 * migrations (schema_migrations table) applied in one transaction each at
 * open. Multi-row changes (publishing a version with its job, moving an
 * alias, writing an endpoint revision) are single transactions: a crash
 * leaves either the old or the new state, never half.
 *
 * Ownership. Records returned through `**out` are unpacked messages owned
 * by the caller and freed with aia_store_record_free(); arrays of them with
 * aia_store_records_free(). Records passed in are only read.
 *
 * Thread-safety: every function is thread-safe (one connection behind a
 * mutex; SQLite work is short). aia_store_generation() is lock-free.
 *
 * Errors: AIA_NOT_FOUND names the missing id; AIA_ALREADY_EXISTS,
 * AIA_FAILED_PRECONDITION (which state blocks it) and AIA_ABORTED (a
 * concurrent change: expected revision differs) as documented per call;
 * AIA_DATA_LOSS for a corrupt record or database; AIA_UNAVAILABLE when the
 * database stayed locked by another process past the busy timeout (5 s);
 * AIA_INTERNAL for other SQLite failures, with SQLite's message.
 *
 * Implementation map: store_db.c (open, migrations, helpers),
 * store_models.c, store_versions.c (versions, aliases), store_jobs.c
 * (submit, reads), store_jobs_state.c (update, publish, cancel),
 * store_jobs_lease.c (claim, renew, recover), store_trials.c,
 * store_endpoints.c, store_drift.c (drift monitors, reports, alerts,
 * ground truth), store_ids.c (naming rules), artifacts.c.
 */
#ifndef AIA_STORE_STORE_H
#define AIA_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/store/records.pb-c.h"

typedef struct aia_store aia_store;

typedef AiaStore__V1__Model aia_model_record;
typedef AiaStore__V1__Version aia_version_record;
typedef AiaStore__V1__Job aia_job_record;
typedef AiaStore__V1__JobSpec aia_job_spec;
typedef AiaStore__V1__Trial aia_trial_record;
typedef AiaStore__V1__Endpoint aia_endpoint_record;
typedef AiaStore__V1__Deployment aia_deployment_record;

/* Opens (creating when missing) the database in data_dir, which must exist,
 * and applies pending migrations. A database written by a newer schema is
 * AIA_FAILED_PRECONDITION naming both versions. */
aia_status aia_store_open(const char *data_dir, aia_store **out, aia_error *err);
void aia_store_close(aia_store *s);

/* Highest migration applied. */
int aia_store_schema_version(aia_store *s);

/* Increases on every committed change to models, versions, aliases or
 * endpoints (not jobs): caches of resolved names compare it to know they
 * are stale. */
uint64_t aia_store_generation(const aia_store *s);

/* Model and endpoint ids are URL-safe names: letters, digits, '.', '_' and
 * '-', starting with a letter or digit, 1..128 characters. `what` names the
 * argument in the message ("model_id", "endpoint_id"). INVALID_ARGUMENT
 * otherwise. Shared with the service layer and lib/serve so every entry
 * point applies the same rule. */
aia_status aia_store_check_id(const char *what, const char *id, aia_error *err);

#define AIA_STORE_ID_MAX 128

void aia_store_record_free(void *record);
void aia_store_records_free(void **records, size_t n);

/* Pagination: page_token is opaque text returned as *next_page_token
 * (caller frees with free(); NULL when no more). page_size 0 = 50, capped
 * at 1000; negative is AIA_INVALID_ARGUMENT. A token that does not parse is
 * AIA_INVALID_ARGUMENT. Tokens hold an offset: a row inserted or deleted
 * between two page calls may shift one row across the page boundary. */
typedef struct aia_store_page {
    int page_size;
    const char *page_token;
} aia_store_page;

/* ---- models and versions ------------------------------------------------ */

/* The model with aliases, latest_version, version_count and its versions
 * newest first (each with aliases and endpoint_ids filled; deleted ones
 * only when include_deleted). NOT_FOUND when no such model. */
aia_status aia_store_model_get(aia_store *s, const char *model_id, int include_deleted, aia_model_record **out,
                               aia_error *err);

/* Models ordered by model_id, filtered by task (0 = any) and id prefix
 * (NULL/"" = any), without their `versions` filled (aliases, latest and
 * count are). *total counts all matches. */
aia_status aia_store_model_list(aia_store *s, int task, const char *prefix, const aia_store_page *page,
                                aia_model_record ***out, size_t *n, char **next_page_token, int *total,
                                aia_error *err);

/* One version (aliases and endpoint_ids filled); deleted versions are
 * returned too, with state VERSION_DELETED. NOT_FOUND names model@version. */
aia_status aia_store_version_get(aia_store *s, const char *model_id, int version, aia_version_record **out,
                                 aia_error *err);

/* Publishes a version that no training job produced (a drift monitor's
 * preprocessing refit of an existing version): in one transaction takes
 * the model's next version number (*version), inserts `v` READY under it
 * (v->version ignored; aliases, endpoint_ids, delete_time dropped;
 * create_time defaults to now). The artifact must already be stored.
 * NOT_FOUND when the model does not exist. Synchronous=FULL commit. */
aia_status aia_store_version_derive(aia_store *s, const aia_version_record *v, int *version, aia_error *err);

/* Resolves "latest": the highest READY version, or NOT_FOUND. */
aia_status aia_store_version_latest(aia_store *s, const char *model_id, int *version, aia_error *err);

/* Points `alias` at `version` (moving it atomically if it pointed
 * elsewhere); version 0 removes it (a no-op when it does not exist).
 * NOT_FOUND: model, or version not READY. Alias names: letters, digits,
 * '_', '-', starting with a letter (so never all digits), at most
 * AIA_STORE_ID_MAX characters, not "latest" (INVALID_ARGUMENT otherwise). */
aia_status aia_store_alias_set(aia_store *s, const char *model_id, const char *alias, int version, aia_error *err);

/* Version an alias points to; NOT_FOUND names model@alias. */
aia_status aia_store_alias_get(aia_store *s, const char *model_id, const char *alias, int *version,
                               aia_error *err);

/* Marks a version DELETED (the artifact stays until garbage collection).
 * FAILED_PRECONDITION while an alias points to it (named) or an endpoint
 * deploys it (named); NOT_FOUND when absent or already deleted. *out (may be
 * NULL) receives the deleted version. */
aia_status aia_store_version_delete(aia_store *s, const char *model_id, int version, aia_version_record **out,
                                    aia_error *err);

/* ---- jobs ----------------------------------------------------------------- */

/* Submits a job for spec->model_id: creates the model when missing (task,
 * description and labels as tags from the spec), refuses a task that
 * differs from the model's (FAILED_PRECONDITION naming both), reserves the
 * next version number (never reused, even after failures or deletes), and
 * inserts the job QUEUED with job_id, create/update times, attempt 0. With
 * a non-empty idempotency_key already used for that model, returns the
 * existing job instead (and sets *created = 0). `created_by` may be "". */
aia_status aia_store_job_submit(aia_store *s, const aia_job_spec *spec, const char *created_by,
                                aia_job_record **out, int *created, aia_error *err);

aia_status aia_store_job_get(aia_store *s, const char *job_id, aia_job_record **out, aia_error *err);

/* Jobs newest first, filtered by model (NULL/"" = any) and a state mask
 * (bit 1 << JOB_xxx; 0 = any). */
aia_status aia_store_job_list(aia_store *s, const char *model_id, unsigned state_mask, const aia_store_page *page,
                              aia_job_record ***out, size_t *n, char **next_page_token, int *total,
                              aia_error *err);

/* Takes the oldest QUEUED job: RUNNING, attempt + 1, start_time now, error
 * cleared, lease owned by `worker` until now + lease_ms. *out is NULL when
 * none waits. */
aia_status aia_store_job_claim(aia_store *s, const char *worker, int64_t lease_ms, aia_job_record **out,
                               aia_error *err);

/* Extends the lease of a RUNNING job held by `worker`; FAILED_PRECONDITION
 * when the job is no longer this worker's. */
aia_status aia_store_job_renew(aia_store *s, const char *job_id, const char *worker, int64_t lease_ms,
                               aia_error *err);

/* Replaces the stored job (progress, metrics, HPO progress, state) with
 * `job`; update_time is set to now, and end_time too when a terminal state
 * arrives without one. model_id, model_version and create_time stay as
 * stored. A terminal state drops the lease. A job already in a terminal
 * state is never changed again: FAILED_PRECONDITION naming its state.
 * SUCCEEDED is INVALID_ARGUMENT here (only publish sets it, with the
 * version, so a succeeded job always has one). The
 * lease owner is not checked here: workers learn that they lost a job from
 * aia_store_job_renew(). */
aia_status aia_store_job_update(aia_store *s, const aia_job_record *job, aia_error *err);

/* In one transaction: inserts `version` (READY) and stores `job` as
 * SUCCEEDED. FAILED_PRECONDITION when the job is not RUNNING any more
 * (e.g. cancelled meanwhile): nothing is published. The version must be
 * the job's model_id@model_version (INVALID_ARGUMENT otherwise); its
 * aliases, endpoint_ids and delete_time are ignored (derived on read), its
 * create_time defaults to now. The commit is synchronous=FULL. */
aia_status aia_store_job_publish(aia_store *s, const aia_job_record *job, const aia_version_record *version,
                                 aia_error *err);

/* Sets a QUEUED or RUNNING job CANCELLED with `reason`; returns the job
 * as stored. FAILED_PRECONDITION naming the state when already terminal. */
aia_status aia_store_job_cancel(aia_store *s, const char *job_id, const char *reason, aia_job_record **out,
                                aia_error *err);

/* Crash recovery, run at start-up and periodically: a RUNNING job whose
 * lease expired (or every RUNNING job when `all_running`, for a single
 * process restarting) goes back to QUEUED when attempt < max_attempts,
 * else FAILED with error "interrupted: ...". Counts go to *requeued and
 * *failed (either may be NULL). */
aia_status aia_store_jobs_recover(aia_store *s, int all_running, int max_attempts, size_t *requeued, size_t *failed,
                                  aia_error *err);

/* Inserts or replaces trial `trial->number` of a job. */
aia_status aia_store_trial_put(aia_store *s, const char *job_id, const aia_trial_record *trial, aia_error *err);

/* A job's trials by number. */
aia_status aia_store_trial_list(aia_store *s, const char *job_id, aia_trial_record ***out, size_t *n, aia_error *err);

/* ---- endpoints ------------------------------------------------------------ */

/* Inserts a new endpoint at revision 1 (endpoint_id set by the caller,
 * checked by aia_store_check_id; create_time defaults to now).
 * ALREADY_EXISTS names it; NOT_FOUND when a deployed version is not READY. */
aia_status aia_store_endpoint_create(aia_store *s, const aia_endpoint_record *e, aia_error *err);

aia_status aia_store_endpoint_get(aia_store *s, const char *endpoint_id, aia_endpoint_record **out,
                                  aia_error *err);

/* Endpoints by id, optionally only those deploying a version of model_id. */
aia_status aia_store_endpoint_list(aia_store *s, const char *model_id, const aia_store_page *page,
                                   aia_endpoint_record ***out, size_t *n, char **next_page_token, aia_error *err);

/* Writes `e` as revision expected_revision + 1 (e->revision is ignored and
 * set), keeping the old revision in the history. ABORTED when the stored
 * revision is not expected_revision. NOT_FOUND when a deployed version is
 * not READY (deploying a deleted version). */
aia_status aia_store_endpoint_update(aia_store *s, const aia_endpoint_record *e, int expected_revision,
                                     aia_endpoint_record **out, aia_error *err);

/* An earlier revision as it was stored; NOT_FOUND names it. */
aia_status aia_store_endpoint_revision(aia_store *s, const char *endpoint_id, int revision,
                                       aia_endpoint_record **out, aia_error *err);

/* ---- drift monitors, reports, alerts, ground truth ----------------------- */

/* Records of issue 6 (records.proto's drift section). The store checks ids
 * only (an empty id is INVALID_ARGUMENT naming the field); the service
 * layer validates content. Times: a record's create_time is its sort key
 * (a NULL create_time is stored as now); Time values beyond the int64
 * nanosecond range clamp. None of these change aia_store_generation(). */
typedef AiaStore__V1__DriftMonitor aia_drift_monitor_record;
typedef AiaStore__V1__DriftReport aia_drift_report_record;
typedef AiaStore__V1__DriftAlert aia_drift_alert_record;
typedef AiaStore__V1__GroundTruth aia_ground_truth_record;

/* Inserts a monitor (monitor_id set by the caller, unique: ALREADY_EXISTS
 * names it otherwise). */
aia_status aia_store_drift_monitor_create(aia_store *s, const aia_drift_monitor_record *m, aia_error *err);
/* Replaces a stored monitor's record (NOT_FOUND names the id). Its place in
 * the oldest-first order stays that of its creation. */
aia_status aia_store_drift_monitor_update(aia_store *s, const aia_drift_monitor_record *m, aia_error *err);
aia_status aia_store_drift_monitor_get(aia_store *s, const char *monitor_id, aia_drift_monitor_record **out,
                                       aia_error *err);
/* Monitors of model_id (NULL or "" = all), oldest first (create_time, then
 * monitor_id); *out is a malloc'd array (free with aia_store_records_free),
 * NULL when none. */
aia_status aia_store_drift_monitor_list(aia_store *s, const char *model_id, aia_drift_monitor_record ***out,
                                        size_t *n, aia_error *err);
/* Deletes a monitor with its reports, in one transaction (NOT_FOUND names
 * it). Its alerts stay: they are the history streams replay. */
aia_status aia_store_drift_monitor_delete(aia_store *s, const char *monitor_id, aia_error *err);

/* Stores a report (report_id unique: ALREADY_EXISTS) and, in the same
 * transaction, sets its monitor's latest_report_id and last_check_time
 * (= the report's create_time). NOT_FOUND when the monitor is unknown.
 * INVALID_ARGUMENT for an empty report_id or monitor_id. The report counts
 * as drifted (for list filters) when drift_kinds is not empty. */
aia_status aia_store_drift_report_put(aia_store *s, const aia_drift_report_record *r, aia_error *err);
/* Replaces a stored report (e.g. to add the retraining_job_id after actions
 * ran); NOT_FOUND names it. The report stays its monitor's (the stored
 * monitor_id column is kept); a NULL create_time keeps the stored one. */
aia_status aia_store_drift_report_update(aia_store *s, const aia_drift_report_record *r, aia_error *err);
aia_status aia_store_drift_report_get(aia_store *s, const char *report_id, aia_drift_report_record **out,
                                      aia_error *err);

typedef struct aia_drift_report_filter {
    const char *monitor_id;   /* NULL/"" = any */
    const char *model_id;     /* NULL/"" = any */
    int drifted_only;         /* reports with at least one drift kind */
    int64_t start_ns, end_ns; /* create_time in [start, end); 0 = unbounded */
} aia_drift_report_filter;
/* Newest first (create_time desc, then report_id desc), paged as
 * aia_store_page says. f NULL = no filter. */
aia_status aia_store_drift_report_list(aia_store *s, const aia_drift_report_filter *f, const aia_store_page *page,
                                       aia_drift_report_record ***out, size_t *n, char **next_page_token,
                                       aia_error *err);

/* Inserts an alert (alert_id unique: ALREADY_EXISTS; empty:
 * INVALID_ARGUMENT). */
aia_status aia_store_drift_alert_put(aia_store *s, const aia_drift_alert_record *a, aia_error *err);
/* Alerts created strictly after since_ns (model_id / monitor_id NULL or ""
 * = any), oldest first (create_time, then alert_id), at most `limit`
 * (0 = 1000). *out is malloc'd (aia_store_records_free), NULL when none. */
aia_status aia_store_drift_alert_list(aia_store *s, const char *model_id, const char *monitor_id, int64_t since_ns,
                                      size_t limit, aia_drift_alert_record ***out, size_t *n, aia_error *err);

/* Stores ground truth for predictions of model_id, all in one transaction:
 * a later put for the same (model_id, prediction_id) replaces the earlier
 * outcome (within one call, the last row wins). INVALID_ARGUMENT names an
 * empty model_id or the row whose prediction_id is empty (nothing stored). */
aia_status aia_store_ground_truth_put(aia_store *s, const char *model_id, const aia_ground_truth_record *const *rows,
                                      size_t n, aia_error *err);
/* Looks ids up: out[i] is the stored outcome of ids[i] or NULL (unknown,
 * NULL or empty id). out is caller-allocated with n entries; free the
 * non-NULL ones with aia_store_record_free. On failure every out[i] is
 * NULL. */
aia_status aia_store_ground_truth_get(aia_store *s, const char *model_id, const char *const *ids, size_t n,
                                      aia_ground_truth_record **out, aia_error *err);
/* The latest `limit` outcomes of model_id (0 = all), newest observation
 * first: what concept drift is computed on, since outcomes usually arrive
 * well after the predictions they judge. Caller frees with
 * aia_store_records_free. */
aia_status aia_store_ground_truth_recent(aia_store *s, const char *model_id, size_t limit,
                                         aia_ground_truth_record ***out, size_t *n, aia_error *err);
/* Counts stored outcomes of model_id. */
aia_status aia_store_ground_truth_count(aia_store *s, const char *model_id, int64_t *count, aia_error *err);

#endif
