/* Bad input to lib/ml/preprocess: every rejection has the right status,
 * names the column (or field) at fault, and leaves *out NULL or empty. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/data/frame.h"
#include "lib/ml/preprocess.h"

/* A training frame: x numeric (a gap), color categorical, flag boolean. */
static aia_frame *train_frame(void)
{
    const double x[] = {1, NAN, 3};
    const char *const color[] = {"red", "blue", NULL};
    const int8_t flag[] = {1, 0, -1};
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(3, "train.csv", &f, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(f, "x", x, NULL, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(f, "color", color, &err), AIA_OK);
    assert_int_equal(aia_frame_add_boolean(f, "flag", flag, &err), AIA_OK);
    return f;
}

static const char *const all_features[] = {"x", "color", "flag"};

/* Fitting must fail with `code` and a message containing each of the
 * NULL-terminated fragments. */
static void expect_fit_error(const aia_frame *f, const char *const *features, size_t n,
                             const aia_preprocess_options *o, aia_status code, const char *const *fragments)
{
    aia_preprocess *p = (aia_preprocess *)&p; /* any non-NULL value: fit must reset it */
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_preprocess_fit(f, features, n, o, &p, &err);
    if (st != code) fail_msg("expected %s, got %s: %s", aia_status_name(code), aia_status_name(st), err.message);
    assert_int_equal(err.code, code);
    assert_null(p);
    for (size_t i = 0; fragments[i]; i++)
        if (!strstr(err.message, fragments[i])) fail_msg("'%s' not in: %s", fragments[i], err.message);
}

static aia_preprocess_options one_column(const aia_preprocess_column_options *c)
{
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.columns = c;
    o.n_columns = 1;
    return o;
}

/* ---- fit ----------------------------------------------------------------------------- */

static void fit_missing_column_is_not_found(void **state)
{
    (void)state;
    aia_frame *f = train_frame();
    const char *features[] = {"x", "age"};
    expect_fit_error(f, features, 2, NULL, AIA_NOT_FOUND, (const char *[]){"'age'", "train.csv", NULL});
    aia_frame_free(f);
}

static void fit_bad_feature_lists(void **state)
{
    (void)state;
    aia_frame *f = train_frame();
    expect_fit_error(f, all_features, 0, NULL, AIA_INVALID_ARGUMENT, (const char *[]){"empty", NULL});
    const char *twice[] = {"x", "color", "x"};
    expect_fit_error(f, twice, 3, NULL, AIA_INVALID_ARGUMENT, (const char *[]){"'x'", "twice", NULL});
    const char *null_name[] = {"x", NULL};
    expect_fit_error(f, null_name, 2, NULL, AIA_INVALID_ARGUMENT, (const char *[]){"#1", NULL});
    expect_fit_error(NULL, all_features, 3, NULL, AIA_INVALID_ARGUMENT, (const char *[]){"frame", NULL});
    aia_frame_free(f);

    aia_frame *empty = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(0, "empty.csv", &empty, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(empty, "x", NULL, NULL, &err), AIA_OK);
    expect_fit_error(empty, all_features, 1, NULL, AIA_INVALID_ARGUMENT,
                     (const char *[]){"empty.csv", "no training rows", NULL});
    aia_frame_free(empty);
}

static void fit_column_with_no_observed_value(void **state)
{
    (void)state;
    const double x[] = {NAN, NAN};
    const char *const c[] = {NULL, NULL};
    const int8_t b[] = {-1, -1};
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(2, "gaps.csv", &f, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(f, "x", x, NULL, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(f, "c", c, &err), AIA_OK);
    assert_int_equal(aia_frame_add_boolean(f, "b", b, &err), AIA_OK);
    const char *fx[] = {"x"}, *fc[] = {"c"}, *fb[] = {"b"};
    aia_preprocess_impute strategies[] = {AIA_IMPUTE_MEAN, AIA_IMPUTE_MEDIAN, AIA_IMPUTE_MOST_FREQUENT,
                                          AIA_IMPUTE_NONE};
    for (size_t s = 0; s < 4; s++) {
        aia_preprocess_options o;
        aia_preprocess_options_init(&o);
        o.impute = strategies[s];
        expect_fit_error(f, fx, 1, &o, AIA_INVALID_ARGUMENT,
                         (const char *[]){"gaps.csv", "'x'", "no observed value", NULL});
    }
    expect_fit_error(f, fc, 1, NULL, AIA_INVALID_ARGUMENT, (const char *[]){"'c'", "no observed value", NULL});
    expect_fit_error(f, fb, 1, NULL, AIA_INVALID_ARGUMENT, (const char *[]){"'b'", "no observed value", NULL});
    aia_frame_free(f);
}

static void fit_options_that_do_not_fit(void **state)
{
    (void)state;
    aia_frame *f = train_frame();
    struct {
        aia_preprocess_column_options col;
        const char *fragment;
    } cases[] = {
        {{.column = "age"}, "not a feature"},
        {{.column = "x", .encoding = AIA_ENCODE_ORDINAL}, "categorical columns"},
        {{.column = "x", .missing_indicator = AIA_SWITCH_ON}, "categorical columns"},
        {{.column = "flag", .impute = AIA_IMPUTE_MEAN}, "0 or 1"},
        {{.column = "flag", .impute = AIA_IMPUTE_MEDIAN}, "0 or 1"},
        {{.column = "flag", .standardize = AIA_SWITCH_ON}, "never standardised"},
        {{.column = "color", .impute = AIA_IMPUTE_MEAN}, "numeric columns"},
        {{.column = "color", .standardize = AIA_SWITCH_ON}, "numeric columns"},
        {{.column = "color", .encoding = AIA_ENCODE_ORDINAL, .missing_indicator = AIA_SWITCH_ON}, "one-hot"},
        {{.column = "x", .impute = (aia_preprocess_impute)9}, "impute 9"},
        {{.column = "color", .encoding = (aia_preprocess_encoding)-1}, "encoding -1"},
        {{.column = "x", .standardize = (aia_preprocess_switch)5}, "standardize"},
        {{.column = NULL}, "name no column"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        aia_preprocess_options o = one_column(&cases[i].col);
        const char *name = cases[i].col.column;
        char quoted[32];
        snprintf(quoted, sizeof quoted, "'%s'", name ? name : "");
        expect_fit_error(f, all_features, 3, &o, AIA_INVALID_ARGUMENT,
                         (const char *[]){cases[i].fragment, name ? quoted : "#0", NULL});
    }
    aia_preprocess_column_options twice[] = {{.column = "x"}, {.column = "x"}};
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.columns = twice;
    o.n_columns = 2;
    expect_fit_error(f, all_features, 3, &o, AIA_INVALID_ARGUMENT, (const char *[]){"'x'", "twice", NULL});
    aia_preprocess_options_init(&o);
    o.impute = (aia_preprocess_impute)17;
    expect_fit_error(f, all_features, 3, &o, AIA_INVALID_ARGUMENT, (const char *[]){"global", "17", NULL});
    aia_preprocess_options_init(&o);
    o.n_columns = 1;
    expect_fit_error(f, all_features, 3, &o, AIA_INVALID_ARGUMENT, (const char *[]){"columns is NULL", NULL});
    aia_frame_free(f);
}

/* n distinct categories "v000", "v001", ... in column "k". */
static aia_frame *many_categories(size_t n)
{
    char (*text)[16] = calloc(n, sizeof *text);
    const char **cells = calloc(n, sizeof *cells);
    for (size_t i = 0; i < n; i++) {
        snprintf(text[i], sizeof text[i], "v%03zu", i);
        cells[i] = text[i];
    }
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(n, "wide.csv", &f, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(f, "k", cells, &err), AIA_OK);
    free(cells);
    free(text);
    return f;
}

static void fit_too_many_categories(void **state)
{
    (void)state;
    const char *features[] = {"k"};
    aia_frame *f = many_categories(256);
    aia_preprocess_options o;
    aia_preprocess_options_init(&o);
    o.encoding = AIA_ENCODE_NATIVE;
    expect_fit_error(f, features, 1, &o, AIA_INVALID_ARGUMENT,
                     (const char *[]){"'k'", "256 categories", "at most 255", NULL});
    o.encoding = AIA_ENCODE_ONE_HOT;
    o.max_one_hot_categories = 100;
    expect_fit_error(f, features, 1, &o, AIA_INVALID_ARGUMENT,
                     (const char *[]){"'k'", "256 categories", "100", "max_one_hot_categories", NULL});
    /* Raised, it fits; ordinal has no limit. */
    o.max_one_hot_categories = 256;
    aia_preprocess *p = NULL;
    aia_error err;
    assert_int_equal(aia_preprocess_fit(f, features, 1, &o, &p, &err), AIA_OK);
    assert_int_equal(aia_preprocess_n_outputs(p), 256);
    aia_preprocess_free(p);
    o.encoding = AIA_ENCODE_ORDINAL;
    assert_int_equal(aia_preprocess_fit(f, features, 1, &o, &p, &err), AIA_OK);
    aia_preprocess_free(p);
    aia_frame_free(f);
}

static void fit_output_names_must_be_distinct(void **state)
{
    (void)state;
    const double v[] = {1, 2};
    const char *const c[] = {"a", "b"};
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(2, "names.csv", &f, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(f, "c=a", v, NULL, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(f, "c", c, &err), AIA_OK);
    const char *features[] = {"c=a", "c"};
    expect_fit_error(f, features, 2, NULL, AIA_INVALID_ARGUMENT, (const char *[]){"'c=a'", "rename", NULL});
    aia_frame_free(f);
}

/* ---- apply ------------------------------------------------------------------------------- */

static aia_preprocess *fit_train(void)
{
    aia_frame *f = train_frame();
    aia_preprocess *p = NULL;
    aia_error err;
    assert_int_equal(aia_preprocess_fit(f, all_features, 3, NULL, &p, &err), AIA_OK);
    aia_frame_free(f);
    return p;
}

static void expect_apply_error(const aia_preprocess *p, const aia_frame *f, aia_status code,
                               const char *const *fragments)
{
    aia_preprocess_output out;
    memset(&out, 0xab, sizeof out);
    aia_error err;
    aia_status st = aia_preprocess_apply(p, f, &out, &err);
    if (st != code) fail_msg("expected %s, got %s: %s", aia_status_name(code), aia_status_name(st), err.message);
    assert_null(out.values);
    assert_null(out.cols);
    assert_int_equal(out.n_cols, 0);
    for (size_t i = 0; fragments[i]; i++)
        if (!strstr(err.message, fragments[i])) fail_msg("'%s' not in: %s", fragments[i], err.message);
    aia_preprocess_output_free(&out);
}

static void apply_missing_column_is_not_found(void **state)
{
    (void)state;
    aia_preprocess *p = fit_train();
    const double x[] = {1};
    const int8_t flag[] = {1};
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(1, "predict.csv", &f, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(f, "x", x, NULL, &err), AIA_OK);
    assert_int_equal(aia_frame_add_boolean(f, "flag", flag, &err), AIA_OK);
    expect_apply_error(p, f, AIA_NOT_FOUND, (const char *[]){"predict.csv", "'color'", NULL});
    aia_frame_free(f);
    aia_preprocess_free(p);
}

static void apply_type_mismatch_names_column_and_types(void **state)
{
    (void)state;
    aia_preprocess *p = fit_train();
    /* "flag" read as numeric, as a CSV without the schema might. */
    const double x[] = {1}, flag[] = {1};
    const char *const color[] = {"red"};
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(1, "predict.csv", &f, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(f, "x", x, NULL, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(f, "color", color, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(f, "flag", flag, NULL, &err), AIA_OK);
    expect_apply_error(p, f, AIA_INVALID_ARGUMENT,
                       (const char *[]){"predict.csv", "'flag'", "is numeric", "was boolean", NULL});
    aia_frame_free(f);

    /* "x" arriving as categorical. */
    const char *const xs[] = {"1"};
    const int8_t flags[] = {1};
    assert_int_equal(aia_frame_create(1, "predict.csv", &f, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(f, "x", xs, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(f, "color", color, &err), AIA_OK);
    assert_int_equal(aia_frame_add_boolean(f, "flag", flags, &err), AIA_OK);
    expect_apply_error(p, f, AIA_INVALID_ARGUMENT, (const char *[]){"'x'", "is categorical", "was numeric", NULL});
    aia_frame_free(f);
    aia_preprocess_free(p);
}

static void apply_row_bad_cells(void **state)
{
    (void)state;
    aia_preprocess *p = fit_train();
    double out[8];
    aia_error err;
    struct {
        aia_preprocess_cell cells[3];
        const char *fragment;
    } cases[] = {
        {{{"1", 0}, {"red", 0}, {NULL, 1}}, "'x'"},
        {{{NULL, INFINITY}, {"red", 0}, {NULL, 1}}, "infinite"},
        {{{NULL, 1}, {"red", 0}, {NULL, 2}}, "'flag'"},
        {{{NULL, 1}, {"red", 0}, {"true", 1}}, "not text"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_int_equal(aia_preprocess_apply_row(p, cases[i].cells, out, &err), AIA_INVALID_ARGUMENT);
        if (!strstr(err.message, cases[i].fragment)) fail_msg("'%s' not in: %s", cases[i].fragment, err.message);
    }
    assert_int_equal(aia_preprocess_apply_row(p, NULL, out, &err), AIA_INVALID_ARGUMENT);
    /* A good row still works, with the fills from training: x mean 2, flag
     * tie -> 0, color missing -> zeros (blue, red). */
    aia_preprocess_cell good[3] = {{NULL, NAN}, {NULL, 0}, {NULL, NAN}};
    assert_int_equal(aia_preprocess_apply_row(p, good, out, &err), AIA_OK);
    assert_true(out[0] == 2.0 && out[1] == 0.0 && out[2] == 0.0 && out[3] == 0.0);
    aia_preprocess_free(p);
}

/* ---- restore ------------------------------------------------------------------------------ */

static void expect_restore_error(const aia_preprocess_column *cols, size_t n, const char *fragment)
{
    aia_preprocess *p = (aia_preprocess *)&p;
    aia_error err;
    aia_status st = aia_preprocess_restore(cols, n, &p, &err);
    if (st != AIA_INVALID_ARGUMENT) fail_msg("expected INVALID_ARGUMENT for '%s', got %s", fragment,
                                             aia_status_name(st));
    assert_null(p);
    if (!strstr(err.message, fragment)) fail_msg("'%s' not in: %s", fragment, err.message);
}

static void restore_rejects_broken_state(void **state)
{
    (void)state;
    static const char *const sorted[] = {"a", "b"};
    static const char *const unsorted[] = {"b", "a"};
    static const char *const repeated[] = {"a", "a"};
    const aia_preprocess_column numeric = {.name = "x", .kind = AIA_PREPROCESS_NUMERIC,
                                           .impute = AIA_IMPUTE_MEAN, .fill = 1.0, .scale = 1.0};
    const aia_preprocess_column onehot = {.name = "c", .kind = AIA_PREPROCESS_ONE_HOT, .fill = NAN,
                                          .scale = 1.0, .n_categories = 2, .categories = sorted};
    /* The good ones restore. */
    aia_preprocess_column good[2] = {numeric, onehot};
    aia_preprocess *p = NULL;
    aia_error err;
    assert_int_equal(aia_preprocess_restore(good, 2, &p, &err), AIA_OK);
    assert_int_equal(aia_preprocess_n_outputs(p), 3);
    aia_preprocess_free(p);

    aia_preprocess_column c;
    expect_restore_error(good, 0, "no input columns");
    c = numeric, c.kind = (aia_preprocess_kind)42;
    expect_restore_error(&c, 1, "unknown kind");
    c = numeric, c.name = "";
    expect_restore_error(&c, 1, "empty");
    c = numeric, c.fill = NAN;
    expect_restore_error(&c, 1, "fill");
    c = numeric, c.impute = AIA_IMPUTE_NONE;
    expect_restore_error(&c, 1, "fill");
    c = numeric, c.impute = AIA_IMPUTE_DEFAULT;
    expect_restore_error(&c, 1, "impute");
    c = numeric, c.standardize = 1, c.scale = 0.0;
    expect_restore_error(&c, 1, "scale > 0");
    c = numeric, c.standardize = 1, c.mean = INFINITY;
    expect_restore_error(&c, 1, "finite mean");
    c = numeric, c.mean = 3.0;
    expect_restore_error(&c, 1, "mean must be 0");
    c = numeric, c.kind = AIA_PREPROCESS_BOOLEAN, c.impute = AIA_IMPUTE_MOST_FREQUENT, c.fill = 0.5;
    expect_restore_error(&c, 1, "0 or 1");
    c = numeric, c.kind = AIA_PREPROCESS_BOOLEAN, c.impute = AIA_IMPUTE_MEAN;
    expect_restore_error(&c, 1, "NONE or MOST_FREQUENT");
    c = onehot, c.categories = unsorted;
    expect_restore_error(&c, 1, "ascending");
    c = onehot, c.categories = repeated;
    expect_restore_error(&c, 1, "distinct");
    c = onehot, c.n_categories = 0;
    expect_restore_error(&c, 1, "at least one category");
    c = onehot, c.kind = AIA_PREPROCESS_ORDINAL, c.missing_indicator = 1;
    expect_restore_error(&c, 1, "missing indicator");
    c = onehot, c.impute = AIA_IMPUTE_MEAN;
    expect_restore_error(&c, 1, "no imputation");
    aia_preprocess_column twice[2] = {numeric, numeric};
    expect_restore_error(twice, 2, "repeated");

    /* A native column with 256 categories. */
    char text[256][16];
    const char *many[256];
    for (int i = 0; i < 256; i++) {
        snprintf(text[i], sizeof text[i], "v%03d", i);
        many[i] = text[i];
    }
    c = onehot, c.kind = AIA_PREPROCESS_NATIVE, c.n_categories = 256, c.categories = many;
    expect_restore_error(&c, 1, "at most 255");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fit_missing_column_is_not_found),
        cmocka_unit_test(fit_bad_feature_lists),
        cmocka_unit_test(fit_column_with_no_observed_value),
        cmocka_unit_test(fit_options_that_do_not_fit),
        cmocka_unit_test(fit_too_many_categories),
        cmocka_unit_test(fit_output_names_must_be_distinct),
        cmocka_unit_test(apply_missing_column_is_not_found),
        cmocka_unit_test(apply_type_mismatch_names_column_and_types),
        cmocka_unit_test(apply_row_bad_cells),
        cmocka_unit_test(restore_rejects_broken_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
