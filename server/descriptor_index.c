/* server/descriptor_index.c — see descriptor_index.h.
 *
 * The set is walked at the wire level (field 1, length-delimited, repeated)
 * so each file's bytes can be served straight from the blob; each file is
 * also unpacked with protobuf-c to collect its symbols. Symbols go into one
 * sorted array searched with bsearch. */
#include "server/descriptor_index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "google/protobuf/descriptor.pb-c.h"

typedef struct symbol_entry {
    char *name;
    int file;
} symbol_entry;

typedef struct file_entry {
    const unsigned char *bytes;
    size_t len;
    Google__Protobuf__FileDescriptorProto *proto;
    int *deps; /* indexes of direct dependencies */
    size_t n_deps;
} file_entry;

struct aia_descriptor_index {
    file_entry *files;
    size_t n_files;
    symbol_entry *symbols;
    size_t n_symbols, cap_symbols;
};

static int read_varint(const unsigned char **p, const unsigned char *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && *p < end; shift += 7) {
        unsigned char b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static aia_status add_symbol(aia_descriptor_index *idx, const char *prefix, const char *name, int file)
{
    if (!name || !name[0]) return AIA_DATA_LOSS; /* a declaration without a name */
    if (idx->n_symbols == idx->cap_symbols) {
        size_t cap = idx->cap_symbols ? idx->cap_symbols * 2 : 256;
        symbol_entry *s = realloc(idx->symbols, cap * sizeof *s);
        if (!s) return AIA_RESOURCE_EXHAUSTED;
        idx->symbols = s;
        idx->cap_symbols = cap;
    }
    size_t lp = strlen(prefix), ln = strlen(name);
    char *full = malloc(lp + ln + 2);
    if (!full) return AIA_RESOURCE_EXHAUSTED;
    memcpy(full, prefix, lp);
    size_t at = lp;
    if (lp) full[at++] = '.';
    memcpy(full + at, name, ln + 1);
    idx->symbols[idx->n_symbols++] = (symbol_entry){full, file};
    return AIA_OK;
}

static aia_status add_message(aia_descriptor_index *idx, const char *prefix,
                              const Google__Protobuf__DescriptorProto *m, int file)
{
    aia_status st = add_symbol(idx, prefix, m->name, file);
    if (st != AIA_OK) return st;
    const char *self = idx->symbols[idx->n_symbols - 1].name;
    for (size_t i = 0; i < m->n_nested_type && st == AIA_OK; i++) st = add_message(idx, self, m->nested_type[i], file);
    for (size_t i = 0; i < m->n_enum_type && st == AIA_OK; i++) st = add_symbol(idx, self, m->enum_type[i]->name, file);
    return st;
}

/* Returns AIA_DATA_LOSS for a nameless declaration, AIA_RESOURCE_EXHAUSTED
 * when out of memory. */
static aia_status index_file(aia_descriptor_index *idx, int fi)
{
    const Google__Protobuf__FileDescriptorProto *f = idx->files[fi].proto;
    const char *pkg = f->package ? f->package : "";
    aia_status st = AIA_OK;
    for (size_t i = 0; i < f->n_message_type && st == AIA_OK; i++) st = add_message(idx, pkg, f->message_type[i], fi);
    for (size_t i = 0; i < f->n_enum_type && st == AIA_OK; i++) st = add_symbol(idx, pkg, f->enum_type[i]->name, fi);
    for (size_t i = 0; i < f->n_service && st == AIA_OK; i++) {
        st = add_symbol(idx, pkg, f->service[i]->name, fi);
        const char *svc = st == AIA_OK ? idx->symbols[idx->n_symbols - 1].name : NULL;
        for (size_t j = 0; j < f->service[i]->n_method && st == AIA_OK; j++)
            st = add_symbol(idx, svc, f->service[i]->method[j]->name, fi);
    }
    return st;
}

static int cmp_symbol(const void *a, const void *b)
{
    return strcmp(((const symbol_entry *)a)->name, ((const symbol_entry *)b)->name);
}

/* Splits the set into per-file byte ranges. */
static aia_status split_files(aia_descriptor_index *idx, const unsigned char *blob, size_t len, aia_error *err)
{
    const unsigned char *p = blob, *end = blob + len;
    size_t cap = 0;
    while (p < end) {
        uint64_t key, n;
        if (read_varint(&p, end, &key) || key != ((1 << 3) | 2) || read_varint(&p, end, &n) ||
            n > (uint64_t)(end - p))
            return aia_error_set(err, AIA_DATA_LOSS, "descriptor set: malformed at byte %zu", (size_t)(p - blob));
        if (idx->n_files == cap) {
            cap = cap ? cap * 2 : 32;
            file_entry *f = realloc(idx->files, cap * sizeof *f);
            if (!f) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "descriptor set: out of memory");
            idx->files = f;
        }
        idx->files[idx->n_files++] = (file_entry){.bytes = p, .len = (size_t)n};
        p += n;
    }
    return AIA_OK;
}

static aia_status link_dependencies(aia_descriptor_index *idx, aia_error *err)
{
    for (size_t i = 0; i < idx->n_files; i++) {
        file_entry *fe = &idx->files[i];
        fe->deps = calloc(fe->proto->n_dependency + 1, sizeof *fe->deps);
        if (!fe->deps) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "descriptor set: out of memory");
        for (size_t d = 0; d < fe->proto->n_dependency; d++) {
            int j = aia_descriptor_index_find_file(idx, fe->proto->dependency[d]);
            if (j < 0)
                return aia_error_set(err, AIA_DATA_LOSS, "descriptor set: %s imports %s, which is missing",
                                     fe->proto->name, fe->proto->dependency[d]);
            fe->deps[fe->n_deps++] = j;
        }
    }
    return AIA_OK;
}

aia_status aia_descriptor_index_create(const unsigned char *blob, size_t len, aia_descriptor_index **out,
                                       aia_error *err)
{
    aia_descriptor_index *idx = calloc(1, sizeof *idx);
    if (!idx) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "descriptor set: out of memory");
    aia_status st = split_files(idx, blob, len, err);
    for (size_t i = 0; st == AIA_OK && i < idx->n_files; i++) {
        idx->files[i].proto = google__protobuf__file_descriptor_proto__unpack(NULL, idx->files[i].len,
                                                                              idx->files[i].bytes);
        if (!idx->files[i].proto)
            st = aia_error_set(err, AIA_DATA_LOSS, "descriptor set: file %zu does not decode", i);
        else if (!idx->files[i].proto->name || !idx->files[i].proto->name[0])
            st = aia_error_set(err, AIA_DATA_LOSS, "descriptor set: file %zu has no name", i);
        else if ((st = index_file(idx, (int)i)) != AIA_OK)
            aia_error_set(err, st, st == AIA_DATA_LOSS ? "descriptor set: %s declares something without a name"
                                                       : "descriptor set: out of memory indexing %s",
                          idx->files[i].proto->name);
    }
    if (st == AIA_OK) st = link_dependencies(idx, err);
    if (st != AIA_OK) {
        aia_descriptor_index_destroy(idx);
        return st;
    }
    if (idx->n_symbols) qsort(idx->symbols, idx->n_symbols, sizeof *idx->symbols, cmp_symbol); /* NULL when empty */
    *out = idx;
    return AIA_OK;
}

void aia_descriptor_index_destroy(aia_descriptor_index *idx)
{
    if (!idx) return;
    for (size_t i = 0; i < idx->n_files; i++) {
        if (idx->files[i].proto) google__protobuf__file_descriptor_proto__free_unpacked(idx->files[i].proto, NULL);
        free(idx->files[i].deps);
    }
    for (size_t i = 0; i < idx->n_symbols; i++) free(idx->symbols[i].name);
    free(idx->symbols);
    free(idx->files);
    free(idx);
}

int aia_descriptor_index_find_file(const aia_descriptor_index *idx, const char *name)
{
    for (size_t i = 0; i < idx->n_files; i++)
        if (idx->files[i].proto && strcmp(idx->files[i].proto->name, name) == 0) return (int)i;
    return -1;
}

int aia_descriptor_index_find_symbol(const aia_descriptor_index *idx, const char *symbol)
{
    if (symbol[0] == '.') symbol++;
    symbol_entry key = {(char *)symbol, 0};
    const symbol_entry *hit =
        idx->n_symbols ? bsearch(&key, idx->symbols, idx->n_symbols, sizeof key, cmp_symbol) : NULL;
    return hit ? hit->file : -1;
}

void aia_descriptor_index_file_bytes(const aia_descriptor_index *idx, int i, const unsigned char **bytes,
                                     size_t *len)
{
    *bytes = idx->files[i].bytes;
    *len = idx->files[i].len;
}

size_t aia_descriptor_index_file_count(const aia_descriptor_index *idx)
{
    return idx->n_files;
}

void aia_descriptor_index_closure(const aia_descriptor_index *idx, int i, int *out, size_t *n)
{
    /* Breadth-first over imports; `out` doubles as the queue. */
    *n = 0;
    out[(*n)++] = i;
    for (size_t head = 0; head < *n; head++) {
        const file_entry *fe = &idx->files[out[head]];
        for (size_t d = 0; d < fe->n_deps; d++) {
            int dep = fe->deps[d], seen = 0;
            for (size_t k = 0; k < *n && !seen; k++) seen = out[k] == dep;
            if (!seen) out[(*n)++] = dep;
        }
    }
}

/* Extensions are few (google.api.http and friends): a linear scan over
 * every file's top-level extensions is plenty. */
static int extension_matches(const Google__Protobuf__FieldDescriptorProto *x, const char *type)
{
    const char *extendee = x->extendee ? x->extendee : "";
    if (extendee[0] == '.') extendee++;
    if (type[0] == '.') type++;
    return strcmp(extendee, type) == 0;
}

int aia_descriptor_index_find_extension(const aia_descriptor_index *idx, const char *type, int number)
{
    for (size_t i = 0; i < idx->n_files; i++) {
        const Google__Protobuf__FileDescriptorProto *f = idx->files[i].proto;
        for (size_t e = 0; e < f->n_extension; e++)
            if (extension_matches(f->extension[e], type) && f->extension[e]->number == number) return (int)i;
    }
    return -1;
}

size_t aia_descriptor_index_extension_numbers(const aia_descriptor_index *idx, const char *type, int *out,
                                              size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < idx->n_files; i++) {
        const Google__Protobuf__FileDescriptorProto *f = idx->files[i].proto;
        for (size_t e = 0; e < f->n_extension; e++) {
            if (!extension_matches(f->extension[e], type)) continue;
            if (n < max) out[n] = f->extension[e]->number;
            n++;
        }
    }
    return n;
}

int aia_descriptor_index_method_kind(const aia_descriptor_index *idx, const char *service, const char *method)
{
    int fi = aia_descriptor_index_find_symbol(idx, service);
    if (fi < 0) return -1;
    const Google__Protobuf__FileDescriptorProto *f = idx->files[fi].proto;
    const char *pkg = f->package ? f->package : "";
    size_t lp = strlen(pkg);
    const char *short_name = lp && strncmp(service, pkg, lp) == 0 && service[lp] == '.' ? service + lp + 1 : service;
    for (size_t s = 0; s < f->n_service; s++) {
        if (strcmp(f->service[s]->name, short_name) != 0) continue;
        for (size_t m = 0; m < f->service[s]->n_method; m++) {
            const Google__Protobuf__MethodDescriptorProto *md = f->service[s]->method[m];
            if (strcmp(md->name, method) != 0) continue;
            int cs = md->has_client_streaming && md->client_streaming;
            int ss = md->has_server_streaming && md->server_streaming;
            return cs && ss ? AIA_METHOD_BIDI_STREAMING
                   : cs     ? AIA_METHOD_CLIENT_STREAMING
                   : ss     ? AIA_METHOD_SERVER_STREAMING
                            : AIA_METHOD_UNARY;
        }
    }
    return -1;
}
