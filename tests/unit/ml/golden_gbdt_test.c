/* Golden comparison of our GBDT with scikit-learn's
 * HistGradientBoosting{Classifier,Regressor} on its bundled data sets, on
 * the very same 5 x 2 cross-validation splits, with matching settings
 * (100 rounds, learning rate 0.1, 31 leaves, 20 rows per leaf, no L2, 255
 * bins, no early stopping): mean accuracy and ROC AUC within max(1 point,
 * 2 standard errors), mean R^2 within 0.02 (issue 4). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "lib/ml/gbdt.h"
#include "tests/unit/ml/golden.h"

static aia_gbdt_params hgb_params(const golden_set *g)
{
    aia_gbdt_params p;
    aia_gbdt_params_default(&p);
    p.objective = g->n_classes == 0 ? AIA_GBDT_REGRESSION : g->n_classes == 2 ? AIA_GBDT_BINARY : AIA_GBDT_MULTICLASS;
    p.n_classes = g->n_classes > 2 ? g->n_classes : 0;
    p.seed = 1;
    return p;
}

static double *predict(const golden_set *g, int s, golden_part *tr, golden_part *te, void *arg, int *k)
{
    aia_gbdt_params p = hgb_params(g);
    aia_gbdt_data d = {tr->x, tr->y, NULL};
    aia_gbdt_model *m;
    aia_error err;
    if (aia_gbdt_train(&p, &d, NULL, NULL, NULL, &m, &err) != AIA_OK) fail_msg("%s split %d: %s", g->name, s, err.message);
    *k = aia_gbdt_n_outputs(m);
    double *out = malloc(te->x.n_rows * (size_t)*k * sizeof *out);
    assert_int_equal(aia_gbdt_predict_batch(m, &te->x, out, &err), AIA_OK);
    aia_gbdt_free(m);
    return out;
}

static void compare(const char *name)
{
    golden_compare(name, "gbdt", predict, NULL);
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
