/* client/cli_commands.c — see cli_commands.h. */
#include "client/cli_commands.h"

#include <stdlib.h>
#include <string.h>

#include "aia/v1/system.pb-c.h"
#include "client/aia_client.h"
#include "client/cli_output.h"
#include "client/cli_rpc.h"
#include "client/services.h"
#include "google/api/httpbody.pb-c.h"
#include "lib/base/strbuf.h"
#include "lib/pbjson/pbjson.h"

static int cmd_health(const aia_cli_args *a, FILE *out, FILE *errf)
{
    Aia__V1__GetHealthRequest req = AIA__V1__GET_HEALTH_REQUEST__INIT;
    ProtobufCMessage *resp;
    if (aia_cli_rpc_unary(a, &aia__v1__system_service__descriptor, "GetHealth", &req.base, &resp, errf) != 0)
        return AIA_CLI_EXIT_FAILED;
    Aia__V1__GetHealthResponse *h = (Aia__V1__GetHealthResponse *)resp;
    int rc = h->status == AIA__V1__SERVING_STATUS__SERVING_STATUS_SERVING ? AIA_CLI_EXIT_OK : AIA_CLI_EXIT_FAILED;
    if (a->json) {
        if (aia_cli_rpc_write_json(a, out, errf, resp) != 0) rc = AIA_CLI_EXIT_FAILED;
    } else {
        aia_cli_print_health(out, h, a->server);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

static int cmd_metrics(const aia_cli_args *a, FILE *out, FILE *errf)
{
    Aia__V1__GetMetricsRequest req = AIA__V1__GET_METRICS_REQUEST__INIT;
    ProtobufCMessage *resp;
    if (aia_cli_rpc_unary(a, &aia__v1__system_service__descriptor, "GetMetrics", &req.base, &resp, errf) != 0)
        return AIA_CLI_EXIT_FAILED;
    int rc = AIA_CLI_EXIT_OK;
    if (a->json) {
        rc = aia_cli_rpc_write_json(a, out, errf, resp);
    } else {
        const Google__Api__HttpBody *body = (const Google__Api__HttpBody *)resp;
        if (body->data.len) fwrite(body->data.data, 1, body->data.len, out);
        fflush(out);
    }
    protobuf_c_message_free_unpacked(resp, NULL);
    return rc;
}

int aia_cli_read_all(FILE *in, aia_strbuf *sb)
{
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) {
        if (sb->len + n > AIA_CLI_MAX_STDIN) return -1;
        aia_strbuf_append(sb, buf, n);
    }
    return ferror(in) || sb->oom ? -1 : 0;
}

typedef struct stream_printer {
    FILE *out;
    int pretty;
    aia_status encode_status; /* first response that had no JSON form */
    aia_error encode_err;
} stream_printer;

static int print_response(const ProtobufCMessage *msg, void *user)
{
    stream_printer *p = user;
    aia_status st = aia_cli_write_json(p->out, msg, p->pretty, &p->encode_err);
    if (st != AIA_OK) {
        p->encode_status = st;
        return 1; /* cancel: the rest could not be shown either */
    }
    return 0;
}

static int cmd_call(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    const ProtobufCServiceDescriptor *svc;
    const ProtobufCMethodDescriptor *m;
    char path[512];
    aia_error err;
    if (aia_cli_find_method(a->method, &svc, &m, path, sizeof path, &err) != AIA_OK) {
        aia_cli_print_usage_error(errf, err.message);
        return AIA_CLI_EXIT_USAGE;
    }

    /* The request is decoded before anything touches the network. */
    aia_strbuf body = AIA_STRBUF_INIT;
    if (strcmp(a->body, "-") == 0) {
        if (aia_cli_read_all(in, &body) != 0) {
            aia_strbuf_free(&body);
            aia_cli_print_usage_error(errf, "cannot read the request from stdin (read error, or larger than 64 MiB)");
            return AIA_CLI_EXIT_USAGE;
        }
    } else {
        aia_strbuf_puts(&body, a->body);
    }
    ProtobufCMessage *req;
    aia_status st = aia_pbjson_decode(m->input, aia_strbuf_cstr(&body), body.len, NULL, NULL, &req, &err);
    aia_strbuf_free(&body);
    if (st != AIA_OK) {
        aia_strbuf msg = AIA_STRBUF_INIT;
        aia_strbuf_printf(&msg, "invalid request for %s (%s): %s", path + 1, m->input->name, err.message);
        aia_cli_print_usage_error(errf, aia_strbuf_cstr(&msg));
        aia_strbuf_free(&msg);
        return AIA_CLI_EXIT_USAGE;
    }

    aia_client *c;
    if (aia_cli_rpc_open(a, &c, errf) != 0) {
        protobuf_c_message_free_unpacked(req, NULL);
        return AIA_CLI_EXIT_FAILED;
    }
    aia_client_metadata md[2];
    size_t nmd = aia_cli_rpc_metadata(a, md);
    stream_printer p = {out, a->pretty, AIA_OK, {AIA_OK, ""}};
    st = aia_client_call(c, path, req, m->output, a->timeout_seconds, md, nmd, print_response, &p, &err);
    aia_client_close(c);
    protobuf_c_message_free_unpacked(req, NULL);
    if (p.encode_status != AIA_OK) {
        aia_strbuf msg = AIA_STRBUF_INIT;
        aia_strbuf_printf(&msg, "cannot print a %s as JSON: %s", m->output->name, p.encode_err.message);
        aia_cli_print_status_error(errf, p.encode_status, aia_strbuf_cstr(&msg));
        aia_strbuf_free(&msg);
        return AIA_CLI_EXIT_FAILED;
    }
    if (st != AIA_OK) {
        aia_cli_print_status_error(errf, st, err.message);
        return AIA_CLI_EXIT_FAILED;
    }
    return AIA_CLI_EXIT_OK;
}

int aia_cli_run(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    switch (a->command) {
    case AIA_CMD_HELP:
        if (a->sub.cmd) aia_cli_subcommand_usage(out, a->sub.group, a->sub.cmd);
        else if (a->sub.group) aia_cli_group_usage(out, a->sub.group);
        else aia_cli_usage(out);
        return AIA_CLI_EXIT_OK;
    case AIA_CMD_VERSION:
        aia_cli_print_version(out);
        return AIA_CLI_EXIT_OK;
    case AIA_CMD_HEALTH:
        return cmd_health(a, out, errf);
    case AIA_CMD_METRICS:
        return cmd_metrics(a, out, errf);
    case AIA_CMD_CALL:
        return cmd_call(a, in, out, errf);
    case AIA_CMD_SUB:
        return a->sub.cmd->run(a, in, out, errf);
    }
    return AIA_CLI_EXIT_USAGE;
}
