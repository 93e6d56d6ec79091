#!/usr/bin/env python3
"""The peer of the server benchmark: a hand-written Python pynng REP server wrapping hnswlib.

It answers ann.v1 `search` (and `health`, and `stats` with its CPU time) requests, binary protobuf, so that `annctl load`
drives it exactly as it drives `annctl serve`. Worker threads each own an NNG context
(hnswlib releases the GIL during a query). The index is built once from the .npy file
(inner product, M=16, ef_construction=200) and cached next to it; at start the recall@10 at
the chosen ef is measured against exact search on a sample of the query file.

    python3 bench/peers/pynng_hnswlib_server.py --data items.npy --queries queries.npy \
        --listen tcp://127.0.0.1:7500 --ef 64 --threads 2
"""

import argparse
import os
import sys
import threading
import time

import hnswlib
import numpy as np
import pynng

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "python"))
from annclient import ann_v1_pb2 as pb  # noqa: E402


def build_or_load(data, m, ef_construction, threads):
    path = f"{data}.hnsw-ip-M{m}-ef{ef_construction}.bin"
    vectors = np.load(data, mmap_mode="r")
    index = hnswlib.Index(space="ip", dim=vectors.shape[1])
    if os.path.exists(path):
        index.load_index(path, max_elements=vectors.shape[0])
        print(f"peer: loaded {path}", flush=True)
    else:
        start = time.time()
        index.init_index(max_elements=vectors.shape[0], M=m, ef_construction=ef_construction, random_seed=1)
        index.set_num_threads(threads)
        index.add_items(np.ascontiguousarray(vectors), np.arange(vectors.shape[0]))
        index.save_index(path)
        print(f"peer: built hnswlib index of {vectors.shape[0]} x {vectors.shape[1]} in {time.time() - start:.1f} s "
              f"(M={m}, ef_construction={ef_construction}), saved to {path}", flush=True)
    return index, vectors


def recall(index, vectors, queries, k=10, sample=200):
    """recall@k of the index at its ef against exact inner-product search, on `sample` queries."""
    q = np.ascontiguousarray(queries[:sample], dtype=np.float32)
    data = np.asarray(vectors, dtype=np.float32)
    labels, _ = index.knn_query(q, k=k)
    hits = 0
    for start in range(0, len(q), 25):
        scores = q[start:start + 25] @ data.T
        exact = np.argpartition(-scores, k, axis=1)[:, :k]
        hits += sum(len(set(a) & set(b)) for a, b in zip(labels[start:start + 25], exact))
    return hits / (len(q) * k)


def serve(index, url, threads, dimension):
    sock = pynng.Rep0(recv_max_size=16 << 20)
    listener = sock.listen(url)
    if url.startswith("tcp://"):
        url = f"tcp://{listener.local_address}"  # the bound port when asked for port 0
    print(f"peer: listening on {url} with {threads} threads", flush=True)

    def worker():
        ctx = sock.new_context()
        while True:
            try:
                data = ctx.recv()
            except pynng.Closed:
                return
            request = pb.Request()
            reply = pb.Reply()
            try:
                request.ParseFromString(data)
                reply.request_id = request.request_id
                op = request.WhichOneof("op")
                if op == "search":
                    vector = np.asarray(request.search.vector, dtype=np.float32)
                    if vector.shape[0] != dimension:
                        raise ValueError(f"dimension {vector.shape[0]}, expected {dimension}")
                    labels, distances = index.knn_query(vector, k=request.search.k or 10)
                    for label, distance in zip(labels[0], distances[0]):
                        hit = reply.results.hits.add()
                        hit.id.num = int(label)
                        hit.score = 1.0 - float(distance)  # hnswlib's ip distance is 1 - q.x
                elif op == "health":
                    reply.health.status = "serving"
                    reply.health.dimension = dimension
                elif op == "stats":
                    # CPU time of this process, so the load generator reports CPU per request.
                    reply.stats.cpu_seconds = time.process_time()
                    reply.stats.dimension = dimension
                else:
                    raise ValueError(f"op {op} not served by the peer")
            except Exception as e:  # noqa: BLE001 - every request gets an answer
                reply.error.code = pb.BAD_REQUEST
                reply.error.message = str(e)
            ctx.send(reply.SerializeToString())

    workers = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for w in workers:
        w.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        sock.close()


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="items .npy (float32, rows are ids 0..n-1)")
    p.add_argument("--queries", help=".npy of queries for the recall check")
    p.add_argument("--listen", default="tcp://127.0.0.1:7500")
    p.add_argument("--ef", type=int, default=64)
    p.add_argument("--m", type=int, default=16)
    p.add_argument("--ef-construction", type=int, default=200)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--build-only", action="store_true", help="build (or load) the index, print recall, exit")
    args = p.parse_args()
    index, vectors = build_or_load(args.data, args.m, args.ef_construction, args.threads)
    index.set_ef(args.ef)
    index.set_num_threads(1)
    if args.queries:
        print(f"peer: recall@10 at ef={args.ef}: {recall(index, vectors, np.load(args.queries)):.3f}", flush=True)
    if args.build_only:
        return
    serve(index, args.listen, args.threads, vectors.shape[1])


if __name__ == "__main__":
    main()
