/* lib/monitor/predlog_files.c — walking a model's rotating log files from a
 * position, and counting the lines after it.
 *
 * Files are listed once per walk, by name, in sequence order. The writer
 * only ever appends to the newest file and deletes the oldest, so a walk
 * that meets a vanished file moves on, and only the newest file can hold a
 * line still being written. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/monitor/predlog_internal.h"

#define CHUNK 65536

aia_status predlog_check_args(const char *data_dir, const char *model_id, const aia_predlog_schema_col *schema,
                              size_t n_schema, aia_error *err)
{
    if (!data_dir || !*data_dir) return aia_error_set(err, AIA_INVALID_ARGUMENT, "data_dir is empty");
    if (!model_id || !*model_id || strchr(model_id, '/') || !strcmp(model_id, ".") || !strcmp(model_id, ".."))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model_id '%s' is not a model id (one path component)",
                             model_id ? model_id : "(null)");
    if (n_schema > 0 && !schema)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "schema is NULL with n_schema %zu", n_schema);
    for (size_t i = 0; i < n_schema; i++) {
        if (!schema[i].name || !*schema[i].name)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "schema[%zu]: name is empty", i);
        if (schema[i].type != AIA_COLUMN_NUMERIC && schema[i].type != AIA_COLUMN_CATEGORICAL &&
            schema[i].type != AIA_COLUMN_BOOLEAN)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "schema[%zu] ('%s'): type %d is not a column type", i,
                                 schema[i].name, (int)schema[i].type);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(schema[j].name, schema[i].name))
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "schema[%zu]: column '%s' repeats schema[%zu]", i,
                                     schema[i].name, j);
    }
    return AIA_OK;
}

static int parse_seq(const char *name, uint64_t *seq)
{
    static const char prefix[] = "predictions-", suffix[] = ".jsonl";
    size_t len = strlen(name), pl = sizeof prefix - 1, sl = sizeof suffix - 1;
    if (len != pl + 20 + sl || strncmp(name, prefix, pl) || strcmp(name + pl + 20, suffix)) return 0;
    uint64_t v = 0;
    for (size_t i = pl; i < pl + 20; i++) {
        if (name[i] < '0' || name[i] > '9') return 0;
        uint64_t d = (uint64_t)(name[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return 0;
        v = v * 10 + d;
    }
    *seq = v;
    return 1;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The log's sequence numbers, ascending; a missing directory has none. */
static aia_status list_seqs(const char *dir, uint64_t **out, size_t *n, aia_error *err)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT) return AIA_OK;
        return aia_error_set(err, AIA_UNAVAILABLE, "%s: cannot list: %s", dir, strerror(errno));
    }
    size_t cap = 0;
    uint64_t *seqs = NULL, seq;
    for (struct dirent *de; (de = readdir(d)) != NULL;) {
        if (!parse_seq(de->d_name, &seq)) continue;
        if (*n == cap) {
            uint64_t *bigger = realloc(seqs, (cap = cap ? 2 * cap : 16) * sizeof *seqs);
            if (!bigger) {
                free(seqs);
                closedir(d);
                return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "%s: out of memory listing the log", dir);
            }
            seqs = bigger;
        }
        seqs[(*n)++] = seq;
    }
    closedir(d);
    if (seqs) qsort(seqs, *n, sizeof *seqs, cmp_u64);
    *out = seqs;
    return AIA_OK;
}

/* What to do with one open file from `start`: sets *end_offset. */
typedef aia_status (*file_fn)(void *ctx, FILE *fp, const char *path, uint64_t start, int newest,
                              uint64_t *end_offset, aia_error *err);

/* The file index and offset to start from (see predlog.h). */
static size_t start_index(const uint64_t *seqs, size_t n, aia_predlog_pos after, uint64_t *offset)
{
    *offset = 0;
    if (after.seq < seqs[0] || after.seq > seqs[n - 1]) return 0; /* rotated away, or the log restarted */
    size_t i = 0;
    while (seqs[i] < after.seq) i++;
    if (seqs[i] == after.seq) *offset = after.offset;
    return i;
}

static aia_status walk_files(const char *data_dir, const char *model_id, aia_predlog_pos after, file_fn fn,
                             void *ctx, aia_predlog_pos *end, aia_error *err)
{
    char dir[4096], path[4200];
    *end = after;
    if ((size_t)snprintf(dir, sizeof dir, "%s/predictions/%s", data_dir, model_id) >= sizeof dir)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "data_dir and model_id make a path too long");
    uint64_t *seqs, offset;
    size_t n;
    aia_status st = list_seqs(dir, &seqs, &n, err);
    for (size_t i = n ? start_index(seqs, n, after, &offset) : 0; st == AIA_OK && i < n; i++, offset = 0) {
        snprintf(path, sizeof path, "%s/predictions-%020llu.jsonl", dir, (unsigned long long)seqs[i]);
        FILE *fp = fopen(path, "rb");
        if (!fp) {
            if (errno == ENOENT) continue; /* rotated away since the listing */
            st = aia_error_set(err, AIA_UNAVAILABLE, "%s: cannot open: %s", path, strerror(errno));
            break;
        }
        struct stat sb;
        if (fstat(fileno(fp), &sb) == 0 && (uint64_t)sb.st_size < offset) offset = 0; /* a new file, same name */
        if (offset > 0 && fseeko(fp, (off_t)offset, SEEK_SET) != 0)
            st = aia_error_set(err, AIA_UNAVAILABLE, "%s: cannot seek to %llu: %s", path,
                               (unsigned long long)offset, strerror(errno));
        uint64_t end_offset = offset;
        if (st == AIA_OK) st = fn(ctx, fp, path, offset, i == n - 1, &end_offset, err);
        fclose(fp);
        if (st == AIA_OK) *end = (aia_predlog_pos){seqs[i], end_offset};
    }
    free(seqs);
    return st;
}

/* ---- lines ----------------------------------------------------------------- */

typedef struct line_walk {
    predlog_line_fn fn;
    void *ctx;
    size_t partials;
} line_walk;

static aia_status file_lines(void *ctx, FILE *fp, const char *path, uint64_t start, int newest,
                             uint64_t *end_offset, aia_error *err)
{
    line_walk *w = ctx;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    aia_status st = AIA_OK;
    *end_offset = start;
    while (st == AIA_OK && (len = getline(&buf, &cap, fp)) > 0) {
        if (buf[len - 1] != '\n') {
            /* In the newest file: a line being written, read next time.
             * Elsewhere: a write the writer gave up on. */
            if (!newest) {
                w->partials++;
                *end_offset += (uint64_t)len;
            }
            break;
        }
        st = w->fn(w->ctx, buf, (size_t)len - 1, err);
        if (st == AIA_OK) *end_offset += (uint64_t)len;
    }
    if (st == AIA_OK && ferror(fp))
        st = aia_error_set(err, AIA_UNAVAILABLE, "%s: read failed at byte %llu: %s", path,
                           (unsigned long long)*end_offset, strerror(errno));
    else if (st == AIA_OK && !feof(fp) && len < 0)
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "%s: out of memory reading a line at byte %llu", path,
                           (unsigned long long)*end_offset);
    free(buf);
    return st;
}

aia_status predlog_walk(const char *data_dir, const char *model_id, aia_predlog_pos after, predlog_line_fn fn,
                        void *ctx, aia_predlog_pos *end, size_t *partials, aia_error *err)
{
    line_walk w = {fn, ctx, 0};
    aia_status st = walk_files(data_dir, model_id, after, file_lines, &w, end, err);
    *partials = w.partials;
    return st;
}

/* ---- counting ------------------------------------------------------------- */

static aia_status file_count(void *ctx, FILE *fp, const char *path, uint64_t start, int newest,
                             uint64_t *end_offset, aia_error *err)
{
    size_t *rows = ctx;
    char *buf = malloc(CHUNK);
    if (!buf) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    uint64_t at = start;
    *end_offset = start;
    for (size_t got; (got = fread(buf, 1, CHUNK, fp)) > 0; at += got) {
        for (const char *p = buf, *nl; (nl = memchr(p, '\n', got - (size_t)(p - buf))) != NULL; p = nl + 1) {
            (*rows)++;
            *end_offset = at + (uint64_t)(nl - buf) + 1;
        }
    }
    free(buf);
    if (ferror(fp))
        return aia_error_set(err, AIA_UNAVAILABLE, "%s: read failed at byte %llu: %s", path,
                             (unsigned long long)at, strerror(errno));
    if (!newest) *end_offset = at; /* an abandoned partial line is passed over, as a read does */
    return AIA_OK;
}

aia_status aia_predlog_count_after(const char *data_dir, const char *model_id, aia_predlog_pos after,
                                   size_t *rows, aia_predlog_pos *end, aia_error *err)
{
    if (!rows || !end) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s is NULL", rows ? "end" : "rows");
    *rows = 0;
    *end = after;
    aia_status st = predlog_check_args(data_dir, model_id, NULL, 0, err);
    if (st != AIA_OK) return st;
    size_t n = 0;
    st = walk_files(data_dir, model_id, after, file_count, &n, end, err);
    if (st == AIA_OK) *rows = n;
    else *end = after;
    return st;
}
