#!/usr/bin/env bash
# Server benchmark: closed-loop load from `annctl load` at several concurrency levels against
#  1. `annctl serve` on ROWS x DIM clustered vectors (search; recommend by vector with 500
#     candidates to top 20), and the same requests in-process (`annctl load --in-process`:
#     the same pipeline without NNG and encoding), so transport + protocol overhead is a ratio;
#  2. the peer on the same file, same queries, same load generator: a hand-written Python pynng
#     REP server wrapping hnswlib (bench/peers/pynng_hnswlib_server.py), recall@10 printed;
#  3. `annctl serve` and in-process on the demo catalogue (100k items, 10k users, 64-d):
#     recommend (users, history left out, 500 candidates, top 20), similar, search;
#  4. the same (and the peer) on 10k x DIM, where the search itself is cheap: the overhead in microseconds.
# Usage: bench/server.sh [ROWS] [DIM] [SECONDS] ; LEVELS=1,2,8 PEER_EF=96 override
# (ef 96 gives the peer recall@10 of about 0.95 on the 1M x 128 data).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}; dim=${2:-128}; seconds=${3:-10}
levels=${LEVELS:-1,2,8}; peer_ef=${PEER_EF:-96}
tools/setup
swift build -c release --product annctl >/dev/null
python3 -m pip install -q -r bench/requirements.txt >/dev/null 2>&1 || true
annctl=.build/release/annctl
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench-server}
mkdir -p "$work"
data="$work/items-$rows-$dim.npy"; queries="$work/queries-$dim.npy"
[ -f "$data" ] || "$annctl" generate clustered --out "$data" --count "$rows" --dim "$dim" --seed 1 \
  --query-count 1000 --queries "$queries"
store="$work/store-$rows-$dim"
[ -d "$store" ] || "$annctl" import --db "$store" --items "$data" --quiet
small="$work/store-10000-$dim"
if [ ! -d "$small" ]; then
  "$annctl" generate clustered --out "$work/items-10000-$dim.npy" --count 10000 --dim "$dim" --seed 1 >/dev/null
  "$annctl" import --db "$small" --items "$work/items-10000-$dim.npy" --quiet
fi
demo="$work/demo"
if [ ! -d "$demo/store" ]; then
  "$annctl" generate demo --out "$demo/data" --items 100000 --users 10000 --dim 64 --seed 42 >/dev/null
  "$annctl" import --db "$demo/store" --items "$demo/data/items.npy" --item-ids "$demo/data/item_ids.txt" \
    --users "$demo/data/users.npy" --user-ids "$demo/data/user_ids.txt" \
    --item-features "$demo/data/item_features.jsonl" --histories "$demo/data/histories.tsv" --quiet
fi
results="$work/results-$(date +%Y%m%d-%H%M%S).jsonl"
echo "data: $data, $queries; machine: $(nproc) cores; load: $(uptime | sed 's/.*load average/load average/')"

server=""
stop() { if [ -n "$server" ]; then kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; server=""; fi; }
trap stop EXIT
# start NAME COMMAND...: runs a server in the background, sets $url from its log.
start() {
  local log="$work/$1.log"; shift
  "$@" > "$log" 2>&1 &
  server=$!
  url=""
  for _ in $(seq 1 6000); do
    url=$(grep -o 'tcp://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)
    [ -n "$url" ] && return 0
    kill -0 "$server" 2>/dev/null || { cat "$log" >&2; exit 1; }
    sleep 0.1
  done
  cat "$log" >&2; exit 1
}
# load CASE ARGS...: one annctl load run per level, JSON lines tagged with CASE.
load() {
  local name=$1; shift
  "$annctl" load --concurrency "$levels" --duration "$seconds" --warmup 1 --json "$@" \
    | sed "s/^{/{\"case\":\"$name\",/" | tee -a "$results"
}

echo "== $rows x $dim: annctl serve (flat) and in-process"
start serve-flat "$annctl" serve --db "$store" --listen tcp://127.0.0.1:0
load "search server" --server "$url" --queries "$queries" --mix search=1 --k 10
load "recommend server" --server "$url" --queries "$queries" --mix recommend=1 --k 20 --candidates 500
stop
load "search in-process" --in-process --db "$store" --queries "$queries" --mix search=1 --k 10
load "recommend in-process" --in-process --db "$store" --queries "$queries" --mix recommend=1 --k 20 --candidates 500

echo "== $rows x $dim: peer (pynng + hnswlib, ef $peer_ef)"
start peer python3 bench/peers/pynng_hnswlib_server.py --data "$data" --queries "$queries" --ef "$peer_ef" \
  --threads "$(nproc)" --listen tcp://127.0.0.1:0
grep "recall" "$work/peer.log"
load "search peer" --server "$url" --queries "$queries" --mix search=1 --k 10
stop

echo "== demo catalogue: annctl serve (flat) and in-process"
start serve-demo "$annctl" serve --db "$demo/store" --listen tcp://127.0.0.1:0
for op in recommend similar search; do
  load "demo $op server" --server "$url" --db "$demo/store" --mix "$op=1" --k 20 --candidates 500
done
stop
for op in recommend similar search; do
  load "demo $op in-process" --in-process --db "$demo/store" --mix "$op=1" --k 20 --candidates 500
done
echo "== 10000 x $dim: the overhead where search is cheap"
start serve-small "$annctl" serve --db "$small" --listen tcp://127.0.0.1:0
load "small search server" --server "$url" --queries "$queries" --mix search=1 --k 10
stop
load "small search in-process" --in-process --db "$small" --queries "$queries" --mix search=1 --k 10
start peer-small python3 bench/peers/pynng_hnswlib_server.py --data "$work/items-10000-$dim.npy" --ef "$peer_ef" \
  --threads "$(nproc)" --listen tcp://127.0.0.1:0
load "small search peer" --server "$url" --queries "$queries" --mix search=1 --k 10
stop
echo "load after: $(uptime | sed 's/.*load average/load average/')"
python3 bench/server_table.py "$results"
