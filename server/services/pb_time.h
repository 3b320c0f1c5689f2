/* server/services/pb_time.h — google.protobuf.Timestamp and Duration
 * messages from nanoseconds, allocated in a call's arena (NULL when the
 * arena is out of memory). Thread-safe as the arena is (one thread). */
#ifndef AIA_SERVER_SERVICES_PB_TIME_H
#define AIA_SERVER_SERVICES_PB_TIME_H

#include <stdint.h>

#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "lib/base/arena.h"

/* Unix time in ns as a Timestamp. */
Google__Protobuf__Timestamp *aia_pb_timestamp(aia_arena *a, int64_t unix_ns);

/* A non-negative span in ns as a Duration. */
Google__Protobuf__Duration *aia_pb_duration(aia_arena *a, int64_t ns);

#endif
