/* lib/monitor/predlog_internal.h — shared by the predlog_*.c files only. */
#ifndef AIA_MONITOR_PREDLOG_INTERNAL_H
#define AIA_MONITOR_PREDLOG_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "lib/base/arena.h"
#include "lib/monitor/predlog.h"

/* One schema cell of a parsed row: NUMERIC and BOOLEAN in num (NaN =
 * missing), CATEGORICAL in text (NULL = missing, malloc'd). */
typedef struct predlog_cell {
    double num;
    char *text;
} predlog_cell;

/* A parsed log line; owns label and the cells (and their texts). */
typedef struct predlog_row {
    char id[33];
    int version;
    int64_t time_ns;
    char *label;     /* classification; NULL for a regression */
    double value;    /* regression; NaN for a classification or a null value */
    double pos_prob; /* probability of the query's positive label, else NaN */
    predlog_cell *cells;
} predlog_row;

typedef enum predlog_parse_result {
    PREDLOG_ROW = 0,  /* *row filled */
    PREDLOG_BAD = 1,  /* the line is skipped */
    PREDLOG_OOM = 2,
} predlog_parse_result;

/* Parses one line (without its '\n') into *row; `scratch` is reset here. */
predlog_parse_result predlog_parse_line(const char *line, size_t len, const aia_predlog_schema_col *schema,
                                        size_t n_schema, const char *positive_label, aia_arena *scratch,
                                        predlog_row *row);
/* Parses "2026-11-26T05:44:32.123Z" (any fraction, Z or ±hh:mm); 0 on success. */
int predlog_parse_time(const char *s, int64_t *ns);
/* Frees what the row owns (n_schema cells); the row can be reused. */
void predlog_row_clear(predlog_row *row, size_t n_schema);

/* Checks data_dir, model_id (one path component) and the schema. */
aia_status predlog_check_args(const char *data_dir, const char *model_id, const aia_predlog_schema_col *schema,
                              size_t n_schema, aia_error *err);

/* Called once per complete line (without its '\n'); returns non-zero to
 * stop the walk with the status it stored in the walk's err. */
typedef aia_status (*predlog_line_fn)(void *ctx, const char *line, size_t len, aia_error *err);

/* Walks the model's log from `after` (see predlog.h for rotated and reset
 * positions), calling fn on each complete line. *end is the position after
 * the last complete line (or abandoned partial line of an older file, added
 * to *partials). */
aia_status predlog_walk(const char *data_dir, const char *model_id, aia_predlog_pos after, predlog_line_fn fn,
                        void *ctx, aia_predlog_pos *end, size_t *partials, aia_error *err);

/* A window of n rows from rows[i] (NULL = a row left missing); texts are
 * copied, rows stay the caller's. want_pos: fill positive_probability. */
aia_status predlog_window_build(const aia_predlog_schema_col *schema, size_t n_schema, predlog_row *const *rows,
                                size_t n, int want_pos, aia_predlog_window **out, aia_error *err);

#endif
