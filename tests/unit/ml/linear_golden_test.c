/* Golden comparison of our linear models with scikit-learn's on its
 * bundled data sets (tests/data/golden, make_golden.py), on the very same
 * 5 x 2 cross-validation splits and settings: StandardScaler fitted on each
 * training half, then LogisticRegression(C=1, max_iter=1000, lbfgs) for
 * breast cancer, iris, wine and digits, LinearRegression and Ridge(1) for
 * diabetes. Mean accuracy and ROC AUC within max(1 point, 2 standard
 * errors), mean R^2 within 0.02 (issue 4; golden_check). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/ml/linear.h"
#include "lib/ml/metrics.h"
#include "tests/unit/ml/golden.h"

/* StandardScaler: the training half's mean and population standard
 * deviation (ddof = 0; a constant column keeps scale 1), applied to both
 * halves in place. */
static void standardise(golden_part *train, golden_part *test)
{
    size_t n = train->x.n_rows;
    for (size_t j = 0; j < train->x.n_cols; j++) {
        double mean = 0.0, var = 0.0;
        for (size_t i = 0; i < n; i++) mean += train->cols[j][i];
        mean /= (double)n;
        for (size_t i = 0; i < n; i++) var += (train->cols[j][i] - mean) * (train->cols[j][i] - mean);
        double scale = var > 0.0 ? sqrt(var / (double)n) : 1.0;
        for (size_t i = 0; i < n; i++) train->cols[j][i] = (train->cols[j][i] - mean) / scale;
        for (size_t i = 0; i < test->x.n_rows; i++) test->cols[j][i] = (test->cols[j][i] - mean) / scale;
    }
}

static aia_linear_model *train(const golden_set *g, int split, const golden_part *tr, const char *model)
{
    aia_linear_data d = {.x = tr->x, .y = tr->y, .weight = NULL};
    aia_linear_model *m = NULL;
    aia_error err;
    aia_status s;
    if (g->n_classes > 0) {
        aia_logistic_params p;
        aia_logistic_params_default(&p);
        p.n_classes = g->n_classes;
        p.max_iter = 1000;
        s = aia_logistic_train(&p, &d, NULL, NULL, &m, &err);
    } else {
        aia_ridge_params p = {.alpha = strcmp(model, "ridge") == 0 ? 1.0 : 0.0};
        s = aia_ridge_train(&p, &d, &m, &err);
    }
    if (s != AIA_OK) fail_msg("%s split %d: %s", g->name, split, err.message);
    return m;
}

/* Class with the highest probability (the first on ties, as argmax). */
static int argmax(const double *v, int k)
{
    int best = 0;
    for (int c = 1; c < k; c++)
        if (v[c] > v[best]) best = c;
    return best;
}

/* Scores one split: accuracy and AUC, or R^2 (in acc). */
static void score_split(const golden_set *g, int s, const char *model, double *acc, double *auc)
{
    golden_part tr, te;
    golden_part_make(g, s, 0, &tr);
    golden_part_make(g, s, 1, &te);
    standardise(&tr, &te);
    aia_linear_model *m = train(g, s, &tr, model);
    int k = aia_linear_n_outputs(m);
    size_t n = te.x.n_rows;
    double *out = malloc(n * (size_t)k * sizeof *out);
    int *pred = malloc(n * sizeof *pred);
    assert_non_null(out);
    assert_non_null(pred);
    aia_error err;
    assert_int_equal(aia_linear_predict_batch(m, &te.x, 0, out, &err), AIA_OK);
    if (g->n_classes == 0) {
        assert_int_equal(aia_ml_r2(te.y, n, out, n, acc, &err), AIA_OK);
    } else {
        for (size_t i = 0; i < n; i++) pred[i] = k == 1 ? out[i] > 0.5 : argmax(out + i * (size_t)k, k);
        assert_int_equal(aia_ml_accuracy(te.y_class, n, pred, n, g->n_classes, acc, &err), AIA_OK);
        aia_status st = k == 1 ? aia_ml_roc_auc_binary(te.y_class, n, out, n, auc, &err)
                               : aia_ml_roc_auc_ovr(te.y_class, n, out, n, k, AIA_ML_AVERAGE_MACRO, auc, &err);
        if (st != AIA_OK) fail_msg("%s split %d: %s", g->name, s, err.message);
    }
    free(pred);
    free(out);
    aia_linear_free(m);
    golden_part_free(&tr);
    golden_part_free(&te);
}

static void compare(const char *name, const char *model)
{
    golden_set g;
    golden_load(name, &g);
    double acc[GOLDEN_SPLITS], auc[GOLDEN_SPLITS];
    for (int s = 0; s < GOLDEN_SPLITS; s++) score_split(&g, s, model, &acc[s], &auc[s]);
    if (g.n_classes == 0) {
        golden_check(name, model, "r2", acc, GOLDEN_SPLITS);
    } else {
        golden_check(name, model, "accuracy", acc, GOLDEN_SPLITS);
        golden_check(name, model, "roc_auc", auc, GOLDEN_SPLITS);
    }
    golden_free(&g);
}

static void breast_cancer(void **state) { compare("breast_cancer", "logistic_regression"); }
static void iris(void **state) { compare("iris", "logistic_regression"); }
static void wine(void **state) { compare("wine", "logistic_regression"); }
static void digits(void **state) { compare("digits", "logistic_regression"); }
static void diabetes_least_squares(void **state) { compare("diabetes", "linear_regression"); }
static void diabetes_ridge(void **state) { compare("diabetes", "ridge"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(breast_cancer), cmocka_unit_test(iris),
        cmocka_unit_test(wine),          cmocka_unit_test(digits),
        cmocka_unit_test(diabetes_least_squares), cmocka_unit_test(diabetes_ridge),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
