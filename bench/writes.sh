#!/usr/bin/env bash
# Reads around online writes: the demo catalogue (ITEMS items, ITEMS/10 users, 64-d; generated
# by `annctl generate demo`, imported, HNSW built once and kept), served by `annctl serve`, and
#  1. bench/write_probe.py probe: recommend (500 candidates, MMR 0.7, top 20) and a
#     category-filtered recommend, steady and as the first request after each upsert;
#  2. `annctl load --mix recommend=1` at concurrency 2 for SECONDS, alone and while
#     bench/write_probe.py stream upserts RATE per second (category moves, one new item in ten);
#  3. the same load while `annctl import` (another process) moves 1,000 items to other
#     categories, twice (the server reloads what it derives from item features).
# Each binary in ANNCTLS (space-separated; default: this checkout's release build) serves a
# fresh copy of the same store, in turn, ROUNDS times, so that an older binary is measured
# against the newer one in the same run.
# Usage: bench/writes.sh [ITEMS] [SECONDS] [RATE] ; ANNCTLS="A B" ROUNDS=2 BENCH_DIR=... override
set -euo pipefail
cd "$(dirname "$0")/.."
items=${1:-1000000}; seconds=${2:-10}; rate=${3:-20}; rounds=${ROUNDS:-2}
if [ -z "${ANNCTLS:-}" ]; then
  tools/setup
  swift build -c release --product annctl >/dev/null
  ANNCTLS=$PWD/.build/release/annctl
fi
tool=${ANNCTLS%% *}  # generates, imports, builds and drives the load
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench-writes}
store="$work/store-$items"
mkdir -p "$work"
if [ ! -f "$store.hnsw" ]; then
  rm -rf "$work/data-$items" "$store"
  "$tool" generate demo --out "$work/data-$items" --items "$items" --users $((items / 10)) --dim 64 --seed 42 >/dev/null
  d="$work/data-$items"
  "$tool" import --db "$store" --items "$d/items.npy" --item-ids "$d/item_ids.txt" --users "$d/users.npy" \
    --user-ids "$d/user_ids.txt" --item-features "$d/item_features.jsonl" --user-features "$d/user_features.jsonl" \
    --histories "$d/histories.tsv" --quiet
  "$tool" build --db "$store" --index hnsw --m 16 --ef-construction 100 --quiet
  touch "$store.hnsw"
fi
server=""
stop() { [ -n "$server" ] && { kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }; server=""; }
trap stop EXIT
for round in $(seq 1 "$rounds"); do
  for bin in $ANNCTLS; do
    echo "== round $round: $bin"
    rm -rf "$work/run" && mkdir -p "$work/run" && cp -r "$store"/. "$work/run"/
    "$bin" serve --db "$work/run" --listen tcp://127.0.0.1:0 2> "$work/serve.log" &
    server=$!
    url=""
    for _ in $(seq 1 300); do
      url=$(grep -o 'tcp://127\.0\.0\.1:[0-9]*' "$work/serve.log" | head -1 || true)
      [ -n "$url" ] && break
      sleep 0.1
    done
    [ -n "$url" ] || { cat "$work/serve.log" >&2; exit 1; }
    python3 bench/write_probe.py probe "$url" "$items" 20
    load() { "$tool" load --server "$url" --db "$store" --mix recommend=1 --k 20 --candidates 500 --mmr 0.7 \
      --concurrency 2 --duration "$seconds" --warmup 1 | sed "s|^|$1: |"; }
    load "recommend alone"
    python3 bench/write_probe.py stream "$url" "$items" "$rate" $((seconds + 1)) &
    writer=$!
    load "recommend with $rate upserts per second"
    wait $writer
    python3 - "$items" > "$work/moves.jsonl" <<'PY'
import random, sys
r = random.Random(9)
for i in r.sample(range(int(sys.argv[1])), 1000):
    c = "c%d" % r.randrange(50)
    print('{"id":%d,"features":{"category":"%s","categories":["%s"]}}' % (1000000 + i, c, c))
PY
    ( sleep 2; "$bin" import --db "$work/run" --item-features "$work/moves.jsonl" --quiet >/dev/null
      sleep 3; "$bin" import --db "$work/run" --item-features "$work/moves.jsonl" --quiet >/dev/null ) &
    importer=$!
    load "recommend during 2 imports from another process"
    wait $importer
    stop
  done
done
