/* lib/monitor/monitor.c — the monitors' runtime: start and stop, the
 * per-monitor state kept between checks, alert subscribers, and small
 * record helpers the other files share. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/monitor/monitor_internal.h"

void *mon_record_dup(const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf) return NULL;
    protobuf_c_message_pack(msg, buf);
    ProtobufCMessage *out = protobuf_c_message_unpack(msg->descriptor, NULL, n, buf);
    free(buf);
    return out;
}

void mon_time_set(AiaStore__V1__Time *t, int64_t ns)
{
    aia_store__v1__time__init(t);
    t->seconds = ns / 1000000000LL;
    t->nanos = (int32_t)(ns % 1000000000LL);
}

int64_t mon_time_ns(const AiaStore__V1__Time *t)
{
    return t ? t->seconds * 1000000000LL + t->nanos : 0;
}

static void defaults(aia_monitors_options *o)
{
    if (o->check_threads <= 0) o->check_threads = 2;
    if (o->poll_ms <= 0) o->poll_ms = 1000;
    if (o->default_window_size <= 0) o->default_window_size = 1000;
    if (o->default_cooldown_ms <= 0) o->default_cooldown_ms = 3600LL * 1000;
    if (o->default_concept_tolerance <= 0) o->default_concept_tolerance = 0.05;
    if (o->min_labelled_rows <= 0) o->min_labelled_rows = 30;
    if (o->webhook_max_attempts <= 0) o->webhook_max_attempts = 5;
    if (o->webhook_backoff_ms <= 0) o->webhook_backoff_ms = 500;
}

aia_status aia_monitors_start(const aia_monitors_options *opt, aia_monitors **out, aia_error *err)
{
    *out = NULL;
    if (!opt || !opt->store || !opt->serve || !opt->jobs || !opt->data_dir)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "monitors: store, serve, jobs and data_dir are required");
    aia_monitors *m = calloc(1, sizeof *m);
    if (!m || !(m->data_dir = strdup(opt->data_dir))) {
        free(m);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    }
    m->opt = *opt;
    m->opt.data_dir = m->data_dir;
    defaults(&m->opt);
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    aia_webhook_options wo;
    memset(&wo, 0, sizeof wo);
    wo.max_attempts = m->opt.webhook_max_attempts;
    wo.initial_backoff_ms = (int)m->opt.webhook_backoff_ms;
    wo.user_agent = "aia-drift-monitor";
    if (aia_webhook_start(&wo, &m->webhooks, err) != AIA_OK) {
        aia_monitors_stop(m);
        return err->code;
    }
    if (pthread_create(&m->poller, NULL, mon_poll_main, m) != 0) {
        aia_monitors_stop(m);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "cannot start the drift poller thread");
    }
    m->poller_started = 1;
    *out = m;
    return AIA_OK;
}

void aia_monitors_stop(aia_monitors *m)
{
    if (!m) return;
    pthread_mutex_lock(&m->mu);
    m->stopping = 1;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    if (m->poller_started) pthread_join(m->poller, NULL);
    aia_webhook_stop(m->webhooks);
    for (mon_state *st = m->states, *next; st; st = next) {
        next = st->next;
        mon_ref_free(st->ref);
        pthread_mutex_destroy(&st->mu);
        free(st);
    }
    for (aia_monitors_sub *s = m->subs, *next; s; s = next) {
        next = s->next;
        free(s);
    }
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    free(m->data_dir);
    free(m);
}

mon_state *mon_state_get(aia_monitors *m, const char *monitor_id, const char *model_id)
{
    pthread_mutex_lock(&m->mu);
    mon_state *st = m->states;
    while (st && strcmp(st->monitor_id, monitor_id) != 0) st = st->next;
    if (!st && (st = calloc(1, sizeof *st))) {
        snprintf(st->monitor_id, sizeof st->monitor_id, "%s", monitor_id);
        snprintf(st->model_id, sizeof st->model_id, "%s", model_id);
        pthread_mutex_init(&st->mu, NULL);
        st->truth_seen = -1; /* unknown: the first poll only records it */
        st->next = m->states;
        m->states = st;
    }
    pthread_mutex_unlock(&m->mu);
    return st;
}

/* ---- subscribers -------------------------------------------------------- */

aia_status aia_monitors_subscribe(aia_monitors *m, aia_monitors_alert_fn fn, void *arg, aia_monitors_sub **out,
                                  aia_error *err)
{
    aia_monitors_sub *s = calloc(1, sizeof *s);
    if (!s) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    s->fn = fn;
    s->arg = arg;
    pthread_mutex_lock(&m->mu);
    s->next = m->subs;
    m->subs = s;
    pthread_mutex_unlock(&m->mu);
    *out = s;
    return AIA_OK;
}

void aia_monitors_unsubscribe(aia_monitors *m, aia_monitors_sub *sub)
{
    if (!sub) return;
    pthread_mutex_lock(&m->mu);
    for (aia_monitors_sub **p = &m->subs; *p; p = &(*p)->next)
        if (*p == sub) {
            *p = sub->next;
            break;
        }
    /* Deliveries hold the lock while calling out (callbacks must not
     * block), so once we hold it no callback of `sub` is running. */
    pthread_mutex_unlock(&m->mu);
    free(sub);
}

void mon_deliver(aia_monitors *m, const aia_drift_alert_record *alert)
{
    pthread_mutex_lock(&m->mu);
    for (aia_monitors_sub *s = m->subs; s; s = s->next) s->fn(s->arg, alert);
    pthread_mutex_unlock(&m->mu);
}

void mon_new_id(const char *prefix, char *out, size_t size)
{
    uint8_t b[8];
    if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
        uint64_t t = (uint64_t)aia_time_now_ns(); /* getrandom cannot fail for 8 bytes after boot; belt and braces */
        memcpy(b, &t, sizeof b);
    }
    static const char hex[] = "0123456789abcdef";
    char h[17];
    for (int i = 0; i < 8; i++) {
        h[2 * i] = hex[b[i] >> 4];
        h[2 * i + 1] = hex[b[i] & 15];
    }
    h[16] = '\0';
    snprintf(out, size, "%s%s", prefix, h);
}

/* ---- the monitored schema ---------------------------------------------- */

void aia_monitors_features_free(char **names, aia_column_type *types, size_t n)
{
    for (size_t i = 0; names && i < n; i++) free(names[i]);
    free(names);
    free(types);
}


aia_status aia_monitors_features(aia_monitors *m, const char *monitor_id, char ***names, aia_column_type **types,
                                 size_t *n, aia_error *err)
{
    *names = NULL;
    *types = NULL;
    *n = 0;
    aia_drift_monitor_record *rec = NULL;
    aia_version_record *v = NULL;
    int version = 0;
    aia_status st = aia_store_drift_monitor_get(m->opt.store, monitor_id, &rec, err);
    if (st == AIA_OK) st = mon_resolve_version(m, rec, &version, err);
    if (st == AIA_OK) st = aia_store_version_get(m->opt.store, rec->model_id, version, &v, err);
    if (st == AIA_OK) st = mon_feature_schema(rec, v, names, types, n, err);
    if (st != AIA_OK) {
        aia_monitors_features_free(*names, *types, *n);
        *names = NULL;
        *types = NULL;
        *n = 0;
    }
    aia_store_record_free(v);
    aia_store_record_free(rec);
    return st;
}
