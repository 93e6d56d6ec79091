#!/bin/bash
# Device run: issue 6's server benchmark on a 16-core machine (prebuilt static annctl).
set -uo pipefail
cd "$(dirname "$0")/.."
T0=$(date +%s)
ts() { echo "[$(( $(date +%s) - T0 )) s] $*"; }
mkdir -p /tmp/dev && tar -xJf .devbench/bundle.tar.xz -C /tmp/dev || exit 1
export LD_LIBRARY_PATH=/tmp/dev/lib
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
( python3 -m pip install -q --no-index --no-deps --no-build-isolation --no-cache-dir --target /tmp/site2 .whl/hnswlib-0.8.0.tar.gz > /tmp/hnswbuild.log 2>&1; echo "hnswlib install rc=$?" >> /tmp/hnswbuild.log ) &
hpid=$!
ts unpacked; nproc; lscpu | grep -E "Model name|^CPU\(s\)|Thread|NUMA node|L3"; lscpu | grep -o -E "avx512f|avx512_vnni|avx2" | sort -u | tr '\n' ' '; echo; free -g | head -2; uptime
python3 -c "import google.protobuf, numpy; print('protobuf', google.protobuf.__version__, 'numpy', numpy.__version__)"
A=/tmp/dev/annctl; W=/tmp/b; mkdir -p $W
$A generate clustered --out $W/items-1000000-128.npy --count 1000000 --dim 128 --seed 1 --query-count 1000 --queries $W/queries-128.npy > /dev/null || exit 1
ts generated
$A import --db $W/store-1000000-128 --items $W/items-1000000-128.npy --quiet || exit 1
ts imported
$A build --db $W/store-1000000-128 --index hnsw --m 16 --ef-construction 200 || exit 1
touch $W/store-1000000-128.hnsw
ts "hnsw built (all cores)"
wait $hpid; tail -3 /tmp/hnswbuild.log
export PYTHONPATH=/tmp/site:/tmp/site2
python3 -c "import hnswlib, pynng; print('peer modules ok')" || exit 1
ts "server bench start"
BENCH_DIR=$W PARTS=big LEVELS=${LEVELS:-1,2,8,16} ANNCTL=$A bench/server.sh 1000000 128 ${SECS:-5} 2>&1 | tee $OUT/server-device.log
ts "server bench done"
cp $W/results-*.jsonl $OUT/ 2>/dev/null; cp $W/peer.log $W/serve-big.log $OUT/ 2>/dev/null
ts end
