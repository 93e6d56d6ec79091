#!/usr/bin/env python3
"""Recall of items inserted online, against items that were in the graph when it was built.

  online_inserts.py insert URL ITEMS.npy [N]   upserts N new items (default 1,000) through the
      server, 100 per request: each an existing item's vector (rows drawn with seed 3) plus
      Gaussian noise of half the data's standard deviation, ids new0, new1, ...
  online_inserts.py query URL ITEMS.npy [N] [EF]   for each new item and for the item it was
      made from, a query near it (noise of a tenth of the standard deviation); prints recall@10
      of the server's search (inner product, k 10, ef EF) against exact search over every item,
      how often the item itself is in the exact top 10, and how often the search returns it then.

Both modes draw the same vectors (same seed), so `query` knows what `insert` wrote."""
import sys
import time

import numpy as np

sys.path.insert(0, __file__.rsplit("/bench/", 1)[0] + "/tools/python")
from annclient import Client  # noqa: E402


def vectors(items, n):
    rng = np.random.default_rng(3)
    old_rows = rng.choice(items.shape[0], size=n, replace=False)
    base = np.asarray(items[old_rows], dtype=np.float32)
    sigma = float(np.asarray(items[:20000]).std())
    new = base + rng.normal(0, 0.5 * sigma, base.shape).astype(np.float32)
    near_new = new + rng.normal(0, 0.1 * sigma, new.shape).astype(np.float32)
    near_old = base + rng.normal(0, 0.1 * sigma, base.shape).astype(np.float32)
    return old_rows, new, near_new, near_old


def main():
    mode, url, path = sys.argv[1], sys.argv[2], sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1000
    items = np.load(path, mmap_mode="r")
    old_rows, new, near_new, near_old = vectors(items, n)
    client = Client(url, timeout=60)
    if mode == "insert":
        start = time.perf_counter()
        for i in range(0, n, 100):
            client.upsert(items=[{"id": "new%d" % j, "vector": new[j].tolist()} for j in range(i, min(n, i + 100))])
        print("upserted %d new items in %.2f s" % (n, time.perf_counter() - start))
        return
    ef = int(sys.argv[5]) if len(sys.argv) > 5 else 32
    every = np.vstack([np.asarray(items, dtype=np.float32), new])
    ids = np.array([str(i) for i in range(items.shape[0])] + ["new%d" % j for j in range(n)])

    def exact(queries):
        out = []
        for i in range(0, len(queries), 100):
            scores = queries[i:i + 100] @ every.T
            out += [set(ids[t]) for t in np.argpartition(-scores, 10, axis=1)[:, :10]]
        return out

    for name, queries, own in (("near a new item", near_new, ["new%d" % j for j in range(n)]),
                               ("near an old item", near_old, [str(r) for r in old_rows])):
        truth = exact(queries)
        found = [set(str(h.id) for h in client.search(queries[i].tolist(), k=10, ef=ef)) for i in range(n)]
        recall = np.mean([len(f & t) / 10 for f, t in zip(found, truth)])
        inside = [i for i in range(n) if own[i] in truth[i]]
        returned = np.mean([own[i] in found[i] for i in inside]) if inside else float("nan")
        print("%s (ef %d, %d queries): recall@10 %.4f; the item itself in the exact top 10 for %d queries, "
              "returned for %.3f of them" % (name, ef, n, recall, len(inside), returned))


if __name__ == "__main__":
    main()
