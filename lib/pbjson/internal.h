/* lib/pbjson/internal.h — helpers shared by encode.c and decode.c. Not a
 * public API. */
#ifndef AIA_PBJSON_INTERNAL_H
#define AIA_PBJSON_INTERNAL_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/base/strbuf.h"

/* Well-known types with a special JSON form. */
typedef enum pj_wkt {
    PJ_WKT_NONE = 0,
    PJ_WKT_ANY,
    PJ_WKT_TIMESTAMP,
    PJ_WKT_DURATION,
    PJ_WKT_STRUCT,
    PJ_WKT_VALUE,
    PJ_WKT_LIST_VALUE,
    PJ_WKT_EMPTY,
    PJ_WKT_FIELD_MASK,
    PJ_WKT_WRAPPER, /* DoubleValue ... BytesValue: a single field "value" = 1 */
} pj_wkt;

pj_wkt pj_wkt_of(const ProtobufCMessageDescriptor *d);
int pj_is_null_value_enum(const void *enum_descriptor);
int pj_is_value_message(const void *message_descriptor);

/* Field `id` of `d` when it has the expected type and repeatedness, else
 * NULL (a descriptor that does not look like the well-known type). */
const ProtobufCFieldDescriptor *pj_wkt_field(const ProtobufCMessageDescriptor *d, unsigned id,
                                             ProtobufCType type, int repeated);

/* In-memory size of one element of a repeated field of type t. */
size_t pj_elt_size(ProtobufCType t);

/* Addresses of a field's member and of its quantifier (has_, n_ or case). */
static inline void *pj_member(const void *msg, const ProtobufCFieldDescriptor *f)
{
    return (char *)msg + f->offset;
}
static inline void *pj_quantifier(const void *msg, const ProtobufCFieldDescriptor *f)
{
    return (char *)msg + f->quantifier_offset;
}

/* Appends the JSON name of a proto field name (see aia_pbjson_json_name). */
void pj_put_json_name(aia_strbuf *sb, const char *proto_name);
/* Non-zero when `key` (len bytes) is the JSON name of proto_name. */
int pj_json_name_eq(const char *proto_name, const char *key, size_t len);

/* Seconds range of Timestamp (0001-01-01T00:00:00Z .. 9999-12-31T23:59:59Z)
 * and of Duration (about +-10,000 years). */
#define PJ_TIMESTAMP_MIN_SECONDS (-62135596800LL)
#define PJ_TIMESTAMP_MAX_SECONDS 253402300799LL
#define PJ_DURATION_MAX_SECONDS 315576000000LL

/* Formats into buf (>= 40 bytes); returns -1 when out of range. */
int pj_format_timestamp(int64_t seconds, int32_t nanos, char *buf, size_t size);
int pj_format_duration(int64_t seconds, int32_t nanos, char *buf, size_t size);
/* Parses; returns 0, -1 for bad syntax or -2 for out of range. */
int pj_parse_timestamp(const char *s, size_t n, int64_t *seconds, int32_t *nanos);
int pj_parse_duration(const char *s, size_t n, int64_t *seconds, int32_t *nanos);

/* Shortest text that reads back to v (a float when is_float), for finite v:
 * "1.5", "100", "1e+21", "1e-7". buf >= 40 bytes. */
void pj_format_double(double v, int is_float, char *buf, size_t size);

/* Parses an integer written in JSON number syntax (exponents allowed when
 * the value is integral). Returns 0, or PJ_INT_SYNTAX, PJ_INT_FRACTION,
 * PJ_INT_RANGE (magnitude above 2^64 - 1). */
enum { PJ_INT_SYNTAX = -1, PJ_INT_FRACTION = -2, PJ_INT_RANGE = -3 };
int pj_parse_integer(const char *s, size_t n, int *negative, uint64_t *magnitude);
/* Non-zero when s is a complete JSON number. */
int pj_is_json_number(const char *s, size_t n);

/* Standard base64 with padding, appended without quotes. */
void pj_base64_encode(aia_strbuf *sb, const uint8_t *data, size_t n);
/* Decodes standard or URL-safe base64, padding optional. `out` holds at
 * least n / 4 * 3 + 3 bytes. Returns 0 or -1 when malformed. */
int pj_base64_decode(const char *s, size_t n, uint8_t *out, size_t *out_len);

#endif
