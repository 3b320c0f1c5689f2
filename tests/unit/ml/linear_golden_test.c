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

static double *predict(const golden_set *g, int s, golden_part *tr, golden_part *te, void *arg, int *k)
{
    standardise(tr, te);
    aia_linear_model *m = train(g, s, tr, arg);
    *k = aia_linear_n_outputs(m);
    double *out = malloc(te->x.n_rows * (size_t)*k * sizeof *out);
    aia_error err;
    assert_int_equal(aia_linear_predict_batch(m, &te->x, 0, out, &err), AIA_OK);
    aia_linear_free(m);
    return out;
}

static void compare(const char *name, const char *model)
{
    golden_compare(name, model, predict, (void *)model);
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
