/* tests/unit/monitor/monitor_actions_test.c — what drift sets off: ground
 * truth matched to logged predictions, concept drift and the retraining it
 * submits (a real job whose version's lineage names the report), the
 * cooldown, alerts to subscribers and to a webhook receiver, and the
 * background poller checking a filled window on its own. A fresh fixture
 * per test. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/unit/monitor/http_receiver.h"
#include "tests/unit/monitor/monitor_fixture.h"

static int setup(void **state)
{
    *state = mf_new(0);
    return 0;
}

static int setup_fast_poll(void **state)
{
    *state = mf_new(50);
    return 0;
}

static int teardown(void **state)
{
    mf_free(*state);
    return 0;
}

static aia_ground_truth_record *truth_label(aia_ground_truth_record *g, const char *id, const char *label)
{
    aia_store__v1__ground_truth__init(g);
    g->prediction_id = (char *)id;
    g->actual_case = AIA_STORE__V1__GROUND_TRUTH__ACTUAL_LABEL;
    g->label = (char *)label;
    return g;
}

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++) free(ids[i]);
    free(ids);
}

/* ---- ground truth ------------------------------------------------------- */

static void test_ground_truth_matching(void **state)
{
    mf *f = *state;
    enum { N = 20 };
    char ids[N][33];
    const char *pred[N];
    mf_predict_log(f, N, 501, 0, ids, pred);
    aia_ground_truth_record g[N + 2];
    const aia_ground_truth_record *rows[N + 2];
    for (int i = 0; i < N; i++) rows[i] = truth_label(&g[i], ids[i], pred[i]);
    rows[N] = truth_label(&g[N], "feedfeedfeedfeedfeedfeedfeedfeed", "yes");
    rows[N + 1] = truth_label(&g[N + 1], "unknown-id", "no");
    int accepted = -1, unmatched = -1;
    char **missing = NULL;
    size_t n_missing = 0;
    aia_error err;
    MF_OK(aia_monitors_ground_truth(f->monitors, MF_MODEL, rows, N + 2, &accepted, &unmatched, &missing, &n_missing,
                                    &err));
    assert_int_equal(accepted, N);
    assert_int_equal(unmatched, 2);
    assert_int_equal(n_missing, 2);
    assert_string_equal(missing[0], "feedfeedfeedfeedfeedfeedfeedfeed");
    assert_string_equal(missing[1], "unknown-id");
    free_ids(missing, n_missing);
    int64_t count = 0;
    MF_OK(aia_store_ground_truth_count(f->store, MF_MODEL, &count, &err));
    assert_int_equal(count, N);
    /* A value for a classifier names the entry; nothing is stored. */
    aia_ground_truth_record v;
    aia_store__v1__ground_truth__init(&v);
    v.prediction_id = ids[0];
    v.actual_case = AIA_STORE__V1__GROUND_TRUTH__ACTUAL_VALUE;
    v.value = 1.5;
    const aia_ground_truth_record *bad[2] = {rows[1], &v};
    MF_FAILS(aia_monitors_ground_truth(f->monitors, MF_MODEL, bad, 2, &accepted, &unmatched, &missing, &n_missing,
                                       &err),
             AIA_INVALID_ARGUMENT);
    MF_SAYS("ground_truth[1]");
    MF_FAILS(aia_monitors_ground_truth(f->monitors, "no-such-model", rows, 1, &accepted, &unmatched, &missing,
                                       &n_missing, &err),
             AIA_NOT_FOUND);
}

/* ---- concept drift and retraining -------------------------------------- */

/* The report's alert of `kind` in alerts[0..n), failing when absent. */
static const aia_drift_alert_record *alert_of(aia_drift_alert_record **alerts, size_t n, int kind)
{
    for (size_t i = 0; i < n; i++)
        if ((int)alerts[i]->kind == kind) return alerts[i];
    fail_msg("no alert of kind %d among %zu", kind, n);
    return NULL;
}

/* The alerts of a report, from the store. */
static aia_drift_alert_record **report_alerts(mf *f, const char *monitor_id, const char *report_id, size_t *n)
{
    aia_drift_alert_record **all = NULL;
    size_t k = 0;
    aia_error err;
    MF_OK(aia_store_drift_alert_list(f->store, NULL, monitor_id, 0, 0, &all, &k, &err));
    size_t m = 0;
    for (size_t i = 0; i < k; i++) {
        if (strcmp(all[i]->report_id, report_id) == 0) all[m++] = all[i];
        else aia_store_record_free(all[i]);
    }
    *n = m;
    return all;
}

static void test_concept_drift_retrains_once(void **state)
{
    mf *f = *state;
    aia_drift_monitor_record spec, *mon = NULL;
    mf_spec_init(&spec);
    spec.model_version = f->version; /* stays on version 1 after the retraining */
    spec.window_size = 200;
    aia_error err;
    MF_OK(aia_monitors_setup(f->monitors, &spec, &mon, &err));
    enum { N = 200, LABELLED = 150 };
    char ids[N][33];
    const char *pred[N];
    mf_predict_log(f, N, 601, 0, ids, pred);
    /* Ground truth that contradicts the model on 150 of the 200. */
    aia_ground_truth_record g[LABELLED];
    const aia_ground_truth_record *rows[LABELLED];
    for (int i = 0; i < LABELLED; i++)
        rows[i] = truth_label(&g[i], ids[i], strcmp(pred[i], "yes") == 0 ? "no" : "yes");
    int accepted = 0, unmatched = 0;
    char **missing = NULL;
    size_t n_missing = 0;
    MF_OK(aia_monitors_ground_truth(f->monitors, MF_MODEL, rows, LABELLED, &accepted, &unmatched, &missing,
                                    &n_missing, &err));
    assert_int_equal(accepted, LABELLED);
    assert_int_equal(unmatched, 0);
    free_ids(missing, n_missing);

    aia_drift_report_record *r = NULL;
    MF_OK(aia_monitors_check(f->monitors, mon->monitor_id, NULL, NULL, 0, &r, &err));
    assert_non_null(r->concept_drift);
    assert_true(r->concept_drift->drifted);
    assert_string_equal(r->concept_drift->metric, "accuracy");
    assert_int_equal(r->concept_drift->labelled_rows, LABELLED);
    assert_true(r->concept_drift->current_value < 0.01); /* every label contradicts */
    assert_true(r->concept_drift->baseline_value > 0.7);
    assert_true(mf_has_kind(r, AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_CONCEPT));

    /* The ground truth also woke the poller, which may have checked (and
     * retrained) first; either way exactly one report submitted a job. */
    size_t n = 0;
    aia_drift_report_record **reps = mf_reports(f, mon->monitor_id, &n);
    const aia_drift_report_record *retrained = NULL;
    for (size_t i = 0; i < n; i++) {
        assert_non_null(reps[i]->concept_drift);
        assert_true(reps[i]->concept_drift->drifted);
        if (reps[i]->retraining_job_id[0]) {
            assert_null(retrained);
            retrained = reps[i];
        }
    }
    assert_non_null(retrained);
    char report_id[64], job_id[128];
    snprintf(report_id, sizeof report_id, "%s", retrained->report_id);
    snprintf(job_id, sizeof job_id, "%s", retrained->retraining_job_id);
    aia_store_records_free((void **)reps, n);
    /* That report's CONCEPT alert records the retraining. (A 200-row
     * window may also show data drift by chance: its alert is another.) */
    aia_drift_alert_record **alerts = report_alerts(f, mon->monitor_id, report_id, &n);
    const aia_drift_alert_record *ca = alert_of(alerts, n, AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_CONCEPT);
    assert_string_equal(ca->retraining_job_id, job_id);
    assert_int_equal(ca->n_actions_taken, 1);
    assert_int_equal(ca->actions_taken[0], AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_RETRAIN);
    aia_store_records_free((void **)alerts, n);

    /* The job trains a new version whose lineage names the report. */
    mf_wait_job(f, job_id, 120000);
    aia_job_record *job = NULL;
    MF_OK(aia_store_job_get(f->store, job_id, &job, &err));
    assert_int_equal(job->spec->trigger, AIA_STORE__V1__TRIGGER__TRIGGER_DRIFT);
    assert_string_equal(job->spec->trigger_id, report_id);
    aia_store_record_free(job);
    int latest = 0;
    MF_OK(aia_store_version_latest(f->store, MF_MODEL, &latest, &err));
    assert_int_equal(latest, f->version + 1);
    aia_version_record *v = NULL;
    MF_OK(aia_store_version_get(f->store, MF_MODEL, latest, &v, &err));
    assert_int_equal(v->lineage->trigger, AIA_STORE__V1__TRIGGER__TRIGGER_DRIFT);
    assert_string_equal(v->lineage->trigger_id, report_id);
    assert_int_equal(v->lineage->parent_version, f->version);
    assert_int_equal(v->lineage->n_features, 7);
    aia_store_record_free(v);

    /* A second drifted check inside the cooldown submits nothing. */
    aia_drift_report_record *again = NULL;
    MF_OK(aia_monitors_check(f->monitors, mon->monitor_id, NULL, NULL, 0, &again, &err));
    assert_true(again->concept_drift && again->concept_drift->drifted);
    assert_int_equal(again->model_version, f->version);
    assert_string_equal(again->retraining_job_id, "");
    alerts = report_alerts(f, mon->monitor_id, again->report_id, &n);
    ca = alert_of(alerts, n, AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_CONCEPT);
    assert_int_equal(ca->n_actions_taken, 0);
    assert_string_equal(ca->retraining_job_id, "");
    if (!strstr(ca->action_note, "cooldown")) fail_msg("action_note '%s' lacks 'cooldown'", ca->action_note);
    aia_store_records_free((void **)alerts, n);
    /* Still one retraining job for the model. */
    aia_store_page page = {.page_size = 100};
    aia_job_record **jobs = NULL;
    char *next = NULL;
    int total = 0;
    MF_OK(aia_store_job_list(f->store, MF_MODEL, 0, &page, &jobs, &n, &next, &total, &err));
    assert_int_equal(n, 2); /* the first training and the retraining */
    aia_store_records_free((void **)jobs, n);
    free(next);
    aia_store_record_free(again);
    aia_store_record_free(r);
    aia_store_record_free(mon);
}

/* ---- alerts -------------------------------------------------------------- */

typedef struct seen_alerts {
    pthread_mutex_t mu;
    int n;
    int kinds[16];
    char report_id[16][64];
    char features[16][64]; /* drifted features, comma-joined */
} seen_alerts;

static void on_alert(void *arg, const aia_drift_alert_record *a)
{
    seen_alerts *s = arg;
    pthread_mutex_lock(&s->mu);
    if (s->n < 16) {
        s->kinds[s->n] = a->kind;
        snprintf(s->report_id[s->n], sizeof s->report_id[s->n], "%s", a->report_id);
        char *p = s->features[s->n];
        p[0] = '\0';
        for (size_t i = 0; i < a->n_drifted_features; i++)
            snprintf(p + strlen(p), 64 - strlen(p), "%s%s", i ? "," : "", a->drifted_features[i]);
    }
    s->n++;
    pthread_mutex_unlock(&s->mu);
}

static void test_alerts_to_subscribers_and_webhook(void **state)
{
    mf *f = *state;
    rcv hook;
    assert_int_equal(rcv_start(&hook, NULL, 0), 0);
    char url[128];
    rcv_url(&hook, url, sizeof url);
    aia_drift_monitor_record spec, *mon = NULL;
    mf_spec_init(&spec);
    spec.drift_share_threshold = 0.2;
    AiaStore__V1__DriftActions actions;
    aia_store__v1__drift_actions__init(&actions);
    char *urls[1] = {url};
    actions.webhook_urls = urls;
    actions.n_webhook_urls = 1;
    spec.actions = &actions;
    aia_error err;
    MF_OK(aia_monitors_setup(f->monitors, &spec, &mon, &err));
    seen_alerts seen;
    memset(&seen, 0, sizeof seen);
    pthread_mutex_init(&seen.mu, NULL);
    aia_monitors_sub *sub = NULL;
    MF_OK(aia_monitors_subscribe(f->monitors, on_alert, &seen, &sub, &err));

    char path[700];
    mf_csv c = {.rows = 1000, .seed = 77, .shift = {0, 0, 3, 0, 0, 3}, .with_target = 1};
    mf_write_csv(f, "shifted.csv", &c, path, sizeof path);
    aia_drift_report_record *r = NULL;
    MF_OK(aia_monitors_check(f->monitors, mon->monitor_id, path, NULL, 0, &r, &err));
    assert_true(r->dataset_drifted);
    size_t kinds = r->n_drift_kinds;
    assert_true(kinds >= 1);
    /* One alert per kind, delivered before check returned. */
    pthread_mutex_lock(&seen.mu);
    assert_int_equal(seen.n, (int)kinds);
    int data = -1;
    for (int i = 0; i < seen.n; i++) {
        assert_string_equal(seen.report_id[i], r->report_id);
        assert_int_equal(seen.kinds[i], r->drift_kinds[i]);
        if (seen.kinds[i] == AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_DATA) data = i;
        if (seen.kinds[i] == AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_PREDICTION)
            assert_string_equal(seen.features[i], "prediction");
    }
    assert_true(data >= 0);
    assert_string_equal(seen.features[data], "f2,f5");
    pthread_mutex_unlock(&seen.mu);
    /* Stored too. */
    size_t n = 0;
    aia_drift_alert_record **alerts = report_alerts(f, mon->monitor_id, r->report_id, &n);
    assert_int_equal(n, kinds);
    aia_store_records_free((void **)alerts, n);

    /* The webhook receives each alert as JSON. */
    assert_int_equal(rcv_wait(&hook, kinds, 10000), 0);
    pthread_mutex_lock(&hook.mu);
    int saw_data = 0;
    for (size_t i = 0; i < hook.n_req && i < kinds; i++) {
        assert_string_equal(hook.req[i].method, "POST");
        assert_non_null(strstr(hook.req[i].content_type, "json"));
        const char *body = hook.req[i].body;
        if (!strstr(body, r->report_id)) fail_msg("webhook body lacks the report id: %s", body);
        if (!strstr(body, mon->monitor_id)) fail_msg("webhook body lacks the monitor id: %s", body);
        if (strstr(body, "\"f2\"") && strstr(body, "\"f5\"")) saw_data = 1;
    }
    pthread_mutex_unlock(&hook.mu);
    assert_true(saw_data);
    aia_store_record_free(r);

    /* Unsubscribed: the next drifted check reaches the webhook only. */
    aia_monitors_unsubscribe(f->monitors, sub);
    MF_OK(aia_monitors_check(f->monitors, mon->monitor_id, path, NULL, 0, &r, &err));
    assert_int_equal(r->n_drift_kinds, kinds);
    assert_int_equal(rcv_wait(&hook, 2 * kinds, 10000), 0);
    pthread_mutex_lock(&seen.mu);
    assert_int_equal(seen.n, (int)kinds);
    pthread_mutex_unlock(&seen.mu);
    aia_store_record_free(r);
    aia_store_record_free(mon);
    pthread_mutex_destroy(&seen.mu);
    rcv_stop(&hook);
}

/* A check that drifts nothing raises no alert. */
static void test_no_alert_without_drift(void **state)
{
    mf *f = *state;
    aia_drift_monitor_record spec, *mon = NULL;
    mf_spec_init(&spec);
    aia_error err;
    MF_OK(aia_monitors_setup(f->monitors, &spec, &mon, &err));
    seen_alerts seen;
    memset(&seen, 0, sizeof seen);
    pthread_mutex_init(&seen.mu, NULL);
    aia_monitors_sub *sub = NULL;
    MF_OK(aia_monitors_subscribe(f->monitors, on_alert, &seen, &sub, &err));
    char path[700];
    mf_csv c = {.rows = 1000, .seed = 99, .with_target = 1};
    mf_write_csv(f, "same.csv", &c, path, sizeof path);
    aia_drift_report_record *r = NULL;
    MF_OK(aia_monitors_check(f->monitors, mon->monitor_id, path, NULL, 0, &r, &err));
    assert_int_equal(r->n_drift_kinds, 0);
    aia_monitors_unsubscribe(f->monitors, sub);
    assert_int_equal(seen.n, 0);
    size_t n = 0;
    aia_drift_alert_record **alerts = report_alerts(f, mon->monitor_id, r->report_id, &n);
    assert_int_equal(n, 0);
    aia_store_records_free((void **)alerts, n);
    pthread_mutex_destroy(&seen.mu);
    aia_store_record_free(r);
    aia_store_record_free(mon);
}

/* ---- the poller ---------------------------------------------------------- */

static void test_poller_checks_a_filled_window(void **state)
{
    mf *f = *state;
    mf_predict_log(f, 50, 700, 0, NULL, NULL); /* history before the monitor: not a window */
    aia_drift_monitor_record spec, *mon = NULL;
    mf_spec_init(&spec);
    spec.window_size = 100;
    aia_error err;
    MF_OK(aia_monitors_setup(f->monitors, &spec, &mon, &err));
    usleep(300 * 1000); /* several polls: nothing is due yet */
    size_t n = 0;
    aia_drift_report_record **reps = mf_reports(f, mon->monitor_id, &n);
    assert_int_equal(n, 0);
    aia_store_records_free((void **)reps, n);
    mf_predict_log(f, 100, 701, 0, NULL, NULL);
    int64_t until = mf_now_ms() + 10000;
    while (n == 0 && mf_now_ms() < until) {
        usleep(20 * 1000);
        reps = mf_reports(f, mon->monitor_id, &n);
        if (n == 0) aia_store_records_free((void **)reps, n);
    }
    if (n == 0) fail_msg("no report 10 s after the window filled");
    assert_int_equal(reps[n - 1]->source, AIA_STORE__V1__DRIFT_WINDOW_SOURCE__DRIFT_WINDOW_SOURCE_PREDICTION_LOG);
    assert_int_equal(reps[n - 1]->current_rows, 100);
    aia_store_records_free((void **)reps, n);
    aia_drift_monitor_record *got = NULL;
    MF_OK(aia_store_drift_monitor_get(f->store, mon->monitor_id, &got, &err));
    assert_true(got->latest_report_id[0] != '\0');
    aia_store_record_free(got);
    aia_store_record_free(mon);
}

/* New ground truth wakes the poller, which checks the model's monitors for
 * concept drift without waiting for a full window (poll period 1 s, the
 * window of 1,000 far from filled). */
static void test_ground_truth_wakes_the_poller(void **state)
{
    mf *f = *state;
    aia_drift_monitor_record spec, *mon = NULL;
    mf_spec_init(&spec);
    spec.model_version = f->version;
    AiaStore__V1__DriftActions actions;
    aia_store__v1__drift_actions__init(&actions);
    AiaStore__V1__DriftAction none[] = {AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_NONE};
    actions.on_concept_drift = none; /* alert only: no retraining job */
    actions.n_on_concept_drift = 1;
    spec.actions = &actions;
    aia_error err;
    MF_OK(aia_monitors_setup(f->monitors, &spec, &mon, &err));
    enum { N = 60 };
    char ids[N][33];
    const char *pred[N];
    mf_predict_log(f, N, 801, 0, ids, pred);
    aia_ground_truth_record g[N];
    const aia_ground_truth_record *rows[N];
    for (int i = 0; i < N; i++) rows[i] = truth_label(&g[i], ids[i], strcmp(pred[i], "yes") == 0 ? "no" : "yes");
    int accepted = 0, unmatched = 0;
    char **missing = NULL;
    size_t n_missing = 0;
    MF_OK(aia_monitors_ground_truth(f->monitors, MF_MODEL, rows, N, &accepted, &unmatched, &missing, &n_missing,
                                    &err));
    assert_int_equal(accepted, N);
    free_ids(missing, n_missing);
    size_t n = 0;
    aia_drift_report_record **reps = NULL;
    int64_t until = mf_now_ms() + 10000;
    while (n == 0 && mf_now_ms() < until) {
        usleep(20 * 1000);
        reps = mf_reports(f, mon->monitor_id, &n);
        if (n == 0) aia_store_records_free((void **)reps, n);
    }
    if (n == 0) fail_msg("no report 10 s after ground truth arrived");
    const aia_drift_report_record *r = reps[n - 1];
    assert_int_equal(r->source, AIA_STORE__V1__DRIFT_WINDOW_SOURCE__DRIFT_WINDOW_SOURCE_PREDICTION_LOG);
    assert_non_null(r->concept_drift);
    assert_true(r->concept_drift->drifted);
    assert_int_equal(r->concept_drift->labelled_rows, N);
    assert_string_equal(r->retraining_job_id, ""); /* on_concept_drift: NONE */
    aia_store_records_free((void **)reps, n);
    aia_store_record_free(mon);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ground_truth_matching, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concept_drift_retrains_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts_to_subscribers_and_webhook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_alert_without_drift, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poller_checks_a_filled_window, setup_fast_poll, teardown),
        cmocka_unit_test_setup_teardown(test_ground_truth_wakes_the_poller, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
