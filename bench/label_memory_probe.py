#!/usr/bin/env python3
"""Server memory of a high-cardinality category filter: starts `ANNCTL serve --db STORE`, reads its
RSS, sends one `search` filtered on the `brand` column (which builds that column's label rows),
reads RSS again, then times 50 more filtered searches, then 30 upserts that each move one random
item to another brand, each followed by a brand-filtered search (the server patches the column's
label rows for the moved item first). STORE: the 1M demo catalogue with a `brand` column of
20,000 labels (see bench/RESULTS.md, "labels"); the upserts change it (serve a copy).

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
import random
rng = random.Random(4)
after = []
for i in range(30):
    c.upsert(items=[{"id": 1000000 + rng.randrange(1000000), "features": {"brand": "b%d" % rng.randrange(20000)}}])
    t = time.perf_counter(); c.search([0.1] * 64, k=10, filter={"categories": ["b%d" % i], "category_column": "brand"}); after.append((time.perf_counter() - t) * 1e3)
after.sort()
print("%s: brand-filtered search right after an upsert that moves one item's brand: p50 %.2f ms, max %.2f ms" % (annctl, after[15], after[-1]))
p.terminate(); p.wait()
