/* Distance kernel benchmark: ns per distance for every kernel at every level this CPU has.
 *
 *   hot:    one query against ROWS rows that stay in L2 (the kernels' arithmetic speed);
 *   gather: one query against lists of 32 random rows of a 128 MiB base (what a graph search
 *           does per visited node: memory latency, hidden by the prefetch of the next rows).
 * Built by bench/kernels.sh twice, with and without prefetching (-DCK_PREFETCH_AHEAD=0), and
 * linked against the same kernel sources as the package. Prints tab-separated lines:
 *   kernel  level  ns-per-distance  (min over REPEATS timings)
 * Usage: bench DIM [LABEL] */
#include "ckernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ROWS = 256, LIST = 32, LISTS = 4096, REPEATS = 7, BASE_BYTES = 128 << 20 };

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t next_u64(void) { /* SplitMix64 */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static float next_float(void) { return (float)(next_u64() >> 40) / (float)(1 << 24) * 2 - 1; }

static volatile float sink_f;
static volatile int32_t sink_i;
static const char *level_names[] = {"generic", "avx2", "avx512"};

typedef enum { K_DOT, K_L2, K_U8, K_I8, K_F16 } kernel_t;
static const char *kernel_names[] = {"f32 dot", "f32 l2sq", "u8 dot", "i8 dot", "f16 dot"};
static const size_t elem_bytes[] = {4, 4, 1, 1, 2};

/* Scores every row of `rows` (ROWS x dim) against q, `reps` times; returns ns per distance. */
static double time_hot(kernel_t k, const void *q, const void *rows, size_t dim, int reps) {
    double best = 1e300;
    for (int r = 0; r < REPEATS; r++) {
        float acc = 0;
        int32_t iacc = 0;
        double t0 = now_ns();
        for (int rep = 0; rep < reps; rep++)
            for (size_t i = 0; i < ROWS; i++) {
                const char *row = (const char *)rows + i * dim * elem_bytes[k];
                switch (k) {
                case K_DOT: acc += ck_dot_f32(q, (const float *)row, dim); break;
                case K_L2: acc += ck_l2sq_f32(q, (const float *)row, dim); break;
                case K_U8: acc += ck_u8_dot(q, (const uint8_t *)row, dim); break;
                case K_I8: iacc += ck_i8_dot(q, (const int8_t *)row, dim); break;
                case K_F16: acc += ck_f16_dot(q, (const uint16_t *)row, dim); break;
                }
            }
        double ns = (now_ns() - t0) / ((double)reps * ROWS);
        sink_f = acc;
        sink_i = iacc;
        if (ns < best) best = ns;
    }
    return best;
}

/* Scores LISTS lists of LIST random rows of `base` (n_rows x dim), fresh ids for every timing
 * (`ids` holds REPEATS x LISTS x LIST); ns per distance. */
static double time_gather(kernel_t k, const void *q, const void *base, size_t dim,
                          const uint32_t *ids) {
    double best = 1e300;
    float out[LIST];
    int32_t iout[LIST];
    for (int r = 0; r < REPEATS; r++) {
        double t0 = now_ns();
        for (size_t l = 0; l < LISTS; l++) {
            const uint32_t *list = ids + ((size_t)r * LISTS + l) * LIST;
            switch (k) {
            case K_DOT: ck_dot_f32_gather(q, base, dim, list, LIST, dim, out); break;
            case K_L2: ck_l2sq_f32_gather(q, base, dim, list, LIST, dim, out); break;
            case K_U8: ck_u8_dot_gather(q, base, dim, list, LIST, dim, out); break;
            case K_I8: ck_i8_dot_gather(q, base, dim, list, LIST, dim, iout); break;
            case K_F16: ck_f16_dot_gather(q, base, dim, list, LIST, dim, out); break;
            }
            sink_f = out[0];
            sink_i = iout[0];
        }
        double ns = (now_ns() - t0) / ((double)LISTS * LIST);
        if (ns < best) best = ns;
    }
    return best;
}

static void *random_rows(kernel_t k, size_t count) {
    if (k == K_DOT || k == K_L2) {
        float *p = malloc(count * sizeof(float));
        for (size_t i = 0; i < count; i++) p[i] = next_float();
        return p;
    }
    if (k == K_F16) {
        float *tmp = malloc(count * sizeof(float));
        uint16_t *p = malloc(count * sizeof(uint16_t));
        for (size_t i = 0; i < count; i++) tmp[i] = next_float();
        ck_f32_to_f16(tmp, p, count);
        free(tmp);
        return p;
    }
    uint8_t *p = malloc(count);
    for (size_t i = 0; i < count; i++) p[i] = (uint8_t)next_u64();
    return p;
}

int main(int argc, char **argv) {
    size_t dim = argc > 1 ? (size_t)atoi(argv[1]) : 128;
    const char *label = argc > 2 ? argv[2] : "";
    float *qf = random_rows(K_DOT, dim);
    int8_t *qi = random_rows(K_I8, dim);
    size_t n_ids = (size_t)REPEATS * LISTS * LIST;
    uint32_t *ids = malloc(sizeof(uint32_t) * n_ids);
    for (int k = K_DOT; k <= K_F16; k++) {
        const void *q = k == K_I8 ? (const void *)qi : (const void *)qf;
        void *hot = random_rows(k, ROWS * dim);
        size_t base_rows = BASE_BYTES / (dim * elem_bytes[k]);
        void *base = random_rows(k, base_rows * dim);
        for (size_t i = 0; i < n_ids; i++) ids[i] = (uint32_t)(next_u64() % base_rows);
        for (int level = 0; level <= ck_max_level(); level++) {
            ck_set_level(level);
            printf("%s hot\t%s\t%.2f\n", kernel_names[k], level_names[level],
                   time_hot(k, q, hot, dim, 2000));
            printf("%s gather%s\t%s\t%.2f\n", kernel_names[k], label, level_names[level],
                   time_gather(k, q, base, dim, ids));
            fflush(stdout);
        }
        free(hot);
        free(base);
    }
    ck_set_level(-1);
    return 0;
}
