/* lib/ml/linear_gram.c — the weighted, centred cross-product matrix of
 * [X | y] that ridge regression solves (see linear_internal.h).
 *
 * Rows go through in blocks of GRAM_BLOCK: the block's centred columns,
 * scaled by sqrt(weight), are copied into a scratch matrix that stays in
 * cache, then every entry (j, l) of the lower triangle gets the block's
 * dot product added. Each entry belongs to one part of the thread team
 * (entries are dealt out round-robin) and gets its block sums in block
 * order, so the result is the same bits for any thread count, and the data
 * is read once instead of once per pair of columns.
 */
#include <math.h>
#include <stdlib.h>

#include "lib/base/team.h"
#include "lib/ml/linear_internal.h"

#define GRAM_BLOCK 1024

/* Below this many multiply-adds the calling thread does everything: waking
 * a team would cost more than it saves. */
#define GRAM_PARALLEL_WORK 4e6

typedef struct gram_job {
    const aia_linear_data *data;
    const double *mean;
    size_t q;            /* columns: the p features, then y */
    size_t lo, rows;     /* the current block */
    const double *sqrt_w; /* rows values, NULL when unweighted */
    double *block;       /* q x GRAM_BLOCK scaled, centred values */
    double *g;           /* q x q, row-major, lower triangle */
} gram_job;

static const double *column(const gram_job *job, size_t j)
{
    return j < job->data->x.n_cols ? job->data->x.col[j] : job->data->y;
}

/* Phase 1: the part's columns of the block, centred and scaled. */
static void fill_block(void *arg, int part, int n_parts)
{
    const gram_job *job = arg;
    for (size_t j = (size_t)part; j < job->q; j += (size_t)n_parts) {
        const double *c = column(job, j) + job->lo;
        double *out = job->block + j * GRAM_BLOCK, m = job->mean[j];
        for (size_t r = 0; r < job->rows; r++) out[r] = c[r] - m;
        if (job->sqrt_w)
            for (size_t r = 0; r < job->rows; r++) out[r] *= job->sqrt_w[r];
    }
}

/* Phase 2: the part's entries of the lower triangle, plus this block. */
static void add_products(void *arg, int part, int n_parts)
{
    const gram_job *job = arg;
    size_t t = 0;
    for (size_t j = 0; j < job->q; j++) {
        const double *cj = job->block + j * GRAM_BLOCK;
        for (size_t l = 0; l <= j; l++, t++) {
            if (t % (size_t)n_parts != (size_t)part) continue;
            const double *cl = job->block + l * GRAM_BLOCK;
            double sum = 0.0;
            for (size_t r = 0; r < job->rows; r++) sum += cj[r] * cl[r];
            job->g[j * job->q + l] += sum;
        }
    }
}

static void run(aia_team *team, aia_team_fn fn, gram_job *job)
{
    if (team)
        aia_team_run(team, fn, job);
    else
        fn(job, 0, 1);
}

aia_status linear_gram(const aia_linear_data *data, const double *mean, int threads, double *g, aia_error *err)
{
    size_t n = data->x.n_rows, q = data->x.n_cols + 1;
    gram_job job = {.data = data, .mean = mean, .q = q, .g = g};
    double *block = malloc(q * GRAM_BLOCK * sizeof *block);
    double *sqrt_w = data->weight ? malloc(GRAM_BLOCK * sizeof *sqrt_w) : NULL;
    aia_team *team = NULL;
    aia_status s = AIA_OK;
    if (!block || (data->weight && !sqrt_w)) {
        s = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "ridge regression: out of memory for %zu features", q - 1);
        goto done;
    }
    if (threads <= 0) threads = aia_cpu_count();
    if (threads > 1 && (double)n * (double)q * (double)q / 2.0 >= GRAM_PARALLEL_WORK) {
        s = aia_team_create(threads, &team, err);
        if (s != AIA_OK) goto done;
    }
    for (size_t j = 0; j < q; j++)
        for (size_t l = 0; l <= j; l++) g[j * q + l] = 0.0;
    job.block = block;
    job.sqrt_w = sqrt_w;
    for (job.lo = 0; job.lo < n; job.lo += GRAM_BLOCK) {
        job.rows = n - job.lo < GRAM_BLOCK ? n - job.lo : GRAM_BLOCK;
        if (sqrt_w)
            for (size_t r = 0; r < job.rows; r++) sqrt_w[r] = sqrt(data->weight[job.lo + r]);
        run(team, fill_block, &job);
        run(team, add_products, &job);
    }
done:
    aia_team_destroy(team);
    free(block);
    free(sqrt_w);
    return s;
}
