/* tests/unit/ml/metrics_fixtures.h — reads tests/data/metrics/metrics_fixtures.txt,
 * scikit-learn's answers written by tests/data/metrics/make_fixtures.py
 * (the format is described at the top of that script).
 *
 * The whole file is read into memory and tokenised in place; arrays and
 * checks point into it until fixtures_free(). Not thread-safe; test-only.
 */
#ifndef AIA_TESTS_UNIT_ML_METRICS_FIXTURES_H
#define AIA_TESTS_UNIT_ML_METRICS_FIXTURES_H

#include <stddef.h>

typedef struct fx_array {
    const char *name;
    int is_int;      /* 1: ints holds the values; 0: doubles does */
    size_t count;
    int *ints;
    double *doubles;
} fx_array;

#define FX_MAX_KEYS 16

typedef struct fx_check {
    const char *metric;
    size_t n_keys;
    const char *keys[FX_MAX_KEYS];
    const char *values[FX_MAX_KEYS];
} fx_check;

typedef struct fixtures {
    char *text;
    fx_array *arrays;
    size_t n_arrays;
    fx_check *checks;
    size_t n_checks;
} fixtures;

/* The fixture file's path: under the runfiles tree when run by `bazel test`
 * ($TEST_SRCDIR/$TEST_WORKSPACE/...), else relative to the current
 * directory (the repository root). Returns a static buffer. */
const char *fixtures_path(void);

/* Loads and parses `path`. Returns 0, or -1 after writing why (file, record,
 * token) into `why`. */
int fixtures_load(fixtures *fx, const char *path, char *why, size_t why_size);
void fixtures_free(fixtures *fx);

/* The value of `key` in a check, or NULL when absent. */
const char *fx_value(const fx_check *c, const char *key);
/* The array named by the check's `key`, or NULL when the key or the array
 * is missing. */
const fx_array *fx_array_for(const fixtures *fx, const fx_check *c, const char *key);

#endif
