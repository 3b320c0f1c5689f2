/* lib/llm/tokenizer_gguf.c — see tokenizer_gguf.h. */
#include "lib/llm/tokenizer_gguf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static aia_status gguf_strings(const aia_gguf *g, const char *key, int required, const char ***out, size_t *n,
                               aia_error *err) {
    const aia_gguf_value *arr;
    *out = NULL;
    *n = 0;
    aia_status st = aia_gguf_get_array(g, key, &arr, err);
    if (st == AIA_NOT_FOUND && !required) return AIA_OK;
    if (st != AIA_OK) return st;
    *out = malloc((arr->v.arr.count ? arr->v.arr.count : 1) * sizeof **out);
    if (!*out) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "%s: out of memory", key);
    for (uint64_t i = 0; i < arr->v.arr.count; i++) {
        st = aia_gguf_array_str(arr, i, &(*out)[i], NULL, err);
        if (st != AIA_OK) return st;
    }
    *n = (size_t)arr->v.arr.count;
    return AIA_OK;
}

static int32_t special_id(const aia_gguf *g, const char *key) {
    uint32_t v;
    return aia_gguf_get_u32(g, key, &v, NULL) == AIA_OK && v <= INT32_MAX ? (int32_t)v : -1;
}

static aia_status token_types(const aia_gguf *g, size_t n_tokens, int32_t **out, aia_error *err) {
    const aia_gguf_value *arr;
    *out = NULL;
    if (aia_gguf_get_array(g, "tokenizer.ggml.token_type", &arr, NULL) != AIA_OK) return AIA_OK;
    if (arr->v.arr.count != n_tokens)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "tokenizer.ggml.token_type has %llu entries, tokens %zu",
                             (unsigned long long)arr->v.arr.count, n_tokens);
    *out = malloc((n_tokens ? n_tokens : 1) * sizeof **out);
    if (!*out) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "token types: out of memory");
    for (size_t i = 0; i < n_tokens; i++) {
        int64_t v;
        aia_status st = aia_gguf_array_i64(arr, i, &v, err);
        if (st != AIA_OK) return st;
        (*out)[i] = (int32_t)v;
    }
    return AIA_OK;
}

aia_status aia_tokenizer_from_gguf(const aia_gguf *g, aia_tokenizer **out, aia_error *err) {
    const char *kind = NULL;
    aia_status st = aia_gguf_get_str(g, "tokenizer.ggml.model", &kind, NULL, err);
    if (st != AIA_OK) return st;
    if (strcmp(kind, "gpt2") != 0)
        return aia_error_set(err, AIA_UNIMPLEMENTED, "tokenizer.ggml.model \"%s\": only \"gpt2\" (byte-level BPE)",
                             kind);
    const char **tokens = NULL, **merges = NULL;
    int32_t *types = NULL;
    size_t n_tokens = 0, n_merges = 0;
    st = gguf_strings(g, "tokenizer.ggml.tokens", 1, &tokens, &n_tokens, err);
    if (st == AIA_OK) st = gguf_strings(g, "tokenizer.ggml.merges", 0, &merges, &n_merges, err);
    if (st == AIA_OK) st = token_types(g, n_tokens, &types, err);
    if (st == AIA_OK) {
        aia_tokenizer_special sp = {special_id(g, "tokenizer.ggml.bos_token_id"),
                                    special_id(g, "tokenizer.ggml.eos_token_id"),
                                    special_id(g, "tokenizer.ggml.padding_token_id"),
                                    special_id(g, "tokenizer.ggml.unknown_token_id")};
        st = aia_tokenizer_create(tokens, n_tokens, types, merges, n_merges, &sp, out, err);
    }
    free(tokens);
    free(merges);
    free(types);
    return st;
}

