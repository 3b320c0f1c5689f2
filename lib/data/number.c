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

/* 10^0 .. 10^22, each exact in a double. */
static const double k_pow10_double[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/* When s[0..8) are all digits, stores their value and returns 1. Each step
 * combines neighbouring lanes: bytes to 2-digit, then 4-digit, then
 * 8-digit numbers (little-endian: the first digit is the lowest byte). */
static int eight_digits(const char *s, uint64_t *value)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t v;
    memcpy(&v, s, sizeof v);
    const uint64_t high_nibbles = 0xF0F0F0F0F0F0F0F0ULL, zeros = 0x3030303030303030ULL;
    /* Every byte 0x30..0x39: the high nibble is 3, and stays 3 after adding 6. */
    if ((v & high_nibbles) != zeros) return 0;
    if (((v + 0x0606060606060606ULL) & high_nibbles) != zeros) return 0;
    uint64_t d = v - zeros;
    d = (d * 10 + (d >> 8)) & 0x00FF00FF00FF00FFULL;
    d = (d * 100 + (d >> 16)) & 0x0000FFFF0000FFFFULL;
    d = (d * 10000 + (d >> 32)) & 0xFFFFFFFFULL;
    *value = d;
    return 1;
#else
    (void)s;
    (void)value;
    return 0;
#endif
}

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

/* The decimal m * 10^exp10 read from the text (exact while !too_many). */
typedef struct decimal {
    uint64_t m;         /* significant digits, at most 19 of them */
    long exp10;
    int n_sig;          /* digits in m, leading zeros excluded */
    int too_many;       /* a digit did not fit in m: only strtod is exact */
    int n_digits;       /* mantissa digits seen, zeros included */
} decimal;

/* Reads digits with at most one '.', from s[*at] on. */
static void scan_mantissa(const char *s, size_t n, size_t *at, decimal *d)
{
    size_t i = *at;
    int frac = 0; /* 1 once past the decimal point */
    for (;;) {
        uint64_t eight;
        /* Eight digits at a time once the leading zeros are behind us. */
        if (d->m && d->n_sig <= 11 && n - i >= 8 && eight_digits(s + i, &eight)) {
            d->m = d->m * 100000000 + eight;
            d->n_sig += 8;
            d->n_digits += 8;
            d->exp10 -= frac ? 8 : 0;
            i += 8;
            continue;
        }
        if (i < n && s[i] == '.' && !frac) {
            frac = 1;
            i++;
            continue;
        }
        if (i >= n || s[i] < '0' || s[i] > '9') break;
        unsigned digit = (unsigned)(s[i++] - '0');
        d->n_digits++;
        if (d->n_sig < 19) {
            if (d->m || digit) {
                d->m = d->m * 10 + digit;
                d->n_sig++;
            }
            d->exp10 -= frac;
        } else {
            d->too_many = 1;
        }
    }
    *at = i;
}

/* Reads "e[+-]digits" when present; returns 0, or -1 for an 'e' without
 * digits. */
static int scan_exponent(const char *s, size_t n, size_t *at, decimal *d)
{
    size_t i = *at;
    if (i >= n || (s[i] != 'e' && s[i] != 'E')) return 0;
    i++;
    int negative = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    if (i >= n || s[i] < '0' || s[i] > '9') return -1;
    long e = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        if (e < 100000) e = e * 10 + (s[i] - '0'); /* far past any double either way */
    }
    d->exp10 += negative ? -e : e;
    *at = i;
    return 0;
}

/* The correctly rounded value of d without strtod, or 0 when that cannot
 * be guaranteed here. */
static int fast_value(const decimal *d, double *v)
{
    if (d->too_many) return 0;
    if (d->m == 0) {
        *v = 0.0;
        return 1;
    }
#if FLT_EVAL_METHOD == 0
    /* Clinger's fast path: m and 10^|e| are exact doubles, so one IEEE
     * multiplication or division rounds correctly. */
    if (d->m <= ((uint64_t)1 << 53) && d->exp10 >= -22 && d->exp10 <= 22) {
        double x = (double)d->m;
        *v = d->exp10 < 0 ? x / k_pow10_double[-d->exp10] : x * k_pow10_double[d->exp10];
        return 1;
    }
#endif
#if AIA_NUMBER_FAST_PATH
    if (d->exp10 >= -27 && d->exp10 <= 27) {
        long double x = (long double)d->m;
        x = d->exp10 < 0 ? x / k_pow10[-d->exp10] : x * k_pow10[d->exp10];
        return round_to_double(x, v);
    }
#endif
    return 0;
}

aia_number_result aia_number_parse(const char *s, size_t n, double *out)
{
    size_t i = 0;
    int negative = 0;
    if (i < n && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    decimal d = {0, 0, 0, 0, 0};
    scan_mantissa(s, n, &i, &d);
    if (d.n_digits == 0 || scan_exponent(s, n, &i, &d) != 0 || i != n) return AIA_NUMBER_SYNTAX;
    double v;
    if (!fast_value(&d, &v)) return slow_parse(s, n, out);
    *out = negative ? -v : v;
    return AIA_NUMBER_OK;
}
