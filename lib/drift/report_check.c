/* lib/drift/report_check.c — checking a current frame against a prepared
 * reference: options resolved and frames validated first (on the caller,
 * so the first error is always the same one), then each feature's statistic,
 * in parallel on a fork-join team when asked. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/team.h"
#include "lib/drift/report.h"
#include "lib/drift/report_internal.h"

void aia_drift_options_init(aia_drift_options *opt)
{
    memset(opt, 0, sizeof *opt);
}

/* One feature's work item. */
typedef struct job {
    const aia_drift_ref_column *rc;
    const aia_column *cur;
    size_t cur_rows;
    aia_drift_test test; /* DEFAULT until chosen */
    double threshold;    /* 0 until chosen */
    aia_drift_stat stat;
    aia_status status;
    aia_error err;
} job;

static int is_missing(const aia_column *c, size_t row)
{
    return (int)(c->missing[row / 64] >> (row % 64) & 1);
}

/* ---- options ------------------------------------------------------------ */

static aia_status apply_option(const aia_drift_reference *ref, const aia_drift_feature_option *o,
                               job *jobs, unsigned char *seen, aia_error *err)
{
    const char *feature = o->feature ? o->feature : "";
    size_t i = 0;
    while (i < ref->n_columns && strcmp(ref->columns[i].name, feature) != 0) i++;
    if (i == ref->n_columns)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "drift options: feature '%s' is not one of the reference's features",
                             feature);
    if (seen[i])
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "drift options: feature '%s' has more than one override", feature);
    seen[i] = 1;
    aia_column_type type = ref->columns[i].type;
    if (o->test && o->test[0]) {
        aia_drift_test t = aia_drift_test_lookup(o->test);
        if (t == AIA_DRIFT_TEST_DEFAULT)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "drift options: feature '%s': unknown test '%s' (tests are ks, "
                                 "psi, wasserstein_normed, chi_square, jensen_shannon, "
                                 "l_infinity, z_test)",
                                 feature, o->test);
        if (!aia_drift_test_fits(t, type))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "drift options: feature '%s': test '%s' does not apply to a %s "
                                 "column (%s)",
                                 feature, o->test, aia_column_type_name(type),
                                 type == AIA_COLUMN_NUMERIC
                                     ? "numeric tests are ks, psi, wasserstein_normed"
                                     : "categorical tests are chi_square, jensen_shannon, "
                                       "l_infinity, z_test");
        jobs[i].test = t;
    }
    if (o->threshold != 0) {
        if (!isfinite(o->threshold) || o->threshold < 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "drift options: feature '%s': threshold %g must be finite and "
                                 "> 0 (0 = the test's default)",
                                 feature, o->threshold);
        jobs[i].threshold = o->threshold;
    }
    return AIA_OK;
}

static aia_status apply_options(const aia_drift_reference *ref, const aia_drift_options *opt,
                                job *jobs, aia_error *err)
{
    if (opt->n_features && !opt->features)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "drift options: %zu feature overrides but a NULL array",
                             opt->n_features);
    if (!(opt->drift_share >= 0 && opt->drift_share < 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "drift options: drift_share %g must be in [0, 1) (0 = %g)",
                             opt->drift_share, AIA_DRIFT_SHARE_THRESHOLD);
    if (opt->psi.bins < 0 || opt->psi.bins > AIA_PSI_MAX_BINS ||
        (opt->psi.binning != AIA_PSI_QUANTILE && opt->psi.binning != AIA_PSI_EQUAL_WIDTH))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "drift options: psi.bins %d must be 0 (= %d) or 1..%d, psi.binning "
                             "quantile or equal-width",
                             opt->psi.bins, AIA_PSI_DEFAULT_BINS, AIA_PSI_MAX_BINS);
    if (opt->threads < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift options: threads %d is negative",
                             opt->threads);
    unsigned char *seen = calloc(ref->n_columns, 1);
    if (!seen) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "drift options: out of memory");
    aia_status st = AIA_OK;
    for (size_t k = 0; k < opt->n_features && st == AIA_OK; k++)
        st = apply_option(ref, &opt->features[k], jobs, seen, err);
    free(seen);
    return st;
}

/* ---- the current frame ---------------------------------------------------- */

static aia_status bind_current(const aia_drift_reference *ref, const aia_frame *cur, job *jobs,
                               aia_error *err)
{
    size_t rows = aia_frame_n_rows(cur);
    const char *src = aia_frame_source(cur);
    if (rows == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift check: current frame '%s' has no rows",
                             src);
    for (size_t i = 0; i < ref->n_columns; i++) {
        const aia_drift_ref_column *rc = &ref->columns[i];
        size_t col;
        if (aia_frame_find(cur, rc->name, &col, err) != AIA_OK) {
            if (err) err->code = AIA_INVALID_ARGUMENT;
            aia_error_prefix(err, "drift check: feature '%s' missing from the current frame",
                             rc->name);
            return AIA_INVALID_ARGUMENT;
        }
        const aia_column *c = aia_frame_column(cur, col);
        if (c->type != rc->type)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "drift check: feature '%s' is %s in the reference but %s in the "
                                 "current frame '%s'",
                                 rc->name, aia_column_type_name(rc->type),
                                 aia_column_type_name(c->type), src);
        if (c->n_missing == rows)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "drift check: feature '%s' has no non-missing value in the "
                                 "current frame '%s' (all %zu rows missing)",
                                 rc->name, src, rows);
        jobs[i].rc = rc;
        jobs[i].cur = c;
        jobs[i].cur_rows = rows;
    }
    return AIA_OK;
}

/* ---- one feature ---------------------------------------------------------- */

static aia_status run_numeric(job *j, const aia_psi_options *psi)
{
    size_t n = j->cur_rows - j->cur->n_missing, k = 0;
    double *cur = malloc((n ? n : 1) * sizeof *cur);
    if (!cur)
        return aia_error_set(&j->err, AIA_RESOURCE_EXHAUSTED,
                             "drift check: out of memory copying feature '%s'", j->rc->name);
    for (size_t r = 0; r < j->cur_rows; r++)
        if (!is_missing(j->cur, r)) cur[k++] = j->cur->numeric[r];
    aia_status s = aia_drift_stat_numeric(j->rc, cur, k, psi, &j->stat, &j->err);
    free(cur);
    return s;
}

static int cmp_key(const void *key, const void *elem)
{
    return strcmp((const char *)key, *(char *const *)elem);
}

/* Union of categories: the reference's (sorted) first, then those only the
 * current frame has, in its dictionary order. */
static aia_status run_categorical(job *j)
{
    const aia_drift_ref_column *rc = j->rc;
    const aia_column *c = j->cur;
    size_t d = c->type == AIA_COLUMN_BOOLEAN ? 2 : c->dictionary_size, m = rc->n_categories;
    int64_t *per_code = calloc(d + 1, sizeof *per_code);
    int64_t *ref_counts = calloc(m + d + 1, sizeof *ref_counts);
    int64_t *cur_counts = calloc(m + d + 1, sizeof *cur_counts);
    const char **names = calloc(m + d + 1, sizeof *names);
    aia_status s;
    if (!per_code || !ref_counts || !cur_counts || !names) {
        s = aia_error_set(&j->err, AIA_RESOURCE_EXHAUSTED,
                          "drift check: out of memory counting feature '%s'", rc->name);
        goto done;
    }
    for (size_t r = 0; r < j->cur_rows; r++) {
        if (is_missing(c, r)) continue;
        per_code[c->type == AIA_COLUMN_BOOLEAN ? c->boolean[r] != 0 : (size_t)c->codes[r]]++;
    }
    memcpy(ref_counts, rc->counts, m * sizeof *ref_counts);
    for (size_t i = 0; i < m; i++) names[i] = rc->categories[i];
    size_t n = m;
    for (size_t code = 0; code < d; code++) {
        if (per_code[code] == 0) continue;
        if (c->type == AIA_COLUMN_BOOLEAN) { /* reference holds false, true */
            cur_counts[code] = per_code[code];
            continue;
        }
        char *const *hit = bsearch(c->dictionary[code], rc->categories, m, sizeof *rc->categories,
                                   cmp_key);
        size_t at = hit ? (size_t)(hit - rc->categories) : n++;
        if (!hit) names[at] = c->dictionary[code];
        cur_counts[at] += per_code[code];
    }
    size_t first = 0;
    int have = 0;
    for (size_t i = 0; i < n; i++) {
        if (ref_counts[i] + cur_counts[i] == 0) continue;
        if (!have || strcmp(names[i], names[first]) < 0) first = i;
        have = 1;
    }
    s = aia_drift_stat_counts(rc, ref_counts, cur_counts, n, first, &j->stat, &j->err);
done:
    free(per_code);
    free(ref_counts);
    free(cur_counts);
    free(names);
    return s;
}

static void run_job(job *j, const aia_psi_options *psi)
{
    j->stat.test = j->test;
    j->status = j->rc->type == AIA_COLUMN_NUMERIC ? run_numeric(j, psi) : run_categorical(j);
}

typedef struct team_arg {
    job *jobs;
    size_t n;
    const aia_psi_options *psi;
} team_arg;

static void team_part(void *arg, int part, int n_parts)
{
    team_arg *a = arg;
    for (size_t i = (size_t)part; i < a->n; i += (size_t)n_parts) run_job(&a->jobs[i], a->psi);
}

static aia_status run_all(job *jobs, size_t n, const aia_drift_options *opt, aia_error *err)
{
    team_arg a = {jobs, n, &opt->psi};
    int threads = opt->threads > 1 ? opt->threads : 1;
    if ((size_t)threads > n) threads = (int)n;
    if (threads <= 1) {
        team_part(&a, 0, 1);
        return AIA_OK;
    }
    aia_team *team;
    aia_status s = aia_team_create(threads, &team, err);
    if (s != AIA_OK) return s;
    aia_team_run(team, team_part, &a);
    aia_team_destroy(team);
    return AIA_OK;
}

/* ---- the report ----------------------------------------------------------- */

static aia_status fill_report(const job *jobs, size_t n, const aia_drift_options *opt,
                              aia_drift_report *rep, aia_error *err)
{
    for (size_t i = 0; i < n; i++) {
        const job *j = &jobs[i];
        aia_drift_feature_result *f = &rep->features[i];
        f->name = strdup(j->rc->name);
        if (!f->name)
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "drift check: out of memory");
        f->test = aia_drift_test_name(j->stat.test);
        f->type = j->rc->type;
        f->statistic = j->stat.statistic;
        f->p_value = j->stat.p_value;
        f->threshold = j->threshold > 0 ? j->threshold : aia_drift_test_default_threshold(j->stat.test);
        f->drifted = aia_drift_test_has_p_value(j->stat.test) ? f->p_value < f->threshold
                                                              : f->statistic >= f->threshold;
        f->ref_rows = j->rc->rows;
        f->ref_missing = j->rc->missing;
        f->cur_rows = j->cur_rows;
        f->cur_missing = j->cur->n_missing;
        rep->n_drifted += f->drifted != 0;
    }
    rep->drifted_share = (double)rep->n_drifted / (double)n;
    rep->share_threshold = opt->drift_share > 0 ? opt->drift_share : AIA_DRIFT_SHARE_THRESHOLD;
    rep->dataset_drifted = rep->drifted_share > rep->share_threshold;
    return AIA_OK;
}

static aia_status check(const aia_drift_reference *ref, const aia_frame *current,
                        const aia_drift_options *opt, job *jobs, aia_drift_report **out,
                        aia_error *err)
{
    aia_status s = apply_options(ref, opt, jobs, err);
    if (s == AIA_OK) s = bind_current(ref, current, jobs, err);
    if (s == AIA_OK) s = run_all(jobs, ref->n_columns, opt, err);
    if (s != AIA_OK) return s;
    for (size_t i = 0; i < ref->n_columns; i++)
        if (jobs[i].status != AIA_OK) {
            if (err) *err = jobs[i].err;
            return jobs[i].status;
        }
    aia_drift_report *rep = calloc(1, sizeof *rep);
    if (rep) rep->features = calloc(ref->n_columns, sizeof *rep->features);
    if (!rep || !rep->features) {
        free(rep);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "drift check: out of memory");
    }
    rep->n_features = ref->n_columns;
    s = fill_report(jobs, ref->n_columns, opt, rep, err);
    if (s != AIA_OK) {
        aia_drift_report_free(rep);
        return s;
    }
    *out = rep;
    return AIA_OK;
}

aia_status aia_drift_check(const aia_drift_reference *ref, const aia_frame *current,
                           const aia_drift_options *opt, aia_drift_report **out, aia_error *err)
{
    if (!ref || !current || !out)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "drift check: NULL argument");
    *out = NULL;
    aia_drift_options defaults;
    aia_drift_options_init(&defaults);
    job *jobs = calloc(ref->n_columns, sizeof *jobs);
    if (!jobs) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "drift check: out of memory");
    aia_status s = check(ref, current, opt ? opt : &defaults, jobs, out, err);
    free(jobs);
    return s;
}

void aia_drift_report_free(aia_drift_report *report)
{
    if (!report) return;
    for (size_t i = 0; report->features && i < report->n_features; i++)
        free(report->features[i].name);
    free(report->features);
    free(report);
}
