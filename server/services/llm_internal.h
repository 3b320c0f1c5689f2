/* server/services/llm_internal.h — what LLMService's files share: the
 * bound engine and the conversion of aia.v1 requests to lib/llm's. */
#ifndef AIA_SERVER_SERVICES_LLM_INTERNAL_H
#define AIA_SERVER_SERVICES_LLM_INTERNAL_H

#include "aia/v1/llm.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/base/strbuf.h"
#include "lib/llm/llm.h"
#include "server/rpc.h"

/* The model an empty request `model` means. */
#define AIA_LLM_DEFAULT_MODEL "local/smollm2-135m-instruct"

/* The bound engine, or NULL with UNAVAILABLE in err. */
aia_llm *aia_llm_service_engine(aia_error *err);

/* The fields GenerateRequest and StreamGenerateRequest share (and
 * CountTokensRequest's first three), borrowed from the request. */
typedef struct aia_llm_api_request {
    const char *model;
    size_t n_contents;
    Aia__V1__Content *const *contents;
    const Aia__V1__Content *system_instruction;
    const Aia__V1__GenerationConfig *generation_config;
    size_t n_safety_settings;
    Aia__V1__SafetySetting *const *safety_settings;
    /* The request's map<string, string> labels: its entry messages (each
     * request type has its own entry type; they are read by descriptor). */
    size_t n_labels;
    ProtobufCMessage *const *labels;
} aia_llm_api_request;

/* Converts into lib/llm's request, everything allocated in `a` or borrowed
 * from `in` (which must outlive `out`). INVALID_ARGUMENT names the field
 * ("contents[0].parts[1]: no text or inline_data"). */
aia_status aia_llm_request_from_api(aia_arena *a, const aia_llm_api_request *in, aia_llm_request *out,
                                    aia_error *err);

/* lib/llm's finish reason as the API's enum. */
Aia__V1__FinishReason aia_llm_finish_to_api(aia_llm_finish f);
/* Usage into a caller-owned message; reasoning tokens are what total counts
 * beyond the prompt and the output (Gemini's thoughts). */
void aia_llm_usage_fill(Aia__V1__TokenUsage *out, const aia_llm_usage *u);

/* The end of a call in the API's terms: the fields GenerateResponse and
 * StreamGenerateResponse share (finish_reason, usage, safety_ratings,
 * response_id, finish_message). Caller-owned, no allocation (the provider's
 * callback threads have no arena); pointers into `res`, which must outlive
 * the message it is applied to. */
typedef struct aia_llm_api_end {
    Aia__V1__FinishReason finish_reason;
    Aia__V1__TokenUsage usage;
    Aia__V1__SafetyRating ratings[AIA_LLM_MAX_SAFETY];
    Aia__V1__SafetyRating *rating_ptrs[AIA_LLM_MAX_SAFETY];
    size_t n_ratings;
    char *response_id, *finish_message;
} aia_llm_api_end;

/* Gemini's category and probability names map to HarmCategory and
 * HarmProbability ("NEGLIGIBLE" and "HARM_PROBABILITY_NEGLIGIBLE" alike);
 * names the enums lack become UNSPECIFIED. */
void aia_llm_api_end_fill(aia_llm_api_end *e, const aia_llm_result *res);

/* Sets m's shared end fields from e (m is a GenerateResponse or a
 * StreamGenerateResponse, whose fields have the same names). */
#define AIA_LLM_API_END_APPLY(m, e)                     \
    do {                                                \
        (m)->finish_reason = (e)->finish_reason;        \
        (m)->usage = &(e)->usage;                       \
        (m)->n_safety_ratings = (e)->n_ratings;         \
        (m)->safety_ratings = (e)->rating_ptrs;         \
        (m)->response_id = (e)->response_id;            \
        (m)->finish_message = (e)->finish_message;      \
    } while (0)

/* Appends generated text with each byte that is not part of valid UTF-8
 * replaced by U+FFFD: proto3 strings must be UTF-8, and a client (grpcio,
 * the gateway) refuses the whole message otherwise. Providers promise
 * complete UTF-8 per piece, but a small or random local model can produce
 * byte sequences that are complete yet invalid. */
void aia_llm_append_text(aia_strbuf *sb, const char *text, size_t len);

/* Handlers (llm_stream.c). */
void aia_llm_rpc_stream_generate(aia_rpc *rpc, const ProtobufCMessage *request);
aia_status aia_llm_rpc_generate(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                                aia_error *err);
aia_status aia_llm_stream_init(aia_error *err);
/* Waits (up to 10 s) until no stream holds a slot. */
void aia_llm_stream_drain(void);

#endif
