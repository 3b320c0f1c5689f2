/* bench/llm/llm_bench.c — prompt and generation speed of the local LLM
 * provider's forward pass (lib/llm/llama.h), for bench/llm_local.sh.
 *
 *   aia-llm-bench MODEL.gguf PROMPT_FILE [--exact|--fast] [--threads N]
 *                 [--prompt-tokens N] [--gen-tokens N] [--repeats N]
 *
 * The prompt file's text is encoded with the GGUF's own tokenizer (no BOS,
 * as SmolLM2 declares) and cut to exactly --prompt-tokens ids (an error if it
 * is shorter). Each repeat uses a fresh context and times, with
 * CLOCK_MONOTONIC:
 *   prompt      one aia_llama_eval of the whole prompt (one batch call, as
 *               the provider does), logits of the last token included;
 *   generation  --gen-tokens single-token evals, each of the previous
 *               greedy (argmax) token: the same work as llama.cpp's
 *               token-by-token decode. End-of-sequence does not stop it, so
 *               every repeat does the same amount of work.
 * Prints one JSON object: per-repeat seconds, the median and best speeds in
 * tokens/s, the prompt ids and the greedy ids (so the peer can be fed the
 * same ids and its greedy output compared). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base/status.h"
#include "lib/llm/gguf.h"
#include "lib/llm/llama.h"
#include "lib/llm/sample.h"
#include "lib/llm/tokenizer.h"

#define MAX_REPEATS 32

typedef struct opts {
    const char *model, *prompt_file;
    int exact, threads, repeats;
    size_t prompt_tokens, gen_tokens;
} opts;

static void die(const char *what, const aia_error *err) {
    fprintf(stderr, "aia-llm-bench: %s: %s\n", what, err ? err->message : "");
    exit(1);
}

static void check(aia_status st, const char *what, const aia_error *err) {
    if (st != AIA_OK) die(what, err);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void usage(void) {
    fprintf(stderr, "usage: aia-llm-bench MODEL.gguf PROMPT_FILE [--exact|--fast] [--threads N] "
                    "[--prompt-tokens N] [--gen-tokens N] [--repeats N]\n");
    exit(2);
}

static long arg_num(const char *s, long lo, long hi) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "aia-llm-bench: bad number \"%s\" (expected %ld..%ld)\n", s, lo, hi);
        exit(2);
    }
    return v;
}

static opts parse_args(int argc, char **argv) {
    opts o = {NULL, NULL, 0, 2, 3, 128, 128};
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_val = i + 1 < argc;
        if (strcmp(a, "--exact") == 0) o.exact = 1;
        else if (strcmp(a, "--fast") == 0) o.exact = 0;
        else if (strcmp(a, "--threads") == 0 && has_val) o.threads = (int)arg_num(argv[++i], 1, 64);
        else if (strcmp(a, "--repeats") == 0 && has_val) o.repeats = (int)arg_num(argv[++i], 1, MAX_REPEATS);
        else if (strcmp(a, "--prompt-tokens") == 0 && has_val) o.prompt_tokens = (size_t)arg_num(argv[++i], 1, 4096);
        else if (strcmp(a, "--gen-tokens") == 0 && has_val) o.gen_tokens = (size_t)arg_num(argv[++i], 1, 4096);
        else if (a[0] == '-') usage();
        else if (pos == 0) o.model = a, pos++;
        else if (pos == 1) o.prompt_file = a, pos++;
        else usage();
    }
    if (pos != 2) usage();
    return o;
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    if (!buf) { fprintf(stderr, "aia-llm-bench: out of memory\n"); exit(1); }
    *len = n;
    return buf;
}

/* The GGUF's string array `key` as pointers into the mapping (malloc'd). */
static const char **gguf_strings(const aia_gguf *g, const char *key, size_t *n) {
    const aia_gguf_value *arr;
    aia_error err;
    check(aia_gguf_get_array(g, key, &arr, &err), key, &err);
    const char **s = malloc((arr->v.arr.count + 1) * sizeof *s);
    if (!s) die("out of memory", NULL);
    for (uint64_t i = 0; i < arr->v.arr.count; i++) check(aia_gguf_array_str(arr, i, &s[i], NULL, &err), key, &err);
    *n = (size_t)arr->v.arr.count;
    return s;
}

static int32_t gguf_id(const aia_gguf *g, const char *key) {
    uint32_t v;
    return aia_gguf_get_u32(g, key, &v, NULL) == AIA_OK ? (int32_t)v : -1;
}

static aia_tokenizer *tokenizer_from_gguf(const aia_gguf *g) {
    aia_error err;
    size_t n_tokens, n_merges;
    const char **tokens = gguf_strings(g, "tokenizer.ggml.tokens", &n_tokens);
    const char **merges = gguf_strings(g, "tokenizer.ggml.merges", &n_merges);
    const aia_gguf_value *ta;
    check(aia_gguf_get_array(g, "tokenizer.ggml.token_type", &ta, &err), "tokenizer.ggml.token_type", &err);
    int32_t *types = malloc((n_tokens + 1) * sizeof *types);
    if (!types) die("out of memory", NULL);
    for (size_t i = 0; i < n_tokens; i++) {
        int64_t v;
        check(aia_gguf_array_i64(ta, i, &v, &err), "tokenizer.ggml.token_type", &err);
        types[i] = (int32_t)v;
    }
    aia_tokenizer_special sp = {gguf_id(g, "tokenizer.ggml.bos_token_id"), gguf_id(g, "tokenizer.ggml.eos_token_id"),
                                gguf_id(g, "tokenizer.ggml.padding_token_id"),
                                gguf_id(g, "tokenizer.ggml.unknown_token_id")};
    aia_tokenizer *t = NULL;
    check(aia_tokenizer_create(tokens, n_tokens, types, merges, n_merges, &sp, &t, &err), "tokenizer", &err);
    free(tokens);
    free(merges);
    free(types);
    return t;
}

typedef struct run {
    double prompt_s, gen_s;
} run;

/* One repeat: fresh context, timed prompt, timed greedy generation; the
 * greedy ids (gen_tokens + 1: the one after the prompt and one per eval)
 * go to out_ids. */
static run one_run(const aia_llama *m, const opts *o, const int32_t *prompt, float *logits, int32_t *out_ids) {
    aia_error err;
    aia_llama_ctx *c = NULL;
    check(aia_llama_context_create(m, o->prompt_tokens + o->gen_tokens + 1, o->threads, &c, &err), "context", &err);
    aia_llama_set_exact(c, o->exact);
    size_t n_vocab = aia_llama_n_vocab(m);
    run r;
    double t0 = now_s();
    check(aia_llama_eval(c, prompt, o->prompt_tokens, 0, logits, &err), "prompt eval", &err);
    r.prompt_s = now_s() - t0;
    out_ids[0] = aia_sample_argmax(logits, n_vocab);
    t0 = now_s();
    for (size_t i = 0; i < o->gen_tokens; i++) {
        check(aia_llama_eval(c, &out_ids[i], 1, o->prompt_tokens + i, logits, &err), "generation eval", &err);
        out_ids[i + 1] = aia_sample_argmax(logits, n_vocab);
    }
    r.gen_s = now_s() - t0;
    aia_llama_context_destroy(c);
    return r;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void print_ids(const char *key, const int32_t *ids, size_t n) {
    printf(",\"%s\":[", key);
    for (size_t i = 0; i < n; i++) printf("%s%d", i ? "," : "", ids[i]);
    printf("]");
}

static void print_result(const opts *o, const run *runs, const int32_t *prompt, const int32_t *gen) {
    double ps[MAX_REPEATS], gs[MAX_REPEATS];
    printf("{\"engine\":\"aia\",\"path\":\"%s\",\"threads\":%d,\"prompt_tokens\":%zu,\"gen_tokens\":%zu,"
           "\"repeats\":%d,\"prompt_s\":[", o->exact ? "exact" : "fast", o->threads, o->prompt_tokens,
           o->gen_tokens, o->repeats);
    for (int i = 0; i < o->repeats; i++) printf("%s%.6f", i ? "," : "", runs[i].prompt_s);
    printf("],\"gen_s\":[");
    for (int i = 0; i < o->repeats; i++) printf("%s%.6f", i ? "," : "", runs[i].gen_s);
    printf("]");
    for (int i = 0; i < o->repeats; i++) {
        ps[i] = (double)o->prompt_tokens / runs[i].prompt_s;
        gs[i] = (double)o->gen_tokens / runs[i].gen_s;
    }
    double pm = median(ps, o->repeats), gm = median(gs, o->repeats);
    printf(",\"prompt_tps_median\":%.2f,\"prompt_tps_best\":%.2f,\"gen_tps_median\":%.2f,\"gen_tps_best\":%.2f", pm,
           ps[o->repeats - 1], gm, gs[o->repeats - 1]);
    print_ids("prompt_ids", prompt, o->prompt_tokens);
    print_ids("greedy_ids", gen, o->gen_tokens + 1);
    printf("}\n");
}

int main(int argc, char **argv) {
    opts o = parse_args(argc, argv);
    aia_error err;
    aia_gguf *g = NULL;
    aia_llama *m = NULL;
    check(aia_gguf_open(o.model, &g, &err), o.model, &err);
    check(aia_llama_load(g, &m, &err), "load", &err);
    aia_tokenizer *tok = tokenizer_from_gguf(g);

    size_t text_len = 0, n_ids = 0;
    char *text = read_file(o.prompt_file, &text_len);
    int32_t *ids = NULL;
    check(aia_tokenizer_encode(tok, text, text_len, 0, 0, &ids, &n_ids, &err), "encode prompt", &err);
    if (n_ids < o.prompt_tokens) {
        fprintf(stderr, "aia-llm-bench: %s encodes to %zu tokens, fewer than --prompt-tokens %zu\n", o.prompt_file,
                n_ids, o.prompt_tokens);
        return 1;
    }
    float *logits = malloc(aia_llama_n_vocab(m) * sizeof *logits);
    int32_t *gen = malloc((o.gen_tokens + 1) * sizeof *gen);
    if (!logits || !gen) die("out of memory", NULL);

    run runs[MAX_REPEATS];
    for (int i = 0; i < o.repeats; i++) runs[i] = one_run(m, &o, ids, logits, gen);
    print_result(&o, runs, ids, gen);

    free(gen);
    free(logits);
    free(ids);
    free(text);
    aia_tokenizer_destroy(tok);
    aia_llama_free(m);
    aia_gguf_close(g);
    return 0;
}
