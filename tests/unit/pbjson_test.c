/* tests/unit/pbjson_test.c — lib/pbjson: the JSON parser, the proto3 JSON
 * encoder and decoder, their error messages, allocator discipline and
 * robustness against hostile input.
 *
 * Expected JSON texts were cross-checked against protoc's Python printer
 * and parser (google.protobuf.json_format) where the two agree on the form;
 * our encoder is compact and writes floats the way ES6 and protoc's Go
 * printer do ("1e+21", "100"), where Python would write "1e+21" / "100.0".
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "lib/base/arena.h"
#include "lib/pbjson/json.h"
#include "lib/pbjson/pbjson.h"
#include "tests/unit/testdata/jsontest.pb-c.h"
#include "tests/unit/testdata/jsontest_proto2.pb-c.h"

/* ---- helpers -------------------------------------------------------- */

/* A counting allocator: every decode must free exactly what it allocated,
 * and can be told to fail after `fail_after` allocations. */
typedef struct counting {
    long allocs, frees;
    long fail_after; /* < 0: never fail */
} counting;

static void *count_alloc(void *data, size_t n)
{
    counting *c = data;
    if (c->fail_after >= 0 && c->allocs >= c->fail_after) return NULL;
    c->allocs++;
    return malloc(n);
}

static void count_free(void *data, void *p)
{
    counting *c = data;
    if (p) c->frees++;
    free(p);
}

static char *encode_with(const ProtobufCMessage *m, const aia_pbjson_encode_options *o)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_pbjson_encode(m, o, &sb, &err);
    if (st != AIA_OK) fail_msg("encode failed: %s: %s", aia_status_name(st), err.message);
    return aia_strbuf_release(&sb, NULL);
}

static void expect_encode(const ProtobufCMessage *m, const aia_pbjson_encode_options *o, const char *want)
{
    char *got = encode_with(m, o);
    if (strcmp(got, want) != 0) fail_msg("encode mismatch\n want: %s\n  got: %s", want, got);
    free(got);
}

static void expect_encode_error(const ProtobufCMessage *m, aia_status code, const char *want)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_strbuf_puts(&sb, "prefix");
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_pbjson_encode(m, NULL, &sb, &err);
    if (st != code || strcmp(err.message, want) != 0)
        fail_msg("encode error mismatch\n want: %s %s\n  got: %s %s", aia_status_name(code), want,
                 aia_status_name(st), err.message);
    /* The buffer is cut back to what it held on entry. */
    assert_string_equal(aia_strbuf_cstr(&sb), "prefix");
    aia_strbuf_free(&sb);
}

/* Decodes with a counting allocator and checks the books balance once the
 * message is freed. Returns the message; the caller frees it with
 * free_decoded(). */
static counting g_count;
static ProtobufCAllocator g_alloc = {count_alloc, count_free, &g_count};

static ProtobufCMessage *decode_opts(const ProtobufCMessageDescriptor *d, const char *json,
                                     const aia_pbjson_decode_options *o)
{
    memset(&g_count, 0, sizeof g_count);
    g_count.fail_after = -1;
    ProtobufCMessage *m = NULL;
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_pbjson_decode(d, json, strlen(json), o, &g_alloc, &m, &err);
    if (st != AIA_OK) fail_msg("decode of %s failed: %s: %s", json, aia_status_name(st), err.message);
    assert_non_null(m);
    return m;
}

static ProtobufCMessage *decode_ok(const ProtobufCMessageDescriptor *d, const char *json)
{
    return decode_opts(d, json, NULL);
}

static void free_decoded(ProtobufCMessage *m)
{
    protobuf_c_message_free_unpacked(m, &g_alloc);
    assert_int_equal(g_count.allocs, g_count.frees);
}

static void expect_decode_error_opts(const ProtobufCMessageDescriptor *d, const char *json,
                                     const aia_pbjson_decode_options *o, aia_status code, const char *want)
{
    counting c = {0, 0, -1};
    ProtobufCAllocator a = {count_alloc, count_free, &c};
    ProtobufCMessage *m = (ProtobufCMessage *)1;
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_pbjson_decode(d, json, strlen(json), o, &a, &m, &err);
    if (st != code || strcmp(err.message, want) != 0)
        fail_msg("decode error mismatch for %s\n want: %s %s\n  got: %s %s", json, aia_status_name(code), want,
                 aia_status_name(st), err.message);
    assert_null(m);
    assert_int_equal(c.allocs, c.frees); /* the partial message was freed */
}

static void expect_decode_error(const ProtobufCMessageDescriptor *d, const char *json, const char *want)
{
    expect_decode_error_opts(d, json, NULL, AIA_INVALID_ARGUMENT, want);
}

/* Decodes `in`, encodes the result, compares with `want`; then packs it to
 * the wire, unpacks with protobuf-c and checks the JSON is unchanged (the
 * decoded message is a well-formed protobuf-c message). */
static void roundtrip(const ProtobufCMessageDescriptor *d, const char *in, const char *want)
{
    ProtobufCMessage *m = decode_ok(d, in);
    expect_encode(m, NULL, want);
    size_t n = protobuf_c_message_get_packed_size(m);
    uint8_t *buf = malloc(n ? n : 1);
    protobuf_c_message_pack(m, buf);
    ProtobufCMessage *again = protobuf_c_message_unpack(d, NULL, n, buf);
    assert_non_null(again);
    expect_encode(again, NULL, want);
    protobuf_c_message_free_unpacked(again, NULL);
    free(buf);
    free_decoded(m);
}

/* ---- the JSON parser ------------------------------------------------ */

static void expect_json_error(const char *text, const char *want)
{
    aia_arena arena;
    aia_arena_init(&arena, 0);
    aia_json_value *v;
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_json_parse(text, strlen(text), 0, &arena, &v, &err);
    if (st != AIA_INVALID_ARGUMENT || strcmp(err.message, want) != 0)
        fail_msg("json error mismatch for %s\n want: %s\n  got: %s %s", text, want, aia_status_name(st), err.message);
    aia_arena_destroy(&arena);
}

static void test_json_parse_tree(void **state)
{
    (void)state;
    const char *text = " {\"a\": [1, -2.5e3, \"x\\u00e9\\ud83d\\ude00\"], \"b\": {\"c\": null, \"d\": true},"
                       " \"e\": false, \"\\u0000k\": \"\"} ";
    aia_arena arena;
    aia_arena_init(&arena, 0);
    aia_json_value *v;
    aia_error err;
    assert_int_equal(aia_json_parse(text, strlen(text), 0, &arena, &v, &err), AIA_OK);
    assert_int_equal(v->type, AIA_JSON_OBJECT);
    assert_int_equal(v->len, 4);
    assert_int_equal(v->offset, 1);
    const aia_json_value *a = aia_json_object_get(v, "a");
    assert_non_null(a);
    assert_int_equal(a->type, AIA_JSON_ARRAY);
    assert_int_equal(a->len, 3);
    assert_string_equal(a->u.items[0].u.str, "1");
    assert_string_equal(a->u.items[1].u.str, "-2.5e3");
    assert_int_equal(a->u.items[2].type, AIA_JSON_STRING);
    assert_string_equal(a->u.items[2].u.str, "x\xc3\xa9\xf0\x9f\x98\x80");
    assert_int_equal(a->u.items[2].len, 7);
    const aia_json_value *b = aia_json_object_get(v, "b");
    assert_int_equal(b->type, AIA_JSON_OBJECT);
    assert_int_equal(aia_json_object_get(b, "c")->type, AIA_JSON_NULL);
    assert_int_equal(aia_json_object_get(b, "d")->type, AIA_JSON_TRUE);
    assert_int_equal(aia_json_object_get(v, "e")->type, AIA_JSON_FALSE);
    assert_int_equal(v->u.members[3].key_len, 2); /* "\u0000k" keeps its NUL */
    assert_int_equal(v->u.members[3].key[0], '\0');
    assert_null(aia_json_object_get(v, "zz"));
    aia_arena_destroy(&arena);
}

static void test_json_parse_errors(void **state)
{
    (void)state;
    expect_json_error("", "line 1, column 1: unexpected end of input, expected a value");
    expect_json_error("   ", "line 1, column 4: unexpected end of input, expected a value");
    expect_json_error("{", "line 1, column 2: unexpected end of input, expected a string key");
    expect_json_error("{\"a\":1,}", "line 1, column 8: expected a string key, found '}'");
    expect_json_error("[1,]", "line 1, column 4: field \"[1]\": unexpected ']', expected a value");
    expect_json_error("[1 2]", "line 1, column 4: expected ',' or ']' after array element, found '2'");
    expect_json_error("{\"a\" 1}", "line 1, column 6: field \"a\": expected ':' after object key, found '1'");
    expect_json_error("{\"a\":1 \"b\":2}", "line 1, column 8: expected ',' or '}' after object member, found '\"'");
    expect_json_error("{'a':1}", "line 1, column 2: expected a string key, found '''");
    expect_json_error("{\"a\":1}x", "line 1, column 8: unexpected 'x' after the JSON value (trailing characters)");
    expect_json_error("{} {}", "line 1, column 4: unexpected '{' after the JSON value (trailing characters)");
    expect_json_error("01", "line 1, column 1: invalid number: leading zeros are not allowed");
    expect_json_error("-", "line 1, column 1: invalid number: expected a digit after '-'");
    expect_json_error("1.", "line 1, column 1: invalid number: expected a digit after '.'");
    expect_json_error("1e+", "line 1, column 1: invalid number: expected a digit in the exponent");
    expect_json_error("+1", "line 1, column 1: unexpected '+', expected a value");
    expect_json_error("NaN", "line 1, column 1: unexpected 'N', expected a value");
    expect_json_error("tru", "line 1, column 1: invalid literal (expected true)");
    expect_json_error("nul", "line 1, column 1: invalid literal (expected null)");
    expect_json_error("\"abc", "line 1, column 1: unterminated string");
    expect_json_error("\"a\\x\"", "line 1, column 3: invalid escape sequence '\\' followed by 'x'");
    expect_json_error("\"\\u12\"", "line 1, column 2: invalid \\u escape (expected 4 hex digits)");
    expect_json_error("\"\\ud800\"", "line 1, column 2: invalid \\u escape: unpaired UTF-16 high surrogate");
    expect_json_error("\"\\udc00\"", "line 1, column 2: invalid \\u escape: unpaired UTF-16 low surrogate");
    expect_json_error("\"a\tb\"", "line 1, column 3: control character U+0009 in string must be escaped");
    expect_json_error("\"\xff\"", "line 1, column 2: invalid UTF-8 in string");
    expect_json_error("\"\xc0\xaf\"", "line 1, column 2: invalid UTF-8 in string");         /* overlong '/' */
    expect_json_error("\"\xed\xa0\x80\"", "line 1, column 2: invalid UTF-8 in string");     /* surrogate */
    expect_json_error("\"\xf4\x90\x80\x80\"", "line 1, column 2: invalid UTF-8 in string"); /* > U+10FFFF */
    expect_json_error("\"\xe2\x82\"", "line 1, column 2: invalid UTF-8 in string");         /* truncated */
    expect_json_error("\xef\xbb\xbf{}", "line 1, column 1: unexpected byte 0xEF, expected a value");
    expect_json_error("{\"a\":1,\"a\":2}", "line 1, column 8: field \"a\": duplicate key");
    expect_json_error("{\"a\":\n  {\"b\": [1,\n   {\"c\": x}]}}",
                      "line 3, column 10: field \"a.b[1].c\": unexpected 'x', expected a value");
    expect_json_error("{\"odd key\": {\"\": [tru]}}", "line 1, column 19: field \"[\"odd key\"][\"\"][0]\": invalid literal (expected true)");
}

static void test_json_depth_and_duplicates_in_large_objects(void **state)
{
    (void)state;
    aia_strbuf sb = AIA_STRBUF_INIT;
    for (int i = 0; i < 64; i++) aia_strbuf_putc(&sb, '[');
    for (int i = 0; i < 64; i++) aia_strbuf_putc(&sb, ']');
    aia_arena arena;
    aia_arena_init(&arena, 0);
    aia_json_value *v;
    aia_error err;
    assert_int_equal(aia_json_parse(sb.data, sb.len, 0, &arena, &v, &err), AIA_OK);
    aia_strbuf_reset(&sb);
    for (int i = 0; i < 65; i++) aia_strbuf_putc(&sb, '[');
    for (int i = 0; i < 65; i++) aia_strbuf_putc(&sb, ']');
    assert_int_equal(aia_json_parse(sb.data, sb.len, 0, &arena, &v, &err), AIA_INVALID_ARGUMENT);
    assert_true(strstr(err.message, "nesting deeper than 64 levels") != NULL);
    /* A deep document far beyond the limit fails the same way, without
     * recursing into it. */
    aia_strbuf_reset(&sb);
    for (int i = 0; i < 100000; i++) aia_strbuf_putc(&sb, '[');
    assert_int_equal(aia_json_parse(sb.data, sb.len, 0, &arena, &v, &err), AIA_INVALID_ARGUMENT);
    assert_true(strstr(err.message, "line 1, column 65: ") == err.message);
    assert_true(strstr(err.message, "nesting deeper than 64 levels") != NULL);

    /* Objects past the linear-scan size use the hash set. */
    aia_strbuf_reset(&sb);
    aia_strbuf_putc(&sb, '{');
    for (int i = 0; i < 1000; i++) aia_strbuf_printf(&sb, "%s\"k%d\":%d", i ? "," : "", i, i);
    aia_strbuf_puts(&sb, "}");
    assert_int_equal(aia_json_parse(sb.data, sb.len, 0, &arena, &v, &err), AIA_OK);
    assert_int_equal(v->len, 1000);
    sb.len--;
    aia_strbuf_puts(&sb, ",\"k777\":0}");
    assert_int_equal(aia_json_parse(sb.data, sb.len, 0, &arena, &v, &err), AIA_INVALID_ARGUMENT);
    assert_true(strstr(err.message, "field \"k777\": duplicate key") != NULL);
    aia_arena_destroy(&arena);
    aia_strbuf_free(&sb);
}

/* ---- names and maps ------------------------------------------------- */

static void test_json_names(void **state)
{
    (void)state;
    char buf[64];
    assert_int_equal(aia_pbjson_json_name("model_id", buf, sizeof buf), 7);
    assert_string_equal(buf, "modelId");
    aia_pbjson_json_name("name_with_2_digits", buf, sizeof buf);
    assert_string_equal(buf, "nameWith2Digits");
    aia_pbjson_json_name("trailing_", buf, sizeof buf);
    assert_string_equal(buf, "trailing");
    aia_pbjson_json_name("double__under", buf, sizeof buf);
    assert_string_equal(buf, "doubleUnder");
    aia_pbjson_json_name("alreadyCamel", buf, sizeof buf);
    assert_string_equal(buf, "alreadyCamel");
    assert_int_equal(aia_pbjson_json_name("snake_case_name", buf, 6), 13);
    assert_string_equal(buf, "snake");

    const ProtobufCMessageDescriptor *d = &aia__testdata__names__descriptor;
    assert_string_equal(aia_pbjson_find_field(d, "snakeCaseName", 13)->name, "snake_case_name");
    assert_string_equal(aia_pbjson_find_field(d, "snake_case_name", 15)->name, "snake_case_name");
    assert_null(aia_pbjson_find_field(d, "snakecasename", 13));
    assert_null(aia_pbjson_find_field(d, "SnakeCaseName", 13));

    roundtrip(d, "{\"snakeCaseName\":1,\"name_with_2_digits\":2,\"alreadyCamel\":3,\"x\":4,\"trailing_\":5,\"doubleUnder\":6}",
              "{\"snakeCaseName\":1,\"nameWith2Digits\":2,\"alreadyCamel\":3,\"x\":4,\"trailing\":5,\"doubleUnder\":6}");
}

static void test_map_detection(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *d = &aia__testdata__maps__descriptor;
    for (unsigned i = 0; i < d->n_fields; i++) assert_true(aia_pbjson_is_map_field(d, &d->fields[i]));
    /* A repeated message shaped like an entry but not nested: not a map. */
    const ProtobufCMessageDescriptor *n = &aia__testdata__not_amap__descriptor;
    assert_false(aia_pbjson_is_map_field(n, &n->fields[0]));
    const ProtobufCMessageDescriptor *r = &aia__testdata__repeateds__descriptor;
    for (unsigned i = 0; i < r->n_fields; i++) assert_false(aia_pbjson_is_map_field(r, &r->fields[i]));
    const ProtobufCMessageDescriptor *s = &google__protobuf__struct__descriptor;
    assert_true(aia_pbjson_is_map_field(s, &s->fields[0]));
    roundtrip(n, "{\"entries\":[{\"key\":\"a\",\"value\":\"b\"}]}", "{\"entries\":[{\"key\":\"a\",\"value\":\"b\"}]}");
}

/* ---- encoding ------------------------------------------------------- */

static void test_encode_scalars(void **state)
{
    (void)state;
    Aia__Testdata__Scalars s = AIA__TESTDATA__SCALARS__INIT;
    expect_encode(&s.base, NULL, "{}");
    aia_pbjson_encode_options defaults = {.emit_defaults = 1};
    expect_encode(&s.base, &defaults,
                  "{\"fInt32\":0,\"fInt64\":\"0\",\"fUint32\":0,\"fUint64\":\"0\",\"fSint32\":0,\"fSint64\":\"0\","
                  "\"fFixed32\":0,\"fFixed64\":\"0\",\"fSfixed32\":0,\"fSfixed64\":\"0\",\"fFloat\":0,\"fDouble\":0,"
                  "\"fBool\":false,\"fString\":\"\",\"fBytes\":\"\",\"fEnum\":\"COLOR_UNSPECIFIED\"}");

    Aia__Testdata__Nested nested = AIA__TESTDATA__NESTED__INIT;
    nested.id = 7;
    s.f_int32 = INT32_MIN;
    s.f_int64 = INT64_MIN;
    s.f_uint32 = UINT32_MAX;
    s.f_uint64 = UINT64_MAX;
    s.f_sint32 = -5;
    s.f_sint64 = INT64_MAX;
    s.f_fixed32 = 42;
    s.f_fixed64 = 1ull << 63;
    s.f_sfixed32 = -42;
    s.f_sfixed64 = -1;
    s.f_float = 0.1f;
    s.f_double = 0.1;
    s.f_bool = 1;
    s.f_string = "h\xc3\xa9llo \"q\"\n\x01";
    uint8_t bytes[] = {0xfb, 0xff, 0x00, 'a'};
    s.f_bytes.data = bytes;
    s.f_bytes.len = sizeof bytes;
    s.f_enum = AIA__TESTDATA__COLOR__COLOR_GREEN;
    s.f_nested = &nested;
    expect_encode(&s.base, NULL,
                  "{\"fInt32\":-2147483648,\"fInt64\":\"-9223372036854775808\",\"fUint32\":4294967295,"
                  "\"fUint64\":\"18446744073709551615\",\"fSint32\":-5,\"fSint64\":\"9223372036854775807\","
                  "\"fFixed32\":42,\"fFixed64\":\"9223372036854775808\",\"fSfixed32\":-42,\"fSfixed64\":\"-1\","
                  "\"fFloat\":0.1,\"fDouble\":0.1,\"fBool\":true,\"fString\":\"h\xc3\xa9llo \\\"q\\\"\\n\\u0001\","
                  "\"fBytes\":\"+/8AYQ==\",\"fEnum\":\"COLOR_GREEN\",\"fNested\":{\"id\":7}}");

    aia_pbjson_encode_options proto_names = {.use_proto_names = 1};
    Aia__Testdata__Scalars t = AIA__TESTDATA__SCALARS__INIT;
    t.f_int32 = 1;
    t.f_nested = &nested;
    expect_encode(&t.base, &proto_names, "{\"f_int32\":1,\"f_nested\":{\"id\":7}}");

    aia_pbjson_encode_options pretty = {.pretty = 1};
    Aia__Testdata__Nested child = AIA__TESTDATA__NESTED__INIT;
    Aia__Testdata__Nested *kids[] = {&child, &child};
    nested.name = "n";
    nested.n_children = 2;
    nested.children = kids;
    expect_encode(&t.base, &pretty,
                  "{\n  \"fInt32\": 1,\n  \"fNested\": {\n    \"id\": 7,\n    \"name\": \"n\",\n"
                  "    \"children\": [\n      {},\n      {}\n    ]\n  }\n}");
    Aia__Testdata__Repeateds empty = AIA__TESTDATA__REPEATEDS__INIT;
    aia_pbjson_encode_options pretty_defaults = {.pretty = 1, .emit_defaults = 1};
    char *got = encode_with(&empty.base, &pretty_defaults);
    assert_true(strncmp(got, "{\n  \"rInt32\": [],\n  \"rInt64\": [],\n", 34) == 0);
    free(got);
}

static void test_encode_floats(void **state)
{
    (void)state;
    static const struct {
        double v;
        const char *want;
    } doubles[] = {
        {1.5, "1.5"},
        {-2, "-2"},
        {100, "100"},
        {123456789012.0, "123456789012"},
        {1e20, "100000000000000000000"},
        {1e21, "1e+21"},
        {1.25e-6, "0.00000125"},
        {1e-7, "1e-7"},
        {-1.5e-300, "-1.5e-300"},
        {DBL_MAX, "1.7976931348623157e+308"},
        {5e-324, "5e-324"},
        {0.30000000000000004, "0.30000000000000004"},
        {2.0 / 3.0, "0.6666666666666666"},
    };
    for (size_t i = 0; i < sizeof doubles / sizeof doubles[0]; i++) {
        Aia__Testdata__Scalars s = AIA__TESTDATA__SCALARS__INIT;
        s.f_double = doubles[i].v;
        char want[128];
        snprintf(want, sizeof want, "{\"fDouble\":%s}", doubles[i].want);
        expect_encode(&s.base, NULL, want);
        /* and it reads back to the same double */
        ProtobufCMessage *m = decode_ok(&aia__testdata__scalars__descriptor, want);
        assert_true(((Aia__Testdata__Scalars *)m)->f_double == doubles[i].v);
        free_decoded(m);
    }
    Aia__Testdata__Scalars s = AIA__TESTDATA__SCALARS__INIT;
    s.f_float = 3.4028235e38f;
    s.f_double = NAN;
    expect_encode(&s.base, NULL, "{\"fFloat\":3.4028235e+38,\"fDouble\":\"NaN\"}");
    s.f_float = INFINITY;
    s.f_double = -INFINITY;
    expect_encode(&s.base, NULL, "{\"fFloat\":\"Infinity\",\"fDouble\":\"-Infinity\"}");
    s.f_float = 1.1f;
    s.f_double = 1.1f; /* a float widened: all its digits show */
    expect_encode(&s.base, NULL, "{\"fFloat\":1.1,\"fDouble\":1.100000023841858}");
}

static void test_encode_enums(void **state)
{
    (void)state;
    Aia__Testdata__Scalars s = AIA__TESTDATA__SCALARS__INIT;
    s.f_enum = AIA__TESTDATA__COLOR__COLOR_NEGATIVE;
    expect_encode(&s.base, NULL, "{\"fEnum\":\"COLOR_NEGATIVE\"}");
    s.f_enum = (Aia__Testdata__Color)7; /* unknown to the descriptor */
    expect_encode(&s.base, NULL, "{\"fEnum\":7}");
    Aia__Testdata__Repeateds r = AIA__TESTDATA__REPEATEDS__INIT;
    Aia__Testdata__Color colors[] = {AIA__TESTDATA__COLOR__COLOR_RED, (Aia__Testdata__Color)-9,
                                     AIA__TESTDATA__COLOR__COLOR_UNSPECIFIED};
    r.n_r_enum = 3;
    r.r_enum = colors;
    expect_encode(&r.base, NULL, "{\"rEnum\":[\"COLOR_RED\",-9,\"COLOR_UNSPECIFIED\"]}");
}

static void test_encode_maps_last_key_wins(void **state)
{
    (void)state;
    /* protobuf-c may hold a key twice; the wire's last-one-wins applies. */
    Aia__Testdata__Maps__StrStrEntry e1 = AIA__TESTDATA__MAPS__STR_STR_ENTRY__INIT;
    Aia__Testdata__Maps__StrStrEntry e2 = AIA__TESTDATA__MAPS__STR_STR_ENTRY__INIT;
    Aia__Testdata__Maps__StrStrEntry e3 = AIA__TESTDATA__MAPS__STR_STR_ENTRY__INIT;
    e1.key = "a";
    e1.value = "first";
    e2.key = "b";
    e2.value = "b";
    e3.key = "a";
    e3.value = "last";
    Aia__Testdata__Maps__StrStrEntry *entries[] = {&e1, &e2, &e3, NULL};
    Aia__Testdata__Maps m = AIA__TESTDATA__MAPS__INIT;
    m.n_str_str = 4; /* a NULL entry is the default entry: key "" */
    m.str_str = entries;
    expect_encode(&m.base, NULL, "{\"strStr\":{\"b\":\"b\",\"a\":\"last\",\"\":\"\"}}");

    /* Large maps take the sorting path. */
    enum { N = 100 };
    Aia__Testdata__Maps__Int64StrEntry ents[N];
    Aia__Testdata__Maps__Int64StrEntry *ptrs[N];
    char vals[N][16];
    for (int i = 0; i < N; i++) {
        aia__testdata__maps__int64_str_entry__init(&ents[i]);
        ents[i].key = i % 10; /* keys 0..9, each ten times */
        snprintf(vals[i], sizeof vals[i], "v%d", i);
        ents[i].value = vals[i];
        ptrs[i] = &ents[i];
    }
    Aia__Testdata__Maps big = AIA__TESTDATA__MAPS__INIT;
    big.n_int64_str = N;
    big.int64_str = ptrs;
    expect_encode(&big.base, NULL,
                  "{\"int64Str\":{\"0\":\"v90\",\"1\":\"v91\",\"2\":\"v92\",\"3\":\"v93\",\"4\":\"v94\","
                  "\"5\":\"v95\",\"6\":\"v96\",\"7\":\"v97\",\"8\":\"v98\",\"9\":\"v99\"}}");
}

static void test_encode_presence(void **state)
{
    (void)state;
    /* Explicit presence: written when set, whatever the value. */
    Aia__Testdata__Optionals o = AIA__TESTDATA__OPTIONALS__INIT;
    expect_encode(&o.base, NULL, "{\"req\":0}");
    aia_pbjson_encode_options defaults = {.emit_defaults = 1};
    expect_encode(&o.base, &defaults, "{\"rInt32\":[],\"req\":0}");
    o.has_o_int32 = 1;
    o.o_string = "";
    o.has_o_enum = 1;
    o.has_o_double = 1;
    o.has_o_bool = 1;
    o.has_o_bytes = 1;
    o.has_o_uint64 = 1;
    o.req = 3;
    expect_encode(&o.base, NULL,
                  "{\"oInt32\":0,\"oString\":\"\",\"oEnum\":\"COLOR_UNSPECIFIED\",\"oDouble\":0,\"oBool\":false,"
                  "\"oBytes\":\"\",\"oUint64\":\"0\",\"req\":3}");
    o.has_o_with_default = 1;
    o.o_with_default = 42;
    o.o_string_default = "x";
    o.o_int32 = 5;
    expect_encode(&o.base, NULL,
                  "{\"oInt32\":5,\"oString\":\"\",\"oEnum\":\"COLOR_UNSPECIFIED\",\"oDouble\":0,\"oBool\":false,"
                  "\"oBytes\":\"\",\"oUint64\":\"0\",\"oWithDefault\":42,\"oStringDefault\":\"x\",\"req\":3}");

    /* Oneofs: the selected member, even at its default value. */
    Aia__Testdata__Oneofs one = AIA__TESTDATA__ONEOFS__INIT;
    expect_encode(&one.base, NULL, "{}");
    one.choice_case = AIA__TESTDATA__ONEOFS__CHOICE_O_INT;
    one.o_int = 0;
    expect_encode(&one.base, NULL, "{\"oInt\":0}");
    one.choice_case = AIA__TESTDATA__ONEOFS__CHOICE_O_STRING;
    one.o_string = "";
    expect_encode(&one.base, NULL, "{\"oString\":\"\"}");
    /* ...but, as protobuf-c's packer, not the shared empty-string default. */
    one.o_string = (char *)protobuf_c_empty_string;
    expect_encode(&one.base, NULL, "{}");
    one.choice_case = AIA__TESTDATA__ONEOFS__CHOICE_O_NESTED;
    one.o_nested = NULL;
    expect_encode(&one.base, NULL, "{}");
}

static void test_encode_wkt(void **state)
{
    (void)state;
    Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    static const struct {
        int64_t s;
        int32_t n;
        const char *want;
    } stamps[] = {
        {0, 0, "1970-01-01T00:00:00Z"},
        {1706702400, 0, "2024-01-31T12:00:00Z"},
        {1706702400, 500000000, "2024-01-31T12:00:00.500Z"},
        {1706702400, 1000, "2024-01-31T12:00:00.000001Z"},
        {1706702400, 1, "2024-01-31T12:00:00.000000001Z"},
        {-1, 999999999, "1969-12-31T23:59:59.999999999Z"},
        {951782400, 0, "2000-02-29T00:00:00Z"},
        {-62135596800, 0, "0001-01-01T00:00:00Z"},
        {253402300799, 999999999, "9999-12-31T23:59:59.999999999Z"},
    };
    for (size_t i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
        ts.seconds = stamps[i].s;
        ts.nanos = stamps[i].n;
        char want[64];
        snprintf(want, sizeof want, "\"%s\"", stamps[i].want);
        expect_encode(&ts.base, NULL, want);
    }
    ts.seconds = 253402300800;
    ts.nanos = 0;
    expect_encode_error(&ts.base, AIA_INVALID_ARGUMENT,
                        "timestamp out of range (seconds 253402300800, nanos 0; JSON allows years 0001 to 9999)");
    ts.seconds = 0;
    ts.nanos = -1;
    expect_encode_error(&ts.base, AIA_INVALID_ARGUMENT,
                        "timestamp out of range (seconds 0, nanos -1; JSON allows years 0001 to 9999)");

    Aia__Testdata__Wkts w = AIA__TESTDATA__WKTS__INIT;
    Google__Protobuf__Duration dur = GOOGLE__PROTOBUF__DURATION__INIT;
    w.dur = &dur;
    dur.seconds = 1;
    dur.nanos = 500000000;
    expect_encode(&w.base, NULL, "{\"dur\":\"1.500s\"}");
    dur.seconds = 0;
    dur.nanos = -1000;
    expect_encode(&w.base, NULL, "{\"dur\":\"-0.000001s\"}");
    dur.seconds = -315576000000;
    dur.nanos = 0;
    expect_encode(&w.base, NULL, "{\"dur\":\"-315576000000s\"}");
    dur.seconds = 0;
    expect_encode(&w.base, NULL, "{\"dur\":\"0s\"}");
    dur.seconds = 1;
    dur.nanos = -1;
    expect_encode_error(&w.base, AIA_INVALID_ARGUMENT,
                        "field \"dur\": duration out of range (seconds 1, nanos -1; JSON allows +-315576000000 s "
                        "with nanos of the same sign)");

    /* Wrappers are bare values, even at zero; NullValue is null. */
    Aia__Testdata__Wkts w2 = AIA__TESTDATA__WKTS__INIT;
    Google__Protobuf__Int32Value i32 = GOOGLE__PROTOBUF__INT32_VALUE__INIT;
    Google__Protobuf__Int64Value i64 = GOOGLE__PROTOBUF__INT64_VALUE__INIT;
    Google__Protobuf__StringValue str = GOOGLE__PROTOBUF__STRING_VALUE__INIT;
    Google__Protobuf__BoolValue bl = GOOGLE__PROTOBUF__BOOL_VALUE__INIT;
    w2.w_int32 = &i32;
    w2.w_int64 = &i64;
    w2.w_string = &str;
    w2.w_bool = &bl;
    i64.value = 5;
    aia_pbjson_encode_options defaults = {.emit_defaults = 1};
    expect_encode(&w2.base, NULL, "{\"wInt64\":\"5\",\"wInt32\":0,\"wBool\":false,\"wString\":\"\"}");
    expect_encode(&w2.base, &defaults,
                  "{\"nullVal\":null,\"wInt64\":\"5\",\"wInt32\":0,\"wBool\":false,\"wString\":\"\","
                  "\"rTs\":[],\"rVal\":[],\"rStruct\":[],\"rWInt32\":[]}");

    /* Any is refused, naming the field. */
    Aia__Testdata__Wkts w3 = AIA__TESTDATA__WKTS__INIT;
    Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
    w3.any = &any;
    expect_encode_error(&w3.base, AIA_UNIMPLEMENTED, "field \"any\": google.protobuf.Any is not supported in JSON");
    expect_encode_error(&any.base, AIA_UNIMPLEMENTED, "google.protobuf.Any is not supported in JSON");

    /* Values JSON cannot carry. */
    Google__Protobuf__Value val = GOOGLE__PROTOBUF__VALUE__INIT;
    expect_encode(&val.base, NULL, "null"); /* no kind set */
    val.kind_case = GOOGLE__PROTOBUF__VALUE__KIND_NUMBER_VALUE;
    val.number_value = NAN;
    expect_encode_error(&val.base, AIA_INVALID_ARGUMENT,
                        "google.protobuf.Value cannot hold NaN or Infinity in JSON (it would read back as a string)");
    Google__Protobuf__FieldMask fm = GOOGLE__PROTOBUF__FIELD_MASK__INIT;
    char *paths[] = {"model_id", "a_1"};
    fm.n_paths = 2;
    fm.paths = paths;
    expect_encode_error(&fm.base, AIA_INVALID_ARGUMENT,
                        "field mask path \"a_1\" has no JSON form: '_' must be followed by a lower-case letter");
    paths[1] = "traffic_split.foo_bar";
    expect_encode(&fm.base, NULL, "\"modelId,trafficSplit.fooBar\"");
    paths[1] = "Upper";
    expect_encode_error(&fm.base, AIA_INVALID_ARGUMENT,
                        "field mask path \"Upper\" has no JSON form: it contains an upper-case letter");

    /* Strings must be UTF-8. */
    Aia__Testdata__Repeateds r = AIA__TESTDATA__REPEATEDS__INIT;
    char *strs[] = {"ok", "bad\xff"};
    r.n_r_string = 2;
    r.r_string = strs;
    expect_encode_error(&r.base, AIA_INVALID_ARGUMENT, "field \"rString[1]\": string is not valid UTF-8");
}

static void test_encode_depth_limit(void **state)
{
    (void)state;
    enum { N = 80 };
    Aia__Testdata__Recursive chain[N];
    for (int i = 0; i < N; i++) {
        aia__testdata__recursive__init(&chain[i]);
        chain[i].child = i + 1 < N ? &chain[i + 1] : NULL;
    }
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_error err;
    assert_int_equal(aia_pbjson_encode(&chain[0].base, NULL, &sb, &err), AIA_INVALID_ARGUMENT);
    assert_true(strstr(err.message, "nesting deeper than 64 levels") != NULL);
    assert_int_equal(sb.len, 0);
    aia_pbjson_encode_options deep = {.max_depth = 100};
    assert_int_equal(aia_pbjson_encode(&chain[0].base, &deep, &sb, &err), AIA_OK);
    aia_strbuf_free(&sb);
}

/* ---- round trips ---------------------------------------------------- */

/* Decode input, encode, compare; also through the wire. These pairs were
 * checked with json_format.Parse + MessageToJson. */
#define RT(desc, in, out) {&desc, in, out}
static const struct {
    const ProtobufCMessageDescriptor *desc;
    const char *in, *out;
} k_roundtrips[] = {
    RT(aia__testdata__scalars__descriptor, "{}", "{}"),
    RT(aia__testdata__scalars__descriptor,
       "{\"fInt32\":-1,\"fInt64\":\"-9223372036854775808\",\"fUint32\":4294967295,\"fUint64\":\"18446744073709551615\","
       "\"fSint32\":-2147483648,\"fSint64\":\"9223372036854775807\",\"fFixed32\":1,\"fFixed64\":\"2\","
       "\"fSfixed32\":-3,\"fSfixed64\":\"-4\",\"fFloat\":1.5,\"fDouble\":-2.25,\"fBool\":true,\"fString\":\"s\","
       "\"fBytes\":\"AAE=\",\"fEnum\":\"COLOR_RED\",\"fNested\":{\"id\":1,\"name\":\"n\",\"child\":{}}}",
       "{\"fInt32\":-1,\"fInt64\":\"-9223372036854775808\",\"fUint32\":4294967295,\"fUint64\":\"18446744073709551615\","
       "\"fSint32\":-2147483648,\"fSint64\":\"9223372036854775807\",\"fFixed32\":1,\"fFixed64\":\"2\","
       "\"fSfixed32\":-3,\"fSfixed64\":\"-4\",\"fFloat\":1.5,\"fDouble\":-2.25,\"fBool\":true,\"fString\":\"s\","
       "\"fBytes\":\"AAE=\",\"fEnum\":\"COLOR_RED\",\"fNested\":{\"id\":1,\"name\":\"n\",\"child\":{}}}"),
    /* original names, numbers as strings, strings as numbers, exponents */
    RT(aia__testdata__scalars__descriptor,
       "{\"f_int32\":\"12\",\"f_int64\":12,\"f_uint32\":\"1e3\",\"f_uint64\":1.0,\"f_sint64\":\"-5\","
       "\"f_float\":\"2.5\",\"f_double\":\"1e2\",\"f_enum\":2,\"f_fixed64\":\"18446744073709551615\"}",
       "{\"fInt32\":12,\"fInt64\":\"12\",\"fUint32\":1000,\"fUint64\":\"1\",\"fSint64\":\"-5\","
       "\"fFixed64\":\"18446744073709551615\",\"fFloat\":2.5,\"fDouble\":100,\"fEnum\":\"COLOR_GREEN\"}"),
    /* defaults and null are omitted */
    RT(aia__testdata__scalars__descriptor,
       "{\"fInt32\":0,\"fString\":\"\",\"fBool\":false,\"fEnum\":\"COLOR_UNSPECIFIED\",\"fNested\":null,"
       "\"fDouble\":null,\"fBytes\":null}",
       "{}"),
    RT(aia__testdata__scalars__descriptor, "{\"fFloat\":\"NaN\",\"fDouble\":\"-Infinity\"}",
       "{\"fFloat\":\"NaN\",\"fDouble\":\"-Infinity\"}"),
    RT(aia__testdata__scalars__descriptor, "{\"fEnum\":-3}", "{\"fEnum\":\"COLOR_NEGATIVE\"}"),
    RT(aia__testdata__scalars__descriptor, "{\"fEnum\":99}", "{\"fEnum\":99}"),
    RT(aia__testdata__scalars__descriptor, "{\"fString\":\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"}",
       "{\"fString\":\"\xc3\xa9\xf0\x9f\x98\x80\\\"\\\\/\\b\\f\\n\\r\\t\"}"),
    /* base64: url-safe alphabet and missing padding accepted */
    RT(aia__testdata__scalars__descriptor, "{\"fBytes\":\"-_8\"}", "{\"fBytes\":\"+/8=\"}"),
    RT(aia__testdata__scalars__descriptor, "{\"fBytes\":\"aGVsbG8\"}", "{\"fBytes\":\"aGVsbG8=\"}"),
    RT(aia__testdata__scalars__descriptor, "{\"fBytes\":\"aGk=\"}", "{\"fBytes\":\"aGk=\"}"),
    RT(aia__testdata__repeateds__descriptor,
       "{\"rInt32\":[1,-2],\"rInt64\":[\"3\",4],\"rUint32\":[5],\"rUint64\":[\"6\"],\"rSint32\":[-7],"
       "\"rSint64\":[\"-8\"],\"rFixed32\":[9],\"rFixed64\":[\"10\"],\"rSfixed32\":[-11],\"rSfixed64\":[\"-12\"],"
       "\"rFloat\":[0.5,\"Infinity\"],\"rDouble\":[1e-7,0],\"rBool\":[true,false],\"rString\":[\"a\",\"\"],"
       "\"rBytes\":[\"AA==\",\"\"],\"rEnum\":[\"COLOR_RED\",0,5],\"rNested\":[{\"id\":1},{}]}",
       "{\"rInt32\":[1,-2],\"rInt64\":[\"3\",\"4\"],\"rUint32\":[5],\"rUint64\":[\"6\"],\"rSint32\":[-7],"
       "\"rSint64\":[\"-8\"],\"rFixed32\":[9],\"rFixed64\":[\"10\"],\"rSfixed32\":[-11],\"rSfixed64\":[\"-12\"],"
       "\"rFloat\":[0.5,\"Infinity\"],\"rDouble\":[1e-7,0],\"rBool\":[true,false],\"rString\":[\"a\",\"\"],"
       "\"rBytes\":[\"AA==\",\"\"],\"rEnum\":[\"COLOR_RED\",\"COLOR_UNSPECIFIED\",5],\"rNested\":[{\"id\":1},{}]}"),
    RT(aia__testdata__repeateds__descriptor, "{\"rInt32\":[],\"rNested\":null}", "{}"),
    RT(aia__testdata__maps__descriptor,
       "{\"strStr\":{\"a\":\"x\",\"\":\"\"},\"strInt64\":{\"n\":\"-1\"},\"int32Msg\":{\"-5\":{\"id\":5},\"0\":{}},"
       "\"int64Str\":{\"9223372036854775807\":\"max\"},\"uint32Double\":{\"4294967295\":1.5},"
       "\"boolStr\":{\"true\":\"t\",\"false\":\"f\"},\"strEnum\":{\"c\":\"COLOR_RED\",\"d\":2},"
       "\"strBytes\":{\"b\":\"AQI=\"},\"sint64Bool\":{\"-3\":true},"
       "\"strValue\":{\"n\":null,\"o\":{\"x\":[1,\"s\",false,null]}},\"strTs\":{\"t\":\"1970-01-01T00:00:01Z\"}}",
       "{\"strStr\":{\"a\":\"x\",\"\":\"\"},\"strInt64\":{\"n\":\"-1\"},\"int32Msg\":{\"-5\":{\"id\":5},\"0\":{}},"
       "\"int64Str\":{\"9223372036854775807\":\"max\"},\"uint32Double\":{\"4294967295\":1.5},"
       "\"boolStr\":{\"true\":\"t\",\"false\":\"f\"},\"strEnum\":{\"c\":\"COLOR_RED\",\"d\":\"COLOR_GREEN\"},"
       "\"strBytes\":{\"b\":\"AQI=\"},\"sint64Bool\":{\"-3\":true},"
       "\"strValue\":{\"n\":null,\"o\":{\"x\":[1,\"s\",false,null]}},\"strTs\":{\"t\":\"1970-01-01T00:00:01Z\"}}"),
    RT(aia__testdata__maps__descriptor, "{\"str_str\":{}}", "{}"),
    RT(aia__testdata__oneofs__descriptor, "{\"name\":\"n\",\"oInt\":0}", "{\"name\":\"n\",\"oInt\":0}"),
    RT(aia__testdata__oneofs__descriptor, "{\"oString\":\"\"}", "{\"oString\":\"\"}"),
    RT(aia__testdata__oneofs__descriptor, "{\"oNested\":{}}", "{\"oNested\":{}}"),
    RT(aia__testdata__oneofs__descriptor, "{\"oEnum\":\"COLOR_UNSPECIFIED\"}", "{\"oEnum\":\"COLOR_UNSPECIFIED\"}"),
    RT(aia__testdata__oneofs__descriptor, "{\"oBytes\":\"\"}", "{\"oBytes\":\"\"}"),
    RT(aia__testdata__oneofs__descriptor, "{\"oValue\":null}", "{\"oValue\":null}"),
    RT(aia__testdata__oneofs__descriptor, "{\"oInt\":null,\"oString\":\"s\"}", "{\"oString\":\"s\"}"),
    RT(aia__testdata__optionals__descriptor,
       "{\"oInt32\":0,\"oString\":\"\",\"oEnum\":0,\"oNested\":{},\"oDouble\":0,\"oBool\":false,\"oBytes\":\"\","
       "\"oUint64\":\"0\",\"rInt32\":[1],\"req\":0}",
       "{\"oInt32\":0,\"oString\":\"\",\"oEnum\":\"COLOR_UNSPECIFIED\",\"oNested\":{},\"oDouble\":0,\"oBool\":false,"
       "\"oBytes\":\"\",\"oUint64\":\"0\",\"rInt32\":[1],\"req\":0}"),
    RT(aia__testdata__optionals__descriptor, "{\"req\":1,\"oWithDefault\":null}", "{\"req\":1}"),
    RT(aia__testdata__wkts__descriptor,
       "{\"ts\":\"2024-01-31T12:00:00.5Z\",\"dur\":\"-1.5s\",\"st\":{\"a\":1,\"b\":{\"c\":[true,null,\"x\"]},\"d\":{}},"
       "\"val\":[1,{\"k\":\"v\"}],\"lv\":[1,[],{}],\"nullVal\":null,\"wDouble\":1.5,\"wFloat\":\"NaN\","
       "\"wInt64\":\"-9\",\"wUint64\":\"9\",\"wInt32\":-1,\"wUint32\":1,\"wBool\":true,\"wString\":\"s\","
       "\"wBytes\":\"AA==\",\"empty\":{},\"mask\":\"modelId,trafficSplit.fooBar\","
       "\"rTs\":[\"1970-01-01T00:00:00Z\"],\"rVal\":[null,1,\"a\"],\"rStruct\":[{},{\"x\":null}],\"rWInt32\":[0,5]}",
       "{\"ts\":\"2024-01-31T12:00:00.500Z\",\"dur\":\"-1.500s\",\"st\":{\"a\":1,\"b\":{\"c\":[true,null,\"x\"]},\"d\":{}},"
       "\"val\":[1,{\"k\":\"v\"}],\"lv\":[1,[],{}],\"wDouble\":1.5,\"wFloat\":\"NaN\","
       "\"wInt64\":\"-9\",\"wUint64\":\"9\",\"wInt32\":-1,\"wUint32\":1,\"wBool\":true,\"wString\":\"s\","
       "\"wBytes\":\"AA==\",\"empty\":{},\"mask\":\"modelId,trafficSplit.fooBar\","
       "\"rTs\":[\"1970-01-01T00:00:00Z\"],\"rVal\":[null,1,\"a\"],\"rStruct\":[{},{\"x\":null}],\"rWInt32\":[0,5]}"),
    /* wrappers at their zero value are still written; null clears them */
    RT(aia__testdata__wkts__descriptor, "{\"wInt32\":0,\"wString\":\"\",\"wBool\":null,\"val\":null,\"mask\":\"\"}",
       "{\"val\":null,\"wInt32\":0,\"wString\":\"\",\"mask\":\"\"}"),
    RT(aia__testdata__wkts__descriptor, "{\"val\":\"\",\"st\":{}}", "{\"st\":{},\"val\":\"\"}"),
    /* timestamps: offsets normalised to Z, 0/3/6/9 digits */
    RT(aia__testdata__wkts__descriptor, "{\"ts\":\"2024-01-31T13:30:00.123456+01:30\"}",
       "{\"ts\":\"2024-01-31T12:00:00.123456Z\"}"),
    RT(aia__testdata__wkts__descriptor, "{\"ts\":\"1969-12-31T19:00:00.000000001-05:00\"}",
       "{\"ts\":\"1970-01-01T00:00:00.000000001Z\"}"),
    RT(aia__testdata__wkts__descriptor, "{\"ts\":\"0001-01-01T00:00:00Z\"}", "{\"ts\":\"0001-01-01T00:00:00Z\"}"),
    RT(aia__testdata__wkts__descriptor, "{\"ts\":\"9999-12-31T23:59:59.999999999Z\"}",
       "{\"ts\":\"9999-12-31T23:59:59.999999999Z\"}"),
    RT(aia__testdata__wkts__descriptor, "{\"dur\":\"315576000000.999999999s\"}",
       "{\"dur\":\"315576000000.999999999s\"}"),
    RT(aia__testdata__wkts__descriptor, "{\"dur\":\"-0.010s\"}", "{\"dur\":\"-0.010s\"}"),
    RT(aia__testdata__wkts__descriptor, "{\"dur\":\"3s\"}", "{\"dur\":\"3s\"}"),
    RT(aia__testdata__instances__descriptor,
       "{\"modelId\":\"churn\",\"instances\":[{\"age\":42,\"plan\":\"pro\",\"tags\":[\"a\"],\"score\":null},{}],"
       "\"trafficSplit\":{\"v1\":0.9,\"v2\":0.1}}",
       "{\"modelId\":\"churn\",\"instances\":[{\"age\":42,\"plan\":\"pro\",\"tags\":[\"a\"],\"score\":null},{}],"
       "\"trafficSplit\":{\"v1\":0.9,\"v2\":0.1}}"),
};

static void test_roundtrips(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof k_roundtrips / sizeof k_roundtrips[0]; i++)
        roundtrip(k_roundtrips[i].desc, k_roundtrips[i].in, k_roundtrips[i].out);
}

/* Decoded values land in the right C members. */
static void test_decode_values(void **state)
{
    (void)state;
    ProtobufCMessage *m = decode_ok(&aia__testdata__scalars__descriptor,
                                    "{\"fInt64\":\"-9223372036854775808\",\"fUint64\":\"1.8446744073709551615e19\","
                                    "\"fFloat\":3.4028234663852886e38,\"fBytes\":\"AP8=\",\"fString\":\"\\u0001\"}");
    Aia__Testdata__Scalars *s = (Aia__Testdata__Scalars *)m;
    assert_true(s->f_int64 == INT64_MIN);
    assert_true(s->f_uint64 == UINT64_MAX);
    assert_true(s->f_float == FLT_MAX);
    assert_int_equal(s->f_bytes.len, 2);
    assert_int_equal(s->f_bytes.data[0], 0);
    assert_int_equal(s->f_bytes.data[1], 0xff);
    assert_string_equal(s->f_string, "\x01");
    free_decoded(m);

    m = decode_ok(&aia__testdata__oneofs__descriptor, "{\"oValue\":{\"a\":[1]}}");
    Aia__Testdata__Oneofs *o = (Aia__Testdata__Oneofs *)m;
    assert_int_equal(o->choice_case, AIA__TESTDATA__ONEOFS__CHOICE_O_VALUE);
    assert_int_equal(o->o_value->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_STRUCT_VALUE);
    assert_int_equal(o->o_value->struct_value->n_fields, 1);
    assert_string_equal(o->o_value->struct_value->fields[0]->key, "a");
    assert_int_equal(o->o_value->struct_value->fields[0]->value->list_value->n_values, 1);
    free_decoded(m);

    m = decode_ok(&aia__testdata__optionals__descriptor, "{\"oInt32\":0,\"req\":1}");
    Aia__Testdata__Optionals *op = (Aia__Testdata__Optionals *)m;
    assert_true(op->has_o_int32);
    assert_false(op->has_o_enum);
    assert_null(op->o_string);
    assert_int_equal(op->o_with_default, 42); /* proto2 default kept */
    assert_string_equal(op->o_string_default, "hello");
    free_decoded(m);

    m = decode_ok(&aia__testdata__wkts__descriptor, "{\"mask\":\"a.bC,dEF\",\"ts\":\"1970-01-01T00:00:00.5Z\"}");
    Aia__Testdata__Wkts *w = (Aia__Testdata__Wkts *)m;
    assert_int_equal(w->mask->n_paths, 2);
    assert_string_equal(w->mask->paths[0], "a.b_c");
    assert_string_equal(w->mask->paths[1], "d_e_f");
    assert_int_equal(w->ts->seconds, 0);
    assert_int_equal(w->ts->nanos, 500000000);
    free_decoded(m);

    /* Top-level well-known types. */
    m = decode_ok(&google__protobuf__timestamp__descriptor, "\"2000-02-29T00:00:00Z\"");
    assert_int_equal(((Google__Protobuf__Timestamp *)m)->seconds, 951782400);
    free_decoded(m);
    m = decode_ok(&google__protobuf__value__descriptor, "null");
    assert_int_equal(((Google__Protobuf__Value *)m)->kind_case, GOOGLE__PROTOBUF__VALUE__KIND_NULL_VALUE);
    free_decoded(m);
    m = decode_ok(&google__protobuf__int32_value__descriptor, "\"-7\"");
    assert_int_equal(((Google__Protobuf__Int32Value *)m)->value, -7);
    free_decoded(m);
}

static void test_decode_ignore_unknown(void **state)
{
    (void)state;
    aia_pbjson_decode_options lax = {.ignore_unknown_fields = 1};
    ProtobufCMessage *m = decode_opts(&aia__testdata__repeateds__descriptor,
                                      "{\"nope\":{\"deep\":[1,2]},\"rEnum\":[\"COLOR_RED\",\"COLOR_PURPLE\",2],"
                                      "\"rInt32\":[1]}",
                                      &lax);
    Aia__Testdata__Repeateds *r = (Aia__Testdata__Repeateds *)m;
    assert_int_equal(r->n_r_enum, 2); /* the unknown name is dropped */
    assert_int_equal(r->r_enum[1], AIA__TESTDATA__COLOR__COLOR_GREEN);
    expect_encode(m, NULL, "{\"rInt32\":[1],\"rEnum\":[\"COLOR_RED\",\"COLOR_GREEN\"]}");
    free_decoded(m);
    m = decode_opts(&aia__testdata__maps__descriptor, "{\"strEnum\":{\"a\":\"COLOR_PURPLE\",\"b\":\"COLOR_RED\"}}",
                    &lax);
    expect_encode(m, NULL, "{\"strEnum\":{\"b\":\"COLOR_RED\"}}");
    free_decoded(m);
    m = decode_opts(&aia__testdata__oneofs__descriptor, "{\"oEnum\":\"COLOR_PURPLE\",\"oInt\":3}", &lax);
    expect_encode(m, NULL, "{\"oInt\":3}");
    free_decoded(m);
    m = decode_opts(&aia__testdata__wkts__descriptor, "{\"empty\":{\"x\":1}}", &lax);
    expect_encode(m, NULL, "{\"empty\":{}}");
    free_decoded(m);
}

/* ---- decode errors, exact messages ---------------------------------- */

static void test_decode_errors(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *sc = &aia__testdata__scalars__descriptor;
    const ProtobufCMessageDescriptor *rp = &aia__testdata__repeateds__descriptor;
    const ProtobufCMessageDescriptor *mp = &aia__testdata__maps__descriptor;
    const ProtobufCMessageDescriptor *wk = &aia__testdata__wkts__descriptor;
    const ProtobufCMessageDescriptor *in = &aia__testdata__instances__descriptor;

    /* shape */
    expect_decode_error(sc, "[]", "line 1, column 1: expected an object, found an array");
    expect_decode_error(sc, "null", "line 1, column 1: expected an object, found null");
    expect_decode_error(sc, "{\"fNested\":5}", "line 1, column 12: field \"fNested\": expected an object, found a number");
    expect_decode_error(in, "{\"modelId\":\"m\",\"trafficSplit\":[]}",
                        "line 1, column 31: field \"trafficSplit\": expected an object, found an array");
    expect_decode_error(rp, "{\"rInt32\":1}", "line 1, column 11: field \"rInt32\": expected an array, found a number");
    /* unknown and duplicate fields */
    expect_decode_error(sc, "{\"fInt32\":1,\"bogus\":2}",
                        "line 1, column 13: field \"bogus\": unknown field (aia.testdata.Scalars has no field of that name)");
    expect_decode_error(sc, "{\"fNested\":{\"id\":1,\"Id\":2}}",
                        "line 1, column 20: field \"fNested.Id\": unknown field (aia.testdata.Nested has no field of that name)");
    expect_decode_error(sc, "{\"fInt32\":1,\"f_int32\":2}",
                        "line 1, column 13: field \"f_int32\": field given twice (as \"fInt32\" and \"f_int32\")");
    expect_decode_error(sc, "{\"f_int32\":1,\"fInt32\":2}",
                        "line 1, column 14: field \"fInt32\": field given twice (as \"f_int32\" and \"fInt32\")");
    expect_decode_error(sc, "{\"fInt32\":1,\"fInt32\":2}", "line 1, column 13: field \"fInt32\": duplicate key");
    expect_decode_error(&aia__testdata__oneofs__descriptor, "{\"oInt\":1,\"oString\":\"x\"}",
                        "line 1, column 21: field \"oString\": conflicts with field \"oInt\": both belong to the same oneof");
    expect_decode_error(&aia__testdata__optionals__descriptor, "{\"oInt32\":1}",
                        "line 1, column 1: missing required field \"req\" of aia.testdata.Optionals");
    /* integers */
    expect_decode_error(sc, "{\"fInt32\":2147483648}",
                        "line 1, column 11: field \"fInt32\": value 2147483648 out of range for int32");
    expect_decode_error(sc, "{\"fInt32\":-2147483649}",
                        "line 1, column 11: field \"fInt32\": value -2147483649 out of range for int32");
    expect_decode_error(sc, "{\"fUint32\":-1}", "line 1, column 12: field \"fUint32\": value -1 out of range for uint32");
    expect_decode_error(sc, "{\"fInt64\":\"9223372036854775808\"}",
                        "line 1, column 11: field \"fInt64\": value 9223372036854775808 out of range for int64");
    expect_decode_error(sc, "{\"fUint64\":\"18446744073709551616\"}",
                        "line 1, column 12: field \"fUint64\": value 18446744073709551616 out of range for uint64");
    expect_decode_error(sc, "{\"fUint64\":1e100}", "line 1, column 12: field \"fUint64\": value 1e100 out of range for uint64");
    expect_decode_error(sc, "{\"fSfixed32\":1.5}", "line 1, column 14: field \"fSfixed32\": not an integer: 1.5");
    expect_decode_error(sc, "{\"fInt64\":\"12abc\"}",
                        "line 1, column 11: field \"fInt64\": expected an integer, found the string \"12abc\"");
    expect_decode_error(sc, "{\"fInt64\":\" 1\"}",
                        "line 1, column 11: field \"fInt64\": expected an integer, found the string \" 1\"");
    expect_decode_error(sc, "{\"fInt32\":true}", "line 1, column 11: field \"fInt32\": expected an integer, found a boolean");
    expect_decode_error(sc, "{\"fEnum\":2147483648}",
                        "line 1, column 10: field \"fEnum\": value 2147483648 out of range for an enum (int32)");
    /* floats */
    expect_decode_error(sc, "{\"fFloat\":1e39}", "line 1, column 11: field \"fFloat\": value 1e39 out of range for float");
    expect_decode_error(sc, "{\"fDouble\":1e400}", "line 1, column 12: field \"fDouble\": value 1e400 out of range for double");
    expect_decode_error(sc, "{\"fDouble\":\"nan\"}",
                        "line 1, column 12: field \"fDouble\": expected a number, found the string \"nan\" (strings may "
                        "only hold a number, \"NaN\", \"Infinity\" or \"-Infinity\")");
    expect_decode_error(sc, "{\"fDouble\":[]}", "line 1, column 12: field \"fDouble\": expected a number, found an array");
    /* other scalars */
    expect_decode_error(sc, "{\"fBool\":\"true\"}", "line 1, column 10: field \"fBool\": expected true or false, found a string");
    expect_decode_error(sc, "{\"fBool\":1}", "line 1, column 10: field \"fBool\": expected true or false, found a number");
    expect_decode_error(sc, "{\"fString\":1}", "line 1, column 12: field \"fString\": expected a string, found a number");
    expect_decode_error(sc, "{\"fString\":\"a\\u0000b\"}",
                        "line 1, column 12: field \"fString\": string contains U+0000, which protobuf-c strings cannot hold");
    expect_decode_error(sc, "{\"fString\":\"\xc3\"}", "line 1, column 13: field \"fString\": invalid UTF-8 in string");
    expect_decode_error(sc, "{\"fBytes\":\"a\"}", "line 1, column 11: field \"fBytes\": invalid base64");
    expect_decode_error(sc, "{\"fBytes\":\"aGk*\"}", "line 1, column 11: field \"fBytes\": invalid base64");
    expect_decode_error(sc, "{\"fBytes\":\"aG=k\"}", "line 1, column 11: field \"fBytes\": invalid base64");
    expect_decode_error(sc, "{\"fBytes\":\"a+_A\"}", "line 1, column 11: field \"fBytes\": invalid base64");
    expect_decode_error(sc, "{\"fBytes\":1}", "line 1, column 11: field \"fBytes\": expected a base64 string, found a number");
    expect_decode_error(sc, "{\"fEnum\":\"COLOR_PURPLE\"}",
                        "line 1, column 10: field \"fEnum\": unknown value \"COLOR_PURPLE\" for enum aia.testdata.Color");
    expect_decode_error(sc, "{\"fEnum\":true}",
                        "line 1, column 10: field \"fEnum\": expected an enum value name or number, found a boolean");
    /* repeated and maps */
    expect_decode_error(rp, "{\"rNested\":[{},null]}",
                        "line 1, column 16: field \"rNested[1]\": null is not allowed in a repeated field");
    expect_decode_error(rp, "{\"rInt32\":[1,\"x\"]}",
                        "line 1, column 14: field \"rInt32[1]\": expected an integer, found the string \"x\"");
    expect_decode_error(mp, "{\"int32Msg\":{\"1.0\":{}}}",
                        "line 1, column 14: field \"int32Msg[\"1.0\"]\": invalid map key \"1.0\": expected an integer (int32)");
    expect_decode_error(mp, "{\"int32Msg\":{\"x\":{}}}",
                        "line 1, column 14: field \"int32Msg.x\": invalid map key \"x\": expected an integer (int32)");
    expect_decode_error(mp, "{\"int32Msg\":{\"2147483648\":{}}}",
                        "line 1, column 14: field \"int32Msg[\"2147483648\"]\": value 2147483648 out of range for int32");
    expect_decode_error(mp, "{\"uint32Double\":{\"-1\":1}}",
                        "line 1, column 18: field \"uint32Double[\"-1\"]\": value -1 out of range for uint32");
    expect_decode_error(mp, "{\"boolStr\":{\"yes\":\"\"}}",
                        "line 1, column 13: field \"boolStr.yes\": invalid map key \"yes\": expected \"true\" or \"false\"");
    expect_decode_error(mp, "{\"strStr\":{\"a\":null}}",
                        "line 1, column 16: field \"strStr.a\": null is not allowed as a map value");
    expect_decode_error(mp, "{\"strStr\":{\"a\":\"\",\"a\":\"\"}}", "line 1, column 19: field \"strStr.a\": duplicate key");
    expect_decode_error(mp, "{\"int32Msg\":{\"1\":{\"id\":\"x\"}}}",
                        "line 1, column 24: field \"int32Msg[\"1\"].id\": expected an integer, found the string \"x\"");
    /* the design document's Predict shape: instances[2].age */
    expect_decode_error(in, "{\"instances\":[{},{},{\"age\":1e999}]}",
                        "line 1, column 28: field \"instances[2].age\": value 1e999 out of range for double");
    expect_decode_error(in, "{\"trafficSplit\":{\"v1\":\"x\"}}",
                        "line 1, column 23: field \"trafficSplit.v1\": expected a number, found the string \"x\" (strings "
                        "may only hold a number, \"NaN\", \"Infinity\" or \"-Infinity\")");
    /* well-known types */
    expect_decode_error(wk, "{\"ts\":\"2024-01-31 12:00:00Z\"}",
                        "line 1, column 7: field \"ts\": invalid timestamp \"2024-01-31 12:00:00Z\" (expected RFC 3339 "
                        "such as \"2024-01-31T12:00:00Z\")");
    expect_decode_error(wk, "{\"ts\":\"2023-02-29T00:00:00Z\"}",
                        "line 1, column 7: field \"ts\": invalid timestamp \"2023-02-29T00:00:00Z\" (expected RFC 3339 "
                        "such as \"2024-01-31T12:00:00Z\")");
    expect_decode_error(wk, "{\"ts\":\"2024-01-31T12:00:00.1234567890Z\"}",
                        "line 1, column 7: field \"ts\": invalid timestamp \"2024-01-31T12:00:00.1234567890Z\" (expected "
                        "RFC 3339 such as \"2024-01-31T12:00:00Z\")");
    expect_decode_error(wk, "{\"ts\":\"2024-01-31T12:00:00\"}",
                        "line 1, column 7: field \"ts\": invalid timestamp \"2024-01-31T12:00:00\" (expected RFC 3339 "
                        "such as \"2024-01-31T12:00:00Z\")");
    expect_decode_error(wk, "{\"ts\":\"0001-01-01T00:00:00+00:01\"}",
                        "line 1, column 7: field \"ts\": timestamp \"0001-01-01T00:00:00+00:01\" out of range (years 0001 "
                        "to 9999)");
    expect_decode_error(wk, "{\"ts\":0}",
                        "line 1, column 7: field \"ts\": expected a string (an RFC 3339 timestamp), found a number");
    expect_decode_error(wk, "{\"dur\":\"1.5\"}",
                        "line 1, column 8: field \"dur\": invalid duration \"1.5\" (expected seconds with up to 9 "
                        "fractional digits and an \"s\" suffix, such as \"1.5s\")");
    expect_decode_error(wk, "{\"dur\":\"315576000001s\"}",
                        "line 1, column 8: field \"dur\": duration \"315576000001s\" out of range (at most 315576000000 "
                        "seconds either way)");
    expect_decode_error(wk, "{\"dur\":1.5}",
                        "line 1, column 8: field \"dur\": expected a string (a duration such as \"1.5s\"), found a number");
    expect_decode_error(wk, "{\"st\":[]}", "line 1, column 7: field \"st\": expected an object, found an array");
    expect_decode_error(wk, "{\"lv\":{}}", "line 1, column 7: field \"lv\": expected an array, found an object");
    expect_decode_error(wk, "{\"val\":{\"a\":1e999}}",
                        "line 1, column 13: field \"val.a\": value 1e999 out of range for double");
    expect_decode_error(wk, "{\"wInt32\":\"x\"}",
                        "line 1, column 11: field \"wInt32\": expected an integer, found the string \"x\"");
    expect_decode_error(wk, "{\"wUint64\":{\"value\":\"1\"}}",
                        "line 1, column 12: field \"wUint64\": expected an integer, found an object");
    expect_decode_error(wk, "{\"empty\":{\"x\":1}}",
                        "line 1, column 11: field \"empty.x\": unknown field (google.protobuf.Empty has no fields)");
    expect_decode_error(wk, "{\"empty\":[]}", "line 1, column 10: field \"empty\": expected an object, found an array");
    expect_decode_error(wk, "{\"mask\":\"a,,b\"}", "line 1, column 9: field \"mask\": invalid field mask \"a,,b\": empty path");
    expect_decode_error(wk, "{\"mask\":\"model_id\"}",
                        "line 1, column 9: field \"mask\": invalid field mask path \"model_id\": JSON paths are "
                        "lowerCamelCase, without '_'");
    expect_decode_error(wk, "{\"mask\":[\"a\"]}",
                        "line 1, column 9: field \"mask\": expected a string (a field mask such as \"a.b,c\"), found an array");
    expect_decode_error(wk, "{\"nullVal\":\"x\"}",
                        "line 1, column 12: field \"nullVal\": unknown value \"x\" for enum google.protobuf.NullValue");
    expect_decode_error(wk, "{\"rWInt32\":[1,null]}",
                        "line 1, column 15: field \"rWInt32[1]\": null is not allowed in a repeated field");
    expect_decode_error_opts(wk, "{\"any\":{\"@type\":\"x\"}}", NULL, AIA_UNIMPLEMENTED,
                             "line 1, column 8: field \"any\": google.protobuf.Any is not supported in JSON");
    /* syntax errors carry the path too, and the line */
    expect_decode_error(in, "{\n  \"instances\": [\n    {\"age\": 4x}\n  ]\n}",
                        "line 3, column 14: field \"instances[0]\": expected ',' or '}' after object member, found 'x'");
    expect_decode_error(sc, "{\"fInt32\": 1} trailing",
                        "line 1, column 15: unexpected 't' after the JSON value (trailing characters)");
    expect_decode_error(sc, "", "line 1, column 1: unexpected end of input, expected a value");
}

static void test_decode_depth_limit(void **state)
{
    (void)state;
    const ProtobufCMessageDescriptor *d = &aia__testdata__recursive__descriptor;
    aia_strbuf sb = AIA_STRBUF_INIT;
    for (int i = 0; i < 63; i++) aia_strbuf_puts(&sb, "{\"child\":");
    aia_strbuf_puts(&sb, "{\"depth\":63}");
    for (int i = 0; i < 63; i++) aia_strbuf_putc(&sb, '}');
    ProtobufCMessage *m = decode_ok(d, sb.data); /* 64 levels: fine */
    char *again = encode_with(m, NULL);
    assert_string_equal(again, sb.data);
    free(again);
    free_decoded(m);
    aia_strbuf_reset(&sb);
    for (int i = 0; i < 64; i++) aia_strbuf_puts(&sb, "{\"child\":");
    aia_strbuf_puts(&sb, "{}");
    for (int i = 0; i < 64; i++) aia_strbuf_putc(&sb, '}');
    aia_error err;
    assert_int_equal(aia_pbjson_decode(d, sb.data, sb.len, NULL, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_true(strstr(err.message, "line 1, column 577: field \"child.child.") == err.message);
    assert_true(strstr(err.message, "\": nesting deeper than 64 levels") != NULL);
    aia_pbjson_decode_options deeper = {.max_depth = 65};
    assert_int_equal(aia_pbjson_decode(d, sb.data, sb.len, &deeper, NULL, &m, &err), AIA_OK);
    protobuf_c_message_free_unpacked(m, NULL); /* NULL allocator: malloc */
    aia_strbuf_free(&sb);
}

/* ---- allocators ----------------------------------------------------- */

static void *arena_alloc_fn(void *data, size_t n)
{
    return aia_arena_alloc(data, n);
}

static void arena_free_fn(void *data, void *p)
{
    (void)data;
    (void)p;
}

static const char k_everything[] =
    "{\"ts\":\"2024-01-31T12:00:00Z\",\"st\":{\"a\":[1,{\"b\":\"c\"}],\"n\":null},\"val\":\"s\","
    "\"lv\":[true],\"wBytes\":\"AAE=\",\"wString\":\"w\",\"mask\":\"aB,c\",\"rTs\":[\"1970-01-01T00:00:00Z\"],"
    "\"rVal\":[{\"x\":[]}],\"rStruct\":[{\"k\":1}],\"rWInt32\":[1,2]}";

static void test_decode_into_arena(void **state)
{
    (void)state;
    aia_arena arena;
    aia_arena_init(&arena, 256);
    ProtobufCAllocator a = {arena_alloc_fn, arena_free_fn, &arena};
    ProtobufCMessage *m;
    aia_error err;
    assert_int_equal(aia_pbjson_decode(&aia__testdata__wkts__descriptor, k_everything, strlen(k_everything), NULL, &a,
                                       &m, &err),
                     AIA_OK);
    char *got = encode_with(m, NULL);
    assert_string_equal(got, "{\"ts\":\"2024-01-31T12:00:00Z\",\"st\":{\"a\":[1,{\"b\":\"c\"}],\"n\":null},\"val\":\"s\","
                             "\"lv\":[true],\"wString\":\"w\",\"wBytes\":\"AAE=\",\"mask\":\"aB,c\","
                             "\"rTs\":[\"1970-01-01T00:00:00Z\"],\"rVal\":[{\"x\":[]}],\"rStruct\":[{\"k\":1}],"
                             "\"rWInt32\":[1,2]}");
    free(got);
    protobuf_c_message_free_unpacked(m, &a); /* a no-op free, as the server's arena */
    assert_true(arena.total > 0);
    aia_arena_destroy(&arena);
}

/* Every allocation failure is reported as RESOURCE_EXHAUSTED, and what was
 * allocated before it is freed. */
static void test_decode_out_of_memory(void **state)
{
    (void)state;
    counting c = {0, 0, -1};
    ProtobufCAllocator a = {count_alloc, count_free, &c};
    ProtobufCMessage *m;
    aia_error err;
    assert_int_equal(aia_pbjson_decode(&aia__testdata__wkts__descriptor, k_everything, strlen(k_everything), NULL, &a,
                                       &m, &err),
                     AIA_OK);
    long total = c.allocs;
    protobuf_c_message_free_unpacked(m, &a);
    assert_int_equal(c.allocs, c.frees);
    assert_true(total > 20);
    for (long k = 0; k < total; k++) {
        counting f = {0, 0, k};
        ProtobufCAllocator fa = {count_alloc, count_free, &f};
        m = (ProtobufCMessage *)1;
        aia_status st = aia_pbjson_decode(&aia__testdata__wkts__descriptor, k_everything, strlen(k_everything), NULL,
                                          &fa, &m, &err);
        assert_int_equal(st, AIA_RESOURCE_EXHAUSTED);
        assert_string_equal(err.message, "out of memory decoding JSON");
        assert_null(m);
        assert_int_equal(f.allocs, f.frees);
    }
}

/* ---- robustness ----------------------------------------------------- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* Decodes, and when that succeeds encodes and decodes the result again;
 * nothing may crash, leak or trip the sanitizers. */
static void poke(const ProtobufCMessageDescriptor *d, const char *buf, size_t n, long *ok)
{
    counting c = {0, 0, -1};
    ProtobufCAllocator a = {count_alloc, count_free, &c};
    ProtobufCMessage *m = NULL;
    aia_error err;
    aia_pbjson_decode_options o = {.ignore_unknown_fields = (int)(n & 1)};
    aia_status st = aia_pbjson_decode(d, buf, n, &o, &a, &m, &err);
    if (st == AIA_OK) {
        (*ok)++;
        aia_strbuf sb = AIA_STRBUF_INIT;
        aia_pbjson_encode_options eo = {.pretty = (int)(n & 2), .emit_defaults = (int)(n & 4)};
        if (aia_pbjson_encode(m, &eo, &sb, &err) == AIA_OK) {
            ProtobufCMessage *m2 = NULL;
            assert_int_equal(aia_pbjson_decode(d, sb.data, sb.len, NULL, NULL, &m2, &err), AIA_OK);
            protobuf_c_message_free_unpacked(m2, NULL);
        }
        aia_strbuf_free(&sb);
        protobuf_c_message_free_unpacked(m, &a);
    } else {
        assert_null(m);
        assert_true(strlen(err.message) > 0);
    }
    assert_int_equal(c.allocs, c.frees);
}

static void test_fuzz(void **state)
{
    (void)state;
    static const char alphabet[] = "{}[]:,\"\\ 0123456789-+.eE truefalsnul\xc3\xa9\xff\x00" "abcdefuU";
    const ProtobufCMessageDescriptor *descs[] = {
        &aia__testdata__scalars__descriptor, &aia__testdata__repeateds__descriptor,
        &aia__testdata__maps__descriptor,    &aia__testdata__oneofs__descriptor,
        &aia__testdata__wkts__descriptor,    &aia__testdata__instances__descriptor,
        &aia__testdata__optionals__descriptor,
    };
    size_t nd = sizeof descs / sizeof descs[0];
    long ok = 0;
    /* Every prefix of every valid document, and one-byte mutations of it. */
    for (size_t i = 0; i < sizeof k_roundtrips / sizeof k_roundtrips[0]; i++) {
        const char *in = k_roundtrips[i].in;
        size_t n = strlen(in);
        char *buf = malloc(n + 1);
        for (size_t k = 0; k <= n; k++) {
            memcpy(buf, in, k); /* exact-size copies let ASan catch over-reads */
            poke(k_roundtrips[i].desc, buf, k, &ok);
        }
        for (int k = 0; k < 200; k++) {
            memcpy(buf, in, n);
            buf[rnd() % n] = alphabet[rnd() % (sizeof alphabet - 1)];
            poke(k_roundtrips[i].desc, buf, n, &ok);
        }
        free(buf);
    }
    /* Random soup from a JSON-ish alphabet. */
    char soup[96];
    for (int k = 0; k < 20000; k++) {
        size_t n = rnd() % sizeof soup;
        for (size_t j = 0; j < n; j++) soup[j] = alphabet[rnd() % (sizeof alphabet - 1)];
        poke(descs[rnd() % nd], soup, n, &ok);
    }
    assert_true(ok > 100); /* the mutations do reach the mapping layer */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_parse_tree),
        cmocka_unit_test(test_json_parse_errors),
        cmocka_unit_test(test_json_depth_and_duplicates_in_large_objects),
        cmocka_unit_test(test_json_names),
        cmocka_unit_test(test_map_detection),
        cmocka_unit_test(test_encode_scalars),
        cmocka_unit_test(test_encode_floats),
        cmocka_unit_test(test_encode_enums),
        cmocka_unit_test(test_encode_maps_last_key_wins),
        cmocka_unit_test(test_encode_presence),
        cmocka_unit_test(test_encode_wkt),
        cmocka_unit_test(test_encode_depth_limit),
        cmocka_unit_test(test_roundtrips),
        cmocka_unit_test(test_decode_values),
        cmocka_unit_test(test_decode_ignore_unknown),
        cmocka_unit_test(test_decode_errors),
        cmocka_unit_test(test_decode_depth_limit),
        cmocka_unit_test(test_decode_into_arena),
        cmocka_unit_test(test_decode_out_of_memory),
        cmocka_unit_test(test_fuzz),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
