/* Blocked uint8 scan (include/ck_blocks.h): many rows of one-byte codes against one query that
 * is split into two int8 parts. With VNNI one vpdpbusd scores 16 rows x 4 components for each
 * part, so a 128-d row costs 4 instructions and no horizontal sum; the AVX2 level widens codes
 * to 16 bits (madd) and sums pairs once per block. All levels give identical scores. */
#include "kernels_internal.h"

static const float ck_blocks_lo_scale = 1.0f / 254.0f;

/* Two roundings (a product, then a sum; never fused), the same at every level. */
static inline float ck_blocks_score(int32_t hi, int32_t lo) {
    float low = (float)lo * ck_blocks_lo_scale;
    return (float)hi + low;
}

static size_t ck_u8_blocks_scan_generic(const int8_t *hi, const int8_t *lo, const uint8_t *blocks,
                                        size_t n_rows, size_t groups, float min_score,
                                        uint32_t *passing) {
    size_t count = 0;
    for (size_t i = 0; i < n_rows; i++) {
        const uint8_t *block = blocks + (i / 16) * groups * 64 + (i % 16) * 4;
        int32_t sh = 0, sl = 0;
        for (size_t g = 0; g < groups; g++) {
            for (size_t t = 0; t < 4; t++) {
                int32_t c = block[g * 64 + t];
                sh += c * hi[g * 4 + t];
                sl += c * lo[g * 4 + t];
            }
        }
        if (ck_blocks_score(sh, sl) >= min_score) passing[count++] = (uint32_t)i;
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

CK_BLOCKS_VNNI static size_t ck_u8_blocks_scan_vnni(const int8_t *hi, const int8_t *lo,
                                                   const uint8_t *blocks, size_t n_rows,
                                                   size_t groups, float min_score,
                                                   uint32_t *passing) {
    size_t count = 0;
    const size_t n_blocks = (n_rows + 15) / 16;
    const __m512 minimum = _mm512_set1_ps(min_score);
    const __m512 lo_scale = _mm512_set1_ps(ck_blocks_lo_scale);
    const __m512i lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (size_t b = 0; b < n_blocks; b++) {
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
        if (b + 4 < n_blocks) ck_prefetch_bytes(blocks + (b + 4) * groups * 64, groups * 64);
        __m512 f = _mm512_add_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(h0, h1)),
                                 _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(l0, l1)), lo_scale));
        __mmask16 m = _mm512_cmp_ps_mask(f, minimum, _CMP_GE_OQ);
        size_t left = n_rows - b * 16;
        if (left < 16) m &= (__mmask16)((1u << left) - 1);
        if (m) {
            __m512i ids = _mm512_add_epi32(lanes, _mm512_set1_epi32((int32_t)(b * 16)));
            _mm512_mask_compressstoreu_epi32(passing + count, m, ids);
            count += (size_t)__builtin_popcount((unsigned)m);
        }
    }
    return count;
}

/* Sums of adjacent int32 pairs of `a` (rows 0-3 of a quarter) and `b` (rows 4-7), in row order. */
CK_BLOCKS_AVX2 static inline __m256i ck_blocks_pairs(__m256i a, __m256i b) {
    return _mm256_permutevar8x32_epi32(_mm256_hadd_epi32(a, b), _mm256_setr_epi32(0, 1, 4, 5, 2, 3, 6, 7));
}

CK_BLOCKS_AVX2 static size_t ck_u8_blocks_scan_avx2(const int8_t *hi, const int8_t *lo,
                                                   const uint8_t *blocks, size_t n_rows,
                                                   size_t groups, float min_score,
                                                   uint32_t *passing) {
    size_t count = 0;
    const size_t n_blocks = (n_rows + 15) / 16;
    const __m256 minimum = _mm256_set1_ps(min_score);
    const __m256 lo_scale = _mm256_set1_ps(ck_blocks_lo_scale);
    for (size_t b = 0; b < n_blocks; b++) {
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
        for (int half = 0; half < 2; half++) {
            __m256i sh = ck_blocks_pairs(h[2 * half], h[2 * half + 1]);
            __m256i sl = ck_blocks_pairs(l[2 * half], l[2 * half + 1]);
            __m256 f = _mm256_add_ps(_mm256_cvtepi32_ps(sh), _mm256_mul_ps(_mm256_cvtepi32_ps(sl), lo_scale));
            unsigned m = (unsigned)_mm256_movemask_ps(_mm256_cmp_ps(f, minimum, _CMP_GE_OQ));
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
#endif

size_t ck_u8_blocks_scan(const int8_t *hi, const int8_t *lo, const uint8_t *blocks, size_t n_rows,
                         size_t groups, float min_score, uint32_t *passing) {
#if defined(__x86_64__)
    switch (ck_u8s8_level()) {
    case 2: return ck_u8_blocks_scan_vnni(hi, lo, blocks, n_rows, groups, min_score, passing);
    case 1: return ck_u8_blocks_scan_avx2(hi, lo, blocks, n_rows, groups, min_score, passing);
    default: break;
    }
#endif
    return ck_u8_blocks_scan_generic(hi, lo, blocks, n_rows, groups, min_score, passing);
}
