/* tests/unit/base/log_test.c — lib/base/log: text and JSON lines written to
 * a temporary file, one line per event, JSON that parses (checked with a
 * small validator below), NaN/Inf as null, level filtering, parsing of
 * level and format names, and whole lines under concurrent logging. */
#include <ctype.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <math.h>

#include "lib/base/log.h"

/* ---- a minimal strict JSON validator (RFC 8259 subset: no surrogate
 * pairing checks) ----------------------------------------------------- */

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    return p;
}

static const char *json_value(const char *p, int depth);

static const char *json_string(const char *p)
{
    if (*p != '"') return NULL;
    p++;
    while (*p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c == '\0' || c < 0x20) return NULL;
        if (c == '\\') {
            p++;
            if (*p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)p[i])) return NULL;
                p += 5;
                continue;
            }
            if (!*p || !strchr("\"\\/bfnrt", *p)) return NULL;
        }
        p++;
    }
    return p + 1;
}

static const char *json_number(const char *p)
{
    if (*p == '-') p++;
    if (*p == '0') p++;
    else if (isdigit((unsigned char)*p)) while (isdigit((unsigned char)*p)) p++;
    else return NULL;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p)) return NULL;
        while (isdigit((unsigned char)*p)) p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!isdigit((unsigned char)*p)) return NULL;
        while (isdigit((unsigned char)*p)) p++;
    }
    return p;
}

static const char *json_value(const char *p, int depth)
{
    if (depth > 32) return NULL;
    p = json_ws(p);
    if (*p == '{') {
        p = json_ws(p + 1);
        if (*p == '}') return p + 1;
        for (;;) {
            p = json_string(json_ws(p));
            if (!p) return NULL;
            p = json_ws(p);
            if (*p != ':') return NULL;
            p = json_value(p + 1, depth + 1);
            if (!p) return NULL;
            p = json_ws(p);
            if (*p == '}') return p + 1;
            if (*p != ',') return NULL;
            p++;
        }
    }
    if (*p == '[') {
        p = json_ws(p + 1);
        if (*p == ']') return p + 1;
        for (;;) {
            p = json_value(p, depth + 1);
            if (!p) return NULL;
            p = json_ws(p);
            if (*p == ']') return p + 1;
            if (*p != ',') return NULL;
            p++;
        }
    }
    if (*p == '"') return json_string(p);
    if (strncmp(p, "null", 4) == 0) return p + 4;
    if (strncmp(p, "true", 4) == 0) return p + 4;
    if (strncmp(p, "false", 5) == 0) return p + 5;
    return json_number(p);
}

/* Non-zero when `line` (without its newline) is exactly one JSON object. */
static int is_json_object(const char *line)
{
    const char *p = json_ws(line);
    if (*p != '{') return 0;
    p = json_value(p, 0);
    return p && *json_ws(p) == '\0';
}

static void test_validator_self_check(void **state)
{
    (void)state;
    assert_true(is_json_object("{\"a\":1,\"b\":\"x\\\"y\",\"c\":null,\"d\":-1.5e3,\"e\":[true,false]}"));
    assert_false(is_json_object("{\"a\":nan}"));
    assert_false(is_json_object("{\"a\":\"raw\nnewline\"}"));
    assert_false(is_json_object("{\"a\":1"));
    assert_false(is_json_object("{\"a\":1}}"));
    assert_false(is_json_object("{\"a\" 1}"));
}

/* ---- capturing the log in a temporary file ----------------------------- */

static int g_fd = -1;

static int open_capture(void **state)
{
    (void)state;
    const char *dir = getenv("TEST_TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/aia_log_test_XXXXXX", dir && *dir ? dir : "/tmp");
    g_fd = mkstemp(path);
    if (g_fd < 0) return -1;
    unlink(path);
    /* O_APPEND so that concurrent writers append whole lines. */
    fcntl(g_fd, F_SETFL, fcntl(g_fd, F_GETFL) | O_APPEND);
    return 0;
}

static int close_capture(void **state)
{
    (void)state;
    aia_log_configure(AIA_LOG_INFO, AIA_LOG_TEXT, 2);
    close(g_fd);
    g_fd = -1;
    return 0;
}

/* Everything logged since the last call (the file is emptied). Caller frees. */
static char *take_output(void)
{
    off_t end = lseek(g_fd, 0, SEEK_END);
    assert_true(end >= 0);
    char *buf = malloc((size_t)end + 1);
    assert_non_null(buf);
    ssize_t n = pread(g_fd, buf, (size_t)end, 0);
    assert_int_equal(n, end);
    buf[n] = '\0';
    assert_int_equal(ftruncate(g_fd, 0), 0);
    return buf;
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

/* Checks "2026-11-26T05:44:32.123Z" at p. */
static void assert_timestamp(const char *p)
{
    const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd') {
            if (!isdigit((unsigned char)p[i])) fail_msg("timestamp '%.24s' bad at %zu", p, i);
        } else if (p[i] != shape[i]) {
            fail_msg("timestamp '%.24s' bad at %zu", p, i);
        }
    }
}

static void test_json_line(void **state)
{
    (void)state;
    aia_log_configure(AIA_LOG_DEBUG, AIA_LOG_JSON, g_fd);
    aia_log_field f[] = {
        AIA_LOG_STR("method", "/aia.v1.SystemService/GetHealth"),
        AIA_LOG_INT("code", 3),
        AIA_LOG_INT("big", INT64_MIN),
        AIA_LOG_DBL("duration_ms", 1.5),
        AIA_LOG_DBL("nan", NAN),
        AIA_LOG_DBL("inf", INFINITY),
        AIA_LOG_DBL("ninf", -INFINITY),
        AIA_LOG_STR("message", "say \"hi\"\nthen\tleave\\ \x01"),
        AIA_LOG_STR("null_str", NULL),
        AIA_LOG_STR("key \"quoted\"", "v"),
    };
    aia_log_event(AIA_LOG_INFO, "rpc", f, sizeof f / sizeof f[0]);
    char *out = take_output();
    assert_int_equal(count_lines(out), 1);
    size_t len = strlen(out);
    assert_int_equal(out[len - 1], '\n');
    out[len - 1] = '\0';
    if (!is_json_object(out)) fail_msg("not one JSON object: %s", out);
    assert_memory_equal(out, "{\"ts\":\"", 7);
    assert_timestamp(out + 7);
    assert_non_null(strstr(out, "\"level\":\"info\""));
    assert_non_null(strstr(out, "\"event\":\"rpc\""));
    assert_non_null(strstr(out, "\"method\":\"/aia.v1.SystemService/GetHealth\""));
    assert_non_null(strstr(out, "\"code\":3"));
    assert_non_null(strstr(out, "\"big\":-9223372036854775808"));
    assert_non_null(strstr(out, "\"duration_ms\":1.5"));
    assert_non_null(strstr(out, "\"nan\":null"));
    assert_non_null(strstr(out, "\"inf\":null"));
    assert_non_null(strstr(out, "\"ninf\":null"));
    assert_non_null(strstr(out, "\"message\":\"say \\\"hi\\\"\\nthen\\tleave\\\\ \\u0001\""));
    assert_non_null(strstr(out, "\"null_str\":\"\""));
    assert_non_null(strstr(out, "\"key \\\"quoted\\\"\":\"v\""));
    free(out);
}

static void test_json_event_name_escaped_and_levels(void **state)
{
    (void)state;
    aia_log_configure(AIA_LOG_DEBUG, AIA_LOG_JSON, g_fd);
    aia_log_event(AIA_LOG_DEBUG, "ev\"il\n", NULL, 0);
    aia_log_event(AIA_LOG_WARN, "w", NULL, 0);
    aia_log_event(AIA_LOG_ERROR, "e", NULL, 0);
    char *out = take_output();
    assert_int_equal(count_lines(out), 3);
    char *save = NULL;
    int i = 0;
    const char *levels[] = {"\"level\":\"debug\"", "\"level\":\"warn\"", "\"level\":\"error\""};
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save), i++) {
        if (!is_json_object(line)) fail_msg("not JSON: %s", line);
        assert_non_null(strstr(line, levels[i]));
    }
    assert_int_equal(i, 3);
    free(out);
}

static void test_text_line(void **state)
{
    (void)state;
    aia_log_configure(AIA_LOG_INFO, AIA_LOG_TEXT, g_fd);
    aia_log_field f[] = {
        AIA_LOG_STR("method", "/a.B/C"),
        AIA_LOG_INT("code", 0),
        AIA_LOG_DBL("ms", 0.25),
        AIA_LOG_DBL("nan", NAN),
        AIA_LOG_STR("msg", "two words"),
        AIA_LOG_STR("eq", "a=b"),
        AIA_LOG_STR("nl", "x\ny"),
        AIA_LOG_STR("empty", ""),
        AIA_LOG_STR("null", NULL),
    };
    aia_log_event(AIA_LOG_INFO, "rpc", f, sizeof f / sizeof f[0]);
    char *out = take_output();
    assert_int_equal(count_lines(out), 1);
    assert_timestamp(out);
    const char *rest = out + 24;
    assert_string_equal(rest, " INFO rpc method=/a.B/C code=0 ms=0.25 nan=nan msg=\"two words\" eq=\"a=b\" "
                              "nl=\"x\\ny\" empty=\"\" null=\"\"\n");
    free(out);
}

static void test_logf(void **state)
{
    (void)state;
    aia_log_configure(AIA_LOG_INFO, AIA_LOG_JSON, g_fd);
    aia_logf(AIA_LOG_WARN, "grace_expired", "cancelling %d calls after %s", 3, "10 s");
    char *out = take_output();
    assert_int_equal(count_lines(out), 1);
    out[strlen(out) - 1] = '\0';
    assert_true(is_json_object(out));
    assert_non_null(strstr(out, "\"event\":\"grace_expired\""));
    assert_non_null(strstr(out, "\"msg\":\"cancelling 3 calls after 10 s\""));
    free(out);

    /* A very long message is cut, but the line stays one JSON object. */
    char *big = malloc(5000);
    memset(big, 'x', 4999);
    big[4999] = '\0';
    aia_logf(AIA_LOG_ERROR, "big", "%s", big);
    free(big);
    out = take_output();
    assert_int_equal(count_lines(out), 1);
    out[strlen(out) - 1] = '\0';
    assert_true(is_json_object(out));
    free(out);
}

static void test_level_filtering(void **state)
{
    (void)state;
    aia_log_configure(AIA_LOG_WARN, AIA_LOG_TEXT, g_fd);
    assert_false(aia_log_enabled(AIA_LOG_DEBUG));
    assert_false(aia_log_enabled(AIA_LOG_INFO));
    assert_true(aia_log_enabled(AIA_LOG_WARN));
    assert_true(aia_log_enabled(AIA_LOG_ERROR));
    aia_log_event(AIA_LOG_DEBUG, "d", NULL, 0);
    aia_log_event(AIA_LOG_INFO, "i", NULL, 0);
    aia_logf(AIA_LOG_INFO, "i2", "x");
    aia_log_event(AIA_LOG_WARN, "w", NULL, 0);
    aia_logf(AIA_LOG_ERROR, "e", "boom");
    char *out = take_output();
    assert_int_equal(count_lines(out), 2);
    assert_null(strstr(out, " DEBUG "));
    assert_null(strstr(out, " INFO "));
    assert_non_null(strstr(out, " WARN w\n"));
    assert_non_null(strstr(out, " ERROR e msg=boom\n"));
    free(out);

    aia_log_configure(AIA_LOG_ERROR, AIA_LOG_JSON, g_fd);
    aia_log_event(AIA_LOG_WARN, "w", NULL, 0);
    out = take_output();
    assert_string_equal(out, "");
    free(out);
}

static void test_parse_names(void **state)
{
    (void)state;
    assert_int_equal(aia_log_level_parse("debug"), AIA_LOG_DEBUG);
    assert_int_equal(aia_log_level_parse("info"), AIA_LOG_INFO);
    assert_int_equal(aia_log_level_parse("warn"), AIA_LOG_WARN);
    assert_int_equal(aia_log_level_parse("warning"), AIA_LOG_WARN);
    assert_int_equal(aia_log_level_parse("error"), AIA_LOG_ERROR);
    assert_int_equal(aia_log_level_parse("INFO"), -1);
    assert_int_equal(aia_log_level_parse(""), -1);
    assert_int_equal(aia_log_level_parse("trace"), -1);
    assert_int_equal(aia_log_level_parse(NULL), -1);
    assert_int_equal(aia_log_format_parse("text"), AIA_LOG_TEXT);
    assert_int_equal(aia_log_format_parse("json"), AIA_LOG_JSON);
    assert_int_equal(aia_log_format_parse("JSON"), -1);
    assert_int_equal(aia_log_format_parse("yaml"), -1);
    assert_int_equal(aia_log_format_parse(NULL), -1);
}

enum { THREADS = 4, PER_THREAD = 250 };

static void *log_many(void *arg)
{
    long id = (long)(intptr_t)arg;
    char pad[300];
    memset(pad, 'a' + (int)id, sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < PER_THREAD; i++) {
        aia_log_field f[] = {AIA_LOG_INT("thread", id), AIA_LOG_INT("i", i), AIA_LOG_STR("pad", pad)};
        aia_log_event(AIA_LOG_INFO, "concurrent", f, 3);
    }
    return NULL;
}

static void test_concurrent_lines_stay_whole(void **state)
{
    (void)state;
    aia_log_configure(AIA_LOG_INFO, AIA_LOG_JSON, g_fd);
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++) assert_int_equal(pthread_create(&t[i], NULL, log_many, (void *)(intptr_t)i), 0);
    for (int i = 0; i < THREADS; i++) pthread_join(t[i], NULL);
    char *out = take_output();
    assert_int_equal(count_lines(out), THREADS * PER_THREAD);
    int per[THREADS] = {0};
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!is_json_object(line)) fail_msg("interleaved or broken line: %.120s", line);
        const char *th = strstr(line, "\"thread\":");
        assert_non_null(th);
        int id = atoi(th + 9);
        assert_in_range(id, 0, THREADS - 1);
        per[id]++;
    }
    for (int i = 0; i < THREADS; i++) assert_int_equal(per[i], PER_THREAD);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator_self_check),
        cmocka_unit_test(test_json_line),
        cmocka_unit_test(test_json_event_name_escaped_and_levels),
        cmocka_unit_test(test_text_line),
        cmocka_unit_test(test_logf),
        cmocka_unit_test(test_level_filtering),
        cmocka_unit_test(test_parse_names),
        cmocka_unit_test(test_concurrent_lines_stay_whole),
    };
    return cmocka_run_group_tests(tests, open_capture, close_capture);
}
