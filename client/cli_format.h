/* client/cli_format.h — the pieces the human views of `aia` are made of:
 * aligned tables, short enum names, times, and map fields as "k=v" lists.
 *
 * Map fields are read through the protobuf-c descriptors, so one function
 * prints any map<string, double|int32|string> of any message, sorted by
 * key (the wire order of a map means nothing). Numbers print in the
 * shortest form that is still useful to read ("0.9649", "12", "1.5e-05"),
 * and so do string values that are real numbers (HPO trials' values).
 *
 * Tables collect their cells, then print with each column as wide as its
 * widest cell, two spaces apart, the last column unpadded. Allocation
 * failure is sticky: the table prints what it holds. Not thread-safe per
 * table; everything else is stateless.
 */
#ifndef AIA_CLIENT_CLI_FORMAT_H
#define AIA_CLIENT_CLI_FORMAT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdio.h>

#include "google/protobuf/timestamp.pb-c.h"
#include "lib/base/strbuf.h"

typedef struct aia_cli_table aia_cli_table;

/* A table with the given column headers (NULL-terminated list). NULL when
 * out of memory; the other functions accept NULL and do nothing. */
aia_cli_table *aia_cli_table_new(const char *const *headers);
/* Appends the next cell, row by row, left to right. */
void aia_cli_table_cell(aia_cli_table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void aia_cli_table_print(FILE *out, const aia_cli_table *t);
void aia_cli_table_free(aia_cli_table *t);
/* The end of a list: prints and frees the table, then, when the list goes
 * on, "(more: --page-token TOKEN)". */
void aia_cli_table_done(FILE *out, aia_cli_table *t, const char *next_page_token);

/* The name of `value` in `desc` without `prefix` ("JOB_STATE_RUNNING" ->
 * "RUNNING"); "UNKNOWN(7)" for values the descriptor lacks. */
const char *aia_cli_enum_name(const ProtobufCEnumDescriptor *desc, int value, const char *prefix, char *buf,
                              size_t size);

/* "2026-11-26T10:00:00Z" (UTC, whole seconds); "-" for NULL. */
const char *aia_cli_format_time(const Google__Protobuf__Timestamp *t, char *buf, size_t size);

/* A double as it reads best: up to 4 significant decimals. */
void aia_cli_format_number(aia_strbuf *sb, double v);

/* Appends map field `field` of `msg` as "k=v" items separated by `sep`,
 * sorted by key; appends nothing for an empty map or an unknown field. */
void aia_cli_format_map(aia_strbuf *sb, const ProtobufCMessage *msg, const char *field, const char *sep);

/* One "key         value" line of a detail view. */
void aia_cli_field(FILE *out, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A map field as one detail line ("metrics     accuracy=0.96 f1=0.95"),
 * nothing when the map is empty. */
void aia_cli_field_map(FILE *out, const char *key, const ProtobufCMessage *msg, const char *field);

#endif
