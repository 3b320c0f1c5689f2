/* lib/llm/gguf_get.c — metadata and tensor lookups on an opened GGUF. */
#include <stdlib.h>
#include <string.h>

#include "lib/llm/gguf.h"
#include "lib/llm/gguf_internal.h"

static const char *const k_vtype_names[] = {
    "UINT8", "INT8", "UINT16", "INT16", "UINT32", "INT32",  "FLOAT32",
    "BOOL",  "STRING", "ARRAY", "UINT64", "INT64", "FLOAT64",
};

const char *aia_gguf_vtype_name(uint32_t type) {
    return type < sizeof k_vtype_names / sizeof k_vtype_names[0] ? k_vtype_names[type] : "unknown";
}

uint32_t aia_gguf_version(const aia_gguf *g) { return g->version; }
uint32_t aia_gguf_alignment(const aia_gguf *g) { return g->alignment; }
uint64_t aia_gguf_data_offset(const aia_gguf *g) { return g->data_offset; }
size_t aia_gguf_kv_count(const aia_gguf *g) { return g->n_kv; }
size_t aia_gguf_tensor_count(const aia_gguf *g) { return g->n_tensors; }

const aia_gguf_kv *aia_gguf_kv_at(const aia_gguf *g, size_t i) {
    return i < g->n_kv ? &g->kvs[i] : NULL;
}

const aia_gguf_tensor *aia_gguf_tensor_at(const aia_gguf *g, size_t i) {
    return i < g->n_tensors ? &g->tensors[i] : NULL;
}

static int cmp_key(const void *key, const void *elem) {
    return strcmp(key, (*(const aia_gguf_kv *const *)elem)->key);
}

static int cmp_name(const void *name, const void *elem) {
    return strcmp(name, (*(const aia_gguf_tensor *const *)elem)->name);
}

const aia_gguf_value *aia_gguf_find(const aia_gguf *g, const char *key) {
    const aia_gguf_kv *const *kv = bsearch(key, g->kv_sorted, g->n_kv, sizeof *kv, cmp_key);
    return kv ? &(*kv)->value : NULL;
}

const aia_gguf_tensor *aia_gguf_tensor_find(const aia_gguf *g, const char *name) {
    const aia_gguf_tensor *const *t = bsearch(name, g->t_sorted, g->n_tensors, sizeof *t, cmp_name);
    return t ? *t : NULL;
}

/* ---- scalar getters ------------------------------------------------------ */

static aia_status lookup(const aia_gguf *g, const char *key, const aia_gguf_value **v,
                         aia_error *err) {
    *v = aia_gguf_find(g, key);
    if (!*v) return aia_error_set(err, AIA_NOT_FOUND, "GGUF metadata key '%s' is absent", key);
    return AIA_OK;
}

static int is_unsigned(aia_gguf_vtype t) {
    return t == AIA_GGUF_U8 || t == AIA_GGUF_U16 || t == AIA_GGUF_U32 || t == AIA_GGUF_U64;
}

static int is_signed(aia_gguf_vtype t) {
    return t == AIA_GGUF_I8 || t == AIA_GGUF_I16 || t == AIA_GGUF_I32 || t == AIA_GGUF_I64;
}

static aia_status wrong(const char *key, const aia_gguf_value *v, const char *want,
                        aia_error *err) {
    return aia_error_set(err, AIA_INVALID_ARGUMENT, "GGUF metadata '%s' is %s, expected %s", key,
                         aia_gguf_vtype_name(v->type), want);
}

aia_status aia_gguf_get_u64(const aia_gguf *g, const char *key, uint64_t *out, aia_error *err) {
    const aia_gguf_value *v;
    aia_status st = lookup(g, key, &v, err);
    if (st != AIA_OK) return st;
    if (is_unsigned(v->type)) *out = v->v.u;
    else if (is_signed(v->type) && v->v.i >= 0) *out = (uint64_t)v->v.i;
    else return wrong(key, v, "a non-negative integer", err);
    return AIA_OK;
}

aia_status aia_gguf_get_u32(const aia_gguf *g, const char *key, uint32_t *out, aia_error *err) {
    uint64_t x;
    aia_status st = aia_gguf_get_u64(g, key, &x, err);
    if (st != AIA_OK) return st;
    if (x > UINT32_MAX)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "GGUF metadata '%s' = %llu exceeds UINT32",
                             key, (unsigned long long)x);
    *out = (uint32_t)x;
    return AIA_OK;
}

aia_status aia_gguf_get_i64(const aia_gguf *g, const char *key, int64_t *out, aia_error *err) {
    const aia_gguf_value *v;
    aia_status st = lookup(g, key, &v, err);
    if (st != AIA_OK) return st;
    if (is_signed(v->type)) *out = v->v.i;
    else if (is_unsigned(v->type) && v->v.u <= (uint64_t)INT64_MAX) *out = (int64_t)v->v.u;
    else return wrong(key, v, "an integer in INT64 range", err);
    return AIA_OK;
}

aia_status aia_gguf_get_f64(const aia_gguf *g, const char *key, double *out, aia_error *err) {
    const aia_gguf_value *v;
    aia_status st = lookup(g, key, &v, err);
    if (st != AIA_OK) return st;
    if (v->type == AIA_GGUF_F32 || v->type == AIA_GGUF_F64) *out = v->v.f;
    else if (is_unsigned(v->type)) *out = (double)v->v.u;
    else if (is_signed(v->type)) *out = (double)v->v.i;
    else return wrong(key, v, "a number", err);
    return AIA_OK;
}

aia_status aia_gguf_get_f32(const aia_gguf *g, const char *key, float *out, aia_error *err) {
    double d;
    aia_status st = aia_gguf_get_f64(g, key, &d, err);
    if (st == AIA_OK) *out = (float)d;
    return st;
}

aia_status aia_gguf_get_bool(const aia_gguf *g, const char *key, int *out, aia_error *err) {
    const aia_gguf_value *v;
    aia_status st = lookup(g, key, &v, err);
    if (st != AIA_OK) return st;
    if (v->type != AIA_GGUF_BOOL) return wrong(key, v, "BOOL", err);
    *out = (int)v->v.u;
    return AIA_OK;
}

aia_status aia_gguf_get_str(const aia_gguf *g, const char *key, const char **out, uint64_t *len,
                            aia_error *err) {
    const aia_gguf_value *v;
    aia_status st = lookup(g, key, &v, err);
    if (st != AIA_OK) return st;
    if (v->type != AIA_GGUF_STRING) return wrong(key, v, "STRING", err);
    *out = v->v.str.ptr;
    if (len) *len = v->v.str.len;
    return AIA_OK;
}

aia_status aia_gguf_get_array(const aia_gguf *g, const char *key, const aia_gguf_value **out,
                              aia_error *err) {
    const aia_gguf_value *v;
    aia_status st = lookup(g, key, &v, err);
    if (st != AIA_OK) return st;
    if (v->type != AIA_GGUF_ARRAY) return wrong(key, v, "ARRAY", err);
    *out = v;
    return AIA_OK;
}

/* ---- array elements ------------------------------------------------------ */

static aia_status check_index(const aia_gguf_value *arr, uint64_t i, aia_error *err) {
    if (arr->type != AIA_GGUF_ARRAY)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "value is %s, not an ARRAY",
                             aia_gguf_vtype_name(arr->type));
    if (i >= arr->v.arr.count)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "array index %llu out of range (count %llu)",
                             (unsigned long long)i, (unsigned long long)arr->v.arr.count);
    return AIA_OK;
}

/* Decodes raw scalar element i into a value (reading little-endian bytes). */
static void raw_elem(const aia_gguf_value *arr, uint64_t i, aia_gguf_value *v) {
    const uint8_t *p = arr->v.arr.raw;
    v->type = arr->v.arr.elem;
    switch (arr->v.arr.elem) {
    case AIA_GGUF_U8: case AIA_GGUF_BOOL: v->v.u = p[i]; break;
    case AIA_GGUF_I8: v->v.i = (int8_t)p[i]; break;
    case AIA_GGUF_U16: { uint16_t x; memcpy(&x, p + 2 * i, 2); v->v.u = x; break; }
    case AIA_GGUF_I16: { int16_t x; memcpy(&x, p + 2 * i, 2); v->v.i = x; break; }
    case AIA_GGUF_U32: { uint32_t x; memcpy(&x, p + 4 * i, 4); v->v.u = x; break; }
    case AIA_GGUF_I32: { int32_t x; memcpy(&x, p + 4 * i, 4); v->v.i = x; break; }
    case AIA_GGUF_F32: { float x; memcpy(&x, p + 4 * i, 4); v->v.f = x; break; }
    case AIA_GGUF_U64: memcpy(&v->v.u, p + 8 * i, 8); break;
    case AIA_GGUF_I64: memcpy(&v->v.i, p + 8 * i, 8); break;
    default: memcpy(&v->v.f, p + 8 * i, 8); break;
    }
}

static aia_status scalar_elem(const aia_gguf_value *arr, uint64_t i, aia_gguf_value *v,
                              aia_error *err) {
    aia_status st = check_index(arr, i, err);
    if (st != AIA_OK) return st;
    if (!arr->v.arr.raw)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "array of %s has no numeric elements",
                             aia_gguf_vtype_name(arr->v.arr.elem));
    raw_elem(arr, i, v);
    return AIA_OK;
}

aia_status aia_gguf_array_num(const aia_gguf_value *arr, uint64_t i, double *out, aia_error *err) {
    aia_gguf_value v;
    aia_status st = scalar_elem(arr, i, &v, err);
    if (st != AIA_OK) return st;
    if (v.type == AIA_GGUF_F32 || v.type == AIA_GGUF_F64) *out = v.v.f;
    else if (is_signed(v.type)) *out = (double)v.v.i;
    else *out = (double)v.v.u; /* unsigned and bool */
    return AIA_OK;
}

aia_status aia_gguf_array_i64(const aia_gguf_value *arr, uint64_t i, int64_t *out, aia_error *err) {
    aia_gguf_value v;
    aia_status st = scalar_elem(arr, i, &v, err);
    if (st != AIA_OK) return st;
    if (is_signed(v.type)) *out = v.v.i;
    else if (is_unsigned(v.type) && v.v.u <= (uint64_t)INT64_MAX) *out = (int64_t)v.v.u;
    else
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "array element %llu is %s, not an integer in INT64 range",
                             (unsigned long long)i, aia_gguf_vtype_name(v.type));
    return AIA_OK;
}

aia_status aia_gguf_array_str(const aia_gguf_value *arr, uint64_t i, const char **out,
                              uint64_t *len, aia_error *err) {
    aia_status st = check_index(arr, i, err);
    if (st != AIA_OK) return st;
    if (arr->v.arr.elem != AIA_GGUF_STRING)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "array of %s, not of STRING",
                             aia_gguf_vtype_name(arr->v.arr.elem));
    *out = arr->v.arr.items[i].v.str.ptr;
    if (len) *len = arr->v.arr.items[i].v.str.len;
    return AIA_OK;
}

aia_status aia_gguf_array_at(const aia_gguf_value *arr, uint64_t i, const aia_gguf_value **out,
                             aia_error *err) {
    aia_status st = check_index(arr, i, err);
    if (st != AIA_OK) return st;
    if (arr->v.arr.elem != AIA_GGUF_ARRAY)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "array of %s, not of ARRAY",
                             aia_gguf_vtype_name(arr->v.arr.elem));
    *out = &arr->v.arr.items[i];
    return AIA_OK;
}
