/* client/cli_sub.h — command groups: `aia models train ...`, `aia jobs
 * watch ...`, `aia endpoints split ...`.
 *
 * A group (models, jobs, endpoints) is a table of subcommands; each
 * subcommand declares its positional arguments, its options and the
 * function that runs it, so parsing, usage errors and --help come from one
 * table and a command's file holds only what the command does. The parser
 * is generic: it knows options by their spelling and whether they take a
 * value, never what a value means; commands check values themselves before
 * dialling (aia_cli_parse_* below), so every usage error still exits 2
 * before any network traffic.
 *
 * Options take "--name value" or "--name=value", anywhere after the
 * subcommand, mixed with the global options of cli_args.h; "--" ends them.
 * A value option given twice is a usage error unless it is repeatable
 * (--param k=v --param k=v).
 *
 * Ownership: the parsed aia_cli_sub borrows its strings from argv and owns
 * one allocation (its arrays), released by aia_cli_sub_free(). Tables are
 * static data. Everything here is thread-safe given separate results.
 */
#ifndef AIA_CLIENT_CLI_SUB_H
#define AIA_CLIENT_CLI_SUB_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/base/status.h"

struct aia_cli_args;

typedef enum aia_cli_option_kind {
    AIA_CLI_FLAG = 0,   /* --wait */
    AIA_CLI_VALUE = 1,  /* --data PATH, at most once */
    AIA_CLI_REPEAT = 2, /* --param k=v, any number of times */
} aia_cli_option_kind;

typedef struct aia_cli_option {
    const char *name; /* "--data" */
    aia_cli_option_kind kind;
} aia_cli_option;

typedef struct aia_cli_subcommand {
    const char *name;       /* "train" */
    const char *args_usage; /* positional synopsis, e.g. "MODEL_ID"; "" for none */
    const char *summary;    /* one line for the group's listing */
    const char *help;       /* the rest of --help: arguments, options, output */
    int min_args, max_args; /* positional arguments accepted */
    const aia_cli_option *options; /* ends with {NULL, 0} */
    int (*run)(const struct aia_cli_args *a, FILE *in, FILE *out, FILE *errf);
} aia_cli_subcommand;

typedef struct aia_cli_group {
    const char *name;    /* "models" */
    const char *summary; /* one line for `aia --help` */
    const aia_cli_subcommand *commands;
    size_t n_commands;
} aia_cli_group;

/* One option occurrence, in command-line order. */
typedef struct aia_cli_value {
    const aia_cli_option *option;
    const char *value; /* NULL for flags */
} aia_cli_value;

typedef struct aia_cli_sub {
    const aia_cli_group *group;     /* NULL: not a group command */
    const aia_cli_subcommand *cmd;  /* NULL with --help on the group alone */
    const char **args;              /* positional arguments */
    int n_args;
    aia_cli_value *values;
    size_t n_values;
    void *mem; /* owns args and values */
} aia_cli_sub;

/* An empty option table, for commands without options of their own. */
extern const aia_cli_option aia_cli_no_options[];
/* --page-size N and --page-token T, the options of every list command. */
#define AIA_CLI_PAGE_OPTIONS {"--page-size", AIA_CLI_VALUE}, {"--page-token", AIA_CLI_VALUE}
/* Their --help lines; `what` is "jobs", "models", ... */
#define AIA_CLI_PAGE_HELP(what)                                                                                    \
    "  --page-size N         " what " per page (1-1000; default: the server's)\n"                                  \
    "  --page-token T        the page after the one that printed this token\n"

/* The groups compiled in (cli_groups.c), in listing order. */
const aia_cli_group *const *aia_cli_groups(size_t *n);
/* The group named `name`, or NULL. */
const aia_cli_group *aia_cli_find_group(const char *name);

/* Called by the parser for an option the subcommand does not declare:
 * returns 1 when it took the option (advancing *i past a value it
 * consumed), 0 when it does not know it either, -1 on a bad value (err
 * set). */
typedef int (*aia_cli_global_option)(void *ctx, int argc, char *const *argv, int *i, aia_error *err);

/* Parses argv[start..argc) as "<subcommand> [args and options]" of group
 * `g`. `options_done` is non-zero when "--" was already seen. Sets *help
 * when -h/--help appears (then positional counts are not checked). Usage
 * errors return AIA_INVALID_ARGUMENT with the message for the user (which
 * names the offending argument); AIA_RESOURCE_EXHAUSTED when out of memory.
 * On error nothing is left allocated. */
aia_status aia_cli_sub_parse(const aia_cli_group *g, int argc, char *const *argv, int start, int options_done,
                             aia_cli_global_option global, void *ctx, aia_cli_sub *out, int *help, aia_error *err);

void aia_cli_sub_free(aia_cli_sub *s);

/* Non-zero when flag `name` was given. */
int aia_cli_flag(const aia_cli_sub *s, const char *name);
/* The value of option `name` (the last one for a repeatable option), or
 * NULL when absent. */
const char *aia_cli_opt(const aia_cli_sub *s, const char *name);
/* aia_cli_opt, or `dflt` when absent. */
const char *aia_cli_opt_or(const aia_cli_sub *s, const char *name, const char *dflt);
/* Iterates the values of a repeatable option: start with *pos = 0; NULL at
 * the end. */
const char *aia_cli_opt_next(const aia_cli_sub *s, const char *name, size_t *pos);

/* `aia models --help` and `aia models train --help`. */
void aia_cli_group_usage(FILE *out, const aia_cli_group *g);
void aia_cli_subcommand_usage(FILE *out, const aia_cli_group *g, const aia_cli_subcommand *c);

/* ---- option spelling, shared with cli_args.c --------------------------- */

/* An option word: starts with '-' but is not "-" alone (stdin) nor a
 * negative number ("-5"), which are positional. */
int aia_cli_is_option(const char *arg);
/* `arg` is option `name` ("--data" or "--data=..."). */
int aia_cli_option_matches(const char *arg, const char *name);
/* The value of option `arg` (named `name`): after '=' when there is one,
 * else the next word (advancing *i); NULL when missing. */
const char *aia_cli_option_value(int argc, char *const *argv, int *i, const char *arg, const char *name);

/* ---- value checks shared by the commands; each returns 0, or -1 with a
 * usage message in err naming `what` (the option or argument) ---------- */

/* A decimal integer in [lo, hi], the whole string. */
int aia_cli_parse_int(const char *what, const char *s, long long lo, long long hi, long long *out, aia_error *err);

/* "key=value" with a non-empty key: *key_len is the key's length, *value
 * points after the first '=' (so values may hold '=' themselves). */
int aia_cli_parse_kv(const char *what, const char *s, size_t *key_len, const char **value, aia_error *err);

/* Splits "a,b,c" (no empty items) into a new NULL-terminated array of new
 * strings, freed with aia_cli_strv_free(). */
int aia_cli_split_list(const char *what, const char *s, char ***out, size_t *n, aia_error *err);
void aia_cli_strv_free(char **v);

/* Optional options: when `name` was given, its value checked as above into
 * *out; when absent, *out is left alone. */
int aia_cli_opt_int(const aia_cli_sub *s, const char *name, long long lo, long long hi, long long *out,
                    aia_error *err);
int aia_cli_opt_enum(const aia_cli_sub *s, const char *name, const ProtobufCEnumDescriptor *desc, const char *prefix,
                     int *out, aia_error *err);

/* The values of --page-size (1..1000; 0 when absent) and --page-token
 * (NULL when absent). */
int aia_cli_page_options(const aia_cli_sub *s, int32_t *page_size, const char **page_token, aia_error *err);

/* Case-insensitive match of `s` against the value names of `desc` with
 * their `prefix` ("JOB_STATE_") dropped, or in full: "running",
 * "RUNNING" and "JOB_STATE_RUNNING" are all JOB_STATE_RUNNING. Values
 * equal to 0 (the UNSPECIFIED ones) are not accepted. On failure the
 * message lists the accepted names in lower case. */
int aia_cli_parse_enum(const char *what, const char *s, const ProtobufCEnumDescriptor *desc,
                       const char *prefix, int *out, aia_error *err);

#endif
