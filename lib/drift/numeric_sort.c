/* lib/drift/numeric_sort.c — cleaning and sorting a sample.
 *
 * Samples of 10^6 values are sorted with an LSD radix sort on the IEEE-754
 * bits (six passes of 11 bits), which is several times faster than qsort's
 * comparisons. Keys are made order-preserving as unsigned integers: flip
 * every bit of a negative number, only the sign bit of a positive one. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/drift/numeric.h"
#include "lib/drift/numeric_internal.h"

#define RADIX_BITS 11
#define RADIX_SIZE (1u << RADIX_BITS)
#define RADIX_PASSES 6 /* 6 * 11 >= 64 */
#define SMALL_SORT 64  /* below this, insertion sort */

static uint64_t key_of(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (u & 0x8000000000000000ull) ? ~u : (u | 0x8000000000000000ull);
}

static double value_of(uint64_t k)
{
    uint64_t u = (k & 0x8000000000000000ull) ? (k & ~0x8000000000000000ull) : ~k;
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

static void insertion_sort(double *x, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double v = x[i];
        size_t j = i;
        while (j > 0 && x[j - 1] > v) {
            x[j] = x[j - 1];
            j--;
        }
        x[j] = v;
    }
}

/* Key i of a buffer of 8-byte slots. Keys live in x's own storage for half
 * of the passes; memcpy keeps that free of type punning (it compiles to a
 * plain load or store). */
static uint64_t load_key(const unsigned char *buf, size_t i)
{
    uint64_t k;
    memcpy(&k, buf + i * sizeof k, sizeof k);
    return k;
}

static void store_key(unsigned char *buf, size_t i, uint64_t k)
{
    memcpy(buf + i * sizeof k, &k, sizeof k);
}

/* Sorts x[0..n) (finite values) through keys in x's own storage and tmp. */
static void radix_sort(double *x, unsigned char *tmp, size_t n)
{
    unsigned char *a = (unsigned char *)x, *b = tmp;
    for (size_t i = 0; i < n; i++) store_key(a, i, key_of(x[i]));
    size_t count[RADIX_SIZE];
    for (int pass = 0; pass < RADIX_PASSES; pass++) {
        unsigned shift = (unsigned)pass * RADIX_BITS;
        memset(count, 0, sizeof count);
        for (size_t i = 0; i < n; i++) count[(load_key(a, i) >> shift) & (RADIX_SIZE - 1)]++;
        /* A digit that is the same for every key needs no pass. */
        if (count[(load_key(a, 0) >> shift) & (RADIX_SIZE - 1)] == n) continue;
        size_t sum = 0;
        for (size_t d = 0; d < RADIX_SIZE; d++) {
            size_t c = count[d];
            count[d] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) {
            uint64_t k = load_key(a, i);
            store_key(b, count[(k >> shift) & (RADIX_SIZE - 1)]++, k);
        }
        unsigned char *t = a;
        a = b;
        b = t;
    }
    for (size_t i = 0; i < n; i++) x[i] = value_of(load_key(a, i));
}

/* Moves the finite values to the front (keeping their order) and returns
 * their number. */
static size_t compact_finite(double *x, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) x[k++] = x[i];
    return k;
}

static int is_ascending(const double *x, size_t n)
{
    for (size_t i = 1; i < n; i++)
        if (x[i - 1] > x[i]) return 0;
    return 1;
}

aia_status aia_drift_sort_clean(double *x, size_t n, size_t *n_finite, const char *what,
                                aia_error *err)
{
    if (x == NULL && n > 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s sample: NULL data with %zu values",
                             what ? what : "the", n);
    const char *name = what ? what : "the";
    *n_finite = 0;
    if (n == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s sample is empty (it needs at least one finite value)", name);
    size_t k = compact_finite(x, n);
    *n_finite = k;
    if (k == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s sample has no finite value: all %zu values are NaN or infinite",
                             name, n);
    if (k < SMALL_SORT) {
        insertion_sort(x, k);
        return AIA_OK;
    }
    if (is_ascending(x, k)) return AIA_OK;
    unsigned char *tmp = malloc(k * sizeof(uint64_t));
    if (tmp == NULL)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED,
                             "%s sample: cannot allocate %zu bytes to sort %zu values", name,
                             k * sizeof(uint64_t), k);
    radix_sort(x, tmp, k);
    free(tmp);
    return AIA_OK;
}

aia_status aia_drift_prepare(const double *ref_sorted, size_t n_ref, double *cur, size_t n_cur,
                             size_t *n_finite, aia_error *err)
{
    if (ref_sorted == NULL || n_ref == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "reference sample is empty (it needs at least one finite value)");
    for (size_t i = 0; i < n_ref; i++) {
        if (!isfinite(ref_sorted[i]))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "reference sample: value %zu of %zu is not finite (clean it "
                                 "with aia_drift_sort_clean first)",
                                 i, n_ref);
        if (i > 0 && ref_sorted[i - 1] > ref_sorted[i])
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "reference sample: not ascending at index %zu of %zu (sort it "
                                 "with aia_drift_sort_clean first)",
                                 i, n_ref);
    }
    return aia_drift_sort_clean(cur, n_cur, n_finite, "current", err);
}
