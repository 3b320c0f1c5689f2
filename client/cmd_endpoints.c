/* client/cmd_endpoints.c — `aia endpoints create|deploy|split|undeploy|
 * rollback|list`. Every change answers with the endpoint as it is now, so
 * each command prints the same view: the endpoint, its revision and its
 * deployments with their share of the traffic.
 *
 * A traffic split is written as the deployments' own ids with a percent,
 * "churn@3=90 churn@4=10". It is checked here (whole percents 0-100, each
 * deployment once, summing to 100) so that a typo exits 2 at once; whether
 * the deployments exist is the server's to say.
 */
#include <stdlib.h>
#include <string.h>

#include "client/cli_commands.h"
#include "client/cli_format.h"
#include "client/cli_groups.h"
#include "client/cli_output.h"
#include "client/cli_request.h"
#include "client/cli_rpc.h"

#define MODEL_SERVICE (&aia__v1__model_service__descriptor)
#define MAX_SPLIT_ARGS 64

static void view_endpoint(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__Endpoint *e = (const Aia__V1__Endpoint *)msg;
    char tm[64];
    aia_cli_field(out, "endpoint", "%s", e->endpoint_id);
    if (e->display_name && *e->display_name) aia_cli_field(out, "name", "%s", e->display_name);
    if (e->description && *e->description) aia_cli_field(out, "description", "%s", e->description);
    aia_cli_field_map(out, "labels", msg, "labels");
    aia_cli_field(out, "revision", "%d", e->revision);
    aia_cli_field(out, "updated", "%s", aia_cli_format_time(e->update_time, tm, sizeof tm));
    if (!e->n_deployments) {
        fputs("(nothing deployed)\n", out);
        return;
    }
    fputc('\n', out);
    static const char *const headers[] = {"DEPLOYMENT", "TRAFFIC", "DEPLOYED", "PREDICTIONS", "ERRORS", "P99 MS",
                                          NULL};
    aia_cli_table *t = aia_cli_table_new(headers);
    for (size_t i = 0; i < e->n_deployments; i++) {
        const Aia__V1__Deployment *d = e->deployments[i];
        aia_cli_table_cell(t, "%s", d->deployment_id);
        aia_cli_table_cell(t, "%d%%", d->traffic_percent);
        aia_cli_table_cell(t, "%s", aia_cli_format_time(d->deploy_time, tm, sizeof tm));
        aia_cli_table_cell(t, "%lld", d->stats ? (long long)d->stats->predictions_total : 0LL);
        aia_cli_table_cell(t, "%lld", d->stats ? (long long)d->stats->errors_total : 0LL);
        aia_cli_table_cell(t, "%.2f", d->stats ? d->stats->latency_p99_ms : 0.0);
    }
    aia_cli_table_done(out, t, NULL);
}

static void view_endpoint_list(FILE *out, const ProtobufCMessage *msg)
{
    const Aia__V1__ListEndpointsResponse *r = (const Aia__V1__ListEndpointsResponse *)msg;
    static const char *const headers[] = {"ENDPOINT", "NAME", "REVISION", "TRAFFIC SPLIT", "UPDATED", NULL};
    aia_cli_table *t = aia_cli_table_new(headers);
    for (size_t i = 0; i < r->n_endpoints; i++) {
        const Aia__V1__Endpoint *e = r->endpoints[i];
        char tm[64];
        aia_strbuf split = AIA_STRBUF_INIT;
        aia_cli_format_map(&split, &e->base, "traffic_split", " ");
        aia_cli_table_cell(t, "%s", e->endpoint_id);
        aia_cli_table_cell(t, "%s", e->display_name && *e->display_name ? e->display_name : "-");
        aia_cli_table_cell(t, "%d", e->revision);
        aia_cli_table_cell(t, "%s", split.len ? aia_strbuf_cstr(&split) : "-");
        aia_cli_table_cell(t, "%s", aia_cli_format_time(e->update_time, tm, sizeof tm));
        aia_strbuf_free(&split);
    }
    aia_cli_table_done(out, t, r->next_page_token);
}

/* "DEPLOYMENT=PERCENT" arguments into the map field `field` of `msg`. */
static int parse_split(aia_arena *ar, ProtobufCMessage *msg, const char *field, const char *const *args, int n,
                       aia_error *err)
{
    long long sum = 0;
    for (int i = 0; i < n; i++) {
        size_t klen;
        const char *percent;
        long long p;
        if (aia_cli_parse_kv("split", args[i], &klen, &percent, err) != 0) {
            aia_error_set(err, AIA_INVALID_ARGUMENT,
                          "invalid split \"%s\": expected DEPLOYMENT=PERCENT, e.g. churn@3=90", args[i]);
            return -1;
        }
        char what[160];
        snprintf(what, sizeof what, "percent for %.*s", (int)(klen < 120 ? klen : 120), args[i]);
        if (aia_cli_parse_int(what, percent, 0, 100, &p, err) != 0) return -1;
        for (int k = 0; k < i; k++)
            if (strncmp(args[k], args[i], klen) == 0 && args[k][klen] == '=') {
                aia_error_set(err, AIA_INVALID_ARGUMENT, "deployment %.*s appears twice in the split", (int)klen,
                              args[i]);
                return -1;
            }
        ProtobufCMessage *e = aia_cli_map_append(ar, msg, field, args[i], klen, err);
        if (!e) return -1;
        const ProtobufCFieldDescriptor *vf = protobuf_c_message_descriptor_get_field(e->descriptor, 2);
        *(int32_t *)((char *)e + vf->offset) = (int32_t)p;
        sum += p;
    }
    if (n && sum != 100) {
        aia_error_set(err, AIA_INVALID_ARGUMENT, "the split sums to %lld%%; it must sum to 100", sum);
        return -1;
    }
    return 0;
}

static int cmd_create(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__CreateEndpointRequest req = AIA__V1__CREATE_ENDPOINT_REQUEST__INIT;
    aia_arena ar;
    aia_arena_init(&ar, 0);
    aia_error err;
    if (a->sub.n_args) req.endpoint_id = (char *)a->sub.args[0];
    req.display_name = (char *)aia_cli_opt_or(&a->sub, "--display-name", "");
    req.description = (char *)aia_cli_opt_or(&a->sub, "--description", "");
    int rc = aia_cli_map_from_options(&ar, &req.base, "labels", &a->sub, "--label", &err) != 0
                 ? aia_cli_usage_failed(errf, &err)
                 : aia_cli_rpc_show(a, MODEL_SERVICE, "CreateEndpoint", &req.base, view_endpoint, out, errf);
    aia_arena_destroy(&ar);
    return rc;
}

static int cmd_deploy(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__DeployModelRequest req = AIA__V1__DEPLOY_MODEL_REQUEST__INIT;
    aia_error err;
    long long traffic = 0;
    if (aia_cli_opt_int(&a->sub, "--traffic", 0, 100, &traffic, &err) != 0) return aia_cli_usage_failed(errf, &err);
    req.endpoint_id = (char *)a->sub.args[0];
    req.model_id = (char *)a->sub.args[1];
    req.traffic_percent = (int32_t)traffic;
    return aia_cli_rpc_show(a, MODEL_SERVICE, "DeployModel", &req.base, view_endpoint, out, errf);
}

static int cmd_split(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__UpdateTrafficSplitRequest req = AIA__V1__UPDATE_TRAFFIC_SPLIT_REQUEST__INIT;
    aia_arena ar;
    aia_arena_init(&ar, 0);
    aia_error err;
    long long expected = 0;
    req.endpoint_id = (char *)a->sub.args[0];
    int rc;
    if (aia_cli_opt_int(&a->sub, "--expected-revision", 1, INT32_MAX, &expected, &err) != 0 ||
        parse_split(&ar, &req.base, "traffic_split", a->sub.args + 1, a->sub.n_args - 1, &err) != 0) {
        rc = aia_cli_usage_failed(errf, &err);
    } else {
        req.expected_revision = (int32_t)expected;
        rc = aia_cli_rpc_show(a, MODEL_SERVICE, "UpdateTrafficSplit", &req.base, view_endpoint, out, errf);
    }
    aia_arena_destroy(&ar);
    return rc;
}

static int cmd_undeploy(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__UndeployModelRequest req = AIA__V1__UNDEPLOY_MODEL_REQUEST__INIT;
    aia_arena ar;
    aia_arena_init(&ar, 0);
    aia_error err;
    req.endpoint_id = (char *)a->sub.args[0];
    req.deployment_id = (char *)a->sub.args[1];
    int rc = parse_split(&ar, &req.base, "traffic_split", a->sub.args + 2, a->sub.n_args - 2, &err) != 0
                 ? aia_cli_usage_failed(errf, &err)
                 : aia_cli_rpc_show(a, MODEL_SERVICE, "UndeployModel", &req.base, view_endpoint, out, errf);
    aia_arena_destroy(&ar);
    return rc;
}

static int cmd_rollback(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__RollbackEndpointRequest req = AIA__V1__ROLLBACK_ENDPOINT_REQUEST__INIT;
    aia_error err;
    long long revision = 0;
    if (aia_cli_opt_int(&a->sub, "--revision", 1, INT32_MAX, &revision, &err) != 0)
        return aia_cli_usage_failed(errf, &err);
    req.endpoint_id = (char *)a->sub.args[0];
    req.revision = (int32_t)revision;
    return aia_cli_rpc_show(a, MODEL_SERVICE, "RollbackEndpoint", &req.base, view_endpoint, out, errf);
}

static int cmd_list(const aia_cli_args *a, FILE *in, FILE *out, FILE *errf)
{
    Aia__V1__ListEndpointsRequest req = AIA__V1__LIST_ENDPOINTS_REQUEST__INIT;
    aia_error err;
    const char *token;
    if (aia_cli_page_options(&a->sub, &req.page_size, &token, &err) != 0) return aia_cli_usage_failed(errf, &err);
    if (token) req.page_token = (char *)token;
    req.model_id = (char *)aia_cli_opt_or(&a->sub, "--model", "");
    return aia_cli_rpc_show(a, MODEL_SERVICE, "ListEndpoints", &req.base, view_endpoint_list, out, errf);
}

static const aia_cli_option k_create_options[] = {
    {"--display-name", AIA_CLI_VALUE},
    {"--description", AIA_CLI_VALUE},
    {"--label", AIA_CLI_REPEAT},
    {NULL, 0},
};
static const aia_cli_option k_deploy_options[] = {{"--traffic", AIA_CLI_VALUE}, {NULL, 0}};
static const aia_cli_option k_split_options[] = {{"--expected-revision", AIA_CLI_VALUE}, {NULL, 0}};
static const aia_cli_option k_rollback_options[] = {{"--revision", AIA_CLI_VALUE}, {NULL, 0}};
static const aia_cli_option k_list_options[] = {{"--model", AIA_CLI_VALUE}, AIA_CLI_PAGE_OPTIONS, {NULL, 0}};

#define ENDPOINT_VIEW                                                                                              \
    "Prints the endpoint: revision and deployments (DEPLOYMENT, TRAFFIC, DEPLOYED,\n"                             \
    "PREDICTIONS, ERRORS, P99 MS); with --json the Endpoint.\n"

static const aia_cli_subcommand k_commands[] = {
    {"create", "[ENDPOINT_ID]", "create an empty endpoint",
     "ENDPOINT_ID follows the model id rules (letters, digits, '.', '_', '-');\n"
     "without it the server generates one (ep-...).\n"
     "\n"
     "options:\n"
     "  --display-name NAME   a human-readable name\n"
     "  --description TEXT    free text\n"
     "  --label KEY=VALUE     a label (repeatable)\n"
     "\n" ENDPOINT_VIEW,
     0, 1, k_create_options, cmd_create},
    {"deploy", "ENDPOINT MODEL_REF", "deploy a model version onto an endpoint",
     "MODEL_REF (model, model@version or model@alias) is resolved to a fixed\n"
     "version now; the deployment's id is model@version.\n"
     "\n"
     "options:\n"
     "  --traffic PERCENT     share of the traffic for the new deployment (default\n"
     "                        0: deployed but not served, unless nothing else is\n"
     "                        deployed, in which case it gets 100); the others\n"
     "                        shrink proportionally to make room\n"
     "\n" ENDPOINT_VIEW,
     2, 2, k_deploy_options, cmd_deploy},
    {"split", "ENDPOINT DEPLOYMENT=PERCENT...", "set an endpoint's traffic split",
     "Names every deployment with a whole percent, summing to 100, e.g.\n"
     "  aia endpoints split churn-ep churn@3=90 churn@4=10\n"
     "\n"
     "options:\n"
     "  --expected-revision R fail (ABORTED) unless the endpoint is at revision R,\n"
     "                        so that two operators do not overwrite each other\n"
     "\n" ENDPOINT_VIEW,
     2, MAX_SPLIT_ARGS, k_split_options, cmd_split},
    {"undeploy", "ENDPOINT DEPLOYMENT [DEPLOYMENT=PERCENT...]", "remove a deployment from an endpoint",
     "The remaining deployments grow proportionally, or take the split given\n"
     "after DEPLOYMENT (naming each of them, summing to 100).\n"
     "\n" ENDPOINT_VIEW,
     2, MAX_SPLIT_ARGS, aia_cli_no_options, cmd_undeploy},
    {"rollback", "ENDPOINT", "restore an earlier revision of an endpoint",
     "Restores the deployments and split of an earlier revision (by default the\n"
     "one before the current) in one step; the rollback is itself a new revision.\n"
     "\n"
     "options:\n"
     "  --revision R          the revision to restore\n"
     "\n" ENDPOINT_VIEW,
     1, 1, k_rollback_options, cmd_rollback},
    {"list", "", "list endpoints",
     "options:\n"
     "  --model MODEL_ID      only endpoints serving a version of this model\n"
     AIA_CLI_PAGE_HELP("endpoints")
     "\n"
     "Prints a table: ENDPOINT, NAME, REVISION, TRAFFIC SPLIT, UPDATED; with --json\n"
     "the ListEndpointsResponse.\n",
     0, 0, k_list_options, cmd_list},
};

const aia_cli_group aia_cli_endpoints_group = {
    "endpoints",
    "Serving endpoints: deploy model versions, split traffic between them, roll back.",
    k_commands,
    sizeof k_commands / sizeof k_commands[0],
};
