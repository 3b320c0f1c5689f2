/* lib/monitor/monitor_setup.c — creating a monitor: every field checked,
 * defaults filled, the reference read and prepared before anything is
 * stored, so a stored monitor can always run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/monitor/monitor_internal.h"

#define MAX_WINDOW_SIZE 10000000
#define MIN_CHECK_INTERVAL_NS 1000000000LL
#define MAX_DURATION_S (366LL * 86400) /* check interval, cooldown: far inside int64 ns */

typedef struct setup_ctx {
    aia_monitors *m;
    const aia_drift_monitor_record *spec;
    aia_drift_monitor_record rec; /* what is stored; pointers into spec, v and the arena */
    aia_version_record *v;
    aia_task task;
    aia_arena arena;
} setup_ctx;

static aia_status check_features(setup_ctx *c, aia_error *err)
{
    const AiaStore__V1__Lineage *l = c->v->lineage;
    if (c->spec->n_feature_columns == 0) { /* all of the model's features */
        c->rec.feature_columns = aia_arena_alloc(&c->arena, (l->n_features + 1) * sizeof(char *));
        for (size_t i = 0; i < l->n_features; i++) c->rec.feature_columns[i] = l->features[i]->name;
        c->rec.n_feature_columns = l->n_features;
        return AIA_OK;
    }
    for (size_t i = 0; i < c->spec->n_feature_columns; i++) {
        const char *f = c->spec->feature_columns[i];
        if (!mon_feature_type(c->v, f)) {
            aia_strbuf sb;
            aia_strbuf_init(&sb);
            for (size_t j = 0; j < l->n_features; j++) aia_strbuf_printf(&sb, "%s%s", j ? ", " : "", l->features[j]->name);
            aia_error_set(err, AIA_INVALID_ARGUMENT, "feature_columns[%zu]: \"%s\" is not a feature of %s@%d (features: %s)",
                          i, f, c->v->model_id, c->v->version, sb.oom ? "?" : sb.data);
            aia_strbuf_free(&sb);
            return err->code;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(c->spec->feature_columns[j], f) == 0)
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "feature_columns[%zu]: \"%s\" is named twice", i, f);
    }
    c->rec.feature_columns = c->spec->feature_columns;
    c->rec.n_feature_columns = c->spec->n_feature_columns;
    return AIA_OK;
}

static int monitored(const setup_ctx *c, const char *name)
{
    for (size_t i = 0; i < c->rec.n_feature_columns; i++)
        if (strcmp(c->rec.feature_columns[i], name) == 0) return 1;
    return 0;
}

/* Tests that fit a column type (lib/drift/report.h); "z_test" also needs a
 * binary column, which lib/drift checks on the data. */
static int test_fits(const char *test, aia_column_type type)
{
    static const char *const numeric[] = {"ks", "psi", "wasserstein_normed"};
    static const char *const categorical[] = {"chi_square", "jensen_shannon", "l_infinity", "z_test"};
    const char *const *list = type == AIA_COLUMN_NUMERIC ? numeric : categorical;
    size_t n = type == AIA_COLUMN_NUMERIC ? 3 : 4;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], test) == 0) return 1;
    return 0;
}

static aia_status check_overrides(setup_ctx *c, aia_error *err)
{
    for (size_t i = 0; i < c->spec->n_feature_overrides; i++) {
        const char *f = c->spec->feature_overrides[i]->key;
        const AiaStore__V1__DriftFeatureOverride *o = c->spec->feature_overrides[i]->value;
        if (!monitored(c, f))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "feature_overrides[\"%s\"]: not one of the monitored feature_columns", f);
        if (!o) continue;
        aia_column_type t = mon_feature_type(c->v, f);
        if (o->test[0] && !test_fits(o->test, t))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "feature_overrides[\"%s\"].test: \"%s\" does not fit a %s column (numeric: ks, psi, "
                                 "wasserstein_normed; categorical and binary: chi_square, jensen_shannon, "
                                 "l_infinity, z_test)",
                                 f, o->test, aia_column_type_name(t));
        if (o->threshold && (!isfinite(o->threshold->value) || o->threshold->value <= 0))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "feature_overrides[\"%s\"].threshold: %g is not a positive finite number", f,
                                 o->threshold->value);
        if (o->bins < 0 || o->bins > AIA_PSI_MAX_BINS)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "feature_overrides[\"%s\"].bins: %d is outside 0..%d", f,
                                 o->bins, AIA_PSI_MAX_BINS);
        AiaStore__V1__FeatureType want = t == AIA_COLUMN_NUMERIC   ? AIA_STORE__V1__FEATURE_TYPE__FEATURE_NUMERIC
                                         : t == AIA_COLUMN_BOOLEAN ? AIA_STORE__V1__FEATURE_TYPE__FEATURE_BINARY
                                                                   : AIA_STORE__V1__FEATURE_TYPE__FEATURE_CATEGORICAL;
        if (o->feature_type && o->feature_type != want)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "feature_overrides[\"%s\"].feature_type: the model reads this column as %s; a "
                                 "monitor cannot change a column's type",
                                 f, aia_column_type_name(t));
    }
    c->rec.feature_overrides = c->spec->feature_overrides;
    c->rec.n_feature_overrides = c->spec->n_feature_overrides;
    aia_drift_options opt; /* also refuses psi bins that differ between features */
    if (mon_options(&c->rec, 1, &opt, err) != AIA_OK) return err->code;
    mon_options_free(&opt);
    return AIA_OK;
}

static aia_status check_action_list(const char *field, const AiaStore__V1__DriftAction *list, size_t n, aia_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] != AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_NONE &&
            list[i] != AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_RETRAIN &&
            list[i] != AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_REFIT_PREPROCESSING)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "actions.%s[%zu]: unknown or unspecified action %d", field,
                                 i, (int)list[i]);
    }
    return AIA_OK;
}

/* An empty list gets the default: retrain on concept drift, alert only on
 * the others. */
static void default_list(aia_arena *a, AiaStore__V1__DriftAction **list, size_t *n, AiaStore__V1__DriftAction dflt)
{
    if (*n) return;
    *list = aia_arena_alloc(a, sizeof **list);
    (*list)[0] = dflt;
    *n = 1;
}

static aia_status check_actions(setup_ctx *c, aia_error *err)
{
    AiaStore__V1__DriftActions *a = aia_arena_alloc(&c->arena, sizeof *a);
    aia_store__v1__drift_actions__init(a);
    if (c->spec->actions) *a = *c->spec->actions;
    if (check_action_list("on_data_drift", a->on_data_drift, a->n_on_data_drift, err) != AIA_OK ||
        check_action_list("on_concept_drift", a->on_concept_drift, a->n_on_concept_drift, err) != AIA_OK ||
        check_action_list("on_prediction_drift", a->on_prediction_drift, a->n_on_prediction_drift, err) != AIA_OK)
        return err->code;
    default_list(&c->arena, &a->on_data_drift, &a->n_on_data_drift, AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_NONE);
    default_list(&c->arena, &a->on_concept_drift, &a->n_on_concept_drift,
                 AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_RETRAIN);
    default_list(&c->arena, &a->on_prediction_drift, &a->n_on_prediction_drift,
                 AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_NONE);
    for (size_t i = 0; i < a->n_webhook_urls; i++)
        if (aia_webhook_check_url(a->webhook_urls[i], err) != AIA_OK) {
            aia_error_prefix(err, "actions.webhook_urls[%zu]", i);
            return err->code;
        }
    if (a->cooldown && (a->cooldown->seconds < 0 || a->cooldown->nanos < 0 || a->cooldown->seconds > MAX_DURATION_S))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "actions.cooldown: between 0 and 366 days (or absent)");
    if (!a->cooldown) {
        a->cooldown = aia_arena_alloc(&c->arena, sizeof *a->cooldown);
        mon_time_set(a->cooldown, c->m->opt.default_cooldown_ms * 1000000);
    }
    c->rec.actions = a;
    return AIA_OK;
}

static aia_status check_numbers(setup_ctx *c, aia_error *err)
{
    const aia_drift_monitor_record *s = c->spec;
    if (s->window_size < 0 || s->window_size > MAX_WINDOW_SIZE)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "window_size: %d is outside 0..%d (0 = %d)", s->window_size,
                             MAX_WINDOW_SIZE, c->m->opt.default_window_size);
    c->rec.window_size = s->window_size ? s->window_size : c->m->opt.default_window_size;
    if (s->check_interval && (s->check_interval->seconds > MAX_DURATION_S || s->check_interval->seconds < 0 ||
                              mon_time_ns(s->check_interval) < MIN_CHECK_INTERVAL_NS))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "check_interval: between 1s and 366 days (or absent)");
    c->rec.check_interval = s->check_interval;
    if (!isfinite(s->drift_share_threshold) || s->drift_share_threshold < 0 || s->drift_share_threshold >= 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift_share_threshold: %g is outside [0, 1) (0 = 0.5)",
                             s->drift_share_threshold);
    c->rec.drift_share_threshold = s->drift_share_threshold ? s->drift_share_threshold : AIA_DRIFT_SHARE_THRESHOLD;
    c->rec.concept_drift_metric =
        s->concept_drift_metric[0] ? s->concept_drift_metric : (char *)mon_concept_metric_default(c->task);
    if (!mon_concept_metric_known(c->rec.concept_drift_metric, c->task))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "concept_drift_metric: \"%s\" is not a metric of a %s model (%s)",
                             c->rec.concept_drift_metric,
                             c->task == AIA_TASK_REGRESSION ? "regression" : "classification",
                             c->task == AIA_TASK_REGRESSION ? "rmse, mae, r2" : "accuracy");
    if (!isfinite(s->concept_drift_tolerance) || s->concept_drift_tolerance < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "concept_drift_tolerance: %g is not a finite number >= 0",
                             s->concept_drift_tolerance);
    c->rec.concept_drift_tolerance =
        s->concept_drift_tolerance ? s->concept_drift_tolerance : c->m->opt.default_concept_tolerance;
    return AIA_OK;
}

static aia_status resolve_model(setup_ctx *c, aia_error *err)
{
    const aia_drift_monitor_record *s = c->spec;
    if (aia_store_check_id("model_id", s->model_id, err) != AIA_OK) return err->code;
    if (s->model_version < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model_version: %d is negative (0 = follow the model)",
                             s->model_version);
    aia_model_record *model = NULL;
    if (aia_store_model_get(c->m->opt.store, s->model_id, 0, &model, err) != AIA_OK) return err->code;
    aia_store_record_free(model);
    int version = 0;
    if (mon_resolve_version(c->m, s, &version, err) != AIA_OK) return err->code;
    if (aia_store_version_get(c->m->opt.store, s->model_id, version, &c->v, err) != AIA_OK) return err->code;
    if (c->v->state == AIA_STORE__V1__VERSION_STATE__VERSION_DELETED)
        return aia_error_set(err, AIA_FAILED_PRECONDITION, "%s@%d is deleted", s->model_id, version);
    if (!c->v->lineage) return aia_error_set(err, AIA_FAILED_PRECONDITION, "%s@%d has no lineage", s->model_id, version);
    c->task = c->v->n_class_labels ? AIA_TASK_CLASSIFICATION : AIA_TASK_REGRESSION;
    c->rec.model_id = s->model_id;
    c->rec.model_version = s->model_version;
    c->rec.reference_data_uri =
        s->reference_data_uri[0] ? s->reference_data_uri : c->v->lineage->training_data_uri;
    if (!c->rec.reference_data_uri[0])
        return aia_error_set(err, AIA_FAILED_PRECONDITION,
                             "reference_data_uri: empty, and %s@%d records no training data to default to",
                             s->model_id, version);
    return AIA_OK;
}

/* Reads and prepares the reference into a state that becomes the
 * monitor's once it is stored. */
static aia_status finish(setup_ctx *c, aia_drift_monitor_record **out, aia_error *err)
{
    char id[40];
    mon_new_id("dm-", id, sizeof id);
    c->rec.monitor_id = id;
    c->rec.labels = c->spec->labels;
    c->rec.n_labels = c->spec->n_labels;
    c->rec.state = AIA_STORE__V1__DRIFT_MONITOR_STATE__DRIFT_MONITOR_STATE_ACTIVE;
    mon_state *st = mon_state_get(c->m, id, c->rec.model_id);
    if (!st) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    pthread_mutex_lock(&st->mu);
    aia_status s = mon_ref_ensure(c->m, st, &c->rec, c->v->version, err);
    if (s == AIA_OK) {
        c->rec.reference_rows = (int64_t)st->ref->rows;
        c->rec.reference_data_sha256 = st->ref->sha256;
        AiaStore__V1__Time now;
        mon_time_set(&now, aia_time_now_ns());
        c->rec.create_time = c->rec.update_time = &now;
        s = aia_store_drift_monitor_create(c->m->opt.store, &c->rec, err);
        if (s == AIA_OK) mon_mark_seen(c->m, st);
        if (s == AIA_OK && !(*out = mon_record_dup(&c->rec.base)))
            s = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        c->rec.create_time = c->rec.update_time = NULL;
        c->rec.reference_data_sha256 = NULL;
    }
    pthread_mutex_unlock(&st->mu);
    c->rec.monitor_id = NULL;
    return s;
}

aia_status aia_monitors_setup(aia_monitors *m, const aia_drift_monitor_record *spec, aia_drift_monitor_record **out,
                              aia_error *err)
{
    *out = NULL;
    setup_ctx c = {.m = m, .spec = spec};
    aia_store__v1__drift_monitor__init(&c.rec);
    aia_arena_init(&c.arena, 4096);
    aia_status s = resolve_model(&c, err);
    if (s == AIA_OK) s = check_features(&c, err);
    if (s == AIA_OK) s = check_overrides(&c, err);
    if (s == AIA_OK) s = check_numbers(&c, err);
    if (s == AIA_OK) s = check_actions(&c, err);
    if (s == AIA_OK) s = finish(&c, out, err);
    aia_store_record_free(c.v);
    aia_arena_destroy(&c.arena);
    return s;
}
