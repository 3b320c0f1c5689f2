/* client/aia_main.c — the `aia` command: parse the arguments, run the
 * command, exit with its status. See cli_args.h, cli_commands.h. */
#include <stdio.h>
#include <stdlib.h>

#include "client/cli_args.h"
#include "client/cli_commands.h"
#include "client/cli_output.h"

static const char *env(const char *name)
{
    return getenv(name);
}

int main(int argc, char **argv)
{
    aia_cli_args args;
    aia_error err;
    if (aia_cli_parse_args(argc, argv, env, &args, &err) != AIA_OK) {
        aia_cli_print_usage_error(stderr, err.message);
        return AIA_CLI_EXIT_USAGE;
    }
    int rc = aia_cli_run(&args, stdin, stdout, stderr);
    aia_cli_args_free(&args);
    return rc;
}
