/* lib/llm/local.c — the local provider's entry points: open/close, starting
 * and cancelling calls, counting tokens, listing model files. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "lib/base/rng.h"
#include "lib/base/timeutil.h"
#include "lib/llm/local_internal.h"

enum { DEFAULT_MAX_OUTPUT = 512 };
/* llama.cpp server's defaults for unset sampling parameters. */
#define DEFAULT_TEMPERATURE 0.8f
#define DEFAULT_TOP_K 40
#define DEFAULT_TOP_P 0.95f

aia_status aia_local_open(const aia_local_options *opt, aia_local **out, aia_error *err) {
    *out = NULL;
    if (!opt || !opt->models_dir || !*opt->models_dir)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "local: models_dir: empty");
    if (opt->threads < 0 || opt->threads > 256)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "local: threads: %d, expected 0..256", opt->threads);
    if (opt->max_concurrent < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "local: max_concurrent: %d, expected >= 0", opt->max_concurrent);
    struct stat sb;
    if (stat(opt->models_dir, &sb) == 0 && !S_ISDIR(sb.st_mode))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "local: models_dir %s: not a directory", opt->models_dir);
    aia_local *l = calloc(1, sizeof *l);
    if (!l || !(l->models_dir = strdup(opt->models_dir))) {
        free(l);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "local: out of memory");
    }
    l->threads = opt->threads ? opt->threads : 2;
    l->max_concurrent = opt->max_concurrent ? opt->max_concurrent : 1;
    l->fast_matmul = opt->fast_matmul != 0;
    pthread_mutex_init(&l->load_mu, NULL);
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    *out = l;
    return AIA_OK;
}

void aia_local_close(aia_local *l) {
    if (!l) return;
    pthread_mutex_lock(&l->mu);
    for (aia_local_call *c = l->live; c; c = c->live_next) atomic_store(&c->cancel, 1);
    pthread_cond_broadcast(&l->cv);
    while (l->n_live > 0) pthread_cond_wait(&l->cv, &l->mu);
    pthread_mutex_unlock(&l->mu);
    aia_local_models_free(l);
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
    pthread_mutex_destroy(&l->load_mu);
    free(l->models_dir);
    free(l);
}

/* ---- sampling and limits from the generation config ------------------- */

static uint64_t random_seed(void) {
    static atomic_ullong counter;
    aia_rng r;
    aia_rng_seed(&r, (uint64_t)aia_time_now_ns() ^ ((uint64_t)aia_time_mono_ns() << 21) ^
                         (uint64_t)atomic_fetch_add(&counter, 1) * 0x9e3779b97f4a7c15ull);
    return aia_rng_next(&r);
}

static aia_status sampling_from(const aia_llm_generation_config *g, aia_sampler_config *s, int32_t *max_out,
                                aia_error *err) {
    s->temperature = g->has_temperature ? (float)g->temperature : DEFAULT_TEMPERATURE;
    s->top_k = g->has_top_k ? g->top_k : DEFAULT_TOP_K;
    s->top_p = g->has_top_p ? (float)g->top_p : DEFAULT_TOP_P;
    if (g->has_temperature && !(g->temperature >= 0 && g->temperature <= 1e6))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.temperature: %g, expected finite >= 0",
                             g->temperature);
    if (g->has_top_p && !(g->top_p >= 0 && g->top_p <= 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.top_p: %g, expected in [0, 1]", g->top_p);
    if (s->top_p <= 0) s->top_p = 1e-6f; /* keeps the single most likely token */
    if (g->has_top_k && g->top_k < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.top_k: %d, expected >= 1", (int)g->top_k);
    if (g->has_max_output_tokens && g->max_output_tokens < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.max_output_tokens: %d, expected >= 1",
                             (int)g->max_output_tokens);
    *max_out = g->has_max_output_tokens ? g->max_output_tokens : DEFAULT_MAX_OUTPUT;
    s->seed = g->has_seed ? (uint64_t)g->seed : random_seed();
    return AIA_OK;
}

static aia_status copy_stops(const aia_llm_generation_config *g, aia_local_call *c, aia_error *err) {
    if (!g->n_stop_sequences) return AIA_OK;
    if (!g->stop_sequences) return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.stop_sequences: NULL");
    c->stops = calloc(g->n_stop_sequences, sizeof *c->stops);
    if (!c->stops) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "stop sequences: out of memory");
    for (size_t i = 0; i < g->n_stop_sequences; i++) {
        const char *s = g->stop_sequences[i];
        if (!s || !*s)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.stop_sequences[%zu]: empty", i);
        if (!(c->stops[c->n_stops++] = strdup(s)))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "stop sequences: out of memory");
    }
    return AIA_OK;
}

void aia_local_call_free(aia_local_call *c) {
    for (size_t i = 0; i < c->n_stops; i++) free(c->stops[i]);
    free(c->stops);
    free(c->prompt);
    free(c);
}

void aia_local_call_unref(aia_local_call *c) {
    aia_local *l = c->l;
    pthread_mutex_lock(&l->mu);
    int last = --c->refs == 0;
    pthread_mutex_unlock(&l->mu);
    if (last) aia_local_call_free(c);
}

/* ---- calls ------------------------------------------------------------- */

static aia_status check_fits(const aia_local_model *m, const char *name, size_t n_prompt, aia_error *err) {
    if (n_prompt < m->n_ctx_train) return AIA_OK;
    return aia_error_set(err, AIA_INVALID_ARGUMENT,
                         "the prompt is %zu tokens; local model \"%s\" has a context of %u tokens, which must also "
                         "hold at least one output token",
                         n_prompt, name, (unsigned)m->n_ctx_train);
}

static aia_status prepare(aia_local *l, const aia_llm_request *req, aia_local_call *c, aia_error *err) {
    aia_status st = sampling_from(&req->config, &c->sampling, &c->max_output, err);
    if (st == AIA_OK) st = copy_stops(&req->config, c, err);
    if (st == AIA_OK) st = aia_local_model_get(l, req->model, &c->model, err);
    if (st == AIA_OK) st = aia_local_prompt(c->model, req, &c->prompt, &c->n_prompt, err);
    if (st == AIA_OK) st = check_fits(c->model, req->model, c->n_prompt, err);
    return st;
}

static void live_add(aia_local *l, aia_local_call *c) {
    c->live_next = l->live;
    if (l->live) l->live->live_prev = c;
    l->live = c;
    l->n_live++;
}

static aia_status start_thread(aia_local *l, aia_local_call *c, aia_error *err) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_mutex_lock(&l->mu);
    live_add(l, c);
    pthread_t th;
    int rc = pthread_create(&th, &attr, aia_local_call_main, c);
    if (rc == 0) aia_local_enqueue_locked(l, c);
    if (rc != 0) {
        l->live = c->live_next;
        if (l->live) l->live->live_prev = NULL;
        l->n_live--;
    }
    pthread_mutex_unlock(&l->mu);
    pthread_attr_destroy(&attr);
    if (rc != 0) return aia_error_set(err, AIA_INTERNAL, "local: cannot start a generation thread: %s", strerror(rc));
    return AIA_OK;
}

aia_status aia_local_stream(aia_local *l, const aia_llm_request *req, const aia_llm_callbacks *cb,
                            aia_local_call **out, aia_error *err) {
    if (out) *out = NULL;
    if (!req || !cb || !cb->on_done) return aia_error_set(err, AIA_INVALID_ARGUMENT, "local: request or on_done missing");
    aia_local_call *c = calloc(1, sizeof *c);
    if (!c) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "local: out of memory");
    c->l = l;
    c->cb = *cb;
    atomic_init(&c->cancel, 0);
    aia_status st = prepare(l, req, c, err);
    c->refs = out ? 2 : 1;
    if (st == AIA_OK) st = start_thread(l, c, err);
    if (st != AIA_OK) {
        aia_local_call_free(c);
        return st;
    }
    if (out) *out = c;
    return AIA_OK;
}

void aia_local_cancel(aia_local_call *c) {
    if (!c) return;
    atomic_store(&c->cancel, 1);
    pthread_mutex_lock(&c->l->mu);
    pthread_cond_broadcast(&c->l->cv); /* a queued call leaves the queue */
    pthread_mutex_unlock(&c->l->mu);
}

void aia_local_call_release(aia_local_call *c) {
    if (c) aia_local_call_unref(c);
}

aia_status aia_local_count_tokens(aia_local *l, const aia_llm_request *req, int64_t *total, aia_error *err) {
    const aia_local_model *m = NULL;
    if (!req) return aia_error_set(err, AIA_INVALID_ARGUMENT, "local: request missing");
    aia_status st = aia_local_model_get(l, req->model, &m, err);
    int32_t *ids = NULL;
    size_t n = 0;
    if (st == AIA_OK) st = aia_local_prompt(m, req, &ids, &n, err);
    free(ids);
    if (st == AIA_OK) *total = (int64_t)n;
    return st;
}
