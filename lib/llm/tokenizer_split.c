/* lib/llm/tokenizer_split.c — the "smollm" pre-tokenizer, by hand.
 *
 * llama.cpp and Hugging Face split SmolLM2 text in two passes: first every
 * Unicode number character is isolated (\p{N}), then the gaps between them
 * go through GPT-2's pattern
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 * whose alternatives are tried in order at each position. Doing it with
 * explicit scanning keeps it linear and free of a regex library.
 */
#include <string.h>

#include "lib/llm/tokenizer_internal.h"

static int in_ranges(const aia_tok_range *r, size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid].lo)
            hi = mid;
        else if (cp > r[mid].hi)
            lo = mid + 1;
        else
            return 1;
    }
    return 0;
}

static int is_white_space(uint32_t cp)
{
    /* The Unicode White_Space property (what \s means to both engines). */
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
           (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
           cp == 0x205F || cp == 0x3000;
}

aia_tok_class aia_tok_classify(uint32_t cp)
{
    if (cp < 0x80) {
        if ((cp | 0x20) >= 'a' && (cp | 0x20) <= 'z')
            return AIA_TOK_LETTER;
        if (cp >= '0' && cp <= '9')
            return AIA_TOK_NUMBER;
        return is_white_space(cp) ? AIA_TOK_SPACE : AIA_TOK_OTHER;
    }
    if (cp > 0x10FFFF)
        return AIA_TOK_OTHER;
    if (is_white_space(cp))
        return AIA_TOK_SPACE;
    if (in_ranges(aia_tok_letters, aia_tok_letters_len, cp))
        return AIA_TOK_LETTER;
    if (in_ranges(aia_tok_numbers, aia_tok_numbers_len, cp))
        return AIA_TOK_NUMBER;
    return AIA_TOK_OTHER;
}

size_t aia_tok_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    if (n > len) {
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFFFFFFu;
            return 1;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *cp = 0xFFFFFFFFu;
        return 1;
    }
    *cp = v;
    return n;
}

/* A gap holds no number characters (the first pass took them out). */
typedef struct gap {
    const unsigned char *s;
    size_t len;
} gap;

static aia_tok_class class_at(const gap *g, size_t i, size_t *width)
{
    uint32_t cp;
    *width = aia_tok_utf8_next(g->s + i, g->len - i, &cp);
    return aia_tok_classify(cp);
}

/* End of the run of class `c` starting at i. */
static size_t run_end(const gap *g, size_t i, aia_tok_class c)
{
    while (i < g->len) {
        size_t w;
        if (class_at(g, i, &w) != c)
            break;
        i += w;
    }
    return i;
}

static size_t contraction(const gap *g, size_t i)
{
    const unsigned char *s = g->s + i;
    size_t left = g->len - i;
    if (left < 2 || s[0] != '\'')
        return 0;
    if (s[1] == 's' || s[1] == 't' || s[1] == 'm' || s[1] == 'd')
        return 2;
    if (left >= 3 && ((s[1] == 'r' && s[2] == 'e') || (s[1] == 'v' && s[2] == 'e') ||
                      (s[1] == 'l' && s[2] == 'l')))
        return 3;
    return 0;
}

/* Length of the piece starting at i (always >= 1). */
static size_t piece_at(const gap *g, size_t i)
{
    size_t w, n = contraction(g, i);
    if (n)
        return n;
    size_t j = i;
    if (g->s[j] == ' ' && j + 1 < g->len)
        j++; /* the optional leading space of " ?X+" */
    aia_tok_class c = class_at(g, j, &w);
    if (c != AIA_TOK_SPACE)
        return run_end(g, j, c) - i; /* " ?\p{L}+", " ?\p{N}+" or " ?[^\s\p{L}\p{N}]+" */
    /* Whitespace: \s+(?!\S) takes the run except a last character that
     * precedes a non-space; a lone one left over is taken by \s+ — unless
     * it is a space, which the next word's " ?" claims (handled above). */
    size_t end = run_end(g, i, AIA_TOK_SPACE);
    if (end == g->len)
        return end - i;
    size_t last = i, k = i;
    while (k < end) {
        last = k;
        k += aia_tok_utf8_next(g->s + k, g->len - k, &(uint32_t){0});
    }
    return last > i ? last - i : end - i;
}

static int split_gap(const char *text, size_t off, size_t len, aia_tok_emit_fn emit, void *ctx)
{
    gap g = {(const unsigned char *)text + off, len};
    size_t i = 0;
    while (i < len) {
        size_t n = piece_at(&g, i);
        int rc = emit(ctx, off + i, n);
        if (rc)
            return rc;
        i += n;
    }
    return 0;
}

int aia_tok_split(const char *text, size_t len, aia_tok_emit_fn emit, void *ctx)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t start = 0, i = 0;
    while (i < len) {
        uint32_t cp;
        size_t w = aia_tok_utf8_next(s + i, len - i, &cp);
        if (aia_tok_classify(cp) != AIA_TOK_NUMBER) {
            i += w;
            continue;
        }
        int rc = split_gap(text, start, i - start, emit, ctx);
        if (!rc)
            rc = emit(ctx, i, w);
        if (rc)
            return rc;
        i += w;
        start = i;
    }
    return split_gap(text, start, len - start, emit, ctx);
}
