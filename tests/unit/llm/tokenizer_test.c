/* tests/unit/llm/tokenizer_test.c — lib/llm/tokenizer on a hand-made vocabulary.
 *
 * The vocabulary is three control tokens, the 256 byte characters of GPT-2's
 * alphabet (id 3 + byte) and a dozen merges, so every expected id below can
 * be worked out by hand from the pre-tokenizer rules and the merge ranks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "lib/llm/tokenizer.h"

#define B(c) (3 + (int32_t)(unsigned char)(c)) /* id of a single byte */

enum {
    T_Gt = 259, T_he, T_Gthe, T_in, T_GG, T_on, T_don, T_apos_t, T_CC, T_12, T_zh, T_aa,
};

static const char *const MERGES[] = {
    "Ġ t", "h e", "Ġt he", "i n", "Ġ Ġ", "o n", "d on", "' t", "Ċ Ċ", "1 2", "ä ¸", "a a",
};
static const char *const MERGED[] = {
    "Ġt", "he", "Ġthe", "in", "ĠĠ", "on", "don", "'t", "ĊĊ", "12", "ä¸", "aa",
};
#define N_MERGES (sizeof MERGES / sizeof MERGES[0])
#define N_TOKENS (3 + 256 + N_MERGES)

/* GPT-2's alphabet, written independently of the library: printable
 * Latin-1 bytes stand for themselves, the rest take U+0100.. in order. */
static void byte_char(unsigned b, char out[3])
{
    unsigned cp = b, k = 0;
    int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    if (!printable) {
        for (unsigned i = 0; i < b; i++)
            k += !((i >= 33 && i <= 126) || (i >= 161 && i <= 172) || i >= 174);
        cp = 256 + k;
    }
    if (cp < 0x80) {
        out[0] = (char)cp, out[1] = 0;
    } else {
        out[0] = (char)(0xC0 | (cp >> 6)), out[1] = (char)(0x80 | (cp & 0x3F)), out[2] = 0;
    }
}

static aia_tokenizer *make_tokenizer(void)
{
    static char bytes[256][3];
    const char *tokens[N_TOKENS];
    int32_t types[N_TOKENS];
    tokens[0] = "<|endoftext|>", tokens[1] = "<|im_start|>", tokens[2] = "<|im_end|>";
    for (int i = 0; i < 3; i++)
        types[i] = AIA_TOKEN_CONTROL;
    for (unsigned b = 0; b < 256; b++) {
        byte_char(b, bytes[b]);
        tokens[3 + b] = bytes[b];
        types[3 + b] = AIA_TOKEN_NORMAL;
    }
    for (size_t i = 0; i < N_MERGES; i++) {
        tokens[259 + i] = MERGED[i];
        types[259 + i] = AIA_TOKEN_NORMAL;
    }
    aia_tokenizer_special sp = {0, 2, 2, -1};
    aia_tokenizer *t = NULL;
    aia_error err;
    aia_status st = aia_tokenizer_create(tokens, N_TOKENS, types, MERGES, N_MERGES, &sp, &t, &err);
    if (st != AIA_OK)
        fail_msg("create: %s", err.message);
    return t;
}

static int setup(void **state)
{
    *state = make_tokenizer();
    return 0;
}

static int teardown(void **state)
{
    aia_tokenizer_destroy(*state);
    return 0;
}

static void expect_roundtrip(const aia_tokenizer *t, const char *text, size_t len, const int32_t *ids, size_t n)
{
    char *back = NULL;
    size_t back_len = 0;
    aia_error err;
    assert_int_equal(aia_tokenizer_decode(t, ids, n, 0, &back, &back_len, &err), AIA_OK);
    if (back_len != len || memcmp(back, text, len) != 0)
        fail_msg("decode(encode(\"%s\")) gave \"%s\"", text, back);
    free(back);
}

/* Encodes with parse_special and compares to the expected ids, then
 * decodes back. */
static void expect_ids_n(const aia_tokenizer *t, const char *text, int add_bos, const int32_t *want, size_t n_want)
{
    int32_t *ids = NULL;
    size_t n = 0;
    aia_error err;
    aia_status st = aia_tokenizer_encode(t, text, strlen(text), add_bos, 1, &ids, &n, &err);
    if (st != AIA_OK)
        fail_msg("encode(\"%s\"): %s", text, err.message);
    int same = n == n_want && (n == 0 || memcmp(ids, want, n * sizeof *ids) == 0);
    if (!same) {
        char got[512] = "";
        for (size_t i = 0; i < n && strlen(got) < 480; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), " %d", (int)ids[i]);
        fail_msg("encode(\"%s\") gave [%s ] (%zu ids, wanted %zu)", text, got, n, n_want);
    }
    size_t skip = add_bos ? 1 : 0;
    expect_roundtrip(t, text, strlen(text), ids + skip, n - skip);
    free(ids);
}

#define EXPECT(t, text, ...)                                                                       \
    do {                                                                                           \
        const int32_t want_[] = {__VA_ARGS__};                                                     \
        expect_ids_n(t, text, 0, want_, sizeof want_ / sizeof want_[0]);                           \
    } while (0)

static void test_ascii_words(void **state)
{
    const aia_tokenizer *t = *state;
    EXPECT(t, "the", B('t'), T_he);
    EXPECT(t, " the", T_Gthe);
    EXPECT(t, "the the", B('t'), T_he, T_Gthe);
    EXPECT(t, "in on", T_in, B(' '), T_on);
    EXPECT(t, "hi", B('h'), B('i'));
}

static void test_whitespace(void **state)
{
    const aia_tokenizer *t = *state;
    /* A space run gives its last space to the next word. */
    EXPECT(t, "  the", B(' '), T_Gthe);
    EXPECT(t, "the   ", B('t'), T_he, T_GG, B(' '));
    EXPECT(t, "   ", T_GG, B(' '));
    EXPECT(t, "a\tb", B('a'), B('\t'), B('b'));
    EXPECT(t, "a \tb", B('a'), B(' '), B('\t'), B('b'));
}

static void test_newlines(void **state)
{
    const aia_tokenizer *t = *state;
    /* "\n\n" before a word: \s+(?!\S) takes one, \s+ the other. */
    EXPECT(t, "a\n\nb", B('a'), B('\n'), B('\n'), B('b'));
    EXPECT(t, "a\n\n", B('a'), T_CC);
    EXPECT(t, "a\n b", B('a'), B('\n'), B(' '), B('b'));
}

static void test_digits_split_one_by_one(void **state)
{
    const aia_tokenizer *t = *state;
    /* The "1 2" merge exists but digits are pieces of their own. */
    EXPECT(t, "x12", B('x'), B('1'), B('2'));
    EXPECT(t, "x 12", B('x'), B(' '), B('1'), B('2'));
    EXPECT(t, "12", B('1'), B('2'));
}

static void test_contractions(void **state)
{
    const aia_tokenizer *t = *state;
    EXPECT(t, "don't", T_don, T_apos_t);
    /* The pattern is case-sensitive: "'T" is punctuation then a letter. */
    EXPECT(t, "DON'T", B('D'), B('O'), B('N'), B('\''), B('T'));
    EXPECT(t, " 't", B(' '), B('\''), B('t'));
}

static void test_punctuation(void **state)
{
    const aia_tokenizer *t = *state;
    EXPECT(t, "hi!?", B('h'), B('i'), B('!'), B('?'));
    EXPECT(t, "a, b.", B('a'), B(','), B(' '), B('b'), B('.'));
}

static void test_unicode(void **state)
{
    const aia_tokenizer *t = *state;
    EXPECT(t, "é", B(0xC3), B(0xA9));
    EXPECT(t, "中", T_zh, B(0xAD));
    EXPECT(t, "😀", B(0xF0), B(0x9F), B(0x98), B(0x80));
}

static void test_special_tokens_in_text(void **state)
{
    const aia_tokenizer *t = *state;
    EXPECT(t, "a<|im_start|>b", B('a'), 1, B('b'));
    EXPECT(t, "<|im_start|><|im_end|>\n", 1, 2, B('\n'));
    /* Without parse_special the same text is ordinary bytes. */
    int32_t *ids = NULL;
    size_t n = 0;
    aia_error err;
    const char *text = "a<|im_start|>b";
    assert_int_equal(aia_tokenizer_encode(t, text, strlen(text), 0, 0, &ids, &n, &err), AIA_OK);
    for (size_t i = 0; i < n; i++)
        assert_true(ids[i] >= 3);
    expect_roundtrip(t, text, strlen(text), ids, n);
    free(ids);
}

static void test_empty_and_bos(void **state)
{
    const aia_tokenizer *t = *state;
    int32_t *ids = (int32_t *)1;
    size_t n = 99;
    aia_error err;
    assert_int_equal(aia_tokenizer_encode(t, "", 0, 0, 1, &ids, &n, &err), AIA_OK);
    assert_int_equal(n, 0);
    free(ids);
    const int32_t want[] = {0, B('t'), T_he};
    expect_ids_n(t, "the", 1, want, 3);
}

/* Every byte alone maps to its own alphabet character and back. */
static void test_every_byte(void **state)
{
    const aia_tokenizer *t = *state;
    for (unsigned b = 0; b < 256; b++) {
        char text[1] = {(char)b};
        int32_t *ids = NULL;
        size_t n = 0;
        aia_error err;
        assert_int_equal(aia_tokenizer_encode(t, text, 1, 0, 0, &ids, &n, &err), AIA_OK);
        assert_int_equal(n, 1);
        assert_int_equal(ids[0], B(b));
        expect_roundtrip(t, text, 1, ids, 1);
        free(ids);
    }
}

static void test_rank_order_leftmost(void **state)
{
    const aia_tokenizer *t = *state;
    EXPECT(t, "aaa", T_aa, B('a'));
    EXPECT(t, "aaaa", T_aa, T_aa);
}

static void test_invalid_utf8_roundtrips(void **state)
{
    const aia_tokenizer *t = *state;
    const char text[] = "\xff\xfe a\xc3 \xe4\xb8";
    int32_t *ids = NULL;
    size_t n = 0;
    aia_error err;
    assert_int_equal(aia_tokenizer_encode(t, text, sizeof text - 1, 0, 1, &ids, &n, &err), AIA_OK);
    expect_roundtrip(t, text, sizeof text - 1, ids, n);
    free(ids);
}

/* A megabyte-long run of one letter is one piece; the heap keeps it fast. */
static void test_long_piece(void **state)
{
    const aia_tokenizer *t = *state;
    size_t len = 1u << 20;
    char *text = malloc(len);
    memset(text, 'a', len);
    int32_t *ids = NULL;
    size_t n = 0;
    aia_error err;
    clock_t c0 = clock();
    assert_int_equal(aia_tokenizer_encode(t, text, len, 0, 0, &ids, &n, &err), AIA_OK);
    double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    assert_int_equal(n, len / 2);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(ids[i], T_aa);
    assert_true(secs < 10.0);
    free(ids);
    free(text);
}

/* Token-by-token decoding into a buffer, emitting only complete UTF-8. */
static void test_streaming_partial_utf8(void **state)
{
    const aia_tokenizer *t = *state;
    const char *text = "é中😀x";
    int32_t *ids = NULL;
    size_t n = 0;
    aia_error err;
    assert_int_equal(aia_tokenizer_encode(t, text, strlen(text), 0, 1, &ids, &n, &err), AIA_OK);
    char buf[64], out[64];
    size_t held = 0, emitted = 0, emits_mid_char = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *b = aia_tokenizer_token_bytes(t, ids[i], &len);
        assert_non_null(b);
        memcpy(buf + held, b, len);
        held += len;
        size_t ok = aia_utf8_complete_prefix(buf, held);
        if (ok == 0)
            emits_mid_char++;
        memcpy(out + emitted, buf, ok);
        emitted += ok;
        memmove(buf, buf + ok, held - ok);
        held -= ok;
    }
    assert_int_equal(held, 0);
    assert_int_equal(emitted, strlen(text));
    assert_memory_equal(out, text, emitted);
    /* é's first byte, 中's first token and three of 😀's bytes waited. */
    assert_int_equal(emits_mid_char, 5);
    free(ids);
}

static void test_complete_prefix_rules(void **state)
{
    (void)state;
    assert_int_equal(aia_utf8_complete_prefix("ab", 2), 2);
    assert_int_equal(aia_utf8_complete_prefix("a\xc3", 2), 1);
    assert_int_equal(aia_utf8_complete_prefix("a\xc3\xa9", 3), 3);
    assert_int_equal(aia_utf8_complete_prefix("\xf0\x9f\x98", 3), 0);
    assert_int_equal(aia_utf8_complete_prefix("\xf0\x9f\x98\x80", 4), 4);
    /* Bytes that can never complete are not held back. */
    assert_int_equal(aia_utf8_complete_prefix("a\xff", 2), 2);
    assert_int_equal(aia_utf8_complete_prefix("\x80\x80\x80\x80", 4), 4);
    assert_int_equal(aia_utf8_complete_prefix("", 0), 0);
}

static void test_decode_skips_control(void **state)
{
    const aia_tokenizer *t = *state;
    const int32_t ids[] = {1, B('h'), B('i'), 2};
    char *s = NULL;
    size_t len = 0;
    aia_error err;
    assert_int_equal(aia_tokenizer_decode(t, ids, 4, 1, &s, &len, &err), AIA_OK);
    assert_string_equal(s, "hi");
    free(s);
    assert_int_equal(aia_tokenizer_decode(t, ids, 4, 0, &s, &len, &err), AIA_OK);
    assert_string_equal(s, "<|im_start|>hi<|im_end|>");
    free(s);
}

static void test_lookups(void **state)
{
    const aia_tokenizer *t = *state;
    assert_int_equal(aia_tokenizer_n_tokens(t), N_TOKENS);
    assert_int_equal(aia_tokenizer_find(t, "<|im_end|>"), 2);
    assert_int_equal(aia_tokenizer_find(t, "Ġthe"), T_Gthe);
    assert_int_equal(aia_tokenizer_find(t, "nope"), -1);
    assert_int_equal(aia_tokenizer_token_type(t, 1), AIA_TOKEN_CONTROL);
    assert_int_equal(aia_tokenizer_token_type(t, -1), AIA_TOKEN_UNDEFINED);
    assert_int_equal(aia_tokenizer_specials(t).eos, 2);
}

static void expect_error(aia_status st, const aia_error *err, const char *fragment)
{
    if (st != AIA_INVALID_ARGUMENT)
        fail_msg("status %s, wanted INVALID_ARGUMENT (%s)", aia_status_name(st), err->message);
    if (!strstr(err->message, fragment))
        fail_msg("message \"%s\" does not mention \"%s\"", err->message, fragment);
}

static void test_bad_vocabularies(void **state)
{
    (void)state;
    aia_tokenizer *t = (aia_tokenizer *)1;
    aia_error err;
    const char *dup[] = {"a", "b", "a"};
    expect_error(aia_tokenizer_create(dup, 3, NULL, NULL, 0, NULL, &t, &err), &err, "token 2");
    assert_null(t);
    const char *v[] = {"a", "b", "ab"};
    const char *bad_merge[] = {"a b", "a c"};
    expect_error(aia_tokenizer_create(v, 3, NULL, bad_merge, 2, NULL, &t, &err), &err, "merge 1");
    const char *no_space[] = {"ab"};
    expect_error(aia_tokenizer_create(v, 3, NULL, no_space, 1, NULL, &t, &err), &err, "merge 0");
    aia_tokenizer_special sp = {7, -1, -1, -1};
    expect_error(aia_tokenizer_create(v, 3, NULL, NULL, 0, &sp, &t, &err), &err, "bos id 7");
    const int32_t types[] = {1, 9, 1};
    expect_error(aia_tokenizer_create(v, 3, types, NULL, 0, NULL, &t, &err), &err, "token 1 has type 9");
    expect_error(aia_tokenizer_create(v, 0, NULL, NULL, 0, NULL, &t, &err), &err, "0 tokens");
}

static void test_bad_calls(void **state)
{
    const aia_tokenizer *t = *state;
    const int32_t ids[] = {5, (int32_t)N_TOKENS};
    char *s = NULL;
    size_t len = 0;
    aia_error err;
    expect_error(aia_tokenizer_decode(t, ids, 2, 0, &s, &len, &err), &err, "position 1");
    assert_null(s);
    size_t n;
    assert_null(aia_tokenizer_token_bytes(t, -3, &n));
    assert_int_equal(n, 0);
    /* No BOS in a vocabulary without specials. */
    const char *v[] = {"a"};
    aia_tokenizer *plain = NULL;
    assert_int_equal(aia_tokenizer_create(v, 1, NULL, NULL, 0, NULL, &plain, &err), AIA_OK);
    int32_t *out = NULL;
    expect_error(aia_tokenizer_encode(plain, "a", 1, 1, 0, &out, &n, &err), &err, "BOS");
    aia_tokenizer_destroy(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ascii_words, setup, teardown),
        cmocka_unit_test_setup_teardown(test_whitespace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newlines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_digits_split_one_by_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contractions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_punctuation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unicode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_special_tokens_in_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_and_bos, setup, teardown),
        cmocka_unit_test_setup_teardown(test_every_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rank_order_leftmost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_utf8_roundtrips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_piece, setup, teardown),
        cmocka_unit_test_setup_teardown(test_streaming_partial_utf8, setup, teardown),
        cmocka_unit_test(test_complete_prefix_rules),
        cmocka_unit_test_setup_teardown(test_decode_skips_control, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lookups, setup, teardown),
        cmocka_unit_test(test_bad_vocabularies),
        cmocka_unit_test_setup_teardown(test_bad_calls, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
