/* lib/ml/model.h — a trained model as the platform handles it: the fitted
 * preprocessing, one learner, the class labels and the feature schema,
 * trained from a frame and applied to frames or single rows, saved to and
 * loaded from a model file (model_file.h).
 *
 * Training (aia_model_train) fits the preprocessing on the training frame
 * only, with defaults that suit the learner unless the caller overrides
 * them: trees keep missing values (NaN) and take categorical columns as
 * native codes (ordinal beyond 255 categories); linear models impute the
 * mean, standardise and one-hot encode. Classification labels are the
 * target column's values in sorted order (lib/data/labels.h), so class k is
 * the same name in every prediction.
 *
 * Ownership: models come from aia_model_train() or aia_model_load*() and
 * are freed with aia_model_free(). Thread-safety: a model is immutable;
 * predicting from many threads at once is safe.
 */
#ifndef AIA_ML_MODEL_H
#define AIA_ML_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/data/frame.h"
#include "lib/ml/forest.h"
#include "lib/ml/gbdt.h"
#include "lib/ml/linear.h"
#include "lib/ml/preprocess.h"

typedef enum aia_task {
    AIA_TASK_CLASSIFICATION = 1,
    AIA_TASK_REGRESSION = 2,
} aia_task;

typedef enum aia_algorithm {
    AIA_ALGO_GBDT = 1,
    AIA_ALGO_RANDOM_FOREST = 2,
    AIA_ALGO_LOGISTIC_REGRESSION = 3, /* classification */
    AIA_ALGO_LINEAR_REGRESSION = 4,   /* ridge; alpha 0 is ordinary least squares */
} aia_algorithm;

/* "gbdt", "random_forest", "logistic_regression", "linear_regression". */
const char *aia_algorithm_name(aia_algorithm a);
/* The reverse; 0 for an unknown name. */
aia_algorithm aia_algorithm_from_name(const char *name);

typedef struct aia_train_spec {
    aia_task task;
    aia_algorithm algorithm;
    const char *target;            /* the label column */
    const char *const *features;   /* feature columns; NULL: every column but the target */
    size_t n_features;
    /* Learner parameters: start from their *_default() (aia_train_spec_init
     * does); n_classes and objective are filled from the data. */
    aia_gbdt_params gbdt;
    aia_forest_params forest;
    aia_logistic_params logistic;
    aia_ridge_params ridge;
    /* Preprocessing; NULL: the learner's defaults (see above). */
    const aia_preprocess_options *preprocess;
} aia_train_spec;

/* Every learner at its defaults; task, algorithm and target left unset. */
void aia_train_spec_init(aia_train_spec *spec);

typedef struct aia_model aia_model;

/* Per-round / per-iteration progress of training; non-zero stops it.
 * `step` counts from 0 for every learner (the GBDT's boosting round, the
 * linear solvers' iteration - 1). */
typedef int (*aia_model_progress_fn)(void *arg, int step, double train_loss, double valid_loss);

/* Trains on `train`; `valid` (may be NULL) drives the GBDT's early
 * stopping. Errors name the column, row or parameter: a missing target or
 * feature column (NOT_FOUND), a target with missing values or one class,
 * an algorithm that does not fit the task (INVALID_ARGUMENT), and whatever
 * the preprocessing or the learner refuse. */
aia_status aia_model_train(const aia_train_spec *spec, const aia_frame *train, const aia_frame *valid,
                           aia_model_progress_fn progress, void *progress_arg, aia_model **out, aia_error *err);

void aia_model_free(aia_model *m);

aia_task aia_model_task(const aia_model *m);
aia_algorithm aia_model_algorithm(const aia_model *m);
/* Values per prediction: the number of classes, or 1. */
int aia_model_n_outputs(const aia_model *m);
/* Class k's label (classification), NULL otherwise or out of range. */
const char *aia_model_class_label(const aia_model *m, int k);
const aia_preprocess *aia_model_preprocess(const aia_model *m);

/* Predicts every row of f into out[i * n_outputs + k]: class
 * probabilities, or the value. f needs the feature columns by name, of the
 * training types. */
aia_status aia_model_predict_frame(const aia_model *m, const aia_frame *f, double *out, aia_error *err);

/* One row given as cells in the training feature order (see
 * aia_preprocess_apply_row), into out[0..n_outputs). `scratch` holds
 * aia_preprocess_n_outputs() doubles: the call allocates nothing. */
aia_status aia_model_predict_row(const aia_model *m, const aia_preprocess_cell *cells, double *scratch, double *out,
                                 aia_error *err);

/* ---- refitting the preprocessing on recent data (data drift) ------------------------- */

/* A copy of `m` whose preprocessing statistics are refitted on `recent`, the
 * data-drift action "refit the preprocessing, keep the trained learner":
 *
 *   NUMERIC  the imputation fill (mean / median / most frequent, as the
 *            input's impute says; NONE stays NaN) and, when standardised,
 *            the mean and scale, with exactly aia_preprocess_fit()'s
 *            semantics (scaler fitted after imputation, population std,
 *            constant column scale 1; with NONE it skips missing cells).
 *   BOOLEAN  with MOST_FREQUENT, the fill (false among ties); NONE keeps NaN.
 *   CATEGORICAL inputs keep everything: their categories and encoding define
 *            the learner's input layout.
 *
 * Kinds, impute and standardize choices and the output columns are kept, so
 * the learner (trees, forest, coefficients, labels) reads the same layout;
 * the new model owns a deep copy of it (through the model file's encoding,
 * so the copy is exactly what a saved version would hold; metadata entries
 * are not part of a model and are not carried).
 *
 * Inputs are matched to `recent` by column name (other columns are
 * ignored). An input absent from `recent`, or with fewer than max(min_rows,
 * 1) observed (non-missing) values there, keeps its statistics. *refitted
 * (may be NULL) counts the inputs whose statistics changed (bit for bit;
 * refitting on the training frame itself gives 0).
 *
 * Errors: m, recent or out NULL (INVALID_ARGUMENT); an input column of
 * another type in `recent` than the model reads (INVALID_ARGUMENT naming
 * the column and both types, checked before anything is computed);
 * statistics that overflow (INVALID_ARGUMENT naming the column);
 * RESOURCE_EXHAUSTED when out of memory. On error *out is NULL and
 * *refitted 0.
 *
 * Ownership: `m` and `recent` are borrowed for the call; the caller frees
 * *out with aia_model_free(). Thread-safety: reads m and recent only, so
 * it may run while other threads predict with m. */
aia_status aia_model_refit_preprocess(const aia_model *m, const aia_frame *recent, size_t min_rows, aia_model **out,
                                      size_t *refitted, aia_error *err);

#endif
