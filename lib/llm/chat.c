/* lib/llm/chat.c — ChatML prompts and SmolLM2's default system message. */
#include "lib/llm/chat.h"

#include <stdlib.h>
#include <string.h>

#include "lib/base/strbuf.h"

#define IM_START "<|im_start|>"
#define IM_END "<|im_end|>"

static const char *const ROLE_NAMES[] = {"system", "user", "assistant"};

const char *aia_chat_role_name(aia_chat_role role)
{
    return (unsigned)role <= AIA_CHAT_ASSISTANT ? ROLE_NAMES[role] : "?";
}

aia_status aia_chat_role_parse(const char *name, aia_chat_role *out, aia_error *err)
{
    for (int r = AIA_CHAT_SYSTEM; r <= AIA_CHAT_ASSISTANT; r++) {
        if (strcmp(name, ROLE_NAMES[r]) == 0) {
            *out = (aia_chat_role)r;
            return AIA_OK;
        }
    }
    if (strcmp(name, "model") == 0) { /* Gemini's name for the assistant */
        *out = AIA_CHAT_ASSISTANT;
        return AIA_OK;
    }
    return aia_error_set(err, AIA_INVALID_ARGUMENT,
                         "chat: role \"%.40s\" is not system, user, assistant or model", name);
}

/* The literal default system text after "<|im_start|>system" + newline
 * (a real newline or Jinja's "\n" escape) up to "<|im_end|>", if the
 * stretch holds no quote, plus or brace: then it is part of one string
 * literal, not built from a variable. */
static const char *default_system_span(const char *jinja, size_t *len)
{
    if (!strstr(jinja, "!= 'system'") && !strstr(jinja, "!= \"system\"") &&
        !strstr(jinja, "== 'system'") && !strstr(jinja, "== \"system\""))
        return NULL;
    for (const char *p = strstr(jinja, IM_START "system"); p; p = strstr(p + 1, IM_START "system")) {
        const char *s = p + strlen(IM_START "system");
        if (*s == '\n')
            s += 1;
        else if (s[0] == '\\' && s[1] == 'n')
            s += 2;
        else
            continue;
        const char *e = strstr(s, IM_END);
        if (!e || e == s)
            continue;
        size_t n = (size_t)(e - s);
        int literal = 1;
        for (size_t i = 0; i < n && literal; i++)
            literal = !strchr("'\"+{}", s[i]);
        if (literal) {
            *len = n;
            return s;
        }
    }
    return NULL;
}

aia_status aia_chat_template_detect(const char *jinja, aia_chat_template *out, aia_error *err)
{
    *out = (aia_chat_template){AIA_CHAT_FORMAT_CHATML, 0, NULL};
    if (!jinja || !strstr(jinja, IM_START))
        return AIA_OK; /* not ChatML, or no template: ChatML is the fallback */
    out->recognised = 1;
    size_t n = 0;
    const char *s = default_system_span(jinja, &n);
    if (!s)
        return AIA_OK;
    if (!(out->default_system = malloc(n + 1)))
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "chat: no memory for the default system message");
    memcpy(out->default_system, s, n);
    out->default_system[n] = '\0';
    return AIA_OK;
}

void aia_chat_template_free(aia_chat_template *tpl)
{
    free(tpl->default_system);
    tpl->default_system = NULL;
}

static aia_status check_messages(const aia_chat_message *msgs, size_t n, aia_error *err)
{
    if (n > 0 && !msgs)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "chat: %zu messages but no array", n);
    for (size_t i = 0; i < n; i++) {
        if ((unsigned)msgs[i].role > AIA_CHAT_ASSISTANT)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "chat: message %zu has role %d", i,
                                 (int)msgs[i].role);
        if (!msgs[i].text && msgs[i].len > 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "chat: message %zu has NULL text of %zu bytes",
                                 i, msgs[i].len);
    }
    return AIA_OK;
}

/* The turns in order, the template's default system turn first when it
 * applies (the template adds it inside its loop: never for no messages). */
typedef void (*turn_fn)(void *ctx, aia_chat_role role, const char *text, size_t len);

static void for_each_turn(const aia_chat_template *tpl, const aia_chat_message *msgs, size_t n, turn_fn fn,
                          void *ctx)
{
    if (tpl->default_system && n > 0 && msgs[0].role != AIA_CHAT_SYSTEM)
        fn(ctx, AIA_CHAT_SYSTEM, tpl->default_system, strlen(tpl->default_system));
    for (size_t i = 0; i < n; i++)
        fn(ctx, msgs[i].role, msgs[i].text ? msgs[i].text : "", msgs[i].len);
}

static void text_turn(void *ctx, aia_chat_role role, const char *text, size_t len)
{
    aia_strbuf *sb = ctx;
    aia_strbuf_puts(sb, IM_START);
    aia_strbuf_puts(sb, aia_chat_role_name(role));
    aia_strbuf_putc(sb, '\n');
    aia_strbuf_append(sb, text, len);
    aia_strbuf_puts(sb, IM_END "\n");
}

aia_status aia_chat_format_prompt(const aia_chat_template *tpl, const aia_chat_message *msgs, size_t n,
                                  int add_generation_prompt, char **out, size_t *len_out, aia_error *err)
{
    *out = NULL;
    *len_out = 0;
    aia_status st = check_messages(msgs, n, err);
    if (st != AIA_OK)
        return st;
    aia_strbuf sb = AIA_STRBUF_INIT;
    for_each_turn(tpl, msgs, n, text_turn, &sb);
    if (add_generation_prompt)
        aia_strbuf_puts(&sb, IM_START "assistant\n");
    if (sb.oom) {
        aia_strbuf_free(&sb);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "chat: no memory for the prompt");
    }
    *out = aia_strbuf_release(&sb, len_out);
    return *out ? AIA_OK : aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "chat: no memory for the prompt");
}

typedef struct encode_ctx {
    const aia_tokenizer *tok;
    int32_t im_start, im_end;
    int32_t *ids;
    size_t n, cap;
    aia_strbuf scratch;
    aia_status st;
    aia_error *err;
} encode_ctx;

static void push_ids(encode_ctx *c, const int32_t *ids, size_t n)
{
    if (c->st != AIA_OK)
        return;
    if (c->n + n > c->cap) {
        size_t cap = c->cap ? c->cap : 64;
        while (cap < c->n + n)
            cap *= 2;
        int32_t *grown = realloc(c->ids, cap * sizeof *grown);
        if (!grown) {
            c->st = aia_error_set(c->err, AIA_RESOURCE_EXHAUSTED, "chat: no memory for %zu prompt ids", cap);
            return;
        }
        c->ids = grown;
        c->cap = cap;
    }
    memcpy(c->ids + c->n, ids, n * sizeof *ids);
    c->n += n;
}

/* Plain text (no control-token parsing) between two markers. */
static void push_text(encode_ctx *c, const char *text, size_t len)
{
    if (c->st != AIA_OK)
        return;
    int32_t *ids = NULL;
    size_t n = 0;
    c->st = aia_tokenizer_encode(c->tok, text, len, 0, 0, &ids, &n, c->err);
    if (c->st == AIA_OK)
        push_ids(c, ids, n);
    free(ids);
}

/* <|im_start|> "role\ntext" <|im_end|> "\n": the same fragments the whole
 * prompt splits into around its control tokens. */
static void id_turn(void *ctx, aia_chat_role role, const char *text, size_t len)
{
    encode_ctx *c = ctx;
    aia_strbuf_reset(&c->scratch);
    aia_strbuf_puts(&c->scratch, aia_chat_role_name(role));
    aia_strbuf_putc(&c->scratch, '\n');
    aia_strbuf_append(&c->scratch, text, len);
    if (c->scratch.oom && c->st == AIA_OK)
        c->st = aia_error_set(c->err, AIA_RESOURCE_EXHAUSTED, "chat: no memory for message text");
    push_ids(c, &c->im_start, 1);
    push_text(c, c->scratch.data, c->scratch.len);
    push_ids(c, &c->im_end, 1);
    push_text(c, "\n", 1);
}

aia_status aia_chat_encode(const aia_chat_template *tpl, const aia_tokenizer *tok, const aia_chat_message *msgs,
                           size_t n, int add_generation_prompt, int32_t **ids_out, size_t *n_out,
                           aia_error *err)
{
    *ids_out = NULL;
    *n_out = 0;
    aia_status st = check_messages(msgs, n, err);
    if (st != AIA_OK)
        return st;
    encode_ctx c = {tok, aia_tokenizer_find(tok, IM_START), aia_tokenizer_find(tok, IM_END), NULL, 0, 0,
                    AIA_STRBUF_INIT, AIA_OK, err};
    if (c.im_start < 0 || c.im_end < 0)
        return aia_error_set(err, AIA_FAILED_PRECONDITION,
                             "chat: the vocabulary has no %s token, which ChatML needs",
                             c.im_start < 0 ? IM_START : IM_END);
    for_each_turn(tpl, msgs, n, id_turn, &c);
    if (add_generation_prompt) {
        push_ids(&c, &c.im_start, 1);
        push_text(&c, "assistant\n", strlen("assistant\n"));
    }
    aia_strbuf_free(&c.scratch);
    if (c.st != AIA_OK) {
        free(c.ids);
        return c.st;
    }
    *ids_out = c.ids;
    *n_out = c.n;
    return AIA_OK;
}
