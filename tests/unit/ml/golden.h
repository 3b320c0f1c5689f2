/* tests/unit/ml/golden.h — scikit-learn's bundled data sets, their 5 x 2
 * cross-validation splits and scikit-learn's scores on them
 * (tests/data/golden, made by make_golden.py), for the golden comparisons
 * of every learner. Test-only; failures abort the test with a message. */
#ifndef AIA_TESTS_ML_GOLDEN_H
#define AIA_TESTS_ML_GOLDEN_H

#include <stddef.h>
#include <stdint.h>

#include "lib/ml/matrix.h"

#define GOLDEN_SPLITS 10

typedef struct golden_set {
    char name[32];
    size_t n_rows, n_features;
    double **cols;     /* n_features columns of n_rows (owned) */
    double *y;         /* the target column (owned) */
    int n_classes;     /* 0 for regression */
    uint8_t *is_test[GOLDEN_SPLITS]; /* per split, n_rows flags */
} golden_set;

/* One half of a split, copied out: x views the owned columns. */
typedef struct golden_part {
    aia_matrix x;
    double **cols;
    double *y;
    int *y_class; /* the labels as ints, for the metrics */
} golden_part;

void golden_load(const char *name, golden_set *out);
void golden_free(golden_set *g);

/* The train (test = 0) or test (test = 1) half of split s. */
void golden_part_make(const golden_set *g, int split, int test, golden_part *out);
void golden_part_free(golden_part *p);

/* scikit-learn's mean and standard error for dataset/model/metric. */
void golden_reference(const char *dataset, const char *model, const char *metric, double *mean, double *stderr_);

/* Trains on `train` and predicts `test` (split `split` of g): returns the
 * predictions, malloc'd, test->x.n_rows x *k_out (class probabilities, or
 * P(class 1) alone when *k_out is 1, or the values). The halves are the
 * caller's copies and may be modified (e.g. standardised). */
typedef double *(*golden_predict_fn)(const golden_set *g, int split, golden_part *train, golden_part *test,
                                     void *arg, int *k_out);

/* Runs `predict` on the 10 splits of `dataset`, scores each (accuracy and
 * ROC AUC, or R^2) and checks the means against scikit-learn's `model`. */
void golden_compare(const char *dataset, const char *model, golden_predict_fn predict, void *arg);

/* Checks our mean against scikit-learn's: within max(1 point, 2 standard
 * errors of the difference) for accuracy and AUC, within 0.02 for R^2;
 * prints both either way. */
void golden_check(const char *dataset, const char *model, const char *metric, const double *ours, int n);

#endif
