/* tests/unit/llm/local_smollm2_test.c — the local provider on the real
 * SmolLM2-135M-Instruct GGUF (AIA_SMOLLM2_GGUF names the file; skipped
 * otherwise): greedy "What is the capital of France?" says Paris; a seeded
 * sampled answer is reproduced by the same seed. Manual until the test
 * command fetches the model. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "lib/base/strbuf.h"
#include "lib/llm/local.h"

typedef struct result {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    aia_strbuf text;
    int done;
    aia_status status;
    char message[512];
} result;

static void on_text(void *user, const char *text, size_t len) {
    result *r = user;
    pthread_mutex_lock(&r->mu);
    aia_strbuf_append(&r->text, text, len);
    pthread_mutex_unlock(&r->mu);
}

static void on_done(void *user, aia_status st, const aia_llm_result *res, const aia_error *err) {
    result *r = user;
    pthread_mutex_lock(&r->mu);
    r->done = 1;
    r->status = st;
    snprintf(r->message, sizeof r->message, "%s", err ? err->message : "");
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

static char *ask(aia_local *l, int greedy, int64_t seed) {
    const char *q = "What is the capital of France?";
    aia_llm_part part = {AIA_LLM_PART_TEXT, q, strlen(q), NULL, NULL, 0};
    aia_llm_content content = {"user", &part, 1};
    aia_llm_request req = {.model = AIA_LOCAL_DEFAULT_MODEL, .contents = &content, .n_contents = 1};
    req.config.has_max_output_tokens = 1;
    req.config.max_output_tokens = 48;
    if (greedy) req.config.has_temperature = 1, req.config.temperature = 0;
    else req.config.has_seed = 1, req.config.seed = seed;
    result r;
    memset(&r, 0, sizeof r);
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    aia_strbuf_init(&r.text);
    aia_llm_callbacks cb = {on_text, on_done, &r};
    aia_error err;
    if (aia_local_stream(l, &req, &cb, NULL, &err) != AIA_OK) fail_msg("%s", err.message);
    pthread_mutex_lock(&r.mu);
    while (!r.done) pthread_cond_wait(&r.cv, &r.mu);
    pthread_mutex_unlock(&r.mu);
    if (r.status != AIA_OK) fail_msg("%s", r.message);
    printf("answer: %s\n", r.text.data ? r.text.data : "");
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cv);
    char *s = strdup(r.text.data ? r.text.data : "");
    aia_strbuf_free(&r.text);
    return s;
}

static void test_capital_of_france(void **state) {
    (void)state;
    const char *path = getenv("AIA_SMOLLM2_GGUF");
    if (!path || !*path) skip();
    const char *tmp = getenv("TEST_TMPDIR");
    char dir[4096], link[4300];
    snprintf(dir, sizeof dir, "%s/smol_models", tmp ? tmp : "/tmp");
    mkdir(dir, 0755);
    snprintf(link, sizeof link, "%s/%s", dir, AIA_LOCAL_DEFAULT_FILE);
    unlink(link);
    assert_int_equal(symlink(path, link), 0);
    aia_local_options o = {dir, 2, 1, 0};
    aia_local *l = NULL;
    aia_error err;
    assert_int_equal(aia_local_open(&o, &l, &err), AIA_OK);
    char *a = ask(l, 1, 0);
    assert_non_null(strstr(a, "Paris"));
    char *b = ask(l, 0, 1234), *c = ask(l, 0, 1234);
    assert_string_equal(b, c);
    free(a);
    free(b);
    free(c);
    aia_local_close(l);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_capital_of_france)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
