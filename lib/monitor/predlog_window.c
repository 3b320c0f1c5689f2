/* lib/monitor/predlog_window.c — parsed rows into a window (a typed frame
 * of the inputs and arrays of the outputs), and freeing it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/monitor/predlog_internal.h"

void aia_predlog_window_free(aia_predlog_window *w)
{
    if (!w) return;
    aia_frame_free(w->inputs);
    for (size_t i = 0; w->labels && i < w->n_rows; i++) free(w->labels[i]);
    free(w->labels);
    free(w->prediction_ids);
    free(w->versions);
    free(w->times_ns);
    free(w->values);
    free(w->positive_probability);
    free(w);
}

static aia_status oom(aia_error *err, const char *what)
{
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory building the prediction window's %s", what);
}

/* Column c of the rows into the frame. */
static aia_status add_column(aia_frame *f, const aia_predlog_schema_col *col, size_t c, predlog_row *const *rows,
                             size_t n, aia_error *err)
{
    size_t m = n ? n : 1;
    aia_status st;
    if (col->type == AIA_COLUMN_CATEGORICAL) {
        const char **cells = malloc(m * sizeof *cells);
        if (!cells) return oom(err, col->name);
        for (size_t r = 0; r < n; r++) cells[r] = rows[r] ? rows[r]->cells[c].text : NULL;
        st = aia_frame_add_categorical(f, col->name, cells, err);
        free(cells);
        return st;
    }
    if (col->type == AIA_COLUMN_BOOLEAN) {
        int8_t *v = malloc(m * sizeof *v);
        if (!v) return oom(err, col->name);
        for (size_t r = 0; r < n; r++) {
            double x = rows[r] ? rows[r]->cells[c].num : NAN;
            v[r] = isnan(x) ? -1 : x != 0;
        }
        st = aia_frame_add_boolean(f, col->name, v, err);
        free(v);
        return st;
    }
    double *v = malloc(m * sizeof *v);
    if (!v) return oom(err, col->name);
    for (size_t r = 0; r < n; r++) v[r] = rows[r] ? rows[r]->cells[c].num : NAN;
    st = aia_frame_add_numeric(f, col->name, v, NULL, err);
    free(v);
    return st;
}

/* labels / values / positive_probability, each only when some row needs it. */
static aia_status add_outputs(aia_predlog_window *w, predlog_row *const *rows, int want_pos, aia_error *err)
{
    int any_label = 0, any_value = 0;
    for (size_t r = 0; r < w->n_rows; r++) {
        if (rows[r] && rows[r]->label) any_label = 1;
        else if (rows[r]) any_value = 1;
    }
    if (any_label && !(w->labels = calloc(w->n_rows, sizeof *w->labels))) return oom(err, "labels");
    if (any_value && !(w->values = malloc(w->n_rows * sizeof *w->values))) return oom(err, "values");
    if (any_label && want_pos && !(w->positive_probability = malloc(w->n_rows * sizeof(double))))
        return oom(err, "probabilities");
    for (size_t r = 0; r < w->n_rows; r++) {
        const predlog_row *row = rows[r];
        if (w->values) w->values[r] = row && !row->label ? row->value : NAN;
        if (w->positive_probability) w->positive_probability[r] = row ? row->pos_prob : NAN;
        if (w->labels && row && row->label && !(w->labels[r] = strdup(row->label))) return oom(err, "labels");
    }
    return AIA_OK;
}

static aia_status add_rows(aia_predlog_window *w, predlog_row *const *rows, aia_error *err)
{
    size_t n = w->n_rows;
    w->prediction_ids = calloc(n, sizeof *w->prediction_ids);
    w->versions = calloc(n, sizeof *w->versions);
    w->times_ns = calloc(n, sizeof *w->times_ns);
    if (!w->prediction_ids || !w->versions || !w->times_ns) return oom(err, "ids");
    for (size_t r = 0; r < n; r++) {
        if (!rows[r]) continue;
        memcpy(w->prediction_ids[r], rows[r]->id, sizeof rows[r]->id);
        w->versions[r] = rows[r]->version;
        w->times_ns[r] = rows[r]->time_ns;
    }
    return AIA_OK;
}

aia_status predlog_window_build(const aia_predlog_schema_col *schema, size_t n_schema, predlog_row *const *rows,
                                size_t n, int want_pos, aia_predlog_window **out, aia_error *err)
{
    *out = NULL;
    aia_predlog_window *w = calloc(1, sizeof *w);
    if (!w) return oom(err, "header");
    w->n_rows = n;
    aia_status st = aia_frame_create(n, "predictions", &w->inputs, err);
    for (size_t c = 0; st == AIA_OK && c < n_schema; c++) st = add_column(w->inputs, &schema[c], c, rows, n, err);
    if (st == AIA_OK && n > 0) st = add_rows(w, rows, err);
    if (st == AIA_OK && n > 0) st = add_outputs(w, rows, want_pos, err);
    if (st != AIA_OK) {
        aia_predlog_window_free(w);
        return st;
    }
    *out = w;
    return AIA_OK;
}
