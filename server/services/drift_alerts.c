/* server/services/drift_alerts.c — StreamDriftAlerts: stored alerts since
 * a time (when asked), then every new alert matching the filters, until the
 * client cancels or the server drains.
 *
 * Each stream holds a slot of a fixed table, as model_watch.c and
 * system_watch.c do: the runtime may run a stop callback after the stream
 * finished, so nothing the callback reaches is freed per stream; a stale
 * callback recognises itself (slot.rpc differs) and does nothing. The table
 * also caps concurrent streams.
 *
 * Ordering without loss: the stream subscribes to lib/monitor first, with
 * arriving alerts kept (packed) in the slot; then replays the stored
 * alerts after `since`; then sends the kept ones not already replayed
 * (lib/monitor stores an alert before delivering it, so each alert is in
 * one of the two, or both) and from then on sends directly. Sends are
 * AIA_SEND_NOWAIT because the subscriber callback runs under lib/monitor's
 * lock: a client too slow to read loses live alerts rather than stalling
 * drift checks (ListDriftReports and a replay with `since` recover them).
 *
 * Lock order: lib/monitor's lock → slot.mu; g_table.mu is a leaf.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/services/drift_internal.h"
#include "server/services/model_internal.h"
#include "server/services/pb_time.h"

#define MAX_ALERT_STREAMS 256
#define REPLAY_LIMIT 1000

typedef struct kept_alert {
    struct kept_alert *next;
    size_t len;
    uint8_t bytes[]; /* a packed aia_store.v1.DriftAlert */
} kept_alert;

typedef struct alert_slot {
    pthread_mutex_t mu;
    int in_use; /* under g_table.mu */
    /* Under mu. */
    aia_rpc *rpc;
    int ready;
    kept_alert *head, *tail;
    aia_monitors_sub *sub;
    aia_monitors *monitors;
    char model_id[AIA_STORE_ID_MAX + 1];
    char monitor_id[AIA_STORE_ID_MAX + 1];
    unsigned kinds; /* bit k set = kind k wanted; 0 = all */
} alert_slot;

static struct {
    pthread_mutex_t mu;
    alert_slot slots[MAX_ALERT_STREAMS];
    int initialised;
} g_table = {.mu = PTHREAD_MUTEX_INITIALIZER};

aia_status aia_drift_alerts_init(aia_error *err)
{
    (void)err;
    pthread_mutex_lock(&g_table.mu);
    if (!g_table.initialised)
        for (int i = 0; i < MAX_ALERT_STREAMS; i++) pthread_mutex_init(&g_table.slots[i].mu, NULL);
    g_table.initialised = 1;
    pthread_mutex_unlock(&g_table.mu);
    return AIA_OK;
}

void aia_drift_alerts_shutdown(void)
{
    /* Streams ended with the server's drain; slots stay (a late stop
     * callback may still look at one). */
}

static alert_slot *slot_take(void)
{
    pthread_mutex_lock(&g_table.mu);
    alert_slot *s = NULL;
    for (int i = 0; i < MAX_ALERT_STREAMS && !s; i++)
        if (!g_table.slots[i].in_use) {
            s = &g_table.slots[i];
            s->in_use = 1;
        }
    pthread_mutex_unlock(&g_table.mu);
    return s;
}

static void slot_release(alert_slot *s)
{
    pthread_mutex_lock(&g_table.mu);
    s->in_use = 0;
    pthread_mutex_unlock(&g_table.mu);
}

static int matches(const alert_slot *s, const aia_drift_alert_record *a)
{
    if (s->model_id[0] && strcmp(s->model_id, a->model_id) != 0) return 0;
    if (s->monitor_id[0] && strcmp(s->monitor_id, a->monitor_id) != 0) return 0;
    return !s->kinds || (a->kind < 32 && (s->kinds & (1u << a->kind)));
}

static void send_alert(aia_rpc *rpc, const aia_drift_alert_record *a, aia_send_mode mode)
{
    aia_error err;
    ProtobufCMessage *api = aia_model_convert_heap(&a->base, &aia__v1__drift_alert__descriptor, &err);
    if (!api) return;
    aia_rpc_send(rpc, api, mode);
    protobuf_c_message_free_unpacked(api, NULL);
}

/* Sends one live alert; the caller holds s->mu. */
static void send_locked(alert_slot *s, const aia_drift_alert_record *a)
{
    send_alert(s->rpc, a, AIA_SEND_NOWAIT);
}

static void keep_locked(alert_slot *s, const aia_drift_alert_record *a)
{
    size_t n = protobuf_c_message_get_packed_size(&a->base);
    kept_alert *k = malloc(sizeof *k + n);
    if (!k) return;
    k->next = NULL;
    k->len = protobuf_c_message_pack(&a->base, k->bytes);
    if (s->tail) s->tail->next = k;
    else s->head = k;
    s->tail = k;
}

static void on_alert(void *arg, const aia_drift_alert_record *a)
{
    alert_slot *s = arg;
    pthread_mutex_lock(&s->mu);
    if (s->rpc && matches(s, a)) {
        if (s->ready) send_locked(s, a);
        else keep_locked(s, a);
    }
    pthread_mutex_unlock(&s->mu);
}

static void drop_kept_locked(alert_slot *s)
{
    for (kept_alert *k = s->head, *next; k; k = next) {
        next = k->next;
        free(k);
    }
    s->head = s->tail = NULL;
}

/* Ends the stream once, from whichever side gets there first. */
static void end_stream(alert_slot *s, aia_rpc *rpc, aia_status code, const char *message)
{
    pthread_mutex_lock(&s->mu);
    if (s->rpc != rpc) { /* a stale stop callback of an earlier stream */
        pthread_mutex_unlock(&s->mu);
        return;
    }
    aia_rpc_finish(rpc, code, message);
    s->rpc = NULL;
    drop_kept_locked(s);
    aia_monitors_sub *sub = s->sub;
    aia_monitors *m = s->monitors;
    s->sub = NULL;
    pthread_mutex_unlock(&s->mu);
    if (sub) aia_monitors_unsubscribe(m, sub);
    slot_release(s);
}

static void on_stop(aia_rpc *rpc, void *arg, aia_stop_reason reason)
{
    end_stream(arg, rpc, reason == AIA_STOP_DRAINING ? AIA_UNAVAILABLE : AIA_CANCELLED,
               reason == AIA_STOP_DRAINING ? "the server is shutting down" : "cancelled");
}

/* Checks the filters before the stream opens (an error keeps its own
 * status over REST); *since_ns is -1 without `since` (no replay), else the
 * time to replay after, 0 for any time before the epoch. */
static aia_status check_filters(const Aia__V1__StreamDriftAlertsRequest *r, unsigned *kinds, int64_t *since_ns,
                                aia_error *err)
{
    if (r->model_id[0] && aia_store_check_id("model_id", r->model_id, err) != AIA_OK) return err->code;
    if (strlen(r->monitor_id) > AIA_STORE_ID_MAX)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "monitor_id: longer than %d characters", AIA_STORE_ID_MAX);
    *kinds = 0;
    for (size_t i = 0; i < r->n_kinds; i++) {
        if (r->kinds[i] < AIA__V1__DRIFT_KIND__DRIFT_KIND_DATA || r->kinds[i] > AIA__V1__DRIFT_KIND__DRIFT_KIND_CONCEPT)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "kinds[%zu]: %d is not a drift kind", i, (int)r->kinds[i]);
        *kinds |= 1u << r->kinds[i];
    }
    *since_ns = -1;
    if (!r->since) return AIA_OK;
    if (aia_pb_timestamp_ns(r->since, "since", since_ns, err) != AIA_OK) return err->code;
    if (*since_ns < 0) *since_ns = 0; /* before the epoch: every stored alert */
    return AIA_OK;
}

static int already_sent(char **ids, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(ids[i], id) == 0) return 1;
    return 0;
}

/* Replays stored alerts after `since`, then the kept ones not replayed,
 * then marks the slot ready. */
static aia_status replay(alert_slot *s, const aia_drift_engine *e, int64_t since_ns, aia_error *err)
{
    aia_drift_alert_record **stored = NULL;
    size_t n = 0;
    if (since_ns >= 0 && aia_store_drift_alert_list(e->store, s->model_id, s->monitor_id, since_ns, REPLAY_LIMIT,
                                                    &stored, &n, err) != AIA_OK)
        return err->code;
    /* Stored alerts wait for the reader (AIA_SEND_WAIT) without the slot's
     * lock, so live deliveries are only kept meanwhile; the rpc stays valid
     * because only this handler can end the stream before on_stop is set. */
    for (size_t i = 0; i < n; i++)
        if (matches(s, stored[i])) send_alert(s->rpc, stored[i], AIA_SEND_WAIT);
    char **ids = calloc(n + 1, sizeof *ids);
    for (size_t i = 0; ids && i < n; i++) ids[i] = stored[i]->alert_id;
    pthread_mutex_lock(&s->mu);
    for (kept_alert *k = s->head; k && s->rpc; k = k->next) {
        aia_drift_alert_record *a =
            (aia_drift_alert_record *)protobuf_c_message_unpack(&aia_store__v1__drift_alert__descriptor, NULL, k->len,
                                                                 k->bytes);
        if (a && !(ids && already_sent(ids, n, a->alert_id))) send_locked(s, a);
        aia_store_record_free(a);
    }
    drop_kept_locked(s);
    s->ready = 1;
    pthread_mutex_unlock(&s->mu);
    free(ids);
    aia_store_records_free((void **)stored, n);
    return AIA_OK;
}

void aia_drift_rpc_stream_alerts(aia_rpc *rpc, const ProtobufCMessage *req)
{
    const Aia__V1__StreamDriftAlertsRequest *r = (const Aia__V1__StreamDriftAlertsRequest *)req;
    aia_error err;
    const aia_drift_engine *e = aia_drift_engine_ready(&err);
    unsigned kinds = 0;
    int64_t since_ns = -1;
    if (!e || check_filters(r, &kinds, &since_ns, &err) != AIA_OK) {
        aia_rpc_finish(rpc, err.code, err.message);
        return;
    }
    alert_slot *s = slot_take();
    if (!s) {
        aia_rpc_finish(rpc, AIA_RESOURCE_EXHAUSTED, "too many alert streams open (256)");
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->rpc = rpc;
    s->ready = 0;
    s->monitors = e->monitors;
    s->kinds = kinds;
    snprintf(s->model_id, sizeof s->model_id, "%s", r->model_id);
    snprintf(s->monitor_id, sizeof s->monitor_id, "%s", r->monitor_id);
    pthread_mutex_unlock(&s->mu);
    aia_monitors_sub *sub = NULL;
    if (aia_monitors_subscribe(e->monitors, on_alert, s, &sub, &err) != AIA_OK) {
        end_stream(s, rpc, err.code, err.message);
        return;
    }
    pthread_mutex_lock(&s->mu);
    s->sub = sub;
    pthread_mutex_unlock(&s->mu);
    aia_rpc_send_headers(rpc); /* alerts may be hours away: say the stream is open */
    if (replay(s, e, since_ns, &err) != AIA_OK) {
        end_stream(s, rpc, err.code, err.message);
        return;
    }
    aia_rpc_on_stop(rpc, on_stop, s); /* runs at once if already cancelled */
}
