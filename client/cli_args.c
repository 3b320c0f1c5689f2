/* client/cli_args.c — see cli_args.h. */
#include "client/cli_args.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "client/cli_sub.h"

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

/* Seconds > 0 and finite, the whole string. */
static int parse_seconds(const char *s, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    double v = strtod(s, &end);
    if (*end || !isfinite(v) || !(v > 0)) return -1;
    *out = v;
    return 0;
}

/* The global options as given, before the environment fills the gaps. */
typedef struct globals {
    aia_cli_args *out;
    const char *server, *timeout, *caller;
    int help, version;
} globals;

/* A global option at argv[*i]: 1 taken, 0 not a global option, -1 bad
 * value (err set). Shared by the top level and the command groups, so
 * "aia models list --json" and "aia --json models list" mean the same. */
static int global_option(void *ctx, int argc, char *const *argv, int *i, aia_error *err)
{
    globals *g = ctx;
    aia_cli_args *out = g->out;
    const char *a = argv[*i];
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        g->help = 1;
    } else if (strcmp(a, "--version") == 0) {
        g->version = 1;
    } else if (strcmp(a, "--json") == 0) {
        out->json = 1;
    } else if (strcmp(a, "--pretty") == 0) {
        out->pretty = 1;
    } else if (aia_cli_option_matches(a, "--server")) {
        if (!(g->server = aia_cli_option_value(argc, argv, i, a, "--server")) || !*g->server) {
            aia_error_set(err, AIA_INVALID_ARGUMENT, "--server needs an address, e.g. --server 127.0.0.1:50051");
            return -1;
        }
    } else if (aia_cli_option_matches(a, "--timeout")) {
        if (!(g->timeout = aia_cli_option_value(argc, argv, i, a, "--timeout"))) {
            aia_error_set(err, AIA_INVALID_ARGUMENT, "--timeout needs a number of seconds, e.g. --timeout 30");
            return -1;
        }
        if (parse_seconds(g->timeout, &out->timeout_seconds) != 0) {
            aia_error_set(err, AIA_INVALID_ARGUMENT, "invalid --timeout \"%s\": expected a positive number of seconds",
                          g->timeout);
            return -1;
        }
    } else if (aia_cli_option_matches(a, "--request-id")) {
        if (!(out->request_id = aia_cli_option_value(argc, argv, i, a, "--request-id")) || !*out->request_id) {
            aia_error_set(err, AIA_INVALID_ARGUMENT, "--request-id needs a value");
            return -1;
        }
    } else if (aia_cli_option_matches(a, "--caller")) {
        if (!(g->caller = aia_cli_option_value(argc, argv, i, a, "--caller")) || !*g->caller) {
            aia_error_set(err, AIA_INVALID_ARGUMENT, "--caller needs a name");
            return -1;
        }
    } else {
        return 0;
    }
    return 1;
}

/* Fills what the flags left unset from the environment, then defaults. */
static aia_status resolve(globals *g, aia_cli_getenv env, aia_error *err)
{
    aia_cli_args *out = g->out;
    out->server = g->server ? g->server : nonempty(env("AIA_SERVER")) ? env("AIA_SERVER") : AIA_CLI_DEFAULT_SERVER;
    out->timeout_set = g->timeout != NULL;
    if (!g->timeout) {
        const char *t = nonempty(env("AIA_TIMEOUT"));
        out->timeout_seconds = AIA_CLI_DEFAULT_TIMEOUT;
        if (t && parse_seconds(t, &out->timeout_seconds) != 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "invalid AIA_TIMEOUT \"%s\": expected a positive number of seconds", t);
        out->timeout_set = t != NULL;
    }
    out->caller = g->caller ? g->caller : nonempty(env("AIA_CALLER")) ? env("AIA_CALLER") : nonempty(env("USER"));
    return AIA_OK;
}

/* "aia models ...": the rest of the line belongs to the group's parser. */
static aia_status parse_group(const aia_cli_group *grp, int argc, char *const *argv, int i, int options_done,
                              globals *g, aia_cli_getenv env, aia_error *err)
{
    aia_cli_args *out = g->out;
    int help = g->help;
    aia_status st = aia_cli_sub_parse(grp, argc, argv, i + 1, options_done, global_option, g, &out->sub, &help, err);
    if (st != AIA_OK) return st;
    if ((st = resolve(g, env, err)) != AIA_OK) {
        aia_cli_sub_free(&out->sub);
        return st;
    }
    out->command = help || g->help ? AIA_CMD_HELP : g->version ? AIA_CMD_VERSION : AIA_CMD_SUB;
    return AIA_OK;
}

void aia_cli_args_free(aia_cli_args *a)
{
    aia_cli_sub_free(&a->sub);
}

aia_status aia_cli_parse_args(int argc, char *const *argv, aia_cli_getenv env, aia_cli_args *out, aia_error *err)
{
    memset(out, 0, sizeof *out);
    globals g = {.out = out};
    const char *positional[4];
    int npos = 0, options_done = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || !aia_cli_is_option(a)) {
            const aia_cli_group *grp = npos == 0 ? aia_cli_find_group(a) : NULL;
            if (grp) return parse_group(grp, argc, argv, i, options_done, &g, env, err);
            if (npos == (int)(sizeof positional / sizeof positional[0]))
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "too many arguments (\"%s\")", a);
            positional[npos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        int r = global_option(&g, argc, argv, &i, err);
        if (r < 0) return AIA_INVALID_ARGUMENT;
        if (r == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "unknown option \"%s\" (see aia --help)", a);
    }
    aia_status st = resolve(&g, env, err);
    if (st != AIA_OK) return st;

    if (g.help) {
        out->command = AIA_CMD_HELP;
        return AIA_OK;
    }
    if (g.version) {
        out->command = AIA_CMD_VERSION;
        return AIA_OK;
    }
    if (npos == 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "no command given (see aia --help)");
    const char *cmd = positional[0];
    int nargs = npos - 1;
    if (strcmp(cmd, "call") == 0) {
        out->command = AIA_CMD_CALL;
        if (nargs < 1)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "call needs a METHOD, e.g. aia call aia.v1.SystemService/GetHealth '{}'");
        if (nargs > 2)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "call takes METHOD and one JSON request (quote it), got %d arguments", nargs);
        out->method = positional[1];
        out->body = nargs == 2 ? positional[2] : "{}";
        return AIA_OK;
    }
    static const struct {
        const char *name;
        aia_cli_command cmd;
    } simple[] = {
        {"health", AIA_CMD_HEALTH},
        {"metrics", AIA_CMD_METRICS},
        {"version", AIA_CMD_VERSION},
        {"help", AIA_CMD_HELP},
    };
    for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++) {
        if (strcmp(cmd, simple[k].name) != 0) continue;
        if (nargs > 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s takes no arguments (got \"%s\")", cmd, positional[1]);
        out->command = simple[k].cmd;
        return AIA_OK;
    }
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "unknown command \"%s\" (see aia --help)", cmd);
}
