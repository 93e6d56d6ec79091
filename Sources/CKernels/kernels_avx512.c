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

/* ---- Contiguous-row kernels (IVF list scans) */
#if defined(__x86_64__)
/* One row's accumulator: two chains of 16 lanes (masked tail in the second). Every form below
 * reduces it with a5_hsum4 in the same lane, so a row's score never depends on the form. */
CK_AVX512 static inline __m512 a5_dot_acc(const float *q, const float *x, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(x + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i + 16), _mm512_loadu_ps(x + i + 16), s1);
    }
    if (i + 16 <= n) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(x + i), s0);
        i += 16;
    }
    if (i < n) {
        __mmask16 m = A5_MASK16(n - i);
        s1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, q + i), _mm512_maskz_loadu_ps(m, x + i), s1);
    }
    return _mm512_add_ps(s0, s1);
}

CK_AVX512 static inline __m512 a5_l2sq_acc(const float *q, const float *x, size_t n) {
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(x + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(q + i + 16), _mm512_loadu_ps(x + i + 16));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    if (i + 16 <= n) {
        __m512 d = _mm512_sub_ps(_mm512_loadu_ps(q + i), _mm512_loadu_ps(x + i));
        s0 = _mm512_fmadd_ps(d, d, s0);
        i += 16;
    }
    if (i < n) {
        __mmask16 m = A5_MASK16(n - i);
        __m512 d = _mm512_sub_ps(_mm512_maskz_loadu_ps(m, q + i), _mm512_maskz_loadu_ps(m, x + i));
        s1 = _mm512_fmadd_ps(d, d, s1);
    }
    return _mm512_add_ps(s0, s1);
}

/* The sums of four accumulators, lane k from accumulator k (each lane's sum depends only on its
 * own accumulator). */
CK_AVX512 static inline __m128 a5_hsum4(__m512 a, __m512 b, __m512 c, __m512 d) {
#define A5_HALF(v) _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1))
    __m256 ab = _mm256_hadd_ps(A5_HALF(a), A5_HALF(b));
    __m256 cd = _mm256_hadd_ps(A5_HALF(c), A5_HALF(d));
#undef A5_HALF
    __m256 abcd = _mm256_hadd_ps(ab, cd);
    return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

/* Rows in groups of four, the last rows alone. No software prefetch: rows are contiguous, and
 * prefetching 1-8 KiB ahead measured 5-25% slower on 1M x 128 lists streamed from memory. */
#define A5_NY(NAME, ACC)                                                                          \
    CK_AVX512 static void NAME(const float *q, const float *rows, size_t n, size_t dim,          \
                               float *out) {                                                      \
        size_t i = 0;                                                                             \
        for (; i + 4 <= n; i += 4) {                                                              \
            const float *x = rows + i * dim;                                                      \
            _mm_storeu_ps(out + i, a5_hsum4(ACC(q, x, dim), ACC(q, x + dim, dim),                 \
                                            ACC(q, x + 2 * dim, dim), ACC(q, x + 3 * dim, dim))); \
        }                                                                                         \
        for (; i < n; i++) {                                                                      \
            __m512 z = _mm512_setzero_ps();                                                       \
            out[i] = _mm_cvtss_f32(a5_hsum4(ACC(q, rows + i * dim, dim), z, z, z));               \
        }                                                                                         \
    }
A5_NY(a5_dot_ny, a5_dot_acc)
A5_NY(a5_l2sq_ny, a5_l2sq_acc)

/* Blocks of 8 rows (in L1 after the first query) scored against every query. */
#define A5_BLOCK(NAME, ACC)                                                                       \
    CK_AVX512 static void NAME(const float *qs, size_t m, const float *rows, size_t n, size_t dim,\
                               float *out) {                                                      \
        for (size_t r = 0; r < n; r += 8) {                                                       \
            size_t g = n - r < 8 ? n - r : 8;                                                     \
            const float *x = rows + r * dim;                                                      \
            for (size_t j = 0; j < m; j++) {                                                      \
                const float *q = qs + j * dim;                                                    \
                float *o = out + j * n + r;                                                       \
                size_t i = 0;                                                                     \
                for (; i + 4 <= g; i += 4) {                                                      \
                    const float *y = x + i * dim;                                                 \
                    _mm_storeu_ps(o + i, a5_hsum4(ACC(q, y, dim), ACC(q, y + dim, dim),           \
                                                  ACC(q, y + 2 * dim, dim),                       \
                                                  ACC(q, y + 3 * dim, dim)));                     \
                }                                                                                 \
                for (; i < g; i++) {                                                              \
                    __m512 z = _mm512_setzero_ps();                                               \
                    o[i] = _mm_cvtss_f32(a5_hsum4(ACC(q, x + i * dim, dim), z, z, z));            \
                }                                                                                 \
            }                                                                                     \
        }                                                                                         \
    }
A5_BLOCK(a5_dot_block, a5_dot_acc)
A5_BLOCK(a5_l2sq_block, a5_l2sq_acc)

/* sum w[j] * c[j]: 32 codes sign-extended to 16 bits, multiplied in pairs (vpmaddwd). */
CK_AVX512 static inline int32_t a5_i16i8_row(const int16_t *w, const int8_t *c, size_t n) {
    __m512i acc = _mm512_setzero_si512();
    size_t j = 0;
    for (; j + 32 <= n; j += 32) {
        __m512i codes = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(c + j)));
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(codes, _mm512_loadu_si512(w + j)));
    }
    if (j < n) { /* masked-off lanes load as zero */
        __mmask32 m = (__mmask32)((1ull << (n - j)) - 1ull);
        __m512i codes = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(m, c + j));
        acc = _mm512_add_epi32(acc, _mm512_madd_epi16(codes, _mm512_maskz_loadu_epi16(m, w + j)));
    }
    return _mm512_reduce_add_epi32(acc);
}
CK_AVX512 static void a5_i16i8_ny(const int16_t *w, const int8_t *codes, size_t n, size_t dim,
                                  int32_t *out) {
    for (size_t i = 0; i < n; i++) out[i] = a5_i16i8_row(w, codes + i * dim, dim);
}

const ck_ny_table ck_ny_table_avx512 = {
    .dot_ny = a5_dot_ny,
    .l2sq_ny = a5_l2sq_ny,
    .dot_block = a5_dot_block,
    .l2sq_block = a5_l2sq_block,
    .i16i8_ny = a5_i16i8_ny,
};
#endif
