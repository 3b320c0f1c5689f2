/* tests/unit/train/run_test.c — aia_train_run() end to end on generated
 * CSV files and the bundled breast-cancer data: metrics, the model file,
 * lineage, "auto", HPO with its trial events, and cancellation.
 */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/base/timeutil.h"
#include "lib/data/csv.h"
#include "lib/data/labels.h"
#include "lib/data/split.h"
#include "lib/ml/evaluate.h"
#include "lib/ml/model_file.h"
#include "lib/train/train.h"
#include "tests/unit/testutil/runfiles.h"
#include "tests/unit/train/train_fixture.h"

static char cls_path[512], reg_path[512], scratch[512];

static int setup(void **state)
{
    fix_write_classification(fix_tmp_path("cls.csv", cls_path, sizeof cls_path), 600, 3);
    fix_write_regression(fix_tmp_path("reg.csv", reg_path, sizeof reg_path), 600, 5);
    fix_tmp_path("scratch", scratch, sizeof scratch);
    return 0;
}

/* ---- hooks that record what they see ------------------------------------------------ */

typedef struct seen {
    pthread_mutex_t mu;
    int iterations, trials_running, trials_final, data_calls;
    int stop_after; /* should_stop says yes once this many iterations were seen; 0: never */
    double last_progress;
    int progress_went_back;
    int trial0_complete;
    double trial0_value;
    double best_final_value;
    int final_numbers[64];
} seen;

static int h_stop(void *arg)
{
    seen *s = arg;
    pthread_mutex_lock(&s->mu);
    int stop = s->stop_after > 0 && s->iterations >= s->stop_after;
    pthread_mutex_unlock(&s->mu);
    return stop;
}

static void h_data(void *arg, const AiaStore__V1__DataSplit *d)
{
    seen *s = arg;
    assert_true(d->train_rows > 0 && d->validation_rows > 0 && d->test_rows > 0);
    s->data_calls++;
}

static void h_iter(void *arg, int trial, int iteration, const char *const *names, const double *values, size_t n)
{
    seen *s = arg;
    assert_true(n >= 1 && n <= 2);
    assert_string_equal(names[0], "train_loss");
    assert_false(isnan(values[0]));
    pthread_mutex_lock(&s->mu);
    s->iterations++;
    pthread_mutex_unlock(&s->mu);
}

static void h_trial(void *arg, const aia_trial_record *t, const AiaStore__V1__HpoProgress *p)
{
    seen *s = arg;
    pthread_mutex_lock(&s->mu);
    assert_non_null(p);
    assert_true(t->n_hyperparameters > 0);
    if (t->state == AIA_STORE__V1__TRIAL_STATE__TRIAL_RUNNING) {
        s->trials_running++;
    } else {
        if (s->trials_final < 64) s->final_numbers[s->trials_final] = t->number;
        s->trials_final++;
        if (t->number == 0 && t->state == AIA_STORE__V1__TRIAL_STATE__TRIAL_COMPLETE) {
            s->trial0_complete = 1;
            s->trial0_value = t->value;
        }
        assert_non_null(t->duration);
        if (t->state == AIA_STORE__V1__TRIAL_STATE__TRIAL_COMPLETE) assert_true(t->n_metrics > 0);
        assert_int_equal(p->trials_completed + p->trials_pruned + p->trials_failed, s->trials_final);
    }
    pthread_mutex_unlock(&s->mu);
}

static void h_progress(void *arg, double f)
{
    seen *s = arg;
    pthread_mutex_lock(&s->mu);
    if (f < s->last_progress || f > 1) s->progress_went_back = 1;
    s->last_progress = f;
    pthread_mutex_unlock(&s->mu);
}

static aia_train_hooks hooks_for(seen *s)
{
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    aia_train_hooks h = {s, h_stop, h_data, h_iter, h_trial, h_progress};
    return h;
}

static aia_train_options options(void)
{
    aia_train_options o = {.scratch_dir = scratch, .threads = 2, .engine_version = "test-1"};
    return o;
}

static aia_status run(const fix_spec *f, const aia_train_hooks *h, aia_train_result *out, aia_error *err)
{
    aia_train_options o = options();
    aia_error_clear(err);
    return aia_train_run(&f->spec, "job-1", &o, h, out, err);
}

#define ASSERT_RUN_OK(st, err)                                                                   \
    do {                                                                                         \
        if ((st) != AIA_OK) fail_msg("run: %s: %s", aia_status_name(st), (err).message);         \
    } while (0)

/* ---- looking into results ------------------------------------------------------------ */

static double job_metric(const aia_job_record *j, const char *name)
{
    for (size_t i = 0; i < j->n_metrics; i++)
        if (strcmp(j->metrics[i]->key, name) == 0) return j->metrics[i]->value;
    return NAN;
}

static double job_valid_metric(const aia_job_record *j, const char *name)
{
    for (size_t i = 0; i < j->n_validation_metrics; i++)
        if (strcmp(j->validation_metrics[i]->key, name) == 0) return j->validation_metrics[i]->value;
    return NAN;
}

static const char *lineage_param(const AiaStore__V1__Lineage *l, const char *name)
{
    for (size_t i = 0; i < l->n_hyperparameters; i++)
        if (strcmp(l->hyperparameters[i]->key, name) == 0) return l->hyperparameters[i]->value;
    return NULL;
}

/* The test split as the run made it (same seed, same stratification),
 * scored by the model loaded back from the result's file: the numbers
 * must be the job's own. */
static void check_model_file(const aia_train_result *r, const char *csv, const char *target, int classification,
                             uint32_t seed)
{
    aia_error err;
    aia_model *m = NULL;
    assert_int_equal(aia_model_from_bytes(r->model_file, r->model_file_len, &m, &err), AIA_OK);
    aia_frame *all = NULL;
    aia_csv_schema_entry target_type = {target, AIA_COLUMN_CATEGORICAL};
    aia_csv_options o;
    aia_csv_options_init(&o);
    o.schema = classification ? &target_type : NULL;
    o.schema_len = classification ? 1 : 0;
    assert_int_equal(aia_csv_read_file(csv, &o, &all, &err), AIA_OK);
    aia_class_labels labels = {0};
    size_t col;
    assert_int_equal(aia_frame_find(all, target, &col, &err), AIA_OK);
    if (classification) assert_int_equal(aia_class_labels_from_column(all, col, &labels, &err), AIA_OK);
    aia_split s;
    assert_int_equal(aia_split_train_validation_test(aia_frame_n_rows(all), 0.8, 0.1, 0.1,
                                                     classification ? &labels : NULL, seed, &s, &err),
                     AIA_OK);
    aia_frame *test = NULL;
    assert_int_equal(aia_frame_take(all, s.test, s.n_test, NULL, &test, &err), AIA_OK);
    aia_model_scores sc;
    assert_int_equal(aia_model_evaluate(m, test, target, &sc, &err), AIA_OK);
    if (classification) {
        assert_true(fabs(sc.accuracy - job_metric(&r->job, "accuracy")) < 1e-12);
        assert_true(fabs(sc.roc_auc - job_metric(&r->job, "roc_auc")) < 1e-12);
        assert_true(fabs(sc.log_loss - job_metric(&r->job, "log_loss")) < 1e-12);
    } else {
        assert_true(fabs(sc.rmse - job_metric(&r->job, "rmse")) < 1e-12);
        assert_true(fabs(sc.r2 - job_metric(&r->job, "r2")) < 1e-12);
    }
    aia_frame_free(test);
    aia_split_free(&s);
    aia_class_labels_free(&labels);
    aia_frame_free(all);
    aia_model_free(m);
}

/* ---- tests ---------------------------------------------------------------------------- */

static void test_classification_gbdt(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", cls_path, "label");
    fix_spec_param(&f, "n_estimators", "60");
    fix_spec_feature_type(&f, "color", AIA_STORE__V1__FEATURE_TYPE__FEATURE_CATEGORICAL);
    seen s;
    aia_train_hooks h = hooks_for(&s);
    aia_train_result r;
    aia_error err;
    aia_status st = run(&f, &h, &r, &err);
    ASSERT_RUN_OK(st, err);
    double acc = job_metric(&r.job, "accuracy");
    assert_true(acc >= 0.85 && acc <= 1.0);
    assert_true(job_metric(&r.job, "roc_auc") > 0.9);
    assert_false(isnan(job_metric(&r.job, "f1")));
    assert_false(isnan(job_valid_metric(&r.job, "accuracy")));
    assert_true(isnan(job_metric(&r.job, "rmse"))); /* not reported for a classifier */
    assert_string_equal(r.version.algorithm, "gbdt");
    assert_string_equal(r.job.algorithm, "gbdt");
    assert_int_equal(r.version.n_class_labels, 2);
    assert_string_equal(r.version.class_labels[0], "no");
    assert_string_equal(r.version.class_labels[1], "yes");
    const AiaStore__V1__Lineage *l = r.version.lineage;
    assert_non_null(l);
    assert_string_equal(l->job_id, "job-1");
    assert_string_equal(l->training_data_uri, cls_path);
    assert_int_equal(strlen(l->training_data_sha256), 64);
    assert_string_equal(l->target_column, "label");
    assert_int_equal(l->n_features, 3);
    assert_string_equal(l->features[2]->name, "color");
    assert_int_equal(l->features[2]->type, AIA_STORE__V1__FEATURE_TYPE__FEATURE_CATEGORICAL);
    assert_int_equal(l->features[2]->n_categories, 3);
    assert_int_equal(l->features[0]->type, AIA_STORE__V1__FEATURE_TYPE__FEATURE_NUMERIC);
    assert_string_equal(lineage_param(l, "n_rounds"), "60");
    assert_string_equal(lineage_param(l, "learning_rate"), "0.1"); /* a default, recorded */
    assert_true(l->n_test_metrics >= 3 && l->n_validation_metrics >= 3);
    assert_int_equal(l->seed, 7);
    assert_int_equal(l->trigger, AIA_STORE__V1__TRIGGER__TRIGGER_MANUAL);
    assert_string_equal(l->engine_version, "test-1");
    assert_int_equal(l->data_split->train_rows, 480);
    assert_int_equal(l->data_split->validation_rows, 60);
    assert_int_equal(l->data_split->test_rows, 60);
    assert_int_equal(r.job.data_split->train_rows, 480);
    assert_null(r.job.hpo);
    assert_int_equal(s.data_calls, 1);
    assert_true(s.iterations >= 1);
    assert_false(s.progress_went_back);
    assert_true(fabs(s.last_progress - 1.0) < 1e-9);
    check_model_file(&r, cls_path, "label", 1, 7);
    aia_train_result_free(&r);
}

static void test_regression_each_algorithm(void **state)
{
    const char *algos[] = {"gbdt", "random_forest", "linear_regression"};
    for (int i = 0; i < 3; i++) {
        fix_spec f;
        fix_spec_init(&f, 1, algos[i], reg_path, "y");
        seen s;
        aia_train_hooks h = hooks_for(&s);
        aia_train_result r;
        aia_error err;
        aia_status st = run(&f, &h, &r, &err);
        ASSERT_RUN_OK(st, err);
        double r2 = job_metric(&r.job, "r2");
        if (!(r2 > 0.8)) fail_msg("%s: r2 %g", algos[i], r2);
        assert_true(job_metric(&r.job, "rmse") > 0);
        assert_true(isnan(job_metric(&r.job, "accuracy")));
        assert_int_equal(r.version.n_class_labels, 0);
        assert_string_equal(r.version.algorithm, algos[i]);
        check_model_file(&r, reg_path, "y", 0, 7);
        aia_train_result_free(&r);
    }
}

static void test_logistic_and_forest_classify(void **state)
{
    const char *algos[] = {"logistic_regression", "random_forest"};
    for (int i = 0; i < 2; i++) {
        fix_spec f;
        fix_spec_init(&f, 0, algos[i], cls_path, "label");
        aia_train_result r;
        aia_error err;
        aia_status st = run(&f, NULL, &r, &err);
        ASSERT_RUN_OK(st, err);
        assert_true(job_metric(&r.job, "accuracy") > 0.8);
        check_model_file(&r, cls_path, "label", 1, 7);
        aia_train_result_free(&r);
    }
}

static void test_auto_selects_best(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 1, "auto", reg_path, "y");
    aia_train_result r;
    aia_error err;
    aia_status st = run(&f, NULL, &r, &err);
    ASSERT_RUN_OK(st, err);
    /* y has an x3^2 term a linear model cannot fit: a tree ensemble wins */
    assert_true(strcmp(r.version.algorithm, "gbdt") == 0 || strcmp(r.version.algorithm, "random_forest") == 0);
    assert_string_equal(r.job.algorithm, r.version.algorithm);
    double auto_rmse = job_valid_metric(&r.job, "rmse");
    aia_train_result_free(&r);
    /* and it is at least as good on validation as linear regression alone */
    fix_spec_init(&f, 1, "linear_regression", reg_path, "y");
    st = run(&f, NULL, &r, &err);
    ASSERT_RUN_OK(st, err);
    assert_true(auto_rmse <= job_valid_metric(&r.job, "rmse"));
    aia_train_result_free(&r);
}

static void test_hpo_trials(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", cls_path, "label");
    fix_spec_param(&f, "n_estimators", "40");
    fix_spec_hpo(&f, 8);
    f.hpo.metric = "log_loss"; /* continuous, so trials differ */
    seen s;
    aia_train_hooks h = hooks_for(&s);
    aia_train_result r;
    aia_error err;
    aia_status st = run(&f, &h, &r, &err);
    ASSERT_RUN_OK(st, err);
    assert_int_equal(s.trials_running, 8);
    assert_int_equal(s.trials_final, 8);
    assert_non_null(r.job.hpo);
    const AiaStore__V1__HpoProgress *p = r.job.hpo;
    assert_int_equal(p->trials_total, 8);
    assert_int_equal(p->trials_completed + p->trials_pruned + p->trials_failed, 8);
    assert_string_equal(p->metric, "log_loss");
    assert_int_equal(p->direction, AIA_STORE__V1__DIRECTION__DIRECTION_MINIMIZE);
    assert_true(s.trial0_complete);
    assert_true(p->best_trial >= 0);
    assert_true(p->best_value <= s.trial0_value); /* trial 0 is the defaults: the best is no worse */
    assert_true(p->n_best_hyperparameters >= 1);
    assert_int_equal(r.version.lineage->trigger, AIA_STORE__V1__TRIGGER__TRIGGER_HPO);
    /* the published model is the best trial's, retrained on the train split */
    assert_true(fabs(job_valid_metric(&r.job, "log_loss") - p->best_value) < 1e-9);
    assert_false(s.progress_went_back);
    aia_train_result_free(&r);
}

static void test_hpo_cv_random_parallel(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 1, "random_forest", reg_path, "y");
    fix_spec_hpo(&f, 4);
    f.hpo.cv_folds = 3;
    f.hpo.parallel_trials = 2;
    f.hpo.sampler = AIA_STORE__V1__SAMPLER__SAMPLER_RANDOM;
    seen s;
    aia_train_hooks h = hooks_for(&s);
    aia_train_result r;
    aia_error err;
    aia_status st = run(&f, &h, &r, &err);
    ASSERT_RUN_OK(st, err);
    assert_int_equal(s.trials_final, 4);
    assert_int_equal(r.job.hpo->trials_completed, 4);
    assert_int_equal(r.job.hpo->direction, AIA_STORE__V1__DIRECTION__DIRECTION_MINIMIZE);
    assert_true(job_metric(&r.job, "r2") > 0.7);
    aia_train_result_free(&r);
}

/* The user's space replaces the default: only its parameters are searched,
 * within its bounds; trial 0 is the default put inside them. */
typedef struct space_seen {
    pthread_mutex_t mu;
    int bad, n, trial0_ok;
} space_seen;

static void space_trial(void *arg, const aia_trial_record *t, const AiaStore__V1__HpoProgress *p)
{
    space_seen *s = arg;
    pthread_mutex_lock(&s->mu);
    s->n++;
    if (t->n_hyperparameters != 2) s->bad++;
    for (size_t i = 0; i < t->n_hyperparameters; i++) {
        const char *k = t->hyperparameters[i]->key, *v = t->hyperparameters[i]->value;
        if (strcmp(k, "learning_rate") == 0) {
            double x = strtod(v, NULL);
            if (x < 0.15 || x > 0.3) s->bad++;
            if (t->number == 0 && x == 0.15) s->trial0_ok++;
        } else if (strcmp(k, "max_leaves") == 0) {
            if (strcmp(v, "4") != 0 && strcmp(v, "8") != 0) s->bad++;
        } else {
            s->bad++;
        }
    }
    pthread_mutex_unlock(&s->mu);
}

static void test_hpo_user_space(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", cls_path, "label");
    fix_spec_param(&f, "n_estimators", "20");
    fix_spec_hpo(&f, 5);
    AiaStore__V1__HpoParameter lr = AIA_STORE__V1__HPO_PARAMETER__INIT, leaves = AIA_STORE__V1__HPO_PARAMETER__INIT;
    AiaStore__V1__FloatRange fr = AIA_STORE__V1__FLOAT_RANGE__INIT;
    AiaStore__V1__Categorical cat = AIA_STORE__V1__CATEGORICAL__INIT;
    char *choices[] = {"4", "8"};
    lr.name = "learning_rate";
    lr.range_case = AIA_STORE__V1__HPO_PARAMETER__RANGE_FLOAT_RANGE;
    lr.float_range = &fr;
    fr.low = 0.15; /* above the default 0.1 */
    fr.high = 0.3;
    leaves.name = "num_leaves"; /* an alias, recorded by its canonical name */
    leaves.range_case = AIA_STORE__V1__HPO_PARAMETER__RANGE_CATEGORICAL;
    leaves.categorical = &cat;
    cat.choices = choices;
    cat.n_choices = 2;
    AiaStore__V1__HpoParameter *space[] = {&lr, &leaves};
    f.hpo.search_space = space;
    f.hpo.n_search_space = 2;
    f.hpo.pruner = AIA_STORE__V1__PRUNER__PRUNER_NONE;
    space_seen s = {.n = 0};
    pthread_mutex_init(&s.mu, NULL);
    aia_train_hooks h = {.arg = &s, .on_trial = space_trial};
    aia_train_result r;
    aia_error err;
    aia_status st = run(&f, &h, &r, &err);
    ASSERT_RUN_OK(st, err);
    assert_int_equal(s.n, 10);
    assert_int_equal(s.bad, 0);
    assert_int_equal(s.trial0_ok, 2); /* RUNNING and COMPLETE */
    assert_int_equal(r.job.hpo->trials_pruned, 0);
    const char *leaves_used = lineage_param(r.version.lineage, "max_leaves");
    assert_true(strcmp(leaves_used, "4") == 0 || strcmp(leaves_used, "8") == 0);
    assert_string_equal(lineage_param(r.version.lineage, "n_rounds"), "20");
    aia_train_result_free(&r);
}

static void test_cancel(void **state)
{
    char big[512];
    fix_write_classification(fix_tmp_path("big.csv", big, sizeof big), 20000, 11);
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", big, "label");
    fix_spec_param(&f, "n_estimators", "100000");
    fix_spec_param(&f, "learning_rate", "0.001");
    seen s;
    aia_train_hooks h = hooks_for(&s);
    s.stop_after = 3;
    aia_train_result r;
    aia_error err;
    int64_t t0 = aia_time_mono_ns();
    aia_status st = run(&f, &h, &r, &err);
    double secs = (double)(aia_time_mono_ns() - t0) / 1e9;
    assert_int_equal(st, AIA_CANCELLED);
    assert_true(secs < 10.0); /* 100,000 rounds would take minutes */
    assert_null(r.model_file);
}

static void test_cancel_during_hpo(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", cls_path, "label");
    fix_spec_hpo(&f, 1000);
    seen s;
    aia_train_hooks h = hooks_for(&s);
    s.stop_after = 5;
    aia_train_result r;
    aia_error err;
    aia_status st = run(&f, &h, &r, &err);
    assert_int_equal(st, AIA_CANCELLED);
    assert_true(s.trials_final < 50);
}

static void test_validation_file(void **state)
{
    char vpath[512];
    fix_write_classification(fix_tmp_path("valid.csv", vpath, sizeof vpath), 100, 99);
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", cls_path, "label");
    f.spec.validation_data_uri = vpath;
    aia_train_result r;
    aia_error err;
    aia_status st = run(&f, NULL, &r, &err);
    ASSERT_RUN_OK(st, err);
    assert_int_equal(r.job.data_split->train_rows, 540);
    assert_int_equal(r.job.data_split->validation_rows, 100);
    assert_int_equal(r.job.data_split->test_rows, 60);
    assert_int_equal(strlen(r.version.lineage->validation_data_sha256), 64);
    aia_train_result_free(&r);
}

static void test_bad_data_errors(void **state)
{
    char bad[512];
    FILE *fp = fopen(fix_tmp_path("bad.csv", bad, sizeof bad), "w");
    fprintf(fp, "a,label\n1,x\n2,y\nabc,x\n");
    fclose(fp);
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", bad, "label");
    fix_spec_feature_type(&f, "a", AIA_STORE__V1__FEATURE_TYPE__FEATURE_NUMERIC);
    aia_train_result r;
    aia_error err;
    aia_status st = run(&f, NULL, &r, &err);
    assert_int_equal(st, AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "training_data_uri"));
    assert_non_null(strstr(err.message, ":4:1"));
}

static void test_breast_cancer(void **state)
{
    char path[512];
    test_data_path("examples/data/breast_cancer.csv", path, sizeof path);
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", path, "target");
    /* The default seed, as a user's job has. The test split is 57 rows, so
     * one row is 1.75 points: over seeds 0..11 the GBDT scored 0.895 to
     * 0.982 (median 0.965), the spread being the split's, not the model's. */
    f.spec.seed = 0;
    aia_train_result r;
    aia_error err;
    aia_status st = run(&f, NULL, &r, &err);
    ASSERT_RUN_OK(st, err);
    double acc = job_metric(&r.job, "accuracy");
    if (!(acc >= 0.95)) fail_msg("breast cancer test accuracy %g < 0.95", acc);
    assert_int_equal(r.version.lineage->n_features, 30);
    assert_string_equal(r.version.class_labels[0], "benign");
    assert_string_equal(r.version.class_labels[1], "malignant");
    check_model_file(&r, path, "target", 1, 0);
    aia_train_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_classification_gbdt),
        cmocka_unit_test(test_regression_each_algorithm),
        cmocka_unit_test(test_logistic_and_forest_classify),
        cmocka_unit_test(test_auto_selects_best),
        cmocka_unit_test(test_hpo_trials),
        cmocka_unit_test(test_hpo_cv_random_parallel),
        cmocka_unit_test(test_hpo_user_space),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_cancel_during_hpo),
        cmocka_unit_test(test_validation_file),
        cmocka_unit_test(test_bad_data_errors),
        cmocka_unit_test(test_breast_cancer),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
