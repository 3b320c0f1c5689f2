/* lib/ml/forest.h — random forests of histogram trees (Breiman's bagging
 * with per-split feature subsampling), for classification and regression.
 *
 * Each tree grows depth-first on a bootstrap sample (n rows drawn with
 * replacement) until its leaves are pure, hold fewer than
 * 2 * min_samples_leaf rows, or reach max_depth; every split considers
 * max_features features drawn afresh, as scikit-learn's
 * RandomForest{Classifier,Regressor} do. Splits are searched on the same
 * 255-bin quantised features as the GBDT (binning.h), not on every distinct
 * value: thresholds are bin boundaries. The criterion is Gini impurity for
 * classification and squared error for regression (both as sums of squared
 * per-class / per-target sums, so one scan serves both). Missing values go
 * to the side that gains more, as in the GBDT; categorical features are
 * split as ordered codes.
 *
 * A leaf holds the class proportions of its bootstrap rows (or their mean
 * target); the forest predicts the average over trees, as scikit-learn's
 * predict_proba does. The out-of-bag estimate scores each row with the
 * trees that did not draw it.
 *
 * Determinism: tree t draws from a stream derived from (seed, t), so the
 * same seed gives the same forest for any thread count.
 * Ownership: train returns a model freed with aia_forest_free().
 * Thread-safety: a trained forest is immutable; predicting from many
 * threads at once is safe and allocates nothing.
 */
#ifndef AIA_ML_FOREST_H
#define AIA_ML_FOREST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/ml/matrix.h"

typedef struct aia_forest_params {
    int n_classes;         /* 0: regression; >= 2: classification with labels 0..n_classes-1 */
    int n_trees;           /* default 100 */
    int max_depth;         /* -1: unlimited (default) */
    int min_samples_leaf;  /* default 1 */
    int min_samples_split; /* default 2 */
    /* Features tried per split: a fraction of them (0 < max_features <= 1),
     * or 0 for the default: sqrt(n_features) for classification, all of them
     * for regression (scikit-learn's defaults). */
    double max_features;
    int bootstrap;         /* default 1; 0 grows every tree on all rows (no OOB score) */
    int max_bins;          /* default 255 */
    uint64_t seed;
    int threads;           /* 0: the CPUs this process may use */
} aia_forest_params;

void aia_forest_params_default(aia_forest_params *p);

typedef struct aia_forest aia_forest;

/* Trains a forest on x (NaN = missing) and y (class index or target).
 * `oob`, when non-NULL and bootstrapping, receives the out-of-bag accuracy
 * (classification) or R^2 (regression) over the rows some tree left out
 * (NaN when no row was, and for data of more than 1,024 features, where the
 * estimate is not computed). Errors: INVALID_ARGUMENT naming the parameter or
 * the first bad label's row; RESOURCE_EXHAUSTED. */
aia_status aia_forest_train(const aia_forest_params *params, const aia_matrix *x, const double *y, double *oob,
                            aia_forest **out, aia_error *err);

void aia_forest_free(aia_forest *f);

/* 1 for regression, n_classes for classification. */
int aia_forest_n_outputs(const aia_forest *f);
size_t aia_forest_n_features(const aia_forest *f);
int aia_forest_n_trees(const aia_forest *f);

/* One row (n_features values): the class probabilities, or the value. */
void aia_forest_predict(const aia_forest *f, const double *row, double *out);

/* Every row of x into out[i * n_outputs + k]. Errors: another feature count. */
aia_status aia_forest_predict_batch(const aia_forest *f, const aia_matrix *x, double *out, aia_error *err);

/* Impurity decrease summed per feature over every split of every tree,
 * normalised to sum to 1 (scikit-learn's feature_importances_); splits
 * counts the splits per feature. Either may be NULL. */
void aia_forest_importance(const aia_forest *f, double *gain, int64_t *splits);

#endif
