#ifndef CKERNELS_INTERNAL_H
#define CKERNELS_INTERNAL_H
/* Shared by the per-level files: the dispatch table and the gather/rows loop generator. */
#include "include/ckernels.h"
#include <string.h>

typedef float (*ck_f32_fn)(const float *, const float *, size_t);
typedef void (*ck_f32_gather_fn)(const float *, const float *, size_t, const uint32_t *, size_t,
                                 size_t, float *);
typedef void (*ck_f32_rows_fn)(const float *, const float *const *, size_t, size_t, float *);
typedef float (*ck_u8_fn)(const float *, const uint8_t *, size_t);
typedef void (*ck_u8_gather_fn)(const float *, const uint8_t *, size_t, const uint32_t *, size_t,
                                size_t, float *);
typedef int32_t (*ck_i8_fn)(const int8_t *, const int8_t *, size_t);
typedef void (*ck_i8_gather_fn)(const int8_t *, const int8_t *, size_t, const uint32_t *, size_t,
                                size_t, int32_t *);
typedef float (*ck_f16_fn)(const float *, const uint16_t *, size_t);
typedef void (*ck_f16_gather_fn)(const float *, const uint16_t *, size_t, const uint32_t *,
                                 size_t, size_t, float *);
typedef void (*ck_to_f16_fn)(const float *, uint16_t *, size_t);
typedef void (*ck_from_f16_fn)(const uint16_t *, float *, size_t);

#define CK_HIDDEN __attribute__((visibility("hidden")))

typedef struct {
    ck_f32_fn dot, l2sq;
    ck_f32_gather_fn dot_gather, l2sq_gather;
    ck_f32_rows_fn dot_rows, l2sq_rows;
    ck_u8_fn u8_dot;
    ck_u8_gather_fn u8_dot_gather;
    ck_i8_fn i8_dot;
    ck_i8_gather_fn i8_dot_gather;
    ck_f16_fn f16_dot;
    ck_f16_gather_fn f16_dot_gather;
    ck_to_f16_fn to_f16;
    ck_from_f16_fn from_f16;
} ck_table;

CK_HIDDEN extern const ck_table ck_table_generic;
#if defined(__x86_64__)
CK_HIDDEN extern const ck_table ck_table_avx2;
CK_HIDDEN extern const ck_table ck_table_avx512;
/* The AVX-512 table with the AVX2 int8 kernels, for AVX-512 CPUs without VNNI. */
CK_HIDDEN extern const ck_table ck_table_avx512_novnni;
/* AVX2 kernels that the AVX-512 tables reuse. */
CK_HIDDEN int32_t ck_avx2_i8_dot(const int8_t *, const int8_t *, size_t);
CK_HIDDEN void ck_avx2_i8_dot_gather(const int8_t *, const int8_t *, size_t, const uint32_t *,
                                     size_t, size_t, int32_t *);
CK_HIDDEN void ck_avx2_to_f16(const float *, uint16_t *, size_t);
CK_HIDDEN void ck_avx2_from_f16(const uint16_t *, float *, size_t);
#endif

/* How many rows ahead a gather prefetches (0 turns prefetching off; the benchmark builds both). */
#ifndef CK_PREFETCH_AHEAD
#define CK_PREFETCH_AHEAD 4
#endif

/* Prefetches every cache line of [p, p + bytes) into all cache levels. */
static inline __attribute__((always_inline)) void ck_prefetch_bytes(const void *p, size_t bytes) {
    uintptr_t line = (uintptr_t)p & ~(uintptr_t)63;
    uintptr_t last = (uintptr_t)p + bytes - 1;
    for (; line <= last; line += 64) __builtin_prefetch((const void *)line, 0, 3);
}

/* Defines `NAME##_gather` and `NAME##_rows` (static, ATTR) over the single kernel NAME, which
 * has the same target attribute and so inlines. QT: query, RT: row element, OT: out type. */
#define CK_UNUSED __attribute__((unused))
#define CK_DEFINE_BATCH(ATTR, NAME, QT, RT, OT)                                              \
    ATTR CK_UNUSED static void NAME##_gather(const QT *q, const RT *base, size_t stride,     \
                                             const uint32_t *ids, size_t n_ids, size_t dim,  \
                                             OT *out) {                                      \
        size_t bytes = dim * sizeof(RT);                                                     \
        if (bytes == 0) {                                                                    \
            for (size_t i = 0; i < n_ids; i++) out[i] = 0;                                   \
            return;                                                                          \
        }                                                                                    \
        for (size_t i = 0; i < n_ids && i < CK_PREFETCH_AHEAD; i++)                          \
            ck_prefetch_bytes(base + (size_t)ids[i] * stride, bytes);                        \
        for (size_t i = 0; i < n_ids; i++) {                                                 \
            if (CK_PREFETCH_AHEAD > 0 && i + CK_PREFETCH_AHEAD < n_ids)                      \
                ck_prefetch_bytes(base + (size_t)ids[i + CK_PREFETCH_AHEAD] * stride, bytes); \
            out[i] = NAME(q, base + (size_t)ids[i] * stride, dim);                           \
        }                                                                                    \
    }                                                                                        \
    ATTR CK_UNUSED static void NAME##_rows(const QT *q, const RT *const *rows, size_t n_rows, \
                                           size_t dim, OT *out) {                            \
        size_t bytes = dim * sizeof(RT);                                                     \
        if (bytes == 0) {                                                                    \
            for (size_t i = 0; i < n_rows; i++) out[i] = 0;                                  \
            return;                                                                          \
        }                                                                                    \
        for (size_t i = 0; i < n_rows && i < CK_PREFETCH_AHEAD; i++)                         \
            ck_prefetch_bytes(rows[i], bytes);                                               \
        for (size_t i = 0; i < n_rows; i++) {                                                \
            if (CK_PREFETCH_AHEAD > 0 && i + CK_PREFETCH_AHEAD < n_rows)                     \
                ck_prefetch_bytes(rows[i + CK_PREFETCH_AHEAD], bytes);                       \
            out[i] = NAME(q, rows[i], dim);                                                  \
        }                                                                                    \
    }

/* Exact binary16 <-> float32 conversions in plain C (used by the generic level and for tails). */
static inline float ck_half_to_float(uint16_t h) {
    /* Exponent and mantissa moved into a float's fields, then scaled by 2^(127 - 15): exact for
     * normal and subnormal halves alike. Infinity and NaN (exponent 31) are set directly. */
    uint32_t bits = (uint32_t)(h & 0x7fffu) << 13, sign = (uint32_t)(h & 0x8000u) << 16;
    float magnitude;
    if ((h & 0x7c00u) == 0x7c00u) {
        bits |= 0x7f800000u | ((h & 0x3ffu) ? 0x00400000u : 0); /* NaN comes out quiet */
        memcpy(&magnitude, &bits, 4);
    } else {
        memcpy(&magnitude, &bits, 4);
        magnitude *= 0x1p112f;
    }
    memcpy(&bits, &magnitude, 4);
    bits |= sign;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static inline uint16_t ck_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    uint32_t magnitude = x & 0x7fffffffu;
    if (magnitude > 0x7f800000u) /* NaN: keep the top payload bits, set the quiet bit */
        return sign | 0x7e00u | (uint16_t)((magnitude >> 13) & 0x3ffu);
    if (magnitude >= 0x477ff000u) /* >= 65520 (or infinity): rounds to infinity */
        return sign | 0x7c00u;
    if (magnitude < 0x38800000u) {
        /* Below the smallest normal half (2^-14): the result is k * 2^-24 with k = round(|f| *
         * 2^24). Adding 0.5 (2^-1) puts the units of 2^-24 into the low mantissa bits of a float
         * whose exponent is fixed, so the hardware's round-to-nearest-even does the rounding. */
        float a, half = 0.5f;
        memcpy(&a, &magnitude, 4);
        float sum = a + half;
        uint32_t s;
        memcpy(&s, &sum, 4);
        return sign | (uint16_t)(s - 0x3f000000u);
    }
    /* Normal: rebias the exponent, round the 13 dropped bits to nearest even. */
    uint32_t odd = (magnitude >> 13) & 1u;
    uint32_t rounded = magnitude + 0xfffu + odd - ((uint32_t)(127 - 15) << 23);
    return sign | (uint16_t)(rounded >> 13);
}

#endif

/* ---- Contiguous-row kernels (IVF list scans): a second dispatch table, by the same level. */
#ifndef CKERNELS_INTERNAL_NY_H
#define CKERNELS_INTERNAL_NY_H
typedef void (*ck_f32_ny_fn)(const float *, const float *, size_t, size_t, float *);
typedef void (*ck_f32_block_fn)(const float *, size_t, const float *, size_t, size_t, float *);
typedef void (*ck_i16i8_ny_fn)(const int16_t *, const int8_t *, size_t, size_t, int32_t *);
typedef struct {
    ck_f32_ny_fn dot_ny, l2sq_ny;
    ck_f32_block_fn dot_block, l2sq_block;
    ck_i16i8_ny_fn i16i8_ny;
} ck_ny_table;
CK_HIDDEN extern const ck_ny_table ck_ny_table_generic;
#if defined(__x86_64__)
CK_HIDDEN extern const ck_ny_table ck_ny_table_avx2;
CK_HIDDEN extern const ck_ny_table ck_ny_table_avx512;
#endif
/* Defines `NAME##_ny` and `NAME##_block` (static, ATTR) over the row kernel ROW (float32 query,
 * float32 row): rows scored one by one with ROW, so every form gives ROW's exact result. */
#define CK_DEFINE_NY_F32(ATTR, NAME, ROW)                                                      \
    ATTR CK_UNUSED static void NAME##_ny(const float *q, const float *rows, size_t n,          \
                                         size_t dim, float *out) {                             \
        for (size_t i = 0; i < n; i++) out[i] = ROW(q, rows + i * dim, dim);                   \
    }                                                                                          \
    ATTR CK_UNUSED static void NAME##_block(const float *qs, size_t m, const float *rows,      \
                                            size_t n, size_t dim, float *out) {                \
        for (size_t r = 0; r < n; r += 8) {                                                    \
            size_t g = n - r < 8 ? n - r : 8;                                                  \
            for (size_t j = 0; j < m; j++)                                                     \
                for (size_t i = r; i < r + g; i++)                                             \
                    out[j * n + i] = ROW(qs + j * dim, rows + i * dim, dim);                   \
        }                                                                                      \
    }
#endif
