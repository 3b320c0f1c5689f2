/* lib/serve/serve_endpoints.c — endpoint changes: create, deploy, split,
 * undeploy, rollback. Each validates against the endpoint as stored, then
 * writes one new revision with aia_store_endpoint_update() expecting the
 * revision it read, so two concurrent changes cannot both win (the loser
 * gets ABORTED). Records are assembled from borrowed pointers into the
 * records read; nothing here is kept beyond the call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/serve/serve_internal.h"
#include "lib/serve/serve_split.h"

static void set_time(serve_time *t, int64_t ns)
{
    aia_store__v1__time__init(t);
    t->seconds = ns / 1000000000LL;
    t->nanos = (int32_t)(ns % 1000000000LL);
}

static aia_status get_endpoint(aia_serve *s, const char *endpoint_id, aia_endpoint_record **out, aia_error *err)
{
    *out = NULL;
    aia_status st = aia_store_check_id("endpoint_id", endpoint_id, err);
    if (st != AIA_OK) return st;
    st = aia_store_endpoint_get(s->store, endpoint_id, out, err);
    if (st == AIA_NOT_FOUND) return aia_error_set(err, AIA_NOT_FOUND, "endpoint '%s' not found", endpoint_id);
    if (st == AIA_OK && (*out)->n_deployments > SERVE_MAX_DEPLOYMENTS) {
        aia_store_record_free(*out);
        *out = NULL;
        return aia_error_set(err, AIA_INTERNAL, "endpoint '%s' holds more than %d deployments", endpoint_id,
                             SERVE_MAX_DEPLOYMENTS);
    }
    return st;
}

static void give(aia_endpoint_record *r, aia_endpoint_record **out)
{
    if (out) *out = r;
    else aia_store_record_free(r);
}

/* Writes cur's metadata with deployments deps[0..n) (their
 * traffic_percent set) as the revision after cur's. */
static aia_status write_revision(aia_serve *s, const aia_endpoint_record *cur, aia_deployment_record **deps, size_t n,
                                 aia_endpoint_record **out, aia_error *err)
{
    serve_split_entry entries[SERVE_MAX_DEPLOYMENTS], *split[SERVE_MAX_DEPLOYMENTS];
    aia_endpoint_record w = *cur; /* borrowed fields; the store only reads */
    for (size_t i = 0; i < n; i++) {
        aia_store__v1__endpoint__traffic_split_entry__init(&entries[i]);
        entries[i].key = deps[i]->deployment_id;
        entries[i].value = deps[i]->traffic_percent;
        split[i] = &entries[i];
    }
    serve_time now;
    set_time(&now, aia_time_now_ns());
    w.deployments = n ? deps : NULL;
    w.n_deployments = n;
    w.traffic_split = n ? split : NULL;
    w.n_traffic_split = n;
    w.update_time = &now;
    aia_endpoint_record *stored = NULL;
    aia_status st = aia_store_endpoint_update(s->store, &w, cur->revision, &stored, err);
    if (st == AIA_OK) give(stored, out);
    return st;
}

/* ---- create ---------------------------------------------------------------------- */

aia_status aia_serve_endpoint_create(aia_serve *s, const char *endpoint_id, const char *display_name,
                                     const char *description, const char *const *label_keys,
                                     const char *const *label_values, size_t n_labels, aia_endpoint_record **out,
                                     aia_error *err)
{
    if (out) *out = NULL;
    char id[AIA_STORE_ID_MAX + 1];
    if (!endpoint_id || !*endpoint_id) snprintf(id, sizeof id, "ep-%012llx", (unsigned long long)(serve_random64() >> 16));
    else snprintf(id, sizeof id, "%s", endpoint_id);
    aia_status st = aia_store_check_id("endpoint_id", endpoint_id && *endpoint_id ? endpoint_id : id, err);
    if (st != AIA_OK) return st;
    if (n_labels > 0 && (!label_keys || !label_values))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "endpoint '%s': %zu labels without keys or values", id, n_labels);
    serve_label_entry *entries = calloc(n_labels ? n_labels : 1, sizeof *entries);
    serve_label_entry **labels = calloc(n_labels ? n_labels : 1, sizeof *labels);
    if (!entries || !labels) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "endpoint '%s': out of memory", id);
    for (size_t i = 0; st == AIA_OK && i < n_labels; i++) {
        if (!label_keys[i] || !*label_keys[i])
            st = aia_error_set(err, AIA_INVALID_ARGUMENT, "endpoint '%s': label %zu has an empty key", id, i);
        aia_store__v1__endpoint__labels_entry__init(&entries[i]);
        entries[i].key = (char *)label_keys[i];
        entries[i].value = (char *)(label_values[i] ? label_values[i] : "");
        labels[i] = &entries[i];
    }
    if (st == AIA_OK) {
        aia_endpoint_record e;
        serve_time now;
        aia_store__v1__endpoint__init(&e);
        set_time(&now, aia_time_now_ns());
        e.endpoint_id = id;
        e.display_name = (char *)(display_name ? display_name : "");
        e.description = (char *)(description ? description : "");
        e.labels = n_labels ? labels : NULL;
        e.n_labels = n_labels;
        e.revision = 1;
        e.create_time = e.update_time = &now;
        st = aia_store_endpoint_create(s->store, &e, err);
    }
    free(entries);
    free(labels);
    if (st != AIA_OK) return st;
    aia_endpoint_record *stored;
    st = aia_store_endpoint_get(s->store, id, &stored, err);
    if (st == AIA_OK) give(stored, out);
    return st;
}

/* ---- deploy ---------------------------------------------------------------------- */

static long find_deployment(const aia_endpoint_record *e, const char *deployment_id)
{
    for (size_t i = 0; i < e->n_deployments; i++)
        if (strcmp(e->deployments[i]->deployment_id, deployment_id) == 0) return (long)i;
    return -1;
}

aia_status aia_serve_deploy(aia_serve *s, const char *endpoint_id, const char *model_ref, int traffic_percent,
                            aia_endpoint_record **out, aia_error *err)
{
    if (out) *out = NULL;
    if (traffic_percent < 0 || traffic_percent > 100)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "traffic_percent %d is outside 0..100", traffic_percent);
    aia_endpoint_record *cur;
    aia_status st = get_endpoint(s, endpoint_id, &cur, err);
    if (st != AIA_OK) return st;
    aia_served *h = NULL;
    st = aia_serve_acquire(s, model_ref, &h, err); /* resolves, and proves the artifact loads */
    size_t n = cur->n_deployments;
    if (st == AIA_OK && find_deployment(cur, h->key) >= 0)
        st = aia_error_set(err, AIA_ALREADY_EXISTS, "deployment '%s' already exists on endpoint '%s'", h->key, endpoint_id);
    if (st == AIA_OK && n >= SERVE_MAX_DEPLOYMENTS)
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "endpoint '%s' already holds %d deployments", endpoint_id,
                           SERVE_MAX_DEPLOYMENTS);
    if (st == AIA_OK) {
        int p = n == 0 ? 100 : traffic_percent, old[SERVE_MAX_DEPLOYMENTS], shares[SERVE_MAX_DEPLOYMENTS];
        aia_deployment_record *deps[SERVE_MAX_DEPLOYMENTS + 1], d;
        serve_time now;
        for (size_t i = 0; i < n; i++) old[i] = cur->deployments[i]->traffic_percent;
        serve_largest_remainder(old, n, 100 - p, shares);
        for (size_t i = 0; i < n; i++) {
            deps[i] = cur->deployments[i];
            deps[i]->traffic_percent = shares[i];
        }
        aia_store__v1__deployment__init(&d);
        set_time(&now, aia_time_now_ns());
        d.deployment_id = h->key;
        d.endpoint_id = cur->endpoint_id;
        d.model_id = h->model_id;
        d.model_version = h->version;
        d.traffic_percent = p;
        d.deploy_time = &now;
        deps[n] = &d;
        st = write_revision(s, cur, deps, n + 1, out, err);
    }
    aia_served_release(h);
    aia_store_record_free(cur);
    return st;
}

/* ---- split and undeploy ---------------------------------------------------------- */

aia_status aia_serve_split(aia_serve *s, const char *endpoint_id, const char *const *deployment_ids,
                           const int *percents, size_t n, int expected_revision, aia_endpoint_record **out,
                           aia_error *err)
{
    if (out) *out = NULL;
    aia_endpoint_record *cur;
    aia_status st = get_endpoint(s, endpoint_id, &cur, err);
    if (st != AIA_OK) return st;
    const char *names[SERVE_MAX_DEPLOYMENTS];
    int shares[SERVE_MAX_DEPLOYMENTS];
    for (size_t i = 0; i < cur->n_deployments; i++) names[i] = cur->deployments[i]->deployment_id;
    if (expected_revision != 0 && expected_revision != cur->revision)
        st = aia_error_set(err, AIA_ABORTED, "endpoint '%s' is at revision %d, not the expected %d", endpoint_id,
                           cur->revision, expected_revision);
    else if (cur->n_deployments == 0)
        st = aia_error_set(err, AIA_FAILED_PRECONDITION, "endpoint '%s' has no deployments to split traffic over",
                           endpoint_id);
    else
        st = serve_split_check(endpoint_id, names, cur->n_deployments, deployment_ids, percents, n, shares, err);
    if (st == AIA_OK) {
        for (size_t i = 0; i < cur->n_deployments; i++) cur->deployments[i]->traffic_percent = shares[i];
        st = write_revision(s, cur, cur->deployments, cur->n_deployments, out, err);
    }
    aia_store_record_free(cur);
    return st;
}

aia_status aia_serve_undeploy(aia_serve *s, const char *endpoint_id, const char *deployment_id,
                              const char *const *deployment_ids, const int *percents, size_t n,
                              aia_endpoint_record **out, aia_error *err)
{
    if (out) *out = NULL;
    aia_endpoint_record *cur;
    aia_status st = get_endpoint(s, endpoint_id, &cur, err);
    if (st != AIA_OK) return st;
    long gone = find_deployment(cur, deployment_id ? deployment_id : "");
    aia_deployment_record *rest[SERVE_MAX_DEPLOYMENTS];
    const char *names[SERVE_MAX_DEPLOYMENTS];
    int old[SERVE_MAX_DEPLOYMENTS], shares[SERVE_MAX_DEPLOYMENTS];
    size_t m = 0;
    if (gone < 0) {
        st = aia_error_set(err, AIA_NOT_FOUND, "endpoint '%s' has no deployment '%s'", endpoint_id,
                           deployment_id ? deployment_id : "");
    } else {
        for (size_t i = 0; i < cur->n_deployments; i++) {
            if ((long)i == gone) continue;
            rest[m] = cur->deployments[i];
            names[m] = rest[m]->deployment_id;
            old[m++] = cur->deployments[i]->traffic_percent;
        }
        if (n == 0) serve_largest_remainder(old, m, 100, shares);
        else st = serve_split_check(endpoint_id, names, m, deployment_ids, percents, n, shares, err);
    }
    if (st == AIA_OK) {
        for (size_t i = 0; i < m; i++) rest[i]->traffic_percent = shares[i];
        st = write_revision(s, cur, rest, m, out, err);
    }
    aia_store_record_free(cur);
    return st;
}

/* ---- rollback -------------------------------------------------------------------- */

/* Every version `e` deploys must still be READY. */
static aia_status check_versions(aia_serve *s, const aia_endpoint_record *e, int revision, aia_error *err)
{
    for (size_t i = 0; i < e->n_deployments; i++) {
        const aia_deployment_record *d = e->deployments[i];
        aia_version_record *v = NULL;
        aia_error e2;
        aia_status st = aia_store_version_get(s->store, d->model_id, d->model_version, &v, &e2);
        int deleted = st == AIA_NOT_FOUND || (st == AIA_OK && v->state != AIA_STORE__V1__VERSION_STATE__VERSION_READY);
        aia_store_record_free(v);
        if (deleted)
            return aia_error_set(err, AIA_FAILED_PRECONDITION,
                                 "endpoint '%s' cannot roll back to revision %d: its deployment '%s' serves model %s "
                                 "version %d, which has been deleted",
                                 e->endpoint_id, revision, d->deployment_id, d->model_id, d->model_version);
        if (st != AIA_OK) {
            if (err) *err = e2;
            return st;
        }
    }
    return AIA_OK;
}

aia_status aia_serve_rollback(aia_serve *s, const char *endpoint_id, int revision, aia_endpoint_record **out,
                              aia_error *err)
{
    if (out) *out = NULL;
    aia_endpoint_record *cur, *old = NULL;
    aia_status st = get_endpoint(s, endpoint_id, &cur, err);
    if (st != AIA_OK) return st;
    int target = revision == 0 ? cur->revision - 1 : revision;
    if (revision < 0 || (revision > 0 && revision >= cur->revision))
        st = aia_error_set(err, AIA_INVALID_ARGUMENT, "endpoint '%s': revision %d is not earlier than the current %d",
                           endpoint_id, revision, cur->revision);
    else if (target < 1)
        st = aia_error_set(err, AIA_FAILED_PRECONDITION, "endpoint '%s' has no revision before %d to roll back to",
                           endpoint_id, cur->revision);
    if (st == AIA_OK) st = aia_store_endpoint_revision(s->store, endpoint_id, target, &old, err);
    if (st == AIA_OK && old->n_deployments > SERVE_MAX_DEPLOYMENTS)
        st = aia_error_set(err, AIA_INTERNAL, "endpoint '%s' revision %d holds more than %d deployments", endpoint_id,
                           target, SERVE_MAX_DEPLOYMENTS);
    if (st == AIA_OK) st = check_versions(s, old, target, err);
    if (st == AIA_OK) st = write_revision(s, cur, old->deployments, old->n_deployments, out, err);
    aia_store_record_free(old);
    aia_store_record_free(cur);
    return st;
}
