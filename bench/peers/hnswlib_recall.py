"""recall@K of hnswlib on the same file and queries as `annctl query`, against annctl's exact
answers, and its single-thread query time:
  hnswlib_recall.py ITEMS.npy QUERIES.npy TRUTH.jsonl K EF [EF ...]
The index (inner product, M 16, ef_construction 200) is the one bench/peers/pynng_hnswlib_server.py
builds and caches beside ITEMS.npy; it is built here when missing."""
import json
import os
import sys
import time

import hnswlib
import numpy as np

items_path, queries_path, truth_path, k = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
items = np.load(items_path, mmap_mode="r")
queries = np.load(queries_path)
cache = items_path + ".hnsw-ip-M16-ef200.bin"
index = hnswlib.Index(space="ip", dim=items.shape[1])
if os.path.exists(cache):
    index.load_index(cache, max_elements=items.shape[0])
else:
    index.init_index(max_elements=items.shape[0], M=16, ef_construction=200)
    index.add_items(np.asarray(items))
    index.save_index(cache)
index.set_num_threads(1)
truth = [json.loads(line)["ids"] for line in open(truth_path)]
for ef in map(int, sys.argv[5:]):
    index.set_ef(ef)
    start = time.perf_counter()
    labels, _ = index.knn_query(queries, k=k)
    seconds = time.perf_counter() - start
    hits = sum(len(set(int(x) for x in labels[i]) & set(truth[i][:k])) for i in range(len(queries)))
    print(f"hnswlib ef {ef}: recall@{k} {hits / (k * len(queries)):.4f}, {seconds * 1000 / len(queries):.3f} ms per query (1 thread)")
