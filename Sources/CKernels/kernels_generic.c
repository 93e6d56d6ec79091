/* Portable kernels: no target attributes, four 4-lane accumulators written with vector
 * extensions, so they compile to the baseline ISA's vector unit on any architecture. */
#include "kernels_internal.h"

#define CK_GENERIC static inline

/* Four-lane float vectors (GCC/Clang vector extensions): SSE2 on x86-64, NEON on arm64. Loads go
 * through memcpy, so no alignment is assumed. */
typedef float ck_v4 __attribute__((vector_size(16)));
typedef uint8_t ck_u8x4 __attribute__((vector_size(4)));

CK_GENERIC ck_v4 g_load(const float *p) {
    ck_v4 v;
    memcpy(&v, p, sizeof v);
    return v;
}

CK_GENERIC ck_v4 g_load_u8(const uint8_t *p) {
    ck_u8x4 v;
    memcpy(&v, p, sizeof v);
    return __builtin_convertvector(v, ck_v4);
}

CK_GENERIC float g_sum(ck_v4 s0, ck_v4 s1, ck_v4 s2, ck_v4 s3) {
    ck_v4 s = (s0 + s1) + (s2 + s3);
    return (s[0] + s[1]) + (s[2] + s[3]);
}

CK_GENERIC float g_dot(const float *a, const float *b, size_t n) {
    ck_v4 s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 += g_load(a + i) * g_load(b + i);
        s1 += g_load(a + i + 4) * g_load(b + i + 4);
        s2 += g_load(a + i + 8) * g_load(b + i + 8);
        s3 += g_load(a + i + 12) * g_load(b + i + 12);
    }
    for (; i + 4 <= n; i += 4) s0 += g_load(a + i) * g_load(b + i);
    float total = g_sum(s0, s1, s2, s3);
    for (; i < n; i++) total += a[i] * b[i];
    return total;
}

CK_GENERIC float g_l2sq(const float *a, const float *b, size_t n) {
    ck_v4 s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        ck_v4 d0 = g_load(a + i) - g_load(b + i);
        ck_v4 d1 = g_load(a + i + 4) - g_load(b + i + 4);
        ck_v4 d2 = g_load(a + i + 8) - g_load(b + i + 8);
        ck_v4 d3 = g_load(a + i + 12) - g_load(b + i + 12);
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
    }
    for (; i + 4 <= n; i += 4) {
        ck_v4 d = g_load(a + i) - g_load(b + i);
        s0 += d * d;
    }
    float total = g_sum(s0, s1, s2, s3);
    for (; i < n; i++) {
        float d = a[i] - b[i];
        total += d * d;
    }
    return total;
}

CK_GENERIC float g_u8_dot(const float *q, const uint8_t *c, size_t n) {
    ck_v4 s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        s0 += g_load(q + i) * g_load_u8(c + i);
        s1 += g_load(q + i + 4) * g_load_u8(c + i + 4);
        s2 += g_load(q + i + 8) * g_load_u8(c + i + 8);
        s3 += g_load(q + i + 12) * g_load_u8(c + i + 12);
    }
    for (; i + 4 <= n; i += 4) s0 += g_load(q + i) * g_load_u8(c + i);
    float total = g_sum(s0, s1, s2, s3);
    for (; i < n; i++) total += q[i] * (float)c[i];
    return total;
}

typedef int8_t ck_i8x8 __attribute__((vector_size(8)));
typedef int16_t ck_i16x8 __attribute__((vector_size(16)));
typedef int16_t ck_i16x4 __attribute__((vector_size(8)));
typedef int32_t ck_i32x4 __attribute__((vector_size(16)));
typedef uint32_t ck_u32x4 __attribute__((vector_size(16)));

/* Adds the 8 products a[0..8) * b[0..8) (exact in int16: |a * b| <= 16384) to lo and hi. */
CK_GENERIC void g_i8_add8(const int8_t *a, const int8_t *b, ck_u32x4 *lo, ck_u32x4 *hi) {
    ck_i8x8 x, y;
    memcpy(&x, a, sizeof x);
    memcpy(&y, b, sizeof y);
    ck_i16x8 p = __builtin_convertvector(x, ck_i16x8) * __builtin_convertvector(y, ck_i16x8);
    ck_i16x4 p0 = __builtin_shufflevector(p, p, 0, 1, 2, 3);
    ck_i16x4 p1 = __builtin_shufflevector(p, p, 4, 5, 6, 7);
    *lo += (ck_u32x4)__builtin_convertvector(p0, ck_i32x4);
    *hi += (ck_u32x4)__builtin_convertvector(p1, ck_i32x4);
}

CK_GENERIC int32_t g_i8_dot(const int8_t *a, const int8_t *b, size_t n) {
    /* Unsigned lanes wrap instead of overflowing; exact whenever the true sum fits in int32. */
    ck_u32x4 s0 = {0, 0, 0, 0}, s1 = s0, s2 = s0, s3 = s0;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        g_i8_add8(a + i, b + i, &s0, &s1);
        g_i8_add8(a + i + 8, b + i + 8, &s2, &s3);
    }
    for (; i + 8 <= n; i += 8) g_i8_add8(a + i, b + i, &s0, &s1);
    ck_u32x4 s = (s0 + s1) + (s2 + s3);
    uint32_t total = (s[0] + s[1]) + (s[2] + s[3]);
    for (; i < n; i++) total += (uint32_t)((int32_t)a[i] * (int32_t)b[i]);
    return (int32_t)total;
}

CK_GENERIC float g_f16_dot(const float *q, const uint16_t *h, size_t n) {
    float block[64], total = 0;
    for (size_t i = 0; i < n; i += 64) { /* convert a block, then the float kernel */
        size_t m = n - i < 64 ? n - i : 64;
        for (size_t j = 0; j < m; j++) block[j] = ck_half_to_float(h[i + j]);
        total += g_dot(q + i, block, m);
    }
    return total;
}

static void g_to_f16(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = ck_float_to_half(src[i]);
}

static void g_from_f16(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = ck_half_to_float(src[i]);
}

CK_DEFINE_BATCH(, g_dot, float, float, float)
CK_DEFINE_BATCH(, g_l2sq, float, float, float)
CK_DEFINE_BATCH(, g_u8_dot, float, uint8_t, float)
CK_DEFINE_BATCH(, g_i8_dot, int8_t, int8_t, int32_t)
CK_DEFINE_BATCH(, g_f16_dot, float, uint16_t, float)

static float g_dot_fn(const float *a, const float *b, size_t n) { return g_dot(a, b, n); }
static float g_l2sq_fn(const float *a, const float *b, size_t n) { return g_l2sq(a, b, n); }
static float g_u8_fn(const float *q, const uint8_t *c, size_t n) { return g_u8_dot(q, c, n); }
static int32_t g_i8_fn(const int8_t *a, const int8_t *b, size_t n) { return g_i8_dot(a, b, n); }
static float g_f16_fn(const float *q, const uint16_t *h, size_t n) { return g_f16_dot(q, h, n); }

const ck_table ck_table_generic = {
    .dot = g_dot_fn,
    .l2sq = g_l2sq_fn,
    .dot_gather = g_dot_gather,
    .l2sq_gather = g_l2sq_gather,
    .dot_rows = g_dot_rows,
    .l2sq_rows = g_l2sq_rows,
    .u8_dot = g_u8_fn,
    .u8_dot_gather = g_u8_dot_gather,
    .i8_dot = g_i8_fn,
    .i8_dot_gather = g_i8_dot_gather,
    .f16_dot = g_f16_fn,
    .f16_dot_gather = g_f16_dot_gather,
    .to_f16 = g_to_f16,
    .from_f16 = g_from_f16,
};

/* ---- Contiguous-row kernels (IVF list scans) */
static inline int32_t g_i16i8_row(const int16_t *w, const int8_t *c, size_t n) {
    /* unsigned sums wrap like the vector lanes (the caller keeps the true sum in range) */
    uint32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t j = 0;
    for (; j + 4 <= n; j += 4) {
        s0 += (uint32_t)((int32_t)w[j] * c[j]);
        s1 += (uint32_t)((int32_t)w[j + 1] * c[j + 1]);
        s2 += (uint32_t)((int32_t)w[j + 2] * c[j + 2]);
        s3 += (uint32_t)((int32_t)w[j + 3] * c[j + 3]);
    }
    for (; j < n; j++) s0 += (uint32_t)((int32_t)w[j] * c[j]);
    return (int32_t)((s0 + s1) + (s2 + s3));
}
static void g_i16i8_ny(const int16_t *w, const int8_t *codes, size_t n, size_t dim, int32_t *out) {
    for (size_t i = 0; i < n; i++) out[i] = g_i16i8_row(w, codes + i * dim, dim);
}
CK_DEFINE_NY_F32(, g_dot, g_dot)
CK_DEFINE_NY_F32(, g_l2sq, g_l2sq)

const ck_ny_table ck_ny_table_generic = {
    .dot_ny = g_dot_ny,
    .l2sq_ny = g_l2sq_ny,
    .dot_block = g_dot_block,
    .l2sq_block = g_l2sq_block,
    .i16i8_ny = g_i16i8_ny,
};
