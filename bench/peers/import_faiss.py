"""Peer for the import benchmark: what FAISS needs to turn the same .npy into a stored flat index.

Prints one line: `faiss import: N rows in S s (R rows/s)`. The index file is fsync'ed so the
figure is comparable with annctl import, whose commit is durable.
"""
import os
import sys
import time

import faiss
import numpy as np


def main() -> None:
    path, out = sys.argv[1], sys.argv[2]
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    start = time.perf_counter()
    x = np.load(path)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    faiss.write_index(index, out)
    with open(out, "rb+") as f:
        os.fsync(f.fileno())
    seconds = time.perf_counter() - start
    print(f"faiss import: {x.shape[0]} rows in {seconds:.2f} s ({x.shape[0] / seconds:,.0f} rows/s)")


if __name__ == "__main__":
    main()
