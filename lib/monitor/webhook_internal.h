/* lib/monitor/webhook_internal.h — one HTTP attempt, shared between the
 * sender loop (webhook.c) and the libcurl side (webhook_http.c). Private to
 * lib/monitor. */
#ifndef AIA_MONITOR_WEBHOOK_INTERNAL_H
#define AIA_MONITOR_WEBHOOK_INTERNAL_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stddef.h>

typedef enum webhook_verdict {
    WEBHOOK_DELIVERED,
    WEBHOOK_RETRY,     /* 408, 429, 5xx, connection error, timeout */
    WEBHOOK_PERMANENT, /* any other status; not retried */
    WEBHOOK_ABORTED,   /* the poster is stopping */
} webhook_verdict;

typedef struct webhook_attempt {
    webhook_verdict verdict;
    long status;              /* HTTP status, 0 when none came back */
    long retry_after_ms;      /* from Retry-After on 429/503, capped; 0 = none */
    char error[CURL_ERROR_SIZE]; /* libcurl's reason when status == 0 */
} webhook_attempt;

/* Makes `c` ready for POSTs (protocols, no redirects, body discarded, the
 * stop flag polled by the progress callback). `headers` must outlive c's use. */
void webhook_http_setup(CURL *c, struct curl_slist *headers, const char *user_agent, long timeout_ms,
                        atomic_int *stopping);

/* One POST of body[0..len) to url on a handle prepared by webhook_http_setup. */
void webhook_http_attempt(CURL *c, const char *url, const char *body, size_t len, webhook_attempt *out);

/* curl_global_init, once per process. */
void webhook_http_global_init(void);

#endif
