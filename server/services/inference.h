/* server/services/inference.h — inference.GRPCInferenceService, the Open
 * Inference Protocol (KServe v2) over lib/serve, for stock clients
 * (tritonclient, open-inference-grpc, KServe's and MLServer's).
 *
 * Mapping (issue 5): the OIP model name is the registered model's model_id;
 * its version is the registry version ("3"), or an alias ("production"),
 * and an empty version means the production alias if set, else the latest
 * version. ModelReady is true for any servable version, deployed on an
 * endpoint or not. ServerReady is true while the server serves and a
 * lib/serve handle is bound. ModelMetadata, the accepted input forms and the
 * outputs are described in inference_tensor.h and inference_infer.c.
 *
 * The service's only state is the lib/serve handle, bound by main():
 *
 *   aia_inference_service_bind(serve);   before aia_server_start()
 *   ... serving ...
 *   aia_server_shutdown(server);
 *   aia_inference_service_bind(NULL);    before aia_serve_close(serve)
 *
 * Until a handle is bound, ServerReady answers false and the model RPCs
 * answer UNAVAILABLE. The handle is read with an atomic load on every call,
 * so binding is thread-safe; the caller guarantees the handle outlives every
 * call that may have read it (which the order above does: shutdown waits
 * for every call to end).
 */
#ifndef AIA_SERVER_SERVICES_INFERENCE_H
#define AIA_SERVER_SERVICES_INFERENCE_H

#include "lib/serve/serve.h"
#include "server/method.h"

extern const aia_service_impl aia_inference_service;

/* Gives the service its lib/serve handle (borrowed), or NULL to unbind. */
void aia_inference_service_bind(aia_serve *serve);

#endif
