"""hnswlib single-thread recall@10 / QPS at several ef, and recall@K at one ef, on the files
bench/hnsw.sh and bench/reach.sh use. Usage: hnswlib_query.py INDEX.bin QUERIES.npy BATCH.npy
TRUTH10.jsonl TRUTHK.jsonl K EF_K [EF ...] (the index: M 16, efConstruction 200, ip)."""
import json
import sys
import time

import hnswlib
import numpy as np

index, queries, batch, truth10, truthk, k, efk, *efs = sys.argv[1:]
k, efk = int(k), int(efk)
q = np.load(queries).astype(np.float32)
qb = np.load(batch).astype(np.float32)
t10 = [json.loads(line)["ids"] for line in open(truth10)]
tk = [json.loads(line)["ids"] for line in open(truthk)]
p = hnswlib.Index(space="ip", dim=q.shape[1])
p.load_index(index)
p.set_num_threads(1)
for ef in map(int, efs or ["32", "64", "96", "128", "256"]):
    p.set_ef(ef)
    ids, _ = p.knn_query(q, k=10)
    r = np.mean([len(set(map(int, a)) & set(b)) / 10 for a, b in zip(ids, t10)])
    start = time.time()
    p.knn_query(qb, k=10)
    print(f"hnswlib ef {ef} recall@10 {r:.4f} qps1 {len(qb) / (time.time() - start):.1f}")
p.set_ef(efk)
ids, _ = p.knn_query(q, k=k)
print(f"hnswlib recall@{k} ef {efk} {np.mean([len(set(map(int, a)) & set(b)) / k for a, b in zip(ids, tk)]):.4f}")
