/* client/cli_format.c — see cli_format.h. */
#include "client/cli_format.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/base/timeutil.h"
#include "lib/pbjson/pbjson.h"

struct aia_cli_table {
    size_t ncols;
    char **cells; /* row-major, headers first */
    size_t n, cap;
    int oom;
};

aia_cli_table *aia_cli_table_new(const char *const *headers)
{
    aia_cli_table *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    while (headers[t->ncols]) t->ncols++;
    for (size_t i = 0; i < t->ncols; i++) aia_cli_table_cell(t, "%s", headers[i]);
    return t;
}

void aia_cli_table_cell(aia_cli_table *t, const char *fmt, ...)
{
    if (!t || t->oom) return;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **c = realloc(t->cells, cap * sizeof *c);
        if (!c) {
            t->oom = 1;
            return;
        }
        t->cells = c;
        t->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0) {
        t->oom = 1;
        return;
    }
    t->cells[t->n++] = s;
}

void aia_cli_table_print(FILE *out, const aia_cli_table *t)
{
    if (!t || !t->ncols) return;
    size_t *width = calloc(t->ncols, sizeof *width);
    if (!width) return;
    for (size_t i = 0; i < t->n; i++) {
        size_t w = strlen(t->cells[i]);
        if (w > width[i % t->ncols]) width[i % t->ncols] = w;
    }
    for (size_t i = 0; i < t->n; i++) {
        size_t col = i % t->ncols;
        int last = col == t->ncols - 1 || i == t->n - 1;
        if (last) fprintf(out, "%s\n", t->cells[i]);
        else fprintf(out, "%-*s  ", (int)width[col], t->cells[i]);
    }
    free(width);
}

void aia_cli_table_free(aia_cli_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n; i++) free(t->cells[i]);
    free(t->cells);
    free(t);
}

void aia_cli_table_done(FILE *out, aia_cli_table *t, const char *next_page_token)
{
    aia_cli_table_print(out, t);
    aia_cli_table_free(t);
    if (next_page_token && *next_page_token) fprintf(out, "(more: --page-token %s)\n", next_page_token);
}

const char *aia_cli_enum_name(const ProtobufCEnumDescriptor *desc, int value, const char *prefix, char *buf,
                              size_t size)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(desc, value);
    if (!v) {
        snprintf(buf, size, "UNKNOWN(%d)", value);
        return buf;
    }
    size_t plen = strlen(prefix);
    snprintf(buf, size, "%s", strncmp(v->name, prefix, plen) == 0 ? v->name + plen : v->name);
    return buf;
}

const char *aia_cli_format_time(const Google__Protobuf__Timestamp *t, char *buf, size_t size)
{
    if (!t) {
        snprintf(buf, size, "-");
        return buf;
    }
    char full[48];
    aia_time_format_rfc3339(t->seconds * 1000000000LL, full, sizeof full);
    char *dot = strchr(full, '.');
    if (dot) memcpy(dot, "Z", 2); /* whole seconds read better in tables */
    snprintf(buf, size, "%s", full);
    return buf;
}

void aia_cli_format_number(aia_strbuf *sb, double v)
{
    if (isfinite(v) && v == (double)(long long)v && fabs(v) < 1e15) aia_strbuf_printf(sb, "%lld", (long long)v);
    else aia_strbuf_printf(sb, "%.4g", v);
}

typedef struct map_item {
    const char *key;
    const ProtobufCMessage *entry;
    size_t index; /* wire order, so that the last of a repeated key wins */
} map_item;

static int by_key(const void *a, const void *b)
{
    const map_item *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

/* Text as is, except that a real number ("0.5138964314628685", as HPO
 * trials write their values) is shortened like any other number; integers
 * and other text ("007", "e2e") are left alone. */
static void format_text(aia_strbuf *sb, const char *s)
{
    char *end;
    double v = *s ? strtod(s, &end) : 0;
    if (*s && !*end && strpbrk(s, ".eE") && isfinite(v) && !isspace((unsigned char)*s)) aia_cli_format_number(sb, v);
    else aia_strbuf_puts(sb, s);
}

static void format_value(aia_strbuf *sb, const ProtobufCMessage *entry, const ProtobufCFieldDescriptor *vf)
{
    const char *p = (const char *)entry + vf->offset;
    switch (vf->type) {
    case PROTOBUF_C_TYPE_DOUBLE: aia_cli_format_number(sb, *(const double *)p); break;
    case PROTOBUF_C_TYPE_FLOAT: aia_cli_format_number(sb, *(const float *)p); break;
    case PROTOBUF_C_TYPE_INT32: aia_strbuf_printf(sb, "%d", *(const int32_t *)p); break;
    case PROTOBUF_C_TYPE_INT64: aia_strbuf_printf(sb, "%lld", (long long)*(const int64_t *)p); break;
    case PROTOBUF_C_TYPE_STRING: format_text(sb, *(char *const *)p ? *(char *const *)p : ""); break;
    default: aia_strbuf_puts(sb, "?"); break;
    }
}

void aia_cli_format_map(aia_strbuf *sb, const ProtobufCMessage *msg, const char *field, const char *sep)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(msg->descriptor, field);
    if (!f || !aia_pbjson_is_map_field(msg->descriptor, f)) return;
    size_t n = *(const size_t *)((const char *)msg + f->quantifier_offset);
    ProtobufCMessage *const *entries = *(ProtobufCMessage *const *const *)((const char *)msg + f->offset);
    if (!n) return;
    const ProtobufCMessageDescriptor *ed = f->descriptor;
    const ProtobufCFieldDescriptor *kf = protobuf_c_message_descriptor_get_field(ed, 1);
    const ProtobufCFieldDescriptor *vf = protobuf_c_message_descriptor_get_field(ed, 2);
    if (!kf || !vf || kf->type != PROTOBUF_C_TYPE_STRING) return;
    map_item *items = malloc(n * sizeof *items);
    if (!items) return;
    for (size_t i = 0; i < n; i++) {
        const char *key = *(char *const *)((const char *)entries[i] + kf->offset);
        items[i] = (map_item){key ? key : "", entries[i], i};
    }
    qsort(items, n, sizeof *items, by_key);
    for (size_t i = 0, printed = 0; i < n; i++) {
        if (i + 1 < n && strcmp(items[i].key, items[i + 1].key) == 0) continue; /* the last one wins */
        if (printed++) aia_strbuf_puts(sb, sep);
        aia_strbuf_printf(sb, "%s=", items[i].key);
        format_value(sb, items[i].entry, vf);
    }
    free(items);
}

void aia_cli_field(FILE *out, const char *key, const char *fmt, ...)
{
    fprintf(out, "%-12s ", key);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
}

void aia_cli_field_map(FILE *out, const char *key, const ProtobufCMessage *msg, const char *field)
{
    aia_strbuf sb = AIA_STRBUF_INIT;
    aia_cli_format_map(&sb, msg, field, " ");
    if (sb.len) aia_cli_field(out, key, "%s", aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
}
