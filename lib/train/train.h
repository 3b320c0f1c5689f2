/* lib/train/train.h — one training job's work, start to finish, on the
 * embedded engine: fetch the data, load it, split it, train (one algorithm,
 * "auto", or a hyperparameter search), evaluate, and hand back the model
 * file with everything the registry records about it. Queueing, retries
 * and persistence are lib/jobs' business; this module only computes.
 *
 * Data URIs: a local path, file://PATH, http:// or https:// (libcurl,
 * downloaded into the scratch directory, size-capped); gs:// and s3:// are
 * AIA_UNIMPLEMENTED naming the missing backend; anything else is
 * INVALID_ARGUMENT. Without a validation URI the data is split 80/10/10
 * (stratified for classification, seeded) into train, validation (early
 * stopping, HPO, "auto" selection) and test (the reported metrics); with
 * one, the training data splits 90/10 into train and test. The published
 * model is the one trained on the train split.
 *
 * Hyperparameters are text by name (aia_train_param_names() lists them per
 * algorithm); unknown names and unparsable values are INVALID_ARGUMENT
 * naming the parameter. The canonical names are the engine's own fields:
 *   gbdt           n_rounds, learning_rate, max_leaves, max_depth,
 *                  min_samples_leaf, min_hessian_leaf, lambda_l2,
 *                  min_split_gain, row_subsample, col_subsample, max_bins,
 *                  early_stopping_rounds (0 = off, the default)
 *   random_forest  n_trees, max_depth, min_samples_leaf, min_samples_split,
 *                  max_features (0 = the default rule), bootstrap, max_bins
 *   logistic_regression  C, tol, max_iter
 *   linear_regression    alpha
 * and the LightGBM / scikit-learn spellings are accepted as aliases
 * (n_estimators, num_iterations, num_leaves, min_child_samples,
 * min_data_in_leaf, min_child_weight, l2, reg_lambda, subsample,
 * bagging_fraction, colsample, colsample_bytree, feature_fraction,
 * max_bin, ...). Values are parsed strictly: the whole text is one number
 * of the parameter's type, within its range ("1.5" for an integer, " 3"
 * or "1e400" are refused); two spellings of one parameter are refused.
 * Records (job, lineage) carry the canonical names with every value used,
 * defaults included.
 *
 * "auto" (or "") trains every algorithm that fits the task (gbdt,
 * random_forest, and logistic_regression or linear_regression) with its
 * defaults and keeps the best on the validation metric; it takes no
 * hyperparameters. With an HPO spec too, the search then tunes the chosen
 * algorithm.
 *
 * Metrics: "accuracy", "f1" (macro), "roc_auc", "log_loss" for
 * classification; "rmse", "mae", "r2" for regression; a score that cannot
 * be computed on the data (NaN) is left out of the maps. Classification
 * targets are read as text, so class labels are the file's own words
 * ("yes"/"no", "0"/"1"), sorted byte-wise, unless feature_types types the
 * target column.
 *
 * HPO (spec->hpo with trials > 0 or timeout_seconds > 0): lib/hpo's TPE
 * (or random) sampler, trial 0 being the spec's hyperparameters (each put
 * at the nearest point of the space when outside it), median pruning on
 * the GBDT's per-round validation loss (from a third of the rounds on:
 * slower learning rates start behind) unless pruner is PRUNER_NONE or
 * cv_folds >= 2 (then each trial is scored by k-fold cross-validation of
 * the train split, lib/ml/evaluate.h), parallel_trials trials at a time in
 * deterministic rounds, sharing options->threads. The metric defaults to
 * accuracy / rmse and the direction to the metric's natural one. TPE
 * starts after a third of a search shorter than 30 trials (Optuna's 10
 * otherwise). The default search spaces:
 *   gbdt           learning_rate log [0.01, 0.3], max_leaves log [8, 128],
 *                  min_samples_leaf log [5, 100], lambda_l2 log [1e-8, 10],
 *                  row_subsample [0.5, 1], col_subsample [0.5, 1]
 *   random_forest  n_trees 50..300 step 50, max_depth {-1, 4, 8, 16, 32},
 *                  min_samples_leaf log [1, 20],
 *                  max_features {0, 0.2, 0.33, 0.5, 0.7, 1}
 *   logistic_regression  C log [1e-3, 100]
 *   linear_regression    alpha log [1e-4, 100]
 * A non-empty hpo.search_space replaces the default (names as above,
 * aliases allowed; bounds and choices must be values the parameter
 * accepts). The time budget stops new trials; a running one finishes.
 * After the search the best trial's hyperparameters are retrained on the
 * train split (deterministic: the same model the trial scored), and that
 * model is evaluated and published. Trial records carry the searched
 * parameters only; the job's and lineage's hyperparameters are complete.
 *
 * An hpo with neither trials nor timeout_seconds runs no search (and is
 * refused when it sets anything else). The lineage's trigger is the
 * spec's, or TRIGGER_HPO / TRIGGER_MANUAL by what ran when unset.
 *
 * The model file's metadata (aia_model_meta) holds job_id, algorithm,
 * target, training_data_uri and training_data_sha256.
 *
 * Cancellation granularity: a boosting round, a logistic-regression
 * iteration, a trial, and the download; a random forest and a
 * cross-validated trial are not interrupted inside (both take well under a
 * second on the bundled data).
 *
 * Thread-safety: aia_train_run() is reentrant; the hooks are called on the
 * calling thread or, during a parallel HPO search, on the search's worker
 * threads (never two calls at once for the same trial, but different
 * trials concurrently), so they must be thread-safe.
 */
#ifndef AIA_TRAIN_TRAIN_H
#define AIA_TRAIN_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/data/csv.h"
/* The records alone (not the store's API): the typedefs below are the
 * ones lib/store/store.h declares (C11 allows the repetition), so this
 * module needs only the generated messages. */
#include "lib/store/records.pb-c.h"

typedef AiaStore__V1__Version aia_version_record;
typedef AiaStore__V1__Job aia_job_record;
typedef AiaStore__V1__JobSpec aia_job_spec;
typedef AiaStore__V1__Trial aia_trial_record;

typedef struct aia_train_options {
    const char *scratch_dir;     /* downloads go here (created when missing) */
    int threads;                 /* engine threads for this job; >= 1 */
    long http_timeout_ms;        /* whole transfer; 0 = 300000 */
    int64_t max_download_bytes;  /* 0 = 1 GiB */
    const char *engine_version;  /* recorded in the lineage; may be NULL */
} aia_train_options;

typedef struct aia_train_hooks {
    void *arg;
    /* Polled between units of work (boosting rounds, trees, trials, folds);
     * non-zero makes aia_train_run() return AIA_CANCELLED within about one
     * unit (well under a second on the bundled data). May be NULL. */
    int (*should_stop)(void *arg);
    /* The data is loaded and split: row counts. May be NULL. */
    void (*on_data)(void *arg, const AiaStore__V1__DataSplit *split);
    /* One iteration (boosting round, solver step) of trial `trial` (0
     * without HPO): names and values, "train_loss" and, when known,
     * "validation_loss". At most one call per 10 ms per trial (the first
     * round always), so fast rounds do not flood watchers; the candidates
     * of "auto" and the retraining after a search report none. May be
     * NULL. */
    void (*on_iteration)(void *arg, int trial, int iteration, const char *const *names, const double *values,
                         size_t n);
    /* A trial started (state TRIAL_RUNNING, its hyperparameters) or ended
     * (COMPLETE with value and metrics, PRUNED with pruned_at_iteration
     * and the metrics of the rounds done, FAILED with error), with its
     * duration and the search's progress after it. Both pointers are valid
     * for the call only. Calls are serialised. May be NULL. */
    void (*on_trial)(void *arg, const aia_trial_record *trial, const AiaStore__V1__HpoProgress *progress);
    /* Rough fraction of the work done, 0..1, non-decreasing. May be NULL. */
    void (*on_progress)(void *arg, double fraction);
} aia_train_hooks;

typedef struct aia_train_result {
    aia_arena arena; /* owns every pointer below */
    /* The model file (lib/ml/model_file.h format). */
    unsigned char *model_file;
    size_t model_file_len;
    /* algorithm, class_labels and lineage filled (job_id, data URIs and
     * hashes, features, target, hyperparameters, metrics, trigger, seed,
     * data_split, engine_version); model_id, version, times and artifact
     * fields are the caller's. */
    aia_version_record version;
    /* What the job record reports: algorithm, hyperparameters, metrics
     * (test split), validation_metrics, hpo (NULL without HPO),
     * data_split. Other fields unset. */
    aia_job_record job;
} aia_train_result;

/* Checks a spec without touching data beyond a local file's header:
 * task, algorithm name and fit to the task, hyperparameter names and
 * values, HPO spec (trials, metric name, search space), URI schemes,
 * and for local files that they exist, are readable, and that their
 * header names the target and every feature column. Errors name the
 * field: "hyperparameters[\"max_depht\"]: unknown hyperparameter of gbdt
 * (known: ...)", "target_column: \"y\" is not a column of data.csv
 * (columns: ...)". */
aia_status aia_train_check(const aia_job_spec *spec, aia_error *err);

/* Runs the job described by spec; job_id goes into the lineage. On
 * success *out is filled and must be released with aia_train_result_free().
 * On failure *out needs no release and err says why in words a person can
 * act on ("training_data_uri: fetching https://x/y.csv: HTTP 404",
 * "data.csv:17:3: ..."). AIA_CANCELLED when should_stop said so. */
aia_status aia_train_run(const aia_job_spec *spec, const char *job_id, const aia_train_options *opt,
                         const aia_train_hooks *hooks, aia_train_result *out, aia_error *err);

void aia_train_result_free(aia_train_result *r);

/* Reads the CSV a data URI names (local path, file://, http(s):// into
 * opt->scratch_dir, removed after reading; gs:// and s3:// UNIMPLEMENTED)
 * into *out (caller frees with aia_frame_free). `schema` (may be NULL)
 * forces the types of the columns the file has (entries for columns it
 * lacks are skipped); every column in `required` must be in the header,
 * else INVALID_ARGUMENT naming it and listing the file's columns. sha256
 * (may be NULL) receives the hex SHA-256 of the bytes read. Errors are
 * prefixed with `field` and name the file, line and column as lib/data's
 * reader does. Thread-safe. */
aia_status aia_train_load_csv(const char *field, const char *uri, const aia_train_options *opt,
                              const aia_csv_schema_entry *schema, size_t n_schema, const char *const *required,
                              size_t n_required, aia_frame **out, char sha256[65], aia_error *err);

/* Hyperparameter names an algorithm accepts ("gbdt", ...), NULL-terminated;
 * NULL for an unknown algorithm. */
const char *const *aia_train_param_names(const char *algorithm);

#endif
