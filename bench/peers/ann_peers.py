"""Peers of the HNSW benchmark, on the same files in the same run: hnswlib, FAISS (HNSWFlat and
IVFFlat) and usearch, with the same M and efConstruction.

usage: ann_peers.py ITEMS.npy QUERIES.npy TRUTH.jsonl METRIC(ip|l2) OUT.csv [--m 16 --efc 200 --threads 2]
Writes CSV rows: engine,metric,param,recall10,qps_1thread,build_s,rss_mib,qps_batch. qps_1thread:
queries one at a time on one thread; qps_batch: all queries in one call on --threads threads.
Recall is against the exact top-10 that `annctl query --exact --json` wrote (row numbers, since
the store has no ids file).
"""
import argparse
import json
import os
import resource
import time

import numpy as np


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def recall(found: np.ndarray, truth: list) -> float:
    hits = sum(len(set(map(int, f[:10])) & set(t[:10])) for f, t in zip(found, truth))
    return hits / sum(len(t[:10]) for t in truth)


def sweep(name, metric, build, search, params, out, truth, queries, batch=None, batch_queries=None):
    """batch(index, queries, p): all queries in one call on the benchmark's threads."""
    base = rss_mib()
    start = time.perf_counter()
    index = build()
    build_s = time.perf_counter() - start
    mem = rss_mib() - base
    for p in params:
        search(index, queries[:10], p)  # warm up
        t0 = time.perf_counter()
        found = np.stack([search(index, q[None, :], p)[0] for q in queries])
        secs = time.perf_counter() - t0
        r = recall(found, truth)
        # Single-thread QPS over at least one second (a 1,000-query pass can last 0.1 s): the
        # queries again, one at a time, until then.
        done = len(queries)
        while secs < 1.0:
            t0 = time.perf_counter()
            for q in queries:
                search(index, q[None, :], p)
            secs += time.perf_counter() - t0
            done += len(queries)
        bqps = 0.0
        if batch is not None:
            bq = queries if batch_queries is None else batch_queries
            t0 = time.perf_counter()
            batch(index, bq, p)
            bqps = len(bq) / (time.perf_counter() - t0)
        out.write(f"{name},{metric},{p},{r:.4f},{done / secs:.1f},{build_s:.1f},{mem:.0f},{bqps:.1f}\n")
        out.flush()
        print(f"{name:14s} {metric} param {p:5d} recall@10 {r:.4f} qps {done / secs:8.1f} batch qps {bqps:8.1f} "
              f"build {build_s:.1f}s mem {mem:.0f}MiB", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("items"); ap.add_argument("queries"); ap.add_argument("truth"); ap.add_argument("metric"); ap.add_argument("out")
    ap.add_argument("--m", type=int, default=16); ap.add_argument("--efc", type=int, default=200)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--engines", default="hnswlib,faiss-hnsw,usearch,faiss-ivf")
    ap.add_argument("--efs", default="10,16,24,32,48,64,96,128,256,512,1024")
    ap.add_argument("--batch-queries", help="queries of the batch runs (default: QUERIES)")
    a = ap.parse_args()
    x = np.load(a.items, mmap_mode="r")
    q = np.ascontiguousarray(np.load(a.queries), dtype=np.float32)
    truth = [json.loads(line)["ids"] for line in open(a.truth)]
    bq = np.ascontiguousarray(np.load(a.batch_queries), dtype=np.float32) if a.batch_queries else q
    efs = [int(e) for e in a.efs.split(",")]
    engines = a.engines.split(",")
    with open(a.out, "a") as out:
        if "hnswlib" in engines:
            import hnswlib

            def b():
                idx = hnswlib.Index(space="ip" if a.metric == "ip" else "l2", dim=x.shape[1])
                idx.init_index(max_elements=x.shape[0], M=a.m, ef_construction=a.efc, random_seed=1)
                idx.set_num_threads(a.threads)
                idx.add_items(np.asarray(x), np.arange(x.shape[0]))
                idx.set_num_threads(1)
                return idx

            def s(idx, qq, ef):
                idx.set_ef(max(ef, 10))
                return idx.knn_query(qq, k=10)[0]

            def bt(idx, qq, ef):
                idx.set_ef(max(ef, 10))
                idx.set_num_threads(a.threads)
                idx.knn_query(qq, k=10)
                idx.set_num_threads(1)
            sweep("hnswlib", a.metric, b, s, efs, out, truth, q, bt, bq)
        if "faiss-hnsw" in engines or "faiss-ivf" in engines:
            import faiss
            mt = faiss.METRIC_INNER_PRODUCT if a.metric == "ip" else faiss.METRIC_L2
        if "faiss-hnsw" in engines:
            def b():
                faiss.omp_set_num_threads(a.threads)
                idx = faiss.IndexHNSWFlat(x.shape[1], a.m, mt)
                idx.hnsw.efConstruction = a.efc
                idx.add(np.asarray(x))
                faiss.omp_set_num_threads(1)
                return idx

            def s(idx, qq, ef):
                idx.hnsw.efSearch = max(ef, 10)
                return idx.search(qq, 10)[1]

            def bt(idx, qq, ef):
                idx.hnsw.efSearch = max(ef, 10)
                faiss.omp_set_num_threads(a.threads)
                idx.search(qq, 10)
                faiss.omp_set_num_threads(1)
            sweep("faiss-hnsw", a.metric, b, s, efs, out, truth, q, bt, bq)
        if "faiss-ivf" in engines:
            nlist = int(4 * np.sqrt(x.shape[0]))

            def b():
                faiss.omp_set_num_threads(a.threads)
                quant = faiss.IndexFlat(x.shape[1], mt)
                idx = faiss.IndexIVFFlat(quant, x.shape[1], nlist, mt)
                idx.train(np.asarray(x[: min(x.shape[0], 64 * nlist)]))
                idx.add(np.asarray(x))
                faiss.omp_set_num_threads(1)
                return idx

            def s(idx, qq, nprobe):
                idx.nprobe = nprobe
                return idx.search(qq, 10)[1]

            def bt(idx, qq, nprobe):
                idx.nprobe = nprobe
                faiss.omp_set_num_threads(a.threads)
                idx.search(qq, 10)
                faiss.omp_set_num_threads(1)
            sweep("faiss-ivf", a.metric, b, s, [8, 16, 32, 64, 128, 256, 512], out, truth, q, bt, bq)
        if "usearch" in engines:
            from usearch.index import Index

            def b():
                idx = Index(ndim=x.shape[1], metric="ip" if a.metric == "ip" else "l2sq", connectivity=a.m,
                            expansion_add=a.efc, dtype="f32")
                idx.add(np.arange(x.shape[0]), np.asarray(x), threads=a.threads)
                return idx

            def s(idx, qq, ef):
                idx.expansion_search = max(ef, 10)
                return np.asarray(idx.search(qq, 10, threads=1).keys).reshape(len(qq), -1)

            def bt(idx, qq, ef):
                idx.expansion_search = max(ef, 10)
                idx.search(qq, 10, threads=a.threads)
            sweep("usearch", a.metric, b, s, efs, out, truth, q, bt, bq)


if __name__ == "__main__":
    main()
