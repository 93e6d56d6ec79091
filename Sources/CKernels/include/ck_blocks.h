#ifndef CK_BLOCKS_H
#define CK_BLOCKS_H
#include <stddef.h>
#include <stdint.h>
/* Scan of uint8 codes laid out in blocks of 16 rows (kernels_blocks.c), for an exact scan of
 * many rows against one query: group g (components 4g ... 4g+3) of the 16 rows of block b is
 * 64 bytes at `blocks + (b * groups + g) * 64`, row r of the block at bytes 4r ... 4r+3.
 * The query comes as two int8 parts, `hi` and `lo` (groups * 4 bytes each, zero past the
 * dimension); row i scores
 *     f_i = float(hi . c_i) + float(lo . c_i) / 254          (a product, then a sum)
 *     f_i = f_i + alpha * a[i]                                (only when a is not NULL)
 * with both dots exact in int32 (AVX-512 VNNI, AVX2 or plain C as ck_u8s8_level(); every level
 * gives the same f_i). `a` (when given) holds n_rows floats, a per-row term such as a norm. */

/* Writes the rows i < n_rows with f_i >= min_score, in row order, to `passing` (room for
 * n_rows) and returns their count. */
size_t ck_u8_blocks_scan(const int8_t *hi, const int8_t *lo, const uint8_t *blocks, size_t n_rows,
                         size_t groups, const float *a, float alpha, float min_score, uint32_t *passing);

/* Writes f_i of every row i < n_rows to scores[i] and returns the largest (-inf for no rows). */
float ck_u8_blocks_scores(const int8_t *hi, const int8_t *lo, const uint8_t *blocks, size_t n_rows,
                          size_t groups, const float *a, float alpha, float *scores);

/* Writes the i < n with scores[i] >= min_score, in order, to `passing` and returns their count. */
size_t ck_scores_at_least(const float *scores, size_t n, float min_score, uint32_t *passing);

/* Residual codes in the same block layout, for a list of rows: row i (dim floats at
 * rows + i * dim) minus `center` is encoded per component as
 *     code = clamp(round((r - lower) * inv_step), 0, 255),   decoded  lower + code * step
 * into `blocks` (zeroed before; rows past n and components past dim stay 0). Returns the
 * largest Euclidean norm of (r - decoded) over the rows, and sets *clipped to 1 when some
 * component's error exceeds step * half_step (a value outside the range). Plain C (vectorised
 * by the compiler), the same at every level. */
float ck_encode_residual_blocks(const float *rows, size_t n, size_t dim, const float *center,
                                const float *lower, const float *step, const float *inv_step,
                                float half_step, uint8_t *blocks, int *clipped);

/* Widens lo[j] / hi[j] to cover r_j = rows[i * dim + j] - center[j] for every row i < n. */
void ck_residual_range(const float *rows, size_t n, size_t dim, const float *center, float *lo, float *hi);
#endif
