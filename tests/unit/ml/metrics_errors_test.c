/* tests/unit/ml/metrics_errors_test.c — lib/ml/metrics on bad input.
 *
 * Every rejection is INVALID_ARGUMENT (OUT_OF_RANGE for overflow) with a
 * message naming the argument and the first offending index, and leaves
 * the output untouched: never a crash, never a NaN.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "lib/ml/metrics.h"

#define SENTINEL 12345.0

/* Asserts `s` is `code` and the message holds each of the NULL-terminated
 * fragments, printing the message when it does not. */
static void expect_error(aia_status s, aia_status code, const aia_error *err, ...)
{
    if (s != code)
        fail_msg("status %s, wanted %s (message: %s)", aia_status_name(s), aia_status_name(code),
                 err->message);
    assert_int_equal(err->code, code);
    va_list ap;
    va_start(ap, err);
    const char *fragment;
    while ((fragment = va_arg(ap, const char *)) != NULL) {
        if (!strstr(err->message, fragment))
            fail_msg("message \"%s\" does not mention \"%s\"", err->message, fragment);
    }
    va_end(ap);
}

static const int Y2[] = {0, 1, 1, 0};
static const int P2[] = {0, 1, 0, 0};
static const double S4[] = {0.1, 0.9, 0.6, 0.3};
static const double R4[] = {1.0, 2.0, 3.0, 4.0};
static const int Y3[] = {0, 1, 2, 1};
static const double PROBA3[] = {0.7, 0.2, 0.1, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6, 0.3, 0.4, 0.3};

/* ---- Empty input and mismatched lengths ----------------------------------- */

static void test_empty_input(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    aia_ml_prf prf;
    uint64_t counts[4];
    expect_error(aia_ml_accuracy(Y2, 0, P2, 0, 2, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true", "n = 0", NULL);
    expect_error(aia_ml_confusion_matrix(Y2, 0, P2, 0, 2, counts, &err), AIA_INVALID_ARGUMENT,
                 &err, "y_true", "empty", NULL);
    expect_error(
        aia_ml_precision_recall_f1(Y2, 0, P2, 0, 2, AIA_ML_AVERAGE_MACRO, 0.0, &prf, &err),
        AIA_INVALID_ARGUMENT, &err, "y_true", "empty", NULL);
    expect_error(aia_ml_roc_auc_binary(Y2, 0, S4, 0, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true", "empty", NULL);
    expect_error(aia_ml_roc_auc_ovr(Y3, 0, PROBA3, 0, 3, AIA_ML_AVERAGE_MACRO, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "y_true", "empty", NULL);
    expect_error(aia_ml_log_loss(Y3, 0, PROBA3, 0, 3, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true", "empty", NULL);
    expect_error(aia_ml_log_loss_binary(Y2, 0, S4, 0, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true", "empty", NULL);
    expect_error(aia_ml_rmse(R4, 0, R4, 0, &out, &err), AIA_INVALID_ARGUMENT, &err, "y_true",
                 "empty", NULL);
    expect_error(aia_ml_mae(R4, 0, R4, 0, &out, &err), AIA_INVALID_ARGUMENT, &err, "y_true",
                 "empty", NULL);
    expect_error(aia_ml_r2(R4, 0, R4, 0, &out, &err), AIA_INVALID_ARGUMENT, &err, "y_true",
                 "empty", NULL);
    assert_true(out == SENTINEL);
}

static void test_mismatched_lengths(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    aia_ml_prf prf;
    uint64_t counts[4];
    expect_error(aia_ml_accuracy(Y2, 4, P2, 3, 2, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true has 4", "y_pred has 3", NULL);
    expect_error(aia_ml_confusion_matrix(Y2, 3, P2, 4, 2, counts, &err), AIA_INVALID_ARGUMENT,
                 &err, "y_true has 3", "y_pred has 4", NULL);
    expect_error(
        aia_ml_precision_recall_f1(Y2, 4, P2, 2, 2, AIA_ML_AVERAGE_BINARY, 0.0, &prf, &err),
        AIA_INVALID_ARGUMENT, &err, "y_pred has 2", NULL);
    expect_error(aia_ml_roc_auc_binary(Y2, 4, S4, 3, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_score has 3", NULL);
    expect_error(aia_ml_roc_auc_ovr(Y3, 4, PROBA3, 3, 3, AIA_ML_AVERAGE_MACRO, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "y_proba rows has 3", NULL);
    expect_error(aia_ml_log_loss(Y3, 3, PROBA3, 4, 3, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true has 3", "y_proba rows has 4", NULL);
    expect_error(aia_ml_log_loss_binary(Y2, 4, S4, 1, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "p_pos has 1", NULL);
    expect_error(aia_ml_rmse(R4, 4, R4, 2, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_pred has 2", NULL);
    expect_error(aia_ml_mae(R4, 1, R4, 4, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_pred has 4", NULL);
    expect_error(aia_ml_r2(R4, 4, R4, 3, &out, &err), AIA_INVALID_ARGUMENT, &err, "y_pred has 3",
                 NULL);
    assert_true(out == SENTINEL);
}

static void test_null_pointers(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    expect_error(aia_ml_accuracy(NULL, 4, P2, 4, 2, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true is NULL", NULL);
    expect_error(aia_ml_accuracy(Y2, 4, P2, 4, 2, NULL, &err), AIA_INVALID_ARGUMENT, &err,
                 "out is NULL", NULL);
    expect_error(aia_ml_confusion_matrix(Y2, 4, P2, 4, 2, NULL, &err), AIA_INVALID_ARGUMENT, &err,
                 "counts is NULL", NULL);
    expect_error(aia_ml_roc_auc_binary(Y2, 4, NULL, 4, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_score is NULL", NULL);
    expect_error(aia_ml_log_loss(Y3, 4, NULL, 4, 3, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_proba is NULL", NULL);
    expect_error(aia_ml_rmse(R4, 4, NULL, 4, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_pred is NULL", NULL);
    /* err may be NULL: the status alone still tells. */
    assert_int_equal(aia_ml_mae(NULL, 4, R4, 4, &out, NULL), AIA_INVALID_ARGUMENT);
    assert_true(out == SENTINEL);
}

/* ---- Class indices and class counts --------------------------------------- */

static void test_class_index_out_of_range(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    aia_ml_prf prf;
    const int bad_true[] = {0, 1, 2, 1}, bad_pred[] = {0, 1, 1, -1};
    expect_error(aia_ml_accuracy(bad_true, 4, P2, 4, 2, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true[2] = 2", "[0, 2)", NULL);
    expect_error(aia_ml_accuracy(Y2, 4, bad_pred, 4, 2, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_pred[3] = -1", NULL);
    expect_error(
        aia_ml_precision_recall_f1(Y3, 4, bad_pred, 4, 3, AIA_ML_AVERAGE_MACRO, 0.0, &prf, &err),
        AIA_INVALID_ARGUMENT, &err, "y_pred[3] = -1", "[0, 3)", NULL);
    expect_error(aia_ml_roc_auc_binary(bad_true, 4, S4, 4, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true[2] = 2", "binary", NULL);
    expect_error(aia_ml_log_loss_binary(bad_true, 4, S4, 4, &out, &err), AIA_INVALID_ARGUMENT,
                 &err, "y_true[2] = 2", NULL);
    const int y_big[] = {0, 1, 3, 1};
    expect_error(aia_ml_roc_auc_ovr(y_big, 4, PROBA3, 4, 3, AIA_ML_AVERAGE_MACRO, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "y_true[2] = 3", NULL);
    expect_error(aia_ml_log_loss(y_big, 4, PROBA3, 4, 3, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true[2] = 3", NULL);
    assert_true(out == SENTINEL);
}

static void test_too_few_classes(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    const double one_col[] = {1.0, 1.0, 1.0, 1.0};
    const int zeros[] = {0, 0, 0, 0};
    expect_error(aia_ml_accuracy(zeros, 4, zeros, 4, 0, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "n_classes is 0", NULL);
    expect_error(aia_ml_log_loss(zeros, 4, one_col, 4, 1, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "n_classes is 1", "at least 2", NULL);
    expect_error(aia_ml_roc_auc_ovr(zeros, 4, one_col, 4, 1, AIA_ML_AVERAGE_MACRO, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "n_classes is 1", NULL);
    assert_true(out == SENTINEL);
}

static void test_bad_average_and_zero_division(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    aia_ml_prf prf = {SENTINEL, SENTINEL, SENTINEL};
    expect_error(
        aia_ml_precision_recall_f1(Y3, 4, Y3, 4, 3, AIA_ML_AVERAGE_BINARY, 0.0, &prf, &err),
        AIA_INVALID_ARGUMENT, &err, "average=binary", "got 3", NULL);
    expect_error(aia_ml_precision_recall_f1(Y2, 4, P2, 4, 2, (aia_ml_average)7, 0.0, &prf, &err),
                 AIA_INVALID_ARGUMENT, &err, "average is 7", NULL);
    expect_error(aia_ml_precision_recall_f1(Y2, 4, P2, 4, 2, (aia_ml_average)-1, 0.0, &prf, &err),
                 AIA_INVALID_ARGUMENT, &err, "average is -1", NULL);
    expect_error(
        aia_ml_precision_recall_f1(Y2, 4, P2, 4, 2, AIA_ML_AVERAGE_MACRO, 0.5, &prf, &err),
        AIA_INVALID_ARGUMENT, &err, "zero_division is 0.5", NULL);
    expect_error(
        aia_ml_precision_recall_f1(Y2, 4, P2, 4, 2, AIA_ML_AVERAGE_MACRO, NAN, &prf, &err),
        AIA_INVALID_ARGUMENT, &err, "zero_division is nan", NULL);
    expect_error(aia_ml_roc_auc_ovr(Y3, 4, PROBA3, 4, 3, AIA_ML_AVERAGE_BINARY, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "average=binary", NULL);
    expect_error(aia_ml_roc_auc_ovr(Y3, 4, PROBA3, 4, 3, (aia_ml_average)9, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "average is 9", NULL);
    assert_true(out == SENTINEL && prf.precision == SENTINEL);
}

/* ---- Undefined ROC AUC ------------------------------------------------------ */

static void test_roc_auc_needs_both_classes(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    const int ones[] = {1, 1, 1, 1}, zeros[] = {0, 0, 0, 0};
    expect_error(aia_ml_roc_auc_binary(ones, 4, S4, 4, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "only class 1", "undefined", NULL);
    expect_error(aia_ml_roc_auc_binary(zeros, 4, S4, 4, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "only class 0", NULL);
    const double proba2[] = {0.5, 0.5, 0.2, 0.8, 0.9, 0.1, 0.4, 0.6};
    expect_error(aia_ml_roc_auc_ovr(zeros, 4, proba2, 4, 2, AIA_ML_AVERAGE_MACRO, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "only class 0", NULL);
    /* Class 2 never occurs: its one-vs-rest AUC is undefined. */
    const int no_two[] = {0, 1, 0, 1};
    expect_error(aia_ml_roc_auc_ovr(no_two, 4, PROBA3, 4, 3, AIA_ML_AVERAGE_MACRO, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "class 2 never occurs", NULL);
    expect_error(aia_ml_roc_auc_ovr(no_two, 4, PROBA3, 4, 3, AIA_ML_AVERAGE_WEIGHTED, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "class 2", NULL);
    assert_true(out == SENTINEL);
    /* Micro pools every (sample, class) pair and stays defined. */
    assert_int_equal(
        aia_ml_roc_auc_ovr(no_two, 4, PROBA3, 4, 3, AIA_ML_AVERAGE_MICRO, &out, &err), AIA_OK);
    assert_true(out >= 0.0 && out <= 1.0);
}

/* ---- NaN, infinity, probabilities ------------------------------------------ */

static void test_nan_and_infinity(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    const double nan_score[] = {0.1, 0.2, NAN, 0.4};
    const double inf_score[] = {0.1, INFINITY, 0.3, 0.4};
    const double neg_inf[] = {0.1, 0.2, 0.3, -INFINITY};
    expect_error(aia_ml_roc_auc_binary(Y2, 4, nan_score, 4, &out, &err), AIA_INVALID_ARGUMENT,
                 &err, "y_score[2] is NaN", NULL);
    expect_error(aia_ml_roc_auc_binary(Y2, 4, inf_score, 4, &out, &err), AIA_INVALID_ARGUMENT,
                 &err, "y_score[1] is +inf", NULL);
    expect_error(aia_ml_rmse(nan_score, 4, R4, 4, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_true[2] is NaN", NULL);
    expect_error(aia_ml_mae(R4, 4, neg_inf, 4, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_pred[3] is -inf", NULL);
    expect_error(aia_ml_r2(R4, 4, nan_score, 4, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_pred[2] is NaN", NULL);
    expect_error(aia_ml_log_loss_binary(Y2, 4, nan_score, 4, &out, &err), AIA_INVALID_ARGUMENT,
                 &err, "p_pos[2]", "NaN", NULL);
    double proba[12];
    memcpy(proba, PROBA3, sizeof proba);
    proba[7] = NAN;
    expect_error(aia_ml_log_loss(Y3, 4, proba, 4, 3, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_proba[2][1]", "NaN", NULL);
    expect_error(aia_ml_roc_auc_ovr(Y3, 4, proba, 4, 3, AIA_ML_AVERAGE_MACRO, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "y_proba[2][1]", NULL);
    assert_true(out == SENTINEL);
}

static void test_probability_out_of_range(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    const double above_one[] = {0.1, 1.5, 0.3, 0.4};
    expect_error(aia_ml_log_loss_binary(Y2, 4, above_one, 4, &out, &err), AIA_INVALID_ARGUMENT,
                 &err, "p_pos[1] = 1.5", "[0, 1]", NULL);
    /* Row 1 is (1.2, -0.3, 0.1): sums to 1 but is no distribution. */
    double proba[12];
    memcpy(proba, PROBA3, sizeof proba);
    proba[3] = 1.2;
    proba[4] = -0.3;
    expect_error(aia_ml_log_loss(Y3, 4, proba, 4, 3, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_proba[1][0] = 1.2", NULL);
    assert_true(out == SENTINEL);
}

static void test_rows_must_sum_to_one(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    double proba[12];
    memcpy(proba, PROBA3, sizeof proba);
    proba[10] = 0.5; /* row 3: 0.3 + 0.5 + 0.3 = 1.1 */
    expect_error(aia_ml_log_loss(Y3, 4, proba, 4, 3, &out, &err), AIA_INVALID_ARGUMENT, &err,
                 "y_proba row 3 sums to 1.1", NULL);
    expect_error(aia_ml_roc_auc_ovr(Y3, 4, proba, 4, 3, AIA_ML_AVERAGE_MACRO, &out, &err),
                 AIA_INVALID_ARGUMENT, &err, "y_proba row 3", NULL);
    assert_true(out == SENTINEL);
    /* Within the tolerance is accepted and not renormalised. */
    memcpy(proba, PROBA3, sizeof proba);
    proba[0] += AIA_ML_PROBA_SUM_TOLERANCE / 2;
    assert_int_equal(aia_ml_log_loss(Y3, 4, proba, 4, 3, &out, &err), AIA_OK);
    assert_true(fabs(out - (-(log(0.7 + AIA_ML_PROBA_SUM_TOLERANCE / 2) + log(0.8) + log(0.6) +
                              log(0.4)) / 4)) < 1e-15);
}

/* ---- Regression edge cases ------------------------------------------------ */

static void test_r2_needs_two_samples(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    expect_error(aia_ml_r2(R4, 1, R4, 1, &out, &err), AIA_INVALID_ARGUMENT, &err, "1 sample",
                 "fewer than 2", NULL);
    assert_true(out == SENTINEL);
    /* RMSE and MAE are defined for one sample. */
    const double one[] = {2.0}, three[] = {5.0};
    assert_int_equal(aia_ml_rmse(one, 1, three, 1, &out, &err), AIA_OK);
    assert_true(out == 3.0);
}

static void test_overflow_is_out_of_range(void **state)
{
    (void)state;
    aia_error err;
    double out = SENTINEL;
    const double huge[] = {1e200, -1e200, 1e200}, zeros[] = {0.0, 0.0, 0.0};
    expect_error(aia_ml_rmse(huge, 3, zeros, 3, &out, &err), AIA_OUT_OF_RANGE, &err, "overflows",
                 NULL);
    expect_error(aia_ml_r2(huge, 3, zeros, 3, &out, &err), AIA_OUT_OF_RANGE, &err, "overflows",
                 NULL);
    const double max[] = {1.7e308, 1.7e308}, neg_max[] = {-1.7e308, -1.7e308};
    expect_error(aia_ml_mae(max, 2, neg_max, 2, &out, &err), AIA_OUT_OF_RANGE, &err, "overflows",
                 NULL);
    assert_true(out == SENTINEL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_mismatched_lengths),
        cmocka_unit_test(test_null_pointers),
        cmocka_unit_test(test_class_index_out_of_range),
        cmocka_unit_test(test_too_few_classes),
        cmocka_unit_test(test_bad_average_and_zero_division),
        cmocka_unit_test(test_roc_auc_needs_both_classes),
        cmocka_unit_test(test_nan_and_infinity),
        cmocka_unit_test(test_probability_out_of_range),
        cmocka_unit_test(test_rows_must_sum_to_one),
        cmocka_unit_test(test_r2_needs_two_samples),
        cmocka_unit_test(test_overflow_is_out_of_range),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
