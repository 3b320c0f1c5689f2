/* lib/llm/sample.c — temperature / top-k / top-p sampling (see sample.h). */
#include <math.h>
#include <stdlib.h>

#include "lib/base/rng.h"
#include "lib/llm/sample.h"

typedef struct cand {
    float logit;
    int32_t id;
} cand;

struct aia_sampler {
    aia_sampler_config cfg;
    size_t n_vocab;
    aia_rng rng;
    cand *c;     /* n_vocab */
    double *p;   /* n_vocab */
};

aia_status aia_sampler_create(const aia_sampler_config *cfg, size_t n_vocab, aia_sampler **out,
                              aia_error *err) {
    *out = NULL;
    if (!(cfg->temperature >= 0.0f) || !isfinite(cfg->temperature))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "temperature %g must be a finite number >= 0",
                             (double)cfg->temperature);
    if (cfg->top_k < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "top_k %d must be >= 0 (0 = off)", cfg->top_k);
    if (!(cfg->top_p > 0.0f && cfg->top_p <= 1.0f))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "top_p %g must be in (0, 1]", (double)cfg->top_p);
    if (n_vocab == 0 || n_vocab > INT32_MAX)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "vocabulary size %zu is out of range", n_vocab);
    aia_sampler *s = calloc(1, sizeof *s);
    if (s) {
        s->c = malloc(n_vocab * sizeof *s->c);
        s->p = malloc(n_vocab * sizeof *s->p);
    }
    if (!s || !s->c || !s->p) {
        aia_sampler_destroy(s);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for a sampler of %zu tokens", n_vocab);
    }
    s->cfg = *cfg;
    s->n_vocab = n_vocab;
    aia_rng_seed(&s->rng, cfg->seed);
    *out = s;
    return AIA_OK;
}

void aia_sampler_destroy(aia_sampler *s) {
    if (!s) return;
    free(s->c);
    free(s->p);
    free(s);
}

int32_t aia_sample_argmax(const float *logits, size_t n) {
    int32_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (logits[i] > logits[best] || (isnan(logits[best]) && !isnan(logits[i]))) best = (int32_t)i;
    return best;
}

/* a ranks before b: higher logit, then lower id. */
static int better(const cand *a, const cand *b) {
    return a->logit > b->logit || (a->logit == b->logit && a->id < b->id);
}

static int cmp_cand(const void *pa, const void *pb) {
    const cand *a = pa, *b = pb;
    return better(a, b) ? -1 : better(b, a) ? 1 : 0;
}

/* Min-heap on `better` (the worst kept candidate on top). */
static void sift_down(cand *h, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && better(&h[w], &h[l])) w = l;
        if (r < n && better(&h[w], &h[r])) w = r;
        if (w == i) return;
        cand t = h[i];
        h[i] = h[w];
        h[w] = t;
        i = w;
    }
}

/* Puts the k best of logits in s->c[0..k), sorted best first. */
static size_t select_top_k(aia_sampler *s, const float *logits, size_t k) {
    size_t n = 0;
    for (size_t i = 0; i < s->n_vocab; i++) {
        cand x = {logits[i], (int32_t)i};
        if (n < k) {
            s->c[n++] = x;
            if (n == k)
                for (size_t j = k / 2 + 1; j-- > 0;) sift_down(s->c, n, j);
        } else if (better(&x, &s->c[0])) {
            s->c[0] = x;
            sift_down(s->c, n, 0);
        }
    }
    qsort(s->c, n, sizeof *s->c, cmp_cand);
    return n;
}

/* Without top-k or top-p every token stays and the order does not matter:
 * no sort (49k logits sorted per token would cost more than the draw). */
static size_t all_in_id_order(aia_sampler *s, const float *logits) {
    for (size_t i = 0; i < s->n_vocab; i++) s->c[i] = (cand){logits[i], (int32_t)i};
    return s->n_vocab;
}

static aia_status check_logits(const float *logits, size_t n, aia_error *err) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(logits[i]))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "logit of token %zu is %g", i, (double)logits[i]);
    return AIA_OK;
}

aia_status aia_sampler_sample(aia_sampler *s, const float *logits, int32_t *token, aia_error *err) {
    aia_status st = check_logits(logits, s->n_vocab, err);
    if (st != AIA_OK) return st;
    const aia_sampler_config *cfg = &s->cfg;
    if (cfg->temperature == 0.0f || cfg->top_k == 1) {
        *token = aia_sample_argmax(logits, s->n_vocab);
        return AIA_OK;
    }
    size_t k = cfg->top_k > 0 && (size_t)cfg->top_k < s->n_vocab ? (size_t)cfg->top_k : s->n_vocab;
    size_t n = k == s->n_vocab && cfg->top_p >= 1.0f ? all_in_id_order(s, logits) : select_top_k(s, logits, k);
    float lmax = s->c[0].logit;
    for (size_t i = 1; i < n; i++)
        if (s->c[i].logit > lmax) lmax = s->c[i].logit;
    double inv_t = 1.0 / (double)cfg->temperature, total = 0.0;
    for (size_t i = 0; i < n; i++) {
        s->p[i] = exp(((double)s->c[i].logit - (double)lmax) * inv_t);
        total += s->p[i];
    }
    /* Nucleus: the shortest prefix whose share of the mass reaches top_p. */
    double kept = 0.0;
    size_t m = 0;
    while (m < n) {
        kept += s->p[m++];
        if (kept >= (double)cfg->top_p * total) break;
    }
    double u = aia_rng_uniform(&s->rng) * kept;
    for (size_t i = 0; i < m; i++) {
        if (u < s->p[i]) {
            *token = s->c[i].id;
            return AIA_OK;
        }
        u -= s->p[i];
    }
    *token = s->c[m - 1].id; /* u landed on the rounding slack of the last one */
    return AIA_OK;
}
