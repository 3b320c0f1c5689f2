/* Unit tests for lib/serve resolution: model references to loaded models
 * over a real store with trained versions — id, id@N, id@alias, the
 * production default, every kind of unknown name, deleted versions, the
 * name cache following alias moves, corrupt artifacts, the LRU bound, and
 * predictions equal to the engine's on the stored model. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <pthread.h>

#include "lib/base/timeutil.h"

#include "tests/unit/serve/serve_fixture.h"

static void references_resolve_to_versions(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    assert_int_equal(fx_publish(&f, "churn", 1), 1);
    assert_int_equal(fx_publish(&f, "churn", 2), 2);
    aia_served *h;
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err)); /* no alias: latest */
    assert_int_equal(aia_served_version(h), 2);
    assert_string_equal(aia_served_model_id(h), "churn");
    assert_string_equal(aia_served_deployment_id(h), "churn@2");
    aia_served_release(h);
    FX_OK(aia_serve_acquire(f.serve, "churn@1", &h, &err));
    assert_int_equal(aia_served_version(h), 1);
    const aia_version_record *rec = aia_served_record(h);
    assert_int_equal(rec->n_class_labels, 2);
    assert_int_equal(rec->lineage->n_features, 3);
    aia_served_release(h);
    FX_OK(aia_store_alias_set(f.store, "churn", "production", 1, &err));
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err)); /* production wins over latest */
    assert_int_equal(aia_served_version(h), 1);
    aia_served_release(h);
    FX_OK(aia_store_alias_set(f.store, "churn", "staging", 2, &err));
    FX_OK(aia_serve_acquire(f.serve, "churn@staging", &h, &err));
    assert_int_equal(aia_served_version(h), 2);
    aia_served_release(h);
    FX_OK(aia_serve_acquire(f.serve, "churn@latest", &h, &err));
    assert_int_equal(aia_served_version(h), 2);
    aia_served_release(h);
    FX_OK(aia_serve_acquire_version(f.serve, "churn", 0, &h, &err));
    assert_int_equal(aia_served_version(h), 1);
    aia_served_release(h);
    FX_OK(aia_serve_acquire_version(f.serve, "churn", 2, &h, &err));
    assert_int_equal(aia_served_version(h), 2);
    aia_served_release(h);
    fx_close(&f);
}

static void unknown_names_are_named(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    fx_publish(&f, "churn", 1);
    aia_served *h = (aia_served *)1;
    FX_FAILS(aia_serve_acquire(f.serve, "nope", &h, &err), AIA_NOT_FOUND);
    FX_SAYS("model 'nope' not found");
    assert_null(h);
    FX_FAILS(aia_serve_acquire(f.serve, "nope@3", &h, &err), AIA_NOT_FOUND);
    FX_SAYS("'nope'");
    FX_FAILS(aia_serve_acquire(f.serve, "nope@production", &h, &err), AIA_NOT_FOUND);
    FX_SAYS("model 'nope' not found");
    FX_FAILS(aia_serve_acquire(f.serve, "churn@7", &h, &err), AIA_NOT_FOUND);
    FX_SAYS("model 'churn' has no version 7");
    FX_FAILS(aia_serve_acquire(f.serve, "churn@canary", &h, &err), AIA_NOT_FOUND);
    FX_SAYS("model 'churn' has no alias 'canary'");
    FX_FAILS(aia_serve_acquire_version(f.serve, "churn", 9, &h, &err), AIA_NOT_FOUND);
    FX_SAYS("version 9");
    /* malformed */
    FX_FAILS(aia_serve_acquire(f.serve, "", &h, &err), AIA_INVALID_ARGUMENT);
    FX_FAILS(aia_serve_acquire(f.serve, "churn@", &h, &err), AIA_INVALID_ARGUMENT);
    FX_FAILS(aia_serve_acquire(f.serve, "churn@0", &h, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("out of range");
    FX_FAILS(aia_serve_acquire(f.serve, "churn@99999999999", &h, &err), AIA_INVALID_ARGUMENT);
    FX_FAILS(aia_serve_acquire(f.serve, "churn@-1", &h, &err), AIA_INVALID_ARGUMENT);
    FX_FAILS(aia_serve_acquire(f.serve, "churn@1@2", &h, &err), AIA_INVALID_ARGUMENT);
    FX_FAILS(aia_serve_acquire(f.serve, "ch urn", &h, &err), AIA_INVALID_ARGUMENT);
    FX_SAYS("model_id");
    FX_FAILS(aia_serve_acquire_version(f.serve, "churn", -2, &h, &err), AIA_INVALID_ARGUMENT);
    char longref[400];
    memset(longref, 'a', sizeof longref - 1);
    longref[sizeof longref - 1] = '\0';
    FX_FAILS(aia_serve_acquire(f.serve, longref, &h, &err), AIA_INVALID_ARGUMENT);
    /* a model with no READY version */
    aia_job_spec spec = AIA_STORE__V1__JOB_SPEC__INIT;
    spec.model_id = (char *)"empty";
    spec.task_type = AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION;
    spec.algorithm = (char *)"gbdt";
    spec.training_data_uri = (char *)"/x.csv";
    spec.target_column = (char *)"t";
    aia_job_record *job;
    int created;
    FX_OK(aia_store_job_submit(f.store, &spec, "", &job, &created, &err));
    aia_store_record_free(job);
    FX_FAILS(aia_serve_acquire(f.serve, "empty", &h, &err), AIA_NOT_FOUND);
    FX_SAYS("model 'empty' has no READY version");
    fx_close(&f);
}

static void deleted_versions_stop_being_served(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    fx_publish(&f, "churn", 1);
    fx_publish(&f, "churn", 2);
    aia_served *h, *kept;
    FX_OK(aia_serve_acquire(f.serve, "churn@1", &kept, &err)); /* cached and held */
    FX_OK(aia_store_version_delete(f.store, "churn", 1, NULL, &err));
    FX_FAILS(aia_serve_acquire(f.serve, "churn@1", &h, &err), AIA_FAILED_PRECONDITION);
    FX_SAYS("model 'churn' version 1 is deleted");
    /* the holder's handle stays usable */
    assert_int_equal(aia_served_version(kept), 1);
    assert_non_null(aia_served_model(kept));
    aia_served_release(kept);
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err));
    assert_int_equal(aia_served_version(h), 2);
    aia_served_release(h);
    fx_close(&f);
}

static void alias_moves_are_seen_at_once(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    fx_publish(&f, "churn", 1);
    fx_publish(&f, "churn", 2);
    FX_OK(aia_store_alias_set(f.store, "churn", "production", 1, &err));
    aia_served *a, *b;
    FX_OK(aia_serve_acquire(f.serve, "churn@production", &a, &err));
    FX_OK(aia_serve_acquire(f.serve, "churn@production", &b, &err));
    assert_ptr_equal(a, b); /* cached: one loaded model */
    assert_int_equal(aia_served_version(a), 1);
    aia_served_release(b);
    FX_OK(aia_store_alias_set(f.store, "churn", "production", 2, &err));
    FX_OK(aia_serve_acquire(f.serve, "churn@production", &b, &err));
    assert_int_equal(aia_served_version(b), 2);
    aia_served_release(b);
    FX_OK(aia_serve_acquire(f.serve, "churn", &b, &err));
    assert_int_equal(aia_served_version(b), 2);
    aia_served_release(b);
    /* a new latest version moves the bare name when no alias is set */
    FX_OK(aia_store_alias_set(f.store, "churn", "production", 0, &err));
    FX_OK(aia_serve_acquire(f.serve, "churn", &b, &err));
    assert_int_equal(aia_served_version(b), 2);
    aia_served_release(b);
    fx_publish(&f, "churn", 3);
    FX_OK(aia_serve_acquire(f.serve, "churn", &b, &err));
    assert_int_equal(aia_served_version(b), 3);
    aia_served_release(b);
    aia_served_release(a);
    fx_close(&f);
}

static void corrupt_artifact_is_data_loss(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    aia_model *m = fx_train(1);
    char sha[AIA_SHA256_HEX_LEN + 1];
    fx_publish_model(&f, "churn", m, sha);
    aia_model_free(m);
    char path[1024];
    aia_artifact_path(f.dir, sha, path, sizeof path);
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, 100, SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, 100, SEEK_SET);
    fputc(c ^ 0x5a, fp);
    fclose(fp);
    aia_served *h;
    FX_FAILS(aia_serve_acquire(f.serve, "churn@1", &h, &err), AIA_DATA_LOSS);
    FX_SAYS("churn@1");
    remove(path);
    FX_FAILS(aia_serve_acquire(f.serve, "churn", &h, &err), AIA_NOT_FOUND);
    FX_SAYS("churn@1");
    fx_close(&f);
}

static void cache_is_bounded_and_handles_outlive_eviction(void **state)
{
    (void)state;
    aia_serve_options o = {0};
    o.max_cached_models = 2;
    fx f;
    fx_open(&f, &o);
    aia_error err;
    for (unsigned i = 1; i <= 4; i++) fx_publish(&f, "churn", i);
    aia_served *held, *h, *again;
    FX_OK(aia_serve_acquire(f.serve, "churn@1", &held, &err));
    for (int v = 2; v <= 4; v++) {
        FX_OK(aia_serve_acquire_version(f.serve, "churn", v, &h, &err));
        aia_served_release(h);
    }
    /* churn@1 was evicted: a new acquire loads a second copy, the held one still works */
    FX_OK(aia_serve_acquire(f.serve, "churn@1", &again, &err));
    assert_ptr_not_equal(again, held);
    assert_int_equal(aia_served_version(held), 1);
    aia_preprocess_cell cells[3] = {{NULL, 7.0}, {"red", 0}, {NULL, 1}};
    double scratch[64], p1[2], p2[2];
    assert_true(aia_preprocess_n_outputs(aia_model_preprocess(aia_served_model(held))) <= 64);
    FX_OK(aia_model_predict_row(aia_served_model(held), cells, scratch, p1, &err));
    FX_OK(aia_model_predict_row(aia_served_model(again), cells, scratch, p2, &err));
    assert_memory_equal(p1, p2, sizeof p1);
    aia_served_release(held);
    aia_served_release(again);
    fx_close(&f);
}

static void served_model_predicts_as_the_engine(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    aia_model *m = fx_train(5);
    fx_publish_model(&f, "churn", m, NULL);
    aia_served *h;
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err));
    assert_int_equal(aia_served_feature_index(h, "x"), 0);
    assert_int_equal(aia_served_feature_index(h, "color"), 1);
    assert_int_equal(aia_served_feature_index(h, "flag"), 2);
    assert_int_equal(aia_served_feature_index(h, "target"), -1);
    assert_int_equal(aia_served_feature_index(h, ""), -1);
    aia_preprocess_cell cells[3] = {{NULL, 3.0}, {"green", 0}, {NULL, NAN}};
    double scratch[64], a[2], b[2];
    FX_OK(aia_model_predict_row(m, cells, scratch, a, &err));
    FX_OK(aia_model_predict_row(aia_served_model(h), cells, scratch, b, &err));
    assert_memory_equal(a, b, sizeof a);
    aia_served_release(h);
    aia_model_free(m);
    fx_close(&f);
}

static void cached_acquire_is_cheap_and_loads_nothing(void **state)
{
    (void)state;
    fx f;
    fx_open(&f, NULL);
    aia_error err;
    aia_model *m = fx_train(1);
    char sha[AIA_SHA256_HEX_LEN + 1], path[1024];
    fx_publish_model(&f, "churn", m, sha);
    aia_model_free(m);
    aia_served *h;
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err));
    aia_served_release(h);
    aia_artifact_path(f.dir, sha, path, sizeof path);
    assert_int_equal(remove(path), 0); /* a hit must not read it again */
    int n = 100000;
    int64_t t0 = aia_time_mono_ns();
    for (int i = 0; i < n; i++) {
        FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err));
        aia_served_release(h);
    }
    double ns = (double)(aia_time_mono_ns() - t0) / n;
    print_message("cached acquire + release: %.0f ns\n", ns);
    assert_true(ns < 20000); /* behavioural bound, generous for sanitizers */
    fx_close(&f);
}

typedef struct racer {
    aia_serve *serve;
    int bad;
} racer;

static void *acquire_many(void *arg)
{
    racer *r = arg;
    aia_error err;
    for (int i = 0; i < 5000; i++) {
        aia_served *h;
        if (aia_serve_acquire(r->serve, i % 2 ? "churn" : "churn@production", &h, &err) != AIA_OK) {
            r->bad++;
            continue;
        }
        int v = aia_served_version(h);
        if (v != 1 && v != 2) r->bad++;
        aia_served_release(h);
    }
    return NULL;
}

static void acquire_races_alias_moves_and_eviction(void **state)
{
    (void)state;
    aia_serve_options o = {0};
    o.max_cached_models = 1; /* every switch evicts */
    fx f;
    fx_open(&f, &o);
    aia_error err;
    fx_publish(&f, "churn", 1);
    fx_publish(&f, "churn", 2);
    FX_OK(aia_store_alias_set(f.store, "churn", "production", 1, &err));
    racer r[3] = {{f.serve, 0}, {f.serve, 0}, {f.serve, 0}};
    pthread_t t[3];
    for (int i = 0; i < 3; i++) assert_int_equal(pthread_create(&t[i], NULL, acquire_many, &r[i]), 0);
    for (int i = 0; i < 40; i++) FX_OK(aia_store_alias_set(f.store, "churn", "production", 1 + i % 2, &err));
    for (int i = 0; i < 3; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(r[i].bad, 0);
    }
    aia_served *h;
    FX_OK(aia_serve_acquire(f.serve, "churn", &h, &err));
    assert_int_equal(aia_served_version(h), 2); /* the last move */
    aia_served_release(h);
    fx_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(references_resolve_to_versions),
        cmocka_unit_test(unknown_names_are_named),
        cmocka_unit_test(deleted_versions_stop_being_served),
        cmocka_unit_test(alias_moves_are_seen_at_once),
        cmocka_unit_test(corrupt_artifact_is_data_loss),
        cmocka_unit_test(cache_is_bounded_and_handles_outlive_eviction),
        cmocka_unit_test(served_model_predicts_as_the_engine),
        cmocka_unit_test(cached_acquire_is_cheap_and_loads_nothing),
        cmocka_unit_test(acquire_races_alias_moves_and_eviction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
