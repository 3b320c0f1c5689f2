/* server/services/model_service.c — aia.v1.ModelService's method table and
 * its binding to the engine (lib/store, lib/jobs, lib/serve).
 *
 * Every unary method but Predict does SQLite work or reads files, so it
 * runs on the worker pool (AIA_METHOD_BLOCKING), never on a completion-queue
 * thread. Predict too: a 1,000-row batch is milliseconds of CPU, and a
 * first call may load a model file. The handlers live one concern per file:
 * model_jobs.c, model_watch.c, model_registry.c, model_predict.c,
 * model_endpoints.c. */
#include "aia/v1/model.pb-c.h"
#include "server/services/model_internal.h"
#include "server/services/services.h"

static aia_model_engine g_engine; /* see model_service.h for why no lock */

const aia_model_engine *aia_model_engine_ready(aia_error *err)
{
    if (g_engine.store && g_engine.jobs && g_engine.serve) return &g_engine;
    aia_error_set(err, AIA_UNAVAILABLE, "ModelService is not ready: the model store is not open");
    return NULL;
}

aia_status aia_model_service_bind(const aia_model_engine *engine, aia_error *err)
{
    if (aia_model_watch_init(err) != AIA_OK) return err->code;
    g_engine = *engine;
    return AIA_OK;
}

void aia_model_service_unbind(void)
{
    aia_model_watch_shutdown();
    g_engine = (aia_model_engine){0};
}

#define BLOCKING(m, fn) {.name = m, .unary = fn, .flags = AIA_METHOD_BLOCKING}

static const aia_method_impl k_methods[] = {
    BLOCKING("TrainModel", aia_model_rpc_train),
    BLOCKING("GetTrainingJob", aia_model_rpc_get_job),
    BLOCKING("ListTrainingJobs", aia_model_rpc_list_jobs),
    BLOCKING("CancelTrainingJob", aia_model_rpc_cancel_job),
    {.name = "WatchTrainingJob", .stream = aia_model_rpc_watch_job, .flags = AIA_METHOD_BLOCKING},
    BLOCKING("GetModel", aia_model_rpc_get),
    BLOCKING("GetModelStatus", aia_model_rpc_get_status),
    BLOCKING("ListModels", aia_model_rpc_list),
    BLOCKING("SetModelAlias", aia_model_rpc_set_alias),
    BLOCKING("DeleteModelVersion", aia_model_rpc_delete_version),
    BLOCKING("Predict", aia_model_rpc_predict),
    BLOCKING("CreateEndpoint", aia_model_rpc_create_endpoint),
    BLOCKING("DeployModel", aia_model_rpc_deploy),
    BLOCKING("UpdateTrafficSplit", aia_model_rpc_split),
    BLOCKING("UndeployModel", aia_model_rpc_undeploy),
    BLOCKING("RollbackEndpoint", aia_model_rpc_rollback),
    BLOCKING("ListEndpoints", aia_model_rpc_list_endpoints),
};

const aia_service_impl aia_model_service = {
    .descriptor = &aia__v1__model_service__descriptor,
    .methods = k_methods,
    .n_methods = sizeof k_methods / sizeof k_methods[0],
};
