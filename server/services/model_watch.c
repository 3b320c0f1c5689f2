/* server/services/model_watch.c — WatchTrainingJob: a snapshot of the job,
 * then its events (state changes, iterations, trials, progress) as lib/jobs
 * emits them; the stream ends with OK after the terminal state.
 *
 * Each stream holds a slot of a fixed table, for the reason
 * system_watch.c gives at length: the runtime may run a stop callback after
 * the stream finished, or never, so nothing the callback can reach may be
 * freed per stream. The slot is also the cap on concurrent watchers.
 *
 * Ordering. lib/jobs delivers events after the snapshot and none before,
 * but its callback may run (on a worker thread) before this handler has
 * sent the snapshot; until then, state and trial events are kept packed in
 * the slot and flushed right after it, and iteration/progress events, which
 * the next ones supersede, are skipped. Sends are AIA_SEND_NOWAIT because
 * the callback runs under lib/jobs' lock: a client too slow to read loses
 * events rather than stalling training (GetTrainingJob has the full state).
 *
 * Ending. Exactly one of three places calls aia_rpc_finish, under the
 * slot's lock: the event callback after the terminal state, the handler
 * (error, or an already terminal job), or the stop callback (client cancel,
 * server draining). The slot goes back to the table through the reaper (a
 * one-thread pool), which unsubscribes from lib/jobs first; unsubscribing
 * cannot happen inside the event callback (lib/jobs' lock is held there).
 *
 * Lock order: lib/jobs' watch lock → slot.mu; g_table.mu is a leaf. No slot
 * lock is held while calling aia_rpc_on_stop() or aia_jobs_unwatch().
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/log.h"
#include "lib/base/pool.h"
#include "lib/base/timeutil.h"
#include "server/services/model_internal.h"
#include "server/services/pb_time.h"

#define MAX_JOB_WATCHERS 256

typedef struct pending_event {
    struct pending_event *next;
    size_t len;
    uint8_t bytes[]; /* a packed aia.v1.TrainingJobEvent */
} pending_event;

typedef struct watch_slot {
    pthread_mutex_t mu;
    /* Under g_table.mu. */
    int in_use;
    /* Under mu. */
    aia_rpc *rpc;  /* the owning stream until it finished; then NULL */
    int ready;     /* the snapshot went out; events are sent directly */
    aia_job_watch *watch;
    aia_jobs *jobs;
    pending_event *head, *tail;
    aia_arena arena; /* events are built here; reset after each send */
} watch_slot;

static struct {
    pthread_mutex_t mu;
    watch_slot slots[MAX_JOB_WATCHERS];
    _Atomic(aia_pool *) reaper; /* set by init, cleared by shutdown, read by any thread */
} g_table = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int is_terminal(int state)
{
    return state == AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED || state == AIA_STORE__V1__JOB_STATE__JOB_FAILED ||
           state == AIA_STORE__V1__JOB_STATE__JOB_CANCELLED;
}

/* ---- building events ---------------------------------------------------- */

static Aia__V1__TrainingIteration *iteration_of(aia_arena *a, const aia_job_event *ev)
{
    Aia__V1__TrainingIteration *it = aia_arena_alloc(a, sizeof *it);
    Aia__V1__TrainingIteration__MetricsEntry **m = aia_arena_calloc(a, ev->n_metrics + 1, sizeof *m);
    if (!it || !m) return NULL;
    aia__v1__training_iteration__init(it);
    it->trial = ev->trial;
    it->iteration = ev->iteration;
    for (size_t i = 0; i < ev->n_metrics; i++) {
        m[i] = aia_arena_alloc(a, sizeof *m[i]);
        if (!m[i]) return NULL;
        aia__v1__training_iteration__metrics_entry__init(m[i]);
        m[i]->key = (char *)ev->metric_names[i];
        m[i]->value = ev->metric_values[i];
    }
    it->metrics = m;
    it->n_metrics = ev->n_metrics;
    return it;
}

static int add_detail(aia_arena *a, const aia_job_event *ev, Aia__V1__TrainingJobEvent *out, aia_error *err)
{
    if (ev->kind == AIA_JOB_EVENT_STATE) {
        Aia__V1__JobStateChange *c = aia_arena_alloc(a, sizeof *c);
        if (!c) return -1;
        aia__v1__job_state_change__init(c);
        c->previous_state = (Aia__V1__JobState)ev->previous_state;
        c->state = (Aia__V1__JobState)ev->job->state;
        out->detail_case = AIA__V1__TRAINING_JOB_EVENT__DETAIL_STATE_CHANGE;
        out->state_change = c;
    } else if (ev->kind == AIA_JOB_EVENT_ITERATION) {
        out->iteration = iteration_of(a, ev);
        if (!out->iteration) return -1;
        out->detail_case = AIA__V1__TRAINING_JOB_EVENT__DETAIL_ITERATION;
    } else if (ev->kind == AIA_JOB_EVENT_TRIAL && ev->trial_record) {
        out->trial = aia_model_trial_out(a, ev->trial_record, err);
        if (!out->trial) return -1;
        out->detail_case = AIA__V1__TRAINING_JOB_EVENT__DETAIL_TRIAL;
    }
    return 0;
}

/* ev NULL: the snapshot event for `job` (sequence 0, no detail). */
static Aia__V1__TrainingJobEvent *event_of(aia_arena *a, const aia_job_event *ev, const aia_job_record *job)
{
    aia_error err;
    Aia__V1__TrainingJobEvent *out = aia_arena_alloc(a, sizeof *out);
    if (!out) return NULL;
    aia__v1__training_job_event__init(out);
    out->sequence = ev ? ev->sequence : 0;
    out->event_time = aia_pb_timestamp(a, ev ? ev->time_ns : aia_time_now_ns());
    out->job = aia_model_job_out(a, ev ? ev->job : job, &err);
    if (!out->event_time || !out->job) return NULL;
    if (ev && add_detail(a, ev, out, &err) != 0) return NULL;
    return out;
}

/* ---- sending and finishing (slot.mu held) --------------------------------- */

/* AIA_OK when the event was queued; an event that could not be built or
 * queued (a reader too slow, out of memory) is lost. */
static aia_status send_locked(watch_slot *s, const Aia__V1__TrainingJobEvent *ev)
{
    aia_status st = ev ? aia_rpc_send(s->rpc, &ev->base, AIA_SEND_NOWAIT) : AIA_RESOURCE_EXHAUSTED;
    aia_arena_reset(&s->arena);
    return st;
}

static void finish_locked(watch_slot *s, aia_status code, const char *message)
{
    aia_rpc *rpc = s->rpc;
    s->rpc = NULL;
    aia_rpc_finish(rpc, code, message);
}

static void keep_pending(watch_slot *s, const Aia__V1__TrainingJobEvent *ev)
{
    size_t n = protobuf_c_message_get_packed_size(&ev->base);
    pending_event *p = malloc(sizeof *p + n);
    if (!p) return; /* out of memory: the event is lost, as a slow reader's would be */
    p->next = NULL;
    p->len = protobuf_c_message_pack(&ev->base, p->bytes);
    if (s->tail) s->tail->next = p;
    else s->head = p;
    s->tail = p;
}

static void drop_pending(watch_slot *s)
{
    for (pending_event *p = s->head, *next; p; p = next) {
        next = p->next;
        free(p);
    }
    s->head = s->tail = NULL;
}

/* Sends the kept events in order; non-zero when one was the terminal state. */
static int flush_pending(watch_slot *s)
{
    int terminal = 0;
    for (pending_event *p = s->head; p; p = p->next) {
        Aia__V1__TrainingJobEvent *ev = aia__v1__training_job_event__unpack(NULL, p->len, p->bytes);
        if (!ev) continue;
        aia_rpc_send(s->rpc, &ev->base, AIA_SEND_NOWAIT);
        terminal |= ev->detail_case == AIA__V1__TRAINING_JOB_EVENT__DETAIL_STATE_CHANGE &&
                    is_terminal((int)ev->state_change->state);
        aia__v1__training_job_event__free_unpacked(ev, NULL);
    }
    drop_pending(s);
    return terminal;
}

/* ---- the slot table ------------------------------------------------------- */

static watch_slot *claim_slot(aia_rpc *rpc, aia_jobs *jobs)
{
    watch_slot *found = NULL;
    pthread_mutex_lock(&g_table.mu);
    for (size_t i = 0; i < MAX_JOB_WATCHERS && !found; i++)
        if (!g_table.slots[i].in_use) found = &g_table.slots[i];
    if (found) found->in_use = 1;
    pthread_mutex_unlock(&g_table.mu);
    if (!found) return NULL;
    pthread_mutex_lock(&found->mu);
    found->rpc = rpc;
    found->ready = 0;
    found->watch = NULL;
    found->jobs = jobs;
    pthread_mutex_unlock(&found->mu);
    return found;
}

static void release_slot(watch_slot *s)
{
    pthread_mutex_lock(&s->mu);
    drop_pending(s);
    aia_arena_reset(&s->arena);
    pthread_mutex_unlock(&s->mu);
    pthread_mutex_lock(&g_table.mu);
    s->in_use = 0;
    pthread_mutex_unlock(&g_table.mu);
}

static void reap(void *arg)
{
    watch_slot *s = arg;
    if (s->watch) aia_jobs_unwatch(s->jobs, s->watch);
    s->watch = NULL;
    release_slot(s);
}

/* The slot's stream has finished and it is subscribed: hand it to the
 * reaper. Reaping here instead (the reaper gone at shutdown, or out of
 * memory) is allowed everywhere but inside lib/jobs' event callback, where
 * unsubscribing would deadlock; there the slot is left claimed, and said
 * so, rather than risk it. */
static void schedule_reap(watch_slot *s, int inline_ok)
{
    aia_pool *p = atomic_load(&g_table.reaper);
    if (p && aia_pool_submit(p, reap, s) == AIA_OK) return;
    if (inline_ok) {
        reap(s);
        return;
    }
    aia_logf(AIA_LOG_WARN, "job_watch", "could not hand a finished watch to its reaper; its slot stays taken");
}

/* ---- callbacks ------------------------------------------------------------ */

static void on_event(void *arg, const aia_job_event *ev)
{
    watch_slot *s = arg;
    pthread_mutex_lock(&s->mu);
    if (!s->rpc) goto out;
    if (!s->ready) {
        if (ev->kind == AIA_JOB_EVENT_STATE || ev->kind == AIA_JOB_EVENT_TRIAL) {
            Aia__V1__TrainingJobEvent *m = event_of(&s->arena, ev, NULL);
            if (m) keep_pending(s, m);
            aia_arena_reset(&s->arena);
        }
        goto out;
    }
    aia_status sent = send_locked(s, event_of(&s->arena, ev, NULL));
    if (ev->kind == AIA_JOB_EVENT_STATE && is_terminal(ev->job->state)) {
        /* A reader too slow for the last event still learns the outcome,
         * from the status message. */
        finish_locked(s, AIA_OK, sent == AIA_OK ? NULL : "the job ended; its last events were dropped (a slow reader)");
        pthread_mutex_unlock(&s->mu);
        schedule_reap(s, 0);
        return;
    }
out:
    pthread_mutex_unlock(&s->mu);
}

static void on_stop(aia_rpc *rpc, void *arg, aia_stop_reason reason)
{
    watch_slot *s = arg;
    pthread_mutex_lock(&s->mu);
    if (s->rpc != rpc) {
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (reason == AIA_STOP_DRAINING)
        finish_locked(s, AIA_UNAVAILABLE, "the server is shutting down; watch the job again after it restarts");
    else
        finish_locked(s, AIA_CANCELLED, "the watch was cancelled");
    int subscribed = s->ready; /* else the handler reaps once aia_jobs_watch returned */
    pthread_mutex_unlock(&s->mu);
    if (subscribed) schedule_reap(s, 1);
}

/* ---- the handler ---------------------------------------------------------- */

/* After aia_jobs_watch succeeded: the snapshot, what came meanwhile, and
 * the end if the job is already over. */
static void start_locked(watch_slot *s, const aia_job_record *snapshot, int *done)
{
    send_locked(s, event_of(&s->arena, NULL, snapshot));
    int terminal = flush_pending(s) || is_terminal(snapshot->state);
    s->ready = 1;
    if (terminal) finish_locked(s, AIA_OK, NULL);
    *done = terminal;
}

void aia_model_rpc_watch_job(aia_rpc *rpc, const ProtobufCMessage *req)
{
    aia_error err;
    const Aia__V1__WatchTrainingJobRequest *r = (const Aia__V1__WatchTrainingJobRequest *)req;
    const aia_model_engine *e = aia_model_engine_ready(&err);
    if (!e) {
        aia_rpc_finish(rpc, err.code, err.message);
        return;
    }
    if (!r->job_id[0]) {
        aia_rpc_finish(rpc, AIA_INVALID_ARGUMENT, "job_id: required");
        return;
    }
    watch_slot *s = claim_slot(rpc, e->jobs);
    if (!s) {
        aia_rpc_finish(rpc, AIA_RESOURCE_EXHAUSTED, "too many job watches at once (256); retry later");
        return;
    }
    aia_rpc_on_stop(rpc, on_stop, s);
    aia_job_watch *w = NULL;
    aia_job_record *snapshot = NULL;
    aia_status st = aia_jobs_watch(e->jobs, r->job_id, on_event, s, &w, &snapshot, &err);
    pthread_mutex_lock(&s->mu);
    s->watch = w;
    int done = 1;
    if (st != AIA_OK) {
        if (s->rpc) finish_locked(s, st, err.message);
    } else if (s->rpc) {
        start_locked(s, snapshot, &done);
    }
    pthread_mutex_unlock(&s->mu);
    aia_store_record_free(snapshot);
    if (done) schedule_reap(s, 1);
}

aia_status aia_model_watch_init(aia_error *err)
{
    for (size_t i = 0; i < MAX_JOB_WATCHERS; i++) {
        pthread_mutex_init(&g_table.slots[i].mu, NULL);
        aia_arena_init(&g_table.slots[i].arena, 4096);
    }
    aia_pool *p = NULL;
    if (aia_pool_create(1, &p, err) != AIA_OK) return err->code;
    atomic_store(&g_table.reaper, p);
    return AIA_OK;
}

void aia_model_watch_shutdown(void)
{
    aia_pool *p = atomic_exchange(&g_table.reaper, NULL);
    if (p) aia_pool_destroy(p); /* runs the reaps still queued */
    for (size_t i = 0; i < MAX_JOB_WATCHERS; i++) aia_arena_destroy(&g_table.slots[i].arena);
}
