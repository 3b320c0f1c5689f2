/* Unit tests for aia_model_refit_preprocess (lib/ml/model_refit.c): the
 * refitted fills, means and scales against values computed here, categorical
 * inputs untouched, the learner unchanged (predictions of the refitted model
 * on shifted data equal the old model's on the data mapped back), absent
 * columns and min_rows keeping statistics, wrong types refused by name, and
 * the new model surviving the model file. */
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
#include "lib/ml/model.h"
#include "lib/ml/model_file.h"

#define N 400

/* Columns: x1 (continuous), x2 (small integers, so a mode means something),
 * plan (categorical), autopay (boolean), target (class "a" / "b"). */
typedef struct data {
    size_t n;
    double x1[N], x2[N];
    uint8_t miss1[N], miss2[N];
    const char *plan[N];
    int8_t autopay[N];
    const char *target[N];
} data;

static const char *const PLANS[] = {"basic", "plus", "pro"};

/* Training data; `shift` makes the recent data: x scaled by 2 and moved by
 * +5, another missing pattern, autopay mostly true instead of mostly false. */
static void generate(data *d, uint64_t seed, int shift)
{
    aia_rng r;
    aia_rng_seed(&r, seed);
    d->n = N;
    for (size_t i = 0; i < N; i++) {
        double x1 = 3.0 + 1.5 * aia_rng_normal(&r), x2 = (double)aia_rng_below(&r, 12);
        int plan = (int)aia_rng_below(&r, 3);
        int pay = aia_rng_uniform(&r) < (shift ? 0.8 : 0.3);
        double score = 0.8 * (x1 - 3.0) - 0.3 * (x2 - 5.5) + (plan == 2 ? 1.0 : 0.0) + (pay ? -0.7 : 0.5);
        d->x1[i] = shift ? 2.0 * x1 + 5.0 : x1;
        d->x2[i] = shift ? 2.0 * x2 + 5.0 : x2;
        d->miss1[i] = shift ? i % 7 == 2 : i % 13 == 3;
        d->miss2[i] = shift ? i % 9 == 1 : i % 17 == 4;
        d->plan[i] = i % 23 == 6 ? NULL : PLANS[plan];
        d->autopay[i] = i % 19 == 7 ? -1 : (int8_t)pay;
        d->target[i] = score + 0.5 * aia_rng_normal(&r) > 0 ? "a" : "b";
    }
}

/* A frame of d's columns; `omit` names a column left out, `x1_as_text`
 * makes x1 categorical (a CSV read without the training schema). */
static aia_frame *frame_of(const data *d, const char *omit, int x1_as_text)
{
    aia_frame *f;
    aia_error err;
    assert_int_equal(aia_frame_create(d->n, "<recent>", &f, &err), AIA_OK);
    int ok = 1;
    if (x1_as_text) {
        const char *cells[N];
        for (size_t i = 0; i < d->n; i++) cells[i] = i % 2 ? "low" : "high";
        ok &= aia_frame_add_categorical(f, "x1", cells, &err) == AIA_OK;
    } else if (!omit || strcmp(omit, "x1") != 0) {
        ok &= aia_frame_add_numeric(f, "x1", d->x1, d->miss1, &err) == AIA_OK;
    }
    if (!omit || strcmp(omit, "x2") != 0) ok &= aia_frame_add_numeric(f, "x2", d->x2, d->miss2, &err) == AIA_OK;
    ok &= aia_frame_add_categorical(f, "plan", d->plan, &err) == AIA_OK;
    ok &= aia_frame_add_boolean(f, "autopay", d->autopay, &err) == AIA_OK;
    ok &= aia_frame_add_categorical(f, "target", d->target, &err) == AIA_OK;
    if (!ok) fail_msg("%s", err.message);
    return f;
}

static const char *const FEATURES[] = {"x1", "x2", "plan", "autopay"};

static aia_model *train(aia_algorithm algo, const aia_frame *f, const aia_preprocess_options *pre)
{
    aia_train_spec spec;
    aia_train_spec_init(&spec);
    spec.task = AIA_TASK_CLASSIFICATION;
    spec.algorithm = algo;
    spec.target = "target";
    spec.features = FEATURES;
    spec.n_features = 4;
    spec.gbdt.n_rounds = 20;
    spec.preprocess = pre;
    aia_model *m;
    aia_error err;
    if (aia_model_train(&spec, f, NULL, NULL, NULL, &m, &err) != AIA_OK) fail_msg("%s", err.message);
    return m;
}

/* The linear model's defaults: mean imputation, standardisation, one-hot. */
static aia_model *train_logistic(const aia_frame *f)
{
    return train(AIA_ALGO_LOGISTIC_REGRESSION, f, NULL);
}

/* A GBDT with median imputation (mode for x2) and standardisation, so its
 * refit has every statistic to change. */
static aia_model *train_gbdt(const aia_frame *f)
{
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.impute = AIA_IMPUTE_MEDIAN;
    o.standardize = AIA_SWITCH_ON;
    o.encoding = AIA_ENCODE_NATIVE;
    aia_preprocess_column_options x2 = {.column = "x2", .impute = AIA_IMPUTE_MOST_FREQUENT};
    o.columns = &x2;
    o.n_columns = 1;
    return train(AIA_ALGO_GBDT, f, &o);
}

static aia_preprocess_column input(const aia_model *m, size_t i)
{
    aia_preprocess_column c;
    aia_preprocess_describe_input(aia_model_preprocess(m), i, &c);
    return c;
}

static double *predict(const aia_model *m, const aia_frame *f)
{
    double *p = malloc(2 * aia_frame_n_rows(f) * sizeof *p);
    aia_error err;
    if (aia_model_predict_frame(m, f, p, &err) != AIA_OK) fail_msg("%s", err.message);
    return p;
}

static aia_model *refit(const aia_model *m, const aia_frame *f, size_t min_rows, size_t *refitted)
{
    aia_model *out = NULL;
    aia_error err;
    if (aia_model_refit_preprocess(m, f, min_rows, &out, refitted, &err) != AIA_OK) fail_msg("%s", err.message);
    assert_non_null(out);
    return out;
}

static void assert_close(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fmax(1.0, fabs(want))))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* ---- statistics computed here, independently of lib/ml ------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Observed values of x, sorted; returns their count. */
static size_t observed(const double *x, const uint8_t *miss, size_t n, double *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!miss[i]) out[k++] = x[i];
    qsort(out, k, sizeof *out, cmp_double);
    return k;
}

static double mean_of(const double *x, size_t k)
{
    long double s = 0;
    for (size_t i = 0; i < k; i++) s += x[i];
    return (double)(s / (long double)k);
}

static double median_of(const double *sorted, size_t k)
{
    return k % 2 ? sorted[k / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2.0;
}

static double mode_of(const double *sorted, size_t k)
{
    double best = sorted[0];
    size_t best_n = 0;
    for (size_t i = 0; i < k;) {
        size_t j = i;
        while (j < k && sorted[j] == sorted[i]) j++;
        if (j - i > best_n) best_n = j - i, best = sorted[i];
        i = j;
    }
    return best;
}

/* StandardScaler after imputing the n - k missing cells with `fill`. */
static void scaler_of(const double *obs, size_t k, size_t n, double fill, double *mean, double *scale)
{
    long double s = (long double)fill * (long double)(n - k), q = 0;
    for (size_t i = 0; i < k; i++) s += obs[i];
    double m = (double)(s / (long double)n);
    for (size_t i = 0; i < k; i++) q += (long double)(obs[i] - m) * (obs[i] - m);
    q += (long double)(n - k) * (fill - m) * (fill - m);
    *mean = m;
    *scale = sqrt((double)(q / (long double)n));
}

static double bool_mode(const data *d)
{
    size_t t = 0, obs = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->autopay[i] >= 0) obs++, t += (size_t)d->autopay[i];
    return t > obs - t ? 1.0 : 0.0;
}

static void assert_same_categorical(const aia_preprocess_column *a, const aia_preprocess_column *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->n_categories, b->n_categories);
    assert_int_equal(a->missing_indicator, b->missing_indicator);
    for (size_t k = 0; k < a->n_categories; k++) assert_string_equal(a->categories[k], b->categories[k]);
}

static void assert_same_stats(const aia_preprocess_column *a, const aia_preprocess_column *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->impute, b->impute);
    assert_int_equal(a->standardize, b->standardize);
    assert_memory_equal(&a->fill, &b->fill, sizeof a->fill);
    assert_memory_equal(&a->mean, &b->mean, sizeof a->mean);
    assert_memory_equal(&a->scale, &b->scale, sizeof a->scale);
}

static void assert_same_predictions(const aia_model *a, const aia_model *b, const aia_frame *f, double tol)
{
    double *p = predict(a, f), *q = predict(b, f);
    for (size_t i = 0; i < 2 * aia_frame_n_rows(f); i++)
        if (!(fabs(p[i] - q[i]) <= tol)) fail_msg("output %zu: %.17g vs %.17g", i, p[i], q[i]);
    free(p);
    free(q);
}

/* rc as the old model m must see it to get what the refitted r gets from
 * rc: each numeric cell x (a missing one as r's fill) becomes
 * (x - new_mean) / new_scale * old_scale + old_mean; missing booleans are
 * spelled out as r's fill. */
static void map_back(data *back, const data *rc, const aia_model *m, const aia_model *r)
{
    *back = *rc;
    double *cols[2] = {back->x1, back->x2};
    uint8_t *miss[2] = {back->miss1, back->miss2};
    for (size_t j = 0; j < 2; j++) {
        aia_preprocess_column o = input(m, j), c = input(r, j);
        for (size_t i = 0; i < N; i++) {
            double x = miss[j][i] ? c.fill : cols[j][i];
            cols[j][i] = (x - c.mean) / c.scale * o.scale + o.mean;
            miss[j][i] = 0;
        }
    }
    double pay_fill = input(r, 3).fill;
    for (size_t i = 0; i < N; i++)
        if (back->autopay[i] < 0) back->autopay[i] = (int8_t)pay_fill;
}

/* ---- tests ---------------------------------------------------------------------- */

static void logistic_refit_matches_computed_statistics(void **state)
{
    (void)state;
    static data tr, rc;
    generate(&tr, 11, 0);
    generate(&rc, 12, 1);
    aia_frame *ft = frame_of(&tr, NULL, 0), *fr = frame_of(&rc, NULL, 0);
    aia_model *m = train_logistic(ft);
    size_t refitted = 99;
    aia_model *r = refit(m, fr, 1, &refitted);
    assert_int_equal(refitted, 3); /* x1, x2, autopay */
    assert_int_equal(aia_model_algorithm(r), AIA_ALGO_LOGISTIC_REGRESSION);
    assert_string_equal(aia_model_class_label(r, 0), "a");

    double obs[N];
    const double *xs[2] = {rc.x1, rc.x2};
    const uint8_t *ms[2] = {rc.miss1, rc.miss2};
    for (size_t j = 0; j < 2; j++) {
        size_t k = observed(xs[j], ms[j], N, obs);
        aia_preprocess_column c = input(r, j), old = input(m, j);
        assert_int_equal(c.impute, AIA_IMPUTE_MEAN);
        assert_true(c.standardize);
        double fill = mean_of(obs, k), mean, scale;
        scaler_of(obs, k, N, fill, &mean, &scale);
        assert_close(c.fill, fill, 1e-12);
        assert_close(c.mean, mean, 1e-12);
        assert_close(c.scale, scale, 1e-12);
        assert_true(c.mean > old.mean + 4.0 && c.scale > 1.8 * old.scale); /* the shift was seen */
    }
    aia_preprocess_column plan = input(r, 2), plan_old = input(m, 2);
    assert_same_categorical(&plan, &plan_old);
    aia_preprocess_column pay = input(r, 3);
    assert_true(bool_mode(&tr) == 0.0 && bool_mode(&rc) == 1.0);
    assert_true(input(m, 3).fill == 0.0);
    assert_true(pay.fill == 1.0);
    assert_int_equal(aia_preprocess_n_outputs(aia_model_preprocess(r)),
                     aia_preprocess_n_outputs(aia_model_preprocess(m)));

    aia_model_free(r);
    aia_model_free(m);
    aia_frame_free(ft);
    aia_frame_free(fr);
}

/* The learner is kept: the refitted model on recent data sees what the old
 * model sees on the recent data mapped back through the old statistics,
 * (x - new_mean) / new_scale * old_scale + old_mean, missing cells spelled
 * out with the new fills. */
static void refitted_model_equals_old_model_on_data_mapped_back(void **state)
{
    (void)state;
    static data tr, rc, back;
    generate(&tr, 21, 0);
    generate(&rc, 22, 1);
    aia_frame *ft = frame_of(&tr, NULL, 0), *fr = frame_of(&rc, NULL, 0);
    aia_model *m = train_logistic(ft);
    aia_model *r = refit(m, fr, 1, NULL);
    map_back(&back, &rc, m, r);
    aia_frame *fb = frame_of(&back, NULL, 0);
    double *p_new = predict(r, fr), *p_old = predict(m, fb), *p_stale = predict(m, fr);
    size_t differ = 0;
    for (size_t i = 0; i < 2 * N; i++) {
        assert_close(p_new[i], p_old[i], 1e-9);
        differ += fabs(p_new[i] - p_stale[i]) > 1e-3;
    }
    assert_true(differ > N / 2); /* the refit matters: stale statistics predict otherwise */
    free(p_new);
    free(p_old);
    free(p_stale);
    aia_model_free(r);
    aia_model_free(m);
    aia_frame_free(ft);
    aia_frame_free(fr);
    aia_frame_free(fb);
}

static void refit_on_training_frame_changes_nothing(void **state)
{
    (void)state;
    static data tr;
    generate(&tr, 31, 0);
    aia_frame *ft = frame_of(&tr, NULL, 0);
    aia_model *models[2] = {train_logistic(ft), train_gbdt(ft)};
    for (size_t k = 0; k < 2; k++) {
        size_t refitted = 99;
        aia_model *r = refit(models[k], ft, 1, &refitted);
        assert_int_equal(refitted, 0);
        for (size_t i = 0; i < 4; i++) {
            aia_preprocess_column a = input(models[k], i), b = input(r, i);
            assert_same_stats(&a, &b);
        }
        assert_same_predictions(models[k], r, ft, 1e-12);
        aia_model_free(r);
        aia_model_free(models[k]);
    }
    aia_frame_free(ft);
}

static void gbdt_refit_median_mode_and_scaler(void **state)
{
    (void)state;
    static data tr, rc;
    generate(&tr, 41, 0);
    generate(&rc, 42, 1);
    aia_frame *ft = frame_of(&tr, NULL, 0), *fr = frame_of(&rc, NULL, 0);
    aia_model *m = train_gbdt(ft);
    size_t refitted = 0;
    aia_model *r = refit(m, fr, 1, &refitted);
    assert_int_equal(refitted, 3);
    double obs[N];
    size_t k = observed(rc.x1, rc.miss1, N, obs);
    aia_preprocess_column c = input(r, 0);
    double mean, scale;
    assert_int_equal(c.impute, AIA_IMPUTE_MEDIAN);
    assert_close(c.fill, median_of(obs, k), 1e-15);
    scaler_of(obs, k, N, c.fill, &mean, &scale);
    assert_close(c.mean, mean, 1e-12);
    assert_close(c.scale, scale, 1e-12);
    k = observed(rc.x2, rc.miss2, N, obs);
    c = input(r, 1);
    assert_int_equal(c.impute, AIA_IMPUTE_MOST_FREQUENT);
    assert_true(c.fill == mode_of(obs, k));
    scaler_of(obs, k, N, c.fill, &mean, &scale);
    assert_close(c.mean, mean, 1e-12);
    assert_close(c.scale, scale, 1e-12);
    aia_preprocess_column plan = input(r, 2), plan_old = input(m, 2);
    assert_int_equal(plan.kind, AIA_PREPROCESS_NATIVE);
    assert_same_categorical(&plan, &plan_old);
    assert_true(input(r, 3).fill == 1.0);

    /* The same trees read the recent data mapped back through the old
     * statistics alike, but for rows within a rounding error of a split
     * threshold. */
    static data back;
    map_back(&back, &rc, m, r);
    aia_frame *fb = frame_of(&back, NULL, 0);
    double *p_new = predict(r, fr), *p_old = predict(m, fb);
    size_t same = 0;
    for (size_t i = 0; i < N; i++) same += fabs(p_new[2 * i] - p_old[2 * i]) < 1e-9;
    assert_true(same >= N - N / 20);
    free(p_new);
    free(p_old);
    aia_frame_free(fb);
    aia_model_free(r);
    aia_model_free(m);
    aia_frame_free(ft);
    aia_frame_free(fr);
}

/* A GBDT at its defaults keeps NaN (impute NONE) and does not standardise:
 * nothing numeric to refit, NONE stays NONE. */
static void none_stays_none(void **state)
{
    (void)state;
    static data tr, rc;
    generate(&tr, 51, 0);
    generate(&rc, 52, 1);
    aia_frame *ft = frame_of(&tr, NULL, 0), *fr = frame_of(&rc, NULL, 0);
    aia_model *m = train(AIA_ALGO_GBDT, ft, NULL);
    size_t refitted = 99;
    aia_model *r = refit(m, fr, 1, &refitted);
    aia_preprocess_column c = input(r, 0);
    assert_int_equal(c.impute, AIA_IMPUTE_NONE);
    assert_true(isnan(c.fill));
    assert_int_equal(refitted, 1); /* autopay's most-frequent fill only */
    /* Where no boolean is missing, the fill is never used: same outputs. */
    static data full;
    full = tr;
    for (size_t i = 0; i < N; i++)
        if (full.autopay[i] < 0) full.autopay[i] = 1;
    aia_frame *ff = frame_of(&full, NULL, 0);
    assert_same_predictions(m, r, ff, 0.0);
    aia_frame_free(ff);
    aia_model_free(r);
    aia_model_free(m);
    aia_frame_free(ft);
    aia_frame_free(fr);
}

static void absent_column_keeps_its_statistics(void **state)
{
    (void)state;
    static data tr, rc;
    generate(&tr, 61, 0);
    generate(&rc, 62, 1);
    aia_frame *ft = frame_of(&tr, NULL, 0), *fr = frame_of(&rc, "x2", 0);
    aia_model *m = train_logistic(ft);
    size_t refitted = 0;
    aia_model *r = refit(m, fr, 1, &refitted);
    assert_int_equal(refitted, 2); /* x1 and autopay */
    aia_preprocess_column a = input(m, 1), b = input(r, 1);
    assert_same_stats(&a, &b);
    assert_true(input(r, 0).mean != input(m, 0).mean);
    aia_model_free(r);
    aia_model_free(m);
    aia_frame_free(ft);
    aia_frame_free(fr);
}

static void wrong_type_is_refused_by_name(void **state)
{
    (void)state;
    static data tr, rc;
    generate(&tr, 71, 0);
    generate(&rc, 72, 1);
    aia_frame *ft = frame_of(&tr, NULL, 0), *fr = frame_of(&rc, NULL, 1);
    aia_model *m = train_logistic(ft);
    aia_model *out = (aia_model *)&tr; /* must be reset */
    size_t refitted = 99;
    aia_error err;
    assert_int_equal(aia_model_refit_preprocess(m, fr, 1, &out, &refitted, &err), AIA_INVALID_ARGUMENT);
    assert_null(out);
    assert_int_equal(refitted, 0);
    assert_non_null(strstr(err.message, "'x1'"));
    assert_non_null(strstr(err.message, "categorical"));
    assert_non_null(strstr(err.message, "numeric"));
    assert_int_equal(aia_model_refit_preprocess(NULL, fr, 1, &out, &refitted, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_model_refit_preprocess(m, NULL, 1, &out, &refitted, &err), AIA_INVALID_ARGUMENT);
    aia_model_free(m);
    aia_frame_free(ft);
    aia_frame_free(fr);
}

static void min_rows_is_respected(void **state)
{
    (void)state;
    static data tr, rc;
    generate(&tr, 81, 0);
    generate(&rc, 82, 1);
    /* x1 observed in 30 rows only, x2 in 350 or so. */
    for (size_t i = 0; i < N; i++) rc.miss1[i] = i >= 30;
    aia_frame *ft = frame_of(&tr, NULL, 0), *fr = frame_of(&rc, NULL, 0);
    aia_model *m = train_logistic(ft);
    size_t refitted = 0;
    aia_model *r = refit(m, fr, 31, &refitted);
    assert_int_equal(refitted, 2); /* x2, autopay */
    aia_preprocess_column a = input(m, 0), b = input(r, 0);
    assert_same_stats(&a, &b);
    aia_model_free(r);
    r = refit(m, fr, 30, &refitted); /* exactly enough */
    assert_int_equal(refitted, 3);
    double obs[N];
    size_t k = observed(rc.x1, rc.miss1, N, obs);
    assert_int_equal(k, 30);
    assert_close(input(r, 0).fill, mean_of(obs, k), 1e-12);
    aia_model_free(r);
    r = refit(m, fr, N + 1, &refitted); /* nothing has enough */
    assert_int_equal(refitted, 0);
    assert_same_predictions(m, r, fr, 0.0);
    aia_model_free(r);
    aia_model_free(m);
    aia_frame_free(ft);
    aia_frame_free(fr);
}

static void refitted_model_round_trips(void **state)
{
    (void)state;
    static data tr, rc;
    generate(&tr, 91, 0);
    generate(&rc, 92, 1);
    aia_frame *ft = frame_of(&tr, NULL, 0), *fr = frame_of(&rc, NULL, 0);
    aia_model *models[2] = {train_logistic(ft), train_gbdt(ft)};
    for (size_t k = 0; k < 2; k++) {
        aia_model *r = refit(models[k], fr, 1, NULL);
        uint8_t *bytes;
        size_t len;
        aia_error err;
        assert_int_equal(aia_model_to_bytes(r, NULL, 0, &bytes, &len, &err), AIA_OK);
        aia_model *back;
        if (aia_model_from_bytes(bytes, len, &back, &err) != AIA_OK) fail_msg("%s", err.message);
        free(bytes);
        for (size_t i = 0; i < 4; i++) {
            aia_preprocess_column a = input(r, i), b = input(back, i);
            assert_int_equal(a.kind, b.kind);
            if (a.kind == AIA_PREPROCESS_NUMERIC || a.kind == AIA_PREPROCESS_BOOLEAN) assert_same_stats(&a, &b);
        }
        assert_same_predictions(r, back, fr, 0.0);
        aia_model_free(back);
        aia_model_free(r);
        aia_model_free(models[k]);
    }
    aia_frame_free(ft);
    aia_frame_free(fr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(logistic_refit_matches_computed_statistics),
        cmocka_unit_test(refitted_model_equals_old_model_on_data_mapped_back),
        cmocka_unit_test(refit_on_training_frame_changes_nothing),
        cmocka_unit_test(gbdt_refit_median_mode_and_scaler),
        cmocka_unit_test(none_stays_none),
        cmocka_unit_test(absent_column_keeps_its_statistics),
        cmocka_unit_test(wrong_type_is_refused_by_name),
        cmocka_unit_test(min_rows_is_respected),
        cmocka_unit_test(refitted_model_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
