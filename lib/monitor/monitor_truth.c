/* lib/monitor/monitor_truth.c — ground truth: outcomes matched to logged
 * predictions by id and stored for concept drift. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/monitor/monitor_internal.h"

#define MAX_UNMATCHED_IDS 100

static aia_status check_rows(const aia_ground_truth_record *const *rows, size_t n, int classification,
                             aia_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const aia_ground_truth_record *g = rows[i];
        if (!g || !g->prediction_id[0])
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "ground_truth[%zu].prediction_id: required", i);
        if (g->actual_case == AIA_STORE__V1__GROUND_TRUTH__ACTUAL__NOT_SET)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "ground_truth[%zu]: give label or value", i);
        if (classification && g->actual_case != AIA_STORE__V1__GROUND_TRUTH__ACTUAL_LABEL)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "ground_truth[%zu]: the model is a classifier: give label, not value", i);
        if (!classification && g->actual_case != AIA_STORE__V1__GROUND_TRUTH__ACTUAL_VALUE)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "ground_truth[%zu]: the model is a regressor: give value, not label", i);
        if (!classification && !isfinite(g->value))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "ground_truth[%zu].value: not a finite number", i);
    }
    return AIA_OK;
}

/* Whether the model's default version is a classifier. */
static aia_status model_kind(aia_monitors *m, const char *model_id, int *classification, aia_error *err)
{
    if (aia_store_check_id("model_id", model_id, err) != AIA_OK) return err->code;
    aia_drift_monitor_record probe;
    aia_store__v1__drift_monitor__init(&probe);
    probe.model_id = (char *)model_id;
    int version = 0;
    if (mon_resolve_version(m, &probe, &version, err) != AIA_OK) return err->code;
    aia_version_record *v = NULL;
    if (aia_store_version_get(m->opt.store, model_id, version, &v, err) != AIA_OK) return err->code;
    *classification = v->n_class_labels > 0;
    aia_store_record_free(v);
    return AIA_OK;
}

static void note_unmatched(const char *id, char **ids, size_t *n_ids)
{
    if (*n_ids >= MAX_UNMATCHED_IDS) return;
    char *copy = strdup(id);
    if (copy) ids[(*n_ids)++] = copy;
}

aia_status aia_monitors_ground_truth(aia_monitors *m, const char *model_id, const aia_ground_truth_record *const *rows,
                                     size_t n, int *accepted, int *unmatched, char ***unmatched_ids,
                                     size_t *n_unmatched_ids, aia_error *err)
{
    *accepted = *unmatched = 0;
    *unmatched_ids = NULL;
    *n_unmatched_ids = 0;
    int classification = 0;
    if (model_kind(m, model_id, &classification, err) != AIA_OK) return err->code;
    if (n == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "ground_truth: empty");
    if (check_rows(rows, n, classification, err) != AIA_OK) return err->code;
    const char **ids = malloc(n * sizeof *ids);
    int *found = calloc(n, sizeof *found);
    const aia_ground_truth_record **keep = malloc(n * sizeof *keep);
    char **missing = calloc(MAX_UNMATCHED_IDS, sizeof *missing);
    aia_predlog_window *w = NULL;
    aia_status st = ids && found && keep && missing ? AIA_OK : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "oom");
    for (size_t i = 0; st == AIA_OK && i < n; i++) ids[i] = rows[i]->prediction_id;
    /* The log is written off the request path: a prediction answered a
     * moment ago may still be queued. Flush first, so an outcome posted
     * right after its prediction is matched, not reported unmatched. */
    if (st == AIA_OK) aia_serve_log_flush(m->opt.serve);
    if (st == AIA_OK) st = aia_predlog_find(m->data_dir, model_id, NULL, 0, ids, n, found, &w, err);
    size_t k = 0;
    for (size_t i = 0; st == AIA_OK && i < n; i++) {
        if (found[i]) keep[k++] = rows[i];
        else note_unmatched(ids[i], missing, n_unmatched_ids);
    }
    if (st == AIA_OK && k > 0) st = aia_store_ground_truth_put(m->opt.store, model_id, keep, k, err);
    if (st == AIA_OK) {
        *accepted = (int)k;
        *unmatched = (int)(n - k);
        *unmatched_ids = missing;
        missing = NULL;
        pthread_mutex_lock(&m->mu);
        if (k > 0) m->wake = 1; /* never clear a wake the poller has not seen */
        pthread_cond_broadcast(&m->cv);
        pthread_mutex_unlock(&m->mu);
    }
    if (missing)
        for (size_t i = 0; i < *n_unmatched_ids; i++) free(missing[i]);
    if (st != AIA_OK) *n_unmatched_ids = 0;
    free(missing);
    aia_predlog_window_free(w);
    free(ids);
    free(found);
    free(keep);
    return st;
}
