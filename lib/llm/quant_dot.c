/* lib/llm/quant_dot.c — dot products of a weight row with a float vector.
 *
 * Why this shape: each kernel decodes one 32-element block into a small
 * float array, then accumulates into 8 independent lanes. Independent lanes
 * let the compiler use SIMD at -O2 without -ffast-math (a single scalar sum
 * would force strict left-to-right order), and there is no call per element.
 * The lanes are reduced once per row. Results differ from a sequential sum
 * only by float rounding. */
#include <string.h>

#include "lib/llm/quant.h"
#include "lib/llm/quant_internal.h"

#define LANES 8

typedef float (*dot_fn)(const uint8_t *row, const float *x, size_t n);

static float reduce(const float acc[LANES]) {
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

static float dot_f32(const uint8_t *row, const float *x, size_t n) {
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        float w[LANES];
        memcpy(w, row + 4 * i, sizeof w); /* rows need not be 4-byte aligned */
        for (int l = 0; l < LANES; l++) acc[l] += w[l] * x[i + l];
    }
    float tail = 0.0f;
    for (; i < n; i++) {
        float w;
        memcpy(&w, row + 4 * i, sizeof w);
        tail += w * x[i];
    }
    return reduce(acc) + tail;
}

static float dot_f16(const uint8_t *row, const float *x, size_t n) {
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        float w[LANES];
        for (int l = 0; l < LANES; l++) w[l] = aia_fp16_to_fp32(quant_le16(row + 2 * (i + l)));
        for (int l = 0; l < LANES; l++) acc[l] += w[l] * x[i + l];
    }
    float tail = 0.0f;
    for (; i < n; i++) tail += aia_fp16_to_fp32(quant_le16(row + 2 * i)) * x[i];
    return reduce(acc) + tail;
}

/* p[l] = sum over the block's 4 chunks of w * x in lane l. */
static void block_products(const float w[32], const float *x, float p[LANES]) {
    for (int l = 0; l < LANES; l++) p[l] = 0.0f;
    for (int k = 0; k < 32; k += LANES)
        for (int l = 0; l < LANES; l++) p[l] += w[k + l] * x[k + l];
}

static float dot_q4_0(const uint8_t *b, const float *x, size_t n) {
    float acc[LANES] = {0};
    for (size_t i = 0; i < n; i += 32, b += 18, x += 32) {
        float d = aia_fp16_to_fp32(quant_le16(b));
        float w[32], p[LANES];
        for (int j = 0; j < 16; j++) {
            w[j] = (float)((int)(b[2 + j] & 15) - 8);
            w[j + 16] = (float)((int)(b[2 + j] >> 4) - 8);
        }
        block_products(w, x, p);
        for (int l = 0; l < LANES; l++) acc[l] += d * p[l];
    }
    return reduce(acc);
}

/* sum (q d + m) x = d * sum(q x) + m * sum(x). */
static float dot_q4_1(const uint8_t *b, const float *x, size_t n) {
    float acc[LANES] = {0};
    for (size_t i = 0; i < n; i += 32, b += 20, x += 32) {
        float d = aia_fp16_to_fp32(quant_le16(b));
        float m = aia_fp16_to_fp32(quant_le16(b + 2));
        float w[32], p[LANES], sx[LANES];
        for (int j = 0; j < 16; j++) {
            w[j] = (float)(b[4 + j] & 15);
            w[j + 16] = (float)(b[4 + j] >> 4);
        }
        block_products(w, x, p);
        for (int l = 0; l < LANES; l++) sx[l] = (x[l] + x[l + 8]) + (x[l + 16] + x[l + 24]);
        for (int l = 0; l < LANES; l++) acc[l] += d * p[l] + m * sx[l];
    }
    return reduce(acc);
}

static float dot_q8_0(const uint8_t *b, const float *x, size_t n) {
    float acc[LANES] = {0};
    for (size_t i = 0; i < n; i += 32, b += 34, x += 32) {
        float d = aia_fp16_to_fp32(quant_le16(b));
        float w[32], p[LANES];
        for (int j = 0; j < 32; j++) w[j] = (float)(int8_t)b[2 + j];
        block_products(w, x, p);
        for (int l = 0; l < LANES; l++) acc[l] += d * p[l];
    }
    return reduce(acc);
}

static dot_fn portable_kernel(uint32_t type) {
    switch (type) {
    case AIA_GGML_F32: return dot_f32;
    case AIA_GGML_F16: return dot_f16;
    case AIA_GGML_Q4_0: return dot_q4_0;
    case AIA_GGML_Q4_1: return dot_q4_1;
    default: return dot_q8_0; /* callers ran aia_quant_check first */
    }
}

float quant_dot_portable(uint32_t type, const uint8_t *row, const float *x, size_t n) {
    return portable_kernel(type)(row, x, n);
}

#if defined(__x86_64__) && defined(__GNUC__)
static dot_fn avx2_kernel(uint32_t type) {
    switch (type) {
    case AIA_GGML_F32: return quant_dot_f32_avx2;
    case AIA_GGML_F16: return quant_dot_f16_avx2;
    case AIA_GGML_Q4_0: return quant_dot_q4_0_avx2;
    case AIA_GGML_Q4_1: return quant_dot_q4_1_avx2;
    default: return quant_dot_q8_0_avx2;
    }
}
#endif

static dot_fn kernel_for(uint32_t type) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (quant_avx2_usable()) return avx2_kernel(type);
#endif
    return portable_kernel(type);
}

aia_status aia_quant_dot(uint32_t type, const void *row, const float *x, size_t n, float *out,
                         aia_error *err) {
    aia_status st = aia_quant_check(type, n, err);
    if (st != AIA_OK) return st;
    *out = kernel_for(type)(row, x, n);
    return AIA_OK;
}

static aia_status check_rows(uint32_t type, size_t row_begin, size_t row_end, size_t n, uint64_t *row_bytes,
                             aia_error *err) {
    aia_status st = aia_quant_check(type, n, err);
    if (st != AIA_OK) return st;
    if (row_end < row_begin)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "row range [%zu, %zu) is reversed",
                             row_begin, row_end);
    return aia_quant_row_bytes(type, n, row_bytes, err);
}

typedef void (*dot4_fn)(const uint8_t *row, const float *x, size_t ldx, size_t n, float out[4]);

static dot4_fn kernel4_for(uint32_t type) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (type == AIA_GGML_Q4_1 && quant_avx2_usable()) return quant_dot4_q4_1_avx2;
#endif
    (void)type;
    return NULL;
}

aia_status aia_quant_matmat(uint32_t type, const void *w, size_t row_begin, size_t row_end, size_t n,
                            const float *x, size_t n_vec, float *y, size_t ldy, aia_error *err) {
    uint64_t row_bytes = 0;
    aia_status st = check_rows(type, row_begin, row_end, n, &row_bytes, err);
    if (st != AIA_OK) return st;
    dot_fn k = kernel_for(type);
    dot4_fn k4 = kernel4_for(type);
    const uint8_t *base = w;
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = base + r * row_bytes;
        size_t t = 0;
        for (; k4 && t + 4 <= n_vec; t += 4) {
            float out[4];
            k4(row, x + t * n, n, n, out);
            for (int j = 0; j < 4; j++) y[(t + (size_t)j) * ldy + (r - row_begin)] = out[j];
        }
        for (; t < n_vec; t++) y[t * ldy + (r - row_begin)] = k(row, x + t * n, n);
    }
    return AIA_OK;
}

aia_status aia_quant_matvec(uint32_t type, const void *w, size_t row_begin, size_t row_end,
                            size_t n, const float *x, float *y, aia_error *err) {
    return aia_quant_matmat(type, w, row_begin, row_end, n, x, 1, y, 0, err);
}
