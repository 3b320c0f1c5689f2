/* lib/llm/wire_gemini.c — Gemini's generateContent format (shared by
 * Vertex AI and the Gemini API): request bodies and response parsing. */
#include <stdio.h>
#include <string.h>

#include "lib/llm/wire_internal.h"

#define FIELD_MAX 96

const char *aia_llm_finish_name(aia_llm_finish f)
{
    switch (f) {
    case AIA_LLM_FINISH_NONE: return "NONE";
    case AIA_LLM_FINISH_STOP: return "STOP";
    case AIA_LLM_FINISH_MAX_TOKENS: return "MAX_TOKENS";
    case AIA_LLM_FINISH_SAFETY: return "SAFETY";
    case AIA_LLM_FINISH_OTHER: return "OTHER";
    }
    return "OTHER";
}

/* ---- building ---------------------------------------------------------------- */

static aia_status put_part(aia_strbuf *sb, const aia_llm_part *part, size_t ci, size_t pi, aia_error *err)
{
    char field[FIELD_MAX];
    if (part->kind == AIA_LLM_PART_TEXT) {
        snprintf(field, sizeof field, "contents[%zu].parts[%zu].text", ci, pi);
        aia_strbuf_puts(sb, "{\"text\":");
        aia_status st = wire_string(sb, part->text ? part->text : "", part->text ? part->text_len : 0, field, err);
        aia_strbuf_putc(sb, '}');
        return st;
    }
    if (part->kind != AIA_LLM_PART_INLINE_DATA)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents[%zu].parts[%zu]: neither text nor inline data",
                             ci, pi);
    snprintf(field, sizeof field, "contents[%zu].parts[%zu].inline_data.mime_type", ci, pi);
    if (!part->mime_type || !part->mime_type[0])
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: required", field);
    if (part->data_len > 0 && !part->data)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents[%zu].parts[%zu].inline_data.data: NULL", ci, pi);
    aia_strbuf_puts(sb, "{\"inlineData\":{\"mimeType\":");
    aia_status st = wire_string(sb, part->mime_type, strlen(part->mime_type), field, err);
    if (st != AIA_OK) return st;
    aia_strbuf_puts(sb, ",\"data\":");
    wire_base64(sb, part->data, part->data_len);
    aia_strbuf_puts(sb, "}}");
    return AIA_OK;
}

static aia_status put_content(aia_strbuf *sb, const aia_llm_content *c, size_t ci, aia_error *err)
{
    if (!c->role || (strcmp(c->role, "user") != 0 && strcmp(c->role, "model") != 0))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents[%zu].role: must be \"user\" or \"model\", got \"%.40s\"",
                             ci, c->role ? c->role : "");
    if (c->n_parts == 0 || !c->parts)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents[%zu].parts: at least one part is required", ci);
    aia_strbuf_printf(sb, "{\"role\":\"%s\",\"parts\":[", c->role);
    for (size_t pi = 0; pi < c->n_parts; pi++) {
        if (pi) aia_strbuf_putc(sb, ',');
        aia_status st = put_part(sb, &c->parts[pi], ci, pi, err);
        if (st != AIA_OK) return st;
    }
    aia_strbuf_puts(sb, "]}");
    return AIA_OK;
}

static aia_status put_contents(aia_strbuf *sb, const aia_llm_request *req, aia_error *err)
{
    if (req->n_contents == 0 || !req->contents)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents: at least one content is required");
    aia_strbuf_puts(sb, "\"contents\":[");
    for (size_t ci = 0; ci < req->n_contents; ci++) {
        if (ci) aia_strbuf_putc(sb, ',');
        aia_status st = put_content(sb, &req->contents[ci], ci, err);
        if (st != AIA_OK) return st;
    }
    aia_strbuf_putc(sb, ']');
    return AIA_OK;
}

/* systemInstruction is a Content without a role. */
static aia_status put_system(aia_strbuf *sb, const aia_llm_request *req, aia_error *err)
{
    if (!req->system_instruction || !req->system_instruction[0]) return AIA_OK;
    aia_strbuf_puts(sb, ",\"systemInstruction\":{\"parts\":[{\"text\":");
    aia_status st = wire_string(sb, req->system_instruction, strlen(req->system_instruction), "system_instruction", err);
    aia_strbuf_puts(sb, "}]}");
    return st;
}

static aia_status put_stops(aia_strbuf *sb, int *first, const aia_llm_generation_config *c, aia_error *err)
{
    if (c->n_stop_sequences == 0) return AIA_OK;
    wire_key(sb, first, "stopSequences");
    aia_strbuf_putc(sb, '[');
    for (size_t i = 0; i < c->n_stop_sequences; i++) {
        char field[FIELD_MAX];
        snprintf(field, sizeof field, "generation_config.stop_sequences[%zu]", i);
        if (i) aia_strbuf_putc(sb, ',');
        aia_status st = wire_string(sb, c->stop_sequences[i], strlen(c->stop_sequences[i]), field, err);
        if (st != AIA_OK) return st;
    }
    aia_strbuf_putc(sb, ']');
    return AIA_OK;
}

static aia_status put_config(aia_strbuf *sb, const aia_llm_generation_config *c, aia_error *err)
{
    aia_status st = wire_check_config(c, err);
    if (st != AIA_OK) return st;
    if (c->has_seed && (c->seed < INT32_MIN || c->seed > INT32_MAX))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.seed: Gemini takes a 32-bit seed, got %lld",
                             (long long)c->seed);
    if (!c->has_temperature && !c->has_top_p && !c->has_top_k && !c->has_max_output_tokens && !c->has_seed &&
        c->n_stop_sequences == 0)
        return AIA_OK;
    int first = 1;
    aia_strbuf_puts(sb, ",\"generationConfig\":{");
    if (c->has_temperature) wire_key(sb, &first, "temperature"), wire_double(sb, c->temperature);
    if (c->has_top_p) wire_key(sb, &first, "topP"), wire_double(sb, c->top_p);
    if (c->has_top_k) wire_key(sb, &first, "topK"), aia_strbuf_printf(sb, "%d", (int)c->top_k);
    if (c->has_max_output_tokens)
        wire_key(sb, &first, "maxOutputTokens"), aia_strbuf_printf(sb, "%d", (int)c->max_output_tokens);
    if (c->has_seed) wire_key(sb, &first, "seed"), aia_strbuf_printf(sb, "%lld", (long long)c->seed);
    st = put_stops(sb, &first, c, err);
    aia_strbuf_putc(sb, '}');
    return st;
}

static aia_status put_safety(aia_strbuf *sb, const aia_llm_request *req, aia_error *err)
{
    if (req->n_safety == 0) return AIA_OK;
    aia_strbuf_puts(sb, ",\"safetySettings\":[");
    for (size_t i = 0; i < req->n_safety; i++) {
        const aia_llm_safety_setting *s = &req->safety[i];
        char field[FIELD_MAX];
        if (!s->category || !s->category[0] || !s->threshold || !s->threshold[0])
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "safety_settings[%zu]: category and threshold are required",
                                 i);
        if (i) aia_strbuf_putc(sb, ',');
        aia_strbuf_puts(sb, "{\"category\":");
        snprintf(field, sizeof field, "safety_settings[%zu].category", i);
        aia_status st = wire_string(sb, s->category, strlen(s->category), field, err);
        if (st != AIA_OK) return st;
        aia_strbuf_puts(sb, ",\"threshold\":");
        snprintf(field, sizeof field, "safety_settings[%zu].threshold", i);
        st = wire_string(sb, s->threshold, strlen(s->threshold), field, err);
        if (st != AIA_OK) return st;
        aia_strbuf_putc(sb, '}');
    }
    aia_strbuf_putc(sb, ']');
    return AIA_OK;
}

static aia_status put_labels(aia_strbuf *sb, const aia_llm_request *req, aia_error *err)
{
    if (req->n_labels == 0) return AIA_OK;
    aia_strbuf_puts(sb, ",\"labels\":{");
    for (size_t i = 0; i < req->n_labels; i++) {
        if (i) aia_strbuf_putc(sb, ',');
        aia_status st = wire_string(sb, req->labels[i].key, strlen(req->labels[i].key), "labels key", err);
        aia_strbuf_putc(sb, ':');
        if (st == AIA_OK)
            st = wire_string(sb, req->labels[i].value, strlen(req->labels[i].value), "labels value", err);
        if (st != AIA_OK) return st;
    }
    aia_strbuf_putc(sb, '}');
    return AIA_OK;
}

aia_status aia_llm_gemini_build_request(const aia_llm_request *req, aia_strbuf *out, aia_error *err)
{
    aia_strbuf_putc(out, '{');
    aia_status st = put_contents(out, req, err);
    if (st == AIA_OK) st = put_system(out, req, err);
    if (st == AIA_OK) st = put_config(out, &req->config, err);
    if (st == AIA_OK) st = put_safety(out, req, err);
    if (st == AIA_OK) st = put_labels(out, req, err);
    if (st != AIA_OK) return st;
    aia_strbuf_putc(out, '}');
    return wire_check_oom(out, err);
}

aia_status aia_llm_gemini_build_count_tokens(aia_llm_gemini_flavor flavor, const aia_llm_request *req,
                                             aia_strbuf *out, aia_error *err)
{
    int has_system = req->system_instruction && req->system_instruction[0];
    int wrap = flavor == AIA_LLM_GEMINI_API && has_system;
    if (wrap && (!req->model || !req->model[0]))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model: required");
    aia_strbuf_putc(out, '{');
    if (wrap) {
        aia_strbuf_puts(out, "\"generateContentRequest\":{\"model\":");
        char name[256];
        snprintf(name, sizeof name, "%s%.200s", strncmp(req->model, "models/", 7) == 0 ? "" : "models/", req->model);
        aia_status st = wire_string(out, name, strlen(name), "model", err);
        if (st != AIA_OK) return st;
        aia_strbuf_putc(out, ',');
    }
    aia_status st = put_contents(out, req, err);
    if (st == AIA_OK) st = put_system(out, req, err);
    if (st != AIA_OK) return st;
    aia_strbuf_puts(out, wrap ? "}}" : "}");
    return wire_check_oom(out, err);
}

/* ---- parsing ------------------------------------------------------------------- */

static aia_llm_finish finish_from_gemini(const char *r)
{
    if (strcmp(r, "STOP") == 0) return AIA_LLM_FINISH_STOP;
    if (strcmp(r, "MAX_TOKENS") == 0) return AIA_LLM_FINISH_MAX_TOKENS;
    static const char *const safety[] = {"SAFETY", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY"};
    for (size_t i = 0; i < sizeof safety / sizeof safety[0]; i++)
        if (strcmp(r, safety[i]) == 0) return AIA_LLM_FINISH_SAFETY;
    return AIA_LLM_FINISH_OTHER;
}

/* Concatenates the text of candidates[0].content.parts, skipping "thought" parts. */
static aia_status read_parts(const aia_json_value *content, aia_arena *arena, aia_llm_chunk *out, aia_error *err)
{
    if (content->type != AIA_JSON_OBJECT) return wire_type_error("candidates[0].content", "an object", err);
    const aia_json_value *parts = aia_json_object_get(content, "parts");
    if (!parts) return AIA_OK;
    if (parts->type != AIA_JSON_ARRAY) return wire_type_error("candidates[0].content.parts", "an array", err);
    aia_strbuf text;
    aia_strbuf_init(&text);
    for (size_t i = 0; i < parts->len; i++) {
        const aia_json_value *p = &parts->u.items[i];
        if (p->type != AIA_JSON_OBJECT) {
            aia_strbuf_free(&text);
            return wire_type_error("candidates[0].content.parts[]", "objects", err);
        }
        const aia_json_value *thought = aia_json_object_get(p, "thought");
        const aia_json_value *t = aia_json_object_get(p, "text");
        if (!t || (thought && thought->type == AIA_JSON_TRUE)) continue;
        if (t->type != AIA_JSON_STRING) {
            aia_strbuf_free(&text);
            return wire_type_error("candidates[0].content.parts[].text", "a string", err);
        }
        aia_strbuf_append(&text, t->u.str, t->len);
    }
    int oom = text.oom;
    out->text_len = text.len;
    out->text = aia_arena_strndup(arena, aia_strbuf_cstr(&text), text.len);
    aia_strbuf_free(&text);
    if (oom || !out->text) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory reading a response");
    return AIA_OK;
}

/* A safetyRatings array ({category, probability, blocked} each) at `path`. */
static aia_status read_safety(const aia_json_value *owner, const char *path, aia_arena *arena, aia_llm_chunk *out,
                              aia_error *err)
{
    const aia_json_value *a = aia_json_object_get(owner, "safetyRatings");
    if (!a || a->type == AIA_JSON_NULL) return AIA_OK;
    if (a->type != AIA_JSON_ARRAY) return wire_type_error(path, "an array", err);
    aia_llm_safety_rating *r = a->len ? aia_arena_alloc(arena, a->len * sizeof *r) : NULL;
    if (a->len && !r) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory reading %s", path);
    for (size_t i = 0; i < a->len; i++) {
        const aia_json_value *e = &a->u.items[i];
        if (e->type != AIA_JSON_OBJECT) return wire_type_error(path, "an array of objects", err);
        aia_status st = wire_opt_string(e, "category", "safetyRatings[].category", &r[i].category, err);
        if (st == AIA_OK) st = wire_opt_string(e, "probability", "safetyRatings[].probability", &r[i].probability, err);
        if (st != AIA_OK) return st;
        if (!r[i].category) r[i].category = "HARM_CATEGORY_UNSPECIFIED";
        const aia_json_value *b = aia_json_object_get(e, "blocked");
        r[i].blocked = b && b->type == AIA_JSON_TRUE;
    }
    out->safety = r;
    out->n_safety = a->len;
    out->has_safety = 1;
    return AIA_OK;
}

static aia_status read_candidate(const aia_json_value *root, aia_arena *arena, aia_llm_chunk *out, aia_error *err)
{
    const aia_json_value *cands = aia_json_object_get(root, "candidates");
    if (!cands || cands->type == AIA_JSON_NULL) return AIA_OK;
    if (cands->type != AIA_JSON_ARRAY) return wire_type_error("candidates", "an array", err);
    if (cands->len == 0) return AIA_OK;
    const aia_json_value *c = &cands->u.items[0];
    if (c->type != AIA_JSON_OBJECT) return wire_type_error("candidates[0]", "an object", err);
    const aia_json_value *content = aia_json_object_get(c, "content");
    if (content) {
        aia_status st = read_parts(content, arena, out, err);
        if (st != AIA_OK) return st;
    }
    const aia_json_value *fr = aia_json_object_get(c, "finishReason");
    if (fr && fr->type != AIA_JSON_NULL) {
        if (fr->type != AIA_JSON_STRING) return wire_type_error("candidates[0].finishReason", "a string", err);
        if (strcmp(fr->u.str, "FINISH_REASON_UNSPECIFIED") != 0) {
            out->finish = finish_from_gemini(fr->u.str);
            out->finish_raw = fr->u.str;
        }
    }
    aia_status st = wire_opt_string(c, "finishMessage", "candidates[0].finishMessage", &out->finish_message, err);
    if (st == AIA_OK) st = read_safety(c, "candidates[0].safetyRatings", arena, out, err);
    return st;
}

/* A prompt blocked before any candidate: promptFeedback.blockReason, its
 * message and safety ratings. */
static aia_status read_block(const aia_json_value *root, aia_arena *arena, aia_llm_chunk *out, aia_error *err)
{
    const aia_json_value *fb = aia_json_object_get(root, "promptFeedback");
    if (!fb || fb->type != AIA_JSON_OBJECT || out->finish != AIA_LLM_FINISH_NONE) return AIA_OK;
    const aia_json_value *br = aia_json_object_get(fb, "blockReason");
    if (!br || br->type == AIA_JSON_NULL) return AIA_OK;
    if (br->type != AIA_JSON_STRING) return wire_type_error("promptFeedback.blockReason", "a string", err);
    if (strcmp(br->u.str, "BLOCK_REASON_UNSPECIFIED") == 0) return AIA_OK;
    out->finish = finish_from_gemini(br->u.str);
    if (out->finish == AIA_LLM_FINISH_STOP || out->finish == AIA_LLM_FINISH_MAX_TOKENS)
        out->finish = AIA_LLM_FINISH_OTHER;
    out->finish_raw = br->u.str;
    aia_status st = wire_opt_string(fb, "blockReasonMessage", "promptFeedback.blockReasonMessage",
                                    &out->finish_message, err);
    if (st == AIA_OK) st = read_safety(fb, "promptFeedback.safetyRatings", arena, out, err);
    return st;
}

static aia_status read_usage(const aia_json_value *root, aia_llm_chunk *out, aia_error *err)
{
    const aia_json_value *u = aia_json_object_get(root, "usageMetadata");
    if (!u || u->type == AIA_JSON_NULL) return AIA_OK;
    if (u->type != AIA_JSON_OBJECT) return wire_type_error("usageMetadata", "an object", err);
    aia_status st = wire_count(u, "promptTokenCount", "usageMetadata.promptTokenCount", &out->usage.prompt_tokens, err);
    if (st == AIA_OK)
        st = wire_count(u, "candidatesTokenCount", "usageMetadata.candidatesTokenCount", &out->usage.output_tokens,
                        err);
    if (st == AIA_OK)
        st = wire_count(u, "totalTokenCount", "usageMetadata.totalTokenCount", &out->usage.total_tokens, err);
    if (st == AIA_OK) out->has_usage = 1;
    return st;
}

aia_status aia_llm_gemini_parse_response(const char *json, size_t len, aia_arena *arena, aia_llm_chunk *out,
                                         aia_error *err)
{
    memset(out, 0, sizeof *out);
    out->text = "";
    aia_json_value *root = NULL;
    aia_status st = wire_parse(json, len, arena, "upstream response", &root, err);
    if (st != AIA_OK) return st;
    if (root->type != AIA_JSON_OBJECT) return wire_type_error("(top level)", "an object", err);
    st = aia_llm_error_from_json(root, err);
    if (st != AIA_OK) return st;
    if ((st = wire_opt_string(root, "responseId", "responseId", &out->response_id, err)) != AIA_OK) return st;
    if ((st = read_candidate(root, arena, out, err)) != AIA_OK) return st;
    if ((st = read_block(root, arena, out, err)) != AIA_OK) return st;
    return read_usage(root, out, err);
}

aia_status aia_llm_gemini_parse_count_tokens(const char *json, size_t len, int64_t *total_tokens, aia_error *err)
{
    aia_arena arena;
    aia_arena_init(&arena, 0);
    aia_json_value *root = NULL;
    aia_status st = wire_parse(json, len, &arena, "upstream countTokens response", &root, err);
    if (st == AIA_OK && root->type != AIA_JSON_OBJECT) st = wire_type_error("(top level)", "an object", err);
    if (st == AIA_OK) st = aia_llm_error_from_json(root, err);
    if (st == AIA_OK && !aia_json_object_get(root, "totalTokens"))
        st = aia_error_set(err, AIA_INTERNAL, "upstream countTokens response: field \"totalTokens\" missing");
    if (st == AIA_OK) st = wire_count(root, "totalTokens", "totalTokens", total_tokens, err);
    aia_arena_destroy(&arena);
    return st;
}
