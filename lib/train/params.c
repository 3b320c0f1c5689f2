/* lib/train/params.c — hyperparameters by name: one table per algorithm
 * mapping the names users write onto aia_train_spec fields, with strict
 * parsing and range checks, so a typo or "1.5" for an integer is refused
 * before any data is read.
 *
 * Canonical names are the engine's own field names (gbdt.h, forest.h,
 * linear.h); the LightGBM and scikit-learn spellings users carry over
 * (num_leaves, n_estimators, subsample, ...) are aliases of them.
 */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/train/train_internal.h"

typedef enum { P_INT, P_FLOAT } param_type;

typedef struct param_def {
    const char *name;
    const char *alias_of; /* NULL for a canonical name */
    param_type type;
    size_t offset;        /* into aia_train_spec */
    double lo, hi;        /* inclusive bounds */
    int lo_open;          /* lo itself excluded */
} param_def;

#define G(f) offsetof(aia_train_spec, gbdt.f)
#define F(f) offsetof(aia_train_spec, forest.f)
#define L(f) offsetof(aia_train_spec, logistic.f)
#define R(f) offsetof(aia_train_spec, ridge.f)
#define BIG 1e9

static const param_def GBDT[] = {
    {"n_rounds", NULL, P_INT, G(n_rounds), 1, 100000, 0},
    {"learning_rate", NULL, P_FLOAT, G(learning_rate), 0, 1e3, 1},
    {"max_leaves", NULL, P_INT, G(max_leaves), 2, 131072, 0},
    {"max_depth", NULL, P_INT, G(max_depth), -1, 1000, 0},
    {"min_samples_leaf", NULL, P_INT, G(min_samples_leaf), 1, BIG, 0},
    {"min_hessian_leaf", NULL, P_FLOAT, G(min_hessian_leaf), 0, BIG, 0},
    {"lambda_l2", NULL, P_FLOAT, G(lambda_l2), 0, BIG, 0},
    {"min_split_gain", NULL, P_FLOAT, G(min_split_gain), 0, BIG, 0},
    {"row_subsample", NULL, P_FLOAT, G(row_subsample), 0, 1, 1},
    {"col_subsample", NULL, P_FLOAT, G(col_subsample), 0, 1, 1},
    {"max_bins", NULL, P_INT, G(max_bins), 2, 255, 0},
    {"early_stopping_rounds", NULL, P_INT, G(early_stopping_rounds), 0, 100000, 0},
    {"n_estimators", "n_rounds", P_INT, G(n_rounds), 1, 100000, 0},
    {"num_iterations", "n_rounds", P_INT, G(n_rounds), 1, 100000, 0},
    {"num_leaves", "max_leaves", P_INT, G(max_leaves), 2, 131072, 0},
    {"min_child_samples", "min_samples_leaf", P_INT, G(min_samples_leaf), 1, BIG, 0},
    {"min_data_in_leaf", "min_samples_leaf", P_INT, G(min_samples_leaf), 1, BIG, 0},
    {"min_child_weight", "min_hessian_leaf", P_FLOAT, G(min_hessian_leaf), 0, BIG, 0},
    {"min_sum_hessian_in_leaf", "min_hessian_leaf", P_FLOAT, G(min_hessian_leaf), 0, BIG, 0},
    {"l2", "lambda_l2", P_FLOAT, G(lambda_l2), 0, BIG, 0},
    {"reg_lambda", "lambda_l2", P_FLOAT, G(lambda_l2), 0, BIG, 0},
    {"min_gain_to_split", "min_split_gain", P_FLOAT, G(min_split_gain), 0, BIG, 0},
    {"subsample", "row_subsample", P_FLOAT, G(row_subsample), 0, 1, 1},
    {"bagging_fraction", "row_subsample", P_FLOAT, G(row_subsample), 0, 1, 1},
    {"colsample", "col_subsample", P_FLOAT, G(col_subsample), 0, 1, 1},
    {"colsample_bytree", "col_subsample", P_FLOAT, G(col_subsample), 0, 1, 1},
    {"feature_fraction", "col_subsample", P_FLOAT, G(col_subsample), 0, 1, 1},
    {"max_bin", "max_bins", P_INT, G(max_bins), 2, 255, 0},
    {NULL, NULL, 0, 0, 0, 0, 0},
};

static const param_def FOREST[] = {
    {"n_trees", NULL, P_INT, F(n_trees), 1, 100000, 0},
    {"max_depth", NULL, P_INT, F(max_depth), -1, 1000, 0},
    {"min_samples_leaf", NULL, P_INT, F(min_samples_leaf), 1, BIG, 0},
    {"min_samples_split", NULL, P_INT, F(min_samples_split), 2, BIG, 0},
    /* 0 = the default rule (sqrt for classification, all for regression) */
    {"max_features", NULL, P_FLOAT, F(max_features), 0, 1, 0},
    {"bootstrap", NULL, P_INT, F(bootstrap), 0, 1, 0},
    {"max_bins", NULL, P_INT, F(max_bins), 2, 255, 0},
    {"n_estimators", "n_trees", P_INT, F(n_trees), 1, 100000, 0},
    {"max_bin", "max_bins", P_INT, F(max_bins), 2, 255, 0},
    {NULL, NULL, 0, 0, 0, 0, 0},
};

static const param_def LOGISTIC[] = {
    {"C", NULL, P_FLOAT, L(C), 0, 1e12, 1},
    {"tol", NULL, P_FLOAT, L(tol), 0, 1, 0},
    {"max_iter", NULL, P_INT, L(max_iter), 1, 1000000, 0},
    {NULL, NULL, 0, 0, 0, 0, 0},
};

static const param_def RIDGE[] = {
    {"alpha", NULL, P_FLOAT, R(alpha), 0, 1e12, 0},
    {"l2", "alpha", P_FLOAT, R(alpha), 0, 1e12, 0},
    {NULL, NULL, 0, 0, 0, 0, 0},
};

static const char *const GBDT_NAMES[] = {"n_rounds", "learning_rate", "max_leaves", "max_depth", "min_samples_leaf",
    "min_hessian_leaf", "lambda_l2", "min_split_gain", "row_subsample", "col_subsample", "max_bins",
    "early_stopping_rounds", "n_estimators", "num_iterations", "num_leaves", "min_child_samples",
    "min_data_in_leaf", "min_child_weight", "min_sum_hessian_in_leaf", "l2", "reg_lambda", "min_gain_to_split",
    "subsample", "bagging_fraction", "colsample", "colsample_bytree", "feature_fraction", "max_bin", NULL};
static const char *const FOREST_NAMES[] = {"n_trees", "max_depth", "min_samples_leaf", "min_samples_split",
    "max_features", "bootstrap", "max_bins", "n_estimators", "max_bin", NULL};
static const char *const LOGISTIC_NAMES[] = {"C", "tol", "max_iter", NULL};
static const char *const RIDGE_NAMES[] = {"alpha", "l2", NULL};
static const char *const RIDGE_CANON[] = {"alpha", NULL};

static const char *const GBDT_CANON[] = {"n_rounds", "learning_rate", "max_leaves", "max_depth", "min_samples_leaf",
    "min_hessian_leaf", "lambda_l2", "min_split_gain", "row_subsample", "col_subsample", "max_bins",
    "early_stopping_rounds", NULL};
static const char *const FOREST_CANON[] = {"n_trees", "max_depth", "min_samples_leaf", "min_samples_split",
    "max_features", "bootstrap", "max_bins", NULL};

static const param_def *table_of(aia_algorithm a)
{
    switch (a) {
    case AIA_ALGO_GBDT: return GBDT;
    case AIA_ALGO_RANDOM_FOREST: return FOREST;
    case AIA_ALGO_LOGISTIC_REGRESSION: return LOGISTIC;
    case AIA_ALGO_LINEAR_REGRESSION: return RIDGE;
    default: return NULL;
    }
}

const char *const *aia_train_param_names(const char *algorithm)
{
    switch (aia_algorithm_from_name(algorithm ? algorithm : "")) {
    case AIA_ALGO_GBDT: return GBDT_NAMES;
    case AIA_ALGO_RANDOM_FOREST: return FOREST_NAMES;
    case AIA_ALGO_LOGISTIC_REGRESSION: return LOGISTIC_NAMES;
    case AIA_ALGO_LINEAR_REGRESSION: return RIDGE_NAMES;
    default: return NULL;
    }
}

const char *const *train_param_canonical_names(aia_algorithm a)
{
    switch (a) {
    case AIA_ALGO_GBDT: return GBDT_CANON;
    case AIA_ALGO_RANDOM_FOREST: return FOREST_CANON;
    case AIA_ALGO_LOGISTIC_REGRESSION: return LOGISTIC_NAMES;
    case AIA_ALGO_LINEAR_REGRESSION: return RIDGE_CANON;
    default: return NULL;
    }
}

aia_status train_algorithm_parse(const char *name, aia_algorithm *out, int *is_auto, aia_error *err)
{
    *out = 0;
    *is_auto = 0;
    if (!name || !*name || strcmp(name, "auto") == 0) {
        *is_auto = 1;
        return AIA_OK;
    }
    *out = aia_algorithm_from_name(name);
    if (!*out)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "algorithm: unknown algorithm \"%s\" (known: gbdt, random_forest, logistic_regression, "
                             "linear_regression, auto)",
                             name);
    return AIA_OK;
}

int train_algorithm_fits(aia_algorithm a, aia_task task)
{
    if (a == AIA_ALGO_LOGISTIC_REGRESSION) return task == AIA_TASK_CLASSIFICATION;
    if (a == AIA_ALGO_LINEAR_REGRESSION) return task == AIA_TASK_REGRESSION;
    return a == AIA_ALGO_GBDT || a == AIA_ALGO_RANDOM_FOREST;
}

static const param_def *find_def(aia_algorithm a, const char *name)
{
    const param_def *t = table_of(a);
    for (; t && t->name; t++)
        if (strcmp(t->name, name) == 0) return t;
    return NULL;
}

const char *train_param_canonical(aia_algorithm a, const char *name)
{
    const param_def *d = find_def(a, name);
    if (!d) return NULL;
    return d->alias_of ? d->alias_of : d->name;
}

aia_status train_param_unknown(aia_algorithm a, const char *field, const char *name, aia_error *err)
{
    char known[400] = "";
    size_t used = 0;
    const char *const *names = aia_train_param_names(aia_algorithm_name(a));
    for (size_t i = 0; names && names[i] && used < sizeof known; i++) {
        int w = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: unknown hyperparameter of %s (known: %s)", field,
                         aia_algorithm_name(a), known);
}

/* Strict numbers: the whole text, no spaces, finite. */
static int parse_int(const char *s, long long *out)
{
    if (!*s || s[0] == ' ' || s[0] == '\t') return 0;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || *end) return 0;
    *out = v;
    return 1;
}

static int parse_float(const char *s, double *out)
{
    if (!*s || s[0] == ' ' || s[0] == '\t') return 0;
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno == ERANGE || *end || !isfinite(v)) return 0;
    *out = v;
    return 1;
}

static aia_status range_error(const param_def *d, const char *field, const char *value, aia_error *err)
{
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: %s is out of range (%s%.6g, %.6g%s)", field, value,
                         d->lo_open ? "(" : "[", d->lo, d->hi, "]");
}

aia_status train_param_set(aia_train_spec *spec, aia_algorithm a, const char *name, const char *value, aia_error *err)
{
    char field[192];
    snprintf(field, sizeof field, "hyperparameters[\"%s\"]", name);
    const param_def *d = find_def(a, name);
    if (!d) return train_param_unknown(a, field, name, err);
    const char *v = value ? value : "";
    char *base = (char *)spec + d->offset;
    if (d->type == P_INT) {
        long long x;
        if (!parse_int(v, &x))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: \"%s\" is not an integer", field, v);
        if ((double)x < d->lo || (double)x > d->hi || (d->lo_open && (double)x == d->lo))
            return range_error(d, field, v, err);
        *(int *)base = (int)x;
        return AIA_OK;
    }
    double x;
    if (!parse_float(v, &x)) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: \"%s\" is not a number", field, v);
    if (x < d->lo || x > d->hi || (d->lo_open && x == d->lo)) return range_error(d, field, v, err);
    *(double *)base = x;
    return AIA_OK;
}

aia_status train_params_apply(aia_train_spec *spec, aia_algorithm a, const aia_job_spec *job, aia_error *err)
{
    /* Two spellings of one parameter (n_estimators and num_iterations)
     * would make the result depend on map order: refused. */
    for (size_t i = 0; i < job->n_hyperparameters; i++) {
        const char *ci = train_param_canonical(a, job->hyperparameters[i]->key);
        for (size_t j = 0; ci && j < i; j++) {
            const char *cj = train_param_canonical(a, job->hyperparameters[j]->key);
            if (cj && strcmp(ci, cj) == 0)
                return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                     "hyperparameters[\"%s\"]: sets %s, which hyperparameters[\"%s\"] already sets",
                                     job->hyperparameters[i]->key, ci, job->hyperparameters[j]->key);
        }
        if (train_param_set(spec, a, job->hyperparameters[i]->key, job->hyperparameters[i]->value, err) != AIA_OK)
            return err->code;
    }
    return AIA_OK;
}

void train_param_format(const aia_train_spec *spec, aia_algorithm a, const char *name, char *buf, size_t size)
{
    const param_def *d = find_def(a, name);
    if (!d) {
        snprintf(buf, size, "?");
        return;
    }
    const char *base = (const char *)spec + d->offset;
    if (d->type == P_INT) {
        snprintf(buf, size, "%d", *(const int *)base);
        return;
    }
    double x = *(const double *)base;
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) return;
    }
}

int train_param_is_int(aia_algorithm a, const char *name)
{
    const param_def *d = find_def(a, name);
    return d && d->type == P_INT;
}
