"""Helpers of bench/ivf.sh: exact ground truth, recall of annctl answers, the summary table.

  ivf_tools.py truth DATA.npy QUERIES.npy METRIC OUT.npy       exact top-10 (faiss.IndexFlat*)
  ivf_tools.py recall GT.npy ANSWERS.jsonl                      recall@10 of `annctl query --json`
  ivf_tools.py summary CURVES.csv BUILDS.csv                    markdown tables for bench/RESULTS.md
  ivf_tools.py qps STDERR.txt                                   queries/s from annctl query's closing line
  ivf_tools.py same A.jsonl B.jsonl                             exit 1 when the answers' ids differ
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
    print("| metric | system | index | build s | build RSS MiB | query RSS MiB |"
          " 1-thread QPS @0.90 | @0.95 | @0.99 | 2-thread batch QPS @0.90 | @0.95 | @0.99 |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    build = {(b["metric"], b["system"], b["index"]): b for b in csv.DictReader(open(builds))}
    for key in keys:
        pts = sorted((int(r["nprobe"]), float(r["recall"]), float(r["qps_single"]), float(r["qps_batch2"]))
                     for r in rows if (r["metric"], r["system"], r["index"]) == key)
        cells = []
        for column in (2, 3):
            for target in (0.90, 0.95, 0.99):
                # the smallest nprobe that reaches the target
                ok = [p for p in pts if p[1] >= target]
                cells.append(f"{ok[0][column]:,.0f} (nprobe {ok[0][0]})" if ok else "not reached")
        b = build.get(key, {})
        print(f"| {key[0]} | {key[1]} | {key[2]} | {b.get('build_s', '-')} | {b.get('build_rss_mib', '-')} | "
              f"{b.get('query_rss_mib', '-')} | " + " | ".join(cells) + " |")


def qps(*paths):
    """The best rate among the runs (the machine is shared: the best run is the least disturbed)."""
    import re
    rates = []
    for path in paths:
        m = re.search(r"(\d+) queries from .* in ([0-9.]+) (ms|s) ", open(path).read())
        rates.append(int(m.group(1)) / (float(m.group(2)) / (1000 if m.group(3) == "ms" else 1)))
    print(f"{max(rates):.1f}")


def same(a, b):
    ids = lambda p: [json.loads(line)["ids"] for line in open(p)]
    sys.exit(0 if ids(a) == ids(b) else 1)


if __name__ == "__main__":
    {"truth": truth, "recall": recall, "summary": summary, "qps": qps, "same": same}[sys.argv[1]](*sys.argv[2:])
