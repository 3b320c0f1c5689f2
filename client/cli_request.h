/* client/cli_request.h — building protobuf-c requests from command-line
 * values: map fields filled from KEY=VALUE options, and data paths made
 * usable by a server that does not share our working directory.
 *
 * Everything allocated here comes from the caller's arena and lives until
 * the arena is destroyed, after the call; the request's strings may also
 * borrow from argv. Map fields are reached through the descriptors, so one
 * function fills any map of any request. Thread-safe given separate
 * arenas.
 */
#ifndef AIA_CLIENT_CLI_REQUEST_H
#define AIA_CLIENT_CLI_REQUEST_H

#include <protobuf-c/protobuf-c.h>

#include "client/cli_sub.h"
#include "lib/base/arena.h"
#include "lib/base/status.h"

/* Appends an entry with `key` (copied) to map field `field` of `msg` and
 * returns it, its value still the default for the caller to set through
 * the entry's generated type; NULL when out of memory or when `field` is
 * not a map (err set). */
ProtobufCMessage *aia_cli_map_append(aia_arena *ar, ProtobufCMessage *msg, const char *field, const char *key,
                                     size_t key_len, aia_error *err);

/* Fills the map<string, string> field `field` of `msg` from every value of
 * the repeatable option `option` ("KEY=VALUE"; a key given twice keeps
 * the last value, as in JSON). Returns 0, or -1 with a usage message
 * naming the option. */
int aia_cli_map_from_options(aia_arena *ar, ProtobufCMessage *msg, const char *field, const aia_cli_sub *s,
                             const char *option, aia_error *err);

/* A training or validation data location as the server should read it:
 * URIs (anything with "://") unchanged; a local path that exists here made
 * absolute, since the server reads it from its own working directory (the
 * CLI does not upload data); other paths unchanged (they may exist on the
 * server). */
const char *aia_cli_data_uri(aia_arena *ar, const char *path);

#endif
