#!/usr/bin/env bash
# Distance kernel benchmark: ns per distance for every kernel (f32 dot/l2, u8, i8, f16) at
# every level this CPU supports, hot (256 rows in cache) and gathered (32 random rows of a
# 128 MiB base per call, with and without prefetching), beside the peers measured in the same
# run: the old SIMD16 Swift `Distance` kernels, the Swift `Kernels` wrappers, and numpy
# (OpenBLAS, one thread). Everything is compiled from the package's own sources with the
# package's flags (-O3, no -march). Usage: bench/kernels.sh [DIM] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
dim=${1:-128}; runs=${2:-3}
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench}/kernels
mkdir -p "$work/module"
python3 -c "import numpy" 2>/dev/null || python3 -m pip install -q numpy >/dev/null
printf 'module CKernels {\n  header "%s/Sources/CKernels/include/ckernels.h"\n  export *\n}\n' "$PWD" \
  > "$work/module/module.modulemap"
objects=()
for f in Sources/CKernels/*.c; do
  clang -O3 -c "$f" -o "$work/$(basename "$f" .c).o"
  objects+=("$work/$(basename "$f" .c).o")
done
clang -O3 -ISources/CKernels/include bench/kernels/bench.c Sources/CKernels/*.c -o "$work/bench"
clang -O3 -DCK_PREFETCH_AHEAD=0 -ISources/CKernels/include bench/kernels/bench.c Sources/CKernels/*.c \
  -o "$work/bench-noprefetch"
swiftc -O -parse-as-library -I "$work/module" Sources/VectorMath/Distance.swift \
  Sources/VectorMath/Metric.swift Sources/VectorMath/Kernels.swift \
  "Sources/VectorMath/Kernels+Quantized.swift" bench/kernels/swift_peer.swift "${objects[@]}" \
  -o "$work/swift-peer"
echo "dim $dim; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $(nproc) cores"
for run in $(seq 1 "$runs"); do
  echo
  echo "run $run ($(uptime | sed 's/.*load/load/'))"
  {
    "$work/bench" "$dim"
    "$work/bench-noprefetch" "$dim" " (no prefetch)" | grep gather
    "$work/swift-peer" "$dim"
    OPENBLAS_NUM_THREADS=1 python3 bench/kernels/numpy_peer.py "$dim"
  } | python3 bench/kernels/table.py
done
