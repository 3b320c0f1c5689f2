/* UTF-8 validation in the CSV reader against the definition: a byte
 * sequence is valid exactly when it is the shortest encoding of a code point
 * in U+0001..U+10FFFF other than the surrogates U+D800..U+DFFF (U+0000 is
 * refused on purpose: cells become C strings). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/base/strbuf.h"
#include "lib/data/csv.h"

/* The shortest UTF-8 encoding of cp (any value below 2^21). */
static size_t encode(uint32_t cp, unsigned char out[4])
{
    if (cp < 0x80) {
        out[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (unsigned char)(0xC0 | cp >> 6);
        out[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (unsigned char)(0xE0 | cp >> 12);
        out[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (unsigned char)(0xF0 | cp >> 18);
    out[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

static int valid_code_point(uint32_t cp)
{
    return cp >= 1 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

/* The definition, by decoding and re-encoding: valid iff s[0..n) splits
 * into sequences that each decode to a valid code point whose shortest
 * encoding is exactly those bytes. */
static int reference_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3
                                 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (len == 0 || i + len > n) return 0;
        uint32_t cp = len == 1 ? c : c & (0x7F >> len);
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        unsigned char again[4];
        if (!valid_code_point(cp) || encode(cp, again) != len || memcmp(again, s + i, len) != 0)
            return 0;
        i += len;
    }
    return 1;
}

/* Reads "x\n<bytes>\n" and reports whether the reader accepted it. The
 * bytes avoid the structural characters, so only UTF-8 decides. */
static int reader_accepts(const unsigned char *s, size_t n)
{
    unsigned char buf[16] = "x\n";
    memcpy(buf + 2, s, n);
    buf[2 + n] = '\n';
    aia_frame *f = NULL;
    aia_error err;
    aia_status st = aia_csv_read_buffer((const char *)buf, n + 3, NULL, &f, &err);
    if (st == AIA_OK) {
        aia_frame_free(f);
        return 1;
    }
    if (!strstr(err.message, "UTF-8") && !strstr(err.message, "NUL byte"))
        fail_msg("unexpected error for %zu bytes: %s", n, err.message);
    return 0;
}

static int structural(unsigned char b)
{
    return b == ',' || b == '"' || b == '\n' || b == '\r' || b == ';' || b == '\t';
}

/* Every valid code point, as one cell each, in one file: all accepted, all
 * distinct, every one read back byte for byte. */
static void every_code_point_is_accepted(void **state)
{
    (void)state;
    aia_strbuf sb;
    aia_strbuf_init(&sb);
    aia_strbuf_puts(&sb, "cell\n");
    size_t n_cells = 0;
    for (uint32_t cp = 0x80; cp <= 0x10FFFF; cp++) {
        if (!valid_code_point(cp)) continue;
        unsigned char b[4];
        aia_strbuf_append(&sb, b, encode(cp, b));
        aia_strbuf_putc(&sb, '\n');
        n_cells++;
    }
    assert_false(sb.oom);
    aia_frame *f = NULL;
    aia_error err;
    aia_status st = aia_csv_read_buffer(sb.data, sb.len, NULL, &f, &err);
    if (st != AIA_OK) fail_msg("%s", err.message);
    const aia_column *c = aia_frame_column(f, 0);
    assert_int_equal(c->dictionary_size, n_cells);
    size_t k = 0;
    for (uint32_t cp = 0x80; cp <= 0x10FFFF; cp++) {
        if (!valid_code_point(cp)) continue;
        unsigned char b[5] = {0};
        encode(cp, b);
        if (strcmp(c->dictionary[k], (const char *)b) != 0) fail_msg("U+%04X read back wrong", cp);
        k++;
    }
    aia_frame_free(f);
    aia_strbuf_free(&sb);
}

/* Every two-byte sequence, and random longer ones, agree with the definition. */
static void byte_sequences_match_the_definition(void **state)
{
    (void)state;
    for (unsigned a = 0x80; a < 256; a++) {
        for (unsigned b = 0; b < 256; b++) {
            unsigned char s[2] = {(unsigned char)a, (unsigned char)b};
            if (structural(s[1]) || s[1] == 0) continue;
            if (reader_accepts(s, 2) != reference_valid(s, 2))
                fail_msg("bytes %02x %02x: reader %d, definition %d", a, b, reader_accepts(s, 2),
                         reference_valid(s, 2));
        }
    }
    aia_rng rng;
    aia_rng_seed(&rng, 8);
    size_t n_valid = 0;
    for (int i = 0; i < 200000; i++) {
        unsigned char s[6];
        size_t n = 1 + aia_rng_below(&rng, 6);
        for (size_t k = 0; k < n; k++) {
            /* Mostly lead and continuation bytes, which is where the cases are. */
            do {
                s[k] = aia_rng_below(&rng, 4) ? (unsigned char)(0x80 + aia_rng_below(&rng, 0x78))
                                              : (unsigned char)aia_rng_below(&rng, 256);
            } while (structural(s[k]) || s[k] == 0);
        }
        int want = reference_valid(s, n);
        n_valid += (size_t)want;
        if (reader_accepts(s, n) != want) fail_msg("random sequence %d: definition says %d", i, want);
    }
    assert_true(n_valid > 1000); /* both outcomes are exercised */
    unsigned char nul[3] = {'a', 0, 'b'};
    assert_false(reader_accepts(nul, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_code_point_is_accepted),
        cmocka_unit_test(byte_sequences_match_the_definition),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
