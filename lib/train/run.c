/* lib/train/run.c — aia_train_run(): fetch, load, split, train (one
 * algorithm, "auto" or a search), evaluate, and the result.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/base/timeutil.h"
#include "lib/data/csv.h"
#include "lib/data/labels.h"
#include "lib/data/split.h"
#include "lib/ml/evaluate.h"
#include "lib/train/train_internal.h"

/* At most one iteration event per trial in this interval: enough for a
 * live chart, few enough not to flood the job's watchers. */
#define EMIT_INTERVAL_NS 10000000LL

int train_stopped(train_run *r)
{
    if (__atomic_load_n(&r->cancelled, __ATOMIC_RELAXED)) return 1;
    if (r->hooks && r->hooks->should_stop && r->hooks->should_stop(r->hooks->arg)) {
        __atomic_store_n(&r->cancelled, 1, __ATOMIC_RELAXED);
        return 1;
    }
    return 0;
}

void train_progress(train_run *r, double frac)
{
    pthread_mutex_lock(&r->mu);
    double f = r->units_total > 0 ? (r->units_done + (frac > 1 ? 1 : frac)) / r->units_total : 0;
    if (f > 1) f = 1;
    double p = r->phase_lo + (r->phase_hi - r->phase_lo) * f;
    int emit = p > r->progress + 1e-3;
    if (emit) r->progress = p;
    if (emit && r->hooks && r->hooks->on_progress) r->hooks->on_progress(r->hooks->arg, p);
    pthread_mutex_unlock(&r->mu);
}

/* Outside the training phase (fetching, evaluation): a fixed point. */
static void progress_at(train_run *r, double p)
{
    pthread_mutex_lock(&r->mu);
    if (p > r->progress) {
        r->progress = p;
        if (r->hooks && r->hooks->on_progress) r->hooks->on_progress(r->hooks->arg, p);
    }
    pthread_mutex_unlock(&r->mu);
}

static void emit_iteration(train_watch *w, int step, double train_loss, double valid_loss)
{
    const aia_train_hooks *h = w->r->hooks;
    if (w->trial < 0 || !h || !h->on_iteration) return;
    int64_t now = aia_time_mono_ns();
    if (w->last_emit_ns && now - w->last_emit_ns < EMIT_INTERVAL_NS) return;
    w->last_emit_ns = now;
    static const char *const names[] = {"train_loss", "validation_loss"};
    double values[2] = {train_loss, valid_loss};
    /* The engine counts rounds from 0; the contract numbers iterations from 1. */
    h->on_iteration(h->arg, w->trial, step + 1, names, values, isnan(valid_loss) ? 1 : 2);
}

int train_watch_progress(void *arg, int step, double train_loss, double valid_loss)
{
    train_watch *w = arg;
    if (train_stopped(w->r)) return 1;
    emit_iteration(w, step, train_loss, valid_loss);
    if (w->max_steps > 0) train_progress(w->r, (double)(step + 1) / w->max_steps);
    if (!w->study || isnan(valid_loss)) return 0;
    /* The pruner compares in the study's direction: a loss is lower-better,
     * so it is negated when the study maximises. */
    double v = w->r->maximize ? -valid_loss : valid_loss;
    bool prune = false;
    aia_error e;
    if (aia_hpo_study_report(w->study, w->study_trial, step, v, &e) != AIA_OK) return 0;
    if (aia_hpo_study_should_prune(w->study, w->study_trial, &prune, &e) == AIA_OK && prune) {
        w->pruned_at = step;
        return 1;
    }
    return 0;
}

static int steps_of(const aia_train_spec *spec)
{
    switch (spec->algorithm) {
    case AIA_ALGO_GBDT: return spec->gbdt.n_rounds;
    case AIA_ALGO_LOGISTIC_REGRESSION: return spec->logistic.max_iter;
    default: return 0;
    }
}

aia_status train_fit(train_run *r, const aia_train_spec *spec, train_watch *w, aia_model **out, aia_error *err)
{
    *out = NULL;
    if (train_stopped(r)) return aia_error_set(err, AIA_CANCELLED, "cancelled");
    w->r = r;
    w->max_steps = steps_of(spec);
    w->pruned_at = -1;
    aia_status st = aia_model_train(spec, r->train, r->valid, train_watch_progress, w, out, err);
    if (st == AIA_OK && train_stopped(r)) {
        aia_model_free(*out);
        *out = NULL;
        return aia_error_set(err, AIA_CANCELLED, "cancelled");
    }
    return st;
}

/* ---- loading and splitting ------------------------------------------------------ */

static aia_column_type column_type_of(AiaStore__V1__FeatureType t)
{
    switch (t) {
    case AIA_STORE__V1__FEATURE_TYPE__FEATURE_NUMERIC: return AIA_COLUMN_NUMERIC;
    case AIA_STORE__V1__FEATURE_TYPE__FEATURE_CATEGORICAL: return AIA_COLUMN_CATEGORICAL;
    case AIA_STORE__V1__FEATURE_TYPE__FEATURE_BINARY: return AIA_COLUMN_BOOLEAN;
    default: return 0;
    }
}

/* Reads a CSV with `schema` forcing column types, then frees the schema
 * (malloc'd by the caller; its strings are borrowed). */
static aia_status read_typed(const char *path, const char *name, aia_csv_schema_entry *schema, size_t n,
                             aia_frame **out, aia_error *err)
{
    aia_csv_options o;
    aia_csv_options_init(&o);
    o.schema = schema;
    o.schema_len = n;
    o.name = name;
    aia_status st = aia_csv_read_file(path, &o, out, err);
    free(schema);
    return st;
}

static aia_status load_training(train_run *r, const char *path, const char *name, aia_frame **out, aia_error *err)
{
    const aia_job_spec *job = r->job;
    aia_csv_schema_entry *schema = calloc(job->n_feature_types + 1, sizeof *schema);
    if (!schema) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    size_t n = 0;
    int target_typed = 0;
    for (size_t i = 0; i < job->n_feature_types; i++) {
        aia_column_type t = column_type_of(job->feature_types[i]->value);
        if (!t) continue; /* FEATURE_UNSPECIFIED: inferred */
        schema[n].column = job->feature_types[i]->key;
        schema[n++].type = t;
        target_typed |= strcmp(job->feature_types[i]->key, job->target_column) == 0;
    }
    /* Class labels are the file's own words: "yes"/"no" would otherwise be
     * inferred boolean and named "true"/"false". */
    if (r->task == AIA_TASK_CLASSIFICATION && !target_typed) {
        schema[n].column = job->target_column;
        schema[n++].type = AIA_COLUMN_CATEGORICAL;
    }
    return read_typed(path, name, schema, n, out, err);
}

/* The validation file must have the training columns' types. */
static aia_status load_validation(train_run *r, const aia_frame *train, const char *path, const char *name,
                                  aia_frame **out, aia_error *err)
{
    size_t nc = aia_frame_n_cols(train);
    aia_csv_schema_entry *schema = calloc(nc, sizeof *schema);
    if (!schema) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    size_t n = 0;
    for (size_t c = 0; c < nc; c++) {
        const aia_column *col = aia_frame_column(train, c);
        int wanted = strcmp(col->name, r->base.target) == 0 || r->base.n_features == 0;
        for (size_t i = 0; !wanted && i < r->base.n_features; i++) wanted = strcmp(r->base.features[i], col->name) == 0;
        if (!wanted) continue;
        schema[n].column = col->name;
        schema[n++].type = col->type;
    }
    return read_typed(path, name, schema, n, out, err);
}

static aia_status split_frame(train_run *r, aia_frame *all, int has_valid, aia_error *err)
{
    aia_class_labels labels = {0};
    const aia_class_labels *strata = NULL;
    if (r->task == AIA_TASK_CLASSIFICATION) {
        size_t col;
        if (aia_frame_check_classification_target(all, r->base.target, err) != AIA_OK) return err->code;
        if (aia_frame_find(all, r->base.target, &col, err) != AIA_OK ||
            aia_class_labels_from_column(all, col, &labels, err) != AIA_OK)
            return err->code;
        strata = &labels;
    } else if (aia_frame_check_target(all, r->base.target, NULL, err) != AIA_OK) {
        return err->code;
    }
    aia_split s;
    aia_status st = aia_split_train_validation_test(aia_frame_n_rows(all), has_valid ? 0.9 : 0.8,
                                                    has_valid ? 0.0 : 0.1, 0.1, strata, r->seed, &s, err);
    aia_class_labels_free(&labels);
    if (st != AIA_OK) {
        aia_error_prefix(err, "%s: splitting", aia_frame_source(all));
        return st;
    }
    st = aia_frame_take(all, s.train, s.n_train, NULL, &r->train, err);
    if (st == AIA_OK && !has_valid) st = aia_frame_take(all, s.validation, s.n_validation, NULL, &r->valid, err);
    if (st == AIA_OK) st = aia_frame_take(all, s.test, s.n_test, NULL, &r->test, err);
    aia_split_free(&s);
    return st;
}

static void report_split(train_run *r)
{
    if (!r->hooks || !r->hooks->on_data) return;
    AiaStore__V1__DataSplit d = AIA_STORE__V1__DATA_SPLIT__INIT;
    d.train_rows = (int64_t)aia_frame_n_rows(r->train);
    d.validation_rows = (int64_t)aia_frame_n_rows(r->valid);
    d.test_rows = (int64_t)aia_frame_n_rows(r->test);
    r->hooks->on_data(r->hooks->arg, &d);
}

static int stop_cb(void *arg) { return train_stopped(arg); }

static aia_status load_data(train_run *r, train_local_file *tf, train_local_file *vf, aia_error *err)
{
    const aia_job_spec *job = r->job;
    int has_valid = job->validation_data_uri && *job->validation_data_uri;
    if (train_fetch("training_data_uri", job->training_data_uri, r->opt, "train", stop_cb, r, tf, err) != AIA_OK)
        return err->code;
    if (has_valid &&
        train_fetch("validation_data_uri", job->validation_data_uri, r->opt, "valid", stop_cb, r, vf, err) != AIA_OK)
        return err->code;
    progress_at(r, 0.05);
    aia_frame *all = NULL;
    if (load_training(r, tf->path, job->training_data_uri, &all, err) != AIA_OK) {
        aia_error_prefix(err, "training_data_uri");
        return err->code;
    }
    if (has_valid && load_validation(r, all, vf->path, job->validation_data_uri, &r->valid, err) != AIA_OK) {
        aia_frame_free(all);
        aia_error_prefix(err, "validation_data_uri");
        return err->code;
    }
    aia_status st = split_frame(r, all, has_valid, err);
    aia_frame_free(all);
    if (st != AIA_OK) return st;
    report_split(r);
    progress_at(r, 0.1);
    return AIA_OK;
}

/* ---- the run --------------------------------------------------------------------- */

static aia_status init_run(train_run *r, const aia_job_spec *job, const aia_train_options *opt,
                           const aia_train_hooks *hooks, aia_error *err)
{
    memset(r, 0, sizeof *r);
    r->job = job;
    r->opt = opt;
    r->hooks = hooks;
    r->seed = job->seed;
    pthread_mutex_init(&r->mu, NULL);
    r->task = job->task_type == AIA_STORE__V1__TASK_TYPE__TASK_REGRESSION ? AIA_TASK_REGRESSION
                                                                          : AIA_TASK_CLASSIFICATION;
    aia_train_spec_init(&r->base);
    r->base.task = r->task;
    r->base.target = job->target_column;
    r->base.features = job->n_feature_columns ? (const char *const *)job->feature_columns : NULL;
    r->base.n_features = job->n_feature_columns;
    int threads = opt && opt->threads > 0 ? opt->threads : 1;
    r->base.gbdt.threads = r->base.forest.threads = r->base.logistic.threads = r->base.ridge.threads = threads;
    r->base.gbdt.seed = r->base.forest.seed = r->seed;
    const char *metric = job->hpo && job->hpo->metric && *job->hpo->metric ? job->hpo->metric
                         : r->task == AIA_TASK_REGRESSION                  ? "rmse"
                                                                           : "accuracy";
    if (train_metric_lookup(metric, r->task, &r->metric, err) != AIA_OK) return err->code;
    r->maximize = train_metric_maximize(r->metric);
    if (job->hpo && job->hpo->direction == AIA_STORE__V1__DIRECTION__DIRECTION_MAXIMIZE) r->maximize = 1;
    if (job->hpo && job->hpo->direction == AIA_STORE__V1__DIRECTION__DIRECTION_MINIMIZE) r->maximize = 0;
    r->best_trial = -1;
    return AIA_OK;
}

static void free_run(train_run *r)
{
    aia_frame_free(r->train);
    aia_frame_free(r->valid);
    aia_frame_free(r->test);
    if (r->best_text) {
        for (size_t i = 0; r->space && i < aia_hpo_space_size(r->space); i++) free(r->best_text[i]);
        free(r->best_text);
    }
    aia_hpo_space_free(r->space);
    pthread_mutex_destroy(&r->mu);
}

static void drop_file(train_local_file *f)
{
    if (f->downloaded) unlink(f->path);
}

static int hpo_requested(const aia_job_spec *job)
{
    return job->hpo && (job->hpo->trials > 0 || job->hpo->timeout_seconds > 0);
}

/* Chooses the algorithm and its hyperparameters: the spec's, "auto"'s
 * pick (whose model *m is kept when no search follows), and the search's
 * best. */
static aia_status choose(train_run *r, aia_train_spec *final, aia_model **m, aia_train_result *out, aia_error *err)
{
    aia_algorithm a;
    int is_auto;
    if (train_algorithm_parse(r->job->algorithm, &a, &is_auto, err) != AIA_OK) return err->code;
    int hpo = hpo_requested(r->job);
    if (is_auto) {
        r->phase_lo = 0.1;
        r->phase_hi = hpo ? 0.3 : 0.9;
        if (train_auto_select(r, &a, m, err) != AIA_OK) return err->code;
    }
    *final = r->base;
    final->algorithm = a;
    if (train_params_apply(final, a, r->job, err) != AIA_OK) return err->code;
    if (!hpo) return AIA_OK;
    aia_model_free(*m);
    *m = NULL;
    r->phase_lo = r->progress;
    r->phase_hi = 0.9;
    aia_train_spec start = *final;
    return train_search(r, a, &start, final, &out->arena, &out->job.hpo, err);
}

static aia_status run(train_run *r, const char *job_id, aia_train_result *out, aia_error *err)
{
    train_local_file tf = {0}, vf = {0};
    aia_status st = load_data(r, &tf, &vf, err);
    aia_train_spec final;
    aia_model *m = NULL;
    if (st == AIA_OK) st = choose(r, &final, &m, out, err);
    if (st == AIA_OK && !m) {
        /* Without a search, this is the one training and its events are
         * trial 0's; after a search it retrains the best trial quietly. */
        train_watch w = {.trial = out->job.hpo ? -1 : 0};
        r->phase_lo = r->progress;
        r->phase_hi = 0.9;
        r->units_done = 0;
        r->units_total = 1;
        st = train_fit(r, &final, &w, &m, err);
    }
    aia_model_scores vs, ts;
    if (st == AIA_OK) st = aia_model_evaluate(m, r->valid, r->base.target, &vs, err);
    if (st == AIA_OK) st = aia_model_evaluate(m, r->test, r->base.target, &ts, err);
    if (st == AIA_OK) progress_at(r, 0.95);
    if (st == AIA_OK) st = train_result_fill(r, m, &final, &vs, &ts, &tf, &vf, job_id, out, err);
    aia_model_free(m);
    drop_file(&tf);
    drop_file(&vf);
    if (st == AIA_OK && train_stopped(r)) st = aia_error_set(err, AIA_CANCELLED, "cancelled");
    if (st == AIA_OK) progress_at(r, 1.0);
    return st;
}

aia_status aia_train_run(const aia_job_spec *spec, const char *job_id, const aia_train_options *opt,
                         const aia_train_hooks *hooks, aia_train_result *out, aia_error *err)
{
    memset(out, 0, sizeof *out);
    aia_arena_init(&out->arena, 0);
    aia_version_record v0 = AIA_STORE__V1__VERSION__INIT;
    aia_job_record j0 = AIA_STORE__V1__JOB__INIT;
    out->version = v0;
    out->job = j0;
    if (aia_train_check(spec, err) != AIA_OK) {
        aia_arena_destroy(&out->arena);
        return err->code;
    }
    train_run r;
    aia_status st = init_run(&r, spec, opt, hooks, err);
    if (st == AIA_OK) st = run(&r, job_id, out, err);
    /* A cancelled run says so, whatever error the interruption caused. */
    if (st != AIA_OK && __atomic_load_n(&r.cancelled, __ATOMIC_RELAXED))
        st = aia_error_set(err, AIA_CANCELLED, "cancelled");
    free_run(&r);
    if (st != AIA_OK) {
        aia_arena_destroy(&out->arena);
        memset(out, 0, sizeof *out);
    }
    return st;
}

void aia_train_result_free(aia_train_result *r)
{
    if (!r) return;
    aia_arena_destroy(&r->arena);
    memset(r, 0, sizeof *r);
}
