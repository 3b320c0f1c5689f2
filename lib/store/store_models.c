/* lib/store/store_models.c — registered models: reads with their derived
 * fields (aliases, latest version, count, versions), listing, creation at
 * job submit. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/store/store_internal.h"

typedef AiaStore__V1__Model__AliasesEntry alias_entry;

aia_status store_model_exists(aia_store *s, const char *model_id, int *task, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "SELECT task_type FROM models WHERE model_id = ?", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        *task = sqlite3_column_int(st, 0);
    else if (step == SQLITE_DONE)
        rc = aia_error_set(err, AIA_NOT_FOUND, "model %s not found", model_id);
    else
        rc = store_sql_error(s, err, "reading a model");
    sqlite3_finalize(st);
    return rc;
}

static aia_status model_blob(aia_store *s, const char *model_id, aia_model_record **out, aia_error *err) {
    char what[180];
    snprintf(what, sizeof what, "model %s", model_id);
    return store_load_record(s, "SELECT record FROM models WHERE model_id = ?", model_id, 0,
                             &aia_store__v1__model__descriptor, what, (ProtobufCMessage **)out, err);
}

static aia_status write_model_blob(aia_store *s, const aia_model_record *m, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "UPDATE models SET record = ? WHERE model_id = ?", &st, err);
    if (rc != AIA_OK) return rc;
    rc = store_bind_record(st, 1, &m->base, err);
    if (rc != AIA_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    store_bind_text(st, 2, m->model_id);
    return store_step_done(s, st, err, "updating a model");
}

aia_status store_model_touch(aia_store *s, const char *model_id, aia_error *err) {
    aia_model_record *m = NULL;
    aia_status rc = model_blob(s, model_id, &m, err);
    if (rc != AIA_OK) return rc;
    AiaStore__V1__Time now;
    store_time_set(&now, aia_time_now_ns());
    aia_model_record copy = *m;
    copy.update_time = &now;
    rc = write_model_blob(s, &copy, err);
    aia_store_record_free(m);
    return rc;
}

aia_status store_model_create(aia_store *s, const aia_job_spec *spec, aia_error *err) {
    int64_t now_ns = aia_time_now_ns();
    AiaStore__V1__Time now;
    store_time_set(&now, now_ns);
    aia_model_record m = AIA_STORE__V1__MODEL__INIT;
    m.model_id = spec->model_id;
    m.task_type = spec->task_type;
    m.description = spec->description;
    /* The spec's labels become the model's tags: same layout (string to
     * string), so the entries are repacked under the tags type. */
    AiaStore__V1__Model__TagsEntry *tags = calloc(spec->n_labels ? spec->n_labels : 1, sizeof *tags);
    AiaStore__V1__Model__TagsEntry **ptrs = calloc(spec->n_labels ? spec->n_labels : 1, sizeof *ptrs);
    if (tags == NULL || ptrs == NULL) {
        free(tags);
        free(ptrs);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory creating model %s", spec->model_id);
    }
    for (size_t i = 0; i < spec->n_labels; i++) {
        aia_store__v1__model__tags_entry__init(&tags[i]);
        tags[i].key = spec->labels[i]->key;
        tags[i].value = spec->labels[i]->value;
        ptrs[i] = &tags[i];
    }
    m.tags = ptrs;
    m.n_tags = spec->n_labels;
    m.create_time = &now;
    m.update_time = &now;
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(
        s, "INSERT INTO models (model_id, task_type, next_version, create_ns, record) VALUES (?, ?, 1, ?, ?)", &st, err);
    if (rc == AIA_OK) {
        store_bind_text(st, 1, spec->model_id);
        sqlite3_bind_int(st, 2, spec->task_type);
        sqlite3_bind_int64(st, 3, now_ns);
        rc = store_bind_record(st, 4, &m.base, err);
        if (rc == AIA_OK)
            rc = store_step_done(s, st, err, "creating a model");
        else
            sqlite3_finalize(st);
    }
    free(tags);
    free(ptrs);
    return rc;
}

/* ---- derived fields ------------------------------------------------------------ */

typedef struct model_extras {
    alias_entry *entries;
    alias_entry **ptrs;
    size_t n_aliases;
    int latest, count;
    aia_version_record **versions;
    size_t n_versions;
} model_extras;

static void extras_free(model_extras *x) {
    for (size_t i = 0; i < x->n_aliases; i++) free(x->entries[i].key);
    free(x->entries);
    free(x->ptrs);
    aia_store_records_free((void **)x->versions, x->n_versions);
    memset(x, 0, sizeof *x);
}

static aia_status read_aliases(aia_store *s, const char *model_id, model_extras *x, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc =
        store_prepare(s, "SELECT alias, version FROM aliases WHERE model_id = ? ORDER BY alias", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id);
    int step;
    size_t cap = 0;
    while (rc == AIA_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (x->n_aliases == cap) {
            cap = cap ? cap * 2 : 4;
            alias_entry *e = realloc(x->entries, cap * sizeof *e);
            if (e == NULL) {
                rc = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory reading aliases of %s", model_id);
                break;
            }
            x->entries = e;
        }
        alias_entry *e = &x->entries[x->n_aliases];
        aia_store__v1__model__aliases_entry__init(e);
        e->key = strdup((const char *)sqlite3_column_text(st, 0));
        e->value = sqlite3_column_int(st, 1);
        if (e->key == NULL)
            rc = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory reading aliases of %s", model_id);
        else
            x->n_aliases++;
    }
    if (rc == AIA_OK && step != SQLITE_DONE) rc = store_sql_error(s, err, "reading aliases");
    sqlite3_finalize(st);
    if (rc != AIA_OK) return rc;
    x->ptrs = calloc(x->n_aliases ? x->n_aliases : 1, sizeof *x->ptrs);
    if (x->ptrs == NULL) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory reading aliases");
    for (size_t i = 0; i < x->n_aliases; i++) x->ptrs[i] = &x->entries[i];
    return AIA_OK;
}

static aia_status read_counts(aia_store *s, const char *model_id, model_extras *x, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s,
                                  "SELECT MAX(version), COUNT(*) FROM model_versions "
                                  "WHERE model_id = ? AND state = ?",
                                  &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id);
    sqlite3_bind_int(st, 2, AIA_STORE__V1__VERSION_STATE__VERSION_READY);
    if (sqlite3_step(st) == SQLITE_ROW) {
        x->latest = sqlite3_column_int(st, 0); /* NULL reads as 0: no version yet */
        x->count = sqlite3_column_int(st, 1);
    } else {
        rc = store_sql_error(s, err, "counting versions");
    }
    sqlite3_finalize(st);
    return rc;
}

static aia_status read_versions(aia_store *s, const char *model_id, int include_deleted, model_extras *x,
                                aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s,
                                  "SELECT version FROM model_versions WHERE model_id = ? AND (? = 1 OR state = ?) "
                                  "ORDER BY version DESC", /* the contract lists versions newest first */
                                  &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, model_id);
    sqlite3_bind_int(st, 2, include_deleted ? 1 : 0);
    sqlite3_bind_int(st, 3, AIA_STORE__V1__VERSION_STATE__VERSION_READY);
    store_list l = {0};
    int step;
    int *numbers = NULL;
    size_t n = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int *v = realloc(numbers, (n + 1) * sizeof *v);
        if (v == NULL) break;
        numbers = v;
        numbers[n++] = sqlite3_column_int(st, 0);
    }
    if (step != SQLITE_DONE) rc = step == SQLITE_ROW ? aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory")
                                                     : store_sql_error(s, err, "listing versions");
    sqlite3_finalize(st);
    for (size_t i = 0; rc == AIA_OK && i < n; i++) {
        aia_version_record *v = NULL;
        rc = store_version_load(s, model_id, numbers[i], &v, err);
        if (rc == AIA_OK) rc = store_list_push(&l, v, err);
    }
    free(numbers);
    if (rc != AIA_OK) {
        store_list_free(&l);
        return rc;
    }
    x->versions = (aia_version_record **)l.items;
    x->n_versions = l.n;
    return AIA_OK;
}

/* The model's blob plus its derived fields; versions only when asked. */
static aia_status model_load(aia_store *s, const char *model_id, int with_versions, int include_deleted,
                             aia_model_record **out, aia_error *err) {
    aia_model_record *m = NULL;
    model_extras x = {0};
    *out = NULL;
    aia_status rc = model_blob(s, model_id, &m, err);
    if (rc == AIA_OK) rc = read_aliases(s, model_id, &x, err);
    if (rc == AIA_OK) rc = read_counts(s, model_id, &x, err);
    if (rc == AIA_OK && with_versions) rc = read_versions(s, model_id, include_deleted, &x, err);
    if (rc == AIA_OK) {
        aia_model_record copy = *m;
        copy.aliases = x.ptrs;
        copy.n_aliases = x.n_aliases;
        copy.latest_version = x.latest;
        copy.version_count = x.count;
        copy.versions = x.versions;
        copy.n_versions = x.n_versions;
        rc = store_rebuild(&copy.base, (ProtobufCMessage **)out, err);
    }
    extras_free(&x);
    aia_store_record_free(m);
    return rc;
}

aia_status aia_store_model_get(aia_store *s, const char *model_id, int include_deleted, aia_model_record **out,
                               aia_error *err) {
    *out = NULL;
    aia_status rc = aia_store_check_id("model_id", model_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = model_load(s, model_id, 1, include_deleted, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- list ------------------------------------------------------------------------ */

#define MODEL_FILTER " WHERE (? = 0 OR task_type = ?) AND (? = 0 OR substr(model_id, 1, ?) = ?)"

static void bind_model_filter(sqlite3_stmt *st, int task, const char *prefix) {
    int plen = prefix ? (int)strlen(prefix) : 0;
    sqlite3_bind_int(st, 1, task);
    sqlite3_bind_int(st, 2, task);
    sqlite3_bind_int(st, 3, plen);
    sqlite3_bind_int(st, 4, plen);
    store_bind_text(st, 5, prefix ? prefix : "");
}

static aia_status count_models(aia_store *s, int task, const char *prefix, int *total, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "SELECT COUNT(*) FROM models" MODEL_FILTER, &st, err);
    if (rc != AIA_OK) return rc;
    bind_model_filter(st, task, prefix);
    if (sqlite3_step(st) == SQLITE_ROW)
        *total = sqlite3_column_int(st, 0);
    else
        rc = store_sql_error(s, err, "counting models");
    sqlite3_finalize(st);
    return rc;
}

static aia_status list_locked(aia_store *s, int task, const char *prefix, int limit, int64_t offset, store_list *l,
                              int *more, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc =
        store_prepare(s, "SELECT model_id FROM models" MODEL_FILTER " ORDER BY model_id LIMIT ? OFFSET ?", &st, err);
    if (rc != AIA_OK) return rc;
    bind_model_filter(st, task, prefix);
    sqlite3_bind_int(st, 6, limit + 1);
    sqlite3_bind_int64(st, 7, offset);
    store_list ids = {0};
    int step;
    while (rc == AIA_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        char *id = strdup((const char *)sqlite3_column_text(st, 0));
        if (id == NULL) rc = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory listing models");
        if (rc == AIA_OK && ids.n == ids.cap) {
            size_t cap = ids.cap ? ids.cap * 2 : 16;
            void **items = realloc(ids.items, cap * sizeof *items);
            if (items == NULL) {
                rc = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory listing models");
            } else {
                ids.items = items;
                ids.cap = cap;
            }
        }
        if (rc == AIA_OK)
            ids.items[ids.n++] = id;
        else
            free(id);
    }
    if (rc == AIA_OK && step != SQLITE_DONE) rc = store_sql_error(s, err, "listing models");
    sqlite3_finalize(st);
    *more = ids.n > (size_t)limit;
    for (size_t i = 0; rc == AIA_OK && i < ids.n && i < (size_t)limit; i++) {
        aia_model_record *m = NULL;
        rc = model_load(s, ids.items[i], 0, 0, &m, err);
        if (rc == AIA_OK) rc = store_list_push(l, m, err);
    }
    for (size_t i = 0; i < ids.n; i++) free(ids.items[i]);
    free(ids.items);
    return rc;
}

aia_status aia_store_model_list(aia_store *s, int task, const char *prefix, const aia_store_page *page,
                                aia_model_record ***out, size_t *n, char **next_page_token, int *total,
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
    rc = list_locked(s, task, prefix, limit, offset, &l, &more, err);
    if (rc == AIA_OK && total) rc = count_models(s, task, prefix, total, err);
    pthread_mutex_unlock(&s->mu);
    return store_list_hand_over(rc, &l, offset, more, next_page_token, out, n, err);
}
