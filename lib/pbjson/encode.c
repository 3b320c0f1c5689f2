/* lib/pbjson/encode.c — protobuf-c message -> proto3 JSON.
 *
 * A recursive walk over the descriptor, writing straight into the caller's
 * strbuf. Presence follows protobuf-c's own packer, so that the JSON shows
 * exactly what the wire would carry: implicit-presence fields are written
 * when non-zero, explicit-presence fields when their has_ flag is set (or
 * their pointer is set, for strings and messages), oneof members when the
 * case selects them. On error the buffer is cut back to its length on
 * entry, so callers never see half a document.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pbjson/internal.h"
#include "lib/pbjson/json.h"
#include "lib/pbjson/pbjson.h"

typedef struct enc {
    aia_strbuf *sb;
    int pretty, proto_names, emit_defaults, max_depth;
    int depth; /* JSON nesting of the value being written */
    aia_json_path path;
    aia_error *err;
} enc;

#define NAME_MAX_LEN 128 /* field names kept for error paths */

static aia_status enc_message(enc *e, const ProtobufCMessage *m);
static aia_status enc_value(enc *e, const ProtobufCFieldDescriptor *f, const void *slot);

static aia_status eerr(enc *e, aia_status code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static aia_status eerr(enc *e, aia_status code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aia_status st = aia_json_errorv(e->err, code, NULL, 0, 0, &e->path, fmt, ap);
    va_end(ap);
    return st;
}

static void newline(enc *e)
{
    if (!e->pretty) return;
    aia_strbuf_putc(e->sb, '\n');
    for (int i = 0; i < e->depth; i++) aia_strbuf_append(e->sb, "  ", 2);
}

/* Opens an object or array: checks the depth and writes the bracket. */
static aia_status open_container(enc *e, char c)
{
    if (e->depth + 1 > e->max_depth) return eerr(e, AIA_INVALID_ARGUMENT, "nesting deeper than %d levels", e->max_depth);
    e->depth++;
    aia_strbuf_putc(e->sb, c);
    return AIA_OK;
}

static void close_container(enc *e, char c, int had_members)
{
    e->depth--;
    if (had_members) newline(e);
    aia_strbuf_putc(e->sb, c);
}

/* Writes the separator and indentation before a member or element. */
static void begin_item(enc *e, int *first)
{
    if (!*first) aia_strbuf_putc(e->sb, ',');
    *first = 0;
    newline(e);
}

static void colon(enc *e)
{
    aia_strbuf_putc(e->sb, ':');
    if (e->pretty) aia_strbuf_putc(e->sb, ' ');
}

static aia_status put_string(enc *e, const char *s, size_t n)
{
    if (aia_json_utf8_check(s, n) != n) return eerr(e, AIA_INVALID_ARGUMENT, "string is not valid UTF-8");
    aia_strbuf_json_string(e->sb, s, n);
    return AIA_OK;
}

static void put_double(enc *e, double v, int is_float)
{
    if (isnan(v)) {
        aia_strbuf_puts(e->sb, "\"NaN\"");
    } else if (isinf(v)) {
        aia_strbuf_puts(e->sb, v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
        char buf[64];
        pj_format_double(v, is_float, buf, sizeof buf);
        aia_strbuf_puts(e->sb, buf);
    }
}

/* Encodes a message that may be NULL (a hole in a repeated field or a map
 * value): protobuf-c packs NULL as an empty message, so write the default
 * instance. */
static aia_status enc_message_or_default(enc *e, const ProtobufCMessageDescriptor *d, const ProtobufCMessage *m)
{
    if (m) return enc_message(e, m);
    ProtobufCMessage *tmp = calloc(1, d->sizeof_message);
    if (!tmp) return eerr(e, AIA_RESOURCE_EXHAUSTED, "out of memory");
    protobuf_c_message_init(d, tmp);
    aia_status st = enc_message(e, tmp);
    free(tmp);
    return st;
}

/* One value of field f's type stored at slot (not a repeated array). */
static aia_status enc_value(enc *e, const ProtobufCFieldDescriptor *f, const void *slot)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
        aia_strbuf_printf(e->sb, "%" PRId32, *(const int32_t *)slot);
        return AIA_OK;
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
        aia_strbuf_printf(e->sb, "%" PRIu32, *(const uint32_t *)slot);
        return AIA_OK;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
        aia_strbuf_printf(e->sb, "\"%" PRId64 "\"", *(const int64_t *)slot);
        return AIA_OK;
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
        aia_strbuf_printf(e->sb, "\"%" PRIu64 "\"", *(const uint64_t *)slot);
        return AIA_OK;
    case PROTOBUF_C_TYPE_FLOAT:
        put_double(e, *(const float *)slot, 1);
        return AIA_OK;
    case PROTOBUF_C_TYPE_DOUBLE:
        put_double(e, *(const double *)slot, 0);
        return AIA_OK;
    case PROTOBUF_C_TYPE_BOOL:
        aia_strbuf_puts(e->sb, *(const protobuf_c_boolean *)slot ? "true" : "false");
        return AIA_OK;
    case PROTOBUF_C_TYPE_ENUM: {
        int v = *(const int *)slot;
        if (pj_is_null_value_enum(f->descriptor)) {
            aia_strbuf_puts(e->sb, "null");
            return AIA_OK;
        }
        const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(f->descriptor, v);
        if (ev) aia_strbuf_json_string(e->sb, ev->name, strlen(ev->name));
        else aia_strbuf_printf(e->sb, "%d", v);
        return AIA_OK;
    }
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)slot;
        if (!s) s = "";
        return put_string(e, s, strlen(s));
    }
    case PROTOBUF_C_TYPE_BYTES: {
        const ProtobufCBinaryData *b = slot;
        aia_strbuf_putc(e->sb, '"');
        if (b->data) pj_base64_encode(e->sb, b->data, b->len);
        aia_strbuf_putc(e->sb, '"');
        return AIA_OK;
    }
    case PROTOBUF_C_TYPE_MESSAGE:
        return enc_message_or_default(e, f->descriptor, *(const ProtobufCMessage *const *)slot);
    }
    return eerr(e, AIA_INTERNAL, "field type %d is not supported", (int)f->type);
}

/* ---- maps ----------------------------------------------------------- */

typedef struct map_sort_ctx {
    ProtobufCMessage *const *entries;
    const ProtobufCFieldDescriptor *key;
} map_sort_ctx;

static int key_cmp(const map_sort_ctx *c, size_t a, size_t b)
{
    const ProtobufCMessage *ea = c->entries[a], *eb = c->entries[b];
    if (!ea || !eb) return (ea != NULL) - (eb != NULL);
    const void *ka = pj_member(ea, c->key), *kb = pj_member(eb, c->key);
    switch (c->key->type) {
    case PROTOBUF_C_TYPE_STRING: {
        const char *sa = *(const char *const *)ka, *sb = *(const char *const *)kb;
        return strcmp(sa ? sa : "", sb ? sb : "");
    }
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64: {
        int64_t x = *(const int64_t *)ka, y = *(const int64_t *)kb;
        return (x > y) - (x < y);
    }
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64: {
        uint64_t x = *(const uint64_t *)ka, y = *(const uint64_t *)kb;
        return (x > y) - (x < y);
    }
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32: {
        uint32_t x = *(const uint32_t *)ka, y = *(const uint32_t *)kb;
        return (x > y) - (x < y);
    }
    case PROTOBUF_C_TYPE_BOOL: {
        int x = *(const protobuf_c_boolean *)ka != 0, y = *(const protobuf_c_boolean *)kb != 0;
        return x - y;
    }
    default: {
        int32_t x = *(const int32_t *)ka, y = *(const int32_t *)kb;
        return (x > y) - (x < y);
    }
    }
}

static int index_cmp(const void *pa, const void *pb, void *arg)
{
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    int c = key_cmp(arg, a, b);
    if (c) return c;
    return (a > b) - (a < b);
}

/* keep[i] = 1 unless a later entry has the same key (last one wins, as
 * when the wire form is parsed). Returns -1 on OOM. */
static int map_keep(ProtobufCMessage *const *entries, size_t n, const ProtobufCFieldDescriptor *key,
                    unsigned char *keep)
{
    map_sort_ctx ctx = {entries, key};
    memset(keep, 1, n);
    if (n <= 16) {
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                if (key_cmp(&ctx, i, j) == 0) {
                    keep[i] = 0;
                    break;
                }
        return 0;
    }
    size_t *idx = malloc(n * sizeof *idx);
    if (!idx) return -1;
    for (size_t i = 0; i < n; i++) idx[i] = i;
    qsort_r(idx, n, sizeof *idx, index_cmp, &ctx);
    for (size_t i = 0; i + 1 < n; i++)
        if (key_cmp(&ctx, idx[i], idx[i + 1]) == 0) keep[idx[i]] = 0;
    free(idx);
    return 0;
}

static aia_status enc_map(enc *e, const ProtobufCFieldDescriptor *f, ProtobufCMessage *const *entries, size_t n)
{
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = &ed->fields[0], *vf = &ed->fields[1];
    unsigned char small[16];
    unsigned char *keep = n <= sizeof small ? small : malloc(n);
    if (!keep || map_keep(entries, n, kf, keep) != 0) {
        if (keep != small) free(keep);
        return eerr(e, AIA_RESOURCE_EXHAUSTED, "out of memory");
    }
    aia_status st = open_container(e, '{');
    int first = 1;
    for (size_t i = 0; st == AIA_OK && i < n; i++) {
        if (!keep[i]) continue;
        const ProtobufCMessage *entry = entries[i];
        ProtobufCMessage *tmp = NULL;
        if (!entry) { /* a hole: the default entry */
            tmp = calloc(1, ed->sizeof_message);
            if (!tmp) {
                st = eerr(e, AIA_RESOURCE_EXHAUSTED, "out of memory");
                break;
            }
            protobuf_c_message_init(ed, tmp);
            entry = tmp;
        }
        begin_item(e, &first);
        const void *kslot = pj_member(entry, kf);
        char kbuf[32];
        const char *key = kbuf;
        size_t klen;
        switch (kf->type) {
        case PROTOBUF_C_TYPE_STRING:
            key = *(const char *const *)kslot;
            if (!key) key = "";
            break;
        case PROTOBUF_C_TYPE_INT64:
        case PROTOBUF_C_TYPE_SINT64:
        case PROTOBUF_C_TYPE_SFIXED64:
            snprintf(kbuf, sizeof kbuf, "%" PRId64, *(const int64_t *)kslot);
            break;
        case PROTOBUF_C_TYPE_UINT64:
        case PROTOBUF_C_TYPE_FIXED64:
            snprintf(kbuf, sizeof kbuf, "%" PRIu64, *(const uint64_t *)kslot);
            break;
        case PROTOBUF_C_TYPE_UINT32:
        case PROTOBUF_C_TYPE_FIXED32:
            snprintf(kbuf, sizeof kbuf, "%" PRIu32, *(const uint32_t *)kslot);
            break;
        case PROTOBUF_C_TYPE_BOOL:
            snprintf(kbuf, sizeof kbuf, "%s", *(const protobuf_c_boolean *)kslot ? "true" : "false");
            break;
        default:
            snprintf(kbuf, sizeof kbuf, "%" PRId32, *(const int32_t *)kslot);
            break;
        }
        klen = strlen(key);
        aia_json_path_push_key(&e->path, key, klen);
        st = put_string(e, key, klen);
        if (st == AIA_OK) {
            colon(e);
            st = enc_value(e, vf, pj_member(entry, vf));
        }
        if (st == AIA_OK) aia_json_path_pop(&e->path);
        free(tmp);
    }
    if (keep != small) free(keep);
    if (st != AIA_OK) return st;
    close_container(e, '}', !first);
    return AIA_OK;
}

/* ---- fields --------------------------------------------------------- */

static int is_zeroish(const ProtobufCFieldDescriptor *f, const void *slot)
{
    switch (f->type) {
    case PROTOBUF_C_TYPE_BOOL: return *(const protobuf_c_boolean *)slot == 0;
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_ENUM: return *(const uint32_t *)slot == 0;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_FIXED64: return *(const uint64_t *)slot == 0;
    case PROTOBUF_C_TYPE_FLOAT: return *(const float *)slot == 0;
    case PROTOBUF_C_TYPE_DOUBLE: return *(const double *)slot == 0;
    case PROTOBUF_C_TYPE_STRING: {
        const char *s = *(const char *const *)slot;
        return !s || !*s;
    }
    case PROTOBUF_C_TYPE_BYTES: return ((const ProtobufCBinaryData *)slot)->len == 0;
    case PROTOBUF_C_TYPE_MESSAGE: return *(const void *const *)slot == NULL;
    }
    return 1;
}

/* Whether a singular field is written, following protobuf-c's packer. */
static int singular_present(const enc *e, const ProtobufCMessage *m, const ProtobufCFieldDescriptor *f)
{
    const void *slot = pj_member(m, f);
    int ptr_type = f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_MESSAGE;
    const void *ptr = ptr_type ? *(const void *const *)slot : NULL;
    if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
        if (*(const uint32_t *)pj_quantifier(m, f) != f->id) return 0;
        return !ptr_type || (ptr && ptr != f->default_value);
    }
    switch (f->label) {
    case PROTOBUF_C_LABEL_REQUIRED:
        return f->type != PROTOBUF_C_TYPE_MESSAGE || ptr;
    case PROTOBUF_C_LABEL_OPTIONAL:
        if (ptr_type) return ptr && ptr != f->default_value;
        return *(const protobuf_c_boolean *)pj_quantifier(m, f) != 0;
    default: /* NONE: implicit presence */
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) return ptr != NULL;
        return e->emit_defaults || !is_zeroish(f, slot);
    }
}

static void put_key(enc *e, const ProtobufCFieldDescriptor *f, char *name_buf)
{
    aia_strbuf_putc(e->sb, '"');
    if (e->proto_names) {
        aia_strbuf_puts(e->sb, f->name);
        aia_json_path_push_key(&e->path, f->name, strlen(f->name));
    } else {
        pj_put_json_name(e->sb, f->name);
        size_t n = aia_pbjson_json_name(f->name, name_buf, NAME_MAX_LEN);
        aia_json_path_push_key(&e->path, name_buf, n < NAME_MAX_LEN ? n : NAME_MAX_LEN - 1);
    }
    aia_strbuf_putc(e->sb, '"');
    colon(e);
}

static aia_status enc_repeated(enc *e, const ProtobufCFieldDescriptor *f, const void *arr, size_t n)
{
    aia_status st = open_container(e, '[');
    if (st != AIA_OK) return st;
    size_t sz = pj_elt_size(f->type);
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        begin_item(e, &first);
        aia_json_path_push_index(&e->path, i);
        st = enc_value(e, f, (const char *)arr + i * sz);
        if (st != AIA_OK) return st;
        aia_json_path_pop(&e->path);
    }
    close_container(e, ']', !first);
    return AIA_OK;
}

static aia_status enc_fields(enc *e, const ProtobufCMessage *m)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    aia_status st = open_container(e, '{');
    if (st != AIA_OK) return st;
    int first = 1;
    char name_buf[NAME_MAX_LEN];
    for (unsigned i = 0; i < d->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &d->fields[i];
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(const size_t *)pj_quantifier(m, f);
            const void *arr = *(const void *const *)pj_member(m, f);
            if (!arr) n = 0;
            if (n == 0 && !e->emit_defaults) continue;
            begin_item(e, &first);
            put_key(e, f, name_buf);
            if (aia_pbjson_is_map_field(d, f)) st = enc_map(e, f, arr, n);
            else st = enc_repeated(e, f, arr, n);
        } else {
            if (!singular_present(e, m, f)) continue;
            begin_item(e, &first);
            put_key(e, f, name_buf);
            st = enc_value(e, f, pj_member(m, f));
        }
        if (st != AIA_OK) return st;
        aia_json_path_pop(&e->path);
    }
    close_container(e, '}', !first);
    return AIA_OK;
}

/* ---- well-known types ----------------------------------------------- */

static aia_status layout_error(enc *e, const ProtobufCMessageDescriptor *d)
{
    return eerr(e, AIA_INTERNAL, "unexpected descriptor layout for %s", d->name);
}

static aia_status enc_wkt(enc *e, const ProtobufCMessage *m, pj_wkt kind)
{
    const ProtobufCMessageDescriptor *d = m->descriptor;
    char buf[64];
    switch (kind) {
    case PJ_WKT_ANY:
        return eerr(e, AIA_UNIMPLEMENTED, "google.protobuf.Any is not supported in JSON");
    case PJ_WKT_TIMESTAMP:
    case PJ_WKT_DURATION: {
        const ProtobufCFieldDescriptor *fs = pj_wkt_field(d, 1, PROTOBUF_C_TYPE_INT64, 0);
        const ProtobufCFieldDescriptor *fn = pj_wkt_field(d, 2, PROTOBUF_C_TYPE_INT32, 0);
        if (!fs || !fn) return layout_error(e, d);
        int64_t s = *(const int64_t *)pj_member(m, fs);
        int32_t n = *(const int32_t *)pj_member(m, fn);
        if (kind == PJ_WKT_TIMESTAMP) {
            if (pj_format_timestamp(s, n, buf, sizeof buf) != 0)
                return eerr(e, AIA_INVALID_ARGUMENT,
                            "timestamp out of range (seconds %" PRId64 ", nanos %" PRId32
                            "; JSON allows years 0001 to 9999)",
                            s, n);
        } else if (pj_format_duration(s, n, buf, sizeof buf) != 0) {
            return eerr(e, AIA_INVALID_ARGUMENT,
                        "duration out of range (seconds %" PRId64 ", nanos %" PRId32
                        "; JSON allows +-315576000000 s with nanos of the same sign)",
                        s, n);
        }
        aia_strbuf_putc(e->sb, '"');
        aia_strbuf_puts(e->sb, buf);
        aia_strbuf_putc(e->sb, '"');
        return AIA_OK;
    }
    case PJ_WKT_STRUCT: {
        const ProtobufCFieldDescriptor *f = pj_wkt_field(d, 1, PROTOBUF_C_TYPE_MESSAGE, 1);
        if (!f || !aia_pbjson_is_map_field(d, f)) return layout_error(e, d);
        size_t n = *(const size_t *)pj_quantifier(m, f);
        ProtobufCMessage *const *arr = *(ProtobufCMessage *const *const *)pj_member(m, f);
        return enc_map(e, f, arr, arr ? n : 0);
    }
    case PJ_WKT_LIST_VALUE: {
        const ProtobufCFieldDescriptor *f = pj_wkt_field(d, 1, PROTOBUF_C_TYPE_MESSAGE, 1);
        if (!f) return layout_error(e, d);
        size_t n = *(const size_t *)pj_quantifier(m, f);
        const void *arr = *(const void *const *)pj_member(m, f);
        return enc_repeated(e, f, arr, arr ? n : 0);
    }
    case PJ_WKT_VALUE: {
        const ProtobufCFieldDescriptor *f1 = protobuf_c_message_descriptor_get_field(d, 1);
        if (!f1 || !(f1->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)) return layout_error(e, d);
        uint32_t which = *(const uint32_t *)pj_quantifier(m, f1);
        const ProtobufCFieldDescriptor *f = which ? protobuf_c_message_descriptor_get_field(d, which) : NULL;
        if (!f) { /* no kind set: null, as protoc's Python printer does */
            aia_strbuf_puts(e->sb, "null");
            return AIA_OK;
        }
        const void *slot = pj_member(m, f);
        switch (which) {
        case 1: aia_strbuf_puts(e->sb, "null"); return AIA_OK;
        case 2: {
            if (f->type != PROTOBUF_C_TYPE_DOUBLE) return layout_error(e, d);
            double v = *(const double *)slot;
            if (!isfinite(v))
                return eerr(e, AIA_INVALID_ARGUMENT,
                            "google.protobuf.Value cannot hold NaN or Infinity in JSON (it would read back as a string)");
            put_double(e, v, 0);
            return AIA_OK;
        }
        case 5:
        case 6:
            if (f->type != PROTOBUF_C_TYPE_MESSAGE) return layout_error(e, d);
            return enc_message_or_default(e, f->descriptor, *(const ProtobufCMessage *const *)slot);
        default:
            return enc_value(e, f, slot);
        }
    }
    case PJ_WKT_WRAPPER: {
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, 1);
        if (!f || f->label == PROTOBUF_C_LABEL_REPEATED || f->type == PROTOBUF_C_TYPE_MESSAGE)
            return layout_error(e, d);
        return enc_value(e, f, pj_member(m, f));
    }
    case PJ_WKT_EMPTY:
        aia_strbuf_puts(e->sb, "{}");
        return AIA_OK;
    case PJ_WKT_FIELD_MASK: {
        const ProtobufCFieldDescriptor *f = pj_wkt_field(d, 1, PROTOBUF_C_TYPE_STRING, 1);
        if (!f) return layout_error(e, d);
        size_t n = *(const size_t *)pj_quantifier(m, f);
        char *const *paths = *(char *const *const *)pj_member(m, f);
        if (!paths) n = 0;
        aia_strbuf joined = AIA_STRBUF_INIT;
        for (size_t i = 0; i < n; i++) {
            const char *p = paths[i] ? paths[i] : "";
            if (i) aia_strbuf_putc(&joined, ',');
            /* snake_case -> lowerCamelCase, refusing paths that would not
             * read back the same (as protoc's printers do). */
            for (size_t k = 0; p[k]; k++) {
                char c = p[k];
                if (c >= 'A' && c <= 'Z') {
                    aia_strbuf_free(&joined);
                    return eerr(e, AIA_INVALID_ARGUMENT,
                                "field mask path \"%s\" has no JSON form: it contains an upper-case letter", p);
                }
                if (c == '_') {
                    char next = p[k + 1];
                    if (!(next >= 'a' && next <= 'z')) {
                        aia_strbuf_free(&joined);
                        return eerr(e, AIA_INVALID_ARGUMENT,
                                    "field mask path \"%s\" has no JSON form: '_' must be followed by a lower-case letter",
                                    p);
                    }
                    aia_strbuf_putc(&joined, (char)(next - 'a' + 'A'));
                    k++;
                } else {
                    aia_strbuf_putc(&joined, c);
                }
            }
        }
        aia_status st = put_string(e, aia_strbuf_cstr(&joined), joined.len);
        aia_strbuf_free(&joined);
        return st;
    }
    case PJ_WKT_NONE:
        break;
    }
    return enc_fields(e, m);
}

static aia_status enc_message(enc *e, const ProtobufCMessage *m)
{
    if (!m->descriptor || m->descriptor->magic != PROTOBUF_C__MESSAGE_DESCRIPTOR_MAGIC)
        return eerr(e, AIA_INTERNAL, "not a protobuf-c message (bad descriptor)");
    pj_wkt kind = pj_wkt_of(m->descriptor);
    if (kind != PJ_WKT_NONE) return enc_wkt(e, m, kind);
    return enc_fields(e, m);
}

aia_status aia_pbjson_encode(const ProtobufCMessage *msg, const aia_pbjson_encode_options *opts,
                             aia_strbuf *out, aia_error *err)
{
    enc e;
    memset(&e, 0, sizeof e);
    e.sb = out;
    e.err = err;
    if (opts) {
        e.pretty = opts->pretty;
        e.proto_names = opts->use_proto_names;
        e.emit_defaults = opts->emit_defaults;
        e.max_depth = opts->max_depth;
    }
    if (e.max_depth <= 0) e.max_depth = AIA_PBJSON_DEFAULT_MAX_DEPTH;
    if (e.max_depth > AIA_JSON_MAX_DEPTH_LIMIT) e.max_depth = AIA_JSON_MAX_DEPTH_LIMIT;
    if (!msg) return aia_error_set(err, AIA_INVALID_ARGUMENT, "no message to encode");
    size_t start = out->len;
    int was_oom = out->oom;
    e.path.cap = (size_t)e.max_depth + 2;
    e.path.segs = malloc(e.path.cap * sizeof *e.path.segs);
    if (!e.path.segs) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_status st = enc_message(&e, msg);
    free(e.path.segs);
    if (st == AIA_OK && out->oom && !was_oom)
        st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory writing JSON");
    if (st != AIA_OK) {
        /* Cut back to the length on entry. */
        if (out->data) {
            out->len = start;
            out->data[start] = '\0';
        }
        out->oom = was_oom;
        return st;
    }
    return AIA_OK;
}
