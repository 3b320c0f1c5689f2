/* server/services/system_watch.c — SystemService.WatchSystemPerformance:
 * the GetSystemPerformance sample at once, then one per interval.
 *
 * Each watch has a detached sampler thread. It builds every sample in an
 * arena of its own (aia_rpc_send copies the message, so the arena is reset
 * after each send), queues it with AIA_SEND_NOWAIT so that a client too slow
 * to read misses samples instead of pinning a thread or memory, and sleeps
 * on a condition variable until the next tick. Ticks are on CLOCK_MONOTONIC,
 * so a wall-clock jump neither floods nor stalls a stream. The thread is the
 * only code that calls aia_rpc_finish() for its stream, exactly once.
 *
 * Why watchers live in a fixed table of static slots: the runtime decides to
 * run a stop callback under the call's lock but runs it after dropping that
 * lock (call.c, on_close and aia_call_notify_draining), so a callback can
 * start after the sampler thread's aia_rpc_finish() has returned; and when
 * the thread finishes first and no cancel comes, the callback never runs.
 * Neither side can therefore free a per-watch struct that the other might
 * still touch. The callback's argument is instead a slot, which never goes
 * away, and it acts only if the slot still belongs to its rpc. Comparing
 * rpc pointers is sound because the runtime holds a reference on the call
 * while a stop callback runs: the rpc struct cannot be recycled into a new
 * call (which might claim the same slot) until the callback has returned.
 * The table's size is also the cap on concurrent watchers, so a storm of
 * watches cannot start unbounded threads.
 *
 * The table is per process (aia-server hosts one server). Lock order:
 * g_watch.mu is a leaf; it is never held while calling into the runtime,
 * because aia_rpc_on_stop() may run the callback, which takes it, at once.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aia/v1/system.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "lib/base/timeutil.h"
#include "server/services/system_perf.h"

#define MAX_WATCHERS 64
#define NS_PER_MS 1000000LL
#define NS_PER_S 1000000000LL
#define DEFAULT_INTERVAL_NS NS_PER_S
#define MIN_INTERVAL_NS (100 * NS_PER_MS)
#define MAX_INTERVAL_S 3600
#define MAX_SAMPLES 1000000

typedef struct watch_slot {
    /* Under g_watch.mu. */
    aia_rpc *rpc;         /* the stream owning the slot; NULL when free */
    aia_stop_reason stop; /* 0 until the stream's stop callback ran */
    pthread_cond_t wake;  /* on CLOCK_MONOTONIC; signalled by the stop callback */
    /* Written by the handler before the sampler thread starts, then only
     * read by that thread. */
    aia_server *server;
    int64_t interval_ns;
    int32_t max_samples; /* 0: until stopped */
} watch_slot;

static struct {
    pthread_once_t once;
    pthread_mutex_t mu;
    watch_slot slots[MAX_WATCHERS];
} g_watch = {.once = PTHREAD_ONCE_INIT, .mu = PTHREAD_MUTEX_INITIALIZER};

/* ---- request validation ---------------------------------------------------- */

static void trim_zeros(char *digits)
{
    size_t n = strlen(digits);
    while (n > 0 && digits[n - 1] == '0') digits[--n] = '\0';
}

/* A valid Duration as people write it: "10ms", "99.5ms", "-1s", "3601s". */
static void format_duration(int64_t seconds, int32_t nanos, char *out, size_t size)
{
    const char *sign = seconds < 0 || nanos < 0 ? "-" : "";
    /* 0 - (uint64_t)x: the magnitude even of INT64_MIN, without overflow. */
    uint64_t s = seconds < 0 ? 0 - (uint64_t)seconds : (uint64_t)seconds;
    uint32_t ns = nanos < 0 ? (uint32_t)-nanos : (uint32_t)nanos;
    char frac[16];
    if (s == 0) {
        snprintf(frac, sizeof frac, "%06" PRIu32, ns % (uint32_t)NS_PER_MS);
        trim_zeros(frac);
        snprintf(out, size, "%s%" PRIu32 "%s%sms", sign, ns / (uint32_t)NS_PER_MS, frac[0] ? "." : "", frac);
        return;
    }
    snprintf(frac, sizeof frac, "%09" PRIu32, ns);
    trim_zeros(frac);
    snprintf(out, size, "%s%" PRIu64 "%s%ss", sign, s, frac[0] ? "." : "", frac);
}

/* Unset means the default; anything else must be a well-formed Duration
 * within [100ms, 1h]. */
static aia_status check_interval(const Google__Protobuf__Duration *d, int64_t *interval_ns, aia_error *err)
{
    if (!d) {
        *interval_ns = DEFAULT_INTERVAL_NS;
        return AIA_OK;
    }
    if (d->nanos <= -NS_PER_S || d->nanos >= NS_PER_S || (d->seconds > 0 && d->nanos < 0) ||
        (d->seconds < 0 && d->nanos > 0))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "interval: not a valid Duration (seconds %" PRId64 ", nanos %" PRId32
                             "): nanos must be within +-999999999 and have the sign of seconds",
                             d->seconds, d->nanos);
    char got[48];
    format_duration(d->seconds, d->nanos, got, sizeof got);
    if (d->seconds < 0 || d->nanos < 0 || (d->seconds == 0 && d->nanos < MIN_INTERVAL_NS))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "interval: must be at least 100ms, got %s", got);
    if (d->seconds > MAX_INTERVAL_S || (d->seconds == MAX_INTERVAL_S && d->nanos > 0))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "interval: must be at most 1h, got %s", got);
    *interval_ns = d->seconds * NS_PER_S + d->nanos;
    return AIA_OK;
}

static aia_status check_request(const Aia__V1__WatchSystemPerformanceRequest *req, int64_t *interval_ns,
                                aia_error *err)
{
    if (check_interval(req->interval, interval_ns, err) != AIA_OK) return err->code;
    if (req->max_samples < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "max_samples: must not be negative (0 streams until cancelled), got %" PRId32,
                             req->max_samples);
    if (req->max_samples > MAX_SAMPLES)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "max_samples: must be at most %d, got %" PRId32,
                             MAX_SAMPLES, req->max_samples);
    return AIA_OK;
}

/* ---- the slot table ------------------------------------------------------- */

static void init_slots(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    for (size_t i = 0; i < MAX_WATCHERS; i++) pthread_cond_init(&g_watch.slots[i].wake, &attr);
    pthread_condattr_destroy(&attr);
}

/* Returns a free slot now owned by `rpc`, or NULL when all are taken. */
static watch_slot *claim_slot(aia_rpc *rpc, int64_t interval_ns, int32_t max_samples)
{
    pthread_once(&g_watch.once, init_slots);
    watch_slot *slot = NULL;
    pthread_mutex_lock(&g_watch.mu);
    for (size_t i = 0; i < MAX_WATCHERS && !slot; i++)
        if (!g_watch.slots[i].rpc) slot = &g_watch.slots[i];
    if (slot) {
        slot->rpc = rpc;
        slot->stop = 0;
        slot->server = aia_rpc_server(rpc);
        slot->interval_ns = interval_ns;
        slot->max_samples = max_samples;
    }
    pthread_mutex_unlock(&g_watch.mu);
    return slot;
}

/* After this, a late stop callback for the old owner finds the slot free
 * (or owned by another rpc) and leaves it alone. */
static void release_slot(watch_slot *slot)
{
    pthread_mutex_lock(&g_watch.mu);
    slot->rpc = NULL;
    slot->stop = 0;
    pthread_mutex_unlock(&g_watch.mu);
}

static void on_stop(aia_rpc *rpc, void *arg, aia_stop_reason reason)
{
    watch_slot *slot = arg;
    pthread_mutex_lock(&g_watch.mu);
    if (slot->rpc == rpc && !slot->stop) {
        slot->stop = reason;
        pthread_cond_signal(&slot->wake);
    }
    pthread_mutex_unlock(&g_watch.mu);
}

/* ---- the sampler thread ---------------------------------------------------- */

/* Sleeps until `deadline_ns` (CLOCK_MONOTONIC) or the stop callback, and
 * returns the stop reason, 0 if none. */
static aia_stop_reason wait_until(watch_slot *slot, int64_t deadline_ns)
{
    struct timespec until = {.tv_sec = deadline_ns / NS_PER_S, .tv_nsec = deadline_ns % NS_PER_S};
    pthread_mutex_lock(&g_watch.mu);
    int rc = 0;
    while (!slot->stop && rc == 0 && aia_time_mono_ns() < deadline_ns)
        rc = pthread_cond_timedwait(&slot->wake, &g_watch.mu, &until);
    aia_stop_reason why = slot->stop;
    pthread_mutex_unlock(&g_watch.mu);
    return why;
}

/* The tick after `prev`. After a long stall (a stopped process, an
 * overloaded machine) the schedule restarts from now instead of sending
 * the missed samples in a burst. */
static int64_t next_tick(int64_t prev, int64_t interval_ns)
{
    int64_t next = prev + interval_ns, now = aia_time_mono_ns();
    return next < now ? now : next;
}

/* Builds and queues one sample; *queued says whether the client's queue had
 * room for it. Any status other than AIA_OK ends the stream (err says why). */
static aia_status send_sample(watch_slot *slot, aia_rpc *rpc, aia_arena *a, int *queued, aia_error *err)
{
    Aia__V1__GetSystemPerformanceResponse sample;
    *queued = 0;
    aia_status st = aia_system_performance_sample(slot->server, a, &sample, err);
    if (st != AIA_OK) {
        aia_arena_reset(a);
        aia_error_prefix(err, "cannot build a performance sample");
        return st;
    }
    st = aia_rpc_send(rpc, &sample.base, AIA_SEND_NOWAIT);
    aia_arena_reset(a);
    switch (st) {
    case AIA_OK: *queued = 1; return AIA_OK;
    case AIA_RESOURCE_EXHAUSTED: return AIA_OK; /* the client's queue is full: it misses this sample */
    case AIA_CANCELLED: return aia_error_set(err, st, "watch cancelled");
    default: return aia_error_set(err, st, "cannot serialise a performance sample");
    }
}

static aia_status stopped(aia_stop_reason why, aia_error *err)
{
    if (why == AIA_STOP_DRAINING) return aia_error_set(err, AIA_UNAVAILABLE, "server is shutting down");
    return aia_error_set(err, AIA_CANCELLED, "watch cancelled");
}

/* Samples until max_samples were queued or the stream is stopped; returns
 * the stream's final status. The first wait returns at once (its deadline
 * is now), so the first sample goes out without delay. */
static aia_status run_watch(watch_slot *slot, aia_rpc *rpc, aia_arena *a, aia_error *err)
{
    int64_t tick = aia_time_mono_ns();
    int32_t sent = 0;
    for (;;) {
        aia_stop_reason why = wait_until(slot, tick);
        if (why) return stopped(why, err);
        int queued;
        aia_status st = send_sample(slot, rpc, a, &queued, err);
        if (st != AIA_OK) return st;
        sent += queued;
        if (slot->max_samples > 0 && sent >= slot->max_samples) return AIA_OK;
        tick = next_tick(tick, slot->interval_ns);
    }
}

static void *sampler_main(void *arg)
{
    watch_slot *slot = arg;
    aia_rpc *rpc = slot->rpc; /* set before this thread started; only this thread clears it */
    /* Named from inside: a detached thread's handle may be stale by the time
     * pthread_create() returns. */
    pthread_setname_np(pthread_self(), "aia-perf-watch");
    aia_arena arena;
    aia_arena_init(&arena, 0);
    aia_error err;
    aia_error_clear(&err);
    aia_status code = run_watch(slot, rpc, &arena, &err);
    aia_arena_destroy(&arena);
    aia_rpc_finish(rpc, code, code == AIA_OK ? NULL : err.message);
    /* rpc is not ours any more; only the slot is left to give back. */
    release_slot(slot);
    return NULL;
}

static int start_sampler(watch_slot *slot)
{
    pthread_attr_t attr;
    pthread_t thread;
    if (pthread_attr_init(&attr) != 0) return -1;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&thread, &attr, sampler_main, slot);
    pthread_attr_destroy(&attr);
    return rc;
}

/* ---- the handler -------------------------------------------------------------- */

void aia_system_watch_performance(aia_rpc *rpc, const ProtobufCMessage *request)
{
    const Aia__V1__WatchSystemPerformanceRequest *req = (const Aia__V1__WatchSystemPerformanceRequest *)request;
    aia_error err;
    int64_t interval_ns = DEFAULT_INTERVAL_NS;
    if (check_request(req, &interval_ns, &err) != AIA_OK) {
        aia_rpc_finish(rpc, err.code, err.message);
        return;
    }
    watch_slot *slot = claim_slot(rpc, interval_ns, req->max_samples);
    if (!slot) {
        aia_error_set(&err, AIA_RESOURCE_EXHAUSTED,
                      "too many WatchSystemPerformance streams: at most %d at once on this server; close one, "
                      "or poll GetSystemPerformance",
                      MAX_WATCHERS);
        aia_rpc_finish(rpc, err.code, err.message);
        return;
    }
    /* Registered before the thread exists: a cancel that already happened
     * is recorded in the slot now, and the thread sees it before sampling. */
    aia_rpc_on_stop(rpc, on_stop, slot);
    if (start_sampler(slot) != 0) {
        release_slot(slot);
        aia_rpc_finish(rpc, AIA_RESOURCE_EXHAUSTED, "cannot start a sampler thread for this watch");
    }
}
