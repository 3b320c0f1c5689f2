/* lib/drift/numeric_kstwo.c — P(D_n >= d) for the one-sample two-sided
 * Kolmogorov–Smirnov statistic, as scipy.stats.kstwo.sf (SciPy 1.17).
 *
 * Following Simard & L'Ecuyer (2011), as SciPy does, the method depends on
 * where (n, d) lies: Ruben–Gambino's closed forms at the extremes, twice the
 * one-sided Smirnov tail (exact Birnbaum–Tingey sum) when it is small, the
 * Durbin matrix (Marsaglia–Tsang–Wang) for small n*d^1.5, Pomeranz'
 * recursion for n <= 140 in the middle range, and Pelz–Good's asymptotic
 * series otherwise. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/drift/numeric.h"

#define SMIRNOV_MAX_N 1000000
#define CEPHES_MINLOG (-7.08396418532264106224E2)
#define SCALE_EXP 128

static double clip01(double p)
{
    return p < 0.0 ? 0.0 : (p > 1.0 ? 1.0 : p);
}

/* ---- one-sided Smirnov tail P(D_n^+ >= x) ------------------------------- */

/* Birnbaum–Tingey: x * sum_{v=0}^{last} C(n,v) (x+v/n)^(v-1) (1-x-v/n)^(n-v).
 * All terms are positive; each is formed in long double from logs, with
 * n*x split exactly (fma) into floor and fraction so that 1-x-v/n keeps its
 * digits near the end of the range. */
static double smirnov_sf(long n, double x)
{
    if (n == 1) return x >= 1.0 ? 0.0 : 1.0 - x;
    if (x <= 0.0) return 1.0;
    if (x >= 1.0) return 0.0;
    double nx_hi = (double)n * x;
    double nx_lo = fma((double)n, x, -nx_hi);
    long nxfl = (long)floor(nx_hi);
    long double alpha = (long double)(nx_hi - (double)nxfl) + nx_lo;
    if (alpha < 0) {
        nxfl--;
        alpha += 1;
    }
    if (alpha >= 1) {
        nxfl++;
        alpha -= 1;
    }
    if (nxfl == 0 || (nxfl == 1 && alpha == 0)) /* x <= 1/n */
        return clip01(1.0 - x * pow(1.0 + x, (double)(n - 1)));
    if (-2.0 * (double)n * x * x < CEPHES_MINLOG) return 0.0;
    if (nxfl >= n - 1) return clip01(pow(1.0 - x, (double)n));
    if (n > SMIRNOV_MAX_N) {
        double logp = -pow(6.0 * (double)n * x + 1, 2) / 18.0 / (double)n;
        /* p ~ exp(-(6nx+1)^2 / (18n)), SciPy's shortcut for very large n */
        return logp < -M_LN2 ? exp(logp) : 1.0 - (-expm1(logp));
    }
    long last = n - nxfl - 1; /* v with 1 - x - v/n > 0 */
    if (alpha == 0) last--;
    long double ln = (long double)n;
    long double nx = (long double)nxfl + alpha;
    /* log C(n, v): updated term by term (one logl), and recomputed exactly
     * every 256 terms so that the rounding of the updates cannot pile up. */
    int sign = 0; /* lgammal_r: plain lgammal writes the global signgam */
    long double lgn = lgammal_r(ln + 1, &sign), lc = 0;
    long double sum = 0;
    long terms = last + 1;
    for (long v = 0; v <= last; v++) {
        if (v % 256 == 0)
            lc = lgn - lgammal_r((long double)v + 1, &sign) -
                 lgammal_r((long double)(n - v) + 1, &sign);
        else
            lc += logl((long double)(n - v + 1) / (long double)v);
        long double up = (nx + (long double)v) / ln;                       /* x + v/n */
        long double down = ((long double)(n - nxfl - v) - alpha) / ln;     /* 1 - x - v/n */
        long double lt = lc + (long double)(v - 1) * logl(up) + (long double)(n - v) * logl(down);
        long double t = expl(lt);
        sum += t;
        if (t != 0 && 4.0L * (long double)(terms - v) * t < (long double)DBL_EPSILON * sum &&
            v != last)
            break;
    }
    return clip01((double)((long double)x * sum));
}

/* ---- Durbin's matrix (Marsaglia, Tsang & Wang 2003): P(D_n < d) ---------- */

static void matmul(const double *a, const double *b, double *c, int m)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            double s = 0.0;
            for (int k = 0; k < m; k++) s += a[i * m + k] * b[k * m + j];
            c[i * m + j] = s;
        }
}

static double durbin_cdf(long n, double d)
{
    if (d >= 1.0) return 1.0;
    double nd = (double)n * d;
    if (nd <= 0.5) return 0.0;
    int k = (int)ceil(nd);
    double h = (double)k - nd;
    int m = 2 * k - 1;
    size_t mm = (size_t)m * (size_t)m;
    double *buf = calloc(4 * mm + 2 * (size_t)m, sizeof *buf);
    if (buf == NULL) return NAN;
    double *hm = buf, *pw = buf + mm, *tmp = buf + 2 * mm, *tmp2 = buf + 3 * mm;
    double *v = buf + 4 * mm, *w = v + m;
    double fac = 1.0;
    for (int j = 1; j <= m; j++) { /* w[j-1] = 1/(j-1)!, v[j-1] = (1-h^j)/j! */
        w[j - 1] = fac;
        fac /= j;
        v[j - 1] = (1.0 - pow(h, j)) * fac;
    }
    double tt = pow(fmax(2 * h - 1.0, 0.0), m) - 2 * pow(h, m);
    v[m - 1] = (1.0 + tt) * fac;
    for (int i = 1; i < m; i++)
        for (int r = i - 1; r < m; r++) hm[r * m + i] = w[r - (i - 1)];
    for (int r = 0; r < m; r++) hm[r * m] = v[r];
    for (int c = 0; c < m; c++) hm[(m - 1) * m + c] = v[m - 1 - c];
    for (int i = 0; i < m; i++) pw[i * m + i] = 1.0;
    long expnt = 0, hexpnt = 0;
    for (long nn = n; nn > 0; nn /= 2) {
        if (nn % 2) {
            matmul(pw, hm, tmp, m);
            memcpy(pw, tmp, mm * sizeof *pw);
            expnt += hexpnt;
        }
        matmul(hm, hm, tmp2, m);
        memcpy(hm, tmp2, mm * sizeof *hm);
        hexpnt *= 2;
        if (fabs(hm[(k - 1) * m + (k - 1)]) > ldexp(1.0, SCALE_EXP)) {
            for (size_t i = 0; i < mm; i++) hm[i] = ldexp(hm[i], -SCALE_EXP);
            hexpnt += SCALE_EXP;
        }
    }
    long double p = pw[(k - 1) * m + (k - 1)];
    free(buf);
    for (long i = 1; i <= n; i++) { /* times n!/n^n, rescaling as it shrinks */
        p = (long double)i * p / (long double)n;
        if (fabsl(p) < ldexpl(1.0L, -SCALE_EXP)) {
            p = ldexpl(p, SCALE_EXP);
            expnt -= SCALE_EXP;
        }
    }
    return (double)ldexpl(p, (int)expnt);
}

/* ---- Pomeranz (1974): P(D_n <= x) by a recursion over 2n+1 rows, each the
 * convolution of the previous row with (almost) Poisson weights ---------- */

typedef struct pom_shape {
    long n, ll;
    int ceilf, roundf;
} pom_shape;

/* The band [j1, j2] of row i that can be non-zero. */
static void pom_band(const pom_shape *s, long i, long *j1, long *j2)
{
    long a, b, n = s->n, ll = s->ll;
    if (i == 0) {
        a = -ll - s->ceilf - 1;
        b = ll + s->ceilf - 1;
    } else {
        long half = (i + 1) / 2;
        if ((i + 1) % 2 == 0) {
            if (half == n + 1) {
                a = n - ll - s->ceilf - 1;
                b = n + ll + s->ceilf - 1;
            } else {
                a = half - 1 - ll - s->roundf - 1;
                b = half + ll - 1 + s->ceilf - 1;
            }
        } else {
            a = half - 1 - ll - 1;
            b = half + ll + s->roundf - 1;
        }
    }
    *j1 = a + 2 > 0 ? a + 2 : 0;
    *j2 = b < n ? b : n;
}

static double pomeranz_cdf(long n, double x)
{
    double t = (double)n * x;
    pom_shape s = {n, (long)floor(t), 0, 0};
    double f = t - (double)s.ll, g = fmin(f, 1.0 - f);
    s.ceilf = f > 0 ? 1 : 0;
    s.roundf = f > 0.5 ? 1 : 0;
    long np = 2 * (s.ll + 1);
    double *buf = calloc(5 * (size_t)np, sizeof *buf);
    if (buf == NULL) return NAN;
    double *gp = buf, *g2p = gp + np, *om2gp = g2p + np, *v0 = om2gp + np, *v1 = v0 + np;
    gp[0] = g2p[0] = om2gp[0] = 1.0; /* (c/n)^m / m! for c = g, 2g, 1-2g */
    for (long m = 1; m < np; m++) {
        gp[m] = gp[m - 1] * (g / (double)n) / (double)m;
        g2p[m] = g2p[m - 1] * (2 * g / (double)n) / (double)m;
        om2gp[m] = om2gp[m - 1] * ((1 - 2 * g) / (double)n) / (double)m;
    }
    v1[0] = 1.0;
    long v0s = 0, v1s = 0, j1, j2, expnt = 0;
    pom_band(&s, 0, &j1, &j2);
    for (long i = 1; i < 2 * n + 2; i++) {
        long k1 = j1;
        double *tmp = v0;
        v0 = v1;
        v1 = tmp;
        long ts = v0s;
        v0s = v1s;
        v1s = ts;
        memset(v1, 0, (size_t)np * sizeof *v1);
        pom_band(&s, i, &j1, &j2);
        const double *w = (i == 1 || i == 2 * n + 1) ? gp : (i % 2 ? g2p : om2gp);
        long len = j2 - k1 + 1;
        if (len <= 0) continue;
        long start = k1 - v0s;
        long la = start >= 0 && start < np ? (len < np - start ? len : np - start) : 0;
        long lb = len < np ? len : np;
        long from = j1 - k1, count = j2 - j1 + 1;
        double vmax = 0.0;
        for (long c = 0; c < count && c < np; c++) { /* entries from..from+count of a*w */
            long k = from + c;
            double sum = 0.0;
            for (long q = k - (lb - 1) > 0 ? k - (lb - 1) : 0; q < la && q <= k; q++)
                sum += v0[start + q] * w[k - q];
            v1[c] = sum;
            if (sum > vmax) vmax = sum;
        }
        if (vmax > 0 && vmax < ldexp(1.0, -SCALE_EXP)) { /* keep clear of underflow */
            for (long c = 0; c < np; c++) v1[c] = ldexp(v1[c], SCALE_EXP);
            expnt -= SCALE_EXP;
        }
        v1s = v0s + j1 - k1;
    }
    long at = n - v1s;
    long double ans = at >= 0 && at < np ? v1[at] : 0.0;
    free(buf);
    for (long m = 1; m <= n; m++) { /* times n! */
        if (fabsl(ans) > ldexpl(1.0L, SCALE_EXP)) {
            ans = ldexpl(ans, -SCALE_EXP);
            expnt += SCALE_EXP;
        }
        ans *= (long double)m;
    }
    return (double)ldexpl(ans, (int)expnt);
}

/* ---- Pelz & Good (1976): P(D_n <= x), series in q = exp(-pi^2/(8 z^2)) ---- */

static double pelz_good_cdf(long n, double x)
{
    if (x <= 0.0) return 0.0;
    if (x >= 1.0) return 1.0;
    const double pi2 = M_PI * M_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
    double z = sqrt((double)n) * x;
    double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
    double qlog = -pi2 / 8 / z2;
    if (qlog < -708) return 0.0;
    double q = exp(qlog);
    double k1a = -z2, k1b = pi2 / 4;
    double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4, k2c = pi4 * (1 - 2 * z2) / 16;
    double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
    double k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * pow(z, 8);
    double kk[4] = {0, 0, 0, 0};
    int maxk = (int)ceil(16 * z / M_PI);
    for (int k = maxk; k >= 1; k--) { /* Horner over odd m = 2k-1 */
        double mo = 2.0 * k - 1, m2 = mo * mo, m4 = m2 * m2, m6 = m4 * m2;
        double qp = pow(q, 8.0 * k);
        double c[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                       k3a + k3b * m2 + k3c * m4 + k3d * m6};
        for (int i = 0; i < 4; i++) kk[i] = kk[i] * qp + c[i];
    }
    const double sqrt2pi = sqrt(2 * M_PI);
    double div[4] = {z, 6 * z4, 72 * pow(z, 7), 6480 * pow(z, 10)};
    for (int i = 0; i < 4; i++) kk[i] = kk[i] * q * sqrt2pi / div[i];
    double q2 = exp(-pi2 / 2 / z2), s2 = 0.0, s3 = 0.0, r3z = sqrt(3.0) * z;
    for (int k = maxk; k >= 1; k--) { /* the terms over all integers k */
        double k2 = (double)k * k, qk = pow(q2, k2), kpi = M_PI * k;
        s2 += k2 * qk;
        s3 += (r3z + kpi) * (r3z - kpi) * k2 * qk;
    }
    kk[2] += s2 * pi2 * sqrt2pi / (-36 * z3);
    kk[3] += s3 * pi2 * sqrt2pi / (216 * z6);
    double sn = sqrt((double)n);
    return kk[0] + kk[1] / sn + kk[2] / (double)n + kk[3] / (sn * (double)n);
}

/* log(n!/n^n) by Stirling's series with n*log(n) taken out up front. */
static double log_nfact_over_npow(long n)
{
    static const double c[] = {-2.955065359477124183e-2, 6.4102564102564102564e-3,
                               -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                               -5.952380952380952381e-4,  7.9365079365079365079e-4,
                               -2.7777777777777777778e-3, 8.3333333333333333333e-2};
    double rn = 1.0 / (double)n, y = rn / (double)n, poly = 0.0;
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) poly = poly * y + c[i];
    return log((double)n) / 2 - (double)n + log(2 * M_PI) / 2 + rn * poly;
}

double aia_drift_kstwo_sf(double x, long n)
{
    if (n <= 0 || isnan(x)) return NAN;
    if (x >= 1.0) return 0.0;
    if (x <= 0.0) return 1.0;
    double t = (double)n * x;
    if (t <= 1.0) { /* Ruben–Gambino: 1/(2n) <= x <= 1/n */
        if (t <= 0.5) return 1.0;
        double prob;
        if (n <= 140) {
            prob = 1.0;
            for (long i = 1; i <= n; i++) prob *= (double)i * (1.0 / (double)n) * (2 * t - 1);
        } else {
            prob = exp(log_nfact_over_npow(n) + (double)n * log(2 * t - 1));
        }
        return clip01(1.0 - prob);
    }
    if (t >= (double)(n - 1)) return clip01(2 * pow(1.0 - x, (double)n));
    if (x >= 0.5) return clip01(2 * smirnov_sf(n, x));
    double nx2 = t * x;
    if (n <= 140) {
        if (nx2 <= 0.754693) return clip01(1.0 - durbin_cdf(n, x));
        if (nx2 <= 4) return clip01(1.0 - pomeranz_cdf(n, x));
        return clip01(2 * smirnov_sf(n, x));
    }
    if (nx2 >= 370.0) return 0.0;
    if (nx2 >= 2.2) return clip01(2 * smirnov_sf(n, x));
    double cdf;
    if (nx2 >= 18.0)
        cdf = 1.0;
    else if (n <= 100000 && (double)n * pow(x, 1.5) <= 1.4)
        cdf = durbin_cdf(n, x);
    else
        cdf = pelz_good_cdf(n, x);
    return clip01(1.0 - cdf);
}
