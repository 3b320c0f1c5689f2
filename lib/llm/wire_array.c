/* lib/llm/wire_array.c — splits Gemini's streamed JSON array
 * ([{...},{...}]) into its elements as bytes arrive. Only element
 * boundaries are found here; each element is then parsed strictly by the
 * JSON parser. */
#include <string.h>

#include "lib/llm/wire.h"

enum {
    ST_BEFORE_ARRAY,   /* expecting '[' */
    ST_FIRST_ELEMENT,  /* after '[': an element or ']' */
    ST_NEXT_ELEMENT,   /* after ',': an element */
    ST_IN_ELEMENT,     /* inside an element */
    ST_AFTER_ELEMENT,  /* expecting ',' or ']' */
    ST_DONE,           /* after ']': only whitespace */
};

void aia_llm_json_array_init(aia_llm_json_array_stream *s, size_t max_element_bytes,
                             aia_llm_array_element_fn on_element, void *user)
{
    memset(s, 0, sizeof *s);
    s->on_element = on_element;
    s->user = user;
    s->max_element_bytes = max_element_bytes ? max_element_bytes : AIA_LLM_DEFAULT_MAX_ELEMENT;
    aia_strbuf_init(&s->element);
    s->state = ST_BEFORE_ARRAY;
    s->failed = AIA_OK;
}

void aia_llm_json_array_free(aia_llm_json_array_stream *s)
{
    aia_strbuf_free(&s->element);
}

int aia_llm_json_array_complete(const aia_llm_json_array_stream *s)
{
    return s->state == ST_DONE;
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static aia_status fail(aia_llm_json_array_stream *s, aia_error *err, aia_status code, const char *why, unsigned char c)
{
    aia_error_set(&s->failure, code, "upstream JSON array stream, byte %llu (element %zu): %s (got 0x%02x)",
                  s->offset, s->n_elements, why, c);
    s->failed = code;
    if (err) *err = s->failure;
    return code;
}

static aia_status element_done(aia_llm_json_array_stream *s, aia_error *err)
{
    if (s->element.oom)
        return fail(s, err, AIA_RESOURCE_EXHAUSTED, "out of memory buffering an element", 0);
    aia_error cb;
    aia_error_clear(&cb);
    aia_status st = s->on_element(s->user, aia_strbuf_cstr(&s->element), s->element.len, &cb);
    s->n_elements++;
    aia_strbuf_reset(&s->element);
    s->state = ST_AFTER_ELEMENT;
    if (st != AIA_OK) {
        s->failure = cb;
        s->failure.code = st;
        s->failed = st;
        if (err) *err = s->failure;
    }
    return st;
}

/* One byte inside an element: strings may hold any bracket, so track them. */
static aia_status in_element(aia_llm_json_array_stream *s, unsigned char c, aia_error *err)
{
    if (s->element.len + 1 > s->max_element_bytes)
        return fail(s, err, AIA_RESOURCE_EXHAUSTED, "element larger than the configured maximum", c);
    aia_strbuf_putc(&s->element, (char)c);
    if (s->in_string) {
        if (s->escaped) s->escaped = 0;
        else if (c == '\\') s->escaped = 1;
        else if (c == '"') s->in_string = 0;
        return AIA_OK;
    }
    if (c == '"') s->in_string = 1;
    else if (c == '{' || c == '[') s->depth++;
    else if (c == '}' || c == ']') {
        if (--s->depth == 0) return element_done(s, err);
    }
    return AIA_OK;
}

static aia_status start_element(aia_llm_json_array_stream *s, unsigned char c, aia_error *err)
{
    if (c != '{') return fail(s, err, AIA_INTERNAL, "expected an object element", c);
    s->state = ST_IN_ELEMENT;
    s->depth = 0;
    s->in_string = s->escaped = 0;
    return in_element(s, c, err);
}

static aia_status step(aia_llm_json_array_stream *s, unsigned char c, aia_error *err)
{
    if (s->state == ST_IN_ELEMENT) return in_element(s, c, err);
    if (is_ws(c)) return AIA_OK;
    switch (s->state) {
    case ST_BEFORE_ARRAY:
        if (c != '[') return fail(s, err, AIA_INTERNAL, "expected '[' opening the array", c);
        s->state = ST_FIRST_ELEMENT;
        return AIA_OK;
    case ST_FIRST_ELEMENT:
        if (c == ']') {
            s->state = ST_DONE;
            return AIA_OK;
        }
        return start_element(s, c, err);
    case ST_NEXT_ELEMENT: return start_element(s, c, err);
    case ST_AFTER_ELEMENT:
        if (c == ',') s->state = ST_NEXT_ELEMENT;
        else if (c == ']') s->state = ST_DONE;
        else return fail(s, err, AIA_INTERNAL, "expected ',' or ']' after an element", c);
        return AIA_OK;
    default: return fail(s, err, AIA_INTERNAL, "bytes after the closing ']'", c);
    }
}

aia_status aia_llm_json_array_feed(aia_llm_json_array_stream *s, const char *bytes, size_t n, aia_error *err)
{
    if (s->failed != AIA_OK) {
        if (err) *err = s->failure;
        return s->failed;
    }
    for (size_t i = 0; i < n; i++, s->offset++) {
        aia_status st = step(s, (unsigned char)bytes[i], err);
        if (st != AIA_OK) return st;
    }
    return AIA_OK;
}
