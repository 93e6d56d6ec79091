#!/usr/bin/env bash
# Cost of online inserts by build variant: copies bench/hnsw.sh's inner-product store of ROWS
# items, builds each variant into its own copy, then imports N new items (stored items plus
# seeded noise, new ids) into a fresh copy of each, ROUNDS times, alternating variants. An
# import into a built store inserts into the HNSW graph in the same transaction.
# Usage: bench/insert_cost.sh [ROWS] [N] [ROUNDS]
#   VARIANTS: build flag sets separated by ';' (default: wide links 0 / 8, metric links)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-200000}; n=${2:-2000}; rounds=${3:-3}
variants=${VARIANTS:-"--wide-links 0;--wide-links 8;--links metric"}
swift build -c release --product annctl >/dev/null
annctl=$PWD/.build/release/annctl
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench}/hnsw-$rows
scratch=$(mktemp -d "${TMPDIR:-/tmp}/insert-cost.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
python3 - "$work/items.npy" "$scratch" "$n" <<'PY'
import sys
import numpy as np
items, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
x = np.load(items, mmap_mode="r")
rng = np.random.default_rng(3)
rows = rng.integers(0, x.shape[0], n)
np.save(f"{out}/new.npy", (x[rows] + rng.normal(0, 0.05, (n, x.shape[1]))).astype("<f4"))
open(f"{out}/new.txt", "w").write("".join(f"{10_000_000 + i}\n" for i in range(n)))
PY
IFS=';' read -ra sets <<< "$variants"
for i in "${!sets[@]}"; do
  cp -r "$work/store-ip" "$scratch/base-$i"
  # shellcheck disable=SC2086
  "$annctl" build --db "$scratch/base-$i" --index hnsw --m 16 --ef-construction 200 --int8 --link-unreachable \
    ${sets[$i]} --quiet | head -1
done
for round in $(seq 1 "$rounds"); do
  for i in "${!sets[@]}"; do
    rm -rf "$scratch/run"; cp -r "$scratch/base-$i" "$scratch/run"
    start=$(date +%s.%N)
    "$annctl" import --db "$scratch/run" --items "$scratch/new.npy" --item-ids "$scratch/new.txt" --quiet >/dev/null
    echo "[${sets[$i]}] round $round: import of $n into $rows: $(echo "$(date +%s.%N) - $start" | bc) s"
  done
done
