/* server/services/inference.c — inference.GRPCInferenceService: the
 * service table, the lib/serve binding, server health and metadata, model
 * readiness and metadata. ModelInfer lives in inference_infer.c, tensors in
 * inference_tensor.c.
 *
 * Every handler runs inline on the completion-queue thread: they read
 * lib/serve's caches (no SQLite on a warm cache) and allocate only from the
 * call's arena. A model's first use loads it (lib/serve reads and verifies
 * the artifact), which is the one slow step, once per version.
 *
 * ModelMetadata advertises the single matrix input "input-0" FP64
 * [-1, n_features] (what MLServer's and Triton's tabular runtimes take, so
 * generic clients build the right request from metadata alone) when every
 * feature is numeric or boolean; a model with categorical features cannot
 * take its categories in a number matrix, so it advertises one input per
 * feature instead (FP64 [-1], or BYTES [-1] for a categorical one). Both
 * forms are accepted either way (inference_tensor.h). Properties carry the
 * task, algorithm, feature order and class labels as JSON arrays.
 */
#include "server/services/inference.h"

#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "inference/grpc_predict_v2.pb-c.h"
#include "lib/base/strbuf.h"
#include "server/build_info.h"
#include "server/server.h"
#include "server/services/inference_internal.h"

/* Set by main() before the server starts and cleared after it has shut
 * down (inference.h); handlers only load it. */
static _Atomic(aia_serve *) g_serve;

void aia_inference_service_bind(aia_serve *serve) { atomic_store_explicit(&g_serve, serve, memory_order_release); }

aia_serve *aia_oip_serve(void) { return atomic_load_explicit(&g_serve, memory_order_acquire); }

static aia_status unbound(aia_error *err)
{
    return aia_error_set(err, AIA_UNAVAILABLE, "model serving has not started on this server");
}

/* ---- resolution -------------------------------------------------------------- */

aia_status aia_oip_acquire(aia_serve *s, const char *name, const char *version, const char *what, aia_served **out,
                           aia_error *err)
{
    *out = NULL;
    if (!name || !*name) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s is required (the model_id)", what);
    if (strchr(name, '@'))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s '%s' must be a bare model_id: give the version or alias in the version field", what,
                             name);
    if (!version || !*version) return aia_serve_acquire_version(s, name, 0, out, err);
    if (strspn(version, "0123456789") == strlen(version)) { /* all digits; "2024-q1" is an alias */
        char *end = NULL;
        long v = strtol(version, &end, 10);
        if (*end != '\0' || v < 1 || v > INT_MAX)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "version '%s' of model '%s' is not a version number (1, 2, ...) or an alias", version,
                                 name);
        return aia_serve_acquire_version(s, name, (int)v, out, err);
    }
    char ref[AIA_STORE_ID_MAX + 96];
    size_t n = strlen(name), m = strlen(version);
    if (n + m + 2 > sizeof ref)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model '%.64s...' with alias '%.64s...' is too long", name,
                             version);
    memcpy(ref, name, n);
    ref[n] = '@';
    memcpy(ref + n + 1, version, m + 1);
    return aia_serve_acquire(s, ref, out, err);
}

/* ---- the schema of a served model ------------------------------------------- */

static const aia_preprocess *pre_of(const void *ctx) { return aia_model_preprocess(aia_served_model(ctx)); }

static aia_column_type schema_type(const void *ctx, size_t i) { return aia_preprocess_input_type(pre_of(ctx), i); }

static const char *schema_name(const void *ctx, size_t i)
{
    aia_preprocess_column col;
    aia_preprocess_describe_input(pre_of(ctx), i, &col);
    return col.name ? col.name : "?";
}

static long schema_index(const void *ctx, const char *name) { return aia_served_feature_index(ctx, name); }

void aia_oip_schema_of(const aia_served *h, aia_oip_schema *out)
{
    out->ctx = h;
    out->n_features = aia_preprocess_n_inputs(pre_of(h));
    out->type = schema_type;
    out->name = schema_name;
    out->index = schema_index;
}

/* ---- server ------------------------------------------------------------------ */

static aia_status server_live(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                              aia_error *err)
{
    (void)rpc, (void)request, (void)err;
    /* Answering at all is being live. */
    ((Inference__ServerLiveResponse *)response)->live = 1;
    return AIA_OK;
}

static aia_status server_ready(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                               aia_error *err)
{
    (void)request, (void)err;
    ((Inference__ServerReadyResponse *)response)->ready = aia_oip_serve() && !aia_server_draining(aia_rpc_server(rpc));
    return AIA_OK;
}

static aia_status server_metadata(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                                  aia_error *err)
{
    (void)rpc, (void)request, (void)err;
    Inference__ServerMetadataResponse *resp = (Inference__ServerMetadataResponse *)response;
    resp->name = "aia";
    resp->version = (char *)aia_build_info_get()->version;
    resp->n_extensions = 0; /* none of the protocol's optional extensions */
    return AIA_OK;
}

/* ---- models ------------------------------------------------------------------ */

static aia_status model_ready(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                              aia_error *err)
{
    (void)rpc;
    const Inference__ModelReadyRequest *req = (const Inference__ModelReadyRequest *)request;
    Inference__ModelReadyResponse *resp = (Inference__ModelReadyResponse *)response;
    aia_serve *s = aia_oip_serve();
    if (!s) return unbound(err);
    if (!req->name || !*req->name) return aia_error_set(err, AIA_INVALID_ARGUMENT, "name is required (the model_id)");
    aia_served *h = NULL;
    aia_status st = aia_oip_acquire(s, req->name, req->version, "name", &h, err);
    switch (st) {
    case AIA_OK:
        aia_served_release(h);
        resp->ready = 1;
        return AIA_OK;
    /* The model, version or alias does not exist, was deleted, is
     * malformed or its artifact is corrupt: it is not ready, which is an
     * answer, not a failure of the call (Triton answers the same). */
    case AIA_NOT_FOUND:
    case AIA_FAILED_PRECONDITION:
    case AIA_INVALID_ARGUMENT:
    case AIA_DATA_LOSS:
        aia_error_clear(err);
        resp->ready = 0;
        return AIA_OK;
    default: return st;
    }
}

typedef Inference__ModelMetadataResponse__TensorMetadata tensor_meta;

static tensor_meta *meta(aia_arena *a, const char *name, const char *datatype, int64_t d0, int64_t d1)
{
    tensor_meta *t = aia_arena_alloc(a, sizeof *t);
    int64_t *shape = aia_arena_alloc(a, 2 * sizeof *shape);
    if (!t || !shape) return NULL;
    inference__model_metadata_response__tensor_metadata__init(t);
    t->name = (char *)name;
    t->datatype = (char *)datatype;
    shape[0] = d0;
    shape[1] = d1;
    t->shape = shape;
    t->n_shape = d1 ? 2 : 1;
    return t;
}

static aia_status meta_inputs(aia_arena *a, const aia_oip_schema *schema, Inference__ModelMetadataResponse *resp)
{
    size_t n = schema->n_features;
    int categorical = 0;
    for (size_t i = 0; i < n; i++) categorical |= schema->type(schema->ctx, i) == AIA_COLUMN_CATEGORICAL;
    resp->inputs = aia_arena_alloc(a, (n ? n : 1) * sizeof *resp->inputs);
    if (!resp->inputs) return AIA_RESOURCE_EXHAUSTED;
    if (!categorical) {
        resp->inputs[0] = meta(a, AIA_OIP_MATRIX_INPUT, "FP64", -1, (int64_t)n);
        resp->n_inputs = 1;
        return resp->inputs[0] ? AIA_OK : AIA_RESOURCE_EXHAUSTED;
    }
    for (size_t i = 0; i < n; i++) {
        int cat = schema->type(schema->ctx, i) == AIA_COLUMN_CATEGORICAL;
        resp->inputs[i] = meta(a, schema->name(schema->ctx, i), cat ? "BYTES" : "FP64", -1, 0);
        if (!resp->inputs[i]) return AIA_RESOURCE_EXHAUSTED;
    }
    resp->n_inputs = n;
    return AIA_OK;
}

static aia_status meta_outputs(aia_arena *a, const aia_model *m, Inference__ModelMetadataResponse *resp)
{
    resp->outputs = aia_arena_alloc(a, 2 * sizeof *resp->outputs);
    if (!resp->outputs) return AIA_RESOURCE_EXHAUSTED;
    if (aia_model_task(m) == AIA_TASK_CLASSIFICATION) {
        resp->outputs[0] = meta(a, AIA_OIP_OUT_PROBABILITIES, "FP64", -1, aia_model_n_outputs(m));
        resp->outputs[1] = meta(a, AIA_OIP_OUT_LABEL, "BYTES", -1, 0);
        resp->n_outputs = 2;
    } else {
        resp->outputs[0] = meta(a, AIA_OIP_OUT_VALUE, "FP64", -1, 0);
        resp->n_outputs = 1;
    }
    return resp->outputs[0] && (resp->n_outputs < 2 || resp->outputs[1]) ? AIA_OK : AIA_RESOURCE_EXHAUSTED;
}

/* A JSON array of n strings from get(ctx, i), copied into the arena. */
static char *json_array(aia_arena *a, size_t n, const char *(*get)(const void *, size_t), const void *ctx)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_putc(&sb, '[');
    for (size_t i = 0; i < n; i++) {
        const char *s = get(ctx, i);
        if (i) aia_strbuf_putc(&sb, ',');
        aia_strbuf_json_string(&sb, s, strlen(s));
    }
    aia_strbuf_putc(&sb, ']');
    char *out = aia_arena_strdup(a, aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
    return out;
}

static const char *class_label(const void *m, size_t k) { return aia_model_class_label(m, (int)k); }

static aia_status meta_properties(aia_arena *a, const aia_served *h, const aia_oip_schema *schema,
                                  Inference__ModelMetadataResponse *resp)
{
    const aia_model *m = aia_served_model(h);
    int cls = aia_model_task(m) == AIA_TASK_CLASSIFICATION;
    const char *keys[4] = {"task", "algorithm", "feature_names", "class_labels"};
    const char *values[4] = {
        cls ? "classification" : "regression",
        aia_algorithm_name(aia_model_algorithm(m)),
        json_array(a, schema->n_features, schema->name, schema->ctx),
        cls ? json_array(a, (size_t)aia_model_n_outputs(m), class_label, m) : NULL,
    };
    size_t n = cls ? 4 : 3;
    resp->properties = aia_arena_alloc(a, n * sizeof *resp->properties);
    if (!resp->properties) return AIA_RESOURCE_EXHAUSTED;
    for (size_t i = 0; i < n; i++) {
        Inference__ModelMetadataResponse__PropertiesEntry *e = aia_arena_alloc(a, sizeof *e);
        if (!e || !values[i]) return AIA_RESOURCE_EXHAUSTED;
        inference__model_metadata_response__properties_entry__init(e);
        e->key = (char *)keys[i];
        e->value = (char *)values[i]; /* static, or already in the arena */
        resp->properties[i] = e;
    }
    resp->n_properties = n;
    return AIA_OK;
}

/* Everything copied into the arena: the handle is released before the
 * runtime serialises the response. */
static aia_status fill_metadata(aia_arena *a, const aia_served *h, Inference__ModelMetadataResponse *resp)
{
    aia_oip_schema schema;
    aia_oip_schema_of(h, &schema);
    const aia_model *m = aia_served_model(h);
    resp->name = aia_arena_strdup(a, aia_served_model_id(h));
    resp->versions = aia_arena_alloc(a, sizeof *resp->versions);
    resp->platform = aia_arena_printf(a, "aia_%s", aia_algorithm_name(aia_model_algorithm(m)));
    if (!resp->name || !resp->versions || !resp->platform) return AIA_RESOURCE_EXHAUSTED;
    resp->versions[0] = aia_arena_printf(a, "%d", aia_served_version(h));
    if (!resp->versions[0]) return AIA_RESOURCE_EXHAUSTED;
    resp->n_versions = 1;
    aia_status st = meta_inputs(a, &schema, resp);
    if (st == AIA_OK) st = meta_outputs(a, m, resp);
    if (st == AIA_OK) st = meta_properties(a, h, &schema, resp);
    /* Input names of the per-feature form point into the model: copy. */
    for (size_t i = 0; st == AIA_OK && i < resp->n_inputs; i++)
        if (!(resp->inputs[i]->name = aia_arena_strdup(a, resp->inputs[i]->name))) st = AIA_RESOURCE_EXHAUSTED;
    return st;
}

static aia_status model_metadata(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                                 aia_error *err)
{
    const Inference__ModelMetadataRequest *req = (const Inference__ModelMetadataRequest *)request;
    aia_serve *s = aia_oip_serve();
    if (!s) return unbound(err);
    aia_served *h = NULL;
    aia_status st = aia_oip_acquire(s, req->name, req->version, "name", &h, err);
    if (st != AIA_OK) return st;
    st = fill_metadata(aia_rpc_arena(rpc), h, (Inference__ModelMetadataResponse *)response);
    aia_served_release(h);
    if (st != AIA_OK) return aia_error_set(err, st, "out of memory building the metadata of model '%s'", req->name);
    return AIA_OK;
}

/* ---- the table --------------------------------------------------------------- */

static const aia_method_impl k_methods[] = {
    {.name = "ServerLive", .unary = server_live},
    {.name = "ServerReady", .unary = server_ready},
    {.name = "ModelReady", .unary = model_ready},
    {.name = "ServerMetadata", .unary = server_metadata},
    {.name = "ModelMetadata", .unary = model_metadata},
    {.name = "ModelInfer", .unary = aia_oip_model_infer},
};

const aia_service_impl aia_inference_service = {
    .descriptor = &inference__grpcinference_service__descriptor,
    .methods = k_methods,
    .n_methods = sizeof k_methods / sizeof k_methods[0],
    .missing = "",
};
