#!/usr/bin/env python3
"""Server memory of a high-cardinality category filter: starts `ANNCTL serve --db STORE`, reads its
RSS, sends one `search` filtered on the `brand` column (which builds that column's label rows),
reads RSS again, then times 50 more filtered searches. STORE: the 1M demo catalogue with a `brand`
column of 20,000 labels (see bench/RESULTS.md, "labels").

Usage: label_memory_probe.py ANNCTL STORE"""
import sys, time, subprocess, re
sys.path.insert(0, "/work/main/tools/python")
from annclient import Client
annctl, store = sys.argv[1], sys.argv[2]
log = open("brand-serve.log", "w")
p = subprocess.Popen([annctl, "serve", "--db", store, "--listen", "tcp://127.0.0.1:0"], stderr=log)
url = None
for _ in range(600):
    time.sleep(0.1)
    m = re.search(r"tcp://127\.0\.0\.1:\d+", open("brand-serve.log").read())
    if m: url = m.group(0); break
c = Client(url, timeout=120)
def rss():
    for line in open("/proc/%d/status" % p.pid):
        if line.startswith("VmRSS"): return int(line.split()[1]) // 1024
before = rss()
t = time.perf_counter(); c.search([0.1] * 64, k=10, filter={"categories": ["b7"], "category_column": "brand"}); first = (time.perf_counter() - t) * 1e3
ts = []
for i in range(50):
    t = time.perf_counter(); c.search([0.1] * 64, k=10, filter={"categories": ["b%d" % i, "b%d" % (i + 100)], "category_column": "brand"}); ts.append((time.perf_counter() - t) * 1e3)
ts.sort()
print("%s: RSS %d MiB before the first brand filter, %d MiB after; first filtered search %.0f ms (column built), then p50 %.2f ms" % (annctl, before, rss(), first, ts[25]))
p.terminate(); p.wait()
