/* lib/ml/model_internal.h — the parts of a model, shared by model.c
 * (training, prediction) and model_file.c (saving, loading). Not a public
 * API. */
#ifndef AIA_ML_MODEL_INTERNAL_H
#define AIA_ML_MODEL_INTERNAL_H

#include "lib/ml/model.h"

struct aia_model {
    aia_task task;
    aia_algorithm algorithm;
    int n_outputs;
    aia_preprocess *pre;
    char **labels; /* n_labels class names (classification) */
    size_t n_labels;
    /* Exactly one learner, by algorithm. */
    aia_gbdt_model *gbdt;
    aia_forest *forest;
    aia_linear_model *linear;
};

/* The labels of frame f's `target` column in m's numbering: class indices
 * matched by name (a class unseen in training is an error naming it and the
 * row), or the values for regression. *y is malloc'd, one per row. */
aia_status model_read_target(const aia_model *m, const aia_frame *f, const char *target, double **y, aia_error *err);

#endif
