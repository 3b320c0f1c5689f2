/* lib/llm/gguf.c — mapping and validating a GGUF file (see gguf.h). */
#include "lib/llm/gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/llm/gguf_internal.h"
#include "lib/llm/quant.h"

/* A bounds-checked cursor over the mapping. Every read names what it was
 * reading, so a truncated file says where it ends. */
typedef struct rd {
    const uint8_t *p;
    size_t size;
    size_t pos;
    aia_error *err;
} rd;

static aia_status truncated(rd *r, size_t need, const char *what) {
    return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                         "truncated file: %s needs %zu bytes at offset %zu but the file has %zu",
                         what, need, r->pos, r->size);
}

static aia_status rd_bytes(rd *r, size_t n, const char *what, const uint8_t **out) {
    if (n > r->size - r->pos) return truncated(r, n, what);
    *out = r->p + r->pos;
    r->pos += n;
    return AIA_OK;
}

static aia_status rd_u32(rd *r, const char *what, uint32_t *out) {
    const uint8_t *b = NULL;
    aia_status st = rd_bytes(r, 4, what, &b);
    if (st == AIA_OK) memcpy(out, b, 4);
    return st;
}

static aia_status rd_u64(rd *r, const char *what, uint64_t *out) {
    const uint8_t *b = NULL;
    aia_status st = rd_bytes(r, 8, what, &b);
    if (st == AIA_OK) memcpy(out, b, 8);
    return st;
}

static size_t remaining(const rd *r) { return r->size - r->pos; }

/* A GGUF string (u64 length + bytes) copied NUL-terminated into the arena. */
static aia_status rd_str(rd *r, aia_arena *a, const char *what, const char **out, uint64_t *len) {
    uint64_t n;
    aia_status st = rd_u64(r, what, &n);
    if (st != AIA_OK) return st;
    if (n > remaining(r))
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                             "truncated file: %s has length %llu at offset %zu but only %zu bytes "
                             "remain",
                             what, (unsigned long long)n, r->pos, remaining(r));
    const uint8_t *b = NULL;
    rd_bytes(r, (size_t)n, what, &b);
    char *s = aia_arena_strndup(a, (const char *)b, (size_t)n);
    if (!s) return aia_error_set(r->err, AIA_RESOURCE_EXHAUSTED, "out of memory copying %s", what);
    *out = s;
    if (len) *len = n;
    return AIA_OK;
}

/* ---- metadata values ----------------------------------------------------- */

static size_t scalar_size(uint32_t t) {
    switch (t) {
    case AIA_GGUF_U8: case AIA_GGUF_I8: case AIA_GGUF_BOOL: return 1;
    case AIA_GGUF_U16: case AIA_GGUF_I16: return 2;
    case AIA_GGUF_U32: case AIA_GGUF_I32: case AIA_GGUF_F32: return 4;
    case AIA_GGUF_U64: case AIA_GGUF_I64: case AIA_GGUF_F64: return 8;
    default: return 0;
    }
}

static aia_status rd_value(rd *r, aia_arena *a, uint32_t type, int depth, const char *what,
                           aia_gguf_value *v);

static aia_status rd_scalar(rd *r, uint32_t type, const char *what, aia_gguf_value *v) {
    const uint8_t *b = NULL;
    size_t n = scalar_size(type);
    aia_status st = rd_bytes(r, n, what, &b);
    if (st != AIA_OK) return st;
    v->type = (aia_gguf_vtype)type;
    switch (type) {
    case AIA_GGUF_U8: v->v.u = b[0]; break;
    case AIA_GGUF_I8: v->v.i = (int8_t)b[0]; break;
    case AIA_GGUF_BOOL:
        if (b[0] > 1)
            return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                                 "%s: bool byte is %u at offset %zu, must be 0 or 1", what, b[0],
                                 r->pos - 1);
        v->v.u = b[0];
        break;
    case AIA_GGUF_U16: { uint16_t x; memcpy(&x, b, 2); v->v.u = x; break; }
    case AIA_GGUF_I16: { int16_t x; memcpy(&x, b, 2); v->v.i = x; break; }
    case AIA_GGUF_U32: { uint32_t x; memcpy(&x, b, 4); v->v.u = x; break; }
    case AIA_GGUF_I32: { int32_t x; memcpy(&x, b, 4); v->v.i = x; break; }
    case AIA_GGUF_F32: { float x; memcpy(&x, b, 4); v->v.f = x; break; }
    case AIA_GGUF_U64: memcpy(&v->v.u, b, 8); break;
    case AIA_GGUF_I64: memcpy(&v->v.i, b, 8); break;
    default: memcpy(&v->v.f, b, 8); break; /* F64 */
    }
    return AIA_OK;
}

static aia_status rd_array(rd *r, aia_arena *a, int depth, const char *what, aia_gguf_value *v) {
    uint32_t elem;
    uint64_t count;
    aia_status st = rd_u32(r, what, &elem);
    if (st == AIA_OK) st = rd_u64(r, what, &count);
    if (st != AIA_OK) return st;
    if (depth >= AIA_GGUF_MAX_ARRAY_DEPTH)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT, "%s: arrays nested deeper than %d",
                             what, AIA_GGUF_MAX_ARRAY_DEPTH);
    /* The least bytes one element can take bounds the count before allocating. */
    size_t min = scalar_size(elem);
    if (elem == AIA_GGUF_STRING) min = 8;
    else if (elem == AIA_GGUF_ARRAY) min = 12;
    else if (min == 0)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                             "%s: unknown array element type %u at offset %zu", what, elem,
                             r->pos - 12);
    if (count > remaining(r) / min)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                             "truncated file: %s claims %llu %s elements of at least %zu bytes at "
                             "offset %zu but only %zu bytes remain",
                             what, (unsigned long long)count, aia_gguf_vtype_name(elem), min,
                             r->pos, remaining(r));
    v->type = AIA_GGUF_ARRAY;
    v->v.arr.elem = (aia_gguf_vtype)elem;
    v->v.arr.count = count;
    v->v.arr.raw = NULL;
    v->v.arr.items = NULL;
    if (elem != AIA_GGUF_STRING && elem != AIA_GGUF_ARRAY) {
        if (elem == AIA_GGUF_BOOL) { /* validate every bool byte */
            for (uint64_t i = 0; i < count; i++) {
                aia_gguf_value tmp;
                if ((st = rd_scalar(r, elem, what, &tmp)) != AIA_OK) return st;
            }
            v->v.arr.raw = r->p + r->pos - count;
            return AIA_OK;
        }
        return rd_bytes(r, (size_t)(count * min), what, &v->v.arr.raw);
    }
    aia_gguf_value *items = aia_arena_calloc(a, count ? (size_t)count : 1, sizeof *items);
    if (!items) return aia_error_set(r->err, AIA_RESOURCE_EXHAUSTED, "out of memory for %s", what);
    for (uint64_t i = 0; i < count; i++)
        if ((st = rd_value(r, a, elem, depth + 1, what, &items[i])) != AIA_OK) return st;
    v->v.arr.items = items;
    return AIA_OK;
}

static aia_status rd_value(rd *r, aia_arena *a, uint32_t type, int depth, const char *what,
                           aia_gguf_value *v) {
    if (type == AIA_GGUF_STRING) {
        v->type = AIA_GGUF_STRING;
        return rd_str(r, a, what, &v->v.str.ptr, &v->v.str.len);
    }
    if (type == AIA_GGUF_ARRAY) return rd_array(r, a, depth, what, v);
    if (scalar_size(type) == 0)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT, "%s: unknown value type %u", what, type);
    return rd_scalar(r, type, what, v);
}

/* ---- sections ------------------------------------------------------------ */

static aia_status rd_header(rd *r, aia_gguf *g, uint64_t *n_tensors, uint64_t *n_kv) {
    const uint8_t *magic = NULL;
    aia_status st = rd_bytes(r, 4, "header magic", &magic);
    if (st != AIA_OK) return st;
    if (memcmp(magic, "GGUF", 4) != 0)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                             "not a GGUF file: magic is %02x %02x %02x %02x, expected \"GGUF\"",
                             magic[0], magic[1], magic[2], magic[3]);
    if ((st = rd_u32(r, "header version", &g->version)) != AIA_OK) return st;
    if (g->version != 2 && g->version != 3)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                             "GGUF version %u is not supported (need 2 or 3%s)", g->version,
                             g->version > 0xffff ? "; a big-endian file?" : "");
    if ((st = rd_u64(r, "header tensor_count", n_tensors)) != AIA_OK) return st;
    if ((st = rd_u64(r, "header metadata_kv_count", n_kv)) != AIA_OK) return st;
    return AIA_OK;
}

static aia_status rd_kv(rd *r, aia_gguf *g, size_t i, uint64_t n, aia_gguf_kv *kv) {
    char what[AIA_ERROR_MESSAGE_MAX / 2];
    snprintf(what, sizeof what, "metadata key %zu (of %llu)", i, (unsigned long long)n);
    uint64_t len;
    aia_status st = rd_str(r, &g->arena, what, &kv->key, &len);
    if (st != AIA_OK) return st;
    if (len == 0 || len > 65535 || strlen(kv->key) != len)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                             "%s: length %llu, must be 1..65535 bytes without NUL", what,
                             (unsigned long long)len);
    snprintf(what, sizeof what, "metadata '%.64s' value", kv->key);
    uint32_t type;
    if ((st = rd_u32(r, what, &type)) != AIA_OK) return st;
    return rd_value(r, &g->arena, type, 0, what, &kv->value);
}

static aia_status check_alignment_kv(const aia_gguf_kv *kv, aia_gguf *g, aia_error *err) {
    if (strcmp(kv->key, "general.alignment") != 0) return AIA_OK;
    if (kv->value.type != AIA_GGUF_U32)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "general.alignment is %s, must be UINT32",
                             aia_gguf_vtype_name(kv->value.type));
    uint64_t a = kv->value.v.u;
    if (a == 0 || (a & (a - 1)) != 0 || a > (1u << 20))
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "general.alignment %llu is not a power of two up to 1 MiB",
                             (unsigned long long)a);
    g->alignment = (uint32_t)a;
    return AIA_OK;
}

static aia_status rd_dims(rd *r, aia_gguf_tensor *t, const char *what) {
    aia_status st = rd_u32(r, what, &t->n_dims);
    if (st != AIA_OK) return st;
    if (t->n_dims < 1 || t->n_dims > AIA_GGUF_MAX_DIMS)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT, "%s: n_dims %u, must be 1..%d", what,
                             t->n_dims, AIA_GGUF_MAX_DIMS);
    t->n_elements = 1;
    for (int d = 0; d < AIA_GGUF_MAX_DIMS; d++) t->dims[d] = 1;
    for (uint32_t d = 0; d < t->n_dims; d++) {
        if ((st = rd_u64(r, what, &t->dims[d])) != AIA_OK) return st;
        if (t->dims[d] == 0 || t->dims[d] > (1ull << 62) / t->n_elements)
            return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                                 "%s: dim %u is %llu (zero or the element count overflows)", what,
                                 d, (unsigned long long)t->dims[d]);
        t->n_elements *= t->dims[d];
    }
    return AIA_OK;
}

static aia_status rd_tensor_info(rd *r, aia_gguf *g, size_t i, uint64_t n, aia_gguf_tensor *t) {
    char what[AIA_ERROR_MESSAGE_MAX / 2];
    snprintf(what, sizeof what, "tensor info %zu (of %llu) name", i, (unsigned long long)n);
    uint64_t len;
    aia_status st = rd_str(r, &g->arena, what, &t->name, &len);
    if (st != AIA_OK) return st;
    if (len == 0 || len > AIA_GGUF_MAX_NAME || strlen(t->name) != len)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT,
                             "%s: length %llu, must be 1..%d bytes without NUL", what,
                             (unsigned long long)len, AIA_GGUF_MAX_NAME);
    snprintf(what, sizeof what, "tensor '%s' info", t->name);
    if ((st = rd_dims(r, t, what)) != AIA_OK) return st;
    if ((st = rd_u32(r, what, &t->type)) != AIA_OK) return st;
    if ((st = rd_u64(r, what, &t->offset)) != AIA_OK) return st;
    if (!aia_quant_type_info_of(t->type))
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT, "tensor '%s' has unknown ggml type %u",
                             t->name, t->type);
    uint64_t row;
    aia_error e;
    if (aia_quant_row_bytes(t->type, t->dims[0], &row, &e) != AIA_OK)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT, "tensor '%s': %s", t->name, e.message);
    uint64_t rows = t->n_elements / t->dims[0];
    if (rows > UINT64_MAX / row)
        return aia_error_set(r->err, AIA_INVALID_ARGUMENT, "tensor '%s': byte size overflows",
                             t->name);
    t->n_bytes = row * rows;
    return AIA_OK;
}

/* ---- cross checks -------------------------------------------------------- */

static int cmp_kv(const void *a, const void *b) {
    return strcmp((*(const aia_gguf_kv *const *)a)->key, (*(const aia_gguf_kv *const *)b)->key);
}

static int cmp_tensor_name(const void *a, const void *b) {
    return strcmp((*(const aia_gguf_tensor *const *)a)->name,
                  (*(const aia_gguf_tensor *const *)b)->name);
}

static int cmp_tensor_offset(const void *a, const void *b) {
    uint64_t x = (*(const aia_gguf_tensor *const *)a)->offset;
    uint64_t y = (*(const aia_gguf_tensor *const *)b)->offset;
    return (x > y) - (x < y);
}

/* Sorted indexes for lookup; sorting also finds duplicates in n log n. */
static aia_status index_names(aia_gguf *g, aia_error *err) {
    g->kv_sorted = aia_arena_calloc(&g->arena, g->n_kv + 1, sizeof *g->kv_sorted);
    g->t_sorted = aia_arena_calloc(&g->arena, g->n_tensors + 1, sizeof *g->t_sorted);
    if (!g->kv_sorted || !g->t_sorted)
        return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory indexing the GGUF");
    for (size_t i = 0; i < g->n_kv; i++) g->kv_sorted[i] = &g->kvs[i];
    for (size_t i = 0; i < g->n_tensors; i++) g->t_sorted[i] = &g->tensors[i];
    qsort(g->kv_sorted, g->n_kv, sizeof *g->kv_sorted, cmp_kv);
    qsort(g->t_sorted, g->n_tensors, sizeof *g->t_sorted, cmp_tensor_name);
    for (size_t i = 1; i < g->n_kv; i++)
        if (strcmp(g->kv_sorted[i - 1]->key, g->kv_sorted[i]->key) == 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "duplicate metadata key '%s'",
                                 g->kv_sorted[i]->key);
    for (size_t i = 1; i < g->n_tensors; i++)
        if (strcmp(g->t_sorted[i - 1]->name, g->t_sorted[i]->name) == 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT, "duplicate tensor name '%s'",
                                 g->t_sorted[i]->name);
    return AIA_OK;
}

/* Offsets aligned, tensors inside the file and not overlapping. */
static aia_status place_tensors(aia_gguf *g, aia_error *err) {
    uint64_t data_size = g->data_offset <= g->size ? g->size - g->data_offset : 0;
    for (size_t i = 0; i < g->n_tensors; i++) {
        aia_gguf_tensor *t = &g->tensors[i];
        if (t->offset % g->alignment != 0)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "tensor '%s' offset %llu is not a multiple of the alignment %u",
                                 t->name, (unsigned long long)t->offset, g->alignment);
        if (t->offset > data_size || t->n_bytes > data_size - t->offset)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "tensor '%s' data [%llu, +%llu) lies outside the data section of "
                                 "%llu bytes (file truncated?)",
                                 t->name, (unsigned long long)t->offset,
                                 (unsigned long long)t->n_bytes, (unsigned long long)data_size);
        t->data = g->map + g->data_offset + t->offset;
    }
    const aia_gguf_tensor **by_off = malloc((g->n_tensors + 1) * sizeof *by_off);
    if (!by_off) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < g->n_tensors; i++) by_off[i] = &g->tensors[i];
    qsort(by_off, g->n_tensors, sizeof *by_off, cmp_tensor_offset);
    aia_status st = AIA_OK;
    for (size_t i = 1; i < g->n_tensors && st == AIA_OK; i++)
        if (by_off[i - 1]->offset + by_off[i - 1]->n_bytes > by_off[i]->offset)
            st = aia_error_set(err, AIA_INVALID_ARGUMENT, "tensors '%s' and '%s' overlap",
                               by_off[i - 1]->name, by_off[i]->name);
    free(by_off);
    return st;
}

/* ---- open / close -------------------------------------------------------- */

/* Makes room for entry i. The arrays grow as entries are actually read, so a
 * corrupt count costs nothing: the file runs out first, and the error names
 * the entry it was reading. */
static int reserve(void **p, size_t *cap, size_t i, size_t elem) {
    if (i < *cap) return 1;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *q = realloc(*p, ncap * elem);
    if (!q) return 0;
    *p = q;
    *cap = ncap;
    return 1;
}

static aia_status parse(aia_gguf *g, aia_error *err) {
    rd r = {g->map, g->size, 0, err};
    uint64_t n_tensors, n_kv;
    aia_status st = rd_header(&r, g, &n_tensors, &n_kv);
    if (st != AIA_OK) return st;
    g->alignment = AIA_GGUF_DEFAULT_ALIGNMENT;
    size_t cap = 0;
    for (uint64_t i = 0; i < n_kv; i++, g->n_kv++) {
        if (!reserve((void **)&g->kvs, &cap, g->n_kv, sizeof *g->kvs))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for metadata");
        memset(&g->kvs[i], 0, sizeof g->kvs[i]);
        if ((st = rd_kv(&r, g, g->n_kv, n_kv, &g->kvs[i])) != AIA_OK) return st;
        if ((st = check_alignment_kv(&g->kvs[i], g, err)) != AIA_OK) return st;
    }
    cap = 0;
    for (uint64_t i = 0; i < n_tensors; i++, g->n_tensors++) {
        if (!reserve((void **)&g->tensors, &cap, g->n_tensors, sizeof *g->tensors))
            return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory for tensor infos");
        memset(&g->tensors[i], 0, sizeof g->tensors[i]);
        if ((st = rd_tensor_info(&r, g, g->n_tensors, n_tensors, &g->tensors[i])) != AIA_OK)
            return st;
    }
    g->data_offset = ((uint64_t)r.pos + g->alignment - 1) / g->alignment * g->alignment;
    if ((st = index_names(g, err)) != AIA_OK) return st;
    return place_tensors(g, err);
}

static aia_status map_file(const char *path, aia_gguf *g, aia_error *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return aia_error_set(err, errno == ENOENT ? AIA_NOT_FOUND : AIA_FAILED_PRECONDITION,
                             "cannot open GGUF '%s': %s", path, strerror(errno));
    struct stat sb;
    aia_status st = AIA_OK;
    if (fstat(fd, &sb) != 0)
        st = aia_error_set(err, AIA_FAILED_PRECONDITION, "cannot stat '%s': %s", path,
                           strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        st = aia_error_set(err, AIA_INVALID_ARGUMENT, "'%s' is not a regular file", path);
    else if (sb.st_size < 24)
        st = aia_error_set(err, AIA_INVALID_ARGUMENT,
                           "truncated file: header needs 24 bytes but '%s' has %lld", path,
                           (long long)sb.st_size);
    if (st == AIA_OK) {
        void *m = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED)
            st = aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "cannot map '%s': %s", path,
                               strerror(errno));
        else {
            g->map = m;
            g->size = (size_t)sb.st_size;
        }
    }
    close(fd); /* the mapping keeps the file */
    return st;
}

aia_status aia_gguf_open(const char *path, aia_gguf **out, aia_error *err) {
    *out = NULL;
    aia_gguf *g = calloc(1, sizeof *g);
    if (!g) return aia_error_set(err, AIA_RESOURCE_EXHAUSTED, "out of memory");
    aia_arena_init(&g->arena, 64 * 1024);
    aia_status st = map_file(path, g, err);
    if (st == AIA_OK && (st = parse(g, err)) != AIA_OK) aia_error_prefix(err, "GGUF '%s'", path);
    if (st != AIA_OK) {
        aia_gguf_close(g);
        return st;
    }
    *out = g;
    return AIA_OK;
}

void aia_gguf_close(aia_gguf *g) {
    if (!g) return;
    if (g->map) munmap((void *)g->map, g->size);
    aia_arena_destroy(&g->arena);
    free(g->kvs);
    free(g->tensors);
    free(g);
}
