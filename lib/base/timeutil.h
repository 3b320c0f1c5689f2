/* lib/base/timeutil.h — clocks and time formatting. Thread-safe. */
#ifndef AIA_BASE_TIMEUTIL_H
#define AIA_BASE_TIMEUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time, nanoseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t aia_time_now_ns(void);
/* Monotonic time in nanoseconds (CLOCK_MONOTONIC), for durations. */
int64_t aia_time_mono_ns(void);
/* Writes "2026-11-26T05:44:32.123Z" (UTC, milliseconds) into buf. */
void aia_time_format_rfc3339(int64_t unix_ns, char *buf, size_t size);

#endif
