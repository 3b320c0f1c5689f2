/* lib/store/store_jobs_lease.c — the queue: claiming with a lease,
 * renewing it, and recovering jobs whose worker is gone. Leases live in
 * table columns (lease_owner, lease_until_ns), not in the record: the API
 * message has no such fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/store/store_internal.h"

/* A week: longer leases are a unit mistake (seconds for ms), and the
 * nanosecond arithmetic stays far from overflow. */
#define MAX_LEASE_MS (7LL * 24 * 3600 * 1000)

static aia_status check_lease(int64_t lease_ms, aia_error *err) {
    if (lease_ms <= 0 || lease_ms > MAX_LEASE_MS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "lease_ms %lld is not in 1..%lld", (long long)lease_ms,
                             MAX_LEASE_MS);
    return AIA_OK;
}

static aia_status oldest_queued(aia_store *s, aia_job_record **out, aia_error *err) {
    sqlite3_stmt *st = NULL;
    *out = NULL;
    aia_status rc =
        store_prepare(s, "SELECT job_id, record FROM jobs WHERE state = ? ORDER BY create_ns, job_id LIMIT 1", &st, err);
    if (rc != AIA_OK) return rc;
    sqlite3_bind_int(st, 1, AIA_STORE__V1__JOB_STATE__JOB_QUEUED);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = store_unpack_column(st, 1, &aia_store__v1__job__descriptor, (const char *)sqlite3_column_text(st, 0),
                                 (ProtobufCMessage **)out, err);
    else if (step != SQLITE_DONE)
        rc = store_sql_error(s, err, "finding a queued job");
    sqlite3_finalize(st);
    return rc;
}

static aia_status claim_locked(aia_store *s, const char *worker, int64_t lease_ms, aia_job_record **out,
                               aia_error *err) {
    aia_job_record *queued = NULL;
    aia_status rc = oldest_queued(s, &queued, err);
    if (rc != AIA_OK || queued == NULL) return rc;
    int64_t now_ns = aia_time_now_ns();
    AiaStore__V1__Time now;
    store_time_set(&now, now_ns);
    aia_job_record copy = *queued;
    copy.state = AIA_STORE__V1__JOB_STATE__JOB_RUNNING;
    copy.attempt = queued->attempt + 1;
    copy.start_time = &now;
    copy.update_time = &now;
    copy.error = (char *)""; /* a requeued job starts over */
    rc = store_job_write(s, &copy, worker, now_ns + lease_ms * 1000000, 0, err);
    if (rc == AIA_OK) rc = store_rebuild(&copy.base, (ProtobufCMessage **)out, err);
    aia_store_record_free(queued);
    return rc;
}

aia_status aia_store_job_claim(aia_store *s, const char *worker, int64_t lease_ms, aia_job_record **out,
                               aia_error *err) {
    *out = NULL;
    if (worker == NULL || worker[0] == '\0') return aia_error_set(err, AIA_INVALID_ARGUMENT, "worker is empty");
    aia_status rc = check_lease(lease_ms, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, claim_locked(s, worker, lease_ms, out, err), 0, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Why a renewal matched no row: the job is missing, finished, or someone else's. */
static aia_status renew_refusal(aia_store *s, const char *job_id, const char *worker, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "SELECT state, lease_owner FROM jobs WHERE job_id = ?", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, job_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        int state = sqlite3_column_int(st, 0);
        const char *owner = (const char *)sqlite3_column_text(st, 1);
        if (state != AIA_STORE__V1__JOB_STATE__JOB_RUNNING)
            rc = aia_error_set(err, AIA_FAILED_PRECONDITION, "training job %s is %s, not running", job_id,
                               store_job_state_name(state));
        else
            rc = aia_error_set(err, AIA_FAILED_PRECONDITION,
                               "training job %s is leased by worker %s, not %s (its lease expired)", job_id,
                               owner ? owner : "(none)", worker);
    } else if (step == SQLITE_DONE) {
        rc = aia_error_set(err, AIA_NOT_FOUND, "training job %s not found", job_id);
    } else {
        rc = store_sql_error(s, err, "reading a job's lease");
    }
    sqlite3_finalize(st);
    return rc;
}

aia_status aia_store_job_renew(aia_store *s, const char *job_id, const char *worker, int64_t lease_ms,
                               aia_error *err) {
    if (job_id == NULL || worker == NULL)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "renew needs a job_id and a worker");
    aia_status rc = check_lease(lease_ms, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    sqlite3_stmt *st = NULL;
    rc = store_prepare(s,
                                  "UPDATE jobs SET lease_until_ns = ? "
                                  "WHERE job_id = ? AND state = ? AND lease_owner = ?",
                                  &st, err);
    if (rc == AIA_OK) {
        sqlite3_bind_int64(st, 1, aia_time_now_ns() + lease_ms * 1000000);
        store_bind_text(st, 2, job_id);
        sqlite3_bind_int(st, 3, AIA_STORE__V1__JOB_STATE__JOB_RUNNING);
        store_bind_text(st, 4, worker);
        rc = store_step_done(s, st, err, "renewing a lease");
    }
    if (rc == AIA_OK && sqlite3_changes(s->db) == 0) rc = renew_refusal(s, job_id, worker, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- recovery ------------------------------------------------------------------- */

typedef struct recover_counts {
    size_t requeued, failed;
} recover_counts;

static aia_status recover_one(aia_store *s, const aia_job_record *job, const char *owner, int all_running,
                              int max_attempts, recover_counts *c, aia_error *err) {
    int64_t now_ns = aia_time_now_ns();
    AiaStore__V1__Time now;
    store_time_set(&now, now_ns);
    char reason[300];
    if (all_running)
        snprintf(reason, sizeof reason, "interrupted: the server restarted during attempt %d", job->attempt);
    else
        snprintf(reason, sizeof reason, "interrupted: worker %s stopped renewing its lease during attempt %d",
                 owner ? owner : "(none)", job->attempt);
    aia_job_record copy = *job;
    copy.update_time = &now;
    if (job->attempt < max_attempts) {
        copy.state = AIA_STORE__V1__JOB_STATE__JOB_QUEUED;
        copy.progress = 0;
        c->requeued++;
    } else {
        copy.state = AIA_STORE__V1__JOB_STATE__JOB_FAILED;
        copy.error = reason;
        copy.end_time = &now;
        c->failed++;
    }
    return store_job_write(s, &copy, NULL, 0, 1, err);
}

static aia_status recover_locked(aia_store *s, int all_running, int max_attempts, recover_counts *c,
                                 aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s,
                                  "SELECT job_id, record, lease_owner FROM jobs WHERE state = ? "
                                  "AND (? = 1 OR lease_until_ns IS NULL OR lease_until_ns < ?) ORDER BY create_ns",
                                  &st, err);
    if (rc != AIA_OK) return rc;
    sqlite3_bind_int(st, 1, AIA_STORE__V1__JOB_STATE__JOB_RUNNING);
    sqlite3_bind_int(st, 2, all_running ? 1 : 0);
    sqlite3_bind_int64(st, 3, aia_time_now_ns());
    /* Collect first, write after: no update under an open cursor. */
    store_list jobs = {0};
    char **owners = NULL;
    int step;
    while (rc == AIA_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        ProtobufCMessage *m = NULL;
        rc = store_unpack_column(st, 1, &aia_store__v1__job__descriptor, (const char *)sqlite3_column_text(st, 0), &m,
                                 err);
        if (rc == AIA_OK) rc = store_list_push(&jobs, m, err);
        if (rc != AIA_OK) break;
        char **o = realloc(owners, jobs.n * sizeof *o);
        if (o == NULL) {
            rc = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory recovering jobs");
            jobs.n--;
            aia_store_record_free(m);
            break;
        }
        owners = o;
        const char *owner = (const char *)sqlite3_column_text(st, 2);
        owners[jobs.n - 1] = owner ? strdup(owner) : NULL;
    }
    if (rc == AIA_OK && step != SQLITE_DONE) rc = store_sql_error(s, err, "finding interrupted jobs");
    sqlite3_finalize(st);
    for (size_t i = 0; rc == AIA_OK && i < jobs.n; i++)
        rc = recover_one(s, jobs.items[i], owners[i], all_running, max_attempts, c, err);
    for (size_t i = 0; i < jobs.n; i++) free(owners[i]);
    free(owners);
    store_list_free(&jobs);
    return rc;
}

aia_status aia_store_jobs_recover(aia_store *s, int all_running, int max_attempts, size_t *requeued, size_t *failed,
                                  aia_error *err) {
    recover_counts c = {0, 0};
    pthread_mutex_lock(&s->mu);
    aia_status rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, recover_locked(s, all_running, max_attempts, &c, err), 0, NULL, err);
    pthread_mutex_unlock(&s->mu);
    if (rc != AIA_OK) c.requeued = c.failed = 0;
    if (requeued) *requeued = c.requeued;
    if (failed) *failed = c.failed;
    return rc;
}
