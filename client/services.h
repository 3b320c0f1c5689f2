/* client/services.h — the gRPC services compiled into the `aia` CLI, and
 * looking a method up by name.
 *
 * `aia call` is generic: it finds the method's request and response types
 * in the protobuf-c service descriptors linked into the binary, so it can
 * encode the request from JSON before touching the network. The list of
 * services lives in one place, services.c. Everything here is read-only
 * static data: thread-safe.
 */
#ifndef AIA_CLIENT_SERVICES_H
#define AIA_CLIENT_SERVICES_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "lib/base/status.h"

/* The compiled-in services, in listing order; *n gets their number. */
const ProtobufCServiceDescriptor *const *aia_cli_services(size_t *n);

/* Finds a method named "/package.Service/Method", "package.Service/Method"
 * or "package.Service.Method". On success sets *service and *method and
 * writes the wire path ("/package.Service/Method") into path (NUL-
 * terminated, truncated to path_size). Errors, each naming what was asked
 * for:
 *   AIA_INVALID_ARGUMENT  the name is not of that shape;
 *   AIA_NOT_FOUND         no such service (the message lists the services)
 *                         or no such method (it lists the service's methods).
 */
aia_status aia_cli_find_method(const char *name, const ProtobufCServiceDescriptor **service,
                               const ProtobufCMethodDescriptor **method, char *path, size_t path_size,
                               aia_error *err);

#endif
