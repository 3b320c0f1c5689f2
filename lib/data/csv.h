/* lib/data/csv.h — CSV text to a typed, columnar aia_frame.
 *
 * Format (RFC 4180, with the usual extensions):
 *  - UTF-8, validated: an invalid byte sequence, an overlong or surrogate
 *    encoding, or a NUL byte is an error naming the line and column. A
 *    leading UTF-8 byte-order mark is skipped.
 *  - Records end in LF or CRLF; a CR not followed by LF outside quotes is an
 *    error (old Mac line endings are not supported). The last record may
 *    lack its line end. Empty lines (no bytes at all) are skipped anywhere,
 *    as pandas does; a missing value in a one-column file is written NA.
 *  - A field that starts with '"' is quoted: it may hold the delimiter,
 *    line ends (kept as they are) and doubled quotes ("" stands for "); after
 *    the closing quote comes a delimiter or the end of the record. A quote
 *    inside an unquoted field is an error. Fields are never trimmed: " 1" is
 *    the text " 1", not the number 1.
 *  - The first record is the header, required: one name per column, none
 *    empty, none repeated (byte-wise comparison).
 *  - Delimiter: options.delimiter when set; otherwise the most frequent of
 *    ',', '\t' and ';' outside quotes in the header record, ties going to
 *    the earlier of that list, and ',' when none occurs (a single column).
 *  - Every data record has exactly as many fields as the header.
 *  - A file with a header but no data record is an error (there is nothing
 *    to train or predict on), as is an empty file.
 *
 * Missing values: a cell whose text (after unquoting) is exactly one of
 * "", "NA", "NaN", "null", "None" is missing — case-sensitive, so "na",
 * "nan" and "NULL" are ordinary text. Quoting does not change that: "NA"
 * in quotes is missing too.
 *
 * Type inference, per column, over its non-missing cells:
 *  - NUMERIC if every cell is a finite decimal number in number.h's syntax
 *    ([+-]digits[.digits][e[+-]digits]; no spaces, no hexadecimal; "inf",
 *    "Infinity" and values that overflow a double are not numbers);
 *  - BOOLEAN if every cell is one of true/false, True/False, TRUE/FALSE,
 *    yes/no, or if every cell is exactly "0" or "1" (so a 0/1 column is
 *    boolean; "0.0", "1.0" or a mix of 0/1 with true/false is not);
 *  - CATEGORICAL otherwise (codes plus a dictionary in first-seen order).
 *  A column whose cells are all missing is NUMERIC (all NaN).
 * A schema entry forces a column's type instead; a cell that does not fit
 * the forced type is an error, never coerced:
 *   "data.csv:17:3 'age': 'abc' is not a number"
 * Forced BOOLEAN accepts the boolean words and "0"/"1" mixed; forced
 * CATEGORICAL keeps numbers as their text ("1" and "1.0" are two values).
 *
 * Errors are INVALID_ARGUMENT, except NOT_FOUND for a path that does not
 * exist or a schema column the header lacks, PERMISSION_DENIED for a file we
 * may not read, and RESOURCE_EXHAUSTED when out of memory. Messages read
 *   "<name>:<line>:<column> '<column name>': <reason>"
 * or, for whole-record problems, "<name>:<line>: <reason>", and for the
 * whole input "<name>: <reason>". Lines are physical
 * lines, 1-based, so a quoted field spanning lines moves the count on;
 * columns are 1-based field positions.
 *
 * Cost: a memchr pass counts line ends, which bounds the number of rows, so
 * every column array is allocated once at that size and trimmed at the end;
 * one parsing pass then writes values straight into those arrays (a second
 * pass covers only the leading rows of columns that turn out categorical
 * after starting as numbers); nothing is allocated per cell. Files are
 * memory-mapped and the pages already parsed are dropped from resident
 * memory as the reader moves on, so loading 1,000,000 x 30 numbers peaks
 * near the frame's own 240 MB rather than frame plus file.
 *
 * Thread-safe: readers share nothing; each call builds its own frame.
 */
#ifndef AIA_DATA_CSV_H
#define AIA_DATA_CSV_H

#include <stddef.h>

#include "lib/base/status.h"
#include "lib/data/frame.h"

/* Forces the type of one column. */
typedef struct aia_csv_schema_entry {
    const char *column;     /* header name, compared byte-wise */
    aia_column_type type;
} aia_csv_schema_entry;

typedef struct aia_csv_options {
    char delimiter;         /* ',', '\t', ';' (or any other byte except '"', CR,
                               LF); 0 = detect from the header */
    const aia_csv_schema_entry *schema; /* may be NULL; borrowed for the call */
    size_t schema_len;
    const char *name;       /* names the input in messages and in the frame's
                               source; NULL = the path, or "<memory>" */
} aia_csv_options;

/* Defaults: detect the delimiter, infer every type, default name. */
void aia_csv_options_init(aia_csv_options *opts);

/* Reads the CSV file at `path`. opts may be NULL (defaults). On success
 * *out is a new frame the caller frees with aia_frame_free(); on error *out
 * is NULL and err says what and where. */
aia_status aia_csv_read_file(const char *path, const aia_csv_options *opts, aia_frame **out,
                             aia_error *err);

/* Reads CSV text from data[0..len) (need not be NUL-terminated; borrowed for
 * the call). Same contract as aia_csv_read_file(). */
aia_status aia_csv_read_buffer(const char *data, size_t len, const aia_csv_options *opts,
                               aia_frame **out, aia_error *err);

#endif
