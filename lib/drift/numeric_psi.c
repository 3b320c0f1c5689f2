/* lib/drift/numeric_psi.c — Population Stability Index (definition in
 * numeric.h). Both samples are sorted, so each bin's count is a difference
 * of two binary searches. */
#include <math.h>

#include "lib/drift/numeric.h"
#include "lib/drift/numeric_internal.h"

/* numpy.quantile(x, q) with the default "linear" method on sorted x. */
static double quantile_linear(const double *x, size_t n, double q)
{
    double pos = (double)(n - 1) * q;
    double fl = floor(pos);
    size_t lo = (size_t)fl;
    if (lo >= n - 1) return x[n - 1];
    double g = pos - fl, a = x[lo], b = x[lo + 1], diff = b - a;
    return g >= 0.5 ? b - diff * (1.0 - g) : a + diff * g;
}

/* Number of values of sorted x strictly below v. */
static size_t count_below(const double *x, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Fills edges[0..B] and collapses equal ones; returns the number of bins. */
static int make_edges(const double *ref, size_t n, int bins, aia_psi_binning how, double *edges)
{
    double lo = ref[0], hi = ref[n - 1], step = (hi - lo) / bins;
    for (int k = 0; k <= bins; k++) {
        if (how == AIA_PSI_QUANTILE)
            edges[k] = quantile_linear(ref, n, (double)k / (double)bins);
        else
            edges[k] = k == bins ? hi : (double)k * step + lo;
    }
    int kept = 1;
    for (int k = 1; k <= bins; k++)
        if (edges[k] != edges[kept - 1]) edges[kept++] = edges[k];
    return kept - 1 > 0 ? kept - 1 : 1;
}

static size_t bin_count(const double *x, size_t n, const double *edges, int nb, int i)
{
    size_t below_hi = i == nb - 1 ? n : count_below(x, n, edges[i + 1]);
    size_t below_lo = i == 0 ? 0 : count_below(x, n, edges[i]);
    return below_hi - below_lo;
}

/* Evidently's get_binned_data: an empty bin gets AIA_PSI_EMPTY_BIN, or a
 * millionth of the smallest non-empty proportion when that is itself
 * <= AIA_PSI_EMPTY_BIN (so that the fill stays below every real bin). */
static void fill_empty_bins(double *p, int nb)
{
    double min_nonzero = INFINITY;
    for (int i = 0; i < nb; i++)
        if (p[i] != 0.0 && p[i] < min_nonzero) min_nonzero = p[i];
    double fill = min_nonzero <= AIA_PSI_EMPTY_BIN ? min_nonzero / 1e6 : AIA_PSI_EMPTY_BIN;
    for (int i = 0; i < nb; i++)
        if (p[i] == 0.0) p[i] = fill;
}

aia_status aia_drift_psi_options_check(const aia_psi_options *opt, int *bins,
                                       aia_psi_binning *how, aia_error *err)
{
    *bins = opt && opt->bins ? opt->bins : AIA_PSI_DEFAULT_BINS;
    *how = opt ? opt->binning : AIA_PSI_QUANTILE;
    if (*bins < 1 || *bins > AIA_PSI_MAX_BINS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "psi: bins is %d, want 1..%d", *bins,
                             AIA_PSI_MAX_BINS);
    if (*how != AIA_PSI_QUANTILE && *how != AIA_PSI_EQUAL_WIDTH)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "psi: binning is %d, want AIA_PSI_QUANTILE (0) or "
                             "AIA_PSI_EQUAL_WIDTH (1)",
                             (int)*how);
    return AIA_OK;
}

void aia_drift_psi_sorted(const double *ref_sorted, size_t n_ref, const double *cur, size_t n2,
                          int bins, aia_psi_binning how, aia_psi_result *out)
{
    double edges[AIA_PSI_MAX_BINS + 1];
    double r[AIA_PSI_MAX_BINS], c[AIA_PSI_MAX_BINS];
    int nb = make_edges(ref_sorted, n_ref, bins, how, edges);
    for (int i = 0; i < nb; i++) {
        r[i] = (double)bin_count(ref_sorted, n_ref, edges, nb, i) / (double)n_ref;
        c[i] = (double)bin_count(cur, n2, edges, nb, i) / (double)n2;
    }
    fill_empty_bins(r, nb);
    fill_empty_bins(c, nb);
    double psi = 0.0;
    for (int i = 0; i < nb; i++) psi += (c[i] - r[i]) * log(c[i] / r[i]);
    out->psi = psi;
    out->n_bins = nb;
    out->n_ref = n_ref;
    out->n_cur = n2;
    out->n_nan = 0;
}

aia_status aia_drift_psi(const double *ref_sorted, size_t n_ref, double *cur, size_t n_cur,
                         const aia_psi_options *opt, aia_psi_result *out, aia_error *err)
{
    int bins = 0;
    aia_psi_binning how = AIA_PSI_QUANTILE;
    aia_status st = aia_drift_psi_options_check(opt, &bins, &how, err);
    if (st != AIA_OK) return st;
    size_t n2 = 0;
    st = aia_drift_prepare(ref_sorted, n_ref, cur, n_cur, &n2, err);
    if (st != AIA_OK) return st;
    aia_drift_psi_sorted(ref_sorted, n_ref, cur, n2, bins, how, out);
    out->n_nan = n_cur - n2;
    return AIA_OK;
}
