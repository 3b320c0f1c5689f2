/* lib/train/space.c — hyperparameter search spaces: a default per
 * algorithm (the ranges Optuna's LightGBM tuner and common scikit-learn
 * searches use), or the job's own, and the bridge between a point of the
 * space and aia_train_spec. Every value goes through the same text parser
 * as the job's hyperparameters (train_param_set), so a search can never
 * set a value a user could not.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/train/train_internal.h"

static aia_status default_gbdt(aia_hpo_space *s, aia_error *err)
{
    if (aia_hpo_space_add_float(s, "learning_rate", 0.01, 0.3, true, err) != AIA_OK) return err->code;
    if (aia_hpo_space_add_int(s, "max_leaves", 8, 128, 1, true, err) != AIA_OK) return err->code;
    if (aia_hpo_space_add_int(s, "min_samples_leaf", 5, 100, 1, true, err) != AIA_OK) return err->code;
    if (aia_hpo_space_add_float(s, "lambda_l2", 1e-8, 10.0, true, err) != AIA_OK) return err->code;
    if (aia_hpo_space_add_float(s, "row_subsample", 0.5, 1.0, false, err) != AIA_OK) return err->code;
    return aia_hpo_space_add_float(s, "col_subsample", 0.5, 1.0, false, err);
}

static aia_status default_forest(aia_hpo_space *s, aia_error *err)
{
    static const char *const depth[] = {"-1", "4", "8", "16", "32"};
    /* "0" is the default rule: sqrt(features) / all of them */
    static const char *const feats[] = {"0", "0.2", "0.33", "0.5", "0.7", "1"};
    if (aia_hpo_space_add_int(s, "n_trees", 50, 300, 50, false, err) != AIA_OK) return err->code;
    if (aia_hpo_space_add_categorical(s, "max_depth", depth, 5, err) != AIA_OK) return err->code;
    if (aia_hpo_space_add_int(s, "min_samples_leaf", 1, 20, 1, true, err) != AIA_OK) return err->code;
    return aia_hpo_space_add_categorical(s, "max_features", feats, 6, err);
}

static aia_status default_space(aia_algorithm a, aia_hpo_space *s, aia_error *err)
{
    switch (a) {
    case AIA_ALGO_GBDT: return default_gbdt(s, err);
    case AIA_ALGO_RANDOM_FOREST: return default_forest(s, err);
    case AIA_ALGO_LOGISTIC_REGRESSION: return aia_hpo_space_add_float(s, "C", 1e-3, 100.0, true, err);
    default: return aia_hpo_space_add_float(s, "alpha", 1e-4, 100.0, true, err);
    }
}

/* A bound or choice must be a value the parameter accepts. */
static aia_status check_value(aia_algorithm a, const char *name, const char *text, aia_error *err)
{
    aia_train_spec scratch;
    aia_train_spec_init(&scratch);
    return train_param_set(&scratch, a, name, text, err);
}

static aia_status add_user_int(aia_hpo_space *s, aia_algorithm a, const char *canon,
                               const AiaStore__V1__IntRange *r, aia_error *err)
{
    char lo[32], hi[32];
    snprintf(lo, sizeof lo, "%d", r->low);
    snprintf(hi, sizeof hi, "%d", r->high);
    if (check_value(a, canon, lo, err) != AIA_OK || check_value(a, canon, hi, err) != AIA_OK) return err->code;
    return aia_hpo_space_add_int(s, canon, r->low, r->high, r->step > 0 ? r->step : 1, false, err);
}

static aia_status add_user_float(aia_hpo_space *s, aia_algorithm a, const char *canon,
                                 const AiaStore__V1__FloatRange *r, aia_error *err)
{
    if (train_param_is_int(a, canon))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s takes integers: give an int_range", canon);
    char lo[40], hi[40];
    snprintf(lo, sizeof lo, "%.17g", r->low);
    snprintf(hi, sizeof hi, "%.17g", r->high);
    if (check_value(a, canon, lo, err) != AIA_OK || check_value(a, canon, hi, err) != AIA_OK) return err->code;
    return aia_hpo_space_add_float(s, canon, r->low, r->high, r->log_scale, err);
}

static aia_status add_user_param(aia_hpo_space *s, aia_algorithm a, const AiaStore__V1__HpoParameter *p,
                                 aia_error *err)
{
    const char *name = p->name ? p->name : "";
    const char *canon = train_param_canonical(a, name);
    if (!canon) return train_param_unknown(a, "name", name, err);
    if (aia_hpo_space_find(s, canon) >= 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s appears twice (as itself or an alias)", canon);
    switch (p->range_case) {
    case AIA_STORE__V1__HPO_PARAMETER__RANGE_INT_RANGE: return add_user_int(s, a, canon, p->int_range, err);
    case AIA_STORE__V1__HPO_PARAMETER__RANGE_FLOAT_RANGE: return add_user_float(s, a, canon, p->float_range, err);
    case AIA_STORE__V1__HPO_PARAMETER__RANGE_CATEGORICAL:
        for (size_t i = 0; i < p->categorical->n_choices; i++)
            if (check_value(a, canon, p->categorical->choices[i], err) != AIA_OK) return err->code;
        return aia_hpo_space_add_categorical(s, canon, (const char *const *)p->categorical->choices,
                                             p->categorical->n_choices, err);
    default: return aia_error_set(err, AIA_INVALID_ARGUMENT, "no range given (int_range, float_range or categorical)");
    }
}

aia_status train_space_build(aia_algorithm a, const AiaStore__V1__HpoSpec *hpo, aia_hpo_space **out, aia_error *err)
{
    *out = NULL;
    aia_hpo_space *s = NULL;
    if (aia_hpo_space_new(&s, err) != AIA_OK) return err->code;
    aia_status st = AIA_OK;
    if (!hpo || hpo->n_search_space == 0) {
        st = default_space(a, s, err);
    } else {
        for (size_t i = 0; i < hpo->n_search_space && st == AIA_OK; i++) {
            st = add_user_param(s, a, hpo->search_space[i], err);
            if (st != AIA_OK)
                aia_error_prefix(err, "hpo.search_space[%zu] (\"%s\")", i,
                                 hpo->search_space[i]->name ? hpo->search_space[i]->name : "");
        }
    }
    if (st != AIA_OK) {
        aia_hpo_space_free(s);
        return st;
    }
    *out = s;
    return AIA_OK;
}

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

void train_space_defaults(const aia_hpo_space *space, const aia_train_spec *spec, aia_algorithm a, aia_hpo_value *out)
{
    for (size_t i = 0; i < aia_hpo_space_size(space); i++) {
        const aia_hpo_param *p = aia_hpo_space_param(space, i);
        char text[64];
        train_param_format(spec, a, p->name, text, sizeof text);
        double x = strtod(text, NULL);
        if (p->type == AIA_HPO_INT) {
            double k = round((clampd(x, (double)p->int_low, (double)p->int_high) - (double)p->int_low) /
                             (double)p->int_step);
            out[i].i = p->int_low + (int64_t)k * p->int_step;
            if (out[i].i > p->int_high) out[i].i -= p->int_step;
        } else if (p->type == AIA_HPO_FLOAT) {
            out[i].f = clampd(x, p->float_low, p->float_high);
        } else {
            out[i].choice = 0;
            for (size_t c = 0; c < p->n_choices; c++)
                if (strtod(p->choices[c], NULL) == x) out[i].choice = c;
        }
    }
}

void train_space_value_text(const aia_hpo_space *space, size_t i, aia_hpo_value v, char *buf, size_t size)
{
    const aia_hpo_param *p = aia_hpo_space_param(space, i);
    if (p->type == AIA_HPO_INT) {
        snprintf(buf, size, "%lld", (long long)v.i);
    } else if (p->type == AIA_HPO_CATEGORICAL) {
        snprintf(buf, size, "%s", v.choice < p->n_choices ? p->choices[v.choice] : "");
    } else {
        for (int prec = 6; prec <= 17; prec++) {
            snprintf(buf, size, "%.*g", prec, v.f);
            if (strtod(buf, NULL) == v.f) break;
        }
    }
}

aia_status train_space_apply(const aia_hpo_space *space, const aia_hpo_value *values, aia_train_spec *spec,
                             aia_algorithm a, aia_error *err)
{
    for (size_t i = 0; i < aia_hpo_space_size(space); i++) {
        char text[64];
        train_space_value_text(space, i, values[i], text, sizeof text);
        if (train_param_set(spec, a, aia_hpo_space_param(space, i)->name, text, err) != AIA_OK) return err->code;
    }
    return AIA_OK;
}
