/* client/cli_args.c — see cli_args.h. */
#include "client/cli_args.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* "--name=value" or "--name value": returns the value, advancing *i for the
 * second form; NULL when the value is missing. */
static const char *option_value(int argc, char *const *argv, int *i, const char *arg, size_t name_len)
{
    if (arg[name_len] == '=') return arg + name_len + 1;
    if (*i + 1 >= argc) return NULL;
    return argv[++*i];
}

static int is_option(const char *a)
{
    /* "-" alone is stdin, "-5" a (JSON) number: both positional. */
    return a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9');
}

static int matches(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

aia_status aia_cli_parse_args(int argc, char *const *argv, aia_cli_getenv env, aia_cli_args *out, aia_error *err)
{
    memset(out, 0, sizeof *out);
    const char *server = NULL, *timeout = NULL, *caller = NULL;
    const char *positional[4];
    int npos = 0, help = 0, version = 0, options_done = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || !is_option(a)) {
            if (npos == (int)(sizeof positional / sizeof positional[0]))
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "too many arguments (\"%s\")", a);
            positional[npos++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            help = 1;
        } else if (strcmp(a, "--version") == 0) {
            version = 1;
        } else if (strcmp(a, "--json") == 0) {
            out->json = 1;
        } else if (strcmp(a, "--pretty") == 0) {
            out->pretty = 1;
        } else if (matches(a, "--server")) {
            if (!(server = option_value(argc, argv, &i, a, 8)) || !*server)
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "--server needs an address, e.g. --server 127.0.0.1:50051");
        } else if (matches(a, "--timeout")) {
            if (!(timeout = option_value(argc, argv, &i, a, 9)))
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "--timeout needs a number of seconds, e.g. --timeout 30");
            if (parse_seconds(timeout, &out->timeout_seconds) != 0)
                return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                     "invalid --timeout \"%s\": expected a positive number of seconds", timeout);
        } else if (matches(a, "--request-id")) {
            if (!(out->request_id = option_value(argc, argv, &i, a, 12)) || !*out->request_id)
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "--request-id needs a value");
        } else if (matches(a, "--caller")) {
            if (!(caller = option_value(argc, argv, &i, a, 8)) || !*caller)
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "--caller needs a name");
        } else {
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "unknown option \"%s\" (see aia --help)", a);
        }
    }

    out->server = server ? server : nonempty(env("AIA_SERVER")) ? env("AIA_SERVER") : AIA_CLI_DEFAULT_SERVER;
    if (!timeout) {
        const char *t = nonempty(env("AIA_TIMEOUT"));
        out->timeout_seconds = AIA_CLI_DEFAULT_TIMEOUT;
        if (t && parse_seconds(t, &out->timeout_seconds) != 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "invalid AIA_TIMEOUT \"%s\": expected a positive number of seconds", t);
    }
    out->caller = caller ? caller : nonempty(env("AIA_CALLER")) ? env("AIA_CALLER") : nonempty(env("USER"));

    if (help) {
        out->command = AIA_CMD_HELP;
        return AIA_OK;
    }
    if (version) {
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
