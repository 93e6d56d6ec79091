#!/usr/bin/env bash
# HNSW benchmark: clustered embeddings from the project's own seeded generator (Zipf-sized
# clusters, centres of varied norm, decaying spectrum), 1,000 queries, exact ground truth by
# annctl's exact search; then annctl's HNSW and the peers (hnswlib, FAISS HNSW and IVF,
# usearch) with the same M and efConstruction, in the same run, on the same files.
# Usage: bench/hnsw.sh [ROWS] [METRICS] [ENGINES]   e.g. bench/hnsw.sh 1000000 "ip l2"
# EFS / PEER_EFS: ef sweeps (comma-separated) of annctl / of the peers.
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
# Throughput runs the 1,000 queries 5 times over (a 1,000-query batch on 2 threads lasts tens
# of milliseconds: thread start-up and scheduling noise would dominate it); recall comes from
# one pass. The peers time single-thread queries over at least one second likewise.
bq="$work/queries-batch.npy"
[ -f "$bq" ] || python3 -c "import numpy as np; np.save('$bq', np.tile(np.load('$queries'), (5, 1)))"
# Result files are named by size and metrics (hnsw-1000000-ip.csv, hnsw-200000-ip-l2.csv).
name=hnsw-$rows-${metrics// /-}
csv=bench/results/$name.csv
efs=${EFS:-10,16,24,32,48,64,96,128,256,512,1024}
echo "engine,metric,param,recall10,qps_1thread,build_s,rss_mib,qps_batch" > "$csv"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); data $rows x $dim clustered seed 1; M $m efC $efc; build threads $threads"
qps() { python3 -c "import json; t=json.loads(open('$1').read().splitlines()[-1]); print(f\"{t['queries']/t['seconds']:.1f}\")"; }
for metric in $metrics; do
  store="$work/store-$metric"
  if [ ! -f "$store/data.mdb" ]; then
    "$annctl" import --db "$store" --items "$items" --metric "$metric" --quiet >/dev/null
  fi
  truth="$work/truth-$metric.jsonl"
  [ -f "$truth" ] || "$annctl" query --db "$store" --exact --queries "$queries" --k 10 --json > "$truth" 2>/dev/null
  # annctl twice: float32 walk, then int8 walk (--int8) with float32 re-scoring.
  for variant in annctl annctl-int8; do
    flags=""; [ "$variant" = annctl-int8 ] && flags="--int8"
    start=$(date +%s.%N)
    "$annctl" build --db "$store" --index hnsw --m $m --ef-construction $efc --threads $threads $flags --quiet
    build_s=$(echo "$(date +%s.%N) - $start" | bc)
    # Open time: a fresh process opens the store and the index and answers one query.
    sync; /usr/bin/time -f %e -o "$work/open.txt" "$annctl" query --db "$store" --item 0 --k 10 --json >/dev/null 2>&1
    open_s=$(tail -1 "$work/open.txt")
    rss=$(/usr/bin/time -f %M "$annctl" query --db "$store" --queries "$queries" --k 10 --ef 64 --json 2>&1 >/dev/null | tail -1)
    echo "$variant $metric: build ${build_s}s on $threads threads; open + first query ${open_s}s; rss $((rss / 1024)) MiB"
    for ef in ${efs//,/ }; do
      "$annctl" query --db "$store" --queries "$queries" --k 10 --ef $ef --threads 1 --json > "$work/found.jsonl" 2> /dev/null
      r=$(python3 bench/peers/recall.py "$work/found.jsonl" "$truth")
      # Single-thread QPS over the 5x file (1,000 queries last about 0.2 s: too short to time).
      "$annctl" query --db "$store" --queries "$bq" --k 10 --ef $ef --threads 1 --json > /dev/null 2> "$work/timing.json"
      q1=$(qps "$work/timing.json")
      "$annctl" query --db "$store" --queries "$bq" --k 10 --ef $ef --threads $threads --json > /dev/null 2> "$work/timing.json"
      qb=$(qps "$work/timing.json")
      echo "$variant,$metric,$ef,$r,$q1,$build_s,$((rss / 1024)),$qb" >> "$csv"
      printf "%-14s %s param %5d recall@10 %s qps %8s batch qps %8s build %.1fs rss %dMiB\n" $variant "$metric" "$ef" "$r" "$q1" "$qb" "$build_s" $((rss / 1024))
    done
  done
  python3 bench/peers/ann_peers.py "$items" "$queries" "$truth" "$metric" "$csv" --m $m --efc $efc --threads $threads \
    --engines "$engines" --efs "${PEER_EFS:-$efs}" --batch-queries "$bq"
done
python3 bench/peers/hnsw_table.py "$csv"
python3 bench/peers/plot.py "$csv" "bench/results/$name.png" || true
echo "results: $csv"
