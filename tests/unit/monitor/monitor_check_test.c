/* tests/unit/monitor/monitor_check_test.c — aia_monitors_check on uploaded
 * batches (CSV and inline rows) and on prediction-log windows written by
 * lib/serve: which features drift, the dataset verdict, the stored report
 * and the monitor's latest_report_id, and the refused batches. A fresh
 * fixture (model trained through lib/jobs) per test. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/monitor/monitor_fixture.h"

static int setup(void **state)
{
    *state = mf_new(0);
    return 0;
}

static int teardown(void **state)
{
    mf_free(*state);
    return 0;
}

static char *monitor(mf *f, double share, int window_size, int version)
{
    aia_drift_monitor_record spec, *out = NULL;
    mf_spec_init(&spec);
    spec.drift_share_threshold = share;
    spec.window_size = window_size;
    spec.model_version = version;
    aia_error err;
    MF_OK(aia_monitors_setup(f->monitors, &spec, &out, &err));
    char *id = strdup(out->monitor_id);
    aia_store_record_free(out);
    return id;
}

/* Exactly the features in `want` (comma-separated, e.g. "f2,f5") drifted. */
static void assert_drifted(const aia_drift_report_record *r, const char *want)
{
    assert_int_equal(r->n_features, 7);
    for (size_t i = 0; i < r->n_features; i++) {
        const AiaStore__V1__FeatureDrift *fd = r->features[i];
        char key[16];
        snprintf(key, sizeof key, ",%s,", fd->name);
        char list[64];
        snprintf(list, sizeof list, ",%s,", want);
        int expected = strstr(list, key) != NULL;
        if (fd->drifted != expected)
            fail_msg("feature %s: drifted %d (test %s, statistic %g, threshold %g), wanted %d", fd->name,
                     fd->drifted, fd->test, fd->statistic, fd->threshold, expected);
    }
}

static void test_shifted_batch(void **state)
{
    mf *f = *state;
    char *id = monitor(f, 0, 0, 0);
    char path[700];
    mf_csv c = {.rows = 1000, .seed = 77, .shift = {0, 0, 3, 0, 0, 3}, .with_target = 1};
    mf_write_csv(f, "shifted.csv", &c, path, sizeof path);
    aia_drift_report_record *r = NULL;
    aia_error err;
    MF_OK(aia_monitors_check(f->monitors, id, path, NULL, 0, &r, &err));
    assert_drifted(r, "f2,f5");
    /* 2 of 7 is under the default share 0.5: the dataset has not drifted. */
    assert_false(r->dataset_drifted);
    assert_true(fabs(r->drifted_share - 2.0 / 7.0) < 1e-9);
    assert_true(fabs(r->drift_share_threshold - 0.5) < 1e-12);
    assert_false(mf_has_kind(r, AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_DATA));
    assert_int_equal(r->source, AIA_STORE__V1__DRIFT_WINDOW_SOURCE__DRIFT_WINDOW_SOURCE_UPLOADED_BATCH);
    assert_string_equal(r->current_data_uri, path);
    assert_int_equal(r->reference_rows, MF_ROWS);
    assert_int_equal(r->current_rows, 1000);
    assert_int_equal(r->model_version, f->version);
    assert_string_equal(r->monitor_id, id);
    const AiaStore__V1__FeatureDrift *f2 = mf_feature(r, "f2"), *c1 = mf_feature(r, "c1");
    assert_non_null(f2);
    assert_int_equal(f2->feature_type, AIA_STORE__V1__FEATURE_TYPE__FEATURE_NUMERIC);
    assert_string_equal(f2->test, "wasserstein_normed"); /* reference > 1,000 rows */
    assert_int_equal(f2->reference_count, MF_ROWS);
    assert_int_equal(f2->current_count, 1000);
    assert_non_null(c1);
    assert_int_equal(c1->feature_type, AIA_STORE__V1__FEATURE_TYPE__FEATURE_CATEGORICAL);
    /* f2 moves the model's outputs: prediction drift is measured. */
    assert_non_null(r->prediction_drift);
    assert_string_equal(r->prediction_drift->name, "prediction");
    /* Stored, and the monitor points at it. */
    aia_drift_report_record *got = NULL;
    MF_OK(aia_store_drift_report_get(f->store, r->report_id, &got, &err));
    assert_int_equal(got->n_features, 7);
    assert_true(mf_feature(got, "f5")->drifted);
    assert_false(mf_feature(got, "f1")->drifted);
    aia_store_record_free(got);
    aia_drift_monitor_record *m = NULL;
    MF_OK(aia_store_drift_monitor_get(f->store, id, &m, &err));
    assert_string_equal(m->latest_report_id, r->report_id);
    assert_non_null(m->last_check_time);
    aia_store_record_free(m);
    aia_store_record_free(r);
    free(id);
}

static void test_shifted_batch_over_a_lower_share(void **state)
{
    mf *f = *state;
    char *id = monitor(f, 0.2, 0, 0);
    char path[700];
    mf_csv c = {.rows = 800, .seed = 78, .shift = {0, 0, 3, 0, 0, 3}, .with_target = 1};
    mf_write_csv(f, "shifted.csv", &c, path, sizeof path);
    aia_drift_report_record *r = NULL;
    aia_error err;
    MF_OK(aia_monitors_check(f->monitors, id, path, NULL, 1, &r, &err));
    assert_drifted(r, "f2,f5");
    assert_true(r->dataset_drifted); /* 2/7 > 0.2 */
    assert_true(fabs(r->drift_share_threshold - 0.2) < 1e-12);
    assert_true(mf_has_kind(r, AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_DATA));
    /* skip_actions: no alert stored. */
    aia_drift_alert_record **alerts = NULL;
    size_t n = 0;
    MF_OK(aia_store_drift_alert_list(f->store, NULL, id, 0, 0, &alerts, &n, &err));
    assert_int_equal(n, 0);
    aia_store_records_free((void **)alerts, n);
    aia_store_record_free(r);
    free(id);
}

static void test_unshifted_batch(void **state)
{
    mf *f = *state;
    char *id = monitor(f, 0, 0, 0);
    char path[700];
    mf_csv c = {.rows = 1000, .seed = 99, .with_target = 1};
    mf_write_csv(f, "same.csv", &c, path, sizeof path);
    aia_drift_report_record *r = NULL;
    aia_error err;
    MF_OK(aia_monitors_check(f->monitors, id, path, NULL, 0, &r, &err));
    assert_drifted(r, "");
    assert_false(r->dataset_drifted);
    assert_true(r->drifted_share == 0);
    assert_int_equal(r->n_drift_kinds, 0);
    assert_non_null(r->prediction_drift);
    assert_false(r->prediction_drift->drifted);
    assert_null(r->recommended_decision_threshold);
    aia_store_record_free(r);
    free(id);
}

/* The same check on inline rows (a frame with the monitored features). */
static void test_inline_rows(void **state)
{
    mf *f = *state;
    char *id = monitor(f, 0, 0, 0);
    char **names = NULL;
    aia_column_type *types = NULL;
    size_t n = 0;
    aia_error err;
    MF_OK(aia_monitors_features(f->monitors, id, &names, &types, &n, &err));
    enum { ROWS = 600 };
    aia_frame *fr = NULL;
    MF_OK(aia_frame_create(ROWS, "inline", &fr, &err));
    static double v[ROWS];
    static const char *cells[ROWS];
    static const char *const cats[] = {"red", "green", "blue", "a", "b", "c", "d"};
    for (size_t j = 0; j < n; j++) {
        if (types[j] == AIA_COLUMN_NUMERIC) {
            for (int i = 0; i < ROWS; i++) /* spread over about [-1.7, 1.7]; f4 shifted by 4 */
                v[i] = ((i * 37) % ROWS) / (double)ROWS * 3.4 - 1.7 + (strcmp(names[j], "f4") == 0 ? 4 : 0);
            MF_OK(aia_frame_add_numeric(fr, names[j], v, NULL, &err));
        } else {
            int off = strcmp(names[j], "c1") == 0 ? 0 : 3, k = off ? 4 : 3;
            for (int i = 0; i < ROWS; i++) cells[i] = cats[off + i % k];
            MF_OK(aia_frame_add_categorical(fr, names[j], cells, &err));
        }
    }
    aia_monitors_features_free(names, types, n);
    aia_drift_report_record *r = NULL;
    MF_OK(aia_monitors_check(f->monitors, id, NULL, fr, 0, &r, &err));
    assert_true(mf_feature(r, "f4")->drifted);
    assert_false(mf_feature(r, "c1")->drifted);
    assert_int_equal(r->current_rows, ROWS);
    assert_int_equal(r->source, AIA_STORE__V1__DRIFT_WINDOW_SOURCE__DRIFT_WINDOW_SOURCE_UPLOADED_BATCH);
    aia_store_record_free(r);
    aia_frame_free(fr);
    free(id);
}

static void test_refused_batches(void **state)
{
    mf *f = *state;
    char *id = monitor(f, 0, 0, 0);
    char path[700];
    aia_drift_report_record *r = NULL;
    aia_error err;
    mf_csv c = {.rows = 300, .seed = 5, .drop = "c2", .with_target = 1};
    mf_write_csv(f, "no_c2.csv", &c, path, sizeof path);
    MF_FAILS(aia_monitors_check(f->monitors, id, path, NULL, 0, &r, &err), AIA_INVALID_ARGUMENT);
    MF_SAYS("no column \"c2\"");
    assert_null(r);
    mf_csv e = {.rows = 0, .seed = 5, .with_target = 1};
    mf_write_csv(f, "empty.csv", &e, path, sizeof path);
    MF_FAILS(aia_monitors_check(f->monitors, id, path, NULL, 0, &r, &err), AIA_INVALID_ARGUMENT);
    assert_null(r);
    snprintf(path, sizeof path, "%s/absent.csv", f->dir);
    aia_status st = aia_monitors_check(f->monitors, id, path, NULL, 0, &r, &err);
    assert_int_not_equal(st, AIA_OK);
    MF_SAYS("absent.csv");
    aia_frame *none = NULL; /* inline rows, zero of them */
    MF_OK(aia_frame_create(0, "inline", &none, &err));
    static const double nothing[1] = {0};
    static const char *const no_cells[1] = {"a"};
    static const char *const numeric[] = {"f1", "f2", "f3", "f4", "f5"};
    for (int k = 0; k < 5; k++) MF_OK(aia_frame_add_numeric(none, numeric[k], nothing, NULL, &err));
    MF_OK(aia_frame_add_categorical(none, "c1", no_cells, &err));
    MF_OK(aia_frame_add_categorical(none, "c2", no_cells, &err));
    MF_FAILS(aia_monitors_check(f->monitors, id, NULL, none, 0, &r, &err), AIA_INVALID_ARGUMENT);
    aia_frame_free(none);
    MF_FAILS(aia_monitors_check(f->monitors, "", NULL, NULL, 0, &r, &err), AIA_INVALID_ARGUMENT);
    MF_SAYS("monitor_id");
    MF_FAILS(aia_monitors_check(f->monitors, "dm-none", NULL, NULL, 0, &r, &err), AIA_NOT_FOUND);
    MF_SAYS("dm-none");
    /* None of these stored a report. */
    size_t n = 0;
    aia_drift_report_record **reps = mf_reports(f, id, &n);
    assert_int_equal(n, 0);
    aia_store_records_free((void **)reps, n);
    free(id);
}

/* monitor.h: a batch missing a monitored column is INVALID_ARGUMENT naming
 * it; production batches have no target column.
 * BUG (lib/monitor/monitor_reference.c mon_csv_schema, used by load_batch in
 * monitor_check.c): for a classifier the CSV schema includes the target
 * column, and aia_train_load_csv refuses a schema column that the header
 * lacks, so a batch without "y" fails with NOT_FOUND "the schema names
 * column 'y', which the header does not have"; and a batch missing a
 * monitored column is NOT_FOUND, not INVALID_ARGUMENT. Skipped until fixed. */
static void test_batch_without_target(void **state)
{
    mf *f = *state;
    char *id = monitor(f, 0, 0, 0);
    char path[700];
    mf_csv c = {.rows = 1000, .seed = 77, .shift = {0, 0, 3, 0, 0, 3}};
    mf_write_csv(f, "unlabelled.csv", &c, path, sizeof path);
    aia_drift_report_record *r = NULL;
    aia_error err;
    MF_OK(aia_monitors_check(f->monitors, id, path, NULL, 0, &r, &err)); /* unlabelled production data */
    assert_drifted(r, "f2,f5");
    aia_store_record_free(r);
    mf_csv d = {.rows = 300, .seed = 5, .drop = "c2"};
    mf_write_csv(f, "no_c2.csv", &d, path, sizeof path);
    MF_FAILS(aia_monitors_check(f->monitors, id, path, NULL, 0, &r, &err), AIA_INVALID_ARGUMENT);
    MF_SAYS("c2");
    free(id);
}

static void test_log_window(void **state)
{
    mf *f = *state;
    char *id = monitor(f, 0, 1000, f->version);
    aia_drift_report_record *r = NULL;
    aia_error err;
    MF_FAILS(aia_monitors_check(f->monitors, id, NULL, NULL, 0, &r, &err), AIA_FAILED_PRECONDITION);
    MF_SAYS("prediction log");
    mf_predict_log(f, 1000, 1001, 0, NULL, NULL);
    MF_OK(aia_monitors_check(f->monitors, id, NULL, NULL, 0, &r, &err));
    assert_int_equal(r->source, AIA_STORE__V1__DRIFT_WINDOW_SOURCE__DRIFT_WINDOW_SOURCE_PREDICTION_LOG);
    assert_int_equal(r->current_rows, 1000);
    assert_drifted(r, "");
    assert_non_null(r->window_start_time);
    assert_non_null(r->window_end_time);
    assert_true(r->window_start_time->seconds > 0);
    assert_null(r->concept_drift); /* no ground truth */
    aia_store_record_free(r);
    /* 1,000 more rows with f2 shifted: the window is the latest 1,000 only. */
    mf_predict_log(f, 1000, 1002, 3, NULL, NULL);
    MF_OK(aia_monitors_check(f->monitors, id, NULL, NULL, 0, &r, &err));
    assert_int_equal(r->current_rows, 1000);
    assert_drifted(r, "f2");
    assert_non_null(r->prediction_drift);
    aia_store_record_free(r);
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_shifted_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shifted_batch_over_a_lower_share, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unshifted_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inline_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_batches, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_without_target, setup, teardown),
        cmocka_unit_test_setup_teardown(test_log_window, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
