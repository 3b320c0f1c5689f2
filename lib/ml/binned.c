/* lib/ml/binned.c — quantising a whole design matrix into the row-major
 * code matrix the tree learners (GBDT, random forest) split on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/gbdt_internal.h"

#define BIN_SAMPLE_ROWS 200000 /* rows used to find bin boundaries, as LightGBM's bin_construct_sample_cnt */

void gbdt_binned_free(gbdt_binned *b, int own_mappers)
{
    if (own_mappers && b->mappers)
        for (size_t f = 0; f < b->n_features; f++) aia_bin_mapper_free(&b->mappers[f]);
    if (own_mappers) free(b->mappers);
    free(b->columns);
    memset(b, 0, sizeof *b);
}

/* Checks a categorical column's codes and returns how many categories it
 * has (largest code + 1). */
static aia_status category_count(const double *v, size_t n, size_t f, int *count, aia_error *err)
{
    double mx = -1;
    for (size_t i = 0; i < n; i++) {
        if (isnan(v[i])) continue;
        if (v[i] < 0 || v[i] >= AIA_MAX_VALUE_BINS || v[i] != floor(v[i]))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "feature %zu is categorical but row %zu holds %g, not a code from 0 to %d", f, i, v[i],
                                 AIA_MAX_VALUE_BINS - 1);
        if (v[i] > mx) mx = v[i];
    }
    *count = (int)mx + 1 > 0 ? (int)mx + 1 : 1;
    return AIA_OK;
}

static aia_status learn_mapper(const aia_matrix *x, size_t f, int categorical, int max_bins, aia_bin_mapper *m,
                               aia_error *err)
{
    if (!categorical) {
        if (aia_bin_mapper_build(x->col[f], x->n_rows, max_bins, BIN_SAMPLE_ROWS, m, err) == AIA_OK) return AIA_OK;
        aia_error_prefix(err, "feature %zu", f);
        return err->code;
    }
    int count = 0;
    if (category_count(x->col[f], x->n_rows, f, &count, err) != AIA_OK) return err->code;
    return aia_bin_mapper_categorical(count, m, err);
}

/* One thread's share of the binning: features part, part + n_parts, ...;
 * the first failure (lowest feature) wins, so the error does not depend on
 * the thread count. */
typedef struct bin_job {
    const aia_matrix *x;
    const uint8_t *categorical;
    int max_bins, learn;
    gbdt_binned *out;
    aia_status *status; /* per feature */
    aia_error *errors;  /* per feature */
} bin_job;

static void bin_part(void *arg, int part, int n_parts)
{
    bin_job *job = arg;
    const aia_matrix *x = job->x;
    for (size_t f = (size_t)part; f < x->n_cols; f += (size_t)n_parts) {
        if (job->learn) {
            job->status[f] = learn_mapper(x, f, job->categorical && job->categorical[f], job->max_bins,
                                          &job->out->mappers[f], &job->errors[f]);
            if (job->status[f] != AIA_OK) continue;
        }
        const aia_bin_mapper *m = &job->out->mappers[f];
        uint8_t *column = job->out->columns + f * x->n_rows;
        for (size_t i = 0; i < x->n_rows; i++) column[i] = aia_bin_of(m, x->col[f][i]);
    }
}

aia_status gbdt_bin_matrix(const aia_matrix *x, const uint8_t *categorical, int max_bins, aia_bin_mapper *mappers,
                           aia_team *team, gbdt_binned *out, aia_error *err)
{
    *out = (gbdt_binned){x->n_rows, x->n_cols, malloc(x->n_rows * x->n_cols), mappers};
    int learn = mappers == NULL;
    if (learn) out->mappers = calloc(x->n_cols, sizeof *out->mappers);
    bin_job job = {x, categorical, max_bins, learn, out, calloc(x->n_cols, sizeof(aia_status)),
                   malloc(x->n_cols * sizeof(aia_error))};
    aia_status st = AIA_OK;
    if (!out->columns || !out->mappers || !job.status || !job.errors) {
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory binning %zu x %zu values", x->n_rows, x->n_cols);
    } else {
        if (team) aia_team_run(team, bin_part, &job);
        else bin_part(&job, 0, 1);
        for (size_t f = 0; f < x->n_cols && st == AIA_OK; f++)
            if (job.status[f] != AIA_OK) {
                *err = job.errors[f];
                st = job.status[f];
            }
    }
    free(job.status);
    free(job.errors);
    if (st != AIA_OK) gbdt_binned_free(out, learn);
    return st;
}
