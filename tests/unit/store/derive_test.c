/* Unit tests for aia_store_version_derive: a version published without a
 * training job (a drift monitor's preprocessing refit) takes the model's
 * next number, never one a queued job reserved, and an unknown model is
 * NOT_FOUND with nothing written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/store/store.h"
#include "tests/unit/store/store_testutil.h"

static void derived_version_takes_the_next_number(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    assert_int_equal(st_publish(s, "churn"), 1);
    aia_error err;
    aia_version_record *v1 = NULL;
    ST_OK(aia_store_version_get(s, "churn", 1, &v1, &err));

    aia_version_record copy = *v1;
    copy.version = 77; /* ignored */
    copy.description = "refit of churn@1";
    int version = 0;
    ST_OK(aia_store_version_derive(s, &copy, &version, &err));
    assert_int_equal(version, 2);
    aia_version_record *v2 = NULL;
    ST_OK(aia_store_version_get(s, "churn", 2, &v2, &err));
    assert_int_equal(v2->state, AIA_STORE__V1__VERSION_STATE__VERSION_READY);
    assert_string_equal(v2->description, "refit of churn@1");
    assert_string_equal(v2->artifact_sha256, v1->artifact_sha256);
    int latest = 0;
    ST_OK(aia_store_version_latest(s, "churn", &latest, &err));
    assert_int_equal(latest, 2);

    /* A job published after it gets 3, never a number already taken. */
    assert_int_equal(st_publish(s, "churn"), 3);
    aia_store_record_free(v1);
    aia_store_record_free(v2);
    aia_store_close(s);
    st_rmtree(dir);
}

static void unknown_model_is_not_found(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_version_record v = AIA_STORE__V1__VERSION__INIT;
    v.model_id = "nope";
    int version = 5;
    aia_error err;
    ST_FAILS(aia_store_version_derive(s, &v, &version, &err), AIA_NOT_FOUND);
    assert_int_equal(version, 0);
    assert_non_null(strstr(err.message, "nope"));
    v.model_id = "";
    ST_FAILS(aia_store_version_derive(s, &v, &version, &err), AIA_INVALID_ARGUMENT);
    aia_store_close(s);
    st_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(derived_version_takes_the_next_number),
        cmocka_unit_test(unknown_model_is_not_found),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
