#ifndef CKERNELS_H
#define CKERNELS_H
/*
 * Distance kernels compiled for several x86-64 levels in one binary and chosen once, at first
 * use, from what the CPU reports (`__builtin_cpu_supports`):
 *   CK_LEVEL_AVX512  AVX-512 F/BW/VL/DQ + FMA + F16C (int8 dot uses VNNI vpdpbusd when present)
 *   CK_LEVEL_AVX2    AVX2 + FMA + F16C
 *   CK_LEVEL_GENERIC plain C (any CPU, any architecture)
 * The environment variable ANN_KERNELS=generic|avx2|avx512, read at first use, caps the level
 * (a level the CPU lacks falls back to the best one it has). `ck_set_level` forces a level for
 * tests and benchmarks; it is not meant to be called while other threads run kernels.
 *
 * Conventions: `n`/`dim` count elements; pointers need no alignment; a gather form scores row
 * `base + ids[i] * stride` (stride in elements) into `out[i]`, prefetching the rows a few
 * places ahead; a rows form scores `rows[i]`. Reductions use several accumulators, so results
 * differ from a sequential loop by float rounding only.
 */
#include <stddef.h>
#include <stdint.h>
#include "ck_prefetch.h"
#include "ck_walk.h"
#include "ck_blocks.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CK_LEVEL_GENERIC = 0, CK_LEVEL_AVX2 = 1, CK_LEVEL_AVX512 = 2 };

/** The level in use (resolved on first call). */
int ck_level(void);
/** The best level this CPU supports (ignores ANN_KERNELS and ck_set_level). */
int ck_max_level(void);
/** 1 when the AVX-512 level's int8 dot uses VNNI (vpdpbusd), else 0. */
int ck_has_vnni(void);
/** Forces a level (tests, benchmarks). Returns the level now in use: `level` when supported,
 *  otherwise unchanged. A negative `level` returns to the default (CPU and ANN_KERNELS). */
int ck_set_level(int level);

/* float32 x float32 */
float ck_dot_f32(const float *a, const float *b, size_t n);
float ck_l2sq_f32(const float *a, const float *b, size_t n);
void ck_dot_f32_gather(const float *q, const float *base, size_t stride, const uint32_t *ids,
                       size_t n_ids, size_t dim, float *out);
void ck_l2sq_f32_gather(const float *q, const float *base, size_t stride, const uint32_t *ids,
                        size_t n_ids, size_t dim, float *out);
void ck_dot_f32_rows(const float *q, const float *const *rows, size_t n_rows, size_t dim,
                     float *out);
void ck_l2sq_f32_rows(const float *q, const float *const *rows, size_t n_rows, size_t dim,
                      float *out);

/* float32 query x uint8 codes: sum q[j] * codes[j] (scale and offset folded into q) */
float ck_u8_dot(const float *q, const uint8_t *codes, size_t n);
void ck_u8_dot_gather(const float *q, const uint8_t *base, size_t stride, const uint32_t *ids,
                      size_t n_ids, size_t dim, float *out);

/* int8 x int8, exact while the true sum fits in int32 (always when n <= 131072) */
int32_t ck_i8_dot(const int8_t *a, const int8_t *b, size_t n);
void ck_i8_dot_gather(const int8_t *q, const int8_t *base, size_t stride, const uint32_t *ids,
                      size_t n_ids, size_t dim, int32_t *out);

/* float32 query x IEEE binary16 rows (raw 16-bit patterns) */
float ck_f16_dot(const float *q, const uint16_t *h, size_t n);
void ck_f16_dot_gather(const float *q, const uint16_t *base, size_t stride, const uint32_t *ids,
                       size_t n_ids, size_t dim, float *out);
/** float32 -> binary16, round to nearest even (overflow to infinity, NaN stays NaN). */
void ck_f32_to_f16(const float *src, uint16_t *dst, size_t n);
/** binary16 -> float32 (exact). */
void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n);

#ifdef __cplusplus
}
#endif
#endif

/* ---- Contiguous-row kernels (IVF list scans) ------------------------------------------------
 * `rows` holds `n_rows` rows of `dim` elements back to back. Each row's result is computed the
 * same way whatever `n_rows` and whichever form (single query or block) computes it, so the same
 * query and row give bit-identical scores from every form at one level. */
#ifndef CKERNELS_NY_H
#define CKERNELS_NY_H
#ifdef __cplusplus
extern "C" {
#endif
/** out[i] = q . rows[i] for i < n_rows. */
void ck_dot_f32_ny(const float *q, const float *rows, size_t n_rows, size_t dim, float *out);
/** out[i] = |q - rows[i]|^2 for i < n_rows. */
void ck_l2sq_f32_ny(const float *q, const float *rows, size_t n_rows, size_t dim, float *out);
/** out[j * n_rows + i] = queries[j] . rows[i] for j < n_queries, i < n_rows (queries back to
 *  back, `dim` floats each): each block of rows is read once for all the queries. */
void ck_dot_f32_block(const float *queries, size_t n_queries, const float *rows, size_t n_rows,
                      size_t dim, float *out);
/** out[j * n_rows + i] = |queries[j] - rows[i]|^2 (see ck_dot_f32_block). */
void ck_l2sq_f32_block(const float *queries, size_t n_queries, const float *rows, size_t n_rows,
                       size_t dim, float *out);
/** out[i] = sum_j w[j] * codes[i * dim + j]: int16 weights x int8 codes, exact in int32 while
 *  sum |w[j]| * 128 fits (the caller bounds the weights). */
void ck_i16i8_dot_ny(const int16_t *w, const int8_t *codes, size_t n_rows, size_t dim,
                     int32_t *out);
#ifdef __cplusplus
}
#endif
#endif
