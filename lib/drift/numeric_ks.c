/* lib/drift/numeric_ks.c — the two-sample Kolmogorov–Smirnov test.
 *
 * The statistic comes from one merge pass over the two sorted samples. The
 * p-value follows SciPy 1.17's ks_2samp(method="auto"): exact when the larger
 * sample has at most 10,000 values, else the one-sample two-sided
 * distribution kstwo at the effective size round(m*n/(m+n))
 * (numeric_kstwo.c). The exact counts are Hodges' lattice-path recursions,
 * carried out on probabilities rather than path counts so that nothing
 * overflows (Viehmann 2021, arXiv:2102.08037). */
#include <math.h>
#include <stdlib.h>

#include "lib/drift/numeric.h"
#include "lib/drift/numeric_internal.h"

#define KS_MAX_EXACT_N 10000

/* sup |F_a - F_b| with right-continuous ECDFs evaluated at every value, the
 * differences formed as SciPy forms them (i/n1 - j/n2 in double). */
static double ks_statistic(const double *a, size_t n1, const double *b, size_t n2)
{
    double dn1 = (double)n1, dn2 = (double)n2;
    double max_diff = 0.0, min_diff = 0.0;
    size_t i = 0, j = 0;
    while (i < n1 || j < n2) {
        double v = (j >= n2 || (i < n1 && a[i] <= b[j])) ? a[i] : b[j];
        while (i < n1 && a[i] <= v) i++;
        while (j < n2 && b[j] <= v) j++;
        double diff = (double)i / dn1 - (double)j / dn2;
        if (diff > max_diff) max_diff = diff;
        if (diff < min_diff) min_diff = diff;
    }
    double neg = -min_diff > 1.0 ? 1.0 : -min_diff;
    return neg > max_diff ? neg : max_diff;
}

static long gcd_long(long a, long b)
{
    while (b != 0) {
        long t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static long floor_div(long a, long b) /* b > 0 */
{
    long q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static long ceil_div(long a, long b) /* b > 0 */
{
    return -floor_div(-a, b);
}

/* Equal sizes: P(D_{n,n} >= h/n) = 2 sum_k (-1)^(k-1) C(2n, n-kh) / C(2n, n),
 * summed from the innermost term outwards (Horner-like) so that the
 * alternating series does not cancel. */
static double prob_outside_square(long n, long h)
{
    double p = 0.0;
    for (long k = n / h; k >= 0; k--) {
        double a = 1.0;
        for (long j = 0; j < h; j++)
            a = (double)(n - k * h - j) * a / (double)(n + k * h + j + 1);
        p = a * (1.0 - p);
    }
    return 2.0 * p;
}

/* Unequal sizes (m >= n): walk the lattice column by column keeping, for the
 * band of y the path may occupy, the probability that a path to (x, y) has
 * already left the band |x/m - y/n| < h/lcm. Returns that probability at
 * (m, n), or -1 when the band arithmetic would leave the buffer. */
static double prob_outside_band(long m, long n, long g, long h)
{
    if (m < n) {
        long t = m;
        m = n;
        n = t;
    }
    long mg = m / g, ng = n / g;
    long minj = 0, maxj = ceil_div(h, mg);
    if (maxj > n + 1) maxj = n + 1;
    long curlen = maxj - minj;
    long len = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;
    double *a = malloc((size_t)len * sizeof *a);
    if (a == NULL) return -2.0;
    for (long k = 0; k < len; k++) a[k] = k < maxj ? 0.0 : 1.0;
    double result = -1.0;
    for (long i = 1; i <= m; i++) {
        long lastminj = minj, lastlen = curlen;
        minj = floor_div(ng * i - h, mg) + 1;
        if (minj < 0) minj = 0;
        if (minj > n) minj = n;
        maxj = ceil_div(ng * i + h, mg);
        if (maxj > n + 1) maxj = n + 1;
        if (maxj <= minj) {
            result = 1.0;
            goto done;
        }
        double val = minj == 0 ? 0.0 : 1.0;
        for (long jj = 0; jj < maxj - minj; jj++) {
            long j = jj + minj, src = jj + minj - lastminj;
            if (src >= len || jj >= len) goto done;
            val = (a[src] * (double)i + val * (double)j) / (double)(i + j);
            a[jj] = val;
        }
        curlen = maxj - minj;
        for (long k = curlen; k < curlen + (lastlen - curlen) && k < len; k++) a[k] = 1.0;
    }
    result = a[maxj - minj - 1];
done:
    free(a);
    return result;
}

double aia_drift_ks_exact_p(long m, long n, long g, long h)
{
    double p = m == n ? prob_outside_square(m, h) : prob_outside_band(m, n, g, h);
    if (p == -2.0) return NAN; /* out of memory */
    if (!(p >= 0.0 && p <= 1.0)) return -1.0;
    return p;
}

static double clip01(double p)
{
    return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

aia_status aia_drift_ks_sorted(const double *ref_sorted, size_t n1, const double *cur,
                               size_t n2, aia_ks_result *out, aia_error *err)
{
    double d = ks_statistic(ref_sorted, n1, cur, n2);
    double p = -1.0;
    int exact = 0;
    if ((n1 > n2 ? n1 : n2) <= KS_MAX_EXACT_N) {
        long g = gcd_long((long)n1, (long)n2);
        long lcm = ((long)n1 / g) * (long)n2;
        long h = (long)nearbyint(d * (double)lcm);
        double dq = (double)h / (double)lcm;
        double pe = h == 0 ? 1.0 : aia_drift_ks_exact_p((long)n1, (long)n2, g, h);
        if (isnan(pe))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED,
                                 "ks: cannot allocate the exact p-value's lattice column");
        if (pe >= 0.0) { /* SciPy reports the statistic on the lattice */
            d = dq;
            p = pe;
            exact = 1;
        }
    }
    if (!exact) {
        double big = (double)(n1 > n2 ? n1 : n2), small = (double)(n1 > n2 ? n2 : n1);
        double en = big * small / (big + small);
        p = aia_drift_kstwo_sf(d, (long)nearbyint(en));
        if (isnan(p))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED,
                                 "ks: cannot allocate the asymptotic p-value's matrices");
    }
    out->statistic = d;
    out->p_value = clip01(p);
    out->exact = exact;
    out->n_ref = n1;
    out->n_cur = n2;
    out->n_nan = 0;
    return AIA_OK;
}

aia_status aia_drift_ks(const double *ref_sorted, size_t n_ref, double *cur, size_t n_cur,
                        aia_ks_result *out, aia_error *err)
{
    size_t n2 = 0;
    aia_status st = aia_drift_prepare(ref_sorted, n_ref, cur, n_cur, &n2, err);
    if (st == AIA_OK) st = aia_drift_ks_sorted(ref_sorted, n_ref, cur, n2, out, err);
    if (st == AIA_OK) out->n_nan = n_cur - n2;
    return st;
}
