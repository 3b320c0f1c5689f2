/* lib/monitor/monitor_retrain.c — the retraining a drift report submits:
 * the version's own recipe (algorithm, hyperparameters, features, target,
 * seed) on its reference data plus the window's predictions that have
 * ground truth, written as one CSV under <data_dir>/drift/retrain/, with
 * trigger DRIFT and trigger_id = the report, so the new version's lineage
 * names the report. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/monitor/monitor_internal.h"

static void put_text(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n") && s[0] != ' ') {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Cell `row` of column `col` of `fr` as CSV text; missing = empty. */
static void put_cell(FILE *f, const aia_frame *fr, size_t col, size_t row)
{
    if (aia_frame_is_missing(fr, col, row)) return;
    const aia_column *c = aia_frame_column(fr, col);
    if (c->type == AIA_COLUMN_NUMERIC) fprintf(f, "%.17g", c->numeric[row]);
    else if (c->type == AIA_COLUMN_BOOLEAN) fputs(c->boolean[row] ? "true" : "false", f);
    else put_text(f, c->dictionary[c->codes[row]]);
}

typedef struct retrain_data {
    const AiaStore__V1__Lineage *l;
    const aia_frame *reference;     /* has every feature and the target */
    const aia_predlog_window *w;    /* labelled rows come from here */
    const size_t *rows;
    char *const *truth;
    size_t n;
} retrain_data;

/* Columns of `fr` for the lineage's features then the target; SIZE_MAX
 * where fr lacks one. */
static void column_map(const retrain_data *d, const aia_frame *fr, size_t *cols)
{
    for (size_t j = 0; j <= d->l->n_features; j++) {
        const char *name = j < d->l->n_features ? d->l->features[j]->name : d->l->target_column;
        if (aia_frame_find(fr, name, &cols[j], NULL) != AIA_OK) cols[j] = (size_t)-1;
    }
}

static aia_status write_csv(const char *path, const retrain_data *d, aia_error *err)
{
    size_t k = d->l->n_features;
    size_t *ref_cols = calloc(k + 1, sizeof *ref_cols), *win_cols = calloc(k + 1, sizeof *win_cols);
    FILE *f = ref_cols && win_cols ? fopen(path, "w") : NULL;
    if (!f) {
        free(ref_cols);
        free(win_cols);
        return aia_error_set(err, AIA_INTERNAL, "cannot write %s: %s", path, strerror(errno));
    }
    column_map(d, d->reference, ref_cols);
    if (d->w->inputs) column_map(d, d->w->inputs, win_cols);
    for (size_t j = 0; j <= k; j++) {
        if (j) fputc(',', f);
        put_text(f, j < k ? d->l->features[j]->name : d->l->target_column);
    }
    fputc('\n', f);
    for (size_t r = 0; r < aia_frame_n_rows(d->reference); r++) {
        for (size_t j = 0; j <= k; j++) {
            if (j) fputc(',', f);
            if (ref_cols[j] != (size_t)-1) put_cell(f, d->reference, ref_cols[j], r);
        }
        fputc('\n', f);
    }
    for (size_t i = 0; i < d->n; i++) { /* unmonitored features are missing in the log window */
        for (size_t j = 0; j < k; j++) {
            if (j) fputc(',', f);
            if (win_cols[j] != (size_t)-1) put_cell(f, d->w->inputs, win_cols[j], d->rows[i]);
        }
        fputc(',', f);
        put_text(f, d->truth[i]);
        fputc('\n', f);
    }
    free(ref_cols);
    free(win_cols);
    if (fclose(f) != 0) return aia_error_set(err, AIA_INTERNAL, "cannot write %s: %s", path, strerror(errno));
    return AIA_OK;
}

/* The reference if it has the target column, else the version's training
 * data. */
static aia_status load_base(aia_monitors *m, const aia_drift_monitor_record *rec, const aia_version_record *v,
                            aia_frame **out, aia_error *err)
{
    aia_status st = mon_load_csv(m, v, "reference_data_uri", rec->reference_data_uri, NULL, 0, out, NULL, err);
    size_t col;
    if (st == AIA_OK && aia_frame_find(*out, v->lineage->target_column, &col, NULL) != AIA_OK) {
        aia_frame_free(*out);
        *out = NULL;
        st = mon_load_csv(m, v, "training_data_uri", v->lineage->training_data_uri, NULL, 0, out, NULL, err);
    }
    return st;
}

static void fill_spec(aia_job_spec *spec, const aia_version_record *v, const char *report_id, const char *path,
                      AiaStore__V1__JobSpec__FeatureTypesEntry **types, AiaStore__V1__JobSpec__FeatureTypesEntry *tv,
                      char **names)
{
    const AiaStore__V1__Lineage *l = v->lineage;
    spec->model_id = v->model_id;
    spec->task_type = v->n_class_labels ? AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION
                                        : AIA_STORE__V1__TASK_TYPE__TASK_REGRESSION;
    spec->algorithm = v->algorithm;
    spec->n_hyperparameters = l->n_hyperparameters;
    spec->hyperparameters = (AiaStore__V1__JobSpec__HyperparametersEntry **)l->hyperparameters;
    spec->training_data_uri = (char *)path;
    spec->target_column = l->target_column;
    spec->seed = l->seed;
    spec->trigger = AIA_STORE__V1__TRIGGER__TRIGGER_DRIFT;
    spec->trigger_id = (char *)report_id;
    spec->parent_version = v->version;
    for (size_t i = 0; i < l->n_features; i++) {
        names[i] = l->features[i]->name;
        aia_store__v1__job_spec__feature_types_entry__init(&tv[i]);
        tv[i].key = l->features[i]->name;
        tv[i].value = l->features[i]->type;
        types[i] = &tv[i];
    }
    spec->feature_columns = names;
    spec->n_feature_columns = l->n_features;
    spec->feature_types = types;
    spec->n_feature_types = l->n_features;
}

static aia_status submit(aia_monitors *m, const aia_version_record *v, const char *report_id, const char *path,
                         char **job_id, aia_error *err)
{
    size_t k = v->lineage->n_features;
    AiaStore__V1__JobSpec__FeatureTypesEntry **types = calloc(k + 1, sizeof *types);
    AiaStore__V1__JobSpec__FeatureTypesEntry *tv = calloc(k + 1, sizeof *tv);
    char **names = calloc(k + 1, sizeof *names);
    char key[96], desc[200];
    snprintf(key, sizeof key, "drift:%s", report_id);
    snprintf(desc, sizeof desc, "retraining of %s@%d after drift report %s", v->model_id, v->version, report_id);
    aia_status st = AIA_OK;
    aia_job_record *job = NULL;
    if (!types || !tv || !names) {
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    } else {
        aia_job_spec spec;
        aia_store__v1__job_spec__init(&spec);
        fill_spec(&spec, v, report_id, path, types, tv, names);
        spec.idempotency_key = key;
        spec.description = desc;
        st = aia_jobs_submit(m->opt.jobs, &spec, "drift-monitor", &job, err);
    }
    if (st == AIA_OK && !(*job_id = strdup(job->job_id))) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "oom");
    aia_store_record_free(job);
    free(types);
    free(tv);
    free(names);
    return st;
}

aia_status mon_retrain(aia_monitors *m, const aia_drift_monitor_record *rec, const aia_version_record *v,
                       const char *report_id, const aia_predlog_window *w, const size_t *labelled_rows,
                       char *const *labelled_truth, size_t n_labelled, char **job_id, aia_error *err)
{
    *job_id = NULL;
    if (!v->lineage || !v->lineage->target_column[0] || !v->algorithm[0])
        return aia_error_set(err, AIA_FAILED_PRECONDITION, "%s@%d has no training recipe in its lineage",
                             v->model_id, v->version);
    char path[4096];
    snprintf(path, sizeof path, "%s/drift", m->data_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/drift/retrain", m->data_dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/drift/retrain/%s.csv", m->data_dir, report_id);
    aia_frame *base = NULL;
    if (load_base(m, rec, v, &base, err) != AIA_OK) return err->code;
    aia_predlog_window empty = {0};
    retrain_data d = {.l = v->lineage, .reference = base, .w = w ? w : &empty, .rows = labelled_rows,
                      .truth = labelled_truth, .n = w ? n_labelled : 0};
    aia_status st = AIA_OK;
    if (d.n && !d.w->inputs) st = aia_error_set(err, AIA_INTERNAL, "labelled rows without inputs");
    else st = write_csv(path, &d, err);
    aia_frame_free(base);
    if (st == AIA_OK) st = submit(m, v, report_id, path, job_id, err);
    return st;
}
