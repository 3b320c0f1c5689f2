/* server/services/system_service.h — what SystemService reports beyond the
 * runtime: the serving layer's statistics in GetMetrics.
 *
 * Bind before aia_server_start() and unbind (NULL) after
 * aia_server_shutdown(); the pointer is read atomically on every
 * GetMetrics, and the caller keeps the serve open while it is bound. */
#ifndef AIA_SERVER_SERVICES_SYSTEM_SERVICE_H
#define AIA_SERVER_SERVICES_SYSTEM_SERVICE_H

#include "lib/serve/serve.h"

void aia_system_service_bind_serve(aia_serve *serve);

#endif
