/* server/reflection.c — grpc.reflection.v1 and v1alpha ServerReflection,
 * served from the embedded descriptor set, so grpcurl, Postman and friends
 * work with no .proto files. Both versions share v1's C types: the two
 * protos are wire-identical (same messages, field numbers and types); only
 * the package differs. Answers carry the requested file and its transitive
 * imports, as the reference servers do. */
#include "server/reflection.h"

#include <stdlib.h>
#include <string.h>

#include "grpc/reflection/v1/reflection.pb-c.h"
#include "grpc/reflection/v1alpha/reflection.pb-c.h"
#include "server/server.h"

typedef Grpc__Reflection__V1__ServerReflectionRequest reflection_request;
typedef Grpc__Reflection__V1__ServerReflectionResponse reflection_response;

static void set_error(reflection_response *resp, Grpc__Reflection__V1__ErrorResponse *e, aia_status code,
                      const char *message)
{
    e->error_code = (int32_t)code;
    e->error_message = (char *)message;
    resp->message_response_case = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ERROR_RESPONSE;
    resp->error_response = e;
}

static aia_status answer_files(aia_rpc *rpc, const aia_descriptor_index *idx, int file, reflection_response *resp)
{
    aia_arena *a = aia_rpc_arena(rpc);
    size_t cap = aia_descriptor_index_file_count(idx), n = 0;
    int *closure = aia_arena_alloc(a, cap * sizeof *closure);
    Grpc__Reflection__V1__FileDescriptorResponse *fr = aia_arena_alloc(a, sizeof *fr);
    ProtobufCBinaryData *files = aia_arena_alloc(a, cap * sizeof *files);
    if (!closure || !fr || !files) return AIA_RESOURCE_EXHAUSTED;
    grpc__reflection__v1__file_descriptor_response__init(fr);
    aia_descriptor_index_closure(idx, file, closure, &n);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *bytes;
        aia_descriptor_index_file_bytes(idx, closure[i], &bytes, &files[i].len);
        files[i].data = (uint8_t *)bytes; /* borrowed from the embedded blob */
    }
    fr->n_file_descriptor_proto = n;
    fr->file_descriptor_proto = files;
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_FILE_DESCRIPTOR_RESPONSE;
    resp->file_descriptor_response = fr;
    return AIA_OK;
}

static aia_status answer_services(aia_rpc *rpc, reflection_response *resp)
{
    aia_arena *a = aia_rpc_arena(rpc);
    size_t n_methods;
    const aia_method *methods = aia_server_methods(aia_rpc_server(rpc), &n_methods);
    Grpc__Reflection__V1__ListServiceResponse *ls = aia_arena_alloc(a, sizeof *ls);
    Grpc__Reflection__V1__ServiceResponse **list = aia_arena_alloc(a, (n_methods + 1) * sizeof *list);
    if (!ls || !list) return AIA_RESOURCE_EXHAUSTED;
    grpc__reflection__v1__list_service_response__init(ls);
    size_t n = 0;
    for (size_t i = 0; i < n_methods; i++) {
        if (i > 0 && methods[i - 1].service == methods[i].service) continue; /* table is grouped by service */
        Grpc__Reflection__V1__ServiceResponse *sr = aia_arena_alloc(a, sizeof *sr);
        if (!sr) return AIA_RESOURCE_EXHAUSTED;
        grpc__reflection__v1__service_response__init(sr);
        sr->name = (char *)methods[i].service;
        list[n++] = sr;
    }
    ls->n_service = n;
    ls->service = list;
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_LIST_SERVICES_RESPONSE;
    resp->list_services_response = ls;
    return AIA_OK;
}

static aia_status answer_extension_numbers(aia_rpc *rpc, const aia_descriptor_index *idx, const char *type,
                                           reflection_response *resp)
{
    aia_arena *a = aia_rpc_arena(rpc);
    size_t n = aia_descriptor_index_extension_numbers(idx, type, NULL, 0);
    Grpc__Reflection__V1__ExtensionNumberResponse *er = aia_arena_alloc(a, sizeof *er);
    int *numbers = aia_arena_alloc(a, (n + 1) * sizeof *numbers);
    if (!er || !numbers) return AIA_RESOURCE_EXHAUSTED;
    grpc__reflection__v1__extension_number_response__init(er);
    aia_descriptor_index_extension_numbers(idx, type, numbers, n);
    er->base_type_name = (char *)type;
    er->n_extension_number = n;
    er->extension_number = (int32_t *)numbers;
    resp->message_response_case =
        GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__MESSAGE_RESPONSE_ALL_EXTENSION_NUMBERS_RESPONSE;
    resp->all_extension_numbers_response = er;
    return AIA_OK;
}

static aia_status answer(aia_rpc *rpc, const reflection_request *req, reflection_response *resp,
                         Grpc__Reflection__V1__ErrorResponse *e)
{
    const aia_descriptor_index *idx = aia_server_descriptors(aia_rpc_server(rpc));
    aia_arena *a = aia_rpc_arena(rpc);
    int file;
    switch (req->message_request_case) {
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME:
        if ((file = aia_descriptor_index_find_file(idx, req->file_by_filename)) < 0) break;
        return answer_files(rpc, idx, file, resp);
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL:
        if ((file = aia_descriptor_index_find_symbol(idx, req->file_containing_symbol)) < 0) break;
        return answer_files(rpc, idx, file, resp);
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION: {
        const Grpc__Reflection__V1__ExtensionRequest *x = req->file_containing_extension;
        if (!x || (file = aia_descriptor_index_find_extension(idx, x->containing_type, x->extension_number)) < 0)
            break;
        return answer_files(rpc, idx, file, resp);
    }
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_ALL_EXTENSION_NUMBERS_OF_TYPE:
        if (aia_descriptor_index_find_symbol(idx, req->all_extension_numbers_of_type) < 0) break;
        return answer_extension_numbers(rpc, idx, req->all_extension_numbers_of_type, resp);
    case GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_LIST_SERVICES:
        return answer_services(rpc, resp);
    default:
        set_error(resp, e, AIA_INVALID_ARGUMENT, "the request names no question (message_request is empty)");
        return AIA_OK;
    }
    const char *what = req->message_request_case ==
                               GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_BY_FILENAME
                           ? req->file_by_filename
                       : req->message_request_case ==
                               GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_EXTENSION
                           ? "the requested extension"
                       : req->message_request_case ==
                               GRPC__REFLECTION__V1__SERVER_REFLECTION_REQUEST__MESSAGE_REQUEST_FILE_CONTAINING_SYMBOL
                           ? req->file_containing_symbol
                           : req->all_extension_numbers_of_type;
    set_error(resp, e, AIA_NOT_FOUND, aia_arena_printf(a, "not found: %s", what));
    return AIA_OK;
}

static void reflection_info(aia_rpc *rpc, const ProtobufCMessage *message)
{
    if (!message) { /* the client is done asking */
        aia_rpc_finish(rpc, AIA_OK, NULL);
        return;
    }
    const reflection_request *req = (const reflection_request *)message;
    reflection_response resp = GRPC__REFLECTION__V1__SERVER_REFLECTION_RESPONSE__INIT;
    Grpc__Reflection__V1__ErrorResponse e = GRPC__REFLECTION__V1__ERROR_RESPONSE__INIT;
    resp.valid_host = req->host;
    resp.original_request = (reflection_request *)req;
    if (answer(rpc, req, &resp, &e) != AIA_OK) {
        aia_rpc_finish(rpc, AIA_RESOURCE_EXHAUSTED, "out of memory answering a reflection request");
        return;
    }
    /* One answer per question and the next question is read only after this
     * returns, so the queue holds at most a couple of answers unless the
     * client stops reading; then it is told so. */
    aia_status st = aia_rpc_send(rpc, &resp.base, AIA_SEND_NOWAIT);
    if (st == AIA_RESOURCE_EXHAUSTED)
        aia_rpc_finish(rpc, st, "reflection client is not reading its answers");
}

static const aia_method_impl k_methods[] = {
    {.name = "ServerReflectionInfo", .bidi = reflection_info},
};

const aia_service_impl aia_reflection_v1_service = {
    .descriptor = &grpc__reflection__v1__server_reflection__descriptor,
    .methods = k_methods,
    .n_methods = 1,
};

const aia_service_impl aia_reflection_v1alpha_service = {
    .descriptor = &grpc__reflection__v1alpha__server_reflection__descriptor,
    .message_types = &grpc__reflection__v1__server_reflection__descriptor,
    .methods = k_methods,
    .n_methods = 1,
};
