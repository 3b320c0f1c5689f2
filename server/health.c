/* server/health.c — grpc.health.v1.Health. See health.h.
 *
 * Lock order: the health lock is taken before a call's lock (sends to
 * watchers happen under it); the runtime calls stop callbacks with no lock
 * held, so the reverse order never occurs. */
#include "server/health.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "server/server.h"

typedef struct service_status {
    char *name;
    int status;
} service_status;

typedef struct watcher {
    struct watcher *next;
    aia_rpc *rpc;
    char *service;
} watcher;

struct aia_health {
    pthread_mutex_t mu;
    service_status *services;
    size_t n, cap;
    watcher *watchers;
};

aia_health *aia_health_create(void)
{
    aia_health *h = calloc(1, sizeof *h);
    if (h) pthread_mutex_init(&h->mu, NULL);
    return h;
}

void aia_health_destroy(aia_health *h)
{
    if (!h) return;
    for (size_t i = 0; i < h->n; i++) free(h->services[i].name);
    free(h->services);
    while (h->watchers) { /* only if a stream outlived shutdown: a bug, but never leak */
        watcher *w = h->watchers;
        h->watchers = w->next;
        free(w->service);
        free(w);
    }
    pthread_mutex_destroy(&h->mu);
    free(h);
}

static service_status *find_locked(aia_health *h, const char *service)
{
    for (size_t i = 0; i < h->n; i++)
        if (strcmp(h->services[i].name, service) == 0) return &h->services[i];
    return NULL;
}

static int status_locked(aia_health *h, const char *service)
{
    service_status *s = find_locked(h, service);
    return s ? s->status : AIA_HEALTH_SERVICE_UNKNOWN;
}

static void send_status(aia_rpc *rpc, int status)
{
    Grpc__Health__V1__HealthCheckResponse resp = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    resp.status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)status;
    /* A watcher too slow to drain 64 updates misses intermediate ones; the
     * newest status is what Watch promises, and the next change resends. */
    aia_rpc_send(rpc, &resp.base, AIA_SEND_NOWAIT);
}

static void notify_locked(aia_health *h, const char *service, int status)
{
    for (watcher *w = h->watchers; w; w = w->next)
        if (strcmp(w->service, service) == 0) send_status(w->rpc, status);
}

int aia_health_set(aia_health *h, const char *service, int status)
{
    pthread_mutex_lock(&h->mu);
    service_status *s = find_locked(h, service);
    if (!s) {
        if (h->n == h->cap) {
            size_t cap = h->cap ? h->cap * 2 : 16;
            service_status *grown = realloc(h->services, cap * sizeof *grown);
            if (!grown) {
                pthread_mutex_unlock(&h->mu);
                return -1;
            }
            h->services = grown;
            h->cap = cap;
        }
        char *name = strdup(service);
        if (!name) {
            pthread_mutex_unlock(&h->mu);
            return -1;
        }
        s = &h->services[h->n++];
        *s = (service_status){name, AIA_HEALTH_UNKNOWN};
    }
    if (s->status != status) {
        s->status = status;
        notify_locked(h, service, status);
    }
    pthread_mutex_unlock(&h->mu);
    return 0;
}

void aia_health_set_all(aia_health *h, int status)
{
    pthread_mutex_lock(&h->mu);
    for (size_t i = 0; i < h->n; i++) {
        if (h->services[i].status == status) continue;
        h->services[i].status = status;
        notify_locked(h, h->services[i].name, status);
    }
    pthread_mutex_unlock(&h->mu);
}

int aia_health_get(aia_health *h, const char *service)
{
    pthread_mutex_lock(&h->mu);
    int st = status_locked(h, service);
    pthread_mutex_unlock(&h->mu);
    return st;
}

/* ---- the service ----------------------------------------------------------- */

static aia_status health_check(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                               aia_error *err)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const Grpc__Health__V1__HealthCheckRequest *)request;
    Grpc__Health__V1__HealthCheckResponse *resp = (Grpc__Health__V1__HealthCheckResponse *)response;
    int st = aia_health_get(aia_server_health(aia_rpc_server(rpc)), req->service);
    if (st == AIA_HEALTH_SERVICE_UNKNOWN)
        return aia_error_set(err, AIA_NOT_FOUND, "unknown service '%s'", req->service);
    resp->status = (Grpc__Health__V1__HealthCheckResponse__ServingStatus)st;
    return AIA_OK;
}

/* Removes rpc's watcher; returns non-zero if this caller removed it (and so
 * owes the stream its finish). */
static int remove_watcher(aia_health *h, aia_rpc *rpc)
{
    pthread_mutex_lock(&h->mu);
    watcher **pp = &h->watchers, *found = NULL;
    for (; *pp; pp = &(*pp)->next) {
        if ((*pp)->rpc == rpc) {
            found = *pp;
            *pp = found->next;
            break;
        }
    }
    pthread_mutex_unlock(&h->mu);
    if (!found) return 0;
    free(found->service);
    free(found);
    return 1;
}

static void watch_stopped(aia_rpc *rpc, void *arg, aia_stop_reason reason)
{
    if (!remove_watcher(arg, rpc)) return;
    if (reason == AIA_STOP_DRAINING) aia_rpc_finish(rpc, AIA_UNAVAILABLE, "server is shutting down");
    else aia_rpc_finish(rpc, AIA_CANCELLED, "watch cancelled");
}

static void health_watch(aia_rpc *rpc, const ProtobufCMessage *request)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const Grpc__Health__V1__HealthCheckRequest *)request;
    aia_health *h = aia_server_health(aia_rpc_server(rpc));
    watcher *w = calloc(1, sizeof *w);
    char *service = strdup(req->service);
    if (!w || !service) {
        free(w);
        free(service);
        aia_rpc_finish(rpc, AIA_RESOURCE_EXHAUSTED, "out of memory for a health watcher");
        return;
    }
    w->rpc = rpc;
    w->service = service;
    pthread_mutex_lock(&h->mu);
    w->next = h->watchers;
    h->watchers = w;
    send_status(rpc, status_locked(h, service));
    pthread_mutex_unlock(&h->mu);
    aia_rpc_on_stop(rpc, watch_stopped, h);
}

static const aia_method_impl k_health_methods[] = {
    {.name = "Check", .unary = health_check},
    {.name = "Watch", .stream = health_watch},
};

const aia_service_impl aia_health_service = {
    .descriptor = &grpc__health__v1__health__descriptor,
    .methods = k_health_methods,
    .n_methods = sizeof k_health_methods / sizeof k_health_methods[0],
};
