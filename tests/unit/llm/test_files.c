/* tests/unit/llm/test_files.c — see test_files.h. */
#include "tests/unit/llm/test_files.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tests/unit/testutil/runfiles.h"

char *wire_fixture(const char *name, size_t *len)
{
    char rel[256], path[1024];
    snprintf(rel, sizeof rel, "tests/data/llm/wire/%s", name);
    test_data_path(rel, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open fixture %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) fail_msg("short read on %s", path);
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}
