/* server/services/drift_service.c — aia.v1.DriftService: requests mapped to
 * lib/monitor and the store, records converted to API messages by the wire
 * (lib/store/records.proto is wire-compatible with drift.proto).
 *
 * Every unary method reads files or SQLite, and RunDriftCheck runs the
 * statistics, so they run on the worker pool (AIA_METHOD_BLOCKING).
 * StreamDriftAlerts lives in drift_alerts.c. */
#include <stdlib.h>
#include <string.h>

#include "lib/pbjson/pbjson.h"
#include "server/services/drift_internal.h"
#include "server/services/model_internal.h"
#include "server/services/pb_time.h"
#include "server/services/services.h"

/* Longest check interval and cooldown: a year, far inside int64 ns. */
#define MAX_DRIFT_DURATION_NS (366LL * 86400 * 1000000000LL)

static aia_drift_engine g_engine; /* written only while no call runs (see drift_service.h) */

const aia_drift_engine *aia_drift_engine_ready(aia_error *err)
{
    if (g_engine.store && g_engine.monitors) return &g_engine;
    aia_error_set(err, AIA_UNAVAILABLE, "DriftService is not ready: the drift monitors are not running");
    return NULL;
}

aia_status aia_drift_service_bind(const aia_drift_engine *engine, aia_error *err)
{
    if (aia_drift_alerts_init(err) != AIA_OK) return err->code;
    g_engine = *engine;
    return AIA_OK;
}

void aia_drift_service_unbind(void)
{
    aia_drift_alerts_shutdown();
    g_engine = (aia_drift_engine){0};
}

aia_status aia_drift_alert_json(void *arg, const aia_drift_alert_record *alert, aia_strbuf *out, aia_error *err)
{
    (void)arg;
    ProtobufCMessage *api = aia_model_convert_heap(&alert->base, &aia__v1__drift_alert__descriptor, err);
    if (!api) return err->code;
    aia_status st = aia_pbjson_encode(api, NULL, out, err);
    protobuf_c_message_free_unpacked(api, NULL);
    return st;
}

/* ---- SetupDriftMonitoring ------------------------------------------------ */

/* The request's fields in a monitor record (lib/monitor validates them);
 * sub-messages converted by the wire into the arena. */
static aia_status spec_of(aia_arena *a, const Aia__V1__SetupDriftMonitoringRequest *r,
                          aia_drift_monitor_record *spec, aia_error *err)
{
    aia_store__v1__drift_monitor__init(spec);
    spec->model_id = r->model_id;
    spec->model_version = r->model_version;
    spec->reference_data_uri = r->reference_data_uri;
    spec->feature_columns = r->feature_columns;
    spec->n_feature_columns = r->n_feature_columns;
    spec->window_size = r->window_size;
    spec->drift_share_threshold = r->drift_share_threshold;
    spec->concept_drift_metric = r->concept_drift_metric;
    spec->concept_drift_tolerance = r->concept_drift_tolerance;
    if (r->check_interval) {
        int64_t ns = 0;
        if (aia_pb_duration_ns(r->check_interval, "check_interval", 1000000000LL, MAX_DRIFT_DURATION_NS, &ns, err) !=
            AIA_OK)
            return err->code;
        spec->check_interval = aia_arena_alloc(a, sizeof *spec->check_interval);
        aia_store__v1__time__init(spec->check_interval);
        spec->check_interval->seconds = r->check_interval->seconds;
        spec->check_interval->nanos = r->check_interval->nanos;
    }
    int64_t cooldown_ns = 0; /* checked here for a message naming the field; lib/monitor keeps the record's */
    if (r->actions && r->actions->cooldown &&
        aia_pb_duration_ns(r->actions->cooldown, "actions.cooldown", 0, MAX_DRIFT_DURATION_NS, &cooldown_ns, err) !=
            AIA_OK)
        return err->code;
    if (r->actions && !(spec->actions = (AiaStore__V1__DriftActions *)aia_model_convert(
                            a, &r->actions->base, &aia_store__v1__drift_actions__descriptor, err)))
        return err->code;
    spec->feature_overrides = aia_arena_alloc(a, (r->n_feature_overrides + 1) * sizeof *spec->feature_overrides);
    for (size_t i = 0; i < r->n_feature_overrides; i++) {
        AiaStore__V1__DriftMonitor__FeatureOverridesEntry *e = aia_arena_alloc(a, sizeof *e);
        aia_store__v1__drift_monitor__feature_overrides_entry__init(e);
        e->key = r->feature_overrides[i]->key;
        if (r->feature_overrides[i]->value &&
            !(e->value = (AiaStore__V1__DriftFeatureOverride *)aia_model_convert(
                  a, &r->feature_overrides[i]->value->base, &aia_store__v1__drift_feature_override__descriptor, err)))
            return err->code;
        spec->feature_overrides[spec->n_feature_overrides++] = e;
    }
    spec->labels = aia_arena_alloc(a, (r->n_labels + 1) * sizeof *spec->labels);
    for (size_t i = 0; i < r->n_labels; i++) {
        AiaStore__V1__DriftMonitor__LabelsEntry *e = aia_arena_alloc(a, sizeof *e);
        aia_store__v1__drift_monitor__labels_entry__init(e);
        e->key = r->labels[i]->key;
        e->value = r->labels[i]->value;
        spec->labels[spec->n_labels++] = e;
    }
    return AIA_OK;
}

static aia_status rpc_setup(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const aia_drift_engine *e = aia_drift_engine_ready(err);
    if (!e) return err->code;
    aia_drift_monitor_record spec, *out = NULL;
    if (spec_of(aia_rpc_arena(rpc), (const Aia__V1__SetupDriftMonitoringRequest *)req, &spec, err) != AIA_OK)
        return err->code;
    if (aia_monitors_setup(e->monitors, &spec, &out, err) != AIA_OK) return err->code;
    ProtobufCMessage *api = aia_model_convert(aia_rpc_arena(rpc), &out->base, resp->descriptor, err);
    aia_store_record_free(out);
    if (!api) return err->code;
    aia_model_assign(resp, api);
    return AIA_OK;
}

/* ---- RunDriftCheck --------------------------------------------------------- */

static aia_status rpc_check(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const Aia__V1__RunDriftCheckRequest *r = (const Aia__V1__RunDriftCheckRequest *)req;
    const aia_drift_engine *e = aia_drift_engine_ready(err);
    if (!e) return err->code;
    if (!r->monitor_id[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "monitor_id: required");
    if (r->current_data_uri[0] && r->n_instances)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "give current_data_uri or instances, not both (neither = the prediction log)");
    aia_frame *rows = NULL;
    if (r->n_instances &&
        aia_drift_instances_frame(e->monitors, r->monitor_id, r->instances, r->n_instances, &rows, err) != AIA_OK)
        return err->code;
    aia_drift_report_record *out = NULL;
    aia_status st = aia_monitors_check(e->monitors, r->monitor_id, r->current_data_uri, rows, r->skip_actions,
                                       &out, err);
    aia_frame_free(rows);
    if (st != AIA_OK) return st;
    ProtobufCMessage *api = aia_model_convert(aia_rpc_arena(rpc), &out->base, resp->descriptor, err);
    aia_store_record_free(out);
    if (!api) return err->code;
    aia_model_assign(resp, api);
    return AIA_OK;
}

/* ---- GetDriftStatus -------------------------------------------------------- */

static aia_status status_of(aia_arena *a, const aia_drift_engine *e, aia_drift_monitor_record *m,
                            Aia__V1__DriftMonitorStatus **out, int *drifted, aia_error *err)
{
    Aia__V1__DriftMonitorStatus *s = aia_arena_alloc(a, sizeof *s);
    aia__v1__drift_monitor_status__init(s);
    if (!(s->monitor = (Aia__V1__DriftMonitor *)aia_model_convert(a, &m->base, &aia__v1__drift_monitor__descriptor,
                                                                    err)))
        return err->code;
    if (m->latest_report_id[0]) {
        aia_drift_report_record *r = NULL;
        if (aia_store_drift_report_get(e->store, m->latest_report_id, &r, err) != AIA_OK) return err->code;
        s->latest_report =
            (Aia__V1__DriftReport *)aia_model_convert(a, &r->base, &aia__v1__drift_report__descriptor, err);
        *drifted |= r->n_drift_kinds > 0;
        aia_store_record_free(r);
        if (!s->latest_report) return err->code;
    }
    *out = s;
    return AIA_OK;
}

static aia_status rpc_status(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const Aia__V1__GetDriftStatusRequest *r = (const Aia__V1__GetDriftStatusRequest *)req;
    Aia__V1__GetDriftStatusResponse *out = (Aia__V1__GetDriftStatusResponse *)resp;
    const aia_drift_engine *e = aia_drift_engine_ready(err);
    if (!e) return err->code;
    aia_model_record *model = NULL;
    if (aia_store_check_id("model_id", r->model_id, err) != AIA_OK ||
        aia_store_model_get(e->store, r->model_id, 0, &model, err) != AIA_OK)
        return err->code;
    aia_store_record_free(model);
    aia_drift_monitor_record **mons = NULL;
    size_t n = 0;
    if (aia_store_drift_monitor_list(e->store, r->model_id, &mons, &n, err) != AIA_OK) return err->code;
    aia_arena *a = aia_rpc_arena(rpc);
    out->model_id = r->model_id;
    out->monitors = aia_arena_alloc(a, (n + 1) * sizeof *out->monitors);
    aia_status st = AIA_OK;
    int drifted = 0, found = !r->monitor_id[0];
    for (size_t i = 0; st == AIA_OK && i < n; i++) {
        if (r->monitor_id[0] && strcmp(r->monitor_id, mons[i]->monitor_id) != 0) continue;
        found = 1;
        st = status_of(a, e, mons[i], &out->monitors[out->n_monitors], &drifted, err);
        if (st == AIA_OK) out->n_monitors++;
    }
    aia_store_records_free((void **)mons, n);
    if (st == AIA_OK && !found)
        st = aia_error_set(err, AIA_NOT_FOUND, "monitor %s is not a monitor of model %s", r->monitor_id,
                           r->model_id);
    out->drifted = drifted;
    return st;
}

/* ---- ListDriftReports ------------------------------------------------------ */

static aia_status rpc_list(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const Aia__V1__ListDriftReportsRequest *r = (const Aia__V1__ListDriftReportsRequest *)req;
    Aia__V1__ListDriftReportsResponse *out = (Aia__V1__ListDriftReportsResponse *)resp;
    const aia_drift_engine *e = aia_drift_engine_ready(err);
    if (!e) return err->code;
    if (!r->monitor_id[0] && !r->model_id[0])
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "give monitor_id or model_id");
    if (aia_model_check_page_size(r->page_size, err) != AIA_OK) return err->code;
    if (r->monitor_id[0]) {
        aia_drift_monitor_record *m = NULL;
        if (aia_store_drift_monitor_get(e->store, r->monitor_id, &m, err) != AIA_OK) return err->code;
        aia_store_record_free(m);
    } else {
        aia_model_record *model = NULL;
        if (aia_store_check_id("model_id", r->model_id, err) != AIA_OK ||
            aia_store_model_get(e->store, r->model_id, 0, &model, err) != AIA_OK)
            return err->code;
        aia_store_record_free(model);
    }
    aia_drift_report_filter f = {.monitor_id = r->monitor_id,
                                 .model_id = r->monitor_id[0] ? NULL : r->model_id,
                                 .drifted_only = r->drifted_only};
    if ((r->start_time && aia_pb_timestamp_ns(r->start_time, "start_time", &f.start_ns, err) != AIA_OK) ||
        (r->end_time && aia_pb_timestamp_ns(r->end_time, "end_time", &f.end_ns, err) != AIA_OK))
        return err->code;
    if (f.start_ns <= 0 && r->start_time) f.start_ns = 1; /* 0 would mean "unbounded": the epoch itself is 1 ns later */
    if (r->end_time && f.end_ns <= 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "end_time: before 1970, when no report exists");
    aia_store_page page = {.page_size = r->page_size, .page_token = r->page_token};
    aia_drift_report_record **reports = NULL;
    size_t n = 0;
    char *next = NULL;
    if (aia_store_drift_report_list(e->store, &f, &page, &reports, &n, &next, err) != AIA_OK) return err->code;
    aia_arena *a = aia_rpc_arena(rpc);
    out->next_page_token = aia_arena_strdup(a, next ? next : "");
    free(next);
    return aia_model_convert_list(a, (void **)reports, n, &aia__v1__drift_report__descriptor, &out->reports,
                                  &out->n_reports, err);
}

/* ---- ReportGroundTruth ----------------------------------------------------- */

static aia_status rpc_truth(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const Aia__V1__ReportGroundTruthRequest *r = (const Aia__V1__ReportGroundTruthRequest *)req;
    Aia__V1__ReportGroundTruthResponse *out = (Aia__V1__ReportGroundTruthResponse *)resp;
    const aia_drift_engine *e = aia_drift_engine_ready(err);
    if (!e) return err->code;
    aia_arena *a = aia_rpc_arena(rpc);
    const aia_ground_truth_record **rows = aia_arena_alloc(a, (r->n_ground_truth + 1) * sizeof *rows);
    for (size_t i = 0; i < r->n_ground_truth; i++) {
        rows[i] = (const aia_ground_truth_record *)aia_model_convert(a, &r->ground_truth[i]->base,
                                                                      &aia_store__v1__ground_truth__descriptor, err);
        if (!rows[i]) return err->code;
    }
    int accepted = 0, unmatched = 0;
    char **ids = NULL;
    size_t n_ids = 0;
    if (aia_monitors_ground_truth(e->monitors, r->model_id, rows, r->n_ground_truth, &accepted, &unmatched, &ids,
                                  &n_ids, err) != AIA_OK)
        return err->code;
    out->accepted = accepted;
    out->unmatched = unmatched;
    out->unmatched_prediction_ids = aia_arena_alloc(a, (n_ids + 1) * sizeof *out->unmatched_prediction_ids);
    for (size_t i = 0; i < n_ids; i++) {
        out->unmatched_prediction_ids[i] = aia_arena_strdup(a, ids[i]);
        free(ids[i]);
    }
    out->n_unmatched_prediction_ids = n_ids;
    free(ids);
    return AIA_OK;
}

#define BLOCKING(m, fn) {.name = m, .unary = fn, .flags = AIA_METHOD_BLOCKING}

static const aia_method_impl k_methods[] = {
    BLOCKING("SetupDriftMonitoring", rpc_setup),
    BLOCKING("GetDriftStatus", rpc_status),
    BLOCKING("RunDriftCheck", rpc_check),
    BLOCKING("ReportGroundTruth", rpc_truth),
    BLOCKING("ListDriftReports", rpc_list),
    {.name = "StreamDriftAlerts", .stream = aia_drift_rpc_stream_alerts, .flags = AIA_METHOD_BLOCKING},
};

const aia_service_impl aia_drift_service = {
    .descriptor = &aia__v1__drift_service__descriptor,
    .methods = k_methods,
    .n_methods = sizeof k_methods / sizeof k_methods[0],
};
