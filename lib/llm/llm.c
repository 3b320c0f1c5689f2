/* lib/llm/llm.c — see llm.h: opening the providers, and routing calls to
 * them. Accounting (limits, usage) lives in llm_usage.c, the model list in
 * llm_models.c. */
#include "lib/llm/llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/llm/llm_internal.h"

static const char *env_or(const char *value, const char *var)
{
    if (value && *value) return value;
    const char *e = var ? getenv(var) : NULL;
    return e && *e ? e : NULL;
}

static void unavailable(llm_remote_slot *s, const char *fmt, const char *what)
{
    s->remote = NULL;
    snprintf(s->reason, sizeof s->reason, fmt, what);
}

static aia_status open_vertex(aia_llm *l, const aia_llm_options *o, aia_error *err)
{
    llm_remote_slot *s = &l->remote[LLM_VERTEX];
    const char *project = env_or(o->vertex_project, "GOOGLE_CLOUD_PROJECT");
    if (!project) {
        unavailable(s, "%s", "vertex: no Google Cloud project (set vertex_project or GOOGLE_CLOUD_PROJECT)");
        return AIA_OK;
    }
    const char *key = env_or(o->vertex_credentials, "GOOGLE_APPLICATION_CREDENTIALS");
    aia_status st = key ? aia_auth_new_service_account(key, l->http, &l->vertex_auth, err)
                        : aia_auth_new_metadata(NULL, l->http, &l->vertex_auth, err);
    if (st != AIA_OK) {
        aia_error_prefix(err, "vertex credentials");
        return st;
    }
    aia_remote_config c = {.provider = AIA_REMOTE_VERTEX,
                           .base_url = o->vertex_base_url,
                           .project = project,
                           .region = o->vertex_region,
                           .auth = l->vertex_auth,
                           .timeout_ms = o->remote_timeout_ms};
    return aia_remote_new(&c, l->http, &s->remote, err);
}

static aia_status open_gemini_api(aia_llm *l, const aia_llm_options *o, aia_error *err)
{
    llm_remote_slot *s = &l->remote[LLM_GEMINI_API];
    const char *key = env_or(o->gemini_api_key, "GEMINI_API_KEY");
    if (!key) key = env_or(NULL, "GOOGLE_API_KEY");
    if (!key) {
        unavailable(s, "%s", "gemini-api: no API key (set GEMINI_API_KEY)");
        return AIA_OK;
    }
    aia_remote_config c = {.provider = AIA_REMOTE_GEMINI_API,
                           .base_url = o->gemini_api_base_url,
                           .api_key = key,
                           .timeout_ms = o->remote_timeout_ms};
    return aia_remote_new(&c, l->http, &s->remote, err);
}

static aia_status open_openai(aia_llm *l, const aia_llm_options *o, aia_error *err)
{
    llm_remote_slot *s = &l->remote[LLM_OPENAI];
    const char *base = env_or(o->openai_base_url, "OPENAI_BASE_URL");
    if (!base) {
        unavailable(s, "%s", "openai: no server (set openai_base_url or OPENAI_BASE_URL)");
        return AIA_OK;
    }
    aia_remote_config c = {.provider = AIA_REMOTE_OPENAI,
                           .base_url = base,
                           .api_key = env_or(o->openai_api_key, "OPENAI_API_KEY"),
                           .timeout_ms = o->remote_timeout_ms};
    return aia_remote_new(&c, l->http, &s->remote, err);
}

/* The models directory: the option, else the user's cache directory. */
static void models_dir(const aia_llm_options *o, char *out, size_t size)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (o->models_dir && *o->models_dir) snprintf(out, size, "%s", o->models_dir);
    else if (xdg && *xdg) snprintf(out, size, "%s/aia/models", xdg);
    else snprintf(out, size, "%s/.cache/aia/models", home && *home ? home : ".");
}

static aia_status open_parts(aia_llm *l, const aia_llm_options *o, aia_error *err)
{
    if (aia_llm_routes_create(o->routes, &l->routes, err) != AIA_OK) return err->code;
    aia_http_options ho = {0};
    if (aia_http_client_new(&ho, &l->http, err) != AIA_OK) return err->code;
    if (open_vertex(l, o, err) != AIA_OK || open_gemini_api(l, o, err) != AIA_OK || open_openai(l, o, err) != AIA_OK)
        return err->code;
    models_dir(o, l->models_dir, sizeof l->models_dir);
    aia_local_options lo = {.models_dir = l->models_dir,
                            .threads = o->local_threads,
                            .max_concurrent = o->local_max_concurrent};
    return aia_local_open(&lo, &l->local, err);
}

aia_status aia_llm_open(const aia_llm_options *opt, aia_llm **out, aia_error *err)
{
    *out = NULL;
    aia_llm_options none = {0};
    if (!opt) opt = &none;
    if (opt->max_concurrent_per_caller < 0 || opt->local_threads < 0 || opt->local_max_concurrent < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "llm options: max_concurrent_per_caller, local_threads and local_max_concurrent must "
                             "be >= 0");
    aia_llm *l = calloc(1, sizeof *l);
    if (!l) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    pthread_mutex_init(&l->mu, NULL);
    l->max_per_caller = opt->max_concurrent_per_caller ? opt->max_concurrent_per_caller : 16;
    if (open_parts(l, opt, err) != AIA_OK) {
        aia_llm_close(l);
        return err->code;
    }
    *out = l;
    return AIA_OK;
}

void aia_llm_close(aia_llm *l)
{
    if (!l) return;
    aia_local_close(l->local);
    for (int i = 0; i < LLM_N_REMOTE; i++) aia_remote_free(l->remote[i].remote);
    aia_auth_free(l->vertex_auth);
    aia_http_client_free(l->http);
    aia_llm_routes_free(l->routes);
    llm_usage_free(l);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

/* ---- calls ------------------------------------------------------------------ */

static void call_unref(aia_llm_call *c)
{
    if (atomic_fetch_sub(&c->refs, 1) != 1) return;
    if (c->remote_call) aia_remote_call_release(c->remote_call);
    if (c->local_call) aia_local_call_release(c->local_call);
    free(c);
}

static void on_text(void *user, const char *text, size_t len)
{
    aia_llm_call *c = user;
    if (c->cb.on_text) c->cb.on_text(c->cb.user, text, len);
}

/* Accounts the call, then hands the end to the caller; drops the
 * provider's reference last (the caller may release its own inside). */
static void on_done(void *user, aia_status status, const aia_llm_result *res, const aia_error *err)
{
    aia_llm_call *c = user;
    llm_call_ended(c->l, c->caller, c->model, status, res ? &res->usage : NULL);
    c->cb.on_done(c->cb.user, status, res, err);
    call_unref(c);
}

/* The provider of a route, or FAILED_PRECONDITION naming what it lacks. */
static aia_status provider_of(aia_llm *l, const aia_llm_route *rt, aia_remote **remote, aia_error *err)
{
    *remote = NULL;
    if (rt->provider == AIA_LLM_PROVIDER_LOCAL) return AIA_OK;
    llm_remote_slot *s = &l->remote[llm_remote_index(rt->provider)];
    if (!s->remote) return aia_error_set(err, AIA_FAILED_PRECONDITION, "%s", s->reason);
    *remote = s->remote;
    return AIA_OK;
}

static aia_status start(aia_llm_call *c, const aia_llm_route *rt, aia_remote *remote, const aia_llm_request *req,
                        aia_error *err)
{
    aia_llm_request upstream = *req;
    upstream.model = rt->upstream_name;
    if (remote) {
        aia_remote_callbacks rcb = {.on_text = on_text, .on_done = on_done, .user = c};
        return aia_remote_stream(remote, &upstream, &rcb, &c->remote_call, err);
    }
    aia_llm_callbacks lcb = {.on_text = on_text, .on_done = on_done, .user = c};
    return aia_local_stream(c->l->local, &upstream, &lcb, &c->local_call, err);
}

aia_status aia_llm_stream(aia_llm *l, const char *caller, const aia_llm_request *req, const aia_llm_callbacks *cb,
                          aia_llm_call **out, const char **provider, aia_error *err)
{
    *out = NULL;
    if (!req || !cb || !cb->on_done) return aia_error_set(err, AIA_INVALID_ARGUMENT, "llm: request and on_done needed");
    aia_llm_route rt;
    aia_remote *remote = NULL;
    if (aia_llm_route_find(l->routes, req->model, &rt, err) != AIA_OK || provider_of(l, &rt, &remote, err) != AIA_OK)
        return err->code;
    if (provider) *provider = aia_llm_provider_name(rt.provider);
    aia_llm_call *c = calloc(1, sizeof *c);
    if (!c) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    c->l = l;
    c->cb = *cb;
    snprintf(c->caller, sizeof c->caller, "%s", caller ? caller : "");
    snprintf(c->model, sizeof c->model, "%s", req->model);
    atomic_init(&c->refs, 2); /* the caller's handle and the provider's on_done */
    if (llm_call_begin(l, c->caller, err) != AIA_OK) {
        free(c);
        return err->code;
    }
    if (start(c, &rt, remote, req, err) != AIA_OK) { /* no callback will come */
        llm_call_refused(l, c->caller);
        if (c->remote_call) aia_remote_call_release(c->remote_call);
        if (c->local_call) aia_local_call_release(c->local_call);
        free(c);
        return err->code;
    }
    *out = c;
    return AIA_OK;
}

void aia_llm_cancel(aia_llm_call *c)
{
    if (!c) return;
    if (c->remote_call) aia_remote_cancel(c->remote_call);
    if (c->local_call) aia_local_cancel(c->local_call);
}

void aia_llm_call_release(aia_llm_call *c)
{
    if (c) call_unref(c);
}

aia_status aia_llm_count_tokens(aia_llm *l, const aia_llm_request *req, int64_t *total, const char **provider,
                                aia_error *err)
{
    *total = 0;
    aia_llm_route rt;
    aia_remote *remote = NULL;
    if (!req) return aia_error_set(err, AIA_INVALID_ARGUMENT, "llm: request needed");
    if (aia_llm_route_find(l->routes, req->model, &rt, err) != AIA_OK || provider_of(l, &rt, &remote, err) != AIA_OK)
        return err->code;
    if (provider) *provider = aia_llm_provider_name(rt.provider);
    aia_llm_request upstream = *req;
    upstream.model = rt.upstream_name;
    if (rt.provider == AIA_LLM_PROVIDER_LOCAL) return aia_local_count_tokens(l->local, &upstream, total, err);
    if (rt.provider == AIA_LLM_PROVIDER_OPENAI)
        return aia_error_set(err, AIA_UNIMPLEMENTED,
                             "CountTokens: OpenAI-compatible servers have no token-counting endpoint");
    return aia_remote_count_tokens(remote, &upstream, total, err);
}
