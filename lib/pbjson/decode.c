/* lib/pbjson/decode.c — proto3 JSON -> protobuf-c message.
 *
 * Two passes: aia_json_parse builds a tree in a private arena (so syntax,
 * UTF-8, duplicate keys and depth are checked before any message memory is
 * touched, and every array's length is known up front), then a walk over
 * the descriptor builds the message through the caller's allocator.
 *
 * The message under construction is kept in the exact shape
 * protobuf_c_message_free_unpacked expects at every step — arrays are
 * zeroed and their counts set before elements are filled in, a sub-message
 * is linked into its parent (and a oneof's case set) before it is decoded —
 * so any error can free the partial message with that one call.
 */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/arena.h"
#include "lib/pbjson/internal.h"
#include "lib/pbjson/json.h"
#include "lib/pbjson/pbjson.h"

typedef struct dec {
    const char *text;
    size_t len;
    ProtobufCAllocator *a;
    int ignore_unknown;
    aia_json_path path;
    aia_error *err;
} dec;

static aia_status decode_message(dec *d, const ProtobufCMessageDescriptor *md, const aia_json_value *v,
                                 ProtobufCMessage *m);
static aia_status decode_value(dec *d, const ProtobufCFieldDescriptor *f, const aia_json_value *v, void *slot,
                               int *skip);

/* ---- errors --------------------------------------------------------- */

static aia_status derr(dec *d, size_t offset, aia_status code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static aia_status derr(dec *d, size_t offset, aia_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aia_status st = aia_json_errorv(d->err, code, d->text, d->len, offset, &d->path, fmt, ap);
    va_end(ap);
    return st;
}

static aia_status oom(dec *d)
{
    return aia_error_set(d->err, AIA_RESOURCE_EXHAUSTED, "out of memory decoding JSON");
}

static const char *type_name(const aia_json_value *v)
{
    switch (v->type) {
    case AIA_JSON_NULL: return "null";
    case AIA_JSON_FALSE:
    case AIA_JSON_TRUE: return "a boolean";
    case AIA_JSON_NUMBER: return "a number";
    case AIA_JSON_STRING: return "a string";
    case AIA_JSON_ARRAY: return "an array";
    case AIA_JSON_OBJECT: return "an object";
    }
    return "a value";
}

/* At most 40 bytes of s for a message, non-printable bytes as '?'. */
static const char *snippet(const char *s, size_t n, char out[64])
{
    size_t k = 0;
    for (size_t i = 0; i < n && k < 40; i++) {
        unsigned char c = (unsigned char)s[i];
        out[k++] = (c < 0x20 || c == 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
    }
    if (n > 40) {
        memcpy(out + k, "...", 3);
        k += 3;
    }
    out[k] = '\0';
    return out;
}

static const char *proto_type_name(ProtobufCType t)
{
    static const char *const names[] = {"int32",  "sint32", "sfixed32", "int64", "sint64", "sfixed64",
                                        "uint32", "fixed32", "uint64",  "fixed64", "float", "double",
                                        "bool",   "enum",   "string",  "bytes", "message"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* ---- allocation ----------------------------------------------------- */

static void *dalloc(dec *d, size_t n)
{
    return d->a->alloc(d->a->allocator_data, n ? n : 1);
}

static aia_status new_message(dec *d, const ProtobufCMessageDescriptor *md, ProtobufCMessage **out)
{
    ProtobufCMessage *m = dalloc(d, md->sizeof_message);
    if (!m) return oom(d);
    protobuf_c_message_init(md, m);
    *out = m;
    return AIA_OK;
}

static aia_status copy_string(dec *d, const aia_json_value *v, char **out)
{
    if (strlen(v->u.str) != v->len)
        return derr(d, v->offset, AIA_INVALID_ARGUMENT,
                    "string contains U+0000, which protobuf-c strings cannot hold");
    char *s = dalloc(d, v->len + 1);
    if (!s) return oom(d);
    memcpy(s, v->u.str, v->len + 1);
    *out = s;
    return AIA_OK;
}

/* Marks an explicit-presence scalar as set (has_ flag). */
static void set_has(void *msg, const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_OPTIONAL || (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) return;
    if (f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE) return;
    *(protobuf_c_boolean *)pj_quantifier(msg, f) = 1;
}

/* ---- scalars -------------------------------------------------------- */

/* An integer of type t from text (a JSON number, or a string's contents). */
static aia_status decode_int_text(dec *d, const char *txt, size_t n, size_t offset, ProtobufCType t, void *slot,
                                  int from_string)
{
    char sn[64];
    int neg;
    uint64_t mag;
    int r = pj_parse_integer(txt, n, &neg, &mag);
    if (r == PJ_INT_SYNTAX)
        return derr(d, offset, AIA_INVALID_ARGUMENT, "expected an integer, found %s\"%s\"",
                    from_string ? "the string " : "", snippet(txt, n, sn));
    if (r == PJ_INT_FRACTION)
        return derr(d, offset, AIA_INVALID_ARGUMENT, "not an integer: %s", snippet(txt, n, sn));
    int ok = r == 0;
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_ENUM:
        ok = ok && (neg ? mag <= 2147483648u : mag <= 2147483647u);
        if (ok) *(int32_t *)slot = neg ? (int32_t)(-(int64_t)mag) : (int32_t)mag;
        break;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        ok = ok && (!neg || mag == 0) && mag <= UINT32_MAX;
        if (ok) *(uint32_t *)slot = (uint32_t)mag;
        break;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        ok = ok && (neg ? mag <= (uint64_t)INT64_MAX + 1 : mag <= (uint64_t)INT64_MAX);
        if (ok) *(int64_t *)slot = neg ? (mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
        break;
    default: /* uint64, fixed64 */
        ok = ok && (!neg || mag == 0);
        if (ok) *(uint64_t *)slot = mag;
        break;
    }
    if (!ok)
        return derr(d, offset, AIA_INVALID_ARGUMENT, "value %s out of range for %s", snippet(txt, n, sn),
                    t == PROTOBUF_C_TYPE_ENUM ? "an enum (int32)" : proto_type_name(t));
    return AIA_OK;
}

static aia_status decode_int(dec *d, const aia_json_value *v, ProtobufCType t, void *slot)
{
    if (v->type != AIA_JSON_NUMBER && v->type != AIA_JSON_STRING)
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected an integer, found %s", type_name(v));
    return decode_int_text(d, v->u.str, v->len, v->offset, t, slot, v->type == AIA_JSON_STRING);
}

static aia_status decode_float(dec *d, const aia_json_value *v, int is_float, void *slot)
{
    double x;
    char sn[64];
    if (v->type == AIA_JSON_NUMBER) {
        x = strtod(v->u.str, NULL);
    } else if (v->type == AIA_JSON_STRING) {
        if (strcmp(v->u.str, "NaN") == 0 && v->len == 3) x = NAN;
        else if (strcmp(v->u.str, "Infinity") == 0 && v->len == 8) x = INFINITY;
        else if (strcmp(v->u.str, "-Infinity") == 0 && v->len == 9) x = -INFINITY;
        else if (pj_is_json_number(v->u.str, v->len)) x = strtod(v->u.str, NULL);
        else
            return derr(d, v->offset, AIA_INVALID_ARGUMENT,
                        "expected a number, found the string \"%s\" (strings may only hold a number, \"NaN\", "
                        "\"Infinity\" or \"-Infinity\")",
                        snippet(v->u.str, v->len, sn));
        if (isnan(x) || isinf(x)) goto store;
    } else {
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected a number, found %s", type_name(v));
    }
    if (isinf(x) || (is_float && fabs(x) > FLT_MAX))
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "value %s out of range for %s",
                    snippet(v->u.str, v->len, sn), is_float ? "float" : "double");
store:
    if (is_float) *(float *)slot = (float)x;
    else *(double *)slot = x;
    return AIA_OK;
}

static aia_status decode_enum(dec *d, const ProtobufCFieldDescriptor *f, const aia_json_value *v, void *slot,
                              int *skip)
{
    const ProtobufCEnumDescriptor *ed = f->descriptor;
    char sn[64];
    if (v->type == AIA_JSON_NULL && pj_is_null_value_enum(ed)) {
        *(int *)slot = 0;
        return AIA_OK;
    }
    if (v->type == AIA_JSON_NUMBER) return decode_int(d, v, PROTOBUF_C_TYPE_ENUM, slot);
    if (v->type != AIA_JSON_STRING)
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected an enum value name or number, found %s",
                    type_name(v));
    if (strlen(v->u.str) == v->len) {
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name(ed, v->u.str);
        if (ev) {
            *(int *)slot = ev->value;
            return AIA_OK;
        }
    }
    if (pj_is_json_number(v->u.str, v->len)) return decode_int(d, v, PROTOBUF_C_TYPE_ENUM, slot);
    if (d->ignore_unknown) {
        *skip = 1;
        return AIA_OK;
    }
    return derr(d, v->offset, AIA_INVALID_ARGUMENT, "unknown value \"%s\" for enum %s",
                snippet(v->u.str, v->len, sn), ed->name);
}

static aia_status decode_bytes(dec *d, const aia_json_value *v, ProtobufCBinaryData *out)
{
    if (v->type != AIA_JSON_STRING)
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected a base64 string, found %s", type_name(v));
    if (v->len == 0) {
        out->data = NULL;
        out->len = 0;
        return AIA_OK;
    }
    uint8_t *buf = dalloc(d, v->len / 4 * 3 + 3);
    if (!buf) return oom(d);
    size_t n;
    if (pj_base64_decode(v->u.str, v->len, buf, &n) != 0) {
        d->a->free(d->a->allocator_data, buf);
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "invalid base64");
    }
    out->data = buf;
    out->len = n;
    return AIA_OK;
}

/* One value of f's type into slot (a singular member, an array element or a
 * map entry's value). *skip is set when an unknown enum name is ignored. */
static aia_status decode_value(dec *d, const ProtobufCFieldDescriptor *f, const aia_json_value *v, void *slot,
                               int *skip)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        return decode_int(d, v, f->type, slot);
    case PROTOBUF_C_TYPE_FLOAT:
        return decode_float(d, v, 1, slot);
    case PROTOBUF_C_TYPE_DOUBLE:
        return decode_float(d, v, 0, slot);
    case PROTOBUF_C_TYPE_BOOL:
        if (v->type != AIA_JSON_TRUE && v->type != AIA_JSON_FALSE)
            return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected true or false, found %s", type_name(v));
        *(protobuf_c_boolean *)slot = v->type == AIA_JSON_TRUE;
        return AIA_OK;
    case PROTOBUF_C_TYPE_ENUM:
        return decode_enum(d, f, v, slot, skip);
    case PROTOBUF_C_TYPE_STRING:
        if (v->type != AIA_JSON_STRING)
            return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected a string, found %s", type_name(v));
        return copy_string(d, v, (char **)slot);
    case PROTOBUF_C_TYPE_BYTES:
        return decode_bytes(d, v, slot);
    case PROTOBUF_C_TYPE_MESSAGE: {
        ProtobufCMessage *sub;
        aia_status st = new_message(d, f->descriptor, &sub);
        if (st != AIA_OK) return st;
        *(ProtobufCMessage **)slot = sub; /* linked first, so an error frees it */
        return decode_message(d, f->descriptor, v, sub);
    }
    }
    return derr(d, v->offset, AIA_INTERNAL, "field type %d is not supported", (int)f->type);
}

/* null is allowed as an element or map value only where it means something:
 * google.protobuf.Value and NullValue. */
static int null_allowed(const ProtobufCFieldDescriptor *f)
{
    return (f->type == PROTOBUF_C_TYPE_MESSAGE && pj_is_value_message(f->descriptor)) ||
           (f->type == PROTOBUF_C_TYPE_ENUM && pj_is_null_value_enum(f->descriptor));
}

/* ---- repeated and map fields ---------------------------------------- */

static aia_status decode_repeated(dec *d, const ProtobufCFieldDescriptor *f, const aia_json_value *v, void *m)
{
    if (v->type != AIA_JSON_ARRAY)
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected an array, found %s", type_name(v));
    size_t n = v->len, sz = pj_elt_size(f->type);
    if (n == 0) return AIA_OK;
    if (n > SIZE_MAX / sz) return oom(d);
    char *arr = dalloc(d, n * sz);
    if (!arr) return oom(d);
    memset(arr, 0, n * sz);
    *(void **)pj_member(m, f) = arr;
    size_t *count = pj_quantifier(m, f);
    *count = n;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        const aia_json_value *item = &v->u.items[i];
        aia_json_path_push_index(&d->path, i);
        if (item->type == AIA_JSON_NULL && !null_allowed(f))
            return derr(d, item->offset, AIA_INVALID_ARGUMENT, "null is not allowed in a repeated field");
        int skip = 0;
        aia_status st = decode_value(d, f, item, arr + w * sz, &skip);
        if (st != AIA_OK) return st;
        if (!skip) w++;
        aia_json_path_pop(&d->path);
    }
    *count = w;
    return AIA_OK;
}

static aia_status decode_map_key(dec *d, const ProtobufCFieldDescriptor *kf, const aia_json_member *mem,
                                 void *entry)
{
    void *slot = pj_member(entry, kf);
    char sn[64];
    switch (kf->type) {
    case PROTOBUF_C_TYPE_STRING: {
        aia_json_value kv = {.type = AIA_JSON_STRING, .offset = mem->key_offset, .len = mem->key_len};
        kv.u.str = mem->key;
        return copy_string(d, &kv, (char **)slot);
    }
    case PROTOBUF_C_TYPE_BOOL:
        if (mem->key_len == 4 && memcmp(mem->key, "true", 4) == 0) *(protobuf_c_boolean *)slot = 1;
        else if (mem->key_len == 5 && memcmp(mem->key, "false", 5) == 0) *(protobuf_c_boolean *)slot = 0;
        else
            return derr(d, mem->key_offset, AIA_INVALID_ARGUMENT,
                        "invalid map key \"%s\": expected \"true\" or \"false\"",
                        snippet(mem->key, mem->key_len, sn));
        break;
    default: {
        /* Integer keys: plain decimal integers, no fraction or exponent. */
        int plain = pj_is_json_number(mem->key, mem->key_len);
        for (size_t i = 0; i < mem->key_len; i++)
            if (mem->key[i] == '.' || mem->key[i] == 'e' || mem->key[i] == 'E') plain = 0;
        if (!plain)
            return derr(d, mem->key_offset, AIA_INVALID_ARGUMENT, "invalid map key \"%s\": expected an integer (%s)",
                        snippet(mem->key, mem->key_len, sn), proto_type_name(kf->type));
        aia_status st = decode_int_text(d, mem->key, mem->key_len, mem->key_offset, kf->type, slot, 1);
        if (st != AIA_OK) return st;
        break;
    }
    }
    set_has(entry, kf);
    return AIA_OK;
}

static aia_status decode_map(dec *d, const ProtobufCFieldDescriptor *f, const aia_json_value *v, void *m)
{
    if (v->type != AIA_JSON_OBJECT)
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected an object, found %s", type_name(v));
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
    size_t n = v->len;
    if (n == 0) return AIA_OK;
    if (n > SIZE_MAX / sizeof(ProtobufCMessage *)) return oom(d);
    ProtobufCMessage **arr = dalloc(d, n * sizeof *arr);
    if (!arr) return oom(d);
    memset(arr, 0, n * sizeof *arr);
    *(ProtobufCMessage ***)pj_member(m, f) = arr;
    size_t *count = pj_quantifier(m, f);
    *count = n;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        const aia_json_member *mem = &v->u.members[i];
        aia_json_path_push_key(&d->path, mem->key, mem->key_len);
        aia_status st = new_message(d, ed, &arr[w]);
        if (st != AIA_OK) return st;
        ProtobufCMessage *entry = arr[w];
        st = decode_map_key(d, kf, mem, entry);
        if (st != AIA_OK) return st;
        const aia_json_value *vv = &mem->value;
        if (vv->type == AIA_JSON_NULL && !null_allowed(vf))
            return derr(d, vv->offset, AIA_INVALID_ARGUMENT, "null is not allowed as a map value");
        int skip = 0;
        st = decode_value(d, vf, vv, pj_member(entry, vf), &skip);
        if (st != AIA_OK) return st;
        if (skip) {
            protobuf_c_message_free_unpacked(entry, d->a);
            arr[w] = NULL;
        } else {
            set_has(entry, vf);
            w++;
        }
        aia_json_path_pop(&d->path);
    }
    *count = w;
    return AIA_OK;
}

/* ---- fields of a message -------------------------------------------- */

static aia_status decode_field(dec *d, const ProtobufCMessageDescriptor *md, ProtobufCMessage *m,
                               const ProtobufCFieldDescriptor *f, const aia_json_value *v)
{
    int repeated = f->label == PROTOBUF_C_LABEL_REPEATED;
    if (v->type == AIA_JSON_NULL && (repeated || !null_allowed(f))) return AIA_OK; /* null: the default */
    if (repeated) {
        if (aia_pbjson_is_map_field(md, f)) return decode_map(d, f, v, m);
        return decode_repeated(d, f, v, m);
    }
    void *slot = pj_member(m, f);
    uint32_t *oneof_case = NULL;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        oneof_case = pj_quantifier(m, f);
        if (*oneof_case != 0 && *oneof_case != f->id) {
            const ProtobufCFieldDescriptor *other = protobuf_c_message_descriptor_get_field(md, *oneof_case);
            char name[128];
            aia_pbjson_json_name(other ? other->name : "?", name, sizeof name);
            return derr(d, v->offset, AIA_INVALID_ARGUMENT,
                        "conflicts with field \"%s\": both belong to the same oneof", name);
        }
        /* Clear the union and select this member before decoding, so that
         * free_unpacked sees a consistent message if decoding fails. */
        memset(slot, 0, pj_elt_size(f->type));
        *oneof_case = f->id;
    }
    int skip = 0;
    aia_status st = decode_value(d, f, v, slot, &skip);
    if (st != AIA_OK) return st;
    if (skip) {
        if (oneof_case) *oneof_case = 0;
        return AIA_OK;
    }
    set_has(m, f);
    return AIA_OK;
}

static aia_status decode_fields(dec *d, const ProtobufCMessageDescriptor *md, const aia_json_value *v,
                                ProtobufCMessage *m)
{
    if (v->type != AIA_JSON_OBJECT)
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected an object, found %s", type_name(v));
    unsigned char small[64];
    unsigned char *seen = md->n_fields <= sizeof small ? small : calloc(md->n_fields, 1);
    if (!seen) return oom(d);
    memset(seen, 0, md->n_fields <= sizeof small ? sizeof small : 0);
    aia_status st = AIA_OK;
    for (size_t i = 0; i < v->len && st == AIA_OK; i++) {
        const aia_json_member *mem = &v->u.members[i];
        aia_json_path_push_key(&d->path, mem->key, mem->key_len);
        const ProtobufCFieldDescriptor *f = aia_pbjson_find_field(md, mem->key, mem->key_len);
        if (!f) {
            if (d->ignore_unknown) {
                aia_json_path_pop(&d->path);
                continue;
            }
            st = derr(d, mem->key_offset, AIA_INVALID_ARGUMENT, "unknown field (%s has no field of that name)",
                      md->name);
            break;
        }
        size_t idx = (size_t)(f - md->fields);
        if (seen[idx]) {
            char name[128];
            int as_proto = strlen(f->name) == mem->key_len && memcmp(f->name, mem->key, mem->key_len) == 0;
            aia_pbjson_json_name(f->name, name, sizeof name);
            st = derr(d, mem->key_offset, AIA_INVALID_ARGUMENT, "field given twice (as \"%s\" and \"%s\")",
                      as_proto ? name : f->name, as_proto ? f->name : name);
            break;
        }
        seen[idx] = 1;
        st = decode_field(d, md, m, f, &mem->value);
        if (st == AIA_OK) aia_json_path_pop(&d->path);
    }
    for (unsigned i = 0; st == AIA_OK && i < md->n_fields; i++) {
        if (md->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !seen[i]) {
            char name[128];
            aia_pbjson_json_name(md->fields[i].name, name, sizeof name);
            st = derr(d, v->offset, AIA_INVALID_ARGUMENT, "missing required field \"%s\" of %s", name, md->name);
        }
    }
    if (seen != small) free(seen);
    return st;
}

/* ---- well-known types ----------------------------------------------- */

static aia_status layout_error(dec *d, const aia_json_value *v, const ProtobufCMessageDescriptor *md)
{
    return derr(d, v->offset, AIA_INTERNAL, "unexpected descriptor layout for %s", md->name);
}

static aia_status decode_value_wkt(dec *d, const ProtobufCMessageDescriptor *md, const aia_json_value *v,
                                   ProtobufCMessage *m)
{
    unsigned which;
    switch (v->type) {
    case AIA_JSON_NULL: which = 1; break;
    case AIA_JSON_NUMBER: which = 2; break;
    case AIA_JSON_STRING: which = 3; break;
    case AIA_JSON_TRUE:
    case AIA_JSON_FALSE: which = 4; break;
    case AIA_JSON_OBJECT: which = 5; break;
    default: which = 6; break;
    }
    static const ProtobufCType types[] = {0, PROTOBUF_C_TYPE_ENUM, PROTOBUF_C_TYPE_DOUBLE, PROTOBUF_C_TYPE_STRING,
                                          PROTOBUF_C_TYPE_BOOL, PROTOBUF_C_TYPE_MESSAGE, PROTOBUF_C_TYPE_MESSAGE};
    const ProtobufCFieldDescriptor *f = pj_wkt_field(md, which, types[which], 0);
    if (!f || !(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) return layout_error(d, v, md);
    void *slot = pj_member(m, f);
    uint32_t *oneof_case = pj_quantifier(m, f);
    memset(slot, 0, pj_elt_size(f->type));
    *oneof_case = f->id;
    int skip = 0;
    return decode_value(d, f, v, slot, &skip);
}

static aia_status decode_field_mask(dec *d, const ProtobufCMessageDescriptor *md, const aia_json_value *v,
                                    ProtobufCMessage *m)
{
    const ProtobufCFieldDescriptor *f = pj_wkt_field(md, 1, PROTOBUF_C_TYPE_STRING, 1);
    if (!f) return layout_error(d, v, md);
    if (v->type != AIA_JSON_STRING)
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected a string (a field mask such as \"a.b,c\"), found %s",
                    type_name(v));
    const char *s = v->u.str;
    char sn[64];
    if (v->len == 0) return AIA_OK;
    if (strlen(s) != v->len)
        return derr(d, v->offset, AIA_INVALID_ARGUMENT, "string contains U+0000, which protobuf-c strings cannot hold");
    size_t n = 1;
    for (size_t i = 0; i < v->len; i++) n += s[i] == ',';
    char **paths = dalloc(d, n * sizeof *paths);
    if (!paths) return oom(d);
    memset(paths, 0, n * sizeof *paths);
    *(char ***)pj_member(m, f) = paths;
    *(size_t *)pj_quantifier(m, f) = n;
    const char *p = s;
    for (size_t k = 0; k < n; k++) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 0)
            return derr(d, v->offset, AIA_INVALID_ARGUMENT, "invalid field mask \"%s\": empty path",
                        snippet(s, v->len, sn));
        size_t upper = 0;
        for (size_t i = 0; i < len; i++) {
            if (p[i] == '_')
                return derr(d, v->offset, AIA_INVALID_ARGUMENT,
                            "invalid field mask path \"%s\": JSON paths are lowerCamelCase, without '_'",
                            snippet(p, len, sn));
            upper += p[i] >= 'A' && p[i] <= 'Z';
        }
        char *out = dalloc(d, len + upper + 1);
        if (!out) return oom(d);
        size_t o = 0;
        for (size_t i = 0; i < len; i++) {
            if (p[i] >= 'A' && p[i] <= 'Z') {
                out[o++] = '_';
                out[o++] = (char)(p[i] - 'A' + 'a');
            } else {
                out[o++] = p[i];
            }
        }
        out[o] = '\0';
        paths[k] = out;
        p += len + 1;
    }
    return AIA_OK;
}

static aia_status decode_wkt(dec *d, const ProtobufCMessageDescriptor *md, pj_wkt kind, const aia_json_value *v,
                             ProtobufCMessage *m)
{
    char sn[64];
    switch (kind) {
    case PJ_WKT_ANY:
        return derr(d, v->offset, AIA_UNIMPLEMENTED, "google.protobuf.Any is not supported in JSON");
    case PJ_WKT_TIMESTAMP:
    case PJ_WKT_DURATION: {
        const ProtobufCFieldDescriptor *fs = pj_wkt_field(md, 1, PROTOBUF_C_TYPE_INT64, 0);
        const ProtobufCFieldDescriptor *fn = pj_wkt_field(md, 2, PROTOBUF_C_TYPE_INT32, 0);
        if (!fs || !fn) return layout_error(d, v, md);
        int ts = kind == PJ_WKT_TIMESTAMP;
        if (v->type != AIA_JSON_STRING)
            return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected a string (%s), found %s",
                        ts ? "an RFC 3339 timestamp" : "a duration such as \"1.5s\"", type_name(v));
        int64_t s;
        int32_t n;
        int r = ts ? pj_parse_timestamp(v->u.str, v->len, &s, &n) : pj_parse_duration(v->u.str, v->len, &s, &n);
        if (r == -1 && ts)
            return derr(d, v->offset, AIA_INVALID_ARGUMENT,
                        "invalid timestamp \"%s\" (expected RFC 3339 such as \"2024-01-31T12:00:00Z\")",
                        snippet(v->u.str, v->len, sn));
        if (r == -1)
            return derr(d, v->offset, AIA_INVALID_ARGUMENT,
                        "invalid duration \"%s\" (expected seconds with up to 9 fractional digits and an \"s\" "
                        "suffix, such as \"1.5s\")",
                        snippet(v->u.str, v->len, sn));
        if (r != 0)
            return derr(d, v->offset, AIA_INVALID_ARGUMENT, "%s \"%s\" out of range (%s)", ts ? "timestamp" : "duration",
                        snippet(v->u.str, v->len, sn),
                        ts ? "years 0001 to 9999" : "at most 315576000000 seconds either way");
        *(int64_t *)pj_member(m, fs) = s;
        *(int32_t *)pj_member(m, fn) = n;
        return AIA_OK;
    }
    case PJ_WKT_STRUCT: {
        const ProtobufCFieldDescriptor *f = pj_wkt_field(md, 1, PROTOBUF_C_TYPE_MESSAGE, 1);
        if (!f || !aia_pbjson_is_map_field(md, f)) return layout_error(d, v, md);
        return decode_map(d, f, v, m);
    }
    case PJ_WKT_LIST_VALUE: {
        const ProtobufCFieldDescriptor *f = pj_wkt_field(md, 1, PROTOBUF_C_TYPE_MESSAGE, 1);
        if (!f) return layout_error(d, v, md);
        return decode_repeated(d, f, v, m);
    }
    case PJ_WKT_VALUE:
        return decode_value_wkt(d, md, v, m);
    case PJ_WKT_WRAPPER: {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(md, 1);
        if (!f || f->label == PROTOBUF_C_LABEL_REPEATED || f->type == PROTOBUF_C_TYPE_MESSAGE)
            return layout_error(d, v, md);
        int skip = 0;
        return decode_value(d, f, v, pj_member(m, f), &skip);
    }
    case PJ_WKT_EMPTY:
        if (v->type != AIA_JSON_OBJECT)
            return derr(d, v->offset, AIA_INVALID_ARGUMENT, "expected an object, found %s", type_name(v));
        if (v->len > 0 && !d->ignore_unknown) {
            const aia_json_member *mem = &v->u.members[0];
            aia_json_path_push_key(&d->path, mem->key, mem->key_len);
            return derr(d, mem->key_offset, AIA_INVALID_ARGUMENT, "unknown field (%s has no fields)", md->name);
        }
        return AIA_OK;
    case PJ_WKT_FIELD_MASK:
        return decode_field_mask(d, md, v, m);
    case PJ_WKT_NONE:
        break;
    }
    return decode_fields(d, md, v, m);
}

static aia_status decode_message(dec *d, const ProtobufCMessageDescriptor *md, const aia_json_value *v,
                                 ProtobufCMessage *m)
{
    pj_wkt kind = pj_wkt_of(md);
    if (kind != PJ_WKT_NONE) return decode_wkt(d, md, kind, v, m);
    return decode_fields(d, md, v, m);
}

/* ---- entry point ---------------------------------------------------- */

static void *default_alloc(void *data, size_t n)
{
    (void)data;
    return malloc(n);
}

static void default_free(void *data, void *p)
{
    (void)data;
    free(p);
}

aia_status aia_pbjson_decode(const ProtobufCMessageDescriptor *desc, const char *json, size_t len,
                             const aia_pbjson_decode_options *opts, ProtobufCAllocator *allocator,
                             ProtobufCMessage **out, aia_error *err)
{
    if (out) *out = NULL;
    if (!desc || desc->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC || !out)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "aia_pbjson_decode: no message descriptor or output");
    ProtobufCAllocator def = {default_alloc, default_free, NULL};
    dec d;
    memset(&d, 0, sizeof d);
    d.text = json ? json : "";
    d.len = json ? len : 0;
    d.a = allocator ? allocator : &def;
    d.err = err;
    int max_depth = AIA_PBJSON_DEFAULT_MAX_DEPTH;
    if (opts) {
        d.ignore_unknown = opts->ignore_unknown_fields;
        if (opts->max_depth > 0) max_depth = opts->max_depth;
    }
    if (max_depth > AIA_JSON_MAX_DEPTH_LIMIT) max_depth = AIA_JSON_MAX_DEPTH_LIMIT;

    aia_arena arena;
    aia_arena_init(&arena, 0);
    aia_json_value *root;
    aia_status st = aia_json_parse(d.text, d.len, max_depth, &arena, &root, err);
    if (st == AIA_OK) {
        d.path.cap = (size_t)max_depth + 2;
        d.path.segs = aia_arena_alloc(&arena, d.path.cap * sizeof *d.path.segs);
        if (!d.path.segs) st = oom(&d);
    }
    ProtobufCMessage *m = NULL;
    if (st == AIA_OK) st = new_message(&d, desc, &m);
    if (st == AIA_OK) {
        st = decode_message(&d, desc, root, m);
        if (st != AIA_OK) {
            protobuf_c_message_free_unpacked(m, d.a);
            m = NULL;
        }
    }
    aia_arena_destroy(&arena);
    *out = m;
    return st;
}
