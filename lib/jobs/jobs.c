/* lib/jobs/jobs.c — the worker pool: start, stop, submit, cancel, and the
 * lease thread.
 *
 * Workers claim jobs from the store (the queue is the jobs table; nothing
 * is queued in memory, so a job submitted by another process is found the
 * same way) and sleep on a condition variable when there is none, woken by
 * a submit or a requeue in this process, and polling every JOBS_POLL_MS for
 * work other processes enqueued. One lease thread renews the leases of
 * every running job at a third of the lease period, rather than each
 * worker renewing on progress: a long phase without progress (loading a
 * big file, one slow trial) must not lose its lease. It also runs lease
 * recovery, so a job whose owner died is requeued without a restart.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/base/log.h"
#include "lib/jobs/jobs_internal.h"

#define JOBS_POLL_MS 2000
#define JOBS_DEFAULT_LEASE_MS 30000
#define JOBS_DEFAULT_MAX_ATTEMPTS 2
#define JOBS_MAX_WORKERS 256
#define JOBS_CANCEL_REASON "cancelled by request"

static void deadline_after_ms(struct timespec *ts, int64_t ms) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    int64_t ns = ts->tv_nsec + (ms % 1000) * 1000000;
    ts->tv_sec += (time_t)(ms / 1000 + ns / 1000000000);
    ts->tv_nsec = (long)(ns % 1000000000);
}

static void wake_workers_locked(aia_jobs *j) {
    j->wake_gen++;
    pthread_cond_broadcast(&j->wake);
}

static void wake_workers(aia_jobs *j) {
    pthread_mutex_lock(&j->mu);
    wake_workers_locked(j);
    pthread_mutex_unlock(&j->mu);
}

/* ---- workers ---------------------------------------------------------------- */

static void *worker_main(void *arg) {
    jobs_worker *w = arg;
    aia_jobs *j = w->j;
    pthread_mutex_lock(&j->mu);
    while (!j->stopping) {
        uint64_t gen = j->wake_gen;
        pthread_mutex_unlock(&j->mu);
        aia_job_record *job = NULL;
        aia_error err;
        if (aia_store_job_claim(j->store, w->name, j->lease_ms, &job, &err) != AIA_OK)
            aia_log_event(AIA_LOG_WARN, "job_claim_failed",
                          (aia_log_field[]){AIA_LOG_STR("worker", w->name), AIA_LOG_STR("error", err.message)}, 2);
        if (job != NULL) jobs_run(j, w->name, job);
        pthread_mutex_lock(&j->mu);
        if (job == NULL && !j->stopping && gen == j->wake_gen) {
            struct timespec ts;
            deadline_after_ms(&ts, j->poll_ms);
            pthread_cond_timedwait(&j->wake, &j->mu, &ts);
        }
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---- leases ----------------------------------------------------------------- */

typedef struct lease_ref {
    char job_id[96];
    char worker[128];
} lease_ref;

/* Copies the running jobs' ids under the lock, so the store calls run
 * without it. */
static size_t running_snapshot(aia_jobs *j, lease_ref **out) {
    size_t n = 0;
    for (jobs_running *r = j->running; r != NULL; r = r->next) n++;
    *out = n ? calloc(n, sizeof **out) : NULL;
    if (*out == NULL) return 0;
    size_t i = 0;
    for (jobs_running *r = j->running; r != NULL; r = r->next, i++) {
        memcpy((*out)[i].job_id, r->job_id, sizeof r->job_id);
        memcpy((*out)[i].worker, r->worker, sizeof r->worker);
    }
    return n;
}

/* Asks the runs of job_id to stop; with `worker`, only that worker's run (a
 * lost lease is one run's, and another worker of this process may hold the
 * job again by now). */
#define JOBS_MAX_LEASE_MS (7LL * 24 * 3600 * 1000)

static void mark_stop(aia_jobs *j, const char *job_id, const char *worker, int reason) {
    pthread_mutex_lock(&j->mu);
    for (jobs_running *r = j->running; r != NULL; r = r->next) {
        if (strcmp(r->job_id, job_id) != 0 || (worker && strcmp(r->worker, worker) != 0)) continue;
        int none = JOBS_STOP_NONE;
        atomic_compare_exchange_strong(&r->stop, &none, reason);
    }
    pthread_mutex_unlock(&j->mu);
}

static void renew_all(aia_jobs *j, lease_ref *refs, size_t n) {
    for (size_t i = 0; i < n; i++) {
        aia_error err;
        aia_status st = aia_store_job_renew(j->store, refs[i].job_id, refs[i].worker, j->lease_ms, &err);
        if (st == AIA_FAILED_PRECONDITION || st == AIA_NOT_FOUND) {
            /* Cancelled, or taken over after our lease expired: stop. */
            mark_stop(j, refs[i].job_id, refs[i].worker, JOBS_STOP_LOST);
        } else if (st != AIA_OK) {
            aia_log_event(AIA_LOG_WARN, "job_lease_renew_failed",
                          (aia_log_field[]){AIA_LOG_STR("job_id", refs[i].job_id), AIA_LOG_STR("error", err.message)},
                          2);
        }
    }
}

static void recover_expired(aia_jobs *j) {
    size_t requeued = 0, failed = 0;
    aia_error err;
    if (aia_store_jobs_recover(j->store, 0, j->max_attempts, &requeued, &failed, &err) != AIA_OK) {
        aia_log_event(AIA_LOG_WARN, "job_recovery_failed", (aia_log_field[]){AIA_LOG_STR("error", err.message)}, 1);
        return;
    }
    if (requeued + failed > 0)
        aia_log_event(AIA_LOG_INFO, "job_leases_expired",
                      (aia_log_field[]){AIA_LOG_INT("requeued", requeued), AIA_LOG_INT("failed", failed)}, 2);
    if (requeued > 0) wake_workers(j);
}

static void *lease_main(void *arg) {
    aia_jobs *j = arg;
    int64_t interval = j->lease_ms / 3 > 50 ? j->lease_ms / 3 : 50;
    int64_t since_recover = 0;
    pthread_mutex_lock(&j->mu);
    while (!j->stopping) {
        struct timespec ts;
        deadline_after_ms(&ts, interval);
        pthread_cond_timedwait(&j->lease_cv, &j->mu, &ts);
        if (j->stopping) break;
        lease_ref *refs = NULL;
        size_t n = running_snapshot(j, &refs);
        pthread_mutex_unlock(&j->mu);
        renew_all(j, refs, n);
        free(refs);
        since_recover += interval;
        if (since_recover >= j->lease_ms) {
            since_recover = 0;
            recover_expired(j);
        }
        pthread_mutex_lock(&j->mu);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

/* ---- start and stop ----------------------------------------------------------- */

static aia_status check_options(const aia_jobs_options *opt, aia_error *err) {
    if (opt == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "jobs options: required");
    if (opt->store == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "jobs options: store is required");
    if (opt->data_dir == NULL || opt->data_dir[0] == '\0')
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "jobs options: data_dir is required");
    if (opt->workers < 1 || opt->workers > JOBS_MAX_WORKERS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "jobs options: workers must be 1..%d, not %d",
                             JOBS_MAX_WORKERS, opt->workers);
    if (opt->threads_per_job < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "jobs options: threads_per_job must be >= 1, not %d",
                             opt->threads_per_job);
    if (opt->max_attempts < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "jobs options: max_attempts must be >= 0, not %d",
                             opt->max_attempts);
    if (opt->lease_ms < 0 || (opt->lease_ms > 0 && opt->lease_ms < 100) || opt->lease_ms > JOBS_MAX_LEASE_MS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "jobs options: lease_ms must be 0 (default) or within [100, %lld] (the store's "
                             "limit, one week), not %lld",
                             (long long)JOBS_MAX_LEASE_MS, (long long)opt->lease_ms);
    return AIA_OK;
}

static aia_jobs *jobs_new(const aia_jobs_options *opt) {
    static atomic_uint instance;
    aia_jobs *j = calloc(1, sizeof *j);
    if (j == NULL) return NULL;
    j->store = opt->store;
    j->data_dir = strdup(opt->data_dir);
    j->engine_version = opt->engine_version ? strdup(opt->engine_version) : NULL;
    j->pool = calloc((size_t)opt->workers, sizeof *j->pool);
    if (j->data_dir == NULL || (opt->engine_version && j->engine_version == NULL) || j->pool == NULL) {
        free(j->data_dir);
        free(j->engine_version);
        free(j->pool);
        free(j);
        return NULL;
    }
    j->workers = opt->workers;
    j->threads_per_job = opt->threads_per_job;
    j->max_attempts = opt->max_attempts ? opt->max_attempts : JOBS_DEFAULT_MAX_ATTEMPTS;
    j->shared_queue = opt->shared_queue;
    j->lease_ms = opt->lease_ms ? opt->lease_ms : JOBS_DEFAULT_LEASE_MS;
    j->poll_ms = JOBS_POLL_MS;
    char host[64] = "localhost";
    gethostname(host, sizeof host - 1);
    host[sizeof host - 1] = '\0';
    snprintf(j->worker_prefix, sizeof j->worker_prefix, "%s:%ld:%u", host, (long)getpid(),
             atomic_fetch_add(&instance, 1));
    pthread_mutex_init(&j->mu, NULL);
    pthread_mutex_init(&j->hubs_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->wake, &ca);
    pthread_cond_init(&j->lease_cv, &ca);
    pthread_condattr_destroy(&ca);
    return j;
}

static void jobs_free(aia_jobs *j) {
    jobs_hubs_free(j);
    pthread_cond_destroy(&j->wake);
    pthread_cond_destroy(&j->lease_cv);
    pthread_mutex_destroy(&j->mu);
    pthread_mutex_destroy(&j->hubs_mu);
    free(j->pool);
    free(j->data_dir);
    free(j->engine_version);
    free(j);
}

static aia_status start_threads(aia_jobs *j, aia_error *err) {
    if (pthread_create(&j->lease_thread, NULL, lease_main, j) != 0)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "starting the jobs' lease thread failed");
    j->lease_started = 1;
    for (int i = 0; i < j->workers; i++) {
        jobs_worker *w = &j->pool[i];
        w->j = j;
        snprintf(w->name, sizeof w->name, "%s/w%d", j->worker_prefix, i);
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "starting job worker %d of %d failed", i + 1,
                                 j->workers);
        j->n_started++;
    }
    return AIA_OK;
}

aia_status aia_jobs_start(const aia_jobs_options *opt, aia_jobs **out, aia_error *err) {
    if (out == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "jobs: out is required");
    *out = NULL;
    aia_status st = check_options(opt, err);
    if (st != AIA_OK) return st;
    aia_jobs *j = jobs_new(opt);
    if (j == NULL) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "jobs: out of memory");
    /* Embedded mode: this process is the only worker, so any RUNNING job
     * belongs to a process that died. With a shared queue, only expired
     * leases say that. */
    size_t requeued = 0, failed = 0;
    st = aia_store_jobs_recover(j->store, !j->shared_queue, j->max_attempts, &requeued, &failed, err);
    if (st != AIA_OK) {
        aia_error_prefix(err, "recovering interrupted jobs");
        jobs_free(j);
        return st;
    }
    if (requeued + failed > 0)
        aia_log_event(AIA_LOG_INFO, "jobs_recovered",
                      (aia_log_field[]){AIA_LOG_INT("requeued", requeued), AIA_LOG_INT("failed", failed)}, 2);
    st = start_threads(j, err);
    if (st != AIA_OK) {
        aia_jobs_stop(j);
        return st;
    }
    *out = j;
    return AIA_OK;
}

void aia_jobs_stop(aia_jobs *j) {
    if (j == NULL) return;
    pthread_mutex_lock(&j->mu);
    j->stopping = 1;
    for (jobs_running *r = j->running; r != NULL; r = r->next) {
        int none = JOBS_STOP_NONE;
        atomic_compare_exchange_strong(&r->stop, &none, JOBS_STOP_SHUTDOWN);
    }
    wake_workers_locked(j);
    pthread_cond_broadcast(&j->lease_cv);
    pthread_mutex_unlock(&j->mu);
    for (int i = 0; i < j->n_started; i++) pthread_join(j->pool[i].thread, NULL);
    if (j->lease_started) pthread_join(j->lease_thread, NULL);
    jobs_free(j);
}

/* ---- submit and cancel ---------------------------------------------------------- */

aia_status aia_jobs_submit(aia_jobs *j, const aia_job_spec *spec, const char *created_by, aia_job_record **out,
                           aia_error *err) {
    if (out != NULL) *out = NULL;
    if (j == NULL || spec == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "submit: jobs and spec are required");
    aia_status st = aia_train_check(spec, err);
    if (st != AIA_OK) return st;
    aia_job_record *job = NULL;
    int created = 0;
    st = aia_store_job_submit(j->store, spec, created_by ? created_by : "", &job, &created, err);
    if (st != AIA_OK) return st;
    if (created) wake_workers(j);
    if (out != NULL)
        *out = job;
    else
        aia_store_record_free(job);
    return AIA_OK;
}

aia_status aia_jobs_cancel(aia_jobs *j, const char *job_id, aia_job_record **out, aia_error *err) {
    if (out != NULL) *out = NULL;
    if (j == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "cancel: jobs is required");
    if (job_id == NULL || job_id[0] == '\0') return aia_error_set(err, AIA_INVALID_ARGUMENT, "job_id: empty");
    jobs_hub *h = jobs_hub_acquire(j, job_id);
    if (h == NULL) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "cancelling job %s: out of memory", job_id);
    aia_job_record *before = NULL, *after = NULL;
    pthread_mutex_lock(&h->mu);
    aia_status st = aia_store_job_get(j->store, job_id, &before, err);
    if (st == AIA_OK && jobs_state_terminal(before->state))
        st = aia_error_set(err, AIA_FAILED_PRECONDITION,
                           "job %s is already %s; only QUEUED or RUNNING jobs can be cancelled", job_id,
                           jobs_state_name(before->state));
    if (st == AIA_OK) st = aia_store_job_cancel(j->store, job_id, JOBS_CANCEL_REASON, &after, err);
    if (st == AIA_OK) jobs_emit_state(h, after, h->live ? h->live->state : before->state);
    pthread_mutex_unlock(&h->mu);
    /* After the store says CANCELLED: a worker that looks at its flag and
     * sees nothing yet will find the job terminal at its next write. */
    if (st == AIA_OK) mark_stop(j, job_id, NULL, JOBS_STOP_CANCEL);
    jobs_hub_release(j, h);
    if (before != NULL) aia_store_record_free(before);
    if (st == AIA_OK) {
        aia_log_event(AIA_LOG_INFO, "job_cancelled", (aia_log_field[]){AIA_LOG_STR("job_id", job_id)}, 1);
        if (out != NULL)
            *out = after;
        else
            aia_store_record_free(after);
    } else if (after != NULL) {
        aia_store_record_free(after);
    }
    return st;
}
