/* lib/ml/gbdt_grow.c — growing one tree leaf-wise from gradient histograms.
 *
 * Every open leaf owns a contiguous range of the row array and, while it
 * may still split, a histogram per usable feature. The leaf with the
 * largest split gain is split next: its rows are partitioned in place, the
 * smaller child's histograms are built from its rows and the larger
 * child's are the parent's minus the smaller's, reusing the parent's
 * buffer. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/gbdt_internal.h"

typedef struct split {
    double gain; /* -INFINITY: no valid split */
    int feature; /* index into the tree's feature list */
    int bin;     /* numeric: rows with code <= bin go left */
    int default_left;
    int categorical;
    uint64_t cat_left[4]; /* categorical: codes whose bit is set go left */
    double gl, hl;
    int64_t nl;
} split;

/* LightGBM's categorical defaults: smoothing of the G/H ordering, extra L2
 * on categorical splits, most categories on the left, and the count up to
 * which each category is tried alone against the rest. */
#define CAT_SMOOTH 10.0
#define CAT_L2 10.0
#define MAX_CAT_THRESHOLD 32
#define MAX_CAT_TO_ONEHOT 4

typedef struct leaf {
    size_t begin, end;
    int depth;
    double g, h;
    int64_t n;
    hist_bin *hist; /* n_feat * GBDT_HIST_BINS, NULL once the leaf is final */
    split best;
    int parent;     /* internal node pointing at this leaf, -1 for the root */
    int is_left;
} leaf;

typedef struct grower {
    const gbdt_grow_args *a;
    aia_tree *tree;
    leaf *leaves;
    int n_leaves;
    uint32_t *scratch; /* the right side of a partition */
    double *og, *oh;   /* the leaf's gradients and hessians in row order */
    hist_bin **free_hist; /* unused buffers of the pool, a stack */
    int n_free_hist;
} grower;

static double leaf_score(double g, double h, double lambda)
{
    return h + lambda > 0 ? g * g / (h + lambda) : 0;
}

/* A histogram buffer from the pool (there is one per possible leaf, so
 * the pool never runs dry); hist_range() clears the part it fills. */
static hist_bin *hist_take(grower *gr)
{
    return gr->free_hist[--gr->n_free_hist];
}

static void hist_give_back(grower *gr, hist_bin *h)
{
    if (h) gr->free_hist[gr->n_free_hist++] = h;
}

/* Bins feature j of the tree's list uses: its value bins and the missing bin. */
static size_t used_bins(const gbdt_grow_args *a, int j)
{
    return (size_t)a->data->mappers[a->features[j]].n_bins + 1;
}

/* Adds one row's pair to one bin. */
static inline void hist_add(hist_bin *b, double g, double h)
{
    b->g += g;
    b->h += h;
    b->n++;
}

/* Histograms of up to four features at once: one pass over the leaf's rows
 * loads each row's index and gradient pair once for all of them, and the
 * four tables (4 x 6 KiB) stay in L1 with four independent update chains
 * (on 1M x 28, 2 threads: about 13 % less training time than one feature
 * per pass, over four alternating runs). */
static void hist_group(const grower *gr, const leaf *lf, int j0, int count)
{
    const gbdt_grow_args *a = gr->a;
    const uint32_t *rows = a->rows + lf->begin;
    size_t n = lf->end - lf->begin;
    const double *og = gr->og, *oh = gr->oh;
    const uint8_t *col[4];
    hist_bin *hb[4];
    for (int q = 0; q < count; q++) {
        col[q] = a->data->columns + (size_t)a->features[j0 + q] * a->data->n_rows;
        hb[q] = lf->hist + (size_t)(j0 + q) * GBDT_HIST_BINS;
        memset(hb[q], 0, used_bins(a, j0 + q) * sizeof(hist_bin)); /* only the bins the feature has */
    }
    if (count == 4) {
        for (size_t i = 0; i < n; i++) {
            uint32_t r = rows[i];
            double g = og[i], h = oh[i];
            hist_add(&hb[0][col[0][r]], g, h);
            hist_add(&hb[1][col[1][r]], g, h);
            hist_add(&hb[2][col[2][r]], g, h);
            hist_add(&hb[3][col[3][r]], g, h);
        }
        return;
    }
    for (int q = 0; q < count; q++)
        for (size_t i = 0; i < n; i++) hist_add(&hb[q][col[q][rows[i]]], og[i], oh[i]);
}

/* Histograms of features [j0, j1) of lf, from the column-major copy of the
 * codes: the tables being filled stay in L1 while the leaf's rows stream
 * through the columns, with gradients gathered once per leaf (gr->og/oh). */
static void hist_range(const grower *gr, leaf *lf, int j0, int j1)
{
    for (int j = j0; j < j1; j += 4) hist_group(gr, lf, j, j1 - j < 4 ? j1 - j : 4);
}

typedef struct hist_job {
    const grower *gr;
    leaf *lf;
} hist_job;

static void hist_part(void *arg, int part, int n_parts)
{
    hist_job *job = arg;
    int n_feat = job->gr->a->n_feat;
    hist_range(job->gr, job->lf, n_feat * part / n_parts, n_feat * (part + 1) / n_parts);
}

/* Below this many rows a leaf's histograms are built on one thread: waking
 * the team would cost more than it saves. */
#define PARALLEL_MIN_ROWS 4096

/* Builds lf's histograms, the features split across the team's threads.
 * Each feature's sums run over the rows in the same order whatever the
 * thread count, so the model does not depend on it. */
static void hist_build(grower *gr, leaf *lf)
{
    const uint32_t *rows = gr->a->rows + lf->begin;
    for (size_t i = 0, n = lf->end - lf->begin; i < n; i++) { /* gathered once, read once per feature */
        gr->og[i] = gr->a->g[rows[i]];
        gr->oh[i] = gr->a->h[rows[i]];
    }
    hist_job job = {gr, lf};
    if (gr->a->team && lf->end - lf->begin >= PARALLEL_MIN_ROWS) aia_team_run(gr->a->team, hist_part, &job);
    else hist_range(gr, lf, 0, gr->a->n_feat);
}

/* larger = parent - smaller, in place in the parent's buffer. */
static void hist_subtract(const gbdt_grow_args *a, hist_bin *parent_into_larger, const hist_bin *smaller)
{
    for (int j = 0; j < a->n_feat; j++) {
        hist_bin *p = parent_into_larger + (size_t)j * GBDT_HIST_BINS;
        const hist_bin *s = smaller + (size_t)j * GBDT_HIST_BINS;
        for (size_t b = 0, nb = used_bins(a, j); b < nb; b++) {
            p[b].g -= s[b].g;
            p[b].h -= s[b].h;
            p[b].n -= s[b].n;
        }
    }
}

static int split_allowed(const aia_gbdt_params *p, double hl, int64_t nl, double hr, int64_t nr)
{
    return nl >= p->min_samples_leaf && nr >= p->min_samples_leaf && hl >= p->min_hessian_leaf &&
           hr >= p->min_hessian_leaf;
}

/* Tries "code <= b goes left" for b in [0, last], with the missing bin's
 * statistics on the left when missing_left. */
static void scan_feature(const grower *gr, const leaf *lf, int j, int missing_left, split *best)
{
    const aia_gbdt_params *p = gr->a->params;
    const aia_bin_mapper *m = &gr->a->data->mappers[gr->a->features[j]];
    const hist_bin *hb = lf->hist + (size_t)j * GBDT_HIST_BINS;
    const hist_bin *miss = &hb[m->missing_bin];
    double gl = missing_left ? miss->g : 0, hl = missing_left ? miss->h : 0;
    int64_t nl = missing_left ? miss->n : 0;
    /* With missing values on the right, "every value left" is a split too. */
    int last = missing_left || miss->n == 0 ? m->n_bins - 2 : m->n_bins - 1;
    double parent = leaf_score(lf->g, lf->h, p->lambda_l2);
    for (int b = 0; b <= last; b++) {
        gl += hb[b].g;
        hl += hb[b].h;
        nl += hb[b].n;
        double gr_ = lf->g - gl, hr = lf->h - hl;
        int64_t nr = lf->n - nl;
        if (!split_allowed(p, hl, nl, hr, nr)) continue;
        double gain = leaf_score(gl, hl, p->lambda_l2) + leaf_score(gr_, hr, p->lambda_l2) - parent;
        if (gain > best->gain)
            *best = (split){.gain = gain, .feature = j, .bin = b, .default_left = missing_left, .gl = gl, .hl = hl,
                            .nl = nl};
    }
}

typedef struct cat_stat {
    int bin;
    double ratio;
} cat_stat;

static int cmp_cat(const void *a, const void *b)
{
    const cat_stat *x = a, *y = b;
    if (x->ratio != y->ratio) return x->ratio < y->ratio ? -1 : 1;
    return x->bin - y->bin; /* ties in a fixed order: the model must not depend on qsort */
}

/* Left = cats[lo..hi) of the ordered categories; missing and unseen go right. */
static void try_cat_set(const grower *gr, const leaf *lf, int j, const hist_bin *hb, const cat_stat *cats, int lo,
                        int hi, split *best)
{
    const aia_gbdt_params *p = gr->a->params;
    double gl = 0, hl = 0, lambda = p->lambda_l2 + CAT_L2;
    int64_t nl = 0;
    for (int c = lo; c < hi; c++) {
        gl += hb[cats[c].bin].g;
        hl += hb[cats[c].bin].h;
        nl += hb[cats[c].bin].n;
    }
    double gr_ = lf->g - gl, hr = lf->h - hl;
    int64_t nr = lf->n - nl;
    if (!split_allowed(p, hl, nl, hr, nr)) return;
    double gain = leaf_score(gl, hl, lambda) + leaf_score(gr_, hr, lambda) - leaf_score(lf->g, lf->h, lambda);
    if (gain <= best->gain) return;
    *best = (split){.gain = gain, .feature = j, .categorical = 1, .gl = gl, .hl = hl, .nl = nl};
    for (int c = lo; c < hi; c++) best->cat_left[cats[c].bin >> 6] |= 1ULL << (cats[c].bin & 63);
}

static void scan_categorical(const grower *gr, const leaf *lf, int j, split *best)
{
    const aia_bin_mapper *m = &gr->a->data->mappers[gr->a->features[j]];
    const hist_bin *hb = lf->hist + (size_t)j * GBDT_HIST_BINS;
    cat_stat cats[GBDT_HIST_BINS];
    int n = 0;
    for (int b = 0; b < m->n_bins; b++)
        if (hb[b].n > 0) cats[n++] = (cat_stat){b, hb[b].g / (hb[b].h + CAT_SMOOTH)};
    if (n < 2) return;
    if (n <= MAX_CAT_TO_ONEHOT) {
        for (int c = 0; c < n; c++) try_cat_set(gr, lf, j, hb, cats, c, c + 1, best);
        return;
    }
    qsort(cats, (size_t)n, sizeof *cats, cmp_cat);
    int most = n - 1 < MAX_CAT_THRESHOLD ? n - 1 : MAX_CAT_THRESHOLD;
    for (int k = 1; k <= most; k++) {
        try_cat_set(gr, lf, j, hb, cats, 0, k, best);     /* the k lowest ratios left */
        try_cat_set(gr, lf, j, hb, cats, n - k, n, best); /* the k highest */
    }
}

static void find_best_split(const grower *gr, leaf *lf)
{
    const aia_gbdt_params *p = gr->a->params;
    lf->best.gain = -INFINITY;
    if (p->max_depth > 0 && lf->depth >= p->max_depth) return;
    if (lf->n < 2 * (int64_t)p->min_samples_leaf) return;
    for (int j = 0; j < gr->a->n_feat; j++) {
        const aia_bin_mapper *m = &gr->a->data->mappers[gr->a->features[j]];
        if (m->categorical) {
            scan_categorical(gr, lf, j, &lf->best);
            continue;
        }
        scan_feature(gr, lf, j, 0, &lf->best);
        if (lf->hist[(size_t)j * GBDT_HIST_BINS + m->missing_bin].n > 0) scan_feature(gr, lf, j, 1, &lf->best);
    }
    if (lf->best.gain <= p->min_split_gain) lf->best.gain = -INFINITY;
}

static int goes_left(uint8_t code, const aia_bin_mapper *m, const split *s)
{
    if (code == m->missing_bin) return s->default_left;
    if (s->categorical) return (int)(s->cat_left[code >> 6] >> (code & 63)) & 1;
    return code <= s->bin;
}

/* Partitions lf's rows, left child's first, keeping each side in its
 * original (ascending) order: the children's histogram builds then read the
 * code columns front to back, which the hardware prefetcher follows.
 * Returns where the right side starts. */
static size_t partition_rows(const grower *gr, const leaf *lf)
{
    const gbdt_grow_args *a = gr->a;
    int f = a->features[lf->best.feature];
    const uint8_t *column = a->data->columns + (size_t)f * a->data->n_rows;
    const aia_bin_mapper *m = &a->data->mappers[f];
    uint32_t *rows = a->rows, *right = gr->scratch;
    size_t nl = lf->begin, nr = 0;
    for (size_t i = lf->begin; i < lf->end; i++) {
        uint32_t r = rows[i];
        if (goes_left(column[r], m, &lf->best)) rows[nl++] = r;
        else right[nr++] = r;
    }
    memcpy(rows + nl, right, nr * sizeof *rows);
    return nl;
}

/* Records lf's split as internal node `node` of the tree. */
static void write_node(grower *gr, const leaf *lf, int node, int left_leaf, int right_leaf)
{
    aia_tree *t = gr->tree;
    int f = gr->a->features[lf->best.feature];
    const aia_bin_mapper *m = &gr->a->data->mappers[f];
    t->feature[node] = f;
    t->threshold_bin[node] = (uint8_t)lf->best.bin;
    /* The last value bin has no upper boundary: every value goes left. */
    t->threshold[node] = m->categorical ? NAN : lf->best.bin < m->n_bins - 1 ? m->upper[lf->best.bin] : INFINITY;
    t->default_left[node] = (uint8_t)lf->best.default_left;
    t->is_cat[node] = (uint8_t)lf->best.categorical;
    memcpy(t->cat_left + 4 * (size_t)node, lf->best.cat_left, sizeof lf->best.cat_left);
    t->left[node] = ~left_leaf;
    t->right[node] = ~right_leaf;
    t->gain[node] = lf->best.gain;
    if (lf->parent >= 0) {
        if (lf->is_left) t->left[lf->parent] = node;
        else t->right[lf->parent] = node;
    }
}

/* Splits leaf `id` into itself (left child) and a new leaf (right child). */
static aia_status split_leaf(grower *gr, int id, aia_error *err)
{
    leaf *lf = &gr->leaves[id];
    int node = gr->n_leaves - 1, rid = gr->n_leaves;
    write_node(gr, lf, node, id, rid);
    size_t mid = partition_rows(gr, lf);
    split s = lf->best;
    leaf left = {.begin = lf->begin, .end = mid, .depth = lf->depth + 1, .g = s.gl, .h = s.hl, .n = s.nl,
                 .parent = node, .is_left = 1};
    leaf right = {.begin = mid, .end = lf->end, .depth = lf->depth + 1, .g = lf->g - s.gl, .h = lf->h - s.hl,
                  .n = lf->n - s.nl, .parent = node, .is_left = 0};
    hist_bin *parent_hist = lf->hist;
    hist_bin *small_hist = hist_take(gr);
    leaf *small = left.n <= right.n ? &left : &right, *large = small == &left ? &right : &left;
    small->hist = small_hist;
    hist_build(gr, small);
    hist_subtract(gr->a, parent_hist, small_hist);
    large->hist = parent_hist;
    gr->leaves[id] = left;
    gr->leaves[rid] = right;
    gr->n_leaves++;
    find_best_split(gr, &gr->leaves[id]);
    find_best_split(gr, &gr->leaves[rid]);
    return AIA_OK;
}

static int best_leaf(const grower *gr)
{
    int best = -1;
    for (int i = 0; i < gr->n_leaves; i++)
        if (gr->leaves[i].best.gain > -INFINITY && (best < 0 || gr->leaves[i].best.gain > gr->leaves[best].best.gain))
            best = i;
    return best;
}

static aia_status tree_alloc(aia_tree *t, int max_leaves)
{
    memset(t, 0, sizeof *t);
    size_t n = (size_t)max_leaves;
    t->feature = calloc(n, sizeof *t->feature);
    t->threshold = calloc(n, sizeof *t->threshold);
    t->threshold_bin = calloc(n, sizeof *t->threshold_bin);
    t->default_left = calloc(n, sizeof *t->default_left);
    t->is_cat = calloc(n, sizeof *t->is_cat);
    t->cat_left = calloc(4 * n, sizeof *t->cat_left);
    t->left = calloc(n, sizeof *t->left);
    t->right = calloc(n, sizeof *t->right);
    t->gain = calloc(n, sizeof *t->gain);
    t->leaf_value = calloc(n, sizeof *t->leaf_value);
    return t->feature && t->threshold && t->threshold_bin && t->default_left && t->is_cat && t->cat_left && t->left &&
                   t->right && t->gain && t->leaf_value
               ? AIA_OK
               : AIA_RESOURCE_EXHAUSTED;
}

void gbdt_tree_free(aia_tree *t)
{
    if (!t) return;
    free(t->feature);
    free(t->threshold);
    free(t->threshold_bin);
    free(t->default_left);
    free(t->is_cat);
    free(t->cat_left);
    free(t->left);
    free(t->right);
    free(t->gain);
    free(t->leaf_value);
    free(t->nodes);
    memset(t, 0, sizeof *t);
}

int gbdt_tree_pack(aia_tree *t)
{
    int n = t->n_leaves - 1;
    free(t->nodes);
    t->nodes = malloc((size_t)(n > 0 ? n : 1) * sizeof *t->nodes);
    if (!t->nodes) return -1;
    for (int i = 0; i < n; i++)
        t->nodes[i] = (gbdt_node){t->threshold[i], t->feature[i], t->left[i], t->right[i], t->default_left[i],
                                  t->is_cat[i]};
    return 0;
}

static void finish_leaves(grower *gr, size_t *leaf_range)
{
    const aia_gbdt_params *p = gr->a->params;
    for (int i = 0; i < gr->n_leaves; i++) {
        leaf *lf = &gr->leaves[i];
        double denom = lf->h + p->lambda_l2;
        gr->tree->leaf_value[i] = denom > 0 ? -lf->g / denom * p->learning_rate : 0;
        leaf_range[2 * i] = lf->begin;
        leaf_range[2 * i + 1] = lf->end;
        hist_give_back(gr, lf->hist);
        lf->hist = NULL;
    }
    gr->tree->n_leaves = gr->n_leaves;
}

static aia_status grow_from_root(grower *gr, aia_error *err)
{
    const gbdt_grow_args *a = gr->a;
    leaf *root = &gr->leaves[0];
    *root = (leaf){.end = a->n_rows, .n = (int64_t)a->n_rows, .hist = hist_take(gr), .parent = -1};
    for (size_t i = 0; i < a->n_rows; i++) {
        root->g += a->g[a->rows[i]];
        root->h += a->h[a->rows[i]];
    }
    gr->n_leaves = 1;
    hist_build(gr, root);
    find_best_split(gr, root);
    while (gr->n_leaves < a->params->max_leaves) {
        int id = best_leaf(gr);
        if (id < 0) break;
        if (split_leaf(gr, id, err) != AIA_OK) return err->code;
    }
    return AIA_OK;
}

aia_status gbdt_grow_tree(const gbdt_grow_args *a, aia_tree *tree, size_t *leaf_range, aia_error *err)
{
    int max_leaves = a->params->max_leaves;
    grower gr = {a, tree, calloc((size_t)max_leaves, sizeof(leaf)), 0, malloc(a->n_rows * sizeof(uint32_t)),
                 malloc(a->n_rows * sizeof(double)), malloc(a->n_rows * sizeof(double)),
                 malloc((size_t)max_leaves * sizeof(hist_bin *)), max_leaves};
    aia_status st = AIA_OK;
    if (!gr.leaves || !gr.scratch || !gr.og || !gr.oh || !gr.free_hist || tree_alloc(tree, max_leaves) != AIA_OK)
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory growing a tree of %d leaves", max_leaves);
    if (gr.free_hist) memcpy(gr.free_hist, a->hist_pool, (size_t)max_leaves * sizeof(hist_bin *));
    if (st == AIA_OK) st = grow_from_root(&gr, err);
    if (st == AIA_OK) finish_leaves(&gr, leaf_range);
    free(gr.leaves);
    free(gr.scratch);
    free(gr.og);
    free(gr.oh);
    free(gr.free_hist);
    if (st != AIA_OK) gbdt_tree_free(tree);
    return st;
}

double gbdt_tree_value_binned(const aia_tree *t, const gbdt_binned *d, size_t i)
{
    int node = t->n_leaves > 1 ? 0 : ~0;
    while (node >= 0) {
        uint8_t code = d->columns[(size_t)t->feature[node] * d->n_rows + i];
        int left;
        if (code == d->mappers[t->feature[node]].missing_bin) left = t->default_left[node];
        else if (t->is_cat[node]) left = (int)(t->cat_left[4 * (size_t)node + (code >> 6)] >> (code & 63)) & 1;
        else left = code <= t->threshold_bin[node];
        node = left ? t->left[node] : t->right[node];
    }
    return t->leaf_value[~node];
}
