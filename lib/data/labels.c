/* lib/data/labels.c — see labels.h. */
#include "lib/data/labels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void aia_class_labels_free(aia_class_labels *labels)
{
    if (!labels) return;
    for (size_t i = 0; labels->names && i < labels->n_classes; i++) free(labels->names[i]);
    free(labels->names);
    free(labels->y);
    free(labels->counts);
    memset(labels, 0, sizeof *labels);
}

static aia_status no_memory(aia_class_labels *out, aia_error *err)
{
    aia_class_labels_free(out);
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory encoding class labels");
}

/* Allocates y, names and counts for n rows and k classes. */
static int allocate(aia_class_labels *out, size_t n, size_t k)
{
    out->n = n;
    out->n_classes = k;
    out->y = malloc((n ? n : 1) * sizeof *out->y);
    out->names = calloc(k ? k : 1, sizeof *out->names);
    out->counts = calloc(k ? k : 1, sizeof *out->counts);
    return out->y && out->names && out->counts ? 0 : -1;
}

static void count(aia_class_labels *out)
{
    for (size_t i = 0; i < out->n; i++) out->counts[out->y[i]]++;
}

aia_status aia_class_labels_from_codes(const int32_t *codes, size_t n, size_t n_classes,
                                       const char *const *names, aia_class_labels *out,
                                       aia_error *err)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < n; i++) {
        if (codes[i] < 0 || (size_t)codes[i] >= n_classes)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "class code %d at row %zu is outside [0, %zu)", codes[i], i + 1,
                                 n_classes);
    }
    if (allocate(out, n, n_classes) != 0) return no_memory(out, err);
    memcpy(out->y, codes, n * sizeof *codes);
    for (size_t c = 0; c < n_classes; c++) {
        char fallback[32];
        snprintf(fallback, sizeof fallback, "class %zu", c);
        out->names[c] = strdup(names ? names[c] : fallback);
        if (!out->names[c]) return no_memory(out, err);
    }
    count(out);
    return AIA_OK;
}

/* Integers as integers ("10", not "1e+01"); otherwise the shortest %.*g
 * text that reads back as v. */
static char *number_name(double v)
{
    char buf[40];
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, sizeof buf, "%.0f", v);
        return strdup(buf);
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) break;
    }
    return strdup(buf);
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static aia_status from_numeric(const aia_column *c, size_t n, aia_class_labels *out,
                               aia_error *err)
{
    double *sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted) return no_memory(out, err);
    memcpy(sorted, c->numeric, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_doubles);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (k == 0 || sorted[i] != sorted[k - 1]) sorted[k++] = sorted[i];
    }
    if (allocate(out, n, k) != 0) {
        free(sorted);
        return no_memory(out, err);
    }
    for (size_t i = 0; i < n; i++) {
        /* Binary search: the row's value is among the k distinct ones. */
        size_t lo = 0, hi = k;
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            if (sorted[mid] <= c->numeric[i]) lo = mid;
            else hi = mid;
        }
        out->y[i] = (int32_t)lo;
    }
    for (size_t j = 0; j < k; j++) {
        if (!(out->names[j] = number_name(sorted[j]))) {
            free(sorted);
            return no_memory(out, err);
        }
    }
    free(sorted);
    return AIA_OK;
}

static int compare_codes_by_name(const void *a, const void *b, void *names)
{
    char *const *dict = names;
    return strcmp(dict[*(const int32_t *)a], dict[*(const int32_t *)b]);
}

/* Classes are the dictionary entries that occur, sorted by name. */
static aia_status from_categorical(const aia_column *c, size_t n, aia_class_labels *out,
                                   aia_error *err)
{
    size_t d = c->dictionary_size;
    int32_t *order = malloc((d ? d : 1) * sizeof *order);
    int32_t *rank = malloc((d ? d : 1) * sizeof *rank);
    uint8_t *present = calloc(d ? d : 1, 1);
    aia_status st = AIA_OK;
    if (!order || !rank || !present) {
        st = no_memory(out, err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) present[c->codes[i]] = 1;
    size_t k = 0;
    for (size_t j = 0; j < d; j++) {
        if (present[j]) order[k++] = (int32_t)j;
    }
    qsort_r(order, k, sizeof *order, compare_codes_by_name, c->dictionary);
    for (size_t j = 0; j < k; j++) rank[order[j]] = (int32_t)j;
    if (allocate(out, n, k) != 0) {
        st = no_memory(out, err);
        goto done;
    }
    for (size_t i = 0; i < n; i++) out->y[i] = rank[c->codes[i]];
    for (size_t j = 0; j < k; j++) {
        if (!(out->names[j] = strdup(c->dictionary[order[j]]))) {
            st = no_memory(out, err);
            goto done;
        }
    }
done:
    free(order);
    free(rank);
    free(present);
    return st;
}

static aia_status from_boolean(const aia_column *c, size_t n, aia_class_labels *out,
                               aia_error *err)
{
    int seen[2] = {0, 0};
    for (size_t i = 0; i < n; i++) seen[c->boolean[i]] = 1;
    size_t k = (size_t)(seen[0] + seen[1]);
    if (allocate(out, n, k) != 0) return no_memory(out, err);
    /* With one class present, it is class 0 whichever it is. */
    for (size_t i = 0; i < n; i++) out->y[i] = seen[0] ? c->boolean[i] : 0;
    size_t j = 0;
    if (seen[0] && !(out->names[j++] = strdup("false"))) return no_memory(out, err);
    if (seen[1] && !(out->names[j++] = strdup("true"))) return no_memory(out, err);
    return AIA_OK;
}

aia_status aia_class_labels_from_column(const aia_frame *f, size_t col, aia_class_labels *out,
                                        aia_error *err)
{
    memset(out, 0, sizeof *out);
    const aia_column *c = aia_frame_column(f, col);
    if (!c)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: no column %zu (the frame has %zu)",
                             aia_frame_source(f), col + 1, aia_frame_n_cols(f));
    size_t n = aia_frame_n_rows(f);
    if (c->n_missing > 0) {
        size_t first = 0;
        while (!aia_frame_is_missing(f, col, first)) first++;
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s: class column '%s' is missing in data row %zu (%zu rows in "
                             "all); every row needs a class",
                             aia_frame_source(f), c->name, first + 1, c->n_missing);
    }
    aia_status st;
    switch (c->type) {
    case AIA_COLUMN_NUMERIC: st = from_numeric(c, n, out, err); break;
    case AIA_COLUMN_CATEGORICAL: st = from_categorical(c, n, out, err); break;
    case AIA_COLUMN_BOOLEAN: st = from_boolean(c, n, out, err); break;
    default: st = aia_error_set(err, AIA_INTERNAL, "column '%s' has an unknown type", c->name);
    }
    if (st == AIA_OK) count(out);
    return st;
}
