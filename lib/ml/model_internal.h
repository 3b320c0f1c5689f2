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

#endif
