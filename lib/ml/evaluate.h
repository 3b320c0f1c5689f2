/* lib/ml/evaluate.h — scoring a model on labelled data, and k-fold
 * cross-validation of a training specification: the numbers a training job
 * reports and a hyperparameter search optimises.
 *
 * Classification scores: accuracy, macro F1, ROC AUC (binary, or
 * one-vs-rest macro for more classes) and log loss, all as scikit-learn
 * computes them (lib/ml/metrics.h). Regression: RMSE, MAE and R^2. Scores
 * that do not apply, or cannot be computed on the data (an AUC when a class
 * is absent from it), are NaN.
 *
 * Thread-safety: reentrant; the model is only read.
 */
#ifndef AIA_ML_EVALUATE_H
#define AIA_ML_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/data/frame.h"
#include "lib/ml/model.h"

typedef struct aia_model_scores {
    double accuracy, f1_macro, roc_auc, log_loss; /* classification */
    double rmse, mae, r2;                         /* regression */
} aia_model_scores;

/* Scores m on frame f, whose `target` column holds the true labels.
 * Errors: the target column missing, a class unseen in training (named),
 * and what prediction refuses. */
aia_status aia_model_evaluate(const aia_model *m, const aia_frame *f, const char *target, aia_model_scores *out,
                              aia_error *err);

/* Trains spec on k - 1 folds of f and scores it on the held-out fold, k
 * times (folds stratified by class for classification, seeded). `mean`
 * receives the mean of each score over the folds (NaN if any fold's is
 * NaN); `per_fold` (k entries, may be NULL) each fold's. Errors: k < 2 or
 * more than the rows or than a class's rows (named), and whatever training
 * refuses on a fold (prefixed with the fold). */
aia_status aia_model_cross_validate(const aia_train_spec *spec, const aia_frame *f, size_t k, uint64_t seed,
                                    aia_model_scores *mean, aia_model_scores *per_fold, aia_error *err);

#endif
