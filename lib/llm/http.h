/* lib/llm/http.h — an event-driven HTTP client for streaming upstreams.
 *
 * One thread runs a libcurl multi handle and serves every request of the
 * client: thousands of concurrent token streams cost one thread and one
 * socket each, not a thread each. Requests are submitted from any thread;
 * a command queue plus an eventfd hands them to the HTTP thread, which waits
 * in epoll on exactly the sockets libcurl needs (curl_multi_socket_action):
 * a chunk arriving on one stream costs the same with 10 or 10,000 open.
 *
 * Callbacks (on_response, on_data, on_done) run ON THE HTTP THREAD. They
 * must not block (no waiting on locks held across network calls, no
 * synchronous HTTP through this same client: that would deadlock), since
 * every other stream waits while they run. They may call aia_http_submit,
 * aia_http_cancel and aia_http_request_release.
 *
 * Lifetimes and ownership:
 *   - aia_http_submit copies method, url, headers and body: the caller may
 *     free them as soon as it returns.
 *   - When submit returns AIA_OK, on_done is called exactly once, later, on
 *     the HTTP thread (never inside submit), after which no callback of that
 *     request runs again. When submit fails, no callback is ever called.
 *   - `user` must stay valid until on_done has returned.
 *   - The handle returned through *out (optional) is reference-counted: the
 *     caller owns one reference and drops it with aia_http_request_release()
 *     (before or after on_done, from any thread, including inside a
 *     callback). aia_http_cancel() is valid on a handle until it is released.
 *   - aia_http_client_free() cancels every request still running or queued
 *     (their on_done gets AIA_CANCELLED), joins the thread and frees the
 *     client. Handles the caller still holds stay valid until released.
 *     It must not be called from a callback.
 *
 * Cancellation takes effect at once: the HTTP thread removes the transfer
 * from the multi handle within milliseconds of aia_http_cancel(), which
 * closes its connection (an unfinished transfer's connection is never put
 * back in the pool), and calls on_done(AIA_CANCELLED).
 *
 * Errors given to on_done: AIA_OK when a whole response arrived (whatever
 * its HTTP status: the caller maps statuses); AIA_CANCELLED;
 * AIA_DEADLINE_EXCEEDED when timeout_ms ran out; AIA_UNAVAILABLE for
 * connection failures (refused, reset, DNS, TLS, a response cut short);
 * the callback's own status when on_response/on_data stopped the transfer;
 * AIA_INTERNAL for anything else libcurl reports (the message has curl's
 * own text).
 *
 * Thread-safety: everything here may be called from any thread.
 */
#ifndef AIA_LLM_HTTP_H
#define AIA_LLM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

typedef struct aia_http_client aia_http_client;
typedef struct aia_http_request aia_http_request;

typedef struct aia_http_options {
    /* Transfers running at once; more submissions wait in FIFO order. 0 = 1024. */
    size_t max_active;
    /* Submissions waiting beyond max_active; over it submit fails with
     * AIA_RESOURCE_EXHAUSTED. 0 = 65536. */
    size_t max_queued;
    /* Connection establishment bound in ms. 0 = 10000. */
    long connect_timeout_ms;
} aia_http_options;

typedef struct aia_http_callbacks {
    /* Once, when the final response's status line and headers are complete.
     * content_type is NULL when absent; valid during the call. Returning
     * non-OK (with err filled) aborts the transfer; on_done gets that error.
     * May be NULL. */
    aia_status (*on_response)(void *user, long http_status, const char *content_type, aia_error *err);
    /* Body bytes as they arrive (any split); valid during the call. Returning
     * non-OK aborts the transfer as above. May be NULL (body discarded). */
    aia_status (*on_data)(void *user, const char *bytes, size_t n, aia_error *err);
    /* Exactly once (see above). http_status is 0 when no response arrived.
     * err is valid during the call. Required. */
    void (*on_done)(void *user, aia_status status, long http_status, const aia_error *err);
    void *user;
} aia_http_callbacks;

typedef struct aia_http_call {
    const char *method;          /* "GET" or "POST" */
    const char *url;
    const char *const *headers;  /* "Name: value" lines */
    size_t n_headers;
    const char *body;            /* POST body (may be NULL when body_len is 0) */
    size_t body_len;
    int64_t timeout_ms;          /* whole-request deadline from the start; 0 = none */
    int64_t delay_ms;            /* start after this delay (retry backoff); 0 = at once */
} aia_http_call;

/* Starts the HTTP thread. Errors: AIA_INTERNAL when libcurl or the thread
 * cannot be set up (message says which). opts may be NULL for defaults. */
aia_status aia_http_client_new(const aia_http_options *opts, aia_http_client **out, aia_error *err);

/* See "Lifetimes" above. NULL is a no-op. */
void aia_http_client_free(aia_http_client *c);

/* Queues a request. Errors: AIA_INVALID_ARGUMENT (missing method/url/
 * on_done, unsupported method), AIA_RESOURCE_EXHAUSTED (queue full or out of
 * memory), AIA_FAILED_PRECONDITION (client shutting down). */
aia_status aia_http_submit(aia_http_client *c, const aia_http_call *call, const aia_http_callbacks *cb,
                           aia_http_request **out, aia_error *err);

/* Stops the request at once (see above). No-op once on_done has run. */
void aia_http_cancel(aia_http_request *r);

/* Drops the caller's reference. NULL is a no-op. */
void aia_http_request_release(aia_http_request *r);

/* Number of transfers currently attached to the multi handle (for tests
 * and metrics). */
size_t aia_http_active(aia_http_client *c);

#endif
