/* lib/pbjson/common.c — names, map detection, well-known-type recognition,
 * and the text forms of timestamps, durations, numbers and base64 that both
 * directions share. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/pbjson/internal.h"
#include "lib/pbjson/pbjson.h"

/* ---- names ---------------------------------------------------------- */

/* protoc's ToJsonName, one character at a time: each '_' is dropped and
 * upper-cases the character after it. Advances *p; returns '\0' at the end.
 * The three users below share it so they can never disagree on a name. */
static char next_json_name_char(const char **p)
{
    int upper = 0;
    while (**p == '_') {
        upper = 1;
        (*p)++;
    }
    char c = **p;
    if (!c) return '\0';
    (*p)++;
    return upper && c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

size_t aia_pbjson_json_name(const char *proto_name, char *buf, size_t size)
{
    size_t n = 0;
    for (char c; (c = next_json_name_char(&proto_name)) != '\0'; n++)
        if (size && n < size - 1) buf[n] = c;
    if (size) buf[n < size ? n : size - 1] = '\0';
    return n;
}

void pj_put_json_name(aia_strbuf *sb, const char *proto_name)
{
    for (char c; (c = next_json_name_char(&proto_name)) != '\0';) aia_strbuf_putc(sb, c);
}

int pj_json_name_eq(const char *proto_name, const char *key, size_t len)
{
    size_t i = 0;
    for (char c; (c = next_json_name_char(&proto_name)) != '\0'; i++)
        if (i >= len || key[i] != c) return 0;
    return i == len;
}

const ProtobufCFieldDescriptor *aia_pbjson_find_field(const ProtobufCMessageDescriptor *desc,
                                                      const char *name, size_t len)
{
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        if (strlen(f->name) == len && memcmp(f->name, name, len) == 0) return f;
    }
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields[i];
        if (pj_json_name_eq(f->name, name, len)) return f;
    }
    return NULL;
}

/* protoc's MapEntryName: "traffic_split" -> "TrafficSplitEntry". */
static int is_map_entry_name(const char *field_name, const char *short_name)
{
    const char *s = short_name;
    int cap = 1;
    for (const char *p = field_name; *p; p++) {
        if (*p == '_') {
            cap = 1;
            continue;
        }
        char c = *p;
        if (cap && c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        cap = 0;
        if (*s++ != c) return 0;
    }
    return strcmp(s, "Entry") == 0;
}

int aia_pbjson_is_map_field(const ProtobufCMessageDescriptor *parent, const ProtobufCFieldDescriptor *f)
{
    if (f->label != PROTOBUF_C_LABEL_REPEATED || f->type != PROTOBUF_C_TYPE_MESSAGE || !f->descriptor)
        return 0;
    const ProtobufCMessageDescriptor *e = f->descriptor;
    if (e->n_fields != 2) return 0;
    const ProtobufCFieldDescriptor *k = &e->fields[0], *v = &e->fields[1];
    if (k->id != 1 || v->id != 2 || strcmp(k->name, "key") != 0 || strcmp(v->name, "value") != 0) return 0;
    if (k->label == PROTOBUF_C_LABEL_REPEATED || v->label == PROTOBUF_C_LABEL_REPEATED) return 0;
    switch (k->type) {
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_DOUBLE:
    case PROTOBUF_C_TYPE_BYTES:
    case PROTOBUF_C_TYPE_ENUM:
    case PROTOBUF_C_TYPE_MESSAGE:
        return 0;
    default:
        break;
    }
    if (!is_map_entry_name(f->name, e->short_name)) return 0;
    /* The entry is nested in the message that holds the field. */
    size_t pn = strlen(parent->name);
    return strncmp(e->name, parent->name, pn) == 0 && e->name[pn] == '.' &&
           strcmp(e->name + pn + 1, e->short_name) == 0;
}

/* ---- well-known types ----------------------------------------------- */

pj_wkt pj_wkt_of(const ProtobufCMessageDescriptor *d)
{
    const char *n = d->name;
    if (strncmp(n, "google.protobuf.", 16) != 0) return PJ_WKT_NONE;
    n += 16;
    if (strcmp(n, "Timestamp") == 0) return PJ_WKT_TIMESTAMP;
    if (strcmp(n, "Duration") == 0) return PJ_WKT_DURATION;
    if (strcmp(n, "Struct") == 0) return PJ_WKT_STRUCT;
    if (strcmp(n, "Value") == 0) return PJ_WKT_VALUE;
    if (strcmp(n, "ListValue") == 0) return PJ_WKT_LIST_VALUE;
    if (strcmp(n, "Empty") == 0) return PJ_WKT_EMPTY;
    if (strcmp(n, "FieldMask") == 0) return PJ_WKT_FIELD_MASK;
    if (strcmp(n, "Any") == 0) return PJ_WKT_ANY;
    static const char *const wrappers[] = {"DoubleValue", "FloatValue", "Int64Value",
                                           "UInt64Value", "Int32Value", "UInt32Value",
                                           "BoolValue",   "StringValue", "BytesValue"};
    for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
        if (strcmp(n, wrappers[i]) == 0) return PJ_WKT_WRAPPER;
    return PJ_WKT_NONE;
}

int pj_is_null_value_enum(const void *enum_descriptor)
{
    const ProtobufCEnumDescriptor *e = enum_descriptor;
    return e && strcmp(e->name, "google.protobuf.NullValue") == 0;
}

int pj_is_value_message(const void *message_descriptor)
{
    const ProtobufCMessageDescriptor *d = message_descriptor;
    return d && strcmp(d->name, "google.protobuf.Value") == 0;
}

const ProtobufCFieldDescriptor *pj_wkt_field(const ProtobufCMessageDescriptor *d, unsigned id,
                                             ProtobufCType type, int repeated)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field(d, id);
    if (!f || f->type != type) return NULL;
    if ((f->label == PROTOBUF_C_LABEL_REPEATED) != (repeated != 0)) return NULL;
    return f;
}

size_t pj_elt_size(ProtobufCType t)
{
    switch (t) {
    case PROTOBUF_C_TYPE_INT32:
    case PROTOBUF_C_TYPE_SINT32:
    case PROTOBUF_C_TYPE_SFIXED32:
    case PROTOBUF_C_TYPE_UINT32:
    case PROTOBUF_C_TYPE_FIXED32:
    case PROTOBUF_C_TYPE_FLOAT:
    case PROTOBUF_C_TYPE_ENUM:
        return 4;
    case PROTOBUF_C_TYPE_INT64:
    case PROTOBUF_C_TYPE_SINT64:
    case PROTOBUF_C_TYPE_SFIXED64:
    case PROTOBUF_C_TYPE_UINT64:
    case PROTOBUF_C_TYPE_FIXED64:
    case PROTOBUF_C_TYPE_DOUBLE:
        return 8;
    case PROTOBUF_C_TYPE_BOOL:
        return sizeof(protobuf_c_boolean);
    case PROTOBUF_C_TYPE_STRING:
        return sizeof(char *);
    case PROTOBUF_C_TYPE_BYTES:
        return sizeof(ProtobufCBinaryData);
    case PROTOBUF_C_TYPE_MESSAGE:
        return sizeof(ProtobufCMessage *);
    }
    return 0;
}

/* ---- time ----------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/* ".5" style fraction with 0, 3, 6 or 9 digits, as protoc prints. */
static void put_fraction(char *buf, size_t size, int32_t nanos)
{
    if (nanos == 0) buf[0] = '\0';
    else if (nanos % 1000000 == 0) snprintf(buf, size, ".%03d", nanos / 1000000);
    else if (nanos % 1000 == 0) snprintf(buf, size, ".%06d", nanos / 1000);
    else snprintf(buf, size, ".%09d", nanos);
}

int pj_format_timestamp(int64_t seconds, int32_t nanos, char *buf, size_t size)
{
    if (seconds < PJ_TIMESTAMP_MIN_SECONDS || seconds > PJ_TIMESTAMP_MAX_SECONDS || nanos < 0 ||
        nanos > 999999999)
        return -1;
    int64_t days = seconds / 86400, rem = seconds % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char frac[16];
    put_fraction(frac, sizeof frac, nanos);
    snprintf(buf, size, "%04d-%02u-%02uT%02d:%02d:%02d%sZ", (int)y, m, d, (int)(rem / 3600),
             (int)(rem % 3600 / 60), (int)(rem % 60), frac);
    return 0;
}

int pj_format_duration(int64_t seconds, int32_t nanos, char *buf, size_t size)
{
    if (seconds < -PJ_DURATION_MAX_SECONDS || seconds > PJ_DURATION_MAX_SECONDS || nanos < -999999999 ||
        nanos > 999999999 || (seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0))
        return -1;
    int neg = seconds < 0 || nanos < 0;
    uint64_t s = (uint64_t)(seconds < 0 ? -seconds : seconds);
    char frac[16];
    put_fraction(frac, sizeof frac, nanos < 0 ? -nanos : nanos);
    snprintf(buf, size, "%s%llu%ss", neg ? "-" : "", (unsigned long long)s, frac);
    return 0;
}

/* Reads exactly `k` digits at s[*i]. */
static int digits(const char *s, size_t n, size_t *i, int k, int *out)
{
    int v = 0;
    for (int j = 0; j < k; j++) {
        if (*i >= n || s[*i] < '0' || s[*i] > '9') return -1;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return 0;
}

static int expect(const char *s, size_t n, size_t *i, char c)
{
    if (*i >= n || s[*i] != c) return -1;
    (*i)++;
    return 0;
}

/* Up to nine fractional digits after a '.', scaled to nanoseconds. */
static int fraction(const char *s, size_t n, size_t *i, int32_t *nanos)
{
    *nanos = 0;
    if (*i >= n || s[*i] != '.') return 0;
    (*i)++;
    int count = 0;
    int32_t v = 0;
    while (*i < n && s[*i] >= '0' && s[*i] <= '9') {
        if (++count > 9) return -1;
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    if (count == 0) return -1;
    for (int k = count; k < 9; k++) v *= 10;
    *nanos = v;
    return 0;
}

int pj_parse_timestamp(const char *s, size_t n, int64_t *seconds, int32_t *nanos)
{
    size_t i = 0;
    int y, mo, d, h, mi, se;
    if (digits(s, n, &i, 4, &y) || expect(s, n, &i, '-') || digits(s, n, &i, 2, &mo) ||
        expect(s, n, &i, '-') || digits(s, n, &i, 2, &d) || expect(s, n, &i, 'T') ||
        digits(s, n, &i, 2, &h) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &mi) ||
        expect(s, n, &i, ':') || digits(s, n, &i, 2, &se))
        return -1;
    if (fraction(s, n, &i, nanos)) return -1;
    int offset = 0;
    if (i < n && s[i] == 'Z') {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        int sign = s[i] == '-' ? -1 : 1, oh, om;
        i++;
        if (digits(s, n, &i, 2, &oh) || expect(s, n, &i, ':') || digits(s, n, &i, 2, &om)) return -1;
        if (oh > 23 || om > 59) return -1;
        offset = sign * (oh * 3600 + om * 60);
    } else {
        return -1;
    }
    if (i != n) return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 59) return -1;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap) return -1;
    int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - offset;
    if (secs < PJ_TIMESTAMP_MIN_SECONDS || secs > PJ_TIMESTAMP_MAX_SECONDS) return -2;
    *seconds = secs;
    return 0;
}

int pj_parse_duration(const char *s, size_t n, int64_t *seconds, int32_t *nanos)
{
    size_t i = 0;
    int neg = 0;
    if (i < n && s[i] == '-') {
        neg = 1;
        i++;
    }
    int count = 0;
    int64_t v = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        if (++count > 18) return -2; /* far beyond the range; avoids overflow */
        v = v * 10 + (s[i] - '0');
        i++;
    }
    if (count == 0) return -1;
    int32_t ns;
    if (fraction(s, n, &i, &ns)) return -1;
    if (i >= n || s[i] != 's' || i + 1 != n) return -1;
    if (v > PJ_DURATION_MAX_SECONDS) return -2;
    *seconds = neg ? -v : v;
    *nanos = neg ? -ns : ns;
    return 0;
}

/* ---- numbers -------------------------------------------------------- */

void pj_format_double(double v, int is_float, char *buf, size_t size)
{
    char tmp[48];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (is_float ? strtof(tmp, NULL) == (float)v : strtod(tmp, NULL) == v) break;
    }
    /* tmp is "-d.ddde+XX": split into sign, significant digits, exponent. */
    const char *p = tmp;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    char dig[24];
    size_t nd = 0;
    while (*p && *p != 'e') {
        if (*p != '.' && nd < sizeof dig - 1) dig[nd++] = *p;
        p++;
    }
    int exp10 = *p == 'e' ? atoi(p + 1) : 0;
    while (nd > 1 && dig[nd - 1] == '0') nd--;
    dig[nd] = '\0';
    char out[64];
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (exp10 >= -6 && exp10 <= 20) {
        if (exp10 >= 0) {
            for (int k = 0; k <= exp10; k++) out[o++] = (size_t)k < nd ? dig[k] : '0';
            if ((size_t)exp10 + 1 < nd) {
                out[o++] = '.';
                for (size_t k = (size_t)exp10 + 1; k < nd; k++) out[o++] = dig[k];
            }
        } else {
            out[o++] = '0';
            out[o++] = '.';
            for (int k = 0; k < -exp10 - 1; k++) out[o++] = '0';
            for (size_t k = 0; k < nd; k++) out[o++] = dig[k];
        }
        out[o] = '\0';
    } else {
        out[o++] = dig[0];
        if (nd > 1) {
            out[o++] = '.';
            for (size_t k = 1; k < nd; k++) out[o++] = dig[k];
        }
        snprintf(out + o, sizeof out - o, "e%c%d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
    snprintf(buf, size, "%s", out);
}

int pj_is_json_number(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && s[i] == '-') i++;
    if (i >= n || s[i] < '0' || s[i] > '9') return 0;
    if (s[i] == '0') i++;
    else
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    if (i < n && s[i] == '.') {
        i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        if (i >= n || s[i] < '0' || s[i] > '9') return 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
    }
    return i == n;
}

int pj_parse_integer(const char *s, size_t n, int *negative, uint64_t *magnitude)
{
    if (!pj_is_json_number(s, n)) return PJ_INT_SYNTAX;
    size_t i = 0;
    *negative = 0;
    if (s[i] == '-') {
        *negative = 1;
        i++;
    }
    /* Significant digits (integer then fraction part) and a power of ten. */
    char sig[32];
    size_t ns = 0, nonzero_dropped = 0;
    long exp10 = 0;
    int in_frac = 0;
    for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
        if (s[i] == '.') {
            in_frac = 1;
            continue;
        }
        if (in_frac) exp10--;
        if (ns == 0 && s[i] == '0') continue; /* leading zeros */
        if (ns < sizeof sig) sig[ns++] = s[i];
        else {
            /* Too many digits to matter for range, but keep the scale. */
            exp10++;
            if (s[i] != '0') nonzero_dropped = 1;
        }
    }
    if (i < n) { /* exponent */
        i++;
        int eneg = 0;
        if (s[i] == '+' || s[i] == '-') eneg = s[i++] == '-';
        long e = 0;
        for (; i < n; i++)
            if (e < 100000) e = e * 10 + (s[i] - '0');
        exp10 += eneg ? -e : e;
    }
    if (ns == 0) { /* zero, whatever the exponent */
        *magnitude = 0;
        *negative = 0;
        return 0;
    }
    while (ns > 0 && sig[ns - 1] == '0') {
        ns--;
        exp10++;
    }
    if ((long)ns + exp10 > 20) return PJ_INT_RANGE;
    if (exp10 < 0 || nonzero_dropped) return PJ_INT_FRACTION;
    uint64_t v = 0;
    for (size_t k = 0; k < ns; k++) {
        unsigned d = (unsigned)(sig[k] - '0');
        if (v > (UINT64_MAX - d) / 10) return PJ_INT_RANGE;
        v = v * 10 + d;
    }
    for (long k = 0; k < exp10; k++) {
        if (v > UINT64_MAX / 10) return PJ_INT_RANGE;
        v *= 10;
    }
    *magnitude = v;
    return 0;
}

/* ---- base64 --------------------------------------------------------- */

static const char b64_std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void pj_base64_encode(aia_strbuf *sb, const uint8_t *data, size_t n)
{
    if (n == 0) return;
    if (aia_strbuf_reserve(sb, (n + 2) / 3 * 4) != 0) return;
    size_t i = 0;
    char q[4];
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
        q[0] = b64_std[v >> 18];
        q[1] = b64_std[(v >> 12) & 63];
        q[2] = b64_std[(v >> 6) & 63];
        q[3] = b64_std[v & 63];
        aia_strbuf_append(sb, q, 4);
    }
    if (i < n) {
        uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < n ? (uint32_t)data[i + 1] << 8 : 0);
        q[0] = b64_std[v >> 18];
        q[1] = b64_std[(v >> 12) & 63];
        q[2] = i + 1 < n ? b64_std[(v >> 6) & 63] : '=';
        q[3] = '=';
        aia_strbuf_append(sb, q, 4);
    }
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

int pj_base64_decode(const char *s, size_t n, uint8_t *out, size_t *out_len)
{
    size_t pad = 0;
    while (n > 0 && s[n - 1] == '=' && pad < 2) {
        n--;
        pad++;
    }
    if (pad && (n + pad) % 4 != 0) return -1;
    if (n % 4 == 1) return -1;
    int std = 0, url = 0;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0) return -1;
        if (s[i] == '+' || s[i] == '/') std = 1;
        if (s[i] == '-' || s[i] == '_') url = 1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (std && url) return -1; /* one alphabet or the other */
    *out_len = o;
    return 0;
}
