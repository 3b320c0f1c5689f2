/* server/services/drift_instances.c — RunDriftCheck's inline rows
 * (google.protobuf.Struct, feature name → value) as a typed frame of the
 * monitored features. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/services/drift_internal.h"
#include "server/services/model_internal.h"

typedef struct columns {
    char **names;
    aia_column_type *types;
    size_t n, rows;
    double **numeric;       /* per numeric column: rows values, NaN = missing */
    const char ***text;     /* per categorical column: rows strings, NULL = missing */
    int8_t **boolean;       /* per boolean column: rows values, -1 = missing */
    char **owned;           /* formatted numbers for categorical cells */
    size_t n_owned;
} columns;

static long column_of(const columns *c, const char *name)
{
    for (size_t j = 0; j < c->n; j++)
        if (strcmp(c->names[j], name) == 0) return (long)j;
    return -1;
}

static aia_status set_cell(columns *c, size_t j, size_t i, const Google__Protobuf__Value *v, aia_error *err)
{
    int kind = v ? (int)v->kind_case : GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE;
    if (kind == GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE || kind == GOOGLE__PROTOBUF__VALUE__KIND__NOT_SET)
        return AIA_OK; /* left missing */
    switch (c->types[j]) {
    case AIA_COLUMN_NUMERIC:
        if (kind != GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE) break;
        c->numeric[j][i] = v->number_value;
        return AIA_OK;
    case AIA_COLUMN_BOOLEAN:
        if (kind != GOOGLE__PROTOBUF__VALUE__KIND_BOOL_VALUE) break;
        c->boolean[j][i] = v->bool_value ? 1 : 0;
        return AIA_OK;
    default:
        if (kind == GOOGLE__PROTOBUF__VALUE__KIND_STRING_VALUE) {
            c->text[j][i] = v->string_value;
            return AIA_OK;
        }
        if (kind != GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE) break;
        char buf[40];
        snprintf(buf, sizeof buf, "%.17g", v->number_value); /* categories written as numbers */
        char *s = strdup(buf);
        if (!s) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        c->owned[c->n_owned++] = s;
        c->text[j][i] = s;
        return AIA_OK;
    }
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "instances[%zu].%s: expected %s, got %s", i, c->names[j],
                         c->types[j] == AIA_COLUMN_NUMERIC   ? "a number or null"
                         : c->types[j] == AIA_COLUMN_BOOLEAN ? "true, false or null"
                                                             : "a string or null",
                         aia_model_value_kind(v));
}

static aia_status fill_row(columns *c, const Google__Protobuf__Struct *row, size_t i, aia_error *err)
{
    for (size_t f = 0; row && f < row->n_fields; f++) {
        long j = column_of(c, row->fields[f]->key);
        if (j < 0) {
            char known[512] = "";
            size_t used = 0;
            for (size_t k = 0; k < c->n && used < sizeof known - 8; k++)
                used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", k ? ", " : "", c->names[k]);
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "instances[%zu]: unknown column \"%s\" (monitored features: %s)", i,
                                 row->fields[f]->key, known);
        }
        if (set_cell(c, (size_t)j, i, row->fields[f]->value, err) != AIA_OK) return err->code;
    }
    return AIA_OK;
}

static aia_status alloc_columns(columns *c, aia_error *err)
{
    c->numeric = calloc(c->n + 1, sizeof *c->numeric);
    c->text = calloc(c->n + 1, sizeof *c->text);
    c->boolean = calloc(c->n + 1, sizeof *c->boolean);
    c->owned = calloc(c->n * c->rows + 1, sizeof *c->owned);
    if (!c->numeric || !c->text || !c->boolean || !c->owned)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t j = 0; j < c->n; j++) {
        if (c->types[j] == AIA_COLUMN_NUMERIC) {
            if (!(c->numeric[j] = malloc(c->rows * sizeof(double)))) break;
            for (size_t i = 0; i < c->rows; i++) c->numeric[j][i] = NAN;
        } else if (c->types[j] == AIA_COLUMN_BOOLEAN) {
            if (!(c->boolean[j] = malloc(c->rows))) break;
            memset(c->boolean[j], -1, c->rows);
        } else if (!(c->text[j] = calloc(c->rows, sizeof(char *)))) {
            break;
        }
    }
    for (size_t j = 0; j < c->n; j++)
        if (!c->numeric[j] && !c->boolean[j] && !c->text[j])
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    return AIA_OK;
}

static aia_status build_frame(const columns *c, aia_frame **out, aia_error *err)
{
    if (aia_frame_create(c->rows, "instances", out, err) != AIA_OK) return err->code;
    for (size_t j = 0; j < c->n; j++) {
        aia_status st;
        if (c->types[j] == AIA_COLUMN_NUMERIC) st = aia_frame_add_numeric(*out, c->names[j], c->numeric[j], NULL, err);
        else if (c->types[j] == AIA_COLUMN_BOOLEAN) st = aia_frame_add_boolean(*out, c->names[j], c->boolean[j], err);
        else st = aia_frame_add_categorical(*out, c->names[j], c->text[j], err);
        if (st != AIA_OK) {
            aia_frame_free(*out);
            *out = NULL;
            return st;
        }
    }
    return AIA_OK;
}

static void free_columns(columns *c)
{
    for (size_t j = 0; j < c->n; j++) {
        if (c->numeric) free(c->numeric[j]);
        if (c->text) free(c->text[j]);
        if (c->boolean) free(c->boolean[j]);
    }
    for (size_t k = 0; k < c->n_owned; k++) free(c->owned[k]);
    free(c->numeric);
    free(c->text);
    free(c->boolean);
    free(c->owned);
    aia_monitors_features_free(c->names, c->types, c->n);
}

aia_status aia_drift_instances_frame(aia_monitors *m, const char *monitor_id, Google__Protobuf__Struct *const *rows,
                                     size_t n, aia_frame **out, aia_error *err)
{
    *out = NULL;
    columns c;
    memset(&c, 0, sizeof c);
    c.rows = n;
    aia_status st = aia_monitors_features(m, monitor_id, &c.names, &c.types, &c.n, err);
    if (st == AIA_OK) st = alloc_columns(&c, err);
    for (size_t i = 0; st == AIA_OK && i < n; i++) st = fill_row(&c, rows[i], i, err);
    if (st == AIA_OK) st = build_frame(&c, out, err);
    free_columns(&c);
    return st;
}
