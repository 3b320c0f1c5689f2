/* server/services/system_service.h — what SystemService reports beyond the
 * runtime: the serving layer's statistics in GetMetrics.
 *
 * Bind before aia_server_start() and unbind (NULL) after
 * aia_server_shutdown(); the pointer is read atomically on every
 * GetMetrics, and the caller keeps the serve open while it is bound. */
#ifndef AIA_SERVER_SERVICES_SYSTEM_SERVICE_H
#define AIA_SERVER_SERVICES_SYSTEM_SERVICE_H

#include "lib/llm/llm.h"
#include "lib/serve/serve.h"

void aia_system_service_bind_serve(aia_serve *serve);
/* Same for the LLM engine's token usage (aia_llm_metrics_render). */
void aia_system_service_bind_llm(aia_llm *llm);

#endif
