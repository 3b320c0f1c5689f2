/* Golden comparison of our random forest with scikit-learn's
 * RandomForest{Classifier,Regressor} (100 trees, bootstrap, max_features
 * sqrt for classification and all features for regression, trees grown
 * until pure) on the same 5 x 2 splits: mean accuracy and ROC AUC within
 * max(1 point, 2 standard errors), mean R^2 within 0.02 (issue 4). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/ml/forest.h"
#include "tests/unit/ml/golden.h"

static double *predict(const golden_set *g, int s, golden_part *tr, golden_part *te, void *arg, int *k)
{
    aia_forest_params p;
    aia_forest_params_default(&p);
    p.n_classes = g->n_classes;
    p.seed = (uint64_t)s + 1;
    aia_forest *f;
    aia_error err;
    if (aia_forest_train(&p, &tr->x, tr->y, NULL, &f, &err) != AIA_OK) fail_msg("%s split %d: %s", g->name, s, err.message);
    *k = aia_forest_n_outputs(f);
    double *out = malloc(te->x.n_rows * (size_t)*k * sizeof *out);
    assert_int_equal(aia_forest_predict_batch(f, &te->x, out, &err), AIA_OK);
    aia_forest_free(f);
    return out;
}

static void compare(const char *name)
{
    golden_compare(name, "random_forest", predict, NULL);
}

static void breast_cancer(void **state) { (void)state; compare("breast_cancer"); }
static void iris(void **state) { (void)state; compare("iris"); }
static void wine(void **state) { (void)state; compare("wine"); }
static void digits(void **state) { (void)state; compare("digits"); }
static void diabetes(void **state) { (void)state; compare("diabetes"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(breast_cancer), cmocka_unit_test(iris),     cmocka_unit_test(wine),
        cmocka_unit_test(digits),        cmocka_unit_test(diabetes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
