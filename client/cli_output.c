/* client/cli_output.c — see cli_output.h. */
#include "client/cli_output.h"

#include <grpc/grpc.h>
#include <inttypes.h>
#include <string.h>

#include "client/aia_client.h"
#include "client/cli_format.h"
#include "lib/base/strbuf.h"
#include "lib/base/timeutil.h"
#include "lib/pbjson/pbjson.h"

void aia_cli_usage(FILE *out)
{
    fputs("usage: aia [options] <command> [args]\n"
          "\n"
          "Talks to an aia-server over gRPC.\n"
          "\n"
          "commands:\n"
          "  health                 overall and per-service status, build and uptime;\n"
          "                         exits 0 when the server is SERVING, 1 otherwise\n"
          "  metrics                the server's Prometheus metrics (text)\n"
          "  call METHOD [JSON|-]   call any method with a proto3 JSON request\n"
          "                         (default {}; - reads it from stdin) and print each\n"
          "                         response as one line of JSON (streams: one per line);\n"
          "                         METHOD is package.Service/Method, e.g.\n"
          "                         aia.v1.SystemService/GetHealth\n"
          "  models ...             the model registry: train, list, get, status, alias,\n"
          "                         delete, predict (aia models --help)\n"
          "  jobs ...               training jobs: list, get, watch, cancel\n"
          "  endpoints ...          serving endpoints: create, deploy, split, undeploy,\n"
          "                         rollback, list\n"
          "  drift ...              drift monitoring: setup, check, status, reports,\n"
          "                         watch, truth\n"
          "  llm ...                large language models: generate (--stream), models,\n"
          "                         count\n"
          "  version                this client's version\n"
          "  help                   this text\n"
          "\n"
          "options (before or after the command):\n"
          "  --server ADDR          server address (default $AIA_SERVER or " "127.0.0.1:50051)\n"
          "  --timeout SECONDS      deadline for the whole call (default $AIA_TIMEOUT or 10;\n"
          "                         watching a job has none unless one is given)\n"
          "  --json                 print answers as proto3 JSON (the response message)\n"
          "  --pretty               indent JSON output\n"
          "  --request-id ID        sent as x-request-id, to find the call in server logs\n"
          "  --caller NAME          sent as x-aia-caller (default $AIA_CALLER or $USER)\n"
          "  -h, --help             this text\n"
          "  --version              this client's version\n"
          "\n"
          "exit status: 0 success, 1 the call failed (\"aia: STATUS: message\" on stderr),\n"
          "2 usage error (bad option, command, argument, method name or request JSON).\n"
          "\"aia COMMAND --help\" describes a command (aia models train --help).\n",
          out);
}

void aia_cli_print_version(FILE *out)
{
    fprintf(out, "aia %s (gRPC core %s, protobuf-c %s)\n", AIA_CLIENT_VERSION, grpc_version_string(),
            protobuf_c_version());
}

void aia_cli_print_status_error(FILE *f, aia_status code, const char *message)
{
    fprintf(f, "aia: %s: %s\n", aia_status_name(code), message);
    fflush(f);
}

void aia_cli_print_usage_error(FILE *f, const char *message)
{
    fprintf(f, "aia: %s\n", message);
    fflush(f);
}

aia_status aia_cli_write_json(FILE *out, const ProtobufCMessage *m, int pretty, aia_error *err)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_pbjson_encode_options o = {.pretty = pretty};
    aia_status st = aia_pbjson_encode(m, &o, &sb, err);
    if (st == AIA_OK) {
        aia_strbuf_putc(&sb, '\n');
        fwrite(aia_strbuf_cstr(&sb), 1, sb.len, out);
        fflush(out);
    }
    aia_strbuf_free(&sb);
    return st;
}

void aia_cli_format_duration(int64_t seconds, int32_t nanos, char *buf, size_t size)
{
    if (seconds < 0) seconds = 0;
    int64_t d = seconds / 86400, h = seconds / 3600 % 24, m = seconds / 60 % 60, s = seconds % 60;
    if (d) snprintf(buf, size, "%" PRId64 "d %" PRId64 "h %" PRId64 "m %" PRId64 "s", d, h, m, s);
    else if (h) snprintf(buf, size, "%" PRId64 "h %" PRId64 "m %" PRId64 "s", h, m, s);
    else if (m) snprintf(buf, size, "%" PRId64 "m %" PRId64 "s", m, s);
    else if (s || nanos <= 0) snprintf(buf, size, "%" PRId64 "s", s);
    else snprintf(buf, size, "0.%03ds", (int)(nanos / 1000000));
}

const char *aia_cli_serving_status_name(int status, char *buf, size_t size)
{
    return aia_cli_enum_name(&aia__v1__serving_status__descriptor, status, "SERVING_STATUS_", buf, size);
}

void aia_cli_print_health(FILE *out, const Aia__V1__GetHealthResponse *h, const char *server)
{
    char st[32];
    fprintf(out, "status:   %s\n", aia_cli_serving_status_name(h->status, st, sizeof st));
    fprintf(out, "server:   %s", server);
    if (h->build) {
        const Aia__V1__BuildInfo *b = h->build;
        if (b->version && *b->version) fprintf(out, ", aia-server %s", b->version);
        if (b->git_commit && *b->git_commit) fprintf(out, ", commit %s", b->git_commit);
    }
    fputc('\n', out);
    if (h->uptime || h->start_time) {
        fputs("uptime:   ", out);
        if (h->uptime) {
            char up[64];
            aia_cli_format_duration(h->uptime->seconds, h->uptime->nanos, up, sizeof up);
            fputs(up, out);
        }
        if (h->start_time) {
            char ts[48];
            aia_time_format_rfc3339(h->start_time->seconds * 1000000000LL + h->start_time->nanos, ts, sizeof ts);
            fprintf(out, "%s(since %s)", h->uptime ? " " : "", ts);
        }
        fputc('\n', out);
    }
    if (h->n_services) {
        size_t width = 0;
        for (size_t i = 0; i < h->n_services; i++) {
            size_t n = h->services[i]->service ? strlen(h->services[i]->service) : 0;
            if (n > width) width = n;
        }
        fputs("services:\n", out);
        for (size_t i = 0; i < h->n_services; i++) {
            const Aia__V1__ServiceHealth *s = h->services[i];
            const char *detail = s->detail && *s->detail ? s->detail : NULL;
            aia_cli_serving_status_name(s->status, st, sizeof st);
            if (detail) fprintf(out, "  %-*s  %-13s  %s\n", (int)width, s->service ? s->service : "", st, detail);
            else fprintf(out, "  %-*s  %s\n", (int)width, s->service ? s->service : "", st);
        }
    }
    fflush(out);
}
