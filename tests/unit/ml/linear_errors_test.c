/* tests/unit/ml/linear_errors_test.c — lib/ml/linear on bad input (every
 * rejection names the parameter, or the row and feature) and on the edges:
 * non-convergence reported as a flag, a progress callback that stops
 * training, separable data, constant and single rows, sample weights
 * equivalent to repeated rows, determinism, extreme logits. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/ml/linear.h"

#define MAX_ROWS 400
#define MAX_COLS 4

/* A small data set held by value: n rows, p columns, labels or targets. */
typedef struct toy {
    size_t n, p;
    double v[MAX_COLS][MAX_ROWS];
    const double *cols[MAX_COLS];
    double y[MAX_ROWS];
    double w[MAX_ROWS];
    aia_linear_data data;
} toy;

static void toy_bind(toy *t, int weighted)
{
    for (size_t j = 0; j < t->p; j++) t->cols[j] = t->v[j];
    t->data = (aia_linear_data){.x = {t->n, t->p, t->cols}, .y = t->y, .weight = weighted ? t->w : NULL};
}

/* n rows of p standard normal features; classes from a noisy linear score
 * (k classes by thresholds), or a linear target plus noise when k == 0. */
static void toy_make(toy *t, size_t n, size_t p, int k, uint64_t seed)
{
    aia_rng rng;
    aia_rng_seed(&rng, seed);
    t->n = n;
    t->p = p;
    for (size_t i = 0; i < n; i++) {
        double score = 0.0;
        for (size_t j = 0; j < p; j++) {
            t->v[j][i] = aia_rng_normal(&rng);
            score += (double)(j + 1) * 0.5 * t->v[j][i];
        }
        score += aia_rng_normal(&rng);
        if (k == 0)
            t->y[i] = 3.0 + score;
        else if (k == 2)
            t->y[i] = score > 0.0;
        else
            t->y[i] = score < -0.7 ? 0.0 : score < 0.7 ? 1.0 : 2.0;
        t->w[i] = 1.0;
    }
    toy_bind(t, 0);
}

static aia_logistic_params logistic_params(int k)
{
    aia_logistic_params p;
    aia_logistic_params_default(&p);
    p.n_classes = k;
    return p;
}

/* Trains and expects INVALID_ARGUMENT with every `parts` substring. */
static void expect_logistic_error(const aia_logistic_params *p, const aia_linear_data *d, const char *part1,
                                  const char *part2)
{
    aia_linear_model *m = NULL;
    aia_error err;
    aia_status s = aia_logistic_train(p, d, NULL, NULL, &m, &err);
    if (s != AIA_INVALID_ARGUMENT) fail_msg("expected INVALID_ARGUMENT, got %s", aia_status_name(s));
    assert_null(m);
    if (part1 && !strstr(err.message, part1)) fail_msg("message \"%s\" lacks \"%s\"", err.message, part1);
    if (part2 && !strstr(err.message, part2)) fail_msg("message \"%s\" lacks \"%s\"", err.message, part2);
}

static void expect_ridge_error(const aia_ridge_params *p, const aia_linear_data *d, const char *part1,
                               const char *part2)
{
    aia_linear_model *m = NULL;
    aia_error err;
    aia_status s = aia_ridge_train(p, d, &m, &err);
    if (s != AIA_INVALID_ARGUMENT) fail_msg("expected INVALID_ARGUMENT, got %s", aia_status_name(s));
    assert_null(m);
    if (part1 && !strstr(err.message, part1)) fail_msg("message \"%s\" lacks \"%s\"", err.message, part1);
    if (part2 && !strstr(err.message, part2)) fail_msg("message \"%s\" lacks \"%s\"", err.message, part2);
}

static toy t; /* large for the stack; tests run one at a time */

static void logistic_bad_parameters(void **state)
{
    toy_make(&t, 50, 2, 2, 1);
    aia_logistic_params p = logistic_params(1);
    expect_logistic_error(&p, &t.data, "n_classes is 1", NULL);
    p = logistic_params(2);
    p.C = 0.0;
    expect_logistic_error(&p, &t.data, "C is 0", NULL);
    p.C = NAN;
    expect_logistic_error(&p, &t.data, "C is nan", NULL);
    p.C = INFINITY;
    expect_logistic_error(&p, &t.data, "C is inf", NULL);
    p = logistic_params(2);
    p.tol = -1.0;
    expect_logistic_error(&p, &t.data, "tol is -1", NULL);
    p.tol = NAN;
    expect_logistic_error(&p, &t.data, "tol is nan", NULL);
    p = logistic_params(2);
    p.max_iter = 0;
    expect_logistic_error(&p, &t.data, "max_iter is 0", NULL);
    p = logistic_params(2);
    p.threads = -1;
    expect_logistic_error(&p, &t.data, "threads is -1", NULL);
    expect_logistic_error(NULL, &t.data, "params is NULL", NULL);
    p = logistic_params(2);
    expect_logistic_error(&p, NULL, "data is NULL", NULL);
    aia_error err;
    assert_int_equal(aia_logistic_train(&p, &t.data, NULL, NULL, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "out is NULL"));
}

static void logistic_bad_shapes(void **state)
{
    toy_make(&t, 50, 2, 2, 2);
    aia_logistic_params p = logistic_params(2);
    aia_linear_data d = t.data;
    d.x.n_rows = 0;
    expect_logistic_error(&p, &d, "no training rows", NULL);
    d = t.data;
    d.x.n_cols = 0;
    expect_logistic_error(&p, &d, "no features", NULL);
    d = t.data;
    d.y = NULL;
    expect_logistic_error(&p, &d, "y is NULL", NULL);
    d = t.data;
    d.x.col = NULL;
    expect_logistic_error(&p, &d, "x.col is NULL", NULL);
    t.cols[1] = NULL;
    expect_logistic_error(&p, &t.data, "feature 1", "NULL");
}

static void logistic_non_finite_features(void **state)
{
    toy_make(&t, 50, 3, 2, 3);
    aia_logistic_params p = logistic_params(2);
    t.v[2][17] = NAN;
    expect_logistic_error(&p, &t.data, "feature 2, row 17", "NaN");
    t.v[2][17] = 0.0;
    t.v[0][40] = -INFINITY;
    expect_logistic_error(&p, &t.data, "feature 0, row 40", "infinite");
}

static void logistic_bad_labels(void **state)
{
    toy_make(&t, 50, 2, 2, 4);
    aia_logistic_params p = logistic_params(2);
    double keep = t.y[7];
    t.y[7] = 2.0;
    expect_logistic_error(&p, &t.data, "label of row 7 is 2", "0..1");
    t.y[7] = -1.0;
    expect_logistic_error(&p, &t.data, "label of row 7 is -1", NULL);
    t.y[7] = 0.5;
    expect_logistic_error(&p, &t.data, "label of row 7 is 0.5", NULL);
    t.y[7] = NAN;
    expect_logistic_error(&p, &t.data, "label of row 7 is nan", NULL);
    t.y[7] = keep;
}

static void logistic_one_class_is_an_error(void **state)
{
    toy_make(&t, 50, 2, 2, 5);
    for (size_t i = 0; i < t.n; i++) t.y[i] = 1.0;
    aia_logistic_params p = logistic_params(2);
    expect_logistic_error(&p, &t.data, "only one class (class 1)", "at least two");
    /* Three classes declared, class 2 absent. */
    toy_make(&t, 50, 2, 2, 5);
    p = logistic_params(3);
    expect_logistic_error(&p, &t.data, "class 2 has no training row", NULL);
    /* A class whose only rows weigh 0 counts as absent. */
    toy_make(&t, 50, 2, 2, 5);
    toy_bind(&t, 1);
    p = logistic_params(2);
    for (size_t i = 0; i < t.n; i++)
        if (t.y[i] == 0.0) t.w[i] = 0.0;
    expect_logistic_error(&p, &t.data, "only one class (class 1)", NULL);
}

static void logistic_bad_weights(void **state)
{
    toy_make(&t, 50, 2, 2, 6);
    toy_bind(&t, 1);
    aia_logistic_params p = logistic_params(2);
    t.w[9] = -0.5;
    expect_logistic_error(&p, &t.data, "weight of row 9 is -0.5", ">= 0");
    t.w[9] = NAN;
    expect_logistic_error(&p, &t.data, "weight of row 9 is nan", NULL);
    for (size_t i = 0; i < t.n; i++) t.w[i] = 0.0;
    expect_logistic_error(&p, &t.data, "sum to 0", NULL);
}

static void ridge_bad_input(void **state)
{
    toy_make(&t, 40, 2, 0, 7);
    aia_ridge_params p;
    aia_ridge_params_default(&p);
    assert_true(p.alpha == 1.0);
    p.alpha = -1.0;
    expect_ridge_error(&p, &t.data, "alpha is -1", NULL);
    p.alpha = NAN;
    expect_ridge_error(&p, &t.data, "alpha is nan", NULL);
    p.alpha = 1.0;
    p.threads = -2;
    expect_ridge_error(&p, &t.data, "threads is -2", NULL);
    p.threads = 0;
    p.alpha = 1.0;
    t.y[5] = NAN;
    expect_ridge_error(&p, &t.data, "target of row 5 is NaN", NULL);
    t.y[5] = INFINITY;
    expect_ridge_error(&p, &t.data, "target of row 5 is infinite", NULL);
    t.y[5] = 1.0;
    t.v[1][33] = NAN;
    expect_ridge_error(&p, &t.data, "feature 1, row 33", "NaN");
    t.v[1][33] = 0.0;
    aia_linear_data d = t.data;
    d.x.n_rows = 0;
    expect_ridge_error(&p, &d, "no training rows", NULL);
    expect_ridge_error(NULL, &t.data, "params is NULL", NULL);
}

static aia_linear_model *train_logistic(const toy *d, aia_logistic_params p)
{
    aia_linear_model *m = NULL;
    aia_error err;
    if (aia_logistic_train(&p, &d->data, NULL, NULL, &m, &err) != AIA_OK) fail_msg("%s", err.message);
    return m;
}

static aia_linear_model *train_ridge(const toy *d, double alpha)
{
    aia_ridge_params p = {.alpha = alpha};
    aia_linear_model *m = NULL;
    aia_error err;
    if (aia_ridge_train(&p, &d->data, &m, &err) != AIA_OK) fail_msg("%s", err.message);
    return m;
}

static void predict_batch_bad_input(void **state)
{
    toy_make(&t, 30, 2, 2, 8);
    aia_linear_model *m = train_logistic(&t, logistic_params(2));
    double out[MAX_ROWS];
    aia_error err;
    aia_matrix x = t.data.x;
    x.n_cols = 3;
    assert_int_equal(aia_linear_predict_batch(m, &x, 0, out, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "x has 3 features; the model was trained on 2"));
    t.v[1][12] = NAN;
    out[12] = 42.0;
    assert_int_equal(aia_linear_predict_batch(m, &t.data.x, 0, out, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "feature 1, row 12"));
    assert_true(out[12] == 42.0); /* untouched */
    assert_int_equal(aia_linear_predict_batch(m, &t.data.x, 0, NULL, &err), AIA_INVALID_ARGUMENT);
    aia_linear_free(m);
}

static void from_coef_bad_input(void **state)
{
    double coef[6] = {1, 2, 3, 4, 5, 6}, icpt[3] = {0, 0, 0};
    aia_linear_model *m = NULL;
    aia_error err;
    assert_int_equal(aia_linear_from_coef((aia_linear_kind)7, 2, 2, coef, icpt, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "kind 7"));
    assert_int_equal(aia_linear_from_coef(AIA_LINEAR_LOGISTIC, 1, 2, coef, icpt, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "n_classes is 1"));
    assert_int_equal(aia_linear_from_coef(AIA_LINEAR_RIDGE, 0, 0, coef, icpt, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    coef[5] = NAN;
    assert_int_equal(aia_linear_from_coef(AIA_LINEAR_LOGISTIC, 3, 2, coef, icpt, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "coef[5]"));
    icpt[0] = INFINITY;
    assert_int_equal(aia_linear_from_coef(AIA_LINEAR_RIDGE, 0, 2, coef, icpt, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "intercept[0]"));
    assert_null(m);
}

/* Finite values too large for double arithmetic (squares overflow): an
 * error that says so, never a model full of NaN. */
static void overflowing_scale_is_an_error(void **state)
{
    toy_make(&t, 50, 2, 0, 20);
    for (size_t i = 0; i < t.n; i++) t.v[1][i] *= 1e200;
    aia_ridge_params rp = {.alpha = 1.0};
    expect_ridge_error(&rp, &t.data, "overflowed", "feature 1");
    /* Every row pushes the gradient the same way: its sum overflows. */
    toy_make(&t, 50, 2, 2, 20);
    for (size_t i = 0; i < t.n; i++) t.v[0][i] = t.y[i] == 1.0 ? 1.5e308 : -1.5e308;
    aia_logistic_params lp = logistic_params(2);
    expect_logistic_error(&lp, &t.data, "overflowed", "feature 0");
}

/* max_iter too small: a model, flagged as not converged, not an error. */
static void logistic_non_convergence_is_a_flag(void **state)
{
    toy_make(&t, 200, 3, 3, 9);
    aia_logistic_params p = logistic_params(3);
    p.max_iter = 2;
    aia_linear_model *m = train_logistic(&t, p);
    aia_linear_fit_info info = aia_linear_fit_info_of(m);
    assert_int_equal(info.converged, 0);
    assert_int_equal(info.stopped, 0);
    assert_int_equal(info.n_iter, 2);
    assert_true(info.grad_max > p.tol);
    for (int c = 0; c < 9; c++) assert_true(isfinite(aia_linear_coef(m)[c]));
    aia_linear_free(m);
    /* The same problem with room converges. */
    p.max_iter = 100;
    m = train_logistic(&t, p);
    info = aia_linear_fit_info_of(m);
    assert_int_equal(info.converged, 1);
    assert_true(info.n_iter > 2);
    aia_linear_free(m);
}

typedef struct progress_log {
    int calls, stop_at;
    double last_loss;
    int rose;
} progress_log;

static int record_progress(void *arg, int iter, double loss, double grad_max)
{
    progress_log *log = arg;
    log->calls++;
    assert_int_equal(iter, log->calls);
    if (log->calls > 1 && loss > log->last_loss) log->rose = 1;
    log->last_loss = loss;
    return log->stop_at && iter >= log->stop_at;
}

static void logistic_progress_and_cancel(void **state)
{
    toy_make(&t, 200, 3, 2, 10);
    aia_logistic_params p = logistic_params(2);
    p.tol = 1e-10;
    p.max_iter = 1000;
    progress_log log = {0};
    aia_linear_model *m = NULL;
    assert_int_equal(aia_logistic_train(&p, &t.data, record_progress, &log, &m, NULL), AIA_OK);
    aia_linear_fit_info info = aia_linear_fit_info_of(m);
    assert_int_equal(log.calls, info.n_iter);
    assert_int_equal(log.rose, 0); /* a line search only accepts decreases */
    assert_true(info.converged);
    assert_true(log.last_loss == info.loss);
    aia_linear_free(m);

    progress_log stop = {.stop_at = 2};
    assert_int_equal(aia_logistic_train(&p, &t.data, record_progress, &stop, &m, NULL), AIA_OK);
    info = aia_linear_fit_info_of(m);
    assert_int_equal(stop.calls, 2);
    assert_int_equal(info.n_iter, 2);
    assert_int_equal(info.stopped, 1);
    assert_int_equal(info.converged, 0);
    aia_linear_free(m);
}

/* Perfectly separated classes with a weak penalty (C = 1e4): the optimum
 * is finite but far out; the fit stays finite, classifies every row and
 * never returns NaN probabilities. */
static void logistic_separable_large_c(void **state)
{
    toy_make(&t, 100, 2, 2, 11);
    for (size_t i = 0; i < t.n; i++) t.y[i] = t.v[0][i] > 0.0;
    aia_logistic_params p = logistic_params(2);
    p.C = 1e4;
    aia_linear_model *m = train_logistic(&t, p);
    assert_true(isfinite(aia_linear_coef(m)[0]) && aia_linear_coef(m)[0] > 10.0);
    double out[MAX_ROWS];
    assert_int_equal(aia_linear_predict_batch(m, &t.data.x, 0, out, NULL), AIA_OK);
    for (size_t i = 0; i < t.n; i++) {
        assert_true(out[i] >= 0.0 && out[i] <= 1.0);
        assert_int_equal(out[i] > 0.5, (int)t.y[i]);
    }
    aia_linear_free(m);
}

static void logistic_multinomial_shape(void **state)
{
    toy_make(&t, 300, 3, 3, 12);
    aia_linear_model *m = train_logistic(&t, logistic_params(3));
    assert_int_equal(aia_linear_kind_of(m), AIA_LINEAR_LOGISTIC);
    assert_int_equal(aia_linear_n_classes(m), 3);
    assert_int_equal(aia_linear_n_outputs(m), 3);
    const double *b = aia_linear_intercept(m);
    assert_true(fabs(b[0] + b[1] + b[2]) < 1e-12); /* centred */
    double batch[3 * MAX_ROWS], row[MAX_COLS], one[3];
    assert_int_equal(aia_linear_predict_batch(m, &t.data.x, 0, batch, NULL), AIA_OK);
    for (size_t i = 0; i < t.n; i++) {
        for (size_t j = 0; j < t.p; j++) row[j] = t.v[j][i];
        aia_linear_predict(m, row, one);
        double sum = 0.0;
        for (int k = 0; k < 3; k++) {
            assert_true(one[k] == batch[3 * i + k]); /* same sums in the same order */
            sum += one[k];
        }
        assert_true(fabs(sum - 1.0) < 1e-12);
    }
    aia_linear_free(m);
}

/* Same data, same parameters: the same model, bit for bit. */
static void logistic_deterministic(void **state)
{
    toy_make(&t, 300, 3, 3, 13);
    aia_linear_model *a = train_logistic(&t, logistic_params(3));
    aia_linear_model *b = train_logistic(&t, logistic_params(3));
    assert_memory_equal(aia_linear_coef(a), aia_linear_coef(b), 9 * sizeof(double));
    assert_memory_equal(aia_linear_intercept(a), aia_linear_intercept(b), 3 * sizeof(double));
    aia_linear_free(a);
    aia_linear_free(b);
}

/* Rows span several 4096-row blocks: 1, 2 and 3 threads give the same
 * model bit for bit, as does the one-thread run with no team. */
static void logistic_same_model_for_any_thread_count(void **state)
{
    enum { N = 10000, P = 3 };
    double *v = malloc(P * N * sizeof *v), *y = malloc(N * sizeof *y);
    assert_non_null(v);
    assert_non_null(y);
    aia_rng rng;
    aia_rng_seed(&rng, 17);
    const double *cols[P];
    for (size_t j = 0; j < P; j++) cols[j] = v + j * N;
    for (size_t i = 0; i < N; i++) {
        double score = aia_rng_normal(&rng);
        for (size_t j = 0; j < P; j++) {
            v[j * N + i] = aia_rng_normal(&rng);
            score += (double)(j + 1) * v[j * N + i];
        }
        y[i] = score < -1.0 ? 0.0 : score < 1.0 ? 1.0 : 2.0;
    }
    aia_linear_data d = {.x = {N, P, cols}, .y = y, .weight = NULL};
    aia_linear_model *models[4];
    for (int threads = 0; threads < 4; threads++) {
        aia_logistic_params p = logistic_params(3);
        p.threads = threads == 0 ? 1 : threads;
        p.tol = 1e-8;
        aia_error err;
        if (aia_logistic_train(&p, &d, NULL, NULL, &models[threads], &err) != AIA_OK) fail_msg("%s", err.message);
    }
    for (int t2 = 1; t2 < 4; t2++) {
        assert_memory_equal(aia_linear_coef(models[0]), aia_linear_coef(models[t2]), 3 * P * sizeof(double));
        assert_memory_equal(aia_linear_intercept(models[0]), aia_linear_intercept(models[t2]), 3 * sizeof(double));
    }
    assert_true(aia_linear_fit_info_of(models[0]).converged);
    for (int m = 0; m < 4; m++) aia_linear_free(models[m]);
    free(v);
    free(y);
}

/* Ridge on enough data to use the team (20000 x 20, weighted, several
 * 1024-row blocks): 1, 2 and 3 threads give the same bits. */
static void ridge_same_model_for_any_thread_count(void **state)
{
    enum { N = 20000, P = 20 };
    double *v = malloc(P * N * sizeof *v), *y = malloc(N * sizeof *y), *w = malloc(N * sizeof *w);
    assert_non_null(v);
    assert_non_null(y);
    assert_non_null(w);
    aia_rng rng;
    aia_rng_seed(&rng, 22);
    const double *cols[P];
    for (size_t j = 0; j < P; j++) cols[j] = v + j * N;
    for (size_t i = 0; i < N; i++) {
        y[i] = 5.0 + aia_rng_normal(&rng);
        for (size_t j = 0; j < P; j++) {
            v[j * N + i] = aia_rng_normal(&rng) + (double)j;
            y[i] += (double)(j % 5) * v[j * N + i];
        }
        w[i] = 0.5 + aia_rng_uniform(&rng);
    }
    aia_linear_data d = {.x = {N, P, cols}, .y = y, .weight = w};
    aia_linear_model *models[3];
    for (int threads = 1; threads <= 3; threads++) {
        aia_ridge_params p = {.alpha = 0.0, .threads = threads};
        aia_error err;
        if (aia_ridge_train(&p, &d, &models[threads - 1], &err) != AIA_OK) fail_msg("%s", err.message);
    }
    for (int m = 1; m < 3; m++) {
        assert_memory_equal(aia_linear_coef(models[0]), aia_linear_coef(models[m]), P * sizeof(double));
        assert_memory_equal(aia_linear_intercept(models[0]), aia_linear_intercept(models[m]), sizeof(double));
    }
    for (size_t j = 0; j < P; j++) assert_true(fabs(aia_linear_coef(models[0])[j] - (double)(j % 5)) < 0.05);
    for (int m = 0; m < 3; m++) aia_linear_free(models[m]);
    free(v);
    free(y);
    free(w);
}

/* Weight 2 on a row is the row repeated, for both models. */
static void weights_equal_repeated_rows(void **state)
{
    static toy twice;
    for (int k = 0; k <= 2; k += 2) {
        toy_make(&t, 60, 2, k, 14);
        toy_bind(&t, 1);
        twice = t;
        for (size_t i = 0; i < 20; i++) {
            t.w[i] = 2.0;
            for (size_t j = 0; j < t.p; j++) twice.v[j][twice.n] = t.v[j][i];
            twice.y[twice.n] = t.y[i];
            twice.n++;
        }
        toy_bind(&twice, 0);
        aia_logistic_params p = logistic_params(2);
        p.tol = 1e-10;
        p.max_iter = 1000;
        aia_linear_model *a = k ? train_logistic(&t, p) : train_ridge(&t, 0.5);
        aia_linear_model *b = k ? train_logistic(&twice, p) : train_ridge(&twice, 0.5);
        for (size_t j = 0; j < 2; j++) assert_true(fabs(aia_linear_coef(a)[j] - aia_linear_coef(b)[j]) < 1e-7);
        assert_true(fabs(aia_linear_intercept(a)[0] - aia_linear_intercept(b)[0]) < 1e-7);
        aia_linear_free(a);
        aia_linear_free(b);
    }
}

/* A constant column gets coefficient 0 (no variance to explain), and a
 * single row gives coef 0 and its target as the intercept. */
static void ridge_constant_column_and_single_row(void **state)
{
    toy_make(&t, 50, 3, 0, 15);
    for (size_t i = 0; i < t.n; i++) t.v[1][i] = 0.1;
    for (int alpha = 0; alpha <= 1; alpha++) {
        aia_linear_model *m = train_ridge(&t, alpha);
        assert_true(aia_linear_coef(m)[1] == 0.0);
        assert_true(fabs(aia_linear_coef(m)[0] - 0.5) < 0.5);
        assert_int_equal(aia_linear_fit_info_of(m).rank, 2);
        aia_linear_free(m);
    }
    t.n = 1;
    toy_bind(&t, 0);
    aia_linear_model *m = train_ridge(&t, 0.0);
    for (size_t j = 0; j < 3; j++) assert_true(aia_linear_coef(m)[j] == 0.0);
    assert_true(aia_linear_intercept(m)[0] == t.y[0]);
    assert_int_equal(aia_linear_fit_info_of(m).rank, 0);
    assert_true(aia_linear_fit_info_of(m).loss == 0.0);
    aia_linear_free(m);
}

/* A duplicated column under least squares: the weight is shared equally
 * (the minimum-norm solution), rank is reported one short. */
static void ols_duplicate_column_shares_weight(void **state)
{
    toy_make(&t, 80, 3, 0, 16);
    for (size_t i = 0; i < t.n; i++) t.v[2][i] = t.v[0][i];
    aia_linear_model *m = train_ridge(&t, 0.0);
    const double *c = aia_linear_coef(m);
    assert_int_equal(aia_linear_fit_info_of(m).rank, 2);
    assert_true(fabs(c[0] - c[2]) < 1e-7 * fabs(c[0]));
    aia_linear_free(m);
}

/* More features than rows: least squares has many exact fits; ours is the
 * minimum-norm one through the jitter, so it reproduces the training
 * targets and reports rank n - 1 (centring takes one). A huge alpha sends
 * the coefficients to 0 and the intercept to the weighted mean target. */
static void ridge_wide_and_heavily_penalised(void **state)
{
    toy_make(&t, 3, 4, 0, 18);
    aia_linear_model *m = train_ridge(&t, 0.0);
    assert_int_equal(aia_linear_fit_info_of(m).rank, 2);
    double fit[3];
    assert_int_equal(aia_linear_predict_batch(m, &t.data.x, 0, fit, NULL), AIA_OK);
    for (size_t i = 0; i < 3; i++) assert_true(fabs(fit[i] - t.y[i]) < 1e-6 * (1.0 + fabs(t.y[i])));
    assert_true(aia_linear_fit_info_of(m).loss < 1e-10);
    aia_linear_free(m);

    toy_make(&t, 100, 2, 0, 19);
    toy_bind(&t, 1);
    double sum_wy = 0.0, sum_w = 0.0;
    for (size_t i = 0; i < t.n; i++) {
        t.w[i] = 1.0 + (double)(i % 3);
        sum_wy += t.w[i] * t.y[i];
        sum_w += t.w[i];
    }
    m = train_ridge(&t, 1e12);
    for (size_t j = 0; j < 2; j++) assert_true(fabs(aia_linear_coef(m)[j]) < 1e-6);
    assert_true(fabs(aia_linear_intercept(m)[0] - sum_wy / sum_w) < 1e-6);
    aia_linear_free(m);
}

/* A trained model rebuilt from its accessors (as the model file does)
 * predicts the same bits and keeps the fit info it is given. */
static void from_coef_round_trip(void **state)
{
    toy_make(&t, 300, 3, 3, 21);
    aia_linear_model *m = train_logistic(&t, logistic_params(3));
    aia_linear_fit_info info = aia_linear_fit_info_of(m);
    aia_linear_model *copy = NULL;
    assert_int_equal(aia_linear_from_coef(AIA_LINEAR_LOGISTIC, 3, 3, aia_linear_coef(m), aia_linear_intercept(m),
                                          &info, &copy, NULL),
                     AIA_OK);
    double a[3 * MAX_ROWS], b[3 * MAX_ROWS];
    assert_int_equal(aia_linear_predict_batch(m, &t.data.x, 0, a, NULL), AIA_OK);
    assert_int_equal(aia_linear_predict_batch(copy, &t.data.x, 0, b, NULL), AIA_OK);
    assert_memory_equal(a, b, 3 * t.n * sizeof(double));
    assert_int_equal(aia_linear_fit_info_of(copy).n_iter, info.n_iter);
    assert_true(aia_linear_fit_info_of(copy).loss == info.loss);
    aia_linear_free(copy);
    aia_linear_free(m);
}

/* Logits far beyond exp()'s range: probabilities 0 and 1, never NaN. */
static void extreme_logits_stay_finite(void **state)
{
    double coef[6] = {1e3, 0, -1e3, 0, 0, 0}, icpt[3] = {0, 0, 0}, row[2] = {1e300, 0}, out[3];
    aia_linear_model *m = NULL;
    assert_int_equal(aia_linear_from_coef(AIA_LINEAR_LOGISTIC, 3, 2, coef, icpt, NULL, &m, NULL), AIA_OK);
    aia_linear_predict(m, row, out);
    assert_true(out[0] == 1.0 && out[1] == 0.0 && out[2] == 0.0);
    row[0] = 1e308; /* 1e3 x 1e308 overflows: logits +inf, -inf, 0 */
    aia_linear_predict(m, row, out);
    assert_true(out[0] == 1.0 && out[1] == 0.0 && out[2] == 0.0);
    row[0] = 1e300;
    aia_linear_free(m);
    assert_int_equal(aia_linear_from_coef(AIA_LINEAR_LOGISTIC, 2, 2, coef, icpt, NULL, &m, NULL), AIA_OK);
    aia_linear_predict(m, row, out);
    assert_true(out[0] == 1.0);
    row[0] = -1e300;
    aia_linear_predict(m, row, out);
    assert_true(out[0] == 0.0);
    aia_linear_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logistic_bad_parameters),
        cmocka_unit_test(logistic_bad_shapes),
        cmocka_unit_test(logistic_non_finite_features),
        cmocka_unit_test(logistic_bad_labels),
        cmocka_unit_test(logistic_one_class_is_an_error),
        cmocka_unit_test(logistic_bad_weights),
        cmocka_unit_test(ridge_bad_input),
        cmocka_unit_test(predict_batch_bad_input),
        cmocka_unit_test(from_coef_bad_input),
        cmocka_unit_test(overflowing_scale_is_an_error),
        cmocka_unit_test(logistic_non_convergence_is_a_flag),
        cmocka_unit_test(logistic_progress_and_cancel),
        cmocka_unit_test(logistic_separable_large_c),
        cmocka_unit_test(logistic_multinomial_shape),
        cmocka_unit_test(logistic_deterministic),
        cmocka_unit_test(logistic_same_model_for_any_thread_count),
        cmocka_unit_test(ridge_same_model_for_any_thread_count),
        cmocka_unit_test(weights_equal_repeated_rows),
        cmocka_unit_test(ridge_constant_column_and_single_row),
        cmocka_unit_test(ols_duplicate_column_shares_weight),
        cmocka_unit_test(ridge_wide_and_heavily_penalised),
        cmocka_unit_test(from_coef_round_trip),
        cmocka_unit_test(extreme_logits_stay_finite),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
