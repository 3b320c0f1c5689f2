/* lib/data/split.h — deterministic train/validation/test splits and k folds.
 *
 * Everything is a function of (n, fractions or k, strata, seed): the same
 * arguments always give the same row indices, on any machine and thread
 * count, because all randomness comes from lib/base/rng.h seeded with `seed`
 * (repeat r of a repeated k-fold uses aia_rng_derive(seed, r)). Every part is
 * returned as row indices sorted ascending.
 *
 * Part sizes (train/validation/test): the quotas fraction * n are rounded
 * down and the rows left over go one each to the parts with the largest
 * fractional remainders (ties: test, then validation, then train) — the
 * largest-remainder method, so sizes sum to n and each is within 1 of its
 * quota. A part whose fraction is positive but gets no row is an error (too
 * few rows), never a silently empty part.
 *
 * Stratified (strata given): part sizes are the ones above. Within each
 * class, rows are shuffled and the first ones go to train, the next to
 * validation, the rest to test. Class c's count in part p is the floor or
 * the ceiling of its exact share n_c * size_p / n, chosen so that class
 * totals and part sizes are both exact: each class takes its floors, then
 * its leftover rows go to the parts with the largest fractional shares that
 * still lack rows (ties as above), classes taken in class order, rows moved
 * between classes when a later class would otherwise be forced past a
 * ceiling (see split.c). A class too small to reach every part is simply
 * absent from some.
 *
 * k folds: rows are shuffled (stratified: shuffled within each class, and
 * the classes laid end to end in class order), and the row at position t of
 * that order goes to fold t mod k — the scheme scikit-learn's StratifiedKFold
 * uses to allocate classes to folds. Fold sizes differ by at most one, and so
 * does each class's count across folds. Fold i's training part is every row
 * not in its test part.
 *
 * Ownership: the result structs own their arrays; free them with the
 * matching *_free(). Thread-safe: no shared state.
 */
#ifndef AIA_DATA_SPLIT_H
#define AIA_DATA_SPLIT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/data/labels.h"

typedef struct aia_split {
    size_t *train, *validation, *test;  /* sorted row indices */
    size_t n_train, n_validation, n_test;
} aia_split;

/* Splits rows 0..n-1. Fractions must each be in [0, 1] and sum to 1 (within
 * 1e-9), with a positive train fraction; strata (NULL = not stratified)
 * must have strata->n == n. Errors: INVALID_ARGUMENT naming the problem
 * (fractions, n == 0, a positive fraction that rounds to an empty part);
 * RESOURCE_EXHAUSTED. On error *out is zeroed. */
aia_status aia_split_train_validation_test(size_t n, double train_fraction,
                                           double validation_fraction, double test_fraction,
                                           const aia_class_labels *strata, uint64_t seed,
                                           aia_split *out, aia_error *err);
void aia_split_free(aia_split *s);

typedef struct aia_fold {
    size_t *train, *test;               /* sorted row indices */
    size_t n_train, n_test;
} aia_fold;

typedef struct aia_folds {
    aia_fold *folds;                    /* n_repeats * k folds; repeat r, fold i at r*k + i */
    size_t n_folds;
    size_t k, n_repeats;
} aia_folds;

/* k folds over rows 0..n-1, stratified when strata is non-NULL.
 * Errors (INVALID_ARGUMENT): k < 2, k > n, strata->n != n, and, when
 * stratified, a class with fewer than k rows ("class 'b' has 3 rows, fewer
 * than the 5 folds"). On error *out is zeroed. */
aia_status aia_split_kfold(size_t n, size_t k, const aia_class_labels *strata, uint64_t seed,
                           aia_folds *out, aia_error *err);

/* n_repeats independent k-fold partitions (like scikit-learn's
 * RepeatedKFold / RepeatedStratifiedKFold), repeat r seeded with
 * aia_rng_derive(seed, r). n_repeats must be >= 1. */
aia_status aia_split_repeated_kfold(size_t n, size_t k, size_t n_repeats,
                                    const aia_class_labels *strata, uint64_t seed,
                                    aia_folds *out, aia_error *err);
void aia_folds_free(aia_folds *f);

#endif
