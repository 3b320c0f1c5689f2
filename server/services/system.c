/* server/services/system.c — aia.v1.SystemService: health with build
 * information, Prometheus metrics and a performance summary, all read from
 * the running server (method table, health table, metrics, /proc). The
 * streamed summary, WatchSystemPerformance, lives in system_watch.c and
 * builds its samples with the same function as GetSystemPerformance. */
#include <stdatomic.h>
#include <string.h>

#include "aia/v1/system.pb-c.h"
#include "google/api/httpbody.pb-c.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "lib/base/strbuf.h"
#include "lib/base/timeutil.h"
#include "server/build_info.h"
#include "server/health.h"
#include "server/server.h"
#include "server/services/pb_time.h"
#include "server/services/services.h"
#include "server/services/system_perf.h"
#include "server/services/system_service.h"

static Aia__V1__BuildInfo *build_info(aia_arena *a)
{
    const aia_build_info *b = aia_build_info_get();
    Aia__V1__BuildInfo *out = aia_arena_alloc(a, sizeof *out);
    if (!out) return NULL;
    aia__v1__build_info__init(out);
    out->version = (char *)b->version;
    out->git_commit = (char *)b->git_commit;
    out->compiler = (char *)b->compiler;
    out->grpc_version = (char *)b->grpc_version;
    out->protobuf_c_version = (char *)b->protobuf_c_version;
    out->allocator = (char *)b->allocator;
    out->sanitizers = (char *)b->sanitizers;
    return out;
}

/* `first` is the service's first row in the method table (rows are grouped
 * by service); the service counts as implemented when any row has a handler. */
static Aia__V1__ServiceHealth *service_health(aia_arena *a, aia_server *s, const aia_method *first,
                                              const aia_method *end)
{
    int implemented = 0;
    for (const aia_method *m = first; m < end && m->service == first->service; m++) implemented |= m->impl != NULL;
    Aia__V1__ServiceHealth *sh = aia_arena_alloc(a, sizeof *sh);
    if (!sh) return NULL;
    aia__v1__service_health__init(sh);
    sh->service = (char *)first->service;
    if (aia_health_get(aia_server_health(s), first->service) == AIA_HEALTH_SERVING) {
        sh->status = AIA__V1__SERVING_STATUS__SERVING_STATUS_SERVING;
    } else if (aia_server_draining(s)) {
        sh->status = AIA__V1__SERVING_STATUS__SERVING_STATUS_NOT_SERVING;
        sh->detail = "the server is shutting down";
    } else if (!implemented) {
        sh->status = AIA__V1__SERVING_STATUS__SERVING_STATUS_UNIMPLEMENTED;
        sh->detail = (char *)first->missing;
    } else {
        sh->status = AIA__V1__SERVING_STATUS__SERVING_STATUS_NOT_SERVING;
    }
    return sh;
}

static aia_status list_services(aia_arena *a, aia_server *s, Aia__V1__GetHealthResponse *resp)
{
    size_t n;
    const aia_method *methods = aia_server_methods(s, &n);
    resp->services = aia_arena_alloc(a, (n + 1) * sizeof *resp->services);
    if (!resp->services) return AIA_RESOURCE_EXHAUSTED;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && methods[i - 1].service == methods[i].service) continue;
        Aia__V1__ServiceHealth *sh = service_health(a, s, &methods[i], methods + n);
        if (!sh) return AIA_RESOURCE_EXHAUSTED;
        resp->services[resp->n_services++] = sh;
    }
    return AIA_OK;
}

static aia_status get_health(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                             aia_error *err)
{
    Aia__V1__GetHealthResponse *resp = (Aia__V1__GetHealthResponse *)response;
    aia_server *s = aia_rpc_server(rpc);
    aia_arena *a = aia_rpc_arena(rpc);
    int64_t now = aia_time_now_ns(), started = aia_server_start_time_ns(s);
    resp->status = aia_server_draining(s) ? AIA__V1__SERVING_STATUS__SERVING_STATUS_NOT_SERVING
                                          : AIA__V1__SERVING_STATUS__SERVING_STATUS_SERVING;
    resp->build = build_info(a);
    resp->start_time = aia_pb_timestamp(a, started);
    resp->server_time = aia_pb_timestamp(a, now);
    resp->uptime = aia_pb_duration(a, now - started);
    if (!resp->build || !resp->start_time || !resp->server_time || !resp->uptime ||
        list_services(a, s, resp) != AIA_OK)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory building the health report");
    return AIA_OK;
}

static _Atomic(aia_serve *) g_serve; /* see system_service.h */

void aia_system_service_bind_serve(aia_serve *serve)
{
    atomic_store(&g_serve, serve);
}

static _Atomic(aia_llm *) g_llm; /* see system_service.h */

void aia_system_service_bind_llm(aia_llm *llm)
{
    atomic_store(&g_llm, llm);
}

static aia_status get_metrics(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                              aia_error *err)
{
    Google__Api__HttpBody *body = (Google__Api__HttpBody *)response;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_metrics_render(aia_server_metrics(aia_rpc_server(rpc)), &sb);
    const aia_build_info *b = aia_build_info_get();
    aia_strbuf_printf(&sb,
                      "# HELP aia_build_info Build information of aia-server.\n"
                      "# TYPE aia_build_info gauge\n"
                      "aia_build_info{version=\"%s\",git_commit=\"%s\",grpc_version=\"%s\",allocator=\"%s\"} 1\n",
                      b->version, b->git_commit, b->grpc_version, b->allocator);
    aia_serve *serve = atomic_load(&g_serve);
    if (serve) aia_serve_metrics_render(serve, &sb);
    aia_llm *llm = atomic_load(&g_llm);
    if (llm) aia_llm_metrics_render(llm, &sb);
    if (sb.oom) {
        aia_strbuf_free(&sb);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory rendering metrics");
    }
    uint8_t *copy = aia_arena_alloc(aia_rpc_arena(rpc), sb.len + 1);
    if (copy) memcpy(copy, sb.data, sb.len);
    body->data.len = sb.len;
    aia_strbuf_free(&sb);
    if (!copy) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory rendering metrics");
    body->data.data = copy;
    body->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return AIA_OK;
}

static aia_status method_rows(aia_server *s, aia_arena *a, Aia__V1__GetSystemPerformanceResponse *out)
{
    size_t n;
    const aia_method *methods = aia_server_methods(s, &n);
    out->methods = aia_arena_alloc(a, (n + 1) * sizeof *out->methods);
    if (!out->methods) return AIA_RESOURCE_EXHAUSTED;
    for (size_t i = 0; i < n; i++) {
        aia_method_stats st;
        aia_metrics_method_stats(aia_server_metrics(s), i, &st);
        if (st.calls == 0) continue;
        Aia__V1__MethodPerformance *mp = aia_arena_alloc(a, sizeof *mp);
        if (!mp) return AIA_RESOURCE_EXHAUSTED;
        aia__v1__method_performance__init(mp);
        mp->method = (char *)methods[i].path;
        mp->calls = (int64_t)st.calls;
        mp->errors = (int64_t)st.errors;
        mp->p50_ms = st.p50_ms;
        mp->p99_ms = st.p99_ms;
        out->methods[out->n_methods++] = mp;
    }
    return AIA_OK;
}

aia_status aia_system_performance_sample(aia_server *s, aia_arena *a, Aia__V1__GetSystemPerformanceResponse *out,
                                         aia_error *err)
{
    aia__v1__get_system_performance_response__init(out);
    if (method_rows(s, a, out) != AIA_OK) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_process_stats ps;
    aia_process_stats_read(&ps);
    out->rss_bytes = ps.rss_bytes;
    out->cpu_time = aia_pb_duration(a, (int64_t)(ps.cpu_seconds * 1e9));
    out->threads = ps.threads;
    out->uptime = aia_pb_duration(a, aia_time_now_ns() - aia_server_start_time_ns(s));
    if (!out->cpu_time || !out->uptime) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    return AIA_OK;
}

static aia_status get_system_performance(aia_rpc *rpc, const ProtobufCMessage *request,
                                         ProtobufCMessage *response, aia_error *err)
{
    return aia_system_performance_sample(aia_rpc_server(rpc), aia_rpc_arena(rpc),
                                         (Aia__V1__GetSystemPerformanceResponse *)response, err);
}

static const aia_method_impl k_methods[] = {
    {.name = "GetHealth", .unary = get_health},
    {.name = "GetMetrics", .unary = get_metrics},
    {.name = "GetSystemPerformance", .unary = get_system_performance},
    {.name = "WatchSystemPerformance", .stream = aia_system_watch_performance},
};

const aia_service_impl aia_system_service = {
    .descriptor = &aia__v1__system_service__descriptor,
    .methods = k_methods,
    .n_methods = sizeof k_methods / sizeof k_methods[0],
    .missing = "GetDashboard summarises models, jobs, endpoints, drift monitors and agents, which arrive with "
               "ModelService (issue #5), DriftService (issue #6) and the coordinator",
};
