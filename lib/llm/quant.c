/* lib/llm/quant.c — ggml type sizes, fp16 conversion and row dequantisation.
 * The dot-product kernels live in quant_dot.c. */
#include "lib/llm/quant.h"

#include <string.h>

#include "lib/llm/quant_internal.h"

/* Indexed by ggml_type; a zero block_elems marks a hole (removed or unknown types). */
static const aia_quant_type_info k_types[] = {
    [AIA_GGML_F32] = {"F32", 1, 4, 1},
    [AIA_GGML_F16] = {"F16", 1, 2, 1},
    [AIA_GGML_Q4_0] = {"Q4_0", 32, 18, 1},
    [AIA_GGML_Q4_1] = {"Q4_1", 32, 20, 1},
    [AIA_GGML_Q5_0] = {"Q5_0", 32, 22, 0},
    [AIA_GGML_Q5_1] = {"Q5_1", 32, 24, 0},
    [AIA_GGML_Q8_0] = {"Q8_0", 32, 34, 1},
    [AIA_GGML_Q8_1] = {"Q8_1", 32, 36, 0},
    [AIA_GGML_Q2_K] = {"Q2_K", 256, 84, 0},
    [AIA_GGML_Q3_K] = {"Q3_K", 256, 110, 0},
    [AIA_GGML_Q4_K] = {"Q4_K", 256, 144, 0},
    [AIA_GGML_Q5_K] = {"Q5_K", 256, 176, 0},
    [AIA_GGML_Q6_K] = {"Q6_K", 256, 210, 0},
    [AIA_GGML_Q8_K] = {"Q8_K", 256, 292, 0},
    [AIA_GGML_I8] = {"I8", 1, 1, 0},
    [AIA_GGML_I16] = {"I16", 1, 2, 0},
    [AIA_GGML_I32] = {"I32", 1, 4, 0},
    [AIA_GGML_I64] = {"I64", 1, 8, 0},
    [AIA_GGML_F64] = {"F64", 1, 8, 0},
    [AIA_GGML_BF16] = {"BF16", 1, 2, 0},
};

const aia_quant_type_info *aia_quant_type_info_of(uint32_t type) {
    if (type >= sizeof k_types / sizeof k_types[0] || k_types[type].block_elems == 0) return NULL;
    return &k_types[type];
}

const char *aia_quant_type_name(uint32_t type) {
    const aia_quant_type_info *t = aia_quant_type_info_of(type);
    return t ? t->name : "unknown";
}

aia_status aia_quant_row_bytes(uint32_t type, uint64_t n, uint64_t *bytes, aia_error *err) {
    const aia_quant_type_info *t = aia_quant_type_info_of(type);
    if (!t) return aia_error_set(err, AIA_INVALID_ARGUMENT, "unknown ggml type %u", type);
    if (n % t->block_elems != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "row of %llu elements is not a multiple of %s's block size %u",
                             (unsigned long long)n, t->name, t->block_elems);
    uint64_t blocks = n / t->block_elems;
    if (blocks > UINT64_MAX / t->block_bytes)
        return aia_error_set(err, AIA_INVALID_ARGUMENT, "row of %llu %s elements overflows",
                             (unsigned long long)n, t->name);
    *bytes = blocks * t->block_bytes;
    return AIA_OK;
}

aia_status aia_quant_check(uint32_t type, uint64_t n, aia_error *err) {
    const aia_quant_type_info *t = aia_quant_type_info_of(type);
    if (!t) return aia_error_set(err, AIA_INVALID_ARGUMENT, "unknown ggml type %u", type);
    if (!t->computable)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "ggml type %s (%u) is not supported for compute "
                             "(supported: F32, F16, Q4_0, Q4_1, Q8_0)",
                             t->name, type);
    if (n == 0 || n % t->block_elems != 0)
        return aia_error_set(err, AIA_INVALID_ARGUMENT,
                             "row of %llu elements is not a positive multiple of %s's block size %u",
                             (unsigned long long)n, t->name, t->block_elems);
    return AIA_OK;
}

/* ---- fp16 ---------------------------------------------------------------- */

static float bits_to_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

float aia_fp16_to_fp32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    if (exp == 0) {
        /* Zero or subnormal: mant * 2^-24, exact in float. */
        float v = (float)mant * 0x1p-24f;
        return sign ? -v : v;
    }
    if (exp == 31) return bits_to_f32(sign | 0x7f800000u | (mant << 13)); /* inf / NaN */
    return bits_to_f32(sign | ((exp + 112u) << 23) | (mant << 13));
}

/* Shifts m right by `shift` bits, rounding to nearest, ties to even. */
static uint32_t shift_round_even(uint32_t m, unsigned shift) {
    uint32_t q = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return q;
}

uint16_t aia_fp32_to_fp16(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t a = x & 0x7fffffffu;
    if (a > 0x7f800000u) /* NaN: keep the top payload bits, force quiet so it stays NaN */
        return (uint16_t)(sign | 0x7e00u | ((a >> 13) & 0x3ffu));
    if (a >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds past 65504 */
    if (a >= 0x38800000u) {                                  /* normal half */
        uint32_t e = (a >> 23) - 112u;
        uint32_t m = shift_round_even((a & 0x7fffffu) | 0x800000u, 13); /* 11 bits, may carry */
        return (uint16_t)(sign | ((e << 10) + (m - 0x400u)));
    }
    if (a <= 0x33000000u) return sign; /* at or below half the smallest subnormal */
    /* Subnormal half: value / 2^-24 = mantissa * 2^(E + 1), E in [-25, -15]. */
    int e = (int)(a >> 23) - 127;
    uint32_t m = (a & 0x7fffffu) | 0x800000u;
    return (uint16_t)(sign | shift_round_even(m, (unsigned)(-(e + 1))));
}

/* ---- dequantisation ------------------------------------------------------ */

static void dequant_f16(const uint8_t *s, size_t n, float *dst) {
    for (size_t i = 0; i < n; i++) dst[i] = aia_fp16_to_fp32(quant_le16(s + 2 * i));
}

static void dequant_q4_0(const uint8_t *b, size_t nb, float *dst) {
    for (size_t i = 0; i < nb; i++, b += 18, dst += 32) {
        float d = aia_fp16_to_fp32(quant_le16(b));
        for (int j = 0; j < 16; j++) {
            dst[j] = (float)((int)(b[2 + j] & 15) - 8) * d;
            dst[j + 16] = (float)((int)(b[2 + j] >> 4) - 8) * d;
        }
    }
}

static void dequant_q4_1(const uint8_t *b, size_t nb, float *dst) {
    for (size_t i = 0; i < nb; i++, b += 20, dst += 32) {
        float d = aia_fp16_to_fp32(quant_le16(b));
        float m = aia_fp16_to_fp32(quant_le16(b + 2));
        for (int j = 0; j < 16; j++) {
            dst[j] = (float)(b[4 + j] & 15) * d + m;
            dst[j + 16] = (float)(b[4 + j] >> 4) * d + m;
        }
    }
}

static void dequant_q8_0(const uint8_t *b, size_t nb, float *dst) {
    for (size_t i = 0; i < nb; i++, b += 34, dst += 32) {
        float d = aia_fp16_to_fp32(quant_le16(b));
        for (int j = 0; j < 32; j++) dst[j] = (float)(int8_t)b[2 + j] * d;
    }
}

aia_status aia_quant_dequant_row(uint32_t type, const void *src, size_t n, float *dst,
                                 aia_error *err) {
    aia_status st = aia_quant_check(type, n, err);
    if (st != AIA_OK) return st;
    const uint8_t *s = src;
    switch (type) {
    case AIA_GGML_F32: memcpy(dst, s, n * sizeof(float)); break;
    case AIA_GGML_F16: dequant_f16(s, n, dst); break;
    case AIA_GGML_Q4_0: dequant_q4_0(s, n / 32, dst); break;
    case AIA_GGML_Q4_1: dequant_q4_1(s, n / 32, dst); break;
    default: dequant_q8_0(s, n / 32, dst); break; /* Q8_0: aia_quant_check let only these through */
    }
    return AIA_OK;
}
