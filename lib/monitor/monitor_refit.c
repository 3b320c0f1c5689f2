/* lib/monitor/monitor_refit.c — the preprocessing refit a data-drift
 * report may set off: the checked version's imputation and scaling
 * statistics refitted on the current window (lib/ml keeps the trained
 * learner and the input layout), stored as a new artifact and published as
 * a new version with lineage preprocessing_only, trigger DRIFT and
 * trigger_id = the report. No training job runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/ml/model_file.h"
#include "lib/monitor/monitor_internal.h"
#include "lib/store/artifacts.h"

/* Observed values an input needs in the window to be refitted. */
#define REFIT_MIN_ROWS 30

static aia_status refit_bytes(aia_monitors *m, const aia_version_record *v, const aia_frame *current,
                              const char *report_id, uint8_t **bytes, size_t *len, aia_error *err)
{
    aia_served *h = NULL;
    if (aia_serve_acquire_version(m->opt.serve, v->model_id, v->version, &h, err) != AIA_OK) return err->code;
    aia_model *refit = NULL;
    size_t changed = 0;
    aia_status st = aia_model_refit_preprocess(aia_served_model(h), current, REFIT_MIN_ROWS, &refit, &changed, err);
    aia_served_release(h);
    if (st == AIA_OK && changed == 0)
        st = aia_error_set(err, AIA_FAILED_PRECONDITION,
                           "refitting changed no statistic of %s@%d: none of its imputed or standardised inputs has "
                           "%d observed values in the window, or it has none (a GBDT keeps missing values as they "
                           "are and does not standardise), so no version was published",
                           v->model_id, v->version, REFIT_MIN_ROWS);
    char parent[AIA_STORE_ID_MAX + 16];
    snprintf(parent, sizeof parent, "%s@%d", v->model_id, v->version);
    const aia_model_meta meta[] = {
        {"refit_of", parent},
        {"drift_report_id", report_id},
        {"algorithm", v->algorithm},
        {"target", v->lineage ? v->lineage->target_column : ""},
    };
    if (st == AIA_OK) st = aia_model_to_bytes(refit, meta, sizeof meta / sizeof meta[0], bytes, len, err);
    aia_model_free(refit);
    return st;
}

aia_status mon_refit(aia_monitors *m, const aia_version_record *v, const aia_frame *current, const char *report_id,
                     int *new_version, aia_error *err)
{
    *new_version = 0;
    if (!v->lineage) return aia_error_set(err, AIA_FAILED_PRECONDITION, "%s@%d has no lineage", v->model_id, v->version);
    uint8_t *bytes = NULL;
    size_t len = 0;
    if (refit_bytes(m, v, current, report_id, &bytes, &len, err) != AIA_OK) return err->code;
    char hex[AIA_SHA256_HEX_LEN + 1];
    aia_status st = aia_artifact_put(m->data_dir, bytes, len, hex, err);
    free(bytes);
    if (st != AIA_OK) return st;
    char desc[256];
    snprintf(desc, sizeof desc, "preprocessing of %s@%d refitted on live data after drift report %s", v->model_id,
             v->version, report_id);
    AiaStore__V1__Lineage lineage = *v->lineage;
    lineage.job_id = "";
    lineage.preprocessing_only = 1;
    lineage.trigger = AIA_STORE__V1__TRIGGER__TRIGGER_DRIFT;
    lineage.trigger_id = (char *)report_id;
    lineage.parent_version = v->version;
    aia_version_record out = *v;
    out.lineage = &lineage;
    out.description = desc;
    out.n_tags = 0;
    out.create_time = NULL;
    out.artifact_sha256 = hex;
    out.artifact_size_bytes = (int64_t)len;
    return aia_store_version_derive(m->opt.store, &out, new_version, err);
}
