/* tests/unit/store/store_testutil.h — temp data dirs and fixtures shared by
 * the store tests. Test-only; failures end the test through cmocka. */
#ifndef AIA_TESTS_UNIT_STORE_TESTUTIL_H
#define AIA_TESTS_UNIT_STORE_TESTUTIL_H

#include "lib/store/store.h"

/* mkdtemp under $TEST_TMPDIR (or /tmp); the path is malloc'd. */
char *st_tempdir(void);
/* Removes the directory tree and frees the path. */
void st_rmtree(char *dir);
/* Opens a store in dir, failing the test on error. */
aia_store *st_open(const char *dir);

/* A classification spec for model_id (static storage, valid until the next call). */
aia_job_spec *st_spec(const char *model_id, AiaStore__V1__TaskType task);
/* Submits, claims and publishes a job for model_id: returns the new version. */
int st_publish(aia_store *s, const char *model_id);

/* Both expect an `aia_error err` in scope, which `expr` fills. */
#define ST_OK(expr)                                                                                  \
    do {                                                                                             \
        aia_status st_rc_ = (expr);                                                                  \
        if (st_rc_ != AIA_OK) fail_msg("%s -> %s: %s", #expr, aia_status_name(st_rc_), err.message); \
    } while (0)
#define ST_FAILS(expr, code)                                                                         \
    do {                                                                                             \
        aia_status st_rc_ = (expr);                                                                  \
        if (st_rc_ != (code))                                                                        \
            fail_msg("%s -> %s (%s), wanted %s", #expr, aia_status_name(st_rc_), err.message,        \
                     aia_status_name(code));                                                         \
    } while (0)

#endif
