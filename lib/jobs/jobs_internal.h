/* lib/jobs/jobs_internal.h — what the files of lib/jobs share.
 *
 * Locks, and the order they may be taken in:
 *   j->mu       the worker pool: stopping flag, wake generation, the list of
 *               running jobs (their stop flags are atomics and can be read
 *               without it). Never held while calling the store or a
 *               callback, and never held while taking a hub's lock.
 *   j->hubs_mu  the table of hubs; held only to find, create or drop one.
 *   hub->mu     one job's event stream. Held across "write the job to the
 *               store, then tell the watchers", and across "read the job,
 *               then subscribe", which is what makes a watch's snapshot and
 *               its events seamless: both sides see the store in the same
 *               order as the events. Callbacks run under it.
 * A thread holds at most one of them at a time, except hub->mu → the store's
 * own lock (inside store calls).
 */
#ifndef AIA_JOBS_JOBS_INTERNAL_H
#define AIA_JOBS_JOBS_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "lib/jobs/jobs.h"

/* Why a running job was asked to stop; decides what the worker writes when
 * lib/train returns AIA_CANCELLED. Set once (compare-and-swap from NONE). */
enum {
    JOBS_STOP_NONE = 0,
    JOBS_STOP_CANCEL = 1,   /* aia_jobs_cancel: the store already says CANCELLED */
    JOBS_STOP_SHUTDOWN = 2, /* aia_jobs_stop: put the job back to QUEUED */
    JOBS_STOP_LOST = 3,     /* the job is no longer ours (lease lost, finished
                               elsewhere): write nothing */
};

/* The store's enum constants, under short names. */
#define JOBS_QUEUED AIA_STORE__V1__JOB_STATE__JOB_QUEUED
#define JOBS_RUNNING AIA_STORE__V1__JOB_STATE__JOB_RUNNING
#define JOBS_SUCCEEDED AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED
#define JOBS_FAILED AIA_STORE__V1__JOB_STATE__JOB_FAILED
#define JOBS_CANCELLED AIA_STORE__V1__JOB_STATE__JOB_CANCELLED

typedef struct jobs_hub jobs_hub;

/* A worker thread; `name` owns the leases of the jobs it claims. */
typedef struct jobs_worker {
    aia_jobs *j;
    pthread_t thread;
    char name[128];
} jobs_worker;

/* A job a worker of this process is running. Lives on the worker's stack,
 * linked into j->running under j->mu. */
typedef struct jobs_running {
    struct jobs_running *next;
    char job_id[96];
    char worker[128];
    atomic_int stop; /* JOBS_STOP_* */
} jobs_running;

struct aia_jobs {
    aia_store *store;
    char *data_dir;
    char *engine_version;
    int workers;
    int threads_per_job;
    int max_attempts;
    int shared_queue;
    int64_t lease_ms;
    int64_t poll_ms;
    char worker_prefix[96];

    pthread_mutex_t mu;
    pthread_cond_t wake;      /* workers: a job was submitted or requeued */
    pthread_cond_t lease_cv;  /* the lease thread: stop */
    int stopping;
    uint64_t wake_gen;        /* bumped on every wake-up, so none is lost */
    jobs_running *running;

    struct jobs_worker *pool; /* `workers` of them */
    int n_started;
    pthread_t lease_thread;
    int lease_started;

    pthread_mutex_t hubs_mu;
    jobs_hub *hubs;
};

/* ---- hubs and events (jobs_watch.c) ------------------------------------ */

struct aia_job_watch {
    struct aia_job_watch *next;
    jobs_hub *hub;
    aia_job_event_fn fn;
    void *arg;
    int last_state; /* the state this watcher last saw (snapshot or event) */
};

struct jobs_hub {
    jobs_hub *next;
    char *job_id;
    int refs;                 /* under j->hubs_mu */
    pthread_mutex_t mu;
    int64_t sequence;         /* last event's sequence */
    int finished;             /* a terminal STATE event went out */
    aia_job_record *live;     /* the running job's record, owned by its worker */
    aia_job_watch *watchers;
};

/* Finds or creates the hub of job_id and takes a reference; NULL when out
 * of memory. */
jobs_hub *jobs_hub_acquire(aia_jobs *j, const char *job_id);
void jobs_hub_release(aia_jobs *j, jobs_hub *h);
/* Frees every hub and watch (aia_jobs_stop, after the workers exited). */
void jobs_hubs_free(aia_jobs *j);

/* Events, called with h->mu held. `job` is the job as it is now. */
void jobs_emit_state(jobs_hub *h, const aia_job_record *job, int previous_state);
void jobs_emit_progress(jobs_hub *h, const aia_job_record *job);
void jobs_emit_iteration(jobs_hub *h, const aia_job_record *job, int trial, int iteration,
                         const char *const *names, const double *values, size_t n);
void jobs_emit_trial(jobs_hub *h, const aia_job_record *job, const aia_trial_record *trial);

/* ---- running one job (jobs_run.c) -------------------------------------- */

/* Runs a job this worker claimed, start to finish: train, publish or fail,
 * requeue on shutdown. `claimed` is owned by the callee. */
void jobs_run(aia_jobs *j, const char *worker, aia_job_record *claimed);

/* ---- scratch space (jobs_scratch.c) ------------------------------------ */

/* <data_dir>/scratch/<job_id> into out, creating <data_dir>/scratch. */
aia_status jobs_scratch_make(const char *data_dir, const char *job_id, char *out, size_t size, aia_error *err);
/* Removes a scratch directory and everything under it (best effort). */
void jobs_scratch_remove(const char *dir);

/* ---- records (jobs_record.c) ------------------------------------------- */

/* A deep copy (pack, unpack) freed with aia_store_record_free; NULL when
 * out of memory. */
void *jobs_record_dup(const void *message);
/* Replaces *slot (a sub-message owned by its parent) by a deep copy of
 * `message` (NULL clears it). Returns 0 when out of memory (slot kept). */
int jobs_record_set(void *slot, const void *message);
int jobs_state_terminal(int state);
/* Sets *slot (a Time sub-message owned by its parent, allocated when
 * NULL) to unix_ns. Returns 0 when out of memory. */
int jobs_time_set(AiaStore__V1__Time **slot, int64_t unix_ns);
void jobs_time_fill(AiaStore__V1__Time *t, int64_t unix_ns);
const char *jobs_state_name(int state);

#endif
