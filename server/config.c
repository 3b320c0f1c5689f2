/* server/config.c — see config.h.
 *
 * One table (k_keys) describes every setting; flags, environment variables
 * and file keys are all derived from it, so the three sources can never
 * disagree about names, types or ranges. */
#include "server/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/listen_addr.h"

typedef enum key_type { KEY_STR, KEY_LONG, KEY_INT, KEY_LOG_LEVEL, KEY_LOG_FORMAT } key_type;

typedef struct config_key {
    const char *name; /* file key; flag is --name with '_' → '-', env AIA_NAME */
    key_type type;
    size_t offset;
    long min, max;    /* KEY_LONG / KEY_INT bounds */
    const char *help;
} config_key;

#define OFF(f) offsetof(aia_config, f)

static const config_key k_keys[] = {
    {"listen", KEY_STR, OFF(listen), 0, 0, "address to listen on, host:port (port 0: any free port)"},
    {"data_dir", KEY_STR, OFF(data_dir), 0, 0, "data directory (created if missing)"},
    {"threads", KEY_INT, OFF(threads), 1, 256, "completion-queue threads, and as many workers (default: usable CPUs)"},
    {"log_level", KEY_LOG_LEVEL, OFF(log_level), 0, 0, "debug | info | warn | error"},
    {"log_format", KEY_LOG_FORMAT, OFF(log_format), 0, 0, "text | json (one event per line)"},
    {"max_recv_message_bytes", KEY_LONG, OFF(max_recv_message_bytes), 1024, INT_MAX,
     "largest request message accepted"},
    {"max_send_message_bytes", KEY_LONG, OFF(max_send_message_bytes), 1024, INT_MAX,
     "largest response message sent"},
    {"keepalive_time_ms", KEY_LONG, OFF(keepalive_time_ms), 1000, INT_MAX,
     "interval of server keepalive pings"},
    {"keepalive_timeout_ms", KEY_LONG, OFF(keepalive_timeout_ms), 100, INT_MAX,
     "how long a keepalive ping may go unanswered"},
    {"shutdown_grace_ms", KEY_LONG, OFF(shutdown_grace_ms), 0, 3600000,
     "on SIGTERM, how long in-flight calls may run before being cancelled"},
    {"stream_queue_depth", KEY_LONG, OFF(stream_queue_depth), 1, 65536,
     "messages queued per stream before the sender waits (backpressure)"},
    {"training_workers", KEY_INT, OFF(training_workers), 1, 64,
     "training jobs running at once; each uses `threads` engine threads"},
    {"prediction_log_percent", KEY_INT, OFF(prediction_log_percent), 0, 100,
     "share of predicted rows kept in the prediction log (drift detection reads it)"},
    {"prediction_log_file_mib", KEY_INT, OFF(prediction_log_file_mib), 1, 4096,
     "size at which a model's prediction log file is rotated"},
    {"prediction_log_files", KEY_INT, OFF(prediction_log_files), 1, 1000,
     "rotated prediction log files kept per model (bounds its disk use)"},
    {"drift_poll_ms", KEY_LONG, OFF(drift_poll_ms), 10, 3600000,
     "how often drift monitors look for filled windows of live traffic"},
    {"drift_cooldown_seconds", KEY_INT, OFF(drift_cooldown_seconds), 1, 31 * 86400,
     "default minimum time between two drift retrainings of one monitor"},
    {"drift_min_labelled_rows", KEY_INT, OFF(drift_min_labelled_rows), 1, 1000000,
     "predictions with ground truth a window needs before concept drift is computed"},
    {"drift_webhook_backoff_ms", KEY_LONG, OFF(drift_webhook_backoff_ms), 1, 60000,
     "first retry delay of a failed alert webhook (doubles per retry, 5 attempts)"},
    {"llm_routes", KEY_STR, OFF(llm_routes), 0, 0,
     "extra LLM routes, model pattern -> provider (lib/llm/route.h syntax; defaults always apply)"},
    {"llm_models_dir", KEY_STR, OFF(llm_models_dir), 0, 0,
     "directory of local GGUF models (default: $XDG_CACHE_HOME/aia/models or ~/.cache/aia/models)"},
    {"llm_local_threads", KEY_INT, OFF(llm_local_threads), 1, 256, "threads per local LLM generation"},
    {"llm_max_concurrent_per_caller", KEY_INT, OFF(llm_max_concurrent_per_caller), 1, 100000,
     "LLM calls in flight per caller (x-aia-caller) before RESOURCE_EXHAUSTED"},
    {"vertex_project", KEY_STR, OFF(vertex_project), 0, 0, "Vertex AI project (default: $GOOGLE_CLOUD_PROJECT)"},
    {"vertex_region", KEY_STR, OFF(vertex_region), 0, 0, "Vertex AI region (default: europe-west4)"},
    {"vertex_base_url", KEY_STR, OFF(vertex_base_url), 0, 0,
     "Vertex AI endpoint (default: https://{region}-aiplatform.googleapis.com)"},
    {"vertex_credentials", KEY_STR, OFF(vertex_credentials), 0, 0,
     "service-account key file (default: $GOOGLE_APPLICATION_CREDENTIALS, else the metadata server)"},
    {"gemini_api_base_url", KEY_STR, OFF(gemini_api_base_url), 0, 0,
     "Gemini API endpoint (default: https://generativelanguage.googleapis.com; key from $GEMINI_API_KEY)"},
    {"openai_base_url", KEY_STR, OFF(openai_base_url), 0, 0,
     "OpenAI-compatible server (default: $OPENAI_BASE_URL; key from $OPENAI_API_KEY)"},
};

#define N_KEYS (sizeof k_keys / sizeof k_keys[0])

/* CPUs this process may run on: under `taskset -c 0` or a container's
 * cpuset that is 1, not the machine's count, so the default never
 * oversubscribes the cores the server actually has. */
static int usable_cpus(void)
{
    cpu_set_t set;
    int n = 0;
    if (sched_getaffinity(0, sizeof set, &set) == 0) n = CPU_COUNT(&set);
    if (n <= 0) n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n <= 0) n = 2;
    return n > 256 ? 256 : n;
}

static void set_defaults(aia_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->listen, sizeof cfg->listen, "127.0.0.1:50051");
    snprintf(cfg->data_dir, sizeof cfg->data_dir, "./var");
    cfg->threads = usable_cpus();
    cfg->log_level = AIA_LOG_INFO;
    cfg->log_format = AIA_LOG_TEXT;
    cfg->max_recv_message_bytes = 4L * 1024 * 1024;
    cfg->max_send_message_bytes = 4L * 1024 * 1024;
    cfg->keepalive_time_ms = 2L * 60 * 60 * 1000;
    cfg->keepalive_timeout_ms = 20000;
    cfg->shutdown_grace_ms = 10000;
    cfg->stream_queue_depth = 64;
    cfg->training_workers = 1;
    cfg->prediction_log_percent = 100;
    cfg->prediction_log_file_mib = 16;
    cfg->prediction_log_files = 8;
    cfg->drift_poll_ms = 1000;
    cfg->drift_cooldown_seconds = 3600;
    cfg->drift_min_labelled_rows = 30;
    cfg->drift_webhook_backoff_ms = 500;
    cfg->llm_local_threads = 2;
    cfg->llm_max_concurrent_per_caller = 16;
}

static const config_key *find_key(const char *name, size_t len)
{
    for (size_t i = 0; i < N_KEYS; i++)
        if (strlen(k_keys[i].name) == len && strncmp(k_keys[i].name, name, len) == 0) return &k_keys[i];
    return NULL;
}

static aia_status parse_long(const char *value, long min, long max, long *out, const char *source,
                             aia_error *err)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(value, &end, 10);
    if (errno || end == value || *end != '\0' || v < min || v > max)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: expected an integer in [%ld, %ld], got '%s'",
                             source, min, max, value);
    *out = v;
    return AIA_OK;
}

/* Applies one key=value from `source` (e.g. "--threads", "AIA_THREADS", "f.conf:3"). */
static aia_status apply(aia_config *cfg, const config_key *k, const char *value, const char *source,
                        aia_error *err)
{
    char *field = (char *)cfg + k->offset;
    long v = 0;
    int e = 0;
    switch (k->type) {
    case KEY_STR:
        if (value[0] == '\0') return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: must not be empty", source);
        if (strlen(value) >= AIA_CONFIG_STR_MAX)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: longer than %d bytes", source,
                                 AIA_CONFIG_STR_MAX - 1);
        memcpy(field, value, strlen(value) + 1);
        return AIA_OK;
    case KEY_LONG:
        if (parse_long(value, k->min, k->max, &v, source, err) != AIA_OK) return err->code;
        *(long *)field = v;
        return AIA_OK;
    case KEY_INT:
        if (parse_long(value, k->min, k->max, &v, source, err) != AIA_OK) return err->code;
        *(int *)field = (int)v;
        return AIA_OK;
    case KEY_LOG_LEVEL:
        if ((e = aia_log_level_parse(value)) < 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "%s: expected debug, info, warn or error, got '%s'", source, value);
        *(aia_log_level *)field = (aia_log_level)e;
        return AIA_OK;
    case KEY_LOG_FORMAT:
        if ((e = aia_log_format_parse(value)) < 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: expected text or json, got '%s'", source,
                                 value);
        *(aia_log_format *)field = (aia_log_format)e;
        return AIA_OK;
    }
    return aia_error_set(err, AIA_INTERNAL, "%s: unhandled key type", source);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1])) *--end = '\0';
    return s;
}

static aia_status apply_file_line(aia_config *cfg, char *line, const char *path, int lineno, aia_error *err)
{
    char source[AIA_CONFIG_STR_MAX + 32];
    snprintf(source, sizeof source, "%s:%d", path, lineno);
    char *s = trim(line);
    if (*s == '\0' || *s == '#') return AIA_OK;
    char *eq = strchr(s, '=');
    if (!eq)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: expected 'key = value', got '%s'", source, s);
    *eq = '\0';
    char *key = trim(s), *value = trim(eq + 1);
    /* Values may be quoted so they can carry leading/trailing spaces or '#'. */
    size_t vlen = strlen(value);
    if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
        value[vlen - 1] = '\0';
        value++;
    }
    const config_key *k = find_key(key, strlen(key));
    if (!k || strcmp(key, "config") == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: unknown key '%s'", source, key);
    char keysrc[AIA_CONFIG_STR_MAX + 64];
    snprintf(keysrc, sizeof keysrc, "%s: %s", source, key);
    return apply(cfg, k, value, keysrc, err);
}

static aia_status load_file(aia_config *cfg, const char *path, aia_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "config file %s: %s", path, strerror(errno));
    char line[4096];
    int lineno = 0;
    aia_status st = AIA_OK;
    while (st == AIA_OK && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n == sizeof line - 1 && line[n - 1] != '\n' && !feof(f)) {
            st = aia_error_set(err, AIA_INVALID_ARGUMENT, "%s:%d: line longer than %zu bytes", path, lineno,
                               sizeof line - 2);
            break;
        }
        st = apply_file_line(cfg, line, path, lineno, err);
    }
    if (st == AIA_OK && ferror(f))
        st = aia_error_set(err, AIA_INVALID_ARGUMENT, "config file %s: read error", path);
    fclose(f);
    if (st == AIA_OK) snprintf(cfg->config_file, sizeof cfg->config_file, "%s", path);
    return st;
}

static void env_name(const config_key *k, char *out, size_t size)
{
    size_t n = (size_t)snprintf(out, size, "AIA_%s", k->name);
    for (size_t i = 4; i < n && i < size; i++) out[i] = (char)toupper((unsigned char)out[i]);
}

static aia_status load_env(aia_config *cfg, aia_error *err)
{
    for (size_t i = 0; i < N_KEYS; i++) {
        char name[96];
        env_name(&k_keys[i], name, sizeof name);
        const char *v = getenv(name);
        if (v && apply(cfg, &k_keys[i], v, name, err) != AIA_OK) return err->code;
    }
    return AIA_OK;
}

/* Matches "--flag-name" against a key, accepting '-' for '_'. */
static const config_key *find_flag(const char *flag, size_t len)
{
    char name[96];
    if (len >= sizeof name) return NULL;
    for (size_t i = 0; i < len; i++) name[i] = flag[i] == '-' ? '_' : flag[i];
    return find_key(name, len);
}

/* Splits "--name=value" / "--name value"; advances *i past a consumed value. */
static aia_status flag_value(int argc, char **argv, int *i, const char **name, size_t *name_len,
                             const char **value, aia_error *err)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    *name = arg;
    *name_len = eq ? (size_t)(eq - arg) : strlen(arg);
    if (eq) {
        *value = eq + 1;
        return AIA_OK;
    }
    if (*i + 1 >= argc) return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: missing value", argv[*i]);
    *value = argv[++*i];
    return AIA_OK;
}

/* The config file must be known before anything else is applied. */
static const char *find_config_path(int argc, char **argv)
{
    const char *path = getenv("AIA_CONFIG");
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--config=", 9) == 0) path = argv[i] + 9;
        else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) path = argv[++i];
    }
    return path && *path ? path : NULL;
}

static aia_status load_flags(aia_config *cfg, int argc, char **argv, aia_config_action *action, aia_error *err)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            *action = AIA_CONFIG_HELP;
            return AIA_OK;
        }
        if (strcmp(arg, "--version") == 0) {
            *action = AIA_CONFIG_VERSION;
            return AIA_OK;
        }
        if (strncmp(arg, "--", 2) != 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "unexpected argument '%s' (see --help)", arg);
        const char *name = NULL, *value = NULL;
        size_t len = 0;
        if (flag_value(argc, argv, &i, &name, &len, &value, err) != AIA_OK) return err->code;
        if (len == 6 && strncmp(name, "config", 6) == 0) continue; /* read first, see above */
        const config_key *k = find_flag(name, len);
        if (!k) return aia_error_set(err, AIA_INVALID_ARGUMENT, "unknown flag '--%.*s' (see --help)", (int)len, name);
        char source[128];
        snprintf(source, sizeof source, "--%.*s", (int)len, name);
        if (apply(cfg, k, value, source, err) != AIA_OK) return err->code;
    }
    return AIA_OK;
}

aia_status aia_config_load(aia_config *cfg, int argc, char **argv, aia_config_action *action, aia_error *err)
{
    set_defaults(cfg);
    *action = AIA_CONFIG_RUN;
    const char *path = find_config_path(argc, argv);
    if (path && load_file(cfg, path, err) != AIA_OK) return err->code;
    if (load_env(cfg, err) != AIA_OK) return err->code;
    return load_flags(cfg, argc, argv, action, err);
}

static aia_status mkdir_p(const char *path, aia_error *err)
{
    char buf[AIA_CONFIG_STR_MAX];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "data dir %s: cannot create %s: %s", path, buf,
                                 strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "data dir %s: cannot create: %s", path, strerror(errno));
    return AIA_OK;
}

/* access(W_OK) is not enough (read-only mounts, root ignoring modes on some
 * file systems): create and remove a probe file for real. */
static aia_status check_writable(const char *dir, aia_error *err)
{
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "data dir %s: not a directory", dir);
    char probe[AIA_CONFIG_STR_MAX + 64];
    snprintf(probe, sizeof probe, "%s/.aia-write-probe-%ld", dir, (long)getpid());
    FILE *f = fopen(probe, "w");
    if (!f) return aia_error_set(err, AIA_INVALID_ARGUMENT, "data dir %s: not writable: %s", dir, strerror(errno));
    fclose(f);
    unlink(probe);
    return AIA_OK;
}

aia_status aia_config_validate(const aia_config *cfg, aia_error *err)
{
    aia_listen_addr addr;
    if (aia_listen_addr_parse(cfg->listen, &addr, err) != AIA_OK) {
        aia_error_prefix(err, "listen");
        return err->code;
    }
    if (mkdir_p(cfg->data_dir, err) != AIA_OK) return err->code;
    return check_writable(cfg->data_dir, err);
}

void aia_config_print_usage(const char *argv0)
{
    printf("usage: %s [flags]\n\n"
           "Serves the aia.v1 gRPC API. With no flags it listens on 127.0.0.1:50051 and\n"
           "keeps its data in ./var. Flags override AIA_* environment variables, which\n"
           "override the config file. See docs/configuration.md.\n\n"
           "  --config FILE                 config file (also AIA_CONFIG)\n",
           argv0);
    for (size_t i = 0; i < N_KEYS; i++) {
        char flag[96], env[96];
        size_t n = (size_t)snprintf(flag, sizeof flag, "--%s", k_keys[i].name);
        for (size_t j = 2; j < n; j++)
            if (flag[j] == '_') flag[j] = '-';
        env_name(&k_keys[i], env, sizeof env);
        printf("  %-29s %s (env %s)\n", flag, k_keys[i].help, env);
    }
    printf("  --help, --version\n");
}
