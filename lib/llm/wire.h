/* lib/llm/wire.h — the wire formats of the remote LLM providers.
 *
 * Pure formatting and parsing, no network: request bodies for Gemini
 * (Vertex AI and the Gemini API share generateContent's format) and for
 * OpenAI-compatible /v1/chat/completions servers, parsers for their
 * responses and streamed chunks, the incremental splitter for Gemini's
 * streamed JSON array (streamGenerateContent without alt=sse), and the
 * mapping of upstream HTTP errors to aia_status.
 *
 * Conventions:
 *   - Requests are described by aia_llm_request, which borrows everything
 *     (the caller keeps the strings alive during the build call). Builders
 *     append JSON to a caller-owned aia_strbuf and validate as they go:
 *     AIA_INVALID_ARGUMENT names the field ("contents[1].parts[0].text:
 *     not valid UTF-8 at byte 7"); AIA_RESOURCE_EXHAUSTED when the buffer
 *     ran out of memory. On error the buffer holds a partial body.
 *   - Parsers read a whole JSON document (one response, one SSE event's
 *     data, one array element) and fill an aia_llm_chunk whose strings live
 *     in the caller's arena. An upstream that sends something unreadable
 *     gives AIA_INTERNAL with the JSON parser's position ("line 1, column
 *     9: ...") or the path of the unexpected field. An error object sent
 *     inside a stream ({"error": {...}}) is returned as the error it
 *     describes (see aia_llm_error_from_body).
 *   - Everything here is reentrant: no global state; concurrent calls on
 *     distinct buffers and arenas are safe.
 */
#ifndef AIA_LLM_WIRE_H
#define AIA_LLM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "lib/base/strbuf.h"
#include "lib/pbjson/json.h"

/* ---- the request ---------------------------------------------------------- */

typedef enum aia_llm_part_kind {
    AIA_LLM_PART_TEXT,
    AIA_LLM_PART_INLINE_DATA,
} aia_llm_part_kind;

typedef struct aia_llm_part {
    aia_llm_part_kind kind;
    const char *text;      /* TEXT: UTF-8, text_len bytes */
    size_t text_len;
    const char *mime_type; /* INLINE_DATA: e.g. "image/png", NUL-terminated */
    const unsigned char *data; /* INLINE_DATA: the raw bytes; builders base64-encode them */
    size_t data_len;
} aia_llm_part;

typedef struct aia_llm_content {
    const char *role; /* "user" or "model" */
    const aia_llm_part *parts;
    size_t n_parts;
} aia_llm_content;

/* Each value is sent only when its has_ flag is set (else the provider's default). */
typedef struct aia_llm_generation_config {
    /* Doubles, so proto floats fit; a value that is exactly a float is
     * written as the shortest decimal of that float (0.7f → 0.7). */
    int has_temperature;
    double temperature; /* finite, >= 0 */
    int has_top_p;
    double top_p;       /* in [0, 1] */
    int has_top_k;
    int32_t top_k;      /* >= 1 */
    int has_max_output_tokens;
    int32_t max_output_tokens; /* >= 1 */
    int has_seed;
    int64_t seed;       /* Gemini takes a 32-bit seed: out of int32 range is refused there */
    const char *const *stop_sequences; /* NUL-terminated UTF-8, non-empty */
    size_t n_stop_sequences;
} aia_llm_generation_config;

/* Passed through to Gemini as they are, e.g. HARM_CATEGORY_HATE_SPEECH /
 * BLOCK_ONLY_HIGH; OpenAI-compatible servers have no such setting and the
 * builder ignores them. */
typedef struct aia_llm_safety_setting {
    const char *category;
    const char *threshold;
} aia_llm_safety_setting;

/* Vertex AI request labels (billing and filtering); checked by the caller
 * (aia_llm_check_label), sent to Vertex only. */
typedef struct aia_llm_label {
    const char *key;
    const char *value;
} aia_llm_label;

/* 0 when key/value are a valid Vertex label, else -1 with why[cap] saying
 * what is wrong ("key does not start with a letter"): keys 1-63 bytes
 * starting with a lowercase letter, values 0-63 bytes, both of lowercase
 * letters, digits, '_', '-' or international (non-ASCII UTF-8) characters. */
int aia_llm_check_label(const char *key, const char *value, char *why, size_t cap);
#define AIA_LLM_MAX_LABELS 64

typedef struct aia_llm_request {
    const char *model; /* provider's model name, NUL-terminated */
    const aia_llm_content *contents;
    size_t n_contents;
    const char *system_instruction; /* NULL or "" for none; NUL-terminated UTF-8 */
    aia_llm_generation_config config;
    const aia_llm_safety_setting *safety;
    size_t n_safety;
    const aia_llm_label *labels; /* Vertex only: the other builders ignore them */
    size_t n_labels;
} aia_llm_request;

/* ---- responses and chunks ---------------------------------------------------- */

typedef enum aia_llm_finish {
    AIA_LLM_FINISH_NONE = 0, /* this chunk carries no finish reason */
    AIA_LLM_FINISH_STOP,
    AIA_LLM_FINISH_MAX_TOKENS,
    AIA_LLM_FINISH_SAFETY,
    AIA_LLM_FINISH_OTHER,
} aia_llm_finish;

/* "NONE", "STOP", "MAX_TOKENS", "SAFETY", "OTHER". */
const char *aia_llm_finish_name(aia_llm_finish f);

typedef struct aia_llm_usage {
    int64_t prompt_tokens;
    int64_t output_tokens;
    int64_t total_tokens;
} aia_llm_usage;

/* One of Gemini's per-category safety verdicts, names as the provider
 * sends them ("HARM_CATEGORY_HARASSMENT", "NEGLIGIBLE"). */
typedef struct aia_llm_safety_rating {
    const char *category;
    const char *probability; /* NULL when the provider gives none */
    int blocked;
} aia_llm_safety_rating;

/* One response or one streamed chunk. Every pointer is into the parse's
 * arena (or a literal). */
typedef struct aia_llm_chunk {
    const char *text;  /* the text of this chunk ("" when none), in the arena */
    size_t text_len;
    aia_llm_finish finish;
    const char *finish_raw; /* the provider's own reason ("RECITATION"), or NULL */
    /* Gemini's finishMessage, or promptFeedback.blockReasonMessage for a
     * blocked prompt; NULL when none. */
    const char *finish_message;
    const char *response_id; /* Gemini's responseId, OpenAI's id; NULL when none */
    /* candidates[0].safetyRatings (promptFeedback.safetyRatings for a
     * blocked prompt); has_safety says the chunk carried the member. */
    const aia_llm_safety_rating *safety;
    size_t n_safety;
    int has_safety;
    int has_usage;
    /* Gemini reports running totals in every chunk: keep the last one, do
     * not add them up. OpenAI reports usage once, in the final chunk. */
    aia_llm_usage usage;
    int done;          /* OpenAI's "data: [DONE]" terminator */
} aia_llm_chunk;

/* What a finished call reports besides its text. Chunks' memory lasts one
 * chunk; a result copies what it keeps, so it lives as long as its owner.
 * Over-long strings are cut at a UTF-8 boundary. */
#define AIA_LLM_MAX_SAFETY 16
typedef struct aia_llm_result {
    aia_llm_finish finish;
    aia_llm_usage usage; /* zeros when the provider gave none */
    int has_usage;
    /* For OTHER and SAFETY: the provider's message (Gemini's finishMessage
     * or blockReasonMessage), else its own reason ("RECITATION",
     * "content_filter"); "" otherwise. */
    char finish_message[512];
    char response_id[128];
    struct {
        char category[48];
        char probability[32]; /* "" when the provider gave none */
        int blocked;
    } safety[AIA_LLM_MAX_SAFETY];
    size_t n_safety;
} aia_llm_result;

/* Folds one chunk into r (zero r first): a finish reason and its message
 * replace earlier ones; usage is a running total, the last one wins; the
 * response id and safety ratings too (ratings beyond AIA_LLM_MAX_SAFETY are
 * dropped). */
void aia_llm_result_take(aia_llm_result *r, const aia_llm_chunk *ch);

/* ---- Gemini (generateContent, streamGenerateContent, countTokens) ---------- */

typedef enum aia_llm_gemini_flavor {
    AIA_LLM_GEMINI_VERTEX, /* Vertex AI (aiplatform.googleapis.com) */
    AIA_LLM_GEMINI_API,    /* the Gemini API (generativelanguage.googleapis.com) */
} aia_llm_gemini_flavor;

/* The generateContent / streamGenerateContent body: contents, systemInstruction,
 * generationConfig, safetySettings, labels (when any: the Gemini API
 * refuses the member, so its caller passes none). Roles must be "user" or "model"; every
 * content needs at least one part; inline data needs a mime type. */
aia_status aia_llm_gemini_build_request(const aia_llm_request *req, aia_strbuf *out, aia_error *err);

/* The countTokens body. Vertex takes contents and systemInstruction at the
 * top level; the Gemini API takes contents alone, or a whole
 * generateContentRequest (with "models/<model>") when there is a system
 * instruction, since it has no top-level field for one. */
aia_status aia_llm_gemini_build_count_tokens(aia_llm_gemini_flavor flavor, const aia_llm_request *req,
                                             aia_strbuf *out, aia_error *err);

/* Parses one GenerateContentResponse (the whole generateContent body, one
 * alt=sse event's data, or one element of the streamed array): the text of
 * the first candidate's non-thought parts, its finishReason (STOP →
 * STOP, MAX_TOKENS → MAX_TOKENS, SAFETY, BLOCKLIST, PROHIBITED_CONTENT,
 * SPII, IMAGE_SAFETY → SAFETY, anything else (RECITATION, LANGUAGE, ...) →
 * OTHER; a prompt blocked by promptFeedback.blockReason finishes with
 * SAFETY, or OTHER for non-safety reasons), its finishMessage and
 * safetyRatings (the prompt feedback's for a blocked prompt), responseId,
 * and usageMetadata (promptTokenCount, candidatesTokenCount,
 * totalTokenCount; absent counts are 0). */
aia_status aia_llm_gemini_parse_response(const char *json, size_t len, aia_arena *arena, aia_llm_chunk *out,
                                         aia_error *err);

/* Parses a countTokens response: {"totalTokens": N}. */
aia_status aia_llm_gemini_parse_count_tokens(const char *json, size_t len, int64_t *total_tokens,
                                             aia_error *err);

/* ---- Gemini's streamed JSON array --------------------------------------------
 *
 * Without alt=sse, streamGenerateContent answers one JSON array whose
 * elements are GenerateContentResponse objects, arriving in arbitrary
 * pieces. The splitter finds element boundaries (tracking strings, escapes
 * and nesting) and hands each complete element's bytes to the callback,
 * which typically calls aia_llm_gemini_parse_response. Elements must be
 * objects. Memory: one element at a time, bounded by max_element_bytes.
 * Ownership and threads as for the SSE parser: the callback's bytes are
 * valid during the call only; one splitter per stream, one thread. */

typedef aia_status (*aia_llm_array_element_fn)(void *user, const char *json, size_t len, aia_error *err);

typedef struct aia_llm_json_array_stream {
    aia_llm_array_element_fn on_element;
    void *user;
    size_t max_element_bytes;
    aia_strbuf element;
    int state;          /* where we are in the array's grammar (see the .c) */
    int depth;          /* nesting inside the current element */
    int in_string, escaped;
    size_t n_elements;
    unsigned long long offset; /* bytes consumed, for error messages */
    aia_status failed;
    aia_error failure;
} aia_llm_json_array_stream;

#define AIA_LLM_DEFAULT_MAX_ELEMENT (1u << 20)

/* max_element_bytes 0 means AIA_LLM_DEFAULT_MAX_ELEMENT. */
void aia_llm_json_array_init(aia_llm_json_array_stream *s, size_t max_element_bytes,
                             aia_llm_array_element_fn on_element, void *user);
/* Errors (sticky): AIA_INTERNAL for bytes that cannot belong to a JSON
 * array of objects (the message gives the stream offset and why),
 * AIA_RESOURCE_EXHAUSTED for an element over the bound, or the callback's
 * status. */
aia_status aia_llm_json_array_feed(aia_llm_json_array_stream *s, const char *bytes, size_t n, aia_error *err);
/* Non-zero once the closing ']' arrived; a stream that ends before is truncated. */
int aia_llm_json_array_complete(const aia_llm_json_array_stream *s);
void aia_llm_json_array_free(aia_llm_json_array_stream *s);

/* ---- OpenAI-compatible chat completions -------------------------------------- */

/* The /v1/chat/completions body: model, messages (the system instruction
 * first as a "system" message, "user" → user, "model" → assistant, a
 * content's text parts concatenated), temperature, top_p, top_k (an
 * extension llama.cpp, vLLM and Ollama accept), max_tokens, stop, seed; with
 * `stream`, also "stream": true and "stream_options": {"include_usage":
 * true}. Inline data is refused (AIA_INVALID_ARGUMENT): this format carries
 * text only. */
aia_status aia_llm_openai_build_request(const aia_llm_request *req, int stream, aia_strbuf *out,
                                        aia_error *err);

/* Parses one streamed chunk (one SSE event's data): "[DONE]" sets done;
 * otherwise id (response_id), choices[0].delta.content, choices[0].finish_reason (stop →
 * STOP, length → MAX_TOKENS, content_filter → SAFETY, others → OTHER) and
 * a non-null usage (prompt_tokens, completion_tokens, total_tokens).
 * Empty choices (the usage-only final chunk) are fine. */
aia_status aia_llm_openai_parse_chunk(const char *data, size_t len, aia_arena *arena, aia_llm_chunk *out,
                                      aia_error *err);

/* Parses a non-streaming response: choices[0].message.content, finish_reason, usage. */
aia_status aia_llm_openai_parse_response(const char *json, size_t len, aia_arena *arena, aia_llm_chunk *out,
                                         aia_error *err);

/* ---- upstream errors ---------------------------------------------------------- */

/* HTTP status → aia_status: 400 INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403
 * PERMISSION_DENIED, 404 NOT_FOUND, 429 RESOURCE_EXHAUSTED, 5xx
 * UNAVAILABLE, anything else UNKNOWN. */
aia_status aia_llm_status_from_http(long http_status);

/* Whether a request that failed with this HTTP status may be retried (429 and 5xx). */
int aia_llm_http_retryable(long http_status);

/* Fills err from a failed upstream answer and returns its status (see
 * aia_llm_status_from_http). The message is "upstream HTTP <status>[
 * <STATUS_NAME>]: <upstream message>", the upstream message taken from a
 * Google body {"error": {"code", "message", "status"}} or an OpenAI body
 * {"error": {"message", "type"}} (a bare {"error": "text"} too); for any
 * other body, its first bytes (non-printable bytes shown as '?'). `body`
 * may be NULL. *retryable (may be NULL) is set from the HTTP status. */
aia_status aia_llm_error_from_http(long http_status, const char *body, size_t len, aia_error *err,
                                   int *retryable);

/* For an {"error": ...} object found in a stream that started with HTTP
 * 200: its status comes from error.code when it is an HTTP status (as
 * Google sends it), else from error.status when that names a gRPC code,
 * else UNKNOWN; the message is "upstream error[ <code>][ <STATUS>]:
 * <message>". Returns AIA_OK and leaves err alone when `obj` is not an
 * object with an "error" member. */
aia_status aia_llm_error_from_json(const aia_json_value *obj, aia_error *err);

#endif
