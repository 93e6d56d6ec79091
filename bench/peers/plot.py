"""Recall/QPS curves of every engine in a benchmark CSV, one panel per metric, into one PNG."""
import csv
import sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

rows = list(csv.DictReader(open(sys.argv[1])))
metrics = sorted({r["metric"] for r in rows})
fig, axes = plt.subplots(1, len(metrics), figsize=(7 * len(metrics), 5), squeeze=False)
for ax, metric in zip(axes[0], metrics):
    curves = defaultdict(list)
    for r in rows:
        if r["metric"] == metric:
            curves[r["engine"]].append((float(r["recall10"]), float(r["qps_1thread"])))
    for engine, points in sorted(curves.items()):
        points.sort()
        ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=engine)
    ax.set_yscale("log"); ax.set_xlabel("recall@10"); ax.set_ylabel("queries/s, 1 thread")
    ax.set_title(f"{metric}: {sys.argv[1]}"); ax.grid(True, alpha=0.3); ax.legend()
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)
print(f"wrote {sys.argv[2]}")
