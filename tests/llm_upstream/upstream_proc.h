/* tests/llm_upstream/upstream_proc.h — run the test upstream from C tests.
 * Test-only; not thread-safe (one per test process). */
#ifndef AIA_TESTS_LLM_UPSTREAM_PROC_H
#define AIA_TESTS_LLM_UPSTREAM_PROC_H

#include <sys/types.h>

typedef struct upstream {
    pid_t pid;
    int port;
    char base_url[64];   /* "http://127.0.0.1:<port>" */
    char dir[512];       /* scratch directory (port file, key files) */
} upstream;

/* Starts upstream.py (extra_args: NULL-terminated, may be NULL); returns 0
 * once it listens, -1 (with a message on stderr) otherwise. */
int upstream_start(upstream *u, const char *const *extra_args);
void upstream_stop(upstream *u);

/* GET base_url + path into a malloc'd NUL-terminated string; NULL on failure. */
char *upstream_get(const upstream *u, const char *path);

/* From /_stats: stats[section][key] as a number (requests per model,
 * disconnect times), or stats[section] when key is NULL (counters);
 * -1 when absent. */
double upstream_stat(const upstream *u, const char *section, const char *key);

/* Number of entries of the array stats[section] (e.g. "jwt_errors"), -1 on failure. */
long upstream_stat_len(const upstream *u, const char *section);

/* Path of a file of tests/llm_upstream/ (runfiles-aware). */
const char *upstream_file(const char *name, char *buf, size_t size);

#endif
