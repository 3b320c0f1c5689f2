/* lib/ml/evaluate.c — see evaluate.h. */
#include "lib/ml/evaluate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/data/labels.h"
#include "lib/data/split.h"
#include "lib/ml/metrics.h"
#include "lib/ml/model_internal.h"

static void scores_nan(aia_model_scores *s)
{
    *s = (aia_model_scores){NAN, NAN, NAN, NAN, NAN, NAN, NAN};
}

/* A metric that cannot be computed on this data (an AUC with a class
 * absent) is NaN, not an error: a small fold may lack a rare class. */
static double or_nan(aia_status st, const double *v)
{
    return st == AIA_OK ? *v : NAN;
}

static void score_classification(const aia_model *m, const double *y, const double *proba, size_t n,
                                  aia_model_scores *out)
{
    int k = aia_model_n_outputs(m);
    int *truth = malloc(n * sizeof *truth), *pred = malloc(n * sizeof *pred);
    if (!truth || !pred) {
        free(truth);
        free(pred);
        return; /* scores stay NaN */
    }
    for (size_t i = 0; i < n; i++) {
        truth[i] = (int)y[i];
        const double *row = proba + i * (size_t)k;
        pred[i] = 0;
        for (int c = 1; c < k; c++)
            if (row[c] > row[pred[i]]) pred[i] = c;
    }
    double acc = NAN, loss = NAN, auc = NAN;
    aia_ml_prf prf = {NAN, NAN, NAN};
    out->accuracy = or_nan(aia_ml_accuracy(truth, n, pred, n, k, &acc, NULL), &acc);
    out->f1_macro = or_nan(aia_ml_precision_recall_f1(truth, n, pred, n, k, AIA_ML_AVERAGE_MACRO, 0.0, &prf, NULL),
                           &prf.f1);
    out->log_loss = or_nan(aia_ml_log_loss(truth, n, proba, n, k, &loss, NULL), &loss);
    out->roc_auc = or_nan(aia_ml_roc_auc_ovr(truth, n, proba, n, k, AIA_ML_AVERAGE_MACRO, &auc, NULL), &auc);
    free(truth);
    free(pred);
}

static void score_regression(const double *y, const double *pred, size_t n, aia_model_scores *out)
{
    double rmse = NAN, mae = NAN, r2 = NAN;
    out->rmse = or_nan(aia_ml_rmse(y, n, pred, n, &rmse, NULL), &rmse);
    out->mae = or_nan(aia_ml_mae(y, n, pred, n, &mae, NULL), &mae);
    out->r2 = or_nan(aia_ml_r2(y, n, pred, n, &r2, NULL), &r2);
}

aia_status aia_model_evaluate(const aia_model *m, const aia_frame *f, const char *target, aia_model_scores *out,
                              aia_error *err)
{
    scores_nan(out);
    size_t n = aia_frame_n_rows(f), k = (size_t)aia_model_n_outputs(m);
    double *y = NULL, *pred = malloc((n ? n : 1) * k * sizeof *pred);
    if (!pred) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for %zu predictions", n);
    aia_status st = model_read_target(m, f, target, &y, err);
    if (st == AIA_OK) st = aia_model_predict_frame(m, f, pred, err);
    if (st == AIA_OK && n > 0) {
        if (aia_model_task(m) == AIA_TASK_CLASSIFICATION) score_classification(m, y, pred, n, out);
        else score_regression(y, pred, n, out);
    }
    free(y);
    free(pred);
    return st;
}

/* ---- cross-validation --------------------------------------------------------- */

static aia_status make_folds(const aia_train_spec *spec, const aia_frame *f, size_t k, uint64_t seed, aia_folds *folds,
                             aia_error *err)
{
    if (spec->task != AIA_TASK_CLASSIFICATION) return aia_split_kfold(aia_frame_n_rows(f), k, NULL, seed, folds, err);
    size_t col;
    if (aia_frame_check_target(f, spec->target, &col, err) != AIA_OK) return err->code;
    aia_class_labels strata;
    if (aia_class_labels_from_column(f, col, &strata, err) != AIA_OK) return err->code;
    aia_status st = aia_split_kfold(aia_frame_n_rows(f), k, &strata, seed, folds, err);
    aia_class_labels_free(&strata);
    return st;
}

static aia_status run_fold(const aia_train_spec *spec, const aia_frame *f, const aia_fold *fold, aia_model_scores *out,
                           aia_error *err)
{
    aia_frame *train = NULL, *test = NULL;
    aia_model *m = NULL;
    aia_status st = aia_frame_take(f, fold->train, fold->n_train, NULL, &train, err);
    if (st == AIA_OK) st = aia_frame_take(f, fold->test, fold->n_test, NULL, &test, err);
    if (st == AIA_OK) st = aia_model_train(spec, train, NULL, NULL, NULL, &m, err);
    if (st == AIA_OK) st = aia_model_evaluate(m, test, spec->target, out, err);
    aia_model_free(m);
    aia_frame_free(train);
    aia_frame_free(test);
    return st;
}

static void add_mean(aia_model_scores *mean, const aia_model_scores *s, size_t k)
{
    double *acc = &mean->accuracy;
    const double *v = &s->accuracy;
    for (size_t i = 0; i < sizeof *s / sizeof(double); i++) acc[i] += v[i] / (double)k; /* NaN propagates */
}

aia_status aia_model_cross_validate(const aia_train_spec *spec, const aia_frame *f, size_t k, uint64_t seed,
                                    aia_model_scores *mean, aia_model_scores *per_fold, aia_error *err)
{
    aia_folds folds;
    scores_nan(mean);
    if (make_folds(spec, f, k, seed, &folds, err) != AIA_OK) return err->code;
    *mean = (aia_model_scores){0};
    aia_status st = AIA_OK;
    for (size_t i = 0; st == AIA_OK && i < folds.n_folds; i++) {
        aia_model_scores s;
        st = run_fold(spec, f, &folds.folds[i], &s, err);
        if (st != AIA_OK) {
            aia_error_prefix(err, "fold %zu of %zu", i + 1, k);
            break;
        }
        if (per_fold) per_fold[i] = s;
        add_mean(mean, &s, k);
    }
    aia_folds_free(&folds);
    if (st != AIA_OK) scores_nan(mean);
    return st;
}
