/* lib/llm/llama_internal.h — private structures of the llama forward pass,
 * shared by llama.c (loading), llama_ops.c (kernels over the team) and
 * llama_eval.c (contexts and the pass itself). */
#ifndef AIA_LLM_LLAMA_INTERNAL_H
#define AIA_LLM_LLAMA_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/base/team.h"
#include "lib/llm/llama.h"
#include "lib/llm/quant.h"

/* A weight matrix: rows x cols, row-major in its ggml encoding. */
typedef struct llama_mat {
    const char *name;
    uint32_t type;
    size_t rows, cols;
    size_t row_bytes;
    const uint8_t *data; /* into the GGUF mapping */
} llama_mat;

typedef struct llama_layer {
    float *attn_norm; /* n_embd, owned */
    float *ffn_norm;  /* n_embd, owned */
    llama_mat wq, wk, wv, wo;
    llama_mat gate, up, down;
} llama_layer;

struct aia_llama {
    aia_llama_hparams hp;
    llama_mat tok_embd;
    llama_mat output; /* == tok_embd when tied */
    float *output_norm; /* n_embd, owned */
    llama_layer *layers;
};

/* One matrix product of a job: y (n_tok x w->rows) = x (n_tok x w->cols) W^T. */
typedef struct llama_mm {
    const llama_mat *w;
    float *y;
} llama_mm;

#define LLAMA_MAX_MM 3
#define LLAMA_MAX_BATCH 32 /* tokens a forward step processes together */

/* Matrix products sharing one input, split by rows across the team. */
typedef struct llama_mm_job {
    llama_mm mm[LLAMA_MAX_MM];
    int n_mm;
    size_t n_tok;
    const float *x;               /* n_tok x cols */
    const aia_quant_xblock *xq;   /* n_tok x cols/32, NULL for the exact path */
    aia_status status[64];        /* per part */
    aia_error err[64];
} llama_mm_job;

/* Runs the job on the team; the first failing part's error is returned. */
aia_status llama_mm_run(aia_team *team, llama_mm_job *job, aia_error *err);

/* Attention of n_tok query tokens at positions pos..pos+n_tok-1 against
 * cached keys/values [0, pos + n_tok) of one layer. */
typedef struct llama_attn_job {
    const aia_llama_hparams *hp;
    size_t n_tok, pos, n_ctx;
    const float *q;     /* n_tok x n_head x head_dim */
    const float *kc;    /* layer's key cache: n_ctx x n_head_kv x head_dim */
    const float *vc;
    float *out;         /* n_tok x n_head x head_dim */
    float *scores;      /* n_parts x n_ctx scratch */
    int avx2;           /* llama_avx2_usable() */
} llama_attn_job;

void llama_attn_run(aia_team *team, llama_attn_job *job);

/* llama_avx2.c: 1 when this CPU runs the kernels below (only then may they
 * be called; on other targets they do not exist). */
int llama_avx2_usable(void);
float llama_dot_avx2(const float *a, const float *b, size_t n);
void llama_axpy_avx2(float *y, float w, const float *x, size_t n); /* y += w x */

/* out = x / sqrt(mean(x^2) + eps) * w over n elements. */
void llama_rmsnorm(const float *x, const float *w, size_t n, float eps, float *out);
/* Rotates the first n_rot dims of each of n_heads heads of v at position pos. */
void llama_rope(float *v, size_t n_heads, size_t head_dim, size_t n_rot, size_t pos,
                const float *inv_freq);

#endif
