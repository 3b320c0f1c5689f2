/* lib/ml/forest_grow.c — growing one random-forest tree depth-first on a
 * bootstrap sample.
 *
 * Every row carries k_out channels: the class indicators (classification)
 * or the target (regression). For a node with n rows and channel sums S_k,
 * sum_k S_k^2 / n is n times (1 - Gini) for indicators and the part of the
 * squared error a split can remove for a target, so one gain,
 * sum_k (SL_k^2 / nL + SR_k^2 / nR - S_k^2 / n), serves both criteria. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/forest_internal.h"

typedef struct pending {
    size_t begin, end;
    int depth;
    int parent, is_left;
} pending;

typedef struct fsplit {
    double gain;
    int feature; /* global feature index */
    int bin;
    int default_left;
} fsplit;

/* ---- tree storage ----------------------------------------------------------- */

static int grow_array(void **p, size_t elem, int cap)
{
    void *q = realloc(*p, (size_t)cap * elem);
    if (!q) return -1;
    *p = q;
    return 0;
}

static int ensure_nodes(forest_tree *t)
{
    if (t->n_nodes < t->cap_nodes) return 0;
    int cap = t->cap_nodes ? 2 * t->cap_nodes : 64;
    if (grow_array((void **)&t->feature, sizeof *t->feature, cap) || grow_array((void **)&t->threshold, sizeof *t->threshold, cap) ||
        grow_array((void **)&t->threshold_bin, sizeof *t->threshold_bin, cap) ||
        grow_array((void **)&t->default_left, sizeof *t->default_left, cap) || grow_array((void **)&t->left, sizeof *t->left, cap) ||
        grow_array((void **)&t->right, sizeof *t->right, cap) || grow_array((void **)&t->gain, sizeof *t->gain, cap))
        return -1;
    t->cap_nodes = cap;
    return 0;
}

static int ensure_leaves(forest_tree *t, int k_out)
{
    if (t->n_leaves < t->cap_leaves) return 0;
    int cap = t->cap_leaves ? 2 * t->cap_leaves : 64;
    if (grow_array((void **)&t->leaf, sizeof *t->leaf * (size_t)k_out, cap)) return -1;
    t->cap_leaves = cap;
    return 0;
}

void forest_tree_free(forest_tree *t)
{
    if (!t) return;
    free(t->feature);
    free(t->threshold);
    free(t->threshold_bin);
    free(t->default_left);
    free(t->left);
    free(t->right);
    free(t->gain);
    free(t->leaf);
    memset(t, 0, sizeof *t);
}

/* Points the parent's child slot at `child` (an internal node, or ~leaf). */
static void link(forest_tree *t, const pending *nd, int child)
{
    if (nd->parent < 0) return;
    if (nd->is_left) t->left[nd->parent] = child;
    else t->right[nd->parent] = child;
}

/* ---- the bootstrap ------------------------------------------------------------ */

/* Draws n rows with replacement (or takes each once) into g->rows in
 * ascending order, so histogram passes read the codes front to back. */
static size_t draw_rows(forest_grower *g, aia_rng *rng)
{
    size_t n = g->data->n_rows;
    if (!g->p->bootstrap) {
        for (size_t i = 0; i < n; i++) {
            g->rows[i] = (uint32_t)i;
            g->counts[i] = 1;
        }
        return n;
    }
    memset(g->counts, 0, n * sizeof *g->counts);
    for (size_t i = 0; i < n; i++) g->counts[aia_rng_below(rng, n)]++;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        for (uint32_t c = 0; c < g->counts[i]; c++) g->rows[m++] = (uint32_t)i;
    return m;
}

/* ---- statistics ---------------------------------------------------------------- */

static void node_sums(forest_grower *g, size_t begin, size_t end)
{
    memset(g->sums, 0, (size_t)g->k_out * sizeof *g->sums);
    for (size_t i = begin; i < end; i++) {
        uint32_t r = g->rows[i];
        if (g->classification) g->sums[(int)g->y[r]] += 1;
        else g->sums[0] += g->y[r];
    }
}

static double score(const double *s, int k_out, double n)
{
    double total = 0;
    for (int k = 0; k < k_out; k++) total += s[k] * s[k];
    return n > 0 ? total / n : 0;
}

/* A node is pure when one class holds every row, or every target is equal. */
static int is_pure(const forest_grower *g, size_t begin, size_t end)
{
    double first = g->y[g->rows[begin]];
    for (size_t i = begin + 1; i < end; i++)
        if (g->y[g->rows[i]] != first) return 0;
    return 1;
}

/* ---- split search ---------------------------------------------------------------- */

static void build_hist(forest_grower *g, size_t begin, size_t end, int n_try)
{
    size_t stride = (size_t)g->k_out + 1;
    for (int j = 0; j < n_try; j++) {
        const uint8_t *column = g->data->columns + (size_t)g->features[j] * g->data->n_rows;
        double *hist = g->hist + (size_t)j * GBDT_HIST_BINS * stride;
        size_t used = (size_t)g->data->mappers[g->features[j]].n_bins + 1;
        memset(hist, 0, used * stride * sizeof *hist);
        for (size_t i = begin; i < end; i++) {
            uint32_t r = g->rows[i];
            double *cell = hist + (size_t)column[r] * stride;
            cell[0] += 1;
            cell[1 + (g->classification ? (int)g->y[r] : 0)] += g->classification ? 1 : g->y[r];
        }
    }
}

/* Scans "code <= b goes left" for feature j of the tried list, missing on
 * the left or the right. */
static void scan(forest_grower *g, int j, double n, double parent, int missing_left, fsplit *best)
{
    size_t stride = (size_t)g->k_out + 1;
    const aia_bin_mapper *m = &g->data->mappers[g->features[j]];
    const double *h = g->hist + (size_t)j * GBDT_HIST_BINS * stride;
    const double *miss = h + (size_t)m->missing_bin * stride;
    double left[FOREST_MAX_CLASSES], right[FOREST_MAX_CLASSES];
    double nl = missing_left ? miss[0] : 0;
    for (int k = 0; k < g->k_out; k++) left[k] = missing_left ? miss[1 + k] : 0;
    int last = missing_left || miss[0] == 0 ? m->n_bins - 2 : m->n_bins - 1;
    for (int b = 0; b <= last; b++) {
        const double *cell = h + (size_t)b * stride;
        if (cell[0] == 0) continue; /* an empty bin moves nothing: same split as the previous one */
        nl += cell[0];
        for (int k = 0; k < g->k_out; k++) left[k] += cell[1 + k];
        double nr = n - nl;
        if (nl < g->p->min_samples_leaf || nr < g->p->min_samples_leaf) continue;
        for (int k = 0; k < g->k_out; k++) right[k] = g->sums[k] - left[k];
        double gain = score(left, g->k_out, nl) + score(right, g->k_out, nr) - parent;
        if (gain > best->gain) *best = (fsplit){gain, g->features[j], b, missing_left};
    }
}

/* Draws the features to try (a partial shuffle) and finds the best split. */
static fsplit best_split(forest_grower *g, aia_rng *rng, size_t begin, size_t end)
{
    int nf = (int)g->data->n_features;
    for (int j = 0; j < g->max_features; j++) {
        int k = j + (int)aia_rng_below(rng, (uint64_t)(nf - j));
        int tmp = g->features[j];
        g->features[j] = g->features[k];
        g->features[k] = tmp;
    }
    build_hist(g, begin, end, g->max_features);
    double n = (double)(end - begin), parent = score(g->sums, g->k_out, n);
    fsplit best = {1e-12 * n, -1, 0, 0}; /* a split must remove some impurity */
    for (int j = 0; j < g->max_features; j++) {
        const aia_bin_mapper *m = &g->data->mappers[g->features[j]];
        scan(g, j, n, parent, 0, &best);
        if (g->hist[((size_t)j * GBDT_HIST_BINS + (size_t)m->missing_bin) * ((size_t)g->k_out + 1)] > 0)
            scan(g, j, n, parent, 1, &best);
    }
    return best;
}

static size_t partition(forest_grower *g, size_t begin, size_t end, const fsplit *s)
{
    const aia_bin_mapper *m = &g->data->mappers[s->feature];
    const uint8_t *column = g->data->columns + (size_t)s->feature * g->data->n_rows;
    size_t nl = begin, nr = 0;
    for (size_t i = begin; i < end; i++) {
        uint32_t r = g->rows[i];
        uint8_t code = column[r];
        int left = code == m->missing_bin ? s->default_left : code <= s->bin;
        if (left) g->rows[nl++] = r;
        else g->scratch[nr++] = r;
    }
    memcpy(g->rows + nl, g->scratch, nr * sizeof *g->rows);
    return nl;
}

/* ---- growing ---------------------------------------------------------------------- */

static int make_leaf(forest_grower *g, forest_tree *t, const pending *nd)
{
    if (ensure_leaves(t, g->k_out)) return -1;
    double *v = t->leaf + (size_t)t->n_leaves * (size_t)g->k_out;
    double n = (double)(nd->end - nd->begin);
    for (int k = 0; k < g->k_out; k++) v[k] = g->sums[k] / n;
    link(t, nd, ~t->n_leaves);
    t->n_leaves++;
    return 0;
}

static int make_node(forest_grower *g, forest_tree *t, const pending *nd, const fsplit *s)
{
    if (ensure_nodes(t)) return -1;
    const aia_bin_mapper *m = &g->data->mappers[s->feature];
    int id = t->n_nodes++;
    t->feature[id] = s->feature;
    t->threshold_bin[id] = (uint8_t)s->bin;
    /* Codes of a categorical feature are compared as numbers; a numeric
     * feature's last value bin has no boundary. */
    t->threshold[id] = m->categorical ? s->bin + 0.5 : s->bin < m->n_bins - 1 ? m->upper[s->bin] : INFINITY;
    t->default_left[id] = (uint8_t)s->default_left;
    t->gain[id] = s->gain;
    link(t, nd, id);
    return id;
}

static int can_split(const forest_grower *g, const pending *nd)
{
    size_t n = nd->end - nd->begin;
    return n >= (size_t)g->p->min_samples_split && n >= 2 * (size_t)g->p->min_samples_leaf &&
           (g->p->max_depth < 0 || nd->depth < g->p->max_depth) && !is_pure(g, nd->begin, nd->end);
}

/* Handles one node: a leaf, or a split whose children go on the stack. */
static int grow_node(forest_grower *g, aia_rng *rng, forest_tree *t, const pending *nd, pending *stack, size_t *top)
{
    node_sums(g, nd->begin, nd->end);
    fsplit s = {0, -1, 0, 0};
    if (can_split(g, nd)) s = best_split(g, rng, nd->begin, nd->end);
    if (s.feature < 0) return make_leaf(g, t, nd);
    int id = make_node(g, t, nd, &s);
    if (id < 0) return -1;
    size_t mid = partition(g, nd->begin, nd->end, &s);
    stack[(*top)++] = (pending){mid, nd->end, nd->depth + 1, id, 0};
    stack[(*top)++] = (pending){nd->begin, mid, nd->depth + 1, id, 1};
    return 0;
}

aia_status forest_grow_tree(forest_grower *g, uint64_t index, forest_tree *t, aia_error *err)
{
    memset(t, 0, sizeof *t);
    aia_rng rng;
    aia_rng_derive(&rng, g->p->seed, index);
    /* Feature draws shuffle g->features in place: start every tree from the
     * same order, or a tree would depend on the trees its thread grew
     * before it. */
    for (size_t f = 0; f < g->data->n_features; f++) g->features[f] = (int)f;
    size_t m = draw_rows(g, &rng);
    /* Depth-first with an explicit stack: each split pushes two children
     * and pops one, so m + 1 entries always suffice. */
    pending *stack = malloc((m + 2) * sizeof *stack);
    if (!stack) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory growing tree %llu", (unsigned long long)index);
    size_t top = 0;
    stack[top++] = (pending){0, m, 0, -1, 0};
    int failed = 0;
    while (top > 0 && !failed) {
        pending nd = stack[--top];
        failed = grow_node(g, &rng, t, &nd, stack, &top) != 0;
    }
    free(stack);
    if (failed) {
        forest_tree_free(t);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory growing tree %llu", (unsigned long long)index);
    }
    return AIA_OK;
}

const double *forest_tree_leaf(const forest_tree *t, int k_out, const double *row)
{
    int node = t->n_nodes > 0 ? 0 : ~0;
    while (node >= 0) {
        double v = row[t->feature[node]];
        int left = isnan(v) ? t->default_left[node] : v <= t->threshold[node];
        node = left ? t->left[node] : t->right[node];
    }
    return t->leaf + (size_t)~node * (size_t)k_out;
}
