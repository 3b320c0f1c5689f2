/* lib/ml/model.c — training a model from a frame, and prediction. See
 * model.h. */
#include "lib/ml/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/data/labels.h"
#include "lib/ml/binning.h"
#include "lib/ml/model_internal.h"

static const char *const k_algorithm_names[] = {
    [AIA_ALGO_GBDT] = "gbdt",
    [AIA_ALGO_RANDOM_FOREST] = "random_forest",
    [AIA_ALGO_LOGISTIC_REGRESSION] = "logistic_regression",
    [AIA_ALGO_LINEAR_REGRESSION] = "linear_regression",
};

const char *aia_algorithm_name(aia_algorithm a)
{
    return a >= AIA_ALGO_GBDT && a <= AIA_ALGO_LINEAR_REGRESSION ? k_algorithm_names[a] : "unknown";
}

aia_algorithm aia_algorithm_from_name(const char *name)
{
    for (int a = AIA_ALGO_GBDT; a <= AIA_ALGO_LINEAR_REGRESSION; a++)
        if (name && strcmp(name, k_algorithm_names[a]) == 0) return (aia_algorithm)a;
    return (aia_algorithm)0;
}

void aia_train_spec_init(aia_train_spec *spec)
{
    memset(spec, 0, sizeof *spec);
    aia_gbdt_params_default(&spec->gbdt);
    aia_forest_params_default(&spec->forest);
    aia_logistic_params_default(&spec->logistic);
    aia_ridge_params_default(&spec->ridge);
}

void aia_model_free(aia_model *m)
{
    if (!m) return;
    aia_preprocess_free(m->pre);
    for (size_t i = 0; i < m->n_labels; i++) free(m->labels[i]);
    free(m->labels);
    aia_gbdt_free(m->gbdt);
    aia_forest_free(m->forest);
    aia_linear_free(m->linear);
    free(m);
}

aia_task aia_model_task(const aia_model *m)
{
    return m->task;
}

aia_algorithm aia_model_algorithm(const aia_model *m)
{
    return m->algorithm;
}

int aia_model_n_outputs(const aia_model *m)
{
    return m->n_outputs;
}

const char *aia_model_class_label(const aia_model *m, int k)
{
    return k >= 0 && (size_t)k < m->n_labels ? m->labels[k] : NULL;
}

const aia_preprocess *aia_model_preprocess(const aia_model *m)
{
    return m->pre;
}

/* ---- the target ------------------------------------------------------------- */

/* The training labels: class indices (names in m->labels) or values. */
static aia_status read_target(aia_model *m, const aia_frame *f, const char *target, double **y, aia_error *err)
{
    size_t col, n = aia_frame_n_rows(f);
    if (aia_frame_check_target(f, target, &col, err) != AIA_OK) return err->code;
    *y = malloc((n ? n : 1) * sizeof **y);
    if (!*y) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %zu labels", n);
    if (m->task == AIA_TASK_REGRESSION) {
        const aia_column *c = aia_frame_column(f, col);
        if (c->type != AIA_COLUMN_NUMERIC)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: regression target '%s' is %s, not numeric",
                                 aia_frame_source(f), target, aia_column_type_name(c->type));
        for (size_t i = 0; i < n; i++) {
            if (isnan(c->numeric[i]))
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: target '%s' is missing in data row %zu",
                                     aia_frame_source(f), target, i + 1);
            (*y)[i] = c->numeric[i];
        }
        return AIA_OK;
    }
    if (aia_frame_check_classification_target(f, target, err) != AIA_OK) return err->code;
    aia_class_labels labels;
    if (aia_class_labels_from_column(f, col, &labels, err) != AIA_OK) return err->code;
    for (size_t i = 0; i < n; i++) (*y)[i] = labels.y[i];
    m->labels = labels.names; /* taken over */
    m->n_labels = labels.n_classes;
    labels.names = NULL;
    labels.n_classes = 0;
    aia_class_labels_free(&labels);
    return AIA_OK;
}

aia_status model_read_target(const aia_model *m, const aia_frame *f, const char *target, double **y, aia_error *err)
{
    if (m->task == AIA_TASK_REGRESSION) {
        aia_model tmp = {.task = AIA_TASK_REGRESSION};
        return read_target(&tmp, f, target, y, err);
    }
    size_t col, n = aia_frame_n_rows(f);
    if (aia_frame_check_target(f, target, &col, err) != AIA_OK) return err->code;
    aia_class_labels v;
    if (aia_class_labels_from_column(f, col, &v, err) != AIA_OK) return err->code;
    *y = malloc((n ? n : 1) * sizeof **y);
    aia_status st = *y ? AIA_OK : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %zu labels", n);
    for (size_t i = 0; st == AIA_OK && i < n; i++) {
        const char *name = v.names[v.y[i]];
        size_t k = 0;
        while (k < m->n_labels && strcmp(m->labels[k], name) != 0) k++;
        if (k == m->n_labels)
            st = aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: class '%s' in data row %zu never occurs in the training data",
                               aia_frame_source(f), name, i + 1);
        else (*y)[i] = (double)k;
    }
    aia_class_labels_free(&v);
    return st;
}

/* ---- features and preprocessing ------------------------------------------------ */

/* The feature names: the caller's, or every column but the target. The
 * array is owned by the caller (its strings are borrowed from f). */
static const char **feature_names(const aia_train_spec *spec, const aia_frame *f, size_t *n, aia_error *err)
{
    size_t cols = aia_frame_n_cols(f);
    const char **names = malloc((cols ? cols : 1) * sizeof *names);
    if (!names) {
        aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for feature names");
        return NULL;
    }
    *n = 0;
    if (spec->features) {
        for (size_t i = 0; i < spec->n_features && i < cols; i++) {
            if (strcmp(spec->features[i], spec->target) == 0) { /* the answer among the inputs: a leak */
                free(names);
                aia_error_set(err, AIA_INVALID_ARGUMENT, "features: '%s' is the target column", spec->target);
                return NULL;
            }
            names[(*n)++] = spec->features[i];
        }
        if (spec->n_features > cols) {
            free(names);
            aia_error_set(err, AIA_INVALID_ARGUMENT, "%zu features named but %s has only %zu columns", spec->n_features,
                          aia_frame_source(f), cols);
            return NULL;
        }
        return names;
    }
    for (size_t c = 0; c < cols; c++)
        if (strcmp(aia_frame_column(f, c)->name, spec->target) != 0) names[(*n)++] = aia_frame_column(f, c)->name;
    return names;
}

static int is_tree(aia_algorithm a)
{
    return a == AIA_ALGO_GBDT || a == AIA_ALGO_RANDOM_FOREST;
}

/* The learner's default preprocessing. Trees take categories as native
 * codes, but a column with more than 255 gets ordinal codes instead (a
 * tree then splits it as a number). `per_column` holds one entry per
 * feature and is filled here. */
static void default_preprocess(aia_algorithm a, const aia_frame *f, const char *const *features, size_t n,
                               aia_preprocess_column_options *per_column, aia_preprocess_options *opts)
{
    aia_preprocess_options_init(opts);
    if (!is_tree(a)) {
        opts->impute = AIA_IMPUTE_MEAN;
        opts->standardize = AIA_SWITCH_ON;
        opts->encoding = AIA_ENCODE_ONE_HOT;
        return;
    }
    opts->impute = AIA_IMPUTE_NONE;
    opts->encoding = AIA_ENCODE_NATIVE;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        size_t col;
        if (aia_frame_find(f, features[i], &col, NULL) != AIA_OK) continue; /* fit names the missing column */
        const aia_column *c = aia_frame_column(f, col);
        if (c->type == AIA_COLUMN_CATEGORICAL && c->dictionary_size > AIA_MAX_VALUE_BINS)
            per_column[k++] = (aia_preprocess_column_options){.column = features[i], .encoding = AIA_ENCODE_ORDINAL};
    }
    opts->columns = per_column;
    opts->n_columns = k;
}

static aia_status fit_preprocess(aia_model *m, const aia_train_spec *spec, const aia_frame *train, aia_error *err)
{
    size_t n = 0;
    const char **features = feature_names(spec, train, &n, err);
    if (!features) return err->code;
    aia_preprocess_column_options *per_column = calloc(n ? n : 1, sizeof *per_column);
    aia_status st;
    if (!per_column) {
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for preprocessing options");
    } else {
        aia_preprocess_options defaults;
        default_preprocess(spec->algorithm, train, features, n, per_column, &defaults);
        st = aia_preprocess_fit(train, features, n, spec->preprocess ? spec->preprocess : &defaults, &m->pre, err);
    }
    free(per_column);
    free(features);
    return st;
}

/* ---- learners ---------------------------------------------------------------------- */

typedef struct train_ctx {
    aia_model *m;
    const aia_train_spec *spec;
    aia_preprocess_output x, vx; /* vx.n_rows == 0 without validation data */
    double *y, *vy;
    aia_model_progress_fn progress;
    void *progress_arg;
} train_ctx;

/* The linear models report (loss, largest gradient) after iteration
 * `iter` (from 1); the model's callback takes (train loss, validation loss)
 * at a 0-based step, as the GBDT's rounds are: the gradient is not a loss,
 * so NaN, and the step is iter - 1. */
static int linear_progress(void *arg, int iter, double loss, double grad_max)
{
    const train_ctx *c = arg;
    return c->progress ? c->progress(c->progress_arg, iter - 1, loss, NAN) : 0;
}

static aia_status train_gbdt(train_ctx *c, aia_error *err)
{
    aia_gbdt_params p = c->spec->gbdt;
    int k = (int)c->m->n_labels;
    p.objective = c->m->task == AIA_TASK_REGRESSION ? AIA_GBDT_REGRESSION : k == 2 ? AIA_GBDT_BINARY : AIA_GBDT_MULTICLASS;
    p.n_classes = k > 2 ? k : 0;
    aia_gbdt_data d = {c->x.matrix, c->y, c->x.categorical};
    aia_gbdt_data v = {c->vx.matrix, c->vy, c->vx.categorical};
    return aia_gbdt_train(&p, &d, c->vx.n_rows ? &v : NULL, c->progress, c->progress_arg, &c->m->gbdt, err);
}

static aia_status train_forest(train_ctx *c, aia_error *err)
{
    aia_forest_params p = c->spec->forest;
    p.n_classes = c->m->task == AIA_TASK_REGRESSION ? 0 : (int)c->m->n_labels;
    return aia_forest_train(&p, &c->x.matrix, c->y, NULL, &c->m->forest, err);
}

static aia_status train_linear(train_ctx *c, aia_error *err)
{
    aia_linear_data d = {c->x.matrix, c->y, NULL};
    if (c->m->algorithm == AIA_ALGO_LINEAR_REGRESSION) return aia_ridge_train(&c->spec->ridge, &d, &c->m->linear, err);
    aia_logistic_params p = c->spec->logistic;
    p.n_classes = (int)c->m->n_labels;
    return aia_logistic_train(&p, &d, linear_progress, c, &c->m->linear, err);
}

static aia_status check_spec(const aia_train_spec *spec, aia_error *err)
{
    if (spec->task != AIA_TASK_CLASSIFICATION && spec->task != AIA_TASK_REGRESSION)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "task: must be classification or regression");
    if (spec->algorithm < AIA_ALGO_GBDT || spec->algorithm > AIA_ALGO_LINEAR_REGRESSION)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "algorithm: unknown value %d", (int)spec->algorithm);
    if (spec->algorithm == AIA_ALGO_LOGISTIC_REGRESSION && spec->task != AIA_TASK_CLASSIFICATION)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "algorithm: logistic_regression is for classification; use linear_regression");
    if (spec->algorithm == AIA_ALGO_LINEAR_REGRESSION && spec->task != AIA_TASK_REGRESSION)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "algorithm: linear_regression is for regression; use logistic_regression");
    if (!spec->target || !*spec->target) return aia_error_set(err, AIA_INVALID_ARGUMENT, "target: no target column named");
    return AIA_OK;
}

static aia_status train_learner(train_ctx *c, aia_error *err)
{
    switch (c->m->algorithm) {
    case AIA_ALGO_GBDT: return train_gbdt(c, err);
    case AIA_ALGO_RANDOM_FOREST: return train_forest(c, err);
    default: return train_linear(c, err);
    }
}

static aia_status prepare_data(train_ctx *c, const aia_frame *train, const aia_frame *valid, aia_error *err)
{
    const aia_train_spec *spec = c->spec;
    if (read_target(c->m, train, spec->target, &c->y, err) != AIA_OK) return err->code;
    if (valid && model_read_target(c->m, valid, spec->target, &c->vy, err) != AIA_OK) {
        aia_error_prefix(err, "validation data");
        return err->code;
    }
    if (fit_preprocess(c->m, spec, train, err) != AIA_OK) return err->code;
    if (aia_preprocess_apply(c->m->pre, train, &c->x, err) != AIA_OK) return err->code;
    if (valid && aia_preprocess_apply(c->m->pre, valid, &c->vx, err) != AIA_OK) return err->code;
    return AIA_OK;
}

aia_status aia_model_train(const aia_train_spec *spec, const aia_frame *train, const aia_frame *valid,
                           aia_model_progress_fn progress, void *progress_arg, aia_model **out, aia_error *err)
{
    *out = NULL;
    if (check_spec(spec, err) != AIA_OK) return err->code;
    aia_model *m = calloc(1, sizeof *m);
    if (!m) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for a model");
    m->task = spec->task;
    m->algorithm = spec->algorithm;
    train_ctx c = {.m = m, .spec = spec, .progress = progress, .progress_arg = progress_arg};
    aia_status st = prepare_data(&c, train, valid, err);
    if (st == AIA_OK) st = train_learner(&c, err);
    m->n_outputs = m->task == AIA_TASK_REGRESSION ? 1 : (int)m->n_labels;
    aia_preprocess_output_free(&c.x);
    aia_preprocess_output_free(&c.vx);
    free(c.y);
    free(c.vy);
    if (st != AIA_OK) {
        aia_model_free(m);
        return st;
    }
    *out = m;
    return AIA_OK;
}

/* ---- prediction ------------------------------------------------------------------------ */

/* Binary learners give P(class 1) alone; the model gives both classes. */
static void widen_binary(double *out, size_t n)
{
    for (size_t i = n; i-- > 0;) {
        double p1 = out[i];
        out[2 * i] = 1 - p1;
        out[2 * i + 1] = p1;
    }
}

static int single_output_binary(const aia_model *m)
{
    if (m->task != AIA_TASK_CLASSIFICATION || m->n_labels != 2) return 0;
    if (m->gbdt) return aia_gbdt_n_outputs(m->gbdt) == 1;
    if (m->linear) return aia_linear_n_outputs(m->linear) == 1;
    return 0; /* the forest gives both classes */
}

static aia_status predict_matrix(const aia_model *m, const aia_matrix *x, double *out, aia_error *err)
{
    aia_status st;
    if (m->gbdt) st = aia_gbdt_predict_batch(m->gbdt, x, out, err);
    else if (m->forest) st = aia_forest_predict_batch(m->forest, x, out, err);
    else st = aia_linear_predict_batch(m->linear, x, 0, out, err);
    if (st == AIA_OK && single_output_binary(m)) widen_binary(out, x->n_rows);
    return st;
}

aia_status aia_model_predict_frame(const aia_model *m, const aia_frame *f, double *out, aia_error *err)
{
    aia_preprocess_output x;
    if (aia_preprocess_apply(m->pre, f, &x, err) != AIA_OK) return err->code;
    aia_status st = predict_matrix(m, &x.matrix, out, err);
    aia_preprocess_output_free(&x);
    return st;
}

aia_status aia_model_predict_row(const aia_model *m, const aia_preprocess_cell *cells, double *scratch, double *out,
                                 aia_error *err)
{
    if (aia_preprocess_apply_row(m->pre, cells, scratch, err) != AIA_OK) return err->code;
    if (m->gbdt) aia_gbdt_predict(m->gbdt, scratch, out);
    else if (m->forest) aia_forest_predict(m->forest, scratch, out);
    else aia_linear_predict(m->linear, scratch, out);
    if (single_output_binary(m)) widen_binary(out, 1);
    return AIA_OK;
}
