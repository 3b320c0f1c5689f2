/* tests/unit/ml/metrics_fixtures.c — see metrics_fixtures.h. */
#include "tests/unit/ml/metrics_fixtures.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/testutil/runfiles.h"

#define FIXTURE_REL "tests/data/metrics/metrics_fixtures.txt"

const char *fixtures_path(void)
{
    static char path[4096];
    return test_data_path(FIXTURE_REL, path, sizeof path);
}

static char *read_all(const char *path, char *why, size_t why_size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_size, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 20, len = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            char *bigger = realloc(buf, 2 * cap + 1);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        snprintf(why, why_size, "%s: out of memory", path);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

/* The next whitespace-separated token, NUL-terminated in place; comments
 * ('#' to end of line) are skipped. NULL at the end of the text. */
static char *next_token(char **cursor)
{
    char *p = *cursor;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
        if (*p != '#') break;
        while (*p && *p != '\n') p++;
    }
    if (!*p) {
        *cursor = p;
        return NULL;
    }
    char *start = p;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') p++;
    if (*p) *p++ = '\0';
    *cursor = p;
    return start;
}

/* Looks at the next token without consuming it: whether it is key=value. */
static int next_is_pair(const char *cursor)
{
    const char *p = cursor;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p == '#' || !*p) return 0;
    while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r') {
        if (*p == '=') return 1;
        p++;
    }
    return 0;
}

static int parse_array(fx_array *a, int is_int, char **cursor, char *why, size_t why_size)
{
    a->is_int = is_int;
    a->name = next_token(cursor);
    char *count_text = next_token(cursor);
    char *end = NULL;
    if (!a->name || !count_text) {
        snprintf(why, why_size, "array record cut short");
        return -1;
    }
    a->count = strtoul(count_text, &end, 10);
    if (*end || a->count == 0) {
        snprintf(why, why_size, "array %s: bad count '%s'", a->name, count_text);
        return -1;
    }
    if (is_int)
        a->ints = malloc(a->count * sizeof *a->ints);
    else
        a->doubles = malloc(a->count * sizeof *a->doubles);
    if (!a->ints && !a->doubles) {
        snprintf(why, why_size, "array %s: out of memory", a->name);
        return -1;
    }
    for (size_t i = 0; i < a->count; i++) {
        char *tok = next_token(cursor);
        if (!tok) {
            snprintf(why, why_size, "array %s: %zu of %zu values", a->name, i, a->count);
            return -1;
        }
        if (is_int)
            a->ints[i] = (int)strtol(tok, &end, 10);
        else
            a->doubles[i] = strtod(tok, &end);
        if (*end) {
            snprintf(why, why_size, "array %s[%zu]: not a number: '%s'", a->name, i, tok);
            return -1;
        }
    }
    return 0;
}

static int parse_check(fx_check *c, char **cursor, char *why, size_t why_size)
{
    c->metric = next_token(cursor);
    if (!c->metric) {
        snprintf(why, why_size, "check record without a metric");
        return -1;
    }
    while (next_is_pair(*cursor)) {
        char *pair = next_token(cursor);
        if (c->n_keys == FX_MAX_KEYS) {
            snprintf(why, why_size, "check %s: more than %d keys", c->metric, FX_MAX_KEYS);
            return -1;
        }
        char *eq = strchr(pair, '=');
        *eq = '\0';
        c->keys[c->n_keys] = pair;
        c->values[c->n_keys] = eq + 1;
        c->n_keys++;
    }
    return 0;
}

/* One more zeroed array / check record, or NULL when out of memory. */
static fx_array *push_array(fixtures *fx)
{
    fx_array *grown = realloc(fx->arrays, (fx->n_arrays + 1) * sizeof *grown);
    if (!grown) return NULL;
    fx->arrays = grown;
    memset(&grown[fx->n_arrays], 0, sizeof *grown);
    return &grown[fx->n_arrays++];
}

static fx_check *push_check(fixtures *fx)
{
    fx_check *grown = realloc(fx->checks, (fx->n_checks + 1) * sizeof *grown);
    if (!grown) return NULL;
    fx->checks = grown;
    memset(&grown[fx->n_checks], 0, sizeof *grown);
    return &grown[fx->n_checks++];
}

static int parse_records(fixtures *fx, char *why, size_t why_size)
{
    char *cursor = fx->text;
    char *keyword;
    while ((keyword = next_token(&cursor)) != NULL) {
        int is_int = strcmp(keyword, "ints") == 0;
        if (is_int || strcmp(keyword, "doubles") == 0) {
            fx_array *a = push_array(fx);
            if (!a || parse_array(a, is_int, &cursor, why, why_size) != 0) return -1;
        } else if (strcmp(keyword, "check") == 0) {
            fx_check *c = push_check(fx);
            if (!c || parse_check(c, &cursor, why, why_size) != 0) return -1;
        } else {
            snprintf(why, why_size, "unknown record '%s'", keyword);
            return -1;
        }
    }
    return 0;
}

int fixtures_load(fixtures *fx, const char *path, char *why, size_t why_size)
{
    memset(fx, 0, sizeof *fx);
    fx->text = read_all(path, why, why_size);
    if (!fx->text) return -1;
    if (parse_records(fx, why, why_size) != 0) {
        char inner[512];
        snprintf(inner, sizeof inner, "%s", why);
        snprintf(why, why_size, "%s: %s", path, inner);
        fixtures_free(fx);
        return -1;
    }
    return 0;
}

void fixtures_free(fixtures *fx)
{
    for (size_t i = 0; i < fx->n_arrays; i++) {
        free(fx->arrays[i].ints);
        free(fx->arrays[i].doubles);
    }
    free(fx->arrays);
    free(fx->checks);
    free(fx->text);
    memset(fx, 0, sizeof *fx);
}

const char *fx_value(const fx_check *c, const char *key)
{
    for (size_t i = 0; i < c->n_keys; i++) {
        if (strcmp(c->keys[i], key) == 0) return c->values[i];
    }
    return NULL;
}

const fx_array *fx_array_for(const fixtures *fx, const fx_check *c, const char *key)
{
    const char *name = fx_value(c, key);
    if (!name) return NULL;
    for (size_t i = 0; i < fx->n_arrays; i++) {
        if (strcmp(fx->arrays[i].name, name) == 0) return &fx->arrays[i];
    }
    return NULL;
}
