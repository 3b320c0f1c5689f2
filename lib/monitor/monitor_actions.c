/* lib/monitor/monitor_actions.c — what a drifted report sets off: one alert
 * per kind of drift (stored, streamed, posted to webhooks) and the
 * configured actions, with the retraining cooldown. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/monitor/monitor_internal.h"
#include "lib/pbjson/pbjson.h"

/* The actions configured for a kind (setup stored the defaults). */
static void actions_for(const aia_drift_monitor_record *rec, AiaStore__V1__DriftKind kind,
                        const AiaStore__V1__DriftAction **list, size_t *n)
{
    const AiaStore__V1__DriftActions *a = rec->actions;
    *list = NULL;
    *n = 0;
    if (!a) return;
    if (kind == AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_DATA) *list = a->on_data_drift, *n = a->n_on_data_drift;
    else if (kind == AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_CONCEPT)
        *list = a->on_concept_drift, *n = a->n_on_concept_drift;
    else *list = a->on_prediction_drift, *n = a->n_on_prediction_drift;
}

static int wants(const AiaStore__V1__DriftAction *list, size_t n, AiaStore__V1__DriftAction action)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == action) return 1;
    return 0;
}

static void fill_features(aia_drift_alert_record *al, const AiaStore__V1__DriftReport *rep, aia_arena *a)
{
    if (al->kind == AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_PREDICTION) {
        al->drifted_features = aia_arena_alloc(a, sizeof *al->drifted_features);
        al->drifted_features[0] = "prediction";
        al->n_drifted_features = 1;
        return;
    }
    if (al->kind != AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_DATA) return;
    al->drifted_features = aia_arena_alloc(a, (rep->n_features + 1) * sizeof *al->drifted_features);
    for (size_t i = 0; i < rep->n_features; i++)
        if (rep->features[i]->drifted) al->drifted_features[al->n_drifted_features++] = rep->features[i]->name;
}

static char *summary(const aia_drift_alert_record *al, const AiaStore__V1__DriftReport *rep, aia_arena *a)
{
    if (al->kind == AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_CONCEPT && rep->concept_drift) {
        const AiaStore__V1__ConceptDrift *c = rep->concept_drift;
        return aia_arena_printf(a, "concept drift on %s@%d: %s %.4g on %lld labelled predictions against %.4g on "
                                   "validation (tolerance %.4g)",
                                rep->model_id, rep->model_version, c->metric, c->current_value,
                                (long long)c->labelled_rows, c->baseline_value, c->tolerance);
    }
    if (al->kind == AIA_STORE__V1__DRIFT_KIND__DRIFT_KIND_PREDICTION && rep->prediction_drift)
        return aia_arena_printf(a, "prediction drift on %s@%d: %s %.4g (threshold %.4g)", rep->model_id,
                                rep->model_version, rep->prediction_drift->test, rep->prediction_drift->statistic,
                                rep->prediction_drift->threshold);
    aia_strbuf sb;
    aia_strbuf_init(&sb);
    aia_strbuf_printf(&sb, "data drift on %s@%d: %zu of %zu features drifted (share %.3g > %.3g):", rep->model_id,
                      rep->model_version, al->n_drifted_features, rep->n_features, rep->drifted_share,
                      rep->drift_share_threshold);
    for (size_t i = 0; i < al->n_drifted_features; i++)
        aia_strbuf_printf(&sb, "%s %s", i ? "," : "", al->drifted_features[i]);
    char *s = aia_arena_strdup(a, sb.oom ? "data drift" : sb.data);
    aia_strbuf_free(&sb);
    return s;
}

static void post_webhooks(aia_monitors *m, const aia_drift_monitor_record *rec, const aia_drift_alert_record *al)
{
    if (!rec->actions || rec->actions->n_webhook_urls == 0) return;
    aia_strbuf sb;
    aia_strbuf_init(&sb);
    aia_error err;
    aia_status st = m->opt.alert_json ? m->opt.alert_json(m->opt.alert_json_arg, al, &sb, &err)
                                      : aia_pbjson_encode(&al->base, NULL, &sb, &err);
    if (st != AIA_OK || sb.oom) {
        aia_logf(AIA_LOG_ERROR, "drift_webhook", "alert %s not posted: %s", al->alert_id,
                 st != AIA_OK ? err.message : "out of memory");
    } else {
        for (size_t i = 0; i < rec->actions->n_webhook_urls; i++)
            if (aia_webhook_post(m->webhooks, rec->actions->webhook_urls[i], sb.data, sb.len) != AIA_OK)
                aia_logf(AIA_LOG_WARN, "drift_webhook", "alert %s to %s dropped: the webhook queue is full",
                         al->alert_id, rec->actions->webhook_urls[i]);
    }
    aia_strbuf_free(&sb);
}

static int64_t cooldown_ms(aia_monitors *m, const aia_drift_monitor_record *rec)
{
    const AiaStore__V1__Time *c = rec->actions ? rec->actions->cooldown : NULL;
    return c ? c->seconds * 1000 + c->nanos / 1000000 : m->opt.default_cooldown_ms;
}

typedef struct act_ctx {
    aia_monitors *m;
    mon_state *st;
    const aia_drift_monitor_record *rec;
    const aia_version_record *v;
    AiaStore__V1__DriftReport *rep;
    const aia_frame *current;       /* the checked window (refits fit on it) */
    const aia_predlog_window *w;    /* predictions with outcomes (retraining) */
    const size_t *labelled_rows;
    char *const *labelled_truth;
    size_t n_labelled;
    aia_arena *a;
    char *cooldown_note;            /* set when the monitor acted too recently */
    int retrain_tried, refit_tried;
    char *retrain_note, *refit_note; /* why the report's action did not happen */
} act_ctx;

/* One report's actions are gated together: inside the cooldown none runs,
 * outside it all that are asked for run, and the cooldown restarts. */
static void gate(act_ctx *c)
{
    int64_t now = aia_time_now_ns(), cd = cooldown_ms(c->m, c->rec);
    if (c->st->last_action_ns && (now - c->st->last_action_ns) / 1000000 < cd)
        c->cooldown_note = aia_arena_printf(c->a, "skipped: cooldown of %lld s since the monitor's last refit or "
                                                  "retraining",
                                            (long long)(cd / 1000));
}

/* Submits the report's retraining once, whichever kinds ask for it. */
static void retrain(act_ctx *c, aia_drift_alert_record *al)
{
    if (!c->retrain_tried) {
        c->retrain_tried = 1;
        aia_error err;
        char *job = NULL;
        if (c->cooldown_note) {
            c->retrain_note = aia_arena_printf(c->a, "retraining %s", c->cooldown_note);
        } else if (mon_retrain(c->m, c->rec, c->v, c->rep->report_id, c->w, c->labelled_rows, c->labelled_truth,
                               c->n_labelled, &job, &err) != AIA_OK) {
            c->retrain_note = aia_arena_printf(c->a, "retraining not submitted: %s", err.message);
        } else {
            c->rep->retraining_job_id = aia_arena_strdup(c->a, job);
            c->st->last_action_ns = aia_time_now_ns();
        }
        free(job);
    }
    if (c->rep->retraining_job_id[0]) {
        al->retraining_job_id = c->rep->retraining_job_id;
        al->actions_taken[al->n_actions_taken++] = AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_RETRAIN;
    } else if (c->retrain_note) {
        al->action_note = c->retrain_note;
    }
}

/* Publishes the report's preprocessing refit once. */
static void refit(act_ctx *c, aia_drift_alert_record *al)
{
    if (!c->refit_tried) {
        c->refit_tried = 1;
        aia_error err;
        int version = 0;
        if (c->cooldown_note) {
            c->refit_note = aia_arena_printf(c->a, "preprocessing refit %s", c->cooldown_note);
        } else if (!c->current) {
            c->refit_note = "preprocessing refit: the window has no rows to fit on";
        } else if (mon_refit(c->m, c->v, c->current, c->rep->report_id, &version, &err) != AIA_OK) {
            c->refit_note = aia_arena_printf(c->a, "preprocessing refit not published: %s", err.message);
        } else {
            c->rep->refit_model_version = version;
            c->st->last_action_ns = aia_time_now_ns();
        }
    }
    if (c->rep->refit_model_version) {
        al->refit_model_version = c->rep->refit_model_version;
        al->actions_taken[al->n_actions_taken++] = AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_REFIT_PREPROCESSING;
    } else if (c->refit_note) {
        al->action_note = al->action_note && al->action_note[0]
                              ? aia_arena_printf(c->a, "%s; %s", al->action_note, c->refit_note)
                              : c->refit_note;
    }
}

static void raise_alert(act_ctx *c, AiaStore__V1__DriftKind kind)
{
    aia_drift_alert_record al;
    aia_store__v1__drift_alert__init(&al);
    char id[40];
    mon_new_id("da-", id, sizeof id);
    al.alert_id = id;
    al.monitor_id = c->rep->monitor_id;
    al.model_id = c->rep->model_id;
    al.model_version = c->rep->model_version;
    al.report_id = c->rep->report_id;
    al.kind = kind;
    AiaStore__V1__Time now;
    mon_time_set(&now, aia_time_now_ns());
    al.create_time = &now;
    fill_features(&al, c->rep, c->a);
    al.message = summary(&al, c->rep, c->a);
    AiaStore__V1__DriftAction taken[4]; /* at most retrain + refit */
    al.actions_taken = taken;
    const AiaStore__V1__DriftAction *list;
    size_t n;
    actions_for(c->rec, kind, &list, &n);
    if (wants(list, n, AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_RETRAIN)) retrain(c, &al);
    if (wants(list, n, AIA_STORE__V1__DRIFT_ACTION__DRIFT_ACTION_REFIT_PREPROCESSING)) refit(c, &al);
    aia_error err;
    if (aia_store_drift_alert_put(c->m->opt.store, &al, &err) != AIA_OK)
        aia_logf(AIA_LOG_ERROR, "drift_alert", "alert %s not stored: %s", al.alert_id, err.message);
    aia_logf(AIA_LOG_WARN, "drift_alert", "%s (monitor %s, report %s)", al.message, al.monitor_id, al.report_id);
    mon_deliver(c->m, &al);
    post_webhooks(c->m, c->rec, &al);
}

void mon_act(aia_monitors *m, mon_state *st, const aia_drift_monitor_record *rec, const aia_version_record *v,
             AiaStore__V1__DriftReport *report, const aia_frame *current, const aia_predlog_window *w,
             const size_t *labelled_rows, char *const *labelled_truth, size_t n_labelled, aia_arena *a)
{
    act_ctx c = {.m = m, .st = st, .rec = rec, .v = v, .rep = report, .current = current, .w = w,
                 .labelled_rows = labelled_rows, .labelled_truth = labelled_truth, .n_labelled = n_labelled, .a = a};
    gate(&c);
    for (size_t i = 0; i < report->n_drift_kinds; i++) raise_alert(&c, report->drift_kinds[i]);
    if (!report->retraining_job_id[0] && !report->refit_model_version) return;
    aia_error err;
    if (aia_store_drift_report_update(m->opt.store, report, &err) != AIA_OK)
        aia_logf(AIA_LOG_ERROR, "drift_report", "report %s: actions (job %s, refit version %d) not recorded: %s",
                 report->report_id, report->retraining_job_id, report->refit_model_version, err.message);
}
