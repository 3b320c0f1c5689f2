/* lib/monitor/predlog.c — windows of recent rows (aia_predlog_read) and rows
 * by prediction id (aia_predlog_find) from a model's prediction log.
 *
 * A read streams the lines after the position and keeps the matching rows
 * in a ring of max_rows slots (a growing array when max_rows is 0), so its
 * memory is bounded by the window, not by the log. */
#include <stdlib.h>
#include <string.h>

#include "lib/monitor/predlog_internal.h"

/* ---- read ------------------------------------------------------------------- */

typedef struct reader {
    const aia_predlog_query *q;
    aia_arena scratch;
    predlog_row *ring;
    size_t cap, count, head; /* rows live at ring[(head + i) % cap], oldest first */
    size_t skipped;
} reader;

static aia_status push(reader *r, predlog_row *row, aia_error *err)
{
    size_t max = r->q->max_rows;
    if (max > 0 && r->count == max) { /* full: the oldest row gives way */
        predlog_row_clear(&r->ring[r->head], r->q->n_schema);
        r->ring[r->head] = *row;
        r->head = (r->head + 1) % r->cap;
        return AIA_OK;
    }
    if (r->count == r->cap) { /* not wrapped yet (head is 0): realloc keeps the order */
        size_t cap = r->cap ? 2 * r->cap : 256;
        if (max > 0 && cap > max) cap = max;
        predlog_row *bigger = cap < SIZE_MAX / sizeof *bigger ? realloc(r->ring, cap * sizeof *bigger) : NULL;
        if (!bigger) {
            predlog_row_clear(row, r->q->n_schema);
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory holding %zu prediction rows", r->count);
        }
        r->ring = bigger;
        r->cap = cap;
    }
    r->ring[(r->head + r->count++) % r->cap] = *row;
    return AIA_OK;
}

static aia_status on_line(void *ctx, const char *line, size_t len, aia_error *err)
{
    reader *r = ctx;
    const aia_predlog_query *q = r->q;
    predlog_row row;
    predlog_parse_result res =
        predlog_parse_line(line, len, q->schema, q->n_schema, q->positive_label, &r->scratch, &row);
    if (res == PREDLOG_OOM) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory parsing a prediction");
    if (res == PREDLOG_BAD) {
        r->skipped++;
        return AIA_OK;
    }
    if (q->version != 0 && row.version != q->version) {
        predlog_row_clear(&row, q->n_schema);
        return AIA_OK;
    }
    return push(r, &row, err);
}

static aia_status check_query(const aia_predlog_query *q, aia_predlog_window **out, aia_error *err)
{
    if (!q || !out) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s is NULL", q ? "out" : "query");
    if (q->version < 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "version %d is negative", q->version);
    return predlog_check_args(q->data_dir, q->model_id, q->schema, q->n_schema, err);
}

aia_status aia_predlog_read(const aia_predlog_query *q, aia_predlog_window **out, aia_error *err)
{
    if (out) *out = NULL;
    aia_status st = check_query(q, out, err);
    if (st != AIA_OK) return st;
    /* The ring starts empty and grows up to max_rows as rows come, so a
     * large max_rows over a short log costs only what the log holds. */
    reader r = {.q = q};
    aia_arena_init(&r.scratch, 0);
    aia_predlog_pos end;
    size_t partials = 0;
    st = predlog_walk(q->data_dir, q->model_id, q->after, on_line, &r, &end, &partials, err);
    predlog_row **order = NULL;
    if (st == AIA_OK && !(order = malloc((r.count ? r.count : 1) * sizeof *order)))
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory ordering %zu rows", r.count);
    for (size_t i = 0; st == AIA_OK && i < r.count; i++) order[i] = &r.ring[(r.head + i) % r.cap];
    if (st == AIA_OK)
        st = predlog_window_build(q->schema, q->n_schema, order, r.count, q->positive_label != NULL, out, err);
    if (st == AIA_OK) {
        (*out)->end = end;
        (*out)->skipped_lines = r.skipped + partials;
    }
    free(order);
    for (size_t i = 0; i < r.count; i++) predlog_row_clear(&r.ring[(r.head + i) % r.cap], q->n_schema);
    free(r.ring);
    aia_arena_destroy(&r.scratch);
    return st;
}
