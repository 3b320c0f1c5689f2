/* server/services/pb_time.h — google.protobuf.Timestamp and Duration
 * messages from nanoseconds, allocated in a call's arena (NULL when the
 * arena is out of memory). Thread-safe as the arena is (one thread). */
#ifndef AIA_SERVER_SERVICES_PB_TIME_H
#define AIA_SERVER_SERVICES_PB_TIME_H

#include <stdint.h>

#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/status.h"

/* Unix time in ns as a Timestamp. */
Google__Protobuf__Timestamp *aia_pb_timestamp(aia_arena *a, int64_t unix_ns);

/* A non-negative span in ns as a Duration. */
Google__Protobuf__Duration *aia_pb_duration(aia_arena *a, int64_t ns);

/* A request's Timestamp as Unix ns: INVALID_ARGUMENT naming `field` when
 * it is outside google.protobuf.Timestamp's range (0001-01-01T00:00:00Z to
 * 9999-12-31T23:59:59Z) or nanos is outside 0..999,999,999. Valid times
 * that int64 ns cannot hold (before 1677, after 2262) saturate to
 * INT64_MIN / INT64_MAX, which as filter bounds mean "unbounded". */
aia_status aia_pb_timestamp_ns(const Google__Protobuf__Timestamp *t, const char *field, int64_t *out, aia_error *err);

/* A request's Duration as ns, which must lie in [min_ns, max_ns] (both
 * within int64 ns): INVALID_ARGUMENT naming `field` and the bounds
 * otherwise, or when it is not a valid Duration (nanos outside
 * +-999,999,999 or of the other sign). */
aia_status aia_pb_duration_ns(const Google__Protobuf__Duration *d, const char *field, int64_t min_ns, int64_t max_ns,
                              int64_t *out, aia_error *err);

#endif
