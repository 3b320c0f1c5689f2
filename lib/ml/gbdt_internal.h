/* lib/ml/gbdt_internal.h — the GBDT's data structures, shared by its
 * training, growing and prediction files. Not a public API. */
#ifndef AIA_ML_GBDT_INTERNAL_H
#define AIA_ML_GBDT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/rng.h"
#include "lib/base/team.h"
#include "lib/ml/binning.h"
#include "lib/ml/gbdt.h"

/* One internal node as prediction reads it: everything a step needs in
 * 24 bytes, one cache line for a few nodes, instead of six arrays. */
typedef struct gbdt_node {
    double threshold;      /* go left when value <= threshold */
    int32_t feature;
    int32_t left, right;   /* >= 0 internal, < 0 leaf ~child */
    uint8_t default_left;  /* where NaN goes */
    uint8_t is_cat;        /* categorical: left when the code's bit is set in cat_left */
} gbdt_node;

/* One tree, flattened for prediction: internal nodes 0..n_leaves-2, with
 * children >= 0 naming internal nodes and < 0 naming leaf ~child. A tree
 * of one leaf has no internal node. */
typedef struct aia_tree {
    int n_leaves;
    int32_t *feature;      /* per internal node */
    double *threshold;     /* go left when value <= threshold */
    uint8_t *threshold_bin;/* the same split on bin codes */
    uint8_t *default_left; /* where missing values go */
    uint8_t *is_cat;       /* a categorical split: left when the code's bit is set */
    uint64_t *cat_left;    /* 4 words (256 bits) per internal node */
    int32_t *left, *right;
    double *gain;          /* per internal node, for importance */
    double *leaf_value;    /* per leaf, learning rate applied */
    gbdt_node *nodes;      /* the packed copy prediction walks (gbdt_tree_pack) */
} aia_tree;

struct aia_gbdt_model {
    aia_gbdt_objective objective;
    int n_outputs;     /* 1, or n_classes */
    size_t n_features;
    int n_rounds;      /* rounds kept */
    double *init_score;/* per output */
    aia_tree *trees;   /* n_rounds * n_outputs; round r, output k at r * n_outputs + k */
};

/* The binned data, column-major: one feature's 256-bin table stays in L1
 * while a leaf's rows stream through its column (LightGBM's "col-wise"
 * mode; measured on 1M x 28 with 2 threads: 20-22 s against 23 s with
 * row-major codes). Tree walks and the forest read the same columns. One
 * mapper per feature. */
typedef struct gbdt_binned {
    size_t n_rows, n_features;
    uint8_t *columns;        /* columns[f * n_rows + i]: feature f of row i */
    aia_bin_mapper *mappers; /* n_features */
} gbdt_binned;

/* Codes x into *out with `mappers`, or learns the mappers from x first
 * when it is NULL (categorical[f] non-zero: feature f holds category codes
 * 0..254, checked), features spread over `team` (may be NULL). Errors name
 * the feature and the row (the lowest failing feature's, whatever the
 * thread count). */
aia_status gbdt_bin_matrix(const aia_matrix *x, const uint8_t *categorical, int max_bins, aia_bin_mapper *mappers,
                           aia_team *team, gbdt_binned *out, aia_error *err);

/* Frees the columns, and the mappers when own_mappers. */
void gbdt_binned_free(gbdt_binned *b, int own_mappers);

/* Per-bin gradient statistics of one feature. */
typedef struct hist_bin {
    double g, h;
    int64_t n;
} hist_bin;

#define GBDT_HIST_BINS 256 /* 255 value bins + the missing bin */

/* What growing one tree needs: the binned data, the gradients and
 * hessians of every row, the rows of this round (rows[0..n_rows), a working
 * array the grower permutes) and the features this tree may split on. */
typedef struct gbdt_grow_args {
    const aia_gbdt_params *params;
    const gbdt_binned *data;
    const double *g, *h;
    uint32_t *rows;
    size_t n_rows;
    const int *features;
    int n_feat;
    aia_team *team; /* NULL: one thread */
    /* max_leaves histogram buffers of n_features * GBDT_HIST_BINS bins,
     * owned by the caller and reused from tree to tree: allocating (and
     * zeroing) them per leaf cost more than building them on small data. */
    hist_bin **hist_pool;
} gbdt_grow_args;

/* Grows one tree into `tree`. On return leaf l owns rows[leaf_range[2 l] ..
 * leaf_range[2 l + 1]) (leaf_range has 2 * max_leaves entries), so the
 * caller adds leaf values to the training scores without walking the tree. */
aia_status gbdt_grow_tree(const gbdt_grow_args *a, aia_tree *tree, size_t *leaf_range, aia_error *err);

void gbdt_tree_free(aia_tree *t);

/* Builds t->nodes from the node arrays; -1 when out of memory. Every tree
 * of a model is packed before the model is handed out. */
int gbdt_tree_pack(aia_tree *t);

/* Walks a tree on bin codes of row i of a binned set. */
double gbdt_tree_value_binned(const aia_tree *t, const gbdt_binned *d, size_t i);

#endif
