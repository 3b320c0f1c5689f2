/* client/cli_sub.c — see cli_sub.h. */
#include "client/cli_sub.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/base/strbuf.h"

int aia_cli_is_option(const char *a)
{
    return a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9');
}

int aia_cli_option_matches(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

const char *aia_cli_option_value(int argc, char *const *argv, int *i, const char *arg, const char *name)
{
    size_t n = strlen(name);
    if (arg[n] == '=') return arg + n + 1;
    if (*i + 1 >= argc) return NULL;
    return argv[++*i];
}

const aia_cli_option aia_cli_no_options[] = {{NULL, 0}};

const aia_cli_group *aia_cli_find_group(const char *name)
{
    size_t n;
    const aia_cli_group *const *all = aia_cli_groups(&n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(all[i]->name, name) == 0) return all[i];
    return NULL;
}

static const aia_cli_subcommand *find_command(const aia_cli_group *g, const char *name)
{
    for (size_t i = 0; i < g->n_commands; i++)
        if (strcmp(g->commands[i].name, name) == 0) return &g->commands[i];
    return NULL;
}

static const aia_cli_option *find_option(const aia_cli_subcommand *c, const char *arg)
{
    for (const aia_cli_option *o = c ? c->options : NULL; o && o->name; o++)
        if (aia_cli_option_matches(arg, o->name)) return o;
    return NULL;
}

static void command_names(const aia_cli_group *g, aia_strbuf *sb)
{
    for (size_t i = 0; i < g->n_commands; i++) aia_strbuf_printf(sb, "%s%s", i ? ", " : "", g->commands[i].name);
}

/* The subcommand's own option at argv[*i]: 1 taken, -1 usage error. */
static int take_option(const aia_cli_subcommand *c, const aia_cli_option *o, int argc, char *const *argv, int *i,
                       aia_cli_sub *out, aia_error *err)
{
    const char *arg = argv[*i];
    const char *value = NULL;
    if (o->kind == AIA_CLI_FLAG) {
        if (arg[strlen(o->name)] == '=') {
            aia_error_set(err, AIA_INVALID_ARGUMENT, "%s takes no value (got \"%s\")", o->name, arg);
            return -1;
        }
    } else {
        value = aia_cli_option_value(argc, argv, i, arg, o->name);
        if (!value) {
            aia_error_set(err, AIA_INVALID_ARGUMENT, "%s needs a value (see aia %s %s --help)", o->name,
                          out->group->name, c->name);
            return -1;
        }
    }
    if (o->kind == AIA_CLI_VALUE)
        for (size_t k = 0; k < out->n_values; k++)
            if (out->values[k].option == o) {
                aia_error_set(err, AIA_INVALID_ARGUMENT, "%s given twice", o->name);
                return -1;
            }
    out->values[out->n_values++] = (aia_cli_value){o, value};
    return 1;
}

static aia_status check_counts(const aia_cli_group *g, const aia_cli_subcommand *c, int n, const char *extra,
                               aia_error *err)
{
    if (n < c->min_args)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s %s needs %s (see aia %s %s --help)", g->name, c->name,
                             c->args_usage, g->name, c->name);
    if (n > c->max_args) {
        if (c->max_args == 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s %s takes no arguments (got \"%s\")", g->name,
                                 c->name, extra);
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s %s takes %s; unexpected argument \"%s\"", g->name,
                             c->name, c->args_usage, extra);
    }
    return AIA_OK;
}

static aia_status parse_words(const aia_cli_group *g, int argc, char *const *argv, int start, int options_done,
                              aia_cli_global_option global, void *ctx, aia_cli_sub *out, int *help,
                              const char **extra, aia_error *err)
{
    for (int i = start; i < argc; i++) {
        const char *a = argv[i];
        if (options_done || !aia_cli_is_option(a)) {
            if (!out->cmd) {
                if (!(out->cmd = find_command(g, a))) {
                    aia_strbuf sb = AIA_STRBUF_INIT;
                    command_names(g, &sb);
                    aia_error_set(err, AIA_INVALID_ARGUMENT, "unknown %s command \"%s\" (one of: %s)", g->name, a,
                                  aia_strbuf_cstr(&sb));
                    aia_strbuf_free(&sb);
                    return AIA_INVALID_ARGUMENT;
                }
            } else if (out->n_args < out->cmd->max_args) {
                out->args[out->n_args++] = a;
            } else if (!*extra) {
                *extra = a;
            }
            continue;
        }
        if (strcmp(a, "--") == 0) {
            options_done = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            *help = 1;
            continue;
        }
        const aia_cli_option *o = find_option(out->cmd, a);
        int r = o ? take_option(out->cmd, o, argc, argv, &i, out, err) : global(ctx, argc, argv, &i, err);
        if (r < 0) return AIA_INVALID_ARGUMENT;
        if (r == 0) {
            if (out->cmd)
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "unknown option \"%s\" (see aia %s %s --help)", a,
                                     g->name, out->cmd->name);
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "unknown option \"%s\" (see aia %s --help)", a, g->name);
        }
    }
    return AIA_OK;
}

aia_status aia_cli_sub_parse(const aia_cli_group *g, int argc, char *const *argv, int start, int options_done,
                             aia_cli_global_option global, void *ctx, aia_cli_sub *out, int *help, aia_error *err)
{
    memset(out, 0, sizeof *out);
    out->group = g;
    size_t words = (size_t)(argc > start ? argc - start : 0) + 1;
    out->mem = calloc(words, sizeof(const char *) + sizeof(aia_cli_value));
    if (!out->mem) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory parsing the arguments");
    out->values = out->mem;
    out->args = (const char **)(out->values + words);

    const char *extra = NULL;
    aia_status st = parse_words(g, argc, argv, start, options_done, global, ctx, out, help, &extra, err);
    if (st == AIA_OK && !*help) {
        if (!out->cmd) {
            aia_strbuf sb = AIA_STRBUF_INIT;
            command_names(g, &sb);
            st = aia_error_set(err, AIA_INVALID_ARGUMENT, "%s needs a command: %s (see aia %s --help)", g->name,
                               aia_strbuf_cstr(&sb), g->name);
            aia_strbuf_free(&sb);
        } else {
            st = check_counts(g, out->cmd, out->n_args + (extra ? 1 : 0), extra, err);
        }
    }
    if (st != AIA_OK) aia_cli_sub_free(out);
    return st;
}

void aia_cli_sub_free(aia_cli_sub *s)
{
    free(s->mem);
    s->mem = NULL;
    s->args = NULL;
    s->values = NULL;
    s->n_args = 0;
    s->n_values = 0;
}

int aia_cli_flag(const aia_cli_sub *s, const char *name)
{
    for (size_t k = 0; k < s->n_values; k++)
        if (strcmp(s->values[k].option->name, name) == 0) return 1;
    return 0;
}

const char *aia_cli_opt(const aia_cli_sub *s, const char *name)
{
    const char *v = NULL;
    for (size_t k = 0; k < s->n_values; k++)
        if (strcmp(s->values[k].option->name, name) == 0) v = s->values[k].value;
    return v;
}

const char *aia_cli_opt_or(const aia_cli_sub *s, const char *name, const char *dflt)
{
    const char *v = aia_cli_opt(s, name);
    return v ? v : dflt;
}

const char *aia_cli_opt_next(const aia_cli_sub *s, const char *name, size_t *pos)
{
    for (; *pos < s->n_values; ++*pos)
        if (strcmp(s->values[*pos].option->name, name) == 0) return s->values[(*pos)++].value;
    return NULL;
}

void aia_cli_group_usage(FILE *out, const aia_cli_group *g)
{
    fprintf(out, "usage: aia %s <command> [args] [options]\n\n%s\n\ncommands:\n", g->name, g->summary);
    for (size_t i = 0; i < g->n_commands; i++) {
        const aia_cli_subcommand *c = &g->commands[i];
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    }
    fprintf(out, "\n\"aia %s <command> --help\" describes a command; \"aia --help\" lists the\n"
                 "global options (--server, --json, --timeout, ...), accepted anywhere.\n",
            g->name);
}

void aia_cli_subcommand_usage(FILE *out, const aia_cli_group *g, const aia_cli_subcommand *c)
{
    fprintf(out, "usage: aia %s %s%s%s [options]\n\n%s.\n\n%s", g->name, c->name, *c->args_usage ? " " : "",
            c->args_usage, c->summary, c->help);
    fputs("\nglobal options: --server ADDR, --timeout SECONDS, --json, --pretty, --request-id ID,\n"
          "--caller NAME (see aia --help). Exit status: 0 success, 1 the call failed\n"
          "(\"aia: STATUS: message\" on stderr), 2 usage error.\n",
          out);
}

/* ---- value checks ---------------------------------------------------------- */

int aia_cli_parse_int(const char *what, const char *s, long long lo, long long hi, long long *out, aia_error *err)
{
    char *end;
    errno = 0;
    long long v = s && *s && !isspace((unsigned char)*s) ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || isspace((unsigned char)*s) || *end || errno == ERANGE || v < lo || v > hi) {
        aia_error_set(err, AIA_INVALID_ARGUMENT, "invalid %s \"%s\": expected an integer from %lld to %lld", what,
                      s ? s : "", lo, hi);
        return -1;
    }
    *out = v;
    return 0;
}

int aia_cli_opt_int(const aia_cli_sub *s, const char *name, long long lo, long long hi, long long *out,
                    aia_error *err)
{
    const char *v = aia_cli_opt(s, name);
    return v ? aia_cli_parse_int(name, v, lo, hi, out, err) : 0;
}

int aia_cli_opt_enum(const aia_cli_sub *s, const char *name, const ProtobufCEnumDescriptor *desc, const char *prefix,
                     int *out, aia_error *err)
{
    const char *v = aia_cli_opt(s, name);
    return v ? aia_cli_parse_enum(name, v, desc, prefix, out, err) : 0;
}

int aia_cli_page_options(const aia_cli_sub *s, int32_t *page_size, const char **page_token, aia_error *err)
{
    long long n = 0;
    if (aia_cli_opt_int(s, "--page-size", 1, 1000, &n, err) != 0) return -1;
    *page_size = (int32_t)n;
    *page_token = aia_cli_opt(s, "--page-token");
    return 0;
}

int aia_cli_parse_kv(const char *what, const char *s, size_t *key_len, const char **value, aia_error *err)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s) {
        aia_error_set(err, AIA_INVALID_ARGUMENT, "invalid %s \"%s\": expected KEY=VALUE", what, s);
        return -1;
    }
    *key_len = (size_t)(eq - s);
    *value = eq + 1;
    return 0;
}

void aia_cli_strv_free(char **v)
{
    for (char **p = v; p && *p; p++) free(*p);
    free(v);
}

int aia_cli_split_list(const char *what, const char *s, char ***out, size_t *n, aia_error *err)
{
    size_t count = 1;
    for (const char *p = s; *p; p++) count += *p == ',';
    char **v = calloc(count + 1, sizeof *v);
    if (!v) {
        aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        return -1;
    }
    const char *p = s;
    for (size_t k = 0; k < count; k++) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == 0) {
            aia_error_set(err, AIA_INVALID_ARGUMENT, "invalid %s \"%s\": empty name in the list", what, s);
            aia_cli_strv_free(v);
            return -1;
        }
        if (!(v[k] = strndup(p, len))) {
            aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
            aia_cli_strv_free(v);
            return -1;
        }
        p += len + 1;
    }
    *out = v;
    *n = count;
    return 0;
}

int aia_cli_parse_enum(const char *what, const char *s, const ProtobufCEnumDescriptor *desc, const char *prefix,
                       int *out, aia_error *err)
{
    size_t plen = strlen(prefix);
    for (unsigned i = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value == 0) continue;
        const char *shortname = strncmp(v->name, prefix, plen) == 0 ? v->name + plen : v->name;
        if (strcasecmp(s, shortname) == 0 || strcasecmp(s, v->name) == 0) {
            *out = v->value;
            return 0;
        }
    }
    aia_strbuf sb = AIA_STRBUF_INIT;
    for (unsigned i = 0, k = 0; i < desc->n_values; i++) {
        const ProtobufCEnumValue *v = &desc->values[i];
        if (v->value == 0) continue;
        const char *shortname = strncmp(v->name, prefix, plen) == 0 ? v->name + plen : v->name;
        aia_strbuf_puts(&sb, k++ ? ", " : "");
        for (const char *p = shortname; *p; p++) aia_strbuf_putc(&sb, (char)tolower((unsigned char)*p));
    }
    aia_error_set(err, AIA_INVALID_ARGUMENT, "invalid %s \"%s\": expected one of %s", what, s, aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
    return -1;
}
