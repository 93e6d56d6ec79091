/* Graph-walk kernel: uint8 codes x int8 query, exact int32 sums. An int8 HNSW walk folds the
 * query into per-dimension int8 weights once per query; scoring a neighbour is then one or two
 * VNNI instructions per 64 components (vpdpbusd multiplies unsigned by signed bytes, which is
 * exactly codes x weights). Dispatched on ck_level() (so ANN_KERNELS and ck_set_level apply):
 * AVX-512 VNNI, else AVX2 (widening to 16 bits, madd), else plain C. All levels give the same
 * exact sums. */
#include "kernels_internal.h"

static inline int32_t ck_u8s8_dot_generic(const int8_t *q, const uint8_t *c, size_t n) {
    int32_t sum = 0;
    for (size_t j = 0; j < n; j++) sum += (int32_t)q[j] * (int32_t)c[j];
    return sum;
}

#if defined(__x86_64__)
#include <immintrin.h>

#define CK_WALK_AVX2 __attribute__((target("avx2,fma")))
#define CK_WALK_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

CK_WALK_AVX2 static inline int32_t ck_u8s8_dot_avx2(const int8_t *q, const uint8_t *c, size_t n) {
    __m256i acc = _mm256_setzero_si256();
    size_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m256i cw = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(c + j)));
        __m256i qw = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(q + j)));
        acc = _mm256_add_epi32(acc, _mm256_madd_epi16(cw, qw));
    }
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(acc), _mm256_extracti128_si256(acc, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    int32_t sum = _mm_cvtsi128_si32(s);
    for (; j < n; j++) sum += (int32_t)q[j] * (int32_t)c[j];
    return sum;
}

CK_WALK_VNNI static inline int32_t ck_u8s8_dot_vnni(const int8_t *q, const uint8_t *c, size_t n) {
    __m512i a0 = _mm512_setzero_si512(), a1 = a0;
    size_t j = 0;
    for (; j + 128 <= n; j += 128) {
        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(c + j), _mm512_loadu_si512(q + j));
        a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512(c + j + 64), _mm512_loadu_si512(q + j + 64));
    }
    for (; j + 64 <= n; j += 64)
        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512(c + j), _mm512_loadu_si512(q + j));
    if (j < n) {
        __mmask64 m = (n - j) >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - j)) - 1);
        a1 = _mm512_dpbusd_epi32(a1, _mm512_maskz_loadu_epi8(m, c + j), _mm512_maskz_loadu_epi8(m, q + j));
    }
    return _mm512_reduce_add_epi32(_mm512_add_epi32(a0, a1));
}

CK_DEFINE_BATCH(CK_WALK_AVX2, ck_u8s8_dot_avx2, int8_t, uint8_t, int32_t)
CK_DEFINE_BATCH(CK_WALK_VNNI, ck_u8s8_dot_vnni, int8_t, uint8_t, int32_t)
#endif

CK_DEFINE_BATCH(, ck_u8s8_dot_generic, int8_t, uint8_t, int32_t)

int ck_u8s8_level(void) {
#if defined(__x86_64__)
    int level = ck_level();
    if (level == CK_LEVEL_AVX512 && ck_has_vnni()) return 2;
    if (level >= CK_LEVEL_AVX2) return 1;
#endif
    return 0;
}

int32_t ck_u8s8_dot(const int8_t *q, const uint8_t *codes, size_t n) {
#if defined(__x86_64__)
    switch (ck_u8s8_level()) {
    case 2: return ck_u8s8_dot_vnni(q, codes, n);
    case 1: return ck_u8s8_dot_avx2(q, codes, n);
    default: break;
    }
#endif
    return ck_u8s8_dot_generic(q, codes, n);
}

void ck_u8s8_dot_gather(const int8_t *q, const uint8_t *base, size_t stride, const uint32_t *ids,
                        size_t n_ids, size_t dim, int32_t *out) {
#if defined(__x86_64__)
    switch (ck_u8s8_level()) {
    case 2: ck_u8s8_dot_vnni_gather(q, base, stride, ids, n_ids, dim, out); return;
    case 1: ck_u8s8_dot_avx2_gather(q, base, stride, ids, n_ids, dim, out); return;
    default: break;
    }
#endif
    ck_u8s8_dot_generic_gather(q, base, stride, ids, n_ids, dim, out);
}
