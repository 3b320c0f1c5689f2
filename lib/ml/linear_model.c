/* lib/ml/linear_model.c — the linear model object: defaults, input checks,
 * construction from known coefficients, accessors and prediction.
 *
 * Prediction is x.coef + intercept per output, then the sigmoid (binary) or
 * the softmax (multinomial), both written so that no exponential can
 * overflow: a finite row never gives NaN or infinity.
 */
#include "lib/ml/linear.h"

#include <math.h>
#include <stdlib.h>

#include "lib/ml/linear_internal.h"

void aia_logistic_params_default(aia_logistic_params *p)
{
    p->n_classes = 0;
    p->C = 1.0;
    p->tol = 1e-4;
    p->max_iter = 100;
    p->threads = 0;
}

void aia_ridge_params_default(aia_ridge_params *p)
{
    p->alpha = 1.0;
    p->threads = 0;
}

aia_linear_model *linear_model_alloc(aia_linear_kind kind, int n_classes, size_t n_features)
{
    aia_linear_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->kind = kind;
    m->n_classes = kind == AIA_LINEAR_LOGISTIC ? n_classes : 0;
    m->n_outputs = kind == AIA_LINEAR_LOGISTIC && n_classes > 2 ? n_classes : 1;
    m->n_features = n_features;
    m->coef = calloc((size_t)m->n_outputs * n_features, sizeof *m->coef);
    m->intercept = calloc((size_t)m->n_outputs, sizeof *m->intercept);
    if (!m->coef || !m->intercept) {
        aia_linear_free(m);
        return NULL;
    }
    m->info.converged = 1;
    m->info.rank = n_features;
    return m;
}

void aia_linear_free(aia_linear_model *m)
{
    if (!m) return;
    free(m->coef);
    free(m->intercept);
    free(m);
}

aia_status linear_check_finite(const aia_matrix *x, const char *who, aia_error *err)
{
    for (size_t j = 0; j < x->n_cols; j++) {
        const double *c = x->col[j];
        if (!c) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: feature %zu: column is NULL", who, j);
        for (size_t i = 0; i < x->n_rows; i++) {
            if (!isfinite(c[i]))
                return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                     "%s: feature %zu, row %zu: value is %s; missing values must be "
                                     "imputed before a linear model sees them",
                                     who, j, i, isnan(c[i]) ? "NaN" : "infinite");
        }
    }
    return AIA_OK;
}

static aia_status check_weights(const aia_linear_data *data, const char *who, aia_error *err)
{
    if (!data->weight) return AIA_OK;
    double sum = 0.0;
    for (size_t i = 0; i < data->x.n_rows; i++) {
        double w = data->weight[i];
        if (!isfinite(w) || w < 0.0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s: weight of row %zu is %g; sample weights must be finite and >= 0", who,
                                 i, w);
        sum += w;
    }
    if (!(sum > 0.0) || !isfinite(sum))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s: sample weights sum to %g; at least one row needs a positive weight", who, sum);
    return AIA_OK;
}

aia_status linear_check_data(const aia_linear_data *data, const char *who, aia_error *err)
{
    if (!data) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: data is NULL", who);
    if (data->x.n_rows == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: no training rows", who);
    if (data->x.n_cols == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: no features", who);
    if (!data->x.col) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: x.col is NULL", who);
    if (!data->y) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: y is NULL", who);
    aia_status s = linear_check_finite(&data->x, who, err);
    if (s != AIA_OK) return s;
    return check_weights(data, who, err);
}

double linear_weight_sum(const aia_linear_data *data)
{
    if (!data->weight) return (double)data->x.n_rows;
    double sum = 0.0;
    for (size_t i = 0; i < data->x.n_rows; i++) sum += data->weight[i];
    return sum;
}

aia_status linear_check_solution(const aia_linear_model *m, const aia_linear_data *data, const char *who,
                                 aia_error *err)
{
    size_t n_coef = (size_t)m->n_outputs * m->n_features;
    int finite = 1;
    for (size_t c = 0; c < n_coef; c++) finite &= isfinite(m->coef[c]) != 0;
    for (int k = 0; k < m->n_outputs; k++) finite &= isfinite(m->intercept[k]) != 0;
    return finite ? AIA_OK : linear_scale_error(data, who, err);
}

aia_status linear_scale_error(const aia_linear_data *data, const char *who, aia_error *err)
{
    double top = 0.0;
    size_t top_j = 0;
    for (size_t j = 0; j < data->x.n_cols; j++)
        for (size_t i = 0; i < data->x.n_rows; i++)
            if (fabs(data->x.col[j][i]) > top) {
                top = fabs(data->x.col[j][i]);
                top_j = j;
            }
    return aia_error_set(err, AIA_INVALID_ARGUMENT,
                         "%s: the fit overflowed double arithmetic (largest |value| %g, in feature %zu); "
                         "standardise the features and targets first", who, top, top_j);
}

aia_status aia_linear_from_coef(aia_linear_kind kind, int n_classes, size_t n_features, const double *coef,
                                const double *intercept, const aia_linear_fit_info *info, aia_linear_model **out,
                                aia_error *err)
{
    if (kind != AIA_LINEAR_LOGISTIC && kind != AIA_LINEAR_RIDGE)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "linear model: kind %d is neither logistic (1) nor ridge (2)",
                             (int)kind);
    if (kind == AIA_LINEAR_LOGISTIC && n_classes < 2)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "linear model: n_classes is %d; a classifier needs >= 2",
                             n_classes);
    if (n_features == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "linear model: no features");
    if (!coef || !intercept || !out)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "linear model: coef, intercept and out must be non-NULL");
    int n_outputs = kind == AIA_LINEAR_LOGISTIC && n_classes > 2 ? n_classes : 1;
    size_t n_coef = (size_t)n_outputs * n_features;
    for (size_t i = 0; i < n_coef; i++)
        if (!isfinite(coef[i]))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "linear model: coef[%zu] is not finite", i);
    for (int k = 0; k < n_outputs; k++)
        if (!isfinite(intercept[k]))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "linear model: intercept[%d] is not finite", k);
    aia_linear_model *m = linear_model_alloc(kind, n_classes, n_features);
    if (!m) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "linear model: out of memory");
    for (size_t i = 0; i < n_coef; i++) m->coef[i] = coef[i];
    for (int k = 0; k < n_outputs; k++) m->intercept[k] = intercept[k];
    if (info) m->info = *info;
    *out = m;
    return AIA_OK;
}

aia_linear_kind aia_linear_kind_of(const aia_linear_model *m) { return m->kind; }
int aia_linear_n_classes(const aia_linear_model *m) { return m->n_classes; }
int aia_linear_n_outputs(const aia_linear_model *m) { return m->n_outputs; }
size_t aia_linear_n_features(const aia_linear_model *m) { return m->n_features; }
const double *aia_linear_coef(const aia_linear_model *m) { return m->coef; }
const double *aia_linear_intercept(const aia_linear_model *m) { return m->intercept; }
aia_linear_fit_info aia_linear_fit_info_of(const aia_linear_model *m) { return m->info; }

void aia_linear_predict_raw(const aia_linear_model *m, const double *row, double *out)
{
    for (int k = 0; k < m->n_outputs; k++) {
        const double *w = m->coef + (size_t)k * m->n_features;
        double z = m->intercept[k];
        for (size_t j = 0; j < m->n_features; j++) z += w[j] * row[j];
        out[k] = z;
    }
}

/* 1 / (1 + exp(-z)) without overflow for either sign of z. */
static double sigmoid(double z)
{
    if (z >= 0.0) return 1.0 / (1.0 + exp(-z));
    double e = exp(z);
    return e / (1.0 + e);
}

/* Softmax in place, shifted by the largest logit so exp() stays <= 1. A
 * logit that overflowed to +infinity takes all the mass (shifting by it
 * would give inf - inf = NaN). */
static void softmax(double *z, int k)
{
    double top = z[0];
    for (int c = 1; c < k; c++)
        if (z[c] > top) top = z[c];
    if (isinf(top) && top > 0.0) {
        for (int c = 0; c < k; c++) z[c] = z[c] == top ? 0.0 : -INFINITY;
        top = 0.0;
    }
    double sum = 0.0;
    for (int c = 0; c < k; c++) {
        z[c] = exp(z[c] - top);
        sum += z[c];
    }
    for (int c = 0; c < k; c++) z[c] /= sum;
}

static void link(const aia_linear_model *m, double *out)
{
    if (m->kind != AIA_LINEAR_LOGISTIC) return;
    if (m->n_outputs == 1)
        out[0] = sigmoid(out[0]);
    else
        softmax(out, m->n_outputs);
}

void aia_linear_predict(const aia_linear_model *m, const double *row, double *out)
{
    aia_linear_predict_raw(m, row, out);
    link(m, out);
}

aia_status aia_linear_predict_batch(const aia_linear_model *m, const aia_matrix *x, int raw, double *out,
                                    aia_error *err)
{
    if (!x || !out || (x->n_rows > 0 && !x->col))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "linear predict: x, x.col and out must be non-NULL");
    if (x->n_cols != m->n_features)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "linear predict: x has %zu features; the model was trained on %zu", x->n_cols,
                             m->n_features);
    if (x->n_rows == 0) return AIA_OK;
    aia_status s = linear_check_finite(x, "linear predict", err);
    if (s != AIA_OK) return s;
    size_t k_out = (size_t)m->n_outputs;
    /* Column by column, so each feature's values are read in order. */
    for (size_t i = 0; i < x->n_rows; i++)
        for (size_t k = 0; k < k_out; k++) out[i * k_out + k] = m->intercept[k];
    for (size_t j = 0; j < m->n_features; j++) {
        const double *c = x->col[j];
        for (size_t k = 0; k < k_out; k++) {
            double w = m->coef[k * m->n_features + j];
            for (size_t i = 0; i < x->n_rows; i++) out[i * k_out + k] += w * c[i];
        }
    }
    if (!raw)
        for (size_t i = 0; i < x->n_rows; i++) link(m, out + i * k_out);
    return AIA_OK;
}
