/* tests/unit/base/strbuf_test.c — lib/base/strbuf: growth, printf of long
 * strings, JSON string escaping, release/reset and sticky out-of-memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/base/strbuf.h"

static void test_empty(void **state)
{
    (void)state;
    aia_strbuf sb = AIA_STRBUF_INIT;
    assert_null(sb.data);
    assert_int_equal(sb.len, 0);
    assert_string_equal(aia_strbuf_cstr(&sb), "");
    aia_strbuf_append(&sb, "", 0);
    assert_string_equal(aia_strbuf_cstr(&sb), "");
    assert_int_equal(sb.len, 0);
    aia_strbuf_free(&sb);
    aia_strbuf_free(&sb); /* idempotent */
    aia_strbuf sb2;
    aia_strbuf_init(&sb2);
    assert_null(sb2.data);
    assert_int_equal(sb2.oom, 0);
}

static void test_growth_keeps_contents(void **state)
{
    (void)state;
    aia_strbuf sb;
    aia_strbuf_init(&sb);
    const size_t n = 100000;
    for (size_t i = 0; i < n; i++) aia_strbuf_putc(&sb, (char)('a' + i % 26));
    assert_int_equal(sb.len, n);
    assert_true(sb.cap >= n + 1);
    assert_int_equal(sb.oom, 0);
    assert_int_equal(strlen(aia_strbuf_cstr(&sb)), n); /* NUL-terminated */
    for (size_t i = 0; i < n; i++)
        if (sb.data[i] != (char)('a' + i % 26)) fail_msg("byte %zu is wrong", i);
    aia_strbuf_puts(&sb, "END");
    assert_int_equal(sb.len, n + 3);
    assert_string_equal(sb.data + n, "END");
    aia_strbuf_free(&sb);
}

static void test_append_binary_and_reserve(void **state)
{
    (void)state;
    aia_strbuf sb = AIA_STRBUF_INIT;
    assert_int_equal(aia_strbuf_reserve(&sb, 1000), 0);
    assert_true(sb.cap >= 1001);
    size_t cap = sb.cap;
    char *data = sb.data;
    for (int i = 0; i < 1000; i++) aia_strbuf_putc(&sb, 'z');
    assert_int_equal(sb.cap, cap); /* reserved: no reallocation */
    assert_ptr_equal(sb.data, data);
    const char bin[] = {'a', '\0', 'b'};
    aia_strbuf_reset(&sb);
    aia_strbuf_append(&sb, bin, sizeof bin);
    assert_int_equal(sb.len, 3);
    assert_memory_equal(sb.data, bin, 3);
    assert_int_equal(sb.data[3], '\0');
    aia_strbuf_free(&sb);
}

static void test_printf_short_and_long(void **state)
{
    (void)state;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_printf(&sb, "%s=%d;", "x", 42);
    assert_string_equal(aia_strbuf_cstr(&sb), "x=42;");

    /* Longer than any internal scratch buffer. */
    size_t big = 10000;
    char *s = malloc(big + 1);
    assert_non_null(s);
    for (size_t i = 0; i < big; i++) s[i] = (char)('A' + i % 26);
    s[big] = '\0';
    aia_strbuf_printf(&sb, "[%s]%d", s, 7);
    assert_int_equal(sb.len, 5 + 1 + big + 1 + 1);
    assert_memory_equal(sb.data, "x=42;[", 6);
    assert_memory_equal(sb.data + 6, s, big);
    assert_string_equal(sb.data + 6 + big, "]7");
    free(s);

    /* Lengths around a 256-byte boundary, appended in sequence. */
    aia_strbuf_reset(&sb);
    size_t expect = 0;
    for (int w = 250; w <= 260; w++) {
        aia_strbuf_printf(&sb, "%*d", w, w);
        expect += (size_t)w;
        assert_int_equal(sb.len, expect);
        assert_int_equal(strlen(sb.data), expect);
    }
    aia_strbuf_free(&sb);
}

static void check_json(const char *in, size_t n, const char *want)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_json_string(&sb, in, n);
    assert_string_equal(aia_strbuf_cstr(&sb), want);
    assert_int_equal(sb.len, strlen(want));
    aia_strbuf_free(&sb);
}

static void test_json_string_escaping(void **state)
{
    (void)state;
    check_json("", 0, "\"\"");
    check_json("plain", 5, "\"plain\"");
    check_json("say \"hi\"", 8, "\"say \\\"hi\\\"\"");
    check_json("back\\slash", 10, "\"back\\\\slash\"");
    check_json("a\nb\rc\td\be\ff", 11, "\"a\\nb\\rc\\td\\be\\ff\"");
    check_json("\x01\x1f", 2, "\"\\u0001\\u001f\"");
    /* Embedded NUL: length-driven, not NUL-terminated. */
    check_json("a\0b", 3, "\"a\\u0000b\"");
    /* DEL and non-ASCII UTF-8 pass through unchanged (RFC 8259). */
    check_json("\x7f", 1, "\"\x7f\"");
    check_json("caf\xc3\xa9 \xe2\x82\xac", 9, "\"caf\xc3\xa9 \xe2\x82\xac\"");
    /* Every control character is escaped, nothing raw below 0x20 remains. */
    char ctl[32];
    for (int i = 0; i < 32; i++) ctl[i] = (char)i;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_json_string(&sb, ctl, sizeof ctl);
    for (size_t i = 0; i < sb.len; i++)
        if ((unsigned char)sb.data[i] < 0x20) fail_msg("raw control byte %d at %zu", sb.data[i], i);
    assert_non_null(strstr(sb.data, "\\u000b"));
    assert_non_null(strstr(sb.data, "\\u001e"));
    aia_strbuf_free(&sb);
    /* Appends after existing content. */
    aia_strbuf_puts(&sb, "{\"k\":");
    aia_strbuf_json_string(&sb, "v\"", 2);
    aia_strbuf_putc(&sb, '}');
    assert_string_equal(aia_strbuf_cstr(&sb), "{\"k\":\"v\\\"\"}");
    aia_strbuf_free(&sb);
}

static void test_release(void **state)
{
    (void)state;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_puts(&sb, "hello");
    size_t len = 0;
    char *out = aia_strbuf_release(&sb, &len);
    assert_string_equal(out, "hello");
    assert_int_equal(len, 5);
    assert_null(sb.data); /* reset to empty */
    assert_int_equal(sb.len, 0);
    assert_int_equal(sb.cap, 0);
    free(out);

    /* Releasing an empty buffer gives an owned "" */
    out = aia_strbuf_release(&sb, &len);
    assert_non_null(out);
    assert_string_equal(out, "");
    assert_int_equal(len, 0);
    free(out);
    out = aia_strbuf_release(&sb, NULL);
    assert_non_null(out);
    free(out);

    /* The buffer is usable after a release. */
    aia_strbuf_puts(&sb, "again");
    assert_string_equal(aia_strbuf_cstr(&sb), "again");
    aia_strbuf_free(&sb);
}

static void test_reset_keeps_memory(void **state)
{
    (void)state;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_puts(&sb, "some text that is here");
    char *data = sb.data;
    size_t cap = sb.cap;
    aia_strbuf_reset(&sb);
    assert_int_equal(sb.len, 0);
    assert_string_equal(aia_strbuf_cstr(&sb), "");
    assert_ptr_equal(sb.data, data);
    assert_int_equal(sb.cap, cap);
    aia_strbuf_puts(&sb, "x");
    assert_string_equal(aia_strbuf_cstr(&sb), "x");
    aia_strbuf_free(&sb);
}

static void test_oom_is_sticky(void **state)
{
    (void)state;
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_puts(&sb, "kept");
    assert_int_equal(aia_strbuf_reserve(&sb, SIZE_MAX - 8), -1);
    assert_int_not_equal(sb.oom, 0);
    aia_strbuf_puts(&sb, "dropped");
    aia_strbuf_printf(&sb, "%d", 5);
    assert_string_equal(aia_strbuf_cstr(&sb), "kept"); /* still a valid string */
    assert_int_equal(aia_strbuf_reserve(&sb, 1), -1);
    aia_strbuf_reset(&sb); /* reset clears the flag */
    assert_int_equal(sb.oom, 0);
    aia_strbuf_puts(&sb, "ok");
    assert_string_equal(aia_strbuf_cstr(&sb), "ok");
    aia_strbuf_free(&sb);
}

static void test_borrowed_storage(void **state)
{
    (void)state;
    char storage[16];
    memset(storage, 'X', sizeof storage);
    aia_strbuf sb;
    aia_strbuf_init_with(&sb, storage, sizeof storage);
    assert_ptr_equal(sb.data, storage);
    assert_string_equal(aia_strbuf_cstr(&sb), "");
    aia_strbuf_puts(&sb, "short");
    assert_ptr_equal(sb.data, storage); /* fits: no allocation */
    assert_string_equal(storage, "short");
    aia_strbuf_reset(&sb);
    assert_ptr_equal(sb.data, storage);
    aia_strbuf_puts(&sb, "0123456789abcde"); /* 15 + NUL: exactly full */
    assert_ptr_equal(sb.data, storage);
    /* Outgrowing the storage moves to the heap with the contents. */
    aia_strbuf_printf(&sb, "%s", "-and-a-much-longer-tail-that-does-not-fit");
    assert_ptr_not_equal(sb.data, storage);
    assert_string_equal(aia_strbuf_cstr(&sb), "0123456789abcde-and-a-much-longer-tail-that-does-not-fit");
    assert_memory_equal(storage, "0123456789abcde", 16); /* storage untouched */
    aia_strbuf_free(&sb); /* frees the heap copy only (ASan checks) */

    /* free never frees borrowed storage; release returns a heap copy. */
    aia_strbuf_init_with(&sb, storage, sizeof storage);
    aia_strbuf_puts(&sb, "abc");
    size_t len = 0;
    char *out = aia_strbuf_release(&sb, &len);
    assert_ptr_not_equal(out, storage);
    assert_string_equal(out, "abc");
    assert_int_equal(len, 3);
    free(out); /* must be a heap pointer */
    assert_null(sb.data);
    aia_strbuf_init_with(&sb, storage, sizeof storage);
    aia_strbuf_json_string(&sb, "q\"", 2);
    assert_string_equal(storage, "\"q\\\"\"");
    aia_strbuf_free(&sb);
    assert_null(sb.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_growth_keeps_contents),
        cmocka_unit_test(test_append_binary_and_reserve),
        cmocka_unit_test(test_printf_short_and_long),
        cmocka_unit_test(test_json_string_escaping),
        cmocka_unit_test(test_release),
        cmocka_unit_test(test_reset_keeps_memory),
        cmocka_unit_test(test_oom_is_sticky),
        cmocka_unit_test(test_borrowed_storage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
