/* tests/unit/train/train_fixture.h — job specs and generated CSV files for
 * the lib/train tests. Test-only.
 */
#ifndef AIA_TESTS_TRAIN_FIXTURE_H
#define AIA_TESTS_TRAIN_FIXTURE_H

#include <stddef.h>

#include "lib/train/train.h"

#define FIX_MAX_ENTRIES 16

/* A job spec whose strings and map entries live in the fixture. */
typedef struct fix_spec {
    aia_job_spec spec;
    AiaStore__V1__HpoSpec hpo;
    AiaStore__V1__JobSpec__HyperparametersEntry params[FIX_MAX_ENTRIES];
    AiaStore__V1__JobSpec__HyperparametersEntry *param_ptrs[FIX_MAX_ENTRIES];
    AiaStore__V1__JobSpec__FeatureTypesEntry types[FIX_MAX_ENTRIES];
    AiaStore__V1__JobSpec__FeatureTypesEntry *type_ptrs[FIX_MAX_ENTRIES];
    char *features[FIX_MAX_ENTRIES];
} fix_spec;

/* A classification (or regression) job on `uri` with target `target`,
 * every other column a feature, algorithm `algorithm`, seed 7. */
void fix_spec_init(fix_spec *f, int regression, const char *algorithm, const char *uri, const char *target);
void fix_spec_param(fix_spec *f, const char *key, const char *value);
void fix_spec_feature(fix_spec *f, const char *name);
void fix_spec_feature_type(fix_spec *f, const char *name, AiaStore__V1__FeatureType type);
/* Turns HPO on with `trials` trials. */
void fix_spec_hpo(fix_spec *f, int trials);

/* A temporary directory for the test (under $TEST_TMPDIR); path of
 * `name` inside it into buf. */
const char *fix_tmp_path(const char *name, char *buf, size_t size);

/* Writes n rows of columns x1, x2 (numeric), color (red/green/blue) and
 * label ("yes"/"no", mostly x1 + x2 + [color=red] > 0.5) to path. */
void fix_write_classification(const char *path, int n, unsigned seed);
/* Writes n rows of x1, x2, x3 and y = 3 x1 - 2 x2 + x3^2 + noise. */
void fix_write_regression(const char *path, int n, unsigned seed);

/* Reads the whole file into a malloc'd buffer. */
char *fix_read_file(const char *path, size_t *len);

#endif
