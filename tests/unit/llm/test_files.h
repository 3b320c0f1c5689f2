/* tests/unit/llm/test_files.h — reading the wire fixtures of
 * tests/data/llm/wire/ for the lib/llm wire and SSE tests. Test-only. */
#ifndef AIA_TESTS_UNIT_LLM_TEST_FILES_H
#define AIA_TESTS_UNIT_LLM_TEST_FILES_H

#include <stddef.h>

/* The whole file tests/data/llm/wire/<name> (malloc'ed, NUL-terminated;
 * the caller frees); fails the test when it cannot be read. */
char *wire_fixture(const char *name, size_t *len);

#endif
