/* Unit tests for lib/ml/forest on synthetic data with known answers. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/ml/forest.h"

#define NF 4

typedef struct data {
    size_t n;
    double *cols[NF];
    double *y;
    aia_matrix x;
} data;

/* y = XOR of x0 > 0.5 and x1 > 0.5; x2, x3 are noise; some x2 missing. */
static data *xor_data(size_t n, uint64_t seed)
{
    data *d = calloc(1, sizeof *d);
    d->n = n;
    aia_rng r;
    aia_rng_seed(&r, seed);
    for (int f = 0; f < NF; f++) d->cols[f] = malloc(n * sizeof(double));
    d->y = malloc(n * sizeof(double));
    for (size_t i = 0; i < n; i++) {
        for (int f = 0; f < NF; f++) d->cols[f][i] = aia_rng_uniform(&r);
        if (i % 9 == 0) d->cols[2][i] = NAN;
        d->y[i] = (d->cols[0][i] > 0.5) != (d->cols[1][i] > 0.5);
    }
    d->x = (aia_matrix){n, NF, (const double *const *)d->cols};
    return d;
}

static void data_free(data *d)
{
    for (int f = 0; f < NF; f++) free(d->cols[f]);
    free(d->y);
    free(d);
}

static double accuracy(const aia_forest *f, const data *d)
{
    size_t hit = 0;
    double row[NF], p[2];
    for (size_t i = 0; i < d->n; i++) {
        for (int c = 0; c < NF; c++) row[c] = d->cols[c][i];
        aia_forest_predict(f, row, p);
        hit += (p[1] > p[0]) == (d->y[i] > 0.5);
        assert_true(fabs(p[0] + p[1] - 1) < 1e-12);
    }
    return (double)hit / (double)d->n;
}

static void classifies_xor_with_a_sane_oob_estimate(void **state)
{
    (void)state;
    data *tr = xor_data(3000, 1), *te = xor_data(1000, 2);
    aia_forest_params p;
    aia_forest_params_default(&p);
    p.n_classes = 2;
    p.n_trees = 50;
    aia_forest *f;
    aia_error err;
    double oob;
    assert_int_equal(aia_forest_train(&p, &tr->x, tr->y, &oob, &f, &err), AIA_OK);
    double acc = accuracy(f, te);
    assert_true(acc > 0.95);
    /* The OOB estimate predicts held-out accuracy: close to it, not to the
     * training accuracy of 1.0. */
    assert_true(fabs(oob - acc) < 0.03);
    double gain[NF];
    int64_t splits[NF];
    aia_forest_importance(f, gain, splits);
    assert_true(fabs(gain[0] + gain[1] + gain[2] + gain[3] - 1) < 1e-9);
    assert_true(gain[0] > gain[2] && gain[1] > gain[3]);
    aia_forest_free(f);
    data_free(tr);
    data_free(te);
}

static void regression_averages_leaf_means(void **state)
{
    (void)state;
    data *d = xor_data(2000, 3);
    for (size_t i = 0; i < d->n; i++) d->y[i] = 3 * d->cols[0][i] + (d->cols[1][i] > 0.5 ? 2 : 0);
    aia_forest_params p;
    aia_forest_params_default(&p);
    p.n_trees = 30;
    aia_forest *f;
    aia_error err;
    double oob;
    assert_int_equal(aia_forest_train(&p, &d->x, d->y, &oob, &f, &err), AIA_OK);
    assert_int_equal(aia_forest_n_outputs(f), 1);
    assert_true(oob > 0.95); /* R^2 out of bag */
    double row[NF] = {0.5, 0.9, 0.1, 0.1}, v;
    aia_forest_predict(f, row, &v);
    assert_true(fabs(v - 3.5) < 0.2);
    aia_forest_free(f);
    data_free(d);
}

static void same_seed_same_forest_for_any_thread_count(void **state)
{
    (void)state;
    data *d = xor_data(800, 4), *te = xor_data(200, 5);
    aia_forest_params p;
    aia_forest_params_default(&p);
    p.n_classes = 2;
    p.n_trees = 12;
    p.seed = 9;
    p.threads = 1;
    aia_forest *a, *b, *c;
    aia_error err;
    assert_int_equal(aia_forest_train(&p, &d->x, d->y, NULL, &a, &err), AIA_OK);
    p.threads = 3;
    assert_int_equal(aia_forest_train(&p, &d->x, d->y, NULL, &b, &err), AIA_OK);
    p.seed = 10;
    assert_int_equal(aia_forest_train(&p, &d->x, d->y, NULL, &c, &err), AIA_OK);
    double *pa = malloc(2 * te->n * sizeof *pa), *pb = malloc(2 * te->n * sizeof *pb), *pc = malloc(2 * te->n * sizeof *pc);
    assert_int_equal(aia_forest_predict_batch(a, &te->x, pa, &err), AIA_OK);
    assert_int_equal(aia_forest_predict_batch(b, &te->x, pb, &err), AIA_OK);
    assert_int_equal(aia_forest_predict_batch(c, &te->x, pc, &err), AIA_OK);
    assert_memory_equal(pa, pb, 2 * te->n * sizeof *pa);
    assert_true(memcmp(pa, pc, 2 * te->n * sizeof *pa) != 0);
    free(pa);
    free(pb);
    free(pc);
    aia_forest_free(a);
    aia_forest_free(b);
    aia_forest_free(c);
    data_free(d);
    data_free(te);
}

static void bad_input_is_named(void **state)
{
    (void)state;
    data *d = xor_data(100, 6);
    aia_forest_params p;
    aia_forest_params_default(&p);
    aia_forest *f = NULL;
    aia_error err;
    p.n_classes = 1;
    assert_int_equal(aia_forest_train(&p, &d->x, d->y, NULL, &f, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "n_classes"));
    p.n_classes = 2;
    p.max_features = 1.5;
    assert_int_equal(aia_forest_train(&p, &d->x, d->y, NULL, &f, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "max_features"));
    p.max_features = 0;
    d->y[7] = 2;
    assert_int_equal(aia_forest_train(&p, &d->x, d->y, NULL, &f, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "row 7"));
    assert_null(f);
    d->y[7] = 0;
    aia_matrix narrow = {d->n, 2, d->x.col};
    assert_int_equal(aia_forest_train(&p, &d->x, d->y, NULL, &f, &err), AIA_OK);
    double *out = malloc(2 * d->n * sizeof *out);
    assert_int_equal(aia_forest_predict_batch(f, &narrow, out, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "2 features"));
    free(out);
    aia_forest_free(f);
    data_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(classifies_xor_with_a_sane_oob_estimate),
        cmocka_unit_test(regression_averages_leaf_means),
        cmocka_unit_test(same_seed_same_forest_for_any_thread_count),
        cmocka_unit_test(bad_input_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
