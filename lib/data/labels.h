/* lib/data/labels.h — a frame column as class labels 0..n_classes-1, for
 * stratified splits and classification targets.
 *
 * Classes are numbered in sorted order of their values, as scikit-learn's
 * LabelEncoder and classifiers' classes_ do: numbers ascending, strings by
 * byte-wise comparison (strcmp), booleans false then true. Each class keeps
 * a printable name for messages and model metadata: the category's text,
 * "false"/"true", or the shortest "%.*g" form that reads back as the same
 * double.
 *
 * Ownership: aia_class_labels owns its arrays; aia_class_labels_free()
 * releases them. Thread-safe (no shared state).
 */
#ifndef AIA_DATA_LABELS_H
#define AIA_DATA_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/data/frame.h"

typedef struct aia_class_labels {
    int32_t *y;             /* n entries, each in [0, n_classes) */
    size_t n;
    size_t n_classes;
    char **names;           /* n_classes NUL-terminated names */
    size_t *counts;         /* n_classes: rows per class */
} aia_class_labels;

/* Encodes column `col` of `f`. A missing cell is INVALID_ARGUMENT naming the
 * column and the first data row (1-based) where it is missing; an
 * out-of-range col is INVALID_ARGUMENT; RESOURCE_EXHAUSTED when out of
 * memory. On error *out is zeroed (safe to free). */
aia_status aia_class_labels_from_column(const aia_frame *f, size_t col, aia_class_labels *out,
                                        aia_error *err);

/* Builds labels from plain codes (each in [0, n_classes)), naming class i
 * names[i] or, when names is NULL, "class i". Copies everything. */
aia_status aia_class_labels_from_codes(const int32_t *codes, size_t n, size_t n_classes,
                                       const char *const *names, aia_class_labels *out,
                                       aia_error *err);

void aia_class_labels_free(aia_class_labels *labels);

#endif
