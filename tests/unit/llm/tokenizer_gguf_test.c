/* tests/unit/llm/tokenizer_gguf_test.c — the tokenizer and chat template
 * straight from the real SmolLM2 GGUF (AIA_SMOLLM2_GGUF names the file;
 * skipped otherwise). Manual until the test command fetches the model.
 *
 * The GGUF's vocabulary must equal the committed fixture token for token,
 * give the Hugging Face reference ids on the corpus, and its chat template
 * must be recognised as ChatML with SmolLM2's default system message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/llm/chat.h"
#include "lib/llm/gguf.h"
#include "lib/llm/tokenizer.h"
#include "lib/llm/tokenizer_gguf.h"
#include "tests/unit/llm/smollm2_fixture.h"

typedef struct model {
    aia_gguf *g;
    aia_tokenizer *tok;
} model;

static void must(aia_status st, const aia_error *err)
{
    if (st != AIA_OK)
        fail_msg("%s: %s", aia_status_name(st), err->message);
}

/* The model's own tokenizer, as the local provider builds it. */
static aia_tokenizer *tokenizer_from_gguf(const aia_gguf *g)
{
    aia_tokenizer *t = NULL;
    aia_error err;
    must(aia_tokenizer_from_gguf(g, &t, &err), &err);
    return t;
}

static int setup(void **state)
{
    const char *path = getenv("AIA_SMOLLM2_GGUF");
    if (!path || !*path)
        return 0;
    model *m = calloc(1, sizeof *m);
    aia_error err;
    must(aia_gguf_open(path, &m->g, &err), &err);
    const char *kind;
    must(aia_gguf_get_str(m->g, "tokenizer.ggml.model", &kind, NULL, &err), &err);
    assert_string_equal(kind, "gpt2");
    const char *pre;
    must(aia_gguf_get_str(m->g, "tokenizer.ggml.pre", &pre, NULL, &err), &err);
    assert_string_equal(pre, "smollm");
    m->tok = tokenizer_from_gguf(m->g);
    *state = m;
    return 0;
}

static int teardown(void **state)
{
    model *m = *state;
    if (m) {
        aia_tokenizer_destroy(m->tok);
        aia_gguf_close(m->g);
        free(m);
    }
    return 0;
}

static void test_vocabulary_equals_fixture(void **state)
{
    model *m = *state;
    if (!m)
        skip();
    aia_tokenizer *fix = smollm2_fixture_tokenizer();
    assert_int_equal(aia_tokenizer_n_tokens(m->tok), aia_tokenizer_n_tokens(fix));
    for (int32_t id = 0; id < (int32_t)aia_tokenizer_n_tokens(fix); id++) {
        size_t la, lb;
        const char *a = aia_tokenizer_token_bytes(m->tok, id, &la);
        const char *b = aia_tokenizer_token_bytes(fix, id, &lb);
        if (la != lb || memcmp(a, b, la) != 0 ||
            aia_tokenizer_token_type(m->tok, id) != aia_tokenizer_token_type(fix, id))
            fail_msg("token %d differs between the GGUF and the fixture", (int)id);
    }
    aia_tokenizer_destroy(fix);
}

static void test_corpus_matches_reference(void **state)
{
    model *m = *state;
    if (!m)
        skip();
    assert_true(smollm2_fixture_check_corpus(m->tok) >= 40);
}

static void test_chat_template(void **state)
{
    model *m = *state;
    if (!m)
        skip();
    const char *jinja;
    aia_error err;
    must(aia_gguf_get_str(m->g, "tokenizer.chat_template", &jinja, NULL, &err), &err);
    aia_chat_template tpl;
    must(aia_chat_template_detect(jinja, &tpl, &err), &err);
    assert_int_equal(tpl.recognised, 1);
    assert_string_equal(tpl.default_system, "You are a helpful AI assistant named SmolLM, trained by Hugging Face");
    const char *q = "What is the capital of France?";
    aia_chat_message msg = {AIA_CHAT_USER, q, strlen(q)};
    char *prompt;
    size_t len;
    must(aia_chat_format_prompt(&tpl, &msg, 1, 1, &prompt, &len, &err), &err);
    int32_t *want, *got;
    size_t n_want, n_got;
    must(aia_tokenizer_encode(m->tok, prompt, len, 0, 1, &want, &n_want, &err), &err);
    must(aia_chat_encode(&tpl, m->tok, &msg, 1, 1, &got, &n_got, &err), &err);
    assert_int_equal(n_got, n_want);
    assert_memory_equal(got, want, n_got * sizeof *got);
    assert_int_equal(got[0], 1); /* <|im_start|> */
    free(prompt);
    free(want);
    free(got);
    aia_chat_template_free(&tpl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vocabulary_equals_fixture),
        cmocka_unit_test(test_corpus_matches_reference),
        cmocka_unit_test(test_chat_template),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
