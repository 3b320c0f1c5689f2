/* tests/llm_upstream/upstream_proc.c — fork/exec of upstream.py. */
#include "tests/llm_upstream/upstream_proc.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/base/arena.h"
#include "lib/base/strbuf.h"
#include "lib/pbjson/json.h"
#include "tests/unit/testutil/runfiles.h"

const char *upstream_file(const char *name, char *buf, size_t size) {
    char rel[256];
    snprintf(rel, sizeof rel, "tests/llm_upstream/%s", name);
    return test_data_path(rel, buf, size);
}

static int read_port(const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    int port = 0;
    if (fscanf(f, "%d", &port) != 1) port = 0;
    fclose(f);
    return port;
}

int upstream_start(upstream *u, const char *const *extra_args) {
    memset(u, 0, sizeof *u);
    const char *tmp = getenv("TEST_TMPDIR");
    snprintf(u->dir, sizeof u->dir, "%s/llm_upstream.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(u->dir)) {
        perror("mkdtemp");
        return -1;
    }
    char script[1024], port_file[600];
    upstream_file("upstream.py", script, sizeof script);
    snprintf(port_file, sizeof port_file, "%s/port", u->dir);
    const char *argv[16] = {"python3", script, "--port-file", port_file};
    int n = 4;
    for (int i = 0; extra_args && extra_args[i] && n < 15; i++) argv[n++] = extra_args[i];
    argv[n] = NULL;
    u->pid = fork();
    if (u->pid < 0) return -1;
    if (u->pid == 0) {
        execvp("python3", (char *const *)argv);
        perror("execvp python3");
        _exit(127);
    }
    for (int i = 0; i < 300; i++) { /* up to 15 s */
        if ((u->port = read_port(port_file)) > 0) break;
        int status;
        if (waitpid(u->pid, &status, WNOHANG) == u->pid) {
            fprintf(stderr, "upstream.py exited early (status %d)\n", status);
            u->pid = 0;
            return -1;
        }
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (u->port <= 0) {
        fprintf(stderr, "upstream.py did not start listening\n");
        upstream_stop(u);
        return -1;
    }
    snprintf(u->base_url, sizeof u->base_url, "http://127.0.0.1:%d", u->port);
    return 0;
}

void upstream_stop(upstream *u) {
    if (u->pid > 0) {
        kill(u->pid, SIGTERM);
        waitpid(u->pid, NULL, 0);
        u->pid = 0;
    }
}

static size_t collect(char *p, size_t size, size_t n, void *user) {
    aia_strbuf_append(user, p, size * n);
    return size * n;
}

char *upstream_get(const upstream *u, const char *path) {
    CURL *h = curl_easy_init();
    if (!h) return NULL;
    char url[512];
    snprintf(url, sizeof url, "%s%s", u->base_url, path);
    aia_strbuf sb = AIA_STRBUF_INIT;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &sb);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        aia_strbuf_free(&sb);
        return NULL;
    }
    return aia_strbuf_release(&sb, NULL);
}

static const aia_json_value *stat_value(const upstream *u, aia_arena *a, char **text, const char *section) {
    *text = upstream_get(u, "/_stats");
    aia_json_value *root = NULL;
    aia_error err;
    if (!*text || aia_json_parse(*text, strlen(*text), 0, a, &root, &err) != AIA_OK) return NULL;
    return aia_json_object_get(root, section);
}

double upstream_stat(const upstream *u, const char *section, const char *key) {
    aia_arena a;
    aia_arena_init(&a, 4096);
    char *text;
    const aia_json_value *v = stat_value(u, &a, &text, section);
    if (v && key) v = v->type == AIA_JSON_OBJECT ? aia_json_object_get(v, key) : NULL;
    double out = v && v->type == AIA_JSON_NUMBER ? strtod(v->u.str, NULL) : -1;
    aia_arena_destroy(&a);
    free(text);
    return out;
}

long upstream_stat_len(const upstream *u, const char *section) {
    aia_arena a;
    aia_arena_init(&a, 4096);
    char *text;
    const aia_json_value *v = stat_value(u, &a, &text, section);
    long out = v && v->type == AIA_JSON_ARRAY ? (long)v->len : -1;
    aia_arena_destroy(&a);
    free(text);
    return out;
}
