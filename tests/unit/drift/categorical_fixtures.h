/* tests/unit/drift/categorical_fixtures.h — reads
 * tests/data/drift/categorical_fixtures.txt (SciPy's answers, written by
 * tests/data/drift/make_categorical_fixtures.py, whose docstring gives the
 * format): one record per non-comment line, split into tokens in place.
 * Not thread-safe; test-only. Parse failures fail the running cmocka test.
 */
#ifndef AIA_TESTS_UNIT_DRIFT_CATEGORICAL_FIXTURES_H
#define AIA_TESTS_UNIT_DRIFT_CATEGORICAL_FIXTURES_H

#include <stddef.h>

#define CF_MAX_TOKENS 160

typedef struct cf_record {
    int line;        /* 1-based line number in the file */
    size_t n_tokens; /* tokens[0] is the record kind */
    char *tokens[CF_MAX_TOKENS];
} cf_record;

typedef struct cf_file {
    char *text; /* the whole file, NUL-terminated, tokenised as read */
    char *next; /* start of the next unread line */
    int line;
} cf_file;

/* Loads the fixture file through the runfiles helper; fails the test when
 * it cannot. */
void cf_open(cf_file *f);

/* Next record whose kind is `kind` (skipping others and comments); returns
 * 0 at the end of the file. */
int cf_next(cf_file *f, const char *kind, cf_record *r);

void cf_close(cf_file *f);

/* Token i as a double ('inf', 'nan' accepted) or an integer; fails the test
 * on a missing or malformed token, naming the line. */
double cf_double(const cf_record *r, size_t i);
long long cf_int(const cf_record *r, size_t i);

/* 1 when actual matches SciPy's expected value: equal infinities, or within
 * 1e-9 relative or 1e-12 absolute. */
int cf_close_enough(double actual, double expected);

#endif
