/* lib/ml/forest_internal.h — the random forest's trees and its per-tree
 * grower. Not a public API. */
#ifndef AIA_ML_FOREST_INTERNAL_H
#define AIA_ML_FOREST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/rng.h"
#include "lib/ml/forest.h"
#include "lib/ml/gbdt_internal.h"

#define FOREST_MAX_CLASSES 256

/* One tree: internal nodes with children >= 0 (internal) or < 0 (leaf
 * ~child), as the GBDT's; each leaf holds k_out values. Arrays grow while
 * the tree does. */
typedef struct forest_tree {
    int n_nodes, cap_nodes;
    int n_leaves, cap_leaves;
    int32_t *feature;
    double *threshold;     /* go left when value <= threshold */
    uint8_t *threshold_bin;/* the same on codes */
    uint8_t *default_left; /* where missing values go */
    int32_t *left, *right;
    double *gain;          /* impurity decrease of the split, for importance */
    double *leaf;          /* n_leaves * k_out */
} forest_tree;

struct aia_forest {
    int k_out;         /* 1, or n_classes */
    int classification;
    size_t n_features;
    int n_trees;
    forest_tree *trees;
};

/* What one thread needs to grow trees: the binned data, the labels, and
 * scratch buffers of its own. */
typedef struct forest_grower {
    const aia_forest_params *p;
    const gbdt_binned *data;
    const double *y;
    int k_out, classification;
    int max_features;  /* features tried per split */
    uint32_t *rows;    /* n_rows: the bootstrap sample, permuted while growing */
    uint32_t *scratch; /* n_rows */
    uint32_t *counts;  /* n_rows: how often each row was drawn */
    int *features;     /* n_features, shuffled per split */
    double *hist;      /* max_features * GBDT_HIST_BINS * (k_out + 1) */
    double *sums;      /* k_out: the node's per-channel sums */
} forest_grower;

/* Grows tree number `index` into *t; counts[i] then says how often row i
 * was drawn (0: out of bag). */
aia_status forest_grow_tree(forest_grower *g, uint64_t index, forest_tree *t, aia_error *err);

void forest_tree_free(forest_tree *t);

/* The leaf values of the leaf a row of raw values lands in. */
const double *forest_tree_leaf(const forest_tree *t, int k_out, const double *row);

#endif
