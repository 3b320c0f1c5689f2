/* lib/llm/tokenizer.h — byte-level BPE tokenizer (GPT-2 family) for the local
 * LLM provider, as a GGUF declares it with tokenizer.ggml.model = "gpt2".
 *
 * The vocabulary is taken as plain arrays (not from the GGUF loader), so the
 * tokenizer is testable alone:
 *   - token strings are in GPT-2's byte-to-unicode alphabet (a space byte is
 *     "Ġ", a newline "Ċ", ...), except control / user-defined tokens, which
 *     are literal text ("<|im_start|>");
 *   - merges are "left right" strings in rank order (rank 0 merges first).
 *
 * Encoding follows the pre-tokenizer of SmolLM2 (tokenizer.ggml.pre =
 * "smollm", the StarCoder split): every Unicode number character is its own
 * piece, then GPT-2's split ('s 't 're 've 'm 'll 'd, " ?letters",
 * " ?numbers", " ?other", whitespace runs that leave their last space to the
 * next word). Each piece is BPE-merged by merge rank. Control and
 * user-defined tokens found verbatim in the text become their id before
 * any of this when parse_special is set (the chat prompt relies on it).
 *
 * Ownership: aia_tokenizer_create copies everything it is given; the caller
 * may free its arrays afterwards. Arrays returned through `ids_out` /
 * `text_out` are malloc'd and owned by the caller (free()).
 * Thread-safety: a created tokenizer is immutable; encode/decode/lookups may
 * run concurrently from any number of threads. destroy must not race them.
 * Errors: INVALID_ARGUMENT naming the token / merge index and why (duplicate
 * token, merge of unknown tokens, special id out of range, bad token id on
 * decode); RESOURCE_EXHAUSTED when memory runs out. Any byte string encodes
 * (invalid UTF-8 bytes become single-byte pieces), so encode never fails on
 * content.
 */
#ifndef AIA_LLM_TOKENIZER_H
#define AIA_LLM_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

/* GGUF's tokenizer.ggml.token_type values (llama.cpp's numbering). */
typedef enum aia_token_type {
    AIA_TOKEN_UNDEFINED = 0,
    AIA_TOKEN_NORMAL = 1,
    AIA_TOKEN_UNKNOWN = 2,
    AIA_TOKEN_CONTROL = 3,
    AIA_TOKEN_USER_DEFINED = 4,
    AIA_TOKEN_UNUSED = 5,
    AIA_TOKEN_BYTE = 6,
} aia_token_type;

/* Special ids; -1 when the model has none. */
typedef struct aia_tokenizer_special {
    int32_t bos;
    int32_t eos;
    int32_t pad;
    int32_t unk;
} aia_tokenizer_special;

typedef struct aia_tokenizer aia_tokenizer;

/* Builds a tokenizer. `token_types` may be NULL (all NORMAL); `special` may
 * be NULL (no specials). Control and user-defined tokens are the ones
 * matched verbatim in text. */
aia_status aia_tokenizer_create(const char *const *tokens, size_t n_tokens,
                                const int32_t *token_types, const char *const *merges,
                                size_t n_merges, const aia_tokenizer_special *special,
                                aia_tokenizer **out, aia_error *err);

void aia_tokenizer_destroy(aia_tokenizer *t);

size_t aia_tokenizer_n_tokens(const aia_tokenizer *t);
aia_tokenizer_special aia_tokenizer_specials(const aia_tokenizer *t);

/* Id of an exact token string (as stored in the vocabulary), or -1. */
int32_t aia_tokenizer_find(const aia_tokenizer *t, const char *token);

/* Type of token `id`; AIA_TOKEN_UNDEFINED when out of range. */
aia_token_type aia_tokenizer_token_type(const aia_tokenizer *t, int32_t id);

/* Encodes text[0..len) (len bytes, NUL not required). With add_bos the BOS
 * id comes first (INVALID_ARGUMENT if the model has none). With
 * parse_special, control / user-defined token strings in the text become
 * their ids (longest match first); without it they are ordinary text.
 * On success *ids_out (malloc'd, may be NULL when *n_out == 0) holds the ids. */
aia_status aia_tokenizer_encode(const aia_tokenizer *t, const char *text, size_t len, int add_bos,
                                int parse_special, int32_t **ids_out, size_t *n_out,
                                aia_error *err);

/* The bytes token `id` stands for: the byte-level mapping undone for normal
 * tokens, the literal text for control / user-defined ones. The bytes may be
 * a partial UTF-8 sequence (a multi-byte character split across tokens);
 * streaming callers append them to a buffer and emit only
 * aia_utf8_complete_prefix() of it. Returns NULL (and *len = 0) for an id
 * out of range. The pointer lives as long as the tokenizer. */
const char *aia_tokenizer_token_bytes(const aia_tokenizer *t, int32_t id, size_t *len);

/* Decodes ids into a malloc'd, NUL-terminated byte string (*text_out, length
 * *len_out). With skip_control, control tokens (BOS, EOS, <|im_end|>...)
 * produce nothing. INVALID_ARGUMENT names the first id out of range. */
aia_status aia_tokenizer_decode(const aia_tokenizer *t, const int32_t *ids, size_t n,
                                int skip_control, char **text_out, size_t *len_out,
                                aia_error *err);

/* Length of the longest prefix of buf[0..len) that does not end inside an
 * incomplete UTF-8 sequence: a trailing lead byte whose continuation bytes
 * have not all arrived yet is held back. Invalid bytes are not held back
 * (they would never complete). */
size_t aia_utf8_complete_prefix(const char *buf, size_t len);

#endif
