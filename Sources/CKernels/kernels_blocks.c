/* Blocked uint8 scan (include/ck_blocks.h): many rows of one-byte codes against one query that
 * is split into two int8 parts. With VNNI one vpdpbusd scores 16 rows x 4 components for each
 * part, so a 128-d row costs 4 instructions and no horizontal sum; the AVX2 level widens codes
 * to 16 bits (madd) and sums pairs once per block. All levels give identical scores: each is
 * the same sequence of float roundings (a product, then a sum; never fused). */
#include "kernels_internal.h"
#include <math.h>

static const float ck_blocks_lo_scale = 1.0f / 254.0f;

/* Where row i's 4 bytes of group 0 sit in the blocks (group g is 64 bytes further per g). */
static inline size_t ck_blocks_row_offset(size_t groups, size_t i) {
    return (i / 16) * groups * 64 + (i % 16) * 4;
}

/* f = float(hi) + float(lo) / 254, then f + alpha * a when a row term is given. */
static inline float ck_blocks_score(int32_t hi, int32_t lo, const float *a, float alpha, size_t i) {
    float low = (float)lo * ck_blocks_lo_scale;
    float f = (float)hi + low;
    if (a) {
        float t = alpha * a[i];
        f = f + t;
    }
    return f;
}

static inline void ck_blocks_dots_generic(const int8_t *hi, const int8_t *lo, const uint8_t *blocks,
                                          size_t groups, size_t i, int32_t *sh, int32_t *sl) {
    const uint8_t *block = blocks + ck_blocks_row_offset(groups, i);
    int32_t h = 0, l = 0;
    for (size_t g = 0; g < groups; g++) {
        for (size_t t = 0; t < 4; t++) {
            int32_t c = block[g * 64 + t];
            h += c * hi[g * 4 + t];
            l += c * lo[g * 4 + t];
        }
    }
    *sh = h;
    *sl = l;
}

static size_t ck_u8_blocks_scan_generic(const int8_t *hi, const int8_t *lo, const uint8_t *blocks,
                                        size_t n_rows, size_t groups, const float *a, float alpha,
                                        float min_score, uint32_t *passing) {
    size_t count = 0;
    for (size_t i = 0; i < n_rows; i++) {
        int32_t sh, sl;
        ck_blocks_dots_generic(hi, lo, blocks, groups, i, &sh, &sl);
        if (ck_blocks_score(sh, sl, a, alpha, i) >= min_score) passing[count++] = (uint32_t)i;
    }
    return count;
}

static float ck_u8_blocks_scores_generic(const int8_t *hi, const int8_t *lo, const uint8_t *blocks,
                                         size_t n_rows, size_t groups, const float *a, float alpha,
                                         float *scores) {
    float best = -INFINITY;
    for (size_t i = 0; i < n_rows; i++) {
        int32_t sh, sl;
        ck_blocks_dots_generic(hi, lo, blocks, groups, i, &sh, &sl);
        float f = ck_blocks_score(sh, sl, a, alpha, i);
        scores[i] = f;
        if (f > best) best = f;
    }
    return best;
}

static size_t ck_scores_at_least_generic(const float *scores, size_t n, float min_score, uint32_t *passing) {
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        passing[count] = (uint32_t)i;
        count += scores[i] >= min_score;
    }
    return count;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define CK_BLOCKS_AVX2 __attribute__((target("avx2,fma")))
#define CK_BLOCKS_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

static inline int32_t ck_blocks_word(const int8_t *p) {
    int32_t w;
    memcpy(&w, p, 4);
    return w;
}

/* The lanes of a block of 16 that hold one of the `left` rows still to do. */
static inline __mmask16 ck_blocks_valid(size_t left) {
    return left < 16 ? (__mmask16)((1u << left) - 1) : (__mmask16)0xFFFF;
}

/* Appends the lane numbers set in m, plus `first`, to passing[count...]; returns the new count. */
CK_BLOCKS_VNNI static inline size_t ck_blocks_compress(uint32_t *passing, size_t count, __mmask16 m, size_t first) {
    if (!m) return count;
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    _mm512_mask_compressstoreu_epi32(passing + count, m, _mm512_add_epi32(lanes, _mm512_set1_epi32((int32_t)first)));
    return count + (size_t)__builtin_popcount((unsigned)m);
}

/* The 16 scores of block b (rows past n_rows hold code 0 and are masked by the callers). */
CK_BLOCKS_VNNI static inline __m512 ck_blocks_block_vnni(const int8_t *hi, const int8_t *lo,
                                                         const uint8_t *blocks, size_t n_rows,
                                                         size_t groups, const float *a, float alpha,
                                                         size_t b) {
    const uint8_t *block = blocks + b * groups * 64;
    __m512i h0 = _mm512_setzero_si512(), h1 = h0, l0 = h0, l1 = h0;
    size_t g = 0;
    for (; g + 2 <= groups; g += 2) {
        __m512i c0 = _mm512_loadu_si512(block + g * 64);
        __m512i c1 = _mm512_loadu_si512(block + g * 64 + 64);
        h0 = _mm512_dpbusd_epi32(h0, c0, _mm512_set1_epi32(ck_blocks_word(hi + g * 4)));
        l0 = _mm512_dpbusd_epi32(l0, c0, _mm512_set1_epi32(ck_blocks_word(lo + g * 4)));
        h1 = _mm512_dpbusd_epi32(h1, c1, _mm512_set1_epi32(ck_blocks_word(hi + g * 4 + 4)));
        l1 = _mm512_dpbusd_epi32(l1, c1, _mm512_set1_epi32(ck_blocks_word(lo + g * 4 + 4)));
    }
    if (g < groups) {
        __m512i c0 = _mm512_loadu_si512(block + g * 64);
        h0 = _mm512_dpbusd_epi32(h0, c0, _mm512_set1_epi32(ck_blocks_word(hi + g * 4)));
        l0 = _mm512_dpbusd_epi32(l0, c0, _mm512_set1_epi32(ck_blocks_word(lo + g * 4)));
    }
    __m512 f = _mm512_add_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(h0, h1)),
                             _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(l0, l1)),
                                           _mm512_set1_ps(ck_blocks_lo_scale)));
    if (a) {
        __mmask16 m = ck_blocks_valid(n_rows - b * 16);
        f = _mm512_add_ps(f, _mm512_mul_ps(_mm512_set1_ps(alpha), _mm512_maskz_loadu_ps(m, a + b * 16)));
    }
    return f;
}

CK_BLOCKS_VNNI static size_t ck_u8_blocks_scan_vnni(const int8_t *hi, const int8_t *lo,
                                                   const uint8_t *blocks, size_t n_rows,
                                                   size_t groups, const float *a, float alpha,
                                                   float min_score, uint32_t *passing) {
    size_t count = 0;
    const size_t n_blocks = (n_rows + 15) / 16;
    const __m512 minimum = _mm512_set1_ps(min_score);
    for (size_t b = 0; b < n_blocks; b++) {
        if (b + 4 < n_blocks) ck_prefetch_bytes(blocks + (b + 4) * groups * 64, groups * 64);
        __m512 f = ck_blocks_block_vnni(hi, lo, blocks, n_rows, groups, a, alpha, b);
        __mmask16 m = _mm512_mask_cmp_ps_mask(ck_blocks_valid(n_rows - b * 16), f, minimum, _CMP_GE_OQ);
        count = ck_blocks_compress(passing, count, m, b * 16);
    }
    return count;
}

CK_BLOCKS_VNNI static float ck_u8_blocks_scores_vnni(const int8_t *hi, const int8_t *lo,
                                                    const uint8_t *blocks, size_t n_rows,
                                                    size_t groups, const float *a, float alpha,
                                                    float *scores) {
    const size_t n_blocks = (n_rows + 15) / 16;
    __m512 best = _mm512_set1_ps(-INFINITY);
    for (size_t b = 0; b < n_blocks; b++) {
        __m512 f = ck_blocks_block_vnni(hi, lo, blocks, n_rows, groups, a, alpha, b);
        __mmask16 m = ck_blocks_valid(n_rows - b * 16);
        _mm512_mask_storeu_ps(scores + b * 16, m, f);
        best = _mm512_mask_max_ps(best, m, best, f);
    }
    return n_rows ? _mm512_reduce_max_ps(best) : -INFINITY;
}

CK_BLOCKS_VNNI static size_t ck_scores_at_least_avx512(const float *scores, size_t n, float min_score,
                                                       uint32_t *passing) {
    size_t count = 0;
    const __m512 minimum = _mm512_set1_ps(min_score);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 valid = ck_blocks_valid(n - i);
        __mmask16 m = _mm512_mask_cmp_ps_mask(valid, _mm512_maskz_loadu_ps(valid, scores + i), minimum, _CMP_GE_OQ);
        count = ck_blocks_compress(passing, count, m, i);
    }
    return count;
}

/* Sums of adjacent int32 pairs of `a` (rows 0-3 of a quarter) and `b` (rows 4-7), in row order. */
CK_BLOCKS_AVX2 static inline __m256i ck_blocks_pairs(__m256i a, __m256i b) {
    return _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(a, b), _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
}

/* The scores of block b as two halves (rows 0-7, 8-15); lanes past n_rows are unspecified. */
CK_BLOCKS_AVX2 static inline void ck_blocks_block_avx2(const int8_t *hi, const int8_t *lo,
                                                       const uint8_t *blocks, size_t n_rows,
                                                       size_t groups, const float *a, float alpha,
                                                       size_t b, __m256 out[2]) {
    const uint8_t *block = blocks + b * groups * 64;
    /* Quarter k holds rows 4k ... 4k+3 as int32 pairs (components 01, 23 of each row). */
    __m256i h[4], l[4];
    for (int k = 0; k < 4; k++) h[k] = l[k] = _mm256_setzero_si256();
    for (size_t g = 0; g < groups; g++) {
        /* The group's 4 query components, as int16, repeated for 4 rows. */
        __m256i qh = _mm256_set1_epi64x((long long)_mm_cvtsi128_si64(
            _mm_cvtepi8_epi16(_mm_cvtsi32_si128(ck_blocks_word(hi + g * 4)))));
        __m256i ql = _mm256_set1_epi64x((long long)_mm_cvtsi128_si64(
            _mm_cvtepi8_epi16(_mm_cvtsi32_si128(ck_blocks_word(lo + g * 4)))));
        const uint8_t *p = block + g * 64;
        for (int k = 0; k < 4; k++) {
            __m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(p + 16 * k)));
            h[k] = _mm256_add_epi32(h[k], _mm256_madd_epi16(c, qh));
            l[k] = _mm256_add_epi32(l[k], _mm256_madd_epi16(c, ql));
        }
    }
    const __m256 lo_scale = _mm256_set1_ps(ck_blocks_lo_scale);
    for (int half = 0; half < 2; half++) {
        __m256i sh = ck_blocks_pairs(h[2 * half], h[2 * half + 1]);
        __m256i sl = ck_blocks_pairs(l[2 * half], l[2 * half + 1]);
        __m256 f = _mm256_add_ps(_mm256_cvtepi32_ps(sh), _mm256_mul_ps(_mm256_cvtepi32_ps(sl), lo_scale));
        if (a) {
            size_t first = b * 16 + (size_t)half * 8;
            size_t left = first < n_rows ? n_rows - first : 0;
            __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
            __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int32_t)(left < 8 ? left : 8)), idx);
            __m256 terms = _mm256_maskload_ps(a + (first < n_rows ? first : 0), mask);
            f = _mm256_add_ps(f, _mm256_mul_ps(_mm256_set1_ps(alpha), terms));
        }
        out[half] = f;
    }
}

CK_BLOCKS_AVX2 static size_t ck_u8_blocks_scan_avx2(const int8_t *hi, const int8_t *lo,
                                                   const uint8_t *blocks, size_t n_rows,
                                                   size_t groups, const float *a, float alpha,
                                                   float min_score, uint32_t *passing) {
    size_t count = 0;
    const size_t n_blocks = (n_rows + 15) / 16;
    const __m256 minimum = _mm256_set1_ps(min_score);
    for (size_t b = 0; b < n_blocks; b++) {
        __m256 f[2];
        ck_blocks_block_avx2(hi, lo, blocks, n_rows, groups, a, alpha, b, f);
        for (int half = 0; half < 2; half++) {
            unsigned m = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(f[half], minimum, _CMP_GE_OQ));
            size_t first = b * 16 + (size_t)half * 8;
            while (m) {
                size_t i = first + (size_t)__builtin_ctz(m);
                m &= m - 1;
                if (i < n_rows) passing[count++] = (uint32_t)i;
            }
        }
    }
    return count;
}

CK_BLOCKS_AVX2 static float ck_u8_blocks_scores_avx2(const int8_t *hi, const int8_t *lo,
                                                    const uint8_t *blocks, size_t n_rows,
                                                    size_t groups, const float *a, float alpha,
                                                    float *scores) {
    const size_t n_blocks = (n_rows + 15) / 16;
    float best = -INFINITY;
    for (size_t b = 0; b < n_blocks; b++) {
        __m256 f[2];
        ck_blocks_block_avx2(hi, lo, blocks, n_rows, groups, a, alpha, b, f);
        float lanes[16];
        _mm256_storeu_ps(lanes, f[0]);
        _mm256_storeu_ps(lanes + 8, f[1]);
        size_t left = n_rows - b * 16;
        size_t take = left < 16 ? left : 16;
        for (size_t t = 0; t < take; t++) {
            scores[b * 16 + t] = lanes[t];
            if (lanes[t] > best) best = lanes[t];
        }
    }
    return best;
}
#endif

size_t ck_u8_blocks_scan(const int8_t *hi, const int8_t *lo, const uint8_t *blocks, size_t n_rows,
                         size_t groups, const float *a, float alpha, float min_score, uint32_t *passing) {
#if defined(__x86_64__)
    switch (ck_u8s8_level()) {
    case 2: return ck_u8_blocks_scan_vnni(hi, lo, blocks, n_rows, groups, a, alpha, min_score, passing);
    case 1: return ck_u8_blocks_scan_avx2(hi, lo, blocks, n_rows, groups, a, alpha, min_score, passing);
    default: break;
    }
#endif
    return ck_u8_blocks_scan_generic(hi, lo, blocks, n_rows, groups, a, alpha, min_score, passing);
}

float ck_u8_blocks_scores(const int8_t *hi, const int8_t *lo, const uint8_t *blocks, size_t n_rows,
                          size_t groups, const float *a, float alpha, float *scores) {
#if defined(__x86_64__)
    switch (ck_u8s8_level()) {
    case 2: return ck_u8_blocks_scores_vnni(hi, lo, blocks, n_rows, groups, a, alpha, scores);
    case 1: return ck_u8_blocks_scores_avx2(hi, lo, blocks, n_rows, groups, a, alpha, scores);
    default: break;
    }
#endif
    return ck_u8_blocks_scores_generic(hi, lo, blocks, n_rows, groups, a, alpha, scores);
}

size_t ck_scores_at_least(const float *scores, size_t n, float min_score, uint32_t *passing) {
#if defined(__x86_64__)
    if (ck_u8s8_level() == 2) return ck_scores_at_least_avx512(scores, n, min_score, passing);
#endif
    return ck_scores_at_least_generic(scores, n, min_score, passing);
}

float ck_encode_residual_blocks(const float *rows, size_t n, size_t dim, const float *center,
                                const float *lower, const float *step, const float *inv_step,
                                float half_step, uint8_t *blocks, int *clipped) {
    enum { chunk = 1024 };
    const size_t groups = (dim + 3) / 4;
    float worst = 0;
    int outside = 0;
    uint8_t codes[chunk];
    float squares[chunk];
    int flags[chunk];
    for (size_t i = 0; i < n; i++) {
        const float *x = rows + i * dim;
        float error = 0;
        for (size_t start = 0; start < dim; start += chunk) {
            const size_t m = dim - start < chunk ? dim - start : chunk;
            /* One pass the compiler vectorises (no float reduction in it), then the sums. */
            for (size_t t = 0; t < m; t++) {
                const size_t j = start + t;
                float r = x[j] - center[j];
                float v = (r - lower[j]) * inv_step[j] + 0.5f;
                v = v < 0.0f ? 0.0f : (v > 255.0f ? 255.0f : v);
                int code = (int)v;
                float e = r - (lower[j] + (float)code * step[j]);
                float limit = step[j] * half_step;
                flags[t] = (e > limit) | (e < -limit);
                squares[t] = e * e;
                codes[t] = (uint8_t)code;
            }
            float partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
            int any = 0;
            size_t t = 0;
            for (; t + 8 <= m; t += 8) {
                for (size_t u = 0; u < 8; u++) {
                    partial[u] += squares[t + u];
                    any |= flags[t + u];
                }
            }
            for (; t < m; t++) {
                partial[0] += squares[t];
                any |= flags[t];
            }
            for (size_t u = 0; u < 8; u++) error += partial[u];
            outside |= any;
            uint8_t *base = blocks + ck_blocks_row_offset(groups, i);
            for (size_t t2 = 0; t2 + 4 <= m; t2 += 4) memcpy(base + ((start + t2) / 4) * 64, codes + t2, 4);
            for (size_t t2 = m & ~(size_t)3; t2 < m; t2++) base[((start + t2) / 4) * 64 + (start + t2) % 4] = codes[t2];
        }
        float norm = sqrtf(error);
        if (norm > worst) worst = norm;
    }
    *clipped = outside;
    return worst;
}

void ck_residual_range(const float *rows, size_t n, size_t dim, const float *center, float *lo, float *hi) {
    for (size_t i = 0; i < n; i++) {
        const float *x = rows + i * dim;
        for (size_t j = 0; j < dim; j++) {
            float r = x[j] - center[j];
            lo[j] = r < lo[j] ? r : lo[j];
            hi[j] = r > hi[j] ? r : hi[j];
        }
    }
}
