/* tests/unit/llm/llamacpp_parity_test.c — our tokenizer and forward pass
 * against llama.cpp itself on the real SmolLM2-135M-Instruct GGUF
 * (AIA_SMOLLM2_GGUF names the file; skipped with a message otherwise;
 * scripts/test passes the model scripts/setup.sh fetched).
 *
 * The reference is tests/data/llm/llamacpp/ (make_fixtures.mjs, run with
 * npm node-llama-cpp@3.21.1's prebuilt llama.cpp; its header records the
 * model's SHA-256):
 *   tokens.txt   every corpus text's ids: aia_tokenizer_from_gguf's plain
 *                encode (no BOS, special tokens not parsed) must equal them.
 *   prompts.txt  20 ChatML prompts: aia_chat_encode's ids must equal
 *                llama.cpp's, and the exact path's greedy next token must
 *                equal llama.cpp's — except for a near-tie: our pick is
 *                llama.cpp's runner-up and the two candidates are within
 *                NEAR_TIE logits of each other in BOTH engines. The
 *                engines' arithmetic differs (llama.cpp rounds the
 *                activations to int8 blocks for its Q4_1/Q8_0 dot products
 *                and keeps the KV cache in f16; our exact path stays in
 *                float, and agrees with a float64 reference), which moves
 *                logits by about 0.1 on this model: on "What is the capital
 *                of France?" llama.cpp prefers "L" by 0.157 and we prefer
 *                "The" by 0.082. A flip between the same two tokens inside
 *                that band is arithmetic; a third token, or a larger gap on
 *                either side, fails. Near-ties are printed. The fast path's
 *                pick is printed too, for information only.
 * All mismatches are printed before the test fails, each with both sides. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/llm/chat.h"
#include "lib/llm/gguf.h"
#include "lib/llm/llama.h"
#include "lib/llm/sample.h"
#include "lib/llm/tokenizer.h"
#include "lib/llm/tokenizer_gguf.h"
#include "tests/unit/testutil/runfiles.h"

#define DIR "tests/data/llm/llamacpp/"
#define NEAR_TIE 0.2 /* logits; see the top of the file */
#define MAX_IDS 4096


static void must(aia_status st, const aia_error *err)
{
    if (st != AIA_OK)
        fail_msg("%s: %s", aia_status_name(st), err->message);
}

/* ---- fixture reading ---------------------------------------------------- */

/* The whole file, NUL-terminated (malloc'd). */
static char *read_file(const char *rel)
{
    char path[1024];
    test_data_path(rel, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *data = malloc((size_t)size + 1);
    assert_non_null(data);
    assert_int_equal(fread(data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    data[size] = '\0';
    return data;
}

/* The next non-comment line (cut in place at '\n'), or NULL at the end. */
static char *next_line(char **cursor)
{
    while (**cursor) {
        char *line = *cursor, *nl = strchr(line, '\n');
        *cursor = nl ? nl + 1 : line + strlen(line);
        if (nl)
            *nl = '\0';
        if (line[0] != '#')
            return line;
    }
    return NULL;
}

/* Splits at the next tab (in place); returns the field, advances *s. */
static char *field(char **s)
{
    char *f = *s, *tab = strchr(f, '\t');
    if (!tab)
        fail_msg("fixture line lacks a tab after \"%.40s\"", f);
    *tab = '\0';
    *s = tab + 1;
    return f;
}

/* Hex to bytes in place; returns the length. */
static size_t unhex(char *s)
{
    size_t n = strlen(s);
    if (n % 2)
        fail_msg("odd hex length in fixture: %.40s", s);
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            fail_msg("bad hex in fixture at %zu", 2 * i);
        s[i] = (char)v;
    }
    s[n / 2] = '\0';
    return n / 2;
}

/* Space-separated ids. */
static size_t parse_ids(const char *s, int32_t *ids)
{
    size_t n = 0;
    char *end;
    for (long v = strtol(s, &end, 10); end != s; v = strtol(s, &end, 10)) {
        assert_true(n < MAX_IDS);
        ids[n++] = (int32_t)v;
        s = end;
    }
    return n;
}

static void print_ids(const char *label, const int32_t *ids, size_t n)
{
    printf("    %s (%zu):", label, n);
    for (size_t i = 0; i < n; i++)
        printf(" %d", ids[i]);
    printf("\n");
}

static int same_ids(const int32_t *a, size_t na, const int32_t *b, size_t nb)
{
    return na == nb && (na == 0 || memcmp(a, b, na * sizeof *a) == 0);
}

/* ---- the model ------------------------------------------------------------ */

typedef struct model {
    aia_gguf *g;
    aia_llama *m;
    aia_tokenizer *tok;
} model;

/* Opens AIA_SMOLLM2_GGUF; skips the test when it is unset. */
static void open_model(model *md, int with_llama)
{
    const char *path = getenv("AIA_SMOLLM2_GGUF");
    if (!path || !*path) {
        printf("AIA_SMOLLM2_GGUF is not set: skipping (scripts/test sets it to the model setup.sh fetched)\n");
        skip();
    }
    aia_error err;
    memset(md, 0, sizeof *md);
    must(aia_gguf_open(path, &md->g, &err), &err);
    must(aia_tokenizer_from_gguf(md->g, &md->tok, &err), &err);
    if (with_llama)
        must(aia_llama_load(md->g, &md->m, &err), &err);
}

static void close_model(model *md)
{
    aia_tokenizer_destroy(md->tok);
    aia_llama_free(md->m);
    aia_gguf_close(md->g);
}

/* ---- tokenizer parity --------------------------------------------------------- */

static void test_corpus_ids_equal_llamacpp(void **state)
{
    (void)state;
    model md;
    open_model(&md, 0);
    char *data = read_file(DIR "tokens.txt"), *cursor = data, *line;
    int32_t *want = malloc(MAX_IDS * sizeof *want);
    assert_non_null(want);
    size_t cases = 0, bad = 0;
    while ((line = next_line(&cursor))) {
        char *text = field(&line);
        size_t len = unhex(text), n_want = parse_ids(line, want);
        int32_t *got = NULL;
        size_t n_got = 0;
        aia_error err;
        must(aia_tokenizer_encode(md.tok, text, len, 0, 0, &got, &n_got, &err), &err);
        if (!same_ids(got, n_got, want, n_want)) {
            printf("MISMATCH corpus text %zu \"%.*s\":\n", cases, (int)len, text);
            print_ids("ours     ", got, n_got);
            print_ids("llama.cpp", want, n_want);
            bad++;
        }
        free(got);
        cases++;
    }
    printf("tokenizer: %zu corpus texts, %zu differ from llama.cpp\n", cases, bad);
    fflush(stdout);
    free(want);
    free(data);
    close_model(&md);
    assert_true(cases >= 60);
    if (bad)
        fail_msg("%zu of %zu corpus texts tokenize differently from llama.cpp (printed above)", bad, cases);
}

/* ---- greedy next token parity --------------------------------------------------- */

typedef struct prompt_case {
    char *user;
    size_t user_len;
    int32_t top1, top2;
    double gap;
    int32_t ids[MAX_IDS];
    size_t n_ids;
} prompt_case;

static void parse_prompt(char *line, prompt_case *pc)
{
    pc->user = field(&line);
    pc->user_len = unhex(pc->user);
    pc->top1 = (int32_t)atoi(field(&line));
    pc->top2 = (int32_t)atoi(field(&line));
    pc->gap = atof(field(&line));
    pc->n_ids = parse_ids(line, pc->ids);
}

static const char *piece(const aia_tokenizer *tok, int32_t id, int *len)
{
    size_t n = 0;
    const char *s = aia_tokenizer_token_bytes(tok, id, &n);
    *len = (int)n;
    return s ? s : "";
}

/* Our prompt ids (must equal llama.cpp's) and our exact path's argmax.
 * Returns 0 on agreement, 1 on a difference (printed). */
static int check_prompt(const model *md, const aia_chat_template *tpl, aia_llama_ctx *c, aia_llama_ctx *fast,
                        float *logits,
                        const prompt_case *pc, size_t index)
{
    aia_error err;
    aia_chat_message msg = {AIA_CHAT_USER, pc->user, pc->user_len};
    int32_t *ids = NULL;
    size_t n_ids = 0;
    must(aia_chat_encode(tpl, md->tok, &msg, 1, 1, &ids, &n_ids, &err), &err);
    if (!same_ids(ids, n_ids, pc->ids, pc->n_ids)) {
        printf("MISMATCH prompt %zu \"%s\": prompt ids differ\n", index, pc->user);
        print_ids("ours     ", ids, n_ids);
        print_ids("llama.cpp", pc->ids, pc->n_ids);
        free(ids);
        return 1;
    }
    free(ids);
    /* llama.cpp's prompt ids, evaluated as one batch from position 0. */
    must(aia_llama_eval(c, pc->ids, pc->n_ids, 0, logits, &err), &err);
    size_t n_vocab = aia_llama_n_vocab(md->m);
    int32_t ours = aia_sample_argmax(logits, n_vocab);
    int lo, lt;
    const char *so = piece(md->tok, ours, &lo), *st = piece(md->tok, pc->top1, &lt);
    double our_gap = (double)logits[ours] - (double)logits[pc->top1 == ours ? pc->top2 : pc->top1];
    /* The fast path (int8 activations, as llama.cpp) for information only:
     * the assertion is on the exact path. */
    must(aia_llama_eval(fast, pc->ids, pc->n_ids, 0, logits, &err), &err);
    int32_t fast_pick = aia_sample_argmax(logits, n_vocab);
    int tie = ours == pc->top2 && pc->gap < NEAR_TIE && our_gap < NEAR_TIE;
    int ok = ours == pc->top1 || tie;
    printf("%s prompt %zu \"%s\": ours %d \"%.*s\", llama.cpp %d \"%.*s\" (llama.cpp gap %.4f%s; our logit[ours] - "
           "logit[other of llama.cpp's top two] = %.4f; fast path picks %d)\n",
           ok ? "ok      " : "MISMATCH", index, pc->user, ours, lo, so, pc->top1, lt, st, pc->gap,
           tie ? ", a near-tie: the same two tokens within 0.2 logits in both engines" : "", our_gap, fast_pick);
    return !ok;
}

static void test_greedy_next_token_equals_llamacpp(void **state)
{
    (void)state;
    model md;
    open_model(&md, 1);
    aia_error err;
    const char *jinja = NULL;
    aia_gguf_get_str(md.g, "tokenizer.chat_template", &jinja, NULL, NULL);
    aia_chat_template tpl;
    must(aia_chat_template_detect(jinja, &tpl, &err), &err);
    assert_non_null(tpl.default_system);
    aia_llama_ctx *c = NULL;
    must(aia_llama_context_create(md.m, 512, 2, &c, &err), &err);
    aia_llama_set_exact(c, 1);
    aia_llama_ctx *fast = NULL;
    must(aia_llama_context_create(md.m, 512, 2, &fast, &err), &err);
    float *logits = malloc(aia_llama_n_vocab(md.m) * sizeof *logits);
    prompt_case *pc = malloc(sizeof *pc);
    assert_non_null(logits);
    assert_non_null(pc);
    char *data = read_file(DIR "prompts.txt"), *cursor = data, *line;
    size_t cases = 0, bad = 0;
    while ((line = next_line(&cursor))) {
        parse_prompt(line, pc);
        bad += (size_t)check_prompt(&md, &tpl, c, fast, logits, pc, cases);
        cases++;
    }
    printf("greedy next token (exact path): %zu prompts, %zu differ from llama.cpp\n", cases, bad);
    free(data);
    free(pc);
    free(logits);
    aia_llama_context_destroy(c);
    aia_llama_context_destroy(fast);
    aia_chat_template_free(&tpl);
    close_model(&md);
    fflush(stdout);
    assert_int_equal(cases, 20);
    if (bad)
        fail_msg("%zu of %zu prompts: our exact path's greedy next token (or prompt ids) differ from llama.cpp's "
                 "beyond a near-tie (printed above)",
                 bad, cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_ids_equal_llamacpp),
        cmocka_unit_test(test_greedy_next_token_equals_llamacpp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
