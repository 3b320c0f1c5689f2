/* tests/unit/ml/metrics_test.c — lib/ml/metrics against scikit-learn.
 *
 * The golden tests replay every check of tests/data/metrics/
 * metrics_fixtures.txt (scikit-learn's results on seeded inputs, written
 * by make_fixtures.py) and require agreement to 1e-9 relative, or 1e-12
 * absolute near 0. The rest pin down by hand the conventions the header
 * promises: ties, clipping, zero_division, constant targets, K = 2.
 * Bad inputs are in metrics_errors_test.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <float.h>
#include <math.h>

#include "lib/ml/metrics.h"
#include "tests/unit/ml/metrics_fixtures.h"

#define REL_TOL 1e-9
#define ABS_TOL 1e-12

static fixtures g_fx;

static int load_fixtures(void **state)
{
    (void)state;
    char why[1024];
    if (fixtures_load(&g_fx, fixtures_path(), why, sizeof why) != 0) {
        print_error("cannot load the fixtures: %s\n", why);
        return -1;
    }
    return 0;
}

static int free_fixtures(void **state)
{
    (void)state;
    fixtures_free(&g_fx);
    return 0;
}

static int close_enough(double got, double want)
{
    double diff = fabs(got - want);
    return diff <= ABS_TOL || diff <= REL_TOL * fabs(want);
}

/* ---- Reading a check's arguments ----------------------------------------- */

static const char *case_of(const fx_check *c)
{
    const char *name = fx_value(c, "case");
    return name ? name : "?";
}

static const fx_array *array_arg(const fx_check *c, const char *key, int want_int)
{
    const fx_array *a = fx_array_for(&g_fx, c, key);
    if (!a || a->is_int != want_int)
        fail_msg("check %s case=%s: no %s array for %s", c->metric, case_of(c),
                 want_int ? "ints" : "doubles", key);
    return a;
}

static int int_arg(const fx_check *c, const char *key)
{
    const char *v = fx_value(c, key);
    if (!v) fail_msg("check %s case=%s: no %s", c->metric, case_of(c), key);
    return atoi(v);
}

static aia_ml_average average_arg(const fx_check *c)
{
    const char *v = fx_value(c, "average");
    static const aia_ml_average all[] = {AIA_ML_AVERAGE_BINARY, AIA_ML_AVERAGE_MICRO,
                                         AIA_ML_AVERAGE_MACRO, AIA_ML_AVERAGE_WEIGHTED};
    for (size_t i = 0; v && i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(v, aia_ml_average_name(all[i])) == 0) return all[i];
    }
    fail_msg("check %s case=%s: bad average '%s'", c->metric, case_of(c), v ? v : "(none)");
    return AIA_ML_AVERAGE_BINARY;
}

/* ---- One runner per metric family ---------------------------------------- */

typedef aia_status (*run_fn)(const fx_check *c, double *out, aia_error *err);

static aia_status run_accuracy(const fx_check *c, double *out, aia_error *err)
{
    const fx_array *t = array_arg(c, "y_true", 1), *p = array_arg(c, "y_pred", 1);
    return aia_ml_accuracy(t->ints, t->count, p->ints, p->count, int_arg(c, "k"), out, err);
}

static aia_status run_prf(const fx_check *c, double *out, aia_error *err)
{
    const fx_array *t = array_arg(c, "y_true", 1), *p = array_arg(c, "y_pred", 1);
    aia_ml_prf prf = {NAN, NAN, NAN};
    aia_status s = aia_ml_precision_recall_f1(t->ints, t->count, p->ints, p->count,
                                              int_arg(c, "k"), average_arg(c),
                                              (double)int_arg(c, "zero_division"), &prf, err);
    if (strcmp(c->metric, "precision") == 0)
        *out = prf.precision;
    else if (strcmp(c->metric, "recall") == 0)
        *out = prf.recall;
    else
        *out = prf.f1;
    return s;
}

static aia_status run_roc_auc_binary(const fx_check *c, double *out, aia_error *err)
{
    const fx_array *t = array_arg(c, "y_true", 1), *s = array_arg(c, "y_score", 0);
    return aia_ml_roc_auc_binary(t->ints, t->count, s->doubles, s->count, out, err);
}

static aia_status run_roc_auc_ovr(const fx_check *c, double *out, aia_error *err)
{
    const fx_array *t = array_arg(c, "y_true", 1), *p = array_arg(c, "y_proba", 0);
    int k = int_arg(c, "k");
    return aia_ml_roc_auc_ovr(t->ints, t->count, p->doubles, p->count / (size_t)k, k,
                              average_arg(c), out, err);
}

static aia_status run_log_loss(const fx_check *c, double *out, aia_error *err)
{
    const fx_array *t = array_arg(c, "y_true", 1), *p = array_arg(c, "y_proba", 0);
    int k = int_arg(c, "k");
    return aia_ml_log_loss(t->ints, t->count, p->doubles, p->count / (size_t)k, k, out, err);
}

static aia_status run_log_loss_binary(const fx_check *c, double *out, aia_error *err)
{
    const fx_array *t = array_arg(c, "y_true", 1), *s = array_arg(c, "y_score", 0);
    return aia_ml_log_loss_binary(t->ints, t->count, s->doubles, s->count, out, err);
}

typedef aia_status (*regression_fn)(const double *, size_t, const double *, size_t, double *,
                                    aia_error *);

static aia_status run_regression(const fx_check *c, regression_fn fn, double *out, aia_error *err)
{
    const fx_array *t = array_arg(c, "y_true", 0), *p = array_arg(c, "y_pred", 0);
    return fn(t->doubles, t->count, p->doubles, p->count, out, err);
}

static aia_status run_rmse(const fx_check *c, double *out, aia_error *err)
{
    return run_regression(c, aia_ml_rmse, out, err);
}

static aia_status run_mae(const fx_check *c, double *out, aia_error *err)
{
    return run_regression(c, aia_ml_mae, out, err);
}

static aia_status run_r2(const fx_check *c, double *out, aia_error *err)
{
    return run_regression(c, aia_ml_r2, out, err);
}

/* Runs every check of `metric`; reports each mismatch, then fails if any
 * did or if the fixtures hold none (a silently empty run proves nothing). */
static void replay(const char *metric, run_fn run)
{
    size_t seen = 0, failed = 0;
    for (size_t i = 0; i < g_fx.n_checks; i++) {
        const fx_check *c = &g_fx.checks[i];
        if (strcmp(c->metric, metric) != 0) continue;
        seen++;
        const char *expect = fx_value(c, "expect");
        if (!expect) fail_msg("check %s case=%s: no expect", metric, case_of(c));
        double want = strtod(expect, NULL), got = NAN;
        aia_error err = {AIA_OK, ""};
        aia_status s = run(c, &got, &err);
        if (s != AIA_OK) {
            print_error("%s case=%s: %s: %s\n", metric, case_of(c), aia_status_name(s),
                        err.message);
            failed++;
        } else if (!close_enough(got, want)) {
            print_error("%s case=%s average=%s zero_division=%s: got %.17g, scikit-learn %.17g\n",
                        metric, case_of(c), fx_value(c, "average") ? fx_value(c, "average") : "-",
                        fx_value(c, "zero_division") ? fx_value(c, "zero_division") : "-", got,
                        want);
            failed++;
        }
    }
    if (seen == 0) fail_msg("the fixtures hold no %s check", metric);
    assert_int_equal(failed, 0);
}

static void test_golden_accuracy(void **state)
{
    (void)state;
    replay("accuracy", run_accuracy);
}

static void test_golden_precision(void **state)
{
    (void)state;
    replay("precision", run_prf);
}

static void test_golden_recall(void **state)
{
    (void)state;
    replay("recall", run_prf);
}

static void test_golden_f1(void **state)
{
    (void)state;
    replay("f1", run_prf);
}

static void test_golden_roc_auc_binary(void **state)
{
    (void)state;
    replay("roc_auc_binary", run_roc_auc_binary);
}

static void test_golden_roc_auc_ovr(void **state)
{
    (void)state;
    replay("roc_auc_ovr", run_roc_auc_ovr);
}

static void test_golden_log_loss(void **state)
{
    (void)state;
    replay("log_loss", run_log_loss);
}

static void test_golden_log_loss_binary(void **state)
{
    (void)state;
    replay("log_loss_binary", run_log_loss_binary);
}

static void test_golden_rmse(void **state)
{
    (void)state;
    replay("rmse", run_rmse);
}

static void test_golden_mae(void **state)
{
    (void)state;
    replay("mae", run_mae);
}

static void test_golden_r2(void **state)
{
    (void)state;
    replay("r2", run_r2);
}

static void test_golden_confusion_matrix(void **state)
{
    (void)state;
    size_t seen = 0;
    for (size_t i = 0; i < g_fx.n_checks; i++) {
        const fx_check *c = &g_fx.checks[i];
        if (strcmp(c->metric, "confusion_matrix") != 0) continue;
        seen++;
        const fx_array *t = array_arg(c, "y_true", 1), *p = array_arg(c, "y_pred", 1);
        const fx_array *want = array_arg(c, "expect", 1);
        int k = int_arg(c, "k");
        assert_int_equal(want->count, (size_t)k * (size_t)k);
        uint64_t counts[64];
        assert_true(want->count <= sizeof counts / sizeof counts[0]);
        aia_error err;
        assert_int_equal(aia_ml_confusion_matrix(t->ints, t->count, p->ints, p->count, k, counts,
                                                 &err),
                         AIA_OK);
        for (size_t j = 0; j < want->count; j++) {
            if (counts[j] != (uint64_t)want->ints[j])
                fail_msg("confusion_matrix case=%s: cell (%zu, %zu) is %llu, scikit-learn %d",
                         case_of(c), j / (size_t)k, j % (size_t)k, (unsigned long long)counts[j],
                         want->ints[j]);
        }
    }
    assert_true(seen > 0);
}

/* ---- Conventions, by hand ------------------------------------------------ */

/* scikit-learn's documented example: two of the four (positive, negative)
 * pairs ordered wrongly would be 0.5; here one of four is, so 0.75. */
static void test_roc_auc_hand_example(void **state)
{
    (void)state;
    const int y[] = {0, 0, 1, 1};
    const double s[] = {0.1, 0.4, 0.35, 0.8};
    double auc = -1;
    assert_int_equal(aia_ml_roc_auc_binary(y, 4, s, 4, &auc, NULL), AIA_OK);
    assert_true(auc == 0.75);
}

/* A tied (positive, negative) pair counts one half: of the four pairs,
 * three are ordered right and one is tied, so 3.5 / 4. */
static void test_roc_auc_ties_count_half(void **state)
{
    (void)state;
    const int y[] = {0, 1, 0, 1};
    const double s[] = {0.5, 0.5, 0.2, 0.9};
    double auc = -1;
    assert_int_equal(aia_ml_roc_auc_binary(y, 4, s, 4, &auc, NULL), AIA_OK);
    assert_true(auc == 0.875);
    const double all_tied[] = {0.3, 0.3, 0.3, 0.3};
    assert_int_equal(aia_ml_roc_auc_binary(y, 4, all_tied, 4, &auc, NULL), AIA_OK);
    assert_true(auc == 0.5);
}

/* The area depends on the scores' order only: any permutation of the
 * samples, and any increasing transform of the scores, give the same bits. */
static void test_roc_auc_ignores_sample_order_and_scale(void **state)
{
    (void)state;
    const int y[] = {1, 0, 0, 1, 1, 0, 1, 0};
    const double s[] = {0.9, 0.1, 0.4, 0.4, 0.7, 0.8, 0.2, 0.4};
    const int y_rev[] = {0, 1, 0, 1, 1, 0, 0, 1};
    const double s_rev[] = {0.4, 0.2, 0.8, 0.7, 0.4, 0.4, 0.1, 0.9};
    double logit[8];
    for (int i = 0; i < 8; i++) logit[i] = log(s[i] / (1 - s[i]));
    double a = -1, b = -2, c = -3;
    assert_int_equal(aia_ml_roc_auc_binary(y, 8, s, 8, &a, NULL), AIA_OK);
    assert_int_equal(aia_ml_roc_auc_binary(y_rev, 8, s_rev, 8, &b, NULL), AIA_OK);
    assert_int_equal(aia_ml_roc_auc_binary(y, 8, logit, 8, &c, NULL), AIA_OK);
    assert_true(a == b);
    assert_true(a == c);
    assert_true(a > 0.5 && a < 1.0);
}

/* With two classes the one-vs-rest AUC is the binary AUC of column 1,
 * whatever the average. */
static void test_roc_auc_ovr_two_classes_is_binary(void **state)
{
    (void)state;
    const int y[] = {0, 1, 1, 0, 1, 0};
    const double p1[] = {0.2, 0.6, 0.9, 0.6, 0.4, 0.1};
    double proba[12];
    for (int i = 0; i < 6; i++) {
        proba[2 * i] = 1 - p1[i];
        proba[2 * i + 1] = p1[i];
    }
    double want = -1;
    assert_int_equal(aia_ml_roc_auc_binary(y, 6, p1, 6, &want, NULL), AIA_OK);
    const aia_ml_average all[] = {AIA_ML_AVERAGE_BINARY, AIA_ML_AVERAGE_MICRO,
                                  AIA_ML_AVERAGE_MACRO, AIA_ML_AVERAGE_WEIGHTED};
    for (size_t i = 0; i < 4; i++) {
        double got = -1;
        assert_int_equal(aia_ml_roc_auc_ovr(y, 6, proba, 6, 2, all[i], &got, NULL), AIA_OK);
        assert_true(got == want);
    }
}

/* A certain, wrong prediction costs -log(DBL_EPSILON), not infinity. */
static void test_log_loss_clips_to_epsilon(void **state)
{
    (void)state;
    const double capped = -log(DBL_EPSILON);
    const int y1[] = {1}, y0[] = {0};
    const double zero[] = {0.0}, one[] = {1.0};
    double got = -1;
    assert_int_equal(aia_ml_log_loss_binary(y1, 1, zero, 1, &got, NULL), AIA_OK);
    assert_true(got == capped);
    assert_int_equal(aia_ml_log_loss_binary(y0, 1, one, 1, &got, NULL), AIA_OK);
    assert_true(got == capped);
    const double row[] = {0.0, 1.0, 0.0};
    assert_int_equal(aia_ml_log_loss(y0, 1, row, 1, 3, &got, NULL), AIA_OK);
    assert_true(got == capped);
    /* A certain, right prediction costs -log(1 - eps), just above 0. */
    assert_int_equal(aia_ml_log_loss_binary(y1, 1, one, 1, &got, NULL), AIA_OK);
    assert_true(got == -log(1.0 - DBL_EPSILON));
}

/* Classes absent from y_true do not matter to log loss: the matrix names
 * the class count, as scikit-learn's labels= does. */
static void test_log_loss_absent_class(void **state)
{
    (void)state;
    const int y[] = {0, 0, 1};
    const double proba[] = {0.5, 0.25, 0.25, 0.25, 0.5, 0.25, 0.125, 0.75, 0.125};
    double got = -1;
    assert_int_equal(aia_ml_log_loss(y, 3, proba, 3, 3, &got, NULL), AIA_OK);
    double want = -(log(0.5) + log(0.25) + log(0.75)) / 3;
    assert_true(close_enough(got, want));
}

static void test_zero_division_value(void **state)
{
    (void)state;
    /* Class 1 is never predicted nor present: every ratio is 0/0. */
    const int y[] = {0, 0, 0}, pred[] = {0, 0, 0};
    aia_ml_prf prf;
    assert_int_equal(
        aia_ml_precision_recall_f1(y, 3, pred, 3, 2, AIA_ML_AVERAGE_BINARY, 0.0, &prf, NULL),
        AIA_OK);
    assert_true(prf.precision == 0.0 && prf.recall == 0.0 && prf.f1 == 0.0);
    assert_int_equal(
        aia_ml_precision_recall_f1(y, 3, pred, 3, 2, AIA_ML_AVERAGE_BINARY, 1.0, &prf, NULL),
        AIA_OK);
    assert_true(prf.precision == 1.0 && prf.recall == 1.0 && prf.f1 == 1.0);
    /* Class 1 present but never predicted: precision is 0/0, recall 0/2. */
    const int y2[] = {0, 1, 1};
    assert_int_equal(
        aia_ml_precision_recall_f1(y2, 3, pred, 3, 2, AIA_ML_AVERAGE_BINARY, 1.0, &prf, NULL),
        AIA_OK);
    assert_true(prf.precision == 1.0 && prf.recall == 0.0 && prf.f1 == 0.0);
}

/* Macro averages over the classes that occur (labels=None): declaring more
 * classes than the data uses changes nothing. */
static void test_macro_skips_classes_that_never_occur(void **state)
{
    (void)state;
    const int y[] = {0, 1, 1, 0, 1, 1}, pred[] = {0, 1, 0, 0, 1, 1};
    aia_ml_prf two, five;
    assert_int_equal(
        aia_ml_precision_recall_f1(y, 6, pred, 6, 2, AIA_ML_AVERAGE_MACRO, 0.0, &two, NULL),
        AIA_OK);
    assert_int_equal(
        aia_ml_precision_recall_f1(y, 6, pred, 6, 5, AIA_ML_AVERAGE_MACRO, 0.0, &five, NULL),
        AIA_OK);
    assert_true(two.precision == five.precision);
    assert_true(two.recall == five.recall);
    assert_true(two.f1 == five.f1);
    /* Class 0: precision 2/3, recall 1; class 1: precision 1, recall 3/4. */
    assert_true(close_enough(two.precision, (2.0 / 3.0 + 1.0) / 2));
    assert_true(close_enough(two.recall, (1.0 + 0.75) / 2));
}

static void test_r2_constant_target(void **state)
{
    (void)state;
    const double y[] = {0.1, 0.1, 0.1}, off[] = {0.1, 0.2, 0.1};
    double r2 = -1;
    assert_int_equal(aia_ml_r2(y, 3, y, 3, &r2, NULL), AIA_OK);
    assert_true(r2 == 1.0);
    assert_int_equal(aia_ml_r2(y, 3, off, 3, &r2, NULL), AIA_OK);
    assert_true(r2 == 0.0);
}

/* 10^5 errors of 0.1: a plain loop drifts to 0.10000000000018848; the
 * compensated sum gives the correctly rounded 10^4 and so exactly 0.1. */
static void test_mae_sum_is_compensated(void **state)
{
    (void)state;
    enum { N = 100000 };
    double *zeros = calloc(N, sizeof *zeros), *tenths = malloc(N * sizeof *tenths);
    assert_non_null(zeros);
    assert_non_null(tenths);
    for (size_t i = 0; i < N; i++) tenths[i] = 0.1;
    double mae = -1;
    assert_int_equal(aia_ml_mae(zeros, N, tenths, N, &mae, NULL), AIA_OK);
    free(zeros);
    free(tenths);
    assert_true(mae == 0.1);
}

static void test_average_names(void **state)
{
    (void)state;
    assert_string_equal(aia_ml_average_name(AIA_ML_AVERAGE_BINARY), "binary");
    assert_string_equal(aia_ml_average_name(AIA_ML_AVERAGE_MICRO), "micro");
    assert_string_equal(aia_ml_average_name(AIA_ML_AVERAGE_MACRO), "macro");
    assert_string_equal(aia_ml_average_name(AIA_ML_AVERAGE_WEIGHTED), "weighted");
    assert_string_equal(aia_ml_average_name((aia_ml_average)42), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_accuracy),
        cmocka_unit_test(test_golden_confusion_matrix),
        cmocka_unit_test(test_golden_precision),
        cmocka_unit_test(test_golden_recall),
        cmocka_unit_test(test_golden_f1),
        cmocka_unit_test(test_golden_roc_auc_binary),
        cmocka_unit_test(test_golden_roc_auc_ovr),
        cmocka_unit_test(test_golden_log_loss),
        cmocka_unit_test(test_golden_log_loss_binary),
        cmocka_unit_test(test_golden_rmse),
        cmocka_unit_test(test_golden_mae),
        cmocka_unit_test(test_golden_r2),
        cmocka_unit_test(test_roc_auc_hand_example),
        cmocka_unit_test(test_roc_auc_ties_count_half),
        cmocka_unit_test(test_roc_auc_ignores_sample_order_and_scale),
        cmocka_unit_test(test_roc_auc_ovr_two_classes_is_binary),
        cmocka_unit_test(test_log_loss_clips_to_epsilon),
        cmocka_unit_test(test_log_loss_absent_class),
        cmocka_unit_test(test_zero_division_value),
        cmocka_unit_test(test_macro_skips_classes_that_never_occur),
        cmocka_unit_test(test_r2_constant_target),
        cmocka_unit_test(test_mae_sum_is_compensated),
        cmocka_unit_test(test_average_names),
    };
    return cmocka_run_group_tests(tests, load_fixtures, free_fixtures);
}
