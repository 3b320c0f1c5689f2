/* lib/train/train_internal.h — what the files of lib/train share; not part
 * of the public API.
 */
#ifndef AIA_TRAIN_INTERNAL_H
#define AIA_TRAIN_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/data/frame.h"
#include "lib/hpo/space.h"
#include "lib/hpo/study.h"
#include "lib/ml/evaluate.h"
#include "lib/ml/model.h"
#include "lib/train/train.h"

/* ---- hyperparameters (params.c) ---------------------------------------------- */

/* Algorithm text to the engine's enum: "auto" and "" give 0 with *is_auto
 * set; an unknown name is INVALID_ARGUMENT listing the known ones. */
aia_status train_algorithm_parse(const char *name, aia_algorithm *out, int *is_auto, aia_error *err);

/* Whether an algorithm can learn the task. */
int train_algorithm_fits(aia_algorithm a, aia_task task);

/* Sets hyperparameter `name` (or an alias) of algorithm `a` in spec from
 * text, strictly (the whole text is one number of the parameter's type, in
 * its range). Errors name the parameter as hyperparameters["name"]. */
aia_status train_param_set(aia_train_spec *spec, aia_algorithm a, const char *name, const char *value, aia_error *err);

/* The canonical name of `name` for algorithm a (itself, or what the alias
 * stands for); NULL when unknown. */
const char *train_param_canonical(aia_algorithm a, const char *name);

/* An unknown name's error: INVALID_ARGUMENT listing the known names. */
aia_status train_param_unknown(aia_algorithm a, const char *field, const char *name, aia_error *err);

/* Applies every hyperparameter of the job spec to spec. */
aia_status train_params_apply(aia_train_spec *spec, aia_algorithm a, const aia_job_spec *job, aia_error *err);

/* The value of canonical parameter `name` of spec as text ("%d" or the
 * shortest round-tripping "%.17g" form) into buf. */
void train_param_format(const aia_train_spec *spec, aia_algorithm a, const char *name, char *buf, size_t size);

/* Whether parameter `name` of a takes integers. */
int train_param_is_int(aia_algorithm a, const char *name);

/* The canonical names of algorithm a, NULL-terminated. */
const char *const *train_param_canonical_names(aia_algorithm a);

/* ---- search spaces (space.c) ------------------------------------------------- */

/* The search space for algorithm a: the job's hpo.search_space when it has
 * entries (names canonicalised; each must be a parameter of a), else the
 * default space. *out is freed with aia_hpo_space_free(). */
aia_status train_space_build(aia_algorithm a, const AiaStore__V1__HpoSpec *hpo, aia_hpo_space **out, aia_error *err);

/* Trial 0's point: spec's current values, each put at the nearest point of
 * the space when it lies outside (a default outside a user's range). */
void train_space_defaults(const aia_hpo_space *space, const aia_train_spec *spec, aia_algorithm a, aia_hpo_value *out);

/* The text of parameter i's value v. */
void train_space_value_text(const aia_hpo_space *space, size_t i, aia_hpo_value v, char *buf, size_t size);

/* Sets spec from a point of the space. */
aia_status train_space_apply(const aia_hpo_space *space, const aia_hpo_value *values, aia_train_spec *spec,
                             aia_algorithm a, aia_error *err);

/* ---- metrics (metrics.c) -------------------------------------------------------- */

/* A metric's value in scores by its name ("accuracy", "f1", "roc_auc",
 * "log_loss", "rmse", "mae", "r2"); the name must fit the task. */
aia_status train_metric_lookup(const char *name, aia_task task, int *index, aia_error *err);
double train_metric_value(const aia_model_scores *s, int index);
const char *train_metric_name(int index);
/* 1 when larger is better. */
int train_metric_maximize(int index);
/* The metric indices of a task, in report order, and their count. */
size_t train_metric_indices(aia_task task, const int **out);

/* ---- data (fetch.c, header.c) --------------------------------------------------- */

/* A data URI made local: `path` to read (the file itself, or the download
 * in the scratch directory, then `downloaded` is set and the caller removes
 * it), and the SHA-256 of its bytes in hex. */
typedef struct train_local_file {
    char path[4096];
    char sha256[65];
    int downloaded;
} train_local_file;

/* The URI's scheme classified: 0 local path, 1 file://, 2 http(s)://;
 * gs:// and s3:// are UNIMPLEMENTED, anything else INVALID_ARGUMENT. Errors
 * are prefixed with `field`. For file:// the decoded path goes to
 * path_out. */
aia_status train_uri_classify(const char *field, const char *uri, int *kind, char *path_out, size_t size,
                              aia_error *err);

/* Fetches the URI (see train.h) into *out. `stop` (may be NULL) aborts a
 * download with CANCELLED. */
aia_status train_fetch(const char *field, const char *uri, const aia_train_options *opt, const char *tag,
                       int (*stop)(void *), void *stop_arg, train_local_file *out, aia_error *err);

/* The SHA-256 of a file's bytes, in hex. */

/* The header of the CSV file at path: its column names, split as the CSV
 * reader does (delimiter detection, quotes), in arena memory. */
aia_status train_csv_header(const char *path, aia_arena *arena, char ***names, size_t *n, aia_error *err);

/* ---- one run (run.c, search.c, result.c) ------------------------------------------ */

typedef struct train_run {
    const aia_job_spec *job;
    const aia_train_options *opt;
    const aia_train_hooks *hooks;
    aia_task task;
    uint64_t seed;
    aia_frame *train, *valid, *test;
    aia_train_spec base;      /* features, target, threads, seeds; no algorithm */
    int metric;               /* train_metric_* index optimised and compared */
    int maximize;
    int cancelled;            /* set once should_stop said so (atomic) */
    pthread_mutex_t mu;       /* progress and the HPO bookkeeping below */
    double progress;          /* last reported, non-decreasing */
    double phase_lo, phase_hi; /* the current phase's share of 0..1 */
    double units_done, units_total; /* work units of the phase */
    /* HPO */
    aia_hpo_space *space;
    int prune;
    int trials_total, completed, pruned, failed, best_trial;
    double best_value;
    char **best_text;         /* per space parameter, malloc'd */
} train_run;

/* should_stop polled (and remembered). */
int train_stopped(train_run *r);
/* Reports progress: phase_lo + (phase_hi - phase_lo) * (units_done +
 * frac) / units_total, never going back. */
void train_progress(train_run *r, double frac);

/* Per-training callback state: cancel, throttled iteration events,
 * pruning. */
typedef struct train_watch {
    train_run *r;
    int trial;              /* for on_iteration; -1: silent */
    int max_steps;          /* for progress */
    aia_hpo_study *study;   /* NULL: no pruning */
    size_t study_trial;
    int64_t last_emit_ns;
    int pruned_at;          /* -1 unless pruned */
} train_watch;

int train_watch_progress(void *arg, int step, double train_loss, double valid_loss);

/* Trains spec on r->train (r->valid for early stopping and the progress
 * losses); CANCELLED when should_stop said so meanwhile. */
aia_status train_fit(train_run *r, const aia_train_spec *spec, train_watch *w, aia_model **out, aia_error *err);

/* "auto": every algorithm fitting the task at its defaults, the best on the
 * validation metric in *algo and its model in *model (caller frees). */
aia_status train_auto_select(train_run *r, aia_algorithm *algo, aia_model **model, aia_error *err);

/* The search over r->space for algorithm a; on success *best is spec
 * with the best trial's values and *hpo the final progress (arena). */
aia_status train_search(train_run *r, aia_algorithm a, const aia_train_spec *spec, aia_train_spec *best,
                        aia_arena *arena, AiaStore__V1__HpoProgress **hpo, aia_error *err);

/* The HPO progress record as it stands (under r->mu), in arena memory. */
AiaStore__V1__HpoProgress *train_hpo_progress(train_run *r, aia_arena *arena);

/* Map entries of a records.proto map<string,double> (descriptor d: every
 * such entry type has the layout {base, key, value}) from scores: the
 * task's metrics, NaN ones left out. Arena memory. */
void **train_metric_entries(aia_arena *a, const ProtobufCMessageDescriptor *d, const aia_model_scores *s,
                            aia_task task, size_t *n);
/* The same for map<string,string> entries. */
void **train_text_entries(aia_arena *a, const ProtobufCMessageDescriptor *d, const char *const *keys,
                          const char *const *values, size_t n);

/* Fills out (version, job, model file) from the final model and scores. */
aia_status train_result_fill(train_run *r, const aia_model *m, const aia_train_spec *spec,
                             const aia_model_scores *valid, const aia_model_scores *test,
                             const train_local_file *train_file, const train_local_file *valid_file, const char *job_id,
                             aia_train_result *out, aia_error *err);

#endif
