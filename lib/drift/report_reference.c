/* lib/drift/report_reference.c — preparing a reference frame once: numeric
 * columns cleaned and sorted, categorical and boolean ones counted. */
#include <stdlib.h>
#include <string.h>

#include "lib/base/team.h"
#include "lib/drift/numeric.h"
#include "lib/drift/report.h"
#include "lib/drift/report_internal.h"

static aia_status out_of_memory(aia_error *err, const char *name)
{
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED,
                         "drift reference: out of memory preparing feature '%s'", name);
}

static aia_status prepare_numeric(const aia_column *c, size_t rows, aia_drift_ref_column *rc,
                                  aia_error *err)
{
    size_t n = rows - c->n_missing, k = 0;
    rc->sorted = malloc((n ? n : 1) * sizeof *rc->sorted);
    if (!rc->sorted) return out_of_memory(err, c->name);
    for (size_t i = 0; i < rows; i++)
        if (!(c->missing[i / 64] >> (i % 64) & 1)) rc->sorted[k++] = c->numeric[i];
    /* k == n here; the frame never holds an unflagged NaN or an infinity, so
     * sort_clean only sorts. */
    return aia_drift_sort_clean(rc->sorted, k, &rc->n_sorted, c->name, err);
}

typedef struct counted {
    const char *s;
    int64_t count;
} counted;

static int cmp_counted(const void *a, const void *b)
{
    return strcmp(((const counted *)a)->s, ((const counted *)b)->s);
}

/* Counts of a categorical column's dictionary entries, then the present
 * ones sorted by string (so checks can binary-search them). */
static aia_status prepare_categorical(const aia_column *c, size_t rows, aia_drift_ref_column *rc,
                                      aia_error *err)
{
    size_t d = c->dictionary_size;
    int64_t *per_code = calloc(d ? d : 1, sizeof *per_code);
    counted *present = malloc((d ? d : 1) * sizeof *present);
    aia_status st = AIA_OK;
    if (!per_code || !present) {
        st = out_of_memory(err, c->name);
        goto done;
    }
    for (size_t i = 0; i < rows; i++)
        if (c->codes[i] >= 0) per_code[c->codes[i]]++;
    size_t n = 0;
    for (size_t j = 0; j < d; j++)
        if (per_code[j] > 0) present[n++] = (counted){c->dictionary[j], per_code[j]};
    qsort(present, n, sizeof *present, cmp_counted);
    rc->categories = calloc(n ? n : 1, sizeof *rc->categories);
    rc->counts = malloc((n ? n : 1) * sizeof *rc->counts);
    if (!rc->categories || !rc->counts) {
        st = out_of_memory(err, c->name);
        goto done;
    }
    for (size_t j = 0; j < n; j++) {
        rc->categories[j] = strdup(present[j].s);
        rc->counts[j] = present[j].count;
        rc->n_categories = j + 1;
        if (!rc->categories[j]) {
            st = out_of_memory(err, c->name);
            goto done;
        }
    }
done:
    free(per_code);
    free(present);
    return st;
}

static aia_status prepare_boolean(const aia_column *c, size_t rows, aia_drift_ref_column *rc,
                                  aia_error *err)
{
    rc->categories = calloc(2, sizeof *rc->categories);
    rc->counts = calloc(2, sizeof *rc->counts);
    if (!rc->categories || !rc->counts) return out_of_memory(err, c->name);
    rc->n_categories = 2;
    rc->categories[0] = strdup("false");
    rc->categories[1] = strdup("true");
    if (!rc->categories[0] || !rc->categories[1]) return out_of_memory(err, c->name);
    for (size_t i = 0; i < rows; i++)
        if (!(c->missing[i / 64] >> (i % 64) & 1)) rc->counts[c->boolean[i] ? 1 : 0]++;
    return AIA_OK;
}

static aia_status prepare_column(const aia_frame *frame, const char *feature,
                                 aia_drift_ref_column *rc, aia_error *err)
{
    size_t col;
    if (aia_frame_find(frame, feature, &col, err) != AIA_OK) {
        if (err) err->code = AIA_INVALID_ARGUMENT;
        aia_error_prefix(err, "drift reference: feature '%s'", feature);
        return AIA_INVALID_ARGUMENT;
    }
    const aia_column *c = aia_frame_column(frame, col);
    size_t rows = aia_frame_n_rows(frame);
    rc->name = strdup(feature);
    if (!rc->name) return out_of_memory(err, feature);
    rc->type = c->type;
    rc->rows = rows;
    rc->missing = c->n_missing;
    if (c->n_missing == rows)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "drift reference: feature '%s' has no non-missing value in the "
                             "reference (all %zu rows missing)",
                             feature, rows);
    switch (c->type) {
    case AIA_COLUMN_NUMERIC: return prepare_numeric(c, rows, rc, err);
    case AIA_COLUMN_CATEGORICAL: return prepare_categorical(c, rows, rc, err);
    case AIA_COLUMN_BOOLEAN: return prepare_boolean(c, rows, rc, err);
    }
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift reference: feature '%s' has unknown type %d",
                         feature, (int)c->type);
}

static aia_status check_names(const char *const *features, size_t n, aia_error *err)
{
    for (size_t i = 0; i < n; i++) {
        if (!features[i] || !features[i][0])
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "drift reference: feature %zu has no name", i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(features[i], features[j]) == 0)
                return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                     "drift reference: feature '%s' is listed twice (positions "
                                     "%zu and %zu)",
                                     features[i], j, i);
    }
    return AIA_OK;
}

/* Columns prepared in parallel: each part takes every n_parts-th feature
 * and records its own status, so the error reported is always the first
 * failing feature's, whatever the number of threads. */
typedef struct prep_arg {
    const aia_frame *frame;
    const char *const *features;
    aia_drift_reference *ref;
    aia_status *status;
    aia_error *errors;
} prep_arg;

static void prep_part(void *arg, int part, int n_parts)
{
    prep_arg *a = arg;
    for (size_t i = (size_t)part; i < a->ref->n_columns; i += (size_t)n_parts)
        a->status[i] = prepare_column(a->frame, a->features[i], &a->ref->columns[i], &a->errors[i]);
}

static aia_status prepare_all(const aia_frame *frame, const char *const *features, int threads,
                              aia_drift_reference *ref, aia_error *err)
{
    size_t n = ref->n_columns;
    prep_arg a = {frame, features, ref, calloc(n, sizeof *a.status), calloc(n, sizeof *a.errors)};
    aia_status st = AIA_OK;
    if (!a.status || !a.errors) {
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "drift reference: out of memory");
        goto done;
    }
    if ((size_t)threads > n) threads = (int)n;
    if (threads <= 1) {
        prep_part(&a, 0, 1);
    } else {
        aia_team *team;
        st = aia_team_create(threads, &team, err);
        if (st != AIA_OK) goto done;
        aia_team_run(team, prep_part, &a);
        aia_team_destroy(team);
    }
    for (size_t i = 0; i < n && st == AIA_OK; i++)
        if (a.status[i] != AIA_OK) {
            st = a.status[i];
            if (err) *err = a.errors[i];
        }
done:
    free(a.status);
    free(a.errors);
    return st;
}

aia_status aia_drift_reference_create(const aia_frame *frame, const char *const *features,
                                      size_t n_features, int threads, aia_drift_reference **out,
                                      aia_error *err)
{
    if (!frame || !out || (!features && n_features))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift reference: NULL argument");
    *out = NULL;
    if (n_features == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift reference: no feature columns given");
    if (threads < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift reference: threads %d is negative",
                             threads);
    if (aia_frame_n_rows(frame) == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift reference: frame '%s' has no rows",
                             aia_frame_source(frame));
    aia_status st = check_names(features, n_features, err);
    if (st != AIA_OK) return st;
    aia_drift_reference *ref = calloc(1, sizeof *ref);
    if (ref) ref->columns = calloc(n_features, sizeof *ref->columns);
    if (!ref || !ref->columns) {
        free(ref);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "drift reference: out of memory");
    }
    ref->n_columns = n_features;
    st = prepare_all(frame, features, threads, ref, err);
    if (st != AIA_OK) {
        aia_drift_reference_free(ref);
        return st;
    }
    *out = ref;
    return AIA_OK;
}

void aia_drift_reference_free(aia_drift_reference *ref)
{
    if (!ref) return;
    for (size_t i = 0; i < ref->n_columns; i++) {
        aia_drift_ref_column *c = &ref->columns[i];
        free(c->name);
        free(c->sorted);
        for (size_t j = 0; c->categories && j < c->n_categories; j++) free(c->categories[j]);
        free(c->categories);
        free(c->counts);
    }
    free(ref->columns);
    free(ref);
}

size_t aia_drift_reference_n_features(const aia_drift_reference *ref)
{
    return ref ? ref->n_columns : 0;
}

const char *aia_drift_reference_feature(const aia_drift_reference *ref, size_t i)
{
    return ref && i < ref->n_columns ? ref->columns[i].name : NULL;
}

aia_column_type aia_drift_reference_type(const aia_drift_reference *ref, size_t i)
{
    return ref && i < ref->n_columns ? ref->columns[i].type : (aia_column_type)0;
}

size_t aia_drift_reference_rows(const aia_drift_reference *ref, size_t i)
{
    return ref && i < ref->n_columns ? ref->columns[i].rows : 0;
}

size_t aia_drift_reference_missing(const aia_drift_reference *ref, size_t i)
{
    return ref && i < ref->n_columns ? ref->columns[i].missing : 0;
}
