/* tests/unit/server/server_test.c — the runtime in process: an aia_server on
 * 127.0.0.1:0 with this file's own handlers for grpc.health.v1.Health
 * (Check unary, Watch server-streaming, run on the worker pool) and
 * aia.v1.LLMService (StreamGenerate only), driven by a gRPC C core client
 * on pluck completion queues.
 *
 * Covered: unary answers and handler errors; UNIMPLEMENTED for a method
 * without a handler (with its `missing` text) and for unknown methods;
 * garbage requests rejected before any handler runs; a client cancel seen
 * by a streaming handler (latency measured); stream backpressure (NOWAIT
 * gets RESOURCE_EXHAUSTED, WAIT blocks until the client reads); graceful
 * shutdown (stop callback with DRAINING, grace expiry cancels a handler
 * that ignores it); a deadline reported to the client and to the handler.
 *
 * Every wait has a timeout, so a broken runtime fails the test instead of
 * hanging it. */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "aia/v1/llm.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "lib/base/log.h"
#include "server/descriptor_set.h"
#include "server/method.h"
#include "server/rpc.h"
#include "server/server.h"

#define NS_PER_MS 1000000LL

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- what the handlers saw ------------------------------------------------ */

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;

static struct {
    int check_calls;
    int watch_calls;
    int stream_started;  /* a stream handler is running */
    int stream_returned; /* and has called aia_rpc_finish */
    int64_t stream_return_ns;
    int saw_cancelled;   /* aia_rpc_cancelled() when it stopped */
    int sends_ok;
    int stop_calls;
    aia_stop_reason stop_reason;
    int64_t stop_ns;
    /* backpressure */
    int bp_nowait_ok;
    aia_status bp_nowait_status;
    int bp_wait_ok;
    int64_t bp_blocked_ns;    /* longest WAIT send */
    int64_t bp_unblocked_at;  /* when that send returned */
    int bp_done;
} g;

static void reset_state(void)
{
    pthread_mutex_lock(&g_mu);
    memset(&g, 0, sizeof g);
    pthread_mutex_unlock(&g_mu);
}

/* Waits until *flag (a field of g) is non-zero; returns it (0 on timeout). */
static int wait_flag(const int *flag, int64_t timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&g_mu);
    int rc = 0;
    while (!*flag && rc == 0) rc = pthread_cond_timedwait(&g_cv, &g_mu, &until);
    int v = *flag;
    pthread_mutex_unlock(&g_mu);
    return v;
}

static void set_flag(int *flag)
{
    pthread_mutex_lock(&g_mu);
    *flag = 1;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

static int read_flag(const int *flag)
{
    pthread_mutex_lock(&g_mu);
    int v = *flag;
    pthread_mutex_unlock(&g_mu);
    return v;
}

/* ---- handlers ------------------------------------------------------------- */

static aia_status health_check(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                               aia_error *err)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const Grpc__Health__V1__HealthCheckRequest *)request;
    Grpc__Health__V1__HealthCheckResponse *resp = (Grpc__Health__V1__HealthCheckResponse *)response;
    pthread_mutex_lock(&g_mu);
    g.check_calls++;
    pthread_mutex_unlock(&g_mu);
    if (strcmp(req->service, "fail") == 0)
        return aia_error_set(err, AIA_FAILED_PRECONDITION, "told to fail by %s", aia_rpc_method(rpc));
    resp->status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    return AIA_OK;
}

static void record_stop(aia_rpc *rpc, void *arg, aia_stop_reason reason)
{
    (void)rpc;
    (void)arg;
    pthread_mutex_lock(&g_mu);
    g.stop_calls++;
    g.stop_reason = reason;
    g.stop_ns = mono_ns();
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

/* For "silent" streams: the stop callback is what ends the call. */
static void stop_and_finish(aia_rpc *rpc, void *arg, aia_stop_reason reason)
{
    record_stop(rpc, arg, reason);
    aia_rpc_finish(rpc, AIA_CANCELLED, "stopped");
}

static void stream_done(aia_rpc *rpc, int sends)
{
    pthread_mutex_lock(&g_mu);
    g.stream_returned = 1;
    g.stream_return_ns = mono_ns();
    g.saw_cancelled = aia_rpc_cancelled(rpc);
    g.sends_ok = sends;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
}

/* Watch runs on the worker pool (AIA_METHOD_BLOCKING); the requested
 * "service" picks a behaviour:
 *   spin    send SERVING as fast as the stream takes it until told to stop
 *   drain   send one message, wait for the stop callback, send a last one
 *           and finish with UNAVAILABLE
 *   ignore  send one message, then ignore draining and poll only
 *           aia_rpc_cancelled()
 *   silent  never send; the stop callback finishes the call */
static void health_watch(aia_rpc *rpc, const ProtobufCMessage *request)
{
    const Grpc__Health__V1__HealthCheckRequest *req = (const Grpc__Health__V1__HealthCheckRequest *)request;
    Grpc__Health__V1__HealthCheckResponse msg = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    msg.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
    pthread_mutex_lock(&g_mu);
    g.watch_calls++;
    pthread_mutex_unlock(&g_mu);
    const char *mode = req->service;
    int sends = 0;
    int64_t give_up = mono_ns() + 10000 * NS_PER_MS; /* never hang the test */

    if (strcmp(mode, "silent") == 0) {
        set_flag(&g.stream_started);
        aia_rpc_on_stop(rpc, stop_and_finish, NULL);
        return;
    }
    if (strcmp(mode, "spin") == 0) {
        set_flag(&g.stream_started);
        while (!aia_rpc_should_stop(rpc) && mono_ns() < give_up)
            if (aia_rpc_send(rpc, &msg.base, AIA_SEND_WAIT) == AIA_OK) sends++;
        stream_done(rpc, sends);
        aia_rpc_finish(rpc, AIA_CANCELLED, "stopped");
        return;
    }
    if (strcmp(mode, "drain") == 0) {
        aia_rpc_on_stop(rpc, record_stop, NULL);
        if (aia_rpc_send(rpc, &msg.base, AIA_SEND_WAIT) == AIA_OK) sends++;
        set_flag(&g.stream_started);
        wait_flag(&g.stop_calls, 10000);
        msg.status = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING;
        if (aia_rpc_send(rpc, &msg.base, AIA_SEND_WAIT) == AIA_OK) sends++;
        stream_done(rpc, sends);
        aia_rpc_finish(rpc, AIA_UNAVAILABLE, "server is draining");
        return;
    }
    if (strcmp(mode, "ignore") == 0) {
        aia_rpc_on_stop(rpc, record_stop, NULL);
        if (aia_rpc_send(rpc, &msg.base, AIA_SEND_WAIT) == AIA_OK) sends++;
        set_flag(&g.stream_started);
        while (!aia_rpc_cancelled(rpc) && mono_ns() < give_up) sleep_ms(2);
        stream_done(rpc, sends);
        aia_rpc_finish(rpc, AIA_CANCELLED, "cancelled");
        return;
    }
    aia_rpc_finish(rpc, AIA_INVALID_ARGUMENT, "unknown test mode");
}

/* A unary handler on the worker pool: echoes what the runtime knows of the
 * call (caller, request id, method) into the response. */
static aia_status llm_generate(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                               aia_error *err)
{
    (void)err;
    const Aia__V1__GenerateRequest *req = (const Aia__V1__GenerateRequest *)request;
    Aia__V1__GenerateResponse *resp = (Aia__V1__GenerateResponse *)response;
    resp->text = aia_arena_printf(aia_rpc_arena(rpc), "echo:%s", req->model);
    resp->model = aia_arena_strdup(aia_rpc_arena(rpc), aia_rpc_caller(rpc));
    resp->response_id = aia_arena_strdup(aia_rpc_arena(rpc), aia_rpc_request_id(rpc));
    resp->provider = aia_arena_strdup(aia_rpc_arena(rpc), aia_rpc_method(rpc));
    return AIA_OK;
}

#define BIG_TEXT (32 * 1024)

/* Backpressure probe: NOWAIT sends until the queue refuses, then WAIT
 * sends until one of them has blocked (the client is not reading) and a
 * few more once it unblocked. */
static void llm_stream_generate(aia_rpc *rpc, const ProtobufCMessage *request)
{
    (void)request;
    char *text = malloc(BIG_TEXT + 1);
    memset(text, 't', BIG_TEXT);
    text[BIG_TEXT] = '\0';
    Aia__V1__StreamGenerateResponse msg = AIA__V1__STREAM_GENERATE_RESPONSE__INIT;
    msg.text = text;
    set_flag(&g.stream_started);

    int nowait_ok = 0;
    aia_status st = AIA_OK;
    while (nowait_ok < 1000 && (st = aia_rpc_send(rpc, &msg.base, AIA_SEND_NOWAIT)) == AIA_OK) nowait_ok++;

    int wait_ok = 0, after = 0;
    int64_t longest = 0, unblocked_at = 0;
    while (wait_ok < 2000 && after < 3) {
        int64_t t0 = mono_ns();
        if (aia_rpc_send(rpc, &msg.base, AIA_SEND_WAIT) != AIA_OK) break;
        int64_t t1 = mono_ns();
        wait_ok++;
        if (t1 - t0 > longest) {
            longest = t1 - t0;
            unblocked_at = t1;
        }
        if (longest > 100 * NS_PER_MS) after++;
    }
    free(text);
    pthread_mutex_lock(&g_mu);
    g.bp_nowait_ok = nowait_ok;
    g.bp_nowait_status = st;
    g.bp_wait_ok = wait_ok;
    g.bp_blocked_ns = longest;
    g.bp_unblocked_at = unblocked_at;
    g.bp_done = 1;
    pthread_cond_broadcast(&g_cv);
    pthread_mutex_unlock(&g_mu);
    aia_rpc_finish(rpc, AIA_OK, NULL);
}

static const aia_method_impl k_health_methods[] = {
    {.name = "Check", .unary = health_check},
    {.name = "Watch", .stream = health_watch, .flags = AIA_METHOD_BLOCKING},
};
static const aia_service_impl k_health = {
    .descriptor = &grpc__health__v1__health__descriptor,
    .methods = k_health_methods,
    .n_methods = 2,
    .missing = "(unused: every Health method has a handler)",
};

#define LLM_MISSING "the server test implements only Generate and StreamGenerate"

static const aia_method_impl k_llm_methods[] = {
    {.name = "Generate", .unary = llm_generate, .flags = AIA_METHOD_BLOCKING},
    {.name = "StreamGenerate", .stream = llm_stream_generate, .flags = AIA_METHOD_BLOCKING},
};
static const aia_service_impl k_llm = {
    .descriptor = &aia__v1__llmservice__descriptor,
    .methods = k_llm_methods,
    .n_methods = 2,
    .missing = LLM_MISSING,
};

static const aia_service_impl *const k_services[] = {&k_health, &k_llm};

/* ---- fixture: a server and a channel per test ----------------------------- */

typedef struct fixture {
    aia_server *server;
    grpc_channel *channel;
    int port;
} fixture;

static int start_fixture(void **state, long queue_depth, long grace_ms)
{
    reset_state();
    fixture *f = calloc(1, sizeof *f);
    const char *tmp = getenv("TEST_TMPDIR");
    aia_server_options o = {
        .listen = "127.0.0.1:0",
        .threads = 2,
        .max_recv_message_bytes = 4 * 1024 * 1024,
        .max_send_message_bytes = 4 * 1024 * 1024,
        .keepalive_time_ms = 2L * 60 * 60 * 1000,
        .keepalive_timeout_ms = 20000,
        .shutdown_grace_ms = grace_ms,
        .stream_queue_depth = queue_depth,
        .services = k_services,
        .n_services = sizeof k_services / sizeof k_services[0],
        .descriptor_set = aia_descriptor_set,
        .descriptor_set_len = aia_descriptor_set_len,
        .data_dir = tmp && *tmp ? tmp : "/tmp",
    };
    aia_error err;
    aia_error_clear(&err);
    if (aia_server_create(&o, &f->server, &err) != AIA_OK) {
        fprintf(stderr, "aia_server_create: %s\n", err.message);
        free(f);
        return -1;
    }
    if (aia_server_start(f->server, &err) != AIA_OK) {
        fprintf(stderr, "aia_server_start: %s\n", err.message);
        aia_server_destroy(f->server);
        free(f);
        return -1;
    }
    f->port = aia_server_port(f->server);
    char target[64];
    snprintf(target, sizeof target, "127.0.0.1:%d", f->port);
    /* No BDP probing: the client's flow-control window stays at its
     * initial size, so backpressure shows up after a bounded amount. */
    grpc_arg args[1];
    memset(args, 0, sizeof args);
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = GRPC_ARG_HTTP2_BDP_PROBE;
    args[0].value.integer = 0;
    grpc_channel_args ca = {1, args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    f->channel = grpc_channel_create(target, creds, &ca);
    grpc_channel_credentials_release(creds);
    *state = f;
    return 0;
}

static int setup_default(void **state) { return start_fixture(state, 64, 5000); }
static int setup_small_queue(void **state) { return start_fixture(state, 4, 5000); }
static int setup_short_grace(void **state) { return start_fixture(state, 64, 200); }

static int teardown(void **state)
{
    fixture *f = *state;
    if (!f) return 0;
    grpc_channel_destroy(f->channel);
    aia_server_shutdown(f->server); /* no-op when the test already did it */
    aia_server_destroy(f->server);
    free(f);
    *state = NULL;
    return 0;
}

/* ---- a C core client ------------------------------------------------------ */

enum { TAG_SEND = 1, TAG_RECV = 2, TAG_STATUS = 3 };
#define TAG(x) ((void *)(intptr_t)(x))

typedef struct tcall {
    grpc_completion_queue *cq;
    grpc_call *call;
    grpc_metadata_array initial_md, trailing_md;
    int initial_md_requested;
    grpc_status_code status;
    grpc_slice details;
    char message[1024];
    grpc_byte_buffer *recv;
    int send_pending, recv_pending, status_pending;
} tcall;

static gpr_timespec in_ms(int64_t ms)
{
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

static grpc_byte_buffer *bytes_buffer(const void *bytes, size_t n)
{
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)bytes, n);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

/* Starts a call with one request message (`req` may be empty, len 0) and
 * the half-close; the status is requested right away. deadline_ms <= 0:
 * no deadline. */
static void tcall_start_md(tcall *c, grpc_channel *ch, const char *method, const void *req, size_t len,
                           int64_t deadline_ms, grpc_metadata *md, size_t n_md)
{
    memset(c, 0, sizeof *c);
    c->cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_slice m = grpc_slice_from_copied_string(method);
    gpr_timespec deadline = deadline_ms > 0 ? in_ms(deadline_ms) : gpr_inf_future(GPR_CLOCK_REALTIME);
    c->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq, m, NULL, deadline, NULL);
    grpc_slice_unref(m);
    assert_non_null(c->call);
    grpc_metadata_array_init(&c->initial_md);
    grpc_metadata_array_init(&c->trailing_md);
    c->details = grpc_empty_slice();

    grpc_byte_buffer *bb = bytes_buffer(req, len);
    grpc_op ops[3];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = n_md;
    ops[0].data.send_initial_metadata.metadata = md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = bb;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    assert_int_equal(grpc_call_start_batch(c->call, ops, 3, TAG(TAG_SEND), NULL), GRPC_CALL_OK);
    c->send_pending = 1;

    grpc_op st;
    memset(&st, 0, sizeof st);
    st.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    st.data.recv_status_on_client.trailing_metadata = &c->trailing_md;
    st.data.recv_status_on_client.status = &c->status;
    st.data.recv_status_on_client.status_details = &c->details;
    assert_int_equal(grpc_call_start_batch(c->call, &st, 1, TAG(TAG_STATUS), NULL), GRPC_CALL_OK);
    c->status_pending = 1;

    grpc_event ev = grpc_completion_queue_pluck(c->cq, TAG(TAG_SEND), in_ms(5000), NULL);
    assert_int_equal(ev.type, GRPC_OP_COMPLETE);
    c->send_pending = 0;
    grpc_byte_buffer_destroy(bb);
}

static void tcall_start(tcall *c, grpc_channel *ch, const char *method, const void *req, size_t len,
                        int64_t deadline_ms)
{
    tcall_start_md(c, ch, method, req, len, deadline_ms, NULL, 0);
}

/* Reads one message: 1 (in *out when out is non-NULL, else dropped), 0 at
 * the end of the stream, -1 on timeout (the read stays posted). */
static int tcall_read(tcall *c, int64_t timeout_ms, grpc_byte_buffer **out)
{
    if (!c->recv_pending) {
        grpc_op ops[2];
        memset(ops, 0, sizeof ops);
        size_t n = 0;
        if (!c->initial_md_requested) {
            ops[n].op = GRPC_OP_RECV_INITIAL_METADATA;
            ops[n++].data.recv_initial_metadata.recv_initial_metadata = &c->initial_md;
            c->initial_md_requested = 1;
        }
        ops[n].op = GRPC_OP_RECV_MESSAGE;
        ops[n++].data.recv_message.recv_message = &c->recv;
        assert_int_equal(grpc_call_start_batch(c->call, ops, n, TAG(TAG_RECV), NULL), GRPC_CALL_OK);
        c->recv_pending = 1;
    }
    grpc_event ev = grpc_completion_queue_pluck(c->cq, TAG(TAG_RECV), in_ms(timeout_ms), NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT) return -1;
    assert_int_equal(ev.type, GRPC_OP_COMPLETE);
    c->recv_pending = 0;
    grpc_byte_buffer *bb = c->recv;
    c->recv = NULL;
    if (!bb) return 0;
    if (out) *out = bb;
    else grpc_byte_buffer_destroy(bb);
    return 1;
}

/* Waits for the status; returns 0 on timeout. */
static int tcall_status(tcall *c, int64_t timeout_ms)
{
    if (c->status_pending) {
        grpc_event ev = grpc_completion_queue_pluck(c->cq, TAG(TAG_STATUS), in_ms(timeout_ms), NULL);
        if (ev.type == GRPC_QUEUE_TIMEOUT) return 0;
        assert_int_equal(ev.type, GRPC_OP_COMPLETE);
        c->status_pending = 0;
        size_t n = GRPC_SLICE_LENGTH(c->details);
        if (n >= sizeof c->message) n = sizeof c->message - 1;
        memcpy(c->message, GRPC_SLICE_START_PTR(c->details), n);
        c->message[n] = '\0';
    }
    return 1;
}

static void tcall_end(tcall *c)
{
    if (c->recv_pending || c->status_pending || c->send_pending) grpc_call_cancel(c->call, NULL);
    if (c->send_pending) grpc_completion_queue_pluck(c->cq, TAG(TAG_SEND), in_ms(5000), NULL);
    if (c->recv_pending) grpc_completion_queue_pluck(c->cq, TAG(TAG_RECV), in_ms(5000), NULL);
    if (c->status_pending) grpc_completion_queue_pluck(c->cq, TAG(TAG_STATUS), in_ms(5000), NULL);
    if (c->recv) grpc_byte_buffer_destroy(c->recv);
    grpc_metadata_array_destroy(&c->initial_md);
    grpc_metadata_array_destroy(&c->trailing_md);
    grpc_slice_unref(c->details);
    grpc_call_unref(c->call);
    grpc_completion_queue_shutdown(c->cq);
    grpc_event ev = grpc_completion_queue_pluck(c->cq, NULL, in_ms(5000), NULL);
    assert_int_equal(ev.type, GRPC_QUEUE_SHUTDOWN);
    grpc_completion_queue_destroy(c->cq);
}

/* A whole unary call: status, message, and the response bytes (if any). */
typedef struct unary_result {
    grpc_status_code status;
    char message[1024];
    grpc_byte_buffer *response;
} unary_result;

static void unary_call(grpc_channel *ch, const char *method, const void *req, size_t len, unary_result *r)
{
    tcall c;
    tcall_start(&c, ch, method, req, len, 5000);
    memset(r, 0, sizeof *r);
    int got = tcall_read(&c, 5000, &r->response);
    assert_true(got >= 0);
    assert_true(tcall_status(&c, 5000));
    r->status = c.status;
    memcpy(r->message, c.message, sizeof r->message);
    tcall_end(&c);
}

/* Serialises a HealthCheckRequest naming `service` into buf. */
static size_t health_request(const char *service, unsigned char *buf, size_t size)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)service;
    size_t n = protobuf_c_message_get_packed_size(&req.base);
    assert_true(n <= size);
    return protobuf_c_message_pack(&req.base, buf);
}

static ProtobufCMessage *decode(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d)
{
    grpc_byte_buffer_reader reader;
    assert_true(grpc_byte_buffer_reader_init(&reader, bb));
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    ProtobufCMessage *m = protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    assert_non_null(m);
    return m;
}

static const aia_method *find_method(aia_server *s, const char *path)
{
    size_t n = 0;
    const aia_method *m = aia_server_methods(s, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(m[i].path, path) == 0) return &m[i];
    return NULL;
}

/* Metrics are recorded when the server releases the call, a moment after
 * the client has its status: poll briefly. */
static void wait_calls(aia_server *s, size_t row, uint64_t want, aia_method_stats *st)
{
    int64_t until = mono_ns() + 2000 * NS_PER_MS;
    do {
        aia_metrics_method_stats(aia_server_metrics(s), row, st);
        if (st->calls >= want) return;
        sleep_ms(2);
    } while (mono_ns() < until);
}

/* ---- tests ------------------------------------------------------------------ */

/* (1) a unary handler answers; a handler error reaches the client as is */
static void test_unary_ok_and_error(void **state)
{
    fixture *f = *state;
    unsigned char buf[64];
    unary_result r;
    unary_call(f->channel, "/grpc.health.v1.Health/Check", buf, health_request("", buf, sizeof buf), &r);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    assert_non_null(r.response);
    Grpc__Health__V1__HealthCheckResponse *resp =
        (Grpc__Health__V1__HealthCheckResponse *)decode(r.response, &grpc__health__v1__health_check_response__descriptor);
    assert_int_equal(resp->status, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    grpc_byte_buffer_destroy(r.response);

    unary_call(f->channel, "/grpc.health.v1.Health/Check", buf, health_request("fail", buf, sizeof buf), &r);
    assert_int_equal(r.status, GRPC_STATUS_FAILED_PRECONDITION);
    assert_string_equal(r.message, "told to fail by /grpc.health.v1.Health/Check");
    assert_null(r.response);
    assert_int_equal(read_flag(&g.check_calls), 2);

    const aia_method *m = find_method(f->server, "/grpc.health.v1.Health/Check");
    assert_non_null(m);
    assert_int_equal(m->kind, AIA_METHOD_UNARY);
    aia_method_stats st;
    wait_calls(f->server, m->index, 2, &st);
    assert_int_equal(st.calls, 2);
    assert_int_equal(st.errors, 1);
    /* The streaming shape came from the descriptor set. */
    m = find_method(f->server, "/grpc.health.v1.Health/Watch");
    assert_non_null(m);
    assert_int_equal(m->kind, AIA_METHOD_SERVER_STREAMING);
}

/* (1b) a unary handler on the worker pool sees the call's metadata; the
 * request id goes back to the client in the initial metadata */
static void test_blocking_unary_and_metadata(void **state)
{
    fixture *f = *state;
    Aia__V1__GenerateRequest req = AIA__V1__GENERATE_REQUEST__INIT;
    req.model = "m1";
    unsigned char buf[64];
    size_t len = protobuf_c_message_pack(&req.base, buf);
    grpc_metadata md[2];
    memset(md, 0, sizeof md);
    md[0].key = grpc_slice_from_static_string("x-aia-caller");
    md[0].value = grpc_slice_from_static_string("unit-test");
    md[1].key = grpc_slice_from_static_string("x-request-id");
    md[1].value = grpc_slice_from_static_string("req-42");
    tcall c;
    tcall_start_md(&c, f->channel, "/aia.v1.LLMService/Generate", buf, len, 5000, md, 2);
    grpc_byte_buffer *bb = NULL;
    assert_int_equal(tcall_read(&c, 5000, &bb), 1);
    assert_true(tcall_status(&c, 5000));
    assert_int_equal(c.status, GRPC_STATUS_OK);
    Aia__V1__GenerateResponse *resp =
        (Aia__V1__GenerateResponse *)decode(bb, &aia__v1__generate_response__descriptor);
    grpc_byte_buffer_destroy(bb);
    assert_string_equal(resp->text, "echo:m1");
    assert_string_equal(resp->model, "unit-test");
    assert_string_equal(resp->response_id, "req-42");
    assert_string_equal(resp->provider, "/aia.v1.LLMService/Generate");
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    int echoed = 0;
    for (size_t i = 0; i < c.initial_md.count; i++)
        if (grpc_slice_str_cmp(c.initial_md.metadata[i].key, "x-request-id") == 0)
            echoed = grpc_slice_str_cmp(c.initial_md.metadata[i].value, "req-42") == 0;
    assert_true(echoed);
    tcall_end(&c);

    /* Without x-request-id the server makes one up; without a caller it is "". */
    tcall_start(&c, f->channel, "/aia.v1.LLMService/Generate", buf, len, 5000);
    bb = NULL;
    assert_int_equal(tcall_read(&c, 5000, &bb), 1);
    assert_true(tcall_status(&c, 5000));
    assert_int_equal(c.status, GRPC_STATUS_OK);
    resp = (Aia__V1__GenerateResponse *)decode(bb, &aia__v1__generate_response__descriptor);
    grpc_byte_buffer_destroy(bb);
    assert_string_equal(resp->model, "");
    assert_true(strlen(resp->response_id) > 0);
    protobuf_c_message_free_unpacked(&resp->base, NULL);
    tcall_end(&c);
}

/* (2) a method without a handler: UNIMPLEMENTED naming what is missing,
 * after its request was decoded */
static void test_unimplemented_names_missing(void **state)
{
    fixture *f = *state;
    unary_result r;
    unary_call(f->channel, "/aia.v1.LLMService/CountTokens", "", 0, &r);
    assert_int_equal(r.status, GRPC_STATUS_UNIMPLEMENTED);
    assert_non_null(strstr(r.message, "aia.v1.LLMService/CountTokens is not implemented yet"));
    assert_non_null(strstr(r.message, LLM_MISSING));
    assert_null(r.response);

    /* Decoding comes first: garbage is INVALID_ARGUMENT even here. */
    const unsigned char garbage[] = {0x0a, 0x7f, 'x'};
    unary_call(f->channel, "/aia.v1.LLMService/CountTokens", garbage, sizeof garbage, &r);
    assert_int_equal(r.status, GRPC_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(r.message, "aia.v1.CountTokensRequest"));
}

/* (3) unknown methods: UNIMPLEMENTED, quickly */
static void test_unknown_method(void **state)
{
    fixture *f = *state;
    const char *paths[] = {"/no.such.Service/Nope", "/grpc.health.v1.Health/NoSuchMethod"};
    for (size_t i = 0; i < 2; i++) {
        int64_t t0 = mono_ns();
        unary_result r;
        unary_call(f->channel, paths[i], "", 0, &r);
        int64_t ms = (mono_ns() - t0) / NS_PER_MS;
        assert_int_equal(r.status, GRPC_STATUS_UNIMPLEMENTED);
        if (!strstr(r.message, paths[i])) fail_msg("message '%s' does not name %s", r.message, paths[i]);
        if (ms >= 1000) fail_msg("%s answered in %lld ms", paths[i], (long long)ms);
    }
    aia_method_stats st;
    wait_calls(f->server, aia_metrics_unknown_row(aia_server_metrics(f->server)), 2, &st);
    assert_int_equal(st.calls, 2);
    assert_int_equal(st.errors, 2);
}

/* (4) malformed requests never reach a handler */
static void test_garbage_request_skips_handler(void **state)
{
    fixture *f = *state;
    unary_result r;
    const unsigned char garbage[] = {0x0a, 0x05, 'a'};
    unary_call(f->channel, "/grpc.health.v1.Health/Check", garbage, sizeof garbage, &r);
    assert_int_equal(r.status, GRPC_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(r.message, "grpc.health.v1.HealthCheckRequest"));

    const unsigned char bad_utf8[] = {0x0a, 0x02, 0xff, 0xfe};
    unary_call(f->channel, "/grpc.health.v1.Health/Check", bad_utf8, sizeof bad_utf8, &r);
    assert_int_equal(r.status, GRPC_STATUS_INVALID_ARGUMENT);
    assert_non_null(strstr(r.message, "service"));

    /* the streaming method too */
    unary_call(f->channel, "/grpc.health.v1.Health/Watch", garbage, sizeof garbage, &r);
    assert_int_equal(r.status, GRPC_STATUS_INVALID_ARGUMENT);

    assert_int_equal(read_flag(&g.check_calls), 0);
    assert_int_equal(read_flag(&g.watch_calls), 0);

    /* and the server keeps serving */
    unsigned char buf[64];
    unary_call(f->channel, "/grpc.health.v1.Health/Check", buf, health_request("", buf, sizeof buf), &r);
    assert_int_equal(r.status, GRPC_STATUS_OK);
    grpc_byte_buffer_destroy(r.response);
    assert_int_equal(read_flag(&g.check_calls), 1);
}

/* (5) a client cancel stops a streaming handler on the worker pool */
static void test_cancel_stops_stream(void **state)
{
    fixture *f = *state;
    unsigned char buf[64];
    tcall c;
    tcall_start(&c, f->channel, "/grpc.health.v1.Health/Watch", buf, health_request("spin", buf, sizeof buf), 0);
    for (int i = 0; i < 3; i++) {
        grpc_byte_buffer *bb = NULL;
        assert_int_equal(tcall_read(&c, 5000, &bb), 1);
        Grpc__Health__V1__HealthCheckResponse *m = (Grpc__Health__V1__HealthCheckResponse *)decode(
            bb, &grpc__health__v1__health_check_response__descriptor);
        assert_int_equal(m->status, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
        protobuf_c_message_free_unpacked(&m->base, NULL);
        grpc_byte_buffer_destroy(bb);
    }
    assert_false(read_flag(&g.stream_returned));
    int64_t t_cancel = mono_ns();
    assert_int_equal(grpc_call_cancel(c.call, NULL), GRPC_CALL_OK);
    assert_true(wait_flag(&g.stream_returned, 5000));
    pthread_mutex_lock(&g_mu);
    int64_t latency_ns = g.stream_return_ns - t_cancel;
    int cancelled = g.saw_cancelled, sends = g.sends_ok;
    pthread_mutex_unlock(&g_mu);
    printf("cancel -> handler returned: %.2f ms (after %d sends)\n", (double)latency_ns / 1e6, sends);
    fflush(stdout);
    assert_true(latency_ns >= 0);
    assert_true(latency_ns < 500 * NS_PER_MS); /* the target is 100 ms */
    assert_true(cancelled);
    assert_true(sends >= 3);
    assert_true(tcall_status(&c, 5000));
    assert_int_equal(c.status, GRPC_STATUS_CANCELLED);
    tcall_end(&c);
}

/* (6) backpressure: a full queue refuses NOWAIT sends and blocks WAIT
 * sends until the client reads */
static void test_backpressure(void **state)
{
    fixture *f = *state;
    tcall c;
    tcall_start(&c, f->channel, "/aia.v1.LLMService/StreamGenerate", "", 0, 0);
    assert_true(wait_flag(&g.stream_started, 5000));
    sleep_ms(300); /* read nothing */
    int64_t t_read = mono_ns();
    int got = 0, r;
    grpc_byte_buffer *bb = NULL;
    while ((r = tcall_read(&c, 5000, &bb)) == 1) {
        Aia__V1__StreamGenerateResponse *m =
            (Aia__V1__StreamGenerateResponse *)decode(bb, &aia__v1__stream_generate_response__descriptor);
        assert_int_equal(strlen(m->text), BIG_TEXT);
        protobuf_c_message_free_unpacked(&m->base, NULL);
        grpc_byte_buffer_destroy(bb);
        got++;
    }
    assert_int_equal(r, 0); /* end of stream, not a timeout */
    assert_true(tcall_status(&c, 5000));
    assert_int_equal(c.status, GRPC_STATUS_OK);
    tcall_end(&c);
    assert_true(wait_flag(&g.bp_done, 5000));
    pthread_mutex_lock(&g_mu);
    int nowait_ok = g.bp_nowait_ok, wait_ok = g.bp_wait_ok;
    aia_status nowait_st = g.bp_nowait_status;
    int64_t blocked = g.bp_blocked_ns, unblocked_at = g.bp_unblocked_at;
    pthread_mutex_unlock(&g_mu);
    printf("backpressure: %d NOWAIT sends then %s; %d WAIT sends, longest blocked %.1f ms, "
           "released %.1f ms after the client began reading\n",
           nowait_ok, aia_status_name(nowait_st), wait_ok, (double)blocked / 1e6,
           (double)(unblocked_at - t_read) / 1e6);
    fflush(stdout);
    assert_int_equal(nowait_st, AIA_RESOURCE_EXHAUSTED);
    assert_true(nowait_ok >= 4); /* the queue (4) filled first */
    assert_true(nowait_ok < 1000); /* refused at some point */
    assert_true(blocked > 150 * NS_PER_MS); /* a WAIT send waited for the reader */
    assert_true(unblocked_at > t_read);     /* ... and was released by it */
    assert_int_equal(got, nowait_ok + wait_ok); /* nothing queued was lost */
}

/* (7a) shutdown tells open streams to stop; a handler that finishes lets
 * shutdown return well before the grace period */
static void test_shutdown_drains_stream(void **state)
{
    fixture *f = *state;
    unsigned char buf[64];
    tcall c;
    tcall_start(&c, f->channel, "/grpc.health.v1.Health/Watch", buf, health_request("drain", buf, sizeof buf), 0);
    grpc_byte_buffer *bb = NULL;
    assert_int_equal(tcall_read(&c, 5000, &bb), 1);
    grpc_byte_buffer_destroy(bb);
    assert_true(wait_flag(&g.stream_started, 5000));

    int64_t t0 = mono_ns();
    aia_server_shutdown(f->server);
    int64_t took = mono_ns() - t0;
    printf("graceful shutdown with a cooperating stream: %.1f ms\n", (double)took / 1e6);
    fflush(stdout);
    assert_true(aia_server_draining(f->server));
    pthread_mutex_lock(&g_mu);
    int stops = g.stop_calls;
    aia_stop_reason reason = g.stop_reason;
    pthread_mutex_unlock(&g_mu);
    assert_int_equal(stops, 1);
    assert_int_equal(reason, AIA_STOP_DRAINING);
    assert_true(read_flag(&g.stream_returned));
    assert_true(took < 2000 * NS_PER_MS); /* the grace period is 5 s */

    /* The client got the last message, then the handler's status. */
    bb = NULL;
    assert_int_equal(tcall_read(&c, 5000, &bb), 1);
    Grpc__Health__V1__HealthCheckResponse *m =
        (Grpc__Health__V1__HealthCheckResponse *)decode(bb, &grpc__health__v1__health_check_response__descriptor);
    assert_int_equal(m->status, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
    protobuf_c_message_free_unpacked(&m->base, NULL);
    grpc_byte_buffer_destroy(bb);
    assert_int_equal(tcall_read(&c, 5000, NULL), 0);
    assert_true(tcall_status(&c, 5000));
    assert_int_equal(c.status, GRPC_STATUS_UNAVAILABLE);
    assert_string_equal(c.message, "server is draining");
    tcall_end(&c);
}

/* (7b) a handler that ignores draining is cancelled after the grace period */
static void test_shutdown_grace_expires(void **state)
{
    fixture *f = *state; /* grace 200 ms */
    unsigned char buf[64];
    tcall c;
    tcall_start(&c, f->channel, "/grpc.health.v1.Health/Watch", buf, health_request("ignore", buf, sizeof buf), 0);
    assert_int_equal(tcall_read(&c, 5000, NULL), 1);
    assert_true(wait_flag(&g.stream_started, 5000));

    int64_t t0 = mono_ns();
    aia_server_shutdown(f->server);
    int64_t took = mono_ns() - t0;
    printf("shutdown with a stream ignoring the drain (grace 200 ms): %.1f ms\n", (double)took / 1e6);
    fflush(stdout);
    assert_true(took < 3000 * NS_PER_MS);
    pthread_mutex_lock(&g_mu);
    int returned = g.stream_returned, cancelled = g.saw_cancelled;
    int64_t returned_after = g.stream_return_ns - t0;
    aia_stop_reason reason = g.stop_reason;
    pthread_mutex_unlock(&g_mu);
    assert_true(returned);
    assert_true(cancelled);
    assert_int_equal(reason, AIA_STOP_DRAINING); /* it was told, and ignored it */
    assert_true(returned_after >= 150 * NS_PER_MS); /* not cancelled before the grace period */
    assert_true(tcall_status(&c, 5000));
    assert_int_not_equal(c.status, GRPC_STATUS_OK);
    tcall_end(&c);
}

/* (8) a deadline ends a silent stream: DEADLINE_EXCEEDED at the client,
 * AIA_STOP_CANCELLED at the handler */
static void test_deadline(void **state)
{
    fixture *f = *state;
    unsigned char buf[64];
    tcall c;
    int64_t t0 = mono_ns();
    tcall_start(&c, f->channel, "/grpc.health.v1.Health/Watch", buf, health_request("silent", buf, sizeof buf), 50);
    assert_true(tcall_status(&c, 5000));
    int64_t took = mono_ns() - t0;
    assert_int_equal(c.status, GRPC_STATUS_DEADLINE_EXCEEDED);
    assert_true(took >= 40 * NS_PER_MS && took < 2000 * NS_PER_MS);
    assert_true(wait_flag(&g.stop_calls, 5000));
    pthread_mutex_lock(&g_mu);
    int stops = g.stop_calls;
    aia_stop_reason reason = g.stop_reason;
    pthread_mutex_unlock(&g_mu);
    assert_int_equal(stops, 1);
    assert_int_equal(reason, AIA_STOP_CANCELLED);
    tcall_end(&c);
    /* The server recorded the call as DEADLINE_EXCEEDED. */
    const aia_method *m = find_method(f->server, "/grpc.health.v1.Health/Watch");
    assert_non_null(m);
    aia_method_stats st;
    wait_calls(f->server, m->index, 1, &st);
    assert_int_equal(st.calls, 1);
    assert_int_equal(st.errors, 1);
}

static int group_setup(void **state)
{
    (void)state;
    aia_log_configure(AIA_LOG_WARN, AIA_LOG_TEXT, 2);
    grpc_init();
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    grpc_shutdown_blocking();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_unary_ok_and_error, setup_default, teardown),
        cmocka_unit_test_setup_teardown(test_blocking_unary_and_metadata, setup_default, teardown),
        cmocka_unit_test_setup_teardown(test_unimplemented_names_missing, setup_default, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method, setup_default, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_request_skips_handler, setup_default, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_stops_stream, setup_default, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, setup_small_queue, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_drains_stream, setup_default, teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_grace_expires, setup_short_grace, teardown),
        cmocka_unit_test_setup_teardown(test_deadline, setup_default, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
