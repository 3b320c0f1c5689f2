/* server/services/inference_tensor.h — Open Inference Protocol tensors to
 * model input cells and model outputs to tensors. Internal to the inference
 * service; no gRPC, no lib/serve: the model's inputs are described by an
 * aia_oip_schema, so this file is testable alone.
 *
 * Input forms a request may use (never both at once):
 *
 *   matrix       one input named "input-0" (the name ModelMetadata
 *                advertises) or "input__0", "input_0", "features", shape
 *                [batch, n_features], the model's features in input order.
 *   per feature  one input per feature, named by the feature, shape
 *                [batch] or [batch, 1]; every feature must be present.
 *
 * Datatypes: FP32, FP64, INT32, INT64, BOOL and BYTES. Numbers go to
 * numeric and boolean features (NaN is a missing value, as in training);
 * a categorical feature takes BYTES (its category string; an empty one is
 * missing, as an empty CSV cell is). A BYTES element for a numeric feature
 * is parsed as a number ("" is missing). Elements
 * come from the typed field of the datatype (contents.fp64_contents, ...)
 * or, when the request has raw_input_contents, from those bytes:
 * row-major, little-endian, a BYTES element as a 4-byte little-endian
 * length and its bytes.
 *
 * Validation is strict and every error is INVALID_ARGUMENT naming the
 * tensor and the reason: an unknown, missing or repeated input, a mixed
 * form, an unsupported datatype, a shape that does not fit the form, a
 * batch size differing between inputs, an element count (or raw byte
 * count) that does not match shape x datatype, values in another typed
 * field than the datatype's, typed contents next to raw_input_contents,
 * text for a numeric feature that is not a number.
 *
 * Memory: everything comes from the call's arena; nothing else allocates.
 * Cells of categorical features point at arena copies (NUL-terminated).
 * Thread-safety: reentrant.
 */
#ifndef AIA_SERVER_SERVICES_INFERENCE_TENSOR_H
#define AIA_SERVER_SERVICES_INFERENCE_TENSOR_H

#include <stddef.h>

#include "inference/grpc_predict_v2.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/data/frame.h"
#include "lib/ml/preprocess.h"

/* The advertised name of the matrix input. */
#define AIA_OIP_MATRIX_INPUT "input-0"

/* The model's inputs, in model input order, seen through callbacks so that
 * the caller decides where names and types come from (lib/serve's handle
 * in the server, plain arrays in tests). */
typedef struct aia_oip_schema {
    size_t n_features;
    const void *ctx;
    aia_column_type (*type)(const void *ctx, size_t i);
    const char *(*name)(const void *ctx, size_t i);
    /* Index of a feature by name, -1 when unknown. */
    long (*index)(const void *ctx, const char *name);
} aia_oip_schema;

/* A decoded request: rows x n_features cells, row-major. */
typedef struct aia_oip_batch {
    size_t rows;
    aia_preprocess_cell *cells;
    int raw; /* the request used raw_input_contents: answer in raw_output_contents */
} aia_oip_batch;

aia_status aia_oip_decode_inputs(const Inference__ModelInferRequest *req, const aia_oip_schema *schema, aia_arena *a,
                                 aia_oip_batch *out, aia_error *err);

/* Non-zero when the name is one the matrix form accepts. */
int aia_oip_is_matrix_name(const char *name);

/* An FP64 output tensor of rows x cols values (cols 0: shape [rows]). In raw
 * mode the bytes go to *raw and contents stays unset. `values` must live as
 * long as the response (the arena). NULL when out of memory. */
Inference__ModelInferResponse__InferOutputTensor *aia_oip_output_fp64(aia_arena *a, const char *name,
                                                                       const double *values, size_t rows,
                                                                       size_t cols, int raw_mode,
                                                                       ProtobufCBinaryData *raw);

/* A BYTES output tensor of `rows` strings (shape [rows]). Same rules. */
Inference__ModelInferResponse__InferOutputTensor *aia_oip_output_bytes(aia_arena *a, const char *name,
                                                                        const char *const *strings, size_t rows,
                                                                        int raw_mode, ProtobufCBinaryData *raw);

#endif
