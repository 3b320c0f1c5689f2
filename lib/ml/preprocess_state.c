/* lib/ml/preprocess_state.c — the fitted state: its layout, accessors,
 * and restoring it from a description with every invariant checked (a
 * model file is untrusted input). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/preprocess_internal.h"

/* The text of the one-hot missing indicator's name: "<column>=<missing>". */
#define MISSING_LABEL "<missing>"

char **aia_pp_strings_copy(const char *const *src, size_t n)
{
    if (n == 0) return NULL;
    size_t bytes = n * sizeof(char *);
    for (size_t i = 0; i < n; i++) bytes += strlen(src[i]) + 1;
    char **out = malloc(bytes);
    if (!out) return NULL;
    char *at = (char *)(out + n);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(src[i]) + 1;
        memcpy(at, src[i], len);
        out[i] = at;
        at += len;
    }
    return out;
}

size_t aia_pp_input_width(const aia_preprocess_column *c)
{
    if (c->kind == AIA_PREPROCESS_ONE_HOT) return c->n_categories + (c->missing_indicator ? 1 : 0);
    return 1;
}

long aia_pp_category_index(const aia_preprocess_column *c, const char *text)
{
    size_t lo = 0, hi = c->n_categories;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(c->categories[mid], text);
        if (cmp == 0) return (long)mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

aia_column_type aia_pp_kind_type(aia_preprocess_kind kind)
{
    switch (kind) {
    case AIA_PREPROCESS_NUMERIC: return AIA_COLUMN_NUMERIC;
    case AIA_PREPROCESS_BOOLEAN: return AIA_COLUMN_BOOLEAN;
    case AIA_PREPROCESS_ONE_HOT:
    case AIA_PREPROCESS_ORDINAL:
    case AIA_PREPROCESS_NATIVE: return AIA_COLUMN_CATEGORICAL;
    }
    return (aia_column_type)0;
}

const char *aia_pp_kind_name(aia_preprocess_kind kind)
{
    switch (kind) {
    case AIA_PREPROCESS_NUMERIC: return "numeric";
    case AIA_PREPROCESS_BOOLEAN: return "boolean";
    case AIA_PREPROCESS_ONE_HOT: return "one-hot";
    case AIA_PREPROCESS_ORDINAL: return "ordinal";
    case AIA_PREPROCESS_NATIVE: return "native categorical";
    }
    return "unknown";
}

void aia_pp_column_release(aia_preprocess_column *c)
{
    free((void *)c->name);
    free((void *)c->categories);
    c->name = NULL;
    c->categories = NULL;
}

void aia_preprocess_free(aia_preprocess *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_inputs; i++) aia_pp_column_release(&p->inputs[i]);
    free(p->inputs);
    free(p->first_output);
    free(p->output_names);
    free(p->output_categorical);
    free(p);
}

/* ---- output layout -------------------------------------------------------------- */

/* Writes the name of output k of input c into buf (NULL: only measures);
 * returns its length without the NUL. */
static size_t output_name(const aia_preprocess_column *c, size_t k, char *buf)
{
    const char *suffix = NULL;
    if (c->kind == AIA_PREPROCESS_ONE_HOT)
        suffix = k < c->n_categories ? c->categories[k] : MISSING_LABEL;
    size_t name_len = strlen(c->name);
    size_t len = name_len + (suffix ? 1 + strlen(suffix) : 0);
    if (buf) {
        memcpy(buf, c->name, name_len);
        if (suffix) {
            buf[name_len] = '=';
            memcpy(buf + name_len + 1, suffix, strlen(suffix));
        }
        buf[len] = '\0';
    }
    return len;
}

/* All output names in one block (pointer array, then the bytes). */
static char **build_output_names(const aia_preprocess *p)
{
    size_t bytes = p->n_outputs * sizeof(char *);
    for (size_t i = 0; i < p->n_inputs; i++)
        for (size_t k = 0; k < aia_pp_input_width(&p->inputs[i]); k++)
            bytes += output_name(&p->inputs[i], k, NULL) + 1;
    char **names = malloc(bytes);
    if (!names) return NULL;
    char *at = (char *)(names + p->n_outputs);
    size_t j = 0;
    for (size_t i = 0; i < p->n_inputs; i++) {
        for (size_t k = 0; k < aia_pp_input_width(&p->inputs[i]); k++) {
            names[j++] = at;
            at += output_name(&p->inputs[i], k, at) + 1;
        }
    }
    return names;
}

static int compare_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Output names must be distinct: a numeric column literally named
 * "color=red" next to a one-hot "color" would make two features that
 * importances and model metadata could not tell apart. */
static aia_status check_distinct_names(const aia_preprocess *p, aia_error *err)
{
    if (p->n_outputs < 2) return AIA_OK;
    char **sorted = malloc(p->n_outputs * sizeof *sorted);
    if (!sorted) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "preprocessing: out of memory");
    memcpy(sorted, p->output_names, p->n_outputs * sizeof *sorted);
    qsort(sorted, p->n_outputs, sizeof *sorted, compare_name);
    aia_status st = AIA_OK;
    for (size_t j = 1; j < p->n_outputs; j++) {
        if (strcmp(sorted[j - 1], sorted[j]) == 0) {
            st = aia_error_set(err, AIA_INVALID_ARGUMENT,
                               "preprocessing: two output columns would both be named '%s' "
                               "(a column of that name and a one-hot category); rename one",
                               sorted[j]);
            break;
        }
    }
    free(sorted);
    return st;
}

aia_status aia_pp_assemble(aia_preprocess_column *inputs, size_t n, aia_preprocess **out,
                           aia_error *err)
{
    *out = NULL;
    aia_preprocess *p = calloc(1, sizeof *p);
    if (!p) {
        for (size_t i = 0; i < n; i++) aia_pp_column_release(&inputs[i]);
        free(inputs);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "preprocessing: out of memory");
    }
    p->n_inputs = n;
    p->inputs = inputs;
    p->first_output = malloc(n * sizeof *p->first_output);
    if (!p->first_output) goto oom;
    for (size_t i = 0; i < n; i++) {
        p->first_output[i] = p->n_outputs;
        p->n_outputs += aia_pp_input_width(&inputs[i]);
    }
    p->output_names = build_output_names(p);
    p->output_categorical = calloc(p->n_outputs, 1);
    if (!p->output_names || !p->output_categorical) goto oom;
    for (size_t i = 0; i < n; i++)
        if (inputs[i].kind == AIA_PREPROCESS_NATIVE) p->output_categorical[p->first_output[i]] = 1;
    aia_status st = check_distinct_names(p, err);
    if (st != AIA_OK) {
        aia_preprocess_free(p);
        return st;
    }
    *out = p;
    return AIA_OK;
oom:
    aia_preprocess_free(p);
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "preprocessing: out of memory");
}

/* ---- accessors -------------------------------------------------------------------- */

size_t aia_preprocess_n_outputs(const aia_preprocess *p) { return p->n_outputs; }

const char *aia_preprocess_output_name(const aia_preprocess *p, size_t j)
{
    return j < p->n_outputs ? p->output_names[j] : NULL;
}

const uint8_t *aia_preprocess_output_categorical(const aia_preprocess *p)
{
    return p->output_categorical;
}

size_t aia_preprocess_n_inputs(const aia_preprocess *p) { return p->n_inputs; }

void aia_preprocess_describe_input(const aia_preprocess *p, size_t i, aia_preprocess_column *out)
{
    if (i >= p->n_inputs) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = p->inputs[i];
}

aia_column_type aia_preprocess_input_type(const aia_preprocess *p, size_t i)
{
    return i < p->n_inputs ? aia_pp_kind_type(p->inputs[i].kind) : (aia_column_type)0;
}

/* ---- restore ------------------------------------------------------------------------ */

static aia_status bad(aia_error *err, size_t i, const char *name, const char *what)
{
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing state: input %zu ('%s'): %s", i,
                         name ? name : "(null)", what);
}

static aia_status check_numeric(const aia_preprocess_column *c, size_t i, aia_error *err)
{
    if (c->impute != AIA_IMPUTE_NONE && c->impute != AIA_IMPUTE_MEAN &&
        c->impute != AIA_IMPUTE_MEDIAN && c->impute != AIA_IMPUTE_MOST_FREQUENT)
        return bad(err, i, c->name, "impute is not NONE, MEAN, MEDIAN or MOST_FREQUENT");
    if (c->impute == AIA_IMPUTE_NONE ? !isnan(c->fill) : !isfinite(c->fill))
        return bad(err, i, c->name, "fill must be NaN exactly when impute is NONE, finite otherwise");
    if (c->standardize) {
        if (!isfinite(c->mean) || !isfinite(c->scale) || !(c->scale > 0.0))
            return bad(err, i, c->name, "standardisation needs a finite mean and a finite scale > 0");
    } else if (c->mean != 0.0 || c->scale != 1.0) {
        return bad(err, i, c->name, "mean must be 0 and scale 1 without standardisation");
    }
    return AIA_OK;
}

static aia_status check_boolean(const aia_preprocess_column *c, size_t i, aia_error *err)
{
    if (c->impute == AIA_IMPUTE_NONE) {
        if (!isnan(c->fill)) return bad(err, i, c->name, "fill must be NaN when impute is NONE");
    } else if (c->impute == AIA_IMPUTE_MOST_FREQUENT) {
        if (c->fill != 0.0 && c->fill != 1.0) return bad(err, i, c->name, "fill must be 0 or 1");
    } else {
        return bad(err, i, c->name, "a boolean's impute must be NONE or MOST_FREQUENT");
    }
    if (c->standardize || c->mean != 0.0 || c->scale != 1.0)
        return bad(err, i, c->name, "a boolean is never standardised (mean 0, scale 1)");
    return AIA_OK;
}

static aia_status check_categorical(const aia_preprocess_column *c, size_t i, aia_error *err)
{
    if (c->n_categories == 0 || !c->categories)
        return bad(err, i, c->name, "a categorical input needs at least one category");
    if (c->kind == AIA_PREPROCESS_NATIVE && c->n_categories > 255)
        return bad(err, i, c->name, "a native categorical input has at most 255 categories");
    if (c->missing_indicator && c->kind != AIA_PREPROCESS_ONE_HOT)
        return bad(err, i, c->name, "only a one-hot input has a missing indicator");
    for (size_t k = 0; k < c->n_categories; k++) {
        if (!c->categories[k]) return bad(err, i, c->name, "a category is NULL");
        if (k > 0 && strcmp(c->categories[k - 1], c->categories[k]) >= 0)
            return bad(err, i, c->name, "categories are not distinct and in ascending order");
    }
    return AIA_OK;
}

static aia_status check_column(const aia_preprocess_column *cols, size_t i, aia_error *err)
{
    const aia_preprocess_column *c = &cols[i];
    if (!c->name || !c->name[0]) return bad(err, i, c->name, "the name is empty");
    for (size_t k = 0; k < i; k++)
        if (strcmp(cols[k].name, c->name) == 0) return bad(err, i, c->name, "the name is repeated");
    switch (c->kind) {
    case AIA_PREPROCESS_NUMERIC:
        if (c->n_categories || c->missing_indicator)
            return bad(err, i, c->name, "a numeric input has no categories");
        return check_numeric(c, i, err);
    case AIA_PREPROCESS_BOOLEAN:
        if (c->n_categories || c->missing_indicator)
            return bad(err, i, c->name, "a boolean input has no categories");
        return check_boolean(c, i, err);
    case AIA_PREPROCESS_ONE_HOT:
    case AIA_PREPROCESS_ORDINAL:
    case AIA_PREPROCESS_NATIVE:
        if (c->impute != AIA_IMPUTE_DEFAULT || c->standardize)
            return bad(err, i, c->name, "a categorical input has no imputation or standardisation");
        return check_categorical(c, i, err);
    }
    return bad(err, i, c->name, "unknown kind");
}

aia_status aia_preprocess_restore(const aia_preprocess_column *columns, size_t n,
                                  aia_preprocess **out, aia_error *err)
{
    *out = NULL;
    if (n == 0 || !columns)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "preprocessing state: no input columns");
    for (size_t i = 0; i < n; i++) {
        aia_status st = check_column(columns, i, err);
        if (st != AIA_OK) return st;
    }
    aia_preprocess_column *inputs = calloc(n, sizeof *inputs);
    if (!inputs) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "preprocessing: out of memory");
    for (size_t i = 0; i < n; i++) {
        inputs[i] = columns[i];
        inputs[i].name = NULL;
        inputs[i].categories = NULL;
        char *name = strdup(columns[i].name);
        char **cats = aia_pp_strings_copy(columns[i].categories, columns[i].n_categories);
        inputs[i].name = name;
        inputs[i].categories = (const char *const *)cats;
        if (!name || (columns[i].n_categories && !cats)) {
            for (size_t k = 0; k <= i; k++) aia_pp_column_release(&inputs[k]);
            free(inputs);
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "preprocessing: out of memory");
        }
    }
    return aia_pp_assemble(inputs, n, out, err);
}
