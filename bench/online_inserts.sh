#!/usr/bin/env bash
# Items inserted online into a built HNSW graph: are they found as well as the items it was
# built with? Copies the server benchmark's 1M x 128 store (bench/server.sh 1000000 128 builds
# it: HNSW M 16, efConstruction 200, inner product, exact head, repair links), serves the copy,
# upserts 1,000 new items through the server (bench/online_inserts.py insert: the writer's
# online insert), then compares search recall near the new items and near old ones at ef 32
# and 128 (bench/online_inserts.py query).
# Usage: bench/online_inserts.sh ; BENCH_DIR (default as bench/server.sh), ANNCTL override.
set -euo pipefail
cd "$(dirname "$0")/.."
annctl=${ANNCTL:-}
if [ -z "$annctl" ]; then
  tools/setup
  swift build -c release --product annctl >/dev/null
  annctl=.build/release/annctl
fi
work=${BENCH_DIR:-${TMPDIR:-/tmp}/annserver-bench-server}
store="$work/store-1000000-128"; items="$work/items-1000000-128.npy"
[ -f "$store.hnsw" ] || { echo "run bench/server.sh 1000000 128 first (it builds $store)" >&2; exit 1; }
copy="$work/online-inserts-store"
rm -rf "$copy"; mkdir -p "$copy"; cp "$store"/*.mdb "$copy"/
log="$work/online-inserts-serve.log"
"$annctl" serve --db "$copy" --listen tcp://127.0.0.1:0 2> "$log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true; rm -rf "$copy"' EXIT
url=""
for _ in $(seq 1 6000); do
  url=$(grep -o 'tcp://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)
  [ -n "$url" ] && break
  kill -0 $server 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.1
done
python3 bench/online_inserts.py insert "$url" "$items"
for ef in 32 128; do python3 bench/online_inserts.py query "$url" "$items" 1000 "$ef"; done
