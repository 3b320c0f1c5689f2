/* tests/unit/llm/gguf_test.c — GGUF files written by gguf_writer read back
 * exactly, and corrupt files rejected with a message that says where. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/llm/gguf.h"
#include "lib/llm/quant.h"
#include "tests/unit/llm/gguf_writer.h"

static uint64_t g_rng = 0x2545f4914f6cdd1dull;

static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static const char *tmp_path(const char *name) {
    static char buf[4096];
    const char *dir = getenv("TEST_TMPDIR");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "/tmp", name);
    return buf;
}

/* Writes bytes to a file and opens it. */
static aia_status open_bytes(const uint8_t *p, size_t n, aia_gguf **g, aia_error *err) {
    const char *path = tmp_path("t.gguf");
    assert_int_equal(gw_write_file(path, p, n), 0);
    return aia_gguf_open(path, g, err);
}

/* ---- a file with every metadata type and every tensor type ------------------ */

enum { NT = 7 };
static uint8_t g_tdata[NT][4096];
static size_t g_tbytes[NT];
static const char *const g_tnames[NT] = {"f32", "f16", "blk.0.q4_0", "blk.0.q4_1",
                                         "blk.1.q8_0", "q6_k", "blk.1.q4_0"};
static const uint32_t g_ttypes[NT] = {AIA_GGML_F32, AIA_GGML_F16,  AIA_GGML_Q4_0, AIA_GGML_Q4_1,
                                      AIA_GGML_Q8_0, AIA_GGML_Q6_K, AIA_GGML_Q4_0};
static const uint64_t g_tdims[NT][4] = {{7, 3}, {16}, {64, 2}, {32, 3, 2}, {96}, {256}, {32, 1, 1, 2}};
static const uint32_t g_tndims[NT] = {2, 1, 2, 3, 1, 1, 4};

static void add_all_metadata(gguf_writer *w) {
    gw_key(w, "u8", 0); gw_put(w, "\xfe", 1);
    gw_key(w, "i8", 1); gw_put(w, "\x80", 1);
    uint16_t u16 = 65535; gw_key(w, "u16", 2); gw_put(w, &u16, 2);
    int16_t i16 = -32768; gw_key(w, "i16", 3); gw_put(w, &i16, 2);
    gw_kv_u32(w, "u32", 4000000000u);
    int32_t i32 = -7; gw_key(w, "i32", 5); gw_put(w, &i32, 4);
    gw_kv_f32(w, "f32", 0.1f);
    gw_key(w, "bool", 7); gw_put(w, "\x01", 1);
    gw_kv_str(w, "general.name", "tiny \xc3\xa9\xe2\x9c\x93 model");
    gw_kv_str(w, "empty", "");
    uint64_t u64 = UINT64_MAX; gw_key(w, "u64", 10); gw_put(w, &u64, 8);
    int64_t i64 = INT64_MIN; gw_key(w, "i64", 11); gw_put(w, &i64, 8);
    double f64 = -1e300; gw_key(w, "f64", 12); gw_put(w, &f64, 8);
    /* arrays */
    gw_key(w, "arr.u8", 9); gw_put_arr(w, 0, 3); gw_put(w, "\x01\x02\xff", 3);
    int16_t ai16[2] = {-5, 300}; gw_key(w, "arr.i16", 9); gw_put_arr(w, 3, 2); gw_put(w, ai16, 4);
    float af[3] = {1.5f, -0.25f, 1e-20f}; gw_key(w, "arr.f32", 9); gw_put_arr(w, 6, 3); gw_put(w, af, 12);
    double ad[2] = {3.25, -8}; gw_key(w, "arr.f64", 9); gw_put_arr(w, 12, 2); gw_put(w, ad, 16);
    gw_key(w, "arr.bool", 9); gw_put_arr(w, 7, 2); gw_put(w, "\x00\x01", 2);
    gw_key(w, "arr.empty", 9); gw_put_arr(w, 4, 0);
    gw_key(w, "tokenizer.ggml.tokens", 9); gw_put_arr(w, 8, 4);
    gw_put_str(w, "<s>"); gw_put_str(w, ""); gw_put_str(w, "\xc4\xa0the"); gw_put_str(w, "x y");
    /* [[1, 2], [], [3]] of INT32, and [["a"], ["b", "c"]] */
    int32_t one_two[2] = {1, 2}, three = 3;
    gw_key(w, "arr.nested", 9); gw_put_arr(w, 9, 3);
    gw_put_arr(w, 5, 2); gw_put(w, one_two, 8);
    gw_put_arr(w, 5, 0);
    gw_put_arr(w, 5, 1); gw_put(w, &three, 4);
    gw_key(w, "arr.nested_str", 9); gw_put_arr(w, 9, 2);
    gw_put_arr(w, 8, 1); gw_put_str(w, "a");
    gw_put_arr(w, 8, 2); gw_put_str(w, "b"); gw_put_str(w, "c");
}

static void add_all_tensors(gguf_writer *w) {
    for (int i = 0; i < NT; i++) {
        uint64_t n = 1, row;
        for (uint32_t d = 0; d < g_tndims[i]; d++) n *= g_tdims[i][d];
        aia_error err;
        assert_int_equal(aia_quant_row_bytes(g_ttypes[i], g_tdims[i][0], &row, &err), AIA_OK);
        g_tbytes[i] = (size_t)(row * (n / g_tdims[i][0]));
        assert_true(g_tbytes[i] <= sizeof g_tdata[i]);
        for (size_t b = 0; b < g_tbytes[i]; b++) g_tdata[i][b] = (uint8_t)rnd();
        /* Keep fp16 scales finite so dequantisation is comparable. */
        if (g_ttypes[i] == AIA_GGML_F16)
            for (size_t b = 1; b < g_tbytes[i]; b += 2) g_tdata[i][b] &= 0x3b;
        gw_tensor(w, g_tnames[i], g_ttypes[i], g_tndims[i], g_tdims[i], g_tdata[i], g_tbytes[i]);
    }
}

static void check_metadata(const aia_gguf *g) {
    aia_error err;
    uint32_t u32;
    uint64_t u64;
    int64_t i64;
    float f;
    double d;
    int b;
    const char *s;
    uint64_t len;
    assert_int_equal(aia_gguf_get_u32(g, "u8", &u32, &err), AIA_OK);
    assert_int_equal(u32, 254);
    assert_int_equal(aia_gguf_get_i64(g, "i8", &i64, &err), AIA_OK);
    assert_int_equal(i64, -128);
    assert_int_equal(aia_gguf_get_u32(g, "u16", &u32, &err), AIA_OK);
    assert_int_equal(u32, 65535);
    assert_int_equal(aia_gguf_get_i64(g, "i16", &i64, &err), AIA_OK);
    assert_int_equal(i64, -32768);
    assert_int_equal(aia_gguf_get_u32(g, "u32", &u32, &err), AIA_OK);
    assert_int_equal(u32, 4000000000u);
    assert_int_equal(aia_gguf_get_i64(g, "i32", &i64, &err), AIA_OK);
    assert_int_equal(i64, -7);
    assert_int_equal(aia_gguf_get_f32(g, "f32", &f, &err), AIA_OK);
    assert_true(f == 0.1f);
    assert_int_equal(aia_gguf_get_bool(g, "bool", &b, &err), AIA_OK);
    assert_int_equal(b, 1);
    assert_int_equal(aia_gguf_get_str(g, "general.name", &s, &len, &err), AIA_OK);
    assert_string_equal(s, "tiny \xc3\xa9\xe2\x9c\x93 model");
    assert_int_equal(len, strlen(s));
    assert_int_equal(aia_gguf_get_str(g, "empty", &s, &len, &err), AIA_OK);
    assert_string_equal(s, "");
    assert_int_equal(aia_gguf_get_u64(g, "u64", &u64, &err), AIA_OK);
    assert_true(u64 == UINT64_MAX);
    assert_int_equal(aia_gguf_get_i64(g, "i64", &i64, &err), AIA_OK);
    assert_true(i64 == INT64_MIN);
    assert_int_equal(aia_gguf_get_f64(g, "f64", &d, &err), AIA_OK);
    assert_true(d == -1e300);

    const aia_gguf_value *a, *inner;
    assert_int_equal(aia_gguf_get_array(g, "arr.u8", &a, &err), AIA_OK);
    assert_int_equal(a->v.arr.elem, AIA_GGUF_U8);
    assert_int_equal(a->v.arr.count, 3);
    assert_int_equal(aia_gguf_array_i64(a, 2, &i64, &err), AIA_OK);
    assert_int_equal(i64, 255);
    assert_int_equal(aia_gguf_get_array(g, "arr.i16", &a, &err), AIA_OK);
    assert_int_equal(aia_gguf_array_i64(a, 0, &i64, &err), AIA_OK);
    assert_int_equal(i64, -5);
    assert_int_equal(aia_gguf_array_num(a, 1, &d, &err), AIA_OK);
    assert_true(d == 300);
    assert_int_equal(aia_gguf_get_array(g, "arr.f32", &a, &err), AIA_OK);
    assert_int_equal(aia_gguf_array_num(a, 2, &d, &err), AIA_OK);
    assert_true((float)d == 1e-20f);
    assert_int_equal(aia_gguf_array_i64(a, 0, &i64, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_gguf_get_array(g, "arr.f64", &a, &err), AIA_OK);
    assert_int_equal(aia_gguf_array_num(a, 0, &d, &err), AIA_OK);
    assert_true(d == 3.25);
    assert_int_equal(aia_gguf_get_array(g, "arr.bool", &a, &err), AIA_OK);
    assert_int_equal(aia_gguf_array_num(a, 1, &d, &err), AIA_OK);
    assert_true(d == 1);
    assert_int_equal(aia_gguf_get_array(g, "arr.empty", &a, &err), AIA_OK);
    assert_int_equal(a->v.arr.count, 0);
    assert_int_equal(aia_gguf_array_num(a, 0, &d, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "index 0 out of range (count 0)"));

    assert_int_equal(aia_gguf_get_array(g, "tokenizer.ggml.tokens", &a, &err), AIA_OK);
    assert_int_equal(a->v.arr.count, 4);
    const char *want[4] = {"<s>", "", "\xc4\xa0the", "x y"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(aia_gguf_array_str(a, (uint64_t)i, &s, &len, &err), AIA_OK);
        assert_string_equal(s, want[i]);
        assert_int_equal(len, strlen(want[i]));
    }
    assert_int_equal(aia_gguf_array_str(a, 4, &s, &len, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_gguf_array_num(a, 0, &d, &err), AIA_INVALID_ARGUMENT);

    assert_int_equal(aia_gguf_get_array(g, "arr.nested", &a, &err), AIA_OK);
    assert_int_equal(a->v.arr.count, 3);
    assert_int_equal(aia_gguf_array_at(a, 0, &inner, &err), AIA_OK);
    assert_int_equal(inner->v.arr.count, 2);
    assert_int_equal(aia_gguf_array_i64(inner, 1, &i64, &err), AIA_OK);
    assert_int_equal(i64, 2);
    assert_int_equal(aia_gguf_array_at(a, 1, &inner, &err), AIA_OK);
    assert_int_equal(inner->v.arr.count, 0);
    assert_int_equal(aia_gguf_array_at(a, 2, &inner, &err), AIA_OK);
    assert_int_equal(aia_gguf_array_i64(inner, 0, &i64, &err), AIA_OK);
    assert_int_equal(i64, 3);
    assert_int_equal(aia_gguf_get_array(g, "arr.nested_str", &a, &err), AIA_OK);
    assert_int_equal(aia_gguf_array_at(a, 1, &inner, &err), AIA_OK);
    assert_int_equal(aia_gguf_array_str(inner, 1, &s, NULL, &err), AIA_OK);
    assert_string_equal(s, "c");

    /* Wrong types and absent keys. */
    assert_int_equal(aia_gguf_get_u32(g, "general.name", &u32, &err), AIA_INVALID_ARGUMENT);
    assert_string_equal(err.message, "GGUF metadata 'general.name' is STRING, expected a non-negative integer");
    assert_int_equal(aia_gguf_get_u32(g, "i32", &u32, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_gguf_get_u32(g, "u64", &u32, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "exceeds UINT32"));
    assert_int_equal(aia_gguf_get_i64(g, "u64", &i64, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_gguf_get_str(g, "u8", &s, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_gguf_get_bool(g, "u8", &b, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_gguf_get_array(g, "u8", &a, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_gguf_get_f32(g, "nope", &f, &err), AIA_NOT_FOUND);
    assert_string_equal(err.message, "GGUF metadata key 'nope' is absent");
    assert_null(aia_gguf_find(g, "nope"));
}

static void check_tensors(const aia_gguf *g, uint32_t alignment) {
    assert_int_equal(aia_gguf_tensor_count(g), NT);
    assert_null(aia_gguf_tensor_at(g, NT));
    assert_null(aia_gguf_tensor_find(g, "missing"));
    for (int i = 0; i < NT; i++) {
        const aia_gguf_tensor *t = aia_gguf_tensor_find(g, g_tnames[i]);
        assert_non_null(t);
        assert_ptr_equal(t, aia_gguf_tensor_at(g, (size_t)i));
        assert_string_equal(t->name, g_tnames[i]);
        assert_int_equal(t->type, g_ttypes[i]);
        assert_int_equal(t->n_dims, g_tndims[i]);
        uint64_t n = 1;
        for (uint32_t d = 0; d < 4; d++) {
            uint64_t want = d < g_tndims[i] ? g_tdims[i][d] : 1;
            assert_int_equal(t->dims[d], want);
            n *= want;
        }
        assert_int_equal(t->n_elements, n);
        assert_int_equal(t->n_bytes, g_tbytes[i]);
        assert_int_equal(t->offset % alignment, 0);
        assert_int_equal((aia_gguf_data_offset(g) + t->offset) % alignment, 0);
        assert_memory_equal(t->data, g_tdata[i], g_tbytes[i]);
        if (t->type != AIA_GGML_Q6_K) { /* rows dequantise through the loaded pointer */
            float row[256];
            aia_error err;
            assert_int_equal(aia_quant_dequant_row(t->type, t->data, (size_t)t->dims[0], row, &err),
                             AIA_OK);
        }
    }
}

static void round_trip(uint32_t alignment, uint32_t version) {
    gguf_writer w;
    gw_init(&w, alignment);
    w.version = version;
    add_all_metadata(&w);
    add_all_tensors(&w);
    gw_buf out;
    gw_build(&w, &out);
    aia_gguf *g = NULL;
    aia_error err;
    assert_int_equal(open_bytes(out.p, out.len, &g, &err), AIA_OK);
    assert_int_equal(aia_gguf_version(g), version);
    uint32_t want_align = alignment ? alignment : 32;
    assert_int_equal(aia_gguf_alignment(g), want_align);
    assert_int_equal(aia_gguf_kv_count(g), w.n_kv);
    assert_string_equal(aia_gguf_kv_at(g, alignment ? 1 : 0)->key, "u8"); /* file order */
    assert_null(aia_gguf_kv_at(g, w.n_kv));
    check_metadata(g);
    check_tensors(g, want_align);
    aia_gguf_close(g);
    free(out.p);
    gw_free(&w);
}

static void test_round_trip_default_alignment(void **s) { (void)s; round_trip(0, 3); }
static void test_round_trip_alignment_32(void **s) { (void)s; round_trip(32, 3); }
static void test_round_trip_alignment_64(void **s) { (void)s; round_trip(64, 3); }
static void test_round_trip_version_2(void **s) { (void)s; round_trip(64, 2); }

static void test_empty_file_without_tensors(void **state) {
    (void)state;
    gguf_writer w;
    gw_init(&w, 0);
    gw_buf out;
    gw_build(&w, &out);
    aia_gguf *g = NULL;
    aia_error err;
    assert_int_equal(open_bytes(out.p, out.len, &g, &err), AIA_OK);
    assert_int_equal(aia_gguf_kv_count(g), 0);
    assert_int_equal(aia_gguf_tensor_count(g), 0);
    aia_gguf_close(g);
    free(out.p);
    gw_free(&w);
}

/* ---- corrupt files ----------------------------------------------------------- */

/* A small valid file (no general.alignment; three tensors) for corrupting. */
static uint8_t g_q[3][64];
static void small_file(gguf_writer *w, gw_buf *out) {
    gw_init(w, 0);
    gw_kv_str(w, "general.architecture", "llama");
    gw_kv_u32(w, "llama.block_count", 2);
    uint64_t d32[1] = {32};
    for (int i = 0; i < 3; i++)
        for (int b = 0; b < 64; b++) g_q[i][b] = (uint8_t)(i * 64 + b);
    gw_tensor(w, "w0", AIA_GGML_Q8_0, 1, d32, g_q[0], 34);
    gw_tensor(w, "w1", AIA_GGML_Q4_1, 1, d32, g_q[1], 20);
    gw_tensor(w, "w2", AIA_GGML_Q4_0, 1, d32, g_q[2], 18);
    gw_build(w, out);
}

static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Opens bytes expecting INVALID_ARGUMENT with `needle` in the message. */
static void expect_bad(const uint8_t *p, size_t n, const char *needle) {
    aia_gguf *g = (aia_gguf *)1;
    aia_error err;
    aia_status st = open_bytes(p, n, &g, &err);
    if (st != AIA_INVALID_ARGUMENT || !strstr(err.message, needle))
        fail_msg("status %d, message \"%s\"; wanted INVALID_ARGUMENT with \"%s\"", st, err.message,
                 needle);
    assert_null(g);
}

static void with_small(void (*mutate)(gguf_writer *, gw_buf *, size_t *), const char *needle) {
    gguf_writer w;
    gw_buf out;
    small_file(&w, &out);
    size_t n = out.len;
    mutate(&w, &out, &n);
    expect_bad(out.p, n, needle);
    free(out.p);
    gw_free(&w);
}

static void m_magic(gguf_writer *w, gw_buf *b, size_t *n) { (void)w; (void)n; b->p[0] = 'g'; }
static void m_version1(gguf_writer *w, gw_buf *b, size_t *n) { (void)w; (void)n; put_u32(b->p + 4, 1); }
static void m_version_be(gguf_writer *w, gw_buf *b, size_t *n) { (void)w; (void)n; put_u32(b->p + 4, 0x03000000); }
static void m_trunc_header(gguf_writer *w, gw_buf *b, size_t *n) { (void)w; (void)b; *n = 20; }
static void m_trunc_key(gguf_writer *w, gw_buf *b, size_t *n) { (void)b; *n = w->kv_start + 4; }
static void m_trunc_value(gguf_writer *w, gw_buf *b, size_t *n) {
    (void)b; /* inside "llama" of general.architecture: 8 + 20 key bytes + 4 type + 8 len + 2 */
    *n = w->kv_start + 8 + 20 + 4 + 8 + 2;
}
static void m_trunc_info(gguf_writer *w, gw_buf *b, size_t *n) { (void)b; *n = w->ti_pos[1] + 3; }
static void m_trunc_dims(gguf_writer *w, gw_buf *b, size_t *n) { (void)b; *n = w->ti_type_pos[2] - 2; }
static void m_trunc_data(gguf_writer *w, gw_buf *b, size_t *n) { (void)b; *n = w->data_pos[2] + 10; }
static void m_offset_oob(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u64(b->p + w->ti_offset_pos[1], 1ull << 40); }
static void m_offset_wrap(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u64(b->p + w->ti_offset_pos[1], UINT64_MAX - 31); }
static void m_misaligned(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u64(b->p + w->ti_offset_pos[1], 8); }
static void m_overlap(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u64(b->p + w->ti_offset_pos[2], 32); }
static void m_huge_tensors(gguf_writer *w, gw_buf *b, size_t *n) { (void)w; (void)n; put_u64(b->p + 8, 1ull << 40); }
static void m_huge_kv(gguf_writer *w, gw_buf *b, size_t *n) { (void)w; (void)n; put_u64(b->p + 16, 1ull << 62); }
static void m_unknown_type(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u32(b->p + w->ti_type_pos[1], 99); }
static void m_removed_type(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u32(b->p + w->ti_type_pos[1], 4); }
static void m_dup_tensor(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; b->p[w->ti_pos[2] + 9] = '0'; }
static void m_key_len(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u64(b->p + w->kv_start, 1ull << 50); }
static void m_value_type(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u32(b->p + w->kv_start + 28, 13); }
static void m_n_dims(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u32(b->p + w->ti_pos[0] + 10, 5); }
static void m_zero_dim(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u64(b->p + w->ti_pos[0] + 14, 0); }
static void m_block(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u64(b->p + w->ti_pos[0] + 14, 48); }
static void m_name_len(gguf_writer *w, gw_buf *b, size_t *n) { (void)n; put_u64(b->p + w->ti_pos[0], 1000); }

static void test_corrupt_header(void **state) {
    (void)state;
    with_small(m_magic, "not a GGUF file: magic is 67 47 55 46");
    with_small(m_version1, "GGUF version 1 is not supported (need 2 or 3)");
    with_small(m_version_be, "a big-endian file?");
    with_small(m_trunc_header, "truncated file: header needs 24 bytes");
    with_small(m_huge_tensors, "tensor info 3 (of 1099511627776)");
    with_small(m_huge_kv, "(of 4611686018427387904)");
}

static void test_corrupt_metadata(void **state) {
    (void)state;
    with_small(m_trunc_key, "truncated file: metadata key 0 (of 2) needs 8 bytes at offset 24");
    with_small(m_trunc_value, "truncated file: metadata 'general.architecture' value has length 5");
    with_small(m_key_len, "metadata key 0 (of 2) has length 1125899906842624");
    with_small(m_value_type, "metadata 'general.architecture' value: unknown value type 13");
}

static void test_corrupt_tensor_infos(void **state) {
    (void)state;
    with_small(m_trunc_info, "truncated file: tensor info 1 (of 3) name needs 8 bytes");
    with_small(m_trunc_dims, "truncated file: tensor 'w2' info needs 8 bytes");
    with_small(m_unknown_type, "tensor 'w1' has unknown ggml type 99");
    with_small(m_removed_type, "tensor 'w1' has unknown ggml type 4");
    with_small(m_dup_tensor, "duplicate tensor name 'w0'");
    with_small(m_n_dims, "tensor 'w0' info: n_dims 5, must be 1..4");
    with_small(m_zero_dim, "tensor 'w0' info: dim 0 is 0");
    with_small(m_block, "tensor 'w0': row of 48 elements is not a multiple of Q8_0's block size 32");
    with_small(m_name_len, "tensor info 0 (of 3) name has length 1000");
}

static void test_corrupt_data(void **state) {
    (void)state;
    with_small(m_trunc_data, "tensor 'w2' data [96, +18) lies outside the data section");
    with_small(m_offset_oob, "tensor 'w1' data [1099511627776, +20) lies outside");
    with_small(m_offset_wrap, "lies outside the data section");
    with_small(m_misaligned, "tensor 'w1' offset 8 is not a multiple of the alignment 32");
    with_small(m_overlap, "tensors 'w0' and 'w2' overlap");
}

/* Builds a file with one hand-made KV and expects the error. */
static void one_kv(void (*put)(gguf_writer *), const char *needle) {
    gguf_writer w;
    gw_init(&w, 0);
    put(&w);
    gw_buf out;
    gw_build(&w, &out);
    expect_bad(out.p, out.len, needle);
    free(out.p);
    gw_free(&w);
}

static void k_bool(gguf_writer *w) { gw_key(w, "flag", 7); gw_put(w, "\x02", 1); }
static void k_bool_arr(gguf_writer *w) { gw_key(w, "flags", 9); gw_put_arr(w, 7, 2); gw_put(w, "\x01\x05", 2); }
static void k_align(gguf_writer *w) { gw_kv_u32(w, "general.alignment", 48); }
static void k_align_type(gguf_writer *w) { gw_kv_str(w, "general.alignment", "32"); }
static void k_arr_huge(gguf_writer *w) { gw_key(w, "a", 9); gw_put_arr(w, 10, 1ull << 61); }
static void k_arr_strs(gguf_writer *w) { gw_key(w, "a", 9); gw_put_arr(w, 8, 1ull << 40); }
static void k_arr_elem(gguf_writer *w) { gw_key(w, "a", 9); gw_put_arr(w, 42, 1); gw_put_u32(w, 0); }
static void k_deep(gguf_writer *w) {
    gw_key(w, "deep", 9);
    for (int i = 0; i < 12; i++) gw_put_arr(w, 9, 1);
    gw_put_arr(w, 4, 0);
}
static void k_dup(gguf_writer *w) { gw_kv_u32(w, "x", 1); gw_kv_str(w, "y", "z"); gw_kv_u32(w, "x", 2); }
static void k_empty_key(gguf_writer *w) { gw_key(w, "", 4); gw_put_u32(w, 1); }
static void k_nul_key(gguf_writer *w) { gw_put_u64(w, 3); gw_put(w, "a\0b", 3); gw_put_u32(w, 4); gw_put_u32(w, 1); w->n_kv++; }

static void test_corrupt_values(void **state) {
    (void)state;
    one_kv(k_bool, "metadata 'flag' value: bool byte is 2");
    one_kv(k_bool_arr, "metadata 'flags' value: bool byte is 5");
    one_kv(k_align, "general.alignment 48 is not a power of two");
    one_kv(k_align_type, "general.alignment is STRING, must be UINT32");
    one_kv(k_arr_huge, "metadata 'a' value claims 2305843009213693952 UINT64 elements");
    one_kv(k_arr_strs, "claims 1099511627776 STRING elements");
    one_kv(k_arr_elem, "unknown array element type 42");
    one_kv(k_deep, "metadata 'deep' value: arrays nested deeper than 8");
    one_kv(k_dup, "duplicate metadata key 'x'");
    one_kv(k_empty_key, "metadata key 0 (of 1): length 0");
    one_kv(k_nul_key, "metadata key 0 (of 1): length 3, must be 1..65535 bytes without NUL");
}

static void test_unopenable(void **state) {
    (void)state;
    aia_gguf *g = (aia_gguf *)1;
    aia_error err;
    assert_int_equal(aia_gguf_open(tmp_path("does-not-exist.gguf"), &g, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "does-not-exist.gguf"));
    assert_null(g);
    const char *dir = getenv("TEST_TMPDIR");
    assert_int_equal(aia_gguf_open(dir ? dir : "/tmp", &g, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "is not a regular file"));
    aia_gguf_close(NULL);
}

/* Every proper prefix of a valid file fails; random corruptions never crash. */
static void test_every_truncation_and_random_flips(void **state) {
    (void)state;
    gguf_writer w;
    gw_init(&w, 64);
    add_all_metadata(&w);
    add_all_tensors(&w);
    gw_buf out;
    gw_build(&w, &out);
    aia_error err;
    aia_gguf *g;
    const char *path = tmp_path("t.gguf");
    for (size_t n = 0; n < out.len; n += (n < w.data_start ? 1 : 97)) {
        assert_int_equal(gw_write_file(path, out.p, n), 0);
        assert_int_equal(aia_gguf_open(path, &g, &err), AIA_INVALID_ARGUMENT);
        /* Cut in the header, metadata or infos: "truncated file: <what>"; cut in
         * the padding or data: the tensor that no longer fits. */
        if (!strstr(err.message, "truncated file: ") &&
            !strstr(err.message, "lies outside the data section"))
            fail_msg("prefix of %zu bytes: %s", n, err.message);
    }
    uint8_t *copy = malloc(out.len);
    int ok = 0;
    for (int it = 0; it < 1500; it++) {
        memcpy(copy, out.p, out.len);
        int flips = 1 + (int)(rnd() % 4);
        for (int f = 0; f < flips; f++) copy[rnd() % w.data_start] ^= (uint8_t)(1u << (rnd() % 8));
        if (open_bytes(copy, out.len, &g, &err) == AIA_OK) {
            ok++;
            for (size_t i = 0; i < aia_gguf_tensor_count(g); i++) { /* touch every byte */
                const aia_gguf_tensor *t = aia_gguf_tensor_at(g, i);
                unsigned sum = 0;
                for (uint64_t k = 0; k < t->n_bytes; k++) sum += ((const uint8_t *)t->data)[k];
                (void)sum;
            }
            aia_gguf_close(g);
        } else {
            assert_int_not_equal(err.message[0], '\0');
        }
    }
    assert_true(ok < 1500); /* the flips did find errors */
    free(copy);
    free(out.p);
    gw_free(&w);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_default_alignment),
        cmocka_unit_test(test_round_trip_alignment_32),
        cmocka_unit_test(test_round_trip_alignment_64),
        cmocka_unit_test(test_round_trip_version_2),
        cmocka_unit_test(test_empty_file_without_tensors),
        cmocka_unit_test(test_corrupt_header),
        cmocka_unit_test(test_corrupt_metadata),
        cmocka_unit_test(test_corrupt_tensor_infos),
        cmocka_unit_test(test_corrupt_data),
        cmocka_unit_test(test_corrupt_values),
        cmocka_unit_test(test_unopenable),
        cmocka_unit_test(test_every_truncation_and_random_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
