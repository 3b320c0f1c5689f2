/* lib/ml/preprocess_fit.c — fitting a pipeline on a training frame:
 * resolving the options of each feature, then its statistics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/preprocess_internal.h"

#define DEFAULT_MAX_ONE_HOT 1000
#define MAX_NATIVE_CATEGORIES 255

void aia_preprocess_options_init(aia_preprocess_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

/* The options in force for one feature, after the per-column entry, the
 * global options and the built-in defaults. */
typedef struct resolved {
    aia_preprocess_impute impute;
    int standardize;
    aia_preprocess_encoding encoding;
    int missing_indicator;
} resolved;

static const aia_preprocess_column_options *find_column_options(const aia_preprocess_options *o,
                                                                const char *name)
{
    for (size_t k = 0; k < o->n_columns; k++)
        if (strcmp(o->columns[k].column, name) == 0) return &o->columns[k];
    return NULL;
}

static int switch_valid(aia_preprocess_switch s) { return s >= AIA_SWITCH_DEFAULT && s <= AIA_SWITCH_ON; }

static int pick_switch(aia_preprocess_switch local, aia_preprocess_switch global)
{
    aia_preprocess_switch s = local != AIA_SWITCH_DEFAULT ? local : global;
    return s == AIA_SWITCH_ON;
}

/* Checks the enum values of one set of options; `who` names it. */
static aia_status check_values(aia_preprocess_impute impute, aia_preprocess_switch standardize,
                               aia_preprocess_encoding encoding, aia_preprocess_switch indicator,
                               const char *who, aia_error *err)
{
    if (impute < AIA_IMPUTE_DEFAULT || impute > AIA_IMPUTE_MOST_FREQUENT)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: %s: impute %d is not a strategy", who,
                             (int)impute);
    if (!switch_valid(standardize) || !switch_valid(indicator))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "preprocessing: %s: standardize and missing_indicator are DEFAULT, OFF or ON", who);
    if (encoding < AIA_ENCODE_DEFAULT || encoding > AIA_ENCODE_NATIVE)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: %s: encoding %d is not an encoding", who,
                             (int)encoding);
    return AIA_OK;
}

/* Per-column entries must name a feature, once each, with valid values. */
static aia_status check_options(const aia_preprocess_options *o, const char *const *features, size_t n,
                                aia_error *err)
{
    aia_status st = check_values(o->impute, o->standardize, o->encoding, o->missing_indicator,
                                 "global options", err);
    if (st != AIA_OK) return st;
    if (o->n_columns && !o->columns)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: n_columns is %zu but columns is NULL",
                             o->n_columns);
    for (size_t k = 0; k < o->n_columns; k++) {
        const aia_preprocess_column_options *c = &o->columns[k];
        if (!c->column)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: column options #%zu name no column", k);
        size_t f = 0;
        while (f < n && strcmp(features[f], c->column) != 0) f++;
        if (f == n)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "preprocessing: options given for column '%s', which is not a feature", c->column);
        for (size_t j = 0; j < k; j++)
            if (strcmp(o->columns[j].column, c->column) == 0)
                return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                     "preprocessing: options for column '%s' are given twice", c->column);
        char who[96];
        snprintf(who, sizeof who, "options for column '%.60s'", c->column);
        st = check_values(c->impute, c->standardize, c->encoding, c->missing_indicator, who, err);
        if (st != AIA_OK) return st;
    }
    return AIA_OK;
}

static aia_status misfit(aia_error *err, const aia_column *col, const char *what)
{
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: column '%s' is %s: %s", col->name,
                         aia_column_type_name(col->type), what);
}

/* Resolves the options of one feature, rejecting those its type cannot take. */
static aia_status resolve(const aia_preprocess_options *o, const aia_column *col, resolved *r, aia_error *err)
{
    static const aia_preprocess_column_options none = {0};
    const aia_preprocess_column_options *c = find_column_options(o, col->name);
    if (!c) c = &none;
    memset(r, 0, sizeof *r);
    switch (col->type) {
    case AIA_COLUMN_NUMERIC:
        if (c->encoding != AIA_ENCODE_DEFAULT || c->missing_indicator != AIA_SWITCH_DEFAULT)
            return misfit(err, col, "encoding and missing_indicator are for categorical columns");
        r->impute = c->impute ? c->impute : o->impute ? o->impute : AIA_IMPUTE_MEAN;
        r->standardize = pick_switch(c->standardize, o->standardize);
        return AIA_OK;
    case AIA_COLUMN_BOOLEAN:
        if (c->encoding != AIA_ENCODE_DEFAULT || c->missing_indicator != AIA_SWITCH_DEFAULT)
            return misfit(err, col, "encoding and missing_indicator are for categorical columns");
        if (c->standardize == AIA_SWITCH_ON) return misfit(err, col, "booleans stay 0/1, never standardised");
        if (c->impute == AIA_IMPUTE_MEAN || c->impute == AIA_IMPUTE_MEDIAN)
            return misfit(err, col, "a boolean's fill must stay 0 or 1: use MOST_FREQUENT or NONE");
        r->impute = c->impute ? c->impute : AIA_IMPUTE_MOST_FREQUENT;
        return AIA_OK;
    case AIA_COLUMN_CATEGORICAL:
        if (c->impute != AIA_IMPUTE_DEFAULT || c->standardize == AIA_SWITCH_ON)
            return misfit(err, col, "imputation and standardisation are for numeric columns");
        r->encoding = c->encoding ? c->encoding : o->encoding ? o->encoding : AIA_ENCODE_ONE_HOT;
        if (c->missing_indicator == AIA_SWITCH_ON && r->encoding != AIA_ENCODE_ONE_HOT)
            return misfit(err, col, "a missing indicator needs one-hot encoding (ordinal and native give NaN)");
        r->missing_indicator = r->encoding == AIA_ENCODE_ONE_HOT && pick_switch(c->missing_indicator,
                                                                                o->missing_indicator);
        return AIA_OK;
    }
    return misfit(err, col, "unsupported column type");
}

static aia_status no_values(const aia_frame *f, const aia_column *col, aia_error *err)
{
    return aia_error_set(err, AIA_INVALID_ARGUMENT,
                         "%s: feature column '%s' has no observed value in its %zu training rows; "
                         "nothing can be learned or imputed from it, drop it from the features",
                         aia_frame_source(f), col->name, aia_frame_n_rows(f));
}

static aia_status oom(aia_error *err)
{
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "preprocessing: out of memory");
}

/* Imputation value, then (on the imputed column) the scaler, as a
 * Pipeline(SimpleImputer, StandardScaler) fits them. */
static aia_status fit_numeric(const aia_frame *f, const aia_column *col, const resolved *r,
                              aia_preprocess_column *out, aia_error *err)
{
    size_t n = aia_frame_n_rows(f), n_obs = n - col->n_missing;
    if (n_obs == 0) return no_values(f, col, err);
    double *x = malloc(n * sizeof *x);
    if (!x) return oom(err);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(col->numeric[i])) x[k++] = col->numeric[i];
    out->kind = AIA_PREPROCESS_NUMERIC;
    out->impute = r->impute;
    switch (r->impute) {
    case AIA_IMPUTE_MEAN: out->fill = aia_pp_mean(x, k); break;
    case AIA_IMPUTE_MEDIAN: aia_pp_sort(x, k); out->fill = aia_pp_median_sorted(x, k); break;
    case AIA_IMPUTE_MOST_FREQUENT: aia_pp_sort(x, k); out->fill = aia_pp_mode_sorted(x, k); break;
    default: out->fill = NAN; break;
    }
    out->mean = 0.0;
    out->scale = 1.0;
    out->standardize = r->standardize;
    if (r->standardize) {
        /* The scaler sees the imputed cells too; with NONE it skips them. */
        size_t m = k;
        if (r->impute != AIA_IMPUTE_NONE)
            while (m < n) x[m++] = out->fill;
        aia_pp_scaler_fit(x, m, &out->mean, &out->scale);
    }
    free(x);
    return AIA_OK;
}

static aia_status fit_boolean(const aia_frame *f, const aia_column *col, const resolved *r,
                              aia_preprocess_column *out, aia_error *err)
{
    size_t n = aia_frame_n_rows(f), n_obs = n - col->n_missing, n_true = 0;
    if (n_obs == 0) return no_values(f, col, err);
    for (size_t i = 0; i < n; i++) n_true += col->boolean[i]; /* missing cells hold 0 */
    out->kind = AIA_PREPROCESS_BOOLEAN;
    out->impute = r->impute;
    /* Most frequent, false on a tie (the smaller value, as SimpleImputer). */
    out->fill = r->impute == AIA_IMPUTE_NONE ? NAN : (n_true > n_obs - n_true ? 1.0 : 0.0);
    out->mean = 0.0;
    out->scale = 1.0;
    return AIA_OK;
}

static int compare_string(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static aia_status fit_categorical(const aia_frame *f, const aia_column *col, const resolved *r,
                                  size_t max_one_hot, aia_preprocess_column *out, aia_error *err)
{
    size_t n = aia_frame_n_rows(f);
    uint8_t *seen = calloc(col->dictionary_size ? col->dictionary_size : 1, 1);
    const char **cats = malloc((col->dictionary_size ? col->dictionary_size : 1) * sizeof *cats);
    if (!seen || !cats) {
        free(seen);
        free(cats);
        return oom(err);
    }
    /* Only categories that occur in a training row count. */
    for (size_t i = 0; i < n; i++)
        if (col->codes[i] >= 0 && (size_t)col->codes[i] < col->dictionary_size) seen[col->codes[i]] = 1;
    size_t c = 0;
    for (size_t d = 0; d < col->dictionary_size; d++)
        if (seen[d]) cats[c++] = col->dictionary[d];
    free(seen);
    aia_status st = AIA_OK;
    if (c == 0) {
        st = no_values(f, col, err);
    } else if (r->encoding == AIA_ENCODE_NATIVE && c > MAX_NATIVE_CATEGORIES) {
        st = aia_error_set(err, AIA_INVALID_ARGUMENT,
                           "%s: column '%s' has %zu categories; native categorical splits take at most %d "
                           "(use ordinal or one-hot encoding)",
                           aia_frame_source(f), col->name, c, MAX_NATIVE_CATEGORIES);
    } else if (r->encoding == AIA_ENCODE_ONE_HOT && c > max_one_hot) {
        st = aia_error_set(err, AIA_INVALID_ARGUMENT,
                           "%s: column '%s' has %zu categories, more than the %zu allowed for one-hot "
                           "encoding (use ordinal or native encoding, or raise max_one_hot_categories)",
                           aia_frame_source(f), col->name, c, max_one_hot);
    }
    if (st == AIA_OK) {
        qsort(cats, c, sizeof *cats, compare_string);
        out->categories = (const char *const *)aia_pp_strings_copy(cats, c);
        if (!out->categories) st = oom(err);
    }
    free(cats);
    if (st != AIA_OK) return st;
    out->kind = r->encoding == AIA_ENCODE_ONE_HOT ? AIA_PREPROCESS_ONE_HOT
                : r->encoding == AIA_ENCODE_ORDINAL ? AIA_PREPROCESS_ORDINAL
                                                     : AIA_PREPROCESS_NATIVE;
    out->n_categories = c;
    out->missing_indicator = r->missing_indicator;
    out->impute = AIA_IMPUTE_DEFAULT;
    out->fill = NAN;
    out->mean = 0.0;
    out->scale = 1.0;
    return AIA_OK;
}

static aia_status fit_one(const aia_frame *f, const char *feature, const aia_preprocess_options *o,
                          aia_preprocess_column *out, aia_error *err)
{
    size_t at = 0;
    aia_status st = aia_frame_find(f, feature, &at, err);
    if (st != AIA_OK) return st;
    const aia_column *col = aia_frame_column(f, at);
    resolved r;
    st = resolve(o, col, &r, err);
    if (st != AIA_OK) return st;
    out->name = strdup(feature);
    if (!out->name) return oom(err);
    switch (col->type) {
    case AIA_COLUMN_NUMERIC: return fit_numeric(f, col, &r, out, err);
    case AIA_COLUMN_BOOLEAN: return fit_boolean(f, col, &r, out, err);
    case AIA_COLUMN_CATEGORICAL:
        return fit_categorical(f, col, &r, o->max_one_hot_categories ? o->max_one_hot_categories
                                                                     : DEFAULT_MAX_ONE_HOT,
                               out, err);
    }
    return misfit(err, col, "unsupported column type");
}

static aia_status check_features(const aia_frame *train, const char *const *features, size_t n,
                                 aia_error *err)
{
    if (!train || (n && !features))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: no training frame or feature list");
    if (n == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: the feature list is empty");
    if (aia_frame_n_rows(train) == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: no training rows to fit preprocessing on",
                             aia_frame_source(train));
    for (size_t i = 0; i < n; i++) {
        if (!features[i])
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing: feature #%zu has no name", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(features[j], features[i]) == 0)
                return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                     "preprocessing: feature '%s' is listed twice (#%zu and #%zu)", features[i], j,
                                     i);
    }
    return AIA_OK;
}

aia_status aia_preprocess_fit(const aia_frame *train, const char *const *features, size_t n_features,
                              const aia_preprocess_options *opts, aia_preprocess **out, aia_error *err)
{
    *out = NULL;
    aia_preprocess_options defaults;
    aia_preprocess_options_init(&defaults);
    if (!opts) opts = &defaults;
    aia_status st = check_features(train, features, n_features, err);
    if (st == AIA_OK) st = check_options(opts, features, n_features, err);
    if (st != AIA_OK) return st;
    aia_preprocess_column *inputs = calloc(n_features, sizeof *inputs);
    if (!inputs) return oom(err);
    for (size_t i = 0; i < n_features && st == AIA_OK; i++) st = fit_one(train, features[i], opts, &inputs[i], err);
    if (st != AIA_OK) {
        for (size_t i = 0; i < n_features; i++) aia_pp_column_release(&inputs[i]);
        free(inputs);
        return st;
    }
    return aia_pp_assemble(inputs, n_features, out, err);
}
