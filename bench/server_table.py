#!/usr/bin/env python3
"""Markdown tables from bench/server.sh's JSON lines: one row per case and level, then the
server / in-process ratios (transport + protocol overhead) and the peer / server QPS ratio.
"cpu us/req" is the answering side's CPU per request (the server's from its stats, this
process's in-process): steadier than latency on a shared machine. "load us/req" is the load
generator's own CPU per request against a server (it shares the cores)."""

import json
import sys


def cpu(r, key="cpu_us_per_request"):
    return f"{r[key]:.0f}" if r.get(key) is not None else "-"


rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
print("| case | conc. | QPS | p50 ms | p95 ms | p99 ms | p99.9 ms | cpu us/req | load us/req | errors |")
print("|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['case']} | {r['concurrency']} | {r['qps']:.1f} | {r['p50_ms']:.3f} | {r['p95_ms']:.3f} | "
          f"{r['p99_ms']:.3f} | {r['p999_ms']:.3f} | {cpu(r)} | {cpu(r, 'load_cpu_us_per_request')} | {r['errors']} |")
by = {(r["case"], r["concurrency"]): r for r in rows}
print()
print("| case | conc. | server p50 / in-process p50 | server QPS / in-process QPS | server cpu - in-process cpu (us/req) | peer QPS / server QPS |")
print("|---|---|---|---|---|---|")
for (case, level), r in by.items():
    if not case.endswith(" server"):
        continue
    base = case[: -len(" server")]
    local = by.get((base + " in-process", level))
    peer = by.get((base + " peer", level))
    if not local:
        continue
    extra = "-"
    if r.get("cpu_us_per_request") is not None and local.get("cpu_us_per_request") is not None:
        extra = f"{r['cpu_us_per_request'] - local['cpu_us_per_request']:.0f}"
    ratio_peer = f"{peer['qps'] / r['qps']:.2f}" if peer else "-"
    print(f"| {base} | {level} | {r['p50_ms'] / local['p50_ms']:.3f} | {r['qps'] / local['qps']:.3f} | {extra} | {ratio_peer} |")
