/* Unit tests for lib/ml/model and lib/ml/model_file: training every
 * algorithm from a CSV frame with mixed column types, prediction by frame
 * and by row, the save/load round trip (bit-identical predictions), and
 * the loader refusing corrupt, truncated, newer and tampered files. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/data/csv.h"
#include "lib/ml/evaluate.h"
#include "lib/ml/model.h"
#include "lib/ml/model_file.h"
#include "lib/ml/model_file.pb-c.h"
#include <openssl/evp.h>

/* A churn-like table: numeric, categorical and boolean features, a few
 * missing cells, and a label (or a value) that depends on them. */
static aia_frame *make_frame(size_t n, uint64_t seed, int regression)
{
    static const char *const plans[] = {"basic", "plus", "pro"};
    size_t cap = 128 * (n + 1);
    char *csv = malloc(cap);
    size_t len = (size_t)snprintf(csv, cap, "tenure,plan,autopay,spend,target\n");
    aia_rng r;
    aia_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        double tenure = (double)aia_rng_below(&r, 72), spend = 20 + 80 * aia_rng_uniform(&r);
        int plan = (int)aia_rng_below(&r, 3), autopay = aia_rng_uniform(&r) < 0.5;
        double score = -0.05 * tenure + (plan == 0 ? 1.0 : plan == 2 ? -1.0 : 0) + (autopay ? -0.8 : 0.4) + 0.01 * spend;
        char tenure_s[32], target[32];
        if (i % 17 == 5) snprintf(tenure_s, sizeof tenure_s, "NA");
        else snprintf(tenure_s, sizeof tenure_s, "%g", tenure);
        if (regression) snprintf(target, sizeof target, "%.6f", score + 0.1 * aia_rng_normal(&r));
        else snprintf(target, sizeof target, "%s", score + 0.3 * aia_rng_normal(&r) > 0 ? "churn" : "stay");
        len += (size_t)snprintf(csv + len, cap - len, "%s,%s,%s,%.4f,%s\n", tenure_s, plans[plan],
                                autopay ? "yes" : "no", spend, target);
    }
    aia_csv_options opts;
    aia_csv_options_init(&opts);
    aia_csv_schema_entry target = {"target", regression ? AIA_COLUMN_NUMERIC : AIA_COLUMN_CATEGORICAL};
    opts.schema = &target;
    opts.schema_len = 1;
    aia_frame *f;
    aia_error err;
    if (aia_csv_read_buffer(csv, len, &opts, &f, &err) != AIA_OK) fail_msg("%s", err.message);
    free(csv);
    return f;
}

static aia_model *train(aia_algorithm algo, aia_task task, const aia_frame *f)
{
    aia_train_spec spec;
    aia_train_spec_init(&spec);
    spec.task = task;
    spec.algorithm = algo;
    spec.target = "target";
    spec.gbdt.n_rounds = 30;
    spec.forest.n_trees = 20;
    aia_model *m;
    aia_error err;
    if (aia_model_train(&spec, f, NULL, NULL, NULL, &m, &err) != AIA_OK) fail_msg("%s: %s", aia_algorithm_name(algo), err.message);
    return m;
}

static double accuracy(const aia_model *m, const aia_frame *f, double *probs)
{
    aia_error err;
    assert_int_equal(aia_model_predict_frame(m, f, probs, &err), AIA_OK);
    size_t col, n = aia_frame_n_rows(f), hit = 0;
    assert_int_equal(aia_frame_find(f, "target", &col, &err), AIA_OK);
    const aia_column *c = aia_frame_column(f, col);
    for (size_t i = 0; i < n; i++) {
        int k = probs[2 * i + 1] > probs[2 * i];
        assert_true(fabs(probs[2 * i] + probs[2 * i + 1] - 1) < 1e-9);
        hit += strcmp(aia_model_class_label(m, k), c->dictionary[c->codes[i]]) == 0;
    }
    return (double)hit / (double)n;
}

static void check_round_trip(const aia_model *m, const aia_frame *test)
{
    size_t n = aia_frame_n_rows(test), k = (size_t)aia_model_n_outputs(m);
    double *a = malloc(n * k * sizeof *a), *b = malloc(n * k * sizeof *b);
    aia_error err;
    assert_int_equal(aia_model_predict_frame(m, test, a, &err), AIA_OK);
    const char *dir = getenv("TEST_TMPDIR");
    char full[512];
    snprintf(full, sizeof full, "%s/model-%s.aiamodel", dir ? dir : "/tmp", aia_algorithm_name(aia_model_algorithm(m)));
    aia_model_meta meta[] = {{"job_id", "job-42"}, {"data_sha256", "abc"}};
    assert_int_equal(aia_model_save(m, meta, 2, full, &err), AIA_OK);
    aia_model *loaded;
    if (aia_model_load(full, &loaded, &err) != AIA_OK) fail_msg("%s", err.message);
    assert_int_equal(aia_model_algorithm(loaded), aia_model_algorithm(m));
    assert_int_equal(aia_model_predict_frame(loaded, test, b, &err), AIA_OK);
    assert_memory_equal(a, b, n * k * sizeof *a); /* bit for bit */
    aia_model_free(loaded);
    unlink(full);
    free(a);
    free(b);
}

static void every_classifier_learns_and_survives_a_round_trip(void **state)
{
    (void)state;
    aia_frame *tr = make_frame(1500, 1, 0), *te = make_frame(500, 2, 0);
    aia_algorithm algos[] = {AIA_ALGO_GBDT, AIA_ALGO_RANDOM_FOREST, AIA_ALGO_LOGISTIC_REGRESSION};
    double *probs = malloc(2 * 500 * sizeof *probs);
    for (size_t i = 0; i < 3; i++) {
        aia_model *m = train(algos[i], AIA_TASK_CLASSIFICATION, tr);
        assert_int_equal(aia_model_n_outputs(m), 2);
        assert_string_equal(aia_model_class_label(m, 0), "churn"); /* sorted */
        double acc = accuracy(m, te, probs);
        print_message("%s accuracy %.3f\n", aia_algorithm_name(algos[i]), acc);
        assert_true(acc > 0.75);
        check_round_trip(m, te);
        aia_model_free(m);
    }
    free(probs);
    aia_frame_free(tr);
    aia_frame_free(te);
}

static void every_regressor_learns_and_survives_a_round_trip(void **state)
{
    (void)state;
    aia_frame *tr = make_frame(1500, 3, 1), *te = make_frame(300, 4, 1);
    aia_algorithm algos[] = {AIA_ALGO_GBDT, AIA_ALGO_RANDOM_FOREST, AIA_ALGO_LINEAR_REGRESSION};
    for (size_t i = 0; i < 3; i++) {
        aia_model *m = train(algos[i], AIA_TASK_REGRESSION, tr);
        assert_int_equal(aia_model_n_outputs(m), 1);
        check_round_trip(m, te);
        aia_model_free(m);
    }
    aia_frame_free(tr);
    aia_frame_free(te);
}

static void row_prediction_equals_frame_prediction(void **state)
{
    (void)state;
    aia_frame *tr = make_frame(800, 5, 0);
    aia_model *m = train(AIA_ALGO_GBDT, AIA_TASK_CLASSIFICATION, tr);
    double probs[2], frame_probs[2 * 800], scratch[64];
    aia_error err;
    assert_int_equal(aia_model_predict_frame(m, tr, frame_probs, &err), AIA_OK);
    /* Row 5 has a missing tenure: NaN in, the same answer out. */
    aia_preprocess_cell cells[4] = {{NULL, NAN}, {"plus", 0}, {NULL, 1}, {NULL, 50}};
    const aia_column *plan = aia_frame_column(tr, 1), *autopay = aia_frame_column(tr, 2),
                     *spend = aia_frame_column(tr, 3);
    cells[1].text = plan->dictionary[plan->codes[5]];
    cells[2].number = autopay->boolean[5];
    cells[3].number = spend->numeric[5];
    assert_int_equal(aia_model_predict_row(m, cells, scratch, probs, &err), AIA_OK);
    assert_true(probs[0] == frame_probs[10] && probs[1] == frame_probs[11]);
    aia_model_free(m);
    aia_frame_free(tr);
}

static void training_errors_are_named(void **state)
{
    (void)state;
    aia_frame *tr = make_frame(200, 6, 0);
    aia_train_spec spec;
    aia_train_spec_init(&spec);
    spec.task = AIA_TASK_REGRESSION;
    spec.algorithm = AIA_ALGO_LOGISTIC_REGRESSION;
    spec.target = "target";
    aia_model *m = NULL;
    aia_error err;
    assert_int_equal(aia_model_train(&spec, tr, NULL, NULL, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "logistic_regression is for classification"));
    spec.task = AIA_TASK_CLASSIFICATION;
    spec.target = "churned";
    assert_int_equal(aia_model_train(&spec, tr, NULL, NULL, NULL, &m, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "churned"));
    spec.target = "target";
    const char *features[] = {"tenure", "nope"};
    spec.features = features;
    spec.n_features = 2;
    assert_int_equal(aia_model_train(&spec, tr, NULL, NULL, NULL, &m, &err), AIA_NOT_FOUND);
    assert_non_null(strstr(err.message, "nope"));
    const char *leaky[] = {"tenure", "target"};
    spec.features = leaky;
    assert_int_equal(aia_model_train(&spec, tr, NULL, NULL, NULL, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "'target' is the target column"));
    assert_null(m);
    aia_frame_free(tr);
}

static void evaluation_and_cross_validation(void **state)
{
    (void)state;
    aia_frame *tr = make_frame(1000, 8, 0), *te = make_frame(400, 9, 0);
    aia_model *m = train(AIA_ALGO_GBDT, AIA_TASK_CLASSIFICATION, tr);
    aia_model_scores s;
    aia_error err;
    assert_int_equal(aia_model_evaluate(m, te, "target", &s, &err), AIA_OK);
    double *probs = malloc(2 * 400 * sizeof *probs);
    assert_true(fabs(s.accuracy - accuracy(m, te, probs)) < 1e-12); /* the same count */
    assert_true(s.roc_auc > 0.8 && s.roc_auc <= 1 && s.log_loss > 0 && s.f1_macro > 0.5);
    assert_true(isnan(s.rmse) && isnan(s.r2)); /* regression scores do not apply */
    assert_int_equal(aia_model_evaluate(m, te, "nope", &s, &err), AIA_NOT_FOUND);
    free(probs);
    aia_model_free(m);

    aia_train_spec spec;
    aia_train_spec_init(&spec);
    spec.task = AIA_TASK_CLASSIFICATION;
    spec.algorithm = AIA_ALGO_LOGISTIC_REGRESSION;
    spec.target = "target";
    aia_model_scores mean, again, folds[5];
    assert_int_equal(aia_model_cross_validate(&spec, tr, 5, 42, &mean, folds, &err), AIA_OK);
    assert_true(mean.accuracy > 0.8 && mean.roc_auc > 0.85);
    double sum = 0;
    for (int i = 0; i < 5; i++) sum += folds[i].accuracy;
    assert_true(fabs(sum / 5 - mean.accuracy) < 1e-12);
    assert_int_equal(aia_model_cross_validate(&spec, tr, 5, 42, &again, NULL, &err), AIA_OK);
    assert_memory_equal(&mean, &again, sizeof mean); /* seeded: the same folds, the same models */
    assert_int_equal(aia_model_cross_validate(&spec, tr, 1, 42, &mean, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_true(isnan(mean.accuracy));
    aia_frame_free(tr);
    aia_frame_free(te);

    aia_frame *reg = make_frame(600, 10, 1);
    spec.task = AIA_TASK_REGRESSION;
    spec.algorithm = AIA_ALGO_RANDOM_FOREST;
    spec.forest.n_trees = 20;
    assert_int_equal(aia_model_cross_validate(&spec, reg, 3, 1, &mean, NULL, &err), AIA_OK);
    assert_true(mean.r2 > 0.5 && mean.rmse > 0 && isnan(mean.accuracy));
    aia_frame_free(reg);
}

/* ---- the loader against damaged files ------------------------------------------ */

static uint8_t *model_bytes(size_t *len)
{
    aia_frame *tr = make_frame(300, 7, 0);
    aia_model *m = train(AIA_ALGO_GBDT, AIA_TASK_CLASSIFICATION, tr);
    uint8_t *buf;
    aia_error err;
    assert_int_equal(aia_model_to_bytes(m, NULL, 0, &buf, len, &err), AIA_OK);
    aia_model_free(m);
    aia_frame_free(tr);
    return buf;
}

static void damaged_files_are_refused(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = model_bytes(&len), *copy = malloc(len);
    aia_model *m = NULL;
    aia_error err;
    assert_int_equal(aia_model_from_bytes(buf, len, &m, &err), AIA_OK);
    aia_model_free(m);
    /* Truncated anywhere, including inside the header. */
    for (size_t cut = 0; cut < len; cut += len / 37 + 1) {
        aia_status st = aia_model_from_bytes(buf, cut, &m, &err);
        assert_true(st == AIA_DATA_LOSS || st == AIA_INVALID_ARGUMENT);
        assert_null(m);
    }
    /* One flipped bit anywhere in the payload: the checksum catches it. */
    for (size_t at = AIA_MODEL_HEADER_SIZE; at < len; at += len / 53 + 1) {
        memcpy(copy, buf, len);
        copy[at] ^= 0x10;
        assert_int_equal(aia_model_from_bytes(copy, len, &m, &err), AIA_DATA_LOSS);
        assert_non_null(strstr(err.message, "SHA-256"));
    }
    memcpy(copy, buf, len);
    copy[8] = 2; /* format version 2 */
    assert_int_equal(aia_model_from_bytes(copy, len, &m, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "newer"));
    memcpy(copy, buf, len);
    copy[0] = 'X';
    assert_int_equal(aia_model_from_bytes(copy, len, &m, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "not an AIA model file"));
    assert_int_equal(aia_model_load("/nonexistent/model.aiamodel", &m, &err), AIA_NOT_FOUND);
    free(copy);
    free(buf);
}

/* Re-frames a modified payload with a correct header and checksum, so only
 * the loader's structural checks stand between it and the model. */
static uint8_t *reframe(const Aia__Engine__V1__ModelFile *msg, size_t *len)
{
    size_t payload = aia__engine__v1__model_file__get_packed_size(msg);
    uint8_t *buf = malloc(AIA_MODEL_HEADER_SIZE + payload);
    aia__engine__v1__model_file__pack(msg, buf + AIA_MODEL_HEADER_SIZE);
    memcpy(buf, "AIAMODL", 8);
    memset(buf + 8, 0, 16);
    buf[8] = 1;
    for (int i = 0; i < 8; i++) buf[16 + i] = (uint8_t)((uint64_t)payload >> (8 * i));
    unsigned int n;
    EVP_Digest(buf + AIA_MODEL_HEADER_SIZE, payload, buf + 24, &n, EVP_sha256(), NULL);
    *len = AIA_MODEL_HEADER_SIZE + payload;
    return buf;
}

typedef void (*tamper_fn)(Aia__Engine__V1__ModelFile *msg);

static void child_points_back(Aia__Engine__V1__ModelFile *m) { m->gbdt->trees[0]->left[1] = 0; }
static void child_out_of_range(Aia__Engine__V1__ModelFile *m) { m->gbdt->trees[0]->right[0] = ~1000; }
static void feature_out_of_range(Aia__Engine__V1__ModelFile *m) { m->gbdt->trees[0]->feature[0] = 99; }
static void leaf_values_missing(Aia__Engine__V1__ModelFile *m) { m->gbdt->trees[0]->n_leaf_value--; }
static void wrong_learner(Aia__Engine__V1__ModelFile *m) { m->algorithm = 2; }
static void one_class(Aia__Engine__V1__ModelFile *m) { m->n_class_labels = 1; }
static void preprocess_broken(Aia__Engine__V1__ModelFile *m) { m->preprocess[0]->kind = 42; }
static void fewer_features(Aia__Engine__V1__ModelFile *m) { m->n_preprocess--; }

static void tampered_files_with_valid_checksums_are_refused(void **state)
{
    (void)state;
    tamper_fn cases[] = {child_points_back, child_out_of_range, feature_out_of_range, leaf_values_missing,
                         wrong_learner,     one_class,          preprocess_broken,    fewer_features};
    size_t len;
    uint8_t *good = model_bytes(&len);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        Aia__Engine__V1__ModelFile *msg =
            aia__engine__v1__model_file__unpack(NULL, len - AIA_MODEL_HEADER_SIZE, good + AIA_MODEL_HEADER_SIZE);
        assert_non_null(msg);
        assert_true(msg->gbdt && msg->gbdt->trees[0]->n_leaves >= 3);
        /* Some cases shorten arrays; protobuf-c frees by count, so put the
         * counts back before freeing. */
        size_t n_pre = msg->n_preprocess, n_labels = msg->n_class_labels,
               n_leaf = msg->gbdt->trees[0]->n_leaf_value;
        cases[c](msg);
        size_t bad_len;
        uint8_t *bad = reframe(msg, &bad_len);
        msg->n_preprocess = n_pre;
        msg->n_class_labels = n_labels;
        msg->gbdt->trees[0]->n_leaf_value = n_leaf;
        aia__engine__v1__model_file__free_unpacked(msg, NULL);
        aia_model *m = NULL;
        aia_error err;
        aia_status st = aia_model_from_bytes(bad, bad_len, &m, &err);
        print_message("case %zu: %s\n", c, err.message);
        assert_int_equal(st, AIA_INVALID_ARGUMENT);
        assert_non_null(strstr(err.message, "model file"));
        assert_null(m);
        free(bad);
    }
    free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_classifier_learns_and_survives_a_round_trip),
        cmocka_unit_test(every_regressor_learns_and_survives_a_round_trip),
        cmocka_unit_test(row_prediction_equals_frame_prediction),
        cmocka_unit_test(training_errors_are_named),
        cmocka_unit_test(evaluation_and_cross_validation),
        cmocka_unit_test(damaged_files_are_refused),
        cmocka_unit_test(tampered_files_with_valid_checksums_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
