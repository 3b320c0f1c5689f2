/* Unit tests for lib/store endpoints: create, optimistic updates with the
 * expected revision, revision history, the deployments index behind
 * list-by-model, deploying deleted versions refused, pages. */
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

/* An endpoint with one or two deployments (static storage per call site). */
typedef struct ep_builder {
    aia_endpoint_record e;
    aia_deployment_record d[2];
    aia_deployment_record *dp[2];
} ep_builder;

static aia_endpoint_record *build(ep_builder *b, const char *id, const char *model, int v1, int p1, int v2, int p2) {
    aia_store__v1__endpoint__init(&b->e);
    b->e.endpoint_id = (char *)id;
    b->e.display_name = (char *)"Churn";
    size_t n = 0;
    int vs[2] = {v1, v2}, ps[2] = {p1, p2};
    for (int i = 0; i < 2; i++) {
        if (vs[i] == 0) continue;
        aia_store__v1__deployment__init(&b->d[n]);
        b->d[n].endpoint_id = (char *)id;
        b->d[n].model_id = (char *)model;
        b->d[n].model_version = vs[i];
        b->d[n].traffic_percent = ps[i];
        b->dp[n] = &b->d[n];
        n++;
    }
    b->e.deployments = b->dp;
    b->e.n_deployments = n;
    return &b->e;
}

static void create_update_and_history(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    st_publish(s, "churn");
    st_publish(s, "churn");
    ep_builder b;
    uint64_t gen = aia_store_generation(s);
    ST_OK(aia_store_endpoint_create(s, build(&b, "ep", "churn", 1, 100, 0, 0), &err));
    assert_true(aia_store_generation(s) > gen);
    ST_FAILS(aia_store_endpoint_create(s, build(&b, "ep", "churn", 1, 100, 0, 0), &err), AIA_ALREADY_EXISTS);
    assert_non_null(strstr(err.message, "ep"));
    ST_FAILS(aia_store_endpoint_create(s, build(&b, "bad id", "churn", 1, 100, 0, 0), &err), AIA_INVALID_ARGUMENT);

    aia_endpoint_record *got = NULL;
    ST_OK(aia_store_endpoint_get(s, "ep", &got, &err));
    assert_int_equal(got->revision, 1);
    assert_non_null(got->create_time);
    assert_int_equal(got->n_deployments, 1);
    aia_store_record_free(got);

    aia_endpoint_record *out = NULL;
    ST_OK(aia_store_endpoint_update(s, build(&b, "ep", "churn", 1, 90, 2, 10), 1, &out, &err));
    assert_int_equal(out->revision, 2);
    assert_int_equal(out->n_deployments, 2);
    aia_store_record_free(out);
    /* A writer that read revision 1 loses: ABORTED, nothing written. */
    gen = aia_store_generation(s);
    ST_FAILS(aia_store_endpoint_update(s, build(&b, "ep", "churn", 2, 100, 0, 0), 1, &out, &err), AIA_ABORTED);
    assert_non_null(strstr(err.message, "revision 2"));
    assert_null(out);
    assert_int_equal(aia_store_generation(s), gen);
    ST_OK(aia_store_endpoint_get(s, "ep", &got, &err));
    assert_int_equal(got->revision, 2);
    assert_int_equal(got->n_deployments, 2);
    aia_store_record_free(got);

    /* History: revision 1 as it was (rollback reads it back). */
    ST_OK(aia_store_endpoint_revision(s, "ep", 1, &got, &err));
    assert_int_equal(got->revision, 1);
    assert_int_equal(got->n_deployments, 1);
    assert_int_equal(got->deployments[0]->traffic_percent, 100);
    aia_store_record_free(got);
    ST_OK(aia_store_endpoint_revision(s, "ep", 2, &got, &err));
    aia_store_record_free(got);
    ST_FAILS(aia_store_endpoint_revision(s, "ep", 3, &got, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "revision 3"));
    ST_FAILS(aia_store_endpoint_get(s, "nope", &got, &err), AIA_NOT_FOUND);
    ST_FAILS(aia_store_endpoint_update(s, build(&b, "nope", "churn", 1, 100, 0, 0), 1, NULL, &err), AIA_NOT_FOUND);

    /* Undeploy v1 (revision 3): v1 can be deleted now, v2 cannot. */
    ST_OK(aia_store_endpoint_update(s, build(&b, "ep", "churn", 2, 100, 0, 0), 2, NULL, &err));
    ST_OK(aia_store_version_delete(s, "churn", 1, NULL, &err));
    ST_FAILS(aia_store_version_delete(s, "churn", 2, NULL, &err), AIA_FAILED_PRECONDITION);
    /* Deploying the deleted version is refused and changes nothing. */
    ST_FAILS(aia_store_endpoint_update(s, build(&b, "ep", "churn", 1, 50, 2, 50), 3, NULL, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "churn@1"));
    ST_FAILS(aia_store_endpoint_create(s, build(&b, "ep2", "churn", 9, 100, 0, 0), &err), AIA_NOT_FOUND);
    ST_FAILS(aia_store_endpoint_get(s, "ep2", &got, &err), AIA_NOT_FOUND);
    ST_OK(aia_store_endpoint_get(s, "ep", &got, &err));
    assert_int_equal(got->revision, 3);
    aia_store_record_free(got);
    aia_store_close(s);
    st_rmtree(dir);
}

static void list_by_model_follows_the_current_revision(void **state) {
    (void)state;
    char *dir = st_tempdir();
    aia_store *s = st_open(dir);
    aia_error err;
    st_publish(s, "a");
    st_publish(s, "b");
    ep_builder b;
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof id, "ep-%d", i);
        ST_OK(aia_store_endpoint_create(s, build(&b, id, i % 2 ? "b" : "a", 1, 100, 0, 0), &err));
    }
    ST_OK(aia_store_endpoint_create(s, build(&b, "empty", "a", 0, 0, 0, 0), &err));
    aia_endpoint_record **es = NULL;
    size_t n = 0;
    char *next = NULL;
    ST_OK(aia_store_endpoint_list(s, "a", NULL, &es, &n, &next, &err));
    assert_int_equal(n, 3); /* ep-0, ep-2, ep-4 */
    assert_string_equal(es[0]->endpoint_id, "ep-0");
    assert_string_equal(es[2]->endpoint_id, "ep-4");
    assert_null(next);
    aia_store_records_free((void **)es, n);
    /* Move ep-0 from a to b: the index follows. */
    ST_OK(aia_store_endpoint_update(s, build(&b, "ep-0", "b", 1, 100, 0, 0), 1, NULL, &err));
    ST_OK(aia_store_endpoint_list(s, "a", NULL, &es, &n, &next, &err));
    assert_int_equal(n, 2);
    aia_store_records_free((void **)es, n);
    ST_OK(aia_store_endpoint_list(s, "b", NULL, &es, &n, &next, &err));
    assert_int_equal(n, 3);
    aia_store_records_free((void **)es, n);

    aia_store_page page = {4, NULL};
    ST_OK(aia_store_endpoint_list(s, NULL, &page, &es, &n, &next, &err));
    assert_int_equal(n, 4);
    assert_non_null(next);
    aia_store_records_free((void **)es, n);
    page.page_token = next;
    ST_OK(aia_store_endpoint_list(s, NULL, &page, &es, &n, &next, &err));
    assert_int_equal(n, 2);
    assert_null(next);
    aia_store_records_free((void **)es, n);
    free((void *)page.page_token);
    aia_store_page bad = {0, "x"};
    ST_FAILS(aia_store_endpoint_list(s, NULL, &bad, &es, &n, &next, &err), AIA_INVALID_ARGUMENT);
    aia_store_close(s);
    st_rmtree(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_update_and_history),
        cmocka_unit_test(list_by_model_follows_the_current_revision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
