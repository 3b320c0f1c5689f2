/* lib/pbjson/json.c — see json.h.
 *
 * A recursive-descent parser over a byte buffer. Strings are scanned twice:
 * once to find the closing quote (so the decoded copy can be sized, since
 * decoding never makes a string longer), once to decode and validate with
 * exact error offsets. Arrays and objects grow geometrically inside the
 * arena; the abandoned smaller copies stay in the arena until it is freed,
 * which at most doubles their footprint. Duplicate keys are found by a
 * linear scan in small objects and by an arena hash table in large ones, so
 * a hostile object with many keys stays linear.
 */
#include "lib/pbjson/json.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define PATH_RENDER_MAX 160 /* rendered path length before it is shortened */
#define SMALL_OBJECT 16     /* members checked linearly for duplicates */

typedef struct parser {
    const char *text;
    size_t len;
    size_t pos;
    int max_depth;
    int depth;
    aia_arena *arena;
    aia_error *err;
    aia_json_path path;
} parser;

/* ---- paths ---------------------------------------------------------- */

void aia_json_path_push_key(aia_json_path *p, const char *key, size_t key_len)
{
    if (p->n < p->cap) {
        p->segs[p->n].key = key;
        p->segs[p->n].key_len = key_len;
        p->segs[p->n].index = 0;
    }
    p->n++;
}

void aia_json_path_push_index(aia_json_path *p, size_t index)
{
    if (p->n < p->cap) {
        p->segs[p->n].key = NULL;
        p->segs[p->n].key_len = 0;
        p->segs[p->n].index = index;
    }
    p->n++;
}

void aia_json_path_pop(aia_json_path *p)
{
    if (p->n > 0) p->n--;
}

static int is_identifier(const char *s, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$';
        int digit = c >= '0' && c <= '9';
        if (!(alpha || (digit && i > 0))) return 0;
    }
    return 1;
}

void aia_json_path_render(const aia_json_path *p, aia_strbuf *sb)
{
    aia_strbuf tmp = AIA_STRBUF_INIT;
    size_t stored = p->n < p->cap ? p->n : p->cap;
    for (size_t i = 0; i < stored; i++) {
        const aia_json_path_seg *s = &p->segs[i];
        if (!s->key) {
            aia_strbuf_printf(&tmp, "[%zu]", s->index);
        } else if (is_identifier(s->key, s->key_len)) {
            if (i > 0) aia_strbuf_putc(&tmp, '.');
            aia_strbuf_append(&tmp, s->key, s->key_len);
        } else {
            aia_strbuf_putc(&tmp, '[');
            aia_strbuf_json_string(&tmp, s->key, s->key_len);
            aia_strbuf_putc(&tmp, ']');
        }
    }
    if (p->n > stored) aia_strbuf_puts(&tmp, "...");
    if (tmp.len > PATH_RENDER_MAX) {
        size_t head = PATH_RENDER_MAX / 3, tail = PATH_RENDER_MAX - head - 3;
        aia_strbuf_append(sb, tmp.data, head);
        aia_strbuf_puts(sb, "...");
        aia_strbuf_append(sb, tmp.data + tmp.len - tail, tail);
    } else {
        aia_strbuf_append(sb, aia_strbuf_cstr(&tmp), tmp.len);
    }
    aia_strbuf_free(&tmp);
}

void aia_json_line_col(const char *text, size_t len, size_t offset, size_t *line, size_t *col)
{
    size_t l = 1, line_start = 0;
    if (offset > len) offset = len;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            l++;
            line_start = i + 1;
        }
    }
    *line = l;
    *col = offset - line_start + 1;
}

/* ---- errors --------------------------------------------------------- */

static aia_status perr(parser *p, size_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

aia_status aia_json_errorv(aia_error *err, aia_status code, const char *text, size_t len, size_t offset,
                           const aia_json_path *path, const char *fmt, va_list ap)
{
    if (!err) return code;
    aia_strbuf sb = AIA_STRBUF_INIT;
    if (text) {
        size_t line, col;
        aia_json_line_col(text, len, offset, &line, &col);
        aia_strbuf_printf(&sb, "line %zu, column %zu: ", line, col);
    }
    if (path && path->n > 0) {
        aia_strbuf_puts(&sb, "field \"");
        aia_json_path_render(path, &sb);
        aia_strbuf_puts(&sb, "\": ");
    }
    aia_strbuf_vprintf(&sb, fmt, ap);
    aia_error_set(err, code, "%s", aia_strbuf_cstr(&sb));
    aia_strbuf_free(&sb);
    return code;
}

static aia_status perr(parser *p, size_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    aia_status st = aia_json_errorv(p->err, AIA_INVALID_ARGUMENT, p->text, p->len, offset, &p->path, fmt, ap);
    va_end(ap);
    return st;
}

static aia_status oom(parser *p)
{
    return aia_error_set(p->err, AIA_RESOURCE_EXHAUSTED, "out of memory parsing JSON");
}

/* "'x'" for printable ASCII, "byte 0xNN" otherwise. */
static const char *describe_byte(unsigned char c, char buf[16])
{
    if (c > 0x20 && c < 0x7f) snprintf(buf, 16, "'%c'", c);
    else snprintf(buf, 16, "byte 0x%02X", c);
    return buf;
}

/* ---- UTF-8 ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence starting at s[0] (a byte >= 0x80),
 * or 0 when it is invalid. */
static size_t utf8_seq(const unsigned char *s, size_t avail)
{
    unsigned char c = s[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) n = 2;
    else if (c == 0xE0) { n = 3; lo = 0xA0; }
    else if (c >= 0xE1 && c <= 0xEC) n = 3;
    else if (c == 0xED) { n = 3; hi = 0x9F; }
    else if (c >= 0xEE && c <= 0xEF) n = 3;
    else if (c == 0xF0) { n = 4; lo = 0x90; }
    else if (c >= 0xF1 && c <= 0xF3) n = 4;
    else if (c == 0xF4) { n = 4; hi = 0x8F; }
    else return 0;
    if (avail < n) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xBF) return 0;
    return n;
}

size_t aia_json_utf8_check(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t n = utf8_seq(u + i, len - i);
        if (n == 0) return i;
        i += n;
    }
    return len;
}

static size_t put_utf8(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* ---- scanning ------------------------------------------------------- */

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        char c = p->text[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

static int hex4(const char *s, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return -1;
    }
    *out = v;
    return 0;
}

/* Parses the string at p->pos (an opening quote) into the arena. */
static aia_status parse_string(parser *p, const char **out, size_t *out_len)
{
    const char *t = p->text;
    size_t start = p->pos, i = start + 1, end = 0;
    int found = 0;
    while (i < p->len) {
        if (t[i] == '"') {
            end = i;
            found = 1;
            break;
        }
        i += t[i] == '\\' ? 2 : 1;
    }
    if (!found) return perr(p, start, "unterminated string");
    char *buf = aia_arena_alloc(p->arena, end - start);
    if (!buf) return oom(p);
    size_t n = 0;
    i = start + 1;
    while (i < end) {
        unsigned char c = (unsigned char)t[i];
        if (c == '\\') {
            char e = t[i + 1];
            switch (e) {
            case '"': buf[n++] = '"'; i += 2; continue;
            case '\\': buf[n++] = '\\'; i += 2; continue;
            case '/': buf[n++] = '/'; i += 2; continue;
            case 'b': buf[n++] = '\b'; i += 2; continue;
            case 'f': buf[n++] = '\f'; i += 2; continue;
            case 'n': buf[n++] = '\n'; i += 2; continue;
            case 'r': buf[n++] = '\r'; i += 2; continue;
            case 't': buf[n++] = '\t'; i += 2; continue;
            case 'u': break;
            default: {
                char d[16];
                return perr(p, i, "invalid escape sequence '\\' followed by %s",
                            describe_byte((unsigned char)e, d));
            }
            }
            uint32_t cp;
            if (i + 6 > end || hex4(t + i + 2, &cp) != 0)
                return perr(p, i, "invalid \\u escape (expected 4 hex digits)");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return perr(p, i, "invalid \\u escape: unpaired UTF-16 low surrogate");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (i + 12 > end || t[i + 6] != '\\' || t[i + 7] != 'u' || hex4(t + i + 8, &lo) != 0 ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return perr(p, i, "invalid \\u escape: unpaired UTF-16 high surrogate");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            n += put_utf8(buf + n, cp);
            i += 6;
        } else if (c < 0x20) {
            return perr(p, i, "control character U+%04X in string must be escaped", c);
        } else if (c < 0x80) {
            buf[n++] = (char)c;
            i++;
        } else {
            size_t k = utf8_seq((const unsigned char *)t + i, end - i);
            if (k == 0) return perr(p, i, "invalid UTF-8 in string");
            memcpy(buf + n, t + i, k);
            n += k;
            i += k;
        }
    }
    buf[n] = '\0';
    p->pos = end + 1;
    *out = buf;
    *out_len = n;
    return AIA_OK;
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static aia_status parse_number(parser *p, aia_json_value *v)
{
    const char *t = p->text;
    size_t start = p->pos, i = start;
    if (t[i] == '-') i++;
    if (i >= p->len || !is_digit(t[i])) return perr(p, start, "invalid number: expected a digit after '-'");
    if (t[i] == '0') {
        i++;
        if (i < p->len && is_digit(t[i])) return perr(p, start, "invalid number: leading zeros are not allowed");
    } else {
        while (i < p->len && is_digit(t[i])) i++;
    }
    if (i < p->len && t[i] == '.') {
        i++;
        if (i >= p->len || !is_digit(t[i])) return perr(p, start, "invalid number: expected a digit after '.'");
        while (i < p->len && is_digit(t[i])) i++;
    }
    if (i < p->len && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        if (i < p->len && (t[i] == '+' || t[i] == '-')) i++;
        if (i >= p->len || !is_digit(t[i]))
            return perr(p, start, "invalid number: expected a digit in the exponent");
        while (i < p->len && is_digit(t[i])) i++;
    }
    char *s = aia_arena_strndup(p->arena, t + start, i - start);
    if (!s) return oom(p);
    v->type = AIA_JSON_NUMBER;
    v->u.str = s;
    v->len = i - start;
    p->pos = i;
    return AIA_OK;
}

static aia_status parse_value(parser *p, aia_json_value *v);

/* Grows an arena array of `elt`-byte elements to hold one more. */
static int grow(parser *p, void **arr, size_t n, size_t *cap, size_t elt)
{
    if (n < *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *na = aia_arena_alloc(p->arena, ncap * elt);
    if (!na) return -1;
    if (n) memcpy(na, *arr, n * elt);
    *arr = na;
    *cap = ncap;
    return 0;
}

static aia_status enter(parser *p, size_t offset)
{
    if (++p->depth > p->max_depth)
        return perr(p, offset, "nesting deeper than %d levels", p->max_depth);
    return AIA_OK;
}

static aia_status parse_array(parser *p, aia_json_value *v)
{
    aia_status st = enter(p, p->pos);
    if (st != AIA_OK) return st;
    p->pos++; /* '[' */
    aia_json_value *items = NULL;
    size_t n = 0, cap = 0;
    skip_ws(p);
    if (p->pos < p->len && p->text[p->pos] == ']') {
        p->pos++;
    } else {
        for (;;) {
            if (grow(p, (void **)&items, n, &cap, sizeof *items) != 0) return oom(p);
            aia_json_path_push_index(&p->path, n);
            st = parse_value(p, &items[n]);
            aia_json_path_pop(&p->path);
            if (st != AIA_OK) return st;
            n++;
            skip_ws(p);
            if (p->pos >= p->len) return perr(p, p->pos, "unexpected end of input, expected ',' or ']'");
            char c = p->text[p->pos];
            if (c == ',') {
                p->pos++;
                continue;
            }
            if (c == ']') {
                p->pos++;
                break;
            }
            char d[16];
            return perr(p, p->pos, "expected ',' or ']' after array element, found %s",
                        describe_byte((unsigned char)c, d));
        }
    }
    p->depth--;
    v->type = AIA_JSON_ARRAY;
    v->u.items = items;
    v->len = n;
    return AIA_OK;
}

static uint64_t hash_key(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int same_key(const aia_json_member *a, const char *key, size_t len)
{
    return a->key_len == len && memcmp(a->key, key, len) == 0;
}

/* Open-addressing set of member indices + 1 (0 = empty). */
typedef struct key_set {
    size_t *slots;
    size_t cap; /* power of two */
} key_set;

static int key_set_rebuild(parser *p, key_set *ks, const aia_json_member *m, size_t n)
{
    size_t cap = 64;
    while (cap < 4 * (n + 1)) cap *= 2;
    size_t *slots = aia_arena_calloc(p->arena, cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < n; i++) {
        size_t h = (size_t)hash_key(m[i].key, m[i].key_len) & (cap - 1);
        while (slots[h]) h = (h + 1) & (cap - 1);
        slots[h] = i + 1;
    }
    ks->slots = slots;
    ks->cap = cap;
    return 0;
}

/* Returns 1 when members[0..n) already hold `key`; -1 on OOM. When it
 * returns 0 the key is recorded as index n. */
static int seen_key(parser *p, key_set *ks, const aia_json_member *m, size_t n, const char *key, size_t len)
{
    if (n < SMALL_OBJECT) {
        for (size_t i = 0; i < n; i++)
            if (same_key(&m[i], key, len)) return 1;
        return 0;
    }
    if (!ks->slots || 2 * (n + 1) > ks->cap) {
        if (key_set_rebuild(p, ks, m, n) != 0) return -1;
    }
    size_t h = (size_t)hash_key(key, len) & (ks->cap - 1);
    while (ks->slots[h]) {
        if (same_key(&m[ks->slots[h] - 1], key, len)) return 1;
        h = (h + 1) & (ks->cap - 1);
    }
    ks->slots[h] = n + 1;
    return 0;
}

static aia_status parse_object(parser *p, aia_json_value *v)
{
    aia_status st = enter(p, p->pos);
    if (st != AIA_OK) return st;
    p->pos++; /* '{' */
    aia_json_member *members = NULL;
    size_t n = 0, cap = 0;
    key_set ks = {NULL, 0};
    skip_ws(p);
    if (p->pos < p->len && p->text[p->pos] == '}') {
        p->pos++;
    } else {
        for (;;) {
            skip_ws(p);
            if (p->pos >= p->len) return perr(p, p->pos, "unexpected end of input, expected a string key");
            if (p->text[p->pos] != '"') {
                char d[16];
                return perr(p, p->pos, "expected a string key, found %s",
                            describe_byte((unsigned char)p->text[p->pos], d));
            }
            if (grow(p, (void **)&members, n, &cap, sizeof *members) != 0) return oom(p);
            aia_json_member *m = &members[n];
            m->key_offset = p->pos;
            st = parse_string(p, &m->key, &m->key_len);
            if (st != AIA_OK) return st;
            aia_json_path_push_key(&p->path, m->key, m->key_len);
            int dup = seen_key(p, &ks, members, n, m->key, m->key_len);
            if (dup < 0) return oom(p);
            if (dup) return perr(p, m->key_offset, "duplicate key");
            skip_ws(p);
            if (p->pos >= p->len || p->text[p->pos] != ':') {
                if (p->pos >= p->len) return perr(p, p->pos, "unexpected end of input, expected ':'");
                char d[16];
                return perr(p, p->pos, "expected ':' after object key, found %s",
                            describe_byte((unsigned char)p->text[p->pos], d));
            }
            p->pos++;
            st = parse_value(p, &m->value);
            if (st != AIA_OK) return st;
            aia_json_path_pop(&p->path);
            n++;
            skip_ws(p);
            if (p->pos >= p->len) return perr(p, p->pos, "unexpected end of input, expected ',' or '}'");
            char c = p->text[p->pos];
            if (c == ',') {
                p->pos++;
                continue;
            }
            if (c == '}') {
                p->pos++;
                break;
            }
            char d[16];
            return perr(p, p->pos, "expected ',' or '}' after object member, found %s",
                        describe_byte((unsigned char)c, d));
        }
    }
    p->depth--;
    v->type = AIA_JSON_OBJECT;
    v->u.members = members;
    v->len = n;
    return AIA_OK;
}

static aia_status parse_literal(parser *p, aia_json_value *v, const char *word, aia_json_type type)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
        return perr(p, p->pos, "invalid literal (expected %s)", word);
    p->pos += n;
    v->type = type;
    v->len = 0;
    v->u.str = NULL;
    return AIA_OK;
}

static aia_status parse_value(parser *p, aia_json_value *v)
{
    skip_ws(p);
    if (p->pos >= p->len) return perr(p, p->pos, "unexpected end of input, expected a value");
    v->offset = p->pos;
    char c = p->text[p->pos];
    switch (c) {
    case '{': return parse_object(p, v);
    case '[': return parse_array(p, v);
    case '"': {
        v->type = AIA_JSON_STRING;
        return parse_string(p, &v->u.str, &v->len);
    }
    case 't': return parse_literal(p, v, "true", AIA_JSON_TRUE);
    case 'f': return parse_literal(p, v, "false", AIA_JSON_FALSE);
    case 'n': return parse_literal(p, v, "null", AIA_JSON_NULL);
    default:
        if (c == '-' || is_digit(c)) return parse_number(p, v);
        char d[16];
        return perr(p, p->pos, "unexpected %s, expected a value", describe_byte((unsigned char)c, d));
    }
}

aia_status aia_json_parse(const char *text, size_t len, int max_depth, aia_arena *arena,
                          aia_json_value **out, aia_error *err)
{
    parser p;
    memset(&p, 0, sizeof p);
    p.text = text ? text : "";
    p.len = text ? len : 0;
    p.max_depth = max_depth <= 0 ? AIA_JSON_DEFAULT_MAX_DEPTH
                  : max_depth > AIA_JSON_MAX_DEPTH_LIMIT ? AIA_JSON_MAX_DEPTH_LIMIT
                                                         : max_depth;
    p.arena = arena;
    p.err = err;
    *out = NULL;
    p.path.cap = (size_t)p.max_depth + 1;
    p.path.segs = aia_arena_alloc(arena, p.path.cap * sizeof *p.path.segs);
    aia_json_value *v = aia_arena_alloc(arena, sizeof *v);
    if (!p.path.segs || !v) return oom(&p);
    aia_status st = parse_value(&p, v);
    if (st != AIA_OK) return st;
    skip_ws(&p);
    if (p.pos < p.len) {
        char d[16];
        return perr(&p, p.pos, "unexpected %s after the JSON value (trailing characters)",
                    describe_byte((unsigned char)p.text[p.pos], d));
    }
    *out = v;
    return AIA_OK;
}

const aia_json_value *aia_json_object_get(const aia_json_value *obj, const char *key)
{
    if (!obj || obj->type != AIA_JSON_OBJECT) return NULL;
    size_t n = strlen(key);
    for (size_t i = 0; i < obj->len; i++)
        if (same_key(&obj->u.members[i], key, n)) return &obj->u.members[i].value;
    return NULL;
}
