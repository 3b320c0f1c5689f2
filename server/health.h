/* server/health.h — grpc.health.v1.Health: per-service serving status with
 * Check and Watch.
 *
 * The status table starts with "" (the whole server) and every service of
 * the method table: SERVING when the service has at least one implemented
 * method, NOT_SERVING otherwise. Draining flips everything to NOT_SERVING;
 * Watch streams get each change as it happens and, when the server drains,
 * end with UNAVAILABLE after their NOT_SERVING update. Thread-safe.
 */
#ifndef AIA_SERVER_HEALTH_H
#define AIA_SERVER_HEALTH_H

#include "server/method.h"

typedef struct aia_health aia_health;

/* grpc.health.v1.HealthCheckResponse.ServingStatus values. */
enum {
    AIA_HEALTH_UNKNOWN = 0,
    AIA_HEALTH_SERVING = 1,
    AIA_HEALTH_NOT_SERVING = 2,
    AIA_HEALTH_SERVICE_UNKNOWN = 3,
};

aia_health *aia_health_create(void);
/* Watch streams must have ended (the runtime guarantees it at shutdown). */
void aia_health_destroy(aia_health *h);

/* Sets (adding if new) the status of `service` and notifies its watchers.
 * Returns -1 when out of memory. */
int aia_health_set(aia_health *h, const char *service, int status);
/* Sets every known service, "" included. */
void aia_health_set_all(aia_health *h, int status);
/* The status of `service`, or AIA_HEALTH_SERVICE_UNKNOWN. */
int aia_health_get(aia_health *h, const char *service);

extern const aia_service_impl aia_health_service;

#endif
