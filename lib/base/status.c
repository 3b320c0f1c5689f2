/* lib/base/status.c — see status.h. */
#include "lib/base/status.h"

#include <stdio.h>
#include <string.h>

static const char *const k_status_names[AIA_STATUS_COUNT] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *aia_status_name(aia_status code)
{
    if ((int)code < 0 || (int)code >= AIA_STATUS_COUNT) return "UNKNOWN";
    return k_status_names[code];
}

aia_status aia_status_from_name(const char *name, int *ok)
{
    for (int i = 0; i < AIA_STATUS_COUNT; i++) {
        if (name && strcmp(name, k_status_names[i]) == 0) {
            if (ok) *ok = 1;
            return (aia_status)i;
        }
    }
    if (ok) *ok = 0;
    return AIA_UNKNOWN;
}

aia_status aia_error_setv(aia_error *err, aia_status code, const char *fmt, va_list ap)
{
    if (err) {
        err->code = code;
        vsnprintf(err->message, sizeof err->message, fmt, ap);
    }
    return code;
}

aia_status aia_error_set(aia_error *err, aia_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aia_error_setv(err, code, fmt, ap);
    va_end(ap);
    return code;
}

void aia_error_clear(aia_error *err)
{
    if (!err) return;
    err->code = AIA_OK;
    err->message[0] = '\0';
}

void aia_error_prefix(aia_error *err, const char *fmt, ...)
{
    if (!err) return;
    char prefix[AIA_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* Room for both halves; the result is truncated to the message size. */
    char joined[2 * AIA_ERROR_MESSAGE_MAX + 2];
    snprintf(joined, sizeof joined, "%s: %s", prefix, err->message);
    size_t n = strlen(joined);
    if (n >= sizeof err->message) n = sizeof err->message - 1;
    memcpy(err->message, joined, n);
    err->message[n] = '\0';
}
