/* tests/unit/llm/sample_test.c — next-token sampling: greedy choice and ties,
 * reproducibility for a seed, top-k 1 and a tiny top-p equal greedy, top-k /
 * top-p restrict the support, drawn frequencies follow the softmax at the
 * temperature, bad configs and logits are refused. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lib/llm/sample.h"

enum { V = 50 };

static void make_logits(float *l, uint64_t seed) {
    for (int i = 0; i < V; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        l[i] = (float)((seed >> 40) % 1000) / 200.0f - 2.5f;
    }
}

static aia_sampler *make(float temp, int32_t k, float p, uint64_t seed) {
    aia_sampler_config cfg = {temp, k, p, seed};
    aia_sampler *s = NULL;
    aia_error err;
    aia_status st = aia_sampler_create(&cfg, V, &s, &err);
    if (st != AIA_OK) fail_msg("%s", err.message);
    return s;
}

static int32_t draw(aia_sampler *s, const float *l) {
    int32_t t = -1;
    aia_error err;
    aia_status st = aia_sampler_sample(s, l, &t, &err);
    if (st != AIA_OK) fail_msg("%s", err.message);
    assert_true(t >= 0 && t < V);
    return t;
}

static int32_t argmax_by_hand(const float *l) {
    int32_t b = 0;
    for (int i = 1; i < V; i++)
        if (l[i] > l[b]) b = i;
    return b;
}

static void test_greedy_and_ties(void **state) {
    (void)state;
    float l[V];
    for (uint64_t seed = 1; seed < 20; seed++) {
        make_logits(l, seed);
        aia_sampler *s = make(0.0f, 0, 1.0f, seed);
        assert_int_equal(draw(s, l), argmax_by_hand(l));
        aia_sampler_destroy(s);
    }
    for (int i = 0; i < V; i++) l[i] = 0.0f;
    l[7] = l[3] = l[40] = 1.0f; /* three-way tie: lowest id */
    aia_sampler *s = make(0.0f, 0, 1.0f, 1);
    assert_int_equal(draw(s, l), 3);
    aia_sampler_destroy(s);
    assert_int_equal(aia_sample_argmax(l, V), 3);
}

static void test_seed_reproducible(void **state) {
    (void)state;
    float l[V];
    make_logits(l, 5);
    int32_t a[200], b[200], c[200];
    aia_sampler *s1 = make(1.0f, 0, 1.0f, 42), *s2 = make(1.0f, 0, 1.0f, 42), *s3 = make(1.0f, 0, 1.0f, 43);
    for (int i = 0; i < 200; i++) {
        a[i] = draw(s1, l);
        b[i] = draw(s2, l);
        c[i] = draw(s3, l);
    }
    assert_memory_equal(a, b, sizeof a);
    assert_true(memcmp(a, c, sizeof a) != 0); /* another seed, another stream */
    aia_sampler_destroy(s1);
    aia_sampler_destroy(s2);
    aia_sampler_destroy(s3);
}

static void test_top_k_1_and_tiny_top_p_are_greedy(void **state) {
    (void)state;
    float l[V];
    for (uint64_t seed = 1; seed < 30; seed++) {
        make_logits(l, seed);
        aia_sampler *k1 = make(1.5f, 1, 1.0f, seed), *p0 = make(1.5f, 0, 1e-6f, seed),
                    *both = make(0.7f, 10, 1e-6f, seed);
        for (int i = 0; i < 20; i++) {
            assert_int_equal(draw(k1, l), argmax_by_hand(l));
            assert_int_equal(draw(p0, l), argmax_by_hand(l));
            assert_int_equal(draw(both, l), argmax_by_hand(l));
        }
        aia_sampler_destroy(k1);
        aia_sampler_destroy(p0);
        aia_sampler_destroy(both);
    }
}

static void test_top_k_and_top_p_restrict(void **state) {
    (void)state;
    float l[V];
    for (int i = 0; i < V; i++) l[i] = (float)i * 0.01f; /* nearly flat: high ids best */
    aia_sampler *k = make(1.0f, 5, 1.0f, 9);
    int seen[V] = {0};
    for (int i = 0; i < 2000; i++) seen[draw(k, l)]++;
    for (int i = 0; i < V; i++)
        if (i < V - 5) assert_int_equal(seen[i], 0);
        else assert_true(seen[i] > 0);
    aia_sampler_destroy(k);
    /* Probabilities 0.5, 0.25, 0.125, ...: top_p 0.7 keeps exactly two. */
    for (int i = 0; i < V; i++) l[i] = -(float)i * logf(2.0f);
    aia_sampler *p = make(1.0f, 0, 0.7f, 9);
    memset(seen, 0, sizeof seen);
    for (int i = 0; i < 3000; i++) seen[draw(p, l)]++;
    assert_true(seen[0] > 0 && seen[1] > 0);
    for (int i = 2; i < V; i++) assert_int_equal(seen[i], 0);
    /* Renormalised over the two: 2/3 and 1/3. */
    assert_true(fabs(seen[0] / 3000.0 - 2.0 / 3.0) < 0.04);
    aia_sampler_destroy(p);
}

static void test_distribution_follows_softmax(void **state) {
    (void)state;
    float l[V];
    for (int i = 0; i < V; i++) l[i] = -10.0f;
    l[2] = 1.0f;
    l[5] = 0.0f;
    l[9] = -1.0f;
    const float temps[] = {1.0f, 0.5f, 2.0f};
    for (int ti = 0; ti < 3; ti++) {
        double z = 0, p[V];
        for (int i = 0; i < V; i++) z += p[i] = exp(l[i] / temps[ti]);
        aia_sampler *s = make(temps[ti], 0, 1.0f, 100 + (uint64_t)ti);
        int seen[V] = {0}, n = 20000;
        for (int i = 0; i < n; i++) seen[draw(s, l)]++;
        for (int i = 0; i < V; i++) {
            double want = p[i] / z, sd = sqrt(want * (1 - want) / n);
            /* 5 standard deviations (plus a floor for the rare ids). */
            if (fabs(seen[i] / (double)n - want) > 5 * sd + 1e-3)
                fail_msg("T=%g id %d: %g vs %g", (double)temps[ti], i, seen[i] / (double)n, want);
        }
        aia_sampler_destroy(s);
    }
}

static void test_bad_config_and_logits(void **state) {
    (void)state;
    aia_sampler *s = NULL;
    aia_error err;
    aia_sampler_config bad[] = {{-1.0f, 0, 1.0f, 0}, {NAN, 0, 1.0f, 0}, {INFINITY, 0, 1.0f, 0},
                                {1.0f, -1, 1.0f, 0}, {1.0f, 0, 0.0f, 0}, {1.0f, 0, 1.5f, 0}};
    const char *field[] = {"temperature", "temperature", "temperature", "top_k", "top_p", "top_p"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(aia_sampler_create(&bad[i], V, &s, &err), AIA_INVALID_ARGUMENT);
        assert_non_null(strstr(err.message, field[i]));
        assert_null(s);
    }
    aia_sampler_config ok = {1.0f, 0, 1.0f, 0};
    assert_int_equal(aia_sampler_create(&ok, 0, &s, &err), AIA_INVALID_ARGUMENT);
    s = make(1.0f, 0, 1.0f, 0);
    float l[V];
    make_logits(l, 3);
    l[17] = NAN;
    int32_t t;
    assert_int_equal(aia_sampler_sample(s, l, &t, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "17"));
    l[17] = -INFINITY;
    assert_int_equal(aia_sampler_sample(s, l, &t, &err), AIA_INVALID_ARGUMENT);
    aia_sampler_destroy(s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greedy_and_ties),
        cmocka_unit_test(test_seed_reproducible),
        cmocka_unit_test(test_top_k_1_and_tiny_top_p_are_greedy),
        cmocka_unit_test(test_top_k_and_top_p_restrict),
        cmocka_unit_test(test_distribution_follows_softmax),
        cmocka_unit_test(test_bad_config_and_logits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
