/* Unit tests for lib/store failure paths: a multi-row change that fails
 * half-way (forced here by a SQLite trigger that aborts one of its later
 * statements) leaves the earlier rows of the same change unwritten; a file
 * that is not a database is DATA_LOSS at open. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "lib/store/store.h"
#include "tests/unit/store/store_testutil.h"

/* Runs SQL on the store's database file through a second connection. */
static void sql(const char *dir, const char *text) {
    char path[600];
    snprintf(path, sizeof path, "%s/aia.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, text, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", text, msg);
    sqlite3_close(db);
}

static void failed_publish_leaves_no_version(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    aia_job_record *job = NULL, *c = NULL;
    int created = 0;
    ST_OK(aia_store_job_submit(s, st_spec("m", AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION), "", &job, &created,
                               &err));
    ST_OK(aia_store_job_claim(s, "w", 60000, &c, &err));
    /* The version insert succeeds, the job's SUCCEEDED write then fails. */
    sql(dir, "CREATE TRIGGER no_success BEFORE UPDATE ON jobs WHEN NEW.state = 3 "
             "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    aia_version_record v = AIA_STORE__V1__VERSION__INIT;
    v.model_id = (char *)"m";
    v.version = c->model_version;
    uint64_t gen = aia_store_generation(s);
    aia_status rc = aia_store_job_publish(s, c, &v, &err);
    assert_int_not_equal(rc, AIA_OK);
    assert_non_null(strstr(err.message, "injected failure"));
    assert_int_equal(aia_store_generation(s), gen);
    aia_version_record *none = NULL;
    ST_FAILS(aia_store_version_get(s, "m", v.version, &none, &err), AIA_NOT_FOUND);
    aia_job_record *got = NULL;
    ST_OK(aia_store_job_get(s, job->job_id, &got, &err));
    assert_int_equal(got->state, AIA_STORE__V1__JOB_STATE__JOB_RUNNING);
    aia_store_record_free(got);
    /* The store is usable afterwards (no transaction left open). */
    sql(dir, "DROP TRIGGER no_success");
    ST_OK(aia_store_job_publish(s, c, &v, &err));
    aia_store_record_free(job);
    aia_store_record_free(c);
    aia_store_close(s);
    st_rmtree(dir);
}

static void failed_endpoint_update_keeps_the_old_revision(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    st_publish(s, "m");
    st_publish(s, "m");
    aia_deployment_record d = AIA_STORE__V1__DEPLOYMENT__INIT, *dp = &d;
    d.model_id = (char *)"m";
    d.model_version = 1;
    d.traffic_percent = 100;
    aia_endpoint_record e = AIA_STORE__V1__ENDPOINT__INIT;
    e.endpoint_id = (char *)"ep";
    e.deployments = &dp;
    e.n_deployments = 1;
    ST_OK(aia_store_endpoint_create(s, &e, &err));
    /* The endpoints row and the history row are written, the index fails. */
    sql(dir, "CREATE TRIGGER no_index BEFORE INSERT ON deployments "
             "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    d.model_version = 2;
    aia_status rc = aia_store_endpoint_update(s, &e, 1, NULL, &err);
    assert_int_not_equal(rc, AIA_OK);
    aia_endpoint_record *got = NULL;
    ST_OK(aia_store_endpoint_get(s, "ep", &got, &err));
    assert_int_equal(got->revision, 1);
    assert_int_equal(got->deployments[0]->model_version, 1);
    aia_store_record_free(got);
    ST_FAILS(aia_store_endpoint_revision(s, "ep", 2, &got, &err), AIA_NOT_FOUND);
    /* The old index row survived the failed rewrite: v1 is still protected. */
    ST_FAILS(aia_store_version_delete(s, "m", 1, NULL, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "ep"));
    sql(dir, "DROP TRIGGER no_index");
    ST_OK(aia_store_endpoint_update(s, &e, 1, NULL, &err));
    ST_OK(aia_store_version_delete(s, "m", 1, NULL, &err));
    aia_store_close(s);
    st_rmtree(dir);
}

static void failed_alias_move_keeps_the_old_target(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    st_publish(s, "m");
    st_publish(s, "m");
    ST_OK(aia_store_alias_set(s, "m", "production", 1, &err));
    /* The alias moves, then touching the model's update_time fails. */
    sql(dir, "CREATE TRIGGER no_touch BEFORE UPDATE ON models "
             "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    uint64_t gen = aia_store_generation(s);
    assert_int_not_equal(aia_store_alias_set(s, "m", "production", 2, &err), AIA_OK);
    assert_int_equal(aia_store_generation(s), gen);
    int v = 0;
    ST_OK(aia_store_alias_get(s, "m", "production", &v, &err));
    assert_int_equal(v, 1);
    aia_store_close(s);
    st_rmtree(dir);
}

static void a_file_that_is_not_a_database_is_data_loss(void **state) {
    (void)state;
    char *dir = st_tempdir();
    char path[600];
    snprintf(path, sizeof path, "%s/aia.db", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (int i = 0; i < 4096; i++) fputc("not a database "[i % 15], f);
    fclose(f);
    aia_store *s = NULL;
    aia_error err;
    ST_FAILS(aia_store_open(dir, &s, &err), AIA_DATA_LOSS);
    assert_non_null(strstr(err.message, "aia.db"));
    assert_null(s);
    st_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(failed_publish_leaves_no_version),
        cmocka_unit_test(failed_endpoint_update_keeps_the_old_revision),
        cmocka_unit_test(failed_alias_move_keeps_the_old_target),
        cmocka_unit_test(a_file_that_is_not_a_database_is_data_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
