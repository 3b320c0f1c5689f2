/* lib/store/store_trials.c — a job's HPO trials. */
#include <stdio.h>

#include "lib/store/store_internal.h"

aia_status aia_store_trial_put(aia_store *s, const char *job_id, const aia_trial_record *trial, aia_error *err) {
    if (job_id == NULL || job_id[0] == '\0' || trial == NULL)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "trial_put needs a job_id and a trial");
    if (trial->number < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "job %s: trial number %d is negative", job_id, trial->number);
    pthread_mutex_lock(&s->mu);
    aia_job_record *job = NULL;
    aia_status rc = store_job_load(s, job_id, &job, err); /* NOT_FOUND names the job */
    aia_store_record_free(job);
    sqlite3_stmt *st = NULL;
    if (rc == AIA_OK)
        rc = store_prepare(s,
                           "INSERT INTO trials (job_id, number, record) VALUES (?, ?, ?) "
                           "ON CONFLICT (job_id, number) DO UPDATE SET record = excluded.record",
                           &st, err);
    if (rc == AIA_OK) {
        store_bind_text(st, 1, job_id);
        sqlite3_bind_int(st, 2, trial->number);
        rc = store_bind_record(st, 3, &trial->base, err);
        if (rc == AIA_OK)
            rc = store_step_done(s, st, err, "writing a trial");
        else
            sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static aia_status list_locked(aia_store *s, const char *job_id, store_list *l, aia_error *err) {
    aia_job_record *job = NULL;
    aia_status rc = store_job_load(s, job_id, &job, err);
    aia_store_record_free(job);
    sqlite3_stmt *st = NULL;
    if (rc == AIA_OK) rc = store_prepare(s, "SELECT number, record FROM trials WHERE job_id = ? ORDER BY number", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, job_id);
    int step;
    while (rc == AIA_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        char what[160];
        snprintf(what, sizeof what, "trial %d of job %s", sqlite3_column_int(st, 0), job_id);
        ProtobufCMessage *m = NULL;
        rc = store_unpack_column(st, 1, &aia_store__v1__trial__descriptor, what, &m, err);
        if (rc == AIA_OK) rc = store_list_push(l, m, err);
    }
    if (rc == AIA_OK && step != SQLITE_DONE) rc = store_sql_error(s, err, "listing trials");
    sqlite3_finalize(st);
    return rc;
}

aia_status aia_store_trial_list(aia_store *s, const char *job_id, aia_trial_record ***out, size_t *n, aia_error *err) {
    *out = NULL;
    *n = 0;
    if (job_id == NULL || job_id[0] == '\0') return aia_error_set(err, AIA_INVALID_ARGUMENT, "job_id is empty");
    store_list l = {0};
    pthread_mutex_lock(&s->mu);
    aia_status rc = list_locked(s, job_id, &l, err);
    pthread_mutex_unlock(&s->mu);
    if (rc != AIA_OK) {
        store_list_free(&l);
        return rc;
    }
    *out = (aia_trial_record **)l.items;
    *n = l.n;
    return AIA_OK;
}
