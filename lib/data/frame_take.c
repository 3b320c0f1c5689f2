/* lib/data/frame_take.c — row subsets of a frame (train/validation/test
 * parts, cross-validation folds), built with the frame's public builders so
 * every invariant of a frame holds for the subset too. See frame.h. */
#include <math.h>
#include <stdlib.h>

#include "lib/data/frame.h"

static aia_status take_numeric(aia_frame *dst, const aia_column *c, const size_t *rows, size_t n, aia_error *err)
{
    double *v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory copying column '%s'", c->name);
    for (size_t i = 0; i < n; i++) v[i] = c->numeric[rows[i]]; /* missing cells are NaN */
    aia_status st = aia_frame_add_numeric(dst, c->name, v, NULL, err);
    free(v);
    return st;
}

static aia_status take_categorical(aia_frame *dst, const aia_column *c, const size_t *rows, size_t n,
                                   aia_error *err)
{
    const char **cells = malloc((n ? n : 1) * sizeof *cells);
    if (!cells) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory copying column '%s'", c->name);
    for (size_t i = 0; i < n; i++) cells[i] = c->codes[rows[i]] < 0 ? NULL : c->dictionary[c->codes[rows[i]]];
    aia_status st = aia_frame_add_categorical(dst, c->name, cells, err);
    free(cells);
    return st;
}

static aia_status take_boolean(const aia_frame *f, aia_frame *dst, size_t col, const size_t *rows, size_t n,
                               aia_error *err)
{
    const aia_column *c = aia_frame_column(f, col);
    int8_t *v = malloc(n ? n : 1);
    if (!v) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory copying column '%s'", c->name);
    for (size_t i = 0; i < n; i++) v[i] = aia_frame_is_missing(f, col, rows[i]) ? -1 : (int8_t)c->boolean[rows[i]];
    aia_status st = aia_frame_add_boolean(dst, c->name, v, err);
    free(v);
    return st;
}

aia_status aia_frame_take(const aia_frame *f, const size_t *rows, size_t n, const char *source,
                          aia_frame **out, aia_error *err)
{
    *out = NULL;
    size_t total = aia_frame_n_rows(f);
    for (size_t i = 0; i < n; i++)
        if (rows[i] >= total)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: row index %zu (entry %zu) is past its %zu rows",
                                 aia_frame_source(f), rows[i], i, total);
    aia_frame *dst;
    if (aia_frame_create(n, source ? source : aia_frame_source(f), &dst, err) != AIA_OK) return err->code;
    aia_status st = AIA_OK;
    for (size_t col = 0; st == AIA_OK && col < aia_frame_n_cols(f); col++) {
        const aia_column *c = aia_frame_column(f, col);
        if (c->type == AIA_COLUMN_NUMERIC) st = take_numeric(dst, c, rows, n, err);
        else if (c->type == AIA_COLUMN_CATEGORICAL) st = take_categorical(dst, c, rows, n, err);
        else st = take_boolean(f, dst, col, rows, n, err);
    }
    if (st != AIA_OK) {
        aia_frame_free(dst);
        return st;
    }
    *out = dst;
    return AIA_OK;
}
