/* server/services/model_registry.c — GetModel, GetModelStatus, ListModels,
 * SetModelAlias and DeleteModelVersion over lib/store, with GetModelStatus
 * adding what is live: running jobs, deployments and serving counters. */
#include <stdlib.h>
#include <string.h>

#include "server/services/model_internal.h"

#define PRODUCTION_ALIAS "production"
#define TERMINAL_JOBS                                                                                   \
    ((1u << AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED) | (1u << AIA_STORE__V1__JOB_STATE__JOB_FAILED) | \
     (1u << AIA_STORE__V1__JOB_STATE__JOB_CANCELLED))
#define ACTIVE_JOBS ((1u << AIA_STORE__V1__JOB_STATE__JOB_QUEUED) | (1u << AIA_STORE__V1__JOB_STATE__JOB_RUNNING))
#define MAX_ACTIVE_SHOWN 100

static aia_status check_bare_id(const char *model_id, aia_error *err)
{
    if (!model_id[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model_id: required");
    return aia_store_check_id("model_id", model_id, err);
}

aia_status aia_model_rpc_get(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__GetModelRequest *r = (const Aia__V1__GetModelRequest *)req;
    if (!e || check_bare_id(r->model_id, err) != AIA_OK) return err->code;
    aia_model_record *m = NULL;
    if (aia_store_model_get(e->store, r->model_id, r->include_deleted, &m, err) != AIA_OK) return err->code;
    Aia__V1__RegisteredModel *out = aia_model_registered_out(aia_rpc_arena(rpc), m, err);
    aia_store_record_free(m);
    if (!out) return err->code;
    aia_model_assign(resp, &out->base);
    return AIA_OK;
}

aia_status aia_model_rpc_list(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__ListModelsRequest *r = (const Aia__V1__ListModelsRequest *)req;
    Aia__V1__ListModelsResponse *out = (Aia__V1__ListModelsResponse *)resp;
    if (!e || aia_model_check_page_size(r->page_size, err) != AIA_OK) return err->code;
    aia_store_page page = {.page_size = r->page_size, .page_token = r->page_token};
    aia_model_record **models = NULL;
    size_t n = 0;
    char *next = NULL;
    int total = 0;
    if (aia_store_model_list(e->store, (int)r->task_type, r->model_id_prefix, &page, &models, &n, &next, &total,
                             err) != AIA_OK)
        return err->code;
    aia_arena *a = aia_rpc_arena(rpc);
    aia_status st = aia_model_convert_list(a, (void **)models, n, &aia__v1__registered_model__descriptor,
                                           &out->models, &out->n_models, err);
    out->next_page_token = next ? aia_arena_strdup(a, next) : "";
    out->total_size = total;
    free(next);
    return st;
}

aia_status aia_model_rpc_set_alias(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__SetModelAliasRequest *r = (const Aia__V1__SetModelAliasRequest *)req;
    if (!e || check_bare_id(r->model_id, err) != AIA_OK) return err->code;
    if (!r->alias[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "alias: required");
    if (r->version < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "version: must not be negative (0 removes the alias), got %d",
                             r->version);
    if (aia_store_alias_set(e->store, r->model_id, r->alias, r->version, err) != AIA_OK) return err->code;
    Aia__V1__GetModelRequest get = AIA__V1__GET_MODEL_REQUEST__INIT;
    get.model_id = r->model_id;
    return aia_model_rpc_get(rpc, &get.base, resp, err);
}

aia_status aia_model_rpc_delete_version(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp,
                                   aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__DeleteModelVersionRequest *r = (const Aia__V1__DeleteModelVersionRequest *)req;
    if (!e || check_bare_id(r->model_id, err) != AIA_OK) return err->code;
    if (r->version <= 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "version: required, a positive version number (got %d)",
                             r->version);
    aia_version_record *v = NULL;
    if (aia_store_version_delete(e->store, r->model_id, r->version, &v, err) != AIA_OK) return err->code;
    Aia__V1__ModelVersion *out = aia_model_version_out(aia_rpc_arena(rpc), v, err);
    aia_store_record_free(v);
    if (!out) return err->code;
    aia_model_assign(resp, &out->base);
    return AIA_OK;
}

/* ---- GetModelStatus ------------------------------------------------------- */

static aia_status add_jobs(aia_arena *a, const aia_model_engine *e, const char *model_id, Aia__V1__ModelStatus *out,
                           aia_error *err)
{
    aia_store_page page = {.page_size = MAX_ACTIVE_SHOWN};
    aia_job_record **jobs = NULL;
    size_t n = 0;
    char *next = NULL;
    if (aia_store_job_list(e->store, model_id, ACTIVE_JOBS, &page, &jobs, &n, &next, NULL, err) != AIA_OK)
        return err->code;
    free(next);
    if (aia_model_convert_list(a, (void **)jobs, n, &aia__v1__training_job__descriptor, &out->active_jobs,
                               &out->n_active_jobs, err) != AIA_OK)
        return err->code;
    page.page_size = 1;
    if (aia_store_job_list(e->store, model_id, TERMINAL_JOBS, &page, &jobs, &n, &next, NULL, err) != AIA_OK)
        return err->code;
    free(next);
    if (n == 1) out->last_job = aia_model_job_out(a, jobs[0], err);
    aia_store_records_free((void **)jobs, n);
    return n == 1 && !out->last_job ? err->code : AIA_OK;
}

static size_t count_deployments_of(const aia_endpoint_record *ep, const char *model_id)
{
    size_t k = 0;
    for (size_t j = 0; j < ep->n_deployments; j++) k += strcmp(ep->deployments[j]->model_id, model_id) == 0;
    return k;
}

static aia_status add_deployments(aia_arena *a, const aia_model_engine *e, const char *model_id,
                                  Aia__V1__ModelStatus *out, aia_error *err)
{
    aia_store_page page = {.page_size = 1000};
    aia_endpoint_record **eps = NULL;
    size_t n = 0, total = 0;
    char *next = NULL;
    if (aia_store_endpoint_list(e->store, model_id, &page, &eps, &n, &next, err) != AIA_OK) return err->code;
    free(next);
    for (size_t i = 0; i < n; i++) total += count_deployments_of(eps[i], model_id);
    out->deployments = aia_arena_calloc(a, total ? total : 1, sizeof *out->deployments);
    aia_status st = AIA_OK;
    if (!out->deployments) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory listing deployments");
    for (size_t i = 0; i < n && st == AIA_OK; i++) {
        Aia__V1__Endpoint *ep = NULL;
        st = aia_model_endpoint_with_stats(a, eps[i], &ep, err);
        for (size_t j = 0; st == AIA_OK && j < ep->n_deployments; j++)
            if (strcmp(ep->deployments[j]->model_id, model_id) == 0)
                out->deployments[out->n_deployments++] = ep->deployments[j];
    }
    aia_store_records_free((void **)eps, n);
    return st;
}

static int serving_version(const aia_model_record *m)
{
    for (size_t i = 0; i < m->n_aliases; i++)
        if (strcmp(m->aliases[i]->key, PRODUCTION_ALIAS) == 0) return m->aliases[i]->value;
    return m->latest_version;
}

static const aia_version_record *find_version(const aia_model_record *m, int version)
{
    for (size_t i = 0; i < m->n_versions; i++)
        if (m->versions[i]->version == version) return m->versions[i];
    return NULL;
}

static Aia__V1__ModelState state_of(const aia_model_record *m, const Aia__V1__ModelStatus *out)
{
    if (m->version_count > 0) return AIA__V1__MODEL_STATE__MODEL_STATE_READY;
    if (out->n_active_jobs > 0) return AIA__V1__MODEL_STATE__MODEL_STATE_TRAINING;
    return AIA__V1__MODEL_STATE__MODEL_STATE_FAILED;
}

/* The serving version's test metrics, converted through its lineage. */
static aia_status add_metrics(aia_arena *a, const aia_model_record *m, Aia__V1__ModelStatus *out, aia_error *err)
{
    const aia_version_record *v = find_version(m, out->serving_version);
    if (!v || !v->lineage) return AIA_OK;
    Aia__V1__ModelLineage *l = (Aia__V1__ModelLineage *)aia_model_convert(a, &v->lineage->base,
                                                                         &aia__v1__model_lineage__descriptor, err);
    if (!l) return err->code;
    out->n_metrics = l->n_test_metrics;
    out->metrics = (Aia__V1__ModelStatus__MetricsEntry **)l->test_metrics; /* same layout: key 1, value 2 */
    return AIA_OK;
}

aia_status aia_model_rpc_get_status(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp,
                                aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__GetModelStatusRequest *r = (const Aia__V1__GetModelStatusRequest *)req;
    Aia__V1__ModelStatus *out = (Aia__V1__ModelStatus *)resp;
    if (!e || check_bare_id(r->model_id, err) != AIA_OK) return err->code;
    aia_model_record *m = NULL;
    if (aia_store_model_get(e->store, r->model_id, 0, &m, err) != AIA_OK) return err->code;
    aia_arena *a = aia_rpc_arena(rpc);
    Aia__V1__RegisteredModel *reg = aia_model_registered_out(a, m, err);
    aia_status st = reg ? AIA_OK : err->code;
    if (st == AIA_OK) {
        out->model_id = reg->model_id;
        out->latest_version = m->latest_version;
        out->serving_version = serving_version(m);
        out->n_aliases = reg->n_aliases;
        out->aliases = (Aia__V1__ModelStatus__AliasesEntry **)reg->aliases; /* same layout */
        st = add_jobs(a, e, r->model_id, out, err);
    }
    if (st == AIA_OK) st = add_deployments(a, e, r->model_id, out, err);
    if (st == AIA_OK) st = add_metrics(a, m, out, err);
    if (st == AIA_OK) {
        aia_serve_stats stats;
        aia_serve_stats_get(e->serve, NULL, r->model_id, &stats);
        out->prediction_stats = aia_model_stats_out(a, &stats);
        out->state = state_of(m, out);
    }
    aia_store_record_free(m);
    return st;
}
