/* server/services/inference_infer.c — inference.GRPCInferenceService/
 * ModelInfer: resolve the model, check the requested outputs, decode the
 * input tensors into cells (inference_tensor.c), predict row by row with
 * the allocation-free single-row path, and answer.
 *
 * Outputs: classification gives "probabilities" FP64 [batch, n_classes]
 * (class k as in ModelMetadata's class_labels) and "label" BYTES [batch]
 * (the most probable class, the first on ties, as Predict's label);
 * regression gives "value" FP64 [batch]. "prediction_id" BYTES [batch],
 * the ids the prediction log and ground-truth reports use, comes only when
 * asked for. An explicit `outputs` list chooses and orders them; an unknown
 * or repeated name is INVALID_ARGUMENT. A request that sent
 * raw_input_contents is answered in raw_output_contents, as Triton does,
 * since such a client reads raw bytes back.
 *
 * The hot path: one handle acquire (cached in lib/serve), cells and
 * outputs in the call arena, no lock but lib/serve's atomics, no I/O (the
 * prediction log is queued, sampled, off this thread), one statistics
 * record. Everything the response points at is in the arena or the
 * request, because the model handle is released before the runtime
 * serialises the response.
 */
#include <string.h>

#include "inference/grpc_predict_v2.pb-c.h"
#include "lib/base/timeutil.h"
#include "server/services/inference_internal.h"

typedef enum out_kind {
    OUT_PROBABILITIES = 0,
    OUT_LABEL,
    OUT_VALUE,
    OUT_PREDICTION_ID,
    OUT_KINDS,
} out_kind;

static const char *const k_out_names[OUT_KINDS] = {
    AIA_OIP_OUT_PROBABILITIES,
    AIA_OIP_OUT_LABEL,
    AIA_OIP_OUT_VALUE,
    AIA_OIP_OUT_PREDICTION_ID,
};

typedef struct infer_ctx {
    aia_arena *a;
    aia_serve *serve;
    const aia_served *h;
    const aia_model *m;
    const Inference__ModelInferRequest *req;
    out_kind kinds[OUT_KINDS];
    size_t n_kinds;
    aia_oip_batch batch;
    size_t n_out;  /* values per row */
    double *out;   /* rows * n_out */
    char (*ids)[AIA_PREDICTION_ID_LEN + 1];
} infer_ctx;

static int kind_allowed(out_kind k, int classification)
{
    if (k == OUT_PREDICTION_ID) return 1;
    return classification ? k == OUT_PROBABILITIES || k == OUT_LABEL : k == OUT_VALUE;
}

static aia_status select_outputs(infer_ctx *c, aia_error *err)
{
    int cls = aia_model_task(c->m) == AIA_TASK_CLASSIFICATION;
    const Inference__ModelInferRequest *req = c->req;
    if (req->n_outputs == 0) {
        if (cls) {
            c->kinds[c->n_kinds++] = OUT_PROBABILITIES;
            c->kinds[c->n_kinds++] = OUT_LABEL;
        } else {
            c->kinds[c->n_kinds++] = OUT_VALUE;
        }
        return AIA_OK;
    }
    for (size_t i = 0; i < req->n_outputs; i++) {
        const char *name = req->outputs[i]->name;
        out_kind k = OUT_KINDS;
        for (int j = 0; j < OUT_KINDS; j++)
            if (strcmp(name, k_out_names[j]) == 0) k = (out_kind)j;
        if (k == OUT_KINDS || !kind_allowed(k, cls))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 cls ? "unknown output '%s': classification model '%s' has outputs 'probabilities', "
                                       "'label' and 'prediction_id'"
                                     : "unknown output '%s': regression model '%s' has outputs 'value' and "
                                       "'prediction_id'",
                                 name, req->model_name);
        for (size_t j = 0; j < c->n_kinds; j++)
            if (c->kinds[j] == k)
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "output '%s' is requested more than once", name);
        c->kinds[c->n_kinds++] = k;
    }
    return AIA_OK;
}

static aia_status predict(infer_ctx *c, size_t n_features, aia_error *err)
{
    size_t rows = c->batch.rows;
    size_t n_scratch = aia_preprocess_n_outputs(aia_model_preprocess(c->m));
    c->n_out = (size_t)aia_model_n_outputs(c->m);
    c->out = aia_arena_alloc(c->a, rows * c->n_out * sizeof *c->out);
    double *scratch = aia_arena_alloc(c->a, (n_scratch ? n_scratch : 1) * sizeof *scratch);
    if (!c->out || !scratch)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory predicting %zu rows", rows);
    for (size_t r = 0; r < rows; r++) {
        aia_status st =
            aia_model_predict_row(c->m, c->batch.cells + r * n_features, scratch, c->out + r * c->n_out, err);
        if (st != AIA_OK) {
            aia_error_prefix(err, "row %zu of the batch", r);
            return st;
        }
    }
    return AIA_OK;
}

/* Prediction ids for every row, and the rows to the sampled log. */
static aia_status log_rows(infer_ctx *c, size_t n_features, aia_error *err)
{
    size_t rows = c->batch.rows;
    c->ids = aia_arena_alloc(c->a, rows * sizeof *c->ids);
    aia_served_row *lr = aia_arena_alloc(c->a, rows * sizeof *lr);
    if (!c->ids || !lr) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %zu prediction ids", rows);
    aia_serve_prediction_ids(c->serve, rows, c->ids);
    for (size_t r = 0; r < rows; r++)
        lr[r] = (aia_served_row){c->ids[r], c->batch.cells + r * n_features, c->out + r * c->n_out};
    aia_serve_log(c->serve, c->h, NULL, lr, rows);
    return AIA_OK;
}

/* Per row, the most probable class's label (first on ties), in the arena. */
static const char **labels(infer_ctx *c)
{
    int n = (int)c->n_out;
    const char **classes = aia_arena_alloc(c->a, (size_t)n * sizeof *classes);
    const char **out = aia_arena_alloc(c->a, c->batch.rows * sizeof *out);
    if (!classes || !out) return NULL;
    for (int k = 0; k < n; k++) {
        const char *label = aia_model_class_label(c->m, k);
        if (!(classes[k] = aia_arena_strdup(c->a, label ? label : ""))) return NULL;
    }
    for (size_t r = 0; r < c->batch.rows; r++) {
        const double *p = c->out + r * c->n_out;
        int best = 0;
        for (int k = 1; k < n; k++)
            if (p[k] > p[best]) best = k;
        out[r] = classes[best];
    }
    return out;
}

static Inference__ModelInferResponse__InferOutputTensor *make_output(infer_ctx *c, out_kind k, ProtobufCBinaryData *raw)
{
    size_t rows = c->batch.rows;
    int raw_mode = c->batch.raw;
    switch (k) {
    case OUT_PROBABILITIES: return aia_oip_output_fp64(c->a, k_out_names[k], c->out, rows, c->n_out, raw_mode, raw);
    case OUT_VALUE: return aia_oip_output_fp64(c->a, k_out_names[k], c->out, rows, 0, raw_mode, raw);
    case OUT_LABEL: {
        const char **l = labels(c);
        return l ? aia_oip_output_bytes(c->a, k_out_names[k], l, rows, raw_mode, raw) : NULL;
    }
    case OUT_PREDICTION_ID: {
        const char **ids = aia_arena_alloc(c->a, rows * sizeof *ids);
        if (!ids) return NULL;
        for (size_t r = 0; r < rows; r++) ids[r] = c->ids[r];
        return aia_oip_output_bytes(c->a, k_out_names[k], ids, rows, raw_mode, raw);
    }
    default: return NULL;
    }
}

/* The version as text without printf (every call answers it). */
static char *version_text(aia_arena *a, int v)
{
    char buf[16], *p = buf + sizeof buf;
    unsigned u = v > 0 ? (unsigned)v : 0;
    *--p = '\0';
    do *--p = (char)('0' + u % 10);
    while ((u /= 10) > 0);
    return aia_arena_strdup(a, p);
}

static aia_status respond(infer_ctx *c, Inference__ModelInferResponse *resp, aia_error *err)
{
    resp->outputs = aia_arena_alloc(c->a, c->n_kinds * sizeof *resp->outputs);
    if (c->batch.raw) resp->raw_output_contents = aia_arena_calloc(c->a, c->n_kinds, sizeof *resp->raw_output_contents);
    resp->model_version = version_text(c->a, aia_served_version(c->h));
    if (!resp->outputs || (c->batch.raw && !resp->raw_output_contents) || !resp->model_version)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory building the response");
    for (size_t i = 0; i < c->n_kinds; i++) {
        ProtobufCBinaryData *raw = c->batch.raw ? &resp->raw_output_contents[i] : NULL;
        if (!(resp->outputs[i] = make_output(c, c->kinds[i], raw)))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory building output '%s'",
                                 k_out_names[c->kinds[i]]);
    }
    resp->n_outputs = c->n_kinds;
    resp->n_raw_output_contents = c->batch.raw ? c->n_kinds : 0;
    resp->model_name = c->req->model_name; /* the request lives as long as the response */
    resp->id = c->req->id;
    return AIA_OK;
}

static aia_status infer(infer_ctx *c, Inference__ModelInferResponse *resp, aia_error *err)
{
    aia_oip_schema schema;
    aia_oip_schema_of(c->h, &schema);
    aia_status st = select_outputs(c, err);
    if (st == AIA_OK) st = aia_oip_decode_inputs(c->req, &schema, c->a, &c->batch, err);
    if (st == AIA_OK) st = predict(c, schema.n_features, err);
    if (st == AIA_OK) st = log_rows(c, schema.n_features, err);
    if (st == AIA_OK) st = respond(c, resp, err);
    return st;
}

aia_status aia_oip_model_infer(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                               aia_error *err)
{
    int64_t t0 = aia_time_mono_ns();
    infer_ctx c = {.a = aia_rpc_arena(rpc), .req = (const Inference__ModelInferRequest *)request};
    if (!(c.serve = aia_oip_serve()))
        return aia_error_set(err, AIA_UNAVAILABLE, "model serving has not started on this server");
    aia_served *h = NULL;
    aia_status st = aia_oip_acquire(c.serve, c.req->model_name, c.req->model_version, "model_name", &h, err);
    if (st != AIA_OK) return st;
    c.h = h;
    c.m = aia_served_model(h);
    st = infer(&c, (Inference__ModelInferResponse *)response, err);
    aia_serve_record(c.serve, h, NULL, c.batch.rows, aia_time_mono_ns() - t0, st == AIA_OK);
    aia_served_release(h);
    return st;
}
