/* lib/llm/tokenizer_internal.h — shared between tokenizer*.c only. */
#ifndef AIA_LLM_TOKENIZER_INTERNAL_H
#define AIA_LLM_TOKENIZER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/llm/tokenizer.h"

typedef struct aia_tok_range {
    uint32_t lo, hi;
} aia_tok_range;

extern const aia_tok_range aia_tok_letters[];
extern const size_t aia_tok_letters_len;
extern const aia_tok_range aia_tok_numbers[];
extern const size_t aia_tok_numbers_len;

/* Character classes of the pre-tokenizer. */
typedef enum aia_tok_class {
    AIA_TOK_LETTER,
    AIA_TOK_NUMBER,
    AIA_TOK_SPACE, /* Unicode White_Space */
    AIA_TOK_OTHER,
} aia_tok_class;

aia_tok_class aia_tok_classify(uint32_t cp);

/* Decodes one UTF-8 character at s[0..len) (len >= 1); returns its byte
 * length. Invalid or truncated sequences decode as one byte with
 * *cp = 0xFFFFFFFF (classified OTHER). */
size_t aia_tok_utf8_next(const unsigned char *s, size_t len, uint32_t *cp);

/* Calls emit(ctx, offset, length) for each pre-token piece of
 * text[0..len), in order, covering every byte. Returns emit's first
 * non-zero return, else 0. */
typedef int (*aia_tok_emit_fn)(void *ctx, size_t off, size_t len);
int aia_tok_split(const char *text, size_t len, aia_tok_emit_fn emit, void *ctx);

/* One merge: (left id, right id) -> merged id at a rank. */
typedef struct aia_tok_merge {
    uint64_t key; /* (left << 32) | right; 0 with rank -1 marks empty */
    int32_t rank;
    int32_t merged;
} aia_tok_merge;

struct aia_tokenizer {
    size_t n_tokens;
    char **tokens;        /* vocabulary strings as given */
    int32_t *types;       /* aia_token_type per id */
    char **bytes;         /* decoded bytes per id */
    size_t *bytes_len;
    int32_t *str_index;   /* open addressing: slot -> id or -1 */
    size_t str_cap;       /* power of two */
    aia_tok_merge *merges;
    size_t merge_cap;     /* power of two */
    int32_t byte_id[256]; /* id of each single byte's mapped character, or -1 */
    int32_t *specials;    /* control + user-defined ids, longest text first */
    size_t n_specials;
    unsigned char special_first[256]; /* 1 when some special starts with the byte */
    aia_tokenizer_special special;
};

/* Merge lookup: rank (or -1 when the pair does not merge) and merged id. */
int32_t aia_tok_merge_find(const aia_tokenizer *t, int32_t left, int32_t right, int32_t *merged);

/* BPE over one piece of raw bytes; appends ids to *ids (grown with
 * realloc). Returns AIA_RESOURCE_EXHAUSTED on allocation failure. */
typedef struct aia_tok_vec {
    int32_t *ids;
    size_t n, cap;
} aia_tok_vec;

int aia_tok_vec_push(aia_tok_vec *v, int32_t id);
aia_status aia_tok_bpe(const aia_tokenizer *t, const unsigned char *piece, size_t len,
                       aia_tok_vec *out, aia_error *err);

/* GPT-2's byte <-> unicode alphabet. */
uint32_t aia_tok_byte_to_cp(unsigned char b);
int aia_tok_cp_to_byte(uint32_t cp); /* -1 when cp is not in the alphabet */

#endif
