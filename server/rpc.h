/* server/rpc.h — what a handler sees of a call.
 *
 * Handlers map protobuf-c messages to lib/ calls and back; they never touch
 * the gRPC C core. A call (aia_rpc) is owned by the runtime. Three kinds of
 * handler exist, matching the RPC's shape in the contract:
 *
 *   unary          aia_unary_fn fills the pre-initialised response and
 *                  returns a status; the runtime sends both.
 *   server stream  aia_stream_fn starts the stream and returns; the handler
 *                  then calls aia_rpc_send() from any thread, any number of
 *                  times, and aia_rpc_finish() exactly once.
 *   bidi stream    aia_bidi_fn is called once per received message, then
 *                  once with NULL at the client's half-close; it answers
 *                  with aia_rpc_send() and ends with aia_rpc_finish().
 *
 * Requests are decoded (and so validated as protobuf) before any handler
 * runs: a handler never sees a malformed request. Memory for the request,
 * the response and anything the handler allocates with aia_rpc_arena()
 * lives until the call ends; handlers never free.
 *
 * Threads: a unary handler runs on a completion-queue thread unless its
 * method is marked AIA_METHOD_BLOCKING, which moves it to the worker pool.
 * Stream sends may come from any thread. aia_rpc_send(..., AIA_SEND_WAIT)
 * blocks while the stream's queue is full (backpressure) and so must never
 * be called on a completion-queue thread.
 */
#ifndef AIA_SERVER_RPC_H
#define AIA_SERVER_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdint.h>

#include "lib/base/arena.h"
#include "lib/base/status.h"

typedef struct aia_rpc aia_rpc;

typedef aia_status (*aia_unary_fn)(aia_rpc *rpc, const ProtobufCMessage *request, ProtobufCMessage *response,
                                   aia_error *err);
typedef void (*aia_stream_fn)(aia_rpc *rpc, const ProtobufCMessage *request);
typedef void (*aia_bidi_fn)(aia_rpc *rpc, const ProtobufCMessage *message_or_null);

typedef enum aia_stop_reason {
    AIA_STOP_CANCELLED = 1, /* the client cancelled, disconnected or its deadline passed */
    AIA_STOP_DRAINING = 2,  /* the server is shutting down; finish soon */
} aia_stop_reason;

/* Called at most once per stream, without any runtime lock held: on a
 * completion-queue thread for a cancel, on the thread running
 * aia_server_shutdown() for draining, or right away from aia_rpc_on_stop().
 * The handler still owes aia_rpc_finish(). */
typedef void (*aia_stop_fn)(aia_rpc *rpc, void *arg, aia_stop_reason reason);

typedef enum aia_send_mode {
    AIA_SEND_NOWAIT = 0, /* full queue → AIA_RESOURCE_EXHAUSTED */
    AIA_SEND_WAIT = 1,   /* full queue → block until there is room or the call ends */
} aia_send_mode;

/* Per-call memory. Only the thread currently running one of this call's
 * handler callbacks may use it (arenas are not thread-safe). */
aia_arena *aia_rpc_arena(aia_rpc *rpc);

/* The full method name, "/aia.v1.SystemService/GetHealth". */
const char *aia_rpc_method(const aia_rpc *rpc);
/* The client's x-request-id, or the id generated for this call. */
const char *aia_rpc_request_id(const aia_rpc *rpc);
/* The x-aia-caller metadata value, or "" when absent. */
const char *aia_rpc_caller(const aia_rpc *rpc);

/* Non-zero once the client cancelled or the deadline passed. */
int aia_rpc_cancelled(const aia_rpc *rpc);
/* Non-zero once the call is cancelled or the server is draining: long
 * handlers poll this between units of work. */
int aia_rpc_should_stop(const aia_rpc *rpc);
/* Milliseconds left before the call's deadline; INT64_MAX without one,
 * <= 0 once it passed. */
int64_t aia_rpc_deadline_remaining_ms(const aia_rpc *rpc);

/* Registers the stop callback of a stream. If the stream was already
 * cancelled or draining, `fn` runs right away on the calling thread. */
void aia_rpc_on_stop(aia_rpc *rpc, aia_stop_fn fn, void *arg);

/* Serialises `msg` and queues it on the stream. Returns AIA_OK, or
 * AIA_CANCELLED when the call is over, or AIA_RESOURCE_EXHAUSTED when the
 * queue is full in AIA_SEND_NOWAIT mode, or AIA_INTERNAL when serialising
 * fails. The message is copied; the caller keeps ownership of `msg`. */
aia_status aia_rpc_send(aia_rpc *rpc, const ProtobufCMessage *msg, aia_send_mode mode);

/* Sends the stream's response headers now rather than with its first
 * message: x-request-id and "aia-stream-open: 1", which tells a client
 * (and the REST gateway, which then answers HTTP 200 at once) that the
 * stream is open while it waits for events that may take long to come.
 * (Plain initial metadata is no such sign: the C core sends it ahead of an
 * error status too.) A no-op once headers or a message went out, or after the call
 * ended. Thread-safe like aia_rpc_send. */
void aia_rpc_send_headers(aia_rpc *rpc);

/* Ends a stream: queued messages go out first, then the status. The handler
 * must not touch `rpc` afterwards. `message` may be NULL. */
void aia_rpc_finish(aia_rpc *rpc, aia_status code, const char *message);

#endif
