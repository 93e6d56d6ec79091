#!/bin/bash
# Device run: HNSW build scaling (16 cores), new vs old binary, and hnswlib on the same file.
set -uo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
ts() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
mkdir -p /tmp/dev && tar -xJf .devbench/bundle.tar.xz -C /tmp/dev || exit 1
export LD_LIBRARY_PATH=/tmp/dev/lib
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
( python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --target /tmp/site2 .whl/hnswlib-0.8.0.tar.gz > /tmp/hnswbuild.log 2>&1; echo "hnswlib install rc=$?" >> /tmp/hnswbuild.log ) &
hpid=$!
ts unpacked; nproc
A=/tmp/dev/annctl; O=/tmp/dev/annctl-old; W=/tmp/b; mkdir -p $W
$A generate clustered --out $W/items.npy --count 1000000 --dim 128 --seed 1 --query-count 1000 --queries $W/q.npy > /dev/null || exit 1
$A import --db $W/s --items $W/items.npy --quiet || exit 1
$A query --db $W/s --exact --queries $W/q.npy --k 10 --json > $W/truth.jsonl 2>/dev/null
ts "data ready"
for bin in $A $O $A; do
  $bin build --db $W/s --index hnsw --m 16 --ef-construction 200 --threads 16 2>&1 | grep built
  $A query --db $W/s --queries $W/q.npy --k 10 --ef 32 --json > $W/found.jsonl 2>/dev/null
  echo "$bin: recall@10 at ef 32: $(python3 bench/peers/recall.py $W/found.jsonl $W/truth.jsonl)"
  ts "built with $bin"
done
$A build --db $W/s --index hnsw --m 16 --ef-construction 200 --threads 4 2>&1 | grep built
ts "built 4 threads"
wait $hpid; tail -1 /tmp/hnswbuild.log
export PYTHONPATH=/tmp/site:/tmp/site2
python3 bench/peers/pynng_hnswlib_server.py --data $W/items.npy --queries $W/q.npy --ef 96 --threads 16 --build-only
ts "hnswlib 16 threads"
rm -f $W/items.npy.hnsw-*
python3 bench/peers/pynng_hnswlib_server.py --data $W/items.npy --ef 96 --threads 4 --build-only
ts end
