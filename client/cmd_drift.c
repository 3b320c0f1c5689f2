/* client/cmd_drift.c — `aia drift setup|check|status|reports|watch|truth`
 * over aia.v1.DriftService: the views of monitors, reports and alerts, the
 * commands, and the group's table. Building the setup request lives in
 * cmd_drift_setup.c, ground truth in cmd_drift_truth.c.
 *
 * A report prints as key lines, then one table row per feature (FEATURE,
 * TEST, STATISTIC, P-VALUE or "-" for the distances, THRESHOLD, DRIFTED),
 * then the dataset verdict and, when present, prediction drift, concept
 * drift and what the report caused (retraining job, refit version). `watch`
 * prints each alert the moment it arrives (stdout flushed per line) until
 * the server ends the stream or the user presses Ctrl-C.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "client/cli_commands.h"
#include "client/cli_format.h"
#include "client/cli_groups.h"
#include "client/cli_output.h"
#include "client/cli_request.h"
#include "client/cli_rpc.h"
#include "client/cmd_drift.h"
#include "lib/pbjson/pbjson.h"

static const char *kind_name(int kind, char *buf, size_t size)
{
    return aia_cli_enum_name(&aia__v1__drift_kind__descriptor, kind, "DRIFT_KIND_", buf, size);
}

static const char *action_name(int action)
{
    switch (action) {
    case AIA__V1__DRIFT_ACTION__DRIFT_ACTION_NONE: return "alert";
    case AIA__V1__DRIFT_ACTION__DRIFT_ACTION_REFIT_PREPROCESSING: return "refit";
    case AIA__V1__DRIFT_ACTION__DRIFT_ACTION_RETRAIN: return "retrain";
    default: return "?";
    }
}

static void format_kinds(aia_strbuf *sb, const Aia__V1__DriftKind *kinds, size_t n)
{
    char buf[48];
    for (size_t i = 0; i < n; i++) aia_strbuf_printf(sb, "%s%s", i ? "," : "", kind_name(kinds[i], buf, sizeof buf));
}

static void format_actions(aia_strbuf *sb, const Aia__V1__DriftAction *v, size_t n)
{
    for (size_t i = 0; i < n; i++) aia_strbuf_printf(sb, "%s%s", i ? "," : "", action_name(v[i]));
}

/* ---- monitors ---------------------------------------------------------------- */

static void view_monitor_actions(FILE *out, const Aia__V1__DriftActions *act)
{
    if (!act) return;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_puts(&sb, "data drift: ");
    format_actions(&sb, act->on_data_drift, act->n_on_data_drift);
    aia_strbuf_puts(&sb, "; concept drift: ");
    format_actions(&sb, act->on_concept_drift, act->n_on_concept_drift);
    aia_strbuf_puts(&sb, "; prediction drift: ");
    format_actions(&sb, act->on_prediction_drift, act->n_on_prediction_drift);
    if (act->cooldown) {
        char d[64];
        aia_cli_format_duration(act->cooldown->seconds, act->cooldown->nanos, d, sizeof d);
        aia_strbuf_printf(&sb, "; cooldown %s", d);
    }
    aia_cli_field(out, "actions", "%s", aia_strbuf_cstr(&sb));
    for (size_t i = 0; i < act->n_webhook_urls; i++) aia_cli_field(out, "webhook", "%s", act->webhook_urls[i]);
    aia_strbuf_free(&sb);
}

static void view_monitor(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__DriftMonitor *m = (const Aia__V1__DriftMonitor *)msg;
    char buf[64];
    aia_cli_field(out, "monitor", "%s", m->monitor_id);
    if (m->model_version) aia_cli_field(out, "model", "%s@%d", m->model_id, m->model_version);
    else aia_cli_field(out, "model", "%s (the version it resolves to at each check)", m->model_id);
    aia_cli_field(out, "state", "%s", aia_cli_enum_name(&aia__v1__drift_monitor_state__descriptor, m->state,
                                                        "DRIFT_MONITOR_STATE_", buf, sizeof buf));
    if (m->error && *m->error) aia_cli_field(out, "error", "%s", m->error);
    aia_cli_field(out, "reference", "%s (%lld rows)", m->reference_data_uri, (long long)m->reference_rows);
    aia_strbuf sb = AIA_STRBUF_INIT;
    for (size_t i = 0; i < m->n_feature_columns; i++)
        aia_strbuf_printf(&sb, "%s%s", i ? "," : "", m->feature_columns[i]);
    aia_cli_field(out, "features", "%s", sb.len ? aia_strbuf_cstr(&sb) : "(all of the model's)");
    aia_strbuf_free(&sb);
    aia_cli_field(out, "window", "%d rows", m->window_size);
    if (m->check_interval) {
        aia_cli_format_duration(m->check_interval->seconds, m->check_interval->nanos, buf, sizeof buf);
        aia_cli_field(out, "interval", "%s", buf);
    }
    view_monitor_actions(out, m->actions);
    aia_cli_field_map(out, "labels", msg, "labels");
    if (m->latest_report_id && *m->latest_report_id) aia_cli_field(out, "latest", "%s", m->latest_report_id);
}

/* ---- reports ----------------------------------------------------------------- */

static void feature_row(aia_cli_table *t, const Aia__V1__FeatureDrift *f)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_cli_table_cell(t, "%s", f->name);
    aia_cli_table_cell(t, "%s", f->test);
    aia_cli_format_number(&sb, f->statistic);
    aia_cli_table_cell(t, "%s", aia_strbuf_cstr(&sb));
    aia_strbuf_reset(&sb);
    if (f->p_value) aia_cli_format_number(&sb, f->p_value->value);
    aia_cli_table_cell(t, "%s", f->p_value ? aia_strbuf_cstr(&sb) : "-");
    aia_strbuf_reset(&sb);
    aia_cli_format_number(&sb, f->threshold);
    aia_cli_table_cell(t, "%s", aia_strbuf_cstr(&sb));
    aia_cli_table_cell(t, "%s", f->drifted ? "yes" : "no");
    aia_strbuf_free(&sb);
}

static void view_features(FILE *out, const Aia__V1__DriftReport *r)
{
    static const char *const headers[] = {"FEATURE", "TEST", "STATISTIC", "P-VALUE", "THRESHOLD", "DRIFTED", NULL};
    aia_cli_table *t = aia_cli_table_new(headers);
    for (size_t i = 0; i < r->n_features; i++) feature_row(t, r->features[i]);
    aia_cli_table_done(out, t, NULL);
}

static void view_source(FILE *out, const Aia__V1__DriftReport *r)
{
    char a[64], b[64];
    if (r->source == AIA__V1__DRIFT_WINDOW_SOURCE__DRIFT_WINDOW_SOURCE_UPLOADED_BATCH) {
        aia_cli_field(out, "window", "%lld rows of %s", (long long)r->current_rows,
                      r->current_data_uri && *r->current_data_uri ? r->current_data_uri : "an uploaded batch");
    } else if (r->window_start_time && r->window_end_time) {
        aia_cli_field(out, "window", "%lld logged predictions, %s to %s", (long long)r->current_rows,
                      aia_cli_format_time(r->window_start_time, a, sizeof a),
                      aia_cli_format_time(r->window_end_time, b, sizeof b));
    } else {
        aia_cli_field(out, "window", "%lld logged predictions", (long long)r->current_rows);
    }
    aia_cli_field(out, "reference", "%lld rows", (long long)r->reference_rows);
}

static void view_prediction_drift(FILE *out, const Aia__V1__DriftReport *r)
{
    const Aia__V1__FeatureDrift *p = r->prediction_drift;
    if (!p) return;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_printf(&sb, "%s: %s ", p->drifted ? "DRIFTED" : "no drift", p->test);
    aia_cli_format_number(&sb, p->statistic);
    if (p->p_value) {
        aia_strbuf_puts(&sb, ", p-value ");
        aia_cli_format_number(&sb, p->p_value->value);
    }
    aia_strbuf_puts(&sb, ", threshold ");
    aia_cli_format_number(&sb, p->threshold);
    if (r->recommended_decision_threshold) {
        aia_strbuf_puts(&sb, "; recommended decision threshold ");
        aia_cli_format_number(&sb, r->recommended_decision_threshold->value);
    }
    aia_cli_field(out, "prediction", "%s", aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
}

static void view_concept_drift(FILE *out, const Aia__V1__ConceptDrift *c)
{
    if (!c) return;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_printf(&sb, "%s: %s ", c->drifted ? "DRIFTED" : "no drift", c->metric);
    aia_cli_format_number(&sb, c->current_value);
    aia_strbuf_puts(&sb, " against validation ");
    aia_cli_format_number(&sb, c->baseline_value);
    aia_strbuf_puts(&sb, " (tolerance ");
    aia_cli_format_number(&sb, c->tolerance);
    aia_strbuf_printf(&sb, ", %lld labelled rows)", (long long)c->labelled_rows);
    aia_cli_field(out, "concept", "%s", aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
}

static void view_verdict(FILE *out, const Aia__V1__DriftReport *r)
{
    size_t drifted = 0;
    for (size_t i = 0; i < r->n_features; i++) drifted += r->features[i]->drifted != 0;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_printf(&sb, "%s: %zu of %zu features drifted (share ", r->dataset_drifted ? "DRIFTED" : "no drift",
                      drifted, r->n_features);
    aia_cli_format_number(&sb, r->drifted_share);
    aia_strbuf_printf(&sb, " %s threshold ", r->dataset_drifted ? ">" : "<=");
    aia_cli_format_number(&sb, r->drift_share_threshold);
    aia_strbuf_putc(&sb, ')');
    aia_cli_field(out, "dataset", "%s", aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
}

static void show_report(FILE *out, const Aia__V1__DriftReport *r)
{
    char tm[64];
    aia_cli_field(out, "report", "%s", r->report_id);
    aia_cli_field(out, "monitor", "%s", r->monitor_id);
    aia_cli_field(out, "model", "%s@%d", r->model_id, r->model_version);
    aia_cli_field(out, "checked", "%s", aia_cli_format_time(r->create_time, tm, sizeof tm));
    view_source(out, r);
    fputc('\n', out);
    view_features(out, r);
    fputc('\n', out);
    view_verdict(out, r);
    view_prediction_drift(out, r);
    view_concept_drift(out, r->concept_drift);
    if (r->retraining_job_id && *r->retraining_job_id)
        aia_cli_field(out, "retraining", "job %s (aia jobs watch %s)", r->retraining_job_id, r->retraining_job_id);
    if (r->refit_model_version) aia_cli_field(out, "refit", "published %s@%d", r->model_id, r->refit_model_version);
}

static void view_report(FILE *out, const ProtobufCMessage *msg)
{
    show_report(out, (const Aia__V1__DriftReport *)msg);
}

static void view_status(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__GetDriftStatusResponse *s = (const Aia__V1__GetDriftStatusResponse *)msg;
    char buf[64];
    aia_cli_field(out, "model", "%s", s->model_id);
    aia_cli_field(out, "drift", "%s", s->drifted ? "DETECTED" : "none detected");
    if (!s->n_monitors) fputs("(no drift monitors; set one up with aia drift setup)\n", out);
    for (size_t i = 0; i < s->n_monitors; i++) {
        const Aia__V1__DriftMonitorStatus *m = s->monitors[i];
        fputc('\n', out);
        if (m->latest_report) {
            show_report(out, m->latest_report);
        } else if (m->monitor) {
            aia_cli_field(out, "monitor", "%s (%s, no check yet)", m->monitor->monitor_id,
                          aia_cli_enum_name(&aia__v1__drift_monitor_state__descriptor, m->monitor->state,
                                            "DRIFT_MONITOR_STATE_", buf, sizeof buf));
        }
        if (m->monitor && m->monitor->error && *m->monitor->error)
            aia_cli_field(out, "error", "%s", m->monitor->error);
    }
}

static void view_report_list(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__ListDriftReportsResponse *l = (const Aia__V1__ListDriftReportsResponse *)msg;
    static const char *const headers[] = {"REPORT", "CHECKED", "SOURCE", "DATASET", "DRIFTED SHARE", "KINDS", NULL};
    aia_cli_table *t = aia_cli_table_new(headers);
    for (size_t i = 0; i < l->n_reports; i++) {
        const Aia__V1__DriftReport *r = l->reports[i];
        char tm[64];
        aia_strbuf sb = AIA_STRBUF_INIT;
        aia_cli_table_cell(t, "%s", r->report_id);
        aia_cli_table_cell(t, "%s", aia_cli_format_time(r->create_time, tm, sizeof tm));
        aia_cli_table_cell(t, "%s", r->source == AIA__V1__DRIFT_WINDOW_SOURCE__DRIFT_WINDOW_SOURCE_UPLOADED_BATCH
                                        ? "batch"
                                        : "prediction-log");
        aia_cli_table_cell(t, "%s", r->dataset_drifted ? "DRIFTED" : "ok");
        aia_cli_format_number(&sb, r->drifted_share);
        aia_cli_table_cell(t, "%s", aia_strbuf_cstr(&sb));
        aia_strbuf_reset(&sb);
        format_kinds(&sb, r->drift_kinds, r->n_drift_kinds);
        aia_cli_table_cell(t, "%s", sb.len ? aia_strbuf_cstr(&sb) : "-");
        aia_strbuf_free(&sb);
    }
    aia_cli_table_done(out, t, l->next_page_token);
}

/* ---- alerts ------------------------------------------------------------------- */

/* "10:04:05  DATA drift of churn@3 (monitor M, report R): message; ..." */
static void format_alert(aia_strbuf *sb, const Aia__V1__DriftAlert *al)
{
    char kind[48], hms[16];
    time_t t = al->create_time ? (time_t)al->create_time->seconds : time(NULL);
    struct tm tm;
    strftime(hms, sizeof hms, "%H:%M:%S", localtime_r(&t, &tm));
    aia_strbuf_printf(sb, "%s  %s drift of %s@%d (monitor %s, report %s)", hms, kind_name(al->kind, kind, sizeof kind),
                      al->model_id, al->model_version, al->monitor_id, al->report_id);
    if (al->message && *al->message) aia_strbuf_printf(sb, ": %s", al->message);
    for (size_t i = 0; i < al->n_drifted_features; i++)
        aia_strbuf_printf(sb, "%s%s", i ? "," : "; features ", al->drifted_features[i]);
    if (al->n_actions_taken) {
        aia_strbuf_puts(sb, "; actions ");
        format_actions(sb, al->actions_taken, al->n_actions_taken);
    }
    if (al->retraining_job_id && *al->retraining_job_id) aia_strbuf_printf(sb, "; job %s", al->retraining_job_id);
    if (al->refit_model_version) aia_strbuf_printf(sb, "; refit version %d", al->refit_model_version);
    if (al->action_note && *al->action_note) aia_strbuf_printf(sb, "; %s", al->action_note);
}

typedef struct alert_watch {
    const aia_cli_args *a;
    FILE *out;
    aia_status print_status; /* an alert that could not be printed */
    aia_error print_err;
} alert_watch;

static int on_alert(const ProtobufCMessage *msg, void *user)
{
    alert_watch *w = user;
    if (w->a->json) {
        w->print_status = aia_cli_write_json(w->out, msg, w->a->pretty, &w->print_err);
        return w->print_status != AIA_OK;
    }
    aia_strbuf line = AIA_STRBUF_INIT;
    format_alert(&line, (const Aia__V1__DriftAlert *)msg);
    fprintf(w->out, "%s\n", aia_strbuf_cstr(&line));
    fflush(w->out);
    aia_strbuf_free(&line);
    return 0;
}

/* --since RFC3339 through the proto3 JSON form of a Timestamp, so that it
 * accepts exactly what the gateway's ?since= does. */
static int parse_since(const char *s, Google__Protobuf__Timestamp **out, aia_error *err)
{
    aia_strbuf json = AIA_STRBUF_INIT;
    aia_strbuf_json_string(&json, s, strlen(s));
    ProtobufCMessage *m = NULL;
    aia_status st = aia_pbjson_decode(&google__protobuf__timestamp__descriptor, aia_strbuf_cstr(&json), json.len,
                                      NULL, NULL, &m, err);
    aia_strbuf_free(&json);
    if (st != AIA_OK) {
        aia_error_set(err, AIA_INVALID_ARGUMENT,
                      "invalid --since \"%s\": expected an RFC 3339 time such as 2026-11-26T10:00:00Z", s);
        return -1;
    }
    *out = (Google__Protobuf__Timestamp *)m;
    return 0;
}

/* --kind data|prediction|concept, repeatable and comma-separated. */
static int parse_kinds(const aia_cli_sub *s, Aia__V1__DriftKind *kinds, size_t max, size_t *n, aia_error *err)
{
    size_t pos = 0;
    *n = 0;
    for (const char *v; (v = aia_cli_opt_next(s, "--kind", &pos));) {
        char **names;
        size_t count;
        if (aia_cli_split_list("--kind", v, &names, &count, err) != 0) return -1;
        int rc = 0;
        for (size_t k = 0; rc == 0 && k < count; k++) {
            int kind;
            rc = aia_cli_parse_enum("--kind", names[k], &aia__v1__drift_kind__descriptor, "DRIFT_KIND_", &kind, err);
            int seen = 0;
            for (size_t i = 0; rc == 0 && i < *n; i++) seen |= (int)kinds[i] == kind;
            if (rc == 0 && !seen && *n < max) kinds[(*n)++] = kind;
        }
        aia_cli_strv_free(names);
        if (rc != 0) return -1;
    }
    return 0;
}

static int cmd_watch(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__StreamDriftAlertsRequest req = AIA__V1__STREAM_DRIFT_ALERTS_REQUEST__INIT;
    Aia__V1__DriftKind kinds[4];
    aia_error err;
    const char *since = aia_cli_opt(&a->sub, "--since");
    if (parse_kinds(&a->sub, kinds, sizeof kinds / sizeof kinds[0], &req.n_kinds, &err) != 0 ||
        (since && parse_since(since, &req.since, &err) != 0))
        return aia_cli_usage_failed(errf, &err);
    req.kinds = kinds;
    req.model_id = (char *)aia_cli_opt_or(&a->sub, "--model", "");
    req.monitor_id = (char *)aia_cli_opt_or(&a->sub, "--monitor", "");
    alert_watch w = {.a = a, .out = out};
    aia_status st = aia_cli_rpc_stream(a, AIA_CLI_DRIFT_SERVICE, "StreamDriftAlerts", &req.base,
                                       a->timeout_set ? a->timeout_seconds : 0, on_alert, &w, &err);
    if (req.since) protobuf_c_message_free_unpacked(&req.since->base, NULL);
    if (w.print_status != AIA_OK) {
        aia_cli_print_status_error(errf, w.print_status, w.print_err.message);
        return AIA_CLI_EXIT_FAILED;
    }
    if (st != AIA_OK) {
        aia_cli_print_status_error(errf, st, err.message);
        return AIA_CLI_EXIT_FAILED;
    }
    return AIA_CLI_EXIT_OK;
}

/* ---- the other commands ------------------------------------------------------ */

static int cmd_setup(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__SetupDriftMonitoringRequest req = AIA__V1__SETUP_DRIFT_MONITORING_REQUEST__INIT;
    aia_arena ar;
    aia_arena_init(&ar, 0);
    aia_error err;
    int rc = aia_cli_drift_build_setup(&ar, &a->sub, &req, &err) != 0
                 ? aia_cli_usage_failed(errf, &err)
                 : aia_cli_rpc_show(a, AIA_CLI_DRIFT_SERVICE, "SetupDriftMonitoring", &req.base, view_monitor, out,
                                    errf);
    aia_arena_destroy(&ar);
    return rc;
}

static int cmd_check(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__RunDriftCheckRequest req = AIA__V1__RUN_DRIFT_CHECK_REQUEST__INIT;
    aia_arena ar;
    aia_arena_init(&ar, 0);
    aia_error err;
    const char *data = aia_cli_opt(&a->sub, "--data");
    req.monitor_id = (char *)a->sub.args[0];
    req.skip_actions = aia_cli_flag(&a->sub, "--skip-actions");
    int rc;
    if (data && !*data) {
        aia_error_set(&err, AIA_INVALID_ARGUMENT,
                      "--data is empty: give a CSV path or URI, or leave it out to check the prediction log");
        rc = aia_cli_usage_failed(errf, &err);
    } else {
        if (data) req.current_data_uri = (char *)aia_cli_data_uri(&ar, data);
        rc = aia_cli_rpc_show(a, AIA_CLI_DRIFT_SERVICE, "RunDriftCheck", &req.base, view_report, out, errf);
    }
    aia_arena_destroy(&ar);
    return rc;
}

static int cmd_status(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__GetDriftStatusRequest req = AIA__V1__GET_DRIFT_STATUS_REQUEST__INIT;
    req.model_id = (char *)a->sub.args[0];
    req.monitor_id = (char *)aia_cli_opt_or(&a->sub, "--monitor", "");
    return aia_cli_rpc_show(a, AIA_CLI_DRIFT_SERVICE, "GetDriftStatus", &req.base, view_status, out, errf);
}

static int cmd_reports(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__ListDriftReportsRequest req = AIA__V1__LIST_DRIFT_REPORTS_REQUEST__INIT;
    aia_error err;
    const char *token, *monitor = aia_cli_opt(&a->sub, "--monitor"), *model = aia_cli_opt(&a->sub, "--model");
    if (!monitor == !model) {
        aia_error_set(&err, AIA_INVALID_ARGUMENT,
                      monitor ? "drift reports takes --monitor or --model, not both"
                              : "drift reports needs --monitor MONITOR_ID or --model MODEL_ID");
        return aia_cli_usage_failed(errf, &err);
    }
    if (aia_cli_page_options(&a->sub, &req.page_size, &token, &err) != 0) return aia_cli_usage_failed(errf, &err);
    if (token) req.page_token = (char *)token;
    req.monitor_id = (char *)(monitor ? monitor : "");
    req.model_id = (char *)(model ? model : "");
    req.drifted_only = aia_cli_flag(&a->sub, "--drifted-only");
    return aia_cli_rpc_show(a, AIA_CLI_DRIFT_SERVICE, "ListDriftReports", &req.base, view_report_list, out, errf);
}

/* ---- the table ---------------------------------------------------------------- */

static const aia_cli_option k_setup_options[] = {
    {"--reference", AIA_CLI_VALUE},        {"--features", AIA_CLI_VALUE},
    {"--test", AIA_CLI_REPEAT},            {"--threshold", AIA_CLI_REPEAT},
    {"--window-size", AIA_CLI_VALUE},      {"--check-interval", AIA_CLI_VALUE},
    {"--on-data-drift", AIA_CLI_VALUE},    {"--on-concept-drift", AIA_CLI_VALUE},
    {"--on-prediction-drift", AIA_CLI_VALUE}, {"--webhook", AIA_CLI_REPEAT},
    {"--cooldown", AIA_CLI_VALUE},         {"--version", AIA_CLI_VALUE},
    {"--drift-share", AIA_CLI_VALUE},      {"--concept-metric", AIA_CLI_VALUE},
    {"--concept-tolerance", AIA_CLI_VALUE}, {"--label", AIA_CLI_REPEAT},
    {NULL, 0},
};
static const aia_cli_option k_check_options[] = {{"--data", AIA_CLI_VALUE}, {"--skip-actions", AIA_CLI_FLAG},
                                                 {NULL, 0}};
static const aia_cli_option k_status_options[] = {{"--monitor", AIA_CLI_VALUE}, {NULL, 0}};
static const aia_cli_option k_reports_options[] = {
    {"--monitor", AIA_CLI_VALUE}, {"--model", AIA_CLI_VALUE}, {"--drifted-only", AIA_CLI_FLAG},
    AIA_CLI_PAGE_OPTIONS,         {NULL, 0},
};
static const aia_cli_option k_watch_options[] = {
    {"--model", AIA_CLI_VALUE}, {"--monitor", AIA_CLI_VALUE}, {"--kind", AIA_CLI_REPEAT},
    {"--since", AIA_CLI_VALUE}, {NULL, 0},
};
static const aia_cli_option k_truth_options[] = {
    {"--file", AIA_CLI_VALUE}, {"--id", AIA_CLI_VALUE}, {"--label", AIA_CLI_VALUE}, {"--value", AIA_CLI_VALUE},
    {NULL, 0},
};

#define REPORT_VIEW                                                                                                \
    "Prints the report: window, then a table FEATURE, TEST, STATISTIC, P-VALUE (\"-\"\n"                         \
    "for the distances), THRESHOLD, DRIFTED; then the dataset verdict, prediction\n"                              \
    "drift and concept drift when present, and the retraining job or refit version\n"                             \
    "the report caused.\n"

static const aia_cli_subcommand k_commands[] = {
    {"setup", "MODEL_ID", "create a drift monitor for a model",
     "Creates a monitor that checks the model's live predictions (each full window,\n"
     "and on a schedule with --check-interval) against reference data, and prints\n"
     "it; with --json the DriftMonitor.\n"
     "\n"
     "options:\n"
     "  --reference URI          reference CSV (local path, file://, http(s)://);\n"
     "                           default: the monitored version's training data\n"
     "  --features A,B,C         features to monitor (default: all of the model's)\n"
     "  --test FEATURE=TEST      test of a feature (repeatable): ks, psi,\n"
     "                           wasserstein_normed, chi_square, jensen_shannon,\n"
     "                           l_infinity, z_test. Default as Evidently: with at most\n"
     "                           1,000 reference rows ks (numeric), chi_square\n"
     "                           (categorical), z_test (binary); above that\n"
     "                           wasserstein_normed and jensen_shannon\n"
     "  --threshold FEATURE=X    drift threshold of a feature (repeatable): p-value\n"
     "                           below X for ks, chi_square, z_test (default 0.05);\n"
     "                           statistic at or above X for the distances (default\n"
     "                           0.1)\n"
     "  --window-size N          logged predictions per check (default: the server's)\n"
     "  --check-interval D       also check on this schedule, e.g. 30s, 10m, 1h\n"
     "  --on-data-drift A        alert (default), refit (refit the preprocessing and\n"
     "                           publish a new version) and/or retrain, comma-separated\n"
     "  --on-concept-drift A     default: retrain\n"
     "  --on-prediction-drift A  default: alert\n"
     "  --webhook URL            POST every alert as JSON to URL (repeatable)\n"
     "  --cooldown D             least time between two refits or retrainings, e.g. 10m\n"
     "  --version N              monitor version N (default: whatever the bare model id\n"
     "                           resolves to at each check)\n"
     "  --drift-share X          the dataset drifts when more than this share of the\n"
     "                           features drift (0 < X < 1; default 0.5)\n"
     "  --concept-metric NAME    metric for concept drift, e.g. accuracy (default: the\n"
     "                           task's)\n"
     "  --concept-tolerance X    drop of that metric against validation that counts as\n"
     "                           concept drift (default: the server's)\n"
     "  --label KEY=VALUE        a label of the monitor (repeatable)\n",
     1, 1, k_setup_options, cmd_setup},
    {"check", "MONITOR_ID", "run a drift check now and print its report",
     "Checks the latest window of the prediction log, or a CSV batch with --data.\n"
     "\n"
     "options:\n"
     "  --data URI               CSV with the monitored feature columns (local path,\n"
     "                           file://, http(s)://)\n"
     "  --skip-actions           store the report but raise no alert and take no action\n"
     "\n" REPORT_VIEW "With --json the DriftReport.\n",
     1, 1, k_check_options, cmd_check},
    {"status", "MODEL_ID", "show the latest report of each of a model's monitors",
     "options:\n"
     "  --monitor ID             only this monitor\n"
     "\n"
     "Prints whether any monitor found drift, then each monitor's latest report as\n"
     "aia drift check does. With --json the GetDriftStatusResponse.\n",
     1, 1, k_status_options, cmd_status},
    {"reports", "", "list stored drift reports, newest first",
     "options (one of --monitor and --model is required):\n"
     "  --monitor ID             reports of this monitor\n"
     "  --model ID               reports of all monitors of this model\n"
     "  --drifted-only           only reports that found drift\n"
     AIA_CLI_PAGE_HELP("reports")
     "\n"
     "Prints a table: REPORT, CHECKED, SOURCE (prediction-log or batch), DATASET\n"
     "(DRIFTED or ok), DRIFTED SHARE, KINDS; with --json the\n"
     "ListDriftReportsResponse.\n",
     0, 0, k_reports_options, cmd_reports},
    {"watch", "", "print drift alerts as they are raised",
     "options:\n"
     "  --model ID               only alerts of this model\n"
     "  --monitor ID             only alerts of this monitor\n"
     "  --kind K[,K]             only these kinds (repeatable): data, prediction,\n"
     "                           concept\n"
     "  --since TIME             first replay stored alerts raised after TIME\n"
     "                           (RFC 3339, e.g. 2026-11-26T10:00:00Z)\n"
     "\n"
     "Prints one line per alert as it arrives: time, kind, model@version, monitor,\n"
     "report, message, drifted features, actions taken; with --json one DriftAlert\n"
     "JSON document per line. Runs until Ctrl-C (or --timeout, or AIA_TIMEOUT).\n",
     0, 0, k_watch_options, cmd_watch},
    {"truth", "MODEL_ID", "report the true outcomes of earlier predictions",
     "Ground truth, matched to logged predictions by prediction_id, for concept\n"
     "drift. Either:\n"
     "  --file CSV               columns prediction_id and label (classification) or\n"
     "                           value (regression); other columns are ignored\n"
     "or one outcome:\n"
     "  --id PREDICTION_ID       with --label L or --value X\n"
     "\n"
     "Prints how many were accepted and unmatched (and some unmatched ids); with\n"
     "--json the ReportGroundTruthResponse, summed over the requests sent.\n",
     1, 1, k_truth_options, aia_cli_drift_truth},
};

const aia_cli_group aia_cli_drift_group = {
    "drift",
    "Drift monitoring: set up monitors, run checks, reports, alerts, ground truth.",
    k_commands,
    sizeof k_commands / sizeof k_commands[0],
};
