/* lib/monitor/webhook.h — asynchronous webhook poster for drift alerts.
 *
 * An aia_webhook owns one sender thread and a bounded FIFO queue. Callers
 * hand it (url, JSON body) pairs with aia_webhook_post(), which copies them
 * and returns at once; the sender POSTs each one through libcurl with
 * `Content-Type: application/json`, one delivery at a time, in order.
 *
 * Outcome of one delivery (one queued item):
 *   - delivered: an attempt got a 2xx answer;
 *   - retried:   408, 429, 5xx, connection errors and per-attempt timeouts
 *                are retried up to max_attempts with exponential backoff
 *                (initial_backoff_ms, doubling each retry, capped at 30 s,
 *                with ±20% jitter so many monitors do not retry in step).
 *                On 429 and 503 a Retry-After header (seconds, or an HTTP
 *                date as libcurl reads it) replaces the backoff, capped at
 *                30 s;
 *   - failed:    any other status (other 4xx, 3xx — redirects are not
 *                followed, since re-POSTing to another place is not ours to
 *                decide — 1xx) is permanent and not retried; so is running
 *                out of attempts. Each failure is logged (lib/base/log.h,
 *                event "webhook_failed") naming the URL, the last status or
 *                libcurl error and the attempts made;
 *   - dropped:   the queue was full at post time, or the poster was stopped
 *                while the item waited or was being delivered (logged).
 *
 * Threads: aia_webhook_post, aia_webhook_stats, aia_webhook_attempts and
 * aia_webhook_flush may be called from any thread, concurrently.
 * aia_webhook_stop must be called once, by one thread, after every other
 * call on that poster has returned; the poster is freed by it.
 */
#ifndef AIA_MONITOR_WEBHOOK_H
#define AIA_MONITOR_WEBHOOK_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

/* Upper bound on every wait between attempts, Retry-After included. */
#define AIA_WEBHOOK_MAX_BACKOFF_MS 30000
/* Largest accepted queue_capacity and URL length. */
#define AIA_WEBHOOK_MAX_QUEUE 1048576
#define AIA_WEBHOOK_MAX_URL 2048

typedef struct aia_webhook_options {
    int max_attempts;       /* attempts per delivery, first one included; 0 = 5 */
    int initial_backoff_ms; /* wait before the first retry; 0 = 500 */
    int timeout_ms;         /* whole-attempt limit (connect + send + answer); 0 = 5000 */
    size_t queue_capacity;  /* items waiting, not counting the one in flight; 0 = 1024 */
    const char *user_agent; /* NULL or "" = "aia-webhook/1"; copied */
} aia_webhook_options;

typedef struct aia_webhook aia_webhook;

/* Validates one webhook URL: non-empty, at most AIA_WEBHOOK_MAX_URL bytes,
 * no spaces or control characters, scheme http:// or https://
 * (case-insensitive), and a host that libcurl's URL parser accepts.
 * Returns AIA_OK, or AIA_INVALID_ARGUMENT with a message naming the URL and
 * why. For refusing bad URLs when a monitor is set up. Thread-safe. */
aia_status aia_webhook_check_url(const char *url, aia_error *err);

/* Starts a poster with `opt` (NULL = all defaults; negative or oversized
 * values are INVALID_ARGUMENT naming the field). On success *out owns the
 * poster until aia_webhook_stop(). INTERNAL when the thread or libcurl
 * cannot start. */
aia_status aia_webhook_start(const aia_webhook_options *opt, aia_webhook **out, aia_error *err);

/* Copies url and json[0..len) and queues a delivery; never blocks on the
 * network. Returns AIA_OK when queued; AIA_INVALID_ARGUMENT when url fails
 * aia_webhook_check_url or json is NULL with len > 0 (counted as failed and
 * logged); AIA_RESOURCE_EXHAUSTED when the queue is full or memory is short
 * (counted as dropped and logged). */
aia_status aia_webhook_post(aia_webhook *w, const char *url, const char *json, size_t len);

/* Counters since start; any pointer may be NULL. pending = items queued
 * plus the one in flight (retries and backoff included). */
void aia_webhook_stats(aia_webhook *w, uint64_t *delivered, uint64_t *failed, uint64_t *dropped, uint64_t *pending);

/* HTTP attempts made since start (every try of every delivery), for
 * tests and metrics. */
uint64_t aia_webhook_attempts(aia_webhook *w);

/* Waits until nothing is queued or in flight. Returns 0 then, or -1 after
 * timeout_ms (< 0 = wait forever). For tests and orderly shutdown: stop()
 * alone drops what is left. */
int aia_webhook_flush(aia_webhook *w, int timeout_ms);

/* Stops the sender within about a second, even while it waits out a
 * backoff (a condition variable wakes it at once) or a request hangs
 * (libcurl's transfer-progress callback sees the stop flag; libcurl calls
 * it at least once a second). Items still queued and the one in flight are
 * dropped (counted, one log line), the thread is joined and everything is
 * freed. NULL is fine. */
void aia_webhook_stop(aia_webhook *w);

#endif
