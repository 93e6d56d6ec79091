#!/usr/bin/env bash
# HNSW benchmark: clustered embeddings from the project's own seeded generator (Zipf-sized
# clusters, centres of varied norm, decaying spectrum), 1,000 queries, exact ground truth by
# annctl's exact search; then annctl's HNSW and the peers (hnswlib, FAISS HNSW and IVF,
# usearch) with the same M and efConstruction, in the same run, on the same files.
# Usage: bench/hnsw.sh [ROWS] [METRICS] [ENGINES]   e.g. bench/hnsw.sh 1000000 "ip l2"
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}; metrics=${2:-"ip l2"}; engines=${3:-hnswlib,faiss-hnsw,usearch,faiss-ivf}
dim=128; m=16; efc=200; threads=2
tools/setup
swift build -c release --product annctl >/dev/null
python3 -m pip install -q -r bench/requirements.txt >/dev/null 2>&1 || true
annctl=$PWD/.build/release/annctl
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench}/hnsw-$rows
mkdir -p "$work" bench/results
items="$work/items.npy"; queries="$work/queries.npy"
[ -f "$items" ] || "$annctl" generate clustered --out "$items" --count "$rows" --dim $dim --seed 1 --query-count 1000 --queries "$queries"
csv=bench/results/hnsw-$rows.csv
echo "engine,metric,param,recall10,qps_1thread,build_s,rss_mib" > "$csv"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); data $rows x $dim clustered seed 1; M $m efC $efc; build threads $threads"
for metric in $metrics; do
  store="$work/store-$metric"
  if [ ! -f "$store/data.mdb" ]; then
    "$annctl" import --db "$store" --items "$items" --metric "$metric" --quiet >/dev/null
  fi
  truth="$work/truth-$metric.jsonl"
  [ -f "$truth" ] || "$annctl" query --db "$store" --exact --queries "$queries" --k 10 --json > "$truth" 2>/dev/null
  start=$(date +%s.%N)
  "$annctl" build --db "$store" --index hnsw --m $m --ef-construction $efc --threads $threads --quiet
  build_s=$(echo "$(date +%s.%N) - $start" | bc)
  rss=$(/usr/bin/time -f %M "$annctl" query --db "$store" --queries "$queries" --k 10 --ef 64 --json 2>&1 >/dev/null | tail -1)
  for ef in 10 16 32 64 128 256 512 1024; do
    "$annctl" query --db "$store" --queries "$queries" --k 10 --ef $ef --threads 1 --json > "$work/found.jsonl" 2> "$work/timing.json"
    r=$(python3 bench/peers/recall.py "$work/found.jsonl" "$truth")
    qps=$(python3 -c "import json; t=json.loads(open('$work/timing.json').read().splitlines()[-1]); print(f\"{t['queries']/t['seconds']:.1f}\")")
    echo "annctl,$metric,$ef,$r,$qps,$build_s,$((rss / 1024))" >> "$csv"
    printf "%-14s %s param %5d recall@10 %s qps %8s build %.1fs rss %dMiB\n" annctl "$metric" "$ef" "$r" "$qps" "$build_s" $((rss / 1024))
  done
  python3 bench/peers/ann_peers.py "$items" "$queries" "$truth" "$metric" "$csv" --m $m --efc $efc --threads $threads --engines "$engines"
done
python3 bench/peers/plot.py "$csv" "bench/results/hnsw-$rows.png" || true
echo "results: $csv"
