/* lib/jobs/jobs_watch.c — per-job event streams ("hubs") and watches.
 *
 * A hub exists while anyone cares about a job in this process: a worker
 * running it, a cancel in progress, or a watcher. It holds the job's event
 * sequence and its watchers. Everyone who changes the job in the store
 * does it under the hub's lock and emits the event before unlocking; a new
 * watcher reads its snapshot and subscribes under the same lock. So the
 * snapshot is exactly the state before the watcher's first event: nothing
 * is lost between them and nothing is delivered twice (a change the store
 * made without a hub, the claim of a queued job, is announced by its worker
 * under the lock right after; a watcher whose snapshot already shows that
 * state skips the repeated STATE event, see last_state).
 *
 * Callbacks run under the hub's lock, which is what lets unwatch promise
 * that a callback is not running once it returns: it takes the same lock.
 */
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/jobs/jobs_internal.h"

jobs_hub *jobs_hub_acquire(aia_jobs *j, const char *job_id) {
    pthread_mutex_lock(&j->hubs_mu);
    jobs_hub *h = j->hubs;
    while (h != NULL && strcmp(h->job_id, job_id) != 0) h = h->next;
    if (h == NULL) {
        h = calloc(1, sizeof *h);
        if (h != NULL && (h->job_id = strdup(job_id)) == NULL) {
            free(h);
            h = NULL;
        }
        if (h != NULL) {
            pthread_mutex_init(&h->mu, NULL);
            h->next = j->hubs;
            j->hubs = h;
        }
    }
    if (h != NULL) h->refs++;
    pthread_mutex_unlock(&j->hubs_mu);
    return h;
}

static void hub_free(jobs_hub *h) {
    while (h->watchers != NULL) {
        aia_job_watch *w = h->watchers;
        h->watchers = w->next;
        free(w);
    }
    pthread_mutex_destroy(&h->mu);
    free(h->job_id);
    free(h);
}

void jobs_hub_release(aia_jobs *j, jobs_hub *h) {
    pthread_mutex_lock(&j->hubs_mu);
    int last = --h->refs == 0;
    if (last) {
        jobs_hub **p = &j->hubs;
        while (*p != h) p = &(*p)->next;
        *p = h->next;
    }
    pthread_mutex_unlock(&j->hubs_mu);
    if (last) hub_free(h);
}

void jobs_hubs_free(aia_jobs *j) {
    pthread_mutex_lock(&j->hubs_mu);
    while (j->hubs != NULL) {
        jobs_hub *h = j->hubs;
        j->hubs = h->next;
        hub_free(h);
    }
    pthread_mutex_unlock(&j->hubs_mu);
}

/* Numbers the event and hands it to every watcher. After a terminal STATE
 * event the stream is over: later events (a worker winding down after a
 * cancel) are dropped. */
static void emit(jobs_hub *h, aia_job_event *ev) {
    if (h->finished) return;
    ev->sequence = ++h->sequence;
    int state = ev->job->state;
    if (ev->kind == AIA_JOB_EVENT_STATE && jobs_state_terminal(state)) h->finished = 1;
    if (h->watchers == NULL) return; /* the common case for ITERATION */
    ev->time_ns = aia_time_now_ns();
    for (aia_job_watch *w = h->watchers; w != NULL; w = w->next) {
        if (ev->kind == AIA_JOB_EVENT_STATE) {
            if (w->last_state == state) continue;
            w->last_state = state;
        }
        w->fn(w->arg, ev);
    }
}

void jobs_emit_state(jobs_hub *h, const aia_job_record *job, int previous_state) {
    aia_job_event ev = {.kind = AIA_JOB_EVENT_STATE, .job = job, .previous_state = previous_state};
    emit(h, &ev);
}

void jobs_emit_progress(jobs_hub *h, const aia_job_record *job) {
    aia_job_event ev = {.kind = AIA_JOB_EVENT_PROGRESS, .job = job, .previous_state = job->state};
    emit(h, &ev);
}

void jobs_emit_iteration(jobs_hub *h, const aia_job_record *job, int trial, int iteration,
                         const char *const *names, const double *values, size_t n) {
    aia_job_event ev = {.kind = AIA_JOB_EVENT_ITERATION,
                        .job = job,
                        .previous_state = job->state,
                        .trial = trial,
                        .iteration = iteration,
                        .metric_names = names,
                        .metric_values = values,
                        .n_metrics = n};
    emit(h, &ev);
}

void jobs_emit_trial(jobs_hub *h, const aia_job_record *job, const aia_trial_record *trial) {
    aia_job_event ev = {.kind = AIA_JOB_EVENT_TRIAL,
                        .job = job,
                        .previous_state = job->state,
                        .trial = trial->number,
                        .trial_record = trial};
    emit(h, &ev);
}

/* The snapshot: the running worker's record when there is one (it is
 * fresher than the store, whose progress writes are throttled), else the
 * stored job. Once the hub has emitted a terminal state (a cancel, while
 * the worker is still winding down), the stored job is the truth: the live
 * record would still say RUNNING, and no event would ever follow to end the
 * watcher's stream. Called with h->mu held. */
static aia_status snapshot_locked(aia_jobs *j, jobs_hub *h, aia_job_record **out, aia_error *err) {
    if (h->live == NULL || h->finished) return aia_store_job_get(j->store, h->job_id, out, err);
    if ((*out = jobs_record_dup(h->live)) == NULL)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "watching job %s: out of memory", h->job_id);
    return AIA_OK;
}

aia_status aia_jobs_watch(aia_jobs *j, const char *job_id, aia_job_event_fn fn, void *arg, aia_job_watch **out,
                          aia_job_record **snapshot, aia_error *err) {
    if (j == NULL || out == NULL || snapshot == NULL || fn == NULL)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "watch: jobs, callback, out and snapshot are required");
    if (job_id == NULL || job_id[0] == '\0') return aia_error_set(err, AIA_INVALID_ARGUMENT, "job_id: empty");
    *out = NULL;
    *snapshot = NULL;
    aia_job_watch *w = calloc(1, sizeof *w);
    jobs_hub *h = w ? jobs_hub_acquire(j, job_id) : NULL;
    if (h == NULL) {
        free(w);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "watching job %s: out of memory", job_id);
    }
    pthread_mutex_lock(&h->mu);
    aia_job_record *snap = NULL;
    aia_status st = snapshot_locked(j, h, &snap, err);
    if (st == AIA_OK) {
        w->hub = h;
        w->fn = fn;
        w->arg = arg;
        w->last_state = snap->state;
        w->next = h->watchers;
        h->watchers = w;
    }
    pthread_mutex_unlock(&h->mu);
    if (st != AIA_OK) {
        jobs_hub_release(j, h);
        free(w);
        return st;
    }
    *out = w;
    *snapshot = snap;
    return AIA_OK;
}

void aia_jobs_unwatch(aia_jobs *j, aia_job_watch *w) {
    if (j == NULL || w == NULL) return;
    jobs_hub *h = w->hub;
    pthread_mutex_lock(&h->mu);
    aia_job_watch **p = &h->watchers;
    while (*p != NULL && *p != w) p = &(*p)->next;
    if (*p == w) *p = w->next;
    pthread_mutex_unlock(&h->mu);
    free(w);
    jobs_hub_release(j, h);
}
