/* lib/llm/llama.h — the llama-architecture forward pass (local LLM provider).
 *
 * A model (aia_llama) is a validated view of a GGUF with
 * general.architecture = "llama": hyperparameters from "llama.*" metadata and
 * pointers to the weights, which stay in the file's own encoding (F32, F16,
 * Q8_0, Q4_0, Q4_1) inside the GGUF mapping. The forward pass, per token:
 *   x = token_embd[id]
 *   per layer: h = RMSNorm(x) * attn_norm
 *              q, k, v = Wq h, Wk h, Wv h; RoPE on q and k
 *              x += Wo · softmax(q·K^T / sqrt(head_dim), causal) V   (per head;
 *                   query head i reads kv head i / (n_head / n_head_kv))
 *              h = RMSNorm(x) * ffn_norm
 *              x += Wdown (silu(Wgate h) * Wup h)
 *   logits = Wout (RMSNorm(x) * output_norm), Wout = output.weight, or
 *            token_embd when the file has none (tied embeddings).
 * RMSNorm(x) = x / sqrt(mean(x^2) + eps). RoPE is llama.cpp's "normal" mode
 * for this architecture: adjacent pairs (2i, 2i+1) of the first n_rot
 * dimensions of each head are rotated by pos * base^(-2i / n_rot) (llama.cpp's
 * converter permutes Hugging Face's q/k weights so that this is right).
 *
 * A context (aia_llama_ctx) holds the KV cache (float, n_layer x n_ctx x
 * n_head_kv x head_dim for keys and for values), scratch buffers and a team
 * of threads that split every matrix product by rows (and attention by
 * heads). Results depend on neither the thread count nor batching: each
 * output element is computed by one kernel call over the same inputs.
 *
 * Two matrix paths: exact (each quantised row dotted with float activations)
 * and fast (activations quantised to int8 blocks once per product, as
 * llama.cpp does; Q4_0/Q4_1/Q8_0 weights only, F32/F16 weights always take
 * the exact path). Fast is the default; tests against a float reference use
 * exact.
 *
 * Ownership: aia_llama_load borrows the aia_gguf, which must outlive the
 * model (weights point into its mapping); free the model with aia_llama_free.
 * A context borrows its model (free contexts first) and is freed with
 * aia_llama_context_destroy.
 * Thread-safety: a loaded model is immutable and may serve any number of
 * contexts at once from different threads. A context is used by one thread
 * at a time (eval is not reentrant); only the cancel flag may be written by
 * other threads.
 * Errors: load fails with INVALID_ARGUMENT naming the metadata key or tensor
 * and what was expected ("tensor blk.3.attn_k.weight: shape [576, 64],
 * expected [576, 192]"), NOT_FOUND for a missing key or tensor,
 * UNIMPLEMENTED for another architecture or a weight type without kernels.
 * eval fails with INVALID_ARGUMENT (token id out of range, positions beyond
 * n_ctx or not contiguous with the cache), CANCELLED when the cancel flag
 * was raised (polled between layers), INTERNAL when activations stop being
 * finite in the fast path, RESOURCE_EXHAUSTED when memory runs out.
 */
#ifndef AIA_LLM_LLAMA_H
#define AIA_LLM_LLAMA_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/llm/gguf.h"

typedef struct aia_llama_hparams {
    uint32_t n_layer;     /* llama.block_count */
    uint32_t n_embd;      /* llama.embedding_length */
    uint32_t n_ff;        /* llama.feed_forward_length */
    uint32_t n_head;      /* llama.attention.head_count */
    uint32_t n_head_kv;   /* llama.attention.head_count_kv (default n_head) */
    uint32_t head_dim;    /* llama.attention.key_length (default n_embd / n_head) */
    uint32_t n_rot;       /* llama.rope.dimension_count (default head_dim) */
    uint32_t n_vocab;     /* rows of token_embd.weight */
    uint32_t n_ctx_train; /* llama.context_length */
    float rope_base;      /* llama.rope.freq_base (default 10000) */
    float rms_eps;        /* llama.attention.layer_norm_rms_epsilon (default 1e-5) */
    int tied_output;      /* 1 when logits reuse token_embd.weight */
} aia_llama_hparams;

typedef struct aia_llama aia_llama;
typedef struct aia_llama_ctx aia_llama_ctx;

/* Reads hyperparameters and checks every tensor's presence, shape and type. */
aia_status aia_llama_load(const aia_gguf *g, aia_llama **out, aia_error *err);
void aia_llama_free(aia_llama *m); /* NULL is fine */

const aia_llama_hparams *aia_llama_hparams_of(const aia_llama *m);
size_t aia_llama_n_vocab(const aia_llama *m);

/* A context for sequences of up to n_ctx tokens (1 <= n_ctx <= n_ctx_train),
 * with `threads` threads (>= 1; the caller's thread is one of them). */
aia_status aia_llama_context_create(const aia_llama *m, size_t n_ctx, int threads,
                                    aia_llama_ctx **out, aia_error *err);
void aia_llama_context_destroy(aia_llama_ctx *c); /* NULL is fine */

size_t aia_llama_n_ctx(const aia_llama_ctx *c);
/* Positions whose keys and values are in the cache: [0, n_past). */
size_t aia_llama_n_past(const aia_llama_ctx *c);

/* 1: exact float path; 0 (default): quantised activations where possible. */
void aia_llama_set_exact(aia_llama_ctx *c, int exact);

/* A flag eval polls between layers; when it is non-zero eval stops with
 * CANCELLED. NULL (default) for none. The flag must outlive its use. */
void aia_llama_set_cancel(aia_llama_ctx *c, const atomic_int *flag);

/* Runs tokens[0..n) at positions pos..pos+n-1 and writes the logits of the
 * last one (n_vocab floats) to logits (may be NULL to only fill the cache).
 * pos may be at most n_past (a smaller pos rewinds: later entries are
 * overwritten); pos + n must not exceed n_ctx; n >= 1. Prompts go in one
 * call (the matrix products then read each weight row once for a block of
 * tokens), generated tokens one at a time. Long inputs are processed in
 * internal batches of 32 tokens; after a failure (or a cancel) n_past tells
 * which positions the cache still holds (at least [0, pos)). */
aia_status aia_llama_eval(aia_llama_ctx *c, const int32_t *tokens, size_t n, size_t pos,
                          float *logits, aia_error *err);

#endif
