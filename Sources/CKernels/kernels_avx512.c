/* AVX-512 kernels (F, BW, VL, DQ with FMA and F16C), compiled per function. Tails use masked
 * loads, which never fault on the masked-off lanes. The int8 dot uses VNNI (vpdpbusd). */
#include "kernels_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define CK_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c")))
#define CK_AVX512_VNNI \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vnni,avx2,fma,f16c")))

/* First r lanes (r < 16). */
#define A5_MASK16(r) ((__mmask16)((1u << (r)) - 1u))

CK_AVX512 static inline float a5_sum4(__m512 s0, __m512 s1, __m512 s2, __m512 s3) {
    return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(s0, s1), _mm512_add_ps(s2, s3)));
}

CK_AVX512 static inline float a5_dot(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48), s3);
    }
    for (; i + 16 <= n; i += 16)
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
    if (i < n) {
        __mmask16 m = A5_MASK16(n - i);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), s1);
    }
    return a5_sum4(s0, s1, s2, s3);
}

CK_AVX512 static inline float a5_l2sq(const float *a, const float *b, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        __m512 d2 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 32), _mm512_loadu_ps(b + i + 32));
        __m512 d3 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 48), _mm512_loadu_ps(b + i + 48));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
        s2 = _mm512_fmadd_ps(d2, d2, s2);
        s3 = _mm512_fmadd_ps(d3, d3, s3);
    }
    for (; i + 16 <= n; i += 16) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        s0 = _mm512_fmadd_ps(d, d, s0);
    }
    if (i < n) {
        __mmask16 m = A5_MASK16(n - i);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i));
        s1 = _mm512_fmadd_ps(d, d, s1);
    }
    return a5_sum4(s0, s1, s2, s3);
}

/* 16 codes (loaded as 16 bytes) -> 16 floats */
CK_AVX512 static inline __m512 a5_u8x16(__m128i bytes) {
    return _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
}
#define A5_LOAD16(p) _mm_loadu_si128((const __m128i *)(p))

CK_AVX512 static inline float a5_u8_dot(const float *q, const uint8_t *c, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), a5_u8x16(A5_LOAD16(c + i)), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), a5_u8x16(A5_LOAD16(c + i + 16)), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 32), a5_u8x16(A5_LOAD16(c + i + 32)), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 48), a5_u8x16(A5_LOAD16(c + i + 48)), s3);
    }
    for (; i + 16 <= n; i += 16)
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), a5_u8x16(A5_LOAD16(c + i)), s0);
    if (i < n) {
        __mmask16 m = A5_MASK16(n - i);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i),
                             a5_u8x16(_mm_maskz_loadu_epi8(m, c + i)), s1);
    }
    return a5_sum4(s0, s1, s2, s3);
}

/* a . b for int8 with vpdpbusd (unsigned x signed): (a + 128) . b - 128 * sum(b), both sums by
 * vpdpbusd, exact over the whole int8 range. Lanes wrap like the scalar uint32 sums. */
CK_AVX512_VNNI static inline int32_t a5_i8_dot(const int8_t *a, const int8_t *b, size_t n) {
    const __m512i bias = _mm512_set1_epi8((char)0x80), ones = _mm512_set1_epi8(1);
    __m512i acc = _mm512_setzero_si512(), bsum = acc;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        __m512i va = _mm512_xor_si512(_mm512_loadu_si512(a + i), bias);
        __m512i vb = _mm512_loadu_si512(b + i);
        acc = _mm512_dpbusd_epi32(acc, va, vb);
        bsum = _mm512_dpbusd_epi32(bsum, ones, vb);
    }
    if (i < n) { /* masked-off b lanes are 0, so their (a + 128) * b terms vanish */
        __mmask64 m = (__mmask64)((1ull << (n - i)) - 1ull);
        __m512i va = _mm512_xor_si512(_mm512_maskz_loadu_epi8(m, a + i), bias);
        __m512i vb = _mm512_maskz_loadu_epi8(m, b + i);
        acc = _mm512_dpbusd_epi32(acc, va, vb);
        bsum = _mm512_dpbusd_epi32(bsum, ones, vb);
    }
    uint32_t total = (uint32_t)_mm512_reduce_add_epi32(acc);
    uint32_t correction = (uint32_t)_mm512_reduce_add_epi32(bsum) * 128u;
    return (int32_t)(total - correction);
}

CK_AVX512 static inline float a5_f16_dot(const float *q, const uint16_t *h, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
#define A5_F16(p) _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(p)))
    size_t i = 0;
    for (; i + 64 <= n; i += 64) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), A5_F16(h + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), A5_F16(h + i + 16), s1);
        s2 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 32), A5_F16(h + i + 32), s2);
        s3 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 48), A5_F16(h + i + 48), s3);
    }
    for (; i + 16 <= n; i += 16) s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), A5_F16(h + i), s0);
#undef A5_F16
    if (i < n) {
        __mmask16 m = A5_MASK16(n - i);
        __m512 x = _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, h + i));
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i), x, s1);
    }
    return a5_sum4(s0, s1, s2, s3);
}

CK_DEFINE_BATCH(CK_AVX512, a5_dot, float, float, float)
CK_DEFINE_BATCH(CK_AVX512, a5_l2sq, float, float, float)
CK_DEFINE_BATCH(CK_AVX512, a5_u8_dot, float, uint8_t, float)
CK_DEFINE_BATCH(CK_AVX512_VNNI, a5_i8_dot, int8_t, int8_t, int32_t)
CK_DEFINE_BATCH(CK_AVX512, a5_f16_dot, float, uint16_t, float)

CK_AVX512 static float a5_dot_fn(const float *a, const float *b, size_t n) {
    return a5_dot(a, b, n);
}
CK_AVX512 static float a5_l2sq_fn(const float *a, const float *b, size_t n) {
    return a5_l2sq(a, b, n);
}
CK_AVX512 static float a5_u8_fn(const float *q, const uint8_t *c, size_t n) {
    return a5_u8_dot(q, c, n);
}
CK_AVX512_VNNI static int32_t a5_i8_fn(const int8_t *a, const int8_t *b, size_t n) {
    return a5_i8_dot(a, b, n);
}
CK_AVX512 static float a5_f16_fn(const float *q, const uint16_t *h, size_t n) {
    return a5_f16_dot(q, h, n);
}

#define A5_TABLE(I8, I8_GATHER)                                                                 \
    {                                                                                           \
        .dot = a5_dot_fn, .l2sq = a5_l2sq_fn, .dot_gather = a5_dot_gather,                      \
        .l2sq_gather = a5_l2sq_gather, .dot_rows = a5_dot_rows, .l2sq_rows = a5_l2sq_rows,      \
        .u8_dot = a5_u8_fn, .u8_dot_gather = a5_u8_dot_gather, .i8_dot = I8,                    \
        .i8_dot_gather = I8_GATHER, .f16_dot = a5_f16_fn, .f16_dot_gather = a5_f16_dot_gather, \
        .to_f16 = ck_avx2_to_f16, .from_f16 = ck_avx2_from_f16,                                 \
    }

const ck_table ck_table_avx512 = A5_TABLE(a5_i8_fn, a5_i8_dot_gather);
const ck_table ck_table_avx512_novnni = A5_TABLE(ck_avx2_i8_dot, ck_avx2_i8_dot_gather);
#endif
