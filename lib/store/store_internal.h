/* lib/store/store_internal.h — what the store's files share: the handle,
 * SQL helpers (statements, transactions, errors), record blobs, times and
 * page tokens. Every helper here expects the caller to hold s->mu (the
 * store's functions lock once at their entry and unlock at their exit). */
#ifndef AIA_STORE_STORE_INTERNAL_H
#define AIA_STORE_STORE_INTERNAL_H

#include <protobuf-c/protobuf-c.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdint.h>

#include "lib/store/store.h"

struct aia_store {
    sqlite3 *db;
    pthread_mutex_t mu;             /* one connection: every call holds it */
    _Atomic uint64_t generation;    /* see aia_store_generation() */
    int schema_version;
};

#define STORE_DEFAULT_PAGE 50
#define STORE_MAX_PAGE 1000

/* ---- SQL -------------------------------------------------------------- */

/* AIA_INTERNAL with `what` and SQLite's message for the connection. */
aia_status store_sql_error(aia_store *s, aia_error *err, const char *what);
aia_status store_exec(aia_store *s, const char *sql, aia_error *err);
aia_status store_prepare(aia_store *s, const char *sql, sqlite3_stmt **st, aia_error *err);
/* Steps a statement that returns no rows and finalizes it. */
aia_status store_step_done(aia_store *s, sqlite3_stmt *st, aia_error *err, const char *what);
/* Binds text (NULL binds SQL NULL). */
void store_bind_text(sqlite3_stmt *st, int i, const char *v);

/* BEGIN IMMEDIATE: the write lock up front, so two processes never
 * deadlock upgrading read locks. */
aia_status store_begin(aia_store *s, aia_error *err);
aia_status store_commit(aia_store *s, aia_error *err);
/* Rolls back when a transaction is open; safe to call on any failure path. */
void store_rollback(aia_store *s);
/* Ends the transaction store_begin() opened, given the status of the work
 * done in it: commits when rc is AIA_OK (then bumps the generation when
 * `changed`); otherwise, or when the commit fails, rolls back and frees the
 * record `out` points to (a `T **` the work filled; NULL for none), so a
 * failed call hands back nothing. Returns the final status. */
aia_status store_end(aia_store *s, aia_status rc, int changed, void *out, aia_error *err);

/* Bumps the generation (after a commit touching models, versions, aliases
 * or endpoints). */
void store_changed(aia_store *s);

/* ---- record blobs ------------------------------------------------------ */

/* Packs m into a malloc'd buffer. */
aia_status store_pack(const ProtobufCMessage *m, uint8_t **buf, size_t *len, aia_error *err);
/* Unpacks column `col` of the current row; AIA_DATA_LOSS naming `what`
 * when the bytes do not parse. */
aia_status store_unpack_column(sqlite3_stmt *st, int col, const ProtobufCMessageDescriptor *d, const char *what,
                               ProtobufCMessage **out, aia_error *err);
/* The `record` blob of the one row `sql` selects: parameter 1 is `key`,
 * parameter 2 `number` when it is > 0. NOT_FOUND says "<what> not found"
 * (what: "training job job-1", "model version churn@3"); DATA_LOSS names
 * `what` when the blob does not parse as d. */
aia_status store_load_record(aia_store *s, const char *sql, const char *key, int number,
                             const ProtobufCMessageDescriptor *d, const char *what, ProtobufCMessage **out,
                             aia_error *err);
/* Packs m (often a shallow copy pointing at borrowed parts) and unpacks the
 * bytes: the result owns all its memory and frees with
 * aia_store_record_free(). */
aia_status store_rebuild(const ProtobufCMessage *m, ProtobufCMessage **out, aia_error *err);
/* Binds the packed bytes of m as a blob (SQLITE_TRANSIENT copy). */
aia_status store_bind_record(sqlite3_stmt *st, int i, const ProtobufCMessage *m, aia_error *err);

/* ---- time ---------------------------------------------------------------- */

void store_time_set(AiaStore__V1__Time *t, int64_t unix_ns);

/* ---- pages ------------------------------------------------------------------ */

/* Limit and offset from a page request; INVALID_ARGUMENT for a bad token. */
aia_status store_page_parse(const aia_store_page *page, int *limit, int64_t *offset, aia_error *err);
/* *next = token for offset + returned when `more`, else NULL. */
aia_status store_page_next(int64_t offset, size_t returned, int more, char **next, aia_error *err);

/* A growable array of records for list calls. */
typedef struct store_list {
    void **items;
    size_t n, cap;
} store_list;
aia_status store_list_push(store_list *l, void *item, aia_error *err);
void store_list_free(store_list *l);
/* Ends a paged list call given the status of the query: on success sets
 * *next (store_page_next) and hands l's items to *out and *n; on any
 * failure frees them and returns the error. */
aia_status store_list_hand_over(aia_status rc, store_list *l, int64_t offset, int more, char **next, void *out,
                                size_t *n, aia_error *err);

/* ---- shared reads ------------------------------------------------------------ */

/* A version with aliases and endpoint_ids filled; NOT_FOUND names
 * model@version. */
aia_status store_version_load(aia_store *s, const char *model_id, int version, aia_version_record **out,
                              aia_error *err);
/* Whether a model row exists (NOT_FOUND names it), its task in *task. */
aia_status store_model_exists(aia_store *s, const char *model_id, int *task, aia_error *err);
/* Sets the model's update_time to now (in the caller's transaction). */
aia_status store_model_touch(aia_store *s, const char *model_id, aia_error *err);
/* Takes the model's next version number (never reused). In a transaction. */
aia_status store_reserve_version(aia_store *s, const char *model_id, int *version, aia_error *err);
/* Inserts a READY version (aliases, endpoints, delete time dropped;
 * create_time defaults to now). In a transaction. */
aia_status store_insert_version(aia_store *s, const aia_version_record *v, int64_t now_ns, aia_error *err);
/* Whether model@version is READY: NOT_FOUND naming it otherwise. */
aia_status store_version_ready(aia_store *s, const char *model_id, int version, aia_error *err);
/* Inserts the model row for a first job submit (task, description, labels
 * as tags, next_version 1). */
aia_status store_model_create(aia_store *s, const aia_job_spec *spec, aia_error *err);
/* Alias names (see aia_store_alias_set). */
aia_status store_check_alias(const char *alias, aia_error *err);


/* ---- jobs ------------------------------------------------------------------ */

/* The stored job; NOT_FOUND names it. */
aia_status store_job_load(aia_store *s, const char *job_id, aia_job_record **out, aia_error *err);
/* Writes a job's record and state. A terminal state (or `clear_lease`)
 * drops the lease; otherwise `lease_owner` non-NULL sets the lease and
 * NULL keeps it. */
aia_status store_job_write(aia_store *s, const aia_job_record *job, const char *lease_owner, int64_t lease_until_ns,
                           int clear_lease, aia_error *err);
int store_job_terminal(int state);
/* "JOB_RUNNING" etc. */
const char *store_job_state_name(int state);

#endif
