/* lib/ml/preprocess_apply.c — applying a fitted pipeline to a frame
 * (column at a time, into one dense column-major block) or to one row
 * (into the caller's buffer, allocating nothing). Both paths compute every
 * value with the same expressions, so a row gives the same bits as its
 * frame. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/preprocess_internal.h"

/* The numeric transform: fill, then scale. NaN passes through when the
 * fill is NaN (impute NONE). */
static inline double numeric_value(const aia_preprocess_column *c, double x)
{
    if (isnan(x)) x = c->fill;
    return c->standardize ? (x - c->mean) / c->scale : x;
}

/* Ordinal and native outputs: the category's index, NaN when unseen or
 * missing (the learner's missing value). */
static inline double code_value(long index)
{
    return index < 0 ? NAN : (double)index;
}

/* ---- frames ------------------------------------------------------------------------ */

void aia_preprocess_output_free(aia_preprocess_output *out)
{
    if (!out) return;
    free(out->values);
    free(out->cols);
    free(out->names);
    free(out->categorical);
    memset(out, 0, sizeof *out);
}

/* The frame column for input c, with the type training saw. */
static aia_status find_input(const aia_frame *f, const aia_preprocess_column *c, const aia_column **col,
                             aia_error *err)
{
    size_t at = 0;
    aia_status st = aia_frame_find(f, c->name, &at, err);
    if (st != AIA_OK) return st;
    *col = aia_frame_column(f, at);
    aia_column_type want = aia_pp_kind_type(c->kind);
    if ((*col)->type != want)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s: column '%s' is %s but was %s in training; read the data with '%s' "
                             "forced to %s (the model's schema)",
                             aia_frame_source(f), c->name, aia_column_type_name((*col)->type),
                             aia_column_type_name(want), c->name, aia_column_type_name(want));
    return AIA_OK;
}

static aia_status oom(aia_error *err)
{
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "preprocessing: out of memory");
}

/* Sizes and allocates the output (values zeroed: one-hot blocks rely on it). */
static aia_status alloc_output(const aia_preprocess *p, size_t n_rows, aia_preprocess_output *out,
                               aia_error *err)
{
    size_t n_cols = p->n_outputs;
    if (n_rows && n_cols > SIZE_MAX / sizeof(double) / n_rows)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED,
                             "preprocessing: %zu rows x %zu output columns do not fit in memory", n_rows, n_cols);
    /* At least one element, so column pointers are never NULL + offset. */
    size_t n_values = n_rows * n_cols;
    out->values = calloc(n_values > 0 ? n_values : 1, sizeof(double));
    out->cols = malloc(n_cols * sizeof *out->cols);
    out->names = aia_pp_strings_copy((const char *const *)p->output_names, n_cols);
    out->categorical = malloc(n_cols);
    if (!out->values || !out->cols || !out->names || !out->categorical) {
        aia_preprocess_output_free(out);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED,
                             "preprocessing: out of memory for %zu rows x %zu output columns", n_rows, n_cols);
    }
    memcpy(out->categorical, p->output_categorical, n_cols);
    for (size_t j = 0; j < n_cols; j++) out->cols[j] = out->values + j * n_rows;
    out->n_rows = n_rows;
    out->n_cols = n_cols;
    out->matrix = (aia_matrix){n_rows, n_cols, out->cols};
    return AIA_OK;
}

/* dst[i] = index of the frame's dictionary entry i among the training
 * categories, -1 when unseen: categories match by string, never by code. */
static int32_t *map_dictionary(const aia_preprocess_column *c, const aia_column *col)
{
    int32_t *map = malloc((col->dictionary_size ? col->dictionary_size : 1) * sizeof *map);
    if (!map) return NULL;
    for (size_t d = 0; d < col->dictionary_size; d++) map[d] = (int32_t)aia_pp_category_index(c, col->dictionary[d]);
    return map;
}

static aia_status apply_categorical(const aia_preprocess_column *c, const aia_column *col, size_t n,
                                    double *const *dst, aia_error *err)
{
    int32_t *map = map_dictionary(c, col);
    if (!map) return oom(err);
    for (size_t i = 0; i < n; i++) {
        int32_t code = col->codes[i];
        long index = code >= 0 && (size_t)code < col->dictionary_size ? map[code] : -1;
        if (c->kind != AIA_PREPROCESS_ONE_HOT) {
            dst[0][i] = code_value(index);
        } else if (index >= 0) {
            dst[index][i] = 1.0;
        } else if (code < 0 && c->missing_indicator) {
            dst[c->n_categories][i] = 1.0;
        }
    }
    free(map);
    return AIA_OK;
}

static aia_status apply_input(const aia_preprocess_column *c, const aia_column *col, size_t n,
                              double *const *dst, aia_error *err)
{
    switch (c->kind) {
    case AIA_PREPROCESS_NUMERIC:
        for (size_t i = 0; i < n; i++) dst[0][i] = numeric_value(c, col->numeric[i]);
        return AIA_OK;
    case AIA_PREPROCESS_BOOLEAN:
        for (size_t i = 0; i < n; i++)
            dst[0][i] = (col->missing[i / 64] >> (i % 64)) & 1 ? c->fill : (double)col->boolean[i];
        return AIA_OK;
    case AIA_PREPROCESS_ONE_HOT:
    case AIA_PREPROCESS_ORDINAL:
    case AIA_PREPROCESS_NATIVE: return apply_categorical(c, col, n, dst, err);
    }
    return aia_error_set(err, AIA_INTERNAL, "preprocessing: input '%s' has an unknown kind", c->name);
}

aia_status aia_preprocess_apply(const aia_preprocess *p, const aia_frame *f, aia_preprocess_output *out,
                                aia_error *err)
{
    memset(out, 0, sizeof *out);
    if (!p || !f) return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: no pipeline or frame");
    /* Check every column before allocating the (possibly large) output. */
    for (size_t i = 0; i < p->n_inputs; i++) {
        const aia_column *col = NULL;
        aia_status st = find_input(f, &p->inputs[i], &col, err);
        if (st != AIA_OK) return st;
    }
    size_t n = aia_frame_n_rows(f);
    aia_status st = alloc_output(p, n, out, err);
    for (size_t i = 0; i < p->n_inputs && st == AIA_OK; i++) {
        const aia_column *col = NULL;
        st = find_input(f, &p->inputs[i], &col, err);
        if (st == AIA_OK)
            st = apply_input(&p->inputs[i], col, n, (double *const *)out->cols + p->first_output[i], err);
    }
    if (st != AIA_OK) aia_preprocess_output_free(out);
    return st;
}

/* ---- one row ------------------------------------------------------------------------ */

static aia_status bad_cell(const aia_preprocess_column *c, size_t i, const char *why, aia_error *err)
{
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: input %zu ('%s'): %s", i, c->name, why);
}

static aia_status apply_cell(const aia_preprocess_column *c, size_t i, const aia_preprocess_cell *cell,
                             double *dst, aia_error *err)
{
    switch (c->kind) {
    case AIA_PREPROCESS_NUMERIC:
        if (cell->text) return bad_cell(c, i, "is numeric; give a number, not text", err);
        if (isinf(cell->number)) return bad_cell(c, i, "the value is infinite", err);
        dst[0] = numeric_value(c, cell->number);
        return AIA_OK;
    case AIA_PREPROCESS_BOOLEAN:
        if (cell->text) return bad_cell(c, i, "is boolean; give 0, 1 or NaN, not text", err);
        if (!isnan(cell->number) && cell->number != 0.0 && cell->number != 1.0)
            return bad_cell(c, i, "a boolean is 0, 1 or NaN (missing)", err);
        dst[0] = isnan(cell->number) ? c->fill : cell->number;
        return AIA_OK;
    case AIA_PREPROCESS_ONE_HOT: {
        long index = cell->text ? aia_pp_category_index(c, cell->text) : -1;
        size_t width = aia_pp_input_width(c);
        for (size_t k = 0; k < width; k++) dst[k] = 0.0;
        if (index >= 0)
            dst[index] = 1.0;
        else if (!cell->text && c->missing_indicator)
            dst[c->n_categories] = 1.0;
        return AIA_OK;
    }
    case AIA_PREPROCESS_ORDINAL:
    case AIA_PREPROCESS_NATIVE:
        dst[0] = code_value(cell->text ? aia_pp_category_index(c, cell->text) : -1);
        return AIA_OK;
    }
    return aia_error_set(err, AIA_INTERNAL, "preprocessing: input '%s' has an unknown kind", c->name);
}

aia_status aia_preprocess_apply_row(const aia_preprocess *p, const aia_preprocess_cell *cells, double *out,
                                    aia_error *err)
{
    if (!p || !cells || !out)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: no pipeline, cells or output buffer");
    for (size_t i = 0; i < p->n_inputs; i++) {
        aia_status st = apply_cell(&p->inputs[i], i, &cells[i], out + p->first_output[i], err);
        if (st != AIA_OK) return st;
    }
    return AIA_OK;
}
