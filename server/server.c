/* server/server.c — lifecycle of aia-server on the C core: the method
 * table, registration, binding, completion-queue threads and graceful
 * shutdown. Per-call work lives in call.c. See server.h for the design. */
#include "server/server.h"

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "server/grpc_tuning.h"
#include "server/internal.h"
#include "server/listen_addr.h"

const char *aia_method_kind_name(aia_method_kind kind)
{
    switch (kind) {
    case AIA_METHOD_UNARY: return "unary";
    case AIA_METHOD_SERVER_STREAMING: return "server_stream";
    case AIA_METHOD_CLIENT_STREAMING: return "client_stream";
    case AIA_METHOD_BIDI_STREAMING: return "bidi_stream";
    }
    return "unknown";
}

/* ---- the method table ---------------------------------------------------- */

static const aia_method_impl *find_impl(const aia_service_impl *svc, const char *name)
{
    for (size_t i = 0; i < svc->n_methods; i++)
        if (strcmp(svc->methods[i].name, name) == 0) return &svc->methods[i];
    return NULL;
}

/* An implementation must match the method's shape, or dispatch would call
 * a NULL handler; checked once here instead of on every call. */
static aia_status check_impl(const aia_method *m, aia_error *err)
{
    const aia_method_impl *impl = m->impl;
    if (!impl) return AIA_OK;
    int ok = m->kind == AIA_METHOD_UNARY              ? impl->unary != NULL
             : m->kind == AIA_METHOD_SERVER_STREAMING ? impl->stream != NULL
             : m->kind == AIA_METHOD_BIDI_STREAMING   ? impl->bidi != NULL
                                                      : 0;
    if (!ok)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: handler does not match its %s shape", m->path,
                             aia_method_kind_name(m->kind));
    return AIA_OK;
}

static aia_status add_service(aia_server *s, const aia_service_impl *svc, aia_error *err)
{
    const ProtobufCServiceDescriptor *d = svc->descriptor;
    const ProtobufCServiceDescriptor *types = svc->message_types ? svc->message_types : d;
    for (unsigned i = 0; i < d->n_methods; i++) {
        aia_method *m = &s->methods[s->n_methods];
        memset(m, 0, sizeof *m);
        snprintf(m->path, sizeof m->path, "/%s/%s", d->name, d->methods[i].name);
        m->service = d->name;
        m->name = d->methods[i].name;
        m->request = types->methods[i].input;
        m->response = types->methods[i].output;
        int kind = aia_descriptor_index_method_kind(s->descriptors, d->name, m->name);
        if (kind < 0)
            return aia_error_set(err, AIA_DATA_LOSS, "%s is missing from the embedded descriptor set", m->path);
        m->kind = (aia_method_kind)kind;
        m->impl = find_impl(svc, m->name);
        m->missing = svc->missing ? svc->missing : "no handler is registered";
        m->index = s->n_methods;
        if (check_impl(m, err) != AIA_OK) return err->code;
        s->n_methods++;
    }
    for (size_t i = 0; i < svc->n_methods; i++) {
        int found = 0;
        for (unsigned j = 0; j < d->n_methods && !found; j++) found = strcmp(d->methods[j].name, svc->methods[i].name) == 0;
        if (!found)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s has no method %s", d->name, svc->methods[i].name);
    }
    return AIA_OK;
}

static aia_status build_method_table(aia_server *s, aia_error *err)
{
    size_t total = 0;
    for (size_t i = 0; i < s->opts.n_services; i++) total += s->opts.services[i]->descriptor->n_methods;
    s->methods = calloc(total ? total : 1, sizeof *s->methods);
    if (!s->methods) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < s->opts.n_services; i++)
        if (add_service(s, s->opts.services[i], err) != AIA_OK) return err->code;
    return AIA_OK;
}

/* ---- health from the table --------------------------------------------- */

static void init_health(aia_server *s)
{
    aia_health_set(s->health, "", AIA_HEALTH_SERVING);
    for (size_t i = 0; i < s->n_methods; i++) {
        const aia_method *m = &s->methods[i];
        int serving = aia_health_get(s->health, m->service) == AIA_HEALTH_SERVING;
        if (!serving) aia_health_set(s->health, m->service, m->impl ? AIA_HEALTH_SERVING : AIA_HEALTH_NOT_SERVING);
    }
}

/* ---- the C core server ----------------------------------------------------- */

static grpc_arg int_arg(const char *key, long value)
{
    grpc_arg a;
    memset(&a, 0, sizeof a);
    a.type = GRPC_ARG_INTEGER;
    a.key = (char *)key;
    a.value.integer = (int)value;
    return a;
}

static void create_grpc_server(aia_server *s)
{
    grpc_arg args[] = {
        /* A second server on the same port must fail, not share it. */
        int_arg(GRPC_ARG_ALLOW_REUSEPORT, 0),
        int_arg(GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH, s->opts.max_recv_message_bytes),
        int_arg(GRPC_ARG_MAX_SEND_MESSAGE_LENGTH, s->opts.max_send_message_bytes),
        int_arg(GRPC_ARG_KEEPALIVE_TIME_MS, s->opts.keepalive_time_ms),
        int_arg(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, s->opts.keepalive_timeout_ms),
        int_arg(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1),
        /* Accept client pings as often as every 10 s without data (the
         * default 5 min makes well-behaved clients with keepalive get
         * GOAWAY too_many_pings). */
        int_arg(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000),
    };
    grpc_channel_args ch = {sizeof args / sizeof args[0], args};
    s->grpc = grpc_server_create(&ch, NULL);
    s->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(s->grpc, s->cq, NULL);
}

static aia_status register_methods(aia_server *s, aia_error *err)
{
    for (size_t i = 0; i < s->n_methods; i++) {
        aia_method *m = &s->methods[i];
        /* Unary and server-streaming calls arrive with their one request
         * already read; bidi calls read their own messages. */
        grpc_server_register_method_payload_handling payload =
            m->kind == AIA_METHOD_BIDI_STREAMING || m->kind == AIA_METHOD_CLIENT_STREAMING
                ? GRPC_SRM_PAYLOAD_NONE
                : GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER;
        m->registered = grpc_server_register_method(s->grpc, m->path, NULL, payload, 0);
        if (!m->registered) return aia_error_set(err, AIA_INTERNAL, "cannot register %s", m->path);
    }
    return AIA_OK;
}

static aia_status bind_port(aia_server *s, aia_error *err)
{
    aia_listen_addr addr;
    if (aia_listen_addr_parse(s->opts.listen, &addr, err) != AIA_OK) return err->code;
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    s->port = grpc_server_add_http2_port(s->grpc, s->opts.listen, creds);
    grpc_server_credentials_release(creds);
    if (s->port == 0) {
        aia_listen_addr_explain_bind_failure(&addr, s->opts.listen, err);
        return err->code;
    }
    return AIA_OK;
}

aia_status aia_server_create(const aia_server_options *opts, aia_server **out, aia_error *err)
{
    if (opts->threads < 1 || opts->stream_queue_depth < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "threads and stream_queue_depth must be >= 1");
    aia_server *s = calloc(1, sizeof *s);
    if (!s) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    s->opts = *opts;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    static const char *tuning;
    if (!tuning) { /* once per process, before the C core starts */
        tuning = aia_grpc_tuning_apply();
        aia_logf(AIA_LOG_DEBUG, "grpc_tuning", "%s", tuning);
    }
    grpc_init();
    aia_status st = aia_descriptor_index_create(opts->descriptor_set, opts->descriptor_set_len, &s->descriptors, err);
    if (st == AIA_OK) st = build_method_table(s, err);
    if (st == AIA_OK) {
        s->metrics = aia_metrics_create(s->methods, s->n_methods);
        s->health = aia_health_create();
        if (!s->metrics || !s->health) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    }
    if (st == AIA_OK) {
        init_health(s);
        create_grpc_server(s);
        st = register_methods(s, err);
    }
    if (st == AIA_OK) st = bind_port(s, err);
    if (st != AIA_OK) {
        aia_server_destroy(s);
        return st;
    }
    *out = s;
    return AIA_OK;
}

static void *cq_thread_main(void *arg)
{
    aia_server *s = arg;
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
        if (ev.type != GRPC_OP_COMPLETE) continue;
        aia_tag *tag = ev.tag;
        tag->fn(tag, ev.success);
    }
    return NULL;
}

/* Calls to pre-post per method: a few per CQ thread, so a burst never
 * waits for a re-post. */
static int preposts_per_method(const aia_server *s)
{
    return 2 * s->opts.threads;
}

aia_status aia_server_start(aia_server *s, aia_error *err)
{
    if (aia_pool_create((size_t)s->opts.threads, &s->pool, err) != AIA_OK) return err->code;
    grpc_server_start(s->grpc);
    s->start_time_ns = aia_time_now_ns();
    int per = preposts_per_method(s);
    for (size_t i = 0; i < s->n_methods; i++)
        for (int k = 0; k < per; k++)
            if (aia_call_post_request(s, &s->methods[i]) != AIA_OK)
                return aia_error_set(err, AIA_INTERNAL, "cannot pre-post calls for %s", s->methods[i].path);
    for (int k = 0; k < per; k++)
        if (aia_call_post_request(s, NULL) != AIA_OK)
            return aia_error_set(err, AIA_INTERNAL, "cannot pre-post the unknown-method catch-all");
    s->threads = calloc((size_t)s->opts.threads, sizeof *s->threads);
    if (!s->threads) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (int i = 0; i < s->opts.threads; i++) {
        if (pthread_create(&s->threads[i], NULL, cq_thread_main, s) != 0)
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "cannot start completion-queue thread %d", i);
        s->n_threads++;
    }
    return AIA_OK;
}

static void on_shutdown_done(aia_tag *tag, int ok)
{
    (void)ok;
    aia_server *s = AIA_CONTAINER_OF(tag, aia_server, t_shutdown);
    pthread_mutex_lock(&s->mu);
    s->shutdown_done = 1;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

static int core_shutdown_done(const aia_server *s)
{
    return s->shutdown_done;
}

static int streams_released(const aia_server *s)
{
    return s->active == NULL;
}

/* Waits up to `ms` for `done` (read under s->mu, signalled on s->cv);
 * returns non-zero if it came true. */
static int wait_for(aia_server *s, long ms, int (*done)(const aia_server *))
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    while (!done(s) && rc == 0) rc = pthread_cond_timedwait(&s->cv, &s->mu, &until);
    int ok = done(s);
    pthread_mutex_unlock(&s->mu);
    return ok;
}

/* A stream whose handler runs on a thread of its own (a sampler, a
 * generation) can still hold its call after the C core is done with it: its
 * final aia_rpc_finish() and the release of the call happen on that thread.
 * Destroying the server under it would be a use after free, so wait for
 * every stream to be handed back, with the completion-queue threads still
 * running (a last status completes there). A handler that never finishes is
 * a bug; after STREAM_RELEASE_MS it is logged and shutdown goes on. */
#define STREAM_RELEASE_MS 10000L

static void wait_streams_released(aia_server *s)
{
    if (!wait_for(s, STREAM_RELEASE_MS, streams_released))
        aia_logf(AIA_LOG_ERROR, "streams_stuck",
                 "stream handlers still hold calls %ld ms after the C core finished them; shutting down anyway",
                 STREAM_RELEASE_MS);
}

void aia_server_shutdown(aia_server *s)
{
    if (!s->grpc || atomic_exchange(&s->draining, 1)) return;
    aia_logf(AIA_LOG_INFO, "draining", "grace period %ld ms", s->opts.shutdown_grace_ms);
    aia_health_set_all(s->health, AIA_HEALTH_NOT_SERVING);
    s->t_shutdown.fn = on_shutdown_done;
    grpc_server_shutdown_and_notify(s->grpc, s->cq, &s->t_shutdown);
    aia_call_notify_draining(s);
    if (!wait_for(s, s->opts.shutdown_grace_ms, core_shutdown_done)) {
        aia_logf(AIA_LOG_WARN, "grace_expired", "cancelling the calls still in flight");
        grpc_server_cancel_all_calls(s->grpc);
        while (!wait_for(s, 1000, core_shutdown_done)) {}
    }
    /* Handlers on the pool finish (cancelled calls wake blocked senders)
     * before the queue stops delivering their completions. */
    if (s->pool) aia_pool_destroy(s->pool);
    s->pool = NULL;
    wait_streams_released(s);
    grpc_completion_queue_shutdown(s->cq);
    for (int i = 0; i < s->n_threads; i++) pthread_join(s->threads[i], NULL);
    s->n_threads = 0;
    aia_logf(AIA_LOG_INFO, "stopped", "all calls ended");
}

void aia_server_destroy(aia_server *s)
{
    if (!s) return;
    if (s->n_threads) aia_server_shutdown(s);
    if (s->pool) aia_pool_destroy(s->pool);
    if (s->grpc) {
        if (!s->threads) { /* never started: shut the C core server down ourselves */
            s->t_shutdown.fn = on_shutdown_done;
            grpc_server_shutdown_and_notify(s->grpc, s->cq, &s->t_shutdown);
            grpc_server_cancel_all_calls(s->grpc);
            grpc_completion_queue_shutdown(s->cq);
            for (;;) {
                grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
                if (ev.type == GRPC_QUEUE_SHUTDOWN) break;
            }
        }
        grpc_server_destroy(s->grpc);
        grpc_completion_queue_destroy(s->cq);
    }
    aia_call_free_all(s);
    aia_health_destroy(s->health);
    aia_metrics_destroy(s->metrics);
    aia_descriptor_index_destroy(s->descriptors);
    free(s->methods);
    free(s->threads);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    free(s);
    grpc_shutdown();
}

int aia_server_port(const aia_server *s) { return s->port; }

const aia_method *aia_server_methods(const aia_server *s, size_t *n)
{
    *n = s->n_methods;
    return s->methods;
}

aia_metrics *aia_server_metrics(aia_server *s) { return s->metrics; }
aia_health *aia_server_health(aia_server *s) { return s->health; }
const aia_descriptor_index *aia_server_descriptors(const aia_server *s) { return s->descriptors; }
int aia_server_threads(const aia_server *s) { return s->opts.threads; }
int64_t aia_server_start_time_ns(const aia_server *s) { return s->start_time_ns; }
int aia_server_draining(const aia_server *s) { return atomic_load(&((aia_server *)s)->draining); }
