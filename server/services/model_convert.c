/* server/services/model_convert.c — records ↔ aia.v1 messages by the wire
 * (see model_internal.h), and small helpers the ModelService files share. */
#include <stdlib.h>
#include <string.h>

#include "server/services/model_internal.h"
#include "server/services/pb_time.h"

static void *arena_alloc(void *data, size_t size)
{
    return aia_arena_alloc(data, size);
}

static void arena_free(void *data, void *ptr)
{
    (void)data; /* the arena frees everything at the end of the call */
    (void)ptr;
}

/* Packs into a stack buffer when it fits (the common case: a job or a
 * version is a few hundred bytes), else into the heap. */
static ProtobufCMessage *repack(ProtobufCAllocator *alloc, const ProtobufCMessage *from,
                                const ProtobufCMessageDescriptor *to, aia_error *err)
{
    if (!from) return NULL;
    size_t n = protobuf_c_message_get_packed_size(from);
    uint8_t stack[4096];
    uint8_t *buf = n <= sizeof stack ? stack : malloc(n);
    if (!buf) {
        aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory converting %s", from->descriptor->name);
        return NULL;
    }
    protobuf_c_message_pack(from, buf);
    ProtobufCMessage *out = protobuf_c_message_unpack(to, alloc, n, buf);
    if (buf != stack) free(buf);
    if (!out)
        aia_error_set(err, AIA_INTERNAL, "%s does not convert to %s: the record and API definitions drifted apart",
                      from->descriptor->name, to->name);
    return out;
}

ProtobufCMessage *aia_model_convert(aia_arena *a, const ProtobufCMessage *from, const ProtobufCMessageDescriptor *to,
                                    aia_error *err)
{
    ProtobufCAllocator alloc = {.alloc = arena_alloc, .free = arena_free, .allocator_data = a};
    return repack(&alloc, from, to, err);
}

ProtobufCMessage *aia_model_convert_heap(const ProtobufCMessage *from, const ProtobufCMessageDescriptor *to,
                                         aia_error *err)
{
    return repack(NULL, from, to, err);
}

Aia__V1__TrainingJob *aia_model_job_out(aia_arena *a, const aia_job_record *r, aia_error *err)
{
    return (Aia__V1__TrainingJob *)aia_model_convert(a, &r->base, &aia__v1__training_job__descriptor, err);
}

Aia__V1__ModelVersion *aia_model_version_out(aia_arena *a, const aia_version_record *r, aia_error *err)
{
    return (Aia__V1__ModelVersion *)aia_model_convert(a, &r->base, &aia__v1__model_version__descriptor, err);
}

Aia__V1__RegisteredModel *aia_model_registered_out(aia_arena *a, const aia_model_record *r, aia_error *err)
{
    return (Aia__V1__RegisteredModel *)aia_model_convert(a, &r->base, &aia__v1__registered_model__descriptor, err);
}

Aia__V1__Endpoint *aia_model_endpoint_out(aia_arena *a, const aia_endpoint_record *r, aia_error *err)
{
    return (Aia__V1__Endpoint *)aia_model_convert(a, &r->base, &aia__v1__endpoint__descriptor, err);
}

Aia__V1__HpoTrial *aia_model_trial_out(aia_arena *a, const aia_trial_record *r, aia_error *err)
{
    return (Aia__V1__HpoTrial *)aia_model_convert(a, &r->base, &aia__v1__hpo_trial__descriptor, err);
}

aia_status aia_model_convert_list(aia_arena *a, void **records, size_t n, const ProtobufCMessageDescriptor *to,
                                  void *out, size_t *n_out, aia_error *err)
{
    ProtobufCMessage **items = aia_arena_calloc(a, n ? n : 1, sizeof *items);
    aia_status st = items ? AIA_OK : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory listing %s", to->name);
    for (size_t i = 0; i < n && st == AIA_OK; i++) {
        items[i] = aia_model_convert(a, records[i], to, err);
        st = items[i] ? AIA_OK : err->code;
    }
    aia_store_records_free(records, n);
    *(ProtobufCMessage ***)out = items;
    *n_out = st == AIA_OK ? n : 0;
    return st;
}

void aia_model_assign(ProtobufCMessage *dst, const ProtobufCMessage *src)
{
    size_t size = src->descriptor->sizeof_message;
    memcpy((char *)dst + sizeof *dst, (const char *)src + sizeof *src, size - sizeof *src);
    dst->n_unknown_fields = 0;
    dst->unknown_fields = NULL;
}

aia_status aia_model_check_page_size(int32_t page_size, aia_error *err)
{
    if (page_size < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "page_size: must not be negative, got %d", page_size);
    return AIA_OK;
}


Aia__V1__PredictionStats *aia_model_stats_out(aia_arena *a, const aia_serve_stats *s)
{
    Aia__V1__PredictionStats *out = aia_arena_alloc(a, sizeof *out);
    if (!out) return NULL;
    aia__v1__prediction_stats__init(out);
    out->predictions_total = s->rows;
    out->predictions_last_hour = s->rows_last_hour;
    out->errors_total = s->errors;
    out->latency_p50_ms = s->latency_p50_ms;
    out->latency_p99_ms = s->latency_p99_ms;
    if (s->last_time_ns) out->last_prediction_time = aia_pb_timestamp(a, s->last_time_ns);
    return out;
}

aia_status aia_model_endpoint_with_stats(aia_arena *a, const aia_endpoint_record *r, Aia__V1__Endpoint **out,
                                         aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    if (!e) return err->code;
    Aia__V1__Endpoint *ep = aia_model_endpoint_out(a, r, err);
    if (!ep) return err->code;
    for (size_t i = 0; i < ep->n_deployments; i++) {
        aia_serve_stats st;
        aia_serve_stats_get(e->serve, ep->endpoint_id, ep->deployments[i]->deployment_id, &st);
        ep->deployments[i]->stats = aia_model_stats_out(a, &st);
        if (!ep->deployments[i]->stats)
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory building endpoint %s", ep->endpoint_id);
    }
    *out = ep;
    return AIA_OK;
}

const char *aia_model_value_kind(const Google__Protobuf__Value *v)
{
    switch (v ? v->kind_case : GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE) {
    case GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE: return "a number";
    case GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE: return "a string";
    case GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE: return "a boolean";
    case GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE: return "an object";
    case GOOGLE__PROTOBUF__VALUE__KIND_LIST_VALUE: return "a list";
    default: return "null";
    }
}
