/* Unit tests for lib/data/number: the fast parser must agree with strtod
 * bit for bit, and reject what is not a plain decimal number. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/data/number.h"

/* Parses `text` with both and fails on the first bit difference. */
static void assert_same_as_strtod(const char *text)
{
    double ours = 12345.0;
    aia_number_result res = aia_number_parse(text, strlen(text), &ours);
    double theirs = strtod(text, NULL);
    if (isinf(theirs)) {
        if (res != AIA_NUMBER_RANGE) fail_msg("'%s': expected RANGE, got %d", text, res);
        return;
    }
    if (res != AIA_NUMBER_OK) fail_msg("'%s': not parsed (result %d)", text, res);
    uint64_t a, b;
    memcpy(&a, &ours, sizeof a);
    memcpy(&b, &theirs, sizeof b);
    if (a != b) fail_msg("'%s': ours %.17g (0x%016llx), strtod %.17g (0x%016llx)", text, ours,
                         (unsigned long long)a, theirs, (unsigned long long)b);
}

static void simple_values(void **state)
{
    (void)state;
    const char *cases[] = {
        "0", "-0", "+0", "1", "-1", "+1", "0.5", ".5", "5.", "-.5", "1e3", "1E3", "1e+3",
        "1e-3", "123.456", "0.1", "0.2", "0.3", "3.141592653589793", "2.718281828459045",
        "1.7976931348623157e308", "2.2250738585072014e-308", "4.9406564584124654e-324",
        "2.4703282292062327e-324", "2.4703282292062328e-324", "1e-400", "-1e-400",
        "9007199254740993", "9007199254740992", "9007199254740991", "18446744073709551615",
        "18446744073709551616", "1e23", "8.98846567431158e307", "0.000000000000000000001",
        "00000000000000000000000000000001.5", "1.00000000000000011102230246251565404236316680908203125",
        "1.00000000000000011102230246251565404236316680908203124",
        "1.00000000000000011102230246251565404236316680908203126",
        "7.2057594037927933e16", "123456789012345678901234567890", "1e308", "1e309", "-1e309",
        "0e999999", "1e-99999", "1e99999",
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) assert_same_as_strtod(cases[i]);
    double v = 1;
    assert_int_equal(aia_number_parse("-0", 2, &v), AIA_NUMBER_OK);
    assert_true(v == 0.0 && signbit(v));
}

static void rejects_what_is_not_a_plain_number(void **state)
{
    (void)state;
    const char *bad[] = {
        "", "+", "-", ".", "e5", "1e", "1e+", "1e-", " 1", "1 ", "\t1", "0x10", "0x1p3",
        "inf", "-inf", "Infinity", "nan", "NaN", "1,5", "1.5.2", "--1", "+-1", "1e5.5",
        "1..2", "abc", "1a", "١", "1_000", ".e1", "1e1e1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 42.0;
        aia_number_result res = aia_number_parse(bad[i], strlen(bad[i]), &v);
        if (res != AIA_NUMBER_SYNTAX) fail_msg("'%s' should be a syntax error, got %d", bad[i], res);
        assert_true(v == 42.0);
    }
    double v = 0;
    assert_int_equal(aia_number_parse("1e309", 5, &v), AIA_NUMBER_RANGE);
    /* Not NUL-terminated: only the first n bytes count. */
    assert_int_equal(aia_number_parse("12x", 2, &v), AIA_NUMBER_OK);
    assert_true(v == 12.0);
}

/* Round-trip text of random doubles at every precision. */
static void random_doubles_match_strtod(void **state)
{
    (void)state;
    aia_rng rng;
    aia_rng_seed(&rng, 20261126);
    char buf[64];
    for (int i = 0; i < 300000; i++) {
        uint64_t bits = aia_rng_next(&rng);
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d)) continue;
        int digits = 1 + (int)aia_rng_below(&rng, 17);
        snprintf(buf, sizeof buf, "%.*g", digits, d);
        assert_same_as_strtod(buf);
        snprintf(buf, sizeof buf, "%.17g", d);
        assert_same_as_strtod(buf);
    }
}

/* Typical data: moderate magnitudes written with %.{1..19}f / %.17g, the
 * inputs that take the fast path. */
static void random_typical_values_match_strtod(void **state)
{
    (void)state;
    aia_rng rng;
    aia_rng_seed(&rng, 7);
    char buf[96];
    for (int i = 0; i < 300000; i++) {
        double x = aia_rng_normal(&rng) * pow(10.0, (double)aia_rng_below(&rng, 25) - 12.0);
        int digits = (int)aia_rng_below(&rng, 20);
        snprintf(buf, sizeof buf, "%.*f", digits, x);
        assert_same_as_strtod(buf);
        snprintf(buf, sizeof buf, "%.17g", x);
        assert_same_as_strtod(buf);
        snprintf(buf, sizeof buf, "%.*e", digits, x);
        assert_same_as_strtod(buf);
    }
}

/* Random digit strings: up to 24 digits, a decimal point anywhere and an
 * exponent, including the long and far-out inputs that need strtod. */
static void random_digit_strings_match_strtod(void **state)
{
    (void)state;
    aia_rng rng;
    aia_rng_seed(&rng, 99);
    char buf[96];
    for (int i = 0; i < 300000; i++) {
        size_t n = 0;
        if (aia_rng_below(&rng, 4) == 0) buf[n++] = '-';
        int len = 1 + (int)aia_rng_below(&rng, 24);
        int point = (int)aia_rng_below(&rng, (uint64_t)len + 2) - 1; /* -1: no point */
        for (int k = 0; k < len; k++) {
            if (k == point) buf[n++] = '.';
            buf[n++] = (char)('0' + aia_rng_below(&rng, 10));
        }
        if (aia_rng_below(&rng, 2)) {
            n += (size_t)snprintf(buf + n, sizeof buf - n, "e%d",
                                  (int)aia_rng_below(&rng, 700) - 350);
        }
        buf[n] = '\0';
        assert_same_as_strtod(buf);
    }
}

/* Decimal midpoints between adjacent doubles, and their neighbours, are the
 * cases where a second rounding could go wrong. */
static void midpoints_match_strtod(void **state)
{
    (void)state;
    aia_rng rng;
    aia_rng_seed(&rng, 5);
    char buf[128];
    for (int i = 0; i < 20000; i++) {
        /* m * 2^e with m odd and 54 bits: exactly halfway between two doubles. */
        uint64_t m = (aia_rng_next(&rng) >> 10) | ((uint64_t)1 << 53) | 1;
        int e = (int)aia_rng_below(&rng, 40) - 20;
        long double x = ldexpl((long double)m, e);
        snprintf(buf, sizeof buf, "%.40Lg", x);
        assert_same_as_strtod(buf);
        snprintf(buf, sizeof buf, "%.19Lg", x);
        assert_same_as_strtod(buf);
        snprintf(buf, sizeof buf, "%.18Lg", x);
        assert_same_as_strtod(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(simple_values),
        cmocka_unit_test(rejects_what_is_not_a_plain_number),
        cmocka_unit_test(random_doubles_match_strtod),
        cmocka_unit_test(random_typical_values_match_strtod),
        cmocka_unit_test(random_digit_strings_match_strtod),
        cmocka_unit_test(midpoints_match_strtod),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
