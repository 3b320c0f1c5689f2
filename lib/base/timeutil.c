/* lib/base/timeutil.c — see timeutil.h. */
#include "lib/base/timeutil.h"

#include <stdio.h>
#include <time.h>

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t aia_time_now_ns(void)
{
    return clock_ns(CLOCK_REALTIME);
}

int64_t aia_time_mono_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

void aia_time_format_rfc3339(int64_t unix_ns, char *buf, size_t size)
{
    /* Log lines format the time once per event; the calendar part changes
     * once a second, so each thread keeps the last one it computed. */
    static _Thread_local int cached_valid;
    static _Thread_local time_t cached_secs;
    static _Thread_local char cached[64];
    int64_t sec64 = unix_ns / 1000000000LL, rem = unix_ns % 1000000000LL;
    if (rem < 0) { /* floor, so instants before 1970 keep a positive fraction */
        sec64--;
        rem += 1000000000LL;
    }
    time_t secs = (time_t)sec64;
    int millis = (int)(rem / 1000000);
    if (!cached_valid || secs != cached_secs) {
        struct tm tm;
        gmtime_r(&secs, &tm);
        snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_secs = secs;
        cached_valid = 1;
    }
    snprintf(buf, size, "%s.%03dZ", cached, millis);
}
