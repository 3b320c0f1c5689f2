/* server/services/llm_stream.c — StreamGenerate and Generate over
 * aia_llm_stream (lib/llm/llm.h).
 *
 * StreamGenerate: the provider's callbacks run on its own thread (the HTTP
 * thread, or a local generation thread) and must not block, so every send
 * is AIA_SEND_NOWAIT. Text is never dropped when the stream's queue is
 * full: on_text appends to the call's pending buffer (under the slot's
 * lock) and tries to send everything pending as one message; a refused
 * send keeps the text, which the next on_text (or the final message)
 * carries, so a slow reader gets fewer, longer messages rather than gaps.
 * If even the final message is refused, a short-lived finisher thread
 * sends it with AIA_SEND_WAIT (it may block: it is nobody's event loop) and
 * then finishes the stream. The final message carries the remaining text,
 * finish_reason, usage, model and provider.
 *
 * A client cancel (aia_rpc_on_stop) calls aia_llm_cancel at once, so the
 * upstream request is closed (or local generation stops) while the call
 * still runs; on_done then finishes the stream. Draining the server does
 * the same and answers UNAVAILABLE.
 *
 * Each stream holds a slot of a fixed table, as drift_alerts.c does: the
 * runtime may run a stop callback after the stream finished, so nothing a
 * stop callback reaches is freed per stream, and a stale callback (slot.rpc
 * differs) does nothing. The slot and the call handle are released by
 * whichever of the handler, on_done (or the finisher) and a stop callback
 * running aia_llm_cancel outside the lock comes last. The table caps
 * concurrent streams.
 *
 * Generate runs on the worker pool (AIA_METHOD_BLOCKING): it collects the
 * streamed text and waits for on_done, polling for a client cancel.
 *
 * Lock order: slot.mu → (runtime's stream lock inside aia_rpc_send);
 * g_table.mu is a leaf. aia_llm_stream and aia_llm_cancel are never called
 * with slot.mu held, since on_done may run inside them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base/strbuf.h"
#include "server/services/llm_internal.h"

#define MAX_LLM_STREAMS 1024

typedef struct llm_slot {
    pthread_mutex_t mu;
    int in_use; /* under g_table.mu */
    /* Under mu. */
    aia_rpc *rpc;        /* NULL once the stream finished */
    aia_llm_call *call;  /* set once aia_llm_stream returned */
    int started;         /* the handler is through with its part */
    int done;            /* the stream finished (on_done or the finisher) */
    int finishing;       /* a finisher thread owns the end of the stream */
    int cancel_wanted;   /* a stop came before the call handle existed */
    int draining;
    int stoppers;        /* aia_llm_cancel calls running outside mu */
    int freed;
    aia_strbuf pending;  /* text not yet accepted by the stream's queue */
    const char *provider;
    char model[192];
} llm_slot;

static struct {
    pthread_mutex_t mu;
    llm_slot slots[MAX_LLM_STREAMS];
    int initialised;
} g_table = {.mu = PTHREAD_MUTEX_INITIALIZER};

aia_status aia_llm_stream_init(aia_error *err)
{
    (void)err;
    pthread_mutex_lock(&g_table.mu);
    if (!g_table.initialised)
        for (int i = 0; i < MAX_LLM_STREAMS; i++) pthread_mutex_init(&g_table.slots[i].mu, NULL);
    g_table.initialised = 1;
    pthread_mutex_unlock(&g_table.mu);
    return AIA_OK;
}

/* After the server's shutdown every stream has finished, but the last
 * one out may still be releasing its call handle (just after
 * aia_rpc_finish): wait for that, so aia_llm_close finds every call
 * released. Bounded, since a stuck provider must not hang shutdown. */
void aia_llm_stream_drain(void)
{
    for (int waited_ms = 0; waited_ms < 10000; waited_ms++) {
        int busy = 0;
        pthread_mutex_lock(&g_table.mu);
        for (int i = 0; g_table.initialised && i < MAX_LLM_STREAMS && !busy; i++) busy = g_table.slots[i].in_use;
        pthread_mutex_unlock(&g_table.mu);
        if (!busy) return;
        struct timespec ms = {0, 1000000L};
        nanosleep(&ms, NULL);
    }
}

static llm_slot *slot_take(void)
{
    pthread_mutex_lock(&g_table.mu);
    llm_slot *s = NULL;
    for (int i = 0; g_table.initialised && i < MAX_LLM_STREAMS && !s; i++)
        if (!g_table.slots[i].in_use) {
            s = &g_table.slots[i];
            s->in_use = 1;
        }
    pthread_mutex_unlock(&g_table.mu);
    return s;
}

static void slot_release(llm_slot *s)
{
    pthread_mutex_lock(&g_table.mu);
    s->in_use = 0;
    pthread_mutex_unlock(&g_table.mu);
}

/* Under mu: whether the caller is the last one out and must free (then
 * *call is the handle to release, outside the lock). */
static int last_out_locked(llm_slot *s, aia_llm_call **call)
{
    if (!s->done || !s->started || s->stoppers || s->freed) return 0;
    s->freed = 1;
    *call = s->call;
    s->call = NULL;
    aia_strbuf_free(&s->pending);
    return 1;
}

static void free_slot(llm_slot *s, aia_llm_call *call)
{
    if (call) aia_llm_call_release(call);
    slot_release(s);
}

static void unlock_and_maybe_free(llm_slot *s)
{
    aia_llm_call *call = NULL;
    int last = last_out_locked(s, &call);
    pthread_mutex_unlock(&s->mu);
    if (last) free_slot(s, call);
}

static void message_init(llm_slot *s, Aia__V1__StreamGenerateResponse *m)
{
    aia__v1__stream_generate_response__init(m);
    m->model = s->model;
    m->provider = (char *)(s->provider ? s->provider : "");
}

/* Under mu: sends the pending text unless the queue is full (then it
 * stays pending, coalesced with what comes next). */
static void flush_locked(llm_slot *s)
{
    if (!s->rpc || !s->pending.len || s->pending.oom) return;
    Aia__V1__StreamGenerateResponse m;
    message_init(s, &m);
    m.text = s->pending.data;
    aia_status st = aia_rpc_send(s->rpc, &m.base, AIA_SEND_NOWAIT);
    if (st != AIA_RESOURCE_EXHAUSTED) aia_strbuf_reset(&s->pending); /* sent, or the call is over */
}

static void on_text(void *user, const char *text, size_t len)
{
    llm_slot *s = user;
    pthread_mutex_lock(&s->mu);
    if (s->rpc && !s->finishing) {
        aia_llm_append_text(&s->pending, text, len);
        flush_locked(s);
    }
    pthread_mutex_unlock(&s->mu);
}

/* Under mu: ends the stream. */
static void finish_locked(llm_slot *s, aia_status code, const char *message)
{
    if (!s->rpc) return;
    aia_rpc_finish(s->rpc, code, message);
    s->rpc = NULL;
    s->done = 1;
}

typedef struct finisher {
    llm_slot *s;
    aia_rpc *rpc;
    aia_llm_result result;
    char *text;
} finisher;

static void *finisher_main(void *arg)
{
    finisher *f = arg;
    llm_slot *s = f->s;
    Aia__V1__StreamGenerateResponse m;
    aia_llm_api_end end;
    pthread_mutex_lock(&s->mu);
    message_init(s, &m);
    pthread_mutex_unlock(&s->mu);
    m.text = f->text;
    aia_llm_api_end_fill(&end, &f->result);
    AIA_LLM_API_END_APPLY(&m, &end);
    /* The rpc stays ours until finish: the slot's stop callback only cancels the (done) call. */
    aia_status st = aia_rpc_send(f->rpc, &m.base, AIA_SEND_WAIT);
    pthread_mutex_lock(&s->mu);
    finish_locked(s, st == AIA_OK ? AIA_OK : AIA_CANCELLED, st == AIA_OK ? NULL : "the client went away");
    unlock_and_maybe_free(s);
    free(f->text);
    free(f);
    return NULL;
}

/* Under mu: hands the final message to a finisher thread; 0 if none could start. */
static int start_finisher_locked(llm_slot *s, const aia_llm_result *res)
{
    finisher *f = calloc(1, sizeof *f);
    if (!f) return 0;
    f->s = s;
    f->rpc = s->rpc;
    f->result = *res;
    f->text = strdup(s->pending.data ? s->pending.data : "");
    pthread_attr_t attr;
    pthread_t t;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = f->text ? pthread_create(&t, &attr, finisher_main, f) : -1;
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(f->text);
        free(f);
        return 0;
    }
    s->finishing = 1;
    aia_strbuf_reset(&s->pending);
    return 1;
}

static void on_done(void *user, aia_status status, const aia_llm_result *res, const aia_error *err)
{
    llm_slot *s = user;
    pthread_mutex_lock(&s->mu);
    if (!s->rpc || s->finishing) {
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (status != AIA_OK) {
        flush_locked(s); /* text delivered before the failure still reaches the client when it can */
        if (status == AIA_CANCELLED && s->draining)
            finish_locked(s, AIA_UNAVAILABLE, "the server is shutting down");
        else
            finish_locked(s, status, err ? err->message : aia_status_name(status));
        unlock_and_maybe_free(s);
        return;
    }
    Aia__V1__StreamGenerateResponse m;
    aia_llm_api_end end;
    message_init(s, &m);
    m.text = (char *)(s->pending.data && !s->pending.oom ? s->pending.data : "");
    aia_llm_api_end_fill(&end, res);
    AIA_LLM_API_END_APPLY(&m, &end);
    aia_status st = aia_rpc_send(s->rpc, &m.base, AIA_SEND_NOWAIT);
    if (st == AIA_RESOURCE_EXHAUSTED && start_finisher_locked(s, res)) {
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (st == AIA_RESOURCE_EXHAUSTED)
        finish_locked(s, AIA_UNAVAILABLE, "could not start a thread to deliver the end of the stream");
    else if (s->pending.oom)
        finish_locked(s, AIA_RESOURCE_EXHAUSTED, "out of memory buffering generated text");
    else
        finish_locked(s, st == AIA_INTERNAL ? AIA_INTERNAL : AIA_OK, st == AIA_INTERNAL ? "serialising failed" : NULL);
    unlock_and_maybe_free(s);
}

/* Cancels the slot's call outside the lock, counted so the slot outlives it. */
static void cancel_unlocked_then(llm_slot *s)
{
    aia_llm_call *call = s->call;
    s->stoppers++;
    pthread_mutex_unlock(&s->mu);
    aia_llm_cancel(call);
    pthread_mutex_lock(&s->mu);
    s->stoppers--;
    unlock_and_maybe_free(s);
}

static void on_stop(aia_rpc *rpc, void *arg, aia_stop_reason reason)
{
    llm_slot *s = arg;
    pthread_mutex_lock(&s->mu);
    if (s->rpc != rpc || s->freed) { /* a stale stop callback of an earlier stream */
        pthread_mutex_unlock(&s->mu);
        return;
    }
    if (reason == AIA_STOP_DRAINING) s->draining = 1;
    if (!s->call) {
        s->cancel_wanted = 1; /* the handler cancels once it has the handle */
        pthread_mutex_unlock(&s->mu);
        return;
    }
    cancel_unlocked_then(s);
}

static void slot_start(llm_slot *s, aia_rpc *rpc, const char *model)
{
    pthread_mutex_lock(&s->mu);
    s->rpc = rpc;
    s->call = NULL;
    s->started = s->done = s->finishing = s->cancel_wanted = s->draining = s->stoppers = s->freed = 0;
    aia_strbuf_init(&s->pending);
    s->provider = NULL;
    snprintf(s->model, sizeof s->model, "%s", model);
    pthread_mutex_unlock(&s->mu);
}

static aia_status convert(aia_rpc *rpc, const aia_llm_api_request *in, aia_llm_request *req, aia_llm **engine,
                          aia_error *err)
{
    if (!(*engine = aia_llm_service_engine(err))) return err->code;
    return aia_llm_request_from_api(aia_rpc_arena(rpc), in, req, err);
}

void aia_llm_rpc_stream_generate(aia_rpc *rpc, const ProtobufCMessage *request)
{
    const Aia__V1__StreamGenerateRequest *r = (const Aia__V1__StreamGenerateRequest *)request;
    aia_llm_api_request in = {r->model, r->n_contents, r->contents, r->system_instruction, r->generation_config,
                              r->n_safety_settings, r->safety_settings,
                              r->n_labels, (ProtobufCMessage *const *)r->labels};
    aia_error err = {0};
    aia_llm_request req;
    aia_llm *l = NULL;
    if (convert(rpc, &in, &req, &l, &err) != AIA_OK) {
        aia_rpc_finish(rpc, err.code, err.message);
        return;
    }
    llm_slot *s = slot_take();
    if (!s) {
        aia_rpc_finish(rpc, AIA_RESOURCE_EXHAUSTED, "too many LLM streams at once on this server");
        return;
    }
    slot_start(s, rpc, req.model);
    aia_rpc_on_stop(rpc, on_stop, s);
    aia_llm_callbacks cb = {.on_text = on_text, .on_done = on_done, .user = s};
    aia_llm_call *call = NULL;
    const char *provider = NULL;
    aia_status st = aia_llm_stream(l, aia_rpc_caller(rpc), &req, &cb, &call, &provider, &err);
    pthread_mutex_lock(&s->mu);
    s->started = 1;
    if (st != AIA_OK) {
        s->done = 1;
        aia_rpc_finish(rpc, st, err.message);
        s->rpc = NULL;
        unlock_and_maybe_free(s);
        return;
    }
    s->call = call;
    s->provider = provider;
    if (s->cancel_wanted && !s->done) {
        cancel_unlocked_then(s);
        return;
    }
    unlock_and_maybe_free(s);
}

/* ---- Generate ------------------------------------------------------------- */

typedef struct collect {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    aia_strbuf text;
    int done;
    aia_status status;
    aia_llm_result result;
    aia_error err;
} collect;

static void collect_text(void *user, const char *text, size_t len)
{
    collect *c = user;
    pthread_mutex_lock(&c->mu);
    aia_llm_append_text(&c->text, text, len);
    pthread_mutex_unlock(&c->mu);
}

static void collect_done(void *user, aia_status status, const aia_llm_result *res, const aia_error *err)
{
    collect *c = user;
    pthread_mutex_lock(&c->mu);
    c->status = status;
    if (res) c->result = *res;
    if (status != AIA_OK) aia_error_set(&c->err, status, "%s", err ? err->message : aia_status_name(status));
    c->done = 1;
    pthread_cond_signal(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Waits for on_done, cancelling the call once the client went away. */
static void collect_wait(collect *c, aia_rpc *rpc, aia_llm_call *call)
{
    int cancelled = 0;
    pthread_mutex_lock(&c->mu);
    while (!c->done) {
        if (!cancelled && aia_rpc_should_stop(rpc)) {
            cancelled = 1;
            pthread_mutex_unlock(&c->mu);
            aia_llm_cancel(call); /* on_done may run inside: not under c->mu */
            pthread_mutex_lock(&c->mu);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 50 * 1000000L; /* how soon a client cancel is noticed */
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    }
    pthread_mutex_unlock(&c->mu);
}

static aia_status fill_generate(aia_rpc *rpc, collect *c, const char *model, const char *provider,
                                Aia__V1__GenerateResponse *out, aia_error *err)
{
    if (c->status != AIA_OK) return aia_error_set(err, c->status, "%s", c->err.message);
    if (c->text.oom) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory collecting generated text");
    aia_arena *a = aia_rpc_arena(rpc);
    /* The response is serialised after the handler returns: its end fields
     * live in the rpc's arena, not on this stack. */
    aia_llm_api_end *end = aia_arena_alloc(a, sizeof *end);
    aia_llm_result *res = aia_arena_alloc(a, sizeof *res);
    if (!end || !res) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory building the response");
    *res = c->result;
    aia_llm_api_end_fill(end, res);
    AIA_LLM_API_END_APPLY(out, end);
    out->text = aia_arena_strdup(a, c->text.data ? c->text.data : "");
    out->model = aia_arena_strdup(a, model);
    out->provider = aia_arena_strdup(a, provider ? provider : "");
    if (!out->text || !out->model || !out->provider)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory building the response");
    return AIA_OK;
}

aia_status aia_llm_rpc_generate(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                                aia_error *err)
{
    const Aia__V1__GenerateRequest *r = (const Aia__V1__GenerateRequest *)request;
    aia_llm_api_request in = {r->model, r->n_contents, r->contents, r->system_instruction, r->generation_config,
                              r->n_safety_settings, r->safety_settings,
                              r->n_labels, (ProtobufCMessage *const *)r->labels};
    aia_llm_request req;
    aia_llm *l = NULL;
    if (convert(rpc, &in, &req, &l, err) != AIA_OK) return err->code;
    collect c = {.status = AIA_OK};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    aia_strbuf_init(&c.text);
    aia_llm_callbacks cb = {.on_text = collect_text, .on_done = collect_done, .user = &c};
    aia_llm_call *call = NULL;
    const char *provider = NULL;
    aia_status st = aia_llm_stream(l, aia_rpc_caller(rpc), &req, &cb, &call, &provider, err);
    if (st == AIA_OK) {
        collect_wait(&c, rpc, call);
        aia_llm_call_release(call);
        st = fill_generate(rpc, &c, req.model, provider, (Aia__V1__GenerateResponse *)response, err);
    }
    aia_strbuf_free(&c.text);
    pthread_cond_destroy(&c.cv);
    pthread_mutex_destroy(&c.mu);
    return st;
}
