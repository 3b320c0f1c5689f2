/* lib/ml/preprocess feeding lib/ml/gbdt: NATIVE-encoded categories and the
 * pipeline's categorical flags go straight into aia_gbdt_data, and a
 * prediction frame that numbers its categories differently (with an
 * unseen one and gaps) gets the training codes, so the model predicts it
 * as it was trained. */
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
#include "lib/data/frame.h"
#include "lib/ml/gbdt.h"
#include "lib/ml/preprocess.h"

enum { N_CATEGORIES = 11, N_TRAIN = 3000 };

/* The label is 1 for an arbitrary subset of categories, so a numeric
 * split on codes cannot find it in one stump but a categorical one can. */
static const int positive[N_CATEGORIES] = {0, 1, 0, 0, 1, 0, 0, 1, 0, 1, 0};

static void category_name(int c, char *buf, size_t cap)
{
    snprintf(buf, cap, "shop-%02d", c);
}

static void native_codes_train_a_gbdt_with_categorical_splits(void **state)
{
    (void)state;
    static char names[N_CATEGORIES][24];
    for (int c = 0; c < N_CATEGORIES; c++) category_name(c, names[c], sizeof names[c]);

    const char **shop = calloc(N_TRAIN, sizeof *shop);
    double *noise = calloc(N_TRAIN, sizeof *noise);
    double *y = calloc(N_TRAIN, sizeof *y);
    aia_rng r;
    aia_rng_seed(&r, 4);
    for (size_t i = 0; i < N_TRAIN; i++) {
        int c = (int)aia_rng_below(&r, N_CATEGORIES);
        int miss = aia_rng_uniform(&r) < 0.05;
        shop[i] = miss ? NULL : names[c];
        noise[i] = aia_rng_uniform(&r);
        y[i] = miss ? 0 : positive[c];
    }
    aia_frame *train = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(N_TRAIN, "train", &train, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(train, "noise", noise, NULL, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(train, "shop", shop, &err), AIA_OK);

    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.encoding = AIA_ENCODE_NATIVE;
    o.impute = AIA_IMPUTE_NONE;
    const char *features[] = {"shop", "noise"};
    aia_preprocess *pp = NULL;
    assert_int_equal(aia_preprocess_fit(train, features, 2, &o, &pp, &err), AIA_OK);
    aia_preprocess_output x;
    assert_int_equal(aia_preprocess_apply(pp, train, &x, &err), AIA_OK);
    assert_int_equal(x.categorical[0], 1);
    assert_int_equal(x.categorical[1], 0);

    aia_gbdt_params params;
    aia_gbdt_params_default(&params);
    params.objective = AIA_GBDT_BINARY;
    params.n_rounds = 10;
    params.max_leaves = 2; /* stumps */
    params.threads = 1;
    aia_gbdt_data data = {x.matrix, y, aia_preprocess_output_categorical(pp)};
    aia_gbdt_model *m = NULL;
    if (aia_gbdt_train(&params, &data, NULL, NULL, NULL, &m, &err) != AIA_OK) fail_msg("%s", err.message);

    /* Prediction rows: every category in reverse first-seen order, then an
     * unseen one and a gap; extra column order differs too. */
    const char *cells[N_CATEGORIES + 2];
    double other_noise[N_CATEGORIES + 2];
    for (int c = 0; c < N_CATEGORIES; c++) cells[c] = names[N_CATEGORIES - 1 - c];
    cells[N_CATEGORIES] = "shop-99";
    cells[N_CATEGORIES + 1] = NULL;
    for (int i = 0; i < N_CATEGORIES + 2; i++) other_noise[i] = 0.5;
    aia_frame *predict = NULL;
    assert_int_equal(aia_frame_create(N_CATEGORIES + 2, "predict", &predict, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(predict, "shop", cells, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(predict, "noise", other_noise, NULL, &err), AIA_OK);
    aia_preprocess_output px;
    assert_int_equal(aia_preprocess_apply(pp, predict, &px, &err), AIA_OK);
    double *prob = calloc(N_CATEGORIES + 2, sizeof *prob);
    assert_int_equal(aia_gbdt_predict_batch(m, &px.matrix, prob, &err), AIA_OK);
    for (int c = 0; c < N_CATEGORIES; c++) {
        int category = N_CATEGORIES - 1 - c;
        if ((prob[c] > 0.5) != positive[category])
            fail_msg("%s: P = %g, label %d", names[category], prob[c], positive[category]);
    }
    /* Unseen and missing both arrive as NaN: the same prediction. */
    assert_true(prob[N_CATEGORIES] == prob[N_CATEGORIES + 1]);

    /* The single-row path feeds the model the same codes. */
    double row[2], single;
    aia_preprocess_cell in[2] = {{names[7], 0.0}, {NULL, 0.5}};
    assert_int_equal(aia_preprocess_apply_row(pp, in, row, &err), AIA_OK);
    aia_gbdt_predict(m, row, &single);
    assert_true(single == prob[N_CATEGORIES - 1 - 7]);

    free(prob);
    aia_preprocess_output_free(&px);
    aia_preprocess_output_free(&x);
    aia_frame_free(predict);
    aia_gbdt_free(m);
    aia_preprocess_free(pp);
    aia_frame_free(train);
    free(shop);
    free(noise);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(native_codes_train_a_gbdt_with_categorical_splits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
