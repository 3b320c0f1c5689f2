/* client/cli_commands.h — what each `aia` command does, given parsed
 * arguments. Input is read from `in` (for `call ... -`), results written to
 * `out`, errors to `errf`. Returns the process exit status: 0 success,
 * 1 the RPC failed or the server is not SERVING, 2 usage error (bad method
 * name or request JSON, detected before any network traffic).
 */
#ifndef AIA_CLIENT_CLI_COMMANDS_H
#define AIA_CLIENT_CLI_COMMANDS_H

#include <stdio.h>

#include "client/cli_args.h"
#include "lib/base/strbuf.h"

#define AIA_CLI_EXIT_OK 0
#define AIA_CLI_EXIT_FAILED 1
#define AIA_CLI_EXIT_USAGE 2

/* The largest request accepted on stdin. */
#define AIA_CLI_MAX_STDIN (64u * 1024 * 1024)

/* Reads all of `in` into sb; -1 on a read error or beyond
 * AIA_CLI_MAX_STDIN bytes. */
int aia_cli_read_all(FILE *in, aia_strbuf *sb);

int aia_cli_run(const aia_cli_args *args, FILE *in, FILE *out, FILE *errf);

#endif
