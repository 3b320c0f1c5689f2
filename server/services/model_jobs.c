/* server/services/model_jobs.c — TrainModel, GetTrainingJob,
 * ListTrainingJobs and CancelTrainingJob over lib/jobs and lib/store.
 *
 * TrainModel checks here only what the request itself must carry (ids,
 * task, data, target); lib/jobs' submit runs lib/train's checks, which know
 * the algorithms, their hyperparameters and the data's header, and name the
 * field at fault. The job is stored before the call returns, so a crash
 * right after the answer loses nothing. */
#include <stdlib.h>
#include <string.h>

#include "lib/base/log.h"
#include "server/services/model_internal.h"

static aia_status check_train_request(const Aia__V1__TrainModelRequest *r, aia_error *err)
{
    if (!r->model_id[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model_id: required");
    if (aia_store_check_id("model_id", r->model_id, err) != AIA_OK) return err->code;
    if (r->task_type != AIA__V1__TASK_TYPE__TASK_TYPE_CLASSIFICATION &&
        r->task_type != AIA__V1__TASK_TYPE__TASK_TYPE_REGRESSION)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "task_type: required, TASK_TYPE_CLASSIFICATION or TASK_TYPE_REGRESSION (got %d)",
                             (int)r->task_type);
    if (!r->training_data_uri[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "training_data_uri: required");
    if (!r->target_column[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "target_column: required");
    if (r->parent_version < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "parent_version: must not be negative, got %d",
                             r->parent_version);
    return AIA_OK;
}

/* The request as a job spec, with the documented defaults filled in. */
static aia_job_spec *spec_of(aia_arena *a, const Aia__V1__TrainModelRequest *r, aia_error *err)
{
    aia_job_spec *spec =
        (aia_job_spec *)aia_model_convert(a, &r->base, &aia_store__v1__job_spec__descriptor, err);
    if (!spec) return NULL;
    if (!spec->algorithm[0]) spec->algorithm = "auto";
    if (spec->trigger == AIA_STORE__V1__TRIGGER__TRIGGER_UNSPECIFIED)
        spec->trigger = AIA_STORE__V1__TRIGGER__TRIGGER_MANUAL;
    return spec;
}

aia_status aia_model_rpc_train(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__TrainModelRequest *r = (const Aia__V1__TrainModelRequest *)req;
    if (!e || check_train_request(r, err) != AIA_OK) return err->code;
    aia_arena *a = aia_rpc_arena(rpc);
    aia_job_spec *spec = spec_of(a, r, err);
    if (!spec) return err->code;
    aia_job_record *job = NULL;
    if (aia_jobs_submit(e->jobs, spec, aia_rpc_caller(rpc), &job, err) != AIA_OK) return err->code;
    Aia__V1__TrainingJob *out = aia_model_job_out(a, job, err);
    if (out) {
        aia_model_assign(resp, &out->base);
        aia_log_field f[] = {AIA_LOG_STR("job_id", job->job_id), AIA_LOG_STR("model_id", job->model_id),
                             AIA_LOG_INT("model_version", job->model_version),
                             AIA_LOG_STR("request_id", aia_rpc_request_id(rpc))};
        aia_log_event(AIA_LOG_INFO, "job submitted", f, sizeof f / sizeof f[0]);
    }
    aia_store_record_free(job);
    return out ? AIA_OK : err->code;
}

aia_status aia_model_rpc_get_job(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__GetTrainingJobRequest *r = (const Aia__V1__GetTrainingJobRequest *)req;
    if (!e) return err->code;
    if (!r->job_id[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "job_id: required");
    aia_job_record *job = NULL;
    if (aia_store_job_get(e->store, r->job_id, &job, err) != AIA_OK) return err->code;
    Aia__V1__TrainingJob *out = aia_model_job_out(aia_rpc_arena(rpc), job, err);
    aia_store_record_free(job);
    if (!out) return err->code;
    aia_model_assign(resp, &out->base);
    return AIA_OK;
}

static aia_status state_mask(const Aia__V1__ListTrainingJobsRequest *r, unsigned *mask, aia_error *err)
{
    *mask = 0;
    for (size_t i = 0; i < r->n_states; i++) {
        int s = (int)r->states[i];
        if (s < AIA__V1__JOB_STATE__JOB_STATE_QUEUED || s > AIA__V1__JOB_STATE__JOB_STATE_CANCELLED)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "states[%zu]: not a job state (%d)", i, s);
        *mask |= 1u << s;
    }
    return AIA_OK;
}

aia_status aia_model_rpc_list_jobs(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__ListTrainingJobsRequest *r = (const Aia__V1__ListTrainingJobsRequest *)req;
    Aia__V1__ListTrainingJobsResponse *out = (Aia__V1__ListTrainingJobsResponse *)resp;
    unsigned mask;
    if (!e || aia_model_check_page_size(r->page_size, err) != AIA_OK ||
        state_mask(r, &mask, err) != AIA_OK)
        return err->code;
    aia_store_page page = {.page_size = r->page_size, .page_token = r->page_token};
    aia_job_record **jobs = NULL;
    size_t n = 0;
    char *next = NULL;
    int total = 0;
    if (aia_store_job_list(e->store, r->model_id, mask, &page, &jobs, &n, &next, &total, err) != AIA_OK)
        return err->code;
    aia_arena *a = aia_rpc_arena(rpc);
    aia_status st = aia_model_convert_list(a, (void **)jobs, n, &aia__v1__training_job__descriptor, &out->jobs,
                                           &out->n_jobs, err);
    out->next_page_token = next ? aia_arena_strdup(a, next) : "";
    out->total_size = total;
    free(next);
    return st;
}

aia_status aia_model_rpc_cancel_job(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_model_engine *e = aia_model_engine_ready(err);
    const Aia__V1__CancelTrainingJobRequest *r = (const Aia__V1__CancelTrainingJobRequest *)req;
    if (!e) return err->code;
    if (!r->job_id[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "job_id: required");
    aia_job_record *job = NULL;
    if (aia_jobs_cancel(e->jobs, r->job_id, &job, err) != AIA_OK) return err->code;
    Aia__V1__TrainingJob *out = aia_model_job_out(aia_rpc_arena(rpc), job, err);
    aia_store_record_free(job);
    if (!out) return err->code;
    aia_model_assign(resp, &out->base);
    return AIA_OK;
}
