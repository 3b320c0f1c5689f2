/* lib/ml/metrics.h — model-quality metrics, matched to scikit-learn.
 *
 * Classification metrics take class indices 0..K-1 (`n_classes` = K) and,
 * for probabilistic metrics, a row-major n × K probability matrix; binary
 * metrics on a single positive-class score column have their own functions.
 * Regression metrics take two double arrays. Every function reproduces the
 * value of the scikit-learn function named in its comment (checked to 1e-9
 * relative against committed fixtures, tests/data/metrics/) and documents
 * where it deliberately differs: wherever scikit-learn would warn and return
 * NaN, these functions return AIA_INVALID_ARGUMENT with a message instead.
 *
 * Conventions shared by every function:
 * - Each array comes with its own length, so a mismatch between, say, the
 *   labels of a validation set and the predictions made for it is caught
 *   here (INVALID_ARGUMENT naming both lengths) instead of read past.
 * - Bad input is AIA_INVALID_ARGUMENT, with a message naming the argument
 *   and the first offending index: an empty array (n = 0), mismatched
 *   lengths, a class index outside [0, K), NaN or infinity, a probability
 *   outside [0, 1], a probability row whose sum is off 1 by more than
 *   AIA_ML_PROBA_SUM_TOLERANCE, a NULL pointer. `*out` is untouched then.
 * - Sums use Neumaier's compensated summation, so results keep close to
 *   full double precision on long inputs (10^5 elements and beyond).
 * - The caller owns every array; nothing is retained after the call. Only
 *   the ROC AUC functions and aia_ml_precision_recall_f1 allocate (O(n) and
 *   O(K) scratch, freed before they return; AIA_RESOURCE_EXHAUSTED when
 *   out of memory).
 * - No global state: every function is thread-safe.
 * - `err` may be NULL when the caller needs only the status.
 */
#ifndef AIA_ML_METRICS_H
#define AIA_ML_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

/* How far a probability row's sum may be from 1. It catches logits and
 * unnormalised scores while accepting float32 softmax output; it is
 * scikit-learn's relative tolerance for multiclass ROC AUC (np.allclose,
 * rtol 1e-5). Rows are never renormalised (neither does scikit-learn). */
#define AIA_ML_PROBA_SUM_TOLERANCE 1e-5

/* How per-class scores combine into one number (scikit-learn's `average`). */
typedef enum aia_ml_average {
    /* Class 1 is the positive class; needs n_classes == 2. */
    AIA_ML_AVERAGE_BINARY = 0,
    /* Global counts: for single-label data, precision = recall = F1 =
     * accuracy. For ROC AUC: one curve over every (sample, class) pair. */
    AIA_ML_AVERAGE_MICRO = 1,
    /* Unweighted mean of the per-class scores. */
    AIA_ML_AVERAGE_MACRO = 2,
    /* Mean of the per-class scores weighted by each class's support (its
     * number of samples in y_true). */
    AIA_ML_AVERAGE_WEIGHTED = 3,
} aia_ml_average;

/* "binary", "micro", "macro", "weighted"; "unknown" when out of range. */
const char *aia_ml_average_name(aia_ml_average average);

/* ---- Classification from predicted classes ------------------------------ */

/* Fraction of samples with y_pred[i] == y_true[i]: accuracy_score. Both
 * arrays hold class indices in [0, n_classes); n_classes >= 1. */
aia_status aia_ml_accuracy(const int *y_true, size_t n_true, const int *y_pred, size_t n_pred,
                           int n_classes, double *out, aia_error *err);

/* The n_classes × n_classes confusion matrix, row-major, rows = true class,
 * columns = predicted class: counts[t * n_classes + p] is the number of
 * samples of class t predicted as p. `counts` is caller-provided storage
 * of n_classes² elements, fully overwritten on success. Unlike
 * confusion_matrix(labels=None), which keeps only the classes present, it
 * always has all K rows and columns (scikit-learn's labels=range(K)). */
aia_status aia_ml_confusion_matrix(const int *y_true, size_t n_true, const int *y_pred,
                                   size_t n_pred, int n_classes, uint64_t *counts,
                                   aia_error *err);

typedef struct aia_ml_prf {
    double precision; /* tp / (tp + fp) */
    double recall;    /* tp / (tp + fn) */
    double f1;        /* 2 tp / (2 tp + fp + fn) */
} aia_ml_prf;

/* Precision, recall and F1 as precision_recall_fscore_support(y_true,
 * y_pred, average=..., zero_division=...) with labels=None:
 * - BINARY scores class 1 only (pos_label=1) and needs n_classes == 2.
 * - MACRO and WEIGHTED average over the classes that occur in y_true or
 *   y_pred, as scikit-learn does without `labels`: a class the model never
 *   saw nor predicted does not pull the macro average down.
 * - A ratio whose denominator is 0 (precision of a class never predicted,
 *   recall of a class absent from y_true, F1 of a class absent from both)
 *   takes the value `zero_division`, which must be 0.0 or 1.0.
 *   scikit-learn's default, zero_division="warn", warns and uses 0.0: pass
 *   0.0 for its result. Its zero_division=np.nan is not offered (no NaN
 *   leaves this module).
 * Allocates 3 K counters. */
aia_status aia_ml_precision_recall_f1(const int *y_true, size_t n_true, const int *y_pred,
                                      size_t n_pred, int n_classes, aia_ml_average average,
                                      double zero_division, aia_ml_prf *out, aia_error *err);

/* ---- Classification from scores and probabilities ----------------------- */

/* Area under the ROC curve of a binary problem: roc_auc_score(y_true,
 * y_score). y_true holds 0 or 1; y_score is any finite score that grows
 * with the likelihood of class 1 (a probability, a logit, a margin). Tied
 * scores form one point of the curve and the area is the trapezoidal rule
 * over the curve, exactly as scikit-learn computes it (equivalently the
 * Mann–Whitney U statistic with ties counted as one half). The area is
 * accumulated in integer counts and divided once, so it is exact to the
 * last bit for n < 2^26. When y_true holds only one class the AUC is
 * undefined: INVALID_ARGUMENT (scikit-learn warns and returns NaN).
 * Allocates O(n) scratch. */
aia_status aia_ml_roc_auc_binary(const int *y_true, size_t n_true, const double *y_score,
                                 size_t n_score, double *out, aia_error *err);

/* One-vs-rest ROC AUC of a multiclass problem: roc_auc_score(y_true,
 * y_proba, multi_class="ovr", average=..., labels=range(K)). y_proba is
 * n_rows × n_classes, row-major, each row a probability distribution.
 * - MACRO: mean over classes of the binary AUC of "class c" vs the rest,
 *   scored by column c. WEIGHTED: the same weighted by class support.
 *   Every class must occur in y_true, or its AUC is undefined:
 *   INVALID_ARGUMENT naming the class.
 * - MICRO: one binary AUC over all n × K (is-class-c, column c) pairs.
 * - BINARY is refused for K > 2.
 * - K == 2: the binary AUC of column 1, whatever the average (scikit-learn
 *   refuses a two-column score matrix; this is what it computes for
 *   roc_auc_score(y_true, y_proba[:, 1])).
 * Allocates O(n) scratch (O(n K) for MICRO). */
aia_status aia_ml_roc_auc_ovr(const int *y_true, size_t n_true, const double *y_proba,
                              size_t n_rows, int n_classes, aia_ml_average average, double *out,
                              aia_error *err);

/* Mean cross-entropy: log_loss(y_true, y_proba, labels=range(K)). y_proba
 * is n_rows × n_classes (K >= 2), row-major. Each probability is clipped
 * to [eps, 1 - eps] with eps = DBL_EPSILON, so a confident mistake costs
 * -log(eps) ≈ 36.04 instead of infinity: scikit-learn's eps="auto"
 * (np.finfo(float64).eps), its default since 1.2 and its only behaviour
 * since 1.5 (before 1.2 it clipped at 1e-15). Rows are not renormalised;
 * scikit-learn 1.5 and later do not either (they warn). Classes need not
 * all occur in y_true (scikit-learn needs `labels` for that). */
aia_status aia_ml_log_loss(const int *y_true, size_t n_true, const double *y_proba,
                           size_t n_rows, int n_classes, double *out, aia_error *err);

/* Binary log loss from the probability of class 1 alone:
 * log_loss(y_true, p_pos, labels=[0, 1]). Like scikit-learn it forms
 * 1 - p for class 0 before clipping to [eps, 1 - eps]. */
aia_status aia_ml_log_loss_binary(const int *y_true, size_t n_true, const double *p_pos,
                                  size_t n_p, double *out, aia_error *err);

/* ---- Regression ---------------------------------------------------------- */

/* Root mean squared error: root_mean_squared_error(y_true, y_pred).
 * Values must be finite; OUT_OF_RANGE when the squared errors overflow a
 * double (|errors| near 1e154), rather than returning infinity. */
aia_status aia_ml_rmse(const double *y_true, size_t n_true, const double *y_pred, size_t n_pred,
                       double *out, aia_error *err);

/* Mean absolute error: mean_absolute_error(y_true, y_pred). */
aia_status aia_ml_mae(const double *y_true, size_t n_true, const double *y_pred, size_t n_pred,
                      double *out, aia_error *err);

/* Coefficient of determination: r2_score(y_true, y_pred), i.e.
 * 1 - Σ(y - ŷ)² / Σ(y - ȳ)². Needs n >= 2 (scikit-learn warns and returns
 * NaN below that: INVALID_ARGUMENT here). When y_true is constant the
 * ratio is undefined and, like scikit-learn's default force_finite=True,
 * the result is 1.0 for perfect predictions and 0.0 otherwise. Constancy
 * is tested exactly (all values equal), where scikit-learn tests its
 * computed Σ(y - ȳ)² == 0: the two agree except when rounding in the mean
 * leaves scikit-learn a tiny non-zero denominator, where it returns a huge
 * negative number and this returns 0.0 or 1.0. OUT_OF_RANGE when the sums
 * of squares overflow. */
aia_status aia_ml_r2(const double *y_true, size_t n_true, const double *y_pred, size_t n_pred,
                     double *out, aia_error *err);

#endif
