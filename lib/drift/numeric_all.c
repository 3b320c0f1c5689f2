/* lib/drift/numeric_all.c — KS, Wasserstein and PSI of one column with a
 * single validation of the reference and a single sort of the window. */
#include "lib/drift/numeric.h"
#include "lib/drift/numeric_internal.h"

aia_status aia_drift_numeric(const double *ref_sorted, size_t n_ref, double *cur, size_t n_cur,
                             const aia_psi_options *psi_opt, aia_numeric_result *out,
                             aia_error *err)
{
    int bins = 0;
    aia_psi_binning how = AIA_PSI_QUANTILE;
    aia_status st = aia_drift_psi_options_check(psi_opt, &bins, &how, err);
    if (st != AIA_OK) return st;
    size_t n2 = 0;
    st = aia_drift_prepare(ref_sorted, n_ref, cur, n_cur, &n2, err);
    if (st != AIA_OK) return st;
    st = aia_drift_ks_sorted(ref_sorted, n_ref, cur, n2, &out->ks, err);
    if (st != AIA_OK) return st;
    aia_drift_wasserstein_sorted(ref_sorted, n_ref, cur, n2, &out->wasserstein);
    aia_drift_psi_sorted(ref_sorted, n_ref, cur, n2, bins, how, &out->psi);
    out->ks.n_nan = out->wasserstein.n_nan = out->psi.n_nan = n_cur - n2;
    return AIA_OK;
}
