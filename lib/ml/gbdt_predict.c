/* lib/ml/gbdt_predict.c — prediction from a trained model, importance, and
 * the model's lifetime. Prediction walks each tree on raw values (the
 * thresholds are bin boundaries, so no binning is needed) and allocates
 * nothing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/gbdt_internal.h"
#include "lib/ml/gbdt_objective.h"

void aia_gbdt_free(aia_gbdt_model *m)
{
    if (!m) return;
    for (int i = 0; i < m->n_rounds * m->n_outputs; i++) gbdt_tree_free(&m->trees[i]);
    free(m->trees);
    free(m->init_score);
    free(m);
}

int aia_gbdt_n_outputs(const aia_gbdt_model *m)
{
    return m->n_outputs;
}

size_t aia_gbdt_n_features(const aia_gbdt_model *m)
{
    return m->n_features;
}

int aia_gbdt_n_rounds(const aia_gbdt_model *m)
{
    return m->n_rounds;
}

/* A categorical split sends a code left when its bit is set; NaN, negative,
 * fractional and too-large codes (categories unseen in training) go where
 * training sent missing values. */
static int cat_goes_left(const aia_tree *t, int node, double v)
{
    if (!(v >= 0 && v < 256) || v != (double)(int)v) return t->nodes[node].default_left;
    int code = (int)v;
    return (int)(t->cat_left[4 * (size_t)node + (size_t)(code >> 6)] >> (code & 63)) & 1;
}

/* One step of a walk: the next node (or ~leaf) from internal node `node`. */
static inline int step(const aia_tree *t, int node, const double *row)
{
    const gbdt_node *nd = &t->nodes[node];
    double v = row[nd->feature];
    int left;
    if (__builtin_expect(nd->is_cat, 0)) left = cat_goes_left(t, node, v);
    else left = v <= nd->threshold || (v != v && nd->default_left); /* NaN compares false */
    return left ? nd->left : nd->right;
}

static double tree_value(const aia_tree *t, const double *row)
{
    int node = t->n_leaves > 1 ? 0 : ~0;
    while (node >= 0) node = step(t, node, row);
    return t->leaf_value[~node];
}

/* Walks four rows through one tree in lockstep: each walk is a chain of
 * dependent loads, and four independent chains keep the core busy while
 * one waits. Adds each leaf value to acc[i * stride]. */
static void tree_values4(const aia_tree *t, const double *rows, size_t nf, double *acc, size_t stride)
{
    int n0 = 0, n1 = 0, n2 = 0, n3 = 0;
    if (t->n_leaves == 1) n0 = n1 = n2 = n3 = ~0;
    while (n0 >= 0 || n1 >= 0 || n2 >= 0 || n3 >= 0) {
        if (n0 >= 0) n0 = step(t, n0, rows);
        if (n1 >= 0) n1 = step(t, n1, rows + nf);
        if (n2 >= 0) n2 = step(t, n2, rows + 2 * nf);
        if (n3 >= 0) n3 = step(t, n3, rows + 3 * nf);
    }
    acc[0] += t->leaf_value[~n0];
    acc[stride] += t->leaf_value[~n1];
    acc[2 * stride] += t->leaf_value[~n2];
    acc[3 * stride] += t->leaf_value[~n3];
}

/* One row through four trees (stride apart) in lockstep, the single-row
 * counterpart of tree_values4: four independent chains of loads instead
 * of one. The four leaf values land in v[0..4). */
static void four_trees(const aia_tree *t, int stride, const double *row, double *v)
{
    const aia_tree *t0 = t, *t1 = t + stride, *t2 = t + 2 * stride, *t3 = t + 3 * stride;
    int n0 = t0->n_leaves > 1 ? 0 : ~0, n1 = t1->n_leaves > 1 ? 0 : ~0;
    int n2 = t2->n_leaves > 1 ? 0 : ~0, n3 = t3->n_leaves > 1 ? 0 : ~0;
    while (n0 >= 0 || n1 >= 0 || n2 >= 0 || n3 >= 0) {
        if (n0 >= 0) n0 = step(t0, n0, row);
        if (n1 >= 0) n1 = step(t1, n1, row);
        if (n2 >= 0) n2 = step(t2, n2, row);
        if (n3 >= 0) n3 = step(t3, n3, row);
    }
    v[0] = t0->leaf_value[~n0];
    v[1] = t1->leaf_value[~n1];
    v[2] = t2->leaf_value[~n2];
    v[3] = t3->leaf_value[~n3];
}

void aia_gbdt_predict_raw(const aia_gbdt_model *m, const double *row, double *out)
{
    int K = m->n_outputs;
    for (int k = 0; k < K; k++) {
        double acc = m->init_score[k], v[4];
        int r = 0;
        for (; r + 4 <= m->n_rounds; r += 4) {
            four_trees(&m->trees[r * K + k], K, row, v);
            /* Added one round at a time, as the batch path does: the same bits. */
            acc += v[0];
            acc += v[1];
            acc += v[2];
            acc += v[3];
        }
        for (; r < m->n_rounds; r++) acc += tree_value(&m->trees[r * K + k], row);
        out[k] = acc;
    }
}

void aia_gbdt_predict(const aia_gbdt_model *m, const double *row, double *out)
{
    double raw[256];
    aia_gbdt_predict_raw(m, row, raw);
    gbdt_transform(m->objective, m->n_outputs, raw, out);
}

/* Rows go through in blocks: each block's rows are gathered into row-major
 * form once, then every tree is walked for the whole block while its nodes
 * are in cache. The two block buffers are the call's only allocation. */
#define PREDICT_BLOCK 256

static void predict_block(const aia_gbdt_model *m, const aia_matrix *x, size_t start, size_t nb, double *rows,
                          double *raw, double *out)
{
    size_t nf = m->n_features, K = (size_t)m->n_outputs;
    for (size_t f = 0; f < nf; f++)
        for (size_t i = 0; i < nb; i++) rows[i * nf + f] = x->col[f][start + i];
    for (size_t i = 0; i < nb; i++)
        for (size_t k = 0; k < K; k++) raw[i * K + k] = m->init_score[k];
    for (int r = 0; r < m->n_rounds; r++)
        for (size_t k = 0; k < K; k++) {
            const aia_tree *t = &m->trees[(size_t)r * K + k];
            size_t i = 0;
            for (; i + 4 <= nb; i += 4) tree_values4(t, rows + i * nf, nf, raw + i * K + k, K);
            for (; i < nb; i++) raw[i * K + k] += tree_value(t, rows + i * nf);
        }
    for (size_t i = 0; i < nb; i++) gbdt_transform(m->objective, (int)K, raw + i * K, out + (start + i) * K);
}

/* One thread's share of a batch: blocks part, part + n_parts, ... each
 * with the thread's own buffers. */
typedef struct batch_job {
    const aia_gbdt_model *m;
    const aia_matrix *x;
    double *out;
    int failed; /* a thread could not get its buffers */
} batch_job;

static void predict_part(void *arg, int part, int n_parts)
{
    batch_job *job = arg;
    const aia_gbdt_model *m = job->m;
    double *rows = malloc(PREDICT_BLOCK * m->n_features * sizeof *rows);
    double *raw = malloc(PREDICT_BLOCK * (size_t)m->n_outputs * sizeof *raw);
    if (!rows || !raw) {
        job->failed = 1; /* a plain store: every writer writes 1, read after the join */
    } else {
        size_t n = job->x->n_rows;
        for (size_t start = (size_t)part * PREDICT_BLOCK; start < n; start += (size_t)n_parts * PREDICT_BLOCK) {
            size_t nb = n - start < PREDICT_BLOCK ? n - start : PREDICT_BLOCK;
            predict_block(m, job->x, start, nb, rows, raw, job->out);
        }
    }
    free(rows);
    free(raw);
}

/* Below this many rows a batch runs on the calling thread: starting a team
 * costs more than it saves. */
#define PARALLEL_MIN_ROWS 16384

aia_status aia_gbdt_predict_batch(const aia_gbdt_model *m, const aia_matrix *x, double *out, aia_error *err)
{
    if (x->n_cols != m->n_features)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "the rows have %zu features, the model was trained on %zu",
                             x->n_cols, m->n_features);
    batch_job job = {m, x, out, 0};
    int threads = x->n_rows >= PARALLEL_MIN_ROWS ? aia_cpu_count() : 1;
    aia_team *team = NULL;
    if (threads > 1 && aia_team_create(threads, &team, NULL) != AIA_OK) team = NULL; /* fall back to one thread */
    if (team) aia_team_run(team, predict_part, &job);
    else predict_part(&job, 0, 1);
    aia_team_destroy(team);
    if (job.failed) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for prediction buffers");
    return AIA_OK;
}

void aia_gbdt_importance(const aia_gbdt_model *m, double *gain, int64_t *splits)
{
    if (gain) memset(gain, 0, m->n_features * sizeof *gain);
    if (splits) memset(splits, 0, m->n_features * sizeof *splits);
    for (int i = 0; i < m->n_rounds * m->n_outputs; i++) {
        const aia_tree *t = &m->trees[i];
        for (int node = 0; node < t->n_leaves - 1; node++) {
            if (gain) gain[t->feature[node]] += t->gain[node];
            if (splits) splits[t->feature[node]]++;
        }
    }
}
