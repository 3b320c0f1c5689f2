/* tests/unit/serve/serve_fixture.c — see serve_fixture.h. */
#include "tests/unit/serve/serve_fixture.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lib/base/rng.h"
#include "lib/data/csv.h"
#include "lib/ml/model_file.h"

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fx_open(fx *f, const aia_serve_options *opt)
{
    const char *base = getenv("TEST_TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/serveXXXXXX", base && base[0] ? base : "/tmp");
    if (!mkdtemp(buf)) fail_msg("mkdtemp %s failed", buf);
    f->dir = strdup(buf);
    aia_error err;
    FX_OK(aia_store_open(f->dir, &f->store, &err));
    aia_serve_options o = {0};
    if (opt) o = *opt;
    o.store = f->store;
    o.data_dir = f->dir;
    FX_OK(aia_serve_open(&o, &f->serve, &err));
}

void fx_close(fx *f)
{
    aia_serve_close(f->serve);
    aia_store_close(f->store);
    nftw(f->dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f->dir);
}

aia_model *fx_train(unsigned seed)
{
    static const char *const colors[] = {"blue", "green", "red"};
    size_t n = 200, cap = 64 * (n + 1), len;
    char *csv = malloc(cap);
    len = (size_t)snprintf(csv, cap, "x,color,flag,target\n");
    aia_rng r;
    aia_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        double x = 10 * aia_rng_uniform(&r);
        int c = (int)aia_rng_below(&r, 3), flag = aia_rng_uniform(&r) < 0.5;
        double score = x - 5 + (c == 2 ? 2 : 0) + (flag ? 1 : -1) + aia_rng_normal(&r);
        len += (size_t)snprintf(csv + len, cap - len, "%.3f,%s,%s,%s\n", x, colors[c], flag ? "true" : "false",
                                score > 0 ? "hi" : "lo");
    }
    aia_csv_options opts;
    aia_csv_options_init(&opts);
    aia_frame *frame;
    aia_error err;
    FX_OK(aia_csv_read_buffer(csv, len, &opts, &frame, &err));
    free(csv);
    aia_train_spec spec;
    aia_train_spec_init(&spec);
    spec.task = AIA_TASK_CLASSIFICATION;
    spec.algorithm = AIA_ALGO_GBDT;
    spec.target = "target";
    spec.gbdt.n_rounds = 10;
    aia_model *m;
    FX_OK(aia_model_train(&spec, frame, NULL, NULL, NULL, &m, &err));
    aia_frame_free(frame);
    return m;
}

static AiaStore__V1__FeatureType feature_type(aia_preprocess_kind k)
{
    if (k == AIA_PREPROCESS_NUMERIC) return AIA_STORE__V1__FEATURE_TYPE__FEATURE_NUMERIC;
    if (k == AIA_PREPROCESS_BOOLEAN) return AIA_STORE__V1__FEATURE_TYPE__FEATURE_BINARY;
    return AIA_STORE__V1__FEATURE_TYPE__FEATURE_CATEGORICAL;
}

int fx_publish_model(fx *f, const char *model_id, const aia_model *m, char sha[AIA_SHA256_HEX_LEN + 1])
{
    aia_error err;
    uint8_t *bytes;
    size_t len;
    char hex[AIA_SHA256_HEX_LEN + 1];
    FX_OK(aia_model_to_bytes(m, NULL, 0, &bytes, &len, &err));
    FX_OK(aia_artifact_put(f->dir, bytes, len, hex, &err));
    free(bytes);
    if (sha) memcpy(sha, hex, sizeof hex);

    aia_job_spec spec = AIA_STORE__V1__JOB_SPEC__INIT;
    spec.model_id = (char *)model_id;
    spec.task_type = AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION;
    spec.algorithm = (char *)"gbdt";
    spec.training_data_uri = (char *)"file:///data/train.csv";
    spec.target_column = (char *)"target";
    aia_job_record *job = NULL, *claimed = NULL;
    int created;
    FX_OK(aia_store_job_submit(f->store, &spec, "", &job, &created, &err));
    FX_OK(aia_store_job_claim(f->store, "w", 60000, &claimed, &err));
    assert_non_null(claimed);
    assert_string_equal(claimed->job_id, job->job_id);

    const aia_preprocess *p = aia_model_preprocess(m);
    size_t n = aia_preprocess_n_inputs(p);
    AiaStore__V1__FeatureSpec specs[8], *fs[8];
    assert_true(n <= 8);
    for (size_t i = 0; i < n; i++) {
        aia_preprocess_column c;
        aia_preprocess_describe_input(p, i, &c);
        aia_store__v1__feature_spec__init(&specs[i]);
        specs[i].name = (char *)c.name;
        specs[i].type = feature_type(c.kind);
        specs[i].n_categories = c.n_categories;
        specs[i].categories = (char **)c.categories;
        fs[i] = &specs[i];
    }
    AiaStore__V1__Lineage lin = AIA_STORE__V1__LINEAGE__INIT;
    lin.job_id = job->job_id;
    lin.features = fs;
    lin.n_features = n;
    lin.target_column = (char *)"target";
    char *labels[2] = {(char *)aia_model_class_label(m, 0), (char *)aia_model_class_label(m, 1)};
    aia_version_record v = AIA_STORE__V1__VERSION__INIT;
    v.model_id = (char *)model_id;
    v.version = job->model_version;
    v.algorithm = (char *)"gbdt";
    v.lineage = &lin;
    v.artifact_sha256 = hex;
    v.artifact_size_bytes = (int64_t)len;
    v.class_labels = labels;
    v.n_class_labels = 2;
    FX_OK(aia_store_job_publish(f->store, claimed, &v, &err));
    int version = job->model_version;
    aia_store_record_free(job);
    aia_store_record_free(claimed);
    return version;
}

int fx_publish(fx *f, const char *model_id, unsigned seed)
{
    aia_model *m = fx_train(seed);
    int v = fx_publish_model(f, model_id, m, NULL);
    aia_model_free(m);
    return v;
}
