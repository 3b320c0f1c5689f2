/* server/call.c — the life of one call on the C core.
 *
 * A call struct (aia_rpc) is pre-posted as a requested call, then runs one
 * of three paths once the C core hands it a client:
 *
 *   unary    decode → handler → one batch {initial metadata, message,
 *            status, RECV_CLOSE_ON_SERVER}: one start_batch and one CQ event
 *            per call, the cheapest the C core allows.
 *   stream   RECV_CLOSE_ON_SERVER posted first (it reports cancellation),
 *            then the handler; sends go through a bounded queue with one
 *            SEND_MESSAGE in flight; the status follows the last message.
 *   bidi     as stream, plus one RECV_MESSAGE at a time feeding the handler.
 *
 * Requests that fail to decode never reach a handler; methods without one
 * answer UNIMPLEMENTED; unknown methods come through the catch-all request
 * and answer UNIMPLEMENTED too.
 *
 * Memory: the struct and its arena are recycled through the server's free
 * list, so a steady stream of unary calls allocates only what the C core
 * and the response slice need. A reference count (outstanding batches plus
 * the handler's hold) decides when a call is over; the last unref logs it,
 * records its metrics and recycles it.
 */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "server/codec.h"
#include "server/internal.h"

#define MAX_FREE_CALLS 256

static void on_request(aia_tag *tag, int ok);
static void on_close(aia_tag *tag, int ok);
static void on_send(aia_tag *tag, int ok);
static void on_status(aia_tag *tag, int ok);
static void on_recv(aia_tag *tag, int ok);

/* ---- allocation and recycling ------------------------------------------ */

static void *arena_pb_alloc(void *data, size_t size)
{
    return aia_arena_alloc(data, size);
}

static void arena_pb_free(void *data, void *ptr)
{
    (void)data; /* the arena frees everything at once when the call ends */
    (void)ptr;
}

static aia_rpc *rpc_new(aia_server *s)
{
    pthread_mutex_lock(&s->mu);
    aia_rpc *rpc = s->free_list;
    if (rpc) {
        s->free_list = rpc->free_next;
        s->n_free--;
    }
    pthread_mutex_unlock(&s->mu);
    if (!rpc) {
        rpc = calloc(1, sizeof *rpc);
        if (!rpc) return NULL;
        pthread_mutex_init(&rpc->mu, NULL);
        pthread_cond_init(&rpc->cv, NULL);
        aia_arena_init(&rpc->arena, 8192);
        rpc->alloc = (ProtobufCAllocator){arena_pb_alloc, arena_pb_free, &rpc->arena};
        rpc->t_request.fn = on_request;
        rpc->t_close.fn = on_close;
        rpc->t_send.fn = on_send;
        rpc->t_status.fn = on_status;
        rpc->t_recv.fn = on_recv;
    }
    rpc->server = s;
    grpc_metadata_array_init(&rpc->request_md);
    grpc_call_details_init(&rpc->details);
    return rpc;
}

/* Frees a struct that holds no call (recycled or never used). */
static void rpc_free(aia_rpc *rpc)
{
    aia_arena_destroy(&rpc->arena);
    pthread_mutex_destroy(&rpc->mu);
    pthread_cond_destroy(&rpc->cv);
    free(rpc->queue);
    free(rpc);
}

static void rpc_drop_queue(aia_rpc *rpc)
{
    for (size_t i = 0; i < rpc->q_len; i++) grpc_byte_buffer_destroy(rpc->queue[(rpc->q_head + i) % rpc->q_cap]);
    rpc->q_head = rpc->q_len = 0;
}

/* Returns the struct to the free list with every per-call field reset. */
/* Unlinks a stream from the server's active list (a no-op for calls that
 * never joined it) and wakes aia_server_shutdown() when the list empties. */
static void active_unlink_locked(aia_server *s, aia_rpc *rpc)
{
    if (!rpc->active_prev && !rpc->active_next && s->active != rpc) return;
    if (rpc->active_prev) rpc->active_prev->active_next = rpc->active_next;
    else s->active = rpc->active_next;
    if (rpc->active_next) rpc->active_next->active_prev = rpc->active_prev;
    rpc->active_prev = rpc->active_next = NULL;
    if (!s->active) pthread_cond_broadcast(&s->cv);
}

static void rpc_recycle(aia_rpc *rpc)
{
    aia_server *s = rpc->server;
    if (rpc->call) grpc_call_unref(rpc->call);
    if (rpc->payload) grpc_byte_buffer_destroy(rpc->payload);
    if (rpc->recv_buf) grpc_byte_buffer_destroy(rpc->recv_buf);
    rpc_drop_queue(rpc);
    grpc_metadata_array_destroy(&rpc->request_md);
    grpc_call_details_destroy(&rpc->details);
    aia_arena_reset(&rpc->arena);
    /* Reset the per-call state; the arena's first block, the stream queue's
     * storage, the lock and the tags are kept for the next call. */
    rpc->method = NULL;
    rpc->row = 0;
    rpc->call = NULL;
    rpc->payload = rpc->recv_buf = rpc->sending = NULL;
    rpc->close_cancelled = 0;
    rpc->code = AIA_OK;
    rpc->message[0] = '\0';
    rpc->request_id[0] = rpc->caller[0] = '\0';
    rpc->close_started = rpc->send_in_flight = rpc->initial_md_sent = 0;
    rpc->finish_requested = rpc->status_started = 0;
    rpc->closed = rpc->cancelled = rpc->stop_notified = 0;
    rpc->stop_fn = NULL;
    rpc->stop_arg = NULL;
    atomic_store(&rpc->refs, 0);
    pthread_mutex_lock(&s->mu);
    /* Leaving the active list last, in the same critical section that hands
     * the struct back, tells aia_server_shutdown() that no thread will touch
     * this call or the server for it again (server.c, wait_streams_released). */
    active_unlink_locked(s, rpc);
    if (s->n_free < MAX_FREE_CALLS) {
        rpc->free_next = s->free_list;
        s->free_list = rpc;
        s->n_free++;
        rpc = NULL;
    }
    pthread_mutex_unlock(&s->mu);
    if (rpc) rpc_free(rpc);
}

void aia_call_free_all(aia_server *s)
{
    pthread_mutex_lock(&s->mu);
    aia_rpc *rpc = s->free_list;
    s->free_list = NULL;
    s->n_free = 0;
    pthread_mutex_unlock(&s->mu);
    while (rpc) {
        aia_rpc *next = rpc->free_next;
        rpc_free(rpc);
        rpc = next;
    }
}

/* ---- ending a call ------------------------------------------------------ */

static int deadline_passed(const aia_rpc *rpc)
{
    gpr_timespec now = gpr_now(rpc->deadline.clock_type);
    return gpr_time_cmp(now, rpc->deadline) >= 0;
}

/* What the client saw: a cancelled call never received our status. */
static aia_status final_code(const aia_rpc *rpc)
{
    if (rpc->close_cancelled) return deadline_passed(rpc) ? AIA_DEADLINE_EXCEEDED : AIA_CANCELLED;
    return rpc->code;
}

/* The method the client asked for: the table's path, or for the catch-all
 * the raw path from the request, truncated to fit `out`. */
static void method_path(const aia_rpc *rpc, char *out, size_t size)
{
    if (rpc->method) {
        snprintf(out, size, "%s", rpc->method->path);
        return;
    }
    size_t n = GRPC_SLICE_LENGTH(rpc->details.method);
    if (n >= size) n = size - 1;
    memcpy(out, GRPC_SLICE_START_PTR(rpc->details.method), n);
    out[n] = '\0';
}

static void log_call(aia_rpc *rpc, aia_status code, int64_t duration_ns)
{
    if (!aia_log_enabled(AIA_LOG_INFO)) return;
    char *peer = rpc->call ? grpc_call_get_peer(rpc->call) : NULL;
    char method[256];
    method_path(rpc, method, sizeof method);
    aia_log_field fields[] = {
        AIA_LOG_STR("method", method),
        AIA_LOG_STR("status", aia_status_name(code)),
        AIA_LOG_INT("code", code),
        AIA_LOG_DBL("duration_ms", (double)duration_ns / 1e6),
        AIA_LOG_STR("request_id", rpc->request_id),
        AIA_LOG_STR("peer", peer ? peer : ""),
        AIA_LOG_STR("caller", rpc->caller),
        AIA_LOG_STR("message", code == AIA_OK ? "" : rpc->message),
    };
    aia_log_event(code == AIA_INTERNAL || code == AIA_UNKNOWN ? AIA_LOG_ERROR : AIA_LOG_INFO, "rpc", fields,
                  sizeof fields / sizeof fields[0]);
    gpr_free(peer);
}

static void rpc_ref(aia_rpc *rpc)
{
    atomic_fetch_add_explicit(&rpc->refs, 1, memory_order_relaxed);
}

/* A reference only while the call is alive: 0 means its last unref is
 * already recycling it (and will unlink it from the active list), so it
 * must not be revived, or it would be recycled, and its C-core call
 * unreffed, twice. */
static int rpc_try_ref(aia_rpc *rpc)
{
    int refs = atomic_load_explicit(&rpc->refs, memory_order_acquire);
    while (refs > 0)
        if (atomic_compare_exchange_weak_explicit(&rpc->refs, &refs, refs + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return 1;
    return 0;
}

static void rpc_unref(aia_rpc *rpc)
{
    if (atomic_fetch_sub_explicit(&rpc->refs, 1, memory_order_acq_rel) != 1) return;
    aia_status code = final_code(rpc);
    int64_t duration = aia_time_mono_ns() - rpc->start_ns;
    aia_metrics_handled(rpc->server->metrics, rpc->row, code, duration);
    log_call(rpc, code, duration);
    rpc_recycle(rpc);
}

static void set_status(aia_rpc *rpc, aia_status code, const char *message)
{
    rpc->code = code;
    snprintf(rpc->message, sizeof rpc->message, "%s", message ? message : "");
    rpc->status_details = grpc_slice_from_static_string(rpc->message);
}

static void fill_initial_md(aia_rpc *rpc, grpc_op *op)
{
    memset(op, 0, sizeof *op);
    op->op = GRPC_OP_SEND_INITIAL_METADATA;
    rpc->initial_md[0].key = grpc_slice_from_static_string("x-request-id");
    rpc->initial_md[0].value = grpc_slice_from_static_string(rpc->request_id);
    op->data.send_initial_metadata.count = 1;
    op->data.send_initial_metadata.metadata = rpc->initial_md;
    rpc->initial_md_sent = 1;
}

static void fill_status(aia_rpc *rpc, grpc_op *op)
{
    memset(op, 0, sizeof *op);
    op->op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    op->data.send_status_from_server.status = (grpc_status_code)rpc->code;
    op->data.send_status_from_server.status_details = rpc->message[0] ? &rpc->status_details : NULL;
}

static void fill_close(aia_rpc *rpc, grpc_op *op)
{
    memset(op, 0, sizeof *op);
    op->op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    op->data.recv_close_on_server.cancelled = &rpc->close_cancelled;
    rpc->close_started = 1;
}

static void start_batch(aia_rpc *rpc, const grpc_op *ops, size_t n, aia_tag *tag)
{
    rpc_ref(rpc);
    grpc_call_error e = grpc_call_start_batch(rpc->call, ops, n, tag, NULL);
    if (e != GRPC_CALL_OK) {
        /* Only a programming error gets here (ops out of order); never
         * leave the call hanging. */
        aia_logf(AIA_LOG_ERROR, "start_batch_failed", "grpc_call_start_batch: %d", (int)e);
        grpc_call_cancel(rpc->call, NULL);
        rpc_unref(rpc);
    }
}

/* Unary answer (or an early error on any kind of call): everything in one
 * batch, RECV_CLOSE included unless a stream already posted it. */
static void finish_unary(aia_rpc *rpc, aia_status code, const char *message, grpc_byte_buffer *response)
{
    grpc_op ops[4];
    size_t n = 0;
    set_status(rpc, code, message);
    fill_initial_md(rpc, &ops[n++]);
    if (response) {
        memset(&ops[n], 0, sizeof ops[n]);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = response;
        rpc->sending = response;
    }
    fill_status(rpc, &ops[n++]);
    if (!rpc->close_started) fill_close(rpc, &ops[n++]);
    rpc->status_started = 1;
    start_batch(rpc, ops, n, &rpc->t_status);
}

static void on_status(aia_tag *tag, int ok)
{
    aia_rpc *rpc = AIA_CONTAINER_OF(tag, aia_rpc, t_status);
    (void)ok; /* a failed status send shows up as cancelled in close */
    if (rpc->sending) {
        grpc_byte_buffer_destroy(rpc->sending);
        rpc->sending = NULL;
    }
    rpc_unref(rpc);
}

/* ---- request metadata --------------------------------------------------- */

static void copy_md_value(grpc_slice value, char *out)
{
    size_t n = GRPC_SLICE_LENGTH(value), j = 0;
    const unsigned char *p = GRPC_SLICE_START_PTR(value);
    for (size_t i = 0; i < n && j < AIA_REQUEST_ID_MAX; i++)
        if (p[i] > 0x20 && p[i] < 0x7f) out[j++] = (char)p[i]; /* printable, no spaces: safe in logs */
    out[j] = '\0';
}

static void generate_request_id(char *out)
{
    static _Thread_local uint64_t state;
    if (!state) state = (uint64_t)aia_time_now_ns() ^ ((uint64_t)(uintptr_t)&state << 17) ^ 0x9e3779b97f4a7c15ULL;
    /* xorshift64*: ids only need to be unique enough to correlate logs. */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    uint64_t v = state * 0x2545F4914F6CDD1DULL;
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, v >>= 4) out[i] = hex[v & 15]; /* per call: no printf */
    out[16] = '\0';
}

static void read_metadata(aia_rpc *rpc)
{
    for (size_t i = 0; i < rpc->request_md.count; i++) {
        const grpc_metadata *md = &rpc->request_md.metadata[i];
        if (grpc_slice_str_cmp(md->key, "x-request-id") == 0) copy_md_value(md->value, rpc->request_id);
        else if (grpc_slice_str_cmp(md->key, "x-aia-caller") == 0) copy_md_value(md->value, rpc->caller);
    }
    if (!rpc->request_id[0]) generate_request_id(rpc->request_id);
}

/* ---- dispatch ------------------------------------------------------------- */

static void run_unary(aia_rpc *rpc, const ProtobufCMessage *req)
{
    const aia_method *m = rpc->method;
    aia_error err;
    aia_error_clear(&err);
    ProtobufCMessage *resp = aia_arena_alloc(&rpc->arena, m->response->sizeof_message);
    aia_status code;
    if (!resp) {
        code = aia_error_set(&err, AIA_RESOURCE_EXHAUSTED, "out of memory for the response");
    } else if (deadline_passed(rpc)) {
        code = aia_error_set(&err, AIA_DEADLINE_EXCEEDED, "deadline passed before the handler ran");
    } else {
        protobuf_c_message_init(m->response, resp);
        code = m->impl->unary(rpc, req, resp, &err);
    }
    grpc_byte_buffer *out = NULL;
    if (code == AIA_OK && !(out = aia_codec_pack(resp)))
        code = aia_error_set(&err, AIA_INTERNAL, "cannot serialise %s", m->response->name);
    finish_unary(rpc, code, code == AIA_OK ? NULL : err.message, out);
}

typedef struct pool_job {
    aia_rpc *rpc;
    const ProtobufCMessage *req;
} pool_job;

static void run_on_pool(void *arg)
{
    pool_job *job = arg;
    aia_rpc *rpc = job->rpc;
    const ProtobufCMessage *req = job->req;
    free(job);
    if (rpc->method->kind == AIA_METHOD_UNARY) run_unary(rpc, req);
    else rpc->method->impl->stream(rpc, req);
    rpc_unref(rpc); /* the hold taken in hand_to_pool */
}

static void hand_to_pool(aia_rpc *rpc, const ProtobufCMessage *req)
{
    pool_job *job = malloc(sizeof *job);
    rpc_ref(rpc);
    if (job) *job = (pool_job){rpc, req};
    if (!job || aia_pool_submit(rpc->server->pool, run_on_pool, job) != AIA_OK) {
        free(job);
        if (rpc->method->kind == AIA_METHOD_UNARY)
            finish_unary(rpc, AIA_RESOURCE_EXHAUSTED, "worker pool unavailable", NULL);
        else
            aia_rpc_finish(rpc, AIA_RESOURCE_EXHAUSTED, "worker pool unavailable");
        rpc_unref(rpc);
    }
}

static void start_close(aia_rpc *rpc)
{
    grpc_op op;
    fill_close(rpc, &op);
    start_batch(rpc, &op, 1, &rpc->t_close);
}

static void active_add(aia_rpc *rpc)
{
    aia_server *s = rpc->server;
    pthread_mutex_lock(&s->mu);
    rpc->active_prev = NULL;
    rpc->active_next = s->active;
    if (s->active) s->active->active_prev = rpc;
    s->active = rpc;
    pthread_mutex_unlock(&s->mu);
}

static int ensure_queue(aia_rpc *rpc)
{
    size_t want = (size_t)rpc->server->opts.stream_queue_depth;
    if (rpc->q_cap == want) return 0;
    grpc_byte_buffer **q = realloc(rpc->queue, want * sizeof *q);
    if (!q) return -1;
    rpc->queue = q;
    rpc->q_cap = want;
    return 0;
}

static void post_recv(aia_rpc *rpc)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &rpc->recv_buf;
    start_batch(rpc, &op, 1, &rpc->t_recv);
}

static void start_stream(aia_rpc *rpc, const ProtobufCMessage *req)
{
    if (ensure_queue(rpc) != 0) {
        finish_unary(rpc, AIA_RESOURCE_EXHAUSTED, "out of memory for the stream queue", NULL);
        return;
    }
    start_close(rpc);
    active_add(rpc);
    rpc_ref(rpc); /* the handler's hold, released by aia_rpc_finish */
    if (rpc->method->kind == AIA_METHOD_BIDI_STREAMING) {
        post_recv(rpc);
        return;
    }
    if (rpc->method->impl->flags & AIA_METHOD_BLOCKING) hand_to_pool(rpc, req);
    else rpc->method->impl->stream(rpc, req);
}

static void dispatch(aia_rpc *rpc)
{
    const aia_method *m = rpc->method;
    char msg[AIA_ERROR_MESSAGE_MAX];
    if (!m) {
        char name[200];
        method_path(rpc, name, sizeof name);
        snprintf(msg, sizeof msg, "unknown method %s: this server does not serve it (see reflection)", name);
        finish_unary(rpc, AIA_UNIMPLEMENTED, msg, NULL);
        return;
    }
    const ProtobufCMessage *req = NULL;
    if (m->kind != AIA_METHOD_BIDI_STREAMING) {
        aia_error err;
        if (aia_codec_unpack(rpc->payload, m->request, &rpc->alloc, &req, &err) != AIA_OK) {
            finish_unary(rpc, err.code, err.message, NULL);
            return;
        }
    }
    if (!m->impl) {
        snprintf(msg, sizeof msg, "%s is not implemented yet: %s", m->path + 1, m->missing);
        finish_unary(rpc, AIA_UNIMPLEMENTED, msg, NULL);
        return;
    }
    if (m->kind != AIA_METHOD_UNARY) start_stream(rpc, req);
    else if (m->impl->flags & AIA_METHOD_BLOCKING) {
        start_close(rpc);
        hand_to_pool(rpc, req);
    } else run_unary(rpc, req);
}

aia_status aia_call_post_request(aia_server *s, const aia_method *m)
{
    aia_rpc *rpc = rpc_new(s);
    if (!rpc) return AIA_RESOURCE_EXHAUSTED;
    rpc->method = m;
    rpc->row = m ? m->index : aia_metrics_unknown_row(s->metrics);
    grpc_call_error e;
    if (m)
        e = grpc_server_request_registered_call(
            s->grpc, m->registered, &rpc->call, &rpc->deadline, &rpc->request_md,
            m->kind == AIA_METHOD_BIDI_STREAMING ? NULL : &rpc->payload, s->cq, s->cq, &rpc->t_request);
    else
        e = grpc_server_request_call(s->grpc, &rpc->call, &rpc->details, &rpc->request_md, s->cq, s->cq,
                                     &rpc->t_request);
    if (e != GRPC_CALL_OK) {
        rpc_recycle(rpc);
        return AIA_INTERNAL;
    }
    return AIA_OK;
}

static void on_request(aia_tag *tag, int ok)
{
    aia_rpc *rpc = AIA_CONTAINER_OF(tag, aia_rpc, t_request);
    aia_server *s = rpc->server;
    if (!ok) { /* the server is shutting down: this request will never be used */
        rpc_recycle(rpc);
        return;
    }
    if (!atomic_load(&s->draining)) aia_call_post_request(s, rpc->method);
    if (!rpc->method) rpc->deadline = rpc->details.deadline;
    rpc->start_ns = aia_time_mono_ns();
    aia_metrics_started(s->metrics, rpc->row);
    read_metadata(rpc);
    /* Dispatch starts batches (RECV_CLOSE first on streams and blocking
     * calls) before it takes the handler's hold. With several CQ threads a
     * batch can complete on another thread at once (a call cancelled or past
     * its deadline), and without this hold its unref would recycle the call
     * under us, to be unreffed twice later. */
    rpc_ref(rpc);
    dispatch(rpc);
    rpc_unref(rpc);
}

/* ---- streams ------------------------------------------------------------- */

static void start_send_locked(aia_rpc *rpc)
{
    grpc_op ops[2];
    size_t n = 0;
    if (!rpc->initial_md_sent) fill_initial_md(rpc, &ops[n++]);
    rpc->sending = rpc->queue[rpc->q_head];
    rpc->q_head = (rpc->q_head + 1) % rpc->q_cap;
    rpc->q_len--;
    memset(&ops[n], 0, sizeof ops[n]);
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = rpc->sending;
    rpc->send_in_flight = 1;
    start_batch(rpc, ops, n, &rpc->t_send);
}

static void start_status_locked(aia_rpc *rpc)
{
    grpc_op ops[2];
    size_t n = 0;
    if (!rpc->initial_md_sent) fill_initial_md(rpc, &ops[n++]);
    fill_status(rpc, &ops[n++]);
    rpc->status_started = 1;
    start_batch(rpc, ops, n, &rpc->t_status);
}

static void on_send(aia_tag *tag, int ok)
{
    aia_rpc *rpc = AIA_CONTAINER_OF(tag, aia_rpc, t_send);
    pthread_mutex_lock(&rpc->mu);
    if (rpc->sending) grpc_byte_buffer_destroy(rpc->sending); /* NULL after headers alone */
    rpc->sending = NULL;
    rpc->send_in_flight = 0;
    if (!ok) rpc_drop_queue(rpc); /* the call broke; RECV_CLOSE will say cancelled */
    if (rpc->q_len > 0 && !rpc->closed) start_send_locked(rpc);
    else if (rpc->finish_requested && !rpc->status_started && !rpc->closed) start_status_locked(rpc);
    pthread_cond_broadcast(&rpc->cv);
    pthread_mutex_unlock(&rpc->mu);
    rpc_unref(rpc);
}

static void on_close(aia_tag *tag, int ok)
{
    aia_rpc *rpc = AIA_CONTAINER_OF(tag, aia_rpc, t_close);
    (void)ok;
    pthread_mutex_lock(&rpc->mu);
    rpc->closed = 1;
    rpc->cancelled = rpc->close_cancelled;
    if (rpc->cancelled) rpc_drop_queue(rpc);
    int notify = rpc->cancelled && !rpc->stop_notified && rpc->stop_fn && !rpc->finish_requested;
    /* Without a callback yet, aia_rpc_on_stop() reports the cancel later. */
    if (notify) rpc->stop_notified = 1;
    aia_stop_fn fn = rpc->stop_fn;
    void *arg = rpc->stop_arg;
    pthread_cond_broadcast(&rpc->cv);
    pthread_mutex_unlock(&rpc->mu);
    if (notify) fn(rpc, arg, AIA_STOP_CANCELLED);
    rpc_unref(rpc);
}

static int finish_requested(aia_rpc *rpc)
{
    pthread_mutex_lock(&rpc->mu);
    int done = rpc->finish_requested;
    pthread_mutex_unlock(&rpc->mu);
    return done;
}

/* One received message of a bidi stream. The handler is called with NULL
 * both at the client's half-close and when the call breaks, so it always
 * gets the chance to finish (and so release its hold). */
static void on_recv(aia_tag *tag, int ok)
{
    aia_rpc *rpc = AIA_CONTAINER_OF(tag, aia_rpc, t_recv);
    grpc_byte_buffer *bb = rpc->recv_buf;
    rpc->recv_buf = NULL;
    const ProtobufCMessage *msg = NULL;
    aia_error err;
    if (finish_requested(rpc)) {
        /* finished while this receive was pending: nothing to deliver */
    } else if (!ok || !bb) {
        rpc->method->impl->bidi(rpc, NULL);
    } else if (aia_codec_unpack(bb, rpc->method->request, &rpc->alloc, &msg, &err) != AIA_OK) {
        aia_rpc_finish(rpc, err.code, err.message);
    } else {
        rpc->method->impl->bidi(rpc, msg);
        aia_arena_reset(&rpc->arena);
        pthread_mutex_lock(&rpc->mu);
        int more = !rpc->finish_requested && !rpc->closed;
        pthread_mutex_unlock(&rpc->mu);
        if (more) post_recv(rpc);
        else if (!finish_requested(rpc)) rpc->method->impl->bidi(rpc, NULL); /* closed under us */
    }
    if (bb) grpc_byte_buffer_destroy(bb);
    rpc_unref(rpc);
}

void aia_call_notify_draining(aia_server *s)
{
    /* Collect with a reference held, then call out without the lock. */
    pthread_mutex_lock(&s->mu);
    size_t n = 0;
    for (aia_rpc *r = s->active; r; r = r->active_next) n++;
    aia_rpc **list = n ? calloc(n, sizeof *list) : NULL;
    size_t k = 0;
    for (aia_rpc *r = s->active; r && list; r = r->active_next)
        if (rpc_try_ref(r)) list[k++] = r; /* else it is being recycled */
    pthread_mutex_unlock(&s->mu);
    for (size_t i = 0; i < k; i++) {
        aia_rpc *rpc = list[i];
        pthread_mutex_lock(&rpc->mu);
        int notify = !rpc->stop_notified && rpc->stop_fn && !rpc->finish_requested && !rpc->closed;
        if (notify) rpc->stop_notified = 1;
        aia_stop_fn fn = rpc->stop_fn;
        void *arg = rpc->stop_arg;
        pthread_cond_broadcast(&rpc->cv);
        pthread_mutex_unlock(&rpc->mu);
        if (notify) fn(rpc, arg, AIA_STOP_DRAINING);
        rpc_unref(rpc);
    }
    free(list);
}

/* ---- the handler-facing API (rpc.h) --------------------------------------- */

aia_arena *aia_rpc_arena(aia_rpc *rpc)
{
    return &rpc->arena;
}

const char *aia_rpc_method(const aia_rpc *rpc)
{
    return rpc->method ? rpc->method->path : "";
}

const char *aia_rpc_request_id(const aia_rpc *rpc)
{
    return rpc->request_id;
}

const char *aia_rpc_caller(const aia_rpc *rpc)
{
    return rpc->caller;
}

aia_server *aia_rpc_server(aia_rpc *rpc)
{
    return rpc->server;
}

int aia_rpc_cancelled(const aia_rpc *rpc)
{
    aia_rpc *r = (aia_rpc *)rpc;
    pthread_mutex_lock(&r->mu);
    int c = r->cancelled;
    pthread_mutex_unlock(&r->mu);
    return c || deadline_passed(rpc);
}

int aia_rpc_should_stop(const aia_rpc *rpc)
{
    return atomic_load(&rpc->server->draining) || aia_rpc_cancelled(rpc);
}

int64_t aia_rpc_deadline_remaining_ms(const aia_rpc *rpc)
{
    if (gpr_time_cmp(rpc->deadline, gpr_inf_future(rpc->deadline.clock_type)) == 0) return INT64_MAX;
    gpr_timespec left = gpr_time_sub(rpc->deadline, gpr_now(rpc->deadline.clock_type));
    return (int64_t)left.tv_sec * 1000 + left.tv_nsec / 1000000;
}

void aia_rpc_on_stop(aia_rpc *rpc, aia_stop_fn fn, void *arg)
{
    pthread_mutex_lock(&rpc->mu);
    rpc->stop_fn = fn;
    rpc->stop_arg = arg;
    aia_stop_reason reason = 0;
    if (!rpc->stop_notified && !rpc->finish_requested) {
        if (rpc->cancelled) reason = AIA_STOP_CANCELLED;
        else if (atomic_load(&rpc->server->draining)) reason = AIA_STOP_DRAINING;
        if (reason) rpc->stop_notified = 1;
    }
    pthread_mutex_unlock(&rpc->mu);
    if (reason) fn(rpc, arg, reason);
}

aia_status aia_rpc_send(aia_rpc *rpc, const ProtobufCMessage *msg, aia_send_mode mode)
{
    grpc_byte_buffer *bb = aia_codec_pack(msg);
    if (!bb) return AIA_INTERNAL;
    pthread_mutex_lock(&rpc->mu);
    while (mode == AIA_SEND_WAIT && rpc->q_len == rpc->q_cap && !rpc->closed && !rpc->finish_requested)
        pthread_cond_wait(&rpc->cv, &rpc->mu);
    aia_status st = AIA_OK;
    if (rpc->closed || rpc->finish_requested) st = AIA_CANCELLED;
    else if (rpc->q_len == rpc->q_cap) st = AIA_RESOURCE_EXHAUSTED;
    if (st != AIA_OK) {
        pthread_mutex_unlock(&rpc->mu);
        grpc_byte_buffer_destroy(bb);
        return st;
    }
    rpc->queue[(rpc->q_head + rpc->q_len) % rpc->q_cap] = bb;
    rpc->q_len++;
    if (!rpc->send_in_flight) start_send_locked(rpc);
    pthread_mutex_unlock(&rpc->mu);
    return AIA_OK;
}

void aia_rpc_send_headers(aia_rpc *rpc)
{
    pthread_mutex_lock(&rpc->mu);
    if (!rpc->initial_md_sent && !rpc->send_in_flight && !rpc->closed && !rpc->finish_requested) {
        /* Rides the send slot: on_send finds no message to free
         * (sending NULL) and goes on with the queue as after any send. */
        grpc_op op;
        fill_initial_md(rpc, &op);
        /* Says "the stream is open", which the REST gateway answers with
         * HTTP 200 at once; plain initial metadata also precedes errors. */
        rpc->initial_md[1].key = grpc_slice_from_static_string("aia-stream-open");
        rpc->initial_md[1].value = grpc_slice_from_static_string("1");
        op.data.send_initial_metadata.count = 2;
        rpc->sending = NULL;
        rpc->send_in_flight = 1;
        start_batch(rpc, &op, 1, &rpc->t_send);
    }
    pthread_mutex_unlock(&rpc->mu);
}

void aia_rpc_finish(aia_rpc *rpc, aia_status code, const char *message)
{
    pthread_mutex_lock(&rpc->mu);
    if (rpc->finish_requested) { /* a second finish is a handler bug; ignore it */
        pthread_mutex_unlock(&rpc->mu);
        return;
    }
    rpc->finish_requested = 1;
    set_status(rpc, code, message);
    if (!rpc->send_in_flight && !rpc->status_started && !rpc->closed) start_status_locked(rpc);
    pthread_cond_broadcast(&rpc->cv);
    pthread_mutex_unlock(&rpc->mu);
    rpc_unref(rpc); /* the handler's hold */
}
