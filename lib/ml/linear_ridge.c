/* lib/ml/linear_ridge.c — ridge regression and ordinary least squares in
 * closed form (see linear.h for the semantics and the collinearity rule).
 *
 * Centring the columns and the target on their weighted means removes the
 * intercept from the system, so it is not penalised; the p x p system
 * (Xc' W Xc + alpha I) coef = Xc' W yc comes from one blocked pass over
 * the data (linear_gram.c), then is solved by Cholesky. A column whose values are all equal is centred exactly (its
 * mean is its value), so its row of the system is exactly zero and its
 * coefficient exactly 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/linear.h"
#include "lib/ml/linear_internal.h"

#define WHO "ridge regression"

/* A column counts as dependent on the ones before it when the part of its
 * weighted sum of squares left after projecting on them is at most this
 * fraction (R^2 > 1 - 1e-10). */
#define DEPENDENT_FRACTION 1e-10
/* With alpha = 0 and collinear columns, this times the mean diagonal of
 * Xc' W Xc is added to the diagonal (the ridge limit is the minimum-norm
 * solution). */
#define MIN_NORM_JITTER 1e-8

static double weight_of(const aia_linear_data *data, size_t i)
{
    return data->weight ? data->weight[i] : 1.0;
}

static double weighted_mean(const aia_linear_data *data, const double *v, double sum_w)
{
    double sum = 0.0;
    int constant = 1;
    for (size_t i = 0; i < data->x.n_rows; i++) {
        sum += weight_of(data, i) * v[i];
        constant &= v[i] == v[0];
    }
    return constant ? v[0] : sum / sum_w;
}

/* a (p x p, row-major, lower triangle filled) and b of the centred
 * system, from the Gram matrix of [X | y] (q = p + 1). */
static void normal_equations(const double *gram, size_t p, double *a, double *b)
{
    size_t q = p + 1;
    for (size_t j = 0; j < p; j++) {
        for (size_t l = 0; l <= j; l++) a[j * p + l] = gram[j * q + l];
        b[j] = gram[p * q + j];
    }
}

/* Cholesky of the lower triangle of a into l (a = l l'), skipping columns
 * whose pivot is at most `dependent` times their diagonal (their column
 * of l is left zero). Returns the number of pivots kept. */
static size_t cholesky(const double *a, size_t p, double dependent, double *l)
{
    size_t rank = 0;
    memset(l, 0, p * p * sizeof *l);
    for (size_t j = 0; j < p; j++) {
        double d = a[j * p + j];
        for (size_t k = 0; k < j; k++) d -= l[j * p + k] * l[j * p + k];
        if (!(d > dependent * a[j * p + j]) || !(d > 0.0)) continue;
        double root = sqrt(d);
        l[j * p + j] = root;
        for (size_t i = j + 1; i < p; i++) {
            double s = a[i * p + j];
            for (size_t k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
            l[i * p + j] = s / root;
        }
        rank++;
    }
    return rank;
}

/* Solves l l' x = b (l lower, full rank) in place in b. */
static void cholesky_solve(const double *l, size_t p, double *b)
{
    for (size_t i = 0; i < p; i++) {
        double s = b[i];
        for (size_t k = 0; k < i; k++) s -= l[i * p + k] * b[k];
        b[i] = s / l[i * p + i];
    }
    for (size_t i = p; i-- > 0;) {
        double s = b[i];
        for (size_t k = i + 1; k < p; k++) s -= l[k * p + i] * b[k];
        b[i] = s / l[i * p + i];
    }
}

/* coef from the system: a + shift on the diagonal, where shift is alpha,
 * or the minimum-norm jitter when alpha = 0 and the rank is deficient.
 * Zero rows (constant columns) get coefficient 0. Returns the rank of a. */
static size_t solve_system(double *a, double *b, size_t p, double alpha, double *l, double *coef)
{
    size_t rank = cholesky(a, p, DEPENDENT_FRACTION, l);
    double shift = alpha, diag_sum = 0.0;
    size_t diag_n = 0;
    for (size_t j = 0; j < p; j++)
        if (a[j * p + j] > 0.0) {
            diag_sum += a[j * p + j];
            diag_n++;
        }
    if (shift == 0.0 && rank < p) shift = diag_n ? MIN_NORM_JITTER * diag_sum / (double)diag_n : 1.0;
    if (shift > 0.0) {
        for (size_t j = 0; j < p; j++) a[j * p + j] += shift;
        size_t full = cholesky(a, p, 0.0, l);
        if (full < p) { /* alpha far below the data's scale: lift it to the jitter */
            double lift = diag_n ? MIN_NORM_JITTER * diag_sum / (double)diag_n : 1.0;
            for (size_t j = 0; j < p; j++) a[j * p + j] += lift;
            cholesky(a, p, 0.0, l);
        }
    }
    memcpy(coef, b, p * sizeof *coef);
    cholesky_solve(l, p, coef);
    return rank;
}

static aia_status check_inputs(const aia_ridge_params *params, const aia_linear_data *data,
                               aia_linear_model **out, aia_error *err)
{
    if (!params) return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": params is NULL");
    if (!(params->alpha >= 0.0) || !isfinite(params->alpha))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": alpha is %g; it must be >= 0 and finite",
                             params->alpha);
    if (params->threads < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": threads is %d; it must be >= 0", params->threads);
    aia_status s = linear_check_data(data, WHO, err);
    if (s != AIA_OK) return s;
    for (size_t i = 0; i < data->x.n_rows; i++)
        if (!isfinite(data->y[i]))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": target of row %zu is %s", i,
                                 isnan(data->y[i]) ? "NaN" : "infinite");
    if (!out) return aia_error_set(err, AIA_INVALID_ARGUMENT, WHO ": out is NULL");
    return AIA_OK;
}

/* Weighted mean squared residual on the training data. */
static double training_mse(const aia_linear_model *m, const aia_linear_data *data, double sum_w)
{
    double sum = 0.0;
    for (size_t i = 0; i < data->x.n_rows; i++) {
        double r = data->y[i] - m->intercept[0];
        for (size_t j = 0; j < m->n_features; j++) r -= m->coef[j] * data->x.col[j][i];
        sum += weight_of(data, i) * r * r;
    }
    return sum / sum_w;
}

aia_status aia_ridge_train(const aia_ridge_params *params, const aia_linear_data *data, aia_linear_model **out,
                           aia_error *err)
{
    aia_status s = check_inputs(params, data, out, err);
    if (s != AIA_OK) return s;
    size_t p = data->x.n_cols;
    aia_linear_model *m = linear_model_alloc(AIA_LINEAR_RIDGE, 0, p);
    double *mean = malloc((p + 1) * sizeof *mean);
    double *gram = malloc((p + 1) * (p + 1) * sizeof *gram);
    double *b = malloc(p * sizeof *b);
    double *a = calloc(p * p, sizeof *a);
    double *l = malloc(p * p * sizeof *l);
    if (!m || !mean || !gram || !b || !a || !l) {
        s = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, WHO ": out of memory for %zu features", p);
        goto done;
    }
    double sum_w = linear_weight_sum(data);
    for (size_t j = 0; j < p; j++) mean[j] = weighted_mean(data, data->x.col[j], sum_w);
    double y_mean = mean[p] = weighted_mean(data, data->y, sum_w);
    s = linear_gram(data, mean, params->threads, gram, err);
    if (s != AIA_OK) goto done;
    normal_equations(gram, p, a, b);
    size_t rank = solve_system(a, b, p, params->alpha, l, m->coef);
    double intercept = y_mean;
    for (size_t j = 0; j < p; j++) intercept -= mean[j] * m->coef[j];
    m->intercept[0] = intercept;
    s = linear_check_solution(m, data, WHO, err);
    if (s != AIA_OK) goto done;
    m->info = (aia_linear_fit_info){.converged = 1, .rank = rank};
    m->info.loss = training_mse(m, data, sum_w);
    *out = m;
    m = NULL;
done:
    aia_linear_free(m);
    free(mean);
    free(gram);
    free(b);
    free(a);
    free(l);
    return s;
}
