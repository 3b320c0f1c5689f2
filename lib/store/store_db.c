/* lib/store/store_db.c — opening the database, the numbered migrations,
 * and the SQL helpers the other files share.
 *
 * Portability decision: the schema uses only plain CREATE TABLE / CREATE
 * INDEX with TEXT, BIGINT and BLOB columns, composite primary keys and
 * foreign keys, and the queries only standard SQL plus
 * `INSERT ... ON CONFLICT ... DO UPDATE/NOTHING` (SQLite >= 3.24 and
 * PostgreSQL >= 9.5 both have it), so a PostgreSQL backend can run the same
 * migrations with BLOB spelled BYTEA. SQLite-only statements (PRAGMAs,
 * BEGIN IMMEDIATE) are confined to this backend's connection set-up and
 * transaction helpers. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "lib/base/timeutil.h"
#include "lib/store/store_internal.h"

/* ---- migrations ---------------------------------------------------------- */

/* Migration N is kMigrations[N - 1]. Never edit one that shipped: add the
 * next. Every statement is applied in one transaction with its
 * schema_migrations row. */
static const char *const kMigrations[] = {
    /* 1: the initial schema. Each row keeps its record as a blob (records.proto)
     * plus the columns that queries filter, sort or join on. */
    "CREATE TABLE models ("
    "  model_id TEXT PRIMARY KEY,"
    "  task_type INTEGER NOT NULL,"
    "  next_version INTEGER NOT NULL,"  /* reserved at job submit, never reused */
    "  create_ns BIGINT NOT NULL,"
    "  record BLOB NOT NULL);"
    "CREATE TABLE model_versions ("
    "  model_id TEXT NOT NULL REFERENCES models(model_id),"
    "  version INTEGER NOT NULL,"
    "  state INTEGER NOT NULL,"
    "  record BLOB NOT NULL,"
    "  PRIMARY KEY (model_id, version));"
    "CREATE TABLE aliases ("
    "  model_id TEXT NOT NULL,"
    "  alias TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  PRIMARY KEY (model_id, alias),"
    "  FOREIGN KEY (model_id, version) REFERENCES model_versions(model_id, version));"
    "CREATE INDEX aliases_version ON aliases(model_id, version);"
    "CREATE TABLE jobs ("
    "  job_id TEXT PRIMARY KEY,"
    "  model_id TEXT NOT NULL REFERENCES models(model_id),"
    "  state INTEGER NOT NULL,"
    "  create_ns BIGINT NOT NULL,"
    "  idempotency_key TEXT,"
    "  lease_owner TEXT,"
    "  lease_until_ns BIGINT,"
    "  record BLOB NOT NULL);"
    "CREATE INDEX jobs_state ON jobs(state, create_ns);"
    "CREATE INDEX jobs_model ON jobs(model_id, create_ns);"
    /* NULL keys are distinct in SQLite and PostgreSQL alike. */
    "CREATE UNIQUE INDEX jobs_idempotency ON jobs(model_id, idempotency_key);"
    "CREATE TABLE trials ("
    "  job_id TEXT NOT NULL REFERENCES jobs(job_id),"
    "  number INTEGER NOT NULL,"
    "  record BLOB NOT NULL,"
    "  PRIMARY KEY (job_id, number));"
    "CREATE TABLE endpoints ("
    "  endpoint_id TEXT PRIMARY KEY,"
    "  revision INTEGER NOT NULL,"
    "  record BLOB NOT NULL);"
    "CREATE TABLE endpoint_revisions ("
    "  endpoint_id TEXT NOT NULL REFERENCES endpoints(endpoint_id),"
    "  revision INTEGER NOT NULL,"
    "  record BLOB NOT NULL,"
    "  PRIMARY KEY (endpoint_id, revision));"
    /* What each endpoint's current revision deploys, so that deleting a
     * version can refuse while deployed and endpoints list by model. */
    "CREATE TABLE deployments ("
    "  endpoint_id TEXT NOT NULL REFERENCES endpoints(endpoint_id),"
    "  model_id TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  PRIMARY KEY (endpoint_id, model_id, version),"
    "  FOREIGN KEY (model_id, version) REFERENCES model_versions(model_id, version));"
    "CREATE INDEX deployments_version ON deployments(model_id, version);",
    /* 2: drift (issue 6). Monitors, their reports (deleted with the monitor),
     * alerts (kept as history: no foreign key) and ground truth keyed by
     * the logged prediction it labels. `drifted` is 1 when a report has a
     * drift kind, for the drifted_only filter. */
    "CREATE TABLE drift_monitors ("
    "  monitor_id TEXT PRIMARY KEY,"
    "  model_id TEXT NOT NULL,"
    "  create_ns BIGINT NOT NULL,"
    "  record BLOB NOT NULL);"
    "CREATE INDEX drift_monitors_model ON drift_monitors(model_id, create_ns);"
    "CREATE TABLE drift_reports ("
    "  report_id TEXT PRIMARY KEY,"
    "  monitor_id TEXT NOT NULL REFERENCES drift_monitors(monitor_id),"
    "  model_id TEXT NOT NULL,"
    "  create_ns BIGINT NOT NULL,"
    "  drifted INTEGER NOT NULL,"
    "  record BLOB NOT NULL);"
    "CREATE INDEX drift_reports_time ON drift_reports(create_ns);"
    "CREATE INDEX drift_reports_monitor ON drift_reports(monitor_id, create_ns);"
    "CREATE INDEX drift_reports_model ON drift_reports(model_id, create_ns);"
    "CREATE TABLE drift_alerts ("
    "  alert_id TEXT PRIMARY KEY,"
    "  monitor_id TEXT NOT NULL,"
    "  model_id TEXT NOT NULL,"
    "  create_ns BIGINT NOT NULL,"
    "  record BLOB NOT NULL);"
    "CREATE INDEX drift_alerts_time ON drift_alerts(create_ns);"
    "CREATE TABLE ground_truth ("
    "  model_id TEXT NOT NULL,"
    "  prediction_id TEXT NOT NULL,"
    "  observe_ns BIGINT NOT NULL,"
    "  record BLOB NOT NULL,"
    "  PRIMARY KEY (model_id, prediction_id));",
};

#define MIGRATION_COUNT ((int)(sizeof kMigrations / sizeof kMigrations[0]))

static aia_status read_schema_version(aia_store *s, int *version, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "SELECT MAX(version) FROM schema_migrations", &st, err);
    if (rc != AIA_OK) return rc;
    int step = sqlite3_step(st);
    *version = step == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (step != SQLITE_ROW) return store_sql_error(s, err, "reading schema_migrations");
    return AIA_OK;
}

/* Applies migration n unless another process opening the same database
 * applied it first (checked inside the write transaction, so the two never
 * both run it). */
static aia_status apply_migration(aia_store *s, int n, aia_error *err) {
    aia_status rc = store_begin(s, err);
    if (rc != AIA_OK) return rc;
    int have = 0;
    rc = read_schema_version(s, &have, err);
    if (rc == AIA_OK && have >= n) {
        store_rollback(s);
        return AIA_OK;
    }
    if (rc == AIA_OK) rc = store_exec(s, kMigrations[n - 1], err);
    sqlite3_stmt *st = NULL;
    if (rc == AIA_OK)
        rc = store_prepare(s, "INSERT INTO schema_migrations (version, applied_ns) VALUES (?, ?)", &st, err);
    if (rc == AIA_OK) {
        sqlite3_bind_int(st, 1, n);
        sqlite3_bind_int64(st, 2, aia_time_now_ns());
        rc = store_step_done(s, st, err, "recording the migration");
    }
    if (rc == AIA_OK) rc = store_commit(s, err);
    if (rc != AIA_OK) {
        store_rollback(s);
        aia_error_prefix(err, "migration %d", n);
    }
    return rc;
}

static aia_status migrate(aia_store *s, aia_error *err) {
    aia_status rc = store_exec(s,
                               "CREATE TABLE IF NOT EXISTS schema_migrations ("
                               "  version INTEGER PRIMARY KEY, applied_ns BIGINT NOT NULL)",
                               err);
    int have = 0;
    if (rc == AIA_OK) rc = read_schema_version(s, &have, err);
    if (rc != AIA_OK) return rc;
    if (have > MIGRATION_COUNT)
        return aia_error_set(err, AIA_FAILED_PRECONDITION,
                             "the database has schema version %d, newer than this build's %d: "
                             "run a newer aia-server or restore a matching backup",
                             have, MIGRATION_COUNT);
    for (int n = have + 1; n <= MIGRATION_COUNT; n++) {
        rc = apply_migration(s, n, err);
        if (rc != AIA_OK) return rc;
    }
    s->schema_version = MIGRATION_COUNT;
    return AIA_OK;
}

/* ---- open / close ---------------------------------------------------------- */

#define BUSY_TIMEOUT_MS 5000

/* Switching a fresh database to WAL needs it to itself, and SQLite reports
 * SQLITE_BUSY for that without consulting the busy handler when another
 * connection is opening it at the same moment: retry for as long as the
 * busy timeout would have waited. */
static aia_status set_wal(aia_store *s, aia_error *err) {
    aia_status rc = AIA_OK;
    for (int waited = 0; waited <= BUSY_TIMEOUT_MS; waited += 10) {
        rc = store_exec(s, "PRAGMA journal_mode=WAL", err);
        int code = sqlite3_errcode(s->db);
        if (rc == AIA_OK || (code != SQLITE_BUSY && code != SQLITE_LOCKED)) return rc;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return rc;
}

static aia_status configure(aia_store *s, aia_error *err) {
    /* WAL: readers never block the writer; NORMAL sync is durable across a
     * process crash and loses at most the last commits on power loss, which
     * publishing commits avoid by switching to FULL (store_jobs_state.c). */
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    aia_status rc = set_wal(s, err);
    if (rc == AIA_OK) rc = store_exec(s, "PRAGMA synchronous=NORMAL", err);
    if (rc == AIA_OK) rc = store_exec(s, "PRAGMA foreign_keys=ON", err);
    return rc;
}

aia_status aia_store_open(const char *data_dir, aia_store **out, aia_error *err) {
    *out = NULL;
    struct stat sb;
    if (data_dir == NULL || data_dir[0] == '\0')
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "data_dir is empty");
    if (stat(data_dir, &sb) != 0)
        return aia_error_set(err, AIA_FAILED_PRECONDITION, "data directory %s: %s", data_dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return aia_error_set(err, AIA_FAILED_PRECONDITION, "data directory %s is not a directory", data_dir);
    size_t len = strlen(data_dir) + sizeof "/aia.db";
    char *path = malloc(len);
    aia_store *s = calloc(1, sizeof *s);
    if (path == NULL || s == NULL) {
        free(path);
        free(s);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory opening the store");
    }
    snprintf(path, len, "%s/aia.db", data_dir);
    pthread_mutex_init(&s->mu, NULL);
    atomic_init(&s->generation, 1);
    aia_status rc = AIA_OK;
    int orc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (orc != SQLITE_OK)
        rc = aia_error_set(err, AIA_INTERNAL, "opening %s: %s", path,
                           s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(orc));
    if (rc == AIA_OK) rc = configure(s, err);
    if (rc == AIA_OK) rc = migrate(s, err);
    if (rc != AIA_OK) {
        aia_error_prefix(err, "store %s", path);
        aia_store_close(s);
        free(path);
        return rc;
    }
    free(path);
    *out = s;
    return AIA_OK;
}

void aia_store_close(aia_store *s) {
    if (s == NULL) return;
    sqlite3_close_v2(s->db);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int aia_store_schema_version(aia_store *s) { return s->schema_version; }

uint64_t aia_store_generation(const aia_store *s) {
    return atomic_load(&((aia_store *)s)->generation);
}

void store_changed(aia_store *s) { atomic_fetch_add(&s->generation, 1); }

void aia_store_record_free(void *record) {
    if (record != NULL) protobuf_c_message_free_unpacked(record, NULL);
}

void aia_store_records_free(void **records, size_t n) {
    if (records == NULL) return;
    for (size_t i = 0; i < n; i++) aia_store_record_free(records[i]);
    free(records);
}

/* ---- SQL helpers ------------------------------------------------------------- */

/* A damaged or foreign file is DATA_LOSS (an operator restores a backup);
 * a busy database past the timeout is UNAVAILABLE (retry); the rest is
 * INTERNAL. */
static aia_status code_of(aia_store *s) {
    switch (sqlite3_errcode(s->db)) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return AIA_DATA_LOSS;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return AIA_UNAVAILABLE;
    case SQLITE_FULL:
        return AIA_RESOURCE_EXHAUSTED;
    default:
        return AIA_INTERNAL;
    }
}

aia_status store_sql_error(aia_store *s, aia_error *err, const char *what) {
    return aia_error_set(err, code_of(s), "%s: sqlite: %s", what, sqlite3_errmsg(s->db));
}

aia_status store_exec(aia_store *s, const char *sql, aia_error *err) {
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK) return AIA_OK;
    aia_status rc = aia_error_set(err, code_of(s), "sqlite: %s (in \"%.60s\")", msg ? msg : "error", sql);
    sqlite3_free(msg);
    return rc;
}

aia_status store_prepare(aia_store *s, const char *sql, sqlite3_stmt **st, aia_error *err) {
    if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) == SQLITE_OK) return AIA_OK;
    *st = NULL;
    return aia_error_set(err, code_of(s), "sqlite: %s (preparing \"%.60s\")", sqlite3_errmsg(s->db), sql);
}

aia_status store_step_done(aia_store *s, sqlite3_stmt *st, aia_error *err, const char *what) {
    int rc = sqlite3_step(st);
    aia_status out = rc == SQLITE_DONE ? AIA_OK : store_sql_error(s, err, what);
    sqlite3_finalize(st);
    return out;
}

void store_bind_text(sqlite3_stmt *st, int i, const char *v) {
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

aia_status store_begin(aia_store *s, aia_error *err) { return store_exec(s, "BEGIN IMMEDIATE", err); }

aia_status store_commit(aia_store *s, aia_error *err) { return store_exec(s, "COMMIT", err); }

void store_rollback(aia_store *s) {
    if (!sqlite3_get_autocommit(s->db)) sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

aia_status store_end(aia_store *s, aia_status rc, int changed, void *out, aia_error *err) {
    if (rc == AIA_OK) rc = store_commit(s, err);
    if (rc == AIA_OK) {
        if (changed) store_changed(s);
        return AIA_OK;
    }
    store_rollback(s);
    void **record = out;
    if (record != NULL) {
        aia_store_record_free(*record);
        *record = NULL;
    }
    return rc;
}

/* ---- blobs ------------------------------------------------------------------- */

aia_status store_pack(const ProtobufCMessage *m, uint8_t **buf, size_t *len, aia_error *err) {
    size_t n = protobuf_c_message_get_packed_size(m);
    *buf = malloc(n ? n : 1);
    if (*buf == NULL) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory packing a %s", m->descriptor->name);
    *len = protobuf_c_message_pack(m, *buf);
    return AIA_OK;
}

aia_status store_unpack_column(sqlite3_stmt *st, int col, const ProtobufCMessageDescriptor *d, const char *what,
                               ProtobufCMessage **out, aia_error *err) {
    const void *bytes = sqlite3_column_blob(st, col);
    size_t len = (size_t)sqlite3_column_bytes(st, col);
    *out = protobuf_c_message_unpack(d, NULL, len, bytes ? bytes : (const void *)"");
    if (*out == NULL)
        return aia_error_set(err, AIA_DATA_LOSS, "stored record of %s does not parse as %s (%zu bytes)", what,
                             d->name, len);
    return AIA_OK;
}

aia_status store_load_record(aia_store *s, const char *sql, const char *key, int number,
                             const ProtobufCMessageDescriptor *d, const char *what, ProtobufCMessage **out,
                             aia_error *err) {
    sqlite3_stmt *st = NULL;
    *out = NULL;
    aia_status rc = store_prepare(s, sql, &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, key);
    if (number > 0) sqlite3_bind_int(st, 2, number);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = store_unpack_column(st, 0, d, what, out, err);
    else if (step == SQLITE_DONE)
        rc = aia_error_set(err, AIA_NOT_FOUND, "%s not found", what);
    else
        rc = store_sql_error(s, err, "reading a record");
    sqlite3_finalize(st);
    return rc;
}

aia_status store_rebuild(const ProtobufCMessage *m, ProtobufCMessage **out, aia_error *err) {
    uint8_t *buf = NULL;
    size_t len = 0;
    *out = NULL;
    aia_status rc = store_pack(m, &buf, &len, err);
    if (rc != AIA_OK) return rc;
    *out = protobuf_c_message_unpack(m->descriptor, NULL, len, buf);
    free(buf);
    if (*out == NULL) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory copying a %s", m->descriptor->name);
    return AIA_OK;
}

aia_status store_bind_record(sqlite3_stmt *st, int i, const ProtobufCMessage *m, aia_error *err) {
    uint8_t *buf = NULL;
    size_t len = 0;
    aia_status rc = store_pack(m, &buf, &len, err);
    if (rc != AIA_OK) return rc;
    sqlite3_bind_blob(st, i, buf, (int)len, free);
    return AIA_OK;
}

/* ---- time ----------------------------------------------------------------------- */

void store_time_set(AiaStore__V1__Time *t, int64_t unix_ns) {
    aia_store__v1__time__init(t);
    t->seconds = unix_ns / 1000000000;
    t->nanos = (int32_t)(unix_ns % 1000000000);
}

/* ---- pages ----------------------------------------------------------------------- */

/* Tokens are "o" + the decimal offset of the next row. Offsets (not keys)
 * keep every list's filters and orders simple; a row inserted between
 * two page calls may shift one row across a page boundary, which listings
 * for people tolerate. */
aia_status store_page_parse(const aia_store_page *page, int *limit, int64_t *offset, aia_error *err) {
    *limit = STORE_DEFAULT_PAGE;
    *offset = 0;
    if (page == NULL) return AIA_OK;
    if (page->page_size < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "page_size %d is negative", page->page_size);
    if (page->page_size > 0) *limit = page->page_size > STORE_MAX_PAGE ? STORE_MAX_PAGE : page->page_size;
    const char *t = page->page_token;
    if (t == NULL || t[0] == '\0') return AIA_OK;
    char *end = NULL;
    errno = 0;
    long long v = t[0] == 'o' && t[1] >= '0' && t[1] <= '9' ? strtoll(t + 1, &end, 10) : -1;
    if (v < 0 || errno != 0 || end == NULL || *end != '\0')
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "page_token \"%.40s\" is not one this server issued", t);
    *offset = v;
    return AIA_OK;
}

aia_status store_page_next(int64_t offset, size_t returned, int more, char **next, aia_error *err) {
    *next = NULL;
    if (!more) return AIA_OK;
    char buf[32];
    snprintf(buf, sizeof buf, "o%" PRId64, offset + (int64_t)returned);
    *next = strdup(buf);
    if (*next == NULL) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for a page token");
    return AIA_OK;
}

aia_status store_list_push(store_list *l, void *item, aia_error *err) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void **items = realloc(l->items, cap * sizeof *items);
        if (items == NULL) {
            aia_store_record_free(item);
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory listing records");
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = item;
    return AIA_OK;
}

void store_list_free(store_list *l) {
    aia_store_records_free(l->items, l->n);
    l->items = NULL;
    l->n = l->cap = 0;
}

aia_status store_list_hand_over(aia_status rc, store_list *l, int64_t offset, int more, char **next, void *out,
                                size_t *n, aia_error *err) {
    if (rc == AIA_OK) rc = store_page_next(offset, l->n, more, next, err);
    if (rc != AIA_OK) {
        store_list_free(l);
        return rc;
    }
    *(void ***)out = l->items;
    *n = l->n;
    return AIA_OK;
}
