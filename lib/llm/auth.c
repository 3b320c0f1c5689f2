/* lib/llm/auth.c — token cache, the shared refresh and the two token sources. */
#include "lib/llm/auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/base/arena.h"
#include "lib/base/timeutil.h"
#include "lib/llm/wire.h"
#include "lib/pbjson/json.h"

typedef struct waiter {
    aia_auth_token_fn fn;
    void *user;
    struct waiter *next;
} waiter;

struct aia_auth {
    aia_http_client *http;
    char *email, *pem, *token_uri; /* service account; email NULL for the metadata server */
    char *metadata_url;
    pthread_mutex_t mu;
    char *token;            /* under mu */
    int64_t expires_ns;     /* monotonic, under mu */
    int refreshing;         /* under mu */
    waiter *waiters;        /* under mu, in arrival order reversed */
    aia_strbuf body;        /* the refresh answer: HTTP thread only */
    atomic_uint_least64_t refreshes;
};

/* ---- construction ------------------------------------------------------------------ */

static aia_auth *auth_alloc(aia_http_client *http) {
    aia_auth *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->http = http;
    pthread_mutex_init(&a->mu, NULL);
    aia_strbuf_init(&a->body);
    atomic_init(&a->refreshes, 0);
    return a;
}

static aia_status key_field(const aia_json_value *root, const char *name, int required, char **out,
                            aia_error *err) {
    const aia_json_value *v = aia_json_object_get(root, name);
    if (!v) {
        if (!required) return AIA_OK;
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "service-account key: field '%s' is missing", name);
    }
    if (v->type != AIA_JSON_STRING || v->len == 0 || strlen(v->u.str) != v->len)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "service-account key: field '%s' must be a non-empty string",
                             name);
    *out = strdup(v->u.str);
    return *out ? AIA_OK : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "service-account key: out of memory");
}

static aia_status parse_key(aia_auth *a, const char *json, size_t len, aia_error *err) {
    aia_arena arena;
    aia_arena_init(&arena, 4096);
    aia_json_value *root = NULL;
    aia_status st = aia_json_parse(json, len, 0, &arena, &root, err);
    if (st != AIA_OK) aia_error_prefix(err, "service-account key");
    else if (root->type != AIA_JSON_OBJECT)
        st = aia_error_set(err, AIA_INVALID_ARGUMENT, "service-account key: not a JSON object");
    if (st == AIA_OK) st = key_field(root, "client_email", 1, &a->email, err);
    if (st == AIA_OK) st = key_field(root, "private_key", 1, &a->pem, err);
    if (st == AIA_OK) st = key_field(root, "token_uri", 0, &a->token_uri, err);
    aia_arena_destroy(&arena);
    if (st == AIA_OK && !a->token_uri && !(a->token_uri = strdup(AIA_AUTH_DEFAULT_TOKEN_URI)))
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "service-account key: out of memory");
    return st;
}

aia_status aia_auth_new_service_account_json(const char *json, size_t len, aia_http_client *http,
                                             aia_auth **out, aia_error *err) {
    *out = NULL;
    aia_auth *a = auth_alloc(http);
    if (!a) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "auth: out of memory");
    aia_status st = parse_key(a, json, len, err);
    if (st == AIA_OK) {
        /* Sign once now so a bad private key fails at configuration time. */
        aia_strbuf jwt = AIA_STRBUF_INIT;
        st = aia_auth_service_account_jwt(a->email, a->pem, a->token_uri, time(NULL), &jwt, err);
        if (st != AIA_OK) aia_error_prefix(err, "service-account key");
        aia_strbuf_free(&jwt);
    }
    if (st != AIA_OK) {
        aia_auth_free(a);
        return st;
    }
    *out = a;
    return AIA_OK;
}

aia_status aia_auth_new_service_account(const char *key_path, aia_http_client *http, aia_auth **out,
                                        aia_error *err) {
    *out = NULL;
    FILE *f = fopen(key_path, "rb");
    if (!f) {
        aia_status st = errno == ENOENT ? AIA_NOT_FOUND : errno == EACCES ? AIA_PERMISSION_DENIED : AIA_INTERNAL;
        return aia_error_set(err, st, "service-account key %s: %s", key_path, strerror(errno));
    }
    aia_strbuf sb = AIA_STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0 && sb.len < (1u << 20)) aia_strbuf_append(&sb, buf, n);
    fclose(f);
    aia_status st;
    if (sb.len >= (1u << 20)) st = aia_error_set(err, AIA_INVALID_ARGUMENT, "service-account key %s: over 1 MiB", key_path);
    else st = aia_auth_new_service_account_json(aia_strbuf_cstr(&sb), sb.len, http, out, err);
    if (st != AIA_OK && st != AIA_RESOURCE_EXHAUSTED && sb.len < (1u << 20)) aia_error_prefix(err, "%s", key_path);
    aia_strbuf_free(&sb);
    return st;
}

aia_status aia_auth_new_metadata(const char *host, aia_http_client *http, aia_auth **out, aia_error *err) {
    *out = NULL;
    if (!host || !host[0]) host = getenv("GCE_METADATA_HOST");
    if (!host || !host[0]) host = "metadata.google.internal";
    aia_auth *a = auth_alloc(http);
    if (!a) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "auth: out of memory");
    aia_strbuf url = AIA_STRBUF_INIT;
    aia_strbuf_printf(&url, "http://%s/computeMetadata/v1/instance/service-accounts/default/token", host);
    a->metadata_url = url.oom ? NULL : aia_strbuf_release(&url, NULL);
    aia_strbuf_free(&url);
    if (!a->metadata_url) {
        aia_auth_free(a);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "auth: out of memory");
    }
    *out = a;
    return AIA_OK;
}

void aia_auth_free(aia_auth *a) {
    if (!a) return;
    free(a->email);
    free(a->pem);
    free(a->token_uri);
    free(a->metadata_url);
    free(a->token);
    aia_strbuf_free(&a->body);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

uint64_t aia_auth_refreshes(aia_auth *a) { return atomic_load(&a->refreshes); }

/* ---- the refresh ---------------------------------------------------------------------- */

/* Hands the outcome to every waiter, outside the lock. */
static void complete(aia_auth *a, aia_status st, const char *token, int64_t expires_ns, const aia_error *err) {
    pthread_mutex_lock(&a->mu);
    if (st == AIA_OK) {
        free(a->token);
        a->token = strdup(token);
        a->expires_ns = expires_ns;
        if (!a->token) st = AIA_RESOURCE_EXHAUSTED;
    }
    waiter *w = a->waiters;
    a->waiters = NULL;
    a->refreshing = 0;
    pthread_mutex_unlock(&a->mu);
    aia_error oom;
    if (st == AIA_RESOURCE_EXHAUSTED && !err) err = &oom, aia_error_set(&oom, st, "auth: out of memory");
    /* Oldest first: the list was built by prepending. */
    waiter *rev = NULL;
    while (w) {
        waiter *nx = w->next;
        w->next = rev;
        rev = w;
        w = nx;
    }
    while (rev) {
        waiter *nx = rev->next;
        rev->fn(rev->user, st, st == AIA_OK ? token : NULL, err);
        free(rev);
        rev = nx;
    }
}

static const char *source_name(const aia_auth *a) { return a->email ? a->token_uri : a->metadata_url; }

static aia_status parse_token(aia_auth *a, char **token, int64_t *expires_in, aia_error *err) {
    aia_arena arena;
    aia_arena_init(&arena, 4096);
    aia_json_value *root = NULL;
    aia_status st = aia_json_parse(a->body.data ? a->body.data : "", a->body.len, 0, &arena, &root, err);
    if (st != AIA_OK) {
        st = AIA_INTERNAL;
        err->code = st;
    } else {
        const aia_json_value *t = root->type == AIA_JSON_OBJECT ? aia_json_object_get(root, "access_token") : NULL;
        const aia_json_value *e = root->type == AIA_JSON_OBJECT ? aia_json_object_get(root, "expires_in") : NULL;
        if (!t || t->type != AIA_JSON_STRING || t->len == 0 || strlen(t->u.str) != t->len)
            st = aia_error_set(err, AIA_INTERNAL, "no string 'access_token' in the answer");
        else if (!e || e->type != AIA_JSON_NUMBER || (*expires_in = strtoll(e->u.str, NULL, 10)) <= 0)
            st = aia_error_set(err, AIA_INTERNAL, "no positive number 'expires_in' in the answer");
        else if (!(*token = strdup(t->u.str)))
            st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    }
    aia_arena_destroy(&arena);
    return st;
}

static aia_status on_token_data(void *user, const char *bytes, size_t n, aia_error *err) {
    aia_auth *a = user;
    if (a->body.len + n > (64u << 10))
        return aia_error_set(err, AIA_INTERNAL, "token endpoint %s: answer over 64 KiB", source_name(a));
    aia_strbuf_append(&a->body, bytes, n);
    return AIA_OK;
}

static void on_token_done(void *user, aia_status st, long http_status, const aia_error *herr) {
    aia_auth *a = user;
    aia_error e = *herr;
    char *token = NULL;
    int64_t expires_in = 0;
    int64_t now = aia_time_mono_ns();
    if (st == AIA_OK && http_status != 200)
        st = aia_llm_error_from_http(http_status, a->body.data, a->body.len, &e, NULL);
    else if (st == AIA_OK)
        st = parse_token(a, &token, &expires_in, &e);
    if (st != AIA_OK) aia_error_prefix(&e, "token endpoint %s", source_name(a));
    complete(a, st, token, now + expires_in * 1000000000LL, &e);
    free(token);
}

static aia_status submit_refresh(aia_auth *a, aia_error *err) {
    aia_strbuf form = AIA_STRBUF_INIT;
    aia_status st = AIA_OK;
    const char *sa_headers[] = {"Content-Type: application/x-www-form-urlencoded"};
    const char *md_headers[] = {"Metadata-Flavor: Google"};
    aia_http_call call = {.timeout_ms = 30000};
    if (a->email) {
        /* A JWT is base64url and dots: nothing in it needs form-encoding. */
        aia_strbuf_puts(&form, "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=");
        st = aia_auth_service_account_jwt(a->email, a->pem, a->token_uri, time(NULL), &form, err);
        call.method = "POST";
        call.url = a->token_uri;
        call.headers = sa_headers;
        call.n_headers = 1;
        call.body = form.data;
        call.body_len = form.len;
    } else {
        call.method = "GET";
        call.url = a->metadata_url;
        call.headers = md_headers;
        call.n_headers = 1;
    }
    aia_strbuf_reset(&a->body);
    aia_http_callbacks cb = {.on_data = on_token_data, .on_done = on_token_done, .user = a};
    if (st == AIA_OK) st = aia_http_submit(a->http, &call, &cb, NULL, err);
    if (st == AIA_OK) atomic_fetch_add(&a->refreshes, 1);
    aia_strbuf_free(&form);
    return st;
}

void aia_auth_get(aia_auth *a, aia_auth_token_fn fn, void *user) {
    pthread_mutex_lock(&a->mu);
    if (a->token && aia_time_mono_ns() < a->expires_ns - AIA_AUTH_REFRESH_MARGIN_S * 1000000000LL) {
        char *copy = strdup(a->token);
        pthread_mutex_unlock(&a->mu);
        aia_error e;
        if (copy) fn(user, AIA_OK, copy, NULL);
        else fn(user, aia_error_set(&e, AIA_RESOURCE_EXHAUSTED, "auth: out of memory"), NULL, &e);
        free(copy);
        return;
    }
    waiter *w = malloc(sizeof *w);
    if (!w) {
        pthread_mutex_unlock(&a->mu);
        aia_error e;
        fn(user, aia_error_set(&e, AIA_RESOURCE_EXHAUSTED, "auth: out of memory"), NULL, &e);
        return;
    }
    *w = (waiter){fn, user, a->waiters};
    a->waiters = w;
    int start = !a->refreshing;
    a->refreshing = 1;
    pthread_mutex_unlock(&a->mu);
    if (!start) return;
    aia_error e;
    aia_status st = submit_refresh(a, &e);
    if (st != AIA_OK) {
        aia_error_prefix(&e, "token endpoint %s", source_name(a));
        complete(a, st, NULL, 0, &e);
    }
}

/* ---- blocking form ------------------------------------------------------------------- */

typedef struct sync_wait {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    aia_status st;
    aia_error err;
    aia_strbuf *out;
} sync_wait;

static void on_sync_token(void *user, aia_status st, const char *token, const aia_error *err) {
    sync_wait *w = user;
    pthread_mutex_lock(&w->mu);
    w->st = st;
    if (st == AIA_OK) aia_strbuf_puts(w->out, token);
    else w->err = *err;
    w->done = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

aia_status aia_auth_token(aia_auth *a, aia_strbuf *out, aia_error *err) {
    sync_wait w = {.out = out};
    pthread_mutex_init(&w.mu, NULL);
    pthread_cond_init(&w.cv, NULL);
    aia_auth_get(a, on_sync_token, &w);
    pthread_mutex_lock(&w.mu);
    while (!w.done) pthread_cond_wait(&w.cv, &w.mu);
    pthread_mutex_unlock(&w.mu);
    pthread_cond_destroy(&w.cv);
    pthread_mutex_destroy(&w.mu);
    if (w.st != AIA_OK && err) *err = w.err;
    return w.st;
}
