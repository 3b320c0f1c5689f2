/* tests/unit/drift/categorical_test.c — lib/drift/categorical against SciPy
 * (tests/data/drift/categorical_fixtures.txt: seeded random counts with 2..50
 * categories and totals up to 10^6, identical, proportional and disjoint
 * distributions, a single category, categories on one side only), then the
 * conventions and the errors by hand. Tolerance: 1e-9 relative or 1e-12
 * absolute, as the issue asks.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/drift/categorical.h"
#include "tests/unit/drift/categorical_fixtures.h"

#define MAX_K 64

static void expect_close(const cf_record *r, const char *what, double actual, double expected) {
    if (!cf_close_enough(actual, expected))
        fail_msg("line %d (%s): %s = %.17g, SciPy %.17g", r->line, r->tokens[1], what, actual,
                 expected);
}

/* cat <name> <k> <ref x k> <cur x k> <chi2 stat> <chi2 p> <dof> <js> <linf> */
static void check_cat_record(const cf_record *r) {
    size_t k = (size_t)cf_int(r, 2);
    assert_true(k >= 1 && k <= MAX_K);
    int64_t ref[MAX_K], cur[MAX_K];
    size_t cur_only = 0;
    for (size_t i = 0; i < k; i++) {
        ref[i] = cf_int(r, 3 + i);
        cur[i] = cf_int(r, 3 + k + i);
        if (ref[i] == 0 && cur[i] > 0) cur_only++;
    }
    size_t at = 3 + 2 * k;
    double stat = cf_double(r, at), p = cf_double(r, at + 1);
    long long dof = cf_int(r, at + 2);
    double js = cf_double(r, at + 3), linf = cf_double(r, at + 4);

    aia_error err;
    aia_chi_square_result chi;
    assert_int_equal(aia_drift_chi_square(ref, cur, k, &chi, &err), AIA_OK);
    assert_int_equal(err.code, AIA_OK);
    assert_int_equal(chi.dof, (size_t)dof);
    assert_int_equal(chi.n_categories, (size_t)dof + 1);
    assert_int_equal(chi.n_cur_only, cur_only);
    if (isnan(p)) {
        /* SciPy has no p-value with one category; ours is 1 (no drift). */
        assert_int_equal(chi.n_categories, 1);
        assert_true(chi.statistic == 0.0 && chi.p_value == 1.0);
    } else {
        expect_close(r, "chi-square statistic", chi.statistic, stat);
        expect_close(r, "chi-square p-value", chi.p_value, p);
    }

    double d;
    assert_int_equal(aia_drift_jensen_shannon(ref, cur, k, &d, &err), AIA_OK);
    expect_close(r, "Jensen-Shannon", d, js);
    assert_int_equal(aia_drift_l_infinity(ref, cur, k, &d, &err), AIA_OK);
    expect_close(r, "L-infinity", d, linf);
}

static void test_categorical_match_scipy(void **state) {
    cf_file file;
    cf_open(&file);
    cf_record r;
    int count = 0, moderate_p = 0;
    while (cf_next(&file, "cat", &r)) {
        check_cat_record(&r);
        count++;
        size_t k = (size_t)cf_int(&r, 2);
        double p = cf_double(&r, 3 + 2 * k + 1);
        if (p > 1e-6 && p < 0.999) moderate_p++;
    }
    cf_close(&file);
    assert_true(count >= 70);
    assert_true(moderate_p >= 10); /* the p-values are not all 0 or 1 */
}

/* z <name> <ref_hits> <n_ref> <cur_hits> <n_cur> <statistic> <p_value> */
static void test_z_test_matches_scipy(void **state) {
    cf_file file;
    cf_open(&file);
    cf_record r;
    int count = 0;
    while (cf_next(&file, "z", &r)) {
        aia_z_test_result z;
        aia_error err;
        assert_int_equal(aia_drift_z_test(cf_int(&r, 2), cf_int(&r, 3), cf_int(&r, 4),
                                          cf_int(&r, 5), &z, &err),
                         AIA_OK);
        expect_close(&r, "z statistic", z.statistic, cf_double(&r, 6));
        expect_close(&r, "z p-value", z.p_value, cf_double(&r, 7));
        count++;
    }
    cf_close(&file);
    assert_true(count >= 38);
}

static void test_chi_square_new_category_is_drift(void **state) {
    const int64_t ref[] = {50, 50, 0}, cur[] = {45, 40, 15};
    aia_chi_square_result chi;
    assert_int_equal(aia_drift_chi_square(ref, cur, 3, &chi, NULL), AIA_OK);
    assert_true(isinf(chi.statistic) && chi.statistic > 0);
    assert_true(chi.p_value == 0.0);
    assert_int_equal(chi.n_cur_only, 1);
    assert_int_equal(chi.dof, 2);
    assert_int_equal(chi.n_ref, 100);
    assert_int_equal(chi.n_cur, 100);
}

static void test_zero_on_both_sides_is_ignored(void **state) {
    const int64_t ref[] = {0, 10, 0, 20}, cur[] = {0, 12, 0, 18};
    const int64_t ref2[] = {10, 20}, cur2[] = {12, 18};
    aia_chi_square_result a, b;
    assert_int_equal(aia_drift_chi_square(ref, cur, 4, &a, NULL), AIA_OK);
    assert_int_equal(aia_drift_chi_square(ref2, cur2, 2, &b, NULL), AIA_OK);
    assert_int_equal(a.dof, 1);
    assert_true(a.statistic == b.statistic && a.p_value == b.p_value);
}

static void test_distances_identical_and_disjoint(void **state) {
    const int64_t a[] = {3, 0, 7}, b[] = {30, 0, 70}, c[] = {0, 5, 0};
    double d;
    assert_int_equal(aia_drift_jensen_shannon(a, b, 3, &d, NULL), AIA_OK);
    assert_true(d == 0.0);
    assert_int_equal(aia_drift_l_infinity(a, b, 3, &d, NULL), AIA_OK);
    assert_true(d == 0.0);
    assert_int_equal(aia_drift_jensen_shannon(a, c, 3, &d, NULL), AIA_OK);
    assert_true(fabs(d - 1.0) < 1e-15);
    assert_int_equal(aia_drift_l_infinity(a, c, 3, &d, NULL), AIA_OK);
    assert_true(d == 1.0);
}

static void test_jensen_shannon_is_symmetric(void **state) {
    const int64_t a[] = {5, 9, 1, 0, 22}, b[] = {7, 2, 2, 4, 10};
    double ab, ba;
    assert_int_equal(aia_drift_jensen_shannon(a, b, 5, &ab, NULL), AIA_OK);
    assert_int_equal(aia_drift_jensen_shannon(b, a, 5, &ba, NULL), AIA_OK);
    assert_true(fabs(ab - ba) < 1e-15);
    assert_true(ab > 0.0 && ab < 1.0);
}

static void test_z_test_conventions(void **state) {
    aia_z_test_result z;
    /* One and the same category on both sides: no variance, no drift. */
    assert_int_equal(aia_drift_z_test(0, 10, 0, 20, &z, NULL), AIA_OK);
    assert_true(z.statistic == 0.0 && z.p_value == 1.0);
    assert_int_equal(aia_drift_z_test(10, 10, 20, 20, &z, NULL), AIA_OK);
    assert_true(z.statistic == 0.0 && z.p_value == 1.0);
    /* Counting the other category flips the sign only. */
    aia_z_test_result flipped;
    assert_int_equal(aia_drift_z_test(30, 100, 45, 120, &z, NULL), AIA_OK);
    assert_int_equal(aia_drift_z_test(70, 100, 75, 120, &flipped, NULL), AIA_OK);
    assert_true(fabs(z.statistic + flipped.statistic) < 1e-12);
    assert_true(fabs(z.p_value - flipped.p_value) < 1e-15);
    assert_true(z.statistic < 0.0); /* p_ref 0.3 < p_cur 0.375 */
    assert_true(fabs(z.p_ref - 0.3) < 1e-15 && fabs(z.p_pooled - 75.0 / 220.0) < 1e-15);
}

/* Runs f and checks the error code and a fragment of the message. */
#define EXPECT_INVALID(call, fragment)                                                 \
    do {                                                                               \
        aia_error e_;                                                                  \
        aia_error_clear(&e_);                                                          \
        aia_status st_ = (call);                                                       \
        assert_int_equal(st_, AIA_INVALID_ARGUMENT);                                   \
        assert_int_equal(e_.code, AIA_INVALID_ARGUMENT);                               \
        if (strstr(e_.message, (fragment)) == NULL)                                    \
            fail_msg("message '%s' lacks '%s'", e_.message, (fragment));               \
    } while (0)

static void test_count_errors(void **state) {
    const int64_t ok[] = {1, 2, 3}, neg[] = {1, 2, -3}, zero[] = {0, 0, 0};
    const int64_t huge[] = {INT64_C(1) << 52, INT64_C(1) << 52, 1};
    aia_chi_square_result chi;
    double d;
    EXPECT_INVALID(aia_drift_chi_square(ok, ok, 0, &chi, &e_), "no categories");
    EXPECT_INVALID(aia_drift_chi_square(NULL, ok, 3, &chi, &e_), "ref_counts is NULL");
    EXPECT_INVALID(aia_drift_chi_square(ok, NULL, 3, &chi, &e_), "cur_counts is NULL");
    EXPECT_INVALID(aia_drift_chi_square(ok, ok, 3, NULL, &e_), "result pointer");
    EXPECT_INVALID(aia_drift_chi_square(neg, ok, 3, &chi, &e_), "ref_counts[2] = -3");
    EXPECT_INVALID(aia_drift_chi_square(ok, neg, 3, &chi, &e_), "cur_counts[2] = -3");
    EXPECT_INVALID(aia_drift_chi_square(zero, ok, 3, &chi, &e_), "ref_counts: all 3");
    EXPECT_INVALID(aia_drift_chi_square(ok, zero, 3, &chi, &e_), "cur_counts: all 3");
    EXPECT_INVALID(aia_drift_chi_square(huge, ok, 3, &chi, &e_), "exceeds 2^53 at index 2");
    EXPECT_INVALID(aia_drift_jensen_shannon(ok, zero, 3, &d, &e_), "cur_counts: all");
    EXPECT_INVALID(aia_drift_jensen_shannon(ok, ok, 0, &d, &e_), "no categories");
    EXPECT_INVALID(aia_drift_jensen_shannon(neg, ok, 3, &d, &e_), "negative");
    EXPECT_INVALID(aia_drift_l_infinity(ok, neg, 3, &d, &e_), "cur_counts[2]");
    EXPECT_INVALID(aia_drift_l_infinity(zero, ok, 3, &d, &e_), "ref_counts: all");
    EXPECT_INVALID(aia_drift_l_infinity(ok, ok, 3, NULL, &e_), "result pointer");
    /* A NULL aia_error is allowed: the code still says what happened. */
    assert_int_equal(aia_drift_chi_square(neg, ok, 3, &chi, NULL), AIA_INVALID_ARGUMENT);
}

static void test_z_test_errors(void **state) {
    aia_z_test_result z;
    EXPECT_INVALID(aia_drift_z_test(1, 0, 1, 5, &z, &e_), "n_ref = 0");
    EXPECT_INVALID(aia_drift_z_test(1, 5, 1, -5, &z, &e_), "n_cur = -5");
    EXPECT_INVALID(aia_drift_z_test(6, 5, 1, 5, &z, &e_), "ref_hits = 6");
    EXPECT_INVALID(aia_drift_z_test(1, 5, -1, 5, &z, &e_), "cur_hits = -1");
    EXPECT_INVALID(aia_drift_z_test(1, 5, 1, 5, NULL, &e_), "result pointer");
    EXPECT_INVALID(aia_drift_z_test(1, INT64_MAX, 1, 5, &z, &e_), "1..2^53");
}

static void test_success_clears_error(void **state) {
    const int64_t ok[] = {1, 2};
    aia_error err;
    aia_error_set(&err, AIA_INTERNAL, "stale");
    double d;
    assert_int_equal(aia_drift_l_infinity(ok, ok, 2, &d, &err), AIA_OK);
    assert_int_equal(err.code, AIA_OK);
    assert_string_equal(err.message, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_categorical_match_scipy),
        cmocka_unit_test(test_z_test_matches_scipy),
        cmocka_unit_test(test_chi_square_new_category_is_drift),
        cmocka_unit_test(test_zero_on_both_sides_is_ignored),
        cmocka_unit_test(test_distances_identical_and_disjoint),
        cmocka_unit_test(test_jensen_shannon_is_symmetric),
        cmocka_unit_test(test_z_test_conventions),
        cmocka_unit_test(test_count_errors),
        cmocka_unit_test(test_z_test_errors),
        cmocka_unit_test(test_success_clears_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
