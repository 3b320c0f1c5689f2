/* lib/llm/remote.c — provider configuration, URLs, request bodies and the
 * blocking wrappers. The call state machine is in remote_call.c. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/llm/remote_internal.h"

static const char *const provider_names[] = {"vertex", "gemini-api", "openai"};

const char *aia_remote_provider_name(aia_remote_provider p) {
    return (unsigned)p < 3 ? provider_names[p] : "unknown";
}

int aia_remote_provider_parse(const char *name, aia_remote_provider *out) {
    for (int i = 0; i < 3; i++)
        if (name && strcmp(name, provider_names[i]) == 0) {
            *out = (aia_remote_provider)i;
            return 0;
        }
    return -1;
}

static char *dup_or_null(const char *s) { return s && s[0] ? strdup(s) : NULL; }

static aia_status require(const char *value, const char *what, aia_error *err) {
    if (value && value[0]) return AIA_OK;
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "remote provider: %s is required", what);
}

/* A base URL is scheme://host[:port] (what the paths are appended to): an
 * http(s) scheme, a host, a port of digits in 1..65535 when a ':' is
 * there (an empty one would silently mean 80 or 443), no path. */
static aia_status check_base_url(const char *url, aia_error *err) {
    const char *host = strncmp(url, "http://", 7) == 0 ? url + 7 : strncmp(url, "https://", 8) == 0 ? url + 8 : NULL;
    if (!host) return aia_error_set(err, AIA_INVALID_ARGUMENT, "base URL \"%s\": not http:// or https://", url);
    size_t n = strlen(host);
    while (n && host[n - 1] == '/') n--;
    const char *colon = memchr(host, ':', n), *slash = memchr(host, '/', n);
    if (slash) return aia_error_set(err, AIA_INVALID_ARGUMENT, "base URL \"%s\": scheme://host[:port] only, no path", url);
    if ((colon ? (size_t)(colon - host) : n) == 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "base URL \"%s\": no host", url);
    if (!colon) return AIA_OK;
    long port = 0;
    size_t digits = 0;
    for (const char *p = colon + 1; p < host + n; p++, digits++) {
        if (*p < '0' || *p > '9' || port > 65535) break;
        port = port * 10 + (*p - '0');
    }
    if (digits == 0 || colon + 1 + digits != host + n || port < 1 || port > 65535)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "base URL \"%s\": the port must be 1..65535", url);
    return AIA_OK;
}

static aia_status check_config(const aia_remote_config *cfg, const char *project, aia_error *err) {
    if (cfg->base_url && cfg->base_url[0] && check_base_url(cfg->base_url, err) != AIA_OK) return err->code;
    switch (cfg->provider) {
    case AIA_REMOTE_VERTEX:
        if (!cfg->auth) return aia_error_set(err, AIA_INVALID_ARGUMENT, "vertex: auth (access tokens) is required");
        return require(project, "vertex project (config or GOOGLE_CLOUD_PROJECT)", err);
    case AIA_REMOTE_GEMINI_API: return require(cfg->api_key, "gemini-api api_key", err);
    case AIA_REMOTE_OPENAI: return require(cfg->base_url, "openai base_url", err);
    }
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "remote provider: unknown provider %d", (int)cfg->provider);
}

static char *default_base(const aia_remote_config *cfg, const char *region) {
    aia_strbuf sb = AIA_STRBUF_INIT;
    if (cfg->base_url && cfg->base_url[0]) {
        size_t n = strlen(cfg->base_url);
        while (n && cfg->base_url[n - 1] == '/') n--;
        aia_strbuf_append(&sb, cfg->base_url, n);
    } else if (cfg->provider == AIA_REMOTE_VERTEX) {
        aia_strbuf_printf(&sb, "https://%s-aiplatform.googleapis.com", region);
    } else {
        aia_strbuf_puts(&sb, "https://generativelanguage.googleapis.com");
    }
    char *s = sb.oom ? NULL : aia_strbuf_release(&sb, NULL);
    aia_strbuf_free(&sb);
    return s;
}

aia_status aia_remote_new(const aia_remote_config *cfg, aia_http_client *http, aia_remote **out,
                          aia_error *err) {
    *out = NULL;
    const char *project = cfg->project && cfg->project[0] ? cfg->project : getenv("GOOGLE_CLOUD_PROJECT");
    const char *region = cfg->region && cfg->region[0] ? cfg->region : AIA_REMOTE_DEFAULT_REGION;
    aia_status st = check_config(cfg, project, err);
    if (st != AIA_OK) return st;
    aia_remote *r = calloc(1, sizeof *r);
    if (!r) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "remote provider: out of memory");
    r->provider = cfg->provider;
    r->http = http;
    r->auth = cfg->auth;
    r->json_array = cfg->gemini_json_array;
    r->max_attempts = cfg->max_attempts > 0 ? cfg->max_attempts : 4;
    r->backoff_initial_ms = cfg->backoff_initial_ms > 0 ? cfg->backoff_initial_ms : 250;
    r->backoff_max_ms = cfg->backoff_max_ms > 0 ? cfg->backoff_max_ms : 8000;
    r->timeout_ms = cfg->timeout_ms > 0 ? cfg->timeout_ms : 600000;
    r->base = default_base(cfg, region);
    r->project = dup_or_null(project);
    r->region = strdup(region);
    r->api_key = dup_or_null(cfg->api_key);
    atomic_init(&r->attempts, 0);
    atomic_init(&r->jitter, 0x9e3779b97f4a7c15ull ^ (uintptr_t)r);
    if (!r->base || !r->region || (project && !r->project && project[0]) ||
        (cfg->api_key && cfg->api_key[0] && !r->api_key)) {
        aia_remote_free(r);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "remote provider: out of memory");
    }
    *out = r;
    return AIA_OK;
}

void aia_remote_free(aia_remote *r) {
    if (!r) return;
    free(r->base);
    free(r->project);
    free(r->region);
    free(r->api_key);
    free(r);
}

uint64_t aia_remote_attempts(aia_remote *r) { return atomic_load(&r->attempts); }

/* Model names go into URL paths: refuse anything that would change the path. */
static aia_status check_model(const char *model, aia_error *err) {
    if (!model || !model[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model: required");
    for (const char *p = model; *p; p++) {
        char ch = *p;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
                 ch == '.' || ch == '_' || ch == '@';
        if (!ok)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "model '%s': character %d ('%c') is not allowed in a Gemini model name",
                                 model, (int)(p - model), ch);
    }
    return AIA_OK;
}

static aia_status gemini_url(aia_remote *r, const char *model, const char *method, aia_strbuf *url,
                             aia_error *err) {
    aia_status st = check_model(model, err);
    if (st != AIA_OK) return st;
    if (r->provider == AIA_REMOTE_VERTEX)
        aia_strbuf_printf(url, "%s/v1/projects/%s/locations/%s/publishers/google/models/%s:%s", r->base,
                          r->project, r->region, model, method);
    else
        aia_strbuf_printf(url, "%s/v1beta/models/%s:%s", r->base, model, method);
    return url->oom ? aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "URL: out of memory") : AIA_OK;
}

aia_status aia_remote_url(aia_remote *r, const char *model, const char *method, aia_strbuf *out, aia_error *err) {
    if (r->provider == AIA_REMOTE_OPENAI) {
        aia_strbuf_printf(out, "%s/v1/chat/completions", r->base);
        return out->oom ? aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "URL: out of memory") : AIA_OK;
    }
    int sse = strcmp(method, "streamGenerateContent") == 0 && !r->json_array;
    return gemini_url(r, model, sse ? "streamGenerateContent?alt=sse" : method, out, err);
}

aia_status aia_remote_stream(aia_remote *r, const aia_llm_request *req, const aia_remote_callbacks *cb,
                             aia_remote_call **out, aia_error *err) {
    if (out) *out = NULL;
    if (!cb || !cb->on_done) return aia_error_set(err, AIA_INVALID_ARGUMENT, "remote stream: on_done is required");
    aia_strbuf url = AIA_STRBUF_INIT, body = AIA_STRBUF_INIT;
    aia_status st;
    aia_llm_request gemini = *req;
    if (r->provider == AIA_REMOTE_GEMINI_API) gemini.n_labels = 0; /* Vertex-only member: the API refuses it */
    if (r->provider == AIA_REMOTE_OPENAI) st = aia_llm_openai_build_request(req, 1, &body, err);
    else st = aia_llm_gemini_build_request(&gemini, &body, err);
    if (st == AIA_OK) st = aia_remote_url(r, req->model, "streamGenerateContent", &url, err);
    if (st == AIA_OK) st = aia_remote_call_start(r, CALL_STREAM, url.data, &body, cb, NULL, out, err);
    aia_strbuf_free(&url);
    aia_strbuf_free(&body);
    return st;
}

/* ---- blocking wrappers ------------------------------------------------------------------ */

typedef struct blocking {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    aia_status st;
    aia_error err;
    aia_strbuf *text;
    aia_llm_result result;
    int64_t count;
} blocking;

static void blocking_init(blocking *b, aia_strbuf *text) {
    memset(b, 0, sizeof *b);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    b->text = text;
}

static aia_status blocking_wait(blocking *b, aia_error *err) {
    pthread_mutex_lock(&b->mu);
    while (!b->done) pthread_cond_wait(&b->cv, &b->mu);
    pthread_mutex_unlock(&b->mu);
    pthread_cond_destroy(&b->cv);
    pthread_mutex_destroy(&b->mu);
    if (b->st != AIA_OK && err) *err = b->err;
    return b->st;
}

static void on_blocking_text(void *user, const char *text, size_t len) {
    blocking *b = user;
    aia_strbuf_append(b->text, text, len);
}

static void on_blocking_done(void *user, aia_status st, const aia_llm_result *res, const aia_error *err) {
    blocking *b = user;
    pthread_mutex_lock(&b->mu);
    b->st = st;
    if (st != AIA_OK) b->err = *err;
    if (res) b->result = *res;
    b->done = 1;
    pthread_cond_signal(&b->cv);
    pthread_mutex_unlock(&b->mu);
}

static void on_blocking_count(void *user, int64_t total) { ((blocking *)user)->count = total; }

aia_status aia_remote_generate(aia_remote *r, const aia_llm_request *req, aia_strbuf *text, aia_llm_result *res,
                               aia_error *err) {
    blocking b;
    blocking_init(&b, text);
    aia_remote_callbacks cb = {on_blocking_text, on_blocking_done, &b};
    aia_status st = aia_remote_stream(r, req, &cb, NULL, err);
    if (st != AIA_OK) {
        pthread_cond_destroy(&b.cv);
        pthread_mutex_destroy(&b.mu);
        return st;
    }
    st = blocking_wait(&b, err);
    if (st == AIA_OK && text->oom) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "generate: out of memory");
    if (res) *res = b.result;
    return st;
}

aia_status aia_remote_count_tokens(aia_remote *r, const aia_llm_request *req, int64_t *total_tokens,
                                   aia_error *err) {
    if (r->provider == AIA_REMOTE_OPENAI)
        return aia_error_set(err, AIA_UNIMPLEMENTED, "countTokens: OpenAI-compatible servers have no such call");
    aia_strbuf url = AIA_STRBUF_INIT, body = AIA_STRBUF_INIT;
    aia_llm_gemini_flavor flavor = r->provider == AIA_REMOTE_VERTEX ? AIA_LLM_GEMINI_VERTEX : AIA_LLM_GEMINI_API;
    aia_status st = aia_llm_gemini_build_count_tokens(flavor, req, &body, err);
    if (st == AIA_OK) st = gemini_url(r, req->model, "countTokens", &url, err);
    blocking b;
    blocking_init(&b, NULL);
    aia_remote_callbacks cb = {NULL, on_blocking_done, &b};
    if (st == AIA_OK) st = aia_remote_call_start(r, CALL_COUNT, url.data, &body, &cb, on_blocking_count, NULL, err);
    aia_strbuf_free(&url);
    aia_strbuf_free(&body);
    if (st != AIA_OK) {
        pthread_cond_destroy(&b.cv);
        pthread_mutex_destroy(&b.mu);
        return st;
    }
    st = blocking_wait(&b, err);
    if (st == AIA_OK) *total_tokens = b.count;
    return st;
}
