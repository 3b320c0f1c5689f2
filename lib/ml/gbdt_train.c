/* lib/ml/gbdt_train.c — the boosting loop: binning, gradients, one tree per
 * output per round, row and feature subsampling, early stopping. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/gbdt_internal.h"
#include "lib/ml/gbdt_objective.h"

#define MAX_CLASSES 256

void aia_gbdt_params_default(aia_gbdt_params *p)
{
    *p = (aia_gbdt_params){
        .n_rounds = 100,
        .learning_rate = 0.1,
        .max_leaves = 31,
        .max_depth = -1,
        .min_samples_leaf = 20,
        .min_hessian_leaf = 1e-3,
        .row_subsample = 1.0,
        .col_subsample = 1.0,
        .max_bins = 255,
    };
}

static aia_status check_params(const aia_gbdt_params *p, aia_error *err)
{
    if (p->objective < AIA_GBDT_REGRESSION || p->objective > AIA_GBDT_MULTICLASS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "objective: unknown value %d", (int)p->objective);
    if (p->objective == AIA_GBDT_MULTICLASS && (p->n_classes < 3 || p->n_classes > MAX_CLASSES))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "n_classes: must be from 3 to %d for multiclass, got %d",
                             MAX_CLASSES, p->n_classes);
    if (p->n_rounds < 1) return aia_error_set(err, AIA_INVALID_ARGUMENT, "n_rounds: must be at least 1, got %d", p->n_rounds);
    if (!(p->learning_rate > 0 && p->learning_rate <= 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "learning_rate: must be in (0, 1], got %g", p->learning_rate);
    if (p->max_leaves < 2 || p->max_leaves > 131072)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "max_leaves: must be from 2 to 131072, got %d", p->max_leaves);
    if (p->max_depth == 0 || p->max_depth < -1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "max_depth: must be -1 (unlimited) or positive, got %d",
                             p->max_depth);
    if (p->min_samples_leaf < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "min_samples_leaf: must be at least 1, got %d",
                             p->min_samples_leaf);
    if (!(p->min_hessian_leaf >= 0) || !(p->lambda_l2 >= 0) || !(p->min_split_gain >= 0))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "min_hessian_leaf, lambda_l2 and min_split_gain must be >= 0 (got %g, %g, %g)",
                             p->min_hessian_leaf, p->lambda_l2, p->min_split_gain);
    if (!(p->row_subsample > 0 && p->row_subsample <= 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "row_subsample: must be in (0, 1], got %g", p->row_subsample);
    if (!(p->col_subsample > 0 && p->col_subsample <= 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "col_subsample: must be in (0, 1], got %g", p->col_subsample);
    if (p->max_bins < 2 || p->max_bins > AIA_MAX_VALUE_BINS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "max_bins: must be from 2 to %d, got %d", AIA_MAX_VALUE_BINS,
                             p->max_bins);
    if (p->threads < 0 || p->threads > 1024)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "threads: must be from 0 (all CPUs) to 1024, got %d", p->threads);
    if (p->early_stopping_rounds < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "early_stopping_rounds: must be >= 0, got %d",
                             p->early_stopping_rounds);
    return AIA_OK;
}

static aia_status check_data(const aia_gbdt_params *p, const aia_gbdt_data *d, const char *which, aia_error *err)
{
    if (d->x.n_rows == 0 || d->x.n_cols == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s set: has %zu rows and %zu features; needs at least one of each",
                             which, d->x.n_rows, d->x.n_cols);
    if (d->x.n_rows > UINT32_MAX)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s set: %zu rows is more than %u", which, d->x.n_rows,
                             UINT32_MAX);
    int classes = p->objective == AIA_GBDT_BINARY ? 2 : p->n_classes;
    for (size_t i = 0; i < d->x.n_rows; i++) {
        double y = d->y[i];
        if (!isfinite(y)) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s set: label of row %zu is not finite", which, i);
        if (p->objective != AIA_GBDT_REGRESSION && (y != floor(y) || y < 0 || y >= classes))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s set: label of row %zu is %g, not a class index from 0 to %d",
                                 which, i, y, classes - 1);
    }
    return AIA_OK;
}





/* Everything one training run holds. */
typedef struct trainer {
    const aia_gbdt_params *p;
    int k_out;
    gbdt_binned train, valid; /* valid.columns NULL without a validation set */
    const double *y_train, *y_valid;
    double *score, *valid_score; /* k_out * n each */
    double *g, *h;
    uint32_t *rows;      /* this round's rows, permuted by the grower */
    size_t *leaf_range;  /* 2 * max_leaves */
    int *features;       /* this tree's features */
    aia_tree *trees;     /* n_rounds * k_out */
    int n_trees;
    aia_team *team;      /* NULL with one thread */
    hist_bin **hist_pool;/* max_leaves histogram buffers, reused by every tree */
} trainer;

static void trainer_free(trainer *t)
{
    gbdt_binned_free(&t->train, 1);
    gbdt_binned_free(&t->valid, 0);
    free(t->score);
    free(t->valid_score);
    free(t->g);
    free(t->h);
    free(t->rows);
    free(t->leaf_range);
    free(t->features);
    for (int i = 0; t->trees && i < t->n_trees; i++) gbdt_tree_free(&t->trees[i]);
    free(t->trees);
    aia_team_destroy(t->team);
    for (int i = 0; t->hist_pool && i < t->p->max_leaves; i++) free(t->hist_pool[i]);
    free(t->hist_pool);
}

/* One histogram buffer per possible leaf: a tree never holds more. */
static aia_status alloc_hist_pool(trainer *t, aia_error *err)
{
    size_t bins = t->train.n_features * GBDT_HIST_BINS;
    t->hist_pool = calloc((size_t)t->p->max_leaves, sizeof *t->hist_pool);
    for (int i = 0; t->hist_pool && i < t->p->max_leaves; i++)
        if (!(t->hist_pool[i] = malloc(bins * sizeof(hist_bin))))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %d histograms of %zu bins",
                                 t->p->max_leaves, bins);
    if (!t->hist_pool) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for histograms");
    return AIA_OK;
}

static aia_status trainer_init(trainer *t, const aia_gbdt_data *train, const aia_gbdt_data *valid, aia_error *err)
{
    const aia_gbdt_params *p = t->p;
    size_t n = train->x.n_rows, k = (size_t)t->k_out;
    int threads = p->threads ? p->threads : aia_cpu_count();
    if (threads > 1 && aia_team_create(threads, &t->team, err) != AIA_OK) return err->code;
    if (gbdt_bin_matrix(&train->x, train->categorical, p->max_bins, NULL, t->team, &t->train, err) != AIA_OK)
        return err->code;
    if (valid &&
        gbdt_bin_matrix(&valid->x, train->categorical, p->max_bins, t->train.mappers, t->team, &t->valid, err) != AIA_OK)
        return err->code;
    t->y_train = train->y;
    t->y_valid = valid ? valid->y : NULL;
    t->score = malloc(k * n * sizeof *t->score);
    t->valid_score = valid ? malloc(k * valid->x.n_rows * sizeof *t->valid_score) : NULL;
    t->g = malloc(k * n * sizeof *t->g);
    t->h = malloc(k * n * sizeof *t->h);
    t->rows = malloc(n * sizeof *t->rows);
    t->leaf_range = malloc(2 * (size_t)p->max_leaves * sizeof *t->leaf_range);
    t->features = malloc(train->x.n_cols * sizeof *t->features);
    t->trees = calloc((size_t)p->n_rounds * k, sizeof *t->trees);
    if (!t->score || (valid && !t->valid_score) || !t->g || !t->h || !t->rows || !t->leaf_range || !t->features ||
        !t->trees)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for training on %zu rows", n);
    return alloc_hist_pool(t, err);
}

static void fill_scores(double *score, const double *init, int k_out, size_t n)
{
    for (int k = 0; k < k_out; k++)
        for (size_t i = 0; i < n; i++) score[(size_t)k * n + i] = init[k];
}

/* This round's rows: all, or a seeded sample of exactly ceil(row_subsample
 * n) of them, in ascending order (selection sampling, Knuth's algorithm S:
 * each row is taken with probability still-needed / still-left), so the
 * histogram passes read the codes front to back. */
static size_t sample_rows(trainer *t, int round)
{
    size_t n = t->train.n_rows;
    if (t->p->row_subsample >= 1) {
        for (size_t i = 0; i < n; i++) t->rows[i] = (uint32_t)i;
        return n;
    }
    size_t want = (size_t)ceil(t->p->row_subsample * (double)n), m = 0;
    aia_rng rng;
    aia_rng_derive(&rng, t->p->seed, 2 * (uint64_t)round);
    for (size_t i = 0; i < n && m < want; i++)
        if (aia_rng_below(&rng, n - i) < want - m) t->rows[m++] = (uint32_t)i;
    return m;
}

/* This tree's features: all, or a seeded sample of col_subsample of them. */
static int sample_features(trainer *t, int round, int k)
{
    int nf = (int)t->train.n_features;
    for (int f = 0; f < nf; f++) t->features[f] = f;
    if (t->p->col_subsample >= 1) return nf;
    int m = (int)ceil(t->p->col_subsample * nf);
    aia_rng rng;
    aia_rng_derive(&rng, t->p->seed, 2 * ((uint64_t)round * (uint64_t)t->k_out + (uint64_t)k) + 1);
    aia_rng_shuffle(&rng, t->features, (size_t)nf, sizeof *t->features);
    return m;
}

/* Adds the new tree's values to the scores of output k: through the leaf
 * ranges for the rows it was grown on, by walking it for the others. */
static void add_tree(trainer *t, const aia_tree *tree, int k, size_t n_sampled)
{
    size_t n = t->train.n_rows;
    double *score = t->score + (size_t)k * n;
    if (n_sampled == n) {
        for (int l = 0; l < tree->n_leaves; l++)
            for (size_t r = t->leaf_range[2 * l]; r < t->leaf_range[2 * l + 1]; r++)
                score[t->rows[r]] += tree->leaf_value[l];
    } else {
        for (size_t i = 0; i < n; i++) score[i] += gbdt_tree_value_binned(tree, &t->train, i);
    }
    if (!t->valid.columns) return;
    double *vs = t->valid_score + (size_t)k * t->valid.n_rows;
    for (size_t i = 0; i < t->valid.n_rows; i++) vs[i] += gbdt_tree_value_binned(tree, &t->valid, i);
}

static void gradients_part(void *arg, int part, int n_parts)
{
    const trainer *t = arg;
    size_t n = t->train.n_rows;
    gbdt_gradients(t->p->objective, t->k_out, t->y_train, t->score, n, n * (size_t)part / (size_t)n_parts,
                   n * (size_t)(part + 1) / (size_t)n_parts, t->g, t->h);
}

/* Gradients are per row (exp and a division each for log loss): split the
 * rows over the team. Each row's result is the same whoever computes it. */
static void compute_gradients(trainer *t)
{
    if (t->team) aia_team_run(t->team, gradients_part, t);
    else gradients_part(t, 0, 1);
}

static aia_status boost_round(trainer *t, int round, aia_error *err)
{
    size_t n = t->train.n_rows;
    compute_gradients(t);
    size_t m = sample_rows(t, round);
    for (int k = 0; k < t->k_out; k++) {
        int nf = sample_features(t, round, k);
        gbdt_grow_args a = {t->p, &t->train, t->g + (size_t)k * n, t->h + (size_t)k * n, t->rows, m,
                            t->features, nf, t->team, t->hist_pool};
        aia_tree *tree = &t->trees[t->n_trees];
        if (gbdt_grow_tree(&a, tree, t->leaf_range, err) != AIA_OK) return err->code;
        t->n_trees++;
        add_tree(t, tree, k, m);
    }
    return AIA_OK;
}

/* Moves the first `rounds` rounds of trees into a model; frees the rest. */
static aia_gbdt_model *make_model(trainer *t, const double *init, int rounds)
{
    aia_gbdt_model *m = calloc(1, sizeof *m);
    double *init_copy = malloc((size_t)t->k_out * sizeof *init_copy);
    if (!m || !init_copy) {
        free(m);
        free(init_copy);
        return NULL;
    }
    memcpy(init_copy, init, (size_t)t->k_out * sizeof *init_copy);
    int keep = rounds * t->k_out;
    for (int i = keep; i < t->n_trees; i++) gbdt_tree_free(&t->trees[i]);
    for (int i = 0; i < keep; i++)
        if (gbdt_tree_pack(&t->trees[i]) != 0) {
            t->n_trees = keep; /* trainer_free frees the kept trees */
            free(m);
            free(init_copy);
            return NULL;
        }
    *m = (aia_gbdt_model){t->p->objective, t->k_out, t->train.n_features, rounds, init_copy, t->trees};
    t->trees = NULL;
    t->n_trees = 0;
    return m;
}

/* Runs the rounds; *kept is how many rounds the model keeps. */
static aia_status run_rounds(trainer *t, aia_gbdt_progress_fn progress, void *arg, int *kept, aia_error *err)
{
    const aia_gbdt_params *p = t->p;
    double best = INFINITY;
    int best_round = -1;
    for (int r = 0; r < p->n_rounds; r++) {
        if (boost_round(t, r, err) != AIA_OK) return err->code;
        /* The training loss is only for the progress report: skip its
         * exp/log pass over every row when nobody listens. */
        double train_loss = progress ? gbdt_loss(p->objective, t->k_out, t->y_train, t->score, t->train.n_rows) : NAN;
        double valid_loss = t->valid.columns ? gbdt_loss(p->objective, t->k_out, t->y_valid, t->valid_score,
                                                       t->valid.n_rows)
                                           : NAN;
        *kept = r + 1;
        if (valid_loss < best) {
            best = valid_loss;
            best_round = r;
        }
        if (progress && progress(arg, r, train_loss, valid_loss)) break;
        if (p->early_stopping_rounds > 0 && t->valid.columns && r - best_round >= p->early_stopping_rounds) break;
    }
    if (p->early_stopping_rounds > 0 && t->valid.columns && best_round >= 0) *kept = best_round + 1;
    return AIA_OK;
}

aia_status aia_gbdt_train(const aia_gbdt_params *params, const aia_gbdt_data *train, const aia_gbdt_data *valid,
                          aia_gbdt_progress_fn progress, void *progress_arg, aia_gbdt_model **out, aia_error *err)
{
    *out = NULL;
    if (check_params(params, err) != AIA_OK || check_data(params, train, "training", err) != AIA_OK) return err->code;
    if (valid && check_data(params, valid, "validation", err) != AIA_OK) return err->code;
    if (valid && valid->x.n_cols != train->x.n_cols)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "validation set: has %zu features, the training set %zu",
                             valid->x.n_cols, train->x.n_cols);
    trainer t = {.p = params, .k_out = params->objective == AIA_GBDT_MULTICLASS ? params->n_classes : 1};
    double init[MAX_CLASSES];
    int kept = 0;
    aia_status st = trainer_init(&t, train, valid, err);
    if (st == AIA_OK) {
        gbdt_init_score(params->objective, t.k_out, train->y, train->x.n_rows, init);
        fill_scores(t.score, init, t.k_out, train->x.n_rows);
        if (valid) fill_scores(t.valid_score, init, t.k_out, valid->x.n_rows);
        st = run_rounds(&t, progress, progress_arg, &kept, err);
    }
    if (st == AIA_OK) {
        *out = make_model(&t, init, kept);
        if (!*out) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for the model");
    }
    trainer_free(&t);
    return st;
}
