/* lib/llm/wire_errors.c — upstream HTTP errors and in-stream error objects
 * mapped to aia_status with the upstream's own message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/llm/wire.h"

/* Upstream error bodies are small; anything bigger is not worth parsing. */
#define ERROR_BODY_PARSE_MAX (256u * 1024u)
#define ERROR_SNIPPET_MAX 200

aia_status aia_llm_status_from_http(long http_status)
{
    switch (http_status) {
    case 400: return AIA_INVALID_ARGUMENT;
    case 401: return AIA_UNAUTHENTICATED;
    case 403: return AIA_PERMISSION_DENIED;
    case 404: return AIA_NOT_FOUND;
    case 429: return AIA_RESOURCE_EXHAUSTED;
    default: return (http_status >= 500 && http_status <= 599) ? AIA_UNAVAILABLE : AIA_UNKNOWN;
    }
}

int aia_llm_http_retryable(long http_status)
{
    return http_status == 429 || (http_status >= 500 && http_status <= 599);
}

static const char *json_str(const aia_json_value *obj, const char *key)
{
    const aia_json_value *v = obj ? aia_json_object_get(obj, key) : NULL;
    return (v && v->type == AIA_JSON_STRING) ? v->u.str : NULL;
}

/* The message and status name of {"error": {...}} or {"error": "text"}. */
static int error_fields(const aia_json_value *root, const char **message, const char **status,
                        const aia_json_value **code)
{
    *message = *status = NULL;
    *code = NULL;
    if (!root || root->type != AIA_JSON_OBJECT) return 0;
    const aia_json_value *e = aia_json_object_get(root, "error");
    if (!e) return 0;
    if (e->type == AIA_JSON_STRING) {
        *message = e->u.str;
        return 1;
    }
    if (e->type != AIA_JSON_OBJECT) return 0;
    *message = json_str(e, "message");
    *status = json_str(e, "status");
    if (!*status) *status = json_str(e, "type"); /* OpenAI: "invalid_request_error" */
    const aia_json_value *c = aia_json_object_get(e, "code");
    if (c && c->type == AIA_JSON_NUMBER) *code = c;
    return 1;
}

/* Copies the first bytes of a body that is not a known error shape, with
 * control and non-ASCII bytes masked so the message stays one clean line. */
static void snippet(const char *body, size_t len, char *out, size_t size)
{
    size_t n = len < ERROR_SNIPPET_MAX ? len : ERROR_SNIPPET_MAX;
    if (n >= size) n = size - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)body[i];
        out[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
    }
    out[n] = '\0';
}

aia_status aia_llm_error_from_http(long http_status, const char *body, size_t len, aia_error *err,
                                   int *retryable)
{
    aia_status code = aia_llm_status_from_http(http_status);
    if (retryable) *retryable = aia_llm_http_retryable(http_status);
    const char *message = NULL, *status = NULL;
    const aia_json_value *num = NULL;
    aia_arena arena;
    aia_arena_init(&arena, 0);
    if (body && len > 0 && len <= ERROR_BODY_PARSE_MAX) {
        aia_json_value *root = NULL;
        if (aia_json_parse(body, len, 0, &arena, &root, NULL) == AIA_OK)
            error_fields(root, &message, &status, &num);
    }
    char snip[ERROR_SNIPPET_MAX + 1];
    if (!message) {
        snippet(body ? body : "", body ? len : 0, snip, sizeof snip);
        message = snip[0] ? snip : "(empty body)";
    }
    aia_error_set(err, code, "upstream HTTP %ld%s%s: %s%s", http_status, status ? " " : "", status ? status : "",
                  message, (body && len > ERROR_SNIPPET_MAX && message == snip) ? "..." : "");
    aia_arena_destroy(&arena);
    return code;
}

aia_status aia_llm_error_from_json(const aia_json_value *obj, aia_error *err)
{
    const char *message = NULL, *status = NULL;
    const aia_json_value *num = NULL;
    if (!error_fields(obj, &message, &status, &num)) return AIA_OK;
    aia_status code = AIA_UNKNOWN;
    long http = num ? strtol(num->u.str, NULL, 10) : 0;
    if (http >= 400 && http <= 599) {
        code = aia_llm_status_from_http(http);
    } else if (status) {
        int ok = 0;
        aia_status named = aia_status_from_name(status, &ok);
        if (ok && named != AIA_OK) code = named;
    }
    char codebuf[32] = "";
    if (num) snprintf(codebuf, sizeof codebuf, " %.20s", num->u.str);
    return aia_error_set(err, code, "upstream error%s%s%s: %s", codebuf, status ? " " : "", status ? status : "",
                         message ? message : "(no message)");
}
