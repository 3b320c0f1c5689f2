/* A generated 200,000-row x 30-column CSV, read from memory and from a
 * file: every value must come back bit for bit, missing cells exactly where
 * they were written, and the frame must stay under 2x the raw numeric size.
 * Not timed: speed belongs to the benchmarks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/base/strbuf.h"
#include "lib/data/csv.h"

enum { N_ROWS = 200000, N_NUMERIC = 27, N_COLS = 30 };

/* Columns 0..26 numeric (written in several styles, some missing), 27
 * categorical (some quoted), 28 boolean, 29 numeric with a quoted value. */
typedef struct expected {
    double *numeric;        /* N_NUMERIC * N_ROWS, column-major; NaN = missing */
    int32_t *category;      /* N_ROWS: index into k_categories */
    uint8_t *flag;
    double *last;
} expected;

static const char *const k_categories[] = {"red", "green, light", "blue \"navy\"", "ünïcode", "NA"};

static char *generate(expected *e, size_t *len)
{
    aia_rng rng;
    aia_rng_seed(&rng, 2026);
    e->numeric = malloc((size_t)N_NUMERIC * N_ROWS * sizeof(double));
    e->category = malloc(N_ROWS * sizeof(int32_t));
    e->flag = malloc(N_ROWS);
    e->last = malloc(N_ROWS * sizeof(double));
    assert_true(e->numeric && e->category && e->flag && e->last);
    aia_strbuf sb;
    aia_strbuf_init(&sb);
    for (int j = 0; j < N_COLS; j++) aia_strbuf_printf(&sb, "%scol%d", j ? "," : "", j);
    aia_strbuf_putc(&sb, '\n');
    char cell[64];
    for (size_t r = 0; r < N_ROWS; r++) {
        for (int j = 0; j < N_NUMERIC; j++) {
            double x = aia_rng_normal(&rng) * pow(10.0, (double)(j % 9) - 4.0);
            double *slot = &e->numeric[(size_t)j * N_ROWS + r];
            if (aia_rng_below(&rng, 50) == 0) {
                static const char *const missing[] = {"", "NA", "NaN", "null", "None"};
                snprintf(cell, sizeof cell, "%s", missing[aia_rng_below(&rng, 5)]);
                *slot = NAN;
            } else {
                switch (j % 3) {
                case 0: snprintf(cell, sizeof cell, "%.17g", x); break;
                case 1: snprintf(cell, sizeof cell, "%.6f", x); break;
                default: snprintf(cell, sizeof cell, "%.3e", x); break;
                }
                *slot = strtod(cell, NULL);
            }
            aia_strbuf_printf(&sb, "%s,", cell);
        }
        int32_t c = (int32_t)aia_rng_below(&rng, 5);
        e->category[r] = c;
        if (c == 1) aia_strbuf_puts(&sb, "\"green, light\",");
        else if (c == 2) aia_strbuf_puts(&sb, "\"blue \"\"navy\"\"\",");
        else aia_strbuf_printf(&sb, "%s,", k_categories[c]);
        e->flag[r] = (uint8_t)aia_rng_below(&rng, 2);
        aia_strbuf_printf(&sb, "%s,", e->flag[r] ? "true" : "false");
        e->last[r] = (double)r - 0.25;
        aia_strbuf_printf(&sb, r % 2 ? "%.2f\r\n" : "\"%.2f\"\n", e->last[r]);
    }
    assert_false(sb.oom);
    return aia_strbuf_release(&sb, len);
}

static void same_bits(double got, double want, size_t row, int col)
{
    if (isnan(want)) {
        if (!isnan(got)) fail_msg("row %zu col %d: expected missing, got %.17g", row, col, got);
        return;
    }
    if (memcmp(&got, &want, sizeof got) != 0)
        fail_msg("row %zu col %d: got %.17g, wrote %.17g", row, col, got, want);
}

static void check_frame(const aia_frame *f, const expected *e)
{
    assert_int_equal(aia_frame_n_rows(f), N_ROWS);
    assert_int_equal(aia_frame_n_cols(f), N_COLS);
    for (int j = 0; j < N_NUMERIC; j++) {
        const aia_column *c = aia_frame_column(f, (size_t)j);
        assert_int_equal(c->type, AIA_COLUMN_NUMERIC);
        size_t n_missing = 0;
        for (size_t r = 0; r < N_ROWS; r++) {
            double want = e->numeric[(size_t)j * N_ROWS + r];
            same_bits(c->numeric[r], want, r, j);
            assert_int_equal(aia_frame_is_missing(f, (size_t)j, r), isnan(want) ? 1 : 0);
            n_missing += isnan(want);
        }
        assert_int_equal(c->n_missing, n_missing);
    }
    const aia_column *cat = aia_frame_column(f, 27);
    assert_int_equal(cat->type, AIA_COLUMN_CATEGORICAL);
    assert_int_equal(cat->dictionary_size, 4); /* "NA" is missing, not a category */
    for (size_t r = 0; r < N_ROWS; r++) {
        int32_t want = e->category[r];
        if (want == 4) {
            assert_int_equal(cat->codes[r], -1);
        } else {
            assert_true(cat->codes[r] >= 0);
            assert_string_equal(cat->dictionary[cat->codes[r]], k_categories[want]);
        }
    }
    const aia_column *flag = aia_frame_column(f, 28);
    assert_int_equal(flag->type, AIA_COLUMN_BOOLEAN);
    assert_memory_equal(flag->boolean, e->flag, N_ROWS);
    const aia_column *last = aia_frame_column(f, 29);
    assert_int_equal(last->type, AIA_COLUMN_NUMERIC);
    for (size_t r = 0; r < N_ROWS; r++) same_bits(last->numeric[r], e->last[r], r, 29);

    /* Under 2x the raw numeric size (8 bytes per numeric value), all of it. */
    size_t raw = (size_t)(N_NUMERIC + 1) * N_ROWS * sizeof(double);
    assert_true(aia_frame_memory_bytes(f) < 2 * raw);
    /* And each numeric column is its 8 bytes per row plus a 1-bit bitmap. */
    assert_true(aia_frame_memory_bytes(f) < raw + N_COLS * (N_ROWS / 8 + 1024) + (size_t)N_ROWS * 5);
}

static void large_input_round_trips(void **state)
{
    (void)state;
    expected e;
    size_t len = 0;
    char *text = generate(&e, &len);
    aia_frame *f = NULL;
    aia_error err;
    aia_status st = aia_csv_read_buffer(text, len, NULL, &f, &err);
    if (st != AIA_OK) fail_msg("%s", err.message);
    check_frame(f, &e);
    aia_frame_free(f);

    /* The same bytes through a file (the memory-mapped path). */
    const char *tmp = getenv("TEST_TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/aia_large_%d.csv", tmp ? tmp : "/tmp", (int)getpid());
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    st = aia_csv_read_file(path, NULL, &f, &err);
    unlink(path);
    if (st != AIA_OK) fail_msg("%s", err.message);
    check_frame(f, &e);
    aia_frame_free(f);

    free(text);
    free(e.numeric);
    free(e.category);
    free(e.flag);
    free(e.last);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(large_input_round_trips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
