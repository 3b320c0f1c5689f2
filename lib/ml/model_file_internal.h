/* lib/ml/model_file_internal.h — model <-> protobuf message, shared by the
 * file framing (model_file.c), the encoder and the decoder. Not a public
 * API. */
#ifndef AIA_ML_MODEL_FILE_INTERNAL_H
#define AIA_ML_MODEL_FILE_INTERNAL_H

#include "lib/base/arena.h"
#include "lib/ml/model_file.h"
#include "lib/ml/model_file.pb-c.h"

/* Fills msg from m; everything msg points to comes from `a` or borrows
 * from m (valid while both live). */
aia_status model_encode(const aia_model *m, const aia_model_meta *meta, size_t n_meta, aia_arena *a,
                        Aia__Engine__V1__ModelFile *msg, aia_error *err);

/* Builds a model from a decoded message, checking every invariant. */
aia_status model_decode(const Aia__Engine__V1__ModelFile *msg, aia_model **out, aia_error *err);

#endif
