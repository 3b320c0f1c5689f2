/* lib/data/frame.c — see frame.h. */
#include "lib/data/frame_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/strbuf.h"
#include "lib/data/dict.h"

const char *aia_column_type_name(aia_column_type type)
{
    switch (type) {
    case AIA_COLUMN_NUMERIC: return "numeric";
    case AIA_COLUMN_CATEGORICAL: return "categorical";
    case AIA_COLUMN_BOOLEAN: return "boolean";
    }
    return "unknown";
}

aia_status aia_frame_create(size_t n_rows, const char *source, aia_frame **out, aia_error *err)
{
    *out = NULL;
    /* Keeps n_rows * sizeof(double) and the bitmap size far from overflow. */
    if (n_rows > SIZE_MAX / 16)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "%s: %zu rows is more than a frame "
                             "can hold", source ? source : "<frame>", n_rows);
    aia_frame *f = calloc(1, sizeof *f);
    if (f) f->source = strdup(source ? source : "<frame>");
    if (!f || !f->source) {
        free(f);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory creating a frame");
    }
    f->n_rows = n_rows;
    *out = f;
    return AIA_OK;
}

aia_column *aia_frame_push_column(aia_frame *f, const char *name, size_t name_len)
{
    if (f->n_cols == f->cap_cols) {
        size_t cap = f->cap_cols ? f->cap_cols * 2 : 8;
        aia_column *cols = realloc(f->cols, cap * sizeof *cols);
        if (!cols) return NULL;
        f->cols = cols;
        f->cap_cols = cap;
    }
    char *copy = malloc(name_len + 1);
    if (!copy) return NULL;
    memcpy(copy, name, name_len);
    copy[name_len] = '\0';
    aia_column *c = &f->cols[f->n_cols++];
    memset(c, 0, sizeof *c);
    c->name = copy;
    return c;
}

static void column_release(aia_column *c)
{
    free(c->name);
    free(c->numeric);
    free(c->codes);
    free(c->boolean);
    free(c->dictionary); /* one block: pointers then strings (dict.c) */
    free(c->missing);
}

void aia_frame_free(aia_frame *f)
{
    if (!f) return;
    for (size_t i = 0; i < f->n_cols; i++) column_release(&f->cols[i]);
    free(f->cols);
    free(f->source);
    free(f);
}

/* ---- adding columns by hand ------------------------------------------------- */

static aia_status check_new_name(const aia_frame *f, const char *name, aia_error *err)
{
    if (!name || !name[0])
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s: column %zu has an empty name", f->source, f->n_cols + 1);
    for (size_t i = 0; i < f->n_cols; i++) {
        if (strcmp(f->cols[i].name, name) == 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s: column %zu '%s' has the same name as column %zu",
                                 f->source, f->n_cols + 1, name, i + 1);
    }
    return AIA_OK;
}

/* A new column with a bitmap; the value array is the caller's to attach. */
static aia_column *new_column(aia_frame *f, const char *name, aia_error *err)
{
    uint64_t *bitmap = calloc(aia_bitmap_words(f->n_rows) + 1, sizeof *bitmap);
    aia_column *c = bitmap ? aia_frame_push_column(f, name, strlen(name)) : NULL;
    if (!c) {
        free(bitmap);
        aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "%s: out of memory adding column '%s'",
                      f->source, name);
        return NULL;
    }
    c->missing = bitmap;
    return c;
}

static void mark_missing(aia_column *c, size_t row)
{
    c->missing[row / 64] |= (uint64_t)1 << (row % 64);
    c->n_missing++;
}

static aia_status out_of_memory(const aia_frame *f, const char *name, aia_error *err)
{
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "%s: out of memory adding column '%s'",
                         f->source, name);
}

aia_status aia_frame_add_numeric(aia_frame *f, const char *name, const double *values,
                                 const uint8_t *missing, aia_error *err)
{
    aia_status st = check_new_name(f, name, err);
    if (st != AIA_OK) return st;
    for (size_t r = 0; r < f->n_rows; r++) {
        if (isinf(values[r]) && !(missing && missing[r]))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s: column '%s' row %zu is infinite; only finite numbers "
                                 "or missing values are accepted", f->source, name, r + 1);
    }
    double *copy = malloc((f->n_rows ? f->n_rows : 1) * sizeof *copy);
    if (!copy) return out_of_memory(f, name, err);
    aia_column *c = new_column(f, name, err);
    if (!c) {
        free(copy);
        return AIA_RESOURCE_EXHAUSTED;
    }
    c->type = AIA_COLUMN_NUMERIC;
    c->numeric = copy;
    for (size_t r = 0; r < f->n_rows; r++) {
        int is_missing = (missing && missing[r]) || isnan(values[r]);
        copy[r] = is_missing ? NAN : values[r];
        if (is_missing) mark_missing(c, r);
    }
    return AIA_OK;
}

aia_status aia_frame_add_categorical(aia_frame *f, const char *name, const char *const *cells,
                                     aia_error *err)
{
    aia_status st = check_new_name(f, name, err);
    if (st != AIA_OK) return st;
    int32_t *codes = malloc((f->n_rows ? f->n_rows : 1) * sizeof *codes);
    if (!codes) return out_of_memory(f, name, err);
    aia_dict d;
    aia_dict_init(&d);
    for (size_t r = 0; r < f->n_rows; r++) {
        codes[r] = -1;
        if (cells[r] && aia_dict_intern(&d, cells[r], strlen(cells[r]), &codes[r]) != 0) {
            aia_dict_free(&d);
            free(codes);
            return out_of_memory(f, name, err);
        }
    }
    char **dictionary = aia_dict_finish(&d, NULL);
    size_t n_values = d.n;
    aia_dict_free(&d);
    aia_column *c = (n_values == 0 || dictionary) ? new_column(f, name, err) : NULL;
    if (!c) {
        free(dictionary);
        free(codes);
        return out_of_memory(f, name, err);
    }
    c->type = AIA_COLUMN_CATEGORICAL;
    c->codes = codes;
    c->dictionary = dictionary;
    c->dictionary_size = n_values;
    for (size_t r = 0; r < f->n_rows; r++) {
        if (codes[r] < 0) mark_missing(c, r);
    }
    return AIA_OK;
}

aia_status aia_frame_add_boolean(aia_frame *f, const char *name, const int8_t *values,
                                 aia_error *err)
{
    aia_status st = check_new_name(f, name, err);
    if (st != AIA_OK) return st;
    for (size_t r = 0; r < f->n_rows; r++) {
        if (values[r] < -1 || values[r] > 1)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s: column '%s' row %zu is %d; a boolean cell is 0, 1 or "
                                 "-1 (missing)", f->source, name, r + 1, values[r]);
    }
    uint8_t *copy = malloc(f->n_rows ? f->n_rows : 1);
    if (!copy) return out_of_memory(f, name, err);
    aia_column *c = new_column(f, name, err);
    if (!c) {
        free(copy);
        return AIA_RESOURCE_EXHAUSTED;
    }
    c->type = AIA_COLUMN_BOOLEAN;
    c->boolean = copy;
    for (size_t r = 0; r < f->n_rows; r++) {
        copy[r] = values[r] == 1;
        if (values[r] < 0) mark_missing(c, r);
    }
    return AIA_OK;
}

/* ---- reading ---------------------------------------------------------------- */

size_t aia_frame_n_rows(const aia_frame *f) { return f->n_rows; }
size_t aia_frame_n_cols(const aia_frame *f) { return f->n_cols; }
const char *aia_frame_source(const aia_frame *f) { return f->source; }

const aia_column *aia_frame_column(const aia_frame *f, size_t col)
{
    return col < f->n_cols ? &f->cols[col] : NULL;
}

int aia_frame_is_missing(const aia_frame *f, size_t col, size_t row)
{
    if (col >= f->n_cols || row >= f->n_rows) return 1;
    return (int)((f->cols[col].missing[row / 64] >> (row % 64)) & 1);
}

size_t aia_frame_memory_bytes(const aia_frame *f)
{
    size_t bytes = sizeof *f + f->cap_cols * sizeof(aia_column) + strlen(f->source) + 1;
    for (size_t i = 0; i < f->n_cols; i++) {
        const aia_column *c = &f->cols[i];
        bytes += strlen(c->name) + 1;
        bytes += (aia_bitmap_words(f->n_rows) + 1) * sizeof(uint64_t);
        if (c->numeric) bytes += f->n_rows * sizeof(double);
        if (c->codes) bytes += f->n_rows * sizeof(int32_t);
        if (c->boolean) bytes += f->n_rows;
        for (size_t k = 0; k < c->dictionary_size; k++)
            bytes += sizeof(char *) + strlen(c->dictionary[k]) + 1;
    }
    return bytes;
}

/* "'a', 'b', 'c' (and 27 more)", for messages about a column that is absent. */
static void list_columns(const aia_frame *f, aia_strbuf *sb)
{
    const size_t shown = 5;
    if (f->n_cols == 0) {
        aia_strbuf_puts(sb, "the frame has no columns");
        return;
    }
    aia_strbuf_puts(sb, "columns are ");
    for (size_t i = 0; i < f->n_cols && i < shown; i++)
        aia_strbuf_printf(sb, "%s'%s'", i ? ", " : "", f->cols[i].name);
    if (f->n_cols > shown) aia_strbuf_printf(sb, " (and %zu more)", f->n_cols - shown);
}

static aia_status not_found(const aia_frame *f, const char *what, const char *name,
                            aia_error *err)
{
    char storage[256];
    aia_strbuf sb;
    aia_strbuf_init_with(&sb, storage, sizeof storage);
    list_columns(f, &sb);
    aia_error_set(err, AIA_NOT_FOUND, "%s: %s '%s' not found; %s", f->source, what,
                  name ? name : "(null)", aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
    return AIA_NOT_FOUND;
}

aia_status aia_frame_find(const aia_frame *f, const char *name, size_t *col, aia_error *err)
{
    for (size_t i = 0; name && i < f->n_cols; i++) {
        if (strcmp(f->cols[i].name, name) == 0) {
            if (col) *col = i;
            return AIA_OK;
        }
    }
    return not_found(f, "column", name, err);
}

aia_status aia_frame_check_target(const aia_frame *f, const char *target, size_t *col,
                                  aia_error *err)
{
    size_t at = 0;
    if (aia_frame_find(f, target, &at, NULL) != AIA_OK)
        return not_found(f, "target column", target, err);
    if (col) *col = at;
    return AIA_OK;
}

/* Whether rows a and b of a column hold the same (non-missing) value. */
static int same_value(const aia_column *c, size_t a, size_t b)
{
    switch (c->type) {
    case AIA_COLUMN_NUMERIC: return c->numeric[a] == c->numeric[b];
    case AIA_COLUMN_CATEGORICAL: return c->codes[a] == c->codes[b];
    case AIA_COLUMN_BOOLEAN: return c->boolean[a] == c->boolean[b];
    }
    return 0;
}

static void format_value(const aia_column *c, size_t row, char *out, size_t cap)
{
    switch (c->type) {
    case AIA_COLUMN_NUMERIC: snprintf(out, cap, "%.17g", c->numeric[row]); return;
    case AIA_COLUMN_CATEGORICAL: snprintf(out, cap, "%s", c->dictionary[c->codes[row]]); return;
    case AIA_COLUMN_BOOLEAN: snprintf(out, cap, "%s", c->boolean[row] ? "true" : "false"); return;
    }
    snprintf(out, cap, "?");
}

aia_status aia_frame_check_classification_target(const aia_frame *f, const char *target,
                                                 aia_error *err)
{
    size_t col = 0;
    aia_status st = aia_frame_check_target(f, target, &col, err);
    if (st != AIA_OK) return st;
    const aia_column *c = &f->cols[col];
    if (f->n_rows == 0)
        return aia_error_set(err, AIA_FAILED_PRECONDITION,
                             "%s: target column '%s' has no rows", f->source, target);
    if (c->n_missing > 0) {
        size_t first = 0;
        while (!aia_frame_is_missing(f, col, first)) first++;
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s: target column '%s' is missing in data row %zu (%zu rows in "
                             "all); every training row needs a class",
                             f->source, target, first + 1, c->n_missing);
    }
    for (size_t r = 1; r < f->n_rows; r++) {
        if (!same_value(c, 0, r)) return AIA_OK;
    }
    char value[64];
    format_value(c, 0, value, sizeof value);
    return aia_error_set(err, AIA_FAILED_PRECONDITION,
                         "%s: target column '%s' has one class ('%s') in all %zu rows; "
                         "classification needs at least two",
                         f->source, target, value, f->n_rows);
}
