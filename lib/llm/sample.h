/* lib/llm/sample.h — choosing the next token from logits.
 *
 * temperature 0 is greedy: the highest logit, ties going to the lowest id.
 * Otherwise, in Hugging Face's order: logits are divided by the temperature,
 * top_k (0 = off) keeps the k highest (ties to lower ids), softmax over those,
 * top_p (1 = off) keeps the smallest prefix of them by descending
 * probability whose mass reaches top_p (at least one token), and a token is
 * drawn from what is left, renormalised, with the sampler's seeded RNG
 * (lib/base/rng.h). The same seed, config and logits give the same tokens.
 * Cost: top_k > 0 selects with a heap (n log k); top_k = 0 with top_p < 1
 * sorts the whole vocabulary; with neither, no sorting.
 *
 * Ownership: aia_sampler_create gives a sampler (own scratch for n_vocab
 * candidates) to free with aia_sampler_destroy; logits are borrowed per call.
 * Thread-safety: a sampler is used by one thread at a time (its RNG state
 * advances on every draw).
 * Errors: INVALID_ARGUMENT for a bad config (temperature negative or not
 * finite, top_k negative, top_p outside (0, 1]) naming the field, and for a
 * NaN or infinite logit (naming the id); RESOURCE_EXHAUSTED. */
#ifndef AIA_LLM_SAMPLE_H
#define AIA_LLM_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

typedef struct aia_sampler_config {
    float temperature; /* 0 = greedy */
    int32_t top_k;     /* 0 = off */
    float top_p;       /* 1 = off */
    uint64_t seed;
} aia_sampler_config;

typedef struct aia_sampler aia_sampler;

aia_status aia_sampler_create(const aia_sampler_config *cfg, size_t n_vocab, aia_sampler **out,
                              aia_error *err);
void aia_sampler_destroy(aia_sampler *s); /* NULL is fine */

/* Picks a token from logits[0..n_vocab). */
aia_status aia_sampler_sample(aia_sampler *s, const float *logits, int32_t *token, aia_error *err);

/* The greedy choice alone (highest logit, lowest id on ties), for callers
 * without a sampler. n >= 1; non-finite logits are never chosen over finite
 * ones (NaN is skipped). */
int32_t aia_sample_argmax(const float *logits, size_t n);

#endif
