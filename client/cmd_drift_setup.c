/* client/cmd_drift_setup.c — `aia drift setup` options into a
 * SetupDriftMonitoringRequest (see cmd_drift.h).
 *
 * Per-feature settings come as FEATURE=VALUE options (--test, --threshold)
 * and are merged into one DriftFeatureOverride per feature. What can be
 * known here is checked here: test names, threshold ranges (a p-value
 * threshold must lie below 1), durations, actions, webhook schemes, and that
 * an overridden feature is among --features when that list is given; what
 * the server alone knows (the model's columns) is its to say.
 */
#include <math.h>
#include <string.h>

#include "client/cli_request.h"
#include "client/cmd_drift.h"
#include "lib/data/number.h"

/* A year: no schedule or cooldown is meant to be longer. */
#define MAX_DURATION_NS (366LL * 86400 * 1000000000LL)

static const char *const k_tests[] = {"ks", "psi", "wasserstein_normed", "chi_square", "jensen_shannon",
                                      "l_infinity", "z_test", NULL};
/* The tests whose threshold is a p-value: drift when p < threshold. */
static const char *const k_p_value_tests[] = {"ks", "chi_square", "z_test", NULL};

static int in_list(const char *const *list, const char *s)
{
    for (const char *const *p = list; *p; p++)
        if (strcmp(*p, s) == 0) return 1;
    return 0;
}

int aia_cli_drift_parse_double(const char *what, const char *s, double lo, double hi, int open, double *out,
                               aia_error *err)
{
    double v = 0;
    int ok = s && *s && aia_number_parse(s, strlen(s), &v) == AIA_NUMBER_OK && isfinite(v) &&
             (open ? v > lo && v < hi : v >= lo && v <= hi);
    if (ok) {
        *out = v;
        return 0;
    }
    char range[96] = "";
    if (isfinite(lo) && isfinite(hi))
        snprintf(range, sizeof range, " %s %g and %s %g", open ? "above" : "from", lo, open ? "below" : "to", hi);
    else if (isfinite(lo))
        snprintf(range, sizeof range, " %s %g", open ? "above" : "of at least", lo);
    aia_error_set(err, AIA_INVALID_ARGUMENT, "invalid %s \"%s\": expected a finite number%s", what, s ? s : "", range);
    return -1;
}

/* "30s", "10m", "1h30m", "500ms", "2d": whole numbers with units, summed. */
static int parse_duration(const char *what, const char *s, int allow_zero, Google__Protobuf__Duration *d,
                          aia_error *err)
{
    static const struct { const char *unit; long long ns; } units[] = {
        {"ms", 1000000LL}, {"s", 1000000000LL}, {"m", 60000000000LL}, {"h", 3600000000000LL},
        {"d", 86400000000000LL},
    };
    long long total = 0;
    const char *p = s;
    int ok = *p != '\0';
    while (ok && *p) {
        long long n = 0;
        const char *digits = p;
        while (*p >= '0' && *p <= '9' && n <= MAX_DURATION_NS) n = n * 10 + (*p++ - '0');
        size_t k = 0, nu = sizeof units / sizeof units[0];
        while (k < nu && strncmp(p, units[k].unit, strlen(units[k].unit)) != 0) k++;
        ok = p > digits && k < nu && n <= MAX_DURATION_NS / units[k].ns;
        if (ok) {
            total += n * units[k].ns;
            p += strlen(units[k].unit);
            ok = total <= MAX_DURATION_NS;
        }
    }
    if (!ok || (!allow_zero && total == 0)) {
        aia_error_set(err, AIA_INVALID_ARGUMENT,
                      "invalid %s \"%s\": expected a %sduration of at most 366d such as 30s, 10m, 1h30m or 500ms",
                      what, s, allow_zero ? "" : "non-zero ");
        return -1;
    }
    d->seconds = total / 1000000000LL;
    d->nanos = (int32_t)(total % 1000000000LL);
    return 0;
}

/* "alert", "refit", "retrain", comma-separated, each at most once. */
static int parse_actions(aia_arena *ar, const char *what, const char *s, Aia__V1__DriftAction **out, size_t *n,
                         aia_error *err)
{
    char **names;
    size_t count;
    if (aia_cli_split_list(what, s, &names, &count, err) != 0) return -1;
    Aia__V1__DriftAction *v = aia_arena_calloc(ar, count, sizeof *v);
    int rc = v ? 0 : (aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory"), -1);
    for (size_t i = 0; rc == 0 && i < count; i++) {
        const char *a = names[i];
        v[i] = strcmp(a, "alert") == 0     ? AIA__V1__DRIFT_ACTION__DRIFT_ACTION_NONE
               : strcmp(a, "refit") == 0   ? AIA__V1__DRIFT_ACTION__DRIFT_ACTION_REFIT_PREPROCESSING
               : strcmp(a, "retrain") == 0 ? AIA__V1__DRIFT_ACTION__DRIFT_ACTION_RETRAIN
                                           : AIA__V1__DRIFT_ACTION__DRIFT_ACTION_UNSPECIFIED;
        if (v[i] == AIA__V1__DRIFT_ACTION__DRIFT_ACTION_UNSPECIFIED)
            rc = (aia_error_set(err, AIA_INVALID_ARGUMENT,
                                "invalid %s \"%s\": expected alert, refit or retrain (comma-separated)", what, a),
                  -1);
        for (size_t k = 0; rc == 0 && k < i; k++)
            if (v[k] == v[i]) rc = (aia_error_set(err, AIA_INVALID_ARGUMENT, "%s names %s twice", what, a), -1);
        if (rc == 0 && v[i] == AIA__V1__DRIFT_ACTION__DRIFT_ACTION_NONE && count > 1)
            rc = (aia_error_set(err, AIA_INVALID_ARGUMENT,
                                "%s \"%s\": alert means no action beyond the alert; it cannot be combined with "
                                "refit or retrain",
                                what, s),
                  -1);
    }
    aia_cli_strv_free(names);
    if (rc == 0) {
        *out = v;
        *n = count;
    }
    return rc;
}

/* The override of `feature` in req, created on first use. */
static Aia__V1__DriftFeatureOverride *override_of(aia_arena *ar, Aia__V1__SetupDriftMonitoringRequest *req,
                                                  const char *feature, size_t len, aia_error *err)
{
    for (size_t i = 0; i < req->n_feature_overrides; i++) {
        const char *k = req->feature_overrides[i]->key;
        if (strlen(k) == len && memcmp(k, feature, len) == 0) return req->feature_overrides[i]->value;
    }
    Aia__V1__SetupDriftMonitoringRequest__FeatureOverridesEntry *e =
        (Aia__V1__SetupDriftMonitoringRequest__FeatureOverridesEntry *)aia_cli_map_append(
            ar, &req->base, "feature_overrides", feature, len, err);
    Aia__V1__DriftFeatureOverride *o = e ? aia_arena_alloc(ar, sizeof *o) : NULL;
    if (!o) {
        if (e) aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    aia__v1__drift_feature_override__init(o);
    e->value = o;
    return o;
}

/* FEATURE must be among --features when that list was given. */
static int check_listed(const Aia__V1__SetupDriftMonitoringRequest *req, const char *what, const char *v,
                        size_t len, aia_error *err)
{
    if (!req->n_feature_columns) return 0;
    for (size_t i = 0; i < req->n_feature_columns; i++)
        if (strlen(req->feature_columns[i]) == len && memcmp(req->feature_columns[i], v, len) == 0) return 0;
    aia_error_set(err, AIA_INVALID_ARGUMENT, "%s %s: feature %.*s is not among --features", what, v, (int)len, v);
    return -1;
}

static int build_tests(aia_arena *ar, const aia_cli_sub *s, Aia__V1__SetupDriftMonitoringRequest *req,
                       aia_error *err)
{
    size_t pos = 0;
    for (const char *v; (v = aia_cli_opt_next(s, "--test", &pos));) {
        size_t klen;
        const char *test;
        if (aia_cli_parse_kv("--test", v, &klen, &test, err) != 0 || check_listed(req, "--test", v, klen, err) != 0)
            return -1;
        if (!in_list(k_tests, test))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "invalid --test %s: unknown test \"%s\"; expected ks, psi, wasserstein_normed, "
                                 "chi_square, jensen_shannon, l_infinity or z_test",
                                 v, test),
                   -1;
        Aia__V1__DriftFeatureOverride *o = override_of(ar, req, v, klen, err);
        if (!o) return -1;
        if (*o->test)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "--test gives feature %.*s twice", (int)klen, v), -1;
        o->test = (char *)test;
    }
    return 0;
}

/* After build_tests: a p-value threshold is checked against (0, 1). */
static int build_thresholds(aia_arena *ar, const aia_cli_sub *s, Aia__V1__SetupDriftMonitoringRequest *req,
                            aia_error *err)
{
    size_t pos = 0;
    for (const char *v; (v = aia_cli_opt_next(s, "--threshold", &pos));) {
        size_t klen;
        const char *text;
        if (aia_cli_parse_kv("--threshold", v, &klen, &text, err) != 0 ||
            check_listed(req, "--threshold", v, klen, err) != 0)
            return -1;
        Aia__V1__DriftFeatureOverride *o = override_of(ar, req, v, klen, err);
        if (!o) return -1;
        if (o->threshold)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "--threshold gives feature %.*s twice", (int)klen, v), -1;
        int p_value = *o->test && in_list(k_p_value_tests, o->test);
        char what[200];
        snprintf(what, sizeof what, "--threshold for %.*s%s%s", (int)(klen < 100 ? klen : 100), v,
                 p_value ? " (a p-value, test " : "", p_value ? o->test : "");
        if (p_value) strncat(what, ")", sizeof what - strlen(what) - 1);
        double x;
        if (aia_cli_drift_parse_double(what, text, 0, p_value ? 1 : INFINITY, 1, &x, err) != 0) return -1;
        Google__Protobuf__DoubleValue *dv = aia_arena_alloc(ar, sizeof *dv);
        if (!dv) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory"), -1;
        google__protobuf__double_value__init(dv);
        dv->value = x;
        o->threshold = dv;
    }
    return 0;
}

static int build_features(aia_arena *ar, const aia_cli_sub *s, Aia__V1__SetupDriftMonitoringRequest *req,
                          aia_error *err)
{
    const char *list = aia_cli_opt(s, "--features");
    if (!list) return 0;
    char **names;
    size_t n;
    if (aia_cli_split_list("--features", list, &names, &n, err) != 0) return -1;
    int rc = 0;
    req->feature_columns = aia_arena_calloc(ar, n, sizeof(char *));
    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (size_t k = 0; k < i; k++)
            if (strcmp(names[k], names[i]) == 0)
                rc = (aia_error_set(err, AIA_INVALID_ARGUMENT, "--features names %s twice", names[i]), -1);
        if (rc == 0 && !(req->feature_columns && (req->feature_columns[i] = aia_arena_strdup(ar, names[i]))))
            rc = (aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory"), -1);
    }
    aia_cli_strv_free(names);
    if (rc == 0) req->n_feature_columns = n;
    return rc;
}

static int build_webhooks(aia_arena *ar, const aia_cli_sub *s, Aia__V1__DriftActions *act, aia_error *err)
{
    size_t pos = 0, n = 0;
    while (aia_cli_opt_next(s, "--webhook", &pos)) n++;
    if (!n) return 0;
    if (!(act->webhook_urls = aia_arena_calloc(ar, n, sizeof(char *))))
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory"), -1;
    pos = 0;
    for (const char *v; (v = aia_cli_opt_next(s, "--webhook", &pos));) {
        if ((strncmp(v, "http://", 7) != 0 || !v[7]) && (strncmp(v, "https://", 8) != 0 || !v[8]))
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "invalid --webhook \"%s\": expected an http:// or https:// URL", v),
                   -1;
        act->webhook_urls[act->n_webhook_urls++] = (char *)v;
    }
    return 0;
}

/* --on-*-drift, --webhook, --cooldown; req->actions stays NULL when none
 * was given, so that the server's defaults apply. */
static int build_actions(aia_arena *ar, const aia_cli_sub *s, Aia__V1__SetupDriftMonitoringRequest *req,
                         aia_error *err)
{
    Aia__V1__DriftActions *act = aia_arena_alloc(ar, sizeof *act);
    Google__Protobuf__Duration *cooldown = aia_arena_alloc(ar, sizeof *cooldown);
    if (!act || !cooldown) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory"), -1;
    aia__v1__drift_actions__init(act);
    google__protobuf__duration__init(cooldown);
    const char *data = aia_cli_opt(s, "--on-data-drift"), *concept = aia_cli_opt(s, "--on-concept-drift"),
               *pred = aia_cli_opt(s, "--on-prediction-drift"), *cool = aia_cli_opt(s, "--cooldown");
    if ((data && parse_actions(ar, "--on-data-drift", data, &act->on_data_drift, &act->n_on_data_drift, err)) ||
        (concept &&
         parse_actions(ar, "--on-concept-drift", concept, &act->on_concept_drift, &act->n_on_concept_drift, err)) ||
        (pred && parse_actions(ar, "--on-prediction-drift", pred, &act->on_prediction_drift,
                               &act->n_on_prediction_drift, err)) ||
        (cool && parse_duration("--cooldown", cool, 1, cooldown, err)) || build_webhooks(ar, s, act, err))
        return -1;
    if (cool) act->cooldown = cooldown;
    if (data || concept || pred || cool || act->n_webhook_urls) req->actions = act;
    return 0;
}

static int build_numbers(aia_arena *ar, const aia_cli_sub *s, Aia__V1__SetupDriftMonitoringRequest *req,
                         aia_error *err)
{
    long long window = 0, version = 0;
    if (aia_cli_opt_int(s, "--window-size", 1, INT32_MAX, &window, err) ||
        aia_cli_opt_int(s, "--version", 1, INT32_MAX, &version, err))
        return -1;
    req->window_size = (int32_t)window;
    req->model_version = (int32_t)version;
    const char *share = aia_cli_opt(s, "--drift-share"), *tol = aia_cli_opt(s, "--concept-tolerance"),
               *interval = aia_cli_opt(s, "--check-interval");
    if ((share && aia_cli_drift_parse_double("--drift-share", share, 0, 1, 1, &req->drift_share_threshold, err)) ||
        (tol &&
         aia_cli_drift_parse_double("--concept-tolerance", tol, 0, INFINITY, 1, &req->concept_drift_tolerance, err)))
        return -1;
    if (interval) {
        Google__Protobuf__Duration *d = aia_arena_alloc(ar, sizeof *d);
        if (!d) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory"), -1;
        google__protobuf__duration__init(d);
        if (parse_duration("--check-interval", interval, 0, d, err) != 0) return -1;
        req->check_interval = d;
    }
    return 0;
}

int aia_cli_drift_build_setup(aia_arena *ar, const aia_cli_sub *s, Aia__V1__SetupDriftMonitoringRequest *req,
                              aia_error *err)
{
    req->model_id = (char *)s->args[0];
    const char *ref = aia_cli_opt(s, "--reference");
    if (ref && !*ref)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "--reference is empty: give a CSV path or URI, or leave it out for the training data"),
               -1;
    if (ref) req->reference_data_uri = (char *)aia_cli_data_uri(ar, ref);
    req->concept_drift_metric = (char *)aia_cli_opt_or(s, "--concept-metric", "");
    if (aia_cli_opt(s, "--concept-metric") && !*req->concept_drift_metric)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "--concept-metric is empty: name a metric, e.g. accuracy"),
               -1;
    if (build_features(ar, s, req, err) || build_tests(ar, s, req, err) || build_thresholds(ar, s, req, err) ||
        build_numbers(ar, s, req, err) || build_actions(ar, s, req, err) ||
        aia_cli_map_from_options(ar, &req->base, "labels", s, "--label", err))
        return -1;
    return 0;
}
