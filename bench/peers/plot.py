"""Recall/QPS curves of every engine in a benchmark CSV, one panel per metric, into one PNG.

Usage: plot.py HNSW_CSV OUT_PNG [IVF_CURVES_CSV ...]
HNSW_CSV is bench/hnsw.sh's (engine, metric, recall10, qps_1thread); each IVF_CURVES_CSV is
bench/ivf.sh's (system, index, metric, recall, qps_single), drawn dashed in the same panels
(same data file and queries: both scripts generate the clustered set with seed 1)."""
import csv
import sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

curves = defaultdict(list)  # (metric, label, dashed) -> points
for r in csv.DictReader(open(sys.argv[1])):
    curves[(r["metric"], r["engine"], False)].append((float(r["recall10"]), float(r["qps_1thread"])))
for path in sys.argv[3:]:
    for r in csv.DictReader(open(path)):
        label = f"{r['system']} {r['index']}"
        curves[(r["metric"], label, True)].append((float(r["recall"]), float(r["qps_single"])))
metrics = sorted({m for m, _, _ in curves})
fig, axes = plt.subplots(1, len(metrics), figsize=(7 * len(metrics), 5), squeeze=False)
for ax, metric in zip(axes[0], metrics):
    for (m, label, dashed), points in sorted(curves.items()):
        if m != metric:
            continue
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", linestyle="--" if dashed else "-",
                label=label)
    ax.set_yscale("log"); ax.set_xlabel("recall@10"); ax.set_ylabel("queries/s, 1 thread")
    ax.set_title(f"{metric}: {sys.argv[1]}" + (" + IVF" if len(sys.argv) > 3 else ""))
    ax.grid(True, alpha=0.3); ax.legend(fontsize=8)
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
print(f"wrote {sys.argv[2]}")
