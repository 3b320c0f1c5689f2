/* server/services/llm_convert.c — aia.v1 LLM requests to lib/llm's
 * aia_llm_request (lib/llm/wire.h) and results back.
 *
 * Validation happens here, before any provider sees the request, so an
 * error names the API's field (contents[2].role, generation_config.top_p);
 * the wire builders check again for what only they know (UTF-8). Safety
 * settings go through as the enum value names Gemini uses, the threshold
 * without the proto's HARM_BLOCK_THRESHOLD_ prefix. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lib/pbjson/json.h"
#include "server/services/llm_internal.h"

#define THRESHOLD_PREFIX "HARM_BLOCK_THRESHOLD_"

static aia_status part_of(const Aia__V1__Part *p, const char *where, size_t i, size_t j, aia_llm_part *out,
                          aia_error *err)
{
    memset(out, 0, sizeof *out);
    switch (p->data_case) {
    case AIA__V1__PART__DATA_TEXT:
        out->kind = AIA_LLM_PART_TEXT;
        out->text = p->text;
        out->text_len = strlen(p->text);
        return AIA_OK;
    case AIA__V1__PART__DATA_INLINE_DATA:
        if (!p->inline_data->mime_type[0])
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s[%zu].parts[%zu].inline_data.mime_type: required",
                                 where, i, j);
        out->kind = AIA_LLM_PART_INLINE_DATA;
        out->mime_type = p->inline_data->mime_type;
        out->data = p->inline_data->data.data;
        out->data_len = p->inline_data->data.len;
        return AIA_OK;
    default:
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s[%zu].parts[%zu]: neither text nor inline_data", where, i,
                             j);
    }
}

static aia_status contents_of(aia_arena *a, const aia_llm_api_request *in, aia_llm_request *out, aia_error *err)
{
    if (!in->n_contents) return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents: at least one message needed");
    aia_llm_content *cs = aia_arena_alloc(a, in->n_contents * sizeof *cs);
    if (!cs) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory converting contents");
    for (size_t i = 0; i < in->n_contents; i++) {
        const Aia__V1__Content *c = in->contents[i];
        if (strcmp(c->role, "user") != 0 && strcmp(c->role, "model") != 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents[%zu].role: \"%s\" is neither \"user\" nor \"model\"",
                                 i, c->role);
        if (!c->n_parts) return aia_error_set(err, AIA_INVALID_ARGUMENT, "contents[%zu].parts: empty", i);
        aia_llm_part *ps = aia_arena_alloc(a, c->n_parts * sizeof *ps);
        if (!ps) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory converting contents");
        for (size_t j = 0; j < c->n_parts; j++)
            if (part_of(c->parts[j], "contents", i, j, &ps[j], err) != AIA_OK) return err->code;
        cs[i] = (aia_llm_content){.role = c->role, .parts = ps, .n_parts = c->n_parts};
    }
    out->contents = cs;
    out->n_contents = in->n_contents;
    return AIA_OK;
}

/* The system instruction's text parts, joined by newlines. */
static aia_status system_of(aia_arena *a, const Aia__V1__Content *s, aia_llm_request *out, aia_error *err)
{
    if (!s || !s->n_parts) return AIA_OK;
    size_t len = 0;
    for (size_t j = 0; j < s->n_parts; j++) {
        if (s->parts[j]->data_case != AIA__V1__PART__DATA_TEXT)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "system_instruction.parts[%zu]: only text is used there", j);
        len += strlen(s->parts[j]->text) + 1;
    }
    char *text = aia_arena_alloc(a, len + 1);
    if (!text) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory converting system_instruction");
    text[0] = '\0';
    for (size_t j = 0; j < s->n_parts; j++) {
        if (j) strcat(text, "\n");
        strcat(text, s->parts[j]->text);
    }
    out->system_instruction = text;
    return AIA_OK;
}

static aia_status config_of(const Aia__V1__GenerationConfig *g, aia_llm_generation_config *c, aia_error *err)
{
    if (!g) return AIA_OK;
    if (g->temperature) {
        if (!isfinite(g->temperature->value) || g->temperature->value < 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.temperature: %g is not >= 0",
                                 (double)g->temperature->value);
        c->has_temperature = 1;
        c->temperature = g->temperature->value;
    }
    if (g->top_p) {
        if (!(g->top_p->value >= 0 && g->top_p->value <= 1))
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.top_p: %g is not in [0, 1]",
                                 (double)g->top_p->value);
        c->has_top_p = 1;
        c->top_p = g->top_p->value;
    }
    if (g->top_k) {
        if (g->top_k->value < 1)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.top_k: %d is not >= 1", g->top_k->value);
        c->has_top_k = 1;
        c->top_k = g->top_k->value;
    }
    if (g->max_output_tokens) {
        if (g->max_output_tokens->value < 1)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.max_output_tokens: %d is not >= 1",
                                 g->max_output_tokens->value);
        c->has_max_output_tokens = 1;
        c->max_output_tokens = g->max_output_tokens->value;
    }
    if (g->seed) {
        c->has_seed = 1;
        c->seed = g->seed->value;
    }
    for (size_t i = 0; i < g->n_stop_sequences; i++)
        if (!g->stop_sequences[i][0])
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.stop_sequences[%zu]: empty", i);
    c->stop_sequences = (const char *const *)g->stop_sequences;
    c->n_stop_sequences = g->n_stop_sequences;
    return AIA_OK;
}

static aia_status safety_of(aia_arena *a, const aia_llm_api_request *in, aia_llm_request *out, aia_error *err)
{
    if (!in->n_safety_settings) return AIA_OK;
    aia_llm_safety_setting *ss = aia_arena_alloc(a, in->n_safety_settings * sizeof *ss);
    if (!ss) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory converting safety_settings");
    for (size_t i = 0; i < in->n_safety_settings; i++) {
        const Aia__V1__SafetySetting *s = in->safety_settings[i];
        const ProtobufCEnumValue *cat = protobuf_c_enum_descriptor_get_value(&aia__v1__harm_category__descriptor,
                                                                              (int)s->category);
        const ProtobufCEnumValue *thr = protobuf_c_enum_descriptor_get_value(
            &aia__v1__harm_block_threshold__descriptor, (int)s->threshold);
        if (!cat || s->category == AIA__V1__HARM_CATEGORY__HARM_CATEGORY_UNSPECIFIED)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "safety_settings[%zu].category: %d is not a harm category",
                                 i, (int)s->category);
        if (!thr || s->threshold == AIA__V1__HARM_BLOCK_THRESHOLD__HARM_BLOCK_THRESHOLD_UNSPECIFIED)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "safety_settings[%zu].threshold: %d is not a threshold", i,
                                 (int)s->threshold);
        ss[i].category = cat->name;
        ss[i].threshold = thr->name + strlen(THRESHOLD_PREFIX);
    }
    out->safety = ss;
    out->n_safety = in->n_safety_settings;
    return AIA_OK;
}

/* A string field of a map entry, found through its descriptor. */
static const char *entry_string(const ProtobufCMessage *m, const char *name)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
    const char *s = f && f->type == PROTOBUF_C_TYPE_STRING ? *(char *const *)((const char *)m + f->offset) : NULL;
    return s ? s : "";
}

static aia_status labels_of(aia_arena *a, const aia_llm_api_request *in, aia_llm_request *out, aia_error *err)
{
    if (!in->n_labels) return AIA_OK;
    if (in->n_labels > AIA_LLM_MAX_LABELS)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "labels: %zu labels, at most %d", in->n_labels,
                             AIA_LLM_MAX_LABELS);
    aia_llm_label *ls = aia_arena_alloc(a, in->n_labels * sizeof *ls);
    if (!ls) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory converting labels");
    for (size_t i = 0; i < in->n_labels; i++) {
        ls[i].key = entry_string(in->labels[i], "key");
        ls[i].value = entry_string(in->labels[i], "value");
        char why[96];
        if (aia_llm_check_label(ls[i].key, ls[i].value, why, sizeof why) != 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "labels[\"%.64s\"]: %s", ls[i].key, why);
    }
    out->labels = ls;
    out->n_labels = in->n_labels;
    return AIA_OK;
}

aia_status aia_llm_request_from_api(aia_arena *a, const aia_llm_api_request *in, aia_llm_request *out,
                                    aia_error *err)
{
    memset(out, 0, sizeof *out);
    out->model = in->model && in->model[0] ? in->model : AIA_LLM_DEFAULT_MODEL;
    if (contents_of(a, in, out, err) != AIA_OK || system_of(a, in->system_instruction, out, err) != AIA_OK ||
        config_of(in->generation_config, &out->config, err) != AIA_OK || safety_of(a, in, out, err) != AIA_OK ||
        labels_of(a, in, out, err) != AIA_OK)
        return err->code;
    return AIA_OK;
}

Aia__V1__FinishReason aia_llm_finish_to_api(aia_llm_finish f)
{
    switch (f) {
    case AIA_LLM_FINISH_STOP: return AIA__V1__FINISH_REASON__FINISH_REASON_STOP;
    case AIA_LLM_FINISH_MAX_TOKENS: return AIA__V1__FINISH_REASON__FINISH_REASON_MAX_TOKENS;
    case AIA_LLM_FINISH_SAFETY: return AIA__V1__FINISH_REASON__FINISH_REASON_SAFETY;
    case AIA_LLM_FINISH_OTHER: return AIA__V1__FINISH_REASON__FINISH_REASON_OTHER;
    default: return AIA__V1__FINISH_REASON__FINISH_REASON_UNSPECIFIED;
    }
}

static int32_t clamp32(int64_t v)
{
    return v < 0 ? 0 : v > INT32_MAX ? INT32_MAX : (int32_t)v;
}

void aia_llm_usage_fill(Aia__V1__TokenUsage *out, const aia_llm_usage *u)
{
    aia__v1__token_usage__init(out);
    if (!u) return;
    out->prompt_tokens = clamp32(u->prompt_tokens);
    out->output_tokens = clamp32(u->output_tokens);
    out->total_tokens = clamp32(u->total_tokens);
    out->reasoning_tokens = clamp32(u->total_tokens - u->prompt_tokens - u->output_tokens);
}

/* The enum value named prefix + name (or name alone), else 0 (UNSPECIFIED). */
static int enum_value(const ProtobufCEnumDescriptor *d, const char *prefix, const char *name)
{
    char full[96];
    const ProtobufCEnumValue *v = NULL;
    if (strncmp(name, prefix, strlen(prefix)) == 0) v = protobuf_c_enum_descriptor_get_value_by_name(d, name);
    else if (snprintf(full, sizeof full, "%s%s", prefix, name) < (int)sizeof full)
        v = protobuf_c_enum_descriptor_get_value_by_name(d, full);
    return v ? v->value : 0;
}

void aia_llm_api_end_fill(aia_llm_api_end *e, const aia_llm_result *res)
{
    memset(e, 0, sizeof *e);
    e->finish_reason = aia_llm_finish_to_api(res->finish);
    aia_llm_usage_fill(&e->usage, &res->usage);
    e->response_id = (char *)res->response_id;
    e->finish_message = (char *)res->finish_message;
    for (size_t i = 0; i < res->n_safety && i < AIA_LLM_MAX_SAFETY; i++) {
        Aia__V1__SafetyRating *r = &e->ratings[i];
        aia__v1__safety_rating__init(r);
        r->category = enum_value(&aia__v1__harm_category__descriptor, "HARM_CATEGORY_", res->safety[i].category);
        r->probability =
            enum_value(&aia__v1__harm_probability__descriptor, "HARM_PROBABILITY_", res->safety[i].probability);
        r->blocked = res->safety[i].blocked != 0;
        e->rating_ptrs[i] = r;
        e->n_ratings++;
    }
}

void aia_llm_append_text(aia_strbuf *sb, const char *text, size_t len)
{
    while (len) {
        size_t ok = aia_json_utf8_check(text, len);
        aia_strbuf_append(sb, text, ok);
        if (ok == len) return;
        aia_strbuf_puts(sb, "\xEF\xBF\xBD"); /* U+FFFD for the bad byte */
        text += ok + 1;
        len -= ok + 1;
    }
}
