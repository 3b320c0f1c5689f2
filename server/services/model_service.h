/* server/services/model_service.h — binding aia.v1.ModelService to the
 * engine it serves from.
 *
 * Lifecycle: bind after the store, jobs and serving layer are open and
 * before aia_server_start(); unbind after aia_server_shutdown() returned
 * and before closing them. Until bound, ModelService methods answer
 * UNAVAILABLE. Not thread-safe against calls in flight: only call it while
 * no ModelService call runs (before start, after shutdown).
 */
#ifndef AIA_SERVER_SERVICES_MODEL_SERVICE_H
#define AIA_SERVER_SERVICES_MODEL_SERVICE_H

#include "lib/base/status.h"
#include "lib/jobs/jobs.h"
#include "lib/serve/serve.h"
#include "lib/store/store.h"

typedef struct aia_model_engine {
    aia_store *store;
    aia_jobs *jobs;
    aia_serve *serve;
} aia_model_engine;

/* Borrows the handles until unbind. Starts the watch reaper thread. */
aia_status aia_model_service_bind(const aia_model_engine *engine, aia_error *err);
void aia_model_service_unbind(void);

#endif
