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
    time_t secs = (time_t)(unix_ns / 1000000000LL);
    int millis = (int)((unix_ns % 1000000000LL) / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}
