/* server/services/drift_service.h — binding aia.v1.DriftService to the
 * drift monitors (lib/monitor) and the store.
 *
 * Lifecycle: bind after the monitors started and before aia_server_start();
 * unbind after aia_server_shutdown() returned and before stopping them.
 * Until bound, DriftService methods answer UNAVAILABLE. Not thread-safe
 * against calls in flight (only while no DriftService call runs).
 */
#ifndef AIA_SERVER_SERVICES_DRIFT_SERVICE_H
#define AIA_SERVER_SERVICES_DRIFT_SERVICE_H

#include "lib/base/status.h"
#include "lib/monitor/monitor.h"
#include "lib/store/store.h"

typedef struct aia_drift_engine {
    aia_store *store;
    aia_monitors *monitors;
} aia_drift_engine;

aia_status aia_drift_service_bind(const aia_drift_engine *engine, aia_error *err);
void aia_drift_service_unbind(void);

/* The aia.v1 DriftAlert JSON webhooks receive (lib/monitor's alert_json
 * hook: the record converted to the API message, proto3 JSON). */
aia_status aia_drift_alert_json(void *arg, const aia_drift_alert_record *alert, aia_strbuf *out, aia_error *err);

#endif
