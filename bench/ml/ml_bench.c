/* bench/ml/ml_bench.c — the embedded ML engine's side of the issue-4 benchmark.
 *
 *   aia-ml-bench --model gbdt|logistic --train TRAIN.csv --test TEST.csv
 *                [--threads 2] [--rounds 100] [--latency-calls 100000]
 *                [--batch-repeats 5]
 *
 * Reads both CSVs with lib/data (numbers only; the last column is the 0/1
 * label, forced NUMERIC by the schema, since a 0/1 column would otherwise be
 * inferred boolean), trains one model on the training set and prints one
 * JSON object on stdout:
 *
 *  - train_s: wall time of aia_gbdt_train / aia_logistic_train alone
 *    (CLOCK_MONOTONIC; binning included, CSV reading excluded);
 *  - memory: VmHWM (peak RSS, /proc/self/status) after reading the data,
 *    VmRSS just before training, VmHWM over training alone (the peak is
 *    reset by writing 5 to /proc/self/clear_refs before training, when the
 *    kernel allows it; else it is the process's peak so far), and VmHWM at
 *    the end. One model per process, so the figures never mix;
 *  - auc: test ROC AUC (aia_ml_roc_auc_binary) of the predicted P(class 1);
 *  - batch prediction over the whole test set: best and median of
 *    --batch-repeats calls of aia_gbdt_predict_batch (resp.
 *    aia_linear_predict_batch), as rows/s;
 *  - single-row latency (gbdt): --latency-calls calls of aia_gbdt_predict,
 *    cycling through the test rows (row-major copies), each call timed on
 *    its own with CLOCK_MONOTONIC: median, p99 (nearest rank), mean, and the
 *    mean of one untimed loop over the same calls (no clock overhead).
 *
 * Logistic regression is trained on the features standardised with the
 * training set's mean and (population) standard deviation, applied to both
 * sets, as StandardScaler does; the standardisation is not timed.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/common/benchutil.h"
#include "lib/base/status.h"
#include "lib/data/csv.h"
#include "lib/data/frame.h"
#include "lib/ml/gbdt.h"
#include "lib/ml/linear.h"
#include "lib/ml/matrix.h"
#include "lib/ml/metrics.h"

static void die(const char *what, const aia_error *err) {
    fprintf(stderr, "aia-ml-bench: %s: %s\n", what, err ? err->message : strerror(errno));
    exit(1);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least pct % of the values at or below it. */
static double nearest_rank(const double *sorted, size_t n, double pct) {
    double k = ceil((double)n * pct / 100.0);
    size_t i = k < 1 ? 0 : (size_t)k - 1;
    return sorted[i < n ? i : n - 1];
}

typedef struct dataset {
    aia_frame *frame;
    size_t n_rows, n_features;
    const double **col; /* n_features borrowed columns */
    const double *y;
    int *y_int;
} dataset;

static void load(const char *path, dataset *d) {
    aia_error err;
    /* The header first, to name the label column (the last one) in the schema. */
    FILE *f = fopen(path, "r");
    if (!f) die(path, NULL);
    static char header[1 << 16];
    if (!fgets(header, sizeof header, f)) die(path, NULL);
    fclose(f);
    header[strcspn(header, "\r\n")] = 0;
    char *last = strrchr(header, ',');
    const char *label = last ? last + 1 : header;
    aia_csv_schema_entry schema = {label, AIA_COLUMN_NUMERIC};
    aia_csv_options opts;
    aia_csv_options_init(&opts);
    opts.schema = &schema;
    opts.schema_len = 1;
    if (aia_csv_read_file(path, &opts, &d->frame, &err) != AIA_OK) die("reading CSV", &err);
    size_t nc = aia_frame_n_cols(d->frame);
    d->n_rows = aia_frame_n_rows(d->frame);
    d->n_features = nc - 1;
    d->col = malloc(d->n_features * sizeof *d->col);
    d->y_int = malloc(d->n_rows * sizeof *d->y_int);
    if (!d->col || !d->y_int) die("malloc", NULL);
    for (size_t j = 0; j < nc; j++) {
        const aia_column *c = aia_frame_column(d->frame, j);
        if (c->type != AIA_COLUMN_NUMERIC) {
            fprintf(stderr, "aia-ml-bench: %s: column '%s' is %s, not numeric\n", path, c->name,
                    aia_column_type_name(c->type));
            exit(1);
        }
        if (j + 1 < nc)
            d->col[j] = c->numeric;
        else
            d->y = c->numeric;
    }
    for (size_t i = 0; i < d->n_rows; i++) d->y_int[i] = (int)d->y[i];
}

static aia_matrix view(const dataset *d, const double *const *cols) {
    aia_matrix m = {d->n_rows, d->n_features, cols};
    return m;
}

static void json_str(const char *k, const char *v, int comma) {
    printf("  \"%s\": \"%s\"%s\n", k, v, comma ? "," : "");
}
static void json_num(const char *k, double v, int comma) {
    if (isfinite(v))
        printf("  \"%s\": %.10g%s\n", k, v, comma ? "," : "");
    else
        printf("  \"%s\": null%s\n", k, comma ? "," : "");
}

int main(int argc, char **argv) {
    const char *model = NULL, *train_path = NULL, *test_path = NULL;
    int threads = 2, rounds = 100, batch_repeats = 5;
    long latency_calls = 100000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) {
            fprintf(stderr, "aia-ml-bench: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--model")) model = v;
        else if (!strcmp(a, "--train")) train_path = v;
        else if (!strcmp(a, "--test")) test_path = v;
        else if (!strcmp(a, "--threads")) threads = atoi(v);
        else if (!strcmp(a, "--rounds")) rounds = atoi(v);
        else if (!strcmp(a, "--latency-calls")) latency_calls = atol(v);
        else if (!strcmp(a, "--batch-repeats")) batch_repeats = atoi(v);
        else {
            fprintf(stderr, "aia-ml-bench: unknown option %s\n", a);
            return 2;
        }
        i++;
    }
    if (!model || !train_path || !test_path || (strcmp(model, "gbdt") && strcmp(model, "logistic")) ||
        batch_repeats < 1 || latency_calls < 1) {
        fprintf(stderr, "usage: aia-ml-bench --model gbdt|logistic --train F --test F [--threads N] "
                        "[--rounds N] [--latency-calls N] [--batch-repeats N]\n");
        return 2;
    }

    aia_error err;
    double t0 = bench_now_s();
    dataset tr = {0}, te = {0};
    load(train_path, &tr);
    load(test_path, &te);
    double load_s = bench_now_s() - t0;
    if (te.n_features != tr.n_features) {
        fprintf(stderr, "aia-ml-bench: train and test differ in features\n");
        return 1;
    }
    long hwm_load = bench_status_kb("VmHWM");
    size_t nf = tr.n_features, nte = te.n_rows;

    const double *const *train_cols = tr.col, *const *test_cols = te.col;
    double *std_store = NULL;
    if (!strcmp(model, "logistic")) {
        /* Standardise both sets with the training set's mean and population std. */
        std_store = malloc((tr.n_rows + te.n_rows) * nf * sizeof(double));
        const double **tc = malloc(nf * sizeof *tc), **ec = malloc(nf * sizeof *ec);
        if (!std_store || !tc || !ec) die("malloc", NULL);
        for (size_t j = 0; j < nf; j++) {
            double mean = 0, var = 0;
            for (size_t i = 0; i < tr.n_rows; i++) mean += tr.col[j][i];
            mean /= (double)tr.n_rows;
            for (size_t i = 0; i < tr.n_rows; i++) var += (tr.col[j][i] - mean) * (tr.col[j][i] - mean);
            double sd = sqrt(var / (double)tr.n_rows);
            if (sd == 0) sd = 1;
            double *a = std_store + j * tr.n_rows;
            double *b = std_store + nf * tr.n_rows + j * te.n_rows;
            for (size_t i = 0; i < tr.n_rows; i++) a[i] = (tr.col[j][i] - mean) / sd;
            for (size_t i = 0; i < te.n_rows; i++) b[i] = (te.col[j][i] - mean) / sd;
            tc[j] = a;
            ec[j] = b;
        }
        train_cols = tc;
        test_cols = ec;
    }
    aia_matrix xtr = view(&tr, train_cols), xte = view(&te, test_cols);

    long rss_before = bench_status_kb("VmRSS");
    int hwm_reset = bench_reset_hwm();
    aia_gbdt_model *gm = NULL;
    aia_linear_model *lm = NULL;
    aia_gbdt_params gp;
    memset(&gp, 0, sizeof gp);
    aia_logistic_params lp;
    memset(&lp, 0, sizeof lp);
    double train_s = 0;
    if (!strcmp(model, "gbdt")) {
        aia_gbdt_params_default(&gp);
        gp.objective = AIA_GBDT_BINARY;
        gp.n_rounds = rounds;
        gp.max_leaves = 31;
        gp.learning_rate = 0.1;
        gp.min_samples_leaf = 20;
        gp.max_bins = 255;
        gp.early_stopping_rounds = 0;
        gp.threads = threads;
        gp.seed = 1;
        aia_gbdt_data d = {xtr, tr.y, NULL};
        t0 = bench_now_s();
        if (aia_gbdt_train(&gp, &d, NULL, NULL, NULL, &gm, &err) != AIA_OK) die("aia_gbdt_train", &err);
        train_s = bench_now_s() - t0;
    } else {
        aia_logistic_params_default(&lp);
        lp.n_classes = 2;
        lp.C = 1.0;
        lp.max_iter = 100;
        lp.threads = threads;
        aia_linear_data d = {xtr, tr.y, NULL};
        t0 = bench_now_s();
        if (aia_logistic_train(&lp, &d, NULL, NULL, &lm, &err) != AIA_OK) die("aia_logistic_train", &err);
        train_s = bench_now_s() - t0;
    }
    long hwm_train = bench_status_kb("VmHWM");
    long rss_after = bench_status_kb("VmRSS");

    /* Batch prediction over the test set: P(class 1) per row. */
    double *proba = malloc(nte * sizeof *proba);
    double *bt = malloc((size_t)batch_repeats * sizeof *bt);
    if (!proba || !bt) die("malloc", NULL);
    for (int r = 0; r < batch_repeats; r++) {
        t0 = bench_now_s();
        aia_status st = gm ? aia_gbdt_predict_batch(gm, &xte, proba, &err)
                           : aia_linear_predict_batch(lm, &xte, 0, proba, &err);
        bt[r] = bench_now_s() - t0;
        if (st != AIA_OK) die("predict_batch", &err);
    }
    qsort(bt, (size_t)batch_repeats, sizeof *bt, cmp_double);
    double auc;
    if (aia_ml_roc_auc_binary(te.y_int, nte, proba, nte, &auc, &err) != AIA_OK) die("roc_auc", &err);

    /* Single-row latency. */
    double lat_med = NAN, lat_p99 = NAN, lat_mean = NAN, loop_mean = NAN, checksum = 0;
    size_t nrow_copy = nte < 10000 ? nte : 10000;
    double *rows = malloc(nrow_copy * nf * sizeof *rows);
    double *lat = malloc((size_t)latency_calls * sizeof *lat);
    if (!rows || !lat) die("malloc", NULL);
    for (size_t i = 0; i < nrow_copy; i++)
        for (size_t j = 0; j < nf; j++) rows[i * nf + j] = test_cols[j][i];
    {
        double out;
        /* Warm-up: one pass over the copied rows. */
        for (size_t i = 0; i < nrow_copy; i++) {
            if (gm) aia_gbdt_predict(gm, rows + i * nf, &out);
            else aia_linear_predict(lm, rows + i * nf, &out);
            checksum += out;
        }
        double sum = 0;
        for (long c = 0; c < latency_calls; c++) {
            const double *row = rows + (size_t)(c % (long)nrow_copy) * nf;
            double a = bench_now_s();
            if (gm) aia_gbdt_predict(gm, row, &out);
            else aia_linear_predict(lm, row, &out);
            double b = bench_now_s();
            checksum += out;
            lat[c] = (b - a) * 1e6;
            sum += lat[c];
        }
        lat_mean = sum / (double)latency_calls;
        t0 = bench_now_s();
        for (long c = 0; c < latency_calls; c++) {
            const double *row = rows + (size_t)(c % (long)nrow_copy) * nf;
            if (gm) aia_gbdt_predict(gm, row, &out);
            else aia_linear_predict(lm, row, &out);
            checksum += out;
        }
        loop_mean = (bench_now_s() - t0) * 1e6 / (double)latency_calls;
        qsort(lat, (size_t)latency_calls, sizeof *lat, cmp_double);
        lat_med = nearest_rank(lat, (size_t)latency_calls, 50);
        lat_p99 = nearest_rank(lat, (size_t)latency_calls, 99);
    }
    /* A clock_gettime pair with nothing between: the timer's own cost. */
    double *ov = malloc(10000 * sizeof *ov);
    if (!ov) die("malloc", NULL);
    for (int c = 0; c < 10000; c++) {
        double a = bench_now_s(), b = bench_now_s();
        ov[c] = (b - a) * 1e6;
    }
    qsort(ov, 10000, sizeof *ov, cmp_double);
    long hwm_end = bench_status_kb("VmHWM");

    printf("{\n");
    json_str("engine", "aia", 1);
    json_str("model", model, 1);
    json_num("threads", threads, 1);
    json_num("train_rows", (double)tr.n_rows, 1);
    json_num("test_rows", (double)nte, 1);
    json_num("features", (double)nf, 1);
    json_num("load_s", load_s, 1);
    json_num("train_s", train_s, 1);
    if (gm) {
        json_num("rounds", aia_gbdt_n_rounds(gm), 1);
        printf("  \"params\": {\"n_rounds\": %d, \"max_leaves\": %d, \"learning_rate\": %g, "
               "\"min_samples_leaf\": %d, \"min_hessian_leaf\": %g, \"lambda_l2\": %g, \"max_bins\": %d, "
               "\"max_depth\": %d, \"early_stopping_rounds\": %d, \"threads\": %d},\n",
               gp.n_rounds, gp.max_leaves, gp.learning_rate, gp.min_samples_leaf, gp.min_hessian_leaf,
               gp.lambda_l2, gp.max_bins, gp.max_depth, gp.early_stopping_rounds, gp.threads);
    } else {
        aia_linear_fit_info fi = aia_linear_fit_info_of(lm);
        json_num("n_iter", fi.n_iter, 1);
        json_num("converged", fi.converged, 1);
        printf("  \"params\": {\"C\": %g, \"tol\": %g, \"max_iter\": %d, \"threads\": %d, "
               "\"standardised\": true},\n", lp.C, lp.tol, lp.max_iter, lp.threads);
    }
    json_num("auc", auc, 1);
    json_num("vmhwm_load_kb", (double)hwm_load, 1);
    json_num("vmrss_before_train_kb", (double)rss_before, 1);
    json_num("vmhwm_train_kb", (double)hwm_train, 1);
    json_num("vmrss_after_train_kb", (double)rss_after, 1);
    json_num("vmhwm_end_kb", (double)hwm_end, 1);
    printf("  \"hwm_reset\": %s,\n", hwm_reset ? "true" : "false");
    json_num("batch_rows", (double)nte, 1);
    json_num("batch_repeats", batch_repeats, 1);
    json_num("batch_best_s", bt[0], 1);
    json_num("batch_median_s", bt[batch_repeats / 2], 1);
    json_num("batch_rows_per_s", (double)nte / bt[0], 1);
    json_num("batch_rows_per_s_median", (double)nte / bt[batch_repeats / 2], 1);
    json_num("single_calls", (double)latency_calls, 1);
    json_num("single_p50_us", lat_med, 1);
    json_num("single_p99_us", lat_p99, 1);
    json_num("single_mean_us", lat_mean, 1);
    json_num("single_loop_mean_us", loop_mean, 1);
    json_num("timer_overhead_p50_us", ov[5000], 1);
    json_num("checksum", checksum, 0);
    printf("}\n");

    free(ov);
    free(rows);
    free(lat);
    free(proba);
    free(bt);
    aia_gbdt_free(gm);
    aia_linear_free(lm);
    free(std_store);
    if (train_cols != tr.col) {
        free((void *)train_cols);
        free((void *)test_cols);
    }
    free(tr.col);
    free(tr.y_int);
    free(te.col);
    free(te.y_int);
    aia_frame_free(tr.frame);
    aia_frame_free(te.frame);
    return 0;
}
