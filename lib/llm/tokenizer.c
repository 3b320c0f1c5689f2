/* lib/llm/tokenizer.c — vocabulary tables: building, lookups, decoding. */
#include <stdlib.h>
#include <string.h>

#include "lib/llm/tokenizer_internal.h"

/* GPT-2 keeps printable Latin-1 bytes as themselves and moves the others
 * (controls, space, DEL, NBSP, soft hyphen) to U+0100 onwards, in order,
 * so that every byte is a visible character in vocabulary strings. */
static int byte_is_printable(unsigned b)
{
    return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
}

/* The moved bytes, in order: 0..32 (to U+0100..U+0120), 127..160
 * (U+0121..U+0142) and 173 (U+0143). */
uint32_t aia_tok_byte_to_cp(unsigned char b)
{
    if (byte_is_printable(b))
        return b;
    if (b <= 32)
        return 256u + b;
    if (b >= 127 && b <= 160)
        return 256u + 33u + (b - 127u);
    return 256u + 67u; /* 173, the soft hyphen */
}

int aia_tok_cp_to_byte(uint32_t cp)
{
    if (cp < 256)
        return byte_is_printable(cp) ? (int)cp : -1;
    uint32_t k = cp - 256;
    if (k <= 32)
        return (int)k;
    if (k <= 66)
        return (int)(127 + (k - 33));
    return k == 67 ? 173 : -1;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static size_t pow2_above(size_t n)
{
    size_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    return cap;
}

static int32_t find_n(const aia_tokenizer *t, const char *s, size_t n)
{
    size_t mask = t->str_cap - 1;
    for (size_t i = hash_bytes(s, n) & mask;; i = (i + 1) & mask) {
        int32_t id = t->str_index[i];
        if (id < 0)
            return -1;
        if (strncmp(t->tokens[id], s, n) == 0 && t->tokens[id][n] == '\0')
            return id;
    }
}

int32_t aia_tokenizer_find(const aia_tokenizer *t, const char *token)
{
    return find_n(t, token, strlen(token));
}

int32_t aia_tok_merge_find(const aia_tokenizer *t, int32_t left, int32_t right, int32_t *merged)
{
    if (left < 0 || right < 0)
        return -1;
    uint64_t key = ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
    size_t mask = t->merge_cap - 1;
    for (size_t i = hash_u64(key) & mask;; i = (i + 1) & mask) {
        const aia_tok_merge *m = &t->merges[i];
        if (m->rank < 0)
            return -1;
        if (m->key == key) {
            *merged = m->merged;
            return m->rank;
        }
    }
}

static aia_status oom(aia_error *err, const char *what)
{
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tokenizer: no memory for %s", what);
}

static aia_status copy_tokens(aia_tokenizer *t, const char *const *tokens, const int32_t *types,
                              aia_error *err)
{
    t->tokens = calloc(t->n_tokens, sizeof *t->tokens);
    t->types = calloc(t->n_tokens, sizeof *t->types);
    t->str_cap = pow2_above(t->n_tokens);
    t->str_index = malloc(t->str_cap * sizeof *t->str_index);
    if (!t->tokens || !t->types || !t->str_index)
        return oom(err, "the vocabulary");
    memset(t->str_index, 0xFF, t->str_cap * sizeof *t->str_index);
    for (size_t id = 0; id < t->n_tokens; id++) {
        if (!tokens[id])
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "tokenizer: token %zu is NULL", id);
        t->types[id] = types ? types[id] : AIA_TOKEN_NORMAL;
        if (t->types[id] < AIA_TOKEN_UNDEFINED || t->types[id] > AIA_TOKEN_BYTE)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "tokenizer: token %zu has type %d, not 0..6",
                                 id, (int)t->types[id]);
        size_t n = strlen(tokens[id]);
        int32_t dup = find_n(t, tokens[id], n);
        if (dup >= 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "tokenizer: token %zu \"%.40s\" duplicates token %d", id, tokens[id], (int)dup);
        if (!(t->tokens[id] = strdup(tokens[id])))
            return oom(err, "the vocabulary");
        size_t mask = t->str_cap - 1, i = hash_bytes(tokens[id], n) & mask;
        while (t->str_index[i] >= 0)
            i = (i + 1) & mask;
        t->str_index[i] = (int32_t)id;
    }
    return AIA_OK;
}

/* A normal token's bytes: each character of GPT-2's alphabet back to its
 * byte; a character outside the alphabet is kept as its UTF-8. */
static aia_status token_bytes(aia_tokenizer *t, size_t id, aia_error *err)
{
    const char *s = t->tokens[id];
    size_t n = strlen(s), o = 0;
    if (!(t->bytes[id] = malloc(n + 1)))
        return oom(err, "decoded tokens");
    int literal = t->types[id] == AIA_TOKEN_CONTROL || t->types[id] == AIA_TOKEN_USER_DEFINED;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t w = aia_tok_utf8_next((const unsigned char *)s + i, n - i, &cp);
        int b = literal ? -1 : aia_tok_cp_to_byte(cp);
        if (b >= 0) {
            t->bytes[id][o++] = (char)b;
        } else {
            memcpy(t->bytes[id] + o, s + i, w);
            o += w;
        }
        i += w;
    }
    t->bytes[id][o] = '\0';
    t->bytes_len[id] = o;
    return AIA_OK;
}

static aia_status build_bytes(aia_tokenizer *t, aia_error *err)
{
    t->bytes = calloc(t->n_tokens, sizeof *t->bytes);
    t->bytes_len = calloc(t->n_tokens, sizeof *t->bytes_len);
    if (!t->bytes || !t->bytes_len)
        return oom(err, "decoded tokens");
    for (size_t id = 0; id < t->n_tokens; id++) {
        aia_status st = token_bytes(t, id, err);
        if (st != AIA_OK)
            return st;
    }
    for (unsigned b = 0; b < 256; b++) {
        char utf8[4];
        uint32_t cp = aia_tok_byte_to_cp((unsigned char)b);
        size_t n = cp < 0x80 ? (utf8[0] = (char)cp, 1)
                             : (utf8[0] = (char)(0xC0 | (cp >> 6)), utf8[1] = (char)(0x80 | (cp & 0x3F)), 2);
        t->byte_id[b] = find_n(t, utf8, n);
    }
    return AIA_OK;
}

static aia_status add_merge(aia_tokenizer *t, size_t rank, const char *m, aia_error *err)
{
    const char *sp = m ? strchr(m, ' ') : NULL;
    if (!sp || sp == m || !sp[1] || strchr(sp + 1, ' '))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "tokenizer: merge %zu \"%.40s\" is not \"left right\"", rank, m ? m : "(null)");
    size_t ln = (size_t)(sp - m), rn = strlen(sp + 1);
    int32_t l = find_n(t, m, ln), r = find_n(t, sp + 1, rn);
    char *joined = malloc(ln + rn + 1);
    if (!joined)
        return oom(err, "merges");
    memcpy(joined, m, ln);
    memcpy(joined + ln, sp + 1, rn + 1);
    int32_t merged = find_n(t, joined, ln + rn);
    free(joined);
    if (l < 0 || r < 0 || merged < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "tokenizer: merge %zu \"%.40s\": %s is not in the vocabulary", rank, m,
                             l < 0 ? "the left part" : r < 0 ? "the right part" : "the merged token");
    uint64_t key = ((uint64_t)(uint32_t)l << 32) | (uint32_t)r;
    size_t mask = t->merge_cap - 1, i = hash_u64(key) & mask;
    while (t->merges[i].rank >= 0) {
        if (t->merges[i].key == key)
            return AIA_OK; /* a repeated merge keeps its first (lowest) rank */
        i = (i + 1) & mask;
    }
    t->merges[i] = (aia_tok_merge){key, (int32_t)rank, merged};
    return AIA_OK;
}

static aia_status build_merges(aia_tokenizer *t, const char *const *merges, size_t n, aia_error *err)
{
    t->merge_cap = pow2_above(n);
    t->merges = malloc(t->merge_cap * sizeof *t->merges);
    if (!t->merges)
        return oom(err, "merges");
    for (size_t i = 0; i < t->merge_cap; i++)
        t->merges[i] = (aia_tok_merge){0, -1, -1};
    for (size_t i = 0; i < n; i++) {
        aia_status st = add_merge(t, i, merges[i], err);
        if (st != AIA_OK)
            return st;
    }
    return AIA_OK;
}

static aia_status build_specials(aia_tokenizer *t, aia_error *err)
{
    t->specials = malloc((t->n_tokens ? t->n_tokens : 1) * sizeof *t->specials);
    if (!t->specials)
        return oom(err, "special tokens");
    for (size_t id = 0; id < t->n_tokens; id++) {
        int32_t ty = t->types[id];
        if ((ty == AIA_TOKEN_CONTROL || ty == AIA_TOKEN_USER_DEFINED) && t->bytes_len[id] > 0) {
            t->specials[t->n_specials++] = (int32_t)id;
            t->special_first[(unsigned char)t->bytes[id][0]] = 1;
        }
    }
    /* Longest first, so "<|im_start|>" wins over a shorter prefix token.
     * Insertion sort: qsort has no context argument, and there are few. */
    for (size_t i = 1; i < t->n_specials; i++) {
        int32_t v = t->specials[i];
        size_t j = i;
        while (j > 0 && t->bytes_len[t->specials[j - 1]] < t->bytes_len[v]) {
            t->specials[j] = t->specials[j - 1];
            j--;
        }
        t->specials[j] = v;
    }
    return AIA_OK;
}

static aia_status check_specials(const aia_tokenizer *t, aia_error *err)
{
    const int32_t ids[4] = {t->special.bos, t->special.eos, t->special.pad, t->special.unk};
    static const char *const names[4] = {"bos", "eos", "pad", "unk"};
    for (int i = 0; i < 4; i++)
        if (ids[i] < -1 || (ids[i] >= 0 && (size_t)ids[i] >= t->n_tokens))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "tokenizer: special %s id %d is outside the vocabulary of %zu tokens",
                                 names[i], (int)ids[i], t->n_tokens);
    return AIA_OK;
}

aia_status aia_tokenizer_create(const char *const *tokens, size_t n_tokens, const int32_t *token_types,
                                const char *const *merges, size_t n_merges,
                                const aia_tokenizer_special *special, aia_tokenizer **out, aia_error *err)
{
    *out = NULL;
    if (n_tokens == 0 || n_tokens > INT32_MAX || !tokens)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "tokenizer: vocabulary of %zu tokens", n_tokens);
    if (n_merges > 0 && !merges)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "tokenizer: %zu merges but no array", n_merges);
    aia_tokenizer *t = calloc(1, sizeof *t);
    if (!t)
        return oom(err, "the tokenizer");
    t->n_tokens = n_tokens;
    t->special = special ? *special : (aia_tokenizer_special){-1, -1, -1, -1};
    aia_status st = check_specials(t, err);
    if (st == AIA_OK)
        st = copy_tokens(t, tokens, token_types, err);
    if (st == AIA_OK)
        st = build_bytes(t, err);
    if (st == AIA_OK)
        st = build_merges(t, merges, n_merges, err);
    if (st == AIA_OK)
        st = build_specials(t, err);
    if (st != AIA_OK) {
        aia_tokenizer_destroy(t);
        return st;
    }
    *out = t;
    return AIA_OK;
}

void aia_tokenizer_destroy(aia_tokenizer *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_tokens; i++) {
        if (t->tokens)
            free(t->tokens[i]);
        if (t->bytes)
            free(t->bytes[i]);
    }
    free(t->tokens);
    free(t->bytes);
    free(t->bytes_len);
    free(t->types);
    free(t->str_index);
    free(t->merges);
    free(t->specials);
    free(t);
}

size_t aia_tokenizer_n_tokens(const aia_tokenizer *t)
{
    return t->n_tokens;
}

aia_tokenizer_special aia_tokenizer_specials(const aia_tokenizer *t)
{
    return t->special;
}

aia_token_type aia_tokenizer_token_type(const aia_tokenizer *t, int32_t id)
{
    if (id < 0 || (size_t)id >= t->n_tokens)
        return AIA_TOKEN_UNDEFINED;
    return (aia_token_type)t->types[id];
}

const char *aia_tokenizer_token_bytes(const aia_tokenizer *t, int32_t id, size_t *len)
{
    if (id < 0 || (size_t)id >= t->n_tokens) {
        *len = 0;
        return NULL;
    }
    *len = t->bytes_len[id];
    return t->bytes[id];
}
