/* client/cli_rpc.c — see cli_rpc.h. */
#include "client/cli_rpc.h"

#include <string.h>

#include "client/cli_commands.h"
#include "client/cli_output.h"

int aia_cli_rpc_open(const aia_cli_args *a, aia_client **c, FILE *errf)
{
    aia_error err;
    aia_status st = aia_client_open(a->server, NULL, c, &err);
    if (st != AIA_OK) {
        aia_cli_print_status_error(errf, st, err.message);
        return AIA_CLI_EXIT_FAILED;
    }
    return AIA_CLI_EXIT_OK;
}

size_t aia_cli_rpc_metadata(const aia_cli_args *a, aia_client_metadata md[2])
{
    size_t n = 0;
    if (a->request_id) md[n++] = (aia_client_metadata){"x-request-id", a->request_id};
    if (a->caller) md[n++] = (aia_client_metadata){"x-aia-caller", a->caller};
    return n;
}

/* "/package.Service/Method" and the method's descriptor. */
static const ProtobufCMethodDescriptor *method_path(const ProtobufCServiceDescriptor *svc, const char *method,
                                                    char *path, size_t size)
{
    const ProtobufCMethodDescriptor *m = protobuf_c_service_descriptor_get_method_by_name(svc, method);
    if (m) snprintf(path, size, "/%s/%s", svc->name, m->name);
    return m;
}

int aia_cli_rpc_unary_on(const aia_cli_args *a, aia_client *c, const ProtobufCServiceDescriptor *svc,
                         const char *method, const ProtobufCMessage *req, ProtobufCMessage **resp, FILE *errf)
{
    char path[256];
    const ProtobufCMethodDescriptor *m = method_path(svc, method, path, sizeof path);
    *resp = NULL;
    if (!m) {
        aia_cli_print_status_error(errf, AIA_INTERNAL, "this client has no such method");
        return AIA_CLI_EXIT_FAILED;
    }
    aia_client_metadata md[2];
    size_t nmd = aia_cli_rpc_metadata(a, md);
    aia_error err;
    aia_status st = aia_client_unary(c, path, req, m->output, a->timeout_seconds, md, nmd, resp, &err);
    if (st != AIA_OK) {
        aia_cli_print_status_error(errf, st, err.message);
        return AIA_CLI_EXIT_FAILED;
    }
    return AIA_CLI_EXIT_OK;
}

int aia_cli_rpc_unary(const aia_cli_args *a, const ProtobufCServiceDescriptor *svc, const char *method,
                      const ProtobufCMessage *req, ProtobufCMessage **resp, FILE *errf)
{
    aia_client *c;
    *resp = NULL;
    if (aia_cli_rpc_open(a, &c, errf) != 0) return AIA_CLI_EXIT_FAILED;
    int rc = aia_cli_rpc_unary_on(a, c, svc, method, req, resp, errf);
    aia_client_close(c);
    return rc;
}

aia_status aia_cli_rpc_stream(const aia_cli_args *a, const ProtobufCServiceDescriptor *svc, const char *method,
                              const ProtobufCMessage *req, double timeout_seconds, aia_client_on_message on_message,
                              void *user, aia_error *err)
{
    char path[256];
    const ProtobufCMethodDescriptor *m = method_path(svc, method, path, sizeof path);
    if (!m) return aia_error_set(err, AIA_INTERNAL, "this client has no method %s", method);
    aia_client *c;
    aia_status st = aia_client_open(a->server, NULL, &c, err);
    if (st != AIA_OK) return st;
    aia_client_metadata md[2];
    size_t nmd = aia_cli_rpc_metadata(a, md);
    st = aia_client_call(c, path, req, m->output, timeout_seconds, md, nmd, on_message, user, err);
    aia_client_close(c);
    return st;
}

int aia_cli_rpc_write_json(const aia_cli_args *a, FILE *out, FILE *errf, const ProtobufCMessage *m)
{
    aia_error err;
    aia_status st = aia_cli_write_json(out, m, a->pretty, &err);
    if (st == AIA_OK) return AIA_CLI_EXIT_OK;
    aia_cli_print_status_error(errf, st, err.message);
    return AIA_CLI_EXIT_FAILED;
}

int aia_cli_usage_failed(FILE *errf, const aia_error *err)
{
    aia_cli_print_usage_error(errf, err->message);
    return AIA_CLI_EXIT_USAGE;
}

int aia_cli_rpc_show(const aia_cli_args *a, const ProtobufCServiceDescriptor *svc, const char *method,
                     const ProtobufCMessage *req, aia_cli_view view, FILE *out, FILE *errf)
{
    ProtobufCMessage *resp;
    if (aia_cli_rpc_unary(a, svc, method, req, &resp, errf) != 0) return AIA_CLI_EXIT_FAILED;
    int rc = AIA_CLI_EXIT_OK;
    if (a->json) {
        rc = aia_cli_rpc_write_json(a, out, errf, resp);
    } else {
        view(out, resp);
        fflush(out);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}
