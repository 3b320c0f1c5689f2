/* lib/train/search.c — choosing among algorithms ("auto") and the
 * hyperparameter search (lib/hpo), reporting every trial through the
 * hooks as it starts and ends.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/hpo/optimize.h"
#include "lib/hpo/study.h"
#include "lib/train/train_internal.h"

/* Larger is better in the run's direction. */
static int better(const train_run *r, double a, double b)
{
    if (isnan(b)) return !isnan(a);
    return r->maximize ? a > b : a < b;
}

/* ---- "auto" ----------------------------------------------------------------------- */

aia_status train_auto_select(train_run *r, aia_algorithm *algo, aia_model **model, aia_error *err)
{
    const aia_algorithm cls[] = {AIA_ALGO_GBDT, AIA_ALGO_RANDOM_FOREST, AIA_ALGO_LOGISTIC_REGRESSION};
    const aia_algorithm reg[] = {AIA_ALGO_GBDT, AIA_ALGO_RANDOM_FOREST, AIA_ALGO_LINEAR_REGRESSION};
    const aia_algorithm *cand = r->task == AIA_TASK_REGRESSION ? reg : cls;
    double best = NAN;
    aia_error last;
    aia_error_clear(&last);
    *model = NULL;
    r->units_total = 3;
    for (int i = 0; i < 3; i++) {
        aia_train_spec spec = r->base;
        spec.algorithm = cand[i];
        r->units_done = i;
        train_watch w = {.trial = -1};
        aia_model *m = NULL;
        aia_model_scores sc;
        aia_status st = train_fit(r, &spec, &w, &m, &last);
        if (st == AIA_CANCELLED) {
            aia_model_free(*model);
            *model = NULL;
            *err = last;
            return st;
        }
        if (st == AIA_OK) st = aia_model_evaluate(m, r->valid, r->base.target, &sc, &last);
        if (st != AIA_OK) {
            aia_error_prefix(&last, "%s", aia_algorithm_name(cand[i]));
            aia_model_free(m);
            continue;
        }
        double v = train_metric_value(&sc, r->metric);
        if (better(r, v, best)) {
            best = v;
            *algo = cand[i];
            aia_model_free(*model);
            *model = m;
        } else {
            aia_model_free(m);
        }
    }
    r->units_done = 3;
    if (*model) return AIA_OK;
    if (last.code != AIA_OK) {
        *err = last;
        aia_error_prefix(err, "algorithm \"auto\": no algorithm could be trained; the last error");
        return err->code;
    }
    return aia_error_set(err, AIA_FAILED_PRECONDITION, "algorithm \"auto\": %s is not defined on the validation data",
                         train_metric_name(r->metric));
}

/* ---- the search ------------------------------------------------------------------- */

typedef struct search_ctx {
    train_run *r;
    aia_algorithm algo;
    const aia_train_spec *start;
    int cv_folds;
    int threads;
} search_ctx;

AiaStore__V1__HpoProgress *train_hpo_progress(train_run *r, aia_arena *arena)
{
    AiaStore__V1__HpoProgress *p = aia_arena_alloc(arena, sizeof *p);
    if (!p) return NULL;
    aia_store__v1__hpo_progress__init(p);
    p->trials_total = r->trials_total;
    p->trials_completed = r->completed;
    p->trials_pruned = r->pruned;
    p->trials_failed = r->failed;
    p->best_trial = r->best_trial;
    p->best_value = r->best_trial >= 0 ? r->best_value : 0;
    p->metric = aia_arena_strdup(arena, train_metric_name(r->metric));
    p->direction = r->maximize ? AIA_STORE__V1__DIRECTION__DIRECTION_MAXIMIZE
                               : AIA_STORE__V1__DIRECTION__DIRECTION_MINIMIZE;
    if (r->best_trial >= 0 && r->best_text) {
        size_t n = aia_hpo_space_size(r->space);
        const char **keys = aia_arena_calloc(arena, n ? n : 1, sizeof *keys);
        for (size_t i = 0; keys && i < n; i++) keys[i] = aia_hpo_space_param(r->space, i)->name;
        if (keys) {
            p->best_hyperparameters = (AiaStore__V1__HpoProgress__BestHyperparametersEntry **)train_text_entries(
                arena, &aia_store__v1__hpo_progress__best_hyperparameters_entry__descriptor, keys,
                (const char *const *)r->best_text, n);
            p->n_best_hyperparameters = p->best_hyperparameters ? n : 0;
        }
    }
    return p;
}

/* Under r->mu: the trial and the search's progress to on_trial. */
static void emit_trial(train_run *r, const aia_trial_record *t, aia_arena *arena)
{
    if (!r->hooks || !r->hooks->on_trial) return;
    AiaStore__V1__HpoProgress *p = train_hpo_progress(r, arena);
    if (p) r->hooks->on_trial(r->hooks->arg, t, p);
}

static void fill_params(train_run *r, const aia_hpo_value *params, aia_arena *arena, aia_trial_record *rec,
                        char **texts)
{
    size_t n = aia_hpo_space_size(r->space);
    const char **keys = aia_arena_calloc(arena, n, sizeof *keys);
    for (size_t i = 0; i < n; i++) {
        char buf[64];
        train_space_value_text(r->space, i, params[i], buf, sizeof buf);
        texts[i] = aia_arena_strdup(arena, buf);
        if (keys) keys[i] = aia_hpo_space_param(r->space, i)->name;
    }
    if (!keys) return;
    rec->hyperparameters = (AiaStore__V1__Trial__HyperparametersEntry **)train_text_entries(
        arena, &aia_store__v1__trial__hyperparameters_entry__descriptor, keys, (const char *const *)texts, n);
    rec->n_hyperparameters = rec->hyperparameters ? n : 0;
}

/* One trial's training and score: on the validation split, or the mean
 * over cv_folds folds of the train split. */
static aia_status score_trial(search_ctx *s, const aia_train_spec *spec, train_watch *w, aia_model_scores *sc,
                              aia_error *err)
{
    train_run *r = s->r;
    if (s->cv_folds >= 2) {
        if (train_stopped(r)) return aia_error_set(err, AIA_CANCELLED, "cancelled");
        aia_status st = aia_model_cross_validate(spec, r->train, (size_t)s->cv_folds, r->seed, sc, NULL, err);
        if (st == AIA_OK && train_stopped(r)) return aia_error_set(err, AIA_CANCELLED, "cancelled");
        return st;
    }
    aia_model *m = NULL;
    aia_status st = train_fit(r, spec, w, &m, err);
    if (st == AIA_OK) st = aia_model_evaluate(m, r->valid, r->base.target, sc, err);
    aia_model_free(m);
    return st;
}

/* Under r->mu: the counters, the best trial, the progress. */
static void account(train_run *r, const aia_trial_record *rec, char **texts)
{
    if (rec->state == AIA_STORE__V1__TRIAL_STATE__TRIAL_COMPLETE) r->completed++;
    else if (rec->state == AIA_STORE__V1__TRIAL_STATE__TRIAL_PRUNED) r->pruned++;
    else r->failed++;
    /* Ties go to the lower trial number, as aia_hpo_study_best() breaks
     * them: with parallel trials the finishing order varies, and the trial
     * reported best must be the one whose parameters are published. */
    int tie_won = rec->value == r->best_value && rec->number < r->best_trial;
    if (rec->state == AIA_STORE__V1__TRIAL_STATE__TRIAL_COMPLETE &&
        (r->best_trial < 0 || better(r, rec->value, r->best_value) || tie_won)) {
        r->best_trial = rec->number;
        r->best_value = rec->value;
        for (size_t i = 0; i < aia_hpo_space_size(r->space); i++) {
            free(r->best_text[i]);
            r->best_text[i] = texts[i] ? strdup(texts[i]) : NULL; /* NULL: out of memory, reported as absent */
        }
    }
    r->units_done += 1;
}

static void finish_trial(train_run *r, aia_trial_record *rec, aia_status st, const aia_error *err, double v,
                         const aia_model_scores *sc, const train_watch *w, aia_arena *arena)
{
    if (st == AIA_OK && w->pruned_at >= 0) {
        rec->state = AIA_STORE__V1__TRIAL_STATE__TRIAL_PRUNED;
        rec->pruned_at_iteration = w->pruned_at + 1; /* iterations are numbered from 1 */
    } else if (st == AIA_OK) {
        rec->state = AIA_STORE__V1__TRIAL_STATE__TRIAL_COMPLETE;
        rec->value = v;
    } else {
        rec->state = AIA_STORE__V1__TRIAL_STATE__TRIAL_FAILED;
        rec->error = aia_arena_strdup(arena, err->message);
    }
    if (st == AIA_OK)
        rec->metrics = (AiaStore__V1__Trial__MetricsEntry **)train_metric_entries(
            arena, &aia_store__v1__trial__metrics_entry__descriptor, sc, r->task, &rec->n_metrics);
}

/* Trains and scores one trial; *v is its metric (NaN when it failed). */
static aia_status run_trial(search_ctx *s, const aia_hpo_value *params, train_watch *w, aia_model_scores *sc,
                            double *v, aia_error *err)
{
    train_run *r = s->r;
    aia_train_spec spec = *s->start;
    spec.gbdt.threads = spec.forest.threads = spec.logistic.threads = spec.ridge.threads = s->threads;
    aia_status st = train_space_apply(r->space, params, &spec, s->algo, err);
    if (st == AIA_OK) st = score_trial(s, &spec, w, sc, err);
    *v = st == AIA_OK ? train_metric_value(sc, r->metric) : NAN;
    if (st == AIA_OK && isnan(*v) && w->pruned_at < 0)
        st = aia_error_set(err, AIA_FAILED_PRECONDITION, "%s is not defined on the validation data",
                           train_metric_name(r->metric));
    return st;
}

static aia_status objective(void *ctx, aia_hpo_study *study, size_t trial, const aia_hpo_value *params,
                            double *value, aia_error *err)
{
    search_ctx *s = ctx;
    train_run *r = s->r;
    *value = NAN;
    if (train_stopped(r)) return aia_error_set(err, AIA_CANCELLED, "cancelled");
    aia_arena arena;
    aia_arena_init(&arena, 0);
    char **texts = aia_arena_calloc(&arena, aia_hpo_space_size(r->space) + 1, sizeof *texts);
    AiaStore__V1__Time *dur = aia_arena_alloc(&arena, sizeof *dur);
    if (!texts || !dur) {
        aia_arena_destroy(&arena);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    }
    aia_store__v1__time__init(dur);
    aia_trial_record rec = AIA_STORE__V1__TRIAL__INIT;
    rec.number = (int32_t)trial;
    rec.state = AIA_STORE__V1__TRIAL_STATE__TRIAL_RUNNING;
    fill_params(r, params, &arena, &rec, texts);
    pthread_mutex_lock(&r->mu);
    emit_trial(r, &rec, &arena);
    pthread_mutex_unlock(&r->mu);

    int64_t t0 = aia_time_mono_ns();
    train_watch w = {.trial = (int)trial, .study = r->prune ? study : NULL, .study_trial = trial, .pruned_at = -1};
    aia_model_scores sc;
    double v;
    aia_status st = run_trial(s, params, &w, &sc, &v, err);
    int64_t ns = aia_time_mono_ns() - t0;
    dur->seconds = ns / 1000000000;
    dur->nanos = (int32_t)(ns % 1000000000);
    rec.duration = dur;
    finish_trial(r, &rec, st, err, v, &sc, &w, &arena);

    pthread_mutex_lock(&r->mu);
    account(r, &rec, texts);
    emit_trial(r, &rec, &arena);
    pthread_mutex_unlock(&r->mu);
    train_progress(r, 0);
    aia_arena_destroy(&arena);
    if (st != AIA_OK) return st;
    if (w.pruned_at >= 0) return aia_error_set(err, AIA_ABORTED, "pruned at iteration %d", w.pruned_at);
    *value = v;
    return AIA_OK;
}

/* The study's clock jumps past any budget once the job is cancelled, so
 * ask() refuses the next trial at once. */
static int64_t search_clock(void *ctx)
{
    train_run *r = ctx;
    int64_t t = aia_time_mono_ns();
    return train_stopped(r) ? t + ((int64_t)1 << 61) : t;
}

static void study_config(train_run *r, const AiaStore__V1__HpoSpec *h, const aia_train_spec *spec,
                         aia_hpo_study_config *cfg)
{
    aia_hpo_study_config_default(cfg);
    cfg->direction = r->maximize ? AIA_HPO_MAXIMIZE : AIA_HPO_MINIMIZE;
    cfg->seed = r->seed;
    cfg->sampler = h->sampler == AIA_STORE__V1__SAMPLER__SAMPLER_RANDOM ? AIA_HPO_SAMPLER_RANDOM : AIA_HPO_SAMPLER_TPE;
    /* Optuna starts TPE after 10 random trials; a short search (the usual
     * 20) would then be mostly random, so it starts after a third of it. */
    if (h->trials > 0 && h->trials < 30) cfg->tpe.n_startup_trials = h->trials / 3 > 2 ? (size_t)h->trials / 3 : 2;
    cfg->tpe.constant_liar = h->parallel_trials > 1;
    /* Slower learning rates start with higher losses and catch up later:
     * judged at round 5 they would be pruned for their schedule, not their
     * promise (measured on the breast-cancer data: most trials were). So a
     * trial is first judged after a third of its rounds. */
    int rounds = spec->algorithm == AIA_ALGO_GBDT ? spec->gbdt.n_rounds : 15;
    cfg->pruner.n_warmup_steps = rounds / 3 > 5 ? rounds / 3 : 5;
    cfg->max_trials = h->trials > 0 ? (size_t)h->trials : 0;
    cfg->time_budget_ns = h->timeout_seconds > 0 ? (int64_t)h->timeout_seconds * 1000000000 : ((int64_t)1 << 60);
    cfg->clock_ns = search_clock;
    cfg->clock_ctx = r;
}

static aia_status prepare_space(train_run *r, aia_algorithm a, const aia_train_spec *spec, aia_hpo_value **defaults,
                                aia_error *err)
{
    if (train_space_build(a, r->job->hpo, &r->space, err) != AIA_OK) return err->code;
    size_t n = aia_hpo_space_size(r->space);
    r->best_text = calloc(n + 1, sizeof *r->best_text);
    *defaults = calloc(n + 1, sizeof **defaults);
    if (!r->best_text || !*defaults) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    train_space_defaults(r->space, spec, a, *defaults);
    return AIA_OK;
}

static aia_status run_study(train_run *r, search_ctx *ctx, aia_hpo_study *study, aia_hpo_value *best_params,
                            aia_error *err)
{
    const AiaStore__V1__HpoSpec *h = r->job->hpo;
    aia_hpo_optimize_options o = {.n_threads = h->parallel_trials > 1 ? (size_t)h->parallel_trials : 1,
                                  .deterministic = true};
    aia_hpo_optimize_result res;
    aia_status st = aia_hpo_optimize(study, objective, ctx, &o, &res, err);
    if (train_stopped(r)) return aia_error_set(err, AIA_CANCELLED, "cancelled");
    if (st != AIA_OK) return st;
    size_t bt;
    double bv;
    aia_error e;
    if (aia_hpo_study_best(study, &bt, &bv, best_params, &e) != AIA_OK) {
        if (res.last_failure.code != AIA_OK) {
            *err = res.last_failure;
            aia_error_prefix(err, "hpo: no trial completed; the last failure");
            return err->code;
        }
        return aia_error_set(err, AIA_FAILED_PRECONDITION, "hpo: no trial completed (all %zu pruned)", res.n_pruned);
    }
    return AIA_OK;
}

aia_status train_search(train_run *r, aia_algorithm a, const aia_train_spec *spec, aia_train_spec *best,
                        aia_arena *arena, AiaStore__V1__HpoProgress **hpo, aia_error *err)
{
    const AiaStore__V1__HpoSpec *h = r->job->hpo;
    aia_hpo_value *defaults = NULL, *best_params = NULL;
    aia_hpo_study *study = NULL;
    aia_status st = prepare_space(r, a, spec, &defaults, err);
    r->prune = h->pruner != AIA_STORE__V1__PRUNER__PRUNER_NONE && h->cv_folds < 2;
    r->trials_total = h->trials;
    r->units_done = 0;
    r->units_total = h->trials > 0 ? h->trials : 1000;
    int threads = r->opt && r->opt->threads > 0 ? r->opt->threads : 1;
    int par = h->parallel_trials > 1 ? h->parallel_trials : 1;
    search_ctx ctx = {.r = r, .algo = a, .start = spec, .cv_folds = h->cv_folds, .threads = threads / par > 0 ? threads / par : 1};
    aia_hpo_study_config cfg;
    study_config(r, h, spec, &cfg);
    if (st == AIA_OK) st = aia_hpo_study_new(r->space, defaults, &cfg, &study, err);
    if (st == AIA_OK && !(best_params = calloc(aia_hpo_space_size(r->space) + 1, sizeof *best_params)))
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    if (st == AIA_OK) st = run_study(r, &ctx, study, best_params, err);
    if (st == AIA_OK) {
        *best = *spec;
        st = train_space_apply(r->space, best_params, best, a, err);
    }
    if (st == AIA_OK && !(*hpo = train_hpo_progress(r, arena)))
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_hpo_study_free(study);
    free(defaults);
    free(best_params);
    return st;
}
