/* lib/hpo/space.h — hyperparameter search spaces.
 *
 * A search space is an ordered list of named parameters, each one of:
 *   - int:         an integer in [low, high] on the grid low, low+step, ...,
 *                  optionally log-uniform (then step must be 1, as in Optuna);
 *   - float:       a real in [low, high], uniform or log-uniform;
 *   - categorical: one of a list of string choices.
 * Parameters are addressed by their index (the order they were added in) or
 * by name. A point of the space ("the parameters of one trial") is an array
 * of aia_hpo_value, one per parameter in space order; the parameter's type
 * says which member of the union is meaningful.
 *
 * Ownership: aia_hpo_space_new() allocates, aia_hpo_space_free() frees. The
 * space copies every name and choice string it is given, so the caller's
 * strings may be freed right after the call. Pointers returned by
 * aia_hpo_space_param() stay valid until the space is freed or another
 * parameter is added.
 *
 * Thread-safety: building a space is not thread-safe; a space nobody
 * modifies any more may be read from several threads at once. A study
 * (study.h) works on its own copy, so the caller may free the space after
 * creating the study.
 *
 * Errors: every add_* function validates its arguments and returns
 * AIA_INVALID_ARGUMENT with a message naming the parameter and the reason
 * (low >= high, log with low <= 0, empty or duplicate choices, a name
 * already used, ...); the space is unchanged after an error.
 */
#ifndef AIA_HPO_SPACE_H
#define AIA_HPO_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

typedef enum aia_hpo_param_type {
    AIA_HPO_INT = 0,
    AIA_HPO_FLOAT = 1,
    AIA_HPO_CATEGORICAL = 2,
} aia_hpo_param_type;

/* One parameter's value; which member is valid follows the parameter's type. */
typedef union aia_hpo_value {
    int64_t i;     /* AIA_HPO_INT */
    double f;      /* AIA_HPO_FLOAT */
    size_t choice; /* AIA_HPO_CATEGORICAL: index into the choices */
} aia_hpo_value;

/* A read-only description of one parameter, owned by the space. */
typedef struct aia_hpo_param {
    const char *name;
    aia_hpo_param_type type;
    bool log;                   /* int and float: log-uniform */
    int64_t int_low, int_high;  /* AIA_HPO_INT, inclusive */
    int64_t int_step;           /* AIA_HPO_INT, >= 1 */
    double float_low, float_high; /* AIA_HPO_FLOAT, inclusive */
    const char *const *choices; /* AIA_HPO_CATEGORICAL */
    size_t n_choices;
} aia_hpo_param;

typedef struct aia_hpo_space aia_hpo_space;

/* Longest parameter name accepted, in bytes. */
#define AIA_HPO_NAME_MAX 128

/* A new empty space in *out. AIA_RESOURCE_EXHAUSTED when out of memory. */
aia_status aia_hpo_space_new(aia_hpo_space **out, aia_error *err);

/* Frees the space and every string it copied. NULL is a no-op. */
void aia_hpo_space_free(aia_hpo_space *space);

/* A deep copy of `space` in *out (the study keeps one). */
aia_status aia_hpo_space_clone(const aia_hpo_space *space, aia_hpo_space **out, aia_error *err);

/* Adds an integer parameter in [low, high]. `step` >= 1 (0 means 1) and
 * high - low must be a multiple of it (refused rather than silently
 * adjusted); `log` samples log-uniformly and needs low >= 1 and step 1. */
aia_status aia_hpo_space_add_int(aia_hpo_space *space, const char *name, int64_t low,
                                 int64_t high, int64_t step, bool log, aia_error *err);

/* Adds a real parameter in [low, high] (finite, low < high); `log` samples
 * log-uniformly and needs low > 0. */
aia_status aia_hpo_space_add_float(aia_hpo_space *space, const char *name, double low,
                                   double high, bool log, aia_error *err);

/* Adds a categorical parameter over `n_choices` (>= 1) distinct, non-empty
 * strings. The strings are copied. */
aia_status aia_hpo_space_add_categorical(aia_hpo_space *space, const char *name,
                                         const char *const *choices, size_t n_choices,
                                         aia_error *err);

/* Number of parameters. */
size_t aia_hpo_space_size(const aia_hpo_space *space);

/* The parameter at `index`, or NULL when index >= size. */
const aia_hpo_param *aia_hpo_space_param(const aia_hpo_space *space, size_t index);

/* The index of the parameter called `name`, or -1 when there is none. */
long aia_hpo_space_find(const aia_hpo_space *space, const char *name);

/* Checks that `values` (one per parameter) is a point of the space: inside
 * the bounds, on the step grid, a valid choice index, a finite float.
 * AIA_INVALID_ARGUMENT naming the first offending parameter otherwise. */
aia_status aia_hpo_space_check(const aia_hpo_space *space, const aia_hpo_value *values,
                               aia_error *err);

/* Typed access by name to a point of the space: AIA_NOT_FOUND when no
 * parameter has that name, AIA_INVALID_ARGUMENT when it has another type.
 * get_choice gives the choice's string, owned by the space. */
aia_status aia_hpo_space_get_int(const aia_hpo_space *space, const aia_hpo_value *values,
                                 const char *name, int64_t *out, aia_error *err);
aia_status aia_hpo_space_get_float(const aia_hpo_space *space, const aia_hpo_value *values,
                                   const char *name, double *out, aia_error *err);
aia_status aia_hpo_space_get_choice(const aia_hpo_space *space, const aia_hpo_value *values,
                                    const char *name, const char **out, aia_error *err);

#endif
