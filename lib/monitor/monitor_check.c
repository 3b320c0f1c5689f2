/* lib/monitor/monitor_check.c — one drift check: the current window (a
 * batch or the prediction log), lib/drift against the prepared reference,
 * prediction and concept drift, the report stored, then the actions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/monitor/monitor_internal.h"

/* ---- options ------------------------------------------------------------- */

aia_status mon_options(const aia_drift_monitor_record *rec, int threads, aia_drift_options *opt, aia_error *err)
{
    aia_drift_options_init(opt);
    opt->threads = threads;
    opt->drift_share = rec->drift_share_threshold;
    size_t n = rec->n_feature_overrides;
    aia_drift_feature_option *f = calloc(n + 1, sizeof *f);
    if (!f) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    int psi_set = 0;
    for (size_t i = 0; i < n; i++) {
        const AiaStore__V1__DriftFeatureOverride *o = rec->feature_overrides[i]->value;
        f[i].feature = rec->feature_overrides[i]->key;
        f[i].test = o ? o->test : NULL;
        f[i].threshold = o && o->threshold ? o->threshold->value : 0;
        if (!o || (o->bins == 0 && o->binning == 0)) continue;
        aia_psi_options p = {.bins = o->bins,
                             .binning = o->binning == AIA_STORE__V1__DRIFT_BINNING__DRIFT_BINNING_EQUAL_WIDTH
                                            ? AIA_PSI_EQUAL_WIDTH
                                            : AIA_PSI_QUANTILE};
        /* lib/drift bins every "psi" feature alike: per-feature bins that
         * differ are refused rather than silently unified. */
        if (psi_set && (p.bins != opt->psi.bins || p.binning != opt->psi.binning)) {
            aia_error_set(err, AIA_INVALID_ARGUMENT,
                          "feature_overrides[\"%s\"]: bins and binning must be the same for every feature that "
                          "sets them",
                          f[i].feature);
            free(f);
            return err->code;
        }
        opt->psi = p;
        psi_set = 1;
    }
    opt->features = f;
    opt->n_features = n;
    return AIA_OK;
}

void mon_options_free(aia_drift_options *opt)
{
    free((void *)opt->features);
    opt->features = NULL;
}

/* ---- the current window -------------------------------------------------- */

typedef struct window {
    aia_frame *frame;          /* owned, or NULL when `rows` is used */
    const aia_frame *rows;     /* what is checked */
    aia_predlog_window *log;   /* prediction log source */
    const char *uri;
} window;

static aia_status load_batch(aia_monitors *m, const aia_version_record *v, const mon_ref *r, const char *uri,
                             window *w, aia_error *err)
{
    aia_status st = mon_load_csv(m, v, "current_data_uri", uri, (const char *const *)r->features, r->n_features,
                                 &w->frame, NULL, err);
    w->rows = w->frame;
    w->uri = uri;
    return st;
}

static aia_status load_log(aia_monitors *m, const aia_drift_monitor_record *rec, const mon_ref *r, window *w,
                           aia_error *err)
{
    aia_predlog_schema_col *schema = calloc(r->n_features + 1, sizeof *schema);
    if (!schema) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < r->n_features; i++) schema[i] = (aia_predlog_schema_col){r->features[i], r->types[i]};
    aia_predlog_query q = {.data_dir = m->data_dir,
                           .model_id = rec->model_id,
                           .schema = schema,
                           .n_schema = r->n_features,
                           .version = r->version,
                           .max_rows = (size_t)rec->window_size,
                           .positive_label = r->positive_label};
    aia_status st = aia_predlog_read(&q, &w->log, err);
    free(schema);
    if (st != AIA_OK) return st;
    if (w->log->n_rows == 0)
        return aia_error_set(err, AIA_FAILED_PRECONDITION,
                             "the prediction log holds no predictions of %s@%d yet: send predictions, or give "
                             "current_data_uri or instances",
                             rec->model_id, r->version);
    w->rows = w->log->inputs;
    return AIA_OK;
}

static void window_free(window *w)
{
    aia_frame_free(w->frame);
    aia_predlog_window_free(w->log);
}

/* ---- prediction drift ---------------------------------------------------- */

/* The window's outputs as a frame "prediction" (and, for binary models,
 * each row's positive probability in *p_pos, malloc'd): the logged ones,
 * or the monitored version's predictions of a batch. */
static aia_status window_outputs(aia_monitors *m, const mon_ref *r, const char *model_id, const window *w,
                                 aia_frame **out, double **p_pos, aia_error *err)
{
    *out = NULL;
    *p_pos = NULL;
    size_t n = aia_frame_n_rows(w->rows);
    if (w->log) {
        aia_status st = aia_frame_create(n, "window predictions", out, err);
        if (st == AIA_OK)
            st = w->log->labels
                     ? aia_frame_add_categorical(*out, "prediction", (const char *const *)w->log->labels, err)
                     : aia_frame_add_numeric(*out, "prediction", w->log->values, NULL, err);
        if (st == AIA_OK && w->log->positive_probability) {
            if ((*p_pos = malloc((n ? n : 1) * sizeof **p_pos)))
                memcpy(*p_pos, w->log->positive_probability, n * sizeof **p_pos);
            else st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        }
        if (st != AIA_OK) {
            aia_frame_free(*out);
            *out = NULL;
        }
        return st;
    }
    aia_served *h = NULL;
    if (aia_serve_acquire_version(m->opt.serve, model_id, r->version, &h, err) != AIA_OK) return err->code;
    aia_status st = mon_predict_outputs(aia_served_model(h), w->rows, "batch predictions", 0, out, p_pos, err);
    aia_served_release(h);
    if (st != AIA_OK) aia_error_prefix(err, "predicting the batch for prediction drift");
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The decision threshold on the positive probability under which the
 * window's positive rate equals the reference's: the (1 - rate) quantile
 * of the window's probabilities. */
static double recommended_threshold(double *p, size_t n, double reference_rate)
{
    qsort(p, n, sizeof *p, cmp_double);
    if (reference_rate <= 0) return 1.0;
    if (reference_rate >= 1) return 0.0;
    size_t k = (size_t)floor((1.0 - reference_rate) * (double)n);
    if (k >= n) k = n - 1;
    return p[k];
}

static AiaStore__V1__FeatureType feature_type_out(aia_column_type t)
{
    switch (t) {
    case AIA_COLUMN_NUMERIC: return AIA_STORE__V1__FEATURE_TYPE__FEATURE_NUMERIC;
    case AIA_COLUMN_BOOLEAN: return AIA_STORE__V1__FEATURE_TYPE__FEATURE_BINARY;
    default: return AIA_STORE__V1__FEATURE_TYPE__FEATURE_CATEGORICAL;
    }
}

static AiaStore__V1__FeatureDrift *feature_out(aia_arena *a, const aia_drift_feature_result *f)
{
    AiaStore__V1__FeatureDrift *o = aia_arena_alloc(a, sizeof *o);
    aia_store__v1__feature_drift__init(o);
    o->name = aia_arena_strdup(a, f->name);
    o->test = aia_arena_strdup(a, f->test);
    o->statistic = f->statistic;
    if (!isnan(f->p_value)) {
        o->p_value = aia_arena_alloc(a, sizeof *o->p_value);
        aia_store__v1__double_value__init(o->p_value);
        o->p_value->value = f->p_value;
    }
    o->threshold = f->threshold;
    o->drifted = f->drifted != 0;
    o->feature_type = feature_type_out(f->type);
    o->reference_count = (int64_t)(f->ref_rows - f->ref_missing);
    o->current_count = (int64_t)(f->cur_rows - f->cur_missing);
    o->reference_missing = (int64_t)f->ref_missing;
    o->current_missing = (int64_t)f->cur_missing;
    return o;
}

/* *predict_ns: the time spent predicting the batch, which is not
 * statistics (compute_duration leaves it out). */
static aia_status prediction_drift(aia_monitors *m, const mon_ref *r, const char *model_id, const window *w,
                                   AiaStore__V1__DriftReport *rep, aia_arena *a, int64_t *predict_ns, aia_error *err)
{
    if (!r->outputs) return AIA_OK; /* the reference could not be predicted */
    aia_frame *outputs = NULL;
    double *p_pos = NULL;
    int64_t t0 = aia_time_mono_ns();
    if (window_outputs(m, r, model_id, w, &outputs, &p_pos, err) != AIA_OK) return err->code;
    *predict_ns = aia_time_mono_ns() - t0;
    aia_drift_report *pr = NULL;
    aia_status st = aia_drift_check(r->outputs, outputs, NULL, &pr, err);
    if (st == AIA_OK) {
        rep->prediction_drift = feature_out(a, &pr->features[0]);
        size_t n = aia_frame_n_rows(outputs);
        if (pr->features[0].drifted && p_pos && n > 0) {
            rep->recommended_decision_threshold = aia_arena_alloc(a, sizeof *rep->recommended_decision_threshold);
            aia_store__v1__double_value__init(rep->recommended_decision_threshold);
            rep->recommended_decision_threshold->value = recommended_threshold(p_pos, n, r->reference_positive_rate);
        }
    } else {
        aia_error_prefix(err, "prediction drift");
    }
    aia_drift_report_free(pr);
    aia_frame_free(outputs);
    free(p_pos);
    return st;
}

/* ---- the report ---------------------------------------------------------- */

static void add_kind(AiaStore__V1__DriftReport *rep, aia_arena *a, AiaStore__V1__DriftKind kind)
{
    AiaStore__V1__DriftKind *k = aia_arena_alloc(a, (rep->n_drift_kinds + 1) * sizeof *k);
    if (rep->n_drift_kinds) memcpy(k, rep->drift_kinds, rep->n_drift_kinds * sizeof *k);
    k[rep->n_drift_kinds++] = kind;
    rep->drift_kinds = k;
}

static AiaStore__V1__Time *time_out(aia_arena *a, int64_t ns)
{
    AiaStore__V1__Time *t = aia_arena_alloc(a, sizeof *t);
    mon_time_set(t, ns);
    return t;
}

static void fill_report(AiaStore__V1__DriftReport *rep, aia_arena *a, const aia_drift_monitor_record *rec,
                        const mon_ref *r, const window *w, const aia_drift_report *dr)
{
    char id[40];
    mon_new_id("dr-", id, sizeof id);
    rep->report_id = aia_arena_strdup(a, id);
    rep->monitor_id = rec->monitor_id;
    rep->model_id = rec->model_id;
    rep->model_version = r->version;
    rep->create_time = time_out(a, aia_time_now_ns());
    rep->dataset_drifted = dr->dataset_drifted != 0;
    rep->drifted_share = dr->drifted_share;
    rep->drift_share_threshold = dr->share_threshold;
    rep->features = aia_arena_alloc(a, (dr->n_features + 1) * sizeof *rep->features);
    for (size_t i = 0; i < dr->n_features; i++) rep->features[i] = feature_out(a, &dr->features[i]);
    rep->n_features = dr->n_features;
    rep->reference_rows = (int64_t)r->rows;
    rep->current_rows = (int64_t)aia_frame_n_rows(w->rows);
    if (w->log) {
        rep->source = AIA_STORE__V1__DRIFT_WINDOW_SOURCE__DRIFT_WINDOW_SOURCE_PREDICTION_LOG;
        rep->window_start_time = time_out(a, w->log->times_ns[0]);
        rep->window_end_time = time_out(a, w->log->times_ns[w->log->n_rows - 1]);
    } else {
        rep->source = AIA_STORE__V1__DRIFT_WINDOW_SOURCE__DRIFT_WINDOW_SOURCE_UPLOADED_BATCH;
        if (w->uri) rep->current_data_uri = aia_arena_strdup(a, w->uri);
    }
    if (dr->dataset_drifted) add_kind(rep, a, AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_DATA);
}

typedef struct check_ctx {
    aia_monitors *m;
    mon_state *st;
    const aia_drift_monitor_record *rec;
    aia_version_record *v;
    window w;
    aia_arena arena;
    AiaStore__V1__DriftReport rep;
    int live;         /* started by the poller, not by RunDriftCheck */
    int concept_only; /* a live window not full yet: too few rows for data and prediction verdicts */
    aia_predlog_window *labelled; /* predictions with ground truth (concept drift, retraining) */
    size_t *labelled_rows;
    char **labelled_truth;
    size_t n_labelled;
} check_ctx;

static aia_status compute(check_ctx *c, aia_error *err)
{
    aia_monitors *m = c->m;
    const mon_ref *r = c->st->ref;
    aia_drift_options opt;
    if (mon_options(c->rec, m->opt.check_threads, &opt, err) != AIA_OK) return err->code;
    int64_t t0 = aia_time_mono_ns();
    aia_drift_report *dr = NULL, none = {.share_threshold = c->rec->drift_share_threshold};
    aia_status st = c->concept_only ? AIA_OK : aia_drift_check(r->data, c->w.rows, &opt, &dr, err);
    mon_options_free(&opt);
    if (st != AIA_OK) {
        aia_error_prefix(err, "%s", c->w.log ? "prediction log window" : "current batch");
        return st;
    }
    fill_report(&c->rep, &c->arena, c->rec, r, &c->w, dr ? dr : &none);
    aia_drift_report_free(dr);
    int64_t predict_ns = 0;
    if (!c->concept_only &&
        prediction_drift(m, r, c->rec->model_id, &c->w, &c->rep, &c->arena, &predict_ns, err) != AIA_OK)
        return err->code;
    if (c->rep.prediction_drift && c->rep.prediction_drift->drifted)
        add_kind(&c->rep, &c->arena, AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_PREDICTION);
    if (mon_concept(m, c->rec, c->v, r, &c->arena, &c->rep.concept_drift, &c->labelled, &c->labelled_rows,
                    &c->labelled_truth, &c->n_labelled, err) != AIA_OK)
        return err->code;
    if (c->rep.concept_drift && c->rep.concept_drift->drifted)
        add_kind(&c->rep, &c->arena, AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_CONCEPT);
    int64_t took = aia_time_mono_ns() - t0 - predict_ns; /* statistics only: no loading, no model */
    c->rep.compute_duration = time_out(&c->arena, took);
    return AIA_OK;
}

static aia_status check_locked(check_ctx *c, const char *uri, const aia_frame *rows, int skip_actions,
                               aia_drift_report_record **out, aia_error *err)
{
    aia_monitors *m = c->m;
    int version = 0;
    if (mon_resolve_version(m, c->rec, &version, err) != AIA_OK) return err->code;
    if (mon_ref_ensure(m, c->st, c->rec, version, err) != AIA_OK) return err->code;
    if (aia_store_version_get(m->opt.store, c->rec->model_id, version, &c->v, err) != AIA_OK) return err->code;
    aia_status st;
    if (uri && *uri) st = load_batch(m, c->v, c->st->ref, uri, &c->w, err);
    else if (rows) {
        c->w.rows = rows;
        st = AIA_OK;
    } else st = load_log(m, c->rec, c->st->ref, &c->w, err);
    if (st != AIA_OK) return st;
    /* The poller also checks when ground truth arrives, possibly before a
     * window filled: a few rows would give data verdicts that are noise. */
    c->concept_only = c->live && c->w.log && c->w.log->n_rows < (size_t)c->rec->window_size;
    if (compute(c, err) != AIA_OK) return err->code;
    if (aia_store_drift_report_put(m->opt.store, &c->rep, err) != AIA_OK) return err->code;
    c->st->last_check_ns = aia_time_now_ns();
    if (c->w.log) c->st->log_pos = c->w.log->end;
    if (!skip_actions && c->rep.n_drift_kinds > 0)
        mon_act(m, c->st, c->rec, c->v, &c->rep, c->w.rows, c->labelled, c->labelled_rows, c->labelled_truth,
                c->n_labelled, &c->arena);
    if (out && !(*out = mon_record_dup(&c->rep.base)))
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    return AIA_OK;
}

aia_status mon_check(aia_monitors *m, mon_state *st, const aia_drift_monitor_record *rec, const char *uri,
                     const aia_frame *rows, int live, int skip_actions, aia_drift_report_record **out,
                     aia_error *err)
{
    check_ctx c;
    memset(&c, 0, sizeof c);
    c.live = live;
    c.m = m;
    c.st = st;
    c.rec = rec;
    aia_arena_init(&c.arena, 16384);
    aia_store__v1__drift_report__init(&c.rep);
    pthread_mutex_lock(&st->mu);
    aia_status s = check_locked(&c, uri, rows, skip_actions, out, err);
    pthread_mutex_unlock(&st->mu);
    window_free(&c.w);
    aia_predlog_window_free(c.labelled);
    aia_store_record_free(c.v);
    aia_arena_destroy(&c.arena);
    return s;
}

aia_status aia_monitors_check(aia_monitors *m, const char *monitor_id, const char *current_uri, const aia_frame *rows,
                              int skip_actions, aia_drift_report_record **out, aia_error *err)
{
    *out = NULL;
    if (!monitor_id || !*monitor_id) return aia_error_set(err, AIA_INVALID_ARGUMENT, "monitor_id: required");
    aia_drift_monitor_record *rec = NULL;
    if (aia_store_drift_monitor_get(m->opt.store, monitor_id, &rec, err) != AIA_OK) return err->code;
    mon_state *st = mon_state_get(m, rec->monitor_id, rec->model_id);
    aia_status s = st ? mon_check(m, st, rec, current_uri, rows, 0, skip_actions, out, err)
                      : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_store_record_free(rec);
    return s;
}
