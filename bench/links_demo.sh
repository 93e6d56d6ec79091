#!/usr/bin/env bash
# Link kinds of the inner-product HNSW graph on the demo catalogue (recommender-like: norms
# spread by popularity), the other generator besides bench/reach.sh's clustered set. Generates
# ITEMS items x 64 (seed 42) once, imports the items, takes the first 1,000 user vectors as
# queries, and for each build variant prints build time, recall@10 and single-thread QPS at
# ef 16 / 32 / 64, and recall@500 at ef 500, against exact search.
# Usage: bench/links_demo.sh [ITEMS]   (VARIANTS: build flag sets separated by ';')
set -euo pipefail
cd "$(dirname "$0")/.."
items=${1:-100000}
variants=${VARIANTS:-"--links metric --link-unreachable;--links augmented --link-unreachable;--links metric;--links augmented"}
swift build -c release --product annctl >/dev/null
annctl=$PWD/.build/release/annctl
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench}/links-demo-$items
mkdir -p "$work"
if [ ! -f "$work/truth-500.jsonl" ]; then
  rm -rf "$work/store" "$work/data"
  "$annctl" generate demo --out "$work/data" --items "$items" --users 10000 --dim 64 --seed 42 >/dev/null
  "$annctl" import --db "$work/store" --items "$work/data/items.npy" --item-ids "$work/data/item_ids.txt" >/dev/null
  python3 -c "import numpy as np; u=np.load('$work/data/users.npy')[:1000]; np.save('$work/q.npy', u); np.save('$work/qb.npy', np.tile(u, (5, 1)))"
  "$annctl" query --db "$work/store" --exact --queries "$work/q.npy" --k 10 --json > "$work/truth-10.jsonl" 2>/dev/null
  "$annctl" query --db "$work/store" --exact --queries "$work/q.npy" --k 500 --json > "$work/truth-500.jsonl" 2>/dev/null
fi
IFS=';' read -ra sets <<< "$variants"
for flags in "${sets[@]}"; do
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$annctl" build --db "$work/store" --index hnsw --m 16 --ef-construction 200 --threads 2 --quiet $flags > "$work/build.log"
  grep '^note' "$work/build.log" || echo "note: every row reachable"
  echo "[$flags] build $(echo "$(date +%s.%N) - $start" | bc) s"
  for ef in 16 32 64; do
    "$annctl" query --db "$work/store" --queries "$work/q.npy" --k 10 --ef $ef --threads 1 --json > "$work/found" 2>/dev/null
    "$annctl" query --db "$work/store" --queries "$work/qb.npy" --k 10 --ef $ef --threads 1 --json > /dev/null 2> "$work/timing"
    qps=$(python3 -c "import json; t=json.loads(open('$work/timing').read().splitlines()[-1]); print(round(t['queries']/t['seconds']))")
    echo "[$flags] ef $ef recall@10 $(python3 bench/peers/recall.py "$work/found" "$work/truth-10.jsonl") qps1 $qps"
  done
  "$annctl" query --db "$work/store" --queries "$work/q.npy" --k 500 --ef 500 --threads 1 --json > "$work/found" 2>/dev/null
  echo "[$flags] recall@500 ef 500 $(python3 bench/peers/recall.py "$work/found" "$work/truth-500.jsonl" 500)"
done
