/* tests/unit/client_services_test.c — the services compiled into the CLI,
 * method lookup and its error messages, the CLI's output formatting, and
 * the `call` command's checks that happen before any network traffic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aia/v1/system.pb-c.h"
#include "client/cli_args.h"
#include "client/cli_commands.h"
#include "client/cli_output.h"
#include "client/services.h"
#include "google/protobuf/duration.pb-c.h"
#include "google/protobuf/timestamp.pb-c.h"
#include "lib/pbjson/pbjson.h"

static void expect_found(const char *name, const char *service, const char *method, const char *path)
{
    const ProtobufCServiceDescriptor *s;
    const ProtobufCMethodDescriptor *m;
    char buf[256];
    aia_error err;
    aia_status st = aia_cli_find_method(name, &s, &m, buf, sizeof buf, &err);
    if (st != AIA_OK) fail_msg("lookup of %s failed: %s", name, err.message);
    assert_string_equal(s->name, service);
    assert_string_equal(m->name, method);
    assert_string_equal(buf, path);
}

static void expect_lookup_error(const char *name, aia_status code, const char *want)
{
    const ProtobufCServiceDescriptor *s = (void *)1;
    const ProtobufCMethodDescriptor *m = (void *)1;
    char buf[256];
    aia_error err;
    aia_status st = aia_cli_find_method(name, &s, &m, buf, sizeof buf, &err);
    if (st != code || strcmp(err.message, want) != 0)
        fail_msg("lookup of %s\n want: %s %s\n  got: %s %s", name ? name : "(null)", aia_status_name(code), want,
                 aia_status_name(st), err.message);
    assert_null(s);
    assert_null(m);
}

static void test_services_listed(void **state)
{
    (void)state;
    size_t n;
    const ProtobufCServiceDescriptor *const *all = aia_cli_services(&n);
    static const char *const want[] = {"aia.v1.ModelService",  "aia.v1.DriftService",  "aia.v1.CoordinatorService",
                                       "aia.v1.LLMService",    "aia.v1.SystemService", "grpc.health.v1.Health"};
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(all[i]->name, want[i]);
        assert_true(all[i]->n_methods > 0);
    }
}

/* Every method of every service: its types are real, and its request type
 * decodes from "{}" and encodes back, as `aia call METHOD` relies on. */
static void test_every_method_round_trips_empty_json(void **state)
{
    (void)state;
    size_t n, methods = 0;
    const ProtobufCServiceDescriptor *const *all = aia_cli_services(&n);
    for (size_t i = 0; i < n; i++) {
        for (unsigned k = 0; k < all[i]->n_methods; k++) {
            const ProtobufCMethodDescriptor *m = &all[i]->methods[k];
            assert_int_equal(m->input->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
            assert_int_equal(m->output->magic, PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC);
            char name[256], path[300];
            snprintf(name, sizeof name, "%s/%s", all[i]->name, m->name);
            expect_found(name, all[i]->name, m->name, (snprintf(path, sizeof path, "/%s", name), path));
            ProtobufCMessage *req;
            aia_error err;
            if (aia_pbjson_decode(m->input, "{}", 2, NULL, NULL, &req, &err) != AIA_OK)
                fail_msg("%s: %s", name, err.message);
            aia_strbuf sb = AIA_STRBUF_INIT;
            assert_int_equal(aia_pbjson_encode(req, NULL, &sb, &err), AIA_OK);
            assert_string_equal(sb.data, "{}");
            aia_strbuf_free(&sb);
            protobuf_c_message_free_unpacked(req, NULL);
            methods++;
        }
    }
    assert_true(methods >= 30);
}

static void test_lookup(void **state)
{
    (void)state;
    expect_found("aia.v1.SystemService/GetHealth", "aia.v1.SystemService", "GetHealth",
                 "/aia.v1.SystemService/GetHealth");
    expect_found("/aia.v1.SystemService/GetMetrics", "aia.v1.SystemService", "GetMetrics",
                 "/aia.v1.SystemService/GetMetrics");
    expect_found("aia.v1.SystemService.GetHealth", "aia.v1.SystemService", "GetHealth",
                 "/aia.v1.SystemService/GetHealth");
    expect_found("grpc.health.v1.Health/Watch", "grpc.health.v1.Health", "Watch", "/grpc.health.v1.Health/Watch");
    expect_found("aia.v1.ModelService/TrainModel", "aia.v1.ModelService", "TrainModel",
                 "/aia.v1.ModelService/TrainModel");

    expect_lookup_error("aia.v1.Nope/Foo", AIA_NOT_FOUND,
                        "unknown method \"aia.v1.Nope/Foo\": no service aia.v1.Nope; known services: "
                        "aia.v1.ModelService, aia.v1.DriftService, aia.v1.CoordinatorService, aia.v1.LLMService, "
                        "aia.v1.SystemService, grpc.health.v1.Health");
    expect_lookup_error("aia.v1.SystemService/GetHealthz", AIA_NOT_FOUND,
                        "unknown method \"aia.v1.SystemService/GetHealthz\": aia.v1.SystemService has GetDashboard, "
                        "GetSystemPerformance, WatchSystemPerformance, GetHealth, GetMetrics");
    expect_lookup_error("SystemService/GetHealth", AIA_NOT_FOUND,
                        "unknown method \"SystemService/GetHealth\": no service SystemService; known services: "
                        "aia.v1.ModelService, aia.v1.DriftService, aia.v1.CoordinatorService, aia.v1.LLMService, "
                        "aia.v1.SystemService, grpc.health.v1.Health");
    expect_lookup_error("aia.v1.systemservice/GetHealth", AIA_NOT_FOUND,
                        "unknown method \"aia.v1.systemservice/GetHealth\": no service aia.v1.systemservice; known "
                        "services: aia.v1.ModelService, aia.v1.DriftService, aia.v1.CoordinatorService, "
                        "aia.v1.LLMService, aia.v1.SystemService, grpc.health.v1.Health");
    static const char *const bad[] = {"GetHealth", "/aia.v1.SystemService/", "aia.v1.SystemService/a/b",
                                      "/GetHealth", "aia.v1.SystemService/Get.Health", ".x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char want[256];
        snprintf(want, sizeof want,
                 "bad method name \"%s\" (want package.Service/Method, e.g. aia.v1.SystemService/GetHealth)", bad[i]);
        expect_lookup_error(bad[i], AIA_INVALID_ARGUMENT, want);
    }
    expect_lookup_error("", AIA_INVALID_ARGUMENT,
                        "no method name (want package.Service/Method, e.g. aia.v1.SystemService/GetHealth)");
    expect_lookup_error("/", AIA_INVALID_ARGUMENT,
                        "no method name (want package.Service/Method, e.g. aia.v1.SystemService/GetHealth)");
}

/* ---- output --------------------------------------------------------- */

/* Runs `fn` writing into a memory stream; returns what it wrote. */
static char *capture_health(const Aia__V1__GetHealthResponse *h)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    aia_cli_print_health(f, h, "127.0.0.1:50051");
    fclose(f);
    return buf;
}

static void test_health_summary(void **state)
{
    (void)state;
    Aia__V1__ServiceHealth s1 = AIA__V1__SERVICE_HEALTH__INIT, s2 = AIA__V1__SERVICE_HEALTH__INIT;
    s1.service = "aia.v1.SystemService";
    s1.status = AIA__V1__SERVING_STATUS__SERVING_STATUS_SERVING;
    s2.service = "aia.v1.ModelService";
    s2.status = AIA__V1__SERVING_STATUS__SERVING_STATUS_UNIMPLEMENTED;
    s2.detail = "training has not landed";
    Aia__V1__ServiceHealth *svcs[] = {&s1, &s2};
    Aia__V1__BuildInfo build = AIA__V1__BUILD_INFO__INIT;
    build.version = "0.1.0";
    build.git_commit = "abc1234";
    Google__Protobuf__Duration up = GOOGLE__PROTOBUF__DURATION__INIT;
    up.seconds = 3723;
    Google__Protobuf__Timestamp start = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
    start.seconds = 1706702400;
    start.nanos = 250000000;
    Aia__V1__GetHealthResponse h = AIA__V1__GET_HEALTH_RESPONSE__INIT;
    h.status = AIA__V1__SERVING_STATUS__SERVING_STATUS_SERVING;
    h.n_services = 2;
    h.services = svcs;
    h.build = &build;
    h.uptime = &up;
    h.start_time = &start;
    char *got = capture_health(&h);
    assert_string_equal(got, "status:   SERVING\n"
                             "server:   127.0.0.1:50051, aia-server 0.1.0, commit abc1234\n"
                             "uptime:   1h 2m 3s (since 2024-01-31T12:00:00.250Z)\n"
                             "services:\n"
                             "  aia.v1.SystemService  SERVING\n"
                             "  aia.v1.ModelService   UNIMPLEMENTED  training has not landed\n");
    free(got);

    Aia__V1__GetHealthResponse bare = AIA__V1__GET_HEALTH_RESPONSE__INIT;
    bare.status = (Aia__V1__ServingStatus)9;
    got = capture_health(&bare);
    assert_string_equal(got, "status:   UNKNOWN(9)\nserver:   127.0.0.1:50051\n");
    free(got);
}

static void test_formatting_helpers(void **state)
{
    (void)state;
    char buf[64];
    aia_cli_format_duration(0, 0, buf, sizeof buf);
    assert_string_equal(buf, "0s");
    aia_cli_format_duration(0, 250000000, buf, sizeof buf);
    assert_string_equal(buf, "0.250s");
    aia_cli_format_duration(59, 999, buf, sizeof buf);
    assert_string_equal(buf, "59s");
    aia_cli_format_duration(300, 0, buf, sizeof buf);
    assert_string_equal(buf, "5m 0s");
    aia_cli_format_duration(90061, 0, buf, sizeof buf);
    assert_string_equal(buf, "1d 1h 1m 1s");
    aia_cli_format_duration(-5, 0, buf, sizeof buf);
    assert_string_equal(buf, "0s");
    assert_string_equal(aia_cli_serving_status_name(2, buf, sizeof buf), "NOT_SERVING");
    assert_string_equal(aia_cli_serving_status_name(0, buf, sizeof buf), "UNSPECIFIED");
    assert_string_equal(aia_cli_serving_status_name(-1, buf, sizeof buf), "UNKNOWN(-1)");

    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    aia_cli_print_status_error(f, AIA_UNAVAILABLE, "failed to connect");
    aia_cli_print_usage_error(f, "unknown command \"x\"");
    Aia__V1__BuildInfo b = AIA__V1__BUILD_INFO__INIT;
    b.git_commit = "c";
    aia_error err;
    assert_int_equal(aia_cli_write_json(f, &b.base, 0, &err), AIA_OK);
    assert_int_equal(aia_cli_write_json(f, &b.base, 1, &err), AIA_OK);
    fclose(f);
    assert_string_equal(out, "aia: UNAVAILABLE: failed to connect\n"
                             "aia: unknown command \"x\"\n"
                             "{\"gitCommit\":\"c\"}\n"
                             "{\n  \"gitCommit\": \"c\"\n}\n");
    free(out);

    out = NULL;
    f = open_memstream(&out, &len);
    aia_cli_usage(f);
    fclose(f);
    static const char *const words[] = {"health", "metrics", "call METHOD", "version", "--server", "--timeout",
                                        "--json", "--request-id", "AIA_SERVER", "127.0.0.1:50051"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (!strstr(out, words[i])) fail_msg("usage does not mention %s", words[i]);
    free(out);
}

/* `aia call` refuses bad method names and bad JSON with exit status 2
 * before dialling (the server address here is never contacted). */
static int run_call(const char *method, const char *body, const char *stdin_text, char **err_text)
{
    aia_cli_args a;
    memset(&a, 0, sizeof a);
    a.command = AIA_CMD_CALL;
    a.server = "127.0.0.1:1";
    a.timeout_seconds = 1;
    a.method = method;
    a.body = body;
    char *out = NULL, *errs = NULL;
    size_t olen = 0, elen = 0;
    FILE *in = fmemopen((void *)stdin_text, strlen(stdin_text), "r");
    FILE *o = open_memstream(&out, &olen);
    FILE *e = open_memstream(&errs, &elen);
    int rc = aia_cli_run(&a, in, o, e);
    fclose(in);
    fclose(o);
    fclose(e);
    assert_string_equal(out, "");
    free(out);
    *err_text = errs;
    return rc;
}

static void test_call_checks_before_dialling(void **state)
{
    (void)state;
    char *e;
    assert_int_equal(run_call("aia.v1.Nope/Foo", "{}", "", &e), AIA_CLI_EXIT_USAGE);
    assert_true(strncmp(e, "aia: unknown method \"aia.v1.Nope/Foo\": no service aia.v1.Nope;", 60) == 0);
    free(e);
    assert_int_equal(run_call("aia.v1.SystemService/GetHealth", "{\"a\": 1,, }", "", &e), AIA_CLI_EXIT_USAGE);
    assert_string_equal(e, "aia: invalid request for aia.v1.SystemService/GetHealth (aia.v1.GetHealthRequest): "
                           "line 1, column 9: expected a string key, found ','\n");
    free(e);
    assert_int_equal(run_call("grpc.health.v1.Health/Check", "-", "{\"service\": 5}", &e), AIA_CLI_EXIT_USAGE);
    assert_string_equal(e, "aia: invalid request for grpc.health.v1.Health/Check (grpc.health.v1.HealthCheckRequest): "
                           "line 1, column 13: field \"service\": expected a string, found a number\n");
    free(e);
    assert_int_equal(run_call("grpc.health.v1.Health/Check", "-", "", &e), AIA_CLI_EXIT_USAGE);
    assert_string_equal(e, "aia: invalid request for grpc.health.v1.Health/Check (grpc.health.v1.HealthCheckRequest): "
                           "line 1, column 1: unexpected end of input, expected a value\n");
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_services_listed),
        cmocka_unit_test(test_every_method_round_trips_empty_json),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_health_summary),
        cmocka_unit_test(test_formatting_helpers),
        cmocka_unit_test(test_call_checks_before_dialling),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
