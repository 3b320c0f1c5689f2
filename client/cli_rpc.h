/* client/cli_rpc.h — how every `aia` command makes its call: open the
 * client, send the request with the caller's metadata (x-request-id,
 * x-aia-caller), report a failed call as "aia: <STATUS>: <message>" on the
 * error stream, and print a response as JSON (--json) or through the
 * command's human view. One place, so that every command behaves alike.
 *
 * Methods are named by their service descriptor and method name
 * ("TrainModel"), so the wire path and the response type come from the
 * generated descriptors and cannot disagree with them.
 *
 * Return values are exit statuses (cli_commands.h): 0, or 1 after the
 * error was printed. Stateless; thread-safe.
 */
#ifndef AIA_CLIENT_CLI_RPC_H
#define AIA_CLIENT_CLI_RPC_H

#include <protobuf-c/protobuf-c.h>
#include <stdio.h>

#include "client/aia_client.h"
#include "client/cli_args.h"

/* Opens a client for a->server; prints the error and returns 1 on failure. */
int aia_cli_rpc_open(const aia_cli_args *a, aia_client **c, FILE *errf);

/* The request metadata of the arguments into md; returns the count. */
size_t aia_cli_rpc_metadata(const aia_cli_args *a, aia_client_metadata md[2]);

/* Unary call of `method` of `svc` within a->timeout_seconds. On success
 * *resp is the response (free with protobuf_c_message_free_unpacked) and
 * 0 is returned; otherwise the error is printed and 1 returned. */
int aia_cli_rpc_unary(const aia_cli_args *a, const ProtobufCServiceDescriptor *svc, const char *method,
                      const ProtobufCMessage *req, ProtobufCMessage **resp, FILE *errf);

/* The same on a client the caller opened (for several calls in a row). */
int aia_cli_rpc_unary_on(const aia_cli_args *a, aia_client *c, const ProtobufCServiceDescriptor *svc,
                         const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp, FILE *errf);

/* Server-streaming call: each response goes to on_message (see
 * aia_client_call); `timeout_seconds` <= 0 waits forever. Returns the
 * call's status with err filled; prints nothing. */
aia_status aia_cli_rpc_stream(const aia_cli_args *a, const ProtobufCServiceDescriptor *svc, const char *method,
                              const ProtobufCMessage *req, double timeout_seconds, aia_client_on_message on_message,
                              void *user, aia_error *err);

/* Prints `m` as proto3 JSON (a->pretty); prints the error and returns 1
 * when it has no JSON form. */
int aia_cli_rpc_write_json(const aia_cli_args *a, FILE *out, FILE *errf, const ProtobufCMessage *m);

/* Prints err's message as a usage error and returns the usage exit status
 * (2): for values found bad before any call. */
int aia_cli_usage_failed(FILE *errf, const aia_error *err);

/* A human view of a response. */
typedef void (*aia_cli_view)(FILE *out, const ProtobufCMessage *m);

/* The common shape of a command: unary call, then the response as JSON
 * with --json or through `view`. Returns the exit status. */
int aia_cli_rpc_show(const aia_cli_args *a, const ProtobufCServiceDescriptor *svc, const char *method,
                     const ProtobufCMessage *req, aia_cli_view view, FILE *out, FILE *errf);

#endif
