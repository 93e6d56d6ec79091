#!/usr/bin/env python3
"""Reads around online writes, through the Python client (tools/python/annclient).

  write_probe.py probe URL ITEMS [WRITES]    latency of recommend / category-filtered search,
      steady (no writes), then the first of each right after an upsert that changes one
      item's features (what a cache rebuilt per write costs the next reader)
  write_probe.py history URL ITEMS USERS    60 upserts of one history entry each (a random
      user u0..u(USERS-1) clicked a random item), the latency of the last 50
  write_probe.py stream URL ITEMS RATE SECONDS    upserts at RATE per second for SECONDS
      (a random existing item moves to a random category; every tenth upsert adds a 64-d item),
      then prints how many were written and their latency

Items are the demo catalogue's (`annctl generate demo`: ids 1000000 + row, categories c0..c49,
users u0...)."""
import random
import statistics
import sys
import time

sys.path.insert(0, __file__.rsplit("/bench/", 1)[0] + "/tools/python")
from annclient import Client  # noqa: E402


def moved(rng, items):
    """An existing item moved to a random category (both the demo's category columns)."""
    label = "c%d" % rng.randrange(50)
    return {"id": 1000000 + rng.randrange(items), "features": {"category": label, "categories": [label]}}


def ms(t):
    return (time.perf_counter() - t) * 1e3


def probe(url, items, writes):
    c = Client(url)
    rng = random.Random(1)

    def recommend():
        t = time.perf_counter()
        c.recommend(user="u1", k=20, candidates=500, mmr=0.7)
        return ms(t)

    def search():
        t = time.perf_counter()
        c.recommend(user="u2", k=10, candidates=100, filter={"categories": ["c1"]})
        return ms(t)

    for _ in range(20):
        recommend(), search()
    steady_r = [recommend() for _ in range(50)]
    steady_s = [search() for _ in range(50)]
    after_r, after_s, wrote = [], [], []
    for i in range(writes):
        t = time.perf_counter()
        c.upsert(items=[moved(rng, items)])
        wrote.append(ms(t))
        after_r.append(recommend())
        t = time.perf_counter()
        c.upsert(items=[moved(rng, items)])
        wrote.append(ms(t))
        after_s.append(search())
    med = statistics.median
    print("recommend ms: steady p50 %.2f max %.2f | first after a write p50 %.2f max %.2f"
          % (med(steady_r), max(steady_r), med(after_r), max(after_r)))
    print("filtered recommend ms: steady p50 %.2f max %.2f | first after a write p50 %.2f max %.2f"
          % (med(steady_s), max(steady_s), med(after_s), max(after_s)))
    print("upsert ms p50 %.2f (%d upserts)" % (med(wrote), len(wrote)))


def stream(url, items, rate, seconds):
    c = Client(url)
    rng = random.Random(2)
    start = time.perf_counter()
    latencies = []
    n = 0
    while time.perf_counter() - start < seconds:
        due = start + n / rate
        pause = due - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        if n % 10 == 9:
            record = moved(rng, items)
            record["id"] = 9000000 + n
            record["vector"] = [rng.gauss(0, 0.1) for _ in range(64)]
        else:
            record = moved(rng, items)
        t = time.perf_counter()
        c.upsert(items=[record])
        latencies.append(ms(t))
        n += 1
    elapsed = time.perf_counter() - start
    latencies.sort()
    print("writer: %d upserts in %.1f s (%.1f/s), latency p50 %.2f ms p99 %.2f ms"
          % (n, elapsed, n / elapsed, latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.99)]))


def history(url, items, users):
    c = Client(url)
    rng = random.Random(4)
    c.recommend(user="u1", k=10)
    latencies = []
    for i in range(60):
        t = time.perf_counter()
        c.upsert(histories=[("u%d" % rng.randrange(users), [(1000000 + rng.randrange(items), 1800000000 + i)])])
        latencies.append(ms(t))
    latencies = latencies[10:]
    print("history-only upsert ms: p50 %.2f max %.2f (%d upserts)" % (statistics.median(latencies), max(latencies), len(latencies)))


if __name__ == "__main__":
    mode, url, items = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "probe":
        probe(url, items, int(sys.argv[4]) if len(sys.argv) > 4 else 20)
    elif mode == "history":
        history(url, items, int(sys.argv[4]))
    else:
        stream(url, items, float(sys.argv[4]), float(sys.argv[5]))
