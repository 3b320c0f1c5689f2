/* lib/llm/route.c — see route.h. */
#include "lib/llm/route.h"

#include <stdlib.h>
#include <string.h>

#include <stdio.h>

#include "lib/base/strbuf.h"

typedef struct route_entry {
    char *pattern;
    size_t prefix_len; /* bytes before '*', or the whole length for a literal */
    int wildcard;
    int strip;
    aia_llm_provider_kind provider;
} route_entry;

struct aia_llm_routes {
    route_entry *entries;
    size_t n, cap;
};

static const struct {
    const char *pattern;
    aia_llm_provider_kind provider;
    int strip;
} k_defaults[] = {
    {"local/*", AIA_LLM_PROVIDER_LOCAL, 1},
    {"gemini-api/*", AIA_LLM_PROVIDER_GEMINI_API, 1},
    {"openai/*", AIA_LLM_PROVIDER_OPENAI, 1},
    {"gemini-*", AIA_LLM_PROVIDER_VERTEX, 0},
    {"text-bison*", AIA_LLM_PROVIDER_VERTEX, 0},
    {"chat-bison*", AIA_LLM_PROVIDER_VERTEX, 0},
    {"code-bison*", AIA_LLM_PROVIDER_VERTEX, 0},
    {"codechat-bison*", AIA_LLM_PROVIDER_VERTEX, 0},
    {"code-gecko*", AIA_LLM_PROVIDER_VERTEX, 0},
    {"text-unicorn*", AIA_LLM_PROVIDER_VERTEX, 0},
};

static const char *const k_names[] = {
    [AIA_LLM_PROVIDER_LOCAL] = "local",
    [AIA_LLM_PROVIDER_VERTEX] = "vertex",
    [AIA_LLM_PROVIDER_GEMINI_API] = "gemini-api",
    [AIA_LLM_PROVIDER_OPENAI] = "openai",
};

const char *aia_llm_provider_name(aia_llm_provider_kind kind)
{
    return kind >= AIA_LLM_PROVIDER_LOCAL && kind <= AIA_LLM_PROVIDER_OPENAI ? k_names[kind] : NULL;
}

aia_llm_provider_kind aia_llm_provider_parse(const char *name)
{
    for (int k = AIA_LLM_PROVIDER_LOCAL; k <= AIA_LLM_PROVIDER_OPENAI; k++)
        if (strcmp(k_names[k], name) == 0) return (aia_llm_provider_kind)k;
    return 0;
}

static route_entry *find_pattern(aia_llm_routes *r, const char *pattern, size_t len)
{
    for (size_t i = 0; i < r->n; i++)
        if (strlen(r->entries[i].pattern) == len && memcmp(r->entries[i].pattern, pattern, len) == 0)
            return &r->entries[i];
    return NULL;
}

/* Adds or (when the pattern exists) replaces a route. */
static aia_status put(aia_llm_routes *r, const char *pattern, size_t len, aia_llm_provider_kind provider, int strip,
                      aia_error *err)
{
    route_entry *e = find_pattern(r, pattern, len);
    if (!e) {
        if (r->n == r->cap) {
            size_t cap = r->cap ? 2 * r->cap : 16;
            route_entry *grown = realloc(r->entries, cap * sizeof *grown);
            if (!grown) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
            r->entries = grown;
            r->cap = cap;
        }
        e = &r->entries[r->n++];
        memset(e, 0, sizeof *e);
        if (!(e->pattern = strndup(pattern, len))) {
            r->n--;
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
        }
    }
    e->wildcard = len > 0 && pattern[len - 1] == '*';
    e->prefix_len = e->wildcard ? len - 1 : len;
    e->provider = provider;
    e->strip = strip;
    return AIA_OK;
}

#define MAX_SPEC_ENTRIES 256

/* The patterns of the spec parsed so far, to refuse one given twice. */
typedef struct spec_seen {
    const char *pattern[MAX_SPEC_ENTRIES];
    size_t len[MAX_SPEC_ENTRIES];
    size_t n;
} spec_seen;

static aia_status parse_provider(const char *entry, size_t len, size_t index, const char *prov,
                                 aia_llm_provider_kind *kind, int *strip, aia_error *err)
{
    const char *end = entry + len;
    const char *colon = memchr(prov, ':', (size_t)(end - prov));
    size_t nlen = (size_t)((colon ? colon : end) - prov);
    char name[32] = "";
    if (nlen < sizeof name) memcpy(name, prov, nlen);
    *kind = nlen < sizeof name ? aia_llm_provider_parse(name) : 0;
    if (!*kind)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "llm routes entry %zu \"%.*s\": unknown provider \"%.*s\" (local, vertex, gemini-api, "
                             "openai)",
                             index + 1, (int)len, entry, (int)nlen, prov);
    *strip = colon != NULL;
    if (colon && ((size_t)(end - colon - 1) != 5 || memcmp(colon + 1, "strip", 5) != 0))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "llm routes entry %zu \"%.*s\": unknown option \"%.*s\" (only :strip)", index + 1,
                             (int)len, entry, (int)(end - colon - 1), colon + 1);
    return AIA_OK;
}

/* One "pattern=provider[:strip]" entry of a spec. */
static aia_status parse_entry(aia_llm_routes *r, const char *entry, size_t len, size_t index, spec_seen *seen,
                              aia_error *err)
{
    const char *eq = memchr(entry, '=', len);
    if (!eq || eq == entry)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "llm routes entry %zu \"%.*s\": expected pattern=provider",
                             index + 1, (int)len, entry);
    size_t plen = (size_t)(eq - entry);
    const char *star = memchr(entry, '*', plen);
    if (star && star != eq - 1)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "llm routes entry %zu \"%.*s\": '*' may only end the pattern", index + 1, (int)len,
                             entry);
    aia_llm_provider_kind kind = 0;
    int strip = 0;
    if (parse_provider(entry, len, index, eq + 1, &kind, &strip, err) != AIA_OK) return err->code;
    for (size_t i = 0; i < seen->n; i++)
        if (seen->len[i] == plen && memcmp(seen->pattern[i], entry, plen) == 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "llm routes entry %zu: pattern \"%.*s\" given twice",
                                 index + 1, (int)plen, entry);
    if (seen->n == MAX_SPEC_ENTRIES)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "llm routes: more than %d entries", MAX_SPEC_ENTRIES);
    seen->pattern[seen->n] = entry;
    seen->len[seen->n++] = plen;
    return put(r, entry, plen, kind, strip, err);
}

static aia_status parse_spec(aia_llm_routes *r, const char *spec, aia_error *err)
{
    spec_seen *seen = calloc(1, sizeof *seen);
    if (!seen) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_status st = AIA_OK;
    size_t index = 0;
    for (const char *p = spec; st == AIA_OK && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && *p == ' ') p++, len--;
        while (len && p[len - 1] == ' ') len--;
        if (len) st = parse_entry(r, p, len, index++, seen, err);
        if (!comma) break;
        p = comma + 1;
    }
    free(seen);
    return st;
}

aia_status aia_llm_routes_create(const char *spec, aia_llm_routes **out, aia_error *err)
{
    *out = NULL;
    aia_llm_routes *r = calloc(1, sizeof *r);
    if (!r) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_status st = AIA_OK;
    for (size_t i = 0; st == AIA_OK && i < sizeof k_defaults / sizeof k_defaults[0]; i++)
        st = put(r, k_defaults[i].pattern, strlen(k_defaults[i].pattern), k_defaults[i].provider, k_defaults[i].strip,
                 err);
    if (st == AIA_OK && spec && *spec) st = parse_spec(r, spec, err);
    if (st != AIA_OK) {
        aia_llm_routes_free(r);
        return st;
    }
    *out = r;
    return AIA_OK;
}

void aia_llm_routes_free(aia_llm_routes *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) free(r->entries[i].pattern);
    free(r->entries);
    free(r);
}

static int matches(const route_entry *e, const char *model, size_t len)
{
    if (e->wildcard) return len >= e->prefix_len && memcmp(model, e->pattern, e->prefix_len) == 0;
    return len == e->prefix_len && memcmp(model, e->pattern, len) == 0;
}

/* Longer prefix wins; at equal length a literal beats a wildcard. */
static int better(const route_entry *a, const route_entry *b)
{
    if (!b) return 1;
    if (a->prefix_len != b->prefix_len) return a->prefix_len > b->prefix_len;
    return !a->wildcard && b->wildcard;
}

aia_status aia_llm_route_find(const aia_llm_routes *r, const char *model, aia_llm_route *out, aia_error *err)
{
    memset(out, 0, sizeof *out);
    if (!model || !*model) return aia_error_set(err, AIA_INVALID_ARGUMENT, "model: required");
    size_t len = strlen(model);
    const route_entry *best = NULL;
    for (size_t i = 0; i < r->n; i++)
        if (matches(&r->entries[i], model, len) && better(&r->entries[i], best)) best = &r->entries[i];
    if (!best) {
        aia_strbuf sb;
        aia_strbuf_init(&sb);
        for (size_t i = 0; i < r->n; i++) aia_strbuf_printf(&sb, "%s%s", i ? ", " : "", r->entries[i].pattern);
        aia_error_set(err, AIA_NOT_FOUND, "model \"%s\" matches no LLM route (routes: %s)", model,
                      sb.oom ? "?" : sb.data);
        aia_strbuf_free(&sb);
        return err->code;
    }
    out->provider = best->provider;
    out->pattern = best->pattern;
    out->upstream_name = best->strip ? model + best->prefix_len : model;
    if (!*out->upstream_name)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "model \"%s\": no model name after \"%.*s\"", model,
                             (int)best->prefix_len, best->pattern);
    return AIA_OK;
}

size_t aia_llm_routes_count(const aia_llm_routes *r)
{
    return r->n;
}

const char *aia_llm_routes_pattern(const aia_llm_routes *r, size_t i)
{
    return i < r->n ? r->entries[i].pattern : NULL;
}

aia_llm_provider_kind aia_llm_routes_provider(const aia_llm_routes *r, size_t i)
{
    return i < r->n ? r->entries[i].provider : 0;
}
