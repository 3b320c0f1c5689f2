/* lib/data/number.c — see number.h for the method and why it is exact. */
#include "lib/data/number.h"

#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && LDBL_MANT_DIG == 64
#define AIA_NUMBER_FAST_PATH 1
#else
#define AIA_NUMBER_FAST_PATH 0
#endif

/* ---- strtod in the C locale, for the hard cases ---------------------------- */

static pthread_once_t g_c_locale_once = PTHREAD_ONCE_INIT;
static locale_t g_c_locale;

static void make_c_locale(void)
{
    g_c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static aia_number_result slow_parse(const char *s, size_t n, double *out)
{
    char stack[128];
    char *buf = stack;
    if (n >= sizeof stack) {
        buf = malloc(n + 1);
        if (!buf) return AIA_NUMBER_NOMEM;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    pthread_once(&g_c_locale_once, make_c_locale);
    char *end = NULL;
    /* The syntax was checked already, so strtod consumes everything. If the C
     * locale could not be created, plain strtod is right as long as the
     * process never called setlocale(), which is the usual case. */
    double v = g_c_locale ? strtod_l(buf, &end, g_c_locale) : strtod(buf, &end);
    if (buf != stack) free(buf);
    if (isinf(v)) return AIA_NUMBER_RANGE;
    *out = v;
    return AIA_NUMBER_OK;
}

/* ---- the fast path ---------------------------------------------------------- */

#if AIA_NUMBER_FAST_PATH
/* 10^0 .. 10^27, each exact in the 64-bit mantissa of x87 long double. */
static const long double k_pow10[28] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};

/* Rounds the extended value to double, or returns 0 when `x` lies exactly
 * halfway between two doubles: then its own rounding may have moved it
 * there, and only strtod knows which way the exact value leans. */
static int round_to_double(long double x, double *out)
{
    uint64_t mant;
    memcpy(&mant, &x, sizeof mant); /* x87 layout: explicit 64-bit mantissa first */
    if ((mant & 0x7FF) == 0x400) return 0;
    *out = (double)x;
    return 1;
}
#endif

aia_number_result aia_number_parse(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int negative = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';

    uint64_t m = 0;     /* significant digits, at most 19 of them */
    int n_sig = 0;      /* digits in m, leading zeros excluded */
    int too_many = 0;   /* a non-zero digit did not fit in m */
    long exp10 = 0;     /* value = m * 10^exp10 (while !too_many) */
    int n_digits = 0;   /* mantissa digits seen, zeros included */

    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, n_digits++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (n_sig < 19) {
            if (m || d) { m = m * 10 + d; n_sig++; }
        } else {
            too_many = 1;
        }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, n_digits++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (n_sig < 19) {
                if (m || d) { m = m * 10 + d; n_sig++; }
                exp10--;
            } else {
                too_many = 1;
            }
        }
    }
    if (n_digits == 0) return AIA_NUMBER_SYNTAX;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        int exp_negative = 0;
        if (i < n && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
        if (i >= n || s[i] < '0' || s[i] > '9') return AIA_NUMBER_SYNTAX;
        long e = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
            if (e < 100000) e = e * 10 + (s[i] - '0'); /* far past any double */
        }
        exp10 += exp_negative ? -e : e;
    }
    if (i != n) return AIA_NUMBER_SYNTAX;

    if (m == 0 && !too_many) {
        *out = negative ? -0.0 : 0.0;
        return AIA_NUMBER_OK;
    }
#if AIA_NUMBER_FAST_PATH
    if (!too_many && exp10 >= -27 && exp10 <= 27) {
        long double x = (long double)m;
        x = exp10 < 0 ? x / k_pow10[-exp10] : x * k_pow10[exp10];
        double v;
        if (round_to_double(x, &v)) {
            *out = negative ? -v : v;
            return AIA_NUMBER_OK;
        }
    }
#endif
    return slow_parse(s, n, out);
}
