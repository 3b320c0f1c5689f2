/* lib/data/frame.h — a columnar table of typed columns, the engine's input.
 *
 * A frame has n_rows rows and a list of named columns. Each column is one of
 * three types and stores its cells in one contiguous array, so lib/ml reads
 * a feature without copying:
 *
 *   NUMERIC      double values[n_rows]; a missing cell holds NaN AND has its
 *                bit set in the missing bitmap. A cell spelled "NaN" in the
 *                input is a missing value, so NaN never appears unflagged.
 *   CATEGORICAL  int32_t codes[n_rows] indexing dictionary[] (distinct UTF-8
 *                strings in first-seen order); a missing cell has code -1 and
 *                its bit set in the bitmap.
 *   BOOLEAN      uint8_t values[n_rows], 0 or 1; a missing cell holds 0 and
 *                has its bit set in the bitmap.
 *
 * The missing bitmap has one bit per row: bit (row % 64) of word (row / 64).
 * It always exists (all zero when nothing is missing).
 *
 * Memory: one allocation per column array and per dictionary, never one per
 * cell; a numeric column costs 8 bytes per row plus 1 bit for the bitmap.
 *
 * Ownership: a frame owns everything it points to; aia_frame_free() releases
 * it all. Pointers returned by accessors stay valid until then.
 * Thread-safety: a finished frame is immutable, so any number of threads may
 * read it at once. Building (aia_frame_add_*) is single-threaded.
 */
#ifndef AIA_DATA_FRAME_H
#define AIA_DATA_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

typedef enum aia_column_type {
    AIA_COLUMN_NUMERIC = 1,
    AIA_COLUMN_CATEGORICAL = 2,
    AIA_COLUMN_BOOLEAN = 3,
} aia_column_type;

/* "numeric", "categorical", "boolean"; "unknown" for anything else. */
const char *aia_column_type_name(aia_column_type type);

/* One column, read-only to users: fields are filled by the frame and must not
 * be modified. Exactly one of numeric / codes / boolean is non-NULL (when the
 * frame has rows), matching `type`. */
typedef struct aia_column {
    char *name;                 /* UTF-8, NUL-terminated, unique in the frame */
    aia_column_type type;
    double *numeric;            /* NUMERIC: n_rows values, NaN where missing */
    int32_t *codes;             /* CATEGORICAL: n_rows codes, -1 where missing */
    uint8_t *boolean;           /* BOOLEAN: n_rows values 0/1, 0 where missing */
    char **dictionary;          /* CATEGORICAL: dictionary_size strings */
    size_t dictionary_size;
    uint64_t *missing;          /* (n_rows + 63) / 64 words */
    size_t n_missing;           /* number of set bits in `missing` */
} aia_column;

typedef struct aia_frame aia_frame;

/* ---- building a frame by hand (tests, prediction requests) --------------- */

/* An empty frame that will hold n_rows rows. `source` names where the data
 * came from (a file path, "<memory>") and prefixes the frame's error
 * messages; NULL means "<frame>". Returns RESOURCE_EXHAUSTED when out of
 * memory or when n_rows exceeds SIZE_MAX / 16 (no memory could hold it).
 * The caller frees *out with aia_frame_free(). */
aia_status aia_frame_create(size_t n_rows, const char *source, aia_frame **out, aia_error *err);

/* Appends a numeric column, copying n_rows values. A cell is missing when
 * `missing` (may be NULL) is non-zero at that row or when its value is NaN;
 * missing cells are stored as NaN. Infinite values are INVALID_ARGUMENT (the
 * CSV reader never produces them either). Duplicate or empty names are
 * INVALID_ARGUMENT. */
aia_status aia_frame_add_numeric(aia_frame *f, const char *name, const double *values,
                                 const uint8_t *missing, aia_error *err);

/* Appends a categorical column from n_rows strings (NULL = missing); the
 * dictionary is built in first-seen order and the strings are copied. */
aia_status aia_frame_add_categorical(aia_frame *f, const char *name, const char *const *cells,
                                     aia_error *err);

/* Appends a boolean column from n_rows values: 0 = false, 1 = true,
 * -1 = missing; anything else is INVALID_ARGUMENT naming the row. */
aia_status aia_frame_add_boolean(aia_frame *f, const char *name, const int8_t *values,
                                 aia_error *err);

/* A new frame holding rows[0..n) of f, in that order (a row may repeat),
 * with the same columns, types and missing cells; `source` names it (NULL:
 * f's source). Categorical dictionaries are rebuilt in first-seen order of
 * the new frame, so codes may differ from f's: match categories by their
 * strings (as the preprocessing and class labels do). A row index >= f's
 * row count is INVALID_ARGUMENT naming it. */
aia_status aia_frame_take(const aia_frame *f, const size_t *rows, size_t n, const char *source,
                          aia_frame **out, aia_error *err);

/* ---- reading ---------------------------------------------------------------- */

size_t aia_frame_n_rows(const aia_frame *f);
size_t aia_frame_n_cols(const aia_frame *f);
/* The name given at creation ("data/train.csv", "<memory>"). */
const char *aia_frame_source(const aia_frame *f);

/* Column `col` (0-based), or NULL when col >= n_cols. */
const aia_column *aia_frame_column(const aia_frame *f, size_t col);

/* Looks a column up by exact (byte-wise, case-sensitive) name. On success
 * stores its index in *col (may be NULL). When absent returns NOT_FOUND with
 * a message naming the column and listing the first few that exist:
 *   "data.csv: column 'target' not found; columns are 'a', 'b', 'c', 'd', 'e'
 *   (and 27 more)" */
aia_status aia_frame_find(const aia_frame *f, const char *name, size_t *col, aia_error *err);

/* Non-zero when cell (row, col) is missing. Out-of-range arguments give 1. */
int aia_frame_is_missing(const aia_frame *f, size_t col, size_t row);

/* Bytes held by the frame (column arrays, bitmaps, dictionaries, names), for
 * memory accounting. */
size_t aia_frame_memory_bytes(const aia_frame *f);

/* Frees the frame and everything it owns. NULL is a no-op. */
void aia_frame_free(aia_frame *f);

/* ---- checks for training inputs ------------------------------------------- */

/* The target column must exist: like aia_frame_find(), but the message says
 * it is the target: "data.csv: target column 'y' not found; columns are ...". */
aia_status aia_frame_check_target(const aia_frame *f, const char *target, size_t *col,
                                  aia_error *err);

/* A classification target must exist, have no missing cells and at least two
 * distinct values. Errors: NOT_FOUND (absent), INVALID_ARGUMENT naming the
 * first missing data row, or FAILED_PRECONDITION when every row has the same
 * class ("data.csv: target column 'y' has one class ('yes') in all 120 rows;
 * classification needs at least two"). */
aia_status aia_frame_check_classification_target(const aia_frame *f, const char *target,
                                                 aia_error *err);

#endif
