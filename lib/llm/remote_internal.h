/* lib/llm/remote_internal.h — shared between remote.c and remote_call.c. */
#ifndef AIA_LLM_REMOTE_INTERNAL_H
#define AIA_LLM_REMOTE_INTERNAL_H

#include <stdatomic.h>

#include "lib/llm/remote.h"

struct aia_remote {
    aia_remote_provider provider;
    char *base;     /* without trailing '/' */
    char *project, *region, *api_key;
    aia_auth *auth;
    aia_http_client *http;
    int json_array;
    int max_attempts;
    int64_t backoff_initial_ms, backoff_max_ms, timeout_ms;
    atomic_uint_least64_t attempts;
    atomic_uint_least64_t jitter; /* state of a small shared generator */
};

typedef enum { CALL_STREAM, CALL_COUNT } call_mode;

/* Starts a call: POST body to url (copied), streaming or counting. */
aia_status aia_remote_call_start(aia_remote *r, call_mode mode, const char *url, aia_strbuf *body,
                                 const aia_remote_callbacks *cb, void (*on_count)(void *, int64_t),
                                 aia_remote_call **out, aia_error *err);

#endif
