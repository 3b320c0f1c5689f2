/* lib/llm/local_list.c — the model files models_dir holds, for ListLLMModels. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/llm/local_internal.h"

static void fill_info(const char *dir, const char *file, size_t stem, aia_llm_model_info *m) {
    memset(m, 0, sizeof *m);
    int is_default = strcasecmp(file, AIA_LOCAL_DEFAULT_FILE) == 0;
    if (is_default) {
        snprintf(m->name, sizeof m->name, "local/%s", AIA_LOCAL_DEFAULT_MODEL);
    } else {
        snprintf(m->name, sizeof m->name, "local/%.*s", (int)stem, file);
        for (char *p = m->name; *p; p++) *p = (char)tolower((unsigned char)*p);
    }
    m->provider = "local";
    snprintf(m->display_name, sizeof m->display_name, "%.*s (GGUF)", (int)stem, file);
    m->supports_streaming = 1;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    aia_gguf *g = NULL;
    aia_error err;
    if (aia_gguf_open(path, &g, &err) != AIA_OK) {
        snprintf(m->unavailable_reason, sizeof m->unavailable_reason, "%.200s", err.message);
        return;
    }
    uint32_t n_ctx = 0;
    if (aia_gguf_get_u32(g, "llama.context_length", &n_ctx, NULL) == AIA_OK && n_ctx <= INT32_MAX)
        m->context_window = (int32_t)n_ctx;
    m->available = 1;
    aia_gguf_close(g);
}

static int grow(aia_llm_model_info **v, size_t n, size_t *cap) {
    if (n < *cap) return 0;
    size_t nc = *cap ? *cap * 2 : 8;
    aia_llm_model_info *p = realloc(*v, nc * sizeof *p);
    if (!p) return -1;
    *v = p;
    *cap = nc;
    return 0;
}

aia_status aia_local_list(aia_local *l, aia_llm_model_info **out, size_t *n, aia_error *err) {
    aia_llm_model_info *v = NULL;
    size_t cnt = 0, cap = 0;
    int have_default = 0;
    DIR *d = opendir(l->models_dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len <= 5 || strcasecmp(e->d_name + len - 5, ".gguf") != 0) continue;
        if (grow(&v, cnt, &cap)) goto oom;
        fill_info(l->models_dir, e->d_name, len - 5, &v[cnt++]);
        have_default |= strcasecmp(e->d_name, AIA_LOCAL_DEFAULT_FILE) == 0;
    }
    if (d) closedir(d);
    d = NULL;
    if (!have_default) {
        if (grow(&v, cnt, &cap)) goto oom;
        aia_llm_model_info *m = &v[cnt++];
        memset(m, 0, sizeof *m);
        snprintf(m->name, sizeof m->name, "local/%s", AIA_LOCAL_DEFAULT_MODEL);
        m->provider = "local";
        snprintf(m->display_name, sizeof m->display_name, "SmolLM2 135M Instruct (Q4_1 GGUF)");
        m->context_window = 8192;
        m->supports_streaming = 1;
        snprintf(m->unavailable_reason, sizeof m->unavailable_reason, "not downloaded: run scripts/setup.sh");
    }
    *out = v;
    *n = cnt;
    return AIA_OK;
oom:
    if (d) closedir(d);
    free(v);
    return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "local: model list: out of memory");
}
