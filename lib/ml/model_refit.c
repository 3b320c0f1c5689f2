/* lib/ml/model_refit.c — the data-drift action: a copy of a model whose
 * preprocessing statistics (fills, means, scales) are refitted on recent
 * data while the trained learner and its input layout stay as they were.
 *
 * The statistics reuse preprocess_stats.c's helpers and follow
 * preprocess_fit.c's order (impute, then fit the scaler on the imputed
 * column), so a refit on the training frame reproduces the trained pipeline
 * bit for bit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/model.h"
#include "lib/ml/model_file.h"
#include "lib/ml/model_internal.h"
#include "lib/ml/preprocess_internal.h"

static aia_status oom(aia_error *err)
{
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "refitting preprocessing: out of memory");
}

/* The column of `f` named `name`, or NULL: an absent input is not an error
 * here (it keeps its statistics), so aia_frame_find()'s message is not
 * wanted. */
static const aia_column *find_column(const aia_frame *f, const char *name)
{
    for (size_t j = 0; j < aia_frame_n_cols(f); j++) {
        const aia_column *c = aia_frame_column(f, j);
        if (strcmp(c->name, name) == 0) return c;
    }
    return NULL;
}

/* Every input present in `recent` must have the type the model reads, so
 * nothing is refitted from a column that a CSV read without the training
 * schema typed differently. */
static aia_status check_types(const aia_preprocess_column *in, size_t n, const aia_frame *recent, aia_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const aia_column *c = find_column(recent, in[i].name);
        aia_column_type want = aia_pp_kind_type(in[i].kind);
        if (c && c->type != want)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s: column '%s' is %s, but the model reads it as %s (%s input); "
                                 "read the recent data with the training schema",
                                 aia_frame_source(recent), in[i].name, aia_column_type_name(c->type),
                                 aia_column_type_name(want), aia_pp_kind_name(in[i].kind));
    }
    return AIA_OK;
}

/* Imputation value over the observed values x[0..k) (sorted when needed). */
static double numeric_fill(aia_preprocess_impute impute, double *x, size_t k)
{
    switch (impute) {
    case AIA_IMPUTE_MEAN: return aia_pp_mean(x, k);
    case AIA_IMPUTE_MEDIAN: aia_pp_sort(x, k); return aia_pp_median_sorted(x, k);
    case AIA_IMPUTE_MOST_FREQUENT: aia_pp_sort(x, k); return aia_pp_mode_sorted(x, k);
    default: return NAN;
    }
}

/* Refits one numeric input in place on column c; *kept when too few
 * observed values. Mirrors aia_preprocess_fit(): the scaler sees the
 * imputed cells, or only the observed ones with NONE. */
static aia_status refit_numeric(aia_preprocess_column *in, const aia_column *c, size_t n_rows, size_t min_obs,
                                int *kept, aia_error *err)
{
    size_t n_obs = n_rows - c->n_missing;
    *kept = n_obs < min_obs;
    if (*kept) return AIA_OK;
    double *x = malloc(n_rows * sizeof *x);
    if (!x) return oom(err);
    size_t k = 0;
    for (size_t i = 0; i < n_rows; i++)
        if (!isnan(c->numeric[i])) x[k++] = c->numeric[i];
    in->fill = numeric_fill(in->impute, x, k);
    if (in->standardize) {
        size_t m = k;
        if (in->impute != AIA_IMPUTE_NONE)
            while (m < n_rows) x[m++] = in->fill;
        aia_pp_scaler_fit(x, m, &in->mean, &in->scale);
    }
    free(x);
    return AIA_OK;
}

/* A boolean's only statistic is its most-frequent fill (false on a tie). */
static void refit_boolean(aia_preprocess_column *in, const aia_column *c, size_t n_rows, size_t min_obs, int *kept)
{
    size_t n_obs = n_rows - c->n_missing, n_true = 0;
    *kept = in->impute != AIA_IMPUTE_MOST_FREQUENT || n_obs < min_obs;
    if (*kept) return;
    for (size_t i = 0; i < n_rows; i++) n_true += c->boolean[i]; /* missing cells hold 0 */
    in->fill = n_true > n_obs - n_true ? 1.0 : 0.0;
}

static int same_value(double a, double b)
{
    return (isnan(a) && isnan(b)) || memcmp(&a, &b, sizeof a) == 0;
}

static int stats_changed(const aia_preprocess_column *a, const aia_preprocess_column *b)
{
    return !same_value(a->fill, b->fill) || !same_value(a->mean, b->mean) || !same_value(a->scale, b->scale);
}

/* Refits the statistics of in[0..n) (descriptions borrowing names and
 * categories from the model's pipeline) and counts those that changed. */
static aia_status refit_inputs(aia_preprocess_column *in, size_t n, const aia_frame *recent, size_t min_rows,
                               size_t *changed, aia_error *err)
{
    size_t n_rows = aia_frame_n_rows(recent), min_obs = min_rows ? min_rows : 1;
    *changed = 0;
    for (size_t i = 0; i < n; i++) {
        const aia_column *c = find_column(recent, in[i].name);
        if (!c) continue;
        aia_preprocess_column before = in[i];
        int kept = 1;
        if (in[i].kind == AIA_PREPROCESS_NUMERIC) {
            aia_status st = refit_numeric(&in[i], c, n_rows, min_obs, &kept, err);
            if (st != AIA_OK) return st;
        } else if (in[i].kind == AIA_PREPROCESS_BOOLEAN) {
            refit_boolean(&in[i], c, n_rows, min_obs, &kept);
        }
        if (!kept && stats_changed(&before, &in[i])) (*changed)++;
    }
    return AIA_OK;
}

/* A deep copy of m through its model-file encoding: the learner is copied
 * exactly as a saved version would hold it, with no second copier to keep
 * in step with the learners' layouts. */
static aia_status copy_model(const aia_model *m, aia_model **out, aia_error *err)
{
    uint8_t *bytes = NULL;
    size_t len = 0;
    aia_status st = aia_model_to_bytes(m, NULL, 0, &bytes, &len, err);
    if (st != AIA_OK) return st;
    st = aia_model_from_bytes(bytes, len, out, err);
    free(bytes);
    return st;
}

/* Rebuilds the pipeline from the refitted descriptions (restore validates
 * them, so an overflowing statistic is refused by name) and installs it in
 * a copy of m. */
static aia_status build_model(const aia_model *m, const aia_preprocess_column *in, size_t n, aia_model **out,
                              aia_error *err)
{
    aia_preprocess *pre = NULL;
    aia_status st = aia_preprocess_restore(in, n, &pre, err);
    if (st != AIA_OK) return st;
    aia_model *copy = NULL;
    st = copy_model(m, &copy, err);
    if (st != AIA_OK) {
        aia_preprocess_free(pre);
        return st;
    }
    aia_preprocess_free(copy->pre);
    copy->pre = pre;
    *out = copy;
    return AIA_OK;
}

aia_status aia_model_refit_preprocess(const aia_model *m, const aia_frame *recent, size_t min_rows, aia_model **out,
                                      size_t *refitted, aia_error *err)
{
    if (refitted) *refitted = 0;
    if (out) *out = NULL;
    if (!m || !recent || !out)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "refitting preprocessing: model, recent data and out are required");
    size_t n = aia_preprocess_n_inputs(m->pre);
    aia_preprocess_column *in = calloc(n ? n : 1, sizeof *in);
    if (!in) return oom(err);
    for (size_t i = 0; i < n; i++) aia_preprocess_describe_input(m->pre, i, &in[i]);
    size_t changed = 0;
    aia_status st = check_types(in, n, recent, err);
    if (st == AIA_OK) st = refit_inputs(in, n, recent, min_rows, &changed, err);
    if (st == AIA_OK) st = build_model(m, in, n, out, err);
    free(in);
    if (st == AIA_OK && refitted) *refitted = changed;
    return st;
}
