/* lib/serve/serve_cache.c — model references to loaded models.
 *
 * Two maps under one short lock: names ("churn", "churn@3",
 * "churn@production") to the version they resolved to, and loaded models
 * by "model_id@version". The names map is valid for one store generation:
 * the first lookup that sees aia_store_generation() move empties it, so an
 * alias move, a new latest version or a delete is seen on the next request
 * while a steady state never touches SQLite. Numeric references go through
 * the names map too, so that a version deleted since it was loaded stops
 * being served. A hit costs two hash lookups and a reference count
 * increment, with no allocation.
 *
 * The models map is bounded (max_cached_models): inserting beyond it drops
 * the cache's reference to the least recently used model; holders keep
 * theirs, and the last release frees it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/serve/serve_internal.h"

uint64_t serve_hash(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h ^ (h >> 29);
}

char *serve_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

/* "id", "id@N" or "id@alias" into buf (SERVE_REF_MAX bytes). */
static void ref_key(char *buf, const char *model_id, const char *alias, int version)
{
    if (version > 0) snprintf(buf, SERVE_REF_MAX, "%s@%d", model_id, version);
    else if (alias) snprintf(buf, SERVE_REF_MAX, "%s@%s", model_id, alias);
    else snprintf(buf, SERVE_REF_MAX, "%s", model_id);
}

/* ---- the maps (cache_mu held) ------------------------------------------------ */

static void names_flush(aia_serve *s)
{
    for (size_t b = 0; b < SERVE_CACHE_BUCKETS; b++) {
        for (serve_name *n = s->names[b], *next; n; n = next) {
            next = n->next;
            free(n->ref);
            free(n);
        }
        s->names[b] = NULL;
    }
    s->n_names = 0;
}

static serve_name *names_find(aia_serve *s, const char *ref)
{
    for (serve_name *n = s->names[serve_hash(ref) % SERVE_CACHE_BUCKETS]; n; n = n->next)
        if (strcmp(n->ref, ref) == 0) return n;
    return NULL;
}

static void names_add(aia_serve *s, const char *ref, int version)
{
    if (names_find(s, ref)) return;
    if (s->n_names >= SERVE_NAMES_MAX) names_flush(s); /* bounded: refs come from requests */
    serve_name *n = malloc(sizeof *n);
    char *copy = serve_strdup(ref);
    if (!n || !copy) { /* a cache miss later, nothing worse */
        free(n);
        free(copy);
        return;
    }
    size_t b = serve_hash(ref) % SERVE_CACHE_BUCKETS;
    n->ref = copy;
    n->version = version;
    n->next = s->names[b];
    s->names[b] = n;
    s->n_names++;
}

static aia_served *models_find(aia_serve *s, const char *key)
{
    for (aia_served *h = s->models[serve_hash(key) % SERVE_CACHE_BUCKETS]; h; h = h->next)
        if (strcmp(h->key, key) == 0) return h;
    return NULL;
}

static void models_unlink(aia_serve *s, aia_served *h)
{
    aia_served **p = &s->models[serve_hash(h->key) % SERVE_CACHE_BUCKETS];
    while (*p != h) p = &(*p)->next;
    *p = h->next;
    h->next = NULL;
    h->cached = 0;
    s->n_models--;
}

/* Least recently used other than `keep`, unlinked; NULL when none. */
static aia_served *models_evict_one(aia_serve *s, const aia_served *keep)
{
    aia_served *victim = NULL;
    for (size_t b = 0; b < SERVE_CACHE_BUCKETS; b++)
        for (aia_served *h = s->models[b]; h; h = h->next)
            if (h != keep && (!victim || h->last_use < victim->last_use)) victim = h;
    if (victim) models_unlink(s, victim);
    return victim;
}

static aia_served *hit(aia_serve *s, aia_served *h)
{
    atomic_fetch_add(&h->refs, 1);
    h->last_use = ++s->tick;
    return h;
}

/* ---- resolution through the store (slow path) ---------------------------- */

/* A NOT_FOUND from the store, reworded: the model itself, or what was
 * asked of it. */
static aia_status not_found(aia_serve *s, const char *model_id, const char *what, aia_error *err)
{
    aia_model_record *m = NULL;
    aia_error e2;
    aia_status st = aia_store_model_get(s->store, model_id, 0, &m, &e2);
    aia_store_record_free(m);
    if (st == AIA_NOT_FOUND) return aia_error_set(err, AIA_NOT_FOUND, "model '%s' not found", model_id);
    if (st != AIA_OK) {
        if (err) *err = e2;
        return st;
    }
    return aia_error_set(err, AIA_NOT_FOUND, "model '%s' has no %s", model_id, what);
}

static aia_status resolve(aia_serve *s, const char *model_id, const char *alias, int version, int *out,
                          aia_error *err)
{
    char what[SERVE_REF_MAX];
    aia_status st;
    if (version > 0) {
        aia_version_record *r = NULL;
        st = aia_store_version_get(s->store, model_id, version, &r, err);
        if (st == AIA_OK && r->state == AIA_STORE__V1__VERSION_STATE__VERSION_DELETED)
            st = aia_error_set(err, AIA_FAILED_PRECONDITION, "model '%s' version %d is deleted", model_id, version);
        aia_store_record_free(r);
        *out = version;
        snprintf(what, sizeof what, "version %d", version);
    } else if (alias) {
        st = aia_store_alias_get(s->store, model_id, alias, out, err);
        if (st == AIA_NOT_FOUND && strcmp(alias, "latest") == 0) /* unless an alias says otherwise */
            st = aia_store_version_latest(s->store, model_id, out, err);
        snprintf(what, sizeof what, "alias '%s'", alias);
    } else {
        st = aia_store_alias_get(s->store, model_id, "production", out, err);
        if (st == AIA_NOT_FOUND) st = aia_store_version_latest(s->store, model_id, out, err);
        snprintf(what, sizeof what, "READY version (and no 'production' alias)");
    }
    if (st == AIA_NOT_FOUND) return not_found(s, model_id, what, err);
    return st;
}

/* ---- acquire ------------------------------------------------------------------ */

static aia_served *lookup(aia_serve *s, const char *ref, uint64_t gen, const char *model_id)
{
    aia_served *h = NULL;
    pthread_mutex_lock(&s->cache_mu);
    if (gen != s->names_gen) {
        names_flush(s);
        s->names_gen = gen;
    }
    serve_name *n = names_find(s, ref);
    if (n) {
        char key[SERVE_REF_MAX];
        ref_key(key, model_id, NULL, n->version);
        h = models_find(s, key);
        if (h) hit(s, h);
    }
    pthread_mutex_unlock(&s->cache_mu);
    return h;
}

/* Inserts a freshly loaded model, or returns the one another thread put
 * there meanwhile (and frees ours). */
static aia_served *insert(aia_serve *s, aia_served *h)
{
    aia_served *evicted[4], *mine = h;
    size_t n_evicted = 0;
    pthread_mutex_lock(&s->cache_mu);
    aia_served *there = models_find(s, h->key);
    if (there) {
        h = hit(s, there);
    } else {
        size_t b = serve_hash(h->key) % SERVE_CACHE_BUCKETS;
        atomic_fetch_add(&h->refs, 1); /* the cache's */
        h->cached = 1;
        h->last_use = ++s->tick;
        h->next = s->models[b];
        s->models[b] = h;
        s->n_models++;
        while (s->n_models > s->max_cached && n_evicted < 4) {
            aia_served *v = models_evict_one(s, h);
            if (!v) break;
            evicted[n_evicted++] = v;
        }
    }
    pthread_mutex_unlock(&s->cache_mu);
    for (size_t i = 0; i < n_evicted; i++) aia_served_release(evicted[i]);
    if (there) aia_served_release(mine);
    return h;
}

aia_status serve_acquire_parsed(aia_serve *s, const char *model_id, const char *alias, int version,
                                aia_served **out, aia_error *err)
{
    char ref[SERVE_REF_MAX];
    ref_key(ref, model_id, alias, version);
    uint64_t gen = aia_store_generation(s->store);
    if ((*out = lookup(s, ref, gen, model_id)) != NULL) return AIA_OK;

    int v = 0;
    aia_status st = resolve(s, model_id, alias, version, &v, err);
    if (st != AIA_OK) return st;
    char key[SERVE_REF_MAX];
    ref_key(key, model_id, NULL, v);
    aia_served *h = NULL;
    pthread_mutex_lock(&s->cache_mu);
    if (s->names_gen == gen) names_add(s, ref, v); /* else the answer may be stale already */
    aia_served *there = models_find(s, key);
    if (there) h = hit(s, there);
    pthread_mutex_unlock(&s->cache_mu);
    if (h) {
        *out = h;
        return AIA_OK;
    }
    st = serve_load(s, model_id, v, &h, err);
    if (st != AIA_OK) return st;
    *out = insert(s, h);
    return AIA_OK;
}

void serve_cache_destroy(aia_serve *s)
{
    names_flush(s);
    for (size_t b = 0; b < SERVE_CACHE_BUCKETS; b++) {
        for (aia_served *h = s->models[b], *next; h; h = next) {
            next = h->next;
            h->cached = 0;
            aia_served_release(h);
        }
        s->models[b] = NULL;
    }
    s->n_models = 0;
}

/* ---- parsing references ------------------------------------------------------ */

static int alias_ok(const char *a)
{
    int digits_only = 1;
    if (!((*a >= 'a' && *a <= 'z') || (*a >= 'A' && *a <= 'Z'))) return 0;
    for (const char *p = a; *p; p++) {
        int digit = *p >= '0' && *p <= '9';
        int ok = digit || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' || *p == '-';
        if (!ok || p - a >= 64) return 0;
        digits_only &= digit;
    }
    return !digits_only;
}

/* "12" → 12; -1 when not all digits, 0 for zero or overflow. */
static long parse_version(const char *t)
{
    long v = 0;
    if (!*t) return -1;
    for (const char *p = t; *p; p++) {
        if (*p < '0' || *p > '9') return -1;
        v = v * 10 + (*p - '0');
        if (v > 2147483647L) return 0;
    }
    return v;
}

aia_status aia_serve_acquire(aia_serve *s, const char *model_ref, aia_served **out, aia_error *err)
{
    *out = NULL;
    if (!model_ref || !*model_ref) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model reference is empty");
    const char *at = strchr(model_ref, '@');
    size_t idlen = at ? (size_t)(at - model_ref) : strlen(model_ref);
    if (idlen > AIA_STORE_ID_MAX)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model reference '%.40s...': model_id longer than %d characters",
                             model_ref, AIA_STORE_ID_MAX);
    char id[AIA_STORE_ID_MAX + 1];
    memcpy(id, model_ref, idlen);
    id[idlen] = '\0';
    aia_status st = aia_store_check_id("model_id", id, err);
    if (st != AIA_OK) return st;
    if (!at) return serve_acquire_parsed(s, id, NULL, 0, out, err);
    long v = parse_version(at + 1);
    if (v > 0) return serve_acquire_parsed(s, id, NULL, (int)v, out, err);
    if (v == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model reference '%s': version '%s' is out of range (1..2147483647)",
                             model_ref, at + 1);
    if (!alias_ok(at + 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "model reference '%s': '%s' is neither a version number nor an alias (letters, digits, "
                             "'_', '-', starting with a letter, at most 64 characters)",
                             model_ref, at + 1);
    return serve_acquire_parsed(s, id, at + 1, 0, out, err);
}

aia_status aia_serve_acquire_version(aia_serve *s, const char *model_id, int version, aia_served **out,
                                     aia_error *err)
{
    *out = NULL;
    aia_status st = aia_store_check_id("model_id", model_id, err);
    if (st != AIA_OK) return st;
    if (version < 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model '%s': version %d is negative", model_id, version);
    return serve_acquire_parsed(s, model_id, NULL, version, out, err);
}
