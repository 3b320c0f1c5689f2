/* lib/base/log.h — structured logging, text or JSON lines.
 *
 * One event per line: a level, an event name and typed key/value fields.
 * Text lines read `2026-11-26T05:44:32.123Z INFO rpc method=... code=0`;
 * JSON lines are one object per line ({"ts":...,"level":"info","event":
 * "rpc",...}) for log shippers. Each line is written with a single write(2)
 * so concurrent threads never interleave inside a line.
 *
 * The logger is process-wide: configure it once at start-up, before other
 * threads exist; logging itself is thread-safe.
 */
#ifndef AIA_BASE_LOG_H
#define AIA_BASE_LOG_H

#include <stddef.h>
#include <stdint.h>

typedef enum aia_log_level {
    AIA_LOG_DEBUG = 0,
    AIA_LOG_INFO = 1,
    AIA_LOG_WARN = 2,
    AIA_LOG_ERROR = 3,
} aia_log_level;

typedef enum aia_log_format {
    AIA_LOG_TEXT = 0,
    AIA_LOG_JSON = 1,
} aia_log_format;

typedef enum aia_log_field_type {
    AIA_LOG_FIELD_STR,
    AIA_LOG_FIELD_INT,
    AIA_LOG_FIELD_DBL,
} aia_log_field_type;

typedef struct aia_log_field {
    const char *key;
    aia_log_field_type type;
    const char *str; /* AIA_LOG_FIELD_STR; NULL logs as empty */
    int64_t i;       /* AIA_LOG_FIELD_INT */
    double d;        /* AIA_LOG_FIELD_DBL */
} aia_log_field;

#define AIA_LOG_STR(k, v) ((aia_log_field){.key = (k), .type = AIA_LOG_FIELD_STR, .str = (v)})
#define AIA_LOG_INT(k, v) ((aia_log_field){.key = (k), .type = AIA_LOG_FIELD_INT, .i = (int64_t)(v)})
#define AIA_LOG_DBL(k, v) ((aia_log_field){.key = (k), .type = AIA_LOG_FIELD_DBL, .d = (double)(v)})

/* Sets the minimum level, the format and the file descriptor (default:
 * info, text, stderr). Call before starting threads. */
void aia_log_configure(aia_log_level min_level, aia_log_format format, int fd);

/* Non-zero when events at `level` are written. Cheap; check it before
 * building expensive fields. */
int aia_log_enabled(aia_log_level level);

/* Writes one event with `n` fields. */
void aia_log_event(aia_log_level level, const char *event, const aia_log_field *fields, size_t n);

/* Writes one event whose only field is a printf-formatted "msg". */
void aia_logf(aia_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "debug" | "info" | "warn" | "error" → level; returns -1 for anything else. */
int aia_log_level_parse(const char *name);
/* "text" | "json" → format; returns -1 for anything else. */
int aia_log_format_parse(const char *name);

#endif
