/* bench/common/benchutil.h — timing and memory readings for the C
 * benchmark binaries (bench/ml, bench/drift). Linux only; thread-safe. */
#ifndef AIA_BENCH_BENCHUTIL_H
#define AIA_BENCH_BENCHUTIL_H

/* Monotonic time in seconds. */
double bench_now_s(void);

/* A "<field>: <n> kB" line of /proc/self/status (e.g. "VmHWM", "VmRSS") in
 * kB, or -1 when it cannot be read. */
long bench_status_kb(const char *field);

/* Resets the peak RSS (VmHWM) to the current RSS ("5" into
 * /proc/self/clear_refs, Linux >= 4.0); 0 when the kernel refuses. */
int bench_reset_hwm(void);

#endif
