/* lib/ml/linear.h — linear models: L2-regularised logistic regression
 * (binary and multinomial softmax) and least-squares / ridge regression.
 *
 * Logistic regression reproduces scikit-learn's
 * LogisticRegression(l1_ratio=0 / penalty='l2', C, solver='lbfgs', tol,
 * max_iter): it minimises
 *
 *     C * sum_i w_i * logloss_i + 0.5 * ||W||^2      (intercepts unpenalised)
 *
 * with L-BFGS (10 correction pairs, a strong-Wolfe line search of at most 50
 * steps). Like scikit-learn it works on that objective divided by
 * C * sum_i w_i, so `tol` means the same thing: training stops when every
 * component of the scaled gradient is at most tol, or when an iteration
 * lowers the scaled objective by less than 64 * DBL_EPSILON relative (the
 * ftol scikit-learn passes to SciPy). Two classes fit one coefficient vector
 * (the log-odds of class 1); K >= 3 classes fit K vectors, the softmax
 * parametrisation, whose L2 penalty makes the solution unique; the K
 * intercepts are then reported centred (summing to zero), which changes no
 * probability. Hitting max_iter is not an error: the model is returned with
 * converged = 0 in its fit info, as scikit-learn returns a model and warns.
 * On a well-conditioned problem the coefficients match scikit-learn's to
 * 1e-7 relative when both are run to tol = 1e-10; at the default tol both
 * stop a few 1e-4 (relative) short of the optimum, at different points, so
 * they agree to within 1e-3 (measured: 2.6e-4 with two classes, 6.4e-4
 * with three; tests/unit/ml/linear_test.c, fixtures in tests/data/linear).
 *
 * Ridge regression reproduces scikit-learn's Ridge(alpha) and, with
 * alpha = 0, LinearRegression: it minimises
 *
 *     sum_i w_i * (y_i - x_i.coef - intercept)^2 + alpha * ||coef||^2
 *
 * in closed form: the columns and the target are centred on their weighted
 * means (so the intercept is not penalised), and (Xc' W Xc + alpha I) coef =
 * Xc' W yc is solved by Cholesky. Collinear columns: the rank of the
 * centred design is found during an unpenalised Cholesky, a column counting
 * as dependent when less than 1e-10 of its weighted sum of squares is left
 * after projecting it on the columns before it (R^2 > 1 - 1e-10). With
 * alpha > 0 that changes nothing (the penalty makes the system definite).
 * With alpha = 0 and a deficient rank, the system is solved with a jitter
 * of 1e-8 times the mean diagonal of Xc' W Xc added to the diagonal: the
 * ridge solution tends to the minimum-norm least-squares solution as its
 * penalty tends to 0, so the result is the one scikit-learn's
 * LinearRegression (LAPACK lstsq) gives, to about 1e-7 relative: the weight
 * of duplicated columns is shared equally between them rather than given
 * to one. A constant column (no variance) gets coefficient 0. The rank is
 * in the fit info (scikit-learn's rank_). Columns whose dependence is
 * weaker than the rule above are solved as they are, as lstsq would.
 *
 * Inputs: an aia_matrix of finite values (missing values are the
 * preprocessing's job: a NaN or infinity is INVALID_ARGUMENT naming the
 * feature and the row), y (class indices 0..n_classes-1 stored as doubles,
 * or regression targets), optional sample weights (finite, >= 0, with a
 * positive sum; NULL means all 1).
 *
 * Determinism: no randomness; the same data and parameters give the same
 * model bit for bit, whatever the thread count. Logistic regression splits
 * each objective evaluation over fixed blocks of 4096 rows, shared among
 * the threads of a fork-join team (lib/base/team.h) and summed in block
 * order. Ridge makes one pass over the data in blocks of 1024 rows,
 * building the p x p system with each entry owned by one thread and summed
 * in block order. Small problems run on the calling thread alone.
 *
 * Ownership: the train functions and aia_linear_from_coef() return a model
 * the caller frees with aia_linear_free(); nothing of the inputs is
 * retained. Thread-safety: a model is immutable; predicting from many
 * threads at once is safe, and single-row prediction allocates nothing.
 * `err` may be NULL everywhere.
 */
#ifndef AIA_ML_LINEAR_H
#define AIA_ML_LINEAR_H

#include <stddef.h>

#include "lib/base/status.h"
#include "lib/ml/matrix.h"

typedef enum aia_linear_kind {
    AIA_LINEAR_LOGISTIC = 1, /* classifier: probabilities */
    AIA_LINEAR_RIDGE = 2,    /* regressor (alpha = 0: ordinary least squares) */
} aia_linear_kind;

typedef struct aia_logistic_params {
    int n_classes;  /* >= 2; every class must have a training row */
    double C;       /* inverse regularisation strength, > 0 and finite; default 1 */
    double tol;     /* gradient tolerance (see above), >= 0 and finite; default 1e-4 */
    int max_iter;   /* L-BFGS iterations, >= 1; default 100 */
    int threads;    /* >= 0; 0: the CPUs this process may use. The model does not depend on it */
} aia_logistic_params;

/* scikit-learn's defaults (C = 1, tol = 1e-4, max_iter = 100), threads 0;
 * n_classes left at 0, for the caller to set. */
void aia_logistic_params_default(aia_logistic_params *p);

typedef struct aia_ridge_params {
    double alpha; /* L2 penalty, >= 0 and finite; 0: ordinary least squares. Default 1 */
    int threads;  /* >= 0; 0: the CPUs this process may use. The model does not depend on it */
} aia_ridge_params;

/* scikit-learn's Ridge default (alpha = 1), threads 0. */
void aia_ridge_params_default(aia_ridge_params *p);

typedef struct aia_linear_data {
    aia_matrix x;         /* n_rows x n_features, finite */
    const double *y;      /* n_rows: class index (logistic) or target (ridge) */
    const double *weight; /* n_rows sample weights, or NULL for all 1 */
} aia_linear_data;

/* How training went. */
typedef struct aia_linear_fit_info {
    int converged;    /* logistic: 1 when the gradient or the decrease rule was met; 0 when
                         max_iter was reached, the callback stopped training, or no step
                         along the gradient lowered the objective (it is flat to rounding
                         there; SciPy's ABNORMAL_TERMINATION_IN_LNSRCH). Ridge: always 1 */
    int stopped;      /* logistic: the progress callback asked to stop */
    int n_iter;       /* logistic: L-BFGS iterations done; ridge: 0 */
    double loss;      /* logistic: the final scaled objective (see above); ridge: the
                         weighted mean squared residual on the training data */
    double grad_max;  /* logistic: the largest scaled gradient component at the end; ridge: 0 */
    size_t rank;      /* ridge: rank of the centred design (n_features when no column
                         is collinear); logistic: n_features */
} aia_linear_fit_info;

typedef struct aia_linear_model aia_linear_model;

/* Logistic training progress, once per L-BFGS iteration: the scaled
 * objective and its largest gradient component. Returning non-zero stops
 * training (a cancelled job): the model keeps the current coefficients,
 * with stopped = 1 and converged = 0. */
typedef int (*aia_linear_progress_fn)(void *arg, int iter, double loss, double grad_max);

/* Fits a logistic regression. `progress` may be NULL. Errors, all
 * INVALID_ARGUMENT naming the parameter, or the row and feature: a
 * parameter out of range, no rows or no features, a NULL array, a NaN or
 * infinite feature value, a label that is not a class index in
 * [0, n_classes), a class with no row ("only one class" when a single
 * class is present), a weight that is negative or not finite, weights
 * summing to 0, finite values so large that the fit overflows double
 * arithmetic (the message names the largest value's feature and asks for
 * standardisation); RESOURCE_EXHAUSTED when memory runs out. */
aia_status aia_logistic_train(const aia_logistic_params *params, const aia_linear_data *data,
                              aia_linear_progress_fn progress, void *progress_arg,
                              aia_linear_model **out, aia_error *err);

/* Fits ridge / least-squares regression. Errors as for logistic
 * regression (a target that is NaN or infinite names its row); no rows is
 * an error, one row gives coef 0 and the target as intercept. */
aia_status aia_ridge_train(const aia_ridge_params *params, const aia_linear_data *data,
                           aia_linear_model **out, aia_error *err);

/* A model from known coefficients (the model file's loader): n_outputs =
 * 1 for ridge and binary logistic (n_classes = 2), else n_classes rows of
 * n_features coefficients, row-major, and n_outputs intercepts; both are
 * copied, and so is `info` (training metadata to keep; NULL: converged = 1,
 * n_iter = 0, rank = n_features). Errors: INVALID_ARGUMENT for a bad kind,
 * n_classes (ignored for ridge), n_features = 0, or a non-finite value
 * (named by its index). */
aia_status aia_linear_from_coef(aia_linear_kind kind, int n_classes, size_t n_features,
                                const double *coef, const double *intercept,
                                const aia_linear_fit_info *info, aia_linear_model **out,
                                aia_error *err);

/* NULL is fine. */
void aia_linear_free(aia_linear_model *m);

aia_linear_kind aia_linear_kind_of(const aia_linear_model *m);
/* Classes for logistic regression; 0 for ridge. */
int aia_linear_n_classes(const aia_linear_model *m);
/* Outputs per row: 1 for ridge and binary, n_classes for multinomial. */
int aia_linear_n_outputs(const aia_linear_model *m);
size_t aia_linear_n_features(const aia_linear_model *m);

/* The coefficients, n_outputs rows of n_features, row-major (scikit-learn's
 * coef_), and the n_outputs intercepts (intercept_). Borrowed: valid until
 * aia_linear_free(). */
const double *aia_linear_coef(const aia_linear_model *m);
const double *aia_linear_intercept(const aia_linear_model *m);

/* How training went (see aia_linear_fit_info). */
aia_linear_fit_info aia_linear_fit_info_of(const aia_linear_model *m);

/* Decision function of one row (n_features values) into out (n_outputs
 * values): x.coef + intercept — the prediction for ridge, the log-odds of
 * class 1 for binary, the K logits for multinomial. The row is not checked:
 * a NaN in it gives NaN out. */
void aia_linear_predict_raw(const aia_linear_model *m, const double *row, double *out);

/* Predictions of one row: the value for ridge, P(class 1) for binary, the
 * K class probabilities (summing to 1) for multinomial. The sigmoid and the
 * softmax never overflow, and a logit that itself overflowed to infinity
 * gives probabilities 0 and 1, so a finite row gives no NaN unless its
 * products overflow to both +infinity and -infinity within one logit. */
void aia_linear_predict(const aia_linear_model *m, const double *row, double *out);

/* Predictions for every row of x (column-major view) into
 * out[i * n_outputs + k]; raw = 1 for the decision function, 0 for
 * predictions. Allocates nothing. Errors (INVALID_ARGUMENT, out untouched):
 * x has another number of features, a NULL column or output, a NaN or
 * infinite value (named by feature and row). */
aia_status aia_linear_predict_batch(const aia_linear_model *m, const aia_matrix *x, int raw,
                                    double *out, aia_error *err);

#endif
