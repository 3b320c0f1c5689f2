/* lib/llm/llama_eval.c — contexts (KV cache, scratch, thread team) and the
 * forward pass over a batch of tokens. The algorithm is written out in
 * llama.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/llm/llama.h"
#include "lib/llm/llama_internal.h"

struct aia_llama_ctx {
    const aia_llama *m;
    size_t n_ctx, n_past;
    int exact;
    const atomic_int *cancel;
    aia_team *team;
    float *kcache, *vcache; /* n_layer x n_ctx x n_head_kv x head_dim */
    float *inv_freq;        /* n_rot / 2: base^(-2i / n_rot) */
    /* Scratch for LLAMA_MAX_BATCH tokens. */
    float *x, *xn, *q, *k, *v, *att, *o, *g, *u;
    float *scores; /* threads x n_ctx */
    aia_quant_xblock *xq;
};

static void *alloc_floats(size_t n, int *ok) {
    void *p = malloc((n ? n : 1) * sizeof(float));
    if (!p) *ok = 0;
    return p;
}

static size_t max3(size_t a, size_t b, size_t c) {
    size_t m = a > b ? a : b;
    return m > c ? m : c;
}

static aia_status ctx_alloc(aia_llama_ctx *c, int threads, aia_error *err) {
    const aia_llama_hparams *hp = &c->m->hp;
    size_t B = LLAMA_MAX_BATCH, e = hp->n_embd, f = hp->n_ff;
    size_t qd = (size_t)hp->n_head * hp->head_dim, kd = (size_t)hp->n_head_kv * hp->head_dim;
    size_t cache = (size_t)hp->n_layer * c->n_ctx * kd;
    int ok = 1;
    c->kcache = alloc_floats(cache, &ok);
    c->vcache = alloc_floats(cache, &ok);
    c->inv_freq = alloc_floats(hp->n_rot / 2, &ok);
    c->x = alloc_floats(B * e, &ok);
    c->xn = alloc_floats(B * e, &ok);
    c->q = alloc_floats(B * qd, &ok);
    c->k = alloc_floats(B * kd, &ok);
    c->v = alloc_floats(B * kd, &ok);
    c->att = alloc_floats(B * qd, &ok);
    c->o = alloc_floats(B * e, &ok);
    c->g = alloc_floats(B * f, &ok);
    c->u = alloc_floats(B * f, &ok);
    c->scores = alloc_floats((size_t)threads * c->n_ctx, &ok);
    c->xq = malloc(B * (max3(e, f, qd) / AIA_QUANT_BLOCK + 1) * sizeof *c->xq);
    if (!ok || !c->xq)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED,
                             "out of memory for a context of %zu tokens (KV cache %zu MiB)", c->n_ctx,
                             2 * cache * sizeof(float) >> 20);
    for (size_t i = 0; i < hp->n_rot / 2; i++)
        c->inv_freq[i] = (float)pow((double)hp->rope_base, -2.0 * (double)i / (double)hp->n_rot);
    return AIA_OK;
}

aia_status aia_llama_context_create(const aia_llama *m, size_t n_ctx, int threads, aia_llama_ctx **out,
                                    aia_error *err) {
    *out = NULL;
    if (n_ctx == 0 || n_ctx > m->hp.n_ctx_train)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "n_ctx %zu is outside [1, %u] (the model's context_length)",
                             n_ctx, m->hp.n_ctx_train);
    if (threads < 1 || threads > 64)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "threads %d is outside [1, 64]", threads);
    aia_llama_ctx *c = calloc(1, sizeof *c);
    if (!c) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for a context");
    c->m = m;
    c->n_ctx = n_ctx;
    aia_status st = ctx_alloc(c, threads, err);
    if (st == AIA_OK) st = aia_team_create(threads, &c->team, err);
    if (st != AIA_OK) {
        aia_llama_context_destroy(c);
        return st;
    }
    *out = c;
    return AIA_OK;
}

void aia_llama_context_destroy(aia_llama_ctx *c) {
    if (!c) return;
    aia_team_destroy(c->team);
    float *bufs[] = {c->kcache, c->vcache, c->inv_freq, c->x, c->xn, c->q, c->k,
                     c->v,      c->att,    c->o,        c->g, c->u,  c->scores};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++) free(bufs[i]);
    free(c->xq);
    free(c);
}

size_t aia_llama_n_ctx(const aia_llama_ctx *c) { return c->n_ctx; }
size_t aia_llama_n_past(const aia_llama_ctx *c) { return c->n_past; }
void aia_llama_set_exact(aia_llama_ctx *c, int exact) { c->exact = exact != 0; }
void aia_llama_set_cancel(aia_llama_ctx *c, const atomic_int *flag) { c->cancel = flag; }

/* Runs up to three products of the same input x (n_tok x cols): in the fast
 * path the input is quantised once for all of them. */
static aia_status matmul(aia_llama_ctx *c, const float *x, size_t n_tok, const llama_mat *w0, float *y0,
                         const llama_mat *w1, float *y1, const llama_mat *w2, float *y2, aia_error *err) {
    llama_mm_job job;
    memset(&job, 0, sizeof job);
    job.x = x;
    job.n_tok = n_tok;
    const llama_mat *ws[LLAMA_MAX_MM] = {w0, w1, w2};
    float *ys[LLAMA_MAX_MM] = {y0, y1, y2};
    for (int i = 0; i < LLAMA_MAX_MM && ws[i]; i++) job.mm[job.n_mm++] = (llama_mm){ws[i], ys[i]};
    if (!c->exact) {
        size_t cols = w0->cols, nb = cols / AIA_QUANT_BLOCK;
        for (size_t t = 0; t < n_tok; t++)
            if (aia_quant_quantize_x(x + t * cols, cols, c->xq + t * nb, NULL) != AIA_OK)
                return aia_error_set(err, AIA_INTERNAL, "non-finite activation entering %s (token %zu of the batch)",
                                     w0->name, t);
        job.xq = c->xq;
    }
    return llama_mm_run(c->team, &job, err);
}

static void add_into(float *x, const float *y, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] += y[i];
}

static aia_status attention_block(aia_llama_ctx *c, const llama_layer *L, size_t l, size_t n_tok, size_t pos,
                                  aia_error *err) {
    const aia_llama_hparams *hp = &c->m->hp;
    size_t e = hp->n_embd, hd = hp->head_dim, kd = (size_t)hp->n_head_kv * hd;
    for (size_t t = 0; t < n_tok; t++) llama_rmsnorm(c->x + t * e, L->attn_norm, e, hp->rms_eps, c->xn + t * e);
    aia_status st = matmul(c, c->xn, n_tok, &L->wq, c->q, &L->wk, c->k, &L->wv, c->v, err);
    if (st != AIA_OK) return st;
    float *kc = c->kcache + l * c->n_ctx * kd, *vc = c->vcache + l * c->n_ctx * kd;
    for (size_t t = 0; t < n_tok; t++) {
        llama_rope(c->q + t * hp->n_head * hd, hp->n_head, hd, hp->n_rot, pos + t, c->inv_freq);
        llama_rope(c->k + t * kd, hp->n_head_kv, hd, hp->n_rot, pos + t, c->inv_freq);
        memcpy(kc + (pos + t) * kd, c->k + t * kd, kd * sizeof(float));
        memcpy(vc + (pos + t) * kd, c->v + t * kd, kd * sizeof(float));
    }
    llama_attn_job aj = {hp, n_tok, pos, c->n_ctx, c->q, kc, vc, c->att, c->scores, 0};
    llama_attn_run(c->team, &aj);
    if ((st = matmul(c, c->att, n_tok, &L->wo, c->o, NULL, NULL, NULL, NULL, err)) != AIA_OK) return st;
    add_into(c->x, c->o, n_tok * e);
    return AIA_OK;
}

static aia_status ffn_block(aia_llama_ctx *c, const llama_layer *L, size_t n_tok, aia_error *err) {
    const aia_llama_hparams *hp = &c->m->hp;
    size_t e = hp->n_embd, f = hp->n_ff;
    for (size_t t = 0; t < n_tok; t++) llama_rmsnorm(c->x + t * e, L->ffn_norm, e, hp->rms_eps, c->xn + t * e);
    aia_status st = matmul(c, c->xn, n_tok, &L->gate, c->g, &L->up, c->u, NULL, NULL, err);
    if (st != AIA_OK) return st;
    for (size_t i = 0; i < n_tok * f; i++) {
        float gv = c->g[i];
        c->g[i] = gv / (1.0f + expf(-gv)) * c->u[i]; /* SwiGLU: silu(gate) * up */
    }
    if ((st = matmul(c, c->g, n_tok, &L->down, c->o, NULL, NULL, NULL, NULL, err)) != AIA_OK) return st;
    add_into(c->x, c->o, n_tok * e);
    return AIA_OK;
}

/* One batch of at most LLAMA_MAX_BATCH tokens. */
static aia_status step(aia_llama_ctx *c, const int32_t *tokens, size_t n_tok, size_t pos, float *logits,
                       aia_error *err) {
    const aia_llama *m = c->m;
    size_t e = m->hp.n_embd;
    aia_status st;
    for (size_t t = 0; t < n_tok; t++) {
        const llama_mat *te = &m->tok_embd;
        st = aia_quant_dequant_row(te->type, te->data + (size_t)tokens[t] * te->row_bytes, e, c->x + t * e, err);
        if (st != AIA_OK) return st;
    }
    for (size_t l = 0; l < m->hp.n_layer; l++) {
        if (c->cancel && atomic_load(c->cancel))
            return aia_error_set(err, AIA_CANCELLED, "evaluation cancelled before layer %zu", l);
        if ((st = attention_block(c, &m->layers[l], l, n_tok, pos, err)) != AIA_OK) return st;
        if ((st = ffn_block(c, &m->layers[l], n_tok, err)) != AIA_OK) return st;
    }
    if (!logits) return AIA_OK;
    llama_rmsnorm(c->x + (n_tok - 1) * e, m->output_norm, e, m->hp.rms_eps, c->xn);
    return matmul(c, c->xn, 1, &m->output, logits, NULL, NULL, NULL, NULL, err);
}

static aia_status check_eval(const aia_llama_ctx *c, const int32_t *tokens, size_t n, size_t pos,
                             aia_error *err) {
    if (n == 0 || !tokens) return aia_error_set(err, AIA_INVALID_ARGUMENT, "no tokens to evaluate");
    if (pos > c->n_past)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "position %zu leaves a gap: the cache holds positions [0, %zu)", pos, c->n_past);
    if (n > c->n_ctx || pos > c->n_ctx - n)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "positions [%zu, %zu) exceed the context of %zu tokens",
                             pos, pos + n, c->n_ctx);
    for (size_t i = 0; i < n; i++)
        if (tokens[i] < 0 || (uint32_t)tokens[i] >= c->m->hp.n_vocab)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "token %zu: id %d is outside the vocabulary [0, %u)", i,
                                 tokens[i], c->m->hp.n_vocab);
    return AIA_OK;
}

aia_status aia_llama_eval(aia_llama_ctx *c, const int32_t *tokens, size_t n, size_t pos, float *logits,
                          aia_error *err) {
    aia_status st = check_eval(c, tokens, n, pos, err);
    if (st != AIA_OK) return st;
    c->n_past = pos;
    for (size_t done = 0; done < n; done += LLAMA_MAX_BATCH) {
        size_t nb = n - done < LLAMA_MAX_BATCH ? n - done : LLAMA_MAX_BATCH;
        st = step(c, tokens + done, nb, pos + done, done + nb == n ? logits : NULL, err);
        if (st != AIA_OK) return st;
        c->n_past = pos + done + nb;
    }
    return AIA_OK;
}
