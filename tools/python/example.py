#!/usr/bin/env python3
"""Asks a running `annctl serve` for recommendations and similar items, with latencies.

    PYTHONPATH=tools/python python3 tools/python/example.py tcp://127.0.0.1:7400 \
        --user u1 --user u42 --item 1000000 --k 5 --show category
"""

import argparse
import sys
import time

from annclient import AnnError, Client


def as_id(text):
    """An id as the server reads it: canonical ASCII decimal digits fitting in 64 bits are a number
    ("42" is 42; "007", "١٢" and 2**64 are strings)."""
    canonical = text.isascii() and text.isdigit() and (text == "0" or not text.startswith("0"))
    return int(text) if canonical and int(text) < 2 ** 64 else text


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("url")
    p.add_argument("--user", action="append", default=[], help="recommend for this user id")
    p.add_argument("--item", action="append", default=[], help="items similar to this item id")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--show", default="", help="item feature columns to print, comma-separated")
    p.add_argument("--timeout", type=float, default=5.0)
    args = p.parse_args()
    columns = [c for c in args.show.split(",") if c]

    try:
        client = Client(args.url, timeout=args.timeout)
    except AnnError as e:  # nothing listening (TransportError), or no connection in time (Timeout)
        print(f"server {args.url}: {e.code_name}: {e.message}", file=sys.stderr)
        return 2
    with client:
        health = client.health()
        print(f"server {args.url}: {health.status}, {health.index}")
        calls = [(f"recommend for user {u}", lambda u=u: client.recommend(user=as_id(u), k=args.k, features=columns))
                 for u in args.user]
        calls += [(f"similar to item {i}", lambda i=i: client.similar(item=as_id(i), k=args.k, features=columns))
                  for i in args.item]
        failed = 0
        for label, call in calls:
            start = time.perf_counter()
            try:
                hits = call()
            except AnnError as e:
                print(f"{label}: {e.code_name}: {e.message}")
                failed += 1
                continue
            ms = (time.perf_counter() - start) * 1000
            print(f"{label}: {len(hits)} results in {ms:.3f} ms (round trip)")
            for rank, hit in enumerate(hits, 1):
                extra = "".join(f"  {c}={hit.features.get(c, '-')}" for c in columns)
                print(f"  {rank:3d}  {str(hit.id):16s} {hit.score:10.6f}{extra}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
