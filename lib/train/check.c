/* lib/train/check.c — aia_train_check(): everything about a job spec that
 * can be refused before a worker spends time on it.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/train/train_internal.h"

static aia_status check_task(const aia_job_spec *spec, aia_task *task, aia_error *err)
{
    if (spec->task_type == AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION) *task = AIA_TASK_CLASSIFICATION;
    else if (spec->task_type == AIA_STORE__V1__TASK_TYPE__TASK_REGRESSION) *task = AIA_TASK_REGRESSION;
    else return aia_error_set(err, AIA_INVALID_ARGUMENT, "task_type: must be classification or regression");
    return AIA_OK;
}

static aia_status check_algorithm(const aia_job_spec *spec, aia_task task, aia_error *err)
{
    aia_algorithm a;
    int is_auto;
    if (train_algorithm_parse(spec->algorithm, &a, &is_auto, err) != AIA_OK) return err->code;
    if (is_auto) {
        if (spec->n_hyperparameters > 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "hyperparameters: algorithm \"auto\" tries every algorithm at its defaults; name "
                                 "one algorithm to set hyperparameters[\"%s\"]",
                                 spec->hyperparameters[0]->key);
        return AIA_OK;
    }
    if (!train_algorithm_fits(a, task))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "algorithm: %s is for %s; this is a %s job (use %s)",
                             spec->algorithm, task == AIA_TASK_REGRESSION ? "classification" : "regression",
                             task == AIA_TASK_REGRESSION ? "regression" : "classification",
                             task == AIA_TASK_REGRESSION ? "linear_regression" : "logistic_regression");
    aia_train_spec scratch;
    aia_train_spec_init(&scratch);
    return train_params_apply(&scratch, a, spec, err);
}

static aia_status check_hpo(const aia_job_spec *spec, aia_task task, aia_error *err)
{
    const AiaStore__V1__HpoSpec *h = spec->hpo;
    if (!h) return AIA_OK;
    if (h->trials < 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "hpo.trials: %d is negative", h->trials);
    if (h->trials > 10000) return aia_error_set(err, AIA_INVALID_ARGUMENT, "hpo.trials: %d is above 10000", h->trials);
    if (h->timeout_seconds < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "hpo.timeout_seconds: %d is negative", h->timeout_seconds);
    if (h->cv_folds < 0 || h->cv_folds == 1 || h->cv_folds > 20)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "hpo.cv_folds: %d (use 0 for the validation split, or 2..20)",
                             h->cv_folds);
    if (h->parallel_trials < 0 || h->parallel_trials > 64)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "hpo.parallel_trials: %d is outside 0..64", h->parallel_trials);
    int asks = h->n_search_space > 0 || (h->metric && *h->metric) || h->cv_folds || h->parallel_trials || h->sampler ||
               h->pruner || h->direction;
    if (h->trials == 0 && h->timeout_seconds == 0 && asks)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "hpo: set trials or timeout_seconds to run a search (an empty hpo means none)");
    int idx;
    if (h->metric && *h->metric && train_metric_lookup(h->metric, task, &idx, err) != AIA_OK) return err->code;
    aia_algorithm a;
    int is_auto;
    if (train_algorithm_parse(spec->algorithm, &a, &is_auto, err) != AIA_OK) return err->code;
    if (is_auto) {
        if (h->n_search_space > 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "hpo.search_space: name one algorithm to give a search space (not \"auto\")");
        return AIA_OK;
    }
    aia_hpo_space *space = NULL;
    if (train_space_build(a, h, &space, err) != AIA_OK) return err->code;
    aia_hpo_space_free(space);
    return AIA_OK;
}

static int has_name(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], name) == 0) return 1;
    return 0;
}

static void list_columns(char **names, size_t n, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

/* The local file's header names the target and every feature. */
static aia_status check_columns(const aia_job_spec *spec, const char *path, aia_error *err)
{
    aia_arena arena;
    aia_arena_init(&arena, 0);
    char **names = NULL;
    size_t n = 0;
    aia_status st = train_csv_header(path, &arena, &names, &n, err);
    char cols[300];
    if (st == AIA_OK) list_columns(names, n, cols, sizeof cols);
    if (st == AIA_OK && !has_name(names, n, spec->target_column))
        st = aia_error_set(err, AIA_INVALID_ARGUMENT, "target_column: \"%s\" is not a column of %s (columns: %s)",
                           spec->target_column, path, cols);
    for (size_t i = 0; st == AIA_OK && i < spec->n_feature_columns; i++) {
        const char *f = spec->feature_columns[i];
        if (!has_name(names, n, f))
            st = aia_error_set(err, AIA_INVALID_ARGUMENT,
                               "feature_columns[%zu]: \"%s\" is not a column of %s (columns: %s)", i, f, path, cols);
        else if (strcmp(f, spec->target_column) == 0)
            st = aia_error_set(err, AIA_INVALID_ARGUMENT,
                               "feature_columns[%zu]: \"%s\" is the target column (it would leak the answer)", i, f);
    }
    for (size_t i = 0; st == AIA_OK && i < spec->n_feature_types; i++)
        if (!has_name(names, n, spec->feature_types[i]->key))
            st = aia_error_set(err, AIA_INVALID_ARGUMENT, "feature_types[\"%s\"]: not a column of %s (columns: %s)",
                               spec->feature_types[i]->key, path, cols);
    aia_arena_destroy(&arena);
    return st;
}

static aia_status check_uri(const aia_job_spec *spec, const char *field, const char *uri, int need_columns,
                            aia_error *err)
{
    char path[4096];
    int kind;
    if (train_uri_classify(field, uri, &kind, path, sizeof path, err) != AIA_OK) return err->code;
    if (kind == 2) return AIA_OK;
    if (access(path, F_OK) != 0)
        return aia_error_set(err, AIA_NOT_FOUND, "%s: %s does not exist", field, path);
    struct stat sb;
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: %s is not a regular file", field, path);
    if (access(path, R_OK) != 0)
        return aia_error_set(err, AIA_PERMISSION_DENIED, "%s: %s is not readable", field, path);
    if (!need_columns) return AIA_OK;
    return check_columns(spec, path, err);
}

aia_status aia_train_check(const aia_job_spec *spec, aia_error *err)
{
    aia_task task = AIA_TASK_CLASSIFICATION;
    if (check_task(spec, &task, err) != AIA_OK) return err->code;
    if (!spec->target_column || !*spec->target_column)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "target_column: required");
    if (check_algorithm(spec, task, err) != AIA_OK) return err->code;
    if (check_hpo(spec, task, err) != AIA_OK) return err->code;
    if (!spec->training_data_uri || !*spec->training_data_uri)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "training_data_uri: required");
    if (check_uri(spec, "training_data_uri", spec->training_data_uri, 1, err) != AIA_OK) return err->code;
    if (spec->validation_data_uri && *spec->validation_data_uri &&
        check_uri(spec, "validation_data_uri", spec->validation_data_uri, 1, err) != AIA_OK)
        return err->code;
    return AIA_OK;
}
