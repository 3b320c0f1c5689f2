/* lib/base/strbuf.h — a growable, always NUL-terminated byte buffer.
 *
 * Used to build text (JSON, Prometheus exposition, log lines). The buffer
 * owns its memory; aia_strbuf_release() hands it to the caller. Allocation
 * failure is sticky: the buffer stops growing, `oom` is set, and the
 * contents stay a valid (truncated) string, so callers check once at the
 * end. Not thread-safe: one owner at a time.
 */
#ifndef AIA_BASE_STRBUF_H
#define AIA_BASE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct aia_strbuf {
    char *data;     /* NUL-terminated; NULL until the first append */
    size_t len;     /* bytes used, excluding the terminator */
    size_t cap;     /* bytes allocated */
    int oom;        /* non-zero once an allocation failed */
    int borrowed;   /* data is caller-provided storage (see aia_strbuf_init_with) */
} aia_strbuf;

#define AIA_STRBUF_INIT {NULL, 0, 0, 0, 0}

void aia_strbuf_init(aia_strbuf *sb);
/* Starts with caller-provided storage (e.g. a stack array of `size` >= 1
 * bytes) and moves to the heap only if the text outgrows it: hot paths that
 * build short lines then allocate nothing. aia_strbuf_free() never frees
 * the borrowed storage; aia_strbuf_release() returns a heap copy. */
void aia_strbuf_init_with(aia_strbuf *sb, char *storage, size_t size);
void aia_strbuf_free(aia_strbuf *sb);
/* Empties the buffer, keeping its memory for reuse. */
void aia_strbuf_reset(aia_strbuf *sb);
/* Ensures room for `extra` more bytes; returns 0, or -1 on allocation failure. */
int aia_strbuf_reserve(aia_strbuf *sb, size_t extra);
void aia_strbuf_append(aia_strbuf *sb, const void *bytes, size_t n);
void aia_strbuf_puts(aia_strbuf *sb, const char *s);
void aia_strbuf_putc(aia_strbuf *sb, char c);
void aia_strbuf_printf(aia_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void aia_strbuf_vprintf(aia_strbuf *sb, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included, escaping per RFC 8259. */
void aia_strbuf_json_string(aia_strbuf *sb, const char *s, size_t n);
/* Returns the data (caller frees; "" if empty) and resets sb to empty. */
char *aia_strbuf_release(aia_strbuf *sb, size_t *len);
/* The contents, or "" when nothing was appended. Valid until the next call. */
const char *aia_strbuf_cstr(const aia_strbuf *sb);

#endif
