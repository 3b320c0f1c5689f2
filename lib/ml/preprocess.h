/* lib/ml/preprocess.h — a fitted feature pipeline: selected columns of an
 * aia_frame in, a dense numeric design matrix (aia_matrix) out.
 *
 * The pipeline is fitted once, on the training frame only, and then applied
 * unchanged to any frame or single row: every statistic (fill values,
 * means, scales, category lists) comes from training, so prediction sees
 * exactly the transform the learner was trained on. The model file stores
 * the fitted state through aia_preprocess_describe_input() and brings it
 * back with aia_preprocess_restore().
 *
 * Per input column, by its frame type (scikit-learn's semantics throughout):
 *
 *   NUMERIC      one output column. Imputation (SimpleImputer): a missing
 *                cell becomes the mean, the median (average of the two
 *                middle values for an even count) or the most frequent
 *                value (the smallest among ties) of the column's observed
 *                training values; or NONE keeps NaN for learners with
 *                native missing values (the GBDT). Optional standardisation
 *                (StandardScaler, applied after imputation, as in a
 *                Pipeline(SimpleImputer, StandardScaler)): (x - mean) / scale
 *                with the population standard deviation (ddof = 0); a
 *                column indistinguishable from a constant (scikit-learn's
 *                _is_constant_feature bound) gets scale 1. With NONE, the
 *                statistics skip missing cells and NaN stays NaN.
 *   BOOLEAN      one output column, 0 or 1. A missing cell becomes the most
 *                frequent training value (false among ties), or stays NaN
 *                with impute = NONE. Never standardised.
 *   CATEGORICAL  categories are the column's distinct training strings,
 *                sorted byte-wise (strcmp, i.e. Unicode code point order for
 *                UTF-8), as scikit-learn's encoders sort them. Encodings:
 *                ONE_HOT  one output column per category, in that order,
 *                         named "<column>=<category>"; an unseen or missing
 *                         cell gives all zeros (handle_unknown='ignore').
 *                         With missing_indicator, one more column named
 *                         "<column>=<missing>" is 1 exactly where the cell
 *                         is missing; it is always added when asked for,
 *                         even if training had no gap, so the output shape
 *                         never depends on the sample.
 *                ORDINAL  one output column: the category's index in the
 *                         sorted order, NaN for unseen and missing.
 *                NATIVE   like ORDINAL (same codes, NaN for unseen and
 *                         missing), but the output column is flagged
 *                         categorical for the GBDT's categorical splits,
 *                         which take codes 0..254: more than 255 training
 *                         categories is an error at fit time.
 *
 * Categories are matched by their string, never by a frame's codes: two
 * files number the same categories differently.
 *
 * Output columns follow the feature list's order; each input contributes
 * its columns in one block. aia_preprocess_output_categorical() gives the
 * per-output-column flags to put in aia_gbdt_data.categorical.
 *
 * Ownership: aia_preprocess_fit() and aia_preprocess_restore() return a
 * pipeline the caller frees with aia_preprocess_free(); strings and arrays
 * returned by accessors are owned by the pipeline and valid until then.
 * Options and descriptions passed in are borrowed for the call and copied.
 * aia_preprocess_output owns its arrays (aia_preprocess_output_free()).
 *
 * Thread-safety: a fitted pipeline is immutable; any number of threads may
 * apply it at once. aia_preprocess_apply_row() allocates nothing.
 *
 * Errors: INVALID_ARGUMENT / NOT_FOUND with a message naming the column
 * (and the row where one is at fault); RESOURCE_EXHAUSTED when memory runs
 * out or the output would not fit in memory. Nothing is coerced silently.
 */
#ifndef AIA_ML_PREPROCESS_H
#define AIA_ML_PREPROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/data/frame.h"
#include "lib/ml/matrix.h"

/* How missing numeric and boolean cells are filled. DEFAULT (0) in a
 * per-column option means "as the global option says". */
typedef enum aia_preprocess_impute {
    AIA_IMPUTE_DEFAULT = 0,
    AIA_IMPUTE_NONE = 1,          /* keep NaN */
    AIA_IMPUTE_MEAN = 2,          /* numeric only */
    AIA_IMPUTE_MEDIAN = 3,        /* numeric only */
    AIA_IMPUTE_MOST_FREQUENT = 4,
} aia_preprocess_impute;

/* How categorical columns are encoded; DEFAULT (0) as for impute. */
typedef enum aia_preprocess_encoding {
    AIA_ENCODE_DEFAULT = 0,
    AIA_ENCODE_ONE_HOT = 1,
    AIA_ENCODE_ORDINAL = 2,
    AIA_ENCODE_NATIVE = 3,
} aia_preprocess_encoding;

/* A yes/no option that a per-column entry may leave to the global one. */
typedef enum aia_preprocess_switch {
    AIA_SWITCH_DEFAULT = 0,
    AIA_SWITCH_OFF = 1,
    AIA_SWITCH_ON = 2,
} aia_preprocess_switch;

/* Options for one feature column, overriding the global ones. Setting an
 * option that cannot apply to the column's type (an encoding on a numeric
 * column, MEAN on a boolean, ...) is INVALID_ARGUMENT, not ignored. */
typedef struct aia_preprocess_column_options {
    const char *column;                        /* a name from the feature list */
    aia_preprocess_impute impute;              /* numeric, boolean */
    aia_preprocess_switch standardize;         /* numeric */
    aia_preprocess_encoding encoding;          /* categorical */
    aia_preprocess_switch missing_indicator;   /* categorical, one-hot */
} aia_preprocess_column_options;

typedef struct aia_preprocess_options {
    /* Numeric columns. Default MEAN (booleans always default to
     * MOST_FREQUENT, their only meaningful fill; NONE applies to them too). */
    aia_preprocess_impute impute;
    aia_preprocess_switch standardize;       /* default OFF */
    aia_preprocess_encoding encoding;        /* default ONE_HOT */
    aia_preprocess_switch missing_indicator; /* default OFF */
    /* A one-hot column with more training categories than this is
     * INVALID_ARGUMENT (a dense one-hot of an identifier column would not
     * fit in memory); use ORDINAL or NATIVE, or raise it. 0 = default 1000. */
    size_t max_one_hot_categories;
    const aia_preprocess_column_options *columns; /* may be NULL */
    size_t n_columns;
} aia_preprocess_options;

/* Zeroes opts: every option at its default, no per-column entries. */
void aia_preprocess_options_init(aia_preprocess_options *opts);

typedef struct aia_preprocess aia_preprocess;

/* Fits a pipeline on `train` for the n_features columns named in
 * `features` (distinct, in the order the outputs will follow). opts may be
 * NULL (defaults). Errors: no features, a repeated name, or an empty frame
 * (INVALID_ARGUMENT); a feature the frame lacks (NOT_FOUND naming it); a
 * feature with no observed value in training, a categorical column with
 * too many categories for its encoding, per-column options that name no
 * feature, repeat a column or do not fit its type, or two output columns
 * with the same name (INVALID_ARGUMENT naming the column). On error *out is
 * NULL. */
aia_status aia_preprocess_fit(const aia_frame *train, const char *const *features,
                              size_t n_features, const aia_preprocess_options *opts,
                              aia_preprocess **out, aia_error *err);

void aia_preprocess_free(aia_preprocess *p);

/* ---- the output's shape ------------------------------------------------------ */

size_t aia_preprocess_n_outputs(const aia_preprocess *p);
/* Name of output column j ("age", "color=red", "color=<missing>"); NULL
 * when j is out of range. */
const char *aia_preprocess_output_name(const aia_preprocess *p, size_t j);
/* n_outputs flags: 1 for a NATIVE-encoded column, else 0. Owned by p. */
const uint8_t *aia_preprocess_output_categorical(const aia_preprocess *p);

/* ---- applying to a frame ----------------------------------------------------- */

/* A transformed frame: everything here is owned by the output. */
typedef struct aia_preprocess_output {
    size_t n_rows, n_cols;
    double *values;            /* n_cols * n_rows, column j at values + j * n_rows */
    const double **cols;       /* n_cols pointers into values */
    aia_matrix matrix;         /* view over cols */
    char **names;              /* n_cols output column names */
    uint8_t *categorical;      /* n_cols flags, as aia_preprocess_output_categorical() */
} aia_preprocess_output;

/* Transforms every row of `f`. Feature columns are found by name, in any
 * order; other columns are ignored. Errors: a feature column missing
 * (NOT_FOUND naming it) or of another type than in training
 * (INVALID_ARGUMENT naming it and both types: a CSV read without the
 * training schema may infer "0"/"1" as boolean or digits as numeric; read
 * it with aia_preprocess_input_type()'s types forced). On error *out is
 * zeroed (safe to free). Zero rows give an empty output. */
aia_status aia_preprocess_apply(const aia_preprocess *p, const aia_frame *f,
                                aia_preprocess_output *out, aia_error *err);

void aia_preprocess_output_free(aia_preprocess_output *out);

/* ---- applying to one row (online prediction) ------------------------------- */

/* One input cell. For a NUMERIC column: `number`, NaN when missing. For a
 * BOOLEAN column: `number` 0 or 1, NaN when missing. For a CATEGORICAL
 * column: `text` (NUL-terminated UTF-8), NULL when missing; `number` is
 * ignored. `text` must be NULL for numeric and boolean columns. */
typedef struct aia_preprocess_cell {
    const char *text;
    double number;
} aia_preprocess_cell;

/* Transforms one row given as n_inputs cells in the feature order of the
 * fit, into out[0..n_outputs). Allocates nothing and touches no shared
 * state (categories are found by binary search). Errors (INVALID_ARGUMENT
 * naming the column): an infinite number, a boolean other than 0, 1 or NaN,
 * text for a numeric or boolean column. `out` is unspecified on error. */
aia_status aia_preprocess_apply_row(const aia_preprocess *p, const aia_preprocess_cell *cells,
                                    double *out, aia_error *err);

/* ---- the fitted state, for the model file ---------------------------------- */

typedef enum aia_preprocess_kind {
    AIA_PREPROCESS_NUMERIC = 1,
    AIA_PREPROCESS_BOOLEAN = 2,
    AIA_PREPROCESS_ONE_HOT = 3,
    AIA_PREPROCESS_ORDINAL = 4,
    AIA_PREPROCESS_NATIVE = 5,
} aia_preprocess_kind;

/* Everything fitted about one input column: a plain value the model-file
 * writer can store field by field and give back to aia_preprocess_restore().
 * Pointers borrow from the pipeline it describes.
 *
 * Invariants (checked by restore):
 *   NUMERIC  impute is NONE, MEAN, MEDIAN or MOST_FREQUENT; fill is finite,
 *            or NaN exactly when impute is NONE; when standardize, mean is
 *            finite and scale finite and > 0; otherwise mean 0, scale 1.
 *   BOOLEAN  impute NONE (fill NaN) or MOST_FREQUENT (fill 0 or 1);
 *            standardize 0.
 *   ONE_HOT / ORDINAL / NATIVE: n_categories >= 1 distinct strings in
 *            strictly ascending strcmp order; NATIVE at most 255;
 *            missing_indicator only for ONE_HOT.
 *   Names are non-empty and distinct. */
typedef struct aia_preprocess_column {
    const char *name;
    aia_preprocess_kind kind;
    aia_preprocess_impute impute;  /* NUMERIC, BOOLEAN; DEFAULT for categorical */
    double fill;                   /* put in missing cells before scaling; NaN for
                                      NONE and for categorical inputs (unused) */
    int standardize;               /* NUMERIC only */
    double mean, scale;            /* output = (x - mean) / scale; 0 and 1 when off */
    int missing_indicator;         /* ONE_HOT only */
    size_t n_categories;           /* categorical kinds; 0 otherwise */
    const char *const *categories; /* sorted; category k is output code k */
} aia_preprocess_column;

size_t aia_preprocess_n_inputs(const aia_preprocess *p);

/* Fills *out with input column i (i < n_inputs; otherwise *out is zeroed
 * and kind is 0). */
void aia_preprocess_describe_input(const aia_preprocess *p, size_t i, aia_preprocess_column *out);

/* The frame type input column i must have: what to force in the CSV schema
 * when reading prediction data. 0 when i is out of range. */
aia_column_type aia_preprocess_input_type(const aia_preprocess *p, size_t i);

/* Rebuilds a pipeline from n descriptions (copied), as a model-file reader
 * does. Any broken invariant is INVALID_ARGUMENT naming the column and the
 * field, so a corrupt file is rejected rather than mis-applied. */
aia_status aia_preprocess_restore(const aia_preprocess_column *columns, size_t n,
                                  aia_preprocess **out, aia_error *err);

#endif
