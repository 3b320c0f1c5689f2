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
#include "lib/ml/metrics.h"
#include "tests/unit/ml/golden.h"

static void score_split(const golden_set *g, int s, double *acc, double *auc)
{
    golden_part tr, te;
    golden_part_make(g, s, 0, &tr);
    golden_part_make(g, s, 1, &te);
    aia_forest_params p;
    aia_forest_params_default(&p);
    p.n_classes = g->n_classes;
    p.seed = (uint64_t)s + 1;
    aia_forest *f;
    aia_error err;
    double oob;
    if (aia_forest_train(&p, &tr.x, tr.y, &oob, &f, &err) != AIA_OK) fail_msg("%s split %d: %s", g->name, s, err.message);
    int k = aia_forest_n_outputs(f);
    size_t n = te.x.n_rows;
    double *out = malloc(n * (size_t)k * sizeof *out);
    assert_int_equal(aia_forest_predict_batch(f, &te.x, out, &err), AIA_OK);
    if (g->n_classes == 0) {
        assert_int_equal(aia_ml_r2(te.y, n, out, n, acc, &err), AIA_OK);
    } else {
        int *pred = malloc(n * sizeof *pred);
        double *pos = malloc(n * sizeof *pos);
        for (size_t i = 0; i < n; i++) {
            pred[i] = 0;
            for (int c = 1; c < k; c++)
                if (out[i * (size_t)k + c] > out[i * (size_t)k + pred[i]]) pred[i] = c;
            pos[i] = out[i * (size_t)k + (k > 1 ? 1 : 0)];
        }
        assert_int_equal(aia_ml_accuracy(te.y_class, n, pred, n, g->n_classes, acc, &err), AIA_OK);
        aia_status st = k == 2 ? aia_ml_roc_auc_binary(te.y_class, n, pos, n, auc, &err)
                               : aia_ml_roc_auc_ovr(te.y_class, n, out, n, k, AIA_ML_AVERAGE_MACRO, auc, &err);
        if (st != AIA_OK) fail_msg("%s split %d: %s", g->name, s, err.message);
        free(pred);
        free(pos);
    }
    free(out);
    aia_forest_free(f);
    golden_part_free(&tr);
    golden_part_free(&te);
}

static void compare(const char *name)
{
    golden_set g;
    golden_load(name, &g);
    double acc[GOLDEN_SPLITS], auc[GOLDEN_SPLITS];
    for (int s = 0; s < GOLDEN_SPLITS; s++) score_split(&g, s, &acc[s], &auc[s]);
    if (g.n_classes == 0) {
        golden_check(name, "random_forest", "r2", acc, GOLDEN_SPLITS);
    } else {
        golden_check(name, "random_forest", "accuracy", acc, GOLDEN_SPLITS);
        golden_check(name, "random_forest", "roc_auc", auc, GOLDEN_SPLITS);
    }
    golden_free(&g);
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
