/* lib/data/csv.c — CSV text to an aia_frame; the format is in csv.h.
 *
 * Design. The input is one contiguous buffer (a mapped file or the caller's
 * memory). The number of line ends bounds the number of records, so every
 * column array is allocated once at that size before parsing (untouched
 * pages cost nothing) and trimmed at the end: no growth, no copies.
 *
 * A tokenizer (read_record) cuts the buffer into fields, validating UTF-8 as
 * it goes, so errors know their line and column. Unquoted fields and quoted
 * fields without doubled quotes point into the buffer; only fields with ""
 * are unescaped into a scratch buffer.
 *
 * Type inference is optimistic: a column starts as "maybe numeric, maybe
 * boolean" and stores each cell as a double (booleans as 0/1). The first cell
 * that is neither turns it categorical from that row on; a second pass over
 * just the rows before that one interns their text, and the codes are then
 * renumbered into first-seen order. Purely numeric files are read once.
 */
#include "lib/data/csv.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/data/dict.h"
#include "lib/data/frame_internal.h"
#include "lib/data/number.h"

void aia_csv_options_init(aia_csv_options *opts)
{
    memset(opts, 0, sizeof *opts);
}

/* ---- the tokenizer ------------------------------------------------------------- */

typedef struct csv_field {
    const char *s;          /* contents after unquoting (not NUL-terminated) */
    size_t n;
    size_t line;            /* physical line where the field starts */
    size_t scratch_off;     /* when in_scratch: where its text is in scratch */
    int in_scratch;
} csv_field;

typedef struct csv_reader {
    const char *name;                   /* for messages */
    const unsigned char *p, *end;
    size_t line;                        /* physical line of p, 1-based */
    unsigned char delim;
    uint8_t stop[256];                  /* bytes that end a run of plain text, unquoted */
    uint8_t qstop[256];                 /* the same inside quotes */
    char *scratch;                      /* unescaped text of fields with "" */
    size_t scratch_len, scratch_cap;
    csv_field *fields;                  /* the current record */
    size_t fields_cap;
    size_t max_fields;                  /* fields kept per record; later ones only counted */
    char **colnames;                    /* header names once known, for messages */
    size_t n_colnames;
    aia_error *err;
} csv_reader;

/* Copies a cell's text for a message: at most 40 bytes, cut at a character
 * boundary, control characters escaped, "..." when cut. */
static const char *show(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0, i = 0;
    const size_t limit = 40;
    for (; i < n && i < limit && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') { out[o++] = '\\'; out[o++] = 'n'; }
        else if (c == '\r') { out[o++] = '\\'; out[o++] = 'r'; }
        else if (c == '\t') { out[o++] = '\\'; out[o++] = 't'; }
        else if (c < 0x20) o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        else out[o++] = (char)c;
    }
    if (i < n) {
        while (o > 0 && ((unsigned char)out[o - 1] & 0xC0) == 0x80) o--; /* continuation bytes */
        if (o > 0 && (unsigned char)out[o - 1] >= 0xC0) o--;            /* a cut lead byte */
        if (o + 4 <= cap) { memcpy(out + o, "...", 3); o += 3; }
    }
    out[o < cap ? o : cap - 1] = '\0';
    return out;
}

/* "<name>:<line>:<col> '<column>': <reason>", col 0-based here. */
static aia_status fail_at(csv_reader *r, aia_status code, size_t line, size_t col,
                          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static aia_status fail_at(csv_reader *r, aia_status code, size_t line, size_t col,
                          const char *fmt, ...)
{
    char reason[AIA_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (r->colnames && col < r->n_colnames)
        return aia_error_set(r->err, code, "%s:%zu:%zu '%s': %s", r->name, line, col + 1,
                             r->colnames[col], reason);
    return aia_error_set(r->err, code, "%s:%zu:%zu: %s", r->name, line, col + 1, reason);
}

static aia_status fail_line(csv_reader *r, aia_status code, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static aia_status fail_line(csv_reader *r, aia_status code, size_t line, const char *fmt, ...)
{
    char reason[AIA_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return aia_error_set(r->err, code, "%s:%zu: %s", r->name, line, reason);
}

static aia_status out_of_memory(csv_reader *r)
{
    return aia_error_set(r->err, AIA_RESOURCE_EXHAUSTED, "%s: out of memory reading CSV", r->name);
}

/* Length of the valid UTF-8 sequence starting at p (whose first byte is
 * >= 0x80), or 0 when it is invalid: stray continuation bytes, overlong
 * forms, surrogates, code points past U+10FFFF, truncated sequences. */
static size_t utf8_sequence(const unsigned char *p, const unsigned char *end)
{
    unsigned c = p[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c < 0xC2) return 0;
    if (c < 0xE0) len = 2;
    else if (c < 0xF0) {
        len = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c < 0xF5) {
        len = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < len) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
    }
    return len;
}

/* A byte the plain-text loops stopped at that is neither structure nor the
 * start of a valid UTF-8 character: say which. */
static aia_status bad_byte(csv_reader *r, const unsigned char *p, size_t col)
{
    if (*p == 0) return fail_at(r, AIA_INVALID_ARGUMENT, r->line, col, "NUL byte in the text");
    return fail_at(r, AIA_INVALID_ARGUMENT, r->line, col,
                   "invalid UTF-8 byte sequence starting with byte 0x%02x", *p);
}

static int scratch_append(csv_reader *r, const unsigned char *s, size_t n)
{
    if (r->scratch_cap - r->scratch_len < n) {
        size_t cap = r->scratch_cap ? r->scratch_cap : 256;
        while (cap - r->scratch_len < n) cap *= 2;
        char *grown = realloc(r->scratch, cap);
        if (!grown) return -1;
        r->scratch = grown;
        r->scratch_cap = cap;
    }
    memcpy(r->scratch + r->scratch_len, s, n);
    r->scratch_len += n;
    return 0;
}

/* After a closing quote: a delimiter, a line end or the end of input. */
static aia_status after_quote(csv_reader *r, const unsigned char *p, size_t col, int *end_of_record)
{
    const unsigned char *end = r->end;
    if (p == end) {
        *end_of_record = 1;
    } else if (*p == r->delim) {
        p++;
        *end_of_record = 0;
    } else if (*p == '\n') {
        p++;
        r->line++;
        *end_of_record = 1;
    } else if (*p == '\r' && p + 1 < end && p[1] == '\n') {
        p += 2;
        r->line++;
        *end_of_record = 1;
    } else {
        char shown[64];
        return fail_at(r, AIA_INVALID_ARGUMENT, r->line, col,
                       "unexpected '%s' after the closing quote of a quoted field (a quote "
                       "inside a quoted field is written as two quotes)",
                       show((const char *)p, 1, shown, sizeof shown));
    }
    r->p = p;
    return AIA_OK;
}

static aia_status read_quoted(csv_reader *r, size_t col, csv_field *f, int *end_of_record)
{
    const unsigned char *p = r->p + 1, *end = r->end;
    const unsigned char *start = p;
    size_t open_line = r->line;
    size_t scratch_start = r->scratch_len;
    int escaped = 0;
    for (;;) {
        while (p < end && !r->qstop[*p]) p++;
        if (p == end)
            return fail_at(r, AIA_INVALID_ARGUMENT, open_line, col,
                           "unterminated quoted field: the quote opened on line %zu is never "
                           "closed before the end of the input", open_line);
        if (*p == '"') {
            if (p + 1 < end && p[1] == '"') { /* "" stands for one quote */
                if (scratch_append(r, start, (size_t)(p + 1 - start)) != 0) return out_of_memory(r);
                escaped = 1;
                p += 2;
                start = p;
                continue;
            }
            if (escaped) {
                if (scratch_append(r, start, (size_t)(p - start)) != 0) return out_of_memory(r);
                f->in_scratch = 1;
                f->scratch_off = scratch_start;
                f->n = r->scratch_len - scratch_start;
            } else {
                f->s = (const char *)start;
                f->n = (size_t)(p - start);
            }
            return after_quote(r, p + 1, col, end_of_record);
        }
        if (*p == '\n') {
            r->line++;
            p++;
            continue;
        }
        size_t len = *p >= 0x80 ? utf8_sequence(p, end) : 0;
        if (!len) return bad_byte(r, p, col);
        p += len;
    }
}

/* Reads field number `col` (0-based) of the current record. */
static aia_status read_field(csv_reader *r, size_t col, csv_field *f, int *end_of_record)
{
    f->line = r->line;
    f->in_scratch = 0;
    if (r->p < r->end && *r->p == '"') return read_quoted(r, col, f, end_of_record);
    const unsigned char *p = r->p, *end = r->end, *start = p;
    for (;;) {
        while (p < end && !r->stop[*p]) p++;
        if (p == end) {
            *end_of_record = 1;
            break;
        }
        unsigned char c = *p;
        if (c == r->delim) {
            *end_of_record = 0;
            break;
        }
        if (c == '\n' || (c == '\r' && p + 1 < end && p[1] == '\n')) {
            *end_of_record = 1;
            break;
        }
        if (c == '\r')
            return fail_at(r, AIA_INVALID_ARGUMENT, r->line, col,
                           "carriage return not followed by a line feed (lines must end in "
                           "LF or CRLF)");
        if (c == '"')
            return fail_at(r, AIA_INVALID_ARGUMENT, r->line, col,
                           "quote character inside an unquoted field; quote the whole field "
                           "and write the quote twice");
        size_t len = c >= 0x80 ? utf8_sequence(p, end) : 0;
        if (!len) return bad_byte(r, p, col);
        p += len;
    }
    f->s = (const char *)start;
    f->n = (size_t)(p - start);
    if (p < end) {
        if (*p == r->delim) p++;
        else {
            p += *p == '\r' ? 2 : 1;
            r->line++;
        }
    }
    r->p = p;
    return AIA_OK;
}

/* Skips empty lines; returns 0 at the end of the input. */
static int skip_empty_lines(csv_reader *r)
{
    while (r->p < r->end) {
        if (*r->p == '\n') {
            r->p++;
        } else if (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n') {
            r->p += 2;
        } else {
            return 1;
        }
        r->line++;
    }
    return 0;
}

/* Reads the next record into r->fields (the first max_fields of them, the
 * rest only counted into *n_fields). *at_end is set when no record is left. */
static aia_status read_record(csv_reader *r, size_t *n_fields, int *at_end)
{
    *at_end = !skip_empty_lines(r);
    if (*at_end) return AIA_OK;
    r->scratch_len = 0;
    size_t k = 0;
    for (int end_of_record = 0; !end_of_record; k++) {
        csv_field f;
        aia_status st = read_field(r, k, &f, &end_of_record);
        if (st != AIA_OK) return st;
        if (k >= r->max_fields) continue;
        if (k == r->fields_cap) {
            size_t cap = r->fields_cap ? r->fields_cap * 2 : 16;
            csv_field *grown = realloc(r->fields, cap * sizeof *grown);
            if (!grown) return out_of_memory(r);
            r->fields = grown;
            r->fields_cap = cap;
        }
        r->fields[k] = f;
    }
    for (size_t i = 0; i < k && i < r->max_fields; i++) {
        if (r->fields[i].in_scratch) r->fields[i].s = r->scratch + r->fields[i].scratch_off;
    }
    *n_fields = k;
    return AIA_OK;
}

/* ---- the delimiter ---------------------------------------------------------------- */

/* The most frequent of ',', '\t', ';' outside quotes in the header record;
 * ties go to the earlier in that list; ',' when none occurs. */
static unsigned char detect_delimiter(const unsigned char *p, const unsigned char *end)
{
    size_t comma = 0, tab = 0, semicolon = 0;
    int quoted = 0;
    while (p < end && (*p == '\n' || *p == '\r')) p++; /* empty lines before the header */
    for (; p < end; p++) {
        if (*p == '"') quoted = !quoted;
        else if (quoted) continue;
        else if (*p == '\n') break;
        else if (*p == ',') comma++;
        else if (*p == '\t') tab++;
        else if (*p == ';') semicolon++;
    }
    if (tab > comma && tab >= semicolon) return '\t';
    if (semicolon > comma && semicolon > tab) return ';';
    return ',';
}

static void set_stop_bytes(csv_reader *r)
{
    memset(r->stop, 0, sizeof r->stop);
    memset(r->qstop, 0, sizeof r->qstop);
    for (int c = 0x80; c < 256; c++) r->stop[c] = r->qstop[c] = 1;
    r->stop[0] = r->qstop[0] = 1;
    r->stop['\n'] = r->stop['\r'] = r->stop['"'] = 1;
    r->stop[r->delim] = 1;
    r->qstop['"'] = r->qstop['\n'] = 1;
}

/* ---- columns being built ------------------------------------------------------- */

typedef enum build_mode {
    MODE_INFER,         /* numeric or boolean so far; cells stored as doubles */
    MODE_NUMERIC,       /* forced numeric */
    MODE_BOOLEAN,       /* forced boolean */
    MODE_CATEGORICAL,   /* forced, or fell back from MODE_INFER at row cat_from */
} build_mode;

typedef struct column_build {
    build_mode mode;
    int maybe_number;       /* MODE_INFER: every present cell a number so far */
    int maybe_bool_word;    /* MODE_INFER: every present cell a boolean word so far */
    int only_0_1;           /* MODE_INFER: every present cell exactly "0" or "1" */
    size_t n_present;
    double *numeric;
    uint8_t *boolean;
    int32_t *codes;
    uint64_t *missing;
    size_t n_missing;
    aia_dict dict;
    size_t cat_from;        /* rows before this one are interned by the second pass */
} column_build;

static int is_missing_text(const char *s, size_t n)
{
    switch (n) {
    case 0: return 1;
    case 2: return s[0] == 'N' && s[1] == 'A';
    case 3: return memcmp(s, "NaN", 3) == 0;
    case 4: return memcmp(s, "null", 4) == 0 || memcmp(s, "None", 4) == 0;
    default: return 0;
    }
}

/* 1 for a true word, 0 for a false word, -1 for anything else. */
static int bool_word(const char *s, size_t n)
{
    static const char *const words[] = {"true", "True", "TRUE", "yes",
                                        "false", "False", "FALSE", "no"};
    for (int i = 0; i < 8; i++) {
        if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0) return i < 4;
    }
    return -1;
}

static int is_0_or_1(const char *s, size_t n)
{
    return n == 1 && (s[0] == '0' || s[0] == '1');
}

static aia_status intern_cell(csv_reader *r, column_build *b, const csv_field *f, size_t row)
{
    if (aia_dict_intern(&b->dict, f->s, f->n, &b->codes[row]) != 0) return out_of_memory(r);
    return AIA_OK;
}

/* MODE_INFER met a cell that is neither a number nor a boolean word. */
static aia_status fall_back_to_categorical(csv_reader *r, column_build *b, size_t capacity,
                                           size_t row)
{
    b->codes = malloc(capacity * sizeof *b->codes);
    if (!b->codes) return out_of_memory(r);
    free(b->numeric);
    b->numeric = NULL;
    b->mode = MODE_CATEGORICAL;
    b->cat_from = row;
    return AIA_OK;
}

static aia_status infer_cell(csv_reader *r, column_build *b, const csv_field *f, size_t row,
                             size_t capacity)
{
    if (b->maybe_number) {
        double v;
        if (aia_number_parse(f->s, f->n, &v) == AIA_NUMBER_OK) {
            b->maybe_bool_word = 0;
            if (!is_0_or_1(f->s, f->n)) b->only_0_1 = 0;
            b->numeric[row] = v;
            return AIA_OK;
        }
        b->maybe_number = 0;
        b->only_0_1 = 0;
    }
    if (b->maybe_bool_word) {
        int v = bool_word(f->s, f->n);
        if (v >= 0) {
            b->numeric[row] = v;
            return AIA_OK;
        }
        b->maybe_bool_word = 0;
    }
    aia_status st = fall_back_to_categorical(r, b, capacity, row);
    return st != AIA_OK ? st : intern_cell(r, b, f, row);
}

static aia_status numeric_cell(csv_reader *r, column_build *b, const csv_field *f, size_t row,
                               size_t col)
{
    char shown[128];
    switch (aia_number_parse(f->s, f->n, &b->numeric[row])) {
    case AIA_NUMBER_OK: return AIA_OK;
    case AIA_NUMBER_RANGE:
        return fail_at(r, AIA_INVALID_ARGUMENT, f->line, col,
                       "'%s' is too large for a double", show(f->s, f->n, shown, sizeof shown));
    case AIA_NUMBER_NOMEM: return out_of_memory(r);
    case AIA_NUMBER_SYNTAX: break;
    }
    return fail_at(r, AIA_INVALID_ARGUMENT, f->line, col, "'%s' is not a number",
                   show(f->s, f->n, shown, sizeof shown));
}

static aia_status boolean_cell(csv_reader *r, column_build *b, const csv_field *f, size_t row,
                               size_t col)
{
    int v = is_0_or_1(f->s, f->n) ? f->s[0] - '0' : bool_word(f->s, f->n);
    if (v >= 0) {
        b->boolean[row] = (uint8_t)v;
        return AIA_OK;
    }
    char shown[128];
    return fail_at(r, AIA_INVALID_ARGUMENT, f->line, col,
                   "'%s' is not a boolean (expected true/false, True/False, TRUE/FALSE, "
                   "yes/no or 1/0)", show(f->s, f->n, shown, sizeof shown));
}

static aia_status store_cell(csv_reader *r, column_build *b, const csv_field *f, size_t row,
                             size_t col, size_t capacity)
{
    if (is_missing_text(f->s, f->n)) {
        b->missing[row / 64] |= (uint64_t)1 << (row % 64);
        b->n_missing++;
        if (b->numeric) b->numeric[row] = NAN;
        if (b->codes) b->codes[row] = -1;
        if (b->boolean) b->boolean[row] = 0;
        return AIA_OK;
    }
    b->n_present++;
    switch (b->mode) {
    case MODE_INFER: return infer_cell(r, b, f, row, capacity);
    case MODE_NUMERIC: return numeric_cell(r, b, f, row, col);
    case MODE_BOOLEAN: return boolean_cell(r, b, f, row, col);
    case MODE_CATEGORICAL: return intern_cell(r, b, f, row);
    }
    return AIA_OK;
}

/* ---- the whole read ------------------------------------------------------------ */

typedef struct csv_read {
    csv_reader r;
    const aia_csv_options *opts;
    size_t n_cols;
    column_build *cols;
    size_t capacity;            /* rows every column array has room for */
    size_t n_rows;
    const unsigned char *data_start;
    size_t data_start_line;
    const unsigned char *map_start;     /* a file mapping we own, or NULL */
    const unsigned char *released;      /* mapped pages before this are dropped */
} csv_read;

static void release_builds(csv_read *c)
{
    for (size_t i = 0; c->cols && i < c->n_cols; i++) {
        column_build *b = &c->cols[i];
        free(b->numeric);
        free(b->boolean);
        free(b->codes);
        free(b->missing);
        aia_dict_free(&b->dict);
    }
    free(c->cols);
    for (size_t i = 0; i < c->r.n_colnames; i++) free(c->r.colnames[i]);
    free(c->r.colnames);
    free(c->r.fields);
    free(c->r.scratch);
}

static aia_status read_header(csv_read *c)
{
    csv_reader *r = &c->r;
    size_t n = 0;
    int at_end = 0;
    r->max_fields = SIZE_MAX;
    aia_status st = read_record(r, &n, &at_end);
    if (st != AIA_OK) return st;
    if (at_end)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                             "%s: the input is empty; a header row naming the columns is "
                             "required", r->name);
    r->colnames = calloc(n, sizeof *r->colnames);
    if (!r->colnames) return out_of_memory(r);
    aia_dict seen;
    aia_dict_init(&seen);
    for (size_t i = 0; i < n; i++) {
        const csv_field *f = &r->fields[i];
        int32_t code;
        if (f->n == 0) {
            st = fail_at(r, AIA_INVALID_ARGUMENT, f->line, i,
                         "header column %zu has an empty name", i + 1);
        } else if (aia_dict_intern(&seen, f->s, f->n, &code) != 0) {
            st = out_of_memory(r);
        } else if ((size_t)code != i) {
            char shown[128];
            st = fail_at(r, AIA_INVALID_ARGUMENT, f->line, i,
                         "header column %zu '%s' repeats the name of column %d", i + 1,
                         show(f->s, f->n, shown, sizeof shown), code + 1);
        } else if (!(r->colnames[i] = strndup(f->s, f->n))) {
            st = out_of_memory(r);
        }
        if (st != AIA_OK) break;
        r->n_colnames = i + 1;
    }
    aia_dict_free(&seen);
    if (st != AIA_OK) return st;
    c->n_cols = n;
    r->max_fields = n;
    return AIA_OK;
}

/* Bounds the number of data records by the number of line ends. When the
 * input is our own file mapping, drops each counted stretch from resident
 * memory again (the first pass faults it back in from the page cache). */
static size_t count_line_ends(const unsigned char *p, const unsigned char *end, int mapped)
{
    const size_t chunk = (size_t)32 << 20;
    const long page = sysconf(_SC_PAGESIZE);
    size_t n = 0;
    while (p < end) {
        const unsigned char *stop = (size_t)(end - p) > chunk ? p + chunk : end;
        for (const unsigned char *q = p; q < stop && (q = memchr(q, '\n', (size_t)(stop - q))); q++)
            n++;
        if (mapped && page > 0) {
            uintptr_t from = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
            uintptr_t to = (uintptr_t)stop & ~((uintptr_t)page - 1);
            if (to > from) madvise((void *)from, to - from, MADV_DONTNEED);
        }
        p = stop;
    }
    return n;
}

static aia_status apply_schema(csv_read *c)
{
    const aia_csv_options *o = c->opts;
    for (size_t i = 0; o && i < o->schema_len; i++) {
        const aia_csv_schema_entry *e = &o->schema[i];
        size_t col = 0;
        while (col < c->n_cols && (!e->column || strcmp(c->r.colnames[col], e->column) != 0)) col++;
        if (col == c->n_cols)
            return aia_error_set(c->r.err, AIA_NOT_FOUND,
                                 "%s: the schema names column '%s', which the header does not "
                                 "have", c->r.name, e->column ? e->column : "(null)");
        column_build *b = &c->cols[col];
        if (b->mode != MODE_INFER)
            return aia_error_set(c->r.err, AIA_INVALID_ARGUMENT,
                                 "%s: the schema gives column '%s' a type twice", c->r.name,
                                 e->column);
        switch (e->type) {
        case AIA_COLUMN_NUMERIC: b->mode = MODE_NUMERIC; break;
        case AIA_COLUMN_BOOLEAN: b->mode = MODE_BOOLEAN; break;
        case AIA_COLUMN_CATEGORICAL: b->mode = MODE_CATEGORICAL; break;
        default:
            return aia_error_set(c->r.err, AIA_INVALID_ARGUMENT,
                                 "%s: the schema gives column '%s' an unknown type %d",
                                 c->r.name, e->column, (int)e->type);
        }
    }
    return AIA_OK;
}

static aia_status allocate_builds(csv_read *c)
{
    c->cols = calloc(c->n_cols, sizeof *c->cols);
    if (!c->cols) return out_of_memory(&c->r);
    for (size_t i = 0; i < c->n_cols; i++) {
        column_build *b = &c->cols[i];
        b->mode = MODE_INFER;
        b->maybe_number = b->maybe_bool_word = b->only_0_1 = 1;
        aia_dict_init(&b->dict);
    }
    aia_status st = apply_schema(c);
    if (st != AIA_OK) return st;
    size_t cap = c->capacity;
    for (size_t i = 0; i < c->n_cols; i++) {
        column_build *b = &c->cols[i];
        b->missing = calloc(aia_bitmap_words(cap) + 1, sizeof *b->missing);
        if (b->mode == MODE_INFER || b->mode == MODE_NUMERIC)
            b->numeric = malloc(cap * sizeof *b->numeric);
        else if (b->mode == MODE_BOOLEAN)
            b->boolean = malloc(cap);
        else
            b->codes = malloc(cap * sizeof *b->codes);
        if (!b->missing || !(b->numeric || b->boolean || b->codes)) return out_of_memory(&c->r);
    }
    return AIA_OK;
}

/* Drops the mapped pages the first pass has finished with, so a big file
 * does not sit in our resident memory beside the columns built from it.
 * They stay in the page cache: the second pass faults them back in. */
static void release_consumed(csv_read *c)
{
    const size_t chunk = (size_t)32 << 20;
    if (!c->map_start || (size_t)(c->r.p - c->released) < 2 * chunk) return;
    const unsigned char *upto = c->map_start + ((size_t)(c->r.p - c->map_start) / chunk - 1) * chunk;
    if (upto <= c->released) return;
    madvise((void *)c->released, (size_t)(upto - c->released), MADV_DONTNEED);
    c->released = upto;
}

static aia_status first_pass(csv_read *c)
{
    csv_reader *r = &c->r;
    for (size_t row = 0;; row++) {
        if ((row & 4095) == 0) release_consumed(c);
        size_t n = 0;
        int at_end = 0;
        aia_status st = read_record(r, &n, &at_end);
        if (st != AIA_OK) return st;
        if (at_end) {
            c->n_rows = row;
            return AIA_OK;
        }
        if (n != c->n_cols)
            return fail_line(r, AIA_INVALID_ARGUMENT, r->fields[0].line,
                             "expected %zu fields as in the header, got %zu", c->n_cols, n);
        for (size_t j = 0; j < n; j++) {
            st = store_cell(r, &c->cols[j], &r->fields[j], row, j, c->capacity);
            if (st != AIA_OK) return st;
        }
    }
}

/* Interns the text of the rows each fallen-back column skipped, then
 * renumbers its codes so the dictionary is in first-seen order. */
static aia_status second_pass(csv_read *c)
{
    size_t rows = 0;
    for (size_t j = 0; j < c->n_cols; j++) {
        if (c->cols[j].mode == MODE_CATEGORICAL && c->cols[j].cat_from > rows)
            rows = c->cols[j].cat_from;
    }
    if (rows == 0) return AIA_OK;
    csv_reader *r = &c->r;
    r->p = c->data_start;
    r->line = c->data_start_line;
    for (size_t row = 0; row < rows; row++) {
        size_t n = 0;
        int at_end = 0;
        aia_status st = read_record(r, &n, &at_end);
        if (st != AIA_OK) return st;
        for (size_t j = 0; j < c->n_cols; j++) {
            column_build *b = &c->cols[j];
            if (b->mode != MODE_CATEGORICAL || row >= b->cat_from) continue;
            const csv_field *f = &r->fields[j];
            if (is_missing_text(f->s, f->n)) b->codes[row] = -1;
            else if ((st = intern_cell(r, b, f, row)) != AIA_OK) return st;
        }
    }
    return AIA_OK;
}

/* New codes in order of first appearance; `order` receives old codes. */
static aia_status renumber_first_seen(csv_read *c, column_build *b, int32_t **order_out)
{
    size_t n = b->dict.n;
    int32_t *order = malloc((n ? n : 1) * sizeof *order);
    int32_t *remap = malloc((n ? n : 1) * sizeof *remap);
    if (!order || !remap) {
        free(order);
        free(remap);
        return out_of_memory(&c->r);
    }
    for (size_t i = 0; i < n; i++) remap[i] = -1;
    int32_t next = 0;
    for (size_t row = 0; row < c->n_rows; row++) {
        int32_t code = b->codes[row];
        if (code < 0) continue;
        if (remap[code] < 0) {
            remap[code] = next;
            order[next++] = code;
        }
        b->codes[row] = remap[code];
    }
    free(remap);
    *order_out = order;
    return AIA_OK;
}

/* Shrinks an array from capacity to n_rows elements; keeps it if realloc fails. */
static void *trim(void *p, size_t bytes)
{
    void *q = realloc(p, bytes ? bytes : 1);
    return q ? q : p;
}

static aia_status finish_column(csv_read *c, column_build *b, aia_column *out)
{
    size_t n = c->n_rows;
    out->missing = trim(b->missing, (aia_bitmap_words(n) + 1) * sizeof(uint64_t));
    out->n_missing = b->n_missing;
    b->missing = NULL;
    int boolean_after_all = b->mode == MODE_INFER && b->n_present > 0 &&
                            ((b->maybe_number && b->only_0_1) ||
                             (!b->maybe_number && b->maybe_bool_word));
    if (boolean_after_all) {
        b->boolean = malloc(n);
        if (!b->boolean) return out_of_memory(&c->r);
        for (size_t i = 0; i < n; i++) b->boolean[i] = b->numeric[i] == 1.0;
        free(b->numeric);
        b->numeric = NULL;
        b->mode = MODE_BOOLEAN;
    }
    if (b->mode == MODE_CATEGORICAL) {
        int32_t *order = NULL;
        if (b->cat_from > 0) {
            aia_status st = renumber_first_seen(c, b, &order);
            if (st != AIA_OK) return st;
        }
        out->dictionary = aia_dict_finish(&b->dict, order);
        free(order);
        if (b->dict.n > 0 && !out->dictionary) return out_of_memory(&c->r);
        out->dictionary_size = b->dict.n;
        out->type = AIA_COLUMN_CATEGORICAL;
        out->codes = trim(b->codes, n * sizeof(int32_t));
        b->codes = NULL;
    } else if (b->mode == MODE_BOOLEAN) {
        out->type = AIA_COLUMN_BOOLEAN;
        out->boolean = trim(b->boolean, n);
        b->boolean = NULL;
    } else {
        out->type = AIA_COLUMN_NUMERIC;
        out->numeric = trim(b->numeric, n * sizeof(double));
        b->numeric = NULL;
    }
    return AIA_OK;
}

static aia_status build_frame(csv_read *c, aia_frame **out)
{
    aia_frame *f = NULL;
    aia_status st = aia_frame_create(c->n_rows, c->r.name, &f, c->r.err);
    if (st != AIA_OK) return st;
    for (size_t j = 0; j < c->n_cols && st == AIA_OK; j++) {
        const char *name = c->r.colnames[j];
        aia_column *col = aia_frame_push_column(f, name, strlen(name));
        st = col ? finish_column(c, &c->cols[j], col) : out_of_memory(&c->r);
    }
    if (st != AIA_OK) {
        aia_frame_free(f);
        return st;
    }
    *out = f;
    return AIA_OK;
}

static aia_status check_delimiter(char d, const char *name, aia_error *err)
{
    unsigned char u = (unsigned char)d;
    if (u == '"' || u == '\n' || u == '\r' || u >= 0x80)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s: byte 0x%02x cannot be the delimiter (not a quote, a line end "
                             "or a non-ASCII byte)", name, u);
    return AIA_OK;
}

/* `mapped`: data is a private file mapping of ours (see release_consumed). */
static aia_status read_all(const char *data, size_t len, int mapped, const aia_csv_options *opts,
                           const char *name, aia_frame **out, aia_error *err)
{
    const unsigned char *p = (const unsigned char *)data, *end = p + len;
    if (len >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF) p += 3;
    csv_read c;
    memset(&c, 0, sizeof c);
    c.opts = opts;
    c.r.name = name;
    c.r.err = err;
    c.r.p = p;
    c.r.end = end;
    c.r.line = 1;
    if (mapped) c.map_start = c.released = (const unsigned char *)data;
    unsigned char delim = opts && opts->delimiter ? (unsigned char)opts->delimiter : 0;
    if (delim) {
        aia_status bad = check_delimiter((char)delim, name, err);
        if (bad != AIA_OK) return bad;
    }
    c.r.delim = delim ? delim : detect_delimiter(p, end);
    set_stop_bytes(&c.r);

    aia_status st = read_header(&c);
    if (st == AIA_OK) {
        c.data_start = c.r.p;
        c.data_start_line = c.r.line;
        c.capacity = count_line_ends(c.r.p, end, mapped) + 1;
        st = allocate_builds(&c);
    }
    if (st == AIA_OK) st = first_pass(&c);
    if (st == AIA_OK && c.n_rows == 0)
        st = aia_error_set(err, AIA_INVALID_ARGUMENT,
                           "%s: the header names %zu column%s but no data row follows it",
                           name, c.n_cols, c.n_cols == 1 ? "" : "s");
    if (st == AIA_OK) st = second_pass(&c);
    if (st == AIA_OK) st = build_frame(&c, out);
    release_builds(&c);
    return st;
}

aia_status aia_csv_read_buffer(const char *data, size_t len, const aia_csv_options *opts,
                               aia_frame **out, aia_error *err)
{
    *out = NULL;
    const char *name = opts && opts->name ? opts->name : "<memory>";
    if (!data && len > 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: NULL data of length %zu", name, len);
    return read_all(data ? data : "", len, 0, opts, name, out, err);
}

static aia_status open_error(const char *path, int e, aia_error *err)
{
    aia_status code = e == ENOENT ? AIA_NOT_FOUND
                      : e == EACCES ? AIA_PERMISSION_DENIED
                      : e == ENOMEM ? AIA_RESOURCE_EXHAUSTED
                      : AIA_INVALID_ARGUMENT;
    return aia_error_set(err, code, "%s: cannot read the file: %s", path, strerror(e));
}

/* Reads a non-regular file (a pipe, /dev/stdin) into memory. */
static aia_status slurp(int fd, const char *path, char **data, size_t *len, aia_error *err)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) return open_error(path, ENOMEM, err);
        ssize_t got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int e = errno;
            free(buf);
            return open_error(path, e, err);
        }
        if (got == 0) break;
        n += (size_t)got;
        if (n == cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) free(buf);
            buf = grown;
            cap *= 2;
        }
    }
    *data = buf;
    *len = n;
    return AIA_OK;
}

aia_status aia_csv_read_file(const char *path, const aia_csv_options *opts, aia_frame **out,
                             aia_error *err)
{
    *out = NULL;
    if (!path) return aia_error_set(err, AIA_INVALID_ARGUMENT, "CSV path is NULL");
    const char *name = opts && opts->name ? opts->name : path;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return open_error(path, errno, err);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return open_error(path, e, err);
    }
    if (S_ISDIR(sb.st_mode)) {
        close(fd);
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: is a directory, not a CSV file", path);
    }
    aia_status st;
    if (S_ISREG(sb.st_mode) && sb.st_size > 0) {
        size_t len = (size_t)sb.st_size;
        void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED) return open_error(path, errno, err);
        madvise(map, len, MADV_SEQUENTIAL);
        st = read_all(map, len, 1, opts, name, out, err);
        munmap(map, len);
        return st;
    }
    char *data = NULL;
    size_t len = 0;
    st = slurp(fd, path, &data, &len, err);
    close(fd);
    if (st != AIA_OK) return st;
    st = read_all(data, len, 0, opts, name, out, err);
    free(data);
    return st;
}
