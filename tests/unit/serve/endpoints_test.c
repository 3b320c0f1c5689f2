/* Unit tests for lib/serve endpoints: create, deploy with proportional
 * shares (largest remainder), split validation, undeploy, rollback (and
 * its refusal when a version was deleted), and routing: smooth weighted
 * round-robin following the split exactly, routing keys sticking to an
 * arm, and the routing table following changes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/unit/serve/serve_fixture.h"

/* The percent of deployment `id` in e (-1 when absent), checking that the
 * traffic_split map mirrors it. */
static int percent_of(const aia_endpoint_record *e, const char *id)
{
    int p = -1, mirrored = -1;
    for (size_t i = 0; i < e->n_deployments; i++)
        if (strcmp(e->deployments[i]->deployment_id, id) == 0) p = e->deployments[i]->traffic_percent;
    for (size_t i = 0; i < e->n_traffic_split; i++)
        if (strcmp(e->traffic_split[i]->key, id) == 0) mirrored = e->traffic_split[i]->value;
    assert_int_equal(p, mirrored);
    return p;
}

static void setup_models(fx *f, int n)
{
    fx_open(f, NULL);
    for (int i = 1; i <= n; i++) assert_int_equal(fx_publish(f, "churn", (unsigned)i), i);
}

static void create_names_or_generates_ids(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    aia_endpoint_record *e;
    const char *keys[] = {"team"}, *values[] = {"growth"};
    FX_OK(aia_serve_endpoint_create(f.serve, "web", "Web", "front page", keys, values, 1, &e, &err));
    assert_string_equal(e->endpoint_id, "web");
    assert_string_equal(e->display_name, "Web");
    assert_int_equal(e->n_labels, 1);
    assert_int_equal(e->n_deployments, 0);
    aia_store_record_free(e);
    FX_OK(aia_serve_endpoint_create(f.serve, "", NULL, NULL, NULL, NULL, 0, &e, &err));
    assert_int_equal(strlen(e->endpoint_id), 15);
    assert_memory_equal(e->endpoint_id, "ep-", 3);
    aia_store_record_free(e);
    FX_FAILS(aia_serve_endpoint_create(f.serve, "web", NULL, NULL, NULL, NULL, 0, &e, &err), AIA_ALREADY_EXISTS);
    FX_FAILS(aia_serve_endpoint_create(f.serve, "bad id", NULL, NULL, NULL, NULL, 0, &e, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("endpoint_id");
    const char *empty[] = {""};
    FX_FAILS(aia_serve_endpoint_create(f.serve, "web2", NULL, NULL, empty, values, 1, &e, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("label 0");
    fx_close(&f);
}

static void deploy_shrinks_the_others_proportionally(void **state)
{
    (void)state;
    fx f;
    setup_models(&f, 4);
    aia_error err;
    aia_endpoint_record *e;
    FX_OK(aia_serve_endpoint_create(f.serve, "web", NULL, NULL, NULL, NULL, 0, NULL, &err));
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@1", 30, &e, &err)); /* alone: 100 */
    assert_int_equal(percent_of(e, "churn@1"), 100);
    assert_int_equal(e->revision, 2);
    aia_store_record_free(e);
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@2", 10, &e, &err));
    assert_int_equal(percent_of(e, "churn@1"), 90);
    assert_int_equal(percent_of(e, "churn@2"), 10);
    assert_string_equal(e->deployments[1]->model_id, "churn");
    assert_int_equal(e->deployments[1]->model_version, 2);
    aia_store_record_free(e);
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@3", 20, &e, &err));
    assert_int_equal(percent_of(e, "churn@1"), 72);
    assert_int_equal(percent_of(e, "churn@2"), 8);
    assert_int_equal(percent_of(e, "churn@3"), 20);
    aia_store_record_free(e);
    /* 72/8/20 with 33 more: 67 shared as 48.24/5.36/13.4 → 48/5/14 (largest remainders) */
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@4", 33, &e, &err));
    assert_int_equal(percent_of(e, "churn@1"), 48);
    assert_int_equal(percent_of(e, "churn@2"), 5);
    assert_int_equal(percent_of(e, "churn@3"), 14);
    assert_int_equal(percent_of(e, "churn@4"), 33);
    aia_store_record_free(e);
    FX_FAILS(aia_serve_deploy(f.serve, "web", "churn@4", 10, &e, &err), AIA_ALREADY_EXISTS);
    FX_SAYS("churn@4");
    FX_FAILS(aia_serve_deploy(f.serve, "web", "churn@1", 101, &e, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("traffic_percent 101");
    FX_FAILS(aia_serve_deploy(f.serve, "web", "churn@1", -1, &e, &err), AIA_INVALID_ARGUMENT);
    FX_FAILS(aia_serve_deploy(f.serve, "nowhere", "churn@1", 10, &e, &err), AIA_NOT_FOUND);
    FX_SAYS("endpoint 'nowhere'");
    FX_FAILS(aia_serve_deploy(f.serve, "web", "other", 10, &e, &err), AIA_NOT_FOUND);
    FX_SAYS("model 'other'");
    FX_FAILS(aia_serve_deploy(f.serve, "web", "churn@9", 10, &e, &err), AIA_NOT_FOUND);
    /* a deleted version cannot be deployed */
    FX_OK(aia_serve_endpoint_create(f.serve, "api", NULL, NULL, NULL, NULL, 0, NULL, &err));
    fx_publish(&f, "churn", 5);
    FX_OK(aia_store_version_delete(f.store, "churn", 5, NULL, &err));
    FX_FAILS(aia_serve_deploy(f.serve, "api", "churn@5", 10, &e, &err), AIA_FAILED_PRECONDITION);
    FX_SAYS("deleted");
    fx_close(&f);
}

static void splits_are_validated(void **state)
{
    (void)state;
    fx f;
    setup_models(&f, 2);
    aia_error err;
    aia_endpoint_record *e;
    FX_OK(aia_serve_endpoint_create(f.serve, "web", NULL, NULL, NULL, NULL, 0, NULL, &err));
    const char *one[] = {"churn@1"};
    int hundred[] = {100};
    FX_FAILS(aia_serve_split(f.serve, "web", one, hundred, 1, 0, &e, &err), AIA_FAILED_PRECONDITION);
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@1", 100, NULL, &err));
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@2", 50, NULL, &err));
    const char *ids[] = {"churn@1", "churn@2"};
    int sum90[] = {80, 10}, neg[] = {105, -5}, ok[] = {25, 75};
    FX_FAILS(aia_serve_split(f.serve, "web", ids, sum90, 2, 0, &e, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("sum to 90");
    FX_SAYS("'web'");
    FX_FAILS(aia_serve_split(f.serve, "web", ids, neg, 2, 0, &e, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("percent 105");
    int neg2[] = {-5, 105};
    FX_FAILS(aia_serve_split(f.serve, "web", ids, neg2, 2, 0, &e, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("percent -5 for deployment 'churn@1'");
    const char *unknown[] = {"churn@1", "churn@7"};
    FX_FAILS(aia_serve_split(f.serve, "web", unknown, ok, 2, 0, &e, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("no deployment 'churn@7'");
    const char *twice[] = {"churn@1", "churn@1"};
    FX_FAILS(aia_serve_split(f.serve, "web", twice, ok, 2, 0, &e, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("twice");
    FX_FAILS(aia_serve_split(f.serve, "web", one, hundred, 1, 0, &e, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("does not name deployment 'churn@2'");
    FX_FAILS(aia_serve_split(f.serve, "web", ids, ok, 2, 2, &e, &err), AIA_ABORTED); /* at revision 3 */
    FX_SAYS("revision 3");
    FX_FAILS(aia_serve_split(f.serve, "nowhere", ids, ok, 2, 0, &e, &err), AIA_NOT_FOUND);
    FX_OK(aia_serve_split(f.serve, "web", ids, ok, 2, 3, &e, &err));
    assert_int_equal(percent_of(e, "churn@1"), 25);
    assert_int_equal(percent_of(e, "churn@2"), 75);
    assert_int_equal(e->revision, 4);
    aia_store_record_free(e);
    fx_close(&f);
}

static void undeploy_and_rollback(void **state)
{
    (void)state;
    fx f;
    setup_models(&f, 3);
    aia_error err;
    aia_endpoint_record *e;
    FX_OK(aia_serve_endpoint_create(f.serve, "web", NULL, NULL, NULL, NULL, 0, NULL, &err));
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@1", 100, NULL, &err));
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@2", 10, NULL, &err));
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@3", 20, NULL, &err)); /* 72/8/20, revision 4 */
    FX_OK(aia_serve_undeploy(f.serve, "web", "churn@3", NULL, NULL, 0, &e, &err)); /* the rest grow: 90/10 */
    assert_int_equal(percent_of(e, "churn@1"), 90);
    assert_int_equal(percent_of(e, "churn@2"), 10);
    assert_int_equal(percent_of(e, "churn@3"), -1);
    assert_int_equal(e->revision, 5);
    aia_store_record_free(e);
    FX_FAILS(aia_serve_undeploy(f.serve, "web", "churn@3", NULL, NULL, 0, &e, &err), AIA_NOT_FOUND);
    FX_SAYS("no deployment 'churn@3'");
    FX_OK(aia_serve_rollback(f.serve, "web", 0, &e, &err)); /* back to 72/8/20 as revision 6 */
    assert_int_equal(e->revision, 6);
    assert_int_equal(percent_of(e, "churn@1"), 72);
    assert_int_equal(percent_of(e, "churn@2"), 8);
    assert_int_equal(percent_of(e, "churn@3"), 20);
    aia_store_record_free(e);
    FX_OK(aia_serve_rollback(f.serve, "web", 2, &e, &err)); /* churn@1 alone */
    assert_int_equal(e->n_deployments, 1);
    assert_int_equal(percent_of(e, "churn@1"), 100);
    aia_store_record_free(e);
    FX_FAILS(aia_serve_rollback(f.serve, "web", 7, &e, &err), AIA_INVALID_ARGUMENT);
    /* an explicit split for the rest */
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@2", 50, NULL, &err));
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@3", 50, NULL, &err)); /* 25/25/50 */
    const char *rest[] = {"churn@2", "churn@3"};
    int bad[] = {50, 40}, good[] = {30, 70};
    FX_FAILS(aia_serve_undeploy(f.serve, "web", "churn@1", rest, bad, 2, &e, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("sum to 90");
    FX_OK(aia_serve_undeploy(f.serve, "web", "churn@1", rest, good, 2, &e, &err));
    assert_int_equal(percent_of(e, "churn@2"), 30);
    assert_int_equal(percent_of(e, "churn@3"), 70);
    aia_store_record_free(e);
    /* churn@1 is deleted now: rolling back to a split that deploys it is refused */
    FX_OK(aia_store_version_delete(f.store, "churn", 1, NULL, &err));
    FX_FAILS(aia_serve_rollback(f.serve, "web", 0, &e, &err), AIA_FAILED_PRECONDITION);
    FX_SAYS("churn@1");
    FX_SAYS("deleted");
    /* the first revision has nothing before it */
    FX_OK(aia_serve_endpoint_create(f.serve, "api", NULL, NULL, NULL, NULL, 0, NULL, &err));
    FX_FAILS(aia_serve_rollback(f.serve, "api", 0, &e, &err), AIA_FAILED_PRECONDITION);
    FX_SAYS("no revision before 1");
    /* undeploying the last one empties the endpoint */
    FX_OK(aia_serve_deploy(f.serve, "api", "churn@2", 100, NULL, &err));
    FX_OK(aia_serve_undeploy(f.serve, "api", "churn@2", NULL, NULL, 0, &e, &err));
    assert_int_equal(e->n_deployments, 0);
    aia_store_record_free(e);
    fx_close(&f);
}

static void route_counts(fx *f, const char *endpoint, int n, int *v1, int *v2)
{
    aia_error err;
    *v1 = *v2 = 0;
    for (int i = 0; i < n; i++) {
        aia_served *h;
        const char *dep;
        FX_OK(aia_serve_route(f->serve, endpoint, NULL, &h, &dep, &err));
        assert_string_equal(dep, aia_served_deployment_id(h));
        if (aia_served_version(h) == 1) ++*v1;
        else ++*v2;
        aia_served_release(h);
    }
}

static void routing_follows_the_split(void **state)
{
    (void)state;
    fx f;
    setup_models(&f, 2);
    aia_error err;
    aia_served *h;
    const char *dep;
    FX_OK(aia_serve_endpoint_create(f.serve, "web", NULL, NULL, NULL, NULL, 0, NULL, &err));
    FX_FAILS(aia_serve_route(f.serve, "web", NULL, &h, &dep, &err), AIA_FAILED_PRECONDITION);
    FX_SAYS("'web'");
    FX_FAILS(aia_serve_route(f.serve, "nowhere", NULL, &h, &dep, &err), AIA_NOT_FOUND);
    FX_SAYS("endpoint 'nowhere'");
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@1", 100, NULL, &err));
    FX_OK(aia_serve_deploy(f.serve, "web", "churn@2", 10, NULL, &err));
    int v1, v2;
    route_counts(&f, "web", 2000, &v1, &v2);
    assert_int_equal(v1, 1800); /* smooth weighted round-robin is exact over whole cycles */
    assert_int_equal(v2, 200);
    /* a key sticks to one arm; keys spread like the split */
    int first = -1, key_v1 = 0;
    for (int i = 0; i < 50; i++) {
        FX_OK(aia_serve_route(f.serve, "web", "user-42", &h, &dep, &err));
        if (first < 0) first = aia_served_version(h);
        assert_int_equal(aia_served_version(h), first);
        aia_served_release(h);
    }
    for (int i = 0; i < 2000; i++) {
        char key[32];
        snprintf(key, sizeof key, "user-%d", i);
        FX_OK(aia_serve_route(f.serve, "web", key, &h, &dep, &err));
        key_v1 += aia_served_version(h) == 1;
        aia_served_release(h);
    }
    print_message("keyed: %d of 2000 on churn@1\n", key_v1);
    assert_in_range(key_v1, 1740, 1860); /* ±3 points */
    /* a new split is followed at once */
    const char *ids[] = {"churn@1", "churn@2"};
    int half[] = {50, 50};
    FX_OK(aia_serve_split(f.serve, "web", ids, half, 2, 0, NULL, &err));
    route_counts(&f, "web", 1000, &v1, &v2);
    assert_int_equal(v1, 500);
    assert_int_equal(v2, 500);
    int none[] = {0, 100};
    FX_OK(aia_serve_split(f.serve, "web", ids, none, 2, 0, NULL, &err));
    route_counts(&f, "web", 100, &v1, &v2);
    assert_int_equal(v1, 0);
    FX_OK(aia_serve_route(f.serve, "web", "user-42", &h, &dep, &err)); /* keys too */
    assert_int_equal(aia_served_version(h), 2);
    aia_served_release(h);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(create_names_or_generates_ids),
        cmocka_unit_test(deploy_shrinks_the_others_proportionally),
        cmocka_unit_test(splits_are_validated),
        cmocka_unit_test(undeploy_and_rollback),
        cmocka_unit_test(routing_follows_the_split),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
