/* lib/base/strbuf.c — see strbuf.h. Growth doubles, so appends are
 * amortised O(1). */
#include "lib/base/strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void aia_strbuf_init(aia_strbuf *sb)
{
    sb->data = NULL;
    sb->len = sb->cap = 0;
    sb->oom = 0;
    sb->borrowed = 0;
}

void aia_strbuf_init_with(aia_strbuf *sb, char *storage, size_t size)
{
    aia_strbuf_init(sb);
    sb->data = storage;
    sb->cap = size;
    sb->borrowed = 1;
    storage[0] = '\0';
}

void aia_strbuf_free(aia_strbuf *sb)
{
    if (!sb->borrowed) free(sb->data);
    aia_strbuf_init(sb);
}

void aia_strbuf_reset(aia_strbuf *sb)
{
    sb->len = 0;
    sb->oom = 0;
    if (sb->data) sb->data[0] = '\0';
}

int aia_strbuf_reserve(aia_strbuf *sb, size_t extra)
{
    if (sb->oom) return -1;
    if (extra > ((size_t)-1) / 2 - sb->len) {
        sb->oom = 1;
        return -1;
    }
    size_t need = sb->len + extra + 1;
    if (need <= sb->cap) return 0;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need) cap *= 2;
    char *p = sb->borrowed ? malloc(cap) : realloc(sb->data, cap);
    if (!p) {
        sb->oom = 1;
        return -1;
    }
    if (sb->borrowed) memcpy(p, sb->data, sb->len + 1);
    sb->borrowed = 0;
    sb->data = p;
    sb->cap = cap;
    return 0;
}

void aia_strbuf_append(aia_strbuf *sb, const void *bytes, size_t n)
{
    if (aia_strbuf_reserve(sb, n) != 0) return;
    if (n) memcpy(sb->data + sb->len, bytes, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

void aia_strbuf_puts(aia_strbuf *sb, const char *s)
{
    aia_strbuf_append(sb, s, strlen(s));
}

void aia_strbuf_putc(aia_strbuf *sb, char c)
{
    aia_strbuf_append(sb, &c, 1);
}

void aia_strbuf_vprintf(aia_strbuf *sb, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n < 0) {
        va_end(again);
        return;
    }
    if ((size_t)n < sizeof small) {
        aia_strbuf_append(sb, small, (size_t)n);
    } else if (aia_strbuf_reserve(sb, (size_t)n) == 0) {
        vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, again);
        sb->len += (size_t)n;
    }
    va_end(again);
}

void aia_strbuf_printf(aia_strbuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aia_strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

void aia_strbuf_json_string(aia_strbuf *sb, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    aia_strbuf_putc(sb, '"');
    size_t run = 0; /* start of the pending run of bytes needing no escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        aia_strbuf_append(sb, s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': aia_strbuf_puts(sb, "\\\""); break;
        case '\\': aia_strbuf_puts(sb, "\\\\"); break;
        case '\n': aia_strbuf_puts(sb, "\\n"); break;
        case '\r': aia_strbuf_puts(sb, "\\r"); break;
        case '\t': aia_strbuf_puts(sb, "\\t"); break;
        case '\b': aia_strbuf_puts(sb, "\\b"); break;
        case '\f': aia_strbuf_puts(sb, "\\f"); break;
        default: {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            aia_strbuf_append(sb, esc, sizeof esc);
        }
        }
    }
    aia_strbuf_append(sb, s + run, n - run);
    aia_strbuf_putc(sb, '"');
}

char *aia_strbuf_release(aia_strbuf *sb, size_t *len)
{
    char *out = sb->data;
    if (len) *len = sb->len;
    if (sb->borrowed) {
        out = malloc(sb->len + 1);
        if (out) memcpy(out, sb->data, sb->len + 1);
    }
    if (!out) out = calloc(1, 1);
    aia_strbuf_init(sb);
    return out;
}

const char *aia_strbuf_cstr(const aia_strbuf *sb)
{
    return sb->data ? sb->data : "";
}
