/* lib/monitor/predlog.h — a model's prediction log read back as drift windows.
 *
 * lib/serve writes sampled predictions as JSON lines under
 * <data_dir>/predictions/<model_id>/predictions-<20-digit seq>.jsonl (see
 * lib/serve/serve.h, "Prediction log"). This module reads them back for the
 * drift monitor: the inputs of recent rows as a typed frame (one column per
 * schema column), and the outputs beside them.
 *
 * The log is live and bounded: files rotate and the oldest are deleted, and
 * the writer may be appending to the newest file while we read it. So:
 *   - a last line without '\n' in the newest file is a write in progress:
 *     it is not read, and the returned position stays before it; in an older
 *     file it is a write that failed (the writer moved on): skipped, counted;
 *   - a position whose file was rotated away reads from the oldest file
 *     present; a position past the newest file or past its file's end (the
 *     log was removed and started again) reads from the oldest file too;
 *   - a missing predictions directory is an empty log (0 rows), not an error.
 *
 * Cell rules (per schema column): NUMERIC takes a JSON number, CATEGORICAL a
 * string (or true/false, read as the text "true"/"false"), BOOLEAN true or
 * false; null is a missing cell. A line whose JSON does not parse, lacks a
 * required field (prediction_id of 1..32 characters, RFC 3339 time, version
 * >= 1, inputs object, "label" string or "value" number|null), lacks a
 * schema column or holds a value of the wrong type for it is skipped and
 * counted in skipped_lines, never fatal. Infinite numbers are the wrong type.
 *
 * Memory: files are streamed line by line; with max_rows > 0 only the last
 * max_rows matching rows are kept (a ring), so a window costs O(max_rows)
 * whatever the log's size.
 *
 * Errors: INVALID_ARGUMENT naming the argument (NULL query fields, a
 * model_id that is not one path component, an empty or duplicate schema
 * column name, a bad column type); UNAVAILABLE naming the path and the errno
 * text when a directory or file cannot be listed, opened or read (a file
 * rotated away between listing and opening is not an error);
 * RESOURCE_EXHAUSTED when out of memory.
 *
 * Thread-safety: every function is reentrant and keeps no state; concurrent
 * calls (and a concurrent writer) are safe. A window is owned by the caller,
 * immutable, freed with aia_predlog_window_free().
 */
#ifndef AIA_MONITOR_PREDLOG_H
#define AIA_MONITOR_PREDLOG_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"
#include "lib/data/frame.h"

typedef struct aia_predlog_schema_col {
    const char *name;
    aia_column_type type;
} aia_predlog_schema_col;

/* A position in a model's log: file sequence + byte offset after a complete
 * line. {0,0} = the beginning. */
typedef struct aia_predlog_pos {
    uint64_t seq;
    uint64_t offset;
} aia_predlog_pos;

typedef struct aia_predlog_window {
    /* One column per schema column, in schema order; rows = window rows
     * (oldest first); null cells are missing. Never NULL (0 rows when the
     * window is empty). */
    aia_frame *inputs;
    size_t n_rows;
    /* Every array below has n_rows entries and is NULL when n_rows is 0. */
    char (*prediction_ids)[33];
    int *versions;
    int64_t *times_ns; /* unix ns */
    /* labels: the predicted
     * label per row, non-NULL when any row is a classification; values: the
     * predicted value, non-NULL when any row is a regression. A log mixing
     * both (a model id reused across tasks) has both: NULL label / NaN value
     * where a row is of the other kind. */
    char **labels;
    double *values;
    /* Non-NULL when positive_label was given and labels is non-NULL: each
     * row's probability of positive_label, NaN when its "probabilities"
     * lack that key (or are absent, or the row is a regression). */
    double *positive_probability;
    aia_predlog_pos end;  /* after the last line read: pass as `after` next time */
    size_t skipped_lines; /* lines skipped (see the cell rules above) */
} aia_predlog_window;

typedef struct aia_predlog_query {
    const char *data_dir, *model_id;
    const aia_predlog_schema_col *schema;
    size_t n_schema;
    int version;               /* 0 = any version; else only rows of this version */
    aia_predlog_pos after;     /* only rows after this position ({0,0} = from the oldest file present) */
    size_t max_rows;           /* keep only the LAST max_rows rows found after `after` (0 = all) */
    const char *positive_label;/* for positive_probability; NULL = none */
} aia_predlog_query;

/* Reads the rows logged after q->after. `end` is the position after the last
 * complete line seen (rows of other versions and skipped lines included), or
 * q->after when there was nothing. *out is the caller's on success, NULL on
 * error. */
aia_status aia_predlog_read(const aia_predlog_query *q, aia_predlog_window **out, aia_error *err);
/* NULL is a no-op. */
void aia_predlog_window_free(aia_predlog_window *w);

/* Rows (of any version, skipped ones too) logged after `after`, counted
 * cheaply (the '\n' bytes after the position), for deciding whether a window
 * has filled. *end as for a read. */
aia_status aia_predlog_count_after(const char *data_dir, const char *model_id, aia_predlog_pos after,
                                   size_t *rows, aia_predlog_pos *end, aia_error *err);

/* Finds logged predictions by id, for ground-truth matching: found[i] = 1
 * and row i of *out holds that prediction's inputs and outputs; found[i] = 0
 * leaves row i missing (inputs missing, label NULL, value NaN, version 0,
 * time 0, id ""). *out has n rows; labels/values as for a read (present when
 * a found row has that kind), no positive_probability; skipped_lines counts
 * bad lines seen. Reads every file of the model; when an id appears twice,
 * the later line wins. n may be 0 (ids and found then may be NULL). */
aia_status aia_predlog_find(const char *data_dir, const char *model_id, const aia_predlog_schema_col *schema,
                            size_t n_schema, const char *const *ids, size_t n, int *found,
                            aia_predlog_window **out, aia_error *err);

#endif
