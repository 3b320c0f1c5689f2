/* server/method.h — the method table.
 *
 * Each service module declares an aia_service_impl: its protobuf-c service
 * descriptor, the handlers it implements, and a sentence saying what is
 * missing for the methods it does not implement yet. The runtime expands
 * these into one aia_method per RPC, with the streaming shape taken from the
 * embedded descriptor set; registration with the C core, dispatch, metrics,
 * health and reflection all derive from that one table. A method without a
 * handler decodes its request and answers UNIMPLEMENTED with
 * "<Service>/<Method> is not implemented yet: <missing>".
 */
#ifndef AIA_SERVER_METHOD_H
#define AIA_SERVER_METHOD_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "server/rpc.h"

typedef enum aia_method_kind {
    AIA_METHOD_UNARY = 0,
    AIA_METHOD_SERVER_STREAMING = 1,
    AIA_METHOD_CLIENT_STREAMING = 2, /* in the table for completeness; none is served yet */
    AIA_METHOD_BIDI_STREAMING = 3,
} aia_method_kind;

enum {
    /* Run the handler on the worker pool, never on a completion-queue thread. */
    AIA_METHOD_BLOCKING = 1u << 0,
};

/* One implemented method of a service. Exactly one of the handlers is set,
 * matching the method's shape. */
typedef struct aia_method_impl {
    const char *name; /* method name as in the .proto, e.g. "GetHealth" */
    aia_unary_fn unary;
    aia_stream_fn stream;
    aia_bidi_fn bidi;
    unsigned flags;
} aia_method_impl;

typedef struct aia_service_impl {
    const ProtobufCServiceDescriptor *descriptor;
    /* Optional: message descriptors to decode with instead of the service's
     * own (grpc.reflection.v1alpha is served with v1's wire-identical types). */
    const ProtobufCServiceDescriptor *message_types;
    const aia_method_impl *methods;
    size_t n_methods;
    /* What is missing, for methods without a handler, e.g. "training jobs and
     * the model registry arrive with ModelService (issue #5)". */
    const char *missing;
} aia_service_impl;

/* One row of the expanded table. */
typedef struct aia_method {
    char path[160];          /* "/aia.v1.SystemService/GetHealth" */
    const char *service;     /* "aia.v1.SystemService" */
    const char *name;        /* "GetHealth" */
    const ProtobufCMessageDescriptor *request;
    const ProtobufCMessageDescriptor *response;
    aia_method_kind kind;
    const aia_method_impl *impl; /* NULL: answers UNIMPLEMENTED */
    const char *missing;
    size_t index;            /* position in the table, for metrics */
    void *registered;        /* C core handle from grpc_server_register_method */
} aia_method;

const char *aia_method_kind_name(aia_method_kind kind); /* "unary", "server_stream", ... */

#endif
