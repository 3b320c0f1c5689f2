/* lib/hpo/space.c — see space.h.
 *
 * Parameter descriptions live in a growable array; every string (names,
 * choices, the choice pointer arrays) is copied into one arena, so freeing
 * the space is two calls and a failed add leaves at most a few unused arena
 * bytes behind, never a half-added parameter.
 */
#include "lib/hpo/space.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/arena.h"

struct aia_hpo_space {
    aia_hpo_param *params;
    size_t n, cap;
    aia_arena strings;
};

static const char *type_name(aia_hpo_param_type t)
{
    switch (t) {
    case AIA_HPO_INT: return "int";
    case AIA_HPO_FLOAT: return "float";
    case AIA_HPO_CATEGORICAL: return "categorical";
    }
    return "unknown";
}

aia_status aia_hpo_space_new(aia_hpo_space **out, aia_error *err)
{
    if (!out) return aia_error_set(err, AIA_INVALID_ARGUMENT, "hpo space: out must not be NULL");
    *out = calloc(1, sizeof(**out));
    if (!*out) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo space: out of memory");
    aia_arena_init(&(*out)->strings, 1024);
    return AIA_OK;
}

void aia_hpo_space_free(aia_hpo_space *space)
{
    if (!space) return;
    aia_arena_destroy(&space->strings);
    free(space->params);
    free(space);
}

size_t aia_hpo_space_size(const aia_hpo_space *space)
{
    return space ? space->n : 0;
}

const aia_hpo_param *aia_hpo_space_param(const aia_hpo_space *space, size_t index)
{
    return space && index < space->n ? &space->params[index] : NULL;
}

long aia_hpo_space_find(const aia_hpo_space *space, const char *name)
{
    if (!space || !name) return -1;
    for (size_t i = 0; i < space->n; i++)
        if (strcmp(space->params[i].name, name) == 0) return (long)i;
    return -1;
}

/* Checks what every parameter needs (a space, a usable unique name) and makes
 * room for one more, so that the add functions only validate their bounds. */
static aia_status begin_add(aia_hpo_space *space, const char *name, aia_error *err)
{
    if (!space) return aia_error_set(err, AIA_INVALID_ARGUMENT,
        "hpo space: space must not be NULL");
    if (!name || !*name)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo space: a parameter name must not be empty");
    if (strlen(name) > AIA_HPO_NAME_MAX)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: parameter name \"%.32s...\" is longer than %d bytes", name,
                             AIA_HPO_NAME_MAX);
    if (aia_hpo_space_find(space, name) >= 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: parameter \"%s\" is defined twice; names must be unique",
                             name);
    if (space->n == space->cap) {
        size_t cap = space->cap ? space->cap * 2 : 8;
        aia_hpo_param *p = realloc(space->params, cap * sizeof(*p));
        if (!p) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo space: out of memory");
        space->params = p;
        space->cap = cap;
    }
    return AIA_OK;
}

static aia_status commit_add(aia_hpo_space *space, aia_hpo_param *p, const char *name,
                             aia_error *err)
{
    p->name = aia_arena_strdup(&space->strings, name);
    if (!p->name) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo space: out of memory");
    space->params[space->n++] = *p;
    return AIA_OK;
}

aia_status aia_hpo_space_add_int(aia_hpo_space *space, const char *name, int64_t low,
                                 int64_t high, int64_t step, bool log, aia_error *err)
{
    aia_status st = begin_add(space, name, err);
    if (st != AIA_OK) return st;
    if (step == 0) step = 1;
    if (low >= high)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: int parameter \"%s\": low (%lld) must be less than high "
                             "(%lld)",
                             name, (long long)low, (long long)high);
    if (step < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: int parameter \"%s\": step (%lld) must be positive", name,
                             (long long)step);
    /* Sampling works in doubles; beyond 2^53 integers stop being exact. */
    if (low < -(INT64_C(1) << 53) || high > (INT64_C(1) << 53))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: int parameter \"%s\": bounds must lie within +/-2^53",
                             name);
    if ((high - low) % step != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: int parameter \"%s\": high - low (%lld) must be a "
                             "multiple of step (%lld)",
                             name, (long long)(high - low), (long long)step);
    if (log && low < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: int parameter \"%s\": log scale needs low >= 1, got %lld",
                             name, (long long)low);
    if (log && step != 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: int parameter \"%s\": log scale and step %lld cannot be "
                             "combined (use step 1)",
                             name, (long long)step);
    aia_hpo_param p = {.type = AIA_HPO_INT, .log = log, .int_low = low, .int_high = high,
                       .int_step = step};
    return commit_add(space, &p, name, err);
}

aia_status aia_hpo_space_add_float(aia_hpo_space *space, const char *name, double low,
                                   double high, bool log, aia_error *err)
{
    aia_status st = begin_add(space, name, err);
    if (st != AIA_OK) return st;
    if (!isfinite(low) || !isfinite(high))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: float parameter \"%s\": bounds must be finite, got "
                             "[%g, %g]",
                             name, low, high);
    if (low >= high)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: float parameter \"%s\": low (%g) must be less than "
                             "high (%g)",
                             name, low, high);
    if (!isfinite(high - low))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: float parameter \"%s\": the range [%g, %g] is too wide "
                             "to sample (high - low overflows)",
                             name, low, high);
    if (log && low <= 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: float parameter \"%s\": log scale needs low > 0, got %g",
                             name, low);
    aia_hpo_param p = {.type = AIA_HPO_FLOAT, .log = log, .float_low = low, .float_high = high};
    return commit_add(space, &p, name, err);
}

static aia_status check_choices(const char *name, const char *const *choices, size_t n,
                                aia_error *err)
{
    if (!choices || n == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: categorical parameter \"%s\" needs at least one choice",
                             name);
    for (size_t i = 0; i < n; i++) {
        if (!choices[i] || !*choices[i])
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "hpo space: categorical parameter \"%s\": choice %zu is empty",
                                 name, i);
        for (size_t j = 0; j < i; j++)
            if (strcmp(choices[i], choices[j]) == 0)
                return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                     "hpo space: categorical parameter \"%s\": choice \"%s\" is "
                                     "listed twice (at %zu and %zu)",
                                     name, choices[i], j, i);
    }
    return AIA_OK;
}

aia_status aia_hpo_space_add_categorical(aia_hpo_space *space, const char *name,
                                         const char *const *choices, size_t n_choices,
                                         aia_error *err)
{
    aia_status st = begin_add(space, name, err);
    if (st != AIA_OK) return st;
    st = check_choices(name, choices, n_choices, err);
    if (st != AIA_OK) return st;
    const char **copy = aia_arena_alloc(&space->strings, n_choices * sizeof(*copy));
    if (!copy) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo space: out of memory");
    for (size_t i = 0; i < n_choices; i++) {
        copy[i] = aia_arena_strdup(&space->strings, choices[i]);
        if (!copy[i]) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "hpo space: out of memory");
    }
    aia_hpo_param p = {.type = AIA_HPO_CATEGORICAL, .choices = copy, .n_choices = n_choices};
    return commit_add(space, &p, name, err);
}

aia_status aia_hpo_space_clone(const aia_hpo_space *space, aia_hpo_space **out, aia_error *err)
{
    if (!space || !out)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo space: clone needs a space and an out");
    aia_hpo_space *copy = NULL;
    aia_status st = aia_hpo_space_new(&copy, err);
    if (st != AIA_OK) return st;
    for (size_t i = 0; st == AIA_OK && i < space->n; i++) {
        const aia_hpo_param *p = &space->params[i];
        switch (p->type) {
        case AIA_HPO_INT:
            st = aia_hpo_space_add_int(copy, p->name, p->int_low, p->int_high, p->int_step, p->log,
                                       err);
            break;
        case AIA_HPO_FLOAT:
            st = aia_hpo_space_add_float(copy, p->name, p->float_low, p->float_high, p->log, err);
            break;
        case AIA_HPO_CATEGORICAL:
            st = aia_hpo_space_add_categorical(copy, p->name, p->choices, p->n_choices, err);
            break;
        }
    }
    if (st != AIA_OK) {
        aia_hpo_space_free(copy);
        return st;
    }
    *out = copy;
    return AIA_OK;
}

static aia_status check_value(const aia_hpo_param *p, aia_hpo_value v, aia_error *err)
{
    switch (p->type) {
    case AIA_HPO_INT:
        if (v.i < p->int_low || v.i > p->int_high)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "int parameter \"%s\": %lld is outside [%lld, %lld]", p->name,
                                 (long long)v.i, (long long)p->int_low, (long long)p->int_high);
        if ((v.i - p->int_low) % p->int_step != 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "int parameter \"%s\": %lld is not on the grid %lld + k*%lld",
                                 p->name, (long long)v.i, (long long)p->int_low,
                                 (long long)p->int_step);
        return AIA_OK;
    case AIA_HPO_FLOAT:
        if (!(v.f >= p->float_low && v.f <= p->float_high))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "float parameter \"%s\": %g is outside [%g, %g]", p->name, v.f,
                                 p->float_low, p->float_high);
        return AIA_OK;
    case AIA_HPO_CATEGORICAL:
        if (v.choice >= p->n_choices)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "categorical parameter \"%s\": choice index %zu is not below the "
                                 "%zu choices",
                                 p->name, v.choice, p->n_choices);
        return AIA_OK;
    }
    return aia_error_set(err, AIA_INTERNAL, "parameter \"%s\" has an unknown type", p->name);
}

aia_status aia_hpo_space_check(const aia_hpo_space *space, const aia_hpo_value *values,
                               aia_error *err)
{
    if (!space || !values)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo space: check needs a space and values");
    for (size_t i = 0; i < space->n; i++) {
        aia_status st = check_value(&space->params[i], values[i], err);
        if (st != AIA_OK) return st;
    }
    return AIA_OK;
}

static aia_status lookup(const aia_hpo_space *space, const aia_hpo_value *values, const char *name,
                         aia_hpo_param_type want, const aia_hpo_param **p, aia_hpo_value *v,
                         aia_error *err)
{
    if (!space || !values || !name)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
            "hpo space: get needs a space, values and a name");
    long i = aia_hpo_space_find(space, name);
    if (i < 0)
        return aia_error_set(err, AIA_NOT_FOUND, "hpo space: no parameter is called \"%s\"", name);
    *p = &space->params[i];
    if ((*p)->type != want)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo space: parameter \"%s\" is %s, not %s", name,
                             type_name((*p)->type), type_name(want));
    *v = values[i];
    return AIA_OK;
}

aia_status aia_hpo_space_get_int(const aia_hpo_space *space, const aia_hpo_value *values,
                                 const char *name, int64_t *out, aia_error *err)
{
    const aia_hpo_param *p;
    aia_hpo_value v;
    aia_status st = lookup(space, values, name, AIA_HPO_INT, &p, &v, err);
    if (st == AIA_OK) *out = v.i;
    return st;
}

aia_status aia_hpo_space_get_float(const aia_hpo_space *space, const aia_hpo_value *values,
                                   const char *name, double *out, aia_error *err)
{
    const aia_hpo_param *p;
    aia_hpo_value v;
    aia_status st = lookup(space, values, name, AIA_HPO_FLOAT, &p, &v, err);
    if (st == AIA_OK) *out = v.f;
    return st;
}

aia_status aia_hpo_space_get_choice(const aia_hpo_space *space, const aia_hpo_value *values,
                                    const char *name, const char **out, aia_error *err)
{
    const aia_hpo_param *p;
    aia_hpo_value v;
    aia_status st = lookup(space, values, name, AIA_HPO_CATEGORICAL, &p, &v, err);
    if (st != AIA_OK) return st;
    st = check_value(p, v, err);
    if (st == AIA_OK) *out = p->choices[v.choice];
    return st;
}
