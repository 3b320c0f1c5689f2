/* lib/llm/quant_internal.h — helpers shared by quant.c and quant_dot.c. Private. */
#ifndef AIA_LLM_QUANT_INTERNAL_H
#define AIA_LLM_QUANT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "lib/llm/quant.h"

/* Little-endian u16 at any alignment (GGUF blocks are not aligned). */
static inline uint16_t quant_le16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* quant_avx2.c: 1 when this CPU runs the AVX2+FMA+F16C kernels below (only
 * then may they be called; on other targets they do not exist). */
int quant_avx2_usable(void);
float quant_dot_f32_avx2(const uint8_t *row, const float *x, size_t n);
float quant_dot_f16_avx2(const uint8_t *row, const float *x, size_t n);
float quant_dot_q4_0_avx2(const uint8_t *row, const float *x, size_t n);
float quant_dot_q4_1_avx2(const uint8_t *row, const float *x, size_t n);
float quant_dot_q8_0_avx2(const uint8_t *row, const float *x, size_t n);
/* Four vectors x, x + ldx, x + 2 ldx, x + 3 ldx at once; out[t] is
 * bit-identical to quant_dot_q4_1_avx2 on vector t. */
void quant_dot4_q4_1_avx2(const uint8_t *row, const float *x, size_t ldx, size_t n, float out[4]);
/* Integer kernels over nb blocks of quantised activations (quant_xq.c). */
float quant_xq_q4_0_avx2(const uint8_t *row, const aia_quant_xblock *xq, size_t nb);
float quant_xq_q4_1_avx2(const uint8_t *row, const aia_quant_xblock *xq, size_t nb);
float quant_xq_q8_0_avx2(const uint8_t *row, const aia_quant_xblock *xq, size_t nb);
/* Four vectors xq, xq + ldx, ... at once; out[t] is bit-identical to
 * quant_xq_q4_1_avx2 on vector t. */
void quant_xq4_q4_1_avx2(const uint8_t *row, const aia_quant_xblock *xq, size_t ldx, size_t nb, float out[4]);

/* The portable kernels, for tests comparing them with the SIMD ones. */
float quant_dot_portable(uint32_t type, const uint8_t *row, const float *x, size_t n);
float quant_dot_xq_portable(uint32_t type, const uint8_t *row, const aia_quant_xblock *xq,
                            size_t n);

#endif
