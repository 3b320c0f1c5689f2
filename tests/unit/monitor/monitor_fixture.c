/* tests/unit/monitor/monitor_fixture.c — see monitor_fixture.h. */
#include "tests/unit/monitor/monitor_fixture.h"

#include <ftw.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/ml/preprocess.h"

int64_t mf_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- generated rows -------------------------------------------------------- */

typedef struct mf_rng {
    uint64_t x;
} mf_rng;

/* splitmix64 of the seed: nearby seeds give unrelated streams. */
static mf_rng rng_of(uint64_t seed)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return (mf_rng){z ^ (z >> 31)};
}

static double uniform(mf_rng *r)
{
    r->x = r->x * 6364136223846793005ULL + 1442695040888963407ULL;
    return ((double)(r->x >> 11) + 0.5) / 9007199254740992.0;
}

static double normal(mf_rng *r)
{
    double u = uniform(r), v = uniform(r);
    return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

typedef struct mf_row {
    double f[6]; /* f[1..5] */
    const char *c1, *c2, *y;
} mf_row;

static const char *const C1[] = {"red", "green", "blue"};
static const char *const C2[] = {"a", "b", "c", "d"};

/* y depends on f1, f2, f3 and c1 (learnable, with noise); shifts apply
 * after y is drawn, so a shift moves inputs, not the truth. */
static void gen_row(mf_rng *r, const double *shift, mf_row *out)
{
    for (int k = 1; k <= 5; k++) out->f[k] = normal(r);
    out->c1 = C1[(int)(uniform(r) * 3) % 3];
    out->c2 = C2[(int)(uniform(r) * 4) % 4];
    double score = out->f[1] + 0.8 * out->f[2] - out->f[3] + 0.3 * normal(r);
    if (strcmp(out->c1, "red") == 0) score += 0.7;
    out->y = score > 0 ? "yes" : "no";
    for (int k = 1; shift && k <= 5; k++) out->f[k] += shift[k];
}

static const char *const COLUMNS[] = {"f1", "f2", "f3", "f4", "f5", "c1", "c2", "y"};

void mf_write_csv(mf *f, const char *name, const mf_csv *c, char *path, size_t size)
{
    snprintf(path, size, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    size_t n_cols = c->with_target ? 8 : 7;
    int first = 1;
    for (size_t j = 0; j < n_cols; j++) {
        if (c->drop && strcmp(c->drop, COLUMNS[j]) == 0) continue;
        fprintf(fp, "%s%s", first ? "" : ",", COLUMNS[j]);
        first = 0;
    }
    fputc('\n', fp);
    mf_rng r = rng_of(c->seed);
    for (size_t i = 0; i < c->rows; i++) {
        mf_row row;
        gen_row(&r, c->shift, &row);
        first = 1;
        for (size_t j = 0; j < n_cols; j++) {
            if (c->drop && strcmp(c->drop, COLUMNS[j]) == 0) continue;
            if (!first) fputc(',', fp);
            first = 0;
            if (j < 5) fprintf(fp, "%.6f", row.f[j + 1]);
            else fputs(j == 5 ? row.c1 : j == 6 ? row.c2 : row.y, fp);
        }
        fputc('\n', fp);
    }
    assert_int_equal(fclose(fp), 0);
}

/* ---- setup ----------------------------------------------------------------- */

static void train(mf *f)
{
    aia_job_spec spec;
    aia_store__v1__job_spec__init(&spec);
    char *features[7] = {"f1", "f2", "f3", "f4", "f5", "c1", "c2"};
    AiaStore__V1__JobSpec__FeatureTypesEntry tv[7], *types[7];
    for (int i = 0; i < 7; i++) {
        aia_store__v1__job_spec__feature_types_entry__init(&tv[i]);
        tv[i].key = features[i];
        tv[i].value = i < 5 ? AIA_STORE__V1__FEATURE_TYPE__FEATURE_NUMERIC
                            : AIA_STORE__V1__FEATURE_TYPE__FEATURE_CATEGORICAL;
        types[i] = &tv[i];
    }
    AiaStore__V1__JobSpec__HyperparametersEntry hp, *hpp[1] = {&hp};
    aia_store__v1__job_spec__hyperparameters_entry__init(&hp);
    hp.key = "n_rounds";
    hp.value = "20";
    spec.model_id = MF_MODEL;
    spec.task_type = AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION;
    spec.algorithm = "gbdt";
    spec.training_data_uri = f->train_csv;
    spec.target_column = "y";
    spec.feature_columns = features;
    spec.n_feature_columns = 7;
    spec.feature_types = types;
    spec.n_feature_types = 7;
    spec.hyperparameters = hpp;
    spec.n_hyperparameters = 1;
    spec.seed = 42;
    aia_job_record *job = NULL;
    aia_error err;
    MF_OK(aia_jobs_submit(f->jobs, &spec, "test", &job, &err));
    mf_wait_job(f, job->job_id, 60000);
    aia_store_record_free(job);
    MF_OK(aia_store_version_latest(f->store, MF_MODEL, &f->version, &err));
}

mf *mf_new(int64_t poll_ms)
{
    mf *f = calloc(1, sizeof *f);
    assert_non_null(f);
    const char *tmp = getenv("TEST_TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/monitor_XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    assert_non_null(mkdtemp(f->dir));
    mf_csv c = {.rows = MF_ROWS, .seed = 1, .with_target = 1};
    mf_write_csv(f, "train.csv", &c, f->train_csv, sizeof f->train_csv);
    aia_error err;
    MF_OK(aia_store_open(f->dir, &f->store, &err));
    aia_serve_options so = {.store = f->store, .data_dir = f->dir, .log_sample_rate = 1.0};
    MF_OK(aia_serve_open(&so, &f->serve, &err));
    aia_jobs_options jo = {.store = f->store, .data_dir = f->dir, .workers = 1, .threads_per_job = 1,
                           .lease_ms = 30000, .engine_version = "test"};
    MF_OK(aia_jobs_start(&jo, &f->jobs, &err));
    train(f);
    aia_monitors_options mo = {.store = f->store, .serve = f->serve, .jobs = f->jobs, .data_dir = f->dir,
                               .poll_ms = poll_ms, .webhook_backoff_ms = 50, .webhook_max_attempts = 2};
    MF_OK(aia_monitors_start(&mo, &f->monitors, &err));
    return f;
}

static int remove_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw)
{
    (void)sb;
    (void)type;
    (void)ftw;
    remove(path);
    return 0;
}

void mf_free(mf *f)
{
    if (!f) return;
    aia_monitors_stop(f->monitors);
    aia_jobs_stop(f->jobs);
    aia_serve_close(f->serve);
    aia_store_close(f->store);
    if (!getenv("AIA_TEST_KEEP")) nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
}

void mf_spec_init(aia_drift_monitor_record *spec)
{
    aia_store__v1__drift_monitor__init(spec);
    spec->model_id = MF_MODEL;
}

void mf_wait_job(mf *f, const char *job_id, int timeout_ms)
{
    int64_t until = mf_now_ms() + timeout_ms;
    for (;;) {
        aia_job_record *job = NULL;
        aia_error err;
        MF_OK(aia_store_job_get(f->store, job_id, &job, &err));
        int state = job->state;
        char why[512];
        snprintf(why, sizeof why, "%s", job->error ? job->error : "");
        aia_store_record_free(job);
        if (state == AIA_STORE__V1__JOB_STATE__JOB_SUCCEEDED) return;
        if (state == AIA_STORE__V1__JOB_STATE__JOB_FAILED || state == AIA_STORE__V1__JOB_STATE__JOB_CANCELLED)
            fail_msg("job %s ended in state %d: %s", job_id, state, why);
        if (mf_now_ms() > until) fail_msg("job %s: state %d after %d ms", job_id, state, timeout_ms);
        usleep(20000);
    }
}

aia_drift_report_record **mf_reports(mf *f, const char *monitor_id, size_t *n)
{
    aia_drift_report_filter flt = {.monitor_id = monitor_id};
    aia_drift_report_record **out = NULL;
    aia_store_page page = {.page_size = 1000};
    char *next = NULL;
    aia_error err;
    MF_OK(aia_store_drift_report_list(f->store, &flt, &page, &out, n, &next, &err));
    free(next);
    return out;
}

/* ---- predictions through lib/serve ---------------------------------------- */

static aia_preprocess_cell cell_of(const mf_row *row, const char *name)
{
    if (name[0] == 'f') return (aia_preprocess_cell){.text = NULL, .number = row->f[name[1] - '0']};
    return (aia_preprocess_cell){.text = strcmp(name, "c1") == 0 ? row->c1 : row->c2, .number = NAN};
}

void mf_predict_log(mf *f, size_t n, uint64_t seed, double shift2, char (*ids)[33], const char **predicted)
{
    aia_error err;
    aia_served *h = NULL;
    MF_OK(aia_serve_acquire(f->serve, MF_MODEL, &h, &err));
    const aia_model *model = aia_served_model(h);
    const AiaStore__V1__Lineage *l = aia_served_record(h)->lineage;
    assert_non_null(l);
    assert_int_equal(l->n_features, 7);
    size_t k = (size_t)aia_model_n_outputs(model);
    size_t scratch_n = aia_preprocess_n_outputs(aia_model_preprocess(model));
    double *scratch = calloc(scratch_n + 1, sizeof *scratch);
    double *out = calloc(n * k, sizeof *out);
    aia_preprocess_cell *cells = calloc(n * 7, sizeof *cells);
    char(*own_ids)[AIA_PREDICTION_ID_LEN + 1] = calloc(n, sizeof *own_ids);
    aia_served_row *rows = calloc(n, sizeof *rows);
    mf_row *gen = calloc(n, sizeof *gen);
    assert_true(scratch && out && cells && own_ids && rows && gen);
    aia_serve_prediction_ids(f->serve, n, own_ids);
    mf_rng r = rng_of(seed);
    double shift[6] = {0, 0, shift2, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        gen_row(&r, shift, &gen[i]);
        for (size_t j = 0; j < 7; j++) cells[i * 7 + j] = cell_of(&gen[i], l->features[j]->name);
        MF_OK(aia_model_predict_row(model, cells + i * 7, scratch, out + i * k, &err));
        size_t best = 0;
        for (size_t c = 1; c < k; c++)
            if (out[i * k + c] > out[i * k + best]) best = c;
        if (predicted) predicted[i] = strcmp(aia_model_class_label(model, (int)best), "yes") == 0 ? "yes" : "no";
        rows[i] = (aia_served_row){.prediction_id = own_ids[i], .cells = cells + i * 7, .outputs = out + i * k};
        if (ids) memcpy(ids[i], own_ids[i], 33);
    }
    aia_serve_log(f->serve, h, NULL, rows, n);
    aia_serve_log_flush(f->serve);
    int64_t written = 0, dropped = 0;
    aia_serve_log_counts(f->serve, &written, &dropped);
    assert_int_equal(dropped, 0);
    aia_served_release(h);
    free(scratch);
    free(out);
    free(cells);
    free(own_ids);
    free(rows);
    free(gen);
}

/* ---- report helpers --------------------------------------------------------- */

const AiaStore__V1__FeatureDrift *mf_feature(const aia_drift_report_record *r, const char *name)
{
    for (size_t i = 0; i < r->n_features; i++)
        if (strcmp(r->features[i]->name, name) == 0) return r->features[i];
    return NULL;
}

int mf_has_kind(const aia_drift_report_record *r, AiaStore__V1__DriftKind kind)
{
    for (size_t i = 0; i < r->n_drift_kinds; i++)
        if (r->drift_kinds[i] == kind) return 1;
    return 0;
}
