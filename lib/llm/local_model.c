/* lib/llm/local_model.c — finding a model file, loading it once, and
 * building the chat prompt of a request. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/base/strbuf.h"
#include "lib/llm/local_internal.h"
#include "lib/llm/tokenizer_gguf.h"

static char *lower_dup(const char *s, size_t n) {
    char *d = malloc(n + 1);
    if (!d) return NULL;
    for (size_t i = 0; i < n; i++) d[i] = (char)tolower((unsigned char)s[i]);
    d[n] = 0;
    return d;
}

static int is_gguf(const char *name, size_t *stem) {
    size_t n = strlen(name);
    if (n <= 5 || strcasecmp(name + n - 5, ".gguf") != 0) return 0;
    *stem = n - 5;
    return 1;
}

/* Scans models_dir for a file whose stem equals want (lower-case);
 * *path is malloc'd. Fills `avail` with the .gguf names for the error. */
static int find_file(const aia_local *l, const char *want, char **path, aia_strbuf *avail) {
    DIR *d = opendir(l->models_dir);
    if (!d) return 0;
    struct dirent *e;
    int found = 0;
    while (!found && (e = readdir(d)) != NULL) {
        size_t stem;
        if (!is_gguf(e->d_name, &stem)) continue;
        if (stem == strlen(want) && strncasecmp(e->d_name, want, stem) == 0) {
            size_t n = strlen(l->models_dir) + strlen(e->d_name) + 2;
            *path = malloc(n);
            if (*path) snprintf(*path, n, "%s/%s", l->models_dir, e->d_name);
            found = *path != NULL;
        } else {
            aia_strbuf_printf(avail, "%s%s", avail->len ? ", " : "", e->d_name);
        }
    }
    closedir(d);
    return found;
}

/* The lower-case file stem a routed name stands for. */
static char *stem_for(const char *name) {
    if (strncasecmp(name, "local/", 6) == 0) name += 6;
    if (strcasecmp(name, AIA_LOCAL_DEFAULT_MODEL) == 0) name = AIA_LOCAL_DEFAULT_FILE;
    size_t n = strlen(name), stem;
    if (is_gguf(name, &stem)) n = stem;
    return lower_dup(name, n);
}

static void model_free(aia_local_model *m) {
    if (!m) return;
    aia_local_kv_free(m->kv); /* its context borrows m->llama */
    aia_tokenizer_destroy(m->tok);
    aia_chat_template_free(&m->tpl);
    aia_llama_free(m->llama);
    aia_gguf_close(m->gguf);
    free(m->key);
    free(m->path);
    free(m);
}

static aia_status model_load(const char *path, aia_local_model *m, aia_error *err) {
    aia_status st = aia_gguf_open(path, &m->gguf, err);
    if (st == AIA_OK) st = aia_llama_load(m->gguf, &m->llama, err);
    if (st == AIA_OK) st = aia_tokenizer_from_gguf(m->gguf, &m->tok, err);
    const char *jinja = NULL;
    if (st == AIA_OK) aia_gguf_get_str(m->gguf, "tokenizer.chat_template", &jinja, NULL, NULL);
    if (st == AIA_OK) st = aia_chat_template_detect(jinja, &m->tpl, err);
    if (st != AIA_OK) return st;
    if (aia_tokenizer_find(m->tok, "<|im_start|>") < 0 || aia_tokenizer_find(m->tok, "<|im_end|>") < 0)
        return aia_error_set(err, AIA_UNIMPLEMENTED, "the vocabulary lacks <|im_start|> / <|im_end|> (ChatML)");
    if (aia_gguf_get_bool(m->gguf, "tokenizer.ggml.add_bos_token", &m->add_bos, NULL) != AIA_OK) m->add_bos = 0;
    if (m->add_bos && aia_tokenizer_specials(m->tok).bos < 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "tokenizer.ggml.add_bos_token is set but there is no BOS id");
    m->n_ctx_train = aia_llama_hparams_of(m->llama)->n_ctx_train;
    m->kv = aia_local_kv_new();
    return AIA_OK;
}

static aia_status not_found(const aia_local *l, const char *name, const char *stem, const aia_strbuf *avail,
                            aia_error *err) {
    if (strcmp(stem, "smollm2-135m-instruct.q4_1") == 0)
        return aia_error_set(err, AIA_FAILED_PRECONDITION, "local model \"%s\": %s/%s not downloaded: run scripts/setup.sh",
                             name, l->models_dir, AIA_LOCAL_DEFAULT_FILE);
    return aia_error_set(err, AIA_NOT_FOUND, "local model \"%s\": no %s.gguf in %s (available: %s)", name, stem,
                         l->models_dir, avail->len ? avail->data : "none");
}

static aia_status load_locked(aia_local *l, const char *name, char *stem, const aia_local_model **out,
                              aia_error *err) {
    for (aia_local_model *m = l->models; m; m = m->next)
        if (strcmp(m->key, stem) == 0) return *out = m, free(stem), AIA_OK;
    aia_strbuf avail;
    aia_strbuf_init(&avail);
    char *path = NULL;
    aia_status st;
    if (!find_file(l, stem, &path, &avail)) {
        st = not_found(l, name, stem, &avail, err);
        aia_strbuf_free(&avail);
        free(stem);
        return st;
    }
    aia_strbuf_free(&avail);
    aia_local_model *m = calloc(1, sizeof *m);
    if (!m) return free(stem), free(path), aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "model: out of memory");
    m->key = stem;
    m->path = path;
    st = model_load(path, m, err);
    if (st != AIA_OK) {
        aia_error_prefix(err, "local model %s", path);
        model_free(m);
        return st;
    }
    m->next = l->models;
    l->models = m;
    *out = m;
    return AIA_OK;
}

aia_status aia_local_model_get(aia_local *l, const char *name, const aia_local_model **out, aia_error *err) {
    if (!name || !*name) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model: empty");
    char *stem = stem_for(name);
    if (!stem) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "model: out of memory");
    pthread_mutex_lock(&l->load_mu);
    aia_status st = load_locked(l, name, stem, out, err);
    pthread_mutex_unlock(&l->load_mu);
    return st;
}

size_t aia_local_prompt_tokens_reused(aia_local *l) {
    size_t n = 0;
    pthread_mutex_lock(&l->load_mu);
    for (const aia_local_model *m = l->models; m; m = m->next) n += aia_local_kv_reused(m->kv);
    pthread_mutex_unlock(&l->load_mu);
    return n;
}

void aia_local_models_free(aia_local *l) {
    while (l->models) {
        aia_local_model *m = l->models;
        l->models = m->next;
        model_free(m);
    }
}

/* ---- the prompt --------------------------------------------------------- */

/* One content's text parts concatenated into msg (text in buf). */
static aia_status content_text(const aia_llm_content *c, size_t i, aia_strbuf *buf, aia_error *err) {
    for (size_t j = 0; j < c->n_parts; j++) {
        const aia_llm_part *p = &c->parts[j];
        if (p->kind != AIA_LLM_PART_TEXT)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "contents[%zu].parts[%zu]: inline data: the local provider takes text only", i, j);
        if (p->text_len && !p->text)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents[%zu].parts[%zu].text: NULL", i, j);
        if (p->text_len) aia_strbuf_append(buf, p->text, p->text_len);
    }
    return AIA_OK;
}

static aia_status build_messages(const aia_llm_request *req, aia_chat_message *msgs, aia_strbuf *texts, size_t *n,
                                 aia_error *err) {
    size_t k = 0;
    if (req->system_instruction && *req->system_instruction)
        msgs[k++] = (aia_chat_message){AIA_CHAT_SYSTEM, req->system_instruction, strlen(req->system_instruction)};
    for (size_t i = 0; i < req->n_contents; i++) {
        const aia_llm_content *c = &req->contents[i];
        aia_status st = aia_chat_role_parse(c->role ? c->role : "", &msgs[k].role, err);
        if (st != AIA_OK) return aia_error_prefix(err, "contents[%zu].role", i), st;
        st = content_text(c, i, &texts[i], err);
        if (st != AIA_OK) return st;
        if (texts[i].oom) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "contents[%zu]: out of memory", i);
        msgs[k].text = texts[i].len ? texts[i].data : "";
        msgs[k++].len = texts[i].len;
    }
    *n = k;
    return AIA_OK;
}

static aia_status with_bos(const aia_local_model *m, int32_t **ids, size_t *n, aia_error *err) {
    if (!m->add_bos) return AIA_OK;
    int32_t *p = realloc(*ids, (*n + 1) * sizeof *p);
    if (!p) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "prompt: out of memory");
    memmove(p + 1, p, *n * sizeof *p);
    p[0] = aia_tokenizer_specials(m->tok).bos;
    *ids = p;
    (*n)++;
    return AIA_OK;
}

aia_status aia_local_prompt(const aia_local_model *m, const aia_llm_request *req, int32_t **ids, size_t *n,
                            aia_error *err) {
    *ids = NULL;
    *n = 0;
    if (req->n_contents && !req->contents) return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents: NULL");
    aia_chat_message *msgs = calloc(req->n_contents + 1, sizeof *msgs);
    aia_strbuf *texts = calloc(req->n_contents + 1, sizeof *texts);
    aia_status st = AIA_OK;
    if (!msgs || !texts) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "prompt: out of memory");
    for (size_t i = 0; st == AIA_OK && i < req->n_contents; i++) aia_strbuf_init(&texts[i]);
    size_t n_msgs = 0;
    if (st == AIA_OK) st = build_messages(req, msgs, texts, &n_msgs, err);
    if (st == AIA_OK) st = aia_chat_encode(&m->tpl, m->tok, msgs, n_msgs, 1, ids, n, err);
    if (st == AIA_OK) st = with_bos(m, ids, n, err);
    if (st != AIA_OK) {
        free(*ids);
        *ids = NULL;
        *n = 0;
    }
    for (size_t i = 0; texts && msgs && i < req->n_contents; i++) aia_strbuf_free(&texts[i]);
    free(msgs);
    free(texts);
    return st;
}
