/* lib/llm/gguf.h — read-only GGUF model files (ggml's format, versions 2 and 3).
 *
 * A GGUF file is a header ("GGUF", version, tensor count, metadata count),
 * typed key/value metadata, tensor infos (name, dims, ggml type, offset) and
 * an aligned data section. aia_gguf_open maps the file read-only and
 * validates all of it before returning: every length and offset against the
 * file size, counts against what the file could hold, array nesting, bool
 * bytes, duplicate keys and tensor names, known tensor types, rows that are a
 * whole number of blocks, tensor offsets aligned (general.alignment, default
 * 32) and tensors inside the data section without overlapping. A corrupt
 * file gives an error, never a crash: INVALID_ARGUMENT for bad content
 * ("truncated file: ... while reading <what> ..."), NOT_FOUND / other codes
 * for an unopenable path (the message names the path and errno text).
 *
 * Ownership: aia_gguf_open gives the caller an aia_gguf to free with
 * aia_gguf_close. Every pointer handed out (keys, strings, values, tensor
 * infos, tensor data, which points into the mapping) stays valid until
 * aia_gguf_close. Strings are NUL-terminated copies; their length is also
 * given since GGUF strings may contain NUL bytes.
 * Thread-safety: immutable after open; any number of threads may read one
 * aia_gguf at once. Close it after all readers are done.
 * The file must not be truncated or rewritten in place while open (the
 * mapping would fault); replace model files by rename, as the model store
 * should anyway. Tensor data is paged in lazily by the kernel.
 * Byte order: the host must be little-endian, as GGUF files are (x86, ARM). */
#ifndef AIA_LLM_GGUF_H
#define AIA_LLM_GGUF_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

/* Metadata value types, as numbered in the file. */
typedef enum aia_gguf_vtype {
    AIA_GGUF_U8 = 0,
    AIA_GGUF_I8 = 1,
    AIA_GGUF_U16 = 2,
    AIA_GGUF_I16 = 3,
    AIA_GGUF_U32 = 4,
    AIA_GGUF_I32 = 5,
    AIA_GGUF_F32 = 6,
    AIA_GGUF_BOOL = 7,
    AIA_GGUF_STRING = 8,
    AIA_GGUF_ARRAY = 9,
    AIA_GGUF_U64 = 10,
    AIA_GGUF_I64 = 11,
    AIA_GGUF_F64 = 12,
} aia_gguf_vtype;

#define AIA_GGUF_MAX_DIMS 4
#define AIA_GGUF_DEFAULT_ALIGNMENT 32
#define AIA_GGUF_MAX_NAME 64      /* tensor name bytes, as ggml limits them */
#define AIA_GGUF_MAX_ARRAY_DEPTH 8 /* nested arrays deeper than this are rejected */

typedef struct aia_gguf aia_gguf;

/* A metadata value. Scalars: the union member for the type (u for unsigned
 * and bool, i for signed, f for floats). Arrays of scalars keep the raw
 * little-endian elements in the mapping (`raw`, read them with the
 * aia_gguf_array_* functions); arrays of strings or arrays have `items`. */
typedef struct aia_gguf_value {
    aia_gguf_vtype type;
    union {
        uint64_t u;
        int64_t i;
        double f;
        struct {
            const char *ptr; /* NUL-terminated copy */
            uint64_t len;
        } str;
        struct {
            aia_gguf_vtype elem;
            uint64_t count;
            const uint8_t *raw;                /* scalar elements, else NULL */
            const struct aia_gguf_value *items; /* string/array elements, else NULL */
        } arr;
    } v;
} aia_gguf_value;

typedef struct aia_gguf_kv {
    const char *key;
    aia_gguf_value value;
} aia_gguf_kv;

typedef struct aia_gguf_tensor {
    const char *name;
    uint32_t type;   /* ggml type (lib/llm/quant.h) */
    uint32_t n_dims; /* 1..4; dims[n_dims..] are 1 */
    uint64_t dims[AIA_GGUF_MAX_DIMS]; /* dims[0] is the row length (contiguous) */
    uint64_t n_elements;
    uint64_t offset;  /* from the start of the data section */
    uint64_t n_bytes;
    const void *data; /* into the read-only mapping */
} aia_gguf_tensor;

/* Opens and validates path. On failure *out is NULL and err says why. */
aia_status aia_gguf_open(const char *path, aia_gguf **out, aia_error *err);
/* Unmaps and frees; NULL is fine. */
void aia_gguf_close(aia_gguf *g);

uint32_t aia_gguf_version(const aia_gguf *g);
uint32_t aia_gguf_alignment(const aia_gguf *g);
uint64_t aia_gguf_data_offset(const aia_gguf *g); /* file offset of the data section */

/* Metadata in file order. */
size_t aia_gguf_kv_count(const aia_gguf *g);
const aia_gguf_kv *aia_gguf_kv_at(const aia_gguf *g, size_t i); /* NULL when out of range */
/* The value of key, or NULL when absent. */
const aia_gguf_value *aia_gguf_find(const aia_gguf *g, const char *key);

/* Typed getters: NOT_FOUND when the key is absent, INVALID_ARGUMENT (naming
 * the key, its type and why) when the value does not fit. Integer getters
 * accept any integer type whose value is in range; get_f32 / get_f64 accept
 * F32, F64 and integers. */
aia_status aia_gguf_get_u32(const aia_gguf *g, const char *key, uint32_t *out, aia_error *err);
aia_status aia_gguf_get_u64(const aia_gguf *g, const char *key, uint64_t *out, aia_error *err);
aia_status aia_gguf_get_i64(const aia_gguf *g, const char *key, int64_t *out, aia_error *err);
aia_status aia_gguf_get_f32(const aia_gguf *g, const char *key, float *out, aia_error *err);
aia_status aia_gguf_get_f64(const aia_gguf *g, const char *key, double *out, aia_error *err);
aia_status aia_gguf_get_bool(const aia_gguf *g, const char *key, int *out, aia_error *err);
/* *len may be NULL. */
aia_status aia_gguf_get_str(const aia_gguf *g, const char *key, const char **out, uint64_t *len,
                            aia_error *err);
/* The array value of key (elements via the aia_gguf_array_* functions). */
aia_status aia_gguf_get_array(const aia_gguf *g, const char *key, const aia_gguf_value **out,
                              aia_error *err);

/* Element i of an array value. Out-of-range i or the wrong element kind fail
 * with INVALID_ARGUMENT. _num gives any numeric or bool element as double
 * (exact for integers up to 2^53); _i64 any integer element in range. */
aia_status aia_gguf_array_num(const aia_gguf_value *arr, uint64_t i, double *out, aia_error *err);
aia_status aia_gguf_array_i64(const aia_gguf_value *arr, uint64_t i, int64_t *out, aia_error *err);
aia_status aia_gguf_array_str(const aia_gguf_value *arr, uint64_t i, const char **out,
                              uint64_t *len, aia_error *err);
/* The nested array element i (for arrays of arrays). */
aia_status aia_gguf_array_at(const aia_gguf_value *arr, uint64_t i, const aia_gguf_value **out,
                             aia_error *err);

/* Tensors in file order, and by name (NULL when absent). */
size_t aia_gguf_tensor_count(const aia_gguf *g);
const aia_gguf_tensor *aia_gguf_tensor_at(const aia_gguf *g, size_t i);
const aia_gguf_tensor *aia_gguf_tensor_find(const aia_gguf *g, const char *name);

/* "UINT32", "STRING", ... (static; "unknown" when out of range). */
const char *aia_gguf_vtype_name(uint32_t type);

#endif
