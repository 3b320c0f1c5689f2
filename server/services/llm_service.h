/* server/services/llm_service.h — binding aia.v1.LLMService to the LLM
 * engine (lib/llm/llm.h).
 *
 * Lifecycle: bind after aia_llm_open and before aia_server_start(); unbind
 * after aia_server_shutdown() returned and before aia_llm_close: it waits
 * (at most 10 s) until the last stream, already finished, has released its
 * call, since aia_llm_close needs every call released. Until bound, LLMService
 * methods answer UNAVAILABLE. The engine pointer is read atomically by
 * every call; the caller keeps the engine open while it is bound.
 */
#ifndef AIA_SERVER_SERVICES_LLM_SERVICE_H
#define AIA_SERVER_SERVICES_LLM_SERVICE_H

#include "lib/base/status.h"
#include "lib/llm/llm.h"

aia_status aia_llm_service_bind(aia_llm *engine, aia_error *err);
void aia_llm_service_unbind(void);

#endif
