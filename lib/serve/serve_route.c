/* lib/serve/serve_route.c — choosing an endpoint's arm per request.
 *
 * Each endpoint's deployments and percents are kept in memory, re-read
 * from the store only when aia_store_generation() moved since they were
 * read. Arm state survives a re-read that finds the same revision.
 *
 * With a routing key, the arm is a pure function of the key and the split:
 * the key's 64-bit hash modulo 100 falls in one arm's slice of the
 * cumulative percents, so a user sticks to an arm while the split holds.
 * Without one, smooth weighted round-robin (nginx's): every pick adds
 * each arm's weight to its running score, takes the highest, and takes the
 * total off the winner; over any 100 consecutive requests each arm is
 * picked exactly its percent of times, interleaved rather than in runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/serve/serve_internal.h"

static void route_free(serve_route *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_arms; i++) free(r->arms[i].model_id);
    free(r->arms);
    free(r->endpoint_id);
    free(r);
}

void serve_routes_destroy(aia_serve *s)
{
    for (serve_route *r = s->routes, *next; r; r = next) {
        next = r->next;
        route_free(r);
    }
    s->routes = NULL;
}

static serve_route *route_from_record(const aia_endpoint_record *e, uint64_t gen)
{
    serve_route *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->endpoint_id = serve_strdup(e->endpoint_id);
    r->arms = calloc(e->n_deployments ? e->n_deployments : 1, sizeof *r->arms);
    r->revision = e->revision;
    r->gen = gen;
    if (!r->endpoint_id || !r->arms) {
        route_free(r);
        return NULL;
    }
    for (size_t i = 0; i < e->n_deployments; i++) {
        const aia_deployment_record *d = e->deployments[i];
        if (!(r->arms[i].model_id = serve_strdup(d->model_id))) {
            route_free(r);
            return NULL;
        }
        r->arms[i].version = d->model_version;
        r->arms[i].percent = d->traffic_percent;
        r->n_arms++;
    }
    return r;
}

static serve_route *route_find(aia_serve *s, const char *endpoint_id, serve_route ***link)
{
    serve_route **p = &s->routes;
    while (*p && strcmp((*p)->endpoint_id, endpoint_id) != 0) p = &(*p)->next;
    if (link) *link = p;
    return *p;
}

/* Re-reads the endpoint and installs it (route_mu not held). */
static aia_status route_refresh(aia_serve *s, const char *endpoint_id, uint64_t gen, aia_error *err)
{
    aia_endpoint_record *e = NULL;
    aia_status st = aia_store_endpoint_get(s->store, endpoint_id, &e, err);
    if (st == AIA_NOT_FOUND) return aia_error_set(err, AIA_NOT_FOUND, "endpoint '%s' not found", endpoint_id);
    if (st != AIA_OK) return st;
    serve_route *fresh = route_from_record(e, gen);
    aia_store_record_free(e);
    if (!fresh) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "endpoint '%s': out of memory", endpoint_id);
    pthread_mutex_lock(&s->route_mu);
    serve_route **link, *old = route_find(s, endpoint_id, &link);
    if (old && old->revision == fresh->revision && old->gen <= gen) {
        old->gen = gen; /* same split: keep the round-robin state */
        route_free(fresh);
    } else if (old && old->gen > gen) {
        route_free(fresh); /* someone installed a newer read meanwhile */
    } else {
        if (old) {
            fresh->next = old->next;
            route_free(old);
        }
        *link = fresh;
    }
    pthread_mutex_unlock(&s->route_mu);
    return AIA_OK;
}

static size_t pick_by_key(const serve_route *r, const char *key, int total)
{
    uint64_t h = serve_hash(key);
    h ^= h >> 33; /* spread the low bits before the modulo */
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    int point = (int)(h % (uint64_t)total), acc = 0;
    for (size_t i = 0; i < r->n_arms; i++) {
        acc += r->arms[i].percent;
        if (point < acc) return i;
    }
    return r->n_arms - 1;
}

static size_t pick_round_robin(serve_route *r, int total)
{
    size_t best = 0;
    for (size_t i = 0; i < r->n_arms; i++) {
        r->arms[i].current += r->arms[i].percent;
        if (r->arms[i].current > r->arms[best].current) best = i;
    }
    r->arms[best].current -= total;
    return best;
}

/* Picks an arm: its model id into id (AIA_STORE_ID_MAX + 1) and version. */
static aia_status route_pick(aia_serve *s, const char *endpoint_id, const char *routing_key, uint64_t gen,
                             int accept_stale, char *id, int *version, int *stale, aia_error *err)
{
    aia_status st = AIA_OK;
    pthread_mutex_lock(&s->route_mu);
    serve_route *r = route_find(s, endpoint_id, NULL);
    *stale = !r || (r->gen != gen && !accept_stale);
    if (!*stale) {
        int total = 0;
        for (size_t i = 0; i < r->n_arms; i++) total += r->arms[i].percent;
        if (total <= 0) {
            st = aia_error_set(err, AIA_FAILED_PRECONDITION, "endpoint '%s' has no deployment receiving traffic",
                               endpoint_id);
        } else {
            size_t i = routing_key && *routing_key ? pick_by_key(r, routing_key, total) : pick_round_robin(r, total);
            snprintf(id, AIA_STORE_ID_MAX + 1, "%s", r->arms[i].model_id);
            *version = r->arms[i].version;
        }
    }
    pthread_mutex_unlock(&s->route_mu);
    return st;
}

aia_status aia_serve_route(aia_serve *s, const char *endpoint_id, const char *routing_key, aia_served **out,
                           const char **deployment_id, aia_error *err)
{
    *out = NULL;
    if (deployment_id) *deployment_id = NULL;
    aia_status st = aia_store_check_id("endpoint_id", endpoint_id, err);
    if (st != AIA_OK) return st;
    char id[AIA_STORE_ID_MAX + 1];
    int version = 0, stale = 0;
    uint64_t gen = aia_store_generation(s->store);
    st = route_pick(s, endpoint_id, routing_key, gen, 0, id, &version, &stale, err);
    if (st == AIA_OK && stale) {
        /* Read at least as new as `gen`: good enough even if the store moved again. */
        st = route_refresh(s, endpoint_id, gen, err);
        if (st == AIA_OK) st = route_pick(s, endpoint_id, routing_key, gen, 1, id, &version, &stale, err);
        if (st == AIA_OK && stale) st = aia_error_set(err, AIA_INTERNAL, "endpoint '%s' vanished from the routing table", endpoint_id);
    }
    if (st != AIA_OK) return st;
    st = serve_acquire_parsed(s, id, NULL, version, out, err);
    if (st != AIA_OK) {
        aia_error_prefix(err, "endpoint '%s'", endpoint_id);
        return st;
    }
    if (deployment_id) *deployment_id = (*out)->key;
    return AIA_OK;
}
