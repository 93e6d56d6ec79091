"""Peer of bench/ivf.sh: FAISS IndexIVFFlat and IndexIVFScalarQuantizer (QT_8bit) with the same
nlist, trained on a sample of the same size (64 x nlist, seeded), on the same data and queries.

  ivf_faiss.py DATA.npy QUERIES.npy GT.npy METRIC NLIST SAMPLE "NPROBES" CURVES.csv BUILDS.csv WORKDIR RUNS

Single-thread QPS: one `search` call per query with one OpenMP thread (as annctl answers one
query per call), by wall time and by this process's CPU time; batch QPS: one call with all
queries on two threads. Each rate is the best of RUNS runs. Build: train + add, on
two threads. RSS: peak of this process after the build (data and index in memory) and of a
fresh process that loads the written index and searches (`search` mode below).
"""
import csv
import os
import resource
import subprocess
import sys
import time

import faiss
import numpy as np


def rss_mib():
    """Peak RSS of this process image (VmHWM: unlike ru_maxrss, not inherited across exec)."""
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sweep(index, q, gt, nprobes, runs):
    """Per nprobe: recall and the best rate of `runs` runs (the machine is shared)."""
    out = []
    for nprobe in nprobes:
        faiss.extract_index_ivf(index).nprobe = nprobe
        single = single_cpu = batch = 0
        for _ in range(runs):
            faiss.omp_set_num_threads(1)
            start, cpu = time.perf_counter(), time.process_time()
            found = np.vstack([index.search(q[i:i + 1], 10)[1] for i in range(len(q))])
            single = max(single, len(q) / (time.perf_counter() - start))
            single_cpu = max(single_cpu, len(q) / (time.process_time() - cpu))
            faiss.omp_set_num_threads(2)
            start = time.perf_counter()
            found2 = index.search(q, 10)[1]
            batch = max(batch, len(q) / (time.perf_counter() - start))
        recall = np.mean([len(set(f) & set(t)) for f, t in zip(found, gt)]) / 10
        recall2 = np.mean([len(set(f) & set(t)) for f, t in zip(found2, gt)]) / 10
        assert abs(recall - recall2) < 1e-9, (recall, recall2)
        out.append((nprobe, recall, single, single_cpu, batch))
        print(f"  nprobe {nprobe}: recall {recall:.4f}, {single:,.0f} q/s single ({single_cpu:,.0f} by CPU time), "
              f"{batch:,.0f} q/s batch x2", flush=True)
        if recall >= 0.995:
            break  # the curve has reached the top
    return out


def search_mode(path, queries, gt, metric, nprobes, curves, label, runs):
    index = faiss.read_index(path)
    q = np.load(queries)
    g = np.load(gt)
    results = sweep(index, q, g, [int(p) for p in nprobes.split()], int(runs))
    with open(curves, "a", newline="") as f:
        w = csv.writer(f)
        for nprobe, recall, single, single_cpu, batch in results:
            w.writerow(["faiss", label, metric, nprobe, f"{recall:.4f}", f"{single:.1f}", f"{single_cpu:.1f}", f"{batch:.1f}"])
    print(f"RSS {rss_mib():.0f}")


def main():
    if sys.argv[1] == "search":
        search_mode(*sys.argv[2:])
        return
    data, queries, gt, metric, nlist, sample, nprobes, curves, builds, work, runs = sys.argv[1:12]
    nlist, sample = int(nlist), int(sample)
    faiss_metric = faiss.METRIC_INNER_PRODUCT if metric == "ip" else faiss.METRIC_L2
    for label in ("IVFFlat", "IVFSQ8"):
        faiss.omp_set_num_threads(2)
        x = np.load(data)
        start = time.perf_counter()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        rng = np.random.default_rng(1)
        train = x[np.sort(rng.choice(len(x), min(len(x), sample), replace=False))]
        quantizer = faiss.IndexFlatIP(x.shape[1]) if metric == "ip" else faiss.IndexFlatL2(x.shape[1])
        if label == "IVFFlat":
            index = faiss.IndexIVFFlat(quantizer, x.shape[1], nlist, faiss_metric)
        else:
            index = faiss.IndexIVFScalarQuantizer(quantizer, x.shape[1], nlist, faiss.ScalarQuantizer.QT_8bit, faiss_metric)
        index.cp.niter = 10
        index.cp.seed = 1
        index.train(train)
        index.add(x)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
        build_rss = rss_mib()
        path = os.path.join(work, f"faiss-{label}-{metric}.index")
        faiss.write_index(index, path)
        del index, x, train
        print(f"faiss {label} {metric}: build {seconds:.1f} s (sample, train, add; {cpu:.1f} s CPU), peak RSS {build_rss:.0f} MiB",
              flush=True)
        # Search in a fresh process so its RSS is the index's, not the build's.
        out = subprocess.run([sys.executable, __file__, "search", path, queries, gt, metric, nprobes, curves, label, runs],
                             check=True, capture_output=True, text=True).stdout
        print(out, end="", flush=True)
        query_rss = out.strip().splitlines()[-1].split()[1]
        with open(builds, "a", newline="") as f:
            csv.writer(f).writerow(["faiss", label, metric, f"{seconds:.1f}", f"{cpu:.1f}", f"{build_rss:.0f}", query_rss])
        os.remove(path)


if __name__ == "__main__":
    main()
