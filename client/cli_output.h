/* client/cli_output.h — how the `aia` CLI writes things: usage, errors,
 * JSON, and the human summary of a health answer. Errors go to the stream
 * given (stderr in the CLI) as exactly "aia: <STATUS_NAME>: <message>" for
 * failed calls and "aia: <message>" for usage errors, so scripts can match
 * them. Stateless; each function writes whole lines.
 */
#ifndef AIA_CLIENT_CLI_OUTPUT_H
#define AIA_CLIENT_CLI_OUTPUT_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>
#include <stdio.h>

#include "aia/v1/system.pb-c.h"
#include "lib/base/status.h"

void aia_cli_usage(FILE *out);
void aia_cli_print_version(FILE *out);

/* "aia: NOT_FOUND: model churn has no version 3" */
void aia_cli_print_status_error(FILE *f, aia_status code, const char *message);
/* "aia: unknown command \"frobnicate\" (see aia --help)" */
void aia_cli_print_usage_error(FILE *f, const char *message);

/* Writes `m` as proto3 JSON on one line (indented over several when
 * pretty), then a newline, and flushes so that streams show up as they
 * arrive. Fails (writing nothing) when the message has no JSON form. */
aia_status aia_cli_write_json(FILE *out, const ProtobufCMessage *m, int pretty, aia_error *err);

/* "3d 4h 5m 6s", "5m 0s", "12s", "0.250s". */
void aia_cli_format_duration(int64_t seconds, int32_t nanos, char *buf, size_t size);

/* The short human summary of GetHealth: overall status, server and build,
 * uptime, then one line per service with its status and detail. */
void aia_cli_print_health(FILE *out, const Aia__V1__GetHealthResponse *h, const char *server);

/* "SERVING" for SERVING_STATUS_SERVING; "UNKNOWN(7)" for values the
 * contract does not name. buf >= 32 bytes. */
const char *aia_cli_serving_status_name(int status, char *buf, size_t size);

#endif
