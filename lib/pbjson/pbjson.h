/* lib/pbjson/pbjson.h — the proto3 JSON mapping for protobuf-c messages.
 *
 * protobuf-c has no JSON support; this module is AIA's one codec between
 * protobuf-c messages and proto3 JSON (https://protobuf.dev/programming-
 * guides/proto3/#json), driven only by ProtobufCMessageDescriptor, so it
 * knows nothing of any particular API. The CLI's --json output, JSON inputs
 * and any JSON the server emits go through it.
 *
 * The mapping, as protoc's own printers and parsers do it:
 *   - field names: lowerCamelCase derived from the proto name exactly as
 *     protoc derives json_name ("model_id" -> "modelId"; protobuf-c does not
 *     keep custom json_name options, so those are not honoured); the encoder
 *     can emit the original names instead; the decoder accepts both;
 *   - int64, uint64 (and the fixed/sint variants) as JSON strings, 32-bit
 *     integers as numbers; the decoder accepts numbers or numeric strings
 *     for every integer type, including exponents when the value is
 *     integral ("1e3"), and rejects fractions and out-of-range values;
 *   - float and double as numbers (shortest text that reads back to the
 *     same value), NaN and infinities as "NaN", "Infinity", "-Infinity";
 *   - bytes as standard base64 with padding (the decoder also takes the
 *     URL-safe alphabet and missing padding);
 *   - enums by value name; values the descriptor does not know as numbers;
 *     the decoder takes names or numbers;
 *   - repeated fields as arrays; map fields (which protobuf-c represents as
 *     repeated nested "<Field>Entry" messages with key = 1 and value = 2) as
 *     objects with string keys;
 *   - oneofs and fields with explicit presence (proto2 `optional`, and
 *     proto3 `optional` once protoc-c supports it) are written when set,
 *     whatever their value;
 *   - well-known types in their special forms: Timestamp as RFC 3339 in UTC
 *     ("2024-01-31T12:00:00Z", with 0, 3, 6 or 9 fractional digits; offsets
 *     such as "+01:00" accepted on input), Duration as "1.500s", Struct,
 *     Value, ListValue and NullValue as plain JSON, the wrappers
 *     (Int32Value, StringValue, ...) as bare values, Empty as {}, FieldMask
 *     as "a.bC,d" (lowerCamelCase paths). google.protobuf.Any is not
 *     supported: encoding or decoding one fails with AIA_UNIMPLEMENTED.
 *
 * Encoding omits fields holding their default value (proto3 implicit
 * presence) unless emit_defaults is set; message fields that are not set are
 * always omitted. When a map holds a key twice (possible in protobuf-c's
 * representation) the last entry wins, as on the wire.
 *
 * Decoding is strict, because its input comes from the network: unknown
 * fields (unless ignore_unknown_fields), wrong JSON types, out-of-range
 * numbers, bad base64, bad timestamps and durations, a field given twice
 * (also as both "modelId" and "model_id"), two members of one oneof,
 * invalid UTF-8, strings holding U+0000 (protobuf-c strings cannot),
 * trailing characters and nesting deeper than max_depth all fail with
 * AIA_INVALID_ARGUMENT and a message such as
 *     line 1, column 17: field "trafficSplit": expected an object
 * that gives the position (line and byte column, 1-based) and the JSON path
 * of the offending value (`instances[2].age`). JSON null means "default" for
 * any field, except that it is the null value of a google.protobuf.Value
 * and of NullValue; null inside a repeated field or as a map value is an
 * error for other types. Proto2 required fields missing from the input are
 * an error. Nothing here aborts or crashes on any input.
 *
 * Limits: nesting depth (max_depth, default 64, at most 1000) in both
 * directions, which also bounds recursion. There is no size limit of its
 * own: decoding holds the parsed text in a temporary tree of roughly three
 * times the input, so callers bound the input (the server by its maximum
 * message size, the CLI by 64 MiB).
 *
 * Thread-safety: both directions are reentrant and keep no global state;
 * concurrent calls are safe as long as each has its own output buffer,
 * allocator and error.
 */
#ifndef AIA_PBJSON_PBJSON_H
#define AIA_PBJSON_PBJSON_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#include "lib/base/status.h"
#include "lib/base/strbuf.h"

/* Default nesting limit (JSON objects and arrays) for both directions. */
#define AIA_PBJSON_DEFAULT_MAX_DEPTH 64

typedef struct aia_pbjson_encode_options {
    int use_proto_names; /* "model_id" instead of "modelId" */
    int emit_defaults;   /* also write implicit-presence fields holding their
                          * default value, and empty repeated and map fields
                          * ([] and {}); unset message fields, oneofs and
                          * fields with explicit presence stay omitted */
    int pretty;          /* newlines and two-space indentation; compact
                          * otherwise (no whitespace at all) */
    int max_depth;       /* <= 0: AIA_PBJSON_DEFAULT_MAX_DEPTH */
} aia_pbjson_encode_options;

typedef struct aia_pbjson_decode_options {
    int ignore_unknown_fields; /* skip unknown keys, and unknown enum names
                                * (the field keeps its default; a repeated
                                * field or map drops that element) */
    int max_depth;             /* <= 0: AIA_PBJSON_DEFAULT_MAX_DEPTH */
} aia_pbjson_decode_options;

/* Appends the JSON form of `msg` to `out`. `opts` may be NULL (compact,
 * camelCase, defaults omitted). On failure `out` is truncated back to its
 * length on entry and `err` says why and where (the JSON path of the field):
 * AIA_INVALID_ARGUMENT for values JSON cannot carry (a Timestamp or Duration
 * out of range, a string that is not UTF-8, a Value holding NaN, a
 * FieldMask path without a camelCase form, nesting deeper than max_depth),
 * AIA_UNIMPLEMENTED for google.protobuf.Any, AIA_RESOURCE_EXHAUSTED when
 * `out` cannot grow. `msg` is only read. */
aia_status aia_pbjson_encode(const ProtobufCMessage *msg, const aia_pbjson_encode_options *opts,
                             aia_strbuf *out, aia_error *err);

/* Parses `len` bytes of JSON into a new message of type `desc`, allocated
 * with `allocator` (NULL: malloc, as protobuf-c's default allocator).
 * `opts` may be NULL (strict, default depth). On success *out is a message
 * the caller owns and frees with protobuf_c_message_free_unpacked(*out,
 * allocator) — every part of it, strings, arrays and sub-messages, comes
 * from `allocator`, laid out as protobuf_c_message_unpack would — or drops
 * with its arena. On failure *out is NULL, everything allocated has been
 * freed through `allocator`, and `err` holds the position, the JSON path
 * and the reason. `json` need not be NUL-terminated and may be freed when
 * this returns. Returns AIA_INVALID_ARGUMENT for bad input,
 * AIA_UNIMPLEMENTED for google.protobuf.Any, AIA_RESOURCE_EXHAUSTED when an
 * allocation fails. */
aia_status aia_pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
                             const aia_pbjson_decode_options *opts, ProtobufCAllocator *allocator,
                             ProtobufCMessage **out, aia_error *err);

/* Writes the JSON name protoc derives from a proto field name ("model_id"
 * -> "modelId": each underscore dropped and the next character upper-cased)
 * into buf, NUL-terminated and truncated to size. Returns the length of the
 * full name (like snprintf). */
size_t aia_pbjson_json_name(const char *proto_name, char *buf, size_t size);

/* The field of `desc` whose JSON name or proto name is `name` (`len`
 * bytes), or NULL. */
const ProtobufCFieldDescriptor *aia_pbjson_find_field(const ProtobufCMessageDescriptor *desc,
                                                      const char *name, size_t len);

/* Non-zero when `field` is a map field: a repeated field of a message type
 * that protoc generated as its map entry (nested in the field's message,
 * named after the field plus "Entry", with exactly the fields key = 1 and
 * value = 2). */
int aia_pbjson_is_map_field(const ProtobufCMessageDescriptor *parent, const ProtobufCFieldDescriptor *field);

#endif
