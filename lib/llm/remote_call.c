/* lib/llm/remote_call.c — one remote call: attempts, stream parsing, retries.
 *
 * A call lives on the HTTP thread once started: every attempt's callbacks
 * run there, so the per-attempt state needs no lock. Only the link to the
 * running HTTP request and the cancelled/finished flags are shared with
 * aia_remote_cancel (any thread), under the call's mutex. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/arena.h"
#include "lib/base/timeutil.h"
#include "lib/llm/remote_internal.h"
#include "lib/llm/sse.h"

#define MAX_ERROR_BODY (64u << 10)
#define MAX_COUNT_BODY (1u << 20)

struct aia_remote_call {
    atomic_int refs;
    aia_remote *r;
    call_mode mode;
    char *url, *body;
    size_t body_len;
    aia_remote_callbacks cb;
    void (*on_count)(void *, int64_t);
    int64_t deadline_ns;
    int attempt;
    int delivered; /* text went out: no more retries */
    pthread_mutex_t mu;
    aia_http_request *http; /* under mu */
    int cancelled;          /* under mu */
    int finished;           /* under mu */
    /* per attempt (HTTP thread) */
    long status;
    aia_strbuf raw; /* error body, or the countTokens answer */
    aia_sse_parser sse;
    aia_llm_json_array_stream arr;
    aia_arena arena;
    aia_llm_result result;
};

static void call_release(aia_remote_call *c) {
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1) return;
    free(c->url);
    free(c->body);
    aia_strbuf_free(&c->raw);
    aia_sse_free(&c->sse);
    aia_llm_json_array_free(&c->arr);
    aia_arena_destroy(&c->arena);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

void aia_remote_call_release(aia_remote_call *c) { call_release(c); }

void aia_remote_cancel(aia_remote_call *c) {
    if (!c) return;
    pthread_mutex_lock(&c->mu);
    if (!c->finished) {
        c->cancelled = 1;
        if (c->http) aia_http_cancel(c->http);
    }
    pthread_mutex_unlock(&c->mu);
}

static void final(aia_remote_call *c, aia_status st, const aia_error *err) {
    pthread_mutex_lock(&c->mu);
    c->finished = 1;
    pthread_mutex_unlock(&c->mu);
    aia_error ok;
    if (!err) aia_error_clear(&ok), err = &ok;
    c->cb.on_done(c->cb.user, st, &c->result, err);
    call_release(c);
}

/* ---- chunks -------------------------------------------------------------------------- */

static void take_chunk(aia_remote_call *c, const aia_llm_chunk *ch) {
    if (ch->text_len) {
        c->delivered = 1;
        if (c->cb.on_text) c->cb.on_text(c->cb.user, ch->text, ch->text_len);
    }
    aia_llm_result_take(&c->result, ch); /* Gemini's usage is a running total: the last one wins */
}

static aia_status on_gemini_json(void *user, const char *json, size_t len, aia_error *err) {
    aia_remote_call *c = user;
    aia_llm_chunk ch;
    aia_arena_reset(&c->arena);
    aia_status st = aia_llm_gemini_parse_response(json, len, &c->arena, &ch, err);
    if (st == AIA_OK) take_chunk(c, &ch);
    return st;
}

static aia_status on_sse_event(void *user, const aia_sse_event *ev, aia_error *err) {
    aia_remote_call *c = user;
    if (c->r->provider != AIA_REMOTE_OPENAI) return on_gemini_json(c, ev->data, ev->data_len, err);
    aia_llm_chunk ch;
    aia_arena_reset(&c->arena);
    aia_status st = aia_llm_openai_parse_chunk(ev->data, ev->data_len, &c->arena, &ch, err);
    if (st == AIA_OK && !ch.done) take_chunk(c, &ch);
    return st;
}

static void reset_attempt(aia_remote_call *c) {
    c->status = 0;
    aia_strbuf_reset(&c->raw);
    aia_sse_free(&c->sse);
    aia_sse_init(&c->sse, 0, on_sse_event, c);
    aia_llm_json_array_free(&c->arr);
    aia_llm_json_array_init(&c->arr, 0, on_gemini_json, c);
    memset(&c->result, 0, sizeof c->result);
}

/* ---- HTTP callbacks --------------------------------------------------------------------- */

static aia_status on_response(void *user, long status, const char *content_type, aia_error *err) {
    ((aia_remote_call *)user)->status = status;
    return AIA_OK;
}

static aia_status on_data(void *user, const char *bytes, size_t n, aia_error *err) {
    aia_remote_call *c = user;
    if (c->status != 200 || c->mode == CALL_COUNT) {
        size_t cap = c->mode == CALL_COUNT && c->status == 200 ? MAX_COUNT_BODY : MAX_ERROR_BODY;
        if (c->raw.len + n > cap) {
            if (c->status == 200)
                return aia_error_set(err, AIA_INTERNAL, "countTokens answer over %zu bytes", cap);
            n = cap - c->raw.len; /* keep the start: enough for the message */
        }
        aia_strbuf_append(&c->raw, bytes, n);
        return AIA_OK;
    }
    if (c->r->json_array && c->r->provider != AIA_REMOTE_OPENAI)
        return aia_llm_json_array_feed(&c->arr, bytes, n, err);
    return aia_sse_feed(&c->sse, bytes, n, err);
}

static aia_status check_complete(aia_remote_call *c, aia_error *err) {
    int array = c->r->json_array && c->r->provider != AIA_REMOTE_OPENAI;
    if (array ? !aia_llm_json_array_complete(&c->arr) : aia_sse_truncated(&c->sse))
        return aia_error_set(err, AIA_UNAVAILABLE, "upstream stream truncated: it ended in the middle of %s",
                             array ? "the JSON array" : "an event");
    if (c->result.finish == AIA_LLM_FINISH_NONE)
        return aia_error_set(err, AIA_UNAVAILABLE, "upstream stream truncated: it ended without a finish reason");
    return AIA_OK;
}

static aia_status outcome(aia_remote_call *c, aia_status st, const aia_error *herr, aia_error *err) {
    if (st != AIA_OK) {
        *err = *herr;
        return st;
    }
    if (c->status != 200) return aia_llm_error_from_http(c->status, c->raw.data, c->raw.len, err, NULL);
    if (c->mode == CALL_STREAM) return check_complete(c, err);
    int64_t total = 0;
    st = aia_llm_gemini_parse_count_tokens(c->raw.data ? c->raw.data : "", c->raw.len, &total, err);
    if (st == AIA_OK && c->on_count) c->on_count(c->cb.user, total);
    return st;
}

static void begin_attempt(aia_remote_call *c, int64_t delay_ms);

static int64_t backoff_ms(aia_remote_call *c) {
    aia_remote *r = c->r;
    int64_t d = r->backoff_initial_ms;
    for (int i = 1; i < c->attempt && d < r->backoff_max_ms; i++) d *= 2;
    if (d > r->backoff_max_ms) d = r->backoff_max_ms;
    /* Jitter in [d/2, d]: callers failing together do not retry together. */
    uint64_t x = atomic_fetch_add(&r->jitter, 0x9e3779b97f4a7c15ull);
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    return d / 2 + (int64_t)(x % (uint64_t)(d / 2 + 1));
}

static void on_http_done(void *user, aia_status st, long http_status, const aia_error *herr) {
    aia_remote_call *c = user;
    pthread_mutex_lock(&c->mu);
    aia_http_request_release(c->http);
    c->http = NULL;
    int cancelled = c->cancelled;
    pthread_mutex_unlock(&c->mu);
    aia_error e;
    aia_error_clear(&e);
    if (cancelled) {
        aia_error_set(&e, AIA_CANCELLED, "remote call cancelled");
        final(c, AIA_CANCELLED, &e);
        return;
    }
    st = outcome(c, st, herr, &e);
    int retryable = st == AIA_UNAVAILABLE || st == AIA_RESOURCE_EXHAUSTED;
    if (st != AIA_OK && retryable && !c->delivered && c->attempt + 1 < c->r->max_attempts) {
        c->attempt++;
        int64_t delay = backoff_ms(c);
        if (aia_time_mono_ns() + delay * 1000000LL < c->deadline_ns) {
            begin_attempt(c, delay);
            return;
        }
    }
    if (st != AIA_OK && c->attempt > 0) aia_error_prefix(&e, "after %d attempts", c->attempt + 1);
    final(c, st, &e);
}

/* ---- attempts ------------------------------------------------------------------------------ */

static aia_status submit(aia_remote_call *c, const char *token, int64_t delay_ms, aia_error *err) {
    aia_remote *r = c->r;
    aia_strbuf auth = AIA_STRBUF_INIT;
    const char *headers[3] = {"Content-Type: application/json", NULL, NULL};
    size_t nh = 1;
    int sse = c->mode == CALL_STREAM && !(r->json_array && r->provider != AIA_REMOTE_OPENAI);
    if (sse) headers[nh++] = "Accept: text/event-stream";
    if (token) aia_strbuf_printf(&auth, "Authorization: Bearer %s", token);
    else if (r->provider == AIA_REMOTE_GEMINI_API) aia_strbuf_printf(&auth, "x-goog-api-key: %s", r->api_key);
    else if (r->api_key) aia_strbuf_printf(&auth, "Authorization: Bearer %s", r->api_key);
    if (auth.len) headers[nh++] = auth.data;
    int64_t left_ms = (c->deadline_ns - aia_time_mono_ns()) / 1000000;
    aia_status st;
    if (auth.oom) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "remote call: out of memory");
    else if (left_ms <= delay_ms) st = aia_error_set(err, AIA_DEADLINE_EXCEEDED, "remote call: deadline exceeded");
    else {
        aia_http_call call = {"POST", c->url, headers, nh, c->body, c->body_len, left_ms, delay_ms};
        aia_http_callbacks cb = {on_response, on_data, on_http_done, c};
        aia_http_request *h = NULL;
        reset_attempt(c);
        /* Holding the call's lock across the submit makes on_http_done
         * (which takes it first) wait until c->http is set. */
        pthread_mutex_lock(&c->mu);
        st = aia_http_submit(r->http, &call, &cb, &h, err);
        if (st == AIA_OK) {
            atomic_fetch_add(&r->attempts, 1);
            c->http = h;
            if (c->cancelled) aia_http_cancel(h);
        }
        pthread_mutex_unlock(&c->mu);
    }
    aia_strbuf_free(&auth);
    return st;
}

typedef struct token_wait {
    aia_remote_call *c;
    int64_t delay_ms;
} token_wait;

static void on_token(void *user, aia_status st, const char *token, const aia_error *err) {
    token_wait *w = user;
    aia_remote_call *c = w->c;
    int64_t delay = w->delay_ms;
    free(w);
    aia_error e;
    pthread_mutex_lock(&c->mu);
    int cancelled = c->cancelled;
    pthread_mutex_unlock(&c->mu);
    if (cancelled) {
        aia_error_set(&e, AIA_CANCELLED, "remote call cancelled");
        final(c, AIA_CANCELLED, &e);
        return;
    }
    if (st != AIA_OK) {
        final(c, st, err);
        return;
    }
    if ((st = submit(c, token, delay, &e)) != AIA_OK) final(c, st, &e);
}

static void begin_attempt(aia_remote_call *c, int64_t delay_ms) {
    aia_error e;
    aia_status st;
    if (c->r->provider == AIA_REMOTE_VERTEX) {
        token_wait *w = malloc(sizeof *w);
        if (!w) {
            final(c, aia_error_set(&e, AIA_RESOURCE_EXHAUSTED, "remote call: out of memory"), &e);
            return;
        }
        *w = (token_wait){c, delay_ms};
        aia_auth_get(c->r->auth, on_token, w);
        return;
    }
    if ((st = submit(c, NULL, delay_ms, &e)) != AIA_OK) final(c, st, &e);
}

aia_status aia_remote_call_start(aia_remote *r, call_mode mode, const char *url, aia_strbuf *body,
                                 const aia_remote_callbacks *cb, void (*on_count)(void *, int64_t),
                                 aia_remote_call **out, aia_error *err) {
    aia_remote_call *c = calloc(1, sizeof *c);
    if (!c) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "remote call: out of memory");
    atomic_init(&c->refs, out ? 2 : 1);
    c->r = r;
    c->mode = mode;
    c->cb = *cb;
    c->on_count = on_count;
    c->url = strdup(url);
    c->body = aia_strbuf_release(body, &c->body_len);
    c->deadline_ns = aia_time_mono_ns() + r->timeout_ms * 1000000LL;
    pthread_mutex_init(&c->mu, NULL);
    aia_strbuf_init(&c->raw);
    aia_arena_init(&c->arena, 4096);
    aia_sse_init(&c->sse, 0, on_sse_event, c);
    aia_llm_json_array_init(&c->arr, 0, on_gemini_json, c);
    if (!c->url || !c->body) {
        atomic_store(&c->refs, 1);
        call_release(c);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "remote call: out of memory");
    }
    if (out) *out = c;
    if (r->provider == AIA_REMOTE_VERTEX) {
        begin_attempt(c, 0);
        return AIA_OK;
    }
    aia_status st = submit(c, NULL, 0, err);
    if (st != AIA_OK) {
        if (out) *out = NULL;
        atomic_store(&c->refs, 1);
        call_release(c);
    }
    return st;
}
