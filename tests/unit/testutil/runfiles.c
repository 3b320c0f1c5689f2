/* tests/unit/testutil/runfiles.c — see runfiles.h. */
#include "tests/unit/testutil/runfiles.h"

#include <stdio.h>
#include <stdlib.h>

const char *test_data_path(const char *rel, char *buf, size_t size)
{
    const char *srcdir = getenv("TEST_SRCDIR"), *workspace = getenv("TEST_WORKSPACE");
    if (srcdir && *srcdir) snprintf(buf, size, "%s/%s/%s", srcdir, workspace && *workspace ? workspace : "aia", rel);
    else snprintf(buf, size, "%s", rel);
    return buf;
}
