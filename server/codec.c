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

/* Where the check is: one frame per message level, on the stack. The text
 * of the path ("instances[3].fields[0].value") is built only when an error
 * is reported: a 1,000-row request of 30 Struct fields has 60,000 message
 * elements, and formatting each one's path cost more than decoding. */
typedef struct path_frame {
    const struct path_frame *parent; /* NULL at the top message */
    const ProtobufCFieldDescriptor *field;
    size_t index; /* element of a repeated field */
} path_frame;

static size_t format_path(const path_frame *f, char *out, size_t size)
{
    if (!f || !f->field) return 0;
    size_t n = format_path(f->parent, out, size);
    if (n < size)
        n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "." : "", f->field->name);
    if (n < size && f->field->label == PROTOBUF_C_LABEL_REPEATED)
        n += (size_t)snprintf(out + n, size - n, "[%zu]", f->index);
    return n < size ? n : size - 1;
}

static aia_status fail_at(const path_frame *f, aia_error *err, const char *what)
{
    char path[512] = "";
    format_path(f, path, sizeof path);
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "field %s: %s", path, what);
}

static aia_status check_message(const ProtobufCMessage *msg, const path_frame *at, int depth, aia_error *err);

/* Only strings and messages can hold text; every other type is skipped
 * (a tensor's 30,000 doubles cost nothing here). */
static aia_status check_field(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *f, const path_frame *at,
                              int depth, aia_error *err)
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
        path_frame here = {at, f, i};
        if (f->type == PROTOBUF_C_TYPE_STRING) {
            const char *s = ((const char *const *)values)[i];
            if (s && !valid_utf8((const unsigned char *)s)) return fail_at(&here, err, "string is not valid UTF-8");
            continue;
        }
        const ProtobufCMessage *sub = ((const ProtobufCMessage *const *)values)[i];
        if (sub && check_message(sub, &here, depth + 1, err) != AIA_OK) return err->code;
    }
    return AIA_OK;
}

static aia_status check_message(const ProtobufCMessage *msg, const path_frame *at, int depth, aia_error *err)
{
    if (depth > MAX_DEPTH) {
        char what[64];
        snprintf(what, sizeof what, "nested deeper than %d", MAX_DEPTH);
        return fail_at(at, err, what);
    }
    const ProtobufCMessageDescriptor *d = msg->descriptor;
    for (unsigned i = 0; i < d->n_fields; i++)
        if (check_field(msg, &d->fields[i], at, depth, err) != AIA_OK) return err->code;
    return AIA_OK;
}

aia_status aia_codec_check_utf8(const ProtobufCMessage *msg, aia_error *err)
{
    path_frame top = {NULL, NULL, 0};
    return check_message(msg, &top, 0, err);
}

/* ---- nesting depth, on the wire ------------------------------------------ */

static int wire_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    *v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        uint8_t b = *(*p)++;
        *v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) return 1;
    }
    return 0;
}

/* How deep the encoded message nests, measured before protobuf-c decodes
 * it: protobuf_c_message_unpack() recurses once per level with no limit,
 * and google.protobuf.Struct (Predict's instances) nests without end at a
 * few bytes a level, so some 100,000 levels, far under the size limit,
 * would overflow the thread's stack. The scan stops past MAX_DEPTH; bytes
 * it cannot follow end it quietly, since protobuf-c refuses them anyway. */
static int wire_depth(const ProtobufCMessageDescriptor *d, const uint8_t *p, const uint8_t *end, int depth)
{
    int deepest = depth;
    while (p < end && deepest <= MAX_DEPTH) {
        uint64_t key, n;
        if (!wire_varint(&p, end, &key)) break;
        switch (key & 7) {
        case 0:
            if (!wire_varint(&p, end, &n)) return deepest;
            break;
        case 1:
            if (end - p < 8) return deepest;
            p += 8;
            break;
        case 5:
            if (end - p < 4) return deepest;
            p += 4;
            break;
        case 2: {
            if (!wire_varint(&p, end, &n) || n > (uint64_t)(end - p)) return deepest;
            uint64_t number = key >> 3;
            const ProtobufCFieldDescriptor *f =
                number <= UINT32_MAX ? protobuf_c_message_descriptor_get_field(d, (unsigned)number) : NULL;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                int got = wire_depth(f->descriptor, p, p + n, depth + 1);
                if (got > deepest) deepest = got;
            }
            p += n;
            break;
        }
        default:
            return deepest; /* groups or garbage: protobuf-c's to refuse */
        }
    }
    return deepest;
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
    const uint8_t *bytes = GRPC_SLICE_START_PTR(all);
    if (wire_depth(desc, bytes, bytes + len, 0) > MAX_DEPTH) {
        grpc_slice_unref(all);
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "cannot decode the request as %s: messages nested deeper than %d",
                             desc->name, MAX_DEPTH);
    }
    ProtobufCMessage *msg = protobuf_c_message_unpack(desc, alloc, len, bytes);
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
