/* lib/llm/local_internal.h — private to lib/llm/local*.c: the loaded model
 * registry, the call, the admission queue. */
#ifndef AIA_LLM_LOCAL_INTERNAL_H
#define AIA_LLM_LOCAL_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/llm/chat.h"
#include "lib/llm/gguf.h"
#include "lib/llm/llama.h"
#include "lib/llm/local.h"
#include "lib/llm/sample.h"
#include "lib/llm/tokenizer.h"

/* A model's parked KV cache (local_cache.c). Thread-safe. */
typedef struct aia_local_kv aia_local_kv;
#define AIA_LOCAL_PARK_MAX_CTX 2048 /* larger contexts are freed, not parked */
/* NULL when out of memory (the model then simply never reuses a prefix). */
aia_local_kv *aia_local_kv_new(void);
void aia_local_kv_free(aia_local_kv *kv);
/* The parked context when it has at least n_ctx positions (the caller then
 * owns it; *reuse = how many leading prompt tokens its cache already holds,
 * at most n_prompt - 1), else NULL (*reuse = 0). */
aia_llama_ctx *aia_local_kv_take(aia_local_kv *kv, size_t n_ctx, const int32_t *prompt, size_t n_prompt,
                                 size_t *reuse);
/* Parks ctx (ownership passes) whose cache holds tokens[0..n); frees the
 * context parked before, or ctx itself when it is too large to keep. */
void aia_local_kv_park(aia_local_kv *kv, aia_llama_ctx *ctx, const int32_t *tokens, size_t n);
/* Prompt tokens not evaluated again thanks to reuse, since the model loaded. */
size_t aia_local_kv_reused(const aia_local_kv *kv);

/* A loaded model; immutable once in the registry (but for its parked KV
 * cache, which locks itself), freed at close. */
typedef struct aia_local_model {
    char *key;  /* lower-case file stem */
    char *path;
    aia_gguf *gguf;
    aia_llama *llama;
    aia_tokenizer *tok;
    aia_chat_template tpl;
    int add_bos;
    uint32_t n_ctx_train;
    aia_local_kv *kv;
    struct aia_local_model *next;
} aia_local_model;

struct aia_local {
    char *models_dir;
    int threads, max_concurrent, fast_matmul;
    pthread_mutex_t load_mu; /* serialises loading; guards `models` */
    aia_local_model *models;
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t cv;  /* admission and thread exit */
    int running;        /* admitted calls */
    aia_local_call *queue_head, *queue_tail; /* waiting calls, FIFO */
    aia_local_call *live;                    /* calls whose thread runs */
    int n_live;
};

struct aia_local_call {
    aia_local *l;
    const aia_local_model *model;
    aia_llm_callbacks cb;
    int32_t *prompt;
    size_t n_prompt;
    int32_t max_output;
    aia_sampler_config sampling;
    char **stops;
    size_t n_stops;
    atomic_int cancel;
    /* Under l->mu: */
    int admitted, queued, refs;
    aia_local_call *qnext;              /* admission queue */
    aia_local_call *live_prev, *live_next;
};

/* Finds (loading on first use) the model for name. */
aia_status aia_local_model_get(aia_local *l, const char *name, const aia_local_model **out, aia_error *err);
void aia_local_models_free(aia_local *l);
/* The request's prompt ids (BOS when the model wants it), malloc'd. */
aia_status aia_local_prompt(const aia_local_model *m, const aia_llm_request *req, int32_t **ids, size_t *n,
                            aia_error *err);
/* Takes a free slot or queues c (FIFO); l->mu held. */
void aia_local_enqueue_locked(aia_local *l, aia_local_call *c);
/* The generation thread's body: admission, generation, on_done. */
void *aia_local_call_main(void *arg);
/* Drops one reference (caller's or thread's); frees at zero. Takes l->mu. */
void aia_local_call_unref(aia_local_call *c);
void aia_local_call_free(aia_local_call *c);

#endif
