/* lib/monitor/webhook.c — the poster: a bounded FIFO of copied (url, body)
 * items, one sender thread delivering them with retries and backoff, and
 * the counters. The HTTP side is in webhook_http.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base/log.h"
#include "lib/base/rng.h"
#include "lib/base/timeutil.h"
#include "lib/monitor/webhook.h"
#include "lib/monitor/webhook_internal.h"

typedef struct item {
    char *url;
    char *body;
    size_t len;
} item;

struct aia_webhook {
    /* settings, fixed after start */
    int max_attempts, initial_backoff_ms;
    long timeout_ms;
    char *user_agent;
    /* queue and counters, under mu */
    pthread_mutex_t mu;
    pthread_cond_t wake; /* sender: work arrived or stop; also ends a backoff early */
    pthread_cond_t idle; /* flush: queue empty and nothing in flight */
    item *ring;
    size_t cap, head, count;
    int in_flight;
    uint64_t delivered, failed, dropped, attempts;
    /* read without the lock by libcurl's progress callback */
    atomic_int stopping;
    /* sender thread only */
    aia_rng rng;
    pthread_t thread;
};

static void item_free(item *it)
{
    free(it->url);
    free(it->body);
    memset(it, 0, sizeof *it);
}

/* ---- time ------------------------------------------------------------------------------ */

static struct timespec mono_deadline(int64_t after_ms)
{
    int64_t ns = aia_time_mono_ns() + after_ms * 1000000;
    return (struct timespec){.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
}

/* Condition variables on CLOCK_MONOTONIC, so that wall-clock steps neither
 * cut a backoff short nor stretch it. */
static int init_cond(pthread_cond_t *c)
{
    pthread_condattr_t a;
    if (pthread_condattr_init(&a) != 0) return -1;
    int rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    if (rc == 0) rc = pthread_cond_init(c, &a);
    pthread_condattr_destroy(&a);
    return rc == 0 ? 0 : -1;
}

/* ---- backoff --------------------------------------------------------------------------- */

/* Wait before retry number `retry` (1 = first retry): initial * 2^(retry-1),
 * jittered by ±20% so that posters failing together do not retry together,
 * capped at AIA_WEBHOOK_MAX_BACKOFF_MS. */
static long backoff_ms(aia_webhook *w, int retry)
{
    double ms = w->initial_backoff_ms;
    for (int i = 1; i < retry && ms < AIA_WEBHOOK_MAX_BACKOFF_MS; i++) ms *= 2;
    ms *= 0.8 + 0.4 * aia_rng_uniform(&w->rng);
    return ms > AIA_WEBHOOK_MAX_BACKOFF_MS ? AIA_WEBHOOK_MAX_BACKOFF_MS : (long)ms;
}

/* Sleeps ms unless stop() comes first; returns non-zero when stopping. */
static int wait_backoff(aia_webhook *w, long ms)
{
    struct timespec until = mono_deadline(ms);
    pthread_mutex_lock(&w->mu);
    while (!atomic_load(&w->stopping))
        if (pthread_cond_timedwait(&w->wake, &w->mu, &until) == ETIMEDOUT) break;
    int stopping = atomic_load(&w->stopping);
    pthread_mutex_unlock(&w->mu);
    return stopping;
}

/* ---- delivery -------------------------------------------------------------------------- */

static void count_attempt(aia_webhook *w)
{
    pthread_mutex_lock(&w->mu);
    w->attempts++;
    pthread_mutex_unlock(&w->mu);
}

static void log_failure(const item *it, const webhook_attempt *a, int attempts, const char *why)
{
    aia_log_field f[] = {
        AIA_LOG_STR("url", it->url),
        AIA_LOG_INT("status", a->status),
        AIA_LOG_STR("error", a->status ? "" : a->error),
        AIA_LOG_INT("attempts", attempts),
        AIA_LOG_STR("reason", why),
    };
    aia_log_event(AIA_LOG_WARN, "webhook_failed", f, sizeof f / sizeof f[0]);
}

/* Delivers one item; returns its final verdict (never WEBHOOK_RETRY). */
static webhook_verdict deliver(aia_webhook *w, CURL *c, const item *it)
{
    webhook_attempt a;
    for (int n = 1;; n++) {
        webhook_http_attempt(c, it->url, it->body, it->len, &a);
        count_attempt(w);
        if (a.verdict == WEBHOOK_DELIVERED || a.verdict == WEBHOOK_ABORTED) return a.verdict;
        if (a.verdict == WEBHOOK_PERMANENT) {
            log_failure(it, &a, n, "permanent error, not retried");
            return WEBHOOK_PERMANENT;
        }
        if (n >= w->max_attempts) {
            log_failure(it, &a, n, "attempts exhausted");
            return WEBHOOK_PERMANENT;
        }
        long ms = a.retry_after_ms > 0 ? a.retry_after_ms : backoff_ms(w, n);
        if (wait_backoff(w, ms)) return WEBHOOK_ABORTED;
    }
}

/* Takes the next item, or returns 0 when stopping. */
static int next_item(aia_webhook *w, item *out)
{
    pthread_mutex_lock(&w->mu);
    while (!atomic_load(&w->stopping) && w->count == 0) pthread_cond_wait(&w->wake, &w->mu);
    int got = !atomic_load(&w->stopping);
    if (got) {
        *out = w->ring[w->head];
        memset(&w->ring[w->head], 0, sizeof *out);
        w->head = (w->head + 1) % w->cap;
        w->count--;
        w->in_flight = 1;
    }
    pthread_mutex_unlock(&w->mu);
    return got;
}

static void finish_item(aia_webhook *w, webhook_verdict v)
{
    pthread_mutex_lock(&w->mu);
    w->in_flight = 0;
    if (v == WEBHOOK_DELIVERED) w->delivered++;
    else if (v == WEBHOOK_ABORTED) w->dropped++;
    else w->failed++;
    if (w->count == 0) pthread_cond_broadcast(&w->idle);
    pthread_mutex_unlock(&w->mu);
}

static void log_aborted(const item *it)
{
    aia_log_field f[] = {AIA_LOG_STR("url", it->url), AIA_LOG_STR("reason", "stopped during delivery")};
    aia_log_event(AIA_LOG_WARN, "webhook_dropped", f, 2);
}

static void send_loop(aia_webhook *w, CURL *c)
{
    item it;
    while (next_item(w, &it)) {
        webhook_verdict v = deliver(w, c, &it);
        if (v == WEBHOOK_ABORTED) log_aborted(&it);
        item_free(&it);
        finish_item(w, v);
    }
}

static void *sender(void *arg)
{
    aia_webhook *w = arg;
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    /* libcurl sends "Expect: 100-continue" for bodies over 1 KiB and then
     * waits up to a second for a server that may never answer it. */
    struct curl_slist *h2 = h ? curl_slist_append(h, "Expect:") : NULL;
    CURL *c = h2 ? curl_easy_init() : NULL;
    if (!c) {
        aia_logf(AIA_LOG_ERROR, "webhook_dropped", "libcurl failed to start; webhooks will not be delivered");
        curl_slist_free_all(h);
        item it;
        while (next_item(w, &it)) {
            item_free(&it);
            finish_item(w, WEBHOOK_PERMANENT);
        }
        return NULL;
    }
    webhook_http_setup(c, h2, w->user_agent, w->timeout_ms, &w->stopping);
    send_loop(w, c);
    curl_easy_cleanup(c);
    curl_slist_free_all(h2);
    return NULL;
}

/* ---- start / stop ---------------------------------------------------------------------- */

static aia_status check_options(const aia_webhook_options *o, aia_error *err)
{
    if (o->max_attempts < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook max_attempts: %d is negative", o->max_attempts);
    if (o->initial_backoff_ms < 0 || o->initial_backoff_ms > AIA_WEBHOOK_MAX_BACKOFF_MS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook initial_backoff_ms: %d is outside 0..%d",
                             o->initial_backoff_ms, AIA_WEBHOOK_MAX_BACKOFF_MS);
    if (o->timeout_ms < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook timeout_ms: %d is negative", o->timeout_ms);
    if (o->queue_capacity > AIA_WEBHOOK_MAX_QUEUE)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook queue_capacity: %zu is above the limit of %d",
                             o->queue_capacity, AIA_WEBHOOK_MAX_QUEUE);
    return AIA_OK;
}

static void apply_options(aia_webhook *w, const aia_webhook_options *o)
{
    w->max_attempts = o->max_attempts ? o->max_attempts : 5;
    w->initial_backoff_ms = o->initial_backoff_ms ? o->initial_backoff_ms : 500;
    w->timeout_ms = o->timeout_ms ? o->timeout_ms : 5000;
    w->cap = o->queue_capacity ? o->queue_capacity : 1024;
}

static void destroy(aia_webhook *w)
{
    pthread_cond_destroy(&w->idle);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->mu);
    free(w->ring);
    free(w->user_agent);
    free(w);
}

/* Allocates and initialises everything but the thread; NULL on failure. */
static aia_webhook *create(const aia_webhook_options *o)
{
    aia_webhook *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    apply_options(w, o);
    w->ring = calloc(w->cap, sizeof *w->ring);
    w->user_agent = strdup(o->user_agent && *o->user_agent ? o->user_agent : "aia-webhook/1");
    int ok = w->ring && w->user_agent && pthread_mutex_init(&w->mu, NULL) == 0;
    if (ok && init_cond(&w->wake) != 0) {
        pthread_mutex_destroy(&w->mu);
        ok = 0;
    } else if (ok && init_cond(&w->idle) != 0) {
        pthread_cond_destroy(&w->wake);
        pthread_mutex_destroy(&w->mu);
        ok = 0;
    }
    if (!ok) {
        free(w->ring);
        free(w->user_agent);
        free(w);
        return NULL;
    }
    aia_rng_seed(&w->rng, (uint64_t)aia_time_now_ns() ^ (uint64_t)(uintptr_t)w);
    atomic_init(&w->stopping, 0);
    return w;
}

aia_status aia_webhook_start(const aia_webhook_options *opt, aia_webhook **out, aia_error *err)
{
    static const aia_webhook_options defaults = {0};
    const aia_webhook_options *o = opt ? opt : &defaults;
    if (!out) return aia_error_set(err, AIA_INVALID_ARGUMENT, "webhook start: out is NULL");
    *out = NULL;
    aia_status st = check_options(o, err);
    if (st != AIA_OK) return st;
    webhook_http_global_init();
    aia_webhook *w = create(o);
    if (!w) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "webhook start: out of memory");
    if (pthread_create(&w->thread, NULL, sender, w) != 0) {
        destroy(w);
        return aia_error_set(err, AIA_INTERNAL, "webhook start: could not start the sender thread");
    }
    *out = w;
    return AIA_OK;
}

void aia_webhook_stop(aia_webhook *w)
{
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    atomic_store(&w->stopping, 1);
    pthread_cond_broadcast(&w->wake);
    pthread_cond_broadcast(&w->idle);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    size_t left = w->count;
    for (size_t i = 0; i < left; i++) item_free(&w->ring[(w->head + i) % w->cap]);
    w->dropped += left;
    if (left)
        aia_log_event(AIA_LOG_WARN, "webhook_dropped",
                      (aia_log_field[]){AIA_LOG_INT("count", left), AIA_LOG_STR("reason", "stopped with items queued")},
                      2);
    destroy(w);
}

/* ---- post / stats / flush -------------------------------------------------------------- */

static void log_post_drop(uint64_t dropped, const char *url)
{
    /* A full queue under a flood would otherwise log once per alert: log
     * the 1st, 2nd, 4th, 8th... drop, each with the running total. */
    if (dropped & (dropped - 1)) return;
    aia_log_event(AIA_LOG_WARN, "webhook_dropped",
                  (aia_log_field[]){AIA_LOG_STR("url", url), AIA_LOG_INT("dropped_total", dropped),
                                    AIA_LOG_STR("reason", "queue full")},
                  3);
}

static aia_status refuse(aia_webhook *w, const char *url, const char *why)
{
    pthread_mutex_lock(&w->mu);
    w->failed++;
    pthread_mutex_unlock(&w->mu);
    aia_log_event(AIA_LOG_WARN, "webhook_failed",
                  (aia_log_field[]){AIA_LOG_STR("url", url), AIA_LOG_STR("reason", why)}, 2);
    return AIA_INVALID_ARGUMENT;
}

static aia_status enqueue(aia_webhook *w, item *it, const char *url)
{
    pthread_mutex_lock(&w->mu);
    int full = w->count >= w->cap || !it->url || !it->body;
    uint64_t dropped = full ? ++w->dropped : 0;
    if (!full) {
        w->ring[(w->head + w->count) % w->cap] = *it;
        w->count++;
        pthread_cond_signal(&w->wake);
    }
    pthread_mutex_unlock(&w->mu);
    if (!full) return AIA_OK;
    item_free(it);
    log_post_drop(dropped, url);
    return AIA_RESOURCE_EXHAUSTED;
}

aia_status aia_webhook_post(aia_webhook *w, const char *url, const char *json, size_t len)
{
    if (!w) return AIA_INVALID_ARGUMENT;
    aia_error e;
    if (aia_webhook_check_url(url, &e) != AIA_OK) return refuse(w, url, e.message);
    if (!json && len > 0) return refuse(w, url, "body is NULL with a non-zero length");
    item it = {.url = strdup(url), .body = malloc(len + 1), .len = len};
    if (it.body) {
        if (len) memcpy(it.body, json, len);
        it.body[len] = '\0';
    }
    return enqueue(w, &it, url);
}

void aia_webhook_stats(aia_webhook *w, uint64_t *delivered, uint64_t *failed, uint64_t *dropped, uint64_t *pending)
{
    pthread_mutex_lock(&w->mu);
    if (delivered) *delivered = w->delivered;
    if (failed) *failed = w->failed;
    if (dropped) *dropped = w->dropped;
    if (pending) *pending = w->count + (uint64_t)w->in_flight;
    pthread_mutex_unlock(&w->mu);
}

uint64_t aia_webhook_attempts(aia_webhook *w)
{
    pthread_mutex_lock(&w->mu);
    uint64_t n = w->attempts;
    pthread_mutex_unlock(&w->mu);
    return n;
}

int aia_webhook_flush(aia_webhook *w, int timeout_ms)
{
    struct timespec until = mono_deadline(timeout_ms < 0 ? 0 : timeout_ms);
    pthread_mutex_lock(&w->mu);
    int rc = 0;
    while (w->count > 0 || w->in_flight) {
        if (timeout_ms < 0) pthread_cond_wait(&w->idle, &w->mu);
        else if (pthread_cond_timedwait(&w->idle, &w->mu, &until) == ETIMEDOUT) {
            rc = (w->count > 0 || w->in_flight) ? -1 : 0;
            break;
        }
    }
    pthread_mutex_unlock(&w->mu);
    return rc;
}
