/* lib/jobs/jobs.h — training jobs: a persistent queue in lib/store, a
 * bounded pool of worker threads running lib/train, cancellation, crash
 * recovery, and live events for watchers.
 *
 * Life of a job: submit → QUEUED (stored) → a worker claims it (RUNNING,
 * lease) → lib/train → the model file goes to the artifact store and the
 * version is published with the job SUCCEEDED in one transaction; or
 * FAILED with lib/train's reason; or CANCELLED. While running, the worker
 * renews its lease, stores progress, HPO trials and metrics, and emits
 * events. At start, jobs left RUNNING by a crash are requeued (attempt <
 * max_attempts) or failed with "interrupted"; a crash mid-publish leaves
 * no version (the transaction) and an unreferenced artifact at worst.
 * Graceful stop cancels running work and puts those jobs back to QUEUED.
 *
 * Thread-safety: every function is thread-safe. Event callbacks run on
 * worker threads (or the caller's thread for a cancel) under the watch
 * list's lock, so they must be quick and must not call back into
 * lib/jobs: copy what they need, queue it, return.
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
    int max_attempts;           /* requeues after a crash; 0 = 2 */
    int64_t lease_ms;           /* 0 = 30000 */
    const char *engine_version; /* recorded in lineage; may be NULL */
} aia_jobs_options;

/* Recovers interrupted jobs, then starts the workers. */
aia_status aia_jobs_start(const aia_jobs_options *opt, aia_jobs **out, aia_error *err);

/* Stops workers: running jobs are stopped and requeued; returns once every
 * worker has exited. Watches still registered get no more events. */
void aia_jobs_stop(aia_jobs *j);

/* Checks the spec (aia_train_check), stores the job QUEUED and wakes a
 * worker. *out: the stored job (caller frees, aia_store_record_free). */
aia_status aia_jobs_submit(aia_jobs *j, const aia_job_spec *spec, const char *created_by, aia_job_record **out,
                           aia_error *err);

/* Cancels a QUEUED or RUNNING job; a running one stops within a second.
 * FAILED_PRECONDITION (naming the state) when already finished. */
aia_status aia_jobs_cancel(aia_jobs *j, const char *job_id, aia_job_record **out, aia_error *err);

typedef enum aia_job_event_kind {
    AIA_JOB_EVENT_STATE = 1,     /* state changed; previous_state set */
    AIA_JOB_EVENT_ITERATION = 2, /* trial, iteration, metrics set */
    AIA_JOB_EVENT_TRIAL = 3,     /* trial_record set */
    AIA_JOB_EVENT_PROGRESS = 4,  /* job's progress / data_split changed */
} aia_job_event_kind;

typedef struct aia_job_event {
    int64_t sequence; /* per job, increasing from 1 */
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
 * subscription; every event after it is delivered, none before. A job
 * already terminal gets a snapshot and no events. NOT_FOUND names the id. */
aia_status aia_jobs_watch(aia_jobs *j, const char *job_id, aia_job_event_fn fn, void *arg, aia_job_watch **out,
                          aia_job_record **snapshot, aia_error *err);

/* Unsubscribes; when it returns, fn is not running and will not run again. */
void aia_jobs_unwatch(aia_jobs *j, aia_job_watch *w);

#endif
