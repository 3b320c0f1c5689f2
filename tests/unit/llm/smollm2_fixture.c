/* tests/unit/llm/smollm2_fixture.c — see smollm2_fixture.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/llm/smollm2_fixture.h"
#include "tests/unit/testutil/runfiles.h"

#define DIR "tests/data/llm/tokenizer/"

typedef struct lines {
    char *data;
    char **line;
    size_t n;
} lines;

/* Reads a file and splits it at '\n' (in place). */
static lines read_lines(const char *rel)
{
    char path[1024];
    test_data_path(rel, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    lines l = {malloc((size_t)size + 1), NULL, 0};
    assert_int_equal(fread(l.data, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    l.data[size] = '\0';
    size_t cap = 1;
    for (long i = 0; i < size; i++)
        cap += l.data[i] == '\n';
    l.line = malloc(cap * sizeof *l.line);
    char *const end = l.data + size;
    for (char *p = l.data; *p;) {
        /* memchr, not strchr: ASan's strict_string_checks would scan the
         * whole rest of the file on every line. */
        char *nl = memchr(p, '\n', (size_t)(end - p));
        l.line[l.n++] = p;
        if (!nl)
            break;
        *nl = '\0';
        p = nl + 1;
    }
    return l;
}

static void free_lines(lines *l)
{
    free(l->data);
    free(l->line);
}

aia_tokenizer *smollm2_fixture_tokenizer(void)
{
    lines vocab = read_lines(DIR "smollm2_vocab.txt");
    lines merges = read_lines(DIR "smollm2_merges.txt");
    lines special = read_lines(DIR "smollm2_special.txt");
    const char **tokens = malloc(vocab.n * sizeof *tokens);
    int32_t *types = malloc(vocab.n * sizeof *types);
    for (size_t i = 0; i < vocab.n; i++) {
        char *tab = strchr(vocab.line[i], '\t');
        assert_non_null(tab);
        types[i] = (int32_t)atoi(vocab.line[i]);
        tokens[i] = tab + 1;
    }
    aia_tokenizer_special sp = {-1, -1, -1, -1};
    for (size_t i = 0; i < special.n; i++) {
        int v;
        if (sscanf(special.line[i], "bos %d", &v) == 1)
            sp.bos = v;
        else if (sscanf(special.line[i], "eos %d", &v) == 1)
            sp.eos = v;
        else if (sscanf(special.line[i], "pad %d", &v) == 1)
            sp.pad = v;
        else if (sscanf(special.line[i], "unk %d", &v) == 1)
            sp.unk = v;
    }
    aia_tokenizer *t = NULL;
    aia_error err;
    aia_status st = aia_tokenizer_create(tokens, vocab.n, types, (const char *const *)merges.line, merges.n,
                                         &sp, &t, &err);
    if (st != AIA_OK)
        fail_msg("create: %s", err.message);
    free(tokens);
    free(types);
    free_lines(&vocab);
    free_lines(&merges);
    free_lines(&special);
    return t;
}

/* Hex digits up to the tab. */
static size_t unhex(const char *hex, char *out)
{
    size_t n = 0;
    for (; hex[0] != '\t' && hex[0] && hex[1]; hex += 2) {
        unsigned v;
        sscanf(hex, "%2x", &v);
        out[n++] = (char)v;
    }
    return n;
}

static void check_case(const aia_tokenizer *t, size_t line_no, const char *line)
{
    const char *tab = strchr(line, '\t');
    assert_non_null(tab);
    char text[4096];
    size_t len = unhex(line, text);
    int32_t want[2048];
    size_t n_want = 0;
    for (char *p = (char *)tab + 1; *p && n_want < 2048;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p)
            fail_msg("line %zu: bad id list", line_no);
        want[n_want++] = (int32_t)v;
        p = end;
    }
    int32_t *ids = NULL;
    size_t n = 0;
    aia_error err;
    assert_int_equal(aia_tokenizer_encode(t, text, len, 0, 1, &ids, &n, &err), AIA_OK);
    for (size_t i = 0; i < n && i < n_want; i++)
        if (ids[i] != want[i])
            fail_msg("case %zu \"%.*s\": id %zu is %d, reference %d", line_no, (int)len, text, i,
                     (int)ids[i], (int)want[i]);
    if (n != n_want)
        fail_msg("case %zu \"%.*s\": %zu ids, reference %zu", line_no, (int)len, text, n, n_want);
    char *back = NULL;
    size_t back_len = 0;
    assert_int_equal(aia_tokenizer_decode(t, ids, n, 0, &back, &back_len, &err), AIA_OK);
    assert_int_equal(back_len, len);
    assert_memory_equal(back, text, len);
    free(back);
    free(ids);
}

size_t smollm2_fixture_check_corpus(const aia_tokenizer *t)
{
    lines expected = read_lines(DIR "tokenizer_expected.txt");
    assert_true(expected.n >= 40);
    for (size_t i = 0; i < expected.n; i++)
        if (expected.line[i][0] || i + 1 < expected.n)
            check_case(t, i + 1, expected.line[i]);
    size_t n = expected.n;
    free_lines(&expected);
    return n;
}

