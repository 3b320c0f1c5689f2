/* Unit tests for lib/data/frame: building frames by hand, accessors, the
 * missing bitmap, and the errors of the add functions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lib/data/frame.h"

static void build_by_hand(void **state)
{
    (void)state;
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(70, "hand", &f, &err), AIA_OK);
    double values[70];
    uint8_t missing[70] = {0};
    const char *cells[70];
    int8_t flags[70];
    for (int i = 0; i < 70; i++) {
        values[i] = i * 0.5;
        cells[i] = i % 3 == 0 ? "x" : i % 3 == 1 ? "y" : NULL;
        flags[i] = (int8_t)(i % 5 == 4 ? -1 : i % 2);
    }
    values[3] = NAN;     /* NaN is missing */
    missing[65] = 1;     /* and so is a flagged row */
    assert_int_equal(aia_frame_add_numeric(f, "v", values, missing, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(f, "c", cells, &err), AIA_OK);
    assert_int_equal(aia_frame_add_boolean(f, "b", flags, &err), AIA_OK);
    assert_int_equal(aia_frame_n_cols(f), 3);
    assert_int_equal(aia_frame_n_rows(f), 70);

    const aia_column *v = aia_frame_column(f, 0);
    assert_int_equal(v->type, AIA_COLUMN_NUMERIC);
    assert_int_equal(v->n_missing, 2);
    assert_true(isnan(v->numeric[65]) && aia_frame_is_missing(f, 0, 65));
    assert_true(aia_frame_is_missing(f, 0, 3));
    assert_true(v->numeric[64] == 32.0 && !aia_frame_is_missing(f, 0, 64));
    assert_true((v->missing[1] >> 1) & 1); /* row 65 = word 1, bit 1 */

    const aia_column *c = aia_frame_column(f, 1);
    assert_int_equal(c->type, AIA_COLUMN_CATEGORICAL);
    assert_int_equal(c->dictionary_size, 2);
    assert_string_equal(c->dictionary[0], "x");
    assert_int_equal(c->codes[1], 1);
    assert_int_equal(c->codes[2], -1);
    assert_int_equal(c->n_missing, 23);

    const aia_column *b = aia_frame_column(f, 2);
    assert_int_equal(b->type, AIA_COLUMN_BOOLEAN);
    assert_int_equal(b->boolean[1], 1);
    assert_int_equal(b->boolean[4], 0);
    assert_true(aia_frame_is_missing(f, 2, 4));
    assert_int_equal(b->n_missing, 14);

    assert_null(aia_frame_column(f, 3));
    assert_string_equal(aia_column_type_name(AIA_COLUMN_BOOLEAN), "boolean");
    assert_string_equal(aia_column_type_name((aia_column_type)0), "unknown");
    assert_true(aia_frame_memory_bytes(f) >= 70 * (8 + 4 + 1));
    aia_frame_free(f);
    aia_frame_free(NULL);
}

static void add_errors(void **state)
{
    (void)state;
    aia_frame *f = NULL;
    aia_error err;
    assert_int_equal(aia_frame_create(3, NULL, &f, &err), AIA_OK);
    const double ok[] = {1, 2, 3};
    const double inf[] = {1, INFINITY, 3};
    assert_int_equal(aia_frame_add_numeric(f, "a", ok, NULL, &err), AIA_OK);
    assert_int_equal(aia_frame_add_numeric(f, "a", ok, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_string_equal(err.message, "<frame>: column 2 'a' has the same name as column 1");
    assert_int_equal(aia_frame_add_numeric(f, "", ok, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "column 2 has an empty name"));
    assert_int_equal(aia_frame_add_numeric(f, "b", inf, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "column 'b' row 2 is infinite"));
    const uint8_t skip[] = {0, 1, 0};
    assert_int_equal(aia_frame_add_numeric(f, "b", inf, skip, &err), AIA_OK); /* masked */
    const int8_t bad[] = {0, 1, 2};
    assert_int_equal(aia_frame_add_boolean(f, "c", bad, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "column 'c' row 3 is 2"));
    assert_int_equal(aia_frame_n_cols(f), 2);
    aia_frame_free(f);

    assert_int_equal(aia_frame_create(SIZE_MAX / 8 + 1, "huge", &f, &err), AIA_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(err.message, "huge: "));
    assert_null(f);
}

static void take_copies_rows_in_order(void **state)
{
    (void)state;
    aia_frame *f;
    aia_error err;
    assert_int_equal(aia_frame_create(4, "src.csv", &f, &err), AIA_OK);
    double num[] = {1.5, NAN, 3.5, 4.5};
    const char *cat[] = {"red", "blue", NULL, "red"};
    int8_t flag[] = {1, -1, 0, 1};
    assert_int_equal(aia_frame_add_numeric(f, "x", num, NULL, &err), AIA_OK);
    assert_int_equal(aia_frame_add_categorical(f, "c", cat, &err), AIA_OK);
    assert_int_equal(aia_frame_add_boolean(f, "b", flag, &err), AIA_OK);
    size_t rows[] = {3, 1, 2, 3}; /* reordered, with a repeat */
    aia_frame *t;
    assert_int_equal(aia_frame_take(f, rows, 4, NULL, &t, &err), AIA_OK);
    assert_string_equal(aia_frame_source(t), "src.csv");
    assert_int_equal(aia_frame_n_rows(t), 4);
    const aia_column *x = aia_frame_column(t, 0), *c = aia_frame_column(t, 1), *b = aia_frame_column(t, 2);
    assert_true(x->numeric[0] == 4.5 && isnan(x->numeric[1]) && x->numeric[2] == 3.5);
    assert_true(aia_frame_is_missing(t, 0, 1) && !aia_frame_is_missing(t, 0, 0));
    /* The dictionary is rebuilt in the subset's first-seen order. */
    assert_string_equal(c->dictionary[c->codes[0]], "red");
    assert_string_equal(c->dictionary[c->codes[1]], "blue");
    assert_int_equal(c->codes[2], -1);
    assert_int_equal(c->codes[3], c->codes[0]);
    assert_true(b->boolean[0] == 1 && aia_frame_is_missing(t, 2, 1) && b->boolean[2] == 0);
    aia_frame_free(t);
    size_t bad[] = {0, 4};
    assert_int_equal(aia_frame_take(f, bad, 2, NULL, &t, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "row index 4 (entry 1)"));
    assert_null(t);
    aia_frame_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(build_by_hand),
        cmocka_unit_test(add_errors),
        cmocka_unit_test(take_copies_rows_in_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
