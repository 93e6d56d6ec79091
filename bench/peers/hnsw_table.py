"""The HNSW benchmark's summary: per metric and recall level, each engine's best single-thread
and batch QPS among the settings that reach it, and annctl's ratio to the best peer.

usage: hnsw_table.py RESULTS.csv   (columns of bench/hnsw.sh)
"""
import csv
import sys
from collections import defaultdict

LEVELS = [0.90, 0.95, 0.99]
rows = list(csv.DictReader(open(sys.argv[1])))
for metric in sorted({r["metric"] for r in rows}):
    by_engine = defaultdict(list)
    for r in rows:
        if r["metric"] == metric:
            by_engine[r["engine"]].append(r)
    print(f"\n{metric}: best QPS at recall@10 >= level (setting, recall); build s; batch QPS on the build threads")
    print("| engine | build s | " + " | ".join(f">= {l:.2f} 1 thread | >= {l:.2f} batch" for l in LEVELS) + " | best recall |")
    print("|---|---|" + "---|---|" * len(LEVELS) + "---|")
    best = {}
    for engine, rs in sorted(by_engine.items()):
        cells = []
        for level in LEVELS:
            ok = [r for r in rs if float(r["recall10"]) >= level]
            if not ok:
                cells += ["-", "-"]
                continue
            top = max(ok, key=lambda r: float(r["qps_1thread"]))
            topb = max(ok, key=lambda r: float(r.get("qps_batch") or 0))
            best[(engine, level)] = (float(top["qps_1thread"]), float(topb.get("qps_batch") or 0))
            cells.append(f"{float(top['qps_1thread']):,.0f} ({top['param']}, {float(top['recall10']):.4f})")
            cells.append(f"{float(topb.get('qps_batch') or 0):,.0f}")
        print(f"| {engine} | {float(rs[0]['build_s']):.1f} | " + " | ".join(cells)
              + f" | {max(float(r['recall10']) for r in rs):.4f} |")
    peers = {e for e, _ in best if not e.startswith("annctl")}
    for ours in sorted({e for e, _ in best if e.startswith("annctl")}):
        for level in LEVELS:
            if (ours, level) not in best:
                print(f"{ours} {metric} >= {level}: not reached")
                continue
            candidates = [(best[(p, level)], p) for p in peers if (p, level) in best]
            if not candidates:
                print(f"{ours} {metric} >= {level}: {best[(ours, level)][0]:,.0f} QPS; no peer reaches this level")
                continue
            (p1, pb), peer = max(candidates)
            pbest = max(best[(p, level)][1] for p in peers if (p, level) in best)
            q1, qb = best[(ours, level)]
            print(f"{ours} {metric} >= {level}: {q1 / p1:.2f}x the best peer single-thread ({peer} {p1:,.0f}); "
                  f"batch {qb / pbest:.2f}x the best peer batch ({pbest:,.0f})")
