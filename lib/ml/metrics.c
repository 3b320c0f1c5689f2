/* lib/ml/metrics.c — see metrics.h.
 *
 * Layout: argument checks (each names the argument and the first offending
 * index), a compensated sum, then the metrics in the header's order.
 *
 * Matching scikit-learn to 1e-9 relative needs care in two places only:
 * long sums (Neumaier's compensation keeps the error independent of n,
 * where a naive loop's grows with it) and ROC AUC, whose trapezoids are
 * accumulated as integer counts so the area is exact before the single
 * final division. Everything else is one division of exact integer counts.
 */
#include "lib/ml/metrics.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

const char *aia_ml_average_name(aia_ml_average average)
{
    switch (average) {
    case AIA_ML_AVERAGE_BINARY: return "binary";
    case AIA_ML_AVERAGE_MICRO: return "micro";
    case AIA_ML_AVERAGE_MACRO: return "macro";
    case AIA_ML_AVERAGE_WEIGHTED: return "weighted";
    }
    return "unknown";
}

/* ---- Argument checks ----------------------------------------------------- */

static aia_status check_not_null(const void *p, const char *name, aia_error *err)
{
    if (p) return AIA_OK;
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s is NULL", name);
}

/* Both arrays non-empty and of the same length. */
static aia_status check_lengths(const char *name_a, size_t n_a, const char *name_b, size_t n_b,
                                aia_error *err)
{
    if (n_a == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s is empty (n = 0): a metric needs at least one sample", name_a);
    if (n_a != n_b)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s has %zu elements but %s has %zu: they must have the same length",
                             name_a, n_a, name_b, n_b);
    return AIA_OK;
}

static aia_status check_n_classes(int n_classes, int minimum, aia_error *err)
{
    if (n_classes >= minimum) return AIA_OK;
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "n_classes is %d: this metric needs at least %d",
                         n_classes, minimum);
}

static aia_status check_class_indices(const int *y, size_t n, int n_classes, const char *name,
                                      aia_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= n_classes)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s[%zu] = %d is not a class index in [0, %d)", name, i, y[i],
                                 n_classes);
    }
    return AIA_OK;
}

static aia_status check_finite(const double *x, size_t n, const char *name, aia_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s[%zu] is NaN", name, i);
        if (isinf(x[i]))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s[%zu] is %s: values must be finite",
                                 name, i, x[i] > 0 ? "+inf" : "-inf");
    }
    return AIA_OK;
}

static aia_status check_probability(double p, const char *name, size_t row, int col, int n_cols,
                                    aia_error *err)
{
    if (p >= 0.0 && p <= 1.0) return AIA_OK; /* false for NaN too */
    const char *why = isnan(p) ? "NaN" : "not a probability in [0, 1]";
    if (n_cols == 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s[%zu] = %g is %s", name, row, p, why);
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s[%zu][%d] = %g is %s", name, row, col, p,
                         why);
}

/* Every entry in [0, 1] and every row summing to 1 within tolerance. */
static aia_status check_proba_matrix(const double *p, size_t n_rows, int n_classes,
                                     const char *name, aia_error *err)
{
    for (size_t i = 0; i < n_rows; i++) {
        const double *row = p + i * (size_t)n_classes;
        double sum = 0.0;
        for (int c = 0; c < n_classes; c++) {
            aia_status s = check_probability(row[c], name, i, c, n_classes, err);
            if (s != AIA_OK) return s;
            sum += row[c];
        }
        if (fabs(sum - 1.0) > AIA_ML_PROBA_SUM_TOLERANCE)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s row %zu sums to %.17g, not 1 (tolerance %g): pass "
                                 "probabilities, not scores or logits",
                                 name, i, sum, AIA_ML_PROBA_SUM_TOLERANCE);
    }
    return AIA_OK;
}

static aia_status check_average(aia_ml_average average, aia_error *err)
{
    /* Through unsigned: the enum's underlying type is the compiler's choice. */
    if ((unsigned)average <= (unsigned)AIA_ML_AVERAGE_WEIGHTED) return AIA_OK;
    return aia_error_set(err, AIA_INVALID_ARGUMENT,
                         "average is %d: not an aia_ml_average (binary, micro, macro, weighted)",
                         (int)average);
}

/* The checks every (y_true, y_pred) classification metric starts with. */
static aia_status check_label_pair(const int *y_true, size_t n_true, const int *y_pred,
                                   size_t n_pred, int n_classes, aia_error *err)
{
    aia_status s;
    if ((s = check_not_null(y_true, "y_true", err)) != AIA_OK) return s;
    if ((s = check_not_null(y_pred, "y_pred", err)) != AIA_OK) return s;
    if ((s = check_lengths("y_true", n_true, "y_pred", n_pred, err)) != AIA_OK) return s;
    if ((s = check_n_classes(n_classes, 1, err)) != AIA_OK) return s;
    if ((s = check_class_indices(y_true, n_true, n_classes, "y_true", err)) != AIA_OK) return s;
    return check_class_indices(y_pred, n_pred, n_classes, "y_pred", err);
}

/* y_true of a binary metric: class indices 0 or 1. */
static aia_status check_binary_labels(const int *y, size_t n, aia_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (y[i] != 0 && y[i] != 1)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "y_true[%zu] = %d is not a binary class index (0 or 1)", i, y[i]);
    }
    return AIA_OK;
}

static aia_status check_regression_pair(const double *y_true, size_t n_true, const double *y_pred,
                                        size_t n_pred, aia_error *err)
{
    aia_status s;
    if ((s = check_not_null(y_true, "y_true", err)) != AIA_OK) return s;
    if ((s = check_not_null(y_pred, "y_pred", err)) != AIA_OK) return s;
    if ((s = check_lengths("y_true", n_true, "y_pred", n_pred, err)) != AIA_OK) return s;
    if ((s = check_finite(y_true, n_true, "y_true", err)) != AIA_OK) return s;
    return check_finite(y_pred, n_pred, "y_pred", err);
}

/* ---- Compensated summation ----------------------------------------------- */

/* Neumaier's variant of Kahan summation: the running error term also
 * captures the low bits of the sum when an addend is larger than it. */
typedef struct csum {
    double sum;
    double comp;
} csum;

static void csum_add(csum *k, double x)
{
    double t = k->sum + x;
    if (fabs(k->sum) >= fabs(x))
        k->comp += (k->sum - t) + x;
    else
        k->comp += (x - t) + k->sum;
    k->sum = t;
}

static double csum_value(const csum *k)
{
    /* Once the sum overflows, the compensation is inf - inf = NaN. */
    return isfinite(k->sum) ? k->sum + k->comp : k->sum;
}

/* ---- Classification from predicted classes ------------------------------- */

aia_status aia_ml_accuracy(const int *y_true, size_t n_true, const int *y_pred, size_t n_pred,
                           int n_classes, double *out, aia_error *err)
{
    aia_status s = check_label_pair(y_true, n_true, y_pred, n_pred, n_classes, err);
    if (s != AIA_OK) return s;
    if ((s = check_not_null(out, "out", err)) != AIA_OK) return s;
    size_t correct = 0;
    for (size_t i = 0; i < n_true; i++) correct += y_true[i] == y_pred[i];
    *out = (double)correct / (double)n_true;
    return AIA_OK;
}

aia_status aia_ml_confusion_matrix(const int *y_true, size_t n_true, const int *y_pred,
                                   size_t n_pred, int n_classes, uint64_t *counts, aia_error *err)
{
    aia_status s = check_label_pair(y_true, n_true, y_pred, n_pred, n_classes, err);
    if (s != AIA_OK) return s;
    if ((s = check_not_null(counts, "counts", err)) != AIA_OK) return s;
    size_t k = (size_t)n_classes;
    for (size_t i = 0; i < k * k; i++) counts[i] = 0;
    for (size_t i = 0; i < n_true; i++) counts[(size_t)y_true[i] * k + (size_t)y_pred[i]]++;
    return AIA_OK;
}

/* Per-class counts behind precision, recall and F1. */
typedef struct class_counts {
    uint64_t *tp;   /* predicted c and truly c */
    uint64_t *pred; /* predicted c */
    uint64_t *true_; /* truly c (the support) */
} class_counts;

static aia_status class_counts_fill(class_counts *cc, const int *y_true, const int *y_pred,
                                    size_t n, int n_classes, aia_error *err)
{
    uint64_t *all = calloc(3 * (size_t)n_classes, sizeof *all);
    if (!all)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED,
                             "out of memory for the per-class counts of %d classes", n_classes);
    cc->tp = all;
    cc->pred = all + n_classes;
    cc->true_ = all + 2 * (size_t)n_classes;
    for (size_t i = 0; i < n; i++) {
        cc->pred[y_pred[i]]++;
        cc->true_[y_true[i]]++;
        cc->tp[y_true[i]] += y_true[i] == y_pred[i];
    }
    return AIA_OK;
}

/* numerator / denominator, or zero_division when the denominator is 0. */
static double ratio_or(double numerator, uint64_t denominator, double zero_division)
{
    return denominator == 0 ? zero_division : numerator / (double)denominator;
}

static aia_ml_prf prf_of(uint64_t tp, uint64_t pred, uint64_t true_, double zero_division)
{
    aia_ml_prf r;
    r.precision = ratio_or((double)tp, pred, zero_division);
    r.recall = ratio_or((double)tp, true_, zero_division);
    r.f1 = ratio_or(2.0 * (double)tp, pred + true_, zero_division);
    return r;
}

/* Micro: the per-class counts summed over the classes present first. */
static aia_ml_prf prf_micro(const class_counts *cc, int n_classes, double zero_division)
{
    uint64_t tp = 0, pred = 0, true_ = 0;
    for (int c = 0; c < n_classes; c++) {
        tp += cc->tp[c];
        pred += cc->pred[c];
        true_ += cc->true_[c];
    }
    return prf_of(tp, pred, true_, zero_division);
}

/* Macro (weighted = 0) or support-weighted (weighted = 1) mean over the
 * classes present in y_true or y_pred, as scikit-learn's labels=None. */
static aia_ml_prf prf_mean(const class_counts *cc, int n_classes, int weighted,
                           double zero_division)
{
    csum p = {0, 0}, r = {0, 0}, f = {0, 0};
    double total_weight = 0.0;
    for (int c = 0; c < n_classes; c++) {
        if (cc->true_[c] == 0 && cc->pred[c] == 0) continue;
        aia_ml_prf one = prf_of(cc->tp[c], cc->pred[c], cc->true_[c], zero_division);
        double w = weighted ? (double)cc->true_[c] : 1.0;
        csum_add(&p, w * one.precision);
        csum_add(&r, w * one.recall);
        csum_add(&f, w * one.f1);
        total_weight += w;
    }
    /* n >= 1, so some class is present and, when weighting, has support. */
    aia_ml_prf mean = {csum_value(&p) / total_weight, csum_value(&r) / total_weight,
                       csum_value(&f) / total_weight};
    return mean;
}

aia_status aia_ml_precision_recall_f1(const int *y_true, size_t n_true, const int *y_pred,
                                      size_t n_pred, int n_classes, aia_ml_average average,
                                      double zero_division, aia_ml_prf *out, aia_error *err)
{
    aia_status s = check_label_pair(y_true, n_true, y_pred, n_pred, n_classes, err);
    if (s != AIA_OK) return s;
    if ((s = check_not_null(out, "out", err)) != AIA_OK) return s;
    if (zero_division != 0.0 && zero_division != 1.0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "zero_division is %g: it must be 0 or 1",
                             zero_division);
    if ((s = check_average(average, err)) != AIA_OK) return s;
    if (average == AIA_ML_AVERAGE_BINARY && n_classes != 2)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "average=binary needs n_classes = 2 (class 1 positive), got %d: use "
                             "micro, macro or weighted",
                             n_classes);

    class_counts cc;
    if ((s = class_counts_fill(&cc, y_true, y_pred, n_true, n_classes, err)) != AIA_OK) return s;
    switch (average) {
    case AIA_ML_AVERAGE_BINARY:
        *out = prf_of(cc.tp[1], cc.pred[1], cc.true_[1], zero_division);
        break;
    case AIA_ML_AVERAGE_MICRO: *out = prf_micro(&cc, n_classes, zero_division); break;
    case AIA_ML_AVERAGE_MACRO: *out = prf_mean(&cc, n_classes, 0, zero_division); break;
    case AIA_ML_AVERAGE_WEIGHTED: *out = prf_mean(&cc, n_classes, 1, zero_division); break;
    }
    free(cc.tp);
    return AIA_OK;
}

/* ---- ROC AUC ------------------------------------------------------------- */

typedef struct scored {
    double score;
    int positive; /* 1 for the positive class, 0 otherwise */
} scored;

static int by_score_descending(const void *a, const void *b)
{
    double x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x < y) - (x > y);
}

/* The area under the ROC curve of items that hold both classes. Sorting by
 * descending score and walking groups of equal scores visits the curve's
 * points in order; each group adds a trapezoid of width fp_g / N between
 * heights tp_before / P and (tp_before + tp_g) / P. Twice its area,
 * fp_g (2 tp_before + tp_g), is an integer, so the sum is exact in a
 * double while below 2^53 and the only rounding is the final division. */
static double auc_of_scored(scored *items, size_t n, uint64_t n_pos, uint64_t n_neg)
{
    qsort(items, n, sizeof *items, by_score_descending);
    double twice_area = 0.0;
    uint64_t tp_before = 0;
    size_t i = 0;
    while (i < n) {
        uint64_t tp_group = 0, fp_group = 0;
        size_t j = i;
        for (; j < n && items[j].score == items[i].score; j++) {
            tp_group += (uint64_t)items[j].positive;
            fp_group += (uint64_t)!items[j].positive;
        }
        twice_area += (double)fp_group * (2.0 * (double)tp_before + (double)tp_group);
        tp_before += tp_group;
        i = j;
    }
    return twice_area / (2.0 * (double)n_pos * (double)n_neg);
}

static aia_status out_of_memory_for_auc(size_t n, aia_error *err)
{
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory sorting %zu scores for ROC AUC",
                         n);
}

/* Binary AUC of score column `col` of an n × stride matrix against
 * "y == positive_class". The caller has checked both classes occur. */
static aia_status auc_of_column(const int *y, const double *scores, size_t n, size_t stride,
                                size_t col, int positive_class, double *out, aia_error *err)
{
    scored *items = malloc(n * sizeof *items);
    if (!items) return out_of_memory_for_auc(n, err);
    uint64_t n_pos = 0;
    for (size_t i = 0; i < n; i++) {
        items[i].score = scores[i * stride + col];
        items[i].positive = y[i] == positive_class;
        n_pos += (uint64_t)items[i].positive;
    }
    *out = auc_of_scored(items, n, n_pos, n - n_pos);
    free(items);
    return AIA_OK;
}

aia_status aia_ml_roc_auc_binary(const int *y_true, size_t n_true, const double *y_score,
                                 size_t n_score, double *out, aia_error *err)
{
    aia_status s;
    if ((s = check_not_null(y_true, "y_true", err)) != AIA_OK) return s;
    if ((s = check_not_null(y_score, "y_score", err)) != AIA_OK) return s;
    if ((s = check_not_null(out, "out", err)) != AIA_OK) return s;
    if ((s = check_lengths("y_true", n_true, "y_score", n_score, err)) != AIA_OK) return s;
    if ((s = check_binary_labels(y_true, n_true, err)) != AIA_OK) return s;
    if ((s = check_finite(y_score, n_score, "y_score", err)) != AIA_OK) return s;
    size_t n_pos = 0;
    for (size_t i = 0; i < n_true; i++) n_pos += (size_t)y_true[i];
    if (n_pos == 0 || n_pos == n_true)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "y_true holds only class %d (n = %zu): ROC AUC is undefined unless "
                             "both classes occur",
                             n_pos ? 1 : 0, n_true);
    return auc_of_column(y_true, y_score, n_true, 1, 0, 1, out, err);
}

/* Micro average: one curve over every (sample, class) pair, positive when
 * the class is the sample's. */
static aia_status auc_micro(const int *y, const double *proba, size_t n, int n_classes,
                            double *out, aia_error *err)
{
    size_t k = (size_t)n_classes, total = n * k;
    scored *items = malloc(total * sizeof *items);
    if (!items) return out_of_memory_for_auc(total, err);
    for (size_t i = 0; i < n; i++) {
        for (size_t c = 0; c < k; c++) {
            items[i * k + c].score = proba[i * k + c];
            items[i * k + c].positive = (size_t)y[i] == c;
        }
    }
    /* Exactly one positive per sample: n positives, n (K - 1) negatives. */
    *out = auc_of_scored(items, total, n, total - n);
    free(items);
    return AIA_OK;
}

/* Macro or support-weighted mean of the per-class one-vs-rest AUCs. */
static aia_status auc_ovr_mean(const int *y, const double *proba, size_t n, int n_classes,
                               int weighted, double *out, aia_error *err)
{
    uint64_t *support = calloc((size_t)n_classes, sizeof *support);
    if (!support) return out_of_memory_for_auc(n, err);
    for (size_t i = 0; i < n; i++) support[y[i]]++;
    aia_status s = AIA_OK;
    for (int c = 0; c < n_classes && s == AIA_OK; c++) {
        if (support[c] == 0)
            s = aia_error_set(err, AIA_INVALID_ARGUMENT,
                              "class %d never occurs in y_true (n = %zu): its one-vs-rest ROC AUC "
                              "is undefined; use average=micro or drop the class",
                              c, n);
    }
    csum total = {0, 0};
    for (int c = 0; c < n_classes && s == AIA_OK; c++) {
        double auc = 0.0;
        s = auc_of_column(y, proba, n, (size_t)n_classes, (size_t)c, c, &auc, err);
        csum_add(&total, weighted ? (double)support[c] * auc : auc);
    }
    if (s == AIA_OK) *out = csum_value(&total) / (weighted ? (double)n : (double)n_classes);
    free(support);
    return s;
}

aia_status aia_ml_roc_auc_ovr(const int *y_true, size_t n_true, const double *y_proba,
                              size_t n_rows, int n_classes, aia_ml_average average, double *out,
                              aia_error *err)
{
    aia_status s;
    if ((s = check_not_null(y_true, "y_true", err)) != AIA_OK) return s;
    if ((s = check_not_null(y_proba, "y_proba", err)) != AIA_OK) return s;
    if ((s = check_not_null(out, "out", err)) != AIA_OK) return s;
    if ((s = check_lengths("y_true", n_true, "y_proba rows", n_rows, err)) != AIA_OK) return s;
    if ((s = check_n_classes(n_classes, 2, err)) != AIA_OK) return s;
    if ((s = check_average(average, err)) != AIA_OK) return s;
    if (average == AIA_ML_AVERAGE_BINARY && n_classes > 2)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "average=binary needs n_classes = 2, got %d: use micro, macro or "
                             "weighted",
                             n_classes);
    if ((s = check_class_indices(y_true, n_true, n_classes, "y_true", err)) != AIA_OK) return s;
    if ((s = check_proba_matrix(y_proba, n_rows, n_classes, "y_proba", err)) != AIA_OK) return s;

    if (n_classes == 2) {
        size_t n_pos = 0;
        for (size_t i = 0; i < n_true; i++) n_pos += (size_t)y_true[i];
        if (n_pos == 0 || n_pos == n_true)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "y_true holds only class %d (n = %zu): ROC AUC is undefined "
                                 "unless both classes occur",
                                 n_pos ? 1 : 0, n_true);
        return auc_of_column(y_true, y_proba, n_true, 2, 1, 1, out, err);
    }
    if (average == AIA_ML_AVERAGE_MICRO)
        return auc_micro(y_true, y_proba, n_true, n_classes, out, err);
    return auc_ovr_mean(y_true, y_proba, n_true, n_classes, average == AIA_ML_AVERAGE_WEIGHTED,
                        out, err);
}

/* ---- Log loss ------------------------------------------------------------ */

/* -log of p clipped to [eps, 1 - eps], as scikit-learn's np.clip does. */
static double clipped_neg_log(double p)
{
    const double eps = DBL_EPSILON;
    return -log(fmin(fmax(p, eps), 1.0 - eps));
}

aia_status aia_ml_log_loss(const int *y_true, size_t n_true, const double *y_proba,
                           size_t n_rows, int n_classes, double *out, aia_error *err)
{
    aia_status s;
    if ((s = check_not_null(y_true, "y_true", err)) != AIA_OK) return s;
    if ((s = check_not_null(y_proba, "y_proba", err)) != AIA_OK) return s;
    if ((s = check_not_null(out, "out", err)) != AIA_OK) return s;
    if ((s = check_lengths("y_true", n_true, "y_proba rows", n_rows, err)) != AIA_OK) return s;
    if ((s = check_n_classes(n_classes, 2, err)) != AIA_OK) return s;
    if ((s = check_class_indices(y_true, n_true, n_classes, "y_true", err)) != AIA_OK) return s;
    if ((s = check_proba_matrix(y_proba, n_rows, n_classes, "y_proba", err)) != AIA_OK) return s;
    csum total = {0, 0};
    for (size_t i = 0; i < n_true; i++)
        csum_add(&total, clipped_neg_log(y_proba[i * (size_t)n_classes + (size_t)y_true[i]]));
    *out = csum_value(&total) / (double)n_true;
    return AIA_OK;
}

aia_status aia_ml_log_loss_binary(const int *y_true, size_t n_true, const double *p_pos,
                                  size_t n_p, double *out, aia_error *err)
{
    aia_status s;
    if ((s = check_not_null(y_true, "y_true", err)) != AIA_OK) return s;
    if ((s = check_not_null(p_pos, "p_pos", err)) != AIA_OK) return s;
    if ((s = check_not_null(out, "out", err)) != AIA_OK) return s;
    if ((s = check_lengths("y_true", n_true, "p_pos", n_p, err)) != AIA_OK) return s;
    if ((s = check_binary_labels(y_true, n_true, err)) != AIA_OK) return s;
    for (size_t i = 0; i < n_p; i++) {
        if ((s = check_probability(p_pos[i], "p_pos", i, 0, 1, err)) != AIA_OK) return s;
    }
    csum total = {0, 0};
    for (size_t i = 0; i < n_true; i++)
        csum_add(&total, clipped_neg_log(y_true[i] ? p_pos[i] : 1.0 - p_pos[i]));
    *out = csum_value(&total) / (double)n_true;
    return AIA_OK;
}

/* ---- Regression ---------------------------------------------------------- */

static aia_status overflow_error(const char *what, aia_error *err)
{
    return aia_error_set(err, AIA_OUT_OF_RANGE,
                         "%s overflows a double: the values are too large (near 1e154 or more); "
                         "rescale the target",
                         what);
}

/* Σ (y_true - y_pred)², compensated. */
static double sum_squared_error(const double *y_true, const double *y_pred, size_t n)
{
    csum total = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double d = y_true[i] - y_pred[i];
        csum_add(&total, d * d);
    }
    return csum_value(&total);
}

aia_status aia_ml_rmse(const double *y_true, size_t n_true, const double *y_pred, size_t n_pred,
                       double *out, aia_error *err)
{
    aia_status s = check_regression_pair(y_true, n_true, y_pred, n_pred, err);
    if (s != AIA_OK) return s;
    if ((s = check_not_null(out, "out", err)) != AIA_OK) return s;
    double sse = sum_squared_error(y_true, y_pred, n_true);
    if (!isfinite(sse)) return overflow_error("the sum of squared errors", err);
    *out = sqrt(sse / (double)n_true);
    return AIA_OK;
}

aia_status aia_ml_mae(const double *y_true, size_t n_true, const double *y_pred, size_t n_pred,
                      double *out, aia_error *err)
{
    aia_status s = check_regression_pair(y_true, n_true, y_pred, n_pred, err);
    if (s != AIA_OK) return s;
    if ((s = check_not_null(out, "out", err)) != AIA_OK) return s;
    csum total = {0, 0};
    for (size_t i = 0; i < n_true; i++) csum_add(&total, fabs(y_pred[i] - y_true[i]));
    double sae = csum_value(&total);
    if (!isfinite(sae)) return overflow_error("the sum of absolute errors", err);
    *out = sae / (double)n_true;
    return AIA_OK;
}

static int all_equal(const double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (x[i] != x[0]) return 0;
    }
    return 1;
}

/* Σ (y - ȳ)², with ȳ from a compensated sum so that a large common offset
 * (y around 1e6 varying by 1) does not leak into the deviations. */
static double sum_squared_deviation(const double *y, size_t n)
{
    csum total = {0, 0};
    for (size_t i = 0; i < n; i++) csum_add(&total, y[i]);
    double mean = csum_value(&total) / (double)n;
    csum dev = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double d = y[i] - mean;
        csum_add(&dev, d * d);
    }
    return csum_value(&dev);
}

aia_status aia_ml_r2(const double *y_true, size_t n_true, const double *y_pred, size_t n_pred,
                     double *out, aia_error *err)
{
    aia_status s = check_regression_pair(y_true, n_true, y_pred, n_pred, err);
    if (s != AIA_OK) return s;
    if ((s = check_not_null(out, "out", err)) != AIA_OK) return s;
    if (n_true < 2)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "y_true has 1 sample: R² is undefined with fewer than 2");
    double sse = sum_squared_error(y_true, y_pred, n_true);
    if (!isfinite(sse)) return overflow_error("the sum of squared errors", err);
    double sst = all_equal(y_true, n_true) ? 0.0 : sum_squared_deviation(y_true, n_true);
    if (!isfinite(sst)) return overflow_error("the total sum of squares", err);
    /* scikit-learn's force_finite: a constant target is explained perfectly
     * or not at all. */
    if (sst == 0.0)
        *out = sse == 0.0 ? 1.0 : 0.0;
    else
        *out = 1.0 - sse / sst;
    return AIA_OK;
}
