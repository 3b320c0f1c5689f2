/* lib/base/log.c — see log.h.
 *
 * Lines are built in a stack-backed aia_strbuf and written with one
 * write(2); the configuration is read without locks because it is set once
 * before threads start. */
#include "lib/base/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/base/strbuf.h"
#include "lib/base/timeutil.h"

static aia_log_level g_min_level = AIA_LOG_INFO;
static aia_log_format g_format = AIA_LOG_TEXT;
static int g_fd = 2;

static const char *const k_level_names[] = {"debug", "info", "warn", "error"};
static const char *const k_level_upper[] = {"DEBUG", "INFO", "WARN", "ERROR"};

void aia_log_configure(aia_log_level min_level, aia_log_format format, int fd)
{
    g_min_level = min_level;
    g_format = format;
    g_fd = fd;
}

int aia_log_enabled(aia_log_level level)
{
    return level >= g_min_level;
}

int aia_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (name && strcmp(name, k_level_names[i]) == 0) return i;
    if (name && strcmp(name, "warning") == 0) return AIA_LOG_WARN;
    return -1;
}

int aia_log_format_parse(const char *name)
{
    if (name && strcmp(name, "text") == 0) return AIA_LOG_TEXT;
    if (name && strcmp(name, "json") == 0) return AIA_LOG_JSON;
    return -1;
}

/* Text values are quoted only when they contain spaces, quotes or '='. */
static void text_value(aia_strbuf *sb, const char *s)
{
    if (!s) s = "";
    if (*s && !strpbrk(s, " \t\n\"=")) {
        aia_strbuf_puts(sb, s);
        return;
    }
    aia_strbuf_json_string(sb, s, strlen(s));
}

static void append_field(aia_strbuf *sb, const aia_log_field *f, int json)
{
    if (json) {
        aia_strbuf_putc(sb, ',');
        aia_strbuf_json_string(sb, f->key, strlen(f->key));
        aia_strbuf_putc(sb, ':');
    } else {
        aia_strbuf_printf(sb, " %s=", f->key);
    }
    switch (f->type) {
    case AIA_LOG_FIELD_STR:
        if (json) {
            const char *s = f->str ? f->str : "";
            aia_strbuf_json_string(sb, s, strlen(s));
        } else {
            text_value(sb, f->str);
        }
        break;
    case AIA_LOG_FIELD_INT:
        aia_strbuf_printf(sb, "%lld", (long long)f->i);
        break;
    case AIA_LOG_FIELD_DBL:
        /* JSON has no NaN/Inf; they would make the line unparseable. */
        if (f->d != f->d || f->d > 1e308 || f->d < -1e308)
            aia_strbuf_puts(sb, json ? "null" : "nan");
        else
            aia_strbuf_printf(sb, "%.6g", f->d);
        break;
    }
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return; /* nowhere else to report a failing log sink */
        p += w;
        n -= (size_t)w;
    }
}

void aia_log_event(aia_log_level level, const char *event, const aia_log_field *fields, size_t n)
{
    if (!aia_log_enabled(level)) return;
    char ts[40];
    aia_time_format_rfc3339(aia_time_now_ns(), ts, sizeof ts);
    char line[1024]; /* most events fit: no allocation on the per-request path */
    aia_strbuf sb;
    aia_strbuf_init_with(&sb, line, sizeof line);
    int json = g_format == AIA_LOG_JSON;
    if (json) {
        aia_strbuf_printf(&sb, "{\"ts\":\"%s\",\"level\":\"%s\",\"event\":", ts, k_level_names[level]);
        aia_strbuf_json_string(&sb, event, strlen(event));
    } else {
        aia_strbuf_printf(&sb, "%s %s %s", ts, k_level_upper[level], event);
    }
    for (size_t i = 0; i < n; i++) append_field(&sb, &fields[i], json);
    aia_strbuf_puts(&sb, json ? "}\n" : "\n");
    write_all(g_fd, aia_strbuf_cstr(&sb), sb.len);
    aia_strbuf_free(&sb);
}

void aia_logf(aia_log_level level, const char *event, const char *fmt, ...)
{
    if (!aia_log_enabled(level)) return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    aia_log_field f = AIA_LOG_STR("msg", msg);
    aia_log_event(level, event, &f, 1);
}
