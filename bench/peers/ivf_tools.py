"""Helpers of bench/ivf.sh: exact ground truth, recall of annctl answers, the summary table.

  ivf_tools.py truth DATA.npy QUERIES.npy METRIC OUT.npy       exact top-10 (faiss.IndexFlat*)
  ivf_tools.py recall GT.npy ANSWERS.jsonl                      recall@10 of `annctl query --json`
  ivf_tools.py summary CURVES.csv BUILDS.csv                    markdown tables for bench/RESULTS.md
  ivf_tools.py ratios CURVES.csv                                ours / FAISS QPS at each recall level
  ivf_tools.py qps STDERR.txt                                   queries/s from annctl query's closing line
  ivf_tools.py same A.jsonl B.jsonl                             exit 1 when the answers' ids differ
  ivf_tools.py evict FILE                                       drop FILE's pages from the page cache
"""
import csv
import json
import sys

import numpy as np


def truth(data, queries, metric, out):
    import faiss
    x = np.load(data, mmap_mode="r")
    q = np.load(queries)
    index = faiss.IndexFlatIP(x.shape[1]) if metric == "ip" else faiss.IndexFlatL2(x.shape[1])
    for start in range(0, x.shape[0], 262144):
        index.add(np.ascontiguousarray(x[start:start + 262144]))
    _, ids = index.search(q, 10)
    np.save(out, ids.astype(np.int64))


def recall(gt, answers):
    g = np.load(gt)
    found = [json.loads(line)["ids"] for line in open(answers)]
    assert len(found) == len(g), f"{len(found)} answers for {len(g)} queries"
    hits = sum(len(set(f[:10]) & set(t[:10].tolist())) for f, t in zip(found, g))
    print(f"{hits / (10 * len(g)):.4f}")


def summary(curves, builds):
    rows = list(csv.DictReader(open(curves)))
    keys = sorted({(r["metric"], r["system"], r["index"]) for r in rows})
    print("| metric | system | index | build s (wall) | build s (CPU) | build peak RSS MiB | query peak RSS MiB |")
    print("|---|---|---|---|---|---|---|")
    for b in csv.DictReader(open(builds)):
        print(f"| {b['metric']} | {b['system']} | {b['index']} | {b['build_s']} | {b['build_cpu_s']} | {b['build_rss_mib']} |"
              f" {b['query_rss_mib']} |")
    print()
    print("| metric | system | index | recall@10 target | nprobe | recall@10 | 1-thread QPS (CPU time) |"
          " 1-thread QPS (wall) | 2-thread batch QPS (wall) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for key in keys:
        pts = sorted((int(r["nprobe"]), float(r["recall"]), float(r["qps_single_cpu"]), float(r["qps_single"]),
                      float(r["qps_batch2"])) for r in rows if (r["metric"], r["system"], r["index"]) == key)
        for target in (0.90, 0.95, 0.99):
            ok = [p for p in pts if p[1] >= target]  # the smallest nprobe that reaches the target
            if ok:
                p = ok[0]
                print(f"| {key[0]} | {key[1]} | {key[2]} | {target:.2f} | {p[0]} | {p[1]:.4f} | {p[2]:,.0f} | {p[3]:,.0f} | {p[4]:,.0f} |")
            else:
                print(f"| {key[0]} | {key[1]} | {key[2]} | {target:.2f} | not reached | | | | |")


def ratios(curves):
    """Per metric and pair (IVF vs IVFFlat, IVF-int8 vs IVFSQ8): QPS at the smallest nprobe
    reaching recall@10 0.90 / 0.95 / 0.99, ours / FAISS, single-thread (wall) and 2-thread batch."""
    rows = list(csv.DictReader(open(curves)))

    def at(metric, system, index, target):
        pts = sorted((int(r["nprobe"]), float(r["recall"]), float(r["qps_single"]), float(r["qps_batch2"]))
                     for r in rows if (r["metric"], r["system"], r["index"]) == (metric, system, index))
        ok = [p for p in pts if p[1] >= target]
        return ok[0] if ok else None

    print("| metric | pair | level | nprobe ours / faiss | 1-thread QPS ours / faiss | 2-thread batch ours / faiss |")
    print("|---|---|---|---|---|---|")
    for metric in sorted({r["metric"] for r in rows}):
        for ours, peer in (("IVF", "IVFFlat"), ("IVF-int8", "IVFSQ8")):
            for target in (0.90, 0.95, 0.99):
                a, b = at(metric, "annserver", ours, target), at(metric, "faiss", peer, target)
                if a is None or b is None:
                    def show(p):
                        return "not reached" if p is None else f"{p[0]}: {p[2]:,.0f} / {p[3]:,.0f}"
                    print(f"| {metric} | {ours} vs {peer} | {target:.2f} | ours {show(a)}; faiss {show(b)} | | |")
                    continue
                print(f"| {metric} | {ours} vs {peer} | {target:.2f} | {a[0]} / {b[0]} | {a[2]:,.0f} / {b[2]:,.0f} = "
                      f"**{a[2] / b[2]:.2f}x** | {a[3]:,.0f} / {b[3]:,.0f} = {a[3] / b[3]:.2f}x |")


def qps(*paths):
    """Queries per second of wall time and of CPU time, each the best among the runs (the
    machine is shared: the best run is the least disturbed)."""
    import re

    def seconds(value, unit):
        return float(value) / (1000 if unit == "ms" else 1)

    wall, cpu = [], []
    for path in paths:
        m = re.search(r"(\d+) queries from .* in ([0-9.]+) (ms|s) .*cpu ([0-9.]+) (ms|s)\)", open(path).read())
        n = int(m.group(1))
        wall.append(n / seconds(m.group(2), m.group(3)))
        cpu.append(n / seconds(m.group(4), m.group(5)))
    print(f"{max(wall):.1f} {max(cpu):.1f}")


def same(a, b):
    ids = lambda p: [json.loads(line)["ids"] for line in open(p)]
    sys.exit(0 if ids(a) == ids(b) else 1)


def evict(path):
    """Cold start: the next process reads the file from disk (as after a reboot)."""
    import os
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


if __name__ == "__main__":
    {"truth": truth, "recall": recall, "summary": summary, "ratios": ratios, "qps": qps, "same": same,
     "evict": evict}[sys.argv[1]](*sys.argv[2:])
