/* tests/unit/llm/remote_test.c — the remote providers (vertex, gemini-api,
 * openai) against the test upstream: streamed text in order, running usage
 * (last total wins), finish reasons, error mapping per status with the
 * upstream message, truncated streams → UNAVAILABLE, retries before the
 * first token but not after, cancel closing the upstream connection,
 * unary generate, countTokens, 200 concurrent streams, bad configuration. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/base/strbuf.h"
#include "lib/base/timeutil.h"
#include "lib/llm/auth.h"
#include "lib/llm/http.h"
#include "lib/llm/remote.h"
#include "tests/llm_upstream/upstream_proc.h"

#define SA_EMAIL "aia-test@aia-test.iam.gserviceaccount.com"

static upstream up;
static aia_http_client *http;
static aia_auth *auth;

/* ---- helpers ---------------------------------------------------------------------- */

typedef struct result {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done, n_text;
    aia_strbuf text;   /* chunks joined by '|' */
    aia_status st;
    aia_llm_finish finish;
    aia_llm_usage usage;
    aia_llm_result res; /* the whole of it */
    aia_error err;
    int64_t done_ns;
} result;

static void res_init(result *r) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    aia_strbuf_init(&r->text);
}

static void res_free(result *r) {
    aia_strbuf_free(&r->text);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
}

static void on_text(void *user, const char *text, size_t len) {
    result *r = user;
    pthread_mutex_lock(&r->mu);
    if (r->n_text++) aia_strbuf_putc(&r->text, '|');
    aia_strbuf_append(&r->text, text, len);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static void on_done(void *user, aia_status st, const aia_llm_result *res, const aia_error *err) {
    result *r = user;
    pthread_mutex_lock(&r->mu);
    r->st = st;
    r->finish = res->finish;
    r->usage = res->usage;
    r->res = *res;
    r->err = *err;
    r->done++;
    r->done_ns = aia_time_mono_ns();
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static int res_wait(result *r, int want_text, int timeout_ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000 + 1;
    pthread_mutex_lock(&r->mu);
    while (!(r->done || (want_text && r->n_text)))
        if (pthread_cond_timedwait(&r->cv, &r->mu, &ts) != 0) break;
    int ok = r->done || (want_text && r->n_text);
    pthread_mutex_unlock(&r->mu);
    return ok;
}

static aia_remote *make_remote(aia_remote_provider p, int json_array, int max_attempts) {
    aia_remote_config cfg = {
        .provider = p,
        .base_url = up.base_url,
        .project = "aia-test-project",
        .api_key = p == AIA_REMOTE_OPENAI ? "sk-test" : "test-api-key",
        .auth = auth,
        .gemini_json_array = json_array,
        .max_attempts = max_attempts,
        .backoff_initial_ms = 40,
        .backoff_max_ms = 200,
        .timeout_ms = 30000,
    };
    aia_remote *r = NULL;
    aia_error err;
    aia_status st = aia_remote_new(&cfg, http, &r, &err);
    if (st != AIA_OK) fail_msg("%s", err.message);
    return r;
}

static aia_llm_part part;
static aia_llm_content content;

static aia_llm_request request(const char *model, const char *text) {
    part = (aia_llm_part){.kind = AIA_LLM_PART_TEXT, .text = text, .text_len = strlen(text)};
    content = (aia_llm_content){.role = "user", .parts = &part, .n_parts = 1};
    return (aia_llm_request){.model = model, .contents = &content, .n_contents = 1};
}

/* Runs one stream to its end. */
static void run(aia_remote *rm, const char *model, result *r) {
    res_init(r);
    aia_llm_request req = request(model, "Say hello");
    aia_remote_callbacks cb = {on_text, on_done, r};
    aia_error err;
    aia_status st = aia_remote_stream(rm, &req, &cb, NULL, &err);
    if (st != AIA_OK) fail_msg("stream: %s", err.message);
    assert_true(res_wait(r, 0, 30000));
    assert_int_equal(r->done, 1);
}

static void check_hello(result *r, int64_t output_tokens) {
    if (r->st != AIA_OK) fail_msg("%s", r->err.message);
    assert_string_equal(aia_strbuf_cstr(&r->text), "Hello|, |world|!");
    assert_int_equal(r->finish, AIA_LLM_FINISH_STOP);
    assert_int_equal(r->usage.prompt_tokens, 5);
    assert_int_equal(r->usage.output_tokens, output_tokens);
    assert_int_equal(r->usage.total_tokens, 5 + output_tokens);
}

/* ---- successful streams ----------------------------------------------------------- */

static void test_gemini_api_sse(void **state) {
    aia_remote *rm = make_remote(AIA_REMOTE_GEMINI_API, 0, 1);
    result r;
    run(rm, "gemini-2.5-flash", &r);
    check_hello(&r, 4); /* running totals 1,2,3,4: the last one, not their sum */
    res_free(&r);
    run(rm, "gemini-crlf", &r);
    check_hello(&r, 4);
    res_free(&r);
    run(rm, "gemini-maxtokens", &r);
    assert_int_equal(r.st, AIA_OK);
    assert_int_equal(r.finish, AIA_LLM_FINISH_MAX_TOKENS);
    res_free(&r);
    /* The test upstream's response id and ratings, and its SAFETY stop. */
    run(rm, "gemini-safety", &r);
    assert_int_equal(r.st, AIA_OK);
    assert_int_equal(r.finish, AIA_LLM_FINISH_SAFETY);
    assert_string_equal(r.res.finish_message, "The response was blocked: harassment.");
    assert_true(strncmp(r.res.response_id, "resp-", 5) == 0);
    assert_int_equal(r.res.n_safety, 4);
    int blocked = 0;
    for (size_t i = 0; i < r.res.n_safety; i++)
        if (r.res.safety[i].blocked) {
            assert_string_equal(r.res.safety[i].category, "HARM_CATEGORY_HARASSMENT");
            assert_string_equal(r.res.safety[i].probability, "HIGH");
            blocked++;
        }
    assert_int_equal(blocked, 1);
    res_free(&r);
    aia_remote_free(rm);
}

static void test_gemini_json_array(void **state) {
    aia_remote *rm = make_remote(AIA_REMOTE_GEMINI_API, 1, 1);
    result r;
    run(rm, "gemini-array", &r);
    check_hello(&r, 4);
    res_free(&r);
    run(rm, "bursty-array", &r);
    assert_int_equal(r.st, AIA_OK);
    assert_int_equal(r.n_text, 200);
    assert_true(strncmp(aia_strbuf_cstr(&r.text), "b0 |b1 |b2 ", 11) == 0);
    res_free(&r);
    run(rm, "truncated-array", &r);
    assert_int_equal(r.st, AIA_UNAVAILABLE);
    assert_non_null(strstr(r.err.message, "truncated"));
    res_free(&r);
    aia_remote_free(rm);
}

static void test_vertex_with_service_account(void **state) {
    aia_remote *rm = make_remote(AIA_REMOTE_VERTEX, 0, 1);
    result r;
    run(rm, "gemini-1.5-pro", &r);
    check_hello(&r, 4);
    res_free(&r);
    assert_true(upstream_stat(&up, "requests", "gemini-1.5-pro") == 1);
    aia_remote_free(rm);
}

static void test_openai(void **state) {
    aia_remote *rm = make_remote(AIA_REMOTE_OPENAI, 0, 1);
    result r;
    run(rm, "local-llama", &r);
    check_hello(&r, 4); /* usage from the final usage-only chunk */
    res_free(&r);
    run(rm, "truncated-openai", &r);
    assert_int_equal(r.st, AIA_UNAVAILABLE);
    assert_non_null(strstr(r.err.message, "truncated"));
    res_free(&r);
    aia_remote_free(rm);
    /* Without the bearer key the server refuses. */
    aia_remote_config cfg = {.provider = AIA_REMOTE_OPENAI, .base_url = up.base_url, .max_attempts = 1};
    aia_error err;
    assert_int_equal(aia_remote_new(&cfg, http, &rm, &err), AIA_OK);
    run(rm, "local-llama", &r);
    assert_int_equal(r.st, AIA_UNAUTHENTICATED);
    assert_non_null(strstr(r.err.message, "Incorrect API key provided"));
    res_free(&r);
    aia_remote_free(rm);
}

/* ---- errors -------------------------------------------------------------------------- */

static void test_error_mapping(void **state) {
    static const struct {
        const char *model;
        aia_status st;
        const char *message;
    } cases[] = {
        {"err-400", AIA_INVALID_ARGUMENT, "upstream HTTP 400"},
        {"err-401", AIA_UNAUTHENTICATED, "upstream HTTP 401"},
        {"err-403", AIA_PERMISSION_DENIED, "upstream HTTP 403"},
        {"err-404", AIA_NOT_FOUND, "Publisher Model `err-404` was not found"},
        {"err-429", AIA_RESOURCE_EXHAUSTED, "Resource exhausted"},
        {"err-500", AIA_UNAVAILABLE, "Internal error encountered"},
        {"err-503", AIA_UNAVAILABLE, "upstream HTTP 503"},
        /* The seed's PaLM and Codey names route like any other: retired, so 404. */
        {"text-bison", AIA_NOT_FOUND, "Publisher Model `text-bison` was not found"},
        {"code-bison", AIA_NOT_FOUND, "Publisher Model `code-bison` was not found"},
        {"codechat-bison", AIA_NOT_FOUND, "Publisher Model `codechat-bison` was not found"},
    };
    aia_remote *rm = make_remote(AIA_REMOTE_VERTEX, 0, 1);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        result r;
        run(rm, cases[i].model, &r);
        if (r.st != cases[i].st) fail_msg("%s: got %d (%s)", cases[i].model, r.st, r.err.message);
        if (!strstr(r.err.message, cases[i].message)) fail_msg("%s: message '%s'", cases[i].model, r.err.message);
        assert_int_equal(r.n_text, 0);
        res_free(&r);
    }
    aia_remote_free(rm);
    /* A wrong API key: the Gemini API's own 400. */
    aia_remote_config cfg = {.provider = AIA_REMOTE_GEMINI_API, .base_url = up.base_url, .api_key = "wrong",
                             .max_attempts = 1};
    aia_error err;
    assert_int_equal(aia_remote_new(&cfg, http, &rm, &err), AIA_OK);
    result r;
    run(rm, "gemini-x", &r);
    assert_int_equal(r.st, AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(r.err.message, "API key not valid"));
    res_free(&r);
    aia_remote_free(rm);
}

static void test_truncated_streams(void **state) {
    aia_remote *rm = make_remote(AIA_REMOTE_GEMINI_API, 0, 4);
    uint64_t before = aia_remote_attempts(rm);
    result r;
    run(rm, "truncated-sse", &r);
    assert_int_equal(r.st, AIA_UNAVAILABLE);
    assert_non_null(strstr(r.err.message, "without a finish reason"));
    assert_string_equal(aia_strbuf_cstr(&r.text), "Hello|, ");
    res_free(&r);
    run(rm, "cut-sse", &r);
    assert_int_equal(r.st, AIA_UNAVAILABLE);
    assert_non_null(strstr(r.err.message, "middle of an event"));
    res_free(&r);
    /* Text had gone out: neither was retried. */
    assert_int_equal(aia_remote_attempts(rm) - before, 2);
    aia_remote_free(rm);
}

static void test_retry_before_first_token(void **state) {
    aia_remote *rm = make_remote(AIA_REMOTE_GEMINI_API, 0, 4);
    result r;
    int64_t t0 = aia_time_mono_ns();
    run(rm, "fail-429-then-ok-a", &r);
    check_hello(&r, 4);
    res_free(&r);
    assert_true(upstream_stat(&up, "requests", "fail-429-then-ok-a") == 3);
    /* Two backoffs of at least half of 40 and 80 ms. */
    assert_true((aia_time_mono_ns() - t0) / 1000000 >= 60);
    run(rm, "fail-500-then-ok-b", &r);
    check_hello(&r, 4);
    res_free(&r);
    assert_true(upstream_stat(&up, "requests", "fail-500-then-ok-b") == 3);
    aia_remote_free(rm);
    /* OpenAI-compatible servers too. */
    rm = make_remote(AIA_REMOTE_OPENAI, 0, 4);
    run(rm, "fail-429-then-ok-openai", &r);
    check_hello(&r, 4);
    res_free(&r);
    aia_remote_free(rm);
    /* Out of attempts: the last error, saying how many were made. */
    rm = make_remote(AIA_REMOTE_GEMINI_API, 0, 2);
    run(rm, "fail-429-then-ok-c", &r);
    assert_int_equal(r.st, AIA_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(r.err.message, "after 2 attempts"));
    res_free(&r);
    assert_true(upstream_stat(&up, "requests", "fail-429-then-ok-c") == 2);
    aia_remote_free(rm);
}

static void test_no_retry_after_first_token(void **state) {
    aia_remote *rm = make_remote(AIA_REMOTE_GEMINI_API, 0, 4);
    result r;
    run(rm, "fail-after-token-d", &r);
    assert_int_equal(r.st, AIA_UNAVAILABLE);
    assert_string_equal(aia_strbuf_cstr(&r.text), "partial");
    res_free(&r);
    assert_true(upstream_stat(&up, "requests", "fail-after-token-d") == 1);
    /* An error object inside a 200 stream, after a token. */
    run(rm, "stream-error-e", &r);
    assert_int_equal(r.st, AIA_UNAVAILABLE);
    assert_non_null(strstr(r.err.message, "503"));
    res_free(&r);
    assert_true(upstream_stat(&up, "requests", "stream-error-e") == 1);
    aia_remote_free(rm);
}

static void test_cancel(void **state) {
    aia_remote *rm = make_remote(AIA_REMOTE_VERTEX, 0, 4);
    result r;
    res_init(&r);
    aia_llm_request req = request("slow-cancel-remote", "Go slowly");
    aia_remote_callbacks cb = {on_text, on_done, &r};
    aia_remote_call *call = NULL;
    aia_error err;
    assert_int_equal(aia_remote_stream(rm, &req, &cb, &call, &err), AIA_OK);
    assert_true(res_wait(&r, 1, 10000));
    int64_t t0 = aia_time_mono_ns();
    aia_remote_cancel(call);
    assert_true(res_wait(&r, 0, 5000));
    assert_int_equal(r.st, AIA_CANCELLED);
    assert_true((r.done_ns - t0) / 1000000 < 500);
    assert_true(r.n_text < 50);
    double seen = -1;
    for (int i = 0; i < 60 && seen < 0; i++) {
        seen = upstream_stat(&up, "disconnects", "slow-cancel-remote");
        if (seen < 0) usleep(50000);
    }
    assert_true(seen > 0);
    aia_remote_cancel(call); /* after on_done: no-op */
    aia_remote_call_release(call);
    assert_int_equal(r.done, 1);
    res_free(&r);
    aia_remote_free(rm);
}

/* ---- unary, countTokens ------------------------------------------------------------------ */

static void test_generate_unary(void **state) {
    aia_remote *rm = make_remote(AIA_REMOTE_VERTEX, 0, 2);
    aia_llm_request req = request("gemini-unary", "Say hello");
    aia_strbuf text = AIA_STRBUF_INIT;
    aia_llm_result res;
    aia_error err;
    aia_status st = aia_remote_generate(rm, &req, &text, &res, &err);
    if (st != AIA_OK) fail_msg("%s", err.message);
    assert_string_equal(aia_strbuf_cstr(&text), "Hello, world!");
    assert_int_equal(res.finish, AIA_LLM_FINISH_STOP);
    assert_int_equal(res.usage.total_tokens, 9);
    aia_strbuf_reset(&text);
    req = request("err-404", "x");
    assert_int_equal(aia_remote_generate(rm, &req, &text, NULL, &err), AIA_NOT_FOUND);
    aia_strbuf_free(&text);
    aia_remote_free(rm);
}

static void test_count_tokens(void **state) {
    aia_remote_provider ps[] = {AIA_REMOTE_VERTEX, AIA_REMOTE_GEMINI_API};
    for (int i = 0; i < 2; i++) {
        aia_remote *rm = make_remote(ps[i], 0, 1);
        aia_llm_request req = request("gemini-count", "one two three four");
        int64_t n = 0;
        aia_error err;
        aia_status st = aia_remote_count_tokens(rm, &req, &n, &err);
        if (st != AIA_OK) fail_msg("%s", err.message);
        assert_int_equal(n, 4);
        aia_remote_free(rm);
    }
    aia_remote *rm = make_remote(AIA_REMOTE_OPENAI, 0, 1);
    aia_llm_request req = request("m", "x");
    int64_t n;
    aia_error err;
    assert_int_equal(aia_remote_count_tokens(rm, &req, &n, &err), AIA_UNIMPLEMENTED);
    aia_remote_free(rm);
}

/* ---- many streams, configuration ---------------------------------------------------------- */

static void test_200_concurrent(void **state) {
    enum { N = 200 };
    aia_remote *rm = make_remote(AIA_REMOTE_VERTEX, 0, 4);
    result *r = calloc(N, sizeof *r);
    aia_llm_request req = request("gemini-many", "Say hello");
    for (int i = 0; i < N; i++) {
        res_init(&r[i]);
        aia_remote_callbacks cb = {on_text, on_done, &r[i]};
        aia_error err;
        assert_int_equal(aia_remote_stream(rm, &req, &cb, NULL, &err), AIA_OK);
    }
    for (int i = 0; i < N; i++) {
        assert_true(res_wait(&r[i], 0, 60000));
        check_hello(&r[i], 4);
        res_free(&r[i]);
    }
    free(r);
    aia_remote_free(rm);
}

static void test_bad_config_and_request(void **state) {
    aia_remote *rm = NULL;
    aia_error err;
    aia_remote_config no_key = {.provider = AIA_REMOTE_GEMINI_API};
    assert_int_equal(aia_remote_new(&no_key, http, &rm, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "api_key"));
    unsetenv("GOOGLE_CLOUD_PROJECT");
    aia_remote_config no_project = {.provider = AIA_REMOTE_VERTEX, .auth = auth};
    assert_int_equal(aia_remote_new(&no_project, http, &rm, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "GOOGLE_CLOUD_PROJECT"));
    aia_remote_config no_auth = {.provider = AIA_REMOTE_VERTEX, .project = "p"};
    assert_int_equal(aia_remote_new(&no_auth, http, &rm, &err), AIA_INVALID_ARGUMENT);
    aia_remote_config no_base = {.provider = AIA_REMOTE_OPENAI};
    assert_int_equal(aia_remote_new(&no_base, http, &rm, &err), AIA_INVALID_ARGUMENT);
    assert_null(rm);
    /* Base URLs are scheme://host[:port]: each bad one is refused at once,
     * not on the first call (an empty port would silently mean 80). */
    static const struct {
        const char *url, *says;
    } bad_urls[] = {
        {"http://127.0.0.1:", "port"},        {"http://127.0.0.1:0", "port"},
        {"http://127.0.0.1:70000", "port"},   {"http://127.0.0.1:80a", "port"},
        {"ftp://example.com", "http"},        {"127.0.0.1:8000", "http"},
        {"http://", "no host"},               {"http://:8000", "no host"},
        {"http://host:8000/v1", "no path"},
    };
    for (size_t i = 0; i < sizeof bad_urls / sizeof bad_urls[0]; i++) {
        aia_remote_config bad = {.provider = AIA_REMOTE_OPENAI, .base_url = bad_urls[i].url};
        assert_int_equal(aia_remote_new(&bad, http, &rm, &err), AIA_INVALID_ARGUMENT);
        if (!strstr(err.message, bad_urls[i].says) || !strstr(err.message, bad_urls[i].url))
            fail_msg("%s: '%s'", bad_urls[i].url, err.message);
        assert_null(rm);
    }
    aia_remote_config good = {.provider = AIA_REMOTE_OPENAI, .base_url = "https://api.example.com:8443/"};
    assert_int_equal(aia_remote_new(&good, http, &rm, &err), AIA_OK);
    aia_remote_free(rm);
    rm = NULL;
    rm = make_remote(AIA_REMOTE_GEMINI_API, 0, 1);
    result r;
    res_init(&r);
    aia_remote_callbacks cb = {on_text, on_done, &r};
    aia_llm_request req = request("../../evil", "x");
    assert_int_equal(aia_remote_stream(rm, &req, &cb, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "../../evil"));
    aia_llm_content bad = {.role = "system", .parts = &part, .n_parts = 1};
    req = request("gemini-x", "x");
    req.contents = &bad;
    assert_int_equal(aia_remote_stream(rm, &req, &cb, NULL, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(r.done, 0); /* refused calls never call back */
    res_free(&r);
    aia_remote_free(rm);
    aia_remote_provider p;
    assert_int_equal(aia_remote_provider_parse("gemini-api", &p), 0);
    assert_int_equal(p, AIA_REMOTE_GEMINI_API);
    assert_int_equal(aia_remote_provider_parse("palm", &p), -1);
    assert_string_equal(aia_remote_provider_name(AIA_REMOTE_VERTEX), "vertex");
}

static void check_url(aia_remote *rm, const char *model, const char *method, const char *want) {
    aia_strbuf url = AIA_STRBUF_INIT;
    aia_error err;
    assert_int_equal(aia_remote_url(rm, model, method, &url, &err), AIA_OK);
    assert_string_equal(aia_strbuf_cstr(&url), want);
    aia_strbuf_free(&url);
}

/* Default endpoints (no network: URLs only). */
static void test_default_urls(void **state) {
    setenv("GOOGLE_CLOUD_PROJECT", "proj-from-env", 1);
    aia_remote_config vx = {.provider = AIA_REMOTE_VERTEX, .auth = auth};
    aia_remote *rm = NULL;
    aia_error err;
    assert_int_equal(aia_remote_new(&vx, http, &rm, &err), AIA_OK);
    unsetenv("GOOGLE_CLOUD_PROJECT");
    check_url(rm, "gemini-2.5-flash", "streamGenerateContent",
              "https://europe-west4-aiplatform.googleapis.com/v1/projects/proj-from-env/locations/europe-west4/"
              "publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    check_url(rm, "gemini-1.5-pro", "countTokens",
              "https://europe-west4-aiplatform.googleapis.com/v1/projects/proj-from-env/locations/europe-west4/"
              "publishers/google/models/gemini-1.5-pro:countTokens");
    aia_remote_free(rm);
    vx.region = "us-central1";
    vx.project = "p2";
    vx.gemini_json_array = 1;
    assert_int_equal(aia_remote_new(&vx, http, &rm, &err), AIA_OK);
    check_url(rm, "text-bison", "streamGenerateContent",
              "https://us-central1-aiplatform.googleapis.com/v1/projects/p2/locations/us-central1/"
              "publishers/google/models/text-bison:streamGenerateContent");
    aia_remote_free(rm);
    aia_remote_config gm = {.provider = AIA_REMOTE_GEMINI_API, .api_key = "k"};
    assert_int_equal(aia_remote_new(&gm, http, &rm, &err), AIA_OK);
    check_url(rm, "gemini-2.5-flash", "generateContent",
              "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent");
    aia_remote_free(rm);
    aia_remote_config oa = {.provider = AIA_REMOTE_OPENAI, .base_url = "http://localhost:8080/"};
    assert_int_equal(aia_remote_new(&oa, http, &rm, &err), AIA_OK);
    check_url(rm, "any/model:name", "x", "http://localhost:8080/v1/chat/completions");
    aia_remote_free(rm);
}

static void test_connection_errors_retried(void **state) {
    /* Nothing listens on port 1: every attempt is refused, all are retried. */
    aia_remote_config cfg = {.provider = AIA_REMOTE_OPENAI, .base_url = "http://127.0.0.1:1", .max_attempts = 3,
                             .backoff_initial_ms = 20, .backoff_max_ms = 50};
    aia_remote *rm = NULL;
    aia_error err;
    assert_int_equal(aia_remote_new(&cfg, http, &rm, &err), AIA_OK);
    result r;
    run(rm, "m", &r);
    assert_int_equal(r.st, AIA_UNAVAILABLE);
    assert_non_null(strstr(r.err.message, "after 3 attempts"));
    assert_int_equal(aia_remote_attempts(rm), 3);
    res_free(&r);
    aia_remote_free(rm);
}

static void test_vertex_with_metadata_server(void **state) {
    char host[64];
    snprintf(host, sizeof host, "127.0.0.1:%d", up.port);
    aia_auth *meta = NULL;
    aia_error err;
    assert_int_equal(aia_auth_new_metadata(host, http, &meta, &err), AIA_OK);
    aia_remote_config cfg = {.provider = AIA_REMOTE_VERTEX, .base_url = up.base_url, .project = "p",
                             .region = "us-central1", .auth = meta, .max_attempts = 1};
    aia_remote *rm = NULL;
    assert_int_equal(aia_remote_new(&cfg, http, &rm, &err), AIA_OK);
    result r;
    run(rm, "gemini-meta", &r);
    check_hello(&r, 4);
    res_free(&r);
    assert_int_equal(aia_auth_refreshes(meta), 1);
    aia_remote_free(rm);
    aia_auth_free(meta);
}

static int setup(void **state) {
    const char *args[] = {"--openai-key", "sk-test", NULL};
    if (upstream_start(&up, args) != 0) return -1;
    aia_error err;
    if (aia_http_client_new(NULL, &http, &err) != AIA_OK) return -1;
    char path[1024];
    FILE *f = fopen(upstream_file("test_key.pem", path, sizeof path), "rb");
    if (!f) return -1;
    aia_strbuf pem = AIA_STRBUF_INIT, key = AIA_STRBUF_INIT;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) aia_strbuf_append(&pem, buf, n);
    fclose(f);
    aia_strbuf_puts(&key, "{\"client_email\": \"" SA_EMAIL "\", \"private_key\": ");
    aia_strbuf_json_string(&key, pem.data, pem.len);
    aia_strbuf_printf(&key, ", \"token_uri\": \"%s/token\"}", up.base_url);
    aia_status st = aia_auth_new_service_account_json(key.data, key.len, http, &auth, &err);
    aia_strbuf_free(&pem);
    aia_strbuf_free(&key);
    return st == AIA_OK ? 0 : -1;
}

static int teardown(void **state) {
    aia_http_client_free(http);
    aia_auth_free(auth);
    upstream_stop(&up);
    return 0;
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemini_api_sse),
        cmocka_unit_test(test_gemini_json_array),
        cmocka_unit_test(test_vertex_with_service_account),
        cmocka_unit_test(test_openai),
        cmocka_unit_test(test_error_mapping),
        cmocka_unit_test(test_truncated_streams),
        cmocka_unit_test(test_retry_before_first_token),
        cmocka_unit_test(test_no_retry_after_first_token),
        cmocka_unit_test(test_cancel),
        cmocka_unit_test(test_generate_unary),
        cmocka_unit_test(test_count_tokens),
        cmocka_unit_test(test_200_concurrent),
        cmocka_unit_test(test_bad_config_and_request),
        cmocka_unit_test(test_default_urls),
        cmocka_unit_test(test_connection_errors_retried),
        cmocka_unit_test(test_vertex_with_metadata_server),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
