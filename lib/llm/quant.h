/* lib/llm/quant.h — ggml weight types: sizes, fp16, dequantisation, dot products.
 *
 * The local LLM provider keeps its weights in the GGUF file's own encoding
 * (mmapped, never expanded) and multiplies them by float activations one row
 * at a time, so the dot product of a quantised row with a float vector is the
 * forward pass's hot loop. Supported for compute: F32 (0), F16 (1), Q4_0 (2),
 * Q4_1 (3) and Q8_0 (8). Block layouts (little-endian, 32 elements a block):
 *   Q4_0: fp16 d, 16 bytes of nibbles;            x = (q - 8) * d
 *   Q4_1: fp16 d, fp16 m, 16 bytes of nibbles;    x = q * d + m
 *   Q8_0: fp16 d, 32 int8;                        x = q * d
 * Nibble packing: byte j holds element j (low nibble) and element j + 16
 * (high nibble). The type table also knows the sizes of ggml's other types
 * (K-quants, integer types, BF16, ...), so the GGUF loader can bounds-check
 * any tensor, even one this module cannot compute with.
 *
 * Errors: functions returning aia_status fail with INVALID_ARGUMENT naming the
 * type and length (unknown or uncomputable type, n not a multiple of the block
 * size). Row pointers need no alignment (blocks of 18/20/34 bytes are not
 * aligned in a GGUF file). Everything here is pure: thread-safe, no state.
 * Kernels: on x86-64 CPUs with AVX2+FMA+F16C the dot products run SIMD
 * kernels chosen at run time (quant_avx2.c), elsewhere portable C; the two
 * agree to float rounding (quant_test checks). Host must be little-endian. */
#ifndef AIA_LLM_QUANT_H
#define AIA_LLM_QUANT_H

#include <stddef.h>
#include <stdint.h>

#include "lib/base/status.h"

/* ggml_type values as stored in GGUF tensor infos. */
enum {
    AIA_GGML_F32 = 0,
    AIA_GGML_F16 = 1,
    AIA_GGML_Q4_0 = 2,
    AIA_GGML_Q4_1 = 3,
    AIA_GGML_Q5_0 = 6,
    AIA_GGML_Q5_1 = 7,
    AIA_GGML_Q8_0 = 8,
    AIA_GGML_Q8_1 = 9,
    AIA_GGML_Q2_K = 10,
    AIA_GGML_Q3_K = 11,
    AIA_GGML_Q4_K = 12,
    AIA_GGML_Q5_K = 13,
    AIA_GGML_Q6_K = 14,
    AIA_GGML_Q8_K = 15,
    AIA_GGML_I8 = 24,
    AIA_GGML_I16 = 25,
    AIA_GGML_I32 = 26,
    AIA_GGML_I64 = 27,
    AIA_GGML_F64 = 28,
    AIA_GGML_BF16 = 30,
};

/* Elements per block of the simple quantised types. */
#define AIA_QUANT_BLOCK 32

typedef struct aia_quant_type_info {
    const char *name;      /* "Q4_1" */
    uint32_t block_elems;  /* elements a block encodes (1 for F32/F16) */
    uint32_t block_bytes;  /* bytes a block takes */
    int computable;        /* 1 when dequant/dot support it */
} aia_quant_type_info;

/* The type's sizes, or NULL when `type` is not a ggml type we know. Static. */
const aia_quant_type_info *aia_quant_type_info_of(uint32_t type);

/* The type's name, or "unknown" (static strings). */
const char *aia_quant_type_name(uint32_t type);

/* Bytes a row of n elements takes. Fails when the type is unknown or n is
 * not a multiple of its block size (or the size overflows). Works for every
 * known type, computable or not. */
aia_status aia_quant_row_bytes(uint32_t type, uint64_t n, uint64_t *bytes, aia_error *err);

/* Checks that rows of n elements of `type` can be dequantised/dotted: the type
 * is computable and n a positive multiple of its block size. */
aia_status aia_quant_check(uint32_t type, uint64_t n, aia_error *err);

/* Decodes n elements of the row at src into dst (n floats). */
aia_status aia_quant_dequant_row(uint32_t type, const void *src, size_t n, float *dst,
                                 aia_error *err);

/* *out = sum_i row[i] * x[i] over n elements. Accumulates per block in float
 * lanes, so it equals dequantise-then-dot up to float rounding. */
aia_status aia_quant_dot(uint32_t type, const void *row, const float *x, size_t n, float *out,
                         aia_error *err);

/* y[r - row_begin] = dot(row r of w, x) for rows [row_begin, row_end) of a
 * row-major matrix with n columns: the forward pass's matrix-vector product,
 * split by row ranges across threads. Checks once, then runs the kernel. */
aia_status aia_quant_matvec(uint32_t type, const void *w, size_t row_begin, size_t row_end,
                            size_t n, const float *x, float *y, aia_error *err);

/* Several vectors at once: for t < n_vec, y[t * ldy + (r - row_begin)] =
 * dot(row r of w, x + t * n) over rows [row_begin, row_end). Each result is
 * bit-identical to aia_quant_matvec's for that vector (batching a prompt
 * never changes a logit); where a kernel for several vectors exists (Q4_1 on
 * AVX2) a weight block is decoded once for four vectors. */
aia_status aia_quant_matmat(uint32_t type, const void *w, size_t row_begin, size_t row_end, size_t n,
                            const float *x, size_t n_vec, float *y, size_t ldy, aia_error *err);

/* ---- quantised activations (the fast path) ----------------------------------
 * llama.cpp's approach, and why it is faster: quantise the activation vector
 * once per matrix-vector product to int8 blocks, then each weight block's dot
 * is an integer multiply-add (AVX2 maddubs) and one float scale. This adds
 * the activations' own rounding (|x - q d| <= d / 2 with d = max|x| / 127
 * per block), so results differ from aia_quant_dot by that, as llama.cpp's
 * do from an exact product. Weight types: Q4_0, Q4_1, Q8_0 only. */
typedef struct aia_quant_xblock {
    float d;      /* scale: x ~ q * d */
    float s;      /* d * sum(q), for Q4_1's offset term */
    int8_t q[32];
} aia_quant_xblock;

/* Quantises x (n a positive multiple of 32) into n / 32 blocks. */
aia_status aia_quant_quantize_x(const float *x, size_t n, aia_quant_xblock *xq, aia_error *err);

/* *out = sum_i row[i] * xq[i] for a Q4_0/Q4_1/Q8_0 row of n elements. */
aia_status aia_quant_dot_xq(uint32_t type, const void *row, const aia_quant_xblock *xq, size_t n,
                            float *out, aia_error *err);

/* aia_quant_matvec with quantised activations. */
aia_status aia_quant_matvec_xq(uint32_t type, const void *w, size_t row_begin, size_t row_end,
                               size_t n, const aia_quant_xblock *xq, float *y, aia_error *err);

/* aia_quant_matmat with quantised activations: vector t is xq + t * n / 32;
 * each result bit-identical to aia_quant_matvec_xq's for that vector. */
aia_status aia_quant_matmat_xq(uint32_t type, const void *w, size_t row_begin, size_t row_end, size_t n,
                               const aia_quant_xblock *xq, size_t n_vec, float *y, size_t ldy, aia_error *err);

/* IEEE-754 binary16 <-> binary32. fp32->fp16 rounds to nearest even,
 * overflows to infinity, keeps subnormals, keeps NaN a (quiet) NaN. */
float aia_fp16_to_fp32(uint16_t h);
uint16_t aia_fp32_to_fp16(float f);

#endif
