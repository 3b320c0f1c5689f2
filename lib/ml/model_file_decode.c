/* lib/ml/model_file_decode.c — a ModelFile message back into a model,
 * trusting nothing: every count, index and value that prediction relies on
 * is checked, so a corrupt or hostile file is refused, never walked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/forest_internal.h"
#include "lib/ml/gbdt_internal.h"
#include "lib/ml/model_file_internal.h"
#include "lib/ml/model_internal.h"

#define MAX_TREE_NODES (1 << 24)

static aia_status bad(aia_error *err, const char *what, size_t index, const char *why)
{
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: %s %zu: %s", what, index, why);
}

/* ---- trees ---------------------------------------------------------------------------- */

/* The node structure common to both tree kinds: n_leaves - 1 nodes (GBDT)
 * or any count (forest) with consistent arrays, children pointing forward
 * or at a leaf, features below n_features. */
static aia_status check_nodes(const Aia__Engine__V1__Tree *t, size_t n_nodes, size_t n_features, size_t tree,
                              aia_error *err)
{
    if (t->n_leaves < 1 || (size_t)t->n_leaves > MAX_TREE_NODES) return bad(err, "tree", tree, "leaf count out of range");
    if (t->n_feature != n_nodes || t->n_threshold != n_nodes || t->n_left != n_nodes || t->n_right != n_nodes ||
        t->n_gain != n_nodes || t->default_left.len != n_nodes)
        return bad(err, "tree", tree, "node arrays of different lengths");
    for (size_t i = 0; i < n_nodes; i++) {
        if (t->feature[i] < 0 || (size_t)t->feature[i] >= n_features) return bad(err, "tree", tree, "feature index out of range");
        if (isnan(t->threshold[i]) && !(t->is_categorical.len == n_nodes && t->is_categorical.data[i]))
            return bad(err, "tree", tree, "a numeric split without a threshold");
        int32_t kids[2] = {t->left[i], t->right[i]};
        for (int k = 0; k < 2; k++) {
            int32_t c = kids[k];
            if (c >= 0 ? (size_t)c <= i || (size_t)c >= n_nodes : ~c >= t->n_leaves)
                return bad(err, "tree", tree, "a child index out of range or pointing backwards");
        }
    }
    return AIA_OK;
}

static void *dup(const void *p, size_t n, size_t elem)
{
    void *q = malloc(n ? n * elem : 1);
    if (q && n) memcpy(q, p, n * elem);
    return q;
}

static aia_status decode_gbdt_tree(const Aia__Engine__V1__Tree *t, size_t n_features, size_t index, aia_tree *out,
                                   aia_error *err)
{
    size_t nodes = t->n_leaves > 0 ? (size_t)t->n_leaves - 1 : 0;
    if (check_nodes(t, nodes, n_features, index, err) != AIA_OK) return err->code;
    if (t->is_categorical.len != nodes || t->n_categories_left != 4 * nodes || t->n_leaf_value != (size_t)t->n_leaves)
        return bad(err, "tree", index, "categorical or leaf arrays of the wrong length");
    *out = (aia_tree){.n_leaves = t->n_leaves};
    out->feature = dup(t->feature, nodes, sizeof *t->feature);
    out->threshold = dup(t->threshold, nodes, sizeof *t->threshold);
    out->threshold_bin = calloc(nodes ? nodes : 1, 1); /* training-only; prediction uses thresholds */
    out->default_left = dup(t->default_left.data, nodes, 1);
    out->is_cat = dup(t->is_categorical.data, nodes, 1);
    out->cat_left = dup(t->categories_left, 4 * nodes, sizeof *t->categories_left);
    out->left = dup(t->left, nodes, sizeof *t->left);
    out->right = dup(t->right, nodes, sizeof *t->right);
    out->gain = dup(t->gain, nodes, sizeof *t->gain);
    out->leaf_value = dup(t->leaf_value, (size_t)t->n_leaves, sizeof *t->leaf_value);
    if (!out->feature || !out->threshold || !out->threshold_bin || !out->default_left || !out->is_cat ||
        !out->cat_left || !out->left || !out->right || !out->gain || !out->leaf_value || gbdt_tree_pack(out) != 0)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory loading tree %zu", index);
    return AIA_OK;
}

static aia_status decode_gbdt(const Aia__Engine__V1__GbdtModel *g, aia_gbdt_model **out, aia_error *err)
{
    if (g->objective < AIA_GBDT_REGRESSION || g->objective > AIA_GBDT_MULTICLASS || g->n_outputs < 1 ||
        g->n_outputs > 256 || g->n_rounds < 1 || g->n_features < 1 || g->n_init_score != (size_t)g->n_outputs ||
        g->n_trees != (size_t)g->n_rounds * (size_t)g->n_outputs)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: inconsistent GBDT header (objective %d, %d outputs, %d rounds, %zu trees)",
                             g->objective, g->n_outputs, g->n_rounds, g->n_trees);
    aia_gbdt_model *m = calloc(1, sizeof *m);
    if (m) m->trees = calloc(g->n_trees, sizeof *m->trees);
    if (m) m->init_score = dup(g->init_score, g->n_init_score, sizeof *g->init_score);
    if (!m || !m->trees || !m->init_score) {
        aia_gbdt_free(m); /* n_rounds is still 0: frees the arrays, no tree */
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory loading the GBDT");
    }
    m->objective = (aia_gbdt_objective)g->objective;
    m->n_outputs = g->n_outputs;
    m->n_features = g->n_features;
    m->n_rounds = g->n_rounds;
    for (size_t i = 0; i < g->n_trees; i++)
        if (decode_gbdt_tree(g->trees[i], g->n_features, i, &m->trees[i], err) != AIA_OK) {
            aia_gbdt_free(m); /* frees the trees decoded so far; the rest are zeroed */
            return err->code;
        }
    *out = m;
    return AIA_OK;
}

static aia_status decode_forest_tree(const Aia__Engine__V1__Tree *t, size_t n_features, int k_out, size_t index,
                                     forest_tree *out, aia_error *err)
{
    size_t nodes = t->n_feature;
    if (check_nodes(t, nodes, n_features, index, err) != AIA_OK) return err->code;
    if (nodes + 1 != (size_t)t->n_leaves || t->n_leaf_value != (size_t)t->n_leaves * (size_t)k_out)
        return bad(err, "tree", index, "leaf count does not match its nodes and outputs");
    *out = (forest_tree){.n_nodes = (int)nodes, .cap_nodes = (int)nodes, .n_leaves = t->n_leaves, .cap_leaves = t->n_leaves};
    out->feature = dup(t->feature, nodes, sizeof *t->feature);
    out->threshold = dup(t->threshold, nodes, sizeof *t->threshold);
    out->threshold_bin = calloc(nodes ? nodes : 1, 1);
    out->default_left = dup(t->default_left.data, nodes, 1);
    out->left = dup(t->left, nodes, sizeof *t->left);
    out->right = dup(t->right, nodes, sizeof *t->right);
    out->gain = dup(t->gain, nodes, sizeof *t->gain);
    out->leaf = dup(t->leaf_value, t->n_leaf_value, sizeof *t->leaf_value);
    if (!out->feature || !out->threshold || !out->threshold_bin || !out->default_left || !out->left || !out->right ||
        !out->gain || !out->leaf)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory loading tree %zu", index);
    return AIA_OK;
}

static aia_status decode_forest(const Aia__Engine__V1__ForestModel *f, aia_forest **out, aia_error *err)
{
    if (f->n_outputs < 1 || f->n_outputs > FOREST_MAX_CLASSES || f->n_features < 1 || f->n_trees < 1 ||
        f->n_trees > INT32_MAX || (!f->classification && f->n_outputs != 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: inconsistent forest header (%d outputs, %zu trees)",
                             f->n_outputs, f->n_trees);
    aia_forest *m = calloc(1, sizeof *m);
    if (m) m->trees = calloc(f->n_trees, sizeof *m->trees);
    if (!m || !m->trees) {
        free(m);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory loading the forest");
    }
    *m = (aia_forest){f->n_outputs, f->classification, f->n_features, (int)f->n_trees, m->trees};
    for (size_t i = 0; i < f->n_trees; i++)
        if (decode_forest_tree(f->trees[i], f->n_features, f->n_outputs, i, &m->trees[i], err) != AIA_OK) {
            aia_forest_free(m);
            return err->code;
        }
    *out = m;
    return AIA_OK;
}

static aia_status decode_linear(const Aia__Engine__V1__LinearModel *l, aia_linear_model **out, aia_error *err)
{
    int outs = l->kind == AIA_LINEAR_LOGISTIC && l->n_classes > 2 ? l->n_classes : 1;
    if (l->n_features < 1 || l->n_coef != (size_t)outs * l->n_features || l->n_intercept != (size_t)outs)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: linear model arrays do not match %d outputs of %llu features",
                             outs, (unsigned long long)l->n_features);
    if (aia_linear_from_coef((aia_linear_kind)l->kind, l->n_classes, l->n_features, l->coef, l->intercept, NULL, out,
                             err) != AIA_OK) {
        aia_error_prefix(err, "model file");
        return err->code;
    }
    return AIA_OK;
}

/* ---- the whole model ---------------------------------------------------------------------- */

static aia_status decode_preprocess(const Aia__Engine__V1__ModelFile *msg, aia_preprocess **out, aia_error *err)
{
    aia_preprocess_column *cols = calloc(msg->n_preprocess ? msg->n_preprocess : 1, sizeof *cols);
    if (!cols) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory loading the preprocessing");
    for (size_t i = 0; i < msg->n_preprocess; i++) {
        const Aia__Engine__V1__PreprocessColumn *c = msg->preprocess[i];
        cols[i] = (aia_preprocess_column){c->name, (aia_preprocess_kind)c->kind, (aia_preprocess_impute)c->impute,
                                          c->fill, c->standardize, c->mean, c->scale, c->missing_indicator,
                                          c->n_categories, (const char *const *)c->categories};
    }
    aia_status st = aia_preprocess_restore(cols, msg->n_preprocess, out, err);
    free(cols);
    if (st != AIA_OK) aia_error_prefix(err, "model file");
    return st;
}

static aia_status decode_labels(const Aia__Engine__V1__ModelFile *msg, aia_model *m, aia_error *err)
{
    if (m->task == AIA_TASK_REGRESSION) {
        if (msg->n_class_labels) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: a regression model with class labels");
        return AIA_OK;
    }
    if (msg->n_class_labels < 2 || msg->n_class_labels > 256)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: a classifier needs 2 to 256 class labels, has %zu",
                             msg->n_class_labels);
    m->labels = calloc(msg->n_class_labels, sizeof *m->labels);
    if (!m->labels) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory loading class labels");
    m->n_labels = msg->n_class_labels;
    for (size_t i = 0; i < msg->n_class_labels; i++)
        if (!(m->labels[i] = strdup(msg->class_labels[i])))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory loading class labels");
    return AIA_OK;
}

static aia_status decode_learner(const Aia__Engine__V1__ModelFile *msg, aia_model *m, aia_error *err)
{
    int present = (msg->gbdt != NULL) + (msg->forest != NULL) + (msg->linear != NULL);
    if (present != 1) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: holds %d learners, needs exactly one", present);
    switch (m->algorithm) {
    case AIA_ALGO_GBDT:
        if (!msg->gbdt) break;
        return decode_gbdt(msg->gbdt, &m->gbdt, err);
    case AIA_ALGO_RANDOM_FOREST:
        if (!msg->forest) break;
        return decode_forest(msg->forest, &m->forest, err);
    case AIA_ALGO_LOGISTIC_REGRESSION:
    case AIA_ALGO_LINEAR_REGRESSION:
        if (!msg->linear || (msg->linear->kind == AIA_LINEAR_LOGISTIC) != (m->algorithm == AIA_ALGO_LOGISTIC_REGRESSION)) break;
        return decode_linear(msg->linear, &m->linear, err);
    }
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: the learner does not match algorithm %s",
                         aia_algorithm_name(m->algorithm));
}

/* The learner must read what the preprocessing writes, and give what the
 * task needs. */
static aia_status check_shapes(const aia_model *m, aia_error *err)
{
    size_t want = aia_preprocess_n_outputs(m->pre), have;
    int outs;
    if (m->gbdt) have = aia_gbdt_n_features(m->gbdt), outs = aia_gbdt_n_outputs(m->gbdt);
    else if (m->forest) have = aia_forest_n_features(m->forest), outs = aia_forest_n_outputs(m->forest);
    else have = aia_linear_n_features(m->linear), outs = aia_linear_n_outputs(m->linear);
    if (have != want)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: the learner reads %zu features, the preprocessing writes %zu",
                             have, want);
    int expect = m->task == AIA_TASK_REGRESSION ? 1 : (int)m->n_labels;
    if (outs != expect && !(expect == 2 && outs == 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: the learner gives %d outputs for %d classes", outs, expect);
    return AIA_OK;
}

aia_status model_decode(const Aia__Engine__V1__ModelFile *msg, aia_model **out, aia_error *err)
{
    *out = NULL;
    if (msg->task != AIA_TASK_CLASSIFICATION && msg->task != AIA_TASK_REGRESSION)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: unknown task %d", msg->task);
    if (msg->algorithm < AIA_ALGO_GBDT || msg->algorithm > AIA_ALGO_LINEAR_REGRESSION)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model file: unknown algorithm %d", msg->algorithm);
    aia_model *m = calloc(1, sizeof *m);
    if (!m) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory loading a model");
    m->task = (aia_task)msg->task;
    m->algorithm = (aia_algorithm)msg->algorithm;
    aia_status st = decode_labels(msg, m, err);
    if (st == AIA_OK) st = decode_preprocess(msg, &m->pre, err);
    if (st == AIA_OK) st = decode_learner(msg, m, err);
    if (st == AIA_OK) st = check_shapes(m, err);
    m->n_outputs = m->task == AIA_TASK_REGRESSION ? 1 : (int)m->n_labels;
    if (st != AIA_OK) {
        aia_model_free(m);
        return st;
    }
    *out = m;
    return AIA_OK;
}
