/* lib/store/store_jobs.c — training jobs: submit (with the model's
 * creation and the version reservation), reads, updates, publishing,
 * cancelling; and HPO trials. Leases are in store_jobs_lease.c. */
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/store/store_internal.h"

typedef AiaStore__V1__JobState job_state;

int store_job_terminal(int state) {
    return state == AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED || state == AIA_STORE__V1__JOB_STATE__JOB_FAILED ||
           state == AIA_STORE__V1__JOB_STATE__JOB_CANCELLED;
}

const char *store_job_state_name(int state) {
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(&aia_store__v1__job_state__descriptor, state);
    return v ? v->name : "JOB_STATE_UNKNOWN";
}

aia_status store_job_load(aia_store *s, const char *job_id, aia_job_record **out, aia_error *err) {
    char what[160];
    snprintf(what, sizeof what, "training job %s", job_id);
    return store_load_record(s, "SELECT record FROM jobs WHERE job_id = ?", job_id, 0, &aia_store__v1__job__descriptor,
                             what, (ProtobufCMessage **)out, err);
}

aia_status store_job_write(aia_store *s, const aia_job_record *job, const char *lease_owner, int64_t lease_until_ns,
                           int clear_lease, aia_error *err) {
    const char *sql;
    if (clear_lease || store_job_terminal(job->state))
        sql = "UPDATE jobs SET state = ?, record = ?, lease_owner = NULL, lease_until_ns = NULL WHERE job_id = ?";
    else if (lease_owner != NULL)
        sql = "UPDATE jobs SET state = ?, record = ?, lease_owner = ?, lease_until_ns = ? WHERE job_id = ?";
    else
        sql = "UPDATE jobs SET state = ?, record = ? WHERE job_id = ?";
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, sql, &st, err);
    if (rc != AIA_OK) return rc;
    sqlite3_bind_int(st, 1, job->state);
    rc = store_bind_record(st, 2, &job->base, err);
    if (rc != AIA_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    int idx = 3;
    if (!clear_lease && !store_job_terminal(job->state) && lease_owner != NULL) {
        store_bind_text(st, 3, lease_owner);
        sqlite3_bind_int64(st, 4, lease_until_ns);
        idx = 5;
    }
    store_bind_text(st, idx, job->job_id);
    rc = store_step_done(s, st, err, "writing a job");
    if (rc == AIA_OK && sqlite3_changes(s->db) != 1)
        rc = aia_error_set(err, AIA_NOT_FOUND, "training job %s not found", job->job_id);
    return rc;
}

/* ---- submit ------------------------------------------------------------------- */

/* Every string-to-string map entry of records.proto has this layout. */
typedef struct str_entry {
    ProtobufCMessage base;
    char *key;
    char *value;
} str_entry;

typedef struct borrowed_map {
    str_entry *entries;
    str_entry **ptrs;
} borrowed_map;

/* Entries of descriptor d pointing at the strings of src (not copied). */
static int borrow_map(const ProtobufCMessageDescriptor *d, void *const *src, size_t n, borrowed_map *m) {
    m->entries = calloc(n ? n : 1, sizeof *m->entries);
    m->ptrs = calloc(n ? n : 1, sizeof *m->ptrs);
    if (m->entries == NULL || m->ptrs == NULL) return -1;
    for (size_t i = 0; i < n; i++) {
        const str_entry *e = src[i];
        protobuf_c_message_init(d, &m->entries[i]);
        m->entries[i].key = e->key;
        m->entries[i].value = e->value;
        m->ptrs[i] = &m->entries[i];
    }
    return 0;
}

static void borrowed_free(borrowed_map *m) {
    free(m->entries);
    free(m->ptrs);
}

static aia_status new_job_id(char id[21], aia_error *err) {
    unsigned char r[8];
    if (RAND_bytes(r, sizeof r) != 1)
        return aia_error_set(err, AIA_INTERNAL, "no random bytes for a job id (OpenSSL RAND_bytes failed)");
    memcpy(id, "job-", 4);
    for (int i = 0; i < 8; i++) snprintf(id + 4 + 2 * i, 3, "%02x", r[i]);
    return AIA_OK;
}

/* The existing job for (model, idempotency_key), or *out NULL. */
static aia_status find_idempotent(aia_store *s, const aia_job_spec *spec, aia_job_record **out, aia_error *err) {
    *out = NULL;
    if (spec->idempotency_key == NULL || spec->idempotency_key[0] == '\0') return AIA_OK;
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "SELECT job_id FROM jobs WHERE model_id = ? AND idempotency_key = ?", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, spec->model_id);
    store_bind_text(st, 2, spec->idempotency_key);
    int step = sqlite3_step(st);
    char id[64] = "";
    if (step == SQLITE_ROW) snprintf(id, sizeof id, "%s", (const char *)sqlite3_column_text(st, 0));
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = store_sql_error(s, err, "looking up an idempotency key");
    sqlite3_finalize(st);
    if (rc == AIA_OK && id[0] != '\0') rc = store_job_load(s, id, out, err);
    return rc;
}

/* The model's task (creating the model when missing), checked against the spec's. */
static aia_status ensure_model(aia_store *s, const aia_job_spec *spec, int *created, aia_error *err) {
    int task = 0;
    aia_status rc = store_model_exists(s, spec->model_id, &task, err);
    *created = 0;
    if (rc == AIA_NOT_FOUND) {
        *created = 1;
        return store_model_create(s, spec, err);
    }
    if (rc == AIA_OK && task != (int)spec->task_type) {
        const ProtobufCEnumValue *a = protobuf_c_enum_descriptor_get_value(&aia_store__v1__task_type__descriptor, task);
        const ProtobufCEnumValue *b =
            protobuf_c_enum_descriptor_get_value(&aia_store__v1__task_type__descriptor, spec->task_type);
        rc = aia_error_set(err, AIA_FAILED_PRECONDITION,
                           "model %s is a %s model; a job with task_type %s cannot add versions to it",
                           spec->model_id, a ? a->name : "?", b ? b->name : "?");
    }
    return rc;
}

aia_status store_reserve_version(aia_store *s, const char *model_id, int *version, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "SELECT next_version FROM models WHERE model_id = ?", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id);
    if (sqlite3_step(st) == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    else
        rc = store_sql_error(s, err, "reserving a version");
    sqlite3_finalize(st);
    if (rc == AIA_OK)
        rc = store_prepare(s, "UPDATE models SET next_version = next_version + 1 WHERE model_id = ?", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id);
    return store_step_done(s, st, err, "reserving a version");
}

static aia_status insert_job(aia_store *s, const aia_job_spec *spec, const char *created_by, int version,
                             aia_job_record **out, aia_error *err) {
    char id[21];
    aia_status rc = new_job_id(id, err);
    if (rc != AIA_OK) return rc;
    int64_t now_ns = aia_time_now_ns();
    AiaStore__V1__Time now;
    store_time_set(&now, now_ns);
    borrowed_map hp = {0}, labels = {0};
    if (borrow_map(&aia_store__v1__job__hyperparameters_entry__descriptor, (void *const *)spec->hyperparameters,
                   spec->n_hyperparameters, &hp) != 0 ||
        borrow_map(&aia_store__v1__job__labels_entry__descriptor, (void *const *)spec->labels, spec->n_labels,
                   &labels) != 0) {
        borrowed_free(&hp);
        borrowed_free(&labels);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory submitting a job");
    }
    aia_job_record j = AIA_STORE__V1__JOB__INIT;
    j.job_id = id;
    j.model_id = spec->model_id;
    j.model_version = version;
    j.state = AIA_STORE__V1__JOB_STATE__JOB_QUEUED;
    j.task_type = spec->task_type;
    j.algorithm = spec->algorithm;
    j.hyperparameters = (AiaStore__V1__Job__HyperparametersEntry **)hp.ptrs;
    j.n_hyperparameters = spec->n_hyperparameters;
    j.labels = (AiaStore__V1__Job__LabelsEntry **)labels.ptrs;
    j.n_labels = spec->n_labels;
    j.create_time = &now;
    j.update_time = &now;
    j.trigger = spec->trigger;
    j.trigger_id = spec->trigger_id;
    j.created_by = (char *)(created_by ? created_by : "");
    j.spec = (aia_job_spec *)spec;
    sqlite3_stmt *st = NULL;
    rc = store_prepare(s,
                       "INSERT INTO jobs (job_id, model_id, state, create_ns, idempotency_key, record) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       &st, err);
    if (rc == AIA_OK) {
        store_bind_text(st, 1, id);
        store_bind_text(st, 2, spec->model_id);
        sqlite3_bind_int(st, 3, j.state);
        sqlite3_bind_int64(st, 4, now_ns);
        store_bind_text(st, 5, spec->idempotency_key && spec->idempotency_key[0] ? spec->idempotency_key : NULL);
        rc = store_bind_record(st, 6, &j.base, err);
        if (rc == AIA_OK)
            rc = store_step_done(s, st, err, "inserting a job");
        else
            sqlite3_finalize(st);
    }
    if (rc == AIA_OK) rc = store_rebuild(&j.base, (ProtobufCMessage **)out, err);
    borrowed_free(&hp);
    borrowed_free(&labels);
    return rc;
}

static aia_status check_spec(const aia_job_spec *spec, aia_error *err) {
    if (spec == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "job spec is NULL");
    aia_status rc = aia_store_check_id("model_id", spec->model_id, err);
    if (rc != AIA_OK) return rc;
    if (spec->task_type != AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION &&
        spec->task_type != AIA_STORE__V1__TASK_TYPE__TASK_REGRESSION)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "task_type %d is not classification or regression (model %s)", (int)spec->task_type,
                             spec->model_id);
    return AIA_OK;
}

static aia_status submit_locked(aia_store *s, const aia_job_spec *spec, const char *created_by, aia_job_record **out,
                                int *created, int *model_created, aia_error *err) {
    aia_status rc = find_idempotent(s, spec, out, err);
    if (rc != AIA_OK || *out != NULL) return rc; /* an earlier submit with this key */
    int version = 0;
    rc = ensure_model(s, spec, model_created, err);
    if (rc == AIA_OK) rc = store_reserve_version(s, spec->model_id, &version, err);
    if (rc == AIA_OK) rc = insert_job(s, spec, created_by, version, out, err);
    if (rc == AIA_OK) *created = 1;
    return rc;
}

aia_status aia_store_job_submit(aia_store *s, const aia_job_spec *spec, const char *created_by,
                                aia_job_record **out, int *created, aia_error *err) {
    *out = NULL;
    int made = 0, model_created = 0;
    aia_status rc = check_spec(spec, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) {
        aia_status work = submit_locked(s, spec, created_by, out, &made, &model_created, err);
        rc = store_end(s, work, model_created, out, err);
    }
    if (rc != AIA_OK) made = 0;
    pthread_mutex_unlock(&s->mu);
    if (created) *created = made;
    return rc;
}

/* ---- reads ------------------------------------------------------------------------ */

aia_status aia_store_job_get(aia_store *s, const char *job_id, aia_job_record **out, aia_error *err) {
    *out = NULL;
    if (job_id == NULL || job_id[0] == '\0') return aia_error_set(err, AIA_INVALID_ARGUMENT, "job_id is empty");
    pthread_mutex_lock(&s->mu);
    aia_status rc = store_job_load(s, job_id, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

#define JOB_FILTER " WHERE (? = '' OR model_id = ?) AND (? = 0 OR ((? >> state) & 1) = 1)"

static void bind_job_filter(sqlite3_stmt *st, const char *model_id, unsigned mask) {
    store_bind_text(st, 1, model_id ? model_id : "");
    store_bind_text(st, 2, model_id ? model_id : "");
    sqlite3_bind_int64(st, 3, mask);
    sqlite3_bind_int64(st, 4, mask);
}

static aia_status list_jobs_locked(aia_store *s, const char *model_id, unsigned mask, int limit, int64_t offset,
                                   store_list *l, int *more, int *total, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(
        s, "SELECT job_id, record FROM jobs" JOB_FILTER " ORDER BY create_ns DESC, job_id DESC LIMIT ? OFFSET ?", &st,
        err);
    if (rc != AIA_OK) return rc;
    bind_job_filter(st, model_id, mask);
    sqlite3_bind_int(st, 5, limit + 1);
    sqlite3_bind_int64(st, 6, offset);
    int step;
    while (rc == AIA_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (l->n == (size_t)limit) {
            *more = 1;
            break;
        }
        ProtobufCMessage *m = NULL;
        rc = store_unpack_column(st, 1, &aia_store__v1__job__descriptor, (const char *)sqlite3_column_text(st, 0), &m,
                                 err);
        if (rc == AIA_OK) rc = store_list_push(l, m, err);
    }
    if (rc == AIA_OK && step != SQLITE_DONE && step != SQLITE_ROW) rc = store_sql_error(s, err, "listing jobs");
    sqlite3_finalize(st);
    if (rc != AIA_OK || total == NULL) return rc;
    rc = store_prepare(s, "SELECT COUNT(*) FROM jobs" JOB_FILTER, &st, err);
    if (rc != AIA_OK) return rc;
    bind_job_filter(st, model_id, mask);
    if (sqlite3_step(st) == SQLITE_ROW)
        *total = sqlite3_column_int(st, 0);
    else
        rc = store_sql_error(s, err, "counting jobs");
    sqlite3_finalize(st);
    return rc;
}

aia_status aia_store_job_list(aia_store *s, const char *model_id, unsigned state_mask, const aia_store_page *page,
                              aia_job_record ***out, size_t *n, char **next_page_token, int *total,
                              aia_error *err) {
    *out = NULL;
    *n = 0;
    *next_page_token = NULL;
    if (total) *total = 0;
    int limit = 0, more = 0;
    int64_t offset = 0;
    aia_status rc = store_page_parse(page, &limit, &offset, err);
    if (rc != AIA_OK) return rc;
    store_list l = {0};
    pthread_mutex_lock(&s->mu);
    rc = list_jobs_locked(s, model_id, state_mask, limit, offset, &l, &more, total, err);
    pthread_mutex_unlock(&s->mu);
    return store_list_hand_over(rc, &l, offset, more, next_page_token, out, n, err);
}
