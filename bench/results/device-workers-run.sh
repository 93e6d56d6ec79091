#!/bin/bash
# Device run: recommend through the server with 16 vs 2 vs 1 workers (is the worker rotation the extra CPU?).
set -uo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
ts() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
mkdir -p /tmp/dev && tar -xJf .devbench/bundle.tar.xz -C /tmp/dev annctl lib || exit 1
export LD_LIBRARY_PATH=/tmp/dev/lib
A=/tmp/dev/annctl; W=/tmp/b; mkdir -p $W
$A generate clustered --out $W/items.npy --count ${N:-1000000} --dim 128 --seed 1 --query-count 1000 --queries $W/q.npy > /dev/null || exit 1
$A import --db $W/s --items $W/items.npy --quiet || exit 1
$A build --db $W/s --index hnsw --m 16 --ef-construction 200 --quiet || exit 1
ts "store ready"
R="--queries $W/q.npy --mix recommend=1 --k 20 --candidates 500 --mmr 0.7 --duration ${SECS:-5} --warmup 1 --json"
for round in ${ROUNDS:-1 2}; do
for w in ${WS:-16 2 1}; do
  $A serve --db $W/s --listen tcp://127.0.0.1:7433 --workers $w > $W/serve.log 2>&1 &
  pid=$!
  for i in $(seq 100); do grep -q "tcp://" $W/serve.log && break; sleep 0.1; done
  $A load --server tcp://127.0.0.1:7433 $R --concurrency 1,2 | sed "s/^/workers $w: /" | cut -c1-330
  $A stats --server tcp://127.0.0.1:7433 2>/dev/null | grep -i -E "recommend" | head -3
  kill -TERM $pid; wait $pid
done
$A load --in-process --db $W/s $R --concurrency 1,2 | sed "s/^/in-process: /" | cut -c1-330
ts "round $round"
done
