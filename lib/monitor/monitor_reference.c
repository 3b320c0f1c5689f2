/* lib/monitor/monitor_reference.c — which version a monitor checks, and
 * its reference: read once, prepared once (lib/drift sorts the numeric
 * columns), predicted once for the prediction-drift reference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/data/csv.h"
#include "lib/monitor/monitor_internal.h"
#include "lib/train/train.h"

aia_status mon_resolve_version(aia_monitors *m, const aia_drift_monitor_record *rec, int *version, aia_error *err)
{
    if (rec->model_version > 0) {
        *version = rec->model_version;
        return AIA_OK;
    }
    aia_error ignored;
    if (aia_store_alias_get(m->opt.store, rec->model_id, "production", version, &ignored) == AIA_OK) return AIA_OK;
    return aia_store_version_latest(m->opt.store, rec->model_id, version, err);
}

aia_column_type mon_feature_type(const aia_version_record *v, const char *name)
{
    const AiaStore__V1__Lineage *l = v->lineage;
    for (size_t i = 0; l && i < l->n_features; i++) {
        if (strcmp(l->features[i]->name, name) != 0) continue;
        switch (l->features[i]->type) {
        case AIA_STORE__V1__FEATURE_TYPE__FEATURE_NUMERIC: return AIA_COLUMN_NUMERIC;
        case AIA_STORE__V1__FEATURE_TYPE__FEATURE_BINARY: return AIA_COLUMN_BOOLEAN;
        default: return AIA_COLUMN_CATEGORICAL;
        }
    }
    return 0;
}

static aia_csv_schema_entry *csv_schema(const aia_version_record *v, size_t *n)
{
    const AiaStore__V1__Lineage *l = v->lineage;
    size_t k = l ? l->n_features : 0;
    aia_csv_schema_entry *s = calloc(k + 2, sizeof *s);
    if (!s) return NULL;
    *n = 0;
    for (size_t i = 0; i < k; i++) {
        s[*n].column = l->features[i]->name;
        s[(*n)++].type = mon_feature_type(v, l->features[i]->name);
    }
    /* Class labels are the file's own words, as training read them. */
    if (l && l->target_column[0] && v->n_class_labels > 0) {
        s[*n].column = l->target_column;
        s[(*n)++].type = AIA_COLUMN_CATEGORICAL;
    }
    return s;
}

aia_status mon_load_csv(aia_monitors *m, const aia_version_record *v, const char *field, const char *uri,
                        const char *const *required, size_t n_required, aia_frame **out, char sha256[65],
                        aia_error *err)
{
    size_t n_schema = 0;
    aia_csv_schema_entry *schema = csv_schema(v, &n_schema);
    if (!schema) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    char scratch[4096];
    snprintf(scratch, sizeof scratch, "%s/drift/tmp", m->data_dir);
    aia_train_options to = {.scratch_dir = scratch, .threads = 1};
    aia_status st = aia_train_load_csv(field, uri, &to, schema, n_schema, required, n_required, out, sha256, err);
    free(schema);
    return st;
}

void mon_ref_free(mon_ref *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_features; i++) free(r->features[i]);
    free(r->features);
    free(r->types);
    aia_drift_reference_free(r->data);
    aia_drift_reference_free(r->outputs);
    free(r->positive_label);
    free(r);
}

aia_status mon_predict_outputs(const aia_model *model, const aia_frame *f, const char *source, int lenient,
                               aia_frame **out, double **p_pos, aia_error *err)
{
    *out = NULL;
    *p_pos = NULL;
    size_t n = aia_frame_n_rows(f);
    int k = aia_model_n_outputs(model);
    double *p = malloc((n ? n : 1) * (size_t)k * sizeof *p);
    if (!p) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_error perr;
    aia_status st = aia_model_predict_frame(model, f, p, &perr);
    if (st != AIA_OK) {
        free(p);
        if (lenient) return AIA_OK; /* e.g. a reference without every model input */
        *err = perr;
        return st;
    }
    st = aia_frame_create(n, source, out, err);
    if (st == AIA_OK && aia_model_task(model) == AIA_TASK_REGRESSION) {
        st = aia_frame_add_numeric(*out, "prediction", p, NULL, err);
    } else if (st == AIA_OK) {
        const char **cells = malloc((n ? n : 1) * sizeof *cells);
        if (k == 2) *p_pos = malloc((n ? n : 1) * sizeof **p_pos);
        for (size_t i = 0; cells && i < n; i++) {
            int best = 0;
            for (int c = 1; c < k; c++)
                if (p[i * (size_t)k + c] > p[i * (size_t)k + best]) best = c;
            cells[i] = aia_model_class_label(model, best);
            if (*p_pos) (*p_pos)[i] = p[i * 2 + 1];
        }
        st = cells && (k != 2 || *p_pos) ? aia_frame_add_categorical(*out, "prediction", cells, err)
                                         : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        free(cells);
    }
    free(p);
    if (st != AIA_OK) {
        aia_frame_free(*out);
        *out = NULL;
        free(*p_pos);
        *p_pos = NULL;
    }
    return st;
}

/* The reference's outputs, and for a binary model its positive label and
 * the share of rows predicted positive (p >= 0.5). */
static aia_status reference_outputs(const aia_model *model, const aia_frame *f, mon_ref *r, aia_frame **out,
                                    aia_error *err)
{
    double *p_pos = NULL;
    if (mon_predict_outputs(model, f, "reference predictions", 1, out, &p_pos, err) != AIA_OK) return err->code;
    if (p_pos) {
        size_t n = aia_frame_n_rows(f), positive = 0;
        for (size_t i = 0; i < n; i++) positive += p_pos[i] >= 0.5;
        r->reference_positive_rate = n ? (double)positive / (double)n : 0;
        if (!(r->positive_label = strdup(aia_model_class_label(model, 1)))) {
            free(p_pos);
            aia_frame_free(*out);
            *out = NULL;
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        }
    }
    free(p_pos);
    return AIA_OK;
}

aia_status mon_feature_schema(const aia_drift_monitor_record *rec, const aia_version_record *v, char ***names,
                              aia_column_type **types, size_t *n, aia_error *err)
{
    size_t k = rec->n_feature_columns;
    *n = 0;
    *names = calloc(k + 1, sizeof **names);
    *types = calloc(k + 1, sizeof **types);
    if (!*names || !*types) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < k; i++) {
        (*types)[i] = mon_feature_type(v, rec->feature_columns[i]);
        if (!(*types)[i])
            return aia_error_set(err, AIA_FAILED_PRECONDITION,
                                 "feature %s is not an input of %s@%d: set the monitor up again for this version",
                                 rec->feature_columns[i], v->model_id, v->version);
        if (!((*names)[i] = strdup(rec->feature_columns[i])))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        *n = i + 1;
    }
    return AIA_OK;
}

/* Reads the reference and prepares both its features and its outputs. */
static aia_status load_ref(aia_monitors *m, const aia_drift_monitor_record *rec, const aia_version_record *v,
                           mon_ref *r, aia_error *err)
{
    if (mon_feature_schema(rec, v, &r->features, &r->types, &r->n_features, err) != AIA_OK) return err->code;
    aia_frame *f = NULL;
    aia_status st = mon_load_csv(m, v, "reference_data_uri", rec->reference_data_uri,
                                 (const char *const *)r->features, r->n_features, &f, r->sha256, err);
    if (st != AIA_OK) return st;
    r->rows = aia_frame_n_rows(f);
    st = aia_drift_reference_create(f, (const char *const *)r->features, r->n_features, m->opt.check_threads,
                                    &r->data, err);
    if (st != AIA_OK) aia_error_prefix(err, "reference_data_uri %s", rec->reference_data_uri);
    aia_served *h = NULL;
    if (st == AIA_OK) st = aia_serve_acquire_version(m->opt.serve, v->model_id, v->version, &h, err);
    aia_frame *outputs = NULL;
    if (st == AIA_OK) {
        r->task = aia_model_task(aia_served_model(h));
        st = reference_outputs(aia_served_model(h), f, r, &outputs, err);
    }
    static const char *const prediction[] = {"prediction"};
    if (st == AIA_OK && outputs) st = aia_drift_reference_create(outputs, prediction, 1, 1, &r->outputs, err);
    aia_frame_free(outputs);
    if (h) aia_served_release(h);
    aia_frame_free(f);
    return st;
}

aia_status mon_ref_ensure(aia_monitors *m, mon_state *st, const aia_drift_monitor_record *rec, int version,
                          aia_error *err)
{
    if (st->ref && st->ref->version == version) return AIA_OK;
    aia_version_record *v = NULL;
    if (aia_store_version_get(m->opt.store, rec->model_id, version, &v, err) != AIA_OK) return err->code;
    mon_ref *r = calloc(1, sizeof *r);
    aia_status s = r ? load_ref(m, rec, v, r, err) : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_store_record_free(v);
    if (s != AIA_OK) {
        mon_ref_free(r);
        return s;
    }
    r->version = version;
    mon_ref_free(st->ref);
    st->ref = r;
    return AIA_OK;
}
