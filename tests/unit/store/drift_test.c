/* Unit tests for lib/store drift: monitors (create, get, update, list,
 * delete with their reports), reports (put moves the monitor's latest
 * fields; list filters, newest-first pages), alerts since a time, ground
 * truth (replace, lookups of known and unknown ids, counts), and
 * migration 2 on a fresh database and on one written before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "lib/store/store.h"
#include "tests/unit/store/store_testutil.h"

#define SEC 1000000000LL

typedef struct fixture {
    char *dir;
    aia_store *s;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->dir = st_tempdir();
    f->s = st_open(f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    aia_store_close(f->s);
    st_rmtree(f->dir);
    free(f);
    return 0;
}

/* A monitor of model at second `t` (time storage in *tm). */
static aia_drift_monitor_record monitor(const char *id, const char *model, int64_t t, AiaStore__V1__Time *tm) {
    aia_drift_monitor_record m;
    aia_store__v1__drift_monitor__init(&m);
    m.monitor_id = (char *)id;
    m.model_id = (char *)model;
    m.model_version = 1;
    m.window_size = 500;
    m.drift_share_threshold = 0.5;
    m.state = AIA_STORE__V1__DRIFT_MONITOR_STATE__DRIFT_MONITOR_STATE_ACTIVE;
    aia_store__v1__time__init(tm);
    tm->seconds = t;
    m.create_time = tm;
    return m;
}

/* A report of monitor/model at second t, drifted when `drifted`. */
typedef struct report_builder {
    aia_drift_report_record r;
    AiaStore__V1__Time t;
    AiaStore__V1__DriftKind kinds[1];
} report_builder;

static aia_drift_report_record *report(report_builder *b, const char *id, const char *monitor_id, const char *model,
                                       int64_t t, int drifted) {
    aia_store__v1__drift_report__init(&b->r);
    b->r.report_id = (char *)id;
    b->r.monitor_id = (char *)monitor_id;
    b->r.model_id = (char *)model;
    b->r.model_version = 1;
    aia_store__v1__time__init(&b->t);
    b->t.seconds = t;
    b->r.create_time = &b->t;
    b->kinds[0] = AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_DATA;
    b->r.drift_kinds = b->kinds;
    b->r.n_drift_kinds = drifted ? 1 : 0;
    b->r.dataset_drifted = drifted != 0;
    b->r.drifted_share = drifted ? 0.75 : 0.1;
    return &b->r;
}

static void put_report(aia_store *s, const char *id, const char *monitor_id, const char *model, int64_t t,
                       int drifted) {
    aia_error err;
    report_builder b;
    ST_OK(aia_store_drift_report_put(s, report(&b, id, monitor_id, model, t, drifted), &err));
}

static void create_monitor(aia_store *s, const char *id, const char *model, int64_t t) {
    aia_error err;
    AiaStore__V1__Time tm;
    aia_drift_monitor_record m = monitor(id, model, t, &tm);
    ST_OK(aia_store_drift_monitor_create(s, &m, &err));
}

/* ---- monitors ---------------------------------------------------------------- */

static void monitor_create_get_update(void **state) {
    fixture *f = *state;
    aia_error err;
    AiaStore__V1__Time tm;
    aia_drift_monitor_record m = monitor("mon-1", "churn", 100, &tm);
    char *cols[] = {"age", "income"};
    m.feature_columns = cols;
    m.n_feature_columns = 2;
    ST_OK(aia_store_drift_monitor_create(f->s, &m, &err));
    ST_FAILS(aia_store_drift_monitor_create(f->s, &m, &err), AIA_ALREADY_EXISTS);
    assert_non_null(strstr(err.message, "mon-1"));

    aia_drift_monitor_record *got = NULL;
    ST_OK(aia_store_drift_monitor_get(f->s, "mon-1", &got, &err));
    assert_string_equal(got->model_id, "churn");
    assert_int_equal(got->n_feature_columns, 2);
    assert_string_equal(got->feature_columns[1], "income");
    assert_int_equal(got->create_time->seconds, 100);
    assert_int_equal(got->window_size, 500);
    aia_store_record_free(got);

    m.state = AIA_STORE__V1__DRIFT_MONITOR_STATE__DRIFT_MONITOR_STATE_ERROR;
    m.error = (char *)"reference data unreadable";
    ST_OK(aia_store_drift_monitor_update(f->s, &m, &err));
    ST_OK(aia_store_drift_monitor_get(f->s, "mon-1", &got, &err));
    assert_int_equal(got->state, AIA_STORE__V1__DRIFT_MONITOR_STATE__DRIFT_MONITOR_STATE_ERROR);
    assert_string_equal(got->error, "reference data unreadable");
    aia_store_record_free(got);

    AiaStore__V1__Time tm2;
    aia_drift_monitor_record ghost = monitor("mon-ghost", "churn", 1, &tm2);
    ST_FAILS(aia_store_drift_monitor_update(f->s, &ghost, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "mon-ghost"));
    ST_FAILS(aia_store_drift_monitor_get(f->s, "mon-ghost", &got, &err), AIA_NOT_FOUND);
    assert_null(got);
    assert_non_null(strstr(err.message, "mon-ghost"));

    aia_drift_monitor_record empty = monitor("", "churn", 1, &tm2);
    ST_FAILS(aia_store_drift_monitor_create(f->s, &empty, &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_store_drift_monitor_get(f->s, "", &got, &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_store_drift_monitor_delete(f->s, NULL, &err), AIA_INVALID_ARGUMENT);
}

static void monitor_list_by_model_oldest_first(void **state) {
    fixture *f = *state;
    aia_error err;
    create_monitor(f->s, "m-c", "churn", 300);
    create_monitor(f->s, "m-a", "churn", 100);
    create_monitor(f->s, "m-b", "fraud", 200);
    aia_drift_monitor_record **list = NULL;
    size_t n = 0;
    ST_OK(aia_store_drift_monitor_list(f->s, NULL, &list, &n, &err));
    assert_int_equal(n, 3);
    assert_string_equal(list[0]->monitor_id, "m-a");
    assert_string_equal(list[1]->monitor_id, "m-b");
    assert_string_equal(list[2]->monitor_id, "m-c");
    aia_store_records_free((void **)list, n);

    ST_OK(aia_store_drift_monitor_list(f->s, "churn", &list, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(list[0]->monitor_id, "m-a");
    assert_string_equal(list[1]->monitor_id, "m-c");
    aia_store_records_free((void **)list, n);

    ST_OK(aia_store_drift_monitor_list(f->s, "nobody", &list, &n, &err));
    assert_int_equal(n, 0);
    aia_store_records_free((void **)list, n);
}

static void monitor_delete_takes_reports(void **state) {
    fixture *f = *state;
    aia_error err;
    create_monitor(f->s, "m-1", "churn", 10);
    create_monitor(f->s, "m-2", "churn", 20);
    put_report(f->s, "r-1", "m-1", "churn", 30, 1);
    put_report(f->s, "r-2", "m-2", "churn", 40, 0);
    ST_OK(aia_store_drift_monitor_delete(f->s, "m-1", &err));
    aia_drift_monitor_record *m = NULL;
    ST_FAILS(aia_store_drift_monitor_get(f->s, "m-1", &m, &err), AIA_NOT_FOUND);
    aia_drift_report_record *r = NULL;
    ST_FAILS(aia_store_drift_report_get(f->s, "r-1", &r, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "r-1"));
    ST_OK(aia_store_drift_report_get(f->s, "r-2", &r, &err));
    aia_store_record_free(r);
    ST_FAILS(aia_store_drift_monitor_delete(f->s, "m-1", &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "m-1"));
    /* The id is free again. */
    create_monitor(f->s, "m-1", "churn", 50);
}

/* ---- reports ----------------------------------------------------------------- */

static void report_put_moves_monitor_latest(void **state) {
    fixture *f = *state;
    aia_error err;
    create_monitor(f->s, "m-1", "churn", 10);
    put_report(f->s, "r-1", "m-1", "churn", 100, 0);
    aia_drift_monitor_record *m = NULL;
    ST_OK(aia_store_drift_monitor_get(f->s, "m-1", &m, &err));
    assert_string_equal(m->latest_report_id, "r-1");
    assert_non_null(m->last_check_time);
    assert_int_equal(m->last_check_time->seconds, 100);
    assert_int_equal(m->create_time->seconds, 10); /* the rest stays */
    assert_int_equal(m->window_size, 500);
    aia_store_record_free(m);

    put_report(f->s, "r-2", "m-1", "churn", 200, 1);
    ST_OK(aia_store_drift_monitor_get(f->s, "m-1", &m, &err));
    assert_string_equal(m->latest_report_id, "r-2");
    assert_int_equal(m->last_check_time->seconds, 200);
    aia_store_record_free(m);

    report_builder b;
    ST_FAILS(aia_store_drift_report_put(f->s, report(&b, "r-2", "m-1", "churn", 300, 0), &err), AIA_ALREADY_EXISTS);
    assert_non_null(strstr(err.message, "r-2"));
    ST_FAILS(aia_store_drift_report_put(f->s, report(&b, "r-9", "m-ghost", "churn", 300, 0), &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "m-ghost"));
    ST_FAILS(aia_store_drift_report_put(f->s, report(&b, "", "m-1", "churn", 300, 0), &err), AIA_INVALID_ARGUMENT);
    /* A failed put leaves the monitor as it was. */
    ST_OK(aia_store_drift_monitor_get(f->s, "m-1", &m, &err));
    assert_string_equal(m->latest_report_id, "r-2");
    aia_store_record_free(m);

    aia_drift_report_record *r = NULL;
    ST_OK(aia_store_drift_report_get(f->s, "r-2", &r, &err));
    assert_true(r->dataset_drifted);
    assert_int_equal(r->n_drift_kinds, 1);
    assert_string_equal(r->retraining_job_id, "");
    aia_store_record_free(r);

    /* Update: the retraining job is recorded after actions ran. */
    aia_drift_report_record *u = report(&b, "r-2", "m-1", "churn", 200, 1);
    u->retraining_job_id = (char *)"job-7";
    ST_OK(aia_store_drift_report_update(f->s, u, &err));
    ST_OK(aia_store_drift_report_get(f->s, "r-2", &r, &err));
    assert_string_equal(r->retraining_job_id, "job-7");
    assert_int_equal(r->create_time->seconds, 200);
    aia_store_record_free(r);
    ST_FAILS(aia_store_drift_report_update(f->s, report(&b, "r-ghost", "m-1", "churn", 1, 0), &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "r-ghost"));
}

static void list_ids(aia_store *s, const aia_drift_report_filter *flt, const char *want) {
    aia_error err;
    aia_drift_report_record **list = NULL;
    size_t n = 0;
    char *next = NULL;
    aia_store_page page = {100, NULL};
    ST_OK(aia_store_drift_report_list(s, flt, &page, &list, &n, &next, &err));
    char got[256] = "";
    for (size_t i = 0; i < n; i++) {
        if (i) strcat(got, ",");
        strcat(got, list[i]->report_id);
    }
    assert_null(next);
    aia_store_records_free((void **)list, n);
    assert_string_equal(got, want);
}

static void report_list_filters(void **state) {
    fixture *f = *state;
    create_monitor(f->s, "m-a", "churn", 1);
    create_monitor(f->s, "m-b", "churn", 2);
    create_monitor(f->s, "m-c", "fraud", 3);
    put_report(f->s, "r1", "m-a", "churn", 10, 0);
    put_report(f->s, "r2", "m-a", "churn", 20, 1);
    put_report(f->s, "r3", "m-b", "churn", 30, 0);
    put_report(f->s, "r4", "m-c", "fraud", 40, 1);
    put_report(f->s, "r5", "m-b", "churn", 50, 1);

    list_ids(f->s, NULL, "r5,r4,r3,r2,r1");
    aia_drift_report_filter flt = {0};
    flt.monitor_id = "m-a";
    list_ids(f->s, &flt, "r2,r1");
    flt = (aia_drift_report_filter){0};
    flt.model_id = "churn";
    list_ids(f->s, &flt, "r5,r3,r2,r1");
    flt.drifted_only = 1;
    list_ids(f->s, &flt, "r5,r2");
    flt = (aia_drift_report_filter){0};
    flt.start_ns = 20 * SEC;
    flt.end_ns = 50 * SEC; /* end is exclusive */
    list_ids(f->s, &flt, "r4,r3,r2");
    flt.end_ns = 0;
    list_ids(f->s, &flt, "r5,r4,r3,r2");
    flt = (aia_drift_report_filter){0};
    flt.end_ns = 30 * SEC;
    flt.drifted_only = 1;
    list_ids(f->s, &flt, "r2");
    flt.monitor_id = "m-c";
    list_ids(f->s, &flt, "");
}

static void report_list_pages_newest_first(void **state) {
    fixture *f = *state;
    aia_error err;
    create_monitor(f->s, "m-1", "churn", 1);
    /* 7 reports; two share a time, ordered then by report_id desc. */
    const char *ids[] = {"r-a", "r-b", "r-c", "r-d", "r-e", "r-f", "r-g"};
    int64_t times[] = {10, 20, 30, 30, 50, 60, 70};
    for (int i = 0; i < 7; i++) put_report(f->s, ids[i], "m-1", "churn", times[i], i % 2);
    const char *want[] = {"r-g", "r-f", "r-e", "r-d", "r-c", "r-b", "r-a"};
    aia_store_page page = {3, NULL};
    char *token = NULL;
    size_t seen = 0;
    int pages = 0;
    do {
        aia_drift_report_record **list = NULL;
        size_t n = 0;
        char *next = NULL;
        page.page_token = token;
        ST_OK(aia_store_drift_report_list(f->s, NULL, &page, &list, &n, &next, &err));
        for (size_t i = 0; i < n; i++) assert_string_equal(list[i]->report_id, want[seen + i]);
        seen += n;
        pages++;
        aia_store_records_free((void **)list, n);
        free(token);
        token = next;
    } while (token != NULL && pages < 10);
    assert_int_equal(pages, 3);
    assert_int_equal(seen, 7);

    aia_drift_report_record **list = NULL;
    size_t n = 0;
    char *next = NULL;
    aia_store_page bad = {3, "garbage"};
    ST_FAILS(aia_store_drift_report_list(f->s, NULL, &bad, &list, &n, &next, &err), AIA_INVALID_ARGUMENT);
    assert_null(list);
}

/* ---- alerts -------------------------------------------------------------------- */

static void put_alert(aia_store *s, const char *id, const char *monitor_id, const char *model, int64_t t) {
    aia_error err;
    aia_drift_alert_record a;
    aia_store__v1__drift_alert__init(&a);
    AiaStore__V1__Time tm;
    aia_store__v1__time__init(&tm);
    tm.seconds = t;
    a.alert_id = (char *)id;
    a.monitor_id = (char *)monitor_id;
    a.model_id = (char *)model;
    a.kind = AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_DATA;
    a.message = (char *)"3 of 4 features drifted";
    a.create_time = &tm;
    ST_OK(aia_store_drift_alert_put(s, &a, &err));
}

static void alerts_since(void **state) {
    fixture *f = *state;
    aia_error err;
    put_alert(f->s, "a-3", "m-1", "churn", 30);
    put_alert(f->s, "a-1", "m-1", "churn", 10);
    put_alert(f->s, "a-2", "m-2", "fraud", 20);
    put_alert(f->s, "a-4", "m-2", "fraud", 40);
    aia_drift_alert_record **list = NULL;
    size_t n = 0;
    ST_OK(aia_store_drift_alert_list(f->s, NULL, NULL, 10 * SEC, 0, &list, &n, &err));
    assert_int_equal(n, 3); /* strictly after 10 s */
    assert_string_equal(list[0]->alert_id, "a-2");
    assert_string_equal(list[1]->alert_id, "a-3");
    assert_string_equal(list[2]->alert_id, "a-4");
    assert_string_equal(list[1]->message, "3 of 4 features drifted");
    aia_store_records_free((void **)list, n);

    ST_OK(aia_store_drift_alert_list(f->s, "fraud", NULL, 0, 0, &list, &n, &err));
    assert_int_equal(n, 2);
    assert_string_equal(list[0]->alert_id, "a-2");
    aia_store_records_free((void **)list, n);
    ST_OK(aia_store_drift_alert_list(f->s, NULL, "m-1", 0, 1, &list, &n, &err));
    assert_int_equal(n, 1);
    assert_string_equal(list[0]->alert_id, "a-1");
    aia_store_records_free((void **)list, n);
    ST_OK(aia_store_drift_alert_list(f->s, "churn", "m-2", 0, 0, &list, &n, &err));
    assert_int_equal(n, 0);
    aia_store_records_free((void **)list, n);

    aia_drift_alert_record a;
    aia_store__v1__drift_alert__init(&a);
    a.alert_id = (char *)"a-1";
    ST_FAILS(aia_store_drift_alert_put(f->s, &a, &err), AIA_ALREADY_EXISTS);
    a.alert_id = (char *)"";
    ST_FAILS(aia_store_drift_alert_put(f->s, &a, &err), AIA_INVALID_ARGUMENT);
}

/* ---- ground truth ---------------------------------------------------------------- */

static aia_ground_truth_record truth_label(const char *id, const char *label) {
    aia_ground_truth_record g;
    aia_store__v1__ground_truth__init(&g);
    g.prediction_id = (char *)id;
    g.actual_case = AIA_STORE__V1__GROUND_TRUTH__ACTUAL_LABEL;
    g.label = (char *)label;
    return g;
}

static void ground_truth_replace_lookup_count(void **state) {
    fixture *f = *state;
    aia_error err;
    aia_ground_truth_record g1 = truth_label("p-1", "yes"), g2 = truth_label("p-2", "no");
    aia_ground_truth_record g3;
    aia_store__v1__ground_truth__init(&g3);
    g3.prediction_id = (char *)"p-3";
    g3.actual_case = AIA_STORE__V1__GROUND_TRUTH__ACTUAL_VALUE;
    g3.value = 4.25;
    const aia_ground_truth_record *rows[] = {&g1, &g2, &g3};
    ST_OK(aia_store_ground_truth_put(f->s, "churn", rows, 3, &err));
    /* The same prediction id of another model is another row. */
    ST_OK(aia_store_ground_truth_put(f->s, "fraud", rows, 1, &err));

    aia_ground_truth_record again = truth_label("p-1", "no");
    const aia_ground_truth_record *later[] = {&again};
    ST_OK(aia_store_ground_truth_put(f->s, "churn", later, 1, &err));

    int64_t count = 0;
    ST_OK(aia_store_ground_truth_count(f->s, "churn", &count, &err));
    assert_int_equal(count, 3);
    ST_OK(aia_store_ground_truth_count(f->s, "fraud", &count, &err));
    assert_int_equal(count, 1);
    ST_OK(aia_store_ground_truth_count(f->s, "nobody", &count, &err));
    assert_int_equal(count, 0);

    const char *ids[] = {"p-3", "p-unknown", "p-1", "", "p-2"};
    aia_ground_truth_record *out[5];
    ST_OK(aia_store_ground_truth_get(f->s, "churn", ids, 5, out, &err));
    assert_non_null(out[0]);
    assert_int_equal(out[0]->actual_case, AIA_STORE__V1__GROUND_TRUTH__ACTUAL_VALUE);
    assert_true(out[0]->value == 4.25);
    assert_null(out[1]);
    assert_non_null(out[2]);
    assert_string_equal(out[2]->label, "no"); /* replaced */
    assert_null(out[3]);
    assert_string_equal(out[4]->label, "no");
    assert_string_equal(out[4]->prediction_id, "p-2");
    for (int i = 0; i < 5; i++) aia_store_record_free(out[i]);

    ST_OK(aia_store_ground_truth_get(f->s, "fraud", ids, 5, out, &err));
    assert_null(out[0]);
    assert_string_equal(out[2]->label, "yes");
    for (int i = 0; i < 5; i++) aia_store_record_free(out[i]);

    /* A batch with an empty id stores nothing. */
    aia_ground_truth_record g4 = truth_label("p-4", "yes"), bad = truth_label("", "yes");
    const aia_ground_truth_record *mixed[] = {&g4, &bad};
    ST_FAILS(aia_store_ground_truth_put(f->s, "churn", mixed, 2, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "row 1"));
    ST_OK(aia_store_ground_truth_count(f->s, "churn", &count, &err));
    assert_int_equal(count, 3);
    ST_FAILS(aia_store_ground_truth_put(f->s, "", rows, 1, &err), AIA_INVALID_ARGUMENT);
}

/* ---- migration ----------------------------------------------------------------------- */

static void exec_sql(const char *dir, const char *sql) {
    char path[600];
    snprintf(path, sizeof path, "%s/aia.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

static void migration_fresh_and_existing(void **state) {
    (void)state;
    aia_error err;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    assert_true(aia_store_schema_version(s) >= 2);
    create_monitor(s, "m-1", "churn", 5);
    put_report(s, "r-1", "m-1", "churn", 6, 1);
    aia_store_close(s);

    /* Opened again: nothing re-applied, data still there. */
    s = st_open(dir);
    aia_drift_report_record *r = NULL;
    ST_OK(aia_store_drift_report_get(s, "r-1", &r, &err));
    aia_store_record_free(r);
    aia_store_close(s);

    /* A database as a build before migration 2 left it: the drift tables
     * are created on open, the older data kept. */
    exec_sql(dir,
             "DROP TABLE drift_reports; DROP TABLE drift_monitors; DROP TABLE drift_alerts; "
             "DROP TABLE ground_truth; DELETE FROM schema_migrations WHERE version >= 2;");
    s = st_open(dir);
    assert_true(aia_store_schema_version(s) >= 2);
    ST_FAILS(aia_store_drift_monitor_get(s, "m-1", &(aia_drift_monitor_record *){NULL}, &err), AIA_NOT_FOUND);
    create_monitor(s, "m-1", "churn", 5);
    put_alert(s, "a-1", "m-1", "churn", 7);
    aia_store_close(s);
    s = st_open(dir);
    aia_drift_alert_record **list = NULL;
    size_t n = 0;
    ST_OK(aia_store_drift_alert_list(s, NULL, NULL, 0, 0, &list, &n, &err));
    assert_int_equal(n, 1);
    aia_store_records_free((void **)list, n);
    aia_store_close(s);
    st_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(monitor_create_get_update, setup, teardown),
        cmocka_unit_test_setup_teardown(monitor_list_by_model_oldest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(monitor_delete_takes_reports, setup, teardown),
        cmocka_unit_test_setup_teardown(report_put_moves_monitor_latest, setup, teardown),
        cmocka_unit_test_setup_teardown(report_list_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(report_list_pages_newest_first, setup, teardown),
        cmocka_unit_test_setup_teardown(alerts_since, setup, teardown),
        cmocka_unit_test_setup_teardown(ground_truth_replace_lookup_count, setup, teardown),
        cmocka_unit_test(migration_fresh_and_existing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
