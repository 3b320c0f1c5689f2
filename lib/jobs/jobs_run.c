/* lib/jobs/jobs_run.c — one claimed job, start to finish.
 *
 * The worker keeps the job as a record it owns (`live`, also reachable by
 * watchers through the hub for their snapshots), lets lib/train's hooks
 * update it, and writes it to the store: the data split at once, progress
 * and HPO progress at most every JOBS_WRITE_INTERVAL_NS (a job with
 * thousands of rounds would otherwise write thousands of rows), trials
 * always. The last word is always written: the publish transaction, the
 * FAILED record, or the requeue, each carrying the latest progress.
 *
 * Every store write of the job happens under the hub's lock followed by
 * its event (see jobs_watch.c). A write refused because the job is
 * terminal means someone else decided its fate (a cancel, another
 * process's recovery): the worker stops and writes nothing more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/jobs/jobs_internal.h"
#include "lib/store/artifacts.h"

#define JOBS_WRITE_INTERVAL_NS (250 * 1000000LL)

typedef struct run_ctx {
    aia_jobs *j;
    jobs_hub *hub;
    jobs_running *running;
    aia_job_record *live;
    int64_t last_write_mono; /* of the job's progress, for throttling */
} run_ctx;

/* Records why the job must stop unless a reason was already given (the
 * first reason wins: a cancel followed by a lost lease stays a cancel). */
static void stop_once(atomic_int *stop, int reason) {
    int none = JOBS_STOP_NONE;
    atomic_compare_exchange_strong(stop, &none, reason);
}

/* The job is no longer this worker's to write: tell the watchers what the
 * store says it became. Called with the hub's lock held. */
static void announce_stored_locked(run_ctx *c) {
    aia_job_record *stored = NULL;
    aia_error err;
    if (aia_store_job_get(c->j->store, c->live->job_id, &stored, &err) != AIA_OK) return;
    if (stored->state != JOBS_RUNNING) jobs_emit_state(c->hub, stored, JOBS_RUNNING);
    aia_store_record_free(stored);
}

/* Writes the live record (progress, split, HPO progress) unless one was
 * written less than the interval ago and `force` is 0. A skipped change is
 * not lost: the next write, and at the latest the final one, carries the
 * whole record. Hub lock held. */
static void write_live_locked(run_ctx *c, int force) {
    int64_t now = aia_time_mono_ns();
    if (!force && now - c->last_write_mono < JOBS_WRITE_INTERVAL_NS) return;
    jobs_time_set(&c->live->update_time, aia_time_now_ns());
    aia_error err;
    aia_status st = aia_store_job_update(c->j->store, c->live, &err);
    c->last_write_mono = now;
    if (st == AIA_FAILED_PRECONDITION) {
        stop_once(&c->running->stop, JOBS_STOP_LOST);
        return;
    }
    if (st != AIA_OK) {
        aia_log_event(AIA_LOG_WARN, "job_progress_write_failed",
                      (aia_log_field[]){AIA_LOG_STR("job_id", c->live->job_id), AIA_LOG_STR("error", err.message)},
                      2);
        return;
    }
    jobs_emit_progress(c->hub, c->live);
}

/* ---- lib/train's hooks (any thread of the job; serialised by the hub) --- */

static int hook_should_stop(void *arg) {
    run_ctx *c = arg;
    return atomic_load(&c->running->stop) != JOBS_STOP_NONE;
}

static void hook_on_data(void *arg, const AiaStore__V1__DataSplit *split) {
    run_ctx *c = arg;
    pthread_mutex_lock(&c->hub->mu);
    if (jobs_record_set(&c->live->data_split, split)) write_live_locked(c, 1);
    pthread_mutex_unlock(&c->hub->mu);
}

static void hook_on_iteration(void *arg, int trial, int iteration, const char *const *names, const double *values,
                              size_t n) {
    run_ctx *c = arg;
    pthread_mutex_lock(&c->hub->mu);
    jobs_emit_iteration(c->hub, c->live, trial, iteration, names, values, n);
    pthread_mutex_unlock(&c->hub->mu);
}

static void hook_on_trial(void *arg, const aia_trial_record *trial, const AiaStore__V1__HpoProgress *progress) {
    run_ctx *c = arg;
    aia_error err;
    pthread_mutex_lock(&c->hub->mu);
    if (aia_store_trial_put(c->j->store, c->live->job_id, trial, &err) != AIA_OK)
        aia_log_event(AIA_LOG_WARN, "job_trial_write_failed",
                      (aia_log_field[]){AIA_LOG_STR("job_id", c->live->job_id), AIA_LOG_INT("trial", trial->number),
                                        AIA_LOG_STR("error", err.message)},
                      3);
    if (progress != NULL) jobs_record_set(&c->live->hpo, progress);
    jobs_emit_trial(c->hub, c->live, trial);
    write_live_locked(c, 0);
    pthread_mutex_unlock(&c->hub->mu);
}

static void hook_on_progress(void *arg, double fraction) {
    run_ctx *c = arg;
    pthread_mutex_lock(&c->hub->mu);
    if (fraction > c->live->progress) c->live->progress = fraction > 1 ? 1 : fraction;
    write_live_locked(c, 0);
    pthread_mutex_unlock(&c->hub->mu);
}

/* ---- endings ---------------------------------------------------------------- */

/* Stores `fin` (a shallow variant of the live record) as the job's last
 * word from this worker and announces it; the live record leaves the hub
 * in the same critical section, so no watcher's snapshot outlives it. */
static void write_final(run_ctx *c, const aia_job_record *fin, const char *what) {
    aia_error err;
    pthread_mutex_lock(&c->hub->mu);
    aia_status st = aia_store_job_update(c->j->store, fin, &err);
    if (st == AIA_OK)
        jobs_emit_state(c->hub, fin, JOBS_RUNNING);
    else if (st == AIA_FAILED_PRECONDITION)
        announce_stored_locked(c);
    c->hub->live = NULL;
    pthread_mutex_unlock(&c->hub->mu);
    if (st != AIA_OK && st != AIA_FAILED_PRECONDITION)
        aia_log_event(AIA_LOG_ERROR, "job_write_failed",
                      (aia_log_field[]){AIA_LOG_STR("job_id", fin->job_id), AIA_LOG_STR("what", what),
                                        AIA_LOG_STR("error", err.message)},
                      3);
}

static void finish_failed(run_ctx *c, const char *message) {
    AiaStore__V1__Time now;
    jobs_time_fill(&now, aia_time_now_ns());
    aia_job_record fin = *c->live;
    fin.state = JOBS_FAILED;
    fin.error = (char *)message;
    fin.end_time = &now;
    fin.update_time = &now;
    write_final(c, &fin, "failed");
    aia_log_event(AIA_LOG_INFO, "job_failed",
                  (aia_log_field[]){AIA_LOG_STR("job_id", fin.job_id), AIA_LOG_STR("error", message)}, 2);
}

/* Graceful shutdown: back to QUEUED as if never claimed. The attempt is
 * given back too: attempts count runs cut short by crashes (max_attempts),
 * and a clean stop is not one. */
static void finish_requeue(run_ctx *c) {
    AiaStore__V1__Time now;
    jobs_time_fill(&now, aia_time_now_ns());
    aia_job_record fin = *c->live;
    fin.state = JOBS_QUEUED;
    fin.attempt = c->live->attempt > 0 ? c->live->attempt - 1 : 0;
    fin.progress = 0;
    fin.start_time = NULL;
    fin.end_time = NULL;
    fin.update_time = &now;
    fin.hpo = NULL;
    fin.data_split = NULL;
    fin.error = "";
    write_final(c, &fin, "requeue");
    aia_log_event(AIA_LOG_INFO, "job_requeued", (aia_log_field[]){AIA_LOG_STR("job_id", fin.job_id)}, 1);
}

/* The version's tags are the spec's labels (the same key/value pairs,
 * another entry type). Entries borrow the spec's strings. */
static AiaStore__V1__Version__TagsEntry **tags_from_labels(const aia_job_spec *spec,
                                                           AiaStore__V1__Version__TagsEntry **storage) {
    size_t n = spec->n_labels;
    *storage = NULL;
    if (n == 0) return NULL;
    AiaStore__V1__Version__TagsEntry *e = calloc(n, sizeof *e);
    AiaStore__V1__Version__TagsEntry **p = calloc(n, sizeof *p);
    if (e == NULL || p == NULL) {
        free(e);
        free(p);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        aia_store__v1__version__tags_entry__init(&e[i]);
        e[i].key = spec->labels[i]->key;
        e[i].value = spec->labels[i]->value;
        p[i] = &e[i];
    }
    *storage = e;
    return p;
}

/* The job as SUCCEEDED: what lib/train reports replaces the live fields. */
static void success_record(const run_ctx *c, const aia_train_result *res, AiaStore__V1__Time *now,
                           aia_job_record *fin) {
    const aia_job_record *r = &res->job;
    *fin = *c->live;
    fin->state = JOBS_SUCCEEDED;
    fin->error = "";
    fin->progress = 1;
    fin->end_time = now;
    fin->update_time = now;
    if (r->algorithm != NULL && r->algorithm[0] != '\0') fin->algorithm = r->algorithm;
    if (r->n_hyperparameters > 0) {
        fin->n_hyperparameters = r->n_hyperparameters;
        fin->hyperparameters = r->hyperparameters;
    }
    fin->n_metrics = r->n_metrics;
    fin->metrics = r->metrics;
    fin->n_validation_metrics = r->n_validation_metrics;
    fin->validation_metrics = r->validation_metrics;
    if (r->hpo != NULL) fin->hpo = r->hpo;
    if (r->data_split != NULL) fin->data_split = r->data_split;
}

static void finish_publish(run_ctx *c, aia_train_result *res) {
    char hex[AIA_SHA256_HEX_LEN + 1];
    aia_error err;
    if (aia_artifact_put(c->j->data_dir, res->model_file, res->model_file_len, hex, &err) != AIA_OK) {
        char msg[AIA_ERROR_MESSAGE_MAX + 32];
        snprintf(msg, sizeof msg, "storing the model file: %s", err.message);
        finish_failed(c, msg);
        return;
    }
    const aia_job_spec *spec = c->live->spec;
    AiaStore__V1__Time now;
    jobs_time_fill(&now, aia_time_now_ns());
    aia_version_record v = res->version;
    v.model_id = c->live->model_id;
    v.version = c->live->model_version;
    v.state = AIA_STORE__V1__VERSION_STATE__VERSION_READY;
    v.description = spec->description;
    AiaStore__V1__Version__TagsEntry *tag_storage = NULL;
    v.tags = tags_from_labels(spec, &tag_storage);
    v.n_tags = v.tags != NULL ? spec->n_labels : 0;
    v.create_time = &now;
    v.artifact_sha256 = hex;
    v.artifact_size_bytes = (int64_t)res->model_file_len;
    v.n_aliases = 0;
    v.n_endpoint_ids = 0;
    aia_job_record fin;
    success_record(c, res, &now, &fin);

    pthread_mutex_lock(&c->hub->mu);
    aia_status st = aia_store_job_publish(c->j->store, &fin, &v, &err);
    if (st == AIA_OK)
        jobs_emit_state(c->hub, &fin, JOBS_RUNNING);
    else if (st == AIA_FAILED_PRECONDITION)
        announce_stored_locked(c); /* cancelled meanwhile: nothing published */
    if (st == AIA_OK || st == AIA_FAILED_PRECONDITION) c->hub->live = NULL;
    pthread_mutex_unlock(&c->hub->mu);
    free(v.tags);
    free(tag_storage);
    if (st == AIA_OK) {
        aia_log_event(AIA_LOG_INFO, "job_succeeded",
                      (aia_log_field[]){AIA_LOG_STR("job_id", fin.job_id), AIA_LOG_STR("model_id", fin.model_id),
                                        AIA_LOG_INT("version", fin.model_version)},
                      3);
    } else if (st != AIA_FAILED_PRECONDITION) {
        char msg[AIA_ERROR_MESSAGE_MAX + 48];
        snprintf(msg, sizeof msg, "publishing version %d: %s", v.version, err.message);
        finish_failed(c, msg);
    }
}

/* ---- the run ---------------------------------------------------------------- */

/* Announces RUNNING, unless the job stopped being ours between the claim
 * and now (a cancel raced with the claim: the store says so, and the
 * cancel has announced it). Returns 0 when the job must not run. */
static int begin(run_ctx *c) {
    aia_job_record *stored = NULL;
    aia_error err;
    int ok = 0;
    pthread_mutex_lock(&c->hub->mu);
    if (aia_store_job_get(c->j->store, c->live->job_id, &stored, &err) == AIA_OK &&
        stored->state == JOBS_RUNNING) {
        c->hub->live = c->live;
        jobs_emit_state(c->hub, c->live, JOBS_QUEUED);
        ok = 1;
    }
    pthread_mutex_unlock(&c->hub->mu);
    if (stored != NULL) aia_store_record_free(stored);
    c->last_write_mono = aia_time_mono_ns();
    return ok;
}

static aia_status train(run_ctx *c, aia_train_result *res, aia_error *err) {
    char scratch[4096];
    aia_status st = jobs_scratch_make(c->j->data_dir, c->live->job_id, scratch, sizeof scratch, err);
    if (st != AIA_OK) return st;
    aia_train_options opt = {
        .scratch_dir = scratch,
        .threads = c->j->threads_per_job,
        .engine_version = c->j->engine_version,
    };
    aia_train_hooks hooks = {
        .arg = c,
        .should_stop = hook_should_stop,
        .on_data = hook_on_data,
        .on_iteration = hook_on_iteration,
        .on_trial = hook_on_trial,
        .on_progress = hook_on_progress,
    };
    st = aia_train_run(c->live->spec, c->live->job_id, &opt, &hooks, res, err);
    jobs_scratch_remove(scratch);
    return st;
}

/* Decides the ending from lib/train's status and the stop reason. */
static void finish(run_ctx *c, aia_status st, aia_train_result *res, const aia_error *err) {
    int stop = atomic_load(&c->running->stop);
    if (st == AIA_OK && (stop == JOBS_STOP_NONE || stop == JOBS_STOP_SHUTDOWN)) {
        finish_publish(c, res); /* done is done, even when shutting down */
    } else if (st == AIA_OK || (st == AIA_CANCELLED && stop != JOBS_STOP_NONE)) {
        if (stop == JOBS_STOP_SHUTDOWN) {
            finish_requeue(c);
        } else { /* cancelled or lost: the store already has its fate */
            pthread_mutex_lock(&c->hub->mu);
            if (stop == JOBS_STOP_LOST) announce_stored_locked(c);
            c->hub->live = NULL;
            pthread_mutex_unlock(&c->hub->mu);
        }
    } else {
        finish_failed(c, err->message[0] ? err->message : aia_status_name(st));
    }
    if (st == AIA_OK) aia_train_result_free(res);
}

/* Registers the job among those running (for cancel, stop and the lease
 * thread). A job claimed while stopping is stopped at once. */
static void register_running(aia_jobs *j, jobs_running *r) {
    pthread_mutex_lock(&j->mu);
    if (j->stopping) atomic_store(&r->stop, JOBS_STOP_SHUTDOWN);
    r->next = j->running;
    j->running = r;
    pthread_mutex_unlock(&j->mu);
}

static void unregister_running(aia_jobs *j, jobs_running *r) {
    pthread_mutex_lock(&j->mu);
    jobs_running **p = &j->running;
    while (*p != NULL && *p != r) p = &(*p)->next;
    if (*p == r) *p = r->next;
    pthread_mutex_unlock(&j->mu);
}

void jobs_run(aia_jobs *j, const char *worker, aia_job_record *claimed) {
    jobs_running r = {.stop = JOBS_STOP_NONE};
    snprintf(r.job_id, sizeof r.job_id, "%s", claimed->job_id);
    snprintf(r.worker, sizeof r.worker, "%s", worker);
    register_running(j, &r);
    run_ctx c = {.j = j, .running = &r, .live = claimed};
    c.hub = jobs_hub_acquire(j, claimed->job_id);
    if (c.hub == NULL) {
        aia_logf(AIA_LOG_ERROR, "job_out_of_memory", "job %s: no memory to run it; left to lease recovery",
                 claimed->job_id);
    } else if (begin(&c)) {
        aia_log_event(AIA_LOG_INFO, "job_started",
                      (aia_log_field[]){AIA_LOG_STR("job_id", claimed->job_id), AIA_LOG_STR("worker", worker),
                                        AIA_LOG_INT("attempt", claimed->attempt)},
                      3);
        aia_train_result res;
        aia_error err;
        aia_error_clear(&err);
        aia_status st;
        if (claimed->spec == NULL)
            st = aia_error_set(&err, AIA_DATA_LOSS, "job %s has no spec (corrupt record)", claimed->job_id);
        else if (atomic_load(&r.stop) != JOBS_STOP_NONE)
            st = aia_error_set(&err, AIA_CANCELLED, "stopped before it started");
        else
            st = train(&c, &res, &err);
        finish(&c, st, &res, &err);
    }
    if (c.hub != NULL) jobs_hub_release(j, c.hub);
    unregister_running(j, &r);
    aia_store_record_free(claimed);
}
