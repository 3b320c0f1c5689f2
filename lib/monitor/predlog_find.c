/* lib/monitor/predlog_find.c — logged predictions by id, for matching
 * ground truth to what the model saw and said.
 *
 * The wanted ids are sorted once (with their place in the caller's order), so
 * each log line costs one binary search whatever the number of ids. */
#include <stdlib.h>
#include <string.h>

#include "lib/monitor/predlog_internal.h"

typedef struct wanted {
    const char *id;
    size_t index; /* in the caller's ids */
} wanted;

typedef struct finder {
    const aia_predlog_schema_col *schema;
    size_t n_schema;
    wanted *order; /* the ids sorted */
    size_t n;
    predlog_row *hits; /* hits[i]: the row for ids[i] (cells NULL: none yet) */
    aia_arena scratch;
    size_t skipped;
} finder;

static int by_id(const void *a, const void *b)
{
    return strcmp(((const wanted *)a)->id, ((const wanted *)b)->id);
}

/* The first position in order[] whose id is `id`, or n. */
static size_t lower_bound(const finder *f, const char *id)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(f->order[mid].id, id) < 0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* A deep copy of row into *dst (replacing what was there). */
static int store_hit(finder *f, predlog_row *dst, const predlog_row *row)
{
    predlog_row copy = *row;
    copy.label = row->label ? strdup(row->label) : NULL;
    copy.cells = malloc((f->n_schema ? f->n_schema : 1) * sizeof *copy.cells);
    int ok = copy.cells && (!row->label || copy.label);
    for (size_t c = 0; ok && c < f->n_schema; c++) {
        copy.cells[c] = row->cells[c];
        if (row->cells[c].text && !(copy.cells[c].text = strdup(row->cells[c].text))) {
            for (size_t j = 0; j < c; j++) free(copy.cells[j].text);
            ok = 0;
        }
    }
    if (!ok) {
        free(copy.label);
        free(copy.cells);
        return -1;
    }
    predlog_row_clear(dst, f->n_schema);
    *dst = copy;
    return 0;
}

static aia_status on_line(void *ctx, const char *line, size_t len, aia_error *err)
{
    finder *f = ctx;
    predlog_row row;
    predlog_parse_result res = predlog_parse_line(line, len, f->schema, f->n_schema, NULL, &f->scratch, &row);
    if (res == PREDLOG_OOM) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory parsing a prediction");
    if (res == PREDLOG_BAD) {
        f->skipped++;
        return AIA_OK;
    }
    int oom = 0;
    for (size_t k = lower_bound(f, row.id); !oom && k < f->n && !strcmp(f->order[k].id, row.id); k++)
        oom = store_hit(f, &f->hits[f->order[k].index], &row) != 0;
    predlog_row_clear(&row, f->n_schema);
    return oom ? aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory keeping prediction %s", row.id) : AIA_OK;
}

static aia_status check_ids(const char *const *ids, size_t n, const int *found, aia_predlog_window **out,
                            aia_error *err)
{
    if (!out) return aia_error_set(err, AIA_INVALID_ARGUMENT, "out is NULL");
    if (n > 0 && (!ids || !found))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s is NULL with n %zu", ids ? "found" : "ids", n);
    for (size_t i = 0; i < n; i++)
        if (!ids[i]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "ids[%zu] is NULL", i);
    return AIA_OK;
}

/* Builds the window: rows with a hit, the others left missing. */
static aia_status build(finder *f, int *found, aia_predlog_window **out, aia_error *err)
{
    predlog_row **rows = malloc((f->n ? f->n : 1) * sizeof *rows);
    if (!rows) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %zu found rows", f->n);
    for (size_t i = 0; i < f->n; i++) {
        found[i] = f->hits[i].cells != NULL;
        rows[i] = found[i] ? &f->hits[i] : NULL;
    }
    aia_status st = predlog_window_build(f->schema, f->n_schema, rows, f->n, 0, out, err);
    free(rows);
    return st;
}

aia_status aia_predlog_find(const char *data_dir, const char *model_id, const aia_predlog_schema_col *schema,
                            size_t n_schema, const char *const *ids, size_t n, int *found,
                            aia_predlog_window **out, aia_error *err)
{
    if (out) *out = NULL;
    aia_status st = check_ids(ids, n, found, out, err);
    if (st == AIA_OK) st = predlog_check_args(data_dir, model_id, schema, n_schema, err);
    if (st != AIA_OK) return st;
    finder f = {.schema = schema, .n_schema = n_schema, .n = n};
    f.order = malloc((n ? n : 1) * sizeof *f.order);
    f.hits = calloc(n ? n : 1, sizeof *f.hits);
    if (!f.order || !f.hits) {
        free(f.order);
        free(f.hits);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %zu ids", n);
    }
    for (size_t i = 0; i < n; i++) f.order[i] = (wanted){ids[i], i};
    qsort(f.order, n, sizeof *f.order, by_id);
    aia_arena_init(&f.scratch, 0);
    aia_predlog_pos end;
    size_t partials = 0;
    st = predlog_walk(data_dir, model_id, (aia_predlog_pos){0, 0}, on_line, &f, &end, &partials, err);
    if (st == AIA_OK) st = build(&f, found, out, err);
    if (st == AIA_OK) {
        (*out)->end = end;
        (*out)->skipped_lines = f.skipped + partials;
    }
    for (size_t i = 0; i < n; i++) predlog_row_clear(&f.hits[i], n_schema);
    free(f.order);
    free(f.hits);
    aia_arena_destroy(&f.scratch);
    return st;
}
