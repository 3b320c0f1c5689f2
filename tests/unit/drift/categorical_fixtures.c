/* tests/unit/drift/categorical_fixtures.c — see categorical_fixtures.h. */
#include "tests/unit/drift/categorical_fixtures.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/testutil/runfiles.h"

#define FIXTURE "tests/data/drift/categorical_fixtures.txt"

void cf_open(cf_file *f) {
    char path[4096];
    test_data_path(FIXTURE, path, sizeof path);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) fail_msg("cannot open %s", path);
    fseek(fp, 0, SEEK_END);
    long size = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    f->text = malloc((size_t)size + 1);
    assert_non_null(f->text);
    size_t got = fread(f->text, 1, (size_t)size, fp);
    fclose(fp);
    assert_int_equal(got, (size_t)size);
    f->text[size] = '\0';
    f->next = f->text;
    f->line = 0;
}

/* Cuts the next line out of the buffer; NULL at the end. */
static char *next_line(cf_file *f) {
    if (*f->next == '\0') return NULL;
    char *line = f->next;
    char *end = strchr(line, '\n');
    if (end) {
        *end = '\0';
        f->next = end + 1;
    } else {
        f->next = line + strlen(line);
    }
    f->line++;
    return line;
}

int cf_next(cf_file *f, const char *kind, cf_record *r) {
    char *line;
    while ((line = next_line(f)) != NULL) {
        if (line[0] == '#' || line[0] == '\0') continue;
        size_t len = strlen(kind);
        if (strncmp(line, kind, len) != 0 || line[len] != ' ') continue;
        r->line = f->line;
        r->n_tokens = 0;
        char *save = NULL;
        for (char *tok = strtok_r(line, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
            if (r->n_tokens == CF_MAX_TOKENS) fail_msg("line %d: too many tokens", f->line);
            r->tokens[r->n_tokens++] = tok;
        }
        return 1;
    }
    return 0;
}

void cf_close(cf_file *f) {
    free(f->text);
    f->text = f->next = NULL;
}

double cf_double(const cf_record *r, size_t i) {
    if (i >= r->n_tokens) fail_msg("line %d: missing token %zu", r->line, i);
    char *end;
    double v = strtod(r->tokens[i], &end);
    if (*end != '\0') fail_msg("line %d: bad number '%s'", r->line, r->tokens[i]);
    return v;
}

long long cf_int(const cf_record *r, size_t i) {
    if (i >= r->n_tokens) fail_msg("line %d: missing token %zu", r->line, i);
    char *end;
    long long v = strtoll(r->tokens[i], &end, 10);
    if (*end != '\0') fail_msg("line %d: bad integer '%s'", r->line, r->tokens[i]);
    return v;
}

int cf_close_enough(double actual, double expected) {
    if (isinf(expected)) return actual == expected;
    if (isnan(expected) || isnan(actual)) return 0;
    double diff = fabs(actual - expected);
    return diff <= 1e-12 || diff <= 1e-9 * fabs(expected);
}
