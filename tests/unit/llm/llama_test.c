/* tests/unit/llm/llama_test.c — the llama forward pass on tiny GGUFs with
 * seeded random weights (2 layers, dim 64, 4 heads, 2 kv heads, ffn 96,
 * vocab 100), written here with gguf_writer.
 *
 * As a cmocka test: batching, thread count and rewinding the cache do not
 * change the logits; the fast path stays close to the exact one; load and
 * eval errors name what is wrong.
 * With `--dump DIR` it writes, for each weight type, DIR/<name>.gguf and
 * DIR/<name>.json (the tokens, positions and exact-path logits of a prompt
 * batch followed by single tokens); llama_reference.py computes the same
 * logits from the GGUF in float64 with numpy and compares (the
 * llama_reference_test target). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/llm/gguf.h"
#include "lib/llm/llama.h"
#include "lib/llm/quant.h"
#include "tests/unit/llm/gguf_writer.h"

enum { N_LAYER = 2, N_EMBD = 64, N_HEAD = 4, N_HEAD_KV = 2, HEAD_DIM = 16, N_FF = 96, N_VOCAB = 100, N_CTX = 64 };

/* How to build a model; the zero value is a good F32 model. */
typedef struct model_opts {
    uint32_t type;          /* weight type of every matrix */
    int untied;             /* write output.weight (F16) */
    const char *omit;       /* tensor left out */
    const char *reshape;    /* tensor written with one row too few */
    const char *retype;     /* tensor written as Q5_0 (no kernels) */
    const char *arch;       /* general.architecture, default "llama" */
    int omit_head_count;    /* leave out llama.attention.head_count */
    uint32_t n_head_kv;     /* 0: N_HEAD_KV */
    uint32_t n_rot;         /* 0: HEAD_DIM (rope over whole heads) */
    uint64_t seed;
} model_opts;

static uint64_t g_state;

static uint32_t rnd(void) {
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return (uint32_t)(g_state >> 16);
}

static float uni(float a, float b) { return a + (b - a) * (float)(rnd() & 0xffffff) / 16777216.0f; }

static void put16(uint8_t *p, float f) {
    uint16_t h = aia_fp32_to_fp16(f);
    memcpy(p, &h, 2);
}

/* Random rows x cols of `type` with element magnitudes around 0.15. */
static uint8_t *random_matrix(uint32_t type, size_t rows, size_t cols, size_t *n_bytes) {
    uint64_t rb = 0;
    assert_int_equal(aia_quant_row_bytes(type, cols, &rb, NULL), AIA_OK);
    *n_bytes = rows * rb;
    uint8_t *p = malloc(*n_bytes);
    assert_non_null(p);
    size_t nb = rows * cols / 32;
    switch (type) {
    case AIA_GGML_F32:
        for (size_t i = 0; i < rows * cols; i++) ((float *)p)[i] = uni(-0.15f, 0.15f);
        break;
    case AIA_GGML_F16:
        for (size_t i = 0; i < rows * cols; i++) put16(p + 2 * i, uni(-0.15f, 0.15f));
        break;
    case AIA_GGML_Q8_0:
        for (size_t b = 0; b < nb; b++) {
            put16(p + 34 * b, uni(0.0009f, 0.0015f));
            for (int j = 0; j < 32; j++) p[34 * b + 2 + j] = (uint8_t)(rnd() & 0xff);
        }
        break;
    case AIA_GGML_Q4_0:
        for (size_t b = 0; b < nb; b++) {
            put16(p + 18 * b, uni(0.015f, 0.025f));
            for (int j = 0; j < 16; j++) p[18 * b + 2 + j] = (uint8_t)(rnd() & 0xff);
        }
        break;
    default: /* Q4_1 and Q5_0 (the latter only has to be the right size) */
        for (size_t b = 0; b < nb; b++) {
            size_t bb = *n_bytes / nb;
            put16(p + bb * b, uni(0.015f, 0.025f));
            put16(p + bb * b + 2, uni(-0.18f, -0.12f));
            for (size_t j = 4; j < bb; j++) p[bb * b + j] = (uint8_t)(rnd() & 0xff);
        }
        break;
    }
    return p;
}

typedef struct built {
    uint8_t *data[GW_MAX_TENSORS];
    size_t n;
} built;

static void add_tensor(gguf_writer *w, built *b, const model_opts *o, const char *name, uint32_t type,
                       size_t cols, size_t rows, int is_norm) {
    if (o->omit && strcmp(o->omit, name) == 0) return;
    if (o->reshape && strcmp(o->reshape, name) == 0) {
        if (is_norm) cols--;
        else rows--;
    }
    if (o->retype && strcmp(o->retype, name) == 0) type = AIA_GGML_Q5_0;
    size_t n_bytes = 0;
    uint8_t *p;
    if (is_norm) {
        n_bytes = cols * sizeof(float);
        p = malloc(n_bytes);
        assert_non_null(p);
        for (size_t i = 0; i < cols; i++) ((float *)p)[i] = uni(0.8f, 1.2f);
    } else {
        p = random_matrix(type, rows, cols, &n_bytes);
    }
    uint64_t dims[2] = {cols, rows};
    gw_tensor(w, name, type, is_norm ? 1 : 2, dims, p, n_bytes);
    b->data[b->n++] = p;
}

typedef struct layer_ctx {
    gguf_writer *w;
    built *b;
    const model_opts *o;
    uint32_t type; /* of the matrices; norms are F32 */
} layer_ctx;

static void add_layer_tensor(void *ctx, const char *name, size_t cols, size_t rows, int is_norm) {
    layer_ctx *c = ctx;
    add_tensor(c->w, c->b, c->o, name, is_norm ? AIA_GGML_F32 : c->type, cols, rows, is_norm);
}

/* Writes the model to path. */
static void write_model(const char *path, const model_opts *o) {
    g_state = 0x9e3779b97f4a7c15ull ^ (o->seed * 0x2545f4914f6cdd1dull + o->type + 1);
    gguf_writer w;
    gw_init(&w, 0);
    gw_kv_str(&w, "general.architecture", o->arch ? o->arch : "llama");
    gw_kv_u32(&w, "llama.block_count", N_LAYER);
    gw_kv_u32(&w, "llama.context_length", N_CTX);
    gw_kv_u32(&w, "llama.embedding_length", N_EMBD);
    gw_kv_u32(&w, "llama.feed_forward_length", N_FF);
    if (!o->omit_head_count) gw_kv_u32(&w, "llama.attention.head_count", N_HEAD);
    uint32_t n_kv = o->n_head_kv ? o->n_head_kv : N_HEAD_KV;
    gw_kv_u32(&w, "llama.attention.head_count_kv", n_kv);
    gw_kv_u32(&w, "llama.rope.dimension_count", o->n_rot ? o->n_rot : HEAD_DIM);
    gw_kv_f32(&w, "llama.rope.freq_base", 10000.0f);
    gw_kv_f32(&w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    built b = {{0}, 0};
    uint32_t t = o->type;
    add_tensor(&w, &b, o, "token_embd.weight", t, N_EMBD, N_VOCAB, 0);
    add_tensor(&w, &b, o, "output_norm.weight", AIA_GGML_F32, N_EMBD, 1, 1);
    if (o->untied) add_tensor(&w, &b, o, "output.weight", AIA_GGML_F16, N_EMBD, N_VOCAB, 0);
    layer_ctx lc = {&w, &b, o, t};
    gw_llama_dims dims = {N_EMBD, N_HEAD, n_kv, HEAD_DIM, N_FF};
    for (int l = 0; l < N_LAYER; l++) gw_llama_layer(&dims, l, add_layer_tensor, &lc);
    gw_buf out = {0};
    gw_build(&w, &out);
    if (gw_write_file(path, out.p, out.len) != 0) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    free(out.p);
    gw_free(&w);
    for (size_t i = 0; i < b.n; i++) free(b.data[i]);
}

static const char *tmp_path(const char *name) {
    static char buf[4096];
    const char *dir = getenv("TEST_TMPDIR");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "/tmp", name);
    return buf;
}

/* Builds, opens and loads a model; returns the load status. */
static aia_status load_model(const model_opts *o, aia_gguf **g, aia_llama **m, aia_error *err) {
    const char *path = tmp_path("llama_test.gguf");
    write_model(path, o);
    assert_int_equal(aia_gguf_open(path, g, err), AIA_OK);
    return aia_llama_load(*g, m, err);
}

/* The evaluation schedule the reference checks: a prompt batch longer than
 * one internal batch (32), then single tokens at the following positions. */
enum { PROMPT = 37, SINGLES = 3 };
static void schedule(int32_t *tokens) {
    uint64_t s = 12345;
    for (int i = 0; i < PROMPT + SINGLES; i++) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        tokens[i] = (int32_t)((s >> 33) % N_VOCAB);
    }
}

/* ---- dump mode (for llama_reference.py) ------------------------------------- */

static void write_floats(FILE *f, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%.9g", i ? ", " : "", (double)v[i]);
}

static void write_eval(FILE *f, const int32_t *tok, size_t n, size_t pos, const float *exact,
                       const float *fast, int last) {
    fprintf(f, "  {\"pos\": %zu, \"tokens\": [", pos);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%d", i ? ", " : "", tok[i]);
    fprintf(f, "],\n   \"logits\": [");
    write_floats(f, exact, N_VOCAB);
    fprintf(f, "],\n   \"logits_fast\": [");
    write_floats(f, fast, N_VOCAB);
    fprintf(f, "]}%s\n", last ? "" : ",");
}

static int dump_one(const char *dir, const char *name, const model_opts *o) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.gguf", dir, name);
    write_model(path, o);
    aia_error err;
    aia_gguf *g = NULL;
    aia_llama *m = NULL;
    aia_llama_ctx *exact = NULL, *fast = NULL;
    if (aia_gguf_open(path, &g, &err) != AIA_OK || aia_llama_load(g, &m, &err) != AIA_OK ||
        aia_llama_context_create(m, N_CTX, 2, &exact, &err) != AIA_OK ||
        aia_llama_context_create(m, N_CTX, 2, &fast, &err) != AIA_OK) {
        fprintf(stderr, "%s: %s\n", name, err.message);
        return 1;
    }
    aia_llama_set_exact(exact, 1);
    snprintf(path, sizeof path, "%s/%s.json", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) return 1;
    fprintf(f, "{\"evals\": [\n");
    int32_t tok[PROMPT + SINGLES];
    schedule(tok);
    float le[N_VOCAB], lf[N_VOCAB];
    for (int i = 0; i <= SINGLES; i++) {
        size_t pos = i == 0 ? 0 : PROMPT + (size_t)i - 1, n = i == 0 ? PROMPT : 1;
        if (aia_llama_eval(exact, tok + pos, n, pos, le, &err) != AIA_OK ||
            aia_llama_eval(fast, tok + pos, n, pos, lf, &err) != AIA_OK) {
            fprintf(stderr, "%s: %s\n", name, err.message);
            fclose(f);
            return 1;
        }
        write_eval(f, tok + pos, n, pos, le, lf, i == SINGLES);
    }
    fprintf(f, "]}\n");
    fclose(f);
    aia_llama_context_destroy(exact);
    aia_llama_context_destroy(fast);
    aia_llama_free(m);
    aia_gguf_close(g);
    return 0;
}

static int dump(const char *dir) {
    static const struct {
        const char *name;
        model_opts o;
    } models[] = {
        {"f32", {.type = AIA_GGML_F32}},   {"f16", {.type = AIA_GGML_F16}},
        {"q8_0", {.type = AIA_GGML_Q8_0}}, {"q4_0", {.type = AIA_GGML_Q4_0}},
        {"q4_1", {.type = AIA_GGML_Q4_1}}, {"q4_1_untied", {.type = AIA_GGML_Q4_1, .untied = 1}},
        /* no grouping (4 kv heads) and RoPE on half of each head */
        {"q8_0_mha_rot8", {.type = AIA_GGML_Q8_0, .n_head_kv = N_HEAD, .n_rot = 8}},
    };
    for (size_t i = 0; i < sizeof models / sizeof *models; i++)
        if (dump_one(dir, models[i].name, &models[i].o) != 0) return 1;
    return 0;
}

/* ---- cmocka tests ---------------------------------------------------------- */

typedef struct fixture {
    aia_gguf *g;
    aia_llama *m;
} fixture;

static void open_fixture(fixture *f, uint32_t type) {
    model_opts o = {.type = type};
    aia_error err;
    aia_status st = load_model(&o, &f->g, &f->m, &err);
    if (st != AIA_OK) fail_msg("load: %s", err.message);
}

static void close_fixture(fixture *f) {
    aia_llama_free(f->m);
    aia_gguf_close(f->g);
}

/* Logits after the whole schedule, run as given by `chunks` (sizes summing
 * to PROMPT + SINGLES) with `threads` threads. */
static void run_chunks(const aia_llama *m, int threads, int exact, const size_t *chunks, size_t n_chunks,
                       float *logits) {
    aia_llama_ctx *c = NULL;
    aia_error err;
    assert_int_equal(aia_llama_context_create(m, N_CTX, threads, &c, &err), AIA_OK);
    aia_llama_set_exact(c, exact);
    int32_t tok[PROMPT + SINGLES];
    schedule(tok);
    size_t pos = 0;
    for (size_t i = 0; i < n_chunks; i++) {
        aia_status st = aia_llama_eval(c, tok + pos, chunks[i], pos, logits, &err);
        if (st != AIA_OK) fail_msg("eval: %s", err.message);
        pos += chunks[i];
    }
    assert_int_equal(aia_llama_n_past(c), PROMPT + SINGLES);
    aia_llama_context_destroy(c);
}

static void test_batching_and_threads_agree(void **state) {
    (void)state;
    static const uint32_t types[] = {AIA_GGML_F32, AIA_GGML_Q4_1};
    for (size_t ti = 0; ti < 2; ti++) {
        fixture f;
        open_fixture(&f, types[ti]);
        for (int exact = 0; exact <= 1; exact++) {
            size_t one_batch[] = {PROMPT + SINGLES}, mixed[] = {PROMPT, 1, 1, 1}, odd[] = {5, 1, 20, 14};
            float a[N_VOCAB], b[N_VOCAB], c[N_VOCAB], d[N_VOCAB];
            run_chunks(f.m, 2, exact, one_batch, 1, a);
            run_chunks(f.m, 2, exact, mixed, 4, b);
            run_chunks(f.m, 1, exact, odd, 4, c);
            run_chunks(f.m, 3, exact, mixed, 4, d);
            /* Every output element comes from one kernel call on the same
             * inputs, whatever the split: equal bits, not just close. */
            assert_memory_equal(a, b, sizeof a);
            assert_memory_equal(a, c, sizeof a);
            assert_memory_equal(a, d, sizeof a);
        }
        close_fixture(&f);
    }
}

static void test_fast_path_close_to_exact(void **state) {
    (void)state;
    static const uint32_t types[] = {AIA_GGML_Q8_0, AIA_GGML_Q4_0, AIA_GGML_Q4_1, AIA_GGML_F16};
    for (size_t ti = 0; ti < 4; ti++) {
        fixture f;
        open_fixture(&f, types[ti]);
        size_t chunks[] = {PROMPT, 1, 1, 1};
        float e[N_VOCAB], q[N_VOCAB];
        run_chunks(f.m, 2, 1, chunks, 4, e);
        run_chunks(f.m, 2, 0, chunks, 4, q);
        double maxd = 0, maxe = 0;
        for (int i = 0; i < N_VOCAB; i++) {
            maxd = fmax(maxd, fabs((double)e[i] - q[i]));
            maxe = fmax(maxe, fabs((double)e[i]));
        }
        /* int8 activations round by up to 1/254 of each block's max: a few
         * percent of the logits' scale at most; F16 weights take the exact
         * path, so equal. */
        if (types[ti] == AIA_GGML_F16) assert_true(maxd == 0.0);
        else assert_true(maxd < 0.05 * maxe && maxd > 0.0);
        close_fixture(&f);
    }
}

static void test_rewind_overwrites(void **state) {
    (void)state;
    fixture f;
    open_fixture(&f, AIA_GGML_Q8_0);
    aia_llama_ctx *c = NULL;
    aia_error err;
    assert_int_equal(aia_llama_context_create(f.m, N_CTX, 2, &c, &err), AIA_OK);
    int32_t a[6] = {1, 2, 3, 4, 5, 6}, b[6] = {1, 2, 3, 40, 50, 60};
    float la[N_VOCAB], lb[N_VOCAB];
    assert_int_equal(aia_llama_eval(c, a, 6, 0, la, &err), AIA_OK);
    /* Rewind to position 3 and continue differently: same as b from scratch. */
    assert_int_equal(aia_llama_eval(c, b + 3, 3, 3, la, &err), AIA_OK);
    assert_int_equal(aia_llama_n_past(c), 6);
    aia_llama_ctx *c2 = NULL;
    assert_int_equal(aia_llama_context_create(f.m, N_CTX, 1, &c2, &err), AIA_OK);
    assert_int_equal(aia_llama_eval(c2, b, 6, 0, lb, &err), AIA_OK);
    assert_memory_equal(la, lb, sizeof la);
    aia_llama_context_destroy(c);
    aia_llama_context_destroy(c2);
    close_fixture(&f);
}

static void expect_load_error(const model_opts *o, aia_status code, const char *part1, const char *part2) {
    aia_gguf *g = NULL;
    aia_llama *m = NULL;
    aia_error err;
    aia_status st = load_model(o, &g, &m, &err);
    if (st != code || !strstr(err.message, part1) || (part2 && !strstr(err.message, part2)))
        fail_msg("got %s: %s", aia_status_name(st), err.message);
    assert_null(m);
    aia_gguf_close(g);
}

static void test_load_errors(void **state) {
    (void)state;
    model_opts o = {.type = AIA_GGML_Q4_1, .omit = "blk.1.ffn_up.weight"};
    expect_load_error(&o, AIA_NOT_FOUND, "tensor blk.1.ffn_up.weight is missing", "[64, 96]");
    o = (model_opts){.type = AIA_GGML_Q4_0, .reshape = "blk.0.attn_k.weight"};
    expect_load_error(&o, AIA_INVALID_ARGUMENT, "tensor blk.0.attn_k.weight: shape [64, 31]", "expected [64, 32]");
    o = (model_opts){.type = AIA_GGML_F32, .reshape = "output_norm.weight"};
    expect_load_error(&o, AIA_INVALID_ARGUMENT, "output_norm.weight", "expected [64]");
    o = (model_opts){.type = AIA_GGML_Q8_0, .retype = "blk.1.ffn_gate.weight"};
    expect_load_error(&o, AIA_UNIMPLEMENTED, "tensor blk.1.ffn_gate.weight: type Q5_0", "not supported");
    o = (model_opts){.type = AIA_GGML_F32, .omit = "token_embd.weight"};
    expect_load_error(&o, AIA_NOT_FOUND, "token_embd.weight", NULL);
    o = (model_opts){.type = AIA_GGML_F32, .arch = "gpt2"};
    expect_load_error(&o, AIA_UNIMPLEMENTED, "\"gpt2\"", NULL);
    o = (model_opts){.type = AIA_GGML_F32, .omit_head_count = 1};
    expect_load_error(&o, AIA_NOT_FOUND, "llama.attention.head_count", NULL);
}

static void test_eval_errors_and_cancel(void **state) {
    (void)state;
    fixture f;
    open_fixture(&f, AIA_GGML_Q4_0);
    aia_llama_ctx *c = NULL;
    aia_error err;
    assert_int_equal(aia_llama_context_create(f.m, 0, 2, &c, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_llama_context_create(f.m, N_CTX + 1, 2, &c, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_llama_context_create(f.m, 8, 0, &c, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_llama_context_create(f.m, 8, 2, &c, &err), AIA_OK);
    int32_t tok[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    float l[N_VOCAB];
    int32_t bad = N_VOCAB;
    assert_int_equal(aia_llama_eval(c, &bad, 1, 0, l, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "id 100"));
    bad = -1;
    assert_int_equal(aia_llama_eval(c, &bad, 1, 0, l, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_llama_eval(c, tok, 1, 1, l, &err), AIA_INVALID_ARGUMENT); /* gap */
    assert_non_null(strstr(err.message, "gap"));
    assert_int_equal(aia_llama_eval(c, tok, 9, 0, l, &err), AIA_INVALID_ARGUMENT); /* beyond n_ctx */
    assert_int_equal(aia_llama_eval(c, tok, 0, 0, l, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_llama_eval(c, tok, 8, 0, NULL, &err), AIA_OK);
    assert_int_equal(aia_llama_eval(c, tok, 1, 8, l, &err), AIA_INVALID_ARGUMENT); /* full */
    atomic_int cancel = 1;
    aia_llama_set_cancel(c, &cancel);
    assert_int_equal(aia_llama_eval(c, tok, 3, 2, l, &err), AIA_CANCELLED);
    assert_int_equal(aia_llama_n_past(c), 2);
    atomic_store(&cancel, 0);
    assert_int_equal(aia_llama_eval(c, tok, 3, 2, l, &err), AIA_OK);
    aia_llama_context_destroy(c);
    close_fixture(&f);
}

static void test_hparams(void **state) {
    (void)state;
    fixture f;
    open_fixture(&f, AIA_GGML_F16);
    const aia_llama_hparams *hp = aia_llama_hparams_of(f.m);
    assert_int_equal(hp->n_layer, N_LAYER);
    assert_int_equal(hp->n_head_kv, N_HEAD_KV);
    assert_int_equal(hp->head_dim, HEAD_DIM);
    assert_int_equal(hp->n_vocab, N_VOCAB);
    assert_int_equal(aia_llama_n_vocab(f.m), N_VOCAB);
    assert_true(hp->tied_output);
    assert_true(hp->rope_base == 10000.0f);
    close_fixture(&f);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) return dump(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hparams),
        cmocka_unit_test(test_batching_and_threads_agree),
        cmocka_unit_test(test_fast_path_close_to_exact),
        cmocka_unit_test(test_rewind_overwrites),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_eval_errors_and_cancel),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
