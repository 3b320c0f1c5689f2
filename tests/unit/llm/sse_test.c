/* tests/unit/llm/sse_test.c — lib/llm/sse: the WHATWG event-stream rules,
 * byte streams split anywhere, truncation and the memory bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/base/strbuf.h"
#include "lib/llm/sse.h"
#include "tests/unit/llm/test_files.h"

/* Events rendered one per line as type|id|retry|data, newlines in data as "\n". */
typedef struct recorder {
    aia_strbuf out;
    int n;
    int fail_at; /* 1-based event whose callback fails, 0 for none */
} recorder;

static aia_status record(void *user, const aia_sse_event *ev, aia_error *err)
{
    recorder *r = user;
    r->n++;
    if (r->fail_at == r->n) return aia_error_set(err, AIA_INTERNAL, "callback refused event %d", r->n);
    assert_int_equal(strlen(ev->type), ev->type_len);
    assert_int_equal(ev->data[ev->data_len], '\0');
    aia_strbuf_append(&r->out, ev->type, ev->type_len);
    aia_strbuf_putc(&r->out, '|');
    aia_strbuf_append(&r->out, ev->id, ev->id_len);
    if (ev->has_retry) aia_strbuf_printf(&r->out, "|%lld|", ev->retry_ms);
    else aia_strbuf_puts(&r->out, "|-|");
    for (size_t i = 0; i < ev->data_len; i++) {
        if (ev->data[i] == '\n') aia_strbuf_puts(&r->out, "\\n");
        else aia_strbuf_putc(&r->out, ev->data[i]);
    }
    aia_strbuf_putc(&r->out, '\n');
    return AIA_OK;
}

/* Feeds `text` cut at the given positions (ascending, within [0, n]) and
 * returns the rendered events (caller frees); *truncated tells the end state. */
static char *run(const char *text, size_t n, const size_t *cuts, size_t n_cuts, int *truncated)
{
    recorder r = {AIA_STRBUF_INIT, 0, 0};
    aia_sse_parser p;
    aia_sse_init(&p, 0, record, &r);
    aia_error err;
    size_t at = 0;
    for (size_t i = 0; i <= n_cuts; i++) {
        size_t end = i < n_cuts ? cuts[i] : n;
        if (aia_sse_feed(&p, text + at, end - at, &err) != AIA_OK) fail_msg("feed failed: %s", err.message);
        at = end;
    }
    if (truncated) *truncated = aia_sse_truncated(&p);
    aia_sse_free(&p);
    return aia_strbuf_release(&r.out, NULL);
}

/* LF → CRLF or CR line ends. */
static char *convert(const char *text, size_t n, const char *eol, size_t *out_len)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') aia_strbuf_puts(&sb, eol);
        else aia_strbuf_putc(&sb, text[i]);
    }
    return aia_strbuf_release(&sb, out_len);
}

static void check_all_splits(const char *text, size_t n, const char *expected)
{
    int truncated = 1;
    char *whole = run(text, n, NULL, 0, &truncated);
    assert_string_equal(whole, expected);
    assert_false(truncated);
    free(whole);
    for (size_t i = 0; i <= n; i++) {
        char *got = run(text, n, &i, 1, &truncated);
        if (strcmp(got, expected) != 0) fail_msg("split at byte %zu: got\n%s\nwanted\n%s", i, got, expected);
        assert_false(truncated);
        free(got);
    }
    size_t *every = malloc(n * sizeof *every); /* one byte per feed */
    for (size_t i = 0; i < n; i++) every[i] = i;
    char *got = run(text, n, every, n, &truncated);
    assert_string_equal(got, expected);
    free(got);
    free(every);
}

static void test_fixture_every_split_lf_crlf_cr(void **state)
{
    (void)state;
    size_t n, en;
    char *text = wire_fixture("sse_events.txt", &n);
    char *expected = wire_fixture("sse_events.expected", &en);
    check_all_splits(text, n, expected);
    static const char *const eols[] = {"\r\n", "\r"};
    for (size_t k = 0; k < 2; k++) {
        size_t cn;
        char *conv = convert(text, n, eols[k], &cn);
        check_all_splits(conv, cn, expected);
        free(conv);
    }
    /* a BOM at the start is skipped, also when split */
    size_t bn;
    char *with_bom = malloc(n + 3);
    memcpy(with_bom, "\xEF\xBB\xBF", 3);
    memcpy(with_bom + 3, text, n);
    bn = n + 3;
    check_all_splits(with_bom, bn, expected);
    free(with_bom);
    free(text);
    free(expected);
}

static void test_bom_only_at_start(void **state)
{
    (void)state;
    /* a second BOM is part of the field name, so the line is an unknown field */
    const char *s = "\xEF\xBB\xBF\xEF\xBB\xBF" "data: x\n\ndata: y\n\n";
    char *got = run(s, strlen(s), NULL, 0, NULL);
    assert_string_equal(got, "message||-|y\n");
    free(got);
    /* a partial BOM is ordinary content: "\xEF\xBB" + "data" is an unknown field */
    const char *p = "\xEF\xBB" "data: x\n\ndata: z\n\n";
    got = run(p, strlen(p), NULL, 0, NULL);
    assert_string_equal(got, "message||-|z\n");
    free(got);
}

static void test_mixed_line_ends_and_crlf_split(void **state)
{
    (void)state;
    const char *s = "data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r";
    for (size_t i = 0; i <= strlen(s); i++) {
        int truncated = 1;
        char *got = run(s, strlen(s), &i, 1, &truncated);
        assert_string_equal(got, "message||-|a\\nb\\nc\nmessage||-|d\n");
        assert_false(truncated);
        free(got);
    }
    /* "\r" then "\n" in separate feeds is one line end, not a blank line */
    const char *t = "data: 1\r\ndata: 2\r\n\r\n";
    size_t cut = 8; /* between the first \r and \n */
    char *got = run(t, strlen(t), &cut, 1, NULL);
    assert_string_equal(got, "message||-|1\\n2\n");
    free(got);
}

static void test_truncated_final_event(void **state)
{
    (void)state;
    int truncated = 0;
    char *got = run("data: one\n\ndata: two\n", 21, NULL, 0, &truncated);
    assert_string_equal(got, "message||-|one\n");
    assert_true(truncated);
    free(got);
    got = run("data: one\n\ndata: tw", 19, NULL, 0, &truncated);
    assert_string_equal(got, "message||-|one\n");
    assert_true(truncated);
    free(got);
    /* a trailing comment line is not an event */
    got = run("data: one\n\n: bye\n", 17, NULL, 0, &truncated);
    assert_false(truncated);
    free(got);
    /* a CR at the very end ends the line; the event still lacks its blank line */
    got = run("data: one\r", 10, NULL, 0, &truncated);
    assert_string_equal(got, "");
    assert_true(truncated);
    free(got);
    got = run("", 0, NULL, 0, &truncated);
    assert_false(truncated);
    free(got);
}

static void test_id_with_nul_ignored_and_retry_rules(void **state)
{
    (void)state;
    const char s[] = "id: ok\ndata: a\n\nid: b\0d\nretry: 99999999999999999999999\ndata: b\n\nid\ndata: c\n\n";
    char *got = run(s, sizeof s - 1, NULL, 0, NULL);
    assert_string_equal(got, "message|ok|-|a\nmessage|ok|-|b\nmessage||-|c\n");
    free(got);
}

static void test_event_over_bound_is_error(void **state)
{
    (void)state;
    recorder r = {AIA_STRBUF_INIT, 0, 0};
    aia_sse_parser p;
    aia_sse_init(&p, 64, record, &r);
    aia_error err;
    assert_int_equal(aia_sse_feed(&p, "data: small\n\n", 13, &err), AIA_OK);
    char big[80];
    memset(big, 'x', sizeof big);
    memcpy(big, "data: ", 6);
    aia_status st = aia_sse_feed(&p, big, 40, &err);
    assert_int_equal(st, AIA_OK);
    st = aia_sse_feed(&p, "\n", 1, &err);
    assert_int_equal(st, AIA_OK);
    st = aia_sse_feed(&p, big, sizeof big, &err);
    assert_int_equal(st, AIA_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(err.message, "larger than 64 bytes"));
    assert_non_null(strstr(err.message, "line 4"));
    /* sticky */
    aia_error err2;
    assert_int_equal(aia_sse_feed(&p, "\n\n", 2, &err2), AIA_RESOURCE_EXHAUSTED);
    assert_string_equal(err.message, err2.message);
    assert_int_equal(r.n, 1);
    aia_sse_free(&p);
    aia_strbuf_free(&r.out);
}

static void test_callback_error_stops(void **state)
{
    (void)state;
    recorder r = {AIA_STRBUF_INIT, 0, 2};
    aia_sse_parser p;
    aia_sse_init(&p, 0, record, &r);
    aia_error err;
    const char *s = "data: 1\n\ndata: 2\n\ndata: 3\n\n";
    assert_int_equal(aia_sse_feed(&p, s, strlen(s), &err), AIA_INTERNAL);
    assert_string_equal(err.message, "callback refused event 2");
    assert_int_equal(r.n, 2);
    assert_int_equal(aia_sse_feed(&p, s, strlen(s), &err), AIA_INTERNAL);
    assert_int_equal(r.n, 2);
    aia_sse_free(&p);
    aia_strbuf_free(&r.out);
}

/* Arbitrary bytes (NULs, lone CRs, invalid UTF-8) never crash. */
static void test_garbage_never_crashes(void **state)
{
    (void)state;
    unsigned int seed = 12345;
    char buf[4096];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof buf; i++) {
            seed = seed * 1103515245u + 12345u;
            static const char alphabet[] = "data:event\nid\r: x\0\xff";
            buf[i] = alphabet[(seed >> 16) % (sizeof alphabet)];
        }
        recorder r = {AIA_STRBUF_INIT, 0, 0};
        aia_sse_parser p;
        aia_sse_init(&p, 1024, record, &r);
        aia_error err;
        size_t at = 0;
        while (at < sizeof buf) {
            size_t step = 1 + (seed >> 8) % 37;
            seed = seed * 1103515245u + 12345u;
            if (step > sizeof buf - at) step = sizeof buf - at;
            if (aia_sse_feed(&p, buf + at, step, &err) != AIA_OK) break;
            at += step;
        }
        aia_sse_free(&p);
        aia_strbuf_free(&r.out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixture_every_split_lf_crlf_cr),
        cmocka_unit_test(test_bom_only_at_start),
        cmocka_unit_test(test_mixed_line_ends_and_crlf_split),
        cmocka_unit_test(test_truncated_final_event),
        cmocka_unit_test(test_id_with_nul_ignored_and_retry_rules),
        cmocka_unit_test(test_event_over_bound_is_error),
        cmocka_unit_test(test_callback_error_stops),
        cmocka_unit_test(test_garbage_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
