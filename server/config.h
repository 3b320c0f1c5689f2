/* server/config.h — aia-server's configuration.
 *
 * Sources, strongest first: command-line flags, AIA_* environment variables,
 * an optional config file (--config FILE or AIA_CONFIG; `key = value` lines,
 * `#` comments). Every key exists in all three forms (--data-dir, AIA_DATA_DIR,
 * data_dir). With no source at all the embedded defaults apply, so
 * `aia-server` starts with no configuration. docs/configuration.md is the
 * user-facing reference; k_keys in config.c is the single list of keys.
 *
 * Errors name their source (the flag, the variable, or file:line) and why.
 * Not thread-safe; load once at start-up.
 */
#ifndef AIA_SERVER_CONFIG_H
#define AIA_SERVER_CONFIG_H

#include "lib/base/log.h"
#include "lib/base/status.h"

#define AIA_CONFIG_STR_MAX 1024

typedef struct aia_config {
    char listen[AIA_CONFIG_STR_MAX];   /* host:port; port 0 picks a free one */
    char data_dir[AIA_CONFIG_STR_MAX]; /* created when missing; must be writable */
    char config_file[AIA_CONFIG_STR_MAX]; /* the file that was read, or "" */
    int threads;                       /* CQ threads = worker threads */
    aia_log_level log_level;
    aia_log_format log_format;
    long max_recv_message_bytes;
    long max_send_message_bytes;
    long keepalive_time_ms;
    long keepalive_timeout_ms;
    long shutdown_grace_ms;
    long stream_queue_depth;           /* messages queued per stream before backpressure */
    int training_workers;              /* training jobs running at once */
    int prediction_log_percent;        /* share of predicted rows logged for drift, 0..100 */
    int prediction_log_file_mib;       /* a log file is rotated at this size */
    int prediction_log_files;          /* rotated files kept per model */
    long drift_poll_ms;                /* how often drift monitors look at live traffic */
    int drift_cooldown_seconds;        /* default minimum time between drift retrainings of a monitor */
    int drift_min_labelled_rows;       /* ground-truthed predictions needed for concept drift */
    long drift_webhook_backoff_ms;     /* first retry delay of alert webhooks (doubling) */
    /* LLMService (lib/llm/llm.h). Empty strings mean "the engine's default".
     * API keys are not settings: they come from GEMINI_API_KEY and
     * OPENAI_API_KEY only, since a flag would show in ps. */
    char llm_routes[AIA_CONFIG_STR_MAX];
    char llm_models_dir[AIA_CONFIG_STR_MAX];
    int llm_local_threads;
    int llm_max_concurrent_per_caller;
    char vertex_project[AIA_CONFIG_STR_MAX];
    char vertex_region[AIA_CONFIG_STR_MAX];
    char vertex_base_url[AIA_CONFIG_STR_MAX];
    char vertex_credentials[AIA_CONFIG_STR_MAX];
    char gemini_api_base_url[AIA_CONFIG_STR_MAX];
    char openai_base_url[AIA_CONFIG_STR_MAX];
} aia_config;

typedef enum aia_config_action {
    AIA_CONFIG_RUN,     /* start the server */
    AIA_CONFIG_HELP,    /* --help was given: print usage, exit 0 */
    AIA_CONFIG_VERSION, /* --version was given */
} aia_config_action;

/* Fills cfg from defaults, then the config file, then `envp`-style
 * environment (getenv), then argv. Returns AIA_INVALID_ARGUMENT with a
 * message naming the source on any bad input; *action says what to do. */
aia_status aia_config_load(aia_config *cfg, int argc, char **argv, aia_config_action *action,
                           aia_error *err);

/* Checks what can only be checked against the machine: the listen address
 * parses, the data directory exists (created if missing) and is writable. */
aia_status aia_config_validate(const aia_config *cfg, aia_error *err);

/* Writes the usage text to stdout. */
void aia_config_print_usage(const char *argv0);

#endif
