/* server/services/system_perf.h — the performance summary of SystemService,
 * shared by the unary GetSystemPerformance (system.c) and the streamed
 * WatchSystemPerformance (system_watch.c). Private to server/services. */
#ifndef AIA_SERVER_SERVICES_SYSTEM_PERF_H
#define AIA_SERVER_SERVICES_SYSTEM_PERF_H

#include "aia/v1/system.pb-c.h"
#include "lib/base/arena.h"
#include "lib/base/status.h"
#include "server/rpc.h"
#include "server/server.h"

/* Fills `out` (initialised here) with one sample: per-method calls, errors
 * and latency percentiles for every method called so far, and the process's
 * RSS, CPU time, thread count and the server's uptime. Everything `out`
 * points to is either allocated from `a` or borrowed from the server's
 * method table, so it stays valid until `a` is reset or the server is
 * destroyed, whichever comes first.
 *
 * Threads: callable from any thread while the server is alive (it reads
 * only the immutable method table, the lock-free metrics and /proc), as long
 * as `a` belongs to the calling thread. Errors: AIA_RESOURCE_EXHAUSTED when
 * `a` runs out of memory; `out` is then partly filled and must not be sent. */
aia_status aia_system_performance_sample(aia_server *s, aia_arena *a, Aia__V1__GetSystemPerformanceResponse *out,
                                         aia_error *err);

/* The WatchSystemPerformance stream handler (system_watch.c). */
void aia_system_watch_performance(aia_rpc *rpc, const ProtobufCMessage *request);

#endif
