/* lib/llm/llm.h — the LLM engine LLMService serves from: one call routed
 * (lib/llm/route.h) to the embedded GGUF model (lib/llm/local.h) or a
 * remote provider (lib/llm/remote.h: Vertex AI, the Gemini API, an
 * OpenAI-compatible server), with per-caller concurrency limits and token
 * usage counted per model and caller.
 *
 * Calls stream: on_text gets each new piece of text as soon as the
 * provider has it (complete UTF-8), then on_done exactly once with the
 * status, the finish reason and the usage. Remote callbacks run on the
 * HTTP thread, local ones on the generation thread: neither may block for
 * long (queue and return). A call is cancelled with aia_llm_cancel (the
 * upstream request is closed, or local generation stops within a token);
 * on_done then reports CANCELLED.
 *
 * Providers are configured once at open; a provider without what it needs
 * (no Vertex project, no Gemini API key, no OpenAI base URL, no local model
 * file) is still routed to, and a call answers FAILED_PRECONDITION naming
 * the missing setting, as ListLLMModels' availability says.
 *
 * Ownership: the request is read during aia_llm_stream only (copied as
 * needed). A call handle stays valid until aia_llm_call_release, which may
 * come before or after on_done. Thread-safety: every function is
 * thread-safe; aia_llm_close needs every call released.
 */
#ifndef AIA_LLM_LLM_H
#define AIA_LLM_LLM_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/base/strbuf.h"
#include "lib/llm/wire.h"

typedef struct aia_llm aia_llm;
typedef struct aia_llm_call aia_llm_call;

typedef struct aia_llm_options {
    const char *routes;            /* extra routes (route.h spec); NULL = defaults only */
    const char *models_dir;        /* local GGUF files; NULL = $XDG_CACHE_HOME/aia/models or ~/.cache/aia/models */
    int local_threads;             /* threads per local generation; 0 = 2 */
    int local_max_concurrent;      /* local generations at once (the rest wait); 0 = 1 */
    const char *vertex_base_url;   /* NULL = https://{region}-aiplatform.googleapis.com */
    const char *vertex_project;    /* NULL = $GOOGLE_CLOUD_PROJECT */
    const char *vertex_region;     /* NULL = europe-west4 */
    const char *vertex_credentials; /* service-account key file; NULL = $GOOGLE_APPLICATION_CREDENTIALS, else the metadata server */
    const char *gemini_api_base_url; /* NULL = https://generativelanguage.googleapis.com */
    const char *gemini_api_key;    /* NULL = $GEMINI_API_KEY, else $GOOGLE_API_KEY */
    const char *openai_base_url;   /* NULL = $OPENAI_BASE_URL; none = the provider is unavailable */
    const char *openai_api_key;    /* NULL = $OPENAI_API_KEY (optional) */
    int max_concurrent_per_caller; /* calls in flight per caller; 0 = 16 */
    int64_t remote_timeout_ms;     /* whole remote call; 0 = 600000 */
} aia_llm_options;

/* Opens the engine: routes parsed, providers configured (no network I/O,
 * no model loaded yet: the local model loads on its first call).
 * INVALID_ARGUMENT names a bad option. */
aia_status aia_llm_open(const aia_llm_options *opt, aia_llm **out, aia_error *err);
void aia_llm_close(aia_llm *l);

typedef struct aia_llm_callbacks {
    void (*on_text)(void *user, const char *text, size_t len);
    void (*on_done)(void *user, aia_status status, const aia_llm_result *res, const aia_error *err);
    void *user;
} aia_llm_callbacks;

/* Starts a call of req->model for `caller` ("" = anonymous). Before any
 * callback: INVALID_ARGUMENT for a bad request (naming the field),
 * NOT_FOUND for a model no route serves, RESOURCE_EXHAUSTED when the
 * caller has max_concurrent_per_caller calls in flight,
 * FAILED_PRECONDITION for an unconfigured provider. *provider (may be
 * NULL) names the provider. */
aia_status aia_llm_stream(aia_llm *l, const char *caller, const aia_llm_request *req, const aia_llm_callbacks *cb,
                          aia_llm_call **out, const char **provider, aia_error *err);
void aia_llm_cancel(aia_llm_call *c);
void aia_llm_call_release(aia_llm_call *c);

/* Tokens of the request's contents and system instruction (Gemini's
 * countTokens; the local tokenizer with the chat template). UNIMPLEMENTED
 * for openai, which has no such endpoint. */
aia_status aia_llm_count_tokens(aia_llm *l, const aia_llm_request *req, int64_t *total, const char **provider,
                                aia_error *err);

typedef struct aia_llm_model_info {
    char name[160];
    const char *provider;
    char display_name[160];
    int32_t context_window;    /* 0 = unknown */
    int32_t max_output_tokens; /* 0 = unknown */
    int supports_streaming;
    int available;
    char unavailable_reason[256];
    int accepts_images;        /* inline image data (Gemini) */
} aia_llm_model_info;

/* The models the engine knows: the local models in models_dir and the
 * remote providers' documented models, with availability; `provider` NULL
 * or "" = all. *out is malloc'd (free()). */
aia_status aia_llm_list_models(aia_llm *l, const char *provider, aia_llm_model_info **out, size_t *n,
                               aia_error *err);

/* Appends token usage as Prometheus text: aia_llm_tokens_total{model,
 * caller, kind="prompt"|"output"} and aia_llm_calls_total{model, caller,
 * status}. */
void aia_llm_metrics_render(aia_llm *l, aia_strbuf *out);

#endif
