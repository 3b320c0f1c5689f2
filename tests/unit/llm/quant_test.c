/* tests/unit/llm/quant_test.c — ggml weight types against references built
 * here from the block definitions (lib/llm/quant.h). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lib/llm/quant.h"
#include "lib/llm/quant_internal.h"

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void) {
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 16);
}

static float rnd_float(float lo, float hi) { return lo + (hi - lo) * (float)(rnd() % 1000001) / 1e6f; }

/* A random normal fp16 (exponent 5..20, so d is 2^-10 .. 2^5) and its value,
 * computed without the code under test. */
static uint16_t rnd_half(double *value) {
    uint32_t e = 5 + rnd() % 16, m = rnd() % 1024, s = rnd() % 2;
    *value = (s ? -1.0 : 1.0) * ldexp(1024.0 + m, (int)e - 25);
    return (uint16_t)((s << 15) | (e << 10) | m);
}

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* Random blocks of `type` in buf (n elements) and, in ref, what the block
 * definition says they decode to. */
static void random_row(uint32_t type, size_t n, uint8_t *buf, float *ref) {
    for (size_t b = 0; b < n / 32; b++) {
        double d, m = 0;
        if (type == AIA_GGML_Q4_0) {
            uint8_t *p = buf + 18 * b;
            put16(p, rnd_half(&d));
            for (int j = 0; j < 16; j++) {
                int lo = (int)(rnd() % 16), hi = (int)(rnd() % 16);
                p[2 + j] = (uint8_t)(lo | (hi << 4));
                ref[32 * b + j] = (float)(lo - 8) * (float)d;
                ref[32 * b + j + 16] = (float)(hi - 8) * (float)d;
            }
        } else if (type == AIA_GGML_Q4_1) {
            uint8_t *p = buf + 20 * b;
            put16(p, rnd_half(&d));
            put16(p + 2, rnd_half(&m));
            for (int j = 0; j < 16; j++) {
                int lo = (int)(rnd() % 16), hi = (int)(rnd() % 16);
                p[4 + j] = (uint8_t)(lo | (hi << 4));
                ref[32 * b + j] = (float)lo * (float)d + (float)m;
                ref[32 * b + j + 16] = (float)hi * (float)d + (float)m;
            }
        } else { /* Q8_0 */
            uint8_t *p = buf + 34 * b;
            put16(p, rnd_half(&d));
            for (int j = 0; j < 32; j++) {
                int8_t q = (int8_t)(rnd() % 256);
                p[2 + j] = (uint8_t)q;
                ref[32 * b + j] = (float)q * (float)d;
            }
        }
    }
}

static void test_dequant_matches_block_definition(void **state) {
    (void)state;
    const uint32_t types[] = {AIA_GGML_Q4_0, AIA_GGML_Q4_1, AIA_GGML_Q8_0};
    enum { N = 32 * 40 };
    for (size_t t = 0; t < 3; t++) {
        uint8_t buf[34 * N / 32];
        float ref[N], got[N];
        random_row(types[t], N, buf, ref);
        aia_error err;
        assert_int_equal(aia_quant_dequant_row(types[t], buf, N, got, &err), AIA_OK);
        for (size_t i = 0; i < N; i++)
            assert_true(fabsf(got[i] - ref[i]) <= 1e-6f * fabsf(ref[i]) + 1e-30f);
    }
}

static void test_dequant_f32_f16(void **state) {
    (void)state;
    float src[5] = {1.5f, -2.25f, 0.0f, 1e-3f, 65504.0f}, dst[5];
    aia_error err;
    assert_int_equal(aia_quant_dequant_row(AIA_GGML_F32, src, 5, dst, &err), AIA_OK);
    assert_memory_equal(src, dst, sizeof src);
    uint8_t h[10];
    const uint16_t bits[5] = {0x3e00, 0xc080, 0x0000, 0x1419, 0x7bff}; /* 1.5 -2.25 0 ~1e-3 65504 */
    for (int i = 0; i < 5; i++) put16(h + 2 * i, bits[i]);
    assert_int_equal(aia_quant_dequant_row(AIA_GGML_F16, h, 5, dst, &err), AIA_OK);
    assert_true(dst[0] == 1.5f && dst[1] == -2.25f && dst[2] == 0.0f && dst[4] == 65504.0f);
    assert_true(fabsf(dst[3] - 1e-3f) < 1e-6f);
}

/* Quantise seeded floats the way ggml's reference does (scale from the max
 * magnitude / the range), dequantise, and check the error is within the
 * block's rounding step. */
static void quantise_q4_1(const float *x, uint8_t *p) {
    float lo = x[0], hi = x[0];
    for (int j = 1; j < 32; j++) {
        lo = fminf(lo, x[j]);
        hi = fmaxf(hi, x[j]);
    }
    float d = (hi - lo) / 15.0f;
    put16(p, aia_fp32_to_fp16(d));
    put16(p + 2, aia_fp32_to_fp16(lo));
    float dq = aia_fp16_to_fp32(aia_fp32_to_fp16(d)), mq = aia_fp16_to_fp32(aia_fp32_to_fp16(lo));
    for (int j = 0; j < 16; j++) {
        int a = (int)lrintf((x[j] - mq) / dq), b = (int)lrintf((x[j + 16] - mq) / dq);
        a = a < 0 ? 0 : a > 15 ? 15 : a;
        b = b < 0 ? 0 : b > 15 ? 15 : b;
        p[4 + j] = (uint8_t)(a | (b << 4));
    }
}

static void test_quantise_then_dequantise(void **state) {
    (void)state;
    enum { N = 32 * 16 };
    float x[N], got[N];
    uint8_t q8[34 * N / 32], q4[18 * N / 32], q41[20 * N / 32];
    for (int i = 0; i < N; i++) x[i] = rnd_float(-3.0f, 3.0f);
    for (int b = 0; b < N / 32; b++) {
        const float *xb = x + 32 * b;
        float amax = 0, maxv = 0;
        for (int j = 0; j < 32; j++)
            if (fabsf(xb[j]) > amax) {
                amax = fabsf(xb[j]);
                maxv = xb[j];
            }
        /* Q8_0: d = amax / 127. */
        float d8 = amax / 127.0f;
        put16(q8 + 34 * b, aia_fp32_to_fp16(d8));
        float d8q = aia_fp16_to_fp32(aia_fp32_to_fp16(d8));
        for (int j = 0; j < 32; j++) q8[34 * b + 2 + j] = (uint8_t)(int8_t)lrintf(xb[j] / d8q);
        /* Q4_0: d = max / -8, q = x / d + 8 clamped to 0..15. */
        float d4 = maxv / -8.0f;
        put16(q4 + 18 * b, aia_fp32_to_fp16(d4));
        float d4q = aia_fp16_to_fp32(aia_fp32_to_fp16(d4));
        for (int j = 0; j < 16; j++) {
            int a = (int)lrintf(xb[j] / d4q) + 8, c = (int)lrintf(xb[j + 16] / d4q) + 8;
            a = a < 0 ? 0 : a > 15 ? 15 : a;
            c = c < 0 ? 0 : c > 15 ? 15 : c;
            q4[18 * b + 2 + j] = (uint8_t)(a | (c << 4));
        }
        quantise_q4_1(xb, q41 + 20 * b);
    }
    aia_error err;
    assert_int_equal(aia_quant_dequant_row(AIA_GGML_Q8_0, q8, N, got, &err), AIA_OK);
    for (int i = 0; i < N; i++) assert_true(fabsf(got[i] - x[i]) <= 3.0f / 127.0f * 0.51f + 1e-3f);
    assert_int_equal(aia_quant_dequant_row(AIA_GGML_Q4_0, q4, N, got, &err), AIA_OK);
    /* d = max / -8 puts the extreme on q = 0; the opposite extreme would need
     * q = 16 and clamps to 15, so Q4_0's worst error is a whole step. */
    for (int i = 0; i < N; i++) assert_true(fabsf(got[i] - x[i]) <= 3.0f / 8.0f + 1e-2f);
    assert_int_equal(aia_quant_dequant_row(AIA_GGML_Q4_1, q41, N, got, &err), AIA_OK);
    for (int i = 0; i < N; i++) assert_true(fabsf(got[i] - x[i]) <= 6.0f / 15.0f * 0.51f + 1e-2f);
}

/* ---- fp16 ------------------------------------------------------------------ */

static void test_fp16_known_values(void **state) {
    (void)state;
    assert_true(aia_fp16_to_fp32(0x3c00) == 1.0f);
    assert_true(aia_fp16_to_fp32(0xc000) == -2.0f);
    assert_true(aia_fp16_to_fp32(0x7bff) == 65504.0f);
    assert_true(aia_fp16_to_fp32(0x0400) == 0x1p-14f);
    assert_true(aia_fp16_to_fp32(0x0001) == 0x1p-24f);
    assert_true(aia_fp16_to_fp32(0x83ff) == -1023 * 0x1p-24f);
    assert_true(isinf(aia_fp16_to_fp32(0x7c00)) && aia_fp16_to_fp32(0x7c00) > 0);
    assert_true(isinf(aia_fp16_to_fp32(0xfc00)) && aia_fp16_to_fp32(0xfc00) < 0);
    assert_true(isnan(aia_fp16_to_fp32(0x7e00)) && isnan(aia_fp16_to_fp32(0x7c01)));
    assert_true(signbit(aia_fp16_to_fp32(0x8000)) && aia_fp16_to_fp32(0x8000) == 0.0f);

    assert_int_equal(aia_fp32_to_fp16(1.0f), 0x3c00);
    assert_int_equal(aia_fp32_to_fp16(-0.0f), 0x8000);
    assert_int_equal(aia_fp32_to_fp16(65504.0f), 0x7bff);
    assert_int_equal(aia_fp32_to_fp16(65519.0f), 0x7bff);
    assert_int_equal(aia_fp32_to_fp16(65520.0f), 0x7c00); /* tie goes to even = inf */
    assert_int_equal(aia_fp32_to_fp16(1e10f), 0x7c00);
    assert_int_equal(aia_fp32_to_fp16(-INFINITY), 0xfc00);
    assert_int_equal(aia_fp32_to_fp16(0x1p-25f), 0x0000);         /* tie to even zero */
    assert_int_equal(aia_fp32_to_fp16(0x1.0002p-25f), 0x0001);    /* just above the tie */
    assert_int_equal(aia_fp32_to_fp16(3 * 0x1p-25f), 0x0002);     /* 1.5 units: tie to 2 */
    assert_int_equal(aia_fp32_to_fp16(1e-10f), 0x0000);
    assert_int_equal(aia_fp32_to_fp16(1.0f + 0x1p-11f), 0x3c00);  /* tie to even */
    assert_int_equal(aia_fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3c02);
    assert_int_equal(aia_fp32_to_fp16(0x1.ffcp-15f), 0x0400);     /* subnormal rounds up to normal */
    uint16_t n = aia_fp32_to_fp16(NAN);
    assert_true((n & 0x7c00) == 0x7c00 && (n & 0x3ff) != 0);
}

static void test_fp16_exhaustive_round_trip_and_ties(void **state) {
    (void)state;
    for (uint32_t h = 0; h < 65536; h++) {
        float f = aia_fp16_to_fp32((uint16_t)h);
        uint16_t back = aia_fp32_to_fp16(f);
        if (isnan(f)) assert_true((back & 0x7c00) == 0x7c00 && (back & 0x3ff) != 0);
        else assert_int_equal(back, h);
    }
    /* Every midpoint between neighbouring finite positive halves rounds to the even one. */
    for (uint32_t h = 0; h < 0x7bff; h++) {
        float a = aia_fp16_to_fp32((uint16_t)h), b = aia_fp16_to_fp32((uint16_t)(h + 1));
        float mid = (a + b) / 2; /* exact: 12 significant bits */
        uint16_t want = (uint16_t)((h & 1) ? h + 1 : h);
        assert_int_equal(aia_fp32_to_fp16(mid), want);
        assert_int_equal(aia_fp32_to_fp16(-mid), want | 0x8000);
        assert_int_equal(aia_fp32_to_fp16(nextafterf(mid, 0)), h);
        assert_int_equal(aia_fp32_to_fp16(nextafterf(mid, INFINITY)), h + 1);
    }
}

/* ---- dot and matvec -------------------------------------------------------- */

static size_t make_row(uint32_t type, size_t n, uint8_t *buf, float *ref) {
    if (type == AIA_GGML_F32) {
        for (size_t i = 0; i < n; i++) ref[i] = rnd_float(-2, 2);
        memcpy(buf, ref, 4 * n);
        return 4 * n;
    }
    if (type == AIA_GGML_F16) {
        for (size_t i = 0; i < n; i++) {
            double v;
            put16(buf + 2 * i, rnd_half(&v));
            ref[i] = (float)v;
        }
        return 2 * n;
    }
    random_row(type, n, buf, ref);
    uint64_t bytes;
    aia_error err;
    aia_quant_row_bytes(type, n, &bytes, &err);
    return (size_t)bytes;
}

static void test_dot_equals_dequant_then_dot(void **state) {
    (void)state;
    const uint32_t types[] = {AIA_GGML_F32, AIA_GGML_F16, AIA_GGML_Q4_0, AIA_GGML_Q4_1,
                              AIA_GGML_Q8_0};
    const size_t ns[] = {32, 576, 4096};
    static uint8_t buf[4 * 4096];
    static float ref[4096], x[4096];
    for (size_t t = 0; t < 5; t++)
        for (size_t k = 0; k < 3; k++) {
            size_t n = ns[k];
            make_row(types[t], n, buf, ref);
            double want = 0, mag = 0;
            for (size_t i = 0; i < n; i++) {
                x[i] = rnd_float(-1, 1);
                want += (double)ref[i] * x[i];
                mag += fabs((double)ref[i] * x[i]);
            }
            float got;
            aia_error err;
            assert_int_equal(aia_quant_dot(types[t], buf, x, n, &got, &err), AIA_OK);
            assert_true(fabs(got - want) <= 1e-5 * mag);
        }
    /* F32 and F16 take any length, tails included. */
    make_row(AIA_GGML_F32, 37, buf, ref);
    double want = 0;
    for (size_t i = 0; i < 37; i++) want += (double)ref[i] * x[i];
    float got;
    aia_error err;
    assert_int_equal(aia_quant_dot(AIA_GGML_F32, buf, x, 37, &got, &err), AIA_OK);
    assert_true(fabs(got - want) <= 1e-5 * fabs(want) + 1e-6);
}

/* The SIMD kernels (when this CPU has them) agree with the portable ones. */
static void test_simd_matches_portable(void **state) {
    (void)state;
    if (!quant_avx2_usable()) skip();
    const uint32_t types[] = {AIA_GGML_F32, AIA_GGML_F16, AIA_GGML_Q4_0, AIA_GGML_Q4_1,
                              AIA_GGML_Q8_0};
    static uint8_t buf[4 * 1024];
    static float ref[1024], x[1024];
    for (size_t t = 0; t < 5; t++)
        for (size_t n = 32; n <= 1024; n += 96) {
            make_row(types[t], n, buf, ref);
            double mag = 0;
            for (size_t i = 0; i < n; i++) {
                x[i] = rnd_float(-1, 1);
                mag += fabs((double)ref[i] * x[i]);
            }
            float got, want = quant_dot_portable(types[t], buf, x, n);
            aia_error err;
            assert_int_equal(aia_quant_dot(types[t], buf, x, n, &got, &err), AIA_OK);
            assert_true(fabs((double)got - want) <= 1e-5 * mag);
        }
}

/* ---- quantised activations ------------------------------------------------ */

static void test_quantize_x_definition(void **state) {
    (void)state;
    enum { N = 32 * 8 };
    float x[N];
    aia_quant_xblock xq[N / 32];
    for (int i = 0; i < N; i++) x[i] = rnd_float(-5, 5) * (float)(i / 32 + 1);
    for (int j = 0; j < 32; j++) x[32 * 3 + j] = 0.0f; /* an all-zero block */
    aia_error err;
    assert_int_equal(aia_quant_quantize_x(x, N, xq, &err), AIA_OK);
    for (int b = 0; b < N / 32; b++) {
        float amax = 0;
        int sum = 0;
        for (int j = 0; j < 32; j++) amax = fmaxf(amax, fabsf(x[32 * b + j]));
        assert_true(xq[b].d == amax / 127.0f);
        for (int j = 0; j < 32; j++) {
            assert_true(xq[b].q[j] >= -127 && xq[b].q[j] <= 127);
            assert_true(fabsf((float)xq[b].q[j] * xq[b].d - x[32 * b + j]) <= xq[b].d * 0.5f * 1.0001f);
            sum += xq[b].q[j];
        }
        assert_true(xq[b].s == xq[b].d * (float)sum);
    }
    assert_true(xq[3].d == 0.0f && xq[3].q[5] == 0);
    assert_int_equal(aia_quant_quantize_x(x, 33, xq, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "activation length 33"));
    x[40] = NAN;
    assert_int_equal(aia_quant_quantize_x(x, N, xq, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "activation block 1 holds a non-finite value"));
}

/* Reference from the block definitions: sum over blocks of dw dx sum(qw qx)
 * (+ m * s for Q4_1), in double. */
static double xq_reference(uint32_t type, const uint8_t *row, const aia_quant_xblock *xq,
                           size_t n, double *mag) {
    double total = 0;
    *mag = 0;
    size_t bytes = type == AIA_GGML_Q4_0 ? 18 : type == AIA_GGML_Q4_1 ? 20 : 34;
    for (size_t b = 0; b < n / 32; b++) {
        const uint8_t *p = row + b * bytes;
        double dw = aia_fp16_to_fp32((uint16_t)(p[0] | p[1] << 8)), m = 0;
        long s = 0;
        for (int j = 0; j < 32; j++) {
            int qw;
            if (type == AIA_GGML_Q8_0) qw = (int8_t)p[2 + j];
            else {
                const uint8_t *qs = p + (type == AIA_GGML_Q4_0 ? 2 : 4);
                qw = j < 16 ? (qs[j] & 15) : (qs[j - 16] >> 4);
                if (type == AIA_GGML_Q4_0) qw -= 8;
            }
            s += (long)qw * xq[b].q[j];
        }
        if (type == AIA_GGML_Q4_1) m = aia_fp16_to_fp32((uint16_t)(p[2] | p[3] << 8));
        total += dw * xq[b].d * (double)s + m * xq[b].s;
        *mag += fabs(dw * xq[b].d * (double)s) + fabs(m * xq[b].s);
    }
    return total;
}

static void test_dot_xq(void **state) {
    (void)state;
    const uint32_t types[] = {AIA_GGML_Q4_0, AIA_GGML_Q4_1, AIA_GGML_Q8_0};
    static uint8_t buf[34 * 4096 / 32];
    static float ref[4096], x[4096];
    static aia_quant_xblock xq[4096 / 32];
    aia_error err;
    for (size_t t = 0; t < 3; t++)
        for (size_t n = 32; n <= 4096; n *= 4) {
            make_row(types[t], n, buf, ref);
            double exact = 0, bound = 0;
            for (size_t i = 0; i < n; i++) x[i] = rnd_float(-1, 1);
            assert_int_equal(aia_quant_quantize_x(x, n, xq, &err), AIA_OK);
            for (size_t i = 0; i < n; i++) {
                exact += (double)ref[i] * x[i];
                bound += fabs((double)ref[i]) * xq[i / 32].d * 0.5;
            }
            double mag, want = xq_reference(types[t], buf, xq, n, &mag);
            float got;
            assert_int_equal(aia_quant_dot_xq(types[t], buf, xq, n, &got, &err), AIA_OK);
            assert_true(fabs(got - want) <= 1e-5 * mag);
            assert_true(fabs(quant_dot_xq_portable(types[t], buf, xq, n) - want) <= 1e-5 * mag);
            /* and within the activations' rounding of the exact float product */
            assert_true(fabs(got - exact) <= bound * 1.001 + 1e-5 * mag);
            float y[2];
            assert_int_equal(aia_quant_matvec_xq(types[t], buf, 0, 1, n, xq, y, &err), AIA_OK);
            assert_true(y[0] == got);
        }
    assert_int_equal(aia_quant_dot_xq(AIA_GGML_F32, buf, xq, 32, ref, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "F32 (0) has no quantised-activation kernel"));
    assert_int_equal(aia_quant_dot_xq(AIA_GGML_Q4_1, buf, xq, 48, ref, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_quant_matvec_xq(AIA_GGML_Q4_1, buf, 3, 1, 32, xq, ref, &err),
                     AIA_INVALID_ARGUMENT);
}

static void test_matvec_rows(void **state) {
    (void)state;
    enum { ROWS = 6, N = 64 };
    uint8_t w[ROWS * 20 * N / 32];
    float ref[N], x[N], y[ROWS];
    for (int r = 0; r < ROWS; r++) random_row(AIA_GGML_Q4_1, N, w + r * 40, ref);
    for (int i = 0; i < N; i++) x[i] = rnd_float(-1, 1);
    aia_error err;
    assert_int_equal(aia_quant_matvec(AIA_GGML_Q4_1, w, 2, 5, N, x, y, &err), AIA_OK);
    for (int r = 2; r < 5; r++) {
        float d;
        assert_int_equal(aia_quant_dot(AIA_GGML_Q4_1, w + r * 40, x, N, &d, &err), AIA_OK);
        assert_true(d == y[r - 2]);
    }
    assert_int_equal(aia_quant_matvec(AIA_GGML_Q4_1, w, 5, 2, N, x, y, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "reversed"));
}

/* Several vectors at once must give, bit for bit, what one vector at a time
 * gives (a batched prompt must not change a logit), for each block type, for
 * vector counts around the four-vector kernel's width, and for a row range
 * that does not start at row 0. */
static void test_matmat_equals_matvec(void **state) {
    (void)state;
    enum { ROWS = 5, N = 96, VECS = 9 };
    /* random_row makes the block types; F32/F16 take the same per-vector loop. */
    const uint32_t types[] = {AIA_GGML_Q4_0, AIA_GGML_Q4_1, AIA_GGML_Q8_0};
    static uint8_t w[ROWS * N * 4];
    static float x[VECS * N], ref[N], y[VECS * ROWS], one[ROWS];
    static aia_quant_xblock xq[VECS * N / 32];
    for (size_t i = 0; i < VECS * N; i++) x[i] = rnd_float(-2, 2);
    aia_error err;
    assert_int_equal(aia_quant_quantize_x(x, VECS * N, xq, &err), AIA_OK);
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        uint64_t rb = 0;
        assert_int_equal(aia_quant_row_bytes(types[t], N, &rb, &err), AIA_OK);
        for (int r = 0; r < ROWS; r++) random_row(types[t], N, w + r * rb, ref);
        for (size_t nv = 1; nv <= VECS; nv++) {
            assert_int_equal(aia_quant_matmat(types[t], w, 1, ROWS, N, x, nv, y, ROWS, &err), AIA_OK);
            for (size_t v = 0; v < nv; v++) {
                assert_int_equal(aia_quant_matvec(types[t], w, 1, ROWS, N, x + v * N, one, &err), AIA_OK);
                for (int r = 0; r < ROWS - 1; r++) assert_true(y[v * ROWS + r] == one[r]);
            }
            assert_int_equal(aia_quant_matmat_xq(types[t], w, 1, ROWS, N, xq, nv, y, ROWS, &err), AIA_OK);
            for (size_t v = 0; v < nv; v++) {
                assert_int_equal(aia_quant_matvec_xq(types[t], w, 1, ROWS, N, xq + v * N / 32, one, &err), AIA_OK);
                for (int r = 0; r < ROWS - 1; r++) assert_true(y[v * ROWS + r] == one[r]);
            }
        }
    }
    assert_int_equal(aia_quant_matmat(AIA_GGML_Q4_1, w, 3, 1, N, x, 2, y, ROWS, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "reversed"));
    assert_int_equal(aia_quant_matmat(AIA_GGML_Q4_1, w, 0, 1, 33, x, 2, y, ROWS, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_quant_matmat_xq(AIA_GGML_F32, w, 0, 1, N, xq, 2, y, ROWS, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "no quantised-activation kernel"));
}

static void test_sizes_and_errors(void **state) {
    (void)state;
    uint64_t b;
    aia_error err;
    assert_int_equal(aia_quant_row_bytes(AIA_GGML_Q4_0, 64, &b, &err), AIA_OK);
    assert_int_equal(b, 36);
    assert_int_equal(aia_quant_row_bytes(AIA_GGML_Q4_1, 64, &b, &err), AIA_OK);
    assert_int_equal(b, 40);
    assert_int_equal(aia_quant_row_bytes(AIA_GGML_Q8_0, 64, &b, &err), AIA_OK);
    assert_int_equal(b, 68);
    assert_int_equal(aia_quant_row_bytes(AIA_GGML_F16, 3, &b, &err), AIA_OK);
    assert_int_equal(b, 6);
    assert_int_equal(aia_quant_row_bytes(AIA_GGML_Q6_K, 512, &b, &err), AIA_OK);
    assert_int_equal(b, 420);
    assert_int_equal(aia_quant_row_bytes(AIA_GGML_Q6_K, 32, &b, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "Q6_K's block size 256"));
    assert_int_equal(aia_quant_row_bytes(99, 32, &b, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "unknown ggml type 99"));
    assert_string_equal(aia_quant_type_name(AIA_GGML_Q4_1), "Q4_1");
    assert_string_equal(aia_quant_type_name(4), "unknown"); /* removed Q4_2 */

    float out[64], x[64] = {0};
    uint8_t row[64 * 4] = {0};
    assert_int_equal(aia_quant_dequant_row(AIA_GGML_Q4_0, row, 33, out, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "33 elements is not a positive multiple of Q4_0's block size 32"));
    assert_int_equal(aia_quant_dot(AIA_GGML_Q8_0, row, x, 0, out, &err), AIA_INVALID_ARGUMENT);
    assert_int_equal(aia_quant_dot(AIA_GGML_Q5_0, row, x, 32, out, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "Q5_0 (6) is not supported for compute"));
    assert_int_equal(aia_quant_dot(1000, row, x, 32, out, &err), AIA_INVALID_ARGUMENT);
    assert_non_null(strstr(err.message, "unknown ggml type 1000"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dequant_matches_block_definition),
        cmocka_unit_test(test_dequant_f32_f16),
        cmocka_unit_test(test_quantise_then_dequantise),
        cmocka_unit_test(test_fp16_known_values),
        cmocka_unit_test(test_fp16_exhaustive_round_trip_and_ties),
        cmocka_unit_test(test_dot_equals_dequant_then_dot),
        cmocka_unit_test(test_simd_matches_portable),
        cmocka_unit_test(test_quantize_x_definition),
        cmocka_unit_test(test_dot_xq),
        cmocka_unit_test(test_matvec_rows),
        cmocka_unit_test(test_matmat_equals_matvec),
        cmocka_unit_test(test_sizes_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
