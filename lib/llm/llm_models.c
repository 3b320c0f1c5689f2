/* lib/llm/llm_models.c — ListLLMModels' catalogue: the local GGUF files,
 * and the Gemini models Vertex AI and the Gemini API document, marked
 * available when their provider is configured (credentials are not tried:
 * that would be a network call per listing). OpenAI-compatible servers
 * serve whatever they load, so that provider lists one entry naming how to
 * call it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/llm/llm_internal.h"

/* Google's published limits (input + output window, output cap). */
static const struct {
    const char *name;
    int32_t context_window, max_output;
} k_gemini[] = {
    {"gemini-2.5-pro", 1048576 + 65536, 65536},
    {"gemini-2.5-flash", 1048576 + 65536, 65536},
    {"gemini-2.0-flash", 1048576 + 8192, 8192},
    {"gemini-1.5-pro", 2097152 + 8192, 8192},
    {"gemini-1.5-flash", 1048576 + 8192, 8192},
};
#define N_GEMINI (sizeof k_gemini / sizeof k_gemini[0])

static void remote_entry(aia_llm_model_info *m, const char *prefix, const char *name, const char *provider,
                         const llm_remote_slot *s, int32_t window, int32_t max_output)
{
    memset(m, 0, sizeof *m);
    snprintf(m->name, sizeof m->name, "%s%s", prefix, name);
    m->provider = provider;
    snprintf(m->display_name, sizeof m->display_name, "%s (%s)", name, provider);
    m->context_window = window;
    m->max_output_tokens = max_output;
    m->supports_streaming = 1;
    m->available = s->remote != NULL;
    if (!m->available) snprintf(m->unavailable_reason, sizeof m->unavailable_reason, "%s", s->reason);
    m->accepts_images = strcmp(provider, "openai") != 0;
}

static int wanted(const char *filter, const char *provider)
{
    return !filter || !*filter || strcmp(filter, provider) == 0;
}

aia_status aia_llm_list_models(aia_llm *l, const char *provider, aia_llm_model_info **out, size_t *n, aia_error *err)
{
    *out = NULL;
    *n = 0;
    if (provider && *provider && !aia_llm_provider_parse(provider))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "provider: \"%s\" is not one of local, vertex, gemini-api, openai", provider);
    aia_llm_model_info *local = NULL;
    size_t n_local = 0;
    if (wanted(provider, "local") && aia_local_list(l->local, &local, &n_local, err) != AIA_OK) return err->code;
    aia_llm_model_info *all = calloc(n_local + 2 * N_GEMINI + 1, sizeof *all);
    if (!all) {
        free(local);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    }
    size_t k = 0;
    for (size_t i = 0; i < n_local; i++) all[k++] = local[i];
    free(local);
    for (size_t i = 0; i < N_GEMINI && wanted(provider, "vertex"); i++)
        remote_entry(&all[k++], "", k_gemini[i].name, "vertex", &l->remote[LLM_VERTEX], k_gemini[i].context_window,
                     k_gemini[i].max_output);
    for (size_t i = 0; i < N_GEMINI && wanted(provider, "gemini-api"); i++)
        remote_entry(&all[k++], "gemini-api/", k_gemini[i].name, "gemini-api", &l->remote[LLM_GEMINI_API],
                     k_gemini[i].context_window, k_gemini[i].max_output);
    if (wanted(provider, "openai"))
        remote_entry(&all[k++], "openai/", "<model>", "openai", &l->remote[LLM_OPENAI], 0, 0);
    *out = all;
    *n = k;
    return AIA_OK;
}
