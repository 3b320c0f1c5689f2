/* lib/train/metrics.c — the metric names jobs report and optimise, mapped
 * onto aia_model_scores, with their natural direction.
 */
#include <string.h>

#include "lib/train/train_internal.h"

typedef struct metric_def {
    const char *name;
    aia_task task;
    int maximize;
} metric_def;

static const metric_def METRICS[] = {
    {"accuracy", AIA_TASK_CLASSIFICATION, 1}, {"f1", AIA_TASK_CLASSIFICATION, 1},
    {"roc_auc", AIA_TASK_CLASSIFICATION, 1},  {"log_loss", AIA_TASK_CLASSIFICATION, 0},
    {"rmse", AIA_TASK_REGRESSION, 0},         {"mae", AIA_TASK_REGRESSION, 0},
    {"r2", AIA_TASK_REGRESSION, 1},
};

static const int CLASSIFICATION[] = {0, 1, 2, 3};
static const int REGRESSION[] = {4, 5, 6};

aia_status train_metric_lookup(const char *name, aia_task task, int *index, aia_error *err)
{
    for (int i = 0; i < (int)(sizeof METRICS / sizeof METRICS[0]); i++) {
        if (strcmp(METRICS[i].name, name) != 0) continue;
        if (METRICS[i].task != task)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "hpo.metric: \"%s\" is a %s metric; this is a %s job",
                                 name, METRICS[i].task == AIA_TASK_REGRESSION ? "regression" : "classification",
                                 task == AIA_TASK_REGRESSION ? "regression" : "classification");
        *index = i;
        return AIA_OK;
    }
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "hpo.metric: unknown metric \"%s\" (known: %s)", name,
                         task == AIA_TASK_REGRESSION ? "rmse, mae, r2" : "accuracy, f1, roc_auc, log_loss");
}

double train_metric_value(const aia_model_scores *s, int index)
{
    switch (index) {
    case 0: return s->accuracy;
    case 1: return s->f1_macro;
    case 2: return s->roc_auc;
    case 3: return s->log_loss;
    case 4: return s->rmse;
    case 5: return s->mae;
    default: return s->r2;
    }
}

const char *train_metric_name(int index) { return METRICS[index].name; }

int train_metric_maximize(int index) { return METRICS[index].maximize; }

size_t train_metric_indices(aia_task task, const int **out)
{
    if (task == AIA_TASK_REGRESSION) {
        *out = REGRESSION;
        return 3;
    }
    *out = CLASSIFICATION;
    return 4;
}
