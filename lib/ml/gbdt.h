/* lib/ml/gbdt.h — histogram-based gradient-boosted decision trees.
 *
 * The LightGBM design: features are quantised once into at most 255 bins
 * plus a missing bin (binning.h); each tree grows leaf-wise, always
 * splitting the leaf with the largest gain, up to max_leaves leaves and
 * max_depth levels; split search scans per-leaf gradient/hessian histograms,
 * building the smaller child's histogram and deriving its sibling by
 * subtraction; missing values go to the side (left or right) that gains
 * more, learned per split. Leaf values are -G / (H + lambda_l2), shrunk by
 * the learning rate.
 *
 * Categorical features (codes 0..C-1 with C <= 255, flagged in
 * aia_gbdt_data) split many-vs-many as LightGBM does: the leaf's categories
 * are ordered by G / (H + 10) and the best prefix from either end (at most
 * 32 categories) goes left; with 4 or fewer categories each one is tried
 * against the rest. Those splits add 10 to lambda_l2. Missing values and
 * categories unseen in training go right.
 *
 * Objectives: squared error (regression), log loss (binary, labels 0/1),
 * softmax log loss (multiclass, labels 0..K-1, K trees per round).
 *
 * Determinism: the same data, parameters and seed give the same model,
 * whatever the thread count (row and feature subsampling draw from streams
 * derived from the seed and the round number; threads split histogram work
 * by feature, so every sum runs in the same order).
 *
 * Ownership: aia_gbdt_train() returns a model the caller frees with
 * aia_gbdt_free(). Thread-safety: a trained model is immutable; predicting
 * from many threads at once is safe and allocates nothing.
 */
#ifndef AIA_ML_GBDT_H
#define AIA_ML_GBDT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/ml/matrix.h"

typedef enum aia_gbdt_objective {
    AIA_GBDT_REGRESSION = 1, /* squared error */
    AIA_GBDT_BINARY = 2,     /* log loss; labels 0 and 1 */
    AIA_GBDT_MULTICLASS = 3, /* softmax; labels 0..n_classes-1 */
} aia_gbdt_objective;

typedef struct aia_gbdt_params {
    aia_gbdt_objective objective;
    int n_classes;             /* multiclass only; >= 3 */
    int n_rounds;              /* boosting rounds (trees per class); default 100 */
    double learning_rate;      /* default 0.1 */
    int max_leaves;            /* default 31 */
    int max_depth;             /* -1: unlimited (default) */
    int min_samples_leaf;      /* default 20 */
    double min_hessian_leaf;   /* default 1e-3 */
    double lambda_l2;          /* default 0 */
    double min_split_gain;     /* default 0 */
    double row_subsample;      /* fraction of rows per round, (0, 1]; default 1 */
    double col_subsample;      /* fraction of features per tree, (0, 1]; default 1 */
    int max_bins;              /* value bins per feature, 2..255; default 255 */
    int early_stopping_rounds; /* stop when the validation loss has not improved for this many rounds; 0: off */
    uint64_t seed;
    int threads;               /* 0: the CPUs this process may use; the model does not depend on it */
} aia_gbdt_params;

/* LightGBM's defaults for the parameters above (objective left unset). */
void aia_gbdt_params_default(aia_gbdt_params *p);

typedef struct aia_gbdt_model aia_gbdt_model;

/* Training progress, once per round: the training and (when a validation
 * set was given, else NaN) validation loss. Returning non-zero stops
 * training after this round (a cancelled job); the model then keeps the
 * rounds done so far. */
typedef int (*aia_gbdt_progress_fn)(void *arg, int round, double train_loss, double valid_loss);

typedef struct aia_gbdt_data {
    aia_matrix x;    /* features; NaN = missing */
    const double *y; /* n_rows labels: the target, or the class index */
    /* n_cols flags, non-zero for a categorical feature whose values are
     * codes 0..254; NULL: every feature is numeric. The training set's flags
     * apply to the validation set too. */
    const uint8_t *categorical;
} aia_gbdt_data;

/* Trains a model on `train`, with early stopping on `valid` when it is
 * non-NULL and params->early_stopping_rounds > 0 (the model keeps the best
 * round's trees). `progress` may be NULL. Errors (INVALID_ARGUMENT naming
 * the parameter or the first bad label's row): parameters out of range,
 * no rows or no features, a label that is NaN, or not a class index for a
 * classifier, a categorical value that is not a code from 0 to 254, a
 * validation set with another number of features;
 * RESOURCE_EXHAUSTED when memory runs out. */
aia_status aia_gbdt_train(const aia_gbdt_params *params, const aia_gbdt_data *train, const aia_gbdt_data *valid,
                          aia_gbdt_progress_fn progress, void *progress_arg, aia_gbdt_model **out, aia_error *err);

void aia_gbdt_free(aia_gbdt_model *m);

/* Number of outputs per row: 1 for regression and binary, n_classes for
 * multiclass. */
int aia_gbdt_n_outputs(const aia_gbdt_model *m);
size_t aia_gbdt_n_features(const aia_gbdt_model *m);
/* Rounds kept (the best round with early stopping). */
int aia_gbdt_n_rounds(const aia_gbdt_model *m);

/* Raw scores of one row (n_features values, NaN = missing) into out:
 * the prediction for regression, the log-odds for binary, the K logits
 * for multiclass. */
void aia_gbdt_predict_raw(const aia_gbdt_model *m, const double *row, double *out);

/* Predictions of one row: the value for regression, P(class 1) for binary,
 * the K class probabilities for multiclass. */
void aia_gbdt_predict(const aia_gbdt_model *m, const double *row, double *out);

/* Predictions for every row of x (column-major view), into
 * out[i * n_outputs + k]. Large batches (16,384 rows and more) are spread
 * over the CPUs this process may use, with a thread team started for the
 * call; each thread allocates two block buffers, nothing per row. Errors:
 * x has another number of features (INVALID_ARGUMENT), out of memory. */
aia_status aia_gbdt_predict_batch(const aia_gbdt_model *m, const aia_matrix *x, double *out, aia_error *err);

/* Per-feature importance: total gain of the splits on each feature, and
 * how many splits use it (out arrays of n_features; either may be NULL). */
void aia_gbdt_importance(const aia_gbdt_model *m, double *gain, int64_t *splits);

#endif
