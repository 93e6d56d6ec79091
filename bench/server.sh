#!/usr/bin/env bash
# Server benchmark: closed-loop load from `annctl load` at several concurrency levels against
#  1. `annctl serve` on ROWS x DIM clustered vectors (search; recommend by vector through the
#     ranking pipeline: 500 candidates, default model, MMR lambda 0.7 to top 20), and the same
#     requests in-process (`annctl load --in-process`: the same pipeline without NNG and
#     encoding), so transport + protocol overhead is a ratio;
#  2. the peer on the same file, same queries, same load generator: a hand-written Python pynng
#     REP server wrapping hnswlib (bench/peers/pynng_hnswlib_server.py), recall@10 printed;
#  3. `annctl serve --model` and in-process on the demo catalogue (100k items, 10k users, 64-d)
#     with a model trained by `annctl train-ranker`: recommend (users, history left out, 500
#     candidates, features + model + MMR lambda 0.7 to top 20), similar (same pipeline), search;
#  4. the same (and the peer) on 10k x DIM, where the search itself is cheap: the overhead in microseconds.
# Every store is served by its HNSW index (`annctl build --index hnsw`, built once and kept).
# Usage: bench/server.sh [ROWS] [DIM] [SECONDS] ; LEVELS=1,2,8 PEER_EF=96 ANNCTL=PATH override
# (ef 96 gives the peer recall@10 of about 0.95 on the 1M x 128 data; OUR_EF=32 gives annctl
# 0.953, both printed); PARTS=big,demo,small
# picks the parts (default all three: big = 1 and 2).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}; dim=${2:-128}; seconds=${3:-10}
levels=${LEVELS:-1,2,8}; peer_ef=${PEER_EF:-96}; parts=${PARTS:-big,demo,small}; our_ef=${OUR_EF:-32}
part() { [[ ",$parts," == *",$1,"* ]]; }
# ANNCTL=PATH: use that annctl binary (e.g. a release build with --static-swift-stdlib on another
# machine) and skip the set-up and the build; the peers' pip packages must then be installed.
if [ -n "${ANNCTL:-}" ]; then
  annctl=$ANNCTL
else
  tools/setup
  swift build -c release --product annctl >/dev/null
  python3 -m pip install -q -r bench/requirements.txt >/dev/null 2>&1 || true
  annctl=.build/release/annctl
fi
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench-server}
mkdir -p "$work"
data="$work/items-$rows-$dim.npy"; queries="$work/queries-$dim.npy"
# hnsw STORE: builds the HNSW index once (a marker beside the store says it is there).
hnsw() { [ -f "$1.hnsw" ] || { "$annctl" build --db "$1" --index hnsw --m 16 --ef-construction 200 --quiet && touch "$1.hnsw"; }; }
store="$work/store-$rows-$dim"
if part big; then
  [ -f "$data" ] || "$annctl" generate clustered --out "$data" --count "$rows" --dim "$dim" --seed 1 \
    --query-count 1000 --queries "$queries"
  [ -d "$store" ] || "$annctl" import --db "$store" --items "$data" --quiet
  hnsw "$store"
fi
small="$work/store-10000-$dim"
if part small; then
  if [ ! -d "$small" ]; then
    "$annctl" generate clustered --out "$work/items-10000-$dim.npy" --count 10000 --dim "$dim" --seed 1 \
      --query-count 1000 --queries "$work/queries-10000-$dim.npy" >/dev/null
    "$annctl" import --db "$small" --items "$work/items-10000-$dim.npy" --quiet
  fi
  # The big part's queries when it was generated (as before), else the small file's own.
  [ -f "$queries" ] || queries="$work/queries-10000-$dim.npy"
  hnsw "$small"
fi
demo="$work/demo"
if part demo; then
  if [ ! -d "$demo/store" ]; then
    "$annctl" generate demo --out "$demo/data" --items 100000 --users 10000 --dim 64 --seed 42 >/dev/null
    "$annctl" import --db "$demo/store" --items "$demo/data/items.npy" --item-ids "$demo/data/item_ids.txt" \
      --users "$demo/data/users.npy" --user-ids "$demo/data/user_ids.txt" \
      --item-features "$demo/data/item_features.jsonl" --user-features "$demo/data/user_features.jsonl" \
      --histories "$demo/data/histories.tsv" --quiet
  fi
  hnsw "$demo/store"
  [ -f "$demo/model.json" ] || "$annctl" train-ranker --db "$demo/store" --interactions "$demo/data/histories.tsv" \
    --out "$demo/model.json" --cross 'cross.hour_match*cross.embedding_score' --cross 'cross.hour_match*item.popularity' >/dev/null
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

if part big; then
  echo "== $rows x $dim: annctl serve (hnsw, search at ef $our_ef) and in-process"
  truth="$work/truth-$rows-$dim.jsonl"
  [ -f "$truth" ] || "$annctl" query --db "$store" --exact --queries "$queries" --k 10 --json > "$truth" 2>/dev/null
  "$annctl" query --db "$store" --queries "$queries" --k 10 --ef "$our_ef" --json > "$work/found.jsonl" 2>/dev/null
  echo "annctl hnsw ef $our_ef: recall@10 $(python3 bench/peers/recall.py "$work/found.jsonl" "$truth") (1,000 queries)"
  start serve-big "$annctl" serve --db "$store" --listen tcp://127.0.0.1:0
  load "search server" --server "$url" --queries "$queries" --mix search=1 --k 10 --ef "$our_ef"
  load "recommend server" --server "$url" --queries "$queries" --mix recommend=1 --k 20 --candidates 500 --mmr 0.7
  stop
  load "search in-process" --in-process --db "$store" --queries "$queries" --mix search=1 --k 10 --ef "$our_ef"
  load "recommend in-process" --in-process --db "$store" --queries "$queries" --mix recommend=1 --k 20 --candidates 500 --mmr 0.7

  echo "== $rows x $dim: peer (pynng + hnswlib, ef $peer_ef)"
  start peer python3 bench/peers/pynng_hnswlib_server.py --data "$data" --queries "$queries" --ef "$peer_ef" \
    --threads "$(nproc)" --listen tcp://127.0.0.1:0
  grep "recall" "$work/peer.log"
  load "search peer" --server "$url" --queries "$queries" --mix search=1 --k 10
  stop
fi

if part demo; then
  echo "== demo catalogue: annctl serve --model (hnsw, ranking + MMR 0.7) and in-process"
  start serve-demo "$annctl" serve --db "$demo/store" --model "$demo/model.json" --listen tcp://127.0.0.1:0
  for op in recommend similar search; do
    load "demo $op server" --server "$url" --db "$demo/store" --mix "$op=1" --k 20 --candidates 500 --mmr 0.7
  done
  stop
  for op in recommend similar search; do
    load "demo $op in-process" --in-process --db "$demo/store" --model "$demo/model.json" --mix "$op=1" --k 20 \
      --candidates 500 --mmr 0.7
  done
fi

if part small; then
  echo "== 10000 x $dim: the overhead where search is cheap (hnsw)"
  start serve-small "$annctl" serve --db "$small" --listen tcp://127.0.0.1:0
  load "small search server" --server "$url" --queries "$queries" --mix search=1 --k 10
  stop
  load "small search in-process" --in-process --db "$small" --queries "$queries" --mix search=1 --k 10
  start peer-small python3 bench/peers/pynng_hnswlib_server.py --data "$work/items-10000-$dim.npy" --ef "$peer_ef" \
    --threads "$(nproc)" --listen tcp://127.0.0.1:0
  load "small search peer" --server "$url" --queries "$queries" --mix search=1 --k 10
  stop
fi
echo "load after: $(uptime | sed 's/.*load average/load average/')"
python3 bench/server_table.py "$results"
