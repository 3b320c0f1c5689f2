/* lib/store/store_endpoints.c — endpoints, their revision history, and the
 * deployments index kept in step with each endpoint's current revision. */
#include <stdio.h>

#include "lib/base/timeutil.h"
#include "lib/store/store_internal.h"

static aia_status endpoint_blob(aia_store *s, const char *sql, const char *endpoint_id, int revision,
                                aia_endpoint_record **out, aia_error *err) {
    char what[180];
    if (revision > 0)
        snprintf(what, sizeof what, "endpoint %s revision %d", endpoint_id, revision);
    else
        snprintf(what, sizeof what, "endpoint %s", endpoint_id);
    return store_load_record(s, sql, endpoint_id, revision, &aia_store__v1__endpoint__descriptor, what,
                             (ProtobufCMessage **)out, err);
}

/* Every deployed version must be READY (deploying a deleted one is NOT_FOUND). */
static aia_status check_deployments(aia_store *s, const aia_endpoint_record *e, aia_error *err) {
    for (size_t i = 0; i < e->n_deployments; i++) {
        const aia_deployment_record *d = e->deployments[i];
        aia_status rc = aia_store_check_id("deployment model_id", d->model_id, err);
        if (rc == AIA_OK) rc = store_version_ready(s, d->model_id, d->model_version, err);
        if (rc != AIA_OK) {
            aia_error_prefix(err, "endpoint %s deployment %zu", e->endpoint_id, i);
            return rc;
        }
    }
    return AIA_OK;
}

static aia_status write_index(aia_store *s, const aia_endpoint_record *e, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "DELETE FROM deployments WHERE endpoint_id = ?", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, e->endpoint_id);
    rc = store_step_done(s, st, err, "clearing the deployments index");
    for (size_t i = 0; rc == AIA_OK && i < e->n_deployments; i++) {
        rc = store_prepare(s,
                           "INSERT INTO deployments (endpoint_id, model_id, version) VALUES (?, ?, ?) "
                           "ON CONFLICT (endpoint_id, model_id, version) DO NOTHING",
                           &st, err);
        if (rc != AIA_OK) break;
        store_bind_text(st, 1, e->endpoint_id);
        store_bind_text(st, 2, e->deployments[i]->model_id);
        sqlite3_bind_int(st, 3, e->deployments[i]->model_version);
        rc = store_step_done(s, st, err, "indexing a deployment");
    }
    return rc;
}

static aia_status write_row(aia_store *s, const char *sql, const aia_endpoint_record *e, int with_revision_first,
                            aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, sql, &st, err);
    if (rc != AIA_OK) return rc;
    /* (endpoint_id, revision, record) for inserts; (revision, record, endpoint_id) for the update. */
    int id_at = with_revision_first ? 3 : 1, rev_at = with_revision_first ? 1 : 2, rec_at = with_revision_first ? 2 : 3;
    store_bind_text(st, id_at, e->endpoint_id);
    sqlite3_bind_int(st, rev_at, e->revision);
    rc = store_bind_record(st, rec_at, &e->base, err);
    if (rc != AIA_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    return store_step_done(s, st, err, "writing an endpoint");
}

/* The revision row, the history row, and the index, for the record `e`. */
static aia_status write_all(aia_store *s, const aia_endpoint_record *e, int insert, aia_error *err) {
    aia_status rc =
        insert ? write_row(s, "INSERT INTO endpoints (endpoint_id, revision, record) VALUES (?, ?, ?)", e, 0, err)
               : write_row(s, "UPDATE endpoints SET revision = ?, record = ? WHERE endpoint_id = ?", e, 1, err);
    if (rc == AIA_OK)
        rc = write_row(s, "INSERT INTO endpoint_revisions (endpoint_id, revision, record) VALUES (?, ?, ?)", e, 0, err);
    if (rc == AIA_OK) rc = write_index(s, e, err);
    return rc;
}

static aia_status create_locked(aia_store *s, const aia_endpoint_record *e, aia_error *err) {
    aia_endpoint_record *old = NULL;
    aia_status rc = endpoint_blob(s, "SELECT record FROM endpoints WHERE endpoint_id = ?", e->endpoint_id, 0, &old, err);
    aia_store_record_free(old);
    if (rc == AIA_OK) return aia_error_set(err, AIA_ALREADY_EXISTS, "endpoint %s already exists", e->endpoint_id);
    if (rc != AIA_NOT_FOUND) return rc;
    rc = check_deployments(s, e, err);
    if (rc != AIA_OK) return rc;
    AiaStore__V1__Time now;
    store_time_set(&now, aia_time_now_ns());
    aia_endpoint_record copy = *e;
    copy.revision = 1;
    if (copy.create_time == NULL) copy.create_time = &now;
    copy.update_time = &now;
    return write_all(s, &copy, 1, err);
}

aia_status aia_store_endpoint_create(aia_store *s, const aia_endpoint_record *e, aia_error *err) {
    if (e == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "endpoint is NULL");
    aia_status rc = aia_store_check_id("endpoint_id", e->endpoint_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, create_locked(s, e, err), 1, NULL, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

aia_status aia_store_endpoint_get(aia_store *s, const char *endpoint_id, aia_endpoint_record **out,
                                  aia_error *err) {
    *out = NULL;
    aia_status rc = aia_store_check_id("endpoint_id", endpoint_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = endpoint_blob(s, "SELECT record FROM endpoints WHERE endpoint_id = ?", endpoint_id, 0, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

aia_status aia_store_endpoint_revision(aia_store *s, const char *endpoint_id, int revision,
                                       aia_endpoint_record **out, aia_error *err) {
    *out = NULL;
    aia_status rc = aia_store_check_id("endpoint_id", endpoint_id, err);
    if (rc != AIA_OK) return rc;
    if (revision <= 0)
        return aia_error_set(err, AIA_NOT_FOUND, "endpoint %s revision %d not found", endpoint_id, revision);
    pthread_mutex_lock(&s->mu);
    rc = endpoint_blob(s, "SELECT record FROM endpoint_revisions WHERE endpoint_id = ? AND revision = ?", endpoint_id,
                       revision, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- update -------------------------------------------------------------------- */

static aia_status update_locked(aia_store *s, const aia_endpoint_record *e, int expected, aia_endpoint_record **out,
                                aia_error *err) {
    aia_endpoint_record *stored = NULL;
    aia_status rc = endpoint_blob(s, "SELECT record FROM endpoints WHERE endpoint_id = ?", e->endpoint_id, 0, &stored,
                                  err);
    if (rc != AIA_OK) return rc;
    if (stored->revision != expected)
        rc = aia_error_set(err, AIA_ABORTED,
                           "endpoint %s is at revision %d, not %d: it changed meanwhile; read it again and retry",
                           e->endpoint_id, stored->revision, expected);
    if (rc == AIA_OK) rc = check_deployments(s, e, err);
    if (rc == AIA_OK) {
        AiaStore__V1__Time now;
        store_time_set(&now, aia_time_now_ns());
        aia_endpoint_record copy = *e;
        copy.revision = expected + 1;
        copy.create_time = stored->create_time;
        copy.update_time = &now;
        rc = write_all(s, &copy, 0, err);
        if (rc == AIA_OK && out != NULL) rc = store_rebuild(&copy.base, (ProtobufCMessage **)out, err);
    }
    aia_store_record_free(stored);
    return rc;
}

aia_status aia_store_endpoint_update(aia_store *s, const aia_endpoint_record *e, int expected_revision,
                                     aia_endpoint_record **out, aia_error *err) {
    if (out != NULL) *out = NULL;
    if (e == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "endpoint is NULL");
    aia_status rc = aia_store_check_id("endpoint_id", e->endpoint_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, update_locked(s, e, expected_revision, out, err), 1, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- list ------------------------------------------------------------------------ */

static aia_status list_locked(aia_store *s, const char *model_id, int limit, int64_t offset, store_list *l, int *more,
                              aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s,
                                  "SELECT e.endpoint_id, e.record FROM endpoints e WHERE ? = '' OR EXISTS "
                                  "(SELECT 1 FROM deployments d WHERE d.endpoint_id = e.endpoint_id "
                                  "AND d.model_id = ?) ORDER BY e.endpoint_id LIMIT ? OFFSET ?",
                                  &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id ? model_id : "");
    store_bind_text(st, 2, model_id ? model_id : "");
    sqlite3_bind_int(st, 3, limit + 1);
    sqlite3_bind_int64(st, 4, offset);
    int step;
    while (rc == AIA_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (l->n == (size_t)limit) {
            *more = 1;
            break;
        }
        char what[180];
        snprintf(what, sizeof what, "endpoint %s", (const char *)sqlite3_column_text(st, 0));
        ProtobufCMessage *m = NULL;
        rc = store_unpack_column(st, 1, &aia_store__v1__endpoint__descriptor, what, &m, err);
        if (rc == AIA_OK) rc = store_list_push(l, m, err);
    }
    if (rc == AIA_OK && step != SQLITE_DONE && step != SQLITE_ROW) rc = store_sql_error(s, err, "listing endpoints");
    sqlite3_finalize(st);
    return rc;
}

aia_status aia_store_endpoint_list(aia_store *s, const char *model_id, const aia_store_page *page,
                                   aia_endpoint_record ***out, size_t *n, char **next_page_token, aia_error *err) {
    *out = NULL;
    *n = 0;
    *next_page_token = NULL;
    int limit = 0, more = 0;
    int64_t offset = 0;
    aia_status rc = store_page_parse(page, &limit, &offset, err);
    if (rc != AIA_OK) return rc;
    store_list l = {0};
    pthread_mutex_lock(&s->mu);
    rc = list_locked(s, model_id, limit, offset, &l, &more, err);
    pthread_mutex_unlock(&s->mu);
    return store_list_hand_over(rc, &l, offset, more, next_page_token, out, n, err);
}
