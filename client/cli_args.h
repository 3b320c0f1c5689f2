/* client/cli_args.h — the `aia` command line, parsed into a plain struct.
 *
 *   aia [--server ADDR] [--timeout SECONDS] [--json] [--pretty]
 *       [--request-id ID] [--caller NAME] <command> [args]
 *
 *       aia models|jobs|endpoints <command> [args] [options]
 *
 * Options may come before or after the command ("aia health --json"); "--"
 * ends them. The command groups (models, jobs, endpoints) parse the rest
 * of the line with their own tables (cli_sub.h), accepting the global
 * options anywhere too. Values come from the flag, else from the environment
 * (AIA_SERVER, AIA_TIMEOUT, AIA_CALLER, then USER for the caller), else
 * from the defaults (127.0.0.1:50051, 10 seconds). Strings point into argv
 * or the environment; a group command's parse allocates one array, freed by
 * aia_cli_args_free(). Thread-safe as long
 * as the environment getter is.
 */
#ifndef AIA_CLIENT_CLI_ARGS_H
#define AIA_CLIENT_CLI_ARGS_H

#include "client/cli_sub.h"
#include "lib/base/status.h"

#define AIA_CLI_DEFAULT_SERVER "127.0.0.1:50051"
#define AIA_CLI_DEFAULT_TIMEOUT 10.0

typedef enum aia_cli_command {
    AIA_CMD_HELP,
    AIA_CMD_VERSION,
    AIA_CMD_HEALTH,
    AIA_CMD_METRICS,
    AIA_CMD_CALL,
    AIA_CMD_SUB, /* a group's command: sub.cmd->run */
} aia_cli_command;

typedef struct aia_cli_args {
    aia_cli_command command;
    const char *server;     /* resolved: --server, AIA_SERVER, default */
    double timeout_seconds; /* resolved: --timeout, AIA_TIMEOUT, default */
    int timeout_set;        /* from --timeout or AIA_TIMEOUT, not the default
                             * (watching a job waits without a deadline
                             * unless one was asked for) */
    int json;               /* --json: machine-readable output */
    int pretty;             /* --pretty: indented JSON */
    const char *request_id; /* --request-id, sent as x-request-id; NULL: none */
    const char *caller;     /* --caller, AIA_CALLER, USER; sent as x-aia-caller; NULL: none */
    const char *method;     /* call: METHOD */
    const char *body;       /* call: the JSON request, "-" for stdin; default "{}" */
    aia_cli_sub sub;        /* group commands (and their --help): the group,
                             * command, arguments and options */
} aia_cli_args;

/* Reads one environment variable; NULL when unset. */
typedef const char *(*aia_cli_getenv)(const char *name);

/* Parses argv[1..argc). Usage errors (unknown option or command, missing or
 * bad value, wrong number of arguments) return AIA_INVALID_ARGUMENT with a
 * message for the user; the CLI exits 2 on them. */
aia_status aia_cli_parse_args(int argc, char *const *argv, aia_cli_getenv env, aia_cli_args *out, aia_error *err);

/* Frees what parsing a group command allocated; safe on any parsed args. */
void aia_cli_args_free(aia_cli_args *a);

#endif
