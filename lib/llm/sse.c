/* lib/llm/sse.c — see sse.h. Bytes go into the current line; each line end
 * hands the line to process_line, which updates the event buffers or
 * dispatches. */
#include "lib/llm/sse.h"

#include <limits.h>
#include <string.h>

static const unsigned char k_bom[3] = {0xEF, 0xBB, 0xBF};

void aia_sse_init(aia_sse_parser *p, size_t max_event_bytes, aia_sse_event_fn on_event, void *user)
{
    memset(p, 0, sizeof *p);
    p->on_event = on_event;
    p->user = user;
    p->max_event_bytes = max_event_bytes ? max_event_bytes : AIA_SSE_DEFAULT_MAX_EVENT;
    aia_strbuf_init(&p->line);
    aia_strbuf_init(&p->data);
    aia_strbuf_init(&p->type);
    aia_strbuf_init(&p->id);
    p->failed = AIA_OK;
    p->line_no = 1;
}

void aia_sse_free(aia_sse_parser *p)
{
    aia_strbuf_free(&p->line);
    aia_strbuf_free(&p->data);
    aia_strbuf_free(&p->type);
    aia_strbuf_free(&p->id);
}

/* Records a sticky failure, so later feeds report the same error. */
static aia_status fail(aia_sse_parser *p, aia_error *err, aia_status code, const char *fmt, unsigned long long n)
{
    aia_error_set(&p->failure, code, fmt, p->line_no, n);
    p->failed = code;
    if (err) *err = p->failure;
    return code;
}

static size_t event_bytes(const aia_sse_parser *p)
{
    return p->line.len + p->data.len + p->type.len + p->id.len;
}

static aia_status check_oom(aia_sse_parser *p, aia_error *err)
{
    if (p->line.oom || p->data.oom || p->type.oom || p->id.oom)
        return fail(p, err, AIA_RESOURCE_EXHAUSTED, "SSE line %llu: out of memory (%llu bytes buffered)",
                    (unsigned long long)event_bytes(p));
    return AIA_OK;
}

static int all_digits(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

static void set_retry(aia_sse_parser *p, const char *v, size_t n)
{
    if (!all_digits(v, n)) return; /* the spec ignores a bad retry value */
    long long ms = 0;
    for (size_t i = 0; i < n; i++) {
        if (ms > (LLONG_MAX - 9) / 10) return; /* absurdly long: ignore rather than overflow */
        ms = ms * 10 + (v[i] - '0');
    }
    p->has_retry = 1;
    p->retry_ms = ms;
}

static void process_field(aia_sse_parser *p, const char *name, size_t name_len, const char *v, size_t n)
{
    if (name_len == 4 && memcmp(name, "data", 4) == 0) {
        aia_strbuf_append(&p->data, v, n);
        aia_strbuf_putc(&p->data, '\n');
    } else if (name_len == 5 && memcmp(name, "event", 5) == 0) {
        aia_strbuf_reset(&p->type);
        aia_strbuf_append(&p->type, v, n);
    } else if (name_len == 2 && memcmp(name, "id", 2) == 0) {
        if (memchr(v, '\0', n) == NULL) {
            aia_strbuf_reset(&p->id);
            aia_strbuf_append(&p->id, v, n);
        }
    } else if (name_len == 5 && memcmp(name, "retry", 5) == 0) {
        set_retry(p, v, n);
    }
}

static aia_status dispatch(aia_sse_parser *p, aia_error *err)
{
    p->fields_pending = 0;
    if (p->data.len == 0) {
        aia_strbuf_reset(&p->type);
        p->has_retry = 0;
        return AIA_OK;
    }
    aia_sse_event ev;
    ev.data = p->data.data;
    ev.data_len = p->data.len - 1; /* drop the final LF */
    p->data.data[ev.data_len] = '\0';
    ev.type = p->type.len ? p->type.data : "message";
    ev.type_len = p->type.len ? p->type.len : 7;
    ev.id = aia_strbuf_cstr(&p->id);
    ev.id_len = p->id.len;
    ev.has_retry = p->has_retry;
    ev.retry_ms = p->retry_ms;
    aia_error cb_err;
    aia_error_clear(&cb_err);
    aia_status st = p->on_event(p->user, &ev, &cb_err);
    aia_strbuf_reset(&p->data);
    aia_strbuf_reset(&p->type);
    p->has_retry = 0;
    if (st != AIA_OK) {
        p->failure = cb_err;
        p->failure.code = st;
        p->failed = st;
        if (err) *err = p->failure;
    }
    return st;
}

static aia_status process_line(aia_sse_parser *p, aia_error *err)
{
    const char *s = aia_strbuf_cstr(&p->line);
    size_t n = p->line.len;
    aia_status st = AIA_OK;
    if (n == 0) {
        st = dispatch(p, err);
    } else if (s[0] != ':') {
        const char *colon = memchr(s, ':', n);
        size_t name_len = colon ? (size_t)(colon - s) : n;
        const char *v = colon ? colon + 1 : s + n;
        size_t vn = n - name_len - (colon ? 1 : 0);
        if (vn > 0 && v[0] == ' ') {
            v++;
            vn--;
        }
        process_field(p, s, name_len, v, vn);
        p->fields_pending = 1;
    }
    aia_strbuf_reset(&p->line);
    p->line_no++;
    if (st != AIA_OK) return st;
    return check_oom(p, err);
}

/* Appends one byte of line content, enforcing the bound. */
static aia_status line_byte(aia_sse_parser *p, char c, aia_error *err)
{
    if (event_bytes(p) + 1 > p->max_event_bytes)
        return fail(p, err, AIA_RESOURCE_EXHAUSTED, "SSE line %llu: event larger than %llu bytes",
                    (unsigned long long)p->max_event_bytes);
    aia_strbuf_putc(&p->line, c);
    return check_oom(p, err);
}

static aia_status content_byte(aia_sse_parser *p, unsigned char c, aia_error *err)
{
    if (p->after_cr) {
        p->after_cr = 0;
        if (c == '\n') return AIA_OK; /* second half of a CRLF */
    }
    if (c == '\r') {
        p->after_cr = 1;
        return process_line(p, err);
    }
    if (c == '\n') return process_line(p, err);
    return line_byte(p, (char)c, err);
}

/* The first three bytes may be a BOM, itself possibly split across feeds:
 * bytes matching it are held back until it is complete or refuted. */
static aia_status bom_byte(aia_sse_parser *p, unsigned char c, aia_error *err)
{
    if (c == k_bom[p->bom_pos]) {
        if (++p->bom_pos == 3) p->bom_pos = -1;
        return AIA_OK;
    }
    int held = p->bom_pos;
    p->bom_pos = -1;
    for (int i = 0; i < held; i++) {
        aia_status st = content_byte(p, k_bom[i], err);
        if (st != AIA_OK) return st;
    }
    return content_byte(p, c, err);
}

aia_status aia_sse_feed(aia_sse_parser *p, const char *bytes, size_t n, aia_error *err)
{
    if (p->failed != AIA_OK) {
        if (err) *err = p->failure;
        return p->failed;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)bytes[i];
        aia_status st = p->bom_pos >= 0 ? bom_byte(p, c, err) : content_byte(p, c, err);
        if (st != AIA_OK) return st;
    }
    return AIA_OK;
}

int aia_sse_truncated(const aia_sse_parser *p)
{
    return p->line.len > 0 || p->fields_pending || p->bom_pos > 0;
}
