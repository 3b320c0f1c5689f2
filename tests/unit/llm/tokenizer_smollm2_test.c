/* tests/unit/llm/tokenizer_smollm2_test.c — the real SmolLM2 vocabulary.
 *
 * tests/data/llm/tokenizer/ holds SmolLM2-135M-Instruct's 49,152 tokens and
 * 48,900 merges as extracted from its GGUF, a corpus of varied text (code,
 * numbers, whitespace runs, scripts, emoji, chat markup) and the ids that
 * Hugging Face `tokenizers` gives for each text
 * (make_tokenizer_reference.py). Every id must match, and decode must give
 * the text back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/llm/tokenizer.h"
#include "tests/unit/llm/smollm2_fixture.h"

static int setup(void **state)
{
    *state = smollm2_fixture_tokenizer();
    return 0;
}

static int teardown(void **state)
{
    aia_tokenizer_destroy(*state);
    return 0;
}

static void test_corpus_matches_reference(void **state)
{
    assert_true(smollm2_fixture_check_corpus(*state) >= 40);
}

static void test_specials(void **state)
{
    const aia_tokenizer *t = *state;
    assert_int_equal(aia_tokenizer_n_tokens(t), 49152);
    assert_int_equal(aia_tokenizer_find(t, "<|im_start|>"), 1);
    assert_int_equal(aia_tokenizer_find(t, "<|im_end|>"), 2);
    assert_int_equal(aia_tokenizer_specials(t).eos, 2);
    assert_int_equal(aia_tokenizer_token_type(t, 2), AIA_TOKEN_CONTROL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_corpus_matches_reference, setup, teardown),
        cmocka_unit_test_setup_teardown(test_specials, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
