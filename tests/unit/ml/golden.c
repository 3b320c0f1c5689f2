/* tests/unit/ml/golden.c — see golden.h. */
#include "tests/unit/ml/golden.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/data/csv.h"
#include "lib/data/frame.h"
#include "lib/ml/metrics.h"
#include "tests/unit/testutil/runfiles.h"

#define GOLDEN_DIR "tests/data/golden/"

static const char *golden_path(const char *file, char *buf, size_t size)
{
    char rel[256];
    snprintf(rel, sizeof rel, "%s%s", GOLDEN_DIR, file);
    return test_data_path(rel, buf, size);
}

static void load_frame(golden_set *g)
{
    char path[1024], file[64];
    snprintf(file, sizeof file, "%s.csv", g->name);
    aia_csv_schema_entry target = {"target", AIA_COLUMN_NUMERIC}; /* 0/1 would be read as boolean */
    aia_csv_options opts;
    aia_csv_options_init(&opts);
    opts.schema = &target;
    opts.schema_len = 1;
    aia_frame *f;
    aia_error err;
    if (aia_csv_read_file(golden_path(file, path, sizeof path), &opts, &f, &err) != AIA_OK)
        fail_msg("%s: %s", path, err.message);
    g->n_rows = aia_frame_n_rows(f);
    g->n_features = aia_frame_n_cols(f) - 1;
    g->cols = calloc(g->n_features, sizeof *g->cols);
    for (size_t j = 0; j < g->n_features; j++) {
        const aia_column *c = aia_frame_column(f, j);
        assert_int_equal(c->type, AIA_COLUMN_NUMERIC);
        g->cols[j] = malloc(g->n_rows * sizeof(double));
        memcpy(g->cols[j], c->numeric, g->n_rows * sizeof(double));
    }
    g->y = malloc(g->n_rows * sizeof(double));
    memcpy(g->y, aia_frame_column(f, g->n_features)->numeric, g->n_rows * sizeof(double));
    aia_frame_free(f);
}

static void load_folds(golden_set *g)
{
    char path[1024], file[64];
    snprintf(file, sizeof file, "%s.folds", g->name);
    FILE *fp = fopen(golden_path(file, path, sizeof path), "r");
    if (!fp) fail_msg("cannot open %s", path);
    for (int s = 0; s < GOLDEN_SPLITS; s++) {
        int repeat, fold;
        if (fscanf(fp, "%d %d", &repeat, &fold) != 2 || repeat * 2 + fold != s) fail_msg("%s: bad split %d", path, s);
        g->is_test[s] = calloc(g->n_rows, 1);
        int c;
        size_t idx;
        while ((c = fgetc(fp)) == ' ') {
            if (fscanf(fp, "%zu", &idx) != 1 || idx >= g->n_rows) fail_msg("%s: bad row index in split %d", path, s);
            g->is_test[s][idx] = 1;
        }
    }
    fclose(fp);
}

void golden_load(const char *name, golden_set *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", name);
    load_frame(out);
    load_folds(out);
    int regression = strcmp(name, "diabetes") == 0;
    double mx = 0;
    for (size_t i = 0; i < out->n_rows; i++) mx = fmax(mx, out->y[i]);
    out->n_classes = regression ? 0 : (int)mx + 1;
}

void golden_free(golden_set *g)
{
    for (size_t j = 0; j < g->n_features; j++) free(g->cols[j]);
    free(g->cols);
    free(g->y);
    for (int s = 0; s < GOLDEN_SPLITS; s++) free(g->is_test[s]);
}

void golden_part_make(const golden_set *g, int split, int test, golden_part *out)
{
    size_t n = 0;
    for (size_t i = 0; i < g->n_rows; i++) n += g->is_test[split][i] == test;
    out->cols = calloc(g->n_features, sizeof *out->cols);
    out->y = malloc(n * sizeof *out->y);
    out->y_class = malloc(n * sizeof *out->y_class);
    for (size_t j = 0; j < g->n_features; j++) out->cols[j] = malloc(n * sizeof(double));
    for (size_t i = 0, k = 0; i < g->n_rows; i++) {
        if (g->is_test[split][i] != test) continue;
        for (size_t j = 0; j < g->n_features; j++) out->cols[j][k] = g->cols[j][i];
        out->y[k] = g->y[i];
        out->y_class[k] = (int)g->y[i];
        k++;
    }
    out->x = (aia_matrix){n, g->n_features, (const double *const *)out->cols};
}

void golden_part_free(golden_part *p)
{
    for (size_t j = 0; j < p->x.n_cols; j++) free(p->cols[j]);
    free(p->cols);
    free(p->y);
    free(p->y_class);
}

void golden_reference(const char *dataset, const char *model, const char *metric, double *mean, double *stderr_)
{
    char path[1024], line[512], d[64], m[64], k[64];
    FILE *fp = fopen(golden_path("reference.txt", path, sizeof path), "r");
    if (!fp) fail_msg("cannot open %s", path);
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '#') continue;
        if (sscanf(line, "%63s %63s %63s %lf %lf", d, m, k, mean, stderr_) == 5 && !strcmp(d, dataset) &&
            !strcmp(m, model) && !strcmp(k, metric)) {
            fclose(fp);
            return;
        }
    }
    fclose(fp);
    fail_msg("%s has no %s %s %s", path, dataset, model, metric);
}

void golden_check(const char *dataset, const char *model, const char *metric, const double *ours, int n)
{
    double mean = 0, var = 0, ref, ref_se;
    for (int i = 0; i < n; i++) mean += ours[i] / n;
    for (int i = 0; i < n; i++) var += (ours[i] - mean) * (ours[i] - mean) / (n - 1);
    double se = sqrt(var / n);
    golden_reference(dataset, model, metric, &ref, &ref_se);
    double tol = strcmp(metric, "r2") == 0 ? 0.02 : fmax(0.01, 2 * sqrt(se * se + ref_se * ref_se));
    print_message("%-14s %-20s %-8s ours %.4f ± %.4f  scikit-learn %.4f ± %.4f  |diff| %.4f  tolerance %.4f\n",
                  dataset, model, metric, mean, se, ref, ref_se, fabs(mean - ref), tol);
    if (fabs(mean - ref) > tol)
        fail_msg("%s %s %s: ours %.4f, scikit-learn %.4f, tolerance %.4f", dataset, model, metric, mean, ref, tol);
}

/* Accuracy and ROC AUC (classification) or R^2 (into *acc) of one split's
 * predictions. */
static void score(const golden_set *g, const golden_part *te, const double *out, int k, double *acc, double *auc)
{
    size_t n = te->x.n_rows;
    aia_error err;
    if (g->n_classes == 0) {
        if (aia_ml_r2(te->y, n, out, n, acc, &err) != AIA_OK) fail_msg("%s: %s", g->name, err.message);
        return;
    }
    int *pred = malloc(n * sizeof *pred);
    double *pos = malloc(n * sizeof *pos);
    for (size_t i = 0; i < n; i++) {
        const double *row = out + i * (size_t)k;
        pred[i] = 0;
        for (int c = 1; c < k; c++)
            if (row[c] > row[pred[i]]) pred[i] = c; /* argmax, the first on ties */
        if (k == 1) pred[i] = row[0] > 0.5;
        pos[i] = k == 1 ? row[0] : row[1];
    }
    aia_status st = aia_ml_accuracy(te->y_class, n, pred, n, g->n_classes, acc, &err);
    if (st == AIA_OK)
        st = g->n_classes == 2 ? aia_ml_roc_auc_binary(te->y_class, n, pos, n, auc, &err)
                               : aia_ml_roc_auc_ovr(te->y_class, n, out, n, k, AIA_ML_AVERAGE_MACRO, auc, &err);
    if (st != AIA_OK) fail_msg("%s: %s", g->name, err.message);
    free(pred);
    free(pos);
}

void golden_compare(const char *dataset, const char *model, golden_predict_fn predict, void *arg)
{
    golden_set g;
    golden_load(dataset, &g);
    double acc[GOLDEN_SPLITS], auc[GOLDEN_SPLITS];
    for (int s = 0; s < GOLDEN_SPLITS; s++) {
        golden_part tr, te;
        golden_part_make(&g, s, 0, &tr);
        golden_part_make(&g, s, 1, &te);
        int k = 1;
        double *out = predict(&g, s, &tr, &te, arg, &k);
        score(&g, &te, out, k, &acc[s], &auc[s]);
        free(out);
        golden_part_free(&tr);
        golden_part_free(&te);
    }
    if (g.n_classes == 0) {
        golden_check(dataset, model, "r2", acc, GOLDEN_SPLITS);
    } else {
        golden_check(dataset, model, "accuracy", acc, GOLDEN_SPLITS);
        golden_check(dataset, model, "roc_auc", auc, GOLDEN_SPLITS);
    }
    golden_free(&g);
}
