/* Unit tests for lib/ml/preprocess: each statistic against values worked
 * out by hand (as scikit-learn's SimpleImputer, StandardScaler,
 * OneHotEncoder and OrdinalEncoder give them), the encodings with unseen
 * and missing categories, the single-row path against the frame path, the
 * describe/restore round trip, and statistics that come from the training
 * frame only. */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/data/csv.h"
#include "lib/data/frame.h"
#include "lib/ml/preprocess.h"

/* ---- helpers ---------------------------------------------------------------------- */

static aia_frame *frame_new(size_t n)
{
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(n, "<test>", &f, &err), AIA_OK);
    return f;
}

static void add_numeric(aia_frame *f, const char *name, const double *v)
{
    aia_error err;
    assert_int_equal(aia_frame_add_numeric(f, name, v, NULL, &err), AIA_OK);
}

static void add_categorical(aia_frame *f, const char *name, const char *const *v)
{
    aia_error err;
    assert_int_equal(aia_frame_add_categorical(f, name, v, &err), AIA_OK);
}

static void add_boolean(aia_frame *f, const char *name, const int8_t *v)
{
    aia_error err;
    assert_int_equal(aia_frame_add_boolean(f, name, v, &err), AIA_OK);
}

/* Fits on f with one feature and the given options; fails the test on error. */
static aia_preprocess *fit(const aia_frame *f, const char *const *features, size_t n,
                           const aia_preprocess_options *opts)
{
    aia_preprocess *p = NULL;
    aia_error err;
    aia_status st = aia_preprocess_fit(f, features, n, opts, &p, &err);
    if (st != AIA_OK) fail_msg("fit: %s", err.message);
    return p;
}

static void apply(const aia_preprocess *p, const aia_frame *f, aia_preprocess_output *out)
{
    aia_error err;
    aia_status st = aia_preprocess_apply(p, f, out, &err);
    if (st != AIA_OK) fail_msg("apply: %s", err.message);
}

/* Exact comparison that also accepts NaN == NaN. */
static void assert_same(double expected, double actual)
{
    if (isnan(expected)) {
        assert_true(isnan(actual));
    } else {
        assert_true(expected == actual);
    }
}

static void assert_near(double expected, double actual)
{
    assert_true(fabs(expected - actual) <= 1e-12 * (1.0 + fabs(expected)));
}

static void assert_column(const aia_preprocess_output *out, size_t j, const double *expected)
{
    for (size_t i = 0; i < out->n_rows; i++) assert_same(expected[i], out->cols[j][i]);
}

/* One numeric feature "x" over values, fitted with impute/standardize. */
static aia_preprocess *fit_numeric(const double *values, size_t n, aia_preprocess_impute impute,
                                   aia_preprocess_switch standardize, aia_frame **frame)
{
    aia_frame *f = frame_new(n);
    add_numeric(f, "x", values);
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.impute = impute;
    o.standardize = standardize;
    const char *features[] = {"x"};
    aia_preprocess *p = fit(f, features, 1, &o);
    *frame = f;
    return p;
}

static double fill_of(const aia_preprocess *p, size_t i)
{
    aia_preprocess_column c;
    aia_preprocess_describe_input(p, i, &c);
    return c.fill;
}

/* ---- imputation -------------------------------------------------------------------- */

static void impute_mean_fills_the_observed_mean(void **state)
{
    (void)state;
    const double x[] = {1, NAN, 2, 6, NAN};
    aia_frame *f;
    aia_preprocess *p = fit_numeric(x, 5, AIA_IMPUTE_MEAN, AIA_SWITCH_OFF, &f);
    assert_same(3.0, fill_of(p, 0));
    aia_preprocess_output out;
    apply(p, f, &out);
    assert_int_equal(out.n_cols, 1);
    assert_string_equal(out.names[0], "x");
    assert_int_equal(out.categorical[0], 0);
    const double expected[] = {1, 3, 2, 6, 3};
    assert_column(&out, 0, expected);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void impute_median_odd_and_even_counts(void **state)
{
    (void)state;
    const double odd[] = {5, 1, NAN, 3};          /* observed 1 3 5 -> 3 */
    const double even[] = {4, 1, NAN, 10, 2};     /* observed 1 2 4 10 -> (2+4)/2 */
    aia_frame *f;
    aia_preprocess *p = fit_numeric(odd, 4, AIA_IMPUTE_MEDIAN, AIA_SWITCH_OFF, &f);
    assert_same(3.0, fill_of(p, 0));
    aia_preprocess_free(p);
    aia_frame_free(f);
    p = fit_numeric(even, 5, AIA_IMPUTE_MEDIAN, AIA_SWITCH_OFF, &f);
    assert_same(3.0, fill_of(p, 0));
    aia_preprocess_output out;
    apply(p, f, &out);
    const double expected[] = {4, 1, 3, 10, 2};
    assert_column(&out, 0, expected);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void impute_most_frequent_takes_the_smallest_of_ties(void **state)
{
    (void)state;
    const double tie[] = {7, 2, 7, 2, NAN, 9};     /* 2 and 7 twice each -> 2 */
    const double clear[] = {3, 1, 3, NAN, -4};     /* 3 twice -> 3 */
    aia_frame *f;
    aia_preprocess *p = fit_numeric(tie, 6, AIA_IMPUTE_MOST_FREQUENT, AIA_SWITCH_OFF, &f);
    assert_same(2.0, fill_of(p, 0));
    aia_preprocess_free(p);
    aia_frame_free(f);
    p = fit_numeric(clear, 5, AIA_IMPUTE_MOST_FREQUENT, AIA_SWITCH_OFF, &f);
    assert_same(3.0, fill_of(p, 0));
    aia_preprocess_output out;
    apply(p, f, &out);
    const double expected[] = {3, 1, 3, 3, -4};
    assert_column(&out, 0, expected);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void impute_none_keeps_nan(void **state)
{
    (void)state;
    const double x[] = {1, NAN, 2};
    aia_frame *f;
    aia_preprocess *p = fit_numeric(x, 3, AIA_IMPUTE_NONE, AIA_SWITCH_OFF, &f);
    assert_true(isnan(fill_of(p, 0)));
    aia_preprocess_output out;
    apply(p, f, &out);
    assert_column(&out, 0, x);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

/* ---- standardisation ------------------------------------------------------------- */

static void standardize_uses_population_std(void **state)
{
    (void)state;
    const double x[] = {1, 2, 3, 4}; /* mean 2.5, var (2.25+0.25+0.25+2.25)/4 = 1.25 */
    aia_frame *f;
    aia_preprocess *p = fit_numeric(x, 4, AIA_IMPUTE_MEAN, AIA_SWITCH_ON, &f);
    aia_preprocess_column c;
    aia_preprocess_describe_input(p, 0, &c);
    assert_true(c.standardize);
    assert_near(2.5, c.mean);
    assert_near(sqrt(1.25), c.scale);
    aia_preprocess_output out;
    apply(p, f, &out);
    for (size_t i = 0; i < 4; i++) assert_near((x[i] - 2.5) / sqrt(1.25), out.cols[0][i]);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void standardize_after_imputation(void **state)
{
    (void)state;
    /* Mean 2 fills the gap; the scaler then sees 1, 2, 3: var 2/3. */
    const double x[] = {1, NAN, 3};
    aia_frame *f;
    aia_preprocess *p = fit_numeric(x, 3, AIA_IMPUTE_MEAN, AIA_SWITCH_ON, &f);
    aia_preprocess_column c;
    aia_preprocess_describe_input(p, 0, &c);
    assert_near(2.0, c.mean);
    assert_near(sqrt(2.0 / 3.0), c.scale);
    aia_preprocess_output out;
    apply(p, f, &out);
    assert_near(-1.0 / sqrt(2.0 / 3.0), out.cols[0][0]);
    assert_near(0.0, out.cols[0][1]);
    assert_near(1.0 / sqrt(2.0 / 3.0), out.cols[0][2]);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void standardize_without_imputation_skips_missing(void **state)
{
    (void)state;
    const double x[] = {0, NAN, 4}; /* mean 2, std 2 over the observed cells */
    aia_frame *f;
    aia_preprocess *p = fit_numeric(x, 3, AIA_IMPUTE_NONE, AIA_SWITCH_ON, &f);
    aia_preprocess_output out;
    apply(p, f, &out);
    const double expected[] = {-1, NAN, 1};
    assert_column(&out, 0, expected);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void standardize_constant_column_gets_scale_one(void **state)
{
    (void)state;
    const double x[] = {0.1, 0.1, 0.1, 0.1, 0.1};
    aia_frame *f;
    aia_preprocess *p = fit_numeric(x, 5, AIA_IMPUTE_MEAN, AIA_SWITCH_ON, &f);
    aia_preprocess_column c;
    aia_preprocess_describe_input(p, 0, &c);
    assert_same(1.0, c.scale);
    aia_preprocess_output out;
    apply(p, f, &out);
    for (size_t i = 0; i < 5; i++) assert_near(0.0, out.cols[0][i]);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);

    /* Two values one ulp apart: a variance of about 1.2e-32, inside
     * scikit-learn's bound of n*eps*var + (n*mean*eps)^2 (about 2e-31), so
     * the column counts as constant rather than being scaled by 1e-16. */
    const double nearly[] = {1.0, 1.0 + DBL_EPSILON};
    p = fit_numeric(nearly, 2, AIA_IMPUTE_MEAN, AIA_SWITCH_ON, &f);
    aia_preprocess_describe_input(p, 0, &c);
    assert_same(1.0, c.scale);
    aia_preprocess_free(p);
    aia_frame_free(f);
    /* Just outside the bound the real deviation is used. */
    const double apart[] = {1.0, 1.0 + 1e-6};
    p = fit_numeric(apart, 2, AIA_IMPUTE_MEAN, AIA_SWITCH_ON, &f);
    aia_preprocess_describe_input(p, 0, &c);
    assert_near(0.5e-6, c.scale);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

/* ---- booleans ---------------------------------------------------------------------- */

static void boolean_is_zero_one_with_most_frequent_fill(void **state)
{
    (void)state;
    const int8_t b[] = {1, 0, 1, -1};
    const int8_t tie[] = {1, 0, -1};
    aia_frame *f = frame_new(4);
    add_boolean(f, "b", b);
    const char *features[] = {"b"};
    aia_preprocess *p = fit(f, features, 1, NULL);
    aia_preprocess_output out;
    apply(p, f, &out);
    const double expected[] = {1, 0, 1, 1};
    assert_column(&out, 0, expected);
    assert_int_equal(aia_preprocess_input_type(p, 0), AIA_COLUMN_BOOLEAN);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);

    f = frame_new(3);
    add_boolean(f, "b", tie);
    p = fit(f, features, 1, NULL);
    assert_same(0.0, fill_of(p, 0)); /* false wins a tie */
    aia_preprocess_free(p);

    aia_preprocess_column_options col = {.column = "b", .impute = AIA_IMPUTE_NONE};
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.columns = &col;
    o.n_columns = 1;
    p = fit(f, features, 1, &o);
    apply(p, f, &out);
    const double kept[] = {1, 0, NAN};
    assert_column(&out, 0, kept);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

/* ---- categorical encodings ------------------------------------------------------- */

static const char *const train_colors[] = {"red", "green", NULL, "blue", "green"};
/* Another first-seen order, so the frame's codes differ from training's,
 * plus an unseen category and a missing cell. */
static const char *const test_colors[] = {"green", "purple", NULL, "blue", "red"};

static aia_preprocess *fit_colors(aia_preprocess_encoding encoding, aia_preprocess_switch indicator)
{
    aia_frame *f = frame_new(5);
    add_categorical(f, "color", train_colors);
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.encoding = encoding;
    o.missing_indicator = indicator;
    const char *features[] = {"color"};
    aia_preprocess *p = fit(f, features, 1, &o);
    aia_frame_free(f);
    return p;
}

static aia_frame *test_color_frame(void)
{
    aia_frame *f = frame_new(5);
    add_categorical(f, "color", test_colors);
    return f;
}

static void one_hot_sorted_categories_unseen_and_missing_all_zero(void **state)
{
    (void)state;
    aia_preprocess *p = fit_colors(AIA_ENCODE_ONE_HOT, AIA_SWITCH_OFF);
    assert_int_equal(aia_preprocess_n_outputs(p), 3);
    assert_string_equal(aia_preprocess_output_name(p, 0), "color=blue");
    assert_string_equal(aia_preprocess_output_name(p, 1), "color=green");
    assert_string_equal(aia_preprocess_output_name(p, 2), "color=red");
    assert_null(aia_preprocess_output_name(p, 3));
    aia_frame *f = test_color_frame();
    aia_preprocess_output out;
    apply(p, f, &out);
    /* rows: green, purple (unseen), missing, blue, red */
    const double blue[] = {0, 0, 0, 1, 0}, green[] = {1, 0, 0, 0, 0}, red[] = {0, 0, 0, 0, 1};
    assert_column(&out, 0, blue);
    assert_column(&out, 1, green);
    assert_column(&out, 2, red);
    for (size_t j = 0; j < 3; j++) assert_int_equal(out.categorical[j], 0);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void one_hot_missing_indicator_marks_only_missing(void **state)
{
    (void)state;
    aia_preprocess *p = fit_colors(AIA_ENCODE_ONE_HOT, AIA_SWITCH_ON);
    assert_int_equal(aia_preprocess_n_outputs(p), 4);
    assert_string_equal(aia_preprocess_output_name(p, 3), "color=<missing>");
    aia_frame *f = test_color_frame();
    aia_preprocess_output out;
    apply(p, f, &out);
    const double missing[] = {0, 0, 1, 0, 0};
    assert_column(&out, 3, missing);
    for (size_t j = 0; j < 3; j++) assert_same(0.0, out.cols[j][1]); /* unseen: all zero */
    assert_same(0.0, out.cols[3][1]);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void ordinal_codes_in_sorted_order_nan_for_unseen_and_missing(void **state)
{
    (void)state;
    aia_preprocess *p = fit_colors(AIA_ENCODE_ORDINAL, AIA_SWITCH_DEFAULT);
    assert_int_equal(aia_preprocess_n_outputs(p), 1);
    assert_string_equal(aia_preprocess_output_name(p, 0), "color");
    assert_int_equal(aia_preprocess_output_categorical(p)[0], 0);
    aia_frame *f = test_color_frame();
    aia_preprocess_output out;
    apply(p, f, &out);
    const double expected[] = {1, NAN, NAN, 0, 2};
    assert_column(&out, 0, expected);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void native_codes_are_flagged_categorical(void **state)
{
    (void)state;
    aia_preprocess *p = fit_colors(AIA_ENCODE_NATIVE, AIA_SWITCH_DEFAULT);
    assert_int_equal(aia_preprocess_n_outputs(p), 1);
    assert_int_equal(aia_preprocess_output_categorical(p)[0], 1);
    aia_preprocess_column c;
    aia_preprocess_describe_input(p, 0, &c);
    assert_int_equal(c.kind, AIA_PREPROCESS_NATIVE);
    assert_int_equal(c.n_categories, 3);
    assert_string_equal(c.categories[0], "blue");
    assert_string_equal(c.categories[2], "red");
    aia_frame *f = test_color_frame();
    aia_preprocess_output out;
    apply(p, f, &out);
    assert_int_equal(out.categorical[0], 1);
    const double expected[] = {1, NAN, NAN, 0, 2};
    assert_column(&out, 0, expected);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void native_accepts_exactly_255_categories(void **state)
{
    (void)state;
    enum { N = 255 };
    char text[N][16];
    const char *cells[N];
    for (int i = 0; i < N; i++) {
        snprintf(text[i], sizeof text[i], "c%03d", N - 1 - i); /* first seen in reverse */
        cells[i] = text[i];
    }
    aia_frame *f = frame_new(N);
    add_categorical(f, "k", cells);
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.encoding = AIA_ENCODE_NATIVE;
    const char *features[] = {"k"};
    aia_preprocess *p = fit(f, features, 1, &o);
    aia_preprocess_output out;
    apply(p, f, &out);
    for (int i = 0; i < N; i++) assert_same((double)(N - 1 - i), out.cols[0][i]);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

/* ---- a mixed pipeline ---------------------------------------------------------------- */

/* Training data: age (numeric, a gap), city (categorical), member
 * (boolean), score (numeric), and an id column that is not a feature. */
static aia_frame *mixed_train(void)
{
    const double age[] = {30, NAN, 50, 20, 40, 60};
    const double score[] = {1.5, 2.5, 2.5, NAN, 0.5, 3.0};
    const double id[] = {1, 2, 3, 4, 5, 6};
    const char *const city[] = {"Paris", "Oslo", "Paris", NULL, "Lima", "Oslo"};
    const int8_t member[] = {1, 1, 0, -1, 1, 0};
    aia_frame *f = frame_new(6);
    add_numeric(f, "id", id);
    add_numeric(f, "age", age);
    add_categorical(f, "city", city);
    add_boolean(f, "member", member);
    add_numeric(f, "score", score);
    return f;
}

/* Other data: columns in another order, an extra column, unseen and
 * missing cities, gaps everywhere. */
static aia_frame *mixed_other(void)
{
    const double score[] = {NAN, 10, -2, 2.5};
    const double age[] = {NAN, 100, 0, 45};
    const char *const city[] = {"Lima", "Rome", NULL, "Oslo"};
    const int8_t member[] = {-1, 0, 1, 1};
    const double extra[] = {9, 9, 9, 9};
    aia_frame *f = frame_new(4);
    add_numeric(f, "score", score);
    add_boolean(f, "member", member);
    add_numeric(f, "extra", extra);
    add_categorical(f, "city", city);
    add_numeric(f, "age", age);
    return f;
}

static const char *const mixed_features[] = {"age", "city", "member", "score"};

static aia_preprocess *fit_mixed(aia_preprocess_encoding city_encoding)
{
    aia_frame *f = mixed_train();
    aia_preprocess_column_options cols[] = {
        {.column = "score", .impute = AIA_IMPUTE_MEDIAN, .standardize = AIA_SWITCH_OFF},
        {.column = "city", .encoding = city_encoding, .missing_indicator =
             city_encoding == AIA_ENCODE_ONE_HOT ? AIA_SWITCH_ON : AIA_SWITCH_DEFAULT},
    };
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.standardize = AIA_SWITCH_ON;
    o.columns = cols;
    o.n_columns = 2;
    aia_preprocess *p = fit(f, mixed_features, 4, &o);
    aia_frame_free(f);
    return p;
}

static void mixed_pipeline_layout_and_values(void **state)
{
    (void)state;
    aia_preprocess *p = fit_mixed(AIA_ENCODE_ONE_HOT);
    const char *names[] = {"age", "city=Lima", "city=Oslo", "city=Paris", "city=<missing>", "member", "score"};
    assert_int_equal(aia_preprocess_n_outputs(p), 7);
    for (size_t j = 0; j < 7; j++) assert_string_equal(aia_preprocess_output_name(p, j), names[j]);
    assert_int_equal(aia_preprocess_n_inputs(p), 4);

    /* age: mean of 30 50 20 40 60 = 40 fills the gap; the imputed column
     * 30 40 50 20 40 60 has variance (100+0+100+400+0+400)/6 = 500/3. */
    aia_preprocess_column age;
    aia_preprocess_describe_input(p, 0, &age);
    assert_same(40.0, age.fill);
    assert_near(40.0, age.mean);
    assert_near(sqrt(500.0 / 3.0), age.scale);
    /* score: median of 0.5 1.5 2.5 2.5 3.0 = 2.5, not standardised (per-column OFF). */
    aia_preprocess_column score;
    aia_preprocess_describe_input(p, 3, &score);
    assert_same(2.5, score.fill);
    assert_false(score.standardize);
    /* member: 1 1 0 1 0 observed -> true. */
    assert_same(1.0, fill_of(p, 2));

    aia_frame *f = mixed_other();
    aia_preprocess_output out;
    apply(p, f, &out);
    assert_int_equal(out.n_rows, 4);
    double s = sqrt(500.0 / 3.0);
    const double age_out[] = {0.0, 60 / s, -40 / s, 5 / s};
    for (size_t i = 0; i < 4; i++) assert_near(age_out[i], out.cols[0][i]);
    const double lima[] = {1, 0, 0, 0}, oslo[] = {0, 0, 0, 1}, paris[] = {0, 0, 0, 0}, gap[] = {0, 0, 1, 0};
    assert_column(&out, 1, lima);
    assert_column(&out, 2, oslo);
    assert_column(&out, 3, paris);
    assert_column(&out, 4, gap);
    const double member[] = {1, 0, 1, 1}, score_out[] = {2.5, 10, -2, 2.5};
    assert_column(&out, 5, member);
    assert_column(&out, 6, score_out);
    /* The matrix view points at the same columns. */
    assert_int_equal(out.matrix.n_rows, 4);
    assert_int_equal(out.matrix.n_cols, 7);
    assert_ptr_equal(out.matrix.col[6], out.cols[6]);
    assert_ptr_equal(out.cols[1], out.values + 4);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

/* Statistics come from training only: applying the pipeline to other data
 * leaves its description untouched and uses training's numbers. */
static void statistics_do_not_change_when_applied_to_other_data(void **state)
{
    (void)state;
    aia_preprocess *p = fit_mixed(AIA_ENCODE_ORDINAL);
    aia_preprocess_column before[4], after[4];
    for (size_t i = 0; i < 4; i++) aia_preprocess_describe_input(p, i, &before[i]);
    aia_frame *other = mixed_other();
    aia_preprocess_output out;
    apply(p, other, &out);
    /* age 45 is scaled with training's mean 40, not the other frame's. */
    assert_near(5 / sqrt(500.0 / 3.0), out.cols[0][3]);
    /* Rome was never seen in training: NaN, not a new code. */
    assert_true(isnan(out.cols[1][1]));
    aia_preprocess_output_free(&out);
    /* And fitting on the other frame gives different numbers, so the check
     * above is not vacuous. */
    aia_preprocess *q = fit(other, mixed_features, 4, NULL);
    aia_preprocess_column other_age;
    aia_preprocess_describe_input(q, 0, &other_age);
    assert_true(other_age.fill != before[0].fill);
    aia_preprocess_free(q);
    for (size_t i = 0; i < 4; i++) {
        aia_preprocess_describe_input(p, i, &after[i]);
        assert_string_equal(before[i].name, after[i].name);
        assert_int_equal(before[i].kind, after[i].kind);
        assert_same(before[i].fill, after[i].fill);
        assert_same(before[i].mean, after[i].mean);
        assert_same(before[i].scale, after[i].scale);
        assert_int_equal(before[i].n_categories, after[i].n_categories);
    }
    assert_same(40.0, after[0].fill);
    aia_preprocess_free(p);
    aia_frame_free(other);
}

/* ---- single rows ---------------------------------------------------------------------- */

/* apply_row gives the same bits as apply for every row of the other frame. */
static void single_row_matches_frame(void **state)
{
    (void)state;
    aia_preprocess_encoding encodings[] = {AIA_ENCODE_ONE_HOT, AIA_ENCODE_ORDINAL, AIA_ENCODE_NATIVE};
    const double score[] = {NAN, 10, -2, 2.5};
    const double age[] = {NAN, 100, 0, 45};
    const char *const city[] = {"Lima", "Rome", NULL, "Oslo"};
    const double member[] = {NAN, 0, 1, 1};
    for (size_t e = 0; e < 3; e++) {
        aia_preprocess *p = fit_mixed(encodings[e]);
        aia_frame *f = mixed_other();
        aia_preprocess_output out;
        apply(p, f, &out);
        double row[8];
        for (size_t i = 0; i < 4; i++) {
            aia_preprocess_cell cells[4] = {
                {NULL, age[i]}, {city[i], 0.0}, {NULL, member[i]}, {NULL, score[i]}};
            aia_error err;
            assert_int_equal(aia_preprocess_apply_row(p, cells, row, &err), AIA_OK);
            for (size_t j = 0; j < out.n_cols; j++) assert_same(out.cols[j][i], row[j]);
        }
        aia_preprocess_output_free(&out);
        aia_preprocess_free(p);
        aia_frame_free(f);
    }
}

/* ---- the round trip ---------------------------------------------------------------- */

/* fit -> describe -> restore (from deep copies, the original freed) ->
 * apply gives bit-identical outputs and the same names and flags. */
static void describe_restore_round_trip(void **state)
{
    (void)state;
    aia_preprocess_encoding encodings[] = {AIA_ENCODE_ONE_HOT, AIA_ENCODE_ORDINAL, AIA_ENCODE_NATIVE};
    for (size_t e = 0; e < 3; e++) {
        aia_preprocess *p = fit_mixed(encodings[e]);
        aia_frame *f = mixed_other();
        aia_preprocess_output want;
        apply(p, f, &want);

        /* What a model-file writer would keep: every field, strings copied. */
        size_t n = aia_preprocess_n_inputs(p);
        aia_preprocess_column cols[4];
        char *names[4];
        char **cats[4];
        for (size_t i = 0; i < n; i++) {
            aia_preprocess_describe_input(p, i, &cols[i]);
            names[i] = strdup(cols[i].name);
            cats[i] = calloc(cols[i].n_categories + 1, sizeof(char *));
            for (size_t k = 0; k < cols[i].n_categories; k++) cats[i][k] = strdup(cols[i].categories[k]);
            cols[i].name = names[i];
            cols[i].categories = (const char *const *)cats[i];
        }
        aia_preprocess_free(p);

        aia_preprocess *r = NULL;
        aia_error err;
        assert_int_equal(aia_preprocess_restore(cols, n, &r, &err), AIA_OK);
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < cols[i].n_categories; k++) free(cats[i][k]);
            free(cats[i]);
            free(names[i]);
        }
        aia_preprocess_output got;
        apply(r, f, &got);
        assert_int_equal(got.n_cols, want.n_cols);
        assert_int_equal(got.n_rows, want.n_rows);
        assert_memory_equal(got.values, want.values, want.n_rows * want.n_cols * sizeof(double));
        for (size_t j = 0; j < want.n_cols; j++) {
            assert_string_equal(got.names[j], want.names[j]);
            assert_int_equal(got.categorical[j], want.categorical[j]);
        }
        aia_preprocess_output_free(&got);
        aia_preprocess_output_free(&want);
        aia_preprocess_free(r);
        aia_frame_free(f);
    }
}

/* ---- edges ------------------------------------------------------------------------------ */

static void zero_rows_give_an_empty_output(void **state)
{
    (void)state;
    aia_preprocess *p = fit_mixed(AIA_ENCODE_ONE_HOT);
    aia_frame *f = frame_new(0);
    add_numeric(f, "age", NULL);
    add_categorical(f, "city", NULL);
    add_boolean(f, "member", NULL);
    add_numeric(f, "score", NULL);
    aia_preprocess_output out;
    apply(p, f, &out);
    assert_int_equal(out.n_rows, 0);
    assert_int_equal(out.n_cols, 7);
    assert_string_equal(out.names[4], "city=<missing>");
    aia_preprocess_output_free(&out);
    aia_preprocess_output_free(&out); /* freeing twice is harmless: zeroed */
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void per_column_options_override_global(void **state)
{
    (void)state;
    const double a[] = {1, NAN, 2, 9};
    const double b[] = {1, NAN, 2, 9};
    aia_frame *f = frame_new(4);
    add_numeric(f, "a", a);
    add_numeric(f, "b", b);
    aia_preprocess_column_options col = {.column = "b", .impute = AIA_IMPUTE_MEDIAN};
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.impute = AIA_IMPUTE_MOST_FREQUENT;
    o.columns = &col;
    o.n_columns = 1;
    const char *features[] = {"a", "b"};
    aia_preprocess *p = fit(f, features, 2, &o);
    assert_same(1.0, fill_of(p, 0)); /* most frequent: all once, smallest */
    assert_same(2.0, fill_of(p, 1)); /* median of 1 2 9 */
    aia_preprocess_free(p);
    /* Defaults: mean. */
    p = fit(f, features, 2, NULL);
    assert_same(4.0, fill_of(p, 0));
    aia_preprocess_free(p);
    aia_frame_free(f);
}

/* ---- from CSV files ------------------------------------------------------------------ */

/* Two files as they come: the prediction file numbers its categories in
 * another order and, with only 0 and 1 in "rooms", is inferred boolean.
 * The type mismatch is an error; reading it with the types the pipeline
 * reports works, and categories match by their text. */
static void csv_prediction_file_read_with_the_training_schema(void **state)
{
    (void)state;
    static const char train_csv[] = "rooms,city,price\n3,Oslo,10\n1,Lima,20\n,Oslo,30\n2,Rome,40\n";
    static const char predict_csv[] = "city,rooms\nRome,1\nParis,0\nLima,NA\n";
    aia_frame *train = NULL, *predict = NULL;
    aia_error err;
    assert_int_equal(aia_csv_read_buffer(train_csv, sizeof train_csv - 1, NULL, &train, &err), AIA_OK);
    const char *features[] = {"rooms", "city"};
    aia_preprocess *p = fit(train, features, 2, NULL);
    aia_frame_free(train);

    aia_csv_options opts;
    aia_csv_options_init(&opts);
    opts.name = "predict.csv";
    assert_int_equal(aia_csv_read_buffer(predict_csv, sizeof predict_csv - 1, &opts, &predict, &err), AIA_OK);
    aia_preprocess_output out;
    assert_int_equal(aia_preprocess_apply(p, predict, &out, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "'rooms' is boolean but was numeric"));
    aia_frame_free(predict);

    aia_csv_schema_entry schema[2];
    for (size_t i = 0; i < aia_preprocess_n_inputs(p); i++) {
        aia_preprocess_column c;
        aia_preprocess_describe_input(p, i, &c);
        schema[i] = (aia_csv_schema_entry){c.name, aia_preprocess_input_type(p, i)};
    }
    opts.schema = schema;
    opts.schema_len = 2;
    assert_int_equal(aia_csv_read_buffer(predict_csv, sizeof predict_csv - 1, &opts, &predict, &err), AIA_OK);
    apply(p, predict, &out);
    /* rooms: mean of 3 1 2 = 2 fills NA; city one-hot over Lima, Oslo, Rome. */
    const char *names[] = {"rooms", "city=Lima", "city=Oslo", "city=Rome"};
    assert_int_equal(out.n_cols, 4);
    for (size_t j = 0; j < 4; j++) assert_string_equal(out.names[j], names[j]);
    const double rooms[] = {1, 0, 2}, lima[] = {0, 0, 1}, oslo[] = {0, 0, 0}, rome[] = {1, 0, 0};
    assert_column(&out, 0, rooms);
    assert_column(&out, 1, lima);
    assert_column(&out, 2, oslo);
    assert_column(&out, 3, rome);
    aia_preprocess_output_free(&out);
    aia_preprocess_free(p);
    aia_frame_free(predict);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(impute_mean_fills_the_observed_mean),
        cmocka_unit_test(impute_median_odd_and_even_counts),
        cmocka_unit_test(impute_most_frequent_takes_the_smallest_of_ties),
        cmocka_unit_test(impute_none_keeps_nan),
        cmocka_unit_test(standardize_uses_population_std),
        cmocka_unit_test(standardize_after_imputation),
        cmocka_unit_test(standardize_without_imputation_skips_missing),
        cmocka_unit_test(standardize_constant_column_gets_scale_one),
        cmocka_unit_test(boolean_is_zero_one_with_most_frequent_fill),
        cmocka_unit_test(one_hot_sorted_categories_unseen_and_missing_all_zero),
        cmocka_unit_test(one_hot_missing_indicator_marks_only_missing),
        cmocka_unit_test(ordinal_codes_in_sorted_order_nan_for_unseen_and_missing),
        cmocka_unit_test(native_codes_are_flagged_categorical),
        cmocka_unit_test(native_accepts_exactly_255_categories),
        cmocka_unit_test(mixed_pipeline_layout_and_values),
        cmocka_unit_test(statistics_do_not_change_when_applied_to_other_data),
        cmocka_unit_test(single_row_matches_frame),
        cmocka_unit_test(describe_restore_round_trip),
        cmocka_unit_test(zero_rows_give_an_empty_output),
        cmocka_unit_test(per_column_options_override_global),
        cmocka_unit_test(csv_prediction_file_read_with_the_training_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
