/* Run-time dispatch: the public ck_* functions call through one table of function pointers,
 * picked on first use from the CPU's features and ANN_KERNELS (see ckernels.h). */
#include "kernels_internal.h"
#include <stdlib.h>
#include <string.h>

static int ck_detect(void) {
#if defined(__x86_64__)
    __builtin_cpu_init();
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
               __builtin_cpu_supports("f16c");
    if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
        return CK_LEVEL_AVX512;
    if (avx2) return CK_LEVEL_AVX2;
#endif
    return CK_LEVEL_GENERIC;
}

int ck_max_level(void) {
    static int max_level = -1; /* benign race: every thread computes the same value */
    int level = __atomic_load_n(&max_level, __ATOMIC_RELAXED);
    if (level < 0) {
        level = ck_detect();
        __atomic_store_n(&max_level, level, __ATOMIC_RELAXED);
    }
    return level;
}

int ck_has_vnni(void) {
#if defined(__x86_64__)
    return ck_max_level() == CK_LEVEL_AVX512 && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

static const ck_table *ck_table_for(int level) {
#if defined(__x86_64__)
    if (level == CK_LEVEL_AVX512) return ck_has_vnni() ? &ck_table_avx512 : &ck_table_avx512_novnni;
    if (level == CK_LEVEL_AVX2) return &ck_table_avx2;
#endif
    (void)level;
    return &ck_table_generic;
}

/* The best supported level, capped by ANN_KERNELS when it names a level. */
static int ck_default_level(void) {
    int level = ck_max_level();
    const char *name = getenv("ANN_KERNELS");
    if (name) {
        int cap = -1;
        if (strcmp(name, "generic") == 0) cap = CK_LEVEL_GENERIC;
        else if (strcmp(name, "avx2") == 0) cap = CK_LEVEL_AVX2;
        else if (strcmp(name, "avx512") == 0) cap = CK_LEVEL_AVX512;
        if (cap >= 0 && cap < level) level = cap;
    }
    return level;
}

static int ck_current_level = -1;
static const ck_table *ck_current = NULL;

static const ck_table *ck_resolve(void) {
    int level = ck_default_level();
    const ck_table *table = ck_table_for(level);
    __atomic_store_n(&ck_current_level, level, __ATOMIC_RELAXED);
    __atomic_store_n(&ck_current, table, __ATOMIC_RELEASE);
    return table;
}

static inline const ck_table *ck_t(void) {
    const ck_table *table = __atomic_load_n(&ck_current, __ATOMIC_ACQUIRE);
    return __builtin_expect(table != NULL, 1) ? table : ck_resolve();
}

int ck_level(void) {
    (void)ck_t();
    return __atomic_load_n(&ck_current_level, __ATOMIC_RELAXED);
}

int ck_set_level(int level) {
    if (level < 0) {
        ck_resolve();
    } else if (level <= ck_max_level()) {
        __atomic_store_n(&ck_current_level, level, __ATOMIC_RELAXED);
        __atomic_store_n(&ck_current, ck_table_for(level), __ATOMIC_RELEASE);
    }
    return ck_level();
}

float ck_dot_f32(const float *a, const float *b, size_t n) { return ck_t()->dot(a, b, n); }
float ck_l2sq_f32(const float *a, const float *b, size_t n) { return ck_t()->l2sq(a, b, n); }

void ck_dot_f32_gather(const float *q, const float *base, size_t stride, const uint32_t *ids,
                       size_t n_ids, size_t dim, float *out) {
    ck_t()->dot_gather(q, base, stride, ids, n_ids, dim, out);
}
void ck_l2sq_f32_gather(const float *q, const float *base, size_t stride, const uint32_t *ids,
                        size_t n_ids, size_t dim, float *out) {
    ck_t()->l2sq_gather(q, base, stride, ids, n_ids, dim, out);
}
void ck_dot_f32_rows(const float *q, const float *const *rows, size_t n_rows, size_t dim,
                     float *out) {
    ck_t()->dot_rows(q, rows, n_rows, dim, out);
}
void ck_l2sq_f32_rows(const float *q, const float *const *rows, size_t n_rows, size_t dim,
                      float *out) {
    ck_t()->l2sq_rows(q, rows, n_rows, dim, out);
}

float ck_u8_dot(const float *q, const uint8_t *codes, size_t n) {
    return ck_t()->u8_dot(q, codes, n);
}
void ck_u8_dot_gather(const float *q, const uint8_t *base, size_t stride, const uint32_t *ids,
                      size_t n_ids, size_t dim, float *out) {
    ck_t()->u8_dot_gather(q, base, stride, ids, n_ids, dim, out);
}

int32_t ck_i8_dot(const int8_t *a, const int8_t *b, size_t n) { return ck_t()->i8_dot(a, b, n); }
void ck_i8_dot_gather(const int8_t *q, const int8_t *base, size_t stride, const uint32_t *ids,
                      size_t n_ids, size_t dim, int32_t *out) {
    ck_t()->i8_dot_gather(q, base, stride, ids, n_ids, dim, out);
}

float ck_f16_dot(const float *q, const uint16_t *h, size_t n) { return ck_t()->f16_dot(q, h, n); }
void ck_f16_dot_gather(const float *q, const uint16_t *base, size_t stride, const uint32_t *ids,
                       size_t n_ids, size_t dim, float *out) {
    ck_t()->f16_dot_gather(q, base, stride, ids, n_ids, dim, out);
}
void ck_f32_to_f16(const float *src, uint16_t *dst, size_t n) { ck_t()->to_f16(src, dst, n); }
void ck_f16_to_f32(const uint16_t *src, float *dst, size_t n) { ck_t()->from_f16(src, dst, n); }

/* ---- Contiguous-row kernels (IVF list scans): dispatched by the level in use. */
static inline const ck_ny_table *ck_ny(void) {
    (void)ck_t();
#if defined(__x86_64__)
    int level = __atomic_load_n(&ck_current_level, __ATOMIC_RELAXED);
    if (level == CK_LEVEL_AVX512) return &ck_ny_table_avx512;
    if (level == CK_LEVEL_AVX2) return &ck_ny_table_avx2;
#endif
    return &ck_ny_table_generic;
}

void ck_dot_f32_ny(const float *q, const float *rows, size_t n_rows, size_t dim, float *out) {
    ck_ny()->dot_ny(q, rows, n_rows, dim, out);
}
void ck_l2sq_f32_ny(const float *q, const float *rows, size_t n_rows, size_t dim, float *out) {
    ck_ny()->l2sq_ny(q, rows, n_rows, dim, out);
}
void ck_dot_f32_block(const float *queries, size_t n_queries, const float *rows, size_t n_rows,
                      size_t dim, float *out) {
    ck_ny()->dot_block(queries, n_queries, rows, n_rows, dim, out);
}
void ck_l2sq_f32_block(const float *queries, size_t n_queries, const float *rows, size_t n_rows,
                       size_t dim, float *out) {
    ck_ny()->l2sq_block(queries, n_queries, rows, n_rows, dim, out);
}
void ck_i16i8_dot_ny(const int16_t *w, const int8_t *codes, size_t n_rows, size_t dim,
                     int32_t *out) {
    ck_ny()->i16i8_ny(w, codes, n_rows, dim, out);
}
