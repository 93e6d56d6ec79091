"""Peer for the kernel benchmark: numpy (OpenBLAS, one thread) on the same shapes as bench.c.

hot:    256 rows x DIM float32 in cache; `rows @ q` (sgemv, one call for all rows) and
        `np.dot(q, row)` (one call per row, what a per-node Python loop would pay);
gather: lists of 32 random rows of a 128 MiB base, `base[ids] @ q` (copy, then sgemv);
u8:     `codes @ q` with uint8 codes (numpy converts them to float32 first).
Prints tab-separated lines: name, level ("-"), ns per distance (min of 7 timings).
Usage: OPENBLAS_NUM_THREADS=1 python3 numpy_peer.py DIM
"""
import sys
import time

import numpy as np

ROWS, LIST, LISTS, REPEATS = 256, 32, 4096, 7


def best_ns(fn, distances: int) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter_ns()
        fn()
        best = min(best, (time.perf_counter_ns() - start) / distances)
    return best


def main() -> None:
    dim = int(sys.argv[1]) if len(sys.argv) > 1 else 128
    rng = np.random.default_rng(1)
    q = rng.uniform(-1, 1, dim).astype(np.float32)
    rows = rng.uniform(-1, 1, (ROWS, dim)).astype(np.float32)
    reps = 2000

    def gemv():
        for _ in range(reps):
            rows @ q

    def per_row():
        for i in range(ROWS):
            np.dot(q, rows[i])

    print(f"numpy rows @ q (sgemv, 256 rows)\t-\t{best_ns(gemv, reps * ROWS):.2f}")
    print(f"numpy np.dot(q, row) per call\t-\t{best_ns(per_row, ROWS):.2f}")

    base_rows = (128 << 20) // (dim * 4)
    base = rng.uniform(-1, 1, (base_rows, dim)).astype(np.float32)
    ids = rng.integers(0, base_rows, (REPEATS, LISTS, LIST))
    timing = iter(range(REPEATS))

    def gather():
        r = next(timing)
        for l in range(LISTS):
            base[ids[r, l]] @ q

    print(f"numpy base[ids] @ q (32-row lists)\t-\t{best_ns(gather, LISTS * LIST):.2f}")

    codes = rng.integers(0, 256, (ROWS, dim), dtype=np.uint8)

    def u8():
        for _ in range(reps // 10):
            codes @ q

    print(f"numpy codes(uint8) @ q\t-\t{best_ns(u8, reps // 10 * ROWS):.2f}")


if __name__ == "__main__":
    main()
