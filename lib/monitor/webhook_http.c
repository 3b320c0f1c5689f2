/* lib/monitor/webhook_http.c — the libcurl side of webhook delivery: URL
 * validation, handle setup, one POST and its classification into delivered /
 * retry / permanent / aborted.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/monitor/webhook.h"
#include "lib/monitor/webhook_internal.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

void webhook_http_global_init(void) { pthread_once(&curl_once, curl_init_once); }

/* ---- URL validation ------------------------------------------------------------------- */

static const char *scheme_end(const char *url)
{
    if (strncasecmp(url, "http://", 7) == 0) return url + 7;
    if (strncasecmp(url, "https://", 8) == 0) return url + 8;
    return NULL;
}

static int has_bad_char(const char *url)
{
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f) return 1;
    return 0;
}

/* libcurl's own parser decides what a host is, so that what we accept here
 * is exactly what a delivery can connect to. */
static aia_status check_host(const char *url, aia_error *err)
{
    webhook_http_global_init();
    CURLU *u = curl_url();
    if (!u) return aia_error_set(err, AIA_INTERNAL, "webhook URL \"%s\": libcurl could not allocate a parser", url);
    CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
    char *host = NULL;
    if (rc == CURLUE_OK) rc = curl_url_get(u, CURLUPART_HOST, &host, 0);
    aia_status st = AIA_OK;
    if (rc != CURLUE_OK)
        st = aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook URL \"%s\": %s", url, curl_url_strerror(rc));
    else if (!host || !*host)
        st = aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook URL \"%s\": no host", url);
    curl_free(host);
    curl_url_cleanup(u);
    return st;
}

aia_status aia_webhook_check_url(const char *url, aia_error *err)
{
    if (!url) return aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook URL: missing (NULL)");
    if (!*url) return aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook URL \"\": empty");
    size_t n = strnlen(url, AIA_WEBHOOK_MAX_URL + 1);
    if (n > AIA_WEBHOOK_MAX_URL)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook URL \"%.64s...\": longer than %d bytes", url,
                             AIA_WEBHOOK_MAX_URL);
    if (has_bad_char(url))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "webhook URL \"%s\": contains a space or control character (percent-encode it)", url);
    const char *rest = scheme_end(url);
    if (!rest)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook URL \"%s\": scheme must be http:// or https://",
                             url);
    if (!*rest || *rest == '/' || *rest == '?' || *rest == '#')
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook URL \"%s\": no host after the scheme", url);
    return check_host(url, err);
}

/* ---- one POST ------------------------------------------------------------------------- */

/* The answer's body is of no interest; without this libcurl prints it to stdout. */
static size_t discard(char *data, size_t size, size_t nmemb, void *arg) { return size * nmemb; }

/* Called by libcurl at least once a second, even while a server sends
 * nothing: a non-zero return aborts the transfer, which is how stop()
 * interrupts a hanging request. */
static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    return atomic_load((atomic_int *)arg) != 0;
}

void webhook_http_setup(CURL *c, struct curl_slist *headers, const char *user_agent, long timeout_ms,
                        atomic_int *stopping)
{
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, user_agent);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, stopping);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
}

static long retry_after_ms(CURL *c, long status)
{
    if (status != 429 && status != 503) return 0;
    curl_off_t s = 0;
    if (curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &s) != CURLE_OK || s <= 0) return 0;
    return s >= AIA_WEBHOOK_MAX_BACKOFF_MS / 1000 ? AIA_WEBHOOK_MAX_BACKOFF_MS : (long)s * 1000;
}

static webhook_verdict classify_status(long status)
{
    if (status >= 200 && status <= 299) return WEBHOOK_DELIVERED;
    if (status == 408 || status == 429 || (status >= 500 && status <= 599)) return WEBHOOK_RETRY;
    return WEBHOOK_PERMANENT;
}

/* Errors no retry can fix; everything else (refused, reset, DNS, TLS
 * handshake, timeout) may be transient. */
static webhook_verdict classify_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_OUT_OF_MEMORY:
        return WEBHOOK_PERMANENT;
    default:
        return WEBHOOK_RETRY;
    }
}

void webhook_http_attempt(CURL *c, const char *url, const char *body, size_t len, webhook_attempt *out)
{
    memset(out, 0, sizeof *out);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, out->error);
    CURLcode rc = curl_easy_perform(c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
        out->verdict = WEBHOOK_ABORTED;
        return;
    }
    if (rc != CURLE_OK) {
        if (!out->error[0]) snprintf(out->error, sizeof out->error, "%s", curl_easy_strerror(rc));
        out->verdict = classify_curl(rc);
        return;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    out->verdict = classify_status(out->status);
    out->retry_after_ms = retry_after_ms(c, out->status);
}
