/* server/engine.c — see engine.h. */
#include "server/engine.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/jobs/jobs.h"
#include "lib/llm/llm.h"
#include "lib/monitor/monitor.h"
#include "lib/serve/serve.h"
#include "lib/store/store.h"
#include "server/build_info.h"
#include "server/services/drift_service.h"
#include "server/services/inference.h"
#include "server/services/llm_service.h"
#include "server/services/model_service.h"
#include "server/services/system_service.h"

#define MIB (1024LL * 1024)

struct aia_engine {
    aia_store *store;
    aia_jobs *jobs;
    aia_serve *serve;
    aia_monitors *monitors;
    aia_llm *llm;
    int bound;
};

static aia_status prefix(aia_error *err, const char *what, const char *dir)
{
    char inner[AIA_ERROR_MESSAGE_MAX];
    snprintf(inner, sizeof inner, "%s", err->message);
    return aia_error_set(err, err->code, "%s in %s: %s", what, dir, inner);
}

static const char *or_null(const char *s)
{
    return s[0] ? s : NULL;
}

/* The LLM engine: settings from the configuration, API keys from the
 * environment only (lib/llm reads GEMINI_API_KEY and OPENAI_API_KEY when
 * the options leave them NULL), since a flag would show in ps. */
static aia_status open_llm(const aia_config *cfg, aia_engine *e, aia_error *err)
{
    aia_llm_options lo = {
        .routes = or_null(cfg->llm_routes),
        .models_dir = or_null(cfg->llm_models_dir),
        .local_threads = cfg->llm_local_threads,
        .vertex_base_url = or_null(cfg->vertex_base_url),
        .vertex_project = or_null(cfg->vertex_project),
        .vertex_region = or_null(cfg->vertex_region),
        .vertex_credentials = or_null(cfg->vertex_credentials),
        .gemini_api_base_url = or_null(cfg->gemini_api_base_url),
        .openai_base_url = or_null(cfg->openai_base_url),
        .max_concurrent_per_caller = cfg->llm_max_concurrent_per_caller,
    };
    if (aia_llm_open(&lo, &e->llm, err) != AIA_OK) {
        char inner[AIA_ERROR_MESSAGE_MAX];
        snprintf(inner, sizeof inner, "%s", err->message);
        return aia_error_set(err, err->code, "opening the LLM engine: %s", inner);
    }
    return AIA_OK;
}

static aia_status open_parts(const aia_config *cfg, aia_engine *e, aia_error *err)
{
    if (aia_store_open(cfg->data_dir, &e->store, err) != AIA_OK)
        return prefix(err, "opening the model store", cfg->data_dir);
    aia_serve_options so = {
        .store = e->store,
        .data_dir = cfg->data_dir,
        .log_sample_rate = cfg->prediction_log_percent / 100.0,
        .log_max_file_bytes = cfg->prediction_log_file_mib * MIB,
        .log_max_files = cfg->prediction_log_files,
    };
    if (aia_serve_open(&so, &e->serve, err) != AIA_OK) return prefix(err, "opening the serving layer", cfg->data_dir);
    aia_jobs_options jo = {
        .store = e->store,
        .data_dir = cfg->data_dir,
        .workers = cfg->training_workers,
        .threads_per_job = cfg->threads,
        .engine_version = AIA_VERSION,
    };
    if (aia_jobs_start(&jo, &e->jobs, err) != AIA_OK) return prefix(err, "starting training workers", cfg->data_dir);
    aia_monitors_options mo = {
        .store = e->store,
        .serve = e->serve,
        .jobs = e->jobs,
        .data_dir = cfg->data_dir,
        .check_threads = cfg->threads,
        .poll_ms = cfg->drift_poll_ms,
        .default_cooldown_ms = (int64_t)cfg->drift_cooldown_seconds * 1000,
        .min_labelled_rows = cfg->drift_min_labelled_rows,
        .webhook_backoff_ms = cfg->drift_webhook_backoff_ms,
        .alert_json = aia_drift_alert_json,
    };
    if (aia_monitors_start(&mo, &e->monitors, err) != AIA_OK)
        return prefix(err, "starting the drift monitors", cfg->data_dir);
    if (open_llm(cfg, e, err) != AIA_OK) return err->code;
    aia_model_engine me = {.store = e->store, .jobs = e->jobs, .serve = e->serve};
    if (aia_model_service_bind(&me, err) != AIA_OK) return err->code;
    aia_drift_engine de = {.store = e->store, .monitors = e->monitors};
    if (aia_drift_service_bind(&de, err) != AIA_OK) return err->code;
    aia_inference_service_bind(e->serve);
    aia_system_service_bind_serve(e->serve);
    if (aia_llm_service_bind(e->llm, err) != AIA_OK) return err->code;
    aia_system_service_bind_llm(e->llm);
    e->bound = 1;
    return AIA_OK;
}

aia_status aia_engine_open(const aia_config *cfg, aia_engine **out, aia_error *err)
{
    aia_engine *e = calloc(1, sizeof *e);
    if (!e) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    if (open_parts(cfg, e, err) != AIA_OK) {
        aia_engine_close(e);
        return err->code;
    }
    *out = e;
    return AIA_OK;
}

void aia_engine_close(aia_engine *e)
{
    if (!e) return;
    if (e->bound) {
        aia_system_service_bind_llm(NULL);
        aia_llm_service_unbind();
        aia_system_service_bind_serve(NULL);
        aia_inference_service_bind(NULL);
        aia_model_service_unbind();
        aia_drift_service_unbind();
    }
    if (e->llm) aia_llm_close(e->llm); /* opened last: closed first */
    /* Monitors submit jobs and read served models: stop them first. */
    aia_monitors_stop(e->monitors);
    if (e->jobs) aia_jobs_stop(e->jobs);
    if (e->serve) aia_serve_close(e->serve);
    if (e->store) aia_store_close(e->store);
    free(e);
}
