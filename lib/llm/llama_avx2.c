/* lib/llm/llama_avx2.c — AVX2+FMA versions of the attention's two inner
 * loops (query-key dot products, weighted sums of values), compiled by
 * target attribute and chosen at run time as lib/llm/quant does: the rest of
 * the build stays baseline x86-64. They sum in 8 lanes in a fixed order, so
 * a machine always gives the same results, whatever the thread count. */
#include "lib/llm/llama_internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define AVX2_FN __attribute__((target("avx2,fma")))

int llama_avx2_usable(void) { return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"); }

AVX2_FN float llama_dot_avx2(const float *a, const float *b, size_t n) {
    __m256 acc = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    float r = _mm_cvtss_f32(s);
    for (; i < n; i++) r += a[i] * b[i];
    return r;
}

AVX2_FN void llama_axpy_avx2(float *y, float w, const float *x, size_t n) {
    __m256 vw = _mm256_set1_ps(w);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(vw, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += w * x[i];
}

#else

int llama_avx2_usable(void) { return 0; }

#endif
