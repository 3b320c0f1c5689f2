/* server/server.h — the aia-server runtime on the gRPC C core.
 *
 * Design (see DESIGN.md, "Runtime notes"): one completion queue, `threads`
 * threads draining it, and a worker pool of the same size for long work, so
 * one setting sizes everything and 2 cores are not oversubscribed. Every
 * method of the method table is registered with the C core and has several
 * calls pre-posted; a catch-all request answers unknown methods with
 * UNIMPLEMENTED (the C core would otherwise leave them hanging). Unary
 * handlers run inline on the completion-queue thread and answer with a
 * single batch (initial metadata, message, status, close); streams keep one
 * send in flight and a bounded queue behind it (backpressure).
 *
 * Lifecycle: create (binds the port) → start (threads) → shutdown (drain:
 * health NOT_SERVING, no new calls, streams told to stop, in-flight calls
 * get the grace period, the rest are cancelled) → destroy. create/start/
 * shutdown/destroy are called from one thread; the accessors are
 * thread-safe.
 */
#ifndef AIA_SERVER_SERVER_H
#define AIA_SERVER_SERVER_H

#include <stddef.h>

#include "lib/base/status.h"
#include "server/descriptor_index.h"
#include "server/method.h"
#include "server/metrics.h"

typedef struct aia_server aia_server;
typedef struct aia_health aia_health;

typedef struct aia_server_options {
    const char *listen; /* host:port; port 0 picks one (see aia_server_port) */
    int threads;
    long max_recv_message_bytes;
    long max_send_message_bytes;
    long keepalive_time_ms;
    long keepalive_timeout_ms;
    long shutdown_grace_ms;
    long stream_queue_depth;
    const aia_service_impl *const *services; /* borrowed; must outlive the server */
    size_t n_services;
    const unsigned char *descriptor_set; /* borrowed FileDescriptorSet bytes */
    size_t descriptor_set_len;
    const char *data_dir;
} aia_server_options;

/* Builds the method table, registers it and binds the port. Errors: bad
 * options or descriptor set (AIA_INVALID_ARGUMENT / AIA_DATA_LOSS), a port
 * that cannot be bound (AIA_UNAVAILABLE, saying why, e.g. already in use). */
aia_status aia_server_create(const aia_server_options *opts, aia_server **out, aia_error *err);

/* Starts serving: pre-posts calls and launches the threads. */
aia_status aia_server_start(aia_server *s, aia_error *err);

/* Graceful shutdown; blocks until every call has ended and every thread
 * has stopped. Safe to call once. */
void aia_server_shutdown(aia_server *s);

void aia_server_destroy(aia_server *s);

/* The bound port (useful after listening on port 0). */
int aia_server_port(const aia_server *s);

const aia_method *aia_server_methods(const aia_server *s, size_t *n);
aia_metrics *aia_server_metrics(aia_server *s);
aia_health *aia_server_health(aia_server *s);
const aia_descriptor_index *aia_server_descriptors(const aia_server *s);
int aia_server_threads(const aia_server *s);
/* Unix time (ns) when the server started serving. */
int64_t aia_server_start_time_ns(const aia_server *s);
/* Non-zero once shutdown has begun. */
int aia_server_draining(const aia_server *s);

/* The server a call belongs to, for handlers that report on the server. */
aia_server *aia_rpc_server(aia_rpc *rpc);

#endif
