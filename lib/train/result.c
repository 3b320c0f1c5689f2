/* lib/train/result.c — the run's outcome as records: the model file, the
 * version (algorithm, class labels, lineage) and the job's report.
 * Everything lives in the result's arena.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/model_file.h"
#include "lib/train/train_internal.h"

/* Every records.proto map entry is {base, key, value}. */
typedef struct double_entry {
    ProtobufCMessage base;
    char *key;
    double value;
} double_entry;

typedef struct text_entry {
    ProtobufCMessage base;
    char *key;
    char *value;
} text_entry;

void **train_metric_entries(aia_arena *a, const ProtobufCMessageDescriptor *d, const aia_model_scores *s,
                            aia_task task, size_t *n)
{
    const int *idx;
    size_t k = train_metric_indices(task, &idx);
    void **out = aia_arena_calloc(a, k, sizeof *out);
    *n = 0;
    for (size_t i = 0; out && i < k; i++) {
        double v = train_metric_value(s, idx[i]);
        if (isnan(v)) continue;
        double_entry *e = aia_arena_alloc(a, d->sizeof_message);
        if (!e) break;
        protobuf_c_message_init(d, e);
        e->key = aia_arena_strdup(a, train_metric_name(idx[i]));
        e->value = v;
        out[(*n)++] = e;
    }
    return out;
}

void **train_text_entries(aia_arena *a, const ProtobufCMessageDescriptor *d, const char *const *keys,
                          const char *const *values, size_t n)
{
    void **out = aia_arena_calloc(a, n ? n : 1, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        text_entry *e = aia_arena_alloc(a, d->sizeof_message);
        if (!e) return NULL;
        protobuf_c_message_init(d, e);
        e->key = aia_arena_strdup(a, keys[i]);
        e->value = aia_arena_strdup(a, values[i] ? values[i] : "");
        out[i] = e;
    }
    return out;
}

static AiaStore__V1__FeatureType feature_type_of(aia_preprocess_kind k)
{
    switch (k) {
    case AIA_PREPROCESS_NUMERIC: return AIA_STORE__V1__FEATURE_TYPE__FEATURE_NUMERIC;
    case AIA_PREPROCESS_BOOLEAN: return AIA_STORE__V1__FEATURE_TYPE__FEATURE_BINARY;
    default: return AIA_STORE__V1__FEATURE_TYPE__FEATURE_CATEGORICAL;
    }
}

static aia_status fill_features(aia_arena *a, const aia_model *m, AiaStore__V1__Lineage *l, aia_error *err)
{
    const aia_preprocess *p = aia_model_preprocess(m);
    size_t n = aia_preprocess_n_inputs(p);
    l->features = aia_arena_calloc(a, n ? n : 1, sizeof *l->features);
    if (!l->features) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++) {
        aia_preprocess_column c;
        aia_preprocess_describe_input(p, i, &c);
        AiaStore__V1__FeatureSpec *f = aia_arena_alloc(a, sizeof *f);
        char **cats = aia_arena_calloc(a, c.n_categories ? c.n_categories : 1, sizeof *cats);
        if (!f || !cats) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        aia_store__v1__feature_spec__init(f);
        f->name = aia_arena_strdup(a, c.name);
        f->type = feature_type_of(c.kind);
        for (size_t k = 0; k < c.n_categories; k++) cats[k] = aia_arena_strdup(a, c.categories[k]);
        f->categories = cats;
        f->n_categories = c.n_categories;
        l->features[i] = f;
    }
    l->n_features = n;
    return AIA_OK;
}

/* The hyperparameters as effectively used: every parameter of the
 * algorithm, defaults included. */
static void **effective_params(aia_arena *a, const ProtobufCMessageDescriptor *d, const aia_train_spec *spec,
                               size_t *n)
{
    const char *const *names = train_param_canonical_names(spec->algorithm);
    size_t k = 0;
    while (names && names[k]) k++;
    const char **values = aia_arena_calloc(a, k ? k : 1, sizeof *values);
    for (size_t i = 0; values && i < k; i++) {
        char buf[64];
        train_param_format(spec, spec->algorithm, names[i], buf, sizeof buf);
        values[i] = aia_arena_strdup(a, buf);
    }
    void **out = values ? train_text_entries(a, d, names, values, k) : NULL;
    *n = out ? k : 0;
    return out;
}

static AiaStore__V1__DataSplit *data_split(aia_arena *a, const train_run *r)
{
    AiaStore__V1__DataSplit *d = aia_arena_alloc(a, sizeof *d);
    if (!d) return NULL;
    aia_store__v1__data_split__init(d);
    d->train_rows = (int64_t)aia_frame_n_rows(r->train);
    d->validation_rows = (int64_t)aia_frame_n_rows(r->valid);
    d->test_rows = (int64_t)aia_frame_n_rows(r->test);
    return d;
}

static aia_status fill_lineage(train_run *r, const aia_model *m, const aia_train_spec *spec,
                               const aia_model_scores *vs, const aia_model_scores *ts, const train_local_file *tf,
                               const train_local_file *vf, const char *job_id, aia_arena *a,
                               AiaStore__V1__Lineage **out, aia_error *err)
{
    const aia_job_spec *job = r->job;
    AiaStore__V1__Lineage *l = aia_arena_alloc(a, sizeof *l);
    if (!l) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_store__v1__lineage__init(l);
    l->job_id = aia_arena_strdup(a, job_id ? job_id : "");
    l->training_data_uri = aia_arena_strdup(a, job->training_data_uri);
    l->training_data_sha256 = aia_arena_strdup(a, tf->sha256);
    if (job->validation_data_uri && *job->validation_data_uri) {
        l->validation_data_uri = aia_arena_strdup(a, job->validation_data_uri);
        l->validation_data_sha256 = aia_arena_strdup(a, vf->sha256);
    }
    if (fill_features(a, m, l, err) != AIA_OK) return err->code;
    l->target_column = aia_arena_strdup(a, job->target_column);
    l->hyperparameters = (AiaStore__V1__Lineage__HyperparametersEntry **)effective_params(
        a, &aia_store__v1__lineage__hyperparameters_entry__descriptor, spec, &l->n_hyperparameters);
    l->validation_metrics = (AiaStore__V1__Lineage__ValidationMetricsEntry **)train_metric_entries(
        a, &aia_store__v1__lineage__validation_metrics_entry__descriptor, vs, r->task, &l->n_validation_metrics);
    l->test_metrics = (AiaStore__V1__Lineage__TestMetricsEntry **)train_metric_entries(
        a, &aia_store__v1__lineage__test_metrics_entry__descriptor, ts, r->task, &l->n_test_metrics);
    l->parent_version = job->parent_version;
    /* Why the version exists: a drift or coordinator trigger stays; a
     * manual (or unset) job that ran a search publishes "the best trial of
     * a hyperparameter search", HPO, while the job itself stays manual. */
    int searched = r->trials_total || r->best_text;
    int manual = job->trigger == AIA_STORE__V1__TRIGGER__TRIGGER_UNSPECIFIED ||
                 job->trigger == AIA_STORE__V1__TRIGGER__TRIGGER_MANUAL;
    l->trigger = manual ? (searched ? AIA_STORE__V1__TRIGGER__TRIGGER_HPO : AIA_STORE__V1__TRIGGER__TRIGGER_MANUAL)
                        : job->trigger;
    l->trigger_id = aia_arena_strdup(a, job->trigger_id ? job->trigger_id : "");
    l->seed = job->seed;
    l->data_split = data_split(a, r);
    l->engine_version =
        aia_arena_strdup(a, r->opt && r->opt->engine_version ? r->opt->engine_version : "");
    if (!l->data_split || !l->hyperparameters || !l->validation_metrics || !l->test_metrics)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    *out = l;
    return AIA_OK;
}

static aia_status fill_model_file(train_run *r, const aia_model *m, const aia_train_spec *spec,
                                  const train_local_file *tf, const char *job_id, aia_train_result *out,
                                  aia_error *err)
{
    aia_model_meta meta[] = {
        {"job_id", job_id ? job_id : ""},
        {"algorithm", aia_algorithm_name(spec->algorithm)},
        {"target", r->job->target_column},
        {"training_data_uri", r->job->training_data_uri},
        {"training_data_sha256", tf->sha256},
    };
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (aia_model_to_bytes(m, meta, sizeof meta / sizeof meta[0], &bytes, &len, err) != AIA_OK) return err->code;
    out->model_file = aia_arena_alloc(&out->arena, len ? len : 1);
    if (out->model_file) memcpy(out->model_file, bytes, len);
    free(bytes);
    if (!out->model_file) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for the model file");
    out->model_file_len = len;
    return AIA_OK;
}

static aia_status fill_version(const aia_model *m, const aia_train_spec *spec, aia_arena *a, aia_version_record *v,
                               aia_error *err)
{
    v->algorithm = aia_arena_strdup(a, aia_algorithm_name(spec->algorithm));
    if (aia_model_task(m) != AIA_TASK_CLASSIFICATION) return AIA_OK;
    int k = aia_model_n_outputs(m);
    v->class_labels = aia_arena_calloc(a, (size_t)k, sizeof *v->class_labels);
    if (!v->class_labels) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; i < k; i++) v->class_labels[i] = aia_arena_strdup(a, aia_model_class_label(m, i));
    v->n_class_labels = (size_t)k;
    return AIA_OK;
}

static aia_status fill_job(train_run *r, const aia_train_spec *spec, const aia_model_scores *vs,
                           const aia_model_scores *ts, aia_arena *a, aia_job_record *j, aia_error *err)
{
    j->algorithm = aia_arena_strdup(a, aia_algorithm_name(spec->algorithm));
    j->task_type = r->job->task_type;
    j->hyperparameters = (AiaStore__V1__Job__HyperparametersEntry **)effective_params(
        a, &aia_store__v1__job__hyperparameters_entry__descriptor, spec, &j->n_hyperparameters);
    j->metrics = (AiaStore__V1__Job__MetricsEntry **)train_metric_entries(
        a, &aia_store__v1__job__metrics_entry__descriptor, ts, r->task, &j->n_metrics);
    j->validation_metrics = (AiaStore__V1__Job__ValidationMetricsEntry **)train_metric_entries(
        a, &aia_store__v1__job__validation_metrics_entry__descriptor, vs, r->task, &j->n_validation_metrics);
    j->data_split = data_split(a, r);
    if (!j->hyperparameters || !j->metrics || !j->validation_metrics || !j->data_split)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    return AIA_OK;
}

aia_status train_result_fill(train_run *r, const aia_model *m, const aia_train_spec *spec,
                             const aia_model_scores *vs, const aia_model_scores *ts, const train_local_file *tf,
                             const train_local_file *vf, const char *job_id, aia_train_result *out, aia_error *err)
{
    aia_arena *a = &out->arena;
    if (fill_model_file(r, m, spec, tf, job_id, out, err) != AIA_OK) return err->code;
    if (fill_version(m, spec, a, &out->version, err) != AIA_OK) return err->code;
    if (fill_lineage(r, m, spec, vs, ts, tf, vf, job_id, a, &out->version.lineage, err) != AIA_OK) return err->code;
    return fill_job(r, spec, vs, ts, a, &out->job, err);
}
