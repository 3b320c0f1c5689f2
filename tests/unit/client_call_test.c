/* tests/unit/client_call_test.c — client/aia_client against a tiny
 * in-process gRPC server (C core) that answers test methods with
 * aia.testdata.Nested messages: unary, streams, statuses, metadata,
 * garbage, silence. Covers what an end-to-end test cannot easily provoke:
 * an unparsable response, a callback that cancels, a unary method answering
 * with zero or two messages. */
#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/time.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/aia_client.h"
#include "tests/unit/testdata/jsontest.pb-c.h"

/* ---- the fake server ------------------------------------------------ */

typedef struct fake_server {
    grpc_server *server;
    grpc_completion_queue *cq;
    pthread_t thread;
    int port;
} fake_server;

#define TAG_NEW ((void *)1)
#define TAG_OPS ((void *)2)
#define TAG_CLOSE ((void *)3)
#define TAG_SHUTDOWN ((void *)4)

/* Waits for `tag`, noting the close-on-server event if it comes first.
 * Returns the event's success flag. */
static int wait_for(grpc_completion_queue *cq, void *tag, int *closed)
{
    for (;;) {
        grpc_event ev = grpc_completion_queue_next(cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
        if (ev.type != GRPC_OP_COMPLETE) return 0;
        if (ev.tag == TAG_CLOSE) {
            *closed = 1;
            if (tag == TAG_CLOSE) return ev.success;
            continue;
        }
        if (ev.tag == tag) return ev.success;
    }
}

static grpc_byte_buffer *pack_nested(int32_t id, const char *name)
{
    Aia__Testdata__Nested n = AIA__TESTDATA__NESTED__INIT;
    n.id = id;
    if (name) n.name = (char *)name;
    uint8_t buf[512];
    size_t len = protobuf_c_message_pack(&n.base, buf);
    grpc_slice s = grpc_slice_from_copied_buffer((const char *)buf, len);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

static int32_t request_id_field(grpc_byte_buffer *bb)
{
    if (!bb) return -1;
    grpc_byte_buffer_reader r;
    grpc_byte_buffer_reader_init(&r, bb);
    grpc_slice s = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    Aia__Testdata__Nested *n = aia__testdata__nested__unpack(NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
    grpc_slice_unref(s);
    int32_t id = n ? n->id : -1;
    if (n) aia__testdata__nested__free_unpacked(n, NULL);
    return id;
}

static int send_ops(grpc_call *call, grpc_completion_queue *cq, grpc_op *ops, size_t n, int *closed)
{
    if (grpc_call_start_batch(call, ops, n, TAG_OPS, NULL) != GRPC_CALL_OK) return 0;
    return wait_for(cq, TAG_OPS, closed);
}

static void send_status(grpc_call *call, grpc_completion_queue *cq, grpc_status_code code, const char *details,
                        int *closed)
{
    grpc_slice d = grpc_slice_from_copied_string(details);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    op.data.send_status_from_server.status = code;
    op.data.send_status_from_server.status_details = &d;
    send_ops(call, cq, &op, 1, closed);
    grpc_slice_unref(d);
}

static void send_message(grpc_call *call, grpc_completion_queue *cq, grpc_byte_buffer *bb, int *closed)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_SEND_MESSAGE;
    op.data.send_message.send_message = bb;
    send_ops(call, cq, &op, 1, closed);
    grpc_byte_buffer_destroy(bb);
}

static const char *metadata_value(const grpc_metadata_array *md, const char *key, char *buf, size_t size)
{
    for (size_t i = 0; i < md->count; i++) {
        if (grpc_slice_str_cmp(md->metadata[i].key, key) == 0) {
            size_t n = GRPC_SLICE_LENGTH(md->metadata[i].value);
            if (n >= size) n = size - 1;
            memcpy(buf, GRPC_SLICE_START_PTR(md->metadata[i].value), n);
            buf[n] = '\0';
            return buf;
        }
    }
    return "-";
}

/* One call, start to finish, on the server's single queue. */
static void serve_call(fake_server *fs, grpc_call *call, const grpc_call_details *details,
                       const grpc_metadata_array *md)
{
    grpc_completion_queue *cq = fs->cq;
    int closed = 0, cancelled = 0;
    grpc_op close_op;
    memset(&close_op, 0, sizeof close_op);
    close_op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    close_op.data.recv_close_on_server.cancelled = &cancelled;
    grpc_call_start_batch(call, &close_op, 1, TAG_CLOSE, NULL);

    grpc_byte_buffer *req = NULL;
    grpc_op ops[2];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_RECV_MESSAGE;
    ops[1].data.recv_message.recv_message = &req;
    send_ops(call, cq, ops, 2, &closed);
    int32_t n = request_id_field(req);
    if (req) grpc_byte_buffer_destroy(req);

    char method[128];
    size_t ml = GRPC_SLICE_LENGTH(details->method);
    snprintf(method, sizeof method, "%.*s", (int)ml, (const char *)GRPC_SLICE_START_PTR(details->method));

    if (strcmp(method, "/t.S/Stream") == 0) { /* n messages, ids 1..n */
        for (int32_t i = 1; i <= n && !closed; i++) send_message(call, cq, pack_nested(i, NULL), &closed);
        if (!closed) send_status(call, cq, GRPC_STATUS_OK, "", &closed);
    } else if (strcmp(method, "/t.S/Unary") == 0) {
        send_message(call, cq, pack_nested(n * 2, "doubled"), &closed);
        send_status(call, cq, GRPC_STATUS_OK, "", &closed);
    } else if (strcmp(method, "/t.S/Metadata") == 0) {
        char rid[64], caller[64], name[160];
        snprintf(name, sizeof name, "%s|%s", metadata_value(md, "x-request-id", rid, sizeof rid),
                 metadata_value(md, "x-aia-caller", caller, sizeof caller));
        send_message(call, cq, pack_nested(0, name), &closed);
        send_status(call, cq, GRPC_STATUS_OK, "", &closed);
    } else if (strcmp(method, "/t.S/Fail") == 0) {
        send_status(call, cq, GRPC_STATUS_NOT_FOUND, "thing 7 not found", &closed);
    } else if (strcmp(method, "/t.S/Garbage") == 0) {
        grpc_slice s = grpc_slice_from_static_string("\xff\xff\xff");
        grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
        send_message(call, cq, bb, &closed);
        if (!closed) send_status(call, cq, GRPC_STATUS_OK, "", &closed);
    } else if (strcmp(method, "/t.S/None") == 0) {
        send_status(call, cq, GRPC_STATUS_OK, "", &closed);
    } else if (strcmp(method, "/t.S/Silent") == 0) {
        /* answer nothing: the client's deadline ends it */
    } else {
        send_status(call, cq, GRPC_STATUS_UNIMPLEMENTED, "no such method", &closed);
    }
    if (!closed) wait_for(cq, TAG_CLOSE, &closed);
    grpc_call_unref(call);
}

static void *server_main(void *arg)
{
    fake_server *fs = arg;
    for (;;) {
        grpc_call *call = NULL;
        grpc_call_details details;
        grpc_metadata_array md;
        grpc_call_details_init(&details);
        grpc_metadata_array_init(&md);
        grpc_server_request_call(fs->server, &call, &details, &md, fs->cq, fs->cq, TAG_NEW);
        int done = 0;
        for (;;) {
            grpc_event ev = grpc_completion_queue_next(fs->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
            if (ev.type != GRPC_OP_COMPLETE || ev.tag == TAG_SHUTDOWN) {
                done = 1;
                break;
            }
            if (ev.tag != TAG_NEW) continue;
            if (!ev.success) continue; /* shutting down: the shutdown tag follows */
            serve_call(fs, call, &details, &md);
            break;
        }
        grpc_call_details_destroy(&details);
        grpc_metadata_array_destroy(&md);
        if (done) return NULL;
    }
}

static fake_server *g_server;
static char g_address[64];

static int start_server(void **state)
{
    (void)state;
    grpc_init();
    fake_server *fs = calloc(1, sizeof *fs);
    fs->server = grpc_server_create(NULL, NULL);
    fs->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(fs->server, fs->cq, NULL);
    grpc_server_credentials *creds = grpc_insecure_server_credentials_create();
    fs->port = grpc_server_add_http2_port(fs->server, "127.0.0.1:0", creds);
    grpc_server_credentials_release(creds);
    if (fs->port <= 0) return -1;
    grpc_server_start(fs->server);
    pthread_create(&fs->thread, NULL, server_main, fs);
    snprintf(g_address, sizeof g_address, "127.0.0.1:%d", fs->port);
    g_server = fs;
    return 0;
}

static int stop_server(void **state)
{
    (void)state;
    fake_server *fs = g_server;
    grpc_server_shutdown_and_notify(fs->server, fs->cq, TAG_SHUTDOWN);
    grpc_server_cancel_all_calls(fs->server);
    pthread_join(fs->thread, NULL);
    grpc_server_destroy(fs->server);
    grpc_completion_queue_shutdown(fs->cq);
    while (grpc_completion_queue_next(fs->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type != GRPC_QUEUE_SHUTDOWN) {
    }
    grpc_completion_queue_destroy(fs->cq);
    free(fs);
    grpc_shutdown();
    return 0;
}

/* ---- tests ---------------------------------------------------------- */

typedef struct collected {
    int32_t ids[16];
    char names[16][160];
    size_t n;
    size_t cancel_after; /* 0: never */
} collected;

static int collect(const ProtobufCMessage *msg, void *user)
{
    collected *c = user;
    const Aia__Testdata__Nested *n = (const Aia__Testdata__Nested *)msg;
    assert_ptr_equal(msg->descriptor, &aia__testdata__nested__descriptor);
    if (c->n < 16) {
        c->ids[c->n] = n->id;
        snprintf(c->names[c->n], sizeof c->names[c->n], "%s", n->name ? n->name : "");
    }
    c->n++;
    return c->cancel_after && c->n >= c->cancel_after;
}

static aia_status call(aia_client *cl, const char *method, int32_t id, double timeout, collected *out,
                       aia_error *err)
{
    Aia__Testdata__Nested req = AIA__TESTDATA__NESTED__INIT;
    req.id = id;
    return aia_client_call(cl, method, &req.base, &aia__testdata__nested__descriptor, timeout, NULL, 0, collect, out,
                           err);
}

static void test_unary_and_stream(void **state)
{
    (void)state;
    aia_client *cl;
    aia_error err;
    assert_int_equal(aia_client_open(g_address, NULL, &cl, &err), AIA_OK);
    assert_string_equal(aia_client_address(cl), g_address);
    collected c = {0};
    assert_int_equal(call(cl, "/t.S/Unary", 21, 5, &c, &err), AIA_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.ids[0], 42);
    assert_string_equal(c.names[0], "doubled");
    memset(&c, 0, sizeof c);
    assert_int_equal(call(cl, "/t.S/Stream", 5, 5, &c, &err), AIA_OK);
    assert_int_equal(c.n, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(c.ids[i], i + 1);
    memset(&c, 0, sizeof c);
    assert_int_equal(call(cl, "/t.S/Stream", 0, 5, &c, &err), AIA_OK); /* an empty stream */
    assert_int_equal(c.n, 0);
    /* a NULL callback discards the messages */
    Aia__Testdata__Nested req = AIA__TESTDATA__NESTED__INIT;
    req.id = 3;
    assert_int_equal(aia_client_call(cl, "/t.S/Stream", &req.base, &aia__testdata__nested__descriptor, 5, NULL, 0,
                                     NULL, NULL, &err),
                     AIA_OK);
    aia_client_close(cl);
}

static void test_unary_helper(void **state)
{
    (void)state;
    aia_client *cl;
    aia_error err;
    assert_int_equal(aia_client_open(g_address, NULL, &cl, &err), AIA_OK);
    Aia__Testdata__Nested req = AIA__TESTDATA__NESTED__INIT;
    req.id = 4;
    ProtobufCMessage *resp;
    assert_int_equal(aia_client_unary(cl, "/t.S/Unary", &req.base, &aia__testdata__nested__descriptor, 5, NULL, 0,
                                      &resp, &err),
                     AIA_OK);
    assert_int_equal(((Aia__Testdata__Nested *)resp)->id, 8);
    protobuf_c_message_free_unpacked(resp, NULL);
    req.id = 2; /* a stream of two is not a unary answer */
    assert_int_equal(aia_client_unary(cl, "/t.S/Stream", &req.base, &aia__testdata__nested__descriptor, 5, NULL, 0,
                                      &resp, &err),
                     AIA_INTERNAL);
    assert_string_equal(err.message, "/t.S/Stream answered OK with 2 response messages, expected one");
    assert_null(resp);
    assert_int_equal(aia_client_unary(cl, "/t.S/None", &req.base, &aia__testdata__nested__descriptor, 5, NULL, 0,
                                      &resp, &err),
                     AIA_INTERNAL);
    assert_string_equal(err.message, "/t.S/None answered OK with 0 response messages, expected one");
    assert_int_equal(aia_client_unary(cl, "/t.S/Fail", &req.base, &aia__testdata__nested__descriptor, 5, NULL, 0,
                                      &resp, &err),
                     AIA_NOT_FOUND);
    assert_null(resp);
    aia_client_close(cl);
}

static void test_statuses(void **state)
{
    (void)state;
    aia_client *cl;
    aia_error err;
    assert_int_equal(aia_client_open(g_address, NULL, &cl, &err), AIA_OK);
    collected c = {0};
    assert_int_equal(call(cl, "/t.S/Fail", 0, 5, &c, &err), AIA_NOT_FOUND);
    assert_int_equal(err.code, AIA_NOT_FOUND);
    assert_string_equal(err.message, "thing 7 not found");
    assert_int_equal(call(cl, "/t.S/Nope", 0, 5, &c, &err), AIA_UNIMPLEMENTED);
    assert_string_equal(err.message, "no such method");
    assert_int_equal(call(cl, "/t.S/Silent", 0, 0.2, &c, &err), AIA_DEADLINE_EXCEEDED);
    assert_int_equal(call(cl, "/t.S/Garbage", 0, 5, &c, &err), AIA_INTERNAL);
    assert_string_equal(err.message, "cannot parse a response message (3 bytes) as aia.testdata.Nested");
    assert_int_equal(c.n, 0);
    /* the callback cancels after two of ten messages */
    c.cancel_after = 2;
    assert_int_equal(call(cl, "/t.S/Stream", 10, 5, &c, &err), AIA_CANCELLED);
    assert_string_equal(err.message, "cancelled by the caller");
    assert_int_equal(c.n, 2);
    /* a client still works after all that */
    memset(&c, 0, sizeof c);
    assert_int_equal(call(cl, "/t.S/Unary", 1, 5, &c, &err), AIA_OK);
    assert_int_equal(c.ids[0], 2);
    /* bad arguments never reach the network */
    assert_int_equal(call(cl, "t.S/Unary", 1, 5, &c, &err), AIA_INVALID_ARGUMENT);
    assert_string_equal(err.message, "bad method name \"t.S/Unary\" (want \"/package.Service/Method\")");
    assert_int_equal(call(cl, "/t.S", 1, 5, &c, &err), AIA_INVALID_ARGUMENT);
    aia_client_close(cl);
}

static void test_metadata(void **state)
{
    (void)state;
    aia_client *cl;
    aia_error err;
    aia_client_options o = {.user_agent = "aia-test"};
    assert_int_equal(aia_client_open(g_address, &o, &cl, &err), AIA_OK);
    Aia__Testdata__Nested req = AIA__TESTDATA__NESTED__INIT;
    aia_client_metadata md[] = {{"x-request-id", "req-42"}, {"x-aia-caller", "alice"}};
    collected c = {0};
    assert_int_equal(aia_client_call(cl, "/t.S/Metadata", &req.base, &aia__testdata__nested__descriptor, 5, md, 2,
                                     collect, &c, &err),
                     AIA_OK);
    assert_string_equal(c.names[0], "req-42|alice");
    memset(&c, 0, sizeof c);
    assert_int_equal(aia_client_call(cl, "/t.S/Metadata", &req.base, &aia__testdata__nested__descriptor, 5, NULL, 0,
                                     collect, &c, &err),
                     AIA_OK);
    assert_string_equal(c.names[0], "-|-");
    aia_client_close(cl);
}

/* Calls from several threads share one client. */
typedef struct worker {
    aia_client *cl;
    int ok;
} worker;

static void *hammer(void *arg)
{
    worker *w = arg;
    for (int i = 0; i < 20; i++) {
        collected c = {0};
        aia_error err;
        if (call(w->cl, "/t.S/Stream", 3, 5, &c, &err) == AIA_OK && c.n == 3 && c.ids[2] == 3) w->ok++;
    }
    return NULL;
}

static void test_shared_between_threads(void **state)
{
    (void)state;
    aia_client *cl;
    aia_error err;
    assert_int_equal(aia_client_open(g_address, NULL, &cl, &err), AIA_OK);
    pthread_t t[4];
    worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (worker){cl, 0};
        pthread_create(&t[i], NULL, hammer, &w[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(w[i].ok, 20);
    }
    aia_client_close(cl);
}

static void test_server_down(void **state)
{
    (void)state;
    aia_client *cl;
    aia_error err;
    assert_int_equal(aia_client_open("", NULL, &cl, &err), AIA_INVALID_ARGUMENT);
    assert_null(cl);
    /* port 1 on loopback: nothing listens there */
    assert_int_equal(aia_client_open("127.0.0.1:1", NULL, &cl, &err), AIA_OK);
    collected c = {0};
    gpr_timespec t0 = gpr_now(GPR_CLOCK_MONOTONIC);
    assert_int_equal(call(cl, "/t.S/Unary", 1, 5, &c, &err), AIA_UNAVAILABLE);
    gpr_timespec spent = gpr_time_sub(gpr_now(GPR_CLOCK_MONOTONIC), t0);
    assert_true(gpr_time_to_millis(spent) < 4000); /* fails fast, no waiting for ready */
    assert_true(strlen(err.message) > 0);
    assert_int_equal(c.n, 0);
    aia_client_close(cl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unary_and_stream),
        cmocka_unit_test(test_unary_helper),
        cmocka_unit_test(test_statuses),
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_shared_between_threads),
        cmocka_unit_test(test_server_down),
    };
    return cmocka_run_group_tests(tests, start_server, stop_server);
}
