/* Unit tests for lib/base/rng. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/base/rng.h"

static void same_seed_same_stream(void **state)
{
    (void)state;
    aia_rng a, b, c;
    aia_rng_seed(&a, 42);
    aia_rng_seed(&b, 42);
    aia_rng_seed(&c, 43);
    int differs = 0;
    for (int i = 0; i < 100; i++) {
        uint64_t x = aia_rng_next(&a);
        assert_int_equal(x, aia_rng_next(&b));
        differs |= x != aia_rng_next(&c);
    }
    assert_true(differs);
}

static void seed_zero_is_mixed(void **state)
{
    (void)state;
    aia_rng r;
    aia_rng_seed(&r, 0);
    for (int i = 0; i < 4; i++) assert_true(r.s[i] != 0);
}

static void derived_streams_differ(void **state)
{
    (void)state;
    aia_rng a, b, a2;
    aia_rng_derive(&a, 7, 1);
    aia_rng_derive(&b, 7, 2);
    aia_rng_derive(&a2, 7, 1);
    assert_true(aia_rng_next(&a) != aia_rng_next(&b));
    aia_rng_derive(&a, 7, 1);
    assert_int_equal(aia_rng_next(&a), aia_rng_next(&a2));
}

static void uniform_is_in_range_with_the_right_mean(void **state)
{
    (void)state;
    aia_rng r;
    aia_rng_seed(&r, 1);
    double sum = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = aia_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        sum += u;
    }
    /* The mean of n uniforms has sd 1/sqrt(12 n) ≈ 0.00065; 6 sd is a generous bound. */
    assert_true(fabs(sum / n - 0.5) < 0.004);
}

static void below_is_unbiased_and_in_range(void **state)
{
    (void)state;
    aia_rng r;
    aia_rng_seed(&r, 2);
    int counts[7] = {0};
    const int n = 70000;
    for (int i = 0; i < n; i++) {
        uint64_t k = aia_rng_below(&r, 7);
        assert_true(k < 7);
        counts[k]++;
    }
    for (int k = 0; k < 7; k++) assert_true(abs(counts[k] - n / 7) < 600); /* ~6 sd */
    assert_int_equal(aia_rng_below(&r, 1), 0);
}

static void normal_has_mean_zero_and_unit_variance(void **state)
{
    (void)state;
    aia_rng r;
    aia_rng_seed(&r, 3);
    double sum = 0, sq = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double z = aia_rng_normal(&r);
        sum += z;
        sq += z * z;
    }
    assert_true(fabs(sum / n) < 0.015);
    assert_true(fabs(sq / n - 1.0) < 0.02);
}

static void shuffle_is_a_permutation(void **state)
{
    (void)state;
    aia_rng r;
    aia_rng_seed(&r, 4);
    struct big { int key; char pad[100]; } v[50]; /* larger than the swap buffer */
    for (int i = 0; i < 50; i++) v[i].key = i;
    aia_rng_shuffle(&r, v, 50, sizeof v[0]);
    int seen[50] = {0}, moved = 0;
    for (int i = 0; i < 50; i++) {
        seen[v[i].key]++;
        moved += v[i].key != i;
    }
    for (int i = 0; i < 50; i++) assert_int_equal(seen[i], 1);
    assert_true(moved > 25);
    aia_rng_shuffle(&r, v, 0, sizeof v[0]); /* empty and single-element arrays are fine */
    aia_rng_shuffle(&r, v, 1, sizeof v[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_stream),
        cmocka_unit_test(seed_zero_is_mixed),
        cmocka_unit_test(derived_streams_differ),
        cmocka_unit_test(uniform_is_in_range_with_the_right_mean),
        cmocka_unit_test(below_is_unbiased_and_in_range),
        cmocka_unit_test(normal_has_mean_zero_and_unit_variance),
        cmocka_unit_test(shuffle_is_a_permutation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
