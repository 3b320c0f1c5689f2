/* lib/monitor/predlog_parse.c — one prediction-log line into a typed row.
 *
 * Every check here turns a line into "skipped" rather than an error: the log
 * is written by another process that may have been cut mid-write or be of
 * another version, and one bad line must not hide the rest of the window. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/monitor/predlog_internal.h"
#include "lib/pbjson/json.h"

void predlog_row_clear(predlog_row *row, size_t n_schema)
{
    free(row->label);
    row->label = NULL;
    for (size_t i = 0; row->cells && i < n_schema; i++) free(row->cells[i].text);
    free(row->cells);
    row->cells = NULL;
}

/* Reads `n` digits at *p into *v; 0 on success. */
static int digits(const char **p, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++, (*p)++) {
        if (!isdigit((unsigned char)**p)) return -1;
        *v = *v * 10 + (**p - '0');
    }
    return 0;
}

static int expect(const char **p, char c)
{
    if (**p != c) return -1;
    (*p)++;
    return 0;
}

/* The fraction after "SS." in nanoseconds (digits beyond 9 ignored). */
static int fraction_ns(const char **p, int64_t *ns)
{
    *ns = 0;
    int n = 0;
    for (; isdigit((unsigned char)**p); (*p)++, n++)
        if (n < 9) *ns = *ns * 10 + (**p - '0');
    if (n == 0) return -1;
    for (int i = n; i < 9; i++) *ns *= 10;
    return 0;
}

/* "Z" or "+hh:mm" / "-hh:mm", as seconds east of UTC. */
static int zone(const char **p, int *east)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *east = 0;
        return 0;
    }
    int sign = **p == '+' ? 1 : **p == '-' ? -1 : 0, hh, mm;
    if (!sign) return -1;
    (*p)++;
    if (digits(p, 2, &hh) || expect(p, ':') || digits(p, 2, &mm) || hh > 23 || mm > 59) return -1;
    *east = sign * (hh * 3600 + mm * 60);
    return 0;
}

int predlog_parse_time(const char *s, int64_t *ns)
{
    const char *p = s;
    int y, mo, d, h, mi, se, east;
    int64_t frac = 0;
    if (digits(&p, 4, &y) || expect(&p, '-') || digits(&p, 2, &mo) || expect(&p, '-') || digits(&p, 2, &d))
        return -1;
    if ((*p != 'T' && *p != 't') || (p++, digits(&p, 2, &h)) || expect(&p, ':') || digits(&p, 2, &mi) ||
        expect(&p, ':') || digits(&p, 2, &se))
        return -1;
    if (*p == '.' && (p++, fraction_ns(&p, &frac))) return -1;
    if (zone(&p, &east) || *p != '\0') return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = se};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 && !(y == 1969 && mo == 12 && d == 31)) return -1;
    *ns = ((int64_t)t - east) * 1000000000 + frac;
    return 0;
}

/* A finite JSON number as a double; 0 on success. */
static int number(const aia_json_value *v, double *out)
{
    if (!v || v->type != AIA_JSON_NUMBER) return -1;
    char *end;
    *out = strtod(v->u.str, &end);
    return *end == '\0' && isfinite(*out) ? 0 : -1;
}

static int version_of(const aia_json_value *v, int *out)
{
    if (!v || v->type != AIA_JSON_NUMBER) return -1;
    char *end;
    long n = strtol(v->u.str, &end, 10);
    if (*end != '\0' || n < 1 || n > 2147483647L) return -1;
    *out = (int)n;
    return 0;
}

static char *copy_text(const aia_json_value *v)
{
    if (v->type == AIA_JSON_TRUE) return strdup("true");
    if (v->type == AIA_JSON_FALSE) return strdup("false");
    return strndup(v->u.str, v->len);
}

/* One schema cell from inputs; PREDLOG_BAD when absent or of the wrong type. */
static predlog_parse_result cell(const aia_json_value *inputs, const aia_predlog_schema_col *col, predlog_cell *c)
{
    const aia_json_value *v = aia_json_object_get(inputs, col->name);
    c->num = NAN;
    c->text = NULL;
    if (!v) return PREDLOG_BAD;
    if (v->type == AIA_JSON_NULL) return PREDLOG_ROW;
    int is_bool = v->type == AIA_JSON_TRUE || v->type == AIA_JSON_FALSE;
    switch (col->type) {
    case AIA_COLUMN_NUMERIC:
        return number(v, &c->num) == 0 ? PREDLOG_ROW : PREDLOG_BAD;
    case AIA_COLUMN_BOOLEAN:
        if (!is_bool) return PREDLOG_BAD;
        c->num = v->type == AIA_JSON_TRUE;
        return PREDLOG_ROW;
    case AIA_COLUMN_CATEGORICAL:
        if (!is_bool && v->type != AIA_JSON_STRING) return PREDLOG_BAD;
        /* A category with U+0000 in it would be cut short by C strings. */
        if (v->type == AIA_JSON_STRING && strlen(v->u.str) != v->len) return PREDLOG_BAD;
        c->text = copy_text(v);
        return c->text ? PREDLOG_ROW : PREDLOG_OOM;
    }
    return PREDLOG_BAD;
}

/* Cells live in one allocation with the array; texts are separate. */
static predlog_parse_result cells(const aia_json_value *inputs, const aia_predlog_schema_col *schema, size_t n,
                                  predlog_row *row)
{
    row->cells = calloc(n ? n : 1, sizeof *row->cells);
    if (!row->cells) return PREDLOG_OOM;
    for (size_t i = 0; i < n; i++) {
        predlog_parse_result r = cell(inputs, &schema[i], &row->cells[i]);
        if (r != PREDLOG_ROW) {
            for (size_t j = 0; j <= i; j++) free(row->cells[j].text);
            free(row->cells);
            row->cells = NULL;
            return r;
        }
    }
    return PREDLOG_ROW;
}

/* "label" (+ optional "probabilities") or "value". */
static predlog_parse_result outputs(const aia_json_value *top, const char *positive_label, predlog_row *row)
{
    const aia_json_value *label = aia_json_object_get(top, "label"), *value = aia_json_object_get(top, "value");
    row->value = NAN;
    row->pos_prob = NAN;
    if (label) {
        if (label->type != AIA_JSON_STRING || strlen(label->u.str) != label->len) return PREDLOG_BAD;
        const aia_json_value *probs = aia_json_object_get(top, "probabilities");
        if (probs && probs->type != AIA_JSON_OBJECT) return PREDLOG_BAD;
        const aia_json_value *p = probs && positive_label ? aia_json_object_get(probs, positive_label) : NULL;
        if (p && number(p, &row->pos_prob) != 0) row->pos_prob = NAN; /* null: a non-finite output */
        row->label = strdup(label->u.str);
        return row->label ? PREDLOG_ROW : PREDLOG_OOM;
    }
    if (!value) return PREDLOG_BAD;
    if (value->type == AIA_JSON_NULL) return PREDLOG_ROW; /* the writer's spelling of a non-finite value */
    return number(value, &row->value) == 0 ? PREDLOG_ROW : PREDLOG_BAD;
}

static predlog_parse_result header(const aia_json_value *top, predlog_row *row)
{
    const aia_json_value *id = aia_json_object_get(top, "prediction_id"), *t = aia_json_object_get(top, "time");
    if (!id || id->type != AIA_JSON_STRING || id->len == 0 || id->len > 32 || strlen(id->u.str) != id->len)
        return PREDLOG_BAD;
    memcpy(row->id, id->u.str, id->len + 1);
    if (!t || t->type != AIA_JSON_STRING || predlog_parse_time(t->u.str, &row->time_ns) != 0) return PREDLOG_BAD;
    if (version_of(aia_json_object_get(top, "version"), &row->version) != 0) return PREDLOG_BAD;
    return PREDLOG_ROW;
}

predlog_parse_result predlog_parse_line(const char *line, size_t len, const aia_predlog_schema_col *schema,
                                        size_t n_schema, const char *positive_label, aia_arena *scratch,
                                        predlog_row *row)
{
    aia_arena_reset(scratch);
    memset(row, 0, sizeof *row);
    aia_json_value *top = NULL;
    aia_error perr;
    aia_status st = aia_json_parse(line, len, 8, scratch, &top, &perr);
    if (st == AIA_RESOURCE_EXHAUSTED) return PREDLOG_OOM;
    if (st != AIA_OK || top->type != AIA_JSON_OBJECT) return PREDLOG_BAD;
    const aia_json_value *inputs = aia_json_object_get(top, "inputs");
    if (!inputs || inputs->type != AIA_JSON_OBJECT) return PREDLOG_BAD;
    predlog_parse_result r = header(top, row);
    if (r == PREDLOG_ROW) r = outputs(top, positive_label, row);
    if (r == PREDLOG_ROW) r = cells(inputs, schema, n_schema, row);
    if (r != PREDLOG_ROW) {
        free(row->label);
        row->label = NULL;
    }
    return r;
}
