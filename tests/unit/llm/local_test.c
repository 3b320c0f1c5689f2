/* tests/unit/llm/local_test.c — the local provider on tiny random llama
 * GGUFs written here (F32 weights, a byte-level BPE vocabulary with the
 * ChatML control tokens): streamed text equals an independent greedy loop,
 * seeds reproduce, max_output_tokens, stop sequences never emitted, cancel,
 * FIFO admission, errors, model listing. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "lib/base/strbuf.h"
#include "lib/llm/llama.h"
#include "lib/llm/local.h"
#include "lib/llm/quant.h"
#include "lib/llm/sample.h"
#include "lib/llm/tokenizer.h"
#include "tests/unit/llm/gguf_writer.h"

enum { N_LAYER = 2, N_EMBD = 64, N_HEAD = 4, N_HEAD_KV = 2, HEAD_DIM = 16, N_FF = 96, N_SPECIAL = 3 };
enum { N_VOCAB = N_SPECIAL + 256 + 2 };

static uint64_t g_state;
static float uni(void) {
    g_state ^= g_state << 13;
    g_state ^= g_state >> 7;
    g_state ^= g_state << 17;
    return -0.15f + 0.3f * (float)((g_state >> 16) & 0xffffff) / 16777216.0f;
}

/* GPT-2's byte-to-unicode alphabet, as UTF-8 strings. */
static char g_bytes[256][3];
static void byte_alphabet(void) {
    for (unsigned b = 0; b < 256; b++) {
        unsigned cp = b, k = 0;
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
        if (!printable) {
            for (unsigned i = 0; i < b; i++) k += !((i >= 33 && i <= 126) || (i >= 161 && i <= 172) || i >= 174);
            cp = 256 + k;
        }
        if (cp < 0x80) g_bytes[b][0] = (char)cp, g_bytes[b][1] = 0;
        else g_bytes[b][0] = (char)(0xC0 | (cp >> 6)), g_bytes[b][1] = (char)(0x80 | (cp & 0x3F)), g_bytes[b][2] = 0;
    }
}

static const char *token_str(int i) {
    static const char *special[N_SPECIAL] = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
    if (i < N_SPECIAL) return special[i];
    if (i < N_SPECIAL + 256) return g_bytes[i - N_SPECIAL];
    return i == N_SPECIAL + 256 ? "\xC4\xA0t" : "he"; /* "Ġt", "he" */
}

static float *matrix(size_t rows, size_t cols) {
    float *p = malloc(rows * cols * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < rows * cols; i++) p[i] = uni();
    return p;
}

static void add(gguf_writer *w, float **keep, size_t *nk, const char *name, size_t cols, size_t rows, int norm) {
    float *p = norm ? malloc(cols * sizeof *p) : matrix(rows, cols);
    assert_non_null(p);
    if (norm) for (size_t i = 0; i < cols; i++) p[i] = 1.0f;
    uint64_t dims[2] = {cols, rows};
    gw_tensor(w, name, AIA_GGML_F32, norm ? 1 : 2, dims, p, rows * cols * sizeof *p);
    keep[(*nk)++] = p;
}

typedef struct layer_ctx {
    gguf_writer *w;
    float **keep;
    size_t *nk;
} layer_ctx;

static void add_layer_tensor(void *ctx, const char *name, size_t cols, size_t rows, int is_norm) {
    layer_ctx *c = ctx;
    add(c->w, c->keep, c->nk, name, cols, rows, is_norm);
}

static void write_vocab(gguf_writer *w) {
    byte_alphabet();
    gw_kv_str(w, "tokenizer.ggml.model", "gpt2");
    gw_key(w, "tokenizer.ggml.tokens", AIA_GGUF_ARRAY);
    gw_put_arr(w, AIA_GGUF_STRING, N_VOCAB);
    for (int i = 0; i < N_VOCAB; i++) gw_put_str(w, token_str(i));
    gw_key(w, "tokenizer.ggml.token_type", AIA_GGUF_ARRAY);
    gw_put_arr(w, AIA_GGUF_I32, N_VOCAB);
    for (int i = 0; i < N_VOCAB; i++) {
        int32_t t = i < N_SPECIAL ? AIA_TOKEN_CONTROL : AIA_TOKEN_NORMAL;
        gw_put(w, &t, 4);
    }
    gw_key(w, "tokenizer.ggml.merges", AIA_GGUF_ARRAY);
    gw_put_arr(w, AIA_GGUF_STRING, 2);
    gw_put_str(w, "\xC4\xA0 t");
    gw_put_str(w, "h e");
    gw_kv_u32(w, "tokenizer.ggml.eos_token_id", 0);
    gw_kv_str(w, "tokenizer.chat_template",
              "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
              "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
}

/* A random model; `silent`: output.weight all zero, so greedy picks id 0
 * (EOS) at once. Otherwise the control tokens' output rows are zero and
 * greedy never ends the turn. */
static void write_model(const char *path, uint32_t n_ctx, int silent) {
    g_state = 0x9e3779b97f4a7c15ull;
    gguf_writer w;
    gw_init(&w, 0);
    gw_kv_str(&w, "general.architecture", "llama");
    gw_kv_u32(&w, "llama.block_count", N_LAYER);
    gw_kv_u32(&w, "llama.context_length", n_ctx);
    gw_kv_u32(&w, "llama.embedding_length", N_EMBD);
    gw_kv_u32(&w, "llama.feed_forward_length", N_FF);
    gw_kv_u32(&w, "llama.attention.head_count", N_HEAD);
    gw_kv_u32(&w, "llama.attention.head_count_kv", N_HEAD_KV);
    gw_kv_f32(&w, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
    write_vocab(&w);
    float *keep[GW_MAX_TENSORS];
    size_t nk = 0;
    add(&w, keep, &nk, "token_embd.weight", N_EMBD, N_VOCAB, 0);
    add(&w, keep, &nk, "output_norm.weight", N_EMBD, 1, 1);
    add(&w, keep, &nk, "output.weight", N_EMBD, N_VOCAB, 0);
    memset(keep[nk - 1], 0, (silent ? N_VOCAB : N_SPECIAL) * N_EMBD * sizeof(float));
    layer_ctx lc = {&w, keep, &nk};
    gw_llama_dims dims = {N_EMBD, N_HEAD, N_HEAD_KV, HEAD_DIM, N_FF};
    for (int l = 0; l < N_LAYER; l++) gw_llama_layer(&dims, l, add_layer_tensor, &lc);
    gw_buf out = {0};
    gw_build(&w, &out);
    assert_int_equal(gw_write_file(path, out.p, out.len), 0);
    free(out.p);
    gw_free(&w);
    for (size_t i = 0; i < nk; i++) free(keep[i]);
}

static char g_dir[4096];

static void path_of(char *buf, size_t n, const char *file) { snprintf(buf, n, "%s/%s", g_dir, file); }

static int setup(void **state) {
    const char *tmp = getenv("TEST_TMPDIR");
    snprintf(g_dir, sizeof g_dir, "%s/local_models", tmp ? tmp : "/tmp");
    mkdir(g_dir, 0755);
    char p[4200];
    path_of(p, sizeof p, "Tiny.gguf");
    write_model(p, 2048, 0);
    path_of(p, sizeof p, "silent.gguf");
    write_model(p, 2048, 1);
    path_of(p, sizeof p, "broken.gguf");
    assert_int_equal(gw_write_file(p, "GGUF", 4), 0);
    aia_local_options o = {g_dir, 2, 1, 0};
    aia_local *l = NULL;
    aia_error err;
    if (aia_local_open(&o, &l, &err) != AIA_OK) fail_msg("%s", err.message);
    *state = l;
    return 0;
}

static int teardown(void **state) {
    aia_local_close(*state);
    return 0;
}

/* ---- a call's result ---------------------------------------------------- */

typedef struct result {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    aia_strbuf text;
    int chunks, done;
    aia_status status;
    aia_llm_finish finish;
    aia_llm_usage usage;
    char message[512];
    int *order, order_id; /* FIFO test: global sequence of first/last texts */
    int first_seq, last_seq;
} result;

static pthread_mutex_t g_seq_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_seq;

static void on_text(void *user, const char *text, size_t len) {
    result *r = user;
    pthread_mutex_lock(&g_seq_mu);
    int s = ++g_seq;
    pthread_mutex_unlock(&g_seq_mu);
    pthread_mutex_lock(&r->mu);
    if (!r->chunks) r->first_seq = s;
    r->last_seq = s;
    aia_strbuf_append(&r->text, text, len);
    r->chunks++;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void on_done(void *user, aia_status st, const aia_llm_result *res, const aia_error *err) {
    result *r = user;
    pthread_mutex_lock(&r->mu);
    r->done++;
    r->status = st;
    r->finish = res->finish;
    r->usage = res->usage;
    snprintf(r->message, sizeof r->message, "%s", err ? err->message : "");
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void result_init(result *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    aia_strbuf_init(&r->text);
}

static void result_free(result *r) {
    aia_strbuf_free(&r->text);
    pthread_mutex_destroy(&r->mu);
    pthread_cond_destroy(&r->cv);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Waits up to 60 s for on_done. */
static void wait_done(result *r) {
    struct timespec dl;
    clock_gettime(CLOCK_REALTIME, &dl);
    dl.tv_sec += 60;
    pthread_mutex_lock(&r->mu);
    while (!r->done && pthread_cond_timedwait(&r->cv, &r->mu, &dl) == 0) {
    }
    int done = r->done;
    pthread_mutex_unlock(&r->mu);
    assert_int_equal(done, 1);
}

typedef struct req_spec {
    const char *model, *user_text;
    int greedy, has_seed, max_out;
    uint64_t seed;
    const char *stop;
    double temperature;
} req_spec;

static aia_status start(aia_local *l, const req_spec *s, result *r, aia_local_call **call, aia_error *err) {
    aia_llm_part part = {AIA_LLM_PART_TEXT, s->user_text, strlen(s->user_text), NULL, NULL, 0};
    aia_llm_content content = {"user", &part, 1};
    aia_llm_request req;
    memset(&req, 0, sizeof req);
    req.model = s->model ? s->model : "tiny";
    req.contents = &content;
    req.n_contents = 1;
    req.system_instruction = "Be brief.";
    if (s->greedy) req.config.has_temperature = 1, req.config.temperature = 0;
    else if (s->temperature > 0) req.config.has_temperature = 1, req.config.temperature = s->temperature;
    req.config.has_seed = s->has_seed;
    req.config.seed = (int64_t)s->seed;
    if (s->max_out) req.config.has_max_output_tokens = 1, req.config.max_output_tokens = s->max_out;
    const char *stops[1] = {s->stop};
    if (s->stop) req.config.stop_sequences = stops, req.config.n_stop_sequences = 1;
    aia_llm_callbacks cb = {on_text, on_done, r};
    return aia_local_stream(l, &req, &cb, call, err);
}

static void run(aia_local *l, const req_spec *s, result *r) {
    result_init(r);
    aia_error err;
    aia_local_call *c = NULL;
    aia_status st = start(l, s, r, &c, &err);
    if (st != AIA_OK) fail_msg("stream: %s: %s", aia_status_name(st), err.message);
    wait_done(r);
    aia_local_call_release(c);
    if (r->status != AIA_OK) fail_msg("on_done: %s: %s", aia_status_name(r->status), r->message);
}

/* ---- tests ----------------------------------------------------------------- */

/* Independent greedy loop over the same file: prompt via count_tokens' twin
 * (the ChatML text encoded with parse_special), argmax, decode. */
static char *reference_greedy(const char *user, int n_out) {
    char path[4200];
    path_of(path, sizeof path, "Tiny.gguf");
    aia_error err;
    aia_gguf *g = NULL;
    aia_llama *m = NULL;
    assert_int_equal(aia_gguf_open(path, &g, &err), AIA_OK);
    assert_int_equal(aia_llama_load(g, &m, &err), AIA_OK);
    const char *toks[N_VOCAB];
    int32_t types[N_VOCAB];
    for (int i = 0; i < N_VOCAB; i++) toks[i] = token_str(i), types[i] = i < N_SPECIAL ? AIA_TOKEN_CONTROL : 1;
    const char *merges[2] = {"\xC4\xA0 t", "h e"};
    aia_tokenizer *tok = NULL;
    assert_int_equal(aia_tokenizer_create(toks, N_VOCAB, types, merges, 2, NULL, &tok, &err), AIA_OK);
    char prompt[1024];
    snprintf(prompt, sizeof prompt,
             "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n%s<|im_end|>\n<|im_start|>assistant\n", user);
    int32_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(aia_tokenizer_encode(tok, prompt, strlen(prompt), 0, 1, &ids, &n, &err), AIA_OK);
    aia_llama_ctx *c = NULL;
    assert_int_equal(aia_llama_context_create(m, n + (size_t)n_out, 1, &c, &err), AIA_OK);
    aia_llama_set_exact(c, 1);
    float logits[N_VOCAB];
    int32_t out[256];
    assert_int_equal(aia_llama_eval(c, ids, n, 0, logits, &err), AIA_OK);
    for (int i = 0; i < n_out; i++) {
        out[i] = aia_sample_argmax(logits, N_VOCAB);
        if (i + 1 < n_out) assert_int_equal(aia_llama_eval(c, &out[i], 1, n + (size_t)i, logits, &err), AIA_OK);
    }
    char *text = NULL;
    size_t len = 0;
    assert_int_equal(aia_tokenizer_decode(tok, out, (size_t)n_out, 1, &text, &len, &err), AIA_OK);
    aia_llama_context_destroy(c);
    aia_tokenizer_destroy(tok);
    aia_llama_free(m);
    aia_gguf_close(g);
    free(ids);
    return text;
}

static void test_stream_equals_reference_greedy(void **state) {
    req_spec s = {.user_text = "Hi there", .greedy = 1, .max_out = 24};
    result r;
    run(*state, &s, &r);
    assert_int_equal(r.finish, AIA_LLM_FINISH_MAX_TOKENS);
    assert_int_equal(r.usage.output_tokens, 24);
    assert_int_equal(r.usage.total_tokens, r.usage.prompt_tokens + 24);
    assert_true(r.chunks > 1);
    char *want = reference_greedy("Hi there", 24);
    /* the reference keeps a trailing incomplete UTF-8 sequence; the stream drops it */
    size_t wl = aia_utf8_complete_prefix(want, strlen(want));
    assert_int_equal(r.text.len, wl);
    assert_memory_equal(r.text.data, want, wl);
    int64_t total = 0;
    aia_error err;
    aia_llm_part part = {AIA_LLM_PART_TEXT, "Hi there", 8, NULL, NULL, 0};
    aia_llm_content content = {"user", &part, 1};
    aia_llm_request req = {.model = "TINY", .contents = &content, .n_contents = 1, .system_instruction = "Be brief."};
    assert_int_equal(aia_local_count_tokens(*state, &req, &total, &err), AIA_OK);
    assert_int_equal(total, r.usage.prompt_tokens);
    free(want);
    result_free(&r);
}

static void test_greedy_deterministic_and_seeds(void **state) {
    req_spec g = {.user_text = "abc", .greedy = 1, .max_out = 16};
    result a, b;
    run(*state, &g, &a);
    run(*state, &g, &b);
    assert_int_equal(a.text.len, b.text.len);
    assert_memory_equal(a.text.data, b.text.data, a.text.len);
    result_free(&a);
    result_free(&b);
    req_spec s = {.user_text = "abc", .has_seed = 1, .seed = 7, .max_out = 32, .temperature = 1.5};
    run(*state, &s, &a);
    run(*state, &s, &b);
    assert_int_equal(a.usage.output_tokens, b.usage.output_tokens);
    assert_int_equal(a.text.len, b.text.len);
    assert_memory_equal(a.text.data, b.text.data, a.text.len);
    int differs = 0;
    for (uint64_t seed = 8; seed < 12 && !differs; seed++) {
        result c;
        s.seed = seed;
        run(*state, &s, &c);
        differs = c.text.len != a.text.len || memcmp(c.text.data, a.text.data, a.text.len) != 0;
        result_free(&c);
    }
    assert_true(differs);
    result_free(&a);
    result_free(&b);
}

/* A prompt that shares a prefix with the previous call's evaluates only the
 * rest, and answers exactly what a fresh context answers (the independent
 * reference loop). The third call repeats the second: all but its last
 * prompt token come from the cache. */
static void test_prompt_prefix_reuse(void **state) {
    (void)state;
    aia_local_options o = {g_dir, 2, 1, 0};
    aia_local *l = NULL;
    aia_error err;
    if (aia_local_open(&o, &l, &err) != AIA_OK) fail_msg("%s", err.message);
    const char *users[] = {"Hi there", "Hi there, friend", "Hi there, friend"};
    size_t reused_before = 0;
    for (int i = 0; i < 3; i++) {
        req_spec s = {.user_text = users[i], .greedy = 1, .max_out = 20};
        result r;
        run(l, &s, &r);
        size_t reused = aia_local_prompt_tokens_reused(l);
        if (i == 0) assert_int_equal(reused, 0);
        else assert_true(reused > reused_before); /* at least the system message and "Hi there" */
        if (i == 2) assert_int_equal(reused - reused_before, (size_t)r.usage.prompt_tokens - 1);
        reused_before = reused;
        char *want = reference_greedy(users[i], 20);
        size_t wl = aia_utf8_complete_prefix(want, strlen(want));
        assert_int_equal(r.text.len, wl);
        assert_memory_equal(r.text.data, want, wl);
        free(want);
        result_free(&r);
    }
    aia_local_close(l);
}

static void test_stop_sequence_cut(void **state) {
    req_spec g = {.user_text = "stop me", .greedy = 1, .max_out = 40};
    result a;
    run(*state, &g, &a);
    assert_true(a.text.len >= 12);
    /* A stop sequence from the middle of the greedy text. */
    char stop[5];
    size_t at = a.text.len / 2;
    while (at > 0 && ((unsigned char)a.text.data[at] & 0xC0) == 0x80) at--;
    size_t sl = aia_utf8_complete_prefix(a.text.data + at, 3);
    if (sl == 0) sl = 3;
    memcpy(stop, a.text.data + at, sl);
    stop[sl] = 0;
    char *first = strstr(a.text.data, stop);
    size_t cut = (size_t)(first - a.text.data);
    g.stop = stop;
    result b;
    run(*state, &g, &b);
    assert_int_equal(b.finish, AIA_LLM_FINISH_STOP);
    assert_int_equal(b.text.len, cut);
    if (cut) assert_memory_equal(b.text.data, a.text.data, cut);
    assert_null(b.text.data ? strstr(b.text.data, stop) : NULL);
    assert_true(b.usage.output_tokens < 40);
    result_free(&a);
    result_free(&b);
}

static void test_eos_stops(void **state) {
    req_spec s = {.model = "silent", .user_text = "x", .greedy = 1};
    result r;
    run(*state, &s, &r);
    assert_int_equal(r.finish, AIA_LLM_FINISH_STOP);
    assert_int_equal(r.usage.output_tokens, 0);
    assert_int_equal(r.text.len, 0);
    result_free(&r);
}

static void test_cancel(void **state) {
    req_spec s = {.user_text = "long", .greedy = 1, .max_out = 2000};
    result r;
    result_init(&r);
    aia_local_call *c = NULL;
    aia_error err;
    assert_int_equal(start(*state, &s, &r, &c, &err), AIA_OK);
    pthread_mutex_lock(&r.mu);
    while (!r.chunks && !r.done) pthread_cond_wait(&r.cv, &r.mu);
    pthread_mutex_unlock(&r.mu);
    double t0 = now_s();
    aia_local_cancel(c);
    wait_done(&r);
    assert_true(now_s() - t0 < 1.0);
    assert_int_equal(r.status, AIA_CANCELLED);
    assert_true(r.usage.output_tokens < 2000);
    aia_local_call_release(c);
    result_free(&r);
}

static void test_fifo_admission(void **state) {
    enum { N = 3 };
    result r[N];
    aia_local_call *c[N];
    aia_error err;
    req_spec s = {.user_text = "queue", .greedy = 1, .max_out = 20};
    for (int i = 0; i < N; i++) {
        result_init(&r[i]);
        assert_int_equal(start(*state, &s, &r[i], &c[i], &err), AIA_OK);
    }
    for (int i = 0; i < N; i++) wait_done(&r[i]);
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].status, AIA_OK);
        if (i) assert_true(r[i].first_seq > r[i - 1].last_seq); /* one at a time, in order */
        aia_local_call_release(c[i]);
        result_free(&r[i]);
    }
}

static void expect_error(aia_local *l, const req_spec *s, aia_llm_part_kind kind, aia_status code, const char *a,
                         const char *b) {
    aia_llm_part part = {kind, s->user_text, strlen(s->user_text), "image/png", (const unsigned char *)"x", 1};
    aia_llm_content content = {"user", &part, 1};
    aia_llm_request req = {.model = s->model, .contents = &content, .n_contents = 1};
    result r;
    result_init(&r);
    aia_llm_callbacks cb = {on_text, on_done, &r};
    aia_error err;
    aia_local_call *c = NULL;
    assert_int_equal(aia_local_stream(l, &req, &cb, &c, &err), code);
    assert_null(c);
    if (!strstr(err.message, a) || (b && !strstr(err.message, b))) fail_msg("message: %s", err.message);
    assert_int_equal(r.done, 0);
    result_free(&r);
}

static void test_errors(void **state) {
    req_spec s = {.model = "nope", .user_text = "hi"};
    expect_error(*state, &s, AIA_LLM_PART_TEXT, AIA_NOT_FOUND, "Tiny.gguf", "silent.gguf");
    s.model = "smollm2-135m-instruct";
    expect_error(*state, &s, AIA_LLM_PART_TEXT, AIA_FAILED_PRECONDITION, "scripts/setup.sh", NULL);
    s.model = "tiny";
    expect_error(*state, &s, AIA_LLM_PART_INLINE_DATA, AIA_INVALID_ARGUMENT, "text only", NULL);
    s.model = "broken";
    expect_error(*state, &s, AIA_LLM_PART_TEXT, AIA_INVALID_ARGUMENT, "broken.gguf", NULL);
    char *big = malloc(3001);
    memset(big, '~', 3000);
    big[3000] = 0;
    s.model = "tiny";
    s.user_text = big;
    expect_error(*state, &s, AIA_LLM_PART_TEXT, AIA_INVALID_ARGUMENT, "2048", "30");
    free(big);
}

static void test_list(void **state) {
    aia_llm_model_info *v = NULL;
    size_t n = 0;
    aia_error err;
    assert_int_equal(aia_local_list(*state, &v, &n, &err), AIA_OK);
    int tiny = 0, dflt = 0, broken = 0;
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(v[i].provider, "local");
        if (!strcmp(v[i].name, "local/tiny")) tiny = v[i].available && v[i].context_window == 2048;
        if (!strcmp(v[i].name, "local/smollm2-135m-instruct"))
            dflt = !v[i].available && strstr(v[i].unavailable_reason, "not downloaded: run scripts/setup.sh");
        if (!strcmp(v[i].name, "local/broken")) broken = !v[i].available && v[i].unavailable_reason[0];
    }
    assert_true(tiny && dflt && broken);
    free(v);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_equals_reference_greedy),
        cmocka_unit_test(test_greedy_deterministic_and_seeds),
        cmocka_unit_test(test_prompt_prefix_reuse),
        cmocka_unit_test(test_stop_sequence_cut),
        cmocka_unit_test(test_eos_stops),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_fifo_admission),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
