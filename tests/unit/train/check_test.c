/* tests/unit/train/check_test.c — aia_train_check(): hyperparameter names
 * and values, algorithms against tasks, URIs, columns, HPO specs. Every
 * rejection names the field at fault.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "lib/train/train.h"
#include "tests/unit/train/train_fixture.h"

static char data_path[512];

static int setup(void **state)
{
    fix_write_classification(fix_tmp_path("check.csv", data_path, sizeof data_path), 50, 1);
    return 0;
}

static void expect_error(const fix_spec *f, aia_status code, const char *needle)
{
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_train_check(&f->spec, &err);
    if (st != code || !strstr(err.message, needle))
        fail_msg("want %s containing '%s'; got %s: %s", aia_status_name(code), needle, aia_status_name(st),
                 err.message);
}

static void expect_ok(const fix_spec *f)
{
    aia_error err;
    aia_error_clear(&err);
    aia_status st = aia_train_check(&f->spec, &err);
    if (st != AIA_OK) fail_msg("want OK; got %s: %s", aia_status_name(st), err.message);
}

static void test_good_spec(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_param(&f, "n_estimators", "50");
    fix_spec_param(&f, "learning_rate", "0.05");
    fix_spec_param(&f, "num_leaves", "15");
    fix_spec_param(&f, "subsample", "0.8");
    fix_spec_param(&f, "max_depth", "-1");
    fix_spec_feature(&f, "x1");
    fix_spec_feature(&f, "color");
    expect_ok(&f);
    /* file:// with a percent escape reaches the same file */
    char uri[1300], escaped[1200];
    size_t j = 0;
    for (const char *p = data_path; *p && j + 4 < sizeof escaped; p++) {
        if (*p == '.') {
            memcpy(escaped + j, "%2E", 3);
            j += 3;
        } else {
            escaped[j++] = *p;
        }
    }
    escaped[j] = '\0';
    snprintf(uri, sizeof uri, "file://%s", escaped);
    f.spec.training_data_uri = uri;
    expect_ok(&f);
}

static void test_param_values(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_param(&f, "max_leaves", "1.5");
    expect_error(&f, AIA_INVALID_ARGUMENT, "hyperparameters[\"max_leaves\"]: \"1.5\" is not an integer");
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_param(&f, "learning_rate", "fast");
    expect_error(&f, AIA_INVALID_ARGUMENT, "hyperparameters[\"learning_rate\"]: \"fast\" is not a number");
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_param(&f, "learning_rate", " 0.1");
    expect_error(&f, AIA_INVALID_ARGUMENT, "learning_rate");
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_param(&f, "subsample", "1.5");
    expect_error(&f, AIA_INVALID_ARGUMENT, "hyperparameters[\"subsample\"]: 1.5 is out of range");
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_param(&f, "n_estimators", "10");
    fix_spec_param(&f, "num_iterations", "20");
    expect_error(&f, AIA_INVALID_ARGUMENT, "already sets");
    fix_spec_init(&f, 0, "random_forest", data_path, "label");
    fix_spec_param(&f, "bootstrap", "2");
    expect_error(&f, AIA_INVALID_ARGUMENT, "bootstrap");
    fix_spec_init(&f, 0, "logistic_regression", data_path, "label");
    fix_spec_param(&f, "C", "0");
    expect_error(&f, AIA_INVALID_ARGUMENT, "hyperparameters[\"C\"]");
}

static void test_unknown_param(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_param(&f, "max_depht", "3");
    expect_error(&f, AIA_INVALID_ARGUMENT, "hyperparameters[\"max_depht\"]: unknown hyperparameter of gbdt (known: ");
    expect_error(&f, AIA_INVALID_ARGUMENT, "max_depth");
    /* a gbdt name is not a logistic regression's */
    fix_spec_init(&f, 0, "logistic_regression", data_path, "label");
    fix_spec_param(&f, "learning_rate", "0.1");
    expect_error(&f, AIA_INVALID_ARGUMENT, "unknown hyperparameter of logistic_regression (known: C, tol, max_iter)");
    /* "auto" takes none */
    fix_spec_init(&f, 0, "auto", data_path, "label");
    fix_spec_param(&f, "C", "1");
    expect_error(&f, AIA_INVALID_ARGUMENT, "hyperparameters");
}

static void test_param_names(void **state)
{
    const char *const *n = aia_train_param_names("gbdt");
    assert_non_null(n);
    int saw_leaves = 0, saw_alias = 0;
    for (; *n; n++) {
        saw_leaves |= strcmp(*n, "max_leaves") == 0;
        saw_alias |= strcmp(*n, "num_leaves") == 0;
    }
    assert_true(saw_leaves && saw_alias);
    assert_non_null(aia_train_param_names("linear_regression"));
    assert_null(aia_train_param_names("xgboost"));
    assert_null(aia_train_param_names(NULL));
}

static void test_algorithm_and_task(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "linear_regression", data_path, "label");
    expect_error(&f, AIA_INVALID_ARGUMENT, "algorithm: linear_regression is for regression");
    fix_spec_init(&f, 1, "logistic_regression", data_path, "x1");
    expect_error(&f, AIA_INVALID_ARGUMENT, "algorithm: logistic_regression is for classification");
    fix_spec_init(&f, 0, "xgboost", data_path, "label");
    expect_error(&f, AIA_INVALID_ARGUMENT, "algorithm: unknown algorithm \"xgboost\"");
    fix_spec_init(&f, 0, "auto", data_path, "label");
    expect_ok(&f);
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    f.spec.task_type = AIA_STORE__V1__TASK_TYPE__TASK_UNSPECIFIED;
    expect_error(&f, AIA_INVALID_ARGUMENT, "task_type");
}

static void test_uris(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", "/nonexistent/dir/data.csv", "label");
    expect_error(&f, AIA_NOT_FOUND, "training_data_uri: /nonexistent/dir/data.csv does not exist");
    fix_spec_init(&f, 0, "gbdt", "/tmp", "label");
    expect_error(&f, AIA_INVALID_ARGUMENT, "training_data_uri: /tmp is not a regular file");
    fix_spec_init(&f, 0, "gbdt", "gs://bucket/data.csv", "label");
    expect_error(&f, AIA_UNIMPLEMENTED, "gs:// data needs the GCS backend, which is not built yet");
    fix_spec_init(&f, 0, "gbdt", "s3://bucket/data.csv", "label");
    expect_error(&f, AIA_UNIMPLEMENTED, "s3://");
    fix_spec_init(&f, 0, "gbdt", "ftp://host/data.csv", "label");
    expect_error(&f, AIA_INVALID_ARGUMENT, "training_data_uri: unsupported scheme in \"ftp://\"");
    fix_spec_init(&f, 0, "gbdt", "file://relative/data.csv", "label");
    expect_error(&f, AIA_INVALID_ARGUMENT, "absolute path");
    fix_spec_init(&f, 0, "gbdt", "", "label");
    expect_error(&f, AIA_INVALID_ARGUMENT, "training_data_uri");
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    f.spec.validation_data_uri = "gs://b/v.csv";
    expect_error(&f, AIA_UNIMPLEMENTED, "validation_data_uri");
    /* http is not fetched by a check */
    fix_spec_init(&f, 0, "gbdt", "http://127.0.0.1:1/x.csv", "label");
    expect_ok(&f);
}

static void test_columns(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", data_path, "y");
    expect_error(&f, AIA_INVALID_ARGUMENT, "target_column: \"y\" is not a column of");
    expect_error(&f, AIA_INVALID_ARGUMENT, "(columns: x1, x2, color, label)");
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_feature(&f, "x1");
    fix_spec_feature(&f, "weight");
    expect_error(&f, AIA_INVALID_ARGUMENT, "feature_columns[1]: \"weight\" is not a column of");
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_feature(&f, "label");
    expect_error(&f, AIA_INVALID_ARGUMENT, "feature_columns[0]: \"label\" is the target column");
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_feature_type(&f, "colour", AIA_STORE__V1__FEATURE_TYPE__FEATURE_CATEGORICAL);
    expect_error(&f, AIA_INVALID_ARGUMENT, "feature_types[\"colour\"]");
    fix_spec_init(&f, 0, "gbdt", data_path, "");
    expect_error(&f, AIA_INVALID_ARGUMENT, "target_column: required");
}

static void test_hpo_spec(void **state)
{
    fix_spec f;
    fix_spec_init(&f, 0, "gbdt", data_path, "label");
    fix_spec_hpo(&f, 10);
    f.hpo.metric = "rmse";
    expect_error(&f, AIA_INVALID_ARGUMENT, "hpo.metric: \"rmse\" is a regression metric");
    f.hpo.metric = "auc";
    expect_error(&f, AIA_INVALID_ARGUMENT, "hpo.metric: unknown metric \"auc\"");
    f.hpo.metric = "roc_auc";
    expect_ok(&f);
    f.hpo.cv_folds = 1;
    expect_error(&f, AIA_INVALID_ARGUMENT, "hpo.cv_folds");
    f.hpo.cv_folds = 0;
    f.hpo.trials = -1;
    expect_error(&f, AIA_INVALID_ARGUMENT, "hpo.trials");
    f.hpo.trials = 0;
    expect_error(&f, AIA_INVALID_ARGUMENT, "hpo: set trials or timeout_seconds");
    f.hpo.timeout_seconds = 30;
    expect_ok(&f);
    f.hpo.trials = 5;

    /* a user's search space: names are checked, ranges too */
    AiaStore__V1__HpoParameter p = AIA_STORE__V1__HPO_PARAMETER__INIT;
    AiaStore__V1__FloatRange fr = AIA_STORE__V1__FLOAT_RANGE__INIT;
    AiaStore__V1__HpoParameter *pp = &p;
    f.hpo.search_space = &pp;
    f.hpo.n_search_space = 1;
    p.name = "learning_rat";
    p.range_case = AIA_STORE__V1__HPO_PARAMETER__RANGE_FLOAT_RANGE;
    p.float_range = &fr;
    fr.low = 0.01;
    fr.high = 0.2;
    expect_error(&f, AIA_INVALID_ARGUMENT, "hpo.search_space[0] (\"learning_rat\")");
    p.name = "learning_rate";
    expect_ok(&f);
    p.name = "num_leaves";
    expect_error(&f, AIA_INVALID_ARGUMENT, "takes integers");
    p.name = "subsample";
    fr.high = 2;
    expect_error(&f, AIA_INVALID_ARGUMENT, "out of range");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_spec),        cmocka_unit_test(test_param_values),
        cmocka_unit_test(test_unknown_param),    cmocka_unit_test(test_param_names),
        cmocka_unit_test(test_algorithm_and_task), cmocka_unit_test(test_uris),
        cmocka_unit_test(test_columns),          cmocka_unit_test(test_hpo_spec),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
