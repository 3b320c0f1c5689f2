/* tests/unit/oip/inference_tensor_test.c — Open Inference Protocol tensors
 * to model cells and back (server/services/inference_tensor.c), with no
 * server and no model: the schema is three features, "age" (numeric),
 * "color" (categorical) and "member" (boolean), or the numeric-only "x0",
 * "x1", "x2".
 *
 * Requests are built as protobuf-c messages, as the runtime would have
 * decoded them; raw contents are packed by hand as the wire has them
 * (little-endian, BYTES as a 4-byte length and the bytes). Every rejection
 * is checked for its code and for the words that name the tensor and why.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>

#include "server/services/inference_tensor.h"

/* ---- schemas ------------------------------------------------------------------ */

typedef struct fake_schema {
    const char *const *names;
    const aia_column_type *types;
    size_t n;
} fake_schema;

static aia_column_type fake_type(const void *ctx, size_t i) { return ((const fake_schema *)ctx)->types[i]; }
static const char *fake_name(const void *ctx, size_t i) { return ((const fake_schema *)ctx)->names[i]; }
static long fake_index(const void *ctx, const char *name)
{
    const fake_schema *s = ctx;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0) return (long)i;
    return -1;
}

static const char *const k_mixed_names[] = {"age", "color", "member"};
static const aia_column_type k_mixed_types[] = {AIA_COLUMN_NUMERIC, AIA_COLUMN_CATEGORICAL, AIA_COLUMN_BOOLEAN};
static const fake_schema k_mixed = {k_mixed_names, k_mixed_types, 3};

static const char *const k_num_names[] = {"x0", "x1", "x2"};
static const aia_column_type k_num_types[] = {AIA_COLUMN_NUMERIC, AIA_COLUMN_NUMERIC, AIA_COLUMN_BOOLEAN};
static const fake_schema k_num = {k_num_names, k_num_types, 3};

static aia_oip_schema schema_of(const fake_schema *f)
{
    return (aia_oip_schema){.n_features = f->n, .ctx = f, .type = fake_type, .name = fake_name, .index = fake_index};
}

/* ---- request building -------------------------------------------------------- */

typedef Inference__ModelInferRequest__InferInputTensor input_t;

typedef struct req_builder {
    Inference__ModelInferRequest req;
    input_t in[8];
    input_t *inp[8];
    Inference__InferTensorContents c[8];
    int64_t shape[8][3];
    ProtobufCBinaryData raw[8];
} req_builder;

static req_builder *builder(void)
{
    req_builder *b = test_calloc(1, sizeof *b);
    inference__model_infer_request__init(&b->req);
    b->req.inputs = b->inp;
    b->req.raw_input_contents = b->raw;
    return b;
}

/* Adds an input with typed contents (filled by the caller through the
 * returned contents) and a shape of 1 to 3 dimensions (-2 ends it). */
static Inference__InferTensorContents *add(req_builder *b, const char *name, const char *dt, int64_t d0, int64_t d1)
{
    size_t k = b->req.n_inputs++;
    input_t *in = &b->in[k];
    inference__model_infer_request__infer_input_tensor__init(in);
    inference__infer_tensor_contents__init(&b->c[k]);
    in->name = (char *)name;
    in->datatype = (char *)dt;
    b->shape[k][0] = d0;
    b->shape[k][1] = d1;
    in->shape = b->shape[k];
    in->n_shape = d1 == -2 ? 1 : 2;
    in->contents = &b->c[k];
    b->inp[k] = in;
    return &b->c[k];
}

/* Turns input k into a raw one with these bytes. */
static void set_raw(req_builder *b, size_t k, const void *bytes, size_t len)
{
    b->in[k].contents = NULL;
    b->raw[k] = (ProtobufCBinaryData){len, (uint8_t *)bytes};
    if (b->req.n_raw_input_contents < k + 1) b->req.n_raw_input_contents = k + 1;
}

typedef struct fixture {
    aia_arena a;
    aia_error err;
    aia_oip_batch batch;
} fixture;

static aia_status decode(fixture *f, req_builder *b, const fake_schema *s)
{
    aia_oip_schema schema = schema_of(s);
    return aia_oip_decode_inputs(&b->req, &schema, &f->a, &f->batch, &f->err);
}

static void expect_error(fixture *f, aia_status st, aia_status code, ...)
{
    if (st != code)
        fail_msg("status %s, wanted %s (message: %s)", aia_status_name(st), aia_status_name(code), f->err.message);
    va_list ap;
    va_start(ap, code);
    for (const char *frag; (frag = va_arg(ap, const char *));)
        if (!strstr(f->err.message, frag)) fail_msg("message lacks \"%s\": %s", frag, f->err.message);
    va_end(ap);
}

static int setup(void **state)
{
    fixture *f = test_calloc(1, sizeof *f);
    aia_arena_init(&f->a, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    aia_arena_destroy(&f->a);
    test_free(f);
    return 0;
}

static double cell(const fixture *f, size_t r, size_t j) { return f->batch.cells[r * 3 + j].number; }

/* ---- the matrix form ------------------------------------------------------------ */

static void test_matrix_fp64_typed(void **state)
{
    fixture *f = *state;
    req_builder *b = builder();
    double v[] = {1.5, -2, 1, NAN, 4.25, 0};
    Inference__InferTensorContents *c = add(b, "input-0", "FP64", 2, 3);
    c->fp64_contents = v;
    c->n_fp64_contents = 6;
    assert_int_equal(decode(f, b, &k_num), AIA_OK);
    assert_int_equal(f->batch.rows, 2);
    assert_false(f->batch.raw);
    assert_true(cell(f, 0, 0) == 1.5 && cell(f, 0, 1) == -2 && cell(f, 0, 2) == 1);
    assert_true(isnan(cell(f, 1, 0)) && cell(f, 1, 1) == 4.25 && cell(f, 1, 2) == 0);
    for (size_t i = 0; i < 6; i++) assert_null(f->batch.cells[i].text);
    test_free(b);
}

static void test_matrix_aliases_and_types(void **state)
{
    fixture *f = *state;
    const char *names[] = {"input__0", "input_0", "features"};
    for (size_t k = 0; k < 3; k++) {
        req_builder *b = builder();
        int64_t v[] = {3, -1, 1};
        Inference__InferTensorContents *c = add(b, names[k], "INT64", 1, 3);
        c->int64_contents = v;
        c->n_int64_contents = 3;
        assert_int_equal(decode(f, b, &k_num), AIA_OK);
        assert_true(cell(f, 0, 0) == 3 && cell(f, 0, 1) == -1 && cell(f, 0, 2) == 1);
        test_free(b);
    }
    req_builder *b = builder();
    float fv[] = {0.5f, 2.0f, 0.0f};
    Inference__InferTensorContents *c = add(b, "input-0", "FP32", 1, 3);
    c->fp32_contents = fv;
    c->n_fp32_contents = 3;
    assert_int_equal(decode(f, b, &k_num), AIA_OK);
    assert_true(cell(f, 0, 0) == 0.5 && cell(f, 0, 1) == 2.0 && cell(f, 0, 2) == 0);
    test_free(b);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void test_matrix_raw(void **state)
{
    fixture *f = *state;
    /* FP64 raw, little-endian, with a NaN (missing). */
    double v[] = {7.0, NAN, 1.0};
    uint8_t raw[24];
    for (int i = 0; i < 3; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i], 8);
        put_le(raw + 8 * i, bits, 8);
    }
    req_builder *b = builder();
    add(b, "input-0", "FP64", 1, 3);
    set_raw(b, 0, raw, sizeof raw);
    assert_int_equal(decode(f, b, &k_num), AIA_OK);
    assert_true(f->batch.raw);
    assert_true(cell(f, 0, 0) == 7.0 && isnan(cell(f, 0, 1)) && cell(f, 0, 2) == 1.0);
    test_free(b);

    /* INT32 and FP32 raw. */
    uint8_t r32[12];
    put_le(r32, (uint32_t)-5, 4);
    put_le(r32 + 4, 9, 4);
    put_le(r32 + 8, 0, 4);
    b = builder();
    add(b, "input-0", "INT32", 1, 3);
    set_raw(b, 0, r32, sizeof r32);
    assert_int_equal(decode(f, b, &k_num), AIA_OK);
    assert_true(cell(f, 0, 0) == -5 && cell(f, 0, 1) == 9 && cell(f, 0, 2) == 0);
    test_free(b);

    float fv = 2.5f;
    uint32_t fb;
    memcpy(&fb, &fv, 4);
    put_le(r32, fb, 4);
    put_le(r32 + 4, fb, 4);
    put_le(r32 + 8, 0, 4);
    b = builder();
    add(b, "input-0", "FP32", 1, 3);
    set_raw(b, 0, r32, sizeof r32);
    assert_int_equal(decode(f, b, &k_num), AIA_OK);
    assert_true(cell(f, 0, 0) == 2.5 && cell(f, 0, 1) == 2.5 && cell(f, 0, 2) == 0);
    test_free(b);
}

static void test_matrix_bytes_with_categories(void **state)
{
    fixture *f = *state;
    req_builder *b = builder();
    ProtobufCBinaryData el[] = {{2, (uint8_t *)"42"}, {3, (uint8_t *)"red"}, {1, (uint8_t *)"1"},
                                {0, (uint8_t *)""},   {4, (uint8_t *)"blue"}, {3, (uint8_t *)"0.0"}};
    Inference__InferTensorContents *c = add(b, "input-0", "BYTES", 2, 3);
    c->bytes_contents = el;
    c->n_bytes_contents = 6;
    assert_int_equal(decode(f, b, &k_mixed), AIA_OK);
    assert_true(cell(f, 0, 0) == 42 && cell(f, 0, 2) == 1);
    assert_string_equal(f->batch.cells[1].text, "red");
    assert_true(isnan(cell(f, 1, 0)));
    assert_string_equal(f->batch.cells[4].text, "blue");
    assert_true(cell(f, 1, 2) == 0);
    test_free(b);
}

/* ---- the per-feature form ----------------------------------------------------------- */

static void test_features_typed(void **state)
{
    fixture *f = *state;
    req_builder *b = builder();
    protobuf_c_boolean member[] = {1, 0};
    ProtobufCBinaryData color[] = {{3, (uint8_t *)"red"}, {5, (uint8_t *)"green"}};
    double age[] = {30, NAN};
    Inference__InferTensorContents *c = add(b, "member", "BOOL", 2, -2);
    c->bool_contents = member;
    c->n_bool_contents = 2;
    c = add(b, "color", "BYTES", 2, 1);
    c->bytes_contents = color;
    c->n_bytes_contents = 2;
    c = add(b, "age", "FP64", 2, -2);
    c->fp64_contents = age;
    c->n_fp64_contents = 2;
    assert_int_equal(decode(f, b, &k_mixed), AIA_OK);
    assert_int_equal(f->batch.rows, 2);
    assert_true(cell(f, 0, 0) == 30 && isnan(cell(f, 1, 0)));
    assert_string_equal(f->batch.cells[0 * 3 + 1].text, "red");
    assert_string_equal(f->batch.cells[1 * 3 + 1].text, "green");
    assert_true(cell(f, 0, 2) == 1 && cell(f, 1, 2) == 0);
    test_free(b);
}

static void test_features_raw_bytes(void **state)
{
    fixture *f = *state;
    uint8_t colors[4 + 3 + 4 + 0];
    put_le(colors, 3, 4);
    memcpy(colors + 4, "red", 3);
    put_le(colors + 7, 0, 4);
    uint8_t age[16], member[2] = {1, 0};
    double a0 = 1.25, a1 = -3;
    uint64_t bits;
    memcpy(&bits, &a0, 8);
    put_le(age, bits, 8);
    memcpy(&bits, &a1, 8);
    put_le(age + 8, bits, 8);
    req_builder *b = builder();
    add(b, "age", "FP64", 2, -2);
    add(b, "color", "BYTES", 2, -2);
    add(b, "member", "BOOL", 2, 1);
    set_raw(b, 0, age, sizeof age);
    set_raw(b, 1, colors, sizeof colors);
    set_raw(b, 2, member, sizeof member);
    assert_int_equal(decode(f, b, &k_mixed), AIA_OK);
    assert_true(f->batch.raw);
    assert_true(cell(f, 0, 0) == 1.25 && cell(f, 1, 0) == -3);
    assert_string_equal(f->batch.cells[1].text, "red");
    assert_null(f->batch.cells[4].text); /* an empty category is a missing value, as an empty CSV cell is */
    assert_true(cell(f, 0, 2) == 1 && cell(f, 1, 2) == 0);
    test_free(b);
}

/* ---- rejections -------------------------------------------------------------------- */

static void test_shape_errors(void **state)
{
    fixture *f = *state;
    double v[6] = {0};
    req_builder *b = builder();
    Inference__InferTensorContents *c = add(b, "input-0", "FP64", 1, 2);
    c->fp64_contents = v;
    c->n_fp64_contents = 2;
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'input-0'", "[1,2]", "[batch, 3]", NULL);
    test_free(b);

    b = builder();
    c = add(b, "input-0", "FP64", 3, -2);
    c->fp64_contents = v;
    c->n_fp64_contents = 3;
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'input-0'", "shape [3]", NULL);
    test_free(b);

    b = builder();
    c = add(b, "x0", "FP64", 2, 2);
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'x0'", "[batch] or [batch, 1]", NULL);
    test_free(b);

    b = builder();
    add(b, "input-0", "FP64", 0, 3);
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'input-0' has no rows", NULL);
    test_free(b);

    b = builder();
    add(b, "input-0", "FP64", -1, 3);
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'input-0'", "out of range", NULL);
    test_free(b);
}

static void test_count_and_field_errors(void **state)
{
    fixture *f = *state;
    double v[6] = {0};
    int64_t iv[3] = {0};
    req_builder *b = builder();
    Inference__InferTensorContents *c = add(b, "input-0", "FP64", 2, 3);
    c->fp64_contents = v;
    c->n_fp64_contents = 5;
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'input-0' has 5 values in contents.fp64_contents",
                 "needs 6", NULL);
    test_free(b);

    b = builder();
    c = add(b, "input-0", "FP64", 1, 3);
    c->int64_contents = iv;
    c->n_int64_contents = 3;
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'input-0' is FP64",
                 "contents.int64_contents", NULL);
    test_free(b);

    b = builder();
    add(b, "input-0", "FP64", 1, 3);
    b->in[0].contents = NULL;
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'input-0' has no data", NULL);
    test_free(b);

    b = builder();
    add(b, "input-0", "FP16", 1, 3);
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'input-0'", "'FP16'", "not supported",
                 NULL);
    test_free(b);
}

static void test_raw_errors(void **state)
{
    fixture *f = *state;
    uint8_t raw[32] = {0};
    req_builder *b = builder();
    add(b, "input-0", "FP64", 1, 3);
    set_raw(b, 0, raw, 23);
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "raw_input_contents[0]", "input 'input-0'",
                 "23 bytes", "needs 24", NULL);
    test_free(b);

    /* Raw for one input of two. */
    b = builder();
    add(b, "x0", "FP64", 1, -2);
    add(b, "x1", "FP64", 1, -2);
    set_raw(b, 0, raw, 8);
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "raw_input_contents has 1 entries for 2 inputs",
                 NULL);
    test_free(b);

    /* Typed contents next to raw. */
    b = builder();
    add(b, "x0", "FP64", 1, -2);
    add(b, "x1", "FP64", 1, -2);
    add(b, "x2", "FP64", 1, -2);
    set_raw(b, 0, raw, 8);
    set_raw(b, 2, raw, 8);
    b->raw[1] = (ProtobufCBinaryData){8, raw};
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'x1' has contents", NULL);
    test_free(b);

    /* BYTES: truncated length, element past the end, trailing bytes. */
    uint8_t bytes[16];
    put_le(bytes, 3, 4);
    memcpy(bytes + 4, "red", 3);
    b = builder();
    add(b, "color", "BYTES", 2, -2);
    set_raw(b, 0, bytes, 9);
    expect_error(f, decode(f, b, &k_mixed), AIA_INVALID_ARGUMENT, "raw_input_contents[0]", "input 'color'",
                 "ends before element 1", NULL);
    test_free(b);
    b = builder();
    add(b, "color", "BYTES", 1, -2);
    set_raw(b, 0, bytes, 6);
    expect_error(f, decode(f, b, &k_mixed), AIA_INVALID_ARGUMENT, "claims 3 bytes but only 2 remain", NULL);
    test_free(b);
    b = builder();
    add(b, "color", "BYTES", 1, -2);
    set_raw(b, 0, bytes, 9);
    expect_error(f, decode(f, b, &k_mixed), AIA_INVALID_ARGUMENT, "has 2 bytes after its 1 elements", NULL);
    test_free(b);
}

static void test_input_set_errors(void **state)
{
    fixture *f = *state;
    double v[2] = {1, 2};
    req_builder *b = builder();
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "no inputs", "'input-0' [batch, 3]", NULL);
    test_free(b);

    b = builder();
    add(b, "bogus", "FP64", 1, 3)->n_fp64_contents = 0;
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "unknown input 'bogus'", "'input-0'", NULL);
    test_free(b);

    /* Missing feature. */
    b = builder();
    Inference__InferTensorContents *c = add(b, "x0", "FP64", 1, -2);
    c->fp64_contents = v;
    c->n_fp64_contents = 1;
    c = add(b, "x2", "FP64", 1, -2);
    c->fp64_contents = v;
    c->n_fp64_contents = 1;
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "missing input 'x1'", NULL);
    test_free(b);

    /* Twice the same. */
    b = builder();
    for (int k = 0; k < 2; k++) {
        c = add(b, "x0", "FP64", 1, -2);
        c->fp64_contents = v;
        c->n_fp64_contents = 1;
    }
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'x0' appears more than once", NULL);
    test_free(b);

    /* Batch sizes differ. */
    b = builder();
    c = add(b, "x0", "FP64", 1, -2);
    c->fp64_contents = v;
    c->n_fp64_contents = 1;
    c = add(b, "x1", "FP64", 2, -2);
    c->fp64_contents = v;
    c->n_fp64_contents = 2;
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'x1' has batch size 2 but input 'x0' has 1",
                 NULL);
    test_free(b);

    /* Matrix and features mixed. */
    b = builder();
    c = add(b, "x0", "FP64", 1, -2);
    c->fp64_contents = v;
    c->n_fp64_contents = 1;
    add(b, "input-0", "FP64", 1, 3);
    expect_error(f, decode(f, b, &k_num), AIA_INVALID_ARGUMENT, "input 'input-0'", "cannot be combined", NULL);
    test_free(b);
}

static void test_value_errors(void **state)
{
    fixture *f = *state;
    /* A categorical feature sent as numbers. */
    double v[3] = {1, 2, 1};
    req_builder *b = builder();
    Inference__InferTensorContents *c = add(b, "input-0", "FP64", 1, 3);
    c->fp64_contents = v;
    c->n_fp64_contents = 3;
    expect_error(f, decode(f, b, &k_mixed), AIA_INVALID_ARGUMENT, "feature 'color' is categorical", "BYTES", NULL);
    test_free(b);

    /* Text that is not a number for a numeric feature. */
    ProtobufCBinaryData el[] = {{5, (uint8_t *)"forty"}, {3, (uint8_t *)"red"}, {1, (uint8_t *)"1"}};
    b = builder();
    c = add(b, "input-0", "BYTES", 1, 3);
    c->bytes_contents = el;
    c->n_bytes_contents = 3;
    expect_error(f, decode(f, b, &k_mixed), AIA_INVALID_ARGUMENT, "feature 'age'", "not a number", "forty", NULL);
    test_free(b);

    /* A NUL inside a category. */
    ProtobufCBinaryData nul[] = {{1, (uint8_t *)"1"}, {3, (uint8_t *)"r\0d"}, {1, (uint8_t *)"1"}};
    b = builder();
    c = add(b, "input-0", "BYTES", 1, 3);
    c->bytes_contents = nul;
    c->n_bytes_contents = 3;
    expect_error(f, decode(f, b, &k_mixed), AIA_INVALID_ARGUMENT, "feature 'color'", "NUL byte", NULL);
    test_free(b);
}

/* ---- outputs ------------------------------------------------------------------------ */

static void test_outputs(void **state)
{
    fixture *f = *state;
    double p[] = {0.25, 0.75, 1, 0};
    ProtobufCBinaryData raw = {0, NULL};
    Inference__ModelInferResponse__InferOutputTensor *o = aia_oip_output_fp64(&f->a, "probabilities", p, 2, 2, 0, NULL);
    assert_non_null(o);
    assert_string_equal(o->datatype, "FP64");
    assert_int_equal(o->n_shape, 2);
    assert_true(o->shape[0] == 2 && o->shape[1] == 2);
    assert_int_equal(o->contents->n_fp64_contents, 4);
    assert_true(o->contents->fp64_contents[1] == 0.75);

    o = aia_oip_output_fp64(&f->a, "value", p, 4, 0, 1, &raw);
    assert_non_null(o);
    assert_null(o->contents);
    assert_int_equal(o->n_shape, 1);
    assert_int_equal(raw.len, 32);
    uint64_t bits = 0;
    for (int i = 7; i >= 0; i--) bits = bits << 8 | raw.data[8 + i];
    double d;
    memcpy(&d, &bits, 8);
    assert_true(d == 0.75);

    const char *labels[] = {"yes", ""};
    o = aia_oip_output_bytes(&f->a, "label", labels, 2, 1, &raw);
    assert_non_null(o);
    assert_string_equal(o->datatype, "BYTES");
    assert_int_equal(raw.len, 4 + 3 + 4);
    assert_memory_equal(raw.data, "\x03\x00\x00\x00yes\x00\x00\x00\x00", 11);
    o = aia_oip_output_bytes(&f->a, "label", labels, 2, 0, NULL);
    assert_int_equal(o->contents->n_bytes_contents, 2);
    assert_int_equal(o->contents->bytes_contents[0].len, 3);
    assert_int_equal(o->contents->bytes_contents[1].len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_matrix_fp64_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matrix_aliases_and_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matrix_raw, setup, teardown),
        cmocka_unit_test_setup_teardown(test_matrix_bytes_with_categories, setup, teardown),
        cmocka_unit_test_setup_teardown(test_features_typed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_features_raw_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_shape_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_count_and_field_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_raw_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_input_set_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_value_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outputs, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
