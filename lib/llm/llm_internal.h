/* lib/llm/llm_internal.h — what the engine facade's files share. */
#ifndef AIA_LLM_LLM_INTERNAL_H
#define AIA_LLM_LLM_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "lib/llm/auth.h"
#include "lib/llm/http.h"
#include "lib/llm/llm.h"
#include "lib/llm/local.h"
#include "lib/llm/remote.h"
#include "lib/llm/route.h"

enum { LLM_VERTEX, LLM_GEMINI_API, LLM_OPENAI, LLM_N_REMOTE };

/* A remote provider, or why it is not configured. */
typedef struct llm_remote_slot {
    aia_remote *remote; /* NULL when unavailable */
    char reason[256];
} llm_remote_slot;

/* Calls in flight of one caller (limits). */
typedef struct llm_caller {
    char name[128];
    int in_flight;
    struct llm_caller *next;
} llm_caller;

/* Token usage and call counts of one model and caller. */
typedef struct llm_usage_row {
    char model[160];
    char caller[128];
    int64_t prompt_tokens, output_tokens;
    int64_t calls[17]; /* by aia_status 0..16 */
    struct llm_usage_row *next;
} llm_usage_row;

struct aia_llm {
    aia_llm_routes *routes;
    aia_http_client *http;
    aia_auth *vertex_auth;
    llm_remote_slot remote[LLM_N_REMOTE];
    aia_local *local;
    char models_dir[4096];
    int max_per_caller;
    pthread_mutex_t mu; /* callers, usage */
    llm_caller *callers;
    llm_usage_row *usage;
};

struct aia_llm_call {
    aia_llm *l;
    aia_llm_callbacks cb;
    char caller[128];
    char model[160];
    aia_remote_call *remote_call;
    aia_local_call *local_call;
    atomic_int refs; /* the caller's handle + the provider until on_done */
};

static inline int llm_remote_index(aia_llm_provider_kind k)
{
    return k == AIA_LLM_PROVIDER_VERTEX ? LLM_VERTEX : k == AIA_LLM_PROVIDER_GEMINI_API ? LLM_GEMINI_API : LLM_OPENAI;
}

/* ---- llm_usage.c ---- */
/* Takes a slot of the caller's limit: RESOURCE_EXHAUSTED when full. */
aia_status llm_call_begin(aia_llm *l, const char *caller, aia_error *err);
/* Gives the slot back for a call that never started. */
void llm_call_refused(aia_llm *l, const char *caller);
/* Gives the slot back and counts the call's status and usage. */
void llm_call_ended(aia_llm *l, const char *caller, const char *model, aia_status status, const aia_llm_usage *usage);
void llm_usage_free(aia_llm *l);

#endif
