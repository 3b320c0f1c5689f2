/* lib/monitor/monitor_concept.c — concept drift: the model's metric on the
 * logged predictions that have ground truth, against the version's
 * validation value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/monitor/monitor_internal.h"

/* Metrics lineage records (lib/train) that can be computed from a
 * predicted label or value and the truth alone. */
typedef struct concept_metric {
    const char *name;
    aia_task task;
    int maximize;
} concept_metric;

static const concept_metric METRICS[] = {
    {"accuracy", AIA_TASK_CLASSIFICATION, 1},
    {"rmse", AIA_TASK_REGRESSION, 0},
    {"mae", AIA_TASK_REGRESSION, 0},
    {"r2", AIA_TASK_REGRESSION, 1},
};

static const concept_metric *metric_find(const char *name, aia_task task)
{
    for (size_t i = 0; i < sizeof METRICS / sizeof METRICS[0]; i++)
        if (strcmp(METRICS[i].name, name) == 0 && METRICS[i].task == task) return &METRICS[i];
    return NULL;
}

int mon_concept_metric_known(const char *name, aia_task task)
{
    return metric_find(name, task) != NULL;
}

const char *mon_concept_metric_default(aia_task task)
{
    return task == AIA_TASK_REGRESSION ? "r2" : "accuracy";
}

static double metric_value(const concept_metric *mt, const aia_predlog_window *w, const size_t *rows,
                           AiaStore__V1__GroundTruth **truth, size_t n)
{
    if (mt->task == AIA_TASK_CLASSIFICATION) {
        size_t hit = 0;
        for (size_t i = 0; i < n; i++) hit += strcmp(w->labels[rows[i]], truth[rows[i]]->label) == 0;
        return (double)hit / (double)n;
    }
    double se = 0, ae = 0, mean = 0, ss = 0;
    for (size_t i = 0; i < n; i++) mean += truth[rows[i]]->value;
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double y = truth[rows[i]]->value, d = w->values[rows[i]] - y;
        se += d * d;
        ae += fabs(d);
        ss += (y - mean) * (y - mean);
    }
    if (strcmp(mt->name, "rmse") == 0) return sqrt(se / (double)n);
    if (strcmp(mt->name, "mae") == 0) return ae / (double)n;
    return ss > 0 ? 1.0 - se / ss : (se == 0 ? 1.0 : 0.0); /* r2; a constant truth has none, as sklearn's 0/1 */
}

static int usable(const aia_predlog_window *w, size_t i, const AiaStore__V1__GroundTruth *g, int version)
{
    if (!g || w->versions[i] != version) return 0; /* not logged (any more), or another version's */
    if (w->labels) return w->labels[i] && g->actual_case == AIA_STORE__V1__GROUND_TRUTH__ACTUAL_LABEL;
    return w->values && g->actual_case == AIA_STORE__V1__GROUND_TRUTH__ACTUAL_VALUE && isfinite(g->value) &&
           isfinite(w->values[i]);
}

static double baseline_of(const aia_version_record *v, const char *metric, int *found)
{
    const AiaStore__V1__Lineage *l = v->lineage;
    *found = 0;
    for (size_t i = 0; l && i < l->n_validation_metrics; i++)
        if (strcmp(l->validation_metrics[i]->key, metric) == 0) {
            *found = 1;
            return l->validation_metrics[i]->value;
        }
    return NAN;
}

static void collect(const aia_predlog_window *w, AiaStore__V1__GroundTruth **truth, int version, aia_arena *a,
                    size_t **rows_out, char ***text_out, size_t *n_out)
{
    size_t n = 0;
    size_t *rows = aia_arena_alloc(a, (w->n_rows + 1) * sizeof *rows);
    char **text = aia_arena_alloc(a, (w->n_rows + 1) * sizeof *text);
    for (size_t i = 0; i < w->n_rows; i++) {
        if (!usable(w, i, truth[i], version)) continue;
        rows[n] = i;
        text[n++] = w->labels ? aia_arena_strdup(a, truth[i]->label) : aia_arena_printf(a, "%.17g", truth[i]->value);
    }
    *rows_out = rows;
    *text_out = text;
    *n_out = n;
}

/* The latest window_size outcomes of the model and the logged predictions
 * they judge (found by id in the prediction log). */
static aia_status labelled_window(aia_monitors *m, const aia_drift_monitor_record *rec, const mon_ref *r,
                                  aia_ground_truth_record ***truth, size_t *n, aia_predlog_window **w,
                                  aia_error *err)
{
    if (aia_store_ground_truth_recent(m->opt.store, rec->model_id, (size_t)rec->window_size, truth, n, err) != AIA_OK)
        return err->code;
    const char **ids = malloc((*n + 1) * sizeof *ids);
    int *found = calloc(*n + 1, sizeof *found);
    aia_predlog_schema_col *schema = calloc(r->n_features + 1, sizeof *schema);
    aia_status st = ids && found && schema ? AIA_OK : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; st == AIA_OK && i < *n; i++) ids[i] = (*truth)[i]->prediction_id;
    for (size_t i = 0; st == AIA_OK && i < r->n_features; i++)
        schema[i] = (aia_predlog_schema_col){r->features[i], r->types[i]};
    if (st == AIA_OK)
        st = aia_predlog_find(m->data_dir, rec->model_id, schema, r->n_features, ids, *n, found, w, err);
    free(ids);
    free(found);
    free(schema);
    return st;
}

aia_status mon_concept(aia_monitors *m, const aia_drift_monitor_record *rec, const aia_version_record *v,
                       const mon_ref *r, aia_arena *a, AiaStore__V1__ConceptDrift **out, aia_predlog_window **w,
                       size_t **labelled_rows, char ***labelled_truth, size_t *n_labelled, aia_error *err)
{
    *out = NULL;
    *w = NULL;
    *n_labelled = 0;
    aia_ground_truth_record **truth = NULL;
    size_t n = 0;
    aia_status st = labelled_window(m, rec, r, &truth, &n, w, err);
    if (st == AIA_OK) collect(*w, truth, r->version, a, labelled_rows, labelled_truth, n_labelled);
    aia_task task = r->task;
    const char *name = rec->concept_drift_metric[0] ? rec->concept_drift_metric : mon_concept_metric_default(task);
    const concept_metric *mt = metric_find(name, task);
    int found = 0;
    double baseline = mt ? baseline_of(v, name, &found) : NAN;
    if (st == AIA_OK && mt && found && *n_labelled >= (size_t)m->opt.min_labelled_rows) {
        AiaStore__V1__ConceptDrift *c = aia_arena_alloc(a, sizeof *c);
        aia_store__v1__concept_drift__init(c);
        c->metric = aia_arena_strdup(a, name);
        c->baseline_value = baseline;
        c->current_value = metric_value(mt, *w, *labelled_rows, truth, *n_labelled);
        c->tolerance = rec->concept_drift_tolerance;
        double drop = mt->maximize ? baseline - c->current_value : c->current_value - baseline;
        c->drifted = drop > c->tolerance;
        c->labelled_rows = (int64_t)*n_labelled;
        *out = c;
    }
    aia_store_records_free((void **)truth, n);
    return st;
}
