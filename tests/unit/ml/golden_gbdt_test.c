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
#include "lib/ml/metrics.h"
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

/* Scores one split: accuracy and AUC, or R^2 (in acc). */
static void score_split(const golden_set *g, int s, double *acc, double *auc)
{
    golden_part tr, te;
    golden_part_make(g, s, 0, &tr);
    golden_part_make(g, s, 1, &te);
    aia_gbdt_params p = hgb_params(g);
    aia_gbdt_data d = {tr.x, tr.y, NULL};
    aia_gbdt_model *m;
    aia_error err;
    if (aia_gbdt_train(&p, &d, NULL, NULL, NULL, &m, &err) != AIA_OK) fail_msg("%s split %d: %s", g->name, s, err.message);
    int k = aia_gbdt_n_outputs(m);
    size_t n = te.x.n_rows;
    double *out = malloc(n * (size_t)k * sizeof *out);
    assert_int_equal(aia_gbdt_predict_batch(m, &te.x, out, &err), AIA_OK);
    if (g->n_classes == 0) {
        assert_int_equal(aia_ml_r2(te.y, n, out, n, acc, &err), AIA_OK);
    } else {
        int *pred = malloc(n * sizeof *pred);
        for (size_t i = 0; i < n; i++) {
            if (k == 1) {
                pred[i] = out[i] > 0.5;
                continue;
            }
            pred[i] = 0;
            for (int c = 1; c < k; c++)
                if (out[i * (size_t)k + c] > out[i * (size_t)k + pred[i]]) pred[i] = c;
        }
        assert_int_equal(aia_ml_accuracy(te.y_class, n, pred, n, g->n_classes, acc, &err), AIA_OK);
        aia_status st = k == 1 ? aia_ml_roc_auc_binary(te.y_class, n, out, n, auc, &err)
                               : aia_ml_roc_auc_ovr(te.y_class, n, out, n, k, AIA_ML_AVERAGE_MACRO, auc, &err);
        if (st != AIA_OK) fail_msg("%s split %d: %s", g->name, s, err.message);
        free(pred);
    }
    free(out);
    aia_gbdt_free(m);
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
        golden_check(name, "gbdt", "r2", acc, GOLDEN_SPLITS);
    } else {
        golden_check(name, "gbdt", "accuracy", acc, GOLDEN_SPLITS);
        golden_check(name, "gbdt", "roc_auc", auc, GOLDEN_SPLITS);
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
