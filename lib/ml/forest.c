/* lib/ml/forest.c — training a random forest: binning once, trees spread
 * over a thread team (tree t on part t mod threads, each thread with its
 * own scratch), the out-of-bag estimate, prediction and importance. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/team.h"
#include "lib/ml/forest_internal.h"

void aia_forest_params_default(aia_forest_params *p)
{
    *p = (aia_forest_params){
        .n_trees = 100, .max_depth = -1, .min_samples_leaf = 1, .min_samples_split = 2, .bootstrap = 1, .max_bins = 255,
    };
}

static aia_status check_params(const aia_forest_params *p, aia_error *err)
{
    if (p->n_classes < 0 || p->n_classes == 1 || p->n_classes > FOREST_MAX_CLASSES)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "n_classes: must be 0 (regression) or 2 to %d, got %d",
                             FOREST_MAX_CLASSES, p->n_classes);
    if (p->n_trees < 1) return aia_error_set(err, AIA_INVALID_ARGUMENT, "n_trees: must be at least 1, got %d", p->n_trees);
    if (p->max_depth == 0 || p->max_depth < -1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "max_depth: must be -1 (unlimited) or positive, got %d", p->max_depth);
    if (p->min_samples_leaf < 1 || p->min_samples_split < 2)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "min_samples_leaf must be >= 1 and min_samples_split >= 2 (got %d, %d)", p->min_samples_leaf,
                             p->min_samples_split);
    if (!(p->max_features >= 0 && p->max_features <= 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "max_features: must be in (0, 1], or 0 for the default, got %g",
                             p->max_features);
    if (p->max_bins < 2 || p->max_bins > AIA_MAX_VALUE_BINS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "max_bins: must be from 2 to %d, got %d", AIA_MAX_VALUE_BINS, p->max_bins);
    if (p->threads < 0 || p->threads > 1024)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "threads: must be from 0 (all CPUs) to 1024, got %d", p->threads);
    return AIA_OK;
}

static aia_status check_data(const aia_forest_params *p, const aia_matrix *x, const double *y, aia_error *err)
{
    if (x->n_rows < 2 || x->n_cols == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "training set: has %zu rows and %zu features; needs 2 rows and a feature",
                             x->n_rows, x->n_cols);
    if (x->n_rows > UINT32_MAX)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "training set: %zu rows is more than %u", x->n_rows, UINT32_MAX);
    for (size_t i = 0; i < x->n_rows; i++) {
        if (!isfinite(y[i])) return aia_error_set(err, AIA_INVALID_ARGUMENT, "label of row %zu is not finite", i);
        if (p->n_classes && (y[i] != floor(y[i]) || y[i] < 0 || y[i] >= p->n_classes))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "label of row %zu is %g, not a class index from 0 to %d", i,
                                 y[i], p->n_classes - 1);
    }
    return AIA_OK;
}

static int features_per_split(const aia_forest_params *p, size_t nf)
{
    double frac = p->max_features > 0 ? p->max_features : 0;
    int m = frac > 0 ? (int)ceil(frac * (double)nf) : p->n_classes ? (int)floor(sqrt((double)nf)) : (int)nf;
    return m < 1 ? 1 : m > (int)nf ? (int)nf : m;
}

/* Everything a training run shares, and one grower per thread. */
typedef struct trainer {
    const aia_forest_params *p;
    const double *y;
    gbdt_binned data;
    aia_forest *forest;
    int threads;
    forest_grower *growers;
    double **oob_sum;   /* per thread, n_rows * k_out */
    uint32_t **oob_n;   /* per thread, n_rows */
    aia_status *status; /* per thread */
    aia_error *errors;  /* per thread */
} trainer;

static int alloc_grower(trainer *tr, forest_grower *g, int part)
{
    size_t n = tr->data.n_rows, nf = tr->data.n_features, k = (size_t)tr->forest->k_out;
    *g = (forest_grower){.p = tr->p, .data = &tr->data, .y = tr->y, .k_out = (int)k,
                         .classification = tr->forest->classification, .max_features = features_per_split(tr->p, nf)};
    g->rows = malloc(n * sizeof *g->rows);
    g->scratch = malloc(n * sizeof *g->scratch);
    g->counts = malloc(n * sizeof *g->counts);
    g->features = malloc(nf * sizeof *g->features);
    g->hist = malloc((size_t)g->max_features * GBDT_HIST_BINS * (k + 1) * sizeof *g->hist);
    g->sums = malloc(k * sizeof *g->sums);
    tr->oob_sum[part] = calloc(n * k, sizeof **tr->oob_sum);
    tr->oob_n[part] = calloc(n, sizeof **tr->oob_n);
    if (!g->rows || !g->scratch || !g->counts || !g->features || !g->hist || !g->sums || !tr->oob_sum[part] ||
        !tr->oob_n[part])
        return -1;
    return 0;
}

static void free_grower(forest_grower *g)
{
    free(g->rows);
    free(g->scratch);
    free(g->counts);
    free(g->features);
    free(g->hist);
    free(g->sums);
}

/* Adds tree t's votes for the rows it did not draw. */
static void add_oob(trainer *tr, int part, const forest_tree *t, const aia_matrix *x)
{
    const forest_grower *g = &tr->growers[part];
    size_t k = (size_t)g->k_out;
    double row[1024];
    if (x->n_cols > 1024) return; /* the estimate is skipped for very wide data */
    for (size_t i = 0; i < x->n_rows; i++) {
        if (g->counts[i]) continue;
        for (size_t f = 0; f < x->n_cols; f++) row[f] = x->col[f][i];
        const double *v = forest_tree_leaf(t, (int)k, row);
        for (size_t c = 0; c < k; c++) tr->oob_sum[part][i * k + c] += v[c];
        tr->oob_n[part][i]++;
    }
}

typedef struct run_arg {
    trainer *tr;
    const aia_matrix *x;
} run_arg;

static void grow_part(void *arg, int part, int n_parts)
{
    run_arg *ra = arg;
    trainer *tr = ra->tr;
    for (int t = part; t < tr->forest->n_trees && tr->status[part] == AIA_OK; t += n_parts) {
        tr->status[part] = forest_grow_tree(&tr->growers[part], (uint64_t)t, &tr->forest->trees[t], &tr->errors[part]);
        if (tr->status[part] == AIA_OK && tr->p->bootstrap) add_oob(tr, part, &tr->forest->trees[t], ra->x);
    }
}

/* Accuracy or R^2 over the rows some tree left out; NaN when none was. */
static double oob_score(const trainer *tr)
{
    size_t n = tr->data.n_rows, k = (size_t)tr->forest->k_out, used = 0, hit = 0;
    double sse = 0, mean = 0, sst = 0, *avg = malloc(k * sizeof *avg);
    if (!avg) return NAN;
    for (size_t i = 0; i < n; i++) {
        uint32_t votes = 0;
        for (int p = 0; p < tr->threads; p++) votes += tr->oob_n[p][i];
        if (!votes) continue;
        for (size_t c = 0; c < k; c++) {
            avg[c] = 0;
            for (int p = 0; p < tr->threads; p++) avg[c] += tr->oob_sum[p][i * k + c];
            avg[c] /= votes;
        }
        used++;
        if (tr->forest->classification) {
            size_t best = 0;
            for (size_t c = 1; c < k; c++)
                if (avg[c] > avg[best]) best = c;
            hit += best == (size_t)tr->y[i];
        } else {
            sse += (avg[0] - tr->y[i]) * (avg[0] - tr->y[i]);
            mean += tr->y[i];
        }
    }
    double result = NAN;
    if (used && tr->forest->classification) result = (double)hit / (double)used;
    if (used && !tr->forest->classification) {
        mean /= (double)used;
        for (size_t i = 0; i < n; i++) {
            uint32_t votes = 0;
            for (int p = 0; p < tr->threads; p++) votes += tr->oob_n[p][i];
            if (votes) sst += (tr->y[i] - mean) * (tr->y[i] - mean);
        }
        result = sst > 0 ? 1 - sse / sst : NAN;
    }
    free(avg);
    return result;
}

static void trainer_free(trainer *tr)
{
    for (int p = 0; tr->growers && p < tr->threads; p++) {
        free_grower(&tr->growers[p]);
        free(tr->oob_sum[p]);
        free(tr->oob_n[p]);
    }
    free(tr->growers);
    free(tr->oob_sum);
    free(tr->oob_n);
    free(tr->status);
    free(tr->errors);
    gbdt_binned_free(&tr->data, 1);
}

static aia_status trainer_init(trainer *tr, const aia_matrix *x, aia_error *err)
{
    int threads = tr->p->threads ? tr->p->threads : aia_cpu_count();
    tr->threads = threads < tr->p->n_trees ? threads : tr->p->n_trees;
    if (gbdt_bin_matrix(x, NULL, tr->p->max_bins, NULL, NULL, &tr->data, err) != AIA_OK) return err->code;
    tr->growers = calloc((size_t)tr->threads, sizeof *tr->growers);
    tr->oob_sum = calloc((size_t)tr->threads, sizeof *tr->oob_sum);
    tr->oob_n = calloc((size_t)tr->threads, sizeof *tr->oob_n);
    tr->status = calloc((size_t)tr->threads, sizeof *tr->status);
    tr->errors = calloc((size_t)tr->threads, sizeof *tr->errors);
    if (!tr->growers || !tr->oob_sum || !tr->oob_n || !tr->status || !tr->errors)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for the forest's threads");
    for (int p = 0; p < tr->threads; p++)
        if (alloc_grower(tr, &tr->growers[p], p))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for the forest's scratch buffers");
    return AIA_OK;
}

static aia_status grow_all(trainer *tr, const aia_matrix *x, aia_error *err)
{
    aia_team *team = NULL;
    if (tr->threads > 1 && aia_team_create(tr->threads, &team, err) != AIA_OK) return err->code;
    run_arg ra = {tr, x};
    if (team) aia_team_run(team, grow_part, &ra);
    else grow_part(&ra, 0, 1);
    aia_team_destroy(team);
    for (int p = 0; p < tr->threads; p++)
        if (tr->status[p] != AIA_OK) {
            *err = tr->errors[p];
            return tr->status[p];
        }
    return AIA_OK;
}

aia_status aia_forest_train(const aia_forest_params *params, const aia_matrix *x, const double *y, double *oob,
                            aia_forest **out, aia_error *err)
{
    *out = NULL;
    if (oob) *oob = NAN;
    if (check_params(params, err) != AIA_OK || check_data(params, x, y, err) != AIA_OK) return err->code;
    aia_forest *f = calloc(1, sizeof *f);
    if (f) f->trees = calloc((size_t)params->n_trees, sizeof *f->trees);
    if (!f || !f->trees) {
        free(f);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %d trees", params->n_trees);
    }
    *f = (aia_forest){.k_out = params->n_classes ? params->n_classes : 1, .classification = params->n_classes > 0,
                      .n_features = x->n_cols, .n_trees = params->n_trees, .trees = f->trees};
    trainer tr = {.p = params, .y = y, .forest = f};
    aia_status st = trainer_init(&tr, x, err);
    if (st == AIA_OK) st = grow_all(&tr, x, err);
    if (st == AIA_OK && oob && params->bootstrap) *oob = oob_score(&tr);
    trainer_free(&tr);
    if (st != AIA_OK) {
        aia_forest_free(f);
        return st;
    }
    *out = f;
    return AIA_OK;
}

void aia_forest_free(aia_forest *f)
{
    if (!f) return;
    for (int t = 0; t < f->n_trees; t++) forest_tree_free(&f->trees[t]);
    free(f->trees);
    free(f);
}

int aia_forest_n_outputs(const aia_forest *f)
{
    return f->k_out;
}

size_t aia_forest_n_features(const aia_forest *f)
{
    return f->n_features;
}

int aia_forest_n_trees(const aia_forest *f)
{
    return f->n_trees;
}

void aia_forest_predict(const aia_forest *f, const double *row, double *out)
{
    for (int k = 0; k < f->k_out; k++) out[k] = 0;
    for (int t = 0; t < f->n_trees; t++) {
        const double *v = forest_tree_leaf(&f->trees[t], f->k_out, row);
        for (int k = 0; k < f->k_out; k++) out[k] += v[k];
    }
    for (int k = 0; k < f->k_out; k++) out[k] /= f->n_trees;
}

aia_status aia_forest_predict_batch(const aia_forest *f, const aia_matrix *x, double *out, aia_error *err)
{
    if (x->n_cols != f->n_features)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "the rows have %zu features, the forest was trained on %zu",
                             x->n_cols, f->n_features);
    double *row = malloc(f->n_features * sizeof *row); /* the call's only allocation */
    if (!row) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for a prediction row");
    for (size_t i = 0; i < x->n_rows; i++) {
        for (size_t c = 0; c < f->n_features; c++) row[c] = x->col[c][i];
        aia_forest_predict(f, row, out + i * (size_t)f->k_out);
    }
    free(row);
    return AIA_OK;
}

void aia_forest_importance(const aia_forest *f, double *gain, int64_t *splits)
{
    if (gain) memset(gain, 0, f->n_features * sizeof *gain);
    if (splits) memset(splits, 0, f->n_features * sizeof *splits);
    for (int t = 0; t < f->n_trees; t++) {
        const forest_tree *tr = &f->trees[t];
        double total = 0;
        for (int n = 0; n < tr->n_nodes; n++) total += tr->gain[n];
        for (int n = 0; n < tr->n_nodes; n++) {
            if (gain && total > 0) gain[tr->feature[n]] += tr->gain[n] / total / f->n_trees; /* each tree sums to 1 */
            if (splits) splits[tr->feature[n]]++;
        }
    }
}
