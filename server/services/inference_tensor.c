/* server/services/inference_tensor.c — OIP input tensors to model cells,
 * model outputs to OIP tensors (see inference_tensor.h for the rules).
 *
 * A request is read in two passes: the first opens every input as a
 * "tensor view" (datatype, shape, where its elements are) and checks it
 * against the form and against its contents' length, so that nothing is
 * allocated for a request that is malformed; the second fills the cells
 * column by column, reading elements straight from the decoded message (or
 * its raw bytes), without copying numbers. Raw numbers are loaded byte by
 * byte as little-endian, which compilers turn into plain loads on
 * little-endian hosts, so the code is also right on big-endian ones.
 */
#include "server/services/inference_tensor.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum oip_dtype {
    DT_BOOL = 1,
    DT_INT32,
    DT_INT64,
    DT_FP32,
    DT_FP64,
    DT_BYTES,
} oip_dtype;

typedef struct dtype_info {
    const char *name;
    oip_dtype dt;
    size_t size;       /* raw bytes per element; 0 for BYTES */
    const char *field; /* the typed contents field */
} dtype_info;

static const dtype_info k_dtypes[] = {
    {"FP64", DT_FP64, 8, "fp64_contents"},   {"FP32", DT_FP32, 4, "fp32_contents"},
    {"INT64", DT_INT64, 8, "int64_contents"}, {"INT32", DT_INT32, 4, "int_contents"},
    {"BOOL", DT_BOOL, 1, "bool_contents"},   {"BYTES", DT_BYTES, 0, "bytes_contents"},
};
#define N_DTYPES (sizeof k_dtypes / sizeof k_dtypes[0])
#define SUPPORTED "FP32, FP64, INT32, INT64, BOOL or BYTES"

/* Matrix input names: the advertised one, Triton's "__N" convention, and
 * the obvious spellings clients use for a feature matrix. */
static const char *const k_matrix_names[] = {AIA_OIP_MATRIX_INPUT, "input__0", "input_0", "features"};

/* Beyond this a dimension is not a real request (and products could overflow). */
#define MAX_DIM ((int64_t)1 << 31)
#define AIA_OIP_MAX_ROWS 100000

typedef struct tensor {
    const char *name;
    size_t k; /* position in req->inputs */
    const dtype_info *dt;
    int64_t shape0, shape1;
    size_t n_shape, rows, cols, n;
    const Inference__InferTensorContents *c; /* typed mode */
    const uint8_t *raw;                      /* raw mode (NULL for BYTES) */
    const ProtobufCBinaryData *bytes;        /* BYTES elements, either mode */
} tensor;

int aia_oip_is_matrix_name(const char *name)
{
    for (size_t i = 0; i < sizeof k_matrix_names / sizeof k_matrix_names[0]; i++)
        if (strcmp(name, k_matrix_names[i]) == 0) return 1;
    return 0;
}

static const dtype_info *dtype_find(const char *name)
{
    for (size_t i = 0; i < N_DTYPES; i++)
        if (strcmp(name, k_dtypes[i].name) == 0) return &k_dtypes[i];
    return NULL;
}

/* "[1,30]" for messages; long shapes are cut with "...". */
static const char *shape_str(const Inference__ModelInferRequest__InferInputTensor *in, char *buf, size_t size)
{
    size_t len = 0;
    buf[len++] = '[';
    for (size_t i = 0; i < in->n_shape && len + 24 < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%lld", i ? "," : "", (long long)in->shape[i]);
    if (len + 24 >= size) len += (size_t)snprintf(buf + len, size - len, ",...");
    snprintf(buf + len, size - len, "]");
    return buf;
}

/* ---- element access ------------------------------------------------------ */

static uint32_t load_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t load_le64(const uint8_t *p) { return (uint64_t)load_le32(p) | (uint64_t)load_le32(p + 4) << 32; }

static double raw_number(const tensor *t, size_t i)
{
    const uint8_t *p = t->raw + i * t->dt->size;
    switch (t->dt->dt) {
    case DT_BOOL: return p[0] != 0;
    case DT_INT32: return (double)(int32_t)load_le32(p);
    case DT_INT64: return (double)(int64_t)load_le64(p);
    case DT_FP32: {
        uint32_t bits = load_le32(p);
        float f;
        memcpy(&f, &bits, sizeof f);
        return f;
    }
    case DT_FP64: {
        uint64_t bits = load_le64(p);
        double d;
        memcpy(&d, &bits, sizeof d);
        return d;
    }
    default: return NAN;
    }
}

static double typed_number(const tensor *t, size_t i)
{
    switch (t->dt->dt) {
    case DT_BOOL: return t->c->bool_contents[i] != 0;
    case DT_INT32: return t->c->int_contents[i];
    case DT_INT64: return (double)t->c->int64_contents[i];
    case DT_FP32: return t->c->fp32_contents[i];
    case DT_FP64: return t->c->fp64_contents[i];
    default: return NAN;
    }
}

/* Number of values in each typed field, in k_dtypes order. */
static size_t typed_count(const Inference__InferTensorContents *c, oip_dtype dt)
{
    switch (dt) {
    case DT_BOOL: return c->n_bool_contents;
    case DT_INT32: return c->n_int_contents;
    case DT_INT64: return c->n_int64_contents;
    case DT_FP32: return c->n_fp32_contents;
    case DT_FP64: return c->n_fp64_contents;
    case DT_BYTES: return c->n_bytes_contents;
    }
    return 0;
}

/* ---- opening a tensor ---------------------------------------------------- */

/* Typed contents: the datatype's field holds exactly n values, no other
 * field holds any (they would be ignored silently otherwise). */
static aia_status open_typed(const Inference__ModelInferRequest__InferInputTensor *in, tensor *t, aia_error *err)
{
    const Inference__InferTensorContents *c = in->contents;
    char sb[96];
    if (!c)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "input '%s' has no data: set contents.%s or send raw_input_contents", t->name,
                             t->dt->field);
    for (size_t i = 0; i < N_DTYPES; i++) {
        if (k_dtypes[i].dt == t->dt->dt || typed_count(c, k_dtypes[i].dt) == 0) continue;
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "input '%s' is %s but has values in contents.%s (%s takes contents.%s)", t->name,
                             t->dt->name, k_dtypes[i].field, t->dt->name, t->dt->field);
    }
    size_t have = typed_count(c, t->dt->dt);
    if (have != t->n)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "input '%s' has %zu values in contents.%s; its shape %s needs %zu", t->name, have,
                             t->dt->field, shape_str(in, sb, sizeof sb), t->n);
    t->c = c;
    t->bytes = c->bytes_contents;
    return AIA_OK;
}

/* Raw BYTES: n elements of a 4-byte little-endian length and the bytes,
 * filling the buffer exactly. */
static aia_status open_raw_bytes(const ProtobufCBinaryData *raw, tensor *t, aia_arena *a, aia_error *err)
{
    /* Each element takes at least its 4-byte length: refuse a shape the
     * buffer cannot hold before allocating for it. */
    if (t->n > raw->len / 4)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "raw_input_contents[%zu] (input '%s', BYTES) has %zu bytes, too few for %zu elements "
                             "(each a 4-byte little-endian length and its bytes)",
                             t->k, t->name, (size_t)raw->len, t->n);
    ProtobufCBinaryData *el = aia_arena_alloc(a, t->n * sizeof *el);
    if (!el) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory reading input '%s'", t->name);
    size_t pos = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (raw->len - pos < 4)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "raw_input_contents[%zu] (input '%s', BYTES) ends before element %zu of %zu: "
                                 "each element is a 4-byte little-endian length and its bytes",
                                 t->k, t->name, i, t->n);
        size_t len = load_le32(raw->data + pos);
        pos += 4;
        if (raw->len - pos < len)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "raw_input_contents[%zu] (input '%s', BYTES): element %zu claims %zu bytes but "
                                 "only %zu remain",
                                 t->k, t->name, i, len, raw->len - pos);
        el[i].len = len;
        el[i].data = raw->data + pos;
        pos += len;
    }
    if (pos != raw->len)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "raw_input_contents[%zu] (input '%s', BYTES) has %zu bytes after its %zu elements", t->k,
                             t->name, raw->len - pos, t->n);
    t->bytes = el;
    return AIA_OK;
}

static aia_status open_raw(const Inference__ModelInferRequest *req, tensor *t, aia_arena *a, aia_error *err)
{
    const Inference__ModelInferRequest__InferInputTensor *in = req->inputs[t->k];
    const ProtobufCBinaryData *raw = &req->raw_input_contents[t->k];
    char sb[96];
    if (in->contents)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "input '%s' has contents although the request sends raw_input_contents: use one or "
                             "the other for every input",
                             t->name);
    if (t->dt->dt == DT_BYTES) return open_raw_bytes(raw, t, a, err);
    if (raw->len / t->dt->size != t->n || raw->len % t->dt->size != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "raw_input_contents[%zu] (input '%s') has %zu bytes; shape %s of %s needs %zu", t->k,
                             t->name, raw->len, shape_str(in, sb, sizeof sb), t->dt->name, t->n * t->dt->size);
    t->raw = raw->data;
    return AIA_OK;
}

/* Datatype and shape, checked against the form: a matrix [batch, n_features]
 * or a feature [batch] / [batch, 1]. */
static aia_status open_shape(const Inference__ModelInferRequest__InferInputTensor *in, int matrix, size_t n_features,
                             tensor *t, aia_error *err)
{
    char sb[96];
    t->name = in->name;
    t->dt = dtype_find(in->datatype);
    if (!t->dt)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "input '%s' has datatype '%s', which is not supported; use %s",
                             in->name, in->datatype, SUPPORTED);
    for (size_t i = 0; i < in->n_shape; i++)
        if (in->shape[i] < 0 || in->shape[i] > MAX_DIM)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "input '%s' has shape %s: dimension %zu is out of range",
                                 in->name, shape_str(in, sb, sizeof sb), i);
    if (matrix) {
        if (in->n_shape != 2 || (size_t)in->shape[1] != n_features)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "input '%s' has shape %s; the model takes [batch, %zu] (its %zu features in order)",
                                 in->name, shape_str(in, sb, sizeof sb), n_features, n_features);
    } else if (in->n_shape != 1 && !(in->n_shape == 2 && in->shape[1] == 1)) {
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "input '%s' has shape %s; a feature input is [batch] or [batch, 1]", in->name,
                             shape_str(in, sb, sizeof sb));
    }
    t->rows = (size_t)in->shape[0];
    t->cols = matrix ? n_features : 1;
    t->n = t->rows * t->cols;
    if (t->rows == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "input '%s' has no rows (shape %s)", in->name,
                                           shape_str(in, sb, sizeof sb));
    /* ModelInfer runs on a completion-queue thread (it is the latency
     * path): cap a call's work as Predict caps its rows. */
    if (t->rows > AIA_OIP_MAX_ROWS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "input '%s' has %zu rows, more than the %d a call takes",
                             in->name, t->rows, AIA_OIP_MAX_ROWS);
    return AIA_OK;
}

static aia_status open_tensor(const Inference__ModelInferRequest *req, size_t k, int matrix, size_t n_features,
                              aia_arena *a, tensor *t, aia_error *err)
{
    memset(t, 0, sizeof *t);
    t->k = k;
    aia_status st = open_shape(req->inputs[k], matrix, n_features, t, err);
    if (st != AIA_OK) return st;
    return req->n_raw_input_contents ? open_raw(req, t, a, err) : open_typed(req->inputs[k], t, err);
}

/* ---- cells ----------------------------------------------------------------- */

/* A BYTES element for a numeric feature: the whole text must be a number;
 * "" is a missing value. */
static aia_status parse_number(const tensor *t, size_t i, const char *feature, double *out, aia_error *err)
{
    const ProtobufCBinaryData *b = &t->bytes[i];
    char buf[64];
    if (b->len == 0) {
        *out = NAN;
        return AIA_OK;
    }
    if (b->len < sizeof buf) {
        memcpy(buf, b->data, b->len);
        buf[b->len] = '\0';
        char *end = NULL;
        errno = 0;
        double v = strtod(buf, &end);
        if (end == buf + b->len && strlen(buf) == b->len && errno != ERANGE) {
            *out = v;
            return AIA_OK;
        }
    }
    return aia_error_set(err, AIA_INVALID_ARGUMENT,
                         "input '%s' element %zu (feature '%s') is not a number: '%.*s'", t->name, i, feature,
                         (int)(b->len < 40 ? b->len : 40), (const char *)b->data);
}

/* Fills column j of the cells from tensor t, whose element for row r is
 * at r * stride + offset. */
static aia_status fill_column(const tensor *t, size_t offset, size_t stride, size_t j, const aia_oip_schema *schema,
                              aia_arena *a, aia_oip_batch *b, aia_error *err)
{
    size_t n = schema->n_features;
    aia_column_type type = schema->type(schema->ctx, j);
    if (type == AIA_COLUMN_CATEGORICAL) {
        if (t->dt->dt != DT_BYTES)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "input '%s': feature '%s' is categorical and takes BYTES (its category), not %s",
                                 t->name, schema->name(schema->ctx, j), t->dt->name);
        for (size_t r = 0; r < b->rows; r++) {
            const ProtobufCBinaryData *el = &t->bytes[r * stride + offset];
            if (el->len == 0) { /* empty: a missing category (protobuf-c leaves data NULL) */
                b->cells[r * n + j] = (aia_preprocess_cell){.text = NULL, .number = NAN};
                continue;
            }
            if (memchr(el->data, '\0', el->len))
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "input '%s' element %zu (feature '%s') has a NUL byte",
                                     t->name, r * stride + offset, schema->name(schema->ctx, j));
            char *text = aia_arena_strndup(a, (const char *)el->data, el->len);
            if (!text) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory reading input '%s'", t->name);
            b->cells[r * n + j] = (aia_preprocess_cell){.text = text, .number = NAN};
        }
        return AIA_OK;
    }
    for (size_t r = 0; r < b->rows; r++) {
        size_t i = r * stride + offset;
        double v = NAN; /* set on every path below; gcc -O2 cannot see it */
        if (t->dt->dt == DT_BYTES) {
            aia_status st = parse_number(t, i, schema->name(schema->ctx, j), &v, err);
            if (st != AIA_OK) return st;
        } else {
            v = t->raw ? raw_number(t, i) : typed_number(t, i);
        }
        b->cells[r * n + j] = (aia_preprocess_cell){.text = NULL, .number = v};
    }
    return AIA_OK;
}

static aia_status alloc_cells(aia_arena *a, size_t rows, size_t n, aia_oip_batch *out, aia_error *err)
{
    out->rows = rows;
    out->cells = n && rows <= SIZE_MAX / n / sizeof *out->cells ? aia_arena_alloc(a, rows * n * sizeof *out->cells)
                                                                : NULL;
    if (!out->cells)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %zu rows of %zu features", rows, n);
    return AIA_OK;
}

static aia_status decode_matrix(const Inference__ModelInferRequest *req, const aia_oip_schema *schema, aia_arena *a,
                                aia_oip_batch *out, aia_error *err)
{
    tensor t;
    size_t n = schema->n_features;
    aia_status st = open_tensor(req, 0, 1, n, a, &t, err);
    if (st == AIA_OK) st = alloc_cells(a, t.rows, n, out, err);
    for (size_t j = 0; st == AIA_OK && j < n; j++) st = fill_column(&t, j, n, j, schema, a, out, err);
    return st;
}

static aia_status unknown_input(const Inference__ModelInferRequest__InferInputTensor *in,
                                const aia_oip_schema *schema, aia_error *err)
{
    if (aia_oip_is_matrix_name(in->name))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "input '%s' (the [batch, %zu] matrix form) cannot be combined with other inputs",
                             in->name, schema->n_features);
    return aia_error_set(err, AIA_INVALID_ARGUMENT,
                         "unknown input '%s': the model takes one matrix '%s' [batch, %zu] or one input per feature "
                         "named by the feature (e.g. '%s')",
                         in->name, AIA_OIP_MATRIX_INPUT, schema->n_features, schema->name(schema->ctx, 0));
}

/* Per-feature form: every feature exactly once, all with one batch size. */
static aia_status decode_features(const Inference__ModelInferRequest *req, const aia_oip_schema *schema, aia_arena *a,
                                  aia_oip_batch *out, aia_error *err)
{
    size_t n = schema->n_features;
    tensor *by_feature = aia_arena_calloc(a, n, sizeof *by_feature);
    if (!by_feature) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory reading %zu inputs", n);
    const tensor *first = NULL;
    for (size_t k = 0; k < req->n_inputs; k++) {
        const Inference__ModelInferRequest__InferInputTensor *in = req->inputs[k];
        long j = schema->index(schema->ctx, in->name);
        if (j < 0) return unknown_input(in, schema, err);
        if (by_feature[j].dt)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "input '%s' appears more than once", in->name);
        aia_status st = open_tensor(req, k, 0, n, a, &by_feature[j], err);
        if (st != AIA_OK) return st;
        if (first && first->rows != by_feature[j].rows)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "input '%s' has batch size %zu but input '%s' has %zu",
                                 in->name, by_feature[j].rows, first->name, first->rows);
        if (!first) first = &by_feature[j];
    }
    for (size_t j = 0; j < n; j++)
        if (!by_feature[j].dt)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "missing input '%s': with per-feature inputs every feature is required (NaN, or an "
                                 "empty BYTES element, marks a missing value)",
                                 schema->name(schema->ctx, j));
    aia_status st = alloc_cells(a, first->rows, n, out, err);
    for (size_t j = 0; st == AIA_OK && j < n; j++) st = fill_column(&by_feature[j], 0, 1, j, schema, a, out, err);
    return st;
}

aia_status aia_oip_decode_inputs(const Inference__ModelInferRequest *req, const aia_oip_schema *schema, aia_arena *a,
                                 aia_oip_batch *out, aia_error *err)
{
    memset(out, 0, sizeof *out);
    if (schema->n_features == 0)
        return aia_error_set(err, AIA_FAILED_PRECONDITION, "the model has no input features");
    if (req->n_inputs == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "the request has no inputs: send one matrix '%s' [batch, %zu] or one input per feature",
                             AIA_OIP_MATRIX_INPUT, schema->n_features);
    if (req->n_raw_input_contents && req->n_raw_input_contents != req->n_inputs)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "raw_input_contents has %zu entries for %zu inputs: one per input, in order",
                             req->n_raw_input_contents, req->n_inputs);
    const char *name0 = req->inputs[0]->name;
    int matrix = req->n_inputs == 1 && aia_oip_is_matrix_name(name0) && schema->index(schema->ctx, name0) < 0;
    aia_status st = matrix ? decode_matrix(req, schema, a, out, err) : decode_features(req, schema, a, out, err);
    out->raw = req->n_raw_input_contents > 0;
    return st;
}

/* ---- outputs --------------------------------------------------------------- */

static Inference__ModelInferResponse__InferOutputTensor *new_output(aia_arena *a, const char *name,
                                                                     const char *datatype, size_t rows, size_t cols)
{
    Inference__ModelInferResponse__InferOutputTensor *o = aia_arena_alloc(a, sizeof *o);
    int64_t *shape = aia_arena_alloc(a, 2 * sizeof *shape);
    if (!o || !shape) return NULL;
    inference__model_infer_response__infer_output_tensor__init(o);
    o->name = (char *)name;
    o->datatype = (char *)datatype;
    shape[0] = (int64_t)rows;
    shape[1] = (int64_t)cols;
    o->shape = shape;
    o->n_shape = cols ? 2 : 1;
    return o;
}

static Inference__InferTensorContents *new_contents(aia_arena *a)
{
    Inference__InferTensorContents *c = aia_arena_alloc(a, sizeof *c);
    if (c) inference__infer_tensor_contents__init(c);
    return c;
}

Inference__ModelInferResponse__InferOutputTensor *aia_oip_output_fp64(aia_arena *a, const char *name,
                                                                       const double *values, size_t rows,
                                                                       size_t cols, int raw_mode,
                                                                       ProtobufCBinaryData *raw)
{
    Inference__ModelInferResponse__InferOutputTensor *o = new_output(a, name, "FP64", rows, cols);
    size_t n = rows * (cols ? cols : 1);
    if (!o) return NULL;
    if (!raw_mode) {
        if (!(o->contents = new_contents(a))) return NULL;
        o->contents->n_fp64_contents = n;
        o->contents->fp64_contents = (double *)values;
        return o;
    }
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    /* The doubles already are the wire bytes. */
    raw->data = (uint8_t *)values;
#else
    uint8_t *bytes = aia_arena_alloc(a, n * 8);
    if (!bytes) return NULL;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &values[i], 8);
        for (int k = 0; k < 8; k++) bytes[i * 8 + k] = (uint8_t)(bits >> (8 * k));
    }
    raw->data = bytes;
#endif
    raw->len = n * 8;
    return o;
}

Inference__ModelInferResponse__InferOutputTensor *aia_oip_output_bytes(aia_arena *a, const char *name,
                                                                        const char *const *strings, size_t rows,
                                                                        int raw_mode, ProtobufCBinaryData *raw)
{
    Inference__ModelInferResponse__InferOutputTensor *o = new_output(a, name, "BYTES", rows, 0);
    if (!o) return NULL;
    if (!raw_mode) {
        ProtobufCBinaryData *el = aia_arena_alloc(a, rows * sizeof *el);
        if (!el || !(o->contents = new_contents(a))) return NULL;
        for (size_t i = 0; i < rows; i++) el[i] = (ProtobufCBinaryData){strlen(strings[i]), (uint8_t *)strings[i]};
        o->contents->n_bytes_contents = rows;
        o->contents->bytes_contents = el;
        return o;
    }
    size_t total = 0;
    for (size_t i = 0; i < rows; i++) total += 4 + strlen(strings[i]);
    uint8_t *bytes = aia_arena_alloc(a, total ? total : 1);
    if (!bytes) return NULL;
    size_t pos = 0;
    for (size_t i = 0; i < rows; i++) {
        size_t len = strlen(strings[i]);
        for (int k = 0; k < 4; k++) bytes[pos + (size_t)k] = (uint8_t)(len >> (8 * k));
        memcpy(bytes + pos + 4, strings[i], len);
        pos += 4 + len;
    }
    raw->data = bytes;
    raw->len = total;
    return o;
}
