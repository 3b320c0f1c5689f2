/* lib/drift/special.h — the special functions behind the categorical
 * p-values: the regularised upper incomplete gamma Q(a, x) (so the
 * chi-square survival function), log-gamma, and the standard normal tail.
 *
 * Plain functions of doubles: no allocation, no global state (log-gamma uses
 * lgamma_r, not lgamma, whose sign goes to a global), so every function is
 * thread-safe. Out-of-domain arguments give NaN rather than an error code,
 * as libm does; callers validate their inputs before they get here.
 */
#ifndef AIA_DRIFT_SPECIAL_H
#define AIA_DRIFT_SPECIAL_H

/* log |Gamma(x)|, through the reentrant lgamma_r. +inf at the poles
 * (0, -1, -2, ...). */
double aia_special_lgamma(double x);

/* Regularised upper incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a) for
 * a > 0, x >= 0 (Q(a, 0) = 1, Q(a, +inf) = 0). A power series for P = 1 - Q
 * when x < a + 1, a continued fraction (modified Lentz) for Q otherwise; the
 * common factor x^a e^-x / Gamma(a) is formed through Stirling's series and
 * log1p(t) - t for a >= 10, so that it keeps ~1e-14 relative accuracy for
 * large a and x near a. Tiny tails stay relative-accurate down to the
 * double underflow (about 1e-308), below which the result is 0; there the
 * error grows like x * 1e-16 (9e-14 at x = 1000 against 40-digit mpmath),
 * which is the value's own conditioning, and SciPy's is the same size.
 * NaN when a <= 0, x < 0 or either is NaN. */
double aia_special_gamma_q(double a, double x);

/* Regularised lower incomplete gamma P(a, x) = 1 - Q(a, x), computed
 * directly (not as 1 - Q) where that is the accurate side. Same domain. */
double aia_special_gamma_p(double a, double x);

/* Chi-square survival function P(X > x) for `dof` > 0 degrees of freedom:
 * Q(dof / 2, x / 2), and 1 for x <= 0. Matches scipy.stats.chi2.sf. */
double aia_special_chi2_sf(double x, double dof);

/* Standard normal upper tail P(Z > z) = erfc(z / sqrt 2) / 2 (scipy's
 * norm.sf), relative-accurate for large positive z. */
double aia_special_normal_sf(double z);

/* Two-sided standard normal tail P(|Z| >= |z|) = erfc(|z| / sqrt 2), i.e.
 * 2 * norm.sf(|z|); 1 at z = 0. */
double aia_special_normal_two_sided(double z);

#endif
