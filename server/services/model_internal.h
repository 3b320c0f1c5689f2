/* server/services/model_internal.h — what the ModelService files share:
 * the engine handles the service runs on, and the conversions between the
 * store's records (lib/store/records.proto) and the aia.v1 messages.
 *
 * State. aia-server's main opens the store, starts the jobs and opens the
 * serving layer, then binds them here before the server starts serving and
 * unbinds after it has shut down (no call is in flight at either moment),
 * so handlers read the bound pointers without a lock.
 *
 * Conversions. Each record is wire-compatible with its aia.v1 namesake
 * (records.proto says why and tests/unit/store checks it), so a conversion
 * packs one and unpacks the bytes as the other. Results unpacked into a
 * call's arena live as long as the call and are never freed one by one.
 */
#ifndef AIA_SERVER_SERVICES_MODEL_INTERNAL_H
#define AIA_SERVER_SERVICES_MODEL_INTERNAL_H

#include <protobuf-c/protobuf-c.h>

#include "aia/v1/model.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/jobs/jobs.h"
#include "lib/serve/serve.h"
#include "lib/store/store.h"
#include "server/rpc.h"
#include "server/services/model_service.h"

/* The bound engine, or NULL with err set to UNAVAILABLE before
 * aia_model_service_bind() (or after unbind). */
const aia_model_engine *aia_model_engine_ready(aia_error *err);

/* Packs `from` and unpacks it as `to` into arena `a`. NULL when `from` is
 * NULL; sets err (INTERNAL, naming both types) when the bytes do not parse,
 * which would mean the two definitions drifted apart. */
ProtobufCMessage *aia_model_convert(aia_arena *a, const ProtobufCMessage *from, const ProtobufCMessageDescriptor *to,
                                    aia_error *err);

/* The same into malloc'd memory; free with protobuf_c_message_free_unpacked. */
ProtobufCMessage *aia_model_convert_heap(const ProtobufCMessage *from, const ProtobufCMessageDescriptor *to,
                                         aia_error *err);

/* Typed shorthands over aia_model_convert for the record kinds. */
Aia__V1__TrainingJob *aia_model_job_out(aia_arena *a, const aia_job_record *r, aia_error *err);
Aia__V1__ModelVersion *aia_model_version_out(aia_arena *a, const aia_version_record *r, aia_error *err);
Aia__V1__RegisteredModel *aia_model_registered_out(aia_arena *a, const aia_model_record *r, aia_error *err);
Aia__V1__Endpoint *aia_model_endpoint_out(aia_arena *a, const aia_endpoint_record *r, aia_error *err);
Aia__V1__HpoTrial *aia_model_trial_out(aia_arena *a, const aia_trial_record *r, aia_error *err);

/* Converts n records (an array from a store list call, consumed: freed
 * whatever happens) into an arena array of messages of type `to`, stored
 * through `out` (a `T ***`: the response's repeated field) with its count
 * in *n_out (0 on failure). */
aia_status aia_model_convert_list(aia_arena *a, void **records, size_t n, const ProtobufCMessageDescriptor *to,
                                  void *out, size_t *n_out, aia_error *err);

/* Copies every field of `src` into `dst` (same type, dst initialised):
 * shallow, for filling a pre-initialised response from a converted
 * message. */
void aia_model_assign(ProtobufCMessage *dst, const ProtobufCMessage *src);

/* What a google.protobuf.Value holds, for messages ("a number", "null"). */
const char *aia_model_value_kind(const Google__Protobuf__Value *v);

/* Validates a page_size (0..1000, negative named) for list requests. */
aia_status aia_model_check_page_size(int32_t page_size, aia_error *err);

/* PredictionStats of serving statistics, in the arena. */
Aia__V1__PredictionStats *aia_model_stats_out(aia_arena *a, const aia_serve_stats *s);

/* The endpoint as an API message, each deployment with its live serving
 * statistics. */
aia_status aia_model_endpoint_with_stats(aia_arena *a, const aia_endpoint_record *r, Aia__V1__Endpoint **out,
                                         aia_error *err);

/* Method handlers, by file. */
aia_status aia_model_rpc_train(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_get_job(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_list_jobs(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_cancel_job(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
void aia_model_rpc_watch_job(aia_rpc *rpc, const ProtobufCMessage *req);

aia_status aia_model_rpc_get(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_get_status(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_list(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_set_alias(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_delete_version(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp,
                                   aia_error *err);

aia_status aia_model_rpc_predict(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);

aia_status aia_model_rpc_create_endpoint(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp,
                                     aia_error *err);
aia_status aia_model_rpc_deploy(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_split(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_undeploy(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_rollback(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err);
aia_status aia_model_rpc_list_endpoints(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp,
                                    aia_error *err);

/* Started / stopped by bind / unbind: the watch streams' reaper. */
aia_status aia_model_watch_init(aia_error *err);
void aia_model_watch_shutdown(void);

#endif
