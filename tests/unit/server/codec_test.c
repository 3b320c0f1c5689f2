/* tests/unit/server/codec_test.c — server/codec: decoding gRPC byte buffers
 * into protobuf-c messages with UTF-8 validation (top-level, nested,
 * repeated, oneof and map fields), the errors' wording, and packing. */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aia/v1/llm.pb-c.h"
#include "aia/v1/model.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"
#include "lib/base/arena.h"
#include "server/codec.h"

/* Decoding allocates through an arena, as the runtime does: nothing to
 * free per message, and failures leak nothing. */
static aia_arena g_arena;

static void *arena_alloc(void *data, size_t size) { return aia_arena_alloc(data, size); }
static void arena_free(void *data, void *ptr)
{
    (void)data;
    (void)ptr;
}
static ProtobufCAllocator g_alloc = {arena_alloc, arena_free, &g_arena};

static int setup(void **state)
{
    (void)state;
    grpc_init();
    aia_arena_init(&g_arena, 0);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    aia_arena_destroy(&g_arena);
    grpc_shutdown_blocking();
    return 0;
}

static grpc_byte_buffer *buffer_of(const void *bytes, size_t n)
{
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)bytes, n);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

static aia_status unpack_bytes(const void *bytes, size_t n, const ProtobufCMessageDescriptor *d,
                               const ProtobufCMessage **out, aia_error *err)
{
    grpc_byte_buffer *bb = buffer_of(bytes, n);
    aia_error_clear(err);
    *out = NULL;
    aia_status st = aia_codec_unpack(bb, d, &g_alloc, out, err);
    grpc_byte_buffer_destroy(bb);
    return st;
}

static void test_missing_message(void **state)
{
    (void)state;
    const ProtobufCMessage *out = NULL;
    aia_error err;
    aia_error_clear(&err);
    assert_int_equal(aia_codec_unpack(NULL, &grpc__health__v1__health_check_request__descriptor, &g_alloc, &out, &err),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "missing request message"));
    assert_null(out);
}

static void test_garbage_names_the_type(void **state)
{
    (void)state;
    const ProtobufCMessage *out;
    aia_error err;
    const unsigned char garbage[][6] = {
        {0x0a, 0x05, 'a', 0, 0, 0},          /* length past the end */
        {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, /* endless tag varint */
        {0x0b, 0, 0, 0, 0, 0},                /* start group, never ended */
        {0x0f, 0, 0, 0, 0, 0},                /* wire type 7 */
    };
    size_t lens[] = {3, 6, 1, 1};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        assert_int_equal(unpack_bytes(garbage[i], lens[i], &grpc__health__v1__health_check_request__descriptor, &out,
                                      &err),
                         AIA_INVALID_ARGUMENT);
        assert_int_equal(err.code, AIA_INVALID_ARGUMENT);
        if (!strstr(err.message, "grpc.health.v1.HealthCheckRequest"))
            fail_msg("case %zu: message does not name the type: %s", i, err.message);
        assert_null(out);
    }
}

static void test_invalid_utf8_names_the_field(void **state)
{
    (void)state;
    const unsigned char bytes[] = {0x0a, 0x02, 0xff, 0xfe}; /* field 1 "service", two invalid bytes */
    const ProtobufCMessage *out;
    aia_error err;
    assert_int_equal(unpack_bytes(bytes, sizeof bytes, &grpc__health__v1__health_check_request__descriptor, &out, &err),
                     AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "service"));
    assert_non_null(strstr(err.message, "UTF-8"));
    assert_non_null(strstr(err.message, "grpc.health.v1.HealthCheckRequest"));
    assert_null(out);
}

static void check_string(const char *s, int valid)
{
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = (char *)s;
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_codec_check_utf8(&req.base, &err);
    if (valid && st != AIA_OK) fail_msg("'%s' rejected: %s", s, err.message);
    if (!valid && st != AIA_INVALID_ARGUMENT) fail_msg("invalid string accepted");
}

static void test_utf8_rules(void **state)
{
    (void)state;
    check_string("", 1);
    check_string("plain ascii", 1);
    check_string("caf\xc3\xa9", 1);             /* 2 bytes */
    check_string("\xe2\x82\xac", 1);            /* 3 bytes: euro sign */
    check_string("\xf0\x9f\x98\x80", 1);        /* 4 bytes: emoji */
    check_string("\xf4\x8f\xbf\xbf", 1);        /* U+10FFFF */
    check_string("\xef\xbf\xbf", 1);            /* U+FFFF */
    check_string("\xc0\xaf", 0);                /* overlong '/' */
    check_string("\xe0\x80\xaf", 0);            /* overlong, 3 bytes */
    check_string("\xf0\x80\x80\xaf", 0);        /* overlong, 4 bytes */
    check_string("\xed\xa0\x80", 0);            /* surrogate U+D800 */
    check_string("\xf4\x90\x80\x80", 0);        /* past U+10FFFF */
    check_string("\xc3", 0);                    /* truncated */
    check_string("\xe2\x82", 0);                /* truncated */
    check_string("\x80", 0);                    /* lone continuation */
    check_string("\xf8\x88\x80\x80\x80", 0);    /* 5-byte form */
    check_string("ok\xc3(", 0);                 /* bad continuation */
}

static void test_nested_repeated_oneof_paths(void **state)
{
    (void)state;
    /* contents[1].parts[0].text is bad: the path in the header's example. */
    Aia__V1__Part p0 = AIA__V1__PART__INIT, p1 = AIA__V1__PART__INIT, bad = AIA__V1__PART__INIT;
    p0.data_case = AIA__V1__PART__DATA_TEXT;
    p0.text = "hello";
    p1.data_case = AIA__V1__PART__DATA_TEXT;
    p1.text = "world";
    bad.data_case = AIA__V1__PART__DATA_TEXT;
    bad.text = "bad \xff";
    Aia__V1__Part *parts0[] = {&p0, &p1};
    Aia__V1__Part *parts1[] = {&bad};
    Aia__V1__Content c0 = AIA__V1__CONTENT__INIT, c1 = AIA__V1__CONTENT__INIT;
    c0.role = "user";
    c0.n_parts = 2;
    c0.parts = parts0;
    c1.role = "user";
    c1.n_parts = 1;
    c1.parts = parts1;
    Aia__V1__Content *contents[] = {&c0, &c1};
    Aia__V1__GenerateRequest req = AIA__V1__GENERATE_REQUEST__INIT;
    req.model = "m";
    req.n_contents = 2;
    req.contents = contents;
    aia_error err;
    aia_error_clear(&err);
    assert_int_equal(aia_codec_check_utf8(&req.base, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "contents[1].parts[0].text"));

    /* Through the wire as well: pack, then unpack. */
    grpc_byte_buffer *bb = aia_codec_pack(&req.base);
    assert_non_null(bb);
    const ProtobufCMessage *out = NULL;
    aia_error_clear(&err);
    assert_int_equal(aia_codec_unpack(bb, &aia__v1__generate_request__descriptor, &g_alloc, &out, &err),
                     AIA_INVALID_ARGUMENT);
    grpc_byte_buffer_destroy(bb);
    assert_non_null(strstr(err.message, "aia.v1.GenerateRequest"));
    assert_non_null(strstr(err.message, "contents[1].parts[0].text"));

    /* A oneof member that is not the active one is not read. */
    bad.data_case = AIA__V1__PART__DATA__NOT_SET;
    aia_error_clear(&err);
    assert_int_equal(aia_codec_check_utf8(&req.base, &err), AIA_OK);

    /* Map values: labels[0].value */
    bad.data_case = AIA__V1__PART__DATA_TEXT;
    bad.text = "fine";
    Aia__V1__GenerateRequest__LabelsEntry e = AIA__V1__GENERATE_REQUEST__LABELS_ENTRY__INIT;
    e.key = "team";
    e.value = "\xc0\x80";
    Aia__V1__GenerateRequest__LabelsEntry *labels[] = {&e};
    req.n_labels = 1;
    req.labels = labels;
    aia_error_clear(&err);
    assert_int_equal(aia_codec_check_utf8(&req.base, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "labels[0].value"));
    e.value = "ok";
    assert_int_equal(aia_codec_check_utf8(&req.base, &err), AIA_OK);
}

/* Prepends a length-delimited field (tag, varint length) before the n bytes
 * that end at buf + *pos; returns the new length. */
static size_t wrap(uint8_t *buf, size_t *pos, size_t n, uint8_t tag)
{
    uint8_t len[10];
    size_t k = 0;
    for (size_t v = n; ; v >>= 7) {
        len[k++] = (uint8_t)((v & 0x7f) | (v >> 7 ? 0x80 : 0));
        if (!(v >> 7)) break;
    }
    *pos -= k;
    memcpy(buf + *pos, len, k);
    buf[--*pos] = tag;
    return n + k + 1;
}

/* A PredictRequest whose one instance nests `levels` lists in a Value:
 * instances[0].fields["k"] = [[[...]]]. */
static size_t nested_predict_request(uint8_t *buf, size_t size, size_t levels)
{
    size_t pos = size, n = 0;
    for (size_t i = 0; i < levels; i++) {
        n = wrap(buf, &pos, n, 0x0a); /* ListValue.values (1): a Value */
        n = wrap(buf, &pos, n, 0x32); /* Value.list_value (6) */
    }
    n = wrap(buf, &pos, n, 0x12); /* FieldsEntry.value (2) */
    buf[--pos] = 'k';
    buf[--pos] = 1;
    buf[--pos] = 0x0a; /* FieldsEntry.key (1) = "k" */
    n += 3;
    n = wrap(buf, &pos, n, 0x0a); /* Struct.fields (1) */
    n = wrap(buf, &pos, n, 0x1a); /* PredictRequest.instances (3) */
    memmove(buf, buf + pos, n);
    return n;
}

/* protobuf-c recurses once per nesting level with no limit: a deep enough
 * Struct, a few hundred kilobytes, would overflow the stack. The codec
 * refuses it before decoding, and keeps decoding ordinary nesting. */
static void test_deep_nesting_is_refused_before_decoding(void **state)
{
    (void)state;
    size_t size = 8u << 20;
    uint8_t *buf = malloc(size);
    assert_non_null(buf);
    const ProtobufCMessage *out = NULL;
    aia_error err;
    size_t n = nested_predict_request(buf, size, 200000);
    assert_true(n < 4u << 20); /* under the server's default message limit */
    assert_int_equal(unpack_bytes(buf, n, &aia__v1__predict_request__descriptor, &out, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "nested deeper than"));
    assert_null(out);
    n = nested_predict_request(buf, size, 20);
    assert_int_equal(unpack_bytes(buf, n, &aia__v1__predict_request__descriptor, &out, &err), AIA_OK);
    assert_non_null(out);
    assert_int_equal(((const Aia__V1__PredictRequest *)out)->n_instances, 1);
    free(buf);
}

static void test_round_trip(void **state)
{
    (void)state;
    Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
    req.service = "aia.v1.SystemService \xe2\x9c\x93";
    grpc_byte_buffer *bb = aia_codec_pack(&req.base);
    assert_non_null(bb);
    assert_int_equal(grpc_byte_buffer_length(bb), protobuf_c_message_get_packed_size(&req.base));
    const ProtobufCMessage *out = NULL;
    aia_error err;
    aia_error_clear(&err);
    assert_int_equal(aia_codec_unpack(bb, &grpc__health__v1__health_check_request__descriptor, &g_alloc, &out, &err),
                     AIA_OK);
    grpc_byte_buffer_destroy(bb);
    assert_non_null(out);
    assert_ptr_equal(out->descriptor, &grpc__health__v1__health_check_request__descriptor);
    assert_string_equal(((const Grpc__Health__V1__HealthCheckRequest *)out)->service, req.service);

    /* An empty message packs to zero bytes and decodes to the defaults. */
    Grpc__Health__V1__HealthCheckResponse empty = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
    bb = aia_codec_pack(&empty.base);
    assert_non_null(bb);
    assert_int_equal(grpc_byte_buffer_length(bb), 0);
    assert_int_equal(aia_codec_unpack(bb, &grpc__health__v1__health_check_response__descriptor, &g_alloc, &out, &err),
                     AIA_OK);
    grpc_byte_buffer_destroy(bb);
    assert_int_equal(((const Grpc__Health__V1__HealthCheckResponse *)out)->status, 0);

    /* A multi-slice buffer decodes the same as one slice. */
    const unsigned char bytes[] = {0x0a, 0x03, 'a', 'b', 'c'};
    grpc_slice parts[2] = {grpc_slice_from_copied_buffer((const char *)bytes, 2),
                           grpc_slice_from_copied_buffer((const char *)bytes + 2, 3)};
    bb = grpc_raw_byte_buffer_create(parts, 2);
    grpc_slice_unref(parts[0]);
    grpc_slice_unref(parts[1]);
    assert_int_equal(aia_codec_unpack(bb, &grpc__health__v1__health_check_request__descriptor, &g_alloc, &out, &err),
                     AIA_OK);
    grpc_byte_buffer_destroy(bb);
    assert_string_equal(((const Grpc__Health__V1__HealthCheckRequest *)out)->service, "abc");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_missing_message),
        cmocka_unit_test(test_garbage_names_the_type),
        cmocka_unit_test(test_invalid_utf8_names_the_field),
        cmocka_unit_test(test_utf8_rules),
        cmocka_unit_test(test_nested_repeated_oneof_paths),
        cmocka_unit_test(test_deep_nesting_is_refused_before_decoding),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
