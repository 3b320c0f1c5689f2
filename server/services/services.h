/* server/services/services.h — every service aia-server hosts, in the order
 * reflection lists them. Each service module maps aia.v1 messages to lib/
 * calls and stays thin; transport concerns live in server/. */
#ifndef AIA_SERVER_SERVICES_H
#define AIA_SERVER_SERVICES_H

#include <stddef.h>

#include "server/method.h"

extern const aia_service_impl aia_system_service;
extern const aia_service_impl aia_model_service;
extern const aia_service_impl aia_drift_service;
extern const aia_service_impl aia_coordinator_service;
extern const aia_service_impl aia_llm_service;

/* All services, health and reflection included; n set to the count. */
const aia_service_impl *const *aia_all_services(size_t *n);

#endif
