#!/usr/bin/env bash
# HNSW reachability: builds the int8 inner-product graph of bench/hnsw.sh's data twice, without
# and with --link-unreachable, and measures each: build time, recall@10 and single-thread QPS at
# a few ef, recall@K at ef K (the recommend candidates) against exact search; hnswlib's cached
# index (bench/server.sh builds it) on the same files when present.
# Usage: bench/reach.sh [ROWS] [K]   (needs bench/hnsw.sh ROWS "ip" to have made the store)
# BUILD_FLAGS adds flags to both builds (e.g. BUILD_FLAGS="--links metric": the default before
# 2026-11-26, which the earlier figures in bench/RESULTS.md were measured with).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}; k=${2:-500}
swift build -c release --product annctl >/dev/null
annctl=$PWD/.build/release/annctl
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench}/hnsw-$rows
store="$work/store-ip"
truthk="$work/truth-ip-$k.jsonl"
[ -f "$truthk" ] || "$annctl" query --db "$store" --exact --queries "$work/queries.npy" --k "$k" --json > "$truthk" 2>/dev/null
qps() { python3 -c "import json; t=json.loads(open('$1').read().splitlines()[-1]); print(f\"{t['queries']/t['seconds']:.1f}\")"; }
for flag in "" --link-unreachable; do
  start=$(date +%s.%N)
  "$annctl" build --db "$store" --index hnsw --m 16 --ef-construction 200 --threads 2 --int8 $flag ${BUILD_FLAGS:-} --quiet
  echo "build ${flag:-default} ${BUILD_FLAGS:-}: $(echo "$(date +%s.%N) - $start" | bc) s"
  for ef in 16 32 64 128; do
    "$annctl" query --db "$store" --queries "$work/queries.npy" --k 10 --ef $ef --threads 1 --json > "$work/found.jsonl" 2>/dev/null
    r=$(python3 bench/peers/recall.py "$work/found.jsonl" "$work/truth-ip.jsonl")
    "$annctl" query --db "$store" --queries "$work/queries-batch.npy" --k 10 --ef $ef --threads 1 --json > /dev/null 2> "$work/timing.json"
    echo "${flag:-default} ef $ef recall@10 $r qps1 $(qps "$work/timing.json")"
  done
  "$annctl" query --db "$store" --queries "$work/queries.npy" --k "$k" --ef "$k" --threads 1 --json > "$work/found.jsonl" 2>/dev/null
  echo "${flag:-default} recall@$k ef $k $(python3 -c "
import json
t=[json.loads(l)['ids'] for l in open('$truthk')]; f=[json.loads(l)['ids'] for l in open('$work/found.jsonl')]
print(round(sum(len(set(a)&set(b))/$k for a,b in zip(t,f))/len(t),4))")"
done
peer=${PEER_INDEX:-${TMPDIR:-/tmp}/annserver-bench-server/items-$rows-128.npy.hnsw-ip-M16-ef200.bin}
[ -f "$peer" ] && python3 bench/peers/hnswlib_query.py "$peer" "$work/queries.npy" "$work/queries-batch.npy" \
  "$work/truth-ip.jsonl" "$truthk" "$k" "$k"
