/* lib/ml/linear_internal.h — what the linear-model files share: the model
 * struct and the input checks. Not part of the public API (linear.h). */
#ifndef AIA_ML_LINEAR_INTERNAL_H
#define AIA_ML_LINEAR_INTERNAL_H

#include <stddef.h>

#include "lib/base/status.h"
#include "lib/ml/linear.h"

struct aia_linear_model {
    aia_linear_kind kind;
    int n_classes;        /* 0 for ridge */
    int n_outputs;        /* rows of coef */
    size_t n_features;
    double *coef;         /* n_outputs x n_features, row-major */
    double *intercept;    /* n_outputs */
    aia_linear_fit_info info;
};

/* A model with zeroed coefficients and intercepts; NULL when out of
 * memory. n_outputs is derived from kind and n_classes. */
aia_linear_model *linear_model_alloc(aia_linear_kind kind, int n_classes, size_t n_features);

/* The checks every trainer starts with: data and its arrays non-NULL, at
 * least one row and one feature, every feature value finite, weights (when
 * given) finite and >= 0 with a positive sum. `who` prefixes messages
 * ("logistic regression"). */
aia_status linear_check_data(const aia_linear_data *data, const char *who, aia_error *err);

/* The first non-finite value of x, as INVALID_ARGUMENT naming the feature
 * and the row; AIA_OK when there is none. */
aia_status linear_check_finite(const aia_matrix *x, const char *who, aia_error *err);

/* The lower triangle of the (p+1) x (p+1) matrix sum_i w_i z_i z_i', where
 * z_i is row i of [X | y] minus `mean` (p + 1 values: the features' means,
 * then the target's), into g (row-major; the upper triangle is not
 * touched). Blocked and shared by a team of `threads` (0: the CPUs this
 * process may use; small problems run on the caller alone); the same bits
 * for any thread count. RESOURCE_EXHAUSTED when memory runs out. */
aia_status linear_gram(const aia_linear_data *data, const double *mean, int threads, double *g, aia_error *err);

/* Sum of the sample weights (n_rows when weight is NULL). */
double linear_weight_sum(const aia_linear_data *data);

/* INVALID_ARGUMENT blaming the scale of the data (the largest |value| and
 * its feature): finite inputs overflowed double arithmetic. */
aia_status linear_scale_error(const aia_linear_data *data, const char *who, aia_error *err);

/* AIA_OK when every coefficient and intercept of m is finite; else
 * linear_scale_error(). */
aia_status linear_check_solution(const aia_linear_model *m, const aia_linear_data *data, const char *who,
                                 aia_error *err);

#endif
