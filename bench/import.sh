#!/usr/bin/env bash
# Import benchmark: 1M x 128 float32 (.npy) into a new store, against FAISS writing the same
# file as a stored flat index, in the same run on the same file. Data comes from the project's
# own seeded generator. Usage: bench/import.sh [ROWS] [DIM] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}; dim=${2:-128}; runs=${3:-3}
tools/setup
swift build -c release --product annctl >/dev/null
python3 -m pip install -q -r bench/requirements.txt >/dev/null 2>&1 || true
annctl=.build/release/annctl
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench}
mkdir -p "$work"
data="$work/items-$rows-$dim.npy"
[ -f "$data" ] || "$annctl" generate clustered --out "$data" --count "$rows" --dim "$dim" --seed 1
echo "data: $data ($(du -h "$data" | cut -f1)), clustered, seed 1; machine: $(nproc) cores"
for run in $(seq 1 "$runs"); do
  rm -rf "$work/store"
  sync
  "$annctl" import --db "$work/store" --items "$data" --quiet | sed "s/^/annctl run $run: /"
  rm -f "$work/faiss.index"
  sync
  python3 bench/peers/import_faiss.py "$data" "$work/faiss.index" | sed "s/^/peer run $run: /"
done
du -h "$work/store/data.mdb" "$work/faiss.index"
