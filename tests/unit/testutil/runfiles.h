/* tests/unit/testutil/runfiles.h — where a test's data files are.
 *
 * Under `bazel test` a test's `data` files are runfiles, found through
 * $TEST_SRCDIR/$TEST_WORKSPACE; run by hand from the repository root, the
 * source tree itself is used. Test-only. */
#ifndef AIA_TESTS_TESTUTIL_RUNFILES_H
#define AIA_TESTS_TESTUTIL_RUNFILES_H

#include <stddef.h>

/* Writes the path of `rel` (a workspace-relative path such as
 * "tests/data/golden/iris.csv") into buf and returns buf. */
const char *test_data_path(const char *rel, char *buf, size_t size);

#endif
