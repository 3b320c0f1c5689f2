/* lib/store/store_jobs_state.c — a job's progress and its end: update,
 * publish (version + SUCCEEDED in one transaction), cancel. */
#include <stdio.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/store/store_internal.h"

/* The stored job, refused when already terminal (named). */
static aia_status load_live(aia_store *s, const char *job_id, aia_job_record **out, aia_error *err) {
    aia_status rc = store_job_load(s, job_id, out, err);
    if (rc == AIA_OK && store_job_terminal((*out)->state)) {
        rc = aia_error_set(err, AIA_FAILED_PRECONDITION, "training job %s is already %s", job_id,
                           store_job_state_name((*out)->state));
        aia_store_record_free(*out);
        *out = NULL;
    }
    return rc;
}

static aia_status update_locked(aia_store *s, const aia_job_record *job, aia_error *err) {
    aia_job_record *stored = NULL;
    aia_status rc = load_live(s, job->job_id, &stored, err);
    if (rc != AIA_OK) return rc;
    AiaStore__V1__Time now, end;
    int64_t now_ns = aia_time_now_ns();
    store_time_set(&now, now_ns);
    aia_job_record copy = *job;
    copy.update_time = &now;
    /* Identity and bookkeeping stay as stored: a worker updates progress,
     * not which model or version the job produces. */
    copy.model_id = stored->model_id;
    copy.model_version = stored->model_version;
    copy.create_time = stored->create_time;
    if (store_job_terminal(copy.state) && copy.end_time == NULL) {
        store_time_set(&end, now_ns);
        copy.end_time = &end;
    }
    rc = store_job_write(s, &copy, NULL, 0, 0, err);
    aia_store_record_free(stored);
    return rc;
}

aia_status aia_store_job_update(aia_store *s, const aia_job_record *job, aia_error *err) {
    if (job == NULL || job->job_id == NULL || job->job_id[0] == '\0')
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "job or its job_id is empty");
    if (job->state == AIA_STORE__V1__JOB_STATE__JOB_UNSPECIFIED)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "job %s: state is unspecified", job->job_id);
    /* A SUCCEEDED job always has its version: only publish sets it. */
    if (job->state == AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "job %s: SUCCEEDED is set by aia_store_job_publish with the version, not by update",
                             job->job_id);
    pthread_mutex_lock(&s->mu);
    aia_status rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, update_locked(s, job, err), 0, NULL, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- publish ------------------------------------------------------------------ */

aia_status store_insert_version(aia_store *s, const aia_version_record *v, int64_t now_ns, aia_error *err) {
    AiaStore__V1__Time now;
    store_time_set(&now, now_ns);
    aia_version_record copy = *v;
    copy.state = AIA_STORE__V1__VERSION_STATE__VERSION_READY;
    copy.n_aliases = 0; /* derived on read, never stored */
    copy.n_endpoint_ids = 0;
    copy.delete_time = NULL;
    if (copy.create_time == NULL) copy.create_time = &now;
    sqlite3_stmt *st = NULL;
    aia_status rc =
        store_prepare(s, "INSERT INTO model_versions (model_id, version, state, record) VALUES (?, ?, ?, ?)", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, v->model_id);
    sqlite3_bind_int(st, 2, v->version);
    sqlite3_bind_int(st, 3, copy.state);
    rc = store_bind_record(st, 4, &copy.base, err);
    if (rc != AIA_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step == SQLITE_DONE) return AIA_OK;
    if (step == SQLITE_CONSTRAINT)
        return aia_error_set(err, AIA_ALREADY_EXISTS, "model version %s@%d already exists", v->model_id, v->version);
    return store_sql_error(s, err, "inserting a version");
}

static aia_status publish_locked(aia_store *s, const aia_job_record *job, const aia_version_record *version,
                                 aia_error *err) {
    aia_job_record *stored = NULL;
    aia_status rc = store_job_load(s, job->job_id, &stored, err);
    if (rc != AIA_OK) return rc;
    if (stored->state != AIA_STORE__V1__JOB_STATE__JOB_RUNNING)
        rc = aia_error_set(err, AIA_FAILED_PRECONDITION, "training job %s is %s, not running: nothing is published",
                           job->job_id, store_job_state_name(stored->state));
    else if (strcmp(version->model_id, stored->model_id) != 0 || version->version != stored->model_version)
        rc = aia_error_set(err, AIA_INVALID_ARGUMENT, "job %s produces %s@%d, not %s@%d", job->job_id,
                           stored->model_id, stored->model_version, version->model_id, version->version);
    int64_t now_ns = aia_time_now_ns();
    if (rc == AIA_OK) rc = store_insert_version(s, version, now_ns, err);
    if (rc == AIA_OK) {
        AiaStore__V1__Time now;
        store_time_set(&now, now_ns);
        aia_job_record copy = *job;
        copy.state = AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED;
        copy.model_id = stored->model_id;
        copy.model_version = stored->model_version;
        copy.create_time = stored->create_time;
        copy.update_time = &now;
        if (copy.end_time == NULL) copy.end_time = &now;
        rc = store_job_write(s, &copy, NULL, 0, 1, err);
    }
    if (rc == AIA_OK) rc = store_model_touch(s, stored->model_id, err);
    aia_store_record_free(stored);
    return rc;
}

aia_status aia_store_job_publish(aia_store *s, const aia_job_record *job, const aia_version_record *version,
                                 aia_error *err) {
    if (job == NULL || job->job_id == NULL || version == NULL || version->model_id == NULL)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "publish needs a job and a version");
    pthread_mutex_lock(&s->mu);
    /* A published version is what clients deploy: its commit waits for
     * the disk (FULL), not just the WAL write (NORMAL). */
    aia_status rc = store_exec(s, "PRAGMA synchronous=FULL", err);
    if (rc == AIA_OK) rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, publish_locked(s, job, version, err), 1, NULL, err);
    aia_error ignored;
    store_exec(s, "PRAGMA synchronous=NORMAL", &ignored);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- cancel -------------------------------------------------------------------- */

static aia_status cancel_locked(aia_store *s, const char *job_id, const char *reason, aia_job_record **out,
                                aia_error *err) {
    aia_job_record *stored = NULL;
    aia_status rc = load_live(s, job_id, &stored, err);
    if (rc != AIA_OK) return rc;
    AiaStore__V1__Time now;
    store_time_set(&now, aia_time_now_ns());
    aia_job_record copy = *stored;
    copy.state = AIA_STORE__V1__JOB_STATE__JOB_CANCELLED;
    copy.error = (char *)(reason ? reason : "cancelled");
    copy.update_time = &now;
    copy.end_time = &now;
    rc = store_job_write(s, &copy, NULL, 0, 1, err);
    if (rc == AIA_OK && out != NULL) rc = store_rebuild(&copy.base, (ProtobufCMessage **)out, err);
    aia_store_record_free(stored);
    return rc;
}

aia_status aia_store_job_cancel(aia_store *s, const char *job_id, const char *reason, aia_job_record **out,
                                aia_error *err) {
    if (out != NULL) *out = NULL;
    if (job_id == NULL || job_id[0] == '\0') return aia_error_set(err, AIA_INVALID_ARGUMENT, "job_id is empty");
    pthread_mutex_lock(&s->mu);
    aia_status rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, cancel_locked(s, job_id, reason, out, err), 0, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}
