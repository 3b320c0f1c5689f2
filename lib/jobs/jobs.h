/* lib/jobs/jobs.h — training jobs: a persistent queue in lib/store, a
 * bounded pool of worker threads running lib/train, cancellation, crash
 * recovery, and live events for watchers.
 *
 * Life of a job: submit → QUEUED (stored) → a worker claims it (RUNNING,
 * lease) → lib/train → the model file goes to the artifact store and the
 * version is published with the job SUCCEEDED in one transaction; or
 * FAILED with lib/train's reason; or CANCELLED. While running, a lease
 * thread renews the leases of every running job (at a third of lease_ms),
 * and the worker stores the data split at once, progress and HPO progress
 * at most every 250 ms, each trial as it starts and ends, and emits events.
 * Downloads go to <data_dir>/scratch/<job_id>, removed when the job ends.
 *
 * Recovery: at start, jobs left RUNNING by a crash are requeued (attempt <
 * max_attempts) or failed with "interrupted: ..."; a crash mid-publish
 * leaves no version (the transaction) and an unreferenced artifact at
 * worst. With shared_queue, a job whose lease expired is recovered the same
 * way while running. A job whose lease is lost (or that is cancelled by
 * another process) is stopped and left as the store says.
 *
 * Graceful stop (aia_jobs_stop) stops running work and puts those jobs
 * back to QUEUED, giving the attempt back: attempts count runs cut short
 * by crashes, and a clean shutdown is not one. A job whose training had
 * already finished when stop came is still published.
 *
 * Ownership: aia_jobs borrows the store (which must outlive it) and copies
 * the other options. Records returned through `**out` and `**snapshot`
 * belong to the caller (aia_store_record_free()). Event contents are
 * borrowed for the duration of the callback only.
 *
 * Thread-safety: every function is thread-safe, except that aia_jobs_stop
 * must be the last call on a handle (no call may run concurrently with it
 * or follow it). Event callbacks run on worker threads (or the caller's
 * thread for a cancel) under the job's event lock, so they must be quick
 * and must not call back into lib/jobs (aia_jobs_unwatch from inside a
 * callback deadlocks): copy what they need, queue it, return.
 */
#ifndef AIA_JOBS_JOBS_H
#define AIA_JOBS_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/store/store.h"
#include "lib/train/train.h"

typedef struct aia_jobs aia_jobs;

typedef struct aia_jobs_options {
    aia_store *store;           /* borrowed; outlives the jobs */
    const char *data_dir;       /* artifacts and scratch space live here */
    int workers;                /* jobs running at once; >= 1 */
    int threads_per_job;        /* engine threads per job; >= 1 */
    int max_attempts;           /* runs a job gets: a job interrupted by a
                                   crash during attempt n is requeued when
                                   n < max_attempts, else FAILED
                                   "interrupted: ..."; 0 = 2 */
    int64_t lease_ms;           /* 0 = 30000 */
    const char *engine_version; /* recorded in lineage; may be NULL */
    /* 0 (embedded, the default): this process is the queue's only worker,
     * so at start every RUNNING job is from a dead process and is
     * recovered. Non-zero: other processes share the store's queue, and
     * only jobs whose lease expired are recovered (at start and then every
     * lease period). */
    int shared_queue;
} aia_jobs_options;

/* Checks the options (INVALID_ARGUMENT naming the field), recovers
 * interrupted jobs, then starts the lease thread and the workers. Workers
 * sleep when the queue is empty, woken by a submit in this process, and
 * look again every 2 s for jobs other processes enqueued. */
aia_status aia_jobs_start(const aia_jobs_options *opt, aia_jobs **out, aia_error *err);

/* Stops workers: running jobs are stopped (lib/train returns within about
 * a second) and requeued; returns once every thread has exited, then frees
 * everything, including watches still registered: they get no more events
 * and their handles are invalid (unwatch them before stopping if the
 * caller needs to know when their callbacks are done). NULL is fine. */
void aia_jobs_stop(aia_jobs *j);

/* Checks the spec (aia_train_check: its error, e.g. INVALID_ARGUMENT
 * naming the field, is returned as is), stores the job QUEUED and wakes a
 * worker. A repeated idempotency_key returns the existing job. *out (may
 * be NULL): the stored job (caller frees, aia_store_record_free). */
aia_status aia_jobs_submit(aia_jobs *j, const aia_job_spec *spec, const char *created_by, aia_job_record **out,
                           aia_error *err);

/* Cancels a QUEUED or RUNNING job: the store says CANCELLED (error
 * "cancelled by request") when this returns, the STATE event has been
 * emitted, and a running one stops within about a second without
 * publishing anything. FAILED_PRECONDITION (naming the state) when already
 * finished; NOT_FOUND names the id. *out (may be NULL): the job as stored
 * (caller frees). */
aia_status aia_jobs_cancel(aia_jobs *j, const char *job_id, aia_job_record **out, aia_error *err);

typedef enum aia_job_event_kind {
    AIA_JOB_EVENT_STATE = 1,     /* state changed; previous_state set */
    AIA_JOB_EVENT_ITERATION = 2, /* trial, iteration, metrics set */
    AIA_JOB_EVENT_TRIAL = 3,     /* trial_record set */
    AIA_JOB_EVENT_PROGRESS = 4,  /* job's progress / data_split changed */
} aia_job_event_kind;

/* Events of one job, in the order its changes were stored. ITERATION
 * events are not stored (there can be thousands); PROGRESS events follow
 * the throttled progress writes; TRIAL events come with each stored trial.
 * After a terminal STATE event a job emits nothing more. */
typedef struct aia_job_event {
    int64_t sequence; /* per job and process, increasing from 1; a watcher
                         may see gaps (events before it subscribed) */
    int64_t time_ns;  /* Unix time */
    aia_job_event_kind kind;
    const aia_job_record *job; /* the job as it is now */
    int previous_state;
    int trial, iteration;
    const char *const *metric_names;
    const double *metric_values;
    size_t n_metrics;
    const aia_trial_record *trial_record;
} aia_job_event;

/* Borrowed pointers valid only during the call. */
typedef void (*aia_job_event_fn)(void *arg, const aia_job_event *ev);

typedef struct aia_job_watch aia_job_watch;

/* Subscribes to a job's events. *snapshot (caller frees) is the job at
 * subscription (the running worker's copy when there is one: fresher than
 * the store's throttled progress); every event after it is delivered, none
 * before, and a STATE event never repeats the state the watcher last saw.
 * A job already terminal gets a snapshot and no events. After the terminal
 * STATE event the watch stays registered (and silent) until unwatched: the
 * watcher ends its stream itself. Events come from this process: its
 * workers and the cancels made through it; a job another process runs
 * (shared_queue) shows its snapshot only, and the caller polls the store.
 * NOT_FOUND names the id. *out is released
 * with aia_jobs_unwatch() (or by aia_jobs_stop). */
aia_status aia_jobs_watch(aia_jobs *j, const char *job_id, aia_job_event_fn fn, void *arg, aia_job_watch **out,
                          aia_job_record **snapshot, aia_error *err);

/* Unsubscribes; when it returns, fn is not running and will not run again. */
void aia_jobs_unwatch(aia_jobs *j, aia_job_watch *w);

#endif
