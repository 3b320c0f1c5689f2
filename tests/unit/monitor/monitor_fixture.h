/* tests/unit/monitor/monitor_fixture.h — a temp data dir with a real store,
 * serve (every prediction logged), jobs and monitors, and a model "churn"
 * trained through lib/jobs on a generated, seeded CSV: a binary classifier
 * ("yes"/"no") over five numeric features f1..f5 (standard normal) and two
 * categorical ones, c1 (red/green/blue) and c2 (a/b/c/d). Helpers write
 * batches (optionally with shifted columns), predict and log rows through
 * lib/serve, and wait for jobs and reports. Test-only; failures end the test
 * through cmocka. */
#ifndef AIA_TESTS_UNIT_MONITOR_FIXTURE_H
#define AIA_TESTS_UNIT_MONITOR_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "lib/jobs/jobs.h"
#include "lib/monitor/monitor.h"
#include "lib/serve/serve.h"
#include "lib/store/store.h"

#define MF_MODEL "churn"
#define MF_ROWS 2000

typedef struct mf {
    char dir[512];
    char train_csv[600];
    aia_store *store;
    aia_serve *serve;
    aia_jobs *jobs;
    aia_monitors *monitors;
    int version; /* the trained version of MF_MODEL */
} mf;

/* Everything up and MF_MODEL trained (version 1); poll_ms 0 = default. */
mf *mf_new(int64_t poll_ms);
/* Stops everything and removes the dir (kept when AIA_TEST_KEEP is set). */
void mf_free(mf *f);

/* Column-shift and layout options for a generated CSV. */
typedef struct mf_csv {
    size_t rows;
    uint64_t seed;
    double shift[6];       /* shift[k] is added to f<k> (k = 1..5), in sd */
    int with_target;       /* add the "y" column */
    const char *drop;      /* a column left out; NULL = none */
} mf_csv;
/* Writes a CSV under the fixture dir at name; the full path into path. */
void mf_write_csv(mf *f, const char *name, const mf_csv *c, char *path, size_t size);

/* Predicts n generated rows (seed, shift as in mf_csv) with the model's
 * default version and logs them through aia_serve_log, then flushes the
 * log. ids (may be NULL) receives the prediction ids (n * 33 bytes),
 * predicted (may be NULL) the predicted labels ("yes"/"no", static). */
void mf_predict_log(mf *f, size_t n, uint64_t seed, double shift2, char (*ids)[33], const char **predicted);

/* A spec for aia_monitors_setup over MF_MODEL with nothing else set, on the
 * stack of the caller (strings borrowed). */
void mf_spec_init(aia_drift_monitor_record *spec);

/* Polls the store until the job is SUCCEEDED (fails the test on FAILED,
 * CANCELLED or after timeout_ms). */
void mf_wait_job(mf *f, const char *job_id, int timeout_ms);

/* Reports of a monitor in the store (newest first); caller frees with
 * aia_store_records_free. */
aia_drift_report_record **mf_reports(mf *f, const char *monitor_id, size_t *n);

int64_t mf_now_ms(void);

/* The feature verdict of name in a report, NULL when absent. */
const AiaStore__V1__FeatureDrift *mf_feature(const aia_drift_report_record *r, const char *name);
int mf_has_kind(const aia_drift_report_record *r, AiaStore__V1__DriftKind kind);

#define MF_OK(expr)                                                                                  \
    do {                                                                                             \
        aia_status mf_rc_ = (expr);                                                                  \
        if (mf_rc_ != AIA_OK) fail_msg("%s -> %s: %s", #expr, aia_status_name(mf_rc_), err.message); \
    } while (0)
#define MF_FAILS(expr, code)                                                                  \
    do {                                                                                      \
        aia_status mf_rc_ = (expr);                                                           \
        if (mf_rc_ != (code))                                                                 \
            fail_msg("%s -> %s (%s), wanted %s", #expr, aia_status_name(mf_rc_),              \
                     mf_rc_ == AIA_OK ? "" : err.message, aia_status_name(code));            \
    } while (0)
/* err.message contains `needle`. */
#define MF_SAYS(needle)                                                                                 \
    do {                                                                                                \
        if (!strstr(err.message, (needle))) fail_msg("message '%s' lacks '%s'", err.message, (needle)); \
    } while (0)

#endif
