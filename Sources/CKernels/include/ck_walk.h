#ifndef CK_WALK_H
#define CK_WALK_H
#include <stddef.h>
#include <stdint.h>
/* uint8 codes x int8 query weights, exact int32 sums (kernels_walk.c): AVX-512 VNNI, AVX2 or
 * plain C by ck_level(). The gather form scores row `base + ids[i] * stride` (stride in bytes). */
int32_t ck_u8s8_dot(const int8_t *q, const uint8_t *codes, size_t n);
void ck_u8s8_dot_gather(const int8_t *q, const uint8_t *base, size_t stride, const uint32_t *ids,
                        size_t n_ids, size_t dim, int32_t *out);
/* Which one runs now: 2 VNNI, 1 AVX2, 0 plain C. */
int ck_u8s8_level(void);
#endif
