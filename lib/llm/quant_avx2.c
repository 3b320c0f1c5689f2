/* lib/llm/quant_avx2.c — AVX2/FMA dot kernels for x86-64, chosen at run time.
 *
 * Why run-time dispatch: the build targets baseline x86-64 (no -mavx2), yet
 * the forward pass spends nearly all its time here, so these functions are
 * compiled for AVX2+FMA+F16C by attribute and used only when the CPU has
 * them (quant_dot.c asks quant_avx2_usable). Each block's nibbles/bytes are
 * widened to 4 x 8 floats and multiplied with FMA; results equal the
 * portable kernels up to float rounding. Elsewhere the portable ones run. */
#include "lib/llm/quant_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX2_FN __attribute__((target("avx2,fma,f16c")))

int quant_avx2_usable(void) {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
}

AVX2_FN static float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

AVX2_FN static float half(const uint8_t *p) { return _cvtsh_ss(quant_le16(p)); }

/* 16 bytes -> floats of bytes 0..7 and 8..15 (unsigned or signed). */
AVX2_FN static __m256 u8_lo(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(v)); }
AVX2_FN static __m256 u8_hi(__m128i v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(v, 8)));
}
AVX2_FN static __m256 i8_lo(__m128i v) { return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v)); }
AVX2_FN static __m256 i8_hi(__m128i v) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(v, 8)));
}

/* sum over the block of w * x, with w given as 4 x 8 floats. */
AVX2_FN static __m256 block_dot(__m256 w0, __m256 w1, __m256 w2, __m256 w3, const float *x) {
    __m256 p = _mm256_mul_ps(w0, _mm256_loadu_ps(x));
    p = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + 8), p);
    p = _mm256_fmadd_ps(w2, _mm256_loadu_ps(x + 16), p);
    return _mm256_fmadd_ps(w3, _mm256_loadu_ps(x + 24), p);
}

AVX2_FN float quant_dot_q4_0_avx2(const uint8_t *b, const float *x, size_t n) {
    const __m128i mask = _mm_set1_epi8(15), eight = _mm_set1_epi8(8);
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < n; i += 32, b += 18, x += 32) {
        __m128i q = _mm_loadu_si128((const __m128i *)(b + 2));
        __m128i lo = _mm_sub_epi8(_mm_and_si128(q, mask), eight);
        __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(q, 4), mask), eight);
        __m256 p = block_dot(i8_lo(lo), i8_hi(lo), i8_lo(hi), i8_hi(hi), x);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b)), p, acc);
    }
    return hsum(acc);
}

AVX2_FN float quant_dot_q4_1_avx2(const uint8_t *b, const float *x, size_t n) {
    const __m128i mask = _mm_set1_epi8(15);
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < n; i += 32, b += 20, x += 32) {
        __m128i q = _mm_loadu_si128((const __m128i *)(b + 4));
        __m128i lo = _mm_and_si128(q, mask);
        __m128i hi = _mm_and_si128(_mm_srli_epi16(q, 4), mask);
        __m256 p = block_dot(u8_lo(lo), u8_hi(lo), u8_lo(hi), u8_hi(hi), x);
        __m256 sx = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8)),
                                  _mm256_add_ps(_mm256_loadu_ps(x + 16), _mm256_loadu_ps(x + 24)));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b)), p, acc);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b + 2)), sx, acc);
    }
    return hsum(acc);
}

/* Four activation vectors (x, x + ldx, ...) against one Q4_1 row: each
 * block's nibbles are widened once and used four times, which is what makes
 * a batch (a prompt) cheaper per token than one vector at a time. Per vector
 * the operations and their order are quant_dot_q4_1_avx2's, so each out[t]
 * is bit-identical to it: batching never changes a result. */
AVX2_FN void quant_dot4_q4_1_avx2(const uint8_t *b, const float *x, size_t ldx, size_t n, float out[4]) {
    const __m128i mask = _mm_set1_epi8(15);
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (size_t i = 0; i < n; i += 32, b += 20) {
        __m128i q = _mm_loadu_si128((const __m128i *)(b + 4));
        __m128i lo = _mm_and_si128(q, mask);
        __m128i hi = _mm_and_si128(_mm_srli_epi16(q, 4), mask);
        __m256 w0 = u8_lo(lo), w1 = u8_hi(lo), w2 = u8_lo(hi), w3 = u8_hi(hi);
        __m256 d = _mm256_set1_ps(half(b)), m = _mm256_set1_ps(half(b + 2));
        for (int t = 0; t < 4; t++) {
            const float *xt = x + (size_t)t * ldx + i;
            __m256 p = block_dot(w0, w1, w2, w3, xt);
            __m256 sx = _mm256_add_ps(_mm256_add_ps(_mm256_loadu_ps(xt), _mm256_loadu_ps(xt + 8)),
                                      _mm256_add_ps(_mm256_loadu_ps(xt + 16), _mm256_loadu_ps(xt + 24)));
            acc[t] = _mm256_fmadd_ps(d, p, acc[t]);
            acc[t] = _mm256_fmadd_ps(m, sx, acc[t]);
        }
    }
    for (int t = 0; t < 4; t++) out[t] = hsum(acc[t]);
}

AVX2_FN float quant_dot_q8_0_avx2(const uint8_t *b, const float *x, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < n; i += 32, b += 34, x += 32) {
        __m128i q0 = _mm_loadu_si128((const __m128i *)(b + 2));
        __m128i q1 = _mm_loadu_si128((const __m128i *)(b + 18));
        __m256 p = block_dot(i8_lo(q0), i8_hi(q0), i8_lo(q1), i8_hi(q1), x);
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b)), p, acc);
    }
    return hsum(acc);
}

AVX2_FN float quant_dot_f16_avx2(const uint8_t *row, const float *x, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 w = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(row + 2 * i)));
        acc = _mm256_fmadd_ps(w, _mm256_loadu_ps(x + i), acc);
    }
    float tail = 0.0f;
    for (; i < n; i++) tail += _cvtsh_ss(quant_le16(row + 2 * i)) * x[i];
    return hsum(acc) + tail;
}

AVX2_FN float quant_dot_f32_avx2(const uint8_t *row, const float *x, size_t n) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    const float *w = (const float *)(const void *)row; /* loadu: any alignment */
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
    }
    float tail = 0.0f;
    for (; i < n; i++) tail += w[i] * x[i];
    return hsum(_mm256_add_ps(acc0, acc1)) + tail;
}

/* ---- integer kernels over quantised activations --------------------------- */

/* 16 bytes of nibbles -> 32 bytes, element j (low nibble of byte j) first,
 * element j + 16 (high nibble) in the upper half: the block's own order. */
AVX2_FN static __m256i nibbles(const uint8_t *p) {
    __m128i q = _mm_loadu_si128((const __m128i *)p);
    const __m128i mask = _mm_set1_epi8(15);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), mask), _mm_and_si128(q, mask));
}

/* 8 int32 lanes of sum(u * s) for unsigned u (<= 128 as unsigned) and signed s. */
AVX2_FN static __m256 madd_us(__m256i u, __m256i s) {
    __m256i p16 = _mm256_maddubs_epi16(u, s); /* |pairs| <= 2 * 128 * 127: no saturation */
    return _mm256_cvtepi32_ps(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)));
}

/* Signed w times signed x through maddubs: |w| times x with w's sign. */
AVX2_FN static __m256 madd_ss(__m256i w, __m256i x) {
    return madd_us(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
}

AVX2_FN float quant_xq_q4_0_avx2(const uint8_t *b, const aia_quant_xblock *xq, size_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < nb; i++, b += 18) {
        __m256i w = _mm256_sub_epi8(nibbles(b + 2), _mm256_set1_epi8(8));
        __m256 p = madd_ss(w, _mm256_loadu_si256((const __m256i *)xq[i].q));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b) * xq[i].d), p, acc);
    }
    return hsum(acc);
}

AVX2_FN float quant_xq_q4_1_avx2(const uint8_t *b, const aia_quant_xblock *xq, size_t nb) {
    __m256 acc = _mm256_setzero_ps();
    float offs = 0.0f;
    for (size_t i = 0; i < nb; i++, b += 20) {
        __m256 p = madd_us(nibbles(b + 4), _mm256_loadu_si256((const __m256i *)xq[i].q));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b) * xq[i].d), p, acc);
        offs += half(b + 2) * xq[i].s;
    }
    return hsum(acc) + offs;
}

/* Four quantised vectors (xq, xq + ldx, ...) against one Q4_1 row, each
 * block's nibbles widened once; out[t] is bit-identical to
 * quant_xq_q4_1_avx2 on vector t (same operations, same order). */
AVX2_FN void quant_xq4_q4_1_avx2(const uint8_t *b, const aia_quant_xblock *xq, size_t ldx, size_t nb,
                                 float out[4]) {
    __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    float offs[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < nb; i++, b += 20) {
        __m256i w = nibbles(b + 4);
        float d = half(b), m = half(b + 2);
        for (int t = 0; t < 4; t++) {
            const aia_quant_xblock *x = xq + (size_t)t * ldx + i;
            __m256 p = madd_us(w, _mm256_loadu_si256((const __m256i *)x->q));
            acc[t] = _mm256_fmadd_ps(_mm256_set1_ps(d * x->d), p, acc[t]);
            offs[t] += m * x->s;
        }
    }
    for (int t = 0; t < 4; t++) out[t] = hsum(acc[t]) + offs[t];
}

AVX2_FN float quant_xq_q8_0_avx2(const uint8_t *b, const aia_quant_xblock *xq, size_t nb) {
    __m256 acc = _mm256_setzero_ps();
    for (size_t i = 0; i < nb; i++, b += 34) {
        __m256i w = _mm256_loadu_si256((const __m256i *)(b + 2));
        __m256 p = madd_ss(w, _mm256_loadu_si256((const __m256i *)xq[i].q));
        acc = _mm256_fmadd_ps(_mm256_set1_ps(half(b) * xq[i].d), p, acc);
    }
    return hsum(acc);
}

#else

int quant_avx2_usable(void) { return 0; }

#endif
