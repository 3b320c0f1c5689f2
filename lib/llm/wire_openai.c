/* lib/llm/wire_openai.c — the OpenAI-compatible /v1/chat/completions
 * format: request bodies, streamed chunks and whole responses. */
#include <stdio.h>
#include <string.h>

#include "lib/llm/wire_internal.h"

#define FIELD_MAX 96

/* ---- building ---------------------------------------------------------------- */

static aia_status put_message(aia_strbuf *sb, const aia_llm_content *c, size_t ci, aia_error *err)
{
    const char *role = NULL;
    if (c->role && strcmp(c->role, "user") == 0) role = "user";
    else if (c->role && strcmp(c->role, "model") == 0) role = "assistant";
    else
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents[%zu].role: must be \"user\" or \"model\", got \"%.40s\"",
                             ci, c->role ? c->role : "");
    if (c->n_parts == 0 || !c->parts)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents[%zu].parts: at least one part is required", ci);
    aia_strbuf text;
    aia_strbuf_init(&text);
    for (size_t pi = 0; pi < c->n_parts; pi++) {
        const aia_llm_part *p = &c->parts[pi];
        if (p->kind != AIA_LLM_PART_TEXT) {
            aia_strbuf_free(&text);
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "contents[%zu].parts[%zu]: OpenAI-compatible providers take text parts only", ci, pi);
        }
        if (p->text) aia_strbuf_append(&text, p->text, p->text_len);
    }
    char field[FIELD_MAX];
    snprintf(field, sizeof field, "contents[%zu].parts.text", ci);
    aia_strbuf_printf(sb, "{\"role\":\"%s\",\"content\":", role);
    aia_status st = wire_string(sb, aia_strbuf_cstr(&text), text.len, field, err);
    if (text.oom) st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory building the request body");
    aia_strbuf_free(&text);
    aia_strbuf_putc(sb, '}');
    return st;
}

static aia_status put_messages(aia_strbuf *sb, const aia_llm_request *req, aia_error *err)
{
    if (req->n_contents == 0 || !req->contents)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents: at least one content is required");
    aia_strbuf_puts(sb, ",\"messages\":[");
    if (req->system_instruction && req->system_instruction[0]) {
        aia_strbuf_puts(sb, "{\"role\":\"system\",\"content\":");
        aia_status st = wire_string(sb, req->system_instruction, strlen(req->system_instruction), "system_instruction",
                                    err);
        if (st != AIA_OK) return st;
        aia_strbuf_puts(sb, "},");
    }
    for (size_t ci = 0; ci < req->n_contents; ci++) {
        if (ci) aia_strbuf_putc(sb, ',');
        aia_status st = put_message(sb, &req->contents[ci], ci, err);
        if (st != AIA_OK) return st;
    }
    aia_strbuf_putc(sb, ']');
    return AIA_OK;
}

static aia_status put_options(aia_strbuf *sb, const aia_llm_generation_config *c, aia_error *err)
{
    aia_status st = wire_check_config(c, err);
    if (st != AIA_OK) return st;
    if (c->has_temperature) aia_strbuf_puts(sb, ",\"temperature\":"), wire_double(sb, c->temperature);
    if (c->has_top_p) aia_strbuf_puts(sb, ",\"top_p\":"), wire_double(sb, c->top_p);
    if (c->has_top_k) aia_strbuf_printf(sb, ",\"top_k\":%d", (int)c->top_k);
    if (c->has_max_output_tokens) aia_strbuf_printf(sb, ",\"max_tokens\":%d", (int)c->max_output_tokens);
    if (c->has_seed) aia_strbuf_printf(sb, ",\"seed\":%lld", (long long)c->seed);
    if (c->n_stop_sequences == 0) return AIA_OK;
    aia_strbuf_puts(sb, ",\"stop\":[");
    for (size_t i = 0; i < c->n_stop_sequences; i++) {
        char field[FIELD_MAX];
        snprintf(field, sizeof field, "generation_config.stop_sequences[%zu]", i);
        if (i) aia_strbuf_putc(sb, ',');
        st = wire_string(sb, c->stop_sequences[i], strlen(c->stop_sequences[i]), field, err);
        if (st != AIA_OK) return st;
    }
    aia_strbuf_putc(sb, ']');
    return AIA_OK;
}

aia_status aia_llm_openai_build_request(const aia_llm_request *req, int stream, aia_strbuf *out, aia_error *err)
{
    if (!req->model || !req->model[0]) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model: required");
    aia_strbuf_puts(out, "{\"model\":");
    aia_status st = wire_string(out, req->model, strlen(req->model), "model", err);
    if (st == AIA_OK) st = put_messages(out, req, err);
    if (st == AIA_OK) st = put_options(out, &req->config, err);
    if (st != AIA_OK) return st;
    if (stream) aia_strbuf_puts(out, ",\"stream\":true,\"stream_options\":{\"include_usage\":true}");
    aia_strbuf_putc(out, '}');
    return wire_check_oom(out, err);
}

/* ---- parsing ------------------------------------------------------------------- */

static aia_llm_finish finish_from_openai(const char *r)
{
    if (strcmp(r, "stop") == 0) return AIA_LLM_FINISH_STOP;
    if (strcmp(r, "length") == 0) return AIA_LLM_FINISH_MAX_TOKENS;
    if (strcmp(r, "content_filter") == 0) return AIA_LLM_FINISH_SAFETY;
    return AIA_LLM_FINISH_OTHER;
}

/* choices[0].<which>.content and choices[0].finish_reason; which is
 * "delta" for chunks, "message" for whole responses. */
static aia_status read_choice(const aia_json_value *root, const char *which, aia_arena *arena, aia_llm_chunk *out,
                              aia_error *err)
{
    char path[FIELD_MAX];
    const aia_json_value *choices = aia_json_object_get(root, "choices");
    if (!choices || choices->type == AIA_JSON_NULL) return AIA_OK;
    if (choices->type != AIA_JSON_ARRAY) return wire_type_error("choices", "an array", err);
    if (choices->len == 0) return AIA_OK;
    const aia_json_value *c = &choices->u.items[0];
    if (c->type != AIA_JSON_OBJECT) return wire_type_error("choices[0]", "an object", err);
    const aia_json_value *m = aia_json_object_get(c, which);
    snprintf(path, sizeof path, "choices[0].%s", which);
    if (m && m->type != AIA_JSON_NULL) {
        if (m->type != AIA_JSON_OBJECT) return wire_type_error(path, "an object", err);
        const aia_json_value *t = aia_json_object_get(m, "content");
        snprintf(path, sizeof path, "choices[0].%s.content", which);
        if (t && t->type != AIA_JSON_NULL) {
            if (t->type != AIA_JSON_STRING) return wire_type_error(path, "a string", err);
            out->text = t->u.str; /* already in the arena */
            out->text_len = t->len;
        }
    }
    (void)arena;
    const aia_json_value *fr = aia_json_object_get(c, "finish_reason");
    if (fr && fr->type != AIA_JSON_NULL) {
        if (fr->type != AIA_JSON_STRING) return wire_type_error("choices[0].finish_reason", "a string", err);
        out->finish = finish_from_openai(fr->u.str);
        out->finish_raw = fr->u.str;
    }
    return AIA_OK;
}

static aia_status read_usage(const aia_json_value *root, aia_llm_chunk *out, aia_error *err)
{
    const aia_json_value *u = aia_json_object_get(root, "usage");
    if (!u || u->type == AIA_JSON_NULL) return AIA_OK;
    if (u->type != AIA_JSON_OBJECT) return wire_type_error("usage", "an object", err);
    aia_status st = wire_count(u, "prompt_tokens", "usage.prompt_tokens", &out->usage.prompt_tokens, err);
    if (st == AIA_OK) st = wire_count(u, "completion_tokens", "usage.completion_tokens", &out->usage.output_tokens, err);
    if (st == AIA_OK) st = wire_count(u, "total_tokens", "usage.total_tokens", &out->usage.total_tokens, err);
    if (st == AIA_OK) out->has_usage = 1;
    return st;
}

static aia_status parse_doc(const char *json, size_t len, const char *which, aia_arena *arena, aia_llm_chunk *out,
                            aia_error *err)
{
    aia_json_value *root = NULL;
    aia_status st = wire_parse(json, len, arena, "upstream response", &root, err);
    if (st != AIA_OK) return st;
    if (root->type != AIA_JSON_OBJECT) return wire_type_error("(top level)", "an object", err);
    st = aia_llm_error_from_json(root, err);
    if (st == AIA_OK) st = wire_opt_string(root, "id", "id", &out->response_id, err);
    if (st == AIA_OK) st = read_choice(root, which, arena, out, err);
    if (st == AIA_OK) st = read_usage(root, out, err);
    return st;
}

static void chunk_reset(aia_llm_chunk *out)
{
    memset(out, 0, sizeof *out);
    out->text = "";
}

aia_status aia_llm_openai_parse_chunk(const char *data, size_t len, aia_arena *arena, aia_llm_chunk *out,
                                      aia_error *err)
{
    chunk_reset(out);
    if (data && len == 6 && memcmp(data, "[DONE]", 6) == 0) {
        out->done = 1;
        return AIA_OK;
    }
    return parse_doc(data, len, "delta", arena, out, err);
}

aia_status aia_llm_openai_parse_response(const char *json, size_t len, aia_arena *arena, aia_llm_chunk *out,
                                         aia_error *err)
{
    chunk_reset(out);
    return parse_doc(json, len, "message", arena, out, err);
}
