/* Unit tests for lib/store artifacts: content addressing, idempotent puts,
 * verification on read (a flipped byte or a truncation is DATA_LOSS), bad
 * names, file hashing, and no temp files left behind. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/store/artifacts.h"
#include "tests/unit/store/store_testutil.h"

/* SHA-256("abc"), FIPS 180-2 appendix B.1. */
#define ABC_SHA256 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void hashes_match_the_standard_vectors(void **state) {
    (void)state;
    char hex[AIA_SHA256_HEX_LEN + 1];
    aia_sha256_hex("abc", 3, hex);
    assert_string_equal(hex, ABC_SHA256);
    aia_sha256_hex("", 0, hex);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static size_t count_entries(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) return 0;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++; /* temp files too */
    closedir(d);
    return n;
}

static void put_get_and_verify(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_error err;
    char hex[AIA_SHA256_HEX_LEN + 1];
    ST_OK(aia_artifact_put(dir, "abc", 3, hex, &err));
    assert_string_equal(hex, ABC_SHA256);
    char path[700];
    aia_artifact_path(dir, hex, path, sizeof path);
    assert_non_null(strstr(path, "/artifacts/ba/" ABC_SHA256));
    assert_int_equal(access(path, R_OK), 0);
    ST_OK(aia_artifact_put(dir, "abc", 3, hex, &err)); /* same bytes: no-op */
    char sub[700];
    snprintf(sub, sizeof sub, "%s/artifacts/ba", dir);
    assert_int_equal(count_entries(sub), 1); /* no temp file left */

    void *bytes = NULL;
    size_t len = 0;
    ST_OK(aia_artifact_get(dir, hex, &bytes, &len, &err));
    assert_int_equal(len, 3);
    assert_memory_equal(bytes, "abc", 3);
    free(bytes);
    char fhex[AIA_SHA256_HEX_LEN + 1];
    ST_OK(aia_sha256_file(path, fhex, &err));
    assert_string_equal(fhex, ABC_SHA256);

    /* Flip a byte: DATA_LOSS naming the file, nothing returned. */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fputc('X', f);
    fclose(f);
    ST_FAILS(aia_artifact_get(dir, hex, &bytes, &len, &err), AIA_DATA_LOSS);
    assert_non_null(strstr(err.message, ABC_SHA256));
    assert_null(bytes);
    assert_int_equal(len, 0);
    /* Putting the good bytes again repairs it. */
    ST_OK(aia_artifact_put(dir, "abc", 3, hex, &err));
    ST_OK(aia_artifact_get(dir, hex, &bytes, &len, &err));
    free(bytes);
    /* Truncation is DATA_LOSS too. */
    assert_int_equal(truncate(path, 1), 0);
    ST_FAILS(aia_artifact_get(dir, hex, &bytes, &len, &err), AIA_DATA_LOSS);

    ST_FAILS(aia_artifact_get(dir, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", &bytes, &len,
                              &err),
             AIA_NOT_FOUND);
    ST_FAILS(aia_artifact_get(dir, "ABC", &bytes, &len, &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_artifact_get(dir, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", &bytes, &len,
                              &err),
             AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_artifact_get(dir, "../../../../../../../../../../../../../../../../../../../../../etc/passw", &bytes,
                              &len, &err),
             AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_sha256_file("/nonexistent/file", fhex, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "/nonexistent/file"));
    st_rmtree(dir);
}

static void large_and_empty_artifacts(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_error err;
    size_t n = 3 * 1000 * 1000 + 7;
    unsigned char *big = malloc(n);
    for (size_t i = 0; i < n; i++) big[i] = (unsigned char)(i * 2654435761u >> 13);
    char hex[AIA_SHA256_HEX_LEN + 1], want[AIA_SHA256_HEX_LEN + 1];
    aia_sha256_hex(big, n, want);
    ST_OK(aia_artifact_put(dir, big, n, hex, &err));
    assert_string_equal(hex, want);
    void *bytes = NULL;
    size_t len = 0;
    ST_OK(aia_artifact_get(dir, hex, &bytes, &len, &err));
    assert_int_equal(len, n);
    assert_memory_equal(bytes, big, n);
    free(bytes);
    free(big);
    ST_OK(aia_artifact_put(dir, NULL, 0, hex, &err));
    ST_OK(aia_artifact_get(dir, hex, &bytes, &len, &err));
    assert_int_equal(len, 0);
    free(bytes);
    st_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hashes_match_the_standard_vectors),
        cmocka_unit_test(put_get_and_verify),
        cmocka_unit_test(large_and_empty_artifacts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
