/* lib/llm/wire_common.c — JSON building and reading helpers shared by the
 * Gemini and OpenAI wire formats. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/llm/wire_internal.h"

void wire_key(aia_strbuf *sb, int *first, const char *key)
{
    if (!*first) aia_strbuf_putc(sb, ',');
    *first = 0;
    aia_strbuf_json_string(sb, key, strlen(key));
    aia_strbuf_putc(sb, ':');
}

aia_status wire_string(aia_strbuf *sb, const char *s, size_t n, const char *field, aia_error *err)
{
    size_t bad = aia_json_utf8_check(s, n);
    if (bad != n)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: not valid UTF-8 at byte %zu", field, bad);
    aia_strbuf_json_string(sb, s, n);
    return AIA_OK;
}

void wire_double(aia_strbuf *sb, double v)
{
    char buf[40];
    /* Sampling settings arrive as proto floats widened to double: 0.7f would
     * print as 0.699999988079071, so a value that is exactly a float gets
     * the shortest text that reads back as the same float. */
    if ((double)(float)v == v) {
        for (int digits = 1; digits <= 9; digits++) {
            snprintf(buf, sizeof buf, "%.*g", digits, v);
            if ((float)strtod(buf, NULL) == (float)v) {
                aia_strbuf_puts(sb, buf);
                return;
            }
        }
    }
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    aia_strbuf_puts(sb, buf);
}

void wire_base64(aia_strbuf *sb, const unsigned char *d, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    aia_strbuf_putc(sb, '"');
    if (aia_strbuf_reserve(sb, (n + 2) / 3 * 4 + 1) != 0) return; /* oom is sticky; caller checks */
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8 | d[i + 2];
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], tab[v & 63]};
        aia_strbuf_append(sb, q, 4);
    }
    if (n - i == 1) {
        unsigned v = (unsigned)d[i] << 16;
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], '=', '='};
        aia_strbuf_append(sb, q, 4);
    } else if (n - i == 2) {
        unsigned v = (unsigned)d[i] << 16 | (unsigned)d[i + 1] << 8;
        char q[4] = {tab[v >> 18], tab[(v >> 12) & 63], tab[(v >> 6) & 63], '='};
        aia_strbuf_append(sb, q, 4);
    }
    aia_strbuf_putc(sb, '"');
}

aia_status wire_check_config(const aia_llm_generation_config *c, aia_error *err)
{
    if (c->has_temperature && !(isfinite(c->temperature) && c->temperature >= 0))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "generation_config.temperature: must be finite and >= 0, got %g", c->temperature);
    if (c->has_top_p && !(c->top_p >= 0 && c->top_p <= 1))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.top_p: must be in [0, 1], got %g",
                             c->top_p);
    if (c->has_top_k && c->top_k < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.top_k: must be >= 1, got %d",
                             (int)c->top_k);
    if (c->has_max_output_tokens && c->max_output_tokens < 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "generation_config.max_output_tokens: must be >= 1, got %d", (int)c->max_output_tokens);
    if (c->n_stop_sequences > 0 && !c->stop_sequences)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.stop_sequences: NULL array");
    for (size_t i = 0; i < c->n_stop_sequences; i++) {
        if (!c->stop_sequences[i] || !c->stop_sequences[i][0])
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "generation_config.stop_sequences[%zu]: empty", i);
    }
    return AIA_OK;
}

aia_status wire_check_oom(const aia_strbuf *sb, aia_error *err)
{
    if (sb->oom) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory building the request body");
    return AIA_OK;
}

aia_status wire_parse(const char *json, size_t len, aia_arena *arena, const char *what, aia_json_value **out,
                      aia_error *err)
{
    aia_error perr;
    aia_status st = aia_json_parse(json ? json : "", json ? len : 0, 0, arena, out, &perr);
    if (st == AIA_OK) return AIA_OK;
    return aia_error_set(err, st == AIA_INVALID_ARGUMENT ? AIA_INTERNAL : st, "%s: %s", what, perr.message);
}

aia_status wire_type_error(const char *path, const char *want, aia_error *err)
{
    return aia_error_set(err, AIA_INTERNAL, "upstream response: field \"%s\": expected %s", path, want);
}

aia_status wire_count(const aia_json_value *obj, const char *key, const char *path, int64_t *out,
                      aia_error *err)
{
    *out = 0;
    const aia_json_value *v = aia_json_object_get(obj, key);
    if (!v || v->type == AIA_JSON_NULL) return AIA_OK;
    if (v->type != AIA_JSON_NUMBER) return wire_type_error(path, "a number", err);
    char *end = NULL;
    errno = 0;
    long long n = strtoll(v->u.str, &end, 10);
    if (errno != 0 || *end != '\0' || n < 0)
        return aia_error_set(err, AIA_INTERNAL, "upstream response: field \"%s\": %s is not a token count", path,
                             v->u.str);
    *out = n;
    return AIA_OK;
}

aia_status wire_opt_string(const aia_json_value *obj, const char *key, const char *path, const char **out,
                           aia_error *err)
{
    const aia_json_value *v = aia_json_object_get(obj, key);
    *out = NULL;
    if (!v || v->type == AIA_JSON_NULL) return AIA_OK;
    if (v->type != AIA_JSON_STRING) return wire_type_error(path, "a string", err);
    *out = v->u.str;
    return AIA_OK;
}

/* Copies src into dst[cap], cut at a UTF-8 character boundary. */
static void copy_cut(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80) n--; /* src[n] starts the cut character */
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

void aia_llm_result_take(aia_llm_result *r, const aia_llm_chunk *ch)
{
    if (ch->finish != AIA_LLM_FINISH_NONE) {
        r->finish = ch->finish;
        const char *msg = ch->finish_message ? ch->finish_message : ch->finish_raw;
        int explain = ch->finish == AIA_LLM_FINISH_OTHER || ch->finish == AIA_LLM_FINISH_SAFETY;
        copy_cut(r->finish_message, sizeof r->finish_message, explain && msg ? msg : "");
    }
    if (ch->has_usage) {
        r->usage = ch->usage;
        r->has_usage = 1;
    }
    if (ch->response_id) copy_cut(r->response_id, sizeof r->response_id, ch->response_id);
    if (!ch->has_safety || ch->n_safety == 0) return;
    r->n_safety = ch->n_safety < AIA_LLM_MAX_SAFETY ? ch->n_safety : AIA_LLM_MAX_SAFETY;
    for (size_t i = 0; i < r->n_safety; i++) {
        const aia_llm_safety_rating *in = &ch->safety[i];
        copy_cut(r->safety[i].category, sizeof r->safety[i].category, in->category);
        copy_cut(r->safety[i].probability, sizeof r->safety[i].probability, in->probability ? in->probability : "");
        r->safety[i].blocked = in->blocked;
    }
}

/* Why s is not made of label characters (at most 63 bytes), or NULL. */
static const char *label_chars(const char *s)
{
    size_t n = strlen(s);
    if (n > 63) return "is longer than 63 bytes";
    if (aia_json_utf8_check(s, n) != n) return "is not UTF-8";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (!(*p >= 0x80 || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            return "holds a character other than lowercase letters, digits, '_' and '-'";
    return NULL;
}

int aia_llm_check_label(const char *key, const char *value, char *why, size_t cap)
{
    const char *k = !key[0] ? "is empty" : label_chars(key);
    if (!k && (unsigned char)key[0] < 0x80 && !(key[0] >= 'a' && key[0] <= 'z')) k = "does not start with a letter";
    const char *v = k ? NULL : label_chars(value);
    if (!k && !v) return 0;
    snprintf(why, cap, "%s %s", k ? "key" : "value", k ? k : v);
    return -1;
}
