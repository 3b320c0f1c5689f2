/* server/services/pb_time.c — see pb_time.h. */
#include "server/services/pb_time.h"

#include <inttypes.h>

#define NS_PER_S 1000000000LL
/* google.protobuf.Timestamp's range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z. */
#define TIMESTAMP_MIN_S (-62135596800LL)
#define TIMESTAMP_MAX_S 253402300799LL

Google__Protobuf__Timestamp *aia_pb_timestamp(aia_arena *a, int64_t unix_ns)
{
    Google__Protobuf__Timestamp *t = aia_arena_alloc(a, sizeof *t);
    if (!t) return NULL;
    google__protobuf__timestamp__init(t);
    /* Floored, so a time before 1970 keeps nanos in [0, 1e9) as a
     * Timestamp must. */
    int64_t sec = unix_ns / NS_PER_S, ns = unix_ns % NS_PER_S;
    if (ns < 0) {
        sec -= 1;
        ns += NS_PER_S;
    }
    t->seconds = sec;
    t->nanos = (int32_t)ns;
    return t;
}

Google__Protobuf__Duration *aia_pb_duration(aia_arena *a, int64_t ns)
{
    Google__Protobuf__Duration *d = aia_arena_alloc(a, sizeof *d);
    if (!d) return NULL;
    google__protobuf__duration__init(d);
    d->seconds = ns / NS_PER_S;
    d->nanos = (int32_t)(ns % NS_PER_S);
    return d;
}

aia_status aia_pb_timestamp_ns(const Google__Protobuf__Timestamp *t, const char *field, int64_t *out, aia_error *err)
{
    if (t->seconds < TIMESTAMP_MIN_S || t->seconds > TIMESTAMP_MAX_S || t->nanos < 0 || t->nanos >= NS_PER_S)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s: not a valid Timestamp (seconds %" PRId64 ", nanos %" PRId32
                             "): it must lie between 0001-01-01 and 9999-12-31 with nanos in 0..999999999",
                             field, t->seconds, t->nanos);
    if (t->seconds < INT64_MIN / NS_PER_S + 1) *out = INT64_MIN;
    else if (t->seconds > INT64_MAX / NS_PER_S - 1) *out = INT64_MAX;
    else *out = t->seconds * NS_PER_S + t->nanos;
    return AIA_OK;
}

aia_status aia_pb_duration_ns(const Google__Protobuf__Duration *d, const char *field, int64_t min_ns, int64_t max_ns,
                              int64_t *out, aia_error *err)
{
    if (d->nanos <= -NS_PER_S || d->nanos >= NS_PER_S || (d->seconds > 0 && d->nanos < 0) ||
        (d->seconds < 0 && d->nanos > 0))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "%s: not a valid Duration (seconds %" PRId64 ", nanos %" PRId32
                             "): nanos must be within +-999999999 and have the sign of seconds",
                             field, d->seconds, d->nanos);
    if (d->seconds < min_ns / NS_PER_S - 1 || d->seconds > max_ns / NS_PER_S + 1 ||
        d->seconds * NS_PER_S + d->nanos < min_ns || d->seconds * NS_PER_S + d->nanos > max_ns)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "%s: must be between %" PRId64 "s and %" PRId64 "s", field,
                             (int64_t)(min_ns / NS_PER_S), (int64_t)(max_ns / NS_PER_S));
    *out = d->seconds * NS_PER_S + d->nanos;
    return AIA_OK;
}
