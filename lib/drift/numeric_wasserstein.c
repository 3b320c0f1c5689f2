/* lib/drift/numeric_wasserstein.c — Wasserstein-1 distance of two samples.
 *
 * W1 = integral |F_ref - F_cur| dx, a sum over the gaps between consecutive
 * distinct values of both samples, taken in one merge pass. The sums are
 * compensated (Neumaier) so that 2*10^6 terms keep their digits. */
#include <math.h>

#include "lib/drift/numeric.h"
#include "lib/drift/numeric_internal.h"

typedef struct ksum {
    double s, c;
} ksum;

static void ksum_add(ksum *k, double x)
{
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->c += (k->s - t) + x;
    else
        k->c += (x - t) + k->s;
    k->s = t;
}

static double wasserstein1(const double *a, size_t n1, const double *b, size_t n2)
{
    double dn1 = (double)n1, dn2 = (double)n2;
    ksum sum = {0.0, 0.0};
    size_t i = 0, j = 0;
    double v = a[0] < b[0] ? a[0] : b[0];
    for (;;) {
        while (i < n1 && a[i] <= v) i++;
        while (j < n2 && b[j] <= v) j++;
        if (i == n1 && j == n2) break;
        double next = (j >= n2 || (i < n1 && a[i] < b[j])) ? a[i] : b[j];
        ksum_add(&sum, fabs((double)i / dn1 - (double)j / dn2) * (next - v));
        v = next;
    }
    return sum.s + sum.c;
}

/* Population standard deviation (ddof = 0), two passes. */
static double population_std(const double *x, size_t n)
{
    ksum s = {0.0, 0.0};
    for (size_t i = 0; i < n; i++) ksum_add(&s, x[i]);
    double mean = (s.s + s.c) / (double)n;
    ksum q = {0.0, 0.0};
    for (size_t i = 0; i < n; i++) ksum_add(&q, (x[i] - mean) * (x[i] - mean));
    return sqrt((q.s + q.c) / (double)n);
}

void aia_drift_wasserstein_sorted(const double *ref_sorted, size_t n_ref, const double *cur,
                                  size_t n2, aia_wasserstein_result *out)
{
    out->distance = wasserstein1(ref_sorted, n_ref, cur, n2);
    out->ref_std = population_std(ref_sorted, n_ref);
    out->normed = out->distance / (out->ref_std > 0.001 ? out->ref_std : 0.001);
    out->n_ref = n_ref;
    out->n_cur = n2;
    out->n_nan = 0;
}

aia_status aia_drift_wasserstein(const double *ref_sorted, size_t n_ref, double *cur,
                                 size_t n_cur, aia_wasserstein_result *out, aia_error *err)
{
    size_t n2 = 0;
    aia_status st = aia_drift_prepare(ref_sorted, n_ref, cur, n_cur, &n2, err);
    if (st != AIA_OK) return st;
    aia_drift_wasserstein_sorted(ref_sorted, n_ref, cur, n2, out);
    out->n_nan = n_cur - n2;
    return AIA_OK;
}
