/* server/services/drift_internal.h — what the DriftService files share. */
#ifndef AIA_SERVER_SERVICES_DRIFT_INTERNAL_H
#define AIA_SERVER_SERVICES_DRIFT_INTERNAL_H

#include "aia/v1/drift.pb-c.h"
#include "lib/data/frame.h"
#include "server/rpc.h"
#include "server/services/drift_service.h"

const aia_drift_engine *aia_drift_engine_ready(aia_error *err);

/* Inline rows (google.protobuf.Struct, feature → value) as a frame of the
 * monitor's features with their types; a missing key or null is a
 * missing cell. INVALID_ARGUMENT names "instances[i].feature" and why. */
aia_status aia_drift_instances_frame(aia_monitors *m, const char *monitor_id, Google__Protobuf__Struct *const *rows,
                                     size_t n, aia_frame **out, aia_error *err);

void aia_drift_rpc_stream_alerts(aia_rpc *rpc, const ProtobufCMessage *req);
aia_status aia_drift_alerts_init(aia_error *err);
void aia_drift_alerts_shutdown(void);

#endif
