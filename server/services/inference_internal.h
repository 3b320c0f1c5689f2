/* server/services/inference_internal.h — what inference.c (the service,
 * health and metadata RPCs) and inference_infer.c (ModelInfer) share. */
#ifndef AIA_SERVER_SERVICES_INFERENCE_INTERNAL_H
#define AIA_SERVER_SERVICES_INFERENCE_INTERNAL_H

#include "lib/serve/serve.h"
#include "server/rpc.h"
#include "server/services/inference_tensor.h"

/* The bound lib/serve handle, or NULL (see inference.h). */
aia_serve *aia_oip_serve(void);

/* The version an OIP (name, version) pair addresses: version "" is the
 * default (production alias, else latest), digits a registry version, any
 * other text an alias. INVALID_ARGUMENT for an empty name, a name with '@'
 * or a version number out of range; otherwise lib/serve's answer
 * (NOT_FOUND naming the model, version or alias, ...). `what` names the
 * request's name field in messages ("name", "model_name"). */
aia_status aia_oip_acquire(aia_serve *s, const char *name, const char *version, const char *what, aia_served **out,
                           aia_error *err);

/* The handle's inputs as a schema; valid while the handle is held. */
void aia_oip_schema_of(const aia_served *h, aia_oip_schema *out);

/* Output names. */
#define AIA_OIP_OUT_PROBABILITIES "probabilities"
#define AIA_OIP_OUT_LABEL "label"
#define AIA_OIP_OUT_VALUE "value"
#define AIA_OIP_OUT_PREDICTION_ID "prediction_id"

/* inference.GRPCInferenceService/ModelInfer. */
aia_status aia_oip_model_infer(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                               aia_error *err);

#endif
