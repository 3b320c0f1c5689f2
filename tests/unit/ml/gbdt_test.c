/* Unit tests for lib/ml/binning and lib/ml/gbdt on synthetic data whose
 * answers are known: step functions, XOR, linear trends, missing values
 * that carry the signal, and bad parameters. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/ml/binning.h"
#include "lib/ml/gbdt.h"

/* A synthetic data set: n rows, nf columns (owned), labels (owned). */
typedef struct synth {
    size_t n, nf;
    double **cols;
    double *y;
    aia_gbdt_data data;
} synth;

static synth *synth_new(size_t n, size_t nf)
{
    synth *s = calloc(1, sizeof *s);
    s->n = n;
    s->nf = nf;
    s->cols = calloc(nf, sizeof *s->cols);
    for (size_t f = 0; f < nf; f++) s->cols[f] = calloc(n, sizeof(double));
    s->y = calloc(n, sizeof(double));
    s->data = (aia_gbdt_data){{n, nf, (const double *const *)s->cols}, s->y, NULL};
    return s;
}

static void synth_free(synth *s)
{
    for (size_t f = 0; f < s->nf; f++) free(s->cols[f]);
    free(s->cols);
    free(s->y);
    free(s);
}

static void row_of(const synth *s, size_t i, double *row)
{
    for (size_t f = 0; f < s->nf; f++) row[f] = s->cols[f][i];
}

/* y = 1 when x0 and x1 are on different sides of 0.5 (XOR), plus noise features. */
static synth *xor_data(size_t n, uint64_t seed)
{
    synth *s = synth_new(n, 4);
    aia_rng r;
    aia_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        for (size_t f = 0; f < 4; f++) s->cols[f][i] = aia_rng_uniform(&r);
        s->y[i] = (s->cols[0][i] > 0.5) != (s->cols[1][i] > 0.5);
    }
    return s;
}

static double accuracy(const aia_gbdt_model *m, const synth *s)
{
    size_t hit = 0;
    double row[16], p[8];
    for (size_t i = 0; i < s->n; i++) {
        row_of(s, i, row);
        aia_gbdt_predict(m, row, p);
        int k = 0;
        if (aia_gbdt_n_outputs(m) == 1) k = p[0] > 0.5;
        else
            for (int c = 1; c < aia_gbdt_n_outputs(m); c++)
                if (p[c] > p[k]) k = c;
        hit += k == (int)s->y[i];
    }
    return (double)hit / (double)s->n;
}

static aia_gbdt_model *train_ok(const aia_gbdt_params *p, const synth *tr, const synth *va)
{
    aia_gbdt_model *m = NULL;
    aia_error err;
    aia_status st = aia_gbdt_train(p, &tr->data, va ? &va->data : NULL, NULL, NULL, &m, &err);
    if (st != AIA_OK) fail_msg("training failed: %s", err.message);
    return m;
}

static void bins_of_few_distinct_values_are_exact(void **state)
{
    (void)state;
    double v[] = {3, 1, 2, 2, NAN, 1, 3};
    aia_bin_mapper m;
    aia_error err;
    assert_int_equal(aia_bin_mapper_build(v, 7, 255, 0, &m, &err), AIA_OK);
    assert_int_equal(m.n_bins, 3);
    assert_int_equal(aia_bin_of(&m, 1), 0);
    assert_int_equal(aia_bin_of(&m, 2), 1);
    assert_int_equal(aia_bin_of(&m, 3), 2);
    assert_int_equal(aia_bin_of(&m, 100), 2);
    assert_int_equal(aia_bin_of(&m, -100), 0);
    assert_int_equal(aia_bin_of(&m, NAN), m.missing_bin);
    aia_bin_mapper_free(&m);
}

static void bins_of_many_values_are_balanced(void **state)
{
    (void)state;
    size_t n = 100000;
    double *v = malloc(n * sizeof *v);
    aia_rng r;
    aia_rng_seed(&r, 5);
    for (size_t i = 0; i < n; i++) v[i] = aia_rng_normal(&r);
    aia_bin_mapper m;
    aia_error err;
    assert_int_equal(aia_bin_mapper_build(v, n, 64, 0, &m, &err), AIA_OK);
    assert_int_equal(m.n_bins, 64);
    size_t counts[64] = {0};
    for (size_t i = 0; i < n; i++) counts[aia_bin_of(&m, v[i])]++;
    for (int b = 0; b < 64; b++) assert_true(counts[b] > n / 64 / 2 && counts[b] < n / 64 * 2);
    for (int b = 0; b + 1 < m.n_bins - 1; b++) assert_true(m.upper[b] < m.upper[b + 1]);
    aia_bin_mapper_free(&m);
    assert_int_equal(aia_bin_mapper_build(v, n, 1, 0, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "max_bins"));
    free(v);
}

static void adjacent_doubles_get_separate_bins(void **state)
{
    (void)state;
    double a = 1.0, b = nextafter(1.0, 2.0);
    double v[] = {a, b, a, b};
    aia_bin_mapper m;
    aia_error err;
    assert_int_equal(aia_bin_mapper_build(v, 4, 255, 0, &m, &err), AIA_OK);
    assert_int_equal(m.n_bins, 2);
    assert_int_equal(aia_bin_of(&m, a), 0);
    assert_int_equal(aia_bin_of(&m, b), 1);
    aia_bin_mapper_free(&m);
}

static void learns_xor(void **state)
{
    (void)state;
    synth *tr = xor_data(4000, 1), *te = xor_data(2000, 2);
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_BINARY;
    aia_gbdt_model *m = train_ok(&p, tr, NULL);
    /* A linear model cannot beat 0.5 here; trees must split on both x0 and x1. */
    assert_true(accuracy(m, te) > 0.97);
    double gain[4];
    int64_t splits[4];
    aia_gbdt_importance(m, gain, splits);
    assert_true(gain[0] > 5 * gain[2] && gain[1] > 5 * gain[3]);
    assert_true(splits[0] > 0 && splits[1] > 0);
    aia_gbdt_free(m);
    synth_free(tr);
    synth_free(te);
}

static void regression_fits_a_step_and_a_trend(void **state)
{
    (void)state;
    synth *s = synth_new(3000, 2);
    aia_rng r;
    aia_rng_seed(&r, 3);
    for (size_t i = 0; i < s->n; i++) {
        /* x0 takes 10 values, so each has a bin and the step is exact; the
         * trend in x1 is what the trees approximate. */
        s->cols[0][i] = (double)aia_rng_below(&r, 10);
        s->cols[1][i] = aia_rng_uniform(&r);
        s->y[i] = (s->cols[0][i] > 5 ? 10 : 0) + 2 * s->cols[1][i];
    }
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_REGRESSION;
    p.n_rounds = 200;
    aia_gbdt_model *m = train_ok(&p, s, NULL);
    double row[2], pred, sse = 0;
    for (size_t i = 0; i < s->n; i++) {
        row_of(s, i, row);
        aia_gbdt_predict(m, row, &pred);
        sse += (pred - s->y[i]) * (pred - s->y[i]);
    }
    assert_true(sqrt(sse / (double)s->n) < 0.05); /* the target's sd is about 5 */
    aia_gbdt_free(m);
    synth_free(s);
}

static void multiclass_separates_three_bands(void **state)
{
    (void)state;
    synth *s = synth_new(3000, 2);
    aia_rng r;
    aia_rng_seed(&r, 4);
    for (size_t i = 0; i < s->n; i++) {
        s->cols[0][i] = aia_rng_uniform(&r);
        s->cols[1][i] = aia_rng_uniform(&r);
        s->y[i] = s->cols[0][i] < 0.33 ? 0 : s->cols[0][i] < 0.66 ? 1 : 2;
    }
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_MULTICLASS;
    p.n_classes = 3;
    p.n_rounds = 30;
    aia_gbdt_model *m = train_ok(&p, s, NULL);
    assert_int_equal(aia_gbdt_n_outputs(m), 3);
    assert_true(accuracy(m, s) > 0.98);
    double row[2] = {0.1, 0.5}, prob[3];
    aia_gbdt_predict(m, row, prob);
    assert_true(fabs(prob[0] + prob[1] + prob[2] - 1) < 1e-12);
    assert_true(prob[0] > 0.9);
    aia_gbdt_free(m);
    synth_free(s);
}

static void missing_values_carry_signal(void **state)
{
    (void)state;
    /* The label is 1 exactly when x0 is missing: only the learned default
     * direction of the missing bin can express that. */
    synth *s = synth_new(2000, 1);
    aia_rng r;
    aia_rng_seed(&r, 6);
    for (size_t i = 0; i < s->n; i++) {
        int miss = aia_rng_uniform(&r) < 0.3;
        s->cols[0][i] = miss ? NAN : aia_rng_uniform(&r);
        s->y[i] = miss;
    }
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_BINARY;
    p.n_rounds = 20;
    aia_gbdt_model *m = train_ok(&p, s, NULL);
    assert_true(accuracy(m, s) == 1.0);
    aia_gbdt_free(m);
    synth_free(s);
}

static void categorical_splits_group_unordered_categories(void **state)
{
    (void)state;
    /* The label is set for an arbitrary subset of 12 categories: a numeric
     * split on the codes would need many thresholds, a categorical split
     * gets it in one. Some rows miss the feature; code 11 never appears in
     * training and must go where missing values go. */
    static const int positive[12] = {0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0, 1};
    synth *s = synth_new(3000, 2);
    uint8_t cat[2] = {1, 0};
    s->data.categorical = cat;
    aia_rng r;
    aia_rng_seed(&r, 14);
    for (size_t i = 0; i < s->n; i++) {
        int c = (int)aia_rng_below(&r, 11);
        int miss = aia_rng_uniform(&r) < 0.05;
        s->cols[0][i] = miss ? NAN : c;
        s->cols[1][i] = aia_rng_uniform(&r);
        s->y[i] = miss ? 0 : positive[c];
    }
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_BINARY;
    p.n_rounds = 10;
    p.max_leaves = 2; /* stumps: only a many-vs-many split can separate the classes */
    aia_gbdt_model *m = train_ok(&p, s, NULL);
    assert_true(accuracy(m, s) == 1.0);
    double row[2] = {11, 0.5}, p_unseen, p_missing;
    aia_gbdt_predict(m, row, &p_unseen);
    row[0] = NAN;
    aia_gbdt_predict(m, row, &p_missing);
    assert_true(p_unseen == p_missing && p_missing < 0.5);
    row[0] = 2.5; /* not a code: treated as unseen */
    aia_gbdt_predict(m, row, &p_unseen);
    assert_true(p_unseen == p_missing);
    aia_gbdt_free(m);

    s->cols[0][17] = -1;
    aia_gbdt_model *none = NULL;
    aia_error err;
    assert_int_equal(aia_gbdt_train(&p, &s->data, NULL, NULL, NULL, &none, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "feature 0 is categorical but row 17 holds -1"));
    synth_free(s);
}

static void same_seed_same_model_and_subsampling_changes_it(void **state)
{
    (void)state;
    synth *tr = xor_data(2000, 7);
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_BINARY;
    p.row_subsample = 0.7;
    p.col_subsample = 0.75;
    p.seed = 11;
    aia_gbdt_model *a = train_ok(&p, tr, NULL), *b = train_ok(&p, tr, NULL);
    p.seed = 12;
    aia_gbdt_model *c = train_ok(&p, tr, NULL);
    double row[4] = {0.2, 0.7, 0.4, 0.9}, pa, pb, pc;
    int all_same_c = 1;
    for (int i = 0; i < 50; i++) {
        row[0] = i / 50.0;
        aia_gbdt_predict_raw(a, row, &pa);
        aia_gbdt_predict_raw(b, row, &pb);
        aia_gbdt_predict_raw(c, row, &pc);
        assert_true(pa == pb);
        all_same_c &= pa == pc;
    }
    assert_false(all_same_c);
    aia_gbdt_free(a);
    aia_gbdt_free(b);
    aia_gbdt_free(c);
    synth_free(tr);
}

static void thread_count_does_not_change_the_model(void **state)
{
    (void)state;
    synth *tr = xor_data(12000, 13); /* large enough for the parallel histogram path */
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_BINARY;
    p.n_rounds = 20;
    p.row_subsample = 0.8;
    p.threads = 1;
    aia_gbdt_model *one = train_ok(&p, tr, NULL);
    p.threads = 3;
    aia_gbdt_model *three = train_ok(&p, tr, NULL);
    double row[4], a, b;
    for (size_t i = 0; i < 500; i++) {
        row_of(tr, i, row);
        aia_gbdt_predict_raw(one, row, &a);
        aia_gbdt_predict_raw(three, row, &b);
        assert_true(a == b);
    }
    aia_gbdt_free(one);
    aia_gbdt_free(three);
    synth_free(tr);
}

static int count_rounds(void *arg, int round, double train_loss, double valid_loss)
{
    int *n = arg;
    (*n)++;
    assert_true(isfinite(train_loss) && isfinite(valid_loss));
    return 0;
}

static void early_stopping_keeps_the_best_round(void **state)
{
    (void)state;
    /* Pure noise labels: validation loss stops improving almost at once. */
    synth *tr = synth_new(1000, 3), *va = synth_new(1000, 3);
    aia_rng r;
    aia_rng_seed(&r, 8);
    for (size_t i = 0; i < 1000; i++) {
        for (size_t f = 0; f < 3; f++) {
            tr->cols[f][i] = aia_rng_uniform(&r);
            va->cols[f][i] = aia_rng_uniform(&r);
        }
        tr->y[i] = aia_rng_uniform(&r) < 0.5;
        va->y[i] = aia_rng_uniform(&r) < 0.5;
    }
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_BINARY;
    p.n_rounds = 500;
    p.early_stopping_rounds = 10;
    aia_gbdt_model *m = NULL;
    aia_error err;
    int rounds_run = 0;
    assert_int_equal(aia_gbdt_train(&p, &tr->data, &va->data, count_rounds, &rounds_run, &m, &err), AIA_OK);
    assert_true(rounds_run < 100);
    assert_int_equal(aia_gbdt_n_rounds(m), rounds_run - 10);
    aia_gbdt_free(m);
    synth_free(tr);
    synth_free(va);
}

static void batch_prediction_equals_single_rows(void **state)
{
    (void)state;
    synth *tr = xor_data(1500, 9), *te = xor_data(700, 10);
    for (size_t i = 0; i < te->n; i += 7) te->cols[2][i] = NAN;
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_BINARY;
    aia_gbdt_model *m = train_ok(&p, tr, NULL);
    double *out = malloc(te->n * sizeof *out), row[4], one;
    aia_error err;
    assert_int_equal(aia_gbdt_predict_batch(m, &te->data.x, out, &err), AIA_OK);
    for (size_t i = 0; i < te->n; i++) {
        row_of(te, i, row);
        aia_gbdt_predict(m, row, &one);
        assert_true(out[i] == one);
    }
    aia_matrix narrow = {te->n, 3, te->data.x.col};
    assert_int_equal(aia_gbdt_predict_batch(m, &narrow, out, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "3 features"));
    free(out);
    aia_gbdt_free(m);
    synth_free(tr);
    synth_free(te);
}

static void large_batches_use_threads_and_agree(void **state)
{
    (void)state;
    synth *tr = xor_data(2000, 15), *te = xor_data(40000, 16); /* above the parallel threshold */
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_BINARY;
    p.n_rounds = 10;
    aia_gbdt_model *m = train_ok(&p, tr, NULL);
    double *out = malloc(te->n * sizeof *out), row[4], one;
    aia_error err;
    assert_int_equal(aia_gbdt_predict_batch(m, &te->data.x, out, &err), AIA_OK);
    for (size_t i = 0; i < te->n; i += 97) {
        row_of(te, i, row);
        aia_gbdt_predict(m, row, &one);
        assert_true(out[i] == one);
    }
    assert_true(out[te->n - 1] > 0 && out[te->n - 1] < 1); /* the last block too */
    row_of(te, te->n - 1, row);
    aia_gbdt_predict(m, row, &one);
    assert_true(out[te->n - 1] == one);
    free(out);
    aia_gbdt_free(m);
    synth_free(tr);
    synth_free(te);
}

static void bad_parameters_and_labels_are_named(void **state)
{
    (void)state;
    synth *s = xor_data(100, 11);
    aia_gbdt_params p;
    aia_gbdt_model *m = NULL;
    aia_error err;
    aia_gbdt_params_default(&p);
    assert_int_equal(aia_gbdt_train(&p, &s->data, NULL, NULL, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "objective"));
    p.objective = AIA_GBDT_BINARY;
    p.learning_rate = 0;
    assert_int_equal(aia_gbdt_train(&p, &s->data, NULL, NULL, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "learning_rate"));
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_MULTICLASS;
    p.n_classes = 2;
    assert_int_equal(aia_gbdt_train(&p, &s->data, NULL, NULL, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "n_classes"));
    aia_gbdt_params_default(&p);
    p.objective = AIA_GBDT_BINARY;
    s->y[42] = 2;
    assert_int_equal(aia_gbdt_train(&p, &s->data, NULL, NULL, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "row 42"));
    s->y[42] = NAN;
    p.objective = AIA_GBDT_REGRESSION;
    assert_int_equal(aia_gbdt_train(&p, &s->data, NULL, NULL, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "not finite"));
    assert_null(m);
    synth_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bins_of_few_distinct_values_are_exact),
        cmocka_unit_test(bins_of_many_values_are_balanced),
        cmocka_unit_test(adjacent_doubles_get_separate_bins),
        cmocka_unit_test(learns_xor),
        cmocka_unit_test(regression_fits_a_step_and_a_trend),
        cmocka_unit_test(multiclass_separates_three_bands),
        cmocka_unit_test(missing_values_carry_signal),
        cmocka_unit_test(categorical_splits_group_unordered_categories),
        cmocka_unit_test(same_seed_same_model_and_subsampling_changes_it),
        cmocka_unit_test(thread_count_does_not_change_the_model),
        cmocka_unit_test(early_stopping_keeps_the_best_round),
        cmocka_unit_test(batch_prediction_equals_single_rows),
        cmocka_unit_test(large_batches_use_threads_and_agree),
        cmocka_unit_test(bad_parameters_and_labels_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
