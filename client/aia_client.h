/* client/aia_client.h — a small C client for aia-server on the gRPC C core.
 *
 * An aia_client is one gRPC channel to one address. aia_client_call() sends
 * one request message, half-closes, and hands every response message to a
 * callback until the server's status arrives; the wire is the same for
 * unary and server-streaming methods, so this one function serves both.
 * Messages are protobuf-c messages: the request is packed with its own
 * descriptor, each response is unpacked with the descriptor the caller
 * names (usually the method's output type from the generated service
 * descriptor).
 *
 * Status: every call returns the gRPC status of the RPC as an aia_status
 * (the numbering is gRPC's) and fills `err` with the server's status
 * message, or with gRPC's own explanation for transport failures
 * (UNAVAILABLE when nothing listens, DEADLINE_EXCEEDED when the timeout
 * passes). A response the client cannot parse cancels the call and is
 * reported as AIA_INTERNAL.
 *
 * Channel: plaintext (insecure credentials) until the server grows TLS and
 * authentication. Connections are made lazily on the first call, and calls
 * wait for the channel to become ready only within their timeout (no
 * wait-for-ready), so a dead server fails fast with UNAVAILABLE.
 *
 * Ownership: the caller owns the client (aia_client_close frees it), the
 * request (only read) and `err`. Response messages belong to the library:
 * each is freed as soon as the callback returns, so copy what you keep —
 * or use aia_client_unary, which hands the single response to the caller.
 *
 * Thread-safety: a client may be shared by any number of threads making
 * calls at the same time (each call has its own completion queue and call
 * object; gRPC channels are thread-safe). aia_client_open and
 * aia_client_close must not race with calls on the same client. Opening a
 * client initialises the gRPC library (reference-counted by gRPC), closing
 * it releases that reference.
 */
#ifndef AIA_CLIENT_AIA_CLIENT_H
#define AIA_CLIENT_AIA_CLIENT_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "lib/base/status.h"

/* The client's version, kept in step with aia-server's (server/build_info.h). */
#define AIA_CLIENT_VERSION "0.1.0"

typedef struct aia_client aia_client;

typedef struct aia_client_options {
    /* Largest response message accepted, in bytes; 0 means 64 MiB, -1 no limit. */
    int max_receive_message_bytes;
    /* Prepended to gRPC's user agent; NULL means "aia-client/<version>". */
    const char *user_agent;
} aia_client_options;

/* One request metadata entry, e.g. {"x-request-id", "abc"} or
 * {"x-aia-caller", "alice"}. Keys are lower-case ASCII; values printable
 * ASCII (gRPC refuses anything else). */
typedef struct aia_client_metadata {
    const char *key;
    const char *value;
} aia_client_metadata;

/* Receives each response message in order. `msg` is freed when this
 * returns. Return 0 to go on; non-zero cancels the call, which then returns
 * AIA_CANCELLED ("cancelled by the caller"). */
typedef int (*aia_client_on_message)(const ProtobufCMessage *msg, void *user);

/* Creates a client for `address` ("127.0.0.1:50051", "localhost:50051",
 * "dns:///host:port", "unix:/path"). `opts` may be NULL. Nothing is
 * dialled yet, so a server that is down is only noticed by the first call.
 * Returns AIA_INVALID_ARGUMENT for an empty address, AIA_INTERNAL when gRPC
 * cannot create the channel. */
aia_status aia_client_open(const char *address, const aia_client_options *opts, aia_client **out, aia_error *err);

/* Closes the channel and frees the client. NULL is fine. */
void aia_client_close(aia_client *c);

/* The address given to aia_client_open. */
const char *aia_client_address(const aia_client *c);

/* Calls `method` ("/aia.v1.SystemService/GetHealth": a leading slash,
 * package-qualified service, slash, method) with `request`, waiting at most
 * `timeout_seconds` (<= 0: no deadline) for the whole call, stream
 * included. `metadata` (n_metadata entries, may be NULL when 0) is sent
 * with the request. Each response is unpacked with `response_desc` and
 * passed to `on_message` (which may be NULL to discard them). Returns the
 * RPC's status; err->message holds the status message when it is not OK.
 * Blocks the calling thread until the status arrives. */
aia_status aia_client_call(aia_client *c, const char *method, const ProtobufCMessage *request,
                           const ProtobufCMessageDescriptor *response_desc, double timeout_seconds,
                           const aia_client_metadata *metadata, size_t n_metadata, aia_client_on_message on_message,
                           void *user, aia_error *err);

/* aia_client_call for a unary method: exactly one response, handed to the
 * caller in *response (free it with protobuf_c_message_free_unpacked(
 * *response, NULL)). *response is NULL whenever the status is not OK; a
 * server answering OK with no message or with several is AIA_INTERNAL. */
aia_status aia_client_unary(aia_client *c, const char *method, const ProtobufCMessage *request,
                            const ProtobufCMessageDescriptor *response_desc, double timeout_seconds,
                            const aia_client_metadata *metadata, size_t n_metadata, ProtobufCMessage **response,
                            aia_error *err);

#endif
