/* server/services/llm_service.c — aia.v1.LLMService over the LLM engine
 * (lib/llm/llm.h): binding, CountTokens, ListLLMModels and the method
 * table. Generate and StreamGenerate live in llm_stream.c, the request
 * conversion in llm_convert.c.
 *
 * CountTokens may call a provider over the network, so it runs on the
 * worker pool (AIA_METHOD_BLOCKING), as Generate does; ListLLMModels reads
 * the models directory, so it does too. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "lib/llm/route.h"
#include "server/services/llm_internal.h"
#include "server/services/llm_service.h"
#include "server/services/services.h"

#define DEFAULT_PAGE_SIZE 100
#define MAX_PAGE_SIZE 1000

static _Atomic(aia_llm *) g_engine; /* see llm_service.h */

aia_llm *aia_llm_service_engine(aia_error *err)
{
    aia_llm *l = atomic_load(&g_engine);
    if (!l) aia_error_set(err, AIA_UNAVAILABLE, "LLMService is not ready: the LLM engine is not open");
    return l;
}

aia_status aia_llm_service_bind(aia_llm *engine, aia_error *err)
{
    if (aia_llm_stream_init(err) != AIA_OK) return err->code;
    atomic_store(&g_engine, engine);
    return AIA_OK;
}

void aia_llm_service_unbind(void)
{
    atomic_store(&g_engine, NULL);
    aia_llm_stream_drain();
}

/* ---- CountTokens ------------------------------------------------------------ */

static aia_status rpc_count(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const Aia__V1__CountTokensRequest *r = (const Aia__V1__CountTokensRequest *)req;
    Aia__V1__CountTokensResponse *out = (Aia__V1__CountTokensResponse *)resp;
    aia_llm *l = aia_llm_service_engine(err);
    if (!l) return err->code;
    aia_llm_api_request in = {.model = r->model,
                              .n_contents = r->n_contents,
                              .contents = r->contents,
                              .system_instruction = r->system_instruction};
    aia_llm_request lr;
    if (aia_llm_request_from_api(aia_rpc_arena(rpc), &in, &lr, err) != AIA_OK) return err->code;
    int64_t total = 0;
    if (aia_llm_count_tokens(l, &lr, &total, NULL, err) != AIA_OK) return err->code;
    out->total_tokens = total > INT32_MAX ? INT32_MAX : (int32_t)total;
    out->model = aia_arena_strdup(aia_rpc_arena(rpc), lr.model);
    return out->model ? AIA_OK : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
}

/* ---- ListLLMModels -------------------------------------------------------- */

static int by_name(const void *a, const void *b)
{
    return strcmp(((const aia_llm_model_info *)a)->name, ((const aia_llm_model_info *)b)->name);
}

/* Image types Gemini takes inline. */
static const char *const k_image_types[] = {"image/png", "image/jpeg", "image/webp", "image/heic", "image/heif"};

static Aia__V1__LLMModel *model_to_api(aia_arena *a, const aia_llm_model_info *m)
{
    Aia__V1__LLMModel *o = aia_arena_alloc(a, sizeof *o);
    if (!o) return NULL;
    aia__v1__llmmodel__init(o);
    o->name = aia_arena_strdup(a, m->name);
    o->provider = aia_arena_strdup(a, m->provider ? m->provider : "");
    o->display_name = aia_arena_strdup(a, m->display_name);
    o->context_window = m->context_window;
    o->max_output_tokens = m->max_output_tokens;
    o->supports_streaming = m->supports_streaming != 0;
    o->available = m->available != 0;
    o->unavailable_reason = aia_arena_strdup(a, m->available ? "" : m->unavailable_reason);
    if (m->accepts_images) {
        o->input_mime_types = (char **)k_image_types;
        o->n_input_mime_types = sizeof k_image_types / sizeof k_image_types[0];
    }
    return o->name && o->provider && o->display_name && o->unavailable_reason ? o : NULL;
}

static aia_status check_list_request(const Aia__V1__ListLLMModelsRequest *r, aia_error *err)
{
    if (r->provider[0] && !aia_llm_provider_parse(r->provider))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "provider: \"%s\" is not one of vertex, gemini-api, openai, local", r->provider);
    if (r->page_size < 0) return aia_error_set(err, AIA_INVALID_ARGUMENT, "page_size: %d is negative", r->page_size);
    if (strlen(r->page_token) >= sizeof(((aia_llm_model_info *)0)->name))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "page_token: not a token this server gave");
    return AIA_OK;
}

/* The page token is the name of the page's last model: the next page
 * starts after it, so models appearing or going meanwhile shift nothing. */
static aia_status rpc_list(aia_rpc *rpc, const ProtobufCMessage *req, ProtobufCMessage *resp, aia_error *err)
{
    const Aia__V1__ListLLMModelsRequest *r = (const Aia__V1__ListLLMModelsRequest *)req;
    Aia__V1__ListLLMModelsResponse *out = (Aia__V1__ListLLMModelsResponse *)resp;
    aia_llm *l = aia_llm_service_engine(err);
    if (!l) return err->code;
    if (check_list_request(r, err) != AIA_OK) return err->code;
    aia_llm_model_info *ms = NULL;
    size_t n = 0;
    if (aia_llm_list_models(l, r->provider[0] ? r->provider : NULL, &ms, &n, err) != AIA_OK) return err->code;
    if (n) qsort(ms, n, sizeof *ms, by_name);
    size_t page = r->page_size == 0 ? DEFAULT_PAGE_SIZE : r->page_size > MAX_PAGE_SIZE ? MAX_PAGE_SIZE : (size_t)r->page_size;
    size_t first = 0;
    while (r->page_token[0] && first < n && strcmp(ms[first].name, r->page_token) <= 0) first++;
    aia_arena *a = aia_rpc_arena(rpc);
    size_t count = n - first < page ? n - first : page;
    out->models = aia_arena_alloc(a, (count + 1) * sizeof *out->models);
    aia_status st = out->models ? AIA_OK : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; st == AIA_OK && i < count; i++) {
        if (!(out->models[i] = model_to_api(a, &ms[first + i])))
            st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        else
            out->n_models++;
    }
    if (st == AIA_OK && first + count < n && count)
        out->next_page_token = aia_arena_strdup(a, ms[first + count - 1].name);
    free(ms);
    return st;
}

#define BLOCKING(m, fn) {.name = m, .unary = fn, .flags = AIA_METHOD_BLOCKING}

static const aia_method_impl k_methods[] = {
    BLOCKING("Generate", aia_llm_rpc_generate),
    {.name = "StreamGenerate", .stream = aia_llm_rpc_stream_generate, .flags = AIA_METHOD_BLOCKING},
    BLOCKING("CountTokens", rpc_count),
    BLOCKING("ListLLMModels", rpc_list),
};

const aia_service_impl aia_llm_service = {
    .descriptor = &aia__v1__llmservice__descriptor,
    .methods = k_methods,
    .n_methods = sizeof k_methods / sizeof k_methods[0],
};
