#!/usr/bin/env bash
# IVF benchmark: annctl's IVF (float32 and int8 lists) against FAISS IndexIVFFlat and
# IndexIVFScalarQuantizer (8-bit) with the same nlist and training-sample size, on the same
# generated clustered set and queries, in the same run. Writes curves and build figures as CSV
# under bench/results/ and prints the summary table (QPS at recall@10 >= 0.90 / 0.95 / 0.99).
# Usage: bench/ivf.sh [ROWS] [NLIST] [METRICS]   (default: 1000000 4000 "ip l2")
# Environment: BENCH_DIR (data and stores), RUNS, OURS_NPROBES / FAISS_NPROBES (grids), COLD=1
# (evict the store from the page cache after each build).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}; nlist=${2:-4000}; metrics=${3:-"ip l2"}; dim=128; nq=1000
runs=${RUNS:-3}   # each rate is the best of this many runs (the machine is shared)
sample=$((64 * nlist))
ours_probes=${OURS_NPROBES:-"1 2 4 6 8 12 16 24 32 48 64 96 128"}
faiss_probes=${FAISS_NPROBES:-"1 2 4 8 12 16 24 32 48 64 96 128 192 256 384 512 768 1024"}
tools/setup >/dev/null
swift build -c release --product annctl >/dev/null
python3 -m pip install -q -r bench/requirements.txt >/dev/null 2>&1 || true
annctl=.build/release/annctl
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench}
mkdir -p "$work" bench/results
data="$work/items-$rows-$dim.npy"; queries="$work/queries-$rows-$dim.npy"
[ -f "$data" ] && [ -f "$queries" ] || "$annctl" generate clustered --out "$data" --count "$rows" --dim "$dim" --seed 1 \
  --query-count "$nq" --queries "$queries"
one="$work/one-query-$dim.npy"
[ -f "$one" ] || python3 -c "import numpy as n, sys; n.save(sys.argv[2], n.load(sys.argv[1])[:1])" "$queries" "$one"
tag="ivf-$rows-$nlist"; [ "$metrics" = "ip l2" ] || tag="$tag-${metrics// /-}"
curves="bench/results/$tag-curves.csv"; builds="bench/results/$tag-builds.csv"
echo "system,index,metric,nprobe,recall,qps_single,qps_single_cpu,qps_batch2" > "$curves"
echo "system,index,metric,build_s,build_cpu_s,build_rss_mib,query_rss_mib" > "$builds"
echo "data: $data ($rows x $dim, clustered, seed 1), $nq queries; nlist $nlist, sample $sample; $(nproc) cores; load: $(uptime | sed 's/.*load/load/')"

for metric in $metrics; do
  gt="$work/truth-$rows-$metric.npy"
  [ -f "$gt" ] || python3 bench/peers/ivf_tools.py truth "$data" "$queries" "$metric" "$gt"
  store="$work/store-$rows-$metric"
  rm -rf "$store"
  "$annctl" import --db "$store" --items "$data" --metric "$metric" --quiet >/dev/null
  for encoding in float32 int8; do
    flag=""; label="IVF"; [ "$encoding" = int8 ] && flag="--int8" && label="IVF-int8"
    sync
    /usr/bin/time -f "%e %U %S %M" -o "$work/time.txt" "$annctl" build --db "$store" --index ivf --nlist "$nlist" $flag \
      --retrain --threads 2 --quiet | sed "s/^/annctl $metric $label: /"
    read -r build_s user_s sys_s build_kb < "$work/time.txt"
    # COLD=1 drops the store's file from the page cache, so the first query process reads its
    # lists from disk, as after a reboot. By default the page cache the build left is kept (the
    # usual case after a build or a restart): the query process copies the lists into huge-page
    # memory at open either way.
    [ "${COLD:-0}" = 1 ] && python3 bench/peers/ivf_tools.py evict "$store/data.mdb"
    # Open time: a fresh process that opens the index and answers one query.
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$annctl" query --db "$store" --queries "$one" --nprobe 12 --json >/dev/null
    read -r open_s open_kb < "$work/time.txt"
    echo "  annctl $metric $label open + one query: $open_s s wall, peak RSS $((open_kb / 1024)) MiB"
    build_cpu=$(python3 -c "print(f'{$user_s + $sys_s:.1f}')")
    query_kb=0
    for nprobe in $ours_probes; do
      [ "$nprobe" -le "$nlist" ] || continue
      for run in $(seq 1 "$runs"); do
        # One BLAS thread per worker (the 2-thread runs parallelise across workers).
        OPENBLAS_NUM_THREADS=1 /usr/bin/time -f "%M" -o "$work/time.txt" "$annctl" query --db "$store" --queries "$queries" --nprobe "$nprobe" \
          --threads 1 --json > "$work/answers.jsonl" 2> "$work/single-$run.txt"
        kb=$(tail -1 "$work/time.txt"); [ "$kb" -gt "$query_kb" ] && query_kb=$kb
        OPENBLAS_NUM_THREADS=1 "$annctl" query --db "$store" --queries "$queries" --nprobe "$nprobe" --threads 2 --batch 250 --json \
          > "$work/answers2.jsonl" 2> "$work/batch-$run.txt"
      done
      recall=$(python3 bench/peers/ivf_tools.py recall "$gt" "$work/answers.jsonl")
      python3 bench/peers/ivf_tools.py same "$work/answers.jsonl" "$work/answers2.jsonl" \
        || echo "  warning: batched ids differ from single-query ids at nprobe $nprobe"
      read -r q1 q1cpu < <(python3 bench/peers/ivf_tools.py qps "$work"/single-*.txt)
      read -r q2 _ < <(python3 bench/peers/ivf_tools.py qps "$work"/batch-*.txt)
      rm -f "$work"/single-*.txt "$work"/batch-*.txt
      echo "  annctl $metric $label nprobe $nprobe: recall $recall, $q1 q/s single ($q1cpu by CPU time), $q2 q/s batch x2"
      echo "annserver,$label,$metric,$nprobe,$recall,$q1,$q1cpu,$q2" >> "$curves"
      python3 -c "import sys; sys.exit(0 if $recall >= 0.995 else 1)" && break  # the curve has reached the top
    done
    echo "annserver,$label,$metric,$build_s,$build_cpu,$((build_kb / 1024)),$((query_kb / 1024))" >> "$builds"
  done
  python3 bench/peers/ivf_faiss.py "$data" "$queries" "$gt" "$metric" "$nlist" "$sample" "$faiss_probes" \
    "$curves" "$builds" "$work" "$runs"
done
python3 bench/peers/ivf_tools.py summary "$curves" "$builds"
python3 bench/peers/ivf_tools.py ratios "$curves"
# The IVF curves go into the HNSW benchmark's PNG of the same rows and metric (same data file).
for metric in $metrics; do
  hnsw="bench/results/hnsw-$rows-$metric.csv"
  [ -f "$hnsw" ] && python3 bench/peers/plot.py "$hnsw" "bench/results/hnsw-$rows-$metric.png" "$curves" || true
done
