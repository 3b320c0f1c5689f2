/* lib/monitor/monitor.h — drift monitors: a model's live traffic (its
 * prediction log) or an uploaded batch checked against reference data with
 * lib/drift, reports and alerts kept in the store, and the actions the
 * seed report promises (alerts to streams and webhooks, retraining on
 * concept drift). No gRPC here; server/services/drift_*.c is the API.
 *
 * A monitor watches one registered model: a fixed version, or (version 0)
 * whatever the bare model id resolves to at each check (production alias,
 * else the latest version). Its reference is a CSV (by default the
 * version's training data, from the lineage), read once, its numeric
 * columns sorted once (lib/drift's prepared reference) and kept in memory
 * for every later check; the reference's model outputs (the version's own
 * predictions over it) are the reference for prediction drift. A new
 * version (after a retraining) loads its own reference on the next check.
 *
 * Checks:
 *   - RunDriftCheck with a batch (a CSV URI or inline rows): data and
 *     prediction drift (the batch is predicted with the monitored version).
 *   - The prediction log: the latest `window_size` rows of the monitored
 *     version. A background thread looks every poll_ms and checks a monitor
 *     when window_size new rows were logged since its last check, when its
 *     check_interval passed with new rows, or when new ground truth for the
 *     model arrived (concept drift).
 * Concept drift, computed on every check: the model's latest window_size
 * outcomes (ReportGroundTruth, stored by prediction id, newest observation
 * first) joined by id to the logged predictions of the checked version
 * give the current value of the metric ("accuracy" for classification,
 * "r2" for regression, or the monitor's concept_drift_metric: accuracy;
 * rmse, mae, r2); it drifts when it is worse than the version's validation
 * value by more than the tolerance (default 0.05; for rmse and mae "worse"
 * is higher). It is reported once at least min_labelled_rows (default 30)
 * outcomes match. Outcomes usually arrive after their window was checked,
 * so they are not tied to the current window.
 * Prediction drift: the model's outputs (predicted class for
 * classification, value for regression) against the reference outputs,
 * with the default test for that column type; for binary classification a
 * drifted output distribution also yields a recommended decision threshold:
 * the threshold on the positive probability that restores the reference's
 * positive rate on the current window.
 *
 * Actions: every drift kind found raises one alert: stored, delivered to
 * subscribers (StreamDriftAlerts) and POSTed as JSON (the aia.v1 DriftAlert
 * in proto3 JSON) to the monitor's webhooks, retried with backoff. A
 * RETRAIN action (default on concept drift) submits a training job with the
 * version's algorithm, hyperparameters, features and target on the
 * reference data (or, when it lacks the target column, the version's
 * training data) plus the predictions with outcomes (written as a CSV under
 * <data_dir>/drift/), trigger DRIFT and trigger_id = the report id, so the
 * new version's lineage names the report. A REFIT_PREPROCESSING action
 * refits the version's imputation and scaling statistics on the checked
 * window (lib/ml keeps the trained learner and the input layout) and
 * publishes the result as a new version without training (lineage
 * preprocessing_only, trigger DRIFT, trigger_id = the report). A cooldown
 * (default 1 h) per monitor spaces actions out: inside it the alert says so
 * in action_note and nothing is submitted or published; the cooldown is
 * kept in memory, so a restart forgets it.
 *
 * Ownership: records passed in are read only; records returned through
 * **out belong to the caller (aia_store_record_free). Thread-safety: every
 * function is thread-safe; checks of one monitor are serialised, checks of
 * different monitors run in parallel. Subscribers' callbacks run on the
 * thread that raised the alert and must not block.
 */
#ifndef AIA_MONITOR_MONITOR_H
#define AIA_MONITOR_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/base/strbuf.h"
#include "lib/data/frame.h"
#include "lib/jobs/jobs.h"
#include "lib/serve/serve.h"
#include "lib/store/store.h"

typedef struct aia_monitors aia_monitors;

typedef struct aia_monitors_options {
    aia_store *store; /* borrowed; outlive the monitors */
    aia_serve *serve;
    aia_jobs *jobs;
    const char *data_dir;
    int check_threads;                /* lib/drift threads per check; 0 = 2 */
    int64_t poll_ms;                  /* live-window poll period; 0 = 1000 */
    int default_window_size;          /* 0 = 1000 */
    int64_t default_cooldown_ms;      /* 0 = 1 hour */
    double default_concept_tolerance; /* 0 = 0.05 */
    int min_labelled_rows;            /* 0 = 30 */
    int webhook_max_attempts;         /* 0 = 5 */
    int64_t webhook_backoff_ms;       /* first retry delay; 0 = 500 */
    /* Writes an alert as the JSON webhooks receive (the service layer's
     * aia.v1 DriftAlert in proto3 JSON). NULL = the record's own proto3
     * JSON, whose times are {"seconds","nanos"} objects. Called on the
     * thread that raised the alert. */
    aia_status (*alert_json)(void *arg, const aia_drift_alert_record *alert, aia_strbuf *out, aia_error *err);
    void *alert_json_arg;
} aia_monitors_options;

aia_status aia_monitors_start(const aia_monitors_options *opt, aia_monitors **out, aia_error *err);
/* Stops the poller and the webhook sender (undelivered alerts are dropped
 * and logged), frees everything. No call may be in progress. NULL is fine. */
void aia_monitors_stop(aia_monitors *m);

/* Creates a monitor from `spec` (the request's fields in a monitor record:
 * model_id, model_version, reference_data_uri, feature_columns,
 * feature_overrides, window_size, check_interval, drift_share_threshold,
 * actions, concept_drift_metric, concept_drift_tolerance, labels; the rest
 * ignored). Everything is validated and the reference loaded before
 * anything is stored: NOT_FOUND for the model or version, INVALID_ARGUMENT
 * naming the field (unknown feature, override of an unmonitored feature,
 * test unfit for the column type, bad threshold, window size, share,
 * metric, tolerance, action, webhook URL), the reference's read error (file, line,
 * column), FAILED_PRECONDITION when the version has no training data URI to
 * default to. *out: the stored monitor with defaults filled. */
aia_status aia_monitors_setup(aia_monitors *m, const aia_drift_monitor_record *spec, aia_drift_monitor_record **out,
                              aia_error *err);

/* The monitored features with their types, in monitor order (for turning
 * inline rows into a frame). names[i], *names and *types are malloc'd: free
 * with aia_monitors_features_free. */
aia_status aia_monitors_features(aia_monitors *m, const char *monitor_id, char ***names, aia_column_type **types,
                                 size_t *n, aia_error *err);
void aia_monitors_features_free(char **names, aia_column_type *types, size_t n);

/* Runs a check now: on the CSV at current_uri, else on `rows` (a frame with
 * the monitored features), else on the latest window_size rows of the
 * prediction log. The report is stored; unless skip_actions, alerts are
 * raised and actions taken. Errors: NOT_FOUND monitor; INVALID_ARGUMENT for
 * a batch missing a monitored column or with a wrong type (naming it), an
 * empty batch, or CSV errors (file, line, column); FAILED_PRECONDITION when
 * the prediction log holds no rows of the monitored version. */
aia_status aia_monitors_check(aia_monitors *m, const char *monitor_id, const char *current_uri, const aia_frame *rows,
                              int skip_actions, aia_drift_report_record **out, aia_error *err);

/* Stores outcomes of logged predictions of model_id (the prediction log is
 * flushed first, so a prediction answered before this call is found). An
 * outcome whose prediction_id is not in the model's prediction log is not
 * stored and is
 * counted unmatched (its id among the first 100 in unmatched_ids, malloc'd
 * strings in a malloc'd array, may be NULL when none). A label given for a
 * regression model or a value for a classification one is INVALID_ARGUMENT
 * naming the entry. Wakes the poller, which re-checks the model's monitors
 * for concept drift. */
aia_status aia_monitors_ground_truth(aia_monitors *m, const char *model_id, const aia_ground_truth_record *const *rows,
                                     size_t n, int *accepted, int *unmatched, char ***unmatched_ids,
                                     size_t *n_unmatched_ids, aia_error *err);

typedef void (*aia_monitors_alert_fn)(void *arg, const aia_drift_alert_record *alert);
typedef struct aia_monitors_sub aia_monitors_sub;
/* Calls fn for every alert raised from now on until unsubscribed; once
 * aia_monitors_unsubscribe returns, fn is not running and will not be
 * called again. */
aia_status aia_monitors_subscribe(aia_monitors *m, aia_monitors_alert_fn fn, void *arg, aia_monitors_sub **out,
                                  aia_error *err);
void aia_monitors_unsubscribe(aia_monitors *m, aia_monitors_sub *sub);

#endif
