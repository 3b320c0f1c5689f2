/* tests/unit/drift/special_test.c — lib/drift/special against SciPy's values
 * (tests/data/drift/categorical_fixtures.txt) and against closed forms that
 * need no fixture.
 *
 * Tolerances: the house 1e-9 relative / 1e-12 absolute for every fixture;
 * the incomplete gamma is also held to 1e-12 relative, which it meets with
 * two orders to spare (the largest error seen is ~1e-13 at dof 1000, where
 * the value's own condition number, ~x, dominates).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "lib/drift/special.h"
#include "tests/unit/drift/categorical_fixtures.h"

static double rel_error(double actual, double expected) {
    return expected == 0.0 ? fabs(actual) : fabs(actual - expected) / fabs(expected);
}

/* Runs `kind` records of n_args arguments through f and checks each. */
static int check_records(const char *kind, size_t n_args, double (*f)(const double *args),
                         double strict_rel) {
    cf_file file;
    cf_open(&file);
    cf_record r;
    int count = 0;
    while (cf_next(&file, kind, &r)) {
        double args[2];
        for (size_t i = 0; i < n_args; i++) args[i] = cf_double(&r, 1 + i);
        double expected = cf_double(&r, 1 + n_args), actual = f(args);
        if (!cf_close_enough(actual, expected) ||
            (strict_rel > 0 && rel_error(actual, expected) > strict_rel))
            fail_msg("line %d: %s(%.17g%s%.17g) = %.17g, SciPy %.17g (rel %.2e)", r.line, kind,
                     args[0], n_args > 1 ? ", " : "", n_args > 1 ? args[1] : 0.0, actual,
                     expected, rel_error(actual, expected));
        count++;
    }
    cf_close(&file);
    return count;
}

static double call_lgamma(const double *a) { return aia_special_lgamma(a[0]); }
static double call_gamma_q(const double *a) { return aia_special_gamma_q(a[0], a[1]); }
/* Fixture order is (dof, x); the function's is (x, dof). */
static double call_chi2_sf(const double *a) { return aia_special_chi2_sf(a[1], a[0]); }
static double call_norm_sf(const double *a) { return aia_special_normal_sf(a[0]); }
static double call_norm_two(const double *a) { return aia_special_normal_two_sided(a[0]); }

static void test_lgamma_matches_scipy(void **state) {
    assert_true(check_records("lgamma", 1, call_lgamma, 0) >= 9);
}

static void test_gamma_q_matches_scipy(void **state) {
    assert_true(check_records("gamma_q", 2, call_gamma_q, 1e-12) >= 49);
}

static void test_chi2_sf_matches_scipy(void **state) {
    /* Includes tails down to ~1e-300 for large x. */
    assert_true(check_records("chi2_sf", 2, call_chi2_sf, 1e-12) >= 200);
}

static void test_normal_tails_match_scipy(void **state) {
    assert_true(check_records("norm_sf", 1, call_norm_sf, 0) >= 14);
    assert_true(check_records("norm_two_sided", 1, call_norm_two, 0) >= 14);
}

/* Q(n, x) = e^-x sum_{k<n} x^k / k! for integer n: an answer independent of
 * SciPy, on both sides of the series / continued-fraction switch. */
static void test_gamma_q_integer_closed_form(void **state) {
    const double xs[] = {0.01, 0.5, 1.0, 3.0, 7.5, 12.0, 30.0, 80.0};
    for (int n = 1; n <= 20; n++) {
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            double x = xs[i], term = 1.0, sum = 1.0;
            for (int k = 1; k < n; k++) {
                term *= x / k;
                sum += term;
            }
            double expected = exp(-x) * sum;
            double actual = aia_special_gamma_q(n, x);
            if (rel_error(actual, expected) > 1e-13)
                fail_msg("Q(%d, %g) = %.17g, closed form %.17g", n, x, actual, expected);
        }
    }
}

/* Q(1/2, x) = erfc(sqrt x): the chi-square with one degree of freedom. */
static void test_gamma_q_half_is_erfc(void **state) {
    for (double x = 0.001; x < 600.0; x *= 1.7) {
        double expected = erfc(sqrt(x));
        if (expected < 1e-300) break;
        assert_true(rel_error(aia_special_gamma_q(0.5, x), expected) < 1e-13);
    }
}

static void test_gamma_p_plus_q_is_one(void **state) {
    const double as[] = {0.3, 1.0, 4.5, 20.0, 250.0};
    const double fs[] = {0.2, 0.95, 1.0, 1.05, 3.0};
    for (size_t i = 0; i < 5; i++)
        for (size_t j = 0; j < 5; j++) {
            double a = as[i], x = a * fs[j];
            assert_true(fabs(aia_special_gamma_p(a, x) + aia_special_gamma_q(a, x) - 1.0) <
                        1e-14);
        }
}

static void test_domain_edges(void **state) {
    assert_true(aia_special_gamma_q(3.0, 0.0) == 1.0);
    assert_true(aia_special_gamma_p(3.0, 0.0) == 0.0);
    assert_true(aia_special_gamma_q(3.0, INFINITY) == 0.0);
    assert_true(aia_special_gamma_p(3.0, INFINITY) == 1.0);
    assert_true(isnan(aia_special_gamma_q(0.0, 1.0)));
    assert_true(isnan(aia_special_gamma_q(-1.0, 1.0)));
    assert_true(isnan(aia_special_gamma_q(1.0, -0.5)));
    assert_true(isnan(aia_special_gamma_q(NAN, 1.0)));
    assert_true(isnan(aia_special_gamma_q(1.0, NAN)));
    assert_true(isnan(aia_special_gamma_q(INFINITY, 1.0)));
    assert_true(aia_special_chi2_sf(0.0, 4.0) == 1.0);
    assert_true(aia_special_chi2_sf(-3.0, 4.0) == 1.0);
    assert_true(aia_special_chi2_sf(INFINITY, 4.0) == 0.0);
    assert_true(isnan(aia_special_chi2_sf(1.0, 0.0)));
    assert_true(isnan(aia_special_chi2_sf(NAN, 2.0)));
    /* A tail far past the double range underflows to 0, not NaN. */
    assert_true(aia_special_chi2_sf(5000.0, 3.0) == 0.0);
    assert_true(isinf(aia_special_lgamma(0.0)));
    assert_true(isinf(aia_special_lgamma(-2.0)));
    assert_true(aia_special_normal_two_sided(0.0) == 1.0);
    assert_true(aia_special_normal_two_sided(-2.5) == aia_special_normal_two_sided(2.5));
    assert_true(aia_special_normal_sf(0.0) == 0.5);
    /* Relative accuracy far out (1 - Phi would be 0 from z ~ 8.3) ... */
    assert_true(aia_special_normal_sf(37.0) > 1e-300);
    /* ... until the double range ends (~3.6e-350 at z = 40). */
    assert_true(aia_special_normal_sf(40.0) == 0.0);
}

/* A huge shape parameter still terminates quickly, near Q(a, a) -> 1/2. */
static void test_large_shape_terminates(void **state) {
    double q = aia_special_gamma_q(1e7, 1e7);
    assert_true(fabs(q - 0.5) < 1e-3);
    q = aia_special_gamma_q(1e7, 1e7 + 1e4); /* ~3.16 sigma above the mean */
    assert_true(q > 0.0 && q < 1e-2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lgamma_matches_scipy),
        cmocka_unit_test(test_gamma_q_matches_scipy),
        cmocka_unit_test(test_chi2_sf_matches_scipy),
        cmocka_unit_test(test_normal_tails_match_scipy),
        cmocka_unit_test(test_gamma_q_integer_closed_form),
        cmocka_unit_test(test_gamma_q_half_is_erfc),
        cmocka_unit_test(test_gamma_p_plus_q_is_one),
        cmocka_unit_test(test_domain_edges),
        cmocka_unit_test(test_large_shape_terminates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
