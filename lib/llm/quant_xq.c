/* lib/llm/quant_xq.c — int8-quantised activations and integer block dots.
 * See "quantised activations" in quant.h for why. Portable kernels here,
 * AVX2 ones in quant_avx2.c, picked at run time as in quant_dot.c. */
#include <math.h>

#include "lib/llm/quant.h"
#include "lib/llm/quant_internal.h"

typedef float (*xq_fn)(const uint8_t *row, const aia_quant_xblock *xq, size_t nb);

aia_status aia_quant_quantize_x(const float *x, size_t n, aia_quant_xblock *xq, aia_error *err) {
    if (n == 0 || n % 32 != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "activation length %zu is not a positive multiple of 32", n);
    for (size_t b = 0; b < n / 32; b++, x += 32) {
        float amax = 0.0f;
        int finite = 1; /* fmaxf alone would drop a NaN */
        for (int j = 0; j < 32; j++) {
            amax = fmaxf(amax, fabsf(x[j]));
            finite &= isfinite(x[j]) != 0;
        }
        if (!finite)
            return aia_error_set(err, AIA_INVALID_ARGUMENT,
                                 "activation block %zu holds a non-finite value", b);
        float d = amax / 127.0f, id = d > 0.0f ? 1.0f / d : 0.0f;
        int sum = 0;
        for (int j = 0; j < 32; j++) {
            int q = (int)lrintf(x[j] * id); /* |x * id| <= 127 by construction */
            xq[b].q[j] = (int8_t)q;
            sum += q;
        }
        xq[b].d = d;
        xq[b].s = d * (float)sum;
    }
    return AIA_OK;
}

static float xq_q4_0(const uint8_t *b, const aia_quant_xblock *xq, size_t nb) {
    float acc = 0.0f;
    for (size_t i = 0; i < nb; i++, b += 18) {
        int s = 0;
        for (int j = 0; j < 16; j++)
            s += ((b[2 + j] & 15) - 8) * xq[i].q[j] + ((b[2 + j] >> 4) - 8) * xq[i].q[j + 16];
        acc += aia_fp16_to_fp32(quant_le16(b)) * xq[i].d * (float)s;
    }
    return acc;
}

static float xq_q4_1(const uint8_t *b, const aia_quant_xblock *xq, size_t nb) {
    float acc = 0.0f;
    for (size_t i = 0; i < nb; i++, b += 20) {
        int s = 0;
        for (int j = 0; j < 16; j++)
            s += (b[4 + j] & 15) * xq[i].q[j] + (b[4 + j] >> 4) * xq[i].q[j + 16];
        acc += aia_fp16_to_fp32(quant_le16(b)) * xq[i].d * (float)s +
               aia_fp16_to_fp32(quant_le16(b + 2)) * xq[i].s;
    }
    return acc;
}

static float xq_q8_0(const uint8_t *b, const aia_quant_xblock *xq, size_t nb) {
    float acc = 0.0f;
    for (size_t i = 0; i < nb; i++, b += 34) {
        int s = 0;
        for (int j = 0; j < 32; j++) s += (int8_t)b[2 + j] * xq[i].q[j];
        acc += aia_fp16_to_fp32(quant_le16(b)) * xq[i].d * (float)s;
    }
    return acc;
}

float quant_dot_xq_portable(uint32_t type, const uint8_t *row, const aia_quant_xblock *xq,
                            size_t n) {
    switch (type) {
    case AIA_GGML_Q4_0: return xq_q4_0(row, xq, n / 32);
    case AIA_GGML_Q4_1: return xq_q4_1(row, xq, n / 32);
    default: return xq_q8_0(row, xq, n / 32);
    }
}

static xq_fn kernel_for(uint32_t type) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (quant_avx2_usable()) {
        switch (type) {
        case AIA_GGML_Q4_0: return quant_xq_q4_0_avx2;
        case AIA_GGML_Q4_1: return quant_xq_q4_1_avx2;
        default: return quant_xq_q8_0_avx2;
        }
    }
#endif
    switch (type) {
    case AIA_GGML_Q4_0: return xq_q4_0;
    case AIA_GGML_Q4_1: return xq_q4_1;
    default: return xq_q8_0;
    }
}

static aia_status check_xq(uint32_t type, size_t n, aia_error *err) {
    if (type != AIA_GGML_Q4_0 && type != AIA_GGML_Q4_1 && type != AIA_GGML_Q8_0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "ggml type %s (%u) has no quantised-activation kernel "
                             "(supported: Q4_0, Q4_1, Q8_0)",
                             aia_quant_type_name(type), type);
    return aia_quant_check(type, n, err);
}

aia_status aia_quant_dot_xq(uint32_t type, const void *row, const aia_quant_xblock *xq, size_t n,
                            float *out, aia_error *err) {
    aia_status st = check_xq(type, n, err);
    if (st != AIA_OK) return st;
    *out = kernel_for(type)(row, xq, n / 32);
    return AIA_OK;
}

static aia_status check_xq_rows(uint32_t type, size_t row_begin, size_t row_end, size_t n, uint64_t *row_bytes,
                                aia_error *err) {
    aia_status st = check_xq(type, n, err);
    if (st != AIA_OK) return st;
    if (row_end < row_begin)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "row range [%zu, %zu) is reversed",
                             row_begin, row_end);
    return aia_quant_row_bytes(type, n, row_bytes, err);
}

typedef void (*xq4_fn)(const uint8_t *row, const aia_quant_xblock *xq, size_t ldx, size_t nb, float out[4]);

static xq4_fn kernel4_for(uint32_t type) {
#if defined(__x86_64__) && defined(__GNUC__)
    if (type == AIA_GGML_Q4_1 && quant_avx2_usable()) return quant_xq4_q4_1_avx2;
#endif
    (void)type;
    return NULL;
}

aia_status aia_quant_matmat_xq(uint32_t type, const void *w, size_t row_begin, size_t row_end, size_t n,
                               const aia_quant_xblock *xq, size_t n_vec, float *y, size_t ldy, aia_error *err) {
    uint64_t row_bytes = 0;
    aia_status st = check_xq_rows(type, row_begin, row_end, n, &row_bytes, err);
    if (st != AIA_OK) return st;
    xq_fn k = kernel_for(type);
    xq4_fn k4 = kernel4_for(type);
    size_t nb = n / 32;
    const uint8_t *base = w;
    for (size_t r = row_begin; r < row_end; r++) {
        const uint8_t *row = base + r * row_bytes;
        size_t t = 0;
        for (; k4 && t + 4 <= n_vec; t += 4) {
            float out[4];
            k4(row, xq + t * nb, nb, nb, out);
            for (int j = 0; j < 4; j++) y[(t + (size_t)j) * ldy + (r - row_begin)] = out[j];
        }
        for (; t < n_vec; t++) y[t * ldy + (r - row_begin)] = k(row, xq + t * nb, nb);
    }
    return AIA_OK;
}

aia_status aia_quant_matvec_xq(uint32_t type, const void *w, size_t row_begin, size_t row_end,
                               size_t n, const aia_quant_xblock *xq, float *y, aia_error *err) {
    return aia_quant_matmat_xq(type, w, row_begin, row_end, n, xq, 1, y, 0, err);
}
