/* lib/llm/llama_ops.c — the forward pass's kernels: matrix products and
 * attention split over the thread team, RMSNorm, RoPE. */
#include <math.h>
#include <string.h>

#include "lib/llm/llama_internal.h"

/* Rows a part handles before moving to the next token: a block of weight
 * rows stays in cache while every token of the batch reads it. */
#define ROW_BLOCK 16

static int has_xq_kernel(uint32_t type) {
    return type == AIA_GGML_Q4_0 || type == AIA_GGML_Q4_1 || type == AIA_GGML_Q8_0;
}

static aia_status mm_rows(const llama_mm_job *job, const llama_mm *mm, size_t r0, size_t r1,
                          aia_error *err) {
    const llama_mat *w = mm->w;
    int use_xq = job->xq && has_xq_kernel(w->type);
    for (size_t b = r0; b < r1; b += ROW_BLOCK) {
        size_t e = b + ROW_BLOCK < r1 ? b + ROW_BLOCK : r1;
        /* every token of the batch against this row block */
        aia_status st =
            use_xq ? aia_quant_matmat_xq(w->type, w->data, b, e, w->cols, job->xq, job->n_tok, mm->y + b, w->rows, err)
                   : aia_quant_matmat(w->type, w->data, b, e, w->cols, job->x, job->n_tok, mm->y + b, w->rows, err);
        if (st != AIA_OK) return st;
    }
    return AIA_OK;
}

static void mm_part(void *arg, int part, int n_parts) {
    llama_mm_job *job = arg;
    job->status[part] = AIA_OK;
    for (int i = 0; i < job->n_mm; i++) {
        size_t rows = job->mm[i].w->rows;
        size_t r0 = rows * (size_t)part / (size_t)n_parts, r1 = rows * (size_t)(part + 1) / (size_t)n_parts;
        aia_status st = mm_rows(job, &job->mm[i], r0, r1, &job->err[part]);
        if (st != AIA_OK) {
            job->status[part] = st;
            aia_error_prefix(&job->err[part], "%s", job->mm[i].w->name);
            return;
        }
    }
}

aia_status llama_mm_run(aia_team *team, llama_mm_job *job, aia_error *err) {
    aia_team_run(team, mm_part, job);
    for (int p = 0; p < aia_team_size(team); p++)
        if (job->status[p] != AIA_OK) {
            if (err) *err = job->err[p];
            return job->status[p];
        }
    return AIA_OK;
}

/* Dot product in 8 independent lanes: the compiler vectorises it (a single
 * float accumulator is a serial dependency it may not reorder), and the
 * fixed lane order keeps results identical from run to run. */
static float dot_lanes(const float *a, const float *b, size_t n) {
    float lane[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) lane[j] += a[i + j] * b[i + j];
    float s = ((lane[0] + lane[4]) + (lane[1] + lane[5])) + ((lane[2] + lane[6]) + (lane[3] + lane[7]));
    for (; i < n; i++) s += a[i] * b[i];
    return s;
}

/* One query head of one token: causal softmax attention over the cache. */
static void attn_head(const llama_attn_job *job, size_t t, size_t h, float *scores) {
    const aia_llama_hparams *hp = job->hp;
    size_t hd = hp->head_dim, kvh = h / (hp->n_head / hp->n_head_kv);
    size_t kv_stride = (size_t)hp->n_head_kv * hd, n_keys = job->pos + t + 1;
    const float *q = job->q + (t * hp->n_head + h) * hd;
    float scale = 1.0f / sqrtf((float)hd), maxs = -INFINITY;
    for (size_t j = 0; j < n_keys; j++) {
        const float *k = job->kc + j * kv_stride + kvh * hd;
        scores[j] = (job->avx2 ? llama_dot_avx2(q, k, hd) : dot_lanes(q, k, hd)) * scale;
        if (scores[j] > maxs) maxs = scores[j];
    }
    float sum = 0.0f;
    for (size_t j = 0; j < n_keys; j++) {
        scores[j] = expf(scores[j] - maxs);
        sum += scores[j];
    }
    float *o = job->out + (t * hp->n_head + h) * hd;
    memset(o, 0, hd * sizeof *o);
    for (size_t j = 0; j < n_keys; j++) {
        const float *v = job->vc + j * kv_stride + kvh * hd;
        float wgt = scores[j] / sum;
        if (job->avx2) {
            llama_axpy_avx2(o, wgt, v, hd);
            continue;
        }
        for (size_t i = 0; i < hd; i++) o[i] += wgt * v[i];
    }
}

static void attn_part(void *arg, int part, int n_parts) {
    llama_attn_job *job = arg;
    size_t n_heads = job->hp->n_head, total = job->n_tok * n_heads;
    float *scores = job->scores + (size_t)part * job->n_ctx;
    for (size_t i = (size_t)part; i < total; i += (size_t)n_parts) attn_head(job, i / n_heads, i % n_heads, scores);
}

void llama_attn_run(aia_team *team, llama_attn_job *job) {
    job->avx2 = llama_avx2_usable();
    aia_team_run(team, attn_part, job);
}

void llama_rmsnorm(const float *x, const float *w, size_t n, float eps, float *out) {
    double ss = 0.0; /* double: the mean of squares of a 576-wide vector loses little then */
    for (size_t i = 0; i < n; i++) ss += (double)x[i] * x[i];
    float r = (float)(1.0 / sqrt(ss / (double)n + (double)eps));
    for (size_t i = 0; i < n; i++) out[i] = x[i] * r * w[i];
}

void llama_rope(float *v, size_t n_heads, size_t head_dim, size_t n_rot, size_t pos, const float *inv_freq) {
    for (size_t i = 0; i < n_rot / 2; i++) {
        /* The angle in double: pos * freq reaches thousands of radians at long
         * contexts, where float would lose the low bits of the phase. */
        double a = (double)pos * (double)inv_freq[i];
        float c = (float)cos(a), s = (float)sin(a);
        for (size_t h = 0; h < n_heads; h++) {
            float *p = v + h * head_dim + 2 * i;
            float x0 = p[0], x1 = p[1];
            p[0] = x0 * c - x1 * s;
            p[1] = x0 * s + x1 * c;
        }
    }
}
