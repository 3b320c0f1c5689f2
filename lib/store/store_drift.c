/* lib/store/store_drift.c — drift monitors, their reports, drift alerts and
 * ground truth (issue 6). Each row keeps its record blob plus the columns
 * the lists filter and sort on (migration 2 in store_db.c). */
#include <stdio.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/store/store_internal.h"

#define NS_PER_S 1000000000LL
#define ALERT_DEFAULT_LIMIT 1000

/* A Time as int64 ns, saturating: a record with an absurd time (the store
 * does not validate content) must not overflow. 3 s of margin covers any
 * int32 nanos. */
static int64_t time_ns(const AiaStore__V1__Time *t) {
    const int64_t max_s = INT64_MAX / NS_PER_S - 3;
    if (t == NULL) return 0;
    if (t->seconds > max_s) return INT64_MAX;
    if (t->seconds < -max_s) return INT64_MIN;
    return t->seconds * NS_PER_S + t->nanos;
}

static int is_empty(const char *v) { return v == NULL || v[0] == '\0'; }

static aia_status need_id(const char *what, const char *id, aia_error *err) {
    if (is_empty(id)) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s is empty", what);
    return AIA_OK;
}

/* Whether the one-parameter query `sql` returns a row for key. */
static aia_status row_exists(aia_store *s, const char *sql, const char *key, int *found, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, sql, &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, key);
    int step = sqlite3_step(st);
    *found = step == SQLITE_ROW;
    if (step != SQLITE_ROW && step != SQLITE_DONE) rc = store_sql_error(s, err, "looking up a drift row");
    sqlite3_finalize(st);
    return rc;
}

/* Binds m's bytes at parameter i, then steps st to completion (finalizing
 * it on every path). */
static aia_status write_with_record(aia_store *s, sqlite3_stmt *st, int i, const ProtobufCMessage *m,
                                    const char *what, aia_error *err) {
    aia_status rc = store_bind_record(st, i, m, err);
    if (rc != AIA_OK) {
        sqlite3_finalize(st);
        return rc;
    }
    return store_step_done(s, st, err, what);
}

/* Steps st (column 0: the row's id, column 1: its record) into l and
 * finalizes it. With max > 0, stops after max rows and sets *more when
 * another follows (queries ask for max + 1). */
static aia_status collect(aia_store *s, sqlite3_stmt *st, const ProtobufCMessageDescriptor *d, const char *kind,
                          size_t max, store_list *l, int *more, aia_error *err) {
    aia_status rc = AIA_OK;
    int step = SQLITE_DONE;
    while (rc == AIA_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        if (max > 0 && l->n == max) {
            *more = 1;
            break;
        }
        char what[200];
        snprintf(what, sizeof what, "%s %s", kind, (const char *)sqlite3_column_text(st, 0));
        ProtobufCMessage *m = NULL;
        rc = store_unpack_column(st, 1, d, what, &m, err);
        if (rc == AIA_OK) rc = store_list_push(l, m, err);
    }
    if (rc == AIA_OK && step != SQLITE_DONE && step != SQLITE_ROW) rc = store_sql_error(s, err, "listing drift rows");
    sqlite3_finalize(st);
    return rc;
}

/* ---- monitors --------------------------------------------------------------- */

static aia_status monitor_load(aia_store *s, const char *monitor_id, aia_drift_monitor_record **out,
                               aia_error *err) {
    char what[200];
    snprintf(what, sizeof what, "drift monitor %s", monitor_id);
    return store_load_record(s, "SELECT record FROM drift_monitors WHERE monitor_id = ?", monitor_id, 0,
                             &aia_store__v1__drift_monitor__descriptor, what, (ProtobufCMessage **)out, err);
}

/* Rewrites the monitor's record (and model_id column); NOT_FOUND when the
 * row is absent. */
static aia_status monitor_write(aia_store *s, const aia_drift_monitor_record *m, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "UPDATE drift_monitors SET model_id = ?, record = ? WHERE monitor_id = ?", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, m->model_id ? m->model_id : "");
    store_bind_text(st, 3, m->monitor_id);
    rc = write_with_record(s, st, 2, &m->base, "writing a drift monitor", err);
    if (rc == AIA_OK && sqlite3_changes(s->db) != 1)
        rc = aia_error_set(err, AIA_NOT_FOUND, "drift monitor %s not found", m->monitor_id);
    return rc;
}

static aia_status monitor_create_locked(aia_store *s, const aia_drift_monitor_record *m, aia_error *err) {
    int found = 0;
    aia_status rc = row_exists(s, "SELECT 1 FROM drift_monitors WHERE monitor_id = ?", m->monitor_id, &found, err);
    if (rc != AIA_OK) return rc;
    if (found) return aia_error_set(err, AIA_ALREADY_EXISTS, "drift monitor %s already exists", m->monitor_id);
    AiaStore__V1__Time now;
    aia_drift_monitor_record copy = *m;
    if (copy.create_time == NULL) {
        store_time_set(&now, aia_time_now_ns());
        copy.create_time = &now;
    }
    sqlite3_stmt *st = NULL;
    rc = store_prepare(s, "INSERT INTO drift_monitors (monitor_id, model_id, create_ns, record) VALUES (?, ?, ?, ?)",
                       &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, copy.monitor_id);
    store_bind_text(st, 2, copy.model_id ? copy.model_id : "");
    sqlite3_bind_int64(st, 3, time_ns(copy.create_time));
    return write_with_record(s, st, 4, &copy.base, "inserting a drift monitor", err);
}

aia_status aia_store_drift_monitor_create(aia_store *s, const aia_drift_monitor_record *m, aia_error *err) {
    if (m == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift monitor is NULL");
    aia_status rc = need_id("monitor_id", m->monitor_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, monitor_create_locked(s, m, err), 0, NULL, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

aia_status aia_store_drift_monitor_update(aia_store *s, const aia_drift_monitor_record *m, aia_error *err) {
    if (m == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift monitor is NULL");
    aia_status rc = need_id("monitor_id", m->monitor_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = monitor_write(s, m, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

aia_status aia_store_drift_monitor_get(aia_store *s, const char *monitor_id, aia_drift_monitor_record **out,
                                       aia_error *err) {
    *out = NULL;
    aia_status rc = need_id("monitor_id", monitor_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = monitor_load(s, monitor_id, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

aia_status aia_store_drift_monitor_list(aia_store *s, const char *model_id, aia_drift_monitor_record ***out,
                                        size_t *n, aia_error *err) {
    *out = NULL;
    *n = 0;
    store_list l = {0};
    int more = 0;
    char *next = NULL;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    aia_status rc = store_prepare(s,
                                  "SELECT monitor_id, record FROM drift_monitors WHERE ? = '' OR model_id = ? "
                                  "ORDER BY create_ns, monitor_id",
                                  &st, err);
    if (rc == AIA_OK) {
        store_bind_text(st, 1, model_id ? model_id : "");
        store_bind_text(st, 2, model_id ? model_id : "");
        rc = collect(s, st, &aia_store__v1__drift_monitor__descriptor, "drift monitor", 0, &l, &more, err);
    }
    pthread_mutex_unlock(&s->mu);
    return store_list_hand_over(rc, &l, 0, 0, &next, out, n, err);
}

static aia_status monitor_delete_locked(aia_store *s, const char *monitor_id, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "DELETE FROM drift_reports WHERE monitor_id = ?", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, monitor_id);
    rc = store_step_done(s, st, err, "deleting a drift monitor's reports");
    if (rc == AIA_OK) rc = store_prepare(s, "DELETE FROM drift_monitors WHERE monitor_id = ?", &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, monitor_id);
    rc = store_step_done(s, st, err, "deleting a drift monitor");
    if (rc == AIA_OK && sqlite3_changes(s->db) != 1)
        rc = aia_error_set(err, AIA_NOT_FOUND, "drift monitor %s not found", monitor_id);
    return rc;
}

aia_status aia_store_drift_monitor_delete(aia_store *s, const char *monitor_id, aia_error *err) {
    aia_status rc = need_id("monitor_id", monitor_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, monitor_delete_locked(s, monitor_id, err), 0, NULL, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* ---- reports ------------------------------------------------------------------ */

static aia_status report_load(aia_store *s, const char *report_id, aia_drift_report_record **out, aia_error *err) {
    char what[200];
    snprintf(what, sizeof what, "drift report %s", report_id);
    return store_load_record(s, "SELECT record FROM drift_reports WHERE report_id = ?", report_id, 0,
                             &aia_store__v1__drift_report__descriptor, what, (ProtobufCMessage **)out, err);
}

static aia_status report_insert(aia_store *s, const aia_drift_report_record *r, const char *model_id,
                                aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s,
                                  "INSERT INTO drift_reports (report_id, monitor_id, model_id, create_ns, drifted, "
                                  "record) VALUES (?, ?, ?, ?, ?, ?)",
                                  &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, r->report_id);
    store_bind_text(st, 2, r->monitor_id);
    store_bind_text(st, 3, model_id);
    sqlite3_bind_int64(st, 4, time_ns(r->create_time));
    sqlite3_bind_int(st, 5, r->n_drift_kinds > 0);
    return write_with_record(s, st, 6, &r->base, "inserting a drift report", err);
}

static aia_status report_put_locked(aia_store *s, const aia_drift_report_record *r, aia_error *err) {
    aia_drift_monitor_record *mon = NULL;
    aia_status rc = monitor_load(s, r->monitor_id, &mon, err);
    if (rc != AIA_OK) return rc;
    int found = 0;
    rc = row_exists(s, "SELECT 1 FROM drift_reports WHERE report_id = ?", r->report_id, &found, err);
    if (rc == AIA_OK && found)
        rc = aia_error_set(err, AIA_ALREADY_EXISTS, "drift report %s already exists", r->report_id);
    AiaStore__V1__Time now;
    aia_drift_report_record copy = *r;
    if (copy.create_time == NULL) {
        store_time_set(&now, aia_time_now_ns());
        copy.create_time = &now;
    }
    /* A report without its model_id still lists under its monitor's model. */
    if (rc == AIA_OK) rc = report_insert(s, &copy, is_empty(r->model_id) ? mon->model_id : r->model_id, err);
    if (rc == AIA_OK) {
        aia_drift_monitor_record m = *mon;
        m.latest_report_id = copy.report_id;
        m.last_check_time = copy.create_time;
        rc = monitor_write(s, &m, err);
    }
    aia_store_record_free(mon);
    return rc;
}

aia_status aia_store_drift_report_put(aia_store *s, const aia_drift_report_record *r, aia_error *err) {
    if (r == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift report is NULL");
    aia_status rc = need_id("report_id", r->report_id, err);
    if (rc == AIA_OK) rc = need_id("drift report monitor_id", r->monitor_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, report_put_locked(s, r, err), 0, NULL, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static aia_status report_update_locked(aia_store *s, const aia_drift_report_record *r, aia_error *err) {
    aia_drift_report_record *stored = NULL;
    aia_status rc = report_load(s, r->report_id, &stored, err);
    if (rc != AIA_OK) return rc;
    aia_drift_report_record copy = *r;
    if (copy.create_time == NULL) copy.create_time = stored->create_time;
    sqlite3_stmt *st = NULL;
    rc = store_prepare(s,
                       "UPDATE drift_reports SET model_id = COALESCE(?, model_id), create_ns = ?, drifted = ?, "
                       "record = ? WHERE report_id = ?",
                       &st, err);
    if (rc == AIA_OK) {
        store_bind_text(st, 1, is_empty(copy.model_id) ? NULL : copy.model_id);
        sqlite3_bind_int64(st, 2, time_ns(copy.create_time));
        sqlite3_bind_int(st, 3, copy.n_drift_kinds > 0);
        store_bind_text(st, 5, copy.report_id);
        rc = write_with_record(s, st, 4, &copy.base, "writing a drift report", err);
    }
    aia_store_record_free(stored);
    return rc;
}

aia_status aia_store_drift_report_update(aia_store *s, const aia_drift_report_record *r, aia_error *err) {
    if (r == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift report is NULL");
    aia_status rc = need_id("report_id", r->report_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, report_update_locked(s, r, err), 0, NULL, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

aia_status aia_store_drift_report_get(aia_store *s, const char *report_id, aia_drift_report_record **out,
                                      aia_error *err) {
    *out = NULL;
    aia_status rc = need_id("report_id", report_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = report_load(s, report_id, out, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Every filter is always bound ("? = '' OR ..."), so one statement serves
 * all combinations. */
static aia_status report_list_locked(aia_store *s, const aia_drift_report_filter *f, int limit, int64_t offset,
                                     store_list *l, int *more, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s,
                                  "SELECT report_id, record FROM drift_reports WHERE "
                                  "(? = '' OR monitor_id = ?) AND (? = '' OR model_id = ?) AND "
                                  "(? = 0 OR drifted = 1) AND (? = 0 OR create_ns >= ?) AND "
                                  "(? = 0 OR create_ns < ?) "
                                  "ORDER BY create_ns DESC, report_id DESC LIMIT ? OFFSET ?",
                                  &st, err);
    if (rc != AIA_OK) return rc;
    const char *monitor = f->monitor_id ? f->monitor_id : "", *model = f->model_id ? f->model_id : "";
    store_bind_text(st, 1, monitor);
    store_bind_text(st, 2, monitor);
    store_bind_text(st, 3, model);
    store_bind_text(st, 4, model);
    sqlite3_bind_int(st, 5, f->drifted_only != 0);
    sqlite3_bind_int64(st, 6, f->start_ns);
    sqlite3_bind_int64(st, 7, f->start_ns);
    sqlite3_bind_int64(st, 8, f->end_ns);
    sqlite3_bind_int64(st, 9, f->end_ns);
    sqlite3_bind_int(st, 10, limit + 1);
    sqlite3_bind_int64(st, 11, offset);
    return collect(s, st, &aia_store__v1__drift_report__descriptor, "drift report", (size_t)limit, l, more, err);
}

aia_status aia_store_drift_report_list(aia_store *s, const aia_drift_report_filter *f, const aia_store_page *page,
                                       aia_drift_report_record ***out, size_t *n, char **next_page_token,
                                       aia_error *err) {
    *out = NULL;
    *n = 0;
    *next_page_token = NULL;
    static const aia_drift_report_filter kAny = {0};
    int limit = 0, more = 0;
    int64_t offset = 0;
    aia_status rc = store_page_parse(page, &limit, &offset, err);
    if (rc != AIA_OK) return rc;
    store_list l = {0};
    pthread_mutex_lock(&s->mu);
    rc = report_list_locked(s, f ? f : &kAny, limit, offset, &l, &more, err);
    pthread_mutex_unlock(&s->mu);
    return store_list_hand_over(rc, &l, offset, more, next_page_token, out, n, err);
}

/* ---- alerts ---------------------------------------------------------------------- */

static aia_status alert_put_locked(aia_store *s, const aia_drift_alert_record *a, aia_error *err) {
    int found = 0;
    aia_status rc = row_exists(s, "SELECT 1 FROM drift_alerts WHERE alert_id = ?", a->alert_id, &found, err);
    if (rc != AIA_OK) return rc;
    if (found) return aia_error_set(err, AIA_ALREADY_EXISTS, "drift alert %s already exists", a->alert_id);
    AiaStore__V1__Time now;
    aia_drift_alert_record copy = *a;
    if (copy.create_time == NULL) {
        store_time_set(&now, aia_time_now_ns());
        copy.create_time = &now;
    }
    sqlite3_stmt *st = NULL;
    rc = store_prepare(s,
                       "INSERT INTO drift_alerts (alert_id, monitor_id, model_id, create_ns, record) "
                       "VALUES (?, ?, ?, ?, ?)",
                       &st, err);
    if (rc != AIA_OK) return rc;
    store_bind_text(st, 1, copy.alert_id);
    store_bind_text(st, 2, copy.monitor_id ? copy.monitor_id : "");
    store_bind_text(st, 3, copy.model_id ? copy.model_id : "");
    sqlite3_bind_int64(st, 4, time_ns(copy.create_time));
    return write_with_record(s, st, 5, &copy.base, "inserting a drift alert", err);
}

aia_status aia_store_drift_alert_put(aia_store *s, const aia_drift_alert_record *a, aia_error *err) {
    if (a == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift alert is NULL");
    aia_status rc = need_id("alert_id", a->alert_id, err);
    if (rc != AIA_OK) return rc;
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, alert_put_locked(s, a, err), 0, NULL, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

aia_status aia_store_drift_alert_list(aia_store *s, const char *model_id, const char *monitor_id, int64_t since_ns,
                                      size_t limit, aia_drift_alert_record ***out, size_t *n, aia_error *err) {
    *out = NULL;
    *n = 0;
    if (limit == 0) limit = ALERT_DEFAULT_LIMIT;
    if (limit > (size_t)INT64_MAX) limit = (size_t)INT64_MAX;
    store_list l = {0};
    int more = 0;
    char *next = NULL;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    aia_status rc = store_prepare(s,
                                  "SELECT alert_id, record FROM drift_alerts WHERE create_ns > ? AND "
                                  "(? = '' OR model_id = ?) AND (? = '' OR monitor_id = ?) "
                                  "ORDER BY create_ns, alert_id LIMIT ?",
                                  &st, err);
    if (rc == AIA_OK) {
        sqlite3_bind_int64(st, 1, since_ns);
        store_bind_text(st, 2, model_id ? model_id : "");
        store_bind_text(st, 3, model_id ? model_id : "");
        store_bind_text(st, 4, monitor_id ? monitor_id : "");
        store_bind_text(st, 5, monitor_id ? monitor_id : "");
        sqlite3_bind_int64(st, 6, (int64_t)limit);
        rc = collect(s, st, &aia_store__v1__drift_alert__descriptor, "drift alert", 0, &l, &more, err);
    }
    pthread_mutex_unlock(&s->mu);
    return store_list_hand_over(rc, &l, 0, 0, &next, out, n, err);
}

/* ---- ground truth --------------------------------------------------------------- */

static aia_status truth_put_locked(aia_store *s, const char *model_id, const aia_ground_truth_record *const *rows,
                                   size_t n, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s,
                                  "INSERT INTO ground_truth (model_id, prediction_id, observe_ns, record) "
                                  "VALUES (?, ?, ?, ?) ON CONFLICT (model_id, prediction_id) DO UPDATE SET "
                                  "observe_ns = excluded.observe_ns, record = excluded.record",
                                  &st, err);
    for (size_t i = 0; rc == AIA_OK && i < n; i++) {
        sqlite3_reset(st);
        store_bind_text(st, 1, model_id);
        store_bind_text(st, 2, rows[i]->prediction_id);
        sqlite3_bind_int64(st, 3, time_ns(rows[i]->observe_time));
        rc = store_bind_record(st, 4, &rows[i]->base, err);
        if (rc == AIA_OK && sqlite3_step(st) != SQLITE_DONE) rc = store_sql_error(s, err, "storing ground truth");
        if (rc != AIA_OK) aia_error_prefix(err, "ground truth row %zu", i);
    }
    sqlite3_finalize(st);
    return rc;
}

aia_status aia_store_ground_truth_put(aia_store *s, const char *model_id, const aia_ground_truth_record *const *rows,
                                      size_t n, aia_error *err) {
    aia_status rc = need_id("ground truth model_id", model_id, err);
    if (rc != AIA_OK) return rc;
    if (n > 0 && rows == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "ground truth rows are NULL");
    for (size_t i = 0; i < n; i++) {
        if (rows[i] == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "ground truth row %zu is NULL", i);
        if (is_empty(rows[i]->prediction_id))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "ground truth row %zu: prediction_id is empty", i);
    }
    pthread_mutex_lock(&s->mu);
    rc = store_begin(s, err);
    if (rc == AIA_OK) rc = store_end(s, truth_put_locked(s, model_id, rows, n, err), 0, NULL, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* One statement, reset per id: a drift window looks up thousands. */
static aia_status truth_get_locked(aia_store *s, const char *model_id, const char *const *ids, size_t n,
                                   aia_ground_truth_record **out, aia_error *err) {
    sqlite3_stmt *st = NULL;
    aia_status rc = store_prepare(s, "SELECT prediction_id, record FROM ground_truth "
                                     "WHERE model_id = ? AND prediction_id = ?",
                                  &st, err);
    for (size_t i = 0; rc == AIA_OK && i < n; i++) {
        if (is_empty(ids[i])) continue;
        sqlite3_reset(st);
        store_bind_text(st, 1, model_id);
        store_bind_text(st, 2, ids[i]);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            char what[300];
            snprintf(what, sizeof what, "ground truth of %s prediction %s", model_id, ids[i]);
            rc = store_unpack_column(st, 1, &aia_store__v1__ground_truth__descriptor, what,
                                     (ProtobufCMessage **)&out[i], err);
        } else if (step != SQLITE_DONE) {
            rc = store_sql_error(s, err, "reading ground truth");
        }
    }
    sqlite3_finalize(st);
    return rc;
}

aia_status aia_store_ground_truth_get(aia_store *s, const char *model_id, const char *const *ids, size_t n,
                                      aia_ground_truth_record **out, aia_error *err) {
    for (size_t i = 0; i < n; i++) out[i] = NULL;
    aia_status rc = need_id("ground truth model_id", model_id, err);
    if (rc != AIA_OK) return rc;
    if (n > 0 && ids == NULL) return aia_error_set(err, AIA_INVALID_ARGUMENT, "ground truth ids are NULL");
    pthread_mutex_lock(&s->mu);
    rc = truth_get_locked(s, model_id, ids, n, out, err);
    pthread_mutex_unlock(&s->mu);
    if (rc != AIA_OK) {
        for (size_t i = 0; i < n; i++) {
            aia_store_record_free(out[i]);
            out[i] = NULL;
        }
    }
    return rc;
}

aia_status aia_store_ground_truth_count(aia_store *s, const char *model_id, int64_t *count, aia_error *err) {
    *count = 0;
    aia_status rc = need_id("ground truth model_id", model_id, err);
    if (rc != AIA_OK) return rc;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    rc = store_prepare(s, "SELECT COUNT(*) FROM ground_truth WHERE model_id = ?", &st, err);
    if (rc == AIA_OK) {
        store_bind_text(st, 1, model_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            *count = sqlite3_column_int64(st, 0);
        else
            rc = store_sql_error(s, err, "counting ground truth");
        sqlite3_finalize(st);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

aia_status aia_store_ground_truth_recent(aia_store *s, const char *model_id, size_t limit,
                                         aia_ground_truth_record ***out, size_t *n, aia_error *err) {
    *out = NULL;
    *n = 0;
    aia_status rc = need_id("ground truth model_id", model_id, err);
    if (rc != AIA_OK) return rc;
    store_list l = {0};
    int more = 0;
    char *next = NULL;
    sqlite3_stmt *st = NULL;
    pthread_mutex_lock(&s->mu);
    rc = store_prepare(s,
                       "SELECT prediction_id, record FROM ground_truth WHERE model_id = ? "
                       "ORDER BY observe_ns DESC, prediction_id DESC LIMIT ?",
                       &st, err);
    if (rc == AIA_OK) {
        store_bind_text(st, 1, model_id);
        sqlite3_bind_int64(st, 2, limit ? (int64_t)limit : -1);
        rc = collect(s, st, &aia_store__v1__ground_truth__descriptor, "ground truth of prediction", 0, &l, &more, err);
    }
    pthread_mutex_unlock(&s->mu);
    return store_list_hand_over(rc, &l, 0, 0, &next, out, n, err);
}
