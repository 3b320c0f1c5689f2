/* server/codec.c — see codec.h. */
#include "server/codec.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_DEPTH 64

static int valid_utf8(const unsigned char *s)
{
    while (*s) {
        unsigned char c = *s;
        size_t n;
        uint32_t cp;
        if (c < 0x80) { s++; continue; }
        else if ((c & 0xe0) == 0xc0) { n = 1; cp = c & 0x1f; }
        else if ((c & 0xf0) == 0xe0) { n = 2; cp = c & 0x0f; }
        else if ((c & 0xf8) == 0xf0) { n = 3; cp = c & 0x07; }
        else return 0;
        for (size_t i = 1; i <= n; i++) {
            if ((s[i] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i] & 0x3f);
        }
        /* Overlong forms, surrogates and values past U+10FFFF are invalid. */
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return 0;
        s += n + 1;
    }
    return 1;
}

static aia_status check_message(const ProtobufCMessage *msg, char *path, size_t plen, int depth, aia_error *err);

/* Appends ".name" (or "name" at the top) and "[i]" for a repeated field to
 * path[0..plen); returns the new length. */
static size_t field_path(char *path, size_t plen, const ProtobufCFieldDescriptor *f, size_t i)
{
    size_t n = plen;
    n += (size_t)snprintf(path + n, 512 - n, "%s%s", plen ? "." : "", f->name);
    if (n >= 512) n = 511;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        n += (size_t)snprintf(path + n, 512 - n, "[%zu]", i);
        if (n >= 512) n = 511;
    }
    return n;
}

/* Only strings and messages can hold text; every other type is skipped
 * before any formatting, because a tensor of 30,000 doubles would
 * otherwise cost 60,000 snprintf calls. A string's path is formatted only
 * when it is reported; a message's, to pass down. */
static aia_status check_field(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, char *path,
                              size_t plen, int depth, aia_error *err)
{
    if (f->type != PROTOBUF_C_TYPE_STRING && f->type != PROTOBUF_C_TYPE_MESSAGE) return AIA_OK;
    const char *base = (const char *)msg;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        uint32_t which = *(const uint32_t *)(base + f->quantifier_offset);
        if (which != f->id) return AIA_OK;
    }
    size_t count = 1;
    const void *values = base + f->offset;
    if (f->label == PROTOBUF_C_LABEL_REPEATED) {
        count = *(const size_t *)(base + f->quantifier_offset);
        values = *(void *const *)(base + f->offset);
    }
    for (size_t i = 0; i < count; i++) {
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            const char *s = ((const char *const *)values)[i];
            if (s && !valid_utf8((const unsigned char *)s)) {
                field_path(path, plen, f, i);
                return aia_error_set(err, AIA_INVALID_ARGUMENT, "field %s: string is not valid UTF-8", path);
            }
            continue;
        }
        const ProtobufCMessage *sub = ((const ProtobufCMessage *const *)values)[i];
        if (!sub) continue;
        size_t n = field_path(path, plen, f, i);
        if (check_message(sub, path, n, depth + 1, err) != AIA_OK) return err->code;
        path[plen] = '\0';
    }
    return AIA_OK;
}

static aia_status check_message(const ProtobufCMessage *msg, char *path, size_t plen, int depth, aia_error *err)
{
    if (depth > MAX_DEPTH)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "field %s: nested deeper than %d", path, MAX_DEPTH);
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (check_field(msg, &d->fields[i], path, plen, depth, err) != AIA_OK) return err->code;
    return AIA_OK;
}

aia_status aia_codec_check_utf8(const ProtobufCMessage *msg, aia_error *err)
{
    char path[512] = "";
    return check_message(msg, path, 0, 0, err);
}

aia_status aia_codec_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                            ProtobufCAllocator *alloc, const ProtobufCMessage **out, aia_error *err)
{
    if (!bb) return aia_error_set(err, AIA_INVALID_ARGUMENT, "missing request message (%s)", desc->name);
    grpc_byte_buffer_reader reader;
    if (!grpc_byte_buffer_reader_init(&reader, bb))
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "cannot read the %s request: decompression failed",
                             desc->name);
    /* A request usually arrives in one slice: decode it in place; only a
     * fragmented one is gathered into a copy. */
    grpc_slice all;
    grpc_slice *first = NULL, *second = NULL;
    int single = grpc_byte_buffer_reader_peek(&reader, &first) && !grpc_byte_buffer_reader_peek(&reader, &second);
    grpc_byte_buffer_reader_destroy(&reader);
    if (single) {
        all = grpc_slice_ref(*first);
    } else if (!grpc_byte_buffer_reader_init(&reader, bb)) {
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "cannot read the %s request: decompression failed",
                             desc->name);
    } else {
        all = grpc_byte_buffer_reader_readall(&reader);
        grpc_byte_buffer_reader_destroy(&reader);
    }
    size_t len = GRPC_SLICE_LENGTH(all);
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, alloc, len, GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    if (!msg)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "cannot decode the request as %s: not a valid protobuf encoding (%zu bytes)",
                             desc->name, len);
    if (aia_codec_check_utf8(msg, err) != AIA_OK) {
        aia_error_prefix(err, "%s", desc->name);
        return err->code;
    }
    *out = msg;
    return AIA_OK;
}

grpc_byte_buffer *aia_codec_pack(const ProtobufCMessage *msg)
{
    size_t n = protobuf_c_message_get_packed_size(msg);
    grpc_slice s = grpc_slice_malloc(n);
    protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}
