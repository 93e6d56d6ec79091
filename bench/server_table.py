#!/usr/bin/env python3
"""Markdown tables from bench/server.sh's JSON lines: one row per case and level, and the
server / in-process ratios (transport + protocol overhead)."""

import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
print("| case | conc. | QPS | p50 ms | p95 ms | p99 ms | p99.9 ms | errors |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['case']} | {r['concurrency']} | {r['qps']:.1f} | {r['p50_ms']:.3f} | {r['p95_ms']:.3f} | "
          f"{r['p99_ms']:.3f} | {r['p999_ms']:.3f} | {r['errors']} |")
by = {(r["case"], r["concurrency"]): r for r in rows}
print()
print("| case | conc. | server p50 / in-process p50 | server QPS / in-process QPS | peer QPS / server QPS |")
print("|---|---|---|---|---|")
for (case, level), r in by.items():
    if not case.endswith(" server"):
        continue
    base = case[: -len(" server")]
    local = by.get((base + " in-process", level))
    peer = by.get((base + " peer", level))
    if local:
        ratio_peer = f"{peer['qps'] / r['qps']:.2f}" if peer else "-"
        print(f"| {base} | {level} | {r['p50_ms'] / local['p50_ms']:.3f} | {r['qps'] / local['qps']:.3f} | {ratio_peer} |")
