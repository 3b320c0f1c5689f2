/* Unit tests for lib/llm/llm (the engine facade) against the test
 * upstream: routing to a configured provider and refusing an unconfigured
 * one by name, per-caller concurrency limits (a slow stream holds the slot,
 * another caller is not affected, the slot comes back at the end),
 * cancellation through the facade, usage counted per model and caller in
 * Prometheus text, CountTokens routing, and the model catalogue. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <pthread.h>

#include "lib/base/timeutil.h"
#include "lib/llm/llm.h"
#include "tests/llm_upstream/upstream_proc.h"

typedef struct result {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int done;
    aia_status status;
    aia_llm_finish finish;
    aia_llm_usage usage;
    char text[4096];
    size_t len;
    char message[512];
} result;

static void res_init(result *r)
{
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
}

static void on_text(void *user, const char *text, size_t len)
{
    result *r = user;
    pthread_mutex_lock(&r->mu);
    if (r->len + len < sizeof r->text) {
        memcpy(r->text + r->len, text, len);
        r->len += len;
    }
    pthread_mutex_unlock(&r->mu);
}

static void on_done(void *user, aia_status status, const aia_llm_result *res, const aia_error *err)
{
    result *r = user;
    pthread_mutex_lock(&r->mu);
    r->done = 1;
    r->status = status;
    r->finish = res->finish;
    r->usage = res->usage;
    if (status != AIA_OK && err) snprintf(r->message, sizeof r->message, "%s", err->message);
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static int wait_done(result *r, int ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    pthread_mutex_lock(&r->mu);
    while (!r->done && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0) {}
    int done = r->done;
    pthread_mutex_unlock(&r->mu);
    return done;
}

static aia_llm_request request(const char *model, aia_llm_part *part, aia_llm_content *content)
{
    *part = (aia_llm_part){.kind = AIA_LLM_PART_TEXT, .text = "hello", .text_len = 5};
    *content = (aia_llm_content){.role = "user", .parts = part, .n_parts = 1};
    return (aia_llm_request){.model = model, .contents = content, .n_contents = 1};
}

typedef struct fixture {
    upstream up;
    aia_llm *llm;
    char models_dir[640];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_int_equal(upstream_start(&f->up, NULL), 0);
    snprintf(f->models_dir, sizeof f->models_dir, "%s/models", f->up.dir);
    assert_int_equal(mkdir(f->models_dir, 0755), 0);
    unsetenv("GOOGLE_CLOUD_PROJECT");
    unsetenv("GEMINI_API_KEY");
    unsetenv("GOOGLE_API_KEY");
    unsetenv("OPENAI_BASE_URL");
    aia_llm_options o = {.openai_base_url = f->up.base_url, .models_dir = f->models_dir,
                         .max_concurrent_per_caller = 1};
    aia_error err;
    if (aia_llm_open(&o, &f->llm, &err) != AIA_OK) fail_msg("%s", err.message);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    aia_llm_close(f->llm);
    upstream_stop(&f->up);
    free(f);
    return 0;
}

static void routes_and_unconfigured_providers(void **state)
{
    fixture *f = *state;
    aia_llm_part p;
    aia_llm_content c;
    aia_llm_request req = request("openai/echo", &p, &c);
    result r;
    res_init(&r);
    aia_llm_callbacks cb = {on_text, on_done, &r};
    aia_llm_call *call = NULL;
    const char *provider = NULL;
    aia_error err;
    assert_int_equal(aia_llm_stream(f->llm, "alice", &req, &cb, &call, &provider, &err), AIA_OK);
    assert_string_equal(provider, "openai");
    assert_true(wait_done(&r, 10000));
    assert_int_equal(r.status, AIA_OK);
    assert_true(r.len > 0);
    assert_int_equal(r.finish, AIA_LLM_FINISH_STOP);
    aia_llm_call_release(call);

    req.model = "gemini-2.5-flash"; /* vertex: no project configured */
    assert_int_equal(aia_llm_stream(f->llm, "alice", &req, &cb, &call, NULL, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "GOOGLE_CLOUD_PROJECT"));
    req.model = "gemini-api/gemini-2.5-flash";
    assert_int_equal(aia_llm_stream(f->llm, "alice", &req, &cb, &call, NULL, &err), AIA_FAILED_PRECONDITION);
    assert_non_null(strstr(err.message, "GEMINI_API_KEY"));
    req.model = "gpt-4o";
    assert_int_equal(aia_llm_stream(f->llm, "alice", &req, &cb, &call, NULL, &err), AIA_NOT_FOUND);
    int64_t n = 0;
    req.model = "openai/echo";
    assert_int_equal(aia_llm_count_tokens(f->llm, &req, &n, NULL, &err), AIA_UNIMPLEMENTED);
}

static void per_caller_limit_and_cancel(void **state)
{
    fixture *f = *state;
    aia_llm_part p;
    aia_llm_content c;
    aia_llm_request req = request("openai/slow", &p, &c);
    result slow, other, refused;
    res_init(&slow);
    res_init(&other);
    res_init(&refused);
    aia_llm_callbacks cb_slow = {on_text, on_done, &slow}, cb_other = {on_text, on_done, &other},
                      cb_refused = {on_text, on_done, &refused};
    aia_llm_call *a = NULL, *b = NULL, *x = NULL;
    aia_error err;
    assert_int_equal(aia_llm_stream(f->llm, "bob", &req, &cb_slow, &a, NULL, &err), AIA_OK);
    assert_int_equal(aia_llm_stream(f->llm, "bob", &req, &cb_refused, &x, NULL, &err), AIA_RESOURCE_EXHAUSTED);
    assert_non_null(strstr(err.message, "\"bob\""));
    req.model = "openai/echo";
    assert_int_equal(aia_llm_stream(f->llm, "carol", &req, &cb_other, &b, NULL, &err), AIA_OK); /* not bob's limit */
    assert_true(wait_done(&other, 10000));
    assert_int_equal(other.status, AIA_OK);
    int64_t t0 = aia_time_mono_ns();
    aia_llm_cancel(a);
    assert_true(wait_done(&slow, 5000));
    assert_int_equal(slow.status, AIA_CANCELLED);
    assert_true(aia_time_mono_ns() - t0 < 1000000000LL); /* the upstream request closed at once */
    aia_llm_call_release(a);
    aia_llm_call_release(b);
    res_init(&refused); /* bob's slot is back */
    assert_int_equal(aia_llm_stream(f->llm, "bob", &req, &cb_refused, &x, NULL, &err), AIA_OK);
    assert_true(wait_done(&refused, 10000));
    aia_llm_call_release(x);
    assert_false(refused.done == 0);
}

static void usage_metrics_and_catalogue(void **state)
{
    fixture *f = *state;
    aia_llm_part p;
    aia_llm_content c;
    aia_llm_request req = request("openai/echo", &p, &c);
    result r;
    res_init(&r);
    aia_llm_callbacks cb = {on_text, on_done, &r};
    aia_llm_call *call = NULL;
    aia_error err;
    assert_int_equal(aia_llm_stream(f->llm, "dave \"d\"", &req, &cb, &call, NULL, &err), AIA_OK);
    assert_true(wait_done(&r, 10000));
    aia_llm_call_release(call);
    assert_true(r.usage.total_tokens > 0);
    aia_strbuf sb;
    aia_strbuf_init(&sb);
    aia_llm_metrics_render(f->llm, &sb);
    char line[256];
    snprintf(line, sizeof line,
             "aia_llm_tokens_total{model=\"openai/echo\",caller=\"dave \\\"d\\\"\",kind=\"output\"} %lld\n",
             (long long)r.usage.output_tokens);
    if (!strstr(sb.data, line)) fail_msg("missing %s in\n%s", line, sb.data);
    assert_non_null(strstr(sb.data, "aia_llm_calls_total{model=\"openai/echo\",caller=\"dave \\\"d\\\"\",status=\"OK\"} 1\n"));
    /* each family's samples stay together after its TYPE line */
    assert_true(strstr(sb.data, "# TYPE aia_llm_calls_total") > strstr(sb.data, "kind=\"output\""));
    aia_strbuf_free(&sb);

    aia_llm_model_info *models = NULL;
    size_t n = 0;
    assert_int_equal(aia_llm_list_models(f->llm, NULL, &models, &n, &err), AIA_OK);
    int vertex = 0, openai = 0, local_default = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(models[i].provider, "vertex") == 0) {
            vertex++;
            assert_false(models[i].available);
            assert_non_null(strstr(models[i].unavailable_reason, "GOOGLE_CLOUD_PROJECT"));
        }
        if (strcmp(models[i].provider, "openai") == 0) openai += models[i].available;
        if (strcmp(models[i].provider, "local") == 0 && !models[i].available) local_default++;
    }
    assert_true(vertex >= 5);
    assert_int_equal(openai, 1);
    assert_int_equal(local_default, 1); /* the default model, not downloaded into this empty dir */
    free(models);
    assert_int_equal(aia_llm_list_models(f->llm, "vertex", &models, &n, &err), AIA_OK);
    for (size_t i = 0; i < n; i++) assert_string_equal(models[i].provider, "vertex");
    free(models);
    assert_int_equal(aia_llm_list_models(f->llm, "ollama", &models, &n, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "ollama"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(routes_and_unconfigured_providers, setup, teardown),
        cmocka_unit_test_setup_teardown(per_caller_limit_and_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(usage_metrics_and_catalogue, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
