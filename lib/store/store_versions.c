/* lib/store/store_versions.c — model versions and aliases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/store/store_internal.h"

typedef struct strings {
    char **v;
    size_t n;
} strings;

static void strings_free(strings *l) {
    for (size_t i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* The first column of every row of `sql` bound to (model_id, version). */
static aia_status query_strings(aia_store *s, const char *sql, const char *model_id, int version, strings *out,
                                aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, sql, &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id);
    sqlite3_bind_int(st, 2, version);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        char **v = realloc(out->v, (out->n + 1) * sizeof *v);
        char *str = strdup((const char *)sqlite3_column_text(st, 0));
        if (v == NULL || str == NULL) {
            free(str);
            if (v != NULL) out->v = v;
            sqlite3_finalize(st);
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory reading %s@%d", model_id, version);
        }
        out->v = v;
        out->v[out->n++] = str;
    }
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) return store_sql_error(s, err, "reading aliases or endpoints");
    return AIA_OK;
}

/* Reads the stored blob of model@version. */
static aia_status version_blob(aia_store *s, const char *model_id, int version, aia_version_record **out,
                               aia_error *err) {
    char what[200];
    snprintf(what, sizeof what, "model version %s@%d", model_id, version);
    return store_load_record(s, "SELECT record FROM model_versions WHERE model_id = ? AND version = ?", model_id,
                             version, &aia_store__v1__version__descriptor, what, (ProtobufCMessage **)out, err);
}

aia_status store_version_load(aia_store *s, const char *model_id, int version, aia_version_record **out,
                              aia_error *err) {
    aia_version_record *stored = NULL;
    strings aliases = {0}, endpoints = {0};
    *out = NULL;
    aia_status rc = version_blob(s, model_id, version, &stored, err);
    if (rc == AIA_OK)
        rc = query_strings(s, "SELECT alias FROM aliases WHERE model_id = ? AND version = ? ORDER BY alias", model_id,
                           version, &aliases, err);
    if (rc == AIA_OK)
        rc = query_strings(s,
                           "SELECT endpoint_id FROM deployments WHERE model_id = ? AND version = ? ORDER BY endpoint_id",
                           model_id, version, &endpoints, err);
    if (rc == AIA_OK) {
        aia_version_record v = *stored;
        v.aliases = aliases.v;
        v.n_aliases = aliases.n;
        v.endpoint_ids = endpoints.v;
        v.n_endpoint_ids = endpoints.n;
        rc = store_rebuild(&v.base, (ProtobufCMessage **)out, err);
    }
    strings_free(&aliases);
    strings_free(&endpoints);
    aia_store_record_free(stored);
    return rc;
}

aia_status store_version_ready(aia_store *s, const char *model_id, int version, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "SELECT state FROM model_versions WHERE model_id = ? AND version = ?", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id);
    sqlite3_bind_int(st, 2, version);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_int(st, 0) == AIA_STORE__V1__VERSION_STATE__VERSION_READY)
        rc = AIA_OK;
    else if (step == SQLITE_ROW)
        rc = aia_error_set(err, AIA_NOT_FOUND, "model version %s@%d was deleted", model_id, version);
    else if (step == SQLITE_DONE)
        rc = aia_error_set(err, AIA_NOT_FOUND, "model version %s@%d not found", model_id, version);
    else
        rc = store_sql_error(s, err, "reading a version's state");
    sqlite3_finalize(st);
    return rc;
}

aia_status aia_store_version_get(aia_store *s, const char *model_id, int version, aia_version_record **out,
                                 aia_error *err) {
    *out = NULL;
    aia_status rc = aia_store_check_id("model_id", model_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_version_load(s, model_id, version, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static aia_status latest_locked(aia_store *s, const char *model_id, int *version, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "SELECT MAX(version) FROM model_versions WHERE model_id = ? AND state = ?", &st,
                                  err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id);
    sqlite3_bind_int(st, 2, AIA_STORE__V1__VERSION_STATE__VERSION_READY);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *version = sqlite3_column_int(st, 0);
    } else if (step == SQLITE_ROW) {
        int task = 0;
        rc = store_model_exists(s, model_id, &task, err);
        if (rc == AIA_OK)
            rc = aia_error_set(err, AIA_NOT_FOUND, "model %s has no ready version (latest)", model_id);
    } else {
        rc = store_sql_error(s, err, "finding the latest version");
    }
    sqlite3_finalize(st);
    return rc;
}

aia_status aia_store_version_latest(aia_store *s, const char *model_id, int *version, aia_error *err) {
    *version = 0;
    aia_status rc = aia_store_check_id("model_id", model_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = latest_locked(s, model_id, version, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- aliases ------------------------------------------------------------------ */

static aia_status alias_write(aia_store *s, const char *model_id, const char *alias, int version, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc;
    if (version == 0) {
        rc = store_prepare(s, "DELETE FROM aliases WHERE model_id = ? AND alias = ?", &st, err);
    } else {
        rc = store_version_ready(s, model_id, version, err);
        if (rc == AIA_OK)
            rc = store_prepare(s,
                               "INSERT INTO aliases (model_id, alias, version) VALUES (?, ?, ?) "
                               "ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version",
                               &st, err);
    }
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id);
    store_bind_text(st, 2, alias);
    if (version != 0) sqlite3_bind_int(st, 3, version);
    return store_step_done(s, st, err, "writing an alias");
}

aia_status aia_store_alias_set(aia_store *s, const char *model_id, const char *alias, int version, aia_error *err) {
    aia_status rc = aia_store_check_id("model_id", model_id, err);
    if (rc == AIA_OK) rc = store_check_alias(alias, err);
    if (rc == AIA_OK && version < 0)
        rc = aia_error_set(err, AIA_INVALID_ARGUMENT, "version %d for alias %s is negative", version, alias);
    if (rc != AIA_OK) return rc;
    int task = 0;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) {
        aia_status work = store_model_exists(s, model_id, &task, err);
        if (work == AIA_OK) work = alias_write(s, model_id, alias, version, err);
        if (work == AIA_OK) work = store_model_touch(s, model_id, err);
        rc = store_end(s, work, 1, NULL, err);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

aia_status aia_store_alias_get(aia_store *s, const char *model_id, const char *alias, int *version,
                               aia_error *err) {
    *version = 0;
    aia_status rc = aia_store_check_id("model_id", model_id, err);
    if (rc != AIA_OK) return rc;
    if (alias == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "alias is NULL");
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    rc = store_prepare(s, "SELECT version FROM aliases WHERE model_id = ? AND alias = ?", &st, err);
    if (rc == AIA_OK) {
        store_bind_text(st, 1, model_id);
        store_bind_text(st, 2, alias);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            *version = sqlite3_column_int(st, 0);
        else if (step == SQLITE_DONE)
            rc = aia_error_set(err, AIA_NOT_FOUND, "alias %s@%s not found", model_id, alias);
        else
            rc = store_sql_error(s, err, "reading an alias");
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- delete ------------------------------------------------------------------- */

/* FAILED_PRECONDITION naming the first alias or endpoint holding the version. */
static aia_status check_unused(aia_store *s, const aia_version_record *v, aia_error *err) {
    if (v->n_aliases > 0)
        return aia_error_set(err, AIA_FAILED_PRECONDITION,
                             "model version %s@%d is aliased as \"%s\"%s: move or remove the alias first", v->model_id,
                             v->version, v->aliases[0], v->n_aliases > 1 ? " (and more)" : "");
    if (v->n_endpoint_ids > 0)
        return aia_error_set(err, AIA_FAILED_PRECONDITION,
                             "model version %s@%d is deployed on endpoint %s%s: undeploy it first", v->model_id,
                             v->version, v->endpoint_ids[0], v->n_endpoint_ids > 1 ? " (and more)" : "");
    return AIA_OK;
}

static aia_status mark_deleted(aia_store *s, const aia_version_record *v, aia_error *err) {
    AiaStore__V1__Time now;
    store_time_set(&now, aia_time_now_ns());
    aia_version_record stored = *v;
    stored.state = AIA_STORE__V1__VERSION_STATE__VERSION_DELETED;
    stored.delete_time = &now;
    stored.n_aliases = 0;
    stored.n_endpoint_ids = 0;
    sqlite3_stmt *st = NULL;
    aia_status rc =
        store_prepare(s, "UPDATE model_versions SET state = ?, record = ? WHERE model_id = ? AND version = ?", &st, err);
    if (rc != AIA_OK) return rc;
    sqlite3_bind_int(st, 1, stored.state);
    rc = store_bind_record(st, 2, &stored.base, err);
    if (rc != AIA_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    store_bind_text(st, 3, v->model_id);
    sqlite3_bind_int(st, 4, v->version);
    return store_step_done(s, st, err, "deleting a version");
}

static aia_status delete_locked(aia_store *s, const char *model_id, int version, aia_version_record **out,
                                aia_error *err) {
    aia_version_record *v = NULL;
    aia_status rc = store_version_load(s, model_id, version, &v, err);
    if (rc == AIA_OK && v->state == AIA_STORE__V1__VERSION_STATE__VERSION_DELETED)
        rc = aia_error_set(err, AIA_NOT_FOUND, "model version %s@%d is already deleted", model_id, version);
    if (rc == AIA_OK) rc = check_unused(s, v, err);
    if (rc == AIA_OK) rc = mark_deleted(s, v, err);
    if (rc == AIA_OK) rc = store_model_touch(s, model_id, err);
    aia_store_record_free(v);
    if (rc == AIA_OK && out != NULL) rc = store_version_load(s, model_id, version, out, err);
    return rc;
}

aia_status aia_store_version_delete(aia_store *s, const char *model_id, int version, aia_version_record **out,
                                    aia_error *err) {
    if (out != NULL) *out = NULL;
    aia_status rc = aia_store_check_id("model_id", model_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, delete_locked(s, model_id, version, out, err), 1, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- versions derived without training ------------------------------------ */

static aia_status derive_locked(aia_store *s, const aia_version_record *v, int *version, aia_error *err) {
    int task = 0;
    aia_status rc = store_model_exists(s, v->model_id, &task, err); /* NOT_FOUND names it */
    if (rc == AIA_OK) rc = store_reserve_version(s, v->model_id, version, err);
    if (rc != AIA_OK) return rc;
    aia_version_record copy = *v;
    copy.version = *version;
    rc = store_insert_version(s, &copy, aia_time_now_ns(), err);
    if (rc == AIA_OK) rc = store_model_touch(s, v->model_id, err);
    return rc;
}

aia_status aia_store_version_derive(aia_store *s, const aia_version_record *v, int *version, aia_error *err) {
    *version = 0;
    if (v == NULL || v->model_id == NULL || v->model_id[0] == '\0')
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "a derived version needs its model_id");
    pthread_mutex_lock(&s->mu);
    aia_status rc = store_exec(s, "PRAGMA synchronous=FULL", err); /* as publishing a trained version */
    if (rc == AIA_OK) rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, derive_locked(s, v, version, err), 1, NULL, err);
    aia_error ignored;
    store_exec(s, "PRAGMA synchronous=NORMAL", &ignored);
    pthread_mutex_unlock(&s->mu);
    if (rc != AIA_OK) *version = 0;
    return rc;
}
