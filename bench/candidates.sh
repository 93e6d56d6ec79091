#!/usr/bin/env bash
# Candidate retrieval for ranking: recall@500 (k 500, as `recommend` asks with 500 candidates)
# against exact search, annctl's HNSW at several ef against hnswlib's on the same file and
# queries, single thread. Uses the server benchmark's 1M x 128 data and store (bench/server.sh
# 1000000 128 builds them; inner product).
# Usage: bench/candidates.sh [K] ; BENCH_DIR (default as bench/server.sh), ANNCTL override.
set -euo pipefail
cd "$(dirname "$0")/.."
k=${1:-500}
annctl=${ANNCTL:-}
if [ -z "$annctl" ]; then
  tools/setup
  swift build -c release --product annctl >/dev/null
  python3 -m pip install -q -r bench/requirements.txt >/dev/null 2>&1 || true
  annctl=.build/release/annctl
fi
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench-server}
store="$work/store-1000000-128"; items="$work/items-1000000-128.npy"; queries="$work/queries-128.npy"
[ -f "$store.hnsw" ] || { echo "run bench/server.sh 1000000 128 first (it builds $store)" >&2; exit 1; }
truth="$work/truth-$k.jsonl"
[ -f "$truth" ] || "$annctl" query --db "$store" --exact --queries "$queries" --k "$k" --json > "$truth" 2>/dev/null
for ef in $k 1000 2000; do
  "$annctl" query --db "$store" --queries "$queries" --k "$k" --ef "$ef" --json > "$work/found-$k.jsonl" 2> "$work/found-$k.log"
  seconds=$(grep -o '"seconds":[0-9.]*' "$work/found-$k.log" | cut -d: -f2)
  echo "annctl ef $ef: recall@$k $(python3 bench/peers/recall.py "$work/found-$k.jsonl" "$truth" "$k"), $(python3 -c "print(f'{$seconds:.3f}')") ms per query (1 thread, 1,000 queries)"
done
python3 bench/peers/hnswlib_recall.py "$items" "$queries" "$truth" "$k" "$k" 1000 2000
