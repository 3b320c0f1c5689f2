/* lib/base/rng.h — seeded pseudo-random numbers for everything that must be
 * reproducible: data splits, bootstrap samples, feature subsampling,
 * hyperparameter search.
 *
 * xoshiro256** (Blackman and Vigna), seeded through splitmix64 so that any
 * 64-bit seed, 0 included, gives a well-mixed state. Not for cryptography.
 *
 * An aia_rng is a plain value owned by its user: not thread-safe, so each
 * thread (or each tree, each trial) keeps its own, derived from the run's
 * seed with aia_rng_derive() so results do not depend on thread timing.
 */
#ifndef AIA_BASE_RNG_H
#define AIA_BASE_RNG_H

#include <stddef.h>
#include <stdint.h>

typedef struct aia_rng {
    uint64_t s[4];
} aia_rng;

/* Seeds `r`; the same seed always gives the same stream. */
void aia_rng_seed(aia_rng *r, uint64_t seed);

/* An independent stream for sub-task `stream` (a tree index, a fold, a
 * trial number) of the run seeded with `seed`. */
void aia_rng_derive(aia_rng *r, uint64_t seed, uint64_t stream);

/* The next 64 random bits. */
uint64_t aia_rng_next(aia_rng *r);

/* Uniform in [0, 1), 53 bits of precision. */
double aia_rng_uniform(aia_rng *r);

/* Uniform integer in [0, n); n must be > 0. Unbiased (Lemire's method). */
uint64_t aia_rng_below(aia_rng *r, uint64_t n);

/* Standard normal N(0, 1) (Marsaglia's polar method; no state is kept
 * between calls, so a stream is a pure function of the seed). */
double aia_rng_normal(aia_rng *r);

/* Fisher–Yates shuffle of `n` elements of `size` bytes each, in place. */
void aia_rng_shuffle(aia_rng *r, void *base, size_t n, size_t size);

#endif
