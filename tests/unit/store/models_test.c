/* Unit tests for lib/store models, versions and aliases: migrations and
 * reopening, a newer schema refused, derived fields on read, atomic alias
 * moves, refusing to delete an aliased or deployed version, id rules,
 * pagination. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>
#include <sqlite3.h>

#include "lib/store/store.h"
#include "tests/unit/store/store_testutil.h"

static void migrations_apply_once_and_survive_reopen(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    int schema = aia_store_schema_version(s);
    assert_true(schema >= 1);
    int v = st_publish(s, "churn");
    assert_int_equal(v, 1);
    aia_store_close(s);

    s = st_open(dir); /* nothing to migrate, data still there */
    assert_int_equal(aia_store_schema_version(s), schema);
    aia_error err;
    aia_version_record *rec = NULL;
    ST_OK(aia_store_version_get(s, "churn", 1, &rec, &err));
    assert_string_equal(rec->model_id, "churn");
    assert_int_equal(rec->state, AIA_STORE__V1__VERSION_STATE__VERSION_READY);
    aia_store_record_free(rec);
    aia_store_close(s);

    /* Each migration is recorded once. */
    char path[600];
    snprintf(path, sizeof path, "%s/aia.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT COUNT(*), MAX(version) FROM schema_migrations", -1, &st, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), schema);
    assert_int_equal(sqlite3_column_int(st, 1), schema);
    sqlite3_finalize(st);
    /* A later build's migration: this build must refuse the database. */
    assert_int_equal(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (999, 0)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    s = NULL;
    ST_FAILS(aia_store_open(dir, &s, &err), AIA_FAILED_PRECONDITION);
    assert_null(s);
    assert_non_null(strstr(err.message, "999"));
    st_rmtree(dir);
}

/* Several handles opening one fresh database at once (as processes
 * starting together would): each migration runs once, every open succeeds. */
typedef struct opener {
    const char *dir;
    aia_status rc;
    char message[AIA_ERROR_MESSAGE_MAX];
} opener;

static void *open_close(void *p) {
    opener *o = p;
    aia_store *s = NULL;
    aia_error err;
    o->rc = aia_store_open(o->dir, &s, &err);
    if (o->rc != AIA_OK) snprintf(o->message, sizeof o->message, "%s", err.message);
    aia_store_close(s);
    return NULL;
}

static void concurrent_opens_migrate_once(void **state) {
    (void)state;
    for (int round = 0; round < 5; round++) {
        char *dir = st_tempdir();
        pthread_t t[4];
        opener o[4];
        for (int i = 0; i < 4; i++) {
            o[i] = (opener){dir, AIA_UNKNOWN, ""};
            assert_int_equal(pthread_create(&t[i], NULL, open_close, &o[i]), 0);
        }
        for (int i = 0; i < 4; i++) {
            pthread_join(t[i], NULL);
            if (o[i].rc != AIA_OK) fail_msg("open %d: %s", i, o[i].message);
        }
        aia_store *s = st_open(dir);
        assert_true(aia_store_schema_version(s) >= 1);
        aia_store_close(s);
        st_rmtree(dir);
    }
}

static void open_refuses_a_missing_directory(void **state) {
    (void)state;
    aia_store *s = NULL;
    aia_error err;
    ST_FAILS(aia_store_open("/nonexistent/aia-store-test", &s, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "/nonexistent/aia-store-test"));
    assert_null(s);
}

static void model_get_fills_derived_fields(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    uint64_t gen0 = aia_store_generation(s);
    assert_int_equal(st_publish(s, "churn"), 1);
    assert_int_equal(st_publish(s, "churn"), 2);
    assert_int_equal(st_publish(s, "churn"), 3);
    assert_true(aia_store_generation(s) > gen0);
    uint64_t gen1 = aia_store_generation(s);
    ST_OK(aia_store_alias_set(s, "churn", "production", 2, &err));
    ST_OK(aia_store_alias_set(s, "churn", "staging", 3, &err));
    assert_true(aia_store_generation(s) > gen1);

    aia_model_record *m = NULL;
    ST_OK(aia_store_model_get(s, "churn", 0, &m, &err));
    assert_string_equal(m->model_id, "churn");
    assert_int_equal(m->task_type, AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION);
    assert_int_equal(m->latest_version, 3);
    assert_int_equal(m->version_count, 3);
    assert_int_equal(m->n_versions, 3);
    assert_int_equal(m->n_aliases, 2);
    assert_string_equal(m->aliases[0]->key, "production");
    assert_int_equal(m->aliases[0]->value, 2);
    assert_string_equal(m->aliases[1]->key, "staging");
    assert_int_equal(m->aliases[1]->value, 3);
    assert_int_equal(m->versions[0]->version, 3); /* newest first, as the contract lists them */
    assert_int_equal(m->versions[1]->version, 2);
    assert_int_equal(m->versions[1]->n_aliases, 1);
    assert_string_equal(m->versions[1]->aliases[0], "production");
    assert_non_null(m->create_time);
    aia_store_record_free(m);

    int v = 0;
    ST_OK(aia_store_version_latest(s, "churn", &v, &err));
    assert_int_equal(v, 3);
    ST_OK(aia_store_alias_get(s, "churn", "production", &v, &err));
    assert_int_equal(v, 2);
    ST_FAILS(aia_store_alias_get(s, "churn", "canary", &v, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "churn@canary"));
    ST_FAILS(aia_store_model_get(s, "nope", 0, &m, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "nope"));
    aia_version_record *none = NULL;
    ST_FAILS(aia_store_version_get(s, "churn", 9, &none, &err), AIA_NOT_FOUND);
    assert_null(none);
    assert_non_null(strstr(err.message, "churn@9"));
    aia_store_close(s);
    st_rmtree(dir);
}

static void alias_moves_atomically_and_validates(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    st_publish(s, "m");
    st_publish(s, "m");
    ST_OK(aia_store_alias_set(s, "m", "production", 1, &err));
    ST_OK(aia_store_alias_set(s, "m", "production", 2, &err)); /* move */
    int v = 0;
    ST_OK(aia_store_alias_get(s, "m", "production", &v, &err));
    assert_int_equal(v, 2);
    aia_version_record *r = NULL;
    ST_OK(aia_store_version_get(s, "m", 1, &r, &err));
    assert_int_equal(r->n_aliases, 0); /* moved, not copied */
    aia_store_record_free(r);

    ST_FAILS(aia_store_alias_set(s, "m", "production", 7, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "m@7"));
    ST_OK(aia_store_alias_get(s, "m", "production", &v, &err)); /* unchanged by the failure */
    assert_int_equal(v, 2);
    ST_FAILS(aia_store_alias_set(s, "nomodel", "production", 1, &err), AIA_NOT_FOUND);
    ST_FAILS(aia_store_alias_set(s, "m", "1abc", 1, &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_store_alias_set(s, "m", "123", 1, &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_store_alias_set(s, "m", "pro duction", 1, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "position 3"));
    ST_FAILS(aia_store_alias_set(s, "m", "latest", 1, &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_store_alias_set(s, "m", "", 1, &err), AIA_INVALID_ARGUMENT);

    ST_OK(aia_store_alias_set(s, "m", "production", 0, &err)); /* remove */
    ST_FAILS(aia_store_alias_get(s, "m", "production", &v, &err), AIA_NOT_FOUND);
    aia_store_close(s);
    st_rmtree(dir);
}

static void delete_refuses_aliased_and_deployed_versions(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    st_publish(s, "m");
    st_publish(s, "m");
    st_publish(s, "m");
    ST_OK(aia_store_alias_set(s, "m", "production", 1, &err));
    aia_deployment_record d = AIA_STORE__V1__DEPLOYMENT__INIT;
    d.model_id = (char *)"m";
    d.model_version = 2;
    d.traffic_percent = 100;
    aia_deployment_record *dp = &d;
    aia_endpoint_record e = AIA_STORE__V1__ENDPOINT__INIT;
    e.endpoint_id = (char *)"ep-1";
    e.deployments = &dp;
    e.n_deployments = 1;
    ST_OK(aia_store_endpoint_create(s, &e, &err));

    aia_version_record *out = NULL;
    ST_FAILS(aia_store_version_delete(s, "m", 1, &out, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "production"));
    assert_null(out);
    ST_FAILS(aia_store_version_delete(s, "m", 2, &out, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "ep-1"));

    aia_version_record *v2 = NULL;
    ST_OK(aia_store_version_get(s, "m", 2, &v2, &err));
    assert_int_equal(v2->n_endpoint_ids, 1);
    assert_string_equal(v2->endpoint_ids[0], "ep-1");
    aia_store_record_free(v2);

    uint64_t gen = aia_store_generation(s);
    ST_OK(aia_store_version_delete(s, "m", 3, &out, &err));
    assert_true(aia_store_generation(s) > gen);
    assert_int_equal(out->state, AIA_STORE__V1__VERSION_STATE__VERSION_DELETED);
    assert_non_null(out->delete_time);
    aia_store_record_free(out);
    ST_FAILS(aia_store_version_delete(s, "m", 3, NULL, &err), AIA_NOT_FOUND);
    ST_FAILS(aia_store_version_delete(s, "m", 8, NULL, &err), AIA_NOT_FOUND);
    /* Deleted versions: kept for lineage, not latest, not aliasable. */
    int latest = 0;
    ST_OK(aia_store_version_latest(s, "m", &latest, &err));
    assert_int_equal(latest, 2);
    ST_FAILS(aia_store_alias_set(s, "m", "staging", 3, &err), AIA_NOT_FOUND);
    aia_model_record *m = NULL;
    ST_OK(aia_store_model_get(s, "m", 0, &m, &err));
    assert_int_equal(m->n_versions, 2);
    assert_int_equal(m->version_count, 2);
    aia_store_record_free(m);
    ST_OK(aia_store_model_get(s, "m", 1, &m, &err));
    assert_int_equal(m->n_versions, 3);
    /* Newest first: version 3, the deleted one, leads. */
    assert_int_equal(m->versions[0]->version, 3);
    assert_int_equal(m->versions[0]->state, AIA_STORE__V1__VERSION_STATE__VERSION_DELETED);
    aia_store_record_free(m);
    /* Version numbers are never reused after a delete. */
    assert_int_equal(st_publish(s, "m"), 4);
    aia_store_close(s);
    st_rmtree(dir);
}

static void ids_follow_the_url_safe_rule(void **state) {
    (void)state;
    aia_error err;
    ST_OK(aia_store_check_id("model_id", "churn-v2.prod_1", &err));
    ST_OK(aia_store_check_id("model_id", "9lives", &err));
    ST_FAILS(aia_store_check_id("model_id", "", &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "model_id"));
    ST_FAILS(aia_store_check_id("endpoint_id", "-x", &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "endpoint_id"));
    ST_FAILS(aia_store_check_id("model_id", "a/b", &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_store_check_id("model_id", "a@b", &err), AIA_INVALID_ARGUMENT);
    ST_FAILS(aia_store_check_id("model_id", NULL, &err), AIA_INVALID_ARGUMENT);
    char longid[200];
    memset(longid, 'a', sizeof longid);
    longid[AIA_STORE_ID_MAX] = '\0';
    ST_OK(aia_store_check_id("model_id", longid, &err));
    longid[AIA_STORE_ID_MAX] = 'a';
    longid[AIA_STORE_ID_MAX + 1] = '\0';
    ST_FAILS(aia_store_check_id("model_id", longid, &err), AIA_INVALID_ARGUMENT);
}

static void model_list_pages_filters_and_counts(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    char id[32];
    for (int i = 0; i < 7; i++) {
        snprintf(id, sizeof id, "cls-%d", i);
        st_publish(s, id);
    }
    aia_job_record *job = NULL;
    int created = 0;
    ST_OK(aia_store_job_submit(s, st_spec("reg-a", AIA_STORE__V1__TASK_TYPE__TASK_REGRESSION), "", &job, &created,
                               &err));
    aia_store_record_free(job);

    aia_store_page page = {3, NULL};
    aia_model_record **ms = NULL;
    size_t n = 0;
    char *next = NULL;
    int total = 0, seen = 0;
    char last[32] = "";
    do {
        ST_OK(aia_store_model_list(s, AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION, "cls-", &page, &ms, &n, &next,
                                   &total, &err));
        assert_int_equal(total, 7);
        for (size_t i = 0; i < n; i++) {
            assert_true(strcmp(ms[i]->model_id, last) > 0); /* ordered, no repeats */
            snprintf(last, sizeof last, "%s", ms[i]->model_id);
            assert_int_equal(ms[i]->latest_version, 1);
            assert_int_equal(ms[i]->n_versions, 0); /* lists leave versions out */
            seen++;
        }
        aia_store_records_free((void **)ms, n);
        free((void *)page.page_token);
        page.page_token = next;
    } while (next != NULL);
    assert_int_equal(seen, 7);

    ST_OK(aia_store_model_list(s, AIA_STORE__V1__TASK_TYPE__TASK_REGRESSION, NULL, NULL, &ms, &n, &next, &total, &err));
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_string_equal(ms[0]->model_id, "reg-a");
    assert_int_equal(ms[0]->latest_version, 0); /* no version yet */
    assert_null(next);
    aia_store_records_free((void **)ms, n);

    ST_OK(aia_store_model_list(s, 0, NULL, NULL, &ms, &n, &next, &total, &err));
    assert_int_equal(total, 8);
    aia_store_records_free((void **)ms, n);

    aia_store_page bad = {0, "garbage"};
    ST_FAILS(aia_store_model_list(s, 0, NULL, &bad, &ms, &n, &next, &total, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "page_token"));
    bad.page_token = "o-5";
    ST_FAILS(aia_store_model_list(s, 0, NULL, &bad, &ms, &n, &next, &total, &err), AIA_INVALID_ARGUMENT);
    bad.page_token = "o12x";
    ST_FAILS(aia_store_model_list(s, 0, NULL, &bad, &ms, &n, &next, &total, &err), AIA_INVALID_ARGUMENT);
    aia_store_page neg = {-1, NULL};
    ST_FAILS(aia_store_model_list(s, 0, NULL, &neg, &ms, &n, &next, &total, &err), AIA_INVALID_ARGUMENT);
    aia_store_close(s);
    st_rmtree(dir);
}

static void corrupt_record_is_data_loss(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    st_publish(s, "m");
    aia_store_close(s);
    char path[600];
    snprintf(path, sizeof path, "%s/aia.db", dir);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    /* 0xff is a truncated varint tag: no message parses from it. */
    assert_int_equal(sqlite3_exec(db, "UPDATE model_versions SET record = x'ffff'", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    s = st_open(dir);
    aia_version_record *v = NULL;
    ST_FAILS(aia_store_version_get(s, "m", 1, &v, &err), AIA_DATA_LOSS);
    assert_non_null(strstr(err.message, "m@1"));
    assert_null(v);
    aia_store_close(s);
    st_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrations_apply_once_and_survive_reopen),
        cmocka_unit_test(concurrent_opens_migrate_once),
        cmocka_unit_test(open_refuses_a_missing_directory),
        cmocka_unit_test(model_get_fills_derived_fields),
        cmocka_unit_test(alias_moves_atomically_and_validates),
        cmocka_unit_test(delete_refuses_aliased_and_deployed_versions),
        cmocka_unit_test(ids_follow_the_url_safe_rule),
        cmocka_unit_test(model_list_pages_filters_and_counts),
        cmocka_unit_test(corrupt_record_is_data_loss),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
