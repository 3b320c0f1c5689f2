/* lib/base/status.h — the one error type of AIA.
 *
 * Every fallible function returns an aia_status whose values are gRPC's
 * status codes, so a library error travels to the wire unchanged, and fills
 * an aia_error with a message a person can act on (which field, which line,
 * why). aia_error is a plain value: no allocation, safe to copy, owned by the
 * caller. All functions here are thread-safe.
 */
#ifndef AIA_BASE_STATUS_H
#define AIA_BASE_STATUS_H

#include <stdarg.h>

typedef enum aia_status {
    AIA_OK = 0,
    AIA_CANCELLED = 1,
    AIA_UNKNOWN = 2,
    AIA_INVALID_ARGUMENT = 3,
    AIA_DEADLINE_EXCEEDED = 4,
    AIA_NOT_FOUND = 5,
    AIA_ALREADY_EXISTS = 6,
    AIA_PERMISSION_DENIED = 7,
    AIA_RESOURCE_EXHAUSTED = 8,
    AIA_FAILED_PRECONDITION = 9,
    AIA_ABORTED = 10,
    AIA_OUT_OF_RANGE = 11,
    AIA_UNIMPLEMENTED = 12,
    AIA_INTERNAL = 13,
    AIA_UNAVAILABLE = 14,
    AIA_DATA_LOSS = 15,
    AIA_UNAUTHENTICATED = 16,
} aia_status;

#define AIA_STATUS_COUNT 17
#define AIA_ERROR_MESSAGE_MAX 512

typedef struct aia_error {
    aia_status code;
    char message[AIA_ERROR_MESSAGE_MAX]; /* NUL-terminated, truncated if long */
} aia_error;

/* "OK", "INVALID_ARGUMENT", ... as gRPC spells them; "UNKNOWN" when out of range. */
const char *aia_status_name(aia_status code);

/* Parses a status name ("NOT_FOUND"); returns AIA_UNKNOWN and sets *ok = 0
 * when the name is not one of gRPC's. `ok` may be NULL. */
aia_status aia_status_from_name(const char *name, int *ok);

/* Sets err (when non-NULL) to code and the printf-formatted message, and
 * returns code, so that `return aia_error_set(err, AIA_NOT_FOUND, ...)` reads
 * naturally. */
aia_status aia_error_set(aia_error *err, aia_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
aia_status aia_error_setv(aia_error *err, aia_status code, const char *fmt, va_list ap);

/* Resets err to AIA_OK with an empty message. */
void aia_error_clear(aia_error *err);

/* Prepends "prefix: " to err's message (keeps the code). For adding context
 * on the way up, e.g. the file name in front of a parse error. */
void aia_error_prefix(aia_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
