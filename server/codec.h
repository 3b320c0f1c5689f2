/* server/codec.h — protobuf-c messages to and from gRPC byte buffers.
 *
 * Decoding validates as well as parses: protobuf-c accepts any bytes in a
 * string field, but proto3 requires UTF-8, so every string field (nested,
 * repeated and map values included) is checked and a bad one is named in
 * the INVALID_ARGUMENT message. Thread-safe.
 */
#ifndef AIA_SERVER_CODEC_H
#define AIA_SERVER_CODEC_H

#include <grpc/byte_buffer.h>
#include <protobuf-c/protobuf-c.h>

#include "lib/base/status.h"

/* Decodes `bb` (NULL means no message was sent) as `desc`, allocating
 * through `alloc` (the call arena). On failure returns AIA_INVALID_ARGUMENT
 * naming the type and the reason. */
aia_status aia_codec_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *desc,
                            ProtobufCAllocator *alloc, const ProtobufCMessage **out, aia_error *err);

/* Serialises `msg` into a new byte buffer (the caller destroys it), or
 * NULL when out of memory. */
grpc_byte_buffer *aia_codec_pack(const ProtobufCMessage *msg);

/* Checks every string field of `msg` for valid UTF-8; on failure names the
 * field path (e.g. "contents[1].parts[0].text"). */
aia_status aia_codec_check_utf8(const ProtobufCMessage *msg, aia_error *err);

#endif
