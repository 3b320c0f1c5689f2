/* lib/llm/remote.h — remote LLM providers: Vertex AI, the Gemini API and
 * OpenAI-compatible servers, over lib/llm/http.h and lib/llm/wire.h.
 *
 * URLs ({model} is the provider's model name):
 *   vertex:     {base}/v1/projects/{project}/locations/{region}/publishers/google/models/{model}:
 *               generateContent | streamGenerateContent?alt=sse | countTokens
 *               base default https://{region}-aiplatform.googleapis.com, region
 *               default europe-west4, project default $GOOGLE_CLOUD_PROJECT;
 *               "Authorization: Bearer" from an aia_auth.
 *   gemini-api: {base}/v1beta/models/{model}:... with "x-goog-api-key";
 *               base default https://generativelanguage.googleapis.com.
 *   openai:     {base}/v1/chat/completions, optional "Authorization: Bearer <key>".
 *
 * A streaming call delivers text chunks in order through on_text, then
 * on_done exactly once with the finish reason, its message, the usage
 * (Gemini's running totals: the last one; OpenAI's final usage chunk), the
 * response id and Gemini's safety ratings (aia_llm_result). Errors given
 * to on_done:
 *   - an upstream HTTP error: mapped by aia_llm_error_from_http (400
 *     INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 PERMISSION_DENIED, 404
 *     NOT_FOUND, 429 RESOURCE_EXHAUSTED, 5xx UNAVAILABLE) with the upstream
 *     message; an {"error": ...} object inside a stream likewise;
 *   - a stream that ends without a finish reason, or mid-event: UNAVAILABLE
 *     "upstream stream truncated ...";
 *   - connection failures: UNAVAILABLE; the deadline: DEADLINE_EXCEEDED;
 *     aia_remote_cancel: CANCELLED; an unreadable upstream answer: INTERNAL.
 * 429, 5xx, connection failures and truncation are retried with jittered
 * exponential backoff, but only while no text has been delivered: once a
 * token went out, the error is final (the caller cannot take text back).
 *
 * Ownership: the aia_remote borrows its http client and auth (both must
 * outlive it) and copies the strings of its config. A call copies what it
 * needs from the request (the body is built at start). `user` must stay
 * valid until on_done has returned. The call handle (optional) is owned by
 * the caller and released with aia_remote_call_release(), before or after
 * on_done.
 *
 * Threads: callbacks run on the HTTP thread and must not block. Two
 * exceptions: a failure found before anything was sent (bad request, the
 * first submit refused) is returned by aia_remote_stream and no callback
 * runs; for vertex, when the access token is cached and the first submit
 * is refused, on_done runs inside aia_remote_stream on the caller's thread
 * (which then returns AIA_OK). aia_remote_stream, aia_remote_cancel and _release may be
 * called from any thread, the blocking aia_remote_generate and
 * aia_remote_count_tokens from any thread but the HTTP thread.
 */
#ifndef AIA_LLM_REMOTE_H
#define AIA_LLM_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/base/strbuf.h"
#include "lib/llm/auth.h"
#include "lib/llm/http.h"
#include "lib/llm/wire.h"

typedef enum aia_remote_provider {
    AIA_REMOTE_VERTEX,
    AIA_REMOTE_GEMINI_API,
    AIA_REMOTE_OPENAI,
} aia_remote_provider;

/* "vertex", "gemini-api", "openai"; parse returns -1 for unknown names. */
const char *aia_remote_provider_name(aia_remote_provider p);
int aia_remote_provider_parse(const char *name, aia_remote_provider *out);

#define AIA_REMOTE_DEFAULT_REGION "europe-west4"

typedef struct aia_remote_config {
    aia_remote_provider provider;
    const char *base_url;  /* scheme://host[:port], no trailing path; NULL = default (openai: required) */
    const char *project;   /* vertex; NULL = $GOOGLE_CLOUD_PROJECT (required one way or the other) */
    const char *region;    /* vertex; NULL = europe-west4 */
    const char *api_key;   /* gemini-api: required; openai: optional bearer */
    aia_auth *auth;        /* vertex: required */
    int gemini_json_array; /* stream Gemini as a JSON array instead of alt=sse */
    int max_attempts;      /* 0 = 4 */
    int64_t backoff_initial_ms; /* 0 = 250 */
    int64_t backoff_max_ms;     /* 0 = 8000 */
    int64_t timeout_ms;    /* whole call, retries included; 0 = 600000 */
} aia_remote_config;

typedef struct aia_remote aia_remote;
typedef struct aia_remote_call aia_remote_call;

/* Errors: INVALID_ARGUMENT naming the missing setting. */
aia_status aia_remote_new(const aia_remote_config *cfg, aia_http_client *http, aia_remote **out,
                          aia_error *err);
/* No call may still be running. NULL is a no-op. */
void aia_remote_free(aia_remote *r);

typedef struct aia_remote_callbacks {
    /* A new piece of text (valid during the call). May be NULL. */
    void (*on_text)(void *user, const char *text, size_t len);
    /* Exactly once. res (finish, usage, finish message, response id,
     * safety ratings) is meaningful on AIA_OK (partly filled on errors);
     * res and err are valid during the call. */
    void (*on_done)(void *user, aia_status status, const aia_llm_result *res, const aia_error *err);
    void *user;
} aia_remote_callbacks;

/* Starts a streaming generation. Errors (no callback is called then):
 * INVALID_ARGUMENT for a bad request (wire.h's messages) or model name,
 * and whatever aia_http_submit returns. */
aia_status aia_remote_stream(aia_remote *r, const aia_llm_request *req, const aia_remote_callbacks *cb,
                             aia_remote_call **out, aia_error *err);

/* Closes the upstream request at once; on_done gets CANCELLED (unless it
 * already ran). While the call waits for an access token, on_done comes
 * when the token does. */
void aia_remote_cancel(aia_remote_call *c);
void aia_remote_call_release(aia_remote_call *c);

/* Blocking unary generation: the same streamed call, accumulated. text is
 * appended to; res (may be NULL) gets the call's aia_llm_result. */
aia_status aia_remote_generate(aia_remote *r, const aia_llm_request *req, aia_strbuf *text, aia_llm_result *res,
                               aia_error *err);

/* Blocking countTokens (Gemini providers; openai: UNIMPLEMENTED). */
aia_status aia_remote_count_tokens(aia_remote *r, const aia_llm_request *req, int64_t *total_tokens,
                                   aia_error *err);

/* Appends the URL a call would use: method is "streamGenerateContent",
 * "countTokens" ... for the Gemini providers (alt=sse added to streaming
 * unless gemini_json_array), ignored for openai. Errors: INVALID_ARGUMENT
 * for a model name that cannot go into a URL path. */
aia_status aia_remote_url(aia_remote *r, const char *model, const char *method, aia_strbuf *out, aia_error *err);

/* Attempts made by calls of this remote so far (for tests and metrics). */
uint64_t aia_remote_attempts(aia_remote *r);

#endif
