/* tests/unit/server/config_test.c — server/config: embedded defaults,
 * precedence (flag > env > file), flag forms, error messages that name
 * their source, config file syntax, and aia_config_validate against the
 * file system. Environment is set with setenv/unsetenv; files live in
 * $TEST_TMPDIR. */
#include <errno.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "server/config.h"

static const char *const k_env[] = {
    "AIA_CONFIG",
    "AIA_LISTEN",
    "AIA_DATA_DIR",
    "AIA_THREADS",
    "AIA_LOG_LEVEL",
    "AIA_LOG_FORMAT",
    "AIA_MAX_RECV_MESSAGE_BYTES",
    "AIA_MAX_SEND_MESSAGE_BYTES",
    "AIA_KEEPALIVE_TIME_MS",
    "AIA_KEEPALIVE_TIMEOUT_MS",
    "AIA_SHUTDOWN_GRACE_MS",
    "AIA_STREAM_QUEUE_DEPTH",
};

static void clear_env(void)
{
    for (size_t i = 0; i < sizeof k_env / sizeof k_env[0]; i++) unsetenv(k_env[i]);
}

static int setup(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

static const char *tmpdir(void)
{
    const char *d = getenv("TEST_TMPDIR");
    return d && *d ? d : "/tmp";
}

/* Writes `text` to $TEST_TMPDIR/name and returns the path (static buffer
 * per call site is not needed: callers copy). */
static void write_file(const char *name, const char *text, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", tmpdir(), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* aia_config_load over a NULL-terminated argv list (argv[0] added). */
static aia_status load(aia_config *cfg, aia_config_action *action, aia_error *err, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "aia-server";
    va_list ap;
    va_start(ap, err);
    for (char *a; (a = va_arg(ap, char *)) && argc < 31;) argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    aia_error_clear(err);
    return aia_config_load(cfg, argc, argv, action, err);
}

static void test_defaults(void **state)
{
    (void)state;
    aia_config cfg;
    aia_config_action action = (aia_config_action)-1;
    aia_error err;
    assert_int_equal(load(&cfg, &action, &err, NULL), AIA_OK);
    assert_int_equal(action, AIA_CONFIG_RUN);
    assert_string_equal(cfg.listen, "127.0.0.1:50051");
    assert_string_equal(cfg.data_dir, "./var");
    assert_string_equal(cfg.config_file, "");
    /* usable CPUs: the affinity mask, not the machine's count */
    cpu_set_t set;
    assert_int_equal(sched_getaffinity(0, sizeof set, &set), 0);
    int cpus = CPU_COUNT(&set);
    assert_int_equal(cfg.threads, cpus > 256 ? 256 : cpus);
    assert_int_equal(cfg.log_level, AIA_LOG_INFO);
    assert_int_equal(cfg.log_format, AIA_LOG_TEXT);
    assert_int_equal(cfg.max_recv_message_bytes, 4L * 1024 * 1024);
    assert_int_equal(cfg.max_send_message_bytes, 4L * 1024 * 1024);
    assert_int_equal(cfg.keepalive_time_ms, 2L * 60 * 60 * 1000);
    assert_int_equal(cfg.keepalive_timeout_ms, 20000);
    assert_int_equal(cfg.shutdown_grace_ms, 10000);
    assert_int_equal(cfg.stream_queue_depth, 64);
}

/* Pinned to one CPU (as under `taskset -c N`), the default is 1 thread. */
static void test_default_threads_follow_affinity(void **state)
{
    (void)state;
    cpu_set_t saved, one;
    assert_int_equal(sched_getaffinity(0, sizeof saved, &saved), 0);
    int cpu = 0;
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &saved)) cpu++;
    assert_true(cpu < CPU_SETSIZE);
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    aia_config cfg;
    aia_config_action action;
    aia_error err;
    aia_status st = load(&cfg, &action, &err, NULL);
    assert_int_equal(sched_setaffinity(0, sizeof saved, &saved), 0);
    assert_int_equal(st, AIA_OK);
    assert_int_equal(cfg.threads, 1);
    /* a flag still overrides it */
    assert_int_equal(load(&cfg, &action, &err, "--threads=3", NULL), AIA_OK);
    assert_int_equal(cfg.threads, 3);
}

static void test_flag_forms(void **state)
{
    (void)state;
    aia_config cfg;
    aia_config_action action;
    aia_error err;
    assert_int_equal(load(&cfg, &action, &err, "--listen=0.0.0.0:6000", "--data-dir", "/srv/aia", "--threads", "3",
                          "--log-level=debug", "--log-format", "json", "--shutdown-grace-ms=0",
                          "--stream_queue_depth=8", "--max-recv-message-bytes", "1024", NULL),
                     AIA_OK);
    assert_int_equal(action, AIA_CONFIG_RUN);
    assert_string_equal(cfg.listen, "0.0.0.0:6000");
    assert_string_equal(cfg.data_dir, "/srv/aia");
    assert_int_equal(cfg.threads, 3);
    assert_int_equal(cfg.log_level, AIA_LOG_DEBUG);
    assert_int_equal(cfg.log_format, AIA_LOG_JSON);
    assert_int_equal(cfg.shutdown_grace_ms, 0);
    assert_int_equal(cfg.stream_queue_depth, 8);
    assert_int_equal(cfg.max_recv_message_bytes, 1024);
    /* A value may itself contain '='. */
    assert_int_equal(load(&cfg, &action, &err, "--data-dir=/a=b", NULL), AIA_OK);
    assert_string_equal(cfg.data_dir, "/a=b");
    /* Later flags win. */
    assert_int_equal(load(&cfg, &action, &err, "--threads=2", "--threads=5", NULL), AIA_OK);
    assert_int_equal(cfg.threads, 5);
}

static void test_help_and_version(void **state)
{
    (void)state;
    aia_config cfg;
    aia_config_action action;
    aia_error err;
    assert_int_equal(load(&cfg, &action, &err, "--help", NULL), AIA_OK);
    assert_int_equal(action, AIA_CONFIG_HELP);
    assert_int_equal(load(&cfg, &action, &err, "-h", NULL), AIA_OK);
    assert_int_equal(action, AIA_CONFIG_HELP);
    assert_int_equal(load(&cfg, &action, &err, "--version", NULL), AIA_OK);
    assert_int_equal(action, AIA_CONFIG_VERSION);
}

static void test_flag_errors_name_the_flag(void **state)
{
    (void)state;
    aia_config cfg;
    aia_config_action action;
    aia_error err;
    assert_int_equal(load(&cfg, &action, &err, "--nope=1", NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "unknown flag '--nope'"));

    assert_int_equal(load(&cfg, &action, &err, "stray", NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "'stray'"));

    assert_int_equal(load(&cfg, &action, &err, "--threads", NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "--threads"));
    assert_non_null(strstr(err.message, "missing value"));

    assert_int_equal(load(&cfg, &action, &err, "--threads=0", NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "--threads"));
    assert_non_null(strstr(err.message, "[1, 256]"));
    assert_non_null(strstr(err.message, "'0'"));

    assert_int_equal(load(&cfg, &action, &err, "--threads", "257", NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "--threads"));

    assert_int_equal(load(&cfg, &action, &err, "--stream-queue-depth=4x", NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "--stream-queue-depth"));
    assert_non_null(strstr(err.message, "'4x'"));

    assert_int_equal(load(&cfg, &action, &err, "--keepalive-time-ms=99999999999999999999", NULL),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "--keepalive-time-ms"));

    assert_int_equal(load(&cfg, &action, &err, "--log-level=loud", NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "--log-level"));
    assert_non_null(strstr(err.message, "'loud'"));

    assert_int_equal(load(&cfg, &action, &err, "--log-format=xml", NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "--log-format"));

    assert_int_equal(load(&cfg, &action, &err, "--listen=", NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "--listen"));
    assert_non_null(strstr(err.message, "empty"));

    char long_value[AIA_CONFIG_STR_MAX + 20];
    memset(long_value, 'd', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    assert_int_equal(load(&cfg, &action, &err, "--data-dir", long_value, NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "--data-dir"));
}

static void test_env_errors_name_the_variable(void **state)
{
    (void)state;
    aia_config cfg;
    aia_config_action action;
    aia_error err;
    setenv("AIA_THREADS", "999", 1);
    assert_int_equal(load(&cfg, &action, &err, NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "AIA_THREADS"));
    assert_non_null(strstr(err.message, "'999'"));
    unsetenv("AIA_THREADS");
    setenv("AIA_LOG_FORMAT", "yaml", 1);
    assert_int_equal(load(&cfg, &action, &err, NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "AIA_LOG_FORMAT"));
    unsetenv("AIA_LOG_FORMAT");
}

static void test_precedence_flag_env_file(void **state)
{
    (void)state;
    char path[4096];
    write_file("prec.conf",
               "threads = 3\n"
               "log_level = error\n"
               "listen = 127.0.0.1:7001\n"
               "stream_queue_depth = 11\n",
               path, sizeof path);
    aia_config cfg;
    aia_config_action action;
    aia_error err;
    char cfg_flag[4200];
    snprintf(cfg_flag, sizeof cfg_flag, "--config=%s", path);

    /* file only */
    assert_int_equal(load(&cfg, &action, &err, cfg_flag, NULL), AIA_OK);
    assert_int_equal(cfg.threads, 3);
    assert_int_equal(cfg.log_level, AIA_LOG_ERROR);
    assert_string_equal(cfg.listen, "127.0.0.1:7001");
    assert_int_equal(cfg.stream_queue_depth, 11);
    assert_string_equal(cfg.config_file, path);

    /* env over file */
    setenv("AIA_THREADS", "5", 1);
    setenv("AIA_LOG_LEVEL", "warn", 1);
    assert_int_equal(load(&cfg, &action, &err, cfg_flag, NULL), AIA_OK);
    assert_int_equal(cfg.threads, 5);
    assert_int_equal(cfg.log_level, AIA_LOG_WARN);
    assert_string_equal(cfg.listen, "127.0.0.1:7001"); /* from the file still */

    /* flag over env over file, each key from its strongest source */
    assert_int_equal(load(&cfg, &action, &err, cfg_flag, "--threads", "7", NULL), AIA_OK);
    assert_int_equal(cfg.threads, 7);
    assert_int_equal(cfg.log_level, AIA_LOG_WARN);
    assert_string_equal(cfg.listen, "127.0.0.1:7001");
    assert_int_equal(cfg.stream_queue_depth, 11);
    /* the flag may come before --config: order of flags does not matter */
    assert_int_equal(load(&cfg, &action, &err, "--threads=6", "--config", path, NULL), AIA_OK);
    assert_int_equal(cfg.threads, 6);
    assert_string_equal(cfg.listen, "127.0.0.1:7001");
    clear_env();
}

static void test_aia_config_env_names_the_file(void **state)
{
    (void)state;
    char path[4096], other[4096];
    write_file("env.conf", "data_dir = /from/env/file\n", path, sizeof path);
    write_file("flag.conf", "data_dir = /from/flag/file\n", other, sizeof other);
    setenv("AIA_CONFIG", path, 1);
    aia_config cfg;
    aia_config_action action;
    aia_error err;
    assert_int_equal(load(&cfg, &action, &err, NULL), AIA_OK);
    assert_string_equal(cfg.data_dir, "/from/env/file");
    assert_string_equal(cfg.config_file, path);
    /* --config overrides AIA_CONFIG */
    assert_int_equal(load(&cfg, &action, &err, "--config", other, NULL), AIA_OK);
    assert_string_equal(cfg.data_dir, "/from/flag/file");
    assert_string_equal(cfg.config_file, other);
    /* A missing file is an error naming it. */
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/does-not-exist.conf", tmpdir());
    setenv("AIA_CONFIG", missing, 1);
    assert_int_equal(load(&cfg, &action, &err, NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, missing));
    /* An empty AIA_CONFIG means no file. */
    setenv("AIA_CONFIG", "", 1);
    assert_int_equal(load(&cfg, &action, &err, NULL), AIA_OK);
    assert_string_equal(cfg.config_file, "");
    clear_env();
}

static void test_file_syntax(void **state)
{
    (void)state;
    char path[4096];
    write_file("syntax.conf",
               "# a comment\n"
               "\n"
               "   # an indented comment\n"
               "  threads=4  \n"
               "data_dir = \"  /spaced dir # not a comment  \"\n"
               "listen\t=\t127.0.0.1:7002 # part of the value\n"
               "log_format = \"json\"\n"
               "keepalive_time_ms = 5000",  /* no trailing newline */
               path, sizeof path);
    aia_config cfg;
    aia_config_action action;
    aia_error err;
    char flag[4200];
    snprintf(flag, sizeof flag, "--config=%s", path);
    assert_int_equal(load(&cfg, &action, &err, flag, NULL), AIA_OK);
    assert_int_equal(cfg.threads, 4);
    assert_string_equal(cfg.data_dir, "  /spaced dir # not a comment  ");
    /* documented: a '#' after a value is part of the value */
    assert_string_equal(cfg.listen, "127.0.0.1:7002 # part of the value");
    assert_int_equal(cfg.log_format, AIA_LOG_JSON);
    assert_int_equal(cfg.keepalive_time_ms, 5000);
}

static void test_file_errors_name_file_and_line(void **state)
{
    (void)state;
    char path[4096], want[4200];
    aia_config cfg;
    aia_config_action action;
    aia_error err;
    char flag[4200];

    write_file("unknown.conf", "# header\n\nthreads = 2\nthread = 4\n", path, sizeof path);
    snprintf(flag, sizeof flag, "--config=%s", path);
    assert_int_equal(load(&cfg, &action, &err, flag, NULL), AIA_INVALID_ARGUMENT);
    snprintf(want, sizeof want, "%s:4: unknown key 'thread'", path);
    assert_non_null(strstr(err.message, want));

    write_file("noeq.conf", "threads 4\n", path, sizeof path);
    snprintf(flag, sizeof flag, "--config=%s", path);
    assert_int_equal(load(&cfg, &action, &err, flag, NULL), AIA_INVALID_ARGUMENT);
    snprintf(want, sizeof want, "%s:1:", path);
    assert_non_null(strstr(err.message, want));
    assert_non_null(strstr(err.message, "key = value"));

    write_file("range.conf", "\nthreads = 1000\n", path, sizeof path);
    snprintf(flag, sizeof flag, "--config=%s", path);
    assert_int_equal(load(&cfg, &action, &err, flag, NULL), AIA_INVALID_ARGUMENT);
    snprintf(want, sizeof want, "%s:2: threads", path);
    assert_non_null(strstr(err.message, want));
    assert_non_null(strstr(err.message, "[1, 256]"));

    /* "config" is not a file key (no include loops). */
    write_file("nested.conf", "config = other.conf\n", path, sizeof path);
    snprintf(flag, sizeof flag, "--config=%s", path);
    assert_int_equal(load(&cfg, &action, &err, flag, NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "unknown key 'config'"));

    /* Flag-style names are not file keys. */
    write_file("dash.conf", "data-dir = /x\n", path, sizeof path);
    snprintf(flag, sizeof flag, "--config=%s", path);
    assert_int_equal(load(&cfg, &action, &err, flag, NULL), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "unknown key 'data-dir'"));
}

/* Formats into a config string field, failing the test on truncation. */
static void setf(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void setf(char *dst, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(dst, AIA_CONFIG_STR_MAX, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && n < AIA_CONFIG_STR_MAX);
}

/* ---- aia_config_validate -------------------------------------------------- */

static void base_config(aia_config *cfg)
{
    aia_config_action action;
    aia_error err;
    assert_int_equal(load(cfg, &action, &err, NULL), AIA_OK);
}

static void test_validate_bad_address(void **state)
{
    (void)state;
    aia_config cfg;
    base_config(&cfg);
    setf(cfg.data_dir, "%s/validate-ok", tmpdir());
    aia_error err;
    setf(cfg.listen, "127.0.0.1");
    assert_int_equal(aia_config_validate(&cfg, &err), AIA_INVALID_ARGUMENT);
    assert_memory_equal(err.message, "listen: ", 8);
    assert_non_null(strstr(err.message, "127.0.0.1"));
    setf(cfg.listen, "127.0.0.1:99999");
    assert_int_equal(aia_config_validate(&cfg, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "port"));
    setf(cfg.listen, "127.0.0.1:0");
    assert_int_equal(aia_config_validate(&cfg, &err), AIA_OK);
}

static void test_validate_unwritable_data_dir(void **state)
{
    (void)state;
    char file[4096];
    write_file("regular-file", "x", file, sizeof file);
    aia_config cfg;
    base_config(&cfg);
    aia_error err;
    /* A directory cannot live under a regular file, not even for root. */
    setf(cfg.data_dir, "%s/sub/dir", file);
    assert_int_equal(aia_config_validate(&cfg, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "data dir"));
    assert_non_null(strstr(err.message, cfg.data_dir));
    /* The data dir is itself a regular file. */
    setf(cfg.data_dir, "%s", file);
    assert_int_equal(aia_config_validate(&cfg, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "not a directory"));
}

static void test_validate_creates_nested_data_dir(void **state)
{
    (void)state;
    aia_config cfg;
    base_config(&cfg);
    setf(cfg.data_dir, "%s/nested-%ld/a/b/c", tmpdir(), (long)getpid());
    aia_error err;
    aia_error_clear(&err);
    assert_int_equal(aia_config_validate(&cfg, &err), AIA_OK);
    struct stat st;
    assert_int_equal(stat(cfg.data_dir, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    /* The write probe is removed: the directory is empty. */
    char probe[AIA_CONFIG_STR_MAX + 64];
    snprintf(probe, sizeof probe, "%s/.aia-write-probe-%ld", cfg.data_dir, (long)getpid());
    assert_int_not_equal(access(probe, F_OK), 0);
    /* Validating again (the directory exists) is fine, with a trailing slash too. */
    assert_int_equal(aia_config_validate(&cfg, &err), AIA_OK);
    strncat(cfg.data_dir, "/", sizeof cfg.data_dir - strlen(cfg.data_dir) - 1);
    assert_int_equal(aia_config_validate(&cfg, &err), AIA_OK);
}

static void test_validate_relative_data_dir(void **state)
{
    (void)state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(tmpdir()), 0);
    aia_config cfg;
    base_config(&cfg); /* ./var */
    aia_error err;
    assert_int_equal(aia_config_validate(&cfg, &err), AIA_OK);
    struct stat st;
    assert_int_equal(stat("var", &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(chdir(cwd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, setup),
        cmocka_unit_test_setup(test_default_threads_follow_affinity, setup),
        cmocka_unit_test_setup(test_flag_forms, setup),
        cmocka_unit_test_setup(test_help_and_version, setup),
        cmocka_unit_test_setup(test_flag_errors_name_the_flag, setup),
        cmocka_unit_test_setup(test_env_errors_name_the_variable, setup),
        cmocka_unit_test_setup(test_precedence_flag_env_file, setup),
        cmocka_unit_test_setup(test_aia_config_env_names_the_file, setup),
        cmocka_unit_test_setup(test_file_syntax, setup),
        cmocka_unit_test_setup(test_file_errors_name_file_and_line, setup),
        cmocka_unit_test_setup(test_validate_bad_address, setup),
        cmocka_unit_test_setup(test_validate_unwritable_data_dir, setup),
        cmocka_unit_test_setup(test_validate_creates_nested_data_dir, setup),
        cmocka_unit_test_setup(test_validate_relative_data_dir, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
