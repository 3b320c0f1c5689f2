/* server/services/model_endpoints.c — CreateEndpoint, DeployModel,
 * UpdateTrafficSplit, UndeployModel, RollbackEndpoint and ListEndpoints.
 * lib/serve validates and writes each change as a new endpoint revision;
 * these handlers map messages and add live statistics to the answer. */
#include <stdlib.h>

#include "server/services/model_internal.h"

static aia_status require(const char *value, const char *field, aia_error *err)
{
    if (!value[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: required", field);
    return AIA_OK;
}

/* Answers with `ep` (consumed) plus statistics. */
static aia_status answer(aia_rpc *rpc, aia_endpoint_record *ep, ProtobufCMessage *resp, aia_error *err)
{
    Aia__V1__Endpoint *out = NULL;
    aia_status st = aia_model_endpoint_with_stats(aia_rpc_arena(rpc), ep, &out, err);
    aia_store_record_free(ep);
    if (st == AIA_OK) aia_model_assign(resp, &out->base);
    return st;
}

/* A map<string,int32> split as parallel arrays in the arena. */
typedef struct split_arrays {
    const char **ids;
    int *percents;
    size_t n;
} split_arrays;

static aia_status split_of(aia_arena *a, Aia__V1__UpdateTrafficSplitRequest__TrafficSplitEntry **entries, size_t n,
                           split_arrays *out, aia_error *err)
{
    out->ids = aia_arena_calloc(a, n ? n : 1, sizeof *out->ids);
    out->percents = aia_arena_calloc(a, n ? n : 1, sizeof *out->percents);
    if (!out->ids || !out->percents) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < n; i++) {
        out->ids[i] = entries[i]->key;
        out->percents[i] = entries[i]->value;
    }
    out->n = n;
    return AIA_OK;
}

aia_status aia_model_rpc_create_endpoint(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp,
                                     aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__CreateEndpointRequest *r = (const Aia__V1__CreateEndpointRequest *)req;
    if (!e) return err->code;
    aia_arena *a = aia_rpc_arena(rpc);
    const char **keys = aia_arena_calloc(a, r->n_labels + 1, sizeof *keys);
    const char **values = aia_arena_calloc(a, r->n_labels + 1, sizeof *values);
    if (!keys || !values) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < r->n_labels; i++) {
        keys[i] = r->labels[i]->key;
        values[i] = r->labels[i]->value;
    }
    aia_endpoint_record *ep = NULL;
    if (aia_serve_endpoint_create(e->serve, r->endpoint_id, r->display_name, r->description, keys, values,
                                  r->n_labels, &ep, err) != AIA_OK)
        return err->code;
    return answer(rpc, ep, resp, err);
}

aia_status aia_model_rpc_deploy(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__DeployModelRequest *r = (const Aia__V1__DeployModelRequest *)req;
    if (!e || require(r->endpoint_id, "endpoint_id", err) != AIA_OK || require(r->model_id, "model_id", err) != AIA_OK)
        return err->code;
    aia_endpoint_record *ep = NULL;
    if (aia_serve_deploy(e->serve, r->endpoint_id, r->model_id, r->traffic_percent, &ep, err) != AIA_OK)
        return err->code;
    return answer(rpc, ep, resp, err);
}

aia_status aia_model_rpc_split(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__UpdateTrafficSplitRequest *r = (const Aia__V1__UpdateTrafficSplitRequest *)req;
    if (!e || require(r->endpoint_id, "endpoint_id", err) != AIA_OK) return err->code;
    if (r->n_traffic_split == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "traffic_split: required");
    split_arrays sp;
    if (split_of(aia_rpc_arena(rpc), r->traffic_split, r->n_traffic_split, &sp, err) != AIA_OK) return err->code;
    aia_endpoint_record *ep = NULL;
    if (aia_serve_split(e->serve, r->endpoint_id, sp.ids, sp.percents, sp.n, r->expected_revision, &ep, err) !=
        AIA_OK)
        return err->code;
    return answer(rpc, ep, resp, err);
}

aia_status aia_model_rpc_undeploy(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__UndeployModelRequest *r = (const Aia__V1__UndeployModelRequest *)req;
    if (!e || require(r->endpoint_id, "endpoint_id", err) != AIA_OK ||
        require(r->deployment_id, "deployment_id", err) != AIA_OK)
        return err->code;
    split_arrays sp;
    /* UndeployModelRequest's entries have the same layout (key 1, value 2). */
    if (split_of(aia_rpc_arena(rpc), (Aia__V1__UpdateTrafficSplitRequest__TrafficSplitEntry **)r->traffic_split,
                 r->n_traffic_split, &sp, err) != AIA_OK)
        return err->code;
    aia_endpoint_record *ep = NULL;
    if (aia_serve_undeploy(e->serve, r->endpoint_id, r->deployment_id, sp.ids, sp.percents, sp.n, &ep, err) !=
        AIA_OK)
        return err->code;
    return answer(rpc, ep, resp, err);
}

aia_status aia_model_rpc_rollback(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__RollbackEndpointRequest *r = (const Aia__V1__RollbackEndpointRequest *)req;
    if (!e || require(r->endpoint_id, "endpoint_id", err) != AIA_OK) return err->code;
    if (r->revision < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "revision: must not be negative (0 = the previous), got %d",
                             r->revision);
    aia_endpoint_record *ep = NULL;
    if (aia_serve_rollback(e->serve, r->endpoint_id, r->revision, &ep, err) != AIA_OK) return err->code;
    return answer(rpc, ep, resp, err);
}

aia_status aia_model_rpc_list_endpoints(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp,
                                    aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__ListEndpointsRequest *r = (const Aia__V1__ListEndpointsRequest *)req;
    Aia__V1__ListEndpointsResponse *out = (Aia__V1__ListEndpointsResponse *)resp;
    if (!e || aia_model_check_page_size(r->page_size, err) != AIA_OK) return err->code;
    aia_store_page page = {.page_size = r->page_size, .page_token = r->page_token};
    aia_endpoint_record **eps = NULL;
    size_t n = 0;
    char *next = NULL;
    if (aia_store_endpoint_list(e->store, r->model_id, &page, &eps, &n, &next, err) != AIA_OK) return err->code;
    aia_arena *a = aia_rpc_arena(rpc);
    aia_status st = AIA_OK;
    out->endpoints = aia_arena_calloc(a, n ? n : 1, sizeof *out->endpoints);
    if (!out->endpoints) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory listing endpoints");
    for (size_t i = 0; i < n && st == AIA_OK; i++) st = aia_model_endpoint_with_stats(a, eps[i], &out->endpoints[i], err);
    out->n_endpoints = st == AIA_OK ? n : 0;
    out->next_page_token = next ? aia_arena_strdup(a, next) : "";
    free(next);
    aia_store_records_free((void **)eps, n);
    return st;
}
