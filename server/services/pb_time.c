/* server/services/pb_time.c — see pb_time.h. */
#include "server/services/pb_time.h"

#define NS_PER_S 1000000000LL

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
