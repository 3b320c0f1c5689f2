/* lib/llm/local_cache.c — one parked KV cache per model, reused by the next
 * call that shares a prompt prefix with it.
 *
 * Why: chat prompts repeat themselves (the system message, then the whole
 * conversation so far), and evaluating the prompt is the slow part of a
 * local answer. A finished generation parks its context here with the
 * tokens its cache holds; the next call takes it when it is large enough,
 * keeps the longest common prefix and evaluates only the rest (at least
 * the last prompt token, whose logits start sampling). Results do not
 * change: a position's keys and values depend only on the tokens up to it,
 * and the forward pass gives the same bits whatever the batching
 * (tests/unit/llm/llama_test.c), so a reused prefix equals a recomputed one.
 *
 * One context per model: a call that finds it taken (a concurrent
 * generation) or too small builds its own, and whichever finishes last
 * parks. Contexts over AIA_LOCAL_PARK_MAX_CTX positions are not parked, to
 * bound the memory a model keeps between calls. A call that failed or was
 * cancelled does not park (its cache may be half-written). */
#include <stdlib.h>
#include <string.h>

#include "lib/llm/local_internal.h"

struct aia_local_kv {
    pthread_mutex_t mu;
    aia_llama_ctx *ctx; /* parked, or NULL */
    int32_t *tokens;    /* the tokens ctx's cache holds, positions 0.. */
    size_t n_tokens, cap;
    atomic_size_t reused; /* prompt tokens not evaluated again, in total */
};

aia_local_kv *aia_local_kv_new(void) {
    aia_local_kv *kv = calloc(1, sizeof *kv);
    if (kv) pthread_mutex_init(&kv->mu, NULL);
    return kv;
}

void aia_local_kv_free(aia_local_kv *kv) {
    if (!kv) return;
    aia_llama_context_destroy(kv->ctx);
    free(kv->tokens);
    pthread_mutex_destroy(&kv->mu);
    free(kv);
}

aia_llama_ctx *aia_local_kv_take(aia_local_kv *kv, size_t n_ctx, const int32_t *prompt, size_t n_prompt,
                                 size_t *reuse) {
    *reuse = 0;
    if (!kv) return NULL;
    pthread_mutex_lock(&kv->mu);
    aia_llama_ctx *ctx = kv->ctx;
    if (ctx && aia_llama_n_ctx(ctx) >= n_ctx) {
        size_t p = 0;
        while (p < kv->n_tokens && p < n_prompt && kv->tokens[p] == prompt[p]) p++;
        *reuse = p < n_prompt ? p : n_prompt - 1; /* the last prompt token is always evaluated */
        kv->ctx = NULL;
        kv->n_tokens = 0;
    } else {
        ctx = NULL;
    }
    pthread_mutex_unlock(&kv->mu);
    if (ctx) atomic_fetch_add(&kv->reused, *reuse);
    return ctx;
}

void aia_local_kv_park(aia_local_kv *kv, aia_llama_ctx *ctx, const int32_t *tokens, size_t n) {
    if (!kv || aia_llama_n_ctx(ctx) > AIA_LOCAL_PARK_MAX_CTX) {
        aia_llama_context_destroy(ctx);
        return;
    }
    pthread_mutex_lock(&kv->mu);
    if (n > kv->cap) {
        int32_t *t = realloc(kv->tokens, n * sizeof *t);
        if (!t) n = 0; /* park without a history: nothing will be reused */
        else kv->tokens = t, kv->cap = n;
    }
    if (n) memcpy(kv->tokens, tokens, n * sizeof *tokens);
    aia_llama_ctx *old = kv->ctx;
    kv->ctx = ctx;
    kv->n_tokens = n;
    pthread_mutex_unlock(&kv->mu);
    aia_llama_context_destroy(old); /* a concurrent call's, finished earlier */
}

size_t aia_local_kv_reused(const aia_local_kv *kv) { return kv ? atomic_load(&kv->reused) : 0; }
