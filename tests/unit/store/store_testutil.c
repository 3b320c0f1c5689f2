/* tests/unit/store/store_testutil.c — see store_testutil.h. */
#include "tests/unit/store/store_testutil.h"

#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

char *st_tempdir(void) {
    const char *base = getenv("TEST_TMPDIR");
    char buf[512];
    snprintf(buf, sizeof buf, "%s/storeXXXXXX", base && base[0] ? base : "/tmp");
    if (mkdtemp(buf) == NULL) fail_msg("mkdtemp %s failed", buf);
    return strdup(buf);
}

static int remove_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void st_rmtree(char *dir) {
    nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
}

aia_store *st_open(const char *dir) {
    aia_store *s = NULL;
    aia_error err;
    if (aia_store_open(dir, &s, &err) != AIA_OK) fail_msg("open %s: %s", dir, err.message);
    return s;
}

aia_job_spec *st_spec(const char *model_id, AiaStore__V1__TaskType task) {
    static aia_job_spec spec;
    aia_store__v1__job_spec__init(&spec);
    spec.model_id = (char *)model_id;
    spec.task_type = task;
    spec.algorithm = (char *)"gbdt";
    spec.training_data_uri = (char *)"file:///data/train.csv";
    spec.target_column = (char *)"label";
    return &spec;
}

int st_publish(aia_store *s, const char *model_id) {
    aia_job_record *job = NULL, *claimed = NULL;
    int created = 0;
    aia_error err;
    if (aia_store_job_submit(s, st_spec(model_id, AIA_STORE__V1__TASK_TYPE__TASK_CLASSIFICATION), "", &job, &created,
                             &err) != AIA_OK)
        fail_msg("submit: %s", err.message);
    if (aia_store_job_claim(s, "w", 60000, &claimed, &err) != AIA_OK || claimed == NULL)
        fail_msg("claim: %s", err.message);
    if (strcmp(claimed->job_id, job->job_id) != 0) fail_msg("claimed %s, not %s", claimed->job_id, job->job_id);
    aia_version_record v = AIA_STORE__V1__VERSION__INIT;
    v.model_id = (char *)model_id;
    v.version = job->model_version;
    v.algorithm = (char *)"gbdt";
    v.artifact_sha256 = (char *)"00";
    if (aia_store_job_publish(s, claimed, &v, &err) != AIA_OK) fail_msg("publish: %s", err.message);
    int version = job->model_version;
    aia_store_record_free(job);
    aia_store_record_free(claimed);
    return version;
}
