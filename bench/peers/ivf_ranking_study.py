"""How to rank IVF lists for inner product when norms vary: rows scanned per query to reach
recall@10 0.90 / 0.95 / 0.99 for several rankings, on the same lists (FAISS does the scans).

  ivf_ranking_study.py DATA.npy QUERIES.npy NLIST

- faiss-ip: FAISS IndexIVFFlat with METRIC_INNER_PRODUCT as shipped (spherical k-means:
  centroids normalised, lists by direction only), lists ranked by q.c.
- l2 q.c: k-means with L2 (centroids keep the norms of their rows), rows assigned by L2,
  lists ranked by q.c.
- l2 q.c + a |q| Rmax: the same lists ranked by q.c plus a share of the Cauchy-Schwarz bound
  q.(x - c) <= |q| max|x - c| (a = 1 is the bound itself).
- l2 q.c + a |q| Rrms: the same with the root-mean-square residual instead of the largest.
Training: 64 x NLIST sampled rows, 10 iterations, seed 1, two threads.
"""
import sys

import faiss
import numpy as np

PROBES = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 1536]


def main():
    faiss.omp_set_num_threads(2)
    x = np.load(sys.argv[1])
    q = np.load(sys.argv[2])
    nlist = int(sys.argv[3])
    n, d = x.shape
    exact = faiss.IndexFlatIP(d)
    exact.add(x)
    _, truth = exact.search(q, 10)
    sample = x[np.random.default_rng(0).choice(n, min(n, 64 * nlist), replace=False)]

    def recall(found):
        return np.mean([len(set(f) & set(t)) for f, t in zip(found, truth)]) / 10

    def report(name, index, sizes, score):
        order = np.argsort(-score, axis=1).astype(np.int64)
        curve = []
        for p in PROBES:
            if p > nlist:
                break
            lists = np.ascontiguousarray(order[:, :p])
            index.nprobe = p
            _, found = index.search_preassigned(q, 10, lists, np.take_along_axis(score, lists, 1).astype(np.float32))
            curve.append((p, recall(found), sizes[lists].sum(1).mean()))
        at = []
        for target in (0.90, 0.95, 0.99):
            hit = next((c for c in curve if c[1] >= target), None)
            at.append(f"{int(hit[2])} (nprobe {hit[0]})" if hit else "not reached")
        print(f"| {name} | " + " | ".join(at) + " |", flush=True)

    print("| ranking | rows scanned @0.90 | @0.95 | @0.99 |")
    print("|---|---|---|---|")
    flat_ip = faiss.IndexFlatIP(d)
    spherical = faiss.IndexIVFFlat(flat_ip, d, nlist, faiss.METRIC_INNER_PRODUCT)
    spherical.cp.niter, spherical.cp.seed = 10, 1
    spherical.train(sample)
    spherical.add(x)
    sizes = np.array([spherical.invlists.list_size(i) for i in range(nlist)])
    report("faiss-ip (spherical centroids), q.c", spherical, sizes, q @ flat_ip.reconstruct_n(0, nlist).T)

    flat_l2 = faiss.IndexFlatL2(d)
    lists = faiss.IndexIVFFlat(flat_l2, d, nlist, faiss.METRIC_INNER_PRODUCT)
    lists.cp.niter, lists.cp.seed, lists.cp.spherical = 10, 1, False
    lists.train(sample)
    lists.add(x)
    c = flat_l2.reconstruct_n(0, nlist)
    sizes = np.array([lists.invlists.list_size(i) for i in range(nlist)])
    _, assigned = flat_l2.search(x, 1)
    assigned = assigned[:, 0]
    residual = np.linalg.norm(x - c[assigned], axis=1)
    rmax = np.zeros(nlist)
    np.maximum.at(rmax, assigned, residual)
    squares = np.zeros(nlist)
    np.add.at(squares, assigned, residual ** 2)
    rrms = np.sqrt(squares / np.maximum(sizes, 1))
    qc = q @ c.T
    qn = np.linalg.norm(q, axis=1)[:, None]
    report("l2 centroids, q.c", lists, sizes, qc)
    for a in (0.05, 0.1, 0.2, 0.3, 1.0):
        report(f"l2 centroids, q.c + {a} abs(q) Rmax", lists, sizes, qc + a * qn * rmax[None, :])
    for a in (0.25, 0.5):
        report(f"l2 centroids, q.c + {a} abs(q) Rrms", lists, sizes, qc + a * qn * rrms[None, :])


if __name__ == "__main__":
    main()
