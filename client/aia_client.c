/* client/aia_client.c — see aia_client.h.
 *
 * Each call gets its own pluck completion queue, so calls on one client
 * never see each other's events and the client needs no lock. The ops go
 * in three kinds of batches, as gRPC's own synchronous clients do:
 *   1. send initial metadata + the request + half-close, receive initial
 *      metadata;
 *   2. receive the status (posted at once; it completes after the last
 *      message has been read);
 *   3. one receive-message batch at a time until gRPC reports the end of
 *      the stream (a NULL byte buffer).
 * Every batch that was started is plucked before the queue is destroyed.
 */
#include "client/aia_client.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_MAX_RECEIVE (64 * 1024 * 1024)

struct aia_client {
    grpc_channel *channel;
    char *address;
};

/* What the internal callback did with a message. */
enum { KEEP_GOING = 0, CANCEL = 1, TAKEN = 2 };

typedef int (*msg_sink)(ProtobufCMessage *msg, void *user);

aia_status aia_client_open(const char *address, const aia_client_options *opts, aia_client **out, aia_error *err)
{
    *out = NULL;
    if (!address || !*address) return aia_error_set(err, AIA_INVALID_ARGUMENT, "no server address given");
    aia_client *c = calloc(1, sizeof *c);
    if (!c || !(c->address = strdup(address))) {
        free(c);
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    }
    int max_recv = opts && opts->max_receive_message_bytes ? opts->max_receive_message_bytes : DEFAULT_MAX_RECEIVE;
    char ua[128];
    snprintf(ua, sizeof ua, "%s", opts && opts->user_agent ? opts->user_agent : "aia-client/" AIA_CLIENT_VERSION);

    grpc_init();
    grpc_arg args[2];
    memset(args, 0, sizeof args);
    args[0].type = GRPC_ARG_INTEGER;
    args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
    args[0].value.integer = max_recv;
    args[1].type = GRPC_ARG_STRING;
    args[1].key = (char *)GRPC_ARG_PRIMARY_USER_AGENT_STRING;
    args[1].value.string = ua;
    grpc_channel_args channel_args = {2, args};
    grpc_channel_credentials *creds = grpc_insecure_credentials_create();
    c->channel = grpc_channel_create(address, creds, &channel_args);
    grpc_channel_credentials_release(creds);
    if (!c->channel) {
        free(c->address);
        free(c);
        grpc_shutdown();
        return aia_error_set(err, AIA_INTERNAL, "cannot create a gRPC channel to %s", address);
    }
    *out = c;
    return AIA_OK;
}

void aia_client_close(aia_client *c)
{
    if (!c) return;
    grpc_channel_destroy(c->channel);
    free(c->address);
    free(c);
    grpc_shutdown();
}

const char *aia_client_address(const aia_client *c)
{
    return c->address;
}

static gpr_timespec deadline_after(double seconds)
{
    /* Beyond ~30 years is "no deadline"; also keeps the nanoseconds in range. */
    if (!(seconds > 0) || seconds > 1e9) return gpr_inf_future(GPR_CLOCK_MONOTONIC);
    return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_nanos((int64_t)(seconds * 1e9), GPR_TIMESPAN));
}

static grpc_event pluck(grpc_completion_queue *cq, void *tag)
{
    return grpc_completion_queue_pluck(cq, tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
}

/* Unpacks a received byte buffer; NULL when it does not parse. */
static ProtobufCMessage *unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc, size_t *len)
{
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb)) return NULL;
    grpc_slice all = grpc_byte_buffer_reader_readall(&reader);
    grpc_byte_buffer_reader_destroy(&reader);
    *len = GRPC_SLICE_LENGTH(all);
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, NULL, *len, GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    return m;
}

static aia_status call_impl(aia_client *c, const char *method, const ProtobufCMessage *request,
                            const ProtobufCMessageDescriptor *response_desc, double timeout_seconds,
                            const aia_client_metadata *metadata, size_t n_metadata, msg_sink sink, void *user,
                            aia_error *err)
{
    aia_error_clear(err);
    if (!c || !method || method[0] != '/' || !strchr(method + 1, '/'))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "bad method name \"%s\" (want \"/package.Service/Method\")",
                             method ? method : "(null)");
    if (!request || !response_desc) return aia_error_set(err, AIA_INVALID_ARGUMENT, "no request or response type");

    /* The request on the wire. */
    size_t req_len = protobuf_c_message_get_packed_size(request);
    uint8_t *req_buf = malloc(req_len ? req_len : 1);
    if (!req_buf) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory packing the request");
    protobuf_c_message_pack(request, req_buf);
    grpc_slice req_slice = grpc_slice_from_copied_buffer((const char *)req_buf, req_len);
    free(req_buf);
    grpc_byte_buffer *req_bb = grpc_raw_byte_buffer_create(&req_slice, 1);
    grpc_slice_unref(req_slice);

    grpc_metadata *md = NULL;
    if (n_metadata) {
        md = calloc(n_metadata, sizeof *md);
        if (!md) {
            grpc_byte_buffer_destroy(req_bb);
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        }
        for (size_t i = 0; i < n_metadata; i++) {
            md[i].key = grpc_slice_from_copied_string(metadata[i].key);
            md[i].value = grpc_slice_from_copied_string(metadata[i].value ? metadata[i].value : "");
        }
    }

    grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
    grpc_slice method_slice = grpc_slice_from_copied_string(method);
    grpc_call *call = grpc_channel_create_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, cq, method_slice, NULL,
                                               deadline_after(timeout_seconds), NULL);
    grpc_slice_unref(method_slice);

    grpc_metadata_array initial_md, trailing_md;
    grpc_metadata_array_init(&initial_md);
    grpc_metadata_array_init(&trailing_md);
    grpc_status_code status = GRPC_STATUS_UNKNOWN;
    grpc_slice details = grpc_empty_slice();
    const char *error_string = NULL;
    aia_status result = AIA_OK;
    int started_send = 0, started_status = 0;

    grpc_op ops[4];
    memset(ops, 0, sizeof ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[0].data.send_initial_metadata.count = n_metadata;
    ops[0].data.send_initial_metadata.metadata = md;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = req_bb;
    ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
    grpc_call_error ce = grpc_call_start_batch(call, ops, 4, (void *)1, NULL);
    if (ce == GRPC_CALL_OK) started_send = 1;

    grpc_op status_op;
    memset(&status_op, 0, sizeof status_op);
    status_op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    status_op.data.recv_status_on_client.trailing_metadata = &trailing_md;
    status_op.data.recv_status_on_client.status = &status;
    status_op.data.recv_status_on_client.status_details = &details;
    status_op.data.recv_status_on_client.error_string = &error_string;
    if (grpc_call_start_batch(call, &status_op, 1, (void *)3, NULL) == GRPC_CALL_OK) started_status = 1;

    if (!started_send || !started_status) {
        grpc_call_cancel(call, NULL);
        result = aia_error_set(err, AIA_INTERNAL, "gRPC refused to start the call (error %d)", (int)ce);
    }
    if (started_send) pluck(cq, (void *)1);

    int cancelled_by_caller = 0, unparsable = 0;
    size_t bad_len = 0;
    while (started_send && started_status && !cancelled_by_caller && !unparsable) {
        grpc_byte_buffer *resp = NULL;
        grpc_op recv_op;
        memset(&recv_op, 0, sizeof recv_op);
        recv_op.op = GRPC_OP_RECV_MESSAGE;
        recv_op.data.recv_message.recv_message = &resp;
        if (grpc_call_start_batch(call, &recv_op, 1, (void *)2, NULL) != GRPC_CALL_OK) break;
        grpc_event ev = pluck(cq, (void *)2);
        if (!ev.success || !resp) {
            if (resp) grpc_byte_buffer_destroy(resp);
            break; /* end of stream, or the call failed: the status says which */
        }
        size_t len = 0;
        ProtobufCMessage *msg = unpack(resp, response_desc, &len);
        grpc_byte_buffer_destroy(resp);
        if (!msg) {
            unparsable = 1;
            bad_len = len;
            grpc_call_cancel(call, NULL);
            break;
        }
        int what = sink ? sink(msg, user) : KEEP_GOING;
        if (what != TAKEN) protobuf_c_message_free_unpacked(msg, NULL);
        if (what == CANCEL) {
            cancelled_by_caller = 1;
            grpc_call_cancel(call, NULL);
        }
    }
    if (started_status) pluck(cq, (void *)3);

    if (result != AIA_OK) {
        /* already set */
    } else if (unparsable) {
        result = aia_error_set(err, AIA_INTERNAL, "cannot parse a response message (%zu bytes) as %s", bad_len,
                               response_desc->name);
    } else if (cancelled_by_caller) {
        result = aia_error_set(err, AIA_CANCELLED, "cancelled by the caller");
    } else {
        result = (int)status >= 0 && (int)status < AIA_STATUS_COUNT ? (aia_status)status : AIA_UNKNOWN;
        if (result != AIA_OK) {
            size_t n = GRPC_SLICE_LENGTH(details);
            if (n == 0) aia_error_set(err, result, "(the server sent no status message)");
            else aia_error_set(err, result, "%.*s", (int)(n < AIA_ERROR_MESSAGE_MAX ? n : AIA_ERROR_MESSAGE_MAX),
                               (const char *)GRPC_SLICE_START_PTR(details));
        }
    }

    grpc_metadata_array_destroy(&initial_md);
    grpc_metadata_array_destroy(&trailing_md);
    grpc_slice_unref(details);
    if (error_string) gpr_free((void *)error_string);
    grpc_call_unref(call);
    grpc_completion_queue_shutdown(cq);
    grpc_completion_queue_destroy(cq);
    grpc_byte_buffer_destroy(req_bb);
    for (size_t i = 0; i < n_metadata; i++) {
        grpc_slice_unref(md[i].key);
        grpc_slice_unref(md[i].value);
    }
    free(md);
    return result;
}

/* aia_client_call's adapter from the public callback. */
typedef struct public_sink {
    aia_client_on_message fn;
    void *user;
} public_sink;

static int to_public(ProtobufCMessage *msg, void *user)
{
    public_sink *p = user;
    if (!p->fn) return KEEP_GOING;
    return p->fn(msg, p->user) ? CANCEL : KEEP_GOING;
}

aia_status aia_client_call(aia_client *c, const char *method, const ProtobufCMessage *request,
                           const ProtobufCMessageDescriptor *response_desc, double timeout_seconds,
                           const aia_client_metadata *metadata, size_t n_metadata, aia_client_on_message on_message,
                           void *user, aia_error *err)
{
    public_sink p = {on_message, user};
    return call_impl(c, method, request, response_desc, timeout_seconds, metadata, n_metadata, to_public, &p, err);
}

typedef struct unary_sink {
    ProtobufCMessage *first;
    size_t count;
} unary_sink;

static int keep_first(ProtobufCMessage *msg, void *user)
{
    unary_sink *u = user;
    if (u->count++ == 0) {
        u->first = msg;
        return TAKEN;
    }
    return KEEP_GOING;
}

aia_status aia_client_unary(aia_client *c, const char *method, const ProtobufCMessage *request,
                            const ProtobufCMessageDescriptor *response_desc, double timeout_seconds,
                            const aia_client_metadata *metadata, size_t n_metadata, ProtobufCMessage **response,
                            aia_error *err)
{
    unary_sink u = {NULL, 0};
    *response = NULL;
    aia_status st =
        call_impl(c, method, request, response_desc, timeout_seconds, metadata, n_metadata, keep_first, &u, err);
    if (st == AIA_OK && u.count != 1)
        st = aia_error_set(err, AIA_INTERNAL, "%s answered OK with %zu response messages, expected one", method,
                           u.count);
    if (st != AIA_OK) {
        if (u.first) protobuf_c_message_free_unpacked(u.first, NULL);
        return st;
    }
    *response = u.first;
    return AIA_OK;
}
