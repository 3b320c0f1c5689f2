/* lib/llm/tokenizer_encode.c — text -> ids and ids -> bytes. */
#include <stdlib.h>
#include <string.h>

#include "lib/llm/tokenizer_internal.h"

typedef struct encode_ctx {
    const aia_tokenizer *t;
    const char *text;
    aia_tok_vec *out;
    aia_error *err;
    aia_status st;
} encode_ctx;

static int bpe_piece(void *vctx, size_t off, size_t len)
{
    encode_ctx *c = vctx;
    c->st = aia_tok_bpe(c->t, (const unsigned char *)c->text + off, len, c->out, c->err);
    return c->st != AIA_OK;
}

/* Longest control / user-defined token whose text starts at s, or -1. */
static int32_t special_at(const aia_tokenizer *t, const char *s, size_t left)
{
    if (!t->special_first[(unsigned char)s[0]])
        return -1;
    for (size_t i = 0; i < t->n_specials; i++) {
        int32_t id = t->specials[i];
        size_t n = t->bytes_len[id];
        if (n <= left && memcmp(s, t->bytes[id], n) == 0)
            return id;
    }
    return -1;
}

static aia_status encode_text(encode_ctx *c, size_t off, size_t len)
{
    if (len == 0)
        return AIA_OK;
    encode_ctx part = {c->t, c->text + off, c->out, c->err, AIA_OK};
    aia_tok_split(part.text, len, bpe_piece, &part);
    return part.st;
}

static aia_status encode_all(encode_ctx *c, size_t len, int parse_special)
{
    size_t start = 0;
    for (size_t i = 0; parse_special && i < len; i++) {
        int32_t id = special_at(c->t, c->text + i, len - i);
        if (id < 0)
            continue;
        aia_status st = encode_text(c, start, i - start);
        if (st != AIA_OK)
            return st;
        if (aia_tok_vec_push(c->out, id))
            return aia_error_set(c->err, AIA_RESOURCE_EXHAUSTED, "tokenizer: no memory for token ids");
        i += c->t->bytes_len[id] - 1;
        start = i + 1;
    }
    return encode_text(c, start, len - start);
}

aia_status aia_tokenizer_encode(const aia_tokenizer *t, const char *text, size_t len, int add_bos,
                                int parse_special, int32_t **ids_out, size_t *n_out, aia_error *err)
{
    *ids_out = NULL;
    *n_out = 0;
    if (!text && len > 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "tokenizer: text is NULL with length %zu", len);
    if (add_bos && t->special.bos < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "tokenizer: add_bos but the model has no BOS token");
    aia_tok_vec v = {0};
    aia_status st = AIA_OK;
    if (add_bos && aia_tok_vec_push(&v, t->special.bos))
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tokenizer: no memory for token ids");
    encode_ctx c = {t, text, &v, err, AIA_OK};
    if (st == AIA_OK)
        st = encode_all(&c, len, parse_special);
    if (st != AIA_OK) {
        free(v.ids);
        return st;
    }
    *ids_out = v.ids;
    *n_out = v.n;
    return AIA_OK;
}

aia_status aia_tokenizer_decode(const aia_tokenizer *t, const int32_t *ids, size_t n, int skip_control,
                                char **text_out, size_t *len_out, aia_error *err)
{
    *text_out = NULL;
    *len_out = 0;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || (size_t)ids[i] >= t->n_tokens)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "tokenizer: id %d at position %zu is outside the vocabulary of %zu tokens",
                                 (int)ids[i], i, t->n_tokens);
        if (!(skip_control && t->types[ids[i]] == AIA_TOKEN_CONTROL))
            total += t->bytes_len[ids[i]];
    }
    char *s = malloc(total + 1);
    if (!s)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "tokenizer: no memory for %zu decoded bytes", total);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (skip_control && t->types[ids[i]] == AIA_TOKEN_CONTROL)
            continue;
        memcpy(s + o, t->bytes[ids[i]], t->bytes_len[ids[i]]);
        o += t->bytes_len[ids[i]];
    }
    s[o] = '\0';
    *text_out = s;
    *len_out = o;
    return AIA_OK;
}

/* Bytes a UTF-8 lead byte announces (1 for ASCII and for bytes that can
 * never start a sequence). */
static size_t utf8_expected(unsigned char c)
{
    if ((c & 0xE0) == 0xC0 && c >= 0xC2)
        return 2;
    if ((c & 0xF0) == 0xE0)
        return 3;
    if ((c & 0xF8) == 0xF0 && c <= 0xF4)
        return 4;
    return 1;
}

size_t aia_utf8_complete_prefix(const char *buf, size_t len)
{
    const unsigned char *s = (const unsigned char *)buf;
    /* Only the last three bytes can belong to an unfinished character. */
    for (size_t back = 1; back <= 3 && back <= len; back++) {
        unsigned char c = s[len - back];
        if ((c & 0xC0) == 0x80)
            continue; /* continuation byte: keep looking for its lead */
        size_t need = utf8_expected(c);
        return need > back ? len - back : len;
    }
    return len;
}
