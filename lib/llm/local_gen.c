/* lib/llm/local_gen.c — a call's generation thread: waiting for a slot
 * (FIFO), prompt evaluation, sampling, stop sequences, streaming text. */
#include <stdlib.h>
#include <string.h>

#include "lib/base/strbuf.h"
#include "lib/llm/local_internal.h"

/* ---- admission ----------------------------------------------------------- */

/* Takes a slot or joins the queue; under l->mu, in aia_local_stream, so
 * that calls are admitted in the order they were started. */
void aia_local_enqueue_locked(aia_local *l, aia_local_call *c) {
    if (l->running < l->max_concurrent && !l->queue_head) {
        l->running++;
        c->admitted = 1;
        return;
    }
    c->queued = 1;
    if (l->queue_tail) l->queue_tail->qnext = c;
    else l->queue_head = c;
    l->queue_tail = c;
}

/* Waits for the slot; 0 when admitted, -1 when cancelled while waiting. */
static int admit(aia_local_call *c) {
    aia_local *l = c->l;
    pthread_mutex_lock(&l->mu);
    while (!c->admitted && !atomic_load(&c->cancel)) pthread_cond_wait(&l->cv, &l->mu);
    if (!c->admitted) { /* leave the queue */
        aia_local_call **pp = &l->queue_head, *prev = NULL;
        while (*pp != c) prev = *pp, pp = &(*pp)->qnext;
        *pp = c->qnext;
        if (l->queue_tail == c) l->queue_tail = prev;
    }
    int ok = c->admitted;
    pthread_mutex_unlock(&l->mu);
    return ok ? 0 : -1;
}

static void leave(aia_local_call *c) {
    aia_local *l = c->l;
    pthread_mutex_lock(&l->mu);
    if (c->admitted) {
        l->running--;
        aia_local_call *next = l->queue_head;
        if (next) {
            l->queue_head = next->qnext;
            if (!l->queue_head) l->queue_tail = NULL;
            next->admitted = 1;
            l->running++;
            pthread_cond_broadcast(&l->cv);
        }
    }
    pthread_mutex_unlock(&l->mu);
}

/* The thread's last touch of c and l: after the unlock, close may free l. */
static void thread_exit(aia_local_call *c) {
    aia_local *l = c->l;
    pthread_mutex_lock(&l->mu);
    int last = --c->refs == 0;
    if (c->live_prev) c->live_prev->live_next = c->live_next;
    else l->live = c->live_next;
    if (c->live_next) c->live_next->live_prev = c->live_prev;
    l->n_live--;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
    if (last) aia_local_call_free(c);
}

/* ---- text out: stop sequences and UTF-8 ------------------------------------ */

typedef struct emitter {
    aia_local_call *c;
    aia_strbuf hold; /* decoded, not yet emitted */
    int stopped;     /* a stop sequence matched */
} emitter;

static void emit(emitter *e, size_t n) {
    if (n && e->c->cb.on_text) e->c->cb.on_text(e->c->cb.user, e->hold.data, n);
    memmove(e->hold.data, e->hold.data + n, e->hold.len - n);
    e->hold.len -= n;
    e->hold.data[e->hold.len] = 0;
}

/* The longest suffix of hold that is a proper prefix of a stop sequence. */
static size_t partial_stop(const emitter *e) {
    size_t best = 0;
    for (size_t i = 0; i < e->c->n_stops; i++) {
        const char *s = e->c->stops[i];
        size_t sl = strlen(s);
        for (size_t k = sl - 1; k > best; k--)
            if (k <= e->hold.len && memcmp(e->hold.data + e->hold.len - k, s, k) == 0) {
                best = k;
                break;
            }
    }
    return best;
}

/* Appends a token's bytes and emits what can no longer be (part of) a stop
 * sequence. On a match the text before it is emitted and `stopped` set. */
static void push_text(emitter *e, const char *bytes, size_t n) {
    aia_strbuf_append(&e->hold, bytes, n);
    if (!e->hold.len) return;
    const char *first = NULL;
    for (size_t i = 0; i < e->c->n_stops; i++) {
        const char *m = memmem(e->hold.data, e->hold.len, e->c->stops[i], strlen(e->c->stops[i]));
        if (m && (!first || m < first)) first = m;
    }
    if (first) {
        size_t at = (size_t)(first - e->hold.data);
        emit(e, aia_utf8_complete_prefix(e->hold.data, at));
        e->stopped = 1;
        return;
    }
    size_t keep = partial_stop(e);
    emit(e, aia_utf8_complete_prefix(e->hold.data, e->hold.len - keep));
}

/* ---- generation ---------------------------------------------------------------- */

typedef struct gen {
    aia_llama_ctx *ctx;
    aia_sampler *sampler;
    float *logits;
    int32_t *hist; /* the tokens in ctx's cache, by position (for parking) */
    size_t reuse;  /* leading prompt tokens the cache already held */
} gen;

/* Parks the context with the model when the generation succeeded (its
 * cache is whole), else frees it. */
static void gen_free(const aia_local_model *m, gen *g, int park) {
    if (g->ctx && park && g->hist) aia_local_kv_park(m->kv, g->ctx, g->hist, aia_llama_n_past(g->ctx));
    else aia_llama_context_destroy(g->ctx);
    aia_sampler_destroy(g->sampler);
    free(g->logits);
    free(g->hist);
}

static int ends_turn(const aia_local_model *m, int32_t id) {
    return id == aia_tokenizer_specials(m->tok).eos || aia_tokenizer_token_type(m->tok, id) == AIA_TOKEN_CONTROL;
}

/* The parked context when it fits, else a new one, rounded up to 512
 * positions so that it fits the next calls too. */
static aia_status gen_context(aia_local_call *c, gen *g, size_t n_ctx, aia_error *err) {
    const aia_local_model *m = c->model;
    g->ctx = aia_local_kv_take(m->kv, n_ctx, c->prompt, c->n_prompt, &g->reuse);
    if (g->ctx) return AIA_OK;
    size_t rounded = (n_ctx + 511) / 512 * 512;
    return aia_llama_context_create(m->llama, rounded < m->n_ctx_train ? rounded : m->n_ctx_train, c->l->threads,
                                    &g->ctx, err);
}

static aia_status gen_setup(aia_local_call *c, gen *g, aia_error *err) {
    const aia_local_model *m = c->model;
    size_t n_ctx = c->n_prompt + (size_t)c->max_output;
    if (n_ctx > m->n_ctx_train) n_ctx = m->n_ctx_train;
    size_t n_vocab = aia_llama_n_vocab(m->llama);
    aia_status st = gen_context(c, g, n_ctx, err);
    if (st == AIA_OK) st = aia_sampler_create(&c->sampling, n_vocab, &g->sampler, err);
    if (st == AIA_OK && !(g->logits = malloc(n_vocab * sizeof *g->logits)))
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "local: logits: out of memory");
    if (st == AIA_OK && !(g->hist = malloc(aia_llama_n_ctx(g->ctx) * sizeof *g->hist)))
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "local: token history: out of memory");
    if (st != AIA_OK) return st;
    memcpy(g->hist, c->prompt, c->n_prompt * sizeof *g->hist);
    aia_llama_set_exact(g->ctx, !c->l->fast_matmul);
    aia_llama_set_cancel(g->ctx, &c->cancel);
    return AIA_OK;
}

static aia_status generate(aia_local_call *c, gen *g, emitter *e, aia_llm_finish *finish, aia_llm_usage *u,
                           aia_error *err) {
    const aia_local_model *m = c->model;
    aia_status st = aia_llama_eval(g->ctx, c->prompt + g->reuse, c->n_prompt - g->reuse, g->reuse, g->logits, err);
    size_t pos = c->n_prompt, n_ctx = aia_llama_n_ctx(g->ctx);
    while (st == AIA_OK) {
        if (atomic_load(&c->cancel)) return aia_error_set(err, AIA_CANCELLED, "local: cancelled");
        int32_t id;
        st = aia_sampler_sample(g->sampler, g->logits, &id, err);
        if (st != AIA_OK) break;
        if (ends_turn(m, id)) return *finish = AIA_LLM_FINISH_STOP, AIA_OK;
        u->output_tokens++;
        size_t len = 0;
        const char *bytes = aia_tokenizer_token_bytes(m->tok, id, &len);
        push_text(e, bytes, len);
        if (e->hold.oom) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "local: text: out of memory");
        if (e->stopped) return *finish = AIA_LLM_FINISH_STOP, AIA_OK;
        if (u->output_tokens >= c->max_output || pos >= n_ctx) return *finish = AIA_LLM_FINISH_MAX_TOKENS, AIA_OK;
        g->hist[pos] = id;
        st = aia_llama_eval(g->ctx, &id, 1, pos++, g->logits, err);
    }
    return st;
}

static aia_status run(aia_local_call *c, aia_llm_finish *finish, aia_llm_usage *u, aia_error *err) {
    gen g = {0};
    emitter e = {c, {0}, 0};
    aia_strbuf_init(&e.hold);
    aia_status st = gen_setup(c, &g, err);
    if (st == AIA_OK) st = generate(c, &g, &e, finish, u, err);
    /* At the end nothing more can complete a stop sequence: flush what is
     * held (an incomplete UTF-8 sequence is dropped). */
    if (st == AIA_OK && !e.stopped && e.hold.len) emit(&e, aia_utf8_complete_prefix(e.hold.data, e.hold.len));
    if (st == AIA_CANCELLED) aia_error_set(err, AIA_CANCELLED, "local: cancelled");
    aia_strbuf_free(&e.hold);
    gen_free(c->model, &g, st == AIA_OK);
    return st;
}

void *aia_local_call_main(void *arg) {
    aia_local_call *c = arg;
    aia_error err;
    aia_error_clear(&err);
    aia_llm_usage u = {(int64_t)c->n_prompt, 0, 0};
    aia_llm_finish finish = AIA_LLM_FINISH_NONE;
    aia_status st;
    if (admit(c) != 0) {
        st = aia_error_set(&err, AIA_CANCELLED, "local: cancelled while waiting for a generation slot");
    } else {
        st = run(c, &finish, &u, &err);
        leave(c);
    }
    aia_llm_result res;
    memset(&res, 0, sizeof res);
    res.usage = u;
    res.usage.total_tokens = u.prompt_tokens + u.output_tokens;
    res.has_usage = 1;
    res.finish = st == AIA_OK ? finish : AIA_LLM_FINISH_NONE;
    c->cb.on_done(c->cb.user, st, &res, st == AIA_OK ? NULL : &err);
    thread_exit(c);
    return NULL;
}
