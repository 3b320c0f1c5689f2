/* lib/ml/model_file_encode.c — a model into its ModelFile message. */
#include <string.h>

#include "lib/ml/forest_internal.h"
#include "lib/ml/gbdt_internal.h"
#include "lib/ml/model_file_internal.h"
#include "lib/ml/model_internal.h"

#define ALLOC(a, type, n) ((type *)aia_arena_calloc((a), (n) ? (n) : 1, sizeof(type)))

static Aia__Engine__V1__PreprocessColumn *encode_column(aia_arena *a, const aia_preprocess_column *c)
{
    Aia__Engine__V1__PreprocessColumn *pc = ALLOC(a, Aia__Engine__V1__PreprocessColumn, 1);
    if (!pc) return NULL;
    aia__engine__v1__preprocess_column__init(pc);
    pc->name = (char *)c->name;
    pc->kind = c->kind;
    pc->impute = c->impute;
    pc->fill = c->fill;
    pc->standardize = c->standardize != 0;
    pc->mean = c->mean;
    pc->scale = c->scale;
    pc->missing_indicator = c->missing_indicator != 0;
    pc->n_categories = c->n_categories;
    pc->categories = (char **)c->categories;
    return pc;
}

static int encode_preprocess(aia_arena *a, const aia_preprocess *p, Aia__Engine__V1__ModelFile *msg)
{
    size_t n = aia_preprocess_n_inputs(p);
    msg->preprocess = ALLOC(a, Aia__Engine__V1__PreprocessColumn *, n);
    if (!msg->preprocess) return -1;
    for (size_t i = 0; i < n; i++) {
        aia_preprocess_column c;
        aia_preprocess_describe_input(p, i, &c);
        if (!(msg->preprocess[i] = encode_column(a, &c))) return -1;
    }
    msg->n_preprocess = n;
    return 0;
}

/* The node arrays shared by both tree kinds; borrowed, not copied. */
static Aia__Engine__V1__Tree *encode_nodes(aia_arena *a, int n_leaves, int n_nodes, int32_t *feature,
                                           double *threshold, uint8_t *default_left, int32_t *left, int32_t *right,
                                           double *gain)
{
    Aia__Engine__V1__Tree *t = ALLOC(a, Aia__Engine__V1__Tree, 1);
    if (!t) return NULL;
    aia__engine__v1__tree__init(t);
    size_t n = (size_t)n_nodes;
    t->n_leaves = n_leaves;
    t->n_feature = t->n_threshold = t->n_left = t->n_right = t->n_gain = n;
    t->feature = feature;
    t->threshold = threshold;
    t->left = left;
    t->right = right;
    t->gain = gain;
    t->default_left = (ProtobufCBinaryData){n, default_left};
    return t;
}

static Aia__Engine__V1__Tree *encode_gbdt_tree(aia_arena *a, const aia_tree *tr)
{
    int nodes = tr->n_leaves - 1;
    Aia__Engine__V1__Tree *t = encode_nodes(a, tr->n_leaves, nodes, tr->feature, tr->threshold, tr->default_left,
                                            tr->left, tr->right, tr->gain);
    if (!t) return NULL;
    t->is_categorical = (ProtobufCBinaryData){(size_t)nodes, tr->is_cat};
    t->n_categories_left = 4 * (size_t)nodes;
    t->categories_left = tr->cat_left;
    t->n_leaf_value = (size_t)tr->n_leaves;
    t->leaf_value = tr->leaf_value;
    return t;
}

static int encode_gbdt(aia_arena *a, const aia_gbdt_model *g, Aia__Engine__V1__ModelFile *msg)
{
    Aia__Engine__V1__GbdtModel *gm = ALLOC(a, Aia__Engine__V1__GbdtModel, 1);
    size_t n_trees = (size_t)g->n_rounds * (size_t)g->n_outputs;
    if (!gm) return -1;
    aia__engine__v1__gbdt_model__init(gm);
    if (!(gm->trees = ALLOC(a, Aia__Engine__V1__Tree *, n_trees))) return -1;
    gm->objective = g->objective;
    gm->n_outputs = g->n_outputs;
    gm->n_features = g->n_features;
    gm->n_rounds = g->n_rounds;
    gm->n_init_score = (size_t)g->n_outputs;
    gm->init_score = g->init_score;
    for (size_t i = 0; i < n_trees; i++)
        if (!(gm->trees[i] = encode_gbdt_tree(a, &g->trees[i]))) return -1;
    gm->n_trees = n_trees;
    msg->gbdt = gm;
    return 0;
}

static int encode_forest(aia_arena *a, const aia_forest *f, Aia__Engine__V1__ModelFile *msg)
{
    Aia__Engine__V1__ForestModel *fm = ALLOC(a, Aia__Engine__V1__ForestModel, 1);
    if (!fm) return -1;
    aia__engine__v1__forest_model__init(fm);
    fm->trees = ALLOC(a, Aia__Engine__V1__Tree *, (size_t)f->n_trees);
    if (!fm->trees) return -1;
    fm->n_outputs = f->k_out;
    fm->classification = f->classification != 0;
    fm->n_features = f->n_features;
    for (int i = 0; i < f->n_trees; i++) {
        const forest_tree *tr = &f->trees[i];
        Aia__Engine__V1__Tree *t = encode_nodes(a, tr->n_leaves, tr->n_nodes, tr->feature, tr->threshold,
                                                tr->default_left, tr->left, tr->right, tr->gain);
        if (!t) return -1;
        t->n_leaf_value = (size_t)tr->n_leaves * (size_t)f->k_out;
        t->leaf_value = tr->leaf;
        fm->trees[i] = t;
    }
    fm->n_trees = (size_t)f->n_trees;
    msg->forest = fm;
    return 0;
}

static int encode_linear(aia_arena *a, const aia_linear_model *l, int kind, Aia__Engine__V1__ModelFile *msg)
{
    Aia__Engine__V1__LinearModel *lm = ALLOC(a, Aia__Engine__V1__LinearModel, 1);
    if (!lm) return -1;
    aia__engine__v1__linear_model__init(lm);
    size_t outs = (size_t)aia_linear_n_outputs(l), nf = aia_linear_n_features(l);
    lm->kind = kind;
    lm->n_classes = aia_linear_n_classes(l);
    lm->n_features = nf;
    lm->n_coef = outs * nf;
    lm->coef = (double *)aia_linear_coef(l);
    lm->n_intercept = outs;
    lm->intercept = (double *)aia_linear_intercept(l);
    msg->linear = lm;
    return 0;
}

static int encode_meta(aia_arena *a, const aia_model_meta *meta, size_t n, Aia__Engine__V1__ModelFile *msg)
{
    msg->metadata = ALLOC(a, Aia__Engine__V1__ModelFile__MetadataEntry *, n);
    if (!msg->metadata) return -1;
    for (size_t i = 0; i < n; i++) {
        Aia__Engine__V1__ModelFile__MetadataEntry *e = ALLOC(a, Aia__Engine__V1__ModelFile__MetadataEntry, 1);
        if (!e) return -1;
        aia__engine__v1__model_file__metadata_entry__init(e);
        e->key = (char *)meta[i].key;
        e->value = (char *)meta[i].value;
        msg->metadata[i] = e;
    }
    msg->n_metadata = n;
    return 0;
}

aia_status model_encode(const aia_model *m, const aia_model_meta *meta, size_t n_meta, aia_arena *a,
                        Aia__Engine__V1__ModelFile *msg, aia_error *err)
{
    aia__engine__v1__model_file__init(msg);
    msg->task = m->task;
    msg->algorithm = m->algorithm;
    msg->n_class_labels = m->n_labels;
    msg->class_labels = m->labels;
    int failed = encode_preprocess(a, m->pre, msg) || encode_meta(a, meta, n_meta, msg);
    if (!failed && m->gbdt) failed = encode_gbdt(a, m->gbdt, msg);
    if (!failed && m->forest) failed = encode_forest(a, m->forest, msg);
    if (!failed && m->linear) failed = encode_linear(a, m->linear, m->algorithm == AIA_ALGO_LOGISTIC_REGRESSION ? AIA_LINEAR_LOGISTIC : AIA_LINEAR_RIDGE, msg);
    return failed ? aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory encoding the model") : AIA_OK;
}
