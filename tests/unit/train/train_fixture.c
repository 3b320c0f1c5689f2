/* tests/unit/train/train_fixture.c — see train_fixture.h. */
#include "tests/unit/train/train_fixture.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fix_spec_init(fix_spec *f, int regression, const char *algorithm, const char *uri, const char *target)
{
    memset(f, 0, sizeof *f);
    aia_job_spec s = AIA_STORE__V1__JOB_SPEC__INIT;
    f->spec = s;
    f->spec.task_type = regression ? AIA_STORE__V1__TASK_TYPE__TASK_REGRESSION
                                   : AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION;
    f->spec.algorithm = (char *)algorithm;
    f->spec.training_data_uri = (char *)uri;
    f->spec.target_column = (char *)target;
    f->spec.model_id = "m";
    f->spec.seed = 7;
    f->spec.hyperparameters = f->param_ptrs;
    f->spec.feature_types = f->type_ptrs;
    f->spec.feature_columns = f->features;
}

void fix_spec_param(fix_spec *f, const char *key, const char *value)
{
    size_t i = f->spec.n_hyperparameters++;
    AiaStore__V1__JobSpec__HyperparametersEntry e = AIA_STORE__V1__JOB_SPEC__HYPERPARAMETERS_ENTRY__INIT;
    f->params[i] = e;
    f->params[i].key = (char *)key;
    f->params[i].value = (char *)value;
    f->param_ptrs[i] = &f->params[i];
}

void fix_spec_feature(fix_spec *f, const char *name) { f->features[f->spec.n_feature_columns++] = (char *)name; }

void fix_spec_feature_type(fix_spec *f, const char *name, AiaStore__V1__FeatureType type)
{
    size_t i = f->spec.n_feature_types++;
    AiaStore__V1__JobSpec__FeatureTypesEntry e = AIA_STORE__V1__JOB_SPEC__FEATURE_TYPES_ENTRY__INIT;
    f->types[i] = e;
    f->types[i].key = (char *)name;
    f->types[i].value = type;
    f->type_ptrs[i] = &f->types[i];
}

void fix_spec_hpo(fix_spec *f, int trials)
{
    AiaStore__V1__HpoSpec h = AIA_STORE__V1__HPO_SPEC__INIT;
    f->hpo = h;
    f->hpo.trials = trials;
    f->spec.hpo = &f->hpo;
}

const char *fix_tmp_path(const char *name, char *buf, size_t size)
{
    const char *dir = getenv("TEST_TMPDIR");
    snprintf(buf, size, "%s/%s", dir && *dir ? dir : "/tmp", name);
    return buf;
}

/* A small LCG: the files are the same on every run. */
static double uniform(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (double)((*s >> 8) & 0xFFFFFF) / 16777216.0;
}

void fix_write_classification(const char *path, int n, unsigned seed)
{
    FILE *f = fopen(path, "w");
    if (!f) abort();
    fprintf(f, "x1,x2,color,label\n");
    static const char *const colors[] = {"red", "green", "blue"};
    for (int i = 0; i < n; i++) {
        double x1 = uniform(&seed) * 2 - 1, x2 = uniform(&seed) * 2 - 1;
        int c = (int)(uniform(&seed) * 3) % 3;
        double noise = (uniform(&seed) - 0.5) * 0.4;
        int y = x1 + x2 + (c == 0 ? 0.8 : 0.0) + noise > 0.3;
        fprintf(f, "%.6f,%.6f,%s,%s\n", x1, x2, colors[c], y ? "yes" : "no");
    }
    fclose(f);
}

void fix_write_regression(const char *path, int n, unsigned seed)
{
    FILE *f = fopen(path, "w");
    if (!f) abort();
    fprintf(f, "x1,x2,x3,y\n");
    for (int i = 0; i < n; i++) {
        double x1 = uniform(&seed) * 2 - 1, x2 = uniform(&seed) * 2 - 1, x3 = uniform(&seed) * 2 - 1;
        double y = 3 * x1 - 2 * x2 + x3 * x3 + (uniform(&seed) - 0.5) * 0.2;
        fprintf(f, "%.6f,%.6f,%.6f,%.6f\n", x1, x2, x3, y);
    }
    fclose(f);
}

char *fix_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}
