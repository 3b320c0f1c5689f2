/* lib/ml/preprocess on seeded random frames: for every imputation,
 * standardisation and encoding, the single-row path gives the same bits
 * as the frame path, and threads applying one fitted pipeline at once all
 * get the serial answer (a fitted pipeline has no mutable state). */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/data/frame.h"
#include "lib/ml/preprocess.h"

enum { N_ROWS = 500, N_WORDS = 12, N_THREADS = 4 };

static const char *const words[N_WORDS] = {"ant", "bee", "cat", "dog", "eel", "fox",
                                           "gnu", "hen", "ibis", "jay", "kea", "Émeu"};

/* A random frame with the columns the pipeline reads, as its cells. */
typedef struct cells {
    double a[N_ROWS], b[N_ROWS];
    const char *c[N_ROWS];
    int8_t d[N_ROWS];
} cells;

/* Train frames draw from the first 9 words; other frames from all 12, so
 * they hold unseen categories. About 10% of every column is missing. */
static aia_frame *random_frame(uint64_t seed, size_t n_words, cells *out)
{
    aia_rng r;
    aia_rng_seed(&r, seed);
    for (size_t i = 0; i < N_ROWS; i++) {
        out->a[i] = aia_rng_uniform(&r) < 0.1 ? NAN : aia_rng_normal(&r) * 10 + 3;
        out->b[i] = aia_rng_uniform(&r) < 0.1 ? NAN : (double)aia_rng_below(&r, 5);
        out->c[i] = aia_rng_uniform(&r) < 0.1 ? NULL : words[aia_rng_below(&r, n_words)];
        out->d[i] = aia_rng_uniform(&r) < 0.1 ? -1 : (int8_t)aia_rng_below(&r, 2);
    }
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(N_ROWS, "random", &f, &err), AIA_OK);
    /* Columns in another order than the features, plus one that is not one. */
    assert_int_equal(aia_frame_add_boolean(f, "d", out->d, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(f, "c", out->c, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(f, "unused", out->a, NULL, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(f, "b", out->b, NULL, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(f, "a", out->a, NULL, &err), AIA_OK);
    return f;
}

static const char *const features[] = {"a", "b", "c", "d"};

static aia_preprocess *fit_with(const aia_frame *train, aia_preprocess_impute impute,
                                aia_preprocess_switch standardize, aia_preprocess_encoding encoding,
                                aia_preprocess_switch indicator)
{
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.impute = impute;
    o.standardize = standardize;
    o.encoding = encoding;
    o.missing_indicator = indicator;
    aia_preprocess *p = NULL;
    aia_error err;
    if (aia_preprocess_fit(train, features, 4, &o, &p, &err) != AIA_OK) fail_msg("fit: %s", err.message);
    return p;
}

/* Compares doubles by their bits (NaN included). */
static int same_bits(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0 || (isnan(x) && isnan(y));
}

/* Runs every row of `c` through apply_row; counts outputs that differ from out. */
static size_t row_mismatches(const aia_preprocess *p, const cells *c, const aia_preprocess_output *out)
{
    size_t bad = 0;
    double row[32];
    for (size_t i = 0; i < N_ROWS; i++) {
        aia_preprocess_cell in[4] = {
            {NULL, c->a[i]}, {NULL, c->b[i]}, {c->c[i], 0.0}, {NULL, c->d[i] < 0 ? NAN : c->d[i]}};
        aia_error err;
        if (aia_preprocess_apply_row(p, in, row, &err) != AIA_OK) return SIZE_MAX;
        for (size_t j = 0; j < out->n_cols; j++) bad += !same_bits(out->cols[j][i], row[j]);
    }
    return bad;
}

static void row_path_equals_frame_path_for_every_option(void **state)
{
    (void)state;
    static cells train_cells, other_cells;
    aia_frame *train = random_frame(11, 9, &train_cells);
    aia_frame *other = random_frame(12, N_WORDS, &other_cells);
    aia_preprocess_impute imputes[] = {AIA_IMPUTE_NONE, AIA_IMPUTE_MEAN, AIA_IMPUTE_MEDIAN,
                                       AIA_IMPUTE_MOST_FREQUENT};
    aia_preprocess_encoding encodings[] = {AIA_ENCODE_ONE_HOT, AIA_ENCODE_ORDINAL, AIA_ENCODE_NATIVE};
    size_t combinations = 0;
    for (size_t i = 0; i < 4; i++) {
        for (int s = AIA_SWITCH_OFF; s <= AIA_SWITCH_ON; s++) {
            for (size_t e = 0; e < 3; e++) {
                aia_preprocess_switch indicator = encodings[e] == AIA_ENCODE_ONE_HOT ? AIA_SWITCH_ON
                                                                                     : AIA_SWITCH_OFF;
                aia_preprocess *p = fit_with(train, imputes[i], (aia_preprocess_switch)s, encodings[e], indicator);
                aia_preprocess_output out;
                aia_error err;
                assert_int_equal(aia_preprocess_apply(p, other, &out, &err), AIA_OK);
                assert_true(out.n_cols <= 32);
                if (row_mismatches(p, &other_cells, &out) != 0)
                    fail_msg("impute %d, standardize %d, encoding %d: rows differ from the frame",
                             (int)imputes[i], s, (int)encodings[e]);
                /* Imputation leaves no NaN in numeric outputs; NONE keeps them. */
                int any_nan = 0;
                for (size_t r = 0; r < N_ROWS; r++) any_nan |= isnan(out.cols[0][r]);
                assert_int_equal(any_nan, imputes[i] == AIA_IMPUTE_NONE);
                aia_preprocess_output_free(&out);
                aia_preprocess_free(p);
                combinations++;
            }
        }
    }
    assert_int_equal(combinations, 24);
    aia_frame_free(train);
    aia_frame_free(other);
}

/* ---- several threads, one pipeline ------------------------------------------------ */

typedef struct worker {
    const aia_preprocess *p;
    const aia_frame *frame;
    const cells *cells;
    const aia_preprocess_output *expected;
    size_t mismatches;
    int failed;
} worker;

static void *apply_repeatedly(void *arg)
{
    worker *w = arg;
    for (int round = 0; round < 20; round++) {
        aia_preprocess_output out;
        aia_error err;
        if (aia_preprocess_apply(w->p, w->frame, &out, &err) != AIA_OK) {
            w->failed = 1;
            return NULL;
        }
        for (size_t j = 0; j < out.n_cols; j++)
            for (size_t i = 0; i < out.n_rows; i++) w->mismatches += !same_bits(out.cols[j][i], w->expected->cols[j][i]);
        aia_preprocess_output_free(&out);
        size_t rows = row_mismatches(w->p, w->cells, w->expected);
        if (rows == SIZE_MAX) w->failed = 1;
        else w->mismatches += rows;
    }
    return NULL;
}

static void threads_share_one_pipeline(void **state)
{
    (void)state;
    static cells train_cells, other_cells;
    aia_frame *train = random_frame(21, 9, &train_cells);
    aia_frame *other = random_frame(22, N_WORDS, &other_cells);
    aia_preprocess *p = fit_with(train, AIA_IMPUTE_MEDIAN, AIA_SWITCH_ON, AIA_ENCODE_ONE_HOT, AIA_SWITCH_ON);
    aia_preprocess_output expected;
    aia_error err;
    assert_int_equal(aia_preprocess_apply(p, other, &expected, &err), AIA_OK);

    worker workers[N_THREADS];
    pthread_t threads[N_THREADS];
    for (int t = 0; t < N_THREADS; t++) {
        workers[t] = (worker){p, other, &other_cells, &expected, 0, 0};
        assert_int_equal(pthread_create(&threads[t], NULL, apply_repeatedly, &workers[t]), 0);
    }
    for (int t = 0; t < N_THREADS; t++) {
        assert_int_equal(pthread_join(threads[t], NULL), 0);
        assert_int_equal(workers[t].failed, 0);
        assert_int_equal(workers[t].mismatches, 0);
    }
    aia_preprocess_output_free(&expected);
    aia_preprocess_free(p);
    aia_frame_free(train);
    aia_frame_free(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(row_path_equals_frame_path_for_every_option),
        cmocka_unit_test(threads_share_one_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
