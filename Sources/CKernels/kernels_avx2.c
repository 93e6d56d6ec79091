/* AVX2 + FMA + F16C kernels, compiled per function (the target has no -march flag). */
#include "kernels_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define CK_AVX2 __attribute__((target("avx2,fma,f16c")))

/* 8 ones then 8 zeros: loading 8 lanes at (8 - r) gives a mask of the first r lanes. */
static const int32_t a2_tail_mask[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

CK_AVX2 static inline __m256i a2_mask(size_t r) {
    return _mm256_loadu_si256((const __m256i *)(a2_tail_mask + 8 - r));
}

CK_AVX2 static inline float a2_hsum(__m256 v) {
    __m128 x = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    x = _mm_add_ps(x, _mm_movehl_ps(x, x));
    x = _mm_add_ss(x, _mm_movehdup_ps(x));
    return _mm_cvtss_f32(x);
}

CK_AVX2 static inline int32_t a2_hsum_i32(__m256i v) {
    __m128i x = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4e));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xb1));
    return _mm_cvtsi128_si32(x);
}

CK_AVX2 static inline float a2_dot(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8)
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    if (i < n) { /* maskload does not touch the masked-off lanes' memory */
        __m256i m = a2_mask(n - i);
        s1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m), s1);
    }
    return a2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

CK_AVX2 static inline float a2_l2sq(const float *a, const float *b, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
        __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
        s2 = _mm256_fmadd_ps(d2, d2, s2);
        s3 = _mm256_fmadd_ps(d3, d3, s3);
    }
    for (; i + 8 <= n; i += 8) {
        __m256 d = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(d, d, s0);
    }
    if (i < n) {
        __m256i m = a2_mask(n - i);
        __m256 d = _mm256_sub_ps(_mm256_maskload_ps(a + i, m), _mm256_maskload_ps(b + i, m));
        s1 = _mm256_fmadd_ps(d, d, s1);
    }
    return a2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
}

/* 8 codes -> 8 floats */
CK_AVX2 static inline __m256 a2_u8x8(const uint8_t *c) {
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)c)));
}

CK_AVX2 static inline float a2_u8_dot(const float *q, const uint8_t *c, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), a2_u8x8(c + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), a2_u8x8(c + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), a2_u8x8(c + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), a2_u8x8(c + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), a2_u8x8(c + i), s0);
    float total = a2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) total += q[i] * (float)c[i];
    return total;
}

/* 16 int8 pairs -> 8 int32 partial sums, exact (sign-extended to int16, then vpmaddwd). */
CK_AVX2 static inline __m256i a2_i8x16(const int8_t *a, const int8_t *b) {
    __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)a));
    __m256i y = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b));
    return _mm256_madd_epi16(x, y);
}

CK_AVX2 static inline int32_t a2_i8_dot(const int8_t *a, const int8_t *b, size_t n) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_add_epi32(s0, a2_i8x16(a + i, b + i));
        s1 = _mm256_add_epi32(s1, a2_i8x16(a + i + 16, b + i + 16));
    }
    for (; i + 16 <= n; i += 16) s0 = _mm256_add_epi32(s0, a2_i8x16(a + i, b + i));
    uint32_t total = (uint32_t)a2_hsum_i32(_mm256_add_epi32(s0, s1));
    for (; i < n; i++) total += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    return (int32_t)total;
}

CK_AVX2 static inline __m256 a2_f16x8(const uint16_t *h) {
    return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)h));
}

CK_AVX2 static inline float a2_f16_dot(const float *q, const uint16_t *h, size_t n) {
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), a2_f16x8(h + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 8), a2_f16x8(h + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 16), a2_f16x8(h + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i + 24), a2_f16x8(h + i + 24), s3);
    }
    for (; i + 8 <= n; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(q + i), a2_f16x8(h + i), s0);
    float total = a2_hsum(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < n; i++) total += q[i] * ck_half_to_float(h[i]);
    return total;
}

CK_AVX2 void ck_avx2_to_f16(const float *src, uint16_t *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    for (; i < n; i++) dst[i] = ck_float_to_half(src[i]);
}

CK_AVX2 void ck_avx2_from_f16(const uint16_t *src, float *dst, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, a2_f16x8(src + i));
    for (; i < n; i++) dst[i] = ck_half_to_float(src[i]);
}

CK_DEFINE_BATCH(CK_AVX2, a2_dot, float, float, float)
CK_DEFINE_BATCH(CK_AVX2, a2_l2sq, float, float, float)
CK_DEFINE_BATCH(CK_AVX2, a2_u8_dot, float, uint8_t, float)
CK_DEFINE_BATCH(CK_AVX2, a2_i8_dot, int8_t, int8_t, int32_t)
CK_DEFINE_BATCH(CK_AVX2, a2_f16_dot, float, uint16_t, float)

CK_AVX2 static float a2_dot_fn(const float *a, const float *b, size_t n) {
    return a2_dot(a, b, n);
}
CK_AVX2 static float a2_l2sq_fn(const float *a, const float *b, size_t n) {
    return a2_l2sq(a, b, n);
}
CK_AVX2 static float a2_u8_fn(const float *q, const uint8_t *c, size_t n) {
    return a2_u8_dot(q, c, n);
}
CK_AVX2 int32_t ck_avx2_i8_dot(const int8_t *a, const int8_t *b, size_t n) {
    return a2_i8_dot(a, b, n);
}
CK_AVX2 void ck_avx2_i8_dot_gather(const int8_t *q, const int8_t *base, size_t stride,
                                   const uint32_t *ids, size_t n_ids, size_t dim, int32_t *out) {
    a2_i8_dot_gather(q, base, stride, ids, n_ids, dim, out);
}
CK_AVX2 static float a2_f16_fn(const float *q, const uint16_t *h, size_t n) {
    return a2_f16_dot(q, h, n);
}

const ck_table ck_table_avx2 = {
    .dot = a2_dot_fn,
    .l2sq = a2_l2sq_fn,
    .dot_gather = a2_dot_gather,
    .l2sq_gather = a2_l2sq_gather,
    .dot_rows = a2_dot_rows,
    .l2sq_rows = a2_l2sq_rows,
    .u8_dot = a2_u8_fn,
    .u8_dot_gather = a2_u8_dot_gather,
    .i8_dot = ck_avx2_i8_dot,
    .i8_dot_gather = ck_avx2_i8_dot_gather,
    .f16_dot = a2_f16_fn,
    .f16_dot_gather = a2_f16_dot_gather,
    .to_f16 = ck_avx2_to_f16,
    .from_f16 = ck_avx2_from_f16,
};
#endif

/* ---- Contiguous-row kernels (IVF list scans) */
#if defined(__x86_64__)
/* sum w[j] * c[j]: 16 codes sign-extended to 16 bits, multiplied in pairs (vpmaddwd). */
CK_AVX2 static inline int32_t a2_i16i8_row(const int16_t *w, const int8_t *c, size_t n) {
    __m256i acc = _mm256_setzero_si256();
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m256i codes = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(c + j)));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(codes, _mm256_loadu_si256((const __m256i *)(w + j))));
    }
    uint32_t total = (uint32_t)a2_hsum_i32(acc);
    for (; j < n; j++) total += (uint32_t)((int32_t)w[j] * c[j]);
    return (int32_t)total;
}
CK_AVX2 static void a2_i16i8_ny(const int16_t *w, const int8_t *codes, size_t n, size_t dim,
                                int32_t *out) {
    for (size_t i = 0; i < n; i++) out[i] = a2_i16i8_row(w, codes + i * dim, dim);
}
CK_DEFINE_NY_F32(CK_AVX2, a2_dot, a2_dot)
CK_DEFINE_NY_F32(CK_AVX2, a2_l2sq, a2_l2sq)

const ck_ny_table ck_ny_table_avx2 = {
    .dot_ny = a2_dot_ny,
    .l2sq_ny = a2_l2sq_ny,
    .dot_block = a2_dot_block,
    .l2sq_block = a2_l2sq_block,
    .i16i8_ny = a2_i16i8_ny,
};
#endif
